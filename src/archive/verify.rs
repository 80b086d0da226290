//! The offline verifier (docs/ARCHIVE.md §9): every check of the specification, in its order,
//! each failure naming the file and the field. It trusts the log's key and the font it is
//! given, nothing in the package.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::package::{
    self, CHECKPOINT, CRLS_DIR, DRAWS_DIR, ENTRIES_DIR, EVENTS, EventsFile, MANIFEST, Manifest,
    PROOFS_DIR, Package, REPORT_JSON, REPORT_PDF, SIGNATURES_DIR, SUBJECT_DRAW, SUBJECT_SESSION,
    SignatureFile, Subject,
};
use super::pdf::{self, FontFile, ReadableReport, SignatureLine};
use crate::audit::checkpoint::open_checkpoint;
use crate::audit::merkle;
use crate::audit::note::NoteVerifier;
use crate::audit::proof::{LogTrust, TlogProof, suite_of};
use crate::crypto::Suite;
use crate::crypto::archived_certificate::{self, ArchivedChainProblem, ArchivedCrl};
use crate::crypto::member_key::{self, MemberPublicKey};

pub(crate) const CLOSED_ENTRY: &str = "session.closed";
pub(crate) const SIGNATURE_ENTRY: &str = "session.signature";

/// The first check that failed: the file, the field within it (empty for the file as a whole)
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub file: String,
    pub field: String,
    pub detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.detail)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.detail)
        }
    }
}

impl std::error::Error for Failure {}

fn fail(file: &str, field: impl Into<String>, detail: impl Into<String>) -> Failure {
    Failure {
        file: file.to_owned(),
        field: field.into(),
        detail: detail.into(),
    }
}

/// What a verified package holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub id: String,
    pub subject: Subject,
    pub signatures: usize,
    pub entries: usize,
    pub checkpoint_size: u64,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subject.session_id {
            Some(session) => write!(
                f,
                "OK archive {}: session {session}, {} signatures, {} entries under checkpoint size {}",
                self.id, self.signatures, self.entries, self.checkpoint_size
            ),
            None => write!(
                f,
                "OK archive {}: draw {}, {} entries under checkpoint size {}",
                self.id, self.subject.draw_id, self.entries, self.checkpoint_size
            ),
        }
    }
}

/// An audit entry of the package, as JSON, with where it is.
struct Entry {
    index: u64,
    value: Value,
}

impl Entry {
    fn path(&self) -> String {
        package::entry_path(self.index)
    }

    fn text(&self, pointer: &str) -> Option<&str> {
        self.value.pointer(pointer).and_then(Value::as_str)
    }
}

/// The key kind whose signature files carry a certificate chain (§5a).
pub(crate) const CERTIFICATE_KIND: &str = "certificate";

/// Verifies `package` against the log's verifier key(s) (the first key's name is the log's
/// origin), the font its readable report was rendered with, and the CA roots (DER) that
/// anchor members' certificate chains: a certificate key's signature verifies only up to one
/// of them, never up to a root the package might hold.
pub fn verify(
    package: &Package,
    log_keys: &[NoteVerifier],
    font: &FontFile,
    ca_roots: &[Vec<u8>],
) -> Result<Verified, Failure> {
    // 1. The manifest.
    let manifest_bytes = package
        .file(MANIFEST)
        .ok_or_else(|| fail(MANIFEST, "", "missing"))?;
    let manifest: Manifest = canonical_file(MANIFEST, manifest_bytes)?;
    if manifest.format != package::FORMAT {
        return Err(fail(
            MANIFEST,
            "format",
            format!("is {:?}, not {:?}", manifest.format, package::FORMAT),
        ));
    }
    let first_key = log_keys
        .first()
        .ok_or_else(|| fail(MANIFEST, "log.origin", "no log key was given to check it"))?;
    if manifest.log.origin != first_key.name() {
        return Err(fail(
            MANIFEST,
            "log.origin",
            format!(
                "is {:?}, but the given key is the log {:?}'s",
                manifest.log.origin,
                first_key.name()
            ),
        ));
    }
    let suite = suite_of(log_keys).map_err(|e| fail(MANIFEST, "log.suite", e.to_string()))?;
    if manifest.log.suite != suite {
        return Err(fail(
            MANIFEST,
            "log.suite",
            format!(
                "is {}, but the given key signs a {suite} log",
                manifest.log.suite
            ),
        ));
    }
    let session_id = match (manifest.subject.kind.as_str(), &manifest.subject.session_id) {
        (SUBJECT_SESSION, Some(id)) => Some(id.clone()),
        (SUBJECT_DRAW, None) => None,
        _ => {
            return Err(fail(
                MANIFEST,
                "subject",
                "must be {\"kind\": \"session\", \"session_id\", \"draw_id\"} or \
                 {\"kind\": \"draw\", \"draw_id\"}",
            ));
        }
    };

    // 2. The files.
    check_files(package, &manifest, session_id.is_some())?;

    // 3. The checkpoint.
    let checkpoint_text = std::str::from_utf8(package.file(CHECKPOINT).unwrap_or_default())
        .map_err(|_| fail(CHECKPOINT, "", "is not UTF-8 text"))?;
    let trust = LogTrust {
        origin: manifest.log.origin.clone(),
        log_keys: log_keys.to_vec(),
        witnesses: None,
    };
    let checkpoint = open_checkpoint(checkpoint_text, &trust.origin, log_keys, None)
        .map_err(|e| fail(CHECKPOINT, "signature", e.to_string()))?;
    if checkpoint.checkpoint().size != manifest.checkpoint_size {
        return Err(fail(
            CHECKPOINT,
            "size",
            format!(
                "is {}, manifest.json checkpoint_size is {}",
                checkpoint.checkpoint().size,
                manifest.checkpoint_size
            ),
        ));
    }

    // 4. The entries and their proofs.
    let entries = check_entries(package, &manifest, checkpoint_text, suite, &trust)?;

    let mut signatures = 0;
    if let Some(session_id) = &session_id {
        // 5. The closing entry and the report.
        let checked = check_report(package, &manifest, session_id, suite, &entries)?;
        // 6. The signatures.
        let lines = check_signatures(
            package,
            session_id,
            suite,
            &checked,
            &entries,
            Some(ca_roots),
        )?;
        signatures = lines.iter().filter(|l| l.key_fingerprint.is_some()).count();
        // 7. The draw record.
        check_draws(package, &manifest.subject, log_keys)?;
        // 8. The events.
        check_events(package, session_id)?;
        // 9. The readable report.
        check_pdf(
            package,
            &manifest,
            font,
            &ReadableReport {
                report: &checked.report,
                report_sha256: &checked.digest,
                signatures: &lines,
                names: None,
                checkpoint: checkpoint_text,
            },
        )?;
    } else {
        check_draws(package, &manifest.subject, log_keys)?;
    }
    Ok(Verified {
        id: package.id(),
        subject: manifest.subject,
        signatures,
        entries: entries.len(),
        checkpoint_size: manifest.checkpoint_size,
    })
}

/// A JSON file that must be canonical and of `T`'s shape, a malformed field named by its path.
fn canonical_file<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, Failure> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| fail(path, "", format!("is not JSON ({e})")))?;
    let canonical = crate::audit::entry::canonical_json(&value)
        .map_err(|e| fail(path, "", format!("is not canonical JSON ({e})")))?;
    if canonical != bytes {
        return Err(fail(
            path,
            "",
            "is not in canonical form (RFC 8785: sorted keys, no whitespace)",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        fail(
            path,
            if field == "." { String::new() } else { field },
            e.inner().to_string(),
        )
    })
}

/// What a file's path makes it, or `None` for a path the format has no place for.
fn is_package_path(path: &str) -> bool {
    let numbered = |rest: &str, prefix: &str, suffix: &str| {
        rest.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(suffix))
            .is_some_and(is_decimal)
    };
    matches!(
        path,
        MANIFEST | REPORT_JSON | REPORT_PDF | EVENTS | CHECKPOINT
    ) || numbered(path, "signatures/seat-", ".json")
        || numbered(path, ENTRIES_DIR, ".json")
        || numbered(path, PROOFS_DIR, ".proof")
        || path
            .strip_prefix(CRLS_DIR)
            .and_then(|r| r.strip_suffix(".crl"))
            .is_some_and(|digest| {
                digest.len() == 64
                    && digest
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
        || path
            .strip_prefix(DRAWS_DIR)
            .and_then(|r| r.strip_suffix(".json"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn is_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

fn check_files(package: &Package, manifest: &Manifest, session: bool) -> Result<(), Failure> {
    for path in manifest.files.keys() {
        if package.file(path).is_none() {
            return Err(fail(path, "", "missing (listed in manifest.json files)"));
        }
    }
    for (path, bytes) in package.files() {
        if path == MANIFEST {
            continue;
        }
        if !is_package_path(path) {
            return Err(fail(path, "", "has no place in the package format"));
        }
        let listed = manifest
            .files
            .get(path)
            .ok_or_else(|| fail(path, "", "not listed in manifest.json files"))?;
        let actual = package::sha256_hex(bytes);
        if path.starts_with(CRLS_DIR) && *path != package::crl_path(bytes) {
            return Err(fail(path, "", "is not named by the SHA-256 of its bytes"));
        }
        if &actual != listed {
            return Err(fail(
                path,
                "sha256",
                format!("is {actual}, which does not match manifest.json files ({listed})"),
            ));
        }
    }
    let required: &[&str] = if session {
        &[REPORT_JSON, REPORT_PDF, EVENTS, CHECKPOINT]
    } else {
        &[CHECKPOINT]
    };
    for path in required {
        if package.file(path).is_none() {
            return Err(fail(
                path,
                "",
                "missing: the subject's package must hold it",
            ));
        }
    }
    if !session {
        for path in [REPORT_JSON, REPORT_PDF, EVENTS] {
            if package.file(path).is_some() {
                return Err(fail(path, "", "a draw's package holds no session files"));
            }
        }
        if let Some(path) = package
            .files()
            .keys()
            .find(|p| p.starts_with(SIGNATURES_DIR) || p.starts_with(CRLS_DIR))
        {
            return Err(fail(path, "", "a draw's package holds no session files"));
        }
    }
    Ok(())
}

fn check_entries(
    package: &Package,
    manifest: &Manifest,
    checkpoint_text: &str,
    suite: Suite,
    trust: &LogTrust,
) -> Result<BTreeMap<u64, Entry>, Failure> {
    let mut entries = BTreeMap::new();
    for (k, listed) in manifest.entries.iter().enumerate() {
        if entries
            .keys()
            .next_back()
            .is_some_and(|last| *last >= listed.index)
        {
            return Err(fail(
                MANIFEST,
                format!("entries[{k}].index"),
                "entries must be listed once each, by ascending index",
            ));
        }
        let entry_path = package::entry_path(listed.index);
        let proof_path = package::proof_path(listed.index);
        let bytes = package
            .file(&entry_path)
            .ok_or_else(|| fail(&entry_path, "", "missing (listed in manifest.json entries)"))?;
        let text = std::str::from_utf8(
            package
                .file(&proof_path)
                .ok_or_else(|| fail(&proof_path, "", "missing: every entry has its proof"))?,
        )
        .map_err(|_| fail(&proof_path, "", "is not UTF-8 text"))?;
        let proof = TlogProof::parse(text).map_err(|e| fail(&proof_path, "", e.to_string()))?;
        if proof.index != listed.index {
            return Err(fail(
                &proof_path,
                "index",
                format!("is {}, the file's name says {}", proof.index, listed.index),
            ));
        }
        if proof.checkpoint != checkpoint_text {
            return Err(fail(
                &proof_path,
                "checkpoint",
                "is not the package's checkpoint: every proof is under the one checkpoint",
            ));
        }
        if proof.extra.as_deref().is_some_and(|extra| extra != bytes) {
            return Err(fail(
                &proof_path,
                "extra",
                format!("is not the bytes of {entry_path}"),
            ));
        }
        proof
            .verify(&merkle::leaf_hash(suite, bytes), trust)
            .map_err(|e| fail(&proof_path, "inclusion proof", e.to_string()))?;
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| fail(&entry_path, "", format!("is not JSON ({e})")))?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != listed.kind {
            return Err(fail(
                &entry_path,
                "type",
                format!(
                    "is {kind:?}, manifest.json entries[{k}] says {:?}",
                    listed.kind
                ),
            ));
        }
        entries.insert(
            listed.index,
            Entry {
                index: listed.index,
                value,
            },
        );
    }
    for path in package.files().keys() {
        let index = path
            .strip_prefix(ENTRIES_DIR)
            .and_then(|r| r.strip_suffix(".json"))
            .or_else(|| {
                path.strip_prefix(PROOFS_DIR)
                    .and_then(|r| r.strip_suffix(".proof"))
            })
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(index) = index
            && !entries.contains_key(&index)
        {
            return Err(fail(path, "", "not listed in manifest.json entries"));
        }
    }
    Ok(entries)
}

/// The report as the closing entry vouches for it.
struct CheckedReport {
    report: Value,
    /// The report's digest in the log's suite, hex.
    digest: String,
    /// The draft the members signed.
    draft: String,
}

fn check_report(
    package: &Package,
    manifest: &Manifest,
    session_id: &str,
    suite: Suite,
    entries: &BTreeMap<u64, Entry>,
) -> Result<CheckedReport, Failure> {
    let closing: Vec<&Entry> = entries
        .values()
        .filter(|e| e.text("/type") == Some(CLOSED_ENTRY))
        .filter(|e| e.text("/refs/session") == Some(session_id))
        .collect();
    let [closing] = closing.as_slice() else {
        return Err(fail(
            MANIFEST,
            "entries",
            format!(
                "{} session.closed entries of session {session_id}; the package needs exactly one",
                closing.len()
            ),
        ));
    };
    let bytes = package.file(REPORT_JSON).unwrap_or_default();
    let report: Value = serde_json::from_slice(bytes)
        .map_err(|e| fail(REPORT_JSON, "", format!("is not JSON ({e})")))?;
    for (field, expected) in [
        ("session_id", session_id),
        ("draw_id", manifest.subject.draw_id.as_str()),
    ] {
        let found = report.get(field).and_then(Value::as_str);
        if found != Some(expected) {
            return Err(fail(
                REPORT_JSON,
                field,
                format!("is {found:?}, the package's subject is {expected:?}"),
            ));
        }
    }
    let digest = suite.hex_hash(bytes);
    let report_field = suite.digest_field("report");
    if closing.text(&format!("/data/{report_field}")) != Some(digest.as_str()) {
        return Err(fail(
            REPORT_JSON,
            "digest",
            format!(
                "{digest} does not match {} data.{report_field} (the closing entry)",
                closing.path()
            ),
        ));
    }
    if manifest.report_digest.as_deref() != Some(digest.as_str()) {
        return Err(fail(
            MANIFEST,
            "report_digest",
            format!("is not the digest of report.json ({digest})"),
        ));
    }
    let draft = report
        .get("draft_sha256")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let draft_field = suite.digest_field("draft");
    if closing.text(&format!("/data/{draft_field}")) != Some(draft.as_str()) {
        return Err(fail(
            REPORT_JSON,
            "draft_sha256",
            format!(
                "does not match {} data.{draft_field} (the closing entry)",
                closing.path()
            ),
        ));
    }
    Ok(CheckedReport {
        report,
        digest,
        draft,
    })
}

/// The `session.signature` entries of the signed draft, by seat.
fn signature_entries<'e>(
    session_id: &str,
    suite: Suite,
    draft: &str,
    entries: &'e BTreeMap<u64, Entry>,
) -> BTreeMap<u64, &'e Entry> {
    let report_pointer = format!("/data/{}", suite.digest_field("report"));
    entries
        .values()
        .filter(|e| e.text("/type") == Some(SIGNATURE_ENTRY))
        .filter(|e| e.text("/refs/session") == Some(session_id))
        .filter(|e| e.text(&report_pointer) == Some(draft))
        .filter_map(|e| Some((e.value.pointer("/data/seat")?.as_u64()?, e)))
        .collect()
}

/// The signature lines of the report, each signature file checked; certificate chains too when
/// `ca_roots` is given (the verifier), not when only the table is wanted (the renderer).
fn check_signatures(
    package: &Package,
    session_id: &str,
    suite: Suite,
    checked: &CheckedReport,
    entries: &BTreeMap<u64, Entry>,
    ca_roots: Option<&[Vec<u8>]>,
) -> Result<Vec<SignatureLine>, Failure> {
    let by_seat = signature_entries(session_id, suite, &checked.draft, entries);
    let seats = checked
        .report
        .get("seats")
        .and_then(Value::as_array)
        .ok_or_else(|| fail(REPORT_JSON, "seats", "is missing or not an array"))?;
    let mut lines = Vec::new();
    let mut with_files = BTreeSet::new();
    for (k, seat) in seats.iter().enumerate() {
        if seat.get("state").and_then(Value::as_str) != Some("active") {
            continue;
        }
        let field = |name: &str| format!("seats[{k}].{name}");
        let number = seat
            .get("seat")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| fail(REPORT_JSON, field("seat"), "is not a seat number"))?;
        let decision = seat.get("signature").and_then(Value::as_str);
        let reasons = seat
            .get("dissent_reasons")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut line = SignatureLine {
            seat: number,
            agree: decision != Some("dissent"),
            reasons: reasons.clone(),
            key_kind: None,
            key_fingerprint: None,
            signature_sha256: None,
        };
        if !matches!(decision, Some("agree" | "dissent")) {
            // Deemed to agree at closing (实施条例 §53 ¶2): no act of the member's to prove.
            lines.push(line);
            continue;
        }
        let entry = by_seat.get(&u64::from(number)).ok_or_else(|| {
            fail(
                REPORT_JSON,
                field("signature"),
                format!("seat {number}'s decision has no session.signature entry in the package"),
            )
        })?;
        if entry.text("/data/signature") != decision {
            return Err(fail(
                &entry.path(),
                "data.signature",
                format!("is not the report's decision for seat {number} ({decision:?})"),
            ));
        }
        if let Some(reasons) = &reasons {
            let reasons_field = suite.digest_field("reasons");
            if entry.text(&format!("/data/{reasons_field}"))
                != Some(suite.hex_hash(reasons.as_bytes()).as_str())
            {
                return Err(fail(
                    REPORT_JSON,
                    field("dissent_reasons"),
                    format!("do not match {} data.{reasons_field}", entry.path()),
                ));
            }
        }
        if let Some(value_sha256) = entry.text("/data/member_signature_sha256") {
            let file = check_signature_file(package, session_id, number, checked, &line, entry)?;
            if let Some(ca_roots) = ca_roots {
                check_certificate_chain(package, number, &file, ca_roots)?;
            }
            with_files.insert(number);
            line.key_kind = Some(file.key_kind);
            line.key_fingerprint = Some(file.key_fingerprint);
            line.signature_sha256 = Some(value_sha256.to_owned());
        }
        lines.push(line);
    }
    for path in package.files().keys() {
        let Some(number) = path
            .strip_prefix("signatures/seat-")
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !with_files.contains(&number) {
            return Err(fail(
                path,
                "entry_index",
                format!(
                    "no session.signature entry of seat {number} in the package records a member \
                     signature of the signed draft"
                ),
            ));
        }
    }
    lines.sort_by_key(|line| line.seat);
    Ok(lines)
}

fn check_signature_file(
    package: &Package,
    session_id: &str,
    seat: u32,
    checked: &CheckedReport,
    line: &SignatureLine,
    entry: &Entry,
) -> Result<SignatureFile, Failure> {
    let path = package::signature_path(seat);
    let bytes = package.file(&path).ok_or_else(|| {
        fail(
            &path,
            "",
            format!(
                "missing: the session.signature entry {} records a member signature",
                entry.index
            ),
        )
    })?;
    let file: SignatureFile = canonical_file(&path, bytes)?;
    let mismatch = |field: &str, detail: String| Err(fail(&path, field, detail));
    if file.session != session_id {
        return mismatch(
            "session",
            format!("is not the package's session {session_id}"),
        );
    }
    if file.seat != seat {
        return mismatch(
            "seat",
            format!("is {}, the file is seat {seat}'s", file.seat),
        );
    }
    if file.report_sha256 != checked.draft {
        return mismatch(
            "report_sha256",
            "is not the draft the report says was signed (draft_sha256)".into(),
        );
    }
    if file.agree != line.agree {
        return mismatch(
            "agree",
            format!("is not the report's decision for seat {seat}"),
        );
    }
    if file.reasons != line.reasons {
        return mismatch("reasons", format!("are not the report's for seat {seat}"));
    }
    if file.entry_index != entry.index {
        return mismatch(
            "entry_index",
            format!(
                "is not the session.signature entry of seat {seat} ({})",
                entry.index
            ),
        );
    }
    if Some(file.signed_at.as_str()) != entry.text("/time") {
        return mismatch(
            "signed_at",
            format!(
                "is not {} time (when the log recorded the signature)",
                entry.path()
            ),
        );
    }
    if Some(file.key_id.as_str()) != entry.text("/refs/signing_key") {
        return mismatch(
            "key_id",
            format!("is not {} refs.signing_key", entry.path()),
        );
    }
    let spki = decode_base64(&file.public_key)
        .ok_or_else(|| fail(&path, "public_key", "is not base64"))?;
    let key = MemberPublicKey::from_spki_der(&spki)
        .map_err(|e| fail(&path, "public_key", e.to_string()))?;
    // The key's curve decides how it verifies; the name beside it must say the same.
    if file.algorithm != key.algorithm().name() {
        return mismatch(
            "algorithm",
            format!(
                "is not {}, the algorithm of public_key",
                key.algorithm().name()
            ),
        );
    }
    if key.fingerprint() != file.key_fingerprint {
        return mismatch("key_fingerprint", "is not the SHA-256 of public_key".into());
    }
    if Some(file.key_fingerprint.as_str()) != entry.text("/data/signing_key_fingerprint") {
        return mismatch(
            "key_fingerprint",
            format!("is not {} data.signing_key_fingerprint", entry.path()),
        );
    }
    let signed = crate::session::protocol::signed_decision(
        session_id,
        seat,
        &file.report_sha256,
        file.agree,
        file.reasons.as_deref(),
    );
    if Some(hex::encode(member_key::digest(&signed)).as_str()) != entry.text("/data/signed_sha256")
    {
        return mismatch(
            "report_sha256",
            format!(
                "the decision signed is not the one {} data.signed_sha256 records",
                entry.path()
            ),
        );
    }
    let value =
        decode_base64(&file.signature).ok_or_else(|| fail(&path, "signature", "is not base64"))?;
    if Some(hex::encode(member_key::digest(&value)).as_str())
        != entry.text("/data/member_signature_sha256")
    {
        return mismatch(
            "signature",
            format!(
                "is not the signature {} data.member_signature_sha256 records",
                entry.path()
            ),
        );
    }
    if !key.verify(&signed, &value) {
        return mismatch(
            "signature",
            "does not verify with public_key over the member's decision".into(),
        );
    }
    Ok(file)
}

/// A certificate key's chain, as of the signature's time (§5a): a signature file of any other
/// kind carries none, and one of kind `certificate` carries its chain and CA.
fn check_certificate_chain(
    package: &Package,
    seat: u32,
    file: &SignatureFile,
    ca_roots: &[Vec<u8>],
) -> Result<(), Failure> {
    let path = package::signature_path(seat);
    if file.key_kind != CERTIFICATE_KIND {
        if file.certificate_chain.is_some() || file.certificate_authority.is_some() {
            return Err(fail(
                &path,
                "certificate_chain",
                format!("a {} key's signature carries no chain", file.key_kind),
            ));
        }
        return Ok(());
    }
    let (Some(encoded), Some(_)) = (&file.certificate_chain, &file.certificate_authority) else {
        return Err(fail(
            &path,
            "certificate_chain",
            "missing: a certificate key's signature carries its chain and certificate_authority",
        ));
    };
    let chain = encoded
        .iter()
        .enumerate()
        .map(|(k, text)| {
            decode_base64(text)
                .ok_or_else(|| fail(&path, format!("certificate_chain[{k}]"), "is not base64"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let signed_at = chrono::DateTime::parse_from_rfc3339(&file.signed_at)
        .map_err(|_| fail(&path, "signed_at", "is not an RFC 3339 time"))?
        .timestamp_millis();
    let public_key = decode_base64(&file.public_key).unwrap_or_default();
    let crls: Vec<ArchivedCrl<'_>> = package
        .files()
        .iter()
        .filter(|(name, _)| name.starts_with(CRLS_DIR))
        .map(|(name, der)| ArchivedCrl { name, der })
        .collect();
    archived_certificate::verify_as_of(&chain, &public_key, signed_at, ca_roots, &crls).map_err(
        |problem| match problem {
            ArchivedChainProblem::Certificate {
                index: Some(k),
                detail,
            } => fail(&path, format!("certificate_chain[{k}]"), detail),
            ArchivedChainProblem::Certificate {
                index: None,
                detail,
            } => fail(&path, "certificate_chain", detail),
            ArchivedChainProblem::Crl { name, detail } => fail(&name, "", detail),
        },
    )
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn check_draws(
    package: &Package,
    subject: &Subject,
    log_keys: &[NoteVerifier],
) -> Result<(), Failure> {
    let records: Vec<(&String, &Vec<u8>)> = package
        .files()
        .iter()
        .filter(|(path, _)| path.starts_with(DRAWS_DIR))
        .collect();
    let [(path, bytes)] = records.as_slice() else {
        return Err(fail(
            DRAWS_DIR,
            "",
            format!(
                "{} draw records; the package holds exactly one",
                records.len()
            ),
        ));
    };
    let record = crate::draw::published::AnyRecord::from_json(bytes)
        .map_err(|e| fail(path, "", e.to_string()))?;
    record
        .verify(log_keys)
        .map_err(|e| fail(path, "", e.to_string()))?;
    let (root, draws): (&str, Vec<&str>) = match &record {
        crate::draw::published::AnyRecord::V1(record) => (
            record.draw.draw_id.as_str(),
            vec![record.draw.draw_id.as_str()],
        ),
        crate::draw::published::AnyRecord::Family(family) => (
            family.root_draw_id.as_str(),
            family.draws.iter().map(|d| d.draw_id.as_str()).collect(),
        ),
    };
    if **path != package::draw_path(root) {
        return Err(fail(
            path,
            "",
            format!("holds the record of draw {root}, not of the draw its name says"),
        ));
    }
    if !draws.contains(&subject.draw_id.as_str()) {
        return Err(fail(
            path,
            "",
            format!("does not record the subject's draw {}", subject.draw_id),
        ));
    }
    Ok(())
}

fn check_events(package: &Package, session_id: &str) -> Result<(), Failure> {
    let events: EventsFile = canonical_file(EVENTS, package.file(EVENTS).unwrap_or_default())?;
    if events.session_id != session_id {
        return Err(fail(EVENTS, "session_id", "is not the package's session"));
    }
    for (k, event) in events.events.iter().enumerate() {
        if event.seq != k as u64 + 1 {
            return Err(fail(
                EVENTS,
                format!("events[{k}].seq"),
                format!(
                    "is {}, not {}: events are numbered from 1 without gaps",
                    event.seq,
                    k + 1
                ),
            ));
        }
    }
    Ok(())
}

fn check_pdf(
    package: &Package,
    manifest: &Manifest,
    font: &FontFile,
    input: &ReadableReport<'_>,
) -> Result<(), Failure> {
    if manifest.font_sha256.as_deref() != Some(package::sha256_hex(font.bytes()).as_str()) {
        return Err(fail(
            REPORT_PDF,
            "font_sha256",
            "the font given is not the one the package was rendered with (manifest.json \
             font_sha256)",
        ));
    }
    let pdf_bytes = package.file(REPORT_PDF).unwrap_or_default();
    match pdf::embedded_report_sha256(pdf_bytes) {
        Some(embedded) if embedded == input.report_sha256 => {}
        Some(embedded) => {
            return Err(fail(
                REPORT_PDF,
                "embedded digest",
                format!(
                    "{embedded} is not the digest of report.json ({})",
                    input.report_sha256
                ),
            ));
        }
        None => {
            return Err(fail(
                REPORT_PDF,
                "embedded digest",
                "the PDF embeds no report digest",
            ));
        }
    }
    let rendered = pdf::render(input, font)
        .map_err(|e| fail(REPORT_PDF, "", format!("cannot be rendered again: {e}")))?;
    if rendered != pdf_bytes {
        return Err(fail(
            REPORT_PDF,
            "",
            "does not match report.json rendered again with the signatures and the checkpoint",
        ));
    }
    Ok(())
}

/// The signature table of the readable report, as the builder and the verifier both make it
/// from the package's own files, so that the same package renders the same PDF.
pub(crate) fn signature_lines(
    package: &Package,
    session_id: &str,
    suite: Suite,
    report: &Value,
    draft: &str,
) -> Result<Vec<SignatureLine>, Failure> {
    let mut entries = BTreeMap::new();
    for (path, bytes) in package.files() {
        let Some(index) = path
            .strip_prefix(ENTRIES_DIR)
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| fail(path, "", format!("is not JSON ({e})")))?;
        entries.insert(index, Entry { index, value });
    }
    let checked = CheckedReport {
        report: report.clone(),
        digest: String::new(),
        draft: draft.to_owned(),
    };
    check_signatures(package, session_id, suite, &checked, &entries, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_layouts_paths_have_a_place_in_a_package() {
        for path in [
            "manifest.json",
            "report.json",
            "report.pdf",
            "events.json",
            "checkpoint",
            "signatures/seat-3.json",
            "entries/0.json",
            "proofs/120.proof",
            "draws/0192-abc.json",
        ] {
            assert!(is_package_path(path), "{path}");
        }
        for path in [
            "notes.txt",
            "signatures/seat-03.json",
            "signatures/seat-x.json",
            "entries/12.proof",
            "proofs/007.proof",
            "draws/.json",
            "draws/a/b.json",
            "report.json.bak",
        ] {
            assert!(!is_package_path(path), "{path}");
        }
    }

    #[test]
    fn a_failure_names_the_file_and_the_field_when_there_is_one() {
        assert_eq!(
            fail("signatures/seat-1.json", "signature", "does not verify").to_string(),
            "signatures/seat-1.json: signature: does not verify"
        );
        assert_eq!(
            fail("notes.txt", "", "not listed in manifest.json files").to_string(),
            "notes.txt: not listed in manifest.json files"
        );
    }
}
