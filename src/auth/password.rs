//! argon2id password hashing, run on the blocking pool so that a burst of logins cannot stall
//! the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

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
pub struct PasswordHasher {
    params: Params,
    /// Verified against when the username is unknown, so that unknown users and wrong passwords
    /// cost the same time.
    dummy_hash: String,
}

pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MIN_NEW_PASSWORD_CHARS: usize = 12;

impl PasswordHasher {
    pub fn new(
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

    pub async fn hash(&self, password: SecretString, rng: &Rng) -> Result<String, PasswordError> {
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
    pub async fn verify(
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

fn hash_with(params: &Params, rng: &Rng, password: &[u8]) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rng.bytes().map_err(|_| PasswordError::Randomness)?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| PasswordError::Parameters(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Parameters(e.to_string()))
}

/// Rules for passwords chosen by people; the server never sees them again in clear.
pub fn check_new_password(password: &str) -> Result<(), String> {
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
    Ok(())
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
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
    }
}
