// The report's digest, recomputed here rather than trusted (docs/PROTOCOL.md §10.4): SHA-256 of
// the audit log's canonical JSON of the report. An expert signs only a report whose digest
// matches the one the server asks them to sign.

import { hex, sha256 } from '../tlog.js';

const encoder = new TextEncoder();

/** The report's SHA-256 as lowercase hex. */
export async function reportDigest(report) {
  return hex(await sha256(encoder.encode(canonicalJson(report))));
}

/** The audit log's canonical JSON: sorted keys, no whitespace, integers only. */
function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('a report holds integers only');
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareUtf8);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}

function compareUtf8(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
