//! `sealdraw client`: a participant's terminal for a session. It asks the server for a ticket
//! over HTTPS with the user's bearer token, opens the session's websocket with
//! [`SessionClient`], and then reads commands ([`super::commands`]) while printing everything
//! that arrives. Standard output carries one JSON object per line (the welcome, events,
//! replies, errors) so scripts can parse it; hints for people go to standard error.
//!
//! A dropped connection is reopened with a new ticket after the last event seen, and requests
//! still unanswered are sent again under their ids (the server answers a repeated id from its
//! record, so nothing applies twice).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::client::{ClientError, Endpoint, Incoming, SessionClient};
use super::commands::{self, Command};
use crate::crypto::Rng;
use crate::session::protocol::{PROTOCOL_VERSION, ServerFrame};

/// What `sealdraw client` was asked to do.
pub(crate) struct Options {
    /// `https://HOST:PORT` of the server.
    pub server: String,
    /// The only CA trusted for the server; the platform's roots without it.
    pub(crate) ca: Option<PathBuf>,
    pub session: String,
    /// Resume after this event number (0: from the start).
    pub(crate) after: i64,
    pub origin: Option<String>,
    /// Commands from this file instead of standard input.
    pub(crate) script: Option<PathBuf>,
    /// In a script, stop at the first refused request or bad line.
    pub(crate) strict: bool,
    /// The member's signing key (from a key file) and its enrolled id: `sign` and `dissent`
    /// then carry the member's signature.
    pub(crate) signer: Option<(crate::crypto::member_token::MemberSigner, String)>,
}

/// The server pings every connection (every 15 s by default) and every ping counts as heard,
/// so this much silence means the connection is gone even if TCP has not noticed, as after a
/// laptop's sleep.
const SILENCE: Duration = Duration::from_secs(90);
/// Reconnection attempts after a dropped connection, waiting 1, 2, 4… s before each.
const RECONNECT_TRIES: u32 = 5;

/// Runs the console until its input ends (or `quit`) and every request sent is answered.
pub(crate) fn run(options: Options, token: Zeroizing<String>) -> anyhow::Result<ExitCode> {
    let server = Server::new(&options, token)?;
    // A script is a file, or standard input that is not a terminal (a pipe or a here-doc):
    // its commands run one after another, each once the previous one is answered.
    let scripted = options.script.is_some() || !std::io::IsTerminal::is_terminal(&std::io::stdin());
    let source = match &options.script {
        Some(path) => Source::File(
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => Source::Stdin,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The first connection is not retried: the user is there to see why it failed.
        let client = server.connect(options.after).await.map_err(|f| f.error)?;
        let console = Console {
            server,
            client,
            pending: Vec::new(),
            ids: RequestIds::new()?,
            scripted,
            strict: options.strict && scripted,
            signer: options.signer,
        };
        console.welcome()?;
        if !scripted {
            eprintln!("type help for the commands, quit to leave");
        }
        console.run(spawn_reader(source)?).await
    })
}

struct Console {
    server: Server,
    client: SessionClient,
    /// Requests sent and not yet answered, with their frames, to send again on a new
    /// connection.
    pending: Vec<(String, String)>,
    ids: RequestIds,
    scripted: bool,
    strict: bool,
    signer: Option<(crate::crypto::member_token::MemberSigner, String)>,
}

impl Console {
    async fn run(
        mut self,
        mut input: mpsc::Receiver<std::io::Result<String>>,
    ) -> anyhow::Result<ExitCode> {
        let mut reading = true;
        let mut line_number = 0_u64;
        while reading || !self.pending.is_empty() {
            // Typed commands go out at once; a script's wait for the previous reply.
            let may_read = reading && (!self.scripted || self.pending.is_empty());
            tokio::select! {
                line = input.recv(), if may_read => {
                    let line = match line {
                        None => {
                            reading = false;
                            continue;
                        }
                        Some(line) => line.context("cannot read the commands")?,
                    };
                    line_number += 1;
                    match commands::parse(&line) {
                        Ok(Command::Nothing) => {}
                        Ok(Command::Help) => eprintln!("{}", commands::HELP),
                        Ok(Command::Quit) => reading = false,
                        Ok(Command::Send(mut outgoing)) => {
                            if let Some((key, key_id)) = &self.signer
                                && let Err(error) = outgoing.sign_with(key, key_id, &self.client.session_id, self.client.seat)
                            {
                                emit(&json!({"type": "client_error", "code": "signing-failed",
                                             "line": line_number, "detail": error.0}))?;
                                continue;
                            }
                            let id = outgoing.id.clone().unwrap_or_else(|| self.ids.next());
                            let frame = outgoing.frame(&id);
                            self.pending.push((id, frame.clone()));
                            if let Err(error) = self.client.send_text(frame).await {
                                self.reconnect(error).await?;
                            }
                        }
                        Err(error) => {
                            emit(&json!({"type": "client_error", "code": "invalid-command",
                                         "line": line_number, "detail": error.0}))?;
                            if self.strict {
                                eprintln!("stopped (--strict): line {line_number} is not a command: {}", error.0);
                                self.client.close().await;
                                return Ok(ExitCode::FAILURE);
                            }
                        }
                    }
                }
                incoming = self.client.next_incoming(SILENCE) => match incoming {
                    Ok(Incoming::Event(event)) => emit(&ServerFrame::Event {
                        v: PROTOCOL_VERSION,
                        seq: event.seq,
                        at: event.at,
                        kind: event.kind,
                        data: event.data,
                    })?,
                    Ok(Incoming::Reply { id, outcome }) => {
                        self.pending.retain(|(pending, _)| *pending != id);
                        let (ok, result, error) = match outcome {
                            Ok(result) => (true, Some(result), None),
                            Err(error) => (false, None, Some(error)),
                        };
                        let refusal = error
                            .as_ref()
                            .map(|e| format!("request {id} was refused: {}: {}", e.code, e.detail));
                        emit(&ServerFrame::Reply { v: PROTOCOL_VERSION, id, ok, result, error })?;
                        if let Some(refusal) = refusal.filter(|_| self.strict) {
                            eprintln!("stopped (--strict): {refusal}");
                            self.client.close().await;
                            return Ok(ExitCode::FAILURE);
                        }
                    }
                    Err(error) => self.reconnect(error).await?,
                },
            }
        }
        self.client.close().await;
        Ok(ExitCode::SUCCESS)
    }

    /// Prints the connection's welcome, as the server sent it.
    fn welcome(&self) -> anyhow::Result<()> {
        let client = &self.client;
        emit(&ServerFrame::Welcome {
            v: PROTOCOL_VERSION,
            session_id: client.session_id.clone(),
            role: client.role.clone(),
            seat: client.seat,
            phase: client.phase_at_welcome,
            last_seq: client.last_seq_at_welcome,
        })?;
        let seat = client
            .seat
            .map(|s| format!(" (seat {s})"))
            .unwrap_or_default();
        eprintln!(
            "connected to session {} as {}{seat}; phase {}",
            client.session_id,
            client.role,
            client.phase_at_welcome.as_str()
        );
        Ok(())
    }

    /// Reopens the session after the last event seen and sends the unanswered requests again.
    async fn reconnect(&mut self, error: ClientError) -> anyhow::Result<()> {
        match &error {
            ClientError::Closed { code, detail } if !code.is_empty() => {
                emit(&ServerFrame::Error {
                    v: PROTOCOL_VERSION,
                    code: code.clone(),
                    detail: detail.clone(),
                    field: None,
                })?
            }
            _ => emit(&json!({"type": "disconnected", "detail": error.to_string()}))?,
        }
        // A replaced member does not rejoin: the server refuses their tickets.
        if let ClientError::Closed { code, detail } = &error
            && code == "seat-vacated"
        {
            bail!("the server ended the session for this seat: {detail}");
        }
        let after = self.client.last_seq;
        let mut tries = 0;
        loop {
            tries += 1;
            let wait = Duration::from_secs(1 << (tries - 1));
            eprintln!(
                "connection lost ({error}); reconnecting in {} s (try {tries} of {RECONNECT_TRIES})",
                wait.as_secs()
            );
            tokio::time::sleep(wait).await;
            match self.server.connect(after).await {
                Ok(client) => {
                    self.client = client;
                    break;
                }
                Err(failure) if failure.permanent || tries == RECONNECT_TRIES => {
                    return Err(failure.error.context("cannot reconnect"));
                }
                Err(failure) => {
                    eprintln!("reconnection failed: {:#}", failure.error);
                }
            }
        }
        self.welcome()?;
        for (_, frame) in &self.pending {
            // A failure here shows again as a lost connection on the next read.
            if self.client.send_text(frame.clone()).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// The server as this console reaches it: HTTPS for tickets, the websocket's endpoint.
struct Server {
    base: String,
    session: String,
    http: reqwest::Client,
    endpoint: Endpoint,
    token: Zeroizing<String>,
}

/// Why a connection could not be opened; `permanent` when trying again cannot help (the
/// token or the session is refused).
struct ConnectFailure {
    error: anyhow::Error,
    permanent: bool,
}

impl From<anyhow::Error> for ConnectFailure {
    fn from(error: anyhow::Error) -> Self {
        Self {
            error,
            permanent: false,
        }
    }
}

/// The answer to `POST /api/v1/sessions/{id}/ticket`.
#[derive(Deserialize)]
struct TicketAnswer {
    ticket: Zeroizing<String>,
    path: String,
}

impl Server {
    fn new(options: &Options, token: Zeroizing<String>) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&options.server)
            .with_context(|| format!("{:?} is not a URL like https://host:8443", options.server))?;
        if url.scheme() != "https" {
            bail!("the server must be an https:// URL, not {}", options.server);
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            bail!("give the server as https://host:port, without credentials or a query");
        }
        // The websocket goes to the same host and port as the tickets, with the same name
        // checked against the certificate.
        let Some(server_name) = url.host_str().map(str::to_owned) else {
            bail!("{} names no host", options.server);
        };
        if server_name.starts_with('[') {
            // SessionClient writes the name into its wss:// URL unbracketed.
            bail!("IPv6 addresses are not supported; use a host name");
        }
        let port = url.port_or_known_default().unwrap_or(443);
        if !is_session_id(&options.session) {
            bail!("{:?} is not a session id", options.session);
        }
        let tls = Arc::new(tls_config(options.ca.as_deref())?);
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the HTTPS client")?;
        Ok(Self {
            base: url.as_str().trim_end_matches('/').to_owned(),
            session: options.session.clone(),
            http,
            endpoint: Endpoint {
                address: format!("{server_name}:{port}"),
                server_name,
                tls,
                origin: options.origin.clone(),
            },
            token,
        })
    }

    /// A ticket, then the websocket with it.
    async fn connect(&self, after: i64) -> Result<SessionClient, ConnectFailure> {
        let url = format!("{}/api/v1/sessions/{}/ticket", self.base, self.session);
        let response = self
            .http
            .post(&url)
            .bearer_auth(self.token.as_str())
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = response.status();
        if !status.is_success() {
            let body: Value = response.json().await.unwrap_or_default();
            let detail = body["detail"].as_str().unwrap_or("no detail").to_owned();
            // Refused for who the caller is or what they asked for: retrying cannot help.
            let permanent = matches!(status.as_u16(), 400 | 401 | 403 | 404);
            return Err(ConnectFailure {
                error: anyhow::anyhow!("the server refused a ticket: {status}: {detail}"),
                permanent,
            });
        }
        let answer: TicketAnswer = response
            .json()
            .await
            .context("the server's ticket answer is not what this client understands")?;
        SessionClient::connect(&self.endpoint, &answer.path, &answer.ticket, after)
            .await
            .map_err(|error| ConnectFailure::from(anyhow::Error::new(error)))
    }
}

/// The CA file as the only root when given (as `draw contribute` does), else the platform's.
fn tls_config(ca: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    if let Some(ca) = ca {
        return Ok(crate::tls::client_config(ca)?);
    }
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        bail!("no usable CA certificates on this machine{why}; give --ca FILE");
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(crate::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn is_session_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Ids for requests without one. The server remembers an account's answered ids for the
/// whole session and answers a repeated one from that record without applying it, so each
/// run numbers its requests under its own random prefix.
struct RequestIds {
    prefix: String,
    next: u64,
}

impl RequestIds {
    fn new() -> anyhow::Result<Self> {
        let nonce = Rng::system()
            .bytes::<6>()
            .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
        Ok(Self {
            prefix: format!("c-{}", hex::encode(nonce)),
            next: 1,
        })
    }

    fn next(&mut self) -> String {
        let id = format!("{}-{}", self.prefix, self.next);
        self.next += 1;
        id
    }
}

enum Source {
    Stdin,
    File(std::fs::File),
}

/// Reads lines on a thread of their own: a blocking read of standard input cannot be
/// cancelled, and on a runtime's blocking pool it would hold the runtime's shutdown until the
/// user pressed Enter.
fn spawn_reader(source: Source) -> anyhow::Result<mpsc::Receiver<std::io::Result<String>>> {
    let (sender, receiver) = mpsc::channel(1);
    std::thread::Builder::new()
        .name("client-input".into())
        .spawn(move || {
            let lines: Box<dyn Iterator<Item = std::io::Result<String>>> = match source {
                Source::Stdin => Box::new(std::io::stdin().lock().lines()),
                Source::File(file) => Box::new(std::io::BufReader::new(file).lines()),
            };
            for line in lines {
                if sender.blocking_send(line).is_err() {
                    break;
                }
            }
        })
        .context("cannot start the input reader")?;
    Ok(receiver)
}

/// One JSON object on its own line of standard output.
fn emit(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let line = serde_json::to_string(value)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("cannot write to standard output")?;
    out.flush().context("cannot write to standard output")
}
