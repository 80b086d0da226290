//! Building, keeping and deleting packages (docs/ARCHIVE.md §10). A package is built on its
//! first request, checked with the offline verifier before it is kept, written under its id in
//! `archive.dir`, and recorded (with an audit entry) in the same transaction; later requests
//! read it back. Deleting waits for the retention period and is an audited act of an admin.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::package::{
    self, CHECKPOINT, EVENTS, EventLine, EventsFile, LogInfo, MANIFEST, Manifest, ManifestEntry,
    Package, REPORT_JSON, REPORT_PDF, SUBJECT_DRAW, SUBJECT_SESSION, SignatureFile, Subject,
};
use super::pdf::{self, FontFile, ReadableReport};
use super::verify::{self, Failure, SIGNATURE_ENTRY};
use crate::audit::log::SignedCheckpoint;
use crate::audit::proof::TlogProof;
use crate::audit::{Actor, AuditEntry, AuditError, AuditLog};
use crate::auth::{Principal, Role};
use crate::clock::{Millis, SharedClock, to_rfc3339};
use crate::config::{ArchiveSettings, TrustedCaSettings};
use crate::crypto::archived_certificate;
use crate::deps::Deps;
use crate::draw::published::AnyRecord;
use crate::draw::service::{DrawService, DrawServiceError};
use crate::session::rules::Phase;
use crate::store::archives::ArchiveRow;
use crate::store::{Store, StoreError};

/// Entries are read from the log in batches of this many while looking for a session's.
const SCAN_BATCH: u64 = 512;
/// Entries are appended in commit order, each stamped with its transaction's time: one an hour
/// older than the entries around it would need a transaction an hour long, which the store's
/// timeouts end long before.
const SCAN_PAST_CLOSING_MILLIS: Millis = 60 * 60 * 1000;

/// Who asks for a package.
#[derive(Clone, Copy)]
pub(crate) enum Reader<'a> {
    Account(&'a Principal),
    /// An operator at the server's command line (`sealdraw archive export`).
    CommandLine,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ArchiveError {
    #[error("no such session or draw")]
    NotFound,
    #[error("no such archive package")]
    NoPackage,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("the readable report cannot be rendered: {0}")]
    Pdf(#[from] pdf::PdfError),
    #[error("the package built does not verify: {0}")]
    SelfCheck(Failure),
    #[error(transparent)]
    Package(#[from] package::PackageError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Draw(#[from] DrawServiceError),
    #[error(transparent)]
    Publication(#[from] crate::publication::PublicationError),
    #[error("{0}")]
    Forbidden(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

fn corrupt(detail: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(detail.to_string())
}

/// A kept package, as the listing shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ArchiveView {
    /// The package's id: SHA-256 of its manifest.
    pub(crate) id: String,
    /// `session` or `draw`.
    pub(crate) subject_kind: String,
    pub(crate) subject_id: String,
    /// The root draw, by which jurisdiction is decided.
    pub(crate) draw_id: String,
    pub(crate) checkpoint_size: i64,
    pub(crate) bytes: i64,
    pub(crate) created_at: String,
    /// From then on an admin may delete it.
    pub(crate) expires_at: String,
}

impl From<&ArchiveRow> for ArchiveView {
    fn from(row: &ArchiveRow) -> Self {
        Self {
            id: row.id.clone(),
            subject_kind: row.subject_kind.clone(),
            subject_id: row.subject_id.clone(),
            draw_id: row.draw_id.clone(),
            checkpoint_size: row.checkpoint_size,
            bytes: row.bytes,
            created_at: to_rfc3339(row.created_at),
            expires_at: to_rfc3339(row.expires_at),
        }
    }
}

pub(crate) struct ArchiveService {
    store: Store,
    clock: SharedClock,
    audit: Arc<AuditLog>,
    draws: Arc<DrawService>,
    settings: ArchiveSettings,
    /// The CAs of members' certificates: their CRLs go into the packages of signatures made
    /// with their certificates, and their roots anchor those chains in the self-check.
    trusted_cas: Vec<TrustedCaSettings>,
    dir: PathBuf,
}

/// What a package is about, resolved from the id asked for.
struct Resolved {
    subject: Subject,
    root_draw_id: String,
}

impl ArchiveService {
    pub(crate) fn new(
        deps: &Deps,
        audit: Arc<AuditLog>,
        draws: Arc<DrawService>,
        settings: &ArchiveSettings,
        trusted_cas: &[TrustedCaSettings],
        data_dir: &Path,
    ) -> Self {
        Self {
            store: deps.store.clone(),
            clock: deps.clock.clone(),
            audit,
            draws,
            settings: settings.clone(),
            trusted_cas: trusted_cas.to_vec(),
            dir: settings.dir_in(data_dir),
        }
    }

    /// The package of a closed session or an on-site evaluation's draw: the kept one, or one
    /// built, verified and kept now.
    pub(crate) async fn package(
        &self,
        reader: Reader<'_>,
        id: &str,
    ) -> Result<(ArchiveView, Package), ArchiveError> {
        let resolved = self.resolve(reader, id).await?;
        let subject_id = resolved
            .subject
            .session_id
            .clone()
            .unwrap_or_else(|| resolved.subject.draw_id.clone());
        let mut tx = self.store.read().await?;
        let kept = tx.archive_of_subject(&subject_id).await?;
        tx.rollback().await?;
        if let Some(row) = kept {
            return self.read_kept(&row).map(|package| ((&row).into(), package));
        }
        let package = self.build(&resolved).await?;
        match self.keep(reader, &resolved, &package).await {
            Ok(row) => Ok(((&row).into(), package)),
            // Another request built the subject's package meanwhile: answer with that one.
            Err(ArchiveError::Store(StoreError::Conflict(_))) => {
                let mut tx = self.store.read().await?;
                let row = tx
                    .archive_of_subject(&subject_id)
                    .await?
                    .ok_or_else(|| corrupt("a package's row vanished"))?;
                tx.rollback().await?;
                self.read_kept(&row).map(|package| ((&row).into(), package))
            }
            Err(error) => Err(error),
        }
    }

    /// The readable report with the committee's names, for a supervisor once the committee
    /// list is published: the names are read through the publication (which checks it and logs
    /// the read), rendered now and never kept; the kept package stays nameless.
    pub(crate) async fn named_report(
        &self,
        who: &Principal,
        id: &str,
        publications: &crate::publication::PublicationService,
        pool: &crate::pool::PoolService,
    ) -> Result<Vec<u8>, ArchiveError> {
        if who.role != Role::Supervisor {
            return Err(ArchiveError::Forbidden(
                "the committee's names are read by supervisors, once the list is published".into(),
            ));
        }
        let (_, package) = self.package(Reader::Account(who), id).await?;
        let manifest: Manifest =
            serde_json::from_slice(package.file(MANIFEST).unwrap_or_default()).map_err(corrupt)?;
        let Some(session_id) = &manifest.subject.session_id else {
            return Err(ArchiveError::Conflict(
                "an on-site evaluation's package has no report to name".into(),
            ));
        };
        let members = publications
            .committee(pool, who, &manifest.subject.draw_id)
            .await?;
        let report: Value = serde_json::from_slice(package.file(REPORT_JSON).unwrap_or_default())
            .map_err(corrupt)?;
        let mut names = BTreeMap::new();
        for seat in report
            .get("seats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(number), Some(token)) = (
                seat.get("seat").and_then(Value::as_u64),
                seat.get("token").and_then(Value::as_str),
            ) else {
                continue; // A representative's seat: named by its label, not from the pool.
            };
            if let Some(member) = members.iter().find(|m| m.token == token) {
                names.insert(u32::try_from(number).map_err(corrupt)?, member.name.clone());
            }
        }
        let suite = self.store.suite();
        let draft = report
            .get("draft_sha256")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let lines = verify::signature_lines(&package, session_id, suite, &report, draft)
            .map_err(ArchiveError::SelfCheck)?;
        let digest = manifest
            .report_digest
            .clone()
            .ok_or_else(|| corrupt("a session's package without its report digest"))?;
        let checkpoint = String::from_utf8(package.file(CHECKPOINT).unwrap_or_default().to_vec())
            .map_err(corrupt)?;
        let font = FontFile::load(&self.settings.font, 0)?;
        Ok(pdf::render(
            &ReadableReport {
                report: &report,
                report_sha256: &digest,
                signatures: &lines,
                names: Some(&names),
                checkpoint: &checkpoint,
            },
            &font,
        )?)
    }

    /// The kept packages the reader may see, newest first, before the package `before`.
    pub(crate) async fn list(
        &self,
        who: &Principal,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ArchiveView>, ArchiveError> {
        let limit = limit.clamp(1, 200);
        let mut tx = self.store.read().await?;
        let mut cursor = match before {
            Some(id) => {
                let row = tx.archive(id).await?.ok_or(ArchiveError::NoPackage)?;
                Some((row.created_at, row.id))
            }
            None => None,
        };
        let scope = crate::auth::jurisdiction::scope_of(&mut tx, who).await?;
        let mut views = Vec::new();
        'pages: loop {
            let rows = tx
                .archives_before(cursor.as_ref().map(|(at, id)| (*at, id.as_str())), 200)
                .await?;
            let Some(last) = rows.last() else {
                break;
            };
            cursor = Some((last.created_at, last.id.clone()));
            for row in &rows {
                if scope.covers_draw(&mut tx, &row.draw_id).await? {
                    views.push(ArchiveView::from(row));
                    if views.len() as i64 == limit {
                        break 'pages;
                    }
                }
            }
        }
        tx.rollback().await?;
        Ok(views)
    }

    /// Deletes an expired package (an admin's act, audited); refused before it expires.
    pub(crate) async fn delete(&self, who: &Principal, id: &str) -> Result<(), ArchiveError> {
        let now = self.clock.now_millis();
        let mut tx = self.store.write().await?;
        let row = tx.archive(id).await?.ok_or(ArchiveError::NoPackage)?;
        if row.deleted_at.is_some() {
            return Err(ArchiveError::Gone(
                "the package was deleted after its retention period".into(),
            ));
        }
        if now < row.expires_at {
            return Err(ArchiveError::Conflict(format!(
                "the package is kept until {} (archive.retention_years); nothing was deleted",
                to_rfc3339(row.expires_at)
            )));
        }
        if !tx.mark_archive_deleted(id, &who.account_id, now).await? {
            return Err(corrupt("an expired package could not be marked deleted"));
        }
        crate::audit::append(
            &mut tx,
            &AuditEntry::new("archive.deleted", now, Actor::of(who))
                .reference("archive", &row.id)
                .reference(&row.subject_kind, &row.subject_id)
                .data("expired_at", to_rfc3339(row.expires_at)),
        )
        .await?;
        tx.commit().await?;
        // After the commit: a failed removal leaves files of a package the record says is
        // gone, which the next attempt's operator can see and remove; the reverse order could
        // lose a package the record still promises.
        if let Err(error) = std::fs::remove_dir_all(self.dir.join(&row.id)) {
            tracing::error!(package = %row.id, %error, "removing a deleted package's files failed");
        }
        Ok(())
    }

    async fn resolve(&self, reader: Reader<'_>, id: &str) -> Result<Resolved, ArchiveError> {
        if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
            return Err(ArchiveError::NotFound);
        }
        let mut tx = self.store.read().await?;
        let resolved = if let Some(session) = tx.session(id).await? {
            let draw = tx
                .draw(&session.draw_id)
                .await?
                .ok_or_else(|| corrupt("a session without its draw"))?;
            let resolved = Resolved {
                subject: Subject {
                    kind: SUBJECT_SESSION.to_owned(),
                    session_id: Some(session.id.clone()),
                    draw_id: session.draw_id.clone(),
                },
                root_draw_id: draw.root_id().to_owned(),
            };
            self.authorise(&mut tx, reader, &resolved.root_draw_id)
                .await?;
            if session.phase != Phase::Closed {
                return Err(ArchiveError::Conflict(
                    "the session is not closed; its archive is made once it closes".into(),
                ));
            }
            resolved
        } else if let Some(draw) = tx.draw(id).await? {
            let resolved = Resolved {
                subject: Subject {
                    kind: SUBJECT_DRAW.to_owned(),
                    session_id: None,
                    draw_id: draw.id.clone(),
                },
                root_draw_id: draw.root_id().to_owned(),
            };
            self.authorise(&mut tx, reader, &resolved.root_draw_id)
                .await?;
            if let Some(session) = tx.session_of_draw(draw.root_id()).await? {
                return Err(ArchiveError::Conflict(format!(
                    "the draw was evaluated in session {session}; its archive is the session's"
                )));
            }
            if draw.result_index.is_none() {
                return Err(ArchiveError::Conflict(
                    "the draw has no result yet; its archive is made once it is drawn".into(),
                ));
            }
            resolved
        } else {
            return Err(ArchiveError::NotFound);
        };
        tx.rollback().await?;
        Ok(resolved)
    }

    /// Admins read every package; a supervisor those within their jurisdiction (outside it the
    /// subject is answered as unknown, as the draw itself is).
    async fn authorise(
        &self,
        tx: &mut crate::store::Tx,
        reader: Reader<'_>,
        root_draw_id: &str,
    ) -> Result<(), ArchiveError> {
        match reader {
            Reader::CommandLine => Ok(()),
            Reader::Account(who) if who.role == Role::Admin => Ok(()),
            Reader::Account(who) if who.role == Role::Supervisor => {
                if crate::auth::jurisdiction::within_jurisdiction(tx, who, root_draw_id).await? {
                    Ok(())
                } else {
                    Err(ArchiveError::NotFound)
                }
            }
            Reader::Account(_) => Err(ArchiveError::NotFound),
        }
    }

    fn read_kept(&self, row: &ArchiveRow) -> Result<Package, ArchiveError> {
        if row.deleted_at.is_some() {
            return Err(ArchiveError::Gone(
                "the package was deleted after its retention period".into(),
            ));
        }
        let package = Package::read_from(&self.dir.join(&row.id))?;
        if package.id() != row.id {
            return Err(corrupt(format!(
                "the kept package {} no longer has its id",
                row.id
            )));
        }
        Ok(package)
    }

    async fn build(&self, resolved: &Resolved) -> Result<Package, ArchiveError> {
        let suite = self.store.suite();
        // The draw record first: its own checkpoint is then no newer than the package's.
        let record = self
            .draws
            .published_record(&resolved.subject.draw_id)
            .await?;
        let record_root = match &record {
            AnyRecord::V1(published) => published.draw.draw_id.clone(),
            AnyRecord::Family(family) => family.root_draw_id.clone(),
        };
        let record_proofs: Vec<&String> = match &record {
            AnyRecord::V1(published) => std::iter::once(&published.intent_proof)
                .chain([&published.result_proof])
                .chain(&published.replacement_proofs)
                .collect(),
            AnyRecord::Family(family) => family.entries.iter().collect(),
        };
        let mut indexes = BTreeSet::new();
        for text in record_proofs {
            indexes.insert(TlogProof::parse(text).map_err(corrupt)?.index);
        }
        let first = indexes.first().copied().unwrap_or_default();
        let last = indexes.last().copied().unwrap_or_default();

        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        files.insert(
            package::draw_path(&record_root),
            serde_json::to_vec(&record).map_err(corrupt)?,
        );

        let mut checkpoint = self.audit.checkpoint_covering(last).await?;
        let mut report = None;
        if let Some(session_id) = &resolved.subject.session_id {
            let closed_at = {
                let mut tx = self.store.read().await?;
                let session = tx.session(session_id).await?;
                tx.rollback().await?;
                session
                    .and_then(|session| session.closed_at)
                    .ok_or_else(|| corrupt("a closed session without its closing time"))?
            };
            let mut found = self
                .session_entries(session_id, closed_at, first, checkpoint.size)
                .await?;
            if !found.iter().any(|(_, kind)| kind == verify::CLOSED_ENTRY) {
                // Closed after the latest checkpoint: sign one now, as the draw record does.
                checkpoint = self.audit.checkpoint_now().await?;
                found = self
                    .session_entries(session_id, closed_at, first, checkpoint.size)
                    .await?;
                if !found.iter().any(|(_, kind)| kind == verify::CLOSED_ENTRY) {
                    return Err(ArchiveError::Conflict(
                        "the session's closing entry is not under a signed checkpoint yet; \
                         retry shortly"
                            .into(),
                    ));
                }
            }
            indexes.extend(found.iter().map(|(index, _)| *index));
            report = Some(self.session_files(session_id, &mut files).await?);
        }

        let mut entries = Vec::with_capacity(indexes.len());
        for index in &indexes {
            let (bytes, proof) = self.proven_entry(*index, &checkpoint).await?;
            let value: Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
            entries.push(ManifestEntry {
                index: *index,
                kind: value
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
            files.insert(package::entry_path(*index), bytes);
            files.insert(package::proof_path(*index), proof.into_bytes());
        }
        files.insert(CHECKPOINT.to_owned(), checkpoint.note.clone().into_bytes());

        let font = match &report {
            Some(_) => Some(FontFile::load(&self.settings.font, 0)?),
            None => None,
        };
        let mut report_digest = None;
        if let (Some((report, draft)), Some(font), Some(session_id)) =
            (&report, &font, &resolved.subject.session_id)
        {
            self.add_signature_files(session_id, report, draft, &files_index(&files), &mut files)
                .await?;
            let bytes = files.get(REPORT_JSON).cloned().unwrap_or_default();
            let digest = suite.hex_hash(&bytes);
            let lines = verify::signature_lines(
                &Package::from_files(files.clone()),
                session_id,
                suite,
                report,
                draft,
            )
            .map_err(ArchiveError::SelfCheck)?;
            let pdf = pdf::render(
                &ReadableReport {
                    report,
                    report_sha256: &digest,
                    signatures: &lines,
                    names: None,
                    checkpoint: &checkpoint.note,
                },
                font,
            )?;
            files.insert(REPORT_PDF.to_owned(), pdf);
            report_digest = Some(digest);
        }

        let manifest = Manifest {
            format: package::FORMAT.to_owned(),
            subject: resolved.subject.clone(),
            log: LogInfo {
                origin: self.audit.origin().to_owned(),
                suite,
            },
            checkpoint_size: checkpoint.size,
            report_digest,
            font_sha256: font.as_ref().map(|f| package::sha256_hex(f.bytes())),
            entries,
            files: files
                .iter()
                .map(|(path, bytes)| (path.clone(), package::sha256_hex(bytes)))
                .collect(),
            created_at: to_rfc3339(self.clock.now_millis()),
        };
        files.insert(MANIFEST.to_owned(), package::canonical(&manifest)?);
        let package = Package::from_files(files);

        // What is kept for fifteen years is first checked as its readers will check it.
        let check_font = match font {
            Some(font) => font,
            None => FontFile::load(&self.settings.font, 0)?,
        };
        verify::verify(
            &package,
            self.audit.verifiers(),
            &check_font,
            &self.ca_roots()?,
        )
        .map_err(ArchiveError::SelfCheck)?;
        Ok(package)
    }

    /// The indexes and types of the session's entries in `[from, to)` written up to its
    /// closing (docs/ARCHIVE.md §3a): what came after (ratings of the members' conduct) is not
    /// the evaluation's record, and leaving it out makes the package the same whenever it is
    /// built. The scan ends once the log is past the closing by more than any transaction
    /// lasts, so a package built years later does not read the years in between.
    async fn session_entries(
        &self,
        session_id: &str,
        closed_at: Millis,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, String)>, ArchiveError> {
        let mut found = Vec::new();
        let mut start = from;
        while start < to {
            let end = to.min(start.saturating_add(SCAN_BATCH));
            let mut tx = self.store.read().await?;
            let rows = tx.audit_entries(start, end).await?;
            tx.rollback().await?;
            for (index, bytes) in rows {
                let value: Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
                let time = value
                    .get("time")
                    .and_then(Value::as_str)
                    .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
                    .map(|time| time.timestamp_millis())
                    .ok_or_else(|| corrupt(format!("audit entry {index} has no time")))?;
                if time > closed_at.saturating_add(SCAN_PAST_CLOSING_MILLIS) {
                    return Ok(found);
                }
                if time <= closed_at
                    && value.pointer("/refs/session").and_then(Value::as_str) == Some(session_id)
                {
                    let kind = value
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    found.push((index, kind.to_owned()));
                }
            }
            start = end;
        }
        Ok(found)
    }

    /// An entry's bytes and its proof under `checkpoint`.
    async fn proven_entry(
        &self,
        index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<(Vec<u8>, String), ArchiveError> {
        let proof = self.audit.proof_file_under(index, checkpoint).await?;
        let bytes = TlogProof::parse(&proof)
            .map_err(corrupt)?
            .extra
            .ok_or_else(|| corrupt("a proof without its entry"))?;
        Ok((bytes, proof))
    }

    /// `report.json` and `events.json`; the report (parsed) and its signed draft's digest.
    async fn session_files(
        &self,
        session_id: &str,
        files: &mut BTreeMap<String, Vec<u8>>,
    ) -> Result<(Value, String), ArchiveError> {
        let mut tx = self.store.read().await?;
        let session = tx
            .session(session_id)
            .await?
            .ok_or(ArchiveError::NotFound)?;
        let events = tx.session_events_after(session_id, 0, i64::MAX).await?;
        tx.rollback().await?;
        let text = session
            .report_json
            .ok_or_else(|| corrupt("a closed session without its report"))?;
        let report: Value = serde_json::from_str(&text).map_err(corrupt)?;
        let draft = report
            .get("draft_sha256")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        files.insert(REPORT_JSON.to_owned(), text.into_bytes());
        let events = EventsFile {
            session_id: session_id.to_owned(),
            events: events
                .into_iter()
                .map(|row| EventLine {
                    seq: u64::try_from(row.seq).unwrap_or_default(),
                    kind: row.kind.as_str().to_owned(),
                    audience: row.audience.to_string(),
                    at: to_rfc3339(row.at),
                    body_sha256: package::sha256_hex(row.body.as_bytes()),
                })
                .collect(),
        };
        files.insert(EVENTS.to_owned(), package::canonical(&events)?);
        Ok((report, draft))
    }

    /// `signatures/seat-N.json` for each seat whose decision on the signed draft carries a
    /// member signature, with the index of its `session.signature` entry.
    async fn add_signature_files(
        &self,
        session_id: &str,
        report: &Value,
        draft: &str,
        entries: &BTreeMap<u64, Value>,
        files: &mut BTreeMap<String, Vec<u8>>,
    ) -> Result<(), ArchiveError> {
        let suite = self.store.suite();
        let report_pointer = format!("/data/{}", suite.digest_field("report"));
        let mut tx = self.store.read().await?;
        let signatures = tx.member_signatures(session_id).await?;
        for signature in signatures {
            if hex::encode(&signature.report_sha256) != draft {
                continue; // A signature of an earlier draft, voided by a vacancy.
            }
            let seat = u32::try_from(signature.seat).map_err(corrupt)?;
            let Some((entry_index, _)) = entries.iter().find(|(_, e)| {
                e.get("type").and_then(Value::as_str) == Some(SIGNATURE_ENTRY)
                    && e.pointer("/data/seat").and_then(Value::as_u64) == Some(u64::from(seat))
                    && e.pointer(&report_pointer).and_then(Value::as_str) == Some(draft)
                    && e.pointer("/data/member_signature_sha256").is_some()
            }) else {
                return Err(corrupt(format!(
                    "seat {seat}'s member signature has no session.signature entry"
                )));
            };
            let key = tx
                .signing_key(&signature.key_id)
                .await?
                .ok_or_else(|| corrupt("a member signature without its key"))?;
            let seat_json = report
                .get("seats")
                .and_then(Value::as_array)
                .and_then(|seats| {
                    seats
                        .iter()
                        .find(|s| s.get("seat").and_then(Value::as_u64) == Some(u64::from(seat)))
                })
                .ok_or_else(|| corrupt(format!("seat {seat} is not in the report")))?;
            let file = SignatureFile {
                session: session_id.to_owned(),
                seat,
                report_sha256: draft.to_owned(),
                agree: seat_json.get("signature").and_then(Value::as_str) != Some("dissent"),
                reasons: seat_json
                    .get("dissent_reasons")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                key_id: key.id.clone(),
                key_kind: key.kind.clone(),
                algorithm: key.algorithm.clone(),
                public_key: base64::engine::general_purpose::STANDARD.encode(&key.public_key),
                key_fingerprint: signature.key_fingerprint.clone(),
                signature: base64::engine::general_purpose::STANDARD.encode(&signature.signature),
                signed_at: to_rfc3339(signature.signed_at),
                entry_index: *entry_index,
                certificate_chain: None,
                certificate_authority: None,
            };
            let file = if key.kind == verify::CERTIFICATE_KIND {
                self.with_certificate(&mut tx, file, files).await?
            } else {
                file
            };
            files.insert(package::signature_path(seat), package::canonical(&file)?);
        }
        tx.rollback().await?;
        Ok(())
    }

    /// A certificate key's signature file with the chain as enrolled and its CA's name, and the
    /// CA's CRLs as the server holds them now in the package (§5a): what lets a reader years
    /// later see that the certificate was not revoked when the member signed.
    async fn with_certificate(
        &self,
        tx: &mut crate::store::Tx,
        mut file: SignatureFile,
        files: &mut BTreeMap<String, Vec<u8>>,
    ) -> Result<SignatureFile, ArchiveError> {
        let (chain_pem, authority) = tx
            .signing_key_certificate(&file.key_id)
            .await?
            .ok_or_else(|| corrupt("a certificate key without its chain"))?;
        let chain = archived_certificate::certificates_from_file(chain_pem.as_bytes())
            .map_err(|problem| corrupt(format!("a stored certificate chain {problem}")))?;
        let ca = self
            .trusted_cas
            .iter()
            .find(|ca| ca.name == authority)
            .ok_or_else(|| {
                ArchiveError::Conflict(format!(
                    "the CA {authority} of a member's certificate is no longer trusted \
                     (signing_keys.trusted_cas), so its CRL cannot go into the package; nothing \
                     was kept"
                ))
            })?;
        let unreadable = || {
            ArchiveError::Conflict(format!(
                "the CRL file of {authority} cannot be read or holds no CRL; nothing was kept"
            ))
        };
        let crl_file = std::fs::read(&ca.crl).map_err(|_| unreadable())?;
        let crls = archived_certificate::crls_from_file(&crl_file).map_err(|_| unreadable())?;
        for crl in crls {
            files.insert(package::crl_path(&crl), crl);
        }
        file.certificate_chain = Some(
            chain
                .iter()
                .map(|der| base64::engine::general_purpose::STANDARD.encode(der))
                .collect(),
        );
        file.certificate_authority = Some(authority);
        Ok(file)
    }

    /// The roots of the trusted CAs, which anchor the chains the self-check verifies.
    fn ca_roots(&self) -> Result<Vec<Vec<u8>>, ArchiveError> {
        let mut roots = Vec::new();
        for ca in &self.trusted_cas {
            let bytes = std::fs::read(&ca.root).map_err(|_| {
                ArchiveError::Conflict(format!(
                    "the root of {} cannot be read; nothing was kept",
                    ca.name
                ))
            })?;
            roots.extend(
                archived_certificate::certificates_from_file(&bytes)
                    .map_err(|problem| corrupt(format!("the root of {:?} {problem}", ca.name)))?,
            );
        }
        Ok(roots)
    }

    /// Writes the package under its id and records it, with its audit entry, in one
    /// transaction.
    async fn keep(
        &self,
        reader: Reader<'_>,
        resolved: &Resolved,
        package: &Package,
    ) -> Result<ArchiveRow, ArchiveError> {
        let now = self.clock.now_millis();
        let id = package.id();
        let manifest: Manifest =
            serde_json::from_slice(package.file(MANIFEST).unwrap_or_default()).map_err(corrupt)?;
        let row = ArchiveRow {
            id: id.clone(),
            subject_kind: resolved.subject.kind.clone(),
            subject_id: resolved
                .subject
                .session_id
                .clone()
                .unwrap_or_else(|| resolved.subject.draw_id.clone()),
            draw_id: resolved.root_draw_id.clone(),
            checkpoint_size: i64::try_from(manifest.checkpoint_size).map_err(corrupt)?,
            bytes: package
                .files()
                .values()
                .map(|bytes| bytes.len() as i64)
                .sum(),
            created_at: now,
            expires_at: expiry(now, self.settings.retention_years)?,
            deleted_at: None,
        };
        let final_dir = self.dir.join(&id);
        let staging = self.dir.join(format!(".staging-{id}"));
        // Staged and renamed, so a kept package's directory is never half written.
        let _ = std::fs::remove_dir_all(&staging);
        package.write_to(&staging)?;
        let made_here = !final_dir.exists();
        if !made_here {
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            std::fs::rename(&staging, &final_dir).map_err(|error| {
                package::PackageError::Write {
                    path: final_dir.clone(),
                    detail: error.to_string(),
                }
            })?;
        }
        let actor = match reader {
            Reader::Account(who) => Actor::of(who),
            Reader::CommandLine => Actor::CommandLine,
        };
        let mut tx = self.store.write().await?;
        let stored = async {
            tx.insert_archive(&row).await?;
            crate::audit::append(
                &mut tx,
                &AuditEntry::new("archive.stored", now, actor)
                    .reference("archive", &id)
                    .reference(&row.subject_kind, &row.subject_id)
                    .data("checkpoint_size", manifest.checkpoint_size)
                    .data("expires_at", to_rfc3339(row.expires_at)),
            )
            .await?;
            Ok::<_, ArchiveError>(())
        }
        .await;
        match stored {
            Ok(()) => {
                tx.commit().await?;
                Ok(row)
            }
            Err(error) => {
                drop(tx);
                if made_here {
                    let _ = std::fs::remove_dir_all(&final_dir);
                }
                Err(error)
            }
        }
    }
}

/// The entries among the files, parsed, by index.
fn files_index(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<u64, Value> {
    files
        .iter()
        .filter_map(|(path, bytes)| {
            let index = path
                .strip_prefix("entries/")?
                .strip_suffix(".json")?
                .parse::<u64>()
                .ok()?;
            Some((index, serde_json::from_slice(bytes).ok()?))
        })
        .collect()
}

/// `years` calendar years after `now`.
fn expiry(now: Millis, years: u32) -> Result<Millis, ArchiveError> {
    chrono::DateTime::from_timestamp_millis(now)
        .and_then(|time| time.checked_add_months(chrono::Months::new(years.saturating_mul(12))))
        .map(|time| time.timestamp_millis())
        .ok_or_else(|| corrupt("the expiry is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_expires_whole_calendar_years_after_it_is_made() {
        let made = chrono::DateTime::parse_from_rfc3339("2026-02-28T10:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            to_rfc3339(expiry(made, 15).unwrap()),
            to_rfc3339(
                chrono::DateTime::parse_from_rfc3339("2041-02-28T10:00:00Z")
                    .unwrap()
                    .timestamp_millis()
            )
        );
        // A leap day expires on the last day of February of a common year.
        let leap = chrono::DateTime::parse_from_rfc3339("2028-02-29T00:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert!(to_rfc3339(expiry(leap, 15).unwrap()).starts_with("2043-02-28"));
    }
}
