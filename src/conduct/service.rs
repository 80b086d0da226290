//! Ratings of on-site evaluations, an expert's own ratings and credit, and appeals.

use std::sync::Arc;

use serde::Serialize;

use super::{CreditPolicy, LOW_CREDIT, RaterRole, Rating, RepairPolicy, current_score};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{SharedClock, to_rfc3339};
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::draw::service::{DrawService, in_jurisdiction};
use crate::draw::{CandidateState, DrawStatus};
use crate::notify::TemplateParams;
use crate::notify::outbox::{self, NewNotification};
use crate::store::conduct::{AppealRow, ConductRow};
use crate::store::{Store, StoreError};
use crate::text::{BoundedText, Lines};

/// The notification template telling an expert how their appeal was decided.
pub(crate) const APPEAL_DECIDED_TEMPLATE: &str = "rating-appeal-decided";

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConductError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such draw")]
    NoSuchDraw,
    #[error("no such rating")]
    NoSuchRating,
    #[error("no such appeal")]
    NoSuchAppeal,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("this account is not linked to an expert record")]
    NotAnExpert,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooEarly(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("a sealed seat does not open")]
    Sealing,
    #[error("randomness unavailable")]
    Randomness,
    #[error("stored rating is inconsistent: {0}")]
    Corrupt(String),
}

fn invalid(field: &'static str, problem: impl Into<String>) -> ConductError {
    ConductError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// One seat of an on-site evaluation, as its raters see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RateableSeat {
    pub(crate) token: String,
    pub(crate) stratum: usize,
    /// Whether the caller has rated this seat.
    pub(crate) rated: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct DrawRatings {
    /// When rating opens: the end of the evaluation window.
    pub(crate) opens_at: String,
    pub(crate) open: bool,
    /// The confirmed members' seats, by token.
    pub(crate) seats: Vec<RateableSeat>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AppealView {
    pub(crate) appeal_id: String,
    pub(crate) rating_id: String,
    pub(crate) reason: String,
    pub(crate) filed_at: String,
    /// pending, upheld (the rating stands) or granted (withdrawn from the credit score).
    pub(crate) status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_at: Option<String>,
}

/// One rating as the expert it concerns sees it: when, in which capacity, the marks; never
/// who rated or for which tender.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct OwnRating {
    pub(crate) rating_id: String,
    pub(crate) rated_at: String,
    /// host, center or supervisor.
    pub(crate) rater_role: String,
    pub(crate) punctuality: i32,
    pub(crate) diligence: i32,
    pub(crate) discipline: i32,
    pub(crate) points: i64,
    /// Whether an appeal withdrew it from the credit score.
    pub(crate) withdrawn: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) appeal: Option<AppealView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct OwnCredit {
    /// The mean of the last `window` ratings that count (0–100); absent with fewer than
    /// `minimum_ratings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) score: Option<i64>,
    pub(crate) window: i64,
    pub(crate) minimum_ratings: usize,
    pub(crate) suspend_below: i64,
    pub(crate) ratings: Vec<OwnRating>,
}

/// An appeal as a supervisor decides it: the rating's marks and the expert's reason, the
/// expert by pseudonym.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AppealForReview {
    #[serde(flatten)]
    pub(crate) appeal: AppealView,
    /// The expert's stable pseudonym (as audit entries name them), never their identity.
    pub(crate) expert: String,
    /// The deciding supervisor's account id (decided appeals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_by: Option<String>,
    pub(crate) rater_role: String,
    pub(crate) rated_at: String,
    pub(crate) punctuality: i32,
    pub(crate) diligence: i32,
    pub(crate) discipline: i32,
}

/// How a supervisor decides an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The rating stands.
    Upheld,
    /// The rating is withdrawn from the credit score.
    Granted,
}

impl Outcome {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "upheld" => Some(Outcome::Upheld),
            "granted" => Some(Outcome::Granted),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::Granted => "granted",
        }
    }
}

pub(crate) struct ConductService {
    pub(super) store: Store,
    pub(super) clock: SharedClock,
    pub(super) keys: Arc<KeyRing>,
    rng: Rng,
    draws: Arc<DrawService>,
    pub(super) policy: CreditPolicy,
    pub(super) repair: RepairPolicy,
}

impl ConductService {
    pub(crate) fn new(deps: &Deps, draws: Arc<DrawService>, policy: CreditPolicy) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            keys: deps.keys.clone(),
            rng: deps.rng.clone(),
            draws,
            policy,
            repair: RepairPolicy::default(),
        }
    }

    /// Which ratings may be repaired, and when (the settings'; the defaults otherwise).
    pub(crate) fn with_repair_policy(mut self, repair: RepairPolicy) -> Self {
        self.repair = repair;
        self
    }

    /// An on-site evaluation's seats for its raters: the draw's center and supervisors within
    /// its jurisdiction. A draw with a session is rated in the session.
    pub(crate) async fn draw_ratings(
        &self,
        who: &Principal,
        draw_id: &str,
    ) -> Result<DrawRatings, ConductError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let draw = self.rateable_draw(&mut tx, who, draw_id).await?;
        let rated = tx.draw_ratings_by(&draw.id, &who.account_id).await?;
        let seats = tx
            .family_seats(&draw.id)
            .await?
            .into_iter()
            .filter(|(_, _, state, _)| *state == CandidateState::Confirmed)
            .map(|(_, token, _, stratum)| {
                let token = hex::encode(token);
                RateableSeat {
                    rated: rated.contains(&token),
                    token,
                    stratum: usize::try_from(stratum).unwrap_or_default(),
                }
            })
            .collect();
        tx.rollback().await?;
        let end = draw.evaluation_end();
        Ok(DrawRatings {
            opens_at: to_rfc3339(end),
            open: now >= end,
            seats,
        })
    }

    /// Rates one confirmed member of an on-site evaluation, after its window has ended; once
    /// per rater and seat.
    pub(crate) async fn rate_draw_seat(
        &self,
        who: &Principal,
        draw_id: &str,
        token_hex: &str,
        rating: Rating,
    ) -> Result<serde_json::Value, ConductError> {
        rating
            .validate()
            .map_err(|(field, problem)| ConductError::Invalid { field, problem })?;
        let token = hex::decode(token_hex)
            .ok()
            .filter(|t| t.len() == 32)
            .ok_or_else(|| invalid("token", "must be a seat's token: 64 hex digits"))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_draw(draw_id).await?;
        let draw = self.rateable_draw(&mut tx, who, draw_id).await?;
        let end = draw.evaluation_end();
        if now < end {
            return Err(ConductError::TooEarly(format!(
                "an on-site evaluation is rated after its window ends, {}",
                to_rfc3339(end)
            )));
        }
        let seat = tx
            .family_seats(&draw.id)
            .await?
            .into_iter()
            .find(|(_, t, state, _)| *t == token && *state == CandidateState::Confirmed)
            .ok_or_else(|| invalid("token", "no confirmed member of this draw holds this seat"))?;
        let (seat_draw, _, _, stratum) = seat;
        tx.insert_draw_rating(&draw.id, token_hex, &who.account_id, rating.marks(), now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ConductError::Conflict("you have already rated this seat".into())
                }
                other => other.into(),
            })?;
        let row = tx
            .draw_seat(&seat_draw, &token)
            .await?
            .ok_or_else(|| ConductError::Corrupt("a family seat without its row".into()))?;
        let expert_id = self
            .draws
            .open_seat_expert(&seat_draw, &row)
            .map_err(|_| ConductError::Sealing)?;
        let rater = if who.role == Role::Supervisor {
            RaterRole::Supervisor
        } else {
            RaterRole::Center
        };
        let (rating_id, suspended) = super::record(
            &mut tx,
            &self.keys,
            self.policy,
            &expert_id,
            rater,
            rating,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &AuditEntry::new("draw.rating", now, Actor::of(who))
                .reference("draw", &draw.id)
                .reference("rating", &rating_id)
                .data("token", token_hex)
                .data("stratum", stratum)
                .data("rater_role", rater.as_str())
                .data("punctuality", rating.punctuality)
                .data("diligence", rating.diligence)
                .data("discipline", rating.discipline),
        )
        .await?;
        tx.commit().await?;
        Ok(serde_json::json!({
            "token": token_hex,
            "points": rating.points(),
            "suspended": suspended,
        }))
    }

    /// The root draw `draw_id` if `who` may rate its on-site evaluation: its center, or a
    /// supervisor within its jurisdiction (otherwise no such draw); drawn, without a session.
    async fn rateable_draw(
        &self,
        tx: &mut crate::store::Tx,
        who: &Principal,
        draw_id: &str,
    ) -> Result<crate::store::draws::DrawRow, ConductError> {
        if !crate::draw::service::is_draw_id(draw_id) {
            return Err(ConductError::NoSuchDraw);
        }
        let draw = match tx.draw(draw_id).await? {
            Some(draw)
                if (who.role == Role::Center && draw.center_id == who.account_id)
                    || (who.role == Role::Supervisor
                        && in_jurisdiction(tx, who, &draw).await?) =>
            {
                draw
            }
            _ => return Err(ConductError::NoSuchDraw),
        };
        if draw.parent_draw_id.is_some() {
            return Err(invalid(
                "draw_id",
                "rate the draw the center asked for; its linked draws' members are among its seats",
            ));
        }
        if draw.status != DrawStatus::Drawn {
            return Err(ConductError::Conflict("the draw has no result yet".into()));
        }
        if tx.session_of_draw(&draw.id).await?.is_some() {
            return Err(ConductError::Conflict(
                "this draw's evaluation ran as a session: rate its members in the session".into(),
            ));
        }
        Ok(draw)
    }

    /// The expert's own ratings (newest first) and credit score.
    pub(crate) async fn own(&self, who: &Principal) -> Result<OwnCredit, ConductError> {
        let mut tx = self.store.read().await?;
        let expert_id = tx
            .expert_of_account(&who.account_id)
            .await?
            .ok_or(ConductError::NotAnExpert)?;
        let rows = tx.conduct_of_expert(&expert_id).await?;
        let appeals = tx.appeals(Some(&expert_id)).await?;
        let score = current_score(&mut tx, self.policy, &expert_id).await?;
        tx.rollback().await?;
        let ratings = rows
            .into_iter()
            .map(|row| {
                let appeal = appeals
                    .iter()
                    .find(|a| a.conduct_id == row.id)
                    .map(appeal_view);
                own_rating(row, appeal)
            })
            .collect();
        Ok(OwnCredit {
            score,
            window: self.policy.window,
            minimum_ratings: self.policy.minimum_ratings,
            suspend_below: self.policy.suspend_below,
            ratings,
        })
    }

    /// The expert appeals one of their ratings, once, with a reason.
    pub(crate) async fn appeal(
        &self,
        who: &Principal,
        rating_id: &str,
        reason: &str,
    ) -> Result<AppealView, ConductError> {
        let reason = BoundedText::parse(reason, Lines::Many, 10..=1000)
            .map_err(|problem| invalid("reason", problem))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let expert_id = tx
            .expert_of_account(&who.account_id)
            .await?
            .ok_or(ConductError::NotAnExpert)?;
        let rating = tx
            .conduct_by_id(rating_id)
            .await?
            .filter(|row| row.expert_id == expert_id)
            .ok_or(ConductError::NoSuchRating)?;
        let appeal = AppealRow {
            id: uuid::Uuid::now_v7().to_string(),
            conduct_id: rating.id.clone(),
            expert_id: expert_id.clone(),
            reason: reason.as_str().to_owned(),
            filed_at: now,
            status: "pending".into(),
            decided_by: None,
            decision_reason: None,
            decided_at: None,
        };
        tx.insert_appeal(&appeal).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                ConductError::Conflict("this rating has already been appealed".into())
            }
            other => other.into(),
        })?;
        // The reason may name people; the log keeps its digest, the appeal its text.
        let suite = self.keys.suite();
        audit::append(
            &mut tx,
            &AuditEntry::new("expert.rating_appealed", now, Actor::of(who))
                .reference("appeal", &appeal.id)
                .reference("rating", &rating.id)
                .data("expert", self.keys.expert_pseudonym(&expert_id))
                .data(
                    &suite.digest_field("reason"),
                    suite.hex_hash(reason.as_str().as_bytes()),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(appeal_view(&appeal))
    }

    /// Appeals for a supervisor: those of experts registered within their jurisdiction,
    /// pending first, then the latest decided.
    pub(crate) async fn appeals(
        &self,
        who: &Principal,
    ) -> Result<Vec<AppealForReview>, ConductError> {
        let mut tx = self.store.read().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let mut found = Vec::new();
        for appeal in tx.appeals(None).await? {
            if !scope.covers_expert(&mut tx, &appeal.expert_id).await? {
                continue;
            }
            let rating = tx
                .conduct_by_id(&appeal.conduct_id)
                .await?
                .ok_or_else(|| ConductError::Corrupt("an appeal without its rating".into()))?;
            found.push(AppealForReview {
                appeal: appeal_view(&appeal),
                expert: self.keys.expert_pseudonym(&appeal.expert_id),
                decided_by: appeal.decided_by.clone(),
                rater_role: rating.rater_role.clone().unwrap_or_default(),
                rated_at: to_rfc3339(rating.rated_at),
                punctuality: rating.punctuality.unwrap_or_default(),
                diligence: rating.diligence.unwrap_or_default(),
                discipline: rating.discipline.unwrap_or_default(),
            });
        }
        tx.rollback().await?;
        found.sort_by_key(|a| a.appeal.status != "pending");
        Ok(found)
    }

    /// A supervisor within the expert's jurisdiction decides an appeal with a reason:
    /// upheld, the rating stands; granted, it is withdrawn from the credit score, and a
    /// suspension for low credit that the score no longer supports ends. Logged; the expert
    /// is notified.
    pub(crate) async fn decide(
        &self,
        who: &Principal,
        appeal_id: &str,
        outcome: Outcome,
        reason: &str,
    ) -> Result<AppealView, ConductError> {
        let reason = BoundedText::parse(reason, Lines::Many, 10..=1000)
            .map_err(|problem| invalid("reason", problem))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let appeal = match tx.appeal_by_id(appeal_id).await? {
            Some(appeal) if scope.covers_expert(&mut tx, &appeal.expert_id).await? => appeal,
            _ => return Err(ConductError::NoSuchAppeal),
        };
        if !tx
            .decide_appeal(
                &appeal.id,
                outcome.as_str(),
                &who.account_id,
                reason.as_str(),
                now,
            )
            .await?
        {
            return Err(ConductError::Conflict(
                "the appeal has already been decided".into(),
            ));
        }
        let pseudonym = self.keys.expert_pseudonym(&appeal.expert_id);
        let mut lifted = false;
        if outcome == Outcome::Granted {
            tx.withdraw_conduct(&appeal.conduct_id, now).await?;
            let score = current_score(&mut tx, self.policy, &appeal.expert_id).await?;
            super::record_score(&mut tx, &appeal.expert_id, score).await?;
            let supported = score.is_some_and(|score| score < self.policy.suspend_below);
            if !supported
                && tx
                    .end_running_penalties(&appeal.expert_id, LOW_CREDIT, now)
                    .await?
                    > 0
            {
                tx.bump_pool_version().await?;
                lifted = true;
            }
        }
        let suite = self.keys.suite();
        audit::append(
            &mut tx,
            &AuditEntry::new("expert.rating_appeal_decided", now, Actor::of(who))
                .reference("appeal", &appeal.id)
                .reference("rating", &appeal.conduct_id)
                .data("expert", pseudonym)
                .data("outcome", outcome.as_str())
                .data(
                    &suite.digest_field("reason"),
                    suite.hex_hash(reason.as_str().as_bytes()),
                )
                .data("suspension_lifted", lifted),
        )
        .await?;
        let notice = NewNotification {
            expert_id: appeal.expert_id.clone(),
            template: APPEAL_DECIDED_TEMPLATE,
            params: TemplateParams::new().with("outcome", outcome.as_str()),
            subject_kind: "rating_appeal",
            subject_id: appeal.id.clone(),
        };
        outbox::enqueue(&mut tx, &self.keys, &self.rng, now, &notice)
            .await
            .map_err(|error| match error {
                crate::notify::NotifyError::Store(e) => ConductError::Store(e),
                crate::notify::NotifyError::Audit(e) => ConductError::Audit(e),
                crate::notify::NotifyError::Randomness => ConductError::Randomness,
                other => ConductError::Corrupt(format!("cannot queue the notice: {other}")),
            })?;
        let decided = tx
            .appeal_by_id(&appeal.id)
            .await?
            .ok_or_else(|| ConductError::Corrupt("a decided appeal vanished".into()))?;
        tx.commit().await?;
        Ok(appeal_view(&decided))
    }
}

fn appeal_view(row: &AppealRow) -> AppealView {
    AppealView {
        appeal_id: row.id.clone(),
        rating_id: row.conduct_id.clone(),
        reason: row.reason.clone(),
        filed_at: to_rfc3339(row.filed_at),
        status: row.status.clone(),
        decision_reason: row.decision_reason.clone(),
        decided_at: row.decided_at.map(to_rfc3339),
    }
}

fn own_rating(row: ConductRow, appeal: Option<AppealView>) -> OwnRating {
    OwnRating {
        rating_id: row.id,
        rated_at: to_rfc3339(row.rated_at),
        rater_role: row.rater_role.unwrap_or_default(),
        punctuality: row.punctuality.unwrap_or_default(),
        diligence: row.diligence.unwrap_or_default(),
        discipline: row.discipline.unwrap_or_default(),
        points: row.points,
        withdrawn: row.withdrawn_at.is_some(),
        appeal,
    }
}
