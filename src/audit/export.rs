//! Offline export and verification: what a supervisor runs on their own machine, trusting only
//! the log's public key (and, with a policy, its witnesses).
//!
//! An export is a directory in the tlog-tiles layout — `checkpoint`, `key`, `tile/<L>/<N>…` hash
//! tiles and `tile/entries/<N>…` entry bundles — so any tlog-tiles client can read it too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::checkpoint::open_checkpoint;
use super::log::{AuditError, AuditLog};
use super::note::{NoteVerifier, WitnessPolicy};
use super::proof::{LogTrust, TlogProof};
use super::tiles::{
    self, TilePath, decode_entry_bundle, entry_bundles_for_tree, hash_tiles_for_tree,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file that is missing or unreadable: the export cannot be verified, which says nothing
    /// about whether it was tampered with.
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

impl ExportError {
    /// Whether the export could not be checked at all (a file missing or unreadable), as
    /// opposed to checked and found wrong.
    pub(crate) fn is_unreadable(&self) -> bool {
        matches!(self, Self::Read { .. })
    }
}

#[derive(Debug)]
pub(crate) struct ExportSummary {
    pub size: u64,
    pub(crate) files: u64,
}

/// Writes the latest checkpoint (signing pending entries first), the verifier keys, and every
/// tile and entry bundle of that tree into `dir`.
pub(crate) async fn export(audit: &AuditLog, dir: &Path) -> Result<ExportSummary, ExportError> {
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
pub(crate) struct VerifyReport {
    /// The log's suite, as its keys tell it.
    pub(crate) suite: crate::crypto::Suite,
    pub size: u64,
    pub entries: u64,
    pub(crate) hash_tiles: u64,
    pub witnesses: usize,
    /// Sizes of saved checkpoints the export was shown to extend.
    pub(crate) extends: Vec<u64>,
}

/// Checks an export with nothing but the given keys: the checkpoint's signature (and witness
/// quorum), every entry and tile against its root, and that it extends each saved checkpoint.
/// The first broken entry index or tile path is named.
pub(crate) fn verify_dir(
    dir: &Path,
    log_keys: &[NoteVerifier],
    witnesses: Option<&WitnessPolicy>,
    saved_checkpoints: &[String],
) -> Result<VerifyReport, ExportError> {
    let origin = origin_of(log_keys)?;
    let suite = crate::audit::proof::suite_of(log_keys)
        .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
    let note = read_text(&dir.join("checkpoint"))?;
    let checkpoint = open_checkpoint(&note, &origin, log_keys, witnesses)
        .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
    let (size, root) = (checkpoint.checkpoint().size, checkpoint.checkpoint().root);
    let mut saved_trees = Vec::new();
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
        saved_trees.push((saved.size, saved.root));
    }
    let prefixes: BTreeSet<u64> = saved_trees.iter().map(|(size, _)| *size).collect();
    let mut unreadable = None;
    let fetch = |tile: &TilePath| {
        let path = dir.join(tile.to_string());
        std::fs::read(&path)
            .map_err(|source| unreadable = Some(ExportError::Read { path, source }))
            .ok()
    };
    let verified = tiles::verify_tiles_and_prefixes(suite, size, &root, &prefixes, fetch);
    let (verified, prefix_roots) = match (verified, unreadable) {
        (Ok(verified), _) => verified,
        (Err(tiles::TileVerifyError::Missing(_)), Some(unreadable)) => return Err(unreadable),
        (Err(error), _) => return Err(error.into()),
    };
    let mut extends = Vec::new();
    for (saved_size, saved_root) in saved_trees {
        if prefix_roots.get(&saved_size) != Some(&saved_root) {
            return Err(ExportError::Forked(saved_size));
        }
        extends.push(saved_size);
    }
    Ok(VerifyReport {
        suite,
        size,
        entries: verified.entries,
        hash_tiles: verified.hash_tiles,
        witnesses: checkpoint.witnesses().len(),
        extends,
    })
}

/// Every entry of a verified export (call [`verify_dir`] first: this only reads), in log order.
pub(crate) fn read_entries(dir: &Path, size: u64) -> Result<Vec<Vec<u8>>, ExportError> {
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
pub(crate) fn verify_proof_file(
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

#[cfg(test)]
mod tests {
    use crate::crypto::Suite;
    use proptest::prelude::*;

    use super::*;
    use crate::audit::checkpoint::{Checkpoint, sign_checkpoint};
    use crate::audit::merkle::MemoryTree;
    use crate::audit::note::NoteSigner;
    use crate::audit::tiles::{build_hash_tile, encode_entry_bundle, tile_needs};

    const ORIGIN: &str = "sealdraw.test/log";

    /// A log of `entries` entries kept in memory, signing checkpoints of any of its sizes.
    struct Log {
        signer: NoteSigner,
        entries: Vec<Vec<u8>>,
        tree: MemoryTree,
    }

    impl Log {
        fn new(entries: u64, seed: u8) -> Self {
            let mut log = Self {
                signer: NoteSigner::new(
                    ORIGIN,
                    crate::crypto::Signer::from_seed(Suite::Intl2024, &[7; 32]).unwrap(),
                )
                .unwrap(),
                entries: Vec::new(),
                tree: MemoryTree::new(Suite::Intl2024),
            };
            for index in 0..entries {
                let entry = format!("entry {index} of log {seed}").into_bytes();
                log.tree.append(&entry).unwrap();
                log.entries.push(entry);
            }
            log
        }

        fn keys(&self) -> Vec<NoteVerifier> {
            vec![self.signer.verifier()]
        }

        fn checkpoint(&self, size: u64) -> String {
            let root = self.tree.root_at(size).unwrap();
            sign_checkpoint(&Checkpoint::new(ORIGIN, size, root), &[&self.signer]).unwrap()
        }

        /// Writes the export of the whole log, as `export` does, into a fresh directory.
        fn export(&self) -> tempfile::TempDir {
            let dir = tempfile::tempdir().unwrap();
            let size = self.entries.len() as u64;
            write(
                &dir.path().join("checkpoint"),
                self.checkpoint(size).as_bytes(),
            )
            .unwrap();
            for tile in hash_tiles_for_tree(size) {
                let stored = self.tree.lookup(&tile_needs(&tile).unwrap());
                let bytes = build_hash_tile(&tile, &stored).unwrap();
                write(&dir.path().join(tile.to_string()), &bytes).unwrap();
            }
            for bundle in entry_bundles_for_tree(size) {
                let (start, end) = bundle.leaf_range();
                let entries = &self.entries[start as usize..end as usize];
                let bytes = encode_entry_bundle(entries.iter().map(Vec::as_slice)).unwrap();
                write(&dir.path().join(bundle.to_string()), &bytes).unwrap();
            }
            dir
        }

        fn verify_since(&self, dir: &Path, saved: &[u64]) -> Result<VerifyReport, ExportError> {
            let saved: Vec<String> = saved.iter().map(|&size| self.checkpoint(size)).collect();
            verify_dir(dir, &self.keys(), None, &saved)
        }
    }

    #[test]
    fn a_log_that_grew_within_its_last_tile_extends_its_earlier_checkpoints() {
        // The sizes of the review's report.
        for (old, new) in [(52, 83), (2_881, 2_884)] {
            let log = Log::new(new, 0);
            let export = log.export();
            let report = log.verify_since(export.path(), &[old]).unwrap();
            assert_eq!(report.extends, vec![old]);
        }
    }

    #[test]
    fn every_pair_of_sizes_up_to_three_hundred_verifies() {
        // Checkpoints are signed once per size; each export is checked against all earlier ones.
        let log = Log::new(300, 0);
        let checkpoints: Vec<String> = (0..=300).map(|size| log.checkpoint(size)).collect();
        for new in 0..=300_u64 {
            let grown = Log::new(new, 0);
            let export = grown.export();
            let saved = &checkpoints[..=new as usize];
            let report = verify_dir(export.path(), &log.keys(), None, saved)
                .unwrap_or_else(|error| panic!("size {new}: {error}"));
            assert_eq!(report.extends, (0..=new).collect::<Vec<_>>());
        }
    }

    /// Earlier sizes near the interesting places: the same tile as `new`, tile boundaries, the
    /// start, anywhere.
    fn earlier_sizes(new: u64) -> Vec<u64> {
        let tile = u64::from(tiles::TILE_WIDTH);
        let start_of_last_tile = new / tile * tile;
        let mut sizes = vec![0, 1, new, new.saturating_sub(1), start_of_last_tile];
        sizes.extend([start_of_last_tile + 1, start_of_last_tile.saturating_sub(1)]);
        sizes.extend([tile - 1, tile, tile + 1]);
        sizes.retain(|&size| size <= new);
        sizes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn a_grown_log_verifies_since_any_earlier_size(
            new in 257_u64..5_000,
            fraction in 0.0_f64..=1.0,
        ) {
            let log = Log::new(new, 0);
            let export = log.export();
            let mut saved = earlier_sizes(new);
            saved.push((new as f64 * fraction) as u64);
            let report = log.verify_since(export.path(), &saved);
            prop_assert!(report.is_ok(), "{new} since {saved:?}: {report:?}");
            let mut extends = report.unwrap().extends;
            extends.sort_unstable();
            saved.sort_unstable();
            prop_assert_eq!(extends, saved);
        }

        #[test]
        fn a_rewritten_history_is_detected_at_any_size(
            new in 1_u64..1_000,
            fraction in 0.0_f64..=1.0,
        ) {
            let old = ((new as f64 * fraction) as u64).max(1);
            // Another history, signed with the same key: what an operator could produce.
            let other = Log::new(old, 1);
            let log = Log::new(new, 0);
            let export = log.export();
            let result = verify_dir(export.path(), &log.keys(), None, &[other.checkpoint(old)]);
            prop_assert!(
                matches!(result, Err(ExportError::Forked(size)) if size == old),
                "{new} since a rewritten {old}: {result:?}"
            );
        }
    }

    #[test]
    fn a_missing_file_cannot_be_verified_and_is_named_rather_than_called_tampering() {
        let log = Log::new(83, 0);
        let export = log.export();
        let missing = export.path().join("tile/entries/000.p/83");
        std::fs::remove_file(&missing).unwrap();
        let error = log.verify_since(export.path(), &[52]).unwrap_err();
        assert!(error.is_unreadable(), "{error}");
        assert!(matches!(&error, ExportError::Read { path, .. } if *path == missing));
        assert!(
            error.to_string().contains("tile/entries/000.p/83"),
            "{error}"
        );

        std::fs::remove_file(export.path().join("checkpoint")).unwrap();
        let error = log.verify_since(export.path(), &[]).unwrap_err();
        assert!(error.is_unreadable(), "{error}");
    }

    #[test]
    fn a_log_that_shrank_is_still_reported_as_such() {
        let log = Log::new(40, 0);
        let export = Log::new(30, 0).export();
        let error = log.verify_since(export.path(), &[40]).unwrap_err();
        assert!(
            matches!(
                error,
                ExportError::Shrunk {
                    saved: 40,
                    exported: 30
                }
            ),
            "{error}"
        );
    }
}
