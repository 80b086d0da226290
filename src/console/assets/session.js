// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'session.nav.list': '评标会议' },
  en: { 'session.nav.list': 'Evaluation sessions' },
};

export const views = {
  'session/list': {
    roles: ["expert", "center", "supervisor"],
    nav: 'session.nav.list',
    render: async () => h('h1', {}, t('session.nav.list')),
  },
};
