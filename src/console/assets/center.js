// Trading-center screens: ask for a draw, contribute randomness, follow confirmations, open an
// evaluation session. Hosting the session itself is the session screen (session.js).
//
// Ids for tests: draw form #draw-form, #draw-reference, #draw-name, #draw-mode, #draw-venue,
// #draw-start, #draw-minutes, #draw-region (a select of a prefecture or a county), stratum n:
// #stratum-n-count, #stratum-n-reserves, specialty checkboxes #spec-n-<CODE>, its regions
// (#stratum-n-regions-summary opens them) #stratum-n-require-<PREFIX> and
// #stratum-n-exclude-<PREFIX> with filters #stratum-n-require-filter and
// #stratum-n-exclude-filter, its venue (cross-site) #stratum-n-venue (a venue id, 'random' or
// ''), #stratum-n-scope, #stratum-n-random-<PREFIX>; #add-stratum, avoided organisation n:
// #avoid-n-name, #avoid-n-code, #add-avoid, #draw-submit. Draw page: #draw-status,
// #draw-stratum-n, #contribute-entropy, #draw-progress, #download-record, #open-session-form,
// per seat (T = the token's first 16 characters) #vacate-reason-T and #vacate-T.
// Session form: #session-form, #venue-n-venue (a catalogue venue id), #venue-n-seats,
// #add-venue, #session-supervisors, #session-bidders, criterion n: #criterion-n-name,
// #criterion-n-points, #add-criterion, #session-assignment, #session-deviation,
// #session-submit.

import * as api from './api.js';
import { drawRatings } from './ratings.js';
import { h, replace, field, errorSlot, action, table, toast, section, randomHex, markInvalid, confirmAct, redrawKeepingEdits } from './dom.js';
import { t, formatTime, formatCountdown } from './i18n.js';
import { validCreditCode } from './validate.js';
import { regionPicker, regionSelect, regionNames } from './region-picker.js';
import { VENUE_SCOPES, anyBound, bindingProblems, committeeProblem, drawRequest, evaluationWindow, plannedExperts, sessionRequest, sessionVenueProblems } from './draw-request.js';
import { representativeLogins } from './session/host-panel.js';
import { interruptionSection } from './interruptions.js';
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

/** A catalogue venue as one line: name — county (prefecture) · center · free of total. */
function venueLabel(v) {
  const place = v.region_name ? `${v.region_name}（${v.prefecture_name || ''}）` : v.region_code;
  const free = v.free_workstations ?? v.workstations;
  return `${v.name} — ${place} · ${v.center_name || v.center} · ${t('center.venue.free', { free, total: v.workstations })}`;
}

/**
 * A stratum's venue binding (cross-site draws): none, a catalogue venue (the host's own is the
 * main venue, another center's a sub-venue that needs its consent) with the area its experts
 * come from, or a sub-venue the server chooses at random in chosen regions.
 */
function venueBinding(regions, n) {
  const choice = h('select', { id: `stratum-${n}-venue` });
  const scope = h('select', { id: `stratum-${n}-scope` },
    VENUE_SCOPES.map((s) => h('option', { value: s }, t(`center.scope.${s}`))));
  const scopeField = field(t('center.new.scope'), scope, t('center.new.scope_hint'));
  const random = regionPicker(regions, { id: `stratum-${n}-random`, legend: t('center.new.random_regions'), hint: t('center.new.random_hint') });
  const show = () => {
    scopeField.hidden = !choice.value || choice.value === 'random';
    random.node.hidden = choice.value !== 'random';
  };
  choice.addEventListener('change', show);
  const box = h('fieldset', { class: 'binding' }, h('legend', {}, t('center.new.binding')),
    field(t('center.new.venue_choice'), choice, t('center.new.venue_choice_hint')), scopeField, random.node);
  return {
    node: box,
    choice,
    random,
    /** Lists the catalogue as read for the draw's window, keeping the choice where it still can. */
    fill(catalogue, me) {
      const before = choice.value;
      const own = catalogue.filter((v) => v.center === me);
      const others = catalogue.filter((v) => v.center !== me);
      replace(choice,
        h('option', { value: '' }, t('center.new.venue_none')),
        own.length ? h('optgroup', { label: t('center.new.venue_own') }, own.map((v) => h('option', { value: v.venue_id }, venueLabel(v)))) : null,
        others.length ? h('optgroup', { label: t('center.new.venue_other') }, others.map((v) => h('option', { value: v.venue_id }, venueLabel(v)))) : null,
        h('optgroup', { label: t('center.new.venue_random_group') }, h('option', { value: 'random' }, t('center.new.venue_random'))));
      choice.value = [...choice.options].some((o) => o.value === before) ? before : '';
      show();
    },
    value() {
      if (choice.value === 'random') return { kind: 'random', regions: random.chosen() };
      if (choice.value) return { kind: 'venue', venueId: choice.value, scope: scope.value };
      return { kind: 'none' };
    },
  };
}

function renderDrawForm(ctx, codes, regions, industries) {
  const slot = errorSlot();
  const reference = h('input', { id: 'draw-reference', required: true, maxlength: 64, 'data-field': 'tender_reference' });
  const name = h('input', { id: 'draw-name', required: true, maxlength: 200, 'data-field': 'tender_name' });
  const mode = h('select', { id: 'draw-mode', 'data-field': 'mode' }, MODES.map((m) => h('option', { value: m }, t(`center.mode.${m}`))));
  const venue = h('input', { id: 'draw-venue', maxlength: 200, 'data-field': 'venue' });
  const venueField = field(t('center.new.venue'), venue, t('center.new.venue_hint'));
  const start = h('input', { id: 'draw-start', type: 'datetime-local', required: true, 'data-field': 'evaluation_start' });
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000 + 8 * 3600 * 1000);
  start.value = `${tomorrow.toISOString().slice(0, 10)}T09:00`;
  const minutes = h('input', { id: 'draw-minutes', type: 'number', min: 30, max: 1440, value: '240', 'data-field': 'evaluation_minutes' });
  const region = regionSelect(regions, { id: 'draw-region', emptyLabel: t('center.new.region_default') });
  // A server refusal naming one of these fields marks it (dom.js markServerField).
  region.dataset.field = 'project_region';

  // The catalogue, read for the evaluation window so each venue shows what is free then.
  let catalogue = [];
  const catalogueNote = h('p', { class: 'hint', id: 'catalogue-note', 'aria-live': 'polite' });
  const loadCatalogue = async () => {
    if (mode.value !== 'cross_site') return;
    const span = evaluationWindow(start.value, minutes.value);
    const query = { status: 'open', remote_capable: 'true' };
    if (span) Object.assign(query, { free_from: span.from, free_until: span.until });
    try {
      catalogue = await api.get(`/api/v1/venues${api.query(query)}`);
      replace(catalogueNote, catalogue.length ? t('center.new.catalogue', { n: catalogue.length }) : t('center.new.catalogue_empty'));
    } catch (error) {
      catalogue = [];
      replace(catalogueNote, error.detail || error.message);
    }
    for (const s of strata) s.binding.fill(catalogue, ctx.me.username);
  };

  const strata = [];
  const strataList = h('div');
  const addStratum = () => {
    const n = strata.length + 1;
    const tree = specialtyTree(codes, n);
    const count = h('input', { id: `stratum-${n}-count`, type: 'number', min: 1, max: 99, value: '5', 'data-field': `strata[${n - 1}].count` });
    const reserves = h('input', { id: `stratum-${n}-reserves`, type: 'number', min: 0, max: 99, value: '2', 'data-field': `strata[${n - 1}].reserves` });
    // The lowest tier drawn (the experts' confirmed annual assessment); empty draws every tier.
    const minTier = h('select', { id: `stratum-${n}-min-tier`, 'data-field': `strata[${n - 1}].min_tier` },
      h('option', { value: '' }, t('center.new.min_tier_any')),
      h('option', { value: 'B' }, t('center.new.min_tier_b')),
      h('option', { value: 'A' }, t('center.new.min_tier_a')));
    const require = regionPicker(regions, { id: `stratum-${n}-require`, legend: t('center.new.require'), hint: t('center.new.require_hint') });
    const exclude = regionPicker(regions, { id: `stratum-${n}-exclude`, legend: t('center.new.exclude'), hint: t('center.new.exclude_hint') });
    const binding = venueBinding(regions, n);
    binding.node.hidden = mode.value !== 'cross_site';
    const boundNote = h('p', { class: 'hint', hidden: true }, t('center.new.bound_note'));
    const regionsBox = h('details', { class: 'regions', id: `stratum-${n}-regions` },
      h('summary', { id: `stratum-${n}-regions-summary` }, t('center.new.regions')),
      boundNote, h('div', { class: 'columns' }, require.node, exclude.node));
    // A bound stratum's area comes from its venue: its own requirement would not be sent.
    binding.choice.addEventListener('change', () => {
      const bound = Boolean(binding.choice.value);
      require.setDisabled(bound);
      boundNote.hidden = !bound;
    });
    const box = h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.stratum', { n })),
      h('p', { class: 'field-label' }, t('center.new.specialties')), tree.node,
      h('div', { class: 'inline' }, field(t('center.new.count'), count), field(t('center.new.reserves'), reserves),
        field(t('center.new.min_tier'), minTier)),
      regionsBox, binding.node);
    const entry = { tree, count, reserves, minTier, require, exclude, binding, box };
    if (n > 1) {
      box.append(h('button', { type: 'button', class: 'danger', on: { click: () => { strata.splice(strata.indexOf(entry), 1); box.remove(); } } }, t('center.new.remove')));
    }
    binding.fill(catalogue, ctx.me.username);
    strata.push(entry);
    strataList.append(box);
  };
  addStratum();

  mode.addEventListener('change', () => {
    venueField.hidden = mode.value === 'distributed';
    for (const s of strata) s.binding.node.hidden = mode.value !== 'cross_site';
    catalogueNote.hidden = mode.value !== 'cross_site';
    loadCatalogue();
  });
  start.addEventListener('change', loadCatalogue);
  minutes.addEventListener('change', loadCatalogue);
  catalogueNote.hidden = true;

  // Experts of the center's earlier draws left out by their seat (e.g. after a recusal): a draw,
  // then one of its seats, never a name.
  const excludedExperts = [];
  const excludeList = h('div');
  let earlierDraws = null;
  const addExcluded = async () => {
    earlierDraws ??= (await api.get('/api/v1/draws')).filter((d) => d.status === 'drawn');
    const n = excludedExperts.length + 1;
    const seat = h('select', { id: `exclude-${n}-seat`, 'data-field': `exclude_experts[${n - 1}]` },
      h('option', { value: '' }, t('center.new.exclude_seat_choose')));
    const draw = h('select', { id: `exclude-${n}-draw` },
      h('option', { value: '' }, t('center.new.exclude_draw_choose')),
      earlierDraws.map((d) => h('option', { value: d.draw_id }, `${d.tender_reference} ${d.tender_name}`)));
    draw.addEventListener('change', async () => {
      const chosen = draw.value ? await api.get(`/api/v1/draws/${encodeURIComponent(draw.value)}`) : null;
      replace(seat, h('option', { value: '' }, t('center.new.exclude_seat_choose')),
        (chosen?.seats || []).map((s) => h('option', { value: s.token },
          t('center.new.exclude_seat', { n: s.stratum + 1, token: `${s.token.slice(0, 12)}…`, state: t(`center.seat.${s.state}`) }))));
    });
    const row = h('div', { class: 'inline' }, field(t('center.new.exclude_draw'), draw), field(t('center.new.exclude_seat_label'), seat));
    const entry = { draw, seat, row };
    row.append(h('button', { type: 'button', class: 'danger', on: { click: () => { excludedExperts.splice(excludedExperts.indexOf(entry), 1); row.remove(); } } }, t('center.new.remove')));
    excludedExperts.push(entry);
    excludeList.append(row);
  };

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

  // Where the draw belongs among supervisors' jurisdictions (docs/DRAWS.md, "Jurisdiction").
  const industry = h('select', { id: 'draw-industry', 'data-field': 'industry' },
    h('option', { value: '' }, t('center.new.industry_none')),
    industries.map((i) => h('option', { value: i.code }, i.name_zh)));
  const statutory = h('input', { type: 'checkbox', id: 'draw-statutory', 'data-field': 'statutory_tender' });
  const statutoryField = h('p', { class: 'choice' }, statutory, ' ', h('label', { for: 'draw-statutory' }, t('center.new.statutory')),
    h('span', { class: 'hint' }, ' ', t('center.new.statutory_hint')));
  // The tenderer's representatives (招标人代表, 招标投标法 §37): counted in the committee the
  // request plans, named when the session opens.
  const representatives = h('input', { id: 'draw-representatives', type: 'number', min: 0, max: 25, value: '0', 'data-field': 'committee.representatives' });
  const committeeNote = h('p', { class: 'hint', id: 'draw-committee', 'aria-live': 'polite' });
  const showCommittee = () => {
    const experts = plannedExperts(strata.map((x) => ({ count: x.count.value })));
    replace(committeeNote, t('center.new.committee_total', { experts, representatives: Number(representatives.value) || 0 }));
  };
  representatives.addEventListener('input', showCommittee);
  strataList.addEventListener('input', showCommittee);
  showCommittee();

  // What the project is, for supervision's statistics (docs/ANALYTICS.md).
  const category = h('select', { id: 'draw-category', 'data-field': 'project_category' },
    ['', 'works', 'goods', 'services'].map((c) => h('option', { value: c }, t(c ? `center.new.category.${c}` : 'center.new.unstated'))));
  const invested = h('select', { id: 'draw-government', 'data-field': 'government_invested' },
    ['', 'yes', 'no'].map((c) => h('option', { value: c }, t(c ? `common.${c}` : 'center.new.unstated'))));
  const valueBand = h('select', { id: 'draw-value-band', 'data-field': 'value_band' },
    ['', 'under_4m', '4m_to_10m', '10m_to_100m', '100m_and_above'].map((c) => h('option', { value: c }, t(c ? `center.new.band.${c}` : 'center.new.unstated'))));
  const transactionCode = h('input', { id: 'draw-transaction-code', maxlength: 40, autocapitalize: 'characters', 'data-field': 'transaction_code' });
  const projectBox = h('details', { class: 'card', id: 'draw-project' },
    h('summary', {}, t('center.new.project')),
    h('p', { class: 'hint' }, t('center.new.project_hint')),
    h('div', { class: 'columns' },
      h('div', {}, field(t('center.new.category'), category), field(t('center.new.government'), invested)),
      h('div', {}, field(t('center.new.value_band'), valueBand), field(t('center.new.transaction_code'), transactionCode, t('center.new.transaction_code_hint')))));

  const formData = () => ({
    category: category.value,
    governmentInvested: invested.value,
    valueBand: valueBand.value,
    transactionCode: transactionCode.value,
    representatives: representatives.value,
    industry: industry.value,
    statutory: statutory.checked,
    reference: reference.value,
    name: name.value,
    mode: mode.value,
    venue: venue.value,
    start: start.value,
    minutes: minutes.value,
    projectRegion: region.value,
    strata: strata.map((s) => ({
      specialties: s.tree.chosen(),
      count: s.count.value,
      reserves: s.reserves.value,
      minTier: s.minTier.value,
      regionsRequire: s.require.chosen(),
      regionsExclude: s.exclude.chosen(),
      binding: mode.value === 'cross_site' ? s.binding.value() : { kind: 'none' },
    })),
    avoid: avoided.map((a) => ({ name: a.orgName.value, code: a.orgCode.value })),
    excludeExperts: excludedExperts.map((e) => ({ drawId: e.draw.value, token: e.seat.value })),
  });

  const validate = (data) => {
    let ok = true;
    ok = markInvalid(reference, reference.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(name, name.value.trim() ? null : t('center.check.required')) && ok;
    // Bound strata name the main venue themselves: the label is then the room's own name.
    const labelNeeded = mode.value !== 'distributed' && !anyBound(data.strata);
    ok = markInvalid(venue, !labelNeeded || venue.value.trim() ? null : t('center.check.required')) && ok;
    ok = markInvalid(start, start.value ? null : t('center.check.required')) && ok;
    for (const s of strata) {
      ok = markInvalid(s.count, Number(s.count.value) >= 1 ? null : t('center.check.count')) && ok;
      ok = s.tree.require() && ok;
      markInvalid(s.binding.choice, null);
      s.binding.random.markInvalid(null);
    }
    for (const problem of bindingProblems(data.strata, catalogue, ctx.me.username)) {
      const s = strata[problem.stratum];
      const message = t(problem.key, problem.vars);
      if (problem.field === 'random') s.binding.random.markInvalid(message);
      else markInvalid(s.binding.choice, message);
      ok = false;
    }
    const named = Number(representatives.value) || 0;
    if (named > 0) {
      const problem = committeeProblem(plannedExperts(data.strata), named);
      ok = markInvalid(representatives, problem ? t(problem.key, problem.vars) : null) && ok;
    } else {
      markInvalid(representatives, null);
    }
    const code = transactionCode.value.trim();
    ok = markInvalid(transactionCode, !code || /^[A-Za-z0-9-]{10,40}$/.test(code) ? null : t('center.check.transaction_code')) && ok;
    if (code && transactionCode.getAttribute('aria-invalid') === 'true') projectBox.open = true;
    for (const a of avoided) {
      ok = markInvalid(a.orgName, a.orgName.value.trim() ? null : t('center.check.required')) && ok;
      ok = markInvalid(a.orgCode, validCreditCode(a.orgCode.value.trim()) ? null : t('center.check.code')) && ok;
    }
    return ok;
  };

  const submit = action(t('center.new.submit'), async () => {
    const data = formData();
    if (!validate(data)) throw new Error(t('center.check.fix'));
    const created = await api.post('/api/v1/draws', drawRequest(data));
    toast(t('center.draw.intent', { index: created.intent_index }));
    ctx.go('center/draw', { id: created.draw_id });
  }, { slot, id: 'draw-submit', type: 'submit' });

  return h('form', { id: 'draw-form', novalidate: true },
    h('h1', {}, t('center.new.heading')),
    h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.tender')),
      h('div', { class: 'columns' },
        h('div', {}, field(t('center.new.reference'), reference), field(t('center.new.name'), name), field(t('center.new.mode'), mode), venueField),
        h('div', {}, field(t('center.new.start'), start), field(t('center.new.minutes'), minutes), field(t('center.new.region'), region, t('center.new.region_hint')),
          field(t('center.new.industry'), industry, t('center.new.industry_hint')), statutoryField,
          field(t('center.new.representatives'), representatives, t('center.new.representatives_hint')), committeeNote))),
    projectBox,
    h('h2', {}, t('center.new.strata')),
    catalogueNote,
    strataList,
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'add-stratum', on: { click: addStratum } }, t('center.new.add_stratum'))),
    h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.avoid')),
      h('p', { class: 'hint' }, t('center.new.avoid_hint')), avoidList,
      h('button', { type: 'button', id: 'add-avoid', on: { click: addAvoid } }, t('center.new.add_avoid'))),
    h('fieldset', { class: 'card' }, h('legend', {}, t('center.new.exclude_experts')),
      h('p', { class: 'hint' }, t('center.new.exclude_experts_hint')), excludeList,
      h('button', { type: 'button', id: 'add-excluded', on: { click: () => addExcluded().catch((error) => slot.show(error)) } }, t('center.new.add_excluded'))),
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
  const regions = await api.get('/api/v1/regions');
  const refresh = async () => {
    const draw = await api.get(`/api/v1/draws/${encodeURIComponent(id)}`);
    // Every few seconds: a reason being chosen for vacating a seat must survive the redraw.
    redrawKeepingEdits(page, drawPage(ctx, draw, slot, refresh, regions));
    return draw;
  };
  const draw = await refresh();
  if (!draw.complete) ctx.every(4000, () => refresh().catch((error) => slot.show(error)));
  // Suspending, resuming, cancelling (issue 16 §4): apart from the live page, so a reason
  // being typed survives its refreshes; read again after each request.
  const holdNode = h('div');
  const refreshHold = async () => {
    const latest = await refresh();
    replace(holdNode, await interruptionSection(latest, refreshHold));
  };
  replace(holdNode, await interruptionSection(draw, refreshHold));
  // An on-site evaluation's ratings, once its committee is complete (issue 16 §6).
  const ratings = draw.complete && !draw.parent_draw_id ? await drawRatings(id, slot) : null;
  return h('div', {}, slot.node, page, holdNode, ratings);
}

/** A stratum's committed region rule (the v3 intent's), in words. */
function stratumRegions(regions, committed) {
  if (!committed) return null;
  const require = committed.regions_require || [];
  const exclude = committed.regions_exclude || [];
  if (!require.length && !exclude.length) return null;
  return h('div', { class: 'hint' },
    require.length ? t('center.draw.regions_require', { names: regionNames(regions, require) }) : t('center.draw.regions_any'),
    exclude.length ? `；${t('center.draw.regions_exclude', { names: regionNames(regions, exclude) })}` : '');
}

/** Why a draw is void, in words when the code is known. */
function voidReason(code) {
  const key = `center.void.${code}`;
  return t(key) === key ? String(code || '') : t(key);
}

/**
 * A stratum's venue, when it is bound to one; for a sub-venue chosen at random, also the
 * candidates asked, each center's answer, and which one the draw's seed chose.
 */
function stratumVenue(venue, random, n) {
  const line = venue ? h('div', { class: 'hint' },
    t('center.draw.venue', { name: venue.name, role: t(`center.venue.role.${venue.role}`), scope: t(`center.scope.${venue.scope || 'prefecture'}`) }),
    venue.chosen_at_random ? ` · ${t('center.draw.chosen_at_random')}` : '',
    venue.consent ? ` · ${t(`center.consent.${venue.consent}`)}` : '') : null;
  if (!random) return line;
  return h('div', { id: `draw-stratum-${n}-random` },
    line ?? h('div', { class: 'hint' }, t('center.draw.venue_random_pending', { n: random.candidates.length })),
    h('ul', { class: 'hint', id: `draw-stratum-${n}-candidates` }, random.candidates.map((c) => h('li', {},
      `${c.name} · ${c.center} · ${t(`center.consent.${c.consent}`)}`,
      c.venue_id === random.chosen ? ` · ${t('center.draw.chosen_at_random')}` : ''))));
}

/**
 * Whether a sub-venue's center (named, or a candidate of a random choice) has not answered yet:
 * the draw executes only once they all have (docs/DRAWS.md), whatever randomness is in.
 */
function awaitingSubVenues(draw) {
  return !draw.void && draw.strata.some((s) => s.venue?.consent === 'pending'
    || (s.venue_random?.candidates ?? []).some((c) => c.consent === 'pending'));
}

function drawPage(ctx, draw, slot, refresh, regions) {
  const remote = draw.mode !== 'on_site';
  const intent = section(t('center.draw.status'),
    h('p', {}, h('span', { id: 'draw-status' }, statusBadge(draw.status)), ' ', t(`center.mode.${draw.mode}`), ' · ', formatTime(draw.evaluation_start),
      new Date(draw.evaluation_start) > Date.now() ? h('span', { id: 'draw-countdown' }, ` （${formatCountdown(draw.evaluation_start)}）`) : null),
    h('p', { class: 'muted' }, t('center.draw.intent', { index: draw.intent_index })),
    draw.committee ? h('p', { id: 'draw-committee-planned' }, t('center.draw.committee', draw.committee)) : null,
    draw.void ? h('p', { class: 'warning', role: 'status', id: 'draw-void' }, draw.void.reason === 'retendered'
      ? t('center.draw.retendered')
      : t('center.draw.void', { reason: voidReason(draw.void.reason) })) : null,
    h('ul', { id: 'draw-strata' }, draw.strata.map((s) => h('li', { id: `draw-stratum-${s.stratum + 1}` },
      t('center.draw.eligible', { n: s.stratum + 1, prefixes: s.specialty_prefixes.join(', '), eligible: s.eligible, matched: s.matched, k: s.k, m: s.m }),
      stratumRegions(regions, draw.intent?.strata?.[s.stratum]),
      stratumVenue(s.venue, s.venue_random, s.stratum + 1),
      Object.keys(s.excluded).length ? h('div', { class: 'hint' }, t('center.draw.excluded', { reasons: Object.entries(s.excluded).map(([r, n]) => `${t(`center.exclusion.${r}`)} ${n}`).join(', ') })) : null))));

  const contributions = draw.contributions.length
    ? h('ul', {}, draw.contributions.map((c) => h('li', {}, `#${c.position} ${t(`role.${c.role}`)} — ${formatTime(c.received_at)}`)))
    : h('p', { class: 'muted' }, t('common.none'));
  const entropy = draw.status === 'awaiting_entropy'
    ? section(t('center.draw.entropy'),
      h('p', {}, t('center.draw.entropy_text', { deadline: formatTime(draw.contribution_deadline) })),
      awaitingSubVenues(draw) ? h('p', { class: 'hint', id: 'draw-awaiting-venues' }, t('center.draw.awaiting_venues')) : null,
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
            // Seats filled by linked draws (补抽) count toward the committee the center waits for.
            h('span', {}, t('center.draw.stratum_progress', { n: p.stratum + 1, confirmed: p.confirmed + (p.filled_by_linked || 0), k, pending: p.pending + (p.pending_in_linked || 0), replaced: p.replaced, reserves: p.reserves_left }),
              p.filled_by_linked || p.pending_in_linked ? ` ${t('center.draw.by_linked', { n: p.filled_by_linked, pending: p.pending_in_linked })}` : ''),
            h('progress', { max: k || 1, value: p.confirmed + (p.filled_by_linked || 0), 'aria-label': t('center.draw.progress') }));
        }),
        draw.complete ? h('p', { class: 'ok', role: 'status' }, t('center.draw.complete')) : null),
      linkedChain(draw));
    seats = section(t('center.draw.seats'), table([
      { label: t('center.draw.token'), value: (s) => h('code', { title: s.token }, `${s.token.slice(0, 12)}…`) },
      { label: t('center.draw.group'), value: (s) => String(s.stratum + 1) },
      { label: t('center.draw.rank'), value: (s) => String(s.rank + 1) },
      { label: t('center.draw.state'), value: (s) => t(`center.seat.${s.state}`) + (s.replaced_reason ? ` (${t(`center.reason.${s.replaced_reason}`)})` : '') },
      // Staff vacate only a confirmed member's seat, for a reason of their own to record (the
      // server's VacancyReason::RECORDED_BY_STAFF): declines and silence come from the experts.
      { label: t('common.actions'), value: (s) => (s.state === 'confirmed' ? vacateControl(draw, s, slot, refresh) : '') },
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
    entropy ? progress : null, seats, tools, publicationSection(draw, slot, refresh));
}

/**
 * The root draw's replacement draws (补抽) as a chain of seats: each linked draw with the group
 * whose seat it fills, why, its state and its own seats — one page for the whole committee
 * (issue 24 §2). Ids: #draw-chain, #linked-ID.
 */
function linkedChain(draw) {
  const chain = draw.linked_chain || [];
  if (!chain.length) return null;
  return h('div', { id: 'draw-chain' },
    h('h3', {}, t('center.draw.linked')),
    h('ol', { class: 'chain' }, chain.map((link) => h('li', { id: `linked-${link.draw_id}` },
      h('p', {}, t('center.draw.chain_link', {
        n: link.stratum + 1,
        reason: link.reason ? t(`center.reason.${link.reason}`) : '—',
        at: formatTime(link.created_at),
      }), ' ', statusBadge(link.status), ' ',
      h('a', { href: `#/center/draw?id=${encodeURIComponent(link.draw_id)}` }, t('center.draw.chain_open'))),
      link.seats.length ? h('ul', { class: 'plain' }, link.seats.map((seat) => h('li', {},
        h('code', { title: seat.token }, `${seat.token.slice(0, 12)}…`), ' ', t(`center.seat.${seat.state}`)))) : null))));
}

// The published committee as last read on this page, by draw: each read is an audit entry, so
// the page reads it only when asked, and keeps it across its live redraws.
const readCommittees = new Map();

/**
 * Publishing the committee list (公示) of a complete root draw: the request with its reason
 * (a supervisor approves it once the evaluation has closed), and, once approved, reading the
 * names — only on request, each read logged.
 */
function publicationSection(draw, slot, refresh) {
  if (draw.status !== 'drawn' || draw.parent_draw_id || !draw.complete) return null;
  const id = draw.draw_id;
  const reason = h('textarea', { id: 'publication-reason', rows: 2, maxlength: 500, 'data-field': 'reason' });
  const members = readCommittees.get(id);
  return section(t('center.pub.heading'),
    h('p', { class: 'hint' }, t('center.pub.hint')),
    field(t('center.pub.reason'), reason, t('center.pub.reason_hint')),
    h('div', { class: 'buttons' },
      action(t('center.pub.request'), async () => {
        const text = reason.value.trim();
        if (!markInvalid(reason, [...text].length >= 10 && [...text].length <= 500 ? null : t('center.pub.reason_hint'))) {
          throw new Error(t('center.pub.reason_hint'));
        }
        await api.post(`/api/v1/draws/${encodeURIComponent(id)}/publication`, { reason: text });
        reason.value = '';
        toast(t('center.pub.requested'));
      }, { slot, id: 'publication-request' }),
      action(t('center.pub.read'), async () => {
        readCommittees.set(id, await api.get(`/api/v1/draws/${encodeURIComponent(id)}/committee`));
        await refresh();
      }, { slot, id: 'committee-read', kind: '' })),
    members ? h('div', { id: 'committee' }, h('p', { class: 'hint' }, t('center.pub.logged')), table([
      { label: t('center.pub.name'), value: (m) => m.name },
      { label: t('center.draw.group'), value: (m) => String(m.stratum + 1) },
    ], members)) : null);
}

function vacateControl(draw, seat, slot, refresh) {
  // No reason is preselected: a default would be sent unread.
  const id = `vacate-reason-${seat.token.slice(0, 16)}`;
  const reason = h('select', { id, 'aria-label': t('center.draw.reason'), 'data-field': 'reason' },
    h('option', { value: '' }, t('center.draw.reason_choose')),
    ['withdrew', 'recused'].map((r) => h('option', { value: r }, t(`center.reason.${r}`))));
  return h('span', { class: 'inline' }, reason, action(t('center.draw.vacate'), async () => {
    if (!markInvalid(reason, reason.value ? null : t('center.draw.reason_choose'))) return;
    const ok = await confirmAct({
      heading: t('center.draw.vacate_heading'),
      text: t('center.draw.vacate_confirm', { token: `${seat.token.slice(0, 12)}…`, n: seat.stratum + 1, reason: t(`center.reason.${reason.value}`) }),
      confirm: t('center.draw.vacate'),
    });
    if (!ok) return;
    try {
      await api.post(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/replacements`, { token: seat.token, reason: reason.value });
    } catch (error) {
      // The page may have been redrawn while the dialog was open: mark the reason now shown.
      if (error.field === 'reason') markInvalid(document.getElementById(id) || reason, error.detail);
      throw error;
    }
    toast(t('center.draw.vacated'));
    await refresh();
  }, { slot, kind: 'danger', id: `vacate-${seat.token.slice(0, 16)}` }));
}

// ---- a session for a draw ----------------------------------------------------------------------

/**
 * A cross-site session's venues, chosen from the catalogue as read for the draw's evaluation
 * window: the main venue one of the host's own, each sub-venue another center's (that center is
 * then asked to consent). A draw whose strata are bound to venues brings its venues: they are
 * shown, and none are sent.
 */
function sessionVenues(ctx, draw, catalogue, size) {
  const fromDraw = draw.strata.some((s) => s.venue);
  if (fromDraw) {
    return {
      fromDraw,
      node: h('section', { class: 'card' }, h('h2', {}, t('center.session.venues')),
        h('p', { class: 'hint' }, t('center.session.from_draw')),
        h('ul', { id: 'session-draw-venues' }, draw.strata.filter((s) => s.venue).map((s) => h('li', {},
          t('center.session.bound', { n: s.stratum + 1, name: s.venue.name || '—', k: s.k, role: t(`center.venue.role.${s.venue.role}`) }))))),
      values: () => [],
      check: () => true,
    };
  }
  const own = catalogue.filter((v) => v.center === ctx.me.username);
  const others = catalogue.filter((v) => v.center !== ctx.me.username);
  const venues = [];
  const list = h('div');
  const addVenue = () => {
    const n = venues.length + 1;
    const main = n === 1;
    const options = main ? own : others;
    const choice = h('select', { id: `venue-${n}-venue` },
      h('option', { value: '' }, t('center.session.choose')),
      options.map((v) => h('option', { value: v.venue_id }, venueLabel(v))));
    const seats = h('input', { id: `venue-${n}-seats`, type: 'number', min: 1, max: 200, value: '1' });
    const box = h('fieldset', { class: 'card' }, h('legend', {}, main ? t('center.session.main') : t('center.session.venue', { n })),
      main && !own.length ? h('p', { class: 'warning' }, t('center.session.no_own')) : null,
      !main && !others.length ? h('p', { class: 'warning' }, t('center.session.no_others')) : null,
      h('div', { class: 'inline' },
        field(main ? t('center.session.main_choice') : t('center.session.sub_choice'), choice),
        field(t('center.session.seats'), seats)),
      main ? null : h('p', { class: 'hint' }, t('center.session.consent_hint')));
    const entry = { choice, seats };
    if (n > 2) box.append(h('button', { type: 'button', class: 'danger', on: { click: () => { venues.splice(venues.indexOf(entry), 1); box.remove(); } } }, t('center.new.remove')));
    venues.push(entry);
    list.append(box);
  };
  addVenue();
  addVenue();
  const values = () => venues.map((v) => ({ venueId: v.choice.value, seats: v.seats.value }));
  return {
    fromDraw,
    node: h('section', {}, h('h2', {}, t('center.session.venues')),
      h('p', { class: 'hint' }, t('center.session.seat_total', { n: size }), ' ', t('center.session.catalogue_hint')),
      list,
      h('button', { type: 'button', id: 'add-venue', on: { click: addVenue } }, t('center.session.add_venue'))),
    values,
    check() {
      for (const v of venues) { markInvalid(v.choice, null); markInvalid(v.seats, null); }
      const problems = sessionVenueProblems(values(), catalogue, ctx.me.username, size);
      for (const problem of problems) {
        const v = venues[problem.venue];
        markInvalid(problem.field === 'seats' ? v.seats : v.choice, t(problem.key, problem.vars));
      }
      return !problems.length;
    },
  };
}

/**
 * The session's supervisors, picked by name among those the server offers for this draw: the
 * enabled supervisors whose jurisdiction covers it (no usernames typed). Ids for tests:
 * #session-supervisors (the group), #session-supervisor-USERNAME (dots and the like as "_").
 */
function supervisorPicker(offered) {
  const boxes = offered.map((s) => h('input', {
    type: 'checkbox', id: `session-supervisor-${s.username.replace(/[^A-Za-z0-9_-]/g, '_')}`, value: s.username,
  }));
  const group = h('fieldset', { id: 'session-supervisors', class: 'choices', 'data-field': 'supervisors', tabindex: '-1' },
    h('legend', {}, t('center.session.supervisors')),
    offered.length
      ? offered.map((s, i) => h('label', { class: 'choice' }, boxes[i], ' ', s.name,
        s.name !== s.username ? h('span', { class: 'muted' }, ` （${s.username}）`) : null))
      : h('p', { class: 'warning', id: 'session-no-supervisors' }, t('center.session.no_supervisors')));
  return {
    node: group,
    value: () => boxes.filter((b) => b.checked).map((b) => b.value).join(','),
  };
}

function renderSessionForm(ctx, draw, catalogue, offeredSupervisors) {
  const slot = errorSlot();
  const planned = draw.committee?.representatives || 0;
  // The tenderer's representatives sit at the main venue with the drawn experts.
  const size = draw.strata.reduce((sum, s) => sum + s.k, 0) + planned;
  const crossSite = draw.mode === 'cross_site';
  const venues = crossSite ? sessionVenues(ctx, draw, catalogue, size) : null;
  const supervisors = supervisorPicker(offeredSupervisors);
  const bidders = h('textarea', { id: 'session-bidders', rows: 4, 'data-field': 'bidders' });
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
  // As many representatives as the draw planned, each by name (employer and title optional):
  // sealed on arrival; the logins come back once.
  const representatives = Array.from({ length: planned }, (_, i) => {
    const n = i + 1;
    const name = h('input', { id: `representative-${n}-name`, maxlength: 50, 'data-field': `representatives[${i}].name` });
    const employer = h('input', { id: `representative-${n}-employer`, maxlength: 100, 'data-field': `representatives[${i}].employer` });
    const title = h('input', { id: `representative-${n}-title`, maxlength: 50, 'data-field': `representatives[${i}].title` });
    return { name, employer, title, row: h('div', { class: 'inline' },
      field(t('center.session.rep_name_n', { n }), name), field(t('center.session.rep_employer'), employer), field(t('center.session.rep_title'), title)) };
  });
  const assignment = h('select', { id: 'session-assignment' },
    h('option', { value: 'random' }, t('center.session.random')), h('option', { value: 'in_order' }, t('center.session.in_order')));
  const deviation = h('input', { id: 'session-deviation', type: 'number', min: 1, max: 100, value: '20', 'data-field': 'deviation_percent' });

  const submit = action(t('center.session.submit'), async () => {
    let ok = true;
    if (venues) ok = venues.check() && ok;
    ok = markInvalid(supervisors.node, supervisors.value() ? null : t('center.session.pick_supervisor')) && ok;
    ok = markInvalid(bidders, bidders.value.trim() ? null : t('center.check.required')) && ok;
    for (const c of criteria) {
      ok = markInvalid(c.name, c.name.value.trim() ? null : t('center.check.required')) && ok;
      ok = markInvalid(c.max, Number(c.max.value) >= 1 ? null : t('center.check.count')) && ok;
    }
    for (const r of representatives) ok = markInvalid(r.name, r.name.value.trim() ? null : t('center.check.required')) && ok;
    if (!ok) throw new Error(t('center.check.fix'));
    // A server refusal names criteria by their place in the request, which removals shift.
    criteria.forEach((c, i) => {
      c.name.dataset.field = `criteria[${i}].name`;
      c.max.dataset.field = `criteria[${i}].max_points`;
    });
    const created = await api.post('/api/v1/sessions', sessionRequest({
      drawId: draw.draw_id,
      crossSite,
      venuesFromDraw: venues?.fromDraw,
      venues: venues ? venues.values() : [],
      assignment: assignment.value,
      supervisors: supervisors.value(),
      bidders: bidders.value,
      criteria: criteria.map((c) => ({ name: c.name.value, max: c.max.value })),
      deviation: deviation.value,
      representatives: representatives.map((r) => ({ name: r.name.value, employer: r.employer.value, title: r.title.value })),
    }));
    if (created.representatives?.length) {
      // Shown once: the server keeps only the codes' hashes and sealed copies.
      replace(form, loginsOnce(ctx, created));
      return;
    }
    ctx.go('session/room', { id: created.session_id });
  }, { slot, id: 'session-submit', type: 'submit' });

  const form = h('form', { id: 'session-form', novalidate: true },
    h('h1', {}, t('center.session.heading')),
    h('p', {}, t('center.session.for_draw', { reference: draw.tender_reference }), ' — ', t(`center.mode.${draw.mode}`)),
    venues ? venues.node : null,
    crossSite && !venues.fromDraw ? h('section', { class: 'card' }, field(t('center.session.assignment'), assignment)) : null,
    h('section', { class: 'card' },
      supervisors.node,
      field(t('center.session.bidders'), bidders),
      h('h3', {}, t('center.session.criteria')), criteriaList,
      h('button', { type: 'button', id: 'add-criterion', on: { click: () => addCriterion() } }, t('center.session.add_criterion')),
      field(t('center.session.deviation'), deviation)),
    planned ? h('section', { class: 'card', id: 'session-representatives' },
      h('h2', {}, t('center.session.representatives', { n: planned })),
      h('p', { class: 'hint' }, t('center.session.representatives_hint')),
      representatives.map((r) => r.row)) : null,
    slot.node,
    h('div', { class: 'buttons' }, submit));
  return form;
}

/**
 * The new session's representatives' logins, shown once (the server keeps hashes and sealed
 * copies only), with a way to print them and on to the session room.
 */
function loginsOnce(ctx, created) {
  return h('div', { id: 'session-created' },
    h('h1', {}, t('center.session.created')),
    representativeLogins(created.representatives),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'print-logins', on: { click: () => window.print() } }, t('center.session.print')),
      h('button', { type: 'button', class: 'primary', id: 'to-session-room', on: { click: () => ctx.go('session/room', { id: created.session_id }) } },
        t('center.session.to_room'))));
}

export const views = {
  'center/draws': { roles: ['center'], nav: 'center.nav.draws', render: renderDraws },
  'center/draw-new': {
    roles: ['center'],
    nav: 'center.nav.new',
    render: async (ctx) => {
      const [codes, regions, industries] = await Promise.all([api.get('/api/v1/specialties'), api.get('/api/v1/regions'), api.get('/api/v1/industries')]);
      return renderDrawForm(ctx, codes, regions, industries);
    },
  },
  'center/draw': { roles: ['center'], render: renderDraw },
  'center/session-new': {
    roles: ['center'],
    render: async (ctx) => {
      const draw = await api.get(`/api/v1/draws/${encodeURIComponent(ctx.params.draw)}`);
      let catalogue = [];
      if (draw.mode === 'cross_site') {
        const end = new Date(Date.parse(draw.evaluation_start) + draw.evaluation_minutes * 60000).toISOString();
        catalogue = await api.get(`/api/v1/venues${api.query({
          status: 'open', remote_capable: 'true', free_from: draw.evaluation_start, free_until: end,
        })}`);
      }
      const supervisors = await api.get(`/api/v1/accounts/directory${api.query({ role: 'supervisor', draw: draw.draw_id })}`);
      return renderSessionForm(ctx, draw, catalogue, supervisors);
    },
  },
};
