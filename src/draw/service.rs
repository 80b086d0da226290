//! The draw protocol over the store and the audit log: intent → contributions → result →
//! replacements (DESIGN §5, `docs/DRAW-SPEC.md`). Every step appends its audit entry in the
//! transaction that makes it; nothing here names an expert except inside sealed values.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike};
use serde::Serialize;

use super::filter::{
    self, AvoidedOrganisation, Candidate, DrawFilter, EvaluationMode, ExcludedToken,
    FILTER_VERSION, FilterStratum, PoolFacts, PoolRules,
};
use super::{
    Contribution, DrawError, DrawIntent, DrawPlan, DrawRequest, DrawToken, EligibleSet,
    MAX_CONTRIBUTION_LEN, MAX_CONTRIBUTIONS, MAX_STRATA, ServerSecret, Stratum, StratumRefusal,
    VerificationRecord, published,
};
use crate::audit::{self, Actor, AuditEntry, AuditLog};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::config::DrawSettings;
use crate::crypto::seal::SealError;
use crate::crypto::{KeyRing, Rng, sha256};
use crate::notify::invitations::{self, InvitationError, InvitationPolicy};
use crate::pool::validate::{CreditCode, parse_specialty};
use crate::store::draws::{CandidateSeatRow, ContributionRow, DrawRow, NewCandidate, StratumRow};
use crate::store::{Store, StoreError, Tx};

const DAY_MILLIS: i64 = 86_400_000;
/// China Standard Time, the province's calendar: UTC+8, no daylight saving.
const CHINA_OFFSET_MILLIS: i64 = 8 * 3_600_000;
/// The smallest contribution accepted from a client: below 128 bits it would not be
/// randomness worth the name (the spec allows 1 byte; the API is stricter).
pub const MIN_CONTRIBUTION_LEN: usize = 16;
pub const MAX_SEATS_PER_STRATUM: u32 = 50;
pub const MAX_AVOIDED_ORGANISATIONS: usize = 200;
pub const MAX_EXCLUDED_TOKENS: usize = 200;

/// Why a seat was vacated.
pub const REPLACEMENT_REASONS: [&str; 4] = ["declined", "no_answer", "recused", "withdrew"];

#[derive(Debug, thiserror::Error)]
pub enum DrawServiceError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("evaluation_start: {0}")]
    Timing(String),
    #[error("{refusal}")]
    Refused {
        refusal: StratumRefusal,
        strata: Vec<StratumSummary>,
    },
    #[error("no such draw")]
    NotFound,
    #[error("no such expert")]
    NoSuchExpert,
    #[error("this account has already contributed to the draw")]
    AlreadyContributed,
    #[error("the draw no longer accepts contributions: its result has been drawn")]
    ContributionsClosed,
    #[error("the draw has no result yet")]
    NotDrawn,
    #[error("token {0} is not a seated member of this draw")]
    NotSeated(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("sealing failed: {0}")]
    Sealing(#[from] SealError),
    #[error("randomness unavailable")]
    Randomness,
    #[error("stored draw is inconsistent: {0}")]
    Corrupt(String),
}

impl From<DrawError> for DrawServiceError {
    fn from(error: DrawError) -> Self {
        match error {
            DrawError::Refused(refusal) => Self::Refused {
                refusal,
                strata: Vec::new(),
            },
            other => Self::Corrupt(other.to_string()),
        }
    }
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> DrawServiceError {
    DrawServiceError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

fn corrupt(what: impl std::fmt::Display) -> DrawServiceError {
    DrawServiceError::Corrupt(what.to_string())
}

/// A center's request, as parsed from the API.
#[derive(Debug, Clone)]
pub struct NewDraw {
    pub tender_reference: String,
    pub tender_name: String,
    pub evaluation_start: Millis,
    pub evaluation_minutes: u32,
    pub mode: EvaluationMode,
    pub project_region: Option<String>,
    pub strata: Vec<FilterStratum>,
    pub avoid_organisations: Vec<AvoidedOrganisation>,
    pub exclude_tokens: Vec<ExcludedToken>,
    pub regions_exclude: Vec<String>,
    pub regions_require: Vec<String>,
}

/// Per stratum, what the center may see: counts, never who.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StratumSummary {
    pub stratum: usize,
    pub specialty_prefixes: Vec<String>,
    pub k: u32,
    pub m: u32,
    /// Experts with a specialty under the prefixes.
    pub matched: u64,
    pub eligible: u64,
    /// Exclusions by reason code; each expert counted once, under the first rule that applies.
    #[schema(value_type = Object)]
    pub excluded: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeatView {
    pub token: String,
    pub stratum: usize,
    /// Position in the stratum's ranking: 0..k-1 were drawn, k.. are reserves.
    pub rank: u32,
    /// seated (awaiting confirmation), confirmed, replaced, or reserve (unused).
    pub state: String,
    pub replaced_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StratumProgress {
    pub stratum: usize,
    pub confirmed: u32,
    pub pending: u32,
    pub replaced: u32,
    pub reserves_left: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContributionView {
    pub position: u32,
    pub role: String,
    pub received_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawView {
    pub draw_id: String,
    /// awaiting_entropy, then drawn.
    pub status: String,
    pub tender_reference: String,
    pub tender_name: String,
    pub mode: EvaluationMode,
    pub evaluation_start: String,
    pub evaluation_minutes: u32,
    pub parent_draw_id: Option<String>,
    pub link_reason: Option<String>,
    pub linked_draws: Vec<String>,
    #[schema(value_type = Object)]
    pub intent: DrawIntent,
    pub intent_index: u64,
    pub contribution_deadline: String,
    pub contributions: Vec<ContributionView>,
    pub strata: Vec<StratumSummary>,
    pub result_index: Option<u64>,
    pub seats: Vec<SeatView>,
    pub progress: Vec<StratumProgress>,
    /// True when every seat of every stratum is confirmed.
    pub complete: bool,
}

/// The answer to a new draw: its view and the proof that its intent is in the signed log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedDraw {
    #[serde(flatten)]
    pub draw: DrawView,
    /// A c2sp.org/tlog-proof of the intent entry, with the signed checkpoint covering it.
    pub intent_proof: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplacementOutcome {
    pub replaced: String,
    pub reason: String,
    /// The reserve now seated, or none when the stratum's reserves are used up.
    pub successor: Option<String>,
    /// The linked draw started because reserves ran out.
    pub linked_draw: Option<String>,
    /// Why no linked draw could be started (e.g. too few eligible experts remain).
    pub linked_draw_refused: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FrequencyEntry {
    pub pseudonym: String,
    pub seats: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FrequencyReport {
    pub window_days: i64,
    pub since: String,
    pub experts: Vec<FrequencyEntry>,
    pub experts_with_seats: u64,
    pub total_seats: u64,
    pub min: u64,
    pub max: u64,
    pub mean: String,
    pub standard_deviation: String,
    /// Seats → how many experts had that many.
    #[schema(value_type = Object)]
    pub histogram: BTreeMap<u64, u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecheckStratum {
    pub stratum: usize,
    pub committed: u64,
    /// The sealed members re-derive exactly the committed tokens and Merkle root.
    pub members_match_committed_root: bool,
    /// The same filter applied to the pool as it is now.
    pub eligible_today: u64,
    /// Committed members the rules exclude today (pool changes since, including the draw's
    /// own seats counting towards the frequency cap).
    pub no_longer_eligible: u64,
    /// Experts the rules admit today who were not in the committed set.
    pub newly_eligible: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecheckReport {
    pub draw_id: String,
    /// The stored filter hashes to the intent's `filter_sha256`.
    pub filter_matches_commitment: bool,
    pub snapshot_at_intent: String,
    pub snapshot_now: String,
    pub strata: Vec<RecheckStratum>,
}

pub struct DrawService {
    invitations: InvitationPolicy,
    /// The pool version and the candidates read at it (see `pool_candidates`).
    pool_cache: std::sync::Mutex<Option<(i64, PoolCandidates)>>,
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    audit: Arc<AuditLog>,
    settings: DrawSettings,
}

/// Every expert of the pool as the draw's rules see them, by expert id.
type PoolCandidates = Arc<HashMap<String, Candidate>>;

/// A replacement written but not yet followed up (see [`DrawService::after_replacement`]).
pub struct PendingReplacement {
    outcome: ReplacementOutcome,
    /// The draw, stratum and actor for a linked draw, when the stratum's reserves ran out.
    exhausted: Option<(DrawRow, usize, Actor)>,
}

/// What a draw row carries besides its filter.
struct DrawHeader {
    center_id: String,
    tender_reference: String,
    tender_name: String,
    /// The draw this one replaces seats of, and why.
    parent: Option<(String, String)>,
}

impl DrawService {
    pub fn new(
        store: Store,
        clock: SharedClock,
        rng: Rng,
        keys: Arc<KeyRing>,
        audit: Arc<AuditLog>,
        settings: DrawSettings,
        invitations: InvitationPolicy,
    ) -> Self {
        Self {
            invitations,
            pool_cache: std::sync::Mutex::new(None),
            store,
            clock,
            rng,
            keys,
            audit,
            settings,
        }
    }

    /// Step 1: validate, filter the pool at one snapshot, commit to `s`, log the intent.
    pub async fn create(
        &self,
        center: &Principal,
        request: NewDraw,
    ) -> Result<CreatedDraw, DrawServiceError> {
        let now = self.clock.now_millis();
        self.check_timing(request.evaluation_start, now)?;
        let header = DrawHeader {
            center_id: center.account_id.clone(),
            tender_reference: request.tender_reference.trim().to_owned(),
            tender_name: request.tender_name.trim().to_owned(),
            parent: None,
        };
        let filter = self.filter_for(center, request).await?;
        let row = self
            .commit_intent(header, Actor::of(center), filter)
            .await?;
        let intent_proof = self.audit.proof_file(row.intent_index as u64).await?;
        let draw = self.view_row(row).await?;
        Ok(CreatedDraw { draw, intent_proof })
    }

    fn check_timing(&self, start: Millis, now: Millis) -> Result<(), DrawServiceError> {
        let earliest = now + self.settings.latest_minutes_before * 60_000;
        let latest = now + self.settings.earliest_hours_before * 3_600_000;
        if start < earliest {
            return Err(DrawServiceError::Timing(format!(
                "the evaluation must start at least {} minutes after the draw (no earlier than {})",
                self.settings.latest_minutes_before,
                to_rfc3339(earliest)
            )));
        }
        if start > latest {
            return Err(DrawServiceError::Timing(format!(
                "a draw is accepted at most {} hours before the evaluation starts (no later than {})",
                self.settings.earliest_hours_before,
                to_rfc3339(latest)
            )));
        }
        Ok(())
    }

    async fn filter_for(
        &self,
        center: &Principal,
        request: NewDraw,
    ) -> Result<DrawFilter, DrawServiceError> {
        let text = |field: &str, value: &str, max: usize| {
            let length = value.trim().chars().count();
            if length == 0 || length > max || value.chars().any(char::is_control) {
                Err(invalid(
                    field,
                    format!("must be 1 to {max} characters, no control characters"),
                ))
            } else {
                Ok(())
            }
        };
        text("tender_reference", &request.tender_reference, 100)?;
        text("tender_name", &request.tender_name, 200)?;
        if !(30..=7 * 24 * 60).contains(&request.evaluation_minutes) {
            return Err(invalid(
                "evaluation_minutes",
                "must be from 30 to 10080 (one week)",
            ));
        }
        if request.strata.is_empty() || request.strata.len() > MAX_STRATA {
            return Err(invalid(
                "strata",
                format!("must hold 1 to {MAX_STRATA} strata"),
            ));
        }
        let known = self.known_specialties().await?;
        for (i, stratum) in request.strata.iter().enumerate() {
            if !(1..=MAX_SEATS_PER_STRATUM).contains(&stratum.k) {
                return Err(invalid(
                    format!("strata[{i}].count"),
                    format!("must be from 1 to {MAX_SEATS_PER_STRATUM}"),
                ));
            }
            if stratum.m > MAX_SEATS_PER_STRATUM {
                return Err(invalid(
                    format!("strata[{i}].reserves"),
                    format!("must be from 0 to {MAX_SEATS_PER_STRATUM}"),
                ));
            }
            if stratum.prefixes.is_empty() || stratum.prefixes.len() > super::MAX_PREFIXES {
                return Err(invalid(
                    format!("strata[{i}].specialty_prefixes"),
                    "must hold 1 to 32 specialty codes",
                ));
            }
            for (j, prefix) in stratum.prefixes.iter().enumerate() {
                let field = format!("strata[{i}].specialty_prefixes[{j}]");
                let code = parse_specialty(prefix).map_err(|problem| invalid(&field, problem))?;
                if code != *prefix {
                    return Err(invalid(field, "must be written in capitals, e.g. A01"));
                }
                if !known.contains(&code) {
                    return Err(invalid(field, "is not in the specialty classification"));
                }
            }
        }
        if request.avoid_organisations.len() > MAX_AVOIDED_ORGANISATIONS {
            return Err(invalid(
                "avoid_organisations",
                format!("at most {MAX_AVOIDED_ORGANISATIONS} organisations"),
            ));
        }
        let mut avoid = Vec::with_capacity(request.avoid_organisations.len());
        for (i, org) in request.avoid_organisations.iter().enumerate() {
            text(&format!("avoid_organisations[{i}].name"), &org.name, 200)?;
            let code = CreditCode::parse(&org.credit_code).map_err(|problem| {
                invalid(format!("avoid_organisations[{i}].credit_code"), problem)
            })?;
            avoid.push(AvoidedOrganisation {
                credit_code: code.as_str().to_owned(),
                name: org.name.trim().to_owned(),
            });
        }
        if request.exclude_tokens.len() > MAX_EXCLUDED_TOKENS {
            return Err(invalid(
                "exclude_experts",
                format!("at most {MAX_EXCLUDED_TOKENS} tokens"),
            ));
        }
        for (i, excluded) in request.exclude_tokens.iter().enumerate() {
            if !is_draw_id(&excluded.draw_id) {
                return Err(invalid(
                    format!("exclude_experts[{i}].draw_id"),
                    "is not a draw id",
                ));
            }
            DrawToken::from_hex(&excluded.token)
                .map_err(|problem| invalid(format!("exclude_experts[{i}].token"), problem))?;
        }
        let region = |field: String, code: &str| {
            let ok = (2..=6).contains(&code.len())
                && code.len().is_multiple_of(2)
                && code.bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(code.to_owned())
            } else {
                Err(invalid(
                    field,
                    "must be a region code prefix of 2, 4 or 6 digits, e.g. 42 or 4201",
                ))
            }
        };
        let mut regions_exclude = Vec::new();
        for (i, code) in request.regions_exclude.iter().enumerate() {
            regions_exclude.push(region(format!("regions_exclude[{i}]"), code)?);
        }
        let mut regions_require = Vec::new();
        for (i, code) in request.regions_require.iter().enumerate() {
            regions_require.push(region(format!("regions_require[{i}]"), code)?);
        }
        if request.mode == EvaluationMode::CrossSite {
            // Cross-site evaluation exists to bring experts from elsewhere: the project's own
            // region is excluded, from the request or else the center's registered region.
            let project = request
                .project_region
                .clone()
                .or_else(|| center.region_code.clone())
                .ok_or_else(|| {
                    invalid(
                        "project_region",
                        "a cross-site draw needs the project's region (4 or 6 digits)",
                    )
                })?;
            let project = region("project_region".into(), &project)?;
            if project.len() < 4 {
                return Err(invalid(
                    "project_region",
                    "must name a city or county (4 or 6 digits), not the whole province",
                ));
            }
            // A city-level prefix: the county codes of a city share its first four digits.
            regions_exclude.push(project.chars().take(4).collect());
        } else if let Some(project) = &request.project_region {
            region("project_region".into(), project)?;
        }
        let salt = self
            .rng
            .bytes::<32>()
            .map_err(|_| DrawServiceError::Randomness)?;
        let mut filter = DrawFilter {
            version: FILTER_VERSION.into(),
            salt: hex::encode(salt),
            evaluation_start: request.evaluation_start,
            evaluation_minutes: request.evaluation_minutes,
            mode: request.mode,
            strata: request.strata,
            avoid_organisations: avoid,
            exclude_tokens: request.exclude_tokens,
            regions_exclude,
            regions_require,
            rules: self.rules(),
        };
        filter.normalise();
        Ok(filter)
    }

    fn rules(&self) -> PoolRules {
        PoolRules {
            age_limit_years: self.settings.age_limit_years,
            avoidance_years: self.settings.avoidance_years,
            frequency_cap: self.settings.frequency_cap,
            frequency_window_days: self.settings.frequency_window_days,
        }
    }

    async fn known_specialties(&self) -> Result<HashSet<String>, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let codes = tx.specialty_codes().await?;
        tx.rollback().await?;
        Ok(codes.into_iter().map(|(code, _, _)| code).collect())
    }

    /// Reads the pool at one snapshot, applies the filter, seals the eligible members and `s`,
    /// and logs the intent. Refuses, writing nothing, when a stratum is too small.
    async fn commit_intent(
        &self,
        header: DrawHeader,
        actor: Actor,
        filter: DrawFilter,
    ) -> Result<DrawRow, DrawServiceError> {
        let now = self.clock.now_millis();
        let draw_id = uuid::Uuid::now_v7().to_string();
        let (snapshot, eligibility) = self.eligibility(&header.center_id, &filter).await?;
        let summaries: Vec<StratumSummary> = filter
            .strata
            .iter()
            .zip(&eligibility)
            .enumerate()
            .map(|(i, (stratum, found))| StratumSummary {
                stratum: i,
                specialty_prefixes: stratum.prefixes.clone(),
                k: stratum.k,
                m: stratum.m,
                matched: found.matched,
                eligible: found.eligible.len() as u64,
                excluded: found
                    .excluded
                    .iter()
                    .map(|(code, count)| ((*code).to_owned(), *count))
                    .collect(),
            })
            .collect();
        let mut strata = Vec::with_capacity(filter.strata.len());
        let mut members_by_stratum = Vec::with_capacity(filter.strata.len());
        for (stratum, found) in filter.strata.iter().zip(eligibility) {
            let mut pairs: Vec<(DrawToken, String)> = found
                .eligible
                .into_iter()
                .map(|id| (DrawToken::derive_with_keys(&self.keys, &draw_id, &id), id))
                .collect();
            pairs.sort_unstable_by_key(|a| a.0);
            let (tokens, members): (Vec<DrawToken>, Vec<String>) = pairs.into_iter().unzip();
            let set = EligibleSet::new(tokens).map_err(corrupt)?;
            strata.push((
                Stratum::new(stratum.prefixes.clone(), stratum.k, stratum.m)
                    .map_err(|e| invalid("strata", e.to_string()))?,
                set,
            ));
            members_by_stratum.push(members);
        }
        let filter_sha256 = filter.sha256().map_err(corrupt)?;
        let secret = ServerSecret::generate(&self.rng).map_err(|_| DrawServiceError::Randomness)?;
        let plan = DrawPlan::new(
            DrawRequest {
                draw_id: draw_id.clone(),
                pool_snapshot: snapshot,
                filter_sha256,
                min_multiple: self.settings.min_eligible_multiple,
                strata,
            },
            &secret,
        )
        .map_err(|error| match error {
            DrawError::Refused(refusal) => DrawServiceError::Refused {
                refusal,
                strata: summaries.clone(),
            },
            other => corrupt(other),
        })?;
        let mut stratum_rows = Vec::with_capacity(members_by_stratum.len());
        for (i, (members, set)) in members_by_stratum.iter().zip(plan.eligible()).enumerate() {
            let members_json = serde_json::to_vec(members).map_err(corrupt)?;
            let stratum = &plan.intent().strata[i];
            stratum_rows.push(StratumRow {
                stratum: i as i32,
                prefixes: serde_json::to_string(&stratum.prefixes).map_err(corrupt)?,
                k: stratum.k as i32,
                m: stratum.m as i32,
                eligible_count: set.len() as i64,
                eligible_root: stratum.eligible_root.to_vec(),
                tokens: set.tokens().iter().flat_map(|t| *t.as_bytes()).collect(),
                sealed_members: self.keys.seal(
                    &self.rng,
                    &members_context(&draw_id, i),
                    &members_json,
                )?,
            });
        }
        let deadline = now + self.settings.contribution_timeout_secs * 1000;
        let mut entry = published::intent_entry(plan.intent(), now, actor)
            .data("tender_reference", &header.tender_reference)
            .data("mode", filter.mode.as_str())
            .data("evaluation_start", to_rfc3339(filter.evaluation_start))
            .data("contribution_deadline", to_rfc3339(deadline))
            .data("exclusions", &summaries);
        if let Some((parent, reason)) = &header.parent {
            entry = entry
                .reference("parent_draw", parent)
                .data("link_reason", reason);
        }
        let sealed_secret =
            self.keys
                .seal(&self.rng, &secret_context(&draw_id), secret.expose())?;
        let filter_json =
            String::from_utf8(filter.canonical_bytes().map_err(corrupt)?).map_err(corrupt)?;
        let (parent_draw_id, link_reason) = header.parent.unzip();
        let row = DrawRow {
            id: draw_id.clone(),
            center_id: header.center_id,
            parent_draw_id,
            link_reason,
            tender_reference: header.tender_reference,
            tender_name: header.tender_name,
            mode: filter.mode.as_str().to_owned(),
            evaluation_start: filter.evaluation_start,
            evaluation_minutes: filter.evaluation_minutes as i32,
            status: "awaiting_entropy".into(),
            filter_json,
            exclusions_json: serde_json::to_string(&summaries).map_err(corrupt)?,
            intent_json: String::from_utf8(plan.intent().canonical_bytes().map_err(corrupt)?)
                .map_err(corrupt)?,
            intent_hash: plan.intent_hash().to_vec(),
            intent_index: 0,
            sealed_secret,
            contribution_deadline: deadline,
            secret: None,
            seed: None,
            result_index: None,
            created_at: now,
            executed_at: None,
        };
        self.write_intent(row, entry, &stratum_rows).await
    }

    async fn write_intent(
        &self,
        row: DrawRow,
        entry: AuditEntry,
        strata: &[StratumRow],
    ) -> Result<DrawRow, DrawServiceError> {
        let mut row = row;
        let mut tx = self.store.write().await?;
        row.intent_index = audit::append(&mut tx, &entry).await? as i64;
        tx.insert_draw(&row).await?;
        tx.insert_draw_strata(&row.id, strata).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The pool at one consistent snapshot, through the rules. Returns the snapshot's name (the
    /// audit log's size and root then: every pool change is logged, so it names the pool state)
    /// and each stratum's eligible experts.
    async fn eligibility(
        &self,
        center_id: &str,
        filter: &DrawFilter,
    ) -> Result<(String, Vec<filter::StratumEligibility>), DrawServiceError> {
        let start = filter.evaluation_start;
        let end = filter.evaluation_end();
        // The province's calendar (UTC+8), as for leave and penalties: an evaluation at 00:30
        // on 1 January is in the new year for the age limit and the avoidance years.
        let evaluation_day = DateTime::from_timestamp_millis(start + CHINA_OFFSET_MILLIS)
            .ok_or_else(|| invalid("evaluation_start", "is out of range"))?
            .date_naive();
        let mut tx = self.store.snapshot().await?;
        let head = tx.audit_head().await?;
        let frontier = crate::audit::merkle::Frontier::from_bytes(&head).map_err(corrupt)?;
        let snapshot = format!("{}:{}", frontier.size(), hex::encode(frontier.root()));
        let candidates = self.pool_candidates(&mut tx).await?;
        let org_indexes: Vec<[u8; 32]> = filter
            .avoid_organisations
            .iter()
            .map(|org| self.keys.blind_index("credit_code", &org.credit_code))
            .collect();
        let conflicted = tx
            .organisation_ties(&org_indexes)
            .await?
            .into_iter()
            .filter(|tie| {
                filter::tie_is_conflict(
                    &tie.relation,
                    tie.to_date.as_deref(),
                    evaluation_day,
                    filter.rules.avoidance_years,
                )
            })
            .map(|tie| tie.expert_id)
            .collect();
        let over_cap = if filter.rules.frequency_cap == 0 {
            HashSet::new()
        } else {
            let today = self.clock.now_millis().div_euclid(DAY_MILLIS);
            tx.selection_counts(
                today - filter.rules.frequency_window_days + 1,
                i64::from(filter.rules.frequency_cap),
            )
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect()
        };
        let mut excluded = HashSet::new();
        for (i, wanted) in filter.exclude_tokens.iter().enumerate() {
            let field = || format!("exclude_experts[{i}]");
            let unknown = || {
                invalid(
                    field(),
                    "is not a drawn or reserve token of one of your draws",
                )
            };
            let draw = tx.draw(&wanted.draw_id).await?.ok_or_else(unknown)?;
            if draw.center_id != center_id {
                return Err(unknown());
            }
            let token = DrawToken::from_hex(&wanted.token).map_err(|p| invalid(field(), p))?;
            let seat = tx
                .draw_seat(&wanted.draw_id, token.as_bytes())
                .await?
                .ok_or_else(unknown)?;
            excluded.insert(self.open_seat_expert(&wanted.draw_id, &seat)?);
        }
        let facts = PoolFacts {
            on_leave: tx.experts_on_leave(start, end).await?.into_iter().collect(),
            penalised: tx.experts_penalised(start).await?.into_iter().collect(),
            conflicted,
            excluded,
            over_cap,
        };
        tx.rollback().await?;
        Ok((
            snapshot,
            filter::apply(&candidates, &facts, filter, evaluation_day.year()),
        ))
    }

    /// The pool's draw-relevant rows as of `tx`'s snapshot: this instance's copy when the pool
    /// version read in the same snapshot says it is current, else read afresh and kept. Reading
    /// every row per draw cost more than all the draw's arithmetic (BENCHMARKS.md, Draws).
    async fn pool_candidates(&self, tx: &mut Tx) -> Result<PoolCandidates, DrawServiceError> {
        let version = tx.pool_version().await?;
        if let Some((cached, candidates)) =
            &*self.pool_cache.lock().unwrap_or_else(|e| e.into_inner())
            && *cached == version
        {
            return Ok(candidates.clone());
        }
        let candidates = candidates_from_rows(tx.all_draw_candidates().await?);
        let candidates = Arc::new(candidates);
        *self.pool_cache.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((version, candidates.clone()));
        Ok(candidates)
    }

    fn open_seat_expert(
        &self,
        draw_id: &str,
        seat: &CandidateSeatRow,
    ) -> Result<String, DrawServiceError> {
        let opened = self.keys.open(
            &candidate_context(draw_id, &hex::encode(&seat.token)),
            &seat.sealed_expert,
        )?;
        String::from_utf8(opened.to_vec()).map_err(corrupt)
    }

    /// Step 2: one contribution per account, center or supervisor, while the window is open.
    pub async fn contribute(
        &self,
        who: &Principal,
        draw_id: &str,
        bytes: Vec<u8>,
    ) -> Result<DrawView, DrawServiceError> {
        if !(MIN_CONTRIBUTION_LEN..=MAX_CONTRIBUTION_LEN).contains(&bytes.len()) {
            return Err(invalid(
                "entropy",
                format!(
                    "must be {MIN_CONTRIBUTION_LEN} to {MAX_CONTRIBUTION_LEN} random bytes, \
                     not {}",
                    bytes.len()
                ),
            ));
        }
        let contribution =
            Contribution::new(bytes).map_err(|e| invalid("entropy", e.to_string()))?;
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        lock_draw(&mut tx, draw_id).await?;
        let draw = self.visible_draw(&mut tx, who, draw_id).await?;
        if draw.status != "awaiting_entropy" {
            return Err(DrawServiceError::ContributionsClosed);
        }
        if now >= draw.contribution_deadline {
            tx.rollback().await?;
            self.execute(draw_id, Actor::System).await?;
            return Err(DrawServiceError::ContributionsClosed);
        }
        let existing = tx.contributions(draw_id).await?;
        if existing.iter().any(|c| c.contributor_id == who.account_id) {
            return Err(DrawServiceError::AlreadyContributed);
        }
        if existing.len() >= MAX_CONTRIBUTIONS {
            return Err(DrawServiceError::ContributionsClosed);
        }
        let role = contributor_role(who, &draw);
        let position = existing.len() as i32;
        tx.insert_contribution(
            draw_id,
            &ContributionRow {
                position,
                contributor_id: who.account_id.clone(),
                role: role.to_owned(),
                bytes: contribution.as_bytes().to_vec(),
                received_at: now,
            },
        )
        .await?;
        // The bytes are revealed with the result; until then the log commits to them.
        let entry = AuditEntry::new("draw.contribution", now, Actor::of(who))
            .reference("draw", draw_id)
            .data("position", position)
            .data("role", role)
            .data("sha256", hex::encode(sha256(contribution.as_bytes())));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        let roles: HashSet<&str> = existing
            .iter()
            .map(|c| c.role.as_str())
            .chain([role])
            .collect();
        let ready = roles.contains("center")
            && (!self.settings.await_supervisor || roles.contains("supervisor"));
        if ready {
            self.execute(draw_id, Actor::of(who)).await?;
        }
        self.view(who, draw_id).await
    }

    /// Step 3: the result. Idempotent: returns false when the draw had already been executed,
    /// by this or another instance, and changes nothing.
    pub async fn execute(&self, draw_id: &str, actor: Actor) -> Result<bool, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        if !tx.claim_draw_for_execution(draw_id, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        let strata = tx.draw_strata(draw_id).await?;
        let contributions = tx.contributions(draw_id).await?;
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let mut eligible = Vec::with_capacity(strata.len());
        let mut members = Vec::with_capacity(strata.len());
        for stratum in &strata {
            let tokens = stratum_tokens(&stratum.tokens)?;
            eligible.push(EligibleSet::new(tokens).map_err(corrupt)?);
            let opened = self.keys.open(
                &members_context(draw_id, stratum.stratum as usize),
                &stratum.sealed_members,
            )?;
            let ids: Vec<String> = serde_json::from_slice(&opened).map_err(corrupt)?;
            members.push(ids);
        }
        let plan = DrawPlan::from_parts(intent, eligible)?;
        let secret_bytes = self
            .keys
            .open(&secret_context(draw_id), &draw.sealed_secret)?;
        let secret = ServerSecret::from_bytes(
            secret_bytes
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("sealed secret is not 32 bytes"))?,
        );
        let contributions: Vec<Contribution> = contributions
            .iter()
            .map(|c| Contribution::new(c.bytes.clone()))
            .collect::<Result<_, _>>()
            .map_err(corrupt)?;
        let outcome = plan.execute(&secret, &contributions)?;
        let mut candidates = Vec::new();
        let mut seated = Vec::new();
        let mut invited = Vec::new();
        for (i, result) in outcome.strata.iter().enumerate() {
            let set = &plan.eligible()[i];
            let ranked = result
                .drawn
                .iter()
                .map(|t| (t, true))
                .chain(result.reserves.iter().map(|t| (t, false)));
            for (rank, (token, is_drawn)) in ranked.enumerate() {
                let position = set
                    .tokens()
                    .binary_search(token)
                    .map_err(|_| corrupt("a drawn token is not in its eligible set"))?;
                let expert_id = members[i]
                    .get(position)
                    .ok_or_else(|| corrupt("sealed members do not match the tokens"))?;
                candidates.push(NewCandidate {
                    stratum: i as i32,
                    rank: rank as i32,
                    token: token.as_bytes().to_vec(),
                    sealed_expert: self.keys.seal(
                        &self.rng,
                        &candidate_context(draw_id, &token.to_hex()),
                        expert_id.as_bytes(),
                    )?,
                    seated: is_drawn,
                });
                if is_drawn {
                    seated.push(expert_id.clone());
                    invited.push((*token, expert_id.clone()));
                }
            }
        }
        tx.insert_candidates(draw_id, &candidates, now).await?;
        tx.insert_selections(&seated, now.div_euclid(DAY_MILLIS))
            .await?;
        for (token, expert_id) in &invited {
            self.invite(&mut tx, &draw, token, expert_id, now).await?;
        }
        let record = VerificationRecord::new(&plan, &secret, &contributions, &outcome);
        let entry = published::result_entry(&record, now, actor);
        let index = audit::append(&mut tx, &entry).await?;
        tx.set_draw_result(draw_id, secret.expose(), &outcome.seed, index as i64)
            .await?;
        tx.commit().await?;
        metrics::counter!("sealdraw_draws_executed_total").increment(1);
        Ok(true)
    }

    async fn invite(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
        token: &DrawToken,
        expert_id: &str,
        now: Millis,
    ) -> Result<(), DrawServiceError> {
        invitations::invite(
            tx,
            &self.keys,
            &self.rng,
            &self.invitations,
            now,
            draw,
            token,
            expert_id,
        )
        .await
        .map(drop)
        .map_err(|error| match error {
            InvitationError::Store(e) => DrawServiceError::Store(e),
            InvitationError::Audit(e) => DrawServiceError::Audit(e),
            InvitationError::Sealing(e) => DrawServiceError::Sealing(e),
            InvitationError::Randomness => DrawServiceError::Randomness,
            other => corrupt(other),
        })
    }

    /// Executes every draw whose contribution window has closed. Returns how many it ran.
    pub async fn execute_overdue(&self) -> Result<usize, DrawServiceError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.read().await?;
        let overdue = tx.overdue_draws(now, 100).await?;
        tx.rollback().await?;
        let mut executed = 0;
        for id in overdue {
            if self.execute(&id, Actor::System).await? {
                executed += 1;
            }
        }
        Ok(executed)
    }

    /// Runs [`Self::execute_overdue`] every `interval` until `stop` turns true, so a draw whose
    /// contributors stay silent still gets its result (a draw is never abandoned).
    pub async fn run_executor(
        self: Arc<Self>,
        interval: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            if let Err(error) = self.execute_overdue().await {
                tracing::error!(%error, "executing overdue draws failed");
            }
        }
    }

    /// Step 4: a seat is vacated (decline, no answer, recusal) and filled by the stratum's next
    /// reserve in rank order; when none is left, a linked draw is started for it.
    pub async fn replace(
        &self,
        who: &Principal,
        draw_id: &str,
        token_hex: &str,
        reason: &str,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        if !REPLACEMENT_REASONS.contains(&reason) {
            return Err(invalid(
                "reason",
                format!("must be one of {}", REPLACEMENT_REASONS.join(", ")),
            ));
        }
        let token = DrawToken::from_hex(token_hex).map_err(|p| invalid("token", p))?;
        self.replace_as(Some(who), Actor::of(who), draw_id, token, reason)
            .await
    }

    /// The replacement itself, for a person (checked against the draw's owner) or the system.
    pub async fn replace_as(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        draw_id: &str,
        token: DrawToken,
        reason: &str,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut tx = self.store.write().await?;
        lock_draw(&mut tx, draw_id).await?;
        let draw = match who {
            Some(who) => self.visible_draw(&mut tx, who, draw_id).await?,
            None => tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?,
        };
        if who.is_some_and(|p| p.role != Role::Center) {
            return Err(DrawServiceError::NotFound);
        }
        let pending = self
            .replace_in(&mut tx, &draw, token, reason, actor)
            .await?;
        tx.commit().await?;
        self.after_replacement(pending).await
    }

    /// The replacement's writes, inside the caller's transaction (which must hold the draw's
    /// lock, [`Tx::lock_draw`]): the seat is vacated, the stratum's next reserve seated, and the
    /// entry logged. Hand the result to [`Self::after_replacement`] once committed.
    pub async fn replace_in(
        &self,
        tx: &mut Tx,
        draw: &DrawRow,
        token: DrawToken,
        reason: &str,
        actor: Actor,
    ) -> Result<PendingReplacement, DrawServiceError> {
        let now = self.clock.now_millis();
        let draw_id = draw.id.as_str();
        if draw.status != "drawn" {
            return Err(DrawServiceError::NotDrawn);
        }
        let seat = tx
            .draw_seat(draw_id, token.as_bytes())
            .await?
            .ok_or_else(|| DrawServiceError::NotSeated(token.to_hex()))?;
        if !tx
            .mark_seat_replaced(draw_id, token.as_bytes(), reason, now)
            .await?
        {
            return Err(DrawServiceError::NotSeated(token.to_hex()));
        }
        if let Some(invitation) = tx.invitation_for_seat(draw_id, token.as_bytes()).await?
            && invitation.state == "pending"
        {
            // The center vacated a seat whose expert has not answered: the answer is moot.
            let withdrawn = crate::store::invitations::Answer {
                state: "withdrawn",
                channel: "replacement",
                decline_reason: None,
                sealed_relationship: None,
                sealed_join_code: None,
                at: now,
            };
            tx.settle_invitation(&invitation.id, &withdrawn).await?;
        }
        let successor = tx.seat_next_reserve(draw_id, seat.stratum, now).await?;
        if let Some(next) = &successor {
            let expert = self.open_seat_expert(draw_id, next)?;
            tx.insert_selections(std::slice::from_ref(&expert), now.div_euclid(DAY_MILLIS))
                .await?;
            self.invite(tx, draw, &seat_token(&next.token)?, &expert, now)
                .await?;
        }
        let successor_token = successor
            .as_ref()
            .map(|next| seat_token(&next.token))
            .transpose()?;
        let entry = published::replacement_entry(
            draw_id,
            seat.stratum as usize,
            &token,
            reason,
            successor_token.as_ref(),
            now,
            actor.clone(),
        );
        let index = audit::append(tx, &entry).await?;
        tx.set_replacement_index(draw_id, token.as_bytes(), index as i64)
            .await?;
        Ok(PendingReplacement {
            outcome: ReplacementOutcome {
                replaced: token.to_hex(),
                reason: reason.to_owned(),
                successor: successor_token.map(|t| t.to_hex()),
                linked_draw: None,
                linked_draw_refused: None,
            },
            exhausted: successor_token
                .is_none()
                .then(|| (draw.clone(), seat.stratum as usize, actor)),
        })
    }

    /// After the replacement committed: when the stratum had no reserve left, start the linked
    /// draw for the seat (its own transaction, its own intent).
    pub async fn after_replacement(
        &self,
        pending: PendingReplacement,
    ) -> Result<ReplacementOutcome, DrawServiceError> {
        let mut outcome = pending.outcome;
        if let Some((draw, stratum, actor)) = pending.exhausted {
            match self
                .start_linked_draw(&draw, stratum, &outcome.reason, actor)
                .await
            {
                Ok(linked) => outcome.linked_draw = Some(linked.id),
                Err(DrawServiceError::Refused { refusal, .. }) => {
                    outcome.linked_draw_refused = Some(refusal.to_string());
                }
                Err(other) => return Err(other),
            }
        }
        Ok(outcome)
    }

    /// A new draw for one seat of `stratum`, with the parent's filter, excluding everyone the
    /// parent drew or held in reserve. Exempt from the timing window: the seat must be filled.
    async fn start_linked_draw(
        &self,
        parent: &DrawRow,
        stratum: usize,
        reason: &str,
        actor: Actor,
    ) -> Result<DrawRow, DrawServiceError> {
        let mut filter: DrawFilter = serde_json::from_str(&parent.filter_json).map_err(corrupt)?;
        let source = filter
            .strata
            .get(stratum)
            .cloned()
            .ok_or_else(|| corrupt("replacement stratum outside the filter"))?;
        filter.strata = vec![FilterStratum { k: 1, ..source }];
        filter.salt = hex::encode(
            self.rng
                .bytes::<32>()
                .map_err(|_| DrawServiceError::Randomness)?,
        );
        filter.rules = self.rules();
        let mut tx = self.store.read().await?;
        let seats = tx.draw_seats(&parent.id).await?;
        tx.rollback().await?;
        filter
            .exclude_tokens
            .extend(seats.iter().map(|seat| ExcludedToken {
                draw_id: parent.id.clone(),
                token: hex::encode(&seat.token),
            }));
        filter.normalise();
        let header = DrawHeader {
            center_id: parent.center_id.clone(),
            tender_reference: parent.tender_reference.clone(),
            tender_name: parent.tender_name.clone(),
            parent: Some((parent.id.clone(), reason.to_owned())),
        };
        self.commit_intent(header, actor, filter).await
    }

    /// A center sees only its own draws; supervisors see all. Anything else is "no such draw",
    /// so a center cannot even learn that another center's draw exists.
    async fn visible_draw(
        &self,
        tx: &mut Tx,
        who: &Principal,
        draw_id: &str,
    ) -> Result<DrawRow, DrawServiceError> {
        if !is_draw_id(draw_id) {
            return Err(DrawServiceError::NotFound);
        }
        let draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        match who.role {
            Role::Supervisor => Ok(draw),
            Role::Center if draw.center_id == who.account_id => Ok(draw),
            _ => Err(DrawServiceError::NotFound),
        }
    }

    /// The draw as its center or a supervisor sees it. A draw whose window has closed is
    /// executed first, so nobody ever sees an overdue draw still waiting.
    pub async fn view(&self, who: &Principal, draw_id: &str) -> Result<DrawView, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let mut draw = self.visible_draw(&mut tx, who, draw_id).await?;
        tx.rollback().await?;
        if draw.status == "awaiting_entropy"
            && self.clock.now_millis() >= draw.contribution_deadline
        {
            self.execute(draw_id, Actor::System).await?;
            let mut tx = self.store.read().await?;
            draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
            tx.rollback().await?;
        }
        self.view_row(draw).await
    }

    /// Newest first: a center's own draws, or every draw for a supervisor.
    pub async fn list(
        &self,
        who: &Principal,
        limit: i64,
    ) -> Result<Vec<DrawView>, DrawServiceError> {
        let center = (who.role != Role::Supervisor).then_some(who.account_id.as_str());
        let mut tx = self.store.read().await?;
        let rows = tx.draws(center, limit.clamp(1, 200)).await?;
        tx.rollback().await?;
        let mut views = Vec::with_capacity(rows.len());
        for mut row in rows {
            // As in `view`: an overdue draw is executed before anyone sees it.
            if row.status == "awaiting_entropy"
                && self.clock.now_millis() >= row.contribution_deadline
            {
                self.execute(&row.id, Actor::System).await?;
                let mut tx = self.store.read().await?;
                row = tx.draw(&row.id).await?.ok_or(DrawServiceError::NotFound)?;
                tx.rollback().await?;
            }
            views.push(self.view_row(row).await?);
        }
        Ok(views)
    }

    async fn view_row(&self, draw: DrawRow) -> Result<DrawView, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let contributions = tx.contributions(&draw.id).await?;
        let seats = tx.draw_seats(&draw.id).await?;
        let linked_draws = tx.linked_draw_ids(&draw.id).await?;
        tx.rollback().await?;
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let strata: Vec<StratumSummary> =
            serde_json::from_str(&draw.exclusions_json).map_err(corrupt)?;
        let mut progress: Vec<StratumProgress> = (0..strata.len())
            .map(|stratum| StratumProgress {
                stratum,
                confirmed: 0,
                pending: 0,
                replaced: 0,
                reserves_left: 0,
            })
            .collect();
        for seat in &seats {
            if let Some(p) = progress.get_mut(seat.stratum as usize) {
                match seat.state.as_str() {
                    "confirmed" => p.confirmed += 1,
                    "seated" => p.pending += 1,
                    "replaced" => p.replaced += 1,
                    _ => p.reserves_left += 1,
                }
            }
        }
        let complete = draw.status == "drawn"
            && progress
                .iter()
                .zip(&strata)
                .all(|(p, s)| p.confirmed == s.k);
        Ok(DrawView {
            status: draw.status,
            tender_reference: draw.tender_reference,
            tender_name: draw.tender_name,
            mode: EvaluationMode::parse(&draw.mode).ok_or_else(|| corrupt("draw mode"))?,
            evaluation_start: to_rfc3339(draw.evaluation_start),
            evaluation_minutes: draw.evaluation_minutes as u32,
            parent_draw_id: draw.parent_draw_id,
            link_reason: draw.link_reason,
            linked_draws,
            intent,
            intent_index: draw.intent_index as u64,
            contribution_deadline: to_rfc3339(draw.contribution_deadline),
            contributions: contributions
                .into_iter()
                .map(|c| ContributionView {
                    position: c.position as u32,
                    role: c.role,
                    received_at: to_rfc3339(c.received_at),
                })
                .collect(),
            strata,
            result_index: draw.result_index.map(|i| i as u64),
            seats: seats
                .into_iter()
                .map(|seat| SeatView {
                    token: hex::encode(&seat.token),
                    stratum: seat.stratum as usize,
                    rank: seat.rank as u32,
                    state: seat.state,
                    replaced_reason: seat.replaced_reason,
                })
                .collect(),
            progress,
            complete,
            draw_id: draw.id,
        })
    }

    /// The self-contained verification record: the draw recomputable from its fields, and
    /// inclusion proofs of its intent, result and replacement entries under a signed checkpoint.
    pub async fn record(
        &self,
        who: &Principal,
        draw_id: &str,
    ) -> Result<super::published::PublishedRecord, DrawServiceError> {
        let view = self.view(who, draw_id).await?;
        let mut tx = self.store.read().await?;
        let draw = tx.draw(draw_id).await?.ok_or(DrawServiceError::NotFound)?;
        let strata = tx.draw_strata(draw_id).await?;
        let contributions = tx.contributions(draw_id).await?;
        let seats = tx.draw_seats(draw_id).await?;
        tx.rollback().await?;
        let (Some(secret), Some(seed), Some(result_index)) =
            (draw.secret, draw.seed, draw.result_index)
        else {
            return Err(DrawServiceError::NotDrawn);
        };
        let intent = view.intent;
        let mut record_strata = Vec::with_capacity(strata.len());
        let mut result = Vec::with_capacity(strata.len());
        for (stratum, committed) in strata.iter().zip(&intent.strata) {
            record_strata.push(super::RecordStratum {
                prefixes: committed.prefixes.clone(),
                k: committed.k,
                m: committed.m,
                eligible_count: committed.eligible_count,
                eligible_root: committed.eligible_root,
                tokens: stratum_tokens(&stratum.tokens)?,
            });
            let ranked: Vec<DrawToken> = seats
                .iter()
                .filter(|seat| seat.stratum == stratum.stratum)
                .map(|seat| seat_token(&seat.token))
                .collect::<Result<_, _>>()?;
            let k = (committed.k as usize).min(ranked.len());
            result.push(super::StratumResult {
                drawn: ranked[..k].to_vec(),
                reserves: ranked[k..].to_vec(),
            });
        }
        let record = VerificationRecord {
            algorithm: intent.algorithm.clone(),
            draw_id: intent.draw_id.clone(),
            pool_snapshot: intent.pool_snapshot.clone(),
            filter_sha256: intent.filter_sha256,
            min_multiple: intent.min_multiple,
            secret_commitment: intent.secret_commitment,
            strata: record_strata,
            intent_hash: to_hash(&draw.intent_hash)?,
            contributions: contributions.into_iter().map(|c| c.bytes).collect(),
            secret: to_hash(&secret)?,
            seed: to_hash(&seed)?,
            result,
        };
        let mut replacement_indexes: Vec<u64> = seats
            .iter()
            .filter_map(|seat| seat.replaced_index.map(|i| i as u64))
            .collect();
        replacement_indexes.sort_unstable();
        let last = replacement_indexes
            .last()
            .copied()
            .unwrap_or(result_index as u64);
        // One checkpoint covering everything, so the proofs agree with each other.
        self.audit.checkpoint_covering(last).await?;
        let intent_proof = self.audit.proof_file(draw.intent_index as u64).await?;
        let result_proof = self.audit.proof_file(result_index as u64).await?;
        let mut replacement_proofs = Vec::with_capacity(replacement_indexes.len());
        for index in replacement_indexes {
            replacement_proofs.push(self.audit.proof_file(index).await?);
        }
        Ok(super::published::PublishedRecord::new(
            record,
            intent_proof,
            result_proof,
            replacement_proofs,
        ))
    }

    /// A supervisor's check of the committed eligible sets: the sealed members behind each
    /// stratum must re-derive exactly the committed tokens and root, and the filter re-applied
    /// to today's pool is compared with them. Answers counts only; the check is logged.
    pub async fn recheck(
        &self,
        supervisor: &Principal,
        draw_id: &str,
    ) -> Result<RecheckReport, DrawServiceError> {
        let mut tx = self.store.read().await?;
        let draw = self.visible_draw(&mut tx, supervisor, draw_id).await?;
        let strata = tx.draw_strata(draw_id).await?;
        tx.rollback().await?;
        let filter: DrawFilter = serde_json::from_str(&draw.filter_json).map_err(corrupt)?;
        let filter_matches = filter.sha256().map_err(corrupt)?.to_vec()
            == serde_json::from_str::<DrawIntent>(&draw.intent_json)
                .map_err(corrupt)?
                .filter_sha256
                .to_vec();
        let (snapshot, now) = self.eligibility(&draw.center_id, &filter).await?;
        let mut report_strata = Vec::with_capacity(strata.len());
        for (stratum, today) in strata.iter().zip(now) {
            let opened = self.keys.open(
                &members_context(draw_id, stratum.stratum as usize),
                &stratum.sealed_members,
            )?;
            let members: Vec<String> = serde_json::from_slice(&opened).map_err(corrupt)?;
            let mut rederived: Vec<DrawToken> = members
                .iter()
                .map(|id| DrawToken::derive_with_keys(&self.keys, draw_id, id))
                .collect();
            rederived.sort_unstable();
            let committed = stratum_tokens(&stratum.tokens)?;
            let root_matches = rederived == committed
                && EligibleSet::new(rederived)
                    .map(|set| set.root().to_vec() == stratum.eligible_root)
                    .unwrap_or(false);
            let committed_ids: HashSet<&String> = members.iter().collect();
            let today_ids: HashSet<&String> = today.eligible.iter().collect();
            report_strata.push(RecheckStratum {
                stratum: stratum.stratum as usize,
                committed: members.len() as u64,
                members_match_committed_root: root_matches,
                eligible_today: today_ids.len() as u64,
                no_longer_eligible: committed_ids.difference(&today_ids).count() as u64,
                newly_eligible: today_ids.difference(&committed_ids).count() as u64,
            });
        }
        let intent: DrawIntent = serde_json::from_str(&draw.intent_json).map_err(corrupt)?;
        let report = RecheckReport {
            draw_id: draw_id.to_owned(),
            filter_matches_commitment: filter_matches,
            snapshot_at_intent: intent.pool_snapshot,
            snapshot_now: snapshot,
            strata: report_strata,
        };
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let entry = AuditEntry::new("draw.recheck", now, Actor::of(supervisor))
            .reference("draw", draw_id)
            .data(
                "filter_matches_commitment",
                report.filter_matches_commitment,
            )
            .data("strata", &report.strata);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Per-expert seats in the window under stable pseudonyms, and their spread. Viewing it is
    /// itself logged.
    pub async fn frequency_report(
        &self,
        who: &Principal,
        window_days: Option<i64>,
    ) -> Result<FrequencyReport, DrawServiceError> {
        let window_days = window_days.unwrap_or(self.settings.frequency_window_days);
        if !(1..=3660).contains(&window_days) {
            return Err(invalid("days", "must be from 1 to 3660"));
        }
        let now = self.clock.now_millis();
        let since_day = now.div_euclid(DAY_MILLIS) - window_days + 1;
        let mut tx = self.store.write().await?;
        let counts = tx.selections_since(since_day).await?;
        let entry = AuditEntry::new("report.draw_frequency", now, Actor::of(who))
            .data("window_days", window_days)
            .data("experts", counts.len());
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        let mut experts: Vec<FrequencyEntry> = counts
            .into_iter()
            .map(|(id, seats)| FrequencyEntry {
                pseudonym: self.keys.expert_pseudonym(&id),
                seats: seats.max(0) as u64,
            })
            .collect();
        experts.sort_unstable_by(|a, b| b.seats.cmp(&a.seats).then(a.pseudonym.cmp(&b.pseudonym)));
        let n = experts.len() as u64;
        let total: u64 = experts.iter().map(|e| e.seats).sum();
        let mean = if n == 0 { 0.0 } else { total as f64 / n as f64 };
        let variance = if n == 0 {
            0.0
        } else {
            experts
                .iter()
                .map(|e| (e.seats as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64
        };
        let mut histogram = BTreeMap::new();
        for e in &experts {
            *histogram.entry(e.seats).or_default() += 1;
        }
        Ok(FrequencyReport {
            window_days,
            since: to_rfc3339(since_day * DAY_MILLIS),
            experts_with_seats: n,
            total_seats: total,
            min: experts.iter().map(|e| e.seats).min().unwrap_or(0),
            max: experts.iter().map(|e| e.seats).max().unwrap_or(0),
            mean: format!("{mean:.3}"),
            standard_deviation: format!("{:.3}", variance.sqrt()),
            histogram,
            experts,
        })
    }

    /// Records a penalty (违规记录) against an expert; while it is in force the expert is not drawn.
    pub async fn record_penalty(
        &self,
        admin: &Principal,
        expert_id: &str,
        reason_code: &str,
        until: Option<Millis>,
    ) -> Result<String, DrawServiceError> {
        let code_ok = (2..=32).contains(&reason_code.len())
            && reason_code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_');
        if !code_ok {
            return Err(invalid(
                "reason_code",
                "must be a short lowercase code such as bid_rigging or absence",
            ));
        }
        let now = self.clock.now_millis();
        if until.is_some_and(|until| until <= now) {
            return Err(invalid("until", "must be in the future"));
        }
        // Not an id at all (a NUL byte is refused by PostgreSQL): no such expert, no query.
        if expert_id.is_empty() || expert_id.len() > 64 || expert_id.chars().any(char::is_control) {
            return Err(DrawServiceError::NoSuchExpert);
        }
        let mut tx = self.store.write().await?;
        if tx.expert(expert_id).await?.is_none() {
            return Err(DrawServiceError::NoSuchExpert);
        }
        let id = uuid::Uuid::now_v7().to_string();
        tx.insert_penalty(&id, expert_id, reason_code, now, until)
            .await?;
        let mut entry = AuditEntry::new("expert.penalty", now, Actor::of(admin))
            .reference("penalty", &id)
            .data("expert", self.keys.expert_pseudonym(expert_id))
            .data("reason_code", reason_code);
        if let Some(until) = until {
            entry = entry.data("until", to_rfc3339(until));
        }
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The pool's (expert, specialty) rows gathered per expert, as the rules take them.
pub fn candidates_from_rows(
    rows: Vec<crate::store::draws::CandidateRow>,
) -> HashMap<String, Candidate> {
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    for row in rows {
        candidates
            .entry(row.id.clone())
            .or_insert_with(|| Candidate {
                expert_id: row.id,
                status: row.status,
                suspended_until: row.suspended_until,
                birth_year: row.birth_year,
                region_code: row.region_code,
                specialties: Vec::new(),
            })
            .specialties
            .push(row.code);
    }
    candidates
}

/// Takes the draw's lock ([`Tx::lock_draw`]) for an id from a request.
async fn lock_draw(tx: &mut Tx, draw_id: &str) -> Result<(), DrawServiceError> {
    if !is_draw_id(draw_id) {
        return Err(DrawServiceError::NotFound);
    }
    Ok(tx.lock_draw(draw_id).await?)
}

/// Whether `text` could name a draw at all. Anything else (a NUL byte, which PostgreSQL
/// refuses in text, or other control characters) is no draw, answered without a query.
fn is_draw_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= super::MAX_DRAW_ID_LEN && !text.chars().any(char::is_control)
}

fn contributor_role(who: &Principal, draw: &DrawRow) -> &'static str {
    if who.role == Role::Center && who.account_id == draw.center_id {
        "center"
    } else {
        "supervisor"
    }
}

fn secret_context(draw_id: &str) -> String {
    format!("draw-secret:{draw_id}")
}

fn members_context(draw_id: &str, stratum: usize) -> String {
    format!("draw-members:{draw_id}:{stratum}")
}

fn candidate_context(draw_id: &str, token_hex: &str) -> String {
    format!("draw-candidate:{draw_id}:{token_hex}")
}

fn seat_token(bytes: &[u8]) -> Result<DrawToken, DrawServiceError> {
    Ok(DrawToken::from_bytes(to_hash(bytes)?))
}

fn to_hash(bytes: &[u8]) -> Result<[u8; 32], DrawServiceError> {
    bytes
        .try_into()
        .map_err(|_| corrupt("a stored hash is not 32 bytes"))
}

fn stratum_tokens(bytes: &[u8]) -> Result<Vec<DrawToken>, DrawServiceError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(corrupt("stored tokens are not whole 32-byte values"));
    }
    bytes.chunks_exact(32).map(seat_token).collect()
}
