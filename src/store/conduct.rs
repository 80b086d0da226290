//! Conduct ratings as the credit score reads them, on-site evaluations' ratings, and appeals.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;

/// One rating as the expert it concerns sees it (no session, draw or rater named).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ConductRow {
    pub(crate) id: String,
    pub(crate) expert_id: String,
    pub(crate) points: i64,
    pub(crate) rater_role: Option<String>,
    pub(crate) punctuality: Option<i32>,
    pub(crate) diligence: Option<i32>,
    pub(crate) discipline: Option<i32>,
    pub(crate) rated_at: i64,
    pub(crate) withdrawn_at: Option<i64>,
}

/// One new conduct row.
pub(crate) struct NewConduct<'a> {
    pub(crate) id: &'a str,
    pub(crate) expert_id: &'a str,
    pub(crate) points: i64,
    pub(crate) rater_role: &'a str,
    pub(crate) marks: [i32; 3],
    pub(crate) rated_at: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AppealRow {
    pub(crate) id: String,
    pub(crate) conduct_id: String,
    pub(crate) expert_id: String,
    pub(crate) reason: String,
    pub(crate) filed_at: i64,
    pub(crate) status: String,
    pub(crate) decided_by: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) decided_at: Option<i64>,
}

const CONDUCT_COLUMNS: &str = "id, expert_id, points, rater_role, punctuality, diligence, \
     discipline, rated_at, withdrawn_at";
const APPEAL_COLUMNS: &str = "id, conduct_id, expert_id, reason, filed_at, status, decided_by, \
     decision_reason, decided_at";

impl Tx {
    pub(crate) async fn insert_conduct(&mut self, row: &NewConduct<'_>) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_conduct (id, expert_id, points, rater_role, punctuality, \
             diligence, discipline, rated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(row.id)
            .bind(row.expert_id)
            .bind(row.points)
            .bind(row.rater_role)
            .bind(row.marks[0])
            .bind(row.marks[1])
            .bind(row.marks[2])
            .bind(row.rated_at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// An expert's most recent conduct points that still count (not withdrawn on appeal nor
    /// repaired), newest first.
    pub(crate) async fn recent_conduct(
        &mut self,
        expert_id: &str,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT points FROM expert_conduct WHERE expert_id = $1 AND withdrawn_at IS NULL \
             AND repaired_at IS NULL ORDER BY rated_at DESC LIMIT $2")
            .bind(expert_id)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// Every rating of an expert that can be shown to them (those with an id), newest first.
    pub(crate) async fn conduct_of_expert(
        &mut self,
        expert_id: &str,
    ) -> Result<Vec<ConductRow>, StoreError> {
        let sql = format!(
            "SELECT {CONDUCT_COLUMNS} FROM expert_conduct WHERE expert_id = $1 AND id IS NOT NULL \
             ORDER BY rated_at DESC, id DESC"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ConductRow>(&sql)
            .bind(expert_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn conduct_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<ConductRow>, StoreError> {
        let sql = format!("SELECT {CONDUCT_COLUMNS} FROM expert_conduct WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ConductRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn withdraw_conduct(
        &mut self,
        id: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE expert_conduct SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Records one rater's rating of an on-site evaluation's seat; a second one is a conflict.
    pub(crate) async fn insert_draw_rating(
        &mut self,
        draw_id: &str,
        token_hex: &str,
        rater_id: &str,
        marks: [i32; 3],
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_ratings (draw_id, token, rater_id, punctuality, diligence, \
             discipline, rated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(draw_id)
            .bind(token_hex)
            .bind(rater_id)
            .bind(marks[0])
            .bind(marks[1])
            .bind(marks[2])
            .bind(now)
            .execute(conn)
            .await
            .map(drop))
        .map_err(conflict_as("rater and seat"))?;
        Ok(())
    }

    /// The seat tokens (hex) of a draw that `rater_id` has rated.
    pub(crate) async fn draw_ratings_by(
        &mut self,
        draw_id: &str,
        rater_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT token FROM draw_ratings WHERE draw_id = $1 AND rater_id = $2 ORDER BY token")
            .bind(draw_id)
            .bind(rater_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_appeal(&mut self, appeal: &AppealRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO rating_appeals (id, conduct_id, expert_id, reason, filed_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&appeal.id)
            .bind(&appeal.conduct_id)
            .bind(&appeal.expert_id)
            .bind(&appeal.reason)
            .bind(appeal.filed_at)
            .bind(&appeal.status)
            .execute(conn)
            .await
            .map(drop))
        .map_err(conflict_as("rating"))?;
        Ok(())
    }

    pub(crate) async fn appeal_by_id(&mut self, id: &str) -> Result<Option<AppealRow>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM rating_appeals WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AppealRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Appeals of one expert, or (expert `None`) all, newest first.
    pub(crate) async fn appeals(
        &mut self,
        expert_id: Option<&str>,
    ) -> Result<Vec<AppealRow>, StoreError> {
        let sql = format!(
            "SELECT {APPEAL_COLUMNS} FROM rating_appeals WHERE (CAST($1 AS TEXT) IS NULL OR expert_id = $1) \
             ORDER BY filed_at DESC, id DESC"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AppealRow>(&sql)
            .bind(expert_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Settles a pending appeal; false when it was no longer pending.
    pub(crate) async fn decide_appeal(
        &mut self,
        id: &str,
        status: &str,
        decided_by: &str,
        reason: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE rating_appeals SET status = $2, decided_by = $3, decision_reason = $4, \
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

    /// Ends the expert's penalties for `reason` running at `now`; how many ended.
    pub(crate) async fn end_running_penalties(
        &mut self,
        expert_id: &str,
        reason: &str,
        now: Millis,
    ) -> Result<u64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query(
            "UPDATE expert_penalties SET until_at = $3 WHERE expert_id = $1 AND reason_code = $2 \
             AND imposed_at <= $3 AND (until_at IS NULL OR until_at > $3)")
            .bind(expert_id)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?)
    }
}
