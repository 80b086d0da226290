//! The venue catalogue (docs/VENUES.md): trading centers' evaluation rooms, and the consent a
//! center gives before another center uses its room as a sub-venue.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::venue::{
    CatalogueVenue, CatalogueVenueChanges, ConsentAnswer, ConsentRequestView, ConsentState,
    NewCatalogueVenue, VenueFilter,
};

type Problem = super::problem::Problem;

/// The catalogue, by region then name (admins, centers and supervisors read all of it).
#[utoipa::path(
    params(VenueFilter),
    responses((status = 200, body = Vec<CatalogueVenue>), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/venues")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Checked { input: filter, .. }: Checked<may::ReadVenues, web::Query<VenueFilter>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.venues.list(&filter).await?))
}

/// One venue.
#[utoipa::path(
    params(("venue_id" = String, Path)),
    responses((status = 200, body = CatalogueVenue), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/venues/{venue_id}")]
pub(crate) async fn show(
    state: web::Data<AppState>,
    _: Authorized<may::ReadVenues>,
    venue_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.venues.show(&venue_id).await?))
}

/// Registers a venue: a center its own, an admin any center's (naming it).
#[utoipa::path(
    request_body = NewCatalogueVenue,
    responses((status = 201, body = CatalogueVenue), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/venues")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageVenues, Json<NewCatalogueVenue>>,
) -> Result<HttpResponse, ApiError> {
    let view = state.venues.create(&principal, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/venues/{}", view.venue_id)))
        .json(view))
}

/// Changes a venue's fields: a center its own, an admin any.
#[utoipa::path(
    params(("venue_id" = String, Path)),
    request_body = CatalogueVenueChanges,
    responses((status = 200, body = CatalogueVenue), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[patch("/api/v1/venues/{venue_id}")]
pub(crate) async fn update(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManageVenues, Json<CatalogueVenueChanges>>,
    venue_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .venues
            .update(&principal, &venue_id, body.into_inner())
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RequestsQuery {
    /// requested, accepted, refused or withdrawn; all when omitted.
    #[param(value_type = Option<String>)]
    pub(crate) state: Option<ConsentState>,
}

/// Sub-venue consent requests, newest first: a center sees those about its venues and those it
/// made; admins and supervisors see all.
#[utoipa::path(
    params(RequestsQuery),
    responses((status = 200, body = Vec<ConsentRequestView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/venue-requests")]
pub(crate) async fn requests(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadVenues, web::Query<RequestsQuery>>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.venues.requests(&principal, query.state).await?))
}

/// The venue's center accepts a request to use its venue as a sub-venue.
#[utoipa::path(
    params(("request_id" = String, Path)),
    responses((status = 200, body = ConsentRequestView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/venue-requests/{request_id}/accept")]
pub(crate) async fn accept(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::AnswerVenueRequests>,
    request_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .venues
            .answer(&principal, &request_id, ConsentAnswer::Accept)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsentRefusal {
    /// Why (2 to 500 characters); both centers see it, the audit log keeps its SHA-256.
    pub(crate) reason: String,
}

/// The venue's center refuses, saying why: the booking is released.
#[utoipa::path(
    params(("request_id" = String, Path)),
    request_body = ConsentRefusal,
    responses((status = 200, body = ConsentRequestView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/venue-requests/{request_id}/refuse")]
pub(crate) async fn refuse(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::AnswerVenueRequests, Json<ConsentRefusal>>,
    request_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .venues
            .answer(
                &principal,
                &request_id,
                ConsentAnswer::Refuse {
                    reason: &body.reason,
                },
            )
            .await?,
    ))
}
