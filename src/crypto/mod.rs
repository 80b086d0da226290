//! The only module that touches key material: randomness, hashing, sealing (AES-256-GCM with key
//! ids), HMAC and signing keys. Everything above it sees opaque handles, never raw keys.
//!
//! Primitives are grouped behind [`Suite`] so a national-crypto suite (SM2/SM3/SM4) can be added
//! beside the international one without touching callers.

pub mod keys;
pub mod rng;
pub mod seal;
pub(crate) mod signing;
pub mod witness_key;

pub use keys::{KeyInventory, KeyRing};
pub use rng::Rng;
pub use signing::Ed25519Signer;

use ring::{digest, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The cipher suites a deployment can run. Only the international suite exists today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Suite {
    /// Ed25519, AES-256-GCM, HMAC-SHA256, SHA-256.
    Intl2024,
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// HMAC-SHA256 under one key over many messages that start with the same bytes: the key
/// schedule and the common prefix are absorbed once, so each message costs only the blocks of
/// its own tail. A draw computes thousands of such MACs (a token per eligible expert, a score
/// per eligible token) and building the key per call was most of their cost (BENCHMARKS.md,
/// Draws). `mac(parts)` equals [`hmac_sha256`]`(key, [prefix, parts…])`.
#[derive(Clone)]
pub(crate) struct HmacPrefix(hmac::Context);

impl HmacPrefix {
    pub(crate) fn new(key: &[u8], prefix: &[u8]) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        let mut context = hmac::Context::with_key(&key);
        context.update(prefix);
        Self(context)
    }

    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut context = self.0.clone();
        for part in parts {
            context.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        out
    }
}

/// Comparison whose duration does not depend on where the inputs first differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Bytes that must never be printed and are wiped when dropped. Deliberately has no `Debug`,
/// `Display` or `Serialize`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
