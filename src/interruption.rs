//! Suspending, resuming and cancelling a tender's evaluation (issue 16 §4; 实施条例 §54, §62):
//! the draw's center asks with a reason, a supervisor whose jurisdiction covers the draw
//! approves or refuses, and only then does anything change. The hold is kept on the root
//! draw, which its linked draws, its invitations and its session follow (`draw::service::
//! refuse_if_held`). Every step is an audit entry; the experts whose seats are held are told.
//!
//! There is still no re-draw: a cancelled tender keeps its draw, so a new root draw for it is
//! refused (`tender-already-drawn`) unless the supervisor's approval says the tender is
//! re-tendered; then the cancelled draw releases the tender and the new draw's intent entry
//! names it (`refs.retender_of`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{SharedClock, to_rfc3339};
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::draw::service::{
    DrawService, DrawServiceError, RETENDER_VOID_REASON, in_jurisdiction, is_draw_id,
};
use crate::draw::{CandidateState, DrawHold, DrawToken, InterruptionKind, InterruptionState};
use crate::notify::TemplateParams;
use crate::notify::invitations::InvitationPolicy;
use crate::notify::outbox::{self, NewNotification};
use crate::session::SessionService;
use crate::session::events::SessionEvent;
use crate::session::rules::Phase;
use crate::store::draws::DrawRow;
use crate::store::interruptions::InterruptionRow;
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines};
use crate::venue::bookings::{self, Claim};
use crate::venue::{BookingState, Holder, Window};

/// The notices the experts whose seats are held receive (docs/NOTIFY.md).
pub(crate) const SUSPENDED_TEMPLATE: &str = "evaluation-suspended";
pub(crate) const RESUMED_TEMPLATE: &str = "evaluation-resumed";
pub(crate) const CANCELLED_TEMPLATE: &str = "evaluation-cancelled";

/// Reasons, a request's and a decision's: long enough to say something, short enough to read.
const REASON_CHARS: std::ops::RangeInclusive<usize> = 10..=500;

#[derive(Debug, thiserror::Error)]
pub(crate) enum InterruptionError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such draw")]
    NoSuchDraw,
    #[error("no such interruption request")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    #[error(transparent)]
    Venue(#[from] crate::venue::VenueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("a sealed seat does not open")]
    Sealing,
    #[error("randomness unavailable")]
    Randomness,
    #[error("cannot queue a notice: {0}")]
    Notify(String),
}

fn invalid(field: &'static str, problem: impl Into<String>) -> InterruptionError {
    InterruptionError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// A center's request, as parsed from the API.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInterruption {
    /// `suspend`, `resume`, `postpone` or `cancel`.
    #[schema(value_type = String)]
    pub(crate) kind: InterruptionKind,
    /// Why (10–500 characters): e.g. the complaint under review, or the tender's termination.
    pub(crate) reason: String,
    /// A postponement only: the evaluation's new start (RFC 3339, e.g.
    /// `2026-12-10T09:00:00+08:00`), later than the present one.
    #[serde(default)]
    pub(crate) evaluation_start: Option<String>,
    /// A postponement only: its new length in minutes (30–10080); the present one if omitted.
    #[serde(default)]
    pub(crate) evaluation_minutes: Option<u32>,
}

/// A supervisor's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InterruptionDecision {
    pub(crate) approve: bool,
    /// Why (10–500 characters), read by the center.
    pub(crate) reason: String,
    /// For approving a cancellation only: the tender will be tendered again, so one new root
    /// draw for it is allowed, whose intent entry names this draw.
    #[serde(default)]
    pub(crate) retender: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct InterruptionView {
    pub(crate) interruption_id: String,
    pub(crate) draw_id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    #[schema(value_type = String)]
    pub(crate) kind: InterruptionKind,
    #[schema(value_type = String)]
    pub(crate) state: InterruptionState,
    pub(crate) reason: String,
    /// The requesting center's name.
    pub(crate) requested_by: String,
    pub(crate) requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decision_reason: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) retender: bool,
    /// A postponement's new start (RFC 3339) and length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluation_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluation_minutes: Option<u32>,
    /// The draw's hold now: `suspended`, `cancelled`, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) hold: Option<DrawHold>,
}

pub(crate) struct InterruptionService {
    store: Store,
    clock: SharedClock,
    keys: Arc<KeyRing>,
    rng: Rng,
    draws: Arc<DrawService>,
    sessions: Arc<SessionService>,
    /// How a postponement asks the experts again: the reply window and the hotline.
    invitations: InvitationPolicy,
    /// A postponed evaluation starts at least this long after the request, as a new draw's
    /// must (`draw.latest_minutes_before`).
    notice_minutes: i64,
}

impl InterruptionService {
    pub(crate) fn new(
        deps: &Deps,
        draws: Arc<DrawService>,
        sessions: Arc<SessionService>,
        invitations: InvitationPolicy,
        notice_minutes: i64,
    ) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            keys: deps.keys.clone(),
            rng: deps.rng.clone(),
            draws,
            sessions,
            invitations,
            notice_minutes,
        }
    }

    /// The draw's center asks to suspend, resume or cancel its evaluation. One request of a
    /// draw is open at a time; what it asks must fit the draw's hold.
    pub(crate) async fn request(
        &self,
        center: &Principal,
        draw_id: &str,
        request: NewInterruption,
    ) -> Result<InterruptionView, InterruptionError> {
        let reason = checked_reason(&request.reason)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let draw = own_root_draw(&mut tx, center, draw_id).await?;
        tx.lock_draw(&draw.id).await?;
        let hold = tx.draw_hold(&draw.id).await?;
        fits_hold(request.kind, hold)?;
        // A void draw never executes and its tender may already have a new draw: there is no
        // evaluation of its own left to interrupt.
        if tx.draw_void(&draw.id).await?.is_some() {
            return Err(InterruptionError::Conflict(
                "the draw is void: it has no evaluation to suspend, postpone or cancel".into(),
            ));
        }
        if request.kind != InterruptionKind::Resume && evaluation_closed(&mut tx, &draw).await? {
            return Err(InterruptionError::Conflict(
                "the evaluation has closed: there is nothing left to suspend or cancel".into(),
            ));
        }
        let schedule = self.new_schedule(&request, &draw, now)?;
        if schedule.is_some() {
            postponable(&mut tx, &draw).await?;
        }
        let row = InterruptionRow {
            id: uuid::Uuid::now_v7().to_string(),
            draw_id: draw.id.clone(),
            kind: request.kind,
            state: InterruptionState::Requested,
            reason,
            requested_by: center.account_id.clone(),
            requested_at: now,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            retender: false,
            new_start: schedule.map(|(start, _)| start),
            new_minutes: schedule.map(|(_, minutes)| minutes as i32),
        };
        tx.insert_interruption(&row).await.map_err(|e| match e {
            StoreError::Conflict(_) => InterruptionError::Conflict(
                "a request about this draw is already waiting for a supervisor".into(),
            ),
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &AuditEntry::new("draw.interruption_requested", now, Actor::of(center))
                .reference("draw", &draw.id)
                .reference("interruption", &row.id)
                .data("kind", row.kind.as_str())
                .data(
                    &self.keys.suite().digest_field("reason"),
                    self.keys.suite().hex_hash(row.reason.as_bytes()),
                ),
        )
        .await?;
        let view = view_of(&mut tx, &row, &draw, hold).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A supervisor within the draw's jurisdiction approves or refuses an open request. An
    /// approval applies it in the same transaction: the hold, the session's event, the
    /// notices, and for a cancellation the venues' bookings and the experts' open invitations.
    pub(crate) async fn decide(
        &self,
        supervisor: &Principal,
        interruption_id: &str,
        decision: InterruptionDecision,
    ) -> Result<InterruptionView, InterruptionError> {
        let reason = checked_reason(&decision.reason)?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = self
            .in_scope(&mut tx, supervisor, interruption_id)
            .await?
            .ok_or(InterruptionError::NotFound)?;
        if decision.retender && !(decision.approve && row.kind == InterruptionKind::Cancel) {
            return Err(invalid(
                "retender",
                "only an approved cancellation can release the tender for re-tendering",
            ));
        }
        tx.lock_draw(&row.draw_id).await?;
        let draw = tx
            .draw(&row.draw_id)
            .await?
            .ok_or(InterruptionError::NoSuchDraw)?;
        let hold = tx.draw_hold(&draw.id).await?;
        if row.state != InterruptionState::Requested {
            return Err(InterruptionError::Conflict(
                "this request has already been decided".into(),
            ));
        }
        if decision.approve {
            // The draw may have moved since the request (an evaluation that closed meanwhile).
            fits_hold(row.kind, hold)?;
        }
        let state = if decision.approve {
            InterruptionState::Approved
        } else {
            InterruptionState::Refused
        };
        if !tx
            .decide_interruption(
                &row.id,
                state,
                &supervisor.account_id,
                now,
                &reason,
                decision.retender,
            )
            .await?
        {
            return Err(InterruptionError::Conflict(
                "this request has already been decided".into(),
            ));
        }
        let actor = Actor::of(supervisor);
        let mut published = None;
        let new_hold = if decision.approve {
            let mut entry = AuditEntry::new(applied_entry(row.kind), now, actor.clone())
                .reference("draw", &draw.id)
                .reference("interruption", &row.id)
                .data(
                    &self.keys.suite().digest_field("reason"),
                    self.keys.suite().hex_hash(reason.as_bytes()),
                );
            let interruption = row.id.clone();
            let (new_hold, event) = match row.kind {
                InterruptionKind::Suspend => {
                    self.tell_members(&mut tx, &draw, SUSPENDED_TEMPLATE, &row.id, now)
                        .await?;
                    (
                        Some(DrawHold::Suspended),
                        SessionEvent::Suspended { interruption },
                    )
                }
                InterruptionKind::Resume => {
                    // No expert's time to answer ran out while answers were refused.
                    let suspended_at = suspended_since(&mut tx, &draw.id).await?.unwrap_or(now);
                    let moved = tx
                        .extend_pending_invitations(&draw.id, (now - suspended_at).max(0))
                        .await?;
                    entry = entry
                        .data("suspended_millis", (now - suspended_at).max(0))
                        .data("invitations_extended", moved);
                    self.tell_members(&mut tx, &draw, RESUMED_TEMPLATE, &row.id, now)
                        .await?;
                    (None, SessionEvent::Resumed { interruption })
                }
                InterruptionKind::Postpone => {
                    postponable(&mut tx, &draw).await?;
                    let (start, minutes) = match (row.new_start, row.new_minutes) {
                        (Some(start), Some(minutes)) => (start, minutes),
                        _ => {
                            return Err(InterruptionError::Conflict(
                                "the postponement names no new start".into(),
                            ));
                        }
                    };
                    let (moved, asked) = self
                        .postpone(&mut tx, supervisor, &draw, start, minutes, now)
                        .await?;
                    let end = start + i64::from(minutes) * 60_000;
                    entry = entry
                        .data("from", to_rfc3339(draw.evaluation_start))
                        .data("to", to_rfc3339(start))
                        .data("minutes", minutes)
                        .data("bookings_moved", moved)
                        .data("experts_asked_again", asked);
                    (
                        hold,
                        SessionEvent::Postponed {
                            interruption,
                            evaluation_start: to_rfc3339(start),
                            ends_at: to_rfc3339(end),
                        },
                    )
                }
                InterruptionKind::Cancel => {
                    self.tell_members(&mut tx, &draw, CANCELLED_TEMPLATE, &row.id, now)
                        .await?;
                    entry = entry.data("retender", decision.retender);
                    let withdrawn = self.end_draw(&mut tx, supervisor, &draw, now).await?;
                    entry = entry.data("invitations_withdrawn", withdrawn);
                    if decision.retender {
                        tx.release_tender(&draw.id, RETENDER_VOID_REASON, now)
                            .await?;
                    }
                    (
                        Some(DrawHold::Cancelled),
                        SessionEvent::Cancelled {
                            interruption,
                            retender: decision.retender,
                        },
                    )
                }
            };
            if new_hold != hold {
                tx.set_draw_hold(&draw.id, new_hold).await?;
            }
            audit::append(&mut tx, &entry).await?;
            published = self
                .sessions
                .record_hold(&mut tx, &draw.id, event, now)
                .await?;
            new_hold
        } else {
            audit::append(
                &mut tx,
                &AuditEntry::new("draw.interruption_refused", now, actor)
                    .reference("draw", &draw.id)
                    .reference("interruption", &row.id)
                    .data("kind", row.kind.as_str())
                    .data(
                        &self.keys.suite().digest_field("reason"),
                        self.keys.suite().hex_hash(reason.as_bytes()),
                    ),
            )
            .await?;
            hold
        };
        let decided = tx
            .interruption(&row.id)
            .await?
            .ok_or(InterruptionError::NotFound)?;
        // Read again: a postponement moved its window.
        let draw = tx
            .draw(&draw.id)
            .await?
            .ok_or(InterruptionError::NoSuchDraw)?;
        let view = view_of(&mut tx, &decided, &draw, new_hold).await?;
        tx.commit().await?;
        if let Some(session_id) = published {
            self.sessions.published(&session_id).await;
        }
        Ok(view)
    }

    /// A draw's requests, oldest first: for its center, or a supervisor within its jurisdiction.
    pub(crate) async fn of_draw(
        &self,
        who: &Principal,
        draw_id: &str,
    ) -> Result<Vec<InterruptionView>, InterruptionError> {
        let mut tx = self.store.read().await?;
        let draw = visible_root_draw(&mut tx, who, draw_id).await?;
        let hold = tx.draw_hold(&draw.id).await?;
        let mut views = Vec::new();
        for row in tx.interruptions_of_draw(&draw.id).await? {
            views.push(view_of(&mut tx, &row, &draw, hold).await?);
        }
        tx.rollback().await?;
        Ok(views)
    }

    /// The requests in `state` (default: waiting) that a supervisor may decide, newest first.
    pub(crate) async fn for_supervisor(
        &self,
        supervisor: &Principal,
        state: Option<InterruptionState>,
    ) -> Result<Vec<InterruptionView>, InterruptionError> {
        let mut tx = self.store.read().await?;
        let rows = tx
            .interruptions_in_state(state.unwrap_or(InterruptionState::Requested), 200)
            .await?;
        let mut views = Vec::new();
        for row in rows {
            let Some(draw) = tx.draw(&row.draw_id).await? else {
                continue;
            };
            if !in_jurisdiction(&mut tx, supervisor, &draw).await? {
                continue;
            }
            let hold = tx.draw_hold(&draw.id).await?;
            views.push(view_of(&mut tx, &row, &draw, hold).await?);
        }
        tx.rollback().await?;
        Ok(views)
    }

    async fn in_scope(
        &self,
        tx: &mut Tx,
        supervisor: &Principal,
        interruption_id: &str,
    ) -> Result<Option<InterruptionRow>, InterruptionError> {
        if supervisor.role != Role::Supervisor || !is_draw_id(interruption_id) {
            return Ok(None);
        }
        let Some(row) = tx.interruption(interruption_id).await? else {
            return Ok(None);
        };
        let Some(draw) = tx.draw(&row.draw_id).await? else {
            return Ok(None);
        };
        // Out of the supervisor's jurisdiction reads as no such request.
        Ok(in_jurisdiction(tx, supervisor, &draw).await?.then_some(row))
    }

    /// A postponement's new start and length from the request, if it is one: later than the
    /// present start, at least the notice a new draw needs from now; a length of 30 minutes to
    /// a week (the present one if not given). Other requests name neither.
    fn new_schedule(
        &self,
        request: &NewInterruption,
        draw: &DrawRow,
        now: crate::clock::Millis,
    ) -> Result<Option<(i64, u32)>, InterruptionError> {
        if request.kind != InterruptionKind::Postpone {
            if request.evaluation_start.is_some() || request.evaluation_minutes.is_some() {
                return Err(invalid(
                    "evaluation_start",
                    "only a postponement names a new start",
                ));
            }
            return Ok(None);
        }
        let text = request
            .evaluation_start
            .as_deref()
            .ok_or_else(|| invalid("evaluation_start", "a postponement names the new start"))?;
        let start = chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                invalid(
                    "evaluation_start",
                    "must be an RFC 3339 time, e.g. 2026-12-10T09:00:00+08:00",
                )
            })?
            .timestamp_millis();
        if start <= draw.evaluation_start {
            return Err(invalid(
                "evaluation_start",
                format!(
                    "a postponement moves the start later than {}",
                    crate::clock::to_beijing_rfc3339(draw.evaluation_start)
                ),
            ));
        }
        let earliest = now + self.notice_minutes * 60_000;
        if start < earliest {
            return Err(invalid(
                "evaluation_start",
                format!(
                    "the new start must be at least {} minutes away (no earlier than {})",
                    self.notice_minutes,
                    crate::clock::to_beijing_rfc3339(earliest)
                ),
            ));
        }
        let minutes = request
            .evaluation_minutes
            .unwrap_or(draw.evaluation_minutes.max(0) as u32);
        if !(30..=7 * 24 * 60).contains(&minutes) {
            return Err(invalid(
                "evaluation_minutes",
                "must be from 30 to 10080 (one week)",
            ));
        }
        Ok(Some((start, minutes)))
    }

    /// Moves the evaluation to its new window: the family's draws, the workstations the draw
    /// and its session hold (released and held again for the new window, which a full venue
    /// refuses, naming the conflict; another center's room asks its consent again), and every
    /// seated expert, who is asked to answer again. Returns (bookings moved, experts asked).
    async fn postpone(
        &self,
        tx: &mut Tx,
        supervisor: &Principal,
        draw: &DrawRow,
        start: i64,
        minutes: i32,
        now: crate::clock::Millis,
    ) -> Result<(usize, usize), InterruptionError> {
        tx.reschedule_family(&draw.id, start, minutes).await?;
        let moved_draw = tx
            .draw(&draw.id)
            .await?
            .ok_or(InterruptionError::NoSuchDraw)?;
        let window = Window::new(start, start + i64::from(minutes) * 60_000)
            .ok_or_else(|| invalid("evaluation_minutes", "must be positive"))?;
        let center = center_principal(tx, &draw.center_id).await?;
        let mut moved = 0;
        let mut holders = vec![Holder::draw(&draw.id)];
        if let Some(session_id) = tx.session_of_draw(&draw.id).await? {
            holders.push(Holder::session(&session_id));
        }
        for holder in holders {
            moved += move_bookings(tx, supervisor, &center, &holder, window, now).await?;
        }
        let mut seats = Vec::new();
        for (seat_draw, token, expert_id) in self.seated_experts(tx, draw).await? {
            let token = DrawToken::from_slice(&token).ok_or_else(|| {
                InterruptionError::Notify("a seat without a 32-byte token".into())
            })?;
            seats.push((seat_draw, token, expert_id));
        }
        let asked = crate::notify::invitations::reinvite_all(
            tx,
            &self.keys,
            &self.rng,
            &self.invitations,
            now,
            &moved_draw,
            &seats,
        )
        .await
        .map_err(|error| InterruptionError::Notify(error.to_string()))?;
        Ok((moved, asked))
    }

    /// A cancelled evaluation's loose ends: the venues' workstations its draw and session held
    /// are given back, and the experts' open invitations are withdrawn. How many invitations.
    async fn end_draw(
        &self,
        tx: &mut Tx,
        supervisor: &Principal,
        draw: &DrawRow,
        now: crate::clock::Millis,
    ) -> Result<usize, InterruptionError> {
        let actor = Actor::of(supervisor);
        bookings::release(
            tx,
            actor.clone(),
            &Holder::draw(&draw.id),
            BookingState::Cancelled,
            now,
        )
        .await?;
        if let Some(session_id) = tx.session_of_draw(&draw.id).await? {
            bookings::release(
                tx,
                actor,
                &Holder::session(&session_id),
                BookingState::Cancelled,
                now,
            )
            .await?;
        }
        let mut withdrawn = 0;
        for (seat_draw, token, state, _) in tx.family_seats(&draw.id).await? {
            if state == CandidateState::Seated {
                tx.withdraw_invitation(&seat_draw, &token, now).await?;
                withdrawn += 1;
            }
        }
        Ok(withdrawn)
    }

    /// Every seat of the draw's family an expert holds, invited or confirmed: (draw, token,
    /// the expert opened from the seat's sealed value).
    async fn seated_experts(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
    ) -> Result<Vec<(String, Vec<u8>, String)>, InterruptionError> {
        let mut seated = Vec::new();
        for (seat_draw, token, state, _) in tx.family_seats(&draw.id).await? {
            if !matches!(state, CandidateState::Seated | CandidateState::Confirmed) {
                continue;
            }
            let Some(seat) = tx.draw_seat(&seat_draw, &token).await? else {
                continue;
            };
            let expert_id = self
                .draws
                .open_seat_expert(&seat_draw, &seat)
                .map_err(|_| InterruptionError::Sealing)?;
            seated.push((seat_draw, token, expert_id));
        }
        Ok(seated)
    }

    /// Queues `template` for every expert holding a seat of the draw's family (invited or
    /// confirmed); the notice names the tender, which their invitation already did.
    async fn tell_members(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
        template: &'static str,
        interruption_id: &str,
        now: crate::clock::Millis,
    ) -> Result<(), InterruptionError> {
        for (_, _, expert_id) in self.seated_experts(tx, draw).await? {
            let notice = NewNotification {
                expert_id,
                template,
                params: TemplateParams::new()
                    .with("tender_reference", draw.tender_reference.as_str())
                    .with(
                        "evaluation_start",
                        to_rfc3339(draw.evaluation_start).as_str(),
                    ),
                subject_kind: "interruption",
                subject_id: interruption_id.to_owned(),
            };
            outbox::enqueue(tx, &self.keys, &self.rng, now, &notice)
                .await
                .map_err(|error| match error {
                    crate::notify::NotifyError::Store(e) => InterruptionError::Store(e),
                    crate::notify::NotifyError::Audit(e) => InterruptionError::Audit(e),
                    crate::notify::NotifyError::Randomness => InterruptionError::Randomness,
                    other => InterruptionError::Notify(other.to_string()),
                })?;
        }
        Ok(())
    }
}

fn checked_reason(text: &str) -> Result<String, InterruptionError> {
    BoundedText::parse(text, Lines::Many, REASON_CHARS)
        .map(BoundedText::into_string)
        .map_err(|problem| invalid("reason", problem))
}

/// Whether `kind` can be asked (or applied) with the draw's hold as it is.
fn fits_hold(kind: InterruptionKind, hold: Option<DrawHold>) -> Result<(), InterruptionError> {
    let problem = match (kind, hold) {
        (_, Some(DrawHold::Cancelled)) => "the evaluation is cancelled: that is final",
        (InterruptionKind::Suspend, Some(DrawHold::Suspended)) => {
            "the evaluation is already suspended"
        }
        (InterruptionKind::Resume, None) => "the evaluation is not suspended",
        _ => return Ok(()),
    };
    Err(InterruptionError::Conflict(problem.into()))
}

/// The center's own root draw (a linked draw is part of its root's evaluation).
async fn own_root_draw(
    tx: &mut Tx,
    center: &Principal,
    draw_id: &str,
) -> Result<DrawRow, InterruptionError> {
    let draw = visible_root_draw(tx, center, draw_id).await?;
    if center.role != Role::Center {
        return Err(InterruptionError::NoSuchDraw);
    }
    Ok(draw)
}

/// A root draw the caller may see: its center's, or within a supervisor's jurisdiction.
async fn visible_root_draw(
    tx: &mut Tx,
    who: &Principal,
    draw_id: &str,
) -> Result<DrawRow, InterruptionError> {
    if !is_draw_id(draw_id) {
        return Err(InterruptionError::NoSuchDraw);
    }
    let draw = tx
        .draw(draw_id)
        .await?
        .ok_or(InterruptionError::NoSuchDraw)?;
    let visible = match who.role {
        Role::Center => draw.center_id == who.account_id,
        Role::Supervisor => in_jurisdiction(tx, who, &draw).await?,
        _ => false,
    };
    if !visible {
        return Err(InterruptionError::NoSuchDraw);
    }
    if draw.parent_draw_id.is_some() {
        return Err(invalid(
            "draw_id",
            "name the draw the center asked for; its linked draws are part of it",
        ));
    }
    Ok(draw)
}

/// Whether the evaluation is over: its session closed.
async fn evaluation_closed(tx: &mut Tx, draw: &DrawRow) -> Result<bool, StoreError> {
    let Some(session_id) = tx.session_of_draw(&draw.id).await? else {
        return Ok(false);
    };
    Ok(tx
        .session(&session_id)
        .await?
        .is_some_and(|session| session.phase == Phase::Closed))
}

/// When the draw's current suspension was approved.
async fn suspended_since(
    tx: &mut Tx,
    root_id: &str,
) -> Result<Option<crate::clock::Millis>, StoreError> {
    Ok(tx
        .interruptions_of_draw(root_id)
        .await?
        .iter()
        .rev()
        .find(|row| {
            row.kind == InterruptionKind::Suspend && row.state == InterruptionState::Approved
        })
        .and_then(|row| row.decided_at))
}

async fn view_of(
    tx: &mut Tx,
    row: &InterruptionRow,
    draw: &DrawRow,
    hold: Option<DrawHold>,
) -> Result<InterruptionView, StoreError> {
    let requested_by = name_of(tx, &row.requested_by).await?;
    let decided_by = match &row.decided_by {
        Some(account) => Some(name_of(tx, account).await?),
        None => None,
    };
    Ok(InterruptionView {
        interruption_id: row.id.clone(),
        draw_id: row.draw_id.clone(),
        tender_reference: draw.tender_reference.clone(),
        tender_name: draw.tender_name.clone(),
        kind: row.kind,
        state: row.state,
        reason: row.reason.clone(),
        requested_by,
        requested_at: to_rfc3339(row.requested_at),
        decided_by,
        decided_at: row.decided_at.map(to_rfc3339),
        decision_reason: row.decision_reason.clone(),
        retender: row.retender,
        evaluation_start: row.new_start.map(to_rfc3339),
        evaluation_minutes: row.new_minutes.map(|m| m.max(0) as u32),
        hold,
    })
}

/// How people read an account: a center's name, a supervisor's display name, else its username.
async fn name_of(tx: &mut Tx, account_id: &str) -> Result<String, StoreError> {
    Ok(tx
        .account_by_id(account_id)
        .await?
        .map(|a| a.center_name.or(a.display_name).unwrap_or(a.username))
        .unwrap_or_default())
}

/// The audit entry an approval of `kind` writes.
fn applied_entry(kind: InterruptionKind) -> &'static str {
    match kind {
        InterruptionKind::Suspend => "draw.suspended",
        InterruptionKind::Resume => "draw.resumed",
        InterruptionKind::Postpone => "draw.postponed",
        InterruptionKind::Cancel => "draw.cancelled",
    }
}

/// A postponement moves an evaluation that has not begun: its session, if it has one, still
/// scheduled (once check-in has opened, suspend it instead).
async fn postponable(tx: &mut Tx, draw: &DrawRow) -> Result<(), InterruptionError> {
    let Some(session_id) = tx.session_of_draw(&draw.id).await? else {
        return Ok(());
    };
    let started = tx
        .session(&session_id)
        .await?
        .is_some_and(|session| session.phase != Phase::Scheduled);
    if started {
        return Err(InterruptionError::Conflict(
            "the evaluation session has begun: it can be suspended, not postponed".into(),
        ));
    }
    Ok(())
}

/// The draw's center as the one booking venues: the main venue must be its own.
async fn center_principal(tx: &mut Tx, account_id: &str) -> Result<Principal, InterruptionError> {
    let account = tx
        .account_by_id(account_id)
        .await?
        .ok_or(InterruptionError::NoSuchDraw)?;
    Ok(Principal {
        account_id: account.id,
        username: account.username,
        role: Role::Center,
        center_name: account.center_name,
        region_code: account.region_code,
        method: crate::auth::AuthMethod::BearerToken,
        token_digest: None,
    })
}

/// Moves the workstations `holder` holds to `window`: the same rooms and counts, released for
/// the old window and held for the new one. How many bookings moved.
async fn move_bookings(
    tx: &mut Tx,
    supervisor: &Principal,
    center: &Principal,
    holder: &Holder,
    window: Window,
    now: crate::clock::Millis,
) -> Result<usize, InterruptionError> {
    let held: Vec<_> = tx
        .bookings_of_holder(holder.kind, &holder.id)
        .await?
        .into_iter()
        .filter(|booking| booking.state == BookingState::Held)
        .collect();
    if held.is_empty() {
        return Ok(0);
    }
    let claims: Vec<Claim> = held
        .iter()
        // The same rooms the creation checked (the main venue the center's own, every room
        // open and remote-capable then): held again as they are, so neither rule is asked
        // again, while a room full or closed in the new window still refuses.
        .map(|booking| Claim {
            venue_id: booking.venue_id.clone(),
            workstations: booking.workstations.max(0) as u32,
            main: false,
            remote: false,
            venue_field: "evaluation_start".into(),
            count_field: "evaluation_start".into(),
        })
        .collect();
    bookings::release(
        tx,
        Actor::of(supervisor),
        holder,
        BookingState::Cancelled,
        now,
    )
    .await?;
    bookings::hold(tx, center, holder, window, &claims, now).await?;
    Ok(held.len())
}
