#!/usr/bin/env python3
"""Independent verifier for sealdraw transparency-log exports and proofs.

Written from the specifications alone -- C2SP signed-note, tlog-checkpoint,
tlog-tiles and tlog-proof, and RFC 6962 section 2.1 -- so that a bug in the
log's own (Rust) implementation is not silently shared by its verifier.
Only the Python standard library, the `cryptography` package (Ed25519) and, for
logs of the national suite (gm2024: SM2 keys, SM3 trees), `gmssl` (gm.py) are
used. The suite is the trusted key's: an SM2 key means SM3 hashing throughout.

Commands:
  verify-dir DIR --key VKEY [--origin ORIGIN]
      DIR holds `checkpoint`, the hash tiles `tile/<L>/<N>[.p/<W>]` and the
      entry bundles `tile/entries/<N>[.p/<W>]`. Checks the checkpoint
      signature, recomputes the whole tree from the entries, and checks every
      tile and the signed root.
  verify-proof FILE --entry ENTRYFILE --key VKEY [--origin ORIGIN]
      Checks a c2sp.org/tlog-proof@v1 file for the entry in ENTRYFILE.

VKEY is a verifier key (`name+keyid+base64key`) or a file holding one.
Exit status: 0 verified, 1 verification failed, 2 unusable input.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import gm

EM_DASH = "\u2014"
ED25519_TYPE = 0x01
EXTENDED_TYPE = 0xFF
SM2_NOTE_IDENTIFIER = b"sealdraw.gm/sm2-sm3"
TILE_WIDTH = 256
TILE_HEIGHT = 8
HASH_SIZE = 32
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class VerifyError(Exception):
    """The data is wrong: exit status 1."""


class InputError(Exception):
    """The request is unusable (bad arguments, bad key): exit status 2."""


# --- encodings -------------------------------------------------------------


def strict_b64decode(text: str, what: str) -> bytes:
    """RFC 4648 section 4 base64, rejecting any second spelling of the same bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerifyError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerifyError(f"{what} is not canonical base64")
    return raw


def decimal(text: str, what: str) -> int:
    """ASCII decimal with no leading zeroes (except "0" itself)."""
    if not text or not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise VerifyError(f"{what} {text!r} is not a canonical decimal number")
    value = int(text)
    if value >= 1 << 64:
        raise VerifyError(f"{what} {text!r} does not fit in 64 bits")
    return value


# --- RFC 6962 hashing --------------------------------------------------------


# The log's hash: SHA-256, or SM3 for a gm2024 log; chosen once, from the trusted key.
HASH = {"digest": lambda data: hashlib.sha256(data).digest()}


def use_suite(suite: str) -> None:
    HASH["digest"] = gm.sm3 if suite == "gm2024" else (lambda data: hashlib.sha256(data).digest())


def digest(data: bytes) -> bytes:
    return HASH["digest"](data)


def leaf_hash(entry: bytes) -> bytes:
    return digest(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return digest(b"\x01" + left + right)


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """All complete subtrees of a list of leaf hashes, bottom-up, so that any
    tile hash or RFC 6962 subtree hash is a lookup or a few node hashes."""

    def __init__(self, leaves: list[bytes]):
        self.size = len(leaves)
        self.levels = [leaves]
        while len(self.levels[-1]) >= 2:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def mth(self, start: int, end: int) -> bytes:
        """RFC 6962 MTH(D[start:end]) for the ranges its recursion produces."""
        n = end - start
        if n == 0:
            return digest(b"")
        if n & (n - 1) == 0 and start % n == 0:
            return self.levels[n.bit_length() - 1][start // n]
        k = largest_power_of_two_below(n)
        return node_hash(self.mth(start, start + k), self.mth(start + k, end))

    def root(self) -> bytes:
        return self.mth(0, self.size)

    def complete_node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


def root_from_inclusion_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """Recomputes the root from an RFC 6962 PATH(index, D[0:size]), which
    lists the siblings from the leaf upwards: the last one is a child of the
    root, and the recursion mirrors the RFC's definition of PATH."""
    if size == 1:
        if path:
            raise VerifyError("inclusion proof is too long for the tree size")
        return leaf
    if not path:
        raise VerifyError("inclusion proof is too short for the tree size")
    k = largest_power_of_two_below(size)
    lower, sibling = path[:-1], path[-1]
    if index < k:
        return node_hash(root_from_inclusion_path(index, k, leaf, lower), sibling)
    return node_hash(sibling, root_from_inclusion_path(index - k, size - k, leaf, lower))


# --- signed notes and checkpoints ----------------------------------------------


def valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() or ord(c) < 0x20 for c in name)


@dataclass
class VerifierKey:
    name: str
    key_id: bytes
    suite: str
    verify: object  # (signature, message) -> bool

    @staticmethod
    def parse(text: str) -> "VerifierKey":
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise InputError("verifier key must look like name+keyid+base64key")
        name, key_id_hex, key_b64 = parts
        if not valid_key_name(name):
            raise InputError(f"verifier key name {name!r} is invalid")
        if len(key_id_hex) != 8 or any(c not in "0123456789abcdefABCDEF" for c in key_id_hex):
            raise InputError("verifier key id must be 8 hex digits")
        try:
            key_data = strict_b64decode(key_b64, "verifier key data")
        except VerifyError as error:
            raise InputError(str(error)) from None
        if len(key_data) == 33 and key_data[0] == ED25519_TYPE:
            public = Ed25519PublicKey.from_public_bytes(key_data[1:])

            def verify_ed25519(signature: bytes, message: bytes) -> bool:
                try:
                    public.verify(signature, message)
                    return True
                except InvalidSignature:
                    return False

            suite, verify, expected_id = (
                "intl2024",
                verify_ed25519,
                hashlib.sha256(name.encode() + b"\n" + key_data).digest()[:4],
            )
        elif key_data[:1] == bytes([EXTENDED_TYPE]) and key_data[1:].startswith(SM2_NOTE_IDENTIFIER + b"\x00"):
            # 0xff ‖ identifier ‖ 0x00 ‖ distinguishing id ‖ 0x00 ‖ 65-byte SEC 1 point.
            rest = key_data[1 + len(SM2_NOTE_IDENTIFIER) + 1 :]
            end = rest.find(b"\x00")
            if end <= 0 or len(rest) != end + 1 + 65 or not rest[:end].isascii():
                raise InputError("SM2 verifier key is malformed")
            distinguishing_id, point = rest[:end].decode("ascii"), rest[end + 1 :]
            suite, verify, expected_id = (
                "gm2024",
                lambda signature, message: gm.sm2_verify(point, distinguishing_id, message, signature),
                gm.sm3(name.encode() + b"\n" + key_data)[:4],
            )
        else:
            raise InputError("verifier key is neither Ed25519 (type 0x01) nor SM2 (type 0xff sealdraw.gm/sm2-sm3)")
        if expected_id != bytes.fromhex(key_id_hex):
            raise InputError("verifier key id does not match its name and public key")
        return VerifierKey(name, expected_id, suite, verify)


def load_key(argument: str) -> VerifierKey:
    path = Path(argument)
    text = path.read_text(encoding="utf-8") if path.is_file() else argument
    key = VerifierKey.parse(text)
    use_suite(key.suite)
    return key


def open_note(data: bytes, key: VerifierKey, what: str) -> str:
    """Returns the text of a signed note after checking the trusted key's
    signature. Other keys' signatures (witnesses, rotated keys) are ignored,
    as the spec requires; a matching but invalid signature is fatal."""
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerifyError(f"{what} is not valid UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerifyError(f"{what} contains a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise VerifyError(f"{what} has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block.endswith("\n"):
        raise VerifyError(f"{what} has no signature lines, or does not end with a newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > 100:
        raise VerifyError(f"{what} has too many signatures")
    trusted_signatures = 0
    for number, line in enumerate(lines, 1):
        if not line.startswith(EM_DASH + " "):
            raise VerifyError(f"{what} signature line {number} does not start with an em dash")
        name, space, signature_b64 = line[2:].partition(" ")
        if not space or not valid_key_name(name):
            raise VerifyError(f"{what} signature line {number} is malformed")
        blob = strict_b64decode(signature_b64, f"{what} signature line {number}")
        if len(blob) < 5:
            raise VerifyError(f"{what} signature line {number} is too short")
        if name != key.name or blob[:4] != key.key_id:
            continue
        if not key.verify(blob[4:], text.encode("utf-8")):
            raise VerifyError(f"{what} signature by {name} does not verify")
        trusted_signatures += 1
    if trusted_signatures == 0:
        raise VerifyError(f"{what} carries no signature by the trusted key {key.name}")
    return text


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(line == "" for line in lines):
        raise VerifyError("checkpoint needs non-empty origin, size and root hash lines")
    root = strict_b64decode(lines[2], "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise VerifyError("checkpoint root hash is not 32 bytes")
    return Checkpoint(lines[0], decimal(lines[1], "checkpoint tree size"), root)


def verified_checkpoint(data: bytes, key: VerifierKey, origin: str | None) -> Checkpoint:
    checkpoint = parse_checkpoint(open_note(data, key, "checkpoint"))
    if origin is not None and checkpoint.origin != origin:
        raise VerifyError(f"checkpoint is for origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


# --- tiles -------------------------------------------------------------------


def tile_path(level: int | str, index: int, width: int) -> str:
    """tile/<L>/<N>[.p/<W>]: N in 3-digit groups, all but the last x-prefixed."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    encoded = "/".join(["x" + group for group in groups[:-1]] + [groups[-1]])
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{encoded}{suffix}"


def tiles_at_level(count: int) -> list[tuple[int, int]]:
    """(index, width) of the tiles holding `count` consecutive items."""
    tiles = [(index, TILE_WIDTH) for index in range(count // TILE_WIDTH)]
    if count % TILE_WIDTH:
        tiles.append((count // TILE_WIDTH, count % TILE_WIDTH))
    return tiles


def read_resource(directory: Path, relative: str) -> bytes:
    try:
        return (directory / relative).read_bytes()
    except FileNotFoundError:
        raise VerifyError(f"{relative} is missing") from None


def parse_bundle(data: bytes, expected: int, path: str) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise VerifyError(f"{path} is malformed: truncated length prefix at byte {offset}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise VerifyError(f"{path} is malformed: entry at byte {offset} is truncated")
        entries.append(data[offset + 2 : offset + 2 + length])
        offset += 2 + length
    if len(entries) != expected:
        raise VerifyError(f"{path} is malformed: it holds {len(entries)} entries, expected {expected}")
    return entries


def split_hashes(data: bytes, width: int, path: str) -> list[bytes]:
    if len(data) != width * HASH_SIZE:
        raise VerifyError(f"{path} is malformed: {len(data)} bytes, expected {width * HASH_SIZE}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def first_tile_disagreement(directory: Path, tree: Tree) -> tuple[str, int] | None:
    """The first published tile hash, level by level, that differs from `tree`."""
    level = 0
    while tree.size >> (TILE_HEIGHT * level):
        for index, width in tiles_at_level(tree.size >> (TILE_HEIGHT * level)):
            path = tile_path(level, index, width)
            published = split_hashes(read_resource(directory, path), width, path)
            for position, value in enumerate(published):
                if value != tree.complete_node(TILE_HEIGHT * level, index * TILE_WIDTH + position):
                    return path, position
        level += 1
    return None


def verify_dir(directory: Path, key: VerifierKey, origin: str | None) -> str:
    checkpoint = verified_checkpoint(read_resource(directory, "checkpoint"), key, origin)
    size = checkpoint.size

    entry_leaves: list[bytes] = []
    tile_leaves: list[bytes] = []
    for index, width in tiles_at_level(size):
        bundle_path = tile_path("entries", index, width)
        entries = parse_bundle(read_resource(directory, bundle_path), width, bundle_path)
        entry_leaves.extend(leaf_hash(entry) for entry in entries)
        leaf_tile_path = tile_path(0, index, width)
        tile_leaves.extend(split_hashes(read_resource(directory, leaf_tile_path), width, leaf_tile_path))

    # The signed root is the only trusted value. Whichever of the entries or
    # the level-0 tiles reproduces it is authentic, and the other side's
    # first difference from it is the broken item.
    from_entries = Tree(entry_leaves)
    if from_entries.root() == checkpoint.root:
        broken_tile = first_tile_disagreement(directory, from_entries)
        if broken_tile:
            path, position = broken_tile
            raise VerifyError(
                f"tile {path} does not match: hash {position} differs from the tree "
                "recomputed from the entries, which reproduces the signed root"
            )
        tiles = sum(len(tiles_at_level(size >> (TILE_HEIGHT * level))) for level in range(8))
        return (
            f"OK: {size} entries, {tiles} hash tiles and the root of {checkpoint.origin} "
            f"verified against the checkpoint signed by {key.name}"
        )
    if Tree(tile_leaves).root() == checkpoint.root:
        for index, (from_entry, from_tile) in enumerate(zip(entry_leaves, tile_leaves)):
            if from_entry != from_tile:
                leaf_tile = tile_path(0, index // TILE_WIDTH, min(TILE_WIDTH, size - index // TILE_WIDTH * TILE_WIDTH))
                raise VerifyError(
                    f"entry {index} does not match: its hash differs from {leaf_tile}, "
                    "whose hashes reproduce the signed root"
                )
    clue = first_tile_disagreement(directory, from_entries)
    detail = f" (first disagreement: {clue[0]} hash {clue[1]})" if clue else ""
    raise VerifyError(f"the signed root matches neither the entries nor the level-0 tiles{detail}")


# --- proofs ------------------------------------------------------------------


def verify_proof(proof_file: Path, entry_file: Path, key: VerifierKey, origin: str | None) -> str:
    try:
        text = proof_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise VerifyError("proof is not valid UTF-8") from None
    header, blank, signed_checkpoint = text.partition("\n\n")
    if not blank:
        raise VerifyError("proof has no blank line before its checkpoint")
    lines = header.split("\n")
    if lines[0] != PROOF_HEADER:
        raise VerifyError(f"proof does not start with {PROOF_HEADER}")
    position = 1
    if position < len(lines) and lines[position].startswith("extra "):
        strict_b64decode(lines[position][len("extra ") :], "proof extra data")
        position += 1
    if position >= len(lines) or not lines[position].startswith("index "):
        raise VerifyError("proof has no index line")
    index = decimal(lines[position][len("index ") :], "proof index")
    path = []
    for number, line in enumerate(lines[position + 1 :], 1):
        value = strict_b64decode(line, f"proof hash {number}")
        if len(value) != HASH_SIZE:
            raise VerifyError(f"proof hash {number} is not 32 bytes")
        path.append(value)

    checkpoint = verified_checkpoint(signed_checkpoint.encode("utf-8"), key, origin)
    if index >= checkpoint.size:
        raise VerifyError(f"proof index {index} is outside the checkpoint's tree of {checkpoint.size}")
    leaf = leaf_hash(entry_file.read_bytes())
    if root_from_inclusion_path(index, checkpoint.size, leaf, path) != checkpoint.root:
        raise VerifyError(
            f"inclusion proof for entry {index} does not lead to the signed root hash "
            "(the entry or a proof hash was altered)"
        )
    return f"OK: entry {index} is in {checkpoint.origin} at tree size {checkpoint.size}, signed by {key.name}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    directory = commands.add_parser("verify-dir", help="verify a tiled export")
    directory.add_argument("dir", type=Path)
    directory.add_argument("--key", required=True, help="log verifier key, or a file holding it")
    directory.add_argument("--origin", help="require this checkpoint origin")
    proof = commands.add_parser("verify-proof", help="verify a tlog-proof file")
    proof.add_argument("file", type=Path)
    proof.add_argument("--entry", required=True, type=Path, help="file holding the entry's bytes")
    proof.add_argument("--key", required=True, help="log verifier key, or a file holding it")
    proof.add_argument("--origin", help="require this checkpoint origin")
    arguments = parser.parse_args(argv)
    try:
        key = load_key(arguments.key)
        if arguments.command == "verify-dir":
            print(verify_dir(arguments.dir, key, arguments.origin))
        else:
            print(verify_proof(arguments.file, arguments.entry, key, arguments.origin))
    except VerifyError as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    except (InputError, OSError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
