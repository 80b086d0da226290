//! The committee a draw is for (招标投标法 §37): its drawn experts and the tenderer's
//! representatives (招标人代表), who are named, not drawn. The composition rule is a pure
//! function here because two places apply it: the draw's request, which states the planned
//! committee so that a committee the statute forbids is refused before anything is drawn, and
//! the session, which checks the committee it seats before every phase move.

use serde::{Deserialize, Serialize};

/// The smallest committee the statute allows; it must also be odd.
pub(crate) const MIN_COMMITTEE: usize = 5;
/// At most this many representatives on one committee (the two-thirds rule allows no more
/// than half as many as there are experts, and a stratum seats at most 50).
pub(crate) const MAX_REPRESENTATIVES: u32 = 25;

/// The committee as a draw's request plans it: `experts` must equal the strata's counts
/// together; `representatives` are named by the tenderer when the session opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlannedCommittee {
    pub(crate) experts: u32,
    pub(crate) representatives: u32,
}

impl PlannedCommittee {
    pub(crate) fn size(self) -> usize {
        self.experts as usize + self.representatives as usize
    }
}

/// A committee of at least five, odd, with experts at least two thirds of it; `size` counts
/// every member, `non_experts` the representatives among them.
pub(crate) fn committee_composition(size: usize, non_experts: usize) -> Result<(), String> {
    if size < MIN_COMMITTEE {
        return Err(format!(
            "a committee has at least {MIN_COMMITTEE} members; this one has {size}"
        ));
    }
    if size.is_multiple_of(2) {
        return Err(format!(
            "a committee has an odd number of members; this one has {size}"
        ));
    }
    let experts = size.saturating_sub(non_experts);
    if experts * 3 < size * 2 {
        return Err(format!(
            "experts must be at least two thirds of the committee; {experts} of {size} are"
        ));
    }
    Ok(())
}
