//! The evaluation archive (issue 19 §2): one self-contained package per closed session (and per
//! on-site evaluation's draw) that proves, offline and for fifteen years, what was decided, by
//! whom, and that it is in the signed log. docs/ARCHIVE.md is the package's specification.

pub mod pdf;
