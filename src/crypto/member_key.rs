//! Committee members' signing keys (issue 19 §1): ECDSA P-256 with SHA-256, the one algorithm
//! every member's device can hold — a browser's WebCrypto, a key file of `sealdraw client`, a
//! PKCS#11 token, an outside CA's certificate — so that the server verifies them all one way.
//!
//! The server only ever holds public keys ([`MemberPublicKey`]): it checks that an enrolled key
//! is a point on the curve, fingerprints it and verifies signatures in the fixed `r ‖ s` form
//! (IEEE P1363) that WebCrypto produces. The private half ([`MemberSigningKey`]) lives on the
//! member's side only; `sealdraw client` keeps it in a PKCS#8 file encrypted under a
//! passphrase (PBES2: scrypt and AES-256-CBC, which OpenSSL reads too).
//!
//! An enrolled key may also be SM2 (GB/T 32918.2: a signature over SM3(Z_A ‖ M), Z_A from the
//! default distinguishing identifier `1234567812345678`), for members whose token or CA
//! certificate holds an SM2 key; [`MemberPublicKey`] tells the two apart by the SPKI's curve
//! and verifies each its own way. Which of them a deployment accepts is `auth`'s decision
//! (docs/CRYPTO.md). Keys `sealdraw client` makes itself are P-256.

use base64::Engine as _;
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use zeroize::Zeroizing;

use super::Rng;

/// The length of a signature in the fixed form: `r ‖ s`, 32 bytes each.
pub const SIGNATURE_LEN: usize = 64;
/// The shortest passphrase a new key file may be encrypted under.
pub const MIN_PASSPHRASE_CHARS: usize = 10;
/// The algorithm's name as stored beside a key and shown to its owner: the P-256 keys
/// `sealdraw client` makes; an enrolled key's own is [`MemberPublicKey::algorithm`].
pub const ALGORITHM: &str = MemberKeyAlgorithm::EcdsaP256Sha256.name();
/// GM/T 0006's OID of the SM2 curve, the `namedCurve` of an SM2 key's SubjectPublicKeyInfo
/// (whose algorithm is id-ecPublicKey, as for P-256).
const SM2_CURVE: x509_cert::der::oid::ObjectIdentifier =
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
const EC_PUBLIC_KEY: x509_cert::der::oid::ObjectIdentifier =
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PEM_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// scrypt's cost for a new key file: 2^14 × 8 × 128 bytes = 16 MiB, OpenSSL's own choice for
/// `-scrypt`; 2^15 passes OpenSSL's default 32 MiB memory limit, and it could not read the file.
const SCRYPT_LOG_N: u8 = 14;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MemberKeyError {
    #[error("is neither a PEM public key nor base64 of a DER SubjectPublicKeyInfo")]
    NotEncoded,
    #[error("is not an ECDSA P-256 public key (a SubjectPublicKeyInfo of a point on P-256)")]
    NotP256,
    #[error(
        "is neither an ECDSA P-256 nor an SM2 public key (a SubjectPublicKeyInfo of a point on \
         either curve)"
    )]
    NotMemberKey,
    #[error("the key file is not an encrypted PKCS#8 P-256 key, or the passphrase is wrong")]
    KeyFile,
    #[error("the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")]
    ShortPassphrase,
    #[error("randomness unavailable")]
    Randomness,
}

/// SHA-256, the member algorithm's digest: of a signed statement and of a signature, as the
/// audit log names them, whatever the deployment's suite.
pub fn digest(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}

/// The signature algorithms of members' keys. Both sign `r ‖ s`, 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKeyAlgorithm {
    /// ECDSA on P-256 over SHA-256 of the message.
    EcdsaP256Sha256,
    /// SM2 over SM3(Z_A ‖ M), Z_A from the default distinguishing identifier.
    Sm2Sm3,
}

impl MemberKeyAlgorithm {
    /// The name stored beside a key (`member_signing_keys.algorithm`), shown to its owner and
    /// carried into archive packages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::Sm2Sm3 => "sm2-sm3",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::EcdsaP256Sha256, Self::Sm2Sm3]
            .into_iter()
            .find(|algorithm| algorithm.name() == name)
    }
}

/// A member's public key, normalised: the DER SubjectPublicKeyInfo with the uncompressed point,
/// whatever form it was enrolled in, so that one key has one fingerprint.
#[derive(Clone, PartialEq, Eq)]
pub struct MemberPublicKey {
    algorithm: MemberKeyAlgorithm,
    spki_der: Vec<u8>,
    point: Vec<u8>,
}

impl MemberPublicKey {
    /// A key as a member sends it: PEM (`-----BEGIN PUBLIC KEY-----`) or base64 of the DER
    /// SubjectPublicKeyInfo (what WebCrypto's `exportKey("spki")` gives).
    pub fn parse(text: &str) -> Result<Self, MemberKeyError> {
        use rustls_pki_types::pem::PemObject as _;
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            let der = rustls_pki_types::SubjectPublicKeyInfoDer::from_pem_slice(text.as_bytes())
                .map_err(|_| MemberKeyError::NotMemberKey)?;
            return Self::from_spki_der(der.as_ref());
        }
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| MemberKeyError::NotEncoded)?;
        Self::from_spki_der(&der)
    }

    /// A key as a PKCS#11 token gives it: the uncompressed point (`04 ‖ x ‖ y`).
    pub fn from_uncompressed_point(point: &[u8]) -> Result<Self, MemberKeyError> {
        let key = p256::PublicKey::from_sec1_bytes(point).map_err(|_| MemberKeyError::NotP256)?;
        Self::from_key(&key)
    }

    /// A key as it is stored: DER SubjectPublicKeyInfo, of a P-256 or an SM2 key (told apart
    /// by the curve it names).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, MemberKeyError> {
        use x509_cert::der::Decode as _;
        let info = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|_| MemberKeyError::NotMemberKey)?;
        if info.algorithm.oid == EC_PUBLIC_KEY && info.algorithm.parameters_oid() == Ok(SM2_CURVE) {
            let point = info
                .subject_public_key
                .as_bytes()
                .ok_or(MemberKeyError::NotMemberKey)?;
            return Self::from_sm2_point(point);
        }
        let key =
            p256::PublicKey::from_public_key_der(der).map_err(|_| MemberKeyError::NotMemberKey)?;
        Self::from_key(&key)
    }

    /// An SM2 key from its SEC 1 point, checked on the curve and re-encoded uncompressed in
    /// the SubjectPublicKeyInfo OpenSSL writes for it.
    fn from_sm2_point(point: &[u8]) -> Result<Self, MemberKeyError> {
        use x509_cert::der::Encode as _;
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(super::suite::DEFAULT_SM2_ID, point)
            .map_err(|_| MemberKeyError::NotMemberKey)?;
        let point = key.to_sec1_bytes().to_vec();
        if point.len() != 65 || point[0] != 0x04 {
            return Err(MemberKeyError::NotMemberKey);
        }
        let info = x509_cert::spki::SubjectPublicKeyInfoOwned {
            algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
                oid: EC_PUBLIC_KEY,
                parameters: Some(SM2_CURVE.into()),
            },
            subject_public_key: x509_cert::der::asn1::BitString::from_bytes(&point)
                .map_err(|_| MemberKeyError::NotMemberKey)?,
        };
        let spki_der = info.to_der().map_err(|_| MemberKeyError::NotMemberKey)?;
        Ok(Self {
            algorithm: MemberKeyAlgorithm::Sm2Sm3,
            spki_der,
            point,
        })
    }

    fn from_key(key: &p256::PublicKey) -> Result<Self, MemberKeyError> {
        let document = key
            .to_public_key_der()
            .map_err(|_| MemberKeyError::NotP256)?;
        let spki_der = document.as_bytes().to_vec();
        let info = p256::pkcs8::SubjectPublicKeyInfoRef::try_from(spki_der.as_slice())
            .map_err(|_| MemberKeyError::NotP256)?;
        let point = info
            .subject_public_key
            .as_bytes()
            .ok_or(MemberKeyError::NotP256)?
            .to_vec();
        // ring verifies uncompressed points only; the encoder writes them so.
        if point.len() != 65 || point[0] != 0x04 {
            return Err(MemberKeyError::NotP256);
        }
        Ok(Self {
            algorithm: MemberKeyAlgorithm::EcdsaP256Sha256,
            spki_der,
            point,
        })
    }

    pub fn algorithm(&self) -> MemberKeyAlgorithm {
        self.algorithm
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo, in hex: what `openssl pkey -pubin -outform DER
    /// | sha256sum` prints, so a member can compare it on their own device.
    pub fn fingerprint(&self) -> String {
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &self.spki_der))
    }

    /// Base64 of the DER SubjectPublicKeyInfo: the form enrolment accepts.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.spki_der)
    }

    /// Whether `signature` (`r ‖ s`) is this key's signature of `message`: ECDSA P-256 over
    /// SHA-256, or SM2 over SM3(Z_A ‖ M) with the default distinguishing identifier (the
    /// server's own SM2 verification, `crypto::signing`).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self.algorithm {
            MemberKeyAlgorithm::EcdsaP256Sha256 => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &self.point,
            )
            .verify(message, signature)
            .is_ok(),
            MemberKeyAlgorithm::Sm2Sm3 => super::signing::PublicKey::new(
                super::signing::SignatureAlgorithm::of(super::Suite::Gm2024),
                &self.point,
            )
            .is_ok_and(|key| key.verifies(message, signature)),
        }
    }
}

impl std::fmt::Debug for MemberPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemberPublicKey({})", self.fingerprint())
    }
}

/// A passphrase that protects a key file. Never printed; wiped when dropped.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// The passphrase as typed or read from a file: one trailing line break is not part of it.
    pub fn new(text: String) -> Self {
        let mut text = Zeroizing::new(text);
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        Self(text)
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A member's private key, as `sealdraw client` holds it. No `Debug`, no `Display`; the key
/// wipes itself when dropped (p256's `SigningKey` zeroises its scalar).
pub struct MemberSigningKey(p256::ecdsa::SigningKey);

impl MemberSigningKey {
    /// A new key from the injected generator: 32 random bytes taken as the scalar, drawn again
    /// in the negligible case that they are zero or not below the group order.
    pub fn generate(rng: &Rng) -> Result<Self, MemberKeyError> {
        for _ in 0..16 {
            let bytes = Zeroizing::new(rng.bytes::<32>().map_err(|_| MemberKeyError::Randomness)?);
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(bytes.as_slice()) {
                return Ok(Self(key));
            }
        }
        Err(MemberKeyError::Randomness)
    }

    /// The key as a PEM `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2 with scrypt and AES-256-CBC),
    /// salt and IV from the injected generator.
    pub fn to_encrypted_pem(
        &self,
        passphrase: &Passphrase,
        rng: &Rng,
    ) -> Result<Zeroizing<String>, MemberKeyError> {
        if passphrase.0.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(MemberKeyError::ShortPassphrase);
        }
        let salt = rng.bytes::<16>().map_err(|_| MemberKeyError::Randomness)?;
        let iv = rng.bytes::<16>().map_err(|_| MemberKeyError::Randomness)?;
        let cost = p256::pkcs8::pkcs5::scrypt::Params::new(SCRYPT_LOG_N, 8, 1)
            .map_err(|_| MemberKeyError::KeyFile)?;
        let parameters =
            p256::pkcs8::pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(cost, &salt, iv)
                .map_err(|_| MemberKeyError::KeyFile)?;
        let secret = p256::SecretKey::from(self.0.as_nonzero_scalar());
        let plain = secret.to_pkcs8_der().map_err(|_| MemberKeyError::KeyFile)?;
        let info = p256::pkcs8::PrivateKeyInfoRef::try_from(plain.as_bytes())
            .map_err(|_| MemberKeyError::KeyFile)?;
        info.encrypt_with_params(parameters, passphrase.bytes())
            .and_then(|document| {
                document
                    .to_pem(PEM_LABEL, LineEnding::LF)
                    .map_err(Into::into)
            })
            .map_err(|_| MemberKeyError::KeyFile)
    }

    /// A key file's key. A wrong passphrase and a damaged file read alike: the file's
    /// encryption cannot tell them apart.
    pub fn from_encrypted_pem(pem: &str, passphrase: &Passphrase) -> Result<Self, MemberKeyError> {
        let secret = p256::SecretKey::from_pkcs8_encrypted_pem(pem, passphrase.bytes())
            .map_err(|_| MemberKeyError::KeyFile)?;
        Ok(Self(p256::ecdsa::SigningKey::from(secret)))
    }

    pub fn public_key(&self) -> MemberPublicKey {
        let key = p256::PublicKey::from(self.0.verifying_key());
        // A key of ours always encodes: it is a point on the curve by construction.
        MemberPublicKey::from_key(&key).unwrap_or_else(|_| MemberPublicKey {
            algorithm: MemberKeyAlgorithm::EcdsaP256Sha256,
            spki_der: Vec::new(),
            point: Vec::new(),
        })
    }

    /// The ECDSA P-256 SHA-256 signature of `message`, `r ‖ s`. The nonce is RFC 6979's
    /// deterministic one, so signing needs no randomness of its own.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        use p256::ecdsa::signature::Signer as _;
        let signature: p256::ecdsa::Signature = self.0.sign(message);
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(signature.to_bytes().as_slice());
        out
    }
}

/// Writes a new key file with mode 0600 (never wider, not even for a moment); refuses to
/// replace an existing file, which may be the only copy of a key.
pub fn write_key_file(path: &std::path::Path, pem: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    crate::private_files::restrict(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MemberSigningKey {
        MemberSigningKey::generate(&Rng::danger_deterministic(b"member key")).unwrap()
    }

    #[test]
    fn signing_key_signatures_verify_with_ring_and_nothing_else_does() {
        let key = key();
        let public = key.public_key();
        let signature = key.sign(b"the report");
        assert!(public.verify(b"the report", &signature));
        assert!(!public.verify(b"another report", &signature));
        let mut tampered = signature;
        tampered[10] ^= 1;
        assert!(!public.verify(b"the report", &tampered));
        assert!(!public.verify(b"the report", &signature[..63]));
        let other = MemberSigningKey::generate(&Rng::danger_deterministic(b"other")).unwrap();
        assert!(!other.public_key().verify(b"the report", &signature));
    }

    #[test]
    fn signing_key_file_round_trips_under_its_passphrase_only() {
        let rng = Rng::danger_deterministic(b"file");
        let key = key();
        let passphrase = Passphrase::new("correct horse battery\n".into());
        let pem = key.to_encrypted_pem(&passphrase, &rng).unwrap();
        assert!(
            pem.starts_with(&format!("-----BEGIN {PEM_LABEL}-----")),
            "{}",
            *pem
        );
        let read = MemberSigningKey::from_encrypted_pem(
            &pem,
            &Passphrase::new("correct horse battery".into()),
        )
        .unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert_eq!(
            MemberSigningKey::from_encrypted_pem(
                &pem,
                &Passphrase::new("wrong horse battery".into())
            )
            .err(),
            Some(MemberKeyError::KeyFile)
        );
        assert_eq!(
            key.to_encrypted_pem(&Passphrase::new("short".into()), &rng)
                .err(),
            Some(MemberKeyError::ShortPassphrase)
        );
    }

    #[test]
    fn signing_key_enrolment_accepts_pem_and_base64_and_refuses_other_keys() {
        let public = key().public_key();
        let base64 = public.to_base64();
        let parsed = MemberPublicKey::parse(&base64).unwrap();
        assert_eq!(parsed, public);
        assert_eq!(parsed.fingerprint().len(), 64);
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
            &base64[..64],
            &base64[64..]
        );
        assert_eq!(MemberPublicKey::parse(&pem).unwrap(), public);
        assert_eq!(
            MemberPublicKey::parse("not base64!").err(),
            Some(MemberKeyError::NotEncoded)
        );
        // An Ed25519 SubjectPublicKeyInfo is well-formed DER but not a P-256 key.
        let ed25519 = "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=";
        assert_eq!(
            MemberPublicKey::parse(ed25519).err(),
            Some(MemberKeyError::NotMemberKey)
        );
        // A point off the curve: the last coordinate byte changed.
        let mut der = public.spki_der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 1;
        assert_eq!(
            MemberPublicKey::from_spki_der(&der).err(),
            Some(MemberKeyError::NotMemberKey)
        );
    }

    fn sm2_key(distinguishing_id: &str) -> sm2::dsa::SigningKey {
        sm2::dsa::SigningKey::from_slice(distinguishing_id, &[7u8; 32]).unwrap()
    }

    fn sm2_sign(key: &sm2::dsa::SigningKey, message: &[u8]) -> Vec<u8> {
        use sm2::dsa::signature::Signer as _;
        let signature: sm2::dsa::Signature = key.sign(message);
        signature.to_bytes().to_vec()
    }

    #[test]
    fn sm2_key_is_told_by_its_curve_and_verifies_sm2_signatures_under_the_default_id_only() {
        let signing = sm2_key(crate::crypto::suite::DEFAULT_SM2_ID);
        let point = signing.verifying_key().to_sec1_bytes();
        let public = MemberPublicKey::from_sm2_point(&point).unwrap();
        assert_eq!(public.algorithm(), MemberKeyAlgorithm::Sm2Sm3);
        assert_eq!(public.algorithm().name(), "sm2-sm3");
        assert_eq!(
            MemberKeyAlgorithm::from_name("sm2-sm3"),
            Some(MemberKeyAlgorithm::Sm2Sm3)
        );
        // Enrolled as base64 or PEM, it reads back as the same key of the same algorithm.
        let parsed = MemberPublicKey::parse(&public.to_base64()).unwrap();
        assert_eq!(parsed, public);
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            public.to_base64()
        );
        assert_eq!(MemberPublicKey::parse(&pem).unwrap(), public);

        let signature = sm2_sign(&signing, b"the report");
        assert_eq!(signature.len(), SIGNATURE_LEN);
        assert!(public.verify(b"the report", &signature));
        assert!(!public.verify(b"another report", &signature));
        // The same private key under another identifier: another Z_A, so another digest.
        let other_id = sm2_sign(&sm2_key("ALICE123@YAHOO.COM"), b"the report");
        assert!(!public.verify(b"the report", &other_id));
        // A P-256 key's signature is no SM2 signature, and the other way round.
        let p256 = key();
        assert!(!public.verify(b"the report", &p256.sign(b"the report")));
        assert!(!p256.public_key().verify(b"the report", &signature));
        assert_eq!(
            p256.public_key().algorithm(),
            MemberKeyAlgorithm::EcdsaP256Sha256
        );
        assert_eq!(p256.public_key().algorithm().name(), ALGORITHM);

        // The SM2 curve named over a point that is not on it.
        let mut der = public.spki_der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 1;
        assert_eq!(
            MemberPublicKey::from_spki_der(&der).err(),
            Some(MemberKeyError::NotMemberKey)
        );
    }
}
