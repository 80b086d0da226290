//! Issue 20 §3: a point-in-time restore with pgBackRest. A PostgreSQL cluster archives its WAL
//! to a repository directory (standing in for the off-site store) with the shipped
//! docs/deploy/pgbackrest.conf; sealdraw writes and signs through its API between a full and an
//! incremental backup; a restore point is named; more is written after it ("the damage");
//! then the first site is lost, the repository restores the cluster to the named point into a
//! fresh data directory, sealdraw starts on it, and its audit log verifies end to end against
//! the checkpoint saved at the target, without any entry written after it. The backup and
//! restore times are printed (docs/OPERATIONS.md quotes them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use super::{DrillDir, as_postgres, assert_success, free_port, pg_bin};
use crate::backup::{create_accounts, sign_checkpoint};
use crate::helpers::*;
use sealdraw::auth::Role;

const STANZA: &str = "sealdraw";
const RESTORE_POINT: &str = "before-the-damage";
/// The repository's passphrase for this drill only.
const CIPHER_PASS: &str = "drill-only-passphrase-not-for-any-real-repository";

/// A cluster started with `pg_ctl`, stopped (immediately) when dropped unless stopped before.
struct Cluster {
    data: PathBuf,
    port: u16,
    running: bool,
}

impl Cluster {
    fn start(data: &Path, port: u16, socket_dir: &Path, log: &Path) -> Self {
        let output = as_postgres(pg_bin().join("pg_ctl"))
            .arg("-D")
            .arg(data)
            .arg("-l")
            .arg(log)
            .args(["-w", "-t", "60", "-o"])
            .arg(format!("-p {port} -k {}", socket_dir.display()))
            .arg("start")
            .output()
            .unwrap();
        assert_success(&output, "pg_ctl start");
        Self {
            data: data.to_path_buf(),
            port,
            running: true,
        }
    }

    fn stop(&mut self, mode: &str) {
        let output = as_postgres(pg_bin().join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", mode, "-w", "stop"])
            .output()
            .unwrap();
        assert_success(&output, "pg_ctl stop");
        self.running = false;
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = as_postgres(pg_bin().join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "stop"])
                .output();
        }
    }
}

/// docs/deploy/pgbackrest.conf with this drill's directories, port and passphrase: each
/// replaced line must be in the shipped file, so that the drill keeps testing it.
fn pgbackrest_config(drill: &DrillDir, data: &Path, port: u16) -> String {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/deploy/pgbackrest.conf"
    ))
    .unwrap();
    let replacements = [
        (
            "repo1-path=/var/lib/pgbackrest",
            "repo1-path",
            drill.subdir("repo"),
        ),
        (
            "spool-path=/var/spool/pgbackrest",
            "spool-path",
            drill.subdir("spool"),
        ),
        (
            "log-path=/var/log/pgbackrest",
            "log-path",
            drill.subdir("log"),
        ),
        (
            "lock-path=/tmp/pgbackrest",
            "lock-path",
            drill.subdir("lock"),
        ),
        (
            "pg1-path=/var/lib/postgresql/15/main",
            "pg1-path",
            data.to_path_buf(),
        ),
        (
            "pg1-socket-path=/var/run/postgresql",
            "pg1-socket-path",
            drill.path().to_path_buf(),
        ),
    ];
    let mut config = shipped;
    for (line, option, value) in replacements {
        assert!(
            config.contains(line),
            "docs/deploy/pgbackrest.conf lost `{line}`"
        );
        config = config.replace(line, &format!("{option}={}", value.display()));
    }
    for (line, replacement) in [
        ("pg1-port=5432", format!("pg1-port={port}")),
        (
            "repo1-cipher-pass=REPLACE-WITH-A-GENERATED-PASSPHRASE",
            format!("repo1-cipher-pass={CIPHER_PASS}"),
        ),
        // One process: the drill shares two cores with the server and the test.
        ("process-max=2", "process-max=1".to_owned()),
    ] {
        assert!(
            config.contains(line),
            "docs/deploy/pgbackrest.conf lost `{line}`"
        );
        config = config.replace(line, &replacement);
    }
    config
}

fn pgbackrest(config: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = as_postgres("pgbackrest")
        .arg(format!("--config={}", config.display()))
        .arg(format!("--stanza={STANZA}"))
        .args(args)
        .output()
        .unwrap();
    assert_success(&output, &format!("pgbackrest {}", args.join(" ")));
    started.elapsed()
}

async fn sql(url: &str, statement: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(statement)
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[tokio::test]
async fn a_point_in_time_restore_into_a_fresh_cluster_holds_the_log_signed_up_to_the_target_and_nothing_after()
 {
    let drill = DrillDir::new();
    let data = drill.path().join("site-a");
    let port = free_port();
    let config = drill.path().join("pgbackrest.conf");
    std::fs::write(&config, pgbackrest_config(&drill, &data, port)).unwrap();
    // As root, the file goes to the user pgBackRest runs as; otherwise it is already theirs
    // and chown fails harmlessly.
    let _ = Command::new("chown")
        .arg("postgres:postgres")
        .arg(&config)
        .output();

    let output = as_postgres(pg_bin().join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        .output()
        .unwrap();
    assert_success(&output, "initdb");
    let mut settings = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .unwrap();
    std::io::Write::write_all(
        &mut settings,
        format!(
            "\nlisten_addresses = '127.0.0.1'\n\
             fsync = off\n\
             archive_mode = on\n\
             archive_command = 'pgbackrest --config={} --stanza={STANZA} archive-push %p'\n\
             archive_timeout = 60\n",
            config.display()
        )
        .as_bytes(),
    )
    .unwrap();
    drop(settings);
    let mut site_a = Cluster::start(&data, port, drill.path(), &drill.path().join("site-a.log"));
    pgbackrest(&config, &["stanza-create"]);
    pgbackrest(&config, &["check"]);
    sql(&site_a.url("postgres"), "CREATE DATABASE sealdraw").await;

    let app = spawn_app_with(TestOptions {
        database_url: Some(site_a.url("sealdraw")),
        ..Default::default()
    })
    .await;
    let (account, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let saved_dir = app.dir.path().to_path_buf();
    let saved = |name: &str| saved_dir.join(name);

    create_accounts(&app, &admin, 5).await;
    let first = sign_checkpoint(&app, &admin, &saved("checkpoint-1")).await;
    let full = pgbackrest(&config, &["--type=full", "backup"]);

    create_accounts(&app, &admin, 5).await;
    let second = sign_checkpoint(&app, &admin, &saved("checkpoint-2")).await;
    let incremental = pgbackrest(&config, &["--type=incr", "backup"]);

    create_accounts(&app, &admin, 5).await;
    let target = sign_checkpoint(&app, &admin, &saved("checkpoint-at-target")).await;
    sql(
        &site_a.url("postgres"),
        &format!("SELECT pg_create_restore_point('{RESTORE_POINT}')"),
    )
    .await;

    // The damage: acts after the target, signed, and archived before the site is lost.
    create_accounts(&app, &admin, 5).await;
    let damaged = sign_checkpoint(&app, &admin, &saved("checkpoint-after-target")).await;
    assert!(first < second && second < target && target < damaged);
    // `check` switches to a new WAL segment and waits until the old one is archived.
    pgbackrest(&config, &["check"]);
    site_a.stop("immediate");

    // Site A is gone: restore into a fresh data directory and start it on another port.
    let restored = drill.subdir("site-b");
    let output = as_postgres("chmod")
        .arg("0700")
        .arg(&restored)
        .output()
        .unwrap();
    assert_success(&output, "chmod");
    let restore = pgbackrest(
        &config,
        &[
            &format!("--pg1-path={}", restored.display()),
            "--type=name",
            &format!("--target={RESTORE_POINT}"),
            "--target-action=promote",
            "restore",
        ],
    );
    let recovery_started = Instant::now();
    let site_b = Cluster::start(
        &restored,
        free_port(),
        drill.path(),
        &drill.path().join("site-b.log"),
    );
    // `pg_ctl start -w` returns once connections are accepted, which is after the replay of
    // the WAL to the restore point; writable once promoted.
    let writable = {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&site_b.url("sealdraw"))
            .await
            .unwrap();
        loop {
            let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
                .fetch_one(&mut connection)
                .await
                .unwrap();
            if !in_recovery {
                break;
            }
            assert!(
                recovery_started.elapsed() < Duration::from_secs(60),
                "the restored cluster was not promoted"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        recovery_started.elapsed()
    };

    // sealdraw on the restored database, with its own copy of the newest checkpoint it signed
    // (after the target) still outside the database.
    let restored_url = site_b.url("sealdraw");
    let url = restored_url.clone();
    let mut app = app
        .restart(move |settings| settings.database.url = Some(SecretString::from(url)))
        .await;
    app.database_url = restored_url;

    // Entries up to the target are present, those after it absent (the admin's session is
    // from before the backups).
    let last = app
        .get(
            &format!("/api/v1/audit/entries/{}", target - 1),
            Some(&admin),
        )
        .await;
    assert_eq!(last.status(), StatusCode::OK);
    let after = app
        .get(&format!("/api/v1/audit/entries/{target}"), Some(&admin))
        .await;
    assert_eq!(after.status(), StatusCode::NOT_FOUND);

    // End to end, offline: the restored log extends every checkpoint signed up to the target…
    let key = app.dir.path().join("log.vkey");
    let printed = run_cli(&app, &["audit", "key"], None);
    assert_success(&printed, "sealdraw audit key");
    std::fs::write(&key, &printed.stdout).unwrap();
    let export = app.dir.path().join("restored-export");
    let exported = run_cli(
        &app,
        &["audit", "export", "--out", export.to_str().unwrap()],
        None,
    );
    assert_success(&exported, "sealdraw audit export");
    let verify = |since: &[&str]| {
        let mut args = vec![
            "audit",
            "verify",
            export.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ];
        for checkpoint in since {
            args.extend(["--since", checkpoint]);
        }
        run_cli(&app, &args, None)
    };
    let paths = ["checkpoint-1", "checkpoint-2", "checkpoint-at-target"]
        .map(|name| saved(name).to_string_lossy().into_owned());
    let verified = verify(&paths.each_ref().map(String::as_str));
    assert_success(&verified, "sealdraw audit verify");
    assert!(
        stdout_of(&verified).contains(&format!(
            "it extends the saved checkpoints of sizes [{first}, {second}, {target}]"
        )),
        "{}",
        stdout_of(&verified)
    );
    // …and not the one signed after it.
    let after_target = saved("checkpoint-after-target");
    let shrunk = verify(&[after_target.to_str().unwrap()]);
    assert_eq!(shrunk.status.code(), Some(1), "{}", stdout_of(&shrunk));
    assert!(stdout_of(&shrunk).contains(&format!(
        "a saved checkpoint has {damaged} entries but the export only {target}"
    )));

    // Online, the restored server serves (a login is an audited act) but refuses to sign over
    // the entries the restore lost.
    let admin = app.login(&account).await;
    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await;
    assert_problem(refused, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(
        captured_logs().contains(&format!(
            "the log holds {} entries but the checkpoint saved outside the database",
            target + 1
        )),
        "{}",
        captured_logs()
    );
    app.stop().await;

    println!(
        "pgBackRest drill: full backup {}, incremental backup {}, restore {}, recovery to the \
         restore point and promotion {}; the log restored to {target} entries (the damage had \
         taken it to {damaged})",
        seconds(full),
        seconds(incremental),
        seconds(restore),
        seconds(writable)
    );
    drop(site_b);
}
