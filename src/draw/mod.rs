//! The verifiable draw's pure core (`docs/DRAW-SPEC.md`, DESIGN §5): tokens, the intent
//! commitment, the seed, the ranking, the minimum-eligible rule, and the offline verifier. No
//! database, no HTTP, no clock: callers bring the eligible tokens, the key bytes, the secret and
//! the contributions, and store what comes out.
//!
//! Life of a draw:
//! 1. [`DrawPlan::new`] checks the strata and builds the [`DrawIntent`] (log it, with its
//!    [`DrawIntent::hash`], before any contribution is accepted; keep the [`ServerSecret`] sealed).
//! 2. [`DrawPlan::execute`] takes the secret and the contributions in order and ranks.
//! 3. [`VerificationRecord::new`] assembles what is published with `s` revealed; anyone can run
//!    [`verify`] on it (or `integration/verifier/draw_verify.py`, written from the spec).

pub mod algorithm;
pub(crate) mod committee;
pub(crate) mod filter;
pub(crate) mod log_review;
pub(crate) mod project;
pub mod published;
pub(crate) mod service;
pub(crate) mod shape;
pub(crate) mod states;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::audit::entry::{EntryError, canonical_json};
use crate::audit::merkle::{self, Hash};
use crate::crypto::{Rng, Suite, constant_time_eq, rng::RandomnessUnavailable};

pub use algorithm::{ALGORITHM_ID, ALGORITHM_V1, ALGORITHM_V2, StratumRefusal, StratumResult};
pub use states::{
    CandidateState, ContributorRole, DrawHold, DrawStatus, InterruptionKind, InterruptionState,
    LinkState, VacancyReason,
};

/// At most this many strata in one draw (keeps the intent well inside one audit entry).
pub(crate) const MAX_STRATA: usize = 16;
/// At most this many specialty prefixes per stratum, each at most [`MAX_PREFIX_LEN`] bytes.
pub const MAX_PREFIXES: usize = 32;
pub const MAX_PREFIX_LEN: usize = 64;
/// At most this many region prefixes in each list of a stratum's region rule (v3): every
/// prefix of Hubei's divisions fits, and any other province's.
pub const MAX_REGIONS: usize = 32;
/// A draw id is 1 to this many bytes of UTF-8.
pub(crate) const MAX_DRAW_ID_LEN: usize = 128;
/// At most this many contributions, each 1 to [`MAX_CONTRIBUTION_LEN`] bytes.
pub(crate) const MAX_CONTRIBUTIONS: usize = 16;
pub(crate) const MAX_CONTRIBUTION_LEN: usize = 1024;

/// A per-draw pseudonym for an expert: `HMAC(token_key, tag ‖ draw_id ‖ expert_id)` in the
/// suite's HMAC, length-prefixed (spec §2). Tokens of one expert in two draws are unlinkable without the key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrawToken([u8; 32]);

impl DrawToken {
    /// A token's length in bytes.
    pub(crate) const LEN: usize = 32;

    /// `token_key` is the token key's bytes from the key ring; nothing else may be passed.
    pub fn derive(suite: Suite, token_key: &[u8], draw_id: &str, expert_id: &str) -> Self {
        Self(algorithm::token(suite, token_key, draw_id, expert_id))
    }

    /// The same token, computed with the token key where it lives (the key ring).
    pub(crate) fn derive_with_keys(
        keys: &crate::crypto::KeyRing,
        draw_id: &str,
        expert_id: &str,
    ) -> Self {
        Self(keys.token_mac(&[&algorithm::token_message(draw_id, expert_id)]))
    }

    /// A deriver of many tokens of one draw: the same tokens as [`Self::derive_with_keys`],
    /// with the key schedule and the draw's part of the message computed once.
    pub(crate) fn deriver(keys: &crate::crypto::KeyRing, draw_id: &str) -> TokenDeriver {
        TokenDeriver(keys.token_macs(&algorithm::token_prefix(draw_id)))
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A token as stored (a byte column); `None` unless exactly 32 bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Lowercase hex of exactly 32 bytes, the only spelling a record uses.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let mut out = [0u8; 32];
        decode_lower_hex(text, &mut out)?;
        Ok(Self(out))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Derives the tokens of one draw (see [`DrawToken::deriver`]).
pub(crate) struct TokenDeriver(crate::crypto::MacPrefix);

impl TokenDeriver {
    pub(crate) fn token(&self, expert_id: &str) -> DrawToken {
        DrawToken(algorithm::token_after_prefix(&self.0, expert_id))
    }
}

/// Tokens are pseudonyms meant for the log, so printing them is safe.
impl std::fmt::Debug for DrawToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DrawToken({})", self.to_hex())
    }
}

impl Serialize for DrawToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for DrawToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        hex32::deserialize(deserializer).map(Self)
    }
}

/// The server's 256-bit draw secret `s`: committed in the intent as `H(s)`, revealed with the
/// result. Never printed; wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ServerSecret([u8; 32]);

impl ServerSecret {
    pub(crate) fn generate(rng: &Rng) -> Result<Self, RandomnessUnavailable> {
        rng.bytes().map(Self)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// `H(s)` (spec §3).
    pub(crate) fn commitment(&self, suite: Suite) -> [u8; 32] {
        algorithm::secret_commitment(suite, &self.0)
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(<hidden>)")
    }
}

/// Random bytes a center, a supervisor or a beacon sent after seeing the intent.
#[derive(Clone, PartialEq, Eq)]
pub struct Contribution(Vec<u8>);

impl Contribution {
    pub fn new(bytes: Vec<u8>) -> Result<Self, DrawError> {
        if bytes.is_empty() || bytes.len() > MAX_CONTRIBUTION_LEN {
            return Err(DrawError::ContributionLength(bytes.len()));
        }
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Contribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Contribution({})", hex::encode(&self.0))
    }
}

/// One group of the committee: experts whose specialty starts with one of the prefixes, `k`
/// drawn and `m` ordered reserves. Prefixes are kept sorted and unique (their canonical form).
/// A v3 stratum also names the region rule its eligible set was computed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stratum {
    specialty_prefixes: Vec<String>,
    k: u32,
    m: u32,
    regions: Option<StratumRegions>,
    venue: Option<StratumVenue>,
    venue_candidates: Option<Vec<VenueCandidate>>,
}

/// One venue a v3 stratum's sub-venue may be chosen from (spec §5, §7a): its catalogue id and
/// its county-level region code as the catalogue had it when the draw was asked for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueCandidate {
    pub venue_id: String,
    pub venue_region: String,
}

/// How many candidate venues one stratum may commit (spec §5): each center asked must answer
/// before the draw executes, so the list stays short enough to ask.
pub const MAX_VENUE_CANDIDATES: usize = 32;

/// Why a stratum's committed candidate venues do not fit its region rule (spec §5, check 5h),
/// if they do not: the member named (`venue_candidates` or `venue_candidates[j]…`) and why.
/// 1 to [`MAX_VENUE_CANDIDATES`] of them, ids of 1 to 64 bytes strictly ascending, each region
/// a county's six digits that the stratum's own rule admits (so the stratum's experts come
/// from where any candidate lies), and the rule requires regions (it names where to choose).
pub(crate) fn candidates_problem(
    candidates: &[VenueCandidate],
    exclude: &[String],
    require: &[String],
) -> Option<(String, String)> {
    if candidates.is_empty() || candidates.len() > MAX_VENUE_CANDIDATES {
        return Some((
            "venue_candidates".into(),
            format!("must list 1 to {MAX_VENUE_CANDIDATES} venues"),
        ));
    }
    if require.is_empty() {
        return Some((
            "regions_require".into(),
            "a stratum choosing its venue at random requires the regions it chooses from".into(),
        ));
    }
    for (j, candidate) in candidates.iter().enumerate() {
        if candidate.venue_id.is_empty() || candidate.venue_id.len() > 64 {
            return Some((
                format!("venue_candidates[{j}].venue_id"),
                "must be 1 to 64 bytes".into(),
            ));
        }
        if j > 0 && candidates[j - 1].venue_id.as_bytes() >= candidate.venue_id.as_bytes() {
            return Some((
                format!("venue_candidates[{j}].venue_id"),
                "candidates must be in strictly ascending order of venue_id".into(),
            ));
        }
        let region = &candidate.venue_region;
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Some((
                format!("venue_candidates[{j}].venue_region"),
                "must be a county's 6-digit region code".into(),
            ));
        }
        let excluded = exclude.iter().any(|p| region.starts_with(p.as_str()));
        let required = require.iter().any(|p| region.starts_with(p.as_str()));
        if excluded || !required {
            return Some((
                format!("venue_candidates[{j}].venue_region"),
                format!("{region} is outside the stratum's region rule"),
            ));
        }
    }
    None
}

/// The catalogue venue a v3 stratum's experts sit at, as its intent commits it (spec §5a): the
/// venue's id, its county-level region code and the scope its region rule came from
/// (`prefecture`: the stratum requires only regions inside the venue's prefecture; `province`:
/// the venue narrows nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratumVenue {
    pub venue_id: String,
    pub region_code: String,
    pub scope: String,
}

/// The scopes a committed venue may name.
pub(crate) const VENUE_SCOPES: [&str; 2] = ["prefecture", "province"];

/// The region prefix that names a county's prefecture-level division (GB/T 2260): its first
/// four digits, but all six for a county the province administers directly (`xx90xx`, e.g.
/// 仙桃 429004), whose `xx90` groups several such counties rather than naming one prefecture.
pub fn prefecture_prefix(county_code: &str) -> &str {
    match county_code.get(2..4) {
        Some("90") => county_code,
        _ => county_code.get(..4).unwrap_or(county_code),
    }
}

/// Why a stratum's committed venue does not fit its committed region rule (spec §5a), if it
/// does not: the venue id is 1 to 64 bytes, the region a county's six digits, the scope one of
/// [`VENUE_SCOPES`], and a prefecture scope requires regions inside the venue's prefecture
/// only (at least one).
pub(crate) fn venue_problem(
    venue: &StratumVenue,
    require: &[String],
) -> Option<(&'static str, String)> {
    if venue.venue_id.is_empty() || venue.venue_id.len() > 64 {
        return Some(("venue_id", "must be 1 to 64 bytes".into()));
    }
    if venue.region_code.len() != 6 || !venue.region_code.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            "venue_region",
            "must be a county's 6-digit region code".into(),
        ));
    }
    if !VENUE_SCOPES.contains(&venue.scope.as_str()) {
        return Some((
            "venue_scope",
            format!("must be one of {}", VENUE_SCOPES.join(", ")),
        ));
    }
    let prefix = prefecture_prefix(&venue.region_code);
    if venue.scope == "prefecture"
        && (require.is_empty() || require.iter().any(|r| !r.starts_with(prefix)))
    {
        return Some((
            "regions_require",
            format!("a prefecture-scoped venue requires regions under {prefix} only"),
        ));
    }
    None
}

/// The region rule a v3 stratum's eligible experts were chosen under (spec §5): none is in a
/// region under an `exclude` prefix and, when `require` is not empty, each is under one of its
/// prefixes. Each list is in its canonical form: region code prefixes of 2, 4 or 6 ASCII
/// digits, strictly ascending, none under another (`4201` beside `42` is spelled `42`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StratumRegions {
    pub exclude: Vec<String>,
    pub require: Vec<String>,
}

/// Why a list of region prefixes is not in its canonical form, if it is not.
fn region_list_problem(prefixes: &[String]) -> Option<String> {
    if prefixes.len() > MAX_REGIONS {
        return Some(format!("at most {MAX_REGIONS} region prefixes"));
    }
    if let Some(bad) = prefixes
        .iter()
        .find(|p| !matches!(p.len(), 2 | 4 | 6) || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(format!(
            "{bad:?} is not a region prefix of 2, 4 or 6 digits"
        ));
    }
    if let Some(pair) = prefixes.windows(2).find(|p| p[0] >= p[1]) {
        return Some(format!("{:?} does not come after {:?}", pair[1], pair[0]));
    }
    if let Some(pair) = prefixes
        .windows(2)
        .find(|p| p[1].starts_with(p[0].as_str()))
    {
        return Some(format!("{:?} is already covered by {:?}", pair[1], pair[0]));
    }
    None
}

impl Stratum {
    pub fn new(mut specialty_prefixes: Vec<String>, k: u32, m: u32) -> Result<Self, DrawError> {
        specialty_prefixes.sort_unstable();
        specialty_prefixes.dedup();
        if specialty_prefixes.is_empty() || specialty_prefixes.len() > MAX_PREFIXES {
            return Err(DrawError::Prefixes("between 1 and 32 prefixes are needed"));
        }
        if specialty_prefixes
            .iter()
            .any(|p| p.is_empty() || p.len() > MAX_PREFIX_LEN)
        {
            return Err(DrawError::Prefixes("each prefix is 1 to 64 bytes"));
        }
        if k == 0 {
            return Err(DrawError::NothingToDraw);
        }
        Ok(Self {
            specialty_prefixes,
            k,
            m,
            regions: None,
            venue: None,
            venue_candidates: None,
        })
    }

    /// The same stratum naming its region rule, which makes its draw a v3 draw. The lists must
    /// already be in their canonical form: the caller's filter decides what the rule is, and
    /// this only refuses a spelling the spec would not accept.
    pub fn with_regions(mut self, regions: StratumRegions) -> Result<Self, DrawError> {
        if let Some(problem) =
            region_list_problem(&regions.exclude).or_else(|| region_list_problem(&regions.require))
        {
            return Err(DrawError::Regions(problem));
        }
        self.regions = Some(regions);
        Ok(self)
    }

    /// The same stratum naming its venue (a v3 stratum only: call after [`Self::with_regions`]).
    pub fn with_venue(mut self, venue: StratumVenue) -> Result<Self, DrawError> {
        let require = self
            .regions
            .as_ref()
            .map(|r| r.require.as_slice())
            .ok_or(DrawError::RegionsNeedV3)?;
        if let Some((field, problem)) = venue_problem(&venue, require) {
            return Err(DrawError::Regions(format!("{field}: {problem}")));
        }
        self.venue = Some(venue);
        Ok(self)
    }

    /// The same stratum naming the venues its sub-venue will be chosen from after the seed
    /// (spec §7a; a v3 stratum without a venue only: call after [`Self::with_regions`]).
    /// Candidates are kept in their one order, by venue id.
    pub fn with_venue_candidates(
        mut self,
        mut candidates: Vec<VenueCandidate>,
    ) -> Result<Self, DrawError> {
        let regions = self.regions.as_ref().ok_or(DrawError::RegionsNeedV3)?;
        if self.venue.is_some() {
            return Err(DrawError::Regions(
                "a stratum names its venue or candidates to choose one from, not both".into(),
            ));
        }
        candidates.sort_unstable();
        if let Some((field, problem)) =
            candidates_problem(&candidates, &regions.exclude, &regions.require)
        {
            return Err(DrawError::Regions(format!("{field}: {problem}")));
        }
        self.venue_candidates = Some(candidates);
        Ok(self)
    }

    pub fn specialty_prefixes(&self) -> &[String] {
        &self.specialty_prefixes
    }

    pub fn k(&self) -> u32 {
        self.k
    }

    pub fn m(&self) -> u32 {
        self.m
    }

    pub fn regions(&self) -> Option<&StratumRegions> {
        self.regions.as_ref()
    }
}

/// A stratum's eligible tokens, sorted bytewise and unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibleSet(Vec<DrawToken>);

impl EligibleSet {
    pub fn new(mut tokens: Vec<DrawToken>) -> Result<Self, DrawError> {
        tokens.sort_unstable();
        if let Some(pair) = tokens.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(DrawError::DuplicateToken(pair[0]));
        }
        Ok(Self(tokens))
    }

    pub fn tokens(&self) -> &[DrawToken] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// RFC 6962 root over the sorted tokens (spec §4).
    pub fn root(&self, suite: Suite) -> Hash {
        algorithm::eligible_root(suite, &self.0)
    }
}

/// What a caller asks for. `filter_sha256` is the SHA-256 of the canonical filter (the filter
/// module owns its canonical form); `pool_snapshot` names the pool state the eligible sets were
/// computed from (e.g. the audit log's size and root at that moment).
#[derive(Debug, Clone)]
pub struct DrawRequest {
    /// The deployment's suite: every hash and MAC of the draw is its.
    pub suite: Suite,
    pub draw_id: String,
    pub pool_snapshot: String,
    pub filter_sha256: [u8; 32],
    pub min_multiple: u32,
    pub strata: Vec<(Stratum, EligibleSet)>,
    /// `None` plans a v1 intent (a linked draw of a family whose root is v1); `Some` plans v2.
    pub tender_sha256: Option<[u8; 32]>,
    /// For a linked draw (v2 only): its family and the family's tokens it must not draw.
    pub family: Option<FamilyRequest>,
}

/// A linked draw's tie to its family, as the caller knows it when planning.
#[derive(Debug, Clone)]
pub struct FamilyRequest {
    pub root_draw_id: String,
    pub root_intent_hash: Hash,
    pub root_stratum: u32,
    pub vacated_draw_id: String,
    pub vacated_token: DrawToken,
    /// Every token the family drew or holds in reserve: none of them may be eligible again.
    pub excluded: EligibleSet,
}

/// A linked draw's family, as its v2 intent commits to it (spec §5): the root draw and its
/// intent, the root's stratum and the vacated seat this draw fills, and a Merkle root over the
/// family's tokens it excluded (the same tokens as the root's: one family, one token domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyLink {
    pub root_draw_id: String,
    #[serde(with = "hex32")]
    pub root_intent_hash: Hash,
    pub root_stratum: u32,
    pub vacated_draw_id: String,
    pub vacated_token: DrawToken,
    pub(crate) excluded_count: u64,
    #[serde(with = "hex32")]
    pub(crate) excluded_root: Hash,
}

/// [`FamilyLink`] as a record publishes it: with the excluded tokens behind the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFamily {
    pub root_draw_id: String,
    #[serde(with = "hex32")]
    pub root_intent_hash: Hash,
    pub root_stratum: u32,
    pub vacated_draw_id: String,
    pub vacated_token: DrawToken,
    pub(crate) excluded_count: u64,
    #[serde(with = "hex32")]
    pub(crate) excluded_root: Hash,
    /// Sorted bytewise, as eligible tokens are.
    pub excluded: Vec<DrawToken>,
}

impl RecordFamily {
    pub(crate) fn link(&self) -> FamilyLink {
        FamilyLink {
            root_draw_id: self.root_draw_id.clone(),
            root_intent_hash: self.root_intent_hash,
            root_stratum: self.root_stratum,
            vacated_draw_id: self.vacated_draw_id.clone(),
            vacated_token: self.vacated_token,
            excluded_count: self.excluded_count,
            excluded_root: self.excluded_root,
        }
    }
}

/// The committed intent of one stratum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StratumIntent {
    pub(crate) prefixes: Vec<String>,
    pub(crate) k: u32,
    pub(crate) m: u32,
    pub(crate) eligible_count: u64,
    #[serde(with = "hex32")]
    pub eligible_root: Hash,
    /// v3: the region rule the eligible set was computed under. Absent in v1 and v2.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub regions_exclude: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub regions_require: Option<Vec<String>>,
    /// v3, venue-bound strata only (spec §5a): the venue, its county and its scope.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_region: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_scope: Option<String>,
    /// v3, strata whose sub-venue is chosen at random only (spec §5, §7a): the venues it is
    /// chosen from, by venue id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_candidates: Option<Vec<VenueCandidate>>,
}

/// The intent: logged before any randomness exists. Its canonical JSON (spec §5) is hashed as an
/// RFC 6962 leaf into the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawIntent {
    pub(crate) algorithm: String,
    /// The suite of every hash and MAC in the draw (spec §1a). Absent means `intl2024`, so
    /// records made before the national suite existed keep their bytes.
    #[serde(
        default = "crate::crypto::suite::international",
        skip_serializing_if = "crate::crypto::suite::is_international"
    )]
    pub suite: Suite,
    pub draw_id: String,
    pub pool_snapshot: String,
    #[serde(with = "hex32")]
    pub filter_sha256: [u8; 32],
    pub min_multiple: u32,
    #[serde(with = "hex32")]
    pub(crate) secret_commitment: [u8; 32],
    pub strata: Vec<StratumIntent>,
    /// v2: the tender this draw is for (spec §5). Absent in v1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "present::serialize_hex32",
        deserialize_with = "present::hex32"
    )]
    pub tender_sha256: Option<[u8; 32]>,
    /// v2, linked draws only: the family the draw belongs to. Absent otherwise, never null.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub family: Option<FamilyLink>,
}

impl DrawIntent {
    /// Canonical JSON: sorted keys, no whitespace, integers only (the audit log's form).
    pub(crate) fn canonical_bytes(&self) -> Result<Vec<u8>, EntryError> {
        // Serialising plain strings, integers and hex into a Value cannot fail; a Null would
        // hash to a different intent and fail verification rather than pass silently.
        canonical_json(&serde_json::to_value(self).unwrap_or_default())
    }

    /// `intent_hash = H(0x00 ‖ canonical JSON)`, the RFC 6962 leaf hash in the draw's suite.
    pub(crate) fn hash(&self) -> Result<Hash, EntryError> {
        Ok(merkle::leaf_hash(self.suite, &self.canonical_bytes()?))
    }
}

/// Why a draw cannot be planned or executed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("a draw needs 1 to {MAX_STRATA} strata")]
    StrataCount,
    #[error("a draw id is 1 to {MAX_DRAW_ID_LEN} bytes")]
    DrawId,
    #[error("the minimum multiple must be at least 1")]
    MinMultiple,
    #[error("stratum prefixes: {0}")]
    Prefixes(&'static str),
    #[error("a stratum must draw at least one expert")]
    NothingToDraw,
    #[error("token {0:?} is listed twice")]
    DuplicateToken(DrawToken),
    #[error(transparent)]
    Refused(#[from] StratumRefusal),
    #[error("the intent does not fit in one audit entry: {0}")]
    IntentTooLarge(String),
    #[error("a contribution is 1 to {MAX_CONTRIBUTION_LEN} bytes, not {0}")]
    ContributionLength(usize),
    #[error("at most {MAX_CONTRIBUTIONS} contributions, not {0}")]
    TooManyContributions(usize),
    #[error("the secret does not match the intent's commitment")]
    SecretMismatch,
    #[error("the stored eligible sets are not the ones the intent committed to")]
    EligibleSetMismatch,
    #[error("only a v2 intent (one that names its tender) can name a family")]
    FamilyNeedsV2,
    #[error("token {0:?} is excluded by the family but eligible")]
    ExcludedTokenEligible(DrawToken),
    #[error("stratum region rule: {0}")]
    Regions(String),
    #[error(
        "every stratum of a v3 intent names its region rule, and only a v3 intent (one that \
         names its tender) does"
    )]
    RegionsNeedV3,
    #[error("stratum {0} chooses its venue at random, and none of its candidates accepted")]
    NoVenueAccepted(usize),
}

/// An intent and the eligible sets it commits to: what the server keeps from intent to result.
#[derive(Debug, Clone)]
pub struct DrawPlan {
    intent: DrawIntent,
    intent_hash: Hash,
    eligible: Vec<EligibleSet>,
    /// A linked draw's excluded family tokens (empty otherwise).
    excluded: Vec<DrawToken>,
}

impl DrawPlan {
    /// Checks the request (including the minimum-eligible rule, spec §8) and commits to `s`.
    pub fn new(request: DrawRequest, secret: &ServerSecret) -> Result<Self, DrawError> {
        if request.strata.is_empty() || request.strata.len() > MAX_STRATA {
            return Err(DrawError::StrataCount);
        }
        if request.draw_id.is_empty() || request.draw_id.len() > MAX_DRAW_ID_LEN {
            return Err(DrawError::DrawId);
        }
        if request.min_multiple == 0 {
            return Err(DrawError::MinMultiple);
        }
        let shapes: Vec<(u32, u32, &[DrawToken])> = request
            .strata
            .iter()
            .map(|(stratum, set)| (stratum.k, stratum.m, set.tokens()))
            .collect();
        algorithm::check_strata(request.min_multiple, &shapes)?;
        if request.family.is_some() && request.tender_sha256.is_none() {
            return Err(DrawError::FamilyNeedsV2);
        }
        let with_regions = request
            .strata
            .iter()
            .filter(|(stratum, _)| stratum.regions.is_some())
            .count();
        let v3 = with_regions == request.strata.len();
        if with_regions > 0 && (!v3 || request.tender_sha256.is_none()) {
            return Err(DrawError::RegionsNeedV3);
        }
        if let Some(family) = &request.family
            && let Some(token) = request.strata.iter().find_map(|(_, set)| {
                set.tokens()
                    .iter()
                    .find(|t| family.excluded.tokens().binary_search(t).is_ok())
            })
        {
            return Err(DrawError::ExcludedTokenEligible(*token));
        }
        let strata = request
            .strata
            .iter()
            .map(|(stratum, set)| StratumIntent {
                prefixes: stratum.specialty_prefixes.clone(),
                k: stratum.k,
                m: stratum.m,
                eligible_count: set.len() as u64,
                eligible_root: set.root(request.suite),
                regions_exclude: stratum.regions.as_ref().map(|r| r.exclude.clone()),
                regions_require: stratum.regions.as_ref().map(|r| r.require.clone()),
                venue_id: stratum.venue.as_ref().map(|v| v.venue_id.clone()),
                venue_region: stratum.venue.as_ref().map(|v| v.region_code.clone()),
                venue_scope: stratum.venue.as_ref().map(|v| v.scope.clone()),
                venue_candidates: stratum.venue_candidates.clone(),
            })
            .collect();
        let family = request.family.as_ref().map(|family| FamilyLink {
            root_draw_id: family.root_draw_id.clone(),
            root_intent_hash: family.root_intent_hash,
            root_stratum: family.root_stratum,
            vacated_draw_id: family.vacated_draw_id.clone(),
            vacated_token: family.vacated_token,
            excluded_count: family.excluded.len() as u64,
            excluded_root: family.excluded.root(request.suite),
        });
        let intent = DrawIntent {
            algorithm: match request.tender_sha256 {
                Some(_) if v3 => ALGORITHM_ID,
                Some(_) => ALGORITHM_V2,
                None => ALGORITHM_V1,
            }
            .to_owned(),
            suite: request.suite,
            draw_id: request.draw_id,
            pool_snapshot: request.pool_snapshot,
            filter_sha256: request.filter_sha256,
            min_multiple: request.min_multiple,
            secret_commitment: secret.commitment(request.suite),
            strata,
            tender_sha256: request.tender_sha256,
            family,
        };
        let intent_hash = intent
            .hash()
            .map_err(|error| DrawError::IntentTooLarge(error.to_string()))?;
        let eligible = request.strata.into_iter().map(|(_, set)| set).collect();
        Ok(Self {
            intent,
            intent_hash,
            eligible,
            excluded: request
                .family
                .map(|family| family.excluded.0)
                .unwrap_or_default(),
        })
    }

    /// A plan rebuilt from a stored intent, its eligible sets and (for a linked draw) the
    /// family tokens it excluded, checking each against what the intent committed to.
    pub(crate) fn from_parts(
        intent: DrawIntent,
        eligible: Vec<EligibleSet>,
        excluded: Vec<DrawToken>,
    ) -> Result<Self, DrawError> {
        if intent.strata.len() != eligible.len()
            || intent.strata.iter().zip(&eligible).any(|(s, set)| {
                s.eligible_count != set.len() as u64 || s.eligible_root != set.root(intent.suite)
            })
        {
            return Err(DrawError::EligibleSetMismatch);
        }
        let excluded = EligibleSet::new(excluded)?;
        let excluded_matches = match &intent.family {
            Some(family) => {
                family.excluded_count == excluded.len() as u64
                    && family.excluded_root == excluded.root(intent.suite)
            }
            None => excluded.is_empty(),
        };
        if !excluded_matches {
            return Err(DrawError::EligibleSetMismatch);
        }
        let intent_hash = intent
            .hash()
            .map_err(|error| DrawError::IntentTooLarge(error.to_string()))?;
        Ok(Self {
            intent,
            intent_hash,
            eligible,
            excluded: excluded.0,
        })
    }

    pub(crate) fn intent(&self) -> &DrawIntent {
        &self.intent
    }

    pub fn intent_hash(&self) -> Hash {
        self.intent_hash
    }

    pub(crate) fn eligible(&self) -> &[EligibleSet] {
        &self.eligible
    }

    /// The result: the seed from `s` and the contributions in the order they are logged, then
    /// the ranking of every stratum. Deterministic; there is no other source of randomness.
    pub fn execute(
        &self,
        secret: &ServerSecret,
        contributions: &[Contribution],
    ) -> Result<DrawOutcome, DrawError> {
        let suite = self.intent.suite;
        if !constant_time_eq(&secret.commitment(suite), &self.intent.secret_commitment) {
            return Err(DrawError::SecretMismatch);
        }
        if contributions.len() > MAX_CONTRIBUTIONS {
            return Err(DrawError::TooManyContributions(contributions.len()));
        }
        let parts: Vec<&[u8]> = contributions.iter().map(Contribution::as_bytes).collect();
        let seed = algorithm::seed(suite, secret.expose(), &self.intent_hash, &parts);
        let shapes: Vec<(u32, u32, &[DrawToken])> = self
            .intent
            .strata
            .iter()
            .zip(&self.eligible)
            .map(|(stratum, set)| (stratum.k, stratum.m, set.tokens()))
            .collect();
        Ok(DrawOutcome {
            seed,
            strata: algorithm::select(suite, &seed, &shapes),
        })
    }
}

/// The seed and, per stratum in request order, the drawn and reserve tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawOutcome {
    pub(crate) seed: [u8; 32],
    pub strata: Vec<StratumResult>,
}

/// One stratum as published: its intent plus the eligible tokens behind the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordStratum {
    pub(crate) prefixes: Vec<String>,
    pub(crate) k: u32,
    pub(crate) m: u32,
    pub(crate) eligible_count: u64,
    #[serde(with = "hex32")]
    pub(crate) eligible_root: Hash,
    pub tokens: Vec<DrawToken>,
    /// v3: as in the intent. Absent in v1 and v2.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub regions_exclude: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub regions_require: Option<Vec<String>>,
    /// v3, venue-bound strata only (spec §5a): the venue, its county and its scope.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_region: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_scope: Option<String>,
    /// v3, strata whose sub-venue is chosen at random only (spec §5, §7a): the venues it is
    /// chosen from, by venue id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub venue_candidates: Option<Vec<VenueCandidate>>,
}

/// Everything needed to check a draw offline, as claimed by whoever publishes it (spec §9).
/// Parsing checks only the shape; [`verify`] recomputes everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRecord {
    pub(crate) algorithm: String,
    /// As in the intent.
    #[serde(
        default = "crate::crypto::suite::international",
        skip_serializing_if = "crate::crypto::suite::is_international"
    )]
    pub suite: Suite,
    pub draw_id: String,
    pub pool_snapshot: String,
    #[serde(with = "hex32")]
    pub filter_sha256: [u8; 32],
    pub min_multiple: u32,
    #[serde(with = "hex32")]
    pub(crate) secret_commitment: [u8; 32],
    pub strata: Vec<RecordStratum>,
    #[serde(with = "hex32")]
    pub intent_hash: Hash,
    #[serde(with = "hex_list")]
    pub contributions: Vec<Vec<u8>>,
    #[serde(with = "hex32")]
    pub(crate) secret: [u8; 32],
    #[serde(with = "hex32")]
    pub(crate) seed: [u8; 32],
    pub result: Vec<StratumResult>,
    /// v2: as in the intent. Absent in v1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "present::serialize_hex32",
        deserialize_with = "present::hex32"
    )]
    pub tender_sha256: Option<[u8; 32]>,
    /// v2, linked draws only: as in the intent, with the excluded tokens themselves.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present::value"
    )]
    pub family: Option<RecordFamily>,
}

impl VerificationRecord {
    /// The record of an executed plan, with `s` revealed.
    pub fn new(
        plan: &DrawPlan,
        secret: &ServerSecret,
        contributions: &[Contribution],
        outcome: &DrawOutcome,
    ) -> Self {
        let intent = &plan.intent;
        Self {
            algorithm: intent.algorithm.clone(),
            suite: intent.suite,
            draw_id: intent.draw_id.clone(),
            pool_snapshot: intent.pool_snapshot.clone(),
            filter_sha256: intent.filter_sha256,
            min_multiple: intent.min_multiple,
            secret_commitment: intent.secret_commitment,
            strata: intent
                .strata
                .iter()
                .zip(&plan.eligible)
                .map(|(stratum, set)| RecordStratum {
                    prefixes: stratum.prefixes.clone(),
                    k: stratum.k,
                    m: stratum.m,
                    eligible_count: stratum.eligible_count,
                    eligible_root: stratum.eligible_root,
                    tokens: set.tokens().to_vec(),
                    regions_exclude: stratum.regions_exclude.clone(),
                    regions_require: stratum.regions_require.clone(),
                    venue_id: stratum.venue_id.clone(),
                    venue_region: stratum.venue_region.clone(),
                    venue_scope: stratum.venue_scope.clone(),
                    venue_candidates: stratum.venue_candidates.clone(),
                })
                .collect(),
            intent_hash: plan.intent_hash,
            contributions: contributions.iter().map(|c| c.0.clone()).collect(),
            secret: *secret.expose(),
            seed: outcome.seed,
            result: outcome.strata.clone(),
            tender_sha256: intent.tender_sha256,
            family: intent.family.as_ref().map(|family| RecordFamily {
                root_draw_id: family.root_draw_id.clone(),
                root_intent_hash: family.root_intent_hash,
                root_stratum: family.root_stratum,
                vacated_draw_id: family.vacated_draw_id.clone(),
                vacated_token: family.vacated_token,
                excluded_count: family.excluded_count,
                excluded_root: family.excluded_root,
                excluded: plan.excluded.clone(),
            }),
        }
    }

    /// Writes each chosen-at-random stratum's venue into the result (spec §7a):
    /// `accepted[i]` lists the candidates of stratum `i` whose centers accepted before the
    /// result (ignored for a stratum without candidates). Refused when such a stratum has
    /// none: the server executes only once one has.
    pub(crate) fn choose_venues(&mut self, accepted: &[Vec<String>]) -> Result<(), DrawError> {
        for (i, (stratum, result)) in self.strata.iter().zip(&mut self.result).enumerate() {
            let Some(candidates) = &stratum.venue_candidates else {
                continue;
            };
            let mut yes: Vec<String> = accepted
                .get(i)
                .into_iter()
                .flatten()
                .filter(|id| candidates.iter().any(|c| &c.venue_id == *id))
                .cloned()
                .collect();
            yes.sort_unstable();
            yes.dedup();
            let chosen = algorithm::chosen_venue(
                self.suite,
                &self.seed,
                i as u64,
                candidates.iter().map(|c| c.venue_id.as_str()),
                &yes,
            )
            .ok_or(DrawError::NoVenueAccepted(i))?;
            result.venue_accepted = Some(yes);
            result.venue_id = Some(chosen);
        }
        Ok(())
    }

    /// Stage 1 of spec §9 (the shape walk), then the typed record.
    #[cfg(test)]
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        shape::check(bytes, &shape::RECORD)?;
        from_shaped_json(bytes)
    }

    /// The intent this record claims, rebuilt from its fields.
    pub fn intent(&self) -> DrawIntent {
        DrawIntent {
            algorithm: self.algorithm.clone(),
            suite: self.suite,
            draw_id: self.draw_id.clone(),
            pool_snapshot: self.pool_snapshot.clone(),
            filter_sha256: self.filter_sha256,
            min_multiple: self.min_multiple,
            secret_commitment: self.secret_commitment,
            strata: self
                .strata
                .iter()
                .map(|s| StratumIntent {
                    prefixes: s.prefixes.clone(),
                    k: s.k,
                    m: s.m,
                    eligible_count: s.eligible_count,
                    eligible_root: s.eligible_root,
                    regions_exclude: s.regions_exclude.clone(),
                    regions_require: s.regions_require.clone(),
                    venue_id: s.venue_id.clone(),
                    venue_region: s.venue_region.clone(),
                    venue_scope: s.venue_scope.clone(),
                    venue_candidates: s.venue_candidates.clone(),
                })
                .collect(),
            tender_sha256: self.tender_sha256,
            family: self.family.as_ref().map(RecordFamily::link),
        }
    }
}

/// A document that passed its shape walk, as its typed value. Every type the walk accepts is
/// one the types read, so a failure here is a gap between the two, reported at `$`.
pub(crate) fn from_shaped_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, VerifyError> {
    serde_json::from_slice(bytes).map_err(|error| VerifyError::malformed("$", error.to_string()))
}

/// The first thing in a record that is wrong, named by its JSON path (spec §9 lists the order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("MALFORMED {field}: {detail}")]
    Malformed { field: String, detail: String },
    #[error("MISMATCH {field}: {detail}")]
    Mismatch { field: String, detail: String },
}

impl VerifyError {
    /// The same failure with its field as a path inside `prefix` (`$` becomes `prefix`).
    pub(crate) fn within(self, prefix: &str) -> Self {
        let nest = |field: String| {
            if field == "$" {
                prefix.to_owned()
            } else if field.starts_with('[') {
                format!("{prefix}{field}")
            } else {
                format!("{prefix}.{field}")
            }
        };
        match self {
            Self::Malformed { field, detail } => Self::Malformed {
                field: nest(field),
                detail,
            },
            Self::Mismatch { field, detail } => Self::Mismatch {
                field: nest(field),
                detail,
            },
        }
    }

    pub fn field(&self) -> &str {
        match self {
            Self::Malformed { field, .. } | Self::Mismatch { field, .. } => field,
        }
    }

    pub(crate) fn malformed(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Malformed {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn mismatch(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Mismatch {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Recomputes everything a record claims, in the spec's order, and names the first mismatch.
/// On success returns the recomputed outcome (equal to the claimed one).
pub fn verify(record: &VerificationRecord) -> Result<DrawOutcome, VerifyError> {
    match (record.algorithm.as_str(), &record.tender_sha256) {
        (ALGORITHM_V1, None) if record.family.is_none() => {}
        (ALGORITHM_V1, Some(_)) => {
            return Err(VerifyError::malformed(
                "tender_sha256",
                "a sealdraw-draw-v1 record has no tender_sha256",
            ));
        }
        (ALGORITHM_V1, None) => {
            return Err(VerifyError::malformed(
                "family",
                "a sealdraw-draw-v1 record has no family",
            ));
        }
        (ALGORITHM_ID | ALGORITHM_V2, Some(_)) => {}
        (ALGORITHM_ID | ALGORITHM_V2, None) => {
            return Err(VerifyError::malformed(
                "tender_sha256",
                format!("a {} record needs tender_sha256", record.algorithm),
            ));
        }
        _ => {
            return Err(VerifyError::mismatch(
                "algorithm",
                format!("expected {ALGORITHM_ID:?}, {ALGORITHM_V2:?} or {ALGORITHM_V1:?}"),
            ));
        }
    }
    // A v3 stratum names its region rule; an older one cannot (its intent did not commit one).
    let v3 = record.algorithm == ALGORITHM_ID;
    for (i, stratum) in record.strata.iter().enumerate() {
        for (name, list) in [
            ("regions_exclude", &stratum.regions_exclude),
            ("regions_require", &stratum.regions_require),
        ] {
            if list.is_some() != v3 {
                return Err(VerifyError::malformed(
                    format!("strata[{i}].{name}"),
                    if v3 {
                        format!("a {ALGORITHM_ID} stratum needs {name}")
                    } else {
                        format!("a {} stratum has no {name}", record.algorithm)
                    },
                ));
            }
        }
        // A venue is committed whole or not at all, and only by a v3 stratum (spec §5a).
        let venue = [
            ("venue_id", &stratum.venue_id),
            ("venue_region", &stratum.venue_region),
            ("venue_scope", &stratum.venue_scope),
        ];
        let named = venue.iter().filter(|(_, v)| v.is_some()).count();
        if let Some((name, _)) = venue
            .iter()
            .find(|(_, v)| named > 0 && (v.is_none() || !v3))
        {
            return Err(VerifyError::malformed(
                format!("strata[{i}].{name}"),
                if v3 {
                    "a venue names venue_id, venue_region and venue_scope together".to_owned()
                } else {
                    format!("a {} stratum has no venue", record.algorithm)
                },
            ));
        }
        if stratum.venue_candidates.is_some() && (!v3 || named > 0) {
            return Err(VerifyError::malformed(
                format!("strata[{i}].venue_candidates"),
                if v3 {
                    "a stratum names its venue or candidates to choose one from, not both"
                        .to_owned()
                } else {
                    format!("a {} stratum has no venue candidates", record.algorithm)
                },
            ));
        }
    }
    if record.draw_id.is_empty() || record.draw_id.len() > MAX_DRAW_ID_LEN {
        return Err(VerifyError::malformed(
            "draw_id",
            format!("must be 1 to {MAX_DRAW_ID_LEN} bytes"),
        ));
    }
    if record.min_multiple == 0 {
        return Err(VerifyError::malformed("min_multiple", "must be at least 1"));
    }
    if record.strata.is_empty() || record.strata.len() > MAX_STRATA {
        return Err(VerifyError::malformed(
            "strata",
            format!("must hold 1 to {MAX_STRATA} strata"),
        ));
    }
    for (i, stratum) in record.strata.iter().enumerate() {
        if stratum.k == 0 {
            return Err(VerifyError::malformed(
                format!("strata[{i}].k"),
                "must be at least 1",
            ));
        }
        if stratum.prefixes.is_empty()
            || stratum.prefixes.len() > MAX_PREFIXES
            || stratum
                .prefixes
                .iter()
                .any(|p| p.is_empty() || p.len() > MAX_PREFIX_LEN)
            || stratum.prefixes.windows(2).any(|p| p[0] >= p[1])
        {
            return Err(VerifyError::malformed(
                format!("strata[{i}].prefixes"),
                format!(
                    "must be 1 to {MAX_PREFIXES} strings of 1 to {MAX_PREFIX_LEN} bytes in \
                     strictly ascending order"
                ),
            ));
        }
        if let Some(at) = stratum.tokens.windows(2).position(|p| p[0] >= p[1]) {
            return Err(VerifyError::malformed(
                format!("strata[{i}].tokens[{}]", at + 1),
                "tokens must be in strictly ascending byte order",
            ));
        }
        let count = stratum.tokens.len() as u64;
        if stratum.eligible_count != count {
            return Err(VerifyError::mismatch(
                format!("strata[{i}].eligible_count"),
                format!("claims {}, tokens list {count}", stratum.eligible_count),
            ));
        }
        if algorithm::eligible_root(record.suite, &stratum.tokens) != stratum.eligible_root {
            return Err(VerifyError::mismatch(
                format!("strata[{i}].eligible_root"),
                "is not the Merkle root of the tokens",
            ));
        }
        for (name, list) in [
            ("regions_exclude", &stratum.regions_exclude),
            ("regions_require", &stratum.regions_require),
        ] {
            if let Some(problem) = list.as_deref().and_then(region_list_problem) {
                return Err(VerifyError::malformed(
                    format!("strata[{i}].{name}"),
                    problem,
                ));
            }
        }
        if let (Some(venue_id), Some(region_code), Some(scope)) = (
            &stratum.venue_id,
            &stratum.venue_region,
            &stratum.venue_scope,
        ) {
            let venue = StratumVenue {
                venue_id: venue_id.clone(),
                region_code: region_code.clone(),
                scope: scope.clone(),
            };
            let require = stratum.regions_require.as_deref().unwrap_or_default();
            if let Some((name, problem)) = venue_problem(&venue, require) {
                return Err(VerifyError::malformed(
                    format!("strata[{i}].{name}"),
                    problem,
                ));
            }
        }
        if let Some(candidates) = &stratum.venue_candidates {
            let exclude = stratum.regions_exclude.as_deref().unwrap_or_default();
            let require = stratum.regions_require.as_deref().unwrap_or_default();
            if let Some((name, problem)) = candidates_problem(candidates, exclude, require) {
                return Err(VerifyError::malformed(
                    format!("strata[{i}].{name}"),
                    problem,
                ));
            }
        }
    }
    if let Some(family) = &record.family {
        verify_family_exclusion(record, family)?;
    }
    let shapes: Vec<(u32, u32, &[DrawToken])> = record
        .strata
        .iter()
        .map(|s| (s.k, s.m, s.tokens.as_slice()))
        .collect();
    if let Err(refusal) = algorithm::check_strata(record.min_multiple, &shapes) {
        let stratum = match &refusal {
            StratumRefusal::BelowMinimum { stratum, .. }
            | StratumRefusal::MayRunShort { stratum, .. } => *stratum,
        };
        return Err(VerifyError::mismatch(
            format!("strata[{stratum}]"),
            refusal.to_string(),
        ));
    }
    if algorithm::secret_commitment(record.suite, &record.secret) != record.secret_commitment {
        return Err(VerifyError::mismatch(
            "secret_commitment",
            "is not H(secret)",
        ));
    }
    let intent_hash = record
        .intent()
        .hash()
        .map_err(|error| VerifyError::malformed("$", error.to_string()))?;
    if intent_hash != record.intent_hash {
        return Err(VerifyError::mismatch(
            "intent_hash",
            format!("recomputed {}", hex::encode(intent_hash)),
        ));
    }
    if record.contributions.len() > MAX_CONTRIBUTIONS {
        return Err(VerifyError::malformed(
            "contributions",
            format!("more than {MAX_CONTRIBUTIONS}"),
        ));
    }
    if let Some(i) = record
        .contributions
        .iter()
        .position(|c| c.is_empty() || c.len() > MAX_CONTRIBUTION_LEN)
    {
        return Err(VerifyError::malformed(
            format!("contributions[{i}]"),
            format!("must be 1 to {MAX_CONTRIBUTION_LEN} bytes"),
        ));
    }
    let parts: Vec<&[u8]> = record.contributions.iter().map(Vec::as_slice).collect();
    let seed = algorithm::seed(record.suite, &record.secret, &intent_hash, &parts);
    if seed != record.seed {
        return Err(VerifyError::mismatch(
            "seed",
            format!("recomputed {}", hex::encode(seed)),
        ));
    }
    let strata = algorithm::select(record.suite, &seed, &shapes);
    if record.result.len() != strata.len() {
        return Err(VerifyError::mismatch(
            "result",
            format!(
                "{} strata in result, {} drawn",
                record.result.len(),
                strata.len()
            ),
        ));
    }
    for (i, (claimed, expected)) in record.result.iter().zip(&strata).enumerate() {
        compare_list(
            &format!("result[{i}].drawn"),
            &claimed.drawn,
            &expected.drawn,
        )?;
        compare_list(
            &format!("result[{i}].reserves"),
            &claimed.reserves,
            &expected.reserves,
        )?;
        verify_venue_choice(record.suite, i, &record.strata[i], claimed, &seed)?;
    }
    // The venue choices were checked against the seed above; the outcome carries them.
    let strata = strata
        .into_iter()
        .zip(&record.result)
        .map(|(expected, claimed)| StratumResult {
            venue_accepted: claimed.venue_accepted.clone(),
            venue_id: claimed.venue_id.clone(),
            ..expected
        })
        .collect();
    Ok(DrawOutcome { seed, strata })
}

/// Check 14 of spec §9 for stratum `i`: a stratum with candidate venues lists those whose
/// centers accepted and the venue chosen among them by §7a; no other stratum lists either.
fn verify_venue_choice(
    suite: Suite,
    i: usize,
    stratum: &RecordStratum,
    claimed: &StratumResult,
    seed: &[u8; 32],
) -> Result<(), VerifyError> {
    let Some(candidates) = &stratum.venue_candidates else {
        if claimed.venue_accepted.is_some() {
            return Err(VerifyError::malformed(
                format!("result[{i}].venue_accepted"),
                "only a stratum with venue_candidates chooses a venue",
            ));
        }
        if claimed.venue_id.is_some() {
            return Err(VerifyError::malformed(
                format!("result[{i}].venue_id"),
                "only a stratum with venue_candidates chooses a venue",
            ));
        }
        return Ok(());
    };
    let Some(accepted) = &claimed.venue_accepted else {
        return Err(VerifyError::malformed(
            format!("result[{i}].venue_accepted"),
            "a stratum with venue_candidates lists those that accepted",
        ));
    };
    let Some(venue_id) = &claimed.venue_id else {
        return Err(VerifyError::malformed(
            format!("result[{i}].venue_id"),
            "a stratum with venue_candidates names the venue chosen",
        ));
    };
    if accepted.is_empty() {
        return Err(VerifyError::malformed(
            format!("result[{i}].venue_accepted"),
            "at least one candidate accepted before the draw executed",
        ));
    }
    for (j, id) in accepted.iter().enumerate() {
        if j > 0 && accepted[j - 1].as_bytes() >= id.as_bytes() {
            return Err(VerifyError::malformed(
                format!("result[{i}].venue_accepted[{j}]"),
                "must be in strictly ascending order",
            ));
        }
        if !candidates.iter().any(|c| &c.venue_id == id) {
            return Err(VerifyError::malformed(
                format!("result[{i}].venue_accepted[{j}]"),
                "is not one of the stratum's venue_candidates",
            ));
        }
    }
    let expected = algorithm::chosen_venue(
        suite,
        seed,
        i as u64,
        candidates.iter().map(|c| c.venue_id.as_str()),
        accepted,
    );
    if expected.as_deref() != Some(venue_id.as_str()) {
        return Err(VerifyError::mismatch(
            format!("result[{i}].venue_id"),
            format!("recomputed {}", expected.unwrap_or_default()),
        ));
    }
    Ok(())
}

/// Check 5 of spec §9 for a linked draw: the excluded tokens are well formed, are what the
/// intent committed to, and none of them is eligible in any stratum.
fn verify_family_exclusion(
    record: &VerificationRecord,
    family: &RecordFamily,
) -> Result<(), VerifyError> {
    if let Some(at) = family.excluded.windows(2).position(|p| p[0] >= p[1]) {
        return Err(VerifyError::malformed(
            format!("family.excluded[{}]", at + 1),
            "tokens must be in strictly ascending byte order",
        ));
    }
    let count = family.excluded.len() as u64;
    if family.excluded_count != count {
        return Err(VerifyError::mismatch(
            "family.excluded_count",
            format!("claims {}, excluded lists {count}", family.excluded_count),
        ));
    }
    if algorithm::eligible_root(record.suite, &family.excluded) != family.excluded_root {
        return Err(VerifyError::mismatch(
            "family.excluded_root",
            "is not the Merkle root of the excluded tokens",
        ));
    }
    for (i, stratum) in record.strata.iter().enumerate() {
        if let Some(j) = stratum
            .tokens
            .iter()
            .position(|t| family.excluded.binary_search(t).is_ok())
        {
            return Err(VerifyError::mismatch(
                format!("strata[{i}].tokens[{j}]"),
                "is one of the family's excluded tokens",
            ));
        }
    }
    Ok(())
}

fn compare_list(
    field: &str,
    claimed: &[DrawToken],
    expected: &[DrawToken],
) -> Result<(), VerifyError> {
    if let Some(at) = claimed.iter().zip(expected).position(|(c, e)| c != e) {
        return Err(VerifyError::mismatch(
            format!("{field}[{at}]"),
            format!("recomputed {}", expected[at].to_hex()),
        ));
    }
    if claimed.len() != expected.len() {
        return Err(VerifyError::mismatch(
            field,
            format!("{} tokens, recomputed {}", claimed.len(), expected.len()),
        ));
    }
    Ok(())
}

/// `[u8; 32]` as 64 lowercase hex digits.
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(
        bytes: &[u8; 32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut out = [0u8; 32];
        super::decode_lower_hex(&text, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

/// Optional fields that are either absent or a value, never `null`: a v2 field spelled `null`
/// would otherwise read as absent and a record would have two spellings.
mod present {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize_hex32<S: Serializer>(
        bytes: &Option<[u8; 32]>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::hex32::serialize(bytes, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn hex32<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<[u8; 32]>, D::Error> {
        super::hex32::deserialize(deserializer).map(Some)
    }

    pub(super) fn value<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }
}

/// [`present::value`] for the result's optional members, which `algorithm` declares.
pub(crate) fn present_value<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    present::value(deserializer)
}

/// A list of byte strings, each as lowercase hex.
mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub(super) fn serialize<S: Serializer>(
        items: &[Vec<u8>],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&hex::encode(item))?;
        }
        seq.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| {
                let mut out = vec![0u8; text.len() / 2];
                super::decode_lower_hex(text, &mut out).map(|()| out)
            })
            .collect::<Result<_, _>>()
            .map_err(D::Error::custom)
    }
}

/// Lowercase hex only, so every byte string has exactly one spelling in a record.
fn decode_lower_hex(text: &str, out: &mut [u8]) -> Result<(), String> {
    if text.len() != out.len() * 2 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!("expected {} lowercase hex digits", out.len() * 2));
    }
    hex::decode_to_slice(text, out).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests;
