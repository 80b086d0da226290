//! The credit file and credit repair (issue 22 §2; docs/POOL.md, "The credit file and credit
//! repair").

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::conduct::credit_file::{
    CreditFile, CreditRepairBody, CreditRepairForReview, CreditRepairView, RepairOutcome,
};

type Problem = super::problem::Problem;

/// The expert's own credit file: every rating, appeal, penalty, decline, no-show and repair
/// with the score after each, oldest first; never a tender or another person.
#[utoipa::path(
    responses((status = 200, body = CreditFile), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/credit-file")]
pub(crate) async fn own_credit_file(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.conduct.own_credit_file(&principal).await?))
}

/// An expert's credit file (admins; supervisors for experts within their jurisdiction).
#[utoipa::path(
    params(("expert_id" = String, Path)),
    responses((status = 200, body = CreditFile), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/experts/{expert_id}/credit-file")]
pub(crate) async fn expert_credit_file(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ReadExpertRecords>,
    expert_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .conduct
            .expert_credit_file(&principal, &expert_id)
            .await?,
    ))
}

/// The expert asks that a negative rating of theirs stop counting (credit repair), after the
/// waiting period; a supervisor decides.
#[utoipa::path(
    request_body = CreditRepairBody,
    responses((status = 201, body = CreditRepairView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/me/credit-repairs")]
pub(crate) async fn request_repair(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::OwnExpertRecord, Json<CreditRepairBody>>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .conduct
        .request_repair(&principal, body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Repair requests of experts within the supervisor's jurisdiction, pending first.
#[utoipa::path(
    responses((status = 200, body = Vec<CreditRepairForReview>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/credit-repairs")]
pub(crate) async fn repairs(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::DecideAppeals>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.conduct.repairs_for_review(&principal).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepairDecisionBody {
    /// Why, 10–1,000 characters; the expert reads it.
    pub(crate) reason: String,
}

/// A supervisor grants a repair request: the rating leaves the credit score from now on.
#[utoipa::path(
    params(("repair_id" = String, Path)),
    request_body = RepairDecisionBody,
    responses((status = 200, body = CreditRepairView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/credit-repairs/{repair_id}/grant")]
pub(crate) async fn grant_repair(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::DecideAppeals, Json<RepairDecisionBody>>,
    repair_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .conduct
        .decide_repair(
            &principal,
            &repair_id,
            RepairOutcome::Granted,
            &body.into_inner().reason,
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A supervisor refuses a repair request: the rating keeps counting.
#[utoipa::path(
    params(("repair_id" = String, Path)),
    request_body = RepairDecisionBody,
    responses((status = 200, body = CreditRepairView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/credit-repairs/{repair_id}/refuse")]
pub(crate) async fn refuse_repair(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::DecideAppeals, Json<RepairDecisionBody>>,
    repair_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .conduct
        .decide_repair(
            &principal,
            &repair_id,
            RepairOutcome::Refused,
            &body.into_inner().reason,
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
