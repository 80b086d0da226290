//! A request id per request: in a task-local so any error built while handling the request can
//! quote it, in the tracing span so every log line carries it, and in `X-Request-Id`.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use super::ApiError;

/// How long a request may take before it is answered 503, as the server's application data;
/// without it, [`DEFAULT_DEADLINE`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestDeadline(pub Duration);

pub(crate) const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

tokio::task_local! {
    static REQUEST_ID: String;
}

pub(crate) fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub(crate) const HEADER: &str = "x-request-id";

/// Wraps every request: id, span, deadline, access log line and metrics.
pub(crate) async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let method = request.method().to_string();
    // The route pattern, not the raw path: ids in paths stay out of metrics cardinality.
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let timeout = request
        .app_data::<RequestDeadline>()
        .map_or(DEFAULT_DEADLINE, |deadline| deadline.0);
    let span = tracing::info_span!("http", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    // PostgreSQL cannot store NUL in text, and no path or query of ours has a use for one.
    // "%00" has no letters, so no case to fold; read in place, no copy of the URI per request.
    let has_nul = request
        .uri()
        .path_and_query()
        .is_some_and(|target| target.as_str().contains("%00"));
    let language = super::language::Language::negotiate(request.headers());
    let outcome = REQUEST_ID
        .scope(
            id.clone(),
            super::language::scope(language, async move {
                if has_nul {
                    return Err(ApiError::bad_request(
                        "path",
                        "paths and query strings may not contain a NUL byte (%00)",
                    )
                    .into());
                }
                match tokio::time::timeout(timeout, next.call(request)).await {
                    Ok(result) => result,
                    // Built inside the scope, so the problem quotes the request id; it carries the
                    // security headers itself because outer middleware does not see errors.
                    Err(_elapsed) => Err(ApiError::new(
                        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                        "timeout",
                        "Request took too long",
                        format!(
                            "the request did not complete within {} s",
                            timeout.as_secs()
                        ),
                    )
                    .into()),
                }
            }),
        )
        .instrument(span.clone())
        .await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => {
            span.in_scope(|| {
                tracing::info!(
                    status = error.as_response_error().status_code().as_u16(),
                    "request ended with an error"
                )
            });
            return Err(error);
        }
    };
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    let elapsed = started.elapsed();
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed.as_millis() as u64, "request"));
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    Ok(response)
}
