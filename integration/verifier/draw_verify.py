#!/usr/bin/env python3
"""Independent verifier for sealdraw draws (algorithm "sealdraw-draw-v1").

Written from docs/DRAW-SPEC.md alone, using only the Python standard library
(hashlib, hmac, json, base64), so that a bug in the server's Rust implementation
is not silently shared by its verifier. The published record's log proofs are
checked from the public specifications too: Ed25519 from RFC 8032 section 5.1,
C2SP signed-note, tlog-checkpoint and tlog-proof, RFC 6962/9162 inclusion.

Commands:
  record FILE    Verify a verification record (spec section 9).
  vectors FILE   Recompute every test vector (spec section 11) from its inputs,
                 compare every expected value, and verify its record.
  published FILE VKEY [VKEY ...]
                 Verify a published draw record (spec section 9a) against the
                 audit log's verifier keys (signed-note vkeys, as
                 `sealdraw audit key` prints them; the first key's name is the
                 log's origin).
  selftest       Check the Ed25519 code against RFC 8032 section 7.1 tests 1-3.

Output: "OK ..." and exit 0; or the first failure as
"MISMATCH <field>: <detail>" / "MALFORMED <field>: <detail>" and exit 1;
exit 2 when the input cannot be read at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import sys

ALGORITHM = "sealdraw-draw-v1"
TAG_TOKEN = b"sealdraw-draw-v1/token"
TAG_SECRET_COMMITMENT = b"sealdraw-draw-v1/secret-commitment"
TAG_SEED = b"sealdraw-draw-v1/seed"
TAG_RANK = b"sealdraw-draw-v1/rank"
MAX_CONTRIBUTIONS = 16
MAX_CONTRIBUTION_LEN = 1024
MAX_INTENT_LEN = 65535
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1


class Failure(Exception):
    """A verification failure: kind is MISMATCH or MALFORMED, field a JSON path."""

    def __init__(self, kind: str, field: str, detail: str):
        super().__init__(f"{kind} {field}: {detail}")
        self.kind = kind
        self.field = field


def mismatch(field: str, detail: str) -> Failure:
    return Failure("MISMATCH", field, detail)


def malformed(field: str, detail: str) -> Failure:
    return Failure("MALFORMED", field, detail)


# --- section 2: encodings ----------------------------------------------------


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def lp(data: bytes) -> bytes:
    return u64(len(data)) + data


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


# --- section 4: tokens and the eligible root ---------------------------------


def token(token_key: bytes, draw_id: str, expert_id: str) -> bytes:
    message = lp(TAG_TOKEN) + lp(draw_id.encode("utf-8")) + lp(expert_id.encode("utf-8"))
    return hmac_sha256(token_key, message)


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over raw leaf entries."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


# --- section 5: the intent -----------------------------------------------------


def secret_commitment(secret: bytes) -> bytes:
    return sha256(lp(TAG_SECRET_COMMITMENT) + lp(secret))


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def intent_hash(intent: dict) -> bytes:
    return sha256(b"\x00" + canonical_json(intent))


# --- sections 6 and 7: seed and ranking ------------------------------------------


def seed_of(secret: bytes, intent_digest: bytes, contributions: list[bytes]) -> bytes:
    message = lp(TAG_SEED) + lp(intent_digest) + u64(len(contributions))
    for contribution in contributions:
        message += lp(contribution)
    return hmac_sha256(secret, message)


def score(seed: bytes, index: int, tok: bytes) -> bytes:
    return hmac_sha256(seed, lp(TAG_RANK) + u64(index) + lp(tok))


def ranking(seed: bytes, index: int, tokens: list[bytes]) -> list[bytes]:
    return sorted(tokens, key=lambda t: (score(seed, index, t), t))


def select(seed: bytes, strata: list[tuple[int, int, list[bytes]]]) -> list[tuple[list, list]]:
    taken: set[bytes] = set()
    results = []
    for index, (k, m, tokens) in enumerate(strata):
        order = [t for t in ranking(seed, index, tokens) if t not in taken]
        drawn, reserves = order[:k], order[k : k + m]
        taken.update(drawn)
        taken.update(reserves)
        results.append((drawn, reserves))
    return results


# --- section 8: rules checked before randomness ----------------------------------


def check_strata(multiple: int, strata: list[tuple[int, int, list[bytes]]]) -> None:
    earlier: set[bytes] = set()
    taken_before = 0
    for j, (k, m, tokens) in enumerate(strata):
        eligible = len(tokens)
        needed = k + m
        required = multiple * needed
        if eligible < required:
            raise mismatch(
                f"strata[{j}]",
                f"{eligible} eligible, fewer than {multiple} x (k {k} + m {m}) = {required}",
            )
        shared = sum(1 for t in tokens if t in earlier)
        if eligible - min(shared, taken_before) < needed:
            raise mismatch(
                f"strata[{j}]",
                f"{eligible} eligible, {shared} shared with earlier strata taking up to "
                f"{taken_before}; fewer than {needed} might remain",
            )
        earlier.update(tokens)
        taken_before += needed


# --- section 9: parsing a record strictly ----------------------------------------


def fields(value, path: str, names: list[str]) -> dict:
    if not isinstance(value, dict):
        raise malformed(path or "$", "expected an object")
    for name in names:
        if name not in value:
            raise malformed(path or "$", f"missing field {name}")
    for name in value:
        if name not in names:
            raise malformed(path or "$", f"unknown field {name}")
    return value


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def integer(value, path: str, maximum: int) -> int:
    if type(value) is not int or not 0 <= value <= maximum:
        raise malformed(path, f"expected an integer from 0 to {maximum}")
    return value


def string(value, path: str) -> str:
    if not isinstance(value, str):
        raise malformed(path, "expected a string")
    return value


def array(value, path: str) -> list:
    if not isinstance(value, list):
        raise malformed(path, "expected an array")
    return value


def hex_bytes(value, path: str, length: int | None = None) -> bytes:
    text = string(value, path)
    if len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise malformed(path, "expected lowercase hex")
    if length is not None and len(text) != 2 * length:
        raise malformed(path, f"expected {2 * length} lowercase hex digits")
    return bytes.fromhex(text)


RECORD_FIELDS = [
    "algorithm", "draw_id", "pool_snapshot", "filter_sha256", "min_multiple",
    "secret_commitment", "strata", "intent_hash", "contributions", "secret", "seed", "result",
]
STRATUM_FIELDS = ["prefixes", "k", "m", "eligible_count", "eligible_root", "tokens"]
RESULT_FIELDS = ["drawn", "reserves"]


def parse_record(data) -> dict:
    fields(data, "", RECORD_FIELDS)
    record = {
        "algorithm": string(data["algorithm"], "algorithm"),
        "draw_id": string(data["draw_id"], "draw_id"),
        "pool_snapshot": string(data["pool_snapshot"], "pool_snapshot"),
        "filter_sha256": hex_bytes(data["filter_sha256"], "filter_sha256", 32),
        "min_multiple": integer(data["min_multiple"], "min_multiple", U32_MAX),
        "secret_commitment": hex_bytes(data["secret_commitment"], "secret_commitment", 32),
        "intent_hash": hex_bytes(data["intent_hash"], "intent_hash", 32),
        "secret": hex_bytes(data["secret"], "secret", 32),
        "seed": hex_bytes(data["seed"], "seed", 32),
        "strata": [],
        "contributions": [],
        "result": [],
    }
    for i, raw in enumerate(array(data["strata"], "strata")):
        path = f"strata[{i}]"
        fields(raw, path, STRATUM_FIELDS)
        prefixes = array(raw["prefixes"], child(path, "prefixes"))
        record["strata"].append({
            "prefixes": [string(p, f"{path}.prefixes[{j}]") for j, p in enumerate(prefixes)],
            "k": integer(raw["k"], child(path, "k"), U32_MAX),
            "m": integer(raw["m"], child(path, "m"), U32_MAX),
            "eligible_count": integer(raw["eligible_count"], child(path, "eligible_count"), U64_MAX),
            "eligible_root": hex_bytes(raw["eligible_root"], child(path, "eligible_root"), 32),
            "tokens": [
                hex_bytes(t, f"{path}.tokens[{j}]", 32)
                for j, t in enumerate(array(raw["tokens"], child(path, "tokens")))
            ],
        })
    for i, raw in enumerate(array(data["contributions"], "contributions")):
        record["contributions"].append(hex_bytes(raw, f"contributions[{i}]"))
    for i, raw in enumerate(array(data["result"], "result")):
        path = f"result[{i}]"
        fields(raw, path, RESULT_FIELDS)
        record["result"].append({
            name: [
                hex_bytes(t, f"{path}.{name}[{j}]", 32)
                for j, t in enumerate(array(raw[name], child(path, name)))
            ]
            for name in RESULT_FIELDS
        })
    return record


def intent_of(record: dict) -> dict:
    """The intent object of section 5, rebuilt from a parsed record."""
    return {
        "algorithm": record["algorithm"],
        "draw_id": record["draw_id"],
        "filter_sha256": record["filter_sha256"].hex(),
        "min_multiple": record["min_multiple"],
        "pool_snapshot": record["pool_snapshot"],
        "secret_commitment": record["secret_commitment"].hex(),
        "strata": [
            {
                "eligible_count": s["eligible_count"],
                "eligible_root": s["eligible_root"].hex(),
                "k": s["k"],
                "m": s["m"],
                "prefixes": s["prefixes"],
            }
            for s in record["strata"]
        ],
    }


def compare_list(field: str, claimed: list[bytes], expected: list[bytes]) -> None:
    for j, (c, e) in enumerate(zip(claimed, expected)):
        if c != e:
            raise mismatch(f"{field}[{j}]", f"recomputed {e.hex()}")
    if len(claimed) != len(expected):
        raise mismatch(field, f"{len(claimed)} tokens, recomputed {len(expected)}")


def verify_record(record: dict) -> tuple[bytes, list]:
    """The checks of section 9, in order. Returns (seed, [(drawn, reserves)])."""
    if record["algorithm"] != ALGORITHM:
        raise mismatch("algorithm", f"expected {ALGORITHM!r}")
    if record["min_multiple"] < 1:
        raise malformed("min_multiple", "must be at least 1")
    if not record["strata"]:
        raise malformed("strata", "no strata")
    for i, s in enumerate(record["strata"]):
        if s["k"] < 1:
            raise malformed(f"strata[{i}].k", "must be at least 1")
        prefixes = [p.encode("utf-8") for p in s["prefixes"]]
        if (
            not prefixes
            or any(not p for p in prefixes)
            or any(a >= b for a, b in zip(prefixes, prefixes[1:]))
        ):
            raise malformed(
                f"strata[{i}].prefixes", "must be non-empty strings in strictly ascending order"
            )
        tokens = s["tokens"]
        for j in range(1, len(tokens)):
            if tokens[j - 1] >= tokens[j]:
                raise malformed(
                    f"strata[{i}].tokens[{j}]", "tokens must be in strictly ascending byte order"
                )
        if s["eligible_count"] != len(tokens):
            raise mismatch(
                f"strata[{i}].eligible_count",
                f"claims {s['eligible_count']}, tokens list {len(tokens)}",
            )
        if merkle_root(tokens) != s["eligible_root"]:
            raise mismatch(f"strata[{i}].eligible_root", "is not the Merkle root of the tokens")
    shapes = [(s["k"], s["m"], s["tokens"]) for s in record["strata"]]
    check_strata(record["min_multiple"], shapes)
    if secret_commitment(record["secret"]) != record["secret_commitment"]:
        raise mismatch("secret_commitment", "is not H(secret)")
    if len(canonical_json(intent_of(record))) > MAX_INTENT_LEN:
        raise malformed("$", f"the intent's canonical JSON is over {MAX_INTENT_LEN} bytes")
    digest = intent_hash(intent_of(record))
    if digest != record["intent_hash"]:
        raise mismatch("intent_hash", f"recomputed {digest.hex()}")
    contributions = record["contributions"]
    if len(contributions) > MAX_CONTRIBUTIONS:
        raise malformed("contributions", f"more than {MAX_CONTRIBUTIONS}")
    for i, c in enumerate(contributions):
        if not 1 <= len(c) <= MAX_CONTRIBUTION_LEN:
            raise malformed(f"contributions[{i}]", f"must be 1 to {MAX_CONTRIBUTION_LEN} bytes")
    seed = seed_of(record["secret"], digest, contributions)
    if seed != record["seed"]:
        raise mismatch("seed", f"recomputed {seed.hex()}")
    results = select(seed, shapes)
    if len(record["result"]) != len(results):
        raise mismatch(
            "result", f"{len(record['result'])} strata in result, {len(results)} drawn"
        )
    for i, (claimed, (drawn, reserves)) in enumerate(zip(record["result"], results)):
        compare_list(f"result[{i}].drawn", claimed["drawn"], drawn)
        compare_list(f"result[{i}].reserves", claimed["reserves"], reserves)
    return seed, results


# --- section 11: test vectors --------------------------------------------------------


def expect(field: str, actual, expected) -> None:
    if actual != expected:
        raise mismatch(field, f"recomputed {actual!r}, vector says {expected!r}")


def check_vector(n: int, vector: dict) -> None:
    where = f"vectors[{n}]"
    inputs, expected = vector["inputs"], vector["expected"]
    token_key = bytes.fromhex(inputs["token_key"])
    draw_id = inputs["draw_id"]
    secret = bytes.fromhex(inputs["secret"])
    contributions = [bytes.fromhex(c) for c in inputs["contributions"]]
    filter_sha256 = sha256(inputs["filter_canonical"].encode("utf-8"))
    expect(f"{where}.expected.filter_sha256", filter_sha256.hex(), expected["filter_sha256"])

    names = {}
    strata = []
    for s in inputs["strata"]:
        tokens = []
        for expert_id in s["expert_ids"]:
            t = token(token_key, draw_id, expert_id)
            names[t] = expert_id
            expect(f"{where}.expected.tokens.{expert_id}", t.hex(), expected["tokens"][expert_id])
            tokens.append(t)
        prefixes = sorted(set(s["prefixes"]), key=lambda p: p.encode("utf-8"))
        strata.append((prefixes, s["k"], s["m"], sorted(tokens)))
    expect(f"{where}.expected.tokens", len(names), len(expected["tokens"]))

    shapes = [(k, m, tokens) for (_, k, m, tokens) in strata]
    check_strata(inputs["min_multiple"], shapes)
    roots = [merkle_root(tokens) for (_, _, _, tokens) in strata]
    expect(f"{where}.expected.eligible_roots", [r.hex() for r in roots], expected["eligible_roots"])
    commitment = secret_commitment(secret)
    expect(f"{where}.expected.secret_commitment", commitment.hex(), expected["secret_commitment"])

    intent = {
        "algorithm": ALGORITHM,
        "draw_id": draw_id,
        "filter_sha256": filter_sha256.hex(),
        "min_multiple": inputs["min_multiple"],
        "pool_snapshot": inputs["pool_snapshot"],
        "secret_commitment": commitment.hex(),
        "strata": [
            {"eligible_count": len(tokens), "eligible_root": root.hex(), "k": k, "m": m,
             "prefixes": prefixes}
            for (prefixes, k, m, tokens), root in zip(strata, roots)
        ],
    }
    expect(f"{where}.expected.intent_json", canonical_json(intent).decode("utf-8"),
           expected["intent_json"])
    digest = intent_hash(intent)
    expect(f"{where}.expected.intent_hash", digest.hex(), expected["intent_hash"])
    seed = seed_of(secret, digest, contributions)
    expect(f"{where}.expected.seed", seed.hex(), expected["seed"])

    for i, (_, _, _, tokens) in enumerate(strata):
        ranked = [{"token": t.hex(), "score": score(seed, i, t).hex()}
                  for t in ranking(seed, i, tokens)]
        expect(f"{where}.expected.ranking[{i}]", ranked, expected["ranking"][i])
    results = select(seed, shapes)
    expect(f"{where}.expected.result",
           [{"drawn": [t.hex() for t in d], "reserves": [t.hex() for t in r]} for d, r in results],
           expected["result"])
    expect(f"{where}.expected.result_experts",
           [{"drawn": [names[t] for t in d], "reserves": [names[t] for t in r]}
            for d, r in results],
           expected["result_experts"])

    # The published record must verify and must say exactly what the inputs give.
    record = parse_record(vector["record"])
    record_seed, record_results = verify_record(record)
    expect(f"{where}.record.seed", record_seed, seed)
    expect(f"{where}.record.result", record_results, results)
    expect(f"{where}.record.intent", intent_of(record), intent)
    expect(f"{where}.record.contributions", record["contributions"], contributions)
    expect(f"{where}.record.tokens", [s["tokens"] for s in record["strata"]],
           [tokens for (_, _, _, tokens) in strata])


# --- RFC 8032 section 5.1: Ed25519 signature verification --------------------------
#
# Pure integer arithmetic on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over
# GF(p), points in extended coordinates (X:Y:Z:T) with x = X/Z, y = Y/Z, x*y = T/Z
# (section 5.1.4). Verification handles only public data, so constant time is not needed.

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
ED_D = -121665 * pow(121666, ED_P - 2, ED_P) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)  # a square root of -1 (section 5.1.3 step 3)


def ed_add(P: tuple, Q: tuple) -> tuple:
    """The unified addition formula of section 5.1.4 (also valid for doubling)."""
    x1, y1, z1, t1 = P
    x2, y2, z2, t2 = Q
    a = (y1 - x1) * (y2 - x2) % ED_P
    b = (y1 + x1) * (y2 + x2) % ED_P
    c = 2 * ED_D * t1 * t2 % ED_P
    dd = 2 * z1 * z2 % ED_P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % ED_P, g * h % ED_P, f * g % ED_P, e * h % ED_P)


ED_IDENTITY = (0, 1, 1, 0)


def ed_multiply(n: int, P: tuple) -> tuple:
    """[n]P by double-and-add over the bits of n, most significant first."""
    result = ED_IDENTITY
    for bit in bin(n)[2:] if n > 0 else "":
        result = ed_add(result, result)
        if bit == "1":
            result = ed_add(result, P)
    return result


def ed_equal(P: tuple, Q: tuple) -> bool:
    """Projective equality: X1/Z1 = X2/Z2 and Y1/Z1 = Y2/Z2."""
    return (P[0] * Q[2] - Q[0] * P[2]) % ED_P == 0 and (P[1] * Q[2] - Q[1] * P[2]) % ED_P == 0


def ed_recover_x(y: int, sign: int) -> int | None:
    """Section 5.1.3 steps 2-4: x from y and the sign bit, or None if there is none."""
    u = (y * y - 1) % ED_P
    v = (ED_D * y * y + 1) % ED_P
    # The candidate root x = u v^3 (u v^7)^((p-5)/8), since p = 5 (mod 8).
    x = u * pow(v, 3, ED_P) * pow(u * pow(v, 7, ED_P), (ED_P - 5) // 8, ED_P) % ED_P
    vxx = v * x * x % ED_P
    if vxx == u:
        pass
    elif vxx == (-u) % ED_P:
        x = x * ED_SQRT_M1 % ED_P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x % 2 != sign:
        x = ED_P - x
    return x


def ed_decode_point(encoded: bytes) -> tuple | None:
    """Section 5.1.3: 32 bytes, little-endian y with the sign of x in the top bit."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= ED_P:
        return None
    x = ed_recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % ED_P)


def ed_encode_point(P: tuple) -> bytes:
    """Section 5.1.2."""
    z_inverse = pow(P[2], ED_P - 2, ED_P)
    x, y = P[0] * z_inverse % ED_P, P[1] * z_inverse % ED_P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


# The base point B: y = 4/5 and x positive (even), section 5.1.
ED_B = ed_decode_point((4 * pow(5, ED_P - 2, ED_P) % ED_P).to_bytes(32, "little"))


def ed25519_public_key(secret: bytes) -> bytes:
    """Section 5.1.5, only for the self-test: the public key of a 32-byte private key."""
    h = bytearray(hashlib.sha512(secret).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return ed_encode_point(ed_multiply(int.from_bytes(h, "little"), ED_B))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Section 5.1.7."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    A = ed_decode_point(public_key)
    R = ed_decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if A is None or R is None or s >= ED_L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    k %= ED_L
    # The cofactored group equation [8][S]B = [8]R + [8][k]A.
    left = ed_multiply(8 * s, ED_B)
    right = ed_multiply(8, ed_add(R, ed_multiply(k, A)))
    return ed_equal(left, right)


# RFC 8032 section 7.1, TEST 1 to TEST 3: (secret key, public key, message, signature).
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def selftest() -> list[str]:
    """Every problem found; empty when the Ed25519 code reproduces RFC 8032."""
    problems = []
    for n, (secret, public, message, signature) in enumerate(RFC8032_VECTORS, start=1):
        secret_b, public_b = bytes.fromhex(secret), bytes.fromhex(public)
        message_b, signature_b = bytes.fromhex(message), bytes.fromhex(signature)
        if ed25519_public_key(secret_b) != public_b:
            problems.append(f"TEST {n}: the public key derived from the secret key differs")
        if not ed25519_verify(public_b, message_b, signature_b):
            problems.append(f"TEST {n}: the signature does not verify")
        if ed25519_verify(public_b, message_b + b"\x00", signature_b):
            problems.append(f"TEST {n}: the signature verifies for another message")
        flipped = bytearray(signature_b)
        flipped[n] ^= 0x10
        if ed25519_verify(public_b, message_b, bytes(flipped)):
            problems.append(f"TEST {n}: an altered signature verifies")
        # S + L is the same scalar; section 5.1.7 requires rejecting S >= L.
        malleable = signature_b[:32] + (int.from_bytes(signature_b[32:], "little") + ED_L).to_bytes(
            32, "little"
        )
        if ed25519_verify(public_b, message_b, malleable):
            problems.append(f"TEST {n}: a signature with S >= L verifies")
    return problems


# --- C2SP signed-note, tlog-checkpoint and tlog-proof -------------------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
ED25519_TYPE = 0x01
MAX_NOTE_BYTES = 256 * 1024
MAX_NOTE_SIGNATURES = 100
MAX_PROOF_BYTES = MAX_NOTE_BYTES + 64 * 1024
MAX_PROOF_HASHES = 64


class ProofSyntax(Exception):
    """A proof, note or checkpoint that does not follow its format: MALFORMED."""


class ProofInvalid(Exception):
    """A well-formed proof that does not verify: MISMATCH."""


def canonical_b64(text: str, what: str) -> bytes:
    """RFC 4648 section 4 base64 with its one canonical spelling (padding, zero bits)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofSyntax(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ProofSyntax(f"{what} is not canonical base64")
    return raw


def canonical_decimal(text: str, what: str) -> int:
    if (
        not text
        or any(c not in "0123456789" for c in text)
        or (len(text) > 1 and text[0] == "0")
        or int(text) > U64_MAX
    ):
        raise ProofSyntax(f"{what} is not a decimal without leading zeroes below 2^64")
    return int(text)


def valid_key_name(name: str) -> bool:
    return bool(name) and not any(c.isspace() or c == "+" or c < " " for c in name)


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """signed-note: SHA-256(name || 0x0A || type || public key)[:4]."""
    return sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key)[:4]


class VerifierKey:
    """A log's Ed25519 verifier key, `name+hex key id+base64(0x01 || public key)`."""

    def __init__(self, vkey: str):
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise ValueError("expected name+keyid+keydata")
        name, id_hex, key_data = parts
        if not valid_key_name(name):
            raise ValueError(f"invalid key name {name!r}")
        if len(id_hex) != 8 or any(c not in "0123456789abcdefABCDEF" for c in id_hex):
            raise ValueError("the key id is not 8 hex digits")
        try:
            data = canonical_b64(key_data, "the key data")
        except ProofSyntax as error:
            raise ValueError(str(error)) from None
        if len(data) != 33 or data[0] != ED25519_TYPE:
            raise ValueError("not an Ed25519 key (type 0x01 and 32 bytes)")
        self.name = name
        self.public_key = data[1:]
        self.key_id = key_id(name, ED25519_TYPE, self.public_key)
        if self.key_id != bytes.fromhex(id_hex):
            raise ValueError("the key id does not match the name and public key")


def parse_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """signed-note: (text, [(key name, key id, signature)]), strictly."""
    if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise ProofSyntax("the checkpoint note is too large")
    if any(c < " " and c != "\n" for c in note):
        raise ProofSyntax("the checkpoint note contains a control character")
    # Signature lines are never empty, so the last blank line separates text and signatures.
    separator = note.rfind("\n\n")
    if separator < 0:
        raise ProofSyntax("the checkpoint note has no blank line before its signatures")
    text, block = note[: separator + 1], note[separator + 2 :]
    if not block:
        raise ProofSyntax("the checkpoint note has no signatures")
    if not block.endswith("\n"):
        raise ProofSyntax("the checkpoint note's last signature line has no newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise ProofSyntax("the checkpoint note has too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or " " not in line[len(SIGNATURE_PREFIX) :]:
            raise ProofSyntax("a signature line is not '\u2014 name signature'")
        name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ", 1)
        if not valid_key_name(name):
            raise ProofSyntax(f"a signature line names an invalid key {name!r}")
        blob = canonical_b64(encoded, "a signature")
        if len(blob) <= 4:
            raise ProofSyntax("a signature is no longer than its key id")
        signatures.append((name, blob[:4], blob[4:]))
    return text, signatures


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """tlog-checkpoint: (origin, tree size, root hash); extension lines are ignored."""
    if not text.endswith("\n"):
        raise ProofSyntax("the checkpoint does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ProofSyntax("the checkpoint needs an origin, a size and a root hash line")
    if any(not line for line in lines):
        raise ProofSyntax("the checkpoint has an empty line")
    root = canonical_b64(lines[2], "the checkpoint's root hash")
    if len(root) != 32:
        raise ProofSyntax("the checkpoint's root hash is not 32 bytes")
    return lines[0], canonical_decimal(lines[1], "the checkpoint's tree size"), root


def parse_proof(text: str) -> dict:
    """tlog-proof: the extra data (or None), index, inclusion proof and checkpoint note."""
    if len(text.encode("utf-8")) > MAX_PROOF_BYTES:
        raise ProofSyntax("the proof is too large")
    # Header lines are never empty, so the first blank line ends them.
    if "\n\n" not in text:
        raise ProofSyntax("no blank line before the checkpoint")
    header, note = text.split("\n\n", 1)
    lines = header.split("\n")
    if lines[0] != PROOF_HEADER:
        raise ProofSyntax(f"the first line is not {PROOF_HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = canonical_b64(rest[0][len("extra ") :], "the extra data")
        if not extra:
            raise ProofSyntax("the extra data is empty")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise ProofSyntax("the index line is missing")
    index = canonical_decimal(rest[0][len("index ") :], "the index")
    if len(rest) - 1 > MAX_PROOF_HASHES:
        raise ProofSyntax("the inclusion proof has too many hashes")
    path = []
    for line in rest[1:]:
        digest = canonical_b64(line, "an inclusion proof hash")
        if len(digest) != 32:
            raise ProofSyntax("an inclusion proof hash is not 32 bytes")
        path.append(digest)
    checkpoint_text, _ = parse_note(note)
    parse_checkpoint(checkpoint_text)
    return {"extra": extra, "index": index, "path": path, "note": note}


def open_checkpoint(note: str, keys: list[VerifierKey]) -> tuple[int, bytes]:
    """The (size, root) of a checkpoint signed by one of the keys, for the first key's origin.

    As signed-note says: signatures by unknown keys are ignored, a signature by a known key
    that does not verify rejects the note, and at least one known key must have signed.
    """
    text, signatures = parse_note(note)
    verified = False
    for name, kid, signature in signatures:
        for key in keys:
            if key.name == name and key.key_id == kid:
                if not ed25519_verify(key.public_key, text.encode("utf-8"), signature):
                    raise ProofInvalid(f"the checkpoint signature by {name} does not verify")
                verified = True
    if not verified:
        raise ProofInvalid("the checkpoint carries no valid signature from a trusted key")
    origin, size, root = parse_checkpoint(text)
    if not keys or origin != keys[0].name:
        raise ProofInvalid(f"the checkpoint is for origin {origin!r}, not the key's")
    return size, root


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise ProofInvalid(f"index {index} is outside the tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofInvalid("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("the inclusion proof is too short")
    return r


# --- section 9a: the published record ------------------------------------------------

PUBLISHED_FORMAT = "sealdraw-draw-record-v1"
PUBLISHED_FIELDS = ["format", "draw", "intent_proof", "result_proof", "replacement_proofs"]
I64_MIN = -(2**63)


def within_draw(failure: Failure) -> Failure:
    field = "draw" if failure.field in ("$", "") else f"draw.{failure.field}"
    return Failure(failure.kind, field, str(failure).split(": ", 1)[1])


def strict_json(raw: bytes):
    """JSON without duplicate keys, floats or integers beyond 64 bits (what an entry holds)."""

    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)

    def number(text):
        raise ValueError(f"{text} is not an integer")

    def integer(text):
        value = int(text)
        if not I64_MIN <= value <= U64_MAX:
            raise ValueError(f"{text} does not fit in 64 bits")
        return value

    return json.loads(
        raw.decode("utf-8"),
        object_pairs_hook=pairs,
        parse_float=number,
        parse_int=integer,
        parse_constant=number,
    )


def open_entry(field: str, text: str, keys: list[VerifierKey]) -> dict:
    """Step 3 for one proof; returns the entry with its log index and checkpoint size."""
    try:
        proof = parse_proof(text)
        if proof["extra"] is None:
            raise ProofSyntax("the proof carries no entry (no extra data)")
    except ProofSyntax as error:
        raise malformed(field, str(error)) from None
    try:
        size, root = open_checkpoint(proof["note"], keys)
        leaf = sha256(b"\x00" + proof["extra"])
        if root_from_inclusion_proof(proof["index"], size, leaf, proof["path"]) != root:
            raise ProofInvalid("the inclusion proof does not lead to the checkpoint's root")
    except ProofInvalid as error:
        raise mismatch(field, str(error)) from None
    except ProofSyntax as error:
        raise malformed(field, str(error)) from None
    raw = proof["extra"]
    if len(raw) > MAX_INTENT_LEN:
        # The log's entry bundles carry at most 65,535 bytes per entry.
        raise malformed(field, f"the entry is over {MAX_INTENT_LEN} bytes")
    try:
        entry = strict_json(raw)
        canonical = canonical_json(entry)
    except (UnicodeError, ValueError, RecursionError) as error:
        raise malformed(field, f"the entry is not JSON: {error}") from None
    if canonical != raw:
        raise malformed(field, "the entry is not canonical JSON")
    if not (
        isinstance(entry, dict)
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("refs"), dict)
        and isinstance(entry.get("data"), dict)
    ):
        raise malformed(field, "the entry needs a string type and objects refs and data")
    return {
        "field": field,
        "index": proof["index"],
        "size": size,
        "type": entry["type"],
        "refs": entry["refs"],
        "data": entry["data"],
    }


def check_header(entry: dict, kind: str, draw_id: str, after: dict | None) -> None:
    field = entry["field"]
    if entry["type"] != kind:
        raise mismatch(field, f"the entry's type is {entry['type']!r}, expected {kind!r}")
    if entry["refs"].get("draw") != draw_id:
        raise mismatch(field, f"the entry's refs.draw is not {draw_id!r}")
    if after is not None and entry["index"] <= after["index"]:
        raise mismatch(
            field,
            f"the entry is at log index {entry['index']}, not after {after['field']} "
            f"(index {after['index']})",
        )


def data_field(entry: dict, name: str):
    if name not in entry["data"]:
        raise malformed(entry["field"], f"the entry has no data.{name}")
    return entry["data"][name]


def verify_published(data, keys: list[VerifierKey]) -> str:
    """The checks of section 9a, in order. Returns the summary line."""
    fields(data, "", PUBLISHED_FIELDS)
    string(data["format"], "format")
    string(data["intent_proof"], "intent_proof")
    string(data["result_proof"], "result_proof")
    replacement_proofs = [
        string(p, f"replacement_proofs[{i}]")
        for i, p in enumerate(array(data["replacement_proofs"], "replacement_proofs"))
    ]
    try:
        record = parse_record(data["draw"])
    except Failure as failure:
        raise within_draw(failure) from None
    # 1 and 2: the format, then the draw itself (section 9).
    if data["format"] != PUBLISHED_FORMAT:
        raise mismatch("format", f"expected {PUBLISHED_FORMAT!r}")
    try:
        verify_record(record)
    except Failure as failure:
        raise within_draw(failure) from None
    draw = data["draw"]
    draw_id = record["draw_id"]

    # 3: every proof, before any entry's content.
    intent = open_entry("intent_proof", data["intent_proof"], keys)
    result = open_entry("result_proof", data["result_proof"], keys)
    replacements = [
        open_entry(f"replacement_proofs[{i}]", text, keys)
        for i, text in enumerate(replacement_proofs)
    ]

    # 4: the intent entry commits to exactly this draw's intent.
    check_header(intent, "draw.intent", draw_id, None)
    logged = data_field(intent, "intent")
    if sha256(b"\x00" + canonical_json(logged)) != record["intent_hash"]:
        raise mismatch("intent_proof", "data.intent is not the intent of draw.intent_hash")

    # 5: the result entry, after the intent, says what the record says.
    check_header(result, "draw.result", draw_id, intent)
    for name in ["intent_hash", "secret", "contributions", "seed", "result"]:
        if data_field(result, name) != draw[name]:
            raise mismatch("result_proof", f"data.{name} differs from draw.{name}")

    # 6: replacements in log order, each seating the next unused reserve.
    seated = [list(s["drawn"]) for s in draw["result"]]
    used = [0] * len(seated)
    previous = result
    for entry in replacements:
        field = entry["field"]
        check_header(entry, "draw.replacement", draw_id, previous)
        stratum = data_field(entry, "stratum")
        if type(stratum) is not int or stratum < 0:
            raise malformed(field, "data.stratum is not a non-negative integer")
        if stratum >= len(seated):
            raise mismatch(
                field,
                f"data.stratum {stratum} is not a stratum of the draw ({len(seated)} strata)",
            )
        replaced = data_field(entry, "replaced")
        if not isinstance(replaced, str):
            raise malformed(field, "data.replaced is not a string")
        if not isinstance(data_field(entry, "reason"), str):
            raise malformed(field, "data.reason is not a string")
        successor = data_field(entry, "successor")
        if successor is not None and not isinstance(successor, str):
            raise malformed(field, "data.successor is neither a string nor null")
        if replaced not in seated[stratum]:
            raise mismatch(field, f"data.replaced {replaced} is not seated in stratum {stratum}")
        reserves = draw["result"][stratum]["reserves"]
        following = reserves[used[stratum]] if used[stratum] < len(reserves) else None
        position = seated[stratum].index(replaced)
        if successor is None and following is not None:
            raise mismatch(
                field,
                f"data.successor is null, but reserve {following} of stratum {stratum} is unused",
            )
        if successor is not None and following is None:
            raise mismatch(
                field,
                f"data.successor is {successor}, but stratum {stratum} has no reserves left",
            )
        if successor != following:
            raise mismatch(
                field,
                f"data.successor is {successor}, the next reserve of stratum {stratum} "
                f"is {following}",
            )
        if successor is None:
            del seated[stratum][position]
        else:
            seated[stratum][position] = successor
            used[stratum] += 1
        previous = entry

    size = max(e["size"] for e in [intent, result, *replacements])
    drawn = sum(len(s["drawn"]) for s in record["result"])
    return (
        f"OK draw {draw_id}: {len(record['strata'])} strata, {drawn} drawn, "
        f"{len(replacements)} replacements, log entries {intent['index']},{result['index']} "
        f"under checkpoint size {size}"
    )


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else None
    if command == "selftest" and len(argv) == 2:
        problems = selftest()
        for problem in problems:
            print(f"FAIL {problem}")
        if problems:
            return 1
        print(f"OK Ed25519 reproduces RFC 8032 TEST 1-{len(RFC8032_VECTORS)}")
        return 0
    valid = (command in ("record", "vectors") and len(argv) == 3) or (
        command == "published" and len(argv) >= 4
    )
    if not valid:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[2], "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"cannot read {argv[2]}: {error}", file=sys.stderr)
        return 2
    keys = []
    for vkey in argv[3:]:
        try:
            keys.append(VerifierKey(vkey))
        except ValueError as error:
            print(f"unusable verifier key {vkey!r}: {error}", file=sys.stderr)
            return 2
    try:
        if command == "record":
            seed, _ = verify_record(parse_record(data))
            print(f"OK seed {seed.hex()}")
        elif command == "published":
            print(verify_published(data, keys))
        else:
            if data.get("algorithm") != ALGORITHM:
                raise mismatch("algorithm", f"expected {ALGORITHM!r}")
            for n, vector in enumerate(data["vectors"]):
                check_vector(n, vector)
            print(f"OK {len(data['vectors'])} vectors")
    except Failure as failure:
        print(failure)
        return 1
    except (KeyError, TypeError, ValueError) as error:
        print(f"MALFORMED $: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
