//! Suspending, resuming and cancelling a tender's evaluation (issue 16 §4; docs/DRAWS.md,
//! "Suspending, resuming, cancelling").

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::draw::InterruptionState;
use crate::interruption::{InterruptionDecision, InterruptionView, NewInterruption};

type Problem = super::problem::Problem;

/// The draw's center asks a supervisor to suspend, resume or cancel the evaluation.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    request_body = NewInterruption,
    responses((status = 201, body = InterruptionView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/interruptions")]
pub(crate) async fn request(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RequestInterruption, Json<NewInterruption>>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .interruptions
        .request(&principal, &draw_id, body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A draw's requests and their decisions, oldest first (its center; supervisors within its
/// jurisdiction).
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = Vec<InterruptionView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws/{draw_id}/interruptions")]
pub(crate) async fn of_draw(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ViewDraws>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.interruptions.of_draw(&principal, &draw_id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct StateQuery {
    /// `requested` (the default), `approved` or `refused`.
    #[param(value_type = Option<String>)]
    pub(crate) state: Option<InterruptionState>,
}

/// Requests within the supervisor's jurisdiction, newest first: those waiting, by default.
#[utoipa::path(
    params(StateQuery),
    responses((status = 200, body = Vec<InterruptionView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/interruptions")]
pub(crate) async fn for_supervisor(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::DecideInterruption, web::Query<StateQuery>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .interruptions
            .for_supervisor(&principal, query.into_inner().state)
            .await?,
    ))
}

/// A supervisor within the draw's jurisdiction approves or refuses a request; an approval
/// takes effect at once (the hold, the session, the notices).
#[utoipa::path(
    params(("interruption_id" = String, Path)),
    request_body = InterruptionDecision,
    responses((status = 200, body = InterruptionView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/interruptions/{interruption_id}/decision")]
pub(crate) async fn decide(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::DecideInterruption, Json<InterruptionDecision>>,
    interruption_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .interruptions
            .decide(&principal, &interruption_id, body.into_inner())
            .await?,
    ))
}
