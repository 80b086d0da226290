// When an expert may ask to renew their term (申请续聘): in the 90 days up to the term's last day,
// both counted in Beijing's calendar as the server counts them (src/admission/renewal.rs). The
// server decides; the console offers the request only when it would not certainly be refused.
// Kept apart from the page so that Node can test it.

/** How many days before a term's last day a renewal may be asked. */
export const RENEWAL_WINDOW_DAYS = 90;

/**
 * Days from `today` to `termEnd` (both YYYY-MM-DD) while a renewal may be asked: 0 on the last
 * day, 90 on the window's first; null before the window, after the term, or for no date.
 */
export function renewalDaysLeft(termEnd, today) {
  const pattern = /^\d{4}-\d{2}-\d{2}$/;
  if (!pattern.test(termEnd || '') || !pattern.test(today || '')) return null;
  const end = Date.parse(`${termEnd}T00:00:00Z`);
  const now = Date.parse(`${today}T00:00:00Z`);
  if (Number.isNaN(end) || Number.isNaN(now)) return null;
  const left = Math.round((end - now) / 86_400_000);
  return left >= 0 && left <= RENEWAL_WINDOW_DAYS ? left : null;
}
