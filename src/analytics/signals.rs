//! Signals of collusion and manipulation (issue 21 §3; docs/ANALYTICS.md §4): each a test with
//! a tail probability under a stated null model, corrected for the number of tests made
//! (Benjamini–Hochberg), so that supervisors see few, ranked findings they can explain.
//!
//! Everything here works on pseudonymous keys (an expert is a number the service maps to a
//! pseudonym; a bidder is its credit code) and is pure, so each test is unit-tested on a
//! hand-made history.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::stats::{benjamini_hochberg, binomial_upper, poisson_binomial_upper, poisson_upper};
use crate::store::text_enum::text_enum;

text_enum! {
    /// The tests the nightly run makes; an alert rule names one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum Signal {
        /// Two experts sit on the same committee more often than their specialties, regions
        /// and seat counts explain.
        CoSitting = "co_sitting",
        /// An expert gives the same bidder their largest boost over the rest of the committee
        /// more often than chance.
        BidderFavour = "bidder_favour",
        /// A bidder wins where an expert sits far more often than it wins elsewhere.
        WinsWith = "wins_with",
        /// Two members' sheets in one evaluation agree item by item more than the committee's
        /// spread of scores explains.
        IdenticalSheets = "identical_sheets",
        /// An expert's totals fall outside the committee's deviation threshold unusually often.
        ScoreOutliers = "score_outliers",
        /// A center's draw filters leave the eligible set near the minimum unusually often.
        NarrowFilters = "narrow_filters",
        /// A center's committees lose confirmed members (recusal, leaving) unusually often.
        CommitteeDepartures = "committee_departures",
        /// An expert declines invitations unusually often.
        Declines = "declines",
        /// An expert lets invitations lapse or leaves after confirming unusually often.
        NoShows = "no_shows",
    }
}

/// An expert, as a number the caller maps to a pseudonym.
pub(crate) type ExpertKey = u32;

/// What became of one invited seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Confirmed and sat on the committee.
    Sat,
    Declined,
    /// The invitation's deadline passed without an answer.
    NoAnswer,
    /// Confirmed, then declared a conflict of interest.
    Recused,
    /// Confirmed, then left.
    Withdrew,
    /// Not answered yet: counted nowhere.
    Pending,
}

#[derive(Debug, Clone)]
pub(crate) struct SeatFact {
    pub(crate) expert: ExpertKey,
    pub(crate) outcome: Outcome,
}

/// One stratum of a committee's draws (root or linked).
#[derive(Debug, Clone)]
pub(crate) struct StratumFact {
    /// The stratum's specialty prefixes, sorted and joined: with the prefecture, the group of
    /// strata that draw from the same experts.
    pub(crate) specialties: String,
    /// Experts to seat plus reserves, as requested.
    pub(crate) need: u64,
    pub(crate) eligible: u64,
    /// Whether this stratum belongs to the root draw (the center's filter), not a linked one.
    pub(crate) root: bool,
    pub(crate) seats: Vec<SeatFact>,
}

/// One member's sheet for one bidder.
#[derive(Debug, Clone)]
pub(crate) struct SheetFact {
    pub(crate) expert: ExpertKey,
    /// The bidder's label in this session.
    pub(crate) bidder: String,
    /// Its credit code, when the session gave one.
    pub(crate) credit_code: Option<String>,
    pub(crate) scores: BTreeMap<String, i64>,
    pub(crate) total: i64,
}

/// One committee: a root draw with its linked draws, and its evaluation session if any.
#[derive(Debug, Clone)]
pub(crate) struct CommitteeFact {
    /// The root draw's id.
    pub(crate) id: String,
    /// The requesting center (its username).
    pub(crate) center: String,
    /// The project's prefecture (four or six digits), when known.
    pub(crate) prefecture: Option<String>,
    pub(crate) strata: Vec<StratumFact>,
    pub(crate) deviation_percent: u32,
    pub(crate) sheets: Vec<SheetFact>,
}

/// Who or what a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Subject {
    Experts(Vec<ExpertKey>),
    ExpertAndBidder(ExpertKey, String),
    Center(String),
    /// Two members of one committee (the root draw's id).
    MembersOf(String, [ExpertKey; 2]),
}

#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) signal: Signal,
    pub(crate) subject: Subject,
    /// What was counted, out of how many chances (0 where the count has no denominator).
    pub(crate) observed: u64,
    pub(crate) trials: u64,
    /// What the null model expects.
    pub(crate) expected: f64,
    pub(crate) p: f64,
    /// Benjamini–Hochberg adjusted, within the signal.
    pub(crate) q: f64,
    /// How many tests of this signal were made (the correction's denominator).
    pub(crate) tests: u64,
    /// The committees (root draw ids) the count comes from, at most [`MAX_EVIDENCE`].
    pub(crate) committees: Vec<String>,
}

pub(crate) const MAX_EVIDENCE: usize = 50;

/// The tunable parts of the tests.
#[derive(Debug, Clone)]
pub(crate) struct SignalSettings {
    /// Pairs are tested when they sat together at least this often.
    pub(crate) min_co_sittings: u64,
    /// Rates are tested with at least this many chances (invitations, seats, sheets, strata).
    pub(crate) min_trials: u64,
    /// An expert–bidder pair is tested when they met in at least this many evaluations.
    pub(crate) min_shared_evaluations: u64,
    /// A stratum is "near the minimum" when fewer than this many times its need were eligible.
    pub(crate) narrow_factor: u64,
    /// Findings with a q-value above this are not returned.
    pub(crate) report_q: f64,
}

impl Default for SignalSettings {
    fn default() -> Self {
        Self {
            min_co_sittings: 2,
            min_trials: 5,
            min_shared_evaluations: 3,
            narrow_factor: 2,
            report_q: 0.05,
        }
    }
}

/// Runs every test over the committees and returns the findings with q ≤ `report_q`, each
/// signal's ranked by q then p.
pub(crate) fn run(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(co_sitting(committees, settings));
    findings.extend(bidder_favour(committees, settings));
    findings.extend(wins_with(committees, settings));
    findings.extend(identical_sheets(committees));
    findings.extend(score_outliers(committees, settings));
    findings.extend(narrow_filters(committees, settings));
    findings.extend(committee_departures(committees, settings));
    findings.extend(invitation_answers(committees, settings, Signal::Declines));
    findings.extend(invitation_answers(committees, settings, Signal::NoShows));
    findings.retain(|finding| finding.q <= settings.report_q);
    findings.sort_by(|a, b| {
        a.signal
            .cmp(&b.signal)
            .then(a.q.total_cmp(&b.q))
            .then(a.p.total_cmp(&b.p))
            .then(a.subject.cmp(&b.subject))
    });
    findings
}

/// A test before the correction.
struct Tested {
    subject: Subject,
    observed: u64,
    trials: u64,
    expected: f64,
    p: f64,
    committees: Vec<String>,
}

/// Applies the correction over `tests` tests (those listed and those with nothing to show).
fn corrected(signal: Signal, tested: Vec<Tested>, tests: usize) -> Vec<Finding> {
    let p_values: Vec<f64> = tested.iter().map(|t| t.p).collect();
    let q_values = benjamini_hochberg(&p_values, tests);
    let tests = tests.max(tested.len()) as u64;
    tested
        .into_iter()
        .zip(q_values)
        .map(|(t, q)| Finding {
            signal,
            subject: t.subject,
            observed: t.observed,
            trials: t.trials,
            expected: t.expected,
            p: t.p,
            q,
            tests,
            committees: t.committees,
        })
        .collect()
}

fn push_evidence(list: &mut Vec<String>, committee: &str) {
    if list.len() < MAX_EVIDENCE && list.last().is_none_or(|last| last != committee) {
        list.push(committee.to_owned());
    }
}

/// Who sat on a committee, each expert once.
fn members(committee: &CommitteeFact) -> Vec<ExpertKey> {
    let set: BTreeSet<ExpertKey> = committee
        .strata
        .iter()
        .flat_map(|stratum| &stratum.seats)
        .filter(|seat| seat.outcome == Outcome::Sat)
        .map(|seat| seat.expert)
        .collect();
    set.into_iter().collect()
}

/// Pairs who sit together more than chance. Null model: within a group of strata (same
/// specialties, same prefecture), each seat goes to each expert in proportion to how many seats
/// of the group that expert took over the period, independently of who else sits. So the
/// chance that a and b share committee d is p_a(d)·p_b(d), with p_a(d) the sum over d's strata
/// of seats × (a's seats in the group / the group's seats); the count of shared committees is
/// then about Poisson with mean λ = Σ_d p_a(d)·p_b(d). Two experts sharing a stratum cannot
/// both take the same seat, so the product slightly overstates λ: the test errs towards
/// silence.
fn co_sitting(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    // Groups and their seat totals; each expert's seats per group.
    let mut groups: HashMap<(String, String), u32> = HashMap::new();
    let mut group_seats: Vec<f64> = Vec::new();
    let mut expert_group_seats: HashMap<(ExpertKey, u32), f64> = HashMap::new();
    // Each committee as its list of (group, seats taken).
    let mut shapes: Vec<Vec<(u32, u32)>> = Vec::with_capacity(committees.len());
    for committee in committees {
        let prefecture = committee.prefecture.clone().unwrap_or_default();
        let mut shape = Vec::new();
        for stratum in &committee.strata {
            let next = groups.len() as u32;
            let group = *groups
                .entry((stratum.specialties.clone(), prefecture.clone()))
                .or_insert(next);
            if group as usize == group_seats.len() {
                group_seats.push(0.0);
            }
            let mut taken = 0;
            for seat in stratum.seats.iter().filter(|s| s.outcome == Outcome::Sat) {
                taken += 1;
                *expert_group_seats.entry((seat.expert, group)).or_default() += 1.0;
            }
            if taken > 0 {
                group_seats[group as usize] += f64::from(taken);
                shape.push((group, taken));
            }
        }
        shape.sort_unstable();
        shapes.push(shape);
    }
    // Committees of the same shape are interchangeable under the null: count them once.
    let mut shape_counts: HashMap<&[(u32, u32)], f64> = HashMap::new();
    for shape in &shapes {
        if !shape.is_empty() {
            *shape_counts.entry(shape.as_slice()).or_default() += 1.0;
        }
    }
    let shape_list: Vec<(&[(u32, u32)], f64)> = shape_counts.into_iter().collect();
    // Per expert, the chance of a seat on each shape with any.
    let mut groups_of_expert: HashMap<ExpertKey, Vec<u32>> = HashMap::new();
    for (expert, group) in expert_group_seats.keys() {
        groups_of_expert.entry(*expert).or_default().push(*group);
    }
    let chance = |expert: ExpertKey, shape: &[(u32, u32)]| -> f64 {
        shape
            .iter()
            .map(|(group, taken)| {
                let seats = expert_group_seats
                    .get(&(expert, *group))
                    .copied()
                    .unwrap_or(0.0);
                f64::from(*taken) * seats / group_seats[*group as usize]
            })
            .sum::<f64>()
            .min(1.0)
    };

    // Who actually sat together.
    let mut together: HashMap<(ExpertKey, ExpertKey), (u64, Vec<String>)> = HashMap::new();
    for committee in committees {
        let seated = members(committee);
        for (i, a) in seated.iter().enumerate() {
            for b in &seated[i + 1..] {
                let entry = together.entry((*a, *b)).or_default();
                entry.0 += 1;
                push_evidence(&mut entry.1, &committee.id);
            }
        }
    }
    let experts_with_seats = groups_of_expert.len();
    let tests = experts_with_seats * experts_with_seats.saturating_sub(1) / 2;
    let mut tested = Vec::new();
    for ((a, b), (count, evidence)) in together {
        if count < settings.min_co_sittings {
            continue;
        }
        let lambda: f64 = shape_list
            .iter()
            .map(|(shape, committees)| committees * chance(a, shape) * chance(b, shape))
            .sum();
        tested.push(Tested {
            subject: Subject::Experts(vec![a, b]),
            observed: count,
            trials: 0,
            expected: lambda,
            p: poisson_upper(count, lambda),
            committees: evidence,
        });
    }
    corrected(Signal::CoSitting, tested, tests)
}

/// For each expert, how far above the rest of the committee they put each bidder (their total
/// minus the others' mean); `None` when the expert did not score every bidder or nobody else
/// scored one.
fn boosts(committee: &CommitteeFact) -> BTreeMap<ExpertKey, BTreeMap<&str, f64>> {
    let mut by_bidder: BTreeMap<&str, Vec<(ExpertKey, i64)>> = BTreeMap::new();
    for sheet in &committee.sheets {
        by_bidder
            .entry(sheet.bidder.as_str())
            .or_default()
            .push((sheet.expert, sheet.total));
    }
    let mut boosts: BTreeMap<ExpertKey, BTreeMap<&str, f64>> = BTreeMap::new();
    for (bidder, totals) in &by_bidder {
        let sum: i64 = totals.iter().map(|(_, t)| t).sum();
        if totals.len() < 2 {
            continue;
        }
        for (expert, total) in totals {
            let others = (sum - total) as f64 / (totals.len() - 1) as f64;
            boosts
                .entry(*expert)
                .or_default()
                .insert(bidder, *total as f64 - others);
        }
    }
    let bidders = by_bidder.len();
    boosts.retain(|_, per_bidder| per_bidder.len() == bidders);
    boosts
}

/// An expert who keeps giving one bidder their largest boost over the rest of the committee.
/// Null model: an honest member's boosts are exchangeable between the bidders of an evaluation,
/// so the bidder they boost most is any of the n bidders with chance 1/n (ties count as no
/// favourite, which only makes the test quieter). Across the evaluations an expert and a bidder
/// met in, the number of times it was that bidder is Poisson-binomial.
fn bidder_favour(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    struct Meetings {
        chances: Vec<f64>,
        favoured: u64,
        committees: Vec<String>,
    }
    let mut meetings: BTreeMap<(ExpertKey, String), Meetings> = BTreeMap::new();
    for committee in committees {
        let codes: BTreeMap<&str, &str> = committee
            .sheets
            .iter()
            .filter_map(|s| Some((s.bidder.as_str(), s.credit_code.as_deref()?)))
            .collect();
        let boosts = boosts(committee);
        for (expert, per_bidder) in &boosts {
            if per_bidder.len() < 2 || boosts.len() < 3 {
                continue;
            }
            let best = per_bidder.values().copied().fold(f64::MIN, f64::max);
            let leaders: Vec<&&str> = per_bidder
                .iter()
                .filter(|(_, boost)| **boost == best)
                .map(|(bidder, _)| bidder)
                .collect();
            let favourite = (leaders.len() == 1).then(|| *leaders[0]);
            for bidder in per_bidder.keys() {
                let Some(code) = codes.get(bidder) else {
                    continue;
                };
                let entry = meetings
                    .entry((*expert, (*code).to_owned()))
                    .or_insert_with(|| Meetings {
                        chances: Vec::new(),
                        favoured: 0,
                        committees: Vec::new(),
                    });
                entry.chances.push(1.0 / per_bidder.len() as f64);
                if favourite == Some(*bidder) {
                    entry.favoured += 1;
                    push_evidence(&mut entry.committees, &committee.id);
                }
            }
        }
    }
    // Pairs that met too rarely are left out of the count of tests: which pairs are tested
    // depends on how often they met, not on how the expert scored (independent filtering).
    let tested_pairs: Vec<_> = meetings
        .into_iter()
        .filter(|(_, m)| m.chances.len() as u64 >= settings.min_shared_evaluations)
        .collect();
    let tests = tested_pairs.len();
    let tested = tested_pairs
        .into_iter()
        .map(|((expert, code), m)| Tested {
            p: poisson_binomial_upper(m.favoured as usize, &m.chances),
            expected: m.chances.iter().sum(),
            subject: Subject::ExpertAndBidder(expert, code),
            observed: m.favoured,
            trials: m.chances.len() as u64,
            committees: m.committees,
        })
        .collect();
    corrected(Signal::BidderFavour, tested, tests)
}

/// The bidder each committee placed first: the highest mean total (credit-coded bidders only;
/// none on a tie), with every credit-coded bidder that took part.
fn winners(committee: &CommitteeFact) -> Option<(String, Vec<String>)> {
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for sheet in &committee.sheets {
        let Some(code) = sheet.credit_code.as_deref() else {
            continue;
        };
        let entry = totals.entry(code).or_default();
        entry.0 += sheet.total;
        entry.1 += 1;
    }
    if totals.len() < 2 {
        return None;
    }
    // Compared as fractions: a/b > c/d when a·d > c·b.
    let mut best: Option<(&str, (i64, i64))> = None;
    let mut tied = false;
    for (code, (sum, count)) in &totals {
        match best {
            None => best = Some((code, (*sum, *count))),
            Some((_, (b_sum, b_count))) => {
                let (left, right) = (
                    i128::from(*sum) * i128::from(b_count),
                    i128::from(b_sum) * i128::from(*count),
                );
                if left > right {
                    best = Some((code, (*sum, *count)));
                    tied = false;
                } else if left == right {
                    tied = true;
                }
            }
        }
    }
    let (winner, _) = best?;
    (!tied).then(|| {
        (
            winner.to_owned(),
            totals.keys().map(|c| (*c).to_owned()).collect(),
        )
    })
}

/// A bidder that keeps winning where an expert sits. Null model: where the expert sits, the
/// bidder wins as often as it wins in the evaluations it bid in without that expert (with one
/// win and one loss added, so that a bidder never seen without the expert counts as even).
/// Binomial upper tail over the evaluations they shared (at least 3).
fn wins_with(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    // Per bidder: evaluations and wins, in all; per (expert, bidder): shared ones.
    let mut bidder_totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut shared: BTreeMap<(ExpertKey, String), (u64, u64, Vec<String>)> = BTreeMap::new();
    for committee in committees {
        let Some((winner, bidders)) = winners(committee) else {
            continue;
        };
        let seated: BTreeSet<ExpertKey> = committee.sheets.iter().map(|s| s.expert).collect();
        for bidder in &bidders {
            let won = *bidder == winner;
            let entry = bidder_totals.entry(bidder.clone()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(won);
            for expert in &seated {
                let pair = shared.entry((*expert, bidder.clone())).or_default();
                pair.0 += 1;
                pair.1 += u64::from(won);
                if won {
                    push_evidence(&mut pair.2, &committee.id);
                }
            }
        }
    }
    let tested_pairs: Vec<_> = shared
        .into_iter()
        .filter(|(_, (n, _, _))| *n >= settings.min_shared_evaluations)
        .collect();
    let tests = tested_pairs.len();
    let tested = tested_pairs
        .into_iter()
        .map(|((expert, bidder), (n, wins, evidence))| {
            let (all, all_wins) = bidder_totals.get(&bidder).copied().unwrap_or_default();
            let rate = ((all_wins - wins) as f64 + 1.0) / ((all - n) as f64 + 2.0);
            Tested {
                p: binomial_upper(wins, n, rate),
                expected: n as f64 * rate,
                subject: Subject::ExpertAndBidder(expert, bidder),
                observed: wins,
                trials: n,
                committees: evidence,
            }
        })
        .collect();
    corrected(Signal::WinsWith, tested, tests)
}

/// Two members of one committee whose sheets agree item by item more than the committee's own
/// spread explains. Null model: on each item (a bidder's criterion) the two score independently,
/// each like the other members did; the chance they agree is Σ_v f_v², with f_v the share of
/// the other members who gave value v. Items the others all scored alike carry no weight of
/// evidence (chance 1). The number of agreements is Poisson-binomial.
fn identical_sheets(committees: &[CommitteeFact]) -> Vec<Finding> {
    let mut tested = Vec::new();
    let mut tests = 0;
    for committee in committees {
        let mut items: BTreeMap<ExpertKey, BTreeMap<(&str, &str), i64>> = BTreeMap::new();
        for sheet in &committee.sheets {
            for (criterion, score) in &sheet.scores {
                items
                    .entry(sheet.expert)
                    .or_default()
                    .insert((sheet.bidder.as_str(), criterion.as_str()), *score);
            }
        }
        if items.len() < 5 {
            continue; // two to compare and at least three others to learn the spread from
        }
        let experts: Vec<ExpertKey> = items.keys().copied().collect();
        for (i, a) in experts.iter().enumerate() {
            for b in &experts[i + 1..] {
                let mut chances = Vec::new();
                let mut agreements = 0;
                for (item, score) in &items[a] {
                    let Some(other) = items[b].get(item) else {
                        continue;
                    };
                    let mut values: HashMap<i64, f64> = HashMap::new();
                    let mut others = 0.0;
                    for expert in experts.iter().filter(|e| *e != a && *e != b) {
                        if let Some(value) = items[expert].get(item) {
                            *values.entry(*value).or_default() += 1.0;
                            others += 1.0;
                        }
                    }
                    if others < 3.0 {
                        continue;
                    }
                    let chance: f64 = values.values().map(|n| (n / others).powi(2)).sum();
                    chances.push(chance);
                    if score == other {
                        agreements += 1;
                    }
                }
                if chances.len() < 3 {
                    continue;
                }
                tests += 1;
                tested.push(Tested {
                    p: poisson_binomial_upper(agreements, &chances),
                    expected: chances.iter().sum(),
                    subject: Subject::MembersOf(committee.id.clone(), [*a, *b]),
                    observed: agreements as u64,
                    trials: chances.len() as u64,
                    committees: vec![committee.id.clone()],
                });
            }
        }
    }
    corrected(Signal::IdenticalSheets, tested, tests)
}

/// A rate test per subject: x of n against the rate over everyone (binomial upper tail).
struct RateCounts {
    hits: u64,
    trials: u64,
    committees: Vec<String>,
}

impl RateCounts {
    fn new() -> Self {
        Self {
            hits: 0,
            trials: 0,
            committees: Vec::new(),
        }
    }

    fn count(&mut self, hit: bool, committee: &CommitteeFact) {
        self.trials += 1;
        if hit {
            self.hits += 1;
            push_evidence(&mut self.committees, &committee.id);
        }
    }
}

fn rate_tests<K: Ord>(
    signal: Signal,
    counts: BTreeMap<K, RateCounts>,
    subject: impl Fn(K) -> Subject,
    settings: &SignalSettings,
) -> Vec<Finding> {
    let hits: u64 = counts.values().map(|c| c.hits).sum();
    let trials: u64 = counts.values().map(|c| c.trials).sum();
    if trials == 0 {
        return Vec::new();
    }
    let rate = hits as f64 / trials as f64;
    // As for expert–bidder pairs: subjects with too few chances are not tests.
    let tested_subjects: Vec<_> = counts
        .into_iter()
        .filter(|(_, c)| c.trials >= settings.min_trials)
        .collect();
    let tests = tested_subjects.len();
    let tested = tested_subjects
        .into_iter()
        .map(|(key, c)| Tested {
            p: binomial_upper(c.hits, c.trials, rate),
            expected: c.trials as f64 * rate,
            subject: subject(key),
            observed: c.hits,
            trials: c.trials,
            committees: c.committees,
        })
        .collect();
    corrected(signal, tested, tests)
}

/// Experts whose totals deviate from the committee's median for a bidder (by more than the
/// session's deviation threshold) in more evaluations than everyone's rate.
fn score_outliers(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    let mut counts: BTreeMap<ExpertKey, RateCounts> = BTreeMap::new();
    for committee in committees {
        let mut by_bidder: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for sheet in &committee.sheets {
            by_bidder
                .entry(sheet.bidder.as_str())
                .or_default()
                .push(sheet.total);
        }
        for totals in by_bidder.values_mut() {
            totals.sort_unstable();
        }
        // One chance per member and evaluation (a member's sheets in one evaluation share
        // their mood, so counting sheets would count one lenient day many times): the member
        // is an outlier there when at least half of their sheets deviate.
        let mut per_member: BTreeMap<ExpertKey, (u32, u32)> = BTreeMap::new();
        for sheet in &committee.sheets {
            let totals = &by_bidder[sheet.bidder.as_str()];
            if totals.len() < 3 {
                continue;
            }
            let median = median_of_sorted(totals);
            let deviates = (sheet.total as f64 - median).abs() * 100.0
                > f64::from(committee.deviation_percent) * median.abs();
            let entry = per_member.entry(sheet.expert).or_default();
            entry.0 += u32::from(deviates);
            entry.1 += 1;
        }
        for (expert, (deviating, sheets)) in per_member {
            counts
                .entry(expert)
                .or_insert_with(RateCounts::new)
                .count(deviating * 2 >= sheets, committee);
        }
    }
    rate_tests(
        Signal::ScoreOutliers,
        counts,
        |e| Subject::Experts(vec![e]),
        settings,
    )
}

fn median_of_sorted(sorted: &[i64]) -> f64 {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle] as f64
    } else {
        (sorted[middle - 1] as f64 + sorted[middle] as f64) / 2.0
    }
}

/// Centers whose root draws' strata leave fewer than `narrow_factor` × need eligible experts
/// more often than every center's rate.
fn narrow_filters(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    let mut counts: BTreeMap<String, RateCounts> = BTreeMap::new();
    for committee in committees {
        for stratum in committee.strata.iter().filter(|s| s.root) {
            let narrow = stratum.eligible < settings.narrow_factor * stratum.need;
            counts
                .entry(committee.center.clone())
                .or_insert_with(RateCounts::new)
                .count(narrow, committee);
        }
    }
    rate_tests(Signal::NarrowFilters, counts, Subject::Center, settings)
}

/// Centers whose committees' confirmed members recuse or leave more often than everyone's.
fn committee_departures(committees: &[CommitteeFact], settings: &SignalSettings) -> Vec<Finding> {
    let mut counts: BTreeMap<String, RateCounts> = BTreeMap::new();
    for committee in committees {
        for seat in committee.strata.iter().flat_map(|s| &s.seats) {
            let departed = match seat.outcome {
                Outcome::Recused | Outcome::Withdrew => true,
                Outcome::Sat => false,
                _ => continue,
            };
            counts
                .entry(committee.center.clone())
                .or_insert_with(RateCounts::new)
                .count(departed, committee);
        }
    }
    rate_tests(
        Signal::CommitteeDepartures,
        counts,
        Subject::Center,
        settings,
    )
}

/// Experts who decline (`Declines`), or let invitations lapse or leave after confirming
/// (`NoShows`), more often than everyone's rate, over the invitations they had an answer to.
fn invitation_answers(
    committees: &[CommitteeFact],
    settings: &SignalSettings,
    signal: Signal,
) -> Vec<Finding> {
    let mut counts: BTreeMap<ExpertKey, RateCounts> = BTreeMap::new();
    for committee in committees {
        for seat in committee.strata.iter().flat_map(|s| &s.seats) {
            if seat.outcome == Outcome::Pending {
                continue;
            }
            let hit = match signal {
                Signal::Declines => seat.outcome == Outcome::Declined,
                _ => matches!(seat.outcome, Outcome::NoAnswer | Outcome::Withdrew),
            };
            counts
                .entry(seat.expert)
                .or_insert_with(RateCounts::new)
                .count(hit, committee);
        }
    }
    rate_tests(signal, counts, |e| Subject::Experts(vec![e]), settings)
}

#[cfg(test)]
mod tests;
