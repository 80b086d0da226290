//! The witness's own key file: one private key (an Ed25519 seed, or an SM2 scalar for a
//! national-suite log's witness), for `sealdraw witness`. It is separate from the
//! server's key ring because a witness is run by a different body (a supervisor), on a different
//! machine, and must never share a key with the log it watches.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::keys::KeyFileError;
use super::{Rng, Signer, Suite};

const FORMAT: &str = "sealdraw-witness-key/v1";
const SEED_LEN: usize = super::signing::SEED_LEN;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessKeyFile {
    format: String,
    /// Which suite's signatures the witness makes; files written before the national suite
    /// existed have none and are Ed25519.
    #[serde(default = "international")]
    suite: Suite,
    /// Base64 of the 32-byte private key (Ed25519 seed per RFC 8032, or SM2 scalar).
    seed: Zeroizing<String>,
}

/// Creates a new witness key file (mode 0600) and returns its key. Refuses to replace an
/// existing file: a witness that loses its key loses its identity, and every verifier's policy
/// names that key.
pub fn init_witness_key(path: &Path, rng: &Rng, suite: Suite) -> Result<Signer, KeyFileError> {
    let write_err = |source| KeyFileError::Write {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        return Err(KeyFileError::Exists(path.display().to_string()));
    }
    let seed = Signer::generate_seed(suite, rng).map_err(|_| KeyFileError::Randomness)?;
    let file = WitnessKeyFile {
        format: FORMAT.into(),
        suite,
        seed: Zeroizing::new(B64.encode(*seed)),
    };
    let text = Zeroizing::new(
        serde_json::to_string_pretty(&file).map_err(|e| KeyFileError::Invalid(e.to_string()))?,
    );
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(write_err)?;
    }
    let mut options = std::fs::OpenOptions::new();
    // `create_new` also closes the race with another process creating the file meanwhile.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(path.display().to_string()),
        _ => write_err(source),
    })?;
    handle.write_all(text.as_bytes()).map_err(write_err)?;
    handle.write_all(b"\n").map_err(write_err)?;
    handle.sync_all().map_err(write_err)?;
    signer(suite, &*seed)
}

fn international() -> Suite {
    Suite::Intl2024
}

/// Reads the key from a file made by [`init_witness_key`].
pub fn load_witness_key(path: &Path) -> Result<Signer, KeyFileError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                path: path.display().to_string(),
                source,
            })?,
        );
    // serde's messages quote the offending input, which could be the seed: say less.
    let file: WitnessKeyFile = serde_json::from_str(&text).map_err(|_| {
        KeyFileError::Invalid(format!(
            "{} is not a witness key file ({FORMAT})",
            path.display()
        ))
    })?;
    if file.format != FORMAT {
        return Err(KeyFileError::Invalid(format!(
            "format {:?} is not {FORMAT}",
            file.format
        )));
    }
    let seed = Zeroizing::new(
        B64.decode(file.seed.as_bytes())
            .map_err(|_| KeyFileError::Invalid("the witness seed is not base64".into()))?,
    );
    if seed.len() != SEED_LEN {
        return Err(KeyFileError::Invalid(format!(
            "the witness seed is not {SEED_LEN} bytes"
        )));
    }
    signer(file.suite, &seed)
}

fn signer(suite: Suite, seed: &[u8]) -> Result<Signer, KeyFileError> {
    Signer::from_seed(suite, seed)
        .map_err(|e| KeyFileError::Invalid(format!("the witness seed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_key_file_is_private_loads_back_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.key");
        let rng = Rng::danger_deterministic(b"witness");
        let created = init_witness_key(&path, &rng, Suite::Intl2024).unwrap();
        let loaded = load_witness_key(&path).unwrap();
        assert_eq!(created.public_key(), loaded.public_key());
        assert_eq!(created.sign(b"m"), loaded.sign(b"m"));
        assert!(matches!(
            init_witness_key(&path, &rng, Suite::Intl2024),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(
            load_witness_key(&path).unwrap().public_key(),
            loaded.public_key()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "witness key must not be readable by others"
            );
        }
    }

    #[test]
    fn malformed_witness_key_files_are_refused_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.key");
        for (text, why) in [
            ("not json at all AAAAsecret", "not JSON"),
            (r#"{"format":"other","seed":"AAAA"}"#, "wrong format"),
            (
                r#"{"format":"sealdraw-witness-key/v1","seed":"AAAA"}"#,
                "short seed",
            ),
            (
                r#"{"format":"sealdraw-witness-key/v1","seed":"!!"}"#,
                "not base64",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let error = load_witness_key(&path).err().expect(why).to_string();
            assert!(!error.contains("AAAAsecret"), "{why}: {error}");
        }
        assert!(matches!(
            load_witness_key(&dir.path().join("missing")),
            Err(KeyFileError::Read { .. })
        ));
    }

    #[test]
    fn a_national_suite_witness_key_signs_with_sm2_and_older_files_are_ed25519() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.key");
        let rng = Rng::danger_deterministic(b"witness");
        let created = init_witness_key(&path, &rng, Suite::Gm2024).unwrap();
        let loaded = load_witness_key(&path).unwrap();
        assert_eq!(loaded.algorithm().suite(), Suite::Gm2024);
        assert_eq!(created.public_key(), loaded.public_key());
        let older = dir.path().join("older.key");
        std::fs::write(
            &older,
            format!(
                r#"{{"format":"{FORMAT}","seed":"{}"}}"#,
                B64.encode([5u8; 32])
            ),
        )
        .unwrap();
        assert_eq!(
            load_witness_key(&older).unwrap().algorithm().suite(),
            Suite::Intl2024
        );
    }
}
