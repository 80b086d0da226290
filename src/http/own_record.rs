//! Expert logins and an expert's own record.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, client_address, may};
use super::{AppState, problem::ApiError};
use crate::audit::Actor;
use crate::clock::to_rfc3339;
use crate::pool::own_record::{OwnRecord, OwnRecordChanges};

type Problem = super::problem::Problem;

#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedLogin {
    /// Random; never the expert's name or ID number.
    pub username: String,
    /// Give this to the expert through a trusted channel; it is shown once.
    pub(crate) activation_code: String,
    pub(crate) expires_at: String,
}

/// Issue a login for an expert (admin). The expert activates it with the one-time code.
#[utoipa::path(
    params(("expert_id" = String, Path)),
    responses((status = 201, body = IssuedLogin), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/{expert_id}/login")]
pub(crate) async fn issue_login(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    expert_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if state.pool.expert_has_login(&expert_id).await? {
        return Err(crate::pool::own_record::OwnRecordError::AlreadyLinked.into());
    }
    let issued = state.auth.issue_expert_login(Actor::of(&principal)).await?;
    if let Err(error) = state
        .pool
        .link_login(&expert_id, &issued.account_id, Actor::of(&principal))
        .await
    {
        // Raced by another admin: the unlinked login must not stay usable.
        state
            .auth
            .set_disabled(&issued.username, true, Actor::System)
            .await?;
        return Err(error.into());
    }
    Ok(HttpResponse::Created().json(IssuedLogin {
        username: issued.username,
        activation_code: issued.code.to_string(),
        expires_at: to_rfc3339(issued.expires_at),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Activation {
    pub username: String,
    pub code: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// An expert sets their password with the one-time activation code.
#[utoipa::path(
    request_body = Activation,
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json")),
)]
#[post("/api/v1/auth/activate")]
pub(crate) async fn activate(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: Json<Activation>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.code.len() > 64 {
        return Err(ApiError::bad_request("code", "is not an activation code"));
    }
    state
        .auth
        .activate(
            &body.username,
            &body.code,
            body.password,
            client_address(&request),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in expert's own record, identity included (recorded in the audit log).
#[utoipa::path(
    responses((status = 200, body = OwnRecord), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/expert")]
pub(crate) async fn own_record(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.pool.own_record(&principal).await?))
}

/// Update one's phone, email, leave periods, relatives' employers or employer history.
#[utoipa::path(
    request_body = OwnRecordChanges,
    responses((status = 200, body = OwnRecord), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[patch("/api/v1/me/expert")]
pub(crate) async fn update_own_record(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: changes,
        ..
    }: Checked<may::OwnExpertRecord, Json<OwnRecordChanges>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .pool
            .update_own_record(&principal, changes.into_inner())
            .await?,
    ))
}
