// A committee member's signing key on this device (issue 19 §1; docs/CONSOLE.md, "Signing
// keys"): an ECDSA P-256 key made by WebCrypto as non-extractable, so that not even this page
// can read its private half, and kept in IndexedDB, where the browser keeps the key object
// itself rather than any bytes of it. Each account has a database of its own on the device, so
// two members sharing a computer never sign with each other's key. The public half is enrolled
// with the server (POST /api/v1/me/signing-keys), which keeps it under its id.
//
// What a member signs is `signedDecision`: the same bytes as the server's
// `session::protocol::signed_decision`, RFC 8785 canonical JSON of the session, the seat, the
// report's digest and the decision (session/signed-decision.js). WebCrypto's ECDSA signature
// is r‖s (64 bytes), exactly the form the server verifies.

import * as api from './api.js';
import { signedDecision } from './session/signed-decision.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNATURE = { name: 'ECDSA', hash: 'SHA-256' };
const STORE = 'keys';
const RECORD = 'device';

/** The database of `accountId`'s key on this device. */
function databaseName(accountId) {
  return `sealdraw-signing-key-${accountId}`;
}

function openDatabase(accountId) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName(accountId), 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(accountId, mode, act) {
  const db = await openDatabase(accountId);
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      let result;
      request.onsuccess = () => { result = request.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/**
 * This device's key for `accountId`: { keyId, privateKey, publicKey, fingerprint }, or null
 * when the device has none.
 */
export async function deviceKey(accountId) {
  if (!accountId || typeof indexedDB === 'undefined') return null;
  return (await withStore(accountId, 'readonly', (store) => store.get(RECORD))) || null;
}

/**
 * Makes a key on this device and enrols its public half under `label`; keeps it only once the
 * server has it. Returns the server's view of the key (status `active`, or `pending` when the
 * account already has a key in force and an admin must approve this one).
 */
export async function createDeviceKey(accountId, label) {
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const enrolled = await api.post('/api/v1/me/signing-keys', {
    kind: 'webcrypto', public_key: base64(spki), label,
  });
  await withStore(accountId, 'readwrite', (store) => store.put({
    keyId: enrolled.id,
    fingerprint: enrolled.fingerprint,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  }, RECORD));
  return enrolled;
}

/** Forgets this device's key (after it was revoked, so that a new one can be made). */
export async function forgetDeviceKey(accountId) {
  await withStore(accountId, 'readwrite', (store) => store.delete(RECORD));
}

/**
 * The `signature` field of a `sign` request: the decision signed with this device's key.
 * `decision` is { session, seat, reportSha256, agree, reasons }.
 */
export async function signDecision(key, decision) {
  const bytes = signedDecision(decision);
  const value = new Uint8Array(await crypto.subtle.sign(SIGNATURE, key.privateKey, bytes));
  return { key_id: key.keyId, value: base64(value) };
}

function base64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
