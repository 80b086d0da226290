//! What every HTTPS server of ours shares — the API server (`http`, assembled by `startup`) and
//! the witness server (`audit::witness`): the security headers on every answer, request ids
//! and deadlines, and the problem+json error type.

pub(crate) mod language;
pub(crate) mod problem;
pub(crate) mod problem_zh;
pub(crate) mod request_id;

use actix_web::middleware::DefaultHeaders;

pub(crate) use problem::ApiError;
pub(crate) use request_id::RequestDeadline;

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

pub(crate) fn security_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, (name, value)| {
            headers.add((*name, *value))
        })
}
