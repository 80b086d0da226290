//! `sealdraw keys …`: the key file made, and its sealing and log keys rotated while servers run.

use std::path::PathBuf;

use clap::Subcommand;

use super::Installation;
use super::audit::command_line_log;
use crate::audit::Actor;
use crate::clock::{Clock, SystemClock, to_rfc3339};
use crate::config::Settings;
use crate::crypto::custody;
use crate::crypto::module::ModuleConfig;
use crate::crypto::{KeyRing, Rng, Suite};
use crate::startup;

#[derive(Subcommand)]
pub(super) enum KeysCommand {
    /// Create a new key file (refuses to overwrite one).
    Init {
        #[arg(long)]
        file: Option<PathBuf>,
        /// The deployment's cipher suite, chosen once: `intl` (Ed25519, AES-256-GCM,
        /// HMAC-SHA256, SHA-256) or `gm` (SM2, SM4-GCM, HMAC-SM3, SM3). The database made with
        /// these keys remembers it, and a server refuses a key file of the other suite.
        #[arg(long, default_value = "intl", value_parser = super::parse_suite)]
        suite: Suite,
        /// Keep the keys in a PKCS#11 module (an HSM) instead: the master sealing key and the
        /// log key are generated in the token and never leave it; the file then names the
        /// module and the keys' object ids. `intl` suite only (docs/CRYPTO.md).
        #[arg(long, requires_all = ["pkcs11_token", "pkcs11_pin_file"])]
        pkcs11_library: Option<PathBuf>,
        /// The label of the module's token that holds the keys.
        #[arg(long, requires = "pkcs11_library")]
        pkcs11_token: Option<String>,
        /// A file holding the token's user PIN (read at each login; keep it mode 0600).
        #[arg(long, requires = "pkcs11_library")]
        pkcs11_pin_file: Option<PathBuf>,
    },
    /// Split the key file into share files for split custody: any THRESHOLD of the SHARES
    /// rebuild it (`keys recover`), fewer reveal nothing. Give each share to its own holder
    /// and keep none beside the database's backups.
    Split {
        #[arg(long)]
        shares: usize,
        #[arg(long)]
        threshold: usize,
        /// Where to write the share files (mode 0600); default: beside the key file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rebuild a key file from share files made by `keys split`.
    Recover {
        /// The share files: at least the split's threshold of them.
        #[arg(required = true)]
        shares: Vec<PathBuf>,
        /// Where to write the rebuilt key file (never over an existing file).
        #[arg(long)]
        out: PathBuf,
    },
    /// Say where each key is held; for keys in a PKCS#11 module, what the module reports of
    /// each (sensitive, never extractable, generated inside). Fails if any key could leave it.
    Check,
    /// Rotate the master sealing key while servers run: a new key becomes active and every
    /// value sealed under an older one is re-sealed.
    Rotate,
    /// Start a log key rotation: a new key signs beside the current one (restart to apply).
    RotateLog,
    /// End a rotation: the named log key stops signing (restart to apply).
    RetireLog { id: String },
}

pub(super) fn run(installation: Installation, command: KeysCommand) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    match command {
        KeysCommand::Init {
            file,
            suite,
            pkcs11_library,
            pkcs11_token,
            pkcs11_pin_file,
        } => {
            let path = file.unwrap_or_else(|| settings.key_file());
            let created_at = to_rfc3339(SystemClock.now_millis());
            match (pkcs11_library, pkcs11_token, pkcs11_pin_file) {
                (Some(library), Some(token), Some(pin_file)) => {
                    let module = ModuleConfig {
                        library,
                        token,
                        pin_file,
                    };
                    KeyRing::init_module_file(&path, &Rng::system(), &created_at, suite, &module)?;
                    println!(
                        "created {suite} keys in token {:?}; the key file {} names them \
                         (no key material is in it)",
                        module.token,
                        path.display()
                    );
                }
                _ => {
                    KeyRing::init_file(&path, &Rng::system(), &created_at, suite)?;
                    println!(
                        "created {suite} key file {} (mode 0600); keep it away from database \
                         backups",
                        path.display()
                    );
                }
            }
            Ok(())
        }
        KeysCommand::Check => check_custody(&settings),
        KeysCommand::Split {
            shares,
            threshold,
            out,
        } => {
            let key_file = settings.key_file();
            let out = out.unwrap_or_else(|| {
                key_file
                    .parent()
                    .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf)
            });
            let written =
                custody::split_key_file(&key_file, &out, shares, threshold, &Rng::system())?;
            println!(
                "split {} into {shares} shares; any {threshold} rebuild it:",
                key_file.display()
            );
            for path in written {
                println!("  {}", path.display());
            }
            Ok(())
        }
        KeysCommand::Recover { shares, out } => {
            custody::recover_key_file(&shares, &out)?;
            println!(
                "rebuilt the key file {} from {} shares",
                out.display(),
                shares.len()
            );
            Ok(())
        }
        KeysCommand::Rotate => runtime.block_on(rotate_sealing_key(settings)),
        KeysCommand::RotateLog => runtime.block_on(rotate_log_key(settings, None)),
        KeysCommand::RetireLog { id } => runtime.block_on(rotate_log_key(settings, Some(id))),
    }
}

fn check_custody(settings: &Settings) -> anyhow::Result<()> {
    let path = settings.key_file();
    let Some(keys) = KeyRing::custody(&path)? else {
        // Loads them, so a broken file fails here too.
        startup::load_keys(settings)?;
        println!("the keys are in the key file {}", path.display());
        return Ok(());
    };
    let mut leaky = Vec::new();
    for (id, custody) in &keys {
        println!(
            "{id}: sensitive={} never_extractable={} generated_in_module={} extractable={}",
            custody.sensitive,
            custody.never_extractable,
            custody.generated_inside,
            custody.extractable
        );
        if !custody.sensitive || custody.extractable || !custody.never_extractable {
            leaky.push(id.as_str());
        }
    }
    if !leaky.is_empty() {
        anyhow::bail!("these keys could leave the module: {}", leaky.join(", "));
    }
    println!(
        "all {} keys are held in the module and cannot leave it",
        keys.len()
    );
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
