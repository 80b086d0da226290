//! The province's expert pool (一个库): expert records whose identities are sealed, import,
//! demo data, role-specific views and the dual-controlled unseal workflow.

pub mod validate;
