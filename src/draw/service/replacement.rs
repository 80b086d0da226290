//! Step 4, replacements (补抽): a vacated seat takes the stratum's next reserve in rank order;
//! with none left, a linked draw runs the whole protocol for the seat.

use crate::audit::{Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::draw::filter::{DrawFilter, ExcludedToken, FilterStratum, TierFloors};
use crate::draw::{CandidateState, DrawStatus, DrawToken, LinkState, VacancyReason, published};
use crate::store::Tx;
use crate::store::draws::DrawRow;
use crate::store::pool::ExpertCounter;

use super::{
    DAY_MILLIS, DrawHeader, DrawService, DrawServiceError, ParentLink, PendingReplacement,
    ReplacementOutcome, append_draw_entry, corrupt, invalid, lock_draw, seat_token, to_hash,
};

impl DrawService {
    /// Step 4, as the center records it: a confirmed member recused or withdrew (declines and
    /// silence come from the experts' answers and deadlines, never from the center, so a center
    /// cannot vacate seats until it likes the committee). The seat is filled by the stratum's
    /// next reserve in rank order; when none is left, a linked draw is started for it.
    pub(crate) async fn replace(
        &self,
        who: &Principal,
        draw_id: &str,
        token_hex: &str,
        reason: &str,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let Some(reason) = VacancyReason::recorded_by_staff(reason) else {
            return Err(invalid(
                "reason",
                format!(
                    "must be one of {} (declines and missed deadlines are recorded from the \
                     experts' own answers)",
                    VacancyReason::staff_names(", ")
                ),
            ));
        };
        let token = DrawToken::from_hex(token_hex).map_err(|p| invalid("token", p))?;
        self.replace_as(Some(who), Actor::of(who), draw_id, token, reason)
            .await
    }

    /// The replacement itself, for a person (checked against the draw's owner) or the system.
    pub(crate) async fn replace_as(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        draw_id: &str,
        token: DrawToken,
        reason: VacancyReason,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut tx = self.store.write().await?;
        lock_draw(&mut tx, draw_id).await?;
        let draw = match who {
            Some(who) => self.visible_draw(&mut tx, who, draw_id).await?,
            None => tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?,
        };
        if let Some(who) = who {
            if who.role != Role::Center {
                return Err(DrawServiceError::NotFound);
            }
            let seat = tx
                .draw_seat(draw_id, token.as_bytes())
                .await?
                .ok_or_else(|| DrawServiceError::NotSeated(token.to_hex()))?;
            if seat.state != CandidateState::Confirmed {
                return Err(DrawServiceError::NotConfirmed(token.to_hex()));
            }
            let now = self.clock.now_millis();
            if now >= draw.evaluation_end() {
                return Err(DrawServiceError::EvaluationOver);
            }
        }
        let pending = self
            .replace_in(&mut tx, &draw, token, reason, actor)
            .await?;
        tx.commit().await?;
        self.after_replacement(pending).await
    }

    /// The replacement's writes, inside the caller's transaction (which must hold the draw's
    /// lock, [`Tx::lock_draw`]): the seat is vacated, the stratum's next reserve seated, and the
    /// entry logged. Hand the result to [`Self::after_replacement`] once committed.
    pub async fn replace_in(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
        token: DrawToken,
        reason: VacancyReason,
        actor: Actor,
    ) -> Result<PendingReplacement, DrawServiceError> {
        let now = self.clock.now_millis();
        let draw_id = draw.id.as_str();
        if draw.status != DrawStatus::Drawn {
            return Err(DrawServiceError::NotDrawn);
        }
        super::refuse_if_held(tx, draw).await?;
        let seat = tx
            .draw_seat(draw_id, token.as_bytes())
            .await?
            .ok_or_else(|| DrawServiceError::NotSeated(token.to_hex()))?;
        if !tx
            .mark_seat_replaced(draw_id, token.as_bytes(), reason, now)
            .await?
        {
            return Err(DrawServiceError::NotSeated(token.to_hex()));
        }
        tx.withdraw_invitation(draw_id, token.as_bytes(), now)
            .await?;
        // Counted here, where every vacancy passes with its reason, so that no path that
        // vacates a seat can leave the expert's record behind; before the log entry below,
        // in the order every writer takes pool rows and the log's head.
        if let Some(counter) = vacancy_counter(reason) {
            let expert = self.open_seat_expert(draw_id, &seat)?;
            tx.count_expert_event(std::slice::from_ref(&expert), counter, now)
                .await?;
        }
        let successor = tx.seat_next_reserve(draw_id, seat.stratum, now).await?;
        if let Some(next) = &successor {
            let expert = self.open_seat_expert(draw_id, next)?;
            tx.insert_selections(std::slice::from_ref(&expert), now.div_euclid(DAY_MILLIS))
                .await?;
            let seat = [(seat_token(&next.token)?, expert)];
            self.on_seated.seated(tx, draw, &seat, now).await?;
        }
        let successor_token = successor
            .as_ref()
            .map(|next| seat_token(&next.token))
            .transpose()?;
        let entry = published::replacement_entry(
            draw_id,
            seat.stratum as usize,
            &token,
            reason.as_str(),
            successor_token.as_ref(),
            now,
            actor.clone(),
        );
        let index = append_draw_entry(tx, draw, entry).await?;
        tx.set_replacement_index(draw_id, token.as_bytes(), index as i64)
            .await?;
        if successor_token.is_none() {
            tx.mark_link_pending(draw_id, token.as_bytes()).await?;
        }
        Ok(PendingReplacement {
            outcome: ReplacementOutcome {
                replaced: token.to_hex(),
                reason,
                successor: successor_token.map(|t| t.to_hex()),
                linked_draw: None,
                linked_draw_refused: None,
                linked_draw_queued: false,
            },
            exhausted: successor_token
                .is_none()
                .then(|| (draw.id.clone(), token, actor)),
        })
    }

    /// After the replacement committed: when the stratum had no reserve left, start the linked
    /// draw for the seat (its own transaction, its own intent). A failure here is logged, not
    /// returned: the seat stays marked and the periodic task starts the draw.
    pub(crate) async fn after_replacement(
        &self,
        pending: PendingReplacement,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut outcome = pending.outcome;
        if let Some((draw_id, token, actor)) = pending.exhausted {
            match self.start_linked_draw(&draw_id, &token, actor).await {
                Ok(LinkOutcome::Started(id)) => outcome.linked_draw = Some(id),
                Ok(LinkOutcome::Refused(why)) => outcome.linked_draw_refused = Some(why),
                Ok(LinkOutcome::Queued) => outcome.linked_draw_queued = true,
                // The periodic task (or another instance) settled it between our commit and
                // now: report what it did, as if we had.
                Ok(LinkOutcome::AlreadySettled) => {
                    let mut tx = self.store.read().await?;
                    let seat = tx.draw_seat(&draw_id, token.as_bytes()).await?;
                    tx.rollback().await?;
                    if let Some(seat) = seat {
                        match seat.link_state {
                            Some(LinkState::Started) => outcome.linked_draw = seat.linked_draw_id,
                            Some(LinkState::Refused) => {
                                outcome.linked_draw_refused = Some(
                                    "refused: too few eligible experts remain (see the \
                                     draw.link_refused audit entry)"
                                        .into(),
                                );
                            }
                            Some(LinkState::Pending) | None => {}
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "starting a linked draw failed; it will be retried");
                }
            }
        }
        Ok(outcome)
    }

    /// Starts the linked draws of every seat still waiting for one (after a crash or a failure
    /// right after its replacement). Returns how many were settled.
    pub async fn start_pending_links(&self) -> Result<usize, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let pending = tx.pending_links(100).await?;
        tx.rollback().await?;
        let mut settled = 0;
        for (draw_id, token) in pending {
            let token = seat_token(&token)?;
            match self
                .start_linked_draw(&draw_id, &token, Actor::System)
                .await
            {
                Ok(LinkOutcome::AlreadySettled | LinkOutcome::Queued) => {}
                Ok(_) => settled += 1,
                Err(error) => tracing::error!(%error, "starting a pending linked draw failed"),
            }
        }
        Ok(settled)
    }

    /// A new draw for the vacated seat: the root draw's filter for the seat's stratum with one
    /// seat, excluding everyone the whole family (the root and every linked draw) drew or held
    /// in reserve, so one expert never holds two seats. Exempt from the timing window: the seat
    /// must be filled. A refusal (too few eligible experts) is settled and logged.
    ///
    /// One linked draw of a family is drawn at a time: the exclusions are read at one family
    /// state, and the draw is written only if, in the log's writer order, the family is still
    /// in that state with no other draw awaiting its result. Otherwise the seat stays pending
    /// and is started again once the draw ahead of it has its result (two linked draws in
    /// flight at once could not exclude each other's picks, which are not known yet).
    async fn start_linked_draw(
        &self,
        draw_id: &str,
        token: &DrawToken,
        actor: Actor,
    ) -> Result<LinkOutcome, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let vacated = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        let seat = tx
            .draw_seat(draw_id, token.as_bytes())
            .await?
            .ok_or_else(|| corrupt("a pending link without its seat"))?;
        if seat.link_state != Some(LinkState::Pending) {
            return Ok(LinkOutcome::AlreadySettled);
        }
        let (root_id, root_stratum) = match (&vacated.parent_draw_id, vacated.parent_stratum) {
            (Some(root), Some(stratum)) => (root.clone(), stratum),
            _ => (vacated.id.clone(), seat.stratum),
        };
        let root = tx.draw(&root_id).await?.ok_or(DrawServiceError::NotFound)?;
        let family_state = tx.family_state(&root.id).await?;
        if family_state.awaiting > 0 {
            tx.rollback().await?;
            return Ok(LinkOutcome::Queued);
        }
        let mut family = vec![root.id.clone()];
        family.extend(tx.linked_draw_ids(&root.id).await?);
        let mut excluded = Vec::new();
        let mut family_tokens = Vec::new();
        for member in &family {
            for family_seat in tx.draw_seats(member).await? {
                excluded.push(ExcludedToken {
                    draw_id: member.clone(),
                    token: hex::encode(&family_seat.token),
                });
                family_tokens.push(seat_token(&family_seat.token)?);
            }
        }
        let root_venues = super::stratum_venues(&mut tx, &root).await?;
        tx.rollback().await?;
        // Sorted bytewise, as the intent's root and the stored list both take them.
        family_tokens.sort_unstable();
        let reason = seat
            .replaced_reason
            .ok_or_else(|| corrupt("a vacated seat without its reason"))?;
        let mut filter: DrawFilter = serde_json::from_str(&root.filter_json).map_err(corrupt)?;
        let source = filter
            .strata
            .get(root_stratum as usize)
            .cloned()
            .ok_or_else(|| corrupt("replacement stratum outside the filter"))?;
        let mut source = source;
        if source.venue_random.is_some() {
            // The seat is at the venue chosen for the stratum; its experts still come from the
            // regions the choice was made in.
            source.venue_id = root_venues.get(root_stratum as usize).cloned().flatten();
        }
        filter.strata = vec![FilterStratum { k: 1, ..source }];
        filter.salt = hex::encode(
            self.rng
                .bytes::<32>()
                .map_err(|_| DrawServiceError::Randomness)?,
        );
        // The seat's stratum keeps the floor the center asked for it, and the deployment's
        // floor as it is now (like the other rules) still holds beneath it.
        let deployment = self.deployment_floor();
        let floor = filter
            .rules
            .qualification
            .as_ref()
            .map_or(deployment, |rules| {
                rules.stratum(root_stratum as usize).tightest(deployment)
            });
        // Its tier likewise (the tier rule as committed, re-read for this stratum alone).
        let tiers = filter.rules.tiers.as_ref().map(|tiers| TierFloors {
            strata: vec![tiers.stratum(root_stratum as usize)],
        });
        filter.rules = self.rules(vec![floor], tiers);
        filter.exclude_tokens.extend(excluded);
        filter.normalise();
        let header = DrawHeader {
            center_id: root.center_id.clone(),
            tender_reference: root.tender_reference.clone(),
            lot: root.lot.clone(),
            tender_name: root.tender_name.clone(),
            venue: root.venue.clone(),
            bookings: None,
            jurisdiction: None,
            committee: None,
            project: None,
            parent: Some(ParentLink {
                root_id: root.id.clone(),
                root_stratum,
                reason,
                source_draw_id: draw_id.to_owned(),
                source_token: token.as_bytes().to_vec(),
                spec_version: root.spec_version,
                root_intent_hash: to_hash(&root.intent_hash)?,
                excluded: family_tokens,
                family_state,
            }),
        };
        match self.commit_intent(header, actor.clone(), filter).await {
            Ok(linked) => Ok(LinkOutcome::Started(linked.id)),
            Err(DrawServiceError::LinkTaken) => Ok(LinkOutcome::AlreadySettled),
            Err(DrawServiceError::FamilyBusy) => Ok(LinkOutcome::Queued),
            Err(DrawServiceError::Refused { refusal, .. }) => {
                let why = refusal.to_string();
                let now = self.clock.now_millis();
                let mut tx = self.store.write().await?;
                tx.lock_draw(draw_id).await?;
                if !tx
                    .settle_link(draw_id, token.as_bytes(), LinkState::Refused, None)
                    .await?
                {
                    return Ok(LinkOutcome::AlreadySettled);
                }
                let entry = AuditEntry::new(published::LINK_REFUSED_ENTRY, now, actor)
                    .reference("draw", draw_id)
                    .reference("root_draw", &root.id)
                    .data("token", token.to_hex())
                    .data("stratum", root_stratum)
                    .data("refusal", &why);
                append_draw_entry(&mut tx, &vacated, entry).await?;
                tx.commit().await?;
                Ok(LinkOutcome::Refused(why))
            }
            Err(other) => Err(other),
        }
    }
}

/// What became of a vacated seat's linked draw.
enum LinkOutcome {
    Started(String),
    Refused(String),
    AlreadySettled,
    /// Another linked draw of the family goes first; this one starts after its result.
    Queued,
}

/// Which of the vacated expert's counters a vacancy moves. Recusing is what the rules ask of a
/// member with a conflict, so it counts against nobody; leaving after confirming counts with a
/// lapsed invitation as a no-show, as supervision's `no_shows` signal counts them.
fn vacancy_counter(reason: VacancyReason) -> Option<ExpertCounter> {
    match reason {
        VacancyReason::Declined => Some(ExpertCounter::Declines),
        VacancyReason::NoAnswer | VacancyReason::Withdrew => Some(ExpertCounter::NoShows),
        VacancyReason::Recused => None,
    }
}
