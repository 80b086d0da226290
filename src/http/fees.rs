//! Experts' fees over HTTPS (docs/FEES.md): the published standard, a session's settlements
//! for its host (compute, review, travel, approve, the payment file), and an expert's own
//! statements.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::fees::service::{
    FeesError, OwnStatements, PublishedStandard, SessionSettlements, SettlementView, TravelItems,
};

type Problem = super::problem::Problem;

impl From<FeesError> for ApiError {
    fn from(error: FeesError) -> Self {
        match error {
            FeesError::Invalid { field, problem } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-request",
                "Invalid request",
                format!("{field}: {problem}"),
            )
            .with_field(Some(field.to_owned())),
            FeesError::NotFound(what) => Self::not_found(what),
            FeesError::Conflict(detail) => Self::conflict("conflict", detail),
            FeesError::NotAnExpert => Self::forbidden("not-an-expert", error.to_string()),
            FeesError::Store(e) => e.into(),
            FeesError::Audit(e) => e.into(),
            FeesError::Draw(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

/// The fee standard in force, with its digest (any signed-in role).
#[utoipa::path(
    responses((status = 200, body = PublishedStandard)),
    security(("bearer" = []))
)]
#[get("/api/v1/fees/standards")]
pub(crate) async fn standards(
    state: web::Data<AppState>,
    _caller: Authorized<may::Session>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.fees.published()?))
}

/// Computes a closed session's settlements, once (its host): a record per member who served.
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 201, body = SessionSettlements), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/settlements")]
pub(crate) async fn settle(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HostSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let settled = state.fees.settle(&principal, &session_id).await?;
    Ok(HttpResponse::Created().json(settled))
}

/// A session's settlements (its host): the current record of each seat and the superseded.
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, body = SessionSettlements), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/sessions/{session_id}/settlements")]
pub(crate) async fn of_session(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HostSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.fees.of_session(&principal, &session_id).await?))
}

/// Approves every current record of the session awaiting approval (its host).
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, body = SessionSettlements), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/settlements/approve")]
pub(crate) async fn approve(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HostSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.fees.approve(&principal, &session_id).await?))
}

/// The approved records as CSV for the finance office (its host; logged): payees by
/// pseudonym, no identity.
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/sessions/{session_id}/settlements.csv")]
pub(crate) async fn export_csv(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HostSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let csv = state.fees.export_csv(&principal, &session_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"settlements-{session_id}.csv\""),
        ))
        .body(csv))
}

/// Adds travel to a current record (the session's host) within the standard's caps: a new
/// record superseding it. An approved record is corrected this way, with a reason.
#[utoipa::path(
    params(("settlement_id" = String, Path)),
    request_body = TravelItems,
    responses((status = 201, body = SettlementView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/settlements/{settlement_id}/travel")]
pub(crate) async fn add_travel(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HostSessions, Json<TravelItems>>,
    settlement_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .fees
        .add_travel(&principal, &settlement_id, &body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The calling expert's fee statements, newest first.
#[utoipa::path(
    responses((status = 200, body = OwnStatements), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/fees")]
pub(crate) async fn own(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.fees.own(&principal).await?))
}
