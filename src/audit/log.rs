//! The log as the server runs it.
//!
//! Appending happens inside the caller's transaction ([`append`]): an action and its entry
//! commit together or not at all. Signing happens afterwards, from committed state only, and
//! never produces a checkpoint inconsistent with the last one signed. Each new checkpoint is then
//! submitted to the configured witnesses, whose cosignatures are added to the stored note.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::checkpoint::{Checkpoint, sign_checkpoint};
use super::entry::{AuditEntry, EntryError};
use super::merkle::{self, Frontier, Hash, MerkleError};
use super::note::{Note, NoteSignature, NoteSigner, NoteVerifier};
use super::proof::TlogProof;
use super::tiles::{self, TileKind, TilePath};
use super::witness::{AddCheckpointRequest, RemoteWitness, SubmitError, WitnessPool};
use crate::clock::SharedClock;
use crate::crypto::KeyRing;
use crate::store::{Store, StoreError, Tx};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("merkle tree: {0}")]
    Merkle(#[from] MerkleError),
    #[error("no entry at index {0}")]
    NoSuchEntry(u64),
    #[error("{0}")]
    OutOfRange(String),
    #[error("refusing to sign: {0}")]
    Inconsistent(String),
    #[error("signing failed: {0}")]
    Signing(String),
    /// A log key in a module could not sign: no checkpoint is signed.
    #[error("{0}")]
    KeyModule(String),
    /// No synchronous standby holds the tree yet: not signed now, signed once one does.
    #[error("refusing to sign for now: {0}")]
    NoSyncStandby(String),
}

/// Appends `entry` within `tx` and returns its index. The head row lock, taken at a
/// transaction's first append and held until it ends, serialises appenders, so indexes are
/// dense and the tree cannot fork. The rows are written when `tx` commits, all of a
/// transaction's entries together (`store::audit::PendingAudit`).
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<u64, AuditError> {
    let bytes = entry.canonical_bytes()?;
    let head = match &tx.pending_audit().head {
        Some(head) => head.clone(),
        None => tx.lock_audit_head().await?,
    };
    let suite = tx.suite();
    let mut frontier = Frontier::from_bytes(suite, &head)?;
    let index = frontier.size();
    let nodes = frontier.append(merkle::leaf_hash(suite, &bytes))?;
    let pending = tx.pending_audit();
    pending.entries.push((index, bytes, entry.time()));
    pending.nodes.extend(nodes);
    pending.head = Some(frontier.to_bytes());
    metrics::counter!("audit_entries_appended_total", "type" => entry.kind()).increment(1);
    Ok(index)
}

/// Takes the log's writer order now, as the first append would: until the transaction ends,
/// no other transaction can append, on any instance. A caller that must read what the last
/// writer committed before deciding what to append (a draw family's newest entry) holds it
/// first, so that reading and appending happen in the log's one order.
pub async fn hold(tx: &mut Tx) -> Result<(), AuditError> {
    if tx.pending_audit().head.is_none() {
        let head = tx.lock_audit_head().await?;
        tx.pending_audit().head = Some(head);
    }
    Ok(())
}

/// Refuses unless the tree of `size` entries with `root` extends the checkpoint
/// (`signed_size`, `signed_root`) found in `source`: a log that lost entries since (a restore
/// from an older backup, rows deleted) would otherwise sign a different history at sizes
/// already signed — a fork.
async fn extends(
    tx: &mut Tx,
    size: u64,
    root: &Hash,
    signed_size: u64,
    signed_root: &Hash,
    source: &str,
) -> Result<(), AuditError> {
    if signed_size > size {
        return Err(AuditError::Inconsistent(format!(
            "the log holds {size} entries but {source} was signed for {signed_size}: entries \
             {size} to {} are missing (restored from an older backup?); restore them before \
             the log signs again",
            signed_size - 1
        )));
    }
    if signed_size == size {
        return if signed_root == root {
            Ok(())
        } else {
            Err(AuditError::Inconsistent(format!(
                "the log's tree of size {size} is not the one {source} signed"
            )))
        };
    }
    let suite = tx.suite();
    let needs = merkle::consistency_proof_needs(signed_size, size)?;
    let stored = tx.audit_nodes(&needs).await?;
    let proven = merkle::consistency_proof(suite, signed_size, size, &stored).and_then(|proof| {
        merkle::verify_consistency(suite, signed_size, size, signed_root, root, &proof)
    });
    // A missing node counts the same as a wrong one: the extension is not proven.
    proven.map_err(|e| {
        AuditError::Inconsistent(format!(
            "tree of size {size} does not extend {source} of size {signed_size}: {e}"
        ))
    })
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note verbatim: log signatures, then any witness cosignatures.
    pub note: String,
}

pub struct AuditLog {
    store: Store,
    clock: SharedClock,
    origin: String,
    signers: Vec<NoteSigner>,
    verifiers: Vec<NoteVerifier>,
    /// One signer at a time in this process; other instances are reconciled by the table's
    /// primary key. Also keeps submissions to witnesses in tree-size order.
    signing: tokio::sync::Mutex<()>,
    witnesses: Option<WitnessPool>,
    /// A copy of the newest checkpoint this server signed, kept outside the database: a
    /// database restored from an older backup brings its own older checkpoints with it, and
    /// only a copy it does not contain shows that signed history is missing.
    checkpoint_copy: Option<PathBuf>,
    /// Sign only a tree that a synchronous standby has replayed (`audit.require_sync_standby`):
    /// entries only the primary holds could be lost in a failover, and the log would then sign
    /// a different tree at the same size, a fork.
    require_sync_standby: bool,
}

/// How long signing waits for a synchronous standby to replay the tree's entries. With
/// `synchronous_commit = remote_apply` it already has them; the wait covers a standby that is
/// catching up after Patroni dropped and restored synchronous replication.
const STANDBY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
const STANDBY_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// A witness that failed is asked again about an unchanged checkpoint only after this long, so
/// an unreachable witness does not slow every checkpoint request down by its timeout.
const WITNESS_RETRY_MILLIS: i64 = 60_000;

/// How often the log's state is reported at most: Prometheus's usual scrape interval.
const STATE_REPORT_INTERVAL: Duration = Duration::from_secs(15);

impl AuditLog {
    /// Every active log key signs; during a rotation the old and new keys both do.
    pub fn new(
        store: Store,
        clock: SharedClock,
        keys: &KeyRing,
        origin: &str,
    ) -> Result<Self, AuditError> {
        let mut signers = Vec::new();
        for key in keys.log_keys().iter().filter(|key| key.active) {
            signers.push(
                NoteSigner::new(origin, key.signer.clone())
                    .map_err(|e| AuditError::Signing(e.to_string()))?,
            );
        }
        // The log's keys and its hashes are one suite's: a gm2024 database signed with an
        // Ed25519 key would publish checkpoints no verifier can check.
        if let Some(signer) = signers.iter().find(|s| s.suite() != store.suite()) {
            return Err(AuditError::Signing(format!(
                "a {} log key cannot sign for a {} log",
                signer.suite(),
                store.suite()
            )));
        }
        let verifiers = signers.iter().map(NoteSigner::verifier).collect();
        Ok(Self {
            store,
            clock,
            origin: origin.to_owned(),
            signers,
            verifiers,
            signing: tokio::sync::Mutex::new(()),
            witnesses: None,
            checkpoint_copy: None,
            require_sync_standby: false,
        })
    }

    /// Submits every new checkpoint to these witnesses (see [`AuditLog::checkpoint_now`]).
    pub(crate) fn with_witnesses(mut self, witnesses: Option<WitnessPool>) -> Self {
        self.witnesses = witnesses;
        self
    }

    /// Signs only trees a synchronous standby has replayed (see the field).
    pub(crate) fn requiring_sync_standby(mut self, required: bool) -> Self {
        self.require_sync_standby = required;
        self
    }

    /// Keeps a copy of each checkpoint it signs at `path` and refuses to sign a tree that does
    /// not extend the copy (see [`AuditLog::checkpoint_copy`]).
    pub(crate) fn with_checkpoint_copy(mut self, path: PathBuf) -> Self {
        self.checkpoint_copy = Some(path);
        self
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn verifiers(&self) -> &[NoteVerifier] {
        &self.verifiers
    }

    /// Signs a statement about the log's contents that is not a checkpoint (a draw family's
    /// head, docs/DRAW-SPEC.md §9b) with every active log key. A statement's first line names
    /// its kind; a checkpoint's is the origin, so one that began with the origin is refused and
    /// the two can never be taken for each other.
    pub(crate) fn sign_statement(&self, text: &str) -> Result<String, AuditError> {
        if text.split('\n').next() == Some(self.origin.as_str()) {
            return Err(AuditError::Signing(
                "a statement may not begin like a checkpoint (with the log's origin)".into(),
            ));
        }
        let signers: Vec<&NoteSigner> = self.signers.iter().collect();
        crate::audit::note::sign(text, &signers).map_err(|e| AuditError::Signing(e.to_string()))
    }

    /// The verifier keys in signed-note vkey form, one per line.
    pub fn vkeys(&self) -> String {
        self.verifiers.iter().map(|v| format!("{v}\n")).collect()
    }

    /// Signs a checkpoint for the committed tree if it has grown since the last one, after
    /// checking that the new tree extends the last signed one; returns the latest checkpoint.
    ///
    /// With witnesses configured, a new checkpoint is then submitted to all of them at once,
    /// each bounded by the witness timeout, and their verified cosignatures are added to the
    /// stored note. An unchanged checkpoint is resubmitted to witnesses that have not cosigned
    /// it, at most once a minute each. Witnesses never stop the log: without a quorum the
    /// checkpoint is stored and served all the same, with a warning, and verifiers holding a
    /// witness policy refuse it. Appending never waits for any of this.
    pub async fn checkpoint_now(&self) -> Result<SignedCheckpoint, AuditError> {
        let signing = self.signing.lock().await;
        self.checkpoint_while_signing(&signing).await
    }

    /// [`Self::checkpoint_now`] for a caller that holds the signing lock (the guard proves it).
    async fn checkpoint_while_signing(
        &self,
        _signing: &tokio::sync::MutexGuard<'_, ()>,
    ) -> Result<SignedCheckpoint, AuditError> {
        let mut tx = self.store.read().await?;
        let suite = self.store.suite();
        let frontier = Frontier::from_bytes(suite, &tx.audit_head().await?)?;
        let latest = tx.latest_audit_checkpoint().await?;
        let (size, root) = (frontier.size(), frontier.root());
        if let Some(latest) = &latest {
            let latest = to_signed(latest)?;
            if latest.size == size {
                tx.rollback().await?;
                return Ok(self.resubmit_to_witnesses(latest).await);
            }
            extends(
                &mut tx,
                size,
                &root,
                latest.size,
                &latest.root,
                "a checkpoint",
            )
            .await?;
        }
        if let Some(copy) = self.saved_copy()? {
            let source = format!(
                "the checkpoint saved outside the database ({})",
                self.checkpoint_copy
                    .as_ref()
                    .map_or_else(String::new, |p| p.display().to_string())
            );
            extends(&mut tx, size, &root, copy.size, &copy.root, &source).await?;
        }
        // The head row must agree with the stored nodes it summarises.
        let stored = tx.audit_nodes(&merkle::tree_root_needs(size)).await?;
        if merkle::tree_root(suite, size, &stored)? != root {
            return Err(AuditError::Inconsistent(
                "the head row does not match the stored tree".into(),
            ));
        }
        let position = tx.wal_position().await?;
        tx.rollback().await?;
        if self.require_sync_standby
            && let Some(position) = position
        {
            self.wait_for_standby(size, &position).await?;
        }
        if let Some(latest) = &latest {
            self.learn_witness_sizes(to_signed(latest)?).await;
        }
        self.refuse_if_a_witness_holds_more(size)?;
        let previous_size = latest.as_ref().map_or(Ok(0), |row| {
            u64::try_from(row.size)
                .map_err(|_| StoreError::Corrupt("negative checkpoint size".into()))
        })?;

        let checkpoint = Checkpoint::new(self.origin.clone(), size, root);
        let signer_refs: Vec<&NoteSigner> = self.signers.iter().collect();
        let note = sign_checkpoint(&checkpoint, &signer_refs).map_err(|e| match e {
            super::checkpoint::CheckpointError::Note(super::note::NoteError::SigningFailed(
                cause,
            )) => AuditError::KeyModule(cause),
            other => AuditError::Signing(other.to_string()),
        })?;
        let mut tx = self.store.write().await?;
        tx.insert_audit_checkpoint(size, &root, &note, self.clock.now_millis())
            .await?;
        let stored = tx
            .audit_checkpoint_at(size)
            .await?
            .ok_or_else(|| AuditError::Signing("checkpoint vanished".into()))?;
        tx.commit().await?;
        self.save_copy(&stored.note, size)?;
        metrics::gauge!("audit_checkpoint_size").set(size as f64);
        tracing::info!(size, "signed audit checkpoint");
        let signed = to_signed(&stored)?;
        Ok(match &self.witnesses {
            Some(pool) => {
                let everyone: Vec<&RemoteWitness> = pool.witnesses().iter().collect();
                self.gather_cosignatures(pool, signed, previous_size, &everyone)
                    .await
            }
            None => signed,
        })
    }

    /// Waits until a synchronous standby has replayed the WAL up to `position` (past the
    /// tree's entries), or refuses to sign.
    async fn wait_for_standby(&self, size: u64, position: &str) -> Result<(), AuditError> {
        let deadline = tokio::time::Instant::now() + STANDBY_WAIT;
        loop {
            if self.store.standby_has_replayed(position).await? {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                metrics::counter!("audit_checkpoint_standby_refusals_total").increment(1);
                return Err(AuditError::NoSyncStandby(format!(
                    "no synchronous standby has replayed the log's {size} entries (WAL position \
                     {position}), so a failover could lose them; the checkpoint is signed once \
                     one has (check `patronictl list`, and that the server's database role has \
                     pg_monitor to read pg_stat_replication)"
                )));
            }
            tokio::time::sleep(STANDBY_POLL).await;
        }
    }

    /// Asks each witness whose size this process does not know yet (after a start, perhaps on
    /// a restored database) by resubmitting the newest stored checkpoint: a witness that holds
    /// another size answers with it (409), one that holds this one cosigns it again.
    async fn learn_witness_sizes(&self, latest: SignedCheckpoint) {
        let Some(pool) = &self.witnesses else {
            return;
        };
        let now = self.clock.now_millis();
        let unknown: Vec<&RemoteWitness> = pool
            .witnesses()
            .iter()
            .filter(|w| w.known_size().is_none())
            .filter(|w| {
                w.last_failure()
                    .is_none_or(|at| now.saturating_sub(at) >= WITNESS_RETRY_MILLIS)
            })
            .collect();
        if !unknown.is_empty() {
            let size = latest.size;
            self.gather_cosignatures(pool, latest, size, &unknown).await;
        }
    }

    /// Refuses to sign a tree smaller than one a witness has cosigned: entries it saw are gone.
    fn refuse_if_a_witness_holds_more(&self, size: u64) -> Result<(), AuditError> {
        let Some(pool) = &self.witnesses else {
            return Ok(());
        };
        match pool
            .witnesses()
            .iter()
            .filter_map(|w| w.known_size().map(|known| (w, known)))
            .find(|(_, known)| *known > size)
        {
            Some((witness, known)) => Err(AuditError::Inconsistent(format!(
                "the log holds {size} entries but witness {} has cosigned {known}: entries \
                 {size} to {} are missing (restored from an older backup?); restore them before \
                 the log signs again",
                witness.name(),
                known - 1
            ))),
            None => Ok(()),
        }
    }

    /// The checkpoint in the copy outside the database, if there is one.
    fn saved_copy(&self) -> Result<Option<Checkpoint>, AuditError> {
        let Some(path) = &self.checkpoint_copy else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AuditError::Inconsistent(format!(
                    "cannot read the saved checkpoint {}: {e}",
                    path.display()
                )));
            }
        };
        // Not verified against the log's keys: a retired key may have signed it, and whoever
        // could write a forged copy here could only make the log refuse to sign.
        let unreadable = |e: &dyn std::fmt::Display| {
            AuditError::Inconsistent(format!(
                "the saved checkpoint {} is unreadable: {e}",
                path.display()
            ))
        };
        let note = Note::parse(&text).map_err(|e| unreadable(&e))?;
        Checkpoint::parse(&note.text)
            .map(Some)
            .map_err(|e| unreadable(&e))
    }

    /// Replaces the copy outside the database with `note` unless it already holds a larger
    /// checkpoint (another instance's).
    fn save_copy(&self, note: &str, size: u64) -> Result<(), AuditError> {
        let Some(path) = &self.checkpoint_copy else {
            return Ok(());
        };
        if self.saved_copy()?.is_some_and(|copy| copy.size > size) {
            return Ok(());
        }
        let failed = |e: std::io::Error| {
            AuditError::Signing(format!(
                "cannot save the checkpoint to {}: {e}",
                path.display()
            ))
        };
        // A checkpoint is public: its directory needs no narrower mode than the umask gives.
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        let staging = path.with_extension(format!("{}.new", std::process::id()));
        std::fs::write(&staging, note).map_err(failed)?;
        std::fs::rename(&staging, path).map_err(failed)
    }

    /// Asks the witnesses whose cosignature `latest` lacks, unless they failed recently.
    async fn resubmit_to_witnesses(&self, latest: SignedCheckpoint) -> SignedCheckpoint {
        let Some(pool) = &self.witnesses else {
            return latest;
        };
        let Ok(note) = Note::parse(&latest.note) else {
            return latest;
        };
        let now = self.clock.now_millis();
        let missing: Vec<&RemoteWitness> = pool
            .witnesses()
            .iter()
            .filter(|w| !WitnessPool::has_cosigned(w, &note))
            .filter(|w| {
                w.last_failure()
                    .is_none_or(|at| now.saturating_sub(at) >= WITNESS_RETRY_MILLIS)
            })
            .collect();
        if missing.is_empty() {
            return latest;
        }
        // Without a better guess, old size 0 makes a witness answer 409 with its own size.
        self.gather_cosignatures(pool, latest, 0, &missing).await
    }

    /// Submits `checkpoint` to `witnesses` concurrently, adds the verified cosignatures to the
    /// stored note and returns the checkpoint as now stored. Failures are logged and counted.
    async fn gather_cosignatures(
        &self,
        pool: &WitnessPool,
        checkpoint: SignedCheckpoint,
        previous_size: u64,
        witnesses: &[&RemoteWitness],
    ) -> SignedCheckpoint {
        let submissions = witnesses.iter().map(|witness| {
            let checkpoint = &checkpoint;
            async move {
                let outcome = tokio::time::timeout(
                    pool.timeout(),
                    self.submit_to_witness(pool, witness, checkpoint, previous_size),
                )
                .await
                .unwrap_or(Err(SubmitError::Timeout(pool.timeout())));
                (*witness, outcome)
            }
        });
        let mut cosignatures = Vec::new();
        for (witness, outcome) in futures_util::future::join_all(submissions).await {
            match outcome {
                Ok(lines) => {
                    metrics::counter!("audit_witness_cosignatures_total", "witness" => witness.name().to_owned())
                        .increment(1);
                    witness.set_last_failure(None);
                    cosignatures.extend(lines);
                }
                Err(error) => {
                    metrics::counter!(
                        "audit_witness_failures_total",
                        "witness" => witness.name().to_owned(),
                        "reason" => error.label()
                    )
                    .increment(1);
                    witness.set_last_failure(Some(self.clock.now_millis()));
                    if matches!(error, SubmitError::Refused { status: 422, .. }) {
                        metrics::counter!("audit_witness_inconsistent_total").increment(1);
                        tracing::error!(
                            witness = witness.name(),
                            size = checkpoint.size,
                            "a witness found the audit checkpoint inconsistent with one it \
                             cosigned earlier: the log's history has been changed"
                        );
                    }
                    tracing::warn!(
                        witness = witness.name(),
                        size = checkpoint.size,
                        %error,
                        "witness did not cosign the audit checkpoint"
                    );
                }
            }
        }
        let stored = if cosignatures.is_empty() {
            checkpoint
        } else {
            match self.add_cosignatures(checkpoint.size, &cosignatures).await {
                Ok(stored) => stored,
                Err(error) => {
                    tracing::error!(%error, size = checkpoint.size, "could not store witness cosignatures");
                    checkpoint
                }
            }
        };
        let cosigned = Note::parse(&stored.note).map_or(0, |note| {
            pool.witnesses()
                .iter()
                .filter(|w| WitnessPool::has_cosigned(w, &note))
                .count()
        });
        metrics::gauge!("audit_checkpoint_witnesses").set(cosigned as f64);
        if cosigned < pool.quorum() {
            metrics::counter!("audit_witness_quorum_missed_total").increment(1);
            tracing::warn!(
                size = stored.size,
                cosigned,
                quorum = pool.quorum(),
                "the audit checkpoint lacks its witness quorum; verifiers with a witness policy \
                 will refuse it until witnesses cosign a later one"
            );
        }
        stored
    }

    /// One witness: `old` is the size it is known to hold, else the previous checkpoint's; a
    /// 409 names the witness's size, and one retry proves consistency from there.
    async fn submit_to_witness(
        &self,
        pool: &WitnessPool,
        witness: &RemoteWitness,
        checkpoint: &SignedCheckpoint,
        previous_size: u64,
    ) -> Result<Vec<NoteSignature>, SubmitError> {
        let size = checkpoint.size;
        let mut old = witness
            .known_size()
            .filter(|known| *known <= size)
            .unwrap_or(previous_size.min(size));
        let mut retried = false;
        loop {
            // Not `consistency_proof`: that may sign a checkpoint, which waits for this lock.
            let proof = self
                .stored_consistency_proof(old, size)
                .await
                .map_err(|e| SubmitError::Local(e.to_string()))?;
            let request = AddCheckpointRequest {
                old_size: old,
                proof,
                checkpoint: checkpoint.note.clone(),
            };
            match pool.add_checkpoint(witness, &request).await {
                Ok(cosignatures) => {
                    witness.set_known_size(size);
                    return Ok(cosignatures);
                }
                Err(SubmitError::Conflict { size: theirs }) => {
                    witness.set_known_size(theirs);
                    if theirs > size {
                        tracing::error!(
                            witness = witness.name(),
                            witness_size = theirs,
                            size,
                            "a witness has cosigned a larger tree than the log holds: entries \
                             were removed from the log"
                        );
                    }
                    if retried || theirs == old || theirs > size {
                        return Err(SubmitError::Conflict { size: theirs });
                    }
                    retried = true;
                    old = theirs;
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Adds cosignature lines to a stored checkpoint's note, replacing older ones by the same
    /// witness. The row lock keeps concurrent instances from dropping each other's lines.
    async fn add_cosignatures(
        &self,
        size: u64,
        cosignatures: &[NoteSignature],
    ) -> Result<SignedCheckpoint, AuditError> {
        let mut tx = self.store.write().await?;
        let row = tx
            .lock_audit_checkpoint_at(size)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("checkpoint {size} vanished")))?;
        let mut note = Note::parse(&row.note)
            .map_err(|e| StoreError::Corrupt(format!("stored checkpoint note: {e}")))?;
        for cosignature in cosignatures {
            note.signatures
                .retain(|s| !(s.name == cosignature.name && s.key_id == cosignature.key_id));
            note.signatures.push(cosignature.clone());
        }
        let text = note
            .format()
            .map_err(|e| AuditError::Signing(e.to_string()))?;
        tx.update_audit_checkpoint_note(size, &text).await?;
        tx.commit().await?;
        let mut signed = to_signed(&row)?;
        signed.note = text;
        Ok(signed)
    }

    /// The latest signed checkpoint, signing the first one if there is none yet.
    pub async fn latest_checkpoint(&self) -> Result<SignedCheckpoint, AuditError> {
        let mut tx = self.store.read().await?;
        let latest = tx.latest_audit_checkpoint().await?;
        tx.rollback().await?;
        match latest {
            Some(row) => to_signed(&row),
            None => self.checkpoint_now().await,
        }
    }

    /// A checkpoint that covers `index`, signing a new one if the latest does not.
    ///
    /// Concurrent callers share signatures: a checkpoint covers the whole committed tree, so a
    /// caller that waited for the signing lock looks again first, and finds its entry under the
    /// checkpoint the previous holder signed whenever that entry had committed by then. Under
    /// load one signature (and one write transaction) serves every draw created meanwhile,
    /// instead of one each, queued behind each other (BENCHMARKS.md, Draws).
    pub(crate) async fn checkpoint_covering(
        &self,
        index: u64,
    ) -> Result<SignedCheckpoint, AuditError> {
        let latest = self.latest_checkpoint().await?;
        if index < latest.size {
            return Ok(latest);
        }
        let signing = self.signing.lock().await;
        let mut tx = self.store.read().await?;
        let latest = tx.latest_audit_checkpoint().await?;
        tx.rollback().await?;
        if let Some(latest) = latest.as_ref().map(to_signed).transpose()?
            && index < latest.size
        {
            return Ok(latest);
        }
        let fresh = self.checkpoint_while_signing(&signing).await?;
        drop(signing);
        if index < fresh.size {
            Ok(fresh)
        } else {
            Err(AuditError::NoSuchEntry(index))
        }
    }

    pub async fn entry(&self, index: u64) -> Result<Vec<u8>, AuditError> {
        let mut tx = self.store.read().await?;
        let mut rows = tx.audit_entries(index, index.saturating_add(1)).await?;
        tx.rollback().await?;
        rows.pop()
            .map(|(_, entry)| entry)
            .ok_or(AuditError::NoSuchEntry(index))
    }

    /// A tlog-proof file for the entry at `index` against a checkpoint that covers it.
    pub(crate) async fn proof_file(&self, index: u64) -> Result<String, AuditError> {
        let checkpoint = self.checkpoint_covering(index).await?;
        self.proof_file_under(index, &checkpoint).await
    }

    /// A proof file of entry `index` under a given checkpoint (one of this log's, covering
    /// the entry): several proofs under one checkpoint agree with each other by construction.
    pub(crate) async fn proof_file_under(
        &self,
        index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<String, AuditError> {
        if index >= checkpoint.size {
            return Err(AuditError::NoSuchEntry(index));
        }
        let mut tx = self.store.read().await?;
        let needs = merkle::inclusion_proof_needs(index, checkpoint.size)?;
        let stored = tx.audit_nodes(&needs).await?;
        let entry = tx
            .audit_entries(index, index + 1)
            .await?
            .pop()
            .map(|(_, entry)| entry);
        tx.rollback().await?;
        let proof = TlogProof {
            // The entry travels with its proof, so the file alone is enough to verify it.
            extra: entry,
            index,
            inclusion_proof: merkle::inclusion_proof(
                self.store.suite(),
                index,
                checkpoint.size,
                &stored,
            )?,
            checkpoint: checkpoint.note.clone(),
        };
        proof
            .format()
            .map_err(|e| AuditError::Signing(e.to_string()))
    }

    /// A consistency proof between two tree sizes, both within the latest checkpoint.
    pub(crate) async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<Vec<Hash>, AuditError> {
        let latest = self.latest_checkpoint().await?;
        if old > new || new > latest.size {
            return Err(AuditError::OutOfRange(format!(
                "need old ≤ new ≤ {} (the latest checkpoint's size)",
                latest.size
            )));
        }
        self.stored_consistency_proof(old, new).await
    }

    /// A consistency proof from stored nodes, without range checks against checkpoints.
    async fn stored_consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, AuditError> {
        let mut tx = self.store.read().await?;
        let stored = tx
            .audit_nodes(&merkle::consistency_proof_needs(old, new)?)
            .await?;
        tx.rollback().await?;
        Ok(merkle::consistency_proof(
            self.store.suite(),
            old,
            new,
            &stored,
        )?)
    }

    /// A hash tile or entry bundle, served only within the latest signed checkpoint.
    pub(crate) async fn tile(&self, path: &TilePath) -> Result<Vec<u8>, AuditError> {
        let latest = self.latest_checkpoint().await?;
        self.tile_within(path, latest.size).await
    }

    /// A hash tile or entry bundle of the tree of `size` leaves.
    pub(crate) async fn tile_within(
        &self,
        path: &TilePath,
        size: u64,
    ) -> Result<Vec<u8>, AuditError> {
        let (_, end) = path.leaf_range();
        if end > size {
            return Err(AuditError::OutOfRange(format!(
                "{path} reaches past the latest checkpoint (size {size})"
            )));
        }
        let mut tx = self.store.read().await?;
        let (first, _) = path.leaf_range();
        let tile = match path.kind() {
            TileKind::Entries => {
                let rows = tx.audit_entries(first, end).await?;
                let entries: Vec<&[u8]> = rows.iter().map(|(_, entry)| entry.as_slice()).collect();
                tiles::encode_entry_bundle(entries)
                    .map_err(|e| AuditError::OutOfRange(e.to_string()))?
            }
            TileKind::Hashes { .. } => {
                let needs =
                    tiles::tile_needs(path).map_err(|e| AuditError::OutOfRange(e.to_string()))?;
                let (level, start) = needs.first().copied().unwrap_or((0, 0));
                let stored = tx
                    .audit_node_range(level, start, start + needs.len() as u64)
                    .await?;
                tiles::build_hash_tile(path, &stored)
                    .map_err(|e| AuditError::OutOfRange(e.to_string()))?
            }
        };
        tx.rollback().await?;
        Ok(tile)
    }

    /// Signs pending entries every `interval` until `shutdown` fires, and reports the log's
    /// state for the alert rules (docs/deploy/alerts.yml) beside it, on a schedule of its own:
    /// a signer stuck on a lock or a database still shows its entries waiting.
    pub(crate) async fn run_checkpointer(
        self: Arc<Self>,
        interval: Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        if self.witnesses.is_some() {
            // At zero from the start: `increase()` sees no increase in a series' first sample,
            // so the first refusal would otherwise not raise the alert.
            metrics::counter!("audit_witness_inconsistent_total").increment(0);
        }
        let signing = async {
            let mut shutdown = shutdown.clone();
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        if let Err(error) = self.checkpoint_now().await {
                            metrics::counter!("audit_checkpoint_failures_total").increment(1);
                            tracing::error!(%error, "could not sign an audit checkpoint");
                        }
                    }
                    _ = shutdown.changed() => break,
                }
            }
        };
        let reporting = async {
            let mut shutdown = shutdown.clone();
            let mut ticker = tokio::time::interval(interval.min(STATE_REPORT_INTERVAL));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        if let Err(error) = self.report_state().await {
                            tracing::warn!(%error, "could not read the audit log's state for its metrics");
                        }
                    }
                    _ = shutdown.changed() => break,
                }
            }
        };
        tokio::join!(signing, reporting);
    }

    /// Sets the log's gauges from the database, so that every instance reports the same
    /// state whichever of them signed, and a restarted one reports it before signing anything.
    /// A log that never signed reports checkpoint size 0 signed at time 0, which the rules read
    /// as "long ago".
    async fn report_state(&self) -> Result<(), AuditError> {
        let mut tx = self.store.read().await?;
        let frontier = Frontier::from_bytes(self.store.suite(), &tx.audit_head().await?)?;
        let latest = tx.latest_audit_checkpoint().await?;
        tx.rollback().await?;
        let (size, signed_at) = latest
            .as_ref()
            .map_or((0, 0), |row| (row.size, row.signed_at));
        metrics::gauge!("audit_log_entries").set(frontier.size() as f64);
        metrics::gauge!("audit_checkpoint_size").set(size as f64);
        metrics::gauge!("audit_checkpoint_signed_timestamp_seconds").set(signed_at as f64 / 1000.0);
        if let Some(pool) = &self.witnesses {
            let cosigned = latest
                .as_ref()
                .and_then(|row| Note::parse(&row.note).ok())
                .map_or(0, |note| {
                    pool.witnesses()
                        .iter()
                        .filter(|w| WitnessPool::has_cosigned(w, &note))
                        .count()
                });
            metrics::gauge!("audit_checkpoint_witnesses").set(cosigned as f64);
            metrics::gauge!("audit_witnesses_configured").set(pool.witnesses().len() as f64);
            metrics::gauge!("audit_witness_quorum").set(pool.quorum() as f64);
        }
        Ok(())
    }
}

fn to_signed(row: &crate::store::audit::CheckpointRow) -> Result<SignedCheckpoint, AuditError> {
    Ok(SignedCheckpoint {
        size: u64::try_from(row.size)
            .map_err(|_| StoreError::Corrupt("negative checkpoint size".into()))?,
        root: row
            .root
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("checkpoint root is not 32 bytes".into()))?,
        note: row.note.clone(),
    })
}

/// Hashes in the base64 form the C2SP formats use.
pub(crate) fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|hash| BASE64.encode(hash)).collect()
}
