//! The notification outbox (`notify`): rows written inside other actions' transactions, claimed
//! by delivery workers with a lease, and closed as delivered or failed.

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;

/// A row to insert; the recipient and the parameters are already sealed.
pub(crate) struct NewOutboxRow<'a> {
    pub id: &'a str,
    pub(crate) sealed_recipient: &'a [u8],
    pub template: &'a str,
    pub(crate) sealed_params: &'a [u8],
    pub subject_kind: &'a str,
    pub subject_id: &'a str,
    pub(crate) now: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub(crate) sealed_recipient: Vec<u8>,
    pub template: String,
    pub(crate) sealed_params: Vec<u8>,
    pub subject_kind: String,
    pub subject_id: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

const COLUMNS: &str = "id, sealed_recipient, template, sealed_params, subject_kind, subject_id, \
     state, attempts, next_attempt_at, lease_until, last_error, created_at, delivered_at";

/// `VALUES` for `rows` new rows: eight bound columns each, then `'pending', 0`.
fn pending_values(rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let columns: Vec<String> = (1..=8).map(|c| format!("${}", row * 8 + c)).collect();
            format!("({}, 'pending', 0)", columns.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pending, due, and not held by a live claim.
const DUE: &str = "state = 'pending' AND next_attempt_at <= $1 \
     AND (lease_until IS NULL OR lease_until <= $1)";

impl Tx {
    /// Inserts pending rows in one statement per 50.
    pub(crate) async fn insert_outbox(
        &mut self,
        rows: &[NewOutboxRow<'_>],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(50) {
            let sql = format!(
                "INSERT INTO outbox (id, sealed_recipient, template, sealed_params, subject_kind, \
                 subject_id, next_attempt_at, created_at, state, attempts) VALUES {}",
                pending_values(chunk.len())
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql);
                for row in chunk {
                    query = query
                        .bind(row.id)
                        .bind(row.sealed_recipient)
                        .bind(row.template)
                        .bind(row.sealed_params)
                        .bind(row.subject_kind)
                        .bind(row.subject_id)
                        .bind(row.now)
                        .bind(row.now);
                }
                query
                    .execute(conn)
                    .await
                    .map_err(super::conflict_as("outbox id"))
                    .map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// The first `limit` rows due at `now`, oldest first (candidates to claim; not yet claimed).
    pub(crate) async fn due_outbox(
        &mut self,
        now: Millis,
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $2"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await)?)
    }

    /// Claims `seen.id` until `lease_until` and counts the attempt, only if it is still due and
    /// unchanged since it was read as `seen` (same attempts, same lease). Returns whether this
    /// caller won.
    pub(crate) async fn claim_outbox(
        &mut self,
        seen: &OutboxRow,
        now: Millis,
        lease_until: Millis,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE outbox SET attempts = attempts + 1, lease_until = $2 \
             WHERE id = $3 AND attempts = $4 AND COALESCE(lease_until, -1) = $5 AND {DUE}"
        );
        let changed = on_conn!(self, conn => sqlx::query(&sql)
            .bind(now)
            .bind(lease_until)
            .bind(&seen.id)
            .bind(seen.attempts)
            .bind(seen.lease_until.unwrap_or(-1))
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Closes attempt `attempt` as accepted by the gateway. False if the claim was lost.
    pub(crate) async fn mark_outbox_delivered(
        &mut self,
        id: &str,
        attempt: i32,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE outbox SET state = 'delivered', delivered_at = $1, lease_until = NULL, \
             last_error = NULL WHERE id = $2 AND attempts = $3 AND state = 'pending'")
            .bind(now)
            .bind(id)
            .bind(attempt)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Closes attempt `attempt` as failed: retried at `next_attempt_at`, or, when that is
    /// `None`, given up (`failed`). False if the claim was lost.
    pub(crate) async fn mark_outbox_attempt_failed(
        &mut self,
        id: &str,
        attempt: i32,
        reason: &str,
        next_attempt_at: Option<Millis>,
    ) -> Result<bool, StoreError> {
        let changed = match next_attempt_at {
            Some(at) => on_conn!(self, conn => sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_error = $2 \
                 WHERE id = $3 AND attempts = $4 AND state = 'pending'")
                .bind(at)
                .bind(reason)
                .bind(id)
                .bind(attempt)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?,
            None => on_conn!(self, conn => sqlx::query(
                "UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1 \
                 WHERE id = $2 AND attempts = $3 AND state = 'pending'")
                .bind(reason)
                .bind(id)
                .bind(attempt)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?,
        };
        Ok(changed == 1)
    }

    /// How many notifications are not yet delivered or given up (due, claimed, or waiting for
    /// a retry), and when the oldest of them was queued.
    pub(crate) async fn outbox_backlog(&mut self) -> Result<(i64, Option<Millis>), StoreError> {
        let backlog = on_conn!(self, conn => sqlx::query_as::<_, (i64, Option<i64>)>(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'")
            .fetch_one(conn)
            .await)?;
        Ok(backlog)
    }

    pub async fn outbox_row(&mut self, id: &str) -> Result<Option<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }
}
