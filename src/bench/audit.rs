//! `sealdraw bench audit`: the audit log measured on the machine it runs on, beside that
//! machine's raw limits, as one reproducible command (benchmarks are commands, not timed tests).
//!
//! One run measures, in this order:
//! 1. raw limits: SHA-256 and Ed25519 rates (ring, one thread) and the rate of 4 KiB appends
//!    (4 KiB write + `fsync`, as SQLite does to its write-ahead log on every commit) in the
//!    scratch directory, which bounds commits on SQLite;
//! 2. append throughput: realistic entries through the real [`audit::append`] in real write
//!    transactions of B entries, while a checkpointer signs every second, on SQLite (WAL,
//!    `synchronous=FULL`, the real [`Store`]) and, if asked, on a fresh PostgreSQL database;
//! 3. offline verification: a SQLite log filled with real appends, exported with the real
//!    [`export::export`], checked with the real [`export::verify_dir`];
//! 4. proof sizes: real tlog-proof files and consistency proofs, plus a computed row for 10⁹.
//!
//! Everything runs in scratch databases and a scratch directory that are removed at the end. The
//! result is a Markdown report on standard output; progress goes to standard error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use crate::audit::proof::TlogProof;
use crate::audit::{self, Actor, AuditEntry, AuditError, AuditLog, export};
use crate::auth::Role;
use crate::clock::{Clock, SharedClock, SystemClock, to_rfc3339};
use crate::crypto::{KeyRing, Rng, Suite};
use crate::store::scratch::ScratchDatabase;
use crate::store::{Backend, ConnectOptions, Store};

/// The targets.
const TARGET_APPENDS_PER_SEC: f64 = 5_000.0;
const TARGET_VERIFY: Duration = Duration::from_secs(10);

/// Group-commit sizes measured: entries appended per write transaction.
const BATCHES: [u64; 3] = [1, 16, 128];
/// Entries per transaction when filling the log that is exported and verified.
const FILL_BATCH: u64 = 1_000;
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// Tree sizes whose proofs are measured on a real log (the export's size is added).
const PROOF_SIZE_SMALL: u64 = 1_000;
/// The tree size whose proof sizes are computed, not measured.
const PROOF_SIZE_COMPUTED: u64 = 1_000_000_000;
/// A base64 proof hash line: 44 characters and a newline.
const PROOF_LINE_BYTES: usize = 45;
/// Each raw-limit sample runs for this long.
const RAW_WINDOW: Duration = Duration::from_millis(400);
/// The checkpoint text an Ed25519 signature covers is about this long.
const NOTE_BYTES: usize = 100;

pub(crate) struct AuditBenchOptions {
    /// Entries appended per timed run, for each B.
    pub entries: u64,
    /// Timed runs per figure; medians are reported.
    pub(crate) runs: u64,
    /// A PostgreSQL server URL; a fresh database is created there and dropped at the end.
    pub(crate) postgres: Option<String>,
    pub(crate) skip_verify: bool,
    /// Entries in the exported log that is verified.
    pub(crate) verify_entries: u64,
    /// Where scratch databases and the export go; its filesystem decides what fsync costs.
    pub(crate) dir: PathBuf,
    pub origin: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// The command line that reproduces this run, as printed in the report.
    pub(crate) command: String,
    /// The suite of the log (its hashes and signatures) and of the raw limits beside it.
    pub(crate) suite: Suite,
}

/// Runs the whole benchmark and returns the Markdown report.
pub(crate) async fn audit(options: &AuditBenchOptions) -> anyhow::Result<String> {
    let BenchStart {
        started,
        started_at,
        scratch,
        machine,
        clock,
    } = BenchStart::begin(&options.dir)?;

    progress("raw limits");
    let raw = RawLimits::measure(options.suite, options.runs, RAW_WINDOW, scratch.path())?;

    // Keys made from a fixed seed: the benchmark's log is thrown away, and fixed keys make the
    // proof files the same size on every run.
    let key_file = scratch.path().join("keys.json");
    KeyRing::init_file(
        &key_file,
        &Rng::danger_deterministic(b"sealdraw bench audit"),
        &started_at,
        options.suite,
    )?;
    let keys = KeyRing::load(&key_file)?;
    let bench = Bench {
        options,
        clock: clock.clone(),
        keys: &keys,
        scratch: scratch.path(),
    };

    let mut appends = vec![append_throughput(&bench, &Target::Sqlite).await?];
    if let Some(server_url) = &options.postgres {
        appends.push(append_throughput(&bench, &Target::Postgres(server_url.clone())).await?);
    }

    let mut proofs = vec![measured_proofs(&bench, PROOF_SIZE_SMALL).await?];
    let verify = if options.skip_verify {
        None
    } else {
        let (verify, proof) = verify_export(&bench, &raw).await?;
        proofs.push(proof);
        Some(verify)
    };
    proofs.push(computed_proofs(&proofs, PROOF_SIZE_COMPUTED)?);

    let report = Report {
        command: &options.command,
        started_at,
        took: started.elapsed(),
        machine,
        load_after: read_loadavg(),
        raw,
        appends,
        verify,
        proofs,
        options,
    };
    Ok(report.render())
}

/// What every step needs.
struct Bench<'a> {
    options: &'a AuditBenchOptions,
    clock: SharedClock,
    keys: &'a KeyRing,
    scratch: &'a Path,
}

fn progress(step: &str) {
    eprintln!("bench: {step}…");
}

// ---------------------------------------------------------------------------------------------
// 1. Raw limits
// ---------------------------------------------------------------------------------------------

struct RawLimits {
    suite: Suite,
    /// Input length and hashes/s per sample, in the suite's hash.
    sha256: Vec<(usize, Samples)>,
    sign: Samples,
    verify: Samples,
    /// 4 KiB writes each followed by `fsync`, per second.
    fsync: Samples,
}

impl RawLimits {
    /// SHA-256 at 32 bytes (a hash), 65 bytes (an RFC 6962 node: 0x01 ‖ left ‖ right) and
    /// 300 bytes (a leaf: 0x00 ‖ an entry of ~250 bytes; 251 and 300 bytes are both five
    /// compression blocks).
    const SHA256_LENGTHS: [usize; 3] = [32, 65, 300];

    fn measure(suite: Suite, runs: u64, window: Duration, dir: &Path) -> anyhow::Result<Self> {
        let mut sha256 = Vec::new();
        for length in Self::SHA256_LENGTHS {
            let input = vec![0x5a_u8; length];
            let samples = Samples::collect(runs, || {
                ops_per_sec(window, || {
                    std::hint::black_box(suite.hash(std::hint::black_box(&input)));
                })
            });
            sha256.push((length, samples));
        }

        // A throwaway key from a constant seed, used for nothing but timing the primitive.
        let pair = crate::crypto::Signer::from_seed(suite, &[7; 32])?;
        let public = pair.public_key();
        let message = vec![b'c'; NOTE_BYTES];
        let sign = Samples::collect(runs, || {
            ops_per_sec(window, || {
                let _ = std::hint::black_box(pair.sign(std::hint::black_box(&message)));
            })
        });
        let signed = pair.sign(&message)?;
        let mut all_verified = true;
        let verify = Samples::collect(runs, || {
            ops_per_sec(window, || {
                all_verified &= public.verifies(std::hint::black_box(&message), &signed);
            })
        });
        ensure!(all_verified, "a valid signature failed to verify");

        let fsync = fsync_rate(runs, window, &dir.join("fsync-probe"))?;
        Ok(Self {
            suite,
            sha256,
            sign,
            verify,
            fsync,
        })
    }

    fn sha256_rate(&self, length: usize) -> f64 {
        self.sha256
            .iter()
            .find(|(l, _)| *l == length)
            .map_or(f64::NAN, |(_, samples)| samples.median())
    }
}

/// Calls `op` in batches until `window` has passed; returns calls per second.
pub(super) fn ops_per_sec(window: Duration, mut op: impl FnMut()) -> f64 {
    const BATCH: u64 = 64;
    let start = Instant::now();
    let mut calls = 0_u64;
    loop {
        for _ in 0..BATCH {
            op();
        }
        calls += BATCH;
        let elapsed = start.elapsed();
        if elapsed >= window {
            return calls as f64 / elapsed.as_secs_f64();
        }
    }
}

/// What a durable commit costs at the least: SQLite with `synchronous=FULL` writes the commit's
/// pages to its write-ahead log and calls `fsync` on it once per commit (strace shows one per
/// commit). The probe does the same with 4 KiB pages, cycling through 4 MiB the way the log is
/// reused after each WAL checkpoint (1,000 pages by default).
fn fsync_rate(runs: u64, window: Duration, path: &Path) -> anyhow::Result<Samples> {
    use std::io::{Seek, SeekFrom, Write};
    const PAGE: usize = 4096;
    const PAGES: u64 = 1000;
    let mut samples = Vec::new();
    for _ in 0..runs {
        let mut file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let page = [0x5a_u8; PAGE];
        let start = Instant::now();
        let mut syncs = 0_u64;
        while start.elapsed() < window {
            file.seek(SeekFrom::Start((syncs % PAGES) * PAGE as u64))?;
            file.write_all(&page)?;
            file.sync_all()?;
            syncs += 1;
        }
        samples.push(syncs as f64 / start.elapsed().as_secs_f64());
    }
    std::fs::remove_file(path)?;
    Ok(Samples(samples))
}

// ---------------------------------------------------------------------------------------------
// 2. Append throughput
// ---------------------------------------------------------------------------------------------

enum Target {
    Sqlite,
    /// A server URL; each measurement gets a database of its own there.
    Postgres(String),
}

struct AppendResult {
    backend: Backend,
    durability: Vec<(String, String)>,
    rows: Vec<AppendRow>,
}

struct AppendRow {
    batch: u64,
    runs: Vec<AppendRun>,
}

struct AppendRun {
    entries: u64,
    commits: u64,
    elapsed: Duration,
    /// Checkpoints the concurrent checkpointer signed during the run (the final one excluded).
    signed: u64,
    /// How long each signing `checkpoint_now` took, the final one included.
    signing: Vec<Duration>,
}

impl AppendRow {
    fn rate(&self) -> Samples {
        Samples(
            self.runs
                .iter()
                .map(|run| run.entries as f64 / run.elapsed.as_secs_f64())
                .collect(),
        )
    }

    fn commit_rate(&self) -> Samples {
        Samples(
            self.runs
                .iter()
                .map(|run| run.commits as f64 / run.elapsed.as_secs_f64())
                .collect(),
        )
    }
}

/// For each B: a fresh database, then `runs` timed runs of `entries` appends each.
async fn append_throughput(bench: &Bench<'_>, target: &Target) -> anyhow::Result<AppendResult> {
    let options = bench.options;
    let mut rows = Vec::new();
    let mut durability = Vec::new();
    for batch in BATCHES {
        let database = BenchDatabase::open(bench, target, &format!("append_b{batch}")).await?;
        let measured = async {
            durability = database.store.durability_settings().await?;
            let audit = Arc::new(AuditLog::new(
                database.store.clone(),
                bench.clock.clone(),
                bench.keys,
                &options.origin,
            )?);
            let mut entries = EntryFactory::new(bench.clock.clone());
            let mut runs = Vec::new();
            for run in 0..options.runs {
                progress(&format!(
                    "{} appends, B={batch}, run {}/{}",
                    target.name(),
                    run + 1,
                    options.runs
                ));
                runs.push(
                    timed_append_run(
                        &database.store,
                        &audit,
                        &mut entries,
                        options.entries,
                        batch,
                    )
                    .await?,
                );
            }
            anyhow::Ok(AppendRow { batch, runs })
        }
        .await;
        database.close().await?;
        rows.push(measured?);
    }
    Ok(AppendResult {
        backend: target.backend(),
        durability,
        rows,
    })
}

/// Appends `entries` entries in transactions of `batch` while a checkpointer signs every
/// second, then signs the final checkpoint: the time until every entry is in a signed
/// checkpoint.
async fn timed_append_run(
    store: &Store,
    audit: &Arc<AuditLog>,
    factory: &mut EntryFactory,
    entries: u64,
    batch: u64,
) -> anyhow::Result<AppendRun> {
    let size_before = audit.latest_checkpoint().await?.size;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let checkpointer = tokio::spawn(checkpointer(audit.clone(), size_before, stopped));
    let mut commits = 0;
    let appended = async {
        let mut remaining = entries;
        while remaining > 0 {
            let count = remaining.min(batch);
            append_transaction(store, factory, count).await?;
            remaining -= count;
            commits += 1;
        }
        anyhow::Ok(())
    }
    .await;
    // Stop the checkpointer before reporting an append failure, so it never outlives the run.
    let _ = stop.send(true);
    let checkpointed = checkpointer.await.context("the checkpointer panicked")?;
    appended?;
    let (signed, mut signing) = checkpointed?;
    let final_start = Instant::now();
    let last = audit.checkpoint_now().await?;
    signing.push(final_start.elapsed());
    let elapsed = start.elapsed();
    ensure!(
        last.size == size_before + entries,
        "the final checkpoint has size {}, expected {}",
        last.size,
        size_before + entries
    );
    Ok(AppendRun {
        entries,
        commits,
        elapsed,
        signed,
        signing,
    })
}

/// The server's checkpointer loop (`AuditLog::run_checkpointer`) at a one-second interval,
/// counting and timing the checkpoints it signs and stopping at the first error.
async fn checkpointer(
    audit: Arc<AuditLog>,
    mut size: u64,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<(u64, Vec<Duration>), AuditError> {
    let mut ticker = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut signed, mut signing) = (0, Vec::new());
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let start = Instant::now();
                let checkpoint = audit.checkpoint_now().await?;
                if checkpoint.size > size {
                    signing.push(start.elapsed());
                    signed += 1;
                    size = checkpoint.size;
                }
            }
            _ = stopped.changed() => return Ok((signed, signing)),
        }
    }
}

/// One write transaction holding `count` appends, as an action that logs `count` entries would.
async fn append_transaction(
    store: &Store,
    factory: &mut EntryFactory,
    count: u64,
) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    for _ in 0..count {
        audit::append(&mut tx, &factory.next_entry()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Entries shaped like the server's `account.created` entries (~250 bytes of canonical JSON):
/// an administrator's id and role, the new account's id, its role and region.
struct EntryFactory {
    clock: SharedClock,
    admin: String,
    next: u64,
}

impl EntryFactory {
    fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            admin: bench_id(u64::MAX),
            next: 0,
        }
    }

    fn next_entry(&mut self) -> AuditEntry {
        let account = bench_id(self.next);
        self.next += 1;
        AuditEntry::new(
            "account.created",
            self.clock.now_millis(),
            Actor::Account {
                id: self.admin.clone(),
                role: Role::Admin,
            },
        )
        .reference("account", account)
        .data("role", Role::Center.as_str())
        .data("region_code", "420100")
    }
}

/// A UUID-shaped id that differs in every position from its neighbours, without randomness.
fn bench_id(n: u64) -> String {
    let mixed = u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) | 1;
    uuid::Uuid::from_u128(mixed).hyphenated().to_string()
}

/// A scratch database: a SQLite file in the scratch directory, or a fresh PostgreSQL database.
struct BenchDatabase {
    store: Store,
    sqlite_file: Option<PathBuf>,
    postgres: Option<ScratchDatabase>,
}

impl Target {
    fn backend(&self) -> Backend {
        match self {
            Self::Sqlite => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    fn name(&self) -> &'static str {
        backend_name(self.backend())
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

impl BenchDatabase {
    async fn open(bench: &Bench<'_>, target: &Target, label: &str) -> anyhow::Result<Self> {
        let connect = ConnectOptions {
            max_connections: bench.options.max_connections,
            acquire_timeout: bench.options.acquire_timeout,
        };
        let (url, sqlite_file, postgres) = match target {
            Target::Sqlite => {
                let file = bench.scratch.join(format!("{label}.db"));
                (format!("sqlite://{}", file.display()), Some(file), None)
            }
            Target::Postgres(server_url) => {
                let name = format!("sealdraw_bench_{}_{label}", std::process::id());
                let database = ScratchDatabase::create(server_url, &name)
                    .await
                    .with_context(|| format!("cannot create the PostgreSQL database {name}"))?;
                (database.url().to_owned(), None, Some(database))
            }
        };
        let store = match Store::connect(&url, &connect, bench.options.suite).await {
            Ok(store) => store,
            Err(error) => {
                if let Some(database) = postgres {
                    database.danger_drop().await?;
                }
                return Err(error).context("cannot connect to the scratch database");
            }
        };
        let database = Self {
            store,
            sqlite_file,
            postgres,
        };
        if let Err(error) = database.store.migrate().await {
            database.close().await?;
            return Err(error).context("cannot migrate the scratch database");
        }
        Ok(database)
    }

    /// Closes the pool and deletes the database.
    async fn close(self) -> anyhow::Result<()> {
        self.store.close().await;
        if let Some(database) = self.postgres {
            database
                .danger_drop()
                .await
                .context("cannot drop the scratch PostgreSQL database")?;
        }
        if let Some(file) = self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                match std::fs::remove_file(&path) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(error).context("cannot remove a scratch SQLite file");
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Offline verification of a large export
// ---------------------------------------------------------------------------------------------

struct VerifyResult {
    entries: u64,
    fill: Duration,
    export: Duration,
    files: u64,
    export_bytes: u64,
    verify: Samples,
    /// Seconds to hash every leaf and interior node once at the measured raw rates.
    floor_secs: f64,
}

/// Fills a SQLite log with real appends, exports it with the real `export` and times the real
/// `verify_dir`; returns the proof sizes of that log as well.
async fn verify_export(
    bench: &Bench<'_>,
    raw: &RawLimits,
) -> anyhow::Result<(VerifyResult, ProofRow)> {
    let options = bench.options;
    let size = options.verify_entries;
    let database = BenchDatabase::open(bench, &Target::Sqlite, "verify").await?;
    let export_dir = bench.scratch.join("export");
    let measured = async {
        let audit = AuditLog::new(
            database.store.clone(),
            bench.clock.clone(),
            bench.keys,
            &options.origin,
        )?;
        let mut factory = EntryFactory::new(bench.clock.clone());
        progress(&format!(
            "filling a SQLite log with {size} entries, {FILL_BATCH} per transaction"
        ));
        let start = Instant::now();
        let mut appended = 0;
        let mut reported = 0;
        while appended < size {
            let count = (size - appended).min(FILL_BATCH);
            append_transaction(&database.store, &mut factory, count).await?;
            appended += count;
            if appended * 10 / size > reported {
                reported = appended * 10 / size;
                eprintln!(
                    "bench:   {appended} entries ({:.0} s)",
                    start.elapsed().as_secs_f64()
                );
            }
        }
        let fill = start.elapsed();

        progress("exporting");
        let start = Instant::now();
        let summary = export::export(&audit, &export_dir).await?;
        let export_time = start.elapsed();
        ensure!(
            summary.size == size,
            "the export holds {} entries",
            summary.size
        );

        let mut verify = Vec::new();
        for run in 0..options.runs {
            progress(&format!("verify_dir, run {}/{}", run + 1, options.runs));
            let start = Instant::now();
            let report = export::verify_dir(&export_dir, audit.verifiers(), None, &[])?;
            verify.push(start.elapsed().as_secs_f64());
            ensure!(
                report.entries == size,
                "verify_dir checked {} entries",
                report.entries
            );
        }
        let proof = proof_row(&audit, size).await?;
        let leaf_hashes = size as f64 / raw.sha256_rate(300);
        let node_hashes = size.saturating_sub(1) as f64 / raw.sha256_rate(65);
        anyhow::Ok((
            VerifyResult {
                entries: size,
                fill,
                export: export_time,
                files: summary.files,
                export_bytes: directory_bytes(&export_dir)?,
                verify: Samples(verify),
                floor_secs: leaf_hashes + node_hashes,
            },
            proof,
        ))
    }
    .await;
    database.close().await?;
    if export_dir.exists() {
        std::fs::remove_dir_all(&export_dir).context("cannot remove the scratch export")?;
    }
    measured
}

fn directory_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let kind = item.file_type()?;
        if kind.is_dir() {
            total += directory_bytes(&item.path())?;
        } else {
            total += item.metadata()?.len();
        }
    }
    Ok(total)
}

// ---------------------------------------------------------------------------------------------
// 4. Proof sizes
// ---------------------------------------------------------------------------------------------

struct ProofRow {
    size: u64,
    /// Computed from the proof-length formulas rather than read from a real log.
    computed: bool,
    /// Hashes in the inclusion proof of entry 0, the longest path in the tree.
    inclusion_hashes: usize,
    /// The tlog-proof file the server serves for entry 0, entry and checkpoint included.
    file_bytes: usize,
    consistency_old: u64,
    consistency_hashes: usize,
    /// The longest consistency proof from any older size (formula), when cheap to compute.
    consistency_max: Option<usize>,
}

/// A real log of exactly `size` entries: the proof file for entry 0 and a consistency proof.
async fn measured_proofs(bench: &Bench<'_>, size: u64) -> anyhow::Result<ProofRow> {
    progress(&format!("proof sizes at {size} entries"));
    let database = BenchDatabase::open(bench, &Target::Sqlite, &format!("proofs_{size}")).await?;
    let measured = async {
        let audit = AuditLog::new(
            database.store.clone(),
            bench.clock.clone(),
            bench.keys,
            &bench.options.origin,
        )?;
        let mut factory = EntryFactory::new(bench.clock.clone());
        let mut appended = 0;
        while appended < size {
            let count = (size - appended).min(FILL_BATCH);
            append_transaction(&database.store, &mut factory, count).await?;
            appended += count;
        }
        proof_row(&audit, size).await
    }
    .await;
    database.close().await?;
    measured
}

/// Reads the proofs of a log that holds exactly `size` entries, checking the formulas the
/// computed row relies on against them.
async fn proof_row(audit: &AuditLog, size: u64) -> anyhow::Result<ProofRow> {
    ensure!(size >= 2, "proof sizes need a tree of at least two entries");
    let checkpoint = audit.checkpoint_now().await?;
    ensure!(
        checkpoint.size == size,
        "the log holds {} entries, not {size}",
        checkpoint.size
    );
    let file = audit.proof_file(0).await?;
    let parsed = TlogProof::parse(&file).context("the server's own proof file did not parse")?;
    let old = size / 2 + 1;
    let consistency = audit.consistency_proof(old, size).await?;
    let row = ProofRow {
        size,
        computed: false,
        inclusion_hashes: parsed.inclusion_proof.len(),
        file_bytes: file.len(),
        consistency_old: old,
        consistency_hashes: consistency.len(),
        consistency_max: Some(
            (1..size)
                .map(|old| consistency_len(old, size))
                .max()
                .unwrap_or(0),
        ),
    };
    ensure!(
        row.inclusion_hashes == inclusion_len(0, size),
        "the inclusion proof has {} hashes; the formula says {}",
        row.inclusion_hashes,
        inclusion_len(0, size)
    );
    ensure!(
        row.consistency_hashes == consistency_len(old, size),
        "the consistency proof has {} hashes; the formula says {}",
        row.consistency_hashes,
        consistency_len(old, size)
    );
    Ok(row)
}

/// The row for `size` from the formulas, scaled from the largest measured proof file: only the
/// number of hash lines and the digits of the tree size differ (entry 0, same entry, same key).
fn computed_proofs(measured: &[ProofRow], size: u64) -> anyhow::Result<ProofRow> {
    let Some(base) = measured.iter().max_by_key(|row| row.size) else {
        bail!("no measured proof to scale from");
    };
    let inclusion = inclusion_len(0, size);
    let old = size / 2 + 1;
    let file_bytes = base.file_bytes - base.inclusion_hashes * PROOF_LINE_BYTES
        + inclusion * PROOF_LINE_BYTES
        + size.to_string().len()
        - base.size.to_string().len();
    Ok(ProofRow {
        size,
        computed: true,
        inclusion_hashes: inclusion,
        file_bytes,
        consistency_old: old,
        consistency_hashes: consistency_len(old, size),
        consistency_max: None,
    })
}

/// Hashes in the RFC 9162 inclusion proof of leaf `index` in a tree of `size` leaves
/// (PATH(m, D[n]), §2.1.3.1).
fn inclusion_len(mut index: u64, mut size: u64) -> usize {
    let mut len = 0;
    while size > 1 {
        let split = largest_power_of_two_below(size);
        if index < split {
            size = split;
        } else {
            index -= split;
            size -= split;
        }
        len += 1;
    }
    len
}

/// Hashes in the RFC 9162 consistency proof from `old` to `new` leaves (SUBPROOF, §2.1.4.1).
fn consistency_len(old: u64, new: u64) -> usize {
    if old == 0 || old >= new {
        return 0;
    }
    let (mut m, mut n, mut whole_old_tree) = (old, new, true);
    let mut len = 0;
    while m != n {
        let split = largest_power_of_two_below(n);
        if m <= split {
            n = split;
        } else {
            m -= split;
            n -= split;
            whole_old_tree = false;
        }
        len += 1;
    }
    if whole_old_tree { len } else { len + 1 }
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

// ---------------------------------------------------------------------------------------------
// Machine facts, statistics, scratch space, the report
// ---------------------------------------------------------------------------------------------

/// What every benchmark starts with: when it started, for the report, a scratch directory of its
/// own and the facts of the machine it runs on (collected before any load).
pub(super) struct BenchStart {
    pub(super) started: Instant,
    pub(super) started_at: String,
    pub(super) scratch: ScratchDir,
    pub(super) machine: MachineFacts,
    pub(super) clock: SharedClock,
}

impl BenchStart {
    pub(super) fn begin(parent: &Path) -> anyhow::Result<Self> {
        let started = Instant::now();
        let started_at = to_rfc3339(SystemClock.now_millis());
        let scratch = ScratchDir::create(parent)?;
        let machine = MachineFacts::collect(scratch.path());
        if cfg!(debug_assertions) {
            eprintln!(
                "warning: this is an unoptimised build; build with --release for real numbers"
            );
        }
        Ok(Self {
            started,
            started_at,
            scratch,
            machine,
            clock: Arc::new(SystemClock),
        })
    }

    /// The report's opening lines (see [`MachineFacts::report_header`]), timed until now.
    pub(super) fn report_header(&self, title: &str, command: &str) -> String {
        self.machine
            .report_header(title, command, &self.started_at, self.started.elapsed())
    }
}

pub(super) struct MachineFacts {
    pub(super) cpu: String,
    pub(super) nproc: usize,
    pub(super) memory: String,
    kernel: String,
    pub(super) rustc: String,
    pub(super) build: &'static str,
    scratch: String,
    pub(super) load_before: String,
}

impl MachineFacts {
    pub(super) fn collect(scratch: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |text: &str, name: &str| {
            text.lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_owned())
        };
        let rustc = std::process::Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
        Self {
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            nproc: std::thread::available_parallelism().map_or(0, usize::from),
            memory: field(&meminfo, "MemTotal").unwrap_or_else(|| "unknown".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |text| text.trim().to_owned()),
            rustc: rustc.unwrap_or_else(|| "unknown (no rustc on PATH)".into()),
            build: if cfg!(debug_assertions) {
                "debug (unoptimised: numbers are not meaningful)"
            } else {
                "release"
            },
            scratch: format!("{} ({})", scratch.display(), filesystem_of(scratch)),
            load_before: read_loadavg(),
        }
    }

    /// The report's opening lines: title, command, when, how long, and on what machine.
    pub(super) fn report_header(
        &self,
        title: &str,
        command: &str,
        started_at: &str,
        elapsed: std::time::Duration,
    ) -> String {
        format!(
            "## {title}\n\nCommand: `{command}`  \nStarted {started_at}, took {:.0} s. Machine: {} \
             ({} cores, {}), {}, build {}; load before {} after {}.\n\n",
            elapsed.as_secs_f64(),
            self.cpu,
            self.nproc,
            self.memory,
            self.rustc,
            self.build,
            self.load_before,
            read_loadavg()
        )
    }
}

pub(super) fn read_loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// The filesystem type and device of the mount holding `path`, from /proc/mounts.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (device, mount, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(mount)
                .then(|| (mount.len(), format!("{kind} on {device}")))
        })
        .max_by_key(|(length, _)| *length)
        .map_or_else(|| "filesystem unknown".into(), |(_, described)| described)
}

/// One measurement per run.
pub(super) struct Samples(pub(super) Vec<f64>);

impl Samples {
    pub(super) fn collect(runs: u64, mut sample: impl FnMut() -> f64) -> Self {
        Self((0..runs).map(|_| sample()).collect())
    }

    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// The median; the mean of the middle two for an even count; NaN when empty.
    pub(super) fn median(&self) -> f64 {
        let sorted = self.sorted();
        match sorted.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        }
    }

    pub(super) fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub(super) fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }

    /// The median, min and max as [`thousands`], for a report's row.
    pub(super) fn in_thousands(&self) -> [String; 3] {
        [self.median(), self.min(), self.max()].map(thousands)
    }
}

/// A fresh database for one measurement: the SQLite file `sqlite_file`, or with `server_url` a
/// scratch database named after `label` on that PostgreSQL server. Returns its URL and, for
/// PostgreSQL, the database to drop when done.
pub(super) async fn fresh_database(
    server_url: Option<&str>,
    sqlite_file: &Path,
    label: &str,
) -> anyhow::Result<(String, Option<ScratchDatabase>)> {
    Ok(match server_url {
        None => (format!("sqlite://{}", sqlite_file.display()), None),
        Some(server_url) => {
            let name = format!("sealdraw_bench_{}_{label}", std::process::id());
            let database = ScratchDatabase::create(server_url, &name)
                .await
                .context("cannot create a scratch database")?;
            (database.url().to_owned(), Some(database))
        }
    })
}

/// A store on `url` with the schema in place, for seeding or measuring.
pub(super) async fn migrated_store(url: &str, max_connections: u32) -> anyhow::Result<Store> {
    let connect = ConnectOptions {
        max_connections,
        acquire_timeout: Duration::from_secs(30),
    };
    let store = Store::connect(url, &connect, Suite::Intl2024).await?;
    store.migrate().await?;
    Ok(store)
}

/// Nearest-rank percentile, in the unit of `values`; NaN when empty.
pub(super) fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// A directory of its own under `parent`, removed with everything in it when dropped.
pub(super) struct ScratchDir(PathBuf);

impl ScratchDir {
    pub(super) fn create(parent: &Path) -> anyhow::Result<Self> {
        let name = format!(
            "sealdraw-bench-{}-{}",
            std::process::id(),
            SystemClock.now_millis()
        );
        let path = parent.join(name);
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::create_dir(&path))
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            eprintln!("warning: cannot remove {}: {error}", self.0.display());
        }
    }
}

struct Report<'a> {
    command: &'a str,
    started_at: String,
    took: Duration,
    machine: MachineFacts,
    load_after: String,
    raw: RawLimits,
    appends: Vec<AppendResult>,
    verify: Option<VerifyResult>,
    proofs: Vec<ProofRow>,
    options: &'a AuditBenchOptions,
}

impl Report<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_machine(&mut out);
        self.render_raw(&mut out);
        self.render_appends(&mut out);
        self.render_verify(&mut out);
        self.render_proofs(&mut out);
        out
    }

    fn render_machine(&self, out: &mut String) {
        let m = &self.machine;
        let _ = writeln!(out, "# sealdraw bench audit ({})\n", self.options.suite);
        let _ = writeln!(out, "Command: `{}`  ", self.command);
        let _ = writeln!(
            out,
            "Started {}; took {:.0} s. Figures are medians of {} runs (min – max beside them).\n",
            self.started_at,
            self.took.as_secs_f64(),
            self.options.runs
        );
        let _ = writeln!(out, "| machine | |\n|---|---|");
        for (name, value) in [
            ("CPU (/proc/cpuinfo)", m.cpu.clone()),
            ("nproc", m.nproc.to_string()),
            ("memory", m.memory.clone()),
            ("kernel", m.kernel.clone()),
            ("rustc (on PATH when run)", m.rustc.clone()),
            ("build", m.build.to_owned()),
            ("scratch directory", m.scratch.clone()),
            (
                "load average (1, 5, 15 min) before → after",
                format!("{} → {}", m.load_before, self.load_after),
            ),
        ] {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        for append in &self.appends {
            let settings: Vec<String> = append
                .durability
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} |",
                backend_name(append.backend),
                settings.join(", ")
            );
        }
        out.push('\n');
    }

    fn render_raw(&self, out: &mut String) {
        let raw = &self.raw;
        let _ = writeln!(
            out,
            "## 1. Raw limits of this machine (one thread)\n\n| primitive | median | min – max |\n|---|---|---|"
        );
        let (hash, signature) = primitive_names(raw.suite);
        for (length, samples) in &raw.sha256 {
            let what = match length {
                32 => format!("{hash}, 32-byte input"),
                65 => format!("{hash}, 65-byte input (an RFC 6962 node hash)"),
                _ => format!("{hash}, 300-byte input (a leaf hash of a ~250-byte entry)"),
            };
            row_rate(out, &what, samples, "hashes/s");
        }
        row_rate(
            out,
            &format!("{signature} sign, {NOTE_BYTES}-byte message"),
            &raw.sign,
            "signatures/s",
        );
        row_rate(
            out,
            &format!("{signature} verify"),
            &raw.verify,
            "verifications/s",
        );
        row_rate(
            out,
            "4 KiB write + fsync in the scratch directory (a SQLite commit's floor)",
            &raw.fsync,
            "syncs/s",
        );
        out.push('\n');
    }

    fn render_appends(&self, out: &mut String) {
        let sha = self.raw.sha256_rate(300);
        let fsync = self.raw.fsync.median();
        let _ = writeln!(
            out,
            "## 2. Append throughput with checkpointing\n\n\
             {} realistic entries (~{} bytes of canonical JSON) per run through `audit::append` in \
             write transactions of B entries, a checkpointer calling `checkpoint_now` every {} s, \
             timed until the final checkpoint is signed (the checkpointer's first tick is at the \
             start, as in the server, so a run shorter than {} s has only the final one). A fresh \
             database per B.\n",
            self.options.entries,
            EntryFactory::new(Arc::new(SystemClock))
                .next_entry()
                .canonical_bytes()
                .map_or(0, |bytes| bytes.len()),
            CHECKPOINT_INTERVAL.as_secs(),
            CHECKPOINT_INTERVAL.as_secs()
        );
        let _ = writeln!(
            out,
            "| backend | B | entries/s | min – max | commits/s (SQLite: share of the raw fsync rate) | ratio to the raw hash (300 B) | checkpoints signed per run | signing checkpoint_now, median | target ≥ {} entries/s |\n|---|---|---|---|---|---|---|---|---|",
            thousands(TARGET_APPENDS_PER_SEC)
        );
        for append in &self.appends {
            for row in &append.rows {
                let rate = row.rate();
                let signed: Vec<f64> = row.runs.iter().map(|run| run.signed as f64).collect();
                let signing: Vec<f64> = row
                    .runs
                    .iter()
                    .flat_map(|run| run.signing.iter().map(Duration::as_secs_f64))
                    .collect();
                let commits = row.commit_rate().median();
                let (commits, target) = match append.backend {
                    Backend::Sqlite => (
                        format!("{} ({:.0} %)", thousands(commits), 100.0 * commits / fsync),
                        if rate.median() >= TARGET_APPENDS_PER_SEC {
                            "met"
                        } else {
                            "**not met**"
                        },
                    ),
                    Backend::Postgres => (thousands(commits), "(target is for SQLite)"),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} – {} | {} | 1/{} | {} | {:.1} ms | {target} |",
                    backend_name(append.backend),
                    row.batch,
                    thousands(rate.median()),
                    thousands(rate.min()),
                    thousands(rate.max()),
                    commits,
                    thousands(sha / rate.median()),
                    Samples(signed).median(),
                    Samples(signing).median() * 1e3,
                );
            }
        }
        out.push('\n');
    }

    fn render_verify(&self, out: &mut String) {
        let _ = writeln!(out, "## 3. Offline verification of an export\n");
        let Some(verify) = &self.verify else {
            let _ = writeln!(out, "Skipped (`--skip-verify`).\n");
            return;
        };
        let _ = writeln!(
            out,
            "Source: a real SQLite log filled with real appends ({FILL_BATCH} per transaction), \
             exported with the real `export`; the files are in the page cache when verified.\n"
        );
        let median = verify.verify.median();
        let _ = writeln!(out, "| step | time | notes |\n|---|---|---|");
        let _ = writeln!(
            out,
            "| fill: {} appends, B={FILL_BATCH} | {:.1} s | {} entries/s |",
            thousands(verify.entries as f64),
            verify.fill.as_secs_f64(),
            thousands(verify.entries as f64 / verify.fill.as_secs_f64())
        );
        let _ = writeln!(
            out,
            "| `export` | {:.1} s | {} files, {:.1} MB |",
            verify.export.as_secs_f64(),
            verify.files,
            verify.export_bytes as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "| **`verify_dir`** (what `sealdraw audit verify` runs) | **{median:.2} s** (min – max {:.2} – {:.2}) | target < {} s: {} |",
            verify.verify.min(),
            verify.verify.max(),
            TARGET_VERIFY.as_secs(),
            if median < TARGET_VERIFY.as_secs_f64() {
                "met"
            } else {
                "**not met**"
            }
        );
        let _ = writeln!(
            out,
            "| hashing floor: {} leaf (300 B) + {} node (65 B) hashes at the rates above | {:.2} s | `verify_dir` takes {:.1}× the floor |\n",
            thousands(verify.entries as f64),
            thousands(verify.entries.saturating_sub(1) as f64),
            verify.floor_secs,
            median / verify.floor_secs
        );
    }

    fn render_proofs(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## 4. Proof sizes\n\n\
             Inclusion: the tlog-proof file the server serves for entry 0 (the longest path), with \
             the entry and the signed checkpoint in it. Consistency: from size n/2+1 to n, 32 bytes \
             per hash (44 in base64).\n"
        );
        let _ = writeln!(
            out,
            "| tree size n | source | inclusion hashes | tlog-proof file | consistency n/2+1 → n | longest consistency proof from any size |\n|---|---|---|---|---|---|"
        );
        for row in &self.proofs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} bytes | from {}: {} hashes, {} bytes | {} |",
                thousands(row.size as f64),
                if row.computed {
                    "**computed** from the proof-length formulas (RFC 9162 PATH/SUBPROOF)"
                } else {
                    "measured on a real log"
                },
                row.inclusion_hashes,
                row.file_bytes,
                thousands(row.consistency_old as f64),
                row.consistency_hashes,
                row.consistency_hashes * 32,
                row.consistency_max
                    .map_or_else(|| "—".into(), |max| format!("{max} hashes")),
            );
        }
        out.push('\n');
    }
}

fn row_rate(out: &mut String, what: &str, samples: &Samples, unit: &str) {
    let [median, min, max] = samples.in_thousands();
    let _ = writeln!(out, "| {what} | {median} {unit} | {min} – {max} |");
}

/// `1234567.8` as `1,234,568`; NaN and infinities as they are.
pub(super) fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let digits = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0.0 && digits != "0" {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// `scheme://user:password@host/…` with the password replaced, for printing.
/// What the report calls the suite's hash and signature, with the crate that implements them.
pub(super) fn primitive_names(suite: Suite) -> (&'static str, &'static str) {
    match suite {
        Suite::Intl2024 => ("SHA-256 (ring)", "Ed25519 (ring)"),
        Suite::Gm2024 => ("SM3 (RustCrypto sm3)", "SM2 with SM3 (RustCrypto sm2)"),
    }
}

pub(crate) fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:…{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::MemoryTree;

    #[test]
    fn proof_length_formulas_match_real_proofs() {
        let mut tree = MemoryTree::new(Suite::Intl2024);
        for i in 0..70_u32 {
            tree.append(&i.to_be_bytes()).unwrap();
        }
        for size in 1..=70 {
            for index in 0..size {
                assert_eq!(
                    inclusion_len(index, size),
                    tree.inclusion_proof(index, size).unwrap().len(),
                    "inclusion {index} in {size}"
                );
            }
            for old in 0..=size {
                assert_eq!(
                    consistency_len(old, size),
                    tree.consistency_proof(old, size).unwrap().len(),
                    "consistency {old} → {size}"
                );
            }
        }
        assert_eq!(inclusion_len(0, 1_000_000_000), 30);
    }

    #[test]
    fn entries_are_about_the_size_of_account_entries() {
        let mut factory = EntryFactory::new(Arc::new(SystemClock));
        let first = factory.next_entry().canonical_bytes().unwrap();
        let second = factory.next_entry().canonical_bytes().unwrap();
        assert!((230..=270).contains(&first.len()), "{}", first.len());
        assert_eq!(first.len(), second.len());
        assert_ne!(first, second);
    }

    #[test]
    fn medians_and_thousands_read_as_expected() {
        assert_eq!(Samples(vec![3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(Samples(vec![4.0, 1.0, 2.0, 3.0]).median(), 2.5);
        assert!(Samples(vec![]).median().is_nan());
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(-1_000.0), "-1,000");
    }

    #[test]
    fn printed_urls_never_show_a_password() {
        assert_eq!(
            redact_password("postgres://bench:s3cret@db:5432/postgres?sslmode=require"),
            "postgres://bench:…@db:5432/postgres?sslmode=require"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1:55432/postgres"),
            "postgres://postgres@127.0.0.1:55432/postgres"
        );
        assert_eq!(redact_password("postgres://h/db"), "postgres://h/db");
    }
}
