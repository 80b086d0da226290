//! `sealdraw user …`: accounts made, disabled and enabled from the command line, and a center's
//! client certificate bound to its account.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::Installation;
use crate::audit::Actor;
use crate::auth::jurisdiction::Scope;
use crate::auth::{AuthService, NewAccountRequest, Role, totp};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::crypto::Rng;
use crate::deps::Deps;
use crate::startup;

#[derive(Subcommand)]
pub(super) enum UserCommand {
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
pub(super) struct UserAdd {
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
    /// A supervisor's jurisdiction from the start: a prefecture (4206 or 420600) or a county
    /// (420626) they oversee; repeat for several. Without it and --scope-industry the
    /// supervisor is province-wide (docs/DRAWS.md, "Jurisdiction").
    #[arg(long = "scope-region", value_name = "CODE")]
    scope_regions: Vec<String>,
    /// An industry department the supervisor oversees (e.g. water; GET /api/v1/industries);
    /// repeat for several.
    #[arg(long = "scope-industry", value_name = "CODE")]
    scope_industries: Vec<String>,
    /// The name others see and pick a supervisor or admin by, e.g. "张伟（襄阳市住建局）".
    #[arg(long = "display-name", value_name = "NAME")]
    display_name: Option<String>,
}

pub(super) fn run(installation: Installation, command: UserCommand) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(user(settings, command))
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
            if let Some(region) = &add.region {
                crate::pool::regions::parse_center_region(region)
                    .map_err(|problem| anyhow::anyhow!("--region: {problem}"))?;
            }
            let scope = scope_of(&add)?;
            let password = read_password()?;
            let created = auth
                .create_account(
                    NewAccountRequest {
                        username: add.username.clone(),
                        role: add.role,
                        password: SecretString::from(password.as_str()),
                        center_name: add.center,
                        region_code: add.region,
                        scope,
                        display_name: add.display_name,
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

/// The jurisdiction `--scope-region` and `--scope-industry` give, in the form the server stores
/// (a prefecture by its prefix); none given: `None`, province-wide. Whether the role may have a
/// scope is the accounts service's to say.
fn scope_of(add: &UserAdd) -> anyhow::Result<Option<Scope>> {
    if add.scope_regions.is_empty() && add.scope_industries.is_empty() {
        return Ok(None);
    }
    let mut regions = Vec::with_capacity(add.scope_regions.len());
    for code in &add.scope_regions {
        regions.push(
            crate::pool::regions::parse_scope_region(code)
                .map_err(|problem| anyhow::anyhow!("--scope-region: {problem}"))?,
        );
    }
    Scope::new(regions, &add.scope_industries)
        .map(Some)
        .map_err(|(_, problem)| anyhow::anyhow!("--scope-industry: {problem}"))
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
