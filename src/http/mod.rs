//! The HTTPS surface: routes by resource, the problem+json error type, security headers,
//! request ids and the OpenAPI document.
//!
//! Every route is registered through `utoipa_actix_web` with `.service()` of a handler that
//! carries `#[utoipa::path]`, so the OpenAPI document is generated from the same registration
//! and cannot miss a route.

pub mod accounts;
pub mod extract;
pub mod health;
pub mod problem;
pub mod request_id;
pub mod session;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpMessage as _, web};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub use extract::PeerCertificate;
pub use problem::ApiError;

use crate::auth::AuthService;
use crate::clock::SharedClock;
use crate::crypto::{KeyRing, Rng};
use crate::store::Store;

/// Shared by every worker. Holds handles, never global state.
pub struct AppState {
    pub store: Store,
    pub auth: AuthService,
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
        .service(accounts::revoke_tokens);
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

/// actix closes a connection whose request body was left unread (a request refused before
/// its body was needed, or a body sent to a route that takes none) without saying so, and a
/// client that reuses the connection then fails its next request. Saying `Connection: close`
/// on such a response lets the client open a new connection instead.
pub async fn close_after_unread_body(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use futures_util::StreamExt as _;

    let payload = request.take_payload();
    let read_to_end = Rc::new(Cell::new(matches!(payload, Payload::None)));
    if !read_to_end.get() {
        let mark = read_to_end.clone();
        let end = futures_util::stream::poll_fn(move |_| {
            mark.set(true);
            std::task::Poll::Ready(None)
        });
        let stream: BodyStream = Box::pin(payload.chain(end));
        request.set_payload(Payload::from(stream));
    }
    let mut response = next.call(request).await?;
    if !read_to_end.get() {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

type BodyStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>>,
>;

/// JSON bodies: size limit, and parse errors reported as problems naming what is wrong.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|error, _request| problem::json_error(error).into())
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("no such resource"))
}
