//! Reproducible benchmarks (`sealdraw bench …`): each measures the product on the machine it
//! runs on beside that machine's raw limits and prints a Markdown report. Benchmarks are
//! commands, not timed tests.

pub(crate) mod analytics;
pub(crate) mod audit;
pub(crate) mod crypto;
pub(crate) mod draw;
pub(crate) mod pool;
pub(crate) mod report_pdf;
pub(crate) mod sessions;

pub(crate) use audit::{AuditBenchOptions, audit, redact_password};
pub(crate) use crypto::{CryptoBenchOptions, crypto};
pub(crate) use draw::{DrawBenchOptions, draw};
pub(crate) use pool::{PoolBenchOptions, pool};
pub(crate) use sessions::{SessionsBenchOptions, sessions};
