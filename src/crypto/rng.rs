//! The CSPRNG handle. Production draws from the operating system; tests use a seeded
//! deterministic generator so that runs repeat exactly. Nothing else in the crate may create
//! randomness on its own.

use std::sync::{Arc, Mutex};

use ring::hmac;
use ring::rand::SecureRandom;

pub(crate) trait RandomSource: Send + Sync + 'static {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable>;
}

#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub(crate) struct RandomnessUnavailable;

#[derive(Clone)]
pub struct Rng(Arc<dyn RandomSource>);

impl Rng {
    #[expect(
        clippy::disallowed_methods,
        reason = "the CSPRNG handle: the one place that creates the operating system's generator"
    )]
    pub(crate) fn system() -> Self {
        Self(Arc::new(
            SystemRandomSource(ring::rand::SystemRandom::new()),
        ))
    }

    /// Deterministic output for tests and reproducible benchmarks. Never used by `serve`.
    pub fn danger_deterministic(seed: &[u8]) -> Self {
        Self(Arc::new(HmacDrbg::new(seed)))
    }

    pub(crate) fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        self.0.fill(dest)
    }

    pub(crate) fn bytes<const N: usize>(&self) -> Result<[u8; N], RandomnessUnavailable> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }
}

struct SystemRandomSource(ring::rand::SystemRandom);

impl RandomSource for SystemRandomSource {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        self.0.fill(dest).map_err(|_| RandomnessUnavailable)
    }
}

/// HMAC-SHA256 in counter mode over a fixed seed: enough for reproducible tests, and keeps the
/// deterministic path on the same primitive the rest of the crate already trusts.
struct HmacDrbg {
    key: hmac::Key,
    counter: Mutex<u64>,
}

impl HmacDrbg {
    fn new(seed: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, seed),
            counter: Mutex::new(0),
        }
    }
}

impl RandomSource for HmacDrbg {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        let mut counter = self.counter.lock().map_err(|_| RandomnessUnavailable)?;
        for chunk in dest.chunks_mut(32) {
            let block = hmac::sign(&self.key, &counter.to_be_bytes());
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            *counter += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_generator_repeats_for_the_same_seed_and_differs_across_seeds() {
        let a = Rng::danger_deterministic(b"seed-a");
        let b = Rng::danger_deterministic(b"seed-a");
        let c = Rng::danger_deterministic(b"seed-c");
        let (x, y, z): ([u8; 48], [u8; 48], [u8; 48]) =
            (a.bytes().unwrap(), b.bytes().unwrap(), c.bytes().unwrap());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(a.bytes::<32>().unwrap(), x[..32]);
    }

    #[test]
    fn system_generator_does_not_repeat() {
        let rng = Rng::system();
        assert_ne!(rng.bytes::<32>().unwrap(), rng.bytes::<32>().unwrap());
    }
}
