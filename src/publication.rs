//! Publication of a committee list (公示): the draw's center asks, a supervisor approves, and
//! only then, and only once the evaluation has closed, are the confirmed members' names
//! released (招标投标法 §37: the list is confidential until the result is decided). Every step
//! and every read of the list is logged.

use std::sync::Arc;

use serde::Serialize;

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::deps::Deps;
use crate::draw::service::in_jurisdiction;
use crate::draw::service::{DrawService, DrawServiceError, committee_complete};
use crate::draw::{CandidateState, DrawToken};
use crate::pool::PoolService;
use crate::session::rules::Phase;
use crate::store::draws::DrawRow;
use crate::store::invitations::PublicationRow;
use crate::store::{Store, StoreError, Tx};
use crate::text::{BoundedText, Lines};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PublicationError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("no such draw")]
    NoSuchDraw,
    #[error("the committee is not complete: every seat must be confirmed first")]
    Incomplete,
    #[error("publication of this draw's committee has not been approved")]
    NotPublished,
    #[error("the publication has already been approved")]
    AlreadyApproved,
    /// The committee list stays confidential until the evaluation's result is decided; the
    /// text says when publication becomes possible.
    #[error(
        "the committee list stays confidential until the evaluation has closed (招标投标法 §37); {0}"
    )]
    EvaluationNotClosed(String),
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("stored publication is inconsistent: {0}")]
    Corrupt(String),
}

fn corrupt(what: impl std::fmt::Display) -> PublicationError {
    PublicationError::Corrupt(what.to_string())
}

/// A confirmed member as the published committee list names them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CommitteeMember {
    pub stratum: usize,
    pub token: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct PublicationView {
    pub draw_id: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: String,
    pub(crate) reason: String,
    pub(crate) approved_by: Option<String>,
    pub(crate) approved_at: Option<String>,
}

pub(crate) struct PublicationService {
    store: Store,
    clock: SharedClock,
    draws: Arc<DrawService>,
}

impl PublicationService {
    pub(crate) fn new(deps: &Deps, draws: Arc<DrawService>) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            draws,
        }
    }

    /// The owning center asks to publish the committee list (for the result announcement).
    pub(crate) async fn request_publication(
        &self,
        center: &Principal,
        draw_id: &str,
        reason: &str,
    ) -> Result<PublicationView, PublicationError> {
        let reason = BoundedText::parse(reason, Lines::One, 10..=500).map_err(|problem| {
            PublicationError::Invalid {
                field: "reason",
                problem: problem.into(),
            }
        })?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_draw(draw_id).await?;
        let draw = tx
            .draw(draw_id)
            .await?
            .filter(|d| d.center_id == center.account_id)
            .ok_or(PublicationError::NoSuchDraw)?;
        if draw.parent_draw_id.is_some() {
            return Err(PublicationError::Invalid {
                field: "draw_id",
                problem: "publish the draw the center asked for; its linked draws are part of it"
                    .into(),
            });
        }
        if !committee_complete(&mut tx, &draw).await? {
            return Err(PublicationError::Incomplete);
        }
        evaluation_closed(&mut tx, &draw, now).await?;
        tx.request_publication(draw_id, &center.account_id, reason.as_str(), now)
            .await?;
        let entry = AuditEntry::new("draw.publication_requested", now, Actor::of(center))
            .reference("draw", draw_id)
            .data("reason", reason.as_str());
        audit::append(&mut tx, &entry).await?;
        commit_with_view(tx, draw_id).await
    }

    /// Publication requests for supervisors to decide, within `who`'s jurisdiction: pending
    /// ones first.
    pub(crate) async fn list(
        &self,
        who: &Principal,
    ) -> Result<Vec<PublicationView>, PublicationError> {
        let mut tx = self.store.read().await?;
        let rows = tx.publications(200).await?;
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let mut mine = Vec::with_capacity(rows.len());
        for row in rows {
            // Publications are of root draws, whose own jurisdiction places them.
            if scope.covers_draw(&mut tx, &row.draw_id).await? {
                mine.push(publication_view(row));
            }
        }
        tx.rollback().await?;
        Ok(mine)
    }

    /// A supervisor approves the publication.
    pub(crate) async fn approve_publication(
        &self,
        supervisor: &Principal,
        draw_id: &str,
    ) -> Result<PublicationView, PublicationError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        tx.lock_draw(draw_id).await?;
        // Out of the supervisor's jurisdiction reads as no such draw.
        let draw = match tx.draw(draw_id).await? {
            Some(draw) if in_jurisdiction(&mut tx, supervisor, &draw).await? => draw,
            _ => return Err(PublicationError::NoSuchDraw),
        };
        let row = tx
            .publication(draw_id)
            .await?
            .ok_or(PublicationError::NotPublished)?;
        evaluation_closed(&mut tx, &draw, now).await?;
        if !tx
            .approve_publication(draw_id, &supervisor.account_id, now)
            .await?
        {
            return Err(PublicationError::AlreadyApproved);
        }
        let entry = AuditEntry::new("draw.publication_approved", now, Actor::of(supervisor))
            .reference("draw", draw_id)
            .data("requested_by", &row.requested_by);
        audit::append(&mut tx, &entry).await?;
        commit_with_view(tx, draw_id).await
    }

    /// The published committee: confirmed members' names, after approval only; each read is
    /// logged.
    pub(crate) async fn committee(
        &self,
        pool: &PoolService,
        who: &Principal,
        draw_id: &str,
    ) -> Result<Vec<CommitteeMember>, PublicationError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let draw = tx
            .draw(draw_id)
            .await?
            .filter(|d| who.role == Role::Supervisor || d.center_id == who.account_id)
            .ok_or(PublicationError::NoSuchDraw)?;
        if !in_jurisdiction(&mut tx, who, &draw).await? {
            return Err(PublicationError::NoSuchDraw);
        }
        let approved = tx
            .publication(&draw.id)
            .await?
            .is_some_and(|p| p.approved_by.is_some());
        if !approved {
            return Err(PublicationError::NotPublished);
        }
        // Approvals given before publication waited for the evaluation do not release it early.
        evaluation_closed(&mut tx, &draw, now).await?;
        let mut members = Vec::new();
        // The root's seats, then each linked draw's, which fill seats of the root's strata.
        let mut family = vec![(draw.id.clone(), None)];
        for linked in tx.linked_draw_ids(&draw.id).await? {
            let stratum = tx.draw(&linked).await?.and_then(|d| d.parent_stratum);
            family.push((linked, stratum));
        }
        let mut seats = Vec::new();
        for (member, stratum) in &family {
            for seat in tx.draw_seats(member).await? {
                seats.push((member.clone(), stratum.unwrap_or(seat.stratum), seat));
            }
        }
        for (member, stratum, seat) in seats {
            if seat.state != CandidateState::Confirmed {
                continue;
            }
            let token = seat_token(&seat.token)?;
            let expert_id = self.draws.open_seat_expert(&member, &seat)?;
            let fields = pool
                .open_fields(&mut tx, &expert_id, &["name"])
                .await
                .map_err(corrupt)?
                .ok_or_else(|| corrupt("a committee member is not in the pool"))?;
            members.push(CommitteeMember {
                stratum: stratum as usize,
                token: token.to_hex(),
                name: fields.get("name").cloned().unwrap_or_default(),
            });
        }
        let entry = AuditEntry::new("draw.committee_read", now, Actor::of(who))
            .reference("draw", draw_id)
            .data("members", members.len());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(members)
    }
}

/// Refuses to release the committee list before the result is decided (招标投标法 §37: the
/// list is confidential until then): once the draw's evaluation session has closed, or — for a
/// draw evaluated without a session, such as on site, whose result sealdraw does not record —
/// once its evaluation window has ended.
async fn evaluation_closed(
    tx: &mut Tx,
    draw: &DrawRow,
    now: Millis,
) -> Result<(), PublicationError> {
    let Some(session_id) = tx.session_of_draw(&draw.id).await? else {
        let end = draw.evaluation_end();
        if now >= end {
            return Ok(());
        }
        return Err(PublicationError::EvaluationNotClosed(format!(
            "publication becomes possible at the end of the evaluation window, {}",
            to_rfc3339(end)
        )));
    };
    let session = tx
        .session(&session_id)
        .await?
        .ok_or_else(|| corrupt("a draw's session vanished"))?;
    if session.phase == Phase::Closed {
        return Ok(());
    }
    Err(PublicationError::EvaluationNotClosed(format!(
        "publication becomes possible once evaluation session {session_id} has closed (it is now \
         in phase {})",
        session.phase
    )))
}

/// Commits an act on a draw's publication and answers with the publication as it now stands.
async fn commit_with_view(mut tx: Tx, draw_id: &str) -> Result<PublicationView, PublicationError> {
    let row = tx
        .publication(draw_id)
        .await?
        .ok_or_else(|| corrupt("publication vanished"))?;
    tx.commit().await?;
    Ok(publication_view(row))
}

fn publication_view(row: PublicationRow) -> PublicationView {
    PublicationView {
        draw_id: row.draw_id,
        requested_by: row.requested_by,
        requested_at: to_rfc3339(row.requested_at),
        reason: row.reason,
        approved_by: row.approved_by,
        approved_at: row.approved_at.map(to_rfc3339),
    }
}

fn seat_token(bytes: &[u8]) -> Result<DrawToken, PublicationError> {
    DrawToken::from_slice(bytes).ok_or_else(|| corrupt("a stored token is not 32 bytes"))
}
