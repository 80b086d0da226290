//! The signed audit trail: a transparency log in the public C2SP formats (signed-note,
//! tlog-checkpoint, tlog-tiles, tlog-proof, tlog-cosignature, tlog-witness) with RFC 6962
//! hashing, so that a supervisor trusts mathematics, not the operator.
//!
//! - [`merkle`], [`note`], [`checkpoint`], [`tiles`], [`proof`]: the pure core (no I/O).
//! - [`entry`]: canonical JSON entries.
//! - [`log`]: appending inside the action's own transaction, signing checkpoints, serving
//!   proofs and tiles from stored hashes.
//! - [`export`]: the offline export and verifier.
//! - [`witness`]: tlog-witness, both sides: the witness server an independent body runs, and
//!   the log's submissions to witnesses.

#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod entry;
pub(crate) mod export;
pub mod log;
pub mod merkle;
pub mod note;
pub mod proof;
pub(crate) mod tiles;
pub mod witness;

pub use entry::{Actor, AuditEntry};
pub use log::{AuditError, AuditLog, append, hold};
