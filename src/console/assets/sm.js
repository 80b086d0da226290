// The national suite (gm2024) for checks done in this browser: SM3 and SM2 signature
// verification from sm-crypto-v2 1.15.1 (npm, MIT; it bundles @noble/curves, @noble/hashes and
// @noble/ciphers, MIT), vendored unchanged as vendor/sm-crypto-v2.js (its UMD build, which
// sets the global SmCryptoV2 when no module loader is present) beside its licence. WebCrypto
// has no SM algorithms; the international suite stays on WebCrypto (tlog.js). docs/CONSOLE.md
// records the version and the file's SHA-256.

import './vendor/sm-crypto-v2.js';

const { sm2, sm3: sm3Hex } = globalThis.SmCryptoV2;

function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** GB/T 32905 SM3 of `bytes`, 32 bytes. */
export function sm3(bytes) {
  return fromHex(sm3Hex(bytes));
}

/**
 * GB/T 32918.2 verification of `signature` (r ‖ s, 64 bytes) over SM3(Z_A ‖ message), Z_A from
 * `distinguishingId` and `publicKey` (the uncompressed point 0x04 ‖ x ‖ y).
 */
export function sm2Verify(publicKey, distinguishingId, message, signature) {
  if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
  try {
    return sm2.doVerifySignature(message, toHex(signature), toHex(publicKey), { der: false, hash: true, userId: distinguishingId });
  } catch {
    return false;
  }
}
