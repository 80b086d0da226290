//! Evaluation sessions over HTTPS (create, view, entropy for the seat assignment, tickets,
//! report, ratings) and the websocket they run on.

use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Authorized, Checked, Json, may};
use super::{AppState, problem::ApiError};
use crate::conduct::Rating;
use crate::session::frame_limit::FrameLimit;
use crate::session::{
    CreatedSession, IssuedTicket, NewRepresentative, NewSession, RepresentativeLogin, SessionView,
};
use crate::web::language::Language;

type Problem = super::problem::Problem;

/// Opens the evaluation session of a completed draw (its center becomes the host), naming the
/// tenderer's representatives the draw planned; their logins are in the answer, once.
#[utoipa::path(
    request_body = NewSession,
    responses((status = 201, body = CreatedSession), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HostSessions, Json<NewSession>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    // Checked before any password is hashed for their logins.
    let named = crate::session::SessionService::check_representatives(&request)?;
    let logins = state
        .auth
        .prepare_logins("representative", named.len())
        .await?;
    let created = state.sessions.create(&principal, request, logins).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "location",
            format!("/api/v1/sessions/{}", created.view.session_id),
        ))
        .json(created))
}

/// Names a tenderer's representative in place of one whose seat is void (the host): a new
/// seat, login and join code, in the answer once.
#[utoipa::path(
    params(("session_id" = String, Path)),
    request_body = NewRepresentative,
    responses((status = 201, body = RepresentativeLogin), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/representatives")]
pub(crate) async fn name_representative(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::HostSessions, Json<NewRepresentative>>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let person = body.into_inner();
    // Checked before a password is hashed for the login.
    crate::session::SessionService::check_representative(&person)?;
    let logins = state.auth.prepare_logins("representative", 1).await?;
    let login = logins
        .first()
        .ok_or_else(|| ApiError::internal("no login was prepared"))?;
    let named = state
        .sessions
        .name_representative(&principal, &session_id, &person, login)
        .await?;
    Ok(HttpResponse::Created().json(named))
}

/// Sessions the caller takes part in (as host, operator, supervisor or member), newest first.
#[utoipa::path(
    responses((status = 200, body = Vec<SessionView>), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/sessions")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::JoinSessions>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.sessions.list(&principal).await?))
}

/// One session: phase, venues, seats ("Expert n"), chair, report digest.
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/sessions/{session_id}")]
pub(crate) async fn show(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::JoinSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.sessions.view(&principal, &session_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionEntropyBody {
    /// 16 to 1024 random bytes from your own CSPRNG, as hex.
    pub(crate) entropy: String,
}

/// Adds randomness to a random seat assignment before check-in reveals it (the host and the
/// session's supervisors, once each).
#[utoipa::path(
    params(("session_id" = String, Path)),
    request_body = SessionEntropyBody,
    responses((status = 200, body = Object), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/entropy")]
pub(crate) async fn contribute(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::ContributeEntropy, Json<SessionEntropyBody>>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bytes = hex::decode(body.into_inner().entropy.trim())
        .map_err(|_| ApiError::bad_request("entropy", "must be hex digits"))?;
    let position = state
        .sessions
        .contribute(&principal, &session_id, &bytes)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"position": position})))
}

/// A single-use ticket to open the session's websocket, valid for `session.ticket_secs` (30 s
/// by default).
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, body = IssuedTicket), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/ticket")]
pub(crate) async fn ticket(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::JoinSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.sessions.ticket(&principal, &session_id).await?))
}

/// The evaluation report: the draft from the signing phase, the signed report once closed.
#[utoipa::path(
    params(("session_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/api/v1/sessions/{session_id}/report")]
pub(crate) async fn report(
    state: web::Data<AppState>,
    Authorized { principal, .. }: Authorized<may::JoinSessions>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.sessions.report_of(&principal, &session_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RatingBody {
    /// The seat number ("Expert n") rated.
    pub seat: u32,
    /// 1 (poor) to 5 (exemplary).
    pub(crate) punctuality: u8,
    pub(crate) diligence: u8,
    pub(crate) discipline: u8,
}

/// After closing, the host or a supervisor rates a member's conduct (once per seat).
#[utoipa::path(
    params(("session_id" = String, Path)),
    request_body = RatingBody,
    responses((status = 201, body = Object), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/api/v1/sessions/{session_id}/ratings")]
pub(crate) async fn rate(
    state: web::Data<AppState>,
    Checked {
        principal,
        input: body,
        ..
    }: Checked<may::RateConduct, Json<RatingBody>>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let rating = Rating {
        punctuality: body.punctuality,
        diligence: body.diligence,
        discipline: body.discipline,
    };
    let result = state
        .sessions
        .rate(&principal, &session_id, body.seat, rating)
        .await?;
    Ok(HttpResponse::Created().json(result))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConnectQuery {
    /// The single-use ticket from `POST …/ticket`.
    pub(crate) ticket: String,
    /// The last event number the client has seen; events after it are replayed first.
    #[serde(default)]
    pub(crate) after: i64,
    /// The language of the connection's problem details, `zh` or `en`: a browser's websocket
    /// carries the browser's `Accept-Language`, not the one the reader chose in the console.
    #[serde(default)]
    pub(crate) lang: Option<String>,
}

/// The session's websocket (protocol in docs/PROTOCOL.md). Authenticated by the ticket; a
/// browser's Origin must be on `session.allowed_origins`.
#[utoipa::path(
    params(("session_id" = String, Path), ConnectQuery),
    responses((status = 101, description = "Switching to the websocket protocol"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
)]
#[get("/api/v1/sessions/{session_id}/ws")]
pub(crate) async fn connect(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    session_id: web::Path<String>,
    query: web::Query<ConnectQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    // Only the configured list counts. The Host header says which name the client used, not
    // who wrote the page: a server's own console is listed like any other.
    if let Some(origin) = request.headers().get("origin") {
        let allowed = origin.to_str().is_ok_and(|origin| {
            state
                .sessions
                .settings()
                .allowed_origins
                .iter()
                .any(|a| a == origin)
        });
        if !allowed {
            return Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "origin-not-allowed",
                "Forbidden",
                "this page's origin may not open session websockets",
            )
            .into());
        }
    }
    if query.after < 0 {
        return Err(ApiError::bad_request("after", "must not be negative").into());
    }
    let language = match query.lang.as_deref() {
        None => crate::web::language::current(),
        Some("zh") => Language::Chinese,
        Some("en") => Language::English,
        Some(_) => return Err(ApiError::bad_request("lang", "must be zh or en").into()),
    };
    // Frames are refused by their declared length before their payload is buffered
    // (session::frame_limit explains why actix-ws's own limit is not enough).
    let limited = FrameLimit::new(
        payload.into_inner(),
        state.sessions.settings().max_frame_bytes,
    );
    let payload = web::Payload::from_request(
        &request,
        &mut actix_web::dev::Payload::Stream {
            payload: Box::pin(limited),
        },
    )
    .await?;
    // The handshake is checked before the ticket is spent, so a failed upgrade costs none.
    let (response, socket, stream) = actix_ws::handle(&request, payload)?;
    let (member, slot) = state
        .sessions
        .redeem(&session_id, &query.ticket)
        .await
        .map_err(ApiError::from)?;
    let sessions = state.sessions.clone();
    let after = query.after;
    actix_web::rt::spawn(async move {
        crate::session::connection::run(sessions, member, after, language, socket, stream).await;
        // The account's slot is free once the connection has ended.
        drop(slot);
    });
    Ok(response)
}
