//! The evaluation's rules as pure functions over plain types: the phase order and each move's
//! preconditions, the committee's composition, the chair election, score sheets and their
//! deviation from the committee median, the report's digest, seat assignment across venues and
//! an expert's credit score. Nothing here does I/O; the service feeds it what the store holds.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::crypto::Suite;
use crate::session::states::EvaluationMethod;

mod ranking;

pub(crate) use ranking::{candidates, rank_bids, rejection_outcome};

pub(crate) use crate::draw::committee::committee_composition;
/// At most this many bidders, criteria, and characters in free text.
pub(crate) const MAX_BIDDERS: usize = 50;
pub(crate) const MAX_CRITERIA: usize = 30;
pub(crate) const MAX_LABEL_CHARS: usize = 100;
pub(crate) const MAX_TEXT_CHARS: usize = 2_000;
/// A dissent, and a proposal to reject a bid, need written reasons of at least this many
/// characters.
pub(crate) const MIN_DISSENT_CHARS: usize = 10;
/// The highest evaluated price a sheet may state, in yuan (a trillion: above any tender).
pub(crate) const MAX_EVALUATED_PRICE: i64 = 1_000_000_000_000;
/// The highest a criterion may be worth, in points.
pub(crate) const MAX_CRITERION_POINTS: u32 = 1_000;

crate::store::text_enum::text_enum! {
    /// The phases, in the only order a session moves through them.
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    pub enum Phase {
        /// Created; seats not yet assigned to venues. Entropy for a random assignment is taken now.
        Scheduled = "scheduled",
        CheckIn = "check_in",
        Recusal = "recusal",
        ChairElection = "chair_election",
        Evaluation = "evaluation",
        Summary = "summary",
        Signing = "signing",
        Closed = "closed",
    }
}

impl Phase {
    /// The phase a host may move to from this one; none once closed.
    pub(crate) fn next(self) -> Option<Self> {
        let position = Self::ALL.iter().position(|phase| *phase == self)?;
        Self::ALL.get(position + 1).copied()
    }
}

/// Whether `declared` members asking for more time make an extension (实施条例 §48: more
/// than a third of the committee's members; exactly a third is not enough).
pub(crate) fn extension_due(declared: usize, members: usize) -> bool {
    members > 0 && declared * 3 > members
}

/// What a seat has done, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeatFacts {
    pub seat: u32,
    /// False once the member was replaced: their conclusions are void.
    pub(crate) active: bool,
    /// The draw still holds the seat's expert as a confirmed member (a replacement's successor
    /// is pending until they accept their invitation).
    pub(crate) confirmed: bool,
    pub(crate) checked_in: bool,
    pub(crate) declared_no_conflict: bool,
    pub(crate) vote: Option<u32>,
    /// Bidders this seat has a live score sheet for.
    pub(crate) sheets: BTreeSet<String>,
    pub(crate) signature: Option<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub(crate) enum Signature {
    Agree,
    Dissent { reasons: String },
}

/// Everything a phase move's preconditions look at.
#[derive(Debug, Clone)]
pub(crate) struct SessionFacts {
    pub(crate) phase: Phase,
    /// Seats the draw's strata ask for: the committee's size.
    pub(crate) committee_size: usize,
    /// Members who are not drawn experts (the tenderer's representatives); 0 when every
    /// member comes from the pool.
    pub(crate) non_expert_members: usize,
    pub(crate) seats: Vec<SeatFacts>,
    pub(crate) chair: Option<u32>,
    /// The bidders every member scores: the rejected ones are out of the scoring.
    pub(crate) bidders: Vec<String>,
    /// Proposals to reject a bid that are still open: the summary waits for their decision.
    pub(crate) undecided_rejections: Vec<UndecidedRejection>,
    /// A random assignment waits for at least one contribution besides the server's secret.
    pub(crate) assignment_needs_entropy: bool,
    /// The signing deadline has passed: members who neither signed nor dissented are deemed to
    /// agree (实施条例 §53 ¶2), so they no longer hold the session open.
    pub(crate) signing_deadline_passed: bool,
    /// Catalogue sub-venues whose centers have not accepted (unanswered or refused), each in
    /// words a host can act on: nobody is placed in a room its center has not agreed to lend.
    pub(crate) venues_without_consent: Vec<String>,
}

/// An open proposal to reject a bid, and the seats that have voted on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UndecidedRejection {
    pub(crate) proposal: u32,
    pub(crate) voted: BTreeSet<u32>,
}

/// One unmet precondition, in words a host can act on, with the seats concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Missing {
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) seats: Vec<u32>,
    /// The seats' labels for the problem's text, when the service knows them better than
    /// "Expert n" (a representative's seat); empty: "Expert n".
    #[serde(skip)]
    pub(crate) labels: Vec<String>,
}

impl Missing {
    fn new(code: &'static str, detail: impl Into<String>, seats: Vec<u32>) -> Self {
        Self {
            code,
            detail: detail.into(),
            seats,
            labels: Vec::new(),
        }
    }
}

/// Why a move is refused outright (not a precondition that can still be met).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MoveError {
    #[error("a closed session stays closed")]
    Closed,
    #[error("its next phase is {next}, not {to}")]
    NotNext {
        from: &'static str,
        next: &'static str,
        to: &'static str,
    },
}

/// Whether the host may move from the current phase to `to`: phases go one step forward only.
/// `Ok(list)` lists every unmet precondition (empty: the move may happen).
pub(crate) fn check_move(facts: &SessionFacts, to: Phase) -> Result<Vec<Missing>, MoveError> {
    let next = facts.phase.next().ok_or(MoveError::Closed)?;
    if to != next {
        return Err(MoveError::NotNext {
            from: facts.phase.as_str(),
            next: next.as_str(),
            to: to.as_str(),
        });
    }
    let mut missing = Vec::new();
    if to == Phase::CheckIn {
        if facts.assignment_needs_entropy {
            missing.push(Missing::new(
                "assignment-entropy",
                "the random seat assignment needs at least one contribution (host or supervisor) \
                 before it is revealed",
                Vec::new(),
            ));
        }
        for venue in &facts.venues_without_consent {
            missing.push(Missing::new(
                "sub-venue-consent",
                format!("the sub-venue {venue}"),
                Vec::new(),
            ));
        }
        return Ok(missing);
    }
    // Every later phase needs the whole committee present: each move re-checks what earlier
    // moves required, because a replacement can arrive at any time and must catch up.
    let active: Vec<&SeatFacts> = facts.seats.iter().filter(|s| s.active).collect();
    let pending: Vec<u32> = active
        .iter()
        .filter(|s| !s.confirmed)
        .map(|s| s.seat)
        .collect();
    if !pending.is_empty() {
        missing.push(Missing::new(
            "replacement-pending",
            "a replacement has not yet accepted the seat",
            pending,
        ));
    }
    let seated = active.iter().filter(|s| s.confirmed).count();
    if seated < facts.committee_size {
        missing.push(Missing::new(
            "seats-vacant",
            format!(
                "{} of {} seats are held by confirmed members; vacated seats wait for their \
                 replacements",
                seated, facts.committee_size
            ),
            Vec::new(),
        ));
    }
    if let Err(problem) = committee_composition(facts.committee_size, facts.non_expert_members) {
        missing.push(Missing::new("committee-composition", problem, Vec::new()));
    }
    let absent = seats_where(&active, |s| !s.checked_in);
    if !absent.is_empty() {
        missing.push(Missing::new(
            "not-checked-in",
            "every seat must be checked in",
            absent,
        ));
    }
    if to >= Phase::ChairElection {
        let undeclared = seats_where(&active, |s| !s.declared_no_conflict);
        if !undeclared.is_empty() {
            missing.push(Missing::new(
                "not-declared",
                "every member must declare that they have no conflict of interest",
                undeclared,
            ));
        }
    }
    if to >= Phase::Evaluation && facts.chair.is_none() {
        let (_, votes) = elect_chair(&facts.seats);
        missing.push(Missing::new(
            "no-chair",
            format!(
                "no member has a majority of the committee's votes ({votes} of {} cast)",
                active.len()
            ),
            // Members without a vote that counts: none cast, or cast for a vacated seat.
            seats_where(&active, |s| {
                s.vote
                    .is_none_or(|choice| !active.iter().any(|a| a.seat == choice))
            }),
        ));
    }
    if to >= Phase::Summary {
        let incomplete = seats_where(&active, |s| {
            facts
                .bidders
                .iter()
                .any(|bidder| !s.sheets.contains(bidder))
        });
        if !incomplete.is_empty() {
            missing.push(Missing::new(
                "sheets-missing",
                "every member must submit a score sheet for every bidder",
                incomplete,
            ));
        }
        for open in &facts.undecided_rejections {
            missing.push(Missing::new(
                "rejection-undecided",
                format!(
                    "the committee has not yet decided rejection proposal {}",
                    open.proposal
                ),
                seats_where(&active, |s| !open.voted.contains(&s.seat)),
            ));
        }
    }
    if to == Phase::Closed {
        let unsigned = seats_where(&active, |s| s.signature.is_none());
        if !unsigned.is_empty() && !facts.signing_deadline_passed {
            missing.push(Missing::new(
                "not-signed",
                "every member must sign the report or dissent with written reasons (until the \
                 signing deadline; then whoever has done neither is deemed to agree)",
                unsigned,
            ));
        }
    }
    Ok(missing)
}

fn seats_where(seats: &[&SeatFacts], unmet: impl Fn(&SeatFacts) -> bool) -> Vec<u32> {
    seats
        .iter()
        .filter(|seat| unmet(seat))
        .map(|seat| seat.seat)
        .collect()
}

/// The member holding a strict majority of the active committee's votes, if any, and the
/// number of votes cast. Void members' votes do not count, and neither do votes for them.
pub(crate) fn elect_chair(seats: &[SeatFacts]) -> (Option<u32>, usize) {
    let active: BTreeSet<u32> = seats.iter().filter(|s| s.active).map(|s| s.seat).collect();
    let mut tally: BTreeMap<u32, usize> = BTreeMap::new();
    let mut cast = 0;
    for seat in seats.iter().filter(|s| s.active) {
        if let Some(choice) = seat.vote.filter(|choice| active.contains(choice)) {
            *tally.entry(choice).or_default() += 1;
            cast += 1;
        }
    }
    let winner = tally
        .into_iter()
        .find(|(_, votes)| votes * 2 > active.len())
        .map(|(seat, _)| seat);
    (winner, cast)
}

/// What a session evaluates: who bids, and the criteria each sheet scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Criterion {
    pub name: String,
    /// The most points this criterion gives.
    pub(crate) max_points: u32,
}

/// A validated score sheet: points per criterion in hundredths (integers, so that every
/// server and the audit log's canonical JSON agree on them), and their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScoreSheet {
    pub(crate) bidder: String,
    pub(crate) scores_centi: BTreeMap<String, i64>,
    pub(crate) total_centi: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    /// Lowest evaluated price only: the bid's evaluated price in the member's judgement, in
    /// hundredths of a yuan. Absent otherwise, so such sheets keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) evaluated_price_centi: Option<i64>,
}

/// What a sheet is checked against: the session's bidders, criteria and method.
pub(crate) struct SheetRules<'a> {
    pub(crate) bidders: &'a [String],
    pub(crate) criteria: &'a [Criterion],
    pub(crate) method: EvaluationMethod,
}

/// Checks a submitted sheet against the session's bidders and criteria. Scores are numbers
/// with at most two decimals, from 0 to the criterion's maximum; every criterion is scored.
/// A lowest-evaluated-price session needs the bid's evaluated price (yuan, at most two
/// decimals, above 0); any other refuses one.
pub(crate) fn validate_sheet(
    rules: &SheetRules<'_>,
    bidder: &str,
    scores: &BTreeMap<String, serde_json::Number>,
    comment: Option<&str>,
    evaluated_price: Option<&serde_json::Number>,
) -> Result<ScoreSheet, (String, String)> {
    let (bidders, criteria) = (rules.bidders, rules.criteria);
    if !bidders.iter().any(|b| b == bidder) {
        return Err((
            "bidder".into(),
            format!(
                "not a bidder of this session (one of: {})",
                bidders.join(", ")
            ),
        ));
    }
    let mut scores_centi = BTreeMap::new();
    for criterion in criteria {
        let Some(number) = scores.get(&criterion.name) else {
            return Err((
                format!("scores.{}", criterion.name),
                "every criterion must be scored".into(),
            ));
        };
        let centi = to_centi(number).ok_or_else(|| {
            (
                format!("scores.{}", criterion.name),
                "must be a number with at most two decimals".to_string(),
            )
        })?;
        if !(0..=i64::from(criterion.max_points) * 100).contains(&centi) {
            return Err((
                format!("scores.{}", criterion.name),
                format!("must be from 0 to {}", criterion.max_points),
            ));
        }
        scores_centi.insert(criterion.name.clone(), centi);
    }
    if let Some(extra) = scores
        .keys()
        .find(|name| !criteria.iter().any(|c| &c.name == *name))
    {
        return Err((
            format!("scores.{extra}"),
            "not a criterion of this session".into(),
        ));
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if let Some(text) = comment {
        check_text("comment", text, MAX_TEXT_CHARS)?;
    }
    let evaluated_price_centi = match (rules.method, evaluated_price) {
        (EvaluationMethod::Comprehensive, None) => None,
        (EvaluationMethod::Comprehensive, Some(_)) => {
            return Err((
                "evaluated_price".into(),
                "only a lowest-evaluated-price session states evaluated prices".into(),
            ));
        }
        (EvaluationMethod::LowestPrice, None) => {
            return Err((
                "evaluated_price".into(),
                "a lowest-evaluated-price session needs the bid's evaluated price".into(),
            ));
        }
        (EvaluationMethod::LowestPrice, Some(number)) => {
            let centi = to_centi(number).ok_or_else(|| {
                (
                    "evaluated_price".to_string(),
                    "must be a number with at most two decimals".to_string(),
                )
            })?;
            if !(1..=MAX_EVALUATED_PRICE * 100).contains(&centi) {
                return Err((
                    "evaluated_price".into(),
                    format!("must be above 0 and at most {MAX_EVALUATED_PRICE}"),
                ));
            }
            Some(centi)
        }
    };
    Ok(ScoreSheet {
        bidder: bidder.to_owned(),
        total_centi: scores_centi.values().sum(),
        scores_centi,
        comment: comment.map(str::to_owned),
        evaluated_price_centi,
    })
}

/// A JSON number as hundredths, if it has at most two decimals and fits.
fn to_centi(number: &serde_json::Number) -> Option<i64> {
    if let Some(whole) = number.as_i64() {
        return whole.checked_mul(100);
    }
    // Decimal text, not the float, decides: 0.29 * 100 is 28.999999999999996 as a float.
    let text = number.to_string();
    let (whole, fraction) = text.split_once('.')?;
    if fraction.is_empty()
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || text.contains(['e', 'E'])
    {
        return None;
    }
    let negative = whole.starts_with('-');
    let scale = if fraction.len() == 1 { 10 } else { 1 };
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = fraction.parse::<i64>().ok()? * scale;
    let magnitude = whole.abs().checked_mul(100)?.checked_add(fraction)?;
    Some(if negative { -magnitude } else { magnitude })
}

/// A label or free text: trimmed, not empty, within `max` characters, its characters allowed
/// by [`crate::text::check`] (newlines and tabs included).
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> Result<(), (String, String)> {
    if text.trim().is_empty() {
        return Err((field.into(), "must not be empty".into()));
    }
    if text.chars().count() > max {
        return Err((field.into(), format!("must be at most {max} characters")));
    }
    crate::text::check(text, crate::text::Lines::Many).map_err(|problem| (field.into(), problem))
}

/// One sheet as the summary shows it, flagged when its total strays from the committee's
/// median for the bidder by more than the session's tolerance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SummarySheet {
    pub seat: u32,
    #[serde(flatten)]
    pub(crate) sheet: ScoreSheet,
    pub(crate) deviates: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct BidderSummary {
    pub(crate) bidder: String,
    /// The committee's median total, in hundredths (the lower median of an even count).
    pub(crate) median_total_centi: i64,
    /// Lowest evaluated price only: the median of the sheets' evaluated prices, likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) median_evaluated_price_centi: Option<i64>,
    pub(crate) sheets: Vec<SummarySheet>,
}

/// The summary: per bidder, every live sheet and the median of their totals; a sheet deviates
/// when `|total − median| × 100 > tolerance_percent × median` (with a zero median, any
/// non-zero total deviates).
pub(crate) fn summarise(
    bidders: &[String],
    sheets: &[(u32, ScoreSheet)],
    tolerance_percent: u32,
) -> Vec<BidderSummary> {
    bidders
        .iter()
        .map(|bidder| {
            let mut of_bidder: Vec<&(u32, ScoreSheet)> =
                sheets.iter().filter(|(_, s)| &s.bidder == bidder).collect();
            of_bidder.sort_by_key(|(seat, _)| *seat);
            let mut totals: Vec<i64> = of_bidder.iter().map(|(_, s)| s.total_centi).collect();
            totals.sort_unstable();
            let median = match totals.len() {
                0 => 0,
                n => totals[(n - 1) / 2],
            };
            let mut prices: Vec<i64> = of_bidder
                .iter()
                .filter_map(|(_, s)| s.evaluated_price_centi)
                .collect();
            prices.sort_unstable();
            let median_price = match prices.len() {
                0 => None,
                n => Some(prices[(n - 1) / 2]),
            };
            let sheets = of_bidder
                .into_iter()
                .map(|(seat, sheet)| SummarySheet {
                    seat: *seat,
                    deviates: (sheet.total_centi - median).unsigned_abs() * 100
                        > u64::from(tolerance_percent) * median.unsigned_abs(),
                    sheet: sheet.clone(),
                })
                .collect();
            BidderSummary {
                bidder: bidder.clone(),
                median_total_centi: median,
                median_evaluated_price_centi: median_price,
                sheets,
            }
        })
        .collect()
}

/// The suite's digest of a report's canonical JSON: what members sign and the closing entry
/// commits to.
pub(crate) fn report_digest(suite: Suite, canonical_json: &[u8]) -> [u8; 32] {
    suite.hash(canonical_json)
}

/// Domain tag of the seat-assignment seed (docs/PROTOCOL.md, "Seat assignment").
pub(crate) const ASSIGNMENT_TAG: &str = "sealdraw-session-v1/assignment";
pub(crate) const ASSIGNMENT_COMMITMENT_TAG: &str = "sealdraw-session-v1/assignment-commitment";

fn length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `H(lp(tag) ‖ lp(session_id) ‖ lp(secret))`, H the suite's hash (SHA-256 or SM3): published
/// when the session is created, before anyone contributes, so the secret cannot be chosen
/// afterwards.
pub fn assignment_commitment(suite: Suite, session_id: &str, secret: &[u8]) -> [u8; 32] {
    let mut message = Vec::new();
    length_prefixed(&mut message, ASSIGNMENT_COMMITMENT_TAG.as_bytes());
    length_prefixed(&mut message, session_id.as_bytes());
    length_prefixed(&mut message, secret);
    suite.hash(&message)
}

/// `H(lp(tag) ‖ lp(session_id) ‖ lp(secret) ‖ u64(n) ‖ lp(c1) ‖ … ‖ lp(cn))`.
pub fn assignment_seed(
    suite: Suite,
    session_id: &str,
    secret: &[u8],
    contributions: &[Vec<u8>],
) -> [u8; 32] {
    let mut message = Vec::new();
    length_prefixed(&mut message, ASSIGNMENT_TAG.as_bytes());
    length_prefixed(&mut message, session_id.as_bytes());
    length_prefixed(&mut message, secret);
    message.extend_from_slice(&(contributions.len() as u64).to_be_bytes());
    for contribution in contributions {
        length_prefixed(&mut message, contribution);
    }
    suite.hash(&message)
}

/// Uniform integers below a bound from a seed: block `i` is `H(seed ‖ u64(i))`, read as a
/// big-endian u64, rejected at or above the largest multiple of the bound (no modulo bias).
struct SeedStream {
    suite: Suite,
    seed: [u8; 32],
    counter: u64,
}

impl SeedStream {
    fn below(&mut self, bound: u64) -> u64 {
        let limit = u64::MAX - (u64::MAX % bound);
        loop {
            let mut block = self.seed.to_vec();
            block.extend_from_slice(&self.counter.to_be_bytes());
            self.counter += 1;
            let digest = self.suite.hash(&block);
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            let value = u64::from_be_bytes(first);
            if value < limit {
                return value % bound;
            }
        }
    }
}

/// Places `seats` members into venues with the given capacities: the venue slots (venue 0's
/// slots first, then venue 1's, …) are shuffled by Fisher–Yates from the last position down,
/// swapping position `i` with `below(i + 1)`, and seat `j` (in seat-number order) takes slot
/// `j`. `None` when the venues have fewer seats than the committee.
pub fn assign_venues(
    suite: Suite,
    seed: &[u8; 32],
    seats: usize,
    capacities: &[u32],
) -> Option<Vec<u32>> {
    let mut slots: Vec<u32> = capacities
        .iter()
        .enumerate()
        .flat_map(|(venue, capacity)| std::iter::repeat_n(venue as u32, *capacity as usize))
        .collect();
    if slots.len() < seats {
        return None;
    }
    let mut stream = SeedStream {
        suite,
        seed: *seed,
        counter: 0,
    };
    for i in (1..slots.len()).rev() {
        let j = stream.below(i as u64 + 1) as usize;
        slots.swap(i, j);
    }
    slots.truncate(seats);
    Some(slots)
}

/// The same placement without randomness: seats fill venue 0, then venue 1, … in order.
pub(crate) fn assign_in_order(seats: usize, capacities: &[u32]) -> Option<Vec<u32>> {
    let slots: Vec<u32> = capacities
        .iter()
        .enumerate()
        .flat_map(|(venue, capacity)| std::iter::repeat_n(venue as u32, *capacity as usize))
        .take(seats)
        .collect();
    (slots.len() == seats).then_some(slots)
}

#[cfg(test)]
mod tests;
