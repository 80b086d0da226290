// Administrator screens: importing the pool (with every bad line listed), expert logins,
// experts' requests to change their employer and ties, accounts, and which keys are in force.
//
// Ids for tests: #import-file, #import-submit, #import-result, #import-problems; experts:
// #experts-region, #experts-specialty, #experts-search, #issue-login-<expert id>, #issued-login;
// accounts: #account-username, #account-role, #account-password, #account-center,
// #account-region, #account-create, #account-created, buttons #disable-<username>,
// #enable-<username>, #revoke-<username>; keys: #key-status; change requests: #changes-status,
// #changes-list, per request ID #change-row-ID and #change-open-ID, the opened one
// #change-detail with #change-approve, #change-refuse-reason and #change-refuse.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
import { regionPicker, regionNames, regionSelect, countyOf } from './region-picker.js';
export { strings } from './strings/admin.js';

const ROLES = ['center', 'supervisor', 'admin', 'expert'];

// ---- import ------------------------------------------------------------------------------------

function renderImport() {
  const slot = errorSlot();
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const bar = h('progress', { id: 'import-progress', max: 1, value: 0, hidden: true, 'aria-label': t('admin.import.progress_label') });
  const progress = h('p', { id: 'import-progress-text', class: 'muted', role: 'status', 'aria-live': 'polite' });
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson' });
  const submit = action(t('admin.import.submit'), async () => {
    replace(result);
    const chosen = file.files?.[0];
    if (!chosen) throw new Error(t('admin.import.no_file'));
    const name = chosen.name.toLowerCase();
    const type = name.endsWith('.csv') ? 'text/csv' : (name.endsWith('.jsonl') || name.endsWith('.ndjson')) ? 'application/x-ndjson' : null;
    if (!type) throw new Error(t('admin.import.type'));
    // Rows counted here to say what the server is checking; the server counts for itself.
    const text = await chosen.text();
    const lines = text.split(/\r?\n/).filter((line) => line.trim()).length;
    const rows = type === 'text/csv' ? Math.max(lines - 1, 0) : lines;
    bar.hidden = false;
    bar.max = chosen.size || 1;
    bar.value = 0;
    try {
      const summary = await api.upload('/api/v1/experts/import', chosen, type, (sent, total) => {
        bar.max = total || 1;
        bar.value = sent;
        replace(progress, sent >= total
          ? t('admin.import.checking', { rows })
          : t('admin.import.uploading', { sent: Math.round(sent / 1024), total: Math.round(total / 1024), rows }));
      });
      replace(progress, t('admin.import.processed', { rows }));
      replace(result, h('p', { class: 'ok', role: 'status' }, t('admin.import.done', summary)));
      toast(t('admin.import.done', summary));
    } catch (error) {
      replace(progress);
      bar.hidden = true;
      if (!Array.isArray(error.problems)) throw error;
      replace(result,
        h('p', { class: 'error', role: 'alert' }, t('admin.import.refused'), ' ', error.detail || ''),
        h('div', { id: 'import-problems' }, table([
          { label: t('admin.col.line'), value: (p) => String(p.line) },
          { label: t('admin.col.field'), value: (p) => (p.field ? h('code', {}, p.field) : '') },
          { label: t('admin.col.problem'), value: (p) => p.problem },
        ], error.problems)));
    }
  }, { slot, id: 'import-submit' });
  return h('div', {},
    h('h1', {}, t('admin.import.heading')),
    section(t('admin.import.heading'), h('p', {}, t('admin.import.intro')), field(t('admin.import.file'), file), slot.node, h('div', { class: 'buttons' }, submit), bar, progress),
    result);
}

// ---- experts -----------------------------------------------------------------------------------

function renderExperts() {
  const slot = errorSlot();
  const issued = h('div', { id: 'issued-login', 'aria-live': 'polite' });
  const region = h('input', { id: 'experts-region', inputmode: 'numeric', maxlength: 6 });
  const specialty = h('input', { id: 'experts-specialty', maxlength: 7 });
  const list = h('div');
  const editor = h('div');
  let next = null;
  const load = async (after) => {
    const page = await api.get(`/api/v1/experts${api.query({ region: region.value.trim(), specialty: specialty.value.trim(), after, limit: 50 })}`);
    next = page.next;
    replace(list, table([
      { label: t('admin.col.expert'), value: (e) => h('code', {}, e.expert_id) },
      { label: t('admin.col.region'), value: (e) => e.region_code },
      { label: t('admin.col.specialties'), value: (e) => e.specialties.join(', ') },
      { label: t('admin.col.title'), value: (e) => t(`admin.title.${e.title_level}`) },
      { label: t('common.status'), value: (e) => t(`admin.status.${e.status}`) },
      { label: t('admin.col.credit'), value: (e) => String(e.credit_score) },
      { label: t('admin.col.draws'), value: (e) => `${e.draws}/${e.attendances}/${e.declines}/${e.no_shows}` },
      { label: t('common.actions'), value: (e) => h('span', { class: 'buttons' }, action(t('admin.experts.issue_login'), async () => {
        const login = await api.post(`/api/v1/experts/${encodeURIComponent(e.expert_id)}/login`);
        replace(issued, h('p', { class: 'warning', role: 'status' }, t('admin.experts.issued', { username: login.username, code: login.activation_code, expires: formatTime(login.expires_at) })));
      }, { slot, kind: '', id: `issue-login-${e.expert_id}` }),
      h('button', { type: 'button', id: `manage-${e.expert_id}`, on: { click: () => {
        replace(editor, expertEditor(e, slot, async () => { replace(editor); await load(); }));
        editor.scrollIntoView({ block: 'nearest' });
      } } }, t('admin.experts.manage'))) },
    ], page.experts), next ? h('button', { type: 'button', on: { click: () => load(next).catch((error) => slot.show(error)) } }, t('admin.experts.more')) : null);
  };
  const search = action(t('admin.experts.search'), () => load(), { slot, id: 'experts-search' });
  load().catch((error) => slot.show(error));
  return h('div', {},
    h('h1', {}, t('admin.experts.heading')),
    h('div', { class: 'inline card' }, field(t('admin.experts.region'), region), field(t('admin.experts.specialty'), specialty), search),
    slot.node, issued, editor, list);
}

const EXPERT_STATUSES = ['active', 'suspended', 'retired', 'removed'];

/**
 * An expert's status (suspend until a date, retire, remove, reinstate) and a penalty on
 * record (违规记录): both with a reason code, after a confirmation; both logged, and both keep
 * the expert out of draws while in force. Ids: #expert-editor, #expert-status, #expert-until,
 * #expert-status-reason, #expert-status-save, #penalty-reason, #penalty-until, #penalty-save.
 */
function expertEditor(expert, slot, done) {
  const status = h('select', { id: 'expert-status', 'data-field': 'status' },
    EXPERT_STATUSES.map((s) => h('option', { value: s }, t(`admin.status.${s}`))));
  status.value = expert.status;
  const until = h('input', { id: 'expert-until', type: 'date', 'data-field': 'suspended_until' });
  const statusReason = h('input', { id: 'expert-status-reason', maxlength: 40, 'data-field': 'reason_code', placeholder: 'request' });
  const penaltyReason = h('input', { id: 'penalty-reason', maxlength: 40, 'data-field': 'reason_code', placeholder: 'absence' });
  const penaltyUntil = h('input', { id: 'penalty-until', type: 'date', 'data-field': 'until' });
  const code = /^[a-z][a-z0-9_]{1,39}$/;
  return section(t('admin.expert.heading', { id: expert.expert_id.slice(0, 8) }),
    h('div', { id: 'expert-editor' },
      h('form', { id: 'expert-status-form', novalidate: true },
        h('h3', {}, t('admin.expert.status')),
        field(t('common.status'), status),
        field(t('admin.expert.until'), until, t('admin.expert.until_hint')),
        field(t('admin.expert.reason_code'), statusReason, t('admin.expert.reason_hint')),
        action(t('admin.expert.status_save'), async () => {
          if (!markInvalid(statusReason, code.test(statusReason.value.trim()) ? null : t('admin.expert.reason_hint'))) return;
          if (!markInvalid(until, status.value !== 'suspended' || until.value ? null : t('admin.expert.until_hint'))) return;
          const ok = await confirmAct({
            heading: t('admin.expert.status'),
            text: t('admin.expert.status_confirm', { status: t(`admin.status.${status.value}`) }),
            confirm: t('admin.expert.status_save'),
            danger: status.value !== 'active',
          });
          if (!ok) return;
          const body = { status: status.value, reason_code: statusReason.value.trim() };
          if (status.value === 'suspended') body.suspended_until = until.value;
          await api.post(`/api/v1/experts/${encodeURIComponent(expert.expert_id)}/status`, body);
          toast(t('admin.expert.saved'));
          await done();
        }, { slot, id: 'expert-status-save' })),
      h('form', { id: 'penalty-form', novalidate: true },
        h('h3', {}, t('admin.expert.penalty')),
        field(t('admin.expert.reason_code'), penaltyReason, t('admin.expert.penalty_hint')),
        field(t('admin.expert.penalty_until'), penaltyUntil, t('admin.expert.penalty_until_hint')),
        action(t('admin.expert.penalty_save'), async () => {
          if (!markInvalid(penaltyReason, code.test(penaltyReason.value.trim()) ? null : t('admin.expert.penalty_hint'))) return;
          const ok = await confirmAct({
            heading: t('admin.expert.penalty'),
            text: t('admin.expert.penalty_confirm', { until: penaltyUntil.value || t('admin.expert.indefinite') }),
            confirm: t('admin.expert.penalty_save'),
          });
          if (!ok) return;
          const body = { reason_code: penaltyReason.value.trim() };
          if (penaltyUntil.value) body.until = penaltyUntil.value;
          await api.post(`/api/v1/experts/${encodeURIComponent(expert.expert_id)}/penalties`, body);
          toast(t('admin.expert.penalty_saved'));
          await done();
        }, { slot, id: 'penalty-save', kind: 'danger' }))));
}

// ---- change requests ---------------------------------------------------------------------------

const CHANGE_STATUSES = ['pending', 'approved', 'refused', 'withdrawn'];

function changeParts(parts) {
  const items = [];
  if (parts.employer) items.push(t('admin.changes.part_employer'));
  if (parts.ties) {
    const counts = Object.entries(parts.ties).map(([kind, n]) => `${t(`admin.tie.${kind}`)} ${n}`);
    items.push(`${t('admin.changes.part_ties')}（${counts.join('、') || t('common.none')}）`);
  }
  return items.join('；');
}

/** One opened request: the values asked for (reading them was logged) and the decision. */
function changeDetail(request, slot, done) {
  const facts = [];
  const fact = (label, value) => { if (value) facts.push(h('dt', {}, t(label)), h('dd', {}, value)); };
  fact('admin.col.expert', h('code', {}, request.expert_id));
  fact('admin.changes.asked_at', formatTime(request.created_at));
  if (request.employer) fact('admin.changes.employer', `${request.employer.name}（${request.employer.credit_code}），${t('admin.changes.since', { since: request.employer.since })}`);
  if (request.ties) {
    fact('admin.changes.ties', request.ties.length
      ? h('ul', {}, request.ties.map((tie) => h('li', {}, `${t(`admin.tie.${tie.kind}`)} · ${tie.credit_code} · ${tie.from || '…'} – ${tie.to || t('admin.changes.holds')}`)))
      : t('admin.changes.no_ties'));
  }
  fact('admin.changes.note', request.note);
  fact('admin.changes.reason', request.decision_reason);
  const parts = [h('h2', {}, t('admin.changes.detail')), h('p', { class: 'muted' }, t('admin.changes.logged')), h('dl', { class: 'facts' }, facts)];
  if (request.status === 'pending') {
    const reason = h('input', { id: 'change-refuse-reason', maxlength: 500, autocomplete: 'off' });
    const path = `/api/v1/change-requests/${encodeURIComponent(request.request_id)}`;
    const approve = action(t('admin.changes.approve'), async () => {
      await api.post(`${path}/approve`);
      toast(t('admin.changes.approved'));
      await done();
    }, { slot, id: 'change-approve' });
    const refuse = action(t('admin.changes.refuse'), async () => {
      const text = reason.value.trim();
      const length = Array.from(text).length;
      markInvalid(reason, length >= 10 && length <= 500 ? null : t('admin.changes.need_reason'));
      if (length < 10 || length > 500) { reason.focus(); return; }
      try {
        await api.post(`${path}/refuse`, { reason: text });
      } catch (error) {
        if (error.field === 'reason') markInvalid(reason, error.detail);
        throw error;
      }
      toast(t('admin.changes.refused'));
      await done();
    }, { slot, id: 'change-refuse', kind: 'danger' });
    parts.push(h('div', { class: 'buttons' }, approve),
      h('div', { class: 'inline' }, field(t('admin.changes.refuse_reason'), reason, t('admin.changes.refuse_hint')), refuse));
  }
  return h('section', { class: 'card', id: 'change-detail', 'data-status': request.status }, parts);
}

async function renderChanges() {
  const slot = errorSlot();
  const status = h('select', { id: 'changes-status' },
    h('option', { value: '' }, t('admin.changes.all')),
    CHANGE_STATUSES.map((s) => h('option', { value: s, selected: s === 'pending' }, t(`admin.changes.status.${s}`))));
  const list = h('div', { id: 'changes-list' });
  const detail = h('div');
  const refresh = async () => {
    const requests = await api.get(`/api/v1/change-requests${api.query({ status: status.value, limit: 100 })}`);
    replace(list, table([
      { label: t('admin.changes.asked_at'), value: (r) => formatTime(r.created_at) },
      { label: t('admin.col.expert'), value: (r) => h('code', {}, r.expert_id) },
      { label: t('admin.changes.parts'), value: (r) => changeParts(r.parts) },
      { label: t('common.status'), value: (r) => h('span', { id: `change-row-${r.request_id}` }, t(`admin.changes.status.${r.status}`)) },
      { label: t('common.actions'), value: (r) => action(t('admin.changes.open'), async () => {
        const opened = await api.get(`/api/v1/change-requests/${encodeURIComponent(r.request_id)}`);
        replace(detail, changeDetail(opened, slot, async () => { replace(detail); await refresh(); }));
        document.getElementById('change-detail')?.scrollIntoView?.({ block: 'nearest' });
      }, { slot, kind: '', id: `change-open-${r.request_id}` }) },
    ], requests, { empty: t('admin.changes.none') }));
  };
  status.addEventListener('change', () => { replace(detail); refresh().catch((error) => slot.show(error)); });
  await refresh();
  return h('div', {},
    h('h1', {}, t('admin.changes.heading')),
    h('p', { class: 'muted' }, t('admin.changes.intro')),
    h('div', { class: 'inline card' }, field(t('admin.changes.filter'), status)),
    slot.node, list, detail);
}

// ---- accounts ----------------------------------------------------------------------------------

/** A supervisor's jurisdiction in words: regions by name, industry departments by name. */
function scopeText(scope, regions, industries) {
  if (!scope || (!scope.regions.length && !scope.industries.length)) return t('admin.scope.province_wide');
  const where = scope.regions.length ? regionNames(regions, scope.regions) : t('admin.scope.any_region');
  const what = scope.industries.length
    ? scope.industries.map((code) => industries.find((i) => i.code === code)?.name_zh || code).join('、')
    : t('admin.scope.any_industry');
  return `${where} · ${what}`;
}

/**
 * The jurisdiction of `account` (a supervisor): prefectures in the region picker and industry
 * departments as checkboxes; both left empty is province-wide. Saving is an audited admin act.
 */
function scopeEditor(account, regions, industries, slot, done) {
  const picker = regionPicker(regions, { id: 'scope-regions', legend: t('admin.scope.regions'), hint: t('admin.scope.regions_hint') });
  picker.choose(account.scope?.regions || []);
  // Single counties (set through the API or `sealdraw user add`) are not in the prefecture
  // picker: they are listed to keep or drop, so saving never loses one unseen.
  const countyBoxes = (account.scope?.regions || []).filter((code) => countyOf(regions, code))
    .map((code) => h('input', { type: 'checkbox', id: `scope-county-${code}`, value: code, checked: true }));
  const counties = countyBoxes.length
    ? h('fieldset', { id: 'scope-counties' }, h('legend', {}, t('admin.scope.counties')),
      h('ul', { class: 'plain' }, countyBoxes.map((box) => h('li', {}, h('span', { class: 'choice' }, box, ' ',
        h('label', { for: box.id }, regionNames(regions, [box.value])))))))
    : null;
  const boxes = industries.map((i) => h('input', { type: 'checkbox', id: `scope-industry-${i.code}`, value: i.code,
    checked: Boolean(account.scope?.industries?.includes(i.code)) }));
  const list = h('fieldset', { id: 'scope-industries' }, h('legend', {}, t('admin.scope.industries')),
    h('p', { class: 'hint' }, t('admin.scope.industries_hint')),
    h('ul', { class: 'plain' }, industries.map((i, n) => h('li', {}, h('span', { class: 'choice' }, boxes[n], ' ',
      h('label', { for: boxes[n].id }, i.name_zh))))));
  return section(t('admin.scope.heading', { name: account.username }),
    h('div', { id: 'scope-editor' }, picker.node, counties, list,
      action(t('admin.scope.save'), async () => {
        await api.put(`/api/v1/accounts/${encodeURIComponent(account.username)}/scope`, {
          regions: [...picker.chosen(), ...countyBoxes.filter((b) => b.checked).map((b) => b.value)],
          industries: boxes.filter((b) => b.checked).map((b) => b.value),
        });
        toast(t('admin.scope.saved'));
        await done();
      }, { slot, id: 'scope-save' })));
}

/** A center's name and region (its region from Hubei's list). Saving is logged. */
function centerEditor(account, regions, slot, done) {
  const name = h('input', { id: 'edit-center-name', maxlength: 100, value: account.center_name || '', 'data-field': 'center_name' });
  const region = regionSelect(regions, { id: 'edit-center-region', emptyLabel: t('admin.edit.region_keep') });
  region.dataset.field = 'region_code';
  region.value = account.region_code || '';
  return section(t('admin.edit.heading', { name: account.username }),
    h('div', { id: 'center-editor' }, field(t('admin.accounts.center'), name), field(t('admin.edit.region'), region),
      action(t('admin.edit.save'), async () => {
        const body = { center_name: name.value.trim() };
        if (region.value) body.region_code = region.value;
        await api.patch(`/api/v1/accounts/${encodeURIComponent(account.username)}`, body);
        toast(t('admin.edit.saved'));
        await done();
      }, { slot, id: 'edit-center-save' })));
}

/** A supervisor's or admin's display name, the name others pick them by. Saving is logged. */
function nameEditor(account, slot, done) {
  const name = h('input', { id: 'edit-display-name', maxlength: 64, value: account.display_name || '', 'data-field': 'display_name' });
  return section(t('admin.edit.name_heading', { name: account.username }),
    h('div', { id: 'name-editor' }, field(t('admin.accounts.display_name'), name, t('admin.accounts.display_name_hint')),
      action(t('admin.edit.save'), async () => {
        await api.patch(`/api/v1/accounts/${encodeURIComponent(account.username)}`, { display_name: name.value.trim() });
        toast(t('admin.edit.saved'));
        await done();
      }, { slot, id: 'edit-name-save' })));
}

/** A lost activation code of an expert's login, replaced after saying what happens. */
function reissueAction(account, slot, shown) {
  return action(t('admin.reissue.button'), async () => {
    const ok = await confirmAct({
      heading: t('admin.reissue.heading', { name: account.username }),
      text: t('admin.reissue.confirm', { name: account.username }),
      confirm: t('admin.reissue.button'),
    });
    if (!ok) return;
    const issued = await api.post(`/api/v1/accounts/${encodeURIComponent(account.username)}/activation`);
    replace(shown, h('p', { class: 'warning', role: 'status', id: 'reissued-code' },
      t('admin.reissue.issued', { username: issued.username, code: issued.activation_code, expires: formatTime(issued.expires_at) })));
  }, { slot, kind: '', id: `reissue-${account.username}` });
}

async function renderAccounts() {
  const slot = errorSlot();
  const created = h('div', { id: 'account-created', 'aria-live': 'polite' });
  const list = h('div');
  const editor = h('div');
  const [regions, industries] = await Promise.all([api.get('/api/v1/regions'), api.get('/api/v1/industries')]);
  const refresh = async () => {
    const accounts = await api.get('/api/v1/accounts');
    replace(list, table([
      { label: t('admin.accounts.username'), value: (a) => a.username },
      { label: t('admin.accounts.role'), value: (a) => t(`role.${a.role}`) + (a.center_name ? ` · ${a.center_name}` : '') + (a.display_name ? ` · ${a.display_name}` : '') },
      { label: t('admin.accounts.scope'), value: (a) => (a.role === 'supervisor' ? h('span', { id: `scope-of-${a.username}` }, scopeText(a.scope, regions, industries)) : '') },
      { label: t('common.status'), value: (a) => h('span', { class: `badge ${a.disabled ? 'bad' : 'good'}` }, t(a.disabled ? 'admin.accounts.disabled' : 'admin.accounts.active')) },
      { label: t('admin.accounts.created_at'), value: (a) => formatTime(a.created_at) },
      { label: t('common.actions'), value: (a) => h('span', { class: 'buttons' },
        a.disabled
          ? accountAction(a, 'enable', slot, refresh)
          : accountAction(a, 'disable', slot, refresh),
        accountAction(a, 'revoke', slot, refresh),
        a.role === 'expert' ? reissueAction(a, slot, created) : null,
        a.role === 'center'
          ? h('button', { type: 'button', id: `edit-${a.username}`, on: { click: () => {
            replace(editor, centerEditor(a, regions, slot, async () => { replace(editor); await refresh(); }));
            editor.scrollIntoView({ block: 'nearest' });
          } } }, t('admin.edit.button'))
          : null,
        a.role === 'supervisor' || a.role === 'admin'
          ? h('button', { type: 'button', id: `name-${a.username}`, on: { click: () => {
            replace(editor, nameEditor(a, slot, async () => { replace(editor); await refresh(); }));
            editor.scrollIntoView({ block: 'nearest' });
          } } }, t('admin.edit.name'))
          : null,
        a.role === 'supervisor'
          ? h('button', { type: 'button', id: `scope-${a.username}`, on: { click: () => {
            replace(editor, scopeEditor(a, regions, industries, slot, async () => { replace(editor); await refresh(); }));
            editor.scrollIntoView({ block: 'nearest' });
          } } }, t('admin.scope.edit'))
          : null) },
    ], Array.isArray(accounts) ? accounts : accounts.accounts || []));
  };
  // A server problem naming one of these fields marks it (dom.js markServerField).
  const username = h('input', { id: 'account-username', autocomplete: 'off', required: true, 'data-field': 'username' });
  const role = h('select', { id: 'account-role', 'data-field': 'role' }, ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))));
  const password = h('input', { id: 'account-password', type: 'password', autocomplete: 'new-password', minlength: 12, 'data-field': 'password' });
  const center = h('input', { id: 'account-center', 'data-field': 'center_name' });
  const displayName = h('input', { id: 'account-display-name', maxlength: 64, 'data-field': 'display_name' });
  const region = h('input', { id: 'account-region', inputmode: 'numeric', maxlength: 6, 'data-field': 'region_code' });
  const create = action(t('admin.accounts.create'), async () => {
    const body = { username: username.value.trim(), role: role.value, password: password.value };
    if (center.value.trim()) body.center_name = center.value.trim();
    if (displayName.value.trim()) body.display_name = displayName.value.trim();
    if (region.value.trim()) body.region_code = region.value.trim();
    const account = await api.post('/api/v1/accounts', body);
    password.value = '';
    replace(created, h('div', { class: 'ok', role: 'status' }, t('admin.accounts.created', { username: body.username }),
      account.totp_secret ? h('p', {}, t('admin.accounts.totp'), ' ', h('code', {}, account.totp_secret)) : null));
    await refresh();
  }, { slot, id: 'account-create', type: 'submit' });
  await refresh();
  return h('div', {},
    h('h1', {}, t('admin.accounts.heading')),
    h('div', { class: 'columns-1-2' },
      section(t('admin.accounts.new'), h('form', { id: 'account-form', novalidate: true },
        field(t('admin.accounts.username'), username), field(t('admin.accounts.role'), role),
        field(t('admin.accounts.password'), password, t('admin.accounts.password_hint')),
        field(t('admin.accounts.display_name'), displayName, t('admin.accounts.display_name_hint')),
        field(t('admin.accounts.center'), center), field(t('admin.accounts.region'), region),
        slot.node, create, created)),
      h('div', {}, section(t('admin.accounts.heading'), list), editor)));
}

function accountAction(account, kind, slot, refresh) {
  const path = { disable: 'disable', enable: 'enable', revoke: 'revoke-tokens' }[kind];
  return action(t(`admin.accounts.${kind}`), async () => {
    // Disabling locks a person out at once (the server also refuses the last enabled admin).
    if (kind === 'disable') {
      const ok = await confirmAct({
        heading: t(`admin.accounts.${kind}_heading`, { name: account.username }),
        text: t(`admin.accounts.${kind}_confirm`, { name: account.username, role: t(`role.${account.role}`) }),
        confirm: t(`admin.accounts.${kind}`),
      });
      if (!ok) return;
    }
    await api.post(`/api/v1/accounts/${encodeURIComponent(account.username)}/${path}`);
    toast(t('admin.accounts.done'));
    await refresh();
  }, { slot, kind: kind === 'enable' ? '' : 'danger', id: `${kind}-${account.username}` });
}

// ---- keys --------------------------------------------------------------------------------------

async function renderKeys() {
  const status = await api.get('/api/v1/keys');
  const older = status.sealing_keys.filter((id) => id !== status.active_sealing_key);
  return h('div', { id: 'key-status' },
    h('h1', {}, t('admin.keys.heading')),
    h('p', { class: 'muted' }, t('admin.keys.intro')),
    h('div', { class: 'columns' },
      section(t('admin.keys.sealing'),
        h('p', {}, t('admin.keys.suite'), ': ', h('code', {}, status.suite)),
        h('p', {}, t('admin.keys.active'), ': ', h('code', {}, status.active_sealing_key)),
        older.length ? h('p', { class: 'warning' }, t('admin.keys.older'), ': ', older.map((id) => h('code', {}, id, ' '))) : null),
      section(t('admin.keys.log'),
        h('p', {}, t('admin.keys.origin'), ': ', h('code', {}, status.log.origin)),
        h('p', {}, t('admin.keys.checkpoint', { size: status.log.checkpoint_size, cosignatures: status.log.checkpoint_cosignatures })),
        h('h3', {}, t('admin.keys.signing')),
        h('ul', {}, status.log.signing_keys.map((k) => h('li', {}, h('code', {}, k.id), k.active ? '' : ` (${t('admin.keys.retired')})`))),
        h('h3', {}, t('admin.keys.vkeys')),
        status.log.verifier_keys.map((v) => h('p', { class: 'mono' }, v)))));
}

export const views = {
  'admin/import': { roles: ['admin'], nav: 'admin.nav.import', render: async () => renderImport() },
  'admin/experts': { roles: ['admin'], nav: 'admin.nav.experts', render: async () => renderExperts() },
  'admin/changes': { roles: ['admin'], nav: 'admin.nav.changes', render: renderChanges },
  'admin/accounts': { roles: ['admin'], nav: 'admin.nav.accounts', render: renderAccounts },
  'admin/keys': { roles: ['admin', 'supervisor'], nav: 'admin.nav.keys', render: renderKeys },
};
