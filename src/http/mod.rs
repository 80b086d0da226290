//! The HTTPS surface: routes by resource, the problem+json error type, security headers,
//! request ids and the OpenAPI document.
//!
//! Every route is registered through `utoipa_actix_web` with `.service()` of a handler that
//! carries `#[utoipa::path]`, so the OpenAPI document is generated from the same registration
//! and cannot miss a route.

pub mod accounts;
pub mod audit;
pub mod experts;
pub mod extract;
pub mod health;
pub mod problem;
pub mod request_id;
pub mod session;
pub mod unseal;

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub use extract::PeerCertificate;
pub use problem::ApiError;

use crate::audit::AuditLog;
use crate::auth::AuthService;
use crate::clock::SharedClock;
use crate::crypto::{KeyRing, Rng};
use crate::pool::PoolService;
use crate::store::Store;

/// Shared by every worker. Holds handles, never global state.
pub struct AppState {
    pub store: Store,
    pub auth: AuthService,
    pub audit: Arc<AuditLog>,
    pub pool: PoolService,
    pub clock: SharedClock,
    pub rng: Rng,
    pub keys: Arc<KeyRing>,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sealdraw",
        description = "Secure expert draw and remote evaluation coordination. Errors are RFC 9457 \
                       problem+json bodies carrying a request id.",
    ),
    components(schemas(problem::Problem)),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Registers every route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(session::login)
        .service(session::logout)
        .service(session::me)
        .service(accounts::list)
        .service(accounts::create)
        .service(accounts::disable)
        .service(accounts::enable)
        .service(accounts::revoke_tokens)
        .service(audit::latest_checkpoint)
        .service(audit::sign_checkpoint_now)
        .service(audit::key)
        .service(audit::entry_by_index)
        .service(audit::proof_file)
        .service(audit::consistency_proof)
        .service(audit::tile)
        .service(experts::import_experts)
        .service(experts::list_experts)
        .service(experts::expert)
        .service(experts::statistics)
        .service(unseal::create)
        .service(unseal::list)
        .service(unseal::approve)
        .service(unseal::refuse)
        .service(unseal::read);
}

/// Sent on every response, errors included.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cache-control", "no-store"),
];

pub fn security_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, (name, value)| {
            headers.add((*name, *value))
        })
}

/// JSON bodies: size limit, and parse errors reported as problems naming what is wrong.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|error, _request| problem::json_error(error).into())
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("no such resource"))
}
