//! Building and running the application: `Application::build(settings, clock, rng)` binds the
//! listener (port 0 in tests) and `run_until_stopped` serves until SIGTERM/SIGINT or a stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_service::{IntoServiceFactory as _, ServiceFactory, ServiceFactoryExt as _, map_config};
use actix_web::dev::{Server, ServerHandle, fn_service};
use actix_web::{App, web};
use anyhow::Context;
use secrecy::SecretString;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use zeroize::Zeroizing;

use crate::audit::AuditLog;
use crate::audit::witness::WitnessPool;
use crate::auth::{AuthService, NewAccountRequest, Role, totp};
use crate::clock::SharedClock;
use crate::config::{Profile, ServerSettings, Settings};
use crate::crypto::{KeyInventory, KeyRing, Rng, Suite};
use crate::deps::Deps;
use crate::draw::service::DrawService;
use crate::http::secured_stream::SecuredStream;
use crate::http::{self, AppState, PeerCertificate};
use crate::notify::NotifyService;
use crate::notify::invitations::{InvitationPolicy, InvitationService, Inviter};
use crate::pool::PoolService;
use crate::publication::PublicationService;
use crate::session::{Hub, SessionService};
use crate::store::{ConnectOptions, Store};
use crate::tls::{self, TlsOptions};
use crate::venue::VenueService;
use crate::web::RequestDeadline;

pub struct Application {
    address: SocketAddr,
    metrics_address: Option<SocketAddr>,
    server: Server,
    metrics: Option<Server>,
    state: web::Data<AppState>,
    /// The handles the services were built from: the store is closed at the stop, and
    /// in-process callers (tests, benchmarks) reach below the services through them.
    deps: Deps,
    bootstrap: Option<BootstrapAdmin>,
    checkpoint_interval: Duration,
    notify_interval: Duration,
    session_poll: Duration,
}

/// The one-time admin credential the dev profile creates on an empty database. No `Debug`.
pub(crate) struct BootstrapAdmin {
    pub username: String,
    pub password: Zeroizing<String>,
    pub totp_secret: Zeroizing<Vec<u8>>,
}

/// The size of the synthetic pool the dev profile seeds into an empty database.
pub(crate) const DEMO_POOL_SIZE: usize = 12_000;

/// Where the dev profile keeps generated certificates.
pub(crate) const DEV_CERT_DIR: &str = "certs/dev";

impl Application {
    /// Builds the application listening on `server.address`.
    pub async fn build(settings: Settings, clock: SharedClock, rng: Rng) -> anyhow::Result<Self> {
        Self::build_listening(settings, None, clock, rng).await
    }

    /// The same on a listener bound beforehand, for a caller whose settings depend on the port
    /// (the tests list their console's origin, which includes it, in
    /// `session.allowed_origins`).
    pub async fn build_on(
        settings: Settings,
        listener: std::net::TcpListener,
        clock: SharedClock,
        rng: Rng,
    ) -> anyhow::Result<Self> {
        Self::build_listening(settings, Some(listener), clock, rng).await
    }

    async fn build_listening(
        mut settings: Settings,
        listener: Option<std::net::TcpListener>,
        clock: SharedClock,
        rng: Rng,
    ) -> anyhow::Result<Self> {
        if settings.profile == Profile::Dev {
            prepare_dev_profile(&settings, &rng, &clock)?;
            // The dev profile's console is the one it serves; production names its console's
            // origin in the settings like any other.
            let own = dev_console_origins(&settings.server.address);
            settings.session.allowed_origins.extend(own);
        }
        settings.validate()?;
        let deps = Deps {
            store: connect_store(&settings).await?,
            clock,
            rng,
            keys: Arc::new(load_keys(&settings)?),
        };
        let auth = AuthService::new(&deps, settings.auth.clone())?;
        let audit = Arc::new(
            AuditLog::new(
                deps.store.clone(),
                deps.clock.clone(),
                &deps.keys,
                &settings.audit.origin,
            )?
            .with_witnesses(WitnessPool::from_settings(&settings.audit)?)
            .with_checkpoint_copy(settings.checkpoint_copy())
            .requiring_sync_standby(settings.audit.require_sync_standby),
        );

        let bootstrap = if settings.profile == Profile::Dev {
            bootstrap_admin(&deps, &auth).await?
        } else {
            None
        };

        let (cert, key) = settings
            .certificate_paths()
            .context("tls.cert and tls.key are required")?;
        let tls_config = tls::server_config(&TlsOptions {
            cert: &cert,
            key: &key,
            tls13_only: settings.tls.tls13_only,
            client_ca: settings.tls.client_ca.as_deref(),
        })?;

        let pool = PoolService::new(&deps);
        pool.ensure_classification().await?;
        if settings.profile == Profile::Dev && pool.is_empty().await? {
            let started = std::time::Instant::now();
            let summary = pool.seed_demo(&deps.rng, DEMO_POOL_SIZE).await?;
            tracing::warn!(
                experts = summary.inserted,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "seeded a synthetic demo pool"
            );
        }
        let draws = draw_service(&deps, audit.clone(), &settings);
        // A draw completed by a contribution just before the last stop is executed now, before
        // anyone is served, rather than when its window closes.
        if let Err(error) = draws.execute_ready().await {
            tracing::error!(%error, "executing ready draws at start-up failed");
        }
        let invitations = Arc::new(InvitationService::new(
            &deps,
            draws.clone(),
            settings.notify.webhook_secret.clone(),
        ));
        let publications = Arc::new(PublicationService::new(&deps, draws.clone()));
        let conduct = Arc::new(
            crate::conduct::service::ConductService::new(
                &deps,
                draws.clone(),
                crate::conduct::CreditPolicy {
                    window: settings.session.credit_window,
                    minimum_ratings: settings.session.credit_minimum_ratings,
                    suspend_below: settings.session.credit_suspend_below,
                    suspension_days: settings.session.credit_suspension_days,
                },
            )
            .with_repair_policy(crate::conduct::RepairPolicy {
                below: settings.session.credit_repair_below,
                wait_days: settings.session.credit_repair_wait_days,
            }),
        );
        let notify = Arc::new(NotifyService::new(
            &deps,
            &settings.notify,
            &settings.data_dir,
        )?);
        let hub = Arc::new(Hub::new(
            deps.store.clone(),
            settings.session.outbound_queue,
            settings.session.outbound_queue_bytes,
        ));
        let certificate_authorities = Arc::new(member_certificate_authorities(&settings)?);
        let sessions = Arc::new(
            SessionService::new(&deps, draws.clone(), hub, settings.session.clone())
                .with_certificate_authorities(certificate_authorities.clone()),
        );
        let interruptions = Arc::new(crate::interruption::InterruptionService::new(
            &deps,
            draws.clone(),
            sessions.clone(),
            invitation_policy(&settings),
            settings.draw.latest_minutes_before,
        ));
        let analytics = Arc::new(crate::analytics::service::AnalyticsService::new(
            &deps,
            settings.analytics.clone(),
        ));
        let archives = Arc::new(crate::archive::service::ArchiveService::new(
            &deps,
            audit.clone(),
            draws.clone(),
            &settings.archive,
            &settings.signing_keys.trusted_cas,
            &settings.data_dir,
        ));
        let fees = Arc::new(crate::fees::service::FeesService::new(
            &deps,
            draws.clone(),
            fee_standard(&settings)?,
        ));
        fees.record_standard().await?;
        let state = web::Data::new(AppState {
            fees,
            admission: Arc::new(crate::admission::AdmissionService::new(
                &deps,
                crate::admission::exit::ExitRules {
                    age_limit_years: settings.draw.age_limit_years,
                    removal_credit_threshold: i32::try_from(settings.session.credit_remove_below)
                        // check-config and the start hold it to 0–100.
                        .unwrap_or(0),
                },
            )),
            analytics,
            archives,
            interruptions,
            auth,
            audit,
            pool,
            draws,
            invitations,
            publications,
            conduct,
            notify,
            sessions,
            signing_keys: Arc::new(
                crate::auth::signing_keys::SigningKeyService::new(&deps)
                    .with_certificate_authorities(certificate_authorities),
            ),
            venues: Arc::new(VenueService::new(&deps)),
            training: Arc::new(crate::pool::training::TrainingService::new(
                &deps,
                settings.pool.clone(),
            )),
            key_inventory: KeyInventory::new(deps.keys.clone()),
            max_body_bytes: settings.server.max_body_bytes,
            gateways: std::sync::Arc::new(
                settings
                    .tls
                    .gateways
                    .iter()
                    .filter_map(|hex_text| {
                        let mut fingerprint = [0u8; 32];
                        // Checked by `Settings::validate` before start-up gets here.
                        hex::decode_to_slice(hex_text, &mut fingerprint).ok()?;
                        Some(fingerprint)
                    })
                    .collect(),
            ),
            readiness: http::health::Readiness::new(deps.store.clone(), deps.clock.clone()),
        });
        let listeners = match listener {
            Some(listener) => vec![listener],
            None => bind(&settings.server.address)
                .await
                .with_context(|| format!("cannot listen on {}", settings.server.address))?,
        };
        let address = listeners[0].local_addr()?;
        let server = https_server(listeners, tls_config, state.clone(), &settings.server)?;

        let (metrics_address, metrics) = if settings.telemetry.metrics_address.is_empty() {
            (None, None)
        } else {
            let (bound, server) =
                crate::telemetry::metrics_server(&settings.telemetry.metrics_address)
                    .with_context(|| {
                        format!(
                            "cannot listen on {} for metrics",
                            settings.telemetry.metrics_address
                        )
                    })?;
            (Some(bound), Some(server))
        };
        tracing::info!(%address, profile = ?settings.profile, backend = ?deps.store.backend(), "listening");
        Ok(Self {
            address,
            metrics_address,
            server,
            metrics,
            state,
            deps,
            bootstrap,
            checkpoint_interval: Duration::from_secs(settings.audit.checkpoint_interval_secs),
            notify_interval: Duration::from_millis(settings.notify.poll_interval_ms),
            session_poll: Duration::from_millis(settings.session.poll_interval_ms),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_address
    }

    /// Stops the server gracefully (in-flight requests finish), as SIGTERM does.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The services, for in-process callers such as tests and benchmarks.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The handles below the services, for in-process callers such as tests and benchmarks.
    pub fn deps(&self) -> Deps {
        self.deps.clone()
    }

    pub(crate) fn take_bootstrap_admin(&mut self) -> Option<BootstrapAdmin> {
        self.bootstrap.take()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|server| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let (stop_background, stopped) = tokio::sync::watch::channel(false);
        let checkpointer = tokio::spawn(
            self.state
                .audit
                .clone()
                .run_checkpointer(self.checkpoint_interval, stopped.clone()),
        );
        let draw_executor = tokio::spawn(
            self.state
                .draws
                .clone()
                .run_executor(Duration::from_secs(1), stopped.clone()),
        );
        let session_listener = tokio::spawn(
            self.state
                .sessions
                .hub()
                .clone()
                .listen(self.session_poll, stopped.clone()),
        );
        let invitation_deadlines = tokio::spawn(
            self.state
                .invitations
                .clone()
                .run_deadlines(Duration::from_secs(1), stopped.clone()),
        );
        let signals = tokio::spawn(
            self.state
                .analytics
                .clone()
                .run_scheduled(Duration::from_secs(300), stopped.clone()),
        );
        // Hourly: the rules change a standing by the day, and a sweep changes nothing twice.
        let exit_rules = tokio::spawn(
            self.state
                .admission
                .clone()
                .run_exit_rules(Duration::from_secs(3600), stopped.clone()),
        );
        let notifier = tokio::spawn(
            self.state
                .notify
                .clone()
                .run_worker(self.notify_interval, stopped),
        );
        // actix handles SIGTERM and SIGINT: stop accepting, finish in-flight requests.
        let result = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        // Sign what the last requests appended before closing the store.
        let _ = stop_background.send(true);
        let _ = checkpointer.await;
        let _ = draw_executor.await;
        let _ = invitation_deadlines.await;
        let _ = session_listener.await;
        let _ = notifier.await;
        let _ = exit_rules.await;
        let _ = signals.await;
        if let Err(error) = self.state.audit.checkpoint_now().await {
            tracing::error!(%error, "could not sign the final audit checkpoint");
        }
        self.deps.store.close().await;
        tracing::info!("stopped");
        result
    }
}

async fn openapi_document(api: web::Data<utoipa::openapi::OpenApi>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(api.get_ref())
}

/// Listening sockets for every address `address` resolves to, as actix's `HttpServer::bind`
/// makes them (address reuse, a backlog of 1024).
async fn bind(address: &str) -> anyhow::Result<Vec<std::net::TcpListener>> {
    let mut listeners = Vec::new();
    for resolved in tokio::net::lookup_host(address).await? {
        let socket = if resolved.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(resolved)?;
        listeners.push(socket.listen(1024)?.into_std()?);
    }
    anyhow::ensure!(!listeners.is_empty(), "{address} resolves to no address");
    Ok(listeners)
}

type TlsStream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;

/// The HTTPS server, assembled as actix-web's `HttpServer::bind_rustls_0_23` does but with
/// [`SecuredStream`] between TLS and HTTP, so that the answers actix-http writes by itself
/// (408, 431, 400) carry the security headers too.
fn https_server(
    listeners: Vec<std::net::TcpListener>,
    tls_config: rustls::ServerConfig,
    state: web::Data<AppState>,
    server: &ServerSettings,
) -> anyhow::Result<Server> {
    let mut acceptor = actix_tls::accept::rustls_0_23::Acceptor::new(tls_config);
    acceptor.set_handshake_timeout(Duration::from_secs(server.client_header_timeout_secs));
    let header_timeout = Duration::from_secs(server.client_header_timeout_secs);
    let keep_alive = Duration::from_secs(server.keep_alive_secs);
    let max_body = server.max_body_bytes;
    let deadline = RequestDeadline(Duration::from_secs(server.request_timeout_secs));
    let mut builder = actix_server::Server::build()
        .max_concurrent_connections(server.max_connections)
        .shutdown_timeout(server.shutdown_timeout_secs);
    if server.workers > 0 {
        builder = builder.workers(server.workers);
    }
    for listener in listeners {
        let local = listener.local_addr()?;
        let (acceptor, state) = (acceptor.clone(), state.clone());
        builder = builder.listen("sealdraw-https", listener, move || {
            let app = map_config(
                application(state.clone(), max_body, deadline)
                    .into_factory()
                    .map_err(|error| error.error_response()),
                // `AppConfig::new` is private to actix-web; this is the constructor its own
                // test server uses, and the only one that says the connection is secure.
                move |_| actix_web::dev::AppConfig::__priv_test_new(true, local.to_string(), local),
            );
            let http = actix_http::HttpService::build()
                .keep_alive(keep_alive)
                .client_request_timeout(header_timeout)
                .client_disconnect_timeout(Duration::from_secs(2))
                .on_connect_ext(record_peer_certificate)
                .h1(app)
                .map_err(|_| ());
            acceptor
                .clone()
                // A failed or slow handshake ends that connection and nothing else.
                .map_err(|_| ())
                .and_then(fn_service(|stream: TlsStream| async move {
                    let peer = stream.get_ref().0.peer_addr().ok();
                    Ok::<_, ()>((SecuredStream::new(stream), peer))
                }))
                .and_then(http)
        })?;
    }
    Ok(builder.run())
}

/// The application: routes, their configuration and the middleware every request passes.
fn application(
    state: web::Data<AppState>,
    max_body: usize,
    deadline: RequestDeadline,
) -> App<
    impl ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(http::ApiDoc::openapi())
        .app_data(state)
        .app_data(deadline)
        .app_data(http::json_config(max_body))
        .app_data(web::PayloadConfig::new(max_body))
        .app_data(http::query_config())
        .configure(http::configure)
        .split_for_parts();
    let api = web::Data::new(api);
    app.app_data(api)
        .route("/openapi.json", web::get().to(openapi_document))
        .configure(crate::console::configure)
        .default_service(web::to(http::not_found))
        .wrap(actix_web::middleware::from_fn(http::head_as_get))
        .wrap(actix_web::middleware::from_fn(http::drain_unread_body))
        .wrap(actix_web::middleware::from_fn(
            crate::web::request_id::middleware,
        ))
        .wrap(crate::web::security_headers())
}

fn record_peer_certificate(
    stream: &SecuredStream<TlsStream>,
    extensions: &mut actix_web::dev::Extensions,
) {
    let (_, session) = stream.get_ref().get_ref();
    // rustls only reaches here after the chain verified against the client CA.
    if let Some(leaf) = session.peer_certificates().and_then(|chain| chain.first()) {
        extensions.insert(PeerCertificate(tls::certificate_fingerprint(leaf.as_ref())));
    }
}

/// How invitations are answered, from the deployment's settings: one reading for the server
/// and the command-line tools that build a draw service.
pub(crate) fn invitation_policy(settings: &Settings) -> InvitationPolicy {
    InvitationPolicy {
        answer_minutes: settings.notify.answer_deadline_minutes,
        hotline: settings.notify.hotline.clone(),
    }
}

/// The draw service as the deployment's settings make it, for the server and the
/// command-line tools alike.
pub(crate) fn draw_service(
    deps: &Deps,
    audit: Arc<AuditLog>,
    settings: &Settings,
) -> Arc<DrawService> {
    let inviter = Inviter::new(deps, invitation_policy(settings));
    Arc::new(
        DrawService::new(deps, audit, settings.draw.clone(), Arc::new(inviter))
            .with_required_training_hours(settings.pool.training.required_hours_per_year),
    )
}

pub(crate) fn load_keys(settings: &Settings) -> anyhow::Result<KeyRing> {
    let path = settings.key_file();
    KeyRing::load(&path).with_context(|| {
        format!(
            "cannot load keys from {} (create them with `sealdraw keys init`)",
            path.display()
        )
    })
}

/// The CAs members' certificates may come from (`signing_keys.trusted_cas`), every root and
/// CRL read now: a mistake in one stops the start (and `check-config`), not a member's
/// enrolment later.
pub fn member_certificate_authorities(
    settings: &Settings,
) -> anyhow::Result<crate::crypto::member_certificate::MemberCertificateAuthorities> {
    let sources: Vec<_> = settings
        .signing_keys
        .trusted_cas
        .iter()
        .map(|ca| crate::crypto::member_certificate::CaSource {
            name: &ca.name,
            root: &ca.root,
            crl: &ca.crl,
        })
        .collect();
    crate::crypto::member_certificate::MemberCertificateAuthorities::load(&sources)
        .map_err(anyhow::Error::msg)
}

/// The deployment's fee standard (`fees`), every problem with it named: a mistake stops the
/// start (and `check-config`), not a settlement later.
pub(crate) fn fee_standard(settings: &Settings) -> anyhow::Result<crate::fees::FeeStandard> {
    crate::fees::FeeStandard::parse(&settings.fees).map_err(|problems| {
        anyhow::anyhow!(
            "the fee standard is not valid:\n  - {}",
            problems.join("\n  - ")
        )
    })
}

/// Connects to the deployment's database, migrates it, and checks that it was made under the
/// key file's suite (recording it on the first start).
pub(crate) async fn connect_store(settings: &Settings) -> anyhow::Result<Store> {
    let suite = load_keys(settings)?.suite();
    let store = Store::connect(
        &settings.database_url(),
        &ConnectOptions {
            max_connections: settings.database.max_connections,
            acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
        },
        suite,
    )
    .await
    .context("cannot connect to the database")?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    check_suite(
        &store,
        suite,
        crate::clock::Clock::now_millis(&crate::clock::SystemClock),
    )
    .await?;
    Ok(store)
}

/// Refuses a key file of another suite than the database's: its log would append leaves of
/// one hash to a tree of the other, and every record it sealed would be unreadable to the
/// deployment's other instances.
pub(crate) async fn check_suite(store: &Store, suite: Suite, now: i64) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    let recorded = tx.record_deployment_suite(suite, now).await?;
    tx.commit().await?;
    match recorded {
        Some(recorded) if recorded != suite => anyhow::bail!(
            "the database was made for the {recorded} suite but the key file is {suite}; a \
             deployment's suite is chosen once, at `sealdraw keys init --suite`"
        ),
        _ => Ok(()),
    }
}

/// The dev profile makes what a newcomer lacks: certificates and a key file. It never replaces
/// a key file; certificates it renews when they near their end or would fail a strict client.
fn prepare_dev_profile(settings: &Settings, rng: &Rng, clock: &SharedClock) -> anyhow::Result<()> {
    if settings.tls.cert.is_none() {
        let (_, renewal) =
            tls::dev::ensure(Path::new(DEV_CERT_DIR), &["dev-center"], clock.now_millis())
                .map_err(anyhow::Error::msg)?;
        match renewal {
            tls::dev::Renewal::Kept => {}
            tls::dev::Renewal::Leaves => tracing::warn!(
                dir = DEV_CERT_DIR,
                "renewed the development server and client certificates under the same CA"
            ),
            tls::dev::Renewal::All => tracing::warn!(
                dir = DEV_CERT_DIR,
                "generated a development CA and certificates; trust the new ca.pem"
            ),
        }
    }
    let key_file = settings.key_file();
    if !key_file.exists() {
        KeyRing::init_file(
            &key_file,
            rng,
            &crate::clock::to_rfc3339(clock.now_millis()),
            Suite::Intl2024,
        )?;
        tracing::warn!(file = %key_file.display(), "generated development keys");
    }
    Ok(())
}

/// The origins of the console the dev profile serves at `address`, as a browser on this
/// machine names them (none for port 0, which is known only once bound).
fn dev_console_origins(address: &str) -> Vec<String> {
    let Ok(address) = address.parse::<SocketAddr>() else {
        return Vec::new();
    };
    if address.port() == 0 {
        return Vec::new();
    }
    let mut hosts = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => vec!["127.0.0.1".to_owned()],
        ip if ip.is_unspecified() => vec!["[::1]".to_owned()],
        std::net::IpAddr::V4(ip) => vec![ip.to_string()],
        std::net::IpAddr::V6(ip) => vec![format!("[{ip}]")],
    };
    if address.ip().is_loopback() || address.ip().is_unspecified() {
        hosts.push("localhost".into());
    }
    hosts
        .iter()
        .filter_map(|host| reqwest::Url::parse(&format!("https://{host}:{}", address.port())).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect()
}

async fn bootstrap_admin(
    deps: &Deps,
    auth: &AuthService,
) -> anyhow::Result<Option<BootstrapAdmin>> {
    let rng = &deps.rng;
    let mut tx = deps.store.read().await?;
    let admins = tx.count_accounts_with_role(Role::Admin).await?;
    tx.rollback().await?;
    if admins > 0 {
        return Ok(None);
    }
    use base64::Engine;
    let password = loop {
        let candidate = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rng.bytes::<18>()?),
        );
        // The password rules hold for this one too; about one in a million contains "admin".
        if crate::auth::password::check_new_password(&candidate, "admin").is_ok() {
            break candidate;
        }
    };
    let created = auth
        .create_account(
            NewAccountRequest {
                username: "admin".into(),
                role: Role::Admin,
                password: SecretString::from(password.as_str()),
                center_name: None,
                region_code: None,
                scope: None,
                display_name: None,
            },
            crate::audit::Actor::System,
        )
        .await?;
    Ok(Some(BootstrapAdmin {
        username: "admin".into(),
        password,
        totp_secret: created
            .totp_secret
            .context("admin accounts always get a TOTP secret")?,
    }))
}

/// What the dev profile prints once: where to connect and how to log in.
pub(crate) fn print_dev_banner(address: SocketAddr, bootstrap: Option<&BootstrapAdmin>) {
    println!();
    println!("sealdraw is running with the DEVELOPMENT profile (never use it for real data).");
    println!("  URL:      https://{address}");
    println!("  Trust CA: {DEV_CERT_DIR}/ca.pem");
    println!("  Try:      curl --cacert {DEV_CERT_DIR}/ca.pem https://{address}/healthz");
    if let Some(admin) = bootstrap {
        println!("  Bootstrap admin (shown once; store it now):");
        println!("    username:    {}", admin.username);
        println!("    password:    {}", admin.password.as_str());
        println!(
            "    TOTP secret: {}",
            totp::base32_secret(&admin.totp_secret).as_str()
        );
        if let Some(uri) =
            totp::provisioning_uri(&admin.totp_secret, "sealdraw-dev", &admin.username)
        {
            println!("    TOTP URI:    {}", uri.as_str());
        }
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_console_is_allowed_under_the_names_a_local_browser_uses() {
        assert_eq!(
            dev_console_origins("127.0.0.1:8443"),
            ["https://127.0.0.1:8443", "https://localhost:8443"]
        );
        assert_eq!(
            dev_console_origins("0.0.0.0:443"),
            ["https://127.0.0.1", "https://localhost"]
        );
        assert_eq!(
            dev_console_origins("[::1]:8443"),
            ["https://[::1]:8443", "https://localhost:8443"]
        );
        assert_eq!(
            dev_console_origins("192.0.2.7:8443"),
            ["https://192.0.2.7:8443"]
        );
        assert!(dev_console_origins("127.0.0.1:0").is_empty());
        assert!(dev_console_origins("sealdraw.example:8443").is_empty());
    }
}
