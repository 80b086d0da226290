//! Logging in and out (bearer tokens), and who am I. Evaluation sessions are
//! [`super::sessions`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Authorized, may};
use super::{
    AppState,
    extract::{Json, client_address},
    problem::ApiError,
};
use crate::auth::{AuthMethod, LoginRequest, Role};
use crate::clock::to_rfc3339;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// Six-digit code from the authenticator app; required for admins and supervisors.
    pub(crate) totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    /// Absolute expiry (RFC 3339, UTC). The token also ends after a period without use.
    pub(crate) expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    pub(crate) account_id: String,
    pub username: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub center_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    pub(crate) authenticated_by: AuthMethod,
    /// An expert-role login of a tenderer's representative (招标人代表), which has no pool
    /// record: it serves the one session it was issued for, and the console shows that session
    /// rather than an expert's invitations. Absent for everyone else.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) representative: bool,
}

/// Exchange username, password and (where required) a TOTP code for a bearer token.
#[utoipa::path(
    request_body = LoginBody,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = super::problem::Problem, content_type = "application/problem+json"),
        (status = 401, body = super::problem::Problem, content_type = "application/problem+json"),
        (status = 429, body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login")]
pub(crate) async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Some(code) = &body.totp
        && code.len() > 16
    {
        return Err(ApiError::bad_request("totp", "must be a six-digit code"));
    }
    let issued = state
        .auth
        .login(LoginRequest {
            username: body.username,
            password: body.password,
            totp: body.totp,
            address: client_address(&request),
        })
        .await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: issued.token.expose().to_owned(),
        expires_at: to_rfc3339(issued.expires_at),
    }))
}

/// End the presented token at once.
#[utoipa::path(
    responses((status = 204), (status = 401, body = super::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/auth/logout")]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::Session>,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&principal).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The authenticated account.
#[utoipa::path(
    responses((status = 200, body = Me), (status = 401, body = super::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me")]
pub(crate) async fn me(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::Session>,
) -> Result<HttpResponse, ApiError> {
    let representative =
        principal.role == Role::Expert && state.sessions.is_representative(&principal).await?;
    Ok(HttpResponse::Ok().json(Me {
        representative,
        account_id: principal.account_id,
        username: principal.username,
        role: principal.role,
        center_name: principal.center_name,
        region_code: principal.region_code,
        authenticated_by: principal.method,
    }))
}
