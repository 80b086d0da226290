//! Applications to join the pool (`expert_applications`) and recruiting calls.

use super::{StoreError, Tx, on_conn};
use crate::admission::ApplicationStatus;
use crate::admission::renewal::RenewalStatus;
use crate::clock::Millis;
use crate::pool::own_record::ExpertStatus;

#[derive(Clone, sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    pub(crate) id: String,
    pub(crate) status: ApplicationStatus,
    /// The record the application becomes when approved, decided on arrival.
    pub(crate) expert_id: String,
    pub(crate) id_number_index: Vec<u8>,
    /// The future record's data key, sealed under the master key.
    pub(crate) data_key: Vec<u8>,
    pub(crate) sealed_application: Vec<u8>,
    pub(crate) sealed_supplement: Option<Vec<u8>>,
    pub(crate) access_code_digest: Vec<u8>,
    /// Specialty codes, `;`-separated.
    pub(crate) specialties: String,
    pub(crate) region_code: String,
    pub(crate) nominated_by: Option<String>,
    pub(crate) recruiting_call_id: Option<String>,
    pub(crate) question: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) term_years: Option<i32>,
    pub(crate) decided_by: Option<String>,
    pub(crate) decided_at: Option<Millis>,
    pub(crate) created_at: Millis,
    pub(crate) updated_at: Millis,
}

const APPLICATION_COLUMNS: &str = "id, status, expert_id, id_number_index, data_key, \
     sealed_application, sealed_supplement, access_code_digest, specialties, region_code, \
     nominated_by, recruiting_call_id, question, decision_reason, term_years, decided_by, \
     decided_at, created_at, updated_at";

/// What a state change writes beside the state.
pub(crate) struct ApplicationChange<'a> {
    pub(crate) from: ApplicationStatus,
    pub(crate) to: ApplicationStatus,
    pub(crate) question: Option<&'a str>,
    pub(crate) sealed_supplement: Option<&'a [u8]>,
    pub(crate) decision_reason: Option<&'a str>,
    pub(crate) term_years: Option<i32>,
    /// Set for a decision (approved or refused).
    pub(crate) decided_by: Option<&'a str>,
    pub(crate) now: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RecruitingCallRow {
    pub(crate) id: String,
    /// `;`-separated codes.
    pub(crate) specialties: String,
    /// `;`-separated region codes; empty for the whole province.
    pub(crate) regions: String,
    pub(crate) until_date: String,
    pub(crate) note: String,
    pub(crate) created_by: String,
    pub(crate) created_at: Millis,
    pub(crate) closed_at: Option<Millis>,
}

const CALL_COLUMNS: &str =
    "id, specialties, regions, until_date, note, created_by, created_at, closed_at";

/// An expert whose standing the exit rules may change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ExitCandidate {
    pub(crate) id: String,
    pub(crate) status: ExpertStatus,
    pub(crate) suspended_until: Option<Millis>,
    pub(crate) term_end: Option<String>,
    pub(crate) birth_year: i32,
    pub(crate) credit_score: i32,
}

impl Tx {
    /// Active or suspended experts whose term ended before `today`, born in `born_by` or
    /// earlier, with a credit score below `credit_below`, or whose suspension ended by `now`.
    pub(crate) async fn exit_candidates(
        &mut self,
        today: &str,
        born_by: i32,
        credit_below: i32,
        now: Millis,
    ) -> Result<Vec<ExitCandidate>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ExitCandidate>(
            "SELECT id, status, suspended_until, term_end, birth_year, credit_score FROM experts \
             WHERE status IN ('active', 'suspended') AND (term_end < $1 OR birth_year <= $2 \
             OR credit_score < $3 OR (status = 'suspended' AND suspended_until <= $4)) \
             ORDER BY id")
            .bind(today)
            .bind(born_by)
            .bind(credit_below)
            .bind(now)
            .fetch_all(conn)
            .await)?)
    }

    /// Moves an expert from `from` to `to` (a suspension's end date cleared); false when the
    /// standing is no longer `from`.
    pub(crate) async fn move_expert_status(
        &mut self,
        expert_id: &str,
        from: ExpertStatus,
        to: ExpertStatus,
        now: Millis,
    ) -> Result<bool, StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE experts SET status = $3, suspended_until = NULL, updated_at = $4 \
             WHERE id = $1 AND status = $2")
            .bind(expert_id)
            .bind(from)
            .bind(to)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    pub(crate) async fn insert_application(
        &mut self,
        row: &ApplicationRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_applications (id, status, expert_id, id_number_index, data_key, \
             sealed_application, access_code_digest, specialties, region_code, nominated_by, \
             recruiting_call_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)")
            .bind(&row.id)
            .bind(row.status)
            .bind(&row.expert_id)
            .bind(row.id_number_index.as_slice())
            .bind(row.data_key.as_slice())
            .bind(row.sealed_application.as_slice())
            .bind(row.access_code_digest.as_slice())
            .bind(&row.specialties)
            .bind(&row.region_code)
            .bind(row.nominated_by.as_deref())
            .bind(row.recruiting_call_id.as_deref())
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("open application"))?;
        Ok(())
    }

    pub(crate) async fn application(
        &mut self,
        id: &str,
    ) -> Result<Option<ApplicationRow>, StoreError> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM expert_applications WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ApplicationRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Whether an application of this person (by the blind index of the ID number) is open.
    pub(crate) async fn open_application_exists(
        &mut self,
        id_number_index: &[u8],
    ) -> Result<bool, StoreError> {
        let count = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM expert_applications WHERE id_number_index = $1 \
             AND status IN ('submitted', 'under_review', 'more_requested')")
            .bind(id_number_index)
            .fetch_one(conn)
            .await)?;
        Ok(count > 0)
    }

    /// How many applications were ever filed (the tests' check that a refusal wrote nothing).
    pub async fn count_applications(&mut self) -> Result<usize, StoreError> {
        let count = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM expert_applications")
            .fetch_one(conn)
            .await)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Applications newest first, of one status or all.
    pub(crate) async fn applications(
        &mut self,
        status: Option<ApplicationStatus>,
        limit: i64,
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM expert_applications \
             WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ApplicationRow>(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Moves an application from `change.from` to `change.to`; false when it was no longer in
    /// `from` (another reviewer or the applicant came first).
    pub(crate) async fn change_application(
        &mut self,
        id: &str,
        change: &ApplicationChange<'_>,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE expert_applications SET status = $3, \
             question = COALESCE($4, question), \
             sealed_supplement = COALESCE($5, sealed_supplement), \
             decision_reason = COALESCE($6, decision_reason), \
             term_years = COALESCE($7, term_years), \
             decided_by = COALESCE($8, decided_by), \
             decided_at = CASE WHEN $8 IS NULL THEN decided_at ELSE $9 END, \
             updated_at = $9 WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(change.from)
            .bind(change.to)
            .bind(change.question)
            .bind(change.sealed_supplement)
            .bind(change.decision_reason)
            .bind(change.term_years)
            .bind(change.decided_by)
            .bind(change.now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// Sets a record's term (dates YYYY-MM-DD).
    pub(crate) async fn set_expert_term(
        &mut self,
        expert_id: &str,
        term_start: &str,
        term_end: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        // The version row first, as every pool writer does, so writers lock in one order.
        self.bump_pool_version().await?;
        on_conn!(self, conn => sqlx::query(
            "UPDATE experts SET term_start = $2, term_end = $3, updated_at = $4 WHERE id = $1")
            .bind(expert_id)
            .bind(term_start)
            .bind(term_end)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_recruiting_call(
        &mut self,
        row: &RecruitingCallRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO recruiting_calls (id, specialties, regions, until_date, note, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&row.id)
            .bind(&row.specialties)
            .bind(&row.regions)
            .bind(&row.until_date)
            .bind(&row.note)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn recruiting_call(
        &mut self,
        id: &str,
    ) -> Result<Option<RecruitingCallRow>, StoreError> {
        let sql = format!("SELECT {CALL_COLUMNS} FROM recruiting_calls WHERE id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, RecruitingCallRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Calls not closed, newest first; the caller drops those past their date.
    pub(crate) async fn open_recruiting_calls(
        &mut self,
    ) -> Result<Vec<RecruitingCallRow>, StoreError> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM recruiting_calls WHERE closed_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT 200"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, RecruitingCallRow>(&sql)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn close_recruiting_call(
        &mut self,
        id: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE recruiting_calls SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }
}

/// An expert's request to renew their term (`admission::renewal`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RenewalRow {
    pub(crate) id: String,
    pub(crate) expert_id: String,
    pub(crate) status: RenewalStatus,
    /// The term's last day when the request was made.
    pub(crate) term_end: String,
    pub(crate) new_term_end: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) decided_at: Option<Millis>,
    pub(crate) created_at: Millis,
}

const RENEWAL_COLUMNS: &str =
    "id, expert_id, status, term_end, new_term_end, decision_reason, decided_at, created_at";

impl Tx {
    pub(crate) async fn insert_renewal(&mut self, row: &RenewalRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO expert_renewals (id, expert_id, status, term_end, created_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id)
            .bind(&row.expert_id)
            .bind(row.status)
            .bind(&row.term_end)
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(super::conflict_as("renewal"))?;
        Ok(())
    }

    pub(crate) async fn renewal(&mut self, id: &str) -> Result<Option<RenewalRow>, StoreError> {
        let sql = format!("SELECT {RENEWAL_COLUMNS} FROM expert_renewals WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, RenewalRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn renewals(
        &mut self,
        status: Option<RenewalStatus>,
        limit: i64,
    ) -> Result<Vec<RenewalRow>, StoreError> {
        let sql = format!(
            "SELECT {RENEWAL_COLUMNS} FROM expert_renewals WHERE ($1 IS NULL OR status = $1) \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, RenewalRow>(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// Settles a pending renewal; false when it was no longer pending.
    pub(crate) async fn settle_renewal(
        &mut self,
        id: &str,
        status: RenewalStatus,
        new_term_end: Option<&str>,
        reason: Option<&str>,
        decided_by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let updated = on_conn!(self, conn => sqlx::query(
            "UPDATE expert_renewals SET status = $2, new_term_end = $3, decision_reason = $4, \
             decided_by = $5, decided_at = $6 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status)
            .bind(new_term_end)
            .bind(reason)
            .bind(decided_by)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// An expert's standing and term: (status, term_start, term_end).
    pub(crate) async fn expert_standing(
        &mut self,
        expert_id: &str,
    ) -> Result<Option<(ExpertStatus, Option<String>, Option<String>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (ExpertStatus, Option<String>, Option<String>)>(
            "SELECT status, term_start, term_end FROM experts WHERE id = $1")
            .bind(expert_id)
            .fetch_optional(conn)
            .await)?,
        )
    }
}
