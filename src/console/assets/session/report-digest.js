// The report's digest, recomputed here rather than trusted (docs/PROTOCOL.md §10.4): the
// deployment suite's hash (SHA-256, or SM3 for gm2024) of the audit log's canonical JSON of the
// report. An expert signs only a report whose digest
// matches the one the server asks them to sign.

import { digest, hex } from '../tlog.js';

const encoder = new TextEncoder();

/** The report's digest in `suite` ('intl2024' or 'gm2024') as lowercase hex. */
export async function reportDigest(report, suite) {
  return hex(await digest(encoder.encode(canonicalJson(report)), suite));
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
