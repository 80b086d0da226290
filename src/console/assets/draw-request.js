// The draw and session requests as the center's forms build them, apart from the page so that
// Node tests them (integration/console_js/draw-request.test.mjs): the forms hand in plain data,
// and get back the API's request body, or the problems to mark at their fields before anything
// is sent. Touches neither the page nor the network.
//
// A stratum's venue binding follows the contract of issue 15 (docs/DRAWS.md): `venue_id` and
// `venue_scope` for a catalogue venue, `venue_random: { regions }` for a sub-venue the server
// chooses at random; a stratum with neither has its experts placed among the session's venues.
// A draw binds every stratum or none, one of its venues is the requester's own (the main
// venue), and a center lends it at most one room.

/**
 * Where a venue-bound stratum's experts come from: the venue's prefecture (the default) or the
 * whole province. (A county scope would admit nobody: experts' regions are prefecture-level.)
 */
export const VENUE_SCOPES = ['prefecture', 'province'];

/** '2026-11-26T09:00' (a datetime-local value, Beijing time) → '2026-11-26T09:00:00+08:00'. */
export function beijingTime(local) {
  return `${local.length === 16 ? `${local}:00` : local}+08:00`;
}

/** The evaluation window of a Beijing-time start and a duration, in UTC RFC 3339, or null. */
export function evaluationWindow(local, minutes) {
  const start = Date.parse(beijingTime(local));
  const length = Number(minutes);
  if (!local || Number.isNaN(start) || !(length > 0)) return null;
  return { from: new Date(start).toISOString(), until: new Date(start + length * 60000).toISOString() };
}

/**
 * The body of POST /api/v1/draws from the form's data:
 * { reference, name, mode, venue, start, minutes, projectRegion, representatives,
 *   strata: [{ specialties, count, reserves, regionsRequire, regionsExclude,
 *              binding: { kind: 'none' } | { kind: 'venue', venueId, scope } | { kind: 'random', regions } }],
 *   avoid: [{ name, code }] }
 * Empty lists and absent choices are left out, so a request without them is the one the server
 * has always taken. A bound stratum's area comes from its venue (or the random choice's
 * regions), so its own required regions are not sent; its exclusions are.
 */
export function drawRequest(form) {
  const crossSite = form.mode === 'cross_site';
  const body = {
    tender_reference: form.reference.trim(),
    tender_name: form.name.trim(),
    evaluation_start: beijingTime(form.start),
    evaluation_minutes: Number(form.minutes),
    mode: form.mode,
    strata: form.strata.map((s) => stratumRequest(s, crossSite)),
    avoid_organisations: (form.avoid || []).map((a) => ({ name: a.name.trim(), credit_code: a.code.trim() })),
  };
  if (form.mode !== 'distributed' && form.venue && form.venue.trim()) body.venue = form.venue.trim();
  if (form.projectRegion) body.project_region = form.projectRegion;
  if (form.industry) body.industry = form.industry;
  // Experts of earlier draws left out by their seat's token (e.g. after a recusal), chosen ones only.
  const excluded = (form.excludeExperts || []).filter((e) => e.drawId && e.token);
  if (excluded.length) body.exclude_experts = excluded.map((e) => ({ draw_id: e.drawId, token: e.token }));
  if (form.statutory) body.statutory_tender = true;
  // What the project is, for supervision's statistics (docs/ANALYTICS.md): only what was chosen.
  if (form.category) body.project_category = form.category;
  if (form.governmentInvested === 'yes' || form.governmentInvested === 'no') body.government_invested = form.governmentInvested === 'yes';
  if (form.valueBand) body.value_band = form.valueBand;
  if (form.transactionCode?.trim()) body.transaction_code = form.transactionCode.trim().toUpperCase();
  // The committee planned (招标投标法 §37), stated when the tenderer names representatives: the
  // server checks it before drawing. Without them the committee is the drawn experts alone.
  const representatives = Number(form.representatives) || 0;
  if (representatives > 0) {
    body.committee = { experts: plannedExperts(form.strata), representatives };
  }
  return body;
}

/** The experts the strata draw together. */
export function plannedExperts(strata) {
  return strata.reduce((sum, s) => sum + (Number(s.count) || 0), 0);
}

/**
 * What is wrong with a committee of `experts` drawn and `representatives` named (招标投标法
 * §37: at least five members, an odd number, experts at least two thirds), as { key, vars } for
 * i18n, or null. Mirrors the server's rule (src/draw/committee.rs) so the form says it first.
 */
export function committeeProblem(experts, representatives) {
  const size = experts + representatives;
  if (size < 5) return { key: 'center.check.committee_small', vars: { size } };
  if (size % 2 === 0) return { key: 'center.check.committee_odd', vars: { size } };
  if (experts * 3 < size * 2) return { key: 'center.check.committee_experts', vars: { experts, size } };
  return null;
}

function stratumRequest(s, crossSite) {
  const out = { specialty_prefixes: [...s.specialties], count: Number(s.count), reserves: Number(s.reserves) };
  if (s.minTier === 'A' || s.minTier === 'B') out.min_tier = s.minTier;
  const binding = (crossSite && s.binding) || { kind: 'none' };
  if (binding.kind === 'none' && s.regionsRequire?.length) out.regions_require = [...s.regionsRequire];
  if (s.regionsExclude?.length) out.regions_exclude = [...s.regionsExclude];
  if (binding.kind === 'venue') {
    out.venue_id = binding.venueId;
    out.venue_scope = VENUE_SCOPES.includes(binding.scope) ? binding.scope : 'prefecture';
  } else if (binding.kind === 'random') {
    out.venue_random = { regions: [...binding.regions] };
  }
  return out;
}

/** Whether any stratum is bound to a venue (chosen, or to be chosen at random). */
export function anyBound(strata) {
  return strata.some((s) => s.binding && s.binding.kind !== 'none');
}

/**
 * What is wrong with the strata's venue bindings, as [{ stratum, field, key, vars }] (stratum
 * from 0; field 'venue' or 'random'; key an i18n key): some strata bound and others not, no
 * venue of the requester's own (`host`, its username) among the chosen ones, two rooms of one
 * center, a venue no longer in the catalogue as read, strata bound to one venue asking more
 * seats than it has free over the window, a random choice without regions. `catalogue` is
 * GET /api/v1/venues's answer (with free_workstations when read for the window).
 */
export function bindingProblems(strata, catalogue, host) {
  const problems = [];
  const byVenue = new Map();
  const bound = anyBound(strata);
  strata.forEach((s, i) => {
    const binding = s.binding || { kind: 'none' };
    if (bound && binding.kind === 'none') problems.push({ stratum: i, field: 'venue', key: 'center.check.bind_all' });
    if (binding.kind === 'random' && !binding.regions?.length) {
      problems.push({ stratum: i, field: 'random', key: 'center.check.random_regions' });
    }
    if (binding.kind !== 'venue') return;
    const venue = catalogue.find((v) => v.venue_id === binding.venueId);
    if (!venue) {
      problems.push({ stratum: i, field: 'venue', key: 'center.check.venue_gone' });
      return;
    }
    if (!byVenue.has(venue.venue_id)) byVenue.set(venue.venue_id, { venue, strata: [], seats: 0 });
    const entry = byVenue.get(venue.venue_id);
    entry.strata.push(i);
    entry.seats += Number(s.count) || 0;
  });
  const centers = new Map();
  for (const { venue, strata: onIt, seats } of byVenue.values()) {
    const free = venue.free_workstations ?? venue.workstations;
    if (seats > free) {
      for (const i of onIt) {
        problems.push({ stratum: i, field: 'venue', key: 'center.check.venue_room', vars: { name: venue.name, free, seats } });
      }
    }
    if (centers.has(venue.center)) {
      for (const i of onIt) problems.push({ stratum: i, field: 'venue', key: 'center.check.one_room_per_center' });
    }
    centers.set(venue.center, venue.venue_id);
  }
  if (byVenue.size && !centers.has(host)) {
    const first = strata.findIndex((s) => s.binding?.kind === 'venue');
    problems.push({ stratum: first, field: 'venue', key: 'center.check.bind_own' });
  }
  return problems;
}

/**
 * The body of POST /api/v1/sessions from the session form's data:
 * { drawId, crossSite, venuesFromDraw, venues: [{ venueId, seats }], assignment, supervisors,
 *   bidders, criteria: [{ name, max }], deviation }.
 * Catalogue venues are named by id alone: the catalogue gives the name and the operating center.
 * A draw whose strata are bound to venues brings its venues and seats each member at their
 * stratum's venue, so neither venues nor a placement are sent.
 */
export function sessionRequest(form) {
  const body = {
    draw_id: form.drawId,
    supervisors: form.supervisors.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
    bidders: form.bidders.split('\n').map((s) => s.trim()).filter(Boolean),
    criteria: form.criteria.map((c) => ({ name: c.name.trim(), max_points: Number(c.max) })),
    deviation_percent: Number(form.deviation),
  };
  // The tenderer's representatives the draw planned, by name (employer and title if given).
  const representatives = (form.representatives || []).map((r) => {
    const person = { name: r.name.trim() };
    if (r.employer?.trim()) person.employer = r.employer.trim();
    if (r.title?.trim()) person.title = r.title.trim();
    return person;
  });
  if (representatives.length) body.representatives = representatives;
  if (form.crossSite && !form.venuesFromDraw) {
    body.venues = form.venues.map((v) => ({ venue_id: v.venueId, seats: Number(v.seats) }));
    body.assignment = form.assignment;
  }
  return body;
}

/**
 * What is wrong with a cross-site session's venues, as [{ venue, field, key, vars }] (venue from
 * 0; field 'venue' or 'seats'): the main venue must be one of the host's own, each sub-venue
 * another center's and each used once, seats at most what is free over the window, and the
 * seats together at least the committee.
 */
export function sessionVenueProblems(venues, catalogue, host, committee) {
  const problems = [];
  const seen = new Set();
  let total = 0;
  venues.forEach((v, i) => {
    const seats = Number(v.seats) || 0;
    total += seats;
    const venue = catalogue.find((c) => c.venue_id === v.venueId);
    if (!venue) {
      problems.push({ venue: i, field: 'venue', key: 'center.check.choose_venue' });
      return;
    }
    if (i === 0 && venue.center !== host) problems.push({ venue: i, field: 'venue', key: 'center.check.main_own' });
    if (i > 0 && venue.center === host) problems.push({ venue: i, field: 'venue', key: 'center.check.sub_other' });
    if (seen.has(venue.venue_id)) problems.push({ venue: i, field: 'venue', key: 'center.check.venue_twice' });
    seen.add(venue.venue_id);
    const free = venue.free_workstations ?? venue.workstations;
    if (seats < 1) problems.push({ venue: i, field: 'seats', key: 'center.check.count' });
    else if (seats > free) problems.push({ venue: i, field: 'seats', key: 'center.check.seats_free', vars: { free } });
  });
  if (venues.length && total < committee) {
    problems.push({ venue: 0, field: 'seats', key: 'center.session.seat_total', vars: { n: committee } });
  }
  return problems;
}
