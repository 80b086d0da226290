//! The failover drill (issue 20 §1–2): Patroni and etcd manage a primary and a synchronous
//! standby on loopback, standing in for two sites; two sealdraw instances serve a running
//! distributed session with connected clients, a draw waits for its entropy, and acts are
//! written without pause. Then the primary's site is lost: its Patroni and its PostgreSQL are
//! killed with SIGKILL. The drill measures the RTO (until a write is acknowledged again) and
//! shows RPO = 0 (every acknowledged act is there), no 500 during the switch (only retryable
//! 503s with Retry-After), the session finishing with each client seeing every event once, the
//! draw executing once, and the log refusing to sign until a synchronous standby holds its
//! entries again, then continuing with a checkpoint the witness that cosigned the old one
//! accepts (the witness checks the consistency proof between them).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sealdraw::session::rules::Phase;
use serde_json::{Value, json};

use super::{DrillDir, assert_success, free_port, pg_bin};
use crate::helpers::TestOptions;
use crate::sessions::{Committee, Mode, advance, finish_from_recusal};
use crate::witness::{LogKeys, spawn_witness, witness_certs};

/// How long anything in the drill may take before it counts as stuck (a busy machine is slow;
/// Patroni's leader lease alone is ten seconds).
const PATIENCE: Duration = Duration::from_secs(90);

/// The uid and gid PostgreSQL runs as: `postgres` when the drill runs as root (PostgreSQL
/// refuses root), else the drill's own.
fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let output = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    };
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    Some((id("-u")?, id("-g")?))
}

/// Runs `program` as PostgreSQL's user directly (not through `runuser`), so that the child
/// is the process itself and a SIGKILL reaches it.
fn as_postgres_direct(program: &str) -> Command {
    let mut command = Command::new(program);
    if let Some((uid, gid)) = postgres_ids() {
        command.uid(uid).gid(gid).env("HOME", "/tmp");
    }
    command
}

struct Node {
    name: String,
    config: PathBuf,
    data: PathBuf,
    pg_port: u16,
    api_port: u16,
    log: PathBuf,
    patroni: Option<Child>,
}

/// etcd and two Patroni nodes. Dropping it kills everything it started.
struct PatroniCluster {
    etcd: Child,
    nodes: Vec<Node>,
    client: reqwest::Client,
    dir: DrillDir,
}

impl PatroniCluster {
    fn start() -> Self {
        let dir = DrillDir::new();
        let (etcd_port, peer_port) = (free_port(), free_port());
        let etcd_data = dir.subdir("etcd");
        let etcd = as_postgres_direct("etcd")
            .args(["--name", "drill", "--data-dir"])
            .arg(&etcd_data)
            .arg(format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"))
            .arg(format!(
                "--advertise-client-urls=http://127.0.0.1:{etcd_port}"
            ))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!(
                "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
            ))
            .arg(format!(
                "--initial-cluster=drill=http://127.0.0.1:{peer_port}"
            ))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("etcd.log")).unwrap())
            .spawn()
            .expect("etcd (Debian package etcd-server)");
        let mut nodes = Vec::new();
        for n in 1..=2 {
            let name = format!("site{n}");
            let node = Node {
                config: dir.path().join(format!("{name}.yml")),
                data: dir.path().join(format!("{name}-data")),
                log: dir.path().join(format!("{name}.log")),
                pg_port: free_port(),
                api_port: free_port(),
                name,
                patroni: None,
            };
            std::fs::write(&node.config, patroni_config(&node, etcd_port, dir.path())).unwrap();
            nodes.push(node);
        }
        let output = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .output()
            .unwrap();
        if postgres_ids().is_some() {
            assert_success(&output, "chown");
        }
        let mut cluster = Self {
            etcd,
            nodes,
            client: reqwest::Client::new(),
            dir,
        };
        cluster.start_node(0);
        cluster
    }

    fn start_node(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        let child = as_postgres_direct("patroni")
            .arg(&node.config)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("patroni (Debian package patroni)");
        node.patroni = Some(child);
    }

    /// The site is lost: its Patroni and its PostgreSQL die at once, without a word to etcd.
    fn kill_site(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        if let Some(mut patroni) = node.patroni.take() {
            patroni.kill().unwrap();
            patroni.wait().unwrap();
        }
        kill_postmaster(&node.data);
    }

    /// What Patroni's REST API says about the cluster, from any node that answers.
    async fn members(&self) -> Vec<Value> {
        for node in &self.nodes {
            let url = format!("http://127.0.0.1:{}/cluster", node.api_port);
            if let Ok(response) = self.client.get(&url).send().await
                && let Ok(body) = response.json::<Value>().await
            {
                return body["members"].as_array().cloned().unwrap_or_default();
            }
        }
        Vec::new()
    }

    /// Waits until `leader` leads and `standby` is its synchronous standby, streaming.
    async fn wait_for_roles(&self, leader: usize, standby: Option<usize>) {
        let started = Instant::now();
        loop {
            let members = self.members().await;
            let role = |index: usize| {
                members
                    .iter()
                    .find(|m| m["name"] == self.nodes[index].name.as_str())
                    .filter(|m| m["state"] == "running" || m["state"] == "streaming")
                    .map(|m| m["role"].as_str().unwrap_or_default().to_owned())
            };
            let leads = role(leader).is_some_and(|r| r == "leader");
            let follows = standby.is_none_or(|s| role(s).is_some_and(|r| r == "sync_standby"));
            if leads && follows {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the cluster did not reach leader {leader}, sync standby {standby:?}: {members:?}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// libpq-style: both sites, the primary wanted.
    fn url(&self) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.pg_port))
            .collect();
        format!(
            "postgres://postgres@{}/postgres?target_session_attrs=read-write",
            hosts.join(",")
        )
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                format!(
                    "--- {} ---\n{}",
                    n.name,
                    std::fs::read_to_string(&n.log).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for PatroniCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill_site(index);
        }
        let _ = self.etcd.kill();
        let _ = self.etcd.wait();
        let _ = &self.dir;
    }
}

fn kill_postmaster(data: &Path) {
    if let Ok(pid) = std::fs::read_to_string(data.join("postmaster.pid"))
        && let Some(pid) = pid.lines().next()
    {
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }
}

/// The reference deployment's Patroni settings (docs/deploy/patroni.yml) on loopback: a
/// synchronous standby with `remote_apply`, a short leader lease so the drill is quick.
fn patroni_config(node: &Node, etcd_port: u16, dir: &Path) -> String {
    let template = include_str!("../../docs/deploy/patroni.yml");
    template
        .replace("site-a", &node.name)
        .replace("10.0.1.11:8008", &format!("127.0.0.1:{}", node.api_port))
        .replace("10.0.1.11:5432", &format!("127.0.0.1:{}", node.pg_port))
        .replace(
            "10.0.1.21:2379,10.0.2.21:2379,10.0.3.21:2379",
            &format!("127.0.0.1:{etcd_port}"),
        )
        .replace(
            "/var/lib/postgresql/15/sealdraw",
            &node.data.to_string_lossy(),
        )
        .replace("/usr/lib/postgresql/15/bin", &pg_bin().to_string_lossy())
        .replace(
            "/var/lib/postgresql/.pgpass",
            &format!("{}.pgpass", node.data.display()),
        )
        .replace("10.0.0.0/8", "127.0.0.1/32")
        .replace("/var/run/postgresql", &dir.to_string_lossy())
        .replace("ttl: 30", "ttl: 10")
        // Loopback needs no TLS or passwords; pgBackRest has a drill of its own.
        .replace("hostssl", "host")
        .replace("scram-sha-256", "trust")
        .replace("peer", "trust")
        .replace("archive_mode: \"on\"", "archive_mode: \"off\"")
        .replace("ssl: \"on\"", "ssl: \"off\"")
        .replace(
            "pgbackrest --stanza=sealdraw archive-get %f \"%p\"",
            // Not `false`: YAML would read a boolean and PostgreSQL run "False".
            "/bin/false",
        )
        .replace("loop_wait: 10", "loop_wait: 1")
        .replace("retry_timeout: 10", "retry_timeout: 3")
}

/// A write the drill can make as often as it likes: an account, through the instance at `base`.
async fn create_account(client: &reqwest::Client, base: &str, admin: &str, n: usize) -> Outcome {
    let username = format!("drill-{n}");
    let sent = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(admin)
        .json(&json!({
            "username": username,
            "role": "center",
            "password": "correct horse battery staple 42",
            "center_name": format!("{username} trading center"),
            "region_code": "420100",
        }))
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let Ok(response) = response else {
        return Outcome {
            username,
            sent,
            status: None,
            retry_after: false,
            account_id: None,
        };
    };
    let status = response.status();
    let retry_after = response.headers().contains_key("retry-after");
    let body: Value = response.json().await.unwrap_or_default();
    Outcome {
        username,
        sent,
        status: Some(status),
        retry_after,
        account_id: body["account_id"].as_str().map(str::to_owned),
    }
}

struct Outcome {
    username: String,
    sent: Instant,
    status: Option<StatusCode>,
    retry_after: bool,
    account_id: Option<String>,
}

#[tokio::test]
async fn losing_the_primary_site_loses_no_acknowledged_act_and_forks_nothing() {
    let mut cluster = PatroniCluster::start();
    cluster.wait_for_roles(0, None).await;
    cluster.start_node(1);
    cluster.wait_for_roles(0, Some(1)).await;

    let keys = LogKeys::new();
    let witness_dir = tempfile::tempdir().unwrap();
    let witness_certs = witness_certs(&witness_dir);
    let witness = spawn_witness(&witness_certs, "witness.drill", keys.trusted()).await;
    let (key_file, ca, witnesses) = (
        keys.file.clone(),
        witness_certs.ca(),
        vec![witness.settings()],
    );
    let committee = Committee::with_options(
        Mode::Distributed,
        5,
        1,
        TestOptions {
            database_url: Some(cluster.url()),
            customise: Box::new(move |settings| {
                settings.keys.file = Some(key_file);
                settings.audit.witnesses = witnesses;
                settings.audit.witness_quorum = 1;
                settings.audit.witness_ca = Some(ca);
                settings.audit.checkpoint_interval_secs = 3600;
                settings.audit.require_sync_standby = true;
                settings.session.poll_interval_ms = 100;
            }),
            ..TestOptions::default()
        },
    )
    .await;
    let fx = &committee.fx;
    let app = &fx.app;
    let second = app.another_instance().await;
    let mut clients = crate::resilience::split_clients(&committee, second.port).await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;

    // A draw waiting for its entropy (the pool has three times what the committee took).
    let waiting = fx
        .create_ok(
            &fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 1, "reserves": 0 }])),
        )
        .await;
    assert_eq!(waiting["status"], "awaiting_entropy");
    let waiting_id = waiting["draw_id"].as_str().unwrap().to_owned();

    // The checkpoint the witness cosigns before the loss.
    let before = app.state.audit.checkpoint_now().await.unwrap();
    let cosigned = witness.state().await.expect("the witness cosigned");
    assert_eq!(cosigned.size, before.size);

    // Acts written without pause, through both instances, across the loss.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, admin) = (stop.clone(), fx.admin.clone());
        let apps = [
            app.address.clone(),
            format!("https://localhost:{}", second.port),
        ];
        let client = app.client.clone();
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                outcomes.push(create_account(&client, &apps[n % 2], &admin, n).await);
                n += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            outcomes
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The primary's site is lost.
    let lost = Instant::now();
    cluster.kill_site(0);
    let mut probe = 1_000_000;
    let rto = loop {
        let outcome = create_account(&app.client, &app.address, &fx.admin, probe).await;
        probe += 1;
        if outcome.status.is_some_and(|s| s.is_success()) {
            break lost.elapsed();
        }
        assert!(
            lost.elapsed() < PATIENCE,
            "writes were not accepted again: {:?}\n{}",
            outcome.status,
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "drill: RTO {:.1} s (site lost until a write is acknowledged again)",
        rto.as_secs_f64()
    );
    cluster.wait_for_roles(1, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let outcomes = writer.await.unwrap();

    // No 500 during the switch: an act either happened or was refused as retryable.
    for outcome in &outcomes {
        match outcome.status {
            Some(status) if status.is_success() => {}
            Some(StatusCode::SERVICE_UNAVAILABLE) => assert!(
                outcome.retry_after,
                "{}: 503 without Retry-After",
                outcome.username
            ),
            // The client gave up or the connection broke: not an answer, so not an ack.
            None => {}
            Some(other) => panic!("{}: answered {other} during the failover", outcome.username),
        }
    }
    let acknowledged: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status.is_some_and(|s| s.is_success()))
        .collect();
    assert!(
        acknowledged.iter().any(|o| o.sent < lost),
        "acts before the loss"
    );
    assert!(
        acknowledged.iter().any(|o| o.sent > lost),
        "acts after the failover"
    );

    // The session goes on; members whose requests fail meanwhile would have retried.
    advance(&mut clients.host, Phase::Recusal).await;
    let closed = finish_from_recusal(&mut clients).await;
    for (seat, (client, member)) in clients.experts.iter_mut() {
        let mut seen = Vec::new();
        for event in client.drain_events() {
            seen.push(event.seq);
        }
        loop {
            let event = client.next_event(Duration::from_secs(20)).await.unwrap();
            seen.push(event.seq);
            if event.kind == "closed" {
                assert_eq!(event.data["report_sha256"], closed["report_sha256"]);
                break;
            }
        }
        let mut replay = committee.connect(&member.bearer).await;
        let mut all = Vec::new();
        loop {
            let event = replay.next_event(Duration::from_secs(20)).await.unwrap();
            all.push(event.seq);
            if event.kind == "closed" {
                break;
            }
        }
        let first = *seen.first().unwrap();
        let tail: Vec<i64> = all.into_iter().filter(|s| *s >= first).collect();
        assert_eq!(seen, tail, "expert {seat}: every event once, in order");
    }

    // The waiting draw gets its entropy through the other instance, and runs once.
    let contributed = fx.contribute(&fx.center, &waiting_id).await;
    assert!(
        contributed.status().is_success(),
        "{}",
        contributed.text().await.unwrap()
    );
    let again = fx.contribute(&fx.center, &waiting_id).await;
    assert!(again.status().is_client_error());
    // RPO = 0: every acknowledged act is in the new primary's database.
    let listed = app.usernames(&fx.admin).await;
    for outcome in &acknowledged {
        assert!(
            listed.contains(&outcome.username),
            "{} was acknowledged and is gone",
            outcome.username
        );
    }

    // With no synchronous standby, the log refuses to sign what a second failover could lose.
    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&fx.admin), &json!({}))
        .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    // The lost site comes back as the new primary's synchronous standby (pg_rewind).
    cluster.start_node(0);
    cluster.wait_for_roles(1, Some(0)).await;
    let after = app.state.audit.checkpoint_now().await.unwrap();
    assert!(after.size > before.size);
    let cosigned = witness.state().await.unwrap();
    assert_eq!(
        cosigned.size, after.size,
        "the witness that cosigned the old checkpoint accepted the consistency proof to the new one"
    );
    let entries = crate::sessions::audit_entries(fx).await;
    let executions = entries
        .iter()
        .filter(|e| e["type"] == "draw.result" && e["refs"]["draw"] == waiting_id.as_str())
        .count();
    assert_eq!(executions, 1, "the waiting draw executed once");
    for outcome in &acknowledged {
        let id = outcome.account_id.as_deref().unwrap();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e["type"] == "account.created" && e["refs"]["account"] == id)
                .count(),
            1,
            "{} is in the log once",
            outcome.username
        );
    }
    println!(
        "drill: {} acts acknowledged, {} refused as retryable, RPO 0 (all present)",
        acknowledged.len(),
        outcomes
            .iter()
            .filter(|o| o.status == Some(StatusCode::SERVICE_UNAVAILABLE))
            .count()
    );
    second.kill().await;
}
