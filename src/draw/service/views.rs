//! What people read: a draw's view and list, the published record, a supervisor's recheck of
//! the committed eligible sets, and the frequency report.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::to_rfc3339;
use crate::draw::filter::{DrawFilter, FilterStratum};
use crate::draw::{
    CandidateState, DrawIntent, DrawStatus, DrawToken, EligibleSet, VerificationRecord, published,
};
use crate::store::draws::DrawRow;
use crate::venue::{ConsentState, HolderKind};

use super::{
    CandidateVenueView, ContributionView, DAY_MILLIS, DrawService, DrawServiceError, DrawView,
    FairnessTest, FrequencyEntry, FrequencyReport, LinkedDrawView, RandomVenueView, RecheckReport,
    RecheckStratum, SeatView, StratumProgress, StratumSummary, StratumVenueView, VoidView,
    committee_complete, corrupt, invalid, members_context, seat_token, stratum_tokens, to_hash,
    token_domain,
};

/// How many of the province's newest draws a supervisor with a jurisdiction has listed, theirs
/// picked out: far more than one jurisdiction's draws over the days a list is read for. Older
/// ones are reached by id.
const JURISDICTION_WINDOW: i64 = 2_000;

impl DrawService {
    /// The draw as its center or a supervisor sees it. A draw whose window has closed is
    /// executed first, so nobody ever sees an overdue draw still waiting.
    pub(crate) async fn view(
        &self,
        who: &Principal,
        draw_id: &str,
    ) -> Result<DrawView, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let mut draw = self.visible_draw(&mut tx, who, draw_id).await?;
        tx.rollback().await?;
        if draw.status == DrawStatus::AwaitingEntropy
            && self.clock.now_millis() >= draw.contribution_deadline
        {
            self.execute(draw_id, Actor::System).await?;
            let mut tx = self.store.read().await?;
            draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
            tx.rollback().await?;
        }
        self.view_row(draw).await
    }

    /// Newest first: a center's own draws, or every draw for a supervisor (within their
    /// jurisdiction, among the province's [`JURISDICTION_WINDOW`] newest).
    pub(crate) async fn list(
        &self,
        who: &Principal,
        limit: i64,
    ) -> Result<Vec<DrawView>, DrawServiceError> {
        let center = (who.role != Role::Supervisor).then_some(who.account_id.as_str());
        let limit = limit.clamp(1, 200);
        let mut tx = self.store.read().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let rows = if scope.is_province_wide() {
            tx.draws(center, limit).await?
        } else {
            // A supervisor within a jurisdiction sees only its draws: the newest of the
            // province's latest draws that lie in it.
            let mut mine = Vec::new();
            for row in tx.draws(None, JURISDICTION_WINDOW).await? {
                if mine.len() as i64 == limit {
                    break;
                }
                if scope.covers_draw(&mut tx, row.root_id()).await? {
                    mine.push(row);
                }
            }
            mine
        };
        tx.rollback().await?;
        let mut views = Vec::with_capacity(rows.len());
        for mut row in rows {
            // As in `view`: an overdue draw is executed before anyone sees it.
            if row.status == DrawStatus::AwaitingEntropy
                && self.clock.now_millis() >= row.contribution_deadline
            {
                self.execute(&row.id, Actor::System).await?;
                let mut tx = self.store.read().await?;
                row = tx.draw(&row.id).await?.ok_or(DrawServiceError::NotFound)?;
                tx.rollback().await?;
            }
            views.push(self.view_row(row).await?);
        }
        Ok(views)
    }

    pub(super) async fn view_row(&self, draw: DrawRow) -> Result<DrawView, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let contributions = tx.contributions(&draw.id).await?;
        let seats = tx.draw_seats(&draw.id).await?;
        let linked_draws = tx.linked_draw_ids(&draw.id).await?;
        // Each linked draw as a link of the root's chain: which group's seat it fills, why,
        // and its own seats (issue 24 §2: one page for the whole committee).
        let mut linked_chain = Vec::with_capacity(linked_draws.len());
        for id in &linked_draws {
            let Some(linked) = tx.draw(id).await? else {
                continue;
            };
            let linked_seats = tx.draw_seats(id).await?;
            linked_chain.push(LinkedDrawView {
                draw_id: linked.id,
                stratum: linked.parent_stratum.map_or(0, |s| s.max(0) as usize),
                reason: linked.link_reason,
                status: linked.status,
                created_at: to_rfc3339(linked.created_at),
                seats: linked_seats
                    .into_iter()
                    .filter(|seat| seat.state != CandidateState::Reserve)
                    .map(seat_view)
                    .collect(),
            });
        }
        // In the same snapshot as the seats, so `complete` and `progress` always agree.
        let complete = committee_complete(&mut tx, &draw).await?;
        let hold = tx.draw_hold(draw.root_id()).await?;
        let project = tx.draw_project(draw.root_id()).await?.map(Into::into);
        let void = tx.draw_void(&draw.id).await?.map(|(reason, at)| VoidView {
            reason,
            voided_at: to_rfc3339(at),
        });
        let committee = tx
            .draw_committee(&draw.id)
            .await?
            .map(
                |(experts, representatives)| crate::draw::committee::PlannedCommittee {
                    experts: experts.max(0) as u32,
                    representatives: representatives.max(0) as u32,
                },
            );
        let filter: DrawFilter = serde_json::from_str(&draw.filter_json).map_err(corrupt)?;
        let mut strata: Vec<StratumSummary> =
            serde_json::from_str(&draw.exclusions_json).map_err(corrupt)?;
        if filter.strata.iter().any(FilterStratum::is_bound) {
            let root = draw.parent_draw_id.as_deref().unwrap_or(&draw.id);
            let consents = tx.consents_of_holder(HolderKind::Draw, root).await?;
            let consent_of =
                |venue_id: &str| match consents.iter().rev().find(|c| c.venue_id == venue_id) {
                    Some(c) => match c.state {
                        ConsentState::Requested => "pending",
                        other => other.as_str(),
                    },
                    None => "not_needed",
                };
            let seated_at = super::stratum_venues(&mut tx, &draw).await?;
            let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
            for (i, (summary, stratum)) in strata.iter_mut().zip(&filter.strata).enumerate() {
                if let Some(random) = &stratum.venue_random {
                    let mut candidates = Vec::new();
                    let committed = intent
                        .strata
                        .get(i)
                        .and_then(|s| s.venue_candidates.as_ref());
                    for candidate in committed.into_iter().flatten() {
                        let Some(venue) = tx.venue(&candidate.venue_id).await? else {
                            continue;
                        };
                        candidates.push(CandidateVenueView {
                            consent: consent_of(&venue.id).to_owned(),
                            venue_id: venue.id,
                            name: venue.name,
                            region_code: candidate.venue_region.clone(),
                            center: venue.center_username,
                        });
                    }
                    summary.venue_random = Some(RandomVenueView {
                        regions: random.regions.clone(),
                        candidates,
                        chosen: seated_at.get(i).cloned().flatten(),
                    });
                }
                let Some(Some(venue_id)) = seated_at.get(i) else {
                    continue;
                };
                let Some(venue) = tx.venue(venue_id).await? else {
                    continue;
                };
                let main = venue.center_id == draw.center_id;
                let consent = if main {
                    "not_needed"
                } else {
                    consent_of(venue_id)
                };
                let region_code = stratum
                    .venue_region
                    .clone()
                    .unwrap_or_else(|| venue.region_code.clone());
                let chosen_at_random = stratum.venue_random.is_some();
                summary.venue = Some(StratumVenueView {
                    venue_id: venue.id,
                    name: venue.name,
                    address: venue.address,
                    prefecture_prefix: crate::draw::prefecture_prefix(&region_code).to_owned(),
                    region_code,
                    center: venue.center_username,
                    scope: if chosen_at_random {
                        "regions"
                    } else {
                        stratum.venue_scope.map_or("prefecture", |s| s.as_str())
                    }
                    .to_owned(),
                    role: if main { "main" } else { "sub" }.to_owned(),
                    consent: consent.to_owned(),
                    chosen_at_random,
                });
            }
        }
        tx.rollback().await?;
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let mut progress: Vec<StratumProgress> = (0..strata.len())
            .map(|stratum| StratumProgress {
                stratum,
                confirmed: 0,
                pending: 0,
                replaced: 0,
                reserves_left: 0,
                filled_by_linked: 0,
                pending_in_linked: 0,
            })
            .collect();
        // Seats of this (root) draw's groups that its linked draws fill: the committee the
        // center waits for counts them too.
        for link in &linked_chain {
            if let Some(p) = progress.get_mut(link.stratum) {
                for seat in &link.seats {
                    match seat.state {
                        CandidateState::Confirmed => p.filled_by_linked += 1,
                        CandidateState::Seated => p.pending_in_linked += 1,
                        _ => {}
                    }
                }
            }
        }
        for seat in &seats {
            if let Some(p) = progress.get_mut(seat.stratum as usize) {
                match seat.state {
                    CandidateState::Confirmed => p.confirmed += 1,
                    CandidateState::Seated => p.pending += 1,
                    CandidateState::Replaced => p.replaced += 1,
                    CandidateState::Reserve => p.reserves_left += 1,
                }
            }
        }
        Ok(DrawView {
            status: draw.status,
            tender_reference: draw.tender_reference,
            tender_name: draw.tender_name,
            venue: draw.venue,
            mode: draw.mode,
            evaluation_start: to_rfc3339(draw.evaluation_start),
            evaluation_minutes: draw.evaluation_minutes as u32,
            parent_draw_id: draw.parent_draw_id,
            link_reason: draw.link_reason,
            linked_draws,
            linked_chain,
            intent,
            intent_index: draw.intent_index as u64,
            contribution_deadline: to_rfc3339(draw.contribution_deadline),
            contributions: contributions
                .into_iter()
                .map(|c| ContributionView {
                    position: c.position as u32,
                    role: c.role,
                    received_at: to_rfc3339(c.received_at),
                })
                .collect(),
            strata,
            result_index: draw.result_index.map(|i| i as u64),
            seats: seats.into_iter().map(seat_view).collect(),
            progress,
            complete,
            void,
            hold,
            committee,
            project,
            draw_id: draw.id,
        })
    }

    /// The self-contained verification record. For a draw made since families were chained
    /// (spec §9b): the whole family — every draw's §9 record, a proof of every entry the
    /// family wrote, and the log's signed statement of its newest entry, all under one
    /// checkpoint. For an older draw: the draw alone with its intent, result and replacement
    /// proofs (spec §9a).
    pub(crate) async fn record(
        &self,
        who: &Principal,
        draw_id: &str,
    ) -> Result<published::AnyRecord, DrawServiceError> {
        self.view(who, draw_id).await?;
        self.published_record(draw_id).await
    }

    /// [`Self::record`] without a reader to check: for the evaluation archive, which checks its
    /// own readers (admins may read a package, not the draw's view).
    pub(crate) async fn published_record(
        &self,
        draw_id: &str,
    ) -> Result<published::AnyRecord, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        let root = match &draw.parent_draw_id {
            Some(root) if draw.spec_version >= 2 => {
                tx.draw(root).await?.ok_or(DrawServiceError::NotFound)?
            }
            _ => draw.clone(),
        };
        tx.rollback().await?;
        if root.result_index.is_none() {
            return Err(DrawServiceError::NotDrawn);
        }
        if draw.spec_version >= 2 {
            return Ok(published::AnyRecord::Family(
                self.family_record(&root).await?,
            ));
        }
        let record = self.verification_record(&draw).await?;
        let mut tx = self.store.read().await?;
        let seats = tx.draw_seats(draw_id).await?;
        tx.rollback().await?;
        let result_index = draw.result_index.unwrap_or_default() as u64;
        let mut replacement_indexes: Vec<u64> = seats
            .iter()
            .filter_map(|seat| seat.replaced_index.map(|i| i as u64))
            .collect();
        replacement_indexes.sort_unstable();
        let last = replacement_indexes.last().copied().unwrap_or(result_index);
        // One checkpoint covering everything, so the proofs agree with each other.
        let checkpoint = self.audit.checkpoint_covering(last).await?;
        let intent_proof = self
            .audit
            .proof_file_under(draw.intent_index as u64, &checkpoint)
            .await?;
        let result_proof = self
            .audit
            .proof_file_under(result_index, &checkpoint)
            .await?;
        let mut replacement_proofs = Vec::with_capacity(replacement_indexes.len());
        for index in replacement_indexes {
            replacement_proofs.push(self.audit.proof_file_under(index, &checkpoint).await?);
        }
        Ok(published::AnyRecord::V1(Box::new(
            published::PublishedRecord::new(record, intent_proof, result_proof, replacement_proofs),
        )))
    }

    /// A family's record (spec §9b). The checkpoint is fixed first and the family's entries
    /// read after it, keeping those below its size: the head then speaks of exactly the
    /// family's entries in that tree, even while new ones are being appended.
    async fn family_record(
        &self,
        root: &DrawRow,
    ) -> Result<published::family::FamilyRecord, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let newest = tx
            .family_head(&root.id)
            .await?
            .ok_or_else(|| corrupt("a v2 draw without family entries"))?;
        let newest_index = tx
            .family_entries(&root.id)
            .await?
            .into_iter()
            .find(|entry| entry.seq == newest.0)
            .map(|entry| entry.log_index as u64)
            .ok_or_else(|| corrupt("the family's newest entry vanished"))?;
        tx.rollback().await?;
        let checkpoint = self.audit.checkpoint_covering(newest_index).await?;

        let mut tx = self.store.read().await?;
        let entries: Vec<_> = tx
            .family_entries(&root.id)
            .await?
            .into_iter()
            .filter(|entry| (entry.log_index as u64) < checkpoint.size)
            .collect();
        let mut members = vec![root.clone()];
        for id in tx.linked_draw_ids(&root.id).await? {
            members.push(tx.draw(&id).await?.ok_or(DrawServiceError::NotFound)?);
        }
        tx.rollback().await?;
        let mut draws = Vec::with_capacity(members.len());
        for member in &members {
            if member
                .result_index
                .is_some_and(|index| (index as u64) < checkpoint.size)
            {
                draws.push(self.verification_record(member).await?);
            }
        }
        let mut proofs = Vec::with_capacity(entries.len());
        for entry in &entries {
            proofs.push(
                self.audit
                    .proof_file_under(entry.log_index as u64, &checkpoint)
                    .await?,
            );
        }
        let last = entries
            .last()
            .ok_or_else(|| corrupt("a v2 family without entries"))?;
        let head = published::family::FamilyHead {
            origin: self.audit.origin().to_owned(),
            root_draw_id: root.id.clone(),
            entries: entries.len() as u64,
            last_index: last.log_index as u64,
            last_leaf: to_hash(&last.leaf)?,
            checkpoint_size: checkpoint.size,
            checkpoint_root: checkpoint.root,
        };
        Ok(published::family::FamilyRecord {
            format: published::family::FAMILY_FORMAT.to_owned(),
            root_draw_id: root.id.clone(),
            draws,
            entries: proofs,
            head: self.audit.sign_statement(&head.to_text())?,
        })
    }

    /// A drawn draw's §9 record, rebuilt from what the store kept.
    async fn verification_record(
        &self,
        draw: &DrawRow,
    ) -> Result<VerificationRecord, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let strata = tx.draw_strata(&draw.id).await?;
        let contributions = tx.contributions(&draw.id).await?;
        let seats = tx.draw_seats(&draw.id).await?;
        let choices = tx.venue_choices(&draw.id).await?;
        tx.rollback().await?;
        let (Some(secret), Some(seed)) = (&draw.secret, &draw.seed) else {
            return Err(DrawServiceError::NotDrawn);
        };
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let mut record_strata = Vec::with_capacity(strata.len());
        let mut result = Vec::with_capacity(strata.len());
        for (stratum, committed) in strata.iter().zip(&intent.strata) {
            record_strata.push(crate::draw::RecordStratum {
                prefixes: committed.prefixes.clone(),
                k: committed.k,
                m: committed.m,
                eligible_count: committed.eligible_count,
                eligible_root: committed.eligible_root,
                tokens: stratum_tokens(&stratum.tokens)?,
                regions_exclude: committed.regions_exclude.clone(),
                regions_require: committed.regions_require.clone(),
                venue_id: committed.venue_id.clone(),
                venue_region: committed.venue_region.clone(),
                venue_scope: committed.venue_scope.clone(),
                venue_candidates: committed.venue_candidates.clone(),
            });
            let ranked: Vec<DrawToken> = seats
                .iter()
                .filter(|seat| seat.stratum == stratum.stratum)
                .map(|seat| seat_token(&seat.token))
                .collect::<Result<_, _>>()?;
            let k = (committed.k as usize).min(ranked.len());
            let choice = choices.iter().find(|(i, _, _)| *i == stratum.stratum);
            result.push(crate::draw::StratumResult {
                drawn: ranked[..k].to_vec(),
                reserves: ranked[k..].to_vec(),
                venue_accepted: choice
                    .map(|(_, _, accepted)| serde_json::from_str(accepted))
                    .transpose()
                    .map_err(corrupt)?,
                venue_id: choice.map(|(_, venue_id, _)| venue_id.clone()),
            });
        }
        let excluded = stratum_tokens(draw.family_excluded.as_deref().unwrap_or_default())?;
        Ok(VerificationRecord {
            algorithm: intent.algorithm.clone(),
            suite: intent.suite,
            draw_id: intent.draw_id.clone(),
            pool_snapshot: intent.pool_snapshot.clone(),
            filter_sha256: intent.filter_sha256,
            min_multiple: intent.min_multiple,
            secret_commitment: intent.secret_commitment,
            strata: record_strata,
            intent_hash: to_hash(&draw.intent_hash)?,
            contributions: contributions.into_iter().map(|c| c.bytes).collect(),
            secret: to_hash(secret)?,
            seed: to_hash(seed)?,
            result,
            tender_sha256: intent.tender_sha256,
            family: intent.family.map(|family| crate::draw::RecordFamily {
                root_draw_id: family.root_draw_id,
                root_intent_hash: family.root_intent_hash,
                root_stratum: family.root_stratum,
                vacated_draw_id: family.vacated_draw_id,
                vacated_token: family.vacated_token,
                excluded_count: family.excluded_count,
                excluded_root: family.excluded_root,
                excluded,
            }),
        })
    }

    /// A supervisor's check of the committed eligible sets: the sealed members behind each
    /// stratum must re-derive exactly the committed tokens and root, and the filter re-applied
    /// to today's pool is compared with them. Answers counts only; the check is logged.
    pub(crate) async fn recheck(
        &self,
        supervisor: &Principal,
        draw_id: &str,
    ) -> Result<RecheckReport, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let draw = self.visible_draw(&mut tx, supervisor, draw_id).await?;
        let strata = tx.draw_strata(draw_id).await?;
        tx.rollback().await?;
        let filter: DrawFilter = serde_json::from_str(&draw.filter_json).map_err(corrupt)?;
        let filter_matches = filter.digest(self.keys.suite()).map_err(corrupt)?.to_vec()
            == serde_json::from_str::<DrawIntent>(&draw.intent_json)
                .map_err(corrupt)?
                .filter_sha256
                .to_vec();
        let (snapshot, now) = self.eligibility(&draw.center_id, &filter).await?;
        let mut report_strata = Vec::with_capacity(strata.len());
        for (stratum, today) in strata.iter().zip(now) {
            let opened = self.keys.open(
                &members_context(draw_id, stratum.stratum as usize),
                &stratum.sealed_members,
            )?;
            let members: Vec<String> = serde_json::from_slice(&opened).map_err(corrupt)?;
            let tokens = DrawToken::deriver(&self.keys, token_domain(&draw));
            let mut rederived: Vec<DrawToken> = members.iter().map(|id| tokens.token(id)).collect();
            rederived.sort_unstable();
            let committed = stratum_tokens(&stratum.tokens)?;
            let root_matches = rederived == committed
                && EligibleSet::new(rederived)
                    .map(|set| set.root(self.keys.suite()).to_vec() == stratum.eligible_root)
                    .unwrap_or(false);
            let committed_ids: HashSet<&String> = members.iter().collect();
            let today_ids: HashSet<&String> = today.eligible.iter().collect();
            report_strata.push(RecheckStratum {
                stratum: stratum.stratum as usize,
                committed: members.len() as u64,
                members_match_committed_root: root_matches,
                eligible_today: today_ids.len() as u64,
                no_longer_eligible: committed_ids.difference(&today_ids).count() as u64,
                newly_eligible: today_ids.difference(&committed_ids).count() as u64,
            });
        }
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let report = RecheckReport {
            draw_id: draw_id.to_owned(),
            filter_matches_commitment: filter_matches,
            snapshot_at_intent: intent.pool_snapshot,
            snapshot_now: snapshot,
            strata: report_strata,
        };
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let entry = AuditEntry::new("draw.recheck", now, Actor::of(supervisor))
            .reference("draw", draw_id)
            .data(
                "filter_matches_commitment",
                report.filter_matches_commitment,
            )
            .data("strata", &report.strata);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Per-expert seats in the window under stable pseudonyms, and their spread. Viewing it is
    /// itself logged.
    pub(crate) async fn frequency_report(
        &self,
        who: &Principal,
        window_days: Option<i64>,
    ) -> Result<FrequencyReport, DrawServiceError> {
        let window_days = window_days.unwrap_or(self.settings.frequency_window_days);
        if !(1..=3660).contains(&window_days) {
            return Err(invalid("days", "must be from 1 to 3660"));
        }
        let now = self.clock.now_millis();
        let since_day = now.div_euclid(DAY_MILLIS) - window_days + 1;
        let mut tx = self.store.write().await?;
        let counts = tx.selection_counts(since_day, 1).await?;
        let strata = tx.strata_seated_since(since_day * DAY_MILLIS).await?;
        let entry = AuditEntry::new("report.draw_frequency", now, Actor::of(who))
            .data("window_days", window_days)
            .data("experts", counts.len());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        // Each expert's expected seats: Σ over the strata whose sealed eligible set holds them
        // of the stratum's seats over the set's size.
        let mut expected: HashMap<String, f64> = HashMap::new();
        for (draw_id, stratum, sealed, seated) in &strata {
            let opened = self
                .keys
                .open(&members_context(draw_id, *stratum as usize), sealed)?;
            let members: Vec<String> = serde_json::from_slice(&opened).map_err(corrupt)?;
            if members.is_empty() {
                continue;
            }
            let chance = (*seated).max(0) as f64 / members.len() as f64;
            for id in members {
                *expected.entry(id).or_default() += chance;
            }
        }
        let fairness = fairness_test(&counts, &expected);
        let mut experts: Vec<FrequencyEntry> = counts
            .into_iter()
            .map(|(id, seats)| FrequencyEntry {
                pseudonym: self.keys.expert_pseudonym(&id),
                seats: seats.max(0) as u64,
                expected: format!("{:.2}", expected.get(&id).copied().unwrap_or(0.0)),
            })
            .collect();
        experts.sort_unstable_by(|a, b| b.seats.cmp(&a.seats).then(a.pseudonym.cmp(&b.pseudonym)));
        let n = experts.len() as u64;
        let total: u64 = experts.iter().map(|e| e.seats).sum();
        let mean = if n == 0 { 0.0 } else { total as f64 / n as f64 };
        let variance = if n == 0 {
            0.0
        } else {
            experts
                .iter()
                .map(|e| (e.seats as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64
        };
        let mut histogram = BTreeMap::new();
        for e in &experts {
            *histogram.entry(e.seats).or_default() += 1;
        }
        Ok(FrequencyReport {
            window_days,
            since: to_rfc3339(since_day * DAY_MILLIS),
            experts_with_seats: n,
            total_seats: total,
            min: experts.iter().map(|e| e.seats).min().unwrap_or(0),
            max: experts.iter().map(|e| e.seats).max().unwrap_or(0),
            mean: format!("{mean:.3}"),
            standard_deviation: format!("{:.3}", variance.sqrt()),
            histogram,
            experts,
            fairness,
        })
    }
}

/// Pearson's χ² of observed against expected seats over every expert with an expectation.
fn fairness_test(counts: &[(String, i64)], expected: &HashMap<String, f64>) -> FairnessTest {
    let observed: HashMap<&str, f64> = counts
        .iter()
        .map(|(id, seats)| (id.as_str(), (*seats).max(0) as f64))
        .collect();
    let mut statistic = 0.0;
    let mut never_drawn = 0;
    let mut never_drawn_expected = 0.0;
    for (id, mean) in expected {
        let seats = observed.get(id.as_str()).copied().unwrap_or(0.0);
        if seats == 0.0 {
            never_drawn += 1;
        }
        never_drawn_expected += (-mean).exp();
        if *mean > 0.0 {
            statistic += (seats - mean).powi(2) / mean;
        }
    }
    let unplaced_seats = counts
        .iter()
        .filter(|(id, _)| !expected.contains_key(id))
        .map(|(_, seats)| (*seats).max(0) as u64)
        .sum();
    let degrees = (expected.len() as u64).saturating_sub(1);
    // P(χ² ≥ statistic); no degrees of freedom (one expert or none) is no evidence at all.
    let p_value = if degrees == 0 {
        1.0
    } else {
        use statrs::distribution::ContinuousCDF;
        statrs::distribution::ChiSquared::new(degrees as f64)
            .map(|chi| chi.sf(statistic).clamp(0.0, 1.0))
            .unwrap_or(1.0)
    };
    FairnessTest {
        eligible_experts: expected.len() as u64,
        never_drawn,
        never_drawn_expected: format!("{never_drawn_expected:.2}"),
        chi_square: format!("{statistic:.2}"),
        degrees_of_freedom: degrees,
        p_value: if p_value >= 0.001 {
            format!("{p_value:.3}")
        } else {
            format!("{p_value:.2e}")
        },
        unplaced_seats,
    }
}

fn seat_view(seat: crate::store::draws::CandidateSeatRow) -> SeatView {
    SeatView {
        token: hex::encode(&seat.token),
        stratum: seat.stratum as usize,
        rank: seat.rank as u32,
        state: seat.state,
        replaced_reason: seat.replaced_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_as_expected_are_fair_and_seats_on_few_experts_are_not() {
        // Four experts, each expected to sit twice: exactly that is χ² = 0.
        let expected: HashMap<String, f64> =
            ["a", "b", "c", "d"].map(|id| (id.to_owned(), 2.0)).into();
        let even: Vec<(String, i64)> = ["a", "b", "c", "d"].map(|id| (id.to_owned(), 2)).into();
        let fair = fairness_test(&even, &expected);
        assert_eq!(fair.chi_square, "0.00");
        assert_eq!(fair.p_value, "1.000");
        assert_eq!((fair.eligible_experts, fair.never_drawn), (4, 0));
        // All eight seats on one expert: χ² = 36/2 + 3 × 4/2 = 24 on 3 degrees of freedom,
        // p ≈ 2.5e-5; the other three never drawn where e^-2 × 4 ≈ 0.54 were expected.
        let one = vec![("a".to_owned(), 8)];
        let unfair = fairness_test(&one, &expected);
        assert_eq!(unfair.chi_square, "24.00");
        assert_eq!(unfair.degrees_of_freedom, 3);
        assert_eq!(unfair.p_value, "2.50e-5");
        assert_eq!(unfair.never_drawn, 3);
        assert_eq!(unfair.never_drawn_expected, "0.54");
        // A seat in no eligible set read is counted apart, not in the statistic.
        let stray = vec![("a".to_owned(), 2), ("z".to_owned(), 5)];
        assert_eq!(fairness_test(&stray, &expected).unplaced_seats, 5);
    }
}
