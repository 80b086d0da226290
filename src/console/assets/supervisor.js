// Supervisor screens: a live overview of draws, sessions and the unseal requests awaiting a
// second person's decision; and the draw-frequency report as a chart.
//
// Stable ids (tests drive these):
//   overview:  #overview-updated #draws #sessions #unseal-pending #unseal-decided
//              #unseal-approve-<request_id> #unseal-confirm-<request_id> #unseal-cancel-<request_id>
//              #unseal-refuse-<request_id> #unseal-refuse-reason-<request_id>
//              #unseal-refuse-confirm-<request_id> #publications #publication-approve-<draw_id>
//              #publication-result
//   frequency: #frequency-days #frequency-load #frequency-figures #frequency-chart (svg; one
//              rect.bar per seat count) #frequency-table #frequency-experts

import * as api from './api.js';
import { drawRatings, marksText } from './ratings.js';
import { phaseName } from './session/labels.js';
import { h, replace, field, errorSlot, action, table, section, toast, markInvalid, confirmAct, saveCsv } from './dom.js';
import { t, formatTime } from './i18n.js';
export { strings } from './strings/supervisor.js';

const REFRESH_MS = 5000;

export const views = {
  'supervisor/overview': { roles: ['supervisor'], nav: 'supervisor.nav.overview', render: renderOverview },
  'supervisor/frequency': { roles: ['supervisor'], nav: 'supervisor.nav.frequency', render: renderFrequency },
  'supervisor/unseal': { roles: ['supervisor'], nav: 'supervisor.nav.unseal', render: renderUnseal },
  'supervisor/ratings': { roles: ['supervisor'], nav: 'supervisor.nav.ratings', render: renderRatings },
};

/**
 * A draw's recheck (docs/DRAWS.md §5): whether its committed eligible sets re-derive from their
 * sealed members, and how today's pool differs, in counts only. The request is logged.
 */
function recheckView(draw, report) {
  return h('div', { class: 'card', id: `recheck-${draw.draw_id}-result` },
    h('h3', {}, t('supervisor.recheck.heading', { ref: draw.tender_reference })),
    h('p', { class: report.filter_matches_commitment ? 'ok' : 'error' },
      t(report.filter_matches_commitment ? 'supervisor.recheck.filter_ok' : 'supervisor.recheck.filter_bad')),
    table([
      { label: t('supervisor.recheck.group'), value: (r) => String(r.stratum + 1) },
      { label: t('supervisor.recheck.committed'), value: (r) => String(r.committed) },
      { label: t('supervisor.recheck.members'), value: (r) => h('span', { class: `badge ${r.members_match_committed_root ? 'good' : 'bad'}` },
        t(r.members_match_committed_root ? 'supervisor.recheck.match' : 'supervisor.recheck.mismatch')) },
      { label: t('supervisor.recheck.today'), value: (r) => String(r.eligible_today) },
      { label: t('supervisor.recheck.gone'), value: (r) => String(r.no_longer_eligible) },
      { label: t('supervisor.recheck.new'), value: (r) => String(r.newly_eligible) },
    ], report.strata),
    h('p', { class: 'muted' }, t('supervisor.recheck.snapshots', { then: formatTime(report.snapshot_at_intent), now: formatTime(report.snapshot_now) })));
}

// --- ratings of on-site evaluations, and experts' appeals (issue 16 §6) ----------------------
//   #rate-draw (a draw of the jurisdiction whose evaluation ended), #draw-ratings (ratings.js),
//   #appeals, per appeal ID: #appeal-ID (data-status), #appeal-reason-ID, #appeal-grant-ID,
//   #appeal-uphold-ID

async function renderRatings() {
  const slot = errorSlot();
  const names = await api.accountNames();
  const draws = (await api.get('/api/v1/draws')).filter((d) => d.status === 'drawn' && !d.parent_draw_id && d.mode === 'on_site');
  const picked = h('div');
  const choose = h('select', { id: 'rate-draw' }, h('option', { value: '' }, t('supervisor.ratings.choose')),
    draws.map((d) => h('option', { value: d.draw_id }, `${d.tender_reference} · ${d.tender_name} · ${formatTime(d.evaluation_start)}`)));
  choose.addEventListener('change', async () => {
    replace(picked);
    slot.clear();
    if (!choose.value) return;
    try {
      replace(picked, (await drawRatings(choose.value, slot)) || h('p', { class: 'muted' }, t('supervisor.ratings.none_to_rate')));
    } catch (error) {
      slot.show(error);
    }
  });
  const appealsNode = h('div', { id: 'appeals' });
  const refresh = async () => {
    const appeals = await api.get('/api/v1/rating-appeals');
    replace(appealsNode, appeals.length
      ? h('ul', { class: 'plain' }, appeals.map((a) => appealCard(a, names, slot, refresh)))
      : h('p', { class: 'muted' }, t('supervisor.appeals.none')));
  };
  await refresh();
  return h('div', {},
    h('h1', {}, t('supervisor.ratings.heading')),
    section(t('supervisor.appeals.heading'), h('p', { class: 'hint' }, t('supervisor.appeals.hint')), appealsNode),
    section(t('supervisor.ratings.onsite'), h('p', { class: 'hint' }, t('supervisor.ratings.onsite_hint')),
      field(t('supervisor.ratings.draw'), choose), picked),
    slot.node);
}

function appealCard(appeal, names, slot, refresh) {
  const id = appeal.appeal_id;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('supervisor.appeals.expert')), h('dd', {}, h('code', {}, appeal.expert)),
    h('dt', {}, t('supervisor.appeals.rating')), h('dd', {},
      `${formatTime(appeal.rated_at)} · ${t(`rating.role.${appeal.rater_role}`)} · ${marksText(appeal)}`),
    h('dt', {}, t('supervisor.appeals.reason')), h('dd', {}, appeal.reason),
    h('dt', {}, t('supervisor.appeals.filed')), h('dd', {}, formatTime(appeal.filed_at)));
  if (appeal.status !== 'pending') {
    return h('li', { class: 'card', id: `appeal-${id}`, 'data-status': appeal.status }, facts,
      h('p', {}, h('span', { class: 'badge' }, t(`supervisor.appeals.status.${appeal.status}`)), ' ',
        appeal.decision_reason || '', ' — ', api.accountName(names, appeal.decided_by), ' ', formatTime(appeal.decided_at)));
  }
  const reason = h('textarea', { id: `appeal-reason-${id}`, rows: 2, maxlength: 1000, 'data-field': 'reason' });
  const decide = (outcome) => action(t(`supervisor.appeals.${outcome}`), async () => {
    const text = reason.value.trim();
    if (!markInvalid(reason, [...text].length >= 10 ? null : t('supervisor.appeals.reason_hint'))) return;
    const ok = await confirmAct({
      heading: t(`supervisor.appeals.${outcome}`),
      text: t(`supervisor.appeals.confirm.${outcome}`),
      confirm: t(`supervisor.appeals.${outcome}`),
      danger: outcome === 'granted',
    });
    if (!ok) return;
    await api.post(`/api/v1/rating-appeals/${encodeURIComponent(id)}/decision`, { outcome, reason: text });
    toast(t('supervisor.appeals.decided'));
    await refresh();
  }, { slot, id: `appeal-${outcome === 'granted' ? 'grant' : 'uphold'}-${id}`, kind: outcome === 'granted' ? 'primary' : '' });
  return h('li', { class: 'card', id: `appeal-${id}`, 'data-status': 'pending' }, facts,
    field(t('supervisor.appeals.decision_reason'), reason, t('supervisor.appeals.reason_hint')),
    h('div', { class: 'buttons' }, decide('granted'), decide('upheld')));
}

const SEALED_FIELDS = ['name', 'id_number', 'phone', 'email', 'employer', 'employer_history', 'ties'];

// --- asking to unseal, and reading what was approved --------------------------------------------
//   #unseal-experts #unseal-field-<field> #unseal-reason #unseal-minutes #unseal-submit
//   #unseal-mine, per request #unseal-read-<request_id>, the fields read #unsealed-<request_id>

// What the supervisor read of an approved request on this page: each read is logged, so the page
// reads only when asked, and keeps what it read across its redraws.
const unsealedReads = new Map();

async function renderUnseal(ctx) {
  const slot = errorSlot();
  const experts = h('textarea', { id: 'unseal-experts', rows: 3, 'data-field': 'expert_ids' });
  const boxes = SEALED_FIELDS.map((f) => h('input', { type: 'checkbox', id: `unseal-field-${f}`, value: f }));
  const reason = h('textarea', { id: 'unseal-reason', rows: 2, maxlength: 500, 'data-field': 'reason' });
  const minutes = h('input', { id: 'unseal-minutes', type: 'number', min: 1, max: 1440, value: '30', 'data-field': 'valid_minutes' });
  const mine = h('div', { id: 'unseal-mine' });
  const refresh = async () => {
    const all = await api.get('/api/v1/unseal-requests');
    const own = all.filter((r) => r.requester_id === ctx.me.account_id);
    replace(mine, own.length ? own.map((r) => {
      const read = unsealedReads.get(r.request_id);
      return h('div', { class: 'card', 'data-status': r.status, id: `unseal-request-${r.request_id}` },
        h('p', {}, h('span', { class: 'badge' }, statusText(r.status)), ' ', r.reason),
        h('p', { class: 'hint' }, t('supervisor.unseal.mine_line', { n: r.expert_ids.length, fields: fieldsText(r.fields), minutes: r.valid_minutes }),
          r.valid_until ? ` · ${t('supervisor.unseal.until', { time: formatTime(r.valid_until) })}` : '',
          r.decision_reason ? ` · ${r.decision_reason}` : ''),
        r.status === 'approved'
          ? action(t('supervisor.unseal.read'), async () => {
            unsealedReads.set(r.request_id, await api.get(`/api/v1/unseal-requests/${encodeURIComponent(r.request_id)}/fields`));
            await refresh();
          }, { slot, id: `unseal-read-${r.request_id}`, kind: '' })
          : null,
        read ? h('div', { id: `unsealed-${r.request_id}` }, h('p', { class: 'hint' }, t('supervisor.unseal.read_logged')),
          read.map((record) => h('dl', { class: 'facts' }, h('dt', {}, t('supervisor.unseal.expert')), h('dd', {}, h('code', {}, record.expert_id)),
            Object.entries(record.fields).map(([name, value]) => [h('dt', {}, t(`supervisor.field.${name}`)), h('dd', {}, String(value))])))) : null);
    }) : h('p', { class: 'muted' }, t('supervisor.unseal.mine_none')));
  };
  const submit = action(t('supervisor.unseal.submit'), async () => {
    const ids = experts.value.split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean);
    const fields = boxes.filter((b) => b.checked).map((b) => b.value);
    let ok = markInvalid(experts, ids.length ? null : t('supervisor.unseal.need_experts'));
    const text = reason.value.trim();
    ok = markInvalid(reason, [...text].length >= 10 ? null : t('supervisor.unseal.need_reason')) && ok;
    if (!fields.length) { slot.show(new Error(t('supervisor.unseal.need_fields'))); return; }
    if (!ok) throw new Error(t('supervisor.unseal.fix'));
    await api.post('/api/v1/unseal-requests', { expert_ids: ids, fields, reason: text, valid_minutes: Number(minutes.value) });
    experts.value = '';
    reason.value = '';
    toast(t('supervisor.unseal.submitted'));
    await refresh();
  }, { slot, id: 'unseal-submit', type: 'submit' });
  await refresh();
  return h('div', {},
    h('h1', {}, t('supervisor.unseal.heading')),
    h('p', { class: 'hint' }, t('supervisor.unseal.intro')),
    h('div', { class: 'columns-1-2' },
      section(t('supervisor.unseal.new'), h('form', { id: 'unseal-form', novalidate: true },
        field(t('supervisor.unseal.experts_input'), experts, t('supervisor.unseal.experts_hint')),
        h('fieldset', {}, h('legend', {}, t('supervisor.unseal.fields')),
          h('ul', { class: 'plain' }, SEALED_FIELDS.map((f, n) => h('li', {}, h('span', { class: 'choice' }, boxes[n], ' ', h('label', { for: boxes[n].id }, t(`supervisor.field.${f}`))))))),
        field(t('supervisor.unseal.reason'), reason, t('supervisor.unseal.reason_hint')),
        field(t('supervisor.unseal.minutes'), minutes),
        slot.node, submit)),
      section(t('supervisor.unseal.mine'), mine)));
}

const short = (id) => (id ? `${String(id).slice(0, 8)}…` : '');
const statusText = (status) => t(`supervisor.status.${status}`) === `supervisor.status.${status}` ? status : t(`supervisor.status.${status}`);
const fieldsText = (fields) => fields.map((f) => t(`supervisor.field.${f}`)).join('、');

// --- overview -------------------------------------------------------------------------------

async function renderOverview(ctx) {
  const names = await api.accountNames();
  const updated = h('p', { id: 'overview-updated', class: 'muted' });
  const drawsNode = h('div', { id: 'draws' });
  // A recheck's answer, kept outside the live table so its redraws leave it.
  const recheckNode = h('div', { id: 'recheck-result', 'aria-live': 'polite' });
  const recheckSlot = errorSlot();
  const sessionsNode = h('div', { id: 'sessions' });
  const pendingNode = h('div', { id: 'unseal-pending' });
  const decidedNode = h('div', { id: 'unseal-decided' });
  const unsealSlot = errorSlot();
  let confirming = null; // the request id whose approval awaits confirmation
  let refusing = null; // the request id whose refusal is being explained
  let refusalText = ''; // kept across the live redraws while the supervisor types
  const last = {}; // JSON of what each part shows: unchanged data is not redrawn (keeps focus)

  function drawsTable(draws) {
    return table([
      { label: t('supervisor.draws.tender'), value: (d) => h('span', {}, h('strong', {}, d.tender_reference), ' ', d.tender_name) },
      { label: t('common.status'), value: (d) => h('span', { class: 'badge' }, statusText(d.status)) },
      { label: t('supervisor.draws.start'), value: (d) => formatTime(d.evaluation_start) },
      {
        label: t('supervisor.draws.progress'),
        value: (d) => {
          if (d.status !== 'drawn') return '—';
          const sum = (key) => d.progress.reduce((n, p) => n + p[key], 0);
          const seats = d.strata.reduce((n, s) => n + s.k, 0);
          // Seats filled by replacement draws (补抽) count as filled.
          const confirmed = sum('confirmed') + sum('filled_by_linked');
          return h('div', {},
            h('progress', { max: seats || 1, value: confirmed, 'aria-label': t('supervisor.draws.progress') }),
            h('div', {}, t('supervisor.draws.progress_text', {
              confirmed, seats, pending: sum('pending'), replaced: sum('replaced'), reserves: sum('reserves_left'),
            }), d.complete ? h('span', { class: 'badge good' }, ' ', t('supervisor.draws.complete')) : null));
        },
      },
      {
        label: t('common.actions'),
        value: (d) => (d.status === 'drawn'
          ? h('span', { class: 'buttons' },
            h('a', { href: `#/audit/log?draw=${encodeURIComponent(d.draw_id)}`, 'aria-label': t('supervisor.draws.verify_label', { ref: d.tender_reference }) }, t('supervisor.draws.verify')),
            action(t('supervisor.recheck.button'), async () => {
              const report = await api.post(`/api/v1/draws/${encodeURIComponent(d.draw_id)}/recheck`);
              replace(recheckNode, recheckView(d, report));
              recheckNode.scrollIntoView?.({ block: 'nearest' });
            }, { slot: recheckSlot, kind: '', id: `recheck-${d.draw_id}`, attrs: { 'aria-label': t('supervisor.recheck.label', { ref: d.tender_reference }) } }))
          : ''),
      },
    ], draws);
  }

  function sessionsTable(sessions) {
    return table([
      { label: t('supervisor.sessions.session'), value: (s) => h('span', { title: s.session_id }, h('strong', {}, s.tender_reference || ''), ' ', s.tender_name || '') },
      { label: t('supervisor.sessions.phase'), value: (s) => h('span', { class: 'badge' }, phaseName(s.phase)) },
      { label: t('supervisor.sessions.mode'), value: (s) => t(`session.mode.${s.mode}`) },
      {
        label: t('supervisor.sessions.seats'),
        value: (s) => {
          const active = s.seats.filter((seat) => seat.state === 'active');
          return t('supervisor.sessions.seats_text', {
            checked: active.filter((seat) => seat.checked_in).length, seats: active.length, declared: active.filter((seat) => seat.declared).length,
          });
        },
      },
      {
        label: t('common.actions'),
        value: (s) => h('a', { href: `#/session/room?id=${encodeURIComponent(s.session_id)}`, 'aria-label': t('supervisor.sessions.open_label', { id: s.tender_reference || short(s.session_id) }) }, t('supervisor.sessions.open')),
      },
    ], sessions);
  }

  function pendingTable(requests) {
    const pending = requests.filter((r) => r.status === 'pending');
    if (!pending.length) return h('p', { class: 'muted' }, t('supervisor.unseal.none'));
    return h('ul', { class: 'plain requests' }, pending.map((r) => {
      const own = r.requester_id === ctx.me.account_id;
      const facts = h('dl', { class: 'facts' },
        h('dt', {}, t('supervisor.unseal.requester')), h('dd', { title: r.requester_id }, api.accountName(names, r.requester_id)),
        h('dt', {}, t('supervisor.unseal.reason')), h('dd', {}, r.reason),
        h('dt', {}, t('supervisor.unseal.experts')), h('dd', {}, String(r.expert_ids.length)),
        h('dt', {}, t('supervisor.unseal.fields')), h('dd', {}, fieldsText(r.fields)),
        h('dt', {}, t('supervisor.unseal.minutes')), h('dd', {}, String(r.valid_minutes)));
      let controls;
      if (own) {
        controls = h('p', { class: 'muted' }, t('supervisor.unseal.own'));
      } else if (confirming === r.request_id) {
        controls = h('div', { class: 'warning', role: 'group', 'aria-label': t('supervisor.unseal.approve_label', { id: short(r.request_id) }) },
          h('p', {}, t('supervisor.unseal.confirm', { fields: fieldsText(r.fields), n: r.expert_ids.length, minutes: r.valid_minutes })),
          h('div', { class: 'buttons' },
            action(t('supervisor.unseal.confirm_button'), async () => {
              await api.post(`/api/v1/unseal-requests/${encodeURIComponent(r.request_id)}/approve`);
              confirming = null;
              toast(t('supervisor.unseal.approved'));
              await refresh(true);
            }, { slot: unsealSlot, id: `unseal-confirm-${r.request_id}` }),
            h('button', { type: 'button', id: `unseal-cancel-${r.request_id}`, on: { click: () => { confirming = null; refresh(true); } } }, t('common.cancel'))));
      } else if (refusing === r.request_id) {
        const reason = h('textarea', {
          id: `unseal-refuse-reason-${r.request_id}`, rows: 3, maxlength: 500, value: refusalText,
          on: { input: (event) => { refusalText = event.target.value; } },
        });
        controls = h('div', { class: 'warning', role: 'group', 'aria-label': t('supervisor.unseal.refuse_label', { id: short(r.request_id) }) },
          field(t('supervisor.unseal.refusal_reason'), reason, t('supervisor.unseal.refusal_hint')),
          h('div', { class: 'buttons' },
            action(t('supervisor.unseal.refuse_confirm'), async () => {
              const text = reason.value.trim();
              if (!markInvalid(reason, [...text].length >= 10 ? null : t('supervisor.unseal.refusal_short'))) return;
              await api.post(`/api/v1/unseal-requests/${encodeURIComponent(r.request_id)}/refuse`, { reason: text });
              refusing = null;
              refusalText = '';
              toast(t('supervisor.unseal.refused'));
              await refresh(true);
            }, { slot: unsealSlot, kind: 'danger', id: `unseal-refuse-confirm-${r.request_id}` }),
            h('button', { type: 'button', id: `unseal-refuse-cancel-${r.request_id}`, on: { click: () => { refusing = null; refusalText = ''; refresh(true); } } }, t('common.cancel'))));
      } else {
        controls = h('div', { class: 'buttons' },
          h('button', {
            type: 'button', class: 'primary', id: `unseal-approve-${r.request_id}`,
            'aria-label': t('supervisor.unseal.approve_label', { id: short(r.request_id) }),
            on: { click: () => { confirming = r.request_id; refresh(true).then(() => document.getElementById(`unseal-confirm-${r.request_id}`)?.focus()); } },
          }, t('supervisor.unseal.approve')),
          h('button', {
            type: 'button', class: 'danger', id: `unseal-refuse-${r.request_id}`,
            'aria-label': t('supervisor.unseal.refuse_label', { id: short(r.request_id) }),
            on: { click: () => { refusing = r.request_id; confirming = null; refresh(true).then(() => document.getElementById(`unseal-refuse-reason-${r.request_id}`)?.focus()); } },
          }, t('supervisor.unseal.refuse')));
      }
      return h('li', { class: 'card request', id: `unseal-${r.request_id}` }, facts, controls);
    }));
  }

  function decidedTable(requests) {
    return table([
      { label: t('supervisor.unseal.requester'), value: (r) => h('span', { title: r.requester_id }, api.accountName(names, r.requester_id)) },
      { label: t('supervisor.unseal.reason'), value: (r) => r.reason },
      { label: t('supervisor.unseal.fields'), value: (r) => fieldsText(r.fields) },
      { label: t('supervisor.unseal.status'), value: (r) => h('span', { class: `badge ${r.status === 'approved' ? 'warn' : ''}`, 'data-status': r.status }, t(`supervisor.unseal.status.${r.status}`)) },
      { label: t('supervisor.unseal.decided_by'), value: (r) => h('span', { title: r.decided_by || '' }, api.accountName(names, r.decided_by)) },
      { label: t('supervisor.unseal.refusal_reason'), value: (r) => r.decision_reason || '' },
      { label: t('supervisor.unseal.valid_until'), value: (r) => formatTime(r.valid_until) },
    ], requests.filter((r) => r.status !== 'pending').slice(0, 20));
  }

  const publicationsNode = h('div', { id: 'publications' });
  const publicationResult = h('div', { id: 'publication-result', 'aria-live': 'polite' });
  const publicationSlot = errorSlot();

  function publicationsTable(publications, draws) {
    const reference = (id) => draws.find((d) => d.draw_id === id)?.tender_reference || short(id);
    return table([
      { label: t('supervisor.pub.draw'), value: (p) => h('span', { title: p.draw_id }, reference(p.draw_id)) },
      { label: t('supervisor.pub.reason'), value: (p) => p.reason },
      { label: t('supervisor.pub.requested'), value: (p) => formatTime(p.requested_at) },
      { label: t('common.actions'), value: (p) => (p.approved_by
        ? h('span', { class: 'badge good' }, t('supervisor.pub.approved_at', { time: formatTime(p.approved_at) }))
        : action(t('supervisor.pub.approve'), async () => {
          const ok = await confirmAct({
            heading: t('supervisor.pub.confirm_heading'),
            text: t('supervisor.pub.confirm_text', { draw: reference(p.draw_id), reason: p.reason }),
            confirm: t('supervisor.pub.approve'),
          });
          if (!ok) return;
          replace(publicationResult);
          const view = await api.post(`/api/v1/draws/${encodeURIComponent(p.draw_id)}/publication/approve`);
          replace(publicationResult, h('p', { class: 'ok', role: 'status' }, t('supervisor.pub.done', { id: reference(view.draw_id), reason: view.reason })));
          await refresh(true);
        }, { slot: publicationSlot, id: `publication-approve-${p.draw_id}`, attrs: { 'aria-label': t('supervisor.pub.approve_label', { draw: reference(p.draw_id) }) } })) },
    ], publications.slice(0, 20), { empty: t('supervisor.pub.none') });
  }

  function show(node, key, data, build) {
    const json = JSON.stringify(data);
    if (last[key] === json) return;
    last[key] = json;
    replace(node, build(data));
  }

  async function refresh(force = false) {
    if (force) for (const key of Object.keys(last)) delete last[key];
    try {
      const [draws, sessions, requests, publications] = await Promise.all([
        api.get('/api/v1/draws?limit=50'),
        api.get('/api/v1/sessions'),
        api.get('/api/v1/unseal-requests'),
        api.get('/api/v1/publications'),
      ]);
      show(drawsNode, 'draws', draws, drawsTable);
      show(sessionsNode, 'sessions', sessions, sessionsTable);
      show(pendingNode, 'pending', { requests, confirming, refusing }, () => pendingTable(requests));
      show(decidedNode, 'decided', requests, decidedTable);
      show(publicationsNode, 'publications', { publications, draws }, () => publicationsTable(publications, draws));
      replace(updated, t('supervisor.overview.updated', { time: formatTime(new Date().toISOString()) }));
    } catch (error) {
      if (error.status === 401) return; // the shell asks for the password again
      replace(updated, h('span', { class: 'warning' }, t('supervisor.overview.stale', { error: error.detail || error.message })));
    }
  }

  await refresh();
  ctx.every(REFRESH_MS, () => refresh());

  return h('div', { class: 'supervisor' },
    h('h1', {}, t('supervisor.overview.heading')),
    updated,
    h('div', { class: 'columns' },
      section(t('supervisor.unseal.heading'), unsealSlot.node, pendingNode),
      section(t('supervisor.pub.heading'),
        h('p', { class: 'muted' }, t('supervisor.pub.hint')),
        publicationSlot.node, publicationResult, publicationsNode)),
    section(t('supervisor.draws.heading'), drawsNode, recheckSlot.node, recheckNode),
    section(t('supervisor.sessions.heading'), sessionsNode),
    section(t('supervisor.unseal.decided'), decidedNode));
}

// --- frequency report -----------------------------------------------------------------------

async function renderFrequency() {
  const days = h('input', { id: 'frequency-days', type: 'number', min: 1, max: 3660, step: 1, value: '30', inputmode: 'numeric' });
  const output = h('div', { id: 'frequency-output', 'aria-live': 'polite' });
  const slot = errorSlot();

  const load = action(t('supervisor.freq.load'), async () => {
    const value = days.value.trim();
    if (!/^[1-9][0-9]{0,3}$/.test(value) || Number(value) > 3660) {
      days.setAttribute('aria-invalid', 'true');
      days.focus();
      throw new Error(t('supervisor.freq.days'));
    }
    days.removeAttribute('aria-invalid');
    const report = await api.get(`/api/v1/reports/draw-frequency${api.query({ days: value })}`);
    replace(output, reportView(report));
  }, { slot, id: 'frequency-load', type: 'submit' });

  return h('div', { class: 'supervisor' },
    h('h1', {}, t('supervisor.freq.heading')),
    h('p', { class: 'muted' }, t('supervisor.freq.audited')),
    h('form', { class: 'inline card', novalidate: true }, field(t('supervisor.freq.days'), days), load),
    slot.node,
    output);
}

function reportView(report) {
  const figures = h('dl', { class: 'facts', id: 'frequency-figures' },
    h('dt', {}, t('supervisor.freq.since')), h('dd', {}, formatTime(report.since)),
    h('dt', {}, t('supervisor.freq.experts_with_seats')), h('dd', {}, String(report.experts_with_seats)),
    h('dt', {}, t('supervisor.freq.total_seats')), h('dd', {}, String(report.total_seats)),
    h('dt', {}, t('supervisor.freq.min')), h('dd', {}, String(report.min)),
    h('dt', {}, t('supervisor.freq.max')), h('dd', {}, String(report.max)),
    h('dt', {}, t('supervisor.freq.mean')), h('dd', { id: 'frequency-mean' }, report.mean),
    h('dt', {}, t('supervisor.freq.sd')), h('dd', { id: 'frequency-sd' }, report.standard_deviation),
    // The fairness test (docs/ANALYTICS.md §4): χ² of seats against uniform draws.
    h('dt', {}, t('supervisor.freq.fairness')),
    h('dd', { id: 'frequency-fairness' }, t('supervisor.freq.fairness_text', {
      chi: report.fairness.chi_square, df: report.fairness.degrees_of_freedom, p: report.fairness.p_value,
      eligible: report.fairness.eligible_experts, never: report.fairness.never_drawn, never_expected: report.fairness.never_drawn_expected,
    })));
  if (!report.experts_with_seats) {
    return h('div', {}, section(t('supervisor.freq.figures'), figures), h('p', { class: 'muted', id: 'frequency-empty' }, t('supervisor.freq.empty')));
  }
  // Every seat count from 1 to the maximum gets a bar, empty ones too, so gaps show.
  const buckets = [];
  for (let seats = 1; seats <= report.max; seats += 1) buckets.push({ seats, experts: Number(report.histogram[String(seats)] || 0) });
  const title = t('supervisor.freq.chart_title', { days: report.window_days });
  return h('div', {},
    h('div', { class: 'columns' },
      section(t('supervisor.freq.figures'), figures),
      h('section', { class: 'card' }, h('h2', { id: 'frequency-chart-heading' }, title), histogram(buckets, title))),
    section(t('supervisor.freq.table'), table([
      { label: t('supervisor.freq.axis_x'), value: (b) => String(b.seats) },
      { label: t('supervisor.freq.axis_y'), value: (b) => String(b.experts) },
    ], buckets, { caption: title })),
    section(t('supervisor.freq.top'), h('div', { id: 'frequency-experts' }, table([
      { label: t('supervisor.freq.pseudonym'), value: (e) => h('code', {}, e.pseudonym) },
      { label: t('supervisor.freq.seats'), value: (e) => String(e.seats) },
      { label: t('supervisor.freq.expected'), value: (e) => e.expected },
    ], report.experts.slice(0, 20))),
    h('div', { class: 'buttons' }, action(t('supervisor.freq.csv'), () => saveCsv(`draw-frequency-${report.window_days}d.csv`, [
      ['pseudonym', 'seats', 'expected'],
      ...report.experts.map((e) => [e.pseudonym, e.seats, e.expected]),
      [],
      ['chi_square', 'degrees_of_freedom', 'p_value', 'eligible_experts', 'never_drawn', 'never_drawn_expected'],
      [report.fairness.chi_square, report.fairness.degrees_of_freedom, report.fairness.p_value,
        report.fairness.eligible_experts, report.fairness.never_drawn, report.fairness.never_drawn_expected],
    ]), { id: 'frequency-csv', kind: '' }))));
}

/** An SVG bar chart; each bar carries its value as a title, the table below repeats the data. */
function histogram(buckets, title) {
  const width = 640;
  const height = 280;
  const left = 48;
  const bottom = 44;
  const top = 12;
  const plotW = width - left - 12;
  const plotH = height - top - bottom;
  const peak = Math.max(1, ...buckets.map((b) => b.experts));
  const slotW = plotW / buckets.length;
  const barW = Math.max(2, Math.min(60, slotW * 0.7));
  const y = (value) => top + plotH - (value / peak) * plotH;
  const ticks = [...new Set([0, Math.round(peak / 2), peak])];
  // Label at most ~16 seat counts along the axis so the numbers never overlap.
  const every = Math.ceil(buckets.length / 16);
  return h('svg', {
    id: 'frequency-chart', class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': 'frequency-chart-title', 'aria-describedby': 'frequency-figures', focusable: 'false',
  },
  h('title', { id: 'frequency-chart-title' }, title),
  ticks.map((tick) => h('g', {},
    h('line', { x1: left, x2: width - 12, y1: y(tick), y2: y(tick) }),
    h('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(tick)))),
  buckets.map((b, i) => h('g', {},
    h('rect', {
      class: 'bar', x: (left + i * slotW + (slotW - barW) / 2).toFixed(1), y: y(b.experts).toFixed(1),
      width: barW.toFixed(1), height: (top + plotH - y(b.experts)).toFixed(1), 'data-seats': b.seats, 'data-experts': b.experts,
    }, h('title', {}, t('supervisor.freq.bar', b))),
    i % every === 0 ? h('text', { x: (left + i * slotW + slotW / 2).toFixed(1), y: top + plotH + 16, 'text-anchor': 'middle' }, String(b.seats)) : null)),
  h('text', { x: left + plotW / 2, y: height - 6, 'text-anchor': 'middle' }, t('supervisor.freq.axis_x')),
  h('text', { x: 12, y: top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${top + plotH / 2})` }, t('supervisor.freq.axis_y')));
}
