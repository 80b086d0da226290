//! The expert pool over HTTPS. No route here returns a sealed field: identities leave the
//! server only through an approved unseal.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, may};
use super::{AppState, problem::ApiError};
use crate::audit::Actor;
use crate::pool::import::{self, Format};
use crate::pool::own_record::ExpertStatus;
use crate::pool::service::ExpertAttributes;
use crate::pool::validate::parse_specialty;

type Problem = super::problem::Problem;

/// Import files may be far larger than ordinary request bodies.
pub(crate) const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub(crate) struct ExpertView {
    pub expert_id: String,
    pub region_code: String,
    pub(crate) specialties: Vec<String>,
    /// 1 中级, 2 副高级, 3 正高级.
    pub(crate) title_level: i32,
    pub(crate) years_in_field: i32,
    pub(crate) birth_year: i32,
    /// A, B or C: the tier of the last confirmed annual assessment (B until one is).
    pub(crate) tier: crate::pool::assessment::Tier,
    #[schema(value_type = String)]
    pub(crate) status: ExpertStatus,
    pub(crate) credit_score: i32,
    pub draws: i32,
    pub(crate) attendances: i32,
    pub(crate) declines: i32,
    pub(crate) no_shows: i32,
    /// The last day of a suspension (YYYY-MM-DD), while suspended.
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) suspended_until: Option<chrono::NaiveDate>,
    /// The term of appointment, first and last day; absent for records imported before terms.
    pub(crate) term_start: Option<String>,
    pub(crate) term_end: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Six-digit region code.
    pub(crate) region: Option<String>,
    /// Specialty code prefix, e.g. A01.
    pub(crate) specialty: Option<String>,
    /// Continue after this expert id (from the previous page's `next`).
    pub(crate) after: Option<String>,
    /// Page size, 1–100 (default 50).
    pub(crate) limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ExpertPage {
    pub(crate) experts: Vec<ExpertView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub(crate) next: Option<String>,
}

/// Import experts from CSV (`text/csv`) or JSON Lines (`application/x-ndjson`). All rows are
/// validated first; on any problem nothing is written and every bad line is listed.
#[utoipa::path(
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row, or JSON Lines"),
    responses(
        (status = 200, body = crate::pool::service::ImportSummary),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "problems lists each bad line and field"),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/import")]
pub(crate) async fn import_experts(
    request: HttpRequest,
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ManagePool>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::guess(content_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the file as text/csv or application/x-ndjson (JSON Lines)",
        )
    })?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("body", "the upload was interrupted"))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Import file too large",
                format!("import files are limited to {MAX_IMPORT_BYTES} bytes; split the file"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let known = state.pool.known_specialties().await?;
    let experts = match import::parse_file(&body, format, &known) {
        Ok(experts) => experts,
        Err(problems) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-import",
                "Import refused",
                format!(
                    "{} problem(s) in the file; nothing was imported",
                    problems.len()
                ),
            )
            .with_problems(problems));
        }
    };
    let summary = state
        .pool
        .import(experts, &body, Actor::of(&principal))
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Experts' clear attributes and status, a page at a time (admins and supervisors).
#[utoipa::path(
    params(ListQuery),
    responses((status = 200, body = ExpertPage), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/experts")]
pub(crate) async fn list_experts(
    state: web::Data<AppState>,
    Checked { input: query, .. }: Checked<may::ReadExpertRecords, web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("limit", "must be from 1 to 100"));
    }
    let specialty = query
        .specialty
        .as_deref()
        .map(parse_specialty)
        .transpose()
        .map_err(|problem| ApiError::bad_request("specialty", problem))?;
    if let Some(region) = &query.region {
        crate::auth::service::validate_region_code(region)?;
    }
    let experts: Vec<ExpertView> = state
        .pool
        .expert_page(
            query.region.as_deref(),
            specialty.as_deref(),
            query.after.as_deref(),
            limit,
        )
        .await?
        .into_iter()
        .map(view)
        .collect();
    let next = (experts.len() as i64 == limit)
        .then(|| experts.last().map(|e| e.expert_id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(ExpertPage { experts, next }))
}

/// One expert's clear attributes and status (admins and supervisors).
#[utoipa::path(
    params(("expert_id" = String, Path)),
    responses((status = 200, body = ExpertView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/experts/{expert_id}")]
pub(crate) async fn expert(
    state: web::Data<AppState>,
    _: Authorized<may::ReadExpertRecords>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_view(&state, &id).await?))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RegionCount {
    pub region_code: String,
    #[schema(value_type = String)]
    pub(crate) status: ExpertStatus,
    pub(crate) experts: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SpecialtyCount {
    /// The first two levels of the code, e.g. A01.
    pub(crate) specialty_class: String,
    pub(crate) experts: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PoolStatistics {
    pub(crate) total: i64,
    pub(crate) by_region: Vec<RegionCount>,
    pub(crate) by_specialty_class: Vec<SpecialtyCount>,
}

/// Counts of the pool (trading centers, supervisors, admins): never a record.
#[utoipa::path(
    responses((status = 200, body = PoolStatistics), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/pool/statistics")]
pub(crate) async fn statistics(
    state: web::Data<AppState>,
    _: Authorized<may::ReadPoolStatistics>,
) -> Result<HttpResponse, ApiError> {
    let counts = state.pool.statistics().await?;
    let total = counts.total;
    let by_region = counts
        .by_region
        .into_iter()
        .map(|(region_code, status, experts)| RegionCount {
            region_code,
            status,
            experts,
        })
        .collect();
    let by_specialty_class = counts
        .by_specialty_class
        .into_iter()
        .map(|(specialty_class, experts)| SpecialtyCount {
            specialty_class,
            experts,
        })
        .collect();
    Ok(HttpResponse::Ok().json(PoolStatistics {
        total,
        by_region,
        by_specialty_class,
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Specialty {
    /// A, A01, A0101 or A010101: each level extends its parent's code.
    pub code: String,
    pub name: String,
    /// False for the bundled sample classification (development and tests).
    pub(crate) official: bool,
}

/// The specialty classification, in code order, for choosing a draw's strata.
#[utoipa::path(
    responses((status = 200, body = Vec<Specialty>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/specialties")]
pub(crate) async fn specialty_classification(
    state: web::Data<AppState>,
    _: Authorized<may::ReadPoolStatistics>,
) -> Result<HttpResponse, ApiError> {
    let codes = state.pool.specialty_classification().await?;
    Ok(HttpResponse::Ok().json(
        codes
            .into_iter()
            .map(|(code, name, official)| Specialty {
                code,
                name,
                official,
            })
            .collect::<Vec<_>>(),
    ))
}

/// A prefecture-level division of Hubei with its county-level divisions.
#[derive(Serialize, ToSchema)]
pub(crate) struct RegionPrefecture {
    /// The 6-digit code (420600), as experts' regions are recorded.
    pub code: String,
    pub name: String,
    /// The prefix a region rule names for this prefecture: four digits (4206), or all six for
    /// a division the province administers directly (429004 仙桃), since 4290 groups four.
    pub prefix: String,
    pub counties: Vec<RegionCounty>,
}

/// A county-level division (a venue's place, a project's county).
#[derive(Serialize, ToSchema)]
pub(crate) struct RegionCounty {
    /// The 6-digit code (420626).
    pub code: String,
    pub name: String,
    /// district, county-level city, county, autonomous county or forestry district.
    pub kind: &'static str,
}

/// Hubei's prefecture-level divisions in the list's order, each with its county-level
/// divisions in code order (GB/T 2260): what a draw's region rules and a venue's county name.
#[utoipa::path(
    responses((status = 200, body = Vec<RegionPrefecture>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/regions")]
pub(crate) async fn regions(_: Authorized<may::ReadPoolStatistics>) -> HttpResponse {
    let list: Vec<RegionPrefecture> = crate::pool::regions::prefectures()
        .iter()
        .map(|prefecture| RegionPrefecture {
            code: prefecture.code.clone(),
            name: prefecture.name.clone(),
            prefix: prefecture.prefix.clone(),
            counties: crate::pool::regions::counties()
                .iter()
                .filter(|county| county.prefecture() == prefecture)
                .map(|county| RegionCounty {
                    code: county.code.clone(),
                    name: county.name.clone(),
                    kind: county.kind.as_str(),
                })
                .collect(),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// An industry department (行业主管部门) a draw can belong to and a supervisor can oversee.
#[derive(Serialize, ToSchema)]
pub(crate) struct IndustryView {
    /// The stable code a draw's `industry` and a scope's `industries` use.
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// The industry departments, in a fixed order (docs/DRAWS.md, "Jurisdiction").
#[utoipa::path(
    responses((status = 200, body = Vec<IndustryView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/industries")]
pub(crate) async fn industries(_: Authorized<may::ReadPoolStatistics>) -> HttpResponse {
    let list: Vec<IndustryView> = crate::auth::jurisdiction::INDUSTRIES
        .iter()
        .map(|&(code, name_zh, name_en)| IndustryView {
            code,
            name_zh,
            name_en,
        })
        .collect();
    HttpResponse::Ok().json(list)
}

async fn load_view(state: &AppState, id: &str) -> Result<ExpertView, ApiError> {
    let found = state
        .pool
        .expert(id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such expert"))?;
    Ok(view(found))
}

fn view(ExpertAttributes { row, specialties }: ExpertAttributes) -> ExpertView {
    ExpertView {
        expert_id: row.id,
        region_code: row.region_code,
        specialties,
        title_level: row.title_level,
        years_in_field: row.years_in_field,
        birth_year: row.birth_year,
        tier: row.tier,
        status: row.status,
        credit_score: row.credit_score,
        draws: row.draws,
        attendances: row.attendances,
        declines: row.declines,
        no_shows: row.no_shows,
        suspended_until: row
            .suspended_until
            .map(crate::pool::own_record::last_day_before),
        term_start: row.term_start,
        term_end: row.term_end,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusChange {
    pub(crate) status: crate::pool::own_record::ExpertStatus,
    /// Last day of a suspension (YYYY-MM-DD); only with status suspended.
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) suspended_until: Option<chrono::NaiveDate>,
    /// Why, as a short code (penalty, credit_score, request, age, …); recorded in the audit log.
    pub(crate) reason_code: String,
}

/// Suspend, retire, remove or reinstate an expert (admin).
#[utoipa::path(
    params(("expert_id" = String, Path)),
    request_body = StatusChange,
    responses((status = 200, body = ExpertView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/{expert_id}/status")]
pub(crate) async fn set_status(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: change,
        ..
    }: Checked<may::ManagePool, super::extract::Json<StatusChange>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let change = change.into_inner();
    state
        .pool
        .set_status(
            &principal,
            &id,
            change.status,
            change.suspended_until,
            &change.reason_code,
        )
        .await?;
    Ok(HttpResponse::Ok().json(load_view(&state, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PenaltyBody {
    /// A short lowercase code, e.g. `bid_rigging`, `absence`, `misconduct`.
    pub(crate) reason_code: String,
    /// Last day the penalty is in force (YYYY-MM-DD); omitted for an indefinite penalty.
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) until: Option<chrono::NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PenaltyRecorded {
    pub(crate) penalty_id: String,
}

/// Record a penalty (违规记录) on an expert (admin). While in force, the expert is not drawn.
#[utoipa::path(
    params(("expert_id" = String, Path)),
    request_body = PenaltyBody,
    responses((status = 201, body = PenaltyRecorded), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/experts/{expert_id}/penalties")]
pub(crate) async fn record_penalty(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ManagePool, super::extract::Json<PenaltyBody>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let until = body.until.map(|day| {
        // In force through the whole of its last day (UTC+8, the province's day).
        day.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis()
            + 86_400_000
            - 8 * 3_600_000
    });
    let penalty_id = state
        .draws
        .record_penalty(&principal, &id, &body.reason_code, until)
        .await?;
    Ok(HttpResponse::Created().json(PenaltyRecorded { penalty_id }))
}
