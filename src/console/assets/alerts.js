// Early warnings (issue 21 §3; docs/ANALYTICS.md §5–§6): the supervisor's alert inbox with
// each alert's evidence and its case (open, notes, the dual-controlled unseal request, close),
// and the admin's alert rules with "run now".
// Ids for tests: #alerts (rows #alert-ID), #alert-detail, #alert-open-case, #case-note,
// #case-note-add, #case-notes, #case-unseal-reason, #case-unseal, #case-conclusion,
// #case-close, #case-state; #rule-signal, #rule-q, #rule-regions, #rule-add, #rules (rows
// #rule-ID, retire buttons #rule-retire-ID), #signals-run, #signals-result.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, section, table, markInvalid, confirmAct, toast, saveCsv } from './dom.js';
import { t, formatTime } from './i18n.js';

export { strings } from './strings/alerts.js';

const SIGNALS = ['co_sitting', 'bidder_favour', 'wins_with', 'identical_sheets', 'score_outliers', 'narrow_filters', 'committee_departures', 'declines', 'no_shows'];

/** Who an alert is about, in words. */
function subjectText(subject) {
  const parts = [];
  if (subject.experts?.length) parts.push(t('alert.subject.experts', { labels: subject.experts.join('、') }));
  if (subject.bidder_credit_code) parts.push(t('alert.subject.bidder', { code: subject.bidder_credit_code }));
  if (subject.center) parts.push(t('alert.subject.center', { center: subject.center }));
  if (subject.committee) parts.push(t('alert.subject.committee', { committee: subject.committee }));
  return parts.join('；');
}

function countText(evidence) {
  return evidence.trials === undefined
    ? t('alert.count', { observed: evidence.observed, expected: evidence.expected })
    : t('alert.count_of', { observed: evidence.observed, trials: evidence.trials, expected: evidence.expected });
}

function caseState(alert) {
  if (!alert.case) return h('span', { class: 'badge' }, t('alert.case.none'));
  return h('span', { class: `badge ${alert.case.state === 'open' ? 'bad' : 'good'}` }, t(`alert.case.${alert.case.state}`));
}

/** The supervisor's inbox: alerts in their jurisdiction, newest first; one opens below. */
async function renderInbox(ctx) {
  const slot = errorSlot();
  const list = h('div', { id: 'alerts-list' });
  const detail = h('div', { id: 'alert-detail', 'aria-live': 'polite' });
  const show = async (id) => {
    const alert = await api.get(`/api/v1/alerts/${encodeURIComponent(id)}`);
    replace(detail, alertCard(alert, slot, async () => { await refresh(); await show(id); }));
    detail.scrollIntoView?.({ block: 'nearest' });
  };
  const refresh = async () => {
    const alerts = await api.get('/api/v1/alerts');
    replace(list, table([
      { label: t('alert.col.raised'), value: (a) => formatTime(a.raised_at) },
      { label: t('alert.col.signal'), value: (a) => t(`alert.signal.${a.signal}`) },
      { label: t('alert.col.subject'), value: (a) => subjectText(a.subject) },
      { label: t('alert.col.count'), value: (a) => countText(a.evidence) },
      { label: t('alert.col.q'), value: (a) => a.evidence.q },
      { label: t('alert.col.case'), value: (a) => caseState(a) },
      { label: '', value: (a) => action(t('alert.open'), () => show(a.id), { slot, kind: '', id: `alert-show-${a.id}` }) },
    ], alerts, { caption: t('alert.caption'), empty: t('alert.none') }));
    list.append(h('div', { class: 'buttons' }, action(t('alert.csv'), () => saveCsv('alerts.csv', [
      ['raised_at', 'signal', 'subject', 'observed', 'trials', 'expected', 'p', 'q', 'tests', 'case'],
      ...alerts.map((a) => [a.raised_at, a.signal, subjectText(a.subject), a.evidence.observed, a.evidence.trials ?? '',
        a.evidence.expected, a.evidence.p, a.evidence.q, a.evidence.tests, a.case?.state ?? '']),
    ]), { slot, id: 'alerts-csv', kind: '' })));
    list.querySelector('table')?.setAttribute('id', 'alerts');
    list.querySelectorAll('#alerts tbody tr').forEach((tr, i) => { if (alerts[i]) tr.id = `alert-${alerts[i].id}`; });
  };
  await refresh();
  if (ctx.params.alert) await show(ctx.params.alert);
  return h('div', { class: 'supervisor' },
    h('h1', {}, t('alert.heading')),
    h('p', { class: 'hint' }, t('alert.intro')),
    slot.node, list, detail);
}

/** One alert: what was counted against chance, the committees, and its case. */
function alertCard(alert, slot, refresh) {
  const evidence = alert.evidence;
  const committees = evidence.committees.length
    ? h('ul', { class: 'plain' }, evidence.committees.map((c) => h('li', {}, h('code', {}, c.draw_id), c.region ? ` · ${c.region}` : '', c.industry ? ` · ${c.industry}` : '')))
    : h('p', { class: 'muted' }, t('common.none'));
  return h('section', { class: 'card', 'data-alert': alert.id },
    h('h2', {}, t(`alert.signal.${alert.signal}`)),
    h('p', {}, subjectText(alert.subject)),
    h('p', {}, t(`alert.explain.${alert.signal}`)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('alert.col.count')), h('dd', {}, countText(evidence)),
      h('dt', {}, 'p'), h('dd', {}, evidence.p),
      h('dt', {}, 'q'), h('dd', {}, t('alert.q_of', { q: evidence.q, tests: evidence.tests })),
      h('dt', {}, t('alert.col.raised')), h('dd', {}, formatTime(alert.raised_at))),
    h('h3', {}, t('alert.committees')),
    committees,
    caseBlock(alert, slot, refresh));
}

function caseBlock(alert, slot, refresh) {
  const c = alert.case;
  if (!c) {
    return h('div', { class: 'buttons' }, action(t('alert.case.open_button'), async () => {
      await api.post(`/api/v1/alerts/${encodeURIComponent(alert.id)}/case`);
      toast(t('alert.case.opened'));
      await refresh();
    }, { slot, id: 'alert-open-case' }));
  }
  const notes = h('ol', { id: 'case-notes' }, c.notes.map((n) => h('li', {},
    h('p', {}, n.text), h('p', { class: 'muted' }, t('alert.case.note_by', { who: n.author, time: formatTime(n.added_at) })))));
  const head = h('p', { id: 'case-state', 'data-state': c.state },
    t(`alert.case.${c.state}`), ' · ', t('alert.case.opened_at', { time: formatTime(c.opened_at) }),
    c.unseal_request_id ? h('span', {}, ' · ', t('alert.case.unseal_filed', { id: c.unseal_request_id })) : null);
  if (c.state === 'closed') {
    return h('section', { class: 'case' }, h('h3', {}, t('alert.case.heading')), head, notes,
      h('p', { id: 'case-conclusion-text' }, t('alert.case.conclusion_line', { text: c.conclusion ?? '' })));
  }
  const note = h('textarea', { id: 'case-note', rows: 3, maxlength: 4000, 'data-field': 'text' });
  const conclusion = h('textarea', { id: 'case-conclusion', rows: 3, maxlength: 4000, 'data-field': 'text' });
  const needed = (control) => markInvalid(control, control.value.trim() ? null : t('alert.case.text_needed'));
  const unseal = c.unseal_request_id || !alert.subject.experts?.length ? null : (() => {
    const reason = h('textarea', { id: 'case-unseal-reason', rows: 2, maxlength: 500, 'data-field': 'reason' });
    return h('div', { class: 'stack' },
      field(t('alert.case.unseal_reason'), reason, t('alert.case.unseal_hint')),
      action(t('alert.case.unseal_button'), async () => {
        if (!needed(reason)) return;
        const ok = await confirmAct({ heading: t('alert.case.unseal_button'), text: t('alert.case.unseal_confirm'), confirm: t('alert.case.unseal_button'), danger: false });
        if (!ok) return;
        await api.post(`/api/v1/cases/${encodeURIComponent(c.id)}/unseal-request`, { fields: ['name'], reason: reason.value.trim(), valid_minutes: 60 });
        toast(t('alert.case.unseal_sent'));
        await refresh();
      }, { slot, id: 'case-unseal', kind: '' }));
  })();
  return h('section', { class: 'case' },
    h('h3', {}, t('alert.case.heading')), head, notes,
    h('form', { class: 'stack', novalidate: true },
      field(t('alert.case.note'), note),
      action(t('alert.case.note_button'), async () => {
        if (!needed(note)) return;
        await api.post(`/api/v1/cases/${encodeURIComponent(c.id)}/notes`, { text: note.value.trim() });
        await refresh();
      }, { slot, id: 'case-note-add', kind: '' })),
    unseal,
    h('form', { class: 'stack', novalidate: true },
      field(t('alert.case.conclusion'), conclusion, t('alert.case.conclusion_hint')),
      action(t('alert.case.close_button'), async () => {
        if (!needed(conclusion)) return;
        await api.post(`/api/v1/cases/${encodeURIComponent(c.id)}/close`, { text: conclusion.value.trim() });
        toast(t('alert.case.closed_toast'));
        await refresh();
      }, { slot, id: 'case-close' })));
}

/** The admin's rules: which signal fires at which q, where; and a run now. */
async function renderRules() {
  const slot = errorSlot();
  const list = h('div', { id: 'rules-list' });
  const result = h('div', { id: 'signals-result', 'aria-live': 'polite' });
  const refresh = async () => {
    const rules = await api.get('/api/v1/alert-rules');
    replace(list, table([
      { label: t('alert.rule.col.signal'), value: (r) => t(`alert.signal.${r.signal}`) },
      { label: t('alert.rule.col.q'), value: (r) => r.max_q },
      { label: t('alert.rule.col.regions'), value: (r) => (r.regions.length ? r.regions.join('、') : t('alert.rule.province')) },
      { label: t('alert.rule.col.created'), value: (r) => formatTime(r.created_at) },
      { label: t('alert.rule.col.state'), value: (r) => t(r.active ? 'alert.rule.active' : 'alert.rule.retired') },
      { label: '', value: (r) => (r.active ? action(t('alert.rule.retire'), async () => {
        await api.request('DELETE', `/api/v1/alert-rules/${encodeURIComponent(r.id)}`);
        await refresh();
      }, { slot, kind: 'danger', id: `rule-retire-${r.id}` }) : '') },
    ], rules, { caption: t('alert.rule.caption'), empty: t('alert.rule.none') }));
    list.querySelector('table')?.setAttribute('id', 'rules');
    list.querySelectorAll('#rules tbody tr').forEach((tr, i) => { if (rules[i]) tr.id = `rule-${rules[i].id}`; });
  };
  const signal = h('select', { id: 'rule-signal', 'data-field': 'signal' },
    SIGNALS.map((s) => h('option', { value: s }, t(`alert.signal.${s}`))));
  const q = h('input', { id: 'rule-q', type: 'number', step: '0.001', min: '0.000001', max: '0.1', value: '0.01', 'data-field': 'max_q' });
  const regions = h('input', { id: 'rule-regions', type: 'text', placeholder: '4205 4206', 'data-field': 'regions' });
  const add = action(t('alert.rule.add'), async () => {
    const value = Number(q.value);
    if (!markInvalid(q, value > 0 && value <= 0.1 ? null : t('alert.rule.q_hint'))) return;
    const codes = regions.value.split(/[\s,，、]+/).filter(Boolean);
    await api.post('/api/v1/alert-rules', { signal: signal.value, max_q: value, regions: codes });
    toast(t('alert.rule.added'));
    await refresh();
  }, { slot, id: 'rule-add', type: 'submit' });
  const run = action(t('alert.run'), async () => {
    const r = await api.post('/api/v1/signal-runs');
    replace(result, h('p', {}, t('alert.run_result', { committees: r.committees, alerts: r.alerts_raised })),
      h('ul', { class: 'plain' }, Object.entries(r.findings).map(([s, n]) => h('li', {}, `${t(`alert.signal.${s}`)}：${n}`))));
  }, { slot, id: 'signals-run', kind: '' });
  await refresh();
  return h('div', { class: 'admin' },
    h('h1', {}, t('alert.rule.heading')),
    h('p', { class: 'hint' }, t('alert.rule.intro')),
    slot.node,
    h('form', { class: 'inline card', novalidate: true },
      field(t('alert.rule.col.signal'), signal), field(t('alert.rule.col.q'), q, t('alert.rule.q_hint')),
      field(t('alert.rule.col.regions'), regions, t('alert.rule.regions_hint')), add),
    list,
    section(t('alert.run_heading'), h('p', { class: 'hint' }, t('alert.run_intro')), h('div', { class: 'buttons' }, run), result));
}

export const views = {
  'supervisor/alerts': { roles: ['supervisor'], nav: 'alert.nav', render: renderInbox },
  'admin/alert-rules': { roles: ['admin'], nav: 'alert.rule.nav', render: renderRules },
};
