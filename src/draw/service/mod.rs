//! The draw protocol over the store and the audit log: intent → contributions → result →
//! replacements (DESIGN §5, `docs/DRAW-SPEC.md`). Every step appends its audit entry in the
//! transaction that makes it; nothing here names an expert except inside sealed values.

mod checks;
mod intent;
mod replacement;
mod result;
mod views;

pub(crate) use intent::{candidates_from_rows, conflicted_experts};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use super::committee::PlannedCommittee;
use super::filter::{AvoidedOrganisation, Candidate, EvaluationMode, ExcludedToken, FilterStratum};
use super::{
    CandidateState, ContributorRole, DrawError, DrawIntent, DrawStatus, DrawToken, StratumRefusal,
    VacancyReason,
};
use crate::audit::{self, Actor, AuditEntry, AuditLog};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock};
use crate::config::DrawSettings;
use crate::crypto::seal::SealError;
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::store::draws::{CandidateSeatRow, DrawJurisdiction, DrawRow};
use crate::store::{Store, StoreError, Tx};
use crate::venue::VenueError;
use crate::venue::bookings::Claim;

const DAY_MILLIS: i64 = 86_400_000;
/// China Standard Time, the province's calendar: UTC+8, no daylight saving.
const CHINA_OFFSET_MILLIS: i64 = 8 * 3_600_000;
/// The smallest contribution accepted from a client: below 128 bits it would not be
/// randomness worth the name (the spec allows 1 byte; the API is stricter).
pub(crate) const MIN_CONTRIBUTION_LEN: usize = 16;
pub(crate) const MAX_SEATS_PER_STRATUM: u32 = 50;
pub(crate) const MAX_AVOIDED_ORGANISATIONS: usize = 200;
pub(crate) const MAX_EXCLUDED_TOKENS: usize = 200;

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
    #[error("token {0} is not a confirmed member: only a confirmed member recuses or withdraws")]
    NotConfirmed(String),
    #[error("the evaluation is over; its committee can no longer change")]
    EvaluationOver,
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
    /// Another instance started the linked draw for this seat first.
    #[error("the linked draw for this seat has already been started")]
    LinkTaken,
    /// The tender already has its root draw: a second one would be a re-roll.
    #[error("{0}")]
    TenderTaken(String),
    /// Another linked draw of the family waits for its result, or the family changed while
    /// this one was planned: it is planned again once that one is drawn.
    #[error("another linked draw of this family is being drawn; this seat's draw follows it")]
    FamilyBusy,
    /// A bound venue refused the booking (full, closed) or its consent is outstanding.
    #[error(transparent)]
    Venue(VenueError),
    /// The tender's evaluation is suspended or cancelled (issue 16 §4): nothing of the draw
    /// moves until a supervisor resumes it (never, once cancelled).
    #[error("{}", held_text(*.0))]
    Held(super::DrawHold),
    /// A sub-venue refused before the draw executed: the draw is void and never executes.
    #[error(
        "the draw is void: a sub-venue refused before it executed; its tender may be drawn anew"
    )]
    Void,
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

impl DrawServiceError {
    /// A venue's refusal, with a venue field's problem as the draw's own (`invalid-draw-request`,
    /// naming `strata[i].venue_id`), like every other field of the request.
    pub(crate) fn from_venue(error: VenueError) -> Self {
        match error {
            VenueError::Invalid { field, problem } => Self::Invalid { field, problem },
            VenueError::Store(e) => Self::Store(e),
            VenueError::Audit(e) => Self::Audit(e),
            other => Self::Venue(other),
        }
    }
}

/// Per stratum of `draw` (a root draw, or a linked draw's one stratum), the catalogue venue
/// its experts sit at: the one it named, or the one chosen at random at its result (`None`
/// before); all `None` when the draw is not bound to venues.
pub(crate) async fn stratum_venues(
    tx: &mut Tx,
    draw: &DrawRow,
) -> Result<Vec<Option<String>>, DrawServiceError> {
    let filter: super::filter::DrawFilter =
        serde_json::from_str(&draw.filter_json).map_err(corrupt)?;
    let mut venues: Vec<Option<String>> = filter.strata.into_iter().map(|s| s.venue_id).collect();
    for (stratum, venue_id, _) in tx.venue_choices(&draw.id).await? {
        if let Some(slot) = usize::try_from(stratum)
            .ok()
            .and_then(|i| venues.get_mut(i))
        {
            *slot = Some(venue_id);
        }
    }
    Ok(venues)
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
pub(crate) struct NewDraw {
    pub(crate) tender_reference: String,
    /// The lot (标段) when a tender has several, each with its own committee; empty otherwise.
    pub(crate) lot: String,
    pub(crate) tender_name: String,
    /// Where the committee reports (the main venue); none for a distributed evaluation.
    pub(crate) venue: Option<String>,
    pub(crate) evaluation_start: Millis,
    pub(crate) evaluation_minutes: u32,
    pub(crate) mode: EvaluationMode,
    pub(crate) project_region: Option<String>,
    pub(crate) industry: Option<String>,
    pub(crate) statutory_tender: bool,
    /// What the request says of its project (issue 21 §1); the transaction code not yet
    /// checked.
    pub(crate) project: super::project::ProjectFacts,
    pub strata: Vec<FilterStratum>,
    /// What each stratum asks of the statutory floor, in the order of `strata` (a missing
    /// entry asks nothing beyond the deployment's).
    pub(crate) stratum_floors: Vec<RequestedFloor>,
    pub(crate) avoid_organisations: Vec<AvoidedOrganisation>,
    pub(crate) exclude_tokens: Vec<ExcludedToken>,
    pub(crate) regions_exclude: Vec<String>,
    pub(crate) regions_require: Vec<String>,
    /// The committee planned (招标投标法 §37): its experts, the strata's counts together, and
    /// the tenderer's representatives the session will name. None: the experts alone.
    pub(crate) committee: Option<PlannedCommittee>,
}

/// A stratum's own floor (招标投标法 §37) as the center asked; an absent part is the
/// deployment's. It may only tighten the deployment's floor.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestedFloor {
    pub(crate) min_years: Option<u32>,
    pub(crate) min_title: Option<u32>,
    /// The lowest tier the stratum draws (issue 22 §2): A or B; absent, every tier.
    pub(crate) min_tier: Option<crate::pool::assessment::Tier>,
}

/// Per stratum, what the center may see: counts, never who.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StratumSummary {
    pub stratum: usize,
    pub(crate) specialty_prefixes: Vec<String>,
    pub(crate) k: u32,
    pub(crate) m: u32,
    /// Experts with a specialty under the prefixes.
    pub(crate) matched: u64,
    pub(crate) eligible: u64,
    /// Exclusions by reason code; each expert counted once, under the first rule that applies.
    #[schema(value_type = Object)]
    pub excluded: BTreeMap<String, u64>,
    /// The catalogue venue the stratum's experts sit at, in a draw bound to venues. Added to
    /// the view when it is read (the intent entry's counts never carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<StratumVenueView>,
    /// A stratum whose sub-venue is chosen at random: where, among which venues, and each
    /// one's answer. Added when the view is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_random: Option<RandomVenueView>,
}

/// A stratum whose sub-venue the draw chooses at random (docs/DRAWS.md, "A sub-venue chosen
/// at random"): the regions, the candidates asked (each with its center's answer, in id
/// order) and, once the draw has executed, the one chosen (also in `venue`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RandomVenueView {
    pub(crate) regions: Vec<String>,
    pub candidates: Vec<CandidateVenueView>,
    /// The venue chosen after the seed: the first of the candidates, in the order the seed
    /// ranks them, whose center accepted (DRAW-SPEC §7a). Absent before the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
}

/// One candidate venue and its center's answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CandidateVenueView {
    pub venue_id: String,
    pub(crate) name: String,
    pub(crate) region_code: String,
    /// The venue's center (username).
    pub(crate) center: String,
    /// pending, accepted, refused, or withdrawn (the draw released it before an answer). An
    /// accepted candidate that was not chosen stays accepted; its workstations are released.
    pub consent: String,
}

/// A bound stratum's venue as the center sees it (docs/DRAWS.md, "Strata bound to venues").
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StratumVenueView {
    pub venue_id: String,
    pub(crate) name: String,
    pub(crate) address: String,
    /// The venue's county-level region code (GB/T 2260).
    pub(crate) region_code: String,
    /// The code prefix of its prefecture (4 digits, or 6 for 仙桃, 潜江, 天门, 神农架).
    pub(crate) prefecture_prefix: String,
    /// The venue's center (username).
    pub(crate) center: String,
    /// prefecture or province: where the stratum's experts come from.
    pub(crate) scope: String,
    /// main (the requesting center's own venue) or sub (another center's).
    pub role: String,
    /// not_needed (main), pending, accepted, refused, or withdrawn (the draw released it).
    pub consent: String,
    /// Chosen by the server from the draw's randomness (DRAW-SPEC §7a).
    pub chosen_at_random: bool,
}

/// Why a draw is void (a sub-venue refused before it executed), and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct VoidView {
    pub(crate) reason: String,
    pub(crate) voided_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SeatView {
    pub token: String,
    pub stratum: usize,
    /// Position in the stratum's ranking: 0..k-1 were drawn, k.. are reserves.
    pub(crate) rank: u32,
    /// seated (awaiting confirmation), confirmed, replaced, or reserve (unused).
    #[schema(value_type = String)]
    pub state: CandidateState,
    #[schema(value_type = Option<String>)]
    pub(crate) replaced_reason: Option<VacancyReason>,
}

/// A linked draw (补抽) as its root draw's page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct LinkedDrawView {
    pub(crate) draw_id: String,
    /// The root's group whose seat it fills.
    pub(crate) stratum: usize,
    #[schema(value_type = Option<String>)]
    pub(crate) reason: Option<VacancyReason>,
    #[schema(value_type = String)]
    pub(crate) status: DrawStatus,
    pub(crate) created_at: String,
    /// Its drawn seats (reserves left out).
    pub(crate) seats: Vec<SeatView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct StratumProgress {
    pub stratum: usize,
    pub(crate) confirmed: u32,
    pub(crate) pending: u32,
    pub(crate) replaced: u32,
    pub(crate) reserves_left: u32,
    /// Seats of this group that linked draws (补抽) have filled with a confirmed member.
    pub(crate) filled_by_linked: u32,
    /// Seats of this group whose linked draw's member has not yet answered.
    pub(crate) pending_in_linked: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ContributionView {
    pub(crate) position: u32,
    #[schema(value_type = String)]
    pub role: ContributorRole,
    pub(crate) received_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct DrawView {
    pub draw_id: String,
    /// awaiting_entropy, then drawn.
    #[schema(value_type = String)]
    pub(crate) status: DrawStatus,
    pub(crate) tender_reference: String,
    pub(crate) tender_name: String,
    pub(crate) venue: Option<String>,
    pub(crate) mode: EvaluationMode,
    pub(crate) evaluation_start: String,
    pub(crate) evaluation_minutes: u32,
    pub(crate) parent_draw_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub(crate) link_reason: Option<VacancyReason>,
    pub(crate) linked_draws: Vec<String>,
    /// The linked draws with what they fill, in the order they were made.
    pub(crate) linked_chain: Vec<LinkedDrawView>,
    #[schema(value_type = Object)]
    pub(crate) intent: DrawIntent,
    pub(crate) intent_index: u64,
    pub(crate) contribution_deadline: String,
    pub contributions: Vec<ContributionView>,
    pub strata: Vec<StratumSummary>,
    pub(crate) result_index: Option<u64>,
    pub(crate) seats: Vec<SeatView>,
    pub(crate) progress: Vec<StratumProgress>,
    /// True when every seat of every stratum is confirmed.
    pub(crate) complete: bool,
    /// Present when the draw is void: it never executes, and its tender may be drawn anew
    /// (reason `retendered`: its evaluation was cancelled and the tender is tendered again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) void: Option<VoidView>,
    /// Present while the evaluation is suspended, and once it is cancelled (issue 16 §4).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub(crate) hold: Option<super::DrawHold>,
    /// The committee the request planned: the drawn experts and the tenderer's
    /// representatives its session names. Absent when the request planned none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) committee: Option<PlannedCommittee>,
    /// What the request said of its project (issue 21 §1), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) project: Option<super::project::ProjectFacts>,
}

/// The answer to a new draw: its view and the proof that its intent is in the signed log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedDraw {
    #[serde(flatten)]
    pub draw: DrawView,
    /// A c2sp.org/tlog-proof of the intent entry, with the signed checkpoint covering it.
    pub(crate) intent_proof: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ReplacementOutcome {
    pub(crate) replaced: String,
    #[schema(value_type = String)]
    pub(crate) reason: VacancyReason,
    /// The reserve now seated, or none when the stratum's reserves are used up.
    pub(crate) successor: Option<String>,
    /// The linked draw started because reserves ran out.
    pub(crate) linked_draw: Option<String>,
    /// Why no linked draw could be started (e.g. too few eligible experts remain).
    pub(crate) linked_draw_refused: Option<String>,
    /// The seat's linked draw waits for another linked draw of the family to be drawn first
    /// (two drawn at once could seat one expert twice); it starts as soon as that one is.
    pub(crate) linked_draw_queued: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct FrequencyEntry {
    pub(crate) pseudonym: String,
    pub(crate) seats: u64,
    /// The seats a uniform draw would have given this expert over the window, from the sealed
    /// eligible sets of the strata they belonged to (two decimals).
    pub(crate) expected: String,
}

/// Whether seats went as uniform draws from the eligible sets predict (issue 21 §2; docs/
/// ANALYTICS.md §2): Pearson's χ² over every expert who was eligible in the window, the
/// never-drawn included.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct FairnessTest {
    /// Experts eligible for at least one stratum drawn in the window.
    pub(crate) eligible_experts: u64,
    /// Of those, how many got no seat.
    pub(crate) never_drawn: u64,
    /// How many of them a uniform draw would have left without a seat (Σ of each expert's
    /// chance of none, by the Poisson approximation), two decimals.
    pub(crate) never_drawn_expected: String,
    pub(crate) chi_square: String,
    pub(crate) degrees_of_freedom: u64,
    /// P(χ² at least this large) if the draws were fair: small values (below 0.001, say) mean
    /// seats concentrate more than chance explains. Text in scientific notation.
    pub(crate) p_value: String,
    /// Seats the test could not place (an expert seated but in no eligible set read, e.g. a
    /// stratum drawn before the window): they are left out of the statistic.
    pub(crate) unplaced_seats: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct FrequencyReport {
    pub(crate) window_days: i64,
    pub(crate) since: String,
    pub(crate) experts: Vec<FrequencyEntry>,
    pub(crate) experts_with_seats: u64,
    pub(crate) total_seats: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
    pub(crate) mean: String,
    pub(crate) standard_deviation: String,
    /// Seats → how many experts had that many.
    #[schema(value_type = Object)]
    pub(crate) histogram: BTreeMap<u64, u64>,
    pub(crate) fairness: FairnessTest,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RecheckStratum {
    pub stratum: usize,
    pub(crate) committed: u64,
    /// The sealed members re-derive exactly the committed tokens and Merkle root.
    pub(crate) members_match_committed_root: bool,
    /// The same filter applied to the pool as it is now.
    pub(crate) eligible_today: u64,
    /// Committed members the rules exclude today (pool changes since, including the draw's
    /// own seats counting towards the frequency cap).
    pub(crate) no_longer_eligible: u64,
    /// Experts the rules admit today who were not in the committed set.
    pub(crate) newly_eligible: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RecheckReport {
    pub draw_id: String,
    /// The stored filter hashes to the intent's `filter_sha256`.
    pub(crate) filter_matches_commitment: bool,
    pub(crate) snapshot_at_intent: String,
    pub(crate) snapshot_now: String,
    pub strata: Vec<RecheckStratum>,
}

/// What follows when a draw seats experts, inside the transaction that seats them: the
/// result's drawn experts, and each reserve that fills a vacated seat. Notification implements
/// it (`notify::invitations::Inviter`, which invites each of them), so that the draw does not
/// depend on who it tells: its writes are done in the caller's transaction, and their audit
/// entries come before the draw's own entry for the result or the replacement, as the record
/// and its verifiers expect.
pub(crate) trait SeatedHook: Send + Sync {
    /// `seats` are the newly seated tokens with their experts, in rank order.
    fn seated<'a>(
        &'a self,
        tx: &'a mut Tx,
        draw: &'a DrawRow,
        seats: &'a [(DrawToken, String)],
        now: Millis,
    ) -> BoxFuture<'a, Result<(), DrawServiceError>>;
}

pub struct DrawService {
    on_seated: Arc<dyn SeatedHook>,
    /// The pool version and the candidates read at it (see `pool_candidates`).
    pool_cache: std::sync::Mutex<Option<(i64, PoolCandidates)>>,
    store: Store,
    clock: SharedClock,
    rng: Rng,
    keys: Arc<KeyRing>,
    audit: Arc<AuditLog>,
    settings: DrawSettings,
    /// `pool.training.required_hours_per_year`, committed in a filter's training rule when
    /// `draw.require_training_current` applies it.
    required_training_hours: u32,
}

/// Every expert of the pool as the draw's rules see them, by expert id.
type PoolCandidates = Arc<HashMap<String, Candidate>>;

/// A replacement written but not yet followed up (see [`DrawService::after_replacement`]).
pub struct PendingReplacement {
    outcome: ReplacementOutcome,
    /// The vacated seat (draw id, token) and actor, when the stratum's reserves ran out: the
    /// seat is marked for a linked draw in the replacement's transaction.
    exhausted: Option<(String, DrawToken, Actor)>,
}

/// A linked draw's place in its family: every linked draw hangs off the root draw (the one the
/// center asked for) and fills a seat of one of the root's strata.
struct ParentLink {
    root_id: String,
    root_stratum: i32,
    reason: VacancyReason,
    /// The vacated seat whose pending link this draw settles.
    source_draw_id: String,
    source_token: Vec<u8>,
    /// The root's spec version: a linked draw follows its root's (one family, one format).
    spec_version: i32,
    /// For a v2 family: the root's intent hash and every token the family drew or holds in
    /// reserve, which this draw must not draw again.
    root_intent_hash: [u8; 32],
    excluded: Vec<DrawToken>,
    /// The family as it was read when the exclusions were: the draw is written only if it is
    /// still so, with no other draw of the family waiting for its result.
    family_state: crate::store::draws::FamilyState,
}

/// What a draw row carries besides its filter.
struct DrawHeader {
    center_id: String,
    tender_reference: String,
    lot: String,
    tender_name: String,
    venue: Option<String>,
    /// For a linked draw: the family it belongs to and the seat it fills.
    parent: Option<ParentLink>,
    /// For a root draw bound to venues: the workstations it holds with its intent.
    bookings: Option<BoundVenues>,
    /// For a root draw: where it belongs among supervisors' jurisdictions.
    jurisdiction: Option<DrawJurisdiction>,
    /// For a root draw whose request planned its committee: experts and representatives.
    committee: Option<PlannedCommittee>,
    /// For a root draw: what its request said of its project, if anything.
    project: Option<super::project::ProjectFacts>,
}

/// The venues a draw's strata are bound to, as the intent's transaction books them.
#[derive(Debug, Clone)]
struct BoundVenues {
    requester: Principal,
    /// One per venue, with the workstations of every stratum bound to it.
    claims: Vec<Claim>,
    /// The name of the requester's own venue, where the committee reports.
    main_venue: String,
    /// The centers of the venues named by `venue_id` (the main venue's among them): a venue
    /// chosen at random is another center's.
    named_centers: Vec<String>,
    /// The strata whose sub-venues are chosen at random, in stratum order.
    random: Vec<RandomStratum>,
}

/// A stratum whose sub-venue is chosen at random (DRAW-SPEC §7a), and the venues it is
/// chosen from, sorted by id (committed in the intent).
#[derive(Debug, Clone)]
struct RandomStratum {
    stratum: usize,
    k: u32,
    candidates: Vec<crate::draw::VenueCandidate>,
}

impl DrawService {
    pub(crate) fn new(
        deps: &Deps,
        audit: Arc<AuditLog>,
        settings: DrawSettings,
        on_seated: Arc<dyn SeatedHook>,
    ) -> Self {
        let Deps {
            store,
            clock,
            rng,
            keys,
        } = deps.clone();
        Self {
            on_seated,
            pool_cache: std::sync::Mutex::new(None),
            store,
            clock,
            rng,
            keys,
            audit,
            settings,
            required_training_hours: crate::config::TrainingSettings::default()
                .required_hours_per_year,
        }
    }

    /// The training requirement the deployment sets (`pool.training.required_hours_per_year`).
    pub(crate) fn with_required_training_hours(mut self, hours: u32) -> Self {
        self.required_training_hours = hours;
        self
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
            // Out of the supervisor's jurisdiction reads as no such draw.
            Role::Supervisor if in_jurisdiction(tx, who, &draw).await? => Ok(draw),
            Role::Center if draw.center_id == who.account_id => Ok(draw),
            _ => Err(DrawServiceError::NotFound),
        }
    }

    /// The expert behind a candidate seat, opened from its sealed value. The caller answers for
    /// having the right to, and for never letting the id out of the server.
    pub(crate) fn open_seat_expert(
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
}

/// Whether a root draw's committee is complete: every seat of every stratum confirmed, counting
/// the seats linked draws filled. A linked draw is complete when its own seat is.
pub(crate) async fn committee_complete(
    tx: &mut Tx,
    draw: &DrawRow,
) -> Result<bool, DrawServiceError> {
    if draw.status != DrawStatus::Drawn {
        return Ok(false);
    }
    let strata = tx.draw_strata(&draw.id).await?;
    let confirmed: Vec<(i32, i64)> = if draw.parent_draw_id.is_none() {
        tx.family_confirmed(&draw.id).await?
    } else {
        tx.draw_seats(&draw.id)
            .await?
            .iter()
            .filter(|seat| seat.state == CandidateState::Confirmed)
            .map(|seat| (seat.stratum, 1))
            .collect()
    };
    Ok(strata.iter().all(|s| {
        confirmed
            .iter()
            .filter(|(stratum, _)| *stratum == s.stratum)
            .map(|(_, count)| count)
            .sum::<i64>()
            == i64::from(s.k)
    }))
}

/// Appends one of a draw's audit entries. A v2 family's entries are chained (spec §9b): each
/// names the family, its number in the family and the leaf hash of the family's previous
/// entry, and is listed in `draw_family_entries`, so the published record can prove it holds
/// every one of them. The log's writer order is taken first, so the family's newest entry read
/// here is the newest there is, on every instance. A v1 draw's entries are appended as before.
async fn append_draw_entry(
    tx: &mut Tx,
    draw: &DrawRow,
    entry: AuditEntry,
) -> Result<u64, DrawServiceError> {
    if draw.spec_version < 2 {
        return Ok(audit::append(tx, &entry).await?);
    }
    let (entry, seq) = chain_family_entry(tx, draw.root_id(), entry).await?;
    let index = audit::append(tx, &entry).await?;
    record_family_entry(tx, draw.root_id(), &draw.id, &entry, seq, index).await?;
    Ok(index)
}

/// The entry with its `data.family` link, and its number in the family.
async fn chain_family_entry(
    tx: &mut Tx,
    root_id: &str,
    entry: AuditEntry,
) -> Result<(AuditEntry, i64), DrawServiceError> {
    audit::hold(tx).await?;
    let (seq, prev) = match tx.family_head(root_id).await? {
        Some((seq, leaf)) => (seq + 1, Some(hex::encode(leaf))),
        None => (0, None),
    };
    let link = serde_json::json!({"root": root_id, "seq": seq, "prev": prev});
    Ok((entry.data("family", link), seq))
}

async fn record_family_entry(
    tx: &mut Tx,
    root_id: &str,
    draw_id: &str,
    entry: &AuditEntry,
    seq: i64,
    index: u64,
) -> Result<(), DrawServiceError> {
    let leaf =
        crate::audit::merkle::leaf_hash(tx.suite(), &entry.canonical_bytes().map_err(corrupt)?);
    tx.insert_family_entry(
        root_id,
        &crate::store::draws::FamilyEntryRow {
            seq,
            draw_id: draw_id.to_owned(),
            kind: entry.kind().to_owned(),
            log_index: index as i64,
            leaf: leaf.to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// The id a draw's tokens are derived under (spec §4): a v2 family shares its root's, so the
/// same expert has the same token in every draw of one family and a linked draw can prove it
/// excluded the family's experts; a v1 draw used its own.
pub(crate) fn token_domain(draw: &DrawRow) -> &str {
    if draw.spec_version >= 2 {
        draw.root_id()
    } else {
        &draw.id
    }
}

/// Whether `token` is this expert's in draw `draw_id` of the family rooted at `root_id`,
/// without reading the draw: a v2 draw's token is derived under the root's id, a v1 draw's
/// under its own (spec §4), and an HMAC under one cannot equal another expert's under the
/// other except with negligible probability, so either match names the expert.
pub(crate) fn is_experts_token(
    keys: &KeyRing,
    root_id: &str,
    draw_id: &str,
    expert_id: &str,
    token: &[u8],
) -> bool {
    let mut domains = vec![draw_id];
    if root_id != draw_id {
        domains.push(root_id);
    }
    domains.into_iter().any(|domain| {
        crate::crypto::constant_time_eq(
            DrawToken::derive_with_keys(keys, domain, expert_id).as_bytes(),
            token,
        )
    })
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
pub(crate) fn is_draw_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= super::MAX_DRAW_ID_LEN && !text.chars().any(char::is_control)
}

/// [`crate::auth::jurisdiction::within_jurisdiction`] for a draw row in hand (by its root).
pub(crate) async fn in_jurisdiction(
    tx: &mut Tx,
    who: &Principal,
    draw: &DrawRow,
) -> Result<bool, StoreError> {
    crate::auth::jurisdiction::within_jurisdiction(tx, who, draw.root_id()).await
}

/// Whether contributions from these roles complete a draw: the center's, and a supervisor's
/// too where `draw.await_supervisor` asks for one. The draw is executed as soon as they do.
fn contributions_complete(
    roles: impl IntoIterator<Item = ContributorRole>,
    await_supervisor: bool,
) -> bool {
    let roles: HashSet<ContributorRole> = roles.into_iter().collect();
    roles.contains(&ContributorRole::Center)
        && (!await_supervisor || roles.contains(&ContributorRole::Supervisor))
}

fn contributor_role(who: &Principal, draw: &DrawRow) -> ContributorRole {
    if who.role == Role::Center && who.account_id == draw.center_id {
        ContributorRole::Center
    } else {
        ContributorRole::Supervisor
    }
}

fn secret_context(draw_id: &str) -> String {
    format!("draw-secret:{draw_id}")
}

pub(crate) fn members_context(draw_id: &str, stratum: usize) -> String {
    format!("draw-members:{draw_id}:{stratum}")
}

pub(crate) fn candidate_context(draw_id: &str, token_hex: &str) -> String {
    format!("draw-candidate:{draw_id}:{token_hex}")
}

fn seat_token(bytes: &[u8]) -> Result<DrawToken, DrawServiceError> {
    DrawToken::from_slice(bytes).ok_or_else(|| corrupt("a stored token is not 32 bytes"))
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

/// The `void_reason` of a root draw whose evaluation was cancelled for the tender to be
/// tendered again (issue 16 §4): it frees the tender for one new root draw, whose intent entry
/// names it as `retender_of`.
pub(crate) const RETENDER_VOID_REASON: &str = "retendered";

/// Why a held draw refuses an act, in words a center or expert reads.
pub(crate) fn held_text(hold: super::DrawHold) -> &'static str {
    match hold {
        super::DrawHold::Suspended => {
            "the evaluation is suspended: nothing of its draw or session moves until a supervisor \
             resumes it"
        }
        super::DrawHold::Cancelled => {
            "the evaluation is cancelled: its draw and session are closed"
        }
    }
}

/// Refuses an act on a draw whose tender's evaluation is suspended or cancelled: the hold is
/// kept on the root draw, so a linked draw follows its root.
pub(crate) async fn refuse_if_held(tx: &mut Tx, draw: &DrawRow) -> Result<(), DrawServiceError> {
    match tx.draw_hold(draw.root_id()).await? {
        Some(hold) => Err(DrawServiceError::Held(hold)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::contributions_complete;
    use crate::draw::ContributorRole::{Center, Supervisor};

    #[test]
    fn the_centers_contribution_completes_a_draw_and_a_supervisors_too_when_awaited() {
        assert!(contributions_complete([Center], false));
        assert!(!contributions_complete([Center], true));
        assert!(contributions_complete([Supervisor, Center], true));
        assert!(!contributions_complete([Supervisor], false));
        assert!(!contributions_complete([], false));
    }
}
