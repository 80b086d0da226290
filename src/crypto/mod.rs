//! The only module that touches key material or names an algorithm: randomness, the
//! deployment's cipher [`Suite`] (hashing, MACs, sealing, signatures), and the keys. Everything
//! above it sees opaque handles and asks the suite, never a primitive.

pub mod archived_certificate;
pub mod custody;
pub mod keys;
pub mod member_certificate;
pub mod member_key;
pub mod member_token;
pub mod module;
#[cfg(test)]
mod openssl_crosscheck;
pub mod rng;
pub mod seal;
pub(crate) mod signing;
pub mod suite;
pub mod witness_key;

pub use keys::{KeyInventory, KeyRing};
pub use rng::Rng;
pub use signing::{PublicKey, SignatureAlgorithm, Signer};
pub use suite::{Hasher, MacPrefix, Suite};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The SHA-256 fingerprint of a DER certificate, as TLS tooling and browsers show it. TLS is
/// the international suite whatever the deployment's suite (see SECURITY.md, transport), so
/// this is not a suite primitive.
pub fn certificate_fingerprint(der: &[u8]) -> [u8; 32] {
    Suite::Intl2024.hash(der)
}

/// HMAC-SHA256 for a protocol of an outside party that names its own algorithm (the SMS
/// platform's request signature, docs/NOTIFY.md), whatever the deployment's suite.
pub(crate) fn interop_hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    Suite::Intl2024.mac(key, parts)
}

/// A digest no security property and no published format depends on: finding duplicates
/// without holding values twice, cache validators. Fixed whatever the suite.
pub(crate) fn untrusted_digest(data: &[u8]) -> [u8; 32] {
    Suite::Intl2024.hash(data)
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
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
