//! Supervision's statistics (issue 21; docs/ANALYTICS.md): JSON, or CSV to open in a
//! spreadsheet (`format=csv`).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Checked, may};
use super::{AppState, problem::ApiError};
use crate::analytics::service::{Period, ProjectLine, RemoteShareReport, SupplyReport};

type Problem = super::problem::Problem;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeriodQuery {
    /// The year (Beijing time), 2000–2100.
    pub(crate) year: i32,
    /// One month of it (1–12); the whole year if omitted. Evaluations are counted by their
    /// start, those already drawn for later in the period included.
    pub(crate) month: Option<u32>,
    /// `csv` for a spreadsheet; JSON otherwise.
    pub(crate) format: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RemoteProjectsQuery {
    pub(crate) year: i32,
    pub(crate) month: Option<u32>,
    /// A prefecture's code prefix (4206; 429004 for a division the province runs directly);
    /// every prefecture if omitted.
    pub(crate) prefecture: Option<String>,
    pub(crate) format: Option<String>,
}

impl PeriodQuery {
    /// The period asked for, and whether as CSV.
    fn parse(&self) -> Result<(Period, bool), ApiError> {
        let csv = wants_csv(self.format.as_deref())?;
        Ok((Period::new(self.year, self.month)?, csv))
    }
}

/// A CSV header row.
fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
            "Invalid request",
            "format: must be json or csv",
        )
        .with_field(Some("format".into()))),
    }
}

/// CSV with a byte-order mark, so that spreadsheet programs read the Chinese names as UTF-8.
fn csv_response(name: &str, rows: Vec<Vec<String>>) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(&row)
            .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(
        writer
            .into_inner()
            .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body))
}

/// The share of qualifying projects (government-invested works) evaluated remotely, per
/// prefecture and for the province without the excluded prefectures, against the goal;
/// within the supervisor's jurisdiction.
#[utoipa::path(
    params(PeriodQuery),
    responses((status = 200, body = RemoteShareReport), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/reports/remote-share")]
pub(crate) async fn remote_share(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadDrawReports, web::Query<PeriodQuery>>,
) -> Result<HttpResponse, ApiError> {
    let (period, csv) = query.parse()?;
    let report = state.analytics.remote_share(&principal, period).await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(report));
    }
    let mut rows = vec![header(&[
        "prefecture",
        "name",
        "target_applies",
        "projects",
        "remote",
        "share_percent",
        "meets_target",
    ])];
    let text = |value: Option<bool>| value.map(|v| v.to_string()).unwrap_or_default();
    for line in &report.prefectures {
        rows.push(vec![
            line.prefecture.clone(),
            line.name.clone(),
            line.target_applies.to_string(),
            line.share.projects.to_string(),
            line.share.remote.to_string(),
            line.share.share_percent.clone().unwrap_or_default(),
            text(line.share.meets_target),
        ]);
    }
    rows.push(vec![
        "province".into(),
        "全省（不含目标不适用的地区）".into(),
        "true".into(),
        report.province.projects.to_string(),
        report.province.remote.to_string(),
        report.province.share_percent.clone().unwrap_or_default(),
        text(report.province.meets_target),
    ]);
    csv_response(&format!("remote-share-{}", period.year), rows)
}

/// The qualifying projects behind the remote share, by start: a prefecture's, or all.
#[utoipa::path(
    params(RemoteProjectsQuery),
    responses((status = 200, body = Vec<ProjectLine>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/reports/remote-share/projects")]
pub(crate) async fn remote_share_projects(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadDrawReports, web::Query<RemoteProjectsQuery>>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(query.format.as_deref())?;
    let period = Period::new(query.year, query.month)?;
    let lines = state
        .analytics
        .remote_share_projects(&principal, period, query.prefecture.as_deref())
        .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(lines));
    }
    let mut rows = vec![header(&[
        "draw_id",
        "tender_reference",
        "tender_name",
        "evaluation_start",
        "mode",
        "remote",
        "prefecture",
        "industry",
    ])];
    for line in lines {
        rows.push(vec![
            line.draw_id,
            line.tender_reference,
            line.tender_name,
            line.evaluation_start,
            line.mode,
            line.remote.to_string(),
            line.prefecture,
            line.industry.unwrap_or_default(),
        ]);
    }
    csv_response(&format!("remote-share-projects-{}", query.year), rows)
}

/// Which specialties run short, the one most in need of recruiting first (issue 21 §2; docs/
/// ANALYTICS.md §3): by the draws requested in the period, within the jurisdiction.
#[utoipa::path(
    params(PeriodQuery),
    responses((status = 200, body = SupplyReport), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/reports/supply")]
pub(crate) async fn supply(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadDrawReports, web::Query<PeriodQuery>>,
) -> Result<HttpResponse, ApiError> {
    let (period, csv) = query.parse()?;
    let report = state.analytics.supply(&principal, period).await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(report));
    }
    let mut rows = vec![header(&[
        "rank",
        "specialty_prefixes",
        "strata",
        "refusals",
        "median_eligible",
        "min_eligible",
        "tightest_multiple",
        "invited",
        "declined",
        "no_answer",
        "departed",
        "decline_percent",
        "no_answer_percent",
        "replacement_percent",
        "strata_confirmed",
        "median_minutes_to_confirmed",
    ])];
    for line in report.specialties {
        rows.push(vec![
            line.rank.to_string(),
            line.specialty_prefixes.join(" "),
            line.strata.to_string(),
            line.refusals.to_string(),
            line.median_eligible.to_string(),
            line.min_eligible.to_string(),
            line.tightest_multiple,
            line.invited.to_string(),
            line.declined.to_string(),
            line.no_answer.to_string(),
            line.departed.to_string(),
            line.decline_percent.unwrap_or_default(),
            line.no_answer_percent.unwrap_or_default(),
            line.replacement_percent.unwrap_or_default(),
            line.strata_confirmed.to_string(),
            line.median_minutes_to_confirmed
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ]);
    }
    csv_response(&format!("supply-{}", period.year), rows)
}
