//! The province's expert pool (一个库): expert records whose identities are sealed, import,
//! demo data, role-specific views and the dual-controlled unseal workflow.

pub(crate) mod demo;
pub(crate) mod import;
pub(crate) mod own_record;
pub(crate) mod regions;
pub(crate) mod service;
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
    }
}
