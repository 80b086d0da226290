//! The log as the server runs it.
//!
//! Appending happens inside the caller's transaction ([`append`]): an action and its entry
//! commit together or not at all. Signing happens afterwards, from committed state only, and
//! never produces a checkpoint inconsistent with the last one signed.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::checkpoint::{Checkpoint, sign_checkpoint};
use super::entry::{AuditEntry, EntryError};
use super::merkle::{self, Frontier, Hash, MerkleError};
use super::note::{NoteSigner, NoteVerifier};
use super::proof::TlogProof;
use super::tiles::{self, TileKind, TilePath};
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
}

/// Appends `entry` within `tx` and returns its index. The head row lock serialises appenders,
/// so indexes are dense and the tree cannot fork.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<u64, AuditError> {
    let bytes = entry.canonical_bytes()?;
    let mut frontier = Frontier::from_bytes(&tx.lock_audit_head().await?)?;
    let index = frontier.size();
    let nodes = frontier.append(merkle::leaf_hash(&bytes))?;
    tx.insert_audit_entry(index, &bytes, entry.time()).await?;
    tx.insert_audit_nodes(&nodes).await?;
    tx.set_audit_head(&frontier.to_bytes()).await?;
    metrics::counter!("audit_entries_appended_total", "type" => entry.kind()).increment(1);
    Ok(index)
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
    /// primary key.
    signing: tokio::sync::Mutex<()>,
}

impl AuditLog {
    /// Every active log key signs; during a rotation the old and new keys both do.
    pub fn new(
        store: Store,
        clock: SharedClock,
        keys: &KeyRing,
        origin: &str,
    ) -> Result<Self, AuditError> {
        let mut signers = Vec::new();
        for seed in keys.log_signing_seeds().iter().filter(|seed| seed.active) {
            signers.push(
                NoteSigner::from_seed(origin, seed.seed.expose())
                    .map_err(|e| AuditError::Signing(e.to_string()))?,
            );
        }
        let verifiers = signers.iter().map(NoteSigner::verifier).collect();
        Ok(Self {
            store,
            clock,
            origin: origin.to_owned(),
            signers,
            verifiers,
            signing: tokio::sync::Mutex::new(()),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn verifiers(&self) -> &[NoteVerifier] {
        &self.verifiers
    }

    /// The verifier keys in signed-note vkey form, one per line.
    pub fn vkeys(&self) -> String {
        self.verifiers.iter().map(|v| format!("{v}\n")).collect()
    }

    /// Signs a checkpoint for the committed tree if it has grown since the last one, after
    /// checking that the new tree extends the last signed one; returns the latest checkpoint.
    pub async fn checkpoint_now(&self) -> Result<SignedCheckpoint, AuditError> {
        let _signing = self.signing.lock().await;
        let mut tx = self.store.read().await?;
        let frontier = Frontier::from_bytes(&tx.audit_head().await?)?;
        let latest = tx.latest_audit_checkpoint().await?;
        let (size, root) = (frontier.size(), frontier.root());
        if let Some(latest) = &latest {
            let latest = to_signed(latest)?;
            if latest.size == size {
                tx.rollback().await?;
                return Ok(latest);
            }
            if latest.size > size {
                return Err(AuditError::Inconsistent(format!(
                    "the log holds {size} entries but a checkpoint for {} was signed",
                    latest.size
                )));
            }
            let needs = merkle::consistency_proof_needs(latest.size, size)?;
            let stored = tx.audit_nodes(&needs).await?;
            let proven = merkle::consistency_proof(latest.size, size, &stored).and_then(|proof| {
                merkle::verify_consistency(latest.size, size, &latest.root, &root, &proof)
            });
            // A missing node counts the same as a wrong one: the extension is not proven.
            if let Err(e) = proven {
                return Err(AuditError::Inconsistent(format!(
                    "tree of size {size} does not extend checkpoint {}: {e}",
                    latest.size
                )));
            }
        }
        // The head row must agree with the stored nodes it summarises.
        let stored = tx.audit_nodes(&merkle::tree_root_needs(size)).await?;
        if merkle::tree_root(size, &stored)? != root {
            return Err(AuditError::Inconsistent(
                "the head row does not match the stored tree".into(),
            ));
        }
        tx.rollback().await?;

        let checkpoint = Checkpoint::new(self.origin.clone(), size, root);
        let signer_refs: Vec<&NoteSigner> = self.signers.iter().collect();
        let note = sign_checkpoint(&checkpoint, &signer_refs)
            .map_err(|e| AuditError::Signing(e.to_string()))?;
        let mut tx = self.store.write().await?;
        tx.insert_audit_checkpoint(size, &root, &note, self.clock.now_millis())
            .await?;
        let stored = tx
            .audit_checkpoint_at(size)
            .await?
            .ok_or_else(|| AuditError::Signing("checkpoint vanished".into()))?;
        tx.commit().await?;
        metrics::gauge!("audit_checkpoint_size").set(size as f64);
        tracing::info!(size, "signed audit checkpoint");
        to_signed(&stored)
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
    pub async fn checkpoint_covering(&self, index: u64) -> Result<SignedCheckpoint, AuditError> {
        let latest = self.latest_checkpoint().await?;
        if index < latest.size {
            return Ok(latest);
        }
        let fresh = self.checkpoint_now().await?;
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
    pub async fn proof_file(&self, index: u64) -> Result<String, AuditError> {
        let checkpoint = self.checkpoint_covering(index).await?;
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
            inclusion_proof: merkle::inclusion_proof(index, checkpoint.size, &stored)?,
            checkpoint: checkpoint.note,
        };
        proof
            .format()
            .map_err(|e| AuditError::Signing(e.to_string()))
    }

    /// A consistency proof between two tree sizes, both within the latest checkpoint.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, AuditError> {
        let latest = self.latest_checkpoint().await?;
        if old > new || new > latest.size {
            return Err(AuditError::OutOfRange(format!(
                "need old ≤ new ≤ {} (the latest checkpoint's size)",
                latest.size
            )));
        }
        let mut tx = self.store.read().await?;
        let stored = tx
            .audit_nodes(&merkle::consistency_proof_needs(old, new)?)
            .await?;
        tx.rollback().await?;
        Ok(merkle::consistency_proof(old, new, &stored)?)
    }

    /// A hash tile or entry bundle, served only within the latest signed checkpoint.
    pub async fn tile(&self, path: &TilePath) -> Result<Vec<u8>, AuditError> {
        let latest = self.latest_checkpoint().await?;
        self.tile_within(path, latest.size).await
    }

    /// A hash tile or entry bundle of the tree of `size` leaves.
    pub async fn tile_within(&self, path: &TilePath, size: u64) -> Result<Vec<u8>, AuditError> {
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

    /// Signs pending entries every `interval` until `shutdown` fires.
    pub async fn run_checkpointer(
        self: Arc<Self>,
        interval: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
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
pub fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|hash| BASE64.encode(hash)).collect()
}
