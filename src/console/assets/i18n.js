// Interface text in Simplified Chinese (the default) and English. The tables live in strings/,
// one module per screen; each screen module exports its own and app.js registers it, so modules
// never edit a shared table. The shell's own text (strings/app.js) is registered here.

import { strings } from './strings/app.js';

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

/**
 * How long until `iso`, in words ("还有 2 天 3 小时" / "in 2 d 3 h"), to the minute; a time
 * passed says so. Countdowns sit beside the Beijing time they count to (reply deadlines, the
 * evaluation's start), redrawn by each screen's own refresh.
 */
export function formatCountdown(iso, now = Date.now()) {
  const at = new Date(iso).getTime();
  if (!iso || Number.isNaN(at)) return '';
  const minutes = Math.floor((at - now) / 60000);
  if (minutes < 0) return t('common.countdown.passed');
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const parts = [];
  if (days) parts.push(t('common.countdown.days', { n: days }));
  if (days || hours) parts.push(t('common.countdown.hours', { n: hours }));
  if (!days) parts.push(t('common.countdown.minutes', { n: rest }));
  return t('common.countdown.in', { span: parts.join(' ') });
}

document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';

register(strings);
