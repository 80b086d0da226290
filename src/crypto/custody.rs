//! Split custody of the key file for recovery: Shamir's secret sharing over GF(256) (crate
//! `blahaj`) splits the file's bytes into N shares of which any M rebuild it and M − 1 reveal
//! nothing. Each share goes to its own holder in its own file; the file carries what recovery
//! needs to refuse a damaged, forged or mismatched share by name instead of rebuilding garbage.
//!
//! Share file (`sealdraw-key-share/v1`, JSON): the split's random id, the share's index, N and
//! M, the SHA-256 of the whole key file (so a rebuilt file is checked before it is written),
//! the share itself (base64: x ‖ y₁…yₙ as `blahaj` writes it), and a SHA-256 checksum over all
//! of these, which names a share damaged in storage or transit.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::keys::{KeyFileError, check_key_file_text, write_new_private_file};
use super::{Rng, Suite, constant_time_eq};

const SHARE_FORMAT: &str = "sealdraw-key-share/v1";

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error("a split needs 2 ≤ threshold ≤ shares ≤ 255; got {threshold} of {shares}")]
    Counts { shares: usize, threshold: usize },
    #[error("{path}: {problem}")]
    Share { path: String, problem: String },
    #[error("{0}")]
    Mismatch(String),
    #[error("this split needs {needed} different shares; {given} given")]
    TooFew { needed: usize, given: usize },
    #[error(
        "the shares rebuild a file that is not the key file they were split from (a share is \
         forged or from another split)"
    )]
    WrongResult,
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFile {
    format: String,
    split: String,
    index: u8,
    shares: u8,
    threshold: u8,
    key_file_sha256: String,
    share: Zeroizing<String>,
    checksum: String,
}

impl ShareFile {
    fn checksum(&self) -> String {
        hex::encode(
            Suite::Intl2024.hash(
                format!(
                    "{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
                    self.format,
                    self.split,
                    self.index,
                    self.shares,
                    self.threshold,
                    self.key_file_sha256,
                    &*self.share
                )
                .as_bytes(),
            ),
        )
    }
}

/// Splits the key file at `key_file` into `shares` share files in `out_dir`, any `threshold`
/// of which rebuild it. Returns the files written (`<stem>.share-<i>-of-<n>.json`, mode 0600);
/// writes none if any already exists.
pub fn split_key_file(
    key_file: &Path,
    out_dir: &Path,
    shares: usize,
    threshold: usize,
    rng: &Rng,
) -> Result<Vec<PathBuf>, CustodyError> {
    let (Ok(share_count), Ok(threshold_count)) = (u8::try_from(shares), u8::try_from(threshold))
    else {
        return Err(CustodyError::Counts { shares, threshold });
    };
    if threshold < 2 || threshold > shares {
        return Err(CustodyError::Counts { shares, threshold });
    }
    let secret = Zeroizing::new(
        std::fs::read(key_file).map_err(|source| KeyFileError::Read {
            path: key_file.display().to_string(),
            source,
        })?,
    );
    let text = std::str::from_utf8(&secret)
        .map_err(|_| KeyFileError::Invalid("the key file is not UTF-8".into()))?;
    check_key_file_text(text)?;

    let stem = key_file
        .file_stem()
        .map_or_else(|| "keys".into(), |s| s.to_string_lossy().into_owned());
    let paths: Vec<PathBuf> = (1..=shares)
        .map(|i| out_dir.join(format!("{stem}.share-{i}-of-{shares}.json")))
        .collect();
    if let Some(existing) = paths.iter().find(|p| p.exists()) {
        return Err(KeyFileError::Exists(existing.display().to_string()).into());
    }

    // The polynomials' coefficients come from a ChaCha generator seeded from the injected
    // CSPRNG: `blahaj` asks for an infallible `rand` generator, ours can fail.
    let seed = Zeroizing::new(rng.bytes::<32>().map_err(|_| KeyFileError::Randomness)?);
    let mut coefficients = rand::rngs::StdRng::from_seed(*seed);
    let split = hex::encode(rng.bytes::<8>().map_err(|_| KeyFileError::Randomness)?);
    let key_file_sha256 = hex::encode(Suite::Intl2024.hash(&secret));
    let dealt = blahaj::Sharks(threshold_count).dealer_rng(&secret, &mut coefficients);
    for ((index, share), path) in (1..=share_count).zip(dealt).zip(&paths) {
        let bytes = Zeroizing::new(Vec::from(&share));
        let mut file = ShareFile {
            format: SHARE_FORMAT.into(),
            split: split.clone(),
            index,
            shares: share_count,
            threshold: threshold_count,
            key_file_sha256: key_file_sha256.clone(),
            share: Zeroizing::new(B64.encode(&*bytes)),
            checksum: String::new(),
        };
        file.checksum = file.checksum();
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&file)
                .map_err(|e| KeyFileError::Invalid(e.to_string()))?,
        );
        write_new_private_file(path, text.as_bytes())?;
    }
    Ok(paths)
}

/// Rebuilds a key file from share files and writes it to `out` (mode 0600, never over an
/// existing file). Refuses, naming the file, a share that is damaged or of another split, and
/// refuses fewer shares than the split's threshold.
pub fn recover_key_file(share_files: &[PathBuf], out: &Path) -> Result<(), CustodyError> {
    let mut read = Vec::with_capacity(share_files.len());
    for path in share_files {
        let problem = |problem: String| CustodyError::Share {
            path: path.display().to_string(),
            problem,
        };
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| problem(format!("cannot be read: {e}")))?,
        );
        let file: ShareFile = serde_json::from_str(&text)
            .map_err(|e| problem(format!("is not a share file: {e}")))?;
        if file.format != SHARE_FORMAT {
            return Err(problem(format!(
                "format {:?} is not {SHARE_FORMAT}",
                file.format
            )));
        }
        if !constant_time_eq(file.checksum.as_bytes(), file.checksum().as_bytes()) {
            return Err(problem(
                "its checksum does not match its contents: the share is damaged".into(),
            ));
        }
        let bytes = Zeroizing::new(
            B64.decode(file.share.as_bytes())
                .map_err(|_| problem("its share is not base64".into()))?,
        );
        if bytes.first() != Some(&file.index) {
            return Err(problem("its share does not carry its index".into()));
        }
        read.push((path, file, bytes));
    }
    let Some((_, first, _)) = read.first() else {
        return Err(CustodyError::TooFew {
            needed: 2,
            given: 0,
        });
    };
    for (path, file, _) in &read[1..] {
        if (
            &file.split,
            file.threshold,
            file.shares,
            &file.key_file_sha256,
        ) != (
            &first.split,
            first.threshold,
            first.shares,
            &first.key_file_sha256,
        ) {
            return Err(CustodyError::Mismatch(format!(
                "{} is a share of split {}, not of split {} like {}",
                path.display(),
                file.split,
                first.split,
                share_files[0].display()
            )));
        }
    }
    let mut indexes: Vec<u8> = read.iter().map(|(_, file, _)| file.index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    let needed = usize::from(first.threshold);
    if indexes.len() < needed {
        return Err(CustodyError::TooFew {
            needed,
            given: indexes.len(),
        });
    }
    let shares = read
        .iter()
        .map(|(path, _, bytes)| {
            blahaj::Share::try_from(bytes.as_slice()).map_err(|e| CustodyError::Share {
                path: path.display().to_string(),
                problem: e.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let secret = Zeroizing::new(
        blahaj::Sharks(first.threshold)
            .recover(&shares)
            .map_err(|e| CustodyError::Mismatch(e.to_owned()))?,
    );
    let digest = hex::encode(Suite::Intl2024.hash(&secret));
    if !constant_time_eq(digest.as_bytes(), first.key_file_sha256.as_bytes()) {
        return Err(CustodyError::WrongResult);
    }
    write_new_private_file(out, &secret)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyRing;

    fn key_file(dir: &Path) -> PathBuf {
        let path = dir.join("keys.json");
        KeyRing::init_file(
            &path,
            &Rng::danger_deterministic(b"custody"),
            "2026",
            Suite::Intl2024,
        )
        .unwrap();
        path
    }

    #[test]
    fn any_threshold_of_shares_rebuilds_the_file_and_fewer_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let original = key_file(dir.path());
        let rng = Rng::danger_deterministic(b"split");
        let shares = split_key_file(&original, &dir.path().join("shares"), 5, 3, &rng).unwrap();
        assert_eq!(shares.len(), 5);
        for (n, picked) in [[0, 1, 2], [4, 2, 0], [1, 3, 4]].iter().enumerate() {
            let out = dir.path().join(format!("recovered-{n}.json"));
            let files: Vec<_> = picked.iter().map(|&i| shares[i].clone()).collect();
            recover_key_file(&files, &out).unwrap();
            assert_eq!(
                std::fs::read(&out).unwrap(),
                std::fs::read(&original).unwrap()
            );
        }
        let out = dir.path().join("too-few.json");
        let error = recover_key_file(&shares[..2], &out).unwrap_err();
        assert_eq!(
            error.to_string(),
            "this split needs 3 different shares; 2 given"
        );
        // The same share twice is one share.
        let twice = [shares[0].clone(), shares[0].clone(), shares[1].clone()];
        assert!(matches!(
            recover_key_file(&twice, &out),
            Err(CustodyError::TooFew {
                needed: 3,
                given: 2
            })
        ));
        assert!(!out.exists());
    }

    #[test]
    fn bad_counts_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let original = key_file(dir.path());
        let rng = Rng::danger_deterministic(b"split");
        for (shares, threshold) in [(3, 1), (3, 4), (300, 2), (1, 1)] {
            let out = dir.path().join(format!("s-{shares}-{threshold}"));
            assert!(matches!(
                split_key_file(&original, &out, shares, threshold, &rng),
                Err(CustodyError::Counts { .. })
            ));
            assert!(!out.exists());
        }
    }
}
