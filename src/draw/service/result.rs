//! Steps 2 and 3: contributions while the window is open, then the result, executed exactly
//! once, with every seated expert handed to the [`SeatedHook`] (invited) in the same
//! transaction.

use std::sync::Arc;

use crate::audit::{Actor, AuditEntry};
use crate::auth::Principal;
use crate::draw::{
    Contribution, ContributorRole, DrawIntent, DrawPlan, DrawStatus, DrawToken, EligibleSet,
    MAX_CONTRIBUTION_LEN, MAX_CONTRIBUTIONS, ServerSecret, VerificationRecord, published,
};
use crate::store::Tx;
use crate::store::draws::{ContributionRow, DrawRow, NewCandidate, StratumRow};
use crate::venue::bookings::{self, OutstandingConsent};
use crate::venue::{BookingState, ConsentState, Holder, HolderKind};

use super::{
    DAY_MILLIS, DrawService, DrawServiceError, DrawView, MIN_CONTRIBUTION_LEN, append_draw_entry,
    candidate_context, contributions_complete, contributor_role, corrupt, invalid, lock_draw,
    members_context, secret_context, stratum_tokens,
};

impl DrawService {
    /// Step 2: one contribution per account, center or supervisor, while the window is open.
    pub(crate) async fn contribute(
        &self,
        who: &Principal,
        draw_id: &str,
        bytes: Vec<u8>,
    ) -> Result<DrawView, DrawServiceError> {
        if !(MIN_CONTRIBUTION_LEN..=MAX_CONTRIBUTION_LEN).contains(&bytes.len()) {
            return Err(invalid(
                "entropy",
                format!(
                    "must be {MIN_CONTRIBUTION_LEN} to {MAX_CONTRIBUTION_LEN} random bytes, \
                     not {}",
                    bytes.len()
                ),
            ));
        }
        let contribution =
            Contribution::new(bytes).map_err(|e| invalid("entropy", e.to_string()))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        lock_draw(&mut tx, draw_id).await?;
        let draw = self.visible_draw(&mut tx, who, draw_id).await?;
        if draw.status != DrawStatus::AwaitingEntropy {
            return Err(DrawServiceError::ContributionsClosed);
        }
        if tx.draw_void(draw_id).await?.is_some() {
            return Err(DrawServiceError::Void);
        }
        super::refuse_if_held(&mut tx, &draw).await?;
        if now >= draw.contribution_deadline {
            tx.rollback().await?;
            self.execute(draw_id, Actor::System).await?;
            return Err(DrawServiceError::ContributionsClosed);
        }
        let existing = tx.contributions(draw_id).await?;
        if existing.iter().any(|c| c.contributor_id == who.account_id) {
            return Err(DrawServiceError::AlreadyContributed);
        }
        if existing.len() >= MAX_CONTRIBUTIONS {
            return Err(DrawServiceError::ContributionsClosed);
        }
        let role = contributor_role(who, &draw);
        let position = existing.len() as i32;
        tx.insert_contribution(
            draw_id,
            &ContributionRow {
                position,
                contributor_id: who.account_id.clone(),
                role,
                bytes: contribution.as_bytes().to_vec(),
                received_at: now,
            },
        )
        .await?;
        // The bytes are revealed with the result; until then the log commits to them.
        let entry = AuditEntry::new(published::CONTRIBUTION_ENTRY, now, Actor::of(who))
            .reference("draw", draw_id)
            .data("position", position)
            .data("role", role.as_str())
            .data(
                &tx.suite().digest_field(""),
                tx.suite().hex_hash(contribution.as_bytes()),
            );
        append_draw_entry(&mut tx, &draw, entry).await?;
        tx.commit().await?;
        let roles = existing.iter().map(|c| c.role).chain([role]);
        let mut tx = self.store.read().await?;
        let awaits = self.awaits_supervisor(&mut tx, &draw).await?;
        tx.rollback().await?;
        if contributions_complete(roles, awaits) {
            self.execute(draw_id, Actor::of(who)).await?;
        }
        self.view(who, draw_id).await
    }

    /// Step 3: the result. Idempotent: returns false when the draw had already been executed,
    /// by this or another instance, and writes no second result.
    ///
    /// Either way, a linked draw of the family queued behind this one is started before it
    /// returns. When another instance (or the periodic executor) won the claim, it starts that
    /// draw too, but after its own commit: a caller answered here would otherwise see the
    /// result and, for a moment, not the draw it released. The start is written once whoever
    /// gets there first; the other finds the family changed and leaves it.
    pub(crate) async fn execute(
        &self,
        draw_id: &str,
        actor: Actor,
    ) -> Result<bool, DrawServiceError> {
        let executed = self.write_result(draw_id, actor).await?;
        // With this result known, the queued draw's exclusions can be read. A failure leaves
        // it to the periodic task.
        if let Err(error) = self.start_pending_links().await {
            tracing::error!(%error, "starting queued linked draws failed; they will be retried");
        }
        Ok(executed)
    }

    /// The result's write, once: false when it was already written.
    ///
    /// The ranking is computed before the write transaction: it is milliseconds of CPU (Merkle
    /// roots, one HMAC per eligible token), and on SQLite every writer of the database would
    /// wait behind it. It depends only on what the intent fixed and on the contributions, and
    /// the claim closes the contributions, so they are read again under the claim: one that
    /// arrived in between means ranking again, inside.
    async fn write_result(&self, draw_id: &str, actor: Actor) -> Result<bool, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        if draw.status != DrawStatus::AwaitingEntropy {
            tx.rollback().await?;
            return Ok(false);
        }
        // A suspended or cancelled evaluation's draw waits (executing after a resumption).
        if tx.draw_hold(draw.root_id()).await?.is_some() {
            tx.rollback().await?;
            return Ok(false);
        }
        match venue_gate(&mut tx, &draw).await? {
            Gate::Open(_) => {}
            // A sub-venue has not answered: the executor comes back once it has, unless the
            // evaluation is due (then the draw is void).
            Gate::Waiting(_) if now < draw.evaluation_start => {
                tx.rollback().await?;
                return Ok(false);
            }
            Gate::Waiting(_) | Gate::Refused(_) => {
                tx.rollback().await?;
                return self.void_if_blocked(draw_id).await.map(|_| false);
            }
        }
        let strata = tx.draw_strata(draw_id).await?;
        let read = tx.contributions(draw_id).await?;
        tx.rollback().await?;
        let mut ranked = self.rank(&draw, &strata, &read)?;

        let mut tx = self.store.write().await?;
        // The log's writer order, then the draw's row, as every draw writer takes them.
        tx.lock_draw(draw_id).await?;
        // A sub-venue may have refused since the read (an acceptance is final): the draw is
        // then void instead.
        let Gate::Open(accepted) = venue_gate(&mut tx, &draw).await? else {
            tx.rollback().await?;
            return self.void_if_blocked(draw_id).await.map(|_| false);
        };
        if !tx.claim_draw_for_execution(draw_id, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let contributions = tx.contributions(draw_id).await?;
        if !same_contributions(&contributions, &read) {
            ranked = self.rank(&draw, &strata, &contributions)?;
        }
        // Every candidate has answered and an acceptance is final, so the venue chosen here
        // is the one any verifier recomputes from the record (spec §7a).
        ranked.record.choose_venues(&accepted)?;
        self.seat_chosen_venues(&mut tx, &draw, &ranked.record, actor.clone(), now)
            .await?;
        tx.insert_candidates(draw_id, &ranked.candidates, now)
            .await?;
        tx.insert_selections(&ranked.seated, now.div_euclid(DAY_MILLIS))
            .await?;
        self.on_seated
            .seated(&mut tx, &draw, &ranked.newly_seated, now)
            .await?;
        let entry = published::result_entry(&ranked.record, now, actor);
        let index = append_draw_entry(&mut tx, &draw, entry).await?;
        tx.set_draw_result(
            draw_id,
            &ranked.record.secret,
            &ranked.record.seed,
            index as i64,
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("sealdraw_draws_executed_total").increment(1);
        Ok(true)
    }

    /// Whether `draw` waits for a supervisor's contribution: where the deployment asks it of
    /// every draw (`draw.await_supervisor`), or for a project that must be tendered by law.
    async fn awaits_supervisor(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
    ) -> Result<bool, DrawServiceError> {
        if self.settings.await_supervisor {
            return Ok(true);
        }
        Ok(tx
            .draw_jurisdiction(draw.root_id())
            .await?
            .is_some_and(|place| place.statutory_tender))
    }

    /// Records each venue chosen at random (before the experts are invited, so their
    /// invitations name it) and releases the candidates not chosen.
    async fn seat_chosen_venues(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
        record: &VerificationRecord,
        actor: Actor,
        now: i64,
    ) -> Result<(), DrawServiceError> {
        for (i, (stratum, result)) in record.strata.iter().zip(&record.result).enumerate() {
            let (Some(candidates), Some(venue_id), Some(accepted)) = (
                &stratum.venue_candidates,
                &result.venue_id,
                &result.venue_accepted,
            ) else {
                continue;
            };
            tx.insert_venue_choice(
                &draw.id,
                i as i32,
                venue_id,
                &serde_json::to_string(accepted).map_err(corrupt)?,
                now,
            )
            .await?;
            let others: Vec<String> = candidates
                .iter()
                .filter(|c| &c.venue_id != venue_id)
                .map(|c| c.venue_id.clone())
                .collect();
            bookings::release_venues(tx, actor.clone(), &Holder::draw(&draw.id), &others, now)
                .await
                .map_err(DrawServiceError::from_venue)?;
        }
        Ok(())
    }

    /// Makes `draw_id` void if it can no longer execute for its venues (issue 15): one of its
    /// sub-venues refused (`venue_refused`), or its evaluation is due while a sub-venue has
    /// still not answered (`venue_unanswered`: experts cannot be invited to an evaluation that
    /// has begun). Its bookings are cancelled, the `draw.voided` entry logged, and its tender is
    /// free for a new root draw. No result or secret of it was ever revealed, so nothing is
    /// re-rolled. True when this call made it void.
    pub(crate) async fn void_if_blocked(&self, draw_id: &str) -> Result<bool, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_draw(draw_id).await?;
        let Some(draw) = tx.draw(draw_id).await? else {
            return Err(DrawServiceError::NotFound);
        };
        let (reason, refused) = match venue_gate(&mut tx, &draw).await? {
            Gate::Refused(refused) => (VOID_VENUE_REFUSED, refused),
            Gate::Waiting(unanswered) if now >= draw.evaluation_start => {
                (VOID_VENUE_UNANSWERED, unanswered)
            }
            Gate::Open(_) | Gate::Waiting(_) => {
                tx.rollback().await?;
                return Ok(false);
            }
        };
        if draw.status != DrawStatus::AwaitingEntropy || !tx.void_draw(draw_id, reason, now).await?
        {
            tx.rollback().await?;
            return Ok(false);
        }
        bookings::release(
            &mut tx,
            Actor::System,
            &Holder::draw(draw_id),
            BookingState::Cancelled,
            now,
        )
        .await
        .map_err(DrawServiceError::from_venue)?;
        let entry = AuditEntry::new(published::VOID_ENTRY, now, Actor::System)
            .reference("draw", draw_id)
            .data("reason", reason)
            .data(
                "venue_requests",
                refused
                    .iter()
                    .map(|c| c.request_id.clone())
                    .collect::<Vec<_>>(),
            )
            .data(
                "venues",
                refused
                    .iter()
                    .map(|c| c.venue_id.clone())
                    .collect::<Vec<_>>(),
            );
        append_draw_entry(&mut tx, &draw, entry).await?;
        tx.commit().await?;
        tracing::info!(draw = %draw_id, reason, "the unexecuted draw is void");
        Ok(true)
    }

    /// Voids every unexecuted draw whose sub-venue refused, or whose evaluation is due with a
    /// sub-venue still silent; how many. The executor runs it, so a refusal frees the tender
    /// without waiting for the contributions.
    pub(crate) async fn void_refused(&self) -> Result<usize, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let mut blocked = tx.draws_refused_by_a_venue().await?;
        blocked.extend(tx.draws_unanswered_at_start(now).await?);
        tx.rollback().await?;
        blocked.sort_unstable();
        blocked.dedup();
        let mut voided = 0;
        for id in blocked {
            match self.void_if_blocked(&id).await {
                Ok(true) => voided += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(%error, draw = %id, "voiding a refused draw failed"),
            }
        }
        Ok(voided)
    }

    /// The result of `draw` with these contributions, and the rows that record it: no store.
    fn rank(
        &self,
        draw: &DrawRow,
        strata: &[StratumRow],
        contributions: &[ContributionRow],
    ) -> Result<Ranked, DrawServiceError> {
        let draw_id = draw.id.as_str();
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let mut eligible = Vec::with_capacity(strata.len());
        let mut members = Vec::with_capacity(strata.len());
        for stratum in strata {
            let tokens = stratum_tokens(&stratum.tokens)?;
            eligible.push(EligibleSet::new(tokens).map_err(corrupt)?);
            let opened = self.keys.open(
                &members_context(draw_id, stratum.stratum as usize),
                &stratum.sealed_members,
            )?;
            let ids: Vec<String> = serde_json::from_slice(&opened).map_err(corrupt)?;
            members.push(ids);
        }
        let excluded = stratum_tokens(draw.family_excluded.as_deref().unwrap_or_default())?;
        let plan = DrawPlan::from_parts(intent, eligible, excluded)?;
        let secret_bytes = self
            .keys
            .open(&secret_context(draw_id), &draw.sealed_secret)?;
        let secret = ServerSecret::from_bytes(
            secret_bytes
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("sealed secret is not 32 bytes"))?,
        );
        let contributions: Vec<Contribution> = contributions
            .iter()
            .map(|c| Contribution::new(c.bytes.clone()))
            .collect::<Result<_, _>>()
            .map_err(corrupt)?;
        let outcome = plan.execute(&secret, &contributions)?;
        let mut candidates = Vec::new();
        let mut seated = Vec::new();
        let mut newly_seated = Vec::new();
        for (i, result) in outcome.strata.iter().enumerate() {
            let set = &plan.eligible()[i];
            let ranked = result
                .drawn
                .iter()
                .map(|t| (t, true))
                .chain(result.reserves.iter().map(|t| (t, false)));
            for (rank, (token, is_drawn)) in ranked.enumerate() {
                let position = set
                    .tokens()
                    .binary_search(token)
                    .map_err(|_| corrupt("a drawn token is not in its eligible set"))?;
                let expert_id = members[i]
                    .get(position)
                    .ok_or_else(|| corrupt("sealed members do not match the tokens"))?;
                candidates.push(NewCandidate {
                    stratum: i as i32,
                    rank: rank as i32,
                    token: token.as_bytes().to_vec(),
                    sealed_expert: self.keys.seal(
                        &self.rng,
                        &candidate_context(draw_id, &token.to_hex()),
                        expert_id.as_bytes(),
                    )?,
                    seated: is_drawn,
                });
                if is_drawn {
                    seated.push(expert_id.clone());
                    newly_seated.push((*token, expert_id.clone()));
                }
            }
        }
        Ok(Ranked {
            record: VerificationRecord::new(&plan, &secret, &contributions, &outcome),
            candidates,
            seated,
            newly_seated,
        })
    }

    /// Executes every draw whose contributions are complete but which has no result: the
    /// contribution that completed it commits before the execution, which a crash or a failed
    /// write can then prevent, and such a draw need not wait for its window to close. Start-up
    /// and the periodic executor run this. Returns how many it ran.
    pub(crate) async fn execute_ready(&self) -> Result<usize, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let contributors = tx.contributors_of_awaiting_draws().await?;
        tx.rollback().await?;
        let mut roles: Vec<(String, Vec<ContributorRole>)> = Vec::new();
        for (draw_id, role) in contributors {
            match roles.last_mut() {
                Some((last, of_last)) if *last == draw_id => of_last.push(role),
                _ => roles.push((draw_id, vec![role])),
            }
        }
        let mut ready = Vec::new();
        let mut tx = self.store.read().await?;
        for (draw_id, roles) in roles {
            // Only a draw the center has contributed to can be ready; its jurisdiction is read
            // for those alone.
            if !contributions_complete(roles.iter().copied(), false) {
                continue;
            }
            let Some(draw) = tx.draw(&draw_id).await? else {
                continue;
            };
            let awaits = self.awaits_supervisor(&mut tx, &draw).await?;
            if contributions_complete(roles.iter().copied(), awaits) {
                ready.push(draw_id);
            }
        }
        tx.rollback().await?;
        self.execute_each(ready, "a ready").await
    }

    /// Executes every draw whose contribution window has closed. Returns how many it ran.
    pub async fn execute_overdue(&self) -> Result<usize, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let overdue = tx.overdue_draws(now, 100).await?;
        tx.rollback().await?;
        self.execute_each(overdue, "an overdue").await
    }

    async fn execute_each(
        &self,
        draw_ids: impl IntoIterator<Item = String>,
        which: &str,
    ) -> Result<usize, DrawServiceError> {
        let mut executed = 0;
        for id in draw_ids {
            // One draw that fails must not hold up the others behind it.
            match self.execute(&id, Actor::System).await {
                Ok(true) => executed += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(%error, draw = %id, "executing {which} draw failed"),
            }
        }
        Ok(executed)
    }

    /// Runs [`Self::execute_ready`], [`Self::execute_overdue`] and [`Self::start_pending_links`]
    /// every `interval` until `stop` turns true, so a draw whose contributors stay silent still
    /// gets its result, one whose execution failed gets it as soon as writes work again, and a
    /// seat whose reserves ran out still gets its linked draw (nothing is ever abandoned).
    pub(crate) async fn run_executor(
        self: Arc<Self>,
        interval: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        crate::tasks::every(interval, stop, "executing overdue draws", move || {
            let this = self.clone();
            async move {
                this.void_refused().await?;
                this.execute_ready().await?;
                this.execute_overdue().await?;
                this.start_pending_links().await.map(drop)
            }
        })
        .await
    }
}

/// A draw's result, computed and sealed, ready to be written.
struct Ranked {
    /// The §9 record, `s` revealed: what the result entry logs.
    record: VerificationRecord,
    candidates: Vec<NewCandidate>,
    /// Drawn experts' ids, for the frequency cap's counts.
    seated: Vec<String>,
    /// Each drawn token with its expert, for the [`SeatedHook`].
    newly_seated: Vec<(DrawToken, String)>,
}

/// Why an unexecuted draw is void when a sub-venue refused (the `draw.voided` entry's reason).
pub(crate) const VOID_VENUE_REFUSED: &str = "venue_refused";
/// Why an unexecuted draw is void when its evaluation was due before every sub-venue answered.
pub(crate) const VOID_VENUE_UNANSWERED: &str = "venue_unanswered";

/// Whether a draw bound to venues may execute: every sub-venue's center has answered, no
/// named sub-venue refused and some candidate of a stratum chosen at random accepted (or the
/// draw holds none); one has not answered yet; or the draw cannot execute (a named sub-venue
/// refused, or every candidate of a stratum did).
#[derive(Debug, PartialEq, Eq)]
enum Gate {
    /// Per stratum, the candidate venues whose centers accepted (empty for the others).
    Open(Vec<Vec<String>>),
    /// The sub-venues that have not answered.
    Waiting(Vec<OutstandingConsent>),
    Refused(Vec<OutstandingConsent>),
}

async fn venue_gate(tx: &mut Tx, draw: &DrawRow) -> Result<Gate, DrawServiceError> {
    // Only a root draw holds venues; its linked draws seat experts at the venues it holds.
    if draw.parent_draw_id.is_some() {
        return Ok(Gate::Open(Vec::new()));
    }
    let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
    let candidates: Vec<Vec<String>> = intent
        .strata
        .iter()
        .map(|s| {
            s.venue_candidates
                .iter()
                .flatten()
                .map(|c| c.venue_id.clone())
                .collect()
        })
        .collect();
    let is_candidate = |venue_id: &String| candidates.iter().flatten().any(|c| c == venue_id);
    let outstanding = bookings::consent_outstanding(tx, &Holder::draw(&draw.id))
        .await
        .map_err(DrawServiceError::from_venue)?;
    let (named, asked): (Vec<OutstandingConsent>, Vec<OutstandingConsent>) = outstanding
        .into_iter()
        .partition(|c| !is_candidate(&c.venue_id));
    let refused: Vec<OutstandingConsent> = named
        .iter()
        .filter(|c| c.state == ConsentState::Refused)
        .cloned()
        .collect();
    if !refused.is_empty() {
        return Ok(Gate::Refused(refused));
    }
    // A stratum every candidate of which refused can seat nobody: void, like a refusal.
    for ids in candidates.iter().filter(|ids| !ids.is_empty()) {
        let refusals: Vec<OutstandingConsent> = asked
            .iter()
            .filter(|c| c.state == ConsentState::Refused && ids.contains(&c.venue_id))
            .cloned()
            .collect();
        if refusals.len() == ids.len() {
            return Ok(Gate::Refused(refusals));
        }
    }
    let unanswered: Vec<OutstandingConsent> = named
        .iter()
        .chain(&asked)
        .filter(|c| c.state == ConsentState::Requested)
        .cloned()
        .collect();
    if !unanswered.is_empty() {
        return Ok(Gate::Waiting(unanswered));
    }
    let consents = tx.consents_of_holder(HolderKind::Draw, &draw.id).await?;
    Ok(Gate::Open(
        candidates
            .iter()
            .map(|ids| {
                consents
                    .iter()
                    .filter(|c| c.state == ConsentState::Accepted && ids.contains(&c.venue_id))
                    .map(|c| c.venue_id.clone())
                    .collect()
            })
            .collect(),
    ))
}

/// Whether two reads of a draw's contributions list the same bytes in the same order.
fn same_contributions(a: &[ContributionRow], b: &[ContributionRow]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.position == y.position && x.bytes == y.bytes)
}
