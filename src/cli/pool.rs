//! `sealdraw pool …`: experts imported, the official specialty classification loaded, a
//! synthetic demonstration pool added.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::Installation;
use crate::audit::Actor;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::crypto::Rng;
use crate::deps::Deps;
use crate::pool::PoolService;
use crate::pool::import::{self, Format};
use crate::startup;

#[derive(Subcommand)]
pub(super) enum PoolCommand {
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

pub(super) fn run(installation: Installation, command: PoolCommand) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(pool(settings, command))
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
