//! Invitations: every seated candidate of a draw is invited through the outbox, answers yes or
//! no (in the app, or by keypad through the gateway with a one-time code) before a deadline, and
//! silence counts as a decline. A decline is filled from the reserves in the same transaction
//! (the draw's replacement rule). Only after accepting does an expert see the tender, the time
//! and — for remote sessions — a join code. (The committee list is released by `publication`.)

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::crypto::seal::SealError;
use crate::crypto::{KeyRing, Rng, constant_time_eq};
use crate::deps::Deps;
use crate::draw::filter::EvaluationMode;
use crate::draw::service::{DrawService, DrawServiceError, PendingReplacement, SeatedHook};
use crate::draw::{DrawToken, VacancyReason};
use crate::store::draws::DrawRow;
use crate::store::invitations::{Answer, InvitationRow};
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines, TextProblem};

use super::{DeclineReason, InvitationState};

/// The platform's template for an invitation: code, reply deadline, report window, hotline.
pub(crate) const INVITATION_TEMPLATE: &str = "expert-invitation";

/// A gateway callback's timestamp may be this far from the server's clock.
pub(crate) const CALLBACK_WINDOW_SECS: i64 = 300;
pub use super::gateway::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// What an invitation says and how long it stays open.
#[derive(Debug, Clone)]
pub(crate) struct InvitationPolicy {
    pub(crate) answer_minutes: i64,
    pub hotline: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such invitation")]
    NotFound,
    #[error("the invitation has already been answered or has expired")]
    Settled,
    #[error("the reply deadline has passed; the seat goes to the next reserve")]
    Late,
    #[error("the gateway callback is not authentic")]
    Forged,
    #[error("the gateway callback is outside the accepted time window")]
    Stale,
    #[error("gateway callbacks are not configured")]
    NoGateway,
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("sealing failed: {0}")]
    Sealing(#[from] SealError),
    #[error("randomness unavailable")]
    Randomness,
    #[error("stored invitation is inconsistent: {0}")]
    Corrupt(String),
}

fn corrupt(what: impl std::fmt::Display) -> InvitationError {
    InvitationError::Corrupt(what.to_string())
}

/// The tag that finds an expert's own invitations without naming them in the database.
pub(crate) fn expert_tag(keys: &KeyRing, expert_id: &str) -> [u8; 32] {
    keys.token_mac(&[b"invitee\0", expert_id.as_bytes()])
}

fn code_index(keys: &KeyRing, code: &str) -> [u8; 32] {
    keys.blind_index("answer_code", code)
}

/// Eight decimal digits, uniformly: 4.2e9 is a multiple of 1e8, so rejecting above it leaves
/// no modulo bias.
fn one_time_code(rng: &Rng) -> Result<String, InvitationError> {
    loop {
        let value = u32::from_be_bytes(rng.bytes::<4>().map_err(|_| InvitationError::Randomness)?);
        if value < 4_200_000_000 {
            return Ok(format!("{:08}", value % 100_000_000));
        }
    }
}

/// A time as the province reads it (UTC+8), for messages.
fn local(millis: Millis) -> String {
    let time = chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(beijing) => time
            .with_timezone(&beijing)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => time.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// Invites the experts behind newly seated tokens, inside the caller's transaction: the
/// invitation rows, their outbox messages and the audit entries commit together with the
/// seats. The codes are checked, the recipients looked up and the invitation and outbox rows
/// written in one statement each, instead of four per seat. The audit entries are those of
/// one-at-a-time invitations, in the same order (each seat's `notify.queued`, then its
/// `notify.invitation`). Returns the invitation ids.
pub(crate) async fn invite_all(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    policy: &InvitationPolicy,
    now: Millis,
    draw: &DrawRow,
    seats: &[(DrawToken, String)],
) -> Result<Vec<String>, InvitationError> {
    let deadline = now + policy.answer_minutes * 60_000;
    let codes = unused_codes(tx, keys, rng, seats.len()).await?;
    let report_from = draw.evaluation_start - 30 * 60_000;
    let mut rows = Vec::with_capacity(seats.len());
    let mut notifications = Vec::with_capacity(seats.len());
    for ((token, expert_id), code) in seats.iter().zip(codes) {
        let id = uuid::Uuid::now_v7().to_string();
        rows.push(InvitationRow {
            id: id.clone(),
            draw_id: draw.id.clone(),
            token: token.as_bytes().to_vec(),
            expert_tag: expert_tag(keys, expert_id).to_vec(),
            state: InvitationState::Pending,
            code_index: code_index(keys, &code).to_vec(),
            deadline,
            answered_at: None,
            channel: None,
            decline_reason: None,
            sealed_relationship: None,
            sealed_join_code: None,
            created_at: now,
        });
        let params = super::TemplateParams::new()
            .with("code", code)
            .with("reply_deadline", local(deadline))
            .with(
                "report_window",
                format!("{} – {}", local(report_from), local(draw.evaluation_start)),
            )
            .with("hotline", policy.hotline.clone());
        notifications.push(super::outbox::NewNotification {
            expert_id: expert_id.clone(),
            template: INVITATION_TEMPLATE,
            params,
            subject_kind: "invitation",
            subject_id: id,
        });
    }
    let queue_error = |error| match error {
        super::NotifyError::Store(e) => InvitationError::Store(e),
        super::NotifyError::Audit(e) => InvitationError::Audit(e),
        super::NotifyError::Sealing(e) => InvitationError::Sealing(e),
        super::NotifyError::Randomness => InvitationError::Randomness,
        other => corrupt(format!("cannot queue the invitation: {other}")),
    };
    let queued = super::outbox::seal_all(tx, keys, rng, now, &notifications)
        .await
        .map_err(queue_error)?;
    tx.insert_invitations(&rows).await?;
    super::outbox::insert_all(tx, &queued)
        .await
        .map_err(queue_error)?;
    for ((row, (token, _)), queued) in rows.iter().zip(seats).zip(&queued) {
        audit::append(tx, &queued.entry).await?;
        metrics::counter!("notify_queued_total").increment(1);
        let entry = AuditEntry::new("notify.invitation", now, Actor::System)
            .reference("draw", &draw.id)
            .reference("invitation", &row.id)
            .data("token", token.to_hex())
            .data("deadline", to_rfc3339(deadline));
        audit::append(tx, &entry).await?;
    }
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// The notice telling an expert their evaluation moved and asking them to answer again.
pub(crate) const POSTPONED_TEMPLATE: &str = "evaluation-postponed";

/// Asks every seated expert of a postponed evaluation to answer again, inside the caller's
/// transaction (issue 16 §4): each seat (`(draw id, token, expert id)`, of the root draw or a
/// linked one) goes back to seated, its invitation reopens with a new one-time code and reply
/// deadline (an earlier acceptance and its join code are void), and the expert is sent the
/// new window with the code, as an invitation is. `draw` is the root, already moved to its new
/// window. Returns how many seats were asked again.
pub(crate) async fn reinvite_all(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    policy: &InvitationPolicy,
    now: Millis,
    draw: &DrawRow,
    seats: &[(String, DrawToken, String)],
) -> Result<usize, InvitationError> {
    let deadline = now + policy.answer_minutes * 60_000;
    let codes = unused_codes(tx, keys, rng, seats.len()).await?;
    let report_from = draw.evaluation_start - 30 * 60_000;
    let mut asked = 0;
    for ((seat_draw, token, expert_id), code) in seats.iter().zip(codes) {
        tx.unconfirm_seat(seat_draw, token.as_bytes()).await?;
        let Some(invitation_id) = tx
            .reopen_invitation(
                seat_draw,
                token.as_bytes(),
                &code_index(keys, &code),
                deadline,
            )
            .await?
        else {
            continue;
        };
        let notice = super::outbox::NewNotification {
            expert_id: expert_id.clone(),
            template: POSTPONED_TEMPLATE,
            params: super::TemplateParams::new()
                .with("code", code)
                .with("reply_deadline", local(deadline))
                .with(
                    "report_window",
                    format!("{} – {}", local(report_from), local(draw.evaluation_start)),
                )
                .with("hotline", policy.hotline.clone()),
            subject_kind: "invitation",
            subject_id: invitation_id.clone(),
        };
        super::outbox::enqueue(tx, keys, rng, now, &notice)
            .await
            .map_err(|error| match error {
                super::NotifyError::Store(e) => InvitationError::Store(e),
                super::NotifyError::Audit(e) => InvitationError::Audit(e),
                super::NotifyError::Sealing(e) => InvitationError::Sealing(e),
                super::NotifyError::Randomness => InvitationError::Randomness,
                other => corrupt(format!("cannot queue the notice: {other}")),
            })?;
        audit::append(
            tx,
            &AuditEntry::new("notify.invitation", now, Actor::System)
                .reference("draw", seat_draw)
                .reference("invitation", &invitation_id)
                .data("token", token.to_hex())
                .data("deadline", to_rfc3339(deadline))
                .data("again", true),
        )
        .await?;
        asked += 1;
    }
    Ok(asked)
}

/// Invites the experts a draw seats, in the draw's own transaction: the draw's
/// [`SeatedHook`], so the draw need not know how its experts are told.
pub(crate) struct Inviter {
    keys: Arc<KeyRing>,
    rng: Rng,
    policy: InvitationPolicy,
}

impl Inviter {
    pub(crate) fn new(deps: &Deps, policy: InvitationPolicy) -> Self {
        Self {
            keys: deps.keys.clone(),
            rng: deps.rng.clone(),
            policy,
        }
    }
}

impl SeatedHook for Inviter {
    fn seated<'a>(
        &'a self,
        tx: &'a mut Tx,
        draw: &'a DrawRow,
        seats: &'a [(DrawToken, String)],
        now: Millis,
    ) -> BoxFuture<'a, Result<(), DrawServiceError>> {
        Box::pin(async move {
            invite_all(tx, &self.keys, &self.rng, &self.policy, now, draw, seats)
                .await
                .map(drop)
                .map_err(as_draw_error)
        })
    }
}

/// An invitation that could not be written fails the draw's step with it.
fn as_draw_error(error: InvitationError) -> DrawServiceError {
    match error {
        InvitationError::Store(e) => DrawServiceError::Store(e),
        InvitationError::Audit(e) => DrawServiceError::Audit(e),
        InvitationError::Sealing(e) => DrawServiceError::Sealing(e),
        InvitationError::Randomness => DrawServiceError::Randomness,
        other => DrawServiceError::Corrupt(other.to_string()),
    }
}

/// `count` one-time codes, distinct and unique among open invitations, checked before the
/// insert: on PostgreSQL a unique violation would abort the whole transaction (the draw's
/// result with it).
async fn unused_codes(
    tx: &mut Tx,
    keys: &KeyRing,
    rng: &Rng,
    count: usize,
) -> Result<Vec<String>, InvitationError> {
    let mut codes = Vec::with_capacity(count);
    for _ in 0..count {
        codes.push(one_time_code(rng)?);
    }
    loop {
        let indexes: Vec<Vec<u8>> = codes.iter().map(|c| code_index(keys, c).to_vec()).collect();
        let in_use = tx.open_codes_in_use(&indexes).await?;
        let mut clash = false;
        for i in 0..codes.len() {
            let repeated = codes[..i].contains(&codes[i]);
            if repeated || in_use.contains(&indexes[i]) {
                codes[i] = one_time_code(rng)?;
                clash = true;
            }
        }
        if !clash {
            return Ok(codes);
        }
    }
}

/// An invitation as its expert sees it: the tender only once accepted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct InvitationView {
    pub(crate) invitation_id: String,
    /// pending, accepted, declined, expired or withdrawn.
    #[schema(value_type = String)]
    pub state: InvitationState,
    pub(crate) reply_deadline: String,
    pub(crate) answered_at: Option<String>,
    #[schema(value_type = Option<String>)]
    pub(crate) decline_reason: Option<DeclineReason>,
    /// Only after accepting.
    pub(crate) tender_reference: Option<String>,
    pub(crate) tender_name: Option<String>,
    /// Where the expert evaluates: their stratum's venue in a draw bound to venues (never
    /// another), else the draw's main venue.
    pub(crate) venue: Option<String>,
    /// The address of their stratum's venue, in a draw bound to venues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) venue_address: Option<String>,
    pub(crate) evaluation_start: Option<String>,
    pub(crate) evaluation_minutes: Option<u32>,
    #[schema(value_type = Option<String>)]
    pub(crate) mode: Option<EvaluationMode>,
    /// For remote sessions, only after accepting: present it when joining the session.
    pub(crate) session_join_code: Option<String>,
    /// The evaluation session, once accepted and once the center has opened it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// A keypad answer relayed by the gateway.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GatewayAnswer {
    /// The eight-digit one-time code from the message.
    pub code: String,
    /// "1" accepts, "2" declines.
    pub(crate) digit: String,
    /// With a decline: "1" leave, "2" conflict of interest, "3" illness, "4" other.
    #[serde(default)]
    pub(crate) reason_digit: Option<String>,
}

pub struct InvitationService {
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    draws: Arc<DrawService>,
    gateway_secret: Option<secrecy::SecretString>,
}

impl InvitationService {
    pub(crate) fn new(
        deps: &Deps,
        draws: Arc<DrawService>,
        gateway_secret: Option<secrecy::SecretString>,
    ) -> Self {
        let Deps {
            store,
            clock,
            rng,
            keys,
        } = deps.clone();
        Self {
            store,
            clock,
            rng,
            keys,
            draws,
            gateway_secret,
        }
    }

    async fn own_tag(&self, tx: &mut Tx, expert: &Principal) -> Result<[u8; 32], InvitationError> {
        let expert_id = tx
            .expert_of_account(&expert.account_id)
            .await?
            .ok_or(InvitationError::NotFound)?;
        Ok(expert_tag(&self.keys, &expert_id))
    }

    /// The expert's own invitations, newest first.
    pub(crate) async fn mine(
        &self,
        expert: &Principal,
    ) -> Result<Vec<InvitationView>, InvitationError> {
        let mut tx = self.store.read().await?;
        let tag = self.own_tag(&mut tx, expert).await?;
        let rows = tx.invitations_of(&tag, 50).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            let draw = tx
                .draw(&row.draw_id)
                .await?
                .ok_or_else(|| corrupt("invitation without its draw"))?;
            // A linked draw's members sit in the session of the draw the center asked for.
            let session_id = if row.state == InvitationState::Accepted {
                let root = draw.parent_draw_id.as_deref().unwrap_or(&draw.id);
                tx.session_of_draw(root).await?
            } else {
                None
            };
            let venue = bound_venue(&mut tx, &row, &draw).await?;
            let mut view = self.view(row, &draw, venue)?;
            view.session_id = session_id;
            views.push(view);
        }
        tx.rollback().await?;
        Ok(views)
    }

    /// The invitation as its expert sees it; `bound` is the venue of the expert's stratum in
    /// a draw bound to venues, which is named instead of the draw's main venue.
    fn view(
        &self,
        row: InvitationRow,
        draw: &DrawRow,
        bound: Option<BoundVenue>,
    ) -> Result<InvitationView, InvitationError> {
        let accepted = row.state == InvitationState::Accepted;
        let join_code = match (&row.sealed_join_code, accepted) {
            (Some(sealed), true) => Some(
                String::from_utf8(
                    self.keys
                        .open(&join_code_context(&row.id), sealed)?
                        .to_vec(),
                )
                .map_err(corrupt)?,
            ),
            _ => None,
        };
        Ok(InvitationView {
            reply_deadline: to_rfc3339(row.deadline),
            answered_at: row.answered_at.map(to_rfc3339),
            decline_reason: row.decline_reason,
            tender_reference: accepted.then(|| draw.tender_reference.clone()),
            tender_name: accepted.then(|| draw.tender_name.clone()),
            venue: match (accepted, &bound) {
                (false, _) => None,
                (true, Some(bound)) => Some(bound.name.clone()),
                (true, None) => draw.venue.clone(),
            },
            venue_address: bound.filter(|_| accepted).map(|bound| bound.address),
            evaluation_start: accepted.then(|| to_rfc3339(draw.evaluation_start)),
            evaluation_minutes: accepted.then_some(draw.evaluation_minutes as u32),
            mode: accepted.then_some(draw.mode),
            session_join_code: join_code,
            session_id: None,
            state: row.state,
            invitation_id: row.id,
        })
    }

    /// The expert answers in the app.
    pub(crate) async fn answer(
        &self,
        expert: &Principal,
        invitation_id: &str,
        accept: bool,
        reason: Option<&str>,
        relationship: Option<&str>,
    ) -> Result<InvitationView, InvitationError> {
        let decline = validate_decline(accept, reason, relationship)?;
        let mut tx = self.store.write().await?;
        let tag = self.own_tag(&mut tx, expert).await?;
        let row = tx
            .invitation(invitation_id)
            .await?
            .filter(|row| constant_time_eq(&row.expert_tag, &tag))
            .ok_or(InvitationError::NotFound)?;
        let (view, pending) = self
            .settle(tx, row, decline, "app", Actor::of(expert))
            .await?;
        if let Some(pending) = pending {
            self.draws.after_replacement(pending).await?;
        }
        Ok(view)
    }

    /// The gateway relays a keypad answer: authenticated by the shared HMAC key over the
    /// timestamp and the body, refused outside the time window, each code good once.
    pub(crate) async fn gateway_answer(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), InvitationError> {
        let secret = self
            .gateway_secret
            .as_ref()
            .ok_or(InvitationError::NoGateway)?;
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(InvitationError::Forged);
        };
        // The webhook's scheme with a direction label (docs/NOTIFY.md).
        let expected = super::gateway::callback_signature(
            secrecy::ExposeSecret::expose_secret(secret).as_bytes(),
            timestamp,
            body,
        );
        if !constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
            return Err(InvitationError::Forged);
        }
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| InvitationError::Forged)?;
        let now_seconds = self.clock.now_millis().div_euclid(1000);
        if (now_seconds - seconds).abs() > CALLBACK_WINDOW_SECS {
            return Err(InvitationError::Stale);
        }
        let answer: GatewayAnswer =
            serde_json::from_slice(body).map_err(|error| InvitationError::Invalid {
                field: "body",
                problem: format!("not a gateway answer: {error}"),
            })?;
        let (accept, reason) = match (answer.digit.as_str(), answer.reason_digit.as_deref()) {
            ("1", _) => (true, None),
            ("2", None) => (false, Some(DeclineReason::Other)),
            ("2", Some(digit)) => (
                false,
                Some(match digit {
                    "1" => DeclineReason::Leave,
                    "2" => DeclineReason::ConflictOfInterest,
                    "3" => DeclineReason::Illness,
                    _ => DeclineReason::Other,
                }),
            ),
            _ => {
                return Err(InvitationError::Invalid {
                    field: "digit",
                    problem: "must be 1 (accept) or 2 (decline)".into(),
                });
            }
        };
        if answer.code.len() != 8 || !answer.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvitationError::Invalid {
                field: "code",
                problem: "must be the eight-digit code from the message".into(),
            });
        }
        let decline = match (accept, reason) {
            (true, _) => None,
            (false, reason) => Some((reason.unwrap_or(DeclineReason::Other), None)),
        };
        let mut tx = self.store.write().await?;
        let row = tx
            .invitation_by_code(&code_index(&self.keys, &answer.code))
            .await?
            .ok_or(InvitationError::NotFound)?;
        let (_, pending) = self
            .settle(tx, row, decline, "gateway", Actor::System)
            .await?;
        if let Some(pending) = pending {
            self.draws.after_replacement(pending).await?;
        }
        Ok(())
    }

    /// Settles a pending invitation and commits: an acceptance confirms the seat; a decline
    /// vacates it for the next reserve in the same transaction.
    async fn settle(
        &self,
        mut tx: Tx,
        row: InvitationRow,
        decline: Option<(DeclineReason, Option<String>)>,
        channel: &str,
        actor: Actor,
    ) -> Result<(InvitationView, Option<PendingReplacement>), InvitationError> {
        let now = self.clock.now_millis();
        tx.lock_draw(&row.draw_id).await?;
        let draw = tx
            .draw(&row.draw_id)
            .await?
            .ok_or_else(|| corrupt("invitation without its draw"))?;
        // Re-read under the draw's lock: a concurrent answer or the deadline may have settled it.
        let row = tx
            .invitation(&row.id)
            .await?
            .ok_or(InvitationError::NotFound)?;
        if row.state != InvitationState::Pending {
            return Err(InvitationError::Settled);
        }
        // While the evaluation is suspended nothing of its draw moves, answers included (they
        // would confirm seats or take reserves); a resumption moves the deadline on.
        crate::draw::service::refuse_if_held(&mut tx, &draw).await?;
        if now >= row.deadline {
            return Err(InvitationError::Late);
        }
        let token = seat_token(&row.token)?;
        let state = if decline.is_none() {
            InvitationState::Accepted
        } else {
            InvitationState::Declined
        };
        let remote = draw.mode != EvaluationMode::OnSite;
        let join_code = if state == InvitationState::Accepted && remote {
            let code = hex::encode(
                self.rng
                    .bytes::<5>()
                    .map_err(|_| InvitationError::Randomness)?,
            );
            Some(
                self.keys
                    .seal(&self.rng, &join_code_context(&row.id), code.as_bytes())?,
            )
        } else {
            None
        };
        let relationship = match &decline {
            Some((_, Some(relationship))) => Some(self.keys.seal(
                &self.rng,
                &relationship_context(&row.id),
                relationship.as_bytes(),
            )?),
            _ => None,
        };
        let answer = Answer {
            state,
            channel,
            decline_reason: decline.as_ref().map(|(reason, _)| *reason),
            sealed_relationship: relationship.as_deref(),
            sealed_join_code: join_code.as_deref(),
            at: now,
        };
        // Settled first, so the replacement below finds no pending invitation to withdraw.
        if !tx.settle_invitation(&row.id, &answer).await? {
            return Err(InvitationError::Settled);
        }
        let pending = if decline.is_none() {
            if !tx.confirm_seat(&row.draw_id, &row.token).await? {
                return Err(InvitationError::Settled);
            }
            None
        } else {
            Some(
                self.draws
                    .replace_in(
                        &mut tx,
                        &draw,
                        token,
                        VacancyReason::Declined,
                        actor.clone(),
                    )
                    .await?,
            )
        };
        let mut entry = AuditEntry::new("notify.answer", now, actor)
            .reference("draw", &row.draw_id)
            .reference("invitation", &row.id)
            .data("token", token.to_hex())
            .data("answer", state.as_str())
            .data("channel", channel);
        if let Some((reason, relationship)) = &decline {
            entry = entry
                .data("reason", reason.as_str())
                .data("relationship_declared", relationship.is_some());
        }
        audit::append(&mut tx, &entry).await?;
        let updated = tx
            .invitation(&row.id)
            .await?
            .ok_or(InvitationError::NotFound)?;
        let venue = bound_venue(&mut tx, &updated, &draw).await?;
        tx.commit().await?;
        Ok((self.view(updated, &draw, venue)?, pending))
    }

    /// Every pending invitation past its deadline counts as a decline ("no_answer") and its seat
    /// goes to the next reserve. Returns how many expired.
    pub async fn expire_overdue(&self) -> Result<usize, InvitationError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let overdue = tx.overdue_invitations(now, 100).await?;
        tx.rollback().await?;
        let mut expired = 0;
        for (id, draw_id) in overdue {
            // One invitation that fails must not hold up the others behind it.
            match self.expire_one(&id, &draw_id, now).await {
                Ok(true) => expired += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(%error, invitation = %id, "expiring an invitation failed");
                }
            }
        }
        Ok(expired)
    }

    /// Expires one overdue invitation and hands its seat to the next reserve; false if it was
    /// settled meanwhile.
    async fn expire_one(
        &self,
        id: &str,
        draw_id: &str,
        now: Millis,
    ) -> Result<bool, InvitationError> {
        let mut tx = self.store.write().await?;
        tx.lock_draw(draw_id).await?;
        let Some(row) = tx.invitation(id).await? else {
            return Ok(false);
        };
        if row.state != InvitationState::Pending || row.deadline > now {
            return Ok(false);
        }
        let draw = tx
            .draw(draw_id)
            .await?
            .ok_or_else(|| corrupt("invitation without its draw"))?;
        let answer = Answer {
            state: InvitationState::Expired,
            channel: "deadline",
            decline_reason: None,
            sealed_relationship: None,
            sealed_join_code: None,
            at: now,
        };
        tx.settle_invitation(id, &answer).await?;
        let token = seat_token(&row.token)?;
        // The replacement (which updates pool rows) before the log entry (which locks the
        // log's head), in the order every other writer takes those locks.
        let pending = self
            .draws
            .replace_in(
                &mut tx,
                &draw,
                token,
                VacancyReason::NoAnswer,
                Actor::System,
            )
            .await?;
        let entry = AuditEntry::new("notify.expired", now, Actor::System)
            .reference("draw", draw_id)
            .reference("invitation", id)
            .data("token", token.to_hex());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.draws.after_replacement(pending).await?;
        Ok(true)
    }

    /// Runs [`Self::expire_overdue`] every `interval` until `stop` turns true.
    pub(crate) async fn run_deadlines(
        self: Arc<Self>,
        interval: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        crate::tasks::every(interval, stop, "expiring overdue invitations", move || {
            let this = self.clone();
            async move { this.expire_overdue().await.map(drop) }
        })
        .await
    }
}

/// A decline's reason and declared relationship, checked.
fn validate_decline(
    accept: bool,
    reason: Option<&str>,
    relationship: Option<&str>,
) -> Result<Option<(DeclineReason, Option<String>)>, InvitationError> {
    if accept {
        if reason.is_some() || relationship.is_some() {
            return Err(InvitationError::Invalid {
                field: "reason",
                problem: "only a decline gives a reason".into(),
            });
        }
        return Ok(None);
    }
    let reason = reason.ok_or(InvitationError::Invalid {
        field: "reason",
        problem: format!("a decline needs one of {}", DeclineReason::NAMES.join(", ")),
    })?;
    let Some(reason) = DeclineReason::parse(reason) else {
        return Err(InvitationError::Invalid {
            field: "reason",
            problem: format!("must be one of {}", DeclineReason::NAMES.join(", ")),
        });
    };
    let relationship = match relationship.map(|text| BoundedText::parse(text, Lines::One, 2..=200))
    {
        Some(Err(TextProblem::Character(problem))) => {
            return Err(InvitationError::Invalid {
                field: "relationship",
                problem,
            });
        }
        parsed => parsed,
    };
    let relationship = match (reason, relationship) {
        (DeclineReason::ConflictOfInterest, Some(Ok(text))) => Some(text.into_string()),
        (DeclineReason::ConflictOfInterest, _) => {
            return Err(InvitationError::Invalid {
                field: "relationship",
                problem: "a conflict of interest needs the declared relationship (2 to 200 \
                          characters)"
                    .into(),
            });
        }
        (_, Some(_)) => {
            return Err(InvitationError::Invalid {
                field: "relationship",
                problem: "only a conflict of interest declares a relationship".into(),
            });
        }
        (_, None) => None,
    };
    Ok(Some((reason, relationship)))
}

fn seat_token(bytes: &[u8]) -> Result<DrawToken, InvitationError> {
    DrawToken::from_slice(bytes).ok_or_else(|| corrupt("a stored token is not 32 bytes"))
}

pub(crate) fn join_code_context(invitation_id: &str) -> String {
    format!("invitation-join-code:{invitation_id}")
}

fn relationship_context(invitation_id: &str) -> String {
    format!("invitation-relationship:{invitation_id}")
}

/// A catalogue venue as an invitation names it.
struct BoundVenue {
    name: String,
    address: String,
}

/// The venue of the invited expert's stratum, when the draw binds its strata to venues (a
/// linked draw's one stratum keeps its root stratum's venue).
async fn bound_venue(
    tx: &mut Tx,
    row: &InvitationRow,
    draw: &DrawRow,
) -> Result<Option<BoundVenue>, InvitationError> {
    let venues = crate::draw::service::stratum_venues(tx, draw).await?;
    if venues.iter().all(Option::is_none) {
        return Ok(None);
    }
    let Some(seat) = tx.draw_seat(&row.draw_id, &row.token).await? else {
        return Ok(None);
    };
    let Some(Some(venue_id)) = usize::try_from(seat.stratum)
        .ok()
        .and_then(|i| venues.get(i))
    else {
        return Ok(None);
    };
    Ok(tx.venue(venue_id).await?.map(|venue| BoundVenue {
        name: venue.name,
        address: venue.address,
    }))
}
