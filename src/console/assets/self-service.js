// The expert's "我的" overview (issue 22 §3), phone-sized first: status, term and tier as the
// record has them (fields the server does not send yet are left out), the credit file with its
// score after each event and credit repair requests, what the expert sat in (their accepted
// invitations: dates only), and links to the screens that already exist — record (leave and
// change requests), invitations, ratings and appeals; fee statements and training records when
// the server offers them.
//
// Ids the end-to-end tests drive: #me-status, #me-term, #me-tier, #credit-file-score,
// #credit-events (per entry: #credit-event-ENTRY with data-kind), #repair-statement-ENTRY,
// #repair-evidence-ENTRY, #repair-ask-ENTRY, #credit-repairs (per request #repair-ID with
// data-status), #me-renew and #me-renewal (申请续聘), #me-history, #me-training, #me-fees,
// #me-to-record, #me-to-ratings.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid } from './dom.js';
import { t, register, formatTime } from './i18n.js';
import { feeStatementsSection, strings as feeStrings } from './fees.js';
import { renewalDaysLeft } from './renewal-window.js';
import { provinceToday } from './training-input.js';
export { strings } from './strings/self-service.js';

register(feeStrings);

/** The entry id as an element id: `rating:0193…` → `rating-0193…`. */
const domId = (entryId) => entryId.replace(/[^A-Za-z0-9_-]/g, '-');

function statusPart(record) {
  const facts = [];
  const fact = (id, label, value) => {
    if (value !== undefined && value !== null && value !== '') facts.push(h('dt', {}, t(label)), h('dd', { id }, value));
  };
  fact('me-status', 'me.status', record.status ? t(`expert.status.${record.status}`) : null);
  const term = [record.term_start, record.term_end].filter(Boolean).join(' — ');
  fact('me-term', 'me.term', term || null);
  fact('me-tier', 'me.tier', record.tier);
  fact('me-specialties', 'me.specialties', (record.specialties || []).join('、'));
  return section(t('me.standing'), h('dl', { class: 'facts' }, facts),
    renewalPart(record),
    h('p', { class: 'buttons' },
      h('a', { href: '#/expert/record', id: 'me-to-record', class: 'button-link' }, t('me.to_record')),
      h('a', { href: '#/expert/ratings', id: 'me-to-ratings', class: 'button-link' }, t('me.to_ratings'))));
}

/**
 * 申请续聘, offered in the 90 days up to the term's last day. The server decides (409 outside the
 * window or while one waits); the button only saves asking when it would certainly be refused.
 */
function renewalPart(record) {
  const left = renewalDaysLeft(record.term_end, provinceToday());
  if (left === null) return null;
  const slot = errorSlot();
  const answer = h('p', { id: 'me-renewal', role: 'status' });
  return h('div', {},
    h('p', { class: 'hint' }, t('me.renewal.window', { day: record.term_end, n: left })),
    slot.node, answer,
    h('p', { class: 'buttons' }, action(t('me.renewal.ask'), async () => {
      const renewal = await api.post('/api/v1/me/expert/renewal');
      replace(answer, t(`me.renewal.status.${renewal.status}`));
    }, { slot, id: 'me-renew' })));
}

function eventText(event) {
  const parts = [t(`me.kind.${event.kind}`)];
  if (event.points !== undefined) parts.push(t('me.points', { points: event.points }));
  if (event.rater_role) parts.push(t(`rating.role.${event.rater_role}`));
  if (event.cause) parts.push(t(`me.cause.${event.cause}`));
  if (event.outcome) parts.push(t(`me.outcome.${event.outcome}`));
  if (event.reason_code) parts.push(event.reason_code);
  if (event.withdrawn) parts.push(t('me.withdrawn'));
  if (event.repaired) parts.push(t('me.repaired'));
  return parts.join(' · ');
}

function repairForm(event, refresh) {
  const key = domId(event.entry_id);
  const slot = errorSlot();
  const statement = h('textarea', { id: `repair-statement-${key}`, rows: 3, maxlength: 1000, 'data-field': 'statement' });
  const evidence = h('input', { id: `repair-evidence-${key}`, maxlength: 200, autocomplete: 'off', 'data-field': 'evidence_ref' });
  const ask = action(t('me.repair.ask'), async () => {
    const text = statement.value.trim();
    if (!markInvalid(statement, text.length >= 10 ? null : t('me.repair.too_short'))) return;
    const body = { item: event.entry_id, statement: text };
    if (evidence.value.trim()) body.evidence_ref = evidence.value.trim();
    try {
      await api.post('/api/v1/me/credit-repairs', body);
    } catch (error) {
      const control = { statement, evidence_ref: evidence }[error.field];
      if (control) markInvalid(control, error.detail);
      throw error;
    }
    toast(t('me.repair.sent'));
    await refresh();
  }, { slot, id: `repair-ask-${key}` });
  return h('details', { class: 'repair' },
    h('summary', {}, t('me.repair.open')),
    field(t('me.repair.statement'), statement, t('me.repair.statement_hint')),
    field(t('me.repair.evidence'), evidence, t('me.repair.evidence_hint')),
    slot.node, h('div', { class: 'buttons' }, ask));
}

function creditPart(file, refresh) {
  // The server's clock decides when the waiting period ends (it answers 409 before then), so
  // the form is offered with the date it names rather than by the device's clock.
  const pending = new Set(file.repairs.filter((r) => r.status === 'pending').map((r) => r.item));
  const events = file.events.slice().reverse().map((event) => {
    const repairable = event.repairable_from && !pending.has(event.entry_id);
    return h('li', { id: `credit-event-${domId(event.entry_id)}`, 'data-kind': event.kind, class: event.negative ? 'card negative' : 'card' },
      h('p', {}, h('strong', {}, formatTime(event.at)), ' ', eventText(event)),
      h('p', { class: 'hint' }, t('me.score_after', { score: event.score_after })),
      repairable ? h('p', { class: 'hint' }, t('me.repair.from', { at: formatTime(event.repairable_from) })) : null,
      repairable ? repairForm(event, refresh) : null);
  });
  const repairs = file.repairs.slice().reverse().map((r) => h('li', { id: `repair-${r.repair_id}`, 'data-status': r.status, class: 'card' },
    h('p', {}, h('span', { class: `badge ${r.status === 'granted' ? 'good' : r.status === 'refused' ? 'bad' : 'warn'}` }, t(`me.repair.status.${r.status}`)),
      ' ', formatTime(r.requested_at)),
    r.decision_reason ? h('p', { class: 'hint' }, r.decision_reason) : null));
  return section(t('me.credit'),
    h('p', { id: 'credit-file-score' }, file.judged ? t('me.score', { score: file.score }) : t('me.unjudged', { n: file.rules.minimum_ratings })),
    h('p', { class: 'hint' }, t('me.rule', { window: file.rules.window, below: file.rules.repair_below, days: file.rules.repair_wait_days })),
    events.length ? h('ul', { class: 'plain', id: 'credit-events' }, events) : h('p', { class: 'muted', id: 'credit-events' }, t('me.no_events')),
    h('h3', {}, t('me.repairs')),
    repairs.length ? h('ul', { class: 'plain', id: 'credit-repairs' }, repairs) : h('p', { class: 'muted', id: 'credit-repairs' }, t('me.no_repairs')));
}

/** Asks for a new list of specialties (an admin approves it; draws use it only then). */
function specialtiesForm(record, refresh) {
  const slot = errorSlot();
  const codes = h('input', {
    id: 'specialties-codes', autocomplete: 'off', class: 'mono', 'data-field': 'specialties',
    value: (record.specialties || []).join(';'),
  });
  const pending = (record.change_requests || []).some((r) => r.status === 'pending');
  const send = action(t('me.specialties_send'), async () => {
    const list = codes.value.split(/[;；,，\s]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);
    if (!markInvalid(codes, list.length ? null : t('me.specialties_required'))) return;
    try {
      await api.post('/api/v1/me/expert/change-requests', { specialties: list });
    } catch (error) {
      if (error.field) markInvalid(codes, error.detail);
      throw error;
    }
    toast(t('expert.change.sent'));
    await refresh();
  }, { slot, id: 'specialties-submit' });
  return section(t('me.specialties_change'),
    pending ? h('p', { class: 'muted', id: 'specialties-pending' }, t('expert.change.one_pending'))
      : h('form', { id: 'specialties-form', novalidate: true },
        field(t('me.specialties_codes'), codes, t('me.specialties_hint')),
        slot.node, h('div', { class: 'buttons' }, send)));
}

function historyPart(invitations) {
  const sat = invitations.filter((i) => i.state === 'accepted');
  return section(t('me.history'), sat.length
    ? h('ul', { class: 'plain', id: 'me-history' }, sat.map((i) => h('li', {},
      formatTime(i.evaluation_start || i.answered_at), i.tender_name ? ` · ${i.tender_name}` : '')))
    : h('p', { class: 'muted', id: 'me-history' }, t('me.no_history')));
}

/** A section from an endpoint other screens own, left out while the server does not offer it. */
async function optional(load) {
  try {
    return await load();
  } catch {
    return null;
  }
}

async function renderOverview() {
  const page = h('div');
  const refresh = async () => {
    const [record, file, invitations] = await Promise.all([
      api.get('/api/v1/me/expert'),
      api.get('/api/v1/me/credit-file'),
      optional(() => api.get('/api/v1/me/invitations')),
    ]);
    const training = await optional(() => api.get('/api/v1/me/training'));
    const fees = await optional(() => feeStatementsSection());
    replace(page,
      h('h1', {}, t('me.heading')),
      statusPart(record),
      creditPart(file, refresh),
      specialtiesForm(record, refresh),
      historyPart(invitations || []),
      training ? section(t('me.training'), h('p', { id: 'me-training' },
        t('me.training_hours', { hours: training.hours_last_12_months, required: training.required_hours }))) : null,
      fees ? h('div', { id: 'me-fees' }, fees) : null);
  };
  await refresh();
  return page;
}

export const views = {
  'expert/me': {
    roles: ['expert'],
    nav: 'me.nav',
    render: renderOverview,
  },
};
