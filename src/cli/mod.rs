//! The `sealdraw` command line: the server and the operational tasks around it. This file
//! declares the commands and dispatches them, once; each group of commands is a module of its
//! own, with its arguments and what it does.

mod archive;
mod audit;
mod backup;
mod bench;
mod client;
mod demo;
mod draw;
mod keys;
mod pool;
mod server;
mod user;
mod witness;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup;

#[derive(Parser)]
#[command(
    name = "sealdraw",
    version,
    about = "Secure expert draw and remote evaluation server"
)]
pub(crate) struct Cli {
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
    /// Copy the embedded SQLite database while the server runs and verify the copy's audit
    /// log (PostgreSQL is backed up with pgBackRest: docs/OPERATIONS.md).
    Backup {
        /// The backup file to write (mode 0600); it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(user::UserCommand),
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
    Keys(keys::KeysCommand),
    /// The audit log: its key, export, and offline verification.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The expert pool.
    #[command(subcommand)]
    Pool(pool::PoolCommand),
    /// Demonstration data beyond the pool: a synthetic history for supervision's signals.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Run a witness (c2sp.org/tlog-witness) for an independent body, or manage its key.
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// Reproducible benchmarks; they print a Markdown report.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Evaluation archive packages: export one, or verify one offline.
    #[command(subcommand)]
    Archive(archive::ArchiveCommand),
    /// Draws: offline verification of a published draw record.
    #[command(subcommand)]
    Draw(draw::DrawCommand),
    /// Take part in an evaluation session from a terminal or a script (experts, venue
    /// operators, hosts, supervisors). The bearer token is read from SEALDRAW_TOKEN, never from
    /// the command line, where other users could see it. Prints one JSON object per line.
    Client(client::ClientArgs),
}

/// Exit status of `sealdraw draw verify` and `sealdraw audit verify` when the input cannot be
/// read or a key is unusable, as opposed to 1 for input that fails verification.
const EXIT_UNUSABLE_INPUT: u8 = 2;

pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let installation = || Installation::open(cli.config.as_deref());
    let finished = match cli.command {
        Command::Serve { dev } => server::serve(installation()?, dev),
        Command::Migrate => server::migrate(installation()?),
        Command::CheckConfig => server::check_config(installation()?),
        Command::Backup { out } => backup::run(installation()?, &out),
        Command::User(command) => user::run(installation()?, command),
        // The certificates need none of the settings, but the command has always loaded them.
        Command::DevCerts { out, clients } => {
            installation()?;
            server::dev_certs(&out, &clients)
        }
        Command::Keys(command) => keys::run(installation()?, command),
        Command::Audit(command) => return audit::run(installation()?, command),
        // Exporting needs the installation; verifying a package needs none of it.
        Command::Archive(command) => return archive::run(cli.config.as_deref(), command),
        Command::Pool(command) => pool::run(installation()?, command),
        Command::Demo(command) => demo::run(installation()?, command),
        Command::Witness(command) => witness::run(installation()?, command),
        Command::Bench(command) => bench::run(installation()?, command),
        // A draw is verified by people without a server, its settings or its keys…
        Command::Draw(command) => return Ok(draw::run(command)),
        // …and a session participant runs a client, not a server.
        Command::Client(args) => return client::run(args),
    };
    finished.map(|()| ExitCode::SUCCESS)
}

/// What the commands that work on this installation start from: its settings, and a runtime.
struct Installation {
    settings: Settings,
    runtime: tokio::runtime::Runtime,
}

impl Installation {
    fn open(config: Option<&Path>) -> anyhow::Result<Self> {
        let settings = Settings::load(config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        Ok(Self { settings, runtime })
    }
}

/// A vkey given inline or as a file holding it on its first line.
fn vkey_text(argument: &str) -> anyhow::Result<String> {
    let path = Path::new(argument);
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

/// `--suite intl|gm`.
fn parse_suite(name: &str) -> Result<crate::crypto::Suite, String> {
    crate::crypto::Suite::from_name(name)
        .ok_or_else(|| format!("{name:?} is not a suite: use intl or gm"))
}
