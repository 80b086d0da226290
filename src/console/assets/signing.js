// Members' signing keys (issue 19 §1; docs/CONSOLE.md, "Signing keys"): a committee member
// makes a key on this device (signing-key.js keeps it) and sees it beside the account's other
// keys, revoking a lost device's; an admin approves a member's further key and revokes any.
//
// Ids the end-to-end tests drive:
//   member: #device-key (data-state none|active|pending|revoked|unknown), #device-key-id,
//           #device-key-fingerprint, #signing-key-label, #create-signing-key,
//           #forget-device-key, #signing-keys (per key ID: #signing-key-ID with data-status,
//           #revoke-signing-key-ID)
//   admin:  #signing-key-review (per key ID: #review-key-ID with data-status,
//           #approve-signing-key-ID, #revoke-signing-key-ID)

import * as api from './api.js';
import { h, replace, field, errorSlot, action, toast, section, markInvalid, confirmAct } from './dom.js';
import { t, formatTime } from './i18n.js';
import { deviceKey, createDeviceKey, forgetDeviceKey } from './signing-key.js';
export { strings } from './strings/signing.js';

const badge = (status) => h('span', { class: `badge ${{ active: 'good', pending: 'warn', revoked: 'bad' }[status] || ''}` }, t(`signing.status.${status}`));

/** The device's key as the server knows it: its state, or `unknown` when the server has none. */
export function deviceKeyState(key, keys) {
  if (!key) return 'none';
  const enrolled = keys.find((k) => k.id === key.keyId);
  return enrolled ? enrolled.status : 'unknown';
}

async function renderKeys(ctx) {
  const accountId = ctx.me.account_id;
  const slot = errorSlot();
  const page = h('div');
  const supported = typeof indexedDB !== 'undefined' && Boolean(globalThis.crypto?.subtle);
  const refresh = async () => {
    const [keys, key] = await Promise.all([
      api.get('/api/v1/me/signing-keys'),
      supported ? deviceKey(accountId) : null,
    ]);
    replace(page,
      h('h1', {}, t('signing.keys.heading')),
      h('p', { class: 'hint' }, t('signing.keys.intro')),
      section(t('signing.device.heading'), supported ? devicePart(key, keys) : h('p', { class: 'error' }, t('signing.device.unsupported'))),
      section(t('signing.others.heading'), keysList(keys, key)),
      slot.node);
  };

  function devicePart(key, keys) {
    const state = deviceKeyState(key, keys);
    if (state === 'none') {
      const label = h('input', { id: 'signing-key-label', maxlength: 100, autocomplete: 'off' });
      return h('div', { id: 'device-key', 'data-state': 'none' },
        h('p', { class: 'muted' }, t('signing.device.none')),
        field(t('signing.device.label'), label, t('signing.device.label_hint')),
        action(t('signing.device.create'), async () => {
          const text = label.value.trim();
          if (!markInvalid(label, text ? null : t('signing.device.label_empty'))) return;
          const enrolled = await createDeviceKey(accountId, text);
          toast(t(enrolled.status === 'pending' ? 'signing.device.created_pending' : 'signing.device.created'));
          await refresh();
        }, { slot, id: 'create-signing-key' }));
    }
    const enrolled = keys.find((k) => k.id === key.keyId);
    const note = { pending: 'signing.device.pending_note', revoked: 'signing.device.revoked_note', unknown: 'signing.device.unknown' }[state];
    return h('div', { id: 'device-key', 'data-state': state },
      h('dl', { class: 'facts' },
        h('dt', {}, t('signing.key.label')), h('dd', {}, enrolled?.label || '—'),
        h('dt', {}, t('signing.key.id')), h('dd', {}, h('code', { id: 'device-key-id' }, key.keyId)),
        h('dt', {}, t('signing.key.fingerprint')), h('dd', {}, h('code', { id: 'device-key-fingerprint', class: 'mono' }, enrolled?.fingerprint || key.fingerprint)),
        h('dt', {}, t('signing.key.state')), h('dd', {}, state === 'unknown' ? '—' : badge(state))),
      note ? h('p', { class: state === 'pending' ? 'warning' : 'error' }, t(note)) : null,
      state === 'revoked' || state === 'unknown'
        ? action(t('signing.device.forget'), async () => {
          await forgetDeviceKey(accountId);
          toast(t('signing.device.forgotten'));
          await refresh();
        }, { slot, id: 'forget-device-key', kind: 'secondary' })
        : null);
  }

  function keysList(keys, key) {
    if (!keys.length) return h('p', { class: 'muted', id: 'signing-keys' }, t('signing.others.none'));
    return h('ul', { class: 'plain', id: 'signing-keys' }, keys.map((k) => h('li', { class: 'card', id: `signing-key-${k.id}`, 'data-status': k.status },
      h('p', {}, h('strong', {}, k.label), key?.keyId === k.id ? ` （${t('signing.key.this_device')}）` : '', ' ', badge(k.status)),
      h('p', { class: 'muted' }, t(`signing.kind.${k.kind}`), ' · ', t('signing.key.enrolled'), ' ', formatTime(k.enrolled_at)),
      h('p', {}, t('signing.key.fingerprint'), ': ', h('code', { class: 'mono' }, k.fingerprint)),
      k.status === 'revoked' ? null : revokeButton(k, slot, refresh))));
  }

  await refresh();
  return page;
}

function revokeButton(key, slot, refresh) {
  return action(t('signing.revoke'), async () => {
    const sure = await confirmAct({
      heading: t('signing.revoke.heading'),
      text: t('signing.revoke.text', { label: key.label }),
      confirm: t('signing.revoke'),
    });
    if (!sure) return;
    await api.post(`/api/v1/signing-keys/${encodeURIComponent(key.id)}/revoke`);
    toast(t('signing.revoked'));
    await refresh();
  }, { slot, id: `revoke-signing-key-${key.id}`, kind: 'danger', attrs: { 'aria-label': t('signing.revoke_label', { label: key.label }) } });
}

async function renderReview() {
  const slot = errorSlot();
  const page = h('div');
  const refresh = async () => {
    const keys = await api.get('/api/v1/signing-keys');
    replace(page,
      h('h1', {}, t('signing.review.heading')),
      h('p', { class: 'hint' }, t('signing.review.intro')),
      keys.length
        ? h('ul', { class: 'plain', id: 'signing-key-review' }, keys.map((k) => h('li', { class: 'card', id: `review-key-${k.id}`, 'data-status': k.status },
          h('p', {}, h('strong', {}, k.username), ' · ', k.label, ' ', badge(k.status)),
          h('p', { class: 'muted' }, t(`signing.kind.${k.kind}`), ' · ', t('signing.key.enrolled'), ' ', formatTime(k.enrolled_at)),
          h('p', {}, t('signing.key.fingerprint'), ': ', h('code', { class: 'mono' }, k.fingerprint)),
          h('div', { class: 'buttons' },
            k.status === 'pending'
              ? action(t('signing.approve'), async () => {
                await api.post(`/api/v1/signing-keys/${encodeURIComponent(k.id)}/approve`);
                toast(t('signing.approved'));
                await refresh();
              }, { slot, id: `approve-signing-key-${k.id}`, attrs: { 'aria-label': t('signing.approve_label', { username: k.username, label: k.label }) } })
              : null,
            revokeButton(k, slot, refresh)))))
        : h('p', { class: 'muted', id: 'signing-key-review' }, t('signing.review.none')),
      slot.node);
  };
  await refresh();
  return page;
}

export const views = {
  'signing/keys': {
    roles: ['expert'],
    nav: 'signing.nav.keys',
    render: renderKeys,
  },
  'signing/review': {
    roles: ['admin'],
    nav: 'signing.nav.review',
    render: renderReview,
  },
};
