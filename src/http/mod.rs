//! The HTTPS surface: routes by resource, how domain errors become problems, the request
//! body's limits and the OpenAPI document. What every HTTPS server of ours shares (security
//! headers, request ids and deadlines, the problem type) is in [`crate::web`].
//!
//! Every route is registered through `utoipa_actix_web` with `.service()` of a handler that
//! carries `#[utoipa::path]`, so the OpenAPI document is generated from the same registration
//! and cannot miss a route.

pub(crate) mod accounts;
pub(crate) mod alerts;
pub(crate) mod analytics;
pub(crate) mod applications;
pub(crate) mod archives;
pub(crate) mod audit;
pub(crate) mod change_requests;
pub(crate) mod conduct;
pub(crate) mod credit;
pub(crate) mod draws;
pub(crate) mod experts;
pub(crate) mod extract;
pub(crate) mod fees;
pub(crate) mod health;
pub(crate) mod interruptions;
pub mod invitations;
pub mod keys;
pub(crate) mod login;
pub(crate) mod own_record;
pub(crate) mod problem;
pub(crate) mod secured_stream;
pub(crate) mod sessions;
pub(crate) mod signing_keys;
pub(crate) mod training;
pub(crate) mod unseal;
pub(crate) mod venues;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, web};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

pub(crate) use extract::PeerCertificate;
pub(crate) use problem::ApiError;

use crate::audit::AuditLog;
use crate::auth::AuthService;
use crate::crypto::KeyInventory;
use crate::draw::service::DrawService;
use crate::notify::NotifyService;
use crate::notify::invitations::InvitationService;
use crate::pool::PoolService;

/// Shared by every worker: the services, never the raw store or key ring, so that a handler
/// reaches data only through a domain service. Holds handles, never global state.
pub struct AppState {
    pub auth: AuthService,
    pub audit: Arc<AuditLog>,
    pub(crate) pool: PoolService,
    /// Applications to join the pool and recruiting calls.
    pub(crate) admission: Arc<crate::admission::AdmissionService>,
    pub draws: Arc<DrawService>,
    pub invitations: Arc<InvitationService>,
    pub(crate) publications: Arc<crate::publication::PublicationService>,
    pub(crate) conduct: Arc<crate::conduct::service::ConductService>,
    pub(crate) interruptions: Arc<crate::interruption::InterruptionService>,
    pub(crate) analytics: Arc<crate::analytics::service::AnalyticsService>,
    /// Evaluation archive packages (docs/ARCHIVE.md).
    pub(crate) archives: Arc<crate::archive::service::ArchiveService>,
    pub notify: Arc<NotifyService>,
    pub(crate) sessions: Arc<crate::session::SessionService>,
    /// Experts' fee standard and settlements (docs/FEES.md).
    pub(crate) fees: Arc<crate::fees::service::FeesService>,
    /// Committee members' keys for signing evaluation reports.
    pub(crate) signing_keys: Arc<crate::auth::signing_keys::SigningKeyService>,
    /// The integration tests reach `consent_outstanding` and `cancel`, which no route offers.
    pub venues: Arc<crate::venue::VenueService>,
    /// Training records and the annual assessment (docs/POOL.md).
    pub(crate) training: Arc<crate::pool::training::TrainingService>,
    /// Which keys are in force, by id (`GET /api/v1/keys`).
    pub(crate) key_inventory: KeyInventory,
    pub max_body_bytes: usize,
    /// The TLCP gateways' client-certificate fingerprints (`tls.gateways`).
    pub(crate) gateways: std::sync::Arc<Vec<[u8; 32]>>,
    pub(crate) readiness: health::Readiness,
}

impl AppState {
    /// A synthetic history of `years` × `draws_per_year` draws (with the planted patterns when
    /// `planted`) written into the server's database, the same choices on every run, and its
    /// summary as JSON (what was planted, by pool id): for the signals' integration tests.
    /// Never on a real installation.
    pub async fn write_synthetic_history(
        &self,
        years: u32,
        draws_per_year: u32,
        planted: bool,
    ) -> Result<serde_json::Value, String> {
        let plan = crate::analytics::synthetic::HistoryPlan {
            years,
            draws_per_year,
            planted,
            seed: Some(b"sealdraw synthetic history".to_vec()),
            ..Default::default()
        };
        let summary = self
            .analytics
            .write_history(&plan)
            .await
            .map_err(|error| error.to_string())?;
        serde_json::to_value(summary).map_err(|error| error.to_string())
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sealdraw",
        description = "Secure expert draw and remote evaluation coordination. Errors are RFC 9457 \
                       problem+json bodies carrying a request id.",
    ),
    components(schemas(problem::Problem)),
    modifiers(&BearerScheme),
)]
pub(crate) struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Registers every route.
pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(login::login)
        .service(login::logout)
        .service(login::me)
        .service(accounts::list)
        .service(accounts::directory)
        .service(accounts::create)
        .service(accounts::disable)
        .service(accounts::enable)
        .service(accounts::revoke_tokens)
        .service(accounts::set_scope)
        .service(accounts::set_contact)
        .service(accounts::reissue_activation)
        .service(accounts::update)
        .service(signing_keys::enrol)
        .service(signing_keys::own)
        .service(signing_keys::unrevoked)
        .service(signing_keys::approve)
        .service(signing_keys::revoke)
        .service(conduct::draw_ratings)
        .service(conduct::rate_draw_seat)
        .service(conduct::own_ratings)
        .service(conduct::appeal)
        .service(conduct::appeals)
        .service(conduct::decide)
        .service(credit::own_credit_file)
        .service(credit::expert_credit_file)
        .service(credit::request_repair)
        .service(credit::repairs)
        .service(credit::grant_repair)
        .service(credit::refuse_repair)
        .service(experts::industries)
        .service(audit::latest_checkpoint)
        .service(audit::sign_checkpoint_now)
        .service(audit::key)
        .service(audit::entry_by_index)
        .service(audit::proof_file)
        .service(audit::consistency_proof)
        .service(audit::tile)
        .service(experts::import_experts)
        .service(experts::list_experts)
        .service(experts::expert)
        .service(experts::statistics)
        .service(experts::specialty_classification)
        .service(experts::regions)
        .service(keys::status)
        .service(experts::set_status)
        .service(unseal::create)
        .service(unseal::list)
        .service(unseal::approve)
        .service(unseal::refuse)
        .service(unseal::read)
        .service(own_record::issue_login)
        .service(own_record::activate)
        .service(own_record::own_record)
        .service(own_record::update_own_record)
        .service(change_requests::create)
        .service(change_requests::withdraw)
        .service(change_requests::list)
        .service(change_requests::open)
        .service(change_requests::approve)
        .service(change_requests::refuse)
        .service(applications::submit)
        .service(applications::list)
        .service(applications::follow)
        .service(applications::supplement)
        .service(applications::withdraw)
        .service(applications::open)
        .service(applications::approve)
        .service(applications::request_more)
        .service(applications::refuse)
        .service(applications::publish_call)
        .service(applications::calls)
        .service(applications::close_call)
        .service(applications::request_renewal)
        .service(applications::renewals)
        .service(applications::approve_renewal)
        .service(applications::refuse_renewal)
        .service(experts::record_penalty)
        .service(training::record)
        .service(training::of_expert)
        .service(training::void)
        .service(training::own)
        .service(training::compute)
        .service(training::results)
        .service(training::adjust)
        .service(training::confirm)
        .service(draws::create)
        .service(draws::list)
        .service(draws::show)
        .service(draws::contribute)
        .service(draws::replace)
        .service(draws::record)
        .service(draws::recheck)
        .service(draws::frequency_report)
        .service(invitations::mine)
        .service(invitations::answer)
        .service(invitations::gateway_answer)
        .service(invitations::request_publication)
        .service(invitations::publications)
        .service(invitations::approve_publication)
        .service(invitations::committee)
        .service(sessions::create)
        .service(sessions::list)
        .service(sessions::show)
        .service(sessions::contribute)
        .service(sessions::name_representative)
        .service(analytics::remote_share)
        .service(analytics::remote_share_projects)
        .service(analytics::supply)
        .service(alerts::rules)
        .service(alerts::create_rule)
        .service(alerts::retire_rule)
        .service(alerts::run_signals)
        .service(alerts::alerts)
        .service(alerts::alert)
        .service(alerts::open_case)
        .service(alerts::add_note)
        .service(alerts::request_unseal)
        .service(alerts::close_case)
        .service(interruptions::request)
        .service(interruptions::of_draw)
        .service(interruptions::for_supervisor)
        .service(interruptions::decide)
        .service(sessions::ticket)
        .service(sessions::report)
        .service(sessions::rate)
        .service(sessions::connect)
        .service(fees::standards)
        .service(fees::settle)
        .service(fees::of_session)
        .service(fees::approve)
        .service(fees::export_csv)
        .service(fees::add_travel)
        .service(fees::own)
        .service(archives::export)
        .service(archives::named_report)
        .service(archives::list)
        .service(archives::remove)
        .service(venues::list)
        .service(venues::show)
        .service(venues::create)
        .service(venues::update)
        .service(venues::requests)
        .service(venues::accept)
        .service(venues::refuse);
}

/// HEAD is answered as GET would be, without the body (RFC 9110 §9.3.2): routes are registered
/// for GET, so a HEAD request is routed as one. actix-http's codec remembers that the request
/// was HEAD and writes the answer's head alone, with the length the body would have.
pub(crate) async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.method() == actix_web::http::Method::HEAD {
        request.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(request).await
}

/// How much of an unread request body is read and discarded, as a multiple of the body limit.
pub(crate) const DRAIN_FACTOR: usize = 4;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A request answered without its whole body being read (refused before the body was needed,
/// too large, or sent to a route that takes none): actix would then close the connection with
/// the rest of the body unread, without saying so. The kernel resets such a connection, so a
/// client still sending may never see the answer (a 413 arrives as a broken pipe), and a
/// client that reuses the connection fails its next request. So the rest of the body is read
/// and discarded before answering, within a bound; past it, the answer says
/// `Connection: close`.
pub(crate) async fn drain_unread_body(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // A websocket upgrade's "body" is the socket itself, for the connection to read.
    if request.head().upgrade() {
        return next.call(request).await;
    }
    let payload = request.take_payload();
    if matches!(payload, Payload::None) {
        return next.call(request).await;
    }
    let bound = request
        .app_data::<web::Data<AppState>>()
        .map_or(0, |state| state.max_body_bytes.saturating_mul(DRAIN_FACTOR));
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    let body = Rc::new(RefCell::new(SharedBody {
        payload,
        state: BodyState::Reading,
    }));
    let handler_side = body.clone();
    let stream: BodyStream = Box::pin(futures_util::stream::poll_fn(move |cx| {
        handler_side.borrow_mut().poll_chunk(cx)
    }));
    request.set_payload(Payload::from(stream));

    let mut response = next.call(request).await?;
    let drained = declared.is_none_or(|length| length <= bound)
        && tokio::time::timeout(DRAIN_TIMEOUT, drain(&body, bound))
            .await
            .unwrap_or(false);
    if !drained {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

type BodyStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>>,
>;

/// The request body, shared by the handler (which may read some or all of it) and the drain.
struct SharedBody {
    payload: Payload,
    state: BodyState,
}

#[derive(PartialEq)]
enum BodyState {
    Reading,
    Ended,
    Failed,
}

impl SharedBody {
    fn poll_chunk(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, actix_web::error::PayloadError>>> {
        use futures_util::StreamExt as _;
        if self.state != BodyState::Reading {
            return Poll::Ready(None);
        }
        let chunk = self.payload.poll_next_unpin(cx);
        match &chunk {
            Poll::Ready(None) => self.state = BodyState::Ended,
            Poll::Ready(Some(Err(_))) => self.state = BodyState::Failed,
            _ => {}
        }
        chunk
    }
}

/// Reads what is left of the body, at most `bound` bytes; true if it ended cleanly.
async fn drain(body: &RefCell<SharedBody>, bound: usize) -> bool {
    let mut left = bound;
    loop {
        match futures_util::future::poll_fn(|cx| body.borrow_mut().poll_chunk(cx)).await {
            None => return body.borrow().state == BodyState::Ended,
            Some(Ok(chunk)) if chunk.len() <= left => left -= chunk.len(),
            Some(_) => return false,
        }
    }
}

/// JSON bodies: size limit, and parse errors reported as problems naming what is wrong.
pub(crate) fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|error, _request| problem::json_error(error).into())
}

/// Query strings: a refusal is a problem naming what was wrong, like bodies.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _request| {
        let detail = match &error {
            actix_web::error::QueryPayloadError::Deserialize(e) => e.to_string(),
            _ => "the query string could not be read".to_owned(),
        };
        ApiError::bad_request("query", detail).into()
    })
}

pub(crate) async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("no such resource"))
}
