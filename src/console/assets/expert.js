// The expert's own screens: their record (contact details, leave, declared relationships,
// employer history; requests to change the employer and ties, which an admin decides) and their
// invitations (accept, or decline with a reason; the join code for a
// remote session once accepted).
//
// Ids the end-to-end tests drive:
//   record:      #record-phone #record-email #leave-add #leave-from-N #leave-to-N #leave-remove-N
//                #relative-add #relative-N #relative-remove-N #history-add #history-code-N
//                #history-from-N #history-to-N #history-remove-N #record-save #record-form
//   changes:     #current-ties, #change-requests (per request ID: #change-request-ID with
//                data-status, #change-withdraw-ID), #change-form, #change-employer-toggle,
//                #change-employer-name #change-employer-code #change-employer-since, #tie-add,
//                #tie-kind-N #tie-code-N #tie-from-N #tie-to-N #tie-remove-N, #change-note,
//                #change-submit
//   invitations: #invitations, per invitation ID: #invitation-ID (data-state), #accept-ID,
//                #decline-reason-ID, #decline-relationship-ID, #decline-ID, #join-code-ID,
//                #to-sessions (before the session is opened), #enter-session-ID (after)
//   ratings:     #credit-score, #ratings, per rating ID: #rating-ID (data-withdrawn),
//                #appeal-reason-ID, #appeal-ID, #appeal-status-ID

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid } from './dom.js';
import { t, formatTime, formatCountdown } from './i18n.js';
import { validCreditCode } from './validate.js';
import { marksText } from './ratings.js';
export { strings } from './strings/expert.js';

// ---- Validation shared with the server's rules (src/pool/validate.rs) ----

function validPhone(text) {
  let digits = text.replace(/[ -]/g, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  return /^1[3-9][0-9]{9}$/.test(digits);
}

function validEmail(text) {
  const email = text.trim();
  const parts = email.split('@');
  return email.length <= 254 && parts.length === 2 && parts[0].length > 0
    && parts[1].includes('.') && !parts[1].startsWith('.') && !parts[1].endsWith('.')
    && !/\s/.test(email);
}

// ---- The record ----

function parseList(text) {
  if (!text) return [];
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/** The employer is sealed as {"credit_code", "name"}; older records hold plain text. */
function employerText(text) {
  if (!text) return '';
  try {
    const employer = JSON.parse(text);
    if (employer && typeof employer === 'object') return [employer.name, employer.credit_code ? `（${employer.credit_code}）` : ''].join('');
  } catch {
    // Plain text.
  }
  return text;
}

async function renderRecord() {
  const record = await api.get('/api/v1/me/expert');
  const identity = record.identity || {};
  // The editable lists live here; the inputs write into them as the expert types.
  const state = {
    leave: (record.leave || []).map((p) => ({ from: p.from, to: p.to })),
    relatives: parseList(identity.relatives_employers).map(String),
    history: parseList(identity.employer_history).map((p) => ({ credit_code: p.credit_code || '', from: p.from || '', to: p.to || '' })),
  };
  const original = {
    phone: identity.phone || '',
    email: identity.email || '',
    leave: JSON.stringify(state.leave),
    relatives: JSON.stringify(state.relatives),
    history: JSON.stringify(state.history),
  };

  const slot = errorSlot();
  // A server problem naming one of these fields marks it (dom.js markServerField).
  const phone = h('input', { id: 'record-phone', name: 'phone', type: 'tel', autocomplete: 'tel', value: identity.phone || '', 'data-field': 'phone' });
  const email = h('input', { id: 'record-email', name: 'email', type: 'email', autocomplete: 'email', value: identity.email || '', 'data-field': 'email' });

  const leaveBox = h('div', { id: 'leave-list' });
  const relativesBox = h('div', { id: 'relative-list' });
  const historyBox = h('div', { id: 'history-list' });

  const bound = (list, index, key, props) => h('input', {
    ...props,
    value: key === null ? list[index] : list[index][key],
    on: { input: (event) => { if (key === null) list[index] = event.target.value; else list[index][key] = event.target.value; } },
  });
  const removeButton = (list, index, prefix, redraw) => h('button', {
    type: 'button', class: 'danger', id: `${prefix}-remove-${index}`,
    'aria-label': t('expert.record.remove_row', { n: index + 1 }),
    on: { click: () => { list.splice(index, 1); redraw(); } },
  }, t('expert.record.remove'));

  function drawLeave() {
    replace(leaveBox, state.leave.length ? state.leave.map((_, i) => h('div', { class: 'inline row' },
      field(t('expert.record.leave_from'), bound(state.leave, i, 'from', { id: `leave-from-${i}`, type: 'date' })),
      field(t('expert.record.leave_to'), bound(state.leave, i, 'to', { id: `leave-to-${i}`, type: 'date' })),
      removeButton(state.leave, i, 'leave', drawLeave))) : h('p', { class: 'muted' }, t('expert.record.none')));
  }
  function drawRelatives() {
    replace(relativesBox, state.relatives.length ? state.relatives.map((_, i) => h('div', { class: 'inline row' },
      field(t('expert.record.relative'), bound(state.relatives, i, null, { id: `relative-${i}`, maxlength: 18, autocomplete: 'off', class: 'mono' })),
      removeButton(state.relatives, i, 'relative', drawRelatives))) : h('p', { class: 'muted' }, t('expert.record.none')));
  }
  function drawHistory() {
    replace(historyBox, state.history.length ? state.history.map((_, i) => h('div', { class: 'inline row' },
      field(t('expert.record.history_code'), bound(state.history, i, 'credit_code', { id: `history-code-${i}`, maxlength: 18, autocomplete: 'off', class: 'mono' })),
      field(t('expert.record.history_from'), bound(state.history, i, 'from', { id: `history-from-${i}`, type: 'date' })),
      field(t('expert.record.history_to'), bound(state.history, i, 'to', { id: `history-to-${i}`, type: 'date' })),
      removeButton(state.history, i, 'history', drawHistory))) : h('p', { class: 'muted' }, t('expert.record.none')));
  }
  drawLeave();
  drawRelatives();
  drawHistory();

  const add = (id, label, list, blank, redraw, focusId) => h('button', {
    type: 'button', id,
    on: {
      click: () => {
        list.push(blank());
        redraw();
        document.getElementById(focusId(list.length - 1))?.focus();
      },
    },
  }, label);

  /** Client-side checks; returns false (with every problem marked) when something is wrong. */
  function validate() {
    let ok = true;
    const check = (control, message) => {
      markInvalid(control, message);
      if (message) ok = false;
    };
    check(phone, phone.value.trim() && !validPhone(phone.value) ? t('expert.invalid.phone') : null);
    check(email, email.value.trim() && !validEmail(email.value) ? t('expert.invalid.email') : null);
    state.leave.forEach((period, i) => {
      const from = document.getElementById(`leave-from-${i}`);
      const to = document.getElementById(`leave-to-${i}`);
      check(from, period.from ? null : t('expert.invalid.date'));
      check(to, !period.to ? t('expert.invalid.date') : period.from && period.to < period.from ? t('expert.invalid.order') : null);
    });
    state.relatives.forEach((code, i) => {
      check(document.getElementById(`relative-${i}`), validCreditCode(code) ? null : t('expert.invalid.credit'));
    });
    state.history.forEach((period, i) => {
      check(document.getElementById(`history-code-${i}`), validCreditCode(period.credit_code) ? null : t('expert.invalid.credit'));
      check(document.getElementById(`history-from-${i}`), period.from ? null : t('expert.invalid.date'));
      check(document.getElementById(`history-to-${i}`), !period.to ? t('expert.invalid.date') : period.from && period.to < period.from ? t('expert.invalid.order') : null);
    });
    for (const [list, button] of [[state.leave, 'leave-add'], [state.relatives, 'relative-add'], [state.history, 'history-add']]) {
      check(document.getElementById(button), list.length > 50 ? t('expert.invalid.too_many') : null);
    }
    return ok;
  }

  /** `relatives_employers[N]` (a change request's problem) names relative row N. */
  const relativeRow = (name) => {
    const row = /^relatives_employers\[(\d+)\]$/.exec(name || '');
    return row ? `relative-${row[1]}` : null;
  };

  /** A problem the server names by field is shown at that field's first control. */
  function markServerProblem(error) {
    const first = {
      phone: 'record-phone',
      email: 'record-email',
      'contact.phone': 'record-phone',
      'contact.email': 'record-email',
      contact: 'record-phone',
      leave: 'leave-from-0',
      relatives_employers: 'relative-0',
      employer_history: 'history-code-0',
    }[error.field] || relativeRow(error.field);
    const control = document.getElementById(first) || document.getElementById({
      leave: 'leave-add', relatives_employers: 'relative-add', employer_history: 'history-add',
    }[error.field]);
    if (control) {
      markInvalid(control, error.detail);
      control.focus();
    }
  }

  const save = action(t('expert.record.save'), async () => {
    if (!validate()) {
      slot.show({ title: t('common.error'), detail: t('expert.record.invalid') });
      document.querySelector('#record-form [aria-invalid="true"]')?.focus();
      return;
    }
    // Contact data, and dropping a relative's employer (it lowers avoidance), go to an admin as
    // a change request; the rest is saved at once.
    const changes = {};
    const request = {};
    const contact = {};
    if (phone.value.trim() !== original.phone) contact.phone = phone.value.trim();
    if (email.value.trim() !== original.email) contact.email = email.value.trim();
    if (Object.keys(contact).length) request.contact = contact;
    const leave = state.leave.map((p) => ({ from: p.from, to: p.to }));
    if (JSON.stringify(leave) !== original.leave) changes.leave = leave;
    const relatives = state.relatives.map((c) => c.trim().toUpperCase());
    if (JSON.stringify(state.relatives) !== original.relatives) {
      const dropped = JSON.parse(original.relatives).some((code) => !relatives.includes(code));
      if (dropped) request.relatives_employers = relatives;
      else changes.relatives_employers = relatives;
    }
    const history = state.history.map((p) => ({ credit_code: p.credit_code.trim().toUpperCase(), from: p.from, to: p.to }));
    if (JSON.stringify(state.history) !== original.history) changes.employer_history = history;
    if (!Object.keys(changes).length && !Object.keys(request).length) {
      toast(t('expert.record.nothing_changed'));
      return;
    }
    try {
      if (Object.keys(changes).length) await api.patch('/api/v1/me/expert', changes);
      if (Object.keys(request).length) await api.post('/api/v1/me/expert/change-requests', request);
    } catch (error) {
      if (error.field) markServerProblem(error);
      throw error;
    }
    toast(Object.keys(request).length ? t('expert.change.sent') : t('expert.record.saved'));
    if (Object.keys(request).length) {
      // The record shows approved data only: the asked-for values wait in the request below.
      phone.value = original.phone;
      email.value = original.email;
      await document.getElementById('change-section')?.refresh?.();
    }
    original.leave = JSON.stringify(leave);
    state.relatives = relatives;
    original.relatives = JSON.stringify(relatives);
    state.history = history;
    original.history = JSON.stringify(history);
    drawRelatives();
    drawHistory();
  }, { slot, id: 'record-save', type: 'submit' });

  const facts = [
    ['expert.record.name', identity.name],
    ['expert.record.employer', employerText(identity.employer)],
    ['expert.record.expert_id', record.expert_id],
    ['expert.record.region', record.region_code],
    ['expert.record.specialties', (record.specialties || []).join('、')],
    ['expert.record.status', record.status ? t(`expert.status.${record.status}`) : ''],
  ];
  return h('div', {},
    h('h1', {}, t('expert.record.heading')),
    section(t('expert.record.identity'),
      h('dl', { class: 'facts', id: 'record-identity' }, facts.map(([label, value]) => [
        h('dt', {}, t(label)), h('dd', {}, value || '—')]))),
    h('form', { id: 'record-form', novalidate: true },
      section(t('expert.record.contact'),
        h('div', { class: 'inline' },
          field(t('expert.record.phone'), phone, t('expert.record.phone_hint')),
          field(t('expert.record.email'), email))),
      section(t('expert.record.leave'), leaveBox,
        add('leave-add', t('expert.record.leave_add'), state.leave, () => ({ from: '', to: '' }), drawLeave, (i) => `leave-from-${i}`)),
      section(t('expert.record.relatives'), h('p', { class: 'hint' }, t('expert.record.relatives_hint')), relativesBox,
        add('relative-add', t('expert.record.relative_add'), state.relatives, () => '', drawRelatives, (i) => `relative-${i}`)),
      section(t('expert.record.history'), historyBox,
        add('history-add', t('expert.record.history_add'), state.history, () => ({ credit_code: '', from: '', to: '' }), drawHistory, (i) => `history-code-${i}`)),
      slot.node,
      h('div', { class: 'buttons' }, save)),
    changeSection(record, identity));
}

// ---- Changes an admin decides: the current employer and ties ----

const TIE_KINDS = ['director', 'supervisor', 'shareholder', 'actual_controller'];

function tieText(tie) {
  const period = tie.to
    ? t('expert.change.period_ended', { from: tie.from || '…', to: tie.to })
    : t('expert.change.period_holds', { from: tie.from || '…' });
  return `${t(`expert.tie.${tie.kind}`)} · ${tie.credit_code} · ${period}`;
}

function partsText(parts) {
  const items = [];
  if (parts.employer) items.push(t('expert.change.part_employer'));
  if (parts.ties) {
    const counts = Object.entries(parts.ties).map(([kind, n]) => `${t(`expert.tie.${kind}`)} ${n}`);
    items.push(counts.length ? `${t('expert.change.part_ties')}（${counts.join('、')}）` : t('expert.change.part_no_ties'));
  }
  if (parts.specialties) items.push(t('expert.change.part_specialties', { n: parts.specialties }));
  for (const key of parts.contact || []) items.push(t(`expert.change.part_${key}`));
  if (parts.relatives_employers != null) items.push(t('expert.change.part_relatives', { n: parts.relatives_employers }));
  return items.join('；');
}

const STATUS_TONE = { pending: 'warn', approved: 'good', refused: 'bad', withdrawn: '' };

function changeRequestCard(request, refresh) {
  const id = request.request_id;
  const facts = [];
  const fact = (label, value) => { if (value) facts.push(h('dt', {}, t(label)), h('dd', {}, value)); };
  fact('expert.change.asked_at', formatTime(request.created_at));
  fact('expert.change.parts', partsText(request.parts));
  if (request.employer) fact('expert.change.new_employer', `${request.employer.name}（${request.employer.credit_code}），${t('expert.change.since_short', { since: request.employer.since })}`);
  if (request.ties) fact('expert.change.new_ties', request.ties.length ? request.ties.map(tieText).join('；') : t('expert.record.none'));
  if (request.specialties) fact('expert.change.new_specialties', request.specialties.join('、'));
  if (request.contact) fact('expert.change.new_contact', [request.contact.phone, request.contact.email].filter(Boolean).join('，'));
  if (request.relatives_employers) fact('expert.change.new_relatives', request.relatives_employers.length ? request.relatives_employers.join('、') : t('expert.record.none'));
  fact('expert.change.note', request.note);
  fact('expert.change.decided_at', request.decided_at ? formatTime(request.decided_at) : null);
  fact('expert.change.reason', request.decision_reason);
  const slot = errorSlot();
  const withdraw = request.status === 'pending'
    ? action(t('expert.change.withdraw'), async () => {
      await api.post(`/api/v1/me/expert/change-requests/${encodeURIComponent(id)}/withdraw`);
      toast(t('expert.change.withdrawn'));
      await refresh();
    }, { slot, id: `change-withdraw-${id}`, kind: 'danger' })
    : null;
  return h('div', { class: 'card', id: `change-request-${id}`, 'data-status': request.status },
    h('p', {}, h('span', { class: `badge ${STATUS_TONE[request.status] || ''}` }, t(`expert.change.status.${request.status}`))),
    h('dl', { class: 'facts' }, facts),
    withdraw ? h('div', { class: 'buttons' }, withdraw) : null, slot.node);
}

/** The approved employer and ties, the latest requests, and a form to ask for a change. */
function changeSection(record, identity) {
  const box = h('div', { id: 'change-section' });
  const draw = (requests, current) => {
    const pending = requests.some((r) => r.status === 'pending');
    replace(box, section(t('expert.change.heading'),
      h('p', { class: 'hint' }, t('expert.change.intro')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('expert.record.employer')), h('dd', {}, employerText(current.employer) || '—'),
        h('dt', {}, t('expert.change.ties')),
        h('dd', { id: 'current-ties' }, current.ties.length ? h('ul', {}, current.ties.map((tie) => h('li', {}, tieText(tie)))) : t('expert.record.none'))),
      h('div', { id: 'change-requests' }, requests.map((r) => changeRequestCard(r, refresh))),
      pending ? h('p', { class: 'muted' }, t('expert.change.one_pending')) : changeForm(current.ties, refresh)));
  };
  async function refresh() {
    const fresh = await api.get('/api/v1/me/expert');
    const id = fresh.identity || {};
    draw(fresh.change_requests || [], { employer: id.employer, ties: parseList(id.ties) });
  }
  draw(record.change_requests || [], { employer: identity.employer, ties: parseList(identity.ties) });
  box.refresh = refresh;
  return box;
}

function changeForm(currentTies, refresh) {
  const slot = errorSlot();
  const ties = currentTies.map((tie) => ({ kind: tie.kind, credit_code: tie.credit_code || '', from: tie.from || '', to: tie.to || '' }));
  const original = JSON.stringify(ties);
  const toggle = h('input', { id: 'change-employer-toggle', type: 'checkbox' });
  const name = h('input', { id: 'change-employer-name', maxlength: 100, autocomplete: 'organization', 'data-field': 'employer.name' });
  const code = h('input', { id: 'change-employer-code', maxlength: 18, autocomplete: 'off', class: 'mono', 'data-field': 'employer.credit_code' });
  const since = h('input', { id: 'change-employer-since', type: 'date' });
  const employerBox = h('div', { class: 'inline' },
    field(t('expert.change.employer_name'), name),
    field(t('expert.change.employer_code'), code),
    field(t('expert.change.employer_since'), since, t('expert.change.employer_since_hint')));
  employerBox.hidden = true;
  toggle.addEventListener('change', () => { employerBox.hidden = !toggle.checked; });
  const note = h('textarea', { id: 'change-note', maxlength: 500, rows: 2, 'data-field': 'note' });

  const tiesBox = h('div', { id: 'tie-list' });
  const bound = (index, key, props) => h('input', {
    ...props, value: ties[index][key],
    on: { input: (event) => { ties[index][key] = event.target.value; } },
  });
  function drawTies() {
    replace(tiesBox, ties.length ? ties.map((tie, i) => {
      const kind = h('select', { id: `tie-kind-${i}`, on: { change: (event) => { ties[i].kind = event.target.value; } } },
        TIE_KINDS.map((k) => h('option', { value: k, selected: k === tie.kind }, t(`expert.tie.${k}`))));
      return h('div', { class: 'inline row' },
        field(t('expert.change.tie_kind'), kind),
        field(t('expert.change.tie_code'), bound(i, 'credit_code', { id: `tie-code-${i}`, maxlength: 18, autocomplete: 'off', class: 'mono', 'data-field': `ties[${i}].credit_code` })),
        field(t('expert.change.tie_from'), bound(i, 'from', { id: `tie-from-${i}`, type: 'date' })),
        field(t('expert.change.tie_to'), bound(i, 'to', { id: `tie-to-${i}`, type: 'date' }), t('expert.change.tie_to_hint')),
        h('button', {
          type: 'button', class: 'danger', id: `tie-remove-${i}`,
          'aria-label': t('expert.record.remove_row', { n: i + 1 }),
          on: { click: () => { ties.splice(i, 1); drawTies(); } },
        }, t('expert.record.remove')));
    }) : h('p', { class: 'muted' }, t('expert.record.none')));
  }
  drawTies();
  const add = h('button', {
    type: 'button', id: 'tie-add',
    on: { click: () => { ties.push({ kind: 'director', credit_code: '', from: '', to: '' }); drawTies(); document.getElementById(`tie-code-${ties.length - 1}`)?.focus(); } },
  }, t('expert.change.tie_add'));

  function validate() {
    let ok = true;
    const check = (control, message) => { markInvalid(control, message); if (message) ok = false; };
    if (toggle.checked) {
      check(name, name.value.trim() ? null : t('expert.invalid.required'));
      check(code, validCreditCode(code.value) ? null : t('expert.invalid.credit'));
      check(since, since.value ? null : t('expert.invalid.date'));
    }
    ties.forEach((tie, i) => {
      check(document.getElementById(`tie-code-${i}`), validCreditCode(tie.credit_code) ? null : t('expert.invalid.credit'));
      check(document.getElementById(`tie-to-${i}`), tie.from && tie.to && tie.to < tie.from ? t('expert.invalid.order') : null);
    });
    check(add, ties.length > 50 ? t('expert.invalid.too_many') : null);
    return ok;
  }

  /** A problem the server names by field is shown at its control. */
  function markServerProblem(error) {
    const field = error.field || '';
    const row = /^ties\[(\d+)\]\.(kind|credit_code|to)$/.exec(field);
    const id = row
      ? `tie-${{ kind: 'kind', credit_code: 'code', to: 'to' }[row[2]]}-${row[1]}`
      : { 'employer.name': 'change-employer-name', 'employer.credit_code': 'change-employer-code', employer: 'change-employer-since', note: 'change-note', ties: 'tie-add' }[field];
    const control = id && document.getElementById(id);
    if (control) {
      markInvalid(control, error.detail);
      control.focus();
    }
  }

  const submit = action(t('expert.change.submit'), async () => {
    if (!validate()) {
      slot.show({ title: t('common.error'), detail: t('expert.record.invalid') });
      document.querySelector('#change-form [aria-invalid="true"]')?.focus();
      return;
    }
    const body = {};
    if (toggle.checked) body.employer = { name: name.value.trim(), credit_code: code.value.trim().toUpperCase(), since: since.value };
    const list = ties.map((tie) => {
      const entry = { kind: tie.kind, credit_code: tie.credit_code.trim().toUpperCase() };
      if (tie.from) entry.from = tie.from;
      if (tie.to) entry.to = tie.to;
      return entry;
    });
    if (JSON.stringify(ties) !== original) body.ties = list;
    if (!body.employer && !body.ties) {
      toast(t('expert.record.nothing_changed'));
      return;
    }
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await api.post('/api/v1/me/expert/change-requests', body);
    } catch (error) {
      if (error.field) markServerProblem(error);
      throw error;
    }
    toast(t('expert.change.sent'));
    await refresh();
  }, { slot, id: 'change-submit', type: 'submit' });

  return h('form', { id: 'change-form', novalidate: true },
    h('h3', {}, t('expert.change.ask')),
    h('div', { class: 'field' }, h('label', {}, toggle, ' ', t('expert.change.employer_toggle'))),
    employerBox,
    h('h3', {}, t('expert.change.ties_after')),
    h('p', { class: 'hint' }, t('expert.change.ties_hint')),
    tiesBox, add,
    field(t('expert.change.note_label'), note, t('expert.change.note_hint')),
    slot.node,
    h('div', { class: 'buttons' }, submit));
}

// ---- Invitations ----

const DECLINE_REASONS = ['leave', 'conflict_of_interest', 'illness', 'other'];

function invitationCard(invitation, redraw) {
  const id = invitation.invitation_id;
  const state = invitation.state;
  const tone = { pending: 'warn', accepted: 'good', declined: 'bad', expired: 'bad', withdrawn: 'bad' }[state] || '';
  const facts = [];
  const fact = (label, value) => { if (value !== null && value !== undefined && value !== '') facts.push(h('dt', {}, t(label)), h('dd', {}, value)); };
  // A pending invitation counts down to its reply deadline; an evaluation still ahead, to its start.
  fact('expert.inv.deadline', state === 'pending'
    ? h('span', { id: `deadline-${id}` }, formatTime(invitation.reply_deadline), ' ', h('strong', {}, `（${formatCountdown(invitation.reply_deadline)}）`))
    : formatTime(invitation.reply_deadline));
  fact('expert.inv.answered_at', invitation.answered_at ? formatTime(invitation.answered_at) : null);
  if (invitation.tender_name) fact('expert.inv.tender', `${invitation.tender_name}${invitation.tender_reference ? `（${invitation.tender_reference}）` : ''}`);
  fact('expert.inv.venue', invitation.venue);
  fact('expert.inv.venue_address', invitation.venue_address);
  fact('expert.inv.start', invitation.evaluation_start
    ? h('span', { id: `start-${id}` }, formatTime(invitation.evaluation_start),
      state === 'accepted' && new Date(invitation.evaluation_start) > Date.now() ? ` （${formatCountdown(invitation.evaluation_start)}）` : '')
    : null);
  fact('expert.inv.minutes', invitation.evaluation_minutes);
  fact('expert.inv.mode', invitation.mode ? t(`expert.inv.mode.${invitation.mode}`) : null);
  fact('expert.inv.reason_shown', invitation.decline_reason ? t(`expert.inv.reason.${invitation.decline_reason}`) : null);

  const parts = [
    h('h2', {}, h('span', { class: `badge ${tone}` }, t(`expert.inv.state.${state}`)), ' ',
      invitation.tender_name || t('expert.inv.heading')),
    h('dl', { class: 'facts' }, facts),
  ];
  if (state === 'accepted' && invitation.session_join_code) {
    parts.push(h('div', { class: 'join-code-box', role: 'note' },
      h('div', { class: 'join-code-label' }, t('expert.inv.join_code')),
      h('div', { class: 'join-code', id: `join-code-${id}`, lang: 'en' }, invitation.session_join_code),
      h('p', { class: 'warning' }, t('expert.inv.join_code_note')),
      invitation.session_id
        ? h('a', { href: `#/session/room?id=${encodeURIComponent(invitation.session_id)}`, id: `enter-session-${id}`, class: 'button-link' }, t('expert.inv.enter_session'))
        : h('a', { href: '#/session/list', id: 'to-sessions' }, t('expert.inv.to_sessions'))));
  }
  if (state === 'pending') {
    parts.push(h('p', { class: 'muted' }, t('expert.inv.hidden')));
    const slot = errorSlot();
    const accept = action(t('expert.inv.accept'), async () => {
      const view = await api.post(`/api/v1/invitations/${encodeURIComponent(id)}/answer`, { accept: true });
      toast(t('expert.inv.accepted'));
      redraw(view);
    }, { slot, id: `accept-${id}` });
    const reason = h('select', { id: `decline-reason-${id}` },
      h('option', { value: '' }, t('expert.inv.reason.choose')),
      DECLINE_REASONS.map((r) => h('option', { value: r }, t(`expert.inv.reason.${r}`))));
    const relationship = h('input', { id: `decline-relationship-${id}`, maxlength: 200, autocomplete: 'off' });
    const relationshipField = field(t('expert.inv.relationship'), relationship, t('expert.inv.relationship_hint'));
    relationshipField.hidden = true;
    reason.addEventListener('change', () => {
      relationshipField.hidden = reason.value !== 'conflict_of_interest';
      markInvalid(reason, null);
    });
    const decline = action(t('expert.inv.decline'), async () => {
      markInvalid(reason, reason.value ? null : t('expert.inv.need_reason'));
      if (!reason.value) { reason.focus(); return; }
      const body = { accept: false, reason: reason.value };
      if (reason.value === 'conflict_of_interest') {
        const text = relationship.value.trim();
        const length = Array.from(text).length;
        markInvalid(relationship, length >= 2 && length <= 200 ? null : t('expert.inv.need_relationship'));
        if (length < 2 || length > 200) { relationship.focus(); return; }
        body.relationship = text;
      }
      let view;
      try {
        view = await api.post(`/api/v1/invitations/${encodeURIComponent(id)}/answer`, body);
      } catch (error) {
        if (error.field === 'reason') markInvalid(reason, error.detail);
        if (error.field === 'relationship') markInvalid(relationship, error.detail);
        throw error;
      }
      toast(t('expert.inv.declined'));
      redraw(view);
    }, { slot, id: `decline-${id}`, kind: 'danger' });
    parts.push(h('div', { class: 'buttons' }, accept),
      h('fieldset', { class: 'decline' },
        h('legend', {}, t('expert.inv.decline_heading')),
        h('div', { class: 'inline' }, field(t('expert.inv.decline_reason'), reason), relationshipField, decline)),
      slot.node);
  }
  return h('section', { class: 'card invitation', id: `invitation-${id}`, 'data-state': state }, parts);
}

async function renderInvitations() {
  const invitations = await api.get('/api/v1/me/invitations');
  const list = h('div', { id: 'invitations' });
  const draw = () => replace(list, invitations.length
    ? invitations.map((invitation, index) => invitationCard(invitation, (view) => {
      invitations[index] = view;
      draw();
      document.getElementById(`invitation-${view.invitation_id}`)?.focus?.();
    }))
    : h('p', { class: 'muted' }, t('expert.inv.none')));
  draw();
  return h('div', {}, h('h1', {}, t('expert.inv.heading')), list);
}

/**
 * The expert's own ratings and credit score (issue 16 §6): when, in which capacity (host,
 * center or supervisor; never who, never for which tender), the marks; an appeal of one, once,
 * with a reason a supervisor reads; the decision and its reason once made.
 */
async function renderRatings() {
  const slot = errorSlot();
  const page = h('div');
  const refresh = async () => {
    const credit = await api.get('/api/v1/me/ratings');
    replace(page,
      h('h1', {}, t('expert.ratings.heading')),
      section(t('expert.ratings.credit'),
        h('p', { id: 'credit-score' }, credit.score === undefined || credit.score === null
          ? t('expert.ratings.no_score', { n: credit.minimum_ratings })
          : t('expert.ratings.score', { score: credit.score, window: credit.window })),
        h('p', { class: 'hint' }, t('expert.ratings.rule', { below: credit.suspend_below }))),
      section(t('expert.ratings.list'),
        credit.ratings.length
          ? h('ul', { class: 'plain', id: 'ratings' }, credit.ratings.map((rating) => ratingCard(rating, slot, refresh)))
          : h('p', { class: 'muted', id: 'ratings' }, t('expert.ratings.none'))),
      slot.node);
  };
  await refresh();
  return page;
}

function ratingCard(rating, slot, refresh) {
  const id = rating.rating_id;
  const appeal = rating.appeal;
  let appealPart;
  if (appeal) {
    appealPart = h('div', { id: `appeal-status-${id}`, 'data-status': appeal.status },
      h('p', {}, h('span', { class: `badge ${appeal.status === 'granted' ? 'good' : appeal.status === 'upheld' ? 'bad' : 'warn'}` },
        t(`expert.ratings.appeal.${appeal.status}`)), ' ', t('expert.ratings.appeal_filed', { at: formatTime(appeal.filed_at) })),
      appeal.decision_reason ? h('p', { class: 'hint' }, t('expert.ratings.decision_reason', { reason: appeal.decision_reason })) : null);
  } else {
    const reason = h('textarea', { id: `appeal-reason-${id}`, rows: 3, maxlength: 1000, 'data-field': 'reason' });
    appealPart = h('details', {},
      h('summary', {}, t('expert.ratings.appeal')),
      field(t('expert.ratings.appeal_reason'), reason, t('expert.ratings.appeal_hint')),
      action(t('expert.ratings.appeal_submit'), async () => {
        const text = reason.value.trim();
        if (!markInvalid(reason, [...text].length >= 10 ? null : t('expert.ratings.appeal_hint'))) return;
        await api.post(`/api/v1/me/ratings/${encodeURIComponent(id)}/appeal`, { reason: text });
        toast(t('expert.ratings.appealed'));
        await refresh();
      }, { slot, id: `appeal-${id}` }));
  }
  return h('li', { class: 'card', id: `rating-${id}`, 'data-withdrawn': String(rating.withdrawn) },
    h('p', {}, h('strong', {}, formatTime(rating.rated_at)), ' · ', t(`rating.role.${rating.rater_role}`)),
    h('p', {}, marksText(rating), ' · ', t('expert.ratings.points', { points: rating.points }),
      rating.withdrawn ? h('span', { class: 'badge good' }, ' ', t('expert.ratings.withdrawn')) : null),
    appealPart);
}

export const views = {
  'expert/invitations': {
    roles: ['expert'],
    nav: 'expert.nav.invitations',
    render: renderInvitations,
  },
  'expert/record': {
    roles: ['expert'],
    nav: 'expert.nav.record',
    render: renderRecord,
  },
  'expert/ratings': {
    roles: ['expert'],
    nav: 'expert.nav.ratings',
    render: renderRatings,
  },
};
