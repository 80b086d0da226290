// Unit tests of the console's in-browser log verifier (src/console/assets/tlog.js), run with
// `node --test integration/console_js/` (Node 20+: WebCrypto with Ed25519). The vectors in
// vectors/ were served by a real sealdraw (proofs, entries, checkpoint, the log's verifier key);
// every tampered variant is made here from them. Notes signed by keys made in the test cover
// what the real log key cannot be asked to sign (another origin, witness lines).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importAsset } from './assets.mjs';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const tlog = await importAsset('tlog.js');

const vector = (name) => readFileSync(here(`vectors/${name}`), 'utf8');
const vectorBytes = (name) => new Uint8Array(readFileSync(here(`vectors/${name}`)));
const VKEY = vector('log.vkey').trim();
// The key data is base64 and may itself hold a '+'.
const [VKEY_NAME, VKEY_ID] = VKEY.split('+');
const VKEY_DATA = VKEY.slice(VKEY_NAME.length + VKEY_ID.length + 2);
const ORIGIN = 'sealdraw.example/log';

/** Replaces the first occurrence of `find` in the line starting with `prefix`. */
function alterLine(text, predicate, change) {
  const lines = text.split('\n');
  const at = lines.findIndex(predicate);
  assert.notEqual(at, -1, 'the line to alter exists');
  lines[at] = change(lines[at]);
  return lines.join('\n');
}

/** Flips one base64 character of a line to another valid one, keeping the padding. */
function flipChar(line, position) {
  const c = line[position];
  return line.slice(0, position) + (c === 'A' ? 'B' : 'A') + line.slice(position + 1);
}

async function makeKey(name) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const data = new Uint8Array([1, ...pub]);
  const id = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([...new TextEncoder().encode(name), 0x0a, ...data]))).slice(0, 4);
  const vkey = `${name}+${tlog.hex(id)}+${tlog.base64Encode(data)}`;
  const sign = async (text) => {
    const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, new TextEncoder().encode(text)));
    return `\u2014 ${name} ${tlog.base64Encode(new Uint8Array([...id, ...signature]))}\n`;
  };
  return { vkey, sign, id };
}

// --- encodings ------------------------------------------------------------------------------

test('strict base64 accepts only the canonical spelling', () => {
  assert.deepEqual([...tlog.strictBase64('AAEC', 'x')], [0, 1, 2]);
  assert.deepEqual([...tlog.strictBase64('AAE=', 'x')], [0, 1]);
  assert.deepEqual([...tlog.strictBase64('', 'x')], []);
  for (const bad of ['AAE', 'AA E=', 'AAF=', 'AA==AA==', 'AA-_', 'AAE=\n', ' AAE=']) {
    assert.throws(() => tlog.strictBase64(bad, 'x'), (e) => e.code === 'malformed', bad);
  }
  const random = crypto.getRandomValues(new Uint8Array(97));
  for (let n = 0; n < random.length; n += 1) {
    const slice = random.slice(0, n);
    assert.equal(tlog.base64Encode(slice), Buffer.from(slice).toString('base64'));
    assert.deepEqual(tlog.strictBase64(Buffer.from(slice).toString('base64'), 'x'), slice);
  }
});

test('decimals have no sign, no leading zero and fit in 64 bits', () => {
  assert.equal(tlog.strictDecimal('0', 'x'), 0n);
  assert.equal(tlog.strictDecimal('18446744073709551615', 'x'), (1n << 64n) - 1n);
  for (const bad of ['', '01', '+1', '-1', '1 ', '1e3', '18446744073709551616', '١']) {
    assert.throws(() => tlog.strictDecimal(bad, 'x'), (e) => e.code === 'malformed', bad);
  }
});

// --- RFC 6962 -------------------------------------------------------------------------------

/** MTH from RFC 6962 §2.1, written from its definition, as the reference. */
async function mth(leaves) {
  if (leaves.length === 1) return tlog.leafHash(leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return tlog.nodeHash(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

/** PATH(m, D[n]) from RFC 6962 §2.1.1, siblings from the leaf upwards. */
async function path(m, leaves) {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k
    ? [...await path(m, leaves.slice(0, k)), await mth(leaves.slice(k))]
    : [...await path(m - k, leaves.slice(k)), await mth(leaves.slice(0, k))];
}

test('the root from an inclusion path matches RFC 6962 for every index of trees up to 17', async () => {
  const leaves = Array.from({ length: 17 }, (_, i) => new TextEncoder().encode(`entry ${i}`));
  for (let size = 1; size <= leaves.length; size += 1) {
    const tree = leaves.slice(0, size);
    const root = await mth(tree);
    for (let index = 0; index < size; index += 1) {
      const hashes = await path(index, tree);
      const leaf = await tlog.leafHash(tree[index]);
      assert.deepEqual(await tlog.rootFromInclusionPath(index, size, leaf, hashes), root, `index ${index} of ${size}`);
      if (hashes.length) {
        await assert.rejects(tlog.rootFromInclusionPath(index, size, leaf, hashes.slice(1)), (e) => e.code === 'root-mismatch');
      }
      await assert.rejects(tlog.rootFromInclusionPath(index, size, leaf, [...hashes, root]), (e) => e.code === 'root-mismatch');
    }
  }
});

test('the empty-tree and leaf hashes are the RFC 6962 ones', async () => {
  // SHA-256(0x00) is the hash of an empty leaf, a fixed value.
  assert.equal(tlog.hex(await tlog.leafHash(new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
});

// --- verifier keys --------------------------------------------------------------------------

test("the log's verifier key parses and its key id is checked", async () => {
  const key = await tlog.parseVerifierKey(`${VKEY}\n`);
  assert.equal(key.name, ORIGIN);
  assert.equal(key.keyIdHex, VKEY_ID);
  assert.equal(key.publicKey.length, 32);

  const [name, id, data] = [VKEY_NAME, VKEY_ID, VKEY_DATA];
  const wrongId = `${name}+${id === '00000000' ? '00000001' : '00000000'}+${data}`;
  const otherName = `${name}x+${id}+${data}`;
  const wrongType = `${name}+${id}+${tlog.base64Encode(new Uint8Array([4, ...tlog.strictBase64(data, 'k').slice(1)]))}`;
  for (const bad of [wrongId, otherName, wrongType, `${name}+${id}`, `${name}+${id}+${data}=`, `${name}+${id}+${data.slice(0, -4)}`, `a b+${id}+${data}`, '', `${VKEY}\n${VKEY}`]) {
    await assert.rejects(tlog.parseVerifierKey(bad), (e) => e.code === 'bad-key', bad);
  }
});

// --- checkpoints ----------------------------------------------------------------------------

test('the served checkpoint verifies against the pinned key and names origin, size and root', async () => {
  const text = vector('checkpoint');
  const verdict = await tlog.verifyCheckpoint(text, VKEY);
  assert.equal(verdict.ok, true, verdict.message);
  assert.equal(verdict.checked.origin, ORIGIN);
  assert.equal(verdict.checked.size, BigInt(text.split('\n')[1]));
  assert.equal(verdict.checked.root, text.split('\n')[2]);
  assert.equal(verdict.checked.keyId, VKEY_ID);
  assert.equal(verdict.checked.signatures, 1);
});

test('an altered checkpoint signature, size or root is a bad signature', async () => {
  const text = vector('checkpoint');
  const signature = alterLine(text, (l) => l.startsWith('\u2014'), (l) => flipChar(l, l.length - 10));
  const size = alterLine(text, (l, i) => i === 1, (l) => String(Number(l) + 1));
  const root = alterLine(text, (l, i) => i === 2, (l) => flipChar(l, 3));
  for (const altered of [signature, size, root]) {
    const verdict = await tlog.verifyCheckpoint(altered, VKEY);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.code, 'bad-signature', verdict.message);
  }
});

test('a checkpoint is refused under another key, with no signature by it', async () => {
  const other = await makeKey(ORIGIN);
  const verdict = await tlog.verifyCheckpoint(vector('checkpoint'), other.vkey);
  assert.equal(verdict.code, 'no-signature');
  const bad = await tlog.verifyCheckpoint(vector('checkpoint'), 'not a key');
  assert.equal(bad.code, 'bad-key');
});

test('a checkpoint for another origin signed by the pinned key is refused as the wrong origin', async () => {
  const log = await makeKey(ORIGIN);
  const text = 'other.example/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
  const note = `${text}\n${await log.sign(text)}`;
  const verdict = await tlog.verifyCheckpoint(note, log.vkey);
  assert.equal(verdict.code, 'wrong-origin');
  assert.equal((await tlog.verifyCheckpoint(note, log.vkey, { origin: 'other.example/log' })).ok, true);
});

test('witness and unknown signatures are ignored, a lookalike of the pinned key is not', async () => {
  const log = await makeKey(ORIGIN);
  const witness = await makeKey('witness.example/w1');
  const text = `${ORIGIN}\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`;
  const note = `${text}\n${await witness.sign(text)}${await log.sign(text)}`;
  const verdict = await tlog.verifyCheckpoint(note, log.vkey);
  assert.equal(verdict.ok, true, verdict.message);
  assert.equal(tlog.readSignedCheckpoint(note).note.signatures.length, 2);

  // Same name and key id as the pinned key, another signature: fatal, not skipped.
  const forged = `${text}\n${await witness.sign(text)}${(await log.sign(text)).replace(/.{6}\n$/, 'AAAA==\n')}`;
  assert.equal((await tlog.verifyCheckpoint(forged, log.vkey)).code, 'bad-signature');
});

test('malformed notes are named as such', async () => {
  const text = vector('checkpoint');
  const cases = {
    'no final newline': text.slice(0, -1),
    'no blank line': text.replace('\n\n', '\n'),
    'a control character': text.replace(ORIGIN, `${ORIGIN}\t`),
    'a hyphen for the em dash': text.replace('\u2014', '-'),
    'a non-canonical signature': alterLine(text, (l) => l.startsWith('\u2014'), (l) => `${l} `),
    'a size with a leading zero': alterLine(text, (l, i) => i === 1, (l) => `0${l}`),
    'a short root': alterLine(text, (l, i) => i === 2, () => 'AAAA'),
    'invalid UTF-8': new Uint8Array([...new TextEncoder().encode(text).slice(0, 5), 0xff, ...new TextEncoder().encode(text).slice(5)]),
  };
  for (const [what, altered] of Object.entries(cases)) {
    const verdict = await tlog.verifyCheckpoint(altered, VKEY);
    assert.equal(verdict.code, 'malformed', `${what}: ${verdict.message}`);
  }
});

// --- proofs ---------------------------------------------------------------------------------

const PROOFS = [
  ['entry-0.proof', 'entry-0.json', 0],
  ['entry-1.proof', 'entry-1.json', 1],
  ['draw-result.proof', 'entry-14.json', 14],
];

test('proofs served by the log verify, with their extra data equal to the entry served', async () => {
  for (const [proof, entry, index] of PROOFS) {
    const text = vector(proof);
    const given = await tlog.verifyProof(text, VKEY, { entry: vectorBytes(entry), index });
    assert.equal(given.ok, true, `${proof}: ${given.message}`);
    assert.equal(given.checked.index, BigInt(index));
    assert.equal(given.checked.entrySource, 'given');
    assert.equal(given.checked.origin, ORIGIN);
    const own = await tlog.verifyProof(text, VKEY);
    assert.equal(own.ok, true, own.message);
    assert.equal(own.checked.entrySource, 'extra');
    assert.deepEqual(own.checked.entry, vectorBytes(entry));
  }
  // The draw's intent is proved too (its entry comes only from the proof).
  const intent = await tlog.verifyProof(vector('draw-intent.proof'), VKEY);
  assert.equal(intent.ok, true, intent.message);
  assert.equal(JSON.parse(new TextDecoder().decode(intent.checked.entry)).type, 'draw.intent');
});

test('one altered character in a proof hash is a root mismatch', async () => {
  const text = vector('draw-result.proof');
  const hashLines = text.split('\n\n')[0].split('\n').slice(3);
  assert.equal(hashLines.length, 5);
  for (let n = 0; n < hashLines.length; n += 1) {
    const altered = text.replace(hashLines[n], flipChar(hashLines[n], 7));
    const verdict = await tlog.verifyProof(altered, VKEY, { entry: vectorBytes('entry-14.json'), index: 14 });
    assert.equal(verdict.code, 'root-mismatch', verdict.message);
    assert.equal(verdict.checked.size, 18n);
  }
});

test('an altered entry, extra data or index is caught', async () => {
  const text = vector('draw-result.proof');
  const entry = vectorBytes('entry-14.json');
  const changed = entry.slice();
  changed[20] ^= 1;

  assert.equal((await tlog.verifyProof(text, VKEY, { entry: changed })).code, 'entry-mismatch');
  assert.equal((await tlog.verifyProof(text, VKEY, { entry, index: 13 })).code, 'wrong-index');

  const noExtra = text.split('\n').filter((l) => !l.startsWith('extra ')).join('\n');
  assert.equal((await tlog.verifyProof(noExtra, VKEY, { entry })).ok, true);
  assert.equal((await tlog.verifyProof(noExtra, VKEY, { entry: changed })).code, 'root-mismatch');
  assert.equal((await tlog.verifyProof(noExtra, VKEY)).code, 'malformed');

  const otherExtra = alterLine(text, (l) => l.startsWith('extra '), () => `extra ${tlog.base64Encode(changed)}`);
  assert.equal((await tlog.verifyProof(otherExtra, VKEY)).code, 'root-mismatch');

  const index13 = alterLine(text, (l) => l.startsWith('index '), () => 'index 13');
  assert.equal((await tlog.verifyProof(index13, VKEY)).code, 'root-mismatch');
  const outside = alterLine(text, (l) => l.startsWith('index '), () => 'index 18');
  const verdict = await tlog.verifyProof(outside, VKEY);
  assert.equal(verdict.code, 'index-outside-tree');
});

test("an altered signature in a proof's checkpoint is a bad signature; another key finds none", async () => {
  const text = vector('draw-result.proof');
  const altered = alterLine(text, (l) => l.startsWith('\u2014'), (l) => flipChar(l, 30));
  assert.equal((await tlog.verifyProof(altered, VKEY)).code, 'bad-signature');
  const other = await makeKey(ORIGIN);
  assert.equal((await tlog.verifyProof(text, other.vkey)).code, 'no-signature');
});

test('malformed proofs are named as such', async () => {
  const text = vector('entry-1.proof');
  const cases = {
    'another header': text.replace('tlog-proof@v1', 'tlog-proof@v2'),
    'no index': alterLine(text, (l) => l.startsWith('index '), () => 'idx 1'),
    'an index with a leading zero': alterLine(text, (l) => l.startsWith('index '), () => 'index 01'),
    'a short hash': alterLine(text, (l, i) => i === 3, () => 'AAAA'),
    'a hash with a space': alterLine(text, (l, i) => i === 3, (l) => ` ${l}`),
    'no checkpoint': text.split('\n\n')[0],
    'base64url extra': alterLine(text, (l) => l.startsWith('extra '), (l) => `${l.replaceAll('+', '-')}-`),
  };
  for (const [what, altered] of Object.entries(cases)) {
    const verdict = await tlog.verifyProof(altered, VKEY);
    assert.equal(verdict.code, 'malformed', `${what}: ${verdict.message}`);
  }
});

test('tile paths are spelled as tlog-tiles and sealdraw audit export spell them', () => {
  assert.equal(tlog.encodeTileIndex(0), '000');
  assert.equal(tlog.encodeTileIndex(1234067), 'x001/x234/067');
  assert.deepEqual(tlog.entryBundlesForTree(3n), ['tile/entries/000.p/3']);
  assert.deepEqual(tlog.entryBundlesForTree(512n), ['tile/entries/000', 'tile/entries/001']);
  assert.deepEqual(tlog.hashTilesForTree(300n), ['tile/0/000', 'tile/0/001.p/44', 'tile/1/000.p/1']);
  assert.deepEqual(tlog.hashTilesForTree(5n), ['tile/0/000.p/5']);
});

test('entry bundles decode and a cut-off bundle is refused', () => {
  const bundle = Uint8Array.of(0, 2, 0x61, 0x62, 0, 0, 0, 1, 0x63);
  const entries = tlog.decodeEntryBundle(bundle);
  assert.deepEqual(entries.map((e) => [...e]), [[0x61, 0x62], [], [0x63]]);
  assert.throws(() => tlog.decodeEntryBundle(Uint8Array.of(0, 5, 1)), /cut off/);
});

test('the tree root of leaf hashes follows RFC 6962', async () => {
  const leaves = await Promise.all([1, 2, 3].map((n) => tlog.leafHash(Uint8Array.of(n))));
  const expected = await tlog.nodeHash(await tlog.nodeHash(leaves[0], leaves[1]), leaves[2]);
  assert.deepEqual(await tlog.treeRoot(leaves), expected);
  assert.deepEqual(await tlog.treeRoot(leaves.slice(0, 1)), leaves[0]);
});

test('a tar archive has ustar headers with valid checksums and 512-byte blocks', () => {
  const tar = tlog.tarArchive([{ name: 'checkpoint', bytes: new TextEncoder().encode('abc\n') }]);
  assert.equal(tar.length % 512, 0);
  assert.equal(tar.length, 512 + 512 + 1024);
  const header = tar.subarray(0, 512);
  assert.equal(new TextDecoder().decode(header.subarray(257, 262)), 'ustar');
  const stored = parseInt(new TextDecoder().decode(header.subarray(148, 154)), 8);
  const copy = Uint8Array.from(header);
  copy.fill(0x20, 148, 156);
  assert.equal(copy.reduce((a, b) => a + b, 0), stored);
  assert.equal(new TextDecoder().decode(tar.subarray(512, 516)), 'abc\n');
});

// The national suite (gm2024): SM3 and SM2 from the vendored library, and an SM2 verifier key
// as the log writes it (docs/AUDIT-LOG.md): 0xff ‖ "sealdraw.gm/sm2-sm3" ‖ 0x00 ‖ id ‖ 0x00 ‖
// the point, its key id SM3(name ‖ 0x0a ‖ key data)[:4].
const sm = await importAsset('sm.js');
const SM2_PUBLIC = Uint8Array.from(Buffer.from(
    '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020'
    + 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13', 'hex'));
const SM2_SIGNATURE = Uint8Array.from(Buffer.from(
  'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3'
  + 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa', 'hex'));

test('SM3 and SM2 reproduce the standards\' examples (GB/T 32905, GB/T 32918.5)', () => {
  assert.equal(tlog.hex(sm.sm3(new TextEncoder().encode('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  const message = new TextEncoder().encode('message digest');
  assert.equal(sm.sm2Verify(SM2_PUBLIC, '1234567812345678', message, SM2_SIGNATURE), true);
  assert.equal(sm.sm2Verify(SM2_PUBLIC, '1234567812345678', new TextEncoder().encode('message digesT'), SM2_SIGNATURE), false);
  assert.equal(sm.sm2Verify(SM2_PUBLIC, 'ALICE123@YAHOO.COM', message, SM2_SIGNATURE), false, 'the identifier is signed');
});

test('an SM2 verifier key parses with an SM3 key id, and a wrong id or a cut point is refused', async () => {
  const name = 'sealdraw.example/log';
  const data = new Uint8Array([0xff, ...new TextEncoder().encode('sealdraw.gm/sm2-sm3'), 0,
    ...new TextEncoder().encode('1234567812345678'), 0, ...SM2_PUBLIC]);
  const id = sm.sm3(new Uint8Array([...new TextEncoder().encode(`${name}\n`), ...data])).slice(0, 4);
  const vkey = `${name}+${tlog.hex(id)}+${tlog.base64Encode(data)}`;
  const key = await tlog.parseVerifierKey(vkey);
  assert.equal(key.suite, 'gm2024');
  assert.equal(key.distinguishingId, '1234567812345678');
  assert.deepEqual(key.publicKey, SM2_PUBLIC);
  await assert.rejects(tlog.parseVerifierKey(`${name}+00000000+${tlog.base64Encode(data)}`), { code: 'bad-key' });
  await assert.rejects(tlog.parseVerifierKey(`${name}+${tlog.hex(id)}+${tlog.base64Encode(data.slice(0, -1))}`), { code: 'bad-key' });
  // The suite's hashes: SM3 leaves and nodes.
  const leaf = await tlog.leafHash(new Uint8Array([1, 2]), 'gm2024');
  assert.deepEqual(leaf, sm.sm3(new Uint8Array([0, 1, 2])));
  assert.notDeepEqual(leaf, await tlog.leafHash(new Uint8Array([1, 2])));
});
