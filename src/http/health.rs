//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::{AppState, problem::ApiError};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Status {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// The process can serve: its store answers and accepts writes.
#[utoipa::path(responses(
    (status = 200, body = Status),
    (status = 503, body = super::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Status { status: "ready" })),
        Ok(Err(error)) => {
            tracing::warn!(cause = %error, "readiness check failed");
            Err(ApiError::unavailable("the store is not reachable"))
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(ApiError::unavailable("the store did not answer in time"))
        }
    }
}
