//! `sealdraw demo …`: demonstration data beyond the pool (issue 21 §4). Refused on a
//! production installation: synthetic draws are not draws anyone could verify.

use std::sync::Arc;

use anyhow::bail;
use clap::Subcommand;

use super::Installation;
use crate::analytics::service::AnalyticsService;
use crate::analytics::synthetic::HistoryPlan;
use crate::clock::SystemClock;
use crate::config::{Profile, Settings};
use crate::crypto::Rng;
use crate::deps::Deps;
use crate::startup;

#[derive(Subcommand)]
pub(super) enum DemoCommand {
    /// Write a synthetic history of draws, answers, remote sessions and score sheets on the
    /// pool in the database, with planted patterns (a colluding pair, an expert favouring a
    /// bidder, a center narrowing its filters, a decliner, copied sheets) unless --clean; prints
    /// what was planted, by pool id (docs/ANALYTICS.md §6).
    History {
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=15))]
        years: u32,
        #[arg(long, default_value_t = 6_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        draws_per_year: u32,
        /// Without the planted patterns (to measure false alarms).
        #[arg(long)]
        clean: bool,
    },
}

pub(super) fn run(installation: Installation, command: DemoCommand) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(demo(settings, command))
}

async fn demo(settings: Settings, command: DemoCommand) -> anyhow::Result<()> {
    if settings.profile == Profile::Production {
        bail!(
            "synthetic history is for demonstration databases only; this installation runs \
             the production profile"
        );
    }
    let DemoCommand::History {
        years,
        draws_per_year,
        clean,
    } = command;
    let deps = Deps {
        store: startup::connect_store(&settings).await?,
        clock: Arc::new(SystemClock),
        rng: Rng::system(),
        keys: Arc::new(startup::load_keys(&settings)?),
    };
    let analytics = AnalyticsService::new(&deps, settings.analytics.clone());
    let plan = HistoryPlan {
        years,
        draws_per_year,
        planted: !clean,
        ..HistoryPlan::default()
    };
    let summary = analytics.write_history(&plan).await?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
