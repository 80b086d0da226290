//! Step 1, the intent: the request checked, the pool read at one snapshot through the rules,
//! the eligible sets and `H(s)` committed and logged before any randomness exists. Also the
//! penalties the rules read.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike};

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, to_beijing_rfc3339, to_rfc3339};
use crate::crypto::KeyRing;
use crate::draw::committee::PlannedCommittee;
use crate::draw::filter::{
    Candidate, DrawFilter, EvaluationMode, FILTER_VERSION, FilterStratum, Floor, PoolFacts,
    PoolRules, Qualification, TierFloors, TrainingRule, VenueScope,
};
use crate::draw::{
    DrawError, DrawPlan, DrawRequest, DrawStatus, DrawToken, EligibleSet, FamilyRequest, LinkState,
    MAX_VENUE_CANDIDATES, ServerSecret, Stratum, StratumRegions, StratumVenue, VenueCandidate,
    algorithm, filter, published,
};
use crate::store::draws::{DrawJurisdiction, DrawRow, StratumRow};
use crate::store::{StoreError, Tx};
use crate::venue::bookings::{self, Claim};
use crate::venue::{Holder, Window};

use super::{
    BoundVenues, CHINA_OFFSET_MILLIS, CreatedDraw, DAY_MILLIS, DrawHeader, DrawService,
    DrawServiceError, NewDraw, ParentLink, PoolCandidates, RandomStratum, StratumSummary,
    chain_family_entry, checks, corrupt, invalid, members_context, record_family_entry, seat_token,
    secret_context,
};

impl DrawService {
    /// Step 1: validate, filter the pool at one snapshot, commit to `s`, log the intent.
    pub(crate) async fn create(
        &self,
        center: &Principal,
        request: NewDraw,
    ) -> Result<CreatedDraw, DrawServiceError> {
        let now = self.clock.now_millis();
        self.check_timing(request.evaluation_start, now)?;
        let jurisdiction = jurisdiction_of(center, &request)?;
        let project = project_of(&request)?;
        let mut header = DrawHeader {
            center_id: center.account_id.clone(),
            tender_reference: request.tender_reference.trim().to_owned(),
            lot: request.lot.trim().to_owned(),
            tender_name: request.tender_name.trim().to_owned(),
            venue: request.venue.as_deref().map(str::trim).map(str::to_owned),
            parent: None,
            bookings: None,
            jurisdiction: Some(jurisdiction),
            committee: request.committee,
            project,
        };
        let (filter, bound) = self.filter_for(center, request).await?;
        if let Some(bound) = bound {
            // Where the committee reports: the main venue's name unless the request named it.
            header.venue.get_or_insert_with(|| bound.main_venue.clone());
            header.bookings = Some(bound);
        }
        // Before the pool is read: a tender that has its draw gets the answer at once. The
        // unique index decides races (two requests at once, two instances) at the write.
        self.check_tender_free(center, &header).await?;
        let place = header.jurisdiction.clone().unwrap_or_default();
        let row = match self.commit_intent(header, Actor::of(center), filter).await {
            Err(DrawServiceError::Refused { refusal, strata }) => {
                // Counted for the supply report (issue 21 §2): which specialties run short.
                // Counts only; a failure to count does not change the answer.
                if let Err(error) = self
                    .count_refusal(center, &place, &refusal, &strata, now)
                    .await
                {
                    tracing::warn!(%error, "a refused draw could not be counted");
                }
                return Err(DrawServiceError::Refused { refusal, strata });
            }
            other => other?,
        };
        let intent_proof = self.audit.proof_file(row.intent_index as u64).await?;
        let draw = self.view_row(row).await?;
        Ok(CreatedDraw { draw, intent_proof })
    }

    /// Stores a refusal's counts for the supply report: the strata's specialties, k, m and
    /// eligible-set sizes, which one fell short, and where the project belongs.
    async fn count_refusal(
        &self,
        center: &Principal,
        place: &DrawJurisdiction,
        refusal: &crate::draw::StratumRefusal,
        strata: &[StratumSummary],
        now: Millis,
    ) -> Result<(), DrawServiceError> {
        let counts: Vec<serde_json::Value> = strata
            .iter()
            .map(|s| {
                serde_json::json!({
                    "specialty_prefixes": s.specialty_prefixes,
                    "k": s.k,
                    "m": s.m,
                    "matched": s.matched,
                    "eligible": s.eligible,
                })
            })
            .collect();
        let mut tx = self.store.write().await?;
        tx.insert_draw_refusal(&crate::store::analytics::RefusalRow {
            id: uuid::Uuid::now_v7().to_string(),
            center_id: center.account_id.clone(),
            refused_at: now,
            region: place.region.clone(),
            industry: place.industry.clone(),
            strata: serde_json::to_string(&counts).map_err(corrupt)?,
            refused_stratum: refusal.stratum() as i32,
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn check_timing(&self, start: Millis, now: Millis) -> Result<(), DrawServiceError> {
        let earliest = now + self.settings.latest_minutes_before * 60_000;
        let latest = now + self.settings.earliest_hours_before * 3_600_000;
        if start < earliest {
            return Err(DrawServiceError::Timing(format!(
                "the evaluation must start at least {} minutes after the draw (no earlier than {}, Beijing time)",
                self.settings.latest_minutes_before,
                to_beijing_rfc3339(earliest)
            )));
        }
        if start > latest {
            return Err(DrawServiceError::Timing(format!(
                "a draw is accepted at most {} hours before the evaluation starts (no later than {}, Beijing time)",
                self.settings.earliest_hours_before,
                to_beijing_rfc3339(latest)
            )));
        }
        Ok(())
    }

    /// The center's request as the canonical filter: each part parsed in turn (`checks`),
    /// in the order its problems are reported, the classification read only once the strata
    /// are known to be worth checking.
    async fn filter_for(
        &self,
        center: &Principal,
        mut request: NewDraw,
    ) -> Result<(DrawFilter, Option<BoundVenues>), DrawServiceError> {
        checks::check_labels(&request)?;
        checks::check_evaluation_minutes(request.evaluation_minutes)?;
        checks::check_strata_count(&request.strata)?;
        let known = self.known_specialties().await?;
        checks::check_strata(&request.strata, &known)?;
        checks::check_committee(&request.strata, request.committee.as_ref())?;
        let bound = self
            .bind_venues(center, request.mode, &mut request.strata)
            .await?;
        let floors = checks::stratum_floors(
            request.strata.len(),
            &request.stratum_floors,
            self.deployment_floor(),
        )?;
        let tiers = checks::stratum_tiers(&request.stratum_floors)?;
        let avoid = checks::avoided_organisations(&request.avoid_organisations)?;
        checks::check_excluded_tokens(&request.exclude_tokens)?;
        let mut regions_exclude =
            checks::region_prefixes("regions_exclude", &request.regions_exclude)?;
        let regions_require = checks::region_prefixes("regions_require", &request.regions_require)?;
        checks::check_stratum_regions(&request.strata, &regions_require)?;
        let user_excludes = !regions_exclude.is_empty();
        if let Some(project) = checks::project_exclusion(
            request.mode,
            request.project_region.as_deref(),
            center.region_code.as_deref(),
            self.settings.exclude_project_region,
        )? {
            regions_exclude.push(project);
        }
        let salt = self
            .rng
            .bytes::<32>()
            .map_err(|_| DrawServiceError::Randomness)?;
        let mut filter = DrawFilter {
            version: FILTER_VERSION.into(),
            salt: hex::encode(salt),
            evaluation_start: request.evaluation_start,
            evaluation_minutes: request.evaluation_minutes,
            mode: request.mode,
            strata: request.strata,
            avoid_organisations: avoid,
            exclude_tokens: request.exclude_tokens,
            regions_exclude,
            regions_require,
            rules: self.rules(floors, tiers),
        };
        filter.normalise();
        self.check_region_rules_match(&filter, user_excludes)
            .await?;
        let mut bound = bound;
        if let Some(bound) = &mut bound {
            self.find_candidates(&filter, bound).await?;
        }
        Ok((filter, bound))
    }

    /// Binds each stratum that names a catalogue venue (docs/DRAWS.md, "Strata bound to
    /// venues"): the venue read and checked as a booking would check it, its county and the
    /// stratum's scope written into the stratum, whose region rule then includes the venue's.
    /// A stratum whose sub-venue is chosen at random has its regions checked here and its
    /// candidates found once the draw's whole region rule is known ([`Self::find_candidates`]).
    /// Returns the workstations to hold, one claim per venue (strata sharing a venue add up),
    /// or `None` when no stratum names a venue.
    async fn bind_venues(
        &self,
        center: &Principal,
        mode: EvaluationMode,
        strata: &mut [FilterStratum],
    ) -> Result<Option<BoundVenues>, DrawServiceError> {
        if let Some(i) = strata
            .iter()
            .position(|s| s.venue_id.is_none() && s.venue_scope.is_some())
        {
            return Err(invalid(
                format!("strata[{i}].venue_scope"),
                "applies to a stratum bound to a named venue: name its venue_id",
            ));
        }
        if let Some(i) = strata
            .iter()
            .position(|s| s.venue_id.is_some() && s.venue_random.is_some())
        {
            return Err(invalid(
                format!("strata[{i}].venue_random"),
                "name the stratum's venue (venue_id) or have it chosen at random \
                 (venue_random), not both",
            ));
        }
        let Some(first) = strata.iter().position(FilterStratum::is_bound) else {
            return Ok(None);
        };
        let first_field = format!("strata[{first}].{}", bound_field(&strata[first]));
        if mode == EvaluationMode::Distributed {
            return Err(invalid(
                first_field,
                "a distributed evaluation has no venues: every expert sits at their own seat",
            ));
        }
        // Each expert of a bound draw sits at their stratum's venue; a stratum without one
        // would leave its experts' seats to chance among venues it does not name.
        if let Some(i) = strata.iter().position(|s| !s.is_bound()) {
            return Err(invalid(
                format!("strata[{i}].venue_id"),
                "bind every stratum to a venue or none: in a draw bound to venues each expert \
                 sits at their stratum's venue (venue_scope \"province\" draws from the whole \
                 province)",
            ));
        }
        let mut random = Vec::new();
        for (i, stratum) in strata.iter_mut().enumerate() {
            let Some(chosen) = &mut stratum.venue_random else {
                continue;
            };
            let field = format!("strata[{i}].venue_random.regions");
            if chosen.regions.is_empty() {
                return Err(invalid(
                    field,
                    "name the regions (e.g. 4205) the sub-venue is chosen in",
                ));
            }
            chosen.regions = checks::region_prefixes(&field, &chosen.regions)?;
            random.push(RandomStratum {
                stratum: i,
                k: stratum.k,
                candidates: Vec::new(),
            });
        }
        let mut claims: Vec<Claim> = Vec::new();
        for (i, stratum) in strata.iter().enumerate() {
            let Some(venue_id) = stratum.venue_id.clone() else {
                continue;
            };
            match claims.iter_mut().find(|c| c.venue_id == venue_id) {
                Some(claim) => claim.workstations = claim.workstations.saturating_add(stratum.k),
                None => claims.push(Claim {
                    venue_id,
                    workstations: stratum.k,
                    main: false,
                    remote: mode == EvaluationMode::CrossSite,
                    venue_field: format!("strata[{i}].venue_id"),
                    count_field: format!("strata[{i}].count"),
                }),
            }
        }
        let mut tx = self.store.read().await?;
        let mut venues = Vec::with_capacity(claims.len());
        for claim in &claims {
            venues.push(
                bookings::resolve(&mut tx, center, claim)
                    .await
                    .map_err(DrawServiceError::from_venue)?,
            );
        }
        tx.rollback().await?;
        // One venue per center: a session knows a sub-venue's operator by its center.
        for (i, venue) in venues.iter().enumerate() {
            if venues[..i].iter().any(|v| v.center_id == venue.center_id) {
                return Err(invalid(
                    &claims[i].venue_field,
                    format!(
                        "{:?} is a second venue of {}: a draw's venues are one per center",
                        venue.name, venue.center_username
                    ),
                ));
            }
        }
        let main_venue = venues
            .iter()
            .find(|v| v.center_id == center.account_id)
            .map(|v| v.name.clone())
            .ok_or_else(|| {
                invalid(
                    first_field,
                    "one stratum sits at the main venue (主场), one of your own venues named by \
                     venue_id; another center's venue is a sub-venue (副场), and only a \
                     sub-venue is chosen at random",
                )
            })?;
        for (i, stratum) in strata.iter_mut().enumerate() {
            if stratum.venue_id.is_none() {
                continue;
            }
            let venue = venues
                .iter()
                .find(|v| Some(&v.id) == stratum.venue_id.as_ref())
                .ok_or_else(|| corrupt("a bound stratum's venue was not resolved"))?;
            let scope = *stratum.venue_scope.get_or_insert(VenueScope::Prefecture);
            if scope == VenueScope::County {
                return Err(invalid(
                    format!("strata[{i}].venue_scope"),
                    "county: experts' regions are recorded by prefecture (e.g. 420600), so a \
                     county's code admits none of them; use prefecture (the default) or \
                     province",
                ));
            }
            stratum.venue_region = Some(venue.region_code.clone());
        }
        Ok(Some(BoundVenues {
            requester: center.clone(),
            claims,
            main_venue,
            named_centers: venues.into_iter().map(|v| v.center_id).collect(),
            random,
        }))
    }

    /// The candidates of each stratum whose sub-venue is chosen at random (DRAW-SPEC §7a):
    /// every open, remote-capable venue of a center the draw does not already use, in a
    /// region the stratum's whole rule admits, with the stratum's workstations free over the
    /// evaluation window. Each is held and asked, like a named sub-venue; the one seated is
    /// chosen among those that accept, after the seed.
    async fn find_candidates(
        &self,
        filter: &DrawFilter,
        bound: &mut BoundVenues,
    ) -> Result<(), DrawServiceError> {
        let Some(window) = Window::new(filter.evaluation_start, filter.evaluation_end()) else {
            return Err(corrupt("the evaluation window has no length"));
        };
        let mut taken_centers: Vec<(String, usize)> = Vec::new();
        for random in &mut bound.random {
            let i = random.stratum;
            let field = format!("strata[{i}].venue_random.regions");
            let rule = filter.stratum_regions(i).ok_or_else(|| {
                corrupt("a stratum's region rule shares no region with the draw's")
            })?;
            let mut tx = self.store.read().await?;
            let free = bookings::available(&mut tx, window, random.k, |venue| {
                venue.center_id != bound.requester.account_id
                    && !bound.named_centers.contains(&venue.center_id)
                    && rule.admits(&venue.region_code)
            })
            .await
            .map_err(DrawServiceError::from_venue)?;
            tx.rollback().await?;
            if free.is_empty() {
                return Err(invalid(
                    field,
                    format!(
                        "no open, remote-capable venue of another center in these regions has \
                         {} free workstations from {} to {} (Beijing time)",
                        random.k,
                        to_beijing_rfc3339(window.start),
                        to_beijing_rfc3339(window.end)
                    ),
                ));
            }
            if free.len() > MAX_VENUE_CANDIDATES {
                return Err(invalid(
                    field,
                    format!(
                        "{} venues qualify and every one is asked before the draw executes: \
                         name fewer regions (at most {MAX_VENUE_CANDIDATES} venues)",
                        free.len()
                    ),
                ));
            }
            for venue in &free {
                bound.claims.push(Claim {
                    venue_id: venue.id.clone(),
                    workstations: random.k,
                    main: false,
                    remote: true,
                    venue_field: field.clone(),
                    count_field: format!("strata[{i}].count"),
                });
            }
            // Strata chosen at random choose among different centers: each stratum's choice is
            // then its own, and no two can land on one center's rooms (a session knows a
            // sub-venue by its center) once the seed is known, when nothing may fail.
            if let Some(other) = free.iter().find_map(|venue| {
                taken_centers
                    .iter()
                    .find(|(center, _)| *center == venue.center_id)
            }) {
                return Err(invalid(
                    field,
                    format!(
                        "a center of these regions also has rooms among stratum {}'s candidates: \
                         strata chosen at random choose in regions of different centers",
                        other.1
                    ),
                ));
            }
            taken_centers.extend(free.iter().map(|venue| (venue.center_id.clone(), i)));
            random.candidates = free
                .into_iter()
                .map(|venue| VenueCandidate {
                    venue_id: venue.id,
                    venue_region: venue.region_code,
                })
                .collect();
            random.candidates.sort_unstable();
        }
        Ok(())
    }

    /// Refuses, naming the field, a stratum whose region rule (the draw's and its own) admits
    /// none of the experts under its specialties: a mistake in the request rather than a small
    /// eligible set, and never a draw. Read at the pool's current version; the intent reads it
    /// again at its own snapshot, where a stratum that shrank since is refused as too small.
    async fn check_region_rules_match(
        &self,
        filter: &DrawFilter,
        user_excludes: bool,
    ) -> Result<(), DrawServiceError> {
        let ruled = !filter.regions_exclude.is_empty()
            || !filter.regions_require.is_empty()
            || filter
                .strata
                .iter()
                .any(|s| !s.regions_exclude.is_empty() || !s.regions_require.is_empty());
        if !ruled {
            return Ok(());
        }
        let mut tx = self.store.read().await?;
        let candidates = self.pool_candidates(&mut tx).await?;
        tx.rollback().await?;
        match filter::region_misses(&candidates, filter)
            .into_iter()
            .enumerate()
            .find_map(|(i, miss)| miss.map(|miss| (i, miss)))
        {
            Some((i, miss)) => Err(checks::region_miss(filter, i, miss, user_excludes)),
            None => Ok(()),
        }
    }

    /// The settings' rules, with `floors` (one per stratum, each at least the deployment's)
    /// and the strata's tiers, if any asks for one.
    pub(super) fn rules(&self, floors: Vec<Floor>, tiers: Option<TierFloors>) -> PoolRules {
        PoolRules {
            age_limit_years: self.settings.age_limit_years,
            avoidance_years: self.settings.avoidance_years,
            frequency_cap: self.settings.frequency_cap,
            frequency_window_days: self.settings.frequency_window_days,
            qualification: Some(Qualification {
                min_years: self.settings.min_years,
                min_title: self.settings.min_title,
                strata: floors,
            }),
            tiers,
            training: self
                .settings
                .require_training_current
                .then_some(TrainingRule {
                    required_hours_per_year: self.required_training_hours,
                }),
        }
    }

    /// 招标投标法 §37's floor as this deployment sets it.
    pub(super) fn deployment_floor(&self) -> Floor {
        Floor {
            min_years: self.settings.min_years,
            min_title: self.settings.min_title,
        }
    }

    /// Refuses a second root draw for a tender (spec §5: one tender and lot, one root draw).
    /// Only the center that made the first learns which draw it is.
    async fn check_tender_free(
        &self,
        center: &Principal,
        header: &DrawHeader,
    ) -> Result<(), DrawServiceError> {
        let key = hex::encode(algorithm::tender_commitment(
            self.keys.suite(),
            &header.tender_reference,
            &header.lot,
        ));
        let legacy = header
            .lot
            .is_empty()
            .then_some(header.tender_reference.as_str());
        let mut tx = self.store.read().await?;
        let existing = tx.root_draw_for_tender(&key, legacy).await?;
        let owner = match &existing {
            Some(id) => tx.draw(id).await?.map(|draw| draw.center_id),
            None => None,
        };
        tx.rollback().await?;
        match existing {
            Some(id) if owner.as_deref() == Some(center.account_id.as_str()) => {
                Err(tender_taken(Some(&id)))
            }
            Some(_) => Err(tender_taken(None)),
            None => Ok(()),
        }
    }

    async fn known_specialties(&self) -> Result<HashSet<String>, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let codes = tx.specialty_codes().await?;
        tx.rollback().await?;
        Ok(codes.into_iter().map(|(code, _, _)| code).collect())
    }

    /// Reads the pool at one snapshot, applies the filter, seals the eligible members and `s`,
    /// and logs the intent. Refuses, writing nothing, when a stratum is too small.
    pub(super) async fn commit_intent(
        &self,
        header: DrawHeader,
        actor: Actor,
        filter: DrawFilter,
    ) -> Result<DrawRow, DrawServiceError> {
        let now = self.clock.now_millis();
        let draw_id = uuid::Uuid::now_v7().to_string();
        let (snapshot, eligibility) = self.eligibility(&header.center_id, &filter).await?;
        let summaries: Vec<StratumSummary> = filter
            .strata
            .iter()
            .zip(&eligibility)
            .enumerate()
            .map(|(i, (stratum, found))| StratumSummary {
                stratum: i,
                specialty_prefixes: stratum.prefixes.clone(),
                k: stratum.k,
                m: stratum.m,
                matched: found.matched,
                eligible: found.eligible.len() as u64,
                excluded: found
                    .excluded
                    .iter()
                    .map(|(code, count)| ((*code).to_owned(), *count))
                    .collect(),
                venue: None,
                venue_random: None,
            })
            .collect();
        let mut strata = Vec::with_capacity(filter.strata.len());
        let mut members_by_stratum = Vec::with_capacity(filter.strata.len());
        // A root draw is v3; a linked draw keeps its family's version (spec §12).
        let spec_version = header.parent.as_ref().map_or(3, |link| link.spec_version);
        // Spec §4: a v2 linked draw derives its tokens under its root's id, so the family's
        // tokens it excluded are comparable with its own.
        let token_domain = match &header.parent {
            Some(link) if spec_version >= 2 => link.root_id.as_str(),
            _ => draw_id.as_str(),
        };
        let tokens = DrawToken::deriver(&self.keys, token_domain);
        for (i, (stratum, found)) in filter.strata.iter().zip(eligibility).enumerate() {
            let mut pairs: Vec<(DrawToken, String)> = found
                .eligible
                .into_iter()
                .map(|id| (tokens.token(&id), id))
                .collect();
            pairs.sort_unstable_by_key(|a| a.0);
            let (tokens, members): (Vec<DrawToken>, Vec<String>) = pairs.into_iter().unzip();
            let set = EligibleSet::new(tokens).map_err(corrupt)?;
            let mut planned = Stratum::new(stratum.prefixes.clone(), stratum.k, stratum.m)
                .map_err(|e| invalid("strata", e.to_string()))?;
            // Spec §5: a v3 intent commits the rule the stratum applied, the draw's and its own
            // as one (the request was refused if they share no region).
            if spec_version >= 3 {
                let rule = filter.stratum_regions(i).ok_or_else(|| {
                    corrupt("a stratum's region rule shares no region with the draw's")
                })?;
                planned = planned
                    .with_regions(StratumRegions {
                        exclude: rule.exclude().to_vec(),
                        require: rule.require().to_vec(),
                    })
                    .map_err(|e| invalid(format!("strata[{i}]"), e.to_string()))?;
                if let (Some(venue_id), Some(region_code), Some(scope)) = (
                    &stratum.venue_id,
                    &stratum.venue_region,
                    stratum.venue_scope,
                ) {
                    planned = planned
                        .with_venue(StratumVenue {
                            venue_id: venue_id.clone(),
                            region_code: region_code.clone(),
                            scope: scope.as_str().to_owned(),
                        })
                        .map_err(|e| invalid(format!("strata[{i}].venue_id"), e.to_string()))?;
                }
                if let Some(random) = header
                    .bookings
                    .as_ref()
                    .and_then(|b| b.random.iter().find(|r| r.stratum == i))
                {
                    planned = planned
                        .with_venue_candidates(random.candidates.clone())
                        .map_err(|e| {
                            invalid(format!("strata[{i}].venue_random.regions"), e.to_string())
                        })?;
                }
            }
            strata.push((planned, set));
            members_by_stratum.push(members);
        }
        let filter_sha256 = filter.digest(self.keys.suite()).map_err(corrupt)?;
        let secret = ServerSecret::generate(&self.rng).map_err(|_| DrawServiceError::Randomness)?;
        let tender_sha256 = (spec_version >= 2).then(|| {
            algorithm::tender_commitment(self.keys.suite(), &header.tender_reference, &header.lot)
        });
        let family = match &header.parent {
            Some(link) if spec_version >= 2 => Some(FamilyRequest {
                root_draw_id: link.root_id.clone(),
                root_intent_hash: link.root_intent_hash,
                root_stratum: link.root_stratum as u32,
                vacated_draw_id: link.source_draw_id.clone(),
                vacated_token: seat_token(&link.source_token)?,
                excluded: EligibleSet::new(link.excluded.clone()).map_err(corrupt)?,
            }),
            _ => None,
        };
        let plan = DrawPlan::new(
            DrawRequest {
                suite: self.keys.suite(),
                draw_id: draw_id.clone(),
                pool_snapshot: snapshot,
                filter_sha256,
                min_multiple: self.settings.min_eligible_multiple,
                strata,
                tender_sha256,
                family,
            },
            &secret,
        )
        .map_err(|error| match error {
            DrawError::Refused(refusal) => DrawServiceError::Refused {
                refusal,
                strata: summaries.clone(),
            },
            other => corrupt(other),
        })?;
        let mut stratum_rows = Vec::with_capacity(members_by_stratum.len());
        for (i, (members, set)) in members_by_stratum.iter().zip(plan.eligible()).enumerate() {
            let members_json = serde_json::to_vec(members).map_err(corrupt)?;
            let stratum = &plan.intent().strata[i];
            stratum_rows.push(StratumRow {
                stratum: i as i32,
                prefixes: serde_json::to_string(&stratum.prefixes).map_err(corrupt)?,
                k: stratum.k as i32,
                m: stratum.m as i32,
                eligible_count: set.len() as i64,
                eligible_root: stratum.eligible_root.to_vec(),
                tokens: set.tokens().iter().flat_map(|t| *t.as_bytes()).collect(),
                sealed_members: self.keys.seal(
                    &self.rng,
                    &members_context(&draw_id, i),
                    &members_json,
                )?,
            });
        }
        let deadline = now + self.settings.contribution_timeout_secs * 1000;
        let mut entry = published::intent_entry(plan.intent(), now, actor)
            .data("tender_reference", &header.tender_reference)
            .data("lot", &header.lot)
            .data("mode", filter.mode.as_str())
            .data("evaluation_start", to_rfc3339(filter.evaluation_start))
            .data("contribution_deadline", to_rfc3339(deadline))
            .data("exclusions", &summaries);
        if let Some(place) = &header.jurisdiction {
            // Where the draw belongs among supervisors' jurisdictions, logged with its intent
            // (not part of the intent: it decides who oversees the draw, not who is drawn).
            entry = entry.data("statutory_tender", place.statutory_tender);
            if let Some(region) = &place.region {
                entry = entry.data("jurisdiction_region", region);
            }
            if let Some(industry) = &place.industry {
                entry = entry.data("industry", industry);
            }
        }
        if let Some(project) = &header.project {
            // For supervision's statistics, logged with the intent but not in it: nothing of
            // it decides who is drawn.
            entry = entry.data("project", project);
        }
        if let Some(committee) = &header.committee {
            // The committee planned, logged with the intent but not in it: representatives are
            // named, not drawn, so they change nothing the draw computes (DRAW-SPEC §5).
            entry = entry.data("committee", committee);
        }
        if let Some(link) = &header.parent {
            entry = entry
                .reference("parent_draw", &link.root_id)
                .data("parent_stratum", link.root_stratum)
                .data("link_reason", link.reason.as_str());
        }
        let sealed_secret =
            self.keys
                .seal(&self.rng, &secret_context(&draw_id), secret.expose())?;
        let filter_json =
            String::from_utf8(filter.canonical_bytes().map_err(corrupt)?).map_err(corrupt)?;
        let row = DrawRow {
            id: draw_id.clone(),
            center_id: header.center_id,
            parent_draw_id: header.parent.as_ref().map(|l| l.root_id.clone()),
            parent_stratum: header.parent.as_ref().map(|l| l.root_stratum),
            link_reason: header.parent.as_ref().map(|l| l.reason),
            tender_reference: header.tender_reference,
            tender_name: header.tender_name,
            venue: header.venue,
            mode: filter.mode,
            evaluation_start: filter.evaluation_start,
            evaluation_minutes: filter.evaluation_minutes as i32,
            status: DrawStatus::AwaitingEntropy,
            filter_json,
            exclusions_json: serde_json::to_string(&summaries).map_err(corrupt)?,
            intent_json: String::from_utf8(plan.intent().canonical_bytes().map_err(corrupt)?)
                .map_err(corrupt)?,
            intent_hash: plan.intent_hash().to_vec(),
            intent_index: 0,
            sealed_secret,
            contribution_deadline: deadline,
            secret: None,
            seed: None,
            result_index: None,
            created_at: now,
            executed_at: None,
            spec_version,
            lot: header.lot,
            tender_key: tender_sha256
                .filter(|_| header.parent.is_none())
                .map(hex::encode),
            family_excluded: header
                .parent
                .as_ref()
                .filter(|_| spec_version >= 2)
                .map(|link| link.excluded.iter().flat_map(|t| *t.as_bytes()).collect()),
        };
        self.write_intent(
            row,
            entry,
            &stratum_rows,
            header.parent.as_ref(),
            header.bookings.as_ref(),
            header.jurisdiction.as_ref(),
            header.committee.as_ref(),
            header.project.as_ref(),
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the intent's row and entry and what the header adds, each written in turn"
    )]
    async fn write_intent(
        &self,
        row: DrawRow,
        entry: AuditEntry,
        strata: &[StratumRow],
        link: Option<&ParentLink>,
        bound: Option<&BoundVenues>,
        jurisdiction: Option<&DrawJurisdiction>,
        committee: Option<&PlannedCommittee>,
        project: Option<&super::super::project::ProjectFacts>,
    ) -> Result<DrawRow, DrawServiceError> {
        let mut row = row;
        let mut entry = entry;
        let mut tx = self.store.write().await?;
        if link.is_none()
            && let Some(key) = &row.tender_key
            && let Some(void) = tx.void_roots_of_tender(key).await?.into_iter().next()
        {
            // A tender whose root draw was void (a sub-venue refused before it executed) is
            // drawn anew, as is one re-tendered after a supervisor approved cancelling its
            // evaluation; the new intent names the earlier draw, so the log shows why there are
            // two.
            let retendered = tx
                .draw_void(&void)
                .await?
                .is_some_and(|(reason, _)| reason == super::RETENDER_VOID_REASON);
            let name = if retendered {
                "retender_of"
            } else {
                "after_void"
            };
            entry = entry.reference(name, &void);
        }
        if let Some(link) = link {
            // The log's writer order first (as `Tx::lock_draw` takes it, before any row of a
            // draw): no other draw of the family can then be written or drawn between this
            // reading and this draw's commit, on any instance.
            audit::hold(&mut tx).await?;
            if !tx
                .settle_link(
                    &link.source_draw_id,
                    &link.source_token,
                    LinkState::Started,
                    Some(&row.id),
                )
                .await?
            {
                return Err(DrawServiceError::LinkTaken);
            }
            let now = tx.family_state(&link.root_id).await?;
            if now != link.family_state || now.awaiting > 0 {
                return Err(DrawServiceError::FamilyBusy);
            }
        }
        if row.spec_version < 2 {
            row.intent_index = audit::append(&mut tx, &entry).await? as i64;
            tx.insert_draw(&row).await.map_err(tender_conflict)?;
            tx.insert_draw_strata(&row.id, strata).await?;
        } else {
            let root = row.root_id().to_owned();
            let (entry, seq) = chain_family_entry(&mut tx, &root, entry).await?;
            let index = audit::append(&mut tx, &entry).await?;
            row.intent_index = index as i64;
            tx.insert_draw(&row).await.map_err(tender_conflict)?;
            tx.insert_draw_strata(&row.id, strata).await?;
            record_family_entry(&mut tx, &root, &row.id, &entry, seq, index).await?;
        }
        if let Some(place) = jurisdiction {
            tx.insert_draw_jurisdiction(&row.id, place).await?;
        }
        if let Some(committee) = committee {
            tx.insert_draw_committee(&row.id, committee.experts, committee.representatives)
                .await?;
        }
        if let Some(project) = project {
            tx.insert_draw_project(&row.id, &project.into()).await?;
        }
        if let Some(bound) = bound {
            // The venues' workstations for the evaluation window, and other centers' consent
            // asked, with the intent: a venue that is full refuses the draw, writing nothing.
            let window = Window::new(
                row.evaluation_start,
                row.evaluation_start + i64::from(row.evaluation_minutes) * 60_000,
            )
            .ok_or_else(|| corrupt("the evaluation window has no length"))?;
            bookings::hold(
                &mut tx,
                &bound.requester,
                &Holder::draw(&row.id),
                window,
                &bound.claims,
                row.created_at,
            )
            .await
            .map_err(DrawServiceError::from_venue)?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// The pool at one consistent snapshot, through the rules. Returns the snapshot's name (the
    /// audit log's size and root then: every pool change is logged, so it names the pool state)
    /// and each stratum's eligible experts.
    pub(super) async fn eligibility(
        &self,
        center_id: &str,
        filter: &DrawFilter,
    ) -> Result<(String, Vec<filter::StratumEligibility>), DrawServiceError> {
        let start = filter.evaluation_start;
        let end = filter.evaluation_end();
        // The province's calendar (UTC+8), as for leave and penalties: an evaluation at 00:30
        // on 1 January is in the new year for the age limit and the avoidance years.
        let evaluation_day = DateTime::from_timestamp_millis(start + CHINA_OFFSET_MILLIS)
            .ok_or_else(|| invalid("evaluation_start", "is out of range"))?
            .date_naive();
        let mut tx = self.store.snapshot().await?;
        let head = tx.audit_head().await?;
        let frontier =
            crate::audit::merkle::Frontier::from_bytes(tx.suite(), &head).map_err(corrupt)?;
        let snapshot = format!("{}:{}", frontier.size(), hex::encode(frontier.root()));
        let candidates = self.pool_candidates(&mut tx).await?;
        let conflicted = conflicted_experts(&mut tx, &self.keys, filter, evaluation_day).await?;
        let over_cap = if filter.rules.frequency_cap == 0 {
            HashSet::new()
        } else {
            let today = self.clock.now_millis().div_euclid(DAY_MILLIS);
            tx.selection_counts(
                today - filter.rules.frequency_window_days + 1,
                i64::from(filter.rules.frequency_cap),
            )
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect()
        };
        let mut excluded = HashSet::new();
        for (i, wanted) in filter.exclude_tokens.iter().enumerate() {
            let field = || format!("exclude_experts[{i}]");
            let unknown = || {
                invalid(
                    field(),
                    "is not a drawn or reserve token of one of your draws",
                )
            };
            let draw = tx.draw(&wanted.draw_id).await?.ok_or_else(unknown)?;
            if draw.center_id != center_id {
                return Err(unknown());
            }
            let token = DrawToken::from_hex(&wanted.token).map_err(|p| invalid(field(), p))?;
            let seat = tx
                .draw_seat(&wanted.draw_id, token.as_bytes())
                .await?
                .ok_or_else(unknown)?;
            excluded.insert(self.open_seat_expert(&wanted.draw_id, &seat)?);
        }
        // Training is current or not as of today (the injected clock), as the frequency
        // cap's window is.
        let training_behind = match filter.rules.training {
            Some(rule) => crate::pool::training::TrainingService::behind(
                &mut tx,
                self.clock.now_millis(),
                rule.required_hours_per_year,
            )
            .await?
            .into_iter()
            .collect(),
            None => HashSet::new(),
        };
        let facts = PoolFacts {
            on_leave: tx.experts_on_leave(start, end).await?.into_iter().collect(),
            penalised: tx.experts_penalised(start).await?.into_iter().collect(),
            conflicted,
            excluded,
            over_cap,
            training_behind,
        };
        tx.rollback().await?;
        Ok((
            snapshot,
            filter::apply(&candidates, &facts, filter, evaluation_day.year()),
        ))
    }

    /// The pool's draw-relevant rows as of `tx`'s snapshot: this instance's copy when the pool
    /// version read in the same snapshot says it is current, else read afresh and kept. Reading
    /// every row per draw cost more than all the draw's arithmetic (BENCHMARKS.md, Draws).
    async fn pool_candidates(&self, tx: &mut Tx) -> Result<PoolCandidates, DrawServiceError> {
        let version = tx.pool_version().await?;
        if let Some((cached, candidates)) =
            &*self.pool_cache.lock().unwrap_or_else(|e| e.into_inner())
            && *cached == version
        {
            return Ok(candidates.clone());
        }
        let candidates = candidates_from_rows(tx.all_draw_candidates().await?);
        let candidates = Arc::new(candidates);
        *self.pool_cache.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((version, candidates.clone()));
        Ok(candidates)
    }

    /// Records a penalty (违规记录) against an expert; while it is in force the expert is not drawn.
    pub(crate) async fn record_penalty(
        &self,
        admin: &Principal,
        expert_id: &str,
        reason_code: &str,
        until: Option<Millis>,
    ) -> Result<String, DrawServiceError> {
        let code_ok = (2..=32).contains(&reason_code.len())
            && reason_code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_');
        if !code_ok {
            return Err(invalid(
                "reason_code",
                "must be a short lowercase code such as bid_rigging or absence",
            ));
        }
        let now = self.clock.now_millis();
        if until.is_some_and(|until| until <= now) {
            return Err(invalid("until", "must be in the future"));
        }
        // Not an id at all (a NUL byte is refused by PostgreSQL): no such expert, no query.
        if expert_id.is_empty() || expert_id.len() > 64 || expert_id.chars().any(char::is_control) {
            return Err(DrawServiceError::NoSuchExpert);
        }
        let mut tx = self.store.write().await?;
        if tx.expert(expert_id).await?.is_none() {
            return Err(DrawServiceError::NoSuchExpert);
        }
        let id = uuid::Uuid::now_v7().to_string();
        tx.insert_penalty(&id, expert_id, reason_code, now, until)
            .await?;
        let mut entry = AuditEntry::new("expert.penalty", now, Actor::of(admin))
            .reference("penalty", &id)
            .data("expert", self.keys.expert_pseudonym(expert_id))
            .data("reason_code", reason_code);
        if let Some(until) = until {
            entry = entry.data("until", to_rfc3339(until));
        }
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }
}

fn tender_taken(own_draw: Option<&str>) -> DrawServiceError {
    DrawServiceError::TenderTaken(match own_draw {
        Some(id) => format!(
            "this tender (reference and lot) already has its draw, {id}: a tender is drawn \
             once; vacated seats are filled from its reserves and linked draws"
        ),
        None => "this tender (reference and lot) already has its draw, made by another \
                 trading center: a tender is drawn once"
            .to_owned(),
    })
}

/// What the request says of its project, its transaction code checked; `None` when it says
/// nothing.
fn project_of(
    request: &NewDraw,
) -> Result<Option<super::super::project::ProjectFacts>, DrawServiceError> {
    let mut project = request.project.clone();
    project.transaction_code = project
        .transaction_code
        .as_deref()
        .map(super::super::project::transaction_code)
        .transpose()
        .map_err(|problem| invalid("transaction_code", problem))?;
    Ok((!project.is_empty()).then_some(project))
}

/// Where a root draw belongs among supervisors' jurisdictions: the project's region (the
/// center's own when the request names none; an invalid one is refused with the filter), its
/// industry department (checked against the list), and whether it must be tendered by law.
fn jurisdiction_of(
    center: &Principal,
    request: &NewDraw,
) -> Result<DrawJurisdiction, DrawServiceError> {
    let industry = match request.industry.as_deref().map(str::trim) {
        None => None,
        Some(code) if crate::auth::jurisdiction::is_industry(code) => Some(code.to_owned()),
        Some(_) => {
            return Err(invalid(
                "industry",
                "is not an industry department code (GET /api/v1/industries lists them)",
            ));
        }
    };
    Ok(DrawJurisdiction {
        region: request
            .project_region
            .as_deref()
            .map(str::trim)
            .map(str::to_owned)
            .or_else(|| center.region_code.clone()),
        industry,
        statutory_tender: request.statutory_tender,
    })
}

/// The request member that bound `stratum` to its venue, for problems.
fn bound_field(stratum: &FilterStratum) -> &'static str {
    if stratum.venue_random.is_some() {
        "venue_random"
    } else {
        "venue_id"
    }
}

/// Two requests for one tender raced past [`DrawService::check_tender_free`]: the unique
/// index let one through.
fn tender_conflict(error: StoreError) -> DrawServiceError {
    match error {
        StoreError::Conflict("tender") => tender_taken(None),
        other => other.into(),
    }
}

/// The pool's (expert, specialty) rows gathered per expert, as the rules take them.
pub(crate) fn candidates_from_rows(
    rows: Vec<crate::store::draws::CandidateRow>,
) -> HashMap<String, Candidate> {
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    for row in rows {
        candidates
            .entry(row.id.clone())
            .or_insert_with(|| Candidate {
                expert_id: row.id,
                status: row.status,
                suspended_until: row.suspended_until,
                birth_year: row.birth_year,
                title_level: row.title_level,
                years_in_field: row.years_in_field,
                region_code: row.region_code,
                specialties: Vec::new(),
                tier: row.tier,
                term_end: row.term_end,
            })
            .specialties
            .push(row.code);
    }
    candidates
}

/// Experts tied to one of the filter's avoided organisations in a way the rules count as a
/// conflict at the evaluation date (matched by blind index; nothing is decrypted).
pub(crate) async fn conflicted_experts(
    tx: &mut Tx,
    keys: &KeyRing,
    filter: &DrawFilter,
    evaluation_day: chrono::NaiveDate,
) -> Result<HashSet<String>, StoreError> {
    let org_indexes: Vec<[u8; 32]> = filter
        .avoid_organisations
        .iter()
        .map(|org| keys.blind_index("credit_code", &org.credit_code))
        .collect();
    Ok(tx
        .organisation_ties(&org_indexes)
        .await?
        .into_iter()
        .filter(|tie| {
            filter::tie_is_conflict(
                tie.relation,
                tie.to_date.as_deref(),
                evaluation_day,
                filter.rules.avoidance_years,
            )
        })
        .map(|tie| tie.expert_id)
        .collect())
}
