// Unit tests of the bytes a member signs in the console (src/console/assets/session/
// signed-decision.js) against the server's `session::protocol::signed_decision`: the vectors in
// vectors/signed-decisions.json hold, for awkward reasons text, the canonical JSON the server
// builds (integration/console_signing.rs checks every one against the Rust function), and the
// console must build the very same bytes, or the server refuses the member's signature.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importAsset } from './assets.mjs';

const { signedDecision } = await importAsset('session/signed-decision.js');
const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('vectors/signed-decisions.json', import.meta.url)), 'utf8'));

const decisionOf = (v) => ({ session: v.session, seat: v.seat, reportSha256: v.report_sha256, agree: v.agree, reasons: v.reasons });

test('the vectors cover the awkward cases', () => {
  assert.ok(vectors.length >= 8);
  const all = vectors.map((v) => v.reasons || '').join('');
  for (const awkward of ['"', '\\', '\n', '\u0001', '😀', '投', '\u3000', '\u0085', '\ufeff', '\u2028']) {
    assert.ok(all.includes(awkward), `a vector holds ${JSON.stringify(awkward)}`);
  }
});

for (const vector of vectors) {
  test(`the signed decision is the server's bytes: ${vector.case}`, () => {
    const bytes = signedDecision(decisionOf(vector));
    assert.deepEqual(Buffer.from(bytes), Buffer.from(vector.signed, 'utf8'));
  });
}

test('a changed decision changes the bytes', () => {
  const [first] = vectors;
  const base = Buffer.from(signedDecision(decisionOf(first))).toString();
  assert.notEqual(Buffer.from(signedDecision({ ...decisionOf(first), seat: first.seat + 1 })).toString(), base);
  assert.notEqual(Buffer.from(signedDecision({ ...decisionOf(first), agree: false, reasons: 'not agreed at all' })).toString(), base);
});

test('a seat that is no whole number is refused rather than signed', () => {
  assert.throws(() => signedDecision({ ...decisionOf(vectors[0]), seat: 1.5 }));
  assert.throws(() => signedDecision({ ...decisionOf(vectors[0]), seat: '1' }));
});

test('an ECDSA P-256 signature over the bytes is r‖s, 64 bytes, and verifies', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const bytes = signedDecision(decisionOf(vectors[1]));
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, bytes));
  assert.equal(signature.length, 64);
  assert.ok(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pair.publicKey, signature, bytes));
  await assert.rejects(crypto.subtle.exportKey('pkcs8', pair.privateKey));
});

test('the room keeps the key a signature verified with, and forgets it with a voided draft', async () => {
  const { initialState, reduce } = await importAsset('session/state.js');
  const view = {
    your_role: 'expert', your_seat: 1, phase: 'signing', seats: [
      { seat: 1, label: 'Expert 1', state: 'active', confirmed: true, checked_in: true, declared: true },
      { seat: 2, label: 'Expert 2', state: 'active', confirmed: true, checked_in: true, declared: true },
    ],
  };
  let state = initialState(view);
  const key = { key_id: 'k-1', kind: 'webcrypto', fingerprint: 'ab'.repeat(32) };
  state = reduce(state, { type: 'event', seq: 1, kind: 'signed', data: { seat: 1, signature: 'agree', reasons: null, signing_key: key } });
  state = reduce(state, { type: 'event', seq: 2, kind: 'signed', data: { seat: 2, signature: 'dissent', reasons: 'the plan has no safety measures' } });
  assert.deepEqual(state.seats.get(1).signingKey, key);
  assert.equal(state.seats.get(2).signingKey, null);
  assert.equal(state.seats.get(2).reasons, 'the plan has no safety measures');
  state = reduce(state, { type: 'event', seq: 3, kind: 'phase_changed', data: { from: 'signing', to: 'evaluation', reason: 'seat_vacated' } });
  assert.equal(state.seats.get(1).signingKey, null);
  assert.equal(state.seats.get(1).signed, null);
});
