//! Signing keys that sign without ever handing out their private half: the log's keys
//! (checkpoints and statements, from the key ring) and a witness's cosigning key (from its own
//! key file), in the deployment's suite — Ed25519 (RFC 8032) or SM2 with SM3 and a
//! distinguishing identifier (GB/T 32918.2, GB/T 35276). What a signature line looks like — key
//! names, key ids, the signed-note and cosignature formats — is `audit::note`'s business; this
//! module only holds keys, signs bytes and checks signatures.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use zeroize::Zeroizing;

use std::sync::Arc;

use super::Suite;
use super::module::{Module, ModuleError};

/// Both suites keep their private keys as 32 bytes: an Ed25519 seed (RFC 8032) or an SM2
/// private scalar (big-endian, 1 ≤ d < n − 1).
pub(crate) const SEED_LEN: usize = 32;
/// Both suites' signatures are 64 bytes: Ed25519's R ‖ S, SM2's r ‖ s.
pub(crate) const SIGNATURE_LEN: usize = 64;
pub(crate) const ED25519_PUBLIC_KEY_LEN: usize = 32;
/// An SM2 public key as an uncompressed SEC 1 point: `0x04 ‖ x ‖ y`.
pub(crate) const SM2_PUBLIC_KEY_LEN: usize = 65;

#[derive(Debug, thiserror::Error)]
#[error("not a valid {0} private key")]
pub struct InvalidSigningKey(&'static str);

/// A public signature algorithm and what a verifier must know besides the key: for SM2 the
/// distinguishing identifier, which enters the signed digest (Z_A).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    Ed25519,
    Sm2 { distinguishing_id: String },
}

impl SignatureAlgorithm {
    /// The algorithm a suite signs with, SM2 under the standard identifier.
    pub fn of(suite: Suite) -> Self {
        match suite {
            Suite::Intl2024 => Self::Ed25519,
            Suite::Gm2024 => Self::Sm2 {
                distinguishing_id: super::suite::DEFAULT_SM2_ID.to_owned(),
            },
        }
    }

    /// The suite whose hashes go with this algorithm.
    pub fn suite(&self) -> Suite {
        match self {
            Self::Ed25519 => Suite::Intl2024,
            Self::Sm2 { .. } => Suite::Gm2024,
        }
    }
}

/// A public key with its algorithm: checks signatures, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: SignatureAlgorithm,
    bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("not a valid {0} public key")]
pub struct InvalidPublicKey(&'static str);

impl PublicKey {
    pub fn new(algorithm: SignatureAlgorithm, bytes: &[u8]) -> Result<Self, InvalidPublicKey> {
        match &algorithm {
            SignatureAlgorithm::Ed25519 if bytes.len() != ED25519_PUBLIC_KEY_LEN => {
                return Err(InvalidPublicKey("Ed25519"));
            }
            SignatureAlgorithm::Sm2 { distinguishing_id } => {
                if bytes.len() != SM2_PUBLIC_KEY_LEN {
                    return Err(InvalidPublicKey("SM2"));
                }
                // A point off the curve is refused here rather than at every verification.
                sm2::dsa::VerifyingKey::from_sec1_bytes(distinguishing_id, bytes)
                    .map_err(|_| InvalidPublicKey("SM2"))?;
            }
            SignatureAlgorithm::Ed25519 => {}
        }
        Ok(Self {
            algorithm,
            bytes: bytes.to_vec(),
        })
    }

    pub fn algorithm(&self) -> &SignatureAlgorithm {
        &self.algorithm
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.algorithm {
            SignatureAlgorithm::Ed25519 => UnparsedPublicKey::new(&ED25519, &self.bytes)
                .verify(message, signature)
                .is_ok(),
            SignatureAlgorithm::Sm2 { distinguishing_id } => {
                let Ok(key) =
                    sm2::dsa::VerifyingKey::from_sec1_bytes(distinguishing_id, &self.bytes)
                else {
                    return false;
                };
                let Ok(signature) = sm2::dsa::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify(message, &signature).is_ok()
            }
        }
    }
}

/// A private key that callers can use but not read: it offers its public key and signatures,
/// nothing else. Deliberately neither `Debug` nor `Display` nor `Clone`; share it behind an
/// `Arc`.
///
/// This type is the seam for keys that never enter the process: an HSM or PKCS#11 backend keeps
/// the private key in the token and answers [`Signer::public_key`] and [`Signer::sign`] by
/// asking it. Everything above `crypto` — the log's notes and checkpoints, a witness's
/// cosignatures — sees only those two methods, so such a backend changes this module alone.
pub struct Signer {
    key: SignerKey,
}

/// Neither ring's Ed25519 key pair nor the `sm2` crate's signing key wipes its private half
/// when dropped; both are held for the process's life (the log's keys, a witness's key), so
/// the memory is released only at exit. An HSM backend (issue 18 §3) keeps them out of the
/// process altogether.
enum SignerKey {
    Ed25519(Ed25519KeyPair),
    /// An Ed25519 key pair in a PKCS#11 module: it signs there; the public half is read once.
    InModule {
        module: Arc<Module>,
        object_id: Vec<u8>,
        public_key: Vec<u8>,
    },
    // Boxed: the signing key with its precomputed verifying key is several hundred bytes.
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl Signer {
    /// From the 32-byte private key: how the key ring and the witness key file store keys, and
    /// how tests and published vectors name fixed keys. SM2 keys sign under the standard
    /// distinguishing identifier.
    pub fn from_seed(suite: Suite, seed: &[u8]) -> Result<Self, InvalidSigningKey> {
        Self::with_algorithm(&SignatureAlgorithm::of(suite), seed)
    }

    pub fn with_algorithm(
        algorithm: &SignatureAlgorithm,
        seed: &[u8],
    ) -> Result<Self, InvalidSigningKey> {
        let key = match algorithm {
            SignatureAlgorithm::Ed25519 => {
                if seed.len() != SEED_LEN {
                    return Err(InvalidSigningKey("Ed25519"));
                }
                SignerKey::Ed25519(
                    Ed25519KeyPair::from_seed_unchecked(seed)
                        .map_err(|_| InvalidSigningKey("Ed25519"))?,
                )
            }
            SignatureAlgorithm::Sm2 { distinguishing_id } => {
                if seed.len() != SEED_LEN {
                    return Err(InvalidSigningKey("SM2"));
                }
                // Refuses 0 and values ≥ n; GB/T 32918.1 also excludes n − 1, whose public
                // key makes (1 + d)⁻¹ undefined — the crate refuses to sign with it.
                let key = sm2::dsa::SigningKey::from_slice(distinguishing_id, seed)
                    .map_err(|_| InvalidSigningKey("SM2"))?;
                SignerKey::Sm2(Box::new(key))
            }
        };
        Ok(Self { key })
    }

    /// The Ed25519 key pair `object_id` of `module`: signs inside the module.
    pub(crate) fn in_module(module: Arc<Module>, object_id: Vec<u8>) -> Result<Self, ModuleError> {
        let public_key = module.public_key(&object_id)?;
        Ok(Self {
            key: SignerKey::InModule {
                module,
                object_id,
                public_key,
            },
        })
    }

    /// A fresh 32-byte private key for `suite`, valid for it (an SM2 scalar in range).
    pub(crate) fn generate_seed(
        suite: Suite,
        rng: &super::Rng,
    ) -> Result<Zeroizing<[u8; SEED_LEN]>, super::rng::RandomnessUnavailable> {
        loop {
            let seed = Zeroizing::new(rng.bytes::<SEED_LEN>()?);
            // Out-of-range SM2 scalars turn up about once in 2³² draws; draw again.
            if Self::from_seed(suite, &*seed).is_ok() {
                return Ok(seed);
            }
        }
    }

    /// From a PKCS#8 v1 or v2 Ed25519 private key (DER), as written by
    /// `openssl genpkey -algorithm ed25519 -outform DER`.
    #[cfg(test)]
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, InvalidSigningKey> {
        // v1 documents (what OpenSSL writes) carry no public key to check;
        // v2 documents do, and ring checks it against the private key.
        let key_pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|_| InvalidSigningKey("Ed25519"))?;
        Ok(Self {
            key: SignerKey::Ed25519(key_pair),
        })
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        match &self.key {
            SignerKey::Ed25519(_) | SignerKey::InModule { .. } => SignatureAlgorithm::Ed25519,
            SignerKey::Sm2(key) => SignatureAlgorithm::Sm2 {
                distinguishing_id: key.distid().to_owned(),
            },
        }
    }

    /// The public key: 32 bytes for Ed25519, an uncompressed SEC 1 point (65 bytes) for SM2.
    pub fn public_key(&self) -> PublicKey {
        let bytes = match &self.key {
            SignerKey::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
            SignerKey::Sm2(key) => key.verifying_key().to_sec1_bytes().to_vec(),
            SignerKey::InModule { public_key, .. } => public_key.clone(),
        };
        PublicKey {
            algorithm: self.algorithm(),
            bytes,
        }
    }

    /// The signature of `message`: RFC 8032 for Ed25519; for SM2, GB/T 32918.2 over
    /// SM3(Z_A ‖ message) with a deterministic nonce (RFC 6979 style, as the crate does), which
    /// verifies like any other SM2 signature. Both are deterministic: the same message, the same
    /// bytes. Only a key in a module can fail to sign (the module's error, no fallback).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], ModuleError> {
        let mut signature = [0u8; SIGNATURE_LEN];
        match &self.key {
            // Cannot panic: Ed25519 signatures are always 64 bytes.
            SignerKey::Ed25519(pair) => signature.copy_from_slice(pair.sign(message).as_ref()),
            // Cannot panic: SM2 signatures over the 256-bit curve are r ‖ s, 64 bytes.
            SignerKey::Sm2(key) => {
                let signed: sm2::dsa::Signature = key.sign(message);
                signature.copy_from_slice(&signed.to_bytes());
            }
            SignerKey::InModule {
                module, object_id, ..
            } => {
                let signed = module.sign(object_id, message)?;
                if signed.len() != SIGNATURE_LEN {
                    return Err(ModuleError::Unavailable(format!(
                        "the module returned a {}-byte Ed25519 signature",
                        signed.len()
                    )));
                }
                signature.copy_from_slice(&signed);
            }
        }
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 §7.1, TEST 2.
    const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const PUBLIC_KEY: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    #[test]
    fn a_signer_from_a_seed_matches_rfc_8032() {
        let signer = Signer::from_seed(Suite::Intl2024, &hex::decode(SEED).unwrap()).unwrap();
        assert_eq!(hex::encode(signer.public_key().as_bytes()), PUBLIC_KEY);
        assert_eq!(hex::encode(signer.sign(&[0x72]).unwrap()), SIGNATURE);
    }

    #[test]
    fn seeds_of_any_other_length_are_refused() {
        for length in [0, 31, 33, 64] {
            assert!(
                Signer::from_seed(Suite::Intl2024, &vec![1; length]).is_err(),
                "{length}"
            );
        }
    }

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "ring writes PKCS#8 v2 documents only for keys it generates; a throwaway key"
    )]
    fn pkcs8_keys_match_their_seed() {
        let seed = [9u8; 32];
        // PKCS#8 v1 as OpenSSL writes it: the algorithm id and the seed.
        let mut v1 = hex::decode("302e020100300506032b657004220420").unwrap();
        v1.extend_from_slice(&seed);
        let from_seed = Signer::from_seed(Suite::Intl2024, &seed).unwrap();
        let from_v1 = Signer::from_pkcs8(&v1).unwrap();
        assert_eq!(from_v1.public_key(), from_seed.public_key());
        assert_eq!(from_v1.sign(b"m").unwrap(), from_seed.sign(b"m").unwrap());
        // PKCS#8 v2 as ring writes it: with the public key, which ring checks.
        let v2 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let from_v2 = Signer::from_pkcs8(v2.as_ref()).unwrap();
        assert!(
            from_v2
                .public_key()
                .verifies(b"m", &from_v2.sign(b"m").unwrap())
        );
        assert!(Signer::from_pkcs8(&v1[..20]).is_err());
    }

    // GM/T 0003.5-2012 (and GB/T 32918.5 Appendix A's example on the recommended curve):
    // the private key, its public key, and the published signature of "message digest" under
    // the standard identifier.
    const SM2_PRIVATE: &str = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
    const SM2_PUBLIC: &str = "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020\
                              ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
    const SM2_SIGNATURE: &str = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3\
                                 b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa";

    #[test]
    fn an_sm2_signer_matches_the_standard_example() {
        let signer = Signer::from_seed(Suite::Gm2024, &hex::decode(SM2_PRIVATE).unwrap()).unwrap();
        let public = signer.public_key();
        assert_eq!(hex::encode(public.as_bytes()), SM2_PUBLIC);
        let published = hex::decode(SM2_SIGNATURE).unwrap();
        assert!(public.verifies(b"message digest", &published));
        assert!(!public.verifies(b"message digesT", &published));
        // Ours differs from the example's (its nonce was fixed by hand) but verifies the same.
        let ours = signer.sign(b"message digest").unwrap();
        assert!(public.verifies(b"message digest", &ours));
        assert_eq!(
            ours,
            signer.sign(b"message digest").unwrap(),
            "deterministic"
        );
        // Another identifier is another Z_A: the same bytes no longer verify.
        let other = PublicKey::new(
            SignatureAlgorithm::Sm2 {
                distinguishing_id: "ALICE123@YAHOO.COM".into(),
            },
            public.as_bytes(),
        )
        .unwrap();
        assert!(!other.verifies(b"message digest", &published));
    }

    #[test]
    fn out_of_range_sm2_keys_and_malformed_public_keys_are_refused() {
        assert!(Signer::from_seed(Suite::Gm2024, &[0; 32]).is_err());
        assert!(Signer::from_seed(Suite::Gm2024, &[0xff; 32]).is_err());
        assert!(Signer::from_seed(Suite::Gm2024, &[1; 31]).is_err());
        let sm2 = SignatureAlgorithm::of(Suite::Gm2024);
        let mut off_curve = hex::decode(SM2_PUBLIC).unwrap();
        off_curve[64] ^= 1;
        assert!(PublicKey::new(sm2.clone(), &off_curve).is_err());
        assert!(PublicKey::new(sm2, &[4; 33]).is_err());
        assert!(PublicKey::new(SignatureAlgorithm::Ed25519, &[0; 31]).is_err());
    }

    #[test]
    fn generated_seeds_are_valid_for_their_suite() {
        let rng = crate::crypto::Rng::danger_deterministic(b"seeds");
        for suite in [Suite::Intl2024, Suite::Gm2024] {
            let seed = Signer::generate_seed(suite, &rng).unwrap();
            let signer = Signer::from_seed(suite, &*seed).unwrap();
            assert_eq!(signer.algorithm().suite(), suite);
            assert!(
                signer
                    .public_key()
                    .verifies(b"m", &signer.sign(b"m").unwrap())
            );
        }
    }
}
