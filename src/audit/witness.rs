//! Witnessing (c2sp.org/tlog-witness with c2sp.org/tlog-cosignature `cosignature/v1`), both
//! sides of the protocol.
//!
//! A witness is run by a body independent of the log's operator (a supervisory body). It keeps,
//! per log origin, the latest checkpoint it cosigned, and cosigns a new one only if a
//! consistency proof shows it extends that one. A log that deletes or rewrites entries after a
//! witness saw them can therefore not obtain that witness's cosignature again, and verifiers
//! whose policy requires a quorum of cosignatures reject its checkpoints.
//!
//! - [`AddCheckpointRequest`]: the `add-checkpoint` request body, parsed strictly.
//! - [`Witness`]: the checks, the cosigning and the state, in one transaction per request.
//! - [`WitnessServer`]: `POST /add-checkpoint` over HTTPS (`sealdraw witness serve`).
//! - [`WitnessPool`]: the log's side: the configured witnesses and one submission to one of
//!   them. [`super::log::AuditLog`] decides what to submit and keeps the cosignatures.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};

use super::checkpoint::{CheckpointError, open_checkpoint};
use super::merkle::{self, Hash};
use super::note::{
    CosignatureSigner, CosignatureVerifier, Note, NoteError, NoteSignature, NoteVerifier,
};
use crate::clock::{Millis, SharedClock};
use crate::config::AuditSettings;
use crate::store::{ConnectOptions, Store, StoreError};
use crate::tls::{self, TlsOptions};

/// tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
pub(crate) const MAX_PROOF_LINES: usize = 63;
/// A request is an old-size line, at most 63 proof lines of 45 bytes and a checkpoint note. A
/// checkpoint with a few dozen signatures fits in a few kilobytes; this leaves ample room while
/// bounding what an unauthenticated client can make the witness read.
pub(crate) const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The body of a 409 answer: the witness's latest cosigned size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
/// Cosignature lines from one witness; the log reads no more than this from an answer.
const MAX_RESPONSE_BYTES: usize = 16 * 1024;
const TEXT: &str = "text/plain; charset=utf-8";

// ---------------------------------------------------------------------------------------------
// The request body
// ---------------------------------------------------------------------------------------------

/// An `add-checkpoint` request: `old <size>`, the consistency proof lines, an empty line, then
/// the signed checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim (not yet verified).
    pub checkpoint: String,
}

/// Why a request body is malformed; each message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RequestError {
    #[error("the request body is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    #[error("the request body is not UTF-8 text")]
    NotUtf8,
    #[error(
        "the first line must be `old <size>`: \"old\", one space and a decimal size without \
         leading zeroes, ending in a newline"
    )]
    OldLine,
    #[error("consistency proof line {0} is not the base64 encoding of a 32-byte hash")]
    ProofLine(usize),
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    #[error("no empty line separates the consistency proof from the checkpoint")]
    MissingSeparator,
    #[error("no checkpoint follows the empty line")]
    MissingCheckpoint,
}

impl AddCheckpointRequest {
    /// Parses a request body strictly: every line ends in a newline, sizes are canonical
    /// decimals and hashes canonical padded base64.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, RequestError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::TooLarge);
        }
        let body = std::str::from_utf8(body).map_err(|_| RequestError::NotUtf8)?;
        let (old_line, mut rest) = body.split_once('\n').ok_or(RequestError::OldLine)?;
        let old_size = old_line
            .strip_prefix("old ")
            .and_then(parse_size)
            .ok_or(RequestError::OldLine)?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or(RequestError::MissingSeparator)?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            proof.push(decode_hash(line).ok_or(RequestError::ProofLine(proof.len() + 1))?);
        }
        if rest.is_empty() {
            return Err(RequestError::MissingCheckpoint);
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }

    /// The request body; [`AddCheckpointRequest::parse`] reads it back.
    pub fn format(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&BASE64.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }
}

/// A decimal without sign, spaces or leading zeroes (unless it is `0`), fitting 64 bits.
fn parse_size(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The standard engine refuses missing padding and non-zero trailing bits, so each hash has
/// one spelling.
fn decode_hash(line: &str) -> Option<Hash> {
    BASE64.decode(line).ok()?.try_into().ok()
}

// ---------------------------------------------------------------------------------------------
// The witness
// ---------------------------------------------------------------------------------------------

/// A log the witness follows, given as `ORIGIN=VKEY`: the checkpoint origin line and a log
/// verifier key (type 0x01) that signs its checkpoints. Give one per key during a rotation.
/// The origin is everything before the first `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedLog {
    pub origin: String,
    pub key: NoteVerifier,
}

impl FromStr for TrustedLog {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (origin, vkey) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?} is not ORIGIN=VKEY"))?;
        if origin.is_empty() || origin.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!(
                "origin {origin:?} must be non-empty, without spaces or control characters"
            ));
        }
        let key = vkey
            .parse()
            .map_err(|e: NoteError| format!("log key for {origin}: {e}"))?;
        Ok(Self {
            origin: origin.to_owned(),
            key,
        })
    }
}

/// Why the witness refused a request; [`AddCheckpointError::status`] is the tlog-witness
/// status code for each.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AddCheckpointError {
    #[error("{0}")]
    Malformed(String),
    #[error("this witness does not follow the log {0:?}")]
    UnknownOrigin(String),
    #[error("the checkpoint carries no valid signature by a key trusted for its origin")]
    Forbidden,
    #[error("the old size does not match the latest cosigned size, {size}")]
    Conflict { size: u64 },
    #[error("{0}")]
    Inconsistent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cosigning failed: {0}")]
    Signing(String),
}

impl AddCheckpointError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::UnknownOrigin(_) => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Inconsistent(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store(_) | Self::Signing(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnknownOrigin(_) => "unknown_origin",
            Self::Forbidden => "forbidden",
            Self::Conflict { .. } => "conflict",
            Self::Inconsistent(_) => "inconsistent",
            Self::Store(_) | Self::Signing(_) => "internal",
        }
    }
}

impl From<RequestError> for AddCheckpointError {
    fn from(error: RequestError) -> Self {
        Self::Malformed(error.to_string())
    }
}

/// What the witness last cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessState {
    pub size: u64,
    pub root: Hash,
    /// The checkpoint note as submitted, followed by this witness's cosignature.
    pub note: String,
}

pub struct Witness {
    store: Store,
    clock: SharedClock,
    signer: CosignatureSigner,
    logs: HashMap<String, Vec<NoteVerifier>>,
}

impl Witness {
    pub(crate) fn new(
        store: Store,
        clock: SharedClock,
        signer: CosignatureSigner,
        logs: Vec<TrustedLog>,
    ) -> anyhow::Result<Self> {
        if logs.is_empty() {
            anyhow::bail!("a witness needs at least one log to follow (--log ORIGIN=VKEY)");
        }
        let mut by_origin: HashMap<String, Vec<NoteVerifier>> = HashMap::new();
        for log in logs {
            let keys = by_origin.entry(log.origin.clone()).or_default();
            // Two keys answering to one name and key id would make signatures ambiguous.
            if keys
                .iter()
                .any(|k| k.name() == log.key.name() && k.key_id() == log.key.key_id())
            {
                anyhow::bail!(
                    "log {} lists the key {} twice (or two keys share a name and key id)",
                    log.origin,
                    log.key
                );
            }
            keys.push(log.key);
        }
        Ok(Self {
            store,
            clock,
            signer,
            logs: by_origin,
        })
    }

    /// This witness's cosignature verifier key, for the logs' and verifiers' configuration.
    pub(crate) fn verifier(&self) -> CosignatureVerifier {
        self.signer.verifier()
    }

    /// Handles one `add-checkpoint` request body and returns the cosignature line(s).
    ///
    /// The checks run in the order tlog-witness lists them. Reading the stored state, checking
    /// the request against it and storing the new state happen in one transaction that holds
    /// the state's lock, so two concurrent requests cannot roll the state back.
    pub(crate) async fn add_checkpoint(&self, body: &[u8]) -> Result<String, AddCheckpointError> {
        let result = self.check_and_cosign(body).await;
        let outcome = match &result {
            Ok(_) => "cosigned",
            Err(error) => error.label(),
        };
        metrics::counter!("witness_requests_total", "outcome" => outcome).increment(1);
        result
    }

    async fn check_and_cosign(&self, body: &[u8]) -> Result<String, AddCheckpointError> {
        let request = AddCheckpointRequest::parse(body)?;
        let note = Note::parse(&request.checkpoint)
            .map_err(|e| AddCheckpointError::Malformed(format!("checkpoint note: {e}")))?;
        let origin = note.text.split('\n').next().unwrap_or_default();
        let keys = self
            .logs
            .get(origin)
            .ok_or_else(|| AddCheckpointError::UnknownOrigin(origin.to_owned()))?;
        let verified = open_checkpoint(&request.checkpoint, origin, keys, None).map_err(
            |error| match error {
                CheckpointError::Note(
                    NoteError::NoTrustedSignature | NoteError::BadSignature { .. },
                ) => AddCheckpointError::Forbidden,
                other => AddCheckpointError::Malformed(format!("checkpoint: {other}")),
            },
        )?;
        let checkpoint = verified.checkpoint();
        // The log's suite is its key's: SM2-signed logs hash with SM3.
        let suite = crate::audit::proof::suite_of(keys)
            .map_err(|e| AddCheckpointError::Malformed(e.to_string()))?;
        let (old, new) = (request.old_size, checkpoint.size);
        if old > new {
            return Err(AddCheckpointError::Malformed(format!(
                "the old size {old} exceeds the checkpoint's size {new}"
            )));
        }
        if old == 0 && !request.proof.is_empty() {
            return Err(AddCheckpointError::Malformed(
                "the consistency proof must be empty when the old size is 0".into(),
            ));
        }

        let mut tx = self.store.write().await?;
        let state = tx
            .lock_witness_state(origin, &merkle::empty_root(suite))
            .await?;
        let stored_size = u64::try_from(state.size)
            .map_err(|_| StoreError::Corrupt("negative witness state size".into()))?;
        let stored_root: Hash = state
            .root
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("witness state root is not 32 bytes".into()))?;
        if old != stored_size {
            return Err(AddCheckpointError::Conflict { size: stored_size });
        }
        if old == new && stored_root != checkpoint.root {
            tracing::warn!(
                origin,
                size = new,
                stored_root = %BASE64.encode(stored_root),
                submitted_root = %BASE64.encode(checkpoint.root),
                "validly signed checkpoint with the cosigned size but another root: the log forked"
            );
            return Err(AddCheckpointError::Conflict { size: stored_size });
        }
        if let Err(error) = merkle::verify_consistency(
            suite,
            old,
            new,
            &stored_root,
            &checkpoint.root,
            &request.proof,
        ) {
            // Keep the evidence: the log signed a tree that does not extend what it showed before.
            tracing::warn!(
                origin,
                old,
                new,
                stored_root = %BASE64.encode(stored_root),
                submitted_root = %BASE64.encode(checkpoint.root),
                %error,
                "validly signed checkpoint is not consistent with the cosigned one"
            );
            return Err(AddCheckpointError::Inconsistent(format!(
                "the consistency proof from {old} to {new} does not verify: {error}"
            )));
        }

        let timestamp = u64::try_from(self.clock.now_millis().div_euclid(1000)).unwrap_or(0);
        let cosignature = self
            .signer
            .cosign(verified.note().text(), timestamp)
            .map_err(|e| AddCheckpointError::Signing(e.to_string()))?
            .to_line();
        let evidence = format!("{}{cosignature}", request.checkpoint);
        tx.set_witness_state(origin, new, &checkpoint.root, &evidence)
            .await?;
        // tlog-witness: the new state must be persisted before answering.
        tx.commit().await?;
        tracing::info!(origin, old, new, "cosigned checkpoint");
        Ok(cosignature)
    }

    /// What the witness last cosigned for `origin`, if anything.
    pub async fn state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        let mut tx = self.store.read().await?;
        let row = tx.witness_state(origin).await?;
        tx.rollback().await?;
        row.map(WitnessState::from_row).transpose()
    }
}

impl WitnessState {
    fn from_row(row: crate::store::audit::WitnessStateRow) -> Result<Self, StoreError> {
        Ok(Self {
            size: u64::try_from(row.size)
                .map_err(|_| StoreError::Corrupt("negative witness state size".into()))?,
            root: row
                .root
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("witness state root is not 32 bytes".into()))?,
            note: row.note,
        })
    }
}

/// Every log a witness database holds a cosigned checkpoint for, by origin: what the
/// supervisory body compares with the checkpoint the log serves (`sealdraw witness show`).
pub(crate) async fn stored_states(
    store: &Store,
) -> Result<Vec<(String, WitnessState)>, StoreError> {
    let mut tx = store.read().await?;
    let rows = tx.witness_states().await?;
    tx.rollback().await?;
    rows.into_iter()
        .map(|(origin, row)| Ok((origin, WitnessState::from_row(row)?)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The witness's HTTPS server
// ---------------------------------------------------------------------------------------------

/// What `sealdraw witness serve` needs besides the key.
pub struct WitnessServerSettings {
    /// `IP:port`; port 0 picks a free port (tests).
    pub listen: String,
    /// `sqlite://PATH` or `postgres://…`: the witness's own database, never the log's.
    pub database_url: SecretString,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub logs: Vec<TrustedLog>,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
}

/// `POST /add-checkpoint` over HTTPS, built like the API server's `Application`: `build` binds
/// (port 0 in tests), `run_until_stopped` serves until SIGTERM/SIGINT or a stop. It shares the
/// API server's middleware ([`crate::web`]).
pub struct WitnessServer {
    address: SocketAddr,
    server: Server,
    witness: web::Data<Witness>,
}

impl WitnessServer {
    pub async fn build(
        settings: WitnessServerSettings,
        signer: CosignatureSigner,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let url = settings.database_url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            anyhow::bail!("the witness database URL must start with sqlite: or postgres://");
        }
        let store = Store::connect(
            url,
            &ConnectOptions {
                max_connections: 8,
                acquire_timeout: Duration::from_secs(5),
            },
            // The witness appends nothing to a log of its own; each checkpoint is hashed in
            // its log's suite (above).
            signer.suite(),
        )
        .await
        .context("cannot connect to the witness database")?;
        store
            .migrate()
            .await
            .context("cannot apply migrations to the witness database")?;
        let witness = web::Data::new(Witness::new(store, clock, signer, settings.logs)?);
        let tls_config = tls::server_config(&TlsOptions {
            cert: &settings.tls_cert,
            key: &settings.tls_key,
            tls13_only: false,
            client_ca: None,
        })?;

        let state = witness.clone();
        let mut http_server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_REQUEST_BYTES))
                .route("/add-checkpoint", web::post().to(add_checkpoint_route))
                .default_service(web::to(not_found))
                .wrap(actix_web::middleware::from_fn(
                    crate::web::request_id::middleware,
                ))
                .wrap(crate::web::security_headers())
        })
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(2))
        .tls_handshake_timeout(Duration::from_secs(5))
        .keep_alive(Duration::from_secs(30))
        .max_connections(1_000)
        .shutdown_timeout(10);
        if settings.workers > 0 {
            http_server = http_server.workers(settings.workers);
        }
        let http_server = http_server
            .bind_rustls_0_23(&settings.listen, tls_config)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        // Cannot panic: a successful bind has at least one address.
        let address = http_server.addrs()[0];
        tracing::info!(%address, witness = %witness.verifier(), "witness listening");
        Ok(Self {
            address,
            server: http_server.run(),
            witness,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The witness itself, for in-process callers such as tests.
    pub fn witness(&self) -> web::Data<Witness> {
        self.witness.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.witness.store.close().await;
        tracing::info!("witness stopped");
        result
    }
}

async fn add_checkpoint_route(witness: web::Data<Witness>, body: web::Bytes) -> HttpResponse {
    match witness.add_checkpoint(&body).await {
        Ok(cosignatures) => HttpResponse::Ok().content_type(TEXT).body(cosignatures),
        Err(AddCheckpointError::Conflict { size }) => {
            tracing::info!(
                size,
                "add-checkpoint refused: the old size is not the cosigned size"
            );
            HttpResponse::Conflict()
                .content_type(SIZE_CONTENT_TYPE)
                .body(format!("{size}\n"))
        }
        Err(error) if error.status().is_server_error() => {
            tracing::error!(%error, "add-checkpoint failed");
            HttpResponse::InternalServerError()
                .content_type(TEXT)
                .body("the witness could not process the request\n")
        }
        Err(error) => {
            tracing::info!(%error, status = error.status().as_u16(), "add-checkpoint refused");
            HttpResponse::build(error.status())
                .content_type(TEXT)
                .body(format!("{error}\n"))
        }
    }
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type(TEXT)
        .body("the witness serves only POST /add-checkpoint\n")
}

// ---------------------------------------------------------------------------------------------
// The log's side: submitting checkpoints to witnesses
// ---------------------------------------------------------------------------------------------

/// One configured witness.
pub(crate) struct RemoteWitness {
    verifier: CosignatureVerifier,
    /// The full `…/add-checkpoint` URL.
    endpoint: String,
    /// The tree size this witness last cosigned or reported, as far as this process knows.
    known_size: Mutex<Option<u64>>,
    /// When a submission to it last failed (injected clock), to space out retries.
    last_failure: Mutex<Option<Millis>>,
}

impl RemoteWitness {
    pub(crate) fn name(&self) -> &str {
        self.verifier.name()
    }

    pub(crate) fn known_size(&self) -> Option<u64> {
        *self
            .known_size
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_known_size(&self, size: u64) {
        *self
            .known_size
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(size);
    }

    pub(crate) fn last_failure(&self) -> Option<Millis> {
        *self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_last_failure(&self, at: Option<Millis>) {
        *self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = at;
    }
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubmitError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the witness: {0}")]
    Transport(String),
    #[error("the witness has cosigned size {size} and refuses the old size sent")]
    Conflict { size: u64 },
    #[error("the witness refused with status {status}: {reason}")]
    Refused { status: u16, reason: String },
    #[error("the witness's answer is not acceptable: {0}")]
    InvalidResponse(String),
    #[error("cannot prepare the submission: {0}")]
    Local(String),
}

impl SubmitError {
    /// A bounded label for metrics.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Transport(_) => "transport",
            Self::Conflict { .. } => "conflict",
            Self::Refused { .. } => "refused",
            Self::InvalidResponse(_) => "invalid_response",
            Self::Local(_) => "local",
        }
    }
}

/// The witnesses a log submits its checkpoints to, with the HTTPS client that reaches them.
pub(crate) struct WitnessPool {
    client: reqwest::Client,
    witnesses: Vec<RemoteWitness>,
    quorum: usize,
    timeout: Duration,
}

impl WitnessPool {
    /// From `[audit]` settings (already validated); `None` when no witness is configured.
    pub(crate) fn from_settings(settings: &AuditSettings) -> anyhow::Result<Option<Self>> {
        if settings.witnesses.is_empty() {
            return Ok(None);
        }
        let ca = settings
            .witness_ca
            .as_deref()
            .context("audit.witness_ca is required when witnesses are configured")?;
        let tls_config = tls::client_config(ca)?;
        let timeout = Duration::from_secs(settings.witness_timeout_secs);
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .context("cannot build the witness HTTPS client")?;
        let mut witnesses = Vec::with_capacity(settings.witnesses.len());
        for witness in &settings.witnesses {
            let verifier: CosignatureVerifier = witness
                .vkey
                .parse()
                .with_context(|| format!("audit.witnesses {}: vkey", witness.name))?;
            witnesses.push(RemoteWitness {
                verifier,
                endpoint: format!("{}/add-checkpoint", witness.url.trim_end_matches('/')),
                known_size: Mutex::new(None),
                last_failure: Mutex::new(None),
            });
        }
        Ok(Some(Self {
            client,
            witnesses,
            quorum: settings.witness_quorum,
            timeout,
        }))
    }

    pub(crate) fn witnesses(&self) -> &[RemoteWitness] {
        &self.witnesses
    }

    pub(crate) fn quorum(&self) -> usize {
        self.quorum
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether `note` carries a signature line claiming to be from `witness` (verified when it
    /// was added).
    pub(crate) fn has_cosigned(witness: &RemoteWitness, note: &Note) -> bool {
        note.signatures.iter().any(|s| witness.verifier.matches(s))
    }

    /// One `add-checkpoint` call. Returns the witness's cosignatures on the checkpoint, each
    /// verified with the witness's key; lines from other keys are ignored, as the spec asks.
    pub(crate) async fn add_checkpoint(
        &self,
        witness: &RemoteWitness,
        request: &AddCheckpointRequest,
    ) -> Result<Vec<NoteSignature>, SubmitError> {
        let submitted = Note::parse(&request.checkpoint)
            .map_err(|e| SubmitError::Local(format!("the checkpoint note: {e}")))?;
        let mut response = self
            .client
            .post(&witness.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(request.format())
            .send()
            .await
            .map_err(|e| SubmitError::Transport(error_chain(&e)))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SubmitError::Transport(error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(SubmitError::InvalidResponse(format!(
                    "the answer exceeds {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status == reqwest::StatusCode::CONFLICT {
            let size = std::str::from_utf8(&body)
                .ok()
                .and_then(|text| text.strip_suffix('\n'))
                .and_then(parse_size)
                .ok_or_else(|| {
                    SubmitError::InvalidResponse("a 409 answer without a tree size".into())
                })?;
            return Err(SubmitError::Conflict { size });
        }
        if status != reqwest::StatusCode::OK {
            return Err(SubmitError::Refused {
                status: status.as_u16(),
                reason: printable_reason(&body),
            });
        }
        let lines = std::str::from_utf8(&body)
            .map_err(|_| SubmitError::InvalidResponse("the answer is not UTF-8".into()))?;
        // The spec's suggestion: append the answer to the checkpoint and parse it as a note.
        let answered = Note::parse(&format!("{}{lines}", request.checkpoint))
            .map_err(|e| SubmitError::InvalidResponse(format!("cosignature lines: {e}")))?;
        let mut cosignatures = Vec::new();
        for signature in answered.signatures.iter().skip(submitted.signatures.len()) {
            if !witness.verifier.matches(signature) {
                continue;
            }
            witness
                .verifier
                .verify(&answered.text, signature)
                .map_err(|e| SubmitError::InvalidResponse(e.to_string()))?;
            cosignatures.push(signature.clone());
        }
        if cosignatures.is_empty() {
            return Err(SubmitError::InvalidResponse(
                "no cosignature by the configured witness key".into(),
            ));
        }
        Ok(cosignatures)
    }
}

/// reqwest's top-level message hides the cause (refused connection, certificate not trusted).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The first line of a refusal, short and without control characters, for the log.
fn printable_reason(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    const NOTE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

    #[test]
    fn parses_the_spec_example() {
        let body = format!(
            "old 20852014\n\
             PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
             jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
             5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
             /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
             \n{NOTE}"
        );
        let request = AddCheckpointRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(request.old_size, 20_852_014);
        assert_eq!(request.proof.len(), 4);
        assert_eq!(
            BASE64.encode(request.proof[3]),
            "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0="
        );
        assert_eq!(request.checkpoint, NOTE);
        assert_eq!(request.format(), body);
    }

    #[test]
    fn an_empty_proof_and_size_zero_round_trip() {
        let request = AddCheckpointRequest {
            old_size: 0,
            proof: Vec::new(),
            checkpoint: NOTE.into(),
        };
        let body = request.format();
        assert!(body.starts_with("old 0\n\nexample.com/"));
        assert_eq!(
            AddCheckpointRequest::parse(body.as_bytes()).unwrap(),
            request
        );
        let max = AddCheckpointRequest {
            old_size: u64::MAX,
            proof: vec![[7; 32]; MAX_PROOF_LINES],
            checkpoint: NOTE.into(),
        };
        assert_eq!(
            AddCheckpointRequest::parse(max.format().as_bytes()).unwrap(),
            max
        );
    }

    #[test]
    fn malformed_bodies_are_refused_with_the_reason() {
        use RequestError::*;
        let proof_line = format!("{ROOT}\n");
        let cases: Vec<(Vec<u8>, RequestError)> = vec![
            (b"".to_vec(), OldLine),
            (b"old 5".to_vec(), OldLine),
            (format!("old\n\n{NOTE}").into(), OldLine),
            (format!("old  5\n\n{NOTE}").into(), OldLine),
            (format!("old 05\n\n{NOTE}").into(), OldLine),
            (format!("old +5\n\n{NOTE}").into(), OldLine),
            (format!("old -1\n\n{NOTE}").into(), OldLine),
            (format!("old 5 \n\n{NOTE}").into(), OldLine),
            (format!("old 5\r\n\n{NOTE}").into(), OldLine),
            (format!("OLD 5\n\n{NOTE}").into(), OldLine),
            (
                format!("old 18446744073709551616\n\n{NOTE}").into(),
                OldLine,
            ),
            (format!("new 5\n\n{NOTE}").into(), OldLine),
            (b"old 5\n".to_vec(), MissingSeparator),
            (format!("old 5\n{ROOT}").into(), MissingSeparator),
            (format!("old 5\n{proof_line}").into(), MissingSeparator),
            (b"old 5\n\n".to_vec(), MissingCheckpoint),
            (format!("old 5\nnot base64\n\n{NOTE}").into(), ProofLine(1)),
            (
                format!("old 5\n{proof_line}{}\n\n{NOTE}", &ROOT[4..]).into(),
                ProofLine(2),
            ),
            (
                format!("old 5\n{}\n\n{NOTE}", ROOT.trim_end_matches('=')).into(),
                ProofLine(1),
            ),
            // Non-zero trailing bits: a second spelling of (almost) the same hash.
            (
                format!("old 5\n{}J=\n\n{NOTE}", &ROOT[..ROOT.len() - 2]).into(),
                ProofLine(1),
            ),
            (format!("old 5\n{ROOT} \n\n{NOTE}").into(), ProofLine(1)),
            (
                format!("old 5\n{}\n{NOTE}", proof_line.repeat(MAX_PROOF_LINES + 1)).into(),
                TooManyProofLines,
            ),
            (vec![b'o', b'l', b'd', b' ', 0xff, b'\n'], NotUtf8),
            (
                format!("old 5\n\n{}", "a".repeat(MAX_REQUEST_BYTES)).into(),
                TooLarge,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                AddCheckpointRequest::parse(&body),
                Err(expected.clone()),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
            assert!(!expected.to_string().is_empty());
        }
    }

    #[test]
    fn trusted_logs_parse_from_the_command_line_form() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let log: TrustedLog = format!("example.com/log={vkey}").parse().unwrap();
        assert_eq!(log.origin, "example.com/log");
        assert_eq!(log.key.to_string(), vkey);
        for bad in [
            "example.com/log",
            &format!("={vkey}"),
            &format!("a b={vkey}"),
            "example.com/log=not-a-key",
        ] {
            assert!(bad.parse::<TrustedLog>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn refusal_reasons_are_short_and_printable() {
        let reason = printable_reason(b"bad\x1b[31m thing\nsecond line");
        assert_eq!(reason, "bad[31m thing");
        assert_eq!(printable_reason(&[b'x'; 1000]).len(), 200);
    }
}
