// Unit tests of the training and assessment screens' checks (src/console/assets/training-input.js):
// hours in half hours from 0.5 to 200, reasons of 10–500 characters counted as the server counts
// them, the assessment's years and a completion date not in the future (docs/POOL.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importAsset } from './assets.mjs';

const { halfHoursOf, validReason, withinLength, assessmentYearOf, completionDateOf, provinceToday } =
  await importAsset('training-input.js');

test('hours are taken in half hours from 0.5 to 200', () => {
  assert.equal(halfHoursOf('4'), 4);
  assert.equal(halfHoursOf('4.5'), 4.5);
  assert.equal(halfHoursOf(' 0.5 '), 0.5);
  assert.equal(halfHoursOf('200'), 200);
  assert.equal(halfHoursOf('200.0'), 200);
  assert.equal(halfHoursOf('7.50'), 7.5);
  for (const bad of ['', '0', '0.0', '200.5', '201', '4.25', '4.3', '-1', '1e1', '4,5', '.5', 'abc', null, undefined]) {
    assert.equal(halfHoursOf(bad), null, String(bad));
  }
});

test('a reason has 10 to 500 characters, Chinese counted one each, spaces around not counted', () => {
  assert.equal(validReason('培训证书编号有误需作废'), true);
  assert.equal(validReason('九个字不够十个字吧'), false);
  assert.equal(validReason(`   ${'错'.repeat(9)}   `), false);
  assert.equal(validReason('字'.repeat(500)), true);
  assert.equal(validReason('字'.repeat(501)), false);
  // A character outside the Basic Multilingual Plane is one character, not two.
  assert.equal(validReason('𠀀'.repeat(10)), true);
  assert.equal(validReason(undefined), false);
  assert.equal(withinLength(' 课程 ', 1, 200), true);
  assert.equal(withinLength('   ', 1, 200), false);
  assert.equal(withinLength('x'.repeat(101), 1, 100), false);
});

test('an assessment year is four digits from 2000 to the current year', () => {
  assert.equal(assessmentYearOf('2025', 2026), 2025);
  assert.equal(assessmentYearOf(' 2026 ', 2026), 2026);
  assert.equal(assessmentYearOf('2000', 2026), 2000);
  for (const bad of ['1999', '2027', '26', '20255', '2025.0', '', null]) {
    assert.equal(assessmentYearOf(bad, 2026), null, String(bad));
  }
});

test('a completion date is a real day not after today', () => {
  assert.equal(completionDateOf('2026-11-20', '2026-12-06'), '2026-11-20');
  assert.equal(completionDateOf('2026-12-06', '2026-12-06'), '2026-12-06');
  assert.equal(completionDateOf('2024-02-29', '2026-12-06'), '2024-02-29');
  for (const bad of ['2026-12-07', '2025-02-29', '2026-13-01', '2026-11-31', '20261120', '', null]) {
    assert.equal(completionDateOf(bad, '2026-12-06'), null, String(bad));
  }
});

test("today is Beijing's day, which starts eight hours before UTC's", () => {
  assert.equal(provinceToday(new Date('2026-12-06T15:59:59Z')), '2026-12-06');
  assert.equal(provinceToday(new Date('2026-12-06T16:00:00Z')), '2026-12-07');
});
