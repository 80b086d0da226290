// Interface text in Simplified Chinese (the default) and English. Each screen module registers
// its own strings, so modules never edit a shared table.

const STORAGE_KEY = 'sealdraw.lang';
const tables = { zh: {}, en: {} };
const listeners = [];
let current = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';

export function register(strings) {
  for (const language of Object.keys(tables)) Object.assign(tables[language], strings[language] || {});
}

export function lang() {
  return current;
}

export function setLang(language) {
  current = language === 'en' ? 'en' : 'zh';
  localStorage.setItem(STORAGE_KEY, current);
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const listener of listeners) listener(current);
}

export function onLangChange(listener) {
  listeners.push(listener);
}

/** t('draw.count', { n: 3 }) → the current language's text with {n} filled in. */
export function t(key, vars) {
  const text = tables[current][key] ?? tables.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Times are shown in China Standard Time whatever the laptop's zone. */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(date);
}

document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';

register({
  zh: {
    'app.title': '评标专家抽取与远程评标系统',
    'app.skip': '跳到主要内容',
    'app.lang_switch': 'English',
    'app.lang_switch_label': 'Switch to English',
    'app.logout': '退出登录',
    'app.signed_in_as': '当前用户',
    'app.not_found': '没有这个页面。',
    'app.forbidden': '您的账户无权使用此页面。',
    'app.loading': '正在加载…',
    'role.admin': '系统管理员',
    'role.center': '交易中心',
    'role.supervisor': '监督人员',
    'role.expert': '评标专家',
    'login.heading': '登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.totp': '动态验证码（管理员和监督人员必填）',
    'login.totp_hint': '身份验证器应用中的 6 位数字',
    'login.submit': '登录',
    'login.expired': '登录已过期，请重新登录。您在本页填写的内容会保留。',
    'login.relogin_heading': '请重新登录',
    'login.other_user': '已用其他账户登录，页面将重新加载。',
    'login.activate_link': '首次使用？用激活码设置密码',
    'activate.heading': '激活专家账户',
    'activate.code': '激活码',
    'activate.password': '新密码',
    'activate.password_hint': '至少 12 个字符',
    'activate.submit': '激活',
    'activate.done': '账户已激活，请登录。',
    'common.error': '出错了',
    'common.field': '字段',
    'common.line': '第',
    'common.request_id': '请求编号（报告问题时请提供）',
    'common.none': '暂无',
    'common.save': '保存',
    'common.saved': '已保存',
    'common.cancel': '取消',
    'common.refresh': '刷新',
    'common.back': '返回',
    'common.yes': '是',
    'common.no': '否',
    'common.open': '打开',
    'common.status': '状态',
    'common.actions': '操作',
    'common.network': '无法连接服务器，请检查网络后重试。',
  },
  en: {
    'app.title': 'Expert draw and remote evaluation',
    'app.skip': 'Skip to main content',
    'app.lang_switch': '中文',
    'app.lang_switch_label': '切换到中文',
    'app.logout': 'Log out',
    'app.signed_in_as': 'Signed in as',
    'app.not_found': 'There is no such page.',
    'app.forbidden': 'Your account may not use this page.',
    'app.loading': 'Loading…',
    'role.admin': 'Administrator',
    'role.center': 'Trading center',
    'role.supervisor': 'Supervisor',
    'role.expert': 'Expert',
    'login.heading': 'Log in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.totp': 'One-time code (required for administrators and supervisors)',
    'login.totp_hint': 'The 6 digits in your authenticator app',
    'login.submit': 'Log in',
    'login.expired': 'Your login has expired. Please log in again; what you entered on this page is kept.',
    'login.relogin_heading': 'Please log in again',
    'login.other_user': 'You logged in as another account; the page will reload.',
    'login.activate_link': 'First time? Set your password with your activation code',
    'activate.heading': 'Activate an expert account',
    'activate.code': 'Activation code',
    'activate.password': 'New password',
    'activate.password_hint': 'At least 12 characters',
    'activate.submit': 'Activate',
    'activate.done': 'The account is active. Please log in.',
    'common.error': 'Something went wrong',
    'common.field': 'Field',
    'common.line': 'Line',
    'common.request_id': 'Request id (quote it when reporting a problem)',
    'common.none': 'Nothing yet',
    'common.save': 'Save',
    'common.saved': 'Saved',
    'common.cancel': 'Cancel',
    'common.refresh': 'Refresh',
    'common.back': 'Back',
    'common.yes': 'Yes',
    'common.no': 'No',
    'common.open': 'Open',
    'common.status': 'Status',
    'common.actions': 'Actions',
    'common.network': 'The server cannot be reached. Check the network and try again.',
  },
});
