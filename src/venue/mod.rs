//! The venue catalogue (docs/VENUES.md): each trading center's evaluation rooms (name,
//! address, county, workstations, whether it can host remote sessions, open or closed for
//! maintenance), the workstations a holder — an evaluation session, or a draw — holds in a
//! room for its evaluation window, and the consent a center gives before another center uses
//! its room as a sub-venue.
//!
//! - `rules`: the pure core: what a venue's fields may be, and how busy a room is over a
//!   window (the peak of its held workstations, and where it is).
//! - `bookings`: holding, releasing and asking consent inside a caller's transaction, so that a
//!   session or a draw bound to venues books its venues in the same transaction as its own
//!   rows; the venue rows are locked first, so two bookings never overbook a room.
//! - `service`: [`VenueService`]: the catalogue and the answers to consent requests over HTTPS.
//!
//! Every change is an audit entry in the same transaction as the change.

pub(crate) mod bookings;
pub(crate) mod rules;
mod service;

use serde::{Deserialize, Serialize};

pub use bookings::OutstandingConsent;
pub use service::VenueService;
pub(crate) use service::{
    CatalogueVenue, CatalogueVenueChanges, ConsentAnswer, ConsentRequestView, NewCatalogueVenue,
    VenueFilter,
};

use crate::audit::AuditError;
use crate::clock::{Millis, to_rfc3339};
use crate::store::StoreError;
use crate::store::text_enum::text_enum;

/// The audit entry of a center accepting a consent request (`refs`: the holder — `draw` or
/// `session` — and `venue`). `sealdraw audit draws` reads it back (DRAW-SPEC.md §7a).
pub(crate) const CONSENT_ACCEPTED_ENTRY: &str = "venue.consent_accepted";
/// The audit entry of a center refusing one, with the same `refs`.
pub(crate) const CONSENT_REFUSED_ENTRY: &str = "venue.consent_refused";

text_enum! {
    /// Whether a venue takes bookings. Closing it keeps the bookings it holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum VenueStatus {
        Open = "open",
        ClosedForMaintenance = "closed_for_maintenance",
    }
}

text_enum! {
    /// What holds a booking: an evaluation session (by its id), or a draw (by its id) whose
    /// strata are bound to venues.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum HolderKind {
        Session = "session",
        Draw = "draw",
    }
}

text_enum! {
    /// A booking holds its workstations until its holder is done with them (its session
    /// closed), cancels them, or the venue's center refuses; each of those is final.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum BookingState {
        Held = "held",
        /// The holder is done: its evaluation ended before the window did.
        Released = "released",
        Cancelled = "cancelled",
        Refused = "refused",
    }
}

text_enum! {
    /// A sub-venue consent request is answered once; `withdrawn` when its booking was cancelled
    /// before an answer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentState {
        Requested = "requested",
        Accepted = "accepted",
        Refused = "refused",
        Withdrawn = "withdrawn",
    }
}

/// Who holds a booking.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Holder {
    /// session or draw.
    #[schema(value_type = String)]
    pub(crate) kind: HolderKind,
    pub(crate) id: String,
}

impl Holder {
    pub fn session(id: &str) -> Self {
        Self {
            kind: HolderKind::Session,
            id: id.to_owned(),
        }
    }

    /// A root draw whose strata are bound to venues.
    pub fn draw(id: &str) -> Self {
        Self {
            kind: HolderKind::Draw,
            id: id.to_owned(),
        }
    }
}

/// A half-open stretch of time, `[start, end)` in Unix milliseconds: two windows overlap when
/// each starts before the other ends, so one session may start when another ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: Millis,
    pub(crate) end: Millis,
}

impl Window {
    /// `None` unless the window has a length.
    pub(crate) fn new(start: Millis, end: Millis) -> Option<Self> {
        (start < end).then_some(Self { start, end })
    }

    pub(crate) fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to {}", to_rfc3339(self.start), to_rfc3339(self.end))
    }
}

/// A booking refused because the room has too few free workstations somewhere in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Full {
    pub(crate) venue_id: String,
    pub(crate) venue_name: String,
    pub(crate) workstations: u32,
    /// What the refused booking asked for.
    pub(crate) requested: u32,
    /// What other bookings hold in the busiest stretch of the window.
    pub(crate) held: u32,
    /// The busiest stretch: where the refused booking does not fit.
    #[serde(serialize_with = "window_json")]
    pub(crate) window: Window,
    /// The request field that named the venue, where there is one (`venues[1].venue_id`).
    #[serde(skip)]
    pub(crate) field: Option<String>,
}

fn window_json<S: serde::Serializer>(window: &Window, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("start", &to_rfc3339(window.start))?;
    map.serialize_entry("end", &to_rfc3339(window.end))?;
    map.end()
}

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "venue {:?} has {} workstations and {} of them are held from {}; {} more do not fit",
            self.venue_name, self.workstations, self.held, self.window, self.requested
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("no such venue")]
    NotFound,
    #[error("no such sub-venue request")]
    NoSuchRequest,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Full(Box<Full>),
    #[error("venue {name:?} is closed for maintenance and takes no bookings")]
    Closed { name: String, field: Option<String> },
    #[error("the request has already been answered ({0})")]
    AlreadyAnswered(ConsentState),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl VenueError {
    /// The request field at fault, where there is one.
    pub(crate) fn field(&self) -> Option<String> {
        match self {
            Self::Invalid { field, .. } => Some(field.clone()),
            Self::Full(full) => full.field.clone(),
            Self::Closed { field, .. } => field.clone(),
            _ => None,
        }
    }
}

pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> VenueError {
    VenueError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_states_serialise_as_their_column_text() {
        crate::store::text_enum::assert_serde_is_text::<VenueStatus>();
        crate::store::text_enum::assert_serde_is_text::<HolderKind>();
        crate::store::text_enum::assert_serde_is_text::<BookingState>();
        crate::store::text_enum::assert_serde_is_text::<ConsentState>();
    }

    #[test]
    fn windows_are_half_open() {
        let morning = Window::new(9, 12).unwrap();
        assert!(morning.overlaps(&Window::new(11, 14).unwrap()));
        assert!(!morning.overlaps(&Window::new(12, 14).unwrap()));
        assert!(!morning.overlaps(&Window::new(1, 9).unwrap()));
        assert!(morning.overlaps(&Window::new(1, 100).unwrap()));
        assert_eq!(Window::new(5, 5), None);
    }

    #[test]
    fn a_full_venue_names_its_busiest_window() {
        let full = Full {
            venue_id: "v".into(),
            venue_name: "3 号评标室".into(),
            workstations: 4,
            requested: 2,
            held: 3,
            window: Window::new(1_795_683_600_000, 1_795_698_000_000).unwrap(),
            field: None,
        };
        let text = full.to_string();
        assert!(
            text.contains("2026-11-26T09:00:00.000Z to 2026-11-26T13:00:00.000Z"),
            "{text}"
        );
        let json = serde_json::to_value(&full).unwrap();
        assert_eq!(json["window"]["start"], "2026-11-26T09:00:00.000Z");
        assert_eq!(json["held"], 3);
    }
}
