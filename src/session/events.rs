//! Session events (docs/PROTOCOL.md §4): what happened ([`SessionEvent`], its kind and its
//! data), and who is shown it ([`Audience`]). An event is written once, numbered, into
//! `session_events` as its kind, its audience and its data as JSON text, and every connection
//! sends that text as it was stored.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::rules::{BidderSummary, Criterion, Phase, ScoreSheet};
use super::states::{
    Assignment, ClarificationState, RejectionGround, RejectionState, RoleName, SessionMode,
    SignatureKind, VoidReason,
};
use crate::store::text_enum::{UnknownText, text_column, text_enum};

/// The enrolled key a member's signature verified with (issue 19 §1), as the `signed` event
/// names it: which key, of what kind, and its fingerprint (SHA-256 of its public key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SignedWith {
    pub(crate) key_id: String,
    pub(crate) kind: crate::auth::signing_keys::SigningKeyKind,
    pub(crate) fingerprint: String,
}

/// Who is shown an event: everyone any of its recipients names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Audience(Vec<Recipient>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recipient {
    /// Every participant.
    All,
    /// The host, the venues' operators and the supervisors.
    Staff,
    /// The supervisors (no version-1 event is for them alone).
    Supervisors,
    /// The expert in this seat.
    Seat(u32),
}

impl Audience {
    pub(crate) fn all() -> Self {
        Self(vec![Recipient::All])
    }

    pub(crate) fn staff() -> Self {
        Self(vec![Recipient::Staff])
    }

    pub(crate) fn seat(seat: u32) -> Self {
        Self(vec![Recipient::Seat(seat)])
    }

    /// Staff and the experts in these seats.
    pub(crate) fn staff_and(seats: impl IntoIterator<Item = u32>) -> Self {
        Self(
            std::iter::once(Recipient::Staff)
                .chain(seats.into_iter().map(Recipient::Seat))
                .collect(),
        )
    }

    pub(crate) fn recipients(&self) -> &[Recipient] {
        &self.0
    }
}

/// As stored: a comma-separated list of `all`, `staff`, `supervisors` and `seat:N`.
impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, recipient) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match recipient {
                Recipient::All => f.write_str("all")?,
                Recipient::Staff => f.write_str("staff")?,
                Recipient::Supervisors => f.write_str("supervisors")?,
                Recipient::Seat(seat) => write!(f, "seat:{seat}")?,
            }
        }
        Ok(())
    }
}

impl FromStr for Audience {
    type Err = UnknownText;

    /// Exactly the text [`Display`](fmt::Display) writes: anything else is not an audience.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let recipient = |part: &str| match part {
            "all" => Some(Recipient::All),
            "staff" => Some(Recipient::Staff),
            "supervisors" => Some(Recipient::Supervisors),
            other => other
                .strip_prefix("seat:")
                .and_then(|number| number.parse::<u32>().ok())
                .map(Recipient::Seat),
        };
        let audience = text
            .split(',')
            .map(recipient)
            .collect::<Option<Vec<_>>>()
            .map(Self)
            .filter(|audience| audience.to_string() == text);
        audience.ok_or_else(|| UnknownText::new("Audience", text))
    }
}

text_column!(Audience);

text_enum! {
    /// The kinds of event, as stored and as the frames' `kind` names them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum EventKind {
        SessionCreated = "session_created",
        Contribution = "contribution",
        Presence = "presence",
        SeatsAssigned = "seats_assigned",
        CheckedIn = "checked_in",
        Declared = "declared",
        SeatVacated = "seat_vacated",
        SeatAdded = "seat_added",
        ChairVacated = "chair_vacated",
        VoteCast = "vote_cast",
        ChairElected = "chair_elected",
        SheetSubmitted = "sheet_submitted",
        SheetRecorded = "sheet_recorded",
        ClarificationRequested = "clarification_requested",
        ClarificationDecided = "clarification_decided",
        Warning = "warning",
        SheetsRevealed = "sheets_revealed",
        ReportReady = "report_ready",
        Signed = "signed",
        Closed = "closed",
        PhaseChanged = "phase_changed",
        TimeDeclared = "time_declared",
        TimeExtended = "time_extended",
        RejectionProposed = "rejection_proposed",
        RejectionVoted = "rejection_voted",
        RejectionDecided = "rejection_decided",
        Suspended = "suspended",
        Resumed = "resumed",
        Cancelled = "cancelled",
        Postponed = "postponed",
    }
}

/// A session event: its kind (the tag) and its data. The data goes out as the JSON object of
/// the variant's fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub(crate) enum SessionEvent {
    /// Always event 1. A distributed session lists one placeholder venue 0 with no seats.
    SessionCreated {
        mode: SessionMode,
        seats: usize,
        venues: Vec<VenueSeats>,
        bidders: Vec<String>,
        criteria: Vec<Criterion>,
        assignment: Assignment,
        /// The seats of the tenderer's representatives ("Representative n", protocol 1.3);
        /// absent when the committee has none.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        representatives: Vec<u32>,
    },
    /// Entropy for a random assignment arrived (from the host or a supervisor).
    Contribution {
        position: i32,
        role: RoleName,
    },
    /// A connection opened (after its welcome) or ended.
    Presence {
        who: String,
        role: RoleName,
        seat: Option<u32>,
        connected: bool,
    },
    SeatsAssigned {
        seats: Vec<Placement>,
    },
    CheckedIn {
        seat: u32,
        label: String,
        venue: Option<i32>,
    },
    /// A member declared no conflict (a conflict vacates the seat instead).
    Declared {
        seat: u32,
        conflict: bool,
    },
    /// The last event the vacated member receives.
    SeatVacated {
        seat: u32,
        label: String,
        reason: VoidReason,
        voided_sheets: usize,
    },
    SeatAdded {
        seat: i32,
        label: String,
        venue: Option<i32>,
        /// A tenderer's representative named in place of one who left (protocol 1.3);
        /// absent for a drawn expert's successor.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        representative: bool,
    },
    ChairVacated {
        seat: u32,
    },
    /// Who voted, never for whom.
    VoteCast {
        seat: u32,
    },
    ChairElected {
        seat: u32,
        label: String,
        votes: usize,
        cast: usize,
    },
    /// A sheet is in; its content goes to its author alone ([`Self::SheetRecorded`]).
    SheetSubmitted {
        seat: u32,
        bidder: String,
    },
    SheetRecorded {
        seat: u32,
        sheet: ScoreSheet,
    },
    ClarificationRequested {
        number: i32,
        seat: u32,
        bidder: String,
        question: String,
    },
    ClarificationDecided {
        number: u32,
        state: ClarificationState,
        seat: i32,
        bidder: String,
        question: String,
    },
    Warning {
        text: String,
    },
    SheetsRevealed {
        bidders: Vec<BidderSummary>,
    },
    ReportReady {
        report_sha256: String,
        /// Whose hash `report_sha256` is: absent for SHA-256 (intl2024), `gm2024` for SM3.
        #[serde(
            default = "crate::crypto::suite::international",
            skip_serializing_if = "crate::crypto::suite::is_international"
        )]
        suite: crate::crypto::Suite,
        report: Value,
        /// When members who have neither signed nor dissented are deemed to agree.
        #[serde(skip_serializing_if = "Option::is_none")]
        signing_deadline: Option<String>,
    },
    Signed {
        seat: u32,
        signature: SignatureKind,
        reasons: Option<String>,
        /// The enrolled key the member's signature verified with; absent for a decision
        /// without one (and in events written before members signed), so earlier events read
        /// as they were.
        #[serde(skip_serializing_if = "Option::is_none")]
        signing_key: Option<SignedWith>,
    },
    /// A member declared the evaluation time insufficient: how many have toward the next
    /// extension, and how many members the committee has.
    TimeDeclared {
        seat: u32,
        declared: u32,
        members: u32,
    },
    /// More than a third of the members declared: the evaluation ends `minutes` later.
    TimeExtended {
        number: u32,
        minutes: u32,
        ends_at: String,
        declared: u32,
        members: u32,
    },
    /// A member proposes rejecting a bid (实施条例 §51); the proposal is the proposer's vote.
    RejectionProposed {
        proposal: u32,
        seat: u32,
        bidder: String,
        ground: RejectionGround,
        reasons: String,
        members: u32,
    },
    /// A member's vote on a rejection proposal: votes are on the record, unlike the chair's.
    RejectionVoted {
        proposal: u32,
        seat: u32,
        reject: bool,
    },
    /// A majority of the active members rejected the bid, or can no longer do so.
    RejectionDecided {
        proposal: u32,
        bidder: String,
        ground: RejectionGround,
        state: RejectionState,
        votes_for: u32,
        votes_against: u32,
        members: u32,
    },
    /// A supervisor approved suspending the evaluation (protocol 1.4): until `resumed`, only
    /// supervisors act. The request's reason stays with the request (it may name a complaint).
    Suspended {
        interruption: String,
    },
    /// A supervisor approved resuming it.
    Resumed {
        interruption: String,
    },
    /// A supervisor approved postponing the evaluation (protocol 1.4): it starts at
    /// `evaluation_start` and ends at `ends_at`; every member answers their invitation again.
    Postponed {
        interruption: String,
        evaluation_start: String,
        ends_at: String,
    },
    /// A supervisor approved cancelling it: final, nobody acts any more. `retender`: the
    /// tender will be tendered again (a new draw may follow).
    Cancelled {
        interruption: String,
        retender: bool,
    },
    /// The signed report's digest and the draft's it was signed as.
    Closed {
        report_sha256: String,
        signed_report_of: String,
    },
    PhaseChanged {
        from: Phase,
        to: Phase,
        /// Why a vacancy took the session back to the evaluation.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// A venue and its seats, as `session_created` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct VenueSeats {
    pub(crate) venue: i32,
    pub name: String,
    pub(crate) seats: i32,
}

/// Where a seat sits, as `seats_assigned` and its audit entry list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Placement {
    pub seat: u32,
    pub(crate) venue: u32,
}

impl SessionEvent {
    pub(crate) fn kind(&self) -> EventKind {
        match self {
            Self::SessionCreated { .. } => EventKind::SessionCreated,
            Self::Contribution { .. } => EventKind::Contribution,
            Self::Presence { .. } => EventKind::Presence,
            Self::SeatsAssigned { .. } => EventKind::SeatsAssigned,
            Self::CheckedIn { .. } => EventKind::CheckedIn,
            Self::Declared { .. } => EventKind::Declared,
            Self::SeatVacated { .. } => EventKind::SeatVacated,
            Self::SeatAdded { .. } => EventKind::SeatAdded,
            Self::ChairVacated { .. } => EventKind::ChairVacated,
            Self::VoteCast { .. } => EventKind::VoteCast,
            Self::ChairElected { .. } => EventKind::ChairElected,
            Self::SheetSubmitted { .. } => EventKind::SheetSubmitted,
            Self::SheetRecorded { .. } => EventKind::SheetRecorded,
            Self::ClarificationRequested { .. } => EventKind::ClarificationRequested,
            Self::ClarificationDecided { .. } => EventKind::ClarificationDecided,
            Self::Warning { .. } => EventKind::Warning,
            Self::SheetsRevealed { .. } => EventKind::SheetsRevealed,
            Self::ReportReady { .. } => EventKind::ReportReady,
            Self::Signed { .. } => EventKind::Signed,
            Self::Closed { .. } => EventKind::Closed,
            Self::PhaseChanged { .. } => EventKind::PhaseChanged,
            Self::TimeDeclared { .. } => EventKind::TimeDeclared,
            Self::TimeExtended { .. } => EventKind::TimeExtended,
            Self::RejectionProposed { .. } => EventKind::RejectionProposed,
            Self::RejectionVoted { .. } => EventKind::RejectionVoted,
            Self::RejectionDecided { .. } => EventKind::RejectionDecided,
            Self::Suspended { .. } => EventKind::Suspended,
            Self::Resumed { .. } => EventKind::Resumed,
            Self::Cancelled { .. } => EventKind::Cancelled,
            Self::Postponed { .. } => EventKind::Postponed,
        }
    }

    /// The data as stored and sent: JSON text with every object's keys sorted, as events have
    /// always been written (through `serde_json::Value`, whose objects keep their keys sorted).
    pub(crate) fn data_json(&self) -> Result<String, serde_json::Error> {
        let mut tagged = serde_json::to_value(self)?;
        serde_json::to_string(&tagged["data"].take())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::json;

    use super::*;

    /// One event of every kind.
    fn one_of_each() -> Vec<SessionEvent> {
        let sheet = ScoreSheet {
            bidder: "Bidder A".into(),
            scores_centi: BTreeMap::from([("price".to_owned(), 2800)]),
            total_centi: 2800,
            comment: None,
            evaluated_price_centi: None,
        };
        vec![
            SessionEvent::SessionCreated {
                mode: SessionMode::CrossSite,
                seats: 5,
                venues: vec![VenueSeats {
                    venue: 0,
                    name: "武汉主场".into(),
                    seats: 2,
                }],
                bidders: vec!["Bidder A".into()],
                criteria: vec![Criterion {
                    name: "price".into(),
                    max_points: 30,
                }],
                assignment: Assignment::Random,
                representatives: Vec::new(),
            },
            SessionEvent::Contribution {
                position: 1,
                role: RoleName::Host,
            },
            SessionEvent::Presence {
                who: "host".into(),
                role: RoleName::Host,
                seat: None,
                connected: true,
            },
            SessionEvent::SeatsAssigned {
                seats: vec![Placement { seat: 1, venue: 0 }],
            },
            SessionEvent::CheckedIn {
                seat: 3,
                label: "Expert 3".into(),
                venue: Some(1),
            },
            SessionEvent::Declared {
                seat: 3,
                conflict: false,
            },
            SessionEvent::SeatVacated {
                seat: 3,
                label: "Expert 3".into(),
                reason: VoidReason::Recused,
                voided_sheets: 0,
            },
            SessionEvent::SeatAdded {
                seat: 6,
                label: "Expert 6".into(),
                venue: None,
                representative: false,
            },
            SessionEvent::ChairVacated { seat: 2 },
            SessionEvent::Suspended {
                interruption: "i-1".into(),
            },
            SessionEvent::Resumed {
                interruption: "i-2".into(),
            },
            SessionEvent::Postponed {
                interruption: "i-3".into(),
                evaluation_start: "2026-12-06T01:00:00Z".into(),
                ends_at: "2026-12-06T05:00:00Z".into(),
            },
            SessionEvent::Cancelled {
                interruption: "i-4".into(),
                retender: true,
            },
            SessionEvent::VoteCast { seat: 3 },
            SessionEvent::ChairElected {
                seat: 2,
                label: "Expert 2".into(),
                votes: 3,
                cast: 3,
            },
            SessionEvent::SheetSubmitted {
                seat: 3,
                bidder: "Bidder A".into(),
            },
            SessionEvent::SheetRecorded { seat: 3, sheet },
            SessionEvent::ClarificationRequested {
                number: 1,
                seat: 2,
                bidder: "Bidder B".into(),
                question: "?".into(),
            },
            SessionEvent::ClarificationDecided {
                number: 1,
                state: ClarificationState::Approved,
                seat: 2,
                bidder: "Bidder B".into(),
                question: "?".into(),
            },
            SessionEvent::Warning { text: "…".into() },
            SessionEvent::SheetsRevealed { bidders: vec![] },
            SessionEvent::ReportReady {
                report_sha256: "12".into(),
                suite: crate::crypto::Suite::Gm2024,
                report: json!({}),
                signing_deadline: Some("2026-12-04T13:00:00Z".into()),
            },
            SessionEvent::Signed {
                seat: 5,
                signature: SignatureKind::Dissent,
                reasons: Some("no safety plan".into()),
                signing_key: None,
            },
            SessionEvent::Closed {
                report_sha256: "d0".into(),
                signed_report_of: "12".into(),
            },
            SessionEvent::PhaseChanged {
                from: Phase::Summary,
                to: Phase::Signing,
                reason: None,
            },
            SessionEvent::TimeDeclared {
                seat: 2,
                declared: 1,
                members: 5,
            },
            SessionEvent::TimeExtended {
                number: 1,
                minutes: 60,
                ends_at: "2026-12-04T12:00:00Z".into(),
                declared: 2,
                members: 5,
            },
            SessionEvent::RejectionProposed {
                proposal: 1,
                seat: 2,
                bidder: "Bidder C".into(),
                ground: RejectionGround::PriceOutOfBounds,
                reasons: "报价低于成本且未能合理说明".into(),
                members: 5,
            },
            SessionEvent::RejectionVoted {
                proposal: 1,
                seat: 3,
                reject: true,
            },
            SessionEvent::RejectionDecided {
                proposal: 1,
                bidder: "Bidder C".into(),
                ground: RejectionGround::PriceOutOfBounds,
                state: RejectionState::Rejected,
                votes_for: 3,
                votes_against: 0,
                members: 5,
            },
        ]
    }

    #[test]
    fn every_event_kind_has_its_event_and_is_named_by_its_tag() {
        let events = one_of_each();
        for event in &events {
            let tagged = serde_json::to_value(event).unwrap();
            assert_eq!(tagged["kind"], event.kind().as_str(), "{event:?}");
        }
        let kinds: BTreeSet<&str> = events.iter().map(|e| e.kind().as_str()).collect();
        let all: BTreeSet<&str> = EventKind::NAMES.iter().copied().collect();
        assert_eq!(kinds, all);
    }

    #[test]
    fn event_data_is_written_with_sorted_keys_exactly_as_before() {
        let checked_in = SessionEvent::CheckedIn {
            seat: 3,
            label: "Expert 3".into(),
            venue: Some(1),
        };
        assert_eq!(
            checked_in.data_json().unwrap(),
            r#"{"label":"Expert 3","seat":3,"venue":1}"#
        );
        let sheet = SessionEvent::SheetRecorded {
            seat: 3,
            sheet: ScoreSheet {
                bidder: "Bidder A".into(),
                scores_centi: BTreeMap::from([
                    ("technical".to_owned(), 5400),
                    ("price".to_owned(), 2800),
                ]),
                total_centi: 8200,
                comment: None,
                evaluated_price_centi: None,
            },
        };
        assert_eq!(
            sheet.data_json().unwrap(),
            r#"{"seat":3,"sheet":{"bidder":"Bidder A","scores_centi":{"price":2800,"technical":5400},"total_centi":8200}}"#
        );
        let back = SessionEvent::PhaseChanged {
            from: Phase::Signing,
            to: Phase::Evaluation,
            reason: Some("Expert 3 was replaced; the successor evaluates afresh".into()),
        };
        assert_eq!(
            back.data_json().unwrap(),
            r#"{"from":"signing","reason":"Expert 3 was replaced; the successor evaluates afresh","to":"evaluation"}"#
        );
        let forward = SessionEvent::PhaseChanged {
            from: Phase::Scheduled,
            to: Phase::CheckIn,
            reason: None,
        };
        assert_eq!(
            forward.data_json().unwrap(),
            r#"{"from":"scheduled","to":"check_in"}"#
        );
        let signed = SessionEvent::Signed {
            seat: 1,
            signature: SignatureKind::Agree,
            reasons: None,
            signing_key: None,
        };
        assert_eq!(
            signed.data_json().unwrap(),
            r#"{"reasons":null,"seat":1,"signature":"agree"}"#
        );
        let verified = SessionEvent::Signed {
            seat: 2,
            signature: SignatureKind::Agree,
            reasons: None,
            signing_key: Some(SignedWith {
                key_id: "k-1".into(),
                kind: crate::auth::signing_keys::SigningKeyKind::Webcrypto,
                fingerprint: "ab".into(),
            }),
        };
        assert_eq!(
            verified.data_json().unwrap(),
            r#"{"reasons":null,"seat":2,"signature":"agree","signing_key":{"fingerprint":"ab","key_id":"k-1","kind":"webcrypto"}}"#
        );
    }

    #[test]
    fn an_audience_is_read_back_exactly_as_written_or_not_at_all() {
        for text in [
            "all",
            "staff",
            "seat:3",
            "staff,seat:2",
            "staff,seat:1,seat:4",
        ] {
            let audience: Audience = text.parse().unwrap();
            assert_eq!(audience.to_string(), text);
        }
        assert_eq!(
            Audience::staff_and([1, 4]).to_string(),
            "staff,seat:1,seat:4"
        );
        for bad in [
            "",
            "everyone",
            "seat:",
            "seat:x",
            "seat:03",
            "all,",
            "staff, seat:1",
        ] {
            assert!(bad.parse::<Audience>().is_err(), "{bad:?}");
        }
    }
}
