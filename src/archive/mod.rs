//! The evaluation archive (issue 19 §2): one self-contained package per closed session (and per
//! on-site evaluation's draw) that proves, offline and for fifteen years, what was decided, by
//! whom, and that it is in the signed log. docs/ARCHIVE.md is the package's specification.
//!
//! - [`package`]: the files and their formats; the package as a directory or a zip.
//! - [`verify`]: the offline verifier, every check of the specification in its order.
//! - [`service`]: building a package on its first request, keeping it for the retention period
//!   under its id, listing and deleting.
//! - [`pdf`]: the readable report.

pub mod package;
pub mod pdf;
pub(crate) mod service;
pub mod verify;
