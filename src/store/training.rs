//! Training records, the dated events behind the experts' counters, and the annual assessment
//! (issue 22 §2; docs/POOL.md, "Training, assessment and tiers").

use super::{StoreError, Tx, on_conn, values_placeholders};
use crate::clock::Millis;
use crate::pool::assessment::Tier;

/// One training record as admins and the expert see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TrainingRow {
    pub(crate) id: String,
    pub(crate) expert_id: String,
    pub(crate) course: String,
    pub(crate) half_hours: i32,
    pub(crate) completed_on: String,
    pub(crate) certificate_ref: String,
    pub(crate) recorded_at: i64,
    pub(crate) corrects: Option<String>,
    pub(crate) voided_at: Option<i64>,
    pub(crate) void_reason: Option<String>,
}

/// A training record to write.
pub(crate) struct NewTraining<'a> {
    pub(crate) id: &'a str,
    pub(crate) expert_id: &'a str,
    pub(crate) course: &'a str,
    pub(crate) half_hours: i32,
    pub(crate) completed_on: &'a str,
    pub(crate) certificate_ref: &'a str,
    pub(crate) recorded_by: &'a str,
    pub(crate) recorded_at: Millis,
    pub(crate) corrects: Option<&'a str>,
}

const TRAINING_COLUMNS: &str = "id, expert_id, course, half_hours, completed_on, \
     certificate_ref, recorded_at, corrects, voided_at, void_reason";

/// A year's assessment run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AssessmentRow {
    pub(crate) year: i32,
    pub(crate) status: String,
    pub(crate) formula: String,
    pub(crate) experts: i64,
    pub(crate) computed_at: i64,
    pub(crate) confirmed_at: Option<i64>,
}

/// One expert's result in a year's assessment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AssessmentResultRow {
    pub(crate) expert_id: String,
    pub(crate) ratings: i32,
    pub(crate) rating_points: i64,
    pub(crate) attendances: i32,
    pub(crate) declines: i32,
    pub(crate) no_shows: i32,
    pub(crate) penalties: i32,
    pub(crate) training_half_hours: i32,
    pub(crate) score_centi: i64,
    pub(crate) proposed_tier: Tier,
    pub(crate) tier: Tier,
    pub(crate) adjust_reason: Option<String>,
}

const RESULT_COLUMNS: &str = "expert_id, ratings, rating_points, attendances, declines, \
     no_shows, penalties, training_half_hours, score_centi, proposed_tier, tier, adjust_reason";

/// What a year's assessment reads, per expert, from each source: one grouped query each.
#[derive(Debug, Default)]
pub(crate) struct YearFacts {
    /// Experts assessed (active or suspended), by id.
    pub(crate) experts: Vec<String>,
    /// `(expert, ratings, sum of their points)`.
    pub(crate) ratings: Vec<(String, i64, i64)>,
    /// `(expert, kind, count)` of attendances, declines and no-shows.
    pub(crate) events: Vec<(String, String, i64)>,
    pub(crate) penalties: Vec<(String, i64)>,
    pub(crate) training: Vec<(String, i64)>,
}

/// Rows per INSERT when results are written: 12 values each, about 900 values a statement, as
/// the other bulk writes bind them.
const RESULTS_PER_INSERT: usize = 75;

impl Tx {
    pub(crate) async fn insert_training(
        &mut self,
        row: &NewTraining<'_>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_training (id, expert_id, course, half_hours, completed_on, \
             certificate_ref, recorded_by, recorded_at, corrects) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(row.id)
            .bind(row.expert_id)
            .bind(row.course)
            .bind(row.half_hours)
            .bind(row.completed_on)
            .bind(row.certificate_ref)
            .bind(row.recorded_by)
            .bind(row.recorded_at)
            .bind(row.corrects)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    pub(crate) async fn training_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<TrainingRow>, StoreError> {
        let sql = format!("SELECT {TRAINING_COLUMNS} FROM expert_training WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, TrainingRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Voids a record not yet voided; whether it did.
    pub(crate) async fn void_training(
        &mut self,
        id: &str,
        by: &str,
        reason: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE expert_training SET voided_at = $4, voided_by = $2, void_reason = $3 \
             WHERE id = $1 AND voided_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(reason)
            .bind(at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// An expert's records, voided ones included, the latest completed first.
    pub(crate) async fn training_of_expert(
        &mut self,
        expert_id: &str,
    ) -> Result<Vec<TrainingRow>, StoreError> {
        let sql = format!(
            "SELECT {TRAINING_COLUMNS} FROM expert_training WHERE expert_id = $1 \
             ORDER BY completed_on DESC, recorded_at DESC, id DESC"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, TrainingRow>(&sql)
            .bind(expert_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Experts in the pool since `started_by` or earlier whose training completed after `after`
    /// and through `through` (dates, `YYYY-MM-DD`), voided records aside, is below
    /// `required_half_hours`.
    pub(crate) async fn experts_behind_on_training(
        &mut self,
        after: &str,
        through: &str,
        required_half_hours: i64,
        started_by: Millis,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT e.id FROM experts e LEFT JOIN ( \
                 SELECT expert_id, SUM(half_hours) AS done FROM expert_training \
                 WHERE voided_at IS NULL AND completed_on > $1 AND completed_on <= $2 \
                 GROUP BY expert_id) t ON t.expert_id = e.id \
             WHERE e.created_at <= $4 AND COALESCE(t.done, 0) < $3")
            .bind(after)
            .bind(through)
            .bind(required_half_hours)
            .bind(started_by)
            .fetch_all(conn)
            .await)?)
    }

    /// Records the dated events behind a counter (`attendance`, `decline`, `no_show`), one per
    /// expert, on `day` (days since 1970-01-01 in the province's calendar).
    pub(crate) async fn insert_counted_events(
        &mut self,
        expert_ids: &[&String],
        kind: &str,
        day: i64,
    ) -> Result<(), StoreError> {
        for id in expert_ids {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO expert_counted_events (expert_id, kind, day) VALUES ($1, $2, $3)")
                .bind(id.as_str())
                .bind(kind)
                .bind(day)
                .execute(conn)
                .await
                .map(drop))?;
        }
        Ok(())
    }

    /// When the expert's record was made: the training currency counts from then.
    pub(crate) async fn expert_created_at(
        &mut self,
        expert_id: &str,
    ) -> Result<Option<Millis>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT created_at FROM experts WHERE id = $1")
            .bind(expert_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// How many experts of a year's run each tier holds.
    pub(crate) async fn assessment_tier_counts(
        &mut self,
        year: i32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT tier, COUNT(*) FROM assessment_results WHERE year = $1 GROUP BY tier")
            .bind(year)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn assessment(
        &mut self,
        year: i32,
    ) -> Result<Option<AssessmentRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, AssessmentRow>(
            "SELECT year, status, formula, experts, computed_at, confirmed_at FROM assessments \
             WHERE year = $1")
            .bind(year)
            .fetch_optional(conn)
            .await)?)
    }

    /// Everything a year's assessment reads: the experts assessed and, grouped by expert, the
    /// year's ratings, counted events, penalties (the credit rule's own `low_credit` aside: it
    /// follows from the ratings already counted) and training. `[from, until)` is the year in
    /// milliseconds, `[first_day, last_day]` in days, `[first_date, last_date]` as dates.
    pub(crate) async fn assessment_facts(
        &mut self,
        (from, until): (Millis, Millis),
        (first_day, last_day): (i64, i64),
        (first_date, last_date): (&str, &str),
    ) -> Result<YearFacts, StoreError> {
        let experts = on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM experts WHERE status IN ('active', 'suspended') ORDER BY id")
            .fetch_all(conn)
            .await)?;
        let ratings = on_conn!(self, conn => sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT expert_id, COUNT(*), CAST(COALESCE(SUM(points), 0) AS BIGINT) \
             FROM expert_conduct WHERE withdrawn_at IS NULL AND rated_at >= $1 AND rated_at < $2 \
             GROUP BY expert_id")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?;
        let events = on_conn!(self, conn => sqlx::query_as::<_, (String, String, i64)>(
            "SELECT expert_id, kind, COUNT(*) FROM expert_counted_events \
             WHERE day >= $1 AND day <= $2 GROUP BY expert_id, kind")
            .bind(first_day)
            .bind(last_day)
            .fetch_all(conn)
            .await)?;
        let penalties = on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT expert_id, COUNT(*) FROM expert_penalties \
             WHERE imposed_at >= $1 AND imposed_at < $2 AND reason_code <> 'low_credit' \
             GROUP BY expert_id")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?;
        let training = on_conn!(self, conn => sqlx::query_as::<_, (String, i64)>(
            "SELECT expert_id, CAST(SUM(half_hours) AS BIGINT) FROM expert_training \
             WHERE voided_at IS NULL AND completed_on >= $1 AND completed_on <= $2 \
             GROUP BY expert_id")
            .bind(first_date)
            .bind(last_date)
            .fetch_all(conn)
            .await)?;
        Ok(YearFacts {
            experts,
            ratings,
            events,
            penalties,
            training,
        })
    }

    /// Replaces a year's unconfirmed run (its results too) with a new one.
    pub(crate) async fn replace_assessment(
        &mut self,
        row: &AssessmentRow,
        computed_by: &str,
        results: &[AssessmentResultRow],
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("DELETE FROM assessment_results WHERE year = $1")
            .bind(row.year)
            .execute(conn)
            .await
            .map(drop))?;
        on_conn!(self, conn => sqlx::query("DELETE FROM assessments WHERE year = $1")
            .bind(row.year)
            .execute(conn)
            .await
            .map(drop))?;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO assessments (year, status, formula, experts, computed_at, computed_by) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(row.year)
            .bind(&row.status)
            .bind(&row.formula)
            .bind(row.experts)
            .bind(row.computed_at)
            .bind(computed_by)
            .execute(conn)
            .await
            .map(drop))?;
        for chunk in results.chunks(RESULTS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO assessment_results (year, expert_id, ratings, rating_points, \
                 attendances, declines, no_shows, penalties, training_half_hours, score_centi, \
                 proposed_tier, tier) VALUES {}",
                values_placeholders(chunk.len(), 12)
            );
            on_conn!(self, conn => {
                let mut query = sqlx::query(&sql);
                for r in chunk {
                    query = query
                        .bind(row.year)
                        .bind(&r.expert_id)
                        .bind(r.ratings)
                        .bind(r.rating_points)
                        .bind(r.attendances)
                        .bind(r.declines)
                        .bind(r.no_shows)
                        .bind(r.penalties)
                        .bind(r.training_half_hours)
                        .bind(r.score_centi)
                        .bind(r.proposed_tier)
                        .bind(r.tier);
                }
                query.execute(conn).await.map(drop)
            })?;
        }
        Ok(())
    }

    /// A page of a year's results in expert id order, after `after`.
    pub(crate) async fn assessment_results(
        &mut self,
        year: i32,
        after: &str,
        limit: i64,
    ) -> Result<Vec<AssessmentResultRow>, StoreError> {
        let sql = format!(
            "SELECT {RESULT_COLUMNS} FROM assessment_results WHERE year = $1 AND expert_id > $2 \
             ORDER BY expert_id LIMIT $3"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AssessmentResultRow>(&sql)
            .bind(year)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn assessment_result(
        &mut self,
        year: i32,
        expert_id: &str,
    ) -> Result<Option<AssessmentResultRow>, StoreError> {
        let sql = format!(
            "SELECT {RESULT_COLUMNS} FROM assessment_results WHERE year = $1 AND expert_id = $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AssessmentResultRow>(&sql)
            .bind(year)
            .bind(expert_id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn adjust_assessment_tier(
        &mut self,
        year: i32,
        expert_id: &str,
        tier: Tier,
        reason: &str,
        by: &str,
        at: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE assessment_results SET tier = $3, adjust_reason = $4, adjusted_by = $5, \
             adjusted_at = $6 WHERE year = $1 AND expert_id = $2")
            .bind(year)
            .bind(expert_id)
            .bind(tier)
            .bind(reason)
            .bind(by)
            .bind(at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Confirms a computed year and gives its tiers to the experts' records; whether it did
    /// (not when the year was confirmed meanwhile).
    pub(crate) async fn confirm_assessment(
        &mut self,
        year: i32,
        by: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE assessments SET status = 'confirmed', confirmed_at = $3, confirmed_by = $2 \
             WHERE year = $1 AND status = 'computed'")
            .bind(year)
            .bind(by)
            .bind(at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        if affected != 1 {
            return Ok(false);
        }
        on_conn!(self, conn => sqlx::query(
            "UPDATE experts SET tier = (SELECT r.tier FROM assessment_results r \
                 WHERE r.year = $1 AND r.expert_id = experts.id) \
             WHERE id IN (SELECT expert_id FROM assessment_results WHERE year = $1)")
            .bind(year)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(true)
    }
}
