// Imports the console's modules (src/console/assets/) into Node for their unit tests. The
// modules are plain ES modules named .js, which Node reads as ES modules only under a
// package.json that says so; the served folder has none, so the whole folder is copied once
// into a temporary one that has, and modules import each other there as in the browser. Only
// modules that touch neither the page nor the network at load time can be imported.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node 18 has WebCrypto but not yet as the global the browser code uses.
if (!globalThis.crypto) globalThis.crypto = (await import('node:crypto')).webcrypto;

const copy = mkdtempSync(join(tmpdir(), 'sealdraw-console-'));
cpSync(fileURLToPath(new URL('../../src/console/assets/', import.meta.url)), copy, { recursive: true });
writeFileSync(join(copy, 'package.json'), '{"type":"module"}\n');
process.on('exit', () => rmSync(copy, { recursive: true, force: true }));

/** importAsset('session/state.js') → that module's exports. */
export function importAsset(name) {
  return import(pathToFileURL(join(copy, name)).href);
}
