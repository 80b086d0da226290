#!/usr/bin/env python3
"""Independent verifier for sealdraw evaluation archives ("sealdraw-archive-v1").

Written from docs/ARCHIVE.md, so that a bug in the server's Rust verifier
(`sealdraw archive verify`) is not silently shared by this one. It reuses only
the other independent verifiers in this directory: verify_log.py (signed notes,
checkpoints, RFC 6962 inclusion) and draw_verify.py (the draw records), both
written from the public specifications. Member signatures are checked with the
`cryptography` package (ECDSA P-256) or, for SM2 keys, gm.py.

Usage:
  verify_archive.py DIR --key VKEY [--font FONT] [--ca ROOT]...

VKEY is the log's verifier key (`name+keyid+base64key`) or a file holding it.
FONT is the font the readable report was rendered in; when given, its SHA-256
must be the manifest's `font_sha256`. Each ROOT is a CA root certificate (PEM
or DER) that anchors members' certificate chains; a signature made with a
certificate key verifies only up to one of them (section 5a).

The checks follow docs/ARCHIVE.md section 9 in order and stop at the first
failure. Where this verifier does less than the reference one, it says so:
it does not typeset the PDF again (that needs the same typesetting code); it
checks the PDF's file digest and the report digest the PDF embeds.

Output: "OK archive <id>: ..." and exit 0; "FAIL <file>: <field>: <detail>"
and exit 1; "ERROR ..." and exit 2 when the input cannot be used at all (an
unreadable directory or font, an unusable key), which says nothing either way.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from pathlib import Path

from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import draw_verify
import gm
import verify_log

FORMAT = "sealdraw-archive-v1"
SUITES = ("intl2024", "gm2024")
MANIFEST_FIELDS = {
    "format": str,
    "subject": dict,
    "log": dict,
    "checkpoint_size": int,
    "report_digest": (str, type(None)),
    "font_sha256": (str, type(None)),
    "entries": list,
    "files": dict,
    "created_at": str,
}
SIGNATURE_FIELDS = {
    "session": str,
    "seat": int,
    "report_sha256": str,
    "agree": bool,
    "reasons": (str, type(None)),
    "key_id": str,
    "key_kind": str,
    "algorithm": str,
    "public_key": str,
    "key_fingerprint": str,
    "signature": str,
    "signed_at": str,
    "entry_index": int,
}
CERTIFICATE_FIELDS = {"certificate_chain": list, "certificate_authority": str}
KEY_KINDS = ("webcrypto", "key_file", "pkcs11", "certificate")
SM2_DEFAULT_ID = "1234567812345678"
DECIMAL = re.compile(r"0|[1-9][0-9]*")
SEAT_FILE = re.compile(r"signatures/seat-(0|[1-9][0-9]*)\.json")
ENTRY_FILE = re.compile(r"entries/(0|[1-9][0-9]*)\.json")
PROOF_FILE = re.compile(r"proofs/(0|[1-9][0-9]*)\.proof")
DRAW_FILE = re.compile(r"draws/([^/]+)\.json")
CRL_FILE = re.compile(r"crls/([0-9a-f]{64})\.crl")


class Fail(Exception):
    """The package does not verify: exit status 1."""

    def __init__(self, file: str, field: str, detail: str):
        super().__init__(f"{file}: {field}: {detail}" if field else f"{file}: {detail}")


class Unusable(Exception):
    """The input cannot be used at all: exit status 2."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value) -> bytes:
    # RFC 8785 for what the package holds (strings, integers, booleans, null; ASCII or not):
    # sorted keys, no whitespace, the short escapes and \u00xx for other control characters.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_canonical(directory: Path, path: str):
    raw = (directory / path).read_bytes()
    try:
        value = json.loads(raw.decode("utf-8"), parse_float=lambda text: float("nan"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Fail(path, "", f"is not JSON ({error})") from None
    if canonical(value) != raw:
        raise Fail(path, "", "is not canonical JSON (RFC 8785)")
    return value


def check_fields(path: str, value, fields: dict) -> None:
    if not isinstance(value, dict):
        raise Fail(path, "", "is not a JSON object")
    for name in value:
        if name not in fields:
            raise Fail(path, name, "is not a field of this file")
    for name, kind in fields.items():
        if name not in value:
            raise Fail(path, name, "is missing")
        field = value[name]
        # JSON has no separate boolean and integer types in Python's eyes: keep them apart.
        if (kind is int and isinstance(field, bool)) or not isinstance(field, kind):
            raise Fail(path, name, f"has the wrong type ({type(field).__name__})")


def relative_files(directory: Path) -> list[str]:
    return sorted(
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    )


# --- section 9, steps 1 to 4: manifest, files, checkpoint, entries ----------------------


def check_manifest(directory: Path, key: verify_log.VerifierKey) -> dict:
    if not (directory / "manifest.json").is_file():
        raise Fail("manifest.json", "", "missing")
    manifest = read_canonical(directory, "manifest.json")
    check_fields("manifest.json", manifest, MANIFEST_FIELDS)
    if manifest["format"] != FORMAT:
        raise Fail("manifest.json", "format", f"is {manifest['format']!r}, not {FORMAT!r}")
    subject = manifest["subject"]
    kind = subject.get("kind")
    if kind == "session":
        check_fields("manifest.json", subject, {"kind": str, "session_id": str, "draw_id": str})
    elif kind == "draw":
        check_fields("manifest.json", subject, {"kind": str, "draw_id": str})
    else:
        raise Fail("manifest.json", "subject.kind", f"is {kind!r}, not \"session\" or \"draw\"")
    log = manifest["log"]
    check_fields("manifest.json", log, {"origin": str, "suite": str})
    if log["origin"] != key.name:
        raise Fail("manifest.json", "log.origin", f"is {log['origin']!r}, not the key's {key.name!r}")
    if log["suite"] != key.suite:
        raise Fail("manifest.json", "log.suite", f"is {log['suite']!r}, the key's suite is {key.suite}")
    previous = -1
    for number, element in enumerate(manifest["entries"]):
        check_fields("manifest.json", element, {"index": int, "type": str})
        if element["index"] <= previous:
            raise Fail("manifest.json", f"entries[{number}].index", "entries are not in ascending order")
        previous = element["index"]
    session = kind == "session"
    for name in ("report_digest", "font_sha256"):
        if (manifest[name] is None) == session:
            raise Fail("manifest.json", name, "must be a digest for a session and null for a draw")
    return manifest


def check_files(directory: Path, manifest: dict) -> None:
    listed = manifest["files"]
    present = relative_files(directory)
    for path in present:
        if path != "manifest.json" and path not in listed:
            raise Fail(path, "", "not listed in manifest.json files")
    for path, expected in sorted(listed.items()):
        if not isinstance(expected, str):
            raise Fail("manifest.json", f"files.{path}", "is not a digest")
        if not (directory / path).is_file():
            raise Fail(path, "", "missing (listed in manifest.json files)")
        if sha256_hex((directory / path).read_bytes()) != expected:
            raise Fail(path, "sha256", "does not match manifest.json files")
    required = ["checkpoint"]
    if manifest["subject"]["kind"] == "session":
        required += ["report.json", "report.pdf", "events.json"]
    for path in required:
        if path not in listed:
            raise Fail(path, "", "missing (a package of this subject holds it)")
    for path in listed:
        if not (
            path in ("checkpoint", "report.json", "report.pdf", "events.json")
            or SEAT_FILE.fullmatch(path)
            or ENTRY_FILE.fullmatch(path)
            or PROOF_FILE.fullmatch(path)
            or DRAW_FILE.fullmatch(path)
            or CRL_FILE.fullmatch(path)
        ):
            raise Fail(path, "", "is not a file a package may hold")
        crl = CRL_FILE.fullmatch(path)
        if crl and crl.group(1) != sha256_hex((directory / path).read_bytes()):
            raise Fail(path, "", "is not named by the SHA-256 of its bytes")
        if crl and manifest["subject"]["kind"] != "session":
            raise Fail(path, "", "a draw's package holds no session files")


def check_checkpoint(directory: Path, manifest: dict, key) -> tuple[bytes, verify_log.Checkpoint]:
    raw = (directory / "checkpoint").read_bytes()
    try:
        checkpoint = verify_log.verified_checkpoint(raw, key, key.name)
    except verify_log.VerifyError as error:
        raise Fail("checkpoint", "", str(error)) from None
    if checkpoint.size != manifest["checkpoint_size"]:
        raise Fail(
            "checkpoint",
            "size",
            f"is {checkpoint.size}, manifest.json checkpoint_size is {manifest['checkpoint_size']}",
        )
    return raw, checkpoint


def parse_proof(path: str, text: str) -> tuple[bytes | None, int, list[bytes], str]:
    header, blank, signed_checkpoint = text.partition("\n\n")
    if not blank:
        raise Fail(path, "", "has no blank line before its checkpoint")
    lines = header.split("\n")
    if lines[0] != verify_log.PROOF_HEADER:
        raise Fail(path, "", f"does not start with {verify_log.PROOF_HEADER}")
    position, extra = 1, None
    try:
        if position < len(lines) and lines[position].startswith("extra "):
            extra = verify_log.strict_b64decode(lines[position][len("extra ") :], "extra data")
            position += 1
        if position >= len(lines) or not lines[position].startswith("index "):
            raise Fail(path, "index", "has no index line")
        index = verify_log.decimal(lines[position][len("index ") :], "index")
        hashes_ = [verify_log.strict_b64decode(line, "a proof hash") for line in lines[position + 1 :]]
    except verify_log.VerifyError as error:
        raise Fail(path, "", str(error)) from None
    if any(len(value) != verify_log.HASH_SIZE for value in hashes_):
        raise Fail(path, "hashes", "a proof hash is not 32 bytes")
    return extra, index, hashes_, signed_checkpoint


def check_entries(directory: Path, manifest: dict, checkpoint_raw: bytes, checkpoint) -> dict[int, dict]:
    entries: dict[int, dict] = {}
    listed_indexes = {element["index"] for element in manifest["entries"]}
    for path in manifest["files"]:
        match = ENTRY_FILE.fullmatch(path) or PROOF_FILE.fullmatch(path)
        if match and int(match.group(1)) not in listed_indexes:
            raise Fail(path, "", "has no element in manifest.json entries")
    for element in manifest["entries"]:
        index = element["index"]
        entry_path, proof_path = f"entries/{index}.json", f"proofs/{index}.proof"
        for path in (entry_path, proof_path):
            if path not in manifest["files"]:
                raise Fail(path, "", f"missing (manifest.json entries lists entry {index})")
        entry_raw = (directory / entry_path).read_bytes()
        try:
            proof_text = (directory / proof_path).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise Fail(proof_path, "", "is not UTF-8") from None
        extra, proof_index, path_hashes, signed_checkpoint = parse_proof(proof_path, proof_text)
        if proof_index != index:
            raise Fail(proof_path, "index", f"is {proof_index}, not {index}")
        if signed_checkpoint.encode("utf-8") != checkpoint_raw:
            raise Fail(proof_path, "checkpoint", "is not the package's checkpoint")
        if extra is not None and extra != entry_raw:
            raise Fail(proof_path, "extra", f"is not the bytes of {entry_path}")
        if index >= checkpoint.size:
            raise Fail(proof_path, "index", f"{index} is outside the checkpoint's tree of {checkpoint.size}")
        leaf = verify_log.leaf_hash(entry_raw)
        if verify_log.root_from_inclusion_path(index, checkpoint.size, leaf, path_hashes) != checkpoint.root:
            raise Fail(
                proof_path,
                "inclusion",
                f"does not lead from {entry_path} to the checkpoint's root hash "
                "(the entry or a proof hash was altered)",
            )
        try:
            entry = json.loads(entry_raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Fail(entry_path, "", "is not JSON") from None
        if not isinstance(entry, dict) or entry.get("type") != element["type"]:
            raise Fail(entry_path, "type", f"is not {element['type']!r} as manifest.json entries says")
        entries[index] = entry
    return entries


# --- steps 5 and 6: the report and the members' signatures --------------------------------


def digest_name(suite: str, what: str) -> str:
    return f"{what}_sm3" if suite == "gm2024" else f"{what}_sha256"


def suite_digest(suite: str, data: bytes) -> str:
    return gm.sm3(data).hex() if suite == "gm2024" else sha256_hex(data)


def of_session(entry: dict, session_id: str) -> bool:
    refs = entry.get("refs")
    return isinstance(refs, dict) and refs.get("session") == session_id


def check_report(directory: Path, manifest: dict, entries: dict[int, dict]) -> tuple[dict, int]:
    subject, suite = manifest["subject"], manifest["log"]["suite"]
    session_id = subject["session_id"]
    closing = [i for i, e in entries.items() if e["type"] == "session.closed" and of_session(e, session_id)]
    if len(closing) != 1:
        raise Fail("entries", "", f"no single session.closed entry of session {session_id}")
    close_index = closing[0]
    close_data = entries[close_index].get("data") or {}
    raw = (directory / "report.json").read_bytes()
    try:
        report = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Fail("report.json", "", "is not JSON") from None
    if not isinstance(report, dict):
        raise Fail("report.json", "", "is not a JSON object")
    for field in ("session_id", "draw_id"):
        if report.get(field) != subject[field]:
            raise Fail("report.json", field, f"is {report.get(field)!r}, the subject's is {subject[field]!r}")
    digest = suite_digest(suite, raw)
    report_field = digest_name(suite, "report")
    if close_data.get(report_field) != digest:
        raise Fail(
            "report.json",
            "digest",
            f"does not match entries/{close_index}.json data.{report_field} (the closing entry)",
        )
    if manifest["report_digest"] != digest:
        raise Fail("manifest.json", "report_digest", "is not the digest of report.json")
    draft_field = digest_name(suite, "draft")
    if report.get("draft_sha256") != close_data.get(draft_field):
        raise Fail(
            "report.json",
            "draft_sha256",
            f"does not match entries/{close_index}.json data.{draft_field} (the closing entry)",
        )
    return report, close_index


def public_key_verifier(path: str, algorithm: str, spki: bytes):
    if algorithm == "ecdsa-p256-sha256":
        try:
            key = serialization.load_der_public_key(spki)
        except ValueError:
            raise Fail(path, "public_key", "is not a SubjectPublicKeyInfo") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise Fail(path, "public_key", "is not a P-256 key")

        def verify(signature: bytes, message: bytes) -> bool:
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            try:
                key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
                return True
            except InvalidSignature:
                return False

        return verify
    if algorithm == "sm2-sm3":
        # SubjectPublicKeyInfo of an SM2 key: the 65-byte uncompressed point is the BIT
        # STRING's content, the last 65 bytes of the DER.
        point = spki[-65:]
        if len(spki) < 65 + 20 or point[0] != 0x04:
            raise Fail(path, "public_key", "is not an SM2 SubjectPublicKeyInfo")
        return lambda signature, message: gm.sm2_verify(point, SM2_DEFAULT_ID, message, signature)
    raise Fail(path, "algorithm", f"{algorithm!r} is not an algorithm this verifier knows")


def check_signatures(
    directory: Path, manifest: dict, report: dict, entries: dict[int, dict], roots: list
) -> int:
    subject, suite = manifest["subject"], manifest["log"]["suite"]
    session_id, draft = subject["session_id"], report.get("draft_sha256")
    report_field = digest_name(suite, "report")
    by_seat: dict[int, tuple[int, dict]] = {}
    for index, entry in sorted(entries.items()):
        data = entry.get("data") or {}
        if (
            entry["type"] == "session.signature"
            and of_session(entry, session_id)
            and data.get(report_field) == draft
        ):
            by_seat[data.get("seat")] = (index, entry)
    seat_files = {
        int(m.group(1)): path for path in manifest["files"] if (m := SEAT_FILE.fullmatch(path))
    }
    signed = 0
    seats = report.get("seats")
    if not isinstance(seats, list):
        raise Fail("report.json", "seats", "is not a list")
    for k, seat in enumerate(seats):
        if not isinstance(seat, dict) or seat.get("state") != "active":
            continue
        decision = seat.get("signature")
        if decision not in ("agree", "dissent"):
            continue
        number = seat.get("seat")
        if number not in by_seat:
            raise Fail(
                "report.json",
                f"seats[{k}].signature",
                f"seat {number}'s decision has no session.signature entry in the package",
            )
        index, entry = by_seat[number]
        data = entry.get("data") or {}
        if data.get("signature") != decision:
            raise Fail(
                "report.json",
                f"seats[{k}].signature",
                f"is {decision!r}, entries/{index}.json records {data.get('signature')!r}",
            )
        if "member_signature_sha256" not in data:
            if number in seat_files:
                raise Fail(
                    seat_files[number],
                    "entry_index",
                    f"no session.signature entry of seat {number} records a member signature",
                )
            continue
        path = f"signatures/seat-{number}.json"
        if number not in seat_files:
            raise Fail(path, "missing", f"the session.signature entry {index} records a member signature")
        record = check_member_signature(directory, path, number, decision, seat, index, entry, session_id, draft)
        check_certificate_chain(directory, manifest, path, record, roots)
        signed += 1
        del seat_files[number]
    for number, path in sorted(seat_files.items()):
        raise Fail(path, "entry_index", f"no session.signature entry of seat {number} records a member signature")
    return signed


def check_member_signature(directory, path, number, decision, seat, index, entry, session_id, draft) -> None:
    record = read_canonical(directory, path)
    optional = {name: kind for name, kind in CERTIFICATE_FIELDS.items() if name in record}
    check_fields(path, record, {**SIGNATURE_FIELDS, **optional})
    data, refs = entry.get("data") or {}, entry.get("refs") or {}
    expected = {"session": session_id, "seat": number, "report_sha256": draft, "entry_index": index}
    for field, value in expected.items():
        if record[field] != value:
            raise Fail(path, field, f"is {record[field]!r}, expected {value!r}")
    if record["agree"] != (decision == "agree"):
        raise Fail(path, "agree", f"does not match report.json's decision for seat {number} ({decision})")
    if record["reasons"] != seat.get("dissent_reasons"):
        raise Fail(path, "reasons", f"does not match report.json's dissent_reasons for seat {number}")
    if record["key_kind"] not in KEY_KINDS:
        raise Fail(path, "key_kind", f"{record['key_kind']!r} is not a kind of signing key")
    if record["signed_at"] != entry.get("time"):
        raise Fail(path, "signed_at", f"is not entries/{index}.json time (when the log recorded it)")
    if record["key_id"] != refs.get("signing_key"):
        raise Fail(path, "key_id", f"is not entries/{index}.json refs.signing_key")
    try:
        spki = base64.b64decode(record["public_key"], validate=True)
        value = base64.b64decode(record["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise Fail(path, "public_key or signature", "is not base64") from None
    if sha256_hex(spki) != record["key_fingerprint"]:
        raise Fail(path, "key_fingerprint", "is not the SHA-256 of public_key")
    if record["key_fingerprint"] != data.get("signing_key_fingerprint"):
        raise Fail(path, "key_fingerprint", f"is not entries/{index}.json data.signing_key_fingerprint")
    message = canonical(
        {
            "session": session_id,
            "seat": number,
            "report_sha256": draft,
            "agree": record["agree"],
            "reasons": record["reasons"],
        }
    )
    if sha256_hex(message) != data.get("signed_sha256"):
        raise Fail(path, "signed decision", f"its digest is not entries/{index}.json data.signed_sha256")
    if sha256_hex(value) != data.get("member_signature_sha256"):
        raise Fail(path, "signature", f"its digest is not entries/{index}.json data.member_signature_sha256")
    verify = public_key_verifier(path, record["algorithm"], spki)
    if not verify(value, message):
        raise Fail(path, "signature", "does not verify with public_key over the signed decision")
    return record


def load_roots(paths: list[Path]) -> list:
    roots = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Unusable(f"cannot read the CA root {path}: {error}") from None
        try:
            roots += x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise Unusable(f"{path} holds no X.509 certificate") from None
    return roots


SM2_WITH_SM3 = "1.2.156.10197.1.501"


def der_elements(data: bytes) -> list[bytes]:
    """The TLVs (whole) one after another in `data`: enough DER to find a certificate's SPKI."""
    elements, offset = [], 0
    while offset < len(data):
        length, header = data[offset + 1], 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[offset + 2 : offset + 2 + count], "big")
            header += count
        elements.append(data[offset : offset + header + length])
        offset += header + length
    return elements


def der_content(element: bytes) -> bytes:
    length = element[1]
    return element[2 + (length & 0x7F if length & 0x80 else 0) :]


def certificate_spki(certificate) -> bytes:
    """The SubjectPublicKeyInfo DER of a certificate, whatever its key (cryptography reads no
    SM2 key): the seventh field of the TBSCertificate, counting the explicit version."""
    tbs = der_elements(der_content(certificate.tbs_certificate_bytes))
    if tbs[0][0] != 0xA0:
        tbs = [b""] + tbs
    return tbs[6]


def sm2_fixed(signature: bytes) -> bytes:
    """An X.509 SM2 signature, DER SEQUENCE { r, s }, as r ‖ s."""
    r, s = (der_content(element) for element in der_elements(der_content(signature)))
    return b"".join(value[-32:].rjust(32, b"\0") for value in (r, s))


def sm2_signed(issuer, tbs: bytes, signature: bytes) -> bool:
    point = certificate_spki(issuer)[-65:]
    try:
        return gm.sm2_verify(point, SM2_DEFAULT_ID, tbs, sm2_fixed(signature))
    except (IndexError, ValueError):
        return False


def issued_by(certificate, issuer) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    if certificate.signature_algorithm_oid.dotted_string == SM2_WITH_SM3:
        return sm2_signed(issuer, certificate.tbs_certificate_bytes, certificate.signature)
    try:
        certificate.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def crl_signed_by(crl, issuer) -> bool:
    if crl.signature_algorithm_oid.dotted_string == SM2_WITH_SM3:
        return sm2_signed(issuer, crl.tbs_certlist_bytes, crl.signature)
    try:
        return crl.is_signature_valid(issuer.public_key())
    except (ValueError, TypeError):
        return False


def check_certificate_chain(directory: Path, manifest: dict, path: str, record: dict, roots: list) -> None:
    """Section 5a: a certificate key's chain, as of signed_at, up to a root given with --ca."""
    if record["key_kind"] != "certificate":
        if "certificate_chain" in record or "certificate_authority" in record:
            raise Fail(path, "certificate_chain", f"a {record['key_kind']} key's signature carries no chain")
        return
    if "certificate_chain" not in record or "certificate_authority" not in record:
        raise Fail(path, "certificate_chain", "missing: a certificate key's signature carries it")
    if not record["certificate_chain"]:
        raise Fail(path, "certificate_chain", "is empty")
    chain = []
    for k, text in enumerate(record["certificate_chain"]):
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError, TypeError):
            raise Fail(path, f"certificate_chain[{k}]", "is not a base64 DER X.509 certificate") from None
    try:
        at = datetime.fromisoformat(record["signed_at"].replace("Z", "+00:00"))
    except ValueError:
        raise Fail(path, "signed_at", "is not an RFC 3339 time") from None
    leaf = chain[0]
    spki = base64.b64decode(record["public_key"])
    if certificate_spki(leaf) != spki:
        raise Fail(path, "certificate_chain[0]", "certifies another key than public_key")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        signs = usage.digital_signature or usage.content_commitment
    except x509.ExtensionNotFound:
        signs = False
    if not signs:
        raise Fail(path, "certificate_chain[0]", "key usage allows neither digitalSignature nor nonRepudiation")
    for k, certificate in enumerate(chain):
        if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
            raise Fail(path, f"certificate_chain[{k}]", "was not valid at signed_at")
    for k in range(1, len(chain)):
        try:
            ca = chain[k].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            ca = False
        if not ca:
            raise Fail(path, f"certificate_chain[{k}]", "is not a CA certificate")
        if not issued_by(chain[k - 1], chain[k]):
            raise Fail(path, f"certificate_chain[{k - 1}]", f"is not signed by certificate_chain[{k}]")
    last = len(chain) - 1
    if not roots:
        raise Fail(path, "certificate_chain", "no CA root was given to anchor it (--ca)")
    root = next((root for root in roots if issued_by(chain[last], root)), None)
    if root is None:
        raise Fail(path, f"certificate_chain[{last}]", "is not issued by any CA root given (--ca)")
    if not root.not_valid_before_utc <= at <= root.not_valid_after_utc:
        raise Fail(path, f"certificate_chain[{last}]", "its issuer's root was not valid at signed_at")
    crls = []
    for name in sorted(manifest["files"]):
        if CRL_FILE.fullmatch(name):
            try:
                crls.append((name, x509.load_der_x509_crl((directory / name).read_bytes())))
            except ValueError:
                raise Fail(name, "", "is not a DER X.509 CRL") from None
    for k, certificate in enumerate(chain):
        issuer = chain[k + 1] if k + 1 < len(chain) else root
        covered = False
        for name, crl in crls:
            if crl.issuer != issuer.subject:
                continue
            if not crl_signed_by(crl, issuer):
                raise Fail(name, "signature", f"is not the signature of certificate_chain[{k}]'s issuer")
            covered = True
            revoked = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if revoked is not None and revoked.revocation_date_utc <= at:
                raise Fail(path, f"certificate_chain[{k}]", f"was revoked at {revoked.revocation_date_utc} ({name}), at or before signed_at")
        if not covered:
            raise Fail(path, f"certificate_chain[{k}]", "no CRL of its issuer is in the package (crls/)")


# --- steps 7 to 9: draw records, events, the readable report -------------------------------


def check_draws(directory: Path, manifest: dict, vkey_text: str) -> None:
    draws = [path for path in manifest["files"] if DRAW_FILE.fullmatch(path)]
    if len(draws) != 1:
        raise Fail("draws", "", f"the package holds {len(draws)} draw records, not one")
    path = draws[0]
    try:
        document = draw_verify.read_json((directory / path).read_bytes())
        keys = [draw_verify.VerifierKey(vkey_text)]
    except ValueError as error:
        raise Fail(path, "", f"is not JSON ({error})") from None
    draw_verify.CURRENT["log"] = keys[0].suite
    draw_verify.use_suite(keys[0].suite)
    try:
        draw_verify.verify_any_published(document, keys)
    except draw_verify.Failure as failure:
        raise Fail(path, "", str(failure)) from None
    record = json.loads((directory / path).read_bytes())
    root = record.get("root_draw_id") or (record.get("draw") or {}).get("draw_id")
    if DRAW_FILE.fullmatch(path).group(1) != root:
        raise Fail(path, "root_draw_id", f"the file is named for another draw than {root!r}")
    drawn = {record.get("root_draw_id")} | {d.get("draw_id") for d in record.get("draws") or []}
    drawn.add((record.get("draw") or {}).get("draw_id"))
    if manifest["subject"]["draw_id"] not in drawn:
        raise Fail(path, "draw_id", f"the record does not hold the subject's draw {manifest['subject']['draw_id']!r}")


def check_events(directory: Path, manifest: dict) -> None:
    events = read_canonical(directory, "events.json")
    check_fields("events.json", events, {"session_id": str, "events": list})
    if events["session_id"] != manifest["subject"]["session_id"]:
        raise Fail("events.json", "session_id", "is not the subject's session")
    for number, event in enumerate(events["events"], 1):
        if not isinstance(event, dict) or event.get("seq") != number:
            raise Fail("events.json", f"events[{number - 1}].seq", f"is not {number}: events are missing or out of order")


DIGEST_KEYWORD = "sealdraw-report-digest:"


def pdf_info_keywords(pdf: bytes) -> str | None:
    """The /Keywords of the document information dictionary, found the way a PDF reader finds
    it (the last startxref, the cross-reference table, the trailer's /Info, that object), so
    that a digest written anywhere else in the file is not taken for the embedded one."""
    at = pdf.rfind(b"startxref")
    match = re.match(rb"startxref\s+(\d+)", pdf[at:]) if at >= 0 else None
    if match is None:
        return None
    position = int(match.group(1))
    if not pdf.startswith(b"xref", position):
        return None
    offsets: dict[int, tuple[int, int]] = {}
    lines = iter(re.split(rb"\r\n|\r|\n", pdf[position + 4 :]))
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith(b"trailer"):
            break
        first, _, count = line.partition(b" ")
        if not (first.isdigit() and count.strip().isdigit()):
            return None
        for number in range(int(first), int(first) + int(count)):
            fields = next(lines, b"").split()
            if len(fields) == 3 and fields[2] == b"n":
                offsets[number] = (int(fields[0]), int(fields[1]))
    trailer_at = pdf.find(b"trailer", position)
    info = re.search(rb"/Info\s+(\d+)\s+(\d+)\s+R", pdf[trailer_at : pdf.find(b"startxref", trailer_at)])
    if trailer_at < 0 or info is None:
        return None
    number, generation = int(info.group(1)), int(info.group(2))
    if offsets.get(number, (None, None))[1] != generation:
        return None
    offset = offsets[number][0]
    header = f"{number} {generation} obj".encode()
    if not pdf.startswith(header, offset):
        return None
    dictionary = pdf[offset : pdf.find(b"endobj", offset)]
    keywords = re.search(rb"/Keywords\s*\(((?:[^()\\]|\\.)*)\)", dictionary)
    return keywords.group(1).decode("latin-1") if keywords else None


def check_pdf(directory: Path, manifest: dict, font: Path | None) -> None:
    if font is not None:
        try:
            font_bytes = font.read_bytes()
        except OSError as error:
            raise Unusable(f"cannot read the font {font}: {error}") from None
        if sha256_hex(font_bytes) != manifest["font_sha256"]:
            raise Fail("report.pdf", "font_sha256", "the font given is not the one the package was rendered with")
    pdf = (directory / "report.pdf").read_bytes()
    keywords = pdf_info_keywords(pdf) or ""
    found = [word[len(DIGEST_KEYWORD) :] for word in re.split(r"[, ]", keywords) if word.startswith(DIGEST_KEYWORD)]
    if len(found) != 1:
        raise Fail("report.pdf", "embedded digest", "the PDF does not embed one report digest in its Info /Keywords")
    if found[0] != manifest["report_digest"]:
        raise Fail("report.pdf", "embedded digest", "is not report.json's digest: the PDF is of another report")


def verify(directory: Path, vkey_text: str, font: Path | None, ca_paths: list[Path] = ()) -> str:
    if not directory.is_dir():
        raise Unusable(f"{directory} is not a directory")
    try:
        key = verify_log.VerifierKey.parse(vkey_text)
    except verify_log.InputError as error:
        raise Unusable(f"unusable log key: {error}") from None
    verify_log.use_suite(key.suite)
    roots = load_roots(list(ca_paths))
    manifest = check_manifest(directory, key)
    check_files(directory, manifest)
    checkpoint_raw, checkpoint = check_checkpoint(directory, manifest, key)
    entries = check_entries(directory, manifest, checkpoint_raw, checkpoint)
    package_id = sha256_hex((directory / "manifest.json").read_bytes())
    signed = 0
    if manifest["subject"]["kind"] == "session":
        report, _ = check_report(directory, manifest, entries)
        signed = check_signatures(directory, manifest, report, entries, roots)
    check_draws(directory, manifest, vkey_text)
    if manifest["subject"]["kind"] == "session":
        check_events(directory, manifest)
        check_pdf(directory, manifest, font)
        what = f"session {manifest['subject']['session_id']}, {signed} signatures"
    else:
        what = f"draw {manifest['subject']['draw_id']}"
    return f"OK archive {package_id}: {what}, {len(entries)} entries under checkpoint size {checkpoint.size}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--key", required=True, help="the log's verifier key, or a file holding it")
    parser.add_argument("--font", type=Path, help="the font the readable report was rendered in")
    parser.add_argument("--ca", type=Path, action="append", default=[], help="a CA root anchoring members' certificates")
    arguments = parser.parse_args(argv)
    key_path = Path(arguments.key)
    try:
        vkey_text = key_path.read_text(encoding="utf-8").strip() if key_path.is_file() else arguments.key
        print(verify(arguments.dir, vkey_text, arguments.font, arguments.ca))
    except Fail as failure:
        print(f"FAIL {failure}")
        return 1
    except (Unusable, OSError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
