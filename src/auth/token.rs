//! Opaque bearer tokens: 256 bits from the CSPRNG, shown to the client once, stored only as
//! their SHA-256 so that a database reader cannot act as anyone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::crypto::{Rng, Suite, rng::RandomnessUnavailable};

const PREFIX: &str = "sdt_";

/// A token as issued; deliberately without `Debug` or `Display`.
pub struct BearerToken(Zeroizing<String>);

impl BearerToken {
    pub(crate) fn generate(rng: &Rng) -> Result<Self, RandomnessUnavailable> {
        let bytes = Zeroizing::new(rng.bytes::<32>()?);
        Ok(Self(Zeroizing::new(format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(*bytes)
        ))))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self, suite: Suite) -> [u8; 32] {
        digest_of(suite, &self.0)
    }
}

/// The stored form of a presented token. Malformed tokens still hash, and simply match nothing.
pub(crate) fn digest_of(suite: Suite, presented: &str) -> [u8; 32] {
    suite.hash(presented.as_bytes())
}

pub(crate) fn looks_like_token(presented: &str) -> bool {
    presented.len() == PREFIX.len() + 43
        && presented.starts_with(PREFIX)
        && presented[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_recognisable() {
        let rng = Rng::danger_deterministic(b"t");
        let a = BearerToken::generate(&rng).unwrap();
        let b = BearerToken::generate(&rng).unwrap();
        assert_ne!(a.expose(), b.expose());
        assert!(looks_like_token(a.expose()));
        assert!(!looks_like_token("sdt_short"));
        assert_eq!(
            a.digest(Suite::Gm2024),
            digest_of(Suite::Gm2024, a.expose())
        );
    }
}
