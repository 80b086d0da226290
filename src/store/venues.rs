//! The venue catalogue: venues, the workstations bookings hold in them, and sub-venue consent
//! requests.

use super::{StoreError, Tx, conflict_as, on_conn};
use crate::clock::Millis;
use crate::venue::{BookingState, ConsentState, HolderKind, VenueStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct VenueRow {
    pub(crate) id: String,
    pub(crate) center_id: String,
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) region_code: String,
    pub(crate) workstations: i32,
    pub(crate) remote_capable: bool,
    pub(crate) status: VenueStatus,
    pub(crate) created_at: Millis,
    pub(crate) updated_at: Millis,
    /// The owning center's username and name, from its account.
    pub(crate) center_username: String,
    pub(crate) center_name: Option<String>,
}

const VENUE_COLUMNS: &str = "v.id, v.center_id, v.name, v.address, v.region_code, \
     v.workstations, v.remote_capable, v.status, v.created_at, v.updated_at, \
     a.username AS center_username, a.center_name";
const VENUE_FROM: &str = "venues v JOIN accounts a ON a.id = v.center_id";

/// Which venues a listing wants; `None` is any.
#[derive(Debug, Clone, Default)]
pub(crate) struct VenueQuery<'a> {
    /// Digits the region code starts with.
    pub(crate) region_prefix: Option<&'a str>,
    pub(crate) status: Option<VenueStatus>,
    pub(crate) remote_capable: Option<bool>,
    pub(crate) center_id: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct BookingRow {
    pub(crate) id: String,
    pub(crate) venue_id: String,
    pub(crate) center_id: String,
    pub(crate) holder_kind: HolderKind,
    pub(crate) holder_id: String,
    pub(crate) starts_at: Millis,
    pub(crate) ends_at: Millis,
    pub(crate) workstations: i32,
    pub(crate) state: BookingState,
    pub(crate) created_at: Millis,
    pub(crate) released_at: Option<Millis>,
}

const BOOKING_COLUMNS: &str = "id, venue_id, center_id, holder_kind, holder_id, starts_at, \
     ends_at, workstations, state, created_at, released_at";

/// A consent request as written.
#[derive(Debug, Clone)]
pub(crate) struct NewConsent<'a> {
    pub(crate) id: &'a str,
    pub(crate) booking_id: &'a str,
    pub(crate) venue_id: &'a str,
    pub(crate) requester_id: &'a str,
    pub(crate) holder_kind: HolderKind,
    pub(crate) holder_id: &'a str,
    pub(crate) created_at: Millis,
}

/// A consent request with what its readers need: the venue, the centers by username, the
/// booking's window and workstations.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub(crate) id: String,
    pub(crate) booking_id: String,
    pub(crate) venue_id: String,
    pub(crate) venue_name: String,
    pub(crate) venue_center_id: String,
    pub(crate) venue_center: String,
    pub(crate) requester_id: String,
    pub(crate) requester: String,
    pub(crate) holder_kind: HolderKind,
    pub(crate) holder_id: String,
    pub(crate) starts_at: Millis,
    pub(crate) ends_at: Millis,
    pub(crate) workstations: i32,
    pub(crate) state: ConsentState,
    pub(crate) reason: Option<String>,
    pub(crate) answered_by: Option<String>,
    pub(crate) answered_at: Option<Millis>,
    pub(crate) created_at: Millis,
    /// The tender the holder (a draw, or a session's draw) is for.
    pub(crate) tender_name: Option<String>,
}

const CONSENT_SELECT: &str = "SELECT c.id, c.booking_id, c.venue_id, v.name AS venue_name, \
     v.center_id AS venue_center_id, vc.username AS venue_center, c.requester_id, \
     rq.username AS requester, c.holder_kind, c.holder_id, b.starts_at, b.ends_at, \
     b.workstations, c.state, c.reason, ans.username AS answered_by, c.answered_at, \
     c.created_at, d.tender_name \
     FROM venue_consents c \
     JOIN venue_bookings b ON b.id = c.booking_id \
     JOIN venues v ON v.id = c.venue_id \
     JOIN accounts vc ON vc.id = v.center_id \
     JOIN accounts rq ON rq.id = c.requester_id \
     LEFT JOIN accounts ans ON ans.id = c.answered_by \
     LEFT JOIN sessions s ON c.holder_kind = 'session' AND s.id = c.holder_id \
     LEFT JOIN draws d ON d.id = CASE WHEN c.holder_kind = 'draw' THEN c.holder_id \
     ELSE s.draw_id END";

impl Tx {
    /// Serialises the writers of a venue (bookings, changes, answers) until the transaction
    /// ends, as [`Tx::lock_draw`] does for a draw: SQLite's `BEGIN IMMEDIATE` already holds the
    /// database; PostgreSQL takes the row, so two bookings cannot both read the room as free.
    /// The log's head is taken first, for the reason `lock_draw` gives: every venue writer
    /// appends to the log, and no transaction may hold a venue while waiting for the head.
    /// Several venues are locked in id order, so two writers never wait on each other.
    pub(crate) async fn lock_venues(&mut self, ids: &[&str]) -> Result<(), StoreError> {
        if let Tx::Postgres(_) = self {
            if self.pending_audit().head.is_none() {
                let head = self.lock_audit_head().await?;
                self.pending_audit().head = Some(head);
            }
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            if let Tx::Postgres(tx) = self {
                for id in ids {
                    sqlx::query("SELECT id FROM venues WHERE id = $1 FOR UPDATE")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn insert_venue(&mut self, row: &VenueRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO venues (id, center_id, name, address, region_code, workstations, \
             remote_capable, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&row.id)
            .bind(&row.center_id)
            .bind(&row.name)
            .bind(&row.address)
            .bind(&row.region_code)
            .bind(row.workstations)
            .bind(row.remote_capable)
            .bind(row.status)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("center and venue name"))?;
        Ok(())
    }

    /// Writes a venue's changeable fields (not its center or creation time).
    pub(crate) async fn update_venue(&mut self, row: &VenueRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "UPDATE venues SET name = $2, address = $3, region_code = $4, workstations = $5, \
             remote_capable = $6, status = $7, updated_at = $8 WHERE id = $1")
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.address)
            .bind(&row.region_code)
            .bind(row.workstations)
            .bind(row.remote_capable)
            .bind(row.status)
            .bind(row.updated_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("center and venue name"))?;
        Ok(())
    }

    pub(crate) async fn venue(&mut self, id: &str) -> Result<Option<VenueRow>, StoreError> {
        let sql = format!("SELECT {VENUE_COLUMNS} FROM {VENUE_FROM} WHERE v.id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, VenueRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Venues matching `query`, by region code then name.
    pub(crate) async fn venues(
        &mut self,
        query: &VenueQuery<'_>,
        limit: i64,
    ) -> Result<Vec<VenueRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut number = 0;
        let mut next = || {
            number += 1;
            number
        };
        if query.region_prefix.is_some() {
            conditions.push(format!("v.region_code LIKE ${}", next()));
        }
        if query.status.is_some() {
            conditions.push(format!("v.status = ${}", next()));
        }
        if query.remote_capable.is_some() {
            conditions.push(format!("v.remote_capable = ${}", next()));
        }
        if query.center_id.is_some() {
            conditions.push(format!("v.center_id = ${}", next()));
        }
        let limit_at = next();
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {VENUE_COLUMNS} FROM {VENUE_FROM} {filter} \
             ORDER BY v.region_code, v.name, v.id LIMIT ${limit_at}"
        );
        // The prefix is digits only (checked by the caller), so it holds no LIKE wildcard.
        let pattern = query.region_prefix.map(|prefix| format!("{prefix}%"));
        Ok(on_conn!(self, conn => {
            let mut statement = sqlx::query_as::<_, VenueRow>(&sql);
            if let Some(pattern) = &pattern {
                statement = statement.bind(pattern);
            }
            if let Some(status) = query.status {
                statement = statement.bind(status);
            }
            if let Some(remote) = query.remote_capable {
                statement = statement.bind(remote);
            }
            if let Some(center) = query.center_id {
                statement = statement.bind(center);
            }
            statement.bind(limit).fetch_all(conn).await
        })?)
    }

    /// The bookings of `venue_id` that hold workstations over any part of `[start, end)`.
    pub(crate) async fn held_bookings(
        &mut self,
        venue_id: &str,
        start: Millis,
        end: Millis,
    ) -> Result<Vec<BookingRow>, StoreError> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM venue_bookings WHERE venue_id = $1 AND state = $2 \
             AND starts_at < $4 AND ends_at > $3 ORDER BY starts_at, id"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, BookingRow>(&sql)
            .bind(venue_id)
            .bind(BookingState::Held)
            .bind(start)
            .bind(end)
            .fetch_all(conn)
            .await)?)
    }

    pub(crate) async fn insert_booking(&mut self, row: &BookingRow) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO venue_bookings (id, venue_id, center_id, holder_kind, holder_id, \
             starts_at, ends_at, workstations, state, created_at, released_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&row.id)
            .bind(&row.venue_id)
            .bind(&row.center_id)
            .bind(row.holder_kind)
            .bind(&row.holder_id)
            .bind(row.starts_at)
            .bind(row.ends_at)
            .bind(row.workstations)
            .bind(row.state)
            .bind(row.created_at)
            .bind(row.released_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))
        .map_err(conflict_as("venue and holder"))?;
        Ok(())
    }

    /// Every booking a holder has made, held or not, oldest first.
    pub(crate) async fn bookings_of_holder(
        &mut self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<Vec<BookingRow>, StoreError> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM venue_bookings WHERE holder_kind = $1 \
             AND holder_id = $2 ORDER BY created_at, id"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, BookingRow>(&sql)
            .bind(kind)
            .bind(holder_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Moves a held booking to `state` (cancelled or refused); false if it was not held.
    pub(crate) async fn release_booking(
        &mut self,
        id: &str,
        state: BookingState,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE venue_bookings SET state = $2, released_at = $3 WHERE id = $1 AND state = $4")
            .bind(id)
            .bind(state)
            .bind(at)
            .bind(BookingState::Held)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    pub(crate) async fn insert_consent(&mut self, row: &NewConsent<'_>) -> Result<(), StoreError> {
        on_conn!(self, conn => sqlx::query(
            "INSERT INTO venue_consents (id, booking_id, venue_id, requester_id, holder_kind, \
             holder_id, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(row.id)
            .bind(row.booking_id)
            .bind(row.venue_id)
            .bind(row.requester_id)
            .bind(row.holder_kind)
            .bind(row.holder_id)
            .bind(ConsentState::Requested)
            .bind(row.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub(crate) async fn consent(&mut self, id: &str) -> Result<Option<ConsentRow>, StoreError> {
        let sql = format!("{CONSENT_SELECT} WHERE c.id = $1");
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ConsentRow>(&sql)
            .bind(id)
            .fetch_optional(conn)
            .await)?)
    }

    /// Consent requests newest first: those about `account_id`'s venues or made by it, or
    /// every one when `account_id` is `None`; only those in `state` when given.
    pub(crate) async fn consents(
        &mut self,
        account_id: Option<&str>,
        state: Option<ConsentState>,
        limit: i64,
    ) -> Result<Vec<ConsentRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut number = 0;
        if account_id.is_some() {
            number += 1;
            conditions.push(format!(
                "(v.center_id = ${number} OR c.requester_id = ${number})"
            ));
        }
        if state.is_some() {
            number += 1;
            conditions.push(format!("c.state = ${number}"));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "{CONSENT_SELECT} {filter} ORDER BY c.created_at DESC, c.id DESC LIMIT ${}",
            number + 1
        );
        Ok(on_conn!(self, conn => {
            let mut statement = sqlx::query_as::<_, ConsentRow>(&sql);
            if let Some(account_id) = account_id {
                statement = statement.bind(account_id);
            }
            if let Some(state) = state {
                statement = statement.bind(state);
            }
            statement.bind(limit).fetch_all(conn).await
        })?)
    }

    /// Every consent request made for a holder, oldest first.
    pub(crate) async fn consents_of_holder(
        &mut self,
        kind: HolderKind,
        holder_id: &str,
    ) -> Result<Vec<ConsentRow>, StoreError> {
        let sql = format!(
            "{CONSENT_SELECT} WHERE c.holder_kind = $1 AND c.holder_id = $2 \
             ORDER BY c.created_at, c.id"
        );
        Ok(on_conn!(self, conn => sqlx::query_as::<_, ConsentRow>(&sql)
            .bind(kind)
            .bind(holder_id)
            .fetch_all(conn)
            .await)?)
    }

    /// Moves a requested consent to its final `state` (accepted, refused, withdrawn); false if
    /// it was no longer requested.
    pub(crate) async fn answer_consent(
        &mut self,
        id: &str,
        state: ConsentState,
        reason: Option<&str>,
        answered_by: Option<&str>,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let changed = on_conn!(self, conn => sqlx::query(
            "UPDATE venue_consents SET state = $2, reason = $3, answered_by = $4, \
             answered_at = $5 WHERE id = $1 AND state = $6")
            .bind(id)
            .bind(state)
            .bind(reason)
            .bind(answered_by)
            .bind(at)
            .bind(ConsentState::Requested)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }
}
