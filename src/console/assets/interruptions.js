// Suspending, resuming and cancelling a tender's evaluation (issue 16 §4; docs/DRAWS.md,
// "Suspending, resuming, cancelling"): the center asks on its draw's page, with a reason and a
// confirmation; a supervisor of the draw's jurisdiction approves or refuses on the
// "暂停与终止" screen, saying why, and for a cancellation whether the tender is re-tendered.
// Ids for tests: on the draw page #interruptions (the section), #interruption-kind,
// #interruption-reason, #interruption-submit, #draw-hold; per request #interruption-ID
// (data-state). On the supervisor's screen #interruption-requests, per request
// #interruption-ID, #interruption-reason-ID, #interruption-retender-ID,
// #interruption-approve-ID, #interruption-refuse-ID; #interruption-decided.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
import { beijingTime } from './draw-request.js';

export { strings } from './strings/interruptions.js';

/** What a center may ask with the draw's hold as it is (the server checks the same). */
export function kindsFor(hold) {
  if (hold === 'cancelled') return [];
  if (hold === 'suspended') return ['resume', 'postpone', 'cancel'];
  return ['suspend', 'postpone', 'cancel'];
}

const enough = (text) => [...text.trim()].length >= 10;

/** A line per request: what, when, why, and the decision once made. */
function requestLine(r) {
  return h('li', { class: 'card', id: `interruption-${r.interruption_id}`, 'data-state': r.state },
    h('p', {}, h('strong', {}, t(`interruption.kind.${r.kind}`)), ' · ',
      h('span', { class: `badge ${r.state === 'approved' ? 'good' : r.state === 'refused' ? 'bad' : 'warn'}` }, t(`interruption.state.${r.state}`)),
      ' · ', formatTime(r.requested_at)),
    r.evaluation_start ? h('p', {}, t('interruption.new_start', { start: formatTime(r.evaluation_start), minutes: r.evaluation_minutes })) : null,
    h('p', {}, t('interruption.reason_line', { reason: r.reason })),
    r.decided_at ? h('p', { class: 'hint' }, t('interruption.decided_line', {
      who: r.decided_by, time: formatTime(r.decided_at), reason: r.decision_reason || '',
    }), r.retender ? ` ${t('interruption.retender_mark')}` : '') : null);
}

/**
 * The draw page's section (a root draw's center): the hold, the requests so far, and a form
 * to ask for what the hold allows.
 */
export async function interruptionSection(draw, refresh) {
  if (draw.parent_draw_id) return null;
  const slot = errorSlot();
  const history = await api.get(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/interruptions`);
  const waiting = history.some((r) => r.state === 'requested');
  const kinds = kindsFor(draw.hold);
  const banner = draw.hold
    ? h('p', { class: 'warning', role: 'status', id: 'draw-hold', 'data-hold': draw.hold }, t(`interruption.hold.${draw.hold}`))
    : null;
  let form = null;
  if (waiting) {
    form = h('p', { class: 'muted' }, t('interruption.waiting'));
  } else if (kinds.length) {
    const kind = h('select', { id: 'interruption-kind', 'data-field': 'kind' }, kinds.map((k) => h('option', { value: k }, t(`interruption.kind.${k}`))));
    const reason = h('textarea', { id: 'interruption-reason', rows: 3, maxlength: 500, 'data-field': 'reason' });
    // A postponement's new start (Beijing time) and length.
    const start = h('input', { id: 'interruption-start', type: 'datetime-local', 'data-field': 'evaluation_start' });
    const minutes = h('input', { id: 'interruption-minutes', type: 'number', min: 30, max: 10080, value: String(draw.evaluation_minutes), 'data-field': 'evaluation_minutes' });
    const schedule = h('div', { class: 'inline', hidden: true },
      field(t('interruption.start'), start, t('interruption.start_hint')), field(t('interruption.minutes'), minutes));
    kind.addEventListener('change', () => { schedule.hidden = kind.value !== 'postpone'; });
    form = h('form', { novalidate: true, class: 'stack' },
      field(t('interruption.kind_label'), kind),
      schedule,
      field(t('interruption.reason'), reason, t('interruption.reason_hint')),
      action(t('interruption.submit'), async () => {
        if (!markInvalid(reason, enough(reason.value) ? null : t('interruption.reason_hint'))) return;
        const postpone = kind.value === 'postpone';
        if (postpone && !markInvalid(start, start.value ? null : t('interruption.start_needed'))) return;
        const ok = await confirmAct({
          heading: t(`interruption.kind.${kind.value}`),
          text: t(`interruption.confirm.${kind.value}`, { reference: draw.tender_reference }),
          confirm: t('interruption.submit'),
          danger: kind.value === 'cancel',
        });
        if (!ok) return;
        const body = { kind: kind.value, reason: reason.value.trim() };
        if (postpone) Object.assign(body, { evaluation_start: beijingTime(start.value), evaluation_minutes: Number(minutes.value) });
        await api.post(`/api/v1/draws/${encodeURIComponent(draw.draw_id)}/interruptions`, body);
        toast(t('interruption.sent'));
        await refresh();
      }, { slot, id: 'interruption-submit', type: 'submit', kind: kind.value === 'cancel' ? 'danger' : '' }));
  }
  return h('section', { class: 'card', id: 'interruptions' },
    h('h2', {}, t('interruption.heading')),
    banner,
    h('p', { class: 'hint' }, t('interruption.intro')),
    history.length ? h('ul', { class: 'plain' }, history.map(requestLine)) : null,
    form, slot.node);
}

/** The supervisor's screen: requests waiting within the jurisdiction, and those decided. */
async function renderRequests() {
  const slot = errorSlot();
  const waitingNode = h('div', { id: 'interruption-requests' });
  const decidedNode = h('div', { id: 'interruption-decided' });
  const refresh = async () => {
    const [waiting, approved, refused] = await Promise.all([
      api.get('/api/v1/interruptions'),
      api.get('/api/v1/interruptions?state=approved'),
      api.get('/api/v1/interruptions?state=refused'),
    ]);
    replace(waitingNode, waiting.length
      ? h('ul', { class: 'plain' }, waiting.map((r) => decisionCard(r, slot, refresh)))
      : h('p', { class: 'muted' }, t('interruption.none_waiting')));
    const decided = [...approved, ...refused].sort((a, b) => String(b.decided_at).localeCompare(String(a.decided_at))).slice(0, 30);
    replace(decidedNode, decided.length
      ? h('ul', { class: 'plain' }, decided.map((r) => h('div', {}, h('p', {}, h('strong', {}, r.tender_reference), ' ', r.tender_name), requestLine(r))))
      : h('p', { class: 'muted' }, t('common.none')));
  };
  await refresh();
  return h('div', { class: 'supervisor' },
    h('h1', {}, t('interruption.sup.heading')),
    h('p', { class: 'hint' }, t('interruption.sup.intro')),
    section(t('interruption.sup.waiting'), slot.node, waitingNode),
    section(t('interruption.sup.decided'), decidedNode));
}

function decisionCard(r, slot, refresh) {
  const id = r.interruption_id;
  const reason = h('textarea', { id: `interruption-reason-${id}`, rows: 2, maxlength: 500, 'data-field': 'reason' });
  const retender = r.kind === 'cancel' ? h('input', { type: 'checkbox', id: `interruption-retender-${id}` }) : null;
  const decide = (approve) => action(t(approve ? 'interruption.sup.approve' : 'interruption.sup.refuse'), async () => {
    if (!markInvalid(reason, enough(reason.value) ? null : t('interruption.reason_hint'))) return;
    const again = Boolean(approve && retender?.checked);
    const ok = await confirmAct({
      heading: t(approve ? 'interruption.sup.approve' : 'interruption.sup.refuse'),
      text: approve
        ? t(`interruption.sup.confirm.${r.kind}${again ? '_retender' : ''}`, { reference: r.tender_reference })
        : t('interruption.sup.confirm.refuse', { reference: r.tender_reference }),
      confirm: t(approve ? 'interruption.sup.approve' : 'interruption.sup.refuse'),
      danger: approve && r.kind === 'cancel',
    });
    if (!ok) return;
    await api.post(`/api/v1/interruptions/${encodeURIComponent(id)}/decision`, { approve, reason: reason.value.trim(), retender: again });
    toast(t('interruption.sup.done'));
    await refresh();
  }, { slot, id: `interruption-${approve ? 'approve' : 'refuse'}-${id}`, kind: approve ? 'primary' : 'danger' });
  return h('li', { class: 'card', id: `interruption-${id}`, 'data-state': r.state },
    h('p', {}, h('strong', {}, r.tender_reference), ' ', r.tender_name),
    h('p', {}, h('strong', {}, t(`interruption.kind.${r.kind}`)), ' · ', t('interruption.by', { who: r.requested_by, time: formatTime(r.requested_at) })),
    h('p', {}, t('interruption.reason_line', { reason: r.reason })),
    field(t('interruption.sup.reason'), reason, t('interruption.reason_hint')),
    retender ? h('p', { class: 'choice' }, retender, ' ', h('label', { for: retender.id }, t('interruption.sup.retender'))) : null,
    h('div', { class: 'buttons' }, decide(true), decide(false)));
}

export const views = {
  'supervisor/interruptions': { roles: ['supervisor'], nav: 'interruption.sup.nav', render: renderRequests },
};
