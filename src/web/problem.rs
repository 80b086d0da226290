//! The one error type of our HTTPS servers. Every failure becomes an RFC 9457
//! `application/problem+json` body with a stable type, a human-readable detail that never
//! carries internal text, and the request id that ties it to the server's logs, where the whole
//! cause chain is written. How each domain error maps to a problem is `http::problem`'s part.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::language::{self, Language};
use super::request_id;

pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Boxed so that `Result<T, ApiError>` stays small on the happy path.
#[derive(Debug)]
pub(crate) struct ApiError(Box<Details>);

#[derive(Debug)]
struct Details {
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
    /// Itemised problems (e.g. one per bad line of an import), sent as `problems`.
    problems: Option<serde_json::Value>,
    /// The reader's language, captured like the request id.
    language: Language,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// A URN naming the kind of problem, stable across releases.
    #[serde(rename = "type")]
    pub kind: String,
    pub(crate) title: String,
    pub(crate) status: u16,
    pub detail: String,
    /// The request field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Quote this when reporting a problem; it finds the request in the server's logs.
    pub(crate) request_id: String,
    /// Itemised problems where there are several, e.g. `[{"line": 7, "field": "phone", "problem": "…"}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) problems: Option<serde_json::Value>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Details {
            status,
            slug,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
            cause: None,
            request_id: request_id::current(),
            problems: None,
            language: language::current(),
        }))
    }

    pub(crate) fn with_field(mut self, field: Option<String>) -> Self {
        self.0.field = field;
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Duration) -> Self {
        self.0.retry_after = Some(wait);
        self
    }

    pub(crate) fn with_problems(mut self, problems: impl Serialize) -> Self {
        self.0.problems = serde_json::to_value(problems).ok();
        self
    }

    pub(crate) fn with_cause(mut self, cause: String) -> Self {
        self.0.cause = Some(cause);
        self
    }

    pub(crate) fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let field = field.into();
        let detail = format!("{field}: {}", detail.into());
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid request",
            detail,
        )
        .with_field(Some(field))
    }

    /// The request contradicts what is already recorded; `slug` names which rule.
    pub(crate) fn conflict(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, slug, "Conflict", detail)
    }

    pub(crate) fn forbidden(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, slug, "Forbidden", detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub(crate) fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    /// A failure on our side: the client learns only that it happened and its request id.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server could not complete the request; quote the request id to the operator",
        )
        .with_cause(cause.to_string())
    }

    /// The key module (HSM) failed: the request was refused before anything was written, and
    /// nothing fell back to software keys. The module's error goes to the log, not the client.
    pub(crate) fn key_module_unavailable(cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "key-module-unavailable",
            "Key module unavailable",
            "the key module (HSM) is unavailable, so nothing was done; try again once the \
             operator has restored it",
        )
        .with_cause(cause.to_string())
    }

    pub(crate) fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.slug,
            self.0.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = self
            .0
            .request_id
            .clone()
            .or_else(request_id::current)
            .unwrap_or_default();
        if let Some(cause) = &self.0.cause {
            tracing::error!(request_id = %request_id, problem = self.0.slug, cause = %cause, "request failed");
        } else {
            tracing::info!(request_id = %request_id, problem = self.0.slug, status = self.0.status.as_u16(), "request refused");
        }
        let chinese = self.0.language == Language::Chinese;
        let in_language = |text: &str| {
            chinese
                .then(|| super::problem_zh::translate(text))
                .flatten()
                .unwrap_or_else(|| text.to_owned())
        };
        let mut problems = self.0.problems.clone();
        if chinese && let Some(serde_json::Value::Array(items)) = problems.as_mut() {
            for item in items {
                if let Some(serde_json::Value::String(problem)) = item.get_mut("problem") {
                    *problem = in_language(problem);
                }
            }
        }
        let body = Problem {
            kind: format!("urn:sealdraw:problem:{}", self.0.slug),
            title: self.0.title.into(),
            status: self.0.status.as_u16(),
            detail: in_language(&self.0.detail),
            field: self.0.field.clone(),
            request_id: request_id.clone(),
            problems,
        };
        let mut response = HttpResponse::build(self.0.status);
        for (name, value) in super::SECURITY_HEADERS {
            response.insert_header((*name, *value));
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.insert_header((request_id::HEADER, value));
        }
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        response.insert_header((header::CONTENT_LANGUAGE, self.0.language.tag()));
        response.insert_header((header::VARY, "accept-language"));
        if let Some(wait) = self.0.retry_after {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        if self.0.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        // Serialising a struct of strings and integers cannot fail.
        response.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}
