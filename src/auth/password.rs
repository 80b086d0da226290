//! argon2id password hashing, run on the blocking pool so that a burst of logins cannot stall
//! the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use zeroize::Zeroizing;

use crate::crypto::Rng;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing parameters are invalid: {0}")]
    Parameters(String),
    #[error("randomness unavailable")]
    Randomness,
    #[error("stored password hash is malformed")]
    MalformedHash,
    #[error("password hashing task failed")]
    Task,
}

#[derive(Clone)]
pub(crate) struct PasswordHasher {
    params: Params,
    /// Verified against when the username is unknown, so that unknown users and wrong passwords
    /// cost the same time.
    dummy_hash: String,
}

pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;
pub(crate) const MIN_NEW_PASSWORD_CHARS: usize = 12;

impl PasswordHasher {
    pub(crate) fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        rng: &Rng,
    ) -> Result<Self, PasswordError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| PasswordError::Parameters(e.to_string()))?;
        let dummy_password = hex::encode(rng.bytes::<16>().map_err(|_| PasswordError::Randomness)?);
        let dummy_hash = hash_with(&params, rng, dummy_password.as_bytes())?;
        Ok(Self { params, dummy_hash })
    }

    pub(crate) async fn hash(
        &self,
        password: SecretString,
        rng: &Rng,
    ) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let rng = rng.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| hash_with(&params, &rng, password.expose_secret().as_bytes()))
        })
        .await
        .map_err(|_| PasswordError::Task)?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no account, and
    /// answers `false` in that case whatever the password.
    pub(crate) async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let account_exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let verified = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|_| PasswordError::MalformedHash)?;
            Ok::<_, PasswordError>(
                Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .instrument(tracing::Span::current())
        .await
        .map_err(|_| PasswordError::Task)??;
        Ok(verified && account_exists)
    }
}

/// A well-formed hash of a random password nobody knows, cheap to make: for accounts that
/// exist only as names (the synthetic history's centers), which are also disabled.
pub(crate) fn unusable_hash(rng: &Rng) -> Result<String, PasswordError> {
    let params =
        Params::new(8, 1, 1, None).map_err(|e| PasswordError::Parameters(e.to_string()))?;
    let password: [u8; 32] = rng.bytes().map_err(|_| PasswordError::Randomness)?;
    hash_with(&params, rng, &password)
}

fn hash_with(params: &Params, rng: &Rng, password: &[u8]) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rng.bytes().map_err(|_| PasswordError::Randomness)?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| PasswordError::Parameters(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Parameters(e.to_string()))
}

/// Rules for passwords chosen by people (NIST SP 800-63B §3.1.1.2, OWASP ASVS V2.1): long
/// enough, and none that an attacker tries first: a commonly used password, one that contains
/// the account's username, or one made by repeating or counting characters. The server never
/// sees them again in clear.
pub(crate) fn check_new_password(password: &str, username: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_NEW_PASSWORD_CHARS {
        return Err(format!(
            "password must have at least {MIN_NEW_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    let folded = Zeroizing::new(password.to_lowercase());
    if !username.is_empty() && folded.contains(&username.to_lowercase()) {
        return Err("password must not contain the username".into());
    }
    if common_passwords().contains(folded.trim()) {
        return Err("password is one of the most commonly used passwords; choose another".into());
    }
    if is_repetitive_or_sequential(&folded) {
        return Err(
            "password must not be made by repeating or counting characters (like aaaaaaaaaaaa, \
             abcabcabcabc or 123456789abc)"
                .into(),
        );
    }
    Ok(())
}

/// The 20,000 passwords found most often in breached password lists, lower-cased (Royce
/// Williams's list as Django ships it; source and licence in `data/README.md`).
fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("data/common-passwords.txt").lines().collect())
}

/// Few distinct characters (`aaaaaaaaaaab`), a shorter string repeated (`abcabcabcabc`,
/// `passwordpassword`) or one run of consecutive characters (`abcdefghijkl`, `987654321098`
/// is not: it wraps).
fn is_repetitive_or_sequential(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    let distinct: HashSet<char> = chars.iter().copied().collect();
    if distinct.len() < 5 {
        return true;
    }
    let repeated = (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|chunk| chunk == &chars[..unit])
    });
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|pair| i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0])))
        .collect();
    let counting = steps.iter().all(|&step| step == 1) || steps.iter().all(|&step| step == -1);
    repeated || counting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_verify() {
        let rng = Rng::danger_deterministic(b"pw");
        let hasher = PasswordHasher::new(19 * 1024, 2, 1, &rng).unwrap();
        let hash = hasher
            .hash(SecretString::from("correct horse battery"), &rng)
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify(
                    SecretString::from("correct horse battery"),
                    Some(hash.clone())
                )
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(SecretString::from("wrong"), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(SecretString::from("anything"), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn new_passwords_must_be_long_enough() {
        assert!(check_new_password("short", "expert.li").is_err());
        assert!(check_new_password("long enough pass", "expert.li").is_ok());
    }

    #[test]
    fn common_repetitive_and_sequential_passwords_and_the_username_are_refused() {
        for (password, rule) in [
            ("aaaaaaaaaaaa", "repeating"),
            ("aaaaaaaaaaab", "repeating"),
            ("abcabcabcabc", "repeating"),
            ("PasswordPassword", "repeating"),
            ("abcdefghijklm", "counting"),
            ("9876543210/.", "counting"),
            ("qwertyuiop[]", "commonly used"),
            ("QWERTY123456", "commonly used"),
            ("1q2w3e4r5t6y", "commonly used"),
            ("my-expert.li-pass", "username"),
            ("MY-EXPERT.LI-PASS", "username"),
        ] {
            let problem = check_new_password(password, "expert.li").unwrap_err();
            assert!(problem.contains(rule), "{password}: {problem}");
        }
        for fine in [
            "correct horse battery staple",
            "1234abcd5678efgh",
            "expert li sings at dawn",
        ] {
            assert_eq!(check_new_password(fine, "expert.li"), Ok(()), "{fine}");
        }
    }

    #[test]
    fn the_shipped_list_holds_the_common_passwords_lower_cased() {
        let list = common_passwords();
        assert_eq!(list.len(), 19_640);
        for common in ["123456", "password", "iloveyou", "qwertyuiop"] {
            assert!(list.contains(common), "{common}");
        }
        assert!(
            list.iter()
                .all(|p| *p == p.to_lowercase() && *p == p.trim())
        );
    }
}
