//! The `sealdraw` command line: the server and the operational tasks around it.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
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
    /// Reproducible benchmarks; they print a Markdown report.
    #[command(subcommand)]
    Bench(BenchCommand),
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
    /// Verify an export offline, trusting only the given log key (and witnesses).
    Verify {
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// A checkpoint saved earlier; the export must extend it (repeatable).
        #[arg(long = "since")]
        since: Vec<PathBuf>,
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
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
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
            let certificates =
                crate::tls::dev::generate(&out, &names).map_err(anyhow::Error::msg)?;
            println!(
                "wrote development certificates to {}",
                certificates.dir.display()
            );
            println!("  CA to trust: {}", certificates.ca().display());
            Ok(())
        }
        Command::Audit(command) => runtime.block_on(audit(settings, command)),
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
    }
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

async fn audit(settings: Settings, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Key => {
            let keys = startup::load_keys(&settings)?;
            let store = startup::connect_store(&settings).await?;
            let log = AuditLog::new(store, Arc::new(SystemClock), &keys, &settings.audit.origin)?;
            print!("{}", log.vkeys());
        }
        AuditCommand::Export { out } => {
            let keys = startup::load_keys(&settings)?;
            let store = startup::connect_store(&settings).await?;
            let log = AuditLog::new(store, Arc::new(SystemClock), &keys, &settings.audit.origin)?;
            let summary = export::export(&log, &out).await?;
            println!(
                "exported {} entries ({} files) to {}",
                summary.size,
                summary.files,
                out.display()
            );
        }
        AuditCommand::Verify { dir, trust, since } => {
            let saved = since
                .iter()
                .map(|path| {
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let report =
                export::verify_dir(&dir, &trust.log_keys()?, trust.policy()?.as_ref(), &saved)?;
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
    Ok(())
}

// `sealdraw bench`: arguments and dispatch; the measurements live in `crate::bench`.

#[derive(Subcommand)]
enum BenchCommand {
    /// The audit log: raw hash/signature/fsync limits, append throughput with checkpointing,
    /// offline verification of a large export, and proof sizes.
    Audit(AuditBenchArgs),
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
    let BenchCommand::Audit(args) = command;
    let mut reproduce = format!(
        "sealdraw bench audit --entries {} --runs {} --verify-entries {}",
        args.entries, args.runs, args.verify_entries
    );
    if let Some(url) = &args.postgres {
        reproduce.push_str(&format!(
            " --postgres {}",
            crate::bench::redact_password(url)
        ));
    }
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

async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let rng = Rng::system();
    let keys = Arc::new(startup::load_keys(&settings)?);
    let store = startup::connect_store(&settings).await?;
    let auth = AuthService::new(store, clock, rng, keys, settings.auth.clone())?;
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
