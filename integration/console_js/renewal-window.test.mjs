// Unit tests of when 我的 offers 申请续聘 (src/console/assets/renewal-window.js): the 90 days up
// to the term's last day, both ends included, as src/admission/renewal.rs counts them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importAsset } from './assets.mjs';

const { renewalDaysLeft, RENEWAL_WINDOW_DAYS } = await importAsset('renewal-window.js');

test('the window is the 90 days up to the last day, both ends included', () => {
  assert.equal(RENEWAL_WINDOW_DAYS, 90);
  assert.equal(renewalDaysLeft('2027-03-31', '2027-03-31'), 0);
  assert.equal(renewalDaysLeft('2027-03-31', '2027-03-30'), 1);
  assert.equal(renewalDaysLeft('2027-03-31', '2026-12-31'), 90);
  assert.equal(renewalDaysLeft('2027-03-31', '2026-12-30'), null);
  assert.equal(renewalDaysLeft('2027-03-31', '2027-04-01'), null);
});

test('days are calendar days, across a leap day and a year end', () => {
  assert.equal(renewalDaysLeft('2028-03-01', '2028-02-28'), 2);
  assert.equal(renewalDaysLeft('2027-01-02', '2026-12-31'), 2);
});

test('no term, or a date that is not one, offers nothing', () => {
  for (const bad of [undefined, null, '', '2027-3-31', '2027-02-30x', 'soon']) {
    assert.equal(renewalDaysLeft(bad, '2027-03-01'), null, String(bad));
  }
  assert.equal(renewalDaysLeft('2027-03-31', ''), null);
});
