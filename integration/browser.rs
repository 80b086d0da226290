//! `Browser`: a headless Chromium, driven through its own chromedriver, that trusts the test
//! server's certificate and no other. The console's end-to-end tests run in it; one smoke test
//! runs in a headless Firefox driven through geckodriver ([`Browser::firefox`]), which likewise
//! accepts the test server's certificate alone.
//!
//! The helpers find elements by CSS selector and wait (up to [`TIMEOUT`]) for them to be
//! visible, because the console renders after its API calls answer; a helper that gives up
//! panics with the page's URL, its visible text and the browser's console log. A second user is
//! a second `Browser`.
#![allow(
    dead_code,
    reason = "the console's scenario tests each use a different subset"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{PASSWORD, TestAccount, TestApp};

/// The laptop the console is designed for, and the phone an expert may use instead.
const LAPTOP: (u32, u32) = (1366, 768);
const PHONE: (u32, u32) = (390, 844);

/// How long a helper waits for the page before it fails the test.
pub const TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

pub struct Browser {
    client: Client,
    base: String,
    /// Chromedriver hands each log entry out once; kept for later calls and failure messages.
    log: Mutex<Vec<String>>,
    driver: Driver,
    // Declared after `driver`: the browser must have quit before its profile is deleted.
    _profile: TempDir,
}

impl Browser {
    /// A fresh Chromium (empty profile) whose relative URLs are on `app`.
    pub async fn start(app: &TestApp) -> Browser {
        Browser::trusting(
            &app.certs.server_cert(),
            format!("https://127.0.0.1:{}", app.port),
        )
        .await
    }

    /// A fresh Chromium (empty profile) on `app` with a phone's window, 390×844 pixels: the
    /// screens experts use on their phones are tested at that size, and every screenshot it takes
    /// also checks that controls are large enough to touch.
    pub async fn phone(app: &TestApp) -> Browser {
        Browser::trusting_phone(
            &app.certs.server_cert(),
            format!("https://127.0.0.1:{}", app.port),
        )
        .await
    }

    /// A fresh Chromium that accepts only the certificate in `cert_pem`, with relative URLs on
    /// `base`.
    pub async fn trusting(cert_pem: &Path, base: String) -> Browser {
        Browser::chromium(cert_pem, base, LAPTOP).await
    }

    /// [`Browser::phone`] with the certificate and base of [`Browser::trusting`].
    pub async fn trusting_phone(cert_pem: &Path, base: String) -> Browser {
        Browser::chromium(cert_pem, base, PHONE).await
    }

    async fn chromium(cert_pem: &Path, base: String, (width, height): (u32, u32)) -> Browser {
        let driver = Driver::start(Engine::Chromium).await;
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
            // Accepts a chain holding this key despite the unknown CA, and nothing else: unlike
            // --ignore-certificate-errors, a different certificate is still refused.
            format!(
                "--ignore-certificate-errors-spki-list={}",
                spki_sha256(cert_pem)
            ),
        ];
        let mut options = json!({"args": args});
        if (width, height) == PHONE {
            // Headless Chromium keeps a window at least 500 pixels wide: a phone's 390 is
            // emulated (its viewport, device-width and touch), as the browser's device mode does.
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "touch": true, "mobile": true},
            });
        }
        let capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        }))
        .unwrap();
        Browser::connect(driver, capabilities, base, profile).await
    }

    /// A fresh headless Firefox (empty profile) whose relative URLs are on `app`, and which
    /// accepts the test server's certificate at the test server's address and nothing else.
    ///
    /// Firefox has no switch like Chromium's SPKI list, and trusting the test CA would need
    /// NSS's certutil to write the profile's certificate database. Instead the profile starts
    /// with the file in which Firefox keeps the exceptions a user adds on its certificate warning
    /// page: one entry, for this host and port, naming the SHA-256 fingerprint of the server's
    /// certificate. `acceptInsecureCerts` stays false, so any other certificate is refused.
    pub async fn firefox(app: &TestApp) -> Browser {
        let driver = Driver::start(Engine::Firefox).await;
        let profile = tempfile::tempdir().unwrap();
        let host_port = format!("127.0.0.1:{}", app.port);
        std::fs::write(
            profile.path().join("cert_override.txt"),
            certificate_exception(&host_port, &app.certs.server_cert()),
        )
        .unwrap();
        let mut options = json!({
            "args": [
                "-headless",
                "-width=1366",
                "-height=768",
                "-profile",
                profile.path(),
            ],
        });
        // Debian installs Firefox as `firefox-esr` (its `firefox` is a wrapper script);
        // geckodriver itself looks for `firefox`.
        if let Some(binary) = on_path("firefox-esr") {
            options["binary"] = json!(binary);
        }
        let capabilities = serde_json::from_value(json!({
            "browserName": "firefox",
            "acceptInsecureCerts": false,
            "moz:firefoxOptions": options,
        }))
        .unwrap();
        Browser::connect(
            driver,
            capabilities,
            format!("https://{host_port}"),
            profile,
        )
        .await
    }

    async fn connect(
        mut driver: Driver,
        capabilities: serde_json::Map<String, Value>,
        base: String,
        profile: TempDir,
    ) -> Browser {
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "{:?} did not start: {error}\n{}",
                    driver.engine,
                    driver.output()
                )
            });
        driver.session = client.session_id().await.unwrap();
        Browser {
            client,
            base,
            log: Mutex::default(),
            driver,
            _profile: profile,
        }
    }

    /// Navigates to `path` on the test server (e.g. `/console/`) and waits for the page's load.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        if let Err(error) = self.client.goto(&url).await {
            panic!("{}", self.failure(&format!("opening {url}: {error}")).await);
        }
    }

    /// Replaces the text of the input or textarea that `css` selects.
    pub async fn fill(&self, css: &str, text: &str) {
        self.until(&format!("`{css}` to take input"), async || {
            let element = self.client.find(Locator::Css(css)).await?;
            element.clear().await?;
            element.send_keys(text).await?;
            Ok(Some(()))
        })
        .await
    }

    pub async fn click(&self, css: &str) {
        self.until(&format!("`{css}` to be clickable"), async || {
            self.client.find(Locator::Css(css)).await?.click().await?;
            Ok(Some(()))
        })
        .await
    }

    /// Chooses the option whose value is `value` in the select element that `css` selects.
    pub async fn select(&self, css: &str, value: &str) {
        self.until(&format!("option `{value}` of `{css}`"), async || {
            let element = self.client.find(Locator::Css(css)).await?;
            element.select_by_value(value).await?;
            Ok(Some(()))
        })
        .await
    }

    /// The visible text of the first visible element that `css` selects.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    /// The first visible element that `css` selects.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.until(&format!("a visible `{css}`"), async || {
            for element in self.client.find_all(Locator::Css(css)).await? {
                if element.is_displayed().await? {
                    return Ok(Some(element));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Waits until nothing that `css` selects is in the page (a dialog closed, say).
    pub async fn wait_for_gone(&self, css: &str) {
        self.until(&format!("`{css}` to be gone"), async || {
            let found = self.client.find_all(Locator::Css(css)).await?;
            Ok(found.is_empty().then_some(()))
        })
        .await
    }

    /// The visible text of the first element that `css` selects and whose text contains
    /// `needle` (e.g. one of several `[role="alert"]`).
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        self.until(&format!("`{css}` to show {needle:?}"), async || {
            for element in self.client.find_all(Locator::Css(css)).await? {
                let text = element.text().await?;
                if text.contains(needle) {
                    return Ok(Some(text));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Saves a PNG of the window as `<name>.png` in the screenshot directory and returns its
    /// path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "a screenshot name is a plain file stem, not {name:?}"
        );
        let png = self.client.screenshot().await.unwrap();
        let path = save_screenshot(name, &png);
        self.assert_accessible(name).await;
        path
    }

    /// What a screen reader and a keyboard need from every screen the tests photograph: each
    /// form control has a name (a label, `aria-label` or `aria-labelledby`), each button and
    /// link has text, each image an `alt`, ids are unique (labels and `aria-*` point at them),
    /// and the document says its language; and at the window's width (1366 pixels, or a phone's
    /// 390) nothing scrolls sideways. On a phone, every visible control is also at least 44
    /// pixels high and wide (a checkbox through its label), the smallest target a finger hits.
    pub async fn assert_accessible(&self, screen: &str) {
        let problems = self.execute(ACCESSIBILITY_CHECK).await;
        let problems: Vec<&str> = problems
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            problems.is_empty(),
            "{}",
            self.failure(&format!("screen {screen}: {problems:#?}"))
                .await
        );
    }

    /// Runs `js` as the body of a function in the page and returns what it returns. For what no
    /// user action expresses; WebDriver scripts are not subject to the page's CSP.
    pub async fn execute(&self, js: &str) -> Value {
        match self.client.execute(js, Vec::new()).await {
            Ok(value) => value,
            Err(error) => panic!("{}", self.failure(&format!("script failed: {error}")).await),
        }
    }

    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// What the pages logged (console messages, CSP violations, failed loads) since this
    /// browser started, one `LEVEL message` an entry.
    ///
    /// Always empty in Firefox: geckodriver has no log endpoint (Firefox reports console
    /// messages over WebDriver BiDi only, which fantoccini does not speak), so the Firefox test
    /// asserts outcomes on the page instead.
    pub async fn console_log(&self) -> Vec<String> {
        if self.driver.engine == Engine::Firefox {
            return Vec::new();
        }
        let session = self.client.session_id().await.unwrap().unwrap();
        let entries: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver.url))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let new = entries["value"]
            .as_array()
            .unwrap_or_else(|| panic!("chromedriver gave no browser log: {entries}"))
            .iter()
            .map(|entry| {
                let level = entry["level"].as_str().unwrap_or("?");
                let message = entry["message"].as_str().unwrap_or("");
                format!("{level} {message}")
            });
        let mut log = self.log.lock().unwrap();
        log.extend(new);
        log.clone()
    }

    /// The WebDriver client itself, for what the helpers do not cover (and for expecting a
    /// navigation to fail).
    pub fn webdriver(&self) -> &Client {
        &self.client
    }

    /// Logs `account` in through the console's login form and waits for the header to name it.
    pub async fn login(&self, app: &TestApp, account: &TestAccount) {
        self.open("/console/").await;
        self.fill("#login-username", &account.username).await;
        self.fill("#login-password", PASSWORD).await;
        if let Some(code) = app.fresh_totp(account) {
            self.fill("#login-totp", &code).await;
        }
        self.click("#login-submit").await;
        self.wait_for_text("#whoami", &account.username).await;
    }

    /// Retries `attempt` until it yields a value, treating the errors of a page still
    /// rendering (no such element yet, a stale or covered one) as "not yet".
    async fn until<T>(
        &self,
        what: &str,
        mut attempt: impl AsyncFnMut() -> Result<Option<T>, CmdError>,
    ) -> T {
        let deadline = Instant::now() + TIMEOUT;
        let mut last_error = None;
        loop {
            match attempt().await {
                Ok(Some(value)) => return value,
                Ok(None) => {}
                Err(error) if is_transient(&error) => last_error = Some(error),
                Err(error) => panic!("{}", self.failure(&format!("{what}: {error}")).await),
            }
            if Instant::now() >= deadline {
                let cause = last_error
                    .map(|error| format!(" (last: {error})"))
                    .unwrap_or_default();
                let problem = format!("waited {TIMEOUT:?} for {what}{cause}");
                panic!("{}", self.failure(&problem).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// `problem` with what the browser shows, for a failing test's message; also saves a
    /// screenshot named after the test.
    async fn failure(&self, problem: &str) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(error) => format!("unknown ({error})"),
        };
        let script = "return document.body ? document.body.innerText : ''";
        let text = match self.client.execute(script, Vec::new()).await {
            Ok(Value::String(text)) => truncated(text.trim(), 4000),
            Ok(other) => format!("unreadable ({other})"),
            Err(error) => format!("unreadable ({error})"),
        };
        let log = self.console_log().await.join("\n");
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .replace("::", "-");
        let name: String = format!("FAILED-{test}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let screenshot = match self.client.screenshot().await {
            Ok(png) => save_screenshot(&name, &png).display().to_string(),
            Err(error) => format!("none ({error})"),
        };
        format!(
            "{problem}\nURL: {url}\nscreenshot: {screenshot}\npage text:\n{text}\n\
             browser console:\n{log}"
        )
    }
}

fn is_transient(error: &CmdError) -> bool {
    matches!(
        error,
        CmdError::Standard(webdriver) if matches!(
            webdriver.error,
            ErrorStatus::NoSuchElement
                | ErrorStatus::StaleElementReference
                | ErrorStatus::ElementNotInteractable
                | ErrorStatus::ElementClickIntercepted
                | ErrorStatus::InvalidElementState
        )
    )
}

fn truncated(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}… ({} more characters)", &text[..end], text[end..].len()),
        None => text.to_owned(),
    }
}

/// A `cert_override.txt` (the profile file of Firefox's certificate exceptions) accepting the
/// certificate in `cert_pem` at `host_port` alone. Each line is `host:port:` (then the origin
/// attributes, empty for ordinary pages), a tab, the SHA-256 algorithm's OID, a tab, and the
/// certificate's SHA-256 fingerprint in colon-separated upper-case hex, as Firefox writes it.
fn certificate_exception(host_port: &str, cert_pem: &Path) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_file(cert_pem).unwrap();
    let fingerprint = sealdraw::crypto::certificate_fingerprint(der.as_ref())
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    format!(
        "# PSM Certificate Override Settings file\n\
         {host_port}:\tOID.2.16.840.1.101.3.4.2.1\t{fingerprint}\t\n"
    )
}

/// The first `name` in a directory of `$PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's
/// `--ignore-certificate-errors-spki-list` takes it.
fn spki_sha256(cert_pem: &Path) -> String {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_file(cert_pem).unwrap();
    let cert = webpki::EndEntityCert::try_from(&der).unwrap();
    let digest = sealdraw::crypto::Suite::Intl2024.hash(cert.subject_public_key_info().as_ref());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Saves `png` as `<name>.png` in the screenshot directory, for a picture taken without
/// [`Browser::screenshot`]'s checks of the console's pages (a PDF in the browser's viewer).
pub fn save_screenshot(name: &str, png: &[u8]) -> PathBuf {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    static ANNOUNCED: Once = Once::new();
    ANNOUNCED.call_once(|| println!("screenshots are saved in {}", dir.display()));
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// `$SEALDRAW_SCREENSHOTS`, else `console-screenshots` in the target directory.
fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SEALDRAW_SCREENSHOTS").filter(|dir| !dir.is_empty()) {
        return dir.into();
    }
    // The test binary is <target>/<profile>/deps/integration-<hash>.
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("test binary inside a target directory");
    target.join("console-screenshots")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Chromium,
    Firefox,
}

/// A WebDriver server child process (chromedriver or geckodriver), with its browser under it.
struct Driver {
    engine: Engine,
    child: Child,
    url: String,
    /// The WebDriver session, once the browser has started.
    session: Option<String>,
    output: Arc<Mutex<String>>,
}

impl Driver {
    /// Starts the driver, again if it does not report its port: once, in a run beside a full
    /// build on this 2-core machine, chromedriver gave no port within half a second while every
    /// later start (dozens) worked. What each failed start said and how it ended go into the
    /// panic, so a persistent cause still fails the test with its evidence.
    async fn start(engine: Engine) -> Driver {
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Driver::try_start(engine).await {
                Ok(driver) => return driver,
                Err(said) => failures.push(said),
            }
        }
        panic!(
            "{engine:?}'s WebDriver server did not start:\n{}",
            failures.join("\n---\n")
        )
    }

    async fn try_start(engine: Engine) -> Result<Driver, String> {
        let (program, install) = match engine {
            Engine::Chromium => ("chromedriver", "install Debian's chromium-driver"),
            Engine::Firefox => (
                "geckodriver",
                "install it with `cargo install --locked geckodriver` (.ci/run pins the \
                 version) and put cargo's bin directory on PATH, and install Debian's firefox-esr",
            ),
        };
        // Port 0: the driver binds a free port itself and prints it, so no other test can take
        // the port between our choosing it and the driver binding it.
        let mut child = Command::new(program)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {program} ({error}): {install}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        collect_lines(child.stderr.take().unwrap(), output.clone(), None);
        collect_lines(child.stdout.take().unwrap(), output.clone(), Some(port_tx));
        let mut driver = Driver {
            engine,
            child,
            url: String::new(),
            session: None,
            output,
        };
        let port = match tokio::time::timeout(TIMEOUT, port_rx).await {
            Ok(Ok(port)) => port,
            Ok(Err(_)) => {
                let status = driver.child.wait().ok();
                return Err(format!(
                    "{program} exited ({status:?}) before reporting its port:\n{}",
                    driver.output()
                ));
            }
            Err(_) => return Err(format!("{program} did not start:\n{}", driver.output())),
        };
        driver.url = format!("http://127.0.0.1:{port}");
        driver.wait_until_ready().await;
        Ok(driver)
    }

    async fn wait_until_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let status = client.get(format!("{}/status", self.url)).send().await;
            if let Ok(response) = status {
                let body: Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{:?}'s driver did not become ready:\n{}",
                self.engine,
                self.output()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Killing the driver alone would orphan its browser. Blocking is fine here, the test
        // is over (or failing).
        if !self.url.is_empty() {
            let host = &self.url["http://".len()..];
            match (self.engine, &self.session) {
                // Asked to shut down, chromedriver quits the browsers it started first, then
                // exits.
                (Engine::Chromium, _) => {
                    let _ = request(host, "GET", "/shutdown");
                }
                // geckodriver has no shutdown command; ending the session makes it quit
                // Firefox and answer once Firefox has exited (if the client's own goodbye got
                // there first, this waits behind it).
                (Engine::Firefox, Some(session)) => {
                    let _ = request(host, "DELETE", &format!("/session/{session}"));
                }
                (Engine::Firefox, None) => {}
            }
        }
        // chromedriver exits by itself once its browsers have quit; geckodriver never does.
        if self.engine == Engine::Chromium {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a bodiless HTTP/1.1 request and waits (up to 30 s) for the whole answer.
fn request(host: &str, method: &str, path: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

/// Appends what `pipe` says to `output` on a thread of its own (a driver would block on a full
/// pipe), sending the port once the driver reports it.
fn collect_lines(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    mut port: Option<tokio::sync::oneshot::Sender<u16>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if let Some(found) = reported_port(&line)
                && let Some(sender) = port.take()
            {
                let _ = sender.send(found);
            }
            let mut output = output.lock().unwrap();
            output.push_str(&line);
            output.push('\n');
        }
    });
}

/// The port in chromedriver's "… started successfully on port 41235." or geckodriver's
/// "… Listening on 127.0.0.1:41235".
fn reported_port(line: &str) -> Option<u16> {
    if let Some((_, rest)) = line.split_once("started successfully on port ") {
        return rest.trim_end_matches('.').parse().ok();
    }
    let (_, rest) = line.split_once("Listening on 127.0.0.1:")?;
    rest.trim().parse().ok()
}

/// A TLS server on loopback with a self-signed certificate of its own, for proving that the
/// browser refuses any certificate but the test server's.
pub struct Impostor {
    pub url: String,
    answered: Arc<AtomicUsize>,
}

impl Impostor {
    pub async fn start() -> Impostor {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .unwrap();
        let key = PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(sealdraw::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![certified.cert.der().clone()],
                PrivateKeyDer::Pkcs8(key),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, count) = (acceptor.clone(), count.clone());
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut request = [0; 4096];
                    let _ = tls.read(&mut request).await;
                    let page = "<p>impostor</p>";
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{page}",
                        page.len()
                    );
                    if tls.write_all(reply.as_bytes()).await.is_ok() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
        Impostor { url, answered }
    }

    /// How many requests got the impostor's page.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}

const ACCESSIBILITY_CHECK: &str = r#"
const problems = [];
const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.name ? '[name=' + el.name + ']' : ''}`;
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!named) problems.push(`no label: ${describe(el)}`);
}
for (const el of document.querySelectorAll('button, a[href], summary')) {
  if (!(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push(`no text: ${describe(el)}`);
}
for (const el of document.querySelectorAll('img')) {
  if (!el.hasAttribute('alt')) problems.push(`no alt: ${describe(el)}`);
}
const seen = new Set();
for (const el of document.querySelectorAll('[id]')) {
  if (seen.has(el.id)) problems.push(`duplicate id: ${el.id}`);
  seen.add(el.id);
}
for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-errormessage']) {
  for (const el of document.querySelectorAll(`[${attribute}]`)) {
    for (const id of el.getAttribute(attribute).split(/\s+/)) {
      if (id && !document.getElementById(id)) problems.push(`${attribute} names no element: ${describe(el)} → ${id}`);
    }
  }
}
if (!document.documentElement.lang) problems.push('the document has no lang');
// At the window's width (the 1366-pixel laptop, or a phone) nothing may need sideways scrolling.
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) {
  // Name the innermost elements that stick out, so a failure says what to fix.
  const out = [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > root.clientWidth + 1))
    .slice(0, 3).map((el) => `${describe(el)}.${el.className} (${Math.round(el.getBoundingClientRect().right)}px)`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node && out.length < 5; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const right = range.getBoundingClientRect().right;
    if (right > root.clientWidth + 1) out.push(`text ${JSON.stringify(node.textContent.slice(0, 30))} in ${describe(node.parentElement)} (${Math.round(right)}px)`);
  }
  problems.push(`the page scrolls sideways: ${root.scrollWidth}px in ${root.clientWidth}px: ${out.join(', ')}`);
}
// A phone: what a finger must hit is at least 44 by 44 pixels (WCAG 2.5.5). Links inside running
// text are exempt, as WCAG exempts them; a checkbox or radio counts by the label around it.
if (root.clientWidth <= 480) {
  for (const el of document.querySelectorAll('button, input:not([type=hidden]), select, textarea, summary, a.button-link, nav a')) {
    const target = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue; // not shown
    if (getComputedStyle(target).visibility === 'hidden') continue;
    if (box.width < 43.5 || box.height < 43.5) problems.push(`too small to touch: ${describe(el)} is ${Math.round(box.width)}×${Math.round(box.height)}px`);
  }
}
return problems;
"#;
