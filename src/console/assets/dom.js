// Building the page without markup strings: every value reaches the DOM as a text node or an
// attribute, so nothing the server or a user sends can become script (the CSP's Trusted Types
// would refuse it anyway).

import { t, has } from './i18n.js';
import { hex } from './tlog.js';

let nextId = 0;

/** A fresh id for label/input pairs. */
export function uid(prefix = 'f') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * h('button', { class: 'primary', on: { click: fn }, disabled: true }, 'text', child, [more])
 * Properties `value`, `checked`, `selected` are set as DOM properties; booleans add or drop
 * the attribute; null and false children are skipped; arrays are flattened.
 */
export function h(tag, props, ...children) {
  const node = tag === 'svg' || SVG_CHILDREN.has(tag)
    ? document.createElementNS(SVG_NS, tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      node[key] = value;
    } else if (value === true) {
      node.setAttribute(key, '');
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_CHILDREN = new Set(['g', 'rect', 'line', 'text', 'path', 'circle', 'title', 'polyline']);

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces a node's children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A labelled control. `hint` is tied to the control with aria-describedby. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  let hintNode = null;
  if (hint) {
    hintNode = h('span', { class: 'hint', id: `${id}-hint` }, hint);
    control.setAttribute('aria-describedby', `${id}-hint`);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintNode);
}

/** A problem from the API (or any error) shown where the user is looking. */
export function errorBox(error) {
  if (!error) return h('div', { class: 'error-slot' });
  const lines = [];
  if (error.detail) lines.push(error.detail);
  else lines.push(error.message || String(error));
  const extra = [];
  if (error.field) extra.push(h('div', {}, t('common.field'), ': ', h('code', {}, error.field)));
  if (Array.isArray(error.problems)) {
    extra.push(h('ul', { class: 'problems' }, error.problems.slice(0, 200).map((p) =>
      h('li', {}, p.line !== undefined ? `${t('common.line')} ${p.line}: ` : '', p.field ? `${p.field} — ` : '', p.problem || describe(p)))));
  }
  if (error.requestId) extra.push(h('div', { class: 'muted' }, t('common.request_id'), ': ', h('code', {}, error.requestId)));
  // The server's titles are English; a known problem type gets the reader's language.
  const headline = error.code && has(`problem.${error.code}`) ? t(`problem.${error.code}`) : error.title || t('common.error');
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, headline), ' ', lines.join(' '), extra);
}

/**
 * Marks a control invalid with a message tied to it (`aria-invalid`, `aria-describedby`), or
 * clears the mark; returns whether the control is valid. A corrected control stops looking wrong
 * as soon as it is edited; the next submission checks it again.
 */
export function markInvalid(control, message) {
  const messageId = `${control.id}-error`;
  document.getElementById(messageId)?.remove();
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== messageId);
  if (message) {
    control.setAttribute('aria-invalid', 'true');
    described.push(messageId);
    control.insertAdjacentElement('afterend', h('span', { class: 'field-error', id: messageId, role: 'alert' }, message));
    control.addEventListener('input', () => markInvalid(control, null), { once: true });
  } else {
    control.removeAttribute('aria-invalid');
  }
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  else control.removeAttribute('aria-describedby');
  return !message;
}

/** An itemised problem without a sentence, e.g. a stratum's counts: "eligible: 3, k: 5". */
function describe(item) {
  return Object.entries(item)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(', ');
}

/** An error slot that a form can fill and clear. */
export function errorSlot() {
  const slot = h('div', { class: 'error-slot' });
  return {
    node: slot,
    show(error) { replace(slot, errorBox(error)); slot.firstChild?.scrollIntoView?.({ block: 'nearest' }); },
    clear() { replace(slot); },
  };
}

/**
 * A button running an async action: disabled while it runs, errors go to `slot`
 * (an errorSlot) or to the toast.
 */
export function action(label, run, { slot, kind = 'primary', id, type = 'button', attrs = {} } = {}) {
  const button = h('button', { type, class: kind, id, ...attrs }, label);
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    slot?.clear();
    try {
      await run(event);
    } catch (error) {
      if (slot) slot.show(error);
      else toast(error.detail || error.message || String(error), 'bad');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return button;
}

/** A table from column definitions [{ label, value: row => text|Node }]. */
export function table(columns, rows, { caption, empty } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || t('common.none'));
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', {}, c.value(row)))))));
}

/** A short message in the live region. */
export function toast(message, tone = 'good') {
  const node = document.getElementById('toast');
  if (!node) return;
  replace(node, h('div', { class: `toast-${tone}` }, message));
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => replace(node), 6000);
}

/** Section with a heading. */
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), children);
}

/** Hex of random bytes from the browser's CSPRNG. */
export function randomHex(bytes) {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return hex(buffer);
}
