//! Changes to an expert's current employer and ties: the expert asks, an admin opens the
//! request (a logged read) and approves or refuses it with a reason. `pool::change_request`
//! does the rest.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::pool::change_request::{
    ChangeRequestBody, ChangeRequestView, ChangeStatus, OpenedChangeRequest,
};

type Problem = super::problem::Problem;

/// Ask to change one's current employer or ties. Nothing changes until an admin approves;
/// draws read only the approved record. One request waits at a time (409 otherwise).
#[utoipa::path(
    request_body = ChangeRequestBody,
    responses(
        (status = 201, body = OpenedChangeRequest),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "a value is refused; the problem names its field; nothing is written"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "a request is already waiting for a decision"),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/me/expert/change-requests")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::OwnExpertRecord, Json<ChangeRequestBody>>,
) -> Result<HttpResponse, ApiError> {
    let request = state
        .pool
        .request_change(&principal, body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(request))
}

/// Withdraw one's own request while it waits.
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, body = ChangeRequestView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/me/expert/change-requests/{request_id}/withdraw")]
pub(crate) async fn withdraw(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.pool.withdraw_change(&principal, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// pending, approved, refused or withdrawn; all when absent.
    #[param(value_type = Option<String>)]
    pub status: Option<ChangeStatus>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// Change requests, newest first, without their values (admins).
#[utoipa::path(
    params(ListQuery),
    responses((status = 200, body = Vec<ChangeRequestView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/change-requests")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ManagePool, web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    let requests = state
        .pool
        .change_requests(query.status, query.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(requests))
}

/// One request with the values it asks for, to decide it (admins). Each read is an audit
/// entry.
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, body = OpenedChangeRequest), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/change-requests/{request_id}")]
pub(crate) async fn open(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.pool.open_change(&principal, &id).await?))
}

/// Approve a waiting request: its values become the expert's record (admins).
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, body = ChangeRequestView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/change-requests/{request_id}/approve")]
pub(crate) async fn approve(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.pool.approve_change(&principal, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refusal {
    /// Why (10 to 500 characters); the expert sees it, the audit log keeps its SHA-256.
    pub reason: String,
}

/// Refuse a waiting request, saying why (admins). The record stays as it is.
#[utoipa::path(
    params(("request_id" = String, Path)),
    request_body = Refusal,
    responses((status = 200, body = ChangeRequestView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/change-requests/{request_id}/refuse")]
pub(crate) async fn refuse(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: refusal,
        ..
    }: Checked<may::ManagePool, Json<Refusal>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .pool
            .refuse_change(&principal, &id, &refusal.into_inner().reason)
            .await?,
    ))
}
