// Checks the training and assessment screens (assessment.js) make before sending, the same
// rules the server applies (src/pool/training.rs; docs/POOL.md "Training, assessment and
// tiers"), so a mistake is marked at its field at once; the server checks again. No imports:
// Node's unit tests load this module as it is.

/**
 * Hours as typed ("4", "4.5", " 0.5 ") → the number, when it is 0.5 to 200 in half hours;
 * anything else (a quarter hour, "1e1", a comma) → null. Read from the text's digits, never
 * through parseFloat's leniency.
 */
export function halfHoursOf(text) {
  const match = /^\s*(\d{1,3})(?:\.(0|5|00|50))?\s*$/.exec(text ?? '');
  if (!match) return null;
  const halves = Number(match[1]) * 2 + (match[2]?.startsWith('5') ? 1 : 0);
  if (halves < 1 || halves > 400) return null;
  return halves / 2;
}

/** Characters as the server counts them (code points, after trimming). */
export function textLength(text) {
  return Array.from(String(text ?? '').trim()).length;
}

/** Whether a reason (a tier's adjustment, a void) has the 10–500 characters asked. */
export function validReason(text) {
  const length = textLength(text);
  return length >= 10 && length <= 500;
}

/** Whether text has from `min` to `max` characters once trimmed (course 1–200, certificate 1–100). */
export function withinLength(text, min, max) {
  const length = textLength(text);
  return length >= min && length <= max;
}

/** A year as typed → the number when it is from 2000 to `latest` (the current year), else null. */
export function assessmentYearOf(text, latest) {
  const match = /^\s*(\d{4})\s*$/.exec(text ?? '');
  if (!match) return null;
  const year = Number(match[1]);
  return year >= 2000 && year <= latest ? year : null;
}

/**
 * A completion date from a date input (YYYY-MM-DD) that is a real day and not after `today`
 * (also YYYY-MM-DD, the province's day): the date, else null.
 */
export function completionDateOf(text, today) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? '').trim());
  if (!match) return null;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return match[0] <= today ? match[0] : null;
}

/** Today in Beijing (the province's calendar, as the server's checks use), YYYY-MM-DD. */
export function provinceToday(now = new Date()) {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
