//! The `sealdraw` command line: the server and the operational tasks around it.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::audit::note::{CosignatureVerifier, NoteVerifier, WitnessPolicy};
use crate::audit::{Actor, AuditLog, export};
use crate::auth::{AuthService, NewAccountRequest, Role, totp};
use crate::clock::{Clock, SharedClock, SystemClock, to_rfc3339};
use crate::config::{Profile, Settings};
use crate::crypto::{KeyRing, Rng};
use crate::deps::Deps;
use crate::pool::PoolService;
use crate::pool::import::{self, Format};
use crate::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "sealdraw",
    version,
    about = "Secure expert draw and remote evaluation server"
)]
pub struct Cli {
    /// TOML settings file (also SEALDRAW_CONFIG); SEALDRAW__SECTION__KEY variables override it.
    #[arg(long, global = true, env = "SEALDRAW_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS server until SIGTERM or SIGINT.
    Serve {
        /// Development profile: generates certificates and keys, prints a bootstrap admin.
        #[arg(long)]
        dev: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the settings and explain every problem.
    CheckConfig,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Generate a development CA, server certificate and client certificate.
    DevCerts {
        #[arg(long, default_value = startup::DEV_CERT_DIR)]
        out: PathBuf,
        /// Client certificate common names to issue (trading-center systems).
        #[arg(long = "client", default_value = "dev-center")]
        clients: Vec<String>,
    },
    /// Manage the key file.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The audit log: its key, export, and offline verification.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The expert pool.
    #[command(subcommand)]
    Pool(PoolCommand),
    /// Run a witness (c2sp.org/tlog-witness) for an independent body, or manage its key.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Reproducible benchmarks; they print a Markdown report.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Draws: offline verification of a published draw record.
    #[command(subcommand)]
    Draw(DrawCommand),
    /// Take part in an evaluation session from a terminal or a script (experts, venue
    /// operators, hosts, supervisors). The bearer token is read from SEALDRAW_TOKEN, never from
    /// the command line, where other users could see it. Prints one JSON object per line.
    Client(ClientArgs),
}

#[derive(Args)]
struct ClientArgs {
    /// The server, e.g. https://sealdraw.example:8443
    #[arg(long)]
    server: String,
    /// PEM bundle of the CA(s) that issue the server's certificate: then the only roots
    /// trusted. Without it, the platform's roots.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// The session's id.
    #[arg(long)]
    session: String,
    /// Resume after this event number (events after it are replayed first).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    after: i64,
    /// An Origin header to send (only needed where the server checks one).
    #[arg(long)]
    origin: Option<String>,
    /// Run the commands of this file, each after the previous one is answered (as with
    /// standard input that is not a terminal).
    #[arg(long)]
    script: Option<PathBuf>,
    /// With a script: exit with status 1 at the first refused request or bad line.
    #[arg(long)]
    strict: bool,
}

#[derive(Subcommand)]
enum PoolCommand {
    /// Import experts from a CSV (header row) or JSON Lines file; all or nothing.
    Import {
        file: PathBuf,
        /// csv or jsonl; by default from the file name.
        #[arg(long)]
        format: Option<String>,
    },
    /// Load the official specialty classification (CSV: code,name), replacing the sample.
    Codes { file: PathBuf },
    /// Add a synthetic demonstration pool (never for real use).
    Demo {
        #[arg(long, default_value_t = 12_000)]
        count: usize,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the log's verifier key(s) in signed-note vkey form.
    Key,
    /// Sign pending entries, then write the checkpoint, keys, tiles and entry bundles to a directory.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify an export offline, trusting only the given log key (and witnesses). Exit 0
    /// verified, 1 verification failed, 2 cannot verify (a file missing or unreadable, a key
    /// unusable).
    Verify {
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// A checkpoint saved earlier; the export must extend it (repeatable).
        #[arg(long = "since")]
        since: Vec<PathBuf>,
    },
    /// Verify an export, then review every draw in it: tenders with more than one root draw,
    /// root draws without their result, and broken chains of draw-family entries. Exits 1 when
    /// it finds any (docs/DRAW-SPEC.md §9b).
    Draws {
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Verify a tlog-proof file offline.
    VerifyProof {
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// The entry's bytes; by default the entry carried in the proof.
        #[arg(long)]
        entry: Option<PathBuf>,
    },
}

#[derive(Args)]
struct TrustArgs {
    /// The log's verifier key (vkey text, or a file holding it); repeat during a key rotation.
    #[arg(long = "key", required = true)]
    keys: Vec<String>,
    /// A witness's cosignature verifier key (vkey text or file); repeatable.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned.
    #[arg(long, default_value_t = 0)]
    quorum: usize,
}

impl TrustArgs {
    fn log_keys(&self) -> anyhow::Result<Vec<NoteVerifier>> {
        self.keys
            .iter()
            .map(|key| Ok(vkey_text(key)?.parse()?))
            .collect()
    }

    fn policy(&self) -> anyhow::Result<Option<WitnessPolicy>> {
        if self.quorum == 0 {
            return Ok(None);
        }
        let witnesses = self
            .witnesses
            .iter()
            .map(|key| Ok(vkey_text(key)?.parse::<CosignatureVerifier>()?))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(WitnessPolicy::new(witnesses, self.quorum)?))
    }
}

/// A vkey given inline or as a file holding it on its first line.
fn vkey_text(argument: &str) -> anyhow::Result<String> {
    let path = std::path::Path::new(argument);
    if path.is_file() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {argument}"))?;
        return text
            .lines()
            .next()
            .map(str::to_owned)
            .with_context(|| format!("{argument} is empty"));
    }
    Ok(argument.to_owned())
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input, never from arguments.
    Add(UserAdd),
    /// Disable an account and end all its tokens.
    Disable { username: String },
    /// Re-enable a disabled account.
    Enable { username: String },
    /// Register a trading center's client certificate (PEM) to its center account.
    BindCert {
        username: String,
        #[arg(long)]
        cert: PathBuf,
    },
}

#[derive(Args)]
struct UserAdd {
    #[arg(long, value_enum)]
    role: Role,
    #[arg(long)]
    username: String,
    /// Center name (center accounts only).
    #[arg(long)]
    center: Option<String>,
    /// Administrative division code, e.g. 420100 (center accounts only).
    #[arg(long)]
    region: Option<String>,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new key file (refuses to overwrite one).
    Init {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Rotate the master sealing key while servers run: a new key becomes active and every
    /// value sealed under an older one is re-sealed.
    Rotate,
    /// Start a log key rotation: a new key signs beside the current one (restart to apply).
    RotateLog,
    /// End a rotation: the named log key stops signing (restart to apply).
    RetireLog { id: String },
}

/// Exit status of `sealdraw draw verify` and `sealdraw audit verify` when the input cannot be
/// read or a key is unusable, as opposed to 1 for input that fails verification.
const EXIT_UNUSABLE_INPUT: u8 = 2;

pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    // A draw is verified by people without a server, its settings or its keys.
    // …and a session participant runs a client, not a server.
    let command = match cli.command {
        Command::Draw(command) => return Ok(draw(command)),
        Command::Client(args) => return client(args),
        other => other,
    };
    let mut settings = Settings::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let finished = match command {
        Command::Serve { dev } => {
            if dev {
                settings.profile = Profile::Dev;
                if std::env::var_os("SEALDRAW__TELEMETRY__LOG_FORMAT").is_none() {
                    settings.telemetry.log_format = "pretty".into();
                }
            }
            crate::telemetry::init_logging(
                &settings.telemetry.log_filter,
                &settings.telemetry.log_format,
                std::io::stdout,
            );
            runtime.block_on(serve(settings))
        }
        Command::Migrate => runtime.block_on(async {
            settings.validate_database()?;
            startup::connect_store(&settings).await?;
            println!("migrations applied");
            Ok(())
        }),
        Command::CheckConfig => {
            settings.validate()?;
            println!(
                "settings are valid (profile {:?}, database {})",
                settings.profile,
                redacted_url(&settings)
            );
            Ok(())
        }
        Command::User(command) => runtime.block_on(user(settings, command)),
        Command::DevCerts { out, clients } => {
            let names: Vec<&str> = clients.iter().map(String::as_str).collect();
            let certificates = crate::tls::dev::generate(&out, &names, SystemClock.now_millis())
                .map_err(anyhow::Error::msg)?;
            println!(
                "wrote development certificates to {}",
                certificates.dir.display()
            );
            println!("  CA to trust: {}", certificates.ca().display());
            Ok(())
        }
        Command::Audit(command) => return runtime.block_on(audit(settings, command)),
        Command::Pool(command) => runtime.block_on(pool(settings, command)),
        Command::Keys(KeysCommand::Rotate) => runtime.block_on(rotate_sealing_key(settings)),
        Command::Keys(KeysCommand::RotateLog) => runtime.block_on(rotate_log_key(settings, None)),
        Command::Keys(KeysCommand::RetireLog { id }) => {
            runtime.block_on(rotate_log_key(settings, Some(id)))
        }
        Command::Bench(command) => runtime.block_on(bench(settings, command)),
        Command::Keys(KeysCommand::Init { file }) => {
            let path = file.unwrap_or_else(|| settings.key_file());
            KeyRing::init_file(&path, &Rng::system(), &to_rfc3339(SystemClock.now_millis()))?;
            println!(
                "created key file {} (mode 0600); keep it away from database backups",
                path.display()
            );
            Ok(())
        }
        Command::Witness(command) => witness(settings, command, &runtime),
        // Dispatched above, before the settings are loaded.
        Command::Draw(command) => return Ok(draw(command)),
        Command::Client(args) => return client(args),
    };
    finished.map(|()| ExitCode::SUCCESS)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let dev = settings.profile == Profile::Dev;
    let mut application = Application::build(settings, clock, Rng::system()).await?;
    if dev {
        let bootstrap = application.take_bootstrap_admin();
        startup::print_dev_banner(application.address(), bootstrap.as_ref());
    }
    application.run_until_stopped().await?;
    Ok(())
}

async fn rotate_sealing_key(settings: Settings) -> anyhow::Result<()> {
    let path = settings.key_file();
    let store = startup::connect_store(&settings).await?;
    let rng = Rng::system();
    let id = KeyRing::add_sealing_key(&path, &rng, &to_rfc3339(SystemClock.now_millis()))?;
    let keys = startup::load_keys(&settings)?;
    let mut resealed = crate::rotation::reseal_all(&store, &keys, &rng).await?;
    // Running servers notice the new key file within RELOAD_CHECK_INTERVAL; anything they
    // sealed under the old key before that is caught by a second pass.
    tokio::time::sleep(
        crate::crypto::keys::RELOAD_CHECK_INTERVAL + std::time::Duration::from_secs(1),
    )
    .await;
    resealed += crate::rotation::reseal_all(&store, &keys, &rng).await?;
    let mut tx = store.write().await?;
    let entry = crate::audit::AuditEntry::new(
        "keys.sealing_rotated",
        SystemClock.now_millis(),
        Actor::CommandLine,
    )
    .data("key_id", &id)
    .data("resealed", resealed);
    crate::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    println!("sealing key {id} is active; re-sealed {resealed} values under it");
    Ok(())
}

/// Adds a log key (`retire` = None) or retires one, and records the change in the log itself,
/// signed by the keys in force before the change, so verifiers learn the new key from a
/// record they already trust.
async fn rotate_log_key(settings: Settings, retire: Option<String>) -> anyhow::Result<()> {
    let path = settings.key_file();
    let clock = SystemClock;
    let store = startup::connect_store(&settings).await?;
    let before = command_line_log(&settings, &store)?;
    let (kind, id) = match retire {
        None => (
            "keys.log_key_added",
            KeyRing::add_log_key(&path, &Rng::system(), &to_rfc3339(clock.now_millis()))?,
        ),
        Some(id) => {
            KeyRing::retire_log_key(&path, &id)?;
            ("keys.log_key_retired", id)
        }
    };
    let after = command_line_log(&settings, &store)?;
    let mut tx = store.write().await?;
    let entry = crate::audit::AuditEntry::new(kind, clock.now_millis(), Actor::CommandLine)
        .data("key_id", &id)
        .data("signing_keys", after.vkeys().lines().collect::<Vec<_>>());
    crate::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    before.checkpoint_now().await?;
    println!("{kind}: {id}. The log now signs with:");
    print!("{}", after.vkeys());
    println!("Restart the servers to apply; publish the new key to supervisors and witnesses.");
    Ok(())
}

async fn pool(settings: Settings, command: PoolCommand) -> anyhow::Result<()> {
    let keys = Arc::new(startup::load_keys(&settings)?);
    let store = startup::connect_store(&settings).await?;
    let pool = PoolService::new(&Deps {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        rng: Rng::system(),
        keys,
    });
    pool.ensure_classification().await?;
    match command {
        PoolCommand::Import { file, format } => {
            let hint = format.map_or_else(|| file.display().to_string(), |f| format!(".{f}"));
            let format = Format::guess(&hint).context("say --format csv or --format jsonl")?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let known = pool.known_specialties().await?;
            match import::parse_file(&bytes, format, &known) {
                Ok(experts) => {
                    let summary = pool.import(experts, &bytes, Actor::CommandLine).await?;
                    println!(
                        "imported {} rows: {} new experts, {} updated",
                        summary.rows, summary.inserted, summary.updated
                    );
                }
                Err(problems) => {
                    for problem in &problems {
                        eprintln!(
                            "line {}{}: {}",
                            problem.line,
                            problem
                                .field
                                .as_deref()
                                .map(|f| format!(", {f}"))
                                .unwrap_or_default(),
                            problem.problem
                        );
                    }
                    bail!("{} problem(s); nothing was imported", problems.len());
                }
            }
        }
        PoolCommand::Demo { count } => {
            let summary = pool.seed_demo(&Rng::system(), count).await?;
            println!(
                "added a synthetic pool: {} new experts, {} updated",
                summary.inserted, summary.updated
            );
        }
        PoolCommand::Codes { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let mut codes = Vec::new();
            for (index, line) in text
                .lines()
                .enumerate()
                .skip(1)
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let (code, name) = line
                    .split_once(',')
                    .with_context(|| format!("line {}: expected code,name", index + 1))?;
                let code = crate::pool::validate::parse_specialty(code)
                    .map_err(|e| anyhow::anyhow!("line {}: {e}", index + 1))?;
                crate::text::check(name, crate::text::Lines::One)
                    .map_err(|e| anyhow::anyhow!("line {}: the name {e}", index + 1))?;
                codes.push((code, name.trim().to_owned()));
            }
            let mut tx = store.write().await?;
            tx.replace_specialty_codes(&codes, true).await?;
            let entry = crate::audit::AuditEntry::new(
                "pool.classification_loaded",
                SystemClock.now_millis(),
                Actor::CommandLine,
            )
            .data("codes", codes.len());
            crate::audit::append(&mut tx, &entry).await?;
            tx.commit().await?;
            println!(
                "loaded {} specialty codes as the official classification",
                codes.len()
            );
        }
    }
    Ok(())
}

/// The audit log as the command line appends to and signs it, with the keys the key file holds
/// now (which is what matters around a rotation).
fn command_line_log(settings: &Settings, store: &crate::store::Store) -> anyhow::Result<AuditLog> {
    let keys = startup::load_keys(settings)?;
    Ok(AuditLog::new(
        store.clone(),
        Arc::new(SystemClock),
        &keys,
        &settings.audit.origin,
    )?)
}

async fn audit(settings: Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Key => {
            let log = command_line_log(&settings, &startup::connect_store(&settings).await?)?;
            print!("{}", log.vkeys());
        }
        AuditCommand::Export { out } => {
            let log = command_line_log(&settings, &startup::connect_store(&settings).await?)?;
            let summary = export::export(&log, &out).await?;
            println!(
                "exported {} entries ({} files) to {}",
                summary.size,
                summary.files,
                out.display()
            );
        }
        AuditCommand::Verify { dir, trust, since } => {
            return Ok(audit_verify(&dir, &trust, &since));
        }
        AuditCommand::Draws { dir, trust } => {
            let report =
                export::verify_dir(&dir, &trust.log_keys()?, trust.policy()?.as_ref(), &[])?;
            let entries = export::read_entries(&dir, report.size)?;
            let review = crate::draw::log_review::review(&entries);
            println!("{review}");
            if !review.is_clean() {
                anyhow::bail!("the review of the log's draws found the problems listed above");
            }
        }
        AuditCommand::VerifyProof { file, trust, entry } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let entry = entry
                .map(|path| {
                    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
                })
                .transpose()?;
            let (index, size, _) =
                export::verify_proof_file(&text, &trust.log_keys()?, trust.policy()?, entry)?;
            println!("OK: entry {index} is in the log of size {size} signed by the given key");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sealdraw audit verify`. Exit 0 verified; 1 verification failed (an altered entry or tile, a
/// bad signature, a log that shrank or was rewritten); 2 cannot verify (a file missing or
/// unreadable, a key unusable), which says nothing either way.
fn audit_verify(dir: &std::path::Path, trust: &TrustArgs, since: &[PathBuf]) -> ExitCode {
    let inputs = || -> anyhow::Result<_> {
        let saved = since
            .iter()
            .map(|path| {
                std::fs::read_to_string(path).map_err(|source| export::ExportError::Read {
                    path: path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((saved, trust.log_keys()?, trust.policy()?))
    };
    let verified = inputs().and_then(|(saved, keys, policy)| {
        Ok(export::verify_dir(dir, &keys, policy.as_ref(), &saved)?)
    });
    match verified {
        Ok(report) => {
            println!(
                "OK: {} entries and {} hash tiles verify against the signed checkpoint (size {}, {} witness cosignatures){}",
                report.entries,
                report.hash_tiles,
                report.size,
                report.witnesses,
                if report.extends.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it extends the saved checkpoints of sizes {:?}",
                        report.extends
                    )
                }
            );
            ExitCode::SUCCESS
        }
        Err(error)
            if error
                .downcast_ref::<export::ExportError>()
                .is_none_or(export::ExportError::is_unreadable) =>
        {
            eprintln!("cannot verify: {error:#}");
            ExitCode::from(EXIT_UNUSABLE_INPUT)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

// `sealdraw bench`: arguments and dispatch; the measurements live in `crate::bench`.

#[derive(Subcommand)]
enum BenchCommand {
    /// The audit log: raw hash/signature/fsync limits, append throughput with checkpointing,
    /// offline verification of a large export, and proof sizes.
    Audit(AuditBenchArgs),
    /// The expert pool: import of 12,000 and 100,000 synthetic experts beside the raw cost of
    /// the sealing and blind-index cryptography each row needs.
    Pool(PoolBenchArgs),
    /// Whole draws over HTTPS (intent + the center's entropy) against a 12,000-expert demo
    /// pool at 1, 8 and 32 concurrent clients, beside the in-process filter-and-rank cost.
    Draw(DrawBenchArgs),
    /// Thousands of concurrent session websockets over TLS against `serve` child processes:
    /// server memory per idle connection, fan-out latency and events/s, on one instance and
    /// (with --postgres) two, beside a raw loopback round trip.
    Sessions(SessionsBenchArgs),
}

#[derive(Args)]
struct SessionsBenchArgs {
    /// Concurrent websocket connections (rounded down to whole sessions). Needs about as many
    /// open files beyond the default: run `ulimit -n $(ulimit -Hn)` first.
    #[arg(long, default_value_t = crate::bench::sessions::DEFAULT_CONNECTIONS)]
    connections: usize,
    /// Members per session (a supervisor who sends, a host, and experts): at least 2.
    #[arg(long, default_value_t = crate::bench::sessions::DEFAULT_SESSIONS_OF, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(2..))]
    sessions_of: usize,
    /// Also measure on PostgreSQL, with one and with two instances: a server URL; a fresh
    /// database is created per run and dropped.
    #[arg(long, env = "SEALDRAW_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Runs (each on fresh servers and databases); the report gives medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Where scratch databases, keys, certificates and server logs go (default: the system
    /// temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct DrawBenchArgs {
    /// Experts in the synthetic demo pool each run seeds.
    #[arg(long, default_value_t = crate::bench::draw::DEFAULT_EXPERTS)]
    experts: usize,
    /// Concurrent clients to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = crate::bench::draw::DEFAULT_CLIENTS)]
    clients: Vec<usize>,
    /// Timed draws per client count and run.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    draws: u64,
    /// Timed runs (each on a fresh server and database); the report gives medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Also measure on PostgreSQL: a server URL; a fresh database is created per run and dropped.
    #[arg(long, env = "SEALDRAW_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Where scratch databases, keys and certificates go (default: the system temporary
    /// directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct PoolBenchArgs {
    /// Pool sizes to import, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = crate::bench::pool::DEFAULT_SIZES)]
    sizes: Vec<usize>,
    /// Timed runs per size; the report gives medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Also measure on PostgreSQL: a server URL; a fresh database is created per run and dropped.
    #[arg(long, env = "SEALDRAW_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Where scratch databases go (default: the system temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct AuditBenchArgs {
    /// Entries appended per timed run, for each group-commit size B = 1, 16, 128.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    entries: u64,
    /// Timed runs per figure; the report gives medians.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Also measure on PostgreSQL: a server URL; a fresh database is created there and dropped.
    #[arg(long, env = "SEALDRAW_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Skip filling, exporting and verifying the large log (the slowest part).
    #[arg(long)]
    skip_verify: bool,
    /// Entries in the log that is exported and verified.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(2..))]
    verify_entries: u64,
    /// Where scratch databases and the export go (default: the system temporary directory);
    /// its filesystem decides what a durable commit costs.
    #[arg(long)]
    dir: Option<PathBuf>,
}

async fn bench(settings: Settings, command: BenchCommand) -> anyhow::Result<()> {
    let args = match command {
        BenchCommand::Audit(args) => args,
        BenchCommand::Pool(args) => return bench_pool(args).await,
        BenchCommand::Draw(args) => return bench_draw(args).await,
        BenchCommand::Sessions(args) => return bench_sessions(args).await,
    };
    let mut reproduce = format!(
        "sealdraw bench audit --entries {} --runs {} --verify-entries {}",
        args.entries, args.runs, args.verify_entries
    );
    push_postgres(&mut reproduce, args.postgres.as_deref());
    if args.skip_verify {
        reproduce.push_str(" --skip-verify");
    }
    if let Some(dir) = &args.dir {
        reproduce.push_str(&format!(" --dir {}", dir.display()));
    }
    let options = crate::bench::AuditBenchOptions {
        entries: args.entries,
        runs: args.runs,
        postgres: args.postgres,
        skip_verify: args.skip_verify,
        verify_entries: args.verify_entries,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        origin: settings.audit.origin.clone(),
        max_connections: settings.database.max_connections,
        acquire_timeout: std::time::Duration::from_secs(settings.database.acquire_timeout_secs),
        command: reproduce,
    };
    print!("{}", crate::bench::audit(&options).await?);
    Ok(())
}

async fn bench_draw(args: DrawBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.clients.is_empty() && !args.clients.contains(&0),
        "--clients needs one or more counts of at least 1"
    );
    let clients: Vec<String> = args.clients.iter().map(usize::to_string).collect();
    let mut reproduce = format!(
        "sealdraw bench draw --experts {} --clients {} --draws {} --runs {}",
        args.experts,
        clients.join(","),
        args.draws,
        args.runs
    );
    push_postgres(&mut reproduce, args.postgres.as_deref());
    let options = crate::bench::DrawBenchOptions {
        experts: args.experts,
        clients: args.clients,
        draws: args.draws,
        runs: args.runs,
        postgres: args.postgres,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        command: reproduce,
    };
    print!("{}", crate::bench::draw(&options).await?);
    Ok(())
}

async fn bench_sessions(args: SessionsBenchArgs) -> anyhow::Result<()> {
    let mut reproduce = format!(
        "sealdraw bench sessions --connections {} --sessions-of {} --runs {}",
        args.connections, args.sessions_of, args.runs
    );
    push_postgres(&mut reproduce, args.postgres.as_deref());
    let options = crate::bench::SessionsBenchOptions {
        connections: args.connections,
        sessions_of: args.sessions_of,
        postgres: args.postgres,
        runs: args.runs,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        command: reproduce,
    };
    print!("{}", crate::bench::sessions(&options).await?);
    Ok(())
}

/// The `--postgres` part of a benchmark's reproduce line, without the URL's password.
fn push_postgres(reproduce: &mut String, postgres: Option<&str>) {
    if let Some(url) = postgres {
        reproduce.push_str(&format!(
            " --postgres {}",
            crate::bench::redact_password(url)
        ));
    }
}

async fn bench_pool(args: PoolBenchArgs) -> anyhow::Result<()> {
    let sizes: Vec<String> = args.sizes.iter().map(usize::to_string).collect();
    let mut reproduce = format!(
        "sealdraw bench pool --sizes {} --runs {}",
        sizes.join(","),
        args.runs
    );
    push_postgres(&mut reproduce, args.postgres.as_deref());
    let options = crate::bench::PoolBenchOptions {
        sizes: args.sizes,
        runs: args.runs,
        postgres: args.postgres,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        command: reproduce,
    };
    print!("{}", crate::bench::pool(&options).await?);
    Ok(())
}

async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let rng = Rng::system();
    let keys = Arc::new(startup::load_keys(&settings)?);
    let store = startup::connect_store(&settings).await?;
    let deps = Deps {
        store,
        clock,
        rng,
        keys,
    };
    let auth = AuthService::new(&deps, settings.auth.clone())?;
    match command {
        UserCommand::Add(add) => {
            let password = read_password()?;
            let created = auth
                .create_account(
                    NewAccountRequest {
                        username: add.username.clone(),
                        role: add.role,
                        password: SecretString::from(password.as_str()),
                        center_name: add.center,
                        region_code: add.region,
                    },
                    Actor::CommandLine,
                )
                .await?;
            println!(
                "created {} account {:?} ({})",
                add.role.as_str(),
                add.username,
                created.account_id
            );
            if let Some(secret) = created.totp_secret {
                println!(
                    "TOTP secret (enrol it in an authenticator app now; it is not shown again):"
                );
                println!("  {}", totp::base32_secret(&secret).as_str());
                if let Some(uri) = totp::provisioning_uri(&secret, "sealdraw", &add.username) {
                    println!("  {}", uri.as_str());
                }
            }
        }
        UserCommand::Disable { username } => {
            auth.set_disabled(&username, true, Actor::CommandLine)
                .await?;
            println!("disabled {username:?}; its tokens have ended");
        }
        UserCommand::Enable { username } => {
            auth.set_disabled(&username, false, Actor::CommandLine)
                .await?;
            println!("enabled {username:?}");
        }
        UserCommand::BindCert { username, cert } => {
            let fingerprint = crate::tls::fingerprint_of_pem_file(&cert)?;
            auth.bind_certificate(&username, &fingerprint, Actor::CommandLine)
                .await?;
            println!(
                "bound certificate {} to {username:?}",
                hex::encode(fingerprint)
            );
        }
    }
    Ok(())
}

/// One line from standard input: typed at a terminal or piped from a secret store.
fn read_password() -> anyhow::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        eprint!("password (input is visible; prefer piping it): ");
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn redacted_url(settings: &Settings) -> String {
    let url = settings.database_url();
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url,
    }
}

// `sealdraw witness …`: everything of the witness's command line is in this block.

#[derive(Subcommand)]
enum WitnessCommand {
    /// Create the witness's key file (mode 0600; refuses to overwrite) and print its
    /// cosignature verifier key.
    Init {
        #[arg(long)]
        key: PathBuf,
        /// The witness's key name, e.g. witness.supervisor.example/w1.
        #[arg(long)]
        name: String,
    },
    /// Print the witness's cosignature verifier key (vkey), for logs and verifiers to trust.
    Key {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Serve POST /add-checkpoint over HTTPS until SIGTERM or SIGINT.
    Serve(WitnessServe),
    /// Print the latest checkpoint cosigned for each log, with this witness's cosignature, to
    /// compare with the checkpoint the log serves.
    Show {
        #[arg(
            long,
            env = "SEALDRAW_WITNESS_DATABASE",
            hide_env_values = true,
            default_value = "sqlite://witness.db"
        )]
        database: String,
    },
}

#[derive(Args)]
struct WitnessServe {
    #[arg(long, default_value = "127.0.0.1:8444")]
    listen: String,
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    name: String,
    /// The witness's own database (never the log's): sqlite://PATH or postgres://…
    #[arg(
        long,
        env = "SEALDRAW_WITNESS_DATABASE",
        hide_env_values = true,
        default_value = "sqlite://witness.db"
    )]
    database: String,
    /// A log to witness: its checkpoint origin and log verifier key. Repeat for more logs, and
    /// for both keys of a log during a key rotation.
    #[arg(long = "log", value_name = "ORIGIN=VKEY", required = true)]
    logs: Vec<crate::audit::witness::TrustedLog>,
    #[arg(long)]
    tls_cert: PathBuf,
    #[arg(long)]
    tls_key: PathBuf,
}

fn witness(
    settings: Settings,
    command: WitnessCommand,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    use crate::audit::note::{CosignatureSigner, CosignatureVerifier};
    use crate::audit::witness::{WitnessServer, WitnessServerSettings};
    use crate::crypto::witness_key;
    match command {
        WitnessCommand::Init { key, name } => {
            // Check the name before a key file exists that could not be used with it.
            CosignatureVerifier::new(&name, [0; 32])?;
            let signer = CosignatureSigner::new(
                &name,
                witness_key::init_witness_key(&key, &Rng::system())?,
            )?;
            eprintln!(
                "created witness key {} (mode 0600); keep a copy offline: a lost key is a new \
                 witness that every policy must be changed to trust",
                key.display()
            );
            println!("{}", signer.verifier());
            Ok(())
        }
        WitnessCommand::Key { key, name } => {
            let signer = CosignatureSigner::new(&name, witness_key::load_witness_key(&key)?)?;
            println!("{}", signer.verifier());
            Ok(())
        }
        WitnessCommand::Show { database } => runtime.block_on(async move {
            let store = crate::store::Store::connect(
                &database,
                &crate::store::ConnectOptions {
                    max_connections: 1,
                    acquire_timeout: std::time::Duration::from_secs(5),
                },
            )
            .await
            .context("cannot open the witness database")?;
            let states = crate::audit::witness::stored_states(&store).await?;
            if states.is_empty() {
                eprintln!("this witness has not cosigned any checkpoint yet");
            }
            for (origin, state) in states {
                println!("# {origin}: cosigned tree size {}", state.size);
                print!("{}", state.note);
                println!();
            }
            store.close().await;
            Ok(())
        }),
        WitnessCommand::Serve(serve) => {
            crate::telemetry::init_logging(
                &settings.telemetry.log_filter,
                &settings.telemetry.log_format,
                std::io::stdout,
            );
            let signer =
                CosignatureSigner::new(&serve.name, witness_key::load_witness_key(&serve.key)?)?;
            let clock: SharedClock = Arc::new(SystemClock);
            runtime.block_on(async move {
                let server = WitnessServer::build(
                    WitnessServerSettings {
                        listen: serve.listen,
                        database_url: SecretString::from(serve.database),
                        tls_cert: serve.tls_cert,
                        tls_key: serve.tls_key,
                        logs: serve.logs,
                        workers: 0,
                    },
                    signer,
                    clock,
                )
                .await?;
                server.run_until_stopped().await?;
                Ok(())
            })
        }
    }
}

fn client(args: ClientArgs) -> anyhow::Result<ExitCode> {
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    crate::session::console::run(
        crate::session::console::Options {
            server: args.server,
            ca: args.ca,
            session: args.session,
            after: args.after,
            origin: args.origin,
            script: args.script,
            strict: args.strict,
        },
        token,
    )
}

// `sealdraw draw …`: offline, so it needs neither settings nor a database nor the key file.

#[derive(Subcommand)]
enum DrawCommand {
    /// Verify a published draw record (GET /api/v1/draws/{id}/record) against the audit log's
    /// verifier key(s): the draw itself (DRAW-SPEC §9) and the log proofs of its intent, result
    /// and replacements (§9a). Exit 0 verified, 1 verification failed, 2 unusable input.
    Verify {
        /// The record's JSON file; `-` reads standard input.
        record: PathBuf,
        /// A log verifier key (vkey text, or a file holding it); repeat during a key rotation.
        #[arg(long = "vkey")]
        vkeys: Vec<String>,
        /// A file of log verifier keys, one per line, as `sealdraw audit key` prints them.
        #[arg(long = "vkey-file")]
        vkey_files: Vec<PathBuf>,
    },
    /// Contribute randomness to a draw from this machine's CSPRNG (the draw's center, or a
    /// supervisor). The bearer token is read from the SEALDRAW_TOKEN environment variable, never
    /// from the command line, where other users could see it.
    Contribute {
        /// The draw's id.
        draw_id: String,
        /// The server, e.g. https://sealdraw.example:8443
        #[arg(long)]
        server: String,
        /// PEM bundle of the CA(s) that issue the server's certificate: the only roots trusted.
        #[arg(long)]
        ca: PathBuf,
    },
}

fn draw(command: DrawCommand) -> ExitCode {
    let (record, vkeys, vkey_files) = match command {
        DrawCommand::Verify {
            record,
            vkeys,
            vkey_files,
        } => (record, vkeys, vkey_files),
        DrawCommand::Contribute {
            draw_id,
            server,
            ca,
        } => {
            return match contribute(&draw_id, &server, &ca) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    let input = read_record(&record).and_then(|bytes| {
        // Not JSON at all is unusable input (exit 2), like an unreadable file; a JSON record
        // of the wrong shape is a verification failure naming its field (exit 1).
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .with_context(|| format!("{} is not JSON", record.display()))?;
        Ok((bytes, draw_vkeys(&vkeys, &vkey_files)?))
    });
    let (bytes, verifiers) = match input {
        Ok(input) => input,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(EXIT_UNUSABLE_INPUT);
        }
    };
    let verified = crate::draw::published::AnyRecord::from_json(&bytes)
        .and_then(|record| record.verify(&verifiers));
    match verified {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}

/// 32 bytes from the operating system's generator, sent as hex; answers a one-line summary.
fn contribute(draw_id: &str, server: &str, ca: &std::path::Path) -> anyhow::Result<String> {
    let token = Zeroizing::new(
        std::env::var("SEALDRAW_TOKEN")
            .context("set SEALDRAW_TOKEN to your bearer token (from POST /api/v1/auth/login)")?,
    );
    if draw_id.is_empty()
        || !draw_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        bail!("{draw_id:?} is not a draw id");
    }
    let entropy = Rng::system()
        .bytes::<32>()
        .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config(ca)?)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("cannot build the HTTPS client")?;
    let url = format!(
        "{}/api/v1/draws/{draw_id}/entropy",
        server.trim_end_matches('/')
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, body) = runtime.block_on(async {
        let response = client
            .post(&url)
            .bearer_auth(token.as_str())
            .json(&serde_json::json!({ "entropy": hex::encode(entropy) }))
            .send()
            .await
            .with_context(|| format!("cannot reach {server}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        anyhow::Ok((status, body))
    })?;
    if !status.is_success() {
        bail!(
            "{status}: {}",
            body["detail"]
                .as_str()
                .unwrap_or("the server refused the contribution")
        );
    }
    let seats = body["seats"].as_array().map_or(0, Vec::len);
    Ok(format!(
        "contributed 32 random bytes to draw {draw_id}: status {}, {} contribution(s), {seats} \
         candidate seat(s)",
        body["status"].as_str().unwrap_or("?"),
        body["contributions"].as_array().map_or(0, Vec::len),
    ))
}

fn read_record(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read the record from standard input")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn draw_vkeys(vkeys: &[String], files: &[PathBuf]) -> anyhow::Result<Vec<NoteVerifier>> {
    let mut texts = vkeys
        .iter()
        .map(|key| vkey_text(key))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        texts.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        bail!("no log verifier key: give --vkey VKEY or --vkey-file FILE");
    }
    texts
        .iter()
        .map(|text| {
            text.parse()
                .with_context(|| format!("unusable verifier key {text:?}"))
        })
        .collect()
}
