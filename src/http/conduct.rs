//! Ratings after an on-site evaluation, an expert's own ratings and appeals, and their
//! decisions (issue 16 §6; docs/SESSIONS.md, "Ratings").

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::conduct::Rating;
use crate::conduct::service::{AppealForReview, AppealView, DrawRatings, Outcome, OwnCredit};

type Problem = super::problem::Problem;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrawRatingBody {
    /// The confirmed member's seat token (64 hex digits), as the draw page lists it.
    pub(crate) token: String,
    /// 1 (poor) to 5 (exemplary).
    pub(crate) punctuality: u8,
    pub(crate) diligence: u8,
    pub(crate) discipline: u8,
}

/// An on-site evaluation's seats for rating, and which the caller has rated: the draw's
/// center and supervisors within its jurisdiction.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = DrawRatings), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws/{draw_id}/ratings")]
pub(crate) async fn draw_ratings(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::RateConduct>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.conduct.draw_ratings(&principal, &draw_id).await?))
}

/// Rates a confirmed member of an on-site evaluation (a draw without a session) after its
/// window has ended: once per rater and seat.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    request_body = DrawRatingBody,
    responses((status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/ratings")]
pub(crate) async fn rate_draw_seat(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RateConduct, Json<DrawRatingBody>>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let rating = Rating {
        punctuality: body.punctuality,
        diligence: body.diligence,
        discipline: body.discipline,
    };
    let rated = state
        .conduct
        .rate_draw_seat(&principal, &draw_id, &body.token, rating)
        .await?;
    Ok(HttpResponse::Created().json(rated))
}

/// The expert's own ratings (when, the rater's capacity, the marks; never who or for which
/// tender) and credit score.
#[utoipa::path(
    responses((status = 200, body = OwnCredit), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/ratings")]
pub(crate) async fn own_ratings(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.conduct.own(&principal).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppealBody {
    /// Why the rating is wrong, 10–1,000 characters.
    pub(crate) reason: String,
}

/// The expert appeals one of their ratings (once); a supervisor decides.
#[utoipa::path(
    params(("rating_id" = String, Path)),
    request_body = AppealBody,
    responses((status = 201, body = AppealView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/me/ratings/{rating_id}/appeal")]
pub(crate) async fn appeal(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::OwnExpertRecord, Json<AppealBody>>,
    rating_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .conduct
        .appeal(&principal, &rating_id, &body.into_inner().reason)
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Appeals of experts within the supervisor's jurisdiction, pending first.
#[utoipa::path(
    responses((status = 200, body = Vec<AppealForReview>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/rating-appeals")]
pub(crate) async fn appeals(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::DecideAppeals>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.conduct.appeals(&principal).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    /// `upheld` (the rating stands) or `granted` (withdrawn from the credit score).
    pub(crate) outcome: String,
    /// Why, 10–1,000 characters; the expert reads it.
    pub(crate) reason: String,
}

/// A supervisor decides an appeal; the expert is notified.
#[utoipa::path(
    params(("appeal_id" = String, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = AppealView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/rating-appeals/{appeal_id}/decision")]
pub(crate) async fn decide(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::DecideAppeals, Json<DecisionBody>>,
    appeal_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let outcome = Outcome::parse(&body.outcome).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
            "Invalid request",
            "outcome: must be upheld or granted",
        )
        .with_field(Some("outcome".into()))
    })?;
    let view = state
        .conduct
        .decide(&principal, &appeal_id, outcome, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
