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

/** Whether the current language (or English) has this key. */
export function has(key) {
  return key in tables[current] || key in tables.en;
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
    'activate.password_hint': '至少 12 个字符；不能是常见密码，不能包含用户名，不能是重复或连续的字符',
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
    // Headlines for the server's problem types (its detail text stays as sent, in English).
    'problem.already-answered': '该邀请已答复',
    'problem.already-approved': '已经批准过',
    'problem.already-contributed': '已经贡献过随机数',
    'problem.already-decided': '该申请已有决定',
    'problem.answer-too-late': '答复已超过截止时间',
    'problem.bad-signature': '签名无效',
    'problem.body-too-large': '提交的内容过大',
    'problem.committee-incomplete': '评标委员会尚未全部确认',
    'problem.conflict': '与当前状态冲突',
    'problem.contributions-closed': '随机数贡献已截止',
    'problem.dual-control': '需要另一位监督人员决定',
    'problem.eligible-set-too-small': '符合条件的专家人数不足，未进行抽取',
    'problem.evaluation-over': '评标已结束',
    'problem.forbidden': '您的账户无权进行此操作',
    'problem.gateway-not-configured': '未配置通知网关',
    'problem.internal': '服务器内部错误',
    'problem.invalid-answer': '答复内容有误',
    'problem.invalid-body': '提交的内容有误',
    'problem.invalid-credentials': '用户名、密码或动态验证码不正确',
    'problem.invalid-draw-request': '抽取申请有误',
    'problem.invalid-import': '导入文件有误，未写入任何数据',
    'problem.invalid-json': '提交的内容格式有误',
    'problem.invalid-request': '请求有误',
    'problem.invalid-session-request': '评标会议设置有误',
    'problem.last-admin': '这是最后一个启用的管理员账户，不能停用',
    'problem.not-confirmed': '席位尚未确认',
    'problem.not-drawn': '尚未完成抽取',
    'problem.not-found': '找不到该对象',
    'problem.not-published': '名单尚未获准公布',
    'problem.not-seated': '不是该席位的成员',
    'problem.origin-not-allowed': '此页面来源不允许连接评标会议',
    'problem.out-of-range': '数值超出范围',
    'problem.outside-draw-window': '评标时间不在允许的范围内',
    'problem.own-account': '管理员不能停用自己的账户',
    'problem.precondition-failed': '条件尚未满足',
    'problem.stale-callback': '回调已过期',
    'problem.throttled': '尝试次数过多，请稍后再试',
    'problem.timeout': '服务器处理超时，请重试',
    'problem.token-ended': '登录已失效，请重新登录',
    'problem.too-many-connections': '此账户打开的评标会议连接过多，请先关闭其他窗口或设备',
    'problem.unauthenticated': '请先登录',
    'problem.unavailable': '服务暂不可用，请稍后再试',
    'problem.unknown-certificate': '客户端证书未登记',
    'problem.unseal-not-permitted': '无权查看解密内容',
    'problem.unsupported-media-type': '文件类型不受支持',
    'problem.wrong-join-code': '加入码不正确',
    'problem.wrong-phase': '当前阶段不能进行此操作',
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
    'activate.password_hint': 'At least 12 characters; not a common password, not containing your username, not repeated or consecutive characters',
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
