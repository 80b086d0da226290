//! Step 4, replacements (补抽): a vacated seat takes the stratum's next reserve in rank order;
//! with none left, a linked draw runs the whole protocol for the seat.

use super::*;

impl DrawService {
    /// Step 4: a seat is vacated (decline, no answer, recusal) and filled by the stratum's next
    /// reserve in rank order; when none is left, a linked draw is started for it.
    pub async fn replace(
        &self,
        who: &Principal,
        draw_id: &str,
        token_hex: &str,
        reason: &str,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        if !REPLACEMENT_REASONS.contains(&reason) {
            return Err(invalid(
                "reason",
                format!("must be one of {}", REPLACEMENT_REASONS.join(", ")),
            ));
        }
        let token = DrawToken::from_hex(token_hex).map_err(|p| invalid("token", p))?;
        self.replace_as(Some(who), Actor::of(who), draw_id, token, reason)
            .await
    }

    /// The replacement itself, for a person (checked against the draw's owner) or the system.
    pub async fn replace_as(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        draw_id: &str,
        token: DrawToken,
        reason: &str,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut tx = self.store.write().await?;
        lock_draw(&mut tx, draw_id).await?;
        let draw = match who {
            Some(who) => self.visible_draw(&mut tx, who, draw_id).await?,
            None => tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?,
        };
        if who.is_some_and(|p| p.role != Role::Center) {
            return Err(DrawServiceError::NotFound);
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
        reason: &str,
        actor: Actor,
    ) -> Result<PendingReplacement, DrawServiceError> {
        let now = self.clock.now_millis();
        let draw_id = draw.id.as_str();
        if draw.status != "drawn" {
            return Err(DrawServiceError::NotDrawn);
        }
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
        if let Some(invitation) = tx.invitation_for_seat(draw_id, token.as_bytes()).await?
            && invitation.state == "pending"
        {
            // The center vacated a seat whose expert has not answered: the answer is moot.
            let withdrawn = crate::store::invitations::Answer {
                state: "withdrawn",
                channel: "replacement",
                decline_reason: None,
                sealed_relationship: None,
                sealed_join_code: None,
                at: now,
            };
            tx.settle_invitation(&invitation.id, &withdrawn).await?;
        }
        let successor = tx.seat_next_reserve(draw_id, seat.stratum, now).await?;
        if let Some(next) = &successor {
            let expert = self.open_seat_expert(draw_id, next)?;
            tx.insert_selections(std::slice::from_ref(&expert), now.div_euclid(DAY_MILLIS))
                .await?;
            self.invite(tx, draw, &seat_token(&next.token)?, &expert, now)
                .await?;
        }
        let successor_token = successor
            .as_ref()
            .map(|next| seat_token(&next.token))
            .transpose()?;
        let entry = published::replacement_entry(
            draw_id,
            seat.stratum as usize,
            &token,
            reason,
            successor_token.as_ref(),
            now,
            actor.clone(),
        );
        let index = audit::append(tx, &entry).await?;
        tx.set_replacement_index(draw_id, token.as_bytes(), index as i64)
            .await?;
        Ok(PendingReplacement {
            outcome: ReplacementOutcome {
                replaced: token.to_hex(),
                reason: reason.to_owned(),
                successor: successor_token.map(|t| t.to_hex()),
                linked_draw: None,
                linked_draw_refused: None,
            },
            exhausted: successor_token
                .is_none()
                .then(|| (draw.clone(), seat.stratum as usize, actor)),
        })
    }

    /// After the replacement committed: when the stratum had no reserve left, start the linked
    /// draw for the seat (its own transaction, its own intent).
    pub async fn after_replacement(
        &self,
        pending: PendingReplacement,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut outcome = pending.outcome;
        if let Some((draw, stratum, actor)) = pending.exhausted {
            match self
                .start_linked_draw(&draw, stratum, &outcome.reason, actor)
                .await
            {
                Ok(linked) => outcome.linked_draw = Some(linked.id),
                Err(DrawServiceError::Refused { refusal, .. }) => {
                    outcome.linked_draw_refused = Some(refusal.to_string());
                }
                Err(other) => return Err(other),
            }
        }
        Ok(outcome)
    }

    /// A new draw for one seat of `stratum`, with the parent's filter, excluding everyone the
    /// parent drew or held in reserve. Exempt from the timing window: the seat must be filled.
    async fn start_linked_draw(
        &self,
        parent: &DrawRow,
        stratum: usize,
        reason: &str,
        actor: Actor,
    ) -> Result<DrawRow, DrawServiceError> {
        let mut filter: DrawFilter = serde_json::from_str(&parent.filter_json).map_err(corrupt)?;
        let source = filter
            .strata
            .get(stratum)
            .cloned()
            .ok_or_else(|| corrupt("replacement stratum outside the filter"))?;
        filter.strata = vec![FilterStratum { k: 1, ..source }];
        filter.salt = hex::encode(
            self.rng
                .bytes::<32>()
                .map_err(|_| DrawServiceError::Randomness)?,
        );
        filter.rules = self.rules();
        let mut tx = self.store.read().await?;
        let seats = tx.draw_seats(&parent.id).await?;
        tx.rollback().await?;
        filter
            .exclude_tokens
            .extend(seats.iter().map(|seat| ExcludedToken {
                draw_id: parent.id.clone(),
                token: hex::encode(&seat.token),
            }));
        filter.normalise();
        let header = DrawHeader {
            center_id: parent.center_id.clone(),
            tender_reference: parent.tender_reference.clone(),
            tender_name: parent.tender_name.clone(),
            venue: parent.venue.clone(),
            parent: Some((parent.id.clone(), reason.to_owned())),
        };
        self.commit_intent(header, actor, filter).await
    }
}
