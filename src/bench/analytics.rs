//! `sealdraw bench analytics`: supervision's reports and signals on a five-year synthetic
//! history (issue 21 §4), on SQLite and (if asked) PostgreSQL.
//!
//! Per backend, two fresh servers (production profile, real TLS) with a 12,000-expert demo
//! pool: one gets the history with the planted patterns, one the same history without them.
//! Measured: how long the history takes to write (not a product figure, but what a reader
//! reproducing the report waits for); each console report over HTTPS as a supervisor (the
//! remote-evaluation share and the supply report for the latest full year, the frequency
//! report with its fairness test over the default 30 days) and the whole signal run as an
//! admin, medians of `runs` requests, beside a `GET /healthz` round trip on the same
//! connection (the transport's floor); for each planted pattern, its rank among its signal's
//! findings (by q-value) and its q; on the clean history, the findings at q ≤ 0.01 and ≤ 0.05
//! (false alarms).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Datelike;
use secrecy::SecretString;

use super::audit::{BenchStart, Samples};
use crate::analytics::signals::{Finding, Signal, Subject};
use crate::analytics::synthetic::{HistoryPlan, HistorySummary, Planted};
use crate::audit::Actor;
use crate::auth::{NewAccountRequest, Role, service::LoginRequest, totp};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::crypto::Rng;
use crate::http::AppState;
use crate::startup::Application;
use crate::store::scratch::ScratchDatabase;

pub(crate) const DEFAULT_EXPERTS: usize = 12_000;
const PASSWORD: &str = "bench analytics passphrase";
/// The targets.
const REPORT_TARGET_S: f64 = 2.0;
const SIGNAL_RUN_TARGET_S: f64 = 300.0;

pub(crate) struct AnalyticsBenchOptions {
    pub(crate) years: u32,
    pub(crate) draws_per_year: u32,
    pub(crate) experts: usize,
    pub(crate) runs: u64,
    pub(crate) postgres: Option<String>,
    pub(crate) dir: PathBuf,
    pub(crate) command: String,
}

struct Server {
    state: actix_web::web::Data<AppState>,
    handle: actix_web::dev::ServerHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
    base: String,
    supervisor: String,
    admin: String,
    database: Option<ScratchDatabase>,
}

/// One backend's figures.
struct Measured {
    backend: &'static str,
    write_s: f64,
    summary: HistorySummary,
    floor_ms: Samples,
    reports: Vec<(&'static str, Samples)>,
    signal_run_s: Samples,
    detection: Vec<(String, String)>,
    clean_at_01: Vec<(Signal, usize)>,
    clean_at_05: usize,
}

impl Server {
    async fn start(
        start: &BenchStart,
        label: &str,
        server_url: Option<&str>,
        certs: &crate::tls::dev::DevCertificates,
        experts: usize,
    ) -> anyhow::Result<Self> {
        let rng = Rng::system();
        let (mut settings, database) = super::draw::production_server_settings(
            start.scratch.path(),
            label,
            server_url,
            certs,
            &rng,
            crate::crypto::Suite::Intl2024,
        )
        .await?;
        settings.analytics.signal_run_interval_hours = 0;
        let clock: SharedClock = Arc::new(SystemClock);
        let application = Application::build(settings, clock, rng.clone()).await?;
        let state = application.state();
        let pool_rng = Rng::danger_deterministic(b"sealdraw bench analytics pool");
        state.pool.seed_demo(&pool_rng, experts).await?;
        let mut tokens = Vec::new();
        for (username, role) in [
            ("bench-supervisor", Role::Supervisor),
            ("bench-admin", Role::Admin),
        ] {
            let created = state
                .auth
                .create_account(
                    NewAccountRequest {
                        username: username.into(),
                        role,
                        password: SecretString::from(PASSWORD),
                        center_name: None,
                        region_code: None,
                        scope: None,
                        display_name: None,
                    },
                    Actor::System,
                )
                .await?;
            let code = created
                .totp_secret
                .as_ref()
                .and_then(|secret| totp::current_code(secret, SystemClock.now_millis()));
            let issued = state
                .auth
                .login(LoginRequest {
                    username: username.into(),
                    password: SecretString::from(PASSWORD),
                    totp: code,
                    address: None,
                })
                .await?;
            tokens.push(issued.token.expose().to_owned());
        }
        let base = format!("https://localhost:{}", application.port());
        let handle = application.handle();
        let running = tokio::spawn(application.run_until_stopped());
        Ok(Self {
            state,
            handle,
            running,
            base,
            supervisor: tokens[0].clone(),
            admin: tokens[1].clone(),
            database,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.handle.stop(true).await;
        self.running.await??;
        if let Some(database) = self.database {
            database.danger_drop().await?;
        }
        Ok(())
    }
}

/// Milliseconds of `runs` requests, each checked to succeed.
async fn time_requests(
    client: &reqwest::Client,
    runs: u64,
    request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
) -> anyhow::Result<Samples> {
    let mut samples = Vec::new();
    for _ in 0..runs {
        let timer = Instant::now();
        let response = request(client).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "{status}: {}",
            String::from_utf8_lossy(&body)
        );
        samples.push(timer.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Samples(samples))
}

/// Where each planted pattern ranks among its signal's findings (1 = first), and its q.
fn detection(findings: &[(Finding, Vec<String>)], planted: &Planted) -> Vec<(String, String)> {
    let rank = |signal: Signal, is_it: &dyn Fn(&Finding, &[String]) -> bool| -> String {
        let mut of_signal: Vec<&(Finding, Vec<String>)> = findings
            .iter()
            .filter(|(f, _)| f.signal == signal)
            .collect();
        of_signal.sort_by(|a, b| a.0.q.total_cmp(&b.0.q));
        match of_signal
            .iter()
            .position(|(finding, experts)| is_it(finding, experts))
        {
            Some(at) => format!(
                "rank {} of {} (q {}; {} seen, {:.1} by chance)",
                at + 1,
                of_signal.len(),
                match of_signal[at].0.q {
                    0.0 => "below 1e-300".to_owned(),
                    q => format!("= {q:.1e}"),
                },
                of_signal[at].0.observed,
                of_signal[at].0.expected
            ),
            None => format!("not found (q > 0.05; {} findings)", of_signal.len()),
        }
    };
    let pair = planted.colluding_pair.clone();
    vec![
        (
            format!(
                "colluding pair (arranged onto {} committees)",
                planted.colluding_together
            ),
            rank(Signal::CoSitting, &|_, experts| {
                experts.len() == 2 && pair.iter().all(|id| experts.contains(id))
            }),
        ),
        (
            format!(
                "expert favouring one bidder (+1/8 of each criterion's points, {} evaluations)",
                planted.favouring_sessions
            ),
            rank(Signal::BidderFavour, &|finding, experts| {
                experts.first() == Some(&planted.favouring_expert)
                    && matches!(&finding.subject, Subject::ExpertAndBidder(_, code) if *code == planted.favoured_bidder)
            }),
        ),
        (
            "center narrowing filters (6 draws in 10 near the minimum, others 4 in 100)".into(),
            rank(Signal::NarrowFilters, &|finding, _| {
                finding.subject == Subject::Center(planted.narrowing_center.clone())
            }),
        ),
        (
            "expert declining (6 invitations in 10, others 1 in 10)".into(),
            rank(Signal::Declines, &|_, experts| {
                experts == [planted.decliner.clone()]
            }),
        ),
        (
            "two members' copied sheets (one evaluation)".into(),
            rank(
                Signal::IdenticalSheets,
                &|finding, _| matches!(&finding.subject, Subject::MembersOf(committee, _) if Some(committee) == planted.copying_committee.as_ref()),
            ),
        ),
    ]
}

pub(crate) async fn analytics(options: &AnalyticsBenchOptions) -> anyhow::Result<String> {
    let start = BenchStart::begin(&options.dir)?;
    let certs = crate::tls::dev::generate(
        &start.scratch.path().join("certs"),
        &[],
        start.clock.now_millis(),
    )
    .map_err(anyhow::Error::msg)?;
    let tls = crate::tls::client_config(&certs.ca())?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(1800))
        .build()?;
    let year = chrono::DateTime::from_timestamp_millis(start.clock.now_millis())
        .map_or(2025, |now| now.year() - 1);
    let plan = |planted: bool| HistoryPlan {
        years: options.years,
        draws_per_year: options.draws_per_year,
        planted,
        seed: Some(b"sealdraw bench analytics history".to_vec()),
        ..HistoryPlan::default()
    };

    let mut targets: Vec<(&'static str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(url) = options.postgres.as_deref() {
        targets.push(("PostgreSQL", Some(url)));
    }
    let mut measured = Vec::new();
    for (backend, server_url) in targets {
        let label = format!("analytics_{}", backend.to_lowercase());
        eprintln!("{backend}: seeding {} experts", options.experts);
        let server = Server::start(&start, &label, server_url, &certs, options.experts).await?;
        eprintln!("{backend}: writing the planted history");
        let timer = Instant::now();
        let summary = server
            .state
            .analytics
            .write_history(&plan(true))
            .await
            .context("writing the history")?;
        let write_s = timer.elapsed().as_secs_f64();
        eprintln!("  {summary:?} in {write_s:.0} s");
        let base = server.base.clone();
        let floor_ms = time_requests(&client, options.runs.max(5), |c| {
            c.get(format!("{base}/healthz"))
        })
        .await?;
        let mut reports = Vec::new();
        for (name, path) in [
            (
                "remote-evaluation share, a year",
                format!("/api/v1/reports/remote-share?year={year}"),
            ),
            (
                "its projects, a year (drill-down)",
                format!("/api/v1/reports/remote-share/projects?year={year}"),
            ),
            (
                "scarce specialties (supply), a year",
                format!("/api/v1/reports/supply?year={year}"),
            ),
            (
                "draw frequency and fairness, 30 days",
                "/api/v1/reports/draw-frequency".to_owned(),
            ),
        ] {
            eprintln!("{backend}: {name}");
            let url = format!("{base}{path}");
            let bearer = server.supervisor.clone();
            let samples =
                time_requests(&client, options.runs, |c| c.get(&url).bearer_auth(&bearer)).await?;
            reports.push((name, samples));
        }
        eprintln!("{backend}: signal runs");
        let url = format!("{base}/api/v1/signal-runs");
        let admin = server.admin.clone();
        let run_ms = time_requests(&client, options.runs, |c| {
            c.post(&url)
                .bearer_auth(&admin)
                .json(&serde_json::json!({}))
        })
        .await?;
        let findings = server.state.analytics.findings_with_experts().await?;
        let planted = summary
            .planted
            .clone()
            .context("the planted history has its truth")?;
        let detection = detection(&findings, &planted);
        server.stop().await?;

        eprintln!("{backend}: the clean history");
        let clean = Server::start(
            &start,
            &format!("{label}_clean"),
            server_url,
            &certs,
            options.experts,
        )
        .await?;
        clean.state.analytics.write_history(&plan(false)).await?;
        let clean_findings = clean.state.analytics.findings_with_experts().await?;
        clean.stop().await?;
        let clean_at_01 = Signal::ALL
            .iter()
            .map(|signal| {
                (
                    *signal,
                    clean_findings
                        .iter()
                        .filter(|(f, _)| f.signal == *signal && f.q <= 0.01)
                        .count(),
                )
            })
            .collect();
        measured.push(Measured {
            backend,
            write_s,
            summary,
            floor_ms,
            reports,
            signal_run_s: Samples(run_ms.0.iter().map(|ms| ms / 1000.0).collect()),
            detection,
            clean_at_01,
            clean_at_05: clean_findings.len(),
        });
    }

    let mut out = String::new();
    out.push_str(&start.report_header(
        "Supervision's reports and signals (`sealdraw bench analytics`)",
        &options.command,
    ));
    if let Some(first) = measured.first() {
        let s = &first.summary;
        let _ = writeln!(
            out,
            "History: {} draws over {} years ({} to {}), {} invitations, {} remote sessions with \
             {} score sheets, on {} demo experts; the same history without the planted \
             patterns for the false alarms. Timings are medians of {} requests over HTTPS \
             (min–max in brackets); targets: every report under {REPORT_TARGET_S} s, the \
             signal run under {} minutes.\n",
            s.draws,
            options.years,
            &s.from[..10],
            &s.until[..10],
            s.invitations,
            s.sessions,
            s.sheets,
            options.experts,
            options.runs,
            SIGNAL_RUN_TARGET_S / 60.0,
        );
    }
    let _ = writeln!(
        out,
        "| backend | what | median | min–max | × floor |\n|---|---|---:|---:|---:|"
    );
    for m in &measured {
        let floor = m.floor_ms.median();
        let _ = writeln!(
            out,
            "| {} | floor: `GET /healthz` round trip | {:.2} ms | {:.2}–{:.2} ms | 1 |",
            m.backend,
            floor,
            m.floor_ms.min(),
            m.floor_ms.max()
        );
        for (name, samples) in &m.reports {
            let _ = writeln!(
                out,
                "| {} | {name} | {:.0} ms | {:.0}–{:.0} ms | {:.0} |",
                m.backend,
                samples.median(),
                samples.min(),
                samples.max(),
                samples.median() / floor
            );
        }
        let _ = writeln!(
            out,
            "| {} | the whole signal run (9 signals, alerts) | {:.1} s | {:.1}–{:.1} s | |",
            m.backend,
            m.signal_run_s.median(),
            m.signal_run_s.min(),
            m.signal_run_s.max()
        );
        let _ = writeln!(
            out,
            "| {} | writing the history (not a product figure) | {:.0} s | | |",
            m.backend, m.write_s
        );
    }
    if let Some(m) = measured.first() {
        let _ = writeln!(out, "\n| planted pattern | found |\n|---|---|");
        for (pattern, found) in &m.detection {
            let _ = writeln!(out, "| {pattern} | {found} |");
        }
        let alarms: Vec<String> = m
            .clean_at_01
            .iter()
            .map(|(signal, n)| format!("{} {n}", signal.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "\nFalse alarms on the clean history: at q ≤ 0.01 — {}; at q ≤ 0.05, {} in all.\n",
            alarms.join(", "),
            m.clean_at_05
        );
    }
    Ok(out)
}
