// Unit tests of the console's money conversions (src/console/assets/money.js): fen from the
// server shown as yuan, and yuan as typed sent as fen, both exact (docs/FEES.md: integer fen).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importAsset } from './assets.mjs';

const { yuan, fenOf } = await importAsset('money.js');

test('fen are shown as yuan with two decimals', () => {
  assert.equal(yuan(0), '0.00');
  assert.equal(yuan(5), '0.05');
  assert.equal(yuan(158000), '1580.00');
  assert.equal(yuan(38050), '380.50');
  assert.equal(yuan(-1234), '-12.34');
});

test('typed yuan become exact fen, and anything else is refused', () => {
  assert.equal(fenOf('350'), 35000);
  assert.equal(fenOf('350.5'), 35050);
  assert.equal(fenOf(' 0.29 '), 29);
  assert.equal(fenOf('0.1'), 10);
  for (const bad of ['', '1.234', '-1', '1,000', 'abc', '1e3', null, undefined]) {
    assert.equal(fenOf(bad), null, String(bad));
  }
});
