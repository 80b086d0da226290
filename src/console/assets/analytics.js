// Supervision's statistics (issue 21; docs/ANALYTICS.md): the remote-evaluation share per
// prefecture against the province's goal, within the supervisor's jurisdiction, as an
// accessible SVG chart with the table beside it, a drill-down to the projects behind a
// prefecture's figure, and every figure as CSV.
// Ids for tests: #share-year, #share-month, #share-load, #share-table, per prefecture
// #share-row-PREFIX and #share-projects-PREFIX (drill-down), #share-chart, #share-province,
// #share-csv, #share-projects (the drill-down's table), #share-projects-csv.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, section, table, saveFile, saveCsv } from './dom.js';
import { t, formatTime } from './i18n.js';

export { strings } from './strings/analytics.js';

/** The year now in Beijing time. */
function beijingYear() {
  return new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear();
}

const shareText = (share) => (share.share_percent === undefined ? '—' : `${share.share_percent}%`);

function verdict(share, applies) {
  if (!applies) return h('span', { class: 'badge' }, t('analytics.share.not_applicable'));
  if (share.meets_target === undefined) return h('span', { class: 'muted' }, t('analytics.share.no_projects'));
  return h('span', { class: `badge ${share.meets_target ? 'good' : 'bad'}` },
    t(share.meets_target ? 'analytics.share.meets' : 'analytics.share.below'));
}

/** Horizontal bars, one per prefecture, with the goal as a line; the table repeats the data. */
function shareChart(report) {
  const rows = report.prefectures;
  const width = 640;
  const left = 120;
  const right = 60;
  const rowH = 22;
  const top = 24;
  const height = top + rows.length * rowH + 28;
  const plotW = width - left - right;
  const x = (percent) => left + (Math.min(100, percent) / 100) * plotW;
  const title = t('analytics.share.chart_title', { year: report.year, target: report.target_percent });
  return h('svg', {
    id: 'share-chart', class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': 'share-chart-title', 'aria-describedby': 'share-table', focusable: 'false',
  },
  h('title', { id: 'share-chart-title' }, title),
  rows.map((row, i) => {
    const percent = Number(row.share_percent || 0);
    const y = top + i * rowH;
    return h('g', {},
      h('text', { x: left - 6, y: y + 15, 'text-anchor': 'end' }, row.name),
      h('rect', {
        class: 'bar', x: left, y: y + 3, width: (x(percent) - left).toFixed(1), height: rowH - 6,
        'data-prefecture': row.prefecture, opacity: row.target_applies ? 1 : 0.45,
      }, h('title', {}, `${row.name}：${shareText(row)}（${row.remote}/${row.projects}）`)),
      h('text', { x: x(percent) + 4, y: y + 15 }, shareText(row)));
  }),
  h('line', { x1: x(report.target_percent), x2: x(report.target_percent), y1: top - 6, y2: top + rows.length * rowH, class: 'target' }),
  h('text', { x: x(report.target_percent), y: top - 10, 'text-anchor': 'middle' }, t('analytics.share.goal', { target: report.target_percent })));
}

/**
 * The province's remote share month by month through a year, against the goal: a line over
 * the months with projects, the goal as a dashed line; the table beside repeats the data.
 * Ids: #trend-chart, #trend-table, #trend-csv.
 */
function trendChart(year, target, months) {
  const width = 640;
  const left = 48;
  const right = 16;
  const top = 20;
  const plotH = 180;
  const height = top + plotH + 36;
  const step = (width - left - right) / 11;
  const x = (i) => left + i * step;
  const y = (percent) => top + plotH - (Math.min(100, percent) / 100) * plotH;
  const points = months
    .map((m, i) => (m.share.share_percent === undefined ? null : [x(i), y(Number(m.share.share_percent)), m]))
    .filter(Boolean);
  const title = t('analytics.trend.title', { year, target });
  return h('svg', {
    id: 'trend-chart', class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': 'trend-chart-title', 'aria-describedby': 'trend-table', focusable: 'false',
  },
  h('title', { id: 'trend-chart-title' }, title),
  [0, 25, 50, 75, 100].map((p) => h('text', { x: left - 6, y: y(p) + 4, 'text-anchor': 'end' }, `${p}%`)),
  months.map((m, i) => h('text', { x: x(i), y: top + plotH + 18, 'text-anchor': 'middle' }, String(m.month))),
  h('line', { x1: left, x2: width - right, y1: y(target), y2: y(target), class: 'target' }),
  points.length > 1 ? h('polyline', { class: 'trend', fill: 'none', points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ') }) : null,
  points.map(([px, py, m]) => h('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 4, class: 'bar' },
    h('title', {}, `${t('analytics.share.month', { n: m.month })}：${shareText(m.share)}（${m.share.remote}/${m.share.projects}）`))));
}

async function showTrend(node, year, slot) {
  const months = [];
  let target = 20;
  for (let month = 1; month <= 12; month += 1) {
    const report = await api.get(`/api/v1/reports/remote-share${api.query({ year, month: String(month) })}`);
    target = report.target_percent;
    months.push({ month, share: report.province });
  }
  const rows = [['month', 'projects', 'remote', 'share_percent', 'meets_target']].concat(months.map((m) => [
    String(m.month), String(m.share.projects), String(m.share.remote), m.share.share_percent ?? '', m.share.meets_target === undefined ? '' : String(m.share.meets_target)]));
  replace(node, section(t('analytics.trend.heading'),
    h('div', { class: 'columns' },
      h('div', {}, trendChart(year, target, months)),
      h('div', {}, table([
        { label: t('analytics.share.month_label'), value: (m) => t('analytics.share.month', { n: m.month }) },
        { label: t('analytics.share.col.projects'), value: (m) => String(m.share.projects) },
        { label: t('analytics.share.col.remote_count'), value: (m) => String(m.share.remote) },
        { label: t('analytics.share.col.share'), value: (m) => shareText(m.share) },
      ], months, { caption: t('analytics.trend.title', { year, target }) }))),
    h('div', { class: 'buttons' }, action(t('analytics.csv'), async () => {
      saveCsv(`remote-share-trend-${year}.csv`, rows);
    }, { slot, id: 'trend-csv', kind: '' }))));
  node.querySelector('table')?.setAttribute('id', 'trend-table');
}

async function renderRemoteShare() {
  const slot = errorSlot();
  const year = h('input', { id: 'share-year', type: 'number', min: 2000, max: 2100, value: String(beijingYear()), inputmode: 'numeric', 'data-field': 'year' });
  const month = h('select', { id: 'share-month', 'data-field': 'month' },
    h('option', { value: '' }, t('analytics.share.whole_year')),
    Array.from({ length: 12 }, (_, i) => h('option', { value: String(i + 1) }, t('analytics.share.month', { n: i + 1 }))));
  const output = h('div', { id: 'share-output', 'aria-live': 'polite' });
  const drill = h('div', { id: 'share-drill', 'aria-live': 'polite' });
  const trend = h('div', { id: 'share-trend', 'aria-live': 'polite' });
  const params = () => {
    const q = { year: year.value.trim() };
    if (month.value) q.month = month.value;
    return q;
  };
  const showProjects = async (row) => {
    const q = { ...params(), prefecture: row.prefecture };
    const lines = await api.get(`/api/v1/reports/remote-share/projects${api.query(q)}`);
    replace(drill, section(t('analytics.share.projects_heading', { name: row.name }),
      table([
        { label: t('analytics.share.col.tender'), value: (l) => h('span', {}, h('strong', {}, l.tender_reference), ' ', l.tender_name) },
        { label: t('analytics.share.col.start'), value: (l) => formatTime(l.evaluation_start) },
        { label: t('analytics.share.col.mode'), value: (l) => t(`analytics.mode.${l.mode}`) },
        { label: t('analytics.share.col.remote'), value: (l) => (l.remote ? t('common.yes') : t('common.no')) },
      ], lines, { caption: t('analytics.share.projects_heading', { name: row.name }), empty: t('analytics.share.no_projects') }),
      h('div', { class: 'buttons' }, action(t('analytics.csv'), async () => {
        saveFile(`remote-share-projects-${q.year}-${row.prefecture}.csv`,
          await api.get(`/api/v1/reports/remote-share/projects${api.query({ ...q, format: 'csv' })}`, { headers: { accept: 'text/csv' } }), 'text/csv');
      }, { slot, id: 'share-projects-csv', kind: '' }))));
    drill.querySelector('table')?.setAttribute('id', 'share-projects');
  };
  const load = action(t('analytics.share.load'), async () => {
    replace(drill);
    replace(trend);
    const report = await api.get(`/api/v1/reports/remote-share${api.query(params())}`);
    const province = report.province;
    replace(output,
      h('p', { id: 'share-province', class: 'lead' },
        t('analytics.share.province', { remote: province.remote, projects: province.projects, share: shareText(province), target: report.target_percent }), ' ',
        verdict(province, true)),
      report.province_wide ? null : h('p', { class: 'hint' }, t('analytics.share.scoped')),
      h('div', { class: 'columns' },
        h('section', { class: 'card' }, shareChart(report)),
        h('section', { class: 'card' },
          table([
            { label: t('analytics.share.col.prefecture'), value: (r) => r.name },
            { label: t('analytics.share.col.projects'), value: (r) => String(r.projects) },
            { label: t('analytics.share.col.remote_count'), value: (r) => String(r.remote) },
            { label: t('analytics.share.col.share'), value: (r) => shareText(r) },
            { label: t('analytics.share.col.goal'), value: (r) => verdict(r, r.target_applies) },
            { label: t('common.actions'), value: (r) => (r.projects
              ? h('button', { type: 'button', class: 'link', id: `share-projects-${r.prefecture}`, on: { click: () => showProjects(r).catch((e) => slot.show(e)) } }, t('analytics.share.details'))
              : '') },
          ], report.prefectures, { caption: t('analytics.share.chart_title', { year: report.year, target: report.target_percent }) }))),
      h('div', { class: 'buttons' }, action(t('analytics.csv'), async () => {
        saveFile(`remote-share-${report.year}.csv`,
          await api.get(`/api/v1/reports/remote-share${api.query({ ...params(), format: 'csv' })}`, { headers: { accept: 'text/csv' } }), 'text/csv');
      }, { slot, id: 'share-csv', kind: '' })));
    output.querySelector('table')?.setAttribute('id', 'share-table');
    for (const tr of output.querySelectorAll('#share-table tbody tr')) {
      const index = [...tr.parentNode.children].indexOf(tr);
      tr.id = `share-row-${report.prefectures[index].prefecture}`;
    }
  }, { slot, id: 'share-load', type: 'submit' });
  return h('div', { class: 'supervisor' },
    h('h1', {}, t('analytics.share.heading')),
    h('p', { class: 'hint' }, t('analytics.share.intro')),
    h('form', { class: 'inline card', novalidate: true }, field(t('analytics.share.year'), year), field(t('analytics.share.month_label'), month), load),
    slot.node, output, drill,
    h('div', { class: 'buttons' }, action(t('analytics.trend.load'), () => showTrend(trend, year.value.trim(), slot), { slot, id: 'trend-load', kind: '' })),
    trend);
}

/**
 * Which specialties need recruiting (docs/ANALYTICS.md §3): ranked, each with its name from the
 * classification. Ids: #supply-year, #supply-month, #supply-load, #supply-table (rows
 * #supply-row-RANK), #supply-csv.
 */
async function renderSupply() {
  const slot = errorSlot();
  const names = new Map((await api.get('/api/v1/specialties')).map((c) => [c.code, c.name]));
  const year = h('input', { id: 'supply-year', type: 'number', min: 2000, max: 2100, value: String(beijingYear()), inputmode: 'numeric', 'data-field': 'year' });
  const month = h('select', { id: 'supply-month', 'data-field': 'month' },
    h('option', { value: '' }, t('analytics.share.whole_year')),
    Array.from({ length: 12 }, (_, i) => h('option', { value: String(i + 1) }, t('analytics.share.month', { n: i + 1 }))));
  const output = h('div', { id: 'supply-output', 'aria-live': 'polite' });
  const params = () => (month.value ? { year: year.value.trim(), month: month.value } : { year: year.value.trim() });
  const specialty = (prefixes) => prefixes.map((code) => (names.has(code) ? `${code} ${names.get(code)}` : code)).join('、');
  const percent = (value) => (value === undefined ? '—' : `${value}%`);
  const load = action(t('analytics.share.load'), async () => {
    const report = await api.get(`/api/v1/reports/supply${api.query(params())}`);
    replace(output,
      report.province_wide ? null : h('p', { class: 'hint' }, t('analytics.share.scoped')),
      h('section', { class: 'card' }, table([
        { label: t('analytics.supply.col.rank'), value: (l) => String(l.rank) },
        { label: t('analytics.supply.col.specialty'), value: (l) => specialty(l.specialty_prefixes) },
        { label: t('analytics.supply.col.refusals'), value: (l) => (l.refusals ? h('span', { class: 'badge bad' }, String(l.refusals)) : '0') },
        { label: t('analytics.supply.col.strata'), value: (l) => String(l.strata) },
        { label: t('analytics.supply.col.eligible'), value: (l) => t('analytics.supply.eligible', { median: l.median_eligible, min: l.min_eligible }) },
        { label: t('analytics.supply.col.tightest'), value: (l) => `${l.tightest_multiple}×` },
        { label: t('analytics.supply.col.declines'), value: (l) => percent(l.decline_percent) },
        { label: t('analytics.supply.col.no_answer'), value: (l) => percent(l.no_answer_percent) },
        { label: t('analytics.supply.col.replacements'), value: (l) => percent(l.replacement_percent) },
        { label: t('analytics.supply.col.confirmed'), value: (l) => (l.median_minutes_to_confirmed === undefined ? '—' : t('analytics.supply.hours', { hours: (l.median_minutes_to_confirmed / 60).toFixed(1) })) },
      ], report.specialties, { caption: t('analytics.supply.caption', { year: report.year }), empty: t('analytics.supply.none') })),
      h('div', { class: 'buttons' }, action(t('analytics.csv'), async () => {
        saveFile(`supply-${report.year}.csv`,
          await api.get(`/api/v1/reports/supply${api.query({ ...params(), format: 'csv' })}`, { headers: { accept: 'text/csv' } }), 'text/csv');
      }, { slot, id: 'supply-csv', kind: '' })));
    output.querySelector('table')?.setAttribute('id', 'supply-table');
    output.querySelectorAll('#supply-table tbody tr').forEach((tr, i) => { tr.id = `supply-row-${i + 1}`; });
  }, { slot, id: 'supply-load', type: 'submit' });
  return h('div', { class: 'supervisor' },
    h('h1', {}, t('analytics.supply.heading')),
    h('p', { class: 'hint' }, t('analytics.supply.intro')),
    h('form', { class: 'inline card', novalidate: true }, field(t('analytics.share.year'), year), field(t('analytics.share.month_label'), month), load),
    slot.node, output);
}

export const views = {
  'supervisor/remote-share': { roles: ['supervisor'], nav: 'analytics.nav.share', render: renderRemoteShare },
  'supervisor/supply': { roles: ['supervisor'], nav: 'analytics.nav.supply', render: renderSupply },
};
