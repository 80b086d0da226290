//! Experts' fees (docs/FEES.md): the fee standards the server has run under, and settlement
//! records, which are only ever inserted. No statement here updates or deletes a settlement
//! or an approval: a change is a new record that supersedes the old one (`supersedes`, unique,
//! so a record is superseded once), and the old one stays as it was.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SettlementRow {
    pub(crate) id: String,
    pub(crate) session_id: String,
    pub(crate) seat: i32,
    pub(crate) payee: String,
    pub(crate) seat_kind: String,
    pub(crate) rate_region: String,
    pub(crate) started_at: Millis,
    pub(crate) ended_at: Millis,
    pub(crate) end_reason: String,
    pub(crate) half_days: i64,
    pub(crate) fee_fen: i64,
    pub(crate) transport_fen: i64,
    pub(crate) nights: i64,
    pub(crate) accommodation_fen: i64,
    pub(crate) total_fen: i64,
    pub(crate) standard_digest: String,
    pub(crate) supersedes: Option<String>,
    pub(crate) reason: String,
    pub(crate) created_by: String,
    pub(crate) created_at: Millis,
}

/// A record as read back: with its approval, and whether a later record supersedes it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SettlementRecord {
    #[sqlx(flatten)]
    pub(crate) row: SettlementRow,
    pub(crate) approved_at: Option<Millis>,
    pub(crate) superseded_by: Option<String>,
}

/// A seat as its fee needs it: when the member came and, if the seat went void, when and why.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FeeSeatRow {
    pub(crate) seat: i32,
    pub(crate) draw_id: String,
    pub(crate) token: Vec<u8>,
    pub(crate) venue: Option<i32>,
    pub(crate) state: String,
    pub(crate) void_reason: Option<String>,
    pub(crate) voided_at: Option<Millis>,
    pub(crate) checked_in_at: Option<Millis>,
}

const RECORD_COLUMNS: &str = "s.id, s.session_id, s.seat, s.payee, s.seat_kind, s.rate_region, \
     s.started_at, s.ended_at, s.end_reason, s.half_days, s.fee_fen, s.transport_fen, s.nights, \
     s.accommodation_fen, s.total_fen, s.standard_digest, s.supersedes, s.reason, s.created_by, \
     s.created_at, a.approved_at, \
     (SELECT n.id FROM fee_settlements n WHERE n.supersedes = s.id) AS superseded_by";

const RECORD_FROM: &str = "FROM fee_settlements s \
     LEFT JOIN fee_settlement_approvals a ON a.settlement_id = s.id";

impl Tx {
    /// The standard in force from `now` on: recorded (with its body) unless it is already the
    /// newest one in force.
    pub(crate) async fn record_fee_standard(
        &mut self,
        digest: &str,
        body: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let newest: Option<(String,)> = on_conn!(self, conn => sqlx::query_as(
            "SELECT digest FROM fee_standard_periods ORDER BY in_force_from DESC LIMIT 1")
            .fetch_optional(conn)
            .await)?;
        if newest.is_some_and(|(newest,)| newest == digest) {
            return Ok(());
        }
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO fee_standards (digest, body) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING")
            .bind(digest)
            .bind(body)
            .execute(conn)
            .await
            .map(drop))?;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO fee_standard_periods (digest, in_force_from) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING")
            .bind(digest)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The standard in force at `at`: the newest recorded no later, or (for a session older
    /// than every record) the first recorded. Its digest and body.
    pub(crate) async fn fee_standard_at(
        &mut self,
        at: Millis,
    ) -> Result<Option<(String, String)>, StoreError> {
        let before: Option<(String, String)> = on_conn!(self, conn => sqlx::query_as(
            "SELECT p.digest, f.body FROM fee_standard_periods p \
             JOIN fee_standards f ON f.digest = p.digest \
             WHERE p.in_force_from <= $1 ORDER BY p.in_force_from DESC LIMIT 1")
            .bind(at)
            .fetch_optional(conn)
            .await)?;
        if before.is_some() {
            return Ok(before);
        }
        Ok(on_conn!(self, conn => sqlx::query_as(
            "SELECT p.digest, f.body FROM fee_standard_periods p \
             JOIN fee_standards f ON f.digest = p.digest \
             ORDER BY p.in_force_from ASC LIMIT 1")
            .fetch_optional(conn)
            .await)?)
    }

    /// A recorded standard by its digest: the digest and body.
    pub(crate) async fn fee_standard(
        &mut self,
        digest: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as(
            "SELECT digest, body FROM fee_standards WHERE digest = $1")
            .bind(digest)
            .fetch_optional(conn)
            .await)?)
    }

    /// A session's seats with their departure times, in seat order.
    pub(crate) async fn fee_seats(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<FeeSeatRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, FeeSeatRow>(
            "SELECT seat, draw_id, token, venue, state, void_reason, voided_at, checked_in_at \
             FROM session_seats WHERE session_id = $1 ORDER BY seat")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Each venue of a session with the region of its room (a catalogue venue's) or else of
    /// its operating center.
    pub(crate) async fn fee_venue_regions(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<(i32, Option<String>)>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as(
            "SELECT v.venue, COALESCE(c.region_code, o.region_code) FROM session_venues v \
             JOIN accounts o ON o.id = v.operator_id \
             LEFT JOIN venues c ON c.id = v.venue_id \
             WHERE v.session_id = $1 ORDER BY v.venue")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    /// The region of the center that hosts a session.
    pub(crate) async fn fee_host_region(
        &mut self,
        session_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = on_conn!(self, conn => sqlx::query_as(
            "SELECT a.region_code FROM sessions s JOIN accounts a ON a.id = s.center_id \
             WHERE s.id = $1")
            .bind(session_id)
            .fetch_optional(conn)
            .await)?;
        Ok(row.and_then(|(region,)| region))
    }

    /// Inserts a record. A seat's second first record, or a second record superseding the
    /// same one, is a conflict.
    pub(crate) async fn insert_fee_settlement(
        &mut self,
        row: &SettlementRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO fee_settlements (id, session_id, seat, payee, seat_kind, rate_region, \
             started_at, ended_at, end_reason, half_days, fee_fen, transport_fen, nights, \
             accommodation_fen, total_fen, standard_digest, supersedes, reason, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20)")
            .bind(&row.id)
            .bind(&row.session_id)
            .bind(row.seat)
            .bind(&row.payee)
            .bind(&row.seat_kind)
            .bind(&row.rate_region)
            .bind(row.started_at)
            .bind(row.ended_at)
            .bind(&row.end_reason)
            .bind(row.half_days)
            .bind(row.fee_fen)
            .bind(row.transport_fen)
            .bind(row.nights)
            .bind(row.accommodation_fen)
            .bind(row.total_fen)
            .bind(&row.standard_digest)
            .bind(&row.supersedes)
            .bind(&row.reason)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(drop)
            .map_err(conflict_as("settlement")))
    }

    /// Approves a record, once (a second approval is a conflict).
    pub(crate) async fn insert_fee_approval(
        &mut self,
        settlement_id: &str,
        by: &str,
        at: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO fee_settlement_approvals (settlement_id, approved_by, approved_at) \
             VALUES ($1, $2, $3)")
            .bind(settlement_id)
            .bind(by)
            .bind(at)
            .execute(conn)
            .await
            .map(drop)
            .map_err(conflict_as("approval")))
    }

    /// Every record of a session, superseded ones included, by seat and age.
    pub(crate) async fn fee_settlements_of_session(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<SettlementRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} {RECORD_FROM} WHERE s.session_id = $1 \
             ORDER BY s.seat, s.created_at, s.id"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SettlementRecord>(&sql)
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn fee_settlement(
        &mut self,
        id: &str,
    ) -> Result<Option<SettlementRecord>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} {RECORD_FROM} WHERE s.id = $1");
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SettlementRecord>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// A payee's records, newest first.
    pub(crate) async fn fee_settlements_of_payee(
        &mut self,
        payee: &str,
    ) -> Result<Vec<SettlementRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} {RECORD_FROM} WHERE s.payee = $1 \
             ORDER BY s.created_at DESC, s.id DESC LIMIT 500"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, SettlementRecord>(&sql)
            .bind(payee)
            .fetch_all(conn)
            .await)?,
        )
    }
}

#[cfg(test)]
mod tests {
    /// The store's half of "records are never edited": no statement here may change or remove
    /// a settlement or an approval once written (the integration tests check the service's
    /// half, that a correction leaves the approved record as it was).
    #[test]
    fn no_statement_updates_or_deletes_a_settlement_or_an_approval() {
        let source = include_str!("fees.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap()];
        let statements = code.to_uppercase();
        for forbidden in [
            "UPDATE FEE_SETTLEMENTS",
            "UPDATE FEE_SETTLEMENT_APPROVALS",
            "DELETE FROM FEE_SETTLEMENTS",
            "DELETE FROM FEE_SETTLEMENT_APPROVALS",
            "ON CONFLICT (ID)",
            "INSERT OR REPLACE",
        ] {
            assert!(!statements.contains(forbidden), "{forbidden}");
        }
        assert!(statements.contains("INSERT INTO FEE_SETTLEMENTS"));
    }
}
