//! Requests to suspend, resume or cancel a tender's evaluation (issue 16 §4), and the hold
//! they put on its root draw.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;
use crate::draw::{DrawHold, InterruptionKind, InterruptionState};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct InterruptionRow {
    pub(crate) id: String,
    pub(crate) draw_id: String,
    pub(crate) kind: InterruptionKind,
    pub(crate) state: InterruptionState,
    pub(crate) reason: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: i64,
    pub(crate) decided_by: Option<String>,
    pub(crate) decided_at: Option<i64>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) retender: bool,
    /// A postponement's new start and length.
    pub(crate) new_start: Option<i64>,
    pub(crate) new_minutes: Option<i32>,
}

const COLUMNS: &str = "id, draw_id, kind, state, reason, requested_by, requested_at, \
     decided_by, decided_at, decision_reason, retender, new_start, new_minutes";

impl Tx {
    /// A new request; a second open request for the same draw is a conflict.
    pub(crate) async fn insert_interruption(
        &mut self,
        row: &InterruptionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_interruptions (id, draw_id, kind, state, reason, requested_by, \
             requested_at, retender, new_start, new_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&row.id)
            .bind(&row.draw_id)
            .bind(row.kind)
            .bind(row.state)
            .bind(&row.reason)
            .bind(&row.requested_by)
            .bind(row.requested_at)
            .bind(row.retender)
            .bind(row.new_start)
            .bind(row.new_minutes)
            .execute(conn)
            .await
            .map(drop))
        .map_err(conflict_as("interruption"))?;
        Ok(())
    }

    pub(crate) async fn interruption(
        &mut self,
        id: &str,
    ) -> Result<Option<InterruptionRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM draw_interruptions WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InterruptionRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// A draw's requests, oldest first.
    pub(crate) async fn interruptions_of_draw(
        &mut self,
        draw_id: &str,
    ) -> Result<Vec<InterruptionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM draw_interruptions WHERE draw_id = $1 \
             ORDER BY requested_at, id"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InterruptionRow>(&sql)
            .bind(draw_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Requests in `state`, newest first, at most `limit`.
    pub(crate) async fn interruptions_in_state(
        &mut self,
        state: InterruptionState,
        limit: i64,
    ) -> Result<Vec<InterruptionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM draw_interruptions WHERE state = $1 \
             ORDER BY requested_at DESC, id DESC LIMIT $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, InterruptionRow>(&sql)
            .bind(state)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Decides an open request: false when it was no longer open (decided by someone else).
    pub(crate) async fn decide_interruption(
        &mut self,
        id: &str,
        state: InterruptionState,
        decided_by: &str,
        decided_at: Millis,
        reason: &str,
        retender: bool,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_interruptions SET state = $2, decided_by = $3, decided_at = $4, \
             decision_reason = $5, retender = $6 WHERE id = $1 AND state = 'requested'")
            .bind(id)
            .bind(state)
            .bind(decided_by)
            .bind(decided_at)
            .bind(reason)
            .bind(retender)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// The hold on a root draw, if any.
    pub(crate) async fn draw_hold(
        &mut self,
        root_id: &str,
    ) -> Result<Option<DrawHold>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_scalar::<_, Option<DrawHold>>(
            "SELECT hold FROM draws WHERE id = $1")
            .bind(root_id)
            .fetch_optional(conn)
            .await)?
            .flatten(),
        )
    }

    pub(crate) async fn set_draw_hold(
        &mut self,
        root_id: &str,
        hold: Option<DrawHold>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE draws SET hold = $2 WHERE id = $1")
            .bind(root_id)
            .bind(hold)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Frees a cancelled root draw's tender for one new root draw (a re-tender): the draw is
    /// marked void with `reason`, whether or not it executed, so the one-root-per-tender index
    /// no longer counts it.
    pub(crate) async fn release_tender(
        &mut self,
        root_id: &str,
        reason: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE draws SET void_reason = $2, voided_at = $3 \
             WHERE id = $1 AND parent_draw_id IS NULL AND voided_at IS NULL")
            .bind(root_id)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Moves a root draw's family (the root and its linked draws) to a new evaluation window.
    pub(crate) async fn reschedule_family(
        &mut self,
        root_id: &str,
        start: Millis,
        minutes: i32,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE draws SET evaluation_start = $2, evaluation_minutes = $3 \
             WHERE id = $1 OR parent_draw_id = $1")
            .bind(root_id)
            .bind(start)
            .bind(minutes)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// A confirmed member answers again (a postponement): their seat goes back to seated.
    pub(crate) async fn unconfirm_seat(
        &mut self,
        draw_id: &str,
        token: &[u8],
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE draw_candidates SET state = 'seated' \
             WHERE draw_id = $1 AND token = $2 AND state = 'confirmed'")
            .bind(draw_id)
            .bind(token)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Opens a seat's invitation again with a new one-time code and deadline, its earlier
    /// answer (and join code) cleared: the expert answers anew. False if the seat has no
    /// invitation that was pending or accepted.
    pub(crate) async fn reopen_invitation(
        &mut self,
        draw_id: &str,
        token: &[u8],
        code_index: &[u8],
        deadline: Millis,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "UPDATE invitations SET state = 'pending', code_index = $3, deadline = $4, \
             answered_at = NULL, channel = NULL, decline_reason = NULL, \
             sealed_relationship = NULL, sealed_join_code = NULL \
             WHERE draw_id = $1 AND token = $2 AND state IN ('pending', 'accepted') \
             RETURNING id")
            .bind(draw_id)
            .bind(token)
            .bind(code_index)
            .bind(deadline)
            .fetch_optional(conn)
            .await)?)
    }
}
