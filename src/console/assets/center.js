// Trading-center screens: ask for a draw, contribute randomness, follow confirmations, open an
// evaluation session. Hosting the session itself is the session screen (session.js).
//
// Ids for tests: draw form #draw-form, #draw-reference, #draw-name, #draw-mode, #draw-venue,
// #draw-start, #draw-minutes, #draw-region, stratum n: #stratum-n-count, #stratum-n-reserves,
// specialty checkboxes #spec-n-<CODE>, #add-stratum, avoided organisation n: #avoid-n-name,
// #avoid-n-code, #add-avoid, #draw-submit. Draw page: #draw-status, #contribute-entropy,
// #draw-progress, #download-record, #open-session-form. Session form: #session-form,
// #venue-n-name, #venue-n-operator, #venue-n-seats, #add-venue, #session-supervisors,
// #session-bidders, criterion n: #criterion-n-name, #criterion-n-points, #add-criterion,
// #session-assignment, #session-deviation, #session-submit.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section, randomHex, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';
import { validCreditCode } from './validate.js';
export { strings } from './strings/center.js';

const MODES = ['on_site', 'cross_site', 'distributed'];
function statusBadge(status) {
  const tone = status === 'drawn' ? 'good' : 'warn';
  return h('span', { class: `badge ${tone}` }, t(`center.status.${status}`));
}

function confirmedOf(draw) {
  const k = draw.strata.reduce((sum, s) => sum + s.k, 0);
  const confirmed = draw.progress.reduce((sum, p) => sum + p.confirmed, 0);
  return { k, confirmed };
}

// ---- the list ----------------------------------------------------------------------------------

async function renderDraws(ctx) {
  const body = h('div');
  const refresh = async () => {
    const draws = await api.get('/api/v1/draws?limit=100');
    replace(body, table([
      { label: t('center.col.reference'), value: (d) => h('a', { href: `#/center/draw?id=${encodeURIComponent(d.draw_id)}` }, d.tender_reference) },
      { label: t('center.col.name'), value: (d) => d.tender_name },
      { label: t('center.col.mode'), value: (d) => t(`center.mode.${d.mode}`) },
      { label: t('center.col.start'), value: (d) => formatTime(d.evaluation_start) },
      { label: t('common.status'), value: (d) => statusBadge(d.status) },
      { label: t('center.col.progress'), value: (d) => { const p = confirmedOf(d); return `${p.confirmed}/${p.k}`; } },
    ], draws.filter((d) => !d.parent_draw_id)));
  };
  await refresh();
  ctx.every(10000, () => refresh().catch(() => {}));
  return h('div', {},
    h('h1', {}, t('center.draws.heading')),
    h('div', { class: 'buttons' }, h('a', { href: '#/center/draw-new', class: 'button-link' }, t('center.draws.new'))),
    section(t('center.draws.heading'), body));
}

// ---- the request form --------------------------------------------------------------------------

/**
 * The classification as a tree: each code with children is a <details> whose summary names it
 * and whose body starts with its own checkbox (choosing a code chooses everything under it);
 * a filter box opens the branches that match. Returns the node and a getter of chosen codes.
 */
function specialtyTree(codes, prefix) {
  const chosen = new Set();
  const summary = h('p', { class: 'hint', 'aria-live': 'polite' }, t('center.new.none_chosen'));
  const update = () => {
    summary.classList.remove('error-text');
    summary.removeAttribute('role');
    replace(summary, chosen.size ? t('center.new.chosen', { codes: [...chosen].sort().join(', ') }) : t('center.new.none_chosen'));
  };
  const childrenOf = (parent) => codes.filter((c) => c.code.length > parent.length && c.code.startsWith(parent)
    && !codes.some((o) => o.code.length > parent.length && o.code.length < c.code.length && c.code.startsWith(o.code)));
  const items = [];
  const node = (entry) => {
    const box = h('input', { type: 'checkbox', id: `spec-${prefix}-${entry.code}`, value: entry.code });
    box.addEventListener('change', () => { if (box.checked) chosen.add(entry.code); else chosen.delete(entry.code); update(); });
    const choice = h('span', { class: 'choice' }, box, ' ', h('label', { for: box.id }, h('code', {}, entry.code), ' ', entry.name));
    const kids = childrenOf(entry.code);
    let item;
    if (!kids.length) {
      item = h('li', {}, choice);
    } else {
      const details = h('details', {}, h('summary', { id: `spec-${prefix}-${entry.code}-summary` }, h('code', {}, entry.code), ' ', entry.name),
        choice, h('ul', { class: 'tree' }, kids.map(node)));
      item = h('li', {}, details);
    }
    items.push({ entry, item });
    return item;
  };
  const roots = codes.filter((c) => c.code.length === 1);
  const tree = h('ul', { class: 'tree', role: 'group', 'aria-label': t('center.new.specialties') }, roots.map(node));
  const filter = h('input', { id: `spec-${prefix}-filter`, type: 'search', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const { entry, item } of items) {
      const matches = !needle || entry.code.toLowerCase().startsWith(needle) || entry.name.toLowerCase().includes(needle)
        || items.some((o) => o.entry.code.startsWith(entry.code) && o.entry.code !== entry.code
          && (o.entry.code.toLowerCase().startsWith(needle) || o.entry.name.toLowerCase().includes(needle)));
      item.hidden = !matches;
      const details = item.querySelector(':scope > details');
      if (details && needle) details.open = matches;
    }
  });
  return {
    node: h('div', {}, field(t('center.new.filter'), filter), h('div', { class: 'spec-tree' }, tree), summary),
    chosen: () => [...chosen].sort(),
    /** Says so beside the tree when nothing is chosen; returns whether something is. */
    require() {
      if (chosen.size) return true;
      summary.classList.add('error-text');
      summary.setAttribute('role', 'alert');
      replace(summary, t('center.check.specialty'));
      return false;
    },
  };
}

function renderDrawForm(ctx, codes) {
  const slot = errorSlot();
  const reference = h('input', { id: 'draw-reference', required: true, maxlength: 64 });
  const name = h('input', { id: 'draw-name', required: true, maxlength: 200 });
  const mode = h('select', { id: 'draw-mode' }, MODES.map((m) => h('option', { value: m }, t(`center.mode.${m}`))));
  const venue = h('input', { id: 'draw-venue', maxlength: 200 });
  const venueField = field(t('center.new.venue'), venue, t('center.new.venue_hint'));
  mode.addEventListener('change', () => { venueField.hidden = mode.value === 'distributed'; });
  const start = h('input', { id: 'draw-start', type: 'datetime-local', required: true });
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000 + 8 * 3600 * 1000);
  start.value = `${tomorrow.toISOString().slice(0, 10)}T09:00`;
  const minutes = h('input', { id: 'draw-minutes', type: 'number', min: 30, max: 1440, value: '240' });
  const region = h('input', { id: 'draw-region', inputmode: 'numeric', maxlength: 6, pattern: '[0-9]{6}' });

  const strata = [];
  const strataList = h('div');
  const addStratum = () => {
    const n = strata.length + 1;
    const tree = specialtyTree(codes, n);
    const count = h('input', { id: `stratum-${n}-count`, type: 'number', min: 1, max: 99, value: '5' });
    const reserves = h('input', { id: `stratum-${n}-reserves`, type: 'number', min: 0, max: 99, value: '2' });
    const box = h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.stratum', { n })),
      h('p', { class: 'field-label' }, t('center.new.specialties')), tree.node,
      h('div', { class: 'inline' }, field(t('center.new.count'), count), field(t('center.new.reserves'), reserves)));
    const entry = { tree, count, reserves, box };
    if (n > 1) {
      box.append(h('button', { type: 'button', class: 'danger', on: { click: () => { strata.splice(strata.indexOf(entry), 1); box.remove(); } } }, t('center.new.remove')));
    }
    strata.push(entry);
    strataList.append(box);
  };
  addStratum();

  const avoided = [];
  const avoidList = h('div');
  const addAvoid = () => {
    const n = avoided.length + 1;
    const orgName = h('input', { id: `avoid-${n}-name`, maxlength: 200 });
    const orgCode = h('input', { id: `avoid-${n}-code`, maxlength: 18, autocapitalize: 'characters' });
    const row = h('div', { class: 'inline' }, field(t('center.new.org_name'), orgName), field(t('center.new.org_code'), orgCode));
    const entry = { orgName, orgCode, row };
    row.append(h('button', { type: 'button', class: 'danger', on: { click: () => { avoided.splice(avoided.indexOf(entry), 1); row.remove(); } } }, t('center.new.remove')));
    avoided.push(entry);
    avoidList.append(row);
  };

  const validate = () => {
    let ok = true;
    ok = markInvalid(reference, reference.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(name, name.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(venue, mode.value === 'distributed' || venue.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(start, start.value ? null : t('center.check.required')) && ok;
    ok = markInvalid(region, !region.value || /^\d{6}$/.test(region.value) ? null : t('center.new.region_hint')) && ok;
    for (const s of strata) {
      ok = markInvalid(s.count, Number(s.count.value) >= 1 ? null : t('center.check.count')) && ok;
      ok = s.tree.require() && ok;
    }
    for (const a of avoided) {
      ok = markInvalid(a.orgName, a.orgName.value.trim() ? null : t('center.check.required')) && ok;
      ok = markInvalid(a.orgCode, validCreditCode(a.orgCode.value.trim()) ? null : t('center.check.code')) && ok;
    }
    return ok;
  };

  const submit = action(t('center.new.submit'), async () => {
    if (!validate()) throw new Error(t('center.check.fix'));
    const body = {
      tender_reference: reference.value.trim(),
      tender_name: name.value.trim(),
      evaluation_start: `${start.value.length === 16 ? `${start.value}:00` : start.value}+08:00`,
      evaluation_minutes: Number(minutes.value),
      mode: mode.value,
      strata: strata.map((s) => ({ specialty_prefixes: s.tree.chosen(), count: Number(s.count.value), reserves: Number(s.reserves.value) })),
      avoid_organisations: avoided.map((a) => ({ name: a.orgName.value.trim(), credit_code: a.orgCode.value.trim() })),
    };
    if (mode.value !== 'distributed' && venue.value.trim()) body.venue = venue.value.trim();
    if (region.value) body.project_region = region.value;
    const created = await api.post('/api/v1/draws', body);
    toast(t('center.draw.intent', { index: created.intent_index }));
    ctx.go('center/draw', { id: created.draw_id });
  }, { slot, id: 'draw-submit', type: 'submit' });

  return h('form', { id: 'draw-form', novalidate: true },
    h('h1', {}, t('center.new.heading')),
    h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.tender')),
      h('div', { class: 'columns' },
        h('div', {}, field(t('center.new.reference'), reference), field(t('center.new.name'), name), field(t('center.new.mode'), mode), venueField),
        h('div', {}, field(t('center.new.start'), start), field(t('center.new.minutes'), minutes), field(t('center.new.region'), region, t('center.new.region_hint'))))),
    h('h2', {}, t('center.new.strata')),
    strataList,
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'add-stratum', on: { click: addStratum } }, t('center.new.add_stratum'))),
    h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.avoid')),
      h('p', { class: 'hint' }, t('center.new.avoid_hint')), avoidList,
      h('button', { type: 'button', id: 'add-avoid', on: { click: addAvoid } }, t('center.new.add_avoid'))),
    slot.node,
    h('div', { class: 'buttons' }, submit));
}

// ---- one draw ----------------------------------------------------------------------------------

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function renderDraw(ctx) {
  const id = ctx.params.id;
  const page = h('div');
  const slot = errorSlot();
  const refresh = async () => {
    const draw = await api.get(`/api/v1/draws/${encodeURIComponent(id)}`);
    replace(page, drawPage(ctx, draw, slot, refresh));
    return draw;
  };
  const draw = await refresh();
  if (!draw.complete) ctx.every(4000, () => refresh().catch((error) => slot.show(error)));
  return h('div', {}, slot.node, page);
}

function drawPage(ctx, draw, slot, refresh) {
  const remote = draw.mode !== 'on_site';
  const intent = section(t('center.draw.status'),
    h('p', {}, h('span', { id: 'draw-status' }, statusBadge(draw.status)), ' ', t(`center.mode.${draw.mode}`), ' · ', formatTime(draw.evaluation_start)),
    h('p', { class: 'muted' }, t('center.draw.intent', { index: draw.intent_index })),
    h('ul', {}, draw.strata.map((s) => h('li', {},
      t('center.draw.eligible', { n: s.stratum + 1, prefixes: s.specialty_prefixes.join(', '), eligible: s.eligible, matched: s.matched, k: s.k, m: s.m }),
      Object.keys(s.excluded).length ? h('div', { class: 'hint' }, t('center.draw.excluded', { reasons: Object.entries(s.excluded).map(([r, n]) => `${t(`center.exclusion.${r}`)} ${n}`).join(', ') })) : null))));

  const contributions = draw.contributions.length
    ? h('ul', {}, draw.contributions.map((c) => h('li', {}, `#${c.position} ${c.role} — ${formatTime(c.received_at)}`)))
    : h('p', { class: 'muted' }, t('common.none'));
  const entropy = draw.status === 'awaiting_entropy'
    ? section(t('center.draw.entropy'),
      h('p', {}, t('center.draw.entropy_text', { deadline: formatTime(draw.contribution_deadline) })),
      action(t('center.draw.contribute'), async () => {
        await api.post(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/entropy`, { entropy: randomHex(32) });
        toast(t('center.draw.contributed'));
        await refresh();
      }, { slot, id: 'contribute-entropy' }),
      h('h3', {}, t('center.draw.contributions')), contributions)
    : null;

  let progress = null;
  let seats = null;
  if (draw.status === 'drawn') {
    progress = section(t('center.draw.progress'),
      h('div', { id: 'draw-progress' },
        draw.progress.map((p) => {
          const k = draw.strata[p.stratum]?.k ?? 0;
          return h('div', { class: 'field' },
            h('span', {}, t('center.draw.stratum_progress', { n: p.stratum + 1, confirmed: p.confirmed, k, pending: p.pending, replaced: p.replaced, reserves: p.reserves_left })),
            h('progress', { max: k || 1, value: p.confirmed, 'aria-label': t('center.draw.progress') }));
        }),
        draw.complete ? h('p', { class: 'ok', role: 'status' }, t('center.draw.complete')) : null),
      draw.linked_draws.length ? h('p', {}, t('center.draw.linked'), ': ', draw.linked_draws.map((l) => h('a', { href: `#/center/draw?id=${encodeURIComponent(l)}` }, l, ' '))) : null);
    seats = section(t('center.draw.seats'), table([
      { label: t('center.draw.token'), value: (s) => h('code', { title: s.token }, `${s.token.slice(0, 12)}…`) },
      { label: t('center.draw.group'), value: (s) => String(s.stratum + 1) },
      { label: t('center.draw.rank'), value: (s) => String(s.rank + 1) },
      { label: t('center.draw.state'), value: (s) => t(`center.seat.${s.state}`) + (s.replaced_reason ? ` (${t(`center.reason.${s.replaced_reason}`)})` : '') },
      { label: t('common.actions'), value: (s) => (s.state === 'seated' || s.state === 'confirmed') ? vacateControl(draw, s, slot, refresh) : '' },
    ], draw.seats.filter((s) => s.state !== 'reserve')));
  }

  const tools = draw.status === 'drawn'
    ? section(t('center.draw.record'),
      h('p', { class: 'hint' }, t('center.draw.record_hint')),
      h('div', { class: 'buttons' },
        action(t('center.draw.record'), async () => {
          const record = await api.get(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/record`);
          download(`draw-${draw.draw_id}.json`, JSON.stringify(record, null, 2));
        }, { slot, id: 'download-record', kind: '' }),
        remote && draw.complete && !draw.parent_draw_id
          ? h('button', { type: 'button', id: 'open-session-form', class: 'primary', on: { click: () => ctx.go('center/session-new', { draw: draw.draw_id }) } }, t('center.draw.open_session'))
          : null))
    : null;

  return h('div', {},
    h('h1', {}, t('center.draw.heading', { reference: draw.tender_reference }), ' ', h('span', { class: 'muted' }, draw.tender_name)),
    h('div', { class: 'columns' }, intent, entropy || progress),
    entropy ? progress : null, seats, tools);
}

function vacateControl(draw, seat, slot, refresh) {
  const reason = h('select', { 'aria-label': t('center.draw.reason') },
    ['no_answer', 'withdrew', 'declined', 'recused'].map((r) => h('option', { value: r }, t(`center.reason.${r}`))));
  return h('span', { class: 'inline' }, reason, action(t('center.draw.vacate'), async () => {
    await api.post(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/replacements`, { token: seat.token, reason: reason.value });
    toast(t('center.draw.vacated'));
    await refresh();
  }, { slot, kind: 'danger' }));
}

// ---- a session for a draw ----------------------------------------------------------------------

function renderSessionForm(ctx, draw) {
  const slot = errorSlot();
  const size = draw.strata.reduce((sum, s) => sum + s.k, 0);
  const crossSite = draw.mode === 'cross_site';
  const venues = [];
  const venueList = h('div');
  const addVenue = () => {
    const n = venues.length + 1;
    const name = h('input', { id: `venue-${n}-name`, maxlength: 200, value: n === 1 ? (draw.venue || '') : '' });
    const operator = h('input', { id: `venue-${n}-operator`, autocomplete: 'off' });
    const seats = h('input', { id: `venue-${n}-seats`, type: 'number', min: 1, max: 99, value: '1' });
    const box = h('fieldset', { class: 'card' }, h('legend', {}, n === 1 ? t('center.session.main') : t('center.session.venue', { n })),
      h('div', { class: 'inline' }, field(t('center.session.venue_name'), name), n === 1 ? null : field(t('center.session.operator'), operator), field(t('center.session.seats'), seats)));
    const entry = { name, operator, seats, main: n === 1 };
    if (n > 2) box.append(h('button', { type: 'button', class: 'danger', on: { click: () => { venues.splice(venues.indexOf(entry), 1); box.remove(); } } }, t('center.new.remove')));
    venues.push(entry);
    venueList.append(box);
  };
  if (crossSite) { addVenue(); addVenue(); }
  const supervisors = h('input', { id: 'session-supervisors', autocomplete: 'off' });
  const bidders = h('textarea', { id: 'session-bidders', rows: 4 });
  const criteria = [];
  const criteriaList = h('div');
  const addCriterion = (nameText = '', points = '') => {
    const n = criteria.length + 1;
    const name = h('input', { id: `criterion-${n}-name`, maxlength: 100, value: nameText });
    const max = h('input', { id: `criterion-${n}-points`, type: 'number', min: 1, max: 100, value: String(points) });
    const row = h('div', { class: 'inline' }, field(t('center.session.criterion_name'), name), field(t('center.session.max_points'), max));
    const entry = { name, max };
    row.append(h('button', { type: 'button', class: 'danger', on: { click: () => { criteria.splice(criteria.indexOf(entry), 1); row.remove(); } } }, t('center.new.remove')));
    criteria.push(entry);
    criteriaList.append(row);
  };
  addCriterion();
  const assignment = h('select', { id: 'session-assignment' },
    h('option', { value: 'random' }, t('center.session.random')), h('option', { value: 'in_order' }, t('center.session.in_order')));
  const deviation = h('input', { id: 'session-deviation', type: 'number', min: 1, max: 100, value: '20' });

  const submit = action(t('center.session.submit'), async () => {
    let ok = true;
    if (crossSite) {
      const total = venues.reduce((sum, v) => sum + Number(v.seats.value || 0), 0);
      for (const v of venues) ok = markInvalid(v.name, v.name.value.trim() ? null : t('center.check.required')) && ok;
      for (const v of venues.slice(1)) ok = markInvalid(v.operator, v.operator.value.trim() ? null : t('center.check.required')) && ok;
      ok = markInvalid(venues[0].seats, total >= size ? null : t('center.session.seat_total', { n: size })) && ok;
    }
    ok = markInvalid(supervisors, supervisors.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(bidders, bidders.value.trim() ? null : t('center.check.required')) && ok;
    for (const c of criteria) {
      ok = markInvalid(c.name, c.name.value.trim() ? null : t('center.check.required')) && ok;
      ok = markInvalid(c.max, Number(c.max.value) >= 1 ? null : t('center.check.count')) && ok;
    }
    if (!ok) throw new Error(t('center.check.fix'));
    const body = {
      draw_id: draw.draw_id,
      supervisors: supervisors.value.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
      bidders: bidders.value.split('\n').map((s) => s.trim()).filter(Boolean),
      criteria: criteria.map((c) => ({ name: c.name.value.trim(), max_points: Number(c.max.value) })),
      deviation_percent: Number(deviation.value),
    };
    if (crossSite) {
      body.venues = venues.map((v) => (v.main
        ? { name: v.name.value.trim(), seats: Number(v.seats.value) }
        : { name: v.name.value.trim(), operator: v.operator.value.trim(), seats: Number(v.seats.value) }));
      body.assignment = assignment.value;
    }
    const created = await api.post('/api/v1/sessions', body);
    ctx.go('session/room', { id: created.session_id });
  }, { slot, id: 'session-submit', type: 'submit' });

  return h('form', { id: 'session-form', novalidate: true },
    h('h1', {}, t('center.session.heading')),
    h('p', {}, t('center.session.for_draw', { reference: draw.tender_reference }), ' — ', t(`center.mode.${draw.mode}`)),
    crossSite ? h('section', {}, h('h2', {}, t('center.session.venues')), h('p', { class: 'hint' }, t('center.session.seat_total', { n: size })), venueList,
      h('button', { type: 'button', id: 'add-venue', on: { click: addVenue } }, t('center.session.add_venue')),
      field(t('center.session.assignment'), assignment)) : null,
    h('section', { class: 'card' },
      field(t('center.session.supervisors'), supervisors),
      field(t('center.session.bidders'), bidders),
      h('h3', {}, t('center.session.criteria')), criteriaList,
      h('button', { type: 'button', id: 'add-criterion', on: { click: () => addCriterion() } }, t('center.session.add_criterion')),
      field(t('center.session.deviation'), deviation)),
    slot.node,
    h('div', { class: 'buttons' }, submit));
}

export const views = {
  'center/draws': { roles: ['center'], nav: 'center.nav.draws', render: renderDraws },
  'center/draw-new': {
    roles: ['center'],
    nav: 'center.nav.new',
    render: async (ctx) => renderDrawForm(ctx, await api.get('/api/v1/specialties')),
  },
  'center/draw': { roles: ['center'], render: renderDraw },
  'center/session-new': {
    roles: ['center'],
    render: async (ctx) => renderSessionForm(ctx, await api.get(`/api/v1/draws/${encodeURIComponent(ctx.params.draw)}`)),
  },
};
