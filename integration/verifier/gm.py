"""The national suite (gm2024) for the independent verifiers: SM3, HMAC-SM3 and SM2 signature
verification, from the `gmssl` package (PyPI, BSD licence; pure Python, written apart from the
RustCrypto crates the server uses and from OpenSSL, which the cross-check test compares both
with). Nothing here is the server's code.

  sm3(data)                      GB/T 32905 digest, 32 bytes
  hmac_sm3(key, message)         RFC 2104 over SM3 (block size 64)
  sm2_verify(public, id, m, sig) GB/T 32918.2 verification of r ‖ s over SM3(Z_A ‖ m), with
                                 Z_A from the distinguishing identifier and the public key
"""

from __future__ import annotations

from gmssl import func
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3

SM3_BLOCK = 64
DEFAULT_ID = "1234567812345678"


def sm3(data: bytes) -> bytes:
    return bytes.fromhex(gmssl_sm3.sm3_hash(func.bytes_to_list(data)))


class Sm3:
    """A hashlib-like incremental SM3 (buffers; gmssl hashes whole messages)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.parts.append(data)

    def digest(self) -> bytes:
        return sm3(b"".join(self.parts))


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    if len(key) > SM3_BLOCK:
        key = sm3(key)
    key = key.ljust(SM3_BLOCK, b"\x00")
    inner = sm3(bytes(b ^ 0x36 for b in key) + message)
    return sm3(bytes(b ^ 0x5C for b in key) + inner)


def sm2_verify(public_key: bytes, distinguishing_id: str, message: bytes, signature: bytes) -> bool:
    """`public_key` is the uncompressed point 0x04 ‖ x ‖ y; `signature` is r ‖ s."""
    if len(public_key) != 65 or public_key[0] != 0x04 or len(signature) != 64:
        return False
    table = gmssl_sm2.default_ecc_table
    ident = distinguishing_id.encode("ascii")
    z_input = (
        (len(ident) * 8).to_bytes(2, "big")
        + ident
        + bytes.fromhex(table["a"])
        + bytes.fromhex(table["b"])
        + bytes.fromhex(table["g"])
        + public_key[1:]
    )
    e = sm3(sm3(z_input) + message)
    verifier = gmssl_sm2.CryptSM2(private_key="", public_key="")
    # Set after construction: the constructor strips a leading "04" with str.lstrip, which
    # would also eat the first digits of an x coordinate beginning with 0 or 4.
    verifier.public_key = public_key[1:].hex()
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    n = int(table["n"], 16)
    if not (1 <= r < n and 1 <= s < n):
        return False
    return bool(verifier.verify(signature.hex(), e))
