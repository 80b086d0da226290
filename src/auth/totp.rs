//! RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s steps: what authenticator
//! apps support), checked against the injected clock and accepted at most once per step.

use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::clock::Millis;
use crate::crypto::constant_time_eq;

pub(crate) const STEP_SECONDS: i64 = 30;
pub(crate) const SECRET_BYTES: usize = 20;

/// Returns the time step the code belongs to (current, previous or next, to allow for clock
/// drift), or `None`. The caller must reject steps already used.
pub(crate) fn matching_step(secret: &Zeroizing<Vec<u8>>, code: &str, now: Millis) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = generator(secret)?;
    let current = now.div_euclid(1000) / STEP_SECONDS;
    let mut found = None;
    // Check all candidates so the time taken does not depend on which one matched.
    for step in [current - 1, current, current + 1] {
        let at = u64::try_from(step * STEP_SECONDS).ok()?;
        if constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

/// The current code, for tests and the dev bootstrap only.
pub fn current_code(secret: &[u8], now: Millis) -> Option<String> {
    let totp = generator(&Zeroizing::new(secret.to_vec()))?;
    Some(totp.generate(u64::try_from(now.div_euclid(1000)).ok()?))
}

/// The provisioning URI that authenticator apps scan.
pub(crate) fn provisioning_uri(
    secret: &[u8],
    issuer: &str,
    username: &str,
) -> Option<Zeroizing<String>> {
    let totp = TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS as u64,
        secret.to_vec(),
        Some(issuer.replace(':', "")),
        username.replace(':', ""),
    )
    .ok()?;
    Some(Zeroizing::new(totp.get_url()))
}

pub fn base32_secret(secret: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(
        totp_rs::Secret::Raw(secret.to_vec())
            .to_encoded()
            .to_string(),
    )
}

fn generator(secret: &Zeroizing<Vec<u8>>) -> Option<TOTP> {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS as u64,
        secret.to_vec(),
        None,
        String::new(),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector_at_59_seconds() {
        // RFC 6238 appendix B: secret "12345678901234567890", T=59 s gives 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = Zeroizing::new(b"12345678901234567890".to_vec());
        assert_eq!(current_code(&secret, 59_000).unwrap(), "287082");
        assert_eq!(matching_step(&secret, "287082", 59_000), Some(1));
    }

    #[test]
    fn codes_from_adjacent_steps_match_but_older_ones_do_not() {
        let secret = Zeroizing::new(vec![9u8; SECRET_BYTES]);
        let now = 1_000_000_000_000;
        let previous = current_code(&secret, now - 30_000).unwrap();
        let stale = current_code(&secret, now - 90_000).unwrap();
        assert!(matching_step(&secret, &previous, now).is_some());
        assert_eq!(matching_step(&secret, &stale, now), None);
        assert_eq!(matching_step(&secret, "12a456", now), None);
    }
}
