// Sub-venue consent (docs/VENUES.md §4): a center is asked before another center uses one of its
// rooms as a sub-venue, for a session or a draw. This screen lists what the center is asked
// (accept, or refuse saying why, which frees the workstations) and what it asked of others,
// with their answers. Admins and supervisors read every request and answer none.
//
// Ids for tests: #venue-requests-state (the filter), #venue-requests-incoming,
// #venue-requests-outgoing, #venue-requests-all, rows #venue-request-<id> (data-state),
// #venue-accept-<id>, #venue-refuse-open-<id> (opens the refusal), #venue-reason-<id>,
// #venue-refuse-<id>.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';
export { strings } from './strings/venues.js';

const STATES = ['requested', 'accepted', 'refused', 'withdrawn'];
const TONES = { requested: 'warn', accepted: 'good', refused: 'bad', withdrawn: '' };

function stateBadge(request) {
  return h('span', { class: `badge ${TONES[request.state] || ''}`, id: `venue-request-${request.request_id}`, 'data-state': request.state },
    t(`venues.state.${request.state}`));
}

/** What the venue is asked for: a session (linked), or a draw (linked for the center that asked). */
function purpose(request, me) {
  const holder = request.holder || {};
  if (holder.kind === 'session') {
    return h('a', { href: `#/session/room?id=${encodeURIComponent(holder.id)}` }, t('venues.for_session', { id: holder.id.slice(-12) }));
  }
  const id = holder.id || request.draw_id || '';
  const what = request.tender_name || `…${id.slice(-12)}`;
  const stratum = Number.isInteger(request.stratum) ? t('venues.stratum', { n: request.stratum + 1 }) : '';
  const text = `${t('venues.for_draw', { what })}${stratum}`;
  return request.requesting_center === me ? h('a', { href: `#/center/draw?id=${encodeURIComponent(id)}` }, text) : text;
}

function when(request) {
  return `${formatTime(request.window_start)} – ${formatTime(request.window_end)}`;
}

function answerOf(request) {
  if (request.state === 'refused') {
    return h('span', {}, t('venues.refused_because', { reason: request.reason || '' }),
      request.answered_by ? h('span', { class: 'hint' }, ` (${request.answered_by}, ${formatTime(request.answered_at)})`) : null);
  }
  if (request.state === 'accepted') {
    return request.answered_by ? `${request.answered_by}, ${formatTime(request.answered_at)}` : '';
  }
  return '';
}

/** Accept, or refuse with a reason of 2 to 500 characters, which both centers read. */
function answerControls(request, slot, refresh) {
  const id = request.request_id;
  const reason = h('textarea', { id: `venue-reason-${id}`, rows: 2, maxlength: 500, 'data-field': 'reason' });
  return h('div', {},
    h('div', { class: 'buttons' }, action(t('venues.accept'), async () => {
      await api.post(`/api/v1/venue-requests/${encodeURIComponent(id)}/accept`);
      toast(t('venues.accepted'));
      await refresh();
    }, { slot, id: `venue-accept-${id}` })),
    h('details', { class: 'panel' }, h('summary', { id: `venue-refuse-open-${id}` }, t('venues.refuse_heading')),
      field(t('venues.reason'), reason, t('venues.reason_hint')),
      action(t('venues.refuse'), async () => {
        const text = reason.value.trim();
        if (!markInvalid(reason, [...text].length >= 2 && [...text].length <= 500 ? null : t('venues.reason_hint'))) {
          throw new Error(t('venues.reason_hint'));
        }
        await api.post(`/api/v1/venue-requests/${encodeURIComponent(id)}/refuse`, { reason: text });
        toast(t('venues.refused'));
        await refresh();
      }, { slot, id: `venue-refuse-${id}`, kind: 'danger' })));
}

async function renderRequests(ctx) {
  const slot = errorSlot();
  const stateFilter = h('select', { id: 'venue-requests-state' },
    h('option', { value: '' }, t('venues.all_states')),
    STATES.map((s) => h('option', { value: s }, t(`venues.state.${s}`))));
  const incoming = h('div', { id: 'venue-requests-incoming', class: 'table-scroll' });
  const outgoing = h('div', { id: 'venue-requests-outgoing', class: 'table-scroll' });
  const all = h('div', { id: 'venue-requests-all', class: 'table-scroll' });
  const center = ctx.me.role === 'center';
  const columns = (side) => [
    { label: t('venues.col.asked'), value: (r) => formatTime(r.created_at) },
    { label: t('venues.col.venue'), value: (r) => r.venue_name },
    side === 'incoming'
      ? { label: t('venues.col.requester'), value: (r) => r.requesting_center }
      : { label: t('venues.col.owner'), value: (r) => r.venue_center },
    side === 'all' ? { label: t('venues.col.requester'), value: (r) => r.requesting_center } : null,
    { label: t('venues.col.purpose'), value: (r) => purpose(r, ctx.me.username) },
    { label: t('venues.col.window'), value: when },
    { label: t('venues.col.workstations'), value: (r) => String(r.workstations) },
    { label: t('common.status'), value: stateBadge },
    { label: t('venues.col.answer'), value: (r) => (side === 'incoming' && r.state === 'requested' ? answerControls(r, slot, refresh) : answerOf(r)) },
  ].filter(Boolean);
  const refresh = async () => {
    const requests = await api.get(`/api/v1/venue-requests${api.query({ state: stateFilter.value })}`);
    if (center) {
      replace(incoming, table(columns('incoming'), requests.filter((r) => r.venue_center === ctx.me.username), { empty: t('venues.none_incoming') }));
      replace(outgoing, table(columns('outgoing'), requests.filter((r) => r.requesting_center === ctx.me.username), { empty: t('venues.none_outgoing') }));
    } else {
      replace(all, table(columns('all'), requests, { empty: t('venues.none') }));
    }
  };
  stateFilter.addEventListener('change', () => refresh().catch((error) => slot.show(error)));
  await refresh();
  // Answers arrive while the screen is open; a reason being typed is not thrown away.
  ctx.every(10000, () => {
    const typing = [...document.querySelectorAll('textarea[id^="venue-reason-"]')].some((r) => r.value || r === document.activeElement);
    if (!typing) refresh().catch(() => { /* the next refresh tries again */ });
  });
  return h('div', {},
    h('h1', {}, t('venues.heading')),
    h('p', { class: 'muted' }, center ? t('venues.intro_center') : t('venues.intro_staff')),
    h('div', { class: 'inline card' }, field(t('venues.filter'), stateFilter)),
    slot.node,
    center ? section(t('venues.incoming'), incoming) : null,
    center ? section(t('venues.outgoing'), outgoing) : section(t('venues.heading'), all));
}

export const views = {
  'venues/requests': { roles: ['center', 'supervisor', 'admin'], nav: 'venues.nav.requests', render: renderRequests },
};
