//! The published record of a draw family (`docs/DRAW-SPEC.md` §9b): the root draw and every
//! linked draw made for its vacated seats, with a proof of **every** audit entry the family
//! wrote and a signed statement naming its newest one. Each entry names the one before it, so
//! a verifier holding only the log's public key detects a missing entry anywhere — a dropped
//! replacement, a dropped tail, a contribution nobody can account for — and replays the whole
//! history: who contributed after the intent, why each seat was vacated, which reserve took it,
//! and that each linked draw excluded everyone the family had already drawn or held in reserve.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    CONTRIBUTION_ENTRY, INTENT_ENTRY, LINK_REFUSED_ENTRY, LoggedEntry, REPLACEMENT_ENTRY,
    RESULT_ENTRY, log_trust, open_entry,
};
use crate::audit::merkle::{self, Hash};
use crate::audit::note::{self, NoteVerifier};
use crate::crypto::Suite;
use crate::draw::{
    ALGORITHM_ID, ALGORITHM_V2, DrawIntent, DrawToken, VerificationRecord, VerifyError, algorithm,
    verify,
};
use crate::draw::{ContributorRole, VacancyReason};

/// The `format` a family record names.
pub const FAMILY_FORMAT: &str = "sealdraw-draw-record-v2";
/// The first line of the signed family head. A checkpoint's first line is the log's origin,
/// which can never be this text (the server refuses such an origin), so the log key's two
/// kinds of signed note cannot be taken for each other.
pub(crate) const FAMILY_HEAD_KIND: &str = "sealdraw draw-family head v1";

/// What `GET /api/v1/draws/{id}/record` returns for a draw made since families were chained
/// (any draw of the family answers with the whole family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FamilyRecord {
    pub(crate) format: String,
    pub root_draw_id: String,
    /// The §9 record of every draw of the family whose result is under the head's checkpoint,
    /// the root first, then linked draws in the order of their intents.
    pub draws: Vec<VerificationRecord>,
    /// A c2sp.org/tlog-proof of every entry of the family, in order, all under the head's
    /// checkpoint.
    pub entries: Vec<String>,
    /// A signed note by the log's key (see [`FamilyHead`]).
    pub(crate) head: String,
}

impl FamilyRecord {
    /// Parses the shape only (spec §9's stage 1), naming a malformed field by its JSON path.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        crate::draw::shape::check(bytes, &crate::draw::shape::FAMILY_RECORD)?;
        crate::draw::from_shaped_json(bytes)
    }
}

/// The statement the log signs about a family: as of the tree of `checkpoint_size` leaves with
/// root `checkpoint_root`, the family `root_draw_id` has `entries` entries, the newest at log
/// index `last_index` with leaf hash `last_leaf`. Nothing of the family at an index below the
/// checkpoint's size is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyHead {
    pub origin: String,
    pub root_draw_id: String,
    pub entries: u64,
    pub last_index: u64,
    pub last_leaf: Hash,
    pub checkpoint_size: u64,
    pub checkpoint_root: Hash,
}

impl FamilyHead {
    /// The note text, one field per line, each line ending in a newline (spec §9b).
    pub fn to_text(&self) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        format!(
            "{FAMILY_HEAD_KIND}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.origin,
            self.root_draw_id,
            self.entries,
            self.last_index,
            b64.encode(self.last_leaf),
            self.checkpoint_size,
            b64.encode(self.checkpoint_root)
        )
    }

    /// Parses a note text strictly: exactly the lines of [`Self::to_text`], integers in plain
    /// decimal without leading zeroes, hashes as canonical base64 of 32 bytes.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let body = text
            .strip_suffix('\n')
            .ok_or("the text does not end in a newline")?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [
            kind,
            origin,
            root,
            entries,
            last_index,
            last_leaf,
            size,
            root_hash,
        ] = lines[..]
        else {
            return Err(format!("{} lines, expected 8", lines.len()));
        };
        if kind != FAMILY_HEAD_KIND {
            return Err(format!("the first line is not {FAMILY_HEAD_KIND:?}"));
        }
        if origin.is_empty() || root.is_empty() {
            return Err("an empty origin or draw id".into());
        }
        Ok(Self {
            origin: origin.to_owned(),
            root_draw_id: root.to_owned(),
            entries: decimal(entries)?,
            last_index: decimal(last_index)?,
            last_leaf: hash_b64(last_leaf)?,
            checkpoint_size: decimal(size)?,
            checkpoint_root: hash_b64(root_hash)?,
        })
    }
}

fn decimal(text: &str) -> Result<u64, String> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| format!("{text:?} is not a decimal integer"))
}

fn hash_b64(text: &str) -> Result<Hash, String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| format!("{text:?} is not base64"))?;
    let hash: Hash = bytes
        .try_into()
        .map_err(|_| format!("{text:?} is not 32 bytes"))?;
    // One spelling per value: re-encoding must give the text back.
    if base64::engine::general_purpose::STANDARD.encode(hash) != text {
        return Err(format!("{text:?} is not canonical base64"));
    }
    Ok(hash)
}

/// What a verified family record shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FamilySummary {
    pub root_draw_id: String,
    pub draws: usize,
    pub entries: usize,
    pub(crate) contributions_by_center: usize,
    pub(crate) contributions_by_supervisors: usize,
    pub(crate) replacements: usize,
    /// Seats of the root's strata held now (after replacements and linked draws).
    pub(crate) seats_held: usize,
    pub(crate) seats: usize,
    /// Vacated seats with no reserve left whose linked draw has not been started yet.
    pub(crate) seats_waiting: usize,
    /// A linked draw whose intent is logged and whose result is not (yet).
    pub(crate) draw_awaiting_result: Option<String>,
    pub checkpoint_size: u64,
}

impl std::fmt::Display for FamilySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OK draw family {}: {} draws, {} entries complete under checkpoint size {}, \
             contributions {} by the center and {} by supervisors, {} replacements, \
             {}/{} seats held",
            self.root_draw_id,
            self.draws,
            self.entries,
            self.checkpoint_size,
            self.contributions_by_center,
            self.contributions_by_supervisors,
            self.replacements,
            self.seats_held,
            self.seats
        )?;
        if self.seats_waiting > 0 {
            write!(f, ", {} awaiting a linked draw", self.seats_waiting)?;
        }
        if let Some(draw) = &self.draw_awaiting_result {
            write!(f, ", linked draw {draw} awaiting its result")?;
        }
        Ok(())
    }
}

/// Verifies a family record against the log's verifier keys, in the order of spec §9b, and
/// names the first failure.
pub(crate) fn verify_family(
    record: &FamilyRecord,
    verifiers: &[NoteVerifier],
) -> Result<FamilySummary, VerifyError> {
    if record.format != FAMILY_FORMAT {
        return Err(VerifyError::mismatch(
            "format",
            format!("expected {FAMILY_FORMAT:?}"),
        ));
    }
    let mut records: HashMap<&str, usize> = HashMap::new();
    for (j, draw) in record.draws.iter().enumerate() {
        let field = format!("draws[{j}]");
        verify(draw).map_err(|error| error.within(&field))?;
        // One family, one version: a linked draw follows its root's (v2 or v3).
        let root_algorithm = record.draws[0].algorithm.as_str();
        if ![ALGORITHM_ID, ALGORITHM_V2].contains(&draw.algorithm.as_str())
            || draw.algorithm != root_algorithm
        {
            return Err(VerifyError::mismatch(
                format!("{field}.algorithm"),
                format!(
                    "a family record holds {ALGORITHM_V2:?} or {ALGORITHM_ID:?} draws, all of \
                     the root's version"
                ),
            ));
        }
        let is_root = draw.draw_id == record.root_draw_id;
        if is_root != (j == 0) || is_root == draw.family.is_some() {
            return Err(VerifyError::mismatch(
                format!("{field}.draw_id"),
                "the root draw (no family) comes first, then linked draws (with a family)",
            ));
        }
        if records.insert(&draw.draw_id, j).is_some() {
            return Err(VerifyError::mismatch(
                format!("{field}.draw_id"),
                "the draw is listed twice",
            ));
        }
    }
    if record.draws.is_empty() {
        return Err(VerifyError::malformed(
            "draws",
            "the root draw's record is missing",
        ));
    }

    let trust = log_trust(verifiers);
    let suite = super::log_suite(&trust)?;
    for (i, draw) in record.draws.iter().enumerate() {
        super::check_suite(&format!("draws[{i}].suite"), draw.suite, suite)?;
    }
    let entries = record
        .entries
        .iter()
        .enumerate()
        .map(|(i, text)| open_entry(format!("entries[{i}]"), text, &trust))
        .collect::<Result<Vec<_>, _>>()?;
    let head = open_head(&record.head, verifiers, &trust.origin)?;
    check_head(&head, record, &entries)?;
    check_chain(&entries, &record.root_draw_id)?;

    let mut replay = Replay::new(suite, record, records);
    for entry in &entries {
        replay.apply(entry)?;
    }
    replay.finish(head.checkpoint_size)
}

fn open_head(
    text: &str,
    verifiers: &[NoteVerifier],
    origin: &str,
) -> Result<FamilyHead, VerifyError> {
    let parsed = note::Note::parse(text)
        .map_err(|error| VerifyError::malformed("head", error.to_string()))?;
    let head =
        FamilyHead::parse(&parsed.text).map_err(|detail| VerifyError::malformed("head", detail))?;
    note::open(text, verifiers)
        .map_err(|error| VerifyError::mismatch("head", error.to_string()))?;
    if head.origin != origin {
        return Err(VerifyError::mismatch(
            "head",
            format!("the head names the log {:?}, not {origin:?}", head.origin),
        ));
    }
    Ok(head)
}

/// The head speaks of this family, of exactly these entries, and of the tree every proof
/// is under (one checkpoint for the whole record).
fn check_head(
    head: &FamilyHead,
    record: &FamilyRecord,
    entries: &[LoggedEntry],
) -> Result<(), VerifyError> {
    let mismatch = |detail: String| Err(VerifyError::mismatch("head", detail));
    if head.root_draw_id != record.root_draw_id {
        return mismatch(format!(
            "the head is about family {:?}, the record about {:?}",
            head.root_draw_id, record.root_draw_id
        ));
    }
    if head.entries != entries.len() as u64 {
        return mismatch(format!(
            "the family has {} entries, the record proves {}: entries are missing",
            head.entries,
            entries.len()
        ));
    }
    let Some(last) = entries.last() else {
        return mismatch("the record proves no entry".into());
    };
    if head.last_index != last.index || head.last_leaf != last.leaf {
        return mismatch(format!(
            "the family's newest entry is at index {}, the record's last is at {}",
            head.last_index, last.index
        ));
    }
    for entry in entries {
        if entry.checkpoint_size != head.checkpoint_size
            || entry.checkpoint_root != head.checkpoint_root
        {
            return Err(entry.mismatch(format!(
                "the proof is under the checkpoint of size {}, the head's is {}",
                entry.checkpoint_size, head.checkpoint_size
            )));
        }
    }
    Ok(())
}

/// Each entry names the family, its place in it, and the leaf hash of the one before.
fn check_chain(entries: &[LoggedEntry], root: &str) -> Result<(), VerifyError> {
    let mut previous: Option<&LoggedEntry> = None;
    for (seq, entry) in entries.iter().enumerate() {
        let link = entry
            .data_field("family")?
            .as_object()
            .ok_or_else(|| entry.malformed("data.family is not an object"))?;
        // The members are the shape (MALFORMED); their values, of whatever type, are checked
        // (MISMATCH), as spec §9b check 5 says.
        let (Some(named_root), Some(named_seq), Some(prev), 3) = (
            link.get("root"),
            link.get("seq"),
            link.get("prev"),
            link.len(),
        ) else {
            return Err(entry.malformed("data.family must hold exactly root, seq and prev"));
        };
        if named_root.as_str() != Some(root) {
            return Err(entry.mismatch(format!("data.family.root is not {root:?}")));
        }
        if named_seq.as_u64() != Some(seq as u64) {
            return Err(entry.mismatch(format!(
                "data.family.seq is {named_seq}, the entry is number {seq} of the family: \
                 an entry before it is missing or out of order"
            )));
        }
        match (previous, prev) {
            (None, Value::Null) => {}
            (Some(earlier), Value::String(hex_leaf)) if *hex_leaf == hex::encode(earlier.leaf) => {
                if entry.index <= earlier.index {
                    return Err(entry.mismatch(format!(
                        "the entry is at log index {}, not after the family's previous entry \
                         (index {})",
                        entry.index, earlier.index
                    )));
                }
            }
            (None, _) => return Err(entry.mismatch("data.family.prev of entry 0 must be null")),
            (Some(_), _) => {
                return Err(entry.mismatch(
                    "data.family.prev is not the leaf hash of the family's previous entry",
                ));
            }
        }
        previous = Some(entry);
    }
    Ok(())
}

/// A token field of an entry's data: a token, `null`, or MALFORMED.
fn token_field(entry: &LoggedEntry, name: &str) -> Result<Option<DrawToken>, VerifyError> {
    match entry.data_field(name)? {
        Value::Null => Ok(None),
        Value::String(text) => DrawToken::from_hex(text)
            .map(Some)
            .map_err(|problem| entry.malformed(format!("data.{name}: {problem}"))),
        _ => Err(entry.malformed(format!("data.{name} is neither a string nor null"))),
    }
}

/// Where a seat of one of the root's strata is held: by which draw's stratum and token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    draw: String,
    stratum: usize,
    token: DrawToken,
}

/// The family's state as its entries are replayed in order (spec §9b, step 6).
struct Replay<'a> {
    suite: Suite,
    record: &'a FamilyRecord,
    /// Draw id → its index in `record.draws`.
    records: HashMap<&'a str, usize>,
    /// Draws whose intent has been seen, and whether their result has.
    intents: HashMap<String, bool>,
    /// Per draw: the digest of each contribution logged, in position order.
    contributions: HashMap<String, Vec<String>>,
    by_center: usize,
    by_supervisors: usize,
    /// Per stratum of the root: who holds its seats now.
    seats: Vec<Vec<Holder>>,
    /// Per (draw, stratum): how many of its reserves have taken a seat.
    reserves_used: HashMap<(String, usize), usize>,
    /// Seats vacated with no reserve left: (draw, token, root stratum), awaiting a linked draw.
    vacancies: Vec<(String, DrawToken, usize)>,
    /// Every token the family has drawn or holds in reserve.
    taken: BTreeSet<DrawToken>,
    /// The linked draw whose intent is logged and whose result is not yet.
    awaiting: Option<String>,
    replacements: usize,
}

impl<'a> Replay<'a> {
    fn new(suite: Suite, record: &'a FamilyRecord, records: HashMap<&'a str, usize>) -> Self {
        let root_strata = record.draws[0].strata.len();
        Self {
            suite,
            record,
            records,
            intents: HashMap::new(),
            contributions: HashMap::new(),
            by_center: 0,
            by_supervisors: 0,
            seats: vec![Vec::new(); root_strata],
            reserves_used: HashMap::new(),
            vacancies: Vec::new(),
            taken: BTreeSet::new(),
            awaiting: None,
            replacements: 0,
        }
    }

    fn draw_record(&self, draw_id: &str) -> Option<&'a VerificationRecord> {
        self.records.get(draw_id).map(|&j| &self.record.draws[j])
    }

    fn apply(&mut self, entry: &LoggedEntry) -> Result<(), VerifyError> {
        // Spec §9b check 6: an entry's `refs.draw` and the `data` fields its type reads are
        // read first (a missing or mistyped one is MALFORMED), then checked (MISMATCH).
        let draw_id = entry
            .refs
            .get("draw")
            .and_then(Value::as_str)
            .ok_or_else(|| entry.malformed("the entry has no refs.draw"))?
            .to_owned();
        match entry.kind.as_str() {
            INTENT_ENTRY => {
                let logged = entry.data_field("intent")?;
                let intent: DrawIntent = serde_json::from_value(logged.clone())
                    .map_err(|error| entry.malformed(format!("data.intent: {error}")))?;
                let bytes = crate::audit::entry::canonical_json(logged)
                    .map_err(|error| entry.malformed(error.to_string()))?;
                self.intent(
                    entry,
                    draw_id,
                    intent,
                    merkle::leaf_hash(self.suite, &bytes),
                )
            }
            CONTRIBUTION_ENTRY => {
                let position = entry.data_field("position")?.as_u64().ok_or_else(|| {
                    entry.malformed("data.position is not a non-negative integer")
                })?;
                let role = entry
                    .data_field("role")?
                    .as_str()
                    .ok_or_else(|| entry.malformed("data.role is not a string"))?
                    .to_owned();
                let sha = entry
                    .data_field(&self.suite.digest_field(""))?
                    .as_str()
                    .filter(|text| {
                        text.len() == 64
                            && text
                                .bytes()
                                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    })
                    .ok_or_else(|| entry.malformed("data.sha256 is not 64 lowercase hex digits"))?
                    .to_owned();
                self.contribution(entry, &draw_id, position, &role, sha)
            }
            RESULT_ENTRY => {
                for name in ["intent_hash", "secret", "contributions", "seed", "result"] {
                    entry.data_field(name)?;
                }
                self.result(entry, &draw_id)
            }
            REPLACEMENT_ENTRY => {
                let stratum = entry
                    .data_field("stratum")?
                    .as_u64()
                    .ok_or_else(|| entry.malformed("data.stratum is not a non-negative integer"))?;
                let replaced = token_field(entry, "replaced")?
                    .ok_or_else(|| entry.malformed("data.replaced is null"))?;
                let successor = token_field(entry, "successor")?;
                let reason = entry
                    .data_field("reason")?
                    .as_str()
                    .ok_or_else(|| entry.malformed("data.reason is not a string"))?
                    .to_owned();
                self.replacement(entry, &draw_id, stratum, replaced, successor, &reason)
            }
            LINK_REFUSED_ENTRY => {
                let token = token_field(entry, "token")?
                    .ok_or_else(|| entry.malformed("data.token is null"))?;
                let stratum = entry
                    .data_field("stratum")?
                    .as_u64()
                    .ok_or_else(|| entry.malformed("data.stratum is not a non-negative integer"))?;
                self.link_refused(entry, &draw_id, token, stratum)
            }
            other => Err(entry.mismatch(format!("{other:?} is not an entry of a draw family"))),
        }
    }

    fn intent(
        &mut self,
        entry: &LoggedEntry,
        draw_id: String,
        intent: DrawIntent,
        hash: Hash,
    ) -> Result<(), VerifyError> {
        if intent.draw_id != draw_id || self.intents.contains_key(&draw_id) {
            return Err(entry.mismatch(format!(
                "the intent of draw {draw_id:?} is not its first and only one"
            )));
        }
        let root = &self.record.draws[0];
        if let Some(record) = self.draw_record(&draw_id)
            && record.intent_hash != hash
        {
            return Err(entry.mismatch(format!(
                "data.intent is not the intent of draws[{}].intent_hash",
                self.records[draw_id.as_str()]
            )));
        }
        if intent.algorithm != root.algorithm || intent.tender_sha256 != root.tender_sha256 {
            return Err(entry
                .mismatch("a draw of the family is not a draw of the root's version and tender"));
        }
        if self.intents.is_empty() {
            if draw_id != self.record.root_draw_id || intent.family.is_some() {
                return Err(entry.mismatch("the family's first entry is not its root's intent"));
            }
        } else {
            let family = intent
                .family
                .as_ref()
                .ok_or_else(|| entry.mismatch("a linked draw's intent names no family"))?;
            if family.root_draw_id != self.record.root_draw_id
                || family.root_intent_hash != root.intent_hash
            {
                return Err(entry.mismatch("the linked draw names another root draw"));
            }
            // A linked draw fills one seat: one stratum, one drawn.
            if intent.strata.len() != 1 || intent.strata[0].k != 1 {
                return Err(entry
                    .mismatch("a linked draw's intent must have one stratum drawing one expert"));
            }
            if let Some(waiting) = &self.awaiting {
                return Err(entry.mismatch(format!(
                    "linked draw {waiting:?} had no result yet: one linked draw at a time"
                )));
            }
            let vacancy = (
                family.vacated_draw_id.clone(),
                family.vacated_token,
                family.root_stratum as usize,
            );
            let Some(at) = self.vacancies.iter().position(|v| *v == vacancy) else {
                return Err(entry.mismatch(format!(
                    "the seat it fills ({} in draw {:?}, stratum {}) is not a vacancy awaiting \
                     a linked draw",
                    family.vacated_token.to_hex(),
                    family.vacated_draw_id,
                    family.root_stratum
                )));
            };
            self.vacancies.remove(at);
            let taken: Vec<DrawToken> = self.taken.iter().copied().collect();
            if family.excluded_count != taken.len() as u64
                || family.excluded_root != algorithm::eligible_root(self.suite, &taken)
            {
                return Err(entry.mismatch(format!(
                    "the draw excluded {} tokens, the family had drawn or reserved {}: it did not \
                     exclude exactly the family's tokens",
                    family.excluded_count,
                    taken.len()
                )));
            }
            self.awaiting = Some(draw_id.clone());
        }
        self.intents.insert(draw_id, false);
        Ok(())
    }

    fn contribution(
        &mut self,
        entry: &LoggedEntry,
        draw_id: &str,
        position: u64,
        role: &str,
        sha: String,
    ) -> Result<(), VerifyError> {
        if self.intents.get(draw_id) != Some(&false) {
            return Err(entry.mismatch(format!(
                "a contribution to draw {draw_id:?} outside its window (before its intent or \
                 after its result)"
            )));
        }
        let logged = self.contributions.entry(draw_id.to_owned()).or_default();
        if position != logged.len() as u64 {
            return Err(entry.mismatch(format!(
                "data.position is {position}, but {} contributions came before",
                logged.len()
            )));
        }
        let actor_role = entry.actor.get("role").and_then(Value::as_str);
        if actor_role != Some(role) || entry.actor.get("account").is_none() {
            return Err(entry.mismatch(format!(
                "data.role is {role:?} but the actor is {}",
                entry.actor
            )));
        }
        match ContributorRole::parse(role) {
            Some(ContributorRole::Center) => self.by_center += 1,
            Some(ContributorRole::Supervisor) => self.by_supervisors += 1,
            None => return Err(entry.mismatch(format!("{role:?} may not contribute"))),
        }
        logged.push(sha);
        Ok(())
    }

    fn result(&mut self, entry: &LoggedEntry, draw_id: &str) -> Result<(), VerifyError> {
        if self.intents.get(draw_id) != Some(&false) {
            return Err(entry.mismatch(format!(
                "a result of draw {draw_id:?} without its intent, or a second one"
            )));
        }
        let record = self.draw_record(draw_id).ok_or_else(|| {
            entry.mismatch(format!("the record holds no §9 record of draw {draw_id:?}"))
        })?;
        let as_json = serde_json::to_value(record)
            .map_err(|error| VerifyError::malformed("draws", error.to_string()))?;
        for name in ["intent_hash", "secret", "contributions", "seed", "result"] {
            if entry.data_field(name)? != &as_json[name] {
                return Err(entry.mismatch(format!("data.{name} differs from the draw's record")));
            }
        }
        let logged = self.contributions.remove(draw_id).unwrap_or_default();
        let used: Vec<String> = record
            .contributions
            .iter()
            .map(|c| self.suite.hex_hash(c))
            .collect();
        if logged != used {
            return Err(entry.mismatch(format!(
                "the seed used {} contributions, {} were logged before the result, or their \
                 SHA-256 differ",
                used.len(),
                logged.len()
            )));
        }
        for stratum in &record.result {
            self.taken
                .extend(stratum.drawn.iter().chain(&stratum.reserves));
        }
        match &record.family {
            None => {
                for (s, stratum) in record.result.iter().enumerate() {
                    self.seats[s] = stratum
                        .drawn
                        .iter()
                        .map(|token| Holder {
                            draw: draw_id.to_owned(),
                            stratum: s,
                            token: *token,
                        })
                        .collect();
                }
            }
            Some(family) => {
                let seats = self
                    .seats
                    .get_mut(family.root_stratum as usize)
                    .ok_or_else(|| {
                        entry.mismatch("the linked draw fills no stratum of the root")
                    })?;
                for (s, stratum) in record.result.iter().enumerate() {
                    seats.extend(stratum.drawn.iter().map(|token| Holder {
                        draw: draw_id.to_owned(),
                        stratum: s,
                        token: *token,
                    }));
                }
                self.awaiting = None;
            }
        }
        self.intents.insert(draw_id.to_owned(), true);
        Ok(())
    }

    fn replacement(
        &mut self,
        entry: &LoggedEntry,
        draw_id: &str,
        stratum: u64,
        replaced: DrawToken,
        successor: Option<DrawToken>,
        reason: &str,
    ) -> Result<(), VerifyError> {
        let record = match self.intents.get(draw_id) {
            Some(true) => self.draw_record(draw_id),
            _ => None,
        }
        .ok_or_else(|| {
            entry.mismatch(format!(
                "a replacement in draw {draw_id:?} before its result"
            ))
        })?;
        let Some(stratum) = usize::try_from(stratum)
            .ok()
            .filter(|&s| s < record.result.len())
        else {
            return Err(entry.mismatch(format!(
                "data.stratum {stratum} is not a stratum of draw {draw_id:?}"
            )));
        };
        if VacancyReason::parse(reason).is_none() {
            return Err(entry.mismatch(format!(
                "data.reason {reason:?} is not one of {}",
                VacancyReason::NAMES.join(", ")
            )));
        }
        let root_stratum = match &record.family {
            Some(family) => family.root_stratum as usize,
            None => stratum,
        };
        let holder = Holder {
            draw: draw_id.to_owned(),
            stratum,
            token: replaced,
        };
        let seats = &mut self.seats[root_stratum];
        let Some(at) = seats.iter().position(|h| *h == holder) else {
            return Err(entry.mismatch(format!(
                "data.replaced {} does not hold a seat of stratum {stratum} of draw {draw_id:?}",
                replaced.to_hex()
            )));
        };
        let used = self
            .reserves_used
            .entry((draw_id.to_owned(), stratum))
            .or_default();
        let next = record.result[stratum].reserves.get(*used).copied();
        match (successor, next) {
            (Some(claimed), Some(next)) if claimed == next => {
                seats[at].token = next;
                *used += 1;
            }
            (None, None) => {
                seats.remove(at);
                self.vacancies
                    .push((draw_id.to_owned(), replaced, root_stratum));
            }
            (claimed, next) => {
                return Err(entry.mismatch(format!(
                    "data.successor is {}, the next unused reserve of stratum {stratum} is {}",
                    claimed.map_or("null".into(), |t| t.to_hex()),
                    next.map_or("none".into(), |t| t.to_hex())
                )));
            }
        }
        self.replacements += 1;
        Ok(())
    }

    fn link_refused(
        &mut self,
        entry: &LoggedEntry,
        draw_id: &str,
        token: DrawToken,
        stratum: u64,
    ) -> Result<(), VerifyError> {
        let Some(at) = self
            .vacancies
            .iter()
            .position(|(draw, vacated, root_stratum)| {
                draw == draw_id && *vacated == token && *root_stratum as u64 == stratum
            })
        else {
            return Err(entry.mismatch(
                "the refused link is not a vacancy (draw, token and stratum) awaiting a linked \
                 draw",
            ));
        };
        self.vacancies.remove(at);
        Ok(())
    }

    fn finish(self, checkpoint_size: u64) -> Result<FamilySummary, VerifyError> {
        if let Some((j, draw)) = self
            .record
            .draws
            .iter()
            .enumerate()
            .find(|(_, draw)| self.intents.get(&draw.draw_id) != Some(&true))
        {
            return Err(VerifyError::mismatch(
                format!("draws[{j}]"),
                format!(
                    "draw {:?} has no result entry among the family's entries",
                    draw.draw_id
                ),
            ));
        }
        Ok(FamilySummary {
            root_draw_id: self.record.root_draw_id.clone(),
            draws: self.record.draws.len(),
            entries: self.record.entries.len(),
            contributions_by_center: self.by_center,
            contributions_by_supervisors: self.by_supervisors,
            replacements: self.replacements,
            seats_held: self.seats.iter().map(Vec::len).sum(),
            seats: self.record.draws[0]
                .strata
                .iter()
                .map(|s| s.k as usize)
                .sum(),
            seats_waiting: self.vacancies.len(),
            draw_awaiting_result: self.awaiting,
            checkpoint_size,
        })
    }
}
