//! Writes a synthetic history (`sealdraw demo history`; analytics::synthetic) in bulk: the
//! rows a draw, its seats, invitations and session leave behind, without the audit entries and
//! verification data a real draw has. Demonstration and benchmark databases only.

use super::{StoreError, Tx, on_conn, values_placeholders};
use crate::draw::filter::EvaluationMode;
use crate::draw::project::{ProjectCategory, ValueBand};
use crate::draw::states::{CandidateState, VacancyReason};
use crate::notify::InvitationState;

pub(crate) struct SyntheticStratum {
    pub(crate) stratum: i32,
    pub(crate) prefixes: String,
    pub(crate) k: i32,
    pub(crate) m: i32,
    pub(crate) eligible_count: i64,
    pub(crate) sealed_members: Vec<u8>,
}

pub(crate) struct SyntheticCandidate {
    pub(crate) stratum: i32,
    pub(crate) rank: i32,
    pub(crate) token: Vec<u8>,
    pub(crate) sealed_expert: Vec<u8>,
    pub(crate) state: CandidateState,
    pub(crate) replaced_reason: Option<VacancyReason>,
    pub(crate) seated_at: Option<i64>,
    pub(crate) replaced_at: Option<i64>,
}

pub(crate) struct SyntheticInvitation {
    pub(crate) id: String,
    pub(crate) token: Vec<u8>,
    pub(crate) expert_tag: Vec<u8>,
    pub(crate) state: InvitationState,
    pub(crate) code_index: Vec<u8>,
    pub(crate) answered_at: Option<i64>,
}

pub(crate) struct SyntheticSheet {
    pub(crate) seat: i32,
    pub(crate) bidder: String,
    pub(crate) sheet_json: String,
    pub(crate) total_centi: i64,
}

/// A seat number and the draw token of the member on it.
pub(crate) type SessionSeat = (i32, Vec<u8>);

pub(crate) struct SyntheticSession {
    pub(crate) id: String,
    pub(crate) mode: &'static str,
    pub(crate) bidders_json: String,
    pub(crate) criteria_json: String,
    pub(crate) deviation_percent: i32,
    pub(crate) closed_at: i64,
    pub(crate) seats: Vec<SessionSeat>,
    pub(crate) sheets: Vec<SyntheticSheet>,
    /// Label and credit code.
    pub(crate) bidders: Vec<(String, String)>,
}

pub(crate) struct SyntheticDraw {
    pub(crate) id: String,
    /// The filter and intent as the draw views read them (not verifiable: no real hashes).
    pub(crate) filter_json: String,
    pub(crate) intent_json: String,
    pub(crate) center_id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: i64,
    pub(crate) created_at: i64,
    pub(crate) region: String,
    pub(crate) industry: String,
    pub(crate) category: ProjectCategory,
    pub(crate) government_invested: bool,
    pub(crate) value_band: ValueBand,
    pub(crate) strata: Vec<SyntheticStratum>,
    pub(crate) candidates: Vec<SyntheticCandidate>,
    pub(crate) invitations: Vec<SyntheticInvitation>,
    /// Pool ids seated, for the frequency cap's table (by day).
    pub(crate) selections: Vec<String>,
    pub(crate) session: Option<SyntheticSession>,
}

/// An expert of the pool as the generator needs it: id and first specialty.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SyntheticExpert {
    pub(crate) id: String,
    pub(crate) specialty: String,
}

/// Binds rows of `width` values in statements of at most ~900 values (SQLite's and
/// PostgreSQL's limits are far above).
macro_rules! insert_rows {
    ($tx:expr, $head:expr, $width:expr, $rows:expr, |$query:ident, $row:ident| $bind:expr) => {{
        let per = (900 / $width).max(1);
        for chunk in $rows.chunks(per) {
            let sql = format!("{} VALUES {}", $head, values_placeholders(chunk.len(), $width));
            on_conn!($tx, conn => {
                let mut $query = sqlx::query(&sql);
                for $row in chunk {
                    $query = $bind;
                }
                $query.execute(conn).await.map(drop)
            })?;
        }
    }};
}

impl Tx {
    /// Every active expert with their first specialty (by code), in id order.
    pub(crate) async fn synthetic_pool(&mut self) -> Result<Vec<SyntheticExpert>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SyntheticExpert>(
            "SELECT e.id, MIN(s.code) AS specialty FROM experts e \
             JOIN expert_specialties s ON s.expert_id = e.id WHERE e.status = 'active' \
             GROUP BY e.id ORDER BY e.id")
            .fetch_all(conn)
            .await)?)
    }

    /// Writes draws with everything under them, in as few statements as the sizes allow.
    pub(crate) async fn insert_synthetic_draws(
        &mut self,
        draws: &[SyntheticDraw],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO draws (id, center_id, tender_reference, tender_name, mode, \
             evaluation_start, evaluation_minutes, status, filter_json, exclusions_json, \
             intent_json, intent_hash, intent_index, sealed_secret, contribution_deadline, \
             created_at, executed_at, spec_version)",
            18,
            draws,
            |query, d| query
                .bind(&d.id)
                .bind(&d.center_id)
                .bind(&d.tender_reference)
                .bind(&d.tender_name)
                .bind(d.mode)
                .bind(d.evaluation_start)
                .bind(240)
                .bind("drawn")
                .bind(&d.filter_json)
                .bind("[]")
                .bind(&d.intent_json)
                .bind(vec![0u8; 32])
                .bind(-1i64)
                .bind(Vec::<u8>::new())
                .bind(d.created_at)
                .bind(d.created_at)
                .bind(d.created_at + 3_600_000)
                .bind(2)
        );
        insert_rows!(
            self,
            "INSERT INTO draw_jurisdictions (draw_id, region, industry, statutory_tender)",
            4,
            draws,
            |query, d| query
                .bind(&d.id)
                .bind(&d.region)
                .bind(&d.industry)
                .bind(false)
        );
        insert_rows!(
            self,
            "INSERT INTO draw_projects (draw_id, category, government_invested, value_band, \
             transaction_code)",
            5,
            draws,
            |query, d| query
                .bind(&d.id)
                .bind(d.category)
                .bind(d.government_invested)
                .bind(d.value_band)
                .bind(None::<String>)
        );
        let strata: Vec<(&str, &SyntheticStratum)> = draws
            .iter()
            .flat_map(|d| d.strata.iter().map(move |s| (d.id.as_str(), s)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO draw_strata (draw_id, stratum, prefixes, k, m, eligible_count, \
             eligible_root, tokens, sealed_members)",
            9,
            strata,
            |query, row| query
                .bind(row.0)
                .bind(row.1.stratum)
                .bind(&row.1.prefixes)
                .bind(row.1.k)
                .bind(row.1.m)
                .bind(row.1.eligible_count)
                .bind(vec![0u8; 32])
                .bind(Vec::<u8>::new())
                .bind(&row.1.sealed_members)
        );
        let candidates: Vec<(&str, &SyntheticCandidate)> = draws
            .iter()
            .flat_map(|d| d.candidates.iter().map(move |c| (d.id.as_str(), c)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO draw_candidates (draw_id, stratum, rank, token, sealed_expert, state, \
             replaced_reason, replaced_at, seated_at)",
            9,
            candidates,
            |query, row| query
                .bind(row.0)
                .bind(row.1.stratum)
                .bind(row.1.rank)
                .bind(&row.1.token)
                .bind(&row.1.sealed_expert)
                .bind(row.1.state)
                .bind(row.1.replaced_reason)
                .bind(row.1.replaced_at)
                .bind(row.1.seated_at)
        );
        let invitations: Vec<(&SyntheticDraw, &SyntheticInvitation)> = draws
            .iter()
            .flat_map(|d| d.invitations.iter().map(move |i| (d, i)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO invitations (id, draw_id, token, expert_tag, state, code_index, \
             deadline, answered_at, created_at)",
            9,
            invitations,
            |query, row| query
                .bind(&row.1.id)
                .bind(&row.0.id)
                .bind(&row.1.token)
                .bind(&row.1.expert_tag)
                .bind(row.1.state)
                .bind(&row.1.code_index)
                .bind(row.0.created_at + 86_400_000)
                .bind(row.1.answered_at)
                .bind(row.0.created_at)
        );
        let selections: Vec<(&str, i64)> = draws
            .iter()
            .flat_map(|d| {
                d.selections.iter().map(move |id| {
                    (
                        id.as_str(),
                        (d.created_at + 3_600_000).div_euclid(86_400_000),
                    )
                })
            })
            .collect();
        insert_rows!(
            self,
            "INSERT INTO expert_selections (expert_id, day)",
            2,
            selections,
            |query, row| query.bind(row.0).bind(row.1)
        );

        let sessions: Vec<(&SyntheticDraw, &SyntheticSession)> = draws
            .iter()
            .filter_map(|d| d.session.as_ref().map(|s| (d, s)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO sessions (id, draw_id, center_id, mode, phase, assignment, \
             bidders_json, criteria_json, deviation_percent, next_seq, created_at, closed_at)",
            12,
            sessions,
            |query, row| query
                .bind(&row.1.id)
                .bind(&row.0.id)
                .bind(&row.0.center_id)
                .bind(row.1.mode)
                .bind("closed")
                .bind("none")
                .bind(&row.1.bidders_json)
                .bind(&row.1.criteria_json)
                .bind(row.1.deviation_percent)
                .bind(1i64)
                .bind(row.0.evaluation_start)
                .bind(row.1.closed_at)
        );
        let seats: Vec<(&SyntheticDraw, &SyntheticSession, &SessionSeat)> = sessions
            .iter()
            .flat_map(|(d, s)| s.seats.iter().map(move |seat| (*d, *s, seat)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO session_seats (session_id, seat, draw_id, token, state, added_at)",
            6,
            seats,
            |query, row| query
                .bind(&row.1.id)
                .bind(row.2.0)
                .bind(&row.0.id)
                .bind(&row.2.1)
                .bind("active")
                .bind(row.0.evaluation_start)
        );
        let sheets: Vec<(&SyntheticDraw, &SyntheticSession, &SyntheticSheet)> = sessions
            .iter()
            .flat_map(|(d, s)| s.sheets.iter().map(move |sheet| (*d, *s, sheet)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO session_sheets (session_id, seat, bidder, sheet_json, total_centi, \
             state, submitted_at)",
            7,
            sheets,
            |query, row| query
                .bind(&row.1.id)
                .bind(row.2.seat)
                .bind(&row.2.bidder)
                .bind(&row.2.sheet_json)
                .bind(row.2.total_centi)
                .bind("live")
                .bind(row.1.closed_at)
        );
        let bidders: Vec<(&SyntheticSession, &(String, String))> = sessions
            .iter()
            .flat_map(|(_, s)| s.bidders.iter().map(move |b| (*s, b)))
            .collect();
        insert_rows!(
            self,
            "INSERT INTO session_bidders (session_id, label, credit_code)",
            3,
            bidders,
            |query, row| query.bind(&row.0.id).bind(&row.1.0).bind(&row.1.1)
        );
        Ok(())
    }
}
