//! Offline export and verification: what a supervisor runs on their own machine, trusting only
//! the log's public key (and, with a policy, its witnesses).
//!
//! An export is a directory in the tlog-tiles layout — `checkpoint`, `key`, `tile/<L>/<N>…` hash
//! tiles and `tile/entries/<N>…` entry bundles — so any tlog-tiles client can read it too.

use std::path::{Path, PathBuf};

use super::checkpoint::open_checkpoint;
use super::log::{AuditError, AuditLog};
use super::merkle::{self, Frontier};
use super::note::{NoteVerifier, WitnessPolicy};
use super::proof::{LogTrust, TlogProof};
use super::tiles::{
    self, TilePath, decode_entry_bundle, entry_bundles_for_tree, hash_tiles_for_tree,
};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("{0}")]
    Tiles(#[from] tiles::TileVerifyError),
    #[error(
        "the log shrank: a saved checkpoint has {saved} entries but the export only {exported} (entries were deleted)"
    )]
    Shrunk { saved: u64, exported: u64 },
    #[error("the export does not extend the saved checkpoint of size {0}: history was rewritten")]
    Forked(u64),
    #[error("proof: {0}")]
    Proof(String),
}

#[derive(Debug)]
pub struct ExportSummary {
    pub size: u64,
    pub files: u64,
}

/// Writes the latest checkpoint (signing pending entries first), the verifier keys, and every
/// tile and entry bundle of that tree into `dir`.
pub async fn export(audit: &AuditLog, dir: &Path) -> Result<ExportSummary, ExportError> {
    let checkpoint = audit.checkpoint_now().await?;
    write(&dir.join("checkpoint"), checkpoint.note.as_bytes())?;
    write(&dir.join("key"), audit.vkeys().as_bytes())?;
    let mut files = 2;
    for tile in entry_bundles_for_tree(checkpoint.size).chain(hash_tiles_for_tree(checkpoint.size))
    {
        let bytes = audit.tile_within(&tile, checkpoint.size).await?;
        write(&dir.join(tile.to_string()), &bytes)?;
        files += 1;
    }
    Ok(ExportSummary {
        size: checkpoint.size,
        files,
    })
}

#[derive(Debug)]
pub struct VerifyReport {
    pub size: u64,
    pub entries: u64,
    pub hash_tiles: u64,
    pub witnesses: usize,
    /// Sizes of saved checkpoints the export was shown to extend.
    pub extends: Vec<u64>,
}

/// Checks an export with nothing but the given keys: the checkpoint's signature (and witness
/// quorum), every entry and tile against its root, and that it extends each saved checkpoint.
/// The first broken entry index or tile path is named.
pub fn verify_dir(
    dir: &Path,
    log_keys: &[NoteVerifier],
    witnesses: Option<&WitnessPolicy>,
    saved_checkpoints: &[String],
) -> Result<VerifyReport, ExportError> {
    let origin = origin_of(log_keys)?;
    let note = read_text(&dir.join("checkpoint"))?;
    let checkpoint = open_checkpoint(&note, &origin, log_keys, witnesses)
        .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
    let (size, root) = (checkpoint.checkpoint().size, checkpoint.checkpoint().root);
    let fetch = |path: &TilePath| std::fs::read(dir.join(path.to_string())).ok();
    let verified = tiles::verify_tiles(size, &root, fetch)?;
    let mut extends = Vec::new();
    for saved in saved_checkpoints {
        let saved = open_checkpoint(saved, &origin, log_keys, None)
            .map_err(|e| ExportError::Checkpoint(format!("saved checkpoint: {e}")))?;
        let saved = saved.checkpoint();
        if saved.size > size {
            return Err(ExportError::Shrunk {
                saved: saved.size,
                exported: size,
            });
        }
        if root_of_prefix(dir, saved.size)? != saved.root {
            return Err(ExportError::Forked(saved.size));
        }
        extends.push(saved.size);
    }
    Ok(VerifyReport {
        size,
        entries: verified.entries,
        hash_tiles: verified.hash_tiles,
        witnesses: checkpoint.witnesses().len(),
        extends,
    })
}

/// Every entry of a verified export (call [`verify_dir`] first: this only reads), in log order.
pub fn read_entries(dir: &Path, size: u64) -> Result<Vec<Vec<u8>>, ExportError> {
    let mut entries = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
    for bundle in entry_bundles_for_tree(size) {
        let path = dir.join(bundle.to_string());
        let bytes = std::fs::read(&path).map_err(|source| ExportError::Read { path, source })?;
        let decoded =
            decode_entry_bundle(&bytes).map_err(|e| ExportError::Checkpoint(e.to_string()))?;
        entries.extend(decoded.into_iter().map(<[u8]>::to_vec));
    }
    Ok(entries)
}

/// Verifies a tlog-proof file. The entry comes from `--entry` or from the proof's extra data
/// (where the server puts it); either way it is the proof that makes it trustworthy.
pub fn verify_proof_file(
    text: &str,
    log_keys: &[NoteVerifier],
    witnesses: Option<WitnessPolicy>,
    entry: Option<Vec<u8>>,
) -> Result<(u64, u64, Vec<u8>), ExportError> {
    let proof = TlogProof::parse(text).map_err(|e| ExportError::Proof(e.to_string()))?;
    let entry = entry.or_else(|| proof.extra.clone()).ok_or_else(|| {
        ExportError::Proof("the proof carries no entry; pass --entry FILE".into())
    })?;
    let trust = LogTrust {
        origin: origin_of(log_keys)?,
        log_keys: log_keys.to_vec(),
        witnesses,
    };
    let verified = proof
        .verify_entry(&entry, &trust)
        .map_err(|e| ExportError::Proof(e.to_string()))?;
    Ok((
        verified.index(),
        verified.checkpoint().checkpoint().size,
        entry,
    ))
}

/// Our log keys are named after the log's origin (the signed-note convention), so the origin a
/// verifier pins comes from the key it was given, never from the data it checks.
fn origin_of(log_keys: &[NoteVerifier]) -> Result<String, ExportError> {
    log_keys
        .first()
        .map(|key| key.name().to_owned())
        .ok_or_else(|| ExportError::Checkpoint("no log key given".into()))
}

fn root_of_prefix(dir: &Path, size: u64) -> Result<merkle::Hash, ExportError> {
    let mut frontier = Frontier::new();
    for bundle in entry_bundles_for_tree(size) {
        let path = dir.join(bundle.to_string());
        // A bundle of the export's own tree may be wider than the prefix needs.
        let bytes = std::fs::read(&path).or_else(|_| {
            let full = TilePath::entries(bundle.index(), tiles::TILE_WIDTH)
                .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
            std::fs::read(dir.join(full.to_string()))
                .map_err(|source| ExportError::Read { path, source })
        });
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(_) => return Err(ExportError::Forked(size)),
        };
        let entries =
            decode_entry_bundle(&bytes).map_err(|e| ExportError::Checkpoint(e.to_string()))?;
        for entry in entries.into_iter().take(usize::from(bundle.width())) {
            frontier
                .append(merkle::leaf_hash(entry))
                .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
        }
    }
    Ok(frontier.root())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let error = |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::write(path, bytes).map_err(error)
}

fn read_text(path: &Path) -> Result<String, ExportError> {
    std::fs::read_to_string(path).map_err(|source| ExportError::Read {
        path: path.to_path_buf(),
        source,
    })
}
