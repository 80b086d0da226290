//! The report's decisions as pure functions: whether a proposal to reject a bid (实施条例 §51)
//! is decided, and how the bids that remain are ranked and which are recommended (§53: at most
//! three candidates, in order).

use std::cmp::{Ordering, Reverse};

use serde::Serialize;

use super::BidderSummary;
use crate::session::states::{EvaluationMethod, RejectionState};

/// The report names at most this many recommended candidates (实施条例 §53).
pub(crate) const MAX_CANDIDATES: usize = 3;

/// Where a proposal to reject a bid stands once `reject` of the active `members` voted to
/// reject and `keep` voted against: rejected by more than half of the active members; not
/// rejected once that majority can no longer be reached (so a tie, possible only while a
/// vacancy leaves an even committee, does not reject); open otherwise.
pub(crate) fn rejection_outcome(reject: usize, keep: usize, members: usize) -> RejectionState {
    if reject * 2 > members {
        RejectionState::Rejected
    } else if members.saturating_sub(keep) * 2 <= members {
        RejectionState::NotRejected
    } else {
        RejectionState::Open
    }
}

/// One bid's place in the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RankedBid {
    /// 1 for the first; no two bids share a position.
    pub(crate) position: u32,
    pub(crate) bidder: String,
    /// The committee's median total, in hundredths.
    pub(crate) median_total_centi: i64,
    /// The sum of the members' totals: the tie-break after the median (the higher mean).
    pub(crate) sum_total_centi: i64,
    /// Lowest evaluated price only: the committee's median evaluated price, in hundredths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) evaluated_price_centi: Option<i64>,
    /// Every rule compares this bid equal to the one above it: their order is the order the
    /// bidders were listed in, and the tender documents' own tie rule decides between them.
    pub(crate) tied_with_previous: bool,
}

/// A recommended candidate (中标候选人), in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Candidate {
    pub(crate) position: u32,
    pub(crate) bidder: String,
}

/// Ranks the bids of `summary` (the compliant bids, in the order the bidders were listed):
///
/// - comprehensive: the higher median total first; then the higher sum of the members' totals;
/// - lowest evaluated price: the lower median evaluated price first; then the higher median
///   total; then the higher sum of totals.
///
/// Bids equal on every rule keep the order the bidders were listed in and are marked
/// `tied_with_previous`.
pub(crate) fn rank_bids(method: EvaluationMethod, summary: &[BidderSummary]) -> Vec<RankedBid> {
    let key = |bid: &BidderSummary| {
        let sum: i64 = bid.sheets.iter().map(|s| s.sheet.total_centi).sum();
        let price = match method {
            EvaluationMethod::Comprehensive => 0,
            // A bid without a price cannot be compared on price; it goes last.
            EvaluationMethod::LowestPrice => bid.median_evaluated_price_centi.unwrap_or(i64::MAX),
        };
        (price, Reverse(bid.median_total_centi), Reverse(sum))
    };
    let mut order: Vec<(usize, &BidderSummary)> = summary.iter().enumerate().collect();
    order.sort_by(|(a_index, a), (b_index, b)| match key(a).cmp(&key(b)) {
        Ordering::Equal => a_index.cmp(b_index),
        unequal => unequal,
    });
    let mut ranking: Vec<RankedBid> = Vec::with_capacity(order.len());
    let mut previous = None;
    for (position, (_, bid)) in order.into_iter().enumerate() {
        let this = key(bid);
        ranking.push(RankedBid {
            position: position as u32 + 1,
            bidder: bid.bidder.clone(),
            median_total_centi: bid.median_total_centi,
            sum_total_centi: this.2.0,
            evaluated_price_centi: match method {
                EvaluationMethod::Comprehensive => None,
                EvaluationMethod::LowestPrice => bid.median_evaluated_price_centi,
            },
            tied_with_previous: previous == Some(this),
        });
        previous = Some(this);
    }
    ranking
}

/// The first [`MAX_CANDIDATES`] bids of the ranking.
pub(crate) fn candidates(ranking: &[RankedBid]) -> Vec<Candidate> {
    ranking
        .iter()
        .take(MAX_CANDIDATES)
        .map(|bid| Candidate {
            position: bid.position,
            bidder: bid.bidder.clone(),
        })
        .collect()
}
