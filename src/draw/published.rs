//! The published draw record (`docs/DRAW-SPEC.md` §9a): the verification record of §9 plus
//! tlog-proofs that put the draw's intent, result and replacements in the audit log, in that
//! order. The §9 record alone shows the ranking was computed honestly from its inputs; the
//! proofs show the intent was committed before the result, and that replacements followed the
//! reserves, so a verifier holding only the log's public key can check the whole draw offline.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DrawIntent, VerificationRecord, VerifyError};
use crate::audit::entry::{Actor, AuditEntry, canonical_json};
use crate::audit::merkle;
use crate::audit::note::NoteVerifier;
use crate::audit::proof::{LogTrust, TlogProof};
use crate::clock::Millis;
use crate::crypto::Suite;

/// The `format` every published record names.
pub(crate) const PUBLISHED_FORMAT: &str = "sealdraw-draw-record-v1";
/// Audit entry types of a draw's life (the `type` of each entry).
pub(crate) const INTENT_ENTRY: &str = "draw.intent";
pub(crate) const RESULT_ENTRY: &str = "draw.result";
/// An unexecuted root draw made void because a sub-venue refused (issue 15): no result follows.
pub(crate) const VOID_ENTRY: &str = "draw.voided";
/// A supervisor approved cancelling a tender's evaluation (issue 16 §4); `data.retender`
/// says whether the tender is tendered again, which lets one new root draw follow.
pub(crate) const CANCELLED_ENTRY: &str = "draw.cancelled";
pub(crate) const REPLACEMENT_ENTRY: &str = "draw.replacement";
pub const CONTRIBUTION_ENTRY: &str = "draw.contribution";
pub const LINK_REFUSED_ENTRY: &str = "draw.link_refused";

/// What `GET /api/v1/draws/{id}/record` returns. Each proof is a c2sp.org/tlog-proof text
/// whose extra data is the exact canonical bytes of the audit entry it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedRecord {
    pub(crate) format: String,
    pub draw: VerificationRecord,
    pub(crate) intent_proof: String,
    pub(crate) result_proof: String,
    /// One per `draw.replacement` entry, in log order.
    pub(crate) replacement_proofs: Vec<String>,
}

impl PublishedRecord {
    pub fn new(
        draw: VerificationRecord,
        intent_proof: String,
        result_proof: String,
        replacement_proofs: Vec<String>,
    ) -> Self {
        Self {
            format: PUBLISHED_FORMAT.to_owned(),
            draw,
            intent_proof,
            result_proof,
            replacement_proofs,
        }
    }

    /// Parses the shape only (spec §9's stage 1), naming a malformed field by its JSON path
    /// (e.g. `draw.strata[0].tokens[2]`); [`verify_published`] checks everything else.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        super::shape::check(bytes, &super::shape::PUBLISHED_V1)?;
        super::from_shaped_json(bytes)
    }
}

/// A published record of either format, told apart by its `format` field: what
/// `GET /api/v1/draws/{id}/record` answers and `sealdraw draw verify` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum AnyRecord {
    /// A draw made before families were chained (spec §9a).
    V1(Box<PublishedRecord>),
    /// A draw family (spec §9b).
    Family(family::FamilyRecord),
}

impl AnyRecord {
    /// Parses the shape of whichever format the record names.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        #[derive(Deserialize)]
        struct Format {
            format: Option<Value>,
        }
        let format = serde_json::from_slice::<Format>(bytes)
            .ok()
            .and_then(|f| f.format);
        match format {
            Some(Value::String(name)) if name == family::FAMILY_FORMAT => {
                family::FamilyRecord::from_json(bytes).map(Self::Family)
            }
            _ => PublishedRecord::from_json(bytes).map(|record| Self::V1(Box::new(record))),
        }
    }

    /// Verifies the record; on success, the one line a verifier prints.
    pub(crate) fn verify(&self, verifiers: &[NoteVerifier]) -> Result<String, VerifyError> {
        match self {
            Self::V1(record) => verify_published(record, verifiers).map(|s| s.to_string()),
            Self::Family(record) => family::verify_family(record, verifiers).map(|s| s.to_string()),
        }
    }
}

/// The `draw.intent` entry: logged before any contribution is accepted.
pub fn intent_entry(intent: &DrawIntent, time: Millis, actor: Actor) -> AuditEntry {
    AuditEntry::new(INTENT_ENTRY, time, actor)
        .reference("draw", intent.draw_id.clone())
        .data("intent", intent)
}

/// The `draw.result` entry: the revealed secret, the contributions, the seed and the result,
/// exactly as the verification record spells them.
pub fn result_entry(record: &VerificationRecord, time: Millis, actor: Actor) -> AuditEntry {
    AuditEntry::new(RESULT_ENTRY, time, actor)
        .reference("draw", record.draw_id.clone())
        .data("intent_hash", hex::encode(record.intent_hash))
        .data(
            "contributions",
            record
                .contributions
                .iter()
                .map(hex::encode)
                .collect::<Vec<_>>(),
        )
        .data("secret", hex::encode(record.secret))
        .data("seed", hex::encode(record.seed))
        .data("result", &record.result)
}

/// A `draw.replacement` entry: `replaced` leaves stratum `stratum` (0-based) for `reason`, and
/// `successor` (the next unused reserve in rank order, or `None` once the reserves are used up)
/// takes the seat.
pub fn replacement_entry(
    draw_id: &str,
    stratum: usize,
    replaced: &super::DrawToken,
    reason: &str,
    successor: Option<&super::DrawToken>,
    time: Millis,
    actor: Actor,
) -> AuditEntry {
    AuditEntry::new(REPLACEMENT_ENTRY, time, actor)
        .reference("draw", draw_id)
        .data("stratum", stratum)
        .data("replaced", replaced)
        .data("reason", reason)
        .data("successor", successor)
}

/// What a verified published record shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublishedSummary {
    pub draw_id: String,
    pub strata: usize,
    /// Drawn experts over all strata (before replacements).
    pub drawn: usize,
    pub(crate) replacements: usize,
    pub(crate) intent_index: u64,
    pub(crate) result_index: u64,
    /// The largest tree size among the proofs' checkpoints.
    pub checkpoint_size: u64,
}

impl std::fmt::Display for PublishedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OK draw {}: {} strata, {} drawn, {} replacements, log entries {},{} under checkpoint size {}",
            self.draw_id,
            self.strata,
            self.drawn,
            self.replacements,
            self.intent_index,
            self.result_index,
            self.checkpoint_size
        )
    }
}

/// Verifies a published record against the log's verifier keys, in the order of spec §9a, and
/// names the first failure. The keys are the log's (named after its origin, so the first key's
/// name is the origin every checkpoint must carry); several are given during a key rotation.
pub(crate) fn verify_published(
    record: &PublishedRecord,
    verifiers: &[NoteVerifier],
) -> Result<PublishedSummary, VerifyError> {
    if record.format != PUBLISHED_FORMAT {
        return Err(VerifyError::mismatch(
            "format",
            format!("expected {PUBLISHED_FORMAT:?}"),
        ));
    }
    // A v2 draw is published only in its family's record, whose chain proves it complete;
    // wrapped in this format it would escape that check.
    if record.draw.algorithm != super::ALGORITHM_V1 {
        return Err(VerifyError::mismatch(
            "draw.algorithm",
            format!(
                "a {PUBLISHED_FORMAT} record holds a {:?} draw; later draws are published \
                 as {}",
                super::ALGORITHM_V1,
                family::FAMILY_FORMAT
            ),
        ));
    }
    super::verify(&record.draw).map_err(|error| error.within("draw"))?;

    let trust = log_trust(verifiers);
    check_suite("draw.suite", record.draw.suite, log_suite(&trust)?)?;
    let intent = open_entry("intent_proof".to_owned(), &record.intent_proof, &trust)?;
    let result = open_entry("result_proof".to_owned(), &record.result_proof, &trust)?;
    let replacements = record
        .replacement_proofs
        .iter()
        .enumerate()
        .map(|(i, text)| open_entry(format!("replacement_proofs[{i}]"), text, &trust))
        .collect::<Result<Vec<_>, _>>()?;

    let draw = &record.draw;
    check_intent(&intent, draw)?;
    check_result(&result, &intent, draw)?;
    check_replacements(&replacements, &result, draw)?;

    let checkpoint_size = std::iter::once(&intent)
        .chain([&result])
        .chain(&replacements)
        .map(|entry| entry.checkpoint_size)
        .max()
        .unwrap_or_default();
    Ok(PublishedSummary {
        draw_id: draw.draw_id.clone(),
        strata: draw.strata.len(),
        drawn: draw.result.iter().map(|s| s.drawn.len()).sum(),
        replacements: replacements.len(),
        intent_index: intent.index,
        result_index: result.index,
        checkpoint_size,
    })
}

/// The log's keys as a verifier trusts them: the first key's name is the origin every
/// checkpoint must carry (spec §9a).
fn log_trust(verifiers: &[NoteVerifier]) -> LogTrust {
    // A key given twice (inline and in a key file) would make the note verifier refuse the
    // keys as ambiguous; it is the same trust, so keep one copy.
    let mut log_keys: Vec<NoteVerifier> = Vec::with_capacity(verifiers.len());
    for key in verifiers {
        if !log_keys.contains(key) {
            log_keys.push(key.clone());
        }
    }
    LogTrust {
        // Without a key no signature can verify, so the empty origin is never compared.
        origin: verifiers
            .first()
            .map(|key| key.name().to_owned())
            .unwrap_or_default(),
        log_keys,
        witnesses: None,
    }
}

/// An audit entry whose inclusion in the log a proof established.
struct LoggedEntry {
    /// The record field holding the proof, named in every failure about this entry.
    field: String,
    index: u64,
    checkpoint_size: u64,
    checkpoint_root: merkle::Hash,
    /// The entry's RFC 6962 leaf hash, which the next entry of a family names.
    leaf: merkle::Hash,
    kind: String,
    actor: Value,
    refs: Map<String, Value>,
    data: Map<String, Value>,
}

impl LoggedEntry {
    fn malformed(&self, detail: impl Into<String>) -> VerifyError {
        VerifyError::malformed(self.field.clone(), detail)
    }

    fn mismatch(&self, detail: impl Into<String>) -> VerifyError {
        VerifyError::mismatch(self.field.clone(), detail)
    }

    /// The checks every draw entry shares: its type, its draw, and that it comes after `after`.
    fn check_header(
        &self,
        kind: &str,
        draw_id: &str,
        after: Option<&LoggedEntry>,
    ) -> Result<(), VerifyError> {
        if self.kind != kind {
            return Err(self.mismatch(format!(
                "the entry's type is {:?}, expected {kind:?}",
                self.kind
            )));
        }
        if self.refs.get("draw").and_then(Value::as_str) != Some(draw_id) {
            return Err(self.mismatch(format!("the entry's refs.draw is not {draw_id:?}")));
        }
        if let Some(earlier) = after
            && self.index <= earlier.index
        {
            return Err(self.mismatch(format!(
                "the entry is at log index {}, not after {} (index {})",
                self.index, earlier.field, earlier.index
            )));
        }
        Ok(())
    }

    fn data_field(&self, name: &str) -> Result<&Value, VerifyError> {
        self.data
            .get(name)
            .ok_or_else(|| self.malformed(format!("the entry has no data.{name}")))
    }
}

/// Step 3 of §9a for one proof: it parses, carries its entry, its checkpoint is signed by a
/// given key, the entry is included under it, and the entry is a canonical JSON audit entry.
fn open_entry(field: String, text: &str, trust: &LogTrust) -> Result<LoggedEntry, VerifyError> {
    let proof = TlogProof::parse(text)
        .map_err(|error| VerifyError::malformed(field.clone(), error.to_string()))?;
    let Some(entry) = &proof.extra else {
        return Err(VerifyError::malformed(
            field,
            "the proof carries no entry (no extra data)",
        ));
    };
    let verified = proof
        .verify_entry(entry, trust)
        .map_err(|error| VerifyError::mismatch(field.clone(), error.to_string()))?;
    let value: Value = serde_json::from_slice(entry).map_err(|error| {
        VerifyError::malformed(field.clone(), format!("the entry is not JSON: {error}"))
    })?;
    // One spelling per entry: a verifier in another language then reads the same values
    // (no duplicate keys, no floats, no alternative escapes) from the bytes the log signed.
    let canonical = canonical_json(&value)
        .map_err(|error| VerifyError::malformed(field.clone(), error.to_string()))?;
    if canonical != *entry {
        return Err(VerifyError::malformed(
            field,
            "the entry is not canonical JSON",
        ));
    }
    let Value::Object(mut object) = value else {
        return Err(VerifyError::malformed(field, "the entry is not an object"));
    };
    let actor = object.remove("actor").unwrap_or(Value::Null);
    let (Some(Value::String(kind)), Some(Value::Object(refs)), Some(Value::Object(data))) = (
        object.remove("type"),
        object.remove("refs"),
        object.remove("data"),
    ) else {
        return Err(VerifyError::malformed(
            field,
            "the entry needs a string type and objects refs and data",
        ));
    };
    let checkpoint = verified.checkpoint().checkpoint();
    Ok(LoggedEntry {
        field,
        index: verified.index(),
        checkpoint_size: checkpoint.size,
        checkpoint_root: checkpoint.root,
        leaf: merkle::leaf_hash(log_suite(trust)?, entry),
        kind,
        actor,
        refs,
        data,
    })
}

/// The suite of the log the keys sign for (told by the keys, never by the record).
fn log_suite(trust: &LogTrust) -> Result<Suite, VerifyError> {
    trust
        .suite()
        .map_err(|error| VerifyError::malformed("log key", error.to_string()))
}

/// A draw is made in its log's suite: a record claiming another was not made by this log.
fn check_suite(field: &str, claimed: Suite, log: Suite) -> Result<(), VerifyError> {
    if claimed == log {
        return Ok(());
    }
    Err(VerifyError::mismatch(
        field,
        format!("the draw claims suite {claimed}, but the log's keys are {log}"),
    ))
}

/// Step 4: the intent entry commits to exactly the record's intent.
fn check_intent(entry: &LoggedEntry, draw: &VerificationRecord) -> Result<(), VerifyError> {
    entry.check_header(INTENT_ENTRY, &draw.draw_id, None)?;
    let logged = entry.data_field("intent")?;
    // The entry as a whole is canonical and within an entry's size, so its part is too.
    let bytes = canonical_json(logged).map_err(|error| entry.malformed(error.to_string()))?;
    if merkle::leaf_hash(draw.suite, &bytes) != draw.intent_hash {
        return Err(entry.mismatch("data.intent is not the intent of draw.intent_hash"));
    }
    Ok(())
}

/// Step 5: the result entry comes after the intent and says what the record says.
fn check_result(
    entry: &LoggedEntry,
    intent: &LoggedEntry,
    draw: &VerificationRecord,
) -> Result<(), VerifyError> {
    entry.check_header(RESULT_ENTRY, &draw.draw_id, Some(intent))?;
    // The record's own JSON spelling, so the comparison is of exactly what both publish.
    let record = serde_json::to_value(draw)
        .map_err(|error| VerifyError::malformed("draw", error.to_string()))?;
    for name in ["intent_hash", "secret", "contributions", "seed", "result"] {
        if entry.data_field(name)? != &record[name] {
            return Err(entry.mismatch(format!("data.{name} differs from draw.{name}")));
        }
    }
    Ok(())
}

/// Step 6: each replacement comes after the previous entry, vacates a seated token, and seats
/// exactly the next unused reserve of its stratum (none only once all are used).
fn check_replacements(
    entries: &[LoggedEntry],
    result: &LoggedEntry,
    draw: &VerificationRecord,
) -> Result<(), VerifyError> {
    let mut seated: Vec<Vec<String>> = draw
        .result
        .iter()
        .map(|s| s.drawn.iter().map(super::DrawToken::to_hex).collect())
        .collect();
    let mut reserves_used = vec![0usize; draw.result.len()];
    let mut previous = result;
    for entry in entries {
        entry.check_header(REPLACEMENT_ENTRY, &draw.draw_id, Some(previous))?;
        let stratum = entry
            .data_field("stratum")?
            .as_u64()
            .ok_or_else(|| entry.malformed("data.stratum is not a non-negative integer"))?;
        let Some(index) = usize::try_from(stratum)
            .ok()
            .filter(|&i| i < draw.result.len())
        else {
            return Err(entry.mismatch(format!(
                "data.stratum {stratum} is not a stratum of the draw ({} strata)",
                draw.result.len()
            )));
        };
        let replaced = entry
            .data_field("replaced")?
            .as_str()
            .ok_or_else(|| entry.malformed("data.replaced is not a string"))?;
        if !entry.data_field("reason")?.is_string() {
            return Err(entry.malformed("data.reason is not a string"));
        }
        let successor = match entry.data_field("successor")? {
            Value::Null => None,
            Value::String(token) => Some(token.as_str()),
            _ => return Err(entry.malformed("data.successor is neither a string nor null")),
        };
        let Some(position) = seated[index].iter().position(|t| t == replaced) else {
            return Err(entry.mismatch(format!(
                "data.replaced {replaced} is not seated in stratum {index}"
            )));
        };
        let next = draw.result[index]
            .reserves
            .get(reserves_used[index])
            .map(super::DrawToken::to_hex);
        match (successor, next) {
            (Some(claimed), Some(next)) if claimed == next => {
                seated[index][position] = next;
                reserves_used[index] += 1;
            }
            (Some(claimed), Some(next)) => {
                return Err(entry.mismatch(format!(
                    "data.successor is {claimed}, the next reserve of stratum {index} is {next}"
                )));
            }
            (Some(claimed), None) => {
                return Err(entry.mismatch(format!(
                    "data.successor is {claimed}, but stratum {index} has no reserves left"
                )));
            }
            (None, Some(next)) => {
                return Err(entry.mismatch(format!(
                    "data.successor is null, but reserve {next} of stratum {index} is unused"
                )));
            }
            (None, None) => {
                seated[index].remove(position);
            }
        }
        previous = entry;
    }
    Ok(())
}

pub mod family;

#[cfg(test)]
mod tests;
