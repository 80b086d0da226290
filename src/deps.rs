//! The handles every domain service is built from: the store, the injected clock and
//! randomness, and the key ring. One value, cloned into each service, instead of four
//! arguments threaded by hand; `startup` makes it once, tests and tools make their own.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::crypto::{KeyRing, Rng};
use crate::store::Store;

/// Cheap to clone: every field is a shared handle.
#[derive(Clone)]
pub struct Deps {
    pub store: Store,
    pub(crate) clock: SharedClock,
    pub rng: Rng,
    pub keys: Arc<KeyRing>,
}
