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
import { h, replace, field, errorSlot, action, table, section, toast, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';

const REFRESH_MS = 5000;

export const strings = {
  zh: {
    'supervisor.nav.overview': '总览',
    'supervisor.nav.frequency': '抽取频次',
    'supervisor.overview.heading': '监督总览',
    'supervisor.overview.updated': '每 5 秒自动刷新，最近一次：{time}',
    'supervisor.overview.stale': '刷新失败（{error}），显示的是上一次的数据。',
    'supervisor.draws.heading': '抽取',
    'supervisor.draws.tender': '项目',
    'supervisor.draws.start': '评标开始',
    'supervisor.draws.progress': '确认进度',
    'supervisor.draws.progress_text': '已确认 {confirmed}/{seats}，待答复 {pending}，已替换 {replaced}，剩余备选 {reserves}',
    'supervisor.draws.complete': '已齐',
    'supervisor.draws.verify': '验证记录',
    'supervisor.draws.verify_label': '在审计日志中验证抽取 {ref} 的记录',
    'supervisor.status.awaiting_entropy': '等待随机数',
    'supervisor.status.drawn': '已抽取',
    'supervisor.sessions.heading': '评标会议（您被指派监督的）',
    'supervisor.sessions.session': '会议',
    'supervisor.sessions.phase': '阶段',
    'supervisor.sessions.mode': '方式',
    'supervisor.sessions.seats': '到场',
    'supervisor.sessions.seats_text': '已签到 {checked}/{seats}，已声明 {declared}',
    'supervisor.sessions.open': '进入会议',
    'supervisor.sessions.open_label': '进入会议 {id}',
    'supervisor.unseal.heading': '待审批的解密申请',
    'supervisor.unseal.decided': '最近已处理的解密申请',
    'supervisor.unseal.requester': '申请人',
    'supervisor.unseal.reason': '理由',
    'supervisor.unseal.experts': '专家数',
    'supervisor.unseal.fields': '字段',
    'supervisor.unseal.minutes': '有效期（分钟）',
    'supervisor.unseal.status': '状态',
    'supervisor.unseal.decided_by': '处理人',
    'supervisor.unseal.valid_until': '可读取至',
    'supervisor.unseal.own': '您本人的申请，须由另一位监督人员审批',
    'supervisor.unseal.approve': '批准',
    'supervisor.unseal.approve_label': '批准解密申请 {id}',
    'supervisor.unseal.refuse': '拒绝',
    'supervisor.unseal.refuse_label': '拒绝解密申请 {id}',
    'supervisor.unseal.refusal_reason': '拒绝理由',
    'supervisor.unseal.refusal_hint': '10 至 500 个字；申请人可以看到，审计日志记录其摘要。',
    'supervisor.unseal.refusal_short': '请写明拒绝理由（至少 10 个字）。',
    'supervisor.unseal.refuse_confirm': '确认拒绝',
    'supervisor.unseal.confirm': '确认批准：在 {minutes} 分钟内向申请人解密 {n} 名专家的 {fields}',
    'supervisor.unseal.confirm_button': '确认批准',
    'supervisor.unseal.approved': '已批准解密申请。',
    'supervisor.unseal.refused': '已拒绝解密申请。',
    'supervisor.unseal.none': '没有待审批的申请。',
    'supervisor.unseal.status.pending': '待审批',
    'supervisor.unseal.status.approved': '已批准',
    'supervisor.unseal.status.refused': '已拒绝',
    'supervisor.field.name': '姓名',
    'supervisor.field.id_number': '身份证号',
    'supervisor.field.phone': '电话',
    'supervisor.field.email': '邮箱',
    'supervisor.field.employer': '工作单位',
    'supervisor.field.employer_history': '工作经历',
    'supervisor.pub.heading': '批准公布评标委员会名单',
    'supervisor.pub.hint': '交易中心申请公布评标委员会名单后，由监督人员批准；批准后交易中心可查看名单（每次查看均记入审计日志）。评标结束前名单保密：评标会议关闭后（无评标会议的现场评标在评标时段结束后）方可申请、批准和查看。',
    'supervisor.pub.draw': '抽取',
    'supervisor.pub.reason': '申请理由',
    'supervisor.pub.requested': '申请时间',
    'supervisor.pub.approve': '批准公布',
    'supervisor.pub.approve_label': '批准公布抽取 {draw} 的名单',
    'supervisor.pub.approved_at': '已批准（{time}）',
    'supervisor.pub.none': '没有待批准的公布申请。',
    'supervisor.pub.done': '已批准公布抽取 {id} 的名单（申请理由：{reason}）。',
    'supervisor.freq.heading': '专家抽取频次报告',
    'supervisor.freq.days': '统计天数（1–3660）',
    'supervisor.freq.load': '生成报告',
    'supervisor.freq.audited': '每次查看本报告都会记入审计日志。专家以固定化名显示。',
    'supervisor.freq.figures': '统计',
    'supervisor.freq.since': '起始日期',
    'supervisor.freq.experts_with_seats': '被抽中的专家数',
    'supervisor.freq.total_seats': '席位总数',
    'supervisor.freq.min': '最少',
    'supervisor.freq.max': '最多',
    'supervisor.freq.mean': '平均',
    'supervisor.freq.sd': '标准差',
    'supervisor.freq.chart_title': '最近 {days} 天每位专家被抽中次数的分布',
    'supervisor.freq.axis_x': '被抽中次数',
    'supervisor.freq.axis_y': '专家人数',
    'supervisor.freq.bar': '{seats} 次：{experts} 人',
    'supervisor.freq.table': '分布数据表',
    'supervisor.freq.top': '被抽中最多的专家（化名）',
    'supervisor.freq.pseudonym': '化名',
    'supervisor.freq.seats': '次数',
    'supervisor.freq.empty': '这段时间内没有专家被抽中。',
  },
  en: {
    'supervisor.nav.overview': 'Overview',
    'supervisor.nav.frequency': 'Draw frequency',
    'supervisor.overview.heading': 'Supervision overview',
    'supervisor.overview.updated': 'Refreshes every 5 seconds; last: {time}',
    'supervisor.overview.stale': 'Refresh failed ({error}); showing the previous data.',
    'supervisor.draws.heading': 'Draws',
    'supervisor.draws.tender': 'Tender',
    'supervisor.draws.start': 'Evaluation starts',
    'supervisor.draws.progress': 'Confirmation',
    'supervisor.draws.progress_text': '{confirmed}/{seats} confirmed, {pending} awaiting, {replaced} replaced, {reserves} reserves left',
    'supervisor.draws.complete': 'complete',
    'supervisor.draws.verify': 'Verify record',
    'supervisor.draws.verify_label': 'Verify the record of draw {ref} in the audit log',
    'supervisor.status.awaiting_entropy': 'awaiting randomness',
    'supervisor.status.drawn': 'drawn',
    'supervisor.sessions.heading': 'Evaluation sessions (those you are assigned to)',
    'supervisor.sessions.session': 'Session',
    'supervisor.sessions.phase': 'Phase',
    'supervisor.sessions.mode': 'Mode',
    'supervisor.sessions.seats': 'Attendance',
    'supervisor.sessions.seats_text': '{checked}/{seats} checked in, {declared} declared',
    'supervisor.sessions.open': 'Open session',
    'supervisor.sessions.open_label': 'Open session {id}',
    'supervisor.unseal.heading': 'Unseal requests awaiting a decision',
    'supervisor.unseal.decided': 'Recently decided unseal requests',
    'supervisor.unseal.requester': 'Requester',
    'supervisor.unseal.reason': 'Reason',
    'supervisor.unseal.experts': 'Experts',
    'supervisor.unseal.fields': 'Fields',
    'supervisor.unseal.minutes': 'Window (minutes)',
    'supervisor.unseal.status': 'Status',
    'supervisor.unseal.decided_by': 'Decided by',
    'supervisor.unseal.valid_until': 'Readable until',
    'supervisor.unseal.own': 'Your own request: another supervisor must decide it',
    'supervisor.unseal.approve': 'Approve',
    'supervisor.unseal.approve_label': 'Approve unseal request {id}',
    'supervisor.unseal.refuse': 'Refuse',
    'supervisor.unseal.refuse_label': 'Refuse unseal request {id}',
    'supervisor.unseal.refusal_reason': 'Reason for refusing',
    'supervisor.unseal.refusal_hint': '10 to 500 characters; the requester sees it, the audit log keeps its digest.',
    'supervisor.unseal.refusal_short': 'Say why (at least 10 characters).',
    'supervisor.unseal.refuse_confirm': 'Refuse',
    'supervisor.unseal.confirm': 'Confirm: unseal {fields} of {n} expert(s) to the requester for {minutes} minutes',
    'supervisor.unseal.confirm_button': 'Confirm approval',
    'supervisor.unseal.approved': 'The unseal request is approved.',
    'supervisor.unseal.refused': 'The unseal request is refused.',
    'supervisor.unseal.none': 'No request awaits a decision.',
    'supervisor.unseal.status.pending': 'pending',
    'supervisor.unseal.status.approved': 'approved',
    'supervisor.unseal.status.refused': 'refused',
    'supervisor.field.name': 'name',
    'supervisor.field.id_number': 'ID number',
    'supervisor.field.phone': 'phone',
    'supervisor.field.email': 'email',
    'supervisor.field.employer': 'employer',
    'supervisor.field.employer_history': 'employer history',
    'supervisor.pub.heading': 'Approve publishing a committee list',
    'supervisor.pub.hint': 'A trading center asks to publish a committee list; a supervisor approves it, after which the center may read the list (each reading is an audit entry). The list stays confidential until the evaluation has closed: asking, approving and reading become possible once its evaluation session has closed (for an on-site evaluation without a session, once its evaluation window has ended).',
    'supervisor.pub.draw': 'Draw',
    'supervisor.pub.reason': 'Reason given',
    'supervisor.pub.requested': 'Requested',
    'supervisor.pub.approve': 'Approve publication',
    'supervisor.pub.approve_label': 'Approve publishing the list of draw {draw}',
    'supervisor.pub.approved_at': 'Approved ({time})',
    'supervisor.pub.none': 'No publication awaits approval.',
    'supervisor.pub.done': 'Publication of draw {id} approved (reason given: {reason}).',
    'supervisor.freq.heading': 'Draw frequency report',
    'supervisor.freq.days': 'Window in days (1–3660)',
    'supervisor.freq.load': 'Run the report',
    'supervisor.freq.audited': 'Every view of this report is recorded in the audit log. Experts appear under stable pseudonyms.',
    'supervisor.freq.figures': 'Figures',
    'supervisor.freq.since': 'Since',
    'supervisor.freq.experts_with_seats': 'Experts with seats',
    'supervisor.freq.total_seats': 'Seats in total',
    'supervisor.freq.min': 'Minimum',
    'supervisor.freq.max': 'Maximum',
    'supervisor.freq.mean': 'Mean',
    'supervisor.freq.sd': 'Standard deviation',
    'supervisor.freq.chart_title': 'Seats per expert over the last {days} days',
    'supervisor.freq.axis_x': 'Seats',
    'supervisor.freq.axis_y': 'Experts',
    'supervisor.freq.bar': '{seats} seat(s): {experts} expert(s)',
    'supervisor.freq.table': 'Distribution as a table',
    'supervisor.freq.top': 'Most-drawn experts (pseudonyms)',
    'supervisor.freq.pseudonym': 'Pseudonym',
    'supervisor.freq.seats': 'Seats',
    'supervisor.freq.empty': 'No expert was drawn in this window.',
  },
};

export const views = {
  'supervisor/overview': { roles: ['supervisor'], nav: 'supervisor.nav.overview', render: renderOverview },
  'supervisor/frequency': { roles: ['supervisor'], nav: 'supervisor.nav.frequency', render: renderFrequency },
};

const short = (id) => (id ? `${String(id).slice(0, 8)}…` : '');
const statusText = (status) => t(`supervisor.status.${status}`) === `supervisor.status.${status}` ? status : t(`supervisor.status.${status}`);
const fieldsText = (fields) => fields.map((f) => t(`supervisor.field.${f}`)).join('、');

// --- overview -------------------------------------------------------------------------------

async function renderOverview(ctx) {
  const updated = h('p', { id: 'overview-updated', class: 'muted' });
  const drawsNode = h('div', { id: 'draws' });
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
          const confirmed = sum('confirmed');
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
          ? h('a', { href: `#/audit/log?draw=${encodeURIComponent(d.draw_id)}`, 'aria-label': t('supervisor.draws.verify_label', { ref: d.tender_reference }) }, t('supervisor.draws.verify'))
          : ''),
      },
    ], draws);
  }

  function sessionsTable(sessions) {
    return table([
      { label: t('supervisor.sessions.session'), value: (s) => h('code', { title: s.session_id }, short(s.session_id)) },
      { label: t('supervisor.sessions.phase'), value: (s) => h('span', { class: 'badge' }, String(s.phase)) },
      { label: t('supervisor.sessions.mode'), value: (s) => s.mode },
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
        value: (s) => h('a', { href: `#/session/room?id=${encodeURIComponent(s.session_id)}`, 'aria-label': t('supervisor.sessions.open_label', { id: short(s.session_id) }) }, t('supervisor.sessions.open')),
      },
    ], sessions);
  }

  function pendingTable(requests) {
    const pending = requests.filter((r) => r.status === 'pending');
    if (!pending.length) return h('p', { class: 'muted' }, t('supervisor.unseal.none'));
    return h('ul', { class: 'plain requests' }, pending.map((r) => {
      const own = r.requester_id === ctx.me.account_id;
      const facts = h('dl', { class: 'facts' },
        h('dt', {}, t('supervisor.unseal.requester')), h('dd', {}, h('code', {}, r.requester_id)),
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
      { label: t('supervisor.unseal.requester'), value: (r) => h('code', { title: r.requester_id }, short(r.requester_id)) },
      { label: t('supervisor.unseal.reason'), value: (r) => r.reason },
      { label: t('supervisor.unseal.fields'), value: (r) => fieldsText(r.fields) },
      { label: t('supervisor.unseal.status'), value: (r) => h('span', { class: `badge ${r.status === 'approved' ? 'warn' : ''}`, 'data-status': r.status }, t(`supervisor.unseal.status.${r.status}`)) },
      { label: t('supervisor.unseal.decided_by'), value: (r) => h('code', { title: r.decided_by || '' }, short(r.decided_by)) },
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
    section(t('supervisor.draws.heading'), drawsNode),
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
    h('dt', {}, t('supervisor.freq.sd')), h('dd', { id: 'frequency-sd' }, report.standard_deviation));
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
    ], report.experts.slice(0, 20)))));
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
