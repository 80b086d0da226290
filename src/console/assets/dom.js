// Building the page without markup strings: every value reaches the DOM as a text node or an
// attribute, so nothing the server or a user sends can become script (the CSP's Trusted Types
// would refuse it anyway).

import { t, has, formatTime } from './i18n.js';
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
  if (error.detail) lines.push(localTimes(error.detail));
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
      markServerField(button, error);
      if (slot) slot.show(error);
      else toast(error.detail || error.message || String(error), 'bad');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return button;
}

/**
 * A server problem that names a field (`field` in the problem, e.g. `evaluation_start` or
 * `strata[0].count`) marks the control that sends it, as the browser's own checks do: the
 * control carries the field's name in `data-field`, looked for in the button's form, else on the
 * page. A field no control sends is only named in the error box.
 */
export function markServerField(button, error) {
  if (!error || !error.field) return;
  const scope = button?.closest('form') || document.getElementById('main') || document;
  // The field itself, else the nearest enclosing one a control sends: `supervisors[1]` marks
  // the supervisors' group, `criteria[0].max_points` that criterion's points if it has its own.
  let control = null;
  let name = error.field;
  while (name && !control) {
    control = scope.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const shorter = name.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    if (shorter === name) break;
    name = shorter;
  }
  if (!control || !control.id) return;
  const headline = error.code && has(`problem.${error.code}`) ? t(`problem.${error.code}`) : error.title;
  markInvalid(control, [headline, localTimes(error.detail || '')].filter(Boolean).join('：'));
}

/**
 * Asks before an irreversible act, in a modal dialog saying in words what will happen. Resolves
 * true only on the confirm button; Escape and "cancel" resolve false. Ids for tests:
 * #confirm-dialog, #confirm-text, #confirm-yes, #confirm-no.
 */
export function confirmAct({ heading, text, confirm, danger = true }) {
  document.getElementById('confirm-dialog')?.remove();
  return new Promise((resolve) => {
    const finish = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    const dialog = h('dialog', { id: 'confirm-dialog', 'aria-labelledby': 'confirm-heading', 'aria-describedby': 'confirm-text' },
      h('h2', { id: 'confirm-heading' }, heading),
      h('p', { id: 'confirm-text' }, text),
      h('p', { class: 'hint' }, t('common.irreversible')),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'confirm-yes', class: danger ? 'primary danger-fill' : 'primary', on: { click: () => finish(true) } }, confirm),
        h('button', { type: 'button', id: 'confirm-no', on: { click: () => finish(false) } }, t('common.cancel'))));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); finish(false); });
    document.body.append(dialog);
    dialog.showModal();
    // The safe choice has the focus: Enter alone does not do the irreversible thing.
    dialog.querySelector('#confirm-no').focus();
  });
}

/**
 * What the user has typed, chosen or opened in `node`, and where the focus is, by element id:
 * a live refresh redraws from the server's state and puts these back, so that nothing being
 * edited jumps back (issue 24 §3: a choice in a select reset by the next refresh).
 */
export function snapshotEdits(node) {
  const values = new Map();
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    values.set(control.id, { value: control.value, checked: control.checked });
  }
  for (const details of node.querySelectorAll('details')) {
    if (details.open) values.set(`open:${details.id || details.querySelector('summary')?.textContent}`, true);
  }
  const active = document.activeElement;
  let focus = null;
  if (active && active.id && node.contains(active)) {
    focus = { id: active.id };
    try { focus.start = active.selectionStart; focus.end = active.selectionEnd; } catch { /* not a text control */ }
  }
  return { values, focus };
}

export function restoreEdits(node, { values, focus }) {
  for (const control of node.querySelectorAll('input[id], textarea[id], select[id]')) {
    const kept = values.get(control.id);
    if (!kept) continue;
    if (control.type === 'checkbox' || control.type === 'radio') control.checked = kept.checked;
    else if (kept.value !== '' || control.tagName === 'SELECT') {
      if (control.tagName !== 'SELECT' || [...control.options].some((o) => o.value === kept.value)) control.value = kept.value;
    }
  }
  for (const details of node.querySelectorAll('details')) {
    if (values.get(`open:${details.id || details.querySelector('summary')?.textContent}`)) details.open = true;
  }
  if (focus) {
    const target = node.querySelector(`#${CSS.escape(focus.id)}`);
    if (target) {
      target.focus();
      try { if (focus.start !== undefined && focus.start !== null) target.setSelectionRange(focus.start, focus.end); } catch { /* not a text control */ }
    }
  }
}

/** Replaces `node`'s children by `children`, keeping what the user was editing (above). */
export function redrawKeepingEdits(node, ...children) {
  const kept = snapshotEdits(node);
  replace(node, ...children);
  restoreEdits(node, kept);
  return node;
}

/**
 * RFC 3339 times inside a server's sentence, in Beijing time as the rest of the console shows
 * them: the server writes Beijing's offset, but an older message or another field's may be UTC.
 */
export function localTimes(text) {
  return String(text).replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g,
    (stamp) => `${formatTime(stamp)}（${t('common.beijing_time')}）`);
}

/**
 * A table from column definitions [{ label, value: row => text|Node }]. Each cell carries its
 * column's label, which a phone's narrow layout (style.css) shows beside it once rows reflow
 * into blocks.
 */
export function table(columns, rows, { caption, empty } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || t('common.none'));
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.value(row)))))));
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

/** Saves `text` as a file the browser downloads. */
export function saveFile(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * Saves rows (arrays of strings) as CSV made in the page, with a byte-order mark so that
 * spreadsheet programs read the Chinese as UTF-8, as the server's own CSV has.
 */
export function saveCsv(name, rows) {
  const cell = (value) => {
    const text = String(value ?? '');
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  saveFile(name, `\ufeff${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`, 'text/csv');
}

