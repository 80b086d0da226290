//! Evaluation sessions: venues, seats, sheets, clarifications, numbered events, tickets and
//! ratings.

use super::{Store, StoreError, Tx, conflict_as, on_conn, values_placeholders};
use crate::clock::Millis;
use crate::draw::CandidateState;
use crate::session::rules::Phase;
use crate::session::{
    Assignment, Audience, ClarificationState, EvaluationMethod, EventKind, RejectionGround,
    RejectionState, RoleName, SeatState, SessionMode, SheetState, SignatureKind, VoidReason,
};

/// The PostgreSQL channel on which a committed session event wakes every instance; its payload
/// is `"<session id> <seq>"` and says only where to look ([`Tx::append_session_event`]).
const SESSION_EVENTS_CHANNEL: &str = "sealdraw_session_events";

/// Hears other instances' session events as they commit, where the backend carries them
/// between processes (PostgreSQL's `LISTEN`).
pub(crate) struct SessionEventListener(sqlx::postgres::PgListener);

impl SessionEventListener {
    /// The next session that has a new event (read the events themselves from the table). An
    /// error means the listener is lost: what was sent until a new one listens is not heard.
    pub(crate) async fn next(&mut self) -> Result<String, StoreError> {
        let notification = self.0.recv().await?;
        let session_id = notification.payload().split(' ').next().unwrap_or_default();
        Ok(session_id.to_owned())
    }
}

impl Store {
    /// Listens for the session events other instances commit; `None` when the backend has no
    /// other instances to hear (SQLite: one process writes them all and wakes its own hub).
    pub(crate) async fn listen_session_events(
        &self,
    ) -> Result<Option<SessionEventListener>, StoreError> {
        match self {
            Store::Sqlite(..) => Ok(None),
            Store::Postgres(pool, ..) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(SESSION_EVENTS_CHANNEL).await?;
                Ok(Some(SessionEventListener(listener)))
            }
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub draw_id: String,
    pub(crate) center_id: String,
    pub(crate) mode: SessionMode,
    pub(crate) phase: Phase,
    pub(crate) assignment: Assignment,
    pub(crate) sealed_secret: Option<Vec<u8>>,
    pub(crate) secret_commitment: Option<Vec<u8>>,
    pub(crate) bidders_json: String,
    pub(crate) criteria_json: String,
    pub(crate) deviation_percent: i32,
    pub(crate) chair_seat: Option<i32>,
    pub(crate) report_json: Option<String>,
    pub(crate) report_sha256: Option<Vec<u8>>,
    pub(crate) next_seq: i64,
    pub(crate) created_at: i64,
    pub(crate) closed_at: Option<i64>,
    /// While signing: when members who have neither signed nor dissented are deemed to agree.
    pub(crate) signing_deadline: Option<i64>,
    /// How the report ranks the bids.
    pub(crate) method: EvaluationMethod,
}

const SESSION_COLUMNS: &str = "id, draw_id, center_id, mode, phase, assignment, sealed_secret, \
     secret_commitment, bidders_json, criteria_json, deviation_percent, chair_seat, report_json, \
     report_sha256, next_seq, created_at, closed_at, signing_deadline, method";

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct VenueRow {
    pub(crate) venue: i32,
    pub name: String,
    pub(crate) operator_id: String,
    pub(crate) seats: i32,
    /// The catalogue venue the session holds workstations in, when it named one.
    pub(crate) venue_id: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SeatRow {
    pub seat: i32,
    pub draw_id: String,
    pub token: Vec<u8>,
    pub(crate) venue: Option<i32>,
    pub state: SeatState,
    pub(crate) void_reason: Option<VoidReason>,
    pub(crate) checked_in_at: Option<i64>,
    pub(crate) declared_at: Option<i64>,
    pub(crate) vote: Option<i32>,
    pub(crate) signature: Option<SignatureKind>,
    pub(crate) dissent_reasons: Option<String>,
}

const SEAT_COLUMNS: &str = "seat, draw_id, token, venue, state, void_reason, checked_in_at, \
     declared_at, vote, signature, dissent_reasons, signed_at";

/// A tenderer's representative (招标人代表) named for a session: the seat, the login, and the
/// sealed identity and join code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RepresentativeRow {
    pub(crate) seat: i32,
    pub(crate) account_id: String,
    pub(crate) sealed_identity: Vec<u8>,
    pub(crate) sealed_join_code: Vec<u8>,
    pub(crate) named_at: i64,
}

/// One extension of the evaluation's time (实施条例 §48): how many of how many members asked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ExtensionRow {
    pub(crate) number: i32,
    pub(crate) minutes: i32,
    pub(crate) declared: i32,
    pub(crate) members: i32,
    pub(crate) extended_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SheetRow {
    pub seat: i32,
    pub(crate) sheet_json: String,
    pub state: SheetState,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ClarificationRow {
    pub seat: i32,
    pub(crate) bidder: String,
    pub(crate) question: String,
    pub state: ClarificationState,
}

/// Every clarification request of a session, for the report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ClarificationListRow {
    pub(crate) number: i32,
    pub seat: i32,
    pub(crate) bidder: String,
    pub(crate) question: String,
    pub state: ClarificationState,
}

/// A proposal to reject a bid (实施条例 §51); the tally is set when it is decided.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RejectionRow {
    pub(crate) number: i32,
    pub(crate) bidder: String,
    pub(crate) ground: RejectionGround,
    pub(crate) reasons: String,
    pub(crate) proposer_seat: i32,
    pub state: RejectionState,
    pub(crate) votes_for: Option<i32>,
    pub(crate) votes_against: Option<i32>,
    pub(crate) members: Option<i32>,
    pub(crate) proposed_at: i64,
    pub(crate) decided_at: Option<i64>,
}

const REJECTION_COLUMNS: &str = "number, bidder, ground, reasons, proposer_seat, state, \
     votes_for, votes_against, members, proposed_at, decided_at";

/// One member's vote on a rejection proposal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RejectionVoteRow {
    pub(crate) number: i32,
    pub seat: i32,
    pub(crate) reject: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub(crate) audience: Audience,
    pub kind: EventKind,
    pub(crate) body: String,
    pub(crate) at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TicketRow {
    pub session_id: String,
    pub(crate) account_id: String,
    pub role: RoleName,
    pub seat: Option<i32>,
    pub(crate) expires_at: i64,
    pub(crate) used_at: Option<i64>,
}

/// A seat's recorded act (see [`Tx::set_seat_act`]).
pub(crate) enum SeatAct<'a> {
    CheckedIn,
    Declared,
    Vote(i32),
    Signed {
        signature: SignatureKind,
        reasons: Option<&'a str>,
    },
}

impl Tx {
    pub(crate) async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES {}",
            values_placeholders(1, 19)
        );
        on_conn!(self, conn => sqlx::query(&sql)
            .bind(&row.id)
            .bind(&row.draw_id)
            .bind(&row.center_id)
            .bind(row.mode)
            .bind(row.phase)
            .bind(row.assignment)
            .bind(&row.sealed_secret)
            .bind(&row.secret_commitment)
            .bind(&row.bidders_json)
            .bind(&row.criteria_json)
            .bind(row.deviation_percent)
            .bind(row.chair_seat)
            .bind(&row.report_json)
            .bind(&row.report_sha256)
            .bind(row.next_seq)
            .bind(row.created_at)
            .bind(row.closed_at)
            .bind(row.signing_deadline)
            .bind(row.method)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("draw"))?;
        Ok(())
    }

    pub async fn session(&mut self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SessionRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn session_of_draw(
        &mut self,
        draw_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT id FROM sessions WHERE draw_id = $1")
            .bind(draw_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Serialises writers of one session, like [`Tx::lock_draw`]: SQLite's writer already holds
    /// the database; PostgreSQL takes the session row, so two instances cannot number two
    /// events alike or move a phase twice.
    pub(crate) async fn lock_session(&mut self, id: &str) -> Result<(), StoreError> {
        if let Tx::Postgres(tx) = self {
            sqlx::query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Sessions an account takes part in as host, venue operator or supervisor, newest first.
    pub(crate) async fn sessions_of_account(
        &mut self,
        account_id: &str,
        limit: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE center_id = $1 \
             OR id IN (SELECT session_id FROM session_venues WHERE operator_id = $1) \
             OR id IN (SELECT session_id FROM session_supervisors WHERE account_id = $1) \
             ORDER BY created_at DESC LIMIT $2"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SessionRow>(&sql)
            .bind(account_id)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn set_session_phase(
        &mut self,
        id: &str,
        phase: Phase,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE sessions SET phase = $2 WHERE id = $1")
            .bind(id)
            .bind(phase)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When members not yet signed are deemed to agree; `None` outside signing.
    pub(crate) async fn set_signing_deadline(
        &mut self,
        id: &str,
        deadline: Option<Millis>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE sessions SET signing_deadline = $2 WHERE id = $1")
            .bind(id)
            .bind(deadline)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn set_session_chair(
        &mut self,
        id: &str,
        seat: Option<i32>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query("UPDATE sessions SET chair_seat = $2 WHERE id = $1")
            .bind(id)
            .bind(seat)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The report as signed (at the move to signing, `closed_at` none) or as closed.
    pub(crate) async fn set_session_report(
        &mut self,
        id: &str,
        report_json: &str,
        sha256: &[u8],
        closed_at: Option<Millis>,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE sessions SET report_json = $2, report_sha256 = $3, closed_at = $4 WHERE id = $1")
            .bind(id)
            .bind(report_json)
            .bind(sha256)
            .bind(closed_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_session_bidder(
        &mut self,
        session_id: &str,
        label: &str,
        credit_code: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_bidders (session_id, label, credit_code) VALUES ($1, $2, $3)",
        )
            .bind(session_id)
            .bind(label)
            .bind(credit_code)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_session_venues(
        &mut self,
        session_id: &str,
        venues: &[VenueRow],
    ) -> Result<(), StoreError> {
        for venue in venues {
            on_conn!(self, conn => sqlx::query(
                "INSERT INTO session_venues (session_id, venue, name, operator_id, seats, venue_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(session_id)
                .bind(venue.venue)
                .bind(&venue.name)
                .bind(&venue.operator_id)
                .bind(venue.seats)
                .bind(&venue.venue_id)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    pub(crate) async fn session_venues(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<VenueRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, VenueRow>(
            "SELECT venue, name, operator_id, seats, venue_id FROM session_venues \
             WHERE session_id = $1 ORDER BY venue")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_session_supervisor(
        &mut self,
        session_id: &str,
        account_id: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_supervisors (session_id, account_id) VALUES ($1, $2)")
            .bind(session_id)
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn session_supervisors(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT account_id FROM session_supervisors WHERE session_id = $1 ORDER BY account_id")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Appends a contribution to a random seat assignment; `Conflict` if the account already
    /// contributed.
    pub(crate) async fn insert_session_contribution(
        &mut self,
        session_id: &str,
        contributor_id: &str,
        role: RoleName,
        bytes: &[u8],
        now: Millis,
    ) -> Result<i32, StoreError> {
        let position = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM session_contributions WHERE session_id = $1")
            .bind(session_id)
            .fetch_one(conn)
            .await)? as i32
            + 1;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_contributions \
             (session_id, position, contributor_id, role, bytes, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(session_id)
            .bind(position)
            .bind(contributor_id)
            .bind(role)
            .bind(bytes)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("contributor"))?;
        Ok(position)
    }

    /// (contributor account, role, bytes) in the order received.
    pub(crate) async fn session_contributions(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<(String, RoleName, Vec<u8>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, RoleName, Vec<u8>)>(
            "SELECT contributor_id, role, bytes FROM session_contributions \
             WHERE session_id = $1 ORDER BY position")
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// The seats that declared the time insufficient toward extension `round` (1 = the first).
    pub(crate) async fn time_declarations(
        &mut self,
        session_id: &str,
        round: i32,
    ) -> Result<Vec<i32>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i32>(
            "SELECT seat FROM session_time_declarations \
             WHERE session_id = $1 AND round = $2 ORDER BY seat")
            .bind(session_id)
            .bind(round)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_time_declaration(
        &mut self,
        session_id: &str,
        round: i32,
        seat: i32,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_time_declarations (session_id, round, seat, declared_at) \
             VALUES ($1, $2, $3, $4)")
            .bind(session_id)
            .bind(round)
            .bind(seat)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("time declaration"))?;
        Ok(())
    }

    /// The session's extensions, first first.
    pub(crate) async fn session_extensions(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<ExtensionRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ExtensionRow>(
            "SELECT number, minutes, declared, members, extended_at FROM session_extensions \
             WHERE session_id = $1 ORDER BY number")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_session_extension(
        &mut self,
        session_id: &str,
        row: &ExtensionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_extensions \
             (session_id, number, minutes, declared, members, extended_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(session_id)
            .bind(row.number)
            .bind(row.minutes)
            .bind(row.declared)
            .bind(row.members)
            .bind(row.extended_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("extension"))?;
        Ok(())
    }

    pub(crate) async fn insert_session_seat(
        &mut self,
        session_id: &str,
        seat: i32,
        draw_id: &str,
        token: &[u8],
        venue: Option<i32>,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_seats (session_id, seat, draw_id, token, venue, state, added_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6)")
            .bind(session_id)
            .bind(seat)
            .bind(draw_id)
            .bind(token)
            .bind(venue)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn session_seats(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<SeatRow>, StoreError> {
        let sql =
            format!("SELECT {SEAT_COLUMNS} FROM session_seats WHERE session_id = $1 ORDER BY seat");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SeatRow>(&sql)
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn set_seat_venue(
        &mut self,
        session_id: &str,
        seat: i32,
        venue: i32,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE session_seats SET venue = $3 WHERE session_id = $1 AND seat = $2")
            .bind(session_id)
            .bind(seat)
            .bind(venue)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records an act of an active seat.
    pub(crate) async fn set_seat_act(
        &mut self,
        session_id: &str,
        seat: i32,
        act: SeatAct<'_>,
        now: Millis,
    ) -> Result<(), StoreError> {
        const WHERE: &str = "WHERE session_id = $1 AND seat = $2 AND state = 'active'";
        let column = match act {
            SeatAct::CheckedIn => "checked_in_at",
            SeatAct::Declared => "declared_at",
            SeatAct::Vote(choice) => {
                let sql = format!("UPDATE session_seats SET vote = $3 {WHERE}");
                on_conn!(self, conn => sqlx::query(&sql)
                    .bind(session_id)
                    .bind(seat)
                    .bind(choice)
                    .execute(conn)
                    .await
                    .map(|r| r.rows_affected()))?;
                return Ok(());
            }
            SeatAct::Signed { signature, reasons } => {
                let sql = format!(
                    "UPDATE session_seats SET signature = $3, dissent_reasons = $4, \
                     signed_at = $5 {WHERE}"
                );
                on_conn!(self, conn => sqlx::query(&sql)
                    .bind(session_id)
                    .bind(seat)
                    .bind(signature)
                    .bind(reasons)
                    .bind(now)
                    .execute(conn)
                    .await
                    .map(|r| r.rows_affected()))?;
                return Ok(());
            }
        };
        let sql = format!("UPDATE session_seats SET {column} = $3 {WHERE}");
        on_conn!(self, conn => sqlx::query(&sql)
            .bind(session_id)
            .bind(seat)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Voids a seat: its member was replaced, so their conclusions (sheets, vote, signature)
    /// no longer count. False if it was already void.
    pub(crate) async fn void_session_seat(
        &mut self,
        session_id: &str,
        seat: i32,
        reason: VoidReason,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE session_seats SET state = 'void', void_reason = $3, voided_at = $4 \
             WHERE session_id = $1 AND seat = $2 AND state = 'active'")
            .bind(session_id)
            .bind(seat)
            .bind(reason)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        on_conn!(self, conn => sqlx::query(
            "UPDATE session_sheets SET state = 'void' WHERE session_id = $1 AND seat = $2")
            .bind(session_id)
            .bind(seat)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Clears every signature: the report they were given to no longer stands.
    pub(crate) async fn clear_session_signatures(
        &mut self,
        session_id: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE session_seats SET signature = NULL, dissent_reasons = NULL, signed_at = NULL \
             WHERE session_id = $1")
            .bind(session_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        on_conn!(self, conn => sqlx::query(
            "UPDATE sessions SET report_json = NULL, report_sha256 = NULL WHERE id = $1")
            .bind(session_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A seat's sheet for a bidder: inserted, or replaced while the evaluation is open.
    pub(crate) async fn upsert_sheet(
        &mut self,
        session_id: &str,
        seat: i32,
        bidder: &str,
        sheet_json: &str,
        total_centi: i64,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_sheets \
             (session_id, seat, bidder, sheet_json, total_centi, state, submitted_at) \
             VALUES ($1, $2, $3, $4, $5, 'live', $6) \
             ON CONFLICT (session_id, seat, bidder) DO UPDATE SET \
             sheet_json = excluded.sheet_json, total_centi = excluded.total_centi, \
             submitted_at = excluded.submitted_at")
            .bind(session_id)
            .bind(seat)
            .bind(bidder)
            .bind(sheet_json)
            .bind(total_centi)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn session_sheets(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<SheetRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, SheetRow>(
            "SELECT seat, bidder, sheet_json, state FROM session_sheets \
             WHERE session_id = $1 ORDER BY seat, bidder")
            .bind(session_id)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_clarification(
        &mut self,
        session_id: &str,
        seat: i32,
        bidder: &str,
        question: &str,
        now: Millis,
    ) -> Result<i32, StoreError> {
        let number = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM session_clarifications WHERE session_id = $1")
            .bind(session_id)
            .fetch_one(conn)
            .await)? as i32
            + 1;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_clarifications \
             (session_id, number, seat, bidder, question, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
            .bind(session_id)
            .bind(number)
            .bind(seat)
            .bind(bidder)
            .bind(question)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(number)
    }

    pub(crate) async fn clarification(
        &mut self,
        session_id: &str,
        number: i32,
    ) -> Result<Option<ClarificationRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ClarificationRow>(
            "SELECT number, seat, bidder, question, state FROM session_clarifications \
             WHERE session_id = $1 AND number = $2")
            .bind(session_id)
            .bind(number)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Decides a pending clarification request; false if it was no longer pending.
    pub(crate) async fn decide_clarification(
        &mut self,
        session_id: &str,
        number: i32,
        state: ClarificationState,
        decided_by: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE session_clarifications SET state = $3, decided_by = $4, decided_at = $5 \
             WHERE session_id = $1 AND number = $2 AND state = 'pending'")
            .bind(session_id)
            .bind(number)
            .bind(state)
            .bind(decided_by)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Every clarification request of the session, in number order.
    pub(crate) async fn session_clarifications(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<ClarificationListRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, ClarificationListRow>(
            "SELECT number, seat, bidder, question, state FROM session_clarifications \
             WHERE session_id = $1 ORDER BY number")
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Every rejection proposal of the session, in number order.
    pub(crate) async fn session_rejections(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<RejectionRow>, StoreError> {
        let sql = format!(
            "SELECT {REJECTION_COLUMNS} FROM session_rejections WHERE session_id = $1 \
             ORDER BY number"
        );
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, RejectionRow>(&sql)
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Every vote cast on the session's rejection proposals, by proposal and seat.
    pub(crate) async fn session_rejection_votes(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<RejectionVoteRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, RejectionVoteRow>(
            "SELECT number, seat, reject FROM session_rejection_votes \
             WHERE session_id = $1 ORDER BY number, seat")
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// Records a new open proposal; its number is the next of the session. The caller holds
    /// the session's lock.
    pub(crate) async fn insert_rejection(
        &mut self,
        session_id: &str,
        row: &RejectionRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO session_rejections (session_id, {REJECTION_COLUMNS}) VALUES {}",
            values_placeholders(1, 12)
        );
        on_conn!(self, conn => sqlx::query(&sql)
            .bind(session_id)
            .bind(row.number)
            .bind(&row.bidder)
            .bind(row.ground)
            .bind(&row.reasons)
            .bind(row.proposer_seat)
            .bind(row.state)
            .bind(row.votes_for)
            .bind(row.votes_against)
            .bind(row.members)
            .bind(row.proposed_at)
            .bind(row.decided_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("rejection proposal"))?;
        Ok(())
    }

    pub(crate) async fn insert_rejection_vote(
        &mut self,
        session_id: &str,
        number: i32,
        seat: i32,
        reject: bool,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_rejection_votes (session_id, number, seat, reject, voted_at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(session_id)
            .bind(number)
            .bind(seat)
            .bind(reject)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("rejection vote"))?;
        Ok(())
    }

    /// Decides an open proposal with the tally that decided it.
    pub(crate) async fn decide_rejection(
        &mut self,
        session_id: &str,
        row: &RejectionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE session_rejections SET state = $3, votes_for = $4, votes_against = $5, \
             members = $6, decided_at = $7 WHERE session_id = $1 AND number = $2 \
             AND state = 'open'")
            .bind(session_id)
            .bind(row.number)
            .bind(row.state)
            .bind(row.votes_for)
            .bind(row.votes_against)
            .bind(row.members)
            .bind(row.decided_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Appends an event with the session's next number. The caller holds the session's lock.
    pub(crate) async fn append_session_event(
        &mut self,
        session_id: &str,
        audience: &Audience,
        kind: EventKind,
        body: &str,
        now: Millis,
    ) -> Result<i64, StoreError> {
        let seq = on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "UPDATE sessions SET next_seq = next_seq + 1 WHERE id = $1 RETURNING next_seq - 1")
            .bind(session_id)
            .fetch_one(conn)
            .await)?;
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_events (session_id, seq, audience, kind, body, at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(session_id)
            .bind(seq)
            .bind(audience)
            .bind(kind)
            .bind(body)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        if let Tx::Postgres(tx) = self {
            // Delivered at commit, to every instance listening: they read the event from the
            // table (the payload only says where to look).
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(SESSION_EVENTS_CHANNEL)
                .bind(format!("{session_id} {seq}"))
                .execute(&mut **tx)
                .await?;
        }
        Ok(seq)
    }

    /// The newest event number of each named session.
    pub(crate) async fn session_heads(
        &mut self,
        ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, next_seq - 1 FROM sessions WHERE id IN ({})",
            placeholders.join(", ")
        );
        on_conn!(self, conn => {
            let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
            for id in ids {
                query = query.bind(id);
            }
            Ok(query.fetch_all(conn).await?)
        })
    }

    /// Events after `after`, in order, at most `limit`.
    pub(crate) async fn session_events_after(
        &mut self,
        session_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, EventRow>(
            "SELECT seq, audience, kind, body, at FROM session_events \
             WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(session_id)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }

    /// The stored answer to a client request already applied, if any.
    pub(crate) async fn session_request_reply(
        &mut self,
        session_id: &str,
        account_id: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT reply FROM session_requests \
             WHERE session_id = $1 AND account_id = $2 AND request_id = $3")
            .bind(session_id)
            .bind(account_id)
            .bind(request_id)
            .fetch_optional(conn)
            .await)?)
    }

    pub(crate) async fn insert_session_request(
        &mut self,
        session_id: &str,
        account_id: &str,
        request_id: &str,
        reply: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_requests (session_id, account_id, request_id, reply, at) \
             VALUES ($1, $2, $3, $4, $5)")
            .bind(session_id)
            .bind(account_id)
            .bind(request_id)
            .bind(reply)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn insert_session_ticket(
        &mut self,
        ticket_hash: &[u8],
        ticket: &TicketRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_tickets \
             (ticket_hash, session_id, account_id, role, seat, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL)")
            .bind(ticket_hash)
            .bind(&ticket.session_id)
            .bind(&ticket.account_id)
            .bind(ticket.role)
            .bind(ticket.seat)
            .bind(ticket.expires_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A ticket as stored, used or not: the caller checks `used_at` and `expires_at` before
    /// spending it.
    pub(crate) async fn session_ticket(
        &mut self,
        ticket_hash: &[u8],
    ) -> Result<Option<TicketRow>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_as::<_, TicketRow>(
            "SELECT session_id, account_id, role, seat, expires_at, used_at \
             FROM session_tickets WHERE ticket_hash = $1")
            .bind(ticket_hash)
            .fetch_optional(conn)
            .await)?)
    }

    /// Marks a ticket used; `false` when it already was. The update is one conditional
    /// statement, so two connections cannot both spend it.
    pub(crate) async fn spend_session_ticket(
        &mut self,
        ticket_hash: &[u8],
        now: Millis,
    ) -> Result<bool, StoreError> {
        let affected = on_conn!(self, conn => sqlx::query(
            "UPDATE session_tickets SET used_at = $2 WHERE ticket_hash = $1 AND used_at IS NULL")
            .bind(ticket_hash)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(affected == 1)
    }

    /// Tickets expired before `before`: kept no longer than they could matter.
    pub(crate) async fn delete_expired_tickets(
        &mut self,
        before: Millis,
    ) -> Result<u64, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query(
            "DELETE FROM session_tickets WHERE expires_at < $1")
            .bind(before)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?)
    }

    pub(crate) async fn insert_rating(
        &mut self,
        session_id: &str,
        seat: i32,
        rater_id: &str,
        scores: [i32; 3],
        now: Millis,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_ratings \
             (session_id, seat, rater_id, punctuality, diligence, discipline, rated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(session_id)
            .bind(seat)
            .bind(rater_id)
            .bind(scores[0])
            .bind(scores[1])
            .bind(scores[2])
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("rater and seat"))?;
        Ok(())
    }

    /// The seats of a session that `rater_id` has rated.
    pub(crate) async fn seats_rated_by(
        &mut self,
        session_id: &str,
        rater_id: &str,
    ) -> Result<Vec<i32>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i32>(
            "SELECT seat FROM session_ratings WHERE session_id = $1 AND rater_id = $2 ORDER BY seat")
            .bind(session_id)
            .bind(rater_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Whether the expert has a penalty for `reason` running at `now`.
    pub(crate) async fn has_running_penalty(
        &mut self,
        expert_id: &str,
        reason: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM expert_penalties WHERE expert_id = $1 AND reason_code = $2 \
             AND imposed_at <= $3 AND (until_at IS NULL OR until_at > $3)")
            .bind(expert_id)
            .bind(reason)
            .bind(now)
            .fetch_one(conn)
            .await)?
            > 0)
    }

    /// Every seated, confirmed or replaced seat of a root draw's family (the root and its
    /// linked draws): (draw id, token, state, root stratum), in draw then rank order.
    pub(crate) async fn family_seats(
        &mut self,
        root_id: &str,
    ) -> Result<Vec<(String, Vec<u8>, CandidateState, i32)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Vec<u8>, CandidateState, i32)>(
            "SELECT c.draw_id, c.token, c.state, COALESCE(d.parent_stratum, c.stratum) \
             FROM draw_candidates c JOIN draws d ON d.id = c.draw_id \
             WHERE (d.id = $1 OR d.parent_draw_id = $1) \
             AND c.state IN ('seated', 'confirmed', 'replaced') \
             ORDER BY d.created_at, c.draw_id, c.stratum, c.rank")
            .bind(root_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    pub(crate) async fn insert_session_representative(
        &mut self,
        session_id: &str,
        row: &RepresentativeRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO session_representatives \
             (session_id, seat, account_id, sealed_identity, sealed_join_code, named_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(session_id)
            .bind(row.seat)
            .bind(&row.account_id)
            .bind(&row.sealed_identity)
            .bind(&row.sealed_join_code)
            .bind(row.named_at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The representatives named for a session, by seat.
    pub(crate) async fn session_representatives(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<RepresentativeRow>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, RepresentativeRow>(
            "SELECT seat, account_id, sealed_identity, sealed_join_code, named_at \
             FROM session_representatives WHERE session_id = $1 ORDER BY seat")
            .bind(session_id)
            .fetch_all(conn)
            .await)?,
        )
    }

    /// The session a representative's login was issued for (one login per representative).
    pub(crate) async fn session_of_representative(
        &mut self,
        account_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT session_id FROM session_representatives WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await)?)
    }

    /// The accepted invitation of a seat: its id and sealed join code.
    pub(crate) async fn accepted_invitation(
        &mut self,
        draw_id: &str,
        token: &[u8],
    ) -> Result<Option<(String, Option<Vec<u8>>)>, StoreError> {
        Ok(
            on_conn!(self, conn => sqlx::query_as::<_, (String, Option<Vec<u8>>)>(
            "SELECT id, sealed_join_code FROM invitations \
             WHERE draw_id = $1 AND token = $2 AND state = 'accepted'")
            .bind(draw_id)
            .bind(token)
            .fetch_optional(conn)
            .await)?,
        )
    }

    /// Root draws in which an expert (by invitation tag) accepted a seat, newest first.
    pub(crate) async fn accepted_root_draws(
        &mut self,
        expert_tag: &[u8],
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_conn!(self, conn => sqlx::query_scalar::<_, String>(
            "SELECT COALESCE(d.parent_draw_id, d.id) FROM invitations i \
             JOIN draws d ON d.id = i.draw_id \
             WHERE i.expert_tag = $1 AND i.state = 'accepted' \
             ORDER BY i.created_at DESC LIMIT $2")
            .bind(expert_tag)
            .bind(limit)
            .fetch_all(conn)
            .await)?)
    }
}
