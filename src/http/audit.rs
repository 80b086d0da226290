//! The audit log's read API, for supervisors and admins: the signed checkpoint, entries,
//! tlog-tiles, tlog-proof files and consistency proofs.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, may};
use super::{AppState, problem::ApiError};
use crate::audit::log::encode_hashes;
use crate::audit::tiles::TilePath;

type Problem = super::problem::Problem;

const NOTE: &str = "text/plain; charset=utf-8";

/// The latest signed checkpoint (a C2SP signed note with any witness cosignatures).
#[utoipa::path(
    responses((status = 200, body = String, content_type = "text/plain"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/checkpoint")]
pub(crate) async fn latest_checkpoint(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
) -> Result<HttpResponse, ApiError> {
    let signed = state.audit.latest_checkpoint().await?;
    Ok(HttpResponse::Ok().content_type(NOTE).body(signed.note))
}

/// Sign a checkpoint now if entries are pending, and return the latest checkpoint.
#[utoipa::path(
    responses((status = 200, body = String, content_type = "text/plain"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/audit/checkpoint")]
pub(crate) async fn sign_checkpoint_now(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
) -> Result<HttpResponse, ApiError> {
    let signed = state.audit.checkpoint_now().await?;
    Ok(HttpResponse::Ok().content_type(NOTE).body(signed.note))
}

/// The log's verifier key(s) in signed-note vkey form, one per line.
#[utoipa::path(
    responses((status = 200, body = String, content_type = "text/plain"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/key")]
pub(crate) async fn key(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type(NOTE)
        .body(state.audit.vkeys()))
}

/// One entry's canonical JSON, byte for byte as it was hashed into the log.
#[utoipa::path(
    params(("index" = u64, Path)),
    responses((status = 200, content_type = "application/json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/entries/{index}")]
pub(crate) async fn entry_by_index(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
    index: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let index = parse_index(&index, "index")?;
    let entry = state.audit.entry(index).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(entry))
}

/// A tlog-proof file (c2sp.org/tlog-proof@v1) for the entry against a checkpoint covering it.
#[utoipa::path(
    params(("index" = u64, Path)),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/proof/{index}")]
pub(crate) async fn proof_file(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
    index: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let index = parse_index(&index, "index")?;
    let file = state.audit.proof_file(index).await?;
    Ok(HttpResponse::Ok().content_type(NOTE).body(file))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConsistencyQuery {
    /// The older tree size.
    pub(crate) old: String,
    /// The newer tree size, at most the latest checkpoint's.
    pub(crate) new: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConsistencyProof {
    pub old_size: u64,
    pub(crate) new_size: u64,
    /// Base64 SHA-256 hashes, RFC 9162 order.
    pub proof: Vec<String>,
}

/// A consistency proof between two tree sizes.
#[utoipa::path(
    params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/consistency")]
pub(crate) async fn consistency_proof(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ReadAudit, web::Query<ConsistencyQuery>>,
) -> Result<HttpResponse, ApiError> {
    let old = parse_index(&query.old, "old")?;
    let new = parse_index(&query.new, "new")?;
    if old > new {
        return Err(ApiError::bad_request("old", "must not exceed new"));
    }
    let hashes = state.audit.consistency_proof(old, new).await?;
    Ok(HttpResponse::Ok().json(ConsistencyProof {
        old_size: old,
        new_size: new,
        proof: encode_hashes(&hashes),
    }))
}

/// tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles `tile/entries/<N>[.p/<W>]`.
#[utoipa::path(
    params(("path" = String, Path, description = "the tile path after /api/v1/audit/, e.g. tile/0/x001/234.p/7")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/audit/{path:tile/.+}")]
pub(crate) async fn tile(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAudit>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tile: TilePath = path.parse().map_err(|e: crate::audit::tiles::TileError| {
        ApiError::not_found(format!("not a tile path: {e}"))
    })?;
    let bytes = state.audit.tile(&tile).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(bytes))
}

fn parse_index(text: &str, field: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|value| *value < (1 << 62))
        .ok_or_else(|| ApiError::bad_request(field, "must be a non-negative integer"))
}
