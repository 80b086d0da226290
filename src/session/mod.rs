//! Evaluation sessions (DESIGN §6, docs/SESSIONS.md, docs/PROTOCOL.md): a confirmed committee
//! evaluates at a main venue with sub-venues in other cities, or each expert at their own seat.
//! The server coordinates it over websockets: seats, phases and their preconditions, hidden
//! score sheets, clarifications, warnings, replacements, signatures, and ratings afterwards.
//! Every step is a numbered session event (persisted before it is sent, so clients resume and
//! instances share sessions) and an audit entry in the same transaction.
//!
//! Experts appear as "Expert n" and their draw token; no message, event or entry names them.

pub(crate) mod connection;
pub(crate) mod events;
pub(crate) mod frame_limit;
pub(crate) mod hub;
pub mod protocol;
pub mod rules;
mod service;
pub(crate) mod slots;
pub(crate) mod states;

pub(crate) use events::{Audience, EventKind};
pub(crate) use hub::Hub;
pub(crate) use service::SessionService;
pub(crate) use states::{
    Assignment, ClarificationState, EvaluationMethod, RejectionGround, RejectionState, RoleName,
    SeatState, SessionMode, SheetState, SignatureKind, VoidReason,
};

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::auth::Role;
use crate::crypto::seal::SealError;
use crate::draw::service::DrawServiceError;
use crate::store::StoreError;
use crate::venue::VenueError;
use rules::{Criterion, Missing, Phase};

/// Who someone is within one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionRole {
    /// The main venue's operator: the center that asked for the draw.
    Host,
    /// A sub-venue's operator (another trading center), by venue number.
    Operator(u32),
    Supervisor,
    /// A member of the committee, by seat number ("Expert n").
    Expert(u32),
}

impl SessionRole {
    pub(crate) fn name(self) -> RoleName {
        match self {
            SessionRole::Host => RoleName::Host,
            SessionRole::Operator(_) => RoleName::Operator,
            SessionRole::Supervisor => RoleName::Supervisor,
            SessionRole::Expert(_) => RoleName::Expert,
        }
    }

    pub(crate) fn seat(self) -> Option<u32> {
        match self {
            SessionRole::Expert(seat) => Some(seat),
            _ => None,
        }
    }

    /// Whether an event for `audience` reaches this role: staff are the host, the operators
    /// and the supervisors.
    pub(crate) fn sees(self, audience: &Audience) -> bool {
        audience
            .recipients()
            .iter()
            .any(|recipient| match recipient {
                events::Recipient::All => true,
                events::Recipient::Staff => !matches!(self, SessionRole::Expert(_)),
                events::Recipient::Supervisors => self == SessionRole::Supervisor,
                events::Recipient::Seat(seat) => self == SessionRole::Expert(*seat),
            })
    }

    /// How the role appears to others ("Expert 3", "host", "operator of venue 2").
    pub(crate) fn label(self) -> String {
        match self {
            SessionRole::Host => "host".into(),
            SessionRole::Operator(venue) => format!("operator of venue {venue}"),
            SessionRole::Supervisor => "supervisor".into(),
            SessionRole::Expert(seat) => seat_label(seat),
        }
    }
}

pub(crate) fn seat_label(seat: u32) -> String {
    format!("Expert {seat}")
}

/// A tenderer's representative's seat (招标人代表): named, not drawn, and so labelled apart,
/// which says nothing about the drawn experts, who stay "Expert n".
pub(crate) fn representative_label(seat: u32) -> String {
    format!("Representative {seat}")
}

/// A connected (or ticketed) participant.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub session_id: String,
    pub(crate) account_id: String,
    pub role: SessionRole,
}

impl Member {
    pub(crate) fn actor(&self) -> Actor {
        Actor::Account {
            id: self.account_id.clone(),
            role: match self.role {
                SessionRole::Host | SessionRole::Operator(_) => Role::Center,
                SessionRole::Supervisor => Role::Supervisor,
                SessionRole::Expert(_) => Role::Expert,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("no such session")]
    NotFound,
    #[error("no such draw")]
    NoSuchDraw,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the session is in {phase}: {detail}")]
    WrongPhase { phase: &'static str, detail: String },
    #[error("the move to {to} is not possible yet: {}", summary(.missing))]
    Preconditions {
        to: &'static str,
        missing: Vec<Missing>,
    },
    #[error("{0}")]
    BadTicket(&'static str),
    #[error(
        "this account already has {per_account} session connections open on this server; \
         close one (another tab or device) first"
    )]
    TooManyConnections { per_account: usize },
    #[error("the join code is wrong")]
    WrongJoinCode,
    /// A catalogue venue refused the session's booking (closed, full, …).
    #[error(transparent)]
    Venue(VenueError),
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("sealing failed: {0}")]
    Sealing(#[from] SealError),
    #[error("randomness unavailable")]
    Randomness,
    #[error("stored session is inconsistent: {0}")]
    Corrupt(String),
}

fn summary(missing: &[Missing]) -> String {
    missing
        .iter()
        .map(|m| {
            if m.seats.is_empty() {
                m.detail.clone()
            } else {
                let seats: Vec<String> = if m.labels.len() == m.seats.len() {
                    m.labels.clone()
                } else {
                    m.seats.iter().map(|s| seat_label(*s)).collect()
                };
                format!("{} ({})", m.detail, seats.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl SessionError {
    /// The stable code a websocket reply and a problem document carry.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            SessionError::Invalid { .. } => "invalid-request",
            SessionError::NotFound => "no-such-session",
            SessionError::NoSuchDraw => "no-such-draw",
            SessionError::Forbidden(_) => "forbidden",
            SessionError::Conflict(_) => "conflict",
            SessionError::WrongPhase { .. } => "wrong-phase",
            SessionError::Preconditions { .. } => "precondition-failed",
            SessionError::BadTicket(_) => "bad-ticket",
            SessionError::TooManyConnections { .. } => "too-many-connections",
            SessionError::WrongJoinCode => "wrong-join-code",
            SessionError::Draw(DrawServiceError::Held(crate::draw::DrawHold::Suspended)) => {
                "session-suspended"
            }
            SessionError::Draw(DrawServiceError::Held(crate::draw::DrawHold::Cancelled)) => {
                "session-cancelled"
            }
            SessionError::Draw(_) => "draw-refused",
            SessionError::Venue(_) => "venue-refused",
            SessionError::Randomness => "unavailable",
            _ => "internal-error",
        }
    }

    /// Whether the error is the server's fault (logged with its cause, answered opaquely).
    pub(crate) fn is_internal(&self) -> bool {
        matches!(
            self,
            SessionError::Store(_)
                | SessionError::Audit(_)
                | SessionError::Sealing(_)
                | SessionError::Corrupt(_)
                | SessionError::Randomness
        ) || matches!(
            self,
            SessionError::Venue(VenueError::Store(_) | VenueError::Audit(_))
        ) || matches!(
            self,
            SessionError::Draw(
                DrawServiceError::Store(_)
                    | DrawServiceError::Audit(_)
                    | DrawServiceError::Sealing(_)
                    | DrawServiceError::Corrupt(_)
                    | DrawServiceError::Randomness
            )
        )
    }

    pub(crate) fn field(&self) -> Option<String> {
        match self {
            SessionError::Invalid { field, .. } => Some(field.clone()),
            SessionError::WrongJoinCode => Some("join_code".into()),
            SessionError::Venue(error) => error.field(),
            _ => None,
        }
    }
}

/// A request field the catalogue refused is a field of the session's request like any other.
impl From<VenueError> for SessionError {
    fn from(error: VenueError) -> Self {
        match error {
            VenueError::Invalid { field, problem } => Self::Invalid { field, problem },
            other => Self::Venue(other),
        }
    }
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> SessionError {
    SessionError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

fn corrupt(what: impl std::fmt::Display) -> SessionError {
    SessionError::Corrupt(what.to_string())
}

/// A venue as the request names it: the first is the main venue (operated by the host).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewVenue {
    /// A venue of the catalogue (docs/VENUES.md): the session holds `seats` of its
    /// workstations for the draw's evaluation window, and another center's venue asks that
    /// center's consent. Without it the venue is named by `name` and `operator` alone.
    #[serde(default)]
    pub(crate) venue_id: Option<String>,
    /// Required without `venue_id`; with it, the catalogue's name when omitted.
    #[serde(default)]
    pub name: String,
    /// The username of the trading center that operates a sub-venue; the main venue's
    /// operator is the host and may be omitted. With `venue_id`, the venue's center (omit it).
    #[serde(default)]
    pub(crate) operator: Option<String>,
    pub(crate) seats: u32,
}

/// A tenderer's representative (招标人代表, 招标投标法 §37) as the host names them when
/// opening the session. Sealed once stored; never in an event, an entry or the report. No
/// `Debug`: who they are must not reach a log.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRepresentative {
    /// 1 to 50 characters, one line.
    pub(crate) name: String,
    /// Their employer (the tenderer, or the agency acting for it): 1 to 100 characters.
    #[serde(default)]
    pub(crate) employer: Option<String>,
    /// Their position or professional title: 1 to 50 characters.
    #[serde(default)]
    pub(crate) title: Option<String>,
}

/// A center's request for a session, as parsed from the API. No `Debug`: it names the
/// tenderer's representatives.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSession {
    /// The completed root draw whose committee evaluates.
    pub draw_id: String,
    /// Cross-site: the main venue first, then at least one sub-venue. Distributed: none.
    #[serde(default)]
    pub(crate) venues: Vec<NewVenue>,
    /// Usernames of the supervisors attached to the session (at least one).
    pub(crate) supervisors: Vec<String>,
    /// The bidders' labels, as the evaluation refers to them.
    pub(crate) bidders: Vec<String>,
    /// Each bidder's unified social credit code (GB 32100), in the order of `bidders`, so
    /// supervision can follow a company across projects; none, or one per bidder.
    #[serde(default)]
    pub(crate) bidder_credit_codes: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub(crate) criteria: Vec<Criterion>,
    /// Cross-site: random (default) or in_order.
    #[serde(default)]
    pub(crate) assignment: Option<Assignment>,
    /// A sheet deviates when its total is further than this percentage from the median.
    #[serde(default)]
    pub(crate) deviation_percent: Option<u32>,
    /// How the report ranks the bids: comprehensive (default) or lowest_price.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) method: Option<EvaluationMethod>,
    /// The tenderer's representatives on the committee, as many as the draw's request
    /// planned (`committee.representatives`; none when it planned none). Each gets a seat
    /// ("Representative n") and a login activated with a one-time code.
    #[serde(default)]
    pub(crate) representatives: Vec<NewRepresentative>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct VenueView {
    pub(crate) venue: u32,
    pub name: String,
    pub(crate) seats: u32,
    pub(crate) main: bool,
    /// The catalogue venue whose workstations the session holds, when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) venue_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionSeatView {
    pub seat: u32,
    /// "Expert n".
    pub(crate) label: String,
    pub(crate) venue: Option<u32>,
    /// active, or void once its member was replaced.
    #[schema(value_type = String)]
    pub state: SeatState,
    #[schema(value_type = Option<String>)]
    pub(crate) void_reason: Option<VoidReason>,
    /// The draw still holds the member as confirmed (a successor awaits acceptance until then).
    pub(crate) confirmed: bool,
    pub(crate) checked_in: bool,
    pub(crate) declared: bool,
    #[schema(value_type = Option<String>)]
    pub(crate) signed: Option<SignatureKind>,
    /// A tenderer's representative's seat ("Representative n"); absent for a drawn expert's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) representative: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionView {
    pub session_id: String,
    pub draw_id: String,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    #[schema(value_type = String)]
    pub(crate) mode: SessionMode,
    pub(crate) phase: Phase,
    #[schema(value_type = String)]
    pub(crate) assignment: Assignment,
    /// For a random assignment: the commitment to the server's secret (hex), published at
    /// creation; the secret is revealed in the seat-assignment audit entry.
    pub(crate) assignment_commitment: Option<String>,
    pub contributions: u32,
    pub(crate) venues: Vec<VenueView>,
    pub(crate) supervisors: u32,
    pub(crate) committee_size: u32,
    pub(crate) seats: Vec<SessionSeatView>,
    pub(crate) chair: Option<u32>,
    pub(crate) bidders: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub(crate) criteria: Vec<Criterion>,
    pub(crate) deviation_percent: u32,
    /// How the report ranks the bids and names its candidates.
    #[schema(value_type = String)]
    pub(crate) method: EvaluationMethod,
    /// The report's SHA-256 once it is ready to sign, and as signed once closed.
    pub(crate) report_sha256: Option<String>,
    /// When the evaluation is due to end (RFC 3339): the draw's evaluation window, moved later
    /// by each extension.
    pub(crate) ends_at: String,
    /// Extensions granted because more than a third of the members declared the time
    /// insufficient (实施条例 §48).
    pub(crate) extensions: u32,
    /// While signing (RFC 3339): members who have neither signed nor dissented by then are
    /// deemed to agree when the host closes the session (实施条例 §53 ¶2).
    pub(crate) signing_deadline: Option<String>,
    /// Whether each member must sign their decision with an enrolled signing key
    /// (`session.require_member_signatures`), so that a console can say so before signing.
    pub(crate) member_signatures_required: bool,
    /// The caller's own role and seat in the session.
    #[schema(value_type = String)]
    pub(crate) your_role: RoleName,
    pub(crate) your_seat: Option<u32>,
    /// The newest event number.
    pub last_seq: i64,
    /// Once closed, for the host and supervisors: the seats the caller has rated (§6).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) rated_by_you: Vec<u32>,
    /// Present while the evaluation is suspended, and once cancelled (issue 16 §4).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) hold: Option<crate::draw::DrawHold>,
}

/// A new session as its host first sees it: the view, and once only, the logins of the
/// tenderer's representatives it named. No `Debug`: the codes are credentials until used.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedSession {
    #[serde(flatten)]
    pub view: SessionView,
    /// Shown once: only the codes' hashes and sealed copies are kept. Absent without
    /// representatives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) representatives: Vec<RepresentativeLogin>,
}

/// A representative's login, for the host to hand over through a trusted channel.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RepresentativeLogin {
    pub(crate) seat: u32,
    /// "Representative n", as the session shows the seat.
    pub(crate) label: String,
    pub(crate) name: String,
    /// Random; the representative activates it (POST /api/v1/auth/activate) with the code.
    pub(crate) username: String,
    #[schema(value_type = String)]
    pub(crate) activation_code: zeroize::Zeroizing<String>,
    pub(crate) activation_expires_at: String,
    /// What the representative presents at check-in, as an expert presents their invitation's.
    #[schema(value_type = String)]
    pub(crate) join_code: zeroize::Zeroizing<String>,
}

/// A ticket as issued. No `Debug`: the ticket is a credential until used.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct IssuedTicket {
    /// Present as `?ticket=` when opening the websocket; single use, valid for `expires_in` s.
    #[schema(value_type = String)]
    pub(crate) ticket: zeroize::Zeroizing<String>,
    pub(crate) expires_in: i64,
    #[schema(value_type = String)]
    pub role: RoleName,
    pub seat: Option<u32>,
    /// The websocket path to open with the ticket.
    pub(crate) path: String,
}

/// A session event as sent and stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub seq: i64,
    pub(crate) audience: Audience,
    pub(crate) frame: std::sync::Arc<str>,
}
