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
import { regionSelect } from './region-picker.js';
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

// ---- the venue catalogue (docs/VENUES.md §1) --------------------------------------------------
// A center registers and changes its own rooms, an admin any center's; everyone staff reads the
// catalogue. Ids: #venue-form (#venue-center for admins, #venue-name, #venue-address,
// #venue-region, #venue-workstations, #venue-remote, #venue-status, #venue-submit), #venue-list,
// per venue ID: #venue-row-ID, #venue-edit-ID, and its editor #venue-edit-form (#venue-edit-*).

async function renderCatalogue(ctx) {
  const slot = errorSlot();
  const admin = ctx.me.role === 'admin';
  const [regions, centers] = await Promise.all([
    api.get('/api/v1/regions'),
    admin ? api.get('/api/v1/accounts/directory?role=center') : Promise.resolve([]),
  ]);
  const list = h('div', { id: 'venue-list' });
  const editor = h('div');
  const refresh = async () => {
    const query = admin ? '' : api.query({ center: ctx.me.username });
    const venues = await api.get(`/api/v1/venues${query}`);
    replace(list, venues.length ? table([
      { label: t('venues.cat.name'), value: (v) => h('span', { id: `venue-row-${v.venue_id}` }, v.name) },
      admin ? { label: t('venues.cat.center'), value: (v) => v.center_name || v.center } : null,
      { label: t('venues.cat.region'), value: (v) => `${v.prefecture_name || ''} ${v.region_name || v.region_code}`.trim() },
      { label: t('venues.cat.workstations'), value: (v) => String(v.workstations) },
      { label: t('venues.cat.remote'), value: (v) => t(v.remote_capable ? 'common.yes' : 'common.no') },
      { label: t('common.status'), value: (v) => h('span', { class: `badge ${v.status === 'open' ? 'good' : 'warn'}` }, t(`venues.status.${v.status}`)) },
      { label: t('common.actions'), value: (v) => h('button', { type: 'button', id: `venue-edit-${v.venue_id}`, on: { click: () => {
        replace(editor, venueEditor(v, regions, slot, async () => { replace(editor); await refresh(); }));
        editor.scrollIntoView({ block: 'nearest' });
      } } }, t('venues.cat.edit')) },
    ].filter(Boolean), venues) : h('p', { class: 'muted' }, t('venues.cat.none')));
  };
  await refresh();
  const center = admin
    ? h('select', { id: 'venue-center', 'data-field': 'center' }, h('option', { value: '' }, t('venues.cat.choose_center')),
      centers.map((c) => h('option', { value: c.username }, `${c.name}（${c.username}）`)))
    : null;
  const name = h('input', { id: 'venue-name', maxlength: 100, 'data-field': 'name' });
  const address = h('input', { id: 'venue-address', maxlength: 200, 'data-field': 'address' });
  const region = regionSelect(regions, { id: 'venue-region', emptyLabel: t('venues.cat.choose_region') });
  region.dataset.field = 'region_code';
  const workstations = h('input', { id: 'venue-workstations', type: 'number', min: 1, max: 200, 'data-field': 'workstations' });
  const remote = h('input', { id: 'venue-remote', type: 'checkbox', checked: true, 'data-field': 'remote_capable' });
  const status = statusSelect('venue-status', 'open');
  const submit = action(t('venues.cat.register'), async () => {
    let ok = true;
    if (center) ok = markInvalid(center, center.value ? null : t('venues.cat.choose_center')) && ok;
    ok = markInvalid(name, name.value.trim() ? null : t('venues.cat.required')) && ok;
    ok = markInvalid(address, address.value.trim() ? null : t('venues.cat.required')) && ok;
    ok = markInvalid(region, region.value ? null : t('venues.cat.choose_region')) && ok;
    const count = Number(workstations.value);
    ok = markInvalid(workstations, Number.isInteger(count) && count >= 1 && count <= 200 ? null : t('venues.cat.workstations_hint')) && ok;
    if (!ok) return;
    const body = { name: name.value.trim(), address: address.value.trim(), region_code: region.value, workstations: count, remote_capable: remote.checked, status: status.value };
    if (center) body.center = center.value;
    await api.post('/api/v1/venues', body);
    toast(t('venues.cat.registered', { name: body.name }));
    name.value = '';
    address.value = '';
    await refresh();
  }, { slot, id: 'venue-submit', type: 'submit' });
  return h('div', {},
    h('h1', {}, t('venues.cat.heading')),
    h('p', { class: 'hint' }, t('venues.cat.intro')),
    h('div', { class: 'columns' },
      section(t('venues.cat.new'), h('form', { id: 'venue-form', novalidate: true },
        center ? field(t('venues.cat.center'), center) : null,
        field(t('venues.cat.name'), name), field(t('venues.cat.address'), address),
        field(t('venues.cat.region'), region, t('venues.cat.region_hint')),
        field(t('venues.cat.workstations'), workstations, t('venues.cat.workstations_hint')),
        h('label', { class: 'check' }, remote, ' ', t('venues.cat.remote_label')),
        field(t('common.status'), status),
        slot.node, h('div', { class: 'buttons' }, submit))),
      h('div', {}, section(t('venues.cat.list'), list), editor)));
}

function statusSelect(id, value) {
  const select = h('select', { id, 'data-field': 'status' },
    ['open', 'closed_for_maintenance'].map((s) => h('option', { value: s }, t(`venues.status.${s}`))));
  select.value = value;
  return select;
}

/** A venue's fields, changed in place (PATCH): what changed is logged by the server. */
function venueEditor(venue, regions, slot, done) {
  const name = h('input', { id: 'venue-edit-name', maxlength: 100, value: venue.name, 'data-field': 'name' });
  const address = h('input', { id: 'venue-edit-address', maxlength: 200, value: venue.address, 'data-field': 'address' });
  const region = regionSelect(regions, { id: 'venue-edit-region', emptyLabel: t('venues.cat.choose_region') });
  region.dataset.field = 'region_code';
  region.value = venue.region_code;
  const workstations = h('input', { id: 'venue-edit-workstations', type: 'number', min: 1, max: 200, value: String(venue.workstations), 'data-field': 'workstations' });
  const remote = h('input', { id: 'venue-edit-remote', type: 'checkbox', checked: venue.remote_capable, 'data-field': 'remote_capable' });
  const status = statusSelect('venue-edit-status', venue.status);
  return section(t('venues.cat.edit_heading', { name: venue.name }),
    h('form', { id: 'venue-edit-form', novalidate: true },
      field(t('venues.cat.name'), name), field(t('venues.cat.address'), address),
      field(t('venues.cat.region'), region),
      field(t('venues.cat.workstations'), workstations, t('venues.cat.workstations_edit_hint')),
      h('label', { class: 'check' }, remote, ' ', t('venues.cat.remote_label')),
      field(t('common.status'), status, t('venues.cat.status_hint')),
      h('div', { class: 'buttons' }, action(t('venues.cat.save'), async () => {
        const changes = {};
        if (name.value.trim() !== venue.name) changes.name = name.value.trim();
        if (address.value.trim() !== venue.address) changes.address = address.value.trim();
        if (region.value && region.value !== venue.region_code) changes.region_code = region.value;
        if (Number(workstations.value) !== venue.workstations) changes.workstations = Number(workstations.value);
        if (remote.checked !== venue.remote_capable) changes.remote_capable = remote.checked;
        if (status.value !== venue.status) changes.status = status.value;
        await api.patch(`/api/v1/venues/${encodeURIComponent(venue.venue_id)}`, changes);
        toast(t('venues.cat.saved'));
        await done();
      }, { slot, id: 'venue-edit-save', type: 'submit' }))));
}

export const views = {
  'venues/catalogue': { roles: ['center', 'admin'], nav: 'venues.nav.catalogue', render: renderCatalogue },
  'venues/requests': { roles: ['center', 'supervisor', 'admin'], nav: 'venues.nav.requests', render: renderRequests },
};
