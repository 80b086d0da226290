// The administrator's screens for the annual assessment (年度考核) and experts' training records
// (培训记录), over the APIs of docs/POOL.md "Training, assessment and tiers". The formula only
// proposes: the admin reviews a year's results, adjusts a tier with a reason and confirms the
// year, after which it is read only.
//
// Ids for tests: assessment: #assessment-year, #assessment-show, #assessment-summary (with
// data-status), #assessment-compute, #assessment-confirm, #assessment-results, per expert ID
// #tier-ID and #adjust-ID, the editor #adjust-editor with #adjust-tier, #adjust-reason and
// #adjust-save; #assessment-next, #assessment-first. Training: #training-expert, #training-show,
// #training-summary (with data-behind), #training-records, per record ID #training-row-ID (with
// data-void) and #void-ID, the editor #void-editor with #void-reason and #void-save; the new
// record's #training-course, #training-hours, #training-date, #training-certificate and
// #training-record.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
import { halfHoursOf, validReason, withinLength, assessmentYearOf, completionDateOf, provinceToday } from './training-input.js';
export { strings } from './strings/assessment.js';

const TIERS = ['A', 'B', 'C'];
const PAGE = 50;

const currentYear = () => Number(provinceToday().slice(0, 4));

/** Marks `control` with `message` unless `ok`, focusing it; returns `ok`. */
function check(control, ok, message) {
  markInvalid(control, ok ? null : message);
  if (!ok) control.focus();
  return ok;
}

// ---- the annual assessment ---------------------------------------------------------------------

function tierCounts(assessment) {
  const tiers = assessment.tiers || {};
  return { a: tiers.A ?? 0, b: tiers.B ?? 0, c: tiers.C ?? 0 };
}

function components(result) {
  return t('assessment.components', {
    ratings: result.ratings,
    mean: result.rating_mean === null || result.rating_mean === undefined ? t('assessment.no_rating') : result.rating_mean.toFixed(2),
    attendances: result.attendances,
    declines: result.declines,
    no_shows: result.no_shows,
    penalties: result.penalties,
    hours: result.training_hours,
  });
}

/** One expert's tier set with a reason, in an unconfirmed year. */
function adjustEditor(year, result, slot, done) {
  const tier = h('select', { id: 'adjust-tier', 'data-field': 'tier' }, TIERS.map((x) => h('option', { value: x }, x)));
  tier.value = result.tier;
  const reason = h('textarea', { id: 'adjust-reason', rows: 3, maxlength: 500, 'data-field': 'reason' });
  return section(t('assessment.adjust_heading', { id: result.expert_id.slice(0, 8) }),
    h('form', { id: 'adjust-editor', novalidate: true },
      field(t('assessment.new_tier'), tier),
      field(t('assessment.reason'), reason, t('assessment.reason_hint')),
      action(t('assessment.save_tier'), async () => {
        if (!check(reason, validReason(reason.value), t('assessment.need_reason'))) return;
        // A refusal naming `reason` marks it (dom.js markServerField, by data-field).
        await api.post(`/api/v1/assessments/${year}/experts/${encodeURIComponent(result.expert_id)}/tier`,
          { tier: tier.value, reason: reason.value.trim() });
        toast(t('assessment.tier_saved'));
        await done();
      }, { slot, id: 'adjust-save', type: 'submit' })));
}

async function renderAssessment(ctx) {
  const slot = errorSlot();
  const year = h('input', { id: 'assessment-year', inputmode: 'numeric', maxlength: 4, value: ctx.params.year || String(currentYear() - 1) });
  const summary = h('div');
  const editor = h('div');
  const list = h('div', { id: 'assessment-results' });

  // `after`: the page's start (the previous page's `next`), empty for the first; `fixed`: the
  // year just acted on, kept whatever the box has been changed to since.
  const load = async (after = '', fixed = null) => {
    const chosen = fixed ?? assessmentYearOf(year.value, currentYear());
    if (!check(year, chosen !== null, t('assessment.bad_year'))) return;
    year.value = String(chosen);
    replace(editor);
    let page;
    try {
      page = await api.get(`/api/v1/assessments/${chosen}${api.query({ after, limit: PAGE })}`);
    } catch (error) {
      if (error.status !== 404) throw error;
      page = null;
    }
    if (!page) {
      replace(summary, h('div', { id: 'assessment-summary', 'data-status': 'none' },
        h('p', { class: 'muted' }, t('assessment.none', { year: chosen })),
        h('div', { class: 'buttons' }, computeAction(chosen, false))));
      replace(list);
      return;
    }
    const { assessment } = page;
    const confirmed = assessment.status === 'confirmed';
    const counts = tierCounts(assessment);
    replace(summary, h('div', { id: 'assessment-summary', 'data-status': assessment.status },
      h('dl', { class: 'facts' },
        h('dt', {}, t('assessment.status')), h('dd', {}, h('span', { class: `badge ${confirmed ? 'good' : 'warn'}` }, t(`assessment.status.${assessment.status}`))),
        h('dt', {}, t('assessment.experts')), h('dd', {}, String(assessment.experts)),
        h('dt', {}, t('assessment.tiers')), h('dd', {}, `A ${counts.a} · B ${counts.b} · C ${counts.c}`),
        h('dt', {}, t('assessment.computed_at')), h('dd', {}, formatTime(assessment.computed_at)),
        assessment.confirmed_at ? [h('dt', {}, t('assessment.confirmed_at')), h('dd', {}, formatTime(assessment.confirmed_at))] : null),
      confirmed
        ? h('p', { class: 'warning', role: 'status' }, t('assessment.read_only'))
        : h('div', { class: 'buttons' }, computeAction(chosen, true), confirmAction(chosen, assessment))));
    const columns = [
      { label: t('assessment.col.expert'), value: (r) => h('code', {}, r.expert_id) },
      { label: t('assessment.col.score'), value: (r) => r.score.toFixed(2) },
      { label: t('assessment.col.components'), value: (r) => components(r) },
      { label: t('assessment.col.proposed'), value: (r) => r.proposed_tier },
      { label: t('assessment.col.tier'), value: (r) => h('span', { id: `tier-${r.expert_id}` }, r.tier,
        r.tier !== r.proposed_tier || r.adjust_reason ? [' ', h('span', { class: 'badge warn' }, t('assessment.adjusted'))] : null) },
      { label: t('assessment.col.reason'), value: (r) => r.adjust_reason || '' },
    ];
    if (!confirmed) {
      columns.push({ label: t('common.actions'), value: (r) => h('button', { type: 'button', id: `adjust-${r.expert_id}`, on: { click: () => {
        replace(editor, adjustEditor(chosen, r, slot, async () => { replace(editor); await load(after, chosen); }));
        editor.scrollIntoView?.({ block: 'nearest' });
      } } }, t('assessment.adjust')) });
    }
    replace(list, table(columns, page.results, { empty: t('assessment.empty') }),
      h('div', { class: 'buttons' },
        after ? h('button', { type: 'button', id: 'assessment-first', on: { click: () => load('', chosen).catch((error) => slot.show(error)) } }, t('assessment.first_page')) : null,
        page.next ? h('button', { type: 'button', id: 'assessment-next', on: { click: () => load(page.next, chosen).catch((error) => slot.show(error)) } }, t('assessment.next_page')) : null));
  };

  // Computing again replaces an unconfirmed run and drops its adjustments, so it asks first.
  const computeAction = (chosen, again) => action(t(again ? 'assessment.recompute' : 'assessment.compute'), async () => {
    const ok = await confirmAct({
      heading: t('assessment.compute_heading', { year: chosen }),
      text: t('assessment.compute_confirm', { year: chosen }),
      confirm: t(again ? 'assessment.recompute' : 'assessment.compute'),
      danger: again,
    });
    if (!ok) return;
    const run = await api.post(`/api/v1/assessments/${chosen}/compute`);
    toast(t('assessment.computed', { year: chosen, experts: run?.experts ?? '' }));
    await load('', chosen);
  }, { slot, id: 'assessment-compute', kind: again ? '' : 'primary' });

  const confirmAction = (chosen, assessment) => action(t('assessment.confirm'), async () => {
    const ok = await confirmAct({
      heading: t('assessment.confirm_heading', { year: chosen }),
      text: t('assessment.confirm_text', { experts: assessment.experts, ...tierCounts(assessment) }),
      confirm: t('assessment.confirm'),
    });
    if (!ok) return;
    await api.post(`/api/v1/assessments/${chosen}/confirm`);
    toast(t('assessment.confirmed', { year: chosen }));
    await load('', chosen);
  }, { slot, id: 'assessment-confirm' });

  const show = action(t('assessment.show'), () => load(), { slot, id: 'assessment-show', type: 'submit' });
  // A year in the address (#/admin/assessment?year=2025) is shown at once; otherwise the admin
  // picks one first.
  if (ctx.params.year) await load().catch((error) => slot.show(error));
  return h('div', {},
    h('h1', {}, t('assessment.heading')),
    h('p', { class: 'muted' }, t('assessment.intro')),
    h('form', { class: 'inline card', novalidate: true }, field(t('assessment.year'), year, t('assessment.year_hint')), show),
    slot.node, summary, editor, list);
}

// ---- training records --------------------------------------------------------------------------

/** A record voided with a reason, after a confirmation naming it. */
function voidEditor(expertId, record, slot, done) {
  const reason = h('textarea', { id: 'void-reason', rows: 3, maxlength: 500, 'data-field': 'reason' });
  return section(t('training.void_heading'),
    h('form', { id: 'void-editor', novalidate: true },
      h('p', {}, `${record.date} · ${record.course} · ${record.hours}`),
      field(t('training.void_reason'), reason, t('training.void_hint')),
      action(t('training.void_button'), async () => {
        if (!check(reason, validReason(reason.value), t('training.need_reason'))) return;
        const ok = await confirmAct({
          heading: t('training.void_heading'),
          text: t('training.void_confirm', { course: record.course, date: record.date, hours: record.hours }),
          confirm: t('training.void_button'),
        });
        if (!ok) return;
        await api.post(`/api/v1/experts/${encodeURIComponent(expertId)}/training/${encodeURIComponent(record.record_id)}/void`,
          { reason: reason.value.trim() });
        toast(t('training.voided'));
        await done();
      }, { slot, id: 'void-save', kind: 'danger', type: 'submit' })));
}

/** The form for a new record of `expertId`'s; every field checked here before the server does. */
function recordForm(expertId, slot, done) {
  const course = h('input', { id: 'training-course', maxlength: 200, autocomplete: 'off', 'data-field': 'course' });
  const hours = h('input', { id: 'training-hours', inputmode: 'decimal', maxlength: 6, autocomplete: 'off', 'data-field': 'hours' });
  const date = h('input', { id: 'training-date', type: 'date', max: provinceToday(), 'data-field': 'date' });
  const certificate = h('input', { id: 'training-certificate', maxlength: 100, autocomplete: 'off', 'data-field': 'certificate_ref' });
  return section(t('training.new'),
    h('form', { id: 'training-form', novalidate: true },
      field(t('training.course'), course, t('training.course_hint')),
      field(t('training.hours'), hours, t('training.hours_hint')),
      field(t('training.date'), date),
      field(t('training.certificate'), certificate, t('training.certificate_hint')),
      action(t('training.record'), async () => {
        // Every field is marked at once, the first wrong one focused.
        const problems = [
          [course, withinLength(course.value, 1, 200), t('training.bad_course')],
          [hours, halfHoursOf(hours.value) !== null, t('training.bad_hours')],
          [date, completionDateOf(date.value, provinceToday()) !== null, t('training.bad_date')],
          [certificate, withinLength(certificate.value, 1, 100), t('training.bad_certificate')],
        ].filter(([control, ok, message]) => !markInvalid(control, ok ? null : message));
        if (problems.length) { problems[0][0].focus(); return; }
        await api.post(`/api/v1/experts/${encodeURIComponent(expertId)}/training`, {
          course: course.value.trim(),
          hours: halfHoursOf(hours.value),
          date: date.value,
          certificate_ref: certificate.value.trim(),
        });
        for (const control of [course, hours, date, certificate]) control.value = '';
        toast(t('training.recorded'));
        await done();
      }, { slot, id: 'training-record', type: 'submit' })));
}

function renderTraining(ctx) {
  const slot = errorSlot();
  const expert = h('input', { id: 'training-expert', autocomplete: 'off', maxlength: 64, value: ctx.params.expert || '' });
  const shown = h('div');
  const editor = h('div');

  const load = async () => {
    const expertId = expert.value.trim();
    if (!check(expert, expertId !== '', t('training.need_expert'))) return;
    replace(editor);
    const summary = await api.get(`/api/v1/experts/${encodeURIComponent(expertId)}/training`);
    const reload = async () => { replace(editor); await load(); };
    replace(shown,
      h('p', { id: 'training-summary', 'data-behind': String(summary.behind) },
        t('training.summary', { hours: summary.hours_last_12_months, required: summary.required_hours, from: summary.window_from, through: summary.window_through }),
        ' ', h('span', { class: `badge ${summary.behind ? 'bad' : 'good'}` }, t(summary.behind ? 'training.behind' : 'training.current'))),
      h('div', { class: 'columns-1-2' },
        recordForm(expertId, slot, reload),
        h('div', {}, section(t('training.records'), h('div', { id: 'training-records' }, table([
          { label: t('training.col.date'), value: (r) => h('span', { id: `training-row-${r.record_id}`, 'data-void': String(Boolean(r.voided_at)) }, r.date) },
          { label: t('training.col.course'), value: (r) => r.course },
          { label: t('training.col.hours'), value: (r) => String(r.hours) },
          { label: t('training.col.certificate'), value: (r) => r.certificate_ref },
          { label: t('training.col.recorded_at'), value: (r) => formatTime(r.recorded_at) },
          { label: t('common.status'), value: (r) => (r.voided_at
            ? h('span', {}, h('span', { class: 'badge bad' }, t('training.void')), ' ', t('training.void_at', { at: formatTime(r.voided_at), reason: r.void_reason || '' }))
            : h('span', {}, h('span', { class: 'badge good' }, t('training.valid')), r.corrects ? ` ${t('training.corrects', { id: r.corrects.slice(0, 8) })}` : '')) },
          { label: t('common.actions'), value: (r) => (r.voided_at ? '' : h('button', { type: 'button', class: 'danger', id: `void-${r.record_id}`, on: { click: () => {
            replace(editor, voidEditor(expertId, r, slot, reload));
            editor.scrollIntoView?.({ block: 'nearest' });
          } } }, t('training.void_button'))) },
        ], summary.records, { empty: t('training.none') }))), editor)));
  };

  const show = action(t('training.show'), () => load(), { slot, id: 'training-show', type: 'submit' });
  // An expert in the address (#/admin/training?expert=…) is shown at once.
  if (ctx.params.expert) load().catch((error) => slot.show(error));
  return h('div', {},
    h('h1', {}, t('training.heading')),
    h('p', { class: 'muted' }, t('training.intro')),
    h('form', { class: 'inline card', novalidate: true }, field(t('training.expert'), expert), show),
    slot.node, shown);
}

export const views = {
  'admin/assessment': { roles: ['admin'], nav: 'assessment.nav.assessment', render: renderAssessment },
  'admin/training': { roles: ['admin'], nav: 'assessment.nav.training', render: async (ctx) => renderTraining(ctx) },
};
