// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'audit.nav.log': '审计日志' },
  en: { 'audit.nav.log': 'Audit log' },
};

export const views = {
  'audit/log': {
    roles: ["supervisor", "admin"],
    nav: 'audit.nav.log',
    render: async () => h('h1', {}, t('audit.nav.log')),
  },
};
