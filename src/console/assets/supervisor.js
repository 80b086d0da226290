// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'supervisor.nav.overview': '总览' },
  en: { 'supervisor.nav.overview': 'Overview' },
};

export const views = {
  'supervisor/overview': {
    roles: ["supervisor"],
    nav: 'supervisor.nav.overview',
    render: async () => h('h1', {}, t('supervisor.nav.overview')),
  },
};
