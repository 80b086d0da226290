//! What supervision's statistics read (issue 21): the qualifying projects of a window.

use super::{StoreError, Tx, on_conn};
use crate::clock::Millis;
use crate::draw::filter::EvaluationMode;

/// A root draw whose request said `works` and `government_invested`, neither void nor
/// cancelled, with where it belongs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct QualifyingRow {
    pub(crate) id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: i64,
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
}

/// A draw refused for too few eligible experts, as the supply report counts it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RefusalRow {
    pub(crate) id: String,
    pub(crate) center_id: String,
    pub(crate) refused_at: i64,
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
    /// JSON: per stratum `specialty_prefixes`, `k`, `m`, `matched`, `eligible`.
    pub(crate) strata: String,
    pub(crate) refused_stratum: i32,
}

/// One stratum of a draw (root or linked) and what became of its seats.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StratumOutcomeRow {
    /// JSON list of the stratum's specialty prefixes.
    pub(crate) prefixes: String,
    pub(crate) k: i32,
    pub(crate) m: i32,
    pub(crate) eligible_count: i64,
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
    /// Seats that were ever invited (seated, confirmed or later replaced).
    pub(crate) invited: i64,
    pub(crate) declined: i64,
    pub(crate) no_answer: i64,
    /// Recusals and departures of confirmed members.
    pub(crate) departed: i64,
    pub(crate) created_at: i64,
    pub(crate) confirmed: i64,
    /// When the last of the confirmed members accepted.
    pub(crate) last_confirmed_at: Option<i64>,
}

impl Tx {
    pub(crate) async fn insert_draw_refusal(&mut self, row: &RefusalRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO draw_refusals (id, center_id, refused_at, region, industry, strata, \
             refused_stratum) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&row.id)
            .bind(&row.center_id)
            .bind(row.refused_at)
            .bind(&row.region)
            .bind(&row.industry)
            .bind(&row.strata)
            .bind(row.refused_stratum)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The refusals in `[from, until)`.
    pub(crate) async fn draw_refusals(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<RefusalRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, RefusalRow>(
            "SELECT id, center_id, refused_at, region, industry, strata, refused_stratum \
             FROM draw_refusals WHERE refused_at >= $1 AND refused_at < $2 ORDER BY refused_at")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }

    /// Every stratum of the draws made in `[from, until)` (linked ones too, placed where their
    /// root belongs), with its seats' outcomes.
    pub(crate) async fn stratum_outcomes(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<StratumOutcomeRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, StratumOutcomeRow>(
            "SELECT s.prefixes, s.k, s.m, s.eligible_count, j.region, j.industry, \
             COUNT(c.token) AS invited, \
             COALESCE(SUM(CASE WHEN c.replaced_reason = 'declined' THEN 1 ELSE 0 END), 0) AS declined, \
             COALESCE(SUM(CASE WHEN c.replaced_reason = 'no_answer' THEN 1 ELSE 0 END), 0) AS no_answer, \
             COALESCE(SUM(CASE WHEN c.replaced_reason IN ('recused', 'withdrew') THEN 1 ELSE 0 END), 0) AS departed, \
             d.created_at, \
             COALESCE(SUM(CASE WHEN c.state = 'confirmed' THEN 1 ELSE 0 END), 0) AS confirmed, \
             MAX(CASE WHEN c.state = 'confirmed' THEN i.answered_at END) AS last_confirmed_at \
             FROM draw_strata s JOIN draws d ON d.id = s.draw_id \
             LEFT JOIN draw_jurisdictions j ON j.draw_id = COALESCE(d.parent_draw_id, d.id) \
             LEFT JOIN draw_candidates c ON c.draw_id = s.draw_id AND c.stratum = s.stratum \
                 AND c.state IN ('seated', 'confirmed', 'replaced') \
             LEFT JOIN invitations i ON i.draw_id = c.draw_id AND i.token = c.token \
             WHERE d.created_at >= $1 AND d.created_at < $2 \
             GROUP BY s.draw_id, s.stratum, s.prefixes, s.k, s.m, s.eligible_count, j.region, j.industry, \
                 d.created_at \
             ORDER BY s.draw_id, s.stratum")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// The qualifying projects whose evaluation starts in `[from, until)`, by start.
    pub(crate) async fn qualifying_projects(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<QualifyingRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, QualifyingRow>(
            "SELECT d.id, d.tender_reference, d.tender_name, d.mode, d.evaluation_start, \
             j.region, j.industry \
             FROM draws d JOIN draw_projects p ON p.draw_id = d.id \
             LEFT JOIN draw_jurisdictions j ON j.draw_id = d.id \
             WHERE d.parent_draw_id IS NULL AND d.voided_at IS NULL \
             AND (d.hold IS NULL OR d.hold <> 'cancelled') \
             AND p.category = 'works' AND p.government_invested = TRUE \
             AND d.evaluation_start >= $1 AND d.evaluation_start < $2 \
             ORDER BY d.evaluation_start, d.id")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }
}
