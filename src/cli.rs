//! The `sealdraw` command line: the server and the operational tasks around it.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::audit::Actor;
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
    /// Run a witness (c2sp.org/tlog-witness) for an independent body, or manage its key.
    #[command(subcommand)]
    Witness(WitnessCommand),
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
            let seed = witness_key::init_witness_seed(&key, &Rng::system())?;
            let signer = CosignatureSigner::from_seed(&name, seed.expose())?;
            eprintln!(
                "created witness key {} (mode 0600); keep a copy offline: a lost key is a new \
                 witness that every policy must be changed to trust",
                key.display()
            );
            println!("{}", signer.verifier());
            Ok(())
        }
        WitnessCommand::Key { key, name } => {
            let seed = witness_key::load_witness_seed(&key)?;
            println!(
                "{}",
                CosignatureSigner::from_seed(&name, seed.expose())?.verifier()
            );
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
            let seed = witness_key::load_witness_seed(&serve.key)?;
            let signer = CosignatureSigner::from_seed(&serve.name, seed.expose())?;
            drop(seed);
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
