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

export const strings = {
  zh: {
    'expert.nav.invitations': '我的邀请',
    'expert.nav.record': '我的信息',
    'expert.record.heading': '我的专家信息',
    'expert.record.identity': '身份信息（只读，如需更正请联系管理员）',
    'expert.record.name': '姓名',
    'expert.record.employer': '工作单位',
    'expert.record.expert_id': '专家编号',
    'expert.record.region': '所在地区代码',
    'expert.record.specialties': '评标专业',
    'expert.record.status': '状态',
    'expert.record.contact': '联系方式',
    'expert.record.phone': '手机号码',
    'expert.record.phone_hint': '11 位大陆手机号码，例如 13800138000',
    'expert.record.email': '电子邮箱',
    'expert.record.leave': '请假时段（期间不会被抽取）',
    'expert.record.leave_from': '开始日期',
    'expert.record.leave_to': '结束日期（含当天）',
    'expert.record.leave_add': '添加请假时段',
    'expert.record.relatives': '近亲属工作单位（用于回避）',
    'expert.record.relatives_hint': '填写单位的统一社会信用代码（18 位）',
    'expert.record.relative': '统一社会信用代码',
    'expert.record.relative_add': '添加单位',
    'expert.record.history': '工作经历',
    'expert.record.history_code': '单位统一社会信用代码',
    'expert.record.history_from': '起始日期',
    'expert.record.history_to': '截止日期',
    'expert.record.history_add': '添加工作经历',
    'expert.record.remove': '删除',
    'expert.record.remove_row': '删除第 {n} 行',
    'expert.record.save': '保存修改',
    'expert.record.saved': '已保存您的信息。',
    'expert.record.nothing_changed': '没有需要保存的修改。',
    'expert.record.invalid': '请先更正标出的内容。',
    'expert.record.none': '暂无',
    'expert.invalid.phone': '手机号码应为 11 位大陆手机号码，例如 13800138000。',
    'expert.invalid.email': '请填写有效的电子邮箱地址。',
    'expert.invalid.date': '请填写日期。',
    'expert.invalid.order': '结束日期不能早于开始日期。',
    'expert.invalid.credit': '统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V），且校验位正确。',
    'expert.invalid.too_many': '最多 50 项。',
    'expert.inv.heading': '我的评标邀请',
    'expert.inv.none': '目前没有邀请。',
    'expert.inv.deadline': '答复截止',
    'expert.inv.answered_at': '答复时间',
    'expert.inv.state.pending': '待答复',
    'expert.inv.state.accepted': '已接受',
    'expert.inv.state.declined': '已谢绝',
    'expert.inv.state.expired': '已过期',
    'expert.inv.state.withdrawn': '已撤回',
    'expert.inv.hidden': '接受邀请后显示项目名称、时间和地点。',
    'expert.inv.accept': '接受邀请',
    'expert.inv.accepted': '您已接受邀请。',
    'expert.inv.decline_heading': '谢绝邀请',
    'expert.inv.decline_reason': '谢绝原因',
    'expert.inv.reason.choose': '请选择…',
    'expert.inv.reason.leave': '请假或外出',
    'expert.inv.reason.conflict_of_interest': '存在利害关系（需回避）',
    'expert.inv.reason.illness': '身体原因',
    'expert.inv.reason.other': '其他原因',
    'expert.inv.relationship': '利害关系说明',
    'expert.inv.relationship_hint': '与哪一方有何种关系（2 至 200 字），仅密封保存',
    'expert.inv.decline': '谢绝邀请',
    'expert.inv.declined': '您已谢绝邀请。',
    'expert.inv.need_reason': '请选择谢绝原因。',
    'expert.inv.need_relationship': '存在利害关系时须说明关系（2 至 200 字）。',
    'expert.inv.tender': '项目',
    'expert.inv.venue': '评标地点',
    'expert.inv.start': '评标开始时间',
    'expert.inv.minutes': '预计时长（分钟）',
    'expert.inv.mode': '评标方式',
    'expert.inv.mode.on_site': '现场评标',
    'expert.inv.mode.cross_site': '远程异地评标',
    'expert.inv.mode.distributed': '分散评标',
    'expert.inv.join_code': '评标会议加入码',
    'expert.inv.join_code_note': '进入评标会议签到时需要输入此加入码。请勿告诉任何人，也不要拍照或转发。',
    'expert.inv.to_sessions': '前往我的评标会议',
    'expert.inv.enter_session': '进入评标会议',
    'expert.inv.reason_shown': '谢绝原因',
  },
  en: {
    'expert.nav.invitations': 'My invitations',
    'expert.nav.record': 'My record',
    'expert.record.heading': 'My expert record',
    'expert.record.identity': 'Identity (read only; ask an administrator to correct it)',
    'expert.record.name': 'Name',
    'expert.record.employer': 'Employer',
    'expert.record.expert_id': 'Expert number',
    'expert.record.region': 'Region code',
    'expert.record.specialties': 'Specialties',
    'expert.record.status': 'Status',
    'expert.record.contact': 'Contact details',
    'expert.record.phone': 'Mobile phone',
    'expert.record.phone_hint': 'An 11-digit mainland mobile number such as 13800138000',
    'expert.record.email': 'Email',
    'expert.record.leave': 'Leave periods (you are not drawn during them)',
    'expert.record.leave_from': 'First day',
    'expert.record.leave_to': 'Last day (included)',
    'expert.record.leave_add': 'Add a leave period',
    'expert.record.relatives': "Relatives' employers (for conflict avoidance)",
    'expert.record.relatives_hint': "The employer's unified social credit code (18 characters)",
    'expert.record.relative': 'Unified social credit code',
    'expert.record.relative_add': 'Add an employer',
    'expert.record.history': 'Employer history',
    'expert.record.history_code': "Employer's unified social credit code",
    'expert.record.history_from': 'From',
    'expert.record.history_to': 'To',
    'expert.record.history_add': 'Add an employment period',
    'expert.record.remove': 'Remove',
    'expert.record.remove_row': 'Remove row {n}',
    'expert.record.save': 'Save changes',
    'expert.record.saved': 'Your record is saved.',
    'expert.record.nothing_changed': 'There is nothing to save.',
    'expert.record.invalid': 'Please correct the marked entries first.',
    'expert.record.none': 'None',
    'expert.invalid.phone': 'The phone must be an 11-digit mainland mobile number such as 13800138000.',
    'expert.invalid.email': 'Please enter a valid email address.',
    'expert.invalid.date': 'Please enter a date.',
    'expert.invalid.order': 'The end cannot be before the start.',
    'expert.invalid.credit': 'A unified social credit code is 18 digits or capital letters (not I, O, Z, S, V) with a valid check character.',
    'expert.invalid.too_many': 'At most 50 entries.',
    'expert.inv.heading': 'My evaluation invitations',
    'expert.inv.none': 'You have no invitations.',
    'expert.inv.deadline': 'Answer by',
    'expert.inv.answered_at': 'Answered',
    'expert.inv.state.pending': 'Awaiting your answer',
    'expert.inv.state.accepted': 'Accepted',
    'expert.inv.state.declined': 'Declined',
    'expert.inv.state.expired': 'Expired',
    'expert.inv.state.withdrawn': 'Withdrawn',
    'expert.inv.hidden': 'The tender, time and place are shown once you accept.',
    'expert.inv.accept': 'Accept the invitation',
    'expert.inv.accepted': 'You accepted the invitation.',
    'expert.inv.decline_heading': 'Decline the invitation',
    'expert.inv.decline_reason': 'Reason',
    'expert.inv.reason.choose': 'Choose…',
    'expert.inv.reason.leave': 'On leave or away',
    'expert.inv.reason.conflict_of_interest': 'Conflict of interest (I must recuse)',
    'expert.inv.reason.illness': 'Illness',
    'expert.inv.reason.other': 'Other',
    'expert.inv.relationship': 'The relationship',
    'expert.inv.relationship_hint': 'With whom and how (2 to 200 characters); kept sealed',
    'expert.inv.decline': 'Decline',
    'expert.inv.declined': 'You declined the invitation.',
    'expert.inv.need_reason': 'Please choose a reason.',
    'expert.inv.need_relationship': 'A conflict of interest needs the relationship (2 to 200 characters).',
    'expert.inv.tender': 'Tender',
    'expert.inv.venue': 'Venue',
    'expert.inv.start': 'Evaluation starts',
    'expert.inv.minutes': 'Expected duration (minutes)',
    'expert.inv.mode': 'Mode',
    'expert.inv.mode.on_site': 'On site',
    'expert.inv.mode.cross_site': 'Remote, across venues',
    'expert.inv.mode.distributed': 'Remote, distributed',
    'expert.inv.join_code': 'Session join code',
    'expert.inv.join_code_note': 'You type this code when you check in to the evaluation session. Keep it private: do not tell anyone, photograph or forward it.',
    'expert.inv.to_sessions': 'Go to my evaluation sessions',
    'expert.inv.enter_session': 'Enter the evaluation session',
    'expert.inv.reason_shown': 'Reason',
  },
};

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
