//! Offline-verifiable inclusion proofs (c2sp.org/tlog-proof): an entry's
//! index, its inclusion proof and the signed checkpoint in one text file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::checkpoint::{Checkpoint, CheckpointError, VerifiedCheckpoint, open_checkpoint};
use super::merkle::{self, HASH_LEN, Hash, MerkleError};
use super::note::{MAX_NOTE_BYTES, Note, NoteVerifier, WitnessPolicy};
use crate::crypto::Suite;

/// First line of every proof.
pub(crate) const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// A tree with a 64-bit size is at most 64 levels deep.
pub(crate) const MAX_PROOF_HASHES: usize = 64;
/// Room for the header lines (with generous extra data) plus the note.
const MAX_PROOF_BYTES: usize = MAX_NOTE_BYTES + 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("inclusion proof line {line} is not the canonical base64 encoding of a 32-byte hash")]
    BadProofHash { line: usize },
    #[error("proof checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("inclusion proof does not verify against the checkpoint: {0}")]
    Inclusion(#[from] MerkleError),
    #[error("the trusted log keys are of two suites ({0} and {1}); a log has one")]
    MixedSuites(Suite, Suite),
    #[error("no trusted log key is given")]
    NoLogKey,
}

/// A parsed proof; nothing in it is trusted until [`TlogProof::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Unauthenticated application data; never trust it implicitly.
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    /// Leaf's sibling first, root's child last.
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

/// What a verifier trusts about one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTrust {
    pub origin: String,
    pub log_keys: Vec<NoteVerifier>,
    /// Required witness cosignatures, if any.
    pub witnesses: Option<WitnessPolicy>,
}

impl LogTrust {
    /// The log's suite, as its keys tell it: Ed25519 keys sign SHA-256 trees, SM2 keys SM3
    /// ones. A verifier is never told the suite separately, so it cannot be told a wrong one.
    pub fn suite(&self) -> Result<Suite, ProofError> {
        suite_of(&self.log_keys)
    }
}

/// The suite of the log these keys sign for; refused when they are of two suites or none.
pub fn suite_of(log_keys: &[NoteVerifier]) -> Result<Suite, ProofError> {
    let first = log_keys.first().ok_or(ProofError::NoLogKey)?.suite();
    match log_keys.iter().find(|key| key.suite() != first) {
        Some(other) => Err(ProofError::MixedSuites(first, other.suite())),
        None => Ok(first),
    }
}

/// A proof that verified: the entry is at `index` in the tree the checkpoint
/// commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    checkpoint: VerifiedCheckpoint,
    index: u64,
}

impl VerifiedProof {
    pub fn checkpoint(&self) -> &VerifiedCheckpoint {
        &self.checkpoint
    }

    pub fn index(&self) -> u64 {
        self.index
    }
}

impl TlogProof {
    /// Parses a proof strictly, including the syntax of its checkpoint note.
    pub fn parse(text: &str) -> Result<Self, ProofError> {
        if text.len() > MAX_PROOF_BYTES {
            return Err(ProofError::Malformed("it is too large"));
        }
        // Header lines are never empty, so the first blank line ends them.
        let (header, checkpoint) = text
            .split_once("\n\n")
            .ok_or(ProofError::Malformed("no blank line before the checkpoint"))?;
        let mut lines = header.split('\n');
        if lines.next() != Some(PROOF_HEADER) {
            return Err(ProofError::Malformed(
                "the first line is not c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = lines.next();
        let extra = match line.and_then(|l| l.strip_prefix("extra ")) {
            Some(encoded) => {
                line = lines.next();
                Some(parse_extra(encoded)?)
            }
            None => None,
        };
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .and_then(parse_canonical_decimal)
            .ok_or(ProofError::Malformed(
                "the index line is missing or not a decimal without leading zeroes",
            ))?;
        let mut inclusion_proof = Vec::new();
        for (offset, encoded) in lines.enumerate() {
            if inclusion_proof.len() == MAX_PROOF_HASHES {
                return Err(ProofError::Malformed(
                    "the inclusion proof has too many hashes",
                ));
            }
            inclusion_proof
                .push(parse_hash(encoded).ok_or(ProofError::BadProofHash { line: offset + 1 })?);
        }
        check_checkpoint_syntax(checkpoint)?;
        Ok(Self {
            extra,
            index,
            inclusion_proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// The proof file's text, validated so that it parses back to `self`.
    pub fn format(&self) -> Result<String, ProofError> {
        if self.inclusion_proof.len() > MAX_PROOF_HASHES {
            return Err(ProofError::Malformed(
                "the inclusion proof has too many hashes",
            ));
        }
        check_checkpoint_syntax(&self.checkpoint)?;
        let mut text = format!("{PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            if extra.is_empty() {
                return Err(ProofError::Malformed(
                    "extra data must be non-empty; omit it instead",
                ));
            }
            text.push_str(&format!("extra {}\n", BASE64.encode(extra)));
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.inclusion_proof {
            text.push_str(&BASE64.encode(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        if text.len() > MAX_PROOF_BYTES {
            return Err(ProofError::Malformed("it is too large"));
        }
        Ok(text)
    }

    /// Verifies that `entry` is in the log `trust` describes.
    pub(crate) fn verify_entry(
        &self,
        entry: &[u8],
        trust: &LogTrust,
    ) -> Result<VerifiedProof, ProofError> {
        self.verify(&merkle::leaf_hash(trust.suite()?, entry), trust)
    }

    /// Verifies the checkpoint (log signature, origin, witness quorum) and
    /// then the inclusion of `leaf_hash` at `index` under its root.
    pub fn verify(&self, leaf_hash: &Hash, trust: &LogTrust) -> Result<VerifiedProof, ProofError> {
        let checkpoint = open_checkpoint(
            &self.checkpoint,
            &trust.origin,
            &trust.log_keys,
            trust.witnesses.as_ref(),
        )?;
        let Checkpoint { size, root, .. } = checkpoint.checkpoint();
        merkle::verify_inclusion(
            trust.suite()?,
            leaf_hash,
            self.index,
            *size,
            &self.inclusion_proof,
            root,
        )?;
        Ok(VerifiedProof {
            checkpoint,
            index: self.index,
        })
    }
}

fn check_checkpoint_syntax(signed_checkpoint: &str) -> Result<(), ProofError> {
    let note = Note::parse(signed_checkpoint).map_err(CheckpointError::from)?;
    Checkpoint::parse(&note.text)?;
    Ok(())
}

fn parse_extra(encoded: &str) -> Result<Vec<u8>, ProofError> {
    let extra = BASE64
        .decode(encoded)
        .map_err(|_| ProofError::Malformed("extra data is not canonical base64"))?;
    if extra.is_empty() {
        return Err(ProofError::Malformed("extra data is empty"));
    }
    Ok(extra)
}

fn parse_hash(encoded: &str) -> Option<Hash> {
    let bytes = BASE64.decode(encoded).ok()?;
    let hash: [u8; HASH_LEN] = bytes.try_into().ok()?;
    Some(hash)
}

fn parse_canonical_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::checkpoint::sign_checkpoint;
    use crate::audit::merkle::MemoryTree;
    use crate::audit::note::{CosignatureSigner, NoteError, NoteSigner};

    const ORIGIN: &str = "sealdraw.example/log";

    #[test]
    fn a_logs_suite_is_its_keys_and_keys_of_two_suites_are_refused() {
        let key = |suite: Suite, byte: u8| {
            NoteSigner::new(
                ORIGIN,
                crate::crypto::Signer::from_seed(suite, &[byte; 32]).unwrap(),
            )
            .unwrap()
            .verifier()
        };
        let gm = [key(Suite::Gm2024, 3), key(Suite::Gm2024, 4)];
        assert_eq!(suite_of(&gm).unwrap(), Suite::Gm2024);
        assert_eq!(
            suite_of(&[key(Suite::Intl2024, 3)]).unwrap(),
            Suite::Intl2024
        );
        assert!(matches!(
            suite_of(&[key(Suite::Intl2024, 3), key(Suite::Gm2024, 3)]),
            Err(ProofError::MixedSuites(Suite::Intl2024, Suite::Gm2024))
        ));
        assert!(matches!(suite_of(&[]), Err(ProofError::NoLogKey)));
    }

    struct Fixture {
        log: NoteSigner,
        witness: CosignatureSigner,
        proof: TlogProof,
    }

    fn entry(i: u64) -> Vec<u8> {
        format!("drawing {i}").into_bytes()
    }

    fn fixture(index: u64, size: u64) -> Fixture {
        let log = NoteSigner::new(
            ORIGIN,
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[1; 32]).unwrap(),
        )
        .unwrap();
        let witness = CosignatureSigner::new(
            "witness.example",
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[2; 32]).unwrap(),
        )
        .unwrap();
        let mut tree = MemoryTree::new(Suite::Intl2024);
        for i in 0..size {
            tree.append(&entry(i)).unwrap();
        }
        let checkpoint = Checkpoint::new(ORIGIN, size, tree.root());
        let signed = sign_checkpoint(&checkpoint, &[&log]).unwrap();
        let proof = TlogProof {
            extra: None,
            index,
            inclusion_proof: tree.inclusion_proof(index, size).unwrap(),
            checkpoint: signed,
        };
        Fixture {
            log,
            witness,
            proof,
        }
    }

    fn trust(fixture: &Fixture) -> LogTrust {
        LogTrust {
            origin: ORIGIN.to_owned(),
            log_keys: vec![fixture.log.verifier()],
            witnesses: None,
        }
    }

    #[test]
    fn proofs_round_trip_and_verify() {
        let mut fixture = fixture(42, 100);
        fixture.proof.extra = Some(b"age-v1.2.1-darwin-arm64.tar.gz".to_vec());
        let text = fixture.proof.format().unwrap();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra YWdl"));
        assert!(text.contains("\nindex 42\n"));
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed, fixture.proof);
        assert_eq!(parsed.format().unwrap(), text);
        let verified = parsed.verify_entry(&entry(42), &trust(&fixture)).unwrap();
        assert_eq!(verified.index(), 42);
        assert_eq!(verified.checkpoint().checkpoint().size, 100);
    }

    #[test]
    fn single_entry_tree_has_an_empty_proof() {
        let fixture = fixture(0, 1);
        let text = fixture.proof.format().unwrap();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\nsealdraw.example/log\n1\n"));
        TlogProof::parse(&text)
            .unwrap()
            .verify_entry(&entry(0), &trust(&fixture))
            .unwrap();
    }

    #[test]
    fn wrong_entries_indexes_hashes_and_keys_fail() {
        let fixture = fixture(42, 100);
        let trust = trust(&fixture);
        let proof = &fixture.proof;
        assert!(matches!(
            proof.verify_entry(&entry(43), &trust),
            Err(ProofError::Inclusion(MerkleError::RootMismatch))
        ));
        let mut moved = proof.clone();
        moved.index = 43;
        assert!(moved.verify_entry(&entry(42), &trust).is_err());
        let mut altered = proof.clone();
        altered.inclusion_proof[3][7] ^= 1;
        assert!(altered.verify_entry(&entry(42), &trust).is_err());
        let mut outside = proof.clone();
        outside.index = 100;
        assert!(matches!(
            outside.verify_entry(&entry(42), &trust),
            Err(ProofError::Inclusion(MerkleError::IndexOutOfRange { .. }))
        ));

        let other_log = LogTrust {
            origin: "sealdraw.example/other".to_owned(),
            ..trust.clone()
        };
        assert!(matches!(
            proof.verify_entry(&entry(42), &other_log),
            Err(ProofError::Checkpoint(CheckpointError::WrongOrigin { .. }))
        ));
        let stranger = NoteSigner::new(
            ORIGIN,
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[3; 32]).unwrap(),
        )
        .unwrap();
        let wrong_key = LogTrust {
            log_keys: vec![stranger.verifier()],
            ..trust.clone()
        };
        assert!(proof.verify_entry(&entry(42), &wrong_key).is_err());
        let forged_size = proof.checkpoint.replacen("\n100\n", "\n101\n", 1);
        let forged = TlogProof {
            checkpoint: forged_size,
            ..proof.clone()
        };
        assert!(matches!(
            forged.verify_entry(&entry(42), &trust),
            Err(ProofError::Checkpoint(CheckpointError::Note(
                NoteError::BadSignature { .. }
            )))
        ));
    }

    #[test]
    fn witness_policy_is_enforced() {
        let mut fixture = fixture(7, 20);
        let policy = WitnessPolicy::new(vec![fixture.witness.verifier()], 1).unwrap();
        let trust = LogTrust {
            witnesses: Some(policy),
            ..trust(&fixture)
        };
        assert!(fixture.proof.verify_entry(&entry(7), &trust).is_err());

        let mut note = Note::parse(&fixture.proof.checkpoint).unwrap();
        note.signatures
            .push(fixture.witness.cosign(&note.text, 1_750_000_000).unwrap());
        fixture.proof.checkpoint = note.format().unwrap();
        let text = fixture.proof.format().unwrap();
        let verified = TlogProof::parse(&text)
            .unwrap()
            .verify_entry(&entry(7), &trust)
            .unwrap();
        assert_eq!(verified.checkpoint().witnesses().len(), 1);
    }

    #[test]
    fn malformed_proofs_are_rejected() {
        let fixture = fixture(42, 100);
        let good = fixture.proof.format().unwrap();
        let hash_line = BASE64.encode(fixture.proof.inclusion_proof[0]);
        let cases = [
            good.replacen(PROOF_HEADER, "c2sp.org/tlog-proof@v2", 1),
            good.replacen("index 42", "index 042", 1),
            good.replacen("index 42", "index -42", 1),
            good.replacen("index 42", "index  42", 1),
            good.replacen("index 42", "Index 42", 1),
            good.replacen("index 42\n", "", 1),
            good.replacen("index 42", "extra \nindex 42", 1),
            good.replacen("index 42", "extra AAB=\nindex 42", 1),
            good.replacen("index 42", "index 42\nextra AAAA", 1),
            good.replacen(&hash_line, &hash_line[..40], 1),
            good.replacen(&hash_line, &format!("{hash_line}AAAA"), 1),
            good.replacen(&hash_line, &format!("{hash_line} "), 1),
            good.replacen(&format!("{hash_line}\n"), &format!("{hash_line}\n\n"), 1),
            good.replacen("\n\nsealdraw", "\nsealdraw", 1),
            good.replacen("\n100\n", "\n0100\n", 1),
            good.replacen("— ", "-- ", 1),
            format!(
                "{PROOF_HEADER}\nindex 0\n{}\n",
                format!("{hash_line}\n").repeat(65)
            ) + &fixture.proof.checkpoint,
        ];
        for text in cases {
            assert!(TlogProof::parse(&text).is_err(), "accepted {text:?}");
        }
        let mut too_long = fixture.proof.clone();
        too_long.inclusion_proof = vec![[0; 32]; 65];
        assert!(too_long.format().is_err());
        let mut empty_extra = fixture.proof.clone();
        empty_extra.extra = Some(Vec::new());
        assert!(empty_extra.format().is_err());
    }
}
