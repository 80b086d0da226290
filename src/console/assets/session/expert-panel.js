// The session room's actions for an expert, phase by phase: check in with the join code,
// declare no conflict (or recuse), vote for the chair, fill a score sheet per bidder (each
// score checked against its criterion's maximum before sending), ask for a clarification, and
// sign the report, but only once this browser has matched it to its digest, or dissent with
// reasons, either signed with this device's signing key when it has one (signing-key.js).

import { h, field, errorSlot, action, toast, markInvalid, confirmAct } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { seatLabel, points } from './labels.js';
import { rejectedBidders } from './state.js';
import { reportDocument } from './report-view.js';
import * as api from '../api.js';
import { deviceKey, signDecision } from '../signing-key.js';

/** 实施条例 §51's grounds, in the statute's order (docs/PROTOCOL.md §3.2). */
export const REJECTION_GROUNDS = ['unsigned_unsealed', 'no_joint_agreement', 'not_qualified', 'multiple_bids',
  'price_out_of_bounds', 'not_responsive', 'unlawful_conduct'];

export function expertPanel(room) {
  const { state } = room;
  const me = state.mySeat ? state.seats.get(state.mySeat) : null;
  if (state.vacated || (me && me.state === 'void')) return h('p', { class: 'error' }, t('session.vacated'));
  if (state.phase === 'closed') return h('p', { class: 'ok' }, t('session.closed_note'));
  if (state.phase === 'scheduled') return h('p', { class: 'muted' }, t('session.wait.scheduled'));
  if (!me) return h('p', { class: 'muted' }, t('session.wait.generic'));
  if (!me.checkedIn) return checkInPanel(room);
  const parts = [h('p', { class: 'ok' }, t('session.checkin.done'))];
  if (state.phase === 'check_in') {
    parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
    return parts;
  }
  if (!me.declared) {
    parts.push(declarePanel(room));
    return parts;
  }
  parts.push(h('p', { class: 'ok' }, t('session.declare.done')));
  if (state.phase === 'recusal') parts.push(h('p', { class: 'muted' }, t('session.wait.generic')));
  if (state.phase === 'chair_election' || state.phase === 'evaluation') parts.push(votePanel(room, me));
  if (state.phase === 'evaluation') parts.push(rejectionPanel(room), sheetsPanel(room), clarifyPanel(room));
  if (state.phase === 'summary') parts.push(h('p', { class: 'muted' }, t('session.wait.summary')));
  if (state.phase === 'signing') parts.push(signPanel(room, me));
  return parts;
}

function checkInPanel(room) {
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
        await room.send('check_in', { join_code: value });
      } catch (error) {
        if (error.code === 'wrong-join-code') markInvalid(code, error.title);
        throw error;
      }
      code.value = '';
    }, { slot, id: 'check-in', type: 'submit' }),
    slot.node);
}

function declarePanel(room) {
  const { state } = room;
  const slot = errorSlot();
  const confirm = h('input', { type: 'checkbox', id: 'declare-conflict-confirm' });
  const conflict = action(t('session.declare.conflict'), async () => {
    if (!confirm.checked) return;
    await room.send('declare', { conflict: true });
  }, { slot, id: 'declare-conflict', kind: 'danger' });
  conflict.disabled = true;
  confirm.addEventListener('change', () => { conflict.disabled = !confirm.checked; });
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.declare.heading')),
    h('p', {}, t('session.declare.text')),
    // The declaration is about these bidders: an expert must see whom they vouch for.
    h('p', { class: 'field-label', id: 'declare-bidders-label' }, t('session.declare.bidders')),
    h('ul', { id: 'declare-bidders', 'aria-labelledby': 'declare-bidders-label' },
      (state.view.bidders || []).map((bidder) => h('li', {}, bidder))),
    h('div', { class: 'buttons' }, action(t('session.declare.none'), async () => {
      await room.send('declare', { conflict: false });
    }, { slot, id: 'declare-none' })),
    h('fieldset', { class: 'decline' },
      h('legend', {}, t('session.declare.conflict')),
      h('label', { class: 'check' }, confirm, ' ', t('session.declare.conflict_confirm')),
      h('p', { class: 'hint' }, t('session.declare.conflict_note')),
      conflict),
    slot.node);
}

/** What `timePanel` depends on, so that its own region redraws without the sheets being typed. */
export function timeKey(state) {
  const me = state.mySeat ? state.seats.get(state.mySeat) : null;
  return [state.role, state.phase, state.vacated, me?.state, me?.declared, state.timeDeclared, state.myTimeDeclared];
}

// 实施条例 §48: more than a third of the members finding the time insufficient extends it.
// Its own region: an extension arriving while an expert types a sheet must not redraw the sheet.
export function timePanel(room) {
  const { state } = room;
  const me = state.mySeat ? state.seats.get(state.mySeat) : null;
  if (state.role !== 'expert' || state.phase !== 'evaluation' || state.vacated || !me || me.state === 'void' || !me.declared) return null;
  const slot = errorSlot();
  const ask = action(t('session.time.declare'), async () => {
    await room.send('declare_time_insufficient', {});
  }, { slot, id: 'time-insufficient' });
  ask.disabled = state.myTimeDeclared;
  return h('div', { class: 'panel', id: 'time-panel' },
    h('h3', {}, t('session.time.heading')),
    h('p', { class: 'hint' }, t('session.time.text')),
    state.myTimeDeclared ? h('p', { class: 'ok' }, t('session.time.declared', { declared: state.timeDeclared })) : null,
    h('div', { class: 'buttons' }, ask),
    slot.node);
}

function votePanel(room, me) {
  const { state } = room;
  if (state.chair) return h('p', { class: 'ok', id: 'vote-result' }, t('session.vote.elected', { label: seatLabel(state.chair) }));
  const slot = errorSlot();
  const candidates = [...state.seats.values()].filter((s) => s.state === 'active' && s.confirmed).sort((a, b) => a.seat - b.seat);
  const select = h('select', { id: 'vote-seat' },
    h('option', { value: '' }, t('expert.inv.reason.choose')),
    candidates.map((s) => h('option', { value: s.seat, selected: state.myVote === s.seat }, `${seatLabel(s.seat)}${s.seat === state.mySeat ? t('session.mine') : ''}`)));
  const status = state.myVote
    ? h('p', { class: 'ok' }, t('session.vote.yours', { label: seatLabel(state.myVote) }))
    : me.voted ? h('p', { class: 'ok' }, t('session.vote.voted')) : null;
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.vote.heading')),
    status,
    h('div', { class: 'inline' }, field(t('session.vote.seat'), select),
      action(t('session.vote.submit'), async () => {
        const seat = Number(select.value);
        markInvalid(select, seat ? null : t('session.vote.choose'));
        if (!seat) return;
        // The reply records the vote in the room's state (state.js), which redraws this panel.
        await room.send('vote', { seat });
      }, { slot, id: 'vote-submit' })),
    slot.node);
}

// 实施条例 §51: propose rejecting a bid on one of the statute's grounds with written reasons
// (the proposal is the proposer's vote), and vote on the others' open proposals.
function rejectionPanel(room) {
  const { state } = room;
  const rejected = rejectedBidders(state);
  const open = [...state.rejections.values()].filter((r) => r.state === 'open').sort((a, b) => a.proposal - b.proposal);
  const votes = open.map((r) => {
    const slot = errorSlot();
    const mine = r.votes?.get(state.mySeat);
    return h('li', { id: `vote-rejection-${r.proposal}` },
      t('session.rej.line', { n: r.proposal, bidder: r.bidder, ground: t(`session.ground.${r.ground}`), label: seatLabel(r.seat) }), ' ',
      h('span', { class: 'reasons' }, r.reasons), ' ',
      mine === undefined
        ? h('span', { class: 'buttons' },
          action(t('session.rej.vote_yes'), async () => { await room.send('vote_rejection', { proposal: r.proposal, reject: true }); },
            { slot, id: `rejection-${r.proposal}-yes`, kind: 'danger' }),
          action(t('session.rej.vote_no'), async () => { await room.send('vote_rejection', { proposal: r.proposal, reject: false }); },
            { slot, id: `rejection-${r.proposal}-no`, kind: 'secondary' }))
        : h('span', { class: 'ok' }, t('session.rej.voted', { vote: mine ? t('session.rej.yes') : t('session.rej.no') })),
      slot.node);
  });
  const slot = errorSlot();
  const candidates = state.view.bidders.filter((b) => !rejected.has(b) && !open.some((r) => r.bidder === b));
  const bidder = h('select', { id: 'reject-bidder' }, candidates.map((b) => h('option', { value: b }, b)));
  const ground = h('select', { id: 'reject-ground' },
    h('option', { value: '' }, t('session.rej.choose_ground')),
    REJECTION_GROUNDS.map((g, i) => h('option', { value: g }, `（${i + 1}）${t(`session.ground.${g}`)}`)));
  const reasons = h('textarea', { id: 'reject-reasons', rows: 2, maxlength: 2000 });
  return h('details', { class: 'panel', id: 'reject-panel', open: open.length > 0 ? true : null },
    h('summary', {}, t('session.rej.heading')),
    votes.length ? h('ul', { class: 'plain', id: 'open-rejections' }, votes) : null,
    candidates.length ? [
      field(t('session.rej.bidder'), bidder),
      field(t('session.rej.ground'), ground),
      field(t('session.rej.reasons'), reasons),
      action(t('session.rej.submit'), async () => {
        const text = reasons.value.trim();
        const length = Array.from(text).length;
        markInvalid(ground, ground.value ? null : t('session.rej.choose_ground'));
        markInvalid(reasons, length >= 10 && length <= 2000 ? null : t('session.rej.reasons_short'));
        if (!ground.value || length < 10 || length > 2000) return;
        try {
          await room.send('propose_rejection', { bidder: bidder.value, ground: ground.value, reasons: text });
        } catch (error) {
          if (error.field === 'reasons') markInvalid(reasons, error.detail);
          if (error.field === 'ground') markInvalid(ground, error.detail);
          throw error;
        }
        reasons.value = '';
        toast(t('session.rej.sent'));
      }, { slot, id: 'reject-submit', kind: 'danger' }),
    ] : null,
    slot.node);
}

function sheetsPanel(room) {
  const { bidders, criteria } = room.state.view;
  const lowest = room.state.view.method === 'lowest_price';
  const rejected = rejectedBidders(room.state);
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.score.heading')),
    bidders.map((bidder, b) => {
      // A rejected bid is out of the scoring (its index stays, so the ids do not move).
      if (rejected.has(bidder)) return h('p', { class: 'muted', id: `sheet-${b}`, 'data-rejected': 'true' }, t('session.score.rejected', { bidder }));
      const recorded = room.state.mySheets.get(bidder);
      const slot = errorSlot();
      const inputs = criteria.map((criterion, c) => h('input', {
        id: `score-${b}-${c}`, inputmode: 'decimal', autocomplete: 'off', class: 'score',
        value: recorded ? points(recorded.scores_centi?.[criterion.name] ?? 0) : '',
      }));
      const comment = h('textarea', { id: `comment-${b}`, rows: 2, maxlength: 2000, value: recorded?.comment || '' });
      const price = lowest ? h('input', {
        id: `price-${b}`, inputmode: 'decimal', autocomplete: 'off', class: 'score',
        value: recorded?.evaluated_price_centi != null ? points(recorded.evaluated_price_centi) : '',
      }) : null;
      return h('fieldset', { class: 'sheet', id: `sheet-${b}` },
        h('legend', {}, bidder),
        h('div', { class: 'inline' }, criteria.map((criterion, c) => field(t('session.score.range', { name: criterion.name, max: criterion.max_points }), inputs[c]))),
        price ? field(t('session.score.price'), price) : null,
        field(t('session.score.comment'), comment),
        h('div', { class: 'buttons' },
          action(t(recorded ? 'session.score.resubmit' : 'session.score.submit', { bidder }), async () => {
            const scores = {};
            let valid = true;
            criteria.forEach((criterion, c) => {
              const value = parseScore(inputs[c].value, criterion.max_points);
              markInvalid(inputs[c], value === null ? t('session.score.invalid', { max: criterion.max_points }) : null);
              if (value === null) valid = false;
              else scores[criterion.name] = value;
            });
            const text = comment.value.trim();
            const tooLong = Array.from(text).length > 2000;
            markInvalid(comment, tooLong ? t('session.score.comment_long') : null);
            const priceValue = price ? parsePrice(price.value) : null;
            if (price) {
              markInvalid(price, priceValue === null ? t('session.score.price_invalid') : null);
              if (priceValue === null) valid = false;
            }
            if (!valid || tooLong) {
              slot.show({ title: t('common.error'), detail: t('session.score.fix') });
              return;
            }
            const request = { bidder, scores };
            if (text) request.comment = text;
            if (price) request.evaluated_price = priceValue;
            try {
              await room.send('submit_sheet', request);
            } catch (error) {
              const at = String(error.field || '').match(/^scores\.(.+)$/);
              const index = at ? criteria.findIndex((c) => c.name === at[1]) : -1;
              if (index >= 0) markInvalid(inputs[index], error.detail);
              if (error.field === 'comment') markInvalid(comment, error.detail);
              if (price && error.field === 'evaluated_price') markInvalid(price, error.detail);
              throw error;
            }
            toast(t('session.score.sent'));
          }, { slot, id: `sheet-submit-${b}` }),
          h('span', { id: `sheet-status-${b}`, class: recorded ? 'badge good' : 'muted', 'data-recorded': recorded ? 'true' : 'false' },
            recorded ? t('session.score.recorded', { total: points(recorded.total_centi) }) : t('session.score.not_yet'))),
        slot.node);
    }));
}

/** An evaluated price in yuan: above 0, at most two decimals, else null. */
function parsePrice(text) {
  const value = String(text).trim().replace(/[,，]/g, '');
  if (!/^[0-9]{1,13}(\.[0-9]{1,2})?$/.test(value)) return null;
  const number = Number(value);
  return number > 0 ? number : null;
}

/** A score as the protocol takes it: 0 to max with at most two decimals, else null. */
function parseScore(text, max) {
  const value = String(text).trim();
  if (!/^[0-9]{1,4}(\.[0-9]{1,2})?$/.test(value)) return null;
  const number = Number(value);
  return number >= 0 && number <= max ? number : null;
}

function clarifyPanel(room) {
  const slot = errorSlot();
  const bidder = h('select', { id: 'clarify-bidder' }, room.state.view.bidders.map((b) => h('option', { value: b }, b)));
  const question = h('textarea', { id: 'clarify-question', rows: 2, maxlength: 2000 });
  return h('details', { class: 'panel', id: 'clarify-panel' },
    h('summary', {}, t('session.clarify.heading')),
    field(t('session.clarify.bidder'), bidder),
    field(t('session.clarify.question'), question),
    action(t('session.clarify.submit'), async () => {
      const text = question.value.trim();
      markInvalid(question, text ? null : t('session.clarify.empty'));
      if (!text) return;
      await room.send('request_clarification', { bidder: bidder.value, question: text });
      question.value = '';
      toast(t('session.clarify.sent'));
    }, { slot, id: 'clarify-submit' }),
    slot.node);
}

function signPanel(room, me) {
  const { report } = room.state;
  // What a member signs is the report itself, drawn here from the very text whose digest this
  // browser checks: never a bare hash.
  const readable = report && report.verified !== false ? reportDocument(report.report, { sha: report.sha }) : null;
  if (me.signed) {
    return [h('p', { class: 'ok', id: 'my-signature', 'data-signature': me.signed },
      me.signed === 'dissent' ? t('session.sign.done.dissent', { reasons: me.reasons || '' }) : t(`session.sign.done.${me.signed}`)), readable];
  }
  if (!report) return h('p', { class: 'muted' }, t('session.report.checking'));
  const slot = errorSlot();
  const verified = report.verified === true;
  const sha = report.sha;
  const reasons = h('textarea', { id: 'dissent-reasons', rows: 3, maxlength: 2000 });
  const sign = action(t('session.sign.agree'), async () => {
    const ok = await confirmAct({
      heading: t('session.sign.confirm_heading'),
      text: t('session.sign.confirm_text', { sha: `${sha.slice(0, 16)}…` }),
      confirm: t('session.sign.agree'),
      danger: false,
    });
    if (!ok) return;
    await sendSigned(room, me, { report_sha256: sha, agree: true });
  }, { slot, id: 'sign-report' });
  const dissent = action(t('session.sign.dissent'), async () => {
    const text = reasons.value.trim();
    const length = Array.from(text).length;
    const ok = length >= 10 && length <= 2000;
    markInvalid(reasons, ok ? null : t('session.sign.reasons_short'));
    if (!ok) { reasons.focus(); return; }
    const sure = await confirmAct({
      heading: t('session.sign.dissent_heading'),
      text: t('session.sign.dissent_text'),
      confirm: t('session.sign.dissent'),
      danger: false,
    });
    if (!sure) return;
    try {
      await sendSigned(room, me, { report_sha256: sha, agree: false, reasons: text });
    } catch (error) {
      if (error.field === 'reasons') markInvalid(reasons, error.detail);
      throw error;
    }
  }, { slot, id: 'dissent-submit', kind: 'danger' });
  // Only a report this computer has matched to its digest is signed.
  sign.disabled = !verified;
  dissent.disabled = !verified;
  const keyNote = h('div', { id: 'signing-key-note' });
  showSigningKey(room, keyNote, [sign, dissent]);
  return h('div', { class: 'panel' },
    h('h3', {}, t('session.sign.heading')),
    keyNote,
    h('p', {}, t('session.report.sha'), ': ', h('code', {}, sha)),
    report.signingDeadline ? h('p', { class: 'hint', id: 'signing-deadline' }, t('session.sign.deadline', { at: formatTime(report.signingDeadline) })) : null,
    h('p', { class: verified ? 'ok' : 'error' }, verified ? t('session.report.verified') : t('session.report.mismatch')),
    readable,
    h('div', { class: 'buttons' }, sign),
    h('fieldset', { class: 'decline' },
      h('legend', {}, t('session.sign.dissent_heading')),
      field(t('session.sign.reasons'), reasons),
      dissent),
    slot.node);
}

/**
 * Says which key on this device will sign (issue 19 §1), or that none will; where the server
 * requires members' signatures and the device has no key, says what to do and holds the
 * buttons back rather than sending a decision the server must refuse.
 */
async function showSigningKey(room, node, buttons) {
  const required = Boolean(room.state.view.member_signatures_required);
  const key = await deviceKey(room.accountId).catch(() => null);
  // Without the list the key's state is unknown here; the server still judges the signature.
  const keys = key ? await api.get('/api/v1/me/signing-keys').catch(() => []) : [];
  const toKeys = h('a', { href: '#/signing/keys', id: 'to-signing-keys' }, t('signing.session.to_keys'));
  if (!key) {
    node.dataset.state = 'none';
    if (required) {
      for (const button of buttons) button.disabled = true;
      node.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('signing.session.no_key_required'), ' ', toKeys));
    } else {
      node.replaceChildren(h('p', { class: 'muted' }, t('signing.session.no_key'), ' ', toKeys));
    }
    return;
  }
  const enrolled = keys.find((k) => k.id === key.keyId);
  node.dataset.state = enrolled ? enrolled.status : 'unknown';
  const fingerprint = (enrolled?.fingerprint || key.fingerprint || '').slice(0, 16);
  const line = h('p', { class: 'ok' }, t('signing.session.key', { label: enrolled?.label || key.keyId, fingerprint }));
  if (enrolled?.status === 'active') {
    node.replaceChildren(line);
    return;
  }
  // A pending or revoked key still signs here: the server's refusal names why (and a key
  // approved or revoked a moment ago is judged as it stands then, not as this page saw it).
  const state = enrolled ? t(`signing.status.${enrolled.status}`) : '—';
  const hint = t({ pending: 'signing.device.pending_note', revoked: 'signing.device.revoked_note' }[enrolled?.status] || 'signing.device.unknown');
  node.replaceChildren(line, h('p', { class: 'warning' }, t('signing.session.key_not_ready', { state, hint }), ' ', toKeys));
}

/** Sends `sign`, signed with this device's key when it has one. */
async function sendSigned(room, me, fields) {
  const key = await deviceKey(room.accountId).catch(() => null);
  if (!key) {
    if (room.state.view.member_signatures_required) throw new Error(t('signing.session.no_key_required'));
    await room.send('sign', fields);
    return;
  }
  const signature = await signDecision(key, {
    session: room.id, seat: me.seat, reportSha256: fields.report_sha256, agree: fields.agree, reasons: fields.reasons,
  });
  try {
    await room.send('sign', { ...fields, signature });
  } catch (error) {
    if (typeof error.field === 'string' && error.field.startsWith('signature')) {
      const refusal = new Error(t('signing.session.refused', { detail: error.detail || error.message }));
      refusal.code = error.code;
      throw refusal;
    }
    throw error;
  }
}
