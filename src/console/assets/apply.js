// Applying to join the pool (issue 22 §1), reachable logged out from the sign-in screen and
// phone-sized first: the open recruiting calls, the application form, the access code shown once,
// and following an application with its id and code (its status, the reviewer's question, a
// supplement that answers it, withdrawing it). No account is involved: the access code is sent
// as `X-Application-Code` and kept only in the form the applicant types it into.
//
// Ids the end-to-end tests drive: #apply-calls, #apply-call, #apply-name, #apply-id-number,
// #apply-phone, #apply-email, #apply-employer-name, #apply-employer-code, #apply-region,
// per specialty row N #apply-specialty-code-N, -title-N, -years-N, -evidence-N and
// #apply-specialty-remove-N, #apply-specialty-add; per tie row N #apply-tie-kind-N,
// #apply-tie-code-N, #apply-tie-remove-N, #apply-tie-add; #apply-declare-record,
// #apply-declare-true, #apply-declare-rules, #apply-submit, #apply-submitted with
// #apply-result-id and #apply-result-code; following: #follow-id, #follow-code, #follow-submit,
// #follow-result with #follow-status (data-status), #follow-question, #supplement-answer,
// #supplement-submit, #withdraw.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
import { validCreditCode } from './validate.js';
export { strings } from './strings/apply.js';

const TIE_KINDS = ['director', 'supervisor', 'shareholder', 'actual_controller'];
const CODE_HEADER = 'x-application-code';

function input(id, dataField, extra = {}) {
  return h('input', { id, autocomplete: 'off', 'data-field': dataField, ...extra });
}

/** Rows the applicant adds and removes; each row reports its own values and checks. */
function rowList(makeRow, addLabel, addId) {
  const list = h('ol', { class: 'plain rows' });
  const rows = [];
  let serial = 0;
  const renumber = () => rows.forEach((row, index) => row.renumber(index));
  const add = () => {
    const row = makeRow(serial, () => {
      rows.splice(rows.indexOf(row), 1);
      row.node.remove();
      renumber();
    });
    serial += 1;
    rows.push(row);
    list.append(row.node);
    renumber();
  };
  const addButton = h('button', { type: 'button', id: addId, on: { click: add } }, addLabel);
  return { node: h('div', {}, list, h('p', { class: 'buttons' }, addButton)), rows, add };
}

// Ids follow the row's serial (stable while rows are removed); `data-field` follows its place,
// as the server names it (`specialties[1].evidence`).
function specialtyRow(serial, remove) {
  const code = input(`apply-specialty-code-${serial}`, '', { class: 'mono', maxlength: 12, placeholder: 'A0101' });
  const title = h('select', { id: `apply-specialty-title-${serial}` },
    [3, 2, 1].map((level) => h('option', { value: String(level) }, t(`apply.title.${level}`))));
  const years = input(`apply-specialty-years-${serial}`, '', { type: 'number', min: 0, max: 70, step: 1, inputmode: 'numeric' });
  const evidence = input(`apply-specialty-evidence-${serial}`, '', { maxlength: 200 });
  const removeButton = h('button', { type: 'button', class: 'link', id: `apply-specialty-remove-${serial}`, on: { click: remove } }, t('apply.remove'));
  const node = h('li', { class: 'card' },
    field(t('apply.specialty_code'), code, t('apply.specialty_code_hint')),
    field(t('apply.specialty_title'), title),
    field(t('apply.specialty_years'), years),
    field(t('apply.specialty_evidence'), evidence, t('apply.specialty_evidence_hint')),
    removeButton);
  return {
    node,
    renumber(index) {
      code.dataset.field = `specialties[${index}].code`;
      title.dataset.field = `specialties[${index}].title`;
      years.dataset.field = `specialties[${index}].years`;
      evidence.dataset.field = `specialties[${index}].evidence`;
    },
    check() {
      const okCode = markInvalid(code, code.value.trim() ? null : t('apply.required'));
      const yearsValue = Number(years.value);
      const okYears = markInvalid(years, years.value.trim() !== '' && Number.isInteger(yearsValue) && yearsValue >= 0 && yearsValue <= 70 ? null : t('apply.years_range'));
      const okEvidence = markInvalid(evidence, evidence.value.trim() ? null : t('apply.required'));
      return okCode && okYears && okEvidence;
    },
    value: () => ({
      code: code.value.trim().toUpperCase(),
      title: Number(title.value),
      years: Number(years.value),
      evidence: evidence.value.trim(),
    }),
  };
}

function tieRow(serial, remove) {
  const kind = h('select', { id: `apply-tie-kind-${serial}` },
    TIE_KINDS.map((k) => h('option', { value: k }, t(`apply.tie.${k}`))));
  const code = input(`apply-tie-code-${serial}`, '', { class: 'mono', maxlength: 18 });
  const removeButton = h('button', { type: 'button', class: 'link', id: `apply-tie-remove-${serial}`, on: { click: remove } }, t('apply.remove'));
  return {
    node: h('li', { class: 'card' }, field(t('apply.tie_kind'), kind), field(t('apply.tie_code'), code), removeButton),
    renumber(index) {
      kind.dataset.field = `ties[${index}].kind`;
      code.dataset.field = `ties[${index}].credit_code`;
    },
    check: () => markInvalid(code, validCreditCode(code.value) ? null : t('apply.credit_code_invalid')),
    value: () => ({ kind: kind.value, credit_code: code.value.trim().toUpperCase() }),
  };
}

function callText(call) {
  return `${call.note}（${t('apply.call_until', { until: call.until })}；${call.specialties.join('、')}）`;
}

function submittedPart(answer) {
  return h('section', { class: 'card', id: 'apply-submitted', role: 'status' },
    h('h2', {}, t('apply.submitted_heading')),
    h('p', { class: 'error', role: 'alert' }, h('strong', {}, t('apply.write_down'))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('apply.application_id')), h('dd', { id: 'apply-result-id', class: 'mono' }, answer.application_id),
      h('dt', {}, t('apply.access_code')), h('dd', { id: 'apply-result-code', class: 'mono' }, answer.access_code)),
    h('p', { class: 'hint' }, t('apply.code_once')));
}

function applicationForm(calls, onSubmitted) {
  const slot = errorSlot();
  const name = input('apply-name', 'name', { maxlength: 50, autocomplete: 'name' });
  const idNumber = input('apply-id-number', 'id_number', { class: 'mono', maxlength: 18 });
  const phone = input('apply-phone', 'phone', { type: 'tel', inputmode: 'numeric', maxlength: 11, autocomplete: 'tel' });
  const email = input('apply-email', 'email', { type: 'email', autocomplete: 'email' });
  const employerName = input('apply-employer-name', 'employer.name', { maxlength: 100 });
  const employerCode = input('apply-employer-code', 'employer.credit_code', { class: 'mono', maxlength: 18 });
  const region = input('apply-region', 'region', { class: 'mono', inputmode: 'numeric', maxlength: 6, pattern: '[0-9]{6}' });
  const call = h('select', { id: 'apply-call', 'data-field': 'recruiting_call_id' },
    h('option', { value: '' }, t('apply.no_call')),
    calls.map((c) => h('option', { value: c.call_id }, callText(c))));
  const specialties = rowList(specialtyRow, t('apply.specialty_add'), 'apply-specialty-add');
  specialties.add();
  const ties = rowList(tieRow, t('apply.tie_add'), 'apply-tie-add');
  const declare = (id, key) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', id, 'data-field': 'declarations' }), ' ', t(key));
  const declarations = [
    declare('apply-declare-record', 'apply.declare_record'),
    declare('apply-declare-true', 'apply.declare_true'),
    declare('apply-declare-rules', 'apply.declare_rules'),
  ];
  const boxes = declarations.map((node) => node.querySelector('input'));
  const submit = action(t('apply.submit'), async () => {
    const checks = [
      markInvalid(name, name.value.trim() ? null : t('apply.required')),
      markInvalid(idNumber, /^[0-9]{17}[0-9Xx]$/.test(idNumber.value.trim()) ? null : t('apply.id_number_invalid')),
      markInvalid(phone, /^1[0-9]{10}$/.test(phone.value.trim()) ? null : t('apply.phone_invalid')),
      markInvalid(employerName, employerName.value.trim() ? null : t('apply.required')),
      markInvalid(employerCode, validCreditCode(employerCode.value) ? null : t('apply.credit_code_invalid')),
      markInvalid(region, /^[0-9]{6}$/.test(region.value.trim()) ? null : t('apply.region_invalid')),
      ...specialties.rows.map((row) => row.check()),
      ...ties.rows.map((row) => row.check()),
      ...boxes.map((box) => markInvalid(box, box.checked ? null : t('apply.declare_required'))),
    ];
    if (!specialties.rows.length) {
      slot.show(new Error(t('apply.specialty_required')));
      return;
    }
    if (checks.includes(false)) {
      document.querySelector('#apply-form [aria-invalid=true]')?.focus();
      return;
    }
    const body = {
      name: name.value.trim(),
      id_number: idNumber.value.trim().toUpperCase(),
      phone: phone.value.trim(),
      employer: { name: employerName.value.trim(), credit_code: employerCode.value.trim().toUpperCase() },
      specialties: specialties.rows.map((row) => row.value()),
      ties: ties.rows.map((row) => row.value()),
      region: region.value.trim(),
      declarations: { no_disqualifying_record: boxes[0].checked, data_true: boxes[1].checked, accepts_rules: boxes[2].checked },
    };
    if (email.value.trim()) body.email = email.value.trim();
    if (call.value) body.recruiting_call_id = call.value;
    const answer = await api.post('/api/v1/applications', body);
    onSubmitted(answer);
  }, { slot, id: 'apply-submit', type: 'submit' });
  return h('form', { id: 'apply-form', novalidate: true },
    calls.length ? field(t('apply.call'), call) : null,
    h('fieldset', {}, h('legend', {}, t('apply.person')),
      field(t('apply.name'), name),
      field(t('apply.id_number'), idNumber, t('apply.id_number_hint')),
      field(t('apply.phone'), phone, t('apply.phone_hint')),
      field(t('apply.email'), email, t('apply.optional'))),
    h('fieldset', {}, h('legend', {}, t('apply.employer')),
      field(t('apply.employer_name'), employerName),
      field(t('apply.employer_code'), employerCode, t('apply.employer_code_hint')),
      field(t('apply.region'), region, t('apply.region_hint'))),
    h('fieldset', { 'data-field': 'specialties' }, h('legend', {}, t('apply.specialties')), specialties.node),
    h('fieldset', { 'data-field': 'ties' }, h('legend', {}, t('apply.ties')), h('p', { class: 'hint' }, t('apply.ties_hint')), ties.node),
    h('fieldset', {}, h('legend', {}, t('apply.declarations')), declarations),
    slot.node,
    h('div', { class: 'buttons' }, submit));
}

/** What the applicant sees of their application, with what they can do at its stage. */
function followedPart(application, code, refresh) {
  const open = ['submitted', 'under_review', 'more_requested'].includes(application.status);
  const parts = [
    h('dl', { class: 'facts' },
      h('dt', {}, t('common.status')),
      h('dd', { id: 'follow-status', 'data-status': application.status }, t(`apply.status.${application.status}`)),
      h('dt', {}, t('apply.specialties')), h('dd', {}, application.specialties.join('、')),
      h('dt', {}, t('apply.updated')), h('dd', {}, formatTime(application.updated_at)),
      application.term_start ? [h('dt', {}, t('apply.term')), h('dd', { id: 'follow-term' }, `${application.term_start} — ${application.term_end}`)] : null,
      application.decision_reason ? [h('dt', {}, t('apply.reason')), h('dd', { id: 'follow-reason' }, application.decision_reason)] : null),
  ];
  if (application.status === 'approved') parts.push(h('p', { class: 'hint' }, t('apply.approved_hint')));
  if (application.status === 'more_requested') {
    const slot = errorSlot();
    const answer = h('textarea', { id: 'supplement-answer', rows: 4, maxlength: 2000, 'data-field': 'answer' });
    parts.push(
      h('p', {}, h('strong', {}, t('apply.question')), ' ', h('span', { id: 'follow-question' }, application.question || '')),
      h('form', { id: 'supplement-form', novalidate: true },
        field(t('apply.answer'), answer, t('apply.answer_hint')),
        slot.node,
        h('div', { class: 'buttons' }, action(t('apply.answer_send'), async () => {
          if (!markInvalid(answer, answer.value.trim() ? null : t('apply.required'))) return;
          await api.post(`/api/v1/applications/${encodeURIComponent(application.application_id)}/supplement`,
            { answer: answer.value.trim() }, { headers: { [CODE_HEADER]: code } });
          toast(t('apply.answer_sent'));
          await refresh();
        }, { slot, id: 'supplement-submit', type: 'submit' }))));
  }
  if (open) {
    const slot = errorSlot();
    parts.push(slot.node, h('div', { class: 'buttons' }, action(t('apply.withdraw'), async () => {
      const sure = await confirmAct({ heading: t('apply.withdraw'), text: t('apply.withdraw_confirm'), confirm: t('apply.withdraw') });
      if (!sure) return;
      await api.post(`/api/v1/applications/${encodeURIComponent(application.application_id)}/withdraw`,
        {}, { headers: { [CODE_HEADER]: code } });
      await refresh();
    }, { slot, id: 'withdraw', kind: 'danger' })));
  }
  return h('div', { id: 'follow-result' }, parts);
}

function followForm(prefill) {
  const slot = errorSlot();
  const id = input('follow-id', 'application_id', { class: 'mono', value: prefill?.application_id || '' });
  const code = input('follow-code', 'access_code', { class: 'mono', value: prefill?.access_code || '' });
  const result = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const application = await api.get(`/api/v1/applications/${encodeURIComponent(id.value.trim())}`,
      { headers: { [CODE_HEADER]: code.value.trim() } });
    replace(result, followedPart(application, code.value.trim(), load));
  };
  const submit = action(t('apply.follow_submit'), async () => {
    const okId = markInvalid(id, id.value.trim() ? null : t('apply.required'));
    const okCode = markInvalid(code, code.value.trim() ? null : t('apply.required'));
    if (!okId || !okCode) return;
    await load();
  }, { slot, id: 'follow-submit', type: 'submit', kind: prefill ? 'primary' : 'secondary' });
  return section(t('apply.follow_heading'),
    h('form', { id: 'follow-form', novalidate: true },
      field(t('apply.application_id'), id),
      field(t('apply.access_code'), code),
      slot.node, h('div', { class: 'buttons' }, submit)),
    result);
}

/** The page: calls and form, or (once submitted) the code and the follow form filled in. */
export function applyView() {
  const page = h('div', { class: 'apply' });
  const callsPart = h('div', { id: 'apply-calls' }, h('p', { class: 'muted' }, t('app.loading')));
  const formSlot = h('div');
  const followSlot = h('div', {}, followForm(null));
  const show = (calls) => {
    replace(callsPart, calls.length
      ? h('ul', { class: 'plain' }, calls.map((c) => h('li', { class: 'card', 'data-call': c.call_id }, callText(c))))
      : h('p', { class: 'muted' }, t('apply.no_calls')));
    replace(formSlot, section(t('apply.form_heading'), applicationForm(calls, (answer) => {
      replace(formSlot, submittedPart(answer));
      replace(followSlot, followForm(answer));
      formSlot.scrollIntoView?.({ block: 'start' });
    })));
  };
  api.get('/api/v1/recruiting-calls')
    .then((calls) => show(calls.filter((c) => !c.closed_at)))
    .catch(() => show([]));
  replace(page,
    h('h1', {}, t('apply.heading')),
    h('p', {}, t('apply.intro')),
    section(t('apply.calls_heading'), callsPart),
    formSlot,
    followSlot,
    h('p', {}, h('a', { href: '#/', id: 'apply-back' }, t('apply.back_to_login'))));
  return page;
}
