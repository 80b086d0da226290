//! Reproducible benchmarks (`sealdraw bench …`): each measures the product on the machine it
//! runs on beside that machine's raw limits and prints a Markdown report. Benchmarks are
//! commands, not timed tests.

pub mod audit;
pub mod draw;
pub mod pool;
pub mod sessions;

pub use audit::{AuditBenchOptions, audit, redact_password};
pub use draw::{DrawBenchOptions, draw};
pub use pool::{PoolBenchOptions, pool};
pub use sessions::{SessionsBenchOptions, sessions};
