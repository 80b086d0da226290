//! `sealdraw bench pool`: importing the expert pool, measured beside the raw cost of the
//! cryptography every row needs, on SQLite and (if asked) PostgreSQL.
//!
//! Each run imports a synthetic pool (the demo generator, not timed) into a fresh database
//! through the real [`PoolService::import`]: validation already done, then per row one data key
//! sealed under the master key, six or seven fields sealed under the data key, four blind
//! indexes, and the rows written in one transaction with one audit entry.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::audit::{BenchStart, Samples, fresh_database, migrated_store, ops_per_sec, thousands};
use chrono::Datelike as _;

use crate::audit::Actor;
use crate::auth::{AuthMethod, Principal, Role};
use crate::config::PoolSettings;
use crate::crypto::seal::SealingKey;
use crate::crypto::{KeyRing, Rng, Suite};
use crate::deps::Deps;
use crate::pool::training::{TrainingService, province_date};
use crate::pool::{PoolService, demo};
use crate::store::accounts::NewAccount;

/// The sizes: today's pool and the pool the design must carry.
pub(crate) const DEFAULT_SIZES: [usize; 2] = [12_000, 100_000];

pub(crate) struct PoolBenchOptions {
    pub(crate) sizes: Vec<usize>,
    pub(crate) runs: u64,
    pub(crate) postgres: Option<String>,
    pub(crate) dir: PathBuf,
    pub(crate) command: String,
}

struct Row {
    backend: &'static str,
    size: usize,
    seconds: Samples,
    /// The annual assessment over the imported pool: computed, then confirmed into tiers.
    assessment: Samples,
}

/// The admin on whose behalf the assessment is computed and confirmed (its audit entries).
fn bench_admin() -> Principal {
    Principal {
        account_id: "bench-admin".into(),
        username: "bench-admin".into(),
        role: Role::Admin,
        center_name: None,
        region_code: None,
        method: AuthMethod::BearerToken,
        token_digest: None,
    }
}

pub(crate) async fn pool(options: &PoolBenchOptions) -> anyhow::Result<String> {
    let start = BenchStart::begin(&options.dir)?;
    eprintln!("raw limits");
    let window = Duration::from_millis(400);
    let key = SealingKey::new(Suite::Intl2024, "bench".into(), &[7; 32])?;
    let rng = Rng::danger_deterministic(b"sealdraw bench pool");
    let seal_rate = Samples::collect(options.runs.max(3), || {
        ops_per_sec(window, || {
            let _ = key.seal(
                &rng,
                "expert/01234567-89ab-cdef-0123-456789abcdef/name",
                b"0123456789abcdef0123456789abcdef",
            );
        })
    });
    let hmac_rate = Samples::collect(options.runs.max(3), || {
        ops_per_sec(window, || {
            let _ = Suite::Intl2024.mac(
                b"0123456789abcdef0123456789abcdef",
                &[b"id_number\0", b"42010619700101001X"],
            );
        })
    });
    // Per row: 1 data-key seal + up to 7 field seals, 4 blind indexes.
    let crypto_floor_rows = 1.0 / (8.0 / seal_rate.median() + 4.0 / hmac_rate.median());

    let key_file = start.scratch.path().join("keys.json");
    KeyRing::init_file(&key_file, &rng, &start.started_at, Suite::Intl2024)?;
    let keys = Arc::new(KeyRing::load(&key_file)?);
    let mut rows = Vec::new();
    let mut targets: Vec<(&'static str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(url) = options.postgres.as_deref() {
        targets.push(("PostgreSQL", Some(url)));
    }
    for (backend, server_url) in targets {
        for &size in &options.sizes {
            let experts_rng = Rng::danger_deterministic(format!("pool {size}").as_bytes());
            let mut seconds = Vec::new();
            let mut assessment = Vec::new();
            for run in 0..options.runs {
                eprintln!("{backend}: importing {size} experts, run {}", run + 1);
                let label = format!("pool_{size}_{run}");
                let sqlite_file = start.scratch.path().join(format!("{label}.db"));
                let (url, database) = fresh_database(server_url, &sqlite_file, &label).await?;
                let store = migrated_store(&url, 4).await?;
                let service = PoolService::new(&Deps {
                    store: store.clone(),
                    clock: start.clock.clone(),
                    rng: rng.clone(),
                    keys: keys.clone(),
                });
                service.ensure_classification().await?;
                let experts = demo::generate(&experts_rng, size, 0)
                    .map_err(|_| anyhow::anyhow!("randomness unavailable"))?;
                let timer = Instant::now();
                let summary = service.import(experts, b"bench", Actor::System).await?;
                seconds.push(timer.elapsed().as_secs_f64());
                anyhow::ensure!(
                    summary.inserted == size,
                    "imported {} of {size}",
                    summary.inserted
                );
                eprintln!("{backend}: assessing {size} experts, run {}", run + 1);
                let deps = Deps {
                    store: store.clone(),
                    clock: start.clock.clone(),
                    rng: rng.clone(),
                    keys: keys.clone(),
                };
                // The assessment names the admin who computed it: an account must exist.
                let mut tx = store.write().await?;
                tx.insert_account(&NewAccount {
                    id: "bench-admin",
                    username: "bench-admin",
                    role: Role::Admin,
                    password_hash: "!",
                    totp_sealed: None,
                    center_name: None,
                    region_code: None,
                    display_name: None,
                    created_at: start.clock.now_millis(),
                })
                .await?;
                tx.commit().await?;
                let training = TrainingService::new(&deps, PoolSettings::default());
                let year = province_date(start.clock.now_millis()).year();
                let timer = Instant::now();
                let computed = training.compute(&bench_admin(), year).await?;
                training.confirm(&bench_admin(), year).await?;
                assessment.push(timer.elapsed().as_secs_f64());
                anyhow::ensure!(
                    computed.experts == size as i64,
                    "assessed {} of {size}",
                    computed.experts
                );
                store.close().await;
                if let Some(database) = database {
                    database.danger_drop().await?;
                }
            }
            rows.push(Row {
                backend,
                size,
                seconds: Samples(seconds),
                assessment: Samples(assessment),
            });
        }
    }

    let mut out = String::new();
    out.push_str(&start.report_header("Pool import (`sealdraw bench pool`)", &options.command));
    let _ = writeln!(
        out,
        "| raw limit (one thread, ring) | median | min–max |\n|---|---:|---:|"
    );
    let [median, min, max] = seal_rate.in_thousands();
    let _ = writeln!(
        out,
        "| AES-256-GCM seal, 32-byte value | {median}/s | {min}–{max} |"
    );
    let [median, min, max] = hmac_rate.in_thousands();
    let _ = writeln!(
        out,
        "| HMAC-SHA256, blind index | {median}/s | {min}–{max} |"
    );
    let _ = writeln!(
        out,
        "| ⇒ crypto floor per row (8 seals + 4 HMACs) | {} rows/s | |\n",
        thousands(crypto_floor_rows)
    );
    let _ = writeln!(
        out,
        "| backend | experts | median time | min–max | rows/s (median) | share of crypto floor |\n|---|---:|---:|---:|---:|---:|"
    );
    for row in &rows {
        let median = row.seconds.median();
        let rate = row.size as f64 / median;
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} s | {:.2}–{:.2} s | {} | {:.0}% |",
            row.backend,
            thousands(row.size as f64),
            median,
            row.seconds.min(),
            row.seconds.max(),
            thousands(rate),
            100.0 * rate / crypto_floor_rows
        );
    }
    let _ = writeln!(
        out,
        "\n| backend | experts | annual assessment, computed and confirmed (median) | min–max | experts/s | against the import |\n|---|---:|---:|---:|---:|---:|"
    );
    for row in &rows {
        let median = row.assessment.median();
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} s | {:.2}–{:.2} s | {} | {:.0}% of its time |",
            row.backend,
            thousands(row.size as f64),
            median,
            row.assessment.min(),
            row.assessment.max(),
            thousands(row.size as f64 / median),
            100.0 * median / row.seconds.median()
        );
    }
    Ok(out)
}
