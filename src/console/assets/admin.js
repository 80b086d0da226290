// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'admin.nav.import': '专家导入' },
  en: { 'admin.nav.import': 'Pool import' },
};

export const views = {
  'admin/import': {
    roles: ["admin"],
    nav: 'admin.nav.import',
    render: async () => h('h1', {}, t('admin.nav.import')),
  },
};
