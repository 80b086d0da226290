// The audit view (supervisors, admins): the log's latest checkpoint, its entries, and for any
// entry, pasted proof or draw record a check done IN THIS BROWSER (tlog.js, WebCrypto) against a
// verifier key the supervisor pinned from an out-of-band source. The server's own key is shown
// only beside the pinned one, labelled as the server's claim, and is never used to verify.
//
// Stable ids (tests drive these):
//   #pinned-key #pin-key #unpin-key #pinned-key-info #show-server-key #server-key
//   #checkpoint-text #checkpoint-refresh #checkpoint-sign #checkpoint-verify
//   #checkpoint-verdict (the verdict, class ok/error) #checkpoint-summary #checkpoint-size
//   #checkpoint-origin #checkpoint-witnesses
//   #entries #entries-newer #entries-older #entry-index #fetch-proof #entry-detail
//   #verify-entry-<i> (per row)
//   #proof-text #proof-entry #proof-forget-entry #verify-proof
//   #verify-result (the verdict, class ok/error, data-code = tlog.js failure code or "ok")
//   #record-draw-id #verify-record #record-result (overall verdict) #record-proofs
//   #load-record-proof-<n>

import * as api from './api.js';
import { h, replace, field, errorSlot, action, table, section } from './dom.js';
import { t, has, formatTime } from './i18n.js';
import * as tlog from './tlog.js';
export { strings } from './strings/audit.js';

// The pinned key is public (a verifier key), so localStorage is fine and lets it outlive the tab.
const PINNED_KEY = 'sealdraw.audit.pinnedKey';
const PAGE = 15;

export const views = {
  'audit/log': {
    roles: ['supervisor', 'admin'],
    nav: 'audit.nav.log',
    render: renderLog,
  },
};

function pinnedKeyText() {
  return localStorage.getItem(PINNED_KEY) || '';
}

/** The verdict box: class ok/error, role status/alert, headline, then what was checked. */
function verdictNode(id, verdict, okKey, extraVars = {}) {
  const c = verdict.checked || {};
  const vars = { index: c.index ?? '', origin: c.origin ?? '', size: c.size ?? '', ...extraVars };
  const headline = verdict.ok ? t(okKey, vars) : t(`audit.v.${verdict.code}`);
  const rows = [];
  const add = (label, value) => { if (value !== undefined && value !== null && value !== '') rows.push(h('dt', {}, label), h('dd', {}, value)); };
  add(t('audit.cp.origin'), c.origin);
  add(t('audit.cp.size'), c.size !== undefined ? String(c.size) : undefined);
  add(t('audit.cp.root'), c.root ? h('code', {}, c.root) : undefined);
  add(t('audit.v.key'), c.keyName ? h('span', {}, c.keyName, ' ', h('code', {}, c.keyId)) : undefined);
  add(t('audit.v.index'), c.index !== undefined ? String(c.index) : undefined);
  if (c.entrySource) add(t('audit.v.entry'), c.entrySource === 'given' ? t('audit.v.entry_given', { i: String(c.index) }) : t('audit.v.entry_extra'));
  add(t('audit.v.pinned_sigs'), c.signatures !== undefined ? String(c.signatures) : undefined);
  if (!verdict.ok && verdict.message) add(t('audit.v.detail'), verdict.message);
  return h('div', {
    id, class: verdict.ok ? 'ok verdict' : 'error verdict', role: verdict.ok ? 'status' : 'alert',
    'data-code': verdict.code,
  }, h('strong', {}, headline), rows.length ? h('dl', { class: 'facts' }, rows) : null);
}

const noKeyVerdict = () => ({ ok: false, code: 'no-key', checked: {} });

async function renderLog(ctx) {
  names = await api.accountNames();
  // --- pinned key ---------------------------------------------------------------------------
  const keyInput = h('input', { id: 'pinned-key', class: 'mono', autocomplete: 'off', spellcheck: 'false', value: pinnedKeyText() });
  const keyInfo = h('div', { id: 'pinned-key-info', 'aria-live': 'polite' });
  const serverKey = h('div', { id: 'server-key', 'aria-live': 'polite' });
  const keySlot = errorSlot();

  async function showPinned() {
    const text = pinnedKeyText();
    if (!text) {
      replace(keyInfo, h('p', { class: 'warning' }, t('audit.key.none')));
      return;
    }
    try {
      const key = await tlog.parseVerifierKey(text);
      replace(keyInfo, h('p', { class: 'ok' }, t('audit.key.pinned', { name: key.name, id: key.keyIdHex })));
    } catch (error) {
      replace(keyInfo, h('p', { class: 'error', role: 'alert' }, t('audit.key.bad'), error.message));
    }
  }

  const pinButton = action(t('audit.key.pin'), async () => {
    let key;
    try {
      key = await tlog.parseVerifierKey(keyInput.value);
    } catch (error) {
      keyInput.setAttribute('aria-invalid', 'true');
      throw new Error(t('audit.key.bad') + error.message);
    }
    keyInput.removeAttribute('aria-invalid');
    keyInput.value = key.text;
    localStorage.setItem(PINNED_KEY, key.text);
    await showPinned();
    clearVerdicts();
    summarise();
  }, { slot: keySlot, id: 'pin-key' });

  const unpinButton = action(t('audit.key.unpin'), async () => {
    localStorage.removeItem(PINNED_KEY);
    keyInput.value = '';
    await showPinned();
    clearVerdicts();
    summarise();
  }, { kind: 'link', id: 'unpin-key' });

  const serverKeyButton = action(t('audit.key.server_show'), async () => {
    const text = String(await api.get('/api/v1/audit/key')).trim();
    const pinned = pinnedKeyText();
    const lines = text.split('\n').filter(Boolean);
    replace(serverKey, h('div', { class: 'claim' },
      h('p', {}, h('strong', {}, t('audit.key.server_claim'))),
      lines.map((line) => h('p', { class: 'mono' }, line)),
      pinned ? h('p', { class: lines.includes(pinned) ? 'muted' : 'warning' },
        t(lines.includes(pinned) ? 'audit.key.server_same' : 'audit.key.server_differs')) : null));
  }, { kind: '', id: 'show-server-key' });

  // --- checkpoint ---------------------------------------------------------------------------
  const checkpointText = h('textarea', { id: 'checkpoint-text', rows: 6, spellcheck: 'false', class: 'mono' });
  const checkpointSummary = h('div', { id: 'checkpoint-summary' });
  const checkpointResult = h('div', { id: 'checkpoint-result' });
  const checkpointSlot = errorSlot();
  let signedSize = 0;

  function summarise() {
    replace(checkpointResult);
    let parsed;
    try {
      parsed = tlog.readSignedCheckpoint(checkpointText.value);
    } catch (error) {
      replace(checkpointSummary, h('p', { class: 'error' }, t('audit.cp.unreadable'), error.message));
      return null;
    }
    const { note, checkpoint } = parsed;
    const logSignatures = note.signatures.filter((s) => s.name === checkpoint.origin);
    const witnesses = note.signatures.length - logSignatures.length;
    const pinnedName = pinnedKeyText().split('+')[0];
    const pinnedId = pinnedKeyText().split('+')[1];
    replace(checkpointSummary, h('dl', { class: 'facts' },
      h('dt', {}, t('audit.cp.origin')), h('dd', { id: 'checkpoint-origin' }, checkpoint.origin),
      h('dt', {}, t('audit.cp.size')), h('dd', { id: 'checkpoint-size' }, String(checkpoint.size)),
      h('dt', {}, t('audit.cp.root')), h('dd', {}, h('code', {}, checkpoint.rootBase64)),
      h('dt', {}, t('audit.cp.signatures')), h('dd', {}, h('ul', { class: 'plain' }, note.signatures.map((s) => h('li', {},
        s.name, ' ', h('code', {}, s.keyIdHex), ' — ',
        s.name === pinnedName && s.keyIdHex === pinnedId ? t('audit.cp.sig_pinned') : t('audit.cp.sig_other'))))),
      h('dt', {}, t('audit.cp.witnesses')), h('dd', { id: 'checkpoint-witnesses' }, String(witnesses))));
    return checkpoint;
  }

  async function loadCheckpoint(method = 'GET') {
    const text = await api.request(method, '/api/v1/audit/checkpoint', method === 'POST' ? {} : undefined);
    checkpointText.value = String(text);
    const checkpoint = summarise();
    if (checkpoint) signedSize = Number(checkpoint.size);
  }

  checkpointText.addEventListener('input', summarise);

  const checkpointVerify = action(t('audit.cp.verify'), async () => {
    const key = pinnedKeyText();
    const verdict = key ? await tlog.verifyCheckpoint(checkpointText.value, key) : noKeyVerdict();
    replace(checkpointResult, verdictNode('checkpoint-verdict', verdict, 'audit.v.ok_checkpoint'));
  }, { slot: checkpointSlot, id: 'checkpoint-verify' });

  // --- proof box ----------------------------------------------------------------------------
  const proofText = h('textarea', { id: 'proof-text', rows: 12, spellcheck: 'false', class: 'mono' });
  const proofEntry = h('div', { id: 'proof-entry' });
  const verifyResult = h('div', { id: 'verify-result-slot', 'aria-live': 'polite' });
  const proofSlot = errorSlot();
  let bound = null; // { index, bytes }: the entry shown, which the proof must carry

  function showBinding() {
    replace(proofEntry, bound
      ? h('p', { class: 'muted' }, t('audit.proof.bound', { i: bound.index }), ' ',
        h('button', { type: 'button', class: 'link', id: 'proof-forget-entry', on: { click: () => { bound = null; showBinding(); replace(verifyResult); } } }, t('audit.proof.forget')))
      : h('p', { class: 'muted' }, t('audit.proof.unbound')));
  }

  function clearVerdicts() {
    replace(verifyResult);
    replace(checkpointResult);
  }

  // Editing the proof makes any earlier verdict stale: it must not stay next to other text.
  proofText.addEventListener('input', () => replace(verifyResult));

  async function verifyProofText() {
    const key = pinnedKeyText();
    const verdict = key
      ? await tlog.verifyProof(proofText.value, key, bound ? { entry: bound.bytes, index: bound.index } : {})
      : noKeyVerdict();
    replace(verifyResult, verdictNode('verify-result', verdict, 'audit.v.ok_proof'));
    return verdict;
  }

  const verifyProofButton = action(t('audit.proof.verify'), verifyProofText, { slot: proofSlot, id: 'verify-proof' });

  // --- entries ------------------------------------------------------------------------------
  const entriesNode = h('div', { id: 'entries' });
  const entryDetail = h('div', { id: 'entry-detail' });
  const entryIndex = h('input', { id: 'entry-index', type: 'number', min: 0, step: 1, inputmode: 'numeric' });
  const entrySlot = errorSlot();
  let newest = null; // index of the newest entry on the page

  async function entryBytes(index) {
    const response = await api.request('GET', `/api/v1/audit/entries/${index}`, undefined, { raw: true });
    return new Uint8Array(await response.arrayBuffer());
  }

  function decode(bytes) {
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return null;
    }
  }

  /** Shows entry `index`, fetches its proof into the box and verifies it against that entry. */
  async function openAndVerify(index) {
    const bytes = await entryBytes(index);
    replace(entryDetail, h('h3', {}, t('audit.entries.shown', { i: index })),
      h('pre', { class: 'mono entry', tabindex: 0 }, new TextDecoder().decode(bytes)));
    bound = { index, bytes };
    showBinding();
    proofText.value = String(await api.get(`/api/v1/audit/proof/${index}`));
    await verifyProofText();
    verifyResult.scrollIntoView?.({ block: 'nearest' });
  }

  const fetchProofButton = action(t('audit.entries.fetch_proof'), async () => {
    const value = entryIndex.value.trim();
    if (!/^(0|[1-9][0-9]*)$/.test(value)) {
      entryIndex.setAttribute('aria-invalid', 'true');
      throw new Error(t('audit.entries.open_label'));
    }
    entryIndex.removeAttribute('aria-invalid');
    await openAndVerify(Number(value));
  }, { slot: entrySlot, id: 'fetch-proof' });

  async function loadEntries() {
    if (!signedSize) {
      replace(entriesNode, h('p', { class: 'muted' }, t('audit.entries.empty')));
      return;
    }
    if (newest === null || newest >= signedSize) newest = signedSize - 1;
    const indexes = [];
    for (let i = newest; i >= 0 && i > newest - PAGE; i -= 1) indexes.push(i);
    const rows = await Promise.all(indexes.map(async (index) => ({ index, entry: decode(await entryBytes(index)) })));
    const oldest = indexes[indexes.length - 1];
    replace(entriesNode,
      h('p', { class: 'muted' }, t('audit.entries.range', { from: oldest, to: newest, size: signedSize })),
      table([
        { label: t('audit.entries.index'), value: (r) => String(r.index) },
        { label: t('audit.entries.type'), value: (r) => h('code', {}, r.entry?.type ?? '?') },
        { label: t('audit.entries.time'), value: (r) => formatTime(r.entry?.time) },
        { label: t('audit.entries.actor'), value: (r) => actorText(r.entry?.actor) },
        { label: t('audit.entries.refs'), value: (r) => refsText(r.entry?.refs) },
        {
          label: t('common.actions'),
          value: (r) => action(t('audit.entries.verify'), () => openAndVerify(r.index), {
            kind: '', id: `verify-entry-${r.index}`, attrs: { 'aria-label': t('audit.entries.verify_label', { i: r.index }) },
          }),
        },
      ], rows, { caption: t('audit.entries.heading') }),
      h('div', { class: 'buttons' },
        action(t('audit.entries.newer'), async () => { newest = Math.min(signedSize - 1, newest + PAGE); await loadEntries(); },
          { kind: '', id: 'entries-newer', attrs: { disabled: newest >= signedSize - 1 } }),
        action(t('audit.entries.older'), async () => { newest = Math.max(0, newest - PAGE); await loadEntries(); },
          { kind: '', id: 'entries-older', attrs: { disabled: oldest <= 0 } })));
  }

  const refreshButton = action(t('audit.cp.refresh'), async () => { await loadCheckpoint(); newest = null; await loadEntries(); },
    { slot: checkpointSlot, kind: '', id: 'checkpoint-refresh' });
  const signButton = action(t('audit.cp.sign'), async () => { await loadCheckpoint('POST'); newest = null; await loadEntries(); },
    { slot: checkpointSlot, kind: '', id: 'checkpoint-sign' });

  // --- draw record --------------------------------------------------------------------------
  const recordId = h('input', { id: 'record-draw-id', autocomplete: 'off', spellcheck: 'false', class: 'mono', size: 40, value: ctx.params.draw || '' });
  const recordResult = h('div', { id: 'record-result-slot', 'aria-live': 'polite' });
  const recordProofs = h('div', { id: 'record-proofs' });
  const recordSlot = errorSlot();

  const verifyRecordButton = action(t('audit.rec.verify'), async () => {
    replace(recordResult);
    replace(recordProofs);
    const id = recordId.value.trim();
    if (!id) {
      recordId.setAttribute('aria-invalid', 'true');
      throw new Error(t('audit.rec.id'));
    }
    recordId.removeAttribute('aria-invalid');
    const key = pinnedKeyText();
    if (!key) {
      replace(recordResult, verdictNode('record-result', noKeyVerdict(), ''));
      return;
    }
    const record = await api.get(`/api/v1/draws/${encodeURIComponent(id)}/record`);
    const checked = record.format === 'sealdraw-draw-record-v2'
      ? await checkFamily(record, key)
      : await checkSingle(record, key, id);
    const failed = checked.filter((c) => !c.ok).length;
    replace(recordProofs, table([
      { label: t('audit.rec.which'), value: (c) => c.which },
      { label: t('audit.v.index'), value: (c) => (c.verdict.checked.index !== undefined ? String(c.verdict.checked.index) : '') },
      { label: t('audit.cp.size'), value: (c) => (c.verdict.checked.size !== undefined ? String(c.verdict.checked.size) : '') },
      {
        label: t('audit.rec.verdict'),
        value: (c) => h('span', { class: c.ok ? 'badge good' : 'badge bad' },
          c.verdict.ok ? (c.problems.length ? c.problems.join('; ') : '✓ ' + (c.summary ?? t('audit.rec.refs'))) : t(`audit.v.${c.verdict.code}`)),
      },
      {
        label: t('common.actions'),
        value: (c) => c.note ? '' : h('button', {
          type: 'button', id: `load-record-proof-${checked.indexOf(c)}`, 'aria-label': t('audit.rec.load_label', { which: c.which }),
          on: { click: () => { proofText.value = c.text; bound = null; showBinding(); replace(verifyResult); proofText.focus(); } },
        }, t('audit.rec.load')),
      },
    ], checked));
    const family = record.format === 'sealdraw-draw-record-v2';
    const ok = family ? t('audit.rec.family_ok', { id, n: checked.length - 1 }) : t('audit.rec.ok', { id, n: checked.length });
    replace(recordResult, h('div', {
      id: 'record-result', class: failed ? 'error' : 'ok', role: failed ? 'alert' : 'status',
    }, failed ? t('audit.rec.failed', { id, n: failed }) : ok));
  }, { slot: recordSlot, id: 'verify-record' });

  /** A record of a draw made before families (docs/DRAW-SPEC.md §9a): its named proofs. */
  async function checkSingle(record, key, id) {
    const proofs = [
      { which: t('audit.rec.intent'), text: record.intent_proof, type: 'draw.intent' },
      { which: t('audit.rec.result'), text: record.result_proof, type: 'draw.result' },
      ...(record.replacement_proofs || []).map((text, n) => ({ which: t('audit.rec.replacement', { n: n + 1 }), text, type: 'draw.replacement' })),
    ].filter((p) => typeof p.text === 'string');
    return Promise.all(proofs.map(async (p) => {
      const verdict = await tlog.verifyProof(p.text, key);
      const problems = [];
      if (verdict.ok) {
        const entry = decode(verdict.checked.entry);
        if (entry?.type !== p.type) problems.push(t('audit.rec.wrong_type', { type: entry?.type ?? '?', expected: p.type }));
        if (entry?.refs?.draw !== id) problems.push(t('audit.rec.wrong_draw', { draw: entry?.refs?.draw ?? '—' }));
      }
      return { ...p, verdict, problems, ok: verdict.ok && problems.length === 0 };
    }));
  }

  /**
   * A draw family's record (docs/DRAW-SPEC.md §9b): every entry's proof, the chain that links
   * each entry to the one before, and the signed head that says how many there are — so an
   * entry left out anywhere shows. The replay of seats and the seeds stay with the offline tool.
   */
  async function checkFamily(record, key) {
    const labels = {
      'draw.intent': t('audit.rec.intent'), 'draw.contribution': t('audit.rec.contribution'),
      'draw.result': t('audit.rec.result'), 'draw.replacement': t('audit.rec.replacement', { n: '' }).trim(),
      'draw.link_refused': t('audit.rec.link_refused'),
    };
    const head = await tlog.verifyFamilyHead(record.head, key);
    const rows = await Promise.all((record.entries || []).map(async (text) => ({ text, verdict: await tlog.verifyProof(text, key) })));
    let previous = null;
    for (const [i, row] of rows.entries()) {
      const entry = row.verdict.ok ? decode(row.verdict.checked.entry) : null;
      const draw = entry?.refs?.draw;
      row.which = `${labels[entry?.type] ?? entry?.type ?? '?'}${draw && draw !== record.root_draw_id ? ` · ${draw.slice(-8)}` : ''}`;
      row.problems = [];
      if (row.verdict.ok) {
        const link = entry?.data?.family;
        const leaf = tlog.hex(await tlog.leafHash(row.verdict.checked.entry, row.verdict.checked.suite));
        const expectedPrev = previous ? previous.leaf : null;
        if (link?.root !== record.root_draw_id || link?.seq !== i || (link?.prev ?? null) !== expectedPrev) {
          row.problems.push(t('audit.rec.chain_broken', { detail: `#${i}` }));
        } else if (previous && row.verdict.checked.index <= previous.index) {
          row.problems.push(t('audit.rec.chain_broken', { detail: `#${i}` }));
        }
        if (head.ok && row.verdict.checked.size !== head.checked.size) {
          row.problems.push(t('audit.rec.head_mismatch', { detail: `#${i}` }));
        }
        previous = { leaf, index: row.verdict.checked.index };
      }
      row.ok = row.verdict.ok && row.problems.length === 0;
      if (row.ok) row.summary = t('audit.rec.chain');
    }
    const headRow = { which: t('audit.rec.head'), text: record.head, verdict: head, problems: [], note: true };
    if (head.ok) {
      const last = rows[rows.length - 1];
      const lastLeaf = last?.verdict.ok ? tlog.base64Encode(await tlog.leafHash(last.verdict.checked.entry, last.verdict.checked.suite)) : null;
      if (head.checked.rootDraw !== record.root_draw_id) headRow.problems.push(t('audit.rec.head_mismatch', { detail: head.checked.rootDraw }));
      if (head.checked.entries !== BigInt(rows.length)) headRow.problems.push(t('audit.rec.head_mismatch', { detail: `${head.checked.entries} ≠ ${rows.length}` }));
      if (!last || head.checked.lastIndex !== last.verdict.checked.index || head.checked.lastLeaf !== lastLeaf) {
        headRow.problems.push(t('audit.rec.head_mismatch', { detail: String(head.checked.lastIndex) }));
      }
      if (!headRow.problems.length) headRow.summary = t('audit.rec.head_ok', { n: String(head.checked.entries), index: String(head.checked.lastIndex) });
    }
    headRow.ok = head.ok && headRow.problems.length === 0;
    return [...rows, headRow];
  }

  // --- page ---------------------------------------------------------------------------------
  await showPinned();
  showBinding();
  const initialSlot = errorSlot();
  try {
    await loadCheckpoint();
    await loadEntries();
  } catch (error) {
    initialSlot.show(error);
  }

  // --- the whole log: export and full verification ----------------------------------------
  const wholeProgress = h('p', { id: 'whole-progress', role: 'status', 'aria-live': 'polite', class: 'muted' });
  const progressBar = h('progress', { id: 'whole-progress-bar', max: 1, value: 0, hidden: true, 'aria-label': t('audit.whole.progress_label') });
  const wholeResult = h('div', { id: 'whole-result' });
  const wholeSlot = errorSlot();

  /** Signs pending entries, then reads the checkpoint, the key and every tile of its tree. */
  async function fetchWholeLog() {
    const checkpoint = String(await api.post('/api/v1/audit/checkpoint'));
    const key = String(await api.get('/api/v1/audit/key'));
    const { checkpoint: parsed } = tlog.readSignedCheckpoint(checkpoint);
    const paths = [...tlog.entryBundlesForTree(parsed.size), ...tlog.hashTilesForTree(parsed.size)];
    const files = [{ name: 'checkpoint', bytes: new TextEncoder().encode(checkpoint) }, { name: 'key', bytes: new TextEncoder().encode(key) }];
    progressBar.hidden = false;
    progressBar.max = paths.length || 1;
    for (const [i, path] of paths.entries()) {
      const response = await api.request('GET', `/api/v1/audit/${path}`, undefined, { raw: true });
      files.push({ name: path, bytes: new Uint8Array(await response.arrayBuffer()) });
      progressBar.value = i + 1;
      replace(wholeProgress, t('audit.whole.fetched', { n: i + 1, total: paths.length, size: String(parsed.size) }));
    }
    return { checkpoint, size: parsed.size, files };
  }

  const exportButton = action(t('audit.whole.export'), async () => {
    replace(wholeResult);
    const { size, files } = await fetchWholeLog();
    const tar = tlog.tarArchive(files);
    const url = URL.createObjectURL(new Blob([tar], { type: 'application/x-tar' }));
    const link = h('a', { href: url, download: `sealdraw-audit-${size}.tar` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    replace(wholeResult, h('p', { class: 'ok', role: 'status', id: 'whole-exported', 'data-size': String(size) },
      t('audit.whole.exported', { size: String(size), files: files.length })));
  }, { slot: wholeSlot, kind: '', id: 'whole-export' });

  const verifyWholeButton = action(t('audit.whole.verify'), async () => {
    replace(wholeResult);
    const pinned = pinnedKeyText();
    if (!pinned) {
      replace(wholeResult, verdictNode('whole-verdict', noKeyVerdict(), 'audit.whole.ok'));
      return;
    }
    const { checkpoint, size, files } = await fetchWholeLog();
    const signed = await tlog.verifyCheckpoint(checkpoint, pinned);
    if (!signed.ok) {
      replace(wholeResult, verdictNode('whole-verdict', signed, 'audit.whole.ok'));
      return;
    }
    const leaves = [];
    for (const file of files.filter((f) => f.name.startsWith('tile/entries/'))) {
      for (const entry of tlog.decodeEntryBundle(file.bytes)) leaves.push(await tlog.leafHash(entry, signed.checked.suite));
      replace(wholeProgress, t('audit.whole.hashed', { n: leaves.length, size: String(size) }));
    }
    const root = tlog.base64Encode(await tlog.treeRoot(leaves, signed.checked.suite));
    const verdict = leaves.length === Number(size) && root === signed.checked.root
      ? { ok: true, code: 'ok', checked: signed.checked }
      : { ok: false, code: 'root-mismatch', message: t('audit.whole.mismatch', { n: leaves.length, size: String(size) }), checked: signed.checked };
    replace(wholeResult, verdictNode('whole-verdict', verdict, 'audit.whole.ok', { entries: leaves.length }));
  }, { slot: wholeSlot, id: 'whole-verify' });

  // Arriving from the overview's "verify record" link: check that draw straight away.
  if (ctx.params.draw && pinnedKeyText()) setTimeout(() => verifyRecordButton.click(), 0);

  return h('div', { class: 'audit' },
    h('h1', {}, t('audit.heading')),
    h('p', { class: 'muted' }, t('audit.intro')),
    initialSlot.node,
    h('div', { class: 'columns' },
      section(t('audit.key.heading'),
        field(t('audit.key.label'), keyInput, t('audit.key.hint')),
        keySlot.node,
        h('div', { class: 'buttons' }, pinButton, unpinButton),
        keyInfo,
        h('div', { class: 'buttons' }, serverKeyButton),
        serverKey),
      section(t('audit.cp.heading'),
        checkpointSummary,
        field(t('audit.cp.text'), checkpointText),
        checkpointSlot.node,
        h('div', { class: 'buttons' }, checkpointVerify, refreshButton, signButton),
        checkpointResult)),
    section(t('audit.entries.heading'),
      h('div', { class: 'inline' }, field(t('audit.entries.open_label'), entryIndex), fetchProofButton),
      entrySlot.node,
      entriesNode),
    h('section', { class: 'card', id: 'proof-section' },
      h('h2', {}, t('audit.proof.heading')),
      entryDetail,
      field(t('audit.proof.text'), proofText),
      proofEntry,
      proofSlot.node,
      h('div', { class: 'buttons' }, verifyProofButton),
      verifyResult),
    h('section', { class: 'card', id: 'whole-log' },
      h('h2', {}, t('audit.whole.heading')),
      h('p', { class: 'hint' }, t('audit.whole.hint')),
      h('div', { class: 'buttons' }, verifyWholeButton, exportButton),
      progressBar, wholeProgress, wholeSlot.node, wholeResult,
      h('p', { class: 'muted' }, t('audit.whole.offline'))),
    section(t('audit.rec.heading'),
      h('div', { class: 'inline' }, field(t('audit.rec.id'), recordId), verifyRecordButton),
      recordSlot.node,
      recordResult,
      recordProofs,
      h('p', { class: 'muted' }, t('audit.rec.offline'))));
}

// Staff names by account id, read when the log screen opens.
let names = new Map();

function actorText(actor) {
  if (!actor) return '';
  if (actor.system) return actor.system;
  const role = actor.role && has(`role.${actor.role}`) ? t(`role.${actor.role}`) : actor.role ?? '';
  return `${role} ${actor.account ? api.accountName(names, actor.account) : ''}`.trim();
}

function refsText(refs) {
  if (!refs) return '';
  return Object.entries(refs).map(([k, v]) => `${k}: ${String(v).slice(0, 13)}${String(v).length > 13 ? '…' : ''}`).join(', ');
}
