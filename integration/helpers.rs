//! `spawn_app()` and typed helpers for the endpoints.
#![allow(
    dead_code,
    reason = "shared by every test module; each uses a different subset"
)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;

use sealdraw::auth::{NewAccountRequest, Role, totp};
use sealdraw::clock::{Clock, ManualClock};
use sealdraw::config::{Profile, Settings};
use sealdraw::crypto::{KeyRing, Rng};
use sealdraw::startup::Application;
use sealdraw::tls::dev::{self, DevCertificates};

pub const PASSWORD: &str = "correct horse battery staple";

/// Everything the server logged in this test process, for checking that no secret leaks.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

/// Installs the capturing log subscriber, for tests that start servers other than the app.
pub fn init_logs() {
    log_buffer();
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        sealdraw::telemetry::init_logging(
            "debug,sqlx=warn,rustls=info,actix_server=warn",
            "json",
            move || LogWriter(writer.clone()),
        );
        buffer
    })
}

/// Keeps the server's logs for `captured_logs`. Set `SEALDRAW_TEST_LOGS` (to anything) to also
/// copy them to stderr, where the test runner shows them for a failing test.
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        if std::env::var_os("SEALDRAW_TEST_LOGS").is_some() {
            std::io::stderr().write_all(data).ok();
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub metrics_address: Option<std::net::SocketAddr>,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub certs: DevCertificates,
    /// Certificates from a CA the server does not trust.
    pub foreign_certs: DevCertificates,
    pub settings: Settings,
    pub state: ServerState,
    pub handle: actix_web::dev::ServerHandle,
    pub database_url: String,
    pub dir: TempDir,
    /// The server's `run_until_stopped`, to wait for a complete stop.
    pub running: tokio::task::JoinHandle<std::io::Result<()>>,
    _cpu: CpuShare,
    /// Last, so that the server's state is gone when the module is finalised.
    _module_use: ModuleUse,
}

/// Counts the apps of this process alive; when the last one goes, the PKCS#11 libraries the
/// process loaded are finalised before the process exits (`crypto::module::finalize_all`).
pub struct ModuleUse(());

static APPS_ALIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl ModuleUse {
    fn new() -> Self {
        APPS_ALIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(())
    }
}

impl Drop for ModuleUse {
    fn drop(&mut self) {
        if APPS_ALIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            sealdraw::crypto::module::finalize_all();
        }
    }
}

/// Tests that measure time run alone in this process: every other test holds the CPU lock
/// shared while its app lives. (So a test must not spawn a second app while it holds one.)
enum CpuShare {
    Shared(tokio::sync::OwnedRwLockReadGuard<()>),
    Exclusive(tokio::sync::OwnedRwLockWriteGuard<()>),
}

async fn cpu_share(exclusive: bool) -> CpuShare {
    static LOCK: OnceLock<Arc<tokio::sync::RwLock<()>>> = OnceLock::new();
    let lock = LOCK.get_or_init(Default::default).clone();
    if exclusive {
        CpuShare::Exclusive(lock.write_owned().await)
    } else {
        CpuShare::Shared(lock.read_owned().await)
    }
}

pub struct TestOptions {
    pub mutual_tls: bool,
    pub tls13_only: bool,
    /// Run while no other test of this process runs (for timing measurements).
    pub measures_time: bool,
    /// Hold the server's keys in a SoftHSM2 token whatever `SEALDRAW_TEST_KEYS` says.
    pub keys_in_module: bool,
    /// A database made elsewhere (a drill's own PostgreSQL cluster) instead of a fresh one.
    pub database_url: Option<String>,
    pub customise: Box<dyn FnOnce(&mut Settings)>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            mutual_tls: false,
            tls13_only: false,
            measures_time: false,
            keys_in_module: false,
            database_url: None,
            customise: Box::new(|_| {}),
        }
    }
}

/// The cipher suite every spawned server runs under: `SEALDRAW_TEST_SUITE=gm` runs the whole
/// suite against national-suite deployments (the test command runs it both ways). Tests that
/// recompute what the server hashed use this suite; fixed published vectors name theirs.
pub fn suite() -> sealdraw::crypto::Suite {
    match std::env::var("SEALDRAW_TEST_SUITE").as_deref() {
        Err(_) | Ok("") | Ok("intl") | Ok("intl2024") => sealdraw::crypto::Suite::Intl2024,
        Ok("gm") | Ok("gm2024") => sealdraw::crypto::Suite::Gm2024,
        Ok(other) => panic!("SEALDRAW_TEST_SUITE={other:?} is not intl or gm"),
    }
}

/// Whether spawned servers hold their keys in a PKCS#11 module: `SEALDRAW_TEST_KEYS=pkcs11`
/// runs the whole suite so (the test command does it once, on SoftHSM2).
pub fn keys_in_module_by_default() -> bool {
    match std::env::var("SEALDRAW_TEST_KEYS").as_deref() {
        Err(_) | Ok("") | Ok("file") => false,
        Ok("pkcs11") => true,
        Ok(other) => panic!("SEALDRAW_TEST_KEYS={other:?} is not file or pkcs11"),
    }
}

/// Makes a server's keys: in a key file, or in this process's SoftHSM2 token.
pub fn init_test_keys(key_file: &std::path::Path, rng: &Rng, in_module: bool) {
    if in_module || keys_in_module_by_default() {
        KeyRing::init_module_file(
            key_file,
            rng,
            "2026-11-25T00:00:00Z",
            sealdraw::crypto::Suite::Intl2024,
            &softhsm_token().config,
        )
        .unwrap();
    } else {
        KeyRing::init_file(key_file, rng, "2026-11-25T00:00:00Z", suite()).unwrap();
    }
}

/// A SoftHSM2 token of this test process (nextest runs each test in its own process), made
/// with Debian's `softhsm2-util` in the token directory of `SOFTHSM2_CONF` (the test command
/// points it at a temporary directory) or of SoftHSM2's own configuration.
pub struct SoftHsmToken {
    pub config: sealdraw::crypto::module::ModuleConfig,
    pub so_pin: String,
    _dir: tempfile::TempDir,
}

pub const SOFTHSM_LIBRARY: &str = "/usr/lib/softhsm/libsofthsm2.so";

pub fn softhsm_token() -> &'static SoftHsmToken {
    static TOKEN: std::sync::OnceLock<SoftHsmToken> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let label = format!(
            "sealdraw-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        // A throwaway token's PINs: fixtures, not secrets.
        let pin = "sealdraw-test-user".to_owned();
        let so_pin = "sealdraw-test-so".to_owned();
        // `softhsm2-util --init-token` reads every token's info first and fails on one that
        // another test process is making at that moment: test processes make theirs in turn.
        // It also fails on a token whose object file a running server is rewriting (making
        // its keys), which no lock of ours covers: then it is asked again.
        let lock =
            std::fs::File::create(std::env::temp_dir().join("sealdraw-softhsm-init.lock")).unwrap();
        lock.lock().unwrap();
        let init = || {
            std::process::Command::new("softhsm2-util")
                .args(["--init-token", "--free", "--label", &label, "--pin", &pin])
                .args(["--so-pin", &so_pin])
                .output()
                .expect(
                    "softhsm2-util runs (Debian package softhsm2; the test command installs it)",
                )
        };
        let mut made = init();
        for _ in 0..10 {
            if made.status.success() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            made = init();
        }
        drop(lock);
        assert!(
            made.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let pin_file = dir.path().join("pin");
        std::fs::write(&pin_file, &pin).unwrap();
        SoftHsmToken {
            config: sealdraw::crypto::module::ModuleConfig {
                library: SOFTHSM_LIBRARY.into(),
                token: label,
                pin_file,
            },
            so_pin,
            _dir: dir,
        }
    })
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let cpu = cpu_share(options.measures_time).await;
    log_buffer();
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let certs = dev::generate(&dir.path().join("certs"), &["center-a", "center-b"], now).unwrap();
    let foreign_certs = dev::generate(&dir.path().join("foreign"), &["intruder"], now).unwrap();
    let key_file = dir.path().join("keys.json");
    let rng = Rng::danger_deterministic(dir.path().to_string_lossy().as_bytes());
    init_test_keys(&key_file, &rng, options.keys_in_module);

    let database_url = match options.database_url {
        Some(url) => url,
        None => fresh_database_url(&dir).await,
    };
    let mut settings = Settings {
        profile: Profile::Production,
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    settings.server.address = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.telemetry.metrics_address = "127.0.0.1:0".into();
    settings.tls.cert = Some(certs.server_cert());
    settings.tls.key = Some(certs.server_key());
    settings.tls.tls13_only = options.tls13_only;
    settings.tls.client_ca = options.mutual_tls.then(|| certs.ca());
    settings.keys.file = Some(key_file);
    settings.database.url = Some(SecretString::from(database_url.clone()));
    // Bound first, so that the console it serves can be listed (as a deployment lists its
    // console's origin); a test may replace the list.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    settings.session.allowed_origins = console_origins(port).to_vec();
    (options.customise)(&mut settings);

    let clock = ManualClock::starting_at(now);
    let Server {
        port,
        state,
        handle,
        metrics_address,
        running,
    } = Server::start(&settings, listener, &clock, rng).await;

    let client = client_builder(&certs, None).build().unwrap();
    TestApp {
        address: format!("https://localhost:{port}"),
        port,
        metrics_address,
        client,
        clock,
        certs,
        foreign_certs,
        settings,
        state,
        handle,
        database_url,
        dir,
        running,
        _cpu: cpu,
        _module_use: ModuleUse::new(),
    }
}

/// A server started on `listener`: what a [`TestApp`] keeps of it.
struct Server {
    port: u16,
    state: ServerState,
    handle: actix_web::dev::ServerHandle,
    metrics_address: Option<std::net::SocketAddr>,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(
        settings: &Settings,
        listener: std::net::TcpListener,
        clock: &ManualClock,
        rng: Rng,
    ) -> Self {
        let application =
            Application::build_on(settings.clone(), listener, Arc::new(clock.clone()), rng)
                .await
                .unwrap();
        Self {
            port: application.port(),
            state: ServerState::of(&application),
            handle: application.handle(),
            metrics_address: application.metrics_address(),
            running: tokio::spawn(application.run_until_stopped()),
        }
    }
}

/// The origins under which a browser reaches the console of the test server on `port`.
pub fn console_origins(port: u16) -> [String; 2] {
    [
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
    ]
}

impl TestApp {
    /// Where the server keeps its newest signed checkpoint outside the database
    /// (`<data_dir>/audit/latest-checkpoint`); a test removes it to stand for a machine
    /// rebuilt from a database backup alone.
    pub fn checkpoint_copy(&self) -> PathBuf {
        self.dir.path().join("audit").join("latest-checkpoint")
    }

    /// Stops this server as SIGTERM does (background work in flight is dropped, as in a crash
    /// of that task) and waits until it has closed its store, then starts a new server on the
    /// same database, key file, certificates and clock: a restart. `customise` adjusts the
    /// settings of the new server.
    pub async fn restart(self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        self.handle.stop(false).await;
        self.running.await.unwrap().unwrap();
        let mut settings = self.settings.clone();
        // The new server listens on a new port: its console's origins replace the old ones.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let new_port = listener.local_addr().unwrap().port();
        let old_origins = console_origins(self.port);
        let listed = settings.session.allowed_origins.len();
        settings
            .session
            .allowed_origins
            .retain(|origin| !old_origins.contains(origin));
        if settings.session.allowed_origins.len() < listed {
            settings
                .session
                .allowed_origins
                .extend(console_origins(new_port));
        }
        customise(&mut settings);
        // A fresh seed: replaying the first server's randomness would reuse sealing nonces.
        static RESTARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let restart = RESTARTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let rng = Rng::danger_deterministic(
            format!("{} restart {restart}", self.dir.path().display()).as_bytes(),
        );
        let server = Server::start(&settings, listener, &self.clock, rng).await;
        TestApp {
            address: format!("https://localhost:{}", server.port),
            port: server.port,
            metrics_address: server.metrics_address,
            settings,
            state: server.state,
            handle: server.handle,
            running: server.running,
            ..self
        }
    }

    /// Stops this server and waits until it has closed its store, keeping its files (for a
    /// process that takes over the database, such as a `sealdraw serve` child).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
        while !self.running.is_finished() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A second server on the same database, key file, certificates and clock: another instance
/// behind the load balancer. It takes no CPU share of its own (the first instance's covers the
/// test).
pub struct Instance {
    pub port: u16,
    pub state: ServerState,
    pub handle: actix_web::dev::ServerHandle,
    pub running: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub async fn another_instance(&self) -> Instance {
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = INSTANCES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let rng = Rng::danger_deterministic(
            format!("{} instance {n}", self.dir.path().display()).as_bytes(),
        );
        let application =
            Application::build(self.settings.clone(), Arc::new(self.clock.clone()), rng)
                .await
                .unwrap();
        Instance {
            port: application.port(),
            state: ServerState::of(&application),
            handle: application.handle(),
            running: tokio::spawn(application.run_until_stopped()),
        }
    }
}

impl Instance {
    /// Stops the instance without letting its connections finish, as a crash or a killed
    /// process would, and waits until it has stopped.
    pub async fn kill(self) {
        self.handle.stop(false).await;
        let _ = self.running.await;
    }
}

/// A rustls client trusting only the test CA, optionally presenting a client certificate.
pub fn rustls_client_config(
    ca: &PathBuf,
    identity: Option<(&PathBuf, &PathBuf)>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(sealdraw::tls::provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    match identity {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            builder
                .with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    }
}

pub fn client_builder(
    certs: &DevCertificates,
    identity: Option<(&PathBuf, &PathBuf)>,
) -> reqwest::ClientBuilder {
    let config = rustls_client_config(
        &certs.ca(),
        identity,
        &[&rustls::version::TLS12, &rustls::version::TLS13],
    );
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(30))
}

async fn fresh_database_url(dir: &TempDir) -> String {
    fresh_database_url_in(dir.path(), "test.db").await
}

/// A new empty database: a PostgreSQL database of its own when `TEST_DATABASE_URL` names a
/// server, else the SQLite file `sqlite_file` in `dir`.
pub async fn fresh_database_url_in(dir: &std::path::Path, sqlite_file: &str) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => {
            use sqlx::Connection;
            let name = format!("sealdraw_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&server_url).await.unwrap();
            sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let base = server_url
                .rsplit_once('/')
                .map(|(base, _)| base)
                .unwrap_or(&server_url);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.join(sqlite_file).display()),
    }
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

pub struct TestAccount {
    pub username: String,
    pub role: Role,
    pub totp_secret: Option<Vec<u8>>,
}

impl TestApp {
    /// Where a session client reaches this server: TLS 1.3, trusting the test CA, no Origin.
    pub fn session_endpoint(&self) -> sealdraw::terminal::client::Endpoint {
        sealdraw::terminal::client::Endpoint {
            address: format!("127.0.0.1:{}", self.port),
            server_name: "localhost".into(),
            tls: std::sync::Arc::new(rustls_client_config(
                &self.certs.ca(),
                None,
                &[&rustls::version::TLS13],
            )),
            origin: None,
        }
    }

    /// Every committed audit entry so far, parsed, in log order.
    pub async fn audit_entries(&self) -> Vec<Value> {
        let mut entries = Vec::new();
        while let Ok(bytes) = self.state.audit.entry(entries.len() as u64).await {
            entries.push(serde_json::from_slice(&bytes).unwrap());
        }
        entries
    }

    /// How many audit entries requests have written: the log without what the server's
    /// background tasks write whenever they run (deliveries and their failures, expired
    /// invitations), so a test can say a refused request wrote nothing.
    pub async fn entries_written_by_requests(&self) -> usize {
        const BACKGROUND: [&str; 5] = [
            "notify.delivered",
            "notify.attempt_failed",
            "notify.attempt_interrupted",
            "notify.failed",
            "notify.expired",
        ];
        let mut entries = self.audit_entries().await;
        entries.retain(|entry| !BACKGROUND.iter().any(|kind| entry["type"] == *kind));
        entries.len()
    }

    /// Every audit entry of type `kind`, parsed.
    pub async fn audit_entries_of(&self, kind: &str) -> Vec<Value> {
        let mut entries = self.audit_entries().await;
        entries.retain(|entry| entry["type"] == kind);
        entries
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn create_account(&self, username: &str, role: Role) -> TestAccount {
        let (center_name, region_code) = match role {
            Role::Center => (
                Some(format!("{username} trading center")),
                Some("420100".to_owned()),
            ),
            _ => (None, None),
        };
        let created = self
            .state
            .auth
            .create_account(
                NewAccountRequest {
                    username: username.into(),
                    role,
                    password: SecretString::from(PASSWORD),
                    center_name,
                    region_code,
                    scope: None,
                    display_name: None,
                },
                sealdraw::audit::Actor::System,
            )
            .await
            .unwrap();
        TestAccount {
            username: username.into(),
            role,
            totp_secret: created.totp_secret.map(|secret| secret.to_vec()),
        }
    }

    /// A TOTP code for the account that has not been used yet (each 30 s step is single-use).
    pub fn fresh_totp(&self, account: &TestAccount) -> Option<String> {
        let secret = account.totp_secret.as_ref()?;
        self.clock.advance(Duration::from_secs(31));
        totp::current_code(secret, self.clock.now_millis())
    }

    pub async fn post_login(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the bearer token.
    pub async fn login(&self, account: &TestAccount) -> String {
        let body = json!({"username": account.username, "password": PASSWORD, "totp": self.fresh_totp(account)});
        let response = self.post_login(&body).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login of {} failed",
            account.username
        );
        response.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn account_with_token(&self, username: &str, role: Role) -> (TestAccount, String) {
        let account = self.create_account(username, role).await;
        let token = self.login(&account).await;
        (account, token)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// A GET that must succeed, as JSON.
    /// The body of a GET that must succeed, parsed.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        let body = self.get_text(path, token).await;
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// The body of a GET that must succeed.
    pub async fn get_text(&self, path: &str, token: Option<&str>) -> String {
        let response = self.get(path, token).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path} answered {status}: {body}");
        body
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// A request to build by hand (raw bodies, other methods, other headers).
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn attempt_login(
        &self,
        username: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Response {
        self.post_login(&json!({"username": username, "password": password, "totp": totp}))
            .await
    }

    /// A client whose connections come from `address` (anywhere in 127.0.0.0/8): another
    /// computer, as the server's throttles see it.
    pub fn client_from(&self, address: &str) -> reqwest::Client {
        client_builder(&self.certs, None)
            .local_address(address.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    }

    pub async fn attempt_login_from(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Response {
        client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password, "totp": totp}))
            .send()
            .await
            .unwrap()
    }

    /// The current TOTP code, without moving the clock (so it may already have been used).
    pub fn current_totp(&self, account: &TestAccount) -> String {
        let secret = account.totp_secret.as_ref().expect("account has TOTP");
        totp::current_code(secret, self.clock.now_millis()).unwrap()
    }

    /// A well-formed code that the account's authenticator does not show now, nor one step
    /// before or after (the drift the server allows).
    pub fn wrong_totp(&self, account: &TestAccount) -> String {
        let secret = account.totp_secret.as_ref().expect("account has TOTP");
        let now = self.clock.now_millis();
        let near: Vec<String> = [-30_000, 0, 30_000]
            .into_iter()
            .map(|offset| totp::current_code(secret, now + offset).unwrap())
            .collect();
        (0..)
            .map(|n: u32| format!("{n:06}"))
            .find(|code| !near.contains(code))
            .unwrap()
    }

    /// Who the server says the bearer of `token` is (`GET /api/v1/me`, which must answer 200).
    pub async fn me(&self, token: &str) -> Value {
        let response = self.get("/api/v1/me", Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Asserts that `token` no longer authenticates: 401 with the token-ended problem.
    pub async fn assert_token_ended(&self, token: &str) {
        let response = self.get("/api/v1/me", Some(token)).await;
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["type"], "urn:sealdraw:problem:token-ended");
    }

    /// The account list's row for `username`, as an admin sees it.
    pub async fn listed_account(&self, admin_token: &str, username: &str) -> Value {
        let accounts = self.get_json("/api/v1/accounts", Some(admin_token)).await;
        let rows = accounts.as_array().unwrap();
        let row = rows.iter().find(|a| a["username"] == username);
        row.unwrap_or_else(|| panic!("{username} is not in the account list"))
            .clone()
    }

    /// The usernames the account list shows, as an admin sees them.
    pub async fn usernames(&self, admin_token: &str) -> Vec<String> {
        let response = self.get("/api/v1/accounts", Some(admin_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let accounts: Vec<Value> = response.json().await.unwrap();
        accounts
            .iter()
            .map(|account| account["username"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A client trusting the test CA, speaking only `versions`, optionally presenting a
    /// client certificate.
    pub fn client_with(
        &self,
        identity: Option<(&PathBuf, &PathBuf)>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> reqwest::Client {
        let config = rustls_client_config(&self.certs.ca(), identity, versions);
        reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

pub const ALL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS12, &rustls::version::TLS13];

/// Asserts an RFC 9457 problem with the given status and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:sealdraw:problem:")
    );
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

pub fn assert_security_headers(response: &Response) {
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert!(header("strict-transport-security").starts_with("max-age="));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("default-src 'none'"));
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
}

impl TestApp {
    /// The `sealdraw` binary as an operator runs it next to this server: on its database, key
    /// file, audit origin, data directory and certificates, with no configuration file.
    pub fn sealdraw_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sealdraw"));
        command
            .env("SEALDRAW__DATABASE__URL", &self.database_url)
            .env(
                "SEALDRAW__KEYS__FILE",
                self.settings.keys.file.as_ref().unwrap(),
            )
            .env("SEALDRAW__AUDIT__ORIGIN", &self.settings.audit.origin)
            .env("SEALDRAW__DATA_DIR", self.dir.path())
            .env("SEALDRAW__TLS__CERT", self.certs.server_cert())
            .env("SEALDRAW__TLS__KEY", self.certs.server_key())
            .env_remove("SEALDRAW_CONFIG");
        command
    }
}

/// Runs the real `sealdraw` binary against this test's database and key file.
pub fn run_cli(app: &TestApp, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::process::Stdio;
    let mut child = app
        .sealdraw_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The independent Python verifier (written from the specifications, not from our code).
pub fn run_python_verifier(args: &[&str]) -> std::process::Output {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration/verifier/verify_log.py"
    );
    std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

pub type RawTlsStream = rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>;

impl TestApp {
    /// A blocking TLS connection with its handshake completed, for writing requests byte by
    /// byte. Blocking I/O belongs in `spawn_blocking`: the test's runtime also drives the
    /// server's first database connections.
    pub async fn raw_tls_connection(&self) -> RawTlsStream {
        let (ca, port) = (self.certs.ca(), self.port);
        tokio::task::spawn_blocking(move || {
            let config = rustls_client_config(&ca, None, ALL_VERSIONS);
            let connection =
                rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap())
                    .unwrap();
            let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut stream = rustls::StreamOwned::new(connection, tcp);
            while stream.conn.is_handshaking() {
                stream.conn.complete_io(&mut stream.sock).unwrap();
            }
            stream
        })
        .await
        .unwrap()
    }
}

/// Writes `bytes` and then reads until the server closes, off the async runtime.
pub async fn send_and_read_until_closed(mut stream: RawTlsStream, bytes: Vec<u8>) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        stream.write_all(&bytes).unwrap();
        stream.flush().unwrap();
        read_until_closed(&mut stream)
    })
    .await
    .unwrap()
}

/// Makes the store unreachable until `end`: on SQLite another connection holds the write lock
/// (readiness needs a write transaction); on PostgreSQL the database stops accepting
/// connections and the server's are terminated.
pub struct StoreOutage(Outage);

enum Outage {
    Sqlite(sqlx::SqliteConnection),
    Postgres {
        admin: sqlx::PgConnection,
        database: String,
    },
}

impl TestApp {
    pub async fn break_store(&self) -> StoreOutage {
        use sqlx::{Connection, Executor};
        if !is_postgres() {
            let mut holder = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            holder.execute("BEGIN IMMEDIATE").await.unwrap();
            return StoreOutage(Outage::Sqlite(holder));
        }
        let server_url = std::env::var("TEST_DATABASE_URL").unwrap();
        let mut admin = sqlx::PgConnection::connect(&server_url).await.unwrap();
        let database = self.database_url.rsplit('/').next().unwrap().to_owned();
        admin
            .execute(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false").as_str())
            .await
            .unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&database)
        .execute(&mut admin)
        .await
        .unwrap();
        StoreOutage(Outage::Postgres { admin, database })
    }
}

impl StoreOutage {
    pub async fn end(self) {
        use sqlx::Executor;
        match self.0 {
            Outage::Sqlite(mut holder) => {
                holder.execute("COMMIT").await.unwrap();
            }
            Outage::Postgres {
                mut admin,
                database,
            } => {
                admin
                    .execute(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true").as_str())
                    .await
                    .unwrap();
            }
        }
    }
}

impl TestApp {
    /// Runs `sql` (one or more statements) on this test's database over a connection of its own.
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection;
        if is_postgres() {
            let mut connection = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut connection, sql).await.unwrap();
        } else {
            let mut connection = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::Executor::execute(&mut connection, sql).await.unwrap();
        }
    }

    /// Makes every write of an audit entry fail as a failing disk does, until
    /// [`WriteFault::heal`]. On SQLite the error also rolls the whole transaction back, which
    /// is what SQLite itself does after an I/O error or a full disk (the client's `ROLLBACK`
    /// then fails: "no transaction is active"); on PostgreSQL it is SQLSTATE 58030, `io_error`.
    pub async fn fail_writes(&self) -> WriteFault {
        self.fail_inserts(WriteFault {
            table: "audit_entries",
            trigger: "injected_io_error",
            postgres: ("58030", "could not write block: Input/output error"),
            sqlite: "disk I/O error",
        })
        .await
    }

    /// Installs `fault`: every insert into its table fails, with its error, until healed.
    pub async fn fail_inserts(&self, fault: WriteFault) -> WriteFault {
        let WriteFault {
            table,
            trigger,
            postgres: (sqlstate, message),
            sqlite,
        } = fault;
        self.execute_sql(&if is_postgres() {
            format!(
                "CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION '{message}' \
                 USING ERRCODE = '{sqlstate}'; END $$; \
                 CREATE TRIGGER {trigger} BEFORE INSERT ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION {trigger}();"
            )
        } else {
            format!(
                "CREATE TRIGGER {trigger} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ROLLBACK, '{sqlite}'); END;"
            )
        })
        .await;
        fault
    }
}

/// Inserts into `table` failing, through a trigger named `trigger`, as a failing disk makes them
/// fail on each backend: PostgreSQL's (SQLSTATE, message), SQLite's message; until healed (see
/// [`TestApp::fail_inserts`]).
#[must_use = "heal the fault"]
pub struct WriteFault {
    pub table: &'static str,
    pub trigger: &'static str,
    pub postgres: (&'static str, &'static str),
    pub sqlite: &'static str,
}

impl WriteFault {
    pub async fn heal(self, app: &TestApp) {
        let Self { table, trigger, .. } = self;
        app.execute_sql(&if is_postgres() {
            format!("DROP TRIGGER {trigger} ON {table}; DROP FUNCTION {trigger}();")
        } else {
            format!("DROP TRIGGER {trigger};")
        })
        .await;
    }
}

/// Everything the peer sends until it closes (with or without a TLS close_notify).
pub fn read_until_closed(stream: &mut impl std::io::Read) -> Vec<u8> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return received,
            Err(error) => panic!("reading failed after {} bytes: {error}", received.len()),
        }
    }
}

/// The server's services (`AppState`, through `Deref`) and, for the tests that reach below
/// them (arranging rows, reading what was stored), the handles the services were built from.
pub struct ServerState {
    services: actix_web::web::Data<sealdraw::http::AppState>,
    pub store: sealdraw::store::Store,
    pub keys: Arc<KeyRing>,
    pub rng: Rng,
}

impl ServerState {
    fn of(application: &Application) -> Self {
        let deps = application.deps();
        Self {
            services: application.state(),
            store: deps.store,
            keys: deps.keys,
            rng: deps.rng,
        }
    }
}

impl std::ops::Deref for ServerState {
    type Target = sealdraw::http::AppState;

    fn deref(&self) -> &Self::Target {
        &self.services
    }
}
