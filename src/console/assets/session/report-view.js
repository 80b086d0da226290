// The evaluation report as members read it before signing (docs/PROTOCOL.md §10): the
// committee by seat label, the bids rejected under 实施条例 §51 with their grounds, reasons and
// every member's vote, the ranking and the recommended candidates, the scores, the
// clarifications, the extensions and, once signed, each member's signature or dissent. It is
// drawn from the very report whose digest this browser has checked, never from anything else,
// and prints on its own (style.css hides the rest of the page when printing).
//
// Stable ids for tests: #report-document, #report-committee, #report-rejections (rows
// [data-proposal][data-state]), #report-ranking (rows [data-bidder]), #report-candidates (li
// [data-bidder]), #report-clarifications, #report-extensions, #print-report.

import { h } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { seatLabel, points } from './labels.js';

/** Price in hundredths of a yuan, as yuan with two decimals and thousands separators. */
const yuan = (centi) => (Number(centi) / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function reportDocument(report, { sha } = {}) {
  if (!report || typeof report !== 'object') return null;
  const lowest = report.method === 'lowest_price';
  const sections = [
    h('h3', {}, t('session.rep.title')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('session.rep.format')), h('dd', {}, h('code', {}, String(report.format || ''))),
      h('dt', {}, t('session.rep.method')), h('dd', { id: 'report-method' }, t(`session.method.${report.method || 'comprehensive'}`)),
      h('dt', {}, t('session.rep.chair')), h('dd', {}, report.chair ? seatLabel(report.chair) : '—'),
      h('dt', {}, t('session.rep.ends')), h('dd', {}, report.ends_at ? formatTime(report.ends_at) : '—'),
      sha ? [h('dt', {}, t('session.report.sha')), h('dd', {}, h('code', {}, sha))] : null),
    committeeSection(report),
    rejectionsSection(report),
    h('h4', {}, t('session.rep.ranking')),
    simpleTable('report-ranking', [
      t('session.rep.position'), t('session.rep.bidder'),
      ...(lowest ? [t('session.rep.price')] : []),
      t('session.rep.median'), t('session.rep.tie'),
    ], (report.ranking || []).map((r) => ({
      attrs: { 'data-bidder': r.bidder },
      cells: [String(r.position), r.bidder, ...(lowest ? [r.evaluated_price_centi == null ? '—' : yuan(r.evaluated_price_centi)] : []),
        points(r.median_total_centi), r.tied_with_previous ? t('session.rep.tied') : ''],
    })), t('session.rep.no_ranking')),
    h('h4', {}, t('session.rep.candidates')),
    (report.candidates || []).length
      ? h('ol', { id: 'report-candidates' }, report.candidates.map((c) => h('li', { 'data-bidder': c.bidder }, c.bidder)))
      : h('p', { id: 'report-candidates', class: 'muted' }, t('session.rep.no_candidates')),
    scoresSection(report),
    h('h4', {}, t('session.rep.clarifications')),
    simpleTable('report-clarifications', [t('session.rep.number'), t('session.col.seat'), t('session.rep.bidder'), t('session.rep.question'), t('session.rep.state')],
      (report.clarifications || []).map((c) => ({ cells: [String(c.number), seatLabel(c.seat), c.bidder, c.question, t(`session.clar.${c.state}`)] })),
      t('session.rep.none')),
    h('h4', {}, t('session.rep.extensions')),
    simpleTable('report-extensions', [t('session.rep.number'), t('session.rep.minutes'), t('session.rep.declared'), t('session.rep.at')],
      (report.extensions || []).map((e) => ({ cells: [String(e.number), String(e.minutes), `${e.declared}/${e.members}`, formatTime(e.extended_at)] })),
      t('session.rep.none')),
    signaturesSection(report),
  ];
  return h('article', { class: 'report-document', id: 'report-document', 'data-format': report.format || '' },
    sections,
    h('div', { class: 'buttons no-print' },
      h('button', { type: 'button', class: 'secondary', id: 'print-report', on: { click: () => window.print() } }, t('session.rep.print'))));
}

function simpleTable(id, headers, rows, empty) {
  if (!rows.length) return h('p', { id, class: 'muted' }, empty);
  return h('div', { class: 'table-scroll' }, h('table', { id },
    h('thead', {}, h('tr', {}, headers.map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, rows.map((row) => h('tr', row.attrs || {}, row.cells.map((cell, i) => h('td', { 'data-label': headers[i] }, cell)))))));
}

function committeeSection(report) {
  const members = report.committee || [];
  return [h('h4', {}, t('session.rep.committee', { n: members.length })),
    simpleTable('report-committee', [t('session.col.seat'), t('session.rep.role')],
      members.map((m) => ({ cells: [seatLabel(m.seat), m.chair ? t('session.rep.role_chair') : t(`session.rep.role_${m.role}`)] })),
      t('session.rep.none'))];
}

function rejectionsSection(report) {
  const list = report.rejections || [];
  const parts = [h('h4', {}, t('session.rep.rejections'))];
  if (!list.length) {
    parts.push(h('p', { id: 'report-rejections', class: 'muted' }, t('session.rep.no_rejections')));
    return parts;
  }
  parts.push(h('div', { id: 'report-rejections' }, list.map((r) => h('div', { class: 'rejection', 'data-proposal': r.proposal, 'data-state': r.state, 'data-bidder': r.bidder },
    h('p', {}, h('strong', {}, t('session.rep.rejection_line', { n: r.proposal, bidder: r.bidder })), ' ',
      h('span', { class: `badge ${r.state === 'rejected' ? 'bad' : r.state === 'open' ? 'warn' : 'good'}` }, t(`session.rej.${r.state}`))),
    h('p', {}, t('session.rep.ground', { item: r.ground_item, text: r.ground_text })),
    h('p', {}, t('session.rep.reasons', { label: seatLabel(r.proposed_by) }), h('span', { class: 'reasons' }, r.reasons)),
    h('p', { class: 'muted' }, t('session.rep.votes', {
      votes: (r.votes || []).map((v) => `${seatLabel(v.seat)} ${v.reject ? t('session.rej.yes') : t('session.rej.no')}`).join('、'),
      tally: r.members ? t('session.rep.tally', { for: r.votes_for, against: r.votes_against, members: r.members }) : '',
    }))))));
  return parts;
}

function scoresSection(report) {
  const criteria = (report.criteria || []).map((c) => c.name);
  return [h('h4', {}, t('session.rep.scores')),
    (report.summary || []).map((bid) => h('div', { class: 'summary-bidder' },
      h('h5', {}, bid.bidder, ' — ', t('session.summary.median', { median: points(bid.median_total_centi) }),
        bid.median_evaluated_price_centi != null ? ['；', t('session.rep.price_median', { price: yuan(bid.median_evaluated_price_centi) })] : null),
      simpleTable(null, [t('session.col.seat'), ...criteria, t('session.summary.total'), t('session.summary.comment')],
        (bid.sheets || []).map((sheet) => ({
          attrs: { class: sheet.deviates ? 'deviates' : null },
          cells: [seatLabel(sheet.seat), ...criteria.map((name) => points(sheet.scores_centi?.[name] ?? 0)),
            `${points(sheet.total_centi)}${sheet.deviates ? ` ${t('session.summary.deviates')}` : ''}`, sheet.comment || ''],
        })), t('session.rep.none'))))];
}

function signaturesSection(report) {
  const seats = (report.seats || []).filter((s) => s.state === 'active' && s.signature);
  const void_ = (report.seats || []).filter((s) => s.state === 'void');
  const parts = [];
  if (seats.length) {
    parts.push(h('h4', {}, t('session.rep.signatures')),
      simpleTable('report-signatures', [t('session.col.seat'), t('session.col.signed'), t('session.rep.dissent_reasons')],
        seats.map((s) => ({ cells: [seatLabel(s.seat), t(`session.signed.${s.signature}`), s.dissent_reasons || ''] })), ''));
  }
  if (void_.length) {
    parts.push(h('p', { class: 'muted' }, t('session.rep.void_seats', {
      seats: void_.map((s) => `${seatLabel(s.seat)}（${t(`session.void.${s.void_reason}`)}）`).join('、'),
    })));
  }
  return parts;
}
