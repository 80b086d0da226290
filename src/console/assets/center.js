// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'center.nav.draws': '抽取' },
  en: { 'center.nav.draws': 'Draws' },
};

export const views = {
  'center/draws': {
    roles: ["center"],
    nav: 'center.nav.draws',
    render: async () => h('h1', {}, t('center.nav.draws')),
  },
};
