//! Account administration (admin only).

use actix_web::{HttpResponse, get, patch, post, put, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, may};
use super::{AppState, extract::Json, problem::ApiError};
use crate::audit::Actor;
use crate::auth::jurisdiction::Scope;
use crate::auth::{AuthError, NewAccountRequest, Role, totp};
use crate::clock::to_rfc3339;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccountBody {
    pub username: String,
    pub role: Role,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    /// A supervisor's jurisdiction from the start (absent: province-wide); only for supervisors.
    /// Set later with `PUT /api/v1/accounts/{username}/scope`.
    #[serde(default)]
    pub(crate) scope: Option<ScopeBody>,
    /// A supervisor's or admin's name as others see and pick it (1–64 characters), e.g.
    /// "张伟（襄阳市住建局）".
    #[serde(default)]
    pub(crate) display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedAccountResponse {
    pub(crate) account_id: String,
    /// For roles that require TOTP: the base32 secret to enrol, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AccountSummary {
    pub(crate) account_id: String,
    pub username: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) created_at: String,
    /// A supervisor's jurisdiction (absent: province-wide).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<Scope>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopeBody {
    /// Prefectures (`4206` or `420600`: 襄阳 and its counties) and counties (`420626` 保康);
    /// empty: any region.
    #[serde(default)]
    pub(crate) regions: Vec<String>,
    /// Industry department codes (`GET /api/v1/industries`); empty: any industry.
    #[serde(default)]
    pub(crate) industries: Vec<String>,
}

type Problem = super::problem::Problem;

/// All accounts (no secrets).
#[utoipa::path(
    responses((status = 200, body = Vec<AccountSummary>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/accounts")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    _: Authorized<may::ManageAccounts>,
) -> Result<HttpResponse, ApiError> {
    let accounts = state.auth.list_accounts().await?;
    let mut summaries: Vec<AccountSummary> = Vec::with_capacity(accounts.len());
    for a in accounts {
        let scope = if a.role == Role::Supervisor {
            state.auth.scope_of_account(&a.id).await?
        } else {
            None
        };
        summaries.push(AccountSummary {
            account_id: a.id,
            username: a.username,
            role: a.role,
            center_name: a.center_name,
            region_code: a.region_code,
            display_name: a.display_name,
            disabled: a.disabled,
            created_at: to_rfc3339(a.created_at),
            scope,
        });
    }
    Ok(HttpResponse::Ok().json(summaries))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DirectoryQuery {
    /// `center`, `supervisor` or `admin`; absent: all three.
    pub(crate) role: Option<String>,
    /// Only supervisors whose jurisdiction covers this draw (one the caller may see): the ones
    /// a session of it may name.
    pub(crate) draw: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DirectoryEntryView {
    pub(crate) account_id: String,
    pub(crate) username: String,
    #[schema(value_type = String)]
    pub(crate) role: Role,
    /// A center's name, a supervisor's or admin's display name, else the username.
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region_code: Option<String>,
    /// A supervisor's jurisdiction (empty lists: province-wide).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<Scope>,
}

/// The staff accounts one picks from by name — trading centers, supervisors, admins; never
/// experts — enabled ones only (issue 24 §2).
#[utoipa::path(
    params(DirectoryQuery),
    responses((status = 200, body = Vec<DirectoryEntryView>),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/accounts/directory")]
pub(crate) async fn directory(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ReadDirectory>,
    query: web::Query<DirectoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let role = match query.role.as_deref() {
        None => None,
        Some("center") => Some(Role::Center),
        Some("supervisor") => Some(Role::Supervisor),
        Some("admin") => Some(Role::Admin),
        Some(_) => {
            return Err(ApiError::bad_request(
                "role",
                "must be one of center, supervisor, admin",
            ));
        }
    };
    let root = match &query.draw {
        None => None,
        Some(draw_id) => {
            if role != Some(Role::Supervisor) {
                return Err(ApiError::bad_request(
                    "draw",
                    "only supervisors are listed by a draw's jurisdiction: add role=supervisor",
                ));
            }
            // The caller's own rules decide whether the draw exists for them.
            let view = state.draws.view(&principal, draw_id).await?;
            Some(view.parent_draw_id.unwrap_or(view.draw_id))
        }
    };
    let entries = state.auth.directory(role, root.as_deref()).await?;
    Ok(HttpResponse::Ok().json(
        entries
            .into_iter()
            .map(|entry| DirectoryEntryView {
                account_id: entry.account_id,
                username: entry.username,
                role: entry.role,
                name: entry.name,
                region_code: entry.region_code,
                scope: entry.scope,
            })
            .collect::<Vec<_>>(),
    ))
}

/// Create an account; a supervisor's with its jurisdiction (`scope`) if given.
#[utoipa::path(
    request_body = NewAccountBody,
    responses(
        (status = 201, body = CreatedAccountResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/accounts")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageAccounts, Json<NewAccountBody>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    // Checked against the region list here (the accounts service cannot read it).
    if let Some(region) = &body.region_code
        && let Err(problem) = crate::pool::regions::parse_center_region(region)
    {
        return Err(ApiError::bad_request("region_code", problem));
    }
    // Whether the role may have one is the accounts service's to say.
    let scope = body
        .scope
        .map(|scope| checked_scope(scope, "scope."))
        .transpose()?;
    let created = state
        .auth
        .create_account(
            NewAccountRequest {
                username: body.username,
                role: body.role,
                password: body.password,
                center_name: body.center_name,
                region_code: body.region_code,
                scope,
                display_name: body.display_name,
            },
            Actor::of(&principal),
        )
        .await?;
    Ok(HttpResponse::Created().json(CreatedAccountResponse {
        account_id: created.account_id,
        totp_secret: created
            .totp_secret
            .map(|secret| totp::base32_secret(&secret).to_string()),
    }))
}

/// Disable an account; all its tokens end at once.
#[utoipa::path(
    params(("username" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/accounts/{username}/disable")]
pub(crate) async fn disable(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManageAccounts>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .set_disabled(&username, true, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a supervisor's jurisdiction (实施条例 §46 ¶4): the regions and industry departments
/// whose draws, sessions, publications and unsealing they see and act on; both empty is
/// province-wide. Each region is a prefecture (its prefix `4206` or code `420600`, stored as the
/// prefix) or one county (`420626`); a value that is none names its field (`422`). The whole
/// scope is replaced. Logged (`account.scope_set`).
#[utoipa::path(
    params(("username" = String, Path)),
    request_body = ScopeBody,
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[put("/api/v1/accounts/{username}/scope")]
pub(crate) async fn set_scope(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageAccounts, Json<ScopeBody>>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = checked_scope(body.into_inner(), "")?;
    state
        .auth
        .set_scope(&username, &scope, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactBody {
    /// A mainland mobile number (11 digits; spaces, hyphens and +86 are taken away).
    #[schema(value_type = String)]
    pub(crate) phone: secrecy::SecretString,
}

/// Set a staff account's mobile number (admin): what concerns the account, an alert within a
/// supervisor's jurisdiction, is also sent there through the notification outbox. Sealed;
/// logged (`account.contact_set`) without the number. Not for experts, whose number is in their
/// pool record.
#[utoipa::path(
    params(("username" = String, Path)),
    request_body = ContactBody,
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[put("/api/v1/accounts/{username}/contact")]
pub(crate) async fn set_contact(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageAccounts, Json<ContactBody>>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    use secrecy::ExposeSecret;
    let phone =
        crate::pool::validate::Phone::parse(body.0.phone.expose_secret()).map_err(|problem| {
            ApiError::from(AuthError::InvalidInput {
                field: "phone",
                problem,
            })
        })?;
    state
        .auth
        .set_staff_phone(&username, phone.normalised(), Actor::of(&principal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A scope as the admin gave it, checked field by field (`at` prefixes the field names: `scope.`
/// in an account's creation) and put in the form the server stores and compares: each region a
/// prefecture's prefix or a county's code, both lists sorted without repeats.
fn checked_scope(body: ScopeBody, at: &str) -> Result<Scope, ApiError> {
    let invalid =
        |field: String, problem: String| ApiError::from(AuthError::InvalidScope { field, problem });
    if body.regions.len() > 64 {
        return Err(invalid(format!("{at}regions"), "at most 64 regions".into()));
    }
    if body.industries.len() > 32 {
        return Err(invalid(
            format!("{at}industries"),
            "at most 32 industries".into(),
        ));
    }
    let mut regions = Vec::with_capacity(body.regions.len());
    for (i, code) in body.regions.iter().enumerate() {
        let checked = crate::pool::regions::parse_scope_region(code)
            .map_err(|problem| invalid(format!("{at}regions[{i}]"), problem))?;
        regions.push(checked);
    }
    Scope::new(regions, &body.industries)
        .map_err(|(i, problem)| invalid(format!("{at}industries[{i}]"), problem))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountChanges {
    /// A center's name, as other centers and supervisors read it.
    pub(crate) center_name: Option<String>,
    /// A center's region: a prefecture's or county's code in Hubei's list.
    pub(crate) region_code: Option<String>,
    /// A supervisor's or admin's display name (1–64 characters; `""` clears it).
    pub(crate) display_name: Option<String>,
}

/// Change a center account's name or region, or a supervisor's or admin's display name
/// (admin; logged with what changed).
#[utoipa::path(
    params(("username" = String, Path)),
    request_body = AccountChanges,
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[patch("/api/v1/accounts/{username}")]
pub(crate) async fn update(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageAccounts, Json<AccountChanges>>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Some(region) = &body.region_code
        && let Err(problem) = crate::pool::regions::parse_center_region(region)
    {
        return Err(ApiError::bad_request("region_code", problem));
    }
    let changes = crate::auth::service::AccountChanges {
        center_name: body.center_name,
        region_code: body.region_code.map(|region| region.trim().to_owned()),
        display_name: body.display_name,
    };
    state
        .auth
        .update_account(&username, &changes, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reissue a lost activation code of an expert's login (admin; logged). The old code stops
/// working and the account's logins end; the new code is shown once.
#[utoipa::path(
    params(("username" = String, Path)),
    responses((status = 200, body = super::own_record::IssuedLogin),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/accounts/{username}/activation")]
pub(crate) async fn reissue_activation(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManageAccounts>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let issued = state
        .auth
        .reissue_activation(&username, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::Ok().json(super::own_record::IssuedLogin {
        username: issued.username,
        activation_code: issued.code.to_string(),
        expires_at: to_rfc3339(issued.expires_at),
    }))
}

/// Enable a disabled account.
#[utoipa::path(
    params(("username" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/accounts/{username}/enable")]
pub(crate) async fn enable(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManageAccounts>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .set_disabled(&username, false, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Revoked {
    pub(crate) revoked: u64,
}

/// End every token of an account at once.
#[utoipa::path(
    params(("username" = String, Path)),
    responses((status = 200, body = Revoked), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/accounts/{username}/revoke-tokens")]
pub(crate) async fn revoke_tokens(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManageAccounts>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let revoked = state
        .auth
        .revoke_all_tokens(&username, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::Ok().json(Revoked { revoked }))
}
