//! Unseal requests: dual control over sealed identities.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::pool::unseal::{Decision, UnsealRequestView};

type Problem = super::problem::Problem;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUnsealRequest {
    /// 1 to 10 expert ids.
    pub expert_ids: Vec<String>,
    /// Any of name, id_number, phone, email, employer, employer_history, ties.
    pub fields: Vec<String>,
    /// Why, in 10 to 500 characters; kept with the request, committed to in the audit log.
    pub(crate) reason: String,
    /// How long after approval the requester may read (1 to 1440 minutes).
    pub(crate) valid_minutes: i32,
}

/// Ask to unseal fields of named experts. Someone else must approve.
#[utoipa::path(
    request_body = NewUnsealRequest,
    responses((status = 201, body = UnsealRequestView), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/unseal-requests")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RequestUnseal, Json<NewUnsealRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = state
        .pool
        .request_unseal(
            &principal,
            body.expert_ids,
            body.fields,
            body.reason,
            body.valid_minutes,
        )
        .await?;
    Ok(HttpResponse::Created().json(request))
}

/// Recent unseal requests, newest first.
#[utoipa::path(
    responses((status = 200, body = Vec<UnsealRequestView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/unseal-requests")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::RequestUnseal>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.pool.unseal_requests(&principal, 200).await?))
}

/// Approve a request made by someone else (supervisors only).
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, body = UnsealRequestView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/unseal-requests/{request_id}/approve")]
pub(crate) async fn approve(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::DecideUnseal>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .pool
            .decide_unseal(&principal, &id, Decision::Approve)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refusal {
    /// Why (10 to 500 characters); the requester sees it, the audit log keeps its SHA-256.
    pub(crate) reason: String,
}

/// Refuse a request made by someone else, saying why (supervisors only).
#[utoipa::path(
    params(("request_id" = String, Path)),
    request_body = Refusal,
    responses((status = 200, body = UnsealRequestView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/unseal-requests/{request_id}/refuse")]
pub(crate) async fn refuse(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: refusal,
        ..
    }: Checked<may::DecideUnseal, Json<Refusal>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let refusal = refusal.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .pool
            .decide_unseal(
                &principal,
                &id,
                Decision::Refuse {
                    reason: &refusal.reason,
                },
            )
            .await?,
    ))
}

/// The unsealed fields, for the requester of an approved request inside its window. Each read
/// is an audit entry.
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, description = "[{expert_id, fields: {field: value}}]"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/unseal-requests/{request_id}/fields")]
pub(crate) async fn read(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::RequestUnseal>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let records = state.pool.read_unsealed(&principal, &id).await?;
    Ok(HttpResponse::Ok().json(records))
}
