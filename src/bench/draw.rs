//! `sealdraw bench draw`: whole draws over HTTPS against the real server and a 12,000-expert
//! synthetic pool, at several numbers of concurrent clients, on SQLite and (if asked)
//! PostgreSQL, beside the in-process cost of filtering and ranking the same pool.
//!
//! Each run builds the real [`Application`] (production profile, TLS from a CA made for the
//! run, the frequency cap off so that later draws never run out of experts), seeds it with the
//! demo generator (not timed), and logs in one center. A draw is what a center does:
//! `POST /api/v1/draws` (three strata, twenty avoided organisations) then `POST …/entropy`,
//! which executes it; its latency is from the first request's start to the second's answer.
//! Every simulated client has its own HTTPS connection, kept alive.
//!
//! The in-process floor runs the pure part of a draw over the same pool held in memory:
//! [`filter::apply`], one token per eligible expert, [`DrawPlan::new`] and
//! [`DrawPlan::execute`] — what no store, network or sealing could make cheaper.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chrono::Datelike;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::audit::{BenchStart, Samples, fresh_database, percentile, thousands};
use crate::audit::Actor;
use crate::auth::{NewAccountRequest, Role, service::LoginRequest};
use crate::clock::{Clock, SharedClock, SystemClock, to_rfc3339};
use crate::config::{Profile, Settings};
use crate::crypto::{KeyRing, Rng, Suite};
use crate::deps::Deps;
use crate::draw::filter::{
    self, AvoidedOrganisation, DrawFilter, EvaluationMode, FILTER_VERSION, FilterStratum,
    PoolFacts, PoolRules, Qualification,
};
use crate::draw::{
    Contribution, DrawPlan, DrawRequest, DrawToken, EligibleSet, ServerSecret, Stratum,
};
use crate::http::AppState;
use crate::pool::demo;
use crate::startup::Application;
use crate::store::scratch::ScratchDatabase;

/// The pool size and client counts.
pub(crate) const DEFAULT_EXPERTS: usize = 12_000;
pub(crate) const DEFAULT_CLIENTS: [usize; 3] = [1, 8, 32];
/// The target: p99 of a whole draw at 8 concurrent clients on SQLite.
const TARGET_P99_MS: f64 = 50.0;
const TARGET_CLIENTS: usize = 8;
/// Strata of every draw: prefixes in the demo classification, k = 3, m = 2.
const STRATA: [&str; 3] = ["A01", "B01", "C01"];
const K: u32 = 3;
const M: u32 = 2;
/// Avoided organisations per draw: half current employers, half past employers in the demo's
/// most populous region, so some experts are really excluded.
const AVOIDED: usize = 20;
const AVOIDED_REGION: &str = "420100";
const PASSWORD: &str = "bench draw center passphrase";

pub(crate) struct DrawBenchOptions {
    pub(crate) experts: usize,
    pub(crate) clients: Vec<usize>,
    /// Timed draws per client count and run.
    pub draws: u64,
    pub(crate) runs: u64,
    pub(crate) postgres: Option<String>,
    pub(crate) dir: PathBuf,
    pub(crate) command: String,
    /// The servers' suite (their key files are made in it).
    pub(crate) suite: Suite,
}

/// One client count on one backend: per-run figures, reported as medians over runs.
struct Level {
    backend: &'static str,
    clients: usize,
    p50_ms: Samples,
    p99_ms: Samples,
    per_sec: Samples,
    create_p50_ms: Samples,
    entropy_p50_ms: Samples,
}

pub(crate) async fn draw(options: &DrawBenchOptions) -> anyhow::Result<String> {
    let start = BenchStart::begin(&options.dir)?;
    let certs = crate::tls::dev::generate(
        &start.scratch.path().join("certs"),
        &[],
        start.clock.now_millis(),
    )
    .map_err(anyhow::Error::msg)?;
    let tls = crate::tls::client_config(&certs.ca())?;

    let mut targets: Vec<(&'static str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(url) = options.postgres.as_deref() {
        targets.push(("PostgreSQL", Some(url)));
    }
    let mut levels: Vec<Level> = Vec::new();
    let mut floor_ms = Vec::new();
    let mut floor_parts: [Vec<f64>; 4] = Default::default();
    let mut floor_eligible = (0, 0);
    let mut spans: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for (backend, server_url) in targets {
        let mut per_level: Vec<Level> = options
            .clients
            .iter()
            .map(|&clients| Level {
                backend,
                clients,
                p50_ms: Samples(Vec::new()),
                p99_ms: Samples(Vec::new()),
                per_sec: Samples(Vec::new()),
                create_p50_ms: Samples(Vec::new()),
                entropy_p50_ms: Samples(Vec::new()),
            })
            .collect();
        for run in 0..options.runs {
            let label = format!("draw_{}_{run}", backend.to_lowercase());
            eprintln!(
                "{backend}: run {}: seeding {} experts",
                run + 1,
                options.experts
            );
            let server = BenchServer::start(
                start.scratch.path(),
                &label,
                server_url,
                &certs,
                options.experts,
                options.suite,
            )
            .await?;
            if backend == "SQLite" {
                let floor = in_process_floor(&server.deps, options.draws.min(50)).await?;
                eprintln!(
                    "in-process floor: {:.2} ms per draw {:?} ({} of {} eligible)",
                    floor.total_ms, floor.parts_ms, floor.eligible, floor.matched
                );
                floor_ms.push(floor.total_ms);
                for (all, part) in floor_parts.iter_mut().zip(floor.parts_ms) {
                    all.push(part);
                }
                floor_eligible = (floor.eligible, floor.matched);
                for (name, ms) in server_spans(&server.state, &server.deps, 20).await? {
                    eprintln!("  span {name}: {ms:.2} ms");
                    match spans.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, all)) => all.push(ms),
                        None => spans.push((name, vec![ms])),
                    }
                }
            }
            for level in &mut per_level {
                eprintln!("{backend}: run {}: {} clients", run + 1, level.clients);
                let measured = server
                    .measure(&tls, level.clients, options.draws)
                    .await
                    .with_context(|| format!("{backend}, {} clients", level.clients))?;
                eprintln!(
                    "  p50 {:.1} ms, p99 {:.1} ms, {:.1} draws/s (create p50 {:.1} ms, entropy p50 {:.1} ms)",
                    measured.p50_ms,
                    measured.p99_ms,
                    measured.per_sec,
                    measured.create_p50_ms,
                    measured.entropy_p50_ms
                );
                level.p50_ms.0.push(measured.p50_ms);
                level.p99_ms.0.push(measured.p99_ms);
                level.per_sec.0.push(measured.per_sec);
                level.create_p50_ms.0.push(measured.create_p50_ms);
                level.entropy_p50_ms.0.push(measured.entropy_p50_ms);
            }
            server.stop().await?;
        }
        levels.extend(per_level);
    }
    let floor = Samples(floor_ms);

    let mut out = String::new();
    out.push_str(&start.report_header("Draws (`sealdraw bench draw`)", &options.command));
    let _ = writeln!(
        out,
        "Each draw: `POST /api/v1/draws` with {} strata ({} with k = {K}, m = {M}) and {AVOIDED} avoided \
         organisations, then the center's `POST …/entropy`, which executes it; a fresh server and \
         database of {} demo experts per run; frequency cap off (`draw.frequency_cap = 0`) so \
         later draws never run out of experts; {} timed draws per client count after one \
         untimed draw per client. Medians of {} runs (min–max in brackets).\n",
        STRATA.len(),
        STRATA.join(", "),
        thousands(options.experts as f64),
        options.draws,
        options.runs,
    );
    let _ = writeln!(
        out,
        "| in-process floor (one thread): filter + tokens + plan + execute | median | min–max |\n|---|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| per draw, {} eligible of {} matched (summed over the three strata) | {:.2} ms | {:.2}–{:.2} ms |",
        floor_eligible.0,
        floor_eligible.1,
        floor.median(),
        floor.min(),
        floor.max()
    );
    for (name, part) in [
        "  `filter::apply` (rules over every matched expert)",
        "  tokens: one HMAC (the suite's) per eligible expert, sorted",
        "  `DrawPlan::new`: Merkle roots of the eligible sets, intent hash",
        "  `execute`: one HMAC (the suite's) score per eligible token, sorted",
    ]
    .iter()
    .zip(&floor_parts)
    {
        let part = Samples(part.clone());
        let _ = writeln!(
            out,
            "| {name} | {:.2} ms | {:.2}–{:.2} ms |",
            part.median(),
            part.min(),
            part.max()
        );
    }
    let _ = writeln!(
        out,
        "\n| server-side steps of a draw, in process, one at a time (SQLite) | median |\n|---|---:|"
    );
    for (name, all) in &spans {
        let _ = writeln!(out, "| {name} | {:.2} ms |", Samples(all.clone()).median());
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| backend | clients | p50 | p99 | draws/s | create p50 | entropy p50 | p50 ÷ floor |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for level in &levels {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} ms ({:.1}–{:.1}) | {:.1} ms ({:.1}–{:.1}) | {:.0} ({:.0}–{:.0}) | {:.1} ms | {:.1} ms | {:.0}× |",
            level.backend,
            level.clients,
            level.p50_ms.median(),
            level.p50_ms.min(),
            level.p50_ms.max(),
            level.p99_ms.median(),
            level.p99_ms.min(),
            level.p99_ms.max(),
            level.per_sec.median(),
            level.per_sec.min(),
            level.per_sec.max(),
            level.create_p50_ms.median(),
            level.entropy_p50_ms.median(),
            level.p50_ms.median() / floor.median(),
        );
    }
    if let Some(level) = levels
        .iter()
        .find(|l| l.backend == "SQLite" && l.clients == TARGET_CLIENTS)
    {
        let p99 = level.p99_ms.median();
        let _ = writeln!(
            out,
            "\nTarget: p99 under {TARGET_P99_MS} ms at {TARGET_CLIENTS} clients on SQLite: {p99:.1} ms, {}.",
            if p99 < TARGET_P99_MS { "met" } else { "missed" }
        );
    }
    Ok(out)
}

/// The real server on a scratch database, with a seeded pool and a logged-in center.
struct BenchServer {
    state: actix_web::web::Data<AppState>,
    /// The handles below the services, for the steps timed in process.
    deps: Deps,
    handle: actix_web::dev::ServerHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
    base: String,
    token: String,
    database: Option<ScratchDatabase>,
}

struct Measured {
    p50_ms: f64,
    p99_ms: f64,
    per_sec: f64,
    create_p50_ms: f64,
    entropy_p50_ms: f64,
}

impl BenchServer {
    async fn start(
        scratch: &Path,
        label: &str,
        server_url: Option<&str>,
        certs: &crate::tls::dev::DevCertificates,
        experts: usize,
        suite: Suite,
    ) -> anyhow::Result<Self> {
        let rng = Rng::system();
        let (mut settings, database) =
            production_server_settings(scratch, label, server_url, certs, &rng, suite).await?;
        // Seats in the window would otherwise exclude the busiest experts draw after draw.
        settings.draw.frequency_cap = 0;
        let clock: SharedClock = Arc::new(SystemClock);
        let application = Application::build(settings, clock, rng.clone()).await?;
        let state = application.state();
        let deps = application.deps();
        let pool_rng = Rng::danger_deterministic(b"sealdraw bench draw pool");
        let summary = state.pool.seed_demo(&pool_rng, experts).await?;
        ensure!(
            summary.inserted == experts,
            "seeded {} of {experts}",
            summary.inserted
        );
        state
            .auth
            .create_account(
                NewAccountRequest {
                    username: "bench-center".into(),
                    role: Role::Center,
                    password: SecretString::from(PASSWORD),
                    center_name: Some("bench trading center".into()),
                    region_code: Some(AVOIDED_REGION.into()),
                    scope: None,
                    display_name: None,
                },
                Actor::System,
            )
            .await?;
        let issued = state
            .auth
            .login(LoginRequest {
                username: "bench-center".into(),
                password: SecretString::from(PASSWORD),
                totp: None,
                address: None,
            })
            .await?;
        let base = format!("https://localhost:{}", application.port());
        let handle = application.handle();
        let running = tokio::spawn(application.run_until_stopped());
        Ok(Self {
            state,
            deps,
            handle,
            running,
            base,
            token: issued.token.expose().to_owned(),
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

    /// `draws` timed draws shared among `clients` concurrent clients.
    async fn measure(
        &self,
        tls: &rustls::ClientConfig,
        clients: usize,
        draws: u64,
    ) -> anyhow::Result<Measured> {
        let next = Arc::new(AtomicU64::new(0));
        let ready = Arc::new(tokio::sync::Barrier::new(clients + 1));
        let mut tasks = Vec::with_capacity(clients);
        for _ in 0..clients {
            let client = reqwest::Client::builder()
                .use_preconfigured_tls(tls.clone())
                .timeout(Duration::from_secs(60))
                .build()?;
            let base = self.base.clone();
            let token = self.token.clone();
            let (next, ready) = (next.clone(), ready.clone());
            tasks.push(tokio::spawn(async move {
                // One untimed draw opens the connection and warms the server.
                let warm = one_draw(&client, &base, &token).await;
                ready.wait().await;
                warm?;
                let mut times = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < draws {
                    times.push(one_draw(&client, &base, &token).await?);
                }
                anyhow::Ok(times)
            }));
        }
        ready.wait().await;
        let timer = Instant::now();
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await??);
        }
        let elapsed = timer.elapsed().as_secs_f64();
        let mut total: Vec<f64> = times.iter().map(|t| t.0 + t.1).collect();
        let mut create: Vec<f64> = times.iter().map(|t| t.0).collect();
        let mut entropy: Vec<f64> = times.iter().map(|t| t.1).collect();
        Ok(Measured {
            p50_ms: percentile(&mut total, 0.50),
            p99_ms: percentile(&mut total, 0.99),
            per_sec: times.len() as f64 / elapsed,
            create_p50_ms: percentile(&mut create, 0.50),
            entropy_p50_ms: percentile(&mut entropy, 0.50),
        })
    }
}

/// The avoided organisations: credit codes the demo generator gives current employers
/// (serials 0–399) and past employers (400–799) in [`AVOIDED_REGION`].
fn avoided_organisations() -> Vec<AvoidedOrganisation> {
    (0..AVOIDED)
        .map(|i| {
            let serial = if i % 2 == 0 { i * 37 } else { 400 + i * 37 };
            AvoidedOrganisation {
                credit_code: demo::demo_credit_code(AVOIDED_REGION, serial % 800)
                    .map(|code| code.as_str().to_owned())
                    .unwrap_or_default(),
                name: format!("投标人{i}"),
            }
        })
        .collect()
}

/// Tenders drawn so far in this process: a tender is drawn once (DRAW-SPEC §5), so every timed
/// draw is a new tender.
static TENDERS_DRAWN: AtomicU64 = AtomicU64::new(0);

fn request_body() -> Value {
    let start = SystemClock.now_millis() + 2 * 3_600_000;
    let tender = TENDERS_DRAWN.fetch_add(1, Ordering::Relaxed) + 1;
    json!({
        "tender_reference": format!("BENCH-2026-{tender:06}"),
        "tender_name": "基准测试工程",
        "venue": "基准测试评标室",
        "evaluation_start": to_rfc3339(start),
        "evaluation_minutes": 240,
        "mode": "on_site",
        "strata": STRATA
            .iter()
            .map(|p| json!({ "specialty_prefixes": [p], "count": K, "reserves": M }))
            .collect::<Vec<_>>(),
        "avoid_organisations": avoided_organisations()
            .iter()
            .map(|o| json!({ "name": o.name, "credit_code": o.credit_code }))
            .collect::<Vec<_>>(),
    })
}

/// One whole draw; milliseconds for the intent and for the contribution that executes it.
async fn one_draw(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<(f64, f64)> {
    let body = request_body();
    let timer = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/draws"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let created: Value = response.json().await?;
    ensure!(
        status.as_u16() == 201,
        "create answered {status}: {created}"
    );
    let create_ms = timer.elapsed().as_secs_f64() * 1e3;
    let id = created["draw_id"].as_str().context("no draw_id")?;
    let entropy: [u8; 32] = rand_bytes()?;
    let timer = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/draws/{id}/entropy"))
        .bearer_auth(token)
        .json(&json!({ "entropy": hex::encode(entropy) }))
        .send()
        .await?;
    let status = response.status();
    let view: Value = response.json().await?;
    ensure!(
        status.as_u16() == 200 && view["status"] == "drawn",
        "entropy answered {status}: {view}"
    );
    Ok((create_ms, timer.elapsed().as_secs_f64() * 1e3))
}

fn rand_bytes() -> anyhow::Result<[u8; 32]> {
    Rng::system()
        .bytes()
        .map_err(|_| anyhow::anyhow!("randomness unavailable"))
}

/// The pure part of a draw, timed per step (medians over the draws).
struct Floor {
    total_ms: f64,
    /// `filter::apply`; tokens (HMAC per eligible expert, sort); `DrawPlan::new` (Merkle roots,
    /// intent hash); `execute` (seed, one HMAC per eligible token per stratum, sort).
    parts_ms: [f64; 4],
    /// Summed over the strata.
    eligible: usize,
    matched: u64,
}

/// The pure part of a draw over the server's pool, read into memory first (not timed).
async fn in_process_floor(deps: &Deps, draws: u64) -> anyhow::Result<Floor> {
    let now = SystemClock.now_millis();
    let settings = crate::config::DrawSettings::default();
    let filter = DrawFilter {
        version: FILTER_VERSION.into(),
        salt: "00".repeat(32),
        evaluation_start: now + 2 * 3_600_000,
        evaluation_minutes: 240,
        mode: EvaluationMode::OnSite,
        strata: STRATA
            .iter()
            .map(|p| FilterStratum {
                prefixes: vec![(*p).to_owned()],
                k: K,
                m: M,
                ..FilterStratum::default()
            })
            .collect(),
        avoid_organisations: avoided_organisations(),
        exclude_tokens: Vec::new(),
        regions_exclude: Vec::new(),
        regions_require: Vec::new(),
        rules: PoolRules {
            age_limit_years: settings.age_limit_years,
            avoidance_years: settings.avoidance_years,
            frequency_cap: 0,
            frequency_window_days: settings.frequency_window_days,
            qualification: Some(Qualification {
                min_years: settings.min_years,
                min_title: settings.min_title,
                strata: Vec::new(),
            }),
            tiers: None,
            training: None,
        },
    };
    let evaluation_day = chrono::DateTime::from_timestamp_millis(filter.evaluation_start)
        .context("evaluation start out of range")?
        .date_naive();
    let mut tx = deps.store.snapshot().await?;
    let candidates = crate::draw::service::candidates_from_rows(tx.all_draw_candidates().await?);
    let conflicted =
        crate::draw::service::conflicted_experts(&mut tx, &deps.keys, &filter, evaluation_day)
            .await?;
    tx.rollback().await?;
    ensure!(
        !conflicted.is_empty(),
        "no demo expert is tied to the avoided organisations"
    );
    let facts = PoolFacts {
        conflicted,
        ..PoolFacts::default()
    };
    let secret = ServerSecret::from_bytes([7; 32]);
    let contributions = [Contribution::new(vec![9; 32])?];
    let mut times = Vec::with_capacity(draws as usize);
    let mut parts: [Vec<f64>; 4] = Default::default();
    let mut eligible_total = 0;
    let mut matched = 0;
    for i in 0..draws.max(1) {
        let draw_id = format!("floor-{i}");
        let timer = Instant::now();
        let eligibility = filter::apply(&candidates, &facts, &filter, evaluation_day.year());
        let applied = timer.elapsed();
        let mut strata = Vec::with_capacity(eligibility.len());
        let deriver = DrawToken::deriver(&deps.keys, &draw_id);
        eligible_total = 0;
        matched = 0;
        for (stratum, found) in filter.strata.iter().zip(eligibility) {
            eligible_total += found.eligible.len();
            matched += found.matched;
            let mut pairs: Vec<(DrawToken, String)> = found
                .eligible
                .into_iter()
                .map(|id| (deriver.token(&id), id))
                .collect();
            pairs.sort_unstable_by_key(|a| a.0);
            let tokens = pairs.into_iter().map(|(token, _)| token).collect();
            strata.push((
                Stratum::new(stratum.prefixes.clone(), stratum.k, stratum.m)?,
                EligibleSet::new(tokens)?,
            ));
        }
        let tokens_done = timer.elapsed();
        let plan = DrawPlan::new(
            DrawRequest {
                suite: deps.keys.suite(),
                draw_id,
                pool_snapshot: "bench".into(),
                filter_sha256: filter.digest(deps.keys.suite())?,
                min_multiple: settings.min_eligible_multiple,
                strata,
                tender_sha256: Some(crate::draw::algorithm::tender_commitment(
                    deps.keys.suite(),
                    "BENCH",
                    "",
                )),
                family: None,
            },
            &secret,
        )?;
        let planned = timer.elapsed();
        let outcome = plan.execute(&secret, &contributions)?;
        let done = timer.elapsed();
        times.push(done.as_secs_f64() * 1e3);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        parts[0].push(ms(applied));
        parts[1].push(ms(tokens_done - applied));
        parts[2].push(ms(planned - tokens_done));
        parts[3].push(ms(done - planned));
        ensure!(outcome.strata.iter().all(|s| s.drawn.len() == K as usize));
    }
    Ok(Floor {
        total_ms: Samples(times).median(),
        parts_ms: parts.map(|p| Samples(p).median()),
        eligible: eligible_total,
        matched,
    })
}

/// The create path's steps that the floor leaves out, timed in process one at a time (no
/// concurrency) over the server's store: medians over `iterations`.
async fn server_spans(
    state: &AppState,
    deps: &Deps,
    iterations: usize,
) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let org_indexes: Vec<[u8; 32]> = avoided_organisations()
        .iter()
        .map(|org| deps.keys.blind_index("credit_code", &org.credit_code))
        .collect();
    let now = SystemClock.now_millis();
    let mut read = Vec::new();
    let mut codes = Vec::new();
    let mut seal = Vec::new();
    let mut append = Vec::new();
    let mut proof = Vec::new();
    let mut members_len = 0;
    let mut candidates = Vec::new();
    let mut cold_reads = Vec::new();
    let mut rest = Vec::new();
    let mut candidate_rows = 0;
    for i in 0..iterations {
        let timer = Instant::now();
        let mut tx = deps.store.read().await?;
        let _ = tx.specialty_codes().await?;
        tx.rollback().await?;
        codes.push(timer.elapsed().as_secs_f64() * 1e3);

        let timer = Instant::now();
        let mut tx = deps.store.snapshot().await?;
        let _ = tx.audit_head().await?;
        let before = timer.elapsed();
        // What a draw reads when its instance's copy of the pool is current.
        let _ = tx.pool_version().await?;
        let candidates_done = timer.elapsed();
        let cold = Instant::now();
        let rows = tx.all_draw_candidates().await?;
        cold_reads.push(cold.elapsed().as_secs_f64() * 1e3);
        let cold_done = timer.elapsed();
        let _ = tx.organisation_ties(&org_indexes).await?;
        let _ = tx.experts_on_leave(now, now + 4 * 3_600_000).await?;
        let _ = tx.experts_penalised(now).await?;
        tx.rollback().await?;
        let done = timer.elapsed() - (cold_done - candidates_done);
        read.push(done.as_secs_f64() * 1e3);
        candidate_rows = rows.len();
        candidates.push((candidates_done - before).as_secs_f64() * 1e3);
        rest.push((done - candidates_done + before).as_secs_f64() * 1e3);

        // The eligible members of three strata, about as the service seals them.
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let per_stratum = ids.len() / STRATA.len();
        let timer = Instant::now();
        for chunk in ids.chunks(per_stratum.max(1)).take(STRATA.len()) {
            let json = serde_json::to_vec(chunk)?;
            members_len = json.len();
            let _ = deps.keys.seal(&deps.rng, &format!("bench:{i}"), &json)?;
        }
        seal.push(timer.elapsed().as_secs_f64() * 1e3);

        let timer = Instant::now();
        let mut tx = deps.store.write().await?;
        let entry = crate::audit::AuditEntry::new("bench.draw_intent", now, Actor::System)
            .data("padding", "x".repeat(1500));
        let index = crate::audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        append.push(timer.elapsed().as_secs_f64() * 1e3);

        let timer = Instant::now();
        let _ = state.audit.proof_file(index).await?;
        proof.push(timer.elapsed().as_secs_f64() * 1e3);
    }
    let median = |v: Vec<f64>| Samples(v).median();
    let _ = members_len;
    eprintln!("  ({candidate_rows} candidate rows read per draw)");
    Ok(vec![
        ("known specialties (`specialty_codes`)", median(codes)),
        (
            "pool read at one snapshot (version, ties, leave, penalties)",
            median(read),
        ),
        ("  of which the pool version check", median(candidates)),
        (
            "(whole pool read when the version moved: once per pool change, per instance)",
            median(cold_reads),
        ),
        (
            "  of which the rest (head, ties, leave, penalties)",
            median(rest),
        ),
        ("sealing three members lists", median(seal)),
        (
            "audit append of one intent-sized entry, committed",
            median(append),
        ),
        (
            "`proof_file` of that entry (signs a new checkpoint first)",
            median(proof),
        ),
    ])
}

/// The settings of a benchmark's server: production profile, a fresh key file and database
/// (SQLite under `scratch/label`, or a scratch database on `server_url`), TLS from `certs`, on
/// a free loopback port, metrics off.
pub(super) async fn production_server_settings(
    scratch: &Path,
    label: &str,
    server_url: Option<&str>,
    certs: &crate::tls::dev::DevCertificates,
    rng: &Rng,
    suite: Suite,
) -> anyhow::Result<(Settings, Option<ScratchDatabase>)> {
    let dir = scratch.join(label);
    std::fs::create_dir_all(&dir)?;
    let key_file = dir.join("keys.json");
    KeyRing::init_file(&key_file, rng, &to_rfc3339(SystemClock.now_millis()), suite)?;
    let (url, database) = fresh_database(server_url, &dir.join("sealdraw.db"), label).await?;
    let mut settings = Settings {
        profile: Profile::Production,
        data_dir: dir.clone(),
        ..Settings::default()
    };
    settings.server.address = "127.0.0.1:0".into();
    settings.telemetry.metrics_address = String::new();
    settings.tls.cert = Some(certs.server_cert());
    settings.tls.key = Some(certs.server_key());
    settings.keys.file = Some(key_file);
    settings.database.url = Some(SecretString::from(url));
    Ok((settings, database))
}

#[cfg(test)]
mod tests {
    use super::request_body;

    #[test]
    fn every_timed_draw_is_a_new_tender() {
        let first = request_body();
        let second = request_body();
        assert_ne!(first["tender_reference"], second["tender_reference"]);
        assert!(
            first["tender_reference"]
                .as_str()
                .is_some_and(|reference| reference.starts_with("BENCH-2026-"))
        );
    }
}
