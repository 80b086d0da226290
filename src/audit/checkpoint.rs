//! Checkpoints (c2sp.org/tlog-checkpoint): the signed note text naming a
//! log's origin, tree size and root hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::merkle::{HASH_LEN, Hash};
use super::note::{
    self, NoteError, NoteSigner, NoteVerifier, VerifiedNote, WitnessCosignature, WitnessPolicy,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint text must end with a newline")]
    NotNewlineTerminated,
    #[error("checkpoint needs an origin, a tree size and a root hash line")]
    MissingLines,
    #[error("checkpoint line {line} is empty")]
    EmptyLine { line: usize },
    #[error("checkpoint contains a control character")]
    ControlCharacter,
    #[error("tree size {0:?} is not a decimal number without leading zeroes that fits in 64 bits")]
    InvalidSize(String),
    #[error("root hash is not the canonical base64 encoding of 32 bytes")]
    InvalidRootHash,
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("checkpoint signature: {0}")]
    Note(#[from] NoteError),
}

/// The three mandatory checkpoint lines plus any extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque, not covered by witnesses' statements; the spec discourages them.
    pub(crate) extension_lines: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extension_lines: Vec::new(),
        }
    }

    /// Parses a checkpoint body (a note's text) strictly, so that a given
    /// checkpoint has exactly one spelling.
    pub(crate) fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NotNewlineTerminated)?;
        if body.bytes().any(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::ControlCharacter);
        }
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extension_lines @ ..] = lines.as_slice() else {
            return Err(CheckpointError::MissingLines);
        };
        if let Some(empty) = lines.iter().position(|line| line.is_empty()) {
            return Err(CheckpointError::EmptyLine { line: empty + 1 });
        }
        Ok(Self {
            origin: (*origin).to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extension_lines: extension_lines
                .iter()
                .map(|line| (*line).to_owned())
                .collect(),
        })
    }

    /// The checkpoint body, validated so that it parses back to `self`.
    pub(crate) fn format(&self) -> Result<String, CheckpointError> {
        let mut text = String::new();
        let lines = std::iter::once(self.origin.clone())
            .chain([self.size.to_string(), BASE64.encode(self.root)])
            .chain(self.extension_lines.iter().cloned());
        for (number, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyLine { line: number + 1 });
            }
            if line.bytes().any(|b| b < 0x20) {
                return Err(CheckpointError::ControlCharacter);
            }
            text.push_str(&line);
            text.push('\n');
        }
        Ok(text)
    }
}

/// A checkpoint whose note a trusted log key signed, for the expected origin,
/// and (if a policy was given) that a quorum of witnesses cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    note: VerifiedNote,
    witnesses: Vec<WitnessCosignature>,
}

impl VerifiedCheckpoint {
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    pub fn note(&self) -> &VerifiedNote {
        &self.note
    }

    /// The witness cosignatures that met the policy; empty without a policy.
    pub fn witnesses(&self) -> &[WitnessCosignature] {
        &self.witnesses
    }
}

/// Verifies a signed checkpoint note. The origin is pinned because a log key
/// may sign for several logs, and a checkpoint for one must not pass as
/// another's.
pub fn open_checkpoint(
    signed_note: &str,
    origin: &str,
    log_keys: &[NoteVerifier],
    witnesses: Option<&WitnessPolicy>,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let note = note::open(signed_note, log_keys)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    if checkpoint.origin != origin {
        return Err(CheckpointError::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin,
        });
    }
    let witnesses = match witnesses {
        Some(policy) => policy.check(&note)?,
        None => Vec::new(),
    };
    Ok(VerifiedCheckpoint {
        checkpoint,
        note,
        witnesses,
    })
}

/// Formats and signs a checkpoint with the log's key(s).
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    signers: &[&NoteSigner],
) -> Result<String, CheckpointError> {
    Ok(note::sign(&checkpoint.format()?, signers)?)
}

fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize(text.to_owned());
    let canonical =
        text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    let bytes = BASE64
        .decode(text)
        .map_err(|_| CheckpointError::InvalidRootHash)?;
    let root: [u8; HASH_LEN] = bytes
        .try_into()
        .map_err(|_| CheckpointError::InvalidRootHash)?;
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::empty_root;
    use crate::audit::note::CosignatureSigner;
    use crate::crypto::Suite;

    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn log_signer() -> NoteSigner {
        NoteSigner::new(
            "sealdraw.example/log",
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[7; 32]).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn parses_and_formats_the_spec_example() {
        let checkpoint = Checkpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size, 20_852_163);
        assert_eq!(
            BASE64.encode(checkpoint.root),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(checkpoint.extension_lines.is_empty());
        assert_eq!(checkpoint.format().unwrap(), SPEC_EXAMPLE);
    }

    #[test]
    fn extension_lines_and_empty_trees_round_trip() {
        let mut checkpoint = Checkpoint::new("o", 0, empty_root(Suite::Intl2024));
        checkpoint.extension_lines = vec!["ext one".into(), "ext two".into()];
        let text = checkpoint.format().unwrap();
        assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
        assert!(text.starts_with("o\n0\n"));
    }

    #[test]
    fn rejects_non_canonical_checkpoints() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases = [
            format!("o\n1\n{root}"),
            "o\n1\n".to_owned(),
            format!("o\n01\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n 1\n{root}\n"),
            format!("o\n1 \n{root}\n"),
            format!("o\n0x1\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n\n{root}\n"),
            format!("\n1\n{root}\n"),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}\next\n\n"),
            format!("o\n1\n{}\n", &root[..root.len() - 4]),
            format!("o\n1\n{}AAAA\n", root),
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_owned(),
            format!("o\r\n1\n{root}\n"),
        ];
        for text in cases {
            assert!(Checkpoint::parse(&text).is_err(), "accepted {text:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n"))
                .unwrap()
                .size,
            u64::MAX
        );
        assert!(Checkpoint::new("", 1, [0; 32]).format().is_err());
        assert!(Checkpoint::new("a\nb", 1, [0; 32]).format().is_err());
    }

    #[test]
    fn open_checkpoint_checks_signature_origin_and_witnesses() {
        let log = log_signer();
        let checkpoint = Checkpoint::new("sealdraw.example/log", 3, [5; 32]);
        let signed = sign_checkpoint(&checkpoint, &[&log]).unwrap();
        let keys = [log.verifier()];

        let verified = open_checkpoint(&signed, "sealdraw.example/log", &keys, None).unwrap();
        assert_eq!(verified.checkpoint(), &checkpoint);
        assert!(verified.witnesses().is_empty());

        assert!(matches!(
            open_checkpoint(&signed, "sealdraw.example/other", &keys, None),
            Err(CheckpointError::WrongOrigin { .. })
        ));
        let stranger = NoteSigner::new(
            "sealdraw.example/log",
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[8; 32]).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            open_checkpoint(
                &signed,
                "sealdraw.example/log",
                &[stranger.verifier()],
                None
            ),
            Err(CheckpointError::Note(NoteError::NoTrustedSignature))
        ));

        let witness = CosignatureSigner::new(
            "w.example",
            crate::crypto::Signer::from_seed(Suite::Intl2024, &[9; 32]).unwrap(),
        )
        .unwrap();
        let policy = WitnessPolicy::new(vec![witness.verifier()], 1).unwrap();
        assert!(matches!(
            open_checkpoint(&signed, "sealdraw.example/log", &keys, Some(&policy)),
            Err(CheckpointError::Note(NoteError::QuorumNotMet {
                valid: 0,
                quorum: 1
            }))
        ));
        let mut note = note::Note::parse(&signed).unwrap();
        note.signatures
            .push(witness.cosign(&note.text, 1_700_000_000).unwrap());
        let cosigned = note.format().unwrap();
        let verified =
            open_checkpoint(&cosigned, "sealdraw.example/log", &keys, Some(&policy)).unwrap();
        assert_eq!(verified.witnesses()[0].timestamp, 1_700_000_000);
    }
}
