//! Invitations and their answers, the gateway's keypad callback, and the committee list's
//! publish act (`publication`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::notify::invitations::{
    GatewayAnswer, InvitationView, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use crate::publication::{CommitteeMember, PublicationView};

type Problem = super::problem::Problem;

/// The signed-in expert's invitations, newest first; tender, time and join code only once
/// accepted.
#[utoipa::path(
    responses((status = 200, body = Vec<InvitationView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/invitations")]
pub(crate) async fn mine(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::AnswerInvitations>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.invitations.mine(&principal).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    pub(crate) accept: bool,
    /// With a decline: leave, conflict_of_interest, illness or other.
    #[serde(default)]
    pub(crate) reason: Option<String>,
    /// With conflict_of_interest: the declared relationship (kept sealed).
    #[serde(default)]
    pub(crate) relationship: Option<String>,
}

/// Accept or decline an invitation before its deadline. A decline seats the next reserve.
#[utoipa::path(
    params(("invitation_id" = String, Path)),
    request_body = AnswerBody,
    responses((status = 200, body = InvitationView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/invitations/{invitation_id}/answer")]
pub(crate) async fn answer(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::AnswerInvitations, Json<AnswerBody>>,
    invitation_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let view = state
        .invitations
        .answer(
            &principal,
            &invitation_id,
            body.accept,
            body.reason.as_deref(),
            body.relationship.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The voice/SMS gateway relays a keypad answer. Authenticated by HMAC-SHA256 over
/// `timestamp "." body` with the shared webhook secret (headers `X-Sealdraw-Timestamp`,
/// `X-Sealdraw-Signature`), refused outside a five-minute window; each code answers once.
#[utoipa::path(
    request_body = GatewayAnswer,
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
)]
#[post("/api/v1/gateway/answers")]
pub(crate) async fn gateway_answer(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    state
        .invitations
        .gateway_answer(header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), &body)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublicationBody {
    /// Why the list is to be released (e.g. the result announcement), 10 to 500 characters.
    pub(crate) reason: String,
}

/// Ask to publish a complete committee's names (the draw's center); a supervisor approves.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    request_body = PublicationBody,
    responses((status = 201, body = PublicationView), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/publication")]
pub(crate) async fn request_publication(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RequestDraw, Json<PublicationBody>>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .publications
        .request_publication(&principal, &draw_id, &body.into_inner().reason)
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Requests to publish committee lists, those awaiting approval first (supervisors).
#[utoipa::path(
    responses((status = 200, body = Vec<PublicationView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/publications")]
pub(crate) async fn publications(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ApprovePublication>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.publications.list(&principal).await?))
}

/// Approve publishing the committee list (supervisors).
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = PublicationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/publication/approve")]
pub(crate) async fn approve_publication(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ApprovePublication>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .publications
        .approve_publication(&principal, &draw_id)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The published committee list: confirmed members' names, after approval only (logged).
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = Vec<CommitteeMember>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws/{draw_id}/committee")]
pub(crate) async fn committee(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ViewDraws>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let members = state
        .publications
        .committee(&state.pool, &principal, &draw_id)
        .await?;
    Ok(HttpResponse::Ok().json(members))
}
