// Experts' fees (issue 22 §4; docs/FEES.md). Two pieces: the host center's settlement review
// in the session room once the session has closed (compute, travel within the standard's caps,
// approve, the payment CSV), and an expert's own fee statements, which the expert's screens
// embed with renderFeeStatements / feeStatementsSection. Amounts arrive and leave in fen
// (integers) and are shown in yuan without ever passing through a float.
// Ids for tests: #session-settlements, #settle-now, #settlement-SEAT, #travel-SEAT-transport,
// #travel-SEAT-nights, #travel-SEAT-accommodation, #travel-SEAT-reason, #travel-SEAT-submit,
// #settlements-approve, #settlements-csv, #fee-statements.

import * as api from './api.js';
import { h, replace, errorSlot, action, toast, confirmAct, markInvalid, saveFile, table } from './dom.js';
import { t, register, formatTime } from './i18n.js';
import { strings } from './strings/fees.js';
import { yuan, fenOf } from './money.js';

export { strings, yuan, fenOf };
register(strings);

const kindName = (kind) => t(`fees.kind.${kind}`);
const regionName = (region) => (region === 'default' ? t('fees.region.default') : region);

/** The record's columns, in the language of the moment. */
const columns = () => [
  { label: t('fees.kind'), value: (r) => kindName(r.seat_kind) },
  { label: t('fees.region'), value: (r) => regionName(r.rate_region) },
  { label: t('fees.time'), value: (r) => `${formatTime(r.started_at)} – ${formatTime(r.ended_at)}` },
  { label: t('fees.half_days'), value: (r) => String(r.half_days) },
  { label: t('fees.fee'), value: (r) => yuan(r.fee_fen) },
  { label: t('fees.travel'), value: (r) => yuan(r.transport_fen + r.accommodation_fen) },
  { label: t('fees.total'), value: (r) => yuan(r.total_fen) },
  { label: t('fees.status'), value: (r) => t(`fees.status.${r.status}`) },
];

/**
 * An expert's statements (the records of GET /api/v1/me/fees) as a table that folds into
 * labelled rows on a phone.
 */
export function renderFeeStatements(statements) {
  return table(columns(), statements, { empty: t('fees.own.empty') });
}

/** The expert's own statements, fetched, in a card (id #fee-statements). */
export async function feeStatementsSection() {
  const own = await api.get('/api/v1/me/fees');
  return h('section', { class: 'card', id: 'fee-statements' },
    h('h2', {}, t('fees.own.heading')),
    renderFeeStatements(own.statements));
}

const panels = new Map();

/**
 * The host's settlement review of a closed session, kept per session so that the room's
 * re-renders keep what was typed.
 */
export function settlementPanel(sessionId) {
  if (panels.has(sessionId)) return panels.get(sessionId);
  const node = h('div', { class: 'panel', id: 'session-settlements' });
  panels.set(sessionId, node);
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}/settlements`;
  const slot = errorSlot();
  const draw = (data) => {
    const current = data ? data.current : [];
    replace(node,
      h('h3', {}, t('fees.heading')),
      h('p', { class: 'hint' }, t('fees.hint')),
      current.length
        ? [
          h('p', {}, t('fees.sum', { amount: yuan(data.total_fen) })),
          h('ul', { class: 'plain' }, current.map((record) => recordItem(record))),
          data.approved ? h('p', { class: 'ok' }, t('fees.approved')) : action(t('fees.approve'), async () => {
            const ok = await confirmAct({ heading: t('fees.approve'), text: t('fees.approve_confirm'), confirm: t('fees.approve'), danger: false });
            if (!ok) return;
            draw(await api.post(`${base}/approve`));
          }, { slot, id: 'settlements-approve' }),
          current.some((r) => r.status === 'approved') ? action(t('fees.csv'), async () => {
            const response = await api.get(`${base}.csv`, { raw: true });
            saveFile(`settlements-${sessionId}.csv`, await response.text(), 'text/csv');
          }, { slot, id: 'settlements-csv', kind: 'secondary' }) : null,
        ]
        : [
          h('p', { class: 'muted' }, t('fees.none')),
          action(t('fees.settle'), async () => draw(await api.post(base)), { slot, id: 'settle-now' }),
        ],
      slot.node);
  };
  const recordItem = (record) => {
    const input = (name, value) => h('input', { id: `travel-${record.seat}-${name}`, value, inputmode: 'decimal', size: 8 });
    const transport = input('transport', yuan(record.transport_fen));
    const nights = input('nights', String(record.nights));
    const accommodation = input('accommodation', yuan(record.accommodation_fen));
    const reason = h('input', { id: `travel-${record.seat}-reason`, size: 30 });
    return h('li', { id: `settlement-${record.seat}`, 'data-total-fen': String(record.total_fen) },
      h('strong', {}, `${t('fees.seat')} ${record.seat}`), ' ',
      columns().map((c) => h('span', { class: 'inline' }, `${c.label}：${c.value(record)}`)),
      h('div', { class: 'inline' },
        h('label', {}, t('fees.transport'), transport),
        h('label', {}, t('fees.nights'), nights),
        h('label', {}, t('fees.accommodation'), accommodation),
        h('label', {}, t('fees.reason'), reason),
        action(t('fees.add_travel'), async () => {
          const fields = [[transport, fenOf(transport.value)], [accommodation, fenOf(accommodation.value)]];
          let ok = true;
          for (const [control, fen] of fields) ok = markInvalid(control, fen === null ? t('fees.amount_invalid') : null) && ok;
          if (!ok) return;
          const body = { transport_fen: fields[0][1], nights: Number(nights.value) || 0, accommodation_fen: fields[1][1] };
          if (reason.value.trim()) body.reason = reason.value.trim();
          await api.post(`/api/v1/settlements/${encodeURIComponent(record.settlement_id)}/travel`, body);
          toast(t('fees.add_travel'));
          draw(await api.get(base));
        }, { slot, id: `travel-${record.seat}-submit`, kind: 'secondary' })));
  };
  api.get(base).then(draw, (error) => {
    replace(node, h('h3', {}, t('fees.heading')), slot.node);
    slot.show(error);
  });
  return node;
}
