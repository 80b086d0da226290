// Unit tests of the requests the center's draw and session forms build
// (src/console/assets/draw-request.js): per-stratum region rules, the venue binding of issue 15
// (`venue_id` with `venue_scope`, or `venue_random`), left out where nothing was chosen so that a
// plain request stays what the server has always taken; the checks made before sending (every
// stratum bound or none, one room of the requester's own, one room per center, a room without
// the free workstations the strata bound to it need, a random choice without regions); and
// sessions naming catalogue venues by id alone, or none (and no placement) when the draw brings
// them; a stratum's lowest tier (issue 22), sent only when chosen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importAsset } from './assets.mjs';

const {
  drawRequest, bindingProblems, sessionRequest, sessionVenueProblems, evaluationWindow, beijingTime,
  committeeProblem, plannedExperts,
} = await importAsset('draw-request.js');

function form(strata, changes = {}) {
  return {
    reference: ' HBGG-2026-0101 ',
    name: '新洲区某道路工程施工',
    mode: 'cross_site',
    venue: '新洲区公共资源交易中心 远程评标室',
    start: '2026-11-26T09:00',
    minutes: '240',
    projectRegion: '420117',
    strata,
    avoid: [],
    ...changes,
  };
}

function stratum(changes = {}) {
  return { specialties: ['A03'], count: '3', reserves: '1', regionsRequire: [], regionsExclude: [], binding: { kind: 'none' }, ...changes };
}

const XINZHOU = { venue_id: 'v-xinzhou', name: '新洲 远程评标室', center: 'center-wuhan', workstations: 12, free_workstations: 10 };
const BAOKANG = { venue_id: 'v-baokang', name: '保康 远程评标室', center: 'center-xiangyang', workstations: 4, free_workstations: 2 };

test('a plain request carries no region or venue fields', () => {
  const body = drawRequest(form([stratum()], { mode: 'on_site', projectRegion: '' }));
  assert.deepEqual(body, {
    tender_reference: 'HBGG-2026-0101',
    tender_name: '新洲区某道路工程施工',
    evaluation_start: '2026-11-26T09:00:00+08:00',
    evaluation_minutes: 240,
    mode: 'on_site',
    strata: [{ specialty_prefixes: ['A03'], count: 3, reserves: 1 }],
    avoid_organisations: [],
    venue: '新洲区公共资源交易中心 远程评标室',
  });
});

test('a stratum’s lowest tier is sent as A or B, and left out for any tier', () => {
  const body = drawRequest(form([stratum({ minTier: 'A' }), stratum({ minTier: 'B' }), stratum({ minTier: '' }), stratum({ minTier: 'C' })]));
  assert.deepEqual(body.strata.map((s) => s.min_tier), ['A', 'B', undefined, undefined]);
  assert.equal('min_tier' in body.strata[2], false);
});

test('a committee with the tenderer’s representatives is planned in the request; without them it is not stated', () => {
  const strata = [stratum({ count: '3' }), stratum({ count: '2' })];
  assert.equal(plannedExperts(strata), 5);
  assert.deepEqual(drawRequest(form(strata, { representatives: '2' })).committee, { experts: 5, representatives: 2 });
  assert.equal('committee' in drawRequest(form(strata, { representatives: '0' })), false);
  assert.equal('committee' in drawRequest(form(strata)), false);
});

test('the project facts are sent as chosen, and left out when not stated', () => {
  const stated = drawRequest(form([stratum()], { category: 'works', governmentInvested: 'yes', valueBand: '10m_to_100m', transactionCode: ' e4206000001000123001 ' }));
  assert.equal(stated.project_category, 'works');
  assert.equal(stated.government_invested, true);
  assert.equal(stated.value_band, '10m_to_100m');
  assert.equal(stated.transaction_code, 'E4206000001000123001');
  assert.equal(drawRequest(form([stratum()], { governmentInvested: 'no' })).government_invested, false);
  const silent = drawRequest(form([stratum()], { category: '', governmentInvested: '', valueBand: '', transactionCode: '' }));
  for (const key of ['project_category', 'government_invested', 'value_band', 'transaction_code']) assert.equal(key in silent, false, key);
});

test('the committee rule: at least five, odd, experts at least two thirds', () => {
  assert.equal(committeeProblem(5, 2), null);
  assert.equal(committeeProblem(5, 0), null);
  assert.equal(committeeProblem(7, 2), null);
  assert.deepEqual(committeeProblem(3, 1), { key: 'center.check.committee_small', vars: { size: 4 } });
  assert.deepEqual(committeeProblem(5, 1), { key: 'center.check.committee_odd', vars: { size: 6 } });
  assert.deepEqual(committeeProblem(3, 2), { key: 'center.check.committee_experts', vars: { experts: 3, size: 5 } });
  assert.equal(committeeProblem(6, 3), null, 'six of nine is exactly two thirds');
  assert.deepEqual(committeeProblem(4, 3), { key: 'center.check.committee_experts', vars: { experts: 4, size: 7 } });
});

test('each stratum carries its own regions, the project its county', () => {
  const body = drawRequest(form([
    stratum({ count: '2' }),
    stratum({ regionsRequire: ['4206'], regionsExclude: ['429004'] }),
  ]));
  assert.equal(body.project_region, '420117');
  assert.deepEqual(body.strata[0], { specialty_prefixes: ['A03'], count: 2, reserves: 1 });
  assert.deepEqual(body.strata[1], {
    specialty_prefixes: ['A03'], count: 3, reserves: 1, regions_require: ['4206'], regions_exclude: ['429004'],
  });
});

test('a stratum bound to a catalogue venue sends the venue and its scope, not its own requirement', () => {
  const body = drawRequest(form([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou', scope: 'prefecture' } }),
    stratum({ count: '2', regionsRequire: ['4205'], regionsExclude: ['4203'], binding: { kind: 'venue', venueId: 'v-baokang', scope: 'province' } }),
    stratum({ binding: { kind: 'venue', venueId: 'v-baokang', scope: 'county' } }),
    stratum({ binding: { kind: 'venue', venueId: 'v-baokang', scope: 'nonsense' } }),
  ], { venue: '' }));
  assert.deepEqual(body.strata[0], { specialty_prefixes: ['A03'], count: 3, reserves: 1, venue_id: 'v-xinzhou', venue_scope: 'prefecture' });
  assert.deepEqual(body.strata[1], {
    specialty_prefixes: ['A03'], count: 2, reserves: 1, regions_exclude: ['4203'], venue_id: 'v-baokang', venue_scope: 'province',
  });
  // A county scope would admit nobody (experts are recorded per prefecture): never sent.
  assert.equal(body.strata[2].venue_scope, 'prefecture');
  assert.equal(body.strata[3].venue_scope, 'prefecture', 'an unknown scope falls back to the default');
  assert.equal('venue' in body, false, 'bound strata may leave the label to the main venue');
});

test('a random sub-venue sends its regions and no venue id', () => {
  const body = drawRequest(form([stratum({ binding: { kind: 'random', regions: ['4205', '4206'] } })]));
  assert.deepEqual(body.strata[0], { specialty_prefixes: ['A03'], count: 3, reserves: 1, venue_random: { regions: ['4205', '4206'] } });
  assert.equal('venue_id' in body.strata[0], false);
});

test('experts left out by their seat are sent as draw and token, unfinished rows not at all', () => {
  const body = drawRequest(form([stratum()], {
    excludeExperts: [{ drawId: 'd-1', token: 'ab'.repeat(32) }, { drawId: 'd-2', token: '' }],
    industry: 'water',
    statutory: true,
  }));
  assert.deepEqual(body.exclude_experts, [{ draw_id: 'd-1', token: 'ab'.repeat(32) }]);
  assert.equal(body.industry, 'water');
  assert.equal(body.statutory_tender, true);
  const plain = drawRequest(form([stratum()]));
  assert.equal('exclude_experts' in plain, false);
  assert.equal('industry' in plain, false);
  assert.equal('statutory_tender' in plain, false);
});

test('only a cross-site draw binds venues', () => {
  for (const mode of ['on_site', 'distributed']) {
    const body = drawRequest(form([stratum({ regionsRequire: ['4206'], binding: { kind: 'venue', venueId: 'v-xinzhou', scope: 'county' } })], { mode }));
    assert.deepEqual(body.strata[0], { specialty_prefixes: ['A03'], count: 3, reserves: 1, regions_require: ['4206'] }, mode);
    if (mode === 'distributed') assert.equal('venue' in body, false);
  }
});

test('the form refuses more seats than a room has free, a vanished room and a random choice without regions', () => {
  assert.deepEqual(bindingProblems([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou' } }),
    stratum({ count: '2', binding: { kind: 'venue', venueId: 'v-baokang' } }),
  ], [XINZHOU, BAOKANG], 'center-wuhan'), []);
  // Two strata in one room count together.
  assert.deepEqual(bindingProblems([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou' } }),
    stratum({ count: '2', binding: { kind: 'venue', venueId: 'v-baokang' } }),
    stratum({ count: '1', binding: { kind: 'venue', venueId: 'v-baokang' } }),
    stratum({ binding: { kind: 'venue', venueId: 'v-gone' } }),
    stratum({ binding: { kind: 'random', regions: [] } }),
  ], [XINZHOU, BAOKANG], 'center-wuhan'), [
    { stratum: 3, field: 'venue', key: 'center.check.venue_gone' },
    { stratum: 4, field: 'random', key: 'center.check.random_regions' },
    { stratum: 1, field: 'venue', key: 'center.check.venue_room', vars: { name: '保康 远程评标室', free: 2, seats: 3 } },
    { stratum: 2, field: 'venue', key: 'center.check.venue_room', vars: { name: '保康 远程评标室', free: 2, seats: 3 } },
  ]);
  // Read without a window, a room offers its workstations.
  const { free_workstations: _, ...unwindowed } = BAOKANG;
  assert.deepEqual(bindingProblems([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou' } }),
    stratum({ count: '4', binding: { kind: 'venue', venueId: 'v-baokang' } }),
  ], [XINZHOU, unwindowed], 'center-wuhan'), []);
});

test('a draw binds every stratum or none, one of them to a room of its own, and one room per center', () => {
  assert.deepEqual(bindingProblems([stratum(), stratum()], [XINZHOU], 'center-wuhan'), [], 'none bound');
  assert.deepEqual(bindingProblems([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou' } }),
    stratum(),
  ], [XINZHOU, BAOKANG], 'center-wuhan'), [{ stratum: 1, field: 'venue', key: 'center.check.bind_all' }]);
  assert.deepEqual(bindingProblems([
    stratum({ count: '2', binding: { kind: 'venue', venueId: 'v-baokang' } }),
  ], [XINZHOU, BAOKANG], 'center-wuhan'), [{ stratum: 0, field: 'venue', key: 'center.check.bind_own' }]);
  const fangxian = { ...BAOKANG, venue_id: 'v-fangxian', name: '房县 远程评标室' };
  assert.deepEqual(bindingProblems([
    stratum({ binding: { kind: 'venue', venueId: 'v-xinzhou' } }),
    stratum({ count: '1', binding: { kind: 'venue', venueId: 'v-baokang' } }),
    stratum({ count: '1', binding: { kind: 'venue', venueId: 'v-fangxian' } }),
  ], [XINZHOU, BAOKANG, fangxian], 'center-wuhan'), [{ stratum: 2, field: 'venue', key: 'center.check.one_room_per_center' }]);
});

test('times are Beijing time and the window is the evaluation', () => {
  assert.equal(beijingTime('2026-11-26T09:00'), '2026-11-26T09:00:00+08:00');
  assert.deepEqual(evaluationWindow('2026-11-26T09:00', '240'), { from: '2026-11-26T01:00:00.000Z', until: '2026-11-26T05:00:00.000Z' });
  assert.equal(evaluationWindow('', '240'), null);
  assert.equal(evaluationWindow('2026-11-26T09:00', '0'), null);
});

const SESSION = {
  drawId: 'd-1', crossSite: true, venuesFromDraw: false,
  venues: [{ venueId: 'v-xinzhou', seats: '3' }, { venueId: 'v-baokang', seats: '2' }],
  assignment: 'random', supervisors: 'supervisor-li，supervisor-wang', bidders: '甲公司\n\n乙公司 ',
  criteria: [{ name: ' 技术 ', max: '60' }, { name: '报价', max: '40' }], deviation: '20',
};

test('a session names catalogue venues by id alone', () => {
  assert.deepEqual(sessionRequest(SESSION), {
    draw_id: 'd-1',
    supervisors: ['supervisor-li', 'supervisor-wang'],
    bidders: ['甲公司', '乙公司'],
    criteria: [{ name: '技术', max_points: 60 }, { name: '报价', max_points: 40 }],
    deviation_percent: 20,
    venues: [{ venue_id: 'v-xinzhou', seats: 3 }, { venue_id: 'v-baokang', seats: 2 }],
    assignment: 'random',
  });
  const named = sessionRequest({
    ...SESSION,
    representatives: [{ name: ' 王五 ', employer: ' 某建设单位 ', title: '' }, { name: '赵六', employer: '', title: '总工程师' }],
  });
  assert.deepEqual(named.representatives, [
    { name: '王五', employer: '某建设单位' },
    { name: '赵六', title: '总工程师' },
  ], 'named representatives are sent trimmed, empty parts left out');
  const bound = sessionRequest({ ...SESSION, venuesFromDraw: true });
  assert.equal('venues' in bound, false, 'a draw bound to venues brings them');
  assert.equal('assignment' in bound, false, 'and seats each member at their stratum’s venue');
  const distributed = sessionRequest({ ...SESSION, crossSite: false });
  assert.equal('venues' in distributed, false);
  assert.equal('assignment' in distributed, false);
});

test('a session’s venues: the main one the host’s own, sub-venues others’, once each, within what is free', () => {
  const catalogue = [XINZHOU, BAOKANG, { ...BAOKANG, venue_id: 'v-jiangxia', center: 'center-wuhan' }];
  assert.deepEqual(sessionVenueProblems(SESSION.venues, catalogue, 'center-wuhan', 5), []);
  assert.deepEqual(sessionVenueProblems([
    { venueId: 'v-baokang', seats: '1' },
    { venueId: 'v-jiangxia', seats: '1' },
    { venueId: '', seats: '1' },
  ], catalogue, 'center-wuhan', 5), [
    { venue: 0, field: 'venue', key: 'center.check.main_own' },
    { venue: 1, field: 'venue', key: 'center.check.sub_other' },
    { venue: 2, field: 'venue', key: 'center.check.choose_venue' },
    { venue: 0, field: 'seats', key: 'center.session.seat_total', vars: { n: 5 } },
  ]);
  assert.deepEqual(sessionVenueProblems([
    { venueId: 'v-xinzhou', seats: '2' },
    { venueId: 'v-baokang', seats: '3' },
    { venueId: 'v-baokang', seats: '0' },
  ], catalogue, 'center-wuhan', 5), [
    { venue: 1, field: 'seats', key: 'center.check.seats_free', vars: { free: 2 } },
    { venue: 2, field: 'venue', key: 'center.check.venue_twice' },
    { venue: 2, field: 'seats', key: 'center.check.count' },
  ]);
});
