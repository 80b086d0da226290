// Transparency-log verification in the browser: signed notes, checkpoints and tlog-proof files
// (C2SP signed-note, tlog-checkpoint, tlog-proof) with RFC 6962 hashing, checked against a
// verifier key the caller pins. The key tells the suite: an Ed25519 key (type 0x01) means
// SHA-256 and WebCrypto, an SM2 key (type 0xff, docs/AUDIT-LOG.md) means SM3 and SM2 (sm.js). Nothing here reads the page or the network, so the
// verdict depends only on the text given and the key the supervisor pasted, never on what the
// server says about itself. Node runs the same file in integration/console_js/.
//
// Every check either passes or throws a TlogError whose `code` names what failed:
//   bad-key             the pinned verifier key is malformed or its key id does not match
//   malformed           the note, checkpoint or proof breaks its format (strict base64, decimal)
//   no-signature        no signature line by the pinned key (name and key id)
//   bad-signature       a signature line by the pinned key does not verify
//   wrong-origin        the checkpoint names another log than expected
//   index-outside-tree  the proof's index is not below the checkpoint's tree size
//   wrong-index         the proof is for another index than the entry it is checked against
//   entry-mismatch      the proof's extra data is not the entry it is checked against
//   root-mismatch       the inclusion path does not lead to the signed root
//   unsupported         this browser's WebCrypto has no Ed25519 (SM2 needs no WebCrypto)
// verifyCheckpoint and verifyProof never throw: they return a verdict object.

import { sm2Verify, sm3 } from './sm.js';

const EM_DASH = '\u2014';
const ED25519 = 0x01;
const EXTENDED = 0xff;
const SM2_NOTE_IDENTIFIER = 'sealdraw.gm/sm2-sm3';
export const INTL = 'intl2024';
export const GM = 'gm2024';
const HASH_SIZE = 32;
const MAX_SIGNATURES = 100;
const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const LIMIT_64 = 1n << 64n;

/** The first line of a draw family's head note (docs/DRAW-SPEC.md §9b). */
export const FAMILY_HEAD_KIND = 'sealdraw draw-family head v1';

export class TlogError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const fail = (code, message) => { throw new TlogError(code, message); };

// --- encodings ------------------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function base64Encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/**
 * RFC 4648 §4 base64 with padding and nothing else: no whitespace, no URL alphabet, and no
 * second spelling of the same bytes (non-zero bits after the last byte), as the Python verifier.
 */
export function strictBase64(text, what) {
  if (typeof text !== 'string' || !B64_SHAPE.test(text)) fail('malformed', `${what} is not valid base64`);
  const bytes = new Uint8Array((text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0));
  let j = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n = (B64.indexOf(text[i]) << 18) | (B64.indexOf(text[i + 1]) << 12)
      | ((text[i + 2] === '=' ? 0 : B64.indexOf(text[i + 2])) << 6) | (text[i + 3] === '=' ? 0 : B64.indexOf(text[i + 3]));
    for (const byte of [(n >> 16) & 255, (n >> 8) & 255, n & 255]) if (j < bytes.length) bytes[j++] = byte;
  }
  if (base64Encode(bytes) !== text) fail('malformed', `${what} is not canonical base64`);
  return bytes;
}

/** ASCII decimal without leading zeroes (except "0"), below 2^64, as a BigInt. */
export function strictDecimal(text, what) {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text)) fail('malformed', `${what} "${text}" is not a canonical decimal number`);
  const value = BigInt(text);
  if (value >= LIMIT_64) fail('malformed', `${what} "${text}" does not fit in 64 bits`);
  return value;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function utf8Text(input, what) {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    return fail('malformed', `${what} is not valid UTF-8`);
  }
}

const utf8 = (text) => new TextEncoder().encode(text);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** The suite's hash: SHA-256 (intl2024) or SM3 (gm2024). */
export async function digest(bytes, suite = INTL) {
  return suite === GM ? sm3(bytes) : sha256(bytes);
}

// --- RFC 6962 hashing -----------------------------------------------------------------------

export const leafHash = (entry, suite = INTL) => digest(concat(Uint8Array.of(0), entry), suite);
export const nodeHash = (left, right, suite = INTL) => digest(concat(Uint8Array.of(1), left, right), suite);

function largestPowerOfTwoBelow(n) {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}

/**
 * The root from an RFC 6962 PATH(index, D[0:size]), siblings listed from the leaf upwards: the
 * last hash is a child of the root, so the recursion walks the path from its end.
 */
export async function rootFromInclusionPath(index, size, leaf, path, suite = INTL) {
  index = BigInt(index);
  size = BigInt(size);
  if (index >= size) fail('index-outside-tree', `index ${index} is outside a tree of ${size}`);
  const walk = async (i, n, hashes) => {
    if (n === 1n) {
      if (hashes.length) fail('root-mismatch', 'the inclusion proof is too long for the tree size');
      return leaf;
    }
    if (!hashes.length) fail('root-mismatch', 'the inclusion proof is too short for the tree size');
    const k = largestPowerOfTwoBelow(n);
    const lower = hashes.slice(0, -1);
    const sibling = hashes[hashes.length - 1];
    return i < k
      ? nodeHash(await walk(i, k, lower), sibling, suite)
      : nodeHash(sibling, await walk(i - k, n - k, lower), suite);
  };
  return walk(index, size, path);
}

// --- verifier keys and signed notes ---------------------------------------------------------

function validKeyName(name) {
  // Non-empty, no plus, no Unicode space, no control character.
  return name.length > 0 && !/[+\s\u0000-\u001f\u007f]/u.test(name);
}

/**
 * `name+keyid+base64(type || public key)` → { name, keyId, keyIdHex, publicKey, suite,
 * distinguishingId, text }, after checking that the key id is H(name || 0x0A || type || public
 * key)[:4]: type 0x01 and SHA-256 for Ed25519, and for SM2 the type
 * 0xff || "sealdraw.gm/sm2-sm3" || 0x00 || distinguishing id || 0x00 with SM3.
 */
export async function parseVerifierKey(text) {
  if (typeof text !== 'string') fail('bad-key', 'no verifier key given');
  const trimmed = text.trim();
  if (trimmed.includes('\n')) fail('bad-key', 'give one verifier key, on one line');
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0) fail('bad-key', 'a verifier key looks like name+keyid+base64key');
  const name = trimmed.slice(0, first);
  const keyIdHex = trimmed.slice(first + 1, second);
  const data = trimmed.slice(second + 1);
  if (!validKeyName(name)) fail('bad-key', `the key name "${name}" is invalid`);
  if (!/^[0-9a-fA-F]{8}$/.test(keyIdHex)) fail('bad-key', 'the key id must be 8 hex digits');
  let keyData;
  try {
    keyData = strictBase64(data, 'the key data');
  } catch (error) {
    fail('bad-key', error.message);
  }
  let suite;
  let publicKey;
  let distinguishingId = null;
  if (keyData.length === 33 && keyData[0] === ED25519) {
    suite = INTL;
    publicKey = keyData.slice(1);
  } else if (keyData[0] === EXTENDED) {
    const identifier = utf8(SM2_NOTE_IDENTIFIER);
    const rest = keyData.slice(1);
    const named = rest.length > identifier.length && equalBytes(rest.slice(0, identifier.length), identifier) && rest[identifier.length] === 0;
    const tail = named ? rest.slice(identifier.length + 1) : new Uint8Array(0);
    const end = tail.indexOf(0);
    if (!named || end <= 0 || tail.length !== end + 1 + 65 || tail.slice(0, end).some((b) => b > 0x7f)) {
      fail('bad-key', 'this is not an SM2 (type 0xff sealdraw.gm/sm2-sm3) verifier key');
    }
    suite = GM;
    distinguishingId = new TextDecoder().decode(tail.slice(0, end));
    publicKey = tail.slice(end + 1);
  } else {
    fail('bad-key', 'this is neither an Ed25519 (type 0x01) nor an SM2 (type 0xff) verifier key');
  }
  const keyId = (await digest(concat(utf8(name), Uint8Array.of(0x0a), keyData), suite)).slice(0, 4);
  if (hex(keyId) !== keyIdHex.toLowerCase()) fail('bad-key', 'the key id does not match the key name and public key');
  return { name, keyId, keyIdHex: hex(keyId), publicKey, suite, distinguishingId, text: trimmed };
}

/**
 * A signed note → { text, signatures: [{ name, keyId, keyIdHex, signature, bytes }] }. The text
 * ends with its newline; it is separated from the signatures by the note's last blank line.
 */
export function parseNote(input, what = 'note') {
  const note = utf8Text(input, what);
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) fail('malformed', `the ${what} contains a control character`);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('malformed', `the ${what} has no blank line before its signatures`);
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) fail('malformed', `the ${what} has no signature lines, or does not end with a newline`);
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) fail('malformed', `the ${what} has too many signatures`);
  const signatures = lines.map((line, i) => {
    const number = i + 1;
    if (!line.startsWith(`${EM_DASH} `)) fail('malformed', `${what} signature line ${number} does not start with an em dash`);
    const rest = line.slice(2);
    const space = rest.indexOf(' ');
    const name = space < 0 ? '' : rest.slice(0, space);
    if (space < 0 || !validKeyName(name)) fail('malformed', `${what} signature line ${number} is malformed`);
    const bytes = strictBase64(rest.slice(space + 1), `${what} signature line ${number}`);
    if (bytes.length < 5) fail('malformed', `${what} signature line ${number} is too short`);
    return { name, keyId: bytes.slice(0, 4), keyIdHex: hex(bytes.slice(0, 4)), signature: bytes.slice(4), bytes };
  });
  return { text, signatures };
}

async function importEd25519(publicKey) {
  try {
    return await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (error) {
    if (error?.name === 'NotSupportedError') fail('unsupported', 'this browser cannot verify Ed25519 signatures');
    return fail('bad-key', 'the public key is not a valid Ed25519 key');
  }
}

/**
 * Checks a parsed note against the pinned key: signatures by other keys (witnesses, a rotated
 * log key) are ignored as the spec requires; one by the pinned key that fails is fatal; at least
 * one must verify. Returns how many signatures by the pinned key verified.
 */
export async function verifyNoteSignatures(note, key, what = 'note') {
  const publicKey = key.suite === GM ? null : await importEd25519(key.publicKey);
  const message = utf8(note.text);
  let verified = 0;
  for (const line of note.signatures) {
    if (line.name !== key.name || !equalBytes(line.keyId, key.keyId)) continue;
    let good = false;
    try {
      good = key.suite === GM
        ? sm2Verify(key.publicKey, key.distinguishingId, message, line.signature)
        : await crypto.subtle.verify('Ed25519', publicKey, line.signature, message);
    } catch {
      good = false;
    }
    if (!good) fail('bad-signature', `the ${what} signature by ${key.name} (key ${key.keyIdHex}) does not verify`);
    verified += 1;
  }
  if (!verified) fail('no-signature', `the ${what} carries no signature by the pinned key ${key.name} (key ${key.keyIdHex})`);
  return verified;
}

// --- checkpoints and proofs -----------------------------------------------------------------

/** Note text → { origin, size (BigInt), root (bytes), rootBase64, extensions }. */
export function parseCheckpoint(text) {
  if (!text.endsWith('\n')) fail('malformed', 'the checkpoint text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line === '')) fail('malformed', 'a checkpoint needs non-empty origin, size and root hash lines');
  const root = strictBase64(lines[2], 'the checkpoint root hash');
  if (root.length !== HASH_SIZE) fail('malformed', 'the checkpoint root hash is not 32 bytes');
  return { origin: lines[0], size: strictDecimal(lines[1], 'the checkpoint tree size'), root, rootBase64: lines[2], extensions: lines.slice(3) };
}

/** A signed checkpoint, parsed but not verified (for display): checkpoint fields and signatures. */
export function readSignedCheckpoint(input) {
  const note = parseNote(input, 'checkpoint');
  return { note, checkpoint: parseCheckpoint(note.text) };
}

/** c2sp.org/tlog-proof@v1 → { extra (bytes | null), index (BigInt), hashes, checkpointNote }. */
export function parseProof(input) {
  const text = utf8Text(input, 'proof');
  const blank = text.indexOf('\n\n');
  if (blank < 0) fail('malformed', 'the proof has no blank line before its checkpoint');
  const lines = text.slice(0, blank).split('\n');
  if (lines[0] !== PROOF_HEADER) fail('malformed', `the proof does not start with ${PROOF_HEADER}`);
  let position = 1;
  let extra = null;
  if (position < lines.length && lines[position].startsWith('extra ')) {
    extra = strictBase64(lines[position].slice('extra '.length), 'the proof extra data');
    position += 1;
  }
  if (position >= lines.length || !lines[position].startsWith('index ')) fail('malformed', 'the proof has no index line');
  const index = strictDecimal(lines[position].slice('index '.length), 'the proof index');
  const hashes = lines.slice(position + 1).map((line, i) => {
    const value = strictBase64(line, `proof hash ${i + 1}`);
    if (value.length !== HASH_SIZE) fail('malformed', `proof hash ${i + 1} is not 32 bytes`);
    return value;
  });
  return { extra, index, hashes, checkpointNote: text.slice(blank + 2) };
}

// --- verdicts -------------------------------------------------------------------------------

function verdictOf(error, checked) {
  if (error instanceof TlogError) return { ok: false, code: error.code, message: error.message, checked };
  return { ok: false, code: 'malformed', message: String(error?.message || error), checked };
}

/**
 * Verifies a signed checkpoint against the pinned key (text) and the expected origin (default:
 * the key's name, which the log signs under). The verdict's `checked` lists what was
 * established so far: keyName, keyId, origin, size, root, signatures.
 */
export async function verifyCheckpoint(checkpointText, pinnedKeyText, { origin } = {}) {
  const checked = {};
  try {
    const key = await parseVerifierKey(pinnedKeyText);
    Object.assign(checked, { keyName: key.name, keyId: key.keyIdHex, suite: key.suite });
    const { note, checkpoint } = readSignedCheckpoint(checkpointText);
    Object.assign(checked, { origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.rootBase64 });
    checked.signatures = await verifyNoteSignatures(note, key, 'checkpoint');
    const expected = origin ?? key.name;
    if (checkpoint.origin !== expected) fail('wrong-origin', `the checkpoint is for origin "${checkpoint.origin}", expected "${expected}"`);
    return { ok: true, code: 'ok', message: `checkpoint of ${checkpoint.origin} at tree size ${checkpoint.size} signed by ${key.name}`, checked };
  } catch (error) {
    return verdictOf(error, checked);
  }
}

/**
 * Verifies a draw family's head (docs/DRAW-SPEC.md §9b): a note signed by the pinned key whose
 * eight text lines state the family's root draw, its number of entries, its newest entry (log
 * index and leaf hash) and the checkpoint (size and root) they are under. `checked` gains
 * rootDraw, entries, lastIndex, lastLeaf (base64), size (BigInt), root (base64).
 */
export async function verifyFamilyHead(headText, pinnedKeyText) {
  const checked = {};
  try {
    const key = await parseVerifierKey(pinnedKeyText);
    const note = parseNote(headText, 'family head');
    if (!note.text.endsWith('\n')) fail('malformed', 'the family head does not end with a newline');
    const lines = note.text.slice(0, -1).split('\n');
    if (lines.length !== 8 || lines[0] !== FAMILY_HEAD_KIND) fail('malformed', 'this is not a draw family head');
    const [, origin, rootDraw, entries, lastIndex, lastLeaf, size, root] = lines;
    Object.assign(checked, {
      rootDraw,
      entries: strictDecimal(entries, 'the number of entries'),
      lastIndex: strictDecimal(lastIndex, 'the newest entry index'),
      lastLeaf,
      size: strictDecimal(size, 'the tree size'),
      root,
    });
    if (strictBase64(lastLeaf, 'the newest leaf hash').length !== HASH_SIZE) fail('malformed', 'the newest leaf hash is not 32 bytes');
    if (strictBase64(root, 'the root hash').length !== HASH_SIZE) fail('malformed', 'the root hash is not 32 bytes');
    checked.signatures = await verifyNoteSignatures(note, key, 'family head');
    if (origin !== key.name) fail('wrong-origin', `the family head is for origin "${origin}", expected "${key.name}"`);
    return { ok: true, code: 'ok', message: `family ${rootDraw}: ${entries} entries under tree size ${size}`, checked };
  } catch (error) {
    return verdictOf(error, checked);
  }
}

/**
 * Verifies a tlog-proof file: the checkpoint inside it (as verifyCheckpoint), then that the
 * entry's leaf hash and the inclusion path lead to the signed root. The entry is `entry` (bytes)
 * when given — the proof's extra data, if any, must then be exactly those bytes and `index`, if
 * given, must be the proof's index — and otherwise the proof's own extra data. `checked` adds
 * index, hashes, entrySource ('given' | 'extra') and entry (the bytes proved).
 */
export async function verifyProof(proofText, pinnedKeyText, { origin, entry, index } = {}) {
  const checked = {};
  try {
    const key = await parseVerifierKey(pinnedKeyText);
    Object.assign(checked, { keyName: key.name, keyId: key.keyIdHex, suite: key.suite });
    const proof = parseProof(proofText);
    Object.assign(checked, { index: proof.index, hashes: proof.hashes.length });
    const { note, checkpoint } = readSignedCheckpoint(proof.checkpointNote);
    Object.assign(checked, { origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.rootBase64 });
    checked.signatures = await verifyNoteSignatures(note, key, 'checkpoint');
    const expected = origin ?? key.name;
    if (checkpoint.origin !== expected) fail('wrong-origin', `the checkpoint is for origin "${checkpoint.origin}", expected "${expected}"`);
    if (index !== undefined && index !== null && BigInt(index) !== proof.index) {
      fail('wrong-index', `the proof is for entry ${proof.index}, not entry ${index}`);
    }
    let bytes;
    if (entry) {
      bytes = entry;
      checked.entrySource = 'given';
      if (proof.extra && !equalBytes(proof.extra, entry)) fail('entry-mismatch', "the proof's extra data is not the entry being checked");
    } else if (proof.extra) {
      bytes = proof.extra;
      checked.entrySource = 'extra';
    } else {
      fail('malformed', 'the proof carries no entry (no extra line) and none was given');
    }
    checked.entry = bytes;
    if (proof.index >= checkpoint.size) fail('index-outside-tree', `the proof index ${proof.index} is outside the checkpoint's tree of ${checkpoint.size}`);
    const root = await rootFromInclusionPath(proof.index, checkpoint.size, await leafHash(bytes, key.suite), proof.hashes, key.suite);
    if (!equalBytes(root, checkpoint.root)) {
      fail('root-mismatch', `the inclusion proof for entry ${proof.index} does not lead to the signed root (the entry or a proof hash was altered)`);
    }
    return { ok: true, code: 'ok', message: `entry ${proof.index} is in ${checkpoint.origin} at tree size ${checkpoint.size}, signed by ${key.name}`, checked };
  } catch (error) {
    return verdictOf(error, checked);
  }
}

// ---- Whole-log export and verification in the browser (issue 24 §4/§5) ---------------------
// The same files `sealdraw audit export` writes (docs/AUDIT-LOG.md, C2SP tlog-tiles): the
// checkpoint, the key, every entry bundle and hash tile of the tree.

const TILE_HEIGHT = 8;
const TILE_WIDTH = 1 << TILE_HEIGHT;
const MAX_TILE_LEVEL = Math.floor(63 / TILE_HEIGHT);

/** A tile index in tlog-tiles' spelling: 1234567 → "x001/x234/567". */
export function encodeTileIndex(index) {
  let rest = BigInt(index);
  const groups = [rest % 1000n];
  rest /= 1000n;
  while (rest > 0n) {
    groups.push(rest % 1000n);
    rest /= 1000n;
  }
  return groups.reverse().map((group, i, all) => `${i < all.length - 1 ? 'x' : ''}${String(group).padStart(3, '0')}`).join('/');
}

function tilesForCount(count, prefix) {
  const full = count / BigInt(TILE_WIDTH);
  const partial = count % BigInt(TILE_WIDTH);
  const paths = [];
  for (let index = 0n; index < full; index += 1n) paths.push(`${prefix}${encodeTileIndex(index)}`);
  if (partial > 0n) paths.push(`${prefix}${encodeTileIndex(full)}.p/${partial}`);
  return paths;
}

/** The entry bundles of a tree of `size` leaves, in order. */
export function entryBundlesForTree(size) {
  return tilesForCount(BigInt(size), 'tile/entries/');
}

/** Every hash tile of a tree of `size` leaves, level by level. */
export function hashTilesForTree(size) {
  const paths = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level += 1) {
    paths.push(...tilesForCount(BigInt(size) >> BigInt(level * TILE_HEIGHT), `tile/${level}/`));
  }
  return paths;
}

/** An entry bundle's entries: each a two-byte big-endian length, then the bytes. */
export function decodeEntryBundle(bytes) {
  const entries = [];
  let at = 0;
  while (at < bytes.length) {
    if (entries.length === TILE_WIDTH) fail('malformed', 'an entry bundle holds more than 256 entries');
    if (at + 2 > bytes.length) fail('malformed', `an entry bundle is cut off at byte ${at}`);
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + length > bytes.length) fail('malformed', `an entry bundle is cut off at byte ${at}`);
    entries.push(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}

/** The RFC 6962 Merkle tree hash of leaf hashes `leaves[from..to)` in `suite`'s hash. */
export async function treeRoot(leaves, suite = INTL, from = 0, to = leaves.length) {
  const n = to - from;
  if (n === 0) return digest(new Uint8Array(0), suite);
  if (n === 1) return leaves[from];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(await treeRoot(leaves, suite, from, from + k), await treeRoot(leaves, suite, from + k, to), suite);
}

/**
 * A POSIX tar (ustar) archive of `files` ([{ name, bytes }], names under 100 bytes): what
 * `tar -xf` unpacks into the directory `sealdraw audit verify` reads.
 */
export function tarArchive(files) {
  const encoder = new TextEncoder();
  const blocks = [];
  const octal = (value, width) => String(value.toString(8)).padStart(width - 1, '0') + '\0';
  for (const { name, bytes } of files) {
    const header = new Uint8Array(512);
    const put = (text, at) => header.set(encoder.encode(text), at);
    put(name, 0);
    put(octal(0o644, 8), 100);
    put(octal(0, 8), 108);
    put(octal(0, 8), 116);
    put(octal(bytes.length, 12), 124);
    put(octal(0, 12), 136);
    put('        ', 148);
    put('0', 156);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    put(String(sum.toString(8)).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, bytes);
    const padding = (512 - (bytes.length % 512)) % 512;
    if (padding) blocks.push(new Uint8Array(padding));
  }
  blocks.push(new Uint8Array(1024));
  return concat(...blocks);
}
