//! The draw's filter: its canonical form (whose SHA-256 the intent commits to) and the pool
//! rules, as pure functions over plain values. The store supplies the facts (who is on leave,
//! who is tied to an avoided organisation, …); these functions decide, and count every
//! exclusion under one reason code so the center sees why without seeing who.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::audit::entry::{EntryError, canonical_json};
use crate::clock::Millis;
use crate::crypto::Suite;
use crate::pool::Relation;
use crate::pool::assessment::Tier;
use crate::pool::own_record::ExpertStatus;

pub(crate) const FILTER_VERSION: &str = "sealdraw-filter-v1";

crate::store::text_enum::text_enum! {
    /// How the evaluation is held; cross-site sessions draw from outside the project's region.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum EvaluationMode {
        OnSite = "on_site",
        CrossSite = "cross_site",
        Distributed = "distributed",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterStratum {
    pub prefixes: Vec<String>,
    pub k: u32,
    pub m: u32,
    /// The stratum's own region rule (region code prefixes), applied together with the draw's
    /// (`DrawFilter::regions_*`), so it only ever narrows it. Left out of the canonical form
    /// when empty: a filter made before strata had their own rules hashes as it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions_exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions_require: Vec<String>,
    /// The catalogue venue the stratum's experts sit at (docs/VENUES.md), its county-level
    /// region code as the catalogue had it when the draw was asked for, and the scope of the
    /// region rule it brings (a prefecture scope requires the venue's prefecture), so that the
    /// filter alone says what was applied. Left out when absent, so filters of unbound strata
    /// hash as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_scope: Option<VenueScope>,
    /// Instead of `venue_id`: the stratum's sub-venue is chosen after the seed among other
    /// centers' venues in these regions (DRAW-SPEC §7a), and its experts come from them.
    /// Left out when absent, so other filters hash as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_random: Option<VenueRandom>,
}

/// Where a stratum's sub-venue is chosen from at random (DRAWS.md, "A sub-venue chosen at
/// random"): region code prefixes, each checked against Hubei's divisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VenueRandom {
    pub regions: Vec<String>,
}

/// How far a venue-bound stratum draws from: the venue's prefecture (the default), or the
/// whole province (no narrowing from the venue). A county scope is refused while experts'
/// regions are recorded by prefecture (docs/DRAWS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VenueScope {
    Prefecture,
    County,
    Province,
}

impl VenueScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Province => "province",
        }
    }
}

impl FilterStratum {
    /// The stratum's own rule, without the draw's: its own lists and its venue's requirement.
    pub(crate) fn own_regions(&self) -> RegionRule {
        let own = RegionRule::new(self.regions_exclude.clone(), self.regions_require.clone());
        // A request whose own requirement and venue share no region is refused before a
        // filter is made (`checks::check_stratum_regions`), so `and` finds a common rule here.
        own.and(&RegionRule::new(Vec::new(), self.venue_require()))
            .unwrap_or(own)
    }

    /// What the stratum's venue requires: its prefecture, under a prefecture scope; the
    /// regions its venue is chosen from, when chosen at random.
    pub(crate) fn venue_require(&self) -> Vec<String> {
        if let Some(random) = &self.venue_random {
            return random.regions.clone();
        }
        match (&self.venue_region, self.venue_scope) {
            (Some(region), Some(VenueScope::Prefecture)) => {
                vec![crate::draw::prefecture_prefix(region).to_owned()]
            }
            _ => Vec::new(),
        }
    }

    /// The request field that brought the venue's requirement, for problems.
    pub(crate) fn venue_field(&self) -> &'static str {
        if self.venue_random.is_some() {
            "venue_random.regions"
        } else {
            "venue_id"
        }
    }

    /// Whether the stratum sits at a venue (named, or chosen at random).
    pub(crate) fn is_bound(&self) -> bool {
        self.venue_id.is_some() || self.venue_random.is_some()
    }

    fn has_own_regions(&self) -> bool {
        !self.regions_exclude.is_empty()
            || !self.regions_require.is_empty()
            || !self.venue_require().is_empty()
    }

    /// Whether an expert with one of `specialties` qualifies for the stratum.
    fn covers(&self, specialties: &[String]) -> bool {
        specialties.iter().any(|code| {
            self.prefixes
                .iter()
                .any(|prefix| code.starts_with(prefix.as_str()))
        })
    }
}

/// A rule over an expert's region code (GB/T 2260): never under one of the `exclude` prefixes
/// and, when `require` is not empty, under one of its prefixes. Built by [`RegionRule::new`],
/// which gives each rule one spelling: each list sorted, without duplicates, and without a
/// prefix that a shorter one in the same list already covers (`4201` beside `42`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegionRule {
    exclude: Vec<String>,
    require: Vec<String>,
}

impl RegionRule {
    pub(crate) fn new(exclude: Vec<String>, require: Vec<String>) -> Self {
        Self {
            exclude: reduced(exclude),
            require: reduced(require),
        }
    }

    pub(crate) fn exclude(&self) -> &[String] {
        &self.exclude
    }

    pub(crate) fn require(&self) -> &[String] {
        &self.require
    }

    pub(crate) fn admits(&self, region: &str) -> bool {
        region_admits(&self.exclude, &self.require, region)
    }

    /// One rule that admits exactly the regions both admit: the exclusions of either, and the
    /// regions both require. `None` when the two requirements share no region at all (a rule
    /// whose `require` is empty would admit everything instead).
    pub(crate) fn and(&self, other: &Self) -> Option<Self> {
        let require = match (self.require.is_empty(), other.require.is_empty()) {
            (true, _) => other.require.clone(),
            (_, true) => self.require.clone(),
            _ => {
                // Prefixes either nest or are disjoint: where one lies under the other, the
                // longer one is what both require there.
                let both: Vec<String> = self
                    .require
                    .iter()
                    .flat_map(|a| other.require.iter().map(move |b| (a, b)))
                    .filter_map(|(a, b)| {
                        if a.starts_with(b.as_str()) {
                            Some(a.clone())
                        } else if b.starts_with(a.as_str()) {
                            Some(b.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                if both.is_empty() {
                    return None;
                }
                both
            }
        };
        let exclude = self.exclude.iter().chain(&other.exclude).cloned().collect();
        Some(Self::new(exclude, require))
    }
}

/// Whether a stratum's own rule (its lists and its venue's) admits `region`; a stratum without
/// a venue is checked on its lists as they are, with nothing built per expert.
fn stratum_admits(stratum: &FilterStratum, region: &str) -> bool {
    if stratum.venue_require().is_empty() {
        region_admits(&stratum.regions_exclude, &stratum.regions_require, region)
    } else {
        stratum.own_regions().admits(region)
    }
}

fn region_admits(exclude: &[String], require: &[String], region: &str) -> bool {
    !exclude
        .iter()
        .any(|prefix| region.starts_with(prefix.as_str()))
        && (require.is_empty()
            || require
                .iter()
                .any(|prefix| region.starts_with(prefix.as_str())))
}

/// Sorted, unique, and without an entry under another entry's prefix. Sorted, an entry's
/// extensions follow it before anything that does not extend it, so comparing each entry with
/// the last one kept is enough.
fn reduced(mut prefixes: Vec<String>) -> Vec<String> {
    prefixes.sort_unstable();
    prefixes.dedup();
    let mut kept: Vec<String> = Vec::with_capacity(prefixes.len());
    for prefix in prefixes {
        if !kept
            .last()
            .is_some_and(|last| prefix.starts_with(last.as_str()))
        {
            kept.push(prefix);
        }
    }
    kept
}

/// An avoided organisation: the name is recorded as given; matching is by credit code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AvoidedOrganisation {
    pub(crate) credit_code: String,
    pub name: String,
}

/// An expert excluded by a token from an earlier draw (e.g. a recusal).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExcludedToken {
    pub draw_id: String,
    pub token: String,
}

/// The pool rules in force, copied from the settings so the filter hash commits to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolRules {
    pub(crate) age_limit_years: i32,
    pub(crate) avoidance_years: i32,
    pub frequency_cap: u32,
    pub frequency_window_days: i64,
    /// 招标投标法 §37's floor. Absent (not null) in filters made before it was applied, so a
    /// stored filter keeps its bytes and its hash, and is applied with no floor, as committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification: Option<Qualification>,
    /// The tier each stratum requires (issue 22 §2), in request order. Absent when no stratum
    /// asks for one, so a filter without tiers keeps the bytes and hash it had before them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TierFloors>,
    /// The training currency rule, present when the deployment applied it
    /// (`draw.require_training_current`); absent, nobody is excluded for training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingRule>,
}

/// Per stratum in request order, the lowest tier it draws: `C` draws every tier, `B` B and
/// A, `A` only A. A missing entry is `C`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierFloors {
    pub strata: Vec<Tier>,
}

impl TierFloors {
    /// The tier stratum `index` requires.
    pub(crate) fn stratum(&self, index: usize) -> Tier {
        self.strata.get(index).copied().unwrap_or(Tier::C)
    }
}

/// Experts with fewer hours of training than this in the twelve months before the draw
/// (docs/POOL.md, "Training currency") are not drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrainingRule {
    pub required_hours_per_year: u32,
}

/// A floor of years in the field and title rank (1 中级, 2 副高级, 3 正高级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Floor {
    pub min_years: u32,
    pub min_title: u32,
}

impl Floor {
    /// The stricter of the two in each part.
    pub(crate) fn tightest(self, other: Floor) -> Floor {
        Floor {
            min_years: self.min_years.max(other.min_years),
            min_title: self.min_title.max(other.min_title),
        }
    }
}

/// The deployment's floor and, per stratum in request order, the floor in force for it (the
/// deployment's, or tighter where the center asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Qualification {
    pub min_years: u32,
    pub min_title: u32,
    pub strata: Vec<Floor>,
}

impl Qualification {
    pub(crate) fn deployment(&self) -> Floor {
        Floor {
            min_years: self.min_years,
            min_title: self.min_title,
        }
    }

    /// The floor in force for stratum `index`: never below the deployment's, whatever the list
    /// holds.
    pub(crate) fn stratum(&self, index: usize) -> Floor {
        self.strata
            .get(index)
            .map_or(self.deployment(), |floor| floor.tightest(self.deployment()))
    }
}

/// Everything that decides who is eligible. Lists are sorted and deduplicated by
/// [`DrawFilter::normalise`], so equal filters have equal bytes. The salt makes the hash
/// reveal nothing about the (guessable) bidders behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrawFilter {
    pub(crate) version: String,
    pub(crate) salt: String,
    pub(crate) evaluation_start: Millis,
    pub(crate) evaluation_minutes: u32,
    pub(crate) mode: EvaluationMode,
    pub strata: Vec<FilterStratum>,
    pub(crate) avoid_organisations: Vec<AvoidedOrganisation>,
    pub(crate) exclude_tokens: Vec<ExcludedToken>,
    pub(crate) regions_exclude: Vec<String>,
    pub(crate) regions_require: Vec<String>,
    pub(crate) rules: PoolRules,
}

impl DrawFilter {
    pub(crate) fn normalise(&mut self) {
        for stratum in &mut self.strata {
            stratum.prefixes.sort_unstable();
            stratum.prefixes.dedup();
            for list in [&mut stratum.regions_exclude, &mut stratum.regions_require] {
                list.sort_unstable();
                list.dedup();
            }
        }
        self.avoid_organisations.sort_unstable();
        self.avoid_organisations
            .dedup_by(|a, b| a.credit_code == b.credit_code);
        self.exclude_tokens.sort_unstable();
        self.exclude_tokens.dedup();
        for list in [&mut self.regions_exclude, &mut self.regions_require] {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// Canonical JSON (the audit log's form).
    pub(crate) fn canonical_bytes(&self) -> Result<Vec<u8>, EntryError> {
        // Serialising strings, integers and lists cannot fail; a Null would hash differently
        // and be caught when the filter is re-applied.
        canonical_json(&serde_json::to_value(self).unwrap_or_default())
    }

    pub(crate) fn digest(&self, suite: Suite) -> Result<[u8; 32], EntryError> {
        Ok(suite.hash(&self.canonical_bytes()?))
    }

    pub(crate) fn evaluation_end(&self) -> Millis {
        self.evaluation_start + i64::from(self.evaluation_minutes) * 60_000
    }

    /// The draw-level rule, which applies to every stratum.
    pub(crate) fn draw_regions(&self) -> RegionRule {
        RegionRule::new(self.regions_exclude.clone(), self.regions_require.clone())
    }

    /// The rule stratum `i` applies: the draw's and its own at once (what a v3 intent commits
    /// per stratum). `None` when the two requirements share no region, or no such stratum.
    pub(crate) fn stratum_regions(&self, i: usize) -> Option<RegionRule> {
        self.draw_regions().and(&self.strata.get(i)?.own_regions())
    }
}

/// Why an expert under a stratum's specialties was not eligible, checked in this order; each
/// expert is counted under the first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Exclusion {
    NotActive,
    Suspended,
    AgeLimit,
    Penalty,
    OnLeave,
    AvoidedOrganisation,
    ExcludedByToken,
    Region,
    FrequencyCap,
    /// Fewer years in the field than the stratum's floor (招标投标法 §37).
    TooFewYears,
    /// A title below the stratum's floor (招标投标法 §37).
    TitleBelow,
    /// Behind on required training, where the deployment requires it to be current.
    TrainingBehind,
    /// A tier below the one the stratum requires.
    TierBelow,
    /// A term whose last day is before the evaluation's day, even before the pool's hourly
    /// sweep has retired the expert (docs/POOL.md, "Joining and leaving the pool").
    TermEnded,
}

impl Exclusion {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::NotActive => "not_active",
            Self::Suspended => "suspended",
            Self::AgeLimit => "age_limit",
            Self::Penalty => "penalty",
            Self::OnLeave => "on_leave",
            Self::AvoidedOrganisation => "avoided_organisation",
            Self::ExcludedByToken => "excluded_by_token",
            Self::Region => "region",
            Self::FrequencyCap => "frequency_cap",
            Self::TooFewYears => "too_few_years",
            Self::TitleBelow => "title_below",
            Self::TrainingBehind => "training_behind",
            Self::TierBelow => "tier_below",
            Self::TermEnded => "term_ended",
        }
    }
}

/// An expert as the rules see them.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub expert_id: String,
    pub(crate) status: ExpertStatus,
    pub(crate) suspended_until: Option<Millis>,
    pub(crate) birth_year: i32,
    pub(crate) title_level: i32,
    pub(crate) years_in_field: i32,
    pub region_code: String,
    pub(crate) specialties: Vec<String>,
    pub(crate) tier: Tier,
    /// The term's last day (YYYY-MM-DD); none for a record without a term.
    pub(crate) term_end: Option<String>,
}

/// Facts from the store about the candidates, by expert id.
#[derive(Debug, Default)]
pub(crate) struct PoolFacts {
    pub(crate) on_leave: HashSet<String>,
    pub(crate) penalised: HashSet<String>,
    pub(crate) conflicted: HashSet<String>,
    pub excluded: HashSet<String>,
    pub(crate) over_cap: HashSet<String>,
    /// Behind on training at the draw (read only when the filter's rules apply training).
    pub(crate) training_behind: HashSet<String>,
}

/// Whether a tie to an avoided organisation is a conflict at the evaluation date: a current
/// employer or a relative's employer always is; a past employer, and a director's,
/// supervisor's, shareholder's or actual controller's tie (政府采购法实施条例 §9), is while it
/// holds and until `years` after it ended (or when its end is unknown).
pub(crate) fn tie_is_conflict(
    relation: Relation,
    to_date: Option<&str>,
    evaluation_date: NaiveDate,
    years: i32,
) -> bool {
    if matches!(relation, Relation::Employer | Relation::Relative) {
        return true;
    }
    let Some(ended) = to_date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else {
        return true;
    };
    let horizon = evaluation_date
        .with_year(evaluation_date.year() - years)
        // 29 February minus whole years lands on 28 February.
        .or_else(|| {
            evaluation_date
                .pred_opt()
                .and_then(|d| d.with_year(d.year() - years))
        })
        .unwrap_or(NaiveDate::MIN);
    ended >= horizon
}

/// The first rule that excludes `candidate`, or `None` when eligible.
pub(crate) fn first_exclusion(
    candidate: &Candidate,
    facts: &PoolFacts,
    filter: &DrawFilter,
    stratum: &FilterStratum,
    evaluation_year: i32,
) -> Option<Exclusion> {
    let id = candidate.expert_id.as_str();
    // A suspension lasts until its end: nothing resets the status when it lapses, so a
    // suspended expert whose suspension ends before the evaluation is active again for it.
    let suspended = candidate
        .suspended_until
        .map_or(candidate.status == ExpertStatus::Suspended, |until| {
            until > filter.evaluation_start
        });
    if suspended {
        return Some(Exclusion::Suspended);
    }
    if !matches!(
        candidate.status,
        ExpertStatus::Active | ExpertStatus::Suspended
    ) {
        return Some(Exclusion::NotActive);
    }
    if candidate
        .term_end
        .as_deref()
        .is_some_and(|last_day| last_day < evaluation_day(filter.evaluation_start).as_str())
    {
        return Some(Exclusion::TermEnded);
    }
    if evaluation_year - candidate.birth_year >= filter.rules.age_limit_years {
        return Some(Exclusion::AgeLimit);
    }
    if facts.penalised.contains(id) {
        return Some(Exclusion::Penalty);
    }
    if facts.on_leave.contains(id) {
        return Some(Exclusion::OnLeave);
    }
    if facts.conflicted.contains(id) {
        return Some(Exclusion::AvoidedOrganisation);
    }
    if facts.excluded.contains(id) {
        return Some(Exclusion::ExcludedByToken);
    }
    let region = candidate.region_code.as_str();
    if !region_admits(&filter.regions_exclude, &filter.regions_require, region)
        || !stratum_admits(stratum, region)
    {
        return Some(Exclusion::Region);
    }
    if facts.over_cap.contains(id) {
        return Some(Exclusion::FrequencyCap);
    }
    if filter.rules.training.is_some() && facts.training_behind.contains(id) {
        return Some(Exclusion::TrainingBehind);
    }
    None
}

/// The stratum's tier verdict, checked last, after the statutory floor: like the floor it may
/// differ between strata.
pub(crate) fn below_tier(candidate: &Candidate, floor: Tier) -> Option<Exclusion> {
    (!candidate.tier.meets(floor)).then_some(Exclusion::TierBelow)
}

/// The statutory floor's verdict for one stratum: checked after every other rule, because it
/// is the one rule that may differ between strata (each expert is still counted once per
/// stratum, under the first rule that applies).
pub(crate) fn below_floor(candidate: &Candidate, floor: Floor) -> Option<Exclusion> {
    if i64::from(candidate.years_in_field) < i64::from(floor.min_years) {
        Some(Exclusion::TooFewYears)
    } else if i64::from(candidate.title_level) < i64::from(floor.min_title) {
        Some(Exclusion::TitleBelow)
    } else {
        None
    }
}

/// One stratum after the rules: eligible expert ids and exclusion counts by reason code.
#[derive(Debug, Clone, Default)]
pub(crate) struct StratumEligibility {
    pub(crate) eligible: Vec<String>,
    pub(crate) matched: u64,
    pub excluded: BTreeMap<&'static str, u64>,
}

/// The evaluation's calendar day in Beijing (YYYY-MM-DD), as terms are counted.
fn evaluation_day(evaluation_start: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(evaluation_start + 8 * 3_600_000)
        .map_or_else(String::new, |at| at.date_naive().to_string())
}

/// Applies the rules to every stratum. `candidates` holds each expert once with all their
/// specialties that fall under any requested prefix.
pub(crate) fn apply(
    candidates: &HashMap<String, Candidate>,
    facts: &PoolFacts,
    filter: &DrawFilter,
    evaluation_year: i32,
) -> Vec<StratumEligibility> {
    let mut strata: Vec<StratumEligibility> = filter
        .strata
        .iter()
        .map(|_| StratumEligibility::default())
        .collect();
    // One pass over the pool: the rules run once per expert for the strata without a region
    // rule of their own (they share one verdict), once per stratum for the others, and only
    // for experts under some stratum's specialties.
    for candidate in candidates.values() {
        let mut shared = None;
        for (index, (stratum, out)) in filter.strata.iter().zip(strata.iter_mut()).enumerate() {
            if !stratum.covers(&candidate.specialties) {
                continue;
            }
            let verdict = || first_exclusion(candidate, facts, filter, stratum, evaluation_year);
            let ruled = if stratum.has_own_regions() {
                verdict()
            } else {
                *shared.get_or_insert_with(verdict)
            };
            // The floor and the tier are the stratum's own, so they are checked per stratum
            // after the rest.
            let exclusion = ruled
                .or_else(|| {
                    let floor = filter.rules.qualification.as_ref()?.stratum(index);
                    below_floor(candidate, floor)
                })
                .or_else(|| {
                    let tier = filter.rules.tiers.as_ref()?.stratum(index);
                    below_tier(candidate, tier)
                });
            out.matched += 1;
            match exclusion {
                None => out.eligible.push(candidate.expert_id.clone()),
                Some(reason) => *out.excluded.entry(reason.code()).or_default() += 1,
            }
        }
    }
    strata
}

/// Which part of a stratum's region rule leaves none of the experts under its specialties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegionMiss {
    /// No expert under the specialties is in a required region.
    Require,
    /// Some are, and every one of them is in an excluded region.
    Exclude,
}

/// Per stratum, whether its region rule (the draw's and its own) admits nobody under its
/// specialties, whatever the other rules say: such a rule is a mistake to name, not an
/// eligible set to count. A stratum nobody's specialties fall under is `None` (it is too
/// small, which the minimum-eligible rule reports).
pub(crate) fn region_misses(
    candidates: &HashMap<String, Candidate>,
    filter: &DrawFilter,
) -> Vec<Option<RegionMiss>> {
    let draw = filter.draw_regions();
    filter
        .strata
        .iter()
        .map(|stratum| {
            let own = stratum.own_regions();
            let requires = |region: &str| {
                region_admits(&[], draw.require(), region)
                    && region_admits(&[], own.require(), region)
            };
            let (mut matched, mut required) = (false, false);
            for candidate in candidates.values() {
                if !stratum.covers(&candidate.specialties) {
                    continue;
                }
                matched = true;
                let region = candidate.region_code.as_str();
                if draw.admits(region) && own.admits(region) {
                    return None;
                }
                required |= requires(region);
            }
            match (matched, required) {
                (false, _) => None,
                (true, false) => Some(RegionMiss::Require),
                (true, true) => Some(RegionMiss::Exclude),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> DrawFilter {
        DrawFilter {
            version: FILTER_VERSION.into(),
            salt: "00".repeat(32),
            evaluation_start: 1_800_000_000_000,
            evaluation_minutes: 240,
            mode: EvaluationMode::OnSite,
            strata: vec![stratum("A01")],
            avoid_organisations: vec![],
            exclude_tokens: vec![],
            regions_exclude: vec![],
            regions_require: vec![],
            rules: PoolRules {
                age_limit_years: 70,
                avoidance_years: 3,
                frequency_cap: 0,
                frequency_window_days: 30,
                qualification: None,
                tiers: None,
                training: None,
            },
        }
    }

    fn stratum(prefix: &str) -> FilterStratum {
        FilterStratum {
            prefixes: vec![prefix.into()],
            k: 1,
            m: 0,
            ..FilterStratum::default()
        }
    }

    fn candidate(id: &str) -> Candidate {
        Candidate {
            expert_id: id.into(),
            status: ExpertStatus::Active,
            suspended_until: None,
            birth_year: 1970,
            title_level: 3,
            years_in_field: 20,
            region_code: "420102".into(),
            specialties: vec!["A0101".into()],
            tier: Tier::B,
            term_end: None,
        }
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_rule_excludes_under_its_own_code() {
        let f = filter();
        let facts = PoolFacts {
            on_leave: HashSet::from(["leave".to_owned()]),
            penalised: HashSet::from(["penalty".to_owned()]),
            conflicted: HashSet::from(["conflict".to_owned()]),
            excluded: HashSet::from(["token".to_owned()]),
            over_cap: HashSet::from(["cap".to_owned()]),
            training_behind: HashSet::from(["untrained".to_owned()]),
        };
        let check =
            |c: Candidate, f: &DrawFilter| first_exclusion(&c, &facts, f, &f.strata[0], 2027);
        assert_eq!(check(candidate("ok"), &f), None);
        assert_eq!(check(candidate("leave"), &f), Some(Exclusion::OnLeave));
        assert_eq!(check(candidate("penalty"), &f), Some(Exclusion::Penalty));
        assert_eq!(
            check(candidate("conflict"), &f),
            Some(Exclusion::AvoidedOrganisation)
        );
        assert_eq!(
            check(candidate("token"), &f),
            Some(Exclusion::ExcludedByToken)
        );
        assert_eq!(check(candidate("cap"), &f), Some(Exclusion::FrequencyCap));
        let retired = Candidate {
            status: ExpertStatus::Retired,
            ..candidate("r")
        };
        assert_eq!(check(retired, &f), Some(Exclusion::NotActive));
        let suspended_later = Candidate {
            suspended_until: Some(f.evaluation_start + 1),
            ..candidate("s")
        };
        assert_eq!(check(suspended_later, &f), Some(Exclusion::Suspended));
        let suspension_over = Candidate {
            suspended_until: Some(f.evaluation_start),
            ..candidate("s")
        };
        assert_eq!(check(suspension_over, &f), None);
        let lapsed = Candidate {
            status: ExpertStatus::Suspended,
            suspended_until: Some(f.evaluation_start - 1),
            ..candidate("s")
        };
        assert_eq!(check(lapsed, &f), None);
        let open_ended = Candidate {
            status: ExpertStatus::Suspended,
            ..candidate("s")
        };
        assert_eq!(check(open_ended, &f), Some(Exclusion::Suspended));
        let old = Candidate {
            birth_year: 1957,
            ..candidate("o")
        };
        assert_eq!(check(old, &f), Some(Exclusion::AgeLimit));
        let just_under = Candidate {
            birth_year: 1958,
            ..candidate("y")
        };
        assert_eq!(check(just_under, &f), None);
        // A term counts to its last day, in Beijing, whether or not the sweep has run.
        let day = evaluation_day(f.evaluation_start);
        let last_day_today = Candidate {
            term_end: Some(day.clone()),
            ..candidate("t")
        };
        assert_eq!(check(last_day_today, &f), None);
        let ended = Candidate {
            term_end: Some(date(&day).pred_opt().unwrap().to_string()),
            ..candidate("t")
        };
        assert_eq!(check(ended, &f), Some(Exclusion::TermEnded));
        let mut regional = f.clone();
        regional.regions_exclude = vec!["4201".into()];
        assert_eq!(check(candidate("x"), &regional), Some(Exclusion::Region));
        let mut required = f.clone();
        required.regions_require = vec!["4205".into()];
        assert_eq!(check(candidate("x"), &required), Some(Exclusion::Region));
        required.regions_require.push("42".into());
        assert_eq!(check(candidate("x"), &required), None);
    }

    #[test]
    fn past_employers_conflict_only_within_the_avoidance_years() {
        let day = date("2027-03-15");
        assert!(tie_is_conflict(Relation::Employer, None, day, 3));
        assert!(tie_is_conflict(Relation::Relative, None, day, 3));
        assert!(tie_is_conflict(Relation::PastEmployer, None, day, 3));
        assert!(tie_is_conflict(
            Relation::PastEmployer,
            Some("2024-03-15"),
            day,
            3
        ));
        assert!(!tie_is_conflict(
            Relation::PastEmployer,
            Some("2024-03-14"),
            day,
            3
        ));
        assert!(tie_is_conflict(
            Relation::PastEmployer,
            Some("2025-02-28"),
            date("2028-02-29"),
            3
        ));
    }

    /// A filter as the server stored it before the statutory floor was committed (issue 15):
    /// stored draws must still parse, keep their exact bytes (so their hash still matches the
    /// intent's `filter_sha256`) and be applied with the rules they committed to.
    const FILTER_BEFORE_THE_FLOOR: &str = r#"{"avoid_organisations":[{"credit_code":"91420100MA4K00001X","name":"某建设集团有限公司"}],"evaluation_minutes":240,"evaluation_start":1800000000000,"exclude_tokens":[{"draw_id":"0190f0a2-0000-7000-8000-000000000001","token":"abababababababababababababababababababababababababababababababab"}],"mode":"cross_site","regions_exclude":["4201"],"regions_require":["42"],"rules":{"age_limit_years":70,"avoidance_years":3,"frequency_cap":8,"frequency_window_days":30},"salt":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","strata":[{"k":3,"m":2,"prefixes":["A01","A0201"]},{"k":2,"m":1,"prefixes":["C01"]}],"version":"sealdraw-filter-v1"}"#;

    #[test]
    fn a_filter_stored_before_the_floor_keeps_its_bytes_and_its_hash() {
        let stored: DrawFilter = serde_json::from_str(FILTER_BEFORE_THE_FLOOR).unwrap();
        assert_eq!(
            stored.canonical_bytes().unwrap(),
            FILTER_BEFORE_THE_FLOOR.as_bytes()
        );
        assert_eq!(
            hex::encode(stored.digest(Suite::Intl2024).unwrap()),
            "483862d25ffd8949bb59b779b580224ad1c06a5b3d7e11180558c0736fade295"
        );
        // Applied as committed: no floor, so an expert below today's floor stays eligible.
        assert_eq!(stored.rules.qualification, None);
        let mut stored = stored;
        stored.regions_exclude.clear();
        stored.regions_require.clear();
        let junior = Candidate {
            title_level: 1,
            years_in_field: 2,
            ..candidate("j")
        };
        let candidates = HashMap::from([("j".to_owned(), junior)]);
        let strata = apply(&candidates, &PoolFacts::default(), &stored, 2027);
        assert_eq!(strata[0].eligible, ["j"]);
    }

    fn floor(min_years: u32, min_title: u32) -> Floor {
        Floor {
            min_years,
            min_title,
        }
    }

    #[test]
    fn the_floor_excludes_too_few_years_before_a_low_title_and_each_stratum_its_own() {
        assert_eq!(below_floor(&candidate("ok"), floor(8, 2)), None);
        let seven_years = Candidate {
            years_in_field: 7,
            ..candidate("y")
        };
        assert_eq!(
            below_floor(&seven_years, floor(8, 2)),
            Some(Exclusion::TooFewYears)
        );
        assert_eq!(below_floor(&seven_years, floor(7, 2)), None);
        let intermediate = Candidate {
            title_level: 1,
            ..candidate("t")
        };
        assert_eq!(
            below_floor(&intermediate, floor(8, 2)),
            Some(Exclusion::TitleBelow)
        );
        let both = Candidate {
            title_level: 1,
            years_in_field: 3,
            ..candidate("b")
        };
        assert_eq!(
            below_floor(&both, floor(8, 2)),
            Some(Exclusion::TooFewYears)
        );

        // Two strata over the same specialties: the second asks 正高级 and 15 years.
        let mut f = filter();
        f.strata.push(f.strata[0].clone());
        f.rules.qualification = Some(Qualification {
            min_years: 8,
            min_title: 2,
            strata: vec![floor(8, 2), floor(15, 3)],
        });
        let mut candidates = HashMap::new();
        for (id, title, years) in [
            ("senior", 3, 20),
            ("associate", 2, 20),
            ("young", 3, 10),
            ("junior", 1, 20),
            ("new", 2, 5),
        ] {
            let c = Candidate {
                title_level: title,
                years_in_field: years,
                ..candidate(id)
            };
            candidates.insert(id.to_owned(), c);
        }
        // An exclusion common to every stratum is counted first.
        let facts = PoolFacts {
            on_leave: HashSet::from(["new".to_owned()]),
            ..PoolFacts::default()
        };
        let strata = apply(&candidates, &facts, &f, 2027);
        let mut first = strata[0].eligible.clone();
        first.sort();
        assert_eq!(first, ["associate", "senior", "young"]);
        assert_eq!(
            strata[0].excluded,
            BTreeMap::from([("on_leave", 1), ("title_below", 1)])
        );
        assert_eq!(strata[1].eligible, ["senior"]);
        assert_eq!(
            strata[1].excluded,
            BTreeMap::from([("on_leave", 1), ("title_below", 2), ("too_few_years", 1)])
        );
        assert_eq!(strata[1].matched, 5);
    }

    #[test]
    fn training_counts_only_under_its_rule_and_each_stratum_holds_its_own_tier_last() {
        let mut f = filter();
        f.strata.push(f.strata[0].clone());
        let mut candidates = HashMap::new();
        for (id, tier) in [
            ("a", Tier::A),
            ("b", Tier::B),
            ("c", Tier::C),
            ("late", Tier::A),
        ] {
            candidates.insert(
                id.to_owned(),
                Candidate {
                    tier,
                    ..candidate(id)
                },
            );
        }
        let facts = PoolFacts {
            training_behind: HashSet::from(["late".to_owned(), "c".to_owned()]),
            ..PoolFacts::default()
        };
        // Neither rule committed: the facts are not read, and every tier is drawn.
        let strata = apply(&candidates, &facts, &f, 2027);
        assert_eq!(strata[0].eligible.len(), 4);
        // Training applies to every stratum and comes before the tier; the first stratum
        // draws B and above, the second A only.
        f.rules.training = Some(TrainingRule {
            required_hours_per_year: 8,
        });
        f.rules.tiers = Some(TierFloors {
            strata: vec![Tier::B, Tier::A],
        });
        let strata = apply(&candidates, &facts, &f, 2027);
        let sorted = |mut ids: Vec<String>| {
            ids.sort();
            ids
        };
        assert_eq!(sorted(strata[0].eligible.clone()), ["a", "b"]);
        assert_eq!(strata[0].excluded, BTreeMap::from([("training_behind", 2)]));
        assert_eq!(strata[1].eligible, ["a"]);
        assert_eq!(
            strata[1].excluded,
            BTreeMap::from([("tier_below", 1), ("training_behind", 2)])
        );
        // A missing entry draws every tier.
        assert_eq!(f.rules.tiers.as_ref().unwrap().stratum(2), Tier::C);
    }

    #[test]
    fn tiers_and_training_are_committed_only_when_they_apply() {
        let mut f = filter();
        let before = f.digest(Suite::Intl2024).unwrap();
        let text = String::from_utf8(f.canonical_bytes().unwrap()).unwrap();
        assert!(
            !text.contains("tiers") && !text.contains("training"),
            "{text}"
        );
        f.rules.tiers = Some(TierFloors {
            strata: vec![Tier::A],
        });
        f.rules.training = Some(TrainingRule {
            required_hours_per_year: 8,
        });
        let text = String::from_utf8(f.canonical_bytes().unwrap()).unwrap();
        assert!(
            text.contains(r#""tiers":{"strata":["A"]},"training":{"required_hours_per_year":8}"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<DrawFilter>(&text).unwrap(), f);
        assert_ne!(f.digest(Suite::Intl2024).unwrap(), before);
    }

    #[test]
    fn a_stratum_floor_is_never_below_the_deployments_and_a_missing_one_is_the_deployments() {
        let rules = Qualification {
            min_years: 8,
            min_title: 2,
            strata: vec![floor(5, 3), floor(12, 1)],
        };
        assert_eq!(rules.stratum(0), floor(8, 3));
        assert_eq!(rules.stratum(1), floor(12, 2));
        assert_eq!(rules.stratum(2), floor(8, 2));
    }

    #[test]
    fn the_floor_is_committed_in_the_filters_bytes_and_changes_its_hash() {
        let mut f = filter();
        let before = f.canonical_bytes().unwrap();
        assert!(!String::from_utf8_lossy(&before).contains("qualification"));
        f.rules.qualification = Some(Qualification {
            min_years: 8,
            min_title: 2,
            strata: vec![floor(10, 3)],
        });
        let text = String::from_utf8(f.canonical_bytes().unwrap()).unwrap();
        assert!(
            text.contains(
                r#""qualification":{"min_title":2,"min_years":8,"strata":[{"min_title":3,"min_years":10}]}"#
            ),
            "{text}"
        );
        let parsed: DrawFilter = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, f);
        let mut looser = f.clone();
        looser.rules.qualification = Some(Qualification {
            min_years: 8,
            min_title: 2,
            strata: vec![floor(8, 3)],
        });
        assert_ne!(
            looser.digest(Suite::Intl2024).unwrap(),
            f.digest(Suite::Intl2024).unwrap()
        );
    }

    #[test]
    fn directors_supervisors_shareholders_and_controllers_conflict_while_tied_and_three_years_after()
     {
        let day = date("2027-03-15");
        for relation in [
            Relation::Director,
            Relation::Supervisor,
            Relation::Shareholder,
            Relation::ActualController,
        ] {
            assert!(tie_is_conflict(relation, None, day, 3), "{relation}");
            assert!(tie_is_conflict(relation, Some("2024-03-15"), day, 3));
            assert!(!tie_is_conflict(relation, Some("2024-03-14"), day, 3));
            assert!(tie_is_conflict(relation, Some("2024-03-14"), day, 4));
        }
    }

    #[test]
    fn counts_name_reasons_per_stratum_and_equal_filters_hash_equally() {
        let mut f = filter();
        f.strata.push(stratum("B"));
        let mut candidates = HashMap::new();
        for (id, code) in [("a", "A0101"), ("b", "A0102"), ("c", "B01"), ("d", "C01")] {
            let mut c = candidate(id);
            c.specialties = vec![code.into()];
            candidates.insert(id.to_owned(), c);
        }
        let facts = PoolFacts {
            on_leave: HashSet::from(["b".to_owned()]),
            ..PoolFacts::default()
        };
        let strata = apply(&candidates, &facts, &f, 2027);
        assert_eq!(strata[0].eligible, vec!["a".to_owned()]);
        assert_eq!(strata[0].matched, 2);
        assert_eq!(strata[0].excluded.get("on_leave"), Some(&1));
        assert_eq!(strata[1].eligible, vec!["c".to_owned()]);

        let mut shuffled = f.clone();
        shuffled.regions_exclude = vec!["4202".into(), "4201".into(), "4202".into()];
        f.regions_exclude = vec!["4201".into(), "4202".into()];
        shuffled.normalise();
        assert_eq!(
            shuffled.digest(Suite::Intl2024).unwrap(),
            f.digest(Suite::Intl2024).unwrap()
        );
        shuffled.salt = "11".repeat(32);
        assert_ne!(
            shuffled.digest(Suite::Intl2024).unwrap(),
            f.digest(Suite::Intl2024).unwrap()
        );
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn a_strata_rule_applies_with_the_draws_and_only_to_its_own_stratum() {
        let mut f = filter();
        f.regions_exclude = list(&["4201"]);
        f.strata.push(FilterStratum {
            regions_require: list(&["4206"]),
            ..stratum("A01")
        });
        f.strata.push(FilterStratum {
            regions_exclude: list(&["4205"]),
            ..stratum("A01")
        });
        let mut candidates = HashMap::new();
        for (id, region) in [
            ("wuhan", "420100"),
            ("yichang", "420500"),
            ("xiangyang", "420600"),
            ("xiangyang-on-leave", "420600"),
        ] {
            let c = Candidate {
                region_code: region.into(),
                ..candidate(id)
            };
            candidates.insert(id.to_owned(), c);
        }
        let facts = PoolFacts {
            on_leave: HashSet::from(["xiangyang-on-leave".to_owned()]),
            ..PoolFacts::default()
        };
        let strata = apply(&candidates, &facts, &f, 2027);
        let sorted = |mut ids: Vec<String>| {
            ids.sort();
            ids
        };
        // The draw's exclusion applies everywhere; each stratum's own rule only to itself;
        // an expert is counted under the first rule that excludes them, in every stratum.
        assert_eq!(
            sorted(strata[0].eligible.clone()),
            list(&["xiangyang", "yichang"])
        );
        assert_eq!(strata[0].excluded.get("region"), Some(&1));
        assert_eq!(strata[1].eligible, list(&["xiangyang"]));
        assert_eq!(strata[1].excluded.get("region"), Some(&2));
        assert_eq!(strata[1].excluded.get("on_leave"), Some(&1));
        assert_eq!(strata[2].eligible, list(&["xiangyang"]));
        assert_eq!(strata[2].excluded.get("region"), Some(&2));

        assert_eq!(
            f.stratum_regions(1),
            Some(RegionRule::new(list(&["4201"]), list(&["4206"])))
        );
        assert_eq!(
            f.stratum_regions(2),
            Some(RegionRule::new(list(&["4201", "4205"]), vec![]))
        );
    }

    #[test]
    fn a_rule_has_one_spelling_and_requirements_that_share_no_region_are_none() {
        let rule = RegionRule::new(
            list(&["420100", "4201", "42", "4205"]),
            list(&["4206", "4206", "420600"]),
        );
        assert_eq!(rule.exclude(), ["42"]);
        assert_eq!(rule.require(), ["4206"]);
        let province = RegionRule::new(vec![], list(&["42"]));
        let wuhan = RegionRule::new(vec![], list(&["4201"]));
        let yichang = RegionRule::new(list(&["4207"]), list(&["4205", "420600"]));
        assert_eq!(province.and(&wuhan), Some(wuhan.clone()));
        assert_eq!(wuhan.and(&yichang), None);
        assert_eq!(
            province.and(&yichang),
            Some(RegionRule::new(list(&["4207"]), list(&["4205", "420600"])))
        );
    }

    /// `and` is the conjunction: over sampled pairs of rules from the prefixes a draw may name
    /// and every region code of the pool, the one rule admits exactly what both admit.
    #[test]
    fn the_rule_of_both_admits_exactly_what_both_admit() {
        let prefixes = [
            "42", "4201", "4205", "4206", "4290", "420100", "420500", "420600", "429004",
        ];
        let regions: Vec<&str> = crate::pool::validate::hubei_regions()
            .iter()
            .map(|(code, _)| code.as_str())
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut pick = || -> Vec<String> {
            let count = next(3);
            (0..count)
                .map(|_| prefixes[next(prefixes.len())].to_owned())
                .collect()
        };
        let (mut disjoint, mut joined) = (0, 0);
        for _ in 0..3000 {
            let a = RegionRule::new(pick(), pick());
            let b = RegionRule::new(pick(), pick());
            match a.and(&b) {
                Some(both) => {
                    joined += 1;
                    for region in &regions {
                        assert_eq!(
                            both.admits(region),
                            a.admits(region) && b.admits(region),
                            "{a:?} and {b:?} at {region}: {both:?}"
                        );
                    }
                    assert_eq!(
                        both,
                        RegionRule::new(both.exclude.clone(), both.require.clone())
                    );
                }
                None => {
                    disjoint += 1;
                    assert!(!a.require.is_empty() && !b.require.is_empty());
                    assert!(regions.iter().all(|r| !(a.admits(r) && b.admits(r))));
                }
            }
        }
        assert!(disjoint > 100 && joined > 1000, "{disjoint} {joined}");
    }

    #[test]
    fn a_region_rule_that_admits_nobody_under_the_specialties_is_found_and_why() {
        let mut f = filter();
        f.regions_exclude = list(&["4201"]);
        f.strata = vec![
            stratum("A01"),
            FilterStratum {
                regions_require: list(&["4207"]),
                ..stratum("A01")
            },
            FilterStratum {
                regions_require: list(&["4201"]),
                ..stratum("A01")
            },
            FilterStratum {
                regions_exclude: list(&["4205"]),
                ..stratum("B")
            },
            FilterStratum {
                regions_require: list(&["4205"]),
                ..stratum("C")
            },
        ];
        let mut candidates = HashMap::new();
        for (id, code, region) in [
            ("a", "A0101", "420100"),
            ("b", "A0101", "420500"),
            ("c", "B01", "420500"),
            ("d", "B01", "420100"),
        ] {
            let c = Candidate {
                region_code: region.into(),
                specialties: vec![code.into()],
                ..candidate(id)
            };
            candidates.insert(id.to_owned(), c);
        }
        assert_eq!(
            region_misses(&candidates, &f),
            vec![
                None,
                Some(RegionMiss::Require),
                Some(RegionMiss::Exclude),
                Some(RegionMiss::Exclude),
                None,
            ]
        );
    }

    #[test]
    fn a_filter_without_stratum_rules_keeps_its_canonical_form() {
        let f = filter();
        let text = String::from_utf8(f.canonical_bytes().unwrap()).unwrap();
        assert!(
            text.contains(r#""strata":[{"k":1,"m":0,"prefixes":["A01"]}]"#),
            "{text}"
        );
        let back: DrawFilter = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
        let mut own = f.clone();
        own.strata[0].regions_require = list(&["4206", "4205", "4206"]);
        own.normalise();
        let text = String::from_utf8(own.canonical_bytes().unwrap()).unwrap();
        assert!(
            text.contains(r#""regions_require":["4205","4206"]"#),
            "{text}"
        );
        assert_ne!(
            own.digest(Suite::Intl2024).unwrap(),
            f.digest(Suite::Intl2024).unwrap()
        );
    }
}
