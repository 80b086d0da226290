//! What an expert's credit file reads besides their ratings and appeals: penalties, the
//! invitations they declined or let lapse, the seats they left, and credit repairs.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;

/// One penalty of an expert (a low credit score's suspension, or another reason code).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PenaltyRow {
    pub(crate) id: String,
    pub(crate) reason_code: String,
    pub(crate) imposed_at: i64,
    pub(crate) until_at: Option<i64>,
}

/// One invitation that counted against its expert: declined, lapsed unanswered, or accepted
/// and then left (the seat vacated as `withdrew`, its invitation withdrawn with it). The id is
/// the invitation's; nothing names the draw.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AttendanceEventRow {
    pub(crate) invitation_id: String,
    /// `declined`, `expired` or `withdrew`.
    pub(crate) what: String,
    pub(crate) happened_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CreditRepairRow {
    pub(crate) id: String,
    pub(crate) expert_id: String,
    pub(crate) item: String,
    pub(crate) statement: String,
    pub(crate) evidence_ref: Option<String>,
    pub(crate) status: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: i64,
    pub(crate) decided_by: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) decided_at: Option<i64>,
}

const REPAIR_COLUMNS: &str = "id, expert_id, item, statement, evidence_ref, status, requested_by, \
     requested_at, decided_by, decision_reason, decided_at";

impl Tx {
    /// Every penalty of an expert, oldest first.
    pub(crate) async fn penalties_of_expert(
        &mut self,
        expert_id: &str,
    ) -> Result<Vec<PenaltyRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, PenaltyRow>(
            "SELECT id, reason_code, imposed_at, until_at FROM expert_penalties \
             WHERE expert_id = $1 ORDER BY imposed_at, id")
            .bind(expert_id)
            .fetch_all(conn)
            .await)?)
    }

    /// The declines, lapses and departures of the expert whose invitations carry `expert_tag`,
    /// oldest first: the events the `declines` and `no_shows` counters count. A recusal (a
    /// decline for a conflict of interest) is what the rules ask, and counts nowhere.
    pub(crate) async fn attendance_events(
        &mut self,
        expert_tag: &[u8],
    ) -> Result<Vec<AttendanceEventRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AttendanceEventRow>(
            "SELECT id AS invitation_id, state AS what, COALESCE(answered_at, deadline) AS happened_at \
             FROM invitations WHERE expert_tag = $1 AND (state = 'expired' OR (state = 'declined' \
               AND COALESCE(decline_reason, '') <> 'conflict_of_interest')) \
             UNION ALL \
             SELECT i.id AS invitation_id, 'withdrew' AS what, c.replaced_at AS happened_at \
             FROM invitations i JOIN draw_candidates c \
               ON c.draw_id = i.draw_id AND c.token = i.token \
             WHERE i.expert_tag = $1 AND c.state = 'replaced' \
               AND c.replaced_reason = 'withdrew' AND c.replaced_at IS NOT NULL \
             ORDER BY happened_at, invitation_id")
            .bind(expert_tag)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Takes a rating out of the credit score from `now` on, for a granted repair.
    pub(crate) async fn repair_conduct(
        &mut self,
        conduct_id: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE expert_conduct SET repaired_at = $2 WHERE id = $1 AND repaired_at IS NULL")
            .bind(conduct_id)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// When each of an expert's repaired ratings was repaired.
    pub(crate) async fn repaired_conduct(
        &mut self,
        expert_id: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT id, repaired_at FROM expert_conduct \
             WHERE expert_id = $1 AND id IS NOT NULL AND repaired_at IS NOT NULL")
            .bind(expert_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Files a repair request; a second open one for the same item is a conflict.
    pub(crate) async fn insert_credit_repair(
        &mut self,
        row: &CreditRepairRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO credit_repairs (id, expert_id, item, statement, evidence_ref, status, \
             requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&row.id)
            .bind(&row.expert_id)
            .bind(&row.item)
            .bind(&row.statement)
            .bind(&row.evidence_ref)
            .bind(&row.status)
            .bind(&row.requested_by)
            .bind(row.requested_at)
            .execute(conn)
            .await
            .map(drop))
        .map_err(conflict_as("credit repair item"))?;
        Ok(())
    }

    pub(crate) async fn credit_repair(
        &mut self,
        id: &str,
    ) -> Result<Option<CreditRepairRow>, StoreError> {
        let sql = format!("SELECT {REPAIR_COLUMNS} FROM credit_repairs WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CreditRepairRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Repair requests of one expert, or (expert `None`) of everyone with `status` (any
    /// status when `None`), oldest first.
    pub(crate) async fn credit_repairs(
        &mut self,
        expert_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<CreditRepairRow>, StoreError> {
        let sql = format!(
            "SELECT {REPAIR_COLUMNS} FROM credit_repairs \
             WHERE (CAST($1 AS TEXT) IS NULL OR expert_id = $1) \
               AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
             ORDER BY requested_at, id"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CreditRepairRow>(&sql)
            .bind(expert_id)
            .bind(status)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Settles a pending repair request; false when it was no longer pending.
    pub(crate) async fn decide_credit_repair(
        &mut self,
        id: &str,
        status: &str,
        decided_by: &str,
        reason: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE credit_repairs SET status = $2, decided_by = $3, decision_reason = $4, \
             decided_at = $5 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status)
            .bind(decided_by)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }
}
