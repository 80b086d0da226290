// Checks the browser makes before sending, the same rules the server applies
// (src/pool/validate.rs), so a mistake is marked at its field at once; the server checks again.

const CREDIT_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** GB 32100: 18 characters of the charset, the last a check character. */
export function validCreditCode(text) {
  const code = text.trim().toUpperCase();
  if (code.length !== 18) return false;
  const positions = Array.from(code, (c) => CREDIT_CHARSET.indexOf(c));
  if (positions.some((p) => p < 0)) return false;
  const sum = positions.slice(0, 17).reduce((acc, p, i) => acc + p * CREDIT_WEIGHTS[i], 0);
  return positions[17] === (31 - (sum % 31)) % 31;
}
