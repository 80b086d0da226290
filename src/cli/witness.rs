//! `sealdraw witness …`: everything of the witness's command line (c2sp.org/tlog-witness run
//! for an independent body): its key, its server, and what it has cosigned.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use secrecy::SecretString;

use super::Installation;
use crate::clock::{SharedClock, SystemClock};
use crate::crypto::Rng;

#[derive(Subcommand)]
pub(super) enum WitnessCommand {
    /// Create the witness's key file (mode 0600; refuses to overwrite) and print its
    /// cosignature verifier key.
    Init {
        #[arg(long)]
        key: PathBuf,
        /// The witness's key name, e.g. witness.supervisor.example/w1.
        #[arg(long)]
        name: String,
        /// The suite of the logs it witnesses: `intl` (Ed25519 cosignatures) or `gm` (SM2).
        #[arg(long, default_value = "intl", value_parser = super::parse_suite)]
        suite: crate::crypto::Suite,
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
pub(super) struct WitnessServe {
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

pub(super) fn run(installation: Installation, command: WitnessCommand) -> anyhow::Result<()> {
    use crate::audit::note::CosignatureSigner;
    use crate::audit::witness::{WitnessServer, WitnessServerSettings};
    use crate::crypto::witness_key;
    let Installation { settings, runtime } = installation;
    match command {
        WitnessCommand::Init { key, name, suite } => {
            // Check the name before a key file exists that could not be used with it.
            crate::audit::note::check_key_name(&name)?;
            let signer = CosignatureSigner::new(
                &name,
                witness_key::init_witness_key(&key, &Rng::system(), suite)?,
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
                // Only reads the stored states: nothing is hashed, so the suite is not used.
                crate::crypto::Suite::Intl2024,
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
