//! Early warnings (issue 21 §3; docs/ANALYTICS.md §4–§5): admins set the rules and may run the
//! signals at once; supervisors read the alerts within their jurisdiction and work their cases.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::analytics::alerts::{AlertRuleView, AlertView, SignalRunView};

type Problem = super::problem::Problem;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAlertRule {
    /// One of `co_sitting`, `bidder_favour`, `identical_sheets`, `score_outliers`,
    /// `narrow_filters`, `committee_departures`, `declines`, `no_shows`.
    pub(crate) signal: String,
    /// Fire on findings whose q-value (Benjamini–Hochberg) is at most this: above 0, at most
    /// 0.1. 0.01 means that among the alerts raised, at most about 1 % are false alarms.
    pub(crate) max_q: f64,
    /// Region prefixes (4206, 420602) the rule watches; the whole province if empty.
    #[serde(default)]
    pub(crate) regions: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseText {
    /// A note, or the case's conclusion: 1 to 4,000 characters.
    pub(crate) text: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseUnsealRequest {
    /// The sealed fields to read, as for any unseal request (`name`, `id_number`, `phone`…).
    pub(crate) fields: Vec<String>,
    pub(crate) reason: String,
    /// How long the approved window stays open.
    pub(crate) valid_minutes: i32,
}

/// The rules, retired ones included, oldest first.
#[utoipa::path(
    responses((status = 200, body = Vec<AlertRuleView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/alert-rules")]
pub(crate) async fn rules(
    state: web::Data<AppState>,
    _: Authorized<may::ReadAlertRules>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analytics.rules().await?))
}

/// A new rule: the signal it watches, its threshold and the regions it covers.
#[utoipa::path(
    request_body = NewAlertRule,
    responses((status = 201, body = AlertRuleView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/alert-rules")]
pub(crate) async fn create_rule(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ConfigureAlerts, Json<NewAlertRule>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let view = state
        .analytics
        .create_rule(&principal, &body.signal, body.max_q, body.regions)
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Retires a rule: it fires no more; its alerts and cases stay.
#[utoipa::path(
    params(("rule_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[delete("/api/v1/alert-rules/{rule_id}")]
pub(crate) async fn retire_rule(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ConfigureAlerts>,
    rule_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.analytics.retire_rule(&principal, &rule_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs every signal now over the configured window and raises what the rules call for (the
/// server also runs them by itself, `analytics.signal_run_interval_hours`).
#[utoipa::path(
    responses((status = 200, body = SignalRunView), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/signal-runs")]
pub(crate) async fn run_signals(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ConfigureAlerts>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analytics.run_signals(Some(&principal)).await?))
}

/// The alerts within the supervisor's jurisdiction, newest first, each with its case.
#[utoipa::path(
    responses((status = 200, body = Vec<AlertView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/alerts")]
pub(crate) async fn alerts(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HandleAlerts>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analytics.alerts(&principal).await?))
}

/// One alert, with its case and the case's notes.
#[utoipa::path(
    params(("alert_id" = String, Path)),
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/alerts/{alert_id}")]
pub(crate) async fn alert(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HandleAlerts>,
    alert_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.analytics.alert(&principal, &alert_id).await?))
}

/// Opens the case on an alert (one per alert).
#[utoipa::path(
    params(("alert_id" = String, Path)),
    responses((status = 201, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/alerts/{alert_id}/case")]
pub(crate) async fn open_case(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::HandleAlerts>,
    alert_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(state.analytics.open_case(&principal, &alert_id).await?))
}

/// Adds a note to an open case.
#[utoipa::path(
    params(("case_id" = String, Path)),
    request_body = CaseText,
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/cases/{case_id}/notes")]
pub(crate) async fn add_note(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HandleAlerts, Json<CaseText>>,
    case_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .analytics
            .add_note(&principal, &case_id, &body.0.text)
            .await?,
    ))
}

/// Files the dual-controlled unseal request for the alert's experts (once per case); a second
/// supervisor decides it at `/api/v1/unseal-requests`.
#[utoipa::path(
    params(("case_id" = String, Path)),
    request_body = CaseUnsealRequest,
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/cases/{case_id}/unseal-request")]
pub(crate) async fn request_unseal(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HandleAlerts, Json<CaseUnsealRequest>>,
    case_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .analytics
            .request_unseal(
                &principal,
                &case_id,
                body.fields,
                body.reason,
                body.valid_minutes,
            )
            .await?,
    ))
}

/// Closes an open case with its conclusion.
#[utoipa::path(
    params(("case_id" = String, Path)),
    request_body = CaseText,
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/cases/{case_id}/close")]
pub(crate) async fn close_case(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HandleAlerts, Json<CaseText>>,
    case_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .analytics
            .close_case(&principal, &case_id, &body.0.text)
            .await?,
    ))
}
