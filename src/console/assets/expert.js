// Placeholder: this screen is being built.

import { h } from './dom.js';
import { t } from './i18n.js';

export const strings = {
  zh: { 'expert.nav.invitations': '我的邀请' },
  en: { 'expert.nav.invitations': 'My invitations' },
};

export const views = {
  'expert/invitations': {
    roles: ["expert"],
    nav: 'expert.nav.invitations',
    render: async () => h('h1', {}, t('expert.nav.invitations')),
  },
};
