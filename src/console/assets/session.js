// The evaluation session screen, one for every participant: the list of the account's sessions
// and the live room over the session websocket (docs/PROTOCOL.md). What the room shows and
// offers depends on the role the server gives this account in the session: an expert checks in,
// declares, votes, scores and signs; the host moves the phases and records departures; a
// supervisor watches, decides clarification requests and posts warnings; a venue operator
// watches. Experts are "Expert n" everywhere: nothing here ever carries a name.
//
// The room keeps the number of the last event it has applied and, whenever the socket ends
// without the user leaving, asks for a new ticket and reconnects with `after=` that number,
// backing off between attempts; an event numbered at or below it is never applied or shown
// again. Requests carry ids unique for the session (a random prefix per page and a counter);
// one without a reply is resent with the same id after a reconnection, so the server applies
// it at most once (PROTOCOL.md §6).
//
// Stable ids for tests (N = seat number, B = bidder index, C = criterion index, both from 0 in
// the session's order, K = clarification number):
//   list:      #sessions, #open-<session id>
//   room:      #connection-state (data-state connecting|connected|reconnecting|disconnected),
//              #phase (data-phase), #own-seat, #chair, #committee (rows #seat-N, data-connected
//              for staff), #event-log (li[data-seq]), #warnings, #summary, #report-sha256,
//              #report-verified (data-verified true|false), #clarifications
//   expert:    #join-code, #check-in, #declare-none, #declare-conflict-confirm, #declare-conflict,
//              #vote-seat, #vote-submit, #score-B-C, #comment-B, #sheet-submit-B, #sheet-status-B,
//              #clarify-bidder, #clarify-question, #clarify-submit, #sign-report,
//              #dissent-reasons, #dissent-submit, #my-signature
//   host:      #next-phase (data-to), #advance-problems, #replace-seat, #replace-reason,
//              #replace-confirm, #replace-submit, #contribute-entropy
//   supervisor: #warn-text, #warn-submit, #clarification-K-approve, #clarification-K-refuse,
//              #contribute-entropy

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, randomHex, markInvalid } from './dom.js';
import { t, formatTime } from './i18n.js';
import { hex, sha256 } from './tlog.js';

export const strings = {
  zh: {
    'session.nav.list': '评标会议',
    'session.list.heading': '我的评标会议',
    'session.list.none': '目前没有您参加的评标会议。',
    'session.list.session': '会议',
    'session.list.mode': '方式',
    'session.list.phase': '阶段',
    'session.list.role': '我的身份',
    'session.list.size': '委员会人数',
    'session.list.open': '进入',
    'session.list.open_label': '进入会议 {id}',
    'session.mode.cross_site': '远程异地评标',
    'session.mode.distributed': '分散评标',
    'session.role.host': '主持方（主场）',
    'session.role.operator': '副场',
    'session.role.supervisor': '监督',
    'session.role.expert': '评标专家',
    'session.phase.scheduled': '待开始',
    'session.phase.check_in': '签到',
    'session.phase.recusal': '回避声明',
    'session.phase.chair_election': '推选主任委员',
    'session.phase.evaluation': '评审打分',
    'session.phase.summary': '评分汇总',
    'session.phase.signing': '签署评标报告',
    'session.phase.closed': '已结束',
    'session.seat': '专家 {n}',
    'session.room.heading': '评标会议',
    'session.room.phase': '当前阶段',
    'session.room.you': '我的席位',
    'session.room.you_staff': '我的身份',
    'session.room.chair': '主任委员',
    'session.room.no_chair': '尚未选出',
    'session.room.connection': '连接状态',
    'session.conn.connecting': '正在连接…',
    'session.conn.connected': '已连接',
    'session.conn.reconnecting': '连接中断，正在重新连接…',
    'session.conn.disconnected': '已断开',
    'session.conn.vacated': '您的席位已被替换，连接已结束。',
    'session.conn.refused': '无法进入此会议：{detail}',
    'session.committee': '评标委员会',
    'session.col.seat': '席位',
    'session.col.venue': '评标室',
    'session.col.state': '状态',
    'session.col.checked_in': '签到',
    'session.col.declared': '声明',
    'session.col.voted': '投票',
    'session.col.sheets': '评分表',
    'session.col.signed': '签署',
    'session.col.connected': '在线',
    'session.state.active': '在席',
    'session.state.void': '已作废',
    'session.state.pending': '待接受邀请',
    'session.void.recused': '回避',
    'session.void.withdrew': '退出',
    'session.void.replaced': '被替换',
    'session.yes': '是',
    'session.no': '否',
    'session.online': '在线',
    'session.offline': '离线',
    'session.mine': '（我）',
    'session.chair_mark': '主任委员',
    'session.signed.agree': '同意',
    'session.signed.dissent': '不同意',
    'session.staff_connections': '工作人员连接',
    'session.actions': '我的操作',
    'session.wait.scheduled': '会议尚未开始签到，请等待主持方开始。',
    'session.wait.generic': '请等待主持方进入下一阶段。',
    'session.wait.summary': '请审阅下方评分汇总，特别是标出的偏离评分。',
    'session.closed_note': '会议已结束，评标报告已签署。',
    'session.vacated': '您的席位已被替换，您的评审结论无效，不能再参与本会议。',
    'session.checkin.heading': '签到',
    'session.checkin.code': '加入码',
    'session.checkin.hint': '接受邀请后在“我的邀请”中显示的 10 位加入码',
    'session.checkin.submit': '签到',
    'session.checkin.invalid': '加入码为 10 位数字或字母 a–f。',
    'session.checkin.done': '您已签到。',
    'session.declare.heading': '回避声明',
    'session.declare.text': '请确认您与本项目的任何投标人均无利害关系。如有利害关系，必须主动回避，您的席位将由候补专家接替。',
    'session.declare.none': '我与各投标人均无利害关系',
    'session.declare.conflict_confirm': '我与某投标人有利害关系，现申请回避（提交后立即生效，不能撤回）',
    'session.declare.conflict': '申请回避',
    'session.declare.conflict_note': '利害关系的具体情况请向主持方或监督人员说明；本系统不记录说明内容。',
    'session.declare.done': '您已声明无利害关系。',
    'session.vote.heading': '推选主任委员',
    'session.vote.seat': '我推选',
    'session.vote.submit': '投票',
    'session.vote.yours': '您已投票给 {label}。在选出主任委员之前，您可以改投。',
    'session.vote.voted': '您已投票。',
    'session.vote.elected': '{label} 已当选主任委员。',
    'session.vote.choose': '请选择一位委员。',
    'session.score.heading': '评分表',
    'session.score.range': '{name}（0–{max} 分）',
    'session.score.comment': '评审意见（选填，最多 2000 字）',
    'session.score.submit': '提交对 {bidder} 的评分',
    'session.score.resubmit': '修改对 {bidder} 的评分',
    'session.score.recorded': '已记录：合计 {total} 分',
    'session.score.not_yet': '尚未提交',
    'session.score.invalid': '请填写 0 到 {max} 之间的分数，最多两位小数。',
    'session.score.comment_long': '评审意见最多 2000 字。',
    'session.score.fix': '请先更正标出的分数。',
    'session.score.sent': '评分已提交。',
    'session.clarify.heading': '请求投标人澄清',
    'session.clarify.bidder': '投标人',
    'session.clarify.question': '需要澄清的问题（最多 2000 字）',
    'session.clarify.submit': '提交澄清请求',
    'session.clarify.empty': '请填写问题。',
    'session.clarify.sent': '澄清请求已提交，待监督人员审批。',
    'session.clarifications': '澄清请求',
    'session.clar.pending': '待审批',
    'session.clar.approved': '已批准',
    'session.clar.refused': '已驳回',
    'session.clar.approve': '批准第 {n} 号',
    'session.clar.refuse': '驳回第 {n} 号',
    'session.clar.line': '第 {n} 号 · {label} · {bidder}：{question}',
    'session.summary.heading': '评分汇总',
    'session.summary.median': '中位数：{median} 分',
    'session.summary.total': '合计',
    'session.summary.deviates': '偏离',
    'session.summary.deviation_note': '标出“偏离”的评分与中位数相差超过 {p}%，需要评审专家复核说明。',
    'session.summary.comment': '意见',
    'session.report.heading': '评标报告',
    'session.report.sha': '报告摘要（SHA-256）',
    'session.report.verified': '已在本机核对：报告内容与摘要一致',
    'session.report.mismatch': '报告内容与摘要不一致，请勿签署并告知监督人员。',
    'session.report.checking': '正在核对报告摘要…',
    'session.report.final': '已签署的最终报告摘要',
    'session.sign.heading': '签署评标报告',
    'session.sign.agree': '同意并签署评标报告',
    'session.sign.dissent_heading': '持不同意见',
    'session.sign.reasons': '不同意见及理由（10 至 2000 字，将写入报告）',
    'session.sign.dissent': '提交不同意见',
    'session.sign.reasons_short': '不同意见的理由至少 10 个字，最多 2000 字。',
    'session.sign.done.agree': '您已签署同意。',
    'session.sign.done.dissent': '您已提交不同意见：{reasons}',
    'session.host.next': '进入下一阶段：{phase}',
    'session.host.moved': '已进入：{phase}',
    'session.host.problems': '尚不能进入下一阶段：',
    'session.host.replace_heading': '记录委员回避或退出',
    'session.host.replace_seat': '席位',
    'session.host.replace_reason': '原因',
    'session.host.reason.recused': '回避',
    'session.host.reason.withdrew': '退出（如身体原因）',
    'session.host.replace_confirm': '我确认该委员的评审结论作废，由候补专家接替',
    'session.host.replace_submit': '记录并替换',
    'session.host.replace_need_confirm': '请先勾选确认。',
    'session.host.replaced': '已记录，{label} 的席位已作废。',
    'session.entropy.heading': '席位随机分配',
    'session.entropy.count': '已收到 {n} 份随机数。',
    'session.entropy.submit': '从本机提交随机数',
    'session.entropy.done': '随机数已提交（第 {n} 份）。',
    'session.warn.heading': '发布提醒',
    'session.warn.text': '提醒内容（所有参会人员可见，最多 2000 字）',
    'session.warn.submit': '发布提醒',
    'session.warn.empty': '请填写提醒内容。',
    'session.warn.sent': '提醒已发布。',
    'session.warnings': '监督提醒',
    'session.log': '会议记录',
    'session.refused': '请求未被接受',
    'session.code.invalid-request': '填写有误',
    'session.code.wrong-join-code': '加入码不正确',
    'session.code.forbidden': '无权执行此操作',
    'session.code.wrong-phase': '当前阶段不能执行此操作',
    'session.code.precondition-failed': '尚不满足条件',
    'session.code.conflict': '已完成或顺序不对',
    'session.code.unavailable': '暂时无法完成，请稍后重试',
    'session.ev.session_created': '会议已创建：{seats} 个席位',
    'session.ev.contribution': '收到第 {position} 份随机数',
    'session.ev.presence.on': '{who} 已连接',
    'session.ev.presence.off': '{who} 已断开',
    'session.ev.seats_assigned': '席位已随机分配到各评标室',
    'session.ev.checked_in': '{label} 已签到',
    'session.ev.declared': '{label} 已声明无利害关系',
    'session.ev.seat_vacated': '{label} 的席位已作废（{reason}），其评审结论无效',
    'session.ev.seat_added': '候补专家加入：{label}',
    'session.ev.chair_vacated': '主任委员席位空缺，重新推选',
    'session.ev.vote_cast': '{label} 已投票',
    'session.ev.chair_elected': '{label} 当选主任委员（{votes}/{cast} 票）',
    'session.ev.sheet_submitted': '{label} 已提交对 {bidder} 的评分表',
    'session.ev.sheet_recorded': '您对 {bidder} 的评分已记录：合计 {total} 分',
    'session.ev.clarification_requested': '{label} 请求 {bidder} 澄清（第 {number} 号）',
    'session.ev.clarification_decided': '第 {number} 号澄清请求：{state}',
    'session.ev.warning': '监督提醒：{text}',
    'session.ev.sheets_revealed': '所有评分已公开',
    'session.ev.report_ready': '评标报告草稿已生成',
    'session.ev.signed': '{label}：{signature}',
    'session.ev.closed': '会议已结束，报告已签署',
    'session.ev.phase_changed': '阶段：{from} → {to}',
    'session.ev.phase_returned': '因席位空缺退回评审打分阶段，报告和签署作废',
    'session.who.host': '主持方',
    'session.who.supervisor': '监督',
    'session.who.operator': '副场 {venue}',
    'session.missing.assignment-entropy': '席位随机分配尚未收到随机数',
    'session.missing.replacement-pending': '候补专家尚未接受邀请',
    'session.missing.seats-vacant': '有席位尚无确认的委员',
    'session.missing.committee-composition': '委员会组成不符合要求（至少 5 人、单数、专家不少于三分之二）',
    'session.missing.not-checked-in': '尚未签到',
    'session.missing.not-declared': '尚未作回避声明',
    'session.missing.no-chair': '尚未选出主任委员；尚未投票',
    'session.missing.sheets-missing': '评分表未交齐',
    'session.missing.not-signed': '尚未签署或提出不同意见',
  },
  en: {
    'session.nav.list': 'Evaluation sessions',
    'session.list.heading': 'My evaluation sessions',
    'session.list.none': 'You take part in no evaluation session.',
    'session.list.session': 'Session',
    'session.list.mode': 'Mode',
    'session.list.phase': 'Phase',
    'session.list.role': 'My role',
    'session.list.size': 'Committee',
    'session.list.open': 'Open',
    'session.list.open_label': 'Open session {id}',
    'session.mode.cross_site': 'Remote, across venues',
    'session.mode.distributed': 'Remote, distributed',
    'session.role.host': 'Host (main venue)',
    'session.role.operator': 'Sub-venue',
    'session.role.supervisor': 'Supervisor',
    'session.role.expert': 'Expert',
    'session.phase.scheduled': 'Scheduled',
    'session.phase.check_in': 'Check-in',
    'session.phase.recusal': 'Declarations',
    'session.phase.chair_election': 'Chair election',
    'session.phase.evaluation': 'Evaluation',
    'session.phase.summary': 'Summary',
    'session.phase.signing': 'Signing the report',
    'session.phase.closed': 'Closed',
    'session.seat': 'Expert {n}',
    'session.room.heading': 'Evaluation session',
    'session.room.phase': 'Phase',
    'session.room.you': 'My seat',
    'session.room.you_staff': 'My role',
    'session.room.chair': 'Chair',
    'session.room.no_chair': 'not elected yet',
    'session.room.connection': 'Connection',
    'session.conn.connecting': 'Connecting…',
    'session.conn.connected': 'Connected',
    'session.conn.reconnecting': 'Connection lost, reconnecting…',
    'session.conn.disconnected': 'Disconnected',
    'session.conn.vacated': 'Your seat has been replaced; the connection has ended.',
    'session.conn.refused': 'You cannot enter this session: {detail}',
    'session.committee': 'Committee',
    'session.col.seat': 'Seat',
    'session.col.venue': 'Venue',
    'session.col.state': 'State',
    'session.col.checked_in': 'Checked in',
    'session.col.declared': 'Declared',
    'session.col.voted': 'Voted',
    'session.col.sheets': 'Sheets',
    'session.col.signed': 'Signed',
    'session.col.connected': 'Online',
    'session.state.active': 'Active',
    'session.state.void': 'Void',
    'session.state.pending': 'Invitation pending',
    'session.void.recused': 'recused',
    'session.void.withdrew': 'withdrew',
    'session.void.replaced': 'replaced',
    'session.yes': 'Yes',
    'session.no': 'No',
    'session.online': 'online',
    'session.offline': 'offline',
    'session.mine': ' (me)',
    'session.chair_mark': 'Chair',
    'session.signed.agree': 'agrees',
    'session.signed.dissent': 'dissents',
    'session.staff_connections': 'Staff connections',
    'session.actions': 'My actions',
    'session.wait.scheduled': 'Check-in has not opened yet; the host opens it.',
    'session.wait.generic': 'Please wait for the host to move to the next phase.',
    'session.wait.summary': 'Please review the summary below, especially the flagged deviations.',
    'session.closed_note': 'The session is closed and the report signed.',
    'session.vacated': 'Your seat has been replaced: your conclusions are void and you no longer take part.',
    'session.checkin.heading': 'Check in',
    'session.checkin.code': 'Join code',
    'session.checkin.hint': 'The 10-character code shown under My invitations once you accepted',
    'session.checkin.submit': 'Check in',
    'session.checkin.invalid': 'The join code is 10 characters: digits and the letters a–f.',
    'session.checkin.done': 'You are checked in.',
    'session.declare.heading': 'Declaration',
    'session.declare.text': 'Confirm that you have no conflict of interest with any bidder. If you have one you must recuse yourself; a reserve expert takes your seat.',
    'session.declare.none': 'I have no conflict of interest with any bidder',
    'session.declare.conflict_confirm': 'I have a conflict of interest with a bidder and recuse myself (effective at once, cannot be undone)',
    'session.declare.conflict': 'Recuse myself',
    'session.declare.conflict_note': 'Explain the circumstances to the host or the supervisor; the system does not record them.',
    'session.declare.done': 'You declared no conflict of interest.',
    'session.vote.heading': 'Chair election',
    'session.vote.seat': 'I vote for',
    'session.vote.submit': 'Vote',
    'session.vote.yours': 'You voted for {label}. You may change your vote until a chair is elected.',
    'session.vote.voted': 'You have voted.',
    'session.vote.elected': '{label} has been elected chair.',
    'session.vote.choose': 'Please choose a member.',
    'session.score.heading': 'Score sheets',
    'session.score.range': '{name} (0–{max} points)',
    'session.score.comment': 'Comment (optional, at most 2,000 characters)',
    'session.score.submit': 'Submit the sheet for {bidder}',
    'session.score.resubmit': 'Replace the sheet for {bidder}',
    'session.score.recorded': 'Recorded: {total} points in total',
    'session.score.not_yet': 'Not submitted yet',
    'session.score.invalid': 'Enter 0 to {max} points with at most two decimals.',
    'session.score.comment_long': 'A comment has at most 2,000 characters.',
    'session.score.fix': 'Please correct the marked scores first.',
    'session.score.sent': 'The sheet is submitted.',
    'session.clarify.heading': 'Ask a bidder for clarification',
    'session.clarify.bidder': 'Bidder',
    'session.clarify.question': 'The question (at most 2,000 characters)',
    'session.clarify.submit': 'Send the request',
    'session.clarify.empty': 'Please write the question.',
    'session.clarify.sent': 'The request is sent; a supervisor decides on it.',
    'session.clarifications': 'Clarification requests',
    'session.clar.pending': 'pending',
    'session.clar.approved': 'approved',
    'session.clar.refused': 'refused',
    'session.clar.approve': 'Approve no. {n}',
    'session.clar.refuse': 'Refuse no. {n}',
    'session.clar.line': 'No. {n} · {label} · {bidder}: {question}',
    'session.summary.heading': 'Summary',
    'session.summary.median': 'Median: {median} points',
    'session.summary.total': 'Total',
    'session.summary.deviates': 'deviates',
    'session.summary.deviation_note': 'A score marked “deviates” is more than {p}% from the median; its author should look again and explain it.',
    'session.summary.comment': 'Comment',
    'session.report.heading': 'Evaluation report',
    'session.report.sha': 'Report digest (SHA-256)',
    'session.report.verified': 'Checked on this computer: the report matches its digest',
    'session.report.mismatch': 'The report does not match its digest. Do not sign; tell the supervisor.',
    'session.report.checking': 'Checking the report digest…',
    'session.report.final': 'Digest of the signed final report',
    'session.sign.heading': 'Sign the report',
    'session.sign.agree': 'I agree and sign the report',
    'session.sign.dissent_heading': 'Dissent',
    'session.sign.reasons': 'Your dissent and its reasons (10 to 2,000 characters; they go into the report)',
    'session.sign.dissent': 'Submit my dissent',
    'session.sign.reasons_short': 'A dissent needs reasons of 10 to 2,000 characters.',
    'session.sign.done.agree': 'You signed the report.',
    'session.sign.done.dissent': 'You dissented: {reasons}',
    'session.host.next': 'Move to the next phase: {phase}',
    'session.host.moved': 'Moved to: {phase}',
    'session.host.problems': 'The session cannot move on yet:',
    'session.host.replace_heading': 'Record a recusal or departure',
    'session.host.replace_seat': 'Seat',
    'session.host.replace_reason': 'Reason',
    'session.host.reason.recused': 'Recused',
    'session.host.reason.withdrew': 'Withdrew (e.g. illness)',
    'session.host.replace_confirm': "I confirm this member's conclusions become void and a reserve takes the seat",
    'session.host.replace_submit': 'Record and replace',
    'session.host.replace_need_confirm': 'Please tick the confirmation first.',
    'session.host.replaced': "Recorded: {label}'s seat is void.",
    'session.entropy.heading': 'Random seat assignment',
    'session.entropy.count': '{n} contribution(s) received.',
    'session.entropy.submit': 'Contribute randomness from this computer',
    'session.entropy.done': 'Randomness contributed (no. {n}).',
    'session.warn.heading': 'Post a warning',
    'session.warn.text': 'Warning (shown to everyone in the session, at most 2,000 characters)',
    'session.warn.submit': 'Post the warning',
    'session.warn.empty': 'Please write the warning.',
    'session.warn.sent': 'The warning is posted.',
    'session.warnings': 'Supervisor warnings',
    'session.log': 'Session record',
    'session.refused': 'The request was refused',
    'session.code.invalid-request': 'Invalid entry',
    'session.code.wrong-join-code': 'Wrong join code',
    'session.code.forbidden': 'Not permitted',
    'session.code.wrong-phase': 'Not possible in this phase',
    'session.code.precondition-failed': 'Not possible yet',
    'session.code.conflict': 'Already done, or out of order',
    'session.code.unavailable': 'Not possible right now; try again shortly',
    'session.ev.session_created': 'Session created: {seats} seats',
    'session.ev.contribution': 'Randomness contribution no. {position} received',
    'session.ev.presence.on': '{who} connected',
    'session.ev.presence.off': '{who} disconnected',
    'session.ev.seats_assigned': 'Seats assigned to venues at random',
    'session.ev.checked_in': '{label} checked in',
    'session.ev.declared': '{label} declared no conflict of interest',
    'session.ev.seat_vacated': "{label}'s seat is void ({reason}); its conclusions no longer count",
    'session.ev.seat_added': 'A reserve joins: {label}',
    'session.ev.chair_vacated': "The chair's seat is vacant; the election reopens",
    'session.ev.vote_cast': '{label} voted',
    'session.ev.chair_elected': '{label} elected chair ({votes} of {cast} votes)',
    'session.ev.sheet_submitted': '{label} submitted a sheet for {bidder}',
    'session.ev.sheet_recorded': 'Your sheet for {bidder} is recorded: {total} points',
    'session.ev.clarification_requested': '{label} asks {bidder} for clarification (no. {number})',
    'session.ev.clarification_decided': 'Clarification no. {number}: {state}',
    'session.ev.warning': 'Supervisor: {text}',
    'session.ev.sheets_revealed': 'All sheets revealed',
    'session.ev.report_ready': 'The draft report is ready',
    'session.ev.signed': '{label} {signature}',
    'session.ev.closed': 'The session is closed and the report signed',
    'session.ev.phase_changed': 'Phase: {from} → {to}',
    'session.ev.phase_returned': 'A seat fell vacant: back to the evaluation; the draft and its signatures are void',
    'session.who.host': 'Host',
    'session.who.supervisor': 'Supervisor',
    'session.who.operator': 'Sub-venue {venue}',
    'session.missing.assignment-entropy': 'no randomness contributed for the seat assignment yet',
    'session.missing.replacement-pending': 'a successor has not accepted their invitation yet',
    'session.missing.seats-vacant': 'some seats have no confirmed member',
    'session.missing.committee-composition': 'the committee is not composed as required (at least 5, odd, two thirds experts)',
    'session.missing.not-checked-in': 'not checked in',
    'session.missing.not-declared': 'no declaration yet',
    'session.missing.no-chair': 'no chair elected; not voted',
    'session.missing.sheets-missing': 'score sheets missing',
    'session.missing.not-signed': 'neither signed nor dissented',
  },
};

const PHASES = ['scheduled', 'check_in', 'recusal', 'chair_election', 'evaluation', 'summary', 'signing', 'closed'];
const STAFF = ['host', 'operator', 'supervisor'];
const LOG_LIMIT = 400;
const MAX_BACKOFF_MS = 15000;

const phaseName = (phase) => t(`session.phase.${phase}`);
const seatLabel = (n) => t('session.seat', { n });
const points = (centi) => (Number(centi) / 100).toFixed(2);
const atOrAfter = (phase, from) => PHASES.indexOf(phase) >= PHASES.indexOf(from);
const nextPhase = (phase) => PHASES[PHASES.indexOf(phase) + 1] || null;

// ---- The list ----

async function renderList(ctx) {
  const box = h('div', { id: 'sessions' });
  async function load() {
    const sessions = await api.get('/api/v1/sessions');
    replace(box, table([
      { label: t('session.list.session'), value: (s) => h('code', {}, s.session_id.slice(-12)) },
      { label: t('session.list.mode'), value: (s) => t(`session.mode.${s.mode}`) },
      { label: t('session.list.phase'), value: (s) => h('span', { class: `badge ${s.phase === 'closed' ? '' : 'good'}` }, phaseName(s.phase)) },
      { label: t('session.list.role'), value: (s) => `${t(`session.role.${s.your_role}`)}${s.your_seat ? ` · ${seatLabel(s.your_seat)}` : ''}` },
      { label: t('session.list.size'), value: (s) => String(s.committee_size) },
      {
        label: t('common.actions'),
        value: (s) => h('button', {
          type: 'button', class: 'primary', id: `open-${s.session_id}`,
          'aria-label': t('session.list.open_label', { id: s.session_id.slice(-12) }),
          on: { click: () => ctx.go('session/room', { id: s.session_id }) },
        }, t('session.list.open')),
      },
    ], sessions, { empty: t('session.list.none') }));
  }
  await load();
  ctx.every(15000, () => load().catch(() => { /* the next refresh tries again */ }));
  return h('div', {}, h('h1', {}, t('session.list.heading')), box);
}

// ---- The report's digest, checked here rather than trusted (PROTOCOL.md §10.4) ----

const encoder = new TextEncoder();

function compareUtf8(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** The audit log's canonical JSON: sorted keys, no whitespace, integers only. */
function canonicalJson(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('a report holds integers only');
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareUtf8);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}

// ---- The room ----

/** A refused request as the error slots show it. */
class Refusal extends Error {
  constructor(error) {
    super(error.detail || error.code);
    this.code = error.code;
    this.title = t(`session.code.${error.code}`) === `session.code.${error.code}` ? t('session.refused') : t(`session.code.${error.code}`);
    this.detail = error.detail;
    this.field = error.field;
    this.missing = error.missing;
  }
}

class Room {
  constructor(ctx, view) {
    this.ctx = ctx;
    this.id = view.session_id;
    this.view = view;
    this.role = view.your_role;
    this.mySeat = view.your_seat;
    this.phase = view.phase;
    this.bidders = view.bidders;
    this.criteria = view.criteria;
    this.chair = view.chair;
    this.contributions = view.contributions;
    this.seats = new Map();
    for (const seat of view.seats) this.seats.set(seat.seat, this.seatFrom(seat));
    this.lastSeq = 0;
    this.log = [];
    this.presence = new Map(); // who → open connections
    this.seatOnline = new Map(); // seat → open connections
    this.mySheets = new Map();
    this.summary = null;
    this.report = null; // { sha, report, verified }
    this.closed = null;
    this.clarifications = new Map();
    this.warnings = [];
    this.myVote = null;
    this.vacated = false;
    this.advanceProblem = null;
    // Connection.
    this.socket = null;
    this.synced = false;
    this.conn = 'connecting';
    this.connDetail = '';
    this.attempts = 0;
    this.timer = null;
    this.stopped = false;
    this.fatal = false;
    this.pending = new Map(); // request id → { frame, resolve, reject }
    this.prefix = `c${randomHex(6)}`;
    this.counter = 0;
    this.onOnline = () => { if (this.timer) { clearTimeout(this.timer); this.timer = null; this.connect(); } };
    this.root = h('div', { class: 'session-room' });
    this.build();
  }

  seatFrom(seat) {
    return {
      seat: seat.seat, label: seat.label, venue: seat.venue, state: seat.state,
      voidReason: seat.void_reason, confirmed: seat.confirmed, checkedIn: seat.checked_in,
      declared: seat.declared, voted: false, sheets: new Set(), signed: seat.signed, reasons: null,
    };
  }

  get isStaff() { return STAFF.includes(this.role); }
  get me() { return this.mySeat ? this.seats.get(this.mySeat) : null; }

  // -- connection --

  start() {
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    for (const { reject } of this.pending.values()) reject(new Error(t('session.conn.disconnected')));
    this.pending.clear();
  }

  async connect() {
    this.timer = null;
    if (this.stopped || this.fatal) return;
    this.setConn(this.attempts === 0 && !this.everConnected ? 'connecting' : 'reconnecting');
    let ticket;
    try {
      ticket = await api.post(`/api/v1/sessions/${encodeURIComponent(this.id)}/ticket`);
    } catch (error) {
      if (this.stopped) return;
      // Not (or no longer) a participant: retrying cannot help.
      if (error.status === 403 || error.status === 404) {
        this.end(t('session.conn.refused', { detail: error.detail || error.message }));
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const url = `wss://${location.host}${ticket.path}?ticket=${encodeURIComponent(ticket.ticket)}&after=${this.lastSeq}`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    this.synced = false;
    this.welcomed = false;
    socket.addEventListener('message', (event) => { if (socket === this.socket) this.onFrame(socket, event.data); });
    socket.addEventListener('close', () => { if (socket === this.socket) this.onClose(); });
  }

  retry() {
    if (this.stopped || this.fatal) return;
    this.attempts += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempts - 1, 4));
    this.setConn('reconnecting');
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  onClose() {
    this.socket = null;
    this.synced = false;
    this.welcomed = false;
    if (this.stopped || this.fatal) return;
    this.retry();
  }

  end(detail) {
    this.fatal = true;
    this.connDetail = detail;
    this.setConn('disconnected');
    for (const { reject } of this.pending.values()) reject(new Error(detail));
    this.pending.clear();
    this.render();
  }

  onFrame(socket, text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'welcome':
        this.phase = frame.phase;
        this.role = frame.role;
        if (frame.seat) this.mySeat = frame.seat;
        this.welcomed = true;
        // Whatever had no reply on the last connection goes again, with its id (§6).
        for (const { frame: request } of this.pending.values()) socket.send(request);
        break;
      case 'event':
        if (typeof frame.seq !== 'number' || frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.apply(frame, this.synced);
        if (this.synced) {
          this.prependLog(frame);
          this.render();
        }
        break;
      case 'synced':
        this.synced = true;
        this.attempts = 0;
        this.everConnected = true;
        this.setConn('connected');
        this.drawLog();
        this.render();
        this.refreshView();
        break;
      case 'reply': {
        const waiting = this.pending.get(frame.id);
        if (!waiting) return;
        this.pending.delete(frame.id);
        if (frame.ok) waiting.resolve(frame.result);
        else waiting.reject(new Refusal(frame.error || {}));
        break;
      }
      case 'error':
        if (frame.code === 'seat-vacated') {
          this.vacated = true;
          this.end(t('session.conn.vacated'));
        }
        break;
      default:
        // Later minor versions may add frames: ignored (§4).
    }
  }

  /** The session view says what events do not: whether a successor has accepted. */
  async refreshView() {
    try {
      const view = await api.get(`/api/v1/sessions/${encodeURIComponent(this.id)}`);
      for (const seat of view.seats) {
        const known = this.seats.get(seat.seat);
        if (known) known.confirmed = seat.confirmed;
        else this.seats.set(seat.seat, this.seatFrom(seat));
      }
      this.render();
    } catch {
      // The room works on events alone; the view only adds the confirmations.
    }
  }

  /** Sends a request; resolves with its result, rejects with a Refusal. */
  send(type, fields = {}) {
    if (this.fatal) return Promise.reject(new Error(this.connDetail));
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const frame = JSON.stringify({ v: 1, id, type, ...fields });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
      if (this.socket && this.welcomed && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
      // Otherwise the welcome of the next connection sends it.
    });
  }

  setConn(state) {
    this.conn = state;
    const node = this.root.querySelector('#connection-state');
    if (!node) return;
    node.dataset.state = state;
    node.className = `badge ${{ connected: 'good', reconnecting: 'warn', connecting: 'warn', disconnected: 'bad' }[state]}`;
    node.textContent = t(`session.conn.${state}`);
    const detail = this.root.querySelector('#connection-detail');
    if (detail) detail.textContent = state === 'disconnected' ? this.connDetail : '';
  }

  // -- events --

  seat(n) {
    if (!this.seats.has(n)) {
      this.seats.set(n, this.seatFrom({ seat: n, label: `Expert ${n}`, venue: null, state: 'active', confirmed: true }));
    }
    return this.seats.get(n);
  }

  apply(event, live) {
    const data = event.data || {};
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    switch (event.kind) {
      case 'contribution':
        this.contributions = Math.max(this.contributions || 0, data.position || 0);
        break;
      case 'presence': {
        const change = data.connected ? 1 : -1;
        const known = this.presence.get(data.who) || { count: 0, data };
        this.presence.set(data.who, { count: Math.max(0, known.count + change), data });
        if (data.seat) this.seatOnline.set(data.seat, Math.max(0, (this.seatOnline.get(data.seat) || 0) + change));
        break;
      }
      case 'seats_assigned':
        for (const { seat, venue } of data.seats || []) this.seat(seat).venue = venue;
        break;
      case 'checked_in': {
        const seat = this.seat(data.seat);
        seat.checkedIn = true;
        seat.confirmed = true;
        if (data.venue !== undefined) seat.venue = data.venue;
        break;
      }
      case 'declared':
        this.seat(data.seat).declared = true;
        break;
      case 'seat_vacated': {
        const seat = this.seat(data.seat);
        seat.state = 'void';
        seat.voidReason = data.reason;
        seat.sheets.clear();
        seat.signed = null;
        if (this.chair === data.seat) this.chair = null;
        if (data.seat === this.mySeat) this.vacated = true;
        break;
      }
      case 'seat_added':
        this.seats.set(data.seat, this.seatFrom({ seat: data.seat, label: data.label, venue: data.venue, state: 'active', confirmed: false }));
        break;
      case 'chair_vacated':
        this.chair = null;
        break;
      case 'vote_cast':
        this.seat(data.seat).voted = true;
        break;
      case 'chair_elected':
        this.chair = data.seat;
        break;
      case 'sheet_submitted':
        this.seat(data.seat).sheets.add(data.bidder);
        break;
      case 'sheet_recorded':
        if (data.sheet) this.mySheets.set(data.sheet.bidder, data.sheet);
        break;
      case 'clarification_requested':
        this.clarifications.set(data.number, { ...data, state: 'pending' });
        break;
      case 'clarification_decided':
        this.clarifications.set(data.number, { ...data });
        break;
      case 'warning':
        this.warnings.push({ seq: event.seq, at: event.at, text: data.text });
        if (live) toast(t('session.ev.warning', { text: data.text }), 'bad');
        break;
      case 'sheets_revealed':
        this.summary = data.bidders || [];
        break;
      case 'report_ready':
        for (const seat of this.seats.values()) { seat.signed = null; seat.reasons = null; }
        this.report = { sha: data.report_sha256, report: data.report, verified: null };
        this.verifyReport(this.report);
        break;
      case 'signed': {
        const seat = this.seat(data.seat);
        seat.signed = data.signature;
        seat.reasons = data.reasons;
        break;
      }
      case 'closed':
        this.closed = data;
        break;
      case 'phase_changed':
        this.phase = data.to;
        this.advanceProblem = null;
        if (data.reason) {
          // A vacancy in summary or signing: the draft and every signature are void.
          this.summary = null;
          this.report = null;
          for (const seat of this.seats.values()) { seat.signed = null; seat.reasons = null; }
        }
        if (live) toast(t('session.host.moved', { phase: phaseName(data.to) }));
        break;
      default:
        // Unknown kinds are ignored (§4).
    }
  }

  async verifyReport(report) {
    try {
      report.verified = hex(await sha256(encoder.encode(canonicalJson(report.report)))) === report.sha;
    } catch {
      report.verified = false;
    }
    if (this.synced) this.render();
  }

  describe(event) {
    const d = event.data || {};
    const label = d.seat ? seatLabel(d.seat) : '';
    const kind = event.kind;
    switch (kind) {
      case 'presence':
        return t(d.connected ? 'session.ev.presence.on' : 'session.ev.presence.off', { who: whoLabel(d) });
      case 'seat_vacated':
        return t('session.ev.seat_vacated', { label, reason: t(`session.void.${d.reason}`) });
      case 'seat_added':
        return t('session.ev.seat_added', { label: seatLabel(d.seat) });
      case 'chair_elected':
        return t('session.ev.chair_elected', { label, votes: d.votes, cast: d.cast });
      case 'sheet_recorded':
        return t('session.ev.sheet_recorded', { bidder: d.sheet?.bidder, total: points(d.sheet?.total_centi) });
      case 'clarification_decided':
        return t('session.ev.clarification_decided', { number: d.number, state: t(`session.clar.${d.state}`) });
      case 'signed':
        return t('session.ev.signed', { label, signature: t(`session.signed.${d.signature}`) });
      case 'phase_changed':
        if (d.reason) return t('session.ev.phase_returned');
        return t('session.ev.phase_changed', { from: phaseName(d.from), to: phaseName(d.to) });
      default: {
        const key = `session.ev.${kind}`;
        const text = t(key, { ...d, label });
        return text === key ? kind : text;
      }
    }
  }

  // -- drawing --

  /** The whole room, anew (first draw and a language switch). Typed values are kept. */
  build() {
    const kept = snapshot(this.root);
    this.regions = [];
    const region = (id, key, draw) => {
      const node = h('div', { id: id ? `${id}-region` : null });
      this.regions.push({ node, key, draw, last: null });
      return node;
    };
    this.logNode = h('ol', { id: 'event-log', class: 'event-log' });
    replace(this.root,
      h('h1', {}, t('session.room.heading'), ' ', h('code', { class: 'muted' }, this.id.slice(-12))),
      h('section', { class: 'card session-status' },
        h('dl', { class: 'facts inline-facts' },
          h('dt', {}, t('session.room.phase')),
          h('dd', {}, region(null, () => [this.phase], () => h('strong', { id: 'phase', 'data-phase': this.phase }, phaseName(this.phase)))),
          h('dt', {}, this.mySeat ? t('session.room.you') : t('session.room.you_staff')),
          h('dd', { id: 'own-seat' }, this.mySeat ? seatLabel(this.mySeat) : t(`session.role.${this.role}`)),
          h('dt', {}, t('session.room.chair')),
          h('dd', {}, region(null, () => [this.chair], () => h('span', { id: 'chair' }, this.chair ? seatLabel(this.chair) : t('session.room.no_chair')))),
          h('dt', {}, t('session.room.connection')),
          h('dd', {},
            h('span', { id: 'connection-state', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' }),
            ' ', h('span', { id: 'connection-detail', class: 'muted' }))),
        region('warnings', () => this.warnings.map((w) => w.seq), () => this.drawWarnings())),
      h('div', { class: 'columns session-columns' },
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'actions-heading' },
            h('h2', { id: 'actions-heading' }, t('session.actions')),
            region('actions', () => this.actionsKey(), () => this.drawActions()))),
        h('div', {},
          h('section', { class: 'card' }, h('h2', {}, t('session.committee')),
            region('committee', () => this.committeeKey(), () => this.drawCommittee())),
          region('clarifications', () => [this.role, this.phase, [...this.clarifications.values()]], () => this.drawClarifications()))),
      region('summary', () => [this.summary ? this.summary.length : null, this.phase], () => this.drawSummary()),
      region('report', () => [this.report?.sha, this.report?.verified, this.closed?.report_sha256], () => this.drawReport()),
      h('section', { class: 'card' }, h('h2', { id: 'log-heading' }, t('session.log')),
        h('div', { class: 'event-log-box', tabindex: '0', role: 'region', 'aria-labelledby': 'log-heading' }, this.logNode)));
    this.setConn(this.conn);
    this.render(true);
    this.drawLog();
    restore(this.root, kept);
  }

  render(force = false) {
    if (!this.regions) return;
    for (const r of this.regions) {
      const key = JSON.stringify(r.key());
      if (!force && key === r.last) continue;
      r.last = key;
      const kept = snapshot(r.node);
      replace(r.node, r.draw());
      restore(r.node, kept);
    }
  }

  drawLog() {
    const items = this.log.slice().reverse().map((event) => this.logItem(event));
    replace(this.logNode, items);
  }

  logItem(event) {
    return h('li', { 'data-seq': event.seq, 'data-kind': event.kind },
      h('span', { class: 'muted mono' }, `#${event.seq} ${formatTime(event.at).slice(-8)} `), this.describe(event));
  }

  prependLog(event) {
    this.logNode.insertBefore(this.logItem(event), this.logNode.firstChild);
    while (this.logNode.childElementCount > LOG_LIMIT) this.logNode.lastElementChild.remove();
  }

  drawWarnings() {
    if (!this.warnings.length) return null;
    return h('div', { class: 'warning', id: 'warnings', role: 'region', 'aria-label': t('session.warnings') },
      h('strong', {}, t('session.warnings')),
      h('ul', {}, this.warnings.slice().reverse().map((w) => h('li', { 'data-seq': w.seq }, h('span', { class: 'mono' }, formatTime(w.at).slice(-8)), ' ', w.text))));
  }

  committeeKey() {
    return [this.role, this.mySeat, this.chair, this.phase,
      [...this.seats.values()].map((s) => [s.seat, s.venue, s.state, s.voidReason, s.confirmed, s.checkedIn, s.declared, s.voted, s.sheets.size, s.signed]),
      this.isStaff ? [...this.seatOnline.entries(), ...[...this.presence.values()].map((p) => p.count)] : null];
  }

  venueName(venue) {
    if (venue === null || venue === undefined) return '—';
    return this.view.venues.find((v) => v.venue === venue)?.name || String(venue);
  }

  drawCommittee() {
    const yes = (value) => (value ? h('span', { class: 'badge good' }, t('session.yes')) : h('span', { class: 'muted' }, '—'));
    const columns = [
      { label: t('session.col.seat'), value: (s) => [h('strong', {}, seatLabel(s.seat)), s.seat === this.mySeat ? t('session.mine') : '', s.seat === this.chair ? [' ', h('span', { class: 'badge good' }, t('session.chair_mark'))] : ''] },
    ];
    if (this.view.mode === 'cross_site') columns.push({ label: t('session.col.venue'), value: (s) => this.venueName(s.venue) });
    columns.push(
      {
        label: t('session.col.state'),
        value: (s) => (s.state === 'void'
          ? h('span', { class: 'badge bad' }, `${t('session.state.void')}${s.voidReason ? `（${t(`session.void.${s.voidReason}`)}）` : ''}`)
          : s.confirmed ? t('session.state.active') : h('span', { class: 'badge warn' }, t('session.state.pending'))),
      },
      { label: t('session.col.checked_in'), value: (s) => yes(s.checkedIn) },
      { label: t('session.col.declared'), value: (s) => yes(s.declared) },
      { label: t('session.col.voted'), value: (s) => yes(s.voted) },
      { label: t('session.col.sheets'), value: (s) => `${s.sheets.size}/${this.bidders.length}` },
      { label: t('session.col.signed'), value: (s) => (s.signed ? h('span', { class: `badge ${s.signed === 'agree' ? 'good' : 'warn'}` }, t(`session.signed.${s.signed}`)) : '—') },
    );
    if (this.isStaff) {
      columns.push({
        label: t('session.col.connected'),
        value: (s) => ((this.seatOnline.get(s.seat) || 0) > 0
          ? h('span', { class: 'badge good' }, t('session.online'))
          : h('span', { class: 'muted' }, t('session.offline'))),
      });
    }
    const rows = [...this.seats.values()].sort((a, b) => a.seat - b.seat);
    const node = h('table', { id: 'committee', class: 'compact' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', {}, rows.map((s) => h('tr', {
        id: `seat-${s.seat}`, 'data-state': s.state,
        'data-connected': this.isStaff ? String((this.seatOnline.get(s.seat) || 0) > 0) : null,
        class: s.seat === this.mySeat ? 'mine' : null,
      }, columns.map((c) => h('td', {}, c.value(s)))))));
    const staff = this.isStaff
      ? [...this.presence.values()].filter((p) => p.count > 0 && !p.data.seat)
      : [];
    return [h('div', { class: 'table-scroll' }, node), staff.length
      ? h('p', { class: 'muted', id: 'staff-connections' }, `${t('session.staff_connections')}: `,
        staff.map((p) => whoLabel(p.data)).join('、'))
      : null];
  }

  drawClarifications() {
    const list = [...this.clarifications.values()].sort((a, b) => a.number - b.number);
    if (!list.length) return null;
    const deciding = this.role === 'supervisor' && this.phase === 'evaluation';
    return h('section', { class: 'card', id: 'clarifications' },
      h('h2', {}, t('session.clarifications')),
      h('ul', { class: 'plain' }, list.map((c) => {
        const slot = errorSlot();
        const decide = (approve) => action(
          t(approve ? 'session.clar.approve' : 'session.clar.refuse', { n: c.number }),
          async () => { await this.send('decide_clarification', { number: c.number, approve }); },
          { slot, id: `clarification-${c.number}-${approve ? 'approve' : 'refuse'}`, kind: approve ? 'primary' : 'danger' },
        );
        return h('li', { id: `clarification-${c.number}`, 'data-state': c.state },
          h('span', { class: `badge ${c.state === 'approved' ? 'good' : c.state === 'refused' ? 'bad' : 'warn'}` }, t(`session.clar.${c.state}`)), ' ',
          t('session.clar.line', { n: c.number, label: seatLabel(c.seat), bidder: c.bidder, question: c.question }),
          deciding && c.state === 'pending' ? h('div', { class: 'buttons' }, decide(true), decide(false)) : null,
          slot.node);
      })));
  }

  drawSummary() {
    if (!this.summary || !atOrAfter(this.phase, 'summary')) return null;
    const criteria = this.criteria.map((c) => c.name);
    return h('section', { class: 'card', id: 'summary' },
      h('h2', {}, t('session.summary.heading')),
      h('p', { class: 'muted' }, t('session.summary.deviation_note', { p: this.view.deviation_percent })),
      this.summary.map((bidder) => h('div', { class: 'summary-bidder' },
        h('h3', {}, bidder.bidder, ' — ', t('session.summary.median', { median: points(bidder.median_total_centi) })),
        h('div', { class: 'table-scroll' }, h('table', {},
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('session.col.seat')),
            criteria.map((name) => h('th', { scope: 'col' }, name)),
            h('th', { scope: 'col' }, t('session.summary.total')),
            h('th', { scope: 'col' }, t('session.summary.comment')))),
          h('tbody', {}, (bidder.sheets || []).map((sheet) => h('tr', { class: sheet.deviates ? 'deviates' : null, 'data-deviates': String(Boolean(sheet.deviates)) },
            h('th', { scope: 'row' }, seatLabel(sheet.seat)),
            criteria.map((name) => h('td', { class: 'num' }, points(sheet.scores_centi?.[name] ?? 0))),
            h('td', { class: 'num' }, h('strong', {}, points(sheet.total_centi)), sheet.deviates ? [' ', h('span', { class: 'badge bad' }, t('session.summary.deviates'))] : null),
            h('td', {}, sheet.comment || '')))))))));
  }

  drawReport() {
    if (!this.report && !this.closed) return null;
    const parts = [h('h2', {}, t('session.report.heading'))];
    if (this.report) {
      const verified = this.report.verified;
      parts.push(h('dl', { class: 'facts' },
        h('dt', {}, t('session.report.sha')),
        h('dd', {}, h('code', { id: 'report-sha256' }, this.report.sha))),
      h('p', {
        id: 'report-verified', 'data-verified': verified === null ? null : String(verified),
        class: verified === null ? 'muted' : verified ? 'ok' : 'error',
      }, verified === null ? t('session.report.checking') : verified ? t('session.report.verified') : t('session.report.mismatch')));
    }
    if (this.closed) {
      parts.push(h('dl', { class: 'facts' },
        h('dt', {}, t('session.report.final')),
        h('dd', {}, h('code', { id: 'final-report-sha256' }, this.closed.report_sha256))));
    }
    return h('section', { class: 'card', id: 'report' }, parts);
  }

  actionsKey() {
    const me = this.me;
    return [this.role, this.phase, this.vacated, this.chair, this.myVote, this.contributions,
      me ? [me.checkedIn, me.declared, me.voted, me.signed, me.state] : null,
      [...this.mySheets.values()].map((s) => [s.bidder, s.total_centi]),
      [...this.seats.values()].map((s) => [s.seat, s.state, s.confirmed]),
      this.report?.sha, this.report?.verified, this.advanceProblem?.detail, this.fatal];
  }

  drawActions() {
    if (this.role === 'expert') return this.expertActions();
    const parts = [];
    if (this.phase === 'scheduled' && this.view.assignment === 'random' && (this.role === 'host' || this.role === 'supervisor')) {
      parts.push(this.entropyPanel());
    }
    if (this.role === 'host') parts.push(...this.hostActions());
    if (this.role === 'supervisor' && this.phase !== 'closed') parts.push(this.warnPanel());
    if (this.phase === 'closed') parts.push(h('p', { class: 'ok' }, t('session.closed_note')));
    if (!parts.length) parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
    return parts;
  }

  entropyPanel() {
    const slot = errorSlot();
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.entropy.heading')),
      h('p', {}, t('session.entropy.count', { n: this.contributions || 0 })),
      action(t('session.entropy.submit'), async () => {
        const result = await api.post(`/api/v1/sessions/${encodeURIComponent(this.id)}/entropy`, { entropy: randomHex(32) });
        toast(t('session.entropy.done', { n: result.position }));
      }, { slot, id: 'contribute-entropy', kind: 'secondary' }),
      slot.node);
  }

  hostActions() {
    const parts = [];
    const next = nextPhase(this.phase);
    if (next) {
      const slot = errorSlot();
      const problems = h('div', { id: 'advance-problems' });
      if (this.advanceProblem) replace(problems, this.problemList(this.advanceProblem));
      parts.push(h('div', { class: 'panel' },
        action(t('session.host.next', { phase: phaseName(next) }), async () => {
          this.advanceProblem = null;
          replace(problems);
          try {
            await this.send('advance', { to: next });
          } catch (error) {
            if (error.code === 'precondition-failed') {
              this.advanceProblem = error;
              replace(problems, this.problemList(error));
              return;
            }
            throw error;
          }
        }, { slot, id: 'next-phase', attrs: { 'data-to': next } }),
        problems, slot.node));
    }
    if (atOrAfter(this.phase, 'check_in') && this.phase !== 'closed') {
      const active = [...this.seats.values()].filter((s) => s.state === 'active');
      const slot = errorSlot();
      const seat = h('select', { id: 'replace-seat' }, active.map((s) => h('option', { value: s.seat }, seatLabel(s.seat))));
      const reason = h('select', { id: 'replace-reason' },
        ['withdrew', 'recused'].map((r) => h('option', { value: r }, t(`session.host.reason.${r}`))));
      const confirm = h('input', { type: 'checkbox', id: 'replace-confirm' });
      parts.push(h('details', { class: 'panel' },
        h('summary', {}, t('session.host.replace_heading')),
        h('div', { class: 'inline' }, field(t('session.host.replace_seat'), seat), field(t('session.host.replace_reason'), reason)),
        h('label', { class: 'check' }, confirm, ' ', t('session.host.replace_confirm')),
        h('div', { class: 'buttons' }, action(t('session.host.replace_submit'), async () => {
          if (!confirm.checked) throw new Error(t('session.host.replace_need_confirm'));
          const n = Number(seat.value);
          await this.send('replace', { seat: n, reason: reason.value });
          confirm.checked = false;
          toast(t('session.host.replaced', { label: seatLabel(n) }));
        }, { slot, id: 'replace-submit', kind: 'danger' })),
        slot.node));
    }
    return parts;
  }

  problemList(error) {
    const missing = Array.isArray(error.missing) ? error.missing : [];
    return h('div', { class: 'error', role: 'alert' },
      h('strong', {}, t('session.host.problems')),
      missing.length
        ? h('ul', {}, missing.map((m) => {
          const key = `session.missing.${m.code}`;
          const text = t(key) === key ? m.detail : t(key);
          return h('li', { 'data-code': m.code }, text, m.seats && m.seats.length ? `：${m.seats.map(seatLabel).join('、')}` : '');
        }))
        : h('p', {}, error.detail));
  }

  warnPanel() {
    const slot = errorSlot();
    const text = h('textarea', { id: 'warn-text', maxlength: 2000, rows: 3 });
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.warn.heading')),
      field(t('session.warn.text'), text),
      action(t('session.warn.submit'), async () => {
        const value = text.value.trim();
        markInvalid(text, value ? null : t('session.warn.empty'));
        if (!value) return;
        await this.send('warn', { text: value });
        text.value = '';
        toast(t('session.warn.sent'));
      }, { slot, id: 'warn-submit' }),
      slot.node);
  }

  expertActions() {
    const me = this.me;
    if (this.vacated || (me && me.state === 'void')) return h('p', { class: 'error' }, t('session.vacated'));
    if (this.phase === 'closed') return h('p', { class: 'ok' }, t('session.closed_note'));
    if (this.phase === 'scheduled') return h('p', { class: 'muted' }, t('session.wait.scheduled'));
    if (!me) return h('p', { class: 'muted' }, t('session.wait.generic'));
    if (!me.checkedIn) return this.checkInPanel();
    const parts = [h('p', { class: 'ok' }, t('session.checkin.done'))];
    if (this.phase === 'check_in') {
      parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
      return parts;
    }
    if (!me.declared) {
      parts.push(this.declarePanel());
      return parts;
    }
    parts.push(h('p', { class: 'ok' }, t('session.declare.done')));
    if (this.phase === 'recusal') parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
    if (this.phase === 'chair_election' || this.phase === 'evaluation') parts.push(this.votePanel());
    if (this.phase === 'evaluation') parts.push(this.sheetsPanel(), this.clarifyPanel());
    if (this.phase === 'summary') parts.push(h('p', { class: 'muted' }, t('session.wait.summary')));
    if (this.phase === 'signing') parts.push(this.signPanel());
    return parts;
  }

  checkInPanel() {
    const slot = errorSlot();
    const code = h('input', { id: 'join-code', autocomplete: 'off', spellcheck: 'false', maxlength: 32, class: 'mono', inputmode: 'latin' });
    return h('form', { class: 'panel', novalidate: true },
      h('h3', {}, t('session.checkin.heading')),
      field(t('session.checkin.code'), code, t('session.checkin.hint')),
      action(t('session.checkin.submit'), async () => {
        const value = code.value.trim().toLowerCase();
        const valid = /^[0-9a-f]{10}$/.test(value);
        markInvalid(code, valid ? null : t('session.checkin.invalid'));
        if (!valid) { code.focus(); return; }
        try {
          await this.send('check_in', { join_code: value });
        } catch (error) {
          if (error.code === 'wrong-join-code') markInvalid(code, error.title);
          throw error;
        }
        code.value = '';
      }, { slot, id: 'check-in', type: 'submit' }),
      slot.node);
  }

  declarePanel() {
    const slot = errorSlot();
    const confirm = h('input', { type: 'checkbox', id: 'declare-conflict-confirm' });
    const conflict = action(t('session.declare.conflict'), async () => {
      if (!confirm.checked) return;
      await this.send('declare', { conflict: true });
    }, { slot, id: 'declare-conflict', kind: 'danger' });
    conflict.disabled = true;
    confirm.addEventListener('change', () => { conflict.disabled = !confirm.checked; });
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.declare.heading')),
      h('p', {}, t('session.declare.text')),
      h('div', { class: 'buttons' }, action(t('session.declare.none'), async () => {
        await this.send('declare', { conflict: false });
      }, { slot, id: 'declare-none' })),
      h('fieldset', { class: 'decline' },
        h('legend', {}, t('session.declare.conflict')),
        h('label', { class: 'check' }, confirm, ' ', t('session.declare.conflict_confirm')),
        h('p', { class: 'hint' }, t('session.declare.conflict_note')),
        conflict),
      slot.node);
  }

  votePanel() {
    if (this.chair) return h('p', { class: 'ok', id: 'vote-result' }, t('session.vote.elected', { label: seatLabel(this.chair) }));
    const slot = errorSlot();
    const candidates = [...this.seats.values()].filter((s) => s.state === 'active' && s.confirmed).sort((a, b) => a.seat - b.seat);
    const select = h('select', { id: 'vote-seat' },
      h('option', { value: '' }, t('expert.inv.reason.choose')),
      candidates.map((s) => h('option', { value: s.seat, selected: this.myVote === s.seat }, `${seatLabel(s.seat)}${s.seat === this.mySeat ? t('session.mine') : ''}`)));
    const status = this.myVote
      ? h('p', { class: 'ok' }, t('session.vote.yours', { label: seatLabel(this.myVote) }))
      : this.me?.voted ? h('p', { class: 'ok' }, t('session.vote.voted')) : null;
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.vote.heading')),
      status,
      h('div', { class: 'inline' }, field(t('session.vote.seat'), select),
        action(t('session.vote.submit'), async () => {
          const seat = Number(select.value);
          markInvalid(select, seat ? null : t('session.vote.choose'));
          if (!seat) return;
          await this.send('vote', { seat });
          this.myVote = seat;
          this.render();
        }, { slot, id: 'vote-submit' })),
      slot.node);
  }

  sheetsPanel() {
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.score.heading')),
      this.bidders.map((bidder, b) => {
        const recorded = this.mySheets.get(bidder);
        const slot = errorSlot();
        const inputs = this.criteria.map((criterion, c) => h('input', {
          id: `score-${b}-${c}`, inputmode: 'decimal', autocomplete: 'off', class: 'score',
          value: recorded ? points(recorded.scores_centi?.[criterion.name] ?? 0) : '',
        }));
        const comment = h('textarea', { id: `comment-${b}`, rows: 2, maxlength: 2000, value: recorded?.comment || '' });
        return h('fieldset', { class: 'sheet', id: `sheet-${b}` },
          h('legend', {}, bidder),
          h('div', { class: 'inline' }, this.criteria.map((criterion, c) => field(t('session.score.range', { name: criterion.name, max: criterion.max_points }), inputs[c]))),
          field(t('session.score.comment'), comment),
          h('div', { class: 'buttons' },
            action(t(recorded ? 'session.score.resubmit' : 'session.score.submit', { bidder }), async () => {
              const scores = {};
              let valid = true;
              this.criteria.forEach((criterion, c) => {
                const value = parseScore(inputs[c].value, criterion.max_points);
                markInvalid(inputs[c], value === null ? t('session.score.invalid', { max: criterion.max_points }) : null);
                if (value === null) valid = false;
                else scores[criterion.name] = value;
              });
              const text = comment.value.trim();
              const tooLong = Array.from(text).length > 2000;
              markInvalid(comment, tooLong ? t('session.score.comment_long') : null);
              if (!valid || tooLong) {
                slot.show({ title: t('common.error'), detail: t('session.score.fix') });
                return;
              }
              const request = { bidder, scores };
              if (text) request.comment = text;
              try {
                await this.send('submit_sheet', request);
              } catch (error) {
                const at = String(error.field || '').match(/^scores\.(.+)$/);
                const index = at ? this.criteria.findIndex((c) => c.name === at[1]) : -1;
                if (index >= 0) markInvalid(inputs[index], error.detail);
                if (error.field === 'comment') markInvalid(comment, error.detail);
                throw error;
              }
              toast(t('session.score.sent'));
            }, { slot, id: `sheet-submit-${b}` }),
            h('span', { id: `sheet-status-${b}`, class: recorded ? 'badge good' : 'muted', 'data-recorded': recorded ? 'true' : 'false' },
              recorded ? t('session.score.recorded', { total: points(recorded.total_centi) }) : t('session.score.not_yet'))),
          slot.node);
      }));
  }

  clarifyPanel() {
    const slot = errorSlot();
    const bidder = h('select', { id: 'clarify-bidder' }, this.bidders.map((b) => h('option', { value: b }, b)));
    const question = h('textarea', { id: 'clarify-question', rows: 2, maxlength: 2000 });
    return h('details', { class: 'panel', id: 'clarify-panel' },
      h('summary', {}, t('session.clarify.heading')),
      field(t('session.clarify.bidder'), bidder),
      field(t('session.clarify.question'), question),
      action(t('session.clarify.submit'), async () => {
        const text = question.value.trim();
        markInvalid(question, text ? null : t('session.clarify.empty'));
        if (!text) return;
        await this.send('request_clarification', { bidder: bidder.value, question: text });
        question.value = '';
        toast(t('session.clarify.sent'));
      }, { slot, id: 'clarify-submit' }),
      slot.node);
  }

  signPanel() {
    const me = this.me;
    if (me.signed) {
      return h('p', { class: 'ok', id: 'my-signature', 'data-signature': me.signed },
        me.signed === 'agree' ? t('session.sign.done.agree') : t('session.sign.done.dissent', { reasons: me.reasons || '' }));
    }
    if (!this.report) return h('p', { class: 'muted' }, t('session.report.checking'));
    const slot = errorSlot();
    const verified = this.report.verified === true;
    const sha = this.report.sha;
    const reasons = h('textarea', { id: 'dissent-reasons', rows: 3, maxlength: 2000 });
    const sign = action(t('session.sign.agree'), async () => {
      await this.send('sign', { report_sha256: sha, agree: true });
    }, { slot, id: 'sign-report' });
    const dissent = action(t('session.sign.dissent'), async () => {
      const text = reasons.value.trim();
      const length = Array.from(text).length;
      const ok = length >= 10 && length <= 2000;
      markInvalid(reasons, ok ? null : t('session.sign.reasons_short'));
      if (!ok) { reasons.focus(); return; }
      try {
        await this.send('sign', { report_sha256: sha, agree: false, reasons: text });
      } catch (error) {
        if (error.field === 'reasons') markInvalid(reasons, error.detail);
        throw error;
      }
    }, { slot, id: 'dissent-submit', kind: 'danger' });
    // Only a report this computer has matched to its digest is signed.
    sign.disabled = !verified;
    dissent.disabled = !verified;
    return h('div', { class: 'panel' },
      h('h3', {}, t('session.sign.heading')),
      h('p', {}, t('session.report.sha'), ': ', h('code', {}, sha)),
      h('p', { class: verified ? 'ok' : 'error' }, verified ? t('session.report.verified') : t('session.report.mismatch')),
      h('div', { class: 'buttons' }, sign),
      h('fieldset', { class: 'decline' },
        h('legend', {}, t('session.sign.dissent_heading')),
        field(t('session.sign.reasons'), reasons),
        dissent),
      slot.node);
  }
}

/** Who a presence event is about, in the reader's language. */
function whoLabel(data) {
  if (data.seat) return seatLabel(data.seat);
  if (data.role === 'host') return t('session.who.host');
  if (data.role === 'supervisor') return t('session.who.supervisor');
  if (data.role === 'operator') return t('session.who.operator', { venue: (String(data.who).match(/[0-9]+/) || [''])[0] });
  return String(data.who);
}

/** A score as the protocol takes it: 0 to max with at most two decimals, else null. */
export function parseScore(text, max) {
  const value = String(text).trim();
  if (!/^[0-9]{1,4}(\.[0-9]{1,2})?$/.test(value)) return null;
  const number = Number(value);
  return number >= 0 && number <= max ? number : null;
}

/** What the user has typed or ticked, and where the focus is, by element id. */
function snapshot(node) {
  const values = new Map();
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    values.set(control.id, { value: control.value, checked: control.checked });
  }
  for (const details of node.querySelectorAll('details')) {
    if (details.open) values.set(`open:${details.querySelector('summary')?.textContent}`, true);
  }
  const active = document.activeElement;
  let focus = null;
  if (active && active.id && node.contains(active)) {
    focus = { id: active.id };
    try { focus.start = active.selectionStart; focus.end = active.selectionEnd; } catch { /* not a text control */ }
  }
  return { values, focus };
}

function restore(node, { values, focus }) {
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    const kept = values.get(control.id);
    if (!kept) continue;
    if (control.type === 'checkbox') control.checked = kept.checked;
    else if (kept.value !== '' || control.tagName === 'SELECT') {
      if (control.tagName !== 'SELECT' || [...control.options].some((o) => o.value === kept.value)) control.value = kept.value;
    }
  }
  for (const details of node.querySelectorAll('details')) {
    if (values.get(`open:${details.querySelector('summary')?.textContent}`)) details.open = true;
  }
  if (focus) {
    const target = node.querySelector(`#${CSS.escape(focus.id)}`);
    if (target) {
      target.focus();
      try { if (focus.start !== undefined && focus.start !== null) target.setSelectionRange(focus.start, focus.end); } catch { /* not a text control */ }
    }
  }
}

async function renderRoom(ctx) {
  const id = ctx.params.id;
  if (!id) {
    ctx.go('session/list');
    return h('p', {}, t('app.loading'));
  }
  const view = await api.get(`/api/v1/sessions/${encodeURIComponent(id)}`);
  const room = new Room(ctx, view);
  room.start();
  ctx.onLeave(() => room.stop());
  ctx.relabel = () => room.build();
  return room.root;
}

export const views = {
  'session/list': {
    roles: ['expert', 'center', 'supervisor'],
    nav: 'session.nav.list',
    render: renderList,
  },
  'session/room': {
    roles: ['expert', 'center', 'supervisor'],
    render: renderRoom,
  },
};
