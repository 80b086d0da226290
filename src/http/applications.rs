//! Applications to join the pool and recruiting calls (docs/POOL.md, "Joining and leaving the
//! pool"). Filing an application needs no account — it is the console's public page — so the
//! route is held to the login's per-address allowance and a small body; a center that files one
//! nominates the person. The applicant follows the application with the access code it got,
//! sent as `X-Application-Code`. `admission` does the rest.

use actix_web::http::StatusCode;
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt as _;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, Json, Requires, client_address, may};
use super::{AppState, problem, problem::ApiError};
use crate::admission::body::ApplicationBody;
use crate::admission::calls::{CallView, NewCall};
use crate::admission::renewal::{RenewalStatus, RenewalView};
use crate::admission::service::{ApplicationSummary, OpenedApplication, SubmittedApplication};
use crate::admission::{AdmissionError, ApplicationStatus};
use crate::auth::Principal;

type Problem = super::problem::Problem;

/// The header that carries an application's access code.
pub(crate) const ACCESS_CODE_HEADER: &str = "x-application-code";
/// An application is a page of text: nothing legitimate comes near this.
pub(crate) const MAX_APPLICATION_BYTES: usize = 32 * 1024;

impl From<AdmissionError> for ApiError {
    fn from(error: AdmissionError) -> Self {
        use AdmissionError::*;
        let detail = error.to_string();
        match error {
            Invalid(problems) => {
                let field = problems.first().map(|p| p.field.clone());
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-application",
                    "Application refused",
                    detail,
                )
                .with_field(field)
                .with_problems(problems)
            }
            BadField { field, problem } => Self::bad_request(field, problem),
            NotFound => Self::not_found("no such application"),
            CallNotFound => Self::not_found("no such recruiting call"),
            AlreadyInPool => Self::conflict("already-in-pool", detail),
            AlreadyOpen => Self::conflict("application-open", detail),
            WrongState { .. } => Self::conflict("application-state", detail),
            CallClosed => Self::conflict("call-closed", detail),
            NotAnExpert => Self::not_found(detail),
            Renewal(_) => Self::conflict("renewal-not-open", detail),
            RenewalNotFound => Self::not_found(detail),
            RenewalSettled => Self::conflict("already-decided", detail),
            RenewalPending => Self::conflict("renewal-pending", detail),
            Pool(e) => e.into(),
            Notify(e) => Self::internal(e),
        }
    }
}

/// Apply to join the pool (no account needed), or nominate someone (a center's account). The
/// identity and contact data are sealed at once; the answer's `access_code` is shown once.
/// Limited per address like the login, and to 32 KiB.
#[utoipa::path(
    request_body = ApplicationBody,
    responses(
        (status = 201, body = SubmittedApplication),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "the body is not an application; the problem names the field"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the ID number is already in the pool, or in an open application"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "problems names each refused field; nothing is written"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/applications")]
pub(crate) async fn submit(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let nominator = if request
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
        || request.conn_data::<super::PeerCertificate>().is_some()
    {
        let principal = Principal::extract(&request).await?;
        principal.require(<may::NominateExperts as Requires>::PERMISSION)?;
        Some(principal)
    } else {
        state.auth.check_address(client_address(&request))?;
        None
    };
    let body: ApplicationBody = read_json(&request, payload).await?;
    let submitted = state.admission.submit(nominator.as_ref(), body).await?;
    Ok(HttpResponse::Created().json(submitted))
}

/// Follow one's application with its access code. A wrong code is answered as an unknown id.
#[utoipa::path(
    params(("application_id" = String, Path), ("X-Application-Code" = String, Header, description = "the access code the application was answered with")),
    responses((status = 200, body = ApplicationSummary), (status = 401, body = Problem, content_type = "application/problem+json", description = "no access code was sent"), (status = 404, body = Problem, content_type = "application/problem+json", description = "no application with this id and code")),
)]
#[get("/api/v1/applications/{application_id}")]
pub(crate) async fn follow(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.auth.check_address(client_address(&request))?;
    let code = access_code(&request)?;
    Ok(HttpResponse::Ok().json(state.admission.follow(&id, &code).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Supplement {
    /// The answer to the reviewer's question (1 to 2000 characters). Sealed like the application.
    pub answer: String,
}

/// Answer the reviewer's request for more, with the access code.
#[utoipa::path(
    params(("application_id" = String, Path), ("X-Application-Code" = String, Header)),
    request_body = Supplement,
    responses((status = 200, body = ApplicationSummary), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
)]
#[post("/api/v1/applications/{application_id}/supplement")]
pub(crate) async fn supplement(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.auth.check_address(client_address(&request))?;
    let code = access_code(&request)?;
    let body: Supplement = read_json(&request, payload).await?;
    Ok(HttpResponse::Ok().json(state.admission.supplement(&id, &code, &body.answer).await?))
}

/// Withdraw one's open application, with the access code.
#[utoipa::path(
    params(("application_id" = String, Path), ("X-Application-Code" = String, Header)),
    responses((status = 200, body = ApplicationSummary), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
)]
#[post("/api/v1/applications/{application_id}/withdraw")]
pub(crate) async fn withdraw(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.auth.check_address(client_address(&request))?;
    let code = access_code(&request)?;
    Ok(HttpResponse::Ok().json(state.admission.withdraw(&id, &code).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// submitted, under_review, more_requested, approved, refused or withdrawn; all when absent.
    #[param(value_type = Option<String>)]
    pub status: Option<ApplicationStatus>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// Applications, newest first, without anything that identifies the person (admins).
#[utoipa::path(
    params(ListQuery),
    responses((status = 200, body = Vec<ApplicationSummary>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/applications")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ManagePool, web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .admission
            .list(query.status, query.limit.unwrap_or(50))
            .await?,
    ))
}

/// Open an application to judge it: the evidence per specialty, the employer, the ties by kind
/// and the applicant's answer; never the name, ID number or contact data (admins). Each opening
/// is an audit entry; the first puts the application under review.
#[utoipa::path(
    params(("application_id" = String, Path)),
    responses((status = 200, body = OpenedApplication), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/applications/{application_id}/open")]
pub(crate) async fn open(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admission.open(&principal, &id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    /// 1 to 5 years; 3 when absent. The term starts today (Beijing time).
    pub term_years: Option<i32>,
}

/// Approve an application under review (admins): in one transaction the expert's record is
/// written, active with its term, and a login whose activation code goes to the applicant's
/// phone by SMS.
#[utoipa::path(
    params(("application_id" = String, Path)),
    request_body = Approval,
    responses((status = 200, body = ApplicationSummary), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/applications/{application_id}/approve")]
pub(crate) async fn approve(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: approval,
        ..
    }: Checked<may::ManagePool, Json<Approval>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Hashed before the transaction: argon2 is slow and the login is only written with it.
    let login = state
        .auth
        .prepare_logins("expert", 1)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no login prepared"))?;
    Ok(HttpResponse::Ok().json(
        state
            .admission
            .approve(&principal, &id, approval.into_inner().term_years, &login)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Question {
    /// What the applicant should add (10 to 500 characters, shown to them).
    pub question: String,
}

/// Ask the applicant for more (admins).
#[utoipa::path(
    params(("application_id" = String, Path)),
    request_body = Question,
    responses((status = 200, body = ApplicationSummary), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/applications/{application_id}/request-more")]
pub(crate) async fn request_more(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: question,
        ..
    }: Checked<may::ManagePool, Json<Question>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .admission
            .request_more(&principal, &id, &question.into_inner().question)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refusal {
    /// Why (10 to 500 characters); the applicant sees it, the audit log keeps its digest.
    pub reason: String,
}

/// Refuse an application, saying why (admins).
#[utoipa::path(
    params(("application_id" = String, Path)),
    request_body = Refusal,
    responses((status = 200, body = ApplicationSummary), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/applications/{application_id}/refuse")]
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
            .admission
            .refuse(&principal, &id, &refusal.into_inner().reason)
            .await?,
    ))
}

/// Publish a recruiting call for scarce specialties (admins).
#[utoipa::path(
    request_body = NewCall,
    responses((status = 201, body = CallView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/recruiting-calls")]
pub(crate) async fn publish_call(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: call,
        ..
    }: Checked<may::ManagePool, Json<NewCall>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(
        state
            .admission
            .publish_call(&principal, call.into_inner())
            .await?,
    ))
}

/// The recruiting calls still open: public, like the application page.
#[utoipa::path(responses((status = 200, body = Vec<CallView>)))]
#[get("/api/v1/recruiting-calls")]
pub(crate) async fn calls(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admission.open_calls().await?))
}

/// Close a recruiting call (admins).
#[utoipa::path(
    params(("call_id" = String, Path)),
    responses((status = 200, body = CallView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/recruiting-calls/{call_id}/close")]
pub(crate) async fn close_call(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.admission.close_call(&principal, &id).await?))
}

/// Ask to renew one's term, within 90 days before its last day (experts). An admin decides.
#[utoipa::path(
    responses((status = 201, body = RenewalView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json", description = "outside the window, no term, not active, or a request already waits")),
    security(("bearer" = []))
)]
#[post("/api/v1/me/expert/renewal")]
pub(crate) async fn request_renewal(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(state.admission.request_renewal(&principal).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RenewalQuery {
    /// pending, approved or refused; all when absent.
    #[param(value_type = Option<String>)]
    pub status: Option<RenewalStatus>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// Renewal requests, newest first (admins).
#[utoipa::path(
    params(RenewalQuery),
    responses((status = 200, body = Vec<RenewalView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/renewals")]
pub(crate) async fn renewals(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ManagePool, web::Query<RenewalQuery>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .admission
            .renewals(query.status, query.limit.unwrap_or(50))
            .await?,
    ))
}

/// Approve a renewal (admins): a new term from the day after the old one's last day.
#[utoipa::path(
    params(("renewal_id" = String, Path)),
    request_body = Approval,
    responses((status = 200, body = RenewalView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/renewals/{renewal_id}/approve")]
pub(crate) async fn approve_renewal(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: approval,
        ..
    }: Checked<may::ManagePool, Json<Approval>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .admission
            .approve_renewal(&principal, &id, approval.into_inner().term_years)
            .await?,
    ))
}

/// Refuse a renewal, saying why (admins); the term ends as it was.
#[utoipa::path(
    params(("renewal_id" = String, Path)),
    request_body = Refusal,
    responses((status = 200, body = RenewalView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/renewals/{renewal_id}/refuse")]
pub(crate) async fn refuse_renewal(
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
            .admission
            .refuse_renewal(&principal, &id, &refusal.into_inner().reason)
            .await?,
    ))
}

fn access_code(request: &HttpRequest) -> Result<String, ApiError> {
    request
        .headers()
        .get(ACCESS_CODE_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        // Answered before anything is looked up, so it says nothing about the id.
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "access-code-required",
                "Access code required",
                "send the application's access code in the X-Application-Code header",
            )
        })
}

/// A JSON body of at most [`MAX_APPLICATION_BYTES`], parsed as [`Json`] parses one.
async fn read_json<T: serde::de::DeserializeOwned>(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<T, ApiError> {
    use actix_web::HttpMessage as _;
    let is_json = matches!(
        request.mime_type(),
        Ok(Some(kind)) if kind.subtype() == actix_web::mime::JSON
    );
    if !is_json {
        return Err(problem::unsupported_media_type());
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| problem::unreadable_body())?;
        if bytes.len() + chunk.len() > MAX_APPLICATION_BYTES {
            return Err(problem::body_too_large(MAX_APPLICATION_BYTES));
        }
        bytes.extend_from_slice(&chunk);
    }
    Json::<T>::parse(&bytes)
}

impl AppState {
    /// Applies the pool's exit rules now, as the hourly task does (an operator's drill, the
    /// integration tests on a clock they move): how many experts' standing changed.
    pub async fn apply_exit_rules(&self) -> Result<usize, String> {
        self.admission
            .apply_exit_rules()
            .await
            .map_err(|error| error.to_string())
    }
}
