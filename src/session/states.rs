//! What a session and its seats, sheets and clarifications are in: the states the session
//! tables keep as text, parsed where their rows are read (`store::text_enum`). The phase is the
//! rules' [`super::rules::Phase`].

use serde::{Deserialize, Serialize};

use crate::draw::VacancyReason;
use crate::draw::filter::EvaluationMode;
use crate::store::text_enum::text_enum;

text_enum! {
    /// How a session's committee sits: the draw's mode, remote ones only.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum SessionMode {
        /// A main venue and sub-venues in other cities.
        CrossSite = "cross_site",
        /// Every expert at their own seat.
        Distributed = "distributed",
    }
}

impl SessionMode {
    /// The session mode of a draw's evaluation; none for an on-site one, which a session does
    /// not coordinate.
    pub(crate) fn of(mode: EvaluationMode) -> Option<Self> {
        match mode {
            EvaluationMode::OnSite => None,
            EvaluationMode::CrossSite => Some(Self::CrossSite),
            EvaluationMode::Distributed => Some(Self::Distributed),
        }
    }
}

text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum Assignment {
        /// Seats are placed across venues by commit-then-reveal randomness.
        Random = "random",
        /// Seats fill the venues in order (Expert 1.. at the main venue first).
        InOrder = "in_order",
        /// A distributed session has no venues.
        None = "none",
    }
}

text_enum! {
    /// A session role without its seat or venue: what tickets keep and frames name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum RoleName {
        Host = "host",
        Operator = "operator",
        Supervisor = "supervisor",
        Expert = "expert",
    }
}

text_enum! {
    /// A seat is active until its member is replaced; then it is void, with its conclusions.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum SeatState {
        Active = "active",
        Void = "void",
    }
}

text_enum! {
    /// Why a seat is void.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum VoidReason {
        /// The member declared a conflict, or the host recorded a recusal.
        Recused = "recused",
        /// The host recorded that the member left.
        Withdrew = "withdrew",
        /// The draw vacated the seat another way (a decline, a missed deadline, or the center
        /// through the draw).
        Replaced = "replaced",
    }
}

impl From<VacancyReason> for VoidReason {
    fn from(reason: VacancyReason) -> Self {
        match reason {
            VacancyReason::Recused => Self::Recused,
            VacancyReason::Withdrew => Self::Withdrew,
            VacancyReason::Declined | VacancyReason::NoAnswer => Self::Replaced,
        }
    }
}

text_enum! {
    /// A live sheet counts; a void one was its replaced member's.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum SheetState {
        Live = "live",
        Void = "void",
    }
}

text_enum! {
    /// A clarification request, decided once by a supervisor.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum ClarificationState {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

text_enum! {
    /// How a member signed the report.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum SignatureKind {
        Agree = "agree",
        /// With written reasons.
        Dissent = "dissent",
        /// Neither signed nor dissented by the signing deadline: deemed to agree (实施条例 §53 ¶2).
        DeemedAgree = "deemed_agree",
    }
}

text_enum! {
    /// How the report ranks the bids and names its candidates.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum EvaluationMethod {
        /// 综合评估法: by the committee's total score, highest first.
        Comprehensive = "comprehensive",
        /// 经评审的最低投标价法: by the evaluated price, lowest first, among compliant bids.
        LowestPrice = "lowest_price",
    }
}

text_enum! {
    /// The grounds on which the committee rejects a bid (实施条例 §51, items 1–7, in order).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum RejectionGround {
        UnsignedUnsealed = "unsigned_unsealed",
        NoJointAgreement = "no_joint_agreement",
        NotQualified = "not_qualified",
        MultipleBids = "multiple_bids",
        PriceOutOfBounds = "price_out_of_bounds",
        NotResponsive = "not_responsive",
        UnlawfulConduct = "unlawful_conduct",
    }
}

impl RejectionGround {
    /// The statute's own words for the ground (实施条例 §51), as the report quotes them.
    pub(crate) const fn wording(self) -> &'static str {
        match self {
            Self::UnsignedUnsealed => "投标文件未经投标单位盖章和单位负责人签字",
            Self::NoJointAgreement => "投标联合体没有提交共同投标协议",
            Self::NotQualified => "投标人不符合国家或者招标文件规定的资格条件",
            Self::MultipleBids => {
                "同一投标人提交两个以上不同的投标文件或者投标报价，但招标文件要求提交备选投标的除外"
            }
            Self::PriceOutOfBounds => "投标报价低于成本或者高于招标文件设定的最高投标限价",
            Self::NotResponsive => "投标文件没有对招标文件的实质性要求和条件作出响应",
            Self::UnlawfulConduct => "投标人有串通投标、弄虚作假、行贿等违法行为",
        }
    }

    /// The item of 实施条例 §51 the ground is (1–7).
    pub(crate) fn item(self) -> usize {
        Self::ALL.iter().position(|g| *g == self).unwrap_or(0) + 1
    }
}

text_enum! {
    /// A proposal to reject a bid: open until a majority of the active members can no longer
    /// be reached either way.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum RejectionState {
        Open = "open",
        /// More than half of the active members voted to reject: the bid is out of the scoring.
        Rejected = "rejected",
        /// A majority to reject can no longer be reached (a tie included).
        NotRejected = "not_rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::text_enum::assert_serde_is_text;

    #[test]
    fn session_states_serialise_as_their_stored_text() {
        assert_serde_is_text::<SessionMode>();
        assert_serde_is_text::<Assignment>();
        assert_serde_is_text::<RoleName>();
        assert_serde_is_text::<SeatState>();
        assert_serde_is_text::<VoidReason>();
        assert_serde_is_text::<SheetState>();
        assert_serde_is_text::<ClarificationState>();
        assert_serde_is_text::<SignatureKind>();
        assert_serde_is_text::<EvaluationMethod>();
        assert_serde_is_text::<RejectionGround>();
        assert_serde_is_text::<RejectionState>();
        assert_serde_is_text::<super::super::rules::Phase>();
    }

    #[test]
    fn a_vacancy_the_session_did_not_record_voids_the_seat_as_replaced() {
        assert_eq!(
            VoidReason::from(VacancyReason::Recused),
            VoidReason::Recused
        );
        assert_eq!(
            VoidReason::from(VacancyReason::Withdrew),
            VoidReason::Withdrew
        );
        assert_eq!(
            VoidReason::from(VacancyReason::Declined),
            VoidReason::Replaced
        );
        assert_eq!(
            VoidReason::from(VacancyReason::NoAnswer),
            VoidReason::Replaced
        );
        assert_eq!(
            SessionMode::of(EvaluationMode::CrossSite),
            Some(SessionMode::CrossSite)
        );
        assert_eq!(SessionMode::of(EvaluationMode::OnSite), None);
    }
}
