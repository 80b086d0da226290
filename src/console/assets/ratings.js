// Conduct ratings after an evaluation (issue 16 §6; docs/SESSIONS.md, "Ratings"): three marks
// from 1 (poor) to 5 (exemplary) for one seat, sent once after a confirmation — a rating cannot
// be taken back, only appealed by the expert. Used by the session room (host, supervisors, once
// the session has closed) and the draw page of an on-site evaluation (its center, supervisors).
// Ids for tests: #rate-KEY-punctuality, -diligence, -discipline, #rate-KEY-submit, #rate-KEY.

import * as api from './api.js';
import { h, replace, action, confirmAct, markInvalid, toast } from './dom.js';
import { t, formatTime } from './i18n.js';

export const MARKS = ['punctuality', 'diligence', 'discipline'];

/**
 * One seat's rating: `label` names the seat ("专家 3", a token), `rated` whether the reader has
 * rated it, `send(marks)` posts it; errors go to `slot`.
 */
export function ratingControl({ key, label, rated, send, slot }) {
  if (rated) {
    return h('li', { id: `rate-${key}`, class: 'rating rated' }, h('span', {}, label), ' ',
      h('span', { class: 'badge good', 'data-rated': 'true' }, t('rating.rated')));
  }
  const selects = MARKS.map((mark) => h('select', {
    id: `rate-${key}-${mark}`, 'data-field': mark, 'aria-label': `${label}：${t(`rating.${mark}`)}`,
  }, h('option', { value: '' }, t(`rating.${mark}`)),
  [5, 4, 3, 2, 1].map((value) => h('option', { value: String(value) }, t(`rating.mark.${value}`)))));
  return h('li', { id: `rate-${key}`, class: 'rating' },
    h('span', { class: 'rating-seat' }, label),
    h('span', { class: 'inline' }, selects,
      action(t('rating.submit'), async () => {
        let ok = true;
        for (const select of selects) ok = markInvalid(select, select.value ? null : t('rating.choose')) && ok;
        if (!ok) return;
        const marks = Object.fromEntries(MARKS.map((mark, i) => [mark, Number(selects[i].value)]));
        const confirmed = await confirmAct({
          heading: t('rating.confirm_heading', { seat: label }),
          text: t('rating.confirm', {
            seat: label,
            marks: MARKS.map((mark) => `${t(`rating.${mark}`)} ${marks[mark]}`).join('、'),
          }),
          confirm: t('rating.submit'),
          danger: false,
        });
        if (!confirmed) return;
        await send(marks);
      }, { slot, id: `rate-${key}-submit` })));
}

/** A rating's three marks in words: "守时 4、勤勉 5、遵守纪律 3". */
export function marksText(rating) {
  return MARKS.map((mark) => `${t(`rating.${mark}`)} ${rating[mark]}`).join('、');
}

/**
 * An on-site evaluation's ratings on its draw page (its center) or the supervisor's ratings
 * screen: each confirmed member's seat, by token, rated once after the evaluation window. A
 * draw whose evaluation ran as a session (rated in the session room), or one not drawn yet,
 * shows nothing. Id: #draw-ratings.
 */
export async function drawRatings(drawId, slot) {
  let data;
  try {
    data = await api.get(`/api/v1/draws/${encodeURIComponent(drawId)}/ratings`);
  } catch (error) {
    if (error.status === 409 || error.status === 404) return null;
    throw error;
  }
  const node = h('section', { class: 'card', id: 'draw-ratings' });
  const draw = () => {
    replace(node,
      h('h2', {}, t('rating.draw.heading')),
      h('p', { class: 'hint' }, data.open
        ? t('rating.draw.hint')
        : t('rating.draw.not_yet', { at: formatTime(data.opens_at) })),
      data.open ? h('ul', { class: 'plain ratings' }, data.seats.map((seat) => ratingControl({
        key: seat.token.slice(0, 16),
        label: t('rating.draw.seat', { n: seat.stratum + 1, token: `${seat.token.slice(0, 12)}…` }),
        rated: seat.rated,
        slot,
        send: async (marks) => {
          await api.post(`/api/v1/draws/${encodeURIComponent(drawId)}/ratings`, { token: seat.token, ...marks });
          seat.rated = true;
          toast(t('rating.draw.done'));
          draw();
        },
      }))) : null);
  };
  draw();
  return node;
}
