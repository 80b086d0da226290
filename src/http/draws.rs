//! Draws: the intent, contributions, the result, replacements, the verification record, and
//! the supervisors' frequency report. Handlers parse and authorise; `draw::service` does the rest.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::draw::committee::PlannedCommittee;
use crate::draw::filter::{
    AvoidedOrganisation, EvaluationMode, ExcludedToken, FilterStratum, VenueRandom, VenueScope,
};
use crate::draw::published::AnyRecord;
use crate::draw::service::{
    CreatedDraw, DrawView, FrequencyReport, NewDraw, RecheckReport, ReplacementOutcome,
    RequestedFloor,
};

type Problem = super::problem::Problem;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StratumBody {
    /// Specialty codes from the classification (e.g. `A01`, `A0102`); an expert qualifies with
    /// any specialty under any of them.
    pub(crate) specialty_prefixes: Vec<String>,
    /// Experts to draw (k).
    pub(crate) count: u32,
    /// Ordered reserves (m) that fill vacated seats in rank order.
    pub reserves: u32,
    /// Region code prefixes (GB/T 2260: `42` the province, `4206` a prefecture, `420600` its
    /// whole code; each must begin one of Hubei's divisions) whose experts this stratum does
    /// not draw, besides the draw's `regions_exclude`, which applies to every stratum.
    #[serde(default)]
    #[schema(example = json!(["4205"]))]
    pub regions_exclude: Vec<String>,
    /// If not empty, this stratum draws only experts under one of these region prefixes. It
    /// applies together with the draw's `regions_require`, so it can only narrow it: `4206`
    /// under a draw that requires `42` draws from 4206; under one that requires `4201`, it is
    /// refused (no region satisfies both).
    #[serde(default)]
    #[schema(example = json!(["4206"]))]
    pub regions_require: Vec<String>,
    /// Years in the field this stratum requires (招标投标法 §37); at least the deployment's
    /// `draw.min_years` (8), which applies when absent.
    #[serde(default)]
    pub min_years: Option<u32>,
    /// Title rank this stratum requires: 1 中级, 2 副高级, 3 正高级; at least the deployment's
    /// `draw.min_title` (2), which applies when absent.
    #[serde(default)]
    pub min_title: Option<u32>,
    /// The lowest tier this stratum draws, from the experts' confirmed annual assessment
    /// (docs/POOL.md): `A` (A only) or `B` (A and B). Absent: every tier. Experts below are
    /// excluded as `tier_below`.
    #[serde(default)]
    pub min_tier: Option<crate::pool::assessment::Tier>,
    /// A catalogue venue (docs/VENUES.md) where this stratum's experts sit; their invitations
    /// name it. Bind every stratum or none; one of them to a venue of your own (the main
    /// venue). Another center's venue needs its consent before the draw executes.
    #[serde(default)]
    pub venue_id: Option<String>,
    /// With `venue_id`: `prefecture` (default: experts of the venue's prefecture) or
    /// `province` (no narrowing from the venue). `county` is refused (experts' regions are
    /// prefecture-level).
    #[serde(default)]
    pub venue_scope: Option<VenueScope>,
    /// Instead of `venue_id`, for a sub-venue: the server chooses it after the draw's seed is
    /// known among other centers' open, remote-capable venues in `regions` with room for this
    /// stratum in the window (docs/DRAWS.md, "A sub-venue chosen at random"); the stratum's
    /// experts come from those regions. Several strata may be chosen at random, in regions of
    /// different centers.
    #[serde(default)]
    pub venue_random: Option<VenueRandomBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VenueRandomBody {
    /// Region code prefixes (e.g. `4205` 宜昌, `4206` 襄阳) the sub-venue is chosen in and the
    /// stratum's experts come from.
    #[schema(example = json!(["4205", "4206"]))]
    pub(crate) regions: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationBody {
    pub name: String,
    /// The 18-character unified social credit code (统一社会信用代码).
    pub(crate) credit_code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExcludedExpertBody {
    /// One of your earlier draws.
    pub draw_id: String,
    /// The expert's token in that draw (64 lowercase hex digits).
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrawRequestBody {
    /// The tender's reference (招标编号). A tender (with its lot) has one draw: a second
    /// request for it is refused with 409, whoever makes it.
    pub(crate) tender_reference: String,
    /// The lot (标段) when the tender has several, each evaluated by its own committee.
    #[serde(default)]
    pub(crate) lot: Option<String>,
    pub(crate) tender_name: String,
    /// Where the committee reports (the main venue, 主场); omitted for a distributed evaluation.
    /// Experts see it only after accepting.
    #[serde(default)]
    pub(crate) venue: Option<String>,
    /// RFC 3339, e.g. `2026-11-26T09:00:00+08:00`; within the configured window from now.
    pub evaluation_start: String,
    pub evaluation_minutes: u32,
    pub mode: EvaluationMode,
    /// The project's region code. A cross-site draw excludes its city (first four digits) from
    /// every stratum where the deployment says so (`draw.exclude_project_region`, on by
    /// default); defaults to the center's region.
    #[serde(default)]
    pub(crate) project_region: Option<String>,
    /// The project's industry department (`GET /api/v1/industries`, e.g. `water`): with the
    /// project's region it places the draw in supervisors' jurisdictions (docs/DRAWS.md,
    /// "Jurisdiction").
    #[serde(default)]
    pub(crate) industry: Option<String>,
    /// The project must be tendered by law (依法必须招标): the draw then waits for a
    /// contribution from a supervisor in its jurisdiction (or for its window to close).
    #[serde(default)]
    pub(crate) statutory_tender: bool,
    /// For supervision's statistics (docs/ANALYTICS.md), all optional: `works` (工程),
    /// `goods` (货物) or `services` (服务).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) project_category: Option<crate::draw::project::ProjectCategory>,
    /// Whether government money pays for the project (政府投资).
    #[serde(default)]
    pub(crate) government_invested: Option<bool>,
    /// The estimated value's band: `under_4m`, `4m_to_10m`, `10m_to_100m`, `100m_and_above`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) value_band: Option<crate::draw::project::ValueBand>,
    /// The national transaction code (交易项目编号): 10–40 capitals, digits and hyphens.
    #[serde(default)]
    pub(crate) transaction_code: Option<String>,
    pub strata: Vec<StratumBody>,
    /// Tenderer, bidders, agency: experts tied to them (now, within the avoidance years, or
    /// through a declared relative) are not drawn.
    #[serde(default)]
    pub(crate) avoid_organisations: Vec<OrganisationBody>,
    /// Experts excluded by their token in one of your earlier draws (e.g. after a recusal).
    #[serde(default)]
    pub exclude_experts: Vec<ExcludedExpertBody>,
    /// Region code prefixes whose experts are not drawn, in any stratum (each must begin one
    /// of Hubei's divisions; at most 32).
    #[serde(default)]
    pub regions_exclude: Vec<String>,
    /// If not empty, only experts in these region code prefixes are drawn, in any stratum; a
    /// stratum's own `regions_require` narrows it further.
    #[serde(default)]
    pub(crate) regions_require: Vec<String>,
    /// The committee planned (招标投标法 §37), e.g. `{"experts": 5, "representatives": 2}`:
    /// `experts` the strata's counts together, `representatives` the tenderer's, named when the
    /// session opens. Checked before drawing: at least 5 members, odd, experts at least two
    /// thirds. Omitted: the committee is the drawn experts alone.
    #[serde(default)]
    pub(crate) committee: Option<PlannedCommittee>,
}

/// Ask for a draw. Logs the intent (committing to the eligible sets and to the server's secret)
/// before any randomness exists; answers with the intent and its inclusion proof.
#[utoipa::path(
    request_body = DrawRequestBody,
    responses(
        (status = 201, body = CreatedDraw),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the tender (reference and lot) already has its draw (nothing drawn)"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid request (naming the field: e.g. an unknown region, or `strata[1].regions_require` when a stratum's region rule admits no expert under its specialties), outside the timing window, or too few eligible experts (nothing drawn)"),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/draws")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RequestDraw, Json<DrawRequestBody>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let evaluation_start = chrono::DateTime::parse_from_rfc3339(&body.evaluation_start)
        .map_err(|_| {
            ApiError::bad_request(
                "evaluation_start",
                "must be an RFC 3339 time such as 2026-11-26T09:00:00+08:00",
            )
        })?
        .timestamp_millis();
    let request = NewDraw {
        tender_reference: body.tender_reference,
        lot: body.lot.unwrap_or_default(),
        tender_name: body.tender_name,
        venue: body.venue,
        evaluation_start,
        evaluation_minutes: body.evaluation_minutes,
        mode: body.mode,
        project_region: body.project_region,
        industry: body.industry,
        statutory_tender: body.statutory_tender,
        project: crate::draw::project::ProjectFacts {
            category: body.project_category,
            government_invested: body.government_invested,
            value_band: body.value_band,
            transaction_code: body.transaction_code,
        },
        stratum_floors: body
            .strata
            .iter()
            .map(|s| RequestedFloor {
                min_years: s.min_years,
                min_title: s.min_title,
                min_tier: s.min_tier,
            })
            .collect(),
        strata: body
            .strata
            .into_iter()
            .map(|s| FilterStratum {
                prefixes: s.specialty_prefixes,
                k: s.count,
                m: s.reserves,
                regions_exclude: s.regions_exclude,
                regions_require: s.regions_require,
                venue_id: s.venue_id.map(|id| id.trim().to_owned()),
                venue_region: None,
                venue_scope: s.venue_scope,
                venue_random: s.venue_random.map(|r| VenueRandom { regions: r.regions }),
            })
            .collect(),
        avoid_organisations: body
            .avoid_organisations
            .into_iter()
            .map(|o| AvoidedOrganisation {
                credit_code: o.credit_code,
                name: o.name,
            })
            .collect(),
        exclude_tokens: body
            .exclude_experts
            .into_iter()
            .map(|e| ExcludedToken {
                draw_id: e.draw_id,
                token: e.token,
            })
            .collect(),
        regions_exclude: body.regions_exclude,
        regions_require: body.regions_require,
        committee: body.committee,
    };
    let created = state.draws.create(&principal, request).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// 1 to 200, default 50.
    pub(crate) limit: Option<i64>,
}

/// Draws, newest first: a center's own, or all for a supervisor.
#[utoipa::path(
    params(ListQuery),
    responses((status = 200, body = Vec<DrawView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ViewDraws, web::Query<ListQuery>>,
) -> Result<HttpResponse, ApiError> {
    let views = state
        .draws
        .list(&principal, query.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// One draw: status, exclusion counts, contributions, seats by token and progress.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = DrawView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws/{draw_id}")]
pub(crate) async fn show(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ViewDraws>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.draws.view(&principal, &draw_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntropyBody {
    /// 16 to 1024 random bytes from your own CSPRNG, as hex.
    pub(crate) entropy: String,
}

/// Contribute randomness after seeing the intent (the draw's center or a supervisor, once each).
#[utoipa::path(
    params(("draw_id" = String, Path)),
    request_body = EntropyBody,
    responses((status = 200, body = DrawView), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/entropy")]
pub(crate) async fn contribute(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ContributeEntropy, Json<EntropyBody>>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bytes = hex::decode(body.into_inner().entropy.trim())
        .map_err(|_| ApiError::bad_request("entropy", "must be hex digits"))?;
    let view = state.draws.contribute(&principal, &draw_id, bytes).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplacementBody {
    /// The token of the seat to vacate.
    pub token: String,
    /// declined, no_answer, recused or withdrew.
    pub(crate) reason: String,
}

/// Vacate a seat (补抽): the stratum's next reserve in rank order takes it; when none is left, a
/// linked draw is started for the seat.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    request_body = ReplacementBody,
    responses((status = 200, body = ReplacementOutcome), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/replacements")]
pub(crate) async fn replace(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RequestDraw, Json<ReplacementBody>>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let outcome = state
        .draws
        .replace(&principal, &draw_id, &body.token, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// The self-contained verification record: recompute it offline with `sealdraw draw verify`
/// and the log's public key (docs/DRAW-SPEC.md).
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/draws/{draw_id}/record")]
pub(crate) async fn record(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ViewDraws>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record: AnyRecord = state.draws.record(&principal, &draw_id).await?;
    Ok(HttpResponse::Ok().json(record))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FrequencyQuery {
    /// The rolling window in days (default: the frequency cap's window).
    pub(crate) days: Option<i64>,
}

/// Seats per expert over a rolling window, under stable pseudonyms, and their spread.
#[utoipa::path(
    params(FrequencyQuery),
    responses((status = 200, body = FrequencyReport), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/reports/draw-frequency")]
pub(crate) async fn frequency_report(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: query,
        ..
    }: Checked<may::ReadDrawReports, web::Query<FrequencyQuery>>,
) -> Result<HttpResponse, ApiError> {
    let report = state.draws.frequency_report(&principal, query.days).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Re-derive a draw's committed eligible sets from their sealed members and compare them with
/// the filter applied to today's pool (supervisors; logged). Answers counts only.
#[utoipa::path(
    params(("draw_id" = String, Path)),
    responses((status = 200, body = RecheckReport), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/draws/{draw_id}/recheck")]
pub(crate) async fn recheck(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::ReadDrawReports>,
    draw_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.draws.recheck(&principal, &draw_id).await?))
}
