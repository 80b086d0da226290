// Administrator screens: importing the pool (with every bad line listed), expert logins,
// accounts, and which keys are in force.
//
// Ids for tests: #import-file, #import-submit, #import-result, #import-problems; experts:
// #experts-region, #experts-specialty, #experts-search, #issue-login-<expert id>, #issued-login;
// accounts: #account-username, #account-role, #account-password, #account-center,
// #account-region, #account-create, #account-created, buttons #disable-<username>,
// #enable-<username>, #revoke-<username>; keys: #key-status.

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, toast, section } from './dom.js';
import { t, formatTime } from './i18n.js';

export const strings = {
  zh: {
    'admin.nav.import': '专家导入',
    'admin.nav.experts': '专家库',
    'admin.nav.accounts': '账户',
    'admin.nav.keys': '密钥状态',
    'admin.import.heading': '导入评标专家',
    'admin.import.intro': '上传 CSV（首行为列名）或 JSON Lines 文件。服务器先校验所有行；任何一行有问题则不写入任何数据，并逐行列出问题。身份信息在服务器上加密保存。',
    'admin.import.file': '专家文件（.csv 或 .jsonl）',
    'admin.import.submit': '校验并导入',
    'admin.import.done': '已导入：共 {rows} 行，新增 {inserted}，更新 {updated}。',
    'admin.import.refused': '导入被拒绝，未写入任何数据。请更正以下各行后重新上传。',
    'admin.import.no_file': '请先选择文件。',
    'admin.import.type': '文件须为 .csv 或 .jsonl。',
    'admin.col.line': '行',
    'admin.col.field': '字段',
    'admin.col.problem': '问题',
    'admin.experts.heading': '专家库（不含身份信息）',
    'admin.experts.region': '地区代码前缀',
    'admin.experts.specialty': '专业代码前缀',
    'admin.experts.search': '查询',
    'admin.experts.more': '下一页',
    'admin.col.expert': '专家编号',
    'admin.col.region': '地区',
    'admin.col.specialties': '专业',
    'admin.col.title': '职称',
    'admin.col.credit': '信用分',
    'admin.col.draws': '抽中/到场/拒绝/缺席',
    'admin.experts.issue_login': '开通登录',
    'admin.experts.issued': '已为专家开通登录。请通过可信渠道将以下信息交给专家本人（仅显示一次）：用户名 {username}，激活码 {code}，有效期至 {expires}。',
    'admin.status.active': '在库',
    'admin.status.suspended': '暂停',
    'admin.status.retired': '退出',
    'admin.status.removed': '清退',
    'admin.title.1': '中级',
    'admin.title.2': '副高级',
    'admin.title.3': '正高级',
    'admin.accounts.heading': '账户',
    'admin.accounts.new': '新建账户',
    'admin.accounts.username': '用户名',
    'admin.accounts.role': '角色',
    'admin.accounts.password': '初始密码',
    'admin.accounts.password_hint': '至少 12 个字符，不能是常见密码或包含用户名；请通过可信渠道交给使用者。',
    'admin.accounts.center': '交易中心名称（交易中心账户）',
    'admin.accounts.region': '地区代码（交易中心账户）',
    'admin.accounts.create': '创建账户',
    'admin.accounts.created': '账户 {username} 已创建。',
    'admin.accounts.totp': '动态验证码密钥（仅显示一次，请录入使用者的身份验证器）：',
    'admin.accounts.disable': '停用',
    'admin.accounts.enable': '启用',
    'admin.accounts.revoke': '注销所有登录',
    'admin.accounts.disabled': '已停用',
    'admin.accounts.active': '正常',
    'admin.accounts.created_at': '创建时间',
    'admin.accounts.done': '已完成。',
    'admin.keys.heading': '密钥状态',
    'admin.keys.intro': '此处只显示密钥编号和公钥，从不显示密钥本身。密钥轮换用命令行 sealdraw keys。',
    'admin.keys.suite': '密码套件',
    'admin.keys.sealing': '加密主密钥',
    'admin.keys.active': '当前使用',
    'admin.keys.older': '旧密钥（轮换期间仍可解密）',
    'admin.keys.log': '审计日志签名',
    'admin.keys.origin': '日志名称',
    'admin.keys.vkeys': '验证公钥（交给监督人员固定使用）',
    'admin.keys.signing': '签名密钥',
    'admin.keys.retired': '已退役',
    'admin.keys.checkpoint': '最新检查点：{size} 条记录，{cosignatures} 个见证人联署',
  },
  en: {
    'admin.nav.import': 'Pool import',
    'admin.nav.experts': 'Pool',
    'admin.nav.accounts': 'Accounts',
    'admin.nav.keys': 'Keys',
    'admin.import.heading': 'Import evaluation experts',
    'admin.import.intro': 'Upload a CSV file (header row first) or JSON Lines. The server checks every row first; if any row has a problem nothing is written and every problem is listed by line. Identities are stored sealed.',
    'admin.import.file': 'Expert file (.csv or .jsonl)',
    'admin.import.submit': 'Check and import',
    'admin.import.done': 'Imported: {rows} rows, {inserted} new, {updated} updated.',
    'admin.import.refused': 'The import was refused and nothing was written. Correct these lines and upload again.',
    'admin.import.no_file': 'Choose a file first.',
    'admin.import.type': 'The file must be .csv or .jsonl.',
    'admin.col.line': 'Line',
    'admin.col.field': 'Field',
    'admin.col.problem': 'Problem',
    'admin.experts.heading': 'The pool (no identities)',
    'admin.experts.region': 'Region code prefix',
    'admin.experts.specialty': 'Specialty code prefix',
    'admin.experts.search': 'Search',
    'admin.experts.more': 'Next page',
    'admin.col.expert': 'Expert id',
    'admin.col.region': 'Region',
    'admin.col.specialties': 'Specialties',
    'admin.col.title': 'Title',
    'admin.col.credit': 'Credit',
    'admin.col.draws': 'Drawn/attended/declined/absent',
    'admin.experts.issue_login': 'Issue a login',
    'admin.experts.issued': 'A login was issued. Give these to the expert in person or through a trusted channel (shown once): username {username}, activation code {code}, valid until {expires}.',
    'admin.status.active': 'Active',
    'admin.status.suspended': 'Suspended',
    'admin.status.retired': 'Retired',
    'admin.status.removed': 'Removed',
    'admin.title.1': 'Intermediate',
    'admin.title.2': 'Associate senior',
    'admin.title.3': 'Senior',
    'admin.accounts.heading': 'Accounts',
    'admin.accounts.new': 'New account',
    'admin.accounts.username': 'Username',
    'admin.accounts.role': 'Role',
    'admin.accounts.password': 'Initial password',
    'admin.accounts.password_hint': 'At least 12 characters, not a common password and not containing the username; hand it over through a trusted channel.',
    'admin.accounts.center': 'Trading center name (center accounts)',
    'admin.accounts.region': 'Region code (center accounts)',
    'admin.accounts.create': 'Create the account',
    'admin.accounts.created': 'Account {username} created.',
    'admin.accounts.totp': 'TOTP secret (shown once; enter it in the user’s authenticator):',
    'admin.accounts.disable': 'Disable',
    'admin.accounts.enable': 'Enable',
    'admin.accounts.revoke': 'End all logins',
    'admin.accounts.disabled': 'Disabled',
    'admin.accounts.active': 'Active',
    'admin.accounts.created_at': 'Created',
    'admin.accounts.done': 'Done.',
    'admin.keys.heading': 'Key status',
    'admin.keys.intro': 'Only key ids and public keys are shown here, never key material. Rotate keys with sealdraw keys on the command line.',
    'admin.keys.suite': 'Cipher suite',
    'admin.keys.sealing': 'Master sealing key',
    'admin.keys.active': 'In use',
    'admin.keys.older': 'Older keys (still open values during a rotation)',
    'admin.keys.log': 'Audit log signing',
    'admin.keys.origin': 'Log origin',
    'admin.keys.vkeys': 'Verifier keys (for supervisors to pin)',
    'admin.keys.signing': 'Signing keys',
    'admin.keys.retired': 'retired',
    'admin.keys.checkpoint': 'Latest checkpoint: {size} entries, {cosignatures} witness cosignature(s)',
  },
};

const ROLES = ['center', 'supervisor', 'admin', 'expert'];

// ---- import ------------------------------------------------------------------------------------

function renderImport() {
  const slot = errorSlot();
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,.jsonl,.ndjson,text/csv,application/x-ndjson' });
  const submit = action(t('admin.import.submit'), async () => {
    replace(result);
    const chosen = file.files?.[0];
    if (!chosen) throw new Error(t('admin.import.no_file'));
    const name = chosen.name.toLowerCase();
    const type = name.endsWith('.csv') ? 'text/csv' : (name.endsWith('.jsonl') || name.endsWith('.ndjson')) ? 'application/x-ndjson' : null;
    if (!type) throw new Error(t('admin.import.type'));
    try {
      const summary = await api.post('/api/v1/experts/import', chosen, { headers: { 'content-type': type } });
      replace(result, h('p', { class: 'ok', role: 'status' }, t('admin.import.done', summary)));
      toast(t('admin.import.done', summary));
    } catch (error) {
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
    section(t('admin.import.heading'), h('p', {}, t('admin.import.intro')), field(t('admin.import.file'), file), slot.node, h('div', { class: 'buttons' }, submit)),
    result);
}

// ---- experts -----------------------------------------------------------------------------------

function renderExperts() {
  const slot = errorSlot();
  const issued = h('div', { id: 'issued-login', 'aria-live': 'polite' });
  const region = h('input', { id: 'experts-region', inputmode: 'numeric', maxlength: 6 });
  const specialty = h('input', { id: 'experts-specialty', maxlength: 7 });
  const list = h('div');
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
      { label: t('common.actions'), value: (e) => action(t('admin.experts.issue_login'), async () => {
        const login = await api.post(`/api/v1/experts/${encodeURIComponent(e.expert_id)}/login`);
        replace(issued, h('p', { class: 'warning', role: 'status' }, t('admin.experts.issued', { username: login.username, code: login.activation_code, expires: formatTime(login.expires_at) })));
      }, { slot, kind: '', id: `issue-login-${e.expert_id}` }) },
    ], page.experts), next ? h('button', { type: 'button', on: { click: () => load(next).catch((error) => slot.show(error)) } }, t('admin.experts.more')) : null);
  };
  const search = action(t('admin.experts.search'), () => load(), { slot, id: 'experts-search' });
  load().catch((error) => slot.show(error));
  return h('div', {},
    h('h1', {}, t('admin.experts.heading')),
    h('div', { class: 'inline card' }, field(t('admin.experts.region'), region), field(t('admin.experts.specialty'), specialty), search),
    slot.node, issued, list);
}

// ---- accounts ----------------------------------------------------------------------------------

async function renderAccounts() {
  const slot = errorSlot();
  const created = h('div', { id: 'account-created', 'aria-live': 'polite' });
  const list = h('div');
  const refresh = async () => {
    const accounts = await api.get('/api/v1/accounts');
    replace(list, table([
      { label: t('admin.accounts.username'), value: (a) => a.username },
      { label: t('admin.accounts.role'), value: (a) => t(`role.${a.role}`) + (a.center_name ? ` · ${a.center_name}` : '') },
      { label: t('common.status'), value: (a) => h('span', { class: `badge ${a.disabled ? 'bad' : 'good'}` }, t(a.disabled ? 'admin.accounts.disabled' : 'admin.accounts.active')) },
      { label: t('admin.accounts.created_at'), value: (a) => formatTime(a.created_at) },
      { label: t('common.actions'), value: (a) => h('span', { class: 'buttons' },
        a.disabled
          ? accountAction(a, 'enable', slot, refresh)
          : accountAction(a, 'disable', slot, refresh),
        accountAction(a, 'revoke', slot, refresh)) },
    ], Array.isArray(accounts) ? accounts : accounts.accounts || []));
  };
  const username = h('input', { id: 'account-username', autocomplete: 'off', required: true });
  const role = h('select', { id: 'account-role' }, ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))));
  const password = h('input', { id: 'account-password', type: 'password', autocomplete: 'new-password', minlength: 12 });
  const center = h('input', { id: 'account-center' });
  const region = h('input', { id: 'account-region', inputmode: 'numeric', maxlength: 6 });
  const create = action(t('admin.accounts.create'), async () => {
    const body = { username: username.value.trim(), role: role.value, password: password.value };
    if (center.value.trim()) body.center_name = center.value.trim();
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
        field(t('admin.accounts.center'), center), field(t('admin.accounts.region'), region),
        slot.node, create, created)),
      section(t('admin.accounts.heading'), list)));
}

function accountAction(account, kind, slot, refresh) {
  const path = { disable: 'disable', enable: 'enable', revoke: 'revoke-tokens' }[kind];
  return action(t(`admin.accounts.${kind}`), async () => {
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
  'admin/accounts': { roles: ['admin'], nav: 'admin.nav.accounts', render: renderAccounts },
  'admin/keys': { roles: ['admin', 'supervisor'], nav: 'admin.nav.keys', render: renderKeys },
};
