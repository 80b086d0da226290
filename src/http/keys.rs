//! Key status for administrators and supervisors: which keys are in force, by id only.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Authorized, may};
use super::{AppState, problem::ApiError};

type Problem = super::problem::Problem;

#[derive(Serialize, ToSchema)]
pub(crate) struct KeyStatus {
    /// The cipher suite (e.g. `intl2024`: Ed25519, AES-256-GCM, HMAC-SHA256, SHA-256).
    #[schema(value_type = String)]
    pub(crate) suite: crate::crypto::Suite,
    /// The master key new values are sealed under.
    pub(crate) active_sealing_key: String,
    /// Every sealing key this server can still open with; more than one while a rotation
    /// re-seals older values.
    pub(crate) sealing_keys: Vec<String>,
    pub(crate) log: LogKeyStatus,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LogKeyStatus {
    pub origin: String,
    /// The log's verifier keys (signed-note vkey form); more than one during a rotation.
    pub(crate) verifier_keys: Vec<String>,
    pub(crate) signing_keys: Vec<LogSigningKey>,
    /// The latest signed checkpoint's tree size, and how many witness cosignatures it carries.
    pub checkpoint_size: u64,
    pub(crate) checkpoint_cosignatures: usize,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LogSigningKey {
    pub id: String,
    /// False once retired: it no longer signs, but its old signatures still verify.
    pub(crate) active: bool,
}

/// Which keys are in force: ids, verifier keys and the latest checkpoint — never key material.
#[utoipa::path(
    responses((status = 200, body = KeyStatus), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/keys")]
pub(crate) async fn status(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint = state.audit.latest_checkpoint().await?;
    let verifier_keys: Vec<String> = state.audit.vkeys().lines().map(str::to_owned).collect();
    let log_names: Vec<&str> = verifier_keys
        .iter()
        .filter_map(|vkey| vkey.split('+').next())
        .collect();
    // Signature lines are "— <key name> <signature>"; any name but the log's is a witness.
    let cosignatures = checkpoint
        .note
        .lines()
        .filter_map(|line| line.strip_prefix("\u{2014} "))
        .filter_map(|line| line.split(' ').next())
        .filter(|name| !log_names.contains(name))
        .count();
    let keys = state.key_inventory.ids();
    Ok(HttpResponse::Ok().json(KeyStatus {
        suite: keys.suite,
        active_sealing_key: keys.active_sealing_key,
        sealing_keys: keys.sealing_keys,
        log: LogKeyStatus {
            origin: state.audit.origin().to_owned(),
            checkpoint_size: checkpoint.size,
            checkpoint_cosignatures: cosignatures,
            signing_keys: keys
                .log_keys
                .into_iter()
                .map(|(id, active)| LogSigningKey { id, active })
                .collect(),
            verifier_keys,
        },
    }))
}
