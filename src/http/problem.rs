//! The one error type of the HTTP boundary. Every failure becomes an RFC 9457
//! `application/problem+json` body with a stable type, a human-readable detail that never
//! carries internal text, and the request id that ties it to the server's logs, where the whole
//! cause chain is written.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::request_id;
use crate::auth::AuthError;
use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    retry_after: Option<Duration>,
    /// Logged, never sent.
    cause: Option<String>,
    /// Captured when the error is made, while the request's scope is still current.
    request_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem, stable across releases.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Quote this when reporting a problem; it finds the request in the server's logs.
    pub request_id: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
            cause: None,
            request_id: request_id::current(),
        }
    }

    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let field = field.into();
        let detail = format!("{field}: {}", detail.into());
        Self {
            field: Some(field),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid-request",
                "Invalid request",
                detail,
            )
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    /// A failure on our side: the client learns only that it happened and its request id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the server could not complete the request; quote the request id to the operator",
            )
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.slug, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = self
            .request_id
            .clone()
            .or_else(request_id::current)
            .unwrap_or_default();
        if let Some(cause) = &self.cause {
            tracing::error!(request_id = %request_id, problem = self.slug, cause = %cause, "request failed");
        } else {
            tracing::info!(request_id = %request_id, problem = self.slug, status = self.status.as_u16(), "request refused");
        }
        let body = Problem {
            kind: format!("urn:sealdraw:problem:{}", self.slug),
            title: self.title.into(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
            request_id: request_id.clone(),
        };
        let mut response = HttpResponse::build(self.status);
        for (name, value) in super::SECURITY_HEADERS {
            response.insert_header((*name, *value));
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.insert_header((request_id::HEADER, value));
        }
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(wait) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        // Serialising a struct of strings and integers cannot fail.
        response.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        use AuthError::*;
        match error {
            InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
                "username, password or one-time code is not correct",
            ),
            Unauthenticated => {
                Self::unauthenticated("send a bearer token in the Authorization header")
            }
            TokenEnded => Self::new(
                StatusCode::UNAUTHORIZED,
                "token-ended",
                "Token not valid",
                "the token has expired or been revoked; log in again",
            ),
            UnknownCertificate => Self::new(
                StatusCode::UNAUTHORIZED,
                "unknown-certificate",
                "Client certificate not registered",
                "the client certificate is not registered to an active center account",
            ),
            Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "your role may not do this",
            ),
            Throttled(wait) => Self {
                retry_after: Some(wait),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "Too many attempts",
                    format!("too many attempts; retry after {} s", wait.as_secs().max(1)),
                )
            },
            InvalidInput { field, problem } => Self::bad_request(field, problem),
            UsernameTaken(name) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                format!("an account named {name:?} already exists"),
            ),
            NoSuchAccount(name) => Self::not_found(format!("no account named {name:?}")),
            Store(e) => e.into(),
            Password(e) => Self::internal(e),
            Sealing => Self::internal("sealing failed"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                format!("a record with the same {what} already exists"),
            ),
            StoreError::Database(sqlx::Error::PoolTimedOut) => {
                Self::unavailable("the database is not reachable; retry shortly")
            }
            other => Self::internal(format!("{other}: {:?}", other)),
        }
    }
}

/// Turns a JSON extraction failure into a problem that says what was wrong with the body, in
/// serde's words about the client's own input, cut short so nothing large is echoed back.
pub fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => body_too_large(limit),
        E::ContentType => unsupported_media_type(),
        E::Deserialize(e) => invalid_json(&e, None),
        E::Payload(_) | E::Serialize(_) | _ => unreadable_body(),
    }
}

/// A body that did not parse into the expected type, naming the field at fault by its path.
pub fn json_parse_error(
    error: &serde_json::Error,
    path: Option<&serde_path_to_error::Path>,
) -> ApiError {
    let field = path
        .map(ToString::to_string)
        // Only paths that start at a key of the body object name a field: "." is the body
        // itself, "[0]" an element of a body sent as an array, "?" a key not yet read.
        .filter(|path| {
            path != "." && !path.starts_with('[') && !path.contains('?') && path.len() <= 64
        });
    invalid_json(error, field)
}

pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        "Request body too large",
        format!("the request body exceeds the limit of {limit} bytes"),
    )
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        "the request body must be sent as Content-Type: application/json",
    )
}

pub fn unreadable_body() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-body",
        "Invalid request body",
        "the request body could not be read",
    )
}

fn invalid_json(error: &serde_json::Error, field: Option<String>) -> ApiError {
    let mut message = error.to_string();
    message.truncate(
        message
            .char_indices()
            .nth(200)
            .map_or(message.len(), |(i, _)| i),
    );
    ApiError {
        field: field.or_else(|| field_named_in(&message)),
        ..ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-json",
            "Invalid JSON body",
            message,
        )
    }
}

/// serde names a field in back-quotes in these messages only; in others (`invalid type:
/// integer `5``) the back-quotes hold the client's value, which is no field name.
fn field_named_in(message: &str) -> Option<String> {
    let rest = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))?;
    let field = &rest[..rest.find('`')?];
    (field.len() <= 64).then(|| field.to_owned())
}
