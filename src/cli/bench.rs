//! `sealdraw bench …`: the benchmarks' arguments and the command that reproduces each report;
//! the measurements live in [`crate::bench`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Installation;
use crate::config::Settings;

#[derive(Subcommand)]
pub(super) enum BenchCommand {
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
    /// Supervision's reports and signals on a five-year synthetic history with planted
    /// patterns (and a clean one): each report's time over HTTPS beside a round trip, the
    /// signal run's, each pattern's rank, and the false alarms.
    Analytics(AnalyticsBenchArgs),
    /// The two cipher suites' primitives side by side through the server's own `crypto`
    /// interface: hashes, HMACs, sealing, signatures, with the national ÷ international ratio.
    Crypto(CryptoBenchArgs),
    /// The archive's readable report: rendering the PDF of a large evaluation (ten members,
    /// twenty bidders by default) on one thread, its size and pages.
    ReportPdf(ReportPdfBenchArgs),
}

#[derive(Args)]
pub(super) struct ReportPdfBenchArgs {
    /// Committee members scoring every bidder.
    #[arg(long, default_value_t = crate::bench::report_pdf::DEFAULT_MEMBERS, value_parser = clap::value_parser!(u32).range(1..=50))]
    members: u32,
    /// Bidders (two of them rejected).
    #[arg(long, default_value_t = crate::bench::report_pdf::DEFAULT_BIDDERS, value_parser = clap::value_parser!(u32).range(3..=500))]
    bidders: u32,
    /// Renderings timed; the report gives medians.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// The CJK font (default: the settings' archive.font).
    #[arg(long)]
    font: Option<PathBuf>,
}

#[derive(Args)]
pub(super) struct CryptoBenchArgs {
    /// Samples per figure; the report gives medians.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
}

#[derive(Args)]
pub(super) struct AnalyticsBenchArgs {
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=15))]
    years: u32,
    #[arg(long, default_value_t = 6_000, value_parser = clap::value_parser!(u32).range(1..))]
    draws_per_year: u32,
    /// Experts in the synthetic demo pool.
    #[arg(long, default_value_t = crate::bench::analytics::DEFAULT_EXPERTS)]
    experts: usize,
    /// Timed requests per report; the report gives medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Also measure on PostgreSQL: a server URL; fresh databases are created and dropped.
    #[arg(long, env = "SEALDRAW_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Where scratch databases, keys and certificates go (default: the system temporary
    /// directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
pub(super) struct SessionsBenchArgs {
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
pub(super) struct DrawBenchArgs {
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
    /// The servers' suite: intl or gm.
    #[arg(long, default_value = "intl", value_parser = super::parse_suite)]
    suite: crate::crypto::Suite,
}

#[derive(Args)]
pub(super) struct PoolBenchArgs {
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
pub(super) struct AuditBenchArgs {
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
    /// The log's suite (and the raw limits beside it): intl or gm.
    #[arg(long, default_value = "intl", value_parser = super::parse_suite)]
    suite: crate::crypto::Suite,
}

pub(super) fn run(installation: Installation, command: BenchCommand) -> anyhow::Result<()> {
    let Installation { settings, runtime } = installation;
    runtime.block_on(bench(settings, command))
}

async fn bench(settings: Settings, command: BenchCommand) -> anyhow::Result<()> {
    let args = match command {
        BenchCommand::Audit(args) => args,
        BenchCommand::Pool(args) => return bench_pool(args).await,
        BenchCommand::Draw(args) => return bench_draw(args).await,
        BenchCommand::Sessions(args) => return bench_sessions(args).await,
        BenchCommand::Analytics(args) => return bench_analytics(args).await,
        BenchCommand::ReportPdf(args) => {
            let font = args.font.unwrap_or_else(|| settings.archive.font.clone());
            let options = crate::bench::report_pdf::ReportPdfBenchOptions {
                members: args.members,
                bidders: args.bidders,
                runs: args.runs,
                command: format!(
                    "sealdraw bench report-pdf --members {} --bidders {} --runs {} --font {}",
                    args.members,
                    args.bidders,
                    args.runs,
                    font.display()
                ),
                font,
            };
            print!("{}", crate::bench::report_pdf::report_pdf(&options)?);
            return Ok(());
        }
        BenchCommand::Crypto(args) => {
            let options = crate::bench::CryptoBenchOptions {
                runs: args.runs,
                command: format!("sealdraw bench crypto --runs {}", args.runs),
            };
            print!("{}", crate::bench::crypto(&options)?);
            return Ok(());
        }
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
    if args.suite != crate::crypto::Suite::Intl2024 {
        reproduce.push_str(" --suite gm");
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
        suite: args.suite,
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
    if args.suite != crate::crypto::Suite::Intl2024 {
        reproduce.push_str(" --suite gm");
    }
    let options = crate::bench::DrawBenchOptions {
        experts: args.experts,
        clients: args.clients,
        draws: args.draws,
        runs: args.runs,
        postgres: args.postgres,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        command: reproduce,
        suite: args.suite,
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

async fn bench_analytics(args: AnalyticsBenchArgs) -> anyhow::Result<()> {
    let mut reproduce = format!(
        "sealdraw bench analytics --years {} --draws-per-year {} --experts {} --runs {}",
        args.years, args.draws_per_year, args.experts, args.runs
    );
    push_postgres(&mut reproduce, args.postgres.as_deref());
    let options = crate::bench::analytics::AnalyticsBenchOptions {
        years: args.years,
        draws_per_year: args.draws_per_year,
        experts: args.experts,
        runs: args.runs,
        postgres: args.postgres,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        command: reproduce,
    };
    print!("{}", crate::bench::analytics::analytics(&options).await?);
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
