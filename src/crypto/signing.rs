//! Ed25519 signing keys that sign without ever handing out their private half: the log's keys
//! (checkpoints and statements, from the key ring) and a witness's cosigning key (from its own
//! key file). What a signature line looks like — key names, key ids, the signed-note and
//! cosignature formats — is `audit::note`'s business; this module only holds keys and signs
//! bytes.

use ring::signature::{Ed25519KeyPair, KeyPair};

/// RFC 8032: an Ed25519 private key is a 32-byte seed.
pub(crate) const ED25519_SEED_LEN: usize = 32;
pub(crate) const ED25519_PUBLIC_KEY_LEN: usize = 32;
pub(crate) const ED25519_SIGNATURE_LEN: usize = 64;

#[derive(Debug, thiserror::Error)]
#[error("not a valid Ed25519 private key")]
pub struct InvalidSigningKey;

/// An Ed25519 private key that callers can use but not read: it offers its public key and
/// signatures, nothing else. Deliberately neither `Debug` nor `Display` nor `Clone`; share it
/// behind an `Arc`.
///
/// This type is the seam for keys that never enter the process (issue 18): an HSM or PKCS#11
/// backend keeps the private key in the token and answers [`Ed25519Signer::public_key`] and
/// [`Ed25519Signer::sign`] by asking it. Everything above `crypto` — the log's notes and
/// checkpoints, a witness's cosignatures — sees only those two methods, so such a backend
/// changes this module alone.
pub struct Ed25519Signer {
    key_pair: Ed25519KeyPair,
}

impl Ed25519Signer {
    /// From the 32-byte seed: how the key ring and the witness key file store keys, and how
    /// tests and published vectors name fixed keys.
    pub fn from_seed(seed: &[u8]) -> Result<Self, InvalidSigningKey> {
        if seed.len() != ED25519_SEED_LEN {
            return Err(InvalidSigningKey);
        }
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| InvalidSigningKey)?;
        Ok(Self { key_pair })
    }

    /// From a PKCS#8 v1 or v2 Ed25519 private key (DER), as written by
    /// `openssl genpkey -algorithm ed25519 -outform DER`.
    #[cfg(test)]
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, InvalidSigningKey> {
        // v1 documents (what OpenSSL writes) carry no public key to check;
        // v2 documents do, and ring checks it against the private key.
        let key_pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|_| InvalidSigningKey)?;
        Ok(Self { key_pair })
    }

    pub(crate) fn public_key(&self) -> [u8; ED25519_PUBLIC_KEY_LEN] {
        let mut public_key = [0u8; ED25519_PUBLIC_KEY_LEN];
        // Cannot panic: ring's Ed25519 public keys are always 32 bytes.
        public_key.copy_from_slice(self.key_pair.public_key().as_ref());
        public_key
    }

    /// The RFC 8032 signature of `message` (deterministic: the same message, the same bytes).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
        let mut signature = [0u8; ED25519_SIGNATURE_LEN];
        // Cannot panic: Ed25519 signatures are always 64 bytes.
        signature.copy_from_slice(self.key_pair.sign(message).as_ref());
        signature
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{ED25519, UnparsedPublicKey};

    use super::*;

    // RFC 8032 §7.1, TEST 2.
    const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const PUBLIC_KEY: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    #[test]
    fn a_signer_from_a_seed_matches_rfc_8032() {
        let signer = Ed25519Signer::from_seed(&hex::decode(SEED).unwrap()).unwrap();
        assert_eq!(hex::encode(signer.public_key()), PUBLIC_KEY);
        assert_eq!(hex::encode(signer.sign(&[0x72])), SIGNATURE);
    }

    #[test]
    fn seeds_of_any_other_length_are_refused() {
        for length in [0, 31, 33, 64] {
            assert!(
                Ed25519Signer::from_seed(&vec![1; length]).is_err(),
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
        let from_seed = Ed25519Signer::from_seed(&seed).unwrap();
        let from_v1 = Ed25519Signer::from_pkcs8(&v1).unwrap();
        assert_eq!(from_v1.public_key(), from_seed.public_key());
        assert_eq!(from_v1.sign(b"m"), from_seed.sign(b"m"));
        // PKCS#8 v2 as ring writes it: with the public key, which ring checks.
        let v2 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let from_v2 = Ed25519Signer::from_pkcs8(v2.as_ref()).unwrap();
        UnparsedPublicKey::new(&ED25519, from_v2.public_key())
            .verify(b"m", &from_v2.sign(b"m"))
            .unwrap();
        assert!(Ed25519Signer::from_pkcs8(&v1[..20]).is_err());
    }
}
