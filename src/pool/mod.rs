//! The province's expert pool (一个库): expert records whose identities are sealed, import,
//! demo data, role-specific views and the dual-controlled unseal workflow.

pub(crate) mod assessment;
pub(crate) mod change_request;
pub(crate) mod demo;
pub(crate) mod import;
pub(crate) mod own_record;
pub(crate) mod regions;
pub(crate) mod service;
pub(crate) mod ties;
pub(crate) mod training;
pub(crate) mod unseal;
pub mod validate;

pub use service::{PoolError, PoolService};

use serde::{Deserialize, Serialize};

crate::store::text_enum::text_enum! {
    /// How an expert is tied to an organisation, for the draw's avoidance rule.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum Relation {
        /// The current employer, from the pool record.
        Employer = "employer",
        /// An earlier employer, with the period (the rule looks back a few years).
        PastEmployer = "past_employer",
        /// A relative's employer, as the expert declared it.
        Relative = "relative",
        /// Director (董事) of the organisation (政府采购法实施条例 §9), with the period.
        Director = "director",
        /// Supervisor (监事, a member of the supervisory board), with the period.
        Supervisor = "supervisor",
        /// Shareholder (股东), with the period.
        Shareholder = "shareholder",
        /// Actual controller (实际控制人), with the period.
        ActualController = "actual_controller",
    }
}

crate::store::text_enum::text_enum! {
    /// A tie to an organisation beyond employment that 政府采购法实施条例 §9 counts as an
    /// interest (for three years after it ends): what imports and experts' change requests name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum TieKind {
        Director = "director",
        Supervisor = "supervisor",
        Shareholder = "shareholder",
        ActualController = "actual_controller",
    }
}

impl TieKind {
    /// The relation its rows are stored under.
    pub(crate) const fn relation(self) -> Relation {
        match self {
            Self::Director => Relation::Director,
            Self::Supervisor => Relation::Supervisor,
            Self::Shareholder => Relation::Shareholder,
            Self::ActualController => Relation::ActualController,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn relations_and_tie_kinds_serialise_as_their_stored_text() {
        crate::store::text_enum::assert_serde_is_text::<super::Relation>();
        crate::store::text_enum::assert_serde_is_text::<super::TieKind>();
        for kind in super::TieKind::ALL {
            assert_eq!(kind.relation().as_str(), kind.as_str());
        }
    }
}
