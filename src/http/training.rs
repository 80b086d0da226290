//! Training records and the annual assessment over HTTPS (issue 22 §2; docs/POOL.md,
//! "Training, assessment and tiers").

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, may};
use super::{AppState, problem::ApiError};
use crate::pool::assessment::Tier;
use crate::pool::training::{
    AssessmentResultView, AssessmentView, TrainingError, TrainingInput, TrainingRecordView,
    TrainingSummary,
};

type Problem = super::problem::Problem;

impl From<TrainingError> for ApiError {
    fn from(error: TrainingError) -> Self {
        use TrainingError::*;
        match error {
            Invalid { field, problem } => Self::bad_request(field, problem),
            NoSuchExpert => Self::not_found("no such expert"),
            NoSuchRecord => Self::not_found("no such training record"),
            NotLinked => Self::not_found("this account is not linked to an expert record"),
            AlreadyVoid => Self::conflict("already-void", error.to_string()),
            NoSuchAssessment(_) | NotAssessed(_) => Self::not_found(error.to_string()),
            Confirmed(_) => Self::conflict("assessment-confirmed", error.to_string()),
            Store(e) => e.into(),
            Audit(e) => e.into(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Correction {
    /// The record this one replaces; it becomes void.
    pub(crate) record_id: String,
    /// Why (10-500 characters); the audit log commits to it.
    pub(crate) reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrainingBody {
    /// The course's name (1-200 characters).
    pub(crate) course: String,
    /// Hours, 0.5 to 200 in half hours.
    pub(crate) hours: f64,
    /// The day the training was completed (YYYY-MM-DD), not in the future.
    pub(crate) date: String,
    /// The certificate's number or reference (1-100 characters).
    pub(crate) certificate_ref: String,
    /// A correction of an earlier record, which this one voids.
    #[serde(default)]
    pub(crate) corrects: Option<Correction>,
}

/// Record a training an expert completed (admin); a correction voids the record it corrects.
#[utoipa::path(
    params(("expert_id" = String, Path)),
    request_body = TrainingBody,
    responses((status = 201, body = TrainingRecordView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/{expert_id}/training")]
pub(crate) async fn record(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManagePool, super::extract::Json<TrainingBody>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = TrainingInput {
        course: body.course,
        hours: body.hours,
        date: body.date,
        certificate_ref: body.certificate_ref,
        corrects: body.corrects.map(|c| (c.record_id, c.reason)),
    };
    let view = state.training.record(&principal, &id, input).await?;
    Ok(HttpResponse::Created().json(view))
}

/// An expert's training records and whether they are behind (admins and supervisors).
#[utoipa::path(
    params(("expert_id" = String, Path)),
    responses((status = 200, body = TrainingSummary), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/experts/{expert_id}/training")]
pub(crate) async fn of_expert(
    state: web::Data<AppState>,
    _: Authorized<may::ReadExpertRecords>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.training.of_expert(&id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VoidBody {
    /// Why (10-500 characters); the audit log commits to it.
    pub(crate) reason: String,
}

/// Void a training record entered in error (admin); it then counts nowhere.
#[utoipa::path(
    params(("expert_id" = String, Path), ("record_id" = String, Path)),
    request_body = VoidBody,
    responses((status = 200, body = TrainingRecordView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/{expert_id}/training/{record_id}/void")]
pub(crate) async fn void(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManagePool, super::extract::Json<VoidBody>>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (expert_id, record_id) = path.into_inner();
    let body = body.into_inner();
    let view = state
        .training
        .void(&principal, &expert_id, &record_id, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The signed-in expert's own training records and whether they are behind.
#[utoipa::path(
    responses((status = 200, body = TrainingSummary), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/me/training")]
pub(crate) async fn own(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::OwnExpertRecord>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.training.own(&principal).await?))
}

fn year(text: &str) -> Result<i32, ApiError> {
    text.parse::<i32>()
        .ok()
        .filter(|year| (1000..=9999).contains(year))
        .ok_or_else(|| ApiError::bad_request("year", "must be a year, e.g. 2026"))
}

/// Compute (or, until it is confirmed, recompute) a year's assessment of every active or
/// suspended expert (admin).
#[utoipa::path(
    params(("year" = i32, Path)),
    responses((status = 200, body = AssessmentView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/assessments/{year}/compute")]
pub(crate) async fn compute(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let year = year(&path)?;
    Ok(HttpResponse::Ok().json(state.training.compute(&principal, year).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResultsQuery {
    /// Results after this expert id (the previous page's `next`).
    pub(crate) after: Option<String>,
    /// 1-1000, default 100.
    pub(crate) limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssessmentPage {
    pub(crate) assessment: AssessmentView,
    pub(crate) results: Vec<AssessmentResultView>,
    /// The next page's `after`, when there may be one.
    pub(crate) next: Option<String>,
}

/// A year's assessment and a page of its results, by expert id (admins and supervisors).
#[utoipa::path(
    params(("year" = i32, Path), ResultsQuery),
    responses((status = 200, body = AssessmentPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/assessments/{year}")]
pub(crate) async fn results(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ReadExpertRecords, web::Query<ResultsQuery>>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let year = year(&path)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit", "must be from 1 to 1000"));
    }
    let (assessment, results) = state
        .training
        .results(year, query.after.as_deref().unwrap_or(""), limit)
        .await?;
    let next = (results.len() as i64 == limit)
        .then(|| results.last().map(|r| r.expert_id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(AssessmentPage {
        assessment,
        results,
        next,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdjustBody {
    /// A, B or C.
    pub(crate) tier: Tier,
    /// Why (10-500 characters); shown with the result, committed to in the audit log.
    pub(crate) reason: String,
}

/// Set one expert's tier in an unconfirmed assessment, with the reason (admin).
#[utoipa::path(
    params(("year" = i32, Path), ("expert_id" = String, Path)),
    request_body = AdjustBody,
    responses((status = 200, body = AssessmentResultView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/assessments/{year}/experts/{expert_id}/tier")]
pub(crate) async fn adjust(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManagePool, super::extract::Json<AdjustBody>>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (year_text, expert_id) = path.into_inner();
    let year = year(&year_text)?;
    let body = body.into_inner();
    let view = state
        .training
        .adjust(&principal, year, &expert_id, body.tier, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm a year's assessment (admin): its tiers become the experts' tiers; the run is final.
#[utoipa::path(
    params(("year" = i32, Path)),
    responses((status = 200, body = AssessmentView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/assessments/{year}/confirm")]
pub(crate) async fn confirm(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let year = year(&path)?;
    Ok(HttpResponse::Ok().json(state.training.confirm(&principal, year).await?))
}
