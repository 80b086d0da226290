//! Conduct ratings after the close, and the credit score they feed.

use serde_json::{Value, json};

use super::{SessionService, Writer, is_session_id, staff_role_of, wrong_phase};
use crate::audit::{Actor, AuditEntry};
use crate::auth::Principal;
use crate::conduct::Rating;
use crate::conduct::{self, CreditPolicy, RaterRole};
use crate::session::rules::Phase;
use crate::session::{SessionError, SessionRole, corrupt, invalid};
use crate::store::StoreError;

impl SessionService {
    /// The credit rules, as this deployment's session settings give them.
    pub(crate) fn credit_policy(&self) -> CreditPolicy {
        CreditPolicy {
            window: self.settings.credit_window,
            minimum_ratings: self.settings.credit_minimum_ratings,
            suspend_below: self.settings.credit_suspend_below,
            suspension_days: self.settings.credit_suspension_days,
        }
    }

    /// After closing, the host and the session's supervisors rate a member's conduct once
    /// each. Ratings feed the expert's credit score; a score below the configured threshold
    /// suspends the expert from draws (a penalty the pool rules apply).
    pub(crate) async fn rate(
        &self,
        who: &Principal,
        session_id: &str,
        seat: u32,
        rating: Rating,
    ) -> Result<Value, SessionError> {
        rating.validate().map_err(|(f, p)| invalid(f, p))?;
        if !is_session_id(session_id) {
            return Err(SessionError::NotFound);
        }
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let loaded = self.locked(&mut tx, session_id).await?;
        let role = staff_role_of(&mut tx, &loaded, who).await?;
        if !matches!(role, SessionRole::Host | SessionRole::Supervisor) {
            return Err(SessionError::Forbidden(
                "the host and the session's supervisors rate members".into(),
            ));
        }
        if loaded.phase != Phase::Closed {
            return Err(wrong_phase(
                loaded.phase,
                "members are rated after the session closes",
            ));
        }
        let row = loaded
            .seat(seat)
            .filter(|s| s.checked_in_at.is_some())
            .ok_or_else(|| invalid("seat", "no member served in this seat"))?
            .clone();
        if loaded.is_representative(seat) {
            return Err(invalid(
                "seat",
                "a tenderer's representative is not rated: ratings feed a pool expert's credit \
                 score, and a representative has no pool record",
            ));
        }
        tx.insert_rating(
            session_id,
            seat as i32,
            &who.account_id,
            [
                i32::from(rating.punctuality),
                i32::from(rating.diligence),
                i32::from(rating.discipline),
            ],
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                SessionError::Conflict("you have already rated this seat".into())
            }
            other => other.into(),
        })?;
        let candidate = tx
            .draw_seat(&row.draw_id, &row.token)
            .await?
            .ok_or_else(|| corrupt("a session seat without its draw seat"))?;
        let expert_id = self.draws.open_seat_expert(&row.draw_id, &candidate)?;
        let rater = if role == SessionRole::Host {
            RaterRole::Host
        } else {
            RaterRole::Supervisor
        };
        let (rating_id, suspended) = conduct::record(
            &mut tx,
            &self.keys,
            self.credit_policy(),
            &expert_id,
            rater,
            rating,
            now,
        )
        .await?;
        let mut writer = Writer::new(&mut tx, session_id, now);
        writer
            .audit(
                AuditEntry::new("session.rating", now, Actor::of(who))
                    .reference("rating", &rating_id)
                    .data("seat", seat)
                    .data("punctuality", rating.punctuality)
                    .data("diligence", rating.diligence)
                    .data("discipline", rating.discipline),
            )
            .await?;
        tx.commit().await?;
        Ok(json!({"seat": seat, "points": rating.points(), "suspended": suspended}))
    }
}
