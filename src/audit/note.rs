//! C2SP signed notes (c2sp.org/signed-note) with log signatures, and timestamped
//! witness cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`), in either suite:
//! Ed25519 (signature types 0x01 and 0x04) or SM2 with SM3 under the extension type 0xff
//! (docs/AUDIT-LOG.md, "The national suite").
//!
//! A note is trusted only through [`open`], which returns a [`VerifiedNote`];
//! that type cannot be built any other way, so code holding one knows a
//! trusted key signed its text.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::crypto::signing::SIGNATURE_LEN;
use crate::crypto::{PublicKey, SignatureAlgorithm, Signer, Suite};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The spec requires accepting at least 16 signatures and warns that
/// post-quantum ones approach 5 kB; these bounds leave ample room for that
/// while capping the work an attacker-supplied note can cause.
pub(crate) const MAX_NOTE_BYTES: usize = 256 * 1024;
pub(crate) const MAX_SIGNATURES: usize = 100;

/// Signature type byte of plain Ed25519 note signatures (signed-note).
pub(crate) const ALGORITHM_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures (tlog-cosignature).
pub(crate) const ALGORITHM_COSIGNATURE_V1: u8 = 0x04;
/// signed-note's byte for signature types it assigns no byte to, to be followed by "a longer
/// identifier that is unlikely to collide".
pub(crate) const ALGORITHM_EXTENDED: u8 = 0xff;
/// The identifiers after 0xff for SM2 log signatures and SM2 cosignatures. Each is followed by
/// 0x00, the SM2 distinguishing identifier and 0x00, so a verifier key names everything a
/// verifier needs (the identifier enters the signed digest Z_A) and the key id covers it.
const SM2_NOTE_IDENTIFIER: &[u8] = b"sealdraw.gm/sm2-sm3";
const SM2_COSIGNATURE_IDENTIFIER: &[u8] = b"sealdraw.gm/sm2-sm3-cosignature/v1";

/// U+2014 EM DASH and a space start every signature line.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";
const KEY_ID_LEN: usize = 4;
const TIMESTAMP_LEN: usize = 8;
/// tlog-cosignature: a timestamp "MUST NOT exceed 2^63 - 1".
const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// The 32-bit key id that, together with the key name, selects a verifier.
pub(crate) type KeyId = [u8; KEY_ID_LEN];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note is larger than {MAX_NOTE_BYTES} bytes")]
    TooLarge,
    #[error("note has more than {MAX_SIGNATURES} signature lines")]
    TooManySignatures,
    #[error("note contains an ASCII control character other than newline")]
    ControlCharacter,
    #[error("note text must be non-empty and end with a newline")]
    TextNotNewlineTerminated,
    #[error("note has no blank line separating the text from the signatures")]
    MissingSeparator,
    #[error("note has no signature lines")]
    NoSignatures,
    /// A key in a module could not sign; nothing is signed in its place.
    #[error("the note could not be signed: {0}")]
    SigningFailed(String),
    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine { line: usize, reason: &'static str },
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("at least one signer is required")]
    NoSigners,
    #[error("signature by {name} (key id {}) does not verify", hex_key_id(key_id))]
    BadSignature { name: String, key_id: KeyId },
    #[error("note carries no valid signature from a trusted key")]
    NoTrustedSignature,
    #[error(
        "trusted keys are ambiguous: two keys share name {name} and key id {}",
        hex_key_id(key_id)
    )]
    AmbiguousVerifiers { name: String, key_id: KeyId },
    #[error("cosignature timestamp {0} exceeds 2^63-1")]
    TimestampOutOfRange(u64),
    #[error("invalid witness policy: {0}")]
    InvalidWitnessPolicy(&'static str),
    #[error("only {valid} of the {quorum} required witnesses cosigned")]
    QuorumNotMet { valid: usize, quorum: usize },
}

/// A parsed note. Nothing in it is trusted until [`open`] says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub(crate) text: String,
    pub signatures: Vec<NoteSignature>,
}

/// One signature line: `— <name> base64(key_id ‖ sig)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: KeyId,
    pub(crate) sig: Vec<u8>,
}

impl Note {
    /// Parses a note strictly: any deviation from the spec is an error, so
    /// that a note has exactly one byte representation.
    pub(crate) fn parse(input: &str) -> Result<Self, NoteError> {
        check_note_bytes(input)?;
        // The text may itself contain blank lines; the spec makes the last
        // one the separator, which works because signature lines are never
        // empty.
        let separator = input.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let text = &input[..separator + 1];
        let signature_block = &input[separator + 2..];
        if signature_block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let Some(signature_lines) = signature_block.strip_suffix('\n') else {
            return Err(NoteError::MalformedSignatureLine {
                line: signature_block.split('\n').count(),
                reason: "it does not end with a newline",
            });
        };
        let mut signatures = Vec::new();
        for (offset, line) in signature_lines.split('\n').enumerate() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(parse_signature_line(line, offset + 1)?);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Serialises the note, validating it as [`Note::parse`] would, so the
    /// output always parses back to `self`.
    pub(crate) fn format(&self) -> Result<String, NoteError> {
        check_text(&self.text)?;
        if self.signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let mut output = self.text.clone();
        output.push('\n');
        for (offset, signature) in self.signatures.iter().enumerate() {
            check_key_name(&signature.name)?;
            if signature.sig.is_empty() {
                return Err(NoteError::MalformedSignatureLine {
                    line: offset + 1,
                    reason: "the signature is empty",
                });
            }
            output.push_str(&signature.to_line());
        }
        if output.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge);
        }
        Ok(output)
    }
}

impl NoteSignature {
    /// The signature line, newline included.
    pub(crate) fn to_line(&self) -> String {
        let mut blob = Vec::with_capacity(KEY_ID_LEN + self.sig.len());
        blob.extend_from_slice(&self.key_id);
        blob.extend_from_slice(&self.sig);
        format!(
            "{SIGNATURE_LINE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(blob)
        )
    }
}

/// Signs `text` with every signer (several during a key rotation overlap)
/// and returns the signed note.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    check_text(text)?;
    let signatures = signers
        .iter()
        .map(|signer| signer.key.signature(text.as_bytes()))
        .collect::<Result<_, _>>()?;
    Note {
        text: text.to_owned(),
        signatures,
    }
    .format()
}

/// A note whose text a trusted key has signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    note: Note,
    verified_by: Vec<NoteVerifier>,
}

impl VerifiedNote {
    /// The authenticated text.
    pub(crate) fn text(&self) -> &str {
        &self.note.text
    }

    /// The whole note, including signature lines that were not checked
    /// (unknown keys), e.g. witness cosignatures for a [`WitnessPolicy`].
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The trusted keys whose signatures verified, without repetition.
    #[cfg(test)]
    pub(crate) fn verified_by(&self) -> &[NoteVerifier] {
        &self.verified_by
    }
}

/// Parses and verifies a note against trusted log keys.
///
/// Following the spec: signatures whose (name, key id) matches no trusted key
/// are ignored (they may be witnesses' or a rotated key's); a signature that
/// matches a trusted key but does not verify rejects the whole note, as it
/// means tampering or a broken signer; and at least one trusted signature
/// must verify.
pub(crate) fn open(input: &str, verifiers: &[NoteVerifier]) -> Result<VerifiedNote, NoteError> {
    let keys: Vec<_> = verifiers
        .iter()
        .map(|v| (&v.identity, &v.public_key))
        .collect();
    check_unambiguous(&keys)?;
    let note = Note::parse(input)?;
    let mut verified_by: Vec<NoteVerifier> = Vec::new();
    for signature in &note.signatures {
        let Some(verifier) = verifiers.iter().find(|v| v.identity.matches(signature)) else {
            continue;
        };
        if !verifier.verifies(note.text.as_bytes(), &signature.sig) {
            return Err(NoteError::BadSignature {
                name: signature.name.clone(),
                key_id: signature.key_id,
            });
        }
        if !verified_by.contains(verifier) {
            verified_by.push(verifier.clone());
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::NoTrustedSignature);
    }
    Ok(VerifiedNote { note, verified_by })
}

/// A log signing key (Ed25519, signature type 0x01; or SM2, type 0xff) under its key name:
/// the private key stays in `crypto` ([`Signer`]), which signs for it. Deliberately neither
/// `Debug` nor `Display` nor `Clone`.
pub struct NoteSigner {
    key: SigningKey,
}

impl NoteSigner {
    pub fn new(name: &str, key: impl Into<Arc<Signer>>) -> Result<Self, NoteError> {
        Ok(Self {
            key: SigningKey::new(name, Role::Note, key.into())?,
        })
    }

    pub fn suite(&self) -> Suite {
        self.key.public_key.algorithm().suite()
    }

    pub fn name(&self) -> &str {
        &self.key.identity.name
    }

    pub fn key_id(&self) -> KeyId {
        self.key.identity.key_id
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            identity: self.key.identity.clone(),
            public_key: self.key.public_key.clone(),
        }
    }
}

/// A trusted log public key, written as a verifier key `name+hexkeyid+base64(type ‖ public
/// key)`: type 0x01 for Ed25519, `0xff ‖ "sealdraw.gm/sm2-sm3" ‖ 0x00 ‖ id ‖ 0x00` for SM2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    identity: KeyIdentity,
    public_key: PublicKey,
}

impl NoteVerifier {
    pub fn name(&self) -> &str {
        &self.identity.name
    }

    pub fn key_id(&self) -> KeyId {
        self.identity.key_id
    }

    /// The suite of the log this key signs for: its hashes are the suite's.
    pub fn suite(&self) -> Suite {
        self.public_key.algorithm().suite()
    }

    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_key.verifies(message, signature)
    }
}

impl FromStr for NoteVerifier {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<Self, NoteError> {
        let (identity, public_key) = parse_verifier_key(vkey, Role::Note)?;
        Ok(Self {
            identity,
            public_key,
        })
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_verifier_key(
            &self.identity,
            Role::Note,
            &self.public_key,
        ))
    }
}

/// A witness cosigning key (`cosignature/v1`: Ed25519 with signature type 0x04, or SM2 with
/// the extension type). Neither `Debug` nor `Display` nor `Clone`, like [`NoteSigner`].
pub struct CosignatureSigner {
    key: SigningKey,
}

impl CosignatureSigner {
    pub fn new(name: &str, key: impl Into<Arc<Signer>>) -> Result<Self, NoteError> {
        Ok(Self {
            key: SigningKey::new(name, Role::Cosignature, key.into())?,
        })
    }

    pub fn name(&self) -> &str {
        &self.key.identity.name
    }

    pub fn key_id(&self) -> KeyId {
        self.key.identity.key_id
    }

    pub fn suite(&self) -> Suite {
        self.key.public_key.algorithm().suite()
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            identity: self.key.identity.clone(),
            public_key: self.key.public_key.clone(),
        }
    }

    /// Cosigns a checkpoint's note text at `timestamp` (POSIX seconds),
    /// returning the signature line to append to the checkpoint note.
    pub(crate) fn cosign(&self, text: &str, timestamp: u64) -> Result<NoteSignature, NoteError> {
        check_text(text)?;
        let message = cosigned_message(text, timestamp)?;
        let signature = self
            .key
            .signer
            .sign(&message)
            .map_err(|e| NoteError::SigningFailed(e.to_string()))?;
        let mut sig = Vec::with_capacity(TIMESTAMP_LEN + SIGNATURE_LEN);
        sig.extend_from_slice(&timestamp.to_be_bytes());
        sig.extend_from_slice(&signature);
        Ok(NoteSignature {
            name: self.key.identity.name.clone(),
            key_id: self.key.identity.key_id,
            sig,
        })
    }
}

/// A trusted witness public key, written as a verifier key with type 0x04 (Ed25519) or the
/// SM2 cosignature extension type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    identity: KeyIdentity,
    public_key: PublicKey,
}

impl CosignatureVerifier {
    #[cfg(test)]
    pub(crate) fn new(name: &str, public_key: PublicKey) -> Result<Self, NoteError> {
        Ok(Self {
            identity: KeyIdentity::new(name, Role::Cosignature, &public_key)?,
            public_key,
        })
    }

    pub fn name(&self) -> &str {
        &self.identity.name
    }

    pub fn key_id(&self) -> KeyId {
        self.identity.key_id
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Whether a signature line claims to be from this witness.
    pub(crate) fn matches(&self, signature: &NoteSignature) -> bool {
        self.identity.matches(signature)
    }

    /// Verifies a cosignature line over `text` and returns its timestamp.
    /// The timestamp is not compared with any clock: callers that care about
    /// freshness or future timestamps must check it themselves.
    pub(crate) fn verify(&self, text: &str, signature: &NoteSignature) -> Result<u64, NoteError> {
        let bad = || NoteError::BadSignature {
            name: signature.name.clone(),
            key_id: signature.key_id,
        };
        if !self.matches(signature) {
            return Err(bad());
        }
        let (timestamp, key_signature) = signature
            .sig
            .split_first_chunk::<TIMESTAMP_LEN>()
            .ok_or_else(bad)?;
        if key_signature.len() != SIGNATURE_LEN {
            return Err(bad());
        }
        let timestamp = u64::from_be_bytes(*timestamp);
        let message = cosigned_message(text, timestamp).map_err(|_| bad())?;
        if !self.public_key.verifies(&message, key_signature) {
            return Err(bad());
        }
        Ok(timestamp)
    }
}

impl FromStr for CosignatureVerifier {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<Self, NoteError> {
        let (identity, public_key) = parse_verifier_key(vkey, Role::Cosignature)?;
        Ok(Self {
            identity,
            public_key,
        })
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_verifier_key(
            &self.identity,
            Role::Cosignature,
            &self.public_key,
        ))
    }
}

/// How many distinct trusted witnesses must have cosigned a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessPolicy {
    witnesses: Vec<CosignatureVerifier>,
    quorum: usize,
}

/// A cosignature that counted towards a [`WitnessPolicy`] quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessCosignature {
    pub name: String,
    pub key_id: KeyId,
    pub(crate) timestamp: u64,
}

impl WitnessPolicy {
    /// Rejects policies that could count one witness twice: the
    /// `cosignature/v1` message does not include the witness name, so one
    /// key listed under two names would satisfy two quorum slots with one
    /// signature.
    pub fn new(witnesses: Vec<CosignatureVerifier>, quorum: usize) -> Result<Self, NoteError> {
        if quorum == 0 {
            return Err(NoteError::InvalidWitnessPolicy(
                "a quorum of zero would accept any checkpoint",
            ));
        }
        if quorum > witnesses.len() {
            return Err(NoteError::InvalidWitnessPolicy(
                "the quorum exceeds the number of witnesses",
            ));
        }
        for (position, witness) in witnesses.iter().enumerate() {
            if witnesses[..position]
                .iter()
                .any(|earlier| earlier.public_key == witness.public_key)
            {
                return Err(NoteError::InvalidWitnessPolicy(
                    "the same public key is listed twice",
                ));
            }
        }
        let keys: Vec<_> = witnesses
            .iter()
            .map(|w| (&w.identity, &w.public_key))
            .collect();
        check_unambiguous(&keys)?;
        Ok(Self { witnesses, quorum })
    }

    pub fn witnesses(&self) -> &[CosignatureVerifier] {
        &self.witnesses
    }

    /// Counts distinct trusted witnesses with a valid cosignature on the
    /// note's text. A cosignature that claims to be from a trusted witness
    /// but does not verify rejects the note, as [`open`] does for log keys.
    /// Returns one entry per counted witness (its latest timestamp).
    pub(crate) fn check(&self, note: &VerifiedNote) -> Result<Vec<WitnessCosignature>, NoteError> {
        let mut counted: Vec<Option<u64>> = vec![None; self.witnesses.len()];
        for signature in &note.note.signatures {
            let Some(position) = self.witnesses.iter().position(|w| w.matches(signature)) else {
                continue;
            };
            let timestamp = self.witnesses[position].verify(note.text(), signature)?;
            let latest = counted[position].map_or(timestamp, |seen| seen.max(timestamp));
            counted[position] = Some(latest);
        }
        let cosignatures: Vec<WitnessCosignature> = self
            .witnesses
            .iter()
            .zip(counted)
            .filter_map(|(witness, timestamp)| {
                Some(WitnessCosignature {
                    name: witness.identity.name.clone(),
                    key_id: witness.identity.key_id,
                    timestamp: timestamp?,
                })
            })
            .collect();
        if cosignatures.len() < self.quorum {
            return Err(NoteError::QuorumNotMet {
                valid: cosignatures.len(),
                quorum: self.quorum,
            });
        }
        Ok(cosignatures)
    }
}

/// Name and key id: what a signature line names and a verifier answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyIdentity {
    name: String,
    key_id: KeyId,
}

impl KeyIdentity {
    fn new(name: &str, role: Role, public_key: &PublicKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, role, public_key),
        })
    }

    /// Both name and id must match: the spec requires ignoring signatures
    /// that share only one of them with a known key.
    fn matches(&self, signature: &NoteSignature) -> bool {
        self.name == signature.name && self.key_id == signature.key_id
    }
}

/// What a key signs: log notes, or witness cosignatures. The signature type differs, so one
/// public key never answers to both under the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Note,
    Cosignature,
}

/// The signature type bytes of a key: 0x01 / 0x04 for Ed25519, and for SM2
/// `0xff ‖ identifier ‖ 0x00 ‖ distinguishing id ‖ 0x00`.
fn signature_type(role: Role, algorithm: &SignatureAlgorithm) -> Vec<u8> {
    match (role, algorithm) {
        (Role::Note, SignatureAlgorithm::Ed25519) => vec![ALGORITHM_ED25519],
        (Role::Cosignature, SignatureAlgorithm::Ed25519) => vec![ALGORITHM_COSIGNATURE_V1],
        (role, SignatureAlgorithm::Sm2 { distinguishing_id }) => {
            let identifier = match role {
                Role::Note => SM2_NOTE_IDENTIFIER,
                Role::Cosignature => SM2_COSIGNATURE_IDENTIFIER,
            };
            let mut bytes = vec![ALGORITHM_EXTENDED];
            bytes.extend_from_slice(identifier);
            bytes.push(0);
            bytes.extend_from_slice(distinguishing_id.as_bytes());
            bytes.push(0);
            bytes
        }
    }
}

/// Splits a verifier key's data into its algorithm and public key, refusing a key of the other
/// role.
fn parse_signature_type(
    role: Role,
    key_data: &[u8],
) -> Result<(SignatureAlgorithm, &[u8]), NoteError> {
    let wrong_type =
        || NoteError::MalformedVerifierKey("key is not of the expected signature type");
    let Some((&first, rest)) = key_data.split_first() else {
        return Err(NoteError::MalformedVerifierKey("key data is empty"));
    };
    match (role, first) {
        (Role::Note, ALGORITHM_ED25519) | (Role::Cosignature, ALGORITHM_COSIGNATURE_V1) => {
            Ok((SignatureAlgorithm::Ed25519, rest))
        }
        (_, ALGORITHM_EXTENDED) => {
            let identifier = match role {
                Role::Note => SM2_NOTE_IDENTIFIER,
                Role::Cosignature => SM2_COSIGNATURE_IDENTIFIER,
            };
            let rest = rest
                .strip_prefix(identifier)
                .and_then(|rest| rest.strip_prefix(&[0]))
                .ok_or_else(wrong_type)?;
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(NoteError::MalformedVerifierKey(
                    "the SM2 distinguishing identifier is not terminated",
                ))?;
            let id = std::str::from_utf8(&rest[..end])
                .ok()
                .filter(|id| {
                    !id.is_empty()
                        && id.len() <= crate::crypto::suite::MAX_SM2_ID_LEN
                        && id.is_ascii()
                })
                .ok_or(NoteError::MalformedVerifierKey(
                    "the SM2 distinguishing identifier is not 1 to 64 ASCII characters",
                ))?;
            Ok((
                SignatureAlgorithm::Sm2 {
                    distinguishing_id: id.to_owned(),
                },
                &rest[end + 1..],
            ))
        }
        _ => Err(wrong_type()),
    }
}

/// H(name ‖ 0x0A ‖ signature type ‖ public key)[:4], per signed-note, with H the key's suite
/// hash: SHA-256 for Ed25519 keys as the spec recommends, SM3 for SM2 keys, so a national-suite
/// verifier needs no international primitive.
fn key_id(name: &str, role: Role, public_key: &PublicKey) -> KeyId {
    let mut hasher = public_key.algorithm().suite().hasher();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update(&signature_type(role, public_key.algorithm()));
    hasher.update(public_key.as_bytes());
    let digest = hasher.finish();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// A key name and signature type bound to a signer: what both kinds of note
/// signer share.
struct SigningKey {
    identity: KeyIdentity,
    public_key: PublicKey,
    signer: Arc<Signer>,
}

impl SigningKey {
    fn new(name: &str, role: Role, signer: Arc<Signer>) -> Result<Self, NoteError> {
        let public_key = signer.public_key();
        let identity = KeyIdentity::new(name, role, &public_key)?;
        Ok(Self {
            identity,
            public_key,
            signer,
        })
    }

    fn signature(&self, text: &[u8]) -> Result<NoteSignature, NoteError> {
        Ok(NoteSignature {
            name: self.identity.name.clone(),
            key_id: self.identity.key_id,
            sig: self
                .signer
                .sign(text)
                .map_err(|e| NoteError::SigningFailed(e.to_string()))?
                .to_vec(),
        })
    }
}

/// `cosignature/v1\ntime <timestamp>\n` followed by the note text.
fn cosigned_message(text: &str, timestamp: u64) -> Result<Vec<u8>, NoteError> {
    if timestamp > MAX_COSIGNATURE_TIMESTAMP {
        return Err(NoteError::TimestampOutOfRange(timestamp));
    }
    let mut message = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    message.extend_from_slice(text.as_bytes());
    Ok(message)
}

fn parse_signature_line(line: &str, number: usize) -> Result<NoteSignature, NoteError> {
    let malformed = |reason| NoteError::MalformedSignatureLine {
        line: number,
        reason,
    };
    let rest = line
        .strip_prefix(SIGNATURE_LINE_PREFIX)
        .ok_or_else(|| malformed("it does not start with an em dash and a space"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or_else(|| malformed("no space between key name and signature"))?;
    check_key_name(name)?;
    // The standard engine rejects non-canonical padding and trailing bits,
    // so each signature has a single accepted spelling.
    let blob = BASE64
        .decode(encoded)
        .map_err(|_| malformed("the signature is not canonical base64"))?;
    let (key_id, sig) = blob
        .split_first_chunk::<KEY_ID_LEN>()
        .ok_or_else(|| malformed("the signature is shorter than a key id"))?;
    if sig.is_empty() {
        return Err(malformed(
            "the signature has a key id but no signature bytes",
        ));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: *key_id,
        sig: sig.to_vec(),
    })
}

fn parse_verifier_key(vkey: &str, role: Role) -> Result<(KeyIdentity, PublicKey), NoteError> {
    // Names cannot contain '+', base64 can: split on the first two only.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_data)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(NoteError::MalformedVerifierKey(
            "expected name+keyid+keydata",
        ));
    };
    check_key_name(name)?;
    let declared_id = parse_hex_key_id(id_hex)?;
    let key_data = BASE64
        .decode(key_data)
        .map_err(|_| NoteError::MalformedVerifierKey("key data is not canonical base64"))?;
    let (algorithm, public_key) = parse_signature_type(role, &key_data)?;
    let public_key = PublicKey::new(algorithm, public_key).map_err(|_| match role {
        _ if key_data[0] == ALGORITHM_EXTENDED => {
            NoteError::MalformedVerifierKey("SM2 public key is not a 65-byte point on the curve")
        }
        _ => NoteError::MalformedVerifierKey("Ed25519 public key is not 32 bytes"),
    })?;
    let identity = KeyIdentity::new(name, role, &public_key)?;
    // The id is derivable, so a mismatch means a corrupted or spliced key.
    if identity.key_id != declared_id {
        return Err(NoteError::MalformedVerifierKey(
            "key id does not match the name and public key",
        ));
    }
    Ok((identity, public_key))
}

fn format_verifier_key(identity: &KeyIdentity, role: Role, public_key: &PublicKey) -> String {
    let mut key_data = signature_type(role, public_key.algorithm());
    key_data.extend_from_slice(public_key.as_bytes());
    format!(
        "{}+{}+{}",
        identity.name,
        hex_key_id(&identity.key_id),
        BASE64.encode(key_data)
    )
}

fn parse_hex_key_id(text: &str) -> Result<KeyId, NoteError> {
    let malformed = || NoteError::MalformedVerifierKey("key id is not 8 hex digits");
    if text.len() != 2 * KEY_ID_LEN || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed());
    }
    let value = u32::from_str_radix(text, 16).map_err(|_| malformed())?;
    Ok(value.to_be_bytes())
}

fn hex_key_id(key_id: &KeyId) -> String {
    format!("{:08x}", u32::from_be_bytes(*key_id))
}

/// Two trusted keys answering to the same (name, key id) would make it
/// arbitrary which one checks a signature.
fn check_unambiguous(keys: &[(&KeyIdentity, &PublicKey)]) -> Result<(), NoteError> {
    for (position, (identity, public_key)) in keys.iter().enumerate() {
        let clash = keys[..position]
            .iter()
            .any(|(other, other_key)| other == identity && other_key != public_key);
        if clash {
            return Err(NoteError::AmbiguousVerifiers {
                name: identity.name.clone(),
                key_id: identity.key_id,
            });
        }
    }
    Ok(())
}

pub(crate) fn check_key_name(name: &str) -> Result<(), NoteError> {
    let valid = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < '\u{20}');
    if valid {
        Ok(())
    } else {
        Err(NoteError::InvalidKeyName(name.to_owned()))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotNewlineTerminated);
    }
    check_note_bytes(text)
}

fn check_note_bytes(input: &str) -> Result<(), NoteError> {
    if input.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    if input.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod/sumdb/note test vector (key, text and signature).
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY_DATA: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                              then you don't know what your problem is.\n";
    const PETER_SIGNATURE_LINE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    // A production checkpoint of a Static CT staging log with an RFC 6962
    // (type 0x05) signature, an Ed25519 log signature and four cosignatures.
    const REAL_CHECKPOINT: &str = "arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
";
    const REAL_LOG_VKEY: &str = "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
    const REAL_WITNESS_VKEYS: [&str; 4] = [
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
        "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
        "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    ];

    fn peter_signer() -> NoteSigner {
        let key_data = BASE64.decode(PETER_SKEY_DATA).unwrap();
        assert_eq!(key_data[0], ALGORITHM_ED25519);
        NoteSigner::new("PeterNeumann", key(&key_data[1..])).unwrap()
    }

    fn key(seed: &[u8]) -> Signer {
        Signer::from_seed(Suite::Intl2024, seed).unwrap()
    }

    fn signer(name: &str, seed_byte: u8) -> NoteSigner {
        NoteSigner::new(name, key(&[seed_byte; 32])).unwrap()
    }

    fn witness(name: &str, seed_byte: u8) -> CosignatureSigner {
        CosignatureSigner::new(name, key(&[seed_byte; 32])).unwrap()
    }

    fn witness_policy(vkeys: &[&str], quorum: usize) -> WitnessPolicy {
        let witnesses = vkeys.iter().map(|v| v.parse().unwrap()).collect();
        WitnessPolicy::new(witnesses, quorum).unwrap()
    }

    #[test]
    fn signing_reproduces_the_go_vector() {
        let signer = peter_signer();
        assert_eq!(signer.verifier().to_string(), PETER_VKEY);
        let note = sign(PETER_TEXT, &[&signer]).unwrap();
        assert_eq!(note, format!("{PETER_TEXT}\n{PETER_SIGNATURE_LINE}"));
        let verifier: NoteVerifier = PETER_VKEY.parse().unwrap();
        let verified = open(&note, std::slice::from_ref(&verifier)).unwrap();
        assert_eq!(verified.text(), PETER_TEXT);
        assert_eq!(verified.verified_by(), &[verifier]);
    }

    #[test]
    fn verifier_keys_round_trip() {
        for vkey in [
            PETER_VKEY,
            "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
            // Its base64 contains '+', so only the first two '+' split.
            "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
            REAL_LOG_VKEY,
        ] {
            assert_eq!(vkey.parse::<NoteVerifier>().unwrap().to_string(), vkey);
            assert!(
                vkey.parse::<CosignatureVerifier>().is_err(),
                "type 0x01 is not a cosigner"
            );
        }
        for vkey in REAL_WITNESS_VKEYS {
            assert_eq!(
                vkey.parse::<CosignatureVerifier>().unwrap().to_string(),
                vkey
            );
            assert!(
                vkey.parse::<NoteVerifier>().is_err(),
                "type 0x04 is not a log key"
            );
        }
        let upper = "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert_eq!(
            upper.parse::<NoteVerifier>().unwrap().to_string(),
            PETER_VKEY
        );
    }

    #[test]
    fn every_mangled_verifier_key_is_rejected() {
        let bytes = PETER_VKEY.as_bytes();
        for start in 0..bytes.len() {
            for end in start + 1..=bytes.len() {
                if (start, end) != (0, bytes.len()) {
                    let piece = &PETER_VKEY[start..end];
                    assert!(piece.parse::<NoteVerifier>().is_err(), "accepted {piece:?}");
                }
            }
        }
        for position in 0..bytes.len() {
            let mut mangled = bytes.to_vec();
            mangled[position] = mangled[position].wrapping_add(1);
            if let Ok(text) = std::str::from_utf8(&mangled) {
                if text.eq_ignore_ascii_case(PETER_VKEY) {
                    continue; // a hex digit changed case only
                }
                assert!(text.parse::<NoteVerifier>().is_err(), "accepted {text:?}");
            }
        }
    }

    #[test]
    fn real_checkpoint_verifies_with_log_key_and_witnesses() {
        let log: NoteVerifier = REAL_LOG_VKEY.parse().unwrap();
        let verified = open(REAL_CHECKPOINT, &[log]).unwrap();
        assert_eq!(verified.note().signatures.len(), 6);
        let cosignatures = witness_policy(&REAL_WITNESS_VKEYS, 4)
            .check(&verified)
            .unwrap();
        assert_eq!(cosignatures.len(), 4);
        assert!(cosignatures.iter().all(|c| c.timestamp == 1_779_573_024));

        let tampered = REAL_CHECKPOINT.replace("1432088532", "1432088533");
        let log: NoteVerifier = REAL_LOG_VKEY.parse().unwrap();
        assert!(matches!(
            open(&tampered, &[log]),
            Err(NoteError::BadSignature { .. })
        ));
    }

    #[test]
    fn unknown_keys_are_ignored_and_known_bad_signatures_reject() {
        let alice = signer("alice.example/log", 1);
        let bob = signer("bob.example/log", 2);
        let text = "hello\n";
        let note = sign(text, &[&alice, &bob]).unwrap();
        let verified = open(&note, &[alice.verifier()]).unwrap();
        assert_eq!(verified.verified_by(), &[alice.verifier()]);
        assert_eq!(verified.note().signatures.len(), 2);

        // A key with the same name but another id is a different key.
        let other_alice = signer("alice.example/log", 3);
        assert_eq!(
            open(&note, &[other_alice.verifier()]),
            Err(NoteError::NoTrustedSignature)
        );

        // Same name and id as a trusted key, wrong signature: reject, even
        // though another trusted signature is valid.
        let mut forged = Note::parse(&note).unwrap();
        forged.signatures[1].sig[0] ^= 1;
        let forged = forged.format().unwrap();
        assert!(matches!(
            open(&forged, &[alice.verifier(), bob.verifier()]),
            Err(NoteError::BadSignature { ref name, .. }) if name == "bob.example/log"
        ));
        assert!(open(&forged, &[alice.verifier()]).is_ok());
    }

    #[test]
    fn rotation_overlap_accepts_either_key() {
        let old = signer("sealdraw.example/log", 1);
        let new = signer("sealdraw.example/log", 2);
        assert_ne!(old.key_id(), new.key_id());
        let note = sign("checkpoint\n", &[&old, &new]).unwrap();
        assert!(open(&note, &[old.verifier()]).is_ok());
        assert!(open(&note, &[new.verifier()]).is_ok());
        let both = open(&note, &[old.verifier(), new.verifier()]).unwrap();
        assert_eq!(both.verified_by().len(), 2);
    }

    #[test]
    fn ambiguous_trusted_keys_are_refused() {
        let real = signer("log", 1).verifier();
        let mut impostor = signer("log", 2).verifier();
        impostor.identity.key_id = real.key_id(); // simulate a key id collision
        let note = sign("x\n", &[&signer("log", 1)]).unwrap();
        assert!(matches!(
            open(&note, &[real, impostor]),
            Err(NoteError::AmbiguousVerifiers { .. })
        ));
    }

    #[test]
    fn malformed_notes_are_rejected() {
        let alice = signer("alice", 1);
        let good = sign("a\n", &[&alice]).unwrap();
        let line = good.strip_prefix("a\n\n").unwrap();
        let bad_cases: Vec<(String, &str)> = vec![
            ("a\n— alice AAAA\n".into(), "no separator"),
            ("a\n\n".into(), "no signatures"),
            (good.trim_end_matches('\n').into(), "missing final newline"),
            (format!("a\r\n\n{line}"), "control character"),
            (
                format!("a\n\n{}", line.replacen('—', "--", 1)),
                "ascii dashes",
            ),
            (format!("a\n\n{}", line.replacen('—', "-", 1)), "hyphen"),
            (
                format!("a\n\n{}", line.replacen("— ", "—  ", 1)),
                "double space",
            ),
            (
                format!("a\n\n{}", line.replacen("alice", "al ice", 1)),
                "space in name",
            ),
            (
                format!("a\n\n{}", line.replacen("alice", "al+ice", 1)),
                "plus in name",
            ),
            (
                format!("a\n\n{}", line.replacen("alice ", "", 1)),
                "no name",
            ),
            ("a\n\n— alice AAAAAA==\n".into(), "key id only"),
            ("a\n\n— alice AAAAAAB=\n".into(), "non-canonical base64"),
            ("a\n\n— alice AAAAAAA\n".into(), "unpadded base64"),
            ("a\n\n— alice AAAA AAAA\n".into(), "space in signature"),
            (format!("a\n\n{line}\n"), "trailing blank line"),
            (format!("a\n\n{line}x\n"), "junk line"),
        ];
        for (note, why) in bad_cases {
            assert!(
                Note::parse(&note).is_err(),
                "accepted note with {why}: {note:?}"
            );
        }
        let many = format!("a\n\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert_eq!(Note::parse(&many), Err(NoteError::TooManySignatures));
        assert!(Note::parse(&format!("a\n\n{}", line.repeat(MAX_SIGNATURES))).is_ok());
        let huge = format!("{}\n\n{line}", "a".repeat(MAX_NOTE_BYTES));
        assert_eq!(Note::parse(&huge), Err(NoteError::TooLarge));
    }

    #[test]
    fn text_with_blank_lines_round_trips() {
        let alice = signer("alice", 1);
        let text = "first\n\nthird\n\n";
        let note = sign(text, &[&alice]).unwrap();
        let parsed = Note::parse(&note).unwrap();
        assert_eq!(parsed.text, text);
        assert_eq!(parsed.format().unwrap(), note);
        assert_eq!(open(&note, &[alice.verifier()]).unwrap().text(), text);
    }

    #[test]
    fn signing_validates_its_input() {
        let alice = signer("alice", 1);
        assert_eq!(
            sign("no newline", &[&alice]),
            Err(NoteError::TextNotNewlineTerminated)
        );
        assert_eq!(
            sign("", &[&alice]),
            Err(NoteError::TextNotNewlineTerminated)
        );
        assert_eq!(
            sign("tab\there\n", &[&alice]),
            Err(NoteError::ControlCharacter)
        );
        assert_eq!(sign("x\n", &[]), Err(NoteError::NoSigners));
        assert!(NoteSigner::new("bad name", key(&[1; 32])).is_err());
        assert!(Signer::from_seed(Suite::Intl2024, &[1; 31]).is_err());
        assert!(NoteSigner::new("", key(&[1; 32])).is_err());
    }

    #[test]
    fn cosignatures_sign_the_timestamped_message() {
        let log = signer("log.example", 1);
        let w1 = witness("w1.example", 11);
        let text = "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let cosignature = w1.cosign(text, 1_700_000_000).unwrap();
        assert_eq!(cosignature.sig.len(), 72);
        assert_eq!(&cosignature.sig[..8], &1_700_000_000u64.to_be_bytes());
        assert_eq!(w1.verifier().verify(text, &cosignature), Ok(1_700_000_000));

        // Independently rebuild the signed message from the spec's wording.
        let message = format!("cosignature/v1\ntime 1700000000\n{text}");
        assert!(
            w1.verifier()
                .public_key()
                .verifies(message.as_bytes(), &cosignature.sig[8..])
        );

        assert!(w1.verifier().verify("other\n", &cosignature).is_err());
        let mut shifted = cosignature.clone();
        shifted.sig[7] ^= 1; // timestamp changed
        assert!(w1.verifier().verify(text, &shifted).is_err());
        assert_eq!(
            w1.cosign(text, 1 << 63),
            Err(NoteError::TimestampOutOfRange(1 << 63))
        );
        // A log key and a cosigning key differ in id even for the same seed.
        let same_seed = witness("log.example", 1);
        assert_ne!(same_seed.key_id(), log.key_id());
    }

    #[test]
    fn witness_policy_counts_distinct_valid_witnesses() {
        let log = signer("log.example", 1);
        let witnesses: Vec<CosignatureSigner> = (0..3)
            .map(|i| witness(&format!("w{i}.example"), 20 + i))
            .collect();
        let text = "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let mut note = Note::parse(&sign(text, &[&log]).unwrap()).unwrap();
        note.signatures.push(witnesses[0].cosign(text, 10).unwrap());
        note.signatures.push(witnesses[0].cosign(text, 12).unwrap());
        note.signatures
            .push(witness("stranger", 99).cosign(text, 10).unwrap());
        let verified = open(&note.format().unwrap(), &[log.verifier()]).unwrap();

        let verifiers: Vec<CosignatureVerifier> = witnesses.iter().map(|w| w.verifier()).collect();
        let one = WitnessPolicy::new(verifiers.clone(), 1).unwrap();
        let found = one.check(&verified).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].timestamp, 12,
            "latest timestamp of a repeated witness"
        );
        let two = WitnessPolicy::new(verifiers.clone(), 2).unwrap();
        assert_eq!(
            two.check(&verified),
            Err(NoteError::QuorumNotMet {
                valid: 1,
                quorum: 2
            })
        );

        note.signatures.push(witnesses[1].cosign(text, 11).unwrap());
        let verified = open(&note.format().unwrap(), &[log.verifier()]).unwrap();
        assert_eq!(two.check(&verified).unwrap().len(), 2);

        // A known witness with a broken cosignature rejects the checkpoint.
        note.signatures.last_mut().unwrap().sig[20] ^= 1;
        let verified = open(&note.format().unwrap(), &[log.verifier()]).unwrap();
        assert!(matches!(
            one.check(&verified),
            Err(NoteError::BadSignature { .. })
        ));
    }

    #[test]
    fn witness_policy_refuses_double_counting_configurations() {
        let w = witness("w.example", 5).verifier();
        let alias = CosignatureVerifier::new("alias.example", w.public_key().clone()).unwrap();
        assert!(WitnessPolicy::new(vec![w.clone(), alias], 2).is_err());
        assert!(WitnessPolicy::new(vec![w.clone()], 0).is_err());
        assert!(WitnessPolicy::new(vec![w.clone()], 2).is_err());
        assert!(WitnessPolicy::new(vec![w], 1).is_ok());
    }
}

#[cfg(test)]
mod gm_vectors {
    use super::*;
    use crate::audit::checkpoint::{Checkpoint, sign_checkpoint};
    use crate::audit::merkle::{empty_root, leaf_hash};

    /// The worked example of docs/AUDIT-LOG.md, "The national suite": GB/T 32918.5's example
    /// private key as the log key, one entry, a checkpoint and a witness's cosignature. SM2
    /// signatures here are deterministic (the crate's RFC 6979-style nonce), so the bytes are
    /// fixed; any SM2 verifier accepts them.
    #[test]
    fn the_documented_national_suite_example_is_what_the_code_writes() {
        let seed = hex::decode("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")
            .unwrap();
        let log = NoteSigner::new(
            "sealdraw.example/log",
            Signer::from_seed(Suite::Gm2024, &seed).unwrap(),
        )
        .unwrap();
        assert_eq!(
            log.verifier().to_string(),
            "sealdraw.example/log+32aa5c83+/3NlYWxkcmF3LmdtL3NtMi1zbTMAMTIzNDU2NzgxMjM0NTY3OAAECfnfMR5UIaFQ3X0WHkvFxnIXn60YM/wHa7CP81bzUCDM6kkM4md1pS3G6nGMwapgCu0F+/NeCEpmMvYHLamtEw=="
        );
        let leaf = leaf_hash(Suite::Gm2024, br#"{"a":1}"#);
        assert_eq!(
            hex::encode(leaf),
            "b576ac05ff6e3fcbab0a1d44e86c2af434c2e01b62c2772d45f97551c3ee7ff5"
        );
        assert_eq!(
            hex::encode(empty_root(Suite::Gm2024)),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
        let note =
            sign_checkpoint(&Checkpoint::new("sealdraw.example/log", 1, leaf), &[&log]).unwrap();
        assert_eq!(
            note,
            "sealdraw.example/log\n1\ntXasBf9uP8urCh1E6Gwq9DTC4BtiwnctRfl1UcPuf/U=\n\n\
             \u{2014} sealdraw.example/log MqpcgyFdgi8nTZUtVR1rJcN5ZBR7QFw2x2xenJKI/PUiYu0wqyKLpImzCB9MEnSxdueOVXxFhipMLwcMTijqKdCQZjY=\n"
        );
        let witness = CosignatureSigner::new(
            "witness.example/w1",
            Signer::from_seed(Suite::Gm2024, &[9; 32]).unwrap(),
        )
        .unwrap();
        assert_eq!(
            witness.verifier().to_string(),
            "witness.example/w1+f3bd9749+/3NlYWxkcmF3LmdtL3NtMi1zbTMtY29zaWduYXR1cmUvdjEAMTIzNDU2NzgxMjM0NTY3OAAE90ornMZPA8gHCXy20VpVM4M2mN4Wmitqfb6hGbNSMBfoI2sIop8sN+eGe8ApbadcOPzfAXQ8g3K1srP330kVLg=="
        );
        let text = "sealdraw.example/log\n1\ntXasBf9uP8urCh1E6Gwq9DTC4BtiwnctRfl1UcPuf/U=\n";
        let cosignature = witness.cosign(text, 1_700_000_000).unwrap();
        assert_eq!(
            cosignature.to_line(),
            "\u{2014} witness.example/w1 872XSQAAAABlU/EAEP7J+/VvIfvH72hKFZaHNU0Z42toVAiOgKEX8wdSzn81HuWcDJH72wsfPeLt9n438eHOmxTuS1KLhWsE/o1q6g==\n"
        );
        assert_eq!(
            witness.verifier().verify(text, &cosignature),
            Ok(1_700_000_000)
        );
    }
}
