// The expert's own screens: their record (contact details, leave, declared relationships,
// employer history) and their invitations (accept, or decline with a reason; the join code for a
// remote session once accepted).
//
// Ids the end-to-end tests drive:
//   record:      #record-phone #record-email #leave-add #leave-from-N #leave-to-N #leave-remove-N
//                #relative-add #relative-N #relative-remove-N #history-add #history-code-N
//                #history-from-N #history-to-N #history-remove-N #record-save #record-form
//   invitations: #invitations, per invitation ID: #invitation-ID (data-state), #accept-ID,
//                #decline-reason-ID, #decline-relationship-ID, #decline-ID, #join-code-ID,
//                #to-sessions (before the session is opened), #enter-session-ID (after)

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';
import { validCreditCode } from './validate.js';
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
  const phone = h('input', { id: 'record-phone', name: 'phone', type: 'tel', autocomplete: 'tel', value: identity.phone || '' });
  const email = h('input', { id: 'record-email', name: 'email', type: 'email', autocomplete: 'email', value: identity.email || '' });

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

  /** A problem the server names by field is shown at that field's first control. */
  function markServerProblem(error) {
    const first = {
      phone: 'record-phone',
      email: 'record-email',
      leave: 'leave-from-0',
      relatives_employers: 'relative-0',
      employer_history: 'history-code-0',
    }[error.field];
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
    const changes = {};
    if (phone.value.trim() !== original.phone) changes.phone = phone.value.trim();
    if (email.value.trim() !== original.email) changes.email = email.value.trim();
    const leave = state.leave.map((p) => ({ from: p.from, to: p.to }));
    if (JSON.stringify(leave) !== original.leave) changes.leave = leave;
    const relatives = state.relatives.map((c) => c.trim().toUpperCase());
    if (JSON.stringify(state.relatives) !== original.relatives) changes.relatives_employers = relatives;
    const history = state.history.map((p) => ({ credit_code: p.credit_code.trim().toUpperCase(), from: p.from, to: p.to }));
    if (JSON.stringify(state.history) !== original.history) changes.employer_history = history;
    if (!Object.keys(changes).length) {
      toast(t('expert.record.nothing_changed'));
      return;
    }
    try {
      await api.patch('/api/v1/me/expert', changes);
    } catch (error) {
      if (error.field) markServerProblem(error);
      throw error;
    }
    toast(t('expert.record.saved'));
    original.phone = phone.value.trim();
    original.email = email.value.trim();
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
    ['expert.record.status', record.status],
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
      h('div', { class: 'buttons' }, save)));
}

// ---- Invitations ----

const DECLINE_REASONS = ['leave', 'conflict_of_interest', 'illness', 'other'];

function invitationCard(invitation, redraw) {
  const id = invitation.invitation_id;
  const state = invitation.state;
  const tone = { pending: 'warn', accepted: 'good', declined: 'bad', expired: 'bad', withdrawn: 'bad' }[state] || '';
  const facts = [];
  const fact = (label, value) => { if (value !== null && value !== undefined && value !== '') facts.push(h('dt', {}, t(label)), h('dd', {}, value)); };
  fact('expert.inv.deadline', formatTime(invitation.reply_deadline));
  fact('expert.inv.answered_at', invitation.answered_at ? formatTime(invitation.answered_at) : null);
  if (invitation.tender_name) fact('expert.inv.tender', `${invitation.tender_name}${invitation.tender_reference ? `（${invitation.tender_reference}）` : ''}`);
  fact('expert.inv.venue', invitation.venue);
  fact('expert.inv.start', invitation.evaluation_start ? formatTime(invitation.evaluation_start) : null);
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
};
