// Money in the console: the server sends and takes fen (integers); people read and type yuan.
// Converted through strings and integers only, never a float, so 0.1 + 0.2 cannot happen.

/** Fen as yuan, "1580.00", by integer arithmetic. */
export function yuan(fen) {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Yuan as typed ("350", "350.5", "350.50") to fen, or null. */
export function fenOf(text) {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text ?? '');
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || '0').padEnd(2, '0'));
}
