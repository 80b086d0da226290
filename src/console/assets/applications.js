// The admin's 入库审核 (issue 22 §1): applications listed by status and opened one at a time (the
// evidence per specialty, the employer, how many ties of each kind, the declarations and the
// latest answer — never the name, ID number or contact data, which stay sealed until approval),
// then approved with a term of 1 to 5 years, asked for more with a question, or refused with a
// reason; and the renewals waiting for a decision, approved or refused with a reason. Every act
// is the API's, audited there.
//
// Ids for tests: #applications-status, #applications-list, per application ID
// #application-row-ID and #application-open-ID; the opened one #application-detail with
// #application-term, #application-approve, #application-question, #application-request-more,
// #application-refuse-reason, #application-refuse; renewals: #renewals-list, per renewal ID
// #renewal-row-ID, #renewal-approve-ID, #renewal-refuse-reason-ID, #renewal-refuse-ID.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
export { strings } from './strings/applications.js';

const STATUSES = ['submitted', 'under_review', 'more_requested', 'approved', 'refused', 'withdrawn'];
const OPEN = new Set(['submitted', 'under_review', 'more_requested']);

const path = (id, act = '') => `/api/v1/applications/${encodeURIComponent(id)}${act ? `/${act}` : ''}`;

function detailPart(opened, done) {
  const id = opened.application_id;
  const term = h('input', { id: 'application-term', type: 'number', min: 1, max: 5, step: 1, value: '3', inputmode: 'numeric', 'data-field': 'term_years' });
  const question = h('textarea', { id: 'application-question', rows: 3, maxlength: 1000, 'data-field': 'question' });
  const reason = h('textarea', { id: 'application-refuse-reason', rows: 3, maxlength: 500, 'data-field': 'reason' });
  const slot = errorSlot();
  const ties = Object.entries(opened.ties || {});
  const acts = OPEN.has(opened.status)
    ? [
      h('form', { id: 'application-approve-form', novalidate: true },
        field(t('applications.term_years'), term, t('applications.term_hint')),
        action(t('applications.approve'), async () => {
          const years = Number(term.value);
          if (!markInvalid(term, Number.isInteger(years) && years >= 1 && years <= 5 ? null : t('applications.term_hint'))) return;
          await api.post(path(id, 'approve'), { term_years: years });
          toast(t('applications.approved'));
          await done();
        }, { slot, id: 'application-approve', type: 'submit' })),
      opened.status === 'more_requested' ? null : h('form', { id: 'application-more-form', novalidate: true },
        field(t('applications.question'), question),
        action(t('applications.request_more'), async () => {
          if (!markInvalid(question, question.value.trim() ? null : t('applications.required'))) return;
          await api.post(path(id, 'request-more'), { question: question.value.trim() });
          toast(t('applications.more_requested'));
          await done();
        }, { slot, id: 'application-request-more', kind: 'secondary', type: 'submit' })),
      h('form', { id: 'application-refuse-form', novalidate: true },
        field(t('applications.reason'), reason),
        action(t('applications.refuse'), async () => {
          if (!markInvalid(reason, reason.value.trim() ? null : t('applications.required'))) return;
          const sure = await confirmAct({ heading: t('applications.refuse'), text: t('applications.refuse_confirm'), confirm: t('applications.refuse') });
          if (!sure) return;
          await api.post(path(id, 'refuse'), { reason: reason.value.trim() });
          toast(t('applications.refused'));
          await done();
        }, { slot, id: 'application-refuse', kind: 'danger', type: 'submit' })),
    ]
    : [];
  return h('div', { id: 'application-detail', 'data-status': opened.status },
    h('h3', {}, t('applications.opened', { id })),
    h('dl', { class: 'facts' },
      h('dt', {}, t('common.status')), h('dd', {}, t(`apply.status.${opened.status}`)),
      h('dt', {}, t('applications.employer')), h('dd', { id: 'application-employer' }, `${opened.employer.name} · `, h('span', { class: 'mono' }, opened.employer.credit_code)),
      h('dt', {}, t('applications.region')), h('dd', {}, opened.region_code),
      h('dt', {}, t('applications.ties')),
      h('dd', { id: 'application-ties' }, ties.length ? ties.map(([kind, n]) => `${t(`apply.tie.${kind}`)} ${n}`).join('、') : t('common.none')),
      opened.question ? [h('dt', {}, t('applications.question')), h('dd', {}, opened.question)] : null,
      opened.supplement ? [h('dt', {}, t('applications.supplement')), h('dd', { id: 'application-supplement' }, opened.supplement)] : null),
    table([
      { label: t('apply.specialty_code'), value: (e) => h('span', { class: 'mono' }, e.code) },
      { label: t('apply.specialty_title'), value: (e) => t(`apply.title.${e.title}`) },
      { label: t('apply.specialty_years'), value: (e) => String(e.years) },
      { label: t('apply.specialty_evidence'), value: (e) => e.evidence },
    ], opened.evidence, { caption: t('applications.evidence') }),
    slot.node, acts);
}

async function renderApplications() {
  const status = h('select', { id: 'applications-status' },
    STATUSES.map((s) => h('option', { value: s }, t(`apply.status.${s}`))));
  const list = h('div', { id: 'applications-list', 'aria-live': 'polite' });
  const detail = h('div');
  const renewals = h('div', { id: 'renewals-list' });
  const slot = errorSlot();

  const load = async () => {
    const rows = await api.get(`/api/v1/applications${api.query({ status: status.value })}`);
    replace(list, table([
      { label: t('applications.id'), value: (a) => h('span', { class: 'mono', id: `application-row-${a.application_id}` }, a.application_id) },
      { label: t('applications.specialties'), value: (a) => a.specialties.join('、') },
      { label: t('applications.region'), value: (a) => a.region_code },
      { label: t('applications.submitted_at'), value: (a) => formatTime(a.created_at) },
      { label: t('common.actions'), value: (a) => action(t('common.open'), async () => {
        await openOne(a.application_id);
      }, { slot, id: `application-open-${a.application_id}`, kind: 'secondary' }) },
    ], rows, { empty: t('applications.none') }));
  };
  const openOne = async (id) => {
    const opened = await api.post(path(id, 'open'));
    replace(detail, detailPart(opened, async () => {
      replace(detail);
      await load();
    }));
    detail.scrollIntoView?.({ block: 'start' });
  };
  status.addEventListener('change', () => { replace(detail); load().catch((error) => slot.show(error)); });

  const loadRenewals = async () => {
    const pending = await api.get('/api/v1/renewals?status=pending');
    replace(renewals, pending.length ? h('ul', { class: 'plain' }, pending.map((r) => renewalRow(r, loadRenewals)))
      : h('p', { class: 'muted' }, t('applications.no_renewals')));
  };

  await Promise.all([load(), loadRenewals()]);
  return h('div', {},
    h('h1', {}, t('applications.heading')),
    section(t('applications.list_heading'), field(t('common.status'), status), slot.node, list, detail),
    section(t('applications.renewals_heading'), h('p', { class: 'hint' }, t('applications.renewals_hint')), renewals));
}

function renewalRow(renewal, done) {
  const id = renewal.renewal_id;
  const slot = errorSlot();
  const reason = h('input', { id: `renewal-refuse-reason-${id}`, maxlength: 500, autocomplete: 'off', 'data-field': 'reason' });
  return h('li', { class: 'card', id: `renewal-row-${id}` },
    h('p', {}, h('span', { class: 'mono' }, renewal.expert_id), ' · ', t('applications.renewal_term_end', { day: renewal.term_end }),
      ' · ', formatTime(renewal.created_at)),
    h('div', { class: 'buttons' }, action(t('applications.renewal_approve'), async () => {
      const answer = await api.post(`/api/v1/renewals/${encodeURIComponent(id)}/approve`, {});
      toast(t('applications.renewal_approved', { day: answer.new_term_end }));
      await done();
    }, { slot, id: `renewal-approve-${id}` })),
    field(t('applications.reason'), reason),
    h('div', { class: 'buttons' }, action(t('applications.renewal_refuse'), async () => {
      if (!markInvalid(reason, reason.value.trim() ? null : t('applications.required'))) return;
      await api.post(`/api/v1/renewals/${encodeURIComponent(id)}/refuse`, { reason: reason.value.trim() });
      toast(t('applications.renewal_refused'));
      await done();
    }, { slot, id: `renewal-refuse-${id}`, kind: 'danger' })),
    slot.node);
}

export const views = {
  'admin/applications': { roles: ['admin'], nav: 'applications.nav', render: renderApplications },
};
