//! `sealdraw bench sessions`: thousands of concurrent session websockets over TLS against the
//! real server run as separate processes, measuring the server's memory per idle connection,
//! the fan-out latency of a session event and the events delivered per second, on one
//! instance (SQLite, and PostgreSQL if asked) and spread over two instances on one PostgreSQL,
//! beside a raw TLS round trip on loopback measured in the same run.
//!
//! What is real and what is seeded:
//! - **Seeded** through the store API before the servers start (not timed): one center, one
//!   supervisor and `sessions_of − 2` expert accounts (placeholder password hashes: nobody logs
//!   in), and per session a drawn root draw row, the session row (distributed, scheduled), its
//!   supervisor, its expert seats, and one single-use ticket per member, stored as the ticket
//!   endpoint stores them (SHA-256 of 32 random bytes, role and seat), valid for an hour.
//! - **Real**: the servers (`sealdraw serve` as child processes of this one, production
//!   profile, TLS from a CA made for the run, their own key file from `sealdraw keys init`),
//!   every TCP connection, TLS handshake and websocket upgrade, ticket redemption, the
//!   welcome, the presence events, heartbeats, and the measured events: a supervisor's `warn`
//!   request, which the server applies in a transaction (event row, audit entry, stored reply)
//!   and fans out through the hub (and, across instances, LISTEN/NOTIFY) to the session's other
//!   members. The load generator is [`SessionClient`], one per connection, in this process.
//!
//! Memory per connection is the growth of the servers' resident set (`VmRSS` of each child in
//! `/proc/<pid>/status`) from their start to all connections idle, divided by connections; the
//! clients live in this process and are not counted. Fan-out latency is from just before the
//! supervisor sends the request to each other member receiving the event, on one clock (the
//! clients share this process); first at a paced rate, then with every supervisor sending as
//! fast as its replies come back (throughput).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc, watch};

use super::audit::{BenchStart, Samples, fresh_database, migrated_store, percentile, thousands};
use crate::auth::Role;
use crate::clock::{Clock, SystemClock};
use crate::crypto::Rng;
use crate::draw::DrawStatus;
use crate::draw::filter::EvaluationMode;
use crate::session::protocol::Request;
use crate::session::{Assignment, RoleName, SessionMode};
use crate::store::Store;
use crate::store::accounts::NewAccount;
use crate::store::draws::DrawRow;
use crate::store::scratch::ScratchDatabase;
use crate::store::sessions::{SessionRow, TicketRow};
use crate::terminal::client::{Endpoint, SessionClient};

pub(crate) const DEFAULT_CONNECTIONS: usize = 5_000;
pub(crate) const DEFAULT_SESSIONS_OF: usize = 5;
/// The targets.
const TARGET_KIB_PER_CONNECTION: f64 = 64.0;
const TARGET_P99_MS: f64 = 100.0;
/// The paced phase: events per second over all sessions, and for how long.
const PACED_RATE: u64 = 50;
const PACED_SECS: u64 = 10;
/// The throughput phase: every supervisor sends back to back for this long.
const FLOOD_SECS: u64 = 10;
/// Connections opened at once while setting up (each redeems a ticket and writes a presence
/// event; SQLite serialises the writes).
const CONNECT_CONCURRENCY: usize = 32;
/// Round trips of the raw loopback echo.
const ECHO_ROUNDS: usize = 2_000;
/// Bytes per echo: about a warning event's frame.
const ECHO_BYTES: usize = 160;

pub(crate) struct SessionsBenchOptions {
    pub(crate) connections: usize,
    pub(crate) sessions_of: usize,
    pub(crate) postgres: Option<String>,
    pub(crate) runs: u64,
    pub(crate) dir: PathBuf,
    pub(crate) command: String,
}

/// One arrangement of servers.
#[derive(Clone, Copy)]
struct Layout {
    name: &'static str,
    instances: usize,
    postgres: bool,
}

/// One layout's figures per run, reported as medians over runs.
#[derive(Default)]
struct Figures {
    kib_per_connection: Vec<f64>,
    rss_before_mib: Vec<f64>,
    rss_idle_mib: Vec<f64>,
    connect_per_sec: Vec<f64>,
    paced: Vec<Phase>,
    flood: Vec<Phase>,
    lost: Vec<f64>,
}

/// One measured phase of one run.
#[derive(Default)]
struct Phase {
    /// Fan-out latency over every delivery, and split by where the receiver was.
    p50_ms: f64,
    p99_ms: f64,
    same_p99_ms: f64,
    cross_p99_ms: f64,
    /// The supervisors' request round trips (send → reply; the server replies after the
    /// commit and after offering the event to this instance's subscribers).
    request_p50_ms: f64,
    request_p99_ms: f64,
    /// Events applied and deliveries received per second, within the phase's window.
    events_per_sec: f64,
    deliveries_per_sec: f64,
    /// Deliveries received ÷ (events applied × other members), after the drain.
    received_ratio: f64,
}

/// One received event: when it was sent and received (µs since the run's clock base), and
/// whether sender and receiver were on different instances.
struct Delivery {
    sent_us: u64,
    received_us: u64,
    cross: bool,
}

struct Loopback {
    tls_p50_us: f64,
    tls_p99_us: f64,
    tcp_p50_us: f64,
}

pub(crate) async fn sessions(options: &SessionsBenchOptions) -> anyhow::Result<String> {
    ensure!(
        options.sessions_of >= 2,
        "--sessions-of needs at least 2 (a supervisor who sends and one member who receives)"
    );
    ensure!(
        options.connections >= options.sessions_of,
        "--connections must be at least --sessions-of"
    );
    let sessions = options.connections / options.sessions_of;
    let connections = sessions * options.sessions_of;
    check_open_files(connections)?;
    let start = BenchStart::begin(&options.dir)?;
    let scratch = &start.scratch;
    let exe = std::env::current_exe().context("cannot find this program to run its server")?;
    let certs =
        crate::tls::dev::generate(&scratch.path().join("certs"), &[], SystemClock.now_millis())
            .map_err(anyhow::Error::msg)?;
    let tls = Arc::new(crate::tls::client_config(&certs.ca())?);

    let mut layouts = vec![Layout {
        name: "SQLite, one instance",
        instances: 1,
        postgres: false,
    }];
    if options.postgres.is_some() {
        layouts.push(Layout {
            name: "PostgreSQL, one instance",
            instances: 1,
            postgres: true,
        });
        layouts.push(Layout {
            name: "PostgreSQL, two instances",
            instances: 2,
            postgres: true,
        });
    }
    let mut figures: Vec<Figures> = layouts.iter().map(|_| Figures::default()).collect();
    let mut loopback = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..options.runs {
        let raw = raw_loopback(&certs, &tls).await?;
        eprintln!(
            "run {}: raw loopback round trip: TLS p50 {:.0} µs p99 {:.0} µs, TCP p50 {:.0} µs",
            run + 1,
            raw.tls_p50_us,
            raw.tls_p99_us,
            raw.tcp_p50_us
        );
        loopback.0.push(raw.tls_p50_us);
        loopback.1.push(raw.tls_p99_us);
        loopback.2.push(raw.tcp_p50_us);
        for (layout, figures) in layouts.iter().zip(&mut figures) {
            eprintln!("run {}: {}", run + 1, layout.name);
            let label = format!("sessions_{}_{}_{run}", layout.instances, layout.postgres);
            let cluster = Cluster::start(
                &exe,
                scratch.path(),
                &label,
                *layout,
                options.postgres.as_deref(),
                &certs,
                sessions,
                options.sessions_of,
            )
            .await?;
            let measured = cluster
                .measure(&tls, figures)
                .await
                .with_context(|| layout.name);
            cluster.stop().await?;
            measured?;
        }
    }

    let mut out = String::new();
    out.push_str(&start.report_header("Sessions (`sealdraw bench sessions`)", &options.command));
    let tls_p50 = Samples(loopback.0).median();
    let tls_p99 = Samples(loopback.1).median();
    let tcp_p50 = Samples(loopback.2).median();
    let _ = writeln!(
        out,
        "{} connections: {sessions} sessions × {} members (a supervisor who sends, a host, {} \
         experts), every one its own TCP + TLS 1.3 + websocket connection from `SessionClient`, \
         opened {CONNECT_CONCURRENCY} at a time; with two instances a session's members \
         alternate between them. Paced: {PACED_RATE} `warn` requests/s, each from the next \
         session in turn, for {PACED_SECS} s; throughput: every supervisor sends back to back \
         for {FLOOD_SECS} s. Latency is per delivery (each other member of the session), from \
         just before the request is sent to the event's arrival. Medians of {} runs (min–max in \
         brackets).\n",
        thousands(connections as f64),
        options.sessions_of,
        options.sessions_of - 2,
        options.runs,
    );
    let _ = writeln!(
        out,
        "Raw loopback round trip, same run ({ECHO_ROUNDS} echoes of {ECHO_BYTES} bytes on one \
         connection to 127.0.0.1): TLS 1.3 p50 {tls_p50:.0} µs, p99 {tls_p99:.0} µs; plain TCP \
         p50 {tcp_p50:.0} µs.\n"
    );
    let _ = write!(out, "| figure |");
    for layout in &layouts {
        let _ = write!(out, " {} |", layout.name);
    }
    let _ = write!(out, "\n|---|");
    for _ in &layouts {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out);
    let ranged = |values: Vec<f64>, digits: usize, unit: &str| {
        let samples = Samples(values);
        if samples.0.len() > 1 {
            format!(
                "{:.digits$}{unit} ({:.digits$}–{:.digits$})",
                samples.median(),
                samples.min(),
                samples.max()
            )
        } else {
            format!("{:.digits$}{unit}", samples.median())
        }
    };
    type Row<'a> = (&'a str, Box<dyn Fn(&Layout, &Figures) -> String + 'a>);
    let phase = |phases: &[Phase], pick: fn(&Phase) -> f64| -> Vec<f64> {
        phases.iter().map(pick).collect()
    };
    let rows: Vec<Row<'_>> = vec![
        (
            "server RSS at start → all connections idle",
            Box::new(|_, f| {
                format!(
                    "{:.0} → {:.0} MiB",
                    Samples(f.rss_before_mib.clone()).median(),
                    Samples(f.rss_idle_mib.clone()).median()
                )
            }),
        ),
        (
            "**server memory per idle connection** (target ≤ 64 KiB)",
            Box::new(|_, f| ranged(f.kib_per_connection.clone(), 1, " KiB")),
        ),
        (
            "connections opened per second (ticket redeemed, presence recorded)",
            Box::new(|_, f| ranged(f.connect_per_sec.clone(), 0, "")),
        ),
        (
            "paced: request round trip p50 / p99",
            Box::new(|_, f| {
                format!(
                    "{:.1} / {:.1} ms",
                    Samples(phase(&f.paced, |p| p.request_p50_ms)).median(),
                    Samples(phase(&f.paced, |p| p.request_p99_ms)).median()
                )
            }),
        ),
        (
            "paced: fan-out p50",
            Box::new(|_, f| ranged(phase(&f.paced, |p| p.p50_ms), 1, " ms")),
        ),
        (
            "**paced: fan-out p99** (target < 100 ms)",
            Box::new(|_, f| ranged(phase(&f.paced, |p| p.p99_ms), 1, " ms")),
        ),
        (
            "paced: fan-out p99, receiver on the sender's instance / the other",
            Box::new(|layout, f| {
                if layout.instances > 1 {
                    format!(
                        "{:.1} / {:.1} ms",
                        Samples(phase(&f.paced, |p| p.same_p99_ms)).median(),
                        Samples(phase(&f.paced, |p| p.cross_p99_ms)).median()
                    )
                } else {
                    "—".into()
                }
            }),
        ),
        (
            "paced: fan-out p50 ÷ raw TLS round trip p50",
            Box::new(move |_, f| {
                format!(
                    "{:.0}×",
                    Samples(phase(&f.paced, |p| p.p50_ms)).median() * 1e3 / tls_p50
                )
            }),
        ),
        (
            "throughput: events/s applied",
            Box::new(|_, f| ranged(phase(&f.flood, |p| p.events_per_sec), 0, "")),
        ),
        (
            "throughput: deliveries/s received",
            Box::new(|_, f| ranged(phase(&f.flood, |p| p.deliveries_per_sec), 0, "")),
        ),
        (
            "throughput: fan-out p50 / p99",
            Box::new(|_, f| {
                format!(
                    "{:.0} / {:.0} ms",
                    Samples(phase(&f.flood, |p| p.p50_ms)).median(),
                    Samples(phase(&f.flood, |p| p.p99_ms)).median()
                )
            }),
        ),
        (
            "throughput: request round trip p50 / p99",
            Box::new(|_, f| {
                format!(
                    "{:.0} / {:.0} ms",
                    Samples(phase(&f.flood, |p| p.request_p50_ms)).median(),
                    Samples(phase(&f.flood, |p| p.request_p99_ms)).median()
                )
            }),
        ),
        (
            "deliveries received ÷ expected, paced / throughput (lowest run)",
            Box::new(|_, f| {
                format!(
                    "{:.1} % / {:.1} %",
                    Samples(phase(&f.paced, |p| p.received_ratio)).min() * 100.0,
                    Samples(phase(&f.flood, |p| p.received_ratio)).min() * 100.0
                )
            }),
        ),
        (
            "connections lost (most in a run)",
            Box::new(|_, f| format!("{:.0}", Samples(f.lost.clone()).max())),
        ),
    ];
    for (name, cell) in &rows {
        let _ = write!(out, "| {name} |");
        for (layout, f) in layouts.iter().zip(&figures) {
            let _ = write!(out, " {} |", cell(layout, f));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
    for (layout, f) in layouts.iter().zip(&figures) {
        let kib = Samples(f.kib_per_connection.clone()).median();
        let p99 = Samples(phase(&f.paced, |p| p.p99_ms)).median();
        let _ = writeln!(
            out,
            "- {}: memory ≤ {TARGET_KIB_PER_CONNECTION:.0} KiB per idle connection: {kib:.1} KiB, \
             **{}**; p99 fan-out < {TARGET_P99_MS:.0} ms at {} connections (paced): {p99:.1} ms, \
             **{}**.",
            layout.name,
            if kib <= TARGET_KIB_PER_CONNECTION {
                "met"
            } else {
                "missed"
            },
            thousands(connections as f64),
            if p99 < TARGET_P99_MS { "met" } else { "missed" },
        );
    }
    Ok(out)
}

/// Every connection is a socket here and one in a server; the servers inherit this limit.
fn check_open_files(connections: usize) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    let needed = connections + 512;
    if let Some(soft) = soft
        && soft < needed
    {
        bail!(
            "{connections} connections need about {needed} open files and the limit is {soft}; \
             raise it first (`ulimit -n $(ulimit -Hn)`, or as root `ulimit -n {needed}`)"
        );
    }
    Ok(())
}

/// One member's connection, before it is opened.
struct Seat {
    session: usize,
    /// 0 is the supervisor who sends.
    member: usize,
    path: String,
    ticket: String,
}

/// The server processes, the seats seeded for them, and the database.
struct Cluster {
    children: Vec<tokio::process::Child>,
    ports: Vec<u16>,
    seats: Vec<Seat>,
    sessions: usize,
    rss_before_kib: u64,
    database: Option<ScratchDatabase>,
}

impl Cluster {
    #[expect(clippy::too_many_arguments, reason = "one call site, all distinct")]
    async fn start(
        exe: &Path,
        scratch: &Path,
        label: &str,
        layout: Layout,
        postgres: Option<&str>,
        certs: &crate::tls::dev::DevCertificates,
        sessions: usize,
        sessions_of: usize,
    ) -> anyhow::Result<Self> {
        let dir = scratch.join(label);
        std::fs::create_dir_all(&dir)?;
        let server_url = match (layout.postgres, postgres) {
            (false, _) => None,
            (true, Some(server_url)) => Some(server_url),
            (true, None) => bail!("a PostgreSQL layout needs --postgres"),
        };
        let (url, database) = fresh_database(server_url, &dir.join("sealdraw.db"), label).await?;
        let key_file = dir.join("keys.json");
        let status = tokio::process::Command::new(exe)
            .args(["keys", "init", "--file"])
            .arg(&key_file)
            .stdout(Stdio::null())
            .status()
            .await?;
        ensure!(status.success(), "`sealdraw keys init` failed: {status}");

        eprintln!("  seeding {sessions} sessions of {sessions_of}");
        let store = migrated_store(&url, 2).await?;
        let seats = seed(&store, sessions, sessions_of).await?;
        store.close().await;

        let mut children = Vec::new();
        let mut ports = Vec::new();
        for instance in 0..layout.instances {
            let port = free_port()?;
            let config = dir.join(format!("instance-{instance}.toml"));
            std::fs::write(
                &config,
                instance_config(&dir, &url, &key_file, certs, port, instance, sessions),
            )?;
            let log = std::fs::File::create(dir.join(format!("instance-{instance}.log")))?;
            let mut command = tokio::process::Command::new(exe);
            command
                .arg("--config")
                .arg(&config)
                .arg("serve")
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .kill_on_drop(true);
            // The generated file is the whole configuration.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("SEALDRAW") {
                    command.env_remove(name);
                }
            }
            children.push(command.spawn().context("cannot start a server")?);
            ports.push(port);
            // One at a time: two instances starting together on a fresh PostgreSQL database
            // both seed the sample classification and one fails (`specialty_codes_pkey`).
            let log = dir.join(format!("instance-{instance}.log"));
            wait_ready(port, certs).await.with_context(|| {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let start = text.len().saturating_sub(2000);
                let tail = text.get(start..).unwrap_or(&text);
                format!("instance {instance}; the end of its log:\n{tail}")
            })?;
        }
        // Let start-up work (migrations, the first checkpoint) settle before the baseline.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_before_kib = rss_kib(&children)?;
        Ok(Self {
            children,
            ports,
            seats,
            sessions,
            rss_before_kib,
            database,
        })
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        for child in &mut self.children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        if let Some(database) = self.database.take() {
            database.danger_drop().await?;
        }
        Ok(())
    }

    async fn measure(
        &self,
        tls: &Arc<rustls::ClientConfig>,
        figures: &mut Figures,
    ) -> anyhow::Result<()> {
        let instances = self.ports.len();
        let base = Instant::now();
        let deliveries = Arc::new(std::sync::Mutex::new(Vec::<Delivery>::new()));
        let requests = Arc::new(std::sync::Mutex::new(Vec::<Delivery>::new()));
        let lost = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut senders: Vec<mpsc::Sender<Command>> = Vec::with_capacity(self.sessions);

        // Connect everyone, a bounded number at a time.
        let timer = Instant::now();
        let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
        let mut opening = FuturesUnordered::new();
        for seat in &self.seats {
            let instance = (seat.session + seat.member) % instances;
            let endpoint = Endpoint {
                address: format!("127.0.0.1:{}", self.ports[instance]),
                server_name: "localhost".into(),
                tls: tls.clone(),
                origin: None,
            };
            let gate = gate.clone();
            let (path, ticket) = (seat.path.clone(), seat.ticket.clone());
            let (session, member) = (seat.session, seat.member);
            opening.push(async move {
                let _permit = gate.acquire().await?;
                let client = SessionClient::connect(&endpoint, &path, &ticket, 0)
                    .await
                    .with_context(|| format!("session {session} member {member}"))?;
                anyhow::Ok((session, member, instance, client))
            });
        }
        let mut opened = Vec::with_capacity(self.seats.len());
        while let Some(result) = opening.next().await {
            opened.push(result?);
            if opened.len() % 1000 == 0 {
                eprintln!("  {} connected", opened.len());
            }
        }
        drop(opening);
        let connect_secs = timer.elapsed().as_secs_f64();
        let connections = opened.len();
        opened.sort_by_key(|(session, member, ..)| (*session, *member));
        let mut tasks = Vec::with_capacity(connections);
        let mut sender_instance = 0;
        for (_, member, instance, client) in opened {
            if member == 0 {
                sender_instance = instance;
                let (tx, rx) = mpsc::channel(4);
                senders.push(tx);
                tasks.push(tokio::spawn(run_sender(
                    client,
                    instance,
                    rx,
                    stop_rx.clone(),
                    base,
                    sent.clone(),
                    requests.clone(),
                    lost.clone(),
                )));
            } else {
                tasks.push(tokio::spawn(run_receiver(
                    client,
                    instance,
                    sender_instance,
                    stop_rx.clone(),
                    base,
                    deliveries.clone(),
                    lost.clone(),
                )));
            }
        }

        // Idle: presence events fanned out, heartbeats running.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let rss_idle_kib = rss_kib(&self.children)?;
        let kib = (rss_idle_kib.saturating_sub(self.rss_before_kib)) as f64 / connections as f64;
        eprintln!(
            "  {connections} connected in {connect_secs:.1} s; server RSS {} → {} MiB: {kib:.1} KiB per connection",
            self.rss_before_kib / 1024,
            rss_idle_kib / 1024
        );
        figures.kib_per_connection.push(kib);
        figures
            .rss_before_mib
            .push(self.rss_before_kib as f64 / 1024.0);
        figures.rss_idle_mib.push(rss_idle_kib as f64 / 1024.0);
        figures
            .connect_per_sec
            .push(connections as f64 / connect_secs);

        // Paced: PACED_RATE events per second, each from the next session in turn.
        let others = (self.seats.len() / self.sessions - 1) as f64;
        take(&deliveries);
        take(&requests);
        let sent_before = sent.load(Ordering::Relaxed);
        let window_start = base.elapsed().as_micros() as u64;
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / PACED_RATE));
        for n in 0..(PACED_RATE * PACED_SECS) as usize {
            tick.tick().await;
            // A sender still busy with its previous event skips this one.
            let _ = senders[n % senders.len()].try_send(Command::One);
        }
        let window_end = base.elapsed().as_micros() as u64;
        let events = drained(&sent, sent_before, &deliveries).await;
        let paced = Phase::of(
            take(&deliveries),
            take(&requests),
            events,
            others,
            (window_start, window_end),
        );
        eprintln!("  paced: {paced}");
        figures.paced.push(paced);

        // Throughput: every supervisor sends back to back until the deadline.
        let sent_before = sent.load(Ordering::Relaxed);
        let window_start = base.elapsed().as_micros() as u64;
        let deadline = Instant::now() + Duration::from_secs(FLOOD_SECS);
        for sender in &senders {
            let _ = sender.send(Command::Until(deadline)).await;
        }
        tokio::time::sleep_until(deadline.into()).await;
        let window_end = base.elapsed().as_micros() as u64;
        let events = drained(&sent, sent_before, &deliveries).await;
        let flood = Phase::of(
            take(&deliveries),
            take(&requests),
            events,
            others,
            (window_start, window_end),
        );
        eprintln!("  throughput: {flood}");
        figures.flood.push(flood);

        let _ = stop_tx.send(true);
        for task in tasks {
            let _ = task.await;
        }
        let lost = lost.load(Ordering::Relaxed);
        if lost > 0 {
            eprintln!("  {lost} connections ended early (see the instance logs)");
        }
        figures.lost.push(lost as f64);
        Ok(())
    }
}

enum Command {
    /// Send one event.
    One,
    /// Send events back to back until then.
    Until(Instant),
}

/// Waits until the senders are idle and no delivery has arrived for a second (at most 60 s);
/// returns the events applied since `sent_before`.
async fn drained(
    sent: &AtomicU64,
    sent_before: u64,
    deliveries: &std::sync::Mutex<Vec<Delivery>>,
) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (u64::MAX, usize::MAX);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = (
            sent.load(Ordering::Relaxed),
            deliveries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len(),
        );
        if now == last {
            break;
        }
        last = now;
    }
    sent.load(Ordering::Relaxed) - sent_before
}

impl Phase {
    /// `requests` holds each request's send and reply times.
    fn of(
        deliveries: Vec<Delivery>,
        requests: Vec<Delivery>,
        events: u64,
        others: f64,
        (start, end): (u64, u64),
    ) -> Self {
        let latencies = |filter: &dyn Fn(&Delivery) -> bool| -> Vec<f64> {
            deliveries
                .iter()
                .filter(|d| filter(d))
                .map(Delivery::latency_ms)
                .collect()
        };
        let mut all = latencies(&|_| true);
        let mut same = latencies(&|d| !d.cross);
        let mut cross = latencies(&|d| d.cross);
        let mut request: Vec<f64> = requests.iter().map(Delivery::latency_ms).collect();
        let window = (end - start) as f64 / 1e6;
        let in_window = |d: &&Delivery| d.received_us >= start && d.received_us <= end;
        Self {
            p50_ms: percentile(&mut all, 0.50),
            p99_ms: percentile(&mut all, 0.99),
            same_p99_ms: percentile(&mut same, 0.99),
            cross_p99_ms: percentile(&mut cross, 0.99),
            request_p50_ms: percentile(&mut request, 0.50),
            request_p99_ms: percentile(&mut request, 0.99),
            events_per_sec: requests.iter().filter(in_window).count() as f64 / window,
            deliveries_per_sec: deliveries.iter().filter(in_window).count() as f64 / window,
            received_ratio: deliveries.len() as f64 / (events as f64 * others),
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fan-out p50 {:.1} ms p99 {:.1} ms (same instance p99 {:.1}, other {:.1}); request p50 \
             {:.1} ms p99 {:.1} ms; {:.0} events/s, {:.0} deliveries/s; {:.1} % received",
            self.p50_ms,
            self.p99_ms,
            self.same_p99_ms,
            self.cross_p99_ms,
            self.request_p50_ms,
            self.request_p99_ms,
            self.events_per_sec,
            self.deliveries_per_sec,
            self.received_ratio * 100.0
        )
    }
}

impl Delivery {
    fn latency_ms(&self) -> f64 {
        self.received_us.saturating_sub(self.sent_us) as f64 / 1e3
    }
}

fn take(deliveries: &std::sync::Mutex<Vec<Delivery>>) -> Vec<Delivery> {
    std::mem::take(
        &mut *deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// The supervisor of a session: sends `warn` requests when told, and otherwise keeps reading
/// (so heartbeats are answered and its own events do not pile up).
#[expect(
    clippy::too_many_arguments,
    reason = "one task's connection, its commands and the shared counters it reports into"
)]
async fn run_sender(
    mut client: SessionClient,
    instance: usize,
    mut commands: mpsc::Receiver<Command>,
    mut stop: watch::Receiver<bool>,
    base: Instant,
    sent: Arc<AtomicU64>,
    requests: Arc<std::sync::Mutex<Vec<Delivery>>>,
    lost: Arc<AtomicU64>,
) {
    // One request; false (and the connection counted as lost) if it failed.
    let send_one = async |client: &mut SessionClient| {
        let sent_us = base.elapsed().as_micros() as u64;
        if !warn(client, instance, sent_us).await {
            lost.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        sent.fetch_add(1, Ordering::Relaxed);
        requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Delivery {
                sent_us,
                received_us: base.elapsed().as_micros() as u64,
                cross: false,
            });
        true
    };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            command = commands.recv() => match command {
                None => break,
                Some(Command::One) => {
                    if !send_one(&mut client).await {
                        break;
                    }
                }
                Some(Command::Until(deadline)) => {
                    while Instant::now() < deadline {
                        if !send_one(&mut client).await {
                            return;
                        }
                    }
                }
            },
            event = client.next_event(Duration::from_secs(3600)) => {
                if event.is_err() {
                    lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
    client.close().await;
}

/// One `warn` request carrying its sender's instance and send time; true if it was applied.
async fn warn(client: &mut SessionClient, instance: usize, sent_us: u64) -> bool {
    let text = format!("bench {instance} {sent_us}");
    let outcome = client.request(&Request::Warn { text }).await;
    client.drain_events();
    matches!(outcome, Ok(Ok(_)))
}

/// Any other member: records when each warning arrives.
async fn run_receiver(
    mut client: SessionClient,
    instance: usize,
    sender_instance: usize,
    mut stop: watch::Receiver<bool>,
    base: Instant,
    deliveries: Arc<std::sync::Mutex<Vec<Delivery>>>,
    lost: Arc<AtomicU64>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            event = client.next_event(Duration::from_secs(3600)) => {
                let event = match event {
                    Ok(event) => event,
                    Err(_) => {
                        lost.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                };
                let received_us = base.elapsed().as_micros() as u64;
                if event.kind != "warning" {
                    continue;
                }
                let sent_us = event.data["text"]
                    .as_str()
                    .and_then(|text| text.rsplit(' ').next())
                    .and_then(|micros| micros.parse::<u64>().ok());
                if let Some(sent_us) = sent_us {
                    deliveries
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(Delivery {
                            sent_us,
                            received_us,
                            cross: instance != sender_instance,
                        });
                }
            }
        }
    }
    client.close().await;
}

/// Accounts, draws, sessions, seats and tickets, straight into the store (see the module
/// documentation); returns every member's websocket path and ticket.
async fn seed(store: &Store, sessions: usize, sessions_of: usize) -> anyhow::Result<Vec<Seat>> {
    let now = SystemClock.now_millis();
    let rng = Rng::system();
    let mut tx = store.write().await?;
    let center_id = uuid::Uuid::now_v7().to_string();
    let supervisor_id = uuid::Uuid::now_v7().to_string();
    let experts: Vec<String> = (0..sessions_of - 2)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let mut accounts = vec![
        (center_id.clone(), "bench-center".to_owned(), Role::Center),
        (
            supervisor_id.clone(),
            "bench-supervisor".to_owned(),
            Role::Supervisor,
        ),
    ];
    for (n, id) in experts.iter().enumerate() {
        accounts.push((id.clone(), format!("bench-expert-{}", n + 1), Role::Expert));
    }
    for (id, username, role) in &accounts {
        tx.insert_account(&NewAccount {
            id,
            username,
            role: *role,
            // Not a hash: nobody logs in to these accounts.
            password_hash: "!bench",
            totp_sealed: None,
            center_name: (*role == Role::Center).then_some("bench center"),
            region_code: (*role == Role::Center).then_some("420100"),
            display_name: None,
            created_at: now,
        })
        .await?;
    }
    let mut seats = Vec::with_capacity(sessions * sessions_of);
    for session in 0..sessions {
        let draw_id = uuid::Uuid::now_v7().to_string();
        tx.insert_draw(&DrawRow {
            id: draw_id.clone(),
            center_id: center_id.clone(),
            parent_draw_id: None,
            parent_stratum: None,
            link_reason: None,
            tender_reference: format!("BENCH-{session}"),
            tender_name: "bench".into(),
            venue: None,
            mode: EvaluationMode::Distributed,
            evaluation_start: now,
            evaluation_minutes: 240,
            status: DrawStatus::Drawn,
            filter_json: "{}".into(),
            exclusions_json: "[]".into(),
            intent_json: "{}".into(),
            intent_hash: vec![0; 32],
            intent_index: 0,
            sealed_secret: vec![0; 32],
            contribution_deadline: now,
            secret: None,
            seed: None,
            result_index: None,
            created_at: now,
            executed_at: Some(now),
            spec_version: 1,
            lot: String::new(),
            tender_key: None,
            family_excluded: None,
        })
        .await?;
        let session_id = uuid::Uuid::now_v7().to_string();
        tx.insert_session(&SessionRow {
            id: session_id.clone(),
            draw_id: draw_id.clone(),
            center_id: center_id.clone(),
            mode: SessionMode::Distributed,
            phase: crate::session::rules::Phase::Scheduled,
            assignment: Assignment::None,
            sealed_secret: None,
            secret_commitment: None,
            bidders_json: json!(["bidder A"]).to_string(),
            criteria_json: "[]".into(),
            deviation_percent: 20,
            chair_seat: None,
            report_json: None,
            report_sha256: None,
            next_seq: 1,
            created_at: now,
            closed_at: None,
            signing_deadline: None,
            method: crate::session::EvaluationMethod::Comprehensive,
        })
        .await?;
        tx.insert_session_supervisor(&session_id, &supervisor_id)
            .await?;
        for seat in 1..=experts.len() {
            let token = rng
                .bytes::<32>()
                .map_err(|_| anyhow::anyhow!("randomness unavailable"))?;
            tx.insert_session_seat(&session_id, seat as i32, &draw_id, &token, None, now)
                .await?;
        }
        // Member 0 is the supervisor (who sends), 1 the host, then the experts by seat.
        for member in 0..sessions_of {
            let (account_id, role, seat) = match member {
                0 => (supervisor_id.clone(), RoleName::Supervisor, None),
                1 => (center_id.clone(), RoleName::Host, None),
                n => (experts[n - 2].clone(), RoleName::Expert, Some(n as i32 - 1)),
            };
            let ticket = rng
                .bytes::<32>()
                .map_err(|_| anyhow::anyhow!("randomness unavailable"))?;
            let ticket =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, ticket);
            let ticket_digest = tx.suite().hash(ticket.as_bytes());
            tx.insert_session_ticket(
                &ticket_digest,
                &TicketRow {
                    session_id: session_id.clone(),
                    account_id,
                    role,
                    seat,
                    expires_at: now + 3_600_000,
                    used_at: None,
                },
            )
            .await?;
            seats.push(Seat {
                session,
                member,
                path: format!("/api/v1/sessions/{session_id}/ws"),
                ticket,
            });
        }
    }
    tx.commit().await?;
    Ok(seats)
}

/// An instance's settings file: production profile, the run's certificates and key file, its
/// own port, logs at warn, no metrics listener (two instances would fight over its port). The
/// seeded accounts each hold one connection in every one of the `sessions`, so the
/// per-account connection cap is raised to that.
fn instance_config(
    dir: &Path,
    url: &str,
    key_file: &Path,
    certs: &crate::tls::dev::DevCertificates,
    port: u16,
    instance: usize,
    sessions: usize,
) -> String {
    let quoted = |path: &Path| toml_string(&path.display().to_string());
    format!(
        "profile = \"production\"\ndata_dir = {}\n\n[server]\naddress = \"127.0.0.1:{port}\"\n\n\
         [tls]\ncert = {}\nkey = {}\n\n[keys]\nfile = {}\n\n[database]\nurl = {}\n\n\
         [telemetry]\nmetrics_address = \"\"\nlog_filter = \"warn\"\n\n\
         [session]\nmax_connections_per_account = {}\n",
        quoted(&dir.join(format!("data-{instance}"))),
        quoted(&certs.server_cert()),
        quoted(&certs.server_key()),
        quoted(key_file),
        toml_string(url),
        sessions.max(1),
    )
}

fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.into()).to_string()
}

/// A port free now (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_ready(port: u16, certs: &crate::tls::dev::DevCertificates) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config(&certs.ca())?)
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client
            .get(format!("https://localhost:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success());
        if ready {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the server on port {port} did not become ready in 60 s (see its log)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The servers' resident set in KiB, summed.
fn rss_kib(children: &[tokio::process::Child]) -> anyhow::Result<u64> {
    let mut total = 0;
    for child in children {
        let pid = child.id().context("a server has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        total += status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
    }
    Ok(total)
}

/// Round trips of a small message over one kept connection to an echo server on 127.0.0.1,
/// with the run's TLS configuration and without TLS: what no server could beat.
async fn raw_loopback(
    certs: &crate::tls::dev::DevCertificates,
    tls: &Arc<rustls::ClientConfig>,
) -> anyhow::Result<Loopback> {
    let (cert, key) = (certs.server_cert(), certs.server_key());
    // The server's own configuration, as `serve` builds it by default.
    let server_config = Arc::new(crate::tls::server_config(&crate::tls::TlsOptions {
        cert: &cert,
        key: &key,
        tls13_only: crate::config::Settings::default().tls.tls13_only,
        client_ca: None,
    })?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let mut stream = acceptor.accept(tcp).await?;
        echo(&mut stream).await
    });
    let tcp = tokio::net::TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let mut stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await?;
    let mut tls_times = round_trips(&mut stream).await?;
    drop(stream);
    server.await??;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        echo(&mut tcp).await
    });
    let mut tcp = tokio::net::TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    let mut tcp_times = round_trips(&mut tcp).await?;
    drop(tcp);
    server.await??;
    Ok(Loopback {
        tls_p50_us: percentile(&mut tls_times, 0.50),
        tls_p99_us: percentile(&mut tls_times, 0.99),
        tcp_p50_us: percentile(&mut tcp_times, 0.50),
    })
}

async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
) -> anyhow::Result<()> {
    let mut buffer = [0u8; ECHO_BYTES];
    loop {
        match stream.read_exact(&mut buffer).await {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        stream.write_all(&buffer).await?;
        stream.flush().await?;
    }
}

/// Microseconds per round trip, after 100 untimed ones.
async fn round_trips<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
) -> anyhow::Result<Vec<f64>> {
    let message = [b'x'; ECHO_BYTES];
    let mut answer = [0u8; ECHO_BYTES];
    let mut times = Vec::with_capacity(ECHO_ROUNDS);
    for round in 0..ECHO_ROUNDS + 100 {
        let timer = Instant::now();
        stream.write_all(&message).await?;
        stream.flush().await?;
        stream.read_exact(&mut answer).await?;
        if round >= 100 {
            times.push(timer.elapsed().as_secs_f64() * 1e6);
        }
    }
    stream.shutdown().await?;
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_settings_parse_as_the_server_reads_them() {
        let dir = Path::new("/tmp/bench \"quoted\"");
        let certs = crate::tls::dev::DevCertificates {
            dir: dir.join("certs"),
        };
        let text = instance_config(
            dir,
            "sqlite:///tmp/x.db",
            &dir.join("keys.json"),
            &certs,
            4443,
            1,
            1_000,
        );
        let file = std::env::temp_dir().join(format!("sealdraw-bench-{}.toml", std::process::id()));
        std::fs::write(&file, text).unwrap();
        let settings = crate::config::Settings::load(Some(&file));
        std::fs::remove_file(&file).unwrap();
        let settings = settings.unwrap();
        assert_eq!(settings.server.address, "127.0.0.1:4443");
        assert!(settings.telemetry.metrics_address.is_empty());
        assert_eq!(settings.key_file(), dir.join("keys.json"));
        assert_eq!(settings.session.max_connections_per_account, 1_000);
    }
}
