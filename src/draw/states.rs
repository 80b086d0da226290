//! Where a draw and each of its candidates stand, why a seat was vacated, and who contributed:
//! the states the draw tables keep as text, parsed where their rows are read
//! (`store::text_enum`).

use serde::{Deserialize, Serialize};

use crate::store::text_enum::text_enum;

text_enum! {
    /// A draw's status only moves forward: its result is drawn exactly once.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DrawStatus {
        /// The intent is logged; contributions are taken until the window closes.
        AwaitingEntropy = "awaiting_entropy",
        Drawn = "drawn",
    }
}

text_enum! {
    /// A ranked candidate of a drawn draw.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CandidateState {
        /// Holds a seat, invited, not yet accepted.
        Seated = "seated",
        /// Accepted the invitation: a member of the committee.
        Confirmed = "confirmed",
        /// Vacated the seat (for a [`VacancyReason`]).
        Replaced = "replaced",
        /// An unused reserve.
        Reserve = "reserve",
    }
}

impl CandidateState {}

text_enum! {
    /// A vacated seat whose stratum had no reserve left waits for a linked draw.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum LinkState {
        Pending = "pending",
        Started = "started",
        /// Too few eligible experts remain; the refusal is logged.
        Refused = "refused",
    }
}

text_enum! {
    /// Why a seat was vacated: the closed list a replacement entry's `reason` is drawn from
    /// (spec §9b), so that a record shows a legitimate cause for every vacancy.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum VacancyReason {
        /// The expert declined the invitation.
        Declined = "declined",
        /// The invitation's deadline passed without an answer.
        NoAnswer = "no_answer",
        /// A confirmed member declared a conflict of interest.
        Recused = "recused",
        /// A confirmed member left (illness, say).
        Withdrew = "withdrew",
    }
}

impl VacancyReason {
    /// The reasons a center (through the draw) or a session's host records for a confirmed
    /// member. Declines and silence come from the experts' own answers and deadlines, never
    /// from staff, so that nobody can vacate seats until they like the committee.
    pub(crate) const RECORDED_BY_STAFF: [Self; 2] = [Self::Recused, Self::Withdrew];

    /// A reason as staff give it, if it is one they may record.
    pub(crate) fn recorded_by_staff(text: &str) -> Option<Self> {
        Self::parse(text).filter(|reason| Self::RECORDED_BY_STAFF.contains(reason))
    }

    /// The reasons staff may give, joined for a message ("recused, withdrew").
    pub(crate) fn staff_names(separator: &str) -> String {
        Self::RECORDED_BY_STAFF.map(Self::as_str).join(separator)
    }
}

text_enum! {
    /// Who sent a contribution: the draw's center or a supervisor.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ContributorRole {
        Center = "center",
        Supervisor = "supervisor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::text_enum::assert_serde_is_text;

    #[test]
    fn draw_states_serialise_as_their_stored_text() {
        assert_serde_is_text::<DrawStatus>();
        assert_serde_is_text::<CandidateState>();
        assert_serde_is_text::<LinkState>();
        assert_serde_is_text::<VacancyReason>();
        assert_serde_is_text::<ContributorRole>();
        assert_serde_is_text::<super::super::filter::EvaluationMode>();
        assert_serde_is_text::<DrawHold>();
        assert_serde_is_text::<InterruptionKind>();
        assert_serde_is_text::<InterruptionState>();
    }

    #[test]
    fn staff_record_recusals_and_departures_only() {
        assert_eq!(
            VacancyReason::recorded_by_staff("recused"),
            Some(VacancyReason::Recused)
        );
        assert_eq!(
            VacancyReason::recorded_by_staff("withdrew"),
            Some(VacancyReason::Withdrew)
        );
        assert_eq!(VacancyReason::recorded_by_staff("declined"), None);
        assert_eq!(VacancyReason::recorded_by_staff("no_answer"), None);
        assert_eq!(VacancyReason::recorded_by_staff("bored"), None);
        assert_eq!(VacancyReason::staff_names(", "), "recused, withdrew");
        assert_eq!(
            VacancyReason::NAMES.join(", "),
            "declined, no_answer, recused, withdrew"
        );
    }
}

text_enum! {
    /// What holds a tender's evaluation back (issue 16 §4): set on the root draw, followed by its
    /// linked draws and its session. No hold: the draw and session go on as usual.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DrawHold {
        /// Paused (a complaint under review, 实施条例 §62): nothing moves until it is resumed,
        /// except what supervisors do.
        Suspended = "suspended",
        /// Terminated: the tender is cancelled (the tenderer ends it, or a complaint's decision
        /// voids it). Final.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// What a center asks of a supervisor about a draw's evaluation (issue 16 §4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum InterruptionKind {
        Suspend = "suspend",
        Resume = "resume",
        /// A new evaluation start: every seated expert answers again.
        Postpone = "postpone",
        Cancel = "cancel",
    }
}

text_enum! {
    /// Where a request to interrupt an evaluation stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum InterruptionState {
        Requested = "requested",
        Approved = "approved",
        Refused = "refused",
    }
}
