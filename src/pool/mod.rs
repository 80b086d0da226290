//! The province's expert pool (一个库): expert records whose identities are sealed, import,
//! demo data, role-specific views and the dual-controlled unseal workflow.

pub mod demo;
pub mod import;
pub mod own_record;
pub mod service;
pub mod unseal;
pub mod validate;

pub use service::{PoolError, PoolService};
