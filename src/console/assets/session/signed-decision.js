// The bytes a committee member signs (issue 19 §1), exactly as the server builds them in
// `session::protocol::signed_decision`: any difference, one escaped character or one trimmed
// space, and the server refuses the signature. Nothing here touches the page or the network,
// so Node checks it against the server's own output for awkward reasons text
// (integration/console_js/signed-decision.test.mjs, vectors/signed-decisions.json, which
// integration/console_signing.rs holds to the Rust function).

/**
 * The bytes a member signs, as the server builds them: canonical JSON (RFC 8785: keys sorted,
 * no whitespace, ECMAScript's string escaping, which JSON.stringify is) of the decision, the
 * reasons trimmed as the server trims them and null for none.
 */
export function signedDecision({ session, seat, reportSha256, agree, reasons }) {
  const trimmed = typeof reasons === 'string' ? trimWhiteSpace(reasons) : '';
  // The keys in their sorted order: agree, reasons, report_sha256, seat, session.
  const text = `{"agree":${agree ? 'true' : 'false'},"reasons":${trimmed ? JSON.stringify(trimmed) : 'null'},`
    + `"report_sha256":${JSON.stringify(String(reportSha256))},"seat":${canonicalInteger(seat)},`
    + `"session":${JSON.stringify(String(session))}}`;
  return new TextEncoder().encode(text);
}

function canonicalInteger(n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error('a seat is a whole number');
  return String(n);
}

// Rust's str::trim: Unicode's White_Space property, which is not JavaScript's trim() (that one
// also trims U+FEFF and keeps U+0085). A difference would make the signature fail to verify.
const WHITE_SPACE = '[\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
const LEADING = new RegExp(`^${WHITE_SPACE}+`, 'u');
const TRAILING = new RegExp(`${WHITE_SPACE}+$`, 'u');

function trimWhiteSpace(text) {
  return text.replace(LEADING, '').replace(TRAILING, '');
}
