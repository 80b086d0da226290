//! What the signal run reads (committees, seats, sheets by pseudonymous expert tag) and the
//! alert rules, alerts and cases it writes (issue 21 §3).

use super::{StoreError, Tx, on_conn};
use crate::analytics::alerts::CaseState;
use crate::analytics::signals::Signal;
use crate::clock::Millis;
use crate::draw::states::{CandidateState, VacancyReason};

/// A root draw of the window, with where it belongs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CommitteeRow {
    pub(crate) id: String,
    pub(crate) center: String,
    pub(crate) region: Option<String>,
    pub(crate) industry: Option<String>,
}

/// A stratum of a root draw or of a draw linked to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SignalStratumRow {
    pub(crate) root_id: String,
    pub(crate) draw_id: String,
    pub(crate) stratum: i32,
    pub(crate) prefixes: String,
    pub(crate) k: i32,
    pub(crate) m: i32,
    pub(crate) eligible_count: i64,
}

/// An invited seat and its expert's tag (an HMAC: the same expert across draws, no identity).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SignalSeatRow {
    pub(crate) draw_id: String,
    pub(crate) stratum: i32,
    pub(crate) state: CandidateState,
    pub(crate) replaced_reason: Option<VacancyReason>,
    pub(crate) expert_tag: Vec<u8>,
}

/// A live sheet of a session whose draw is in the window, with its author's tag (none for a
/// tenderer's representative) and the bidder's credit code when the session gave one.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SignalSheetRow {
    pub(crate) root_id: String,
    pub(crate) deviation_percent: i32,
    pub(crate) bidder: String,
    pub(crate) sheet_json: String,
    pub(crate) total_centi: i64,
    pub(crate) expert_tag: Option<Vec<u8>>,
    pub(crate) credit_code: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AlertRuleRow {
    pub(crate) id: String,
    pub(crate) signal: Signal,
    pub(crate) max_q_ppm: i64,
    pub(crate) regions: String,
    pub(crate) created_by: String,
    pub(crate) created_at: i64,
    pub(crate) retired_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SignalRunRow {
    pub(crate) id: String,
    pub(crate) started_at: i64,
    pub(crate) finished_at: Option<i64>,
    pub(crate) window_from: i64,
    pub(crate) window_until: i64,
    pub(crate) committees: Option<i64>,
    pub(crate) findings: Option<i64>,
    pub(crate) alerts: Option<i64>,
}

#[derive(Clone, sqlx::FromRow)]
pub(crate) struct AlertRow {
    pub(crate) id: String,
    pub(crate) rule_id: String,
    pub(crate) run_id: String,
    pub(crate) signal: Signal,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) subject: String,
    pub(crate) evidence: String,
    pub(crate) sealed_experts: Option<Vec<u8>>,
    pub(crate) raised_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CaseRow {
    pub(crate) id: String,
    pub(crate) alert_id: String,
    pub(crate) state: CaseState,
    pub(crate) opened_by: String,
    pub(crate) opened_at: i64,
    pub(crate) unseal_request_id: Option<String>,
    pub(crate) conclusion: Option<String>,
    pub(crate) closed_by: Option<String>,
    pub(crate) closed_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CaseNoteRow {
    pub(crate) number: i32,
    pub(crate) author: String,
    pub(crate) text: String,
    pub(crate) added_at: i64,
}

/// A supervisor and their scope as stored (JSON lists; none stored: province-wide).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SupervisorScopeRow {
    pub(crate) id: String,
    pub(crate) regions_json: Option<String>,
    pub(crate) industries_json: Option<String>,
}

const RULE_COLUMNS: &str = "id, signal, max_q_ppm, regions, created_by, created_at, retired_at";
const RUN_COLUMNS: &str =
    "id, started_at, finished_at, window_from, window_until, committees, findings, alerts";
const ALERT_COLUMNS: &str =
    "id, rule_id, run_id, signal, fingerprint, subject, evidence, sealed_experts, raised_at";
const CASE_COLUMNS: &str = "id, alert_id, state, opened_by, opened_at, unseal_request_id, \
     conclusion, closed_by, closed_at";

impl Tx {
    /// The root draws created in `[from, until)`.
    pub(crate) async fn signal_committees(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<CommitteeRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, CommitteeRow>(
            "SELECT d.id, a.username AS center, j.region, j.industry \
             FROM draws d JOIN accounts a ON a.id = d.center_id \
             LEFT JOIN draw_jurisdictions j ON j.draw_id = d.id \
             WHERE d.parent_draw_id IS NULL AND d.created_at >= $1 AND d.created_at < $2 \
             ORDER BY d.created_at, d.id")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }

    /// The strata of those root draws and of the draws linked to them.
    pub(crate) async fn signal_strata(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<SignalStratumRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SignalStratumRow>(
            "SELECT r.id AS root_id, d.id AS draw_id, s.stratum, s.prefixes, s.k, s.m, \
             s.eligible_count \
             FROM draw_strata s JOIN draws d ON d.id = s.draw_id \
             JOIN draws r ON r.id = COALESCE(d.parent_draw_id, d.id) \
             WHERE r.created_at >= $1 AND r.created_at < $2 \
             ORDER BY r.id, d.created_at, d.id, s.stratum")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Every invited seat of those draws.
    pub(crate) async fn signal_seats(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<SignalSeatRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SignalSeatRow>(
            "SELECT c.draw_id, c.stratum, c.state, c.replaced_reason, i.expert_tag \
             FROM draw_candidates c JOIN draws d ON d.id = c.draw_id \
             JOIN draws r ON r.id = COALESCE(d.parent_draw_id, d.id) \
             JOIN invitations i ON i.draw_id = c.draw_id AND i.token = c.token \
             WHERE r.created_at >= $1 AND r.created_at < $2 \
             AND c.state IN ('seated', 'confirmed', 'replaced') \
             ORDER BY c.draw_id, c.stratum, c.rank")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }

    /// Every live sheet of the sessions of those draws.
    pub(crate) async fn signal_sheets(
        &mut self,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<SignalSheetRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SignalSheetRow>(
            "SELECT se.draw_id AS root_id, se.deviation_percent, sh.bidder, sh.sheet_json, \
             sh.total_centi, i.expert_tag, b.credit_code \
             FROM session_sheets sh JOIN sessions se ON se.id = sh.session_id \
             JOIN draws r ON r.id = se.draw_id \
             JOIN session_seats st ON st.session_id = sh.session_id AND st.seat = sh.seat \
             LEFT JOIN invitations i ON i.draw_id = st.draw_id AND i.token = st.token \
             LEFT JOIN session_bidders b ON b.session_id = sh.session_id AND b.label = sh.bidder \
             WHERE r.created_at >= $1 AND r.created_at < $2 AND sh.state = 'live' \
             ORDER BY se.draw_id, sh.seat, sh.bidder")
            .bind(from)
            .bind(until)
            .fetch_all(conn)
            .await)?)
    }

    /// Every expert's pool id, to map tags back for the sealed list behind an alert.
    pub(crate) async fn all_expert_ids(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM experts ORDER BY id")
            .fetch_all(conn)
            .await)?)
    }

    /// Every supervisor able to log in, with their scope.
    pub(crate) async fn supervisor_scopes(
        &mut self,
    ) -> Result<Vec<SupervisorScopeRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SupervisorScopeRow>(
            "SELECT a.id, s.regions_json, s.industries_json FROM accounts a \
             LEFT JOIN supervisor_scopes s ON s.account_id = a.id \
             WHERE a.role = 'supervisor' AND a.disabled = FALSE ORDER BY a.id")
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn insert_alert_rule(&mut self, row: &AlertRuleRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(&format!(
            "INSERT INTO alert_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
            .bind(&row.id)
            .bind(row.signal)
            .bind(row.max_q_ppm)
            .bind(&row.regions)
            .bind(&row.created_by)
            .bind(row.created_at)
            .bind(row.retired_at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Every rule, the retired ones too, oldest first.
    pub(crate) async fn alert_rules(&mut self) -> Result<Vec<AlertRuleRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AlertRuleRow>(&format!(
            "SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY created_at, id"))
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Retires an active rule; false when there is no such active rule.
    pub(crate) async fn retire_alert_rule(
        &mut self,
        id: &str,
        by: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE alert_rules SET retired_by = $2, retired_at = $3 \
             WHERE id = $1 AND retired_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    pub(crate) async fn insert_signal_run(&mut self, row: &SignalRunRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(&format!(
            "INSERT INTO signal_runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(&row.id)
            .bind(row.started_at)
            .bind(row.finished_at)
            .bind(row.window_from)
            .bind(row.window_until)
            .bind(row.committees)
            .bind(row.findings)
            .bind(row.alerts)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    pub(crate) async fn set_signal_run_alerts(
        &mut self,
        id: &str,
        alerts: i64,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE signal_runs SET alerts = $2 WHERE id = $1")
            .bind(id)
            .bind(alerts)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The latest run, if any.
    pub(crate) async fn latest_signal_run(&mut self) -> Result<Option<SignalRunRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SignalRunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM signal_runs ORDER BY started_at DESC, id DESC LIMIT 1"))
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Inserts an alert unless its rule already raised one about the same subject; true when
    /// inserted.
    pub(crate) async fn insert_alert(&mut self, row: &AlertRow) -> Result<bool, StoreError> {
        let inserted = on_conn!(self, conn => sqlx::query(&format!(
            "INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (rule_id, fingerprint) DO NOTHING"))
            .bind(&row.id)
            .bind(&row.rule_id)
            .bind(&row.run_id)
            .bind(row.signal)
            .bind(&row.fingerprint)
            .bind(&row.subject)
            .bind(&row.evidence)
            .bind(&row.sealed_experts)
            .bind(row.raised_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(inserted == 1)
    }

    /// Every alert, newest first.
    pub(crate) async fn alerts(&mut self) -> Result<Vec<AlertRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts ORDER BY raised_at DESC, id DESC"))
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn alert(&mut self, id: &str) -> Result<Option<AlertRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn insert_case(&mut self, row: &CaseRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(&format!(
            "INSERT INTO alert_cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&row.id)
            .bind(&row.alert_id)
            .bind(row.state)
            .bind(&row.opened_by)
            .bind(row.opened_at)
            .bind(&row.unseal_request_id)
            .bind(&row.conclusion)
            .bind(&row.closed_by)
            .bind(row.closed_at)
            .execute(conn)
            .await
            .map(drop))
        .map_err(super::conflict_as("case"))?;
        Ok(())
    }

    pub(crate) async fn cases(&mut self) -> Result<Vec<CaseRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CaseRow>(&format!(
            "SELECT {CASE_COLUMNS} FROM alert_cases ORDER BY opened_at DESC, id DESC"))
            .fetch_all(conn)
            .await)?,
        )
    }

    /// The case opened on an alert, if any (at most one: `alert_id` is unique).
    pub(crate) async fn case_of_alert(
        &mut self,
        alert_id: &str,
    ) -> Result<Option<CaseRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CaseRow>(&format!(
            "SELECT {CASE_COLUMNS} FROM alert_cases WHERE alert_id = $1"))
            .bind(alert_id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn case(&mut self, id: &str) -> Result<Option<CaseRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, CaseRow>(&format!(
            "SELECT {CASE_COLUMNS} FROM alert_cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    pub(crate) async fn case_notes(
        &mut self,
        case_id: &str,
    ) -> Result<Vec<CaseNoteRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, CaseNoteRow>(
            "SELECT n.number, a.username AS author, n.text, n.added_at \
             FROM alert_case_notes n JOIN accounts a ON a.id = n.author_id \
             WHERE n.case_id = $1 ORDER BY n.number")
            .bind(case_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Appends a note to an open case; its number, or `None` when the case is not open.
    pub(crate) async fn add_case_note(
        &mut self,
        case_id: &str,
        author: &str,
        text: &str,
        at: Millis,
    ) -> Result<Option<i32>, StoreError> {
        let number = on_conn!(self, conn => sqlx::query_scalar::<_, i32>(
            "INSERT INTO alert_case_notes (case_id, number, author_id, text, added_at) \
             SELECT c.id, COALESCE((SELECT MAX(n.number) FROM alert_case_notes n \
                 WHERE n.case_id = c.id), 0) + 1, $2, $3, $4 \
             FROM alert_cases c WHERE c.id = $1 AND c.state = 'open' RETURNING number")
            .bind(case_id)
            .bind(author)
            .bind(text)
            .bind(at)
            .fetch_optional(conn)
            .await)?;
        Ok(number)
    }

    /// Links an open case to the unseal request it filed (once); false otherwise.
    pub(crate) async fn link_case_unseal(
        &mut self,
        case_id: &str,
        request_id: &str,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE alert_cases SET unseal_request_id = $2 \
             WHERE id = $1 AND state = 'open' AND unseal_request_id IS NULL")
            .bind(case_id)
            .bind(request_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Closes an open case with its conclusion; false when it is not open.
    pub(crate) async fn close_case(
        &mut self,
        case_id: &str,
        by: &str,
        conclusion: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE alert_cases SET state = 'closed', conclusion = $3, closed_by = $2, \
             closed_at = $4 WHERE id = $1 AND state = 'open'")
            .bind(case_id)
            .bind(by)
            .bind(conclusion)
            .bind(at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }
}
