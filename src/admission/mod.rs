//! Joining the pool (准入, issue 22 §1): a person applies, or a center nominates them; an admin
//! reviews the application and approves it with a term, asks for more, or refuses it; approval
//! writes the expert's record as an import would and sends the new expert a login by SMS.
//! Admins publish recruiting calls for scarce specialties, which applications may answer.
//!
//! The application's states are [`ApplicationStatus`]; which act moves which state where is
//! [`ApplicationStatus::after`], a pure table, so the service and the documentation
//! (docs/POOL.md, "Joining and leaving the pool") read the same rule.

pub(crate) mod body;
pub(crate) mod calls;
pub(crate) mod exit;
pub(crate) mod renewal;
pub(crate) mod service;

use serde::{Deserialize, Serialize};

pub(crate) use service::{AdmissionError, AdmissionService};

crate::store::text_enum::text_enum! {
    /// Where an application stands. `submitted`, `under_review` and `more_requested` are open:
    /// one open application per person.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum ApplicationStatus {
        /// Arrived; nobody has opened it yet.
        Submitted = "submitted",
        /// An admin opened it (the first opening moves it here) or the applicant answered.
        UnderReview = "under_review",
        /// The reviewer asked a question; the applicant answers with a supplement.
        MoreRequested = "more_requested",
        /// The record exists, with a term; the applicant's login was sent by SMS.
        Approved = "approved",
        Refused = "refused",
        /// Withdrawn by the applicant.
        Withdrawn = "withdrawn",
    }
}

/// What can happen to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplicationAct {
    /// An admin opens it to judge it.
    Open,
    RequestMore,
    /// The applicant answers a request for more.
    Supplement,
    Approve,
    Refuse,
    Withdraw,
}

impl ApplicationAct {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::RequestMore => "request more",
            Self::Supplement => "supplement",
            Self::Approve => "approve",
            Self::Refuse => "refuse",
            Self::Withdraw => "withdraw",
        }
    }
}

impl ApplicationStatus {
    /// The state after `act`, or `None` when `act` is not allowed in this state. Opening never
    /// refuses (a decided application can still be read); only the first opening moves it.
    pub(crate) const fn after(self, act: ApplicationAct) -> Option<Self> {
        use ApplicationAct as A;
        match (self, act) {
            (Self::Submitted, A::Open) => Some(Self::UnderReview),
            (state, A::Open) => Some(state),
            (Self::UnderReview, A::RequestMore) => Some(Self::MoreRequested),
            (Self::MoreRequested, A::Supplement) => Some(Self::UnderReview),
            // A reviewer approves only what they have opened.
            (Self::UnderReview, A::Approve) => Some(Self::Approved),
            (Self::UnderReview | Self::MoreRequested, A::Refuse) => Some(Self::Refused),
            (Self::Submitted | Self::UnderReview | Self::MoreRequested, A::Withdraw) => {
                Some(Self::Withdrawn)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ApplicationAct as A, ApplicationStatus as S};

    #[test]
    fn application_states_serialise_as_their_stored_text() {
        crate::store::text_enum::assert_serde_is_text::<S>();
    }

    #[test]
    fn an_application_moves_only_along_the_documented_table() {
        assert_eq!(S::Submitted.after(A::Open), Some(S::UnderReview));
        assert_eq!(S::UnderReview.after(A::Open), Some(S::UnderReview));
        assert_eq!(S::UnderReview.after(A::RequestMore), Some(S::MoreRequested));
        assert_eq!(S::MoreRequested.after(A::Supplement), Some(S::UnderReview));
        assert_eq!(S::UnderReview.after(A::Approve), Some(S::Approved));
        assert_eq!(S::MoreRequested.after(A::Refuse), Some(S::Refused));
        assert_eq!(S::Submitted.after(A::Approve), None, "approve unopened");
        assert_eq!(
            S::MoreRequested.after(A::Approve),
            None,
            "approve unanswered"
        );
        assert_eq!(S::Submitted.after(A::Supplement), None);
        for decided in [S::Approved, S::Refused, S::Withdrawn] {
            assert_eq!(decided.after(A::Open), Some(decided));
            for act in [
                A::RequestMore,
                A::Supplement,
                A::Approve,
                A::Refuse,
                A::Withdraw,
            ] {
                assert_eq!(decided.after(act), None, "{decided} {act:?}");
            }
        }
    }
}
