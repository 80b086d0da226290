//! Holding a venue's workstations for a holder's window, releasing them, and the consent a
//! sub-venue's center gives, inside the caller's transaction: a session books its venues in
//! the transaction that creates it (a draw bound to venues, in the one that logs its intent),
//! so a refusal writes nothing of either.
//!
//! Every writer here locks the venues it touches first ([`Tx::lock_venues`]) and then reads
//! what they hold, so two bookings racing for the last workstations are decided one after the
//! other on both backends, and the second sees the first.

use serde::Serialize;

use super::rules::{self, Room};
use super::{BookingState, ConsentState, Holder, VenueError, VenueStatus, Window, invalid};
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::Principal;
use crate::clock::{Millis, to_rfc3339};
use crate::store::Tx;
use crate::store::venues::{BookingRow, NewConsent, VenueQuery, VenueRow};

/// A catalogue venue that a holder asks for, and how the request named it.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub(crate) venue_id: String,
    pub(crate) workstations: u32,
    /// The main venue must be the requester's own; any venue may be a sub-venue, and another
    /// center's needs that center's consent.
    pub(crate) main: bool,
    /// The venue must be able to host remote sessions (every venue of a cross-site session).
    pub(crate) remote: bool,
    /// The request fields that named the venue and the workstations (`venues[1].venue_id`,
    /// `venues[1].seats`), for problems.
    pub(crate) venue_field: String,
    pub(crate) count_field: String,
}

/// A sub-venue whose center has not accepted (yet, or at all): what blocks a holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutstandingConsent {
    pub(crate) request_id: String,
    pub(crate) venue_id: String,
    pub(crate) venue_name: String,
    /// The venue's center (username).
    pub(crate) venue_center: String,
    /// requested (no answer yet) or refused.
    #[schema(value_type = String)]
    pub state: ConsentState,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl std::fmt::Display for OutstandingConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.state, &self.reason) {
            (ConsentState::Refused, Some(reason)) => write!(
                f,
                "{} ({}) refused: {reason}",
                self.venue_name, self.venue_center
            ),
            (ConsentState::Refused, None) => {
                write!(f, "{} ({}) refused", self.venue_name, self.venue_center)
            }
            _ => write!(
                f,
                "{} ({}) has not answered yet",
                self.venue_name, self.venue_center
            ),
        }
    }
}

/// Reads and checks the venue a claim names, before anything is written: it exists, is open,
/// can host remote sessions if it must, is the requester's own if it is the main venue, and
/// has at least the workstations asked for.
pub(crate) async fn resolve(
    tx: &mut Tx,
    requester: &Principal,
    claim: &Claim,
) -> Result<VenueRow, VenueError> {
    let venue = match uuid::Uuid::try_parse(&claim.venue_id) {
        Ok(_) => tx.venue(&claim.venue_id).await?,
        Err(_) => None,
    }
    .ok_or_else(|| invalid(&claim.venue_field, "no venue in the catalogue has this id"))?;
    if claim.main && venue.center_id != requester.account_id {
        return Err(invalid(
            &claim.venue_field,
            format!(
                "{:?} is {}'s venue: the main venue is one of your own, and another center's \
                 venue can only be a sub-venue, with that center's consent",
                venue.name, venue.center_username
            ),
        ));
    }
    if venue.status != VenueStatus::Open {
        return Err(VenueError::Closed {
            name: venue.name,
            field: Some(claim.venue_field.clone()),
        });
    }
    if claim.remote && !venue.remote_capable {
        return Err(invalid(
            &claim.venue_field,
            format!("{:?} cannot host remote sessions", venue.name),
        ));
    }
    if claim.workstations == 0 || claim.workstations as i64 > i64::from(venue.workstations) {
        return Err(invalid(
            &claim.count_field,
            format!(
                "must be from 1 to {}, the workstations of {:?}",
                venue.workstations, venue.name
            ),
        ));
    }
    Ok(venue)
}

/// Holds each claimed venue's workstations for `holder` over `window`, and asks consent of
/// the center of every venue that is not the requester's. Refused as a whole (nothing
/// written) when a venue is unknown, closed or full somewhere in the window. Each booking and
/// each consent request is an audit entry.
pub(crate) async fn hold(
    tx: &mut Tx,
    requester: &Principal,
    holder: &Holder,
    window: Window,
    claims: &[Claim],
    now: Millis,
) -> Result<(), VenueError> {
    for (index, claim) in claims.iter().enumerate() {
        if claims[..index]
            .iter()
            .any(|other| other.venue_id == claim.venue_id)
        {
            return Err(invalid(&claim.venue_field, "names a venue twice"));
        }
    }
    let ids: Vec<&str> = claims.iter().map(|c| c.venue_id.as_str()).collect();
    tx.lock_venues(&ids).await?;
    for claim in claims {
        // Read again under the lock: the venue may have changed since it was resolved.
        let venue = resolve(tx, requester, claim).await?;
        let bookings = held_in(tx, &venue.id, window).await?;
        rules::check_fits(
            &Room {
                id: &venue.id,
                name: &venue.name,
                workstations: venue.workstations.max(0) as u32,
            },
            window,
            claim.workstations,
            &bookings,
        )
        .map_err(|mut full| {
            full.field = Some(claim.venue_field.clone());
            VenueError::Full(full)
        })?;
        let booking = BookingRow {
            id: uuid::Uuid::now_v7().to_string(),
            venue_id: venue.id.clone(),
            center_id: requester.account_id.clone(),
            holder_kind: holder.kind,
            holder_id: holder.id.clone(),
            starts_at: window.start,
            ends_at: window.end,
            workstations: claim.workstations as i32,
            state: BookingState::Held,
            created_at: now,
            released_at: None,
        };
        tx.insert_booking(&booking).await?;
        let needs_consent = venue.center_id != requester.account_id;
        audit::append(
            tx,
            &holder_entry("venue.booked", now, Actor::of(requester), holder)
                .reference("venue", &venue.id)
                .reference("booking", &booking.id)
                .data("window_start", to_rfc3339(window.start))
                .data("window_end", to_rfc3339(window.end))
                .data("workstations", claim.workstations)
                .data("needs_consent", needs_consent),
        )
        .await?;
        if needs_consent {
            let id = uuid::Uuid::now_v7().to_string();
            tx.insert_consent(&NewConsent {
                id: &id,
                booking_id: &booking.id,
                venue_id: &venue.id,
                requester_id: &requester.account_id,
                holder_kind: holder.kind,
                holder_id: &holder.id,
                created_at: now,
            })
            .await?;
            audit::append(
                tx,
                &holder_entry("venue.consent_requested", now, Actor::of(requester), holder)
                    .reference("venue", &venue.id)
                    .reference("booking", &booking.id)
                    .reference("venue_request", &id)
                    .data("venue_center", &venue.center_id),
            )
            .await?;
        }
    }
    Ok(())
}

/// The open, remote-capable venues `wanted` accepts that have `workstations` free over all of
/// `window`, by id: what a stratum whose sub-venue is chosen at random is chosen from. Read
/// without locks; [`hold`] checks each again under its lock.
pub(crate) async fn available(
    tx: &mut Tx,
    window: Window,
    workstations: u32,
    wanted: impl Fn(&VenueRow) -> bool,
) -> Result<Vec<VenueRow>, VenueError> {
    let venues = tx
        .venues(
            &VenueQuery {
                status: Some(VenueStatus::Open),
                remote_capable: Some(true),
                ..VenueQuery::default()
            },
            i64::from(u16::MAX),
        )
        .await?;
    let mut free = Vec::new();
    for venue in venues {
        if wanted(&venue) && free_workstations(tx, &venue, window).await? >= workstations {
            free.push(venue);
        }
    }
    free.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(free)
}

/// Ends every booking `holder` still holds, as `released` (done with them) or `cancelled`,
/// and withdraws their unanswered consent requests; how many bookings ended. Each is an audit
/// entry.
pub(crate) async fn release(
    tx: &mut Tx,
    actor: Actor,
    holder: &Holder,
    state: BookingState,
    now: Millis,
) -> Result<usize, VenueError> {
    release_of(tx, actor, holder, state, now, None).await
}

/// [`release`] for the bookings `holder` holds at `venue_ids` only: a draw's candidate venues
/// that were not chosen.
pub(crate) async fn release_venues(
    tx: &mut Tx,
    actor: Actor,
    holder: &Holder,
    venue_ids: &[String],
    now: Millis,
) -> Result<usize, VenueError> {
    release_of(
        tx,
        actor,
        holder,
        BookingState::Released,
        now,
        Some(venue_ids),
    )
    .await
}

async fn release_of(
    tx: &mut Tx,
    actor: Actor,
    holder: &Holder,
    state: BookingState,
    now: Millis,
    only: Option<&[String]>,
) -> Result<usize, VenueError> {
    let kind = match state {
        BookingState::Released => "venue.booking_released",
        BookingState::Cancelled => "venue.booking_cancelled",
        BookingState::Held | BookingState::Refused => {
            return Err(invalid(
                "state",
                "a holder releases or cancels its bookings; only the venue's center refuses",
            ));
        }
    };
    let held: Vec<BookingRow> = tx
        .bookings_of_holder(holder.kind, &holder.id)
        .await?
        .into_iter()
        .filter(|b| b.state == BookingState::Held)
        .filter(|b| only.is_none_or(|ids| ids.contains(&b.venue_id)))
        .collect();
    let ids: Vec<&str> = held.iter().map(|b| b.venue_id.as_str()).collect();
    tx.lock_venues(&ids).await?;
    let consents = tx.consents_of_holder(holder.kind, &holder.id).await?;
    let mut released = 0;
    for booking in &held {
        if !tx.release_booking(&booking.id, state, now).await? {
            continue;
        }
        released += 1;
        let mut entry = holder_entry(kind, now, actor.clone(), holder)
            .reference("venue", &booking.venue_id)
            .reference("booking", &booking.id);
        if let Some(consent) = consents.iter().find(|c| c.booking_id == booking.id)
            && tx
                .answer_consent(&consent.id, ConsentState::Withdrawn, None, None, now)
                .await?
        {
            entry = entry.reference("venue_request", &consent.id);
        }
        audit::append(tx, &entry).await?;
    }
    Ok(released)
}

/// The sub-venues of `holder` whose centers have not accepted: requested and unanswered, or
/// refused. Empty when every venue of another center has accepted (or there is none). A
/// withdrawn request (its booking was cancelled) blocks nothing.
pub(crate) async fn consent_outstanding(
    tx: &mut Tx,
    holder: &Holder,
) -> Result<Vec<OutstandingConsent>, VenueError> {
    Ok(tx
        .consents_of_holder(holder.kind, &holder.id)
        .await?
        .into_iter()
        .filter(|c| matches!(c.state, ConsentState::Requested | ConsentState::Refused))
        .map(|c| OutstandingConsent {
            request_id: c.id,
            venue_id: c.venue_id,
            venue_name: c.venue_name,
            venue_center: c.venue_center,
            state: c.state,
            reason: c.reason,
        })
        .collect())
}

/// What `venue_id`'s bookings hold over any part of `window`.
async fn held_in(
    tx: &mut Tx,
    venue_id: &str,
    window: Window,
) -> Result<Vec<(Window, u32)>, VenueError> {
    Ok(tx
        .held_bookings(venue_id, window.start, window.end)
        .await?
        .iter()
        .filter_map(held_window)
        .collect())
}

/// The workstations of `venue` free over all of `window`: its own, less the busiest moment's
/// bookings.
pub(crate) async fn free_workstations(
    tx: &mut Tx,
    venue: &VenueRow,
    window: Window,
) -> Result<u32, VenueError> {
    let busiest = rules::peak(window, &held_in(tx, &venue.id, window).await?);
    Ok((venue.workstations.max(0) as u32).saturating_sub(busiest.held))
}

/// A booking's window and workstations; `None` for a row that breaks the table's own checks.
pub(crate) fn held_window(booking: &BookingRow) -> Option<(Window, u32)> {
    Some((
        Window::new(booking.starts_at, booking.ends_at)?,
        u32::try_from(booking.workstations).ok()?,
    ))
}

/// An entry that names its holder the way other entries name sessions and draws.
pub(crate) fn holder_entry(
    kind: &'static str,
    now: Millis,
    actor: Actor,
    holder: &Holder,
) -> AuditEntry {
    AuditEntry::new(kind, now, actor).reference(holder.kind.as_str(), &holder.id)
}
