//! The two cipher suites a deployment can run, and the primitives each one names. A deployment
//! chooses its suite once, when its key file is made (`sealdraw keys init --suite intl|gm`);
//! everything that hashes, MACs, seals or signs asks the suite rather than naming an algorithm,
//! so the national suite (SM3, HMAC-SM3, SM4-GCM, SM2) and the international one (SHA-256,
//! HMAC-SHA256, AES-256-GCM, Ed25519) run the same code above this module.
//!
//! Both suites produce 32-byte digests and MACs and 64-byte signatures, so stored columns and
//! published layouts keep their sizes; what differs is named in the published formats (the
//! signed-note signature type, the digest field names) so a verifier can tell which suite made
//! a record without being told.
//!
//! The international primitives come from `ring`; the national ones from RustCrypto's `sm2`,
//! `sm3` and `sm4` with its generic GCM (`aes-gcm`'s `AesGcm<Sm4, U12>`) and `hmac`: maintained
//! in one organisation with the crates rustls and half the ecosystem build on, pure Rust (no C
//! library to vendor or keep in step), and checked here against the standards' own vectors and,
//! in the integration tests, against OpenSSL 3 and Python's `gmssl` (docs/CRYPTO.md).

use hmac::{KeyInit, Mac};
use ring::{digest, hmac as ring_hmac};
use sm3::Digest as _;

/// The cipher suites. Serialised (key file, database, published records) as `intl2024` and
/// `gm2024`; the year names the set of choices, so a later change of any one primitive is a new
/// suite rather than a silent change of meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suite {
    /// Ed25519, AES-256-GCM, HMAC-SHA256, SHA-256.
    Intl2024,
    /// SM2 (with SM3 and a distinguishing identifier), SM4-GCM, HMAC-SM3, SM3: GB/T 32918,
    /// GB/T 32907, GB/T 32905, RFC 8998.
    Gm2024,
}

/// GB/T 35276-2017 §10: the distinguishing identifier SM2 signatures use when no other one is
/// agreed, `1234567812345678` as ASCII.
pub const DEFAULT_SM2_ID: &str = "1234567812345678";

/// The longest distinguishing identifier accepted: ENTL is a 16-bit count of bits, and a short
/// bound keeps verifier keys short.
pub const MAX_SM2_ID_LEN: usize = 64;

impl Suite {
    pub const ALL: [Suite; 2] = [Suite::Intl2024, Suite::Gm2024];

    /// The suite of a command line's `--suite intl|gm` (the serialised names work too).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "intl" | "intl2024" => Some(Self::Intl2024),
            "gm" | "gm2024" => Some(Self::Gm2024),
            _ => None,
        }
    }

    /// The serialised name (`intl2024`, `gm2024`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Intl2024 => "intl2024",
            Self::Gm2024 => "gm2024",
        }
    }

    /// What the suite's digest is called in published field names (`reasons_sha256`,
    /// `reasons_sm3`).
    pub fn hash_name(self) -> &'static str {
        match self {
            Self::Intl2024 => "sha256",
            Self::Gm2024 => "sm3",
        }
    }

    /// The name of an audit-entry field holding the digest of `what` (`sha256` alone when
    /// `what` is empty).
    pub fn digest_field(self, what: &str) -> String {
        if what.is_empty() {
            self.hash_name().to_owned()
        } else {
            format!("{what}_{}", self.hash_name())
        }
    }

    pub fn hash(self, data: &[u8]) -> [u8; 32] {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finish()
    }

    /// The lowercase hex of [`Suite::hash`], as published records write digests.
    pub fn hex_hash(self, data: &[u8]) -> String {
        hex::encode(self.hash(data))
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Self::Intl2024 => Hasher::Sha256(digest::Context::new(&digest::SHA256)),
            Self::Gm2024 => Hasher::Sm3(sm3::Sm3::new()),
        }
    }

    /// HMAC under `key` over the concatenation of `parts`.
    pub fn mac(self, key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        MacPrefix::new(self, key, &[]).mac(parts)
    }

    /// The key length of the suite's sealing cipher: 32 bytes for AES-256, 16 for SM4.
    pub fn sealing_key_len(self) -> usize {
        match self {
            Self::Intl2024 => 32,
            Self::Gm2024 => 16,
        }
    }
}

/// For serde: records that predate the national suite name none, and mean `intl2024`.
pub fn international() -> Suite {
    Suite::Intl2024
}

/// For serde: the default suite is written by leaving the member out, so records of the
/// international suite keep the bytes they had before the national suite existed.
pub fn is_international(suite: &Suite) -> bool {
    *suite == Suite::Intl2024
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An incremental digest in the suite's hash.
#[derive(Clone)]
pub enum Hasher {
    Sha256(digest::Context),
    Sm3(sm3::Sm3),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha256(context) => context.update(data),
            Self::Sm3(context) => context.update(data),
        }
    }

    pub fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            // Cannot panic: SHA-256 and SM3 digests are both exactly 32 bytes.
            Self::Sha256(context) => out.copy_from_slice(context.finish().as_ref()),
            Self::Sm3(context) => out.copy_from_slice(&context.finalize()),
        }
        out
    }
}

/// The suite's HMAC under one key over many messages that start with the same bytes: the key
/// schedule and the common prefix are absorbed once, so each message costs only the blocks of
/// its own tail. A draw computes thousands of such MACs (a token per eligible expert, a score
/// per eligible token) and building the key per call was most of their cost (BENCHMARKS.md,
/// Draws). `mac(parts)` equals [`Suite::mac`]`(key, [prefix, parts…])`.
#[derive(Clone)]
pub struct MacPrefix(MacState);

#[derive(Clone)]
enum MacState {
    Sha256(ring_hmac::Context),
    Sm3(hmac::Hmac<sm3::Sm3>),
}

impl MacPrefix {
    pub fn new(suite: Suite, key: &[u8], prefix: &[u8]) -> Self {
        match suite {
            Suite::Intl2024 => {
                let key = ring_hmac::Key::new(ring_hmac::HMAC_SHA256, key);
                let mut context = ring_hmac::Context::with_key(&key);
                context.update(prefix);
                Self(MacState::Sha256(context))
            }
            Suite::Gm2024 => {
                // Cannot fail: HMAC accepts keys of any length (long ones are hashed first).
                let mut context = <hmac::Hmac<sm3::Sm3> as KeyInit>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of every length"));
                context.update(prefix);
                Self(MacState::Sm3(context))
            }
        }
    }

    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut out = [0u8; 32];
        match &self.0 {
            MacState::Sha256(context) => {
                let mut context = context.clone();
                for part in parts {
                    context.update(part);
                }
                out.copy_from_slice(context.sign().as_ref());
            }
            MacState::Sm3(context) => {
                let mut context = context.clone();
                for part in parts {
                    context.update(part);
                }
                out.copy_from_slice(&context.finalize().into_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> [Suite; 2] {
        [Suite::Intl2024, Suite::Gm2024]
    }

    #[test]
    fn sm3_matches_gb_t_32905_appendix_a() {
        assert_eq!(
            Suite::Gm2024.hex_hash(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            Suite::Gm2024.hex_hash(&b"abcd".repeat(16)),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sha256_matches_fips_180_4() {
        assert_eq!(
            Suite::Intl2024.hex_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = Suite::Intl2024.mac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_sm3_is_rfc_2104_over_sm3() {
        // RFC 2104 spelled out with SM3 itself (block size 64), so the crate's HMAC is checked
        // against the definition rather than against its own output; OpenSSL agrees
        // (integration/gm_crosscheck.rs).
        let key = b"a key shorter than a block";
        let message = b"The quick brown fox jumps over the lazy dog";
        let mut block = [0u8; 64];
        block[..key.len()].copy_from_slice(key);
        let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
        let inner = Suite::Gm2024.hash(&[pad(0x36), message.to_vec()].concat());
        let outer = Suite::Gm2024.hash(&[pad(0x5c), inner.to_vec()].concat());
        assert_eq!(Suite::Gm2024.mac(key, &[message]), outer);
    }

    #[test]
    fn a_prefix_mac_equals_the_mac_of_the_whole_message() {
        for suite in both() {
            let macs = MacPrefix::new(suite, b"k", b"prefix/");
            assert_eq!(
                macs.mac(&[b"a", b"b"]),
                suite.mac(b"k", &[b"prefix/ab"]),
                "{suite}"
            );
        }
        assert_ne!(
            Suite::Intl2024.mac(b"k", &[b"m"]),
            Suite::Gm2024.mac(b"k", &[b"m"])
        );
    }

    #[test]
    fn names_round_trip_and_digest_fields_name_the_hash() {
        for suite in both() {
            assert_eq!(Suite::from_name(suite.name()), Some(suite));
            let json = serde_json::to_string(&suite).unwrap();
            assert_eq!(json, format!("\"{}\"", suite.name()));
        }
        assert_eq!(Suite::from_name("gm"), Some(Suite::Gm2024));
        assert_eq!(Suite::from_name("intl"), Some(Suite::Intl2024));
        assert_eq!(Suite::from_name("sm"), None);
        assert_eq!(Suite::Gm2024.digest_field("reasons"), "reasons_sm3");
        assert_eq!(Suite::Intl2024.digest_field(""), "sha256");
    }
}
