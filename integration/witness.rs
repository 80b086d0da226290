//! Witnesses (c2sp.org/tlog-witness) as an independent body runs them: real witness servers on
//! port 0 over TLS, each with its own fresh database, and the real log submitting to them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::StatusCode;
use tempfile::TempDir;

use crate::helpers::*;
use sealdraw::audit::checkpoint::{Checkpoint, CheckpointError, open_checkpoint, sign_checkpoint};
use sealdraw::audit::log::SignedCheckpoint;
use sealdraw::audit::merkle::{self, Frontier, MemoryTree};
use sealdraw::audit::note::{
    CosignatureVerifier, NoteError, NoteSigner, NoteVerifier, WitnessPolicy,
};
use sealdraw::audit::witness::{
    AddCheckpointRequest, SIZE_CONTENT_TYPE, TrustedLog, Witness, WitnessServer,
    WitnessServerSettings, WitnessState,
};
use sealdraw::audit::{Actor, AuditEntry};
use sealdraw::auth::Role;
use sealdraw::clock::{Clock, ManualClock};
use sealdraw::config::WitnessSettings;
use sealdraw::crypto::witness_key::{init_witness_key, load_witness_key};
use sealdraw::crypto::{KeyRing, Rng};
use sealdraw::store::Store;
use sealdraw::tls::dev::{self, DevCertificates};

const ORIGIN: &str = "sealdraw.example/log";

pub struct TestWitness {
    url: String,
    port: u16,
    witness: actix_web::web::Data<Witness>,
    verifier: CosignatureVerifier,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    name: String,
    key: PathBuf,
    database_url: String,
    tls: (PathBuf, PathBuf),
    logs: Vec<TrustedLog>,
    _dir: TempDir,
}

impl TestWitness {
    async fn post(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(format!("{}/add-checkpoint", self.url))
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn state(&self) -> Option<WitnessState> {
        self.witness.state(ORIGIN).await.unwrap()
    }

    pub fn settings(&self) -> WitnessSettings {
        WitnessSettings {
            name: self.verifier.name().to_owned(),
            url: self.url.clone(),
            vkey: self.verifier.to_string(),
        }
    }
}

/// A witness as `sealdraw witness init` and `serve` set one up, following `logs`.
pub async fn spawn_witness(
    certs: &DevCertificates,
    name: &str,
    logs: Vec<TrustedLog>,
) -> TestWitness {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("witness.key");
    init_witness_key(&key, &Rng::danger_deterministic(name.as_bytes()), suite()).unwrap();
    let database_url = fresh_database_url_in(dir.path(), "witness.db").await;
    let tls = (certs.server_cert(), certs.server_key());
    let running = start_witness("127.0.0.1:0", name, &key, &database_url, &tls, &logs).await;
    TestWitness {
        url: format!("https://localhost:{}", running.port),
        port: running.port,
        witness: running.witness,
        verifier: running.verifier,
        client: client_builder(certs, None).build().unwrap(),
        handle: running.handle,
        name: name.to_owned(),
        key,
        database_url,
        tls,
        logs,
        _dir: dir,
    }
}

struct RunningWitness {
    port: u16,
    witness: actix_web::web::Data<Witness>,
    verifier: CosignatureVerifier,
    handle: actix_web::dev::ServerHandle,
}

async fn start_witness(
    listen: &str,
    name: &str,
    key: &Path,
    database_url: &str,
    (cert, tls_key): &(PathBuf, PathBuf),
    logs: &[TrustedLog],
) -> RunningWitness {
    let signer =
        sealdraw::audit::note::CosignatureSigner::new(name, load_witness_key(key).unwrap())
            .unwrap();
    let verifier = signer.verifier();
    let clock = ManualClock::starting_at(chrono::Utc::now().timestamp_millis());
    let server = WitnessServer::build(
        WitnessServerSettings {
            listen: listen.into(),
            database_url: database_url.to_owned().into(),
            tls_cert: cert.clone(),
            tls_key: tls_key.clone(),
            logs: logs.to_vec(),
            workers: 1,
        },
        signer,
        Arc::new(clock),
    )
    .await
    .unwrap();
    let running = RunningWitness {
        port: server.port(),
        witness: server.witness(),
        verifier,
        handle: server.handle(),
    };
    tokio::spawn(server.run_until_stopped());
    running
}

impl TestWitness {
    async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// Starts the witness again on the same port, key and database.
    async fn restart(&mut self) {
        let listen = format!("127.0.0.1:{}", self.port);
        let running = start_witness(
            &listen,
            &self.name,
            &self.key,
            &self.database_url,
            &self.tls,
            &self.logs,
        )
        .await;
        assert_eq!(running.verifier, self.verifier);
        self.witness = running.witness;
        self.handle = running.handle;
    }
}

/// The log's key file, made before the log starts so witnesses can be told its key.
pub struct LogKeys {
    pub file: PathBuf,
    _dir: TempDir,
}

impl LogKeys {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log-keys.json");
        let rng = Rng::danger_deterministic(dir.path().to_string_lossy().as_bytes());
        KeyRing::init_file(&file, &rng, "2026-11-25T00:00:00Z", suite()).unwrap();
        Self { file, _dir: dir }
    }

    /// The log's own signing key, as someone holding the key file (an insider) has it.
    fn signer(&self) -> NoteSigner {
        let ring = KeyRing::load(&self.file).unwrap();
        NoteSigner::new(ORIGIN, ring.log_keys()[0].signer.clone()).unwrap()
    }

    fn verifier(&self) -> NoteVerifier {
        self.signer().verifier()
    }

    pub fn trusted(&self) -> Vec<TrustedLog> {
        vec![TrustedLog {
            origin: ORIGIN.into(),
            key: self.verifier(),
        }]
    }
}

/// A log whose checkpoints go to `witnesses`, which need `quorum` of them.
async fn spawn_log(
    keys: &LogKeys,
    ca: &Path,
    witnesses: &[&TestWitness],
    quorum: usize,
) -> TestApp {
    let key_file = keys.file.clone();
    let ca = ca.to_path_buf();
    let witnesses: Vec<WitnessSettings> = witnesses.iter().map(|w| w.settings()).collect();
    spawn_app_with(TestOptions {
        customise: Box::new(move |settings| {
            settings.keys.file = Some(key_file);
            settings.audit.witnesses = witnesses;
            settings.audit.witness_quorum = quorum;
            settings.audit.witness_ca = Some(ca);
            // The tests sign when they choose; the background signer runs only at start.
            settings.audit.checkpoint_interval_secs = 3600;
        }),
        ..TestOptions::default()
    })
    .await
}

fn policy(witnesses: &[&TestWitness], quorum: usize) -> WitnessPolicy {
    WitnessPolicy::new(
        witnesses.iter().map(|w| w.verifier.clone()).collect(),
        quorum,
    )
    .unwrap()
}

async fn append_entries(app: &TestApp, tag: &str, count: u64) {
    for n in 0..count {
        let mut tx = app.state.store.write().await.unwrap();
        let entry = AuditEntry::new("test.event", app.clock.now_millis(), Actor::System)
            .reference("test", format!("{tag}-{n}"));
        sealdraw::audit::append(&mut tx, &entry).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn sign(app: &TestApp) -> SignedCheckpoint {
    app.state.audit.checkpoint_now().await.unwrap()
}

/// Why the log refused to sign now (it must refuse).
async fn refusal_to_sign(app: &TestApp) -> String {
    app.state
        .audit
        .checkpoint_now()
        .await
        .unwrap_err()
        .to_string()
}

pub fn witness_certs(dir: &TempDir) -> DevCertificates {
    dev::generate(
        &dir.path().join("witness-certs"),
        &[],
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_log_with_two_witnesses_serves_checkpoints_that_meet_a_quorum_of_two() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let keys = LogKeys::new();
    let w1 = spawn_witness(&certs, "w1.supervisor.example", keys.trusted()).await;
    let w2 = spawn_witness(&certs, "w2.supervisor.example", keys.trusted()).await;
    let app = spawn_log(&keys, &certs.ca(), &[&w1, &w2], 2).await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let policy = policy(&[&w1, &w2], 2);
    let log_keys = [keys.verifier()];

    let mut last_size = 0;
    // Sizes chosen so that consistency proofs start from odd, even and power-of-two sizes.
    for (round, extra) in [0u64, 1, 3, 4, 9].into_iter().enumerate() {
        append_entries(&app, &format!("round{round}"), extra).await;
        let signed = app
            .client
            .post(app.url("/api/v1/audit/checkpoint"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), StatusCode::OK);
        let signed = signed.text().await.unwrap();
        let served = crate::audit::text(&app, "/api/v1/audit/checkpoint", &admin).await;
        assert_eq!(served, signed, "GET serves the cosigned note");

        let verified = open_checkpoint(&served, ORIGIN, &log_keys, Some(&policy))
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{served}"));
        let size = verified.checkpoint().size;
        assert!(size > last_size, "round {round}: the log grew");
        assert_eq!(verified.witnesses().len(), 2);
        for witness in [&w1, &w2] {
            let state = witness.state().await.unwrap();
            assert_eq!(
                state.size, size,
                "round {round}: {} is at the log's size",
                witness.verifier
            );
            assert_eq!(state.root, verified.checkpoint().root);
        }
        last_size = size;
    }
    // The note served is also what a proof file carries.
    let proof = crate::audit::text(&app, "/api/v1/audit/proof/1", &admin).await;
    let proof = sealdraw::audit::proof::TlogProof::parse(&proof).unwrap();
    assert!(open_checkpoint(&proof.checkpoint, ORIGIN, &log_keys, Some(&policy)).is_ok());

    let metrics = reqwest::get(format!("http://{}/metrics", app.metrics_address.unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("audit_witness_cosignatures_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_witness_refuses_a_fork_signed_with_the_log_key_and_keeps_its_state() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let keys = LogKeys::new();
    let witness = spawn_witness(&certs, "w1.supervisor.example", keys.trusted()).await;
    let app = spawn_log(&keys, &certs.ca(), &[&witness], 1).await;
    append_entries(&app, "genuine", 6).await;
    let genuine = sign(&app).await;
    let before = witness.state().await.unwrap();
    assert_eq!(before.size, genuine.size);

    // Someone holding the log key signs a different history of the same origin.
    let log_signer = keys.signer();
    let mut fork = MemoryTree::new(suite());
    for n in 0..genuine.size + 3 {
        fork.append(format!("forged entry {n}").as_bytes()).unwrap();
    }
    let forged_at = |size: u64| {
        let checkpoint = Checkpoint::new(ORIGIN, size, fork.root_at(size).unwrap());
        sign_checkpoint(&checkpoint, &[&log_signer]).unwrap()
    };
    let n = genuine.size;

    // A longer fork with a proof that is consistent within the fork only.
    let request = AddCheckpointRequest {
        old_size: n,
        proof: fork.consistency_proof(n, n + 3).unwrap(),
        checkpoint: forged_at(n + 3),
    };
    let response = witness.post(request.format()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A fork of the same size: same size, other root.
    let request = AddCheckpointRequest {
        old_size: n,
        proof: Vec::new(),
        checkpoint: forged_at(n),
    };
    let response = witness.post(request.format()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // A fork that claims the witness saw less: the witness answers with what it cosigned.
    let request = AddCheckpointRequest {
        old_size: n - 1,
        proof: fork.consistency_proof(n - 1, n + 3).unwrap(),
        checkpoint: forged_at(n + 3),
    };
    let response = witness.post(request.format()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.headers()["content-type"], SIZE_CONTENT_TYPE);
    assert_security_headers(&response);
    assert_eq!(response.text().await.unwrap(), format!("{n}\n"));

    // Or claims it starts afresh.
    let request = AddCheckpointRequest {
        old_size: 0,
        proof: Vec::new(),
        checkpoint: forged_at(n + 3),
    };
    assert_eq!(
        witness.post(request.format()).await.status(),
        StatusCode::CONFLICT
    );

    assert_eq!(
        witness.state().await.unwrap(),
        before,
        "the witness's state moved"
    );

    // The genuine log carries on and is still cosigned.
    append_entries(&app, "genuine-more", 2).await;
    let later = sign(&app).await;
    let policy = policy(&[&witness], 1);
    open_checkpoint(&later.note, ORIGIN, &[keys.verifier()], Some(&policy)).unwrap();
    assert_eq!(witness.state().await.unwrap().size, n + 2);
}

#[tokio::test]
async fn deleting_the_newest_entries_is_detected_by_a_witness() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let keys = LogKeys::new();
    let witness = spawn_witness(&certs, "w1.supervisor.example", keys.trusted()).await;
    let app = spawn_log(&keys, &certs.ca(), &[&witness], 1).await;
    let policy = policy(&[&witness], 1);
    let log_keys = [keys.verifier()];

    append_entries(&app, "early", 5).await;
    let early = sign(&app).await;
    append_entries(&app, "embarrassing", 4).await;
    let cosigned = sign(&app).await;
    open_checkpoint(&cosigned.note, ORIGIN, &log_keys, Some(&policy)).unwrap();
    let before = witness.state().await.unwrap();
    assert_eq!(before.size, cosigned.size);

    // An operator with database access removes the newest entries and every trace of them,
    // resets the head to the earlier tree, and lets the log carry on from there.
    let kept = early.size;
    rewind_log(&app.state.store, kept).await;
    append_entries(&app, "rewritten", cosigned.size - kept + 3).await;
    // The server's own copy of its newest checkpoint, outside the database, stops it first…
    let refused = refusal_to_sign(&app).await;
    assert!(
        refused.contains(&format!(
            "does not extend the checkpoint saved outside the database ({}) of size {}",
            app.checkpoint_copy().display(),
            cosigned.size
        )),
        "{refused}"
    );
    // …but the operator has shell access too and removes it: the witness is what remains.
    std::fs::remove_file(app.checkpoint_copy()).unwrap();
    let rewritten = sign(&app).await;
    assert_eq!(rewritten.size, cosigned.size + 3);

    // The log's key still signs it, but the witness refused to cosign it.
    let verified = open_checkpoint(&rewritten.note, ORIGIN, &log_keys, None).unwrap();
    assert!(
        verified.note().note().signatures.len() == 1,
        "{}",
        rewritten.note
    );
    assert!(matches!(
        open_checkpoint(&rewritten.note, ORIGIN, &log_keys, Some(&policy)),
        Err(CheckpointError::Note(NoteError::QuorumNotMet {
            valid: 0,
            quorum: 1
        }))
    ));
    let served = app.state.audit.latest_checkpoint().await.unwrap();
    assert_eq!(served.size, rewritten.size);
    assert!(open_checkpoint(&served.note, ORIGIN, &log_keys, Some(&policy)).is_err());
    assert_eq!(witness.state().await.unwrap(), before);
    assert!(captured_logs().contains("lacks its witness quorum"));
    // The witness kept the evidence of what the log signed before.
    assert!(
        before
            .note
            .starts_with(&cosigned.note[..cosigned.note.find("\n\n").unwrap()])
    );

    // A restarted log that forgot what the witness holds fares no better (it learns the size
    // from the witness's 409 and cannot prove consistency from it).
    let restarted = spawn_log_on(&app, &keys, &certs.ca(), &[&witness]).await;
    append_entries(&restarted, "after-restart", 1).await;
    let again = sign(&restarted).await;
    assert!(open_checkpoint(&again.note, ORIGIN, &log_keys, Some(&policy)).is_err());
    assert_eq!(witness.state().await.unwrap(), before);
}

/// A second server on the same database and key file as `app` (a restart).
async fn spawn_log_on(
    app: &TestApp,
    keys: &LogKeys,
    ca: &Path,
    witnesses: &[&TestWitness],
) -> TestApp {
    let database_url = app.database_url.clone();
    let key_file = keys.file.clone();
    let ca = ca.to_path_buf();
    let witnesses: Vec<WitnessSettings> = witnesses.iter().map(|w| w.settings()).collect();
    spawn_app_with(TestOptions {
        customise: Box::new(move |settings| {
            settings.database.url = Some(database_url.into());
            settings.keys.file = Some(key_file);
            settings.audit.witnesses = witnesses;
            settings.audit.witness_quorum = 1;
            settings.audit.witness_ca = Some(ca);
            settings.audit.checkpoint_interval_secs = 3600;
        }),
        ..TestOptions::default()
    })
    .await
}

/// Deletes entries, nodes and checkpoints beyond `size` and resets the head to that tree.
async fn rewind_log(store: &Store, size: u64) {
    let size = i64::try_from(size).unwrap();
    let mut statements: Vec<(String, Vec<i64>)> = vec![
        (
            "DELETE FROM audit_entries WHERE idx >= $1".into(),
            vec![size],
        ),
        (
            "DELETE FROM audit_checkpoints WHERE size > $1".into(),
            vec![size],
        ),
    ];
    for level in 0..63 {
        // Node (level, i) covers leaves [i·2^level, (i+1)·2^level): it reaches past `size`
        // exactly when i ≥ size >> level.
        statements.push((
            "DELETE FROM audit_nodes WHERE level = $1 AND idx >= $2".into(),
            vec![level, size >> level],
        ));
    }
    for (sql, binds) in statements {
        match store {
            Store::Sqlite(pool, ..) => {
                let mut query = sqlx::query(&sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.execute(pool).await.unwrap();
            }
            Store::Postgres(pool, ..) => {
                let mut query = sqlx::query(&sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.execute(pool).await.unwrap();
            }
        }
    }
    let size = u64::try_from(size).unwrap();
    let mut tx = store.write().await.unwrap();
    let nodes = tx
        .audit_nodes(&merkle::tree_root_needs(size))
        .await
        .unwrap();
    let frontier = Frontier::from_stored(suite(), size, &nodes).unwrap();
    tx.set_audit_head(&frontier.to_bytes()).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_refused_by_the_witness_and_by_verifiers() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let log = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(suite(), &[1; 32]).unwrap(),
    )
    .unwrap();
    let witness = spawn_witness(
        &certs,
        "w1.supervisor.example",
        vec![TrustedLog {
            origin: ORIGIN.into(),
            key: log.verifier(),
        }],
    )
    .await;
    let mut tree = MemoryTree::new(suite());
    for n in 0..5u8 {
        tree.append(&[n]).unwrap();
    }
    let checkpoint = Checkpoint::new(ORIGIN, 5, tree.root());
    let body = |note: String| {
        AddCheckpointRequest {
            old_size: 0,
            proof: Vec::new(),
            checkpoint: note,
        }
        .format()
    };

    // Same origin and key name, another key: an impostor.
    let impostor = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(suite(), &[2; 32]).unwrap(),
    )
    .unwrap();
    let forged = sign_checkpoint(&checkpoint, &[&impostor]).unwrap();
    let response = witness.post(body(forged.clone())).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_security_headers(&response);
    assert!(matches!(
        open_checkpoint(&forged, ORIGIN, &[log.verifier()], None),
        Err(CheckpointError::Note(NoteError::NoTrustedSignature))
    ));

    // The right key name and id with a broken signature.
    let genuine = sign_checkpoint(&checkpoint, &[&log]).unwrap();
    let tampered = genuine.replace("\n5\n", "\n6\n");
    assert_eq!(
        witness.post(body(tampered.clone())).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(open_checkpoint(&tampered, ORIGIN, &[log.verifier()], None).is_err());

    // Another origin, even signed by the trusted key: not a log this witness follows.
    let other = Checkpoint::new("other.example/log", 5, tree.root());
    let other = sign_checkpoint(
        &other,
        &[&NoteSigner::new(
            "other.example/log",
            sealdraw::crypto::Signer::from_seed(suite(), &[1; 32]).unwrap(),
        )
        .unwrap()],
    )
    .unwrap();
    assert_eq!(
        witness.post(body(other)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(witness.state().await.is_none());

    // The genuine checkpoint is cosigned, and the cosignature verifies.
    let response = witness.post(body(genuine.clone())).await;
    assert_eq!(response.status(), StatusCode::OK);
    let lines = response.text().await.unwrap();
    let cosigned = format!("{genuine}{lines}");
    let policy = WitnessPolicy::new(vec![witness.verifier.clone()], 1).unwrap();
    open_checkpoint(&cosigned, ORIGIN, &[log.verifier()], Some(&policy)).unwrap();
    assert_eq!(witness.state().await.unwrap().size, 5);
}

#[tokio::test]
async fn garbage_bodies_get_400_and_never_500() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let log = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(suite(), &[1; 32]).unwrap(),
    )
    .unwrap();
    let witness = spawn_witness(
        &certs,
        "w1.supervisor.example",
        vec![TrustedLog {
            origin: ORIGIN.into(),
            key: log.verifier(),
        }],
    )
    .await;
    let mut tree = MemoryTree::new(suite());
    for n in 0..5u8 {
        tree.append(&[n]).unwrap();
    }
    let note = sign_checkpoint(&Checkpoint::new(ORIGIN, 5, tree.root()), &[&log]).unwrap();
    let hash_line = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let text = note.split("\n\n").next().unwrap().to_owned() + "\n";
    let root = text.lines().nth(2).unwrap();
    let misnumbered =
        sealdraw::audit::note::sign(&format!("{ORIGIN}\nfive\n{root}\n"), &[&log]).unwrap();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("one word", b"hello".to_vec()),
        ("binary", vec![0, 159, 146, 150, 255, 10, 10]),
        ("no old line", format!("\n{note}").into()),
        ("old size not canonical", format!("old 00\n\n{note}").into()),
        ("no separator", format!("old 0\n{note}").into()),
        ("nothing after the separator", b"old 0\n\n".to_vec()),
        ("not a note", b"old 0\n\njust some text\n".to_vec()),
        ("unsigned checkpoint", format!("old 0\n\n{text}").into()),
        (
            "signed text is no checkpoint",
            format!("old 0\n\n{misnumbered}").into(),
        ),
        (
            "proof line not a hash",
            format!("old 3\nAAAA\n\n{note}").into(),
        ),
        (
            "proof with old size 0",
            format!("old 0\n{hash_line}\n{note}").into(),
        ),
        (
            "64 proof lines",
            format!("old 3\n{}\n{note}", hash_line.repeat(64)).into(),
        ),
        (
            "old size beyond the checkpoint",
            format!("old 6\n\n{note}").into(),
        ),
        (
            "control characters",
            format!("old 0\n\n{}", note.replace('\n', "\r\n")).into(),
        ),
    ];
    for (why, body) in bodies {
        let response = witness.post(body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{why}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
            "{why}"
        );
        assert!(!response.text().await.unwrap().trim().is_empty(), "{why}");
    }

    // The server answers 413 before reading the rest and then drops the connection; asking
    // for that up front keeps the client from reusing it for the next request (which then
    // failed now and then with an incomplete message).
    let huge = format!("old 0\n\n{}", "a".repeat(100 * 1024));
    let refused = witness
        .client
        .post(format!("{}/add-checkpoint", witness.url))
        .header(reqwest::header::CONNECTION, "close")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let get = witness
        .client
        .get(format!("{}/add-checkpoint", witness.url))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&get);
    assert!(
        witness.state().await.is_none(),
        "a refused request stored state"
    );

    // After all that, a good request still works.
    let good = format!("old 0\n\n{note}");
    assert_eq!(witness.post(good).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_submissions_cannot_roll_a_witness_back() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let log = NoteSigner::new(
        ORIGIN,
        sealdraw::crypto::Signer::from_seed(suite(), &[1; 32]).unwrap(),
    )
    .unwrap();
    let witness = spawn_witness(
        &certs,
        "w1.supervisor.example",
        vec![TrustedLog {
            origin: ORIGIN.into(),
            key: log.verifier(),
        }],
    )
    .await;
    let mut tree = MemoryTree::new(suite());
    for n in 0..16u8 {
        tree.append(&[n]).unwrap();
    }
    let request = |old: u64, new: u64| {
        let checkpoint = Checkpoint::new(ORIGIN, new, tree.root_at(new).unwrap());
        AddCheckpointRequest {
            old_size: old,
            proof: tree.consistency_proof(old, new).unwrap(),
            checkpoint: sign_checkpoint(&checkpoint, &[&log]).unwrap(),
        }
        .format()
    };
    assert_eq!(witness.post(request(0, 5)).await.status(), StatusCode::OK);

    // Every request is valid on its own; only one can be applied to state 5.
    let sizes: Vec<u64> = (6..=16).collect();
    let responses =
        futures_util::future::join_all(sizes.iter().map(|&new| witness.post(request(5, new))))
            .await;
    let accepted: Vec<u64> = sizes
        .iter()
        .zip(&responses)
        .filter(|(_, response)| response.status() == StatusCode::OK)
        .map(|(size, _)| *size)
        .collect();
    assert_eq!(accepted.len(), 1, "accepted {accepted:?}");
    for response in &responses {
        assert!(
            matches!(response.status(), StatusCode::OK | StatusCode::CONFLICT),
            "{}",
            response.status()
        );
    }
    assert_eq!(witness.state().await.unwrap().size, accepted[0]);
}

#[tokio::test]
async fn a_witness_that_was_down_cosigns_the_unchanged_checkpoint_when_it_is_back() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let keys = LogKeys::new();
    let mut witness = spawn_witness(&certs, "w1.supervisor.example", keys.trusted()).await;
    let app = spawn_log(&keys, &certs.ca(), &[&witness], 1).await;
    let policy = policy(&[&witness], 1);
    let log_keys = [keys.verifier()];
    append_entries(&app, "first", 3).await;
    let first = sign(&app).await;
    open_checkpoint(&first.note, ORIGIN, &log_keys, Some(&policy)).unwrap();

    witness.stop().await;
    append_entries(&app, "while-down", 4).await;
    let started = std::time::Instant::now();
    let unwitnessed = sign(&app).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(unwitnessed.size, first.size + 4, "the log carries on");
    assert!(open_checkpoint(&unwitnessed.note, ORIGIN, &log_keys, None).is_ok());
    assert!(open_checkpoint(&unwitnessed.note, ORIGIN, &log_keys, Some(&policy)).is_err());

    witness.restart().await;
    // Within a minute of the failure the log does not ask again...
    let soon = sign(&app).await;
    assert_eq!(soon.note, unwitnessed.note);
    // ...after it, the unchanged checkpoint is submitted again and cosigned.
    app.clock.advance(std::time::Duration::from_secs(61));
    let later = sign(&app).await;
    assert_eq!(later.size, unwitnessed.size);
    open_checkpoint(&later.note, ORIGIN, &log_keys, Some(&policy)).unwrap();
    let served = app.state.audit.latest_checkpoint().await.unwrap();
    assert_eq!(served.note, later.note);
    assert_eq!(witness.state().await.unwrap().size, later.size);
}

/// Issue 20 §1: a server started on a database restored from an older backup, without its
/// own copy of its newest checkpoint (a machine rebuilt from the backup), learns from the
/// witnesses how far the log had gone and signs nothing until the missing entries are back.
#[tokio::test]
async fn after_a_restore_the_witnesses_newest_size_stops_the_log_from_signing() {
    let shared = tempfile::tempdir().unwrap();
    let certs = witness_certs(&shared);
    let keys = LogKeys::new();
    let witness = spawn_witness(&certs, "w1.supervisor.example", keys.trusted()).await;
    let app = spawn_log(&keys, &certs.ca(), &[&witness], 1).await;
    append_entries(&app, "early", 5).await;
    let early = sign(&app).await;
    append_entries(&app, "later", 4).await;
    let cosigned = sign(&app).await;
    assert_eq!(witness.state().await.unwrap().size, cosigned.size);

    rewind_log(&app.state.store, early.size).await;
    std::fs::remove_file(app.checkpoint_copy()).unwrap();
    let app = app.restart(|_| {}).await;
    append_entries(&app, "after the restore", 2).await;

    let refused = refusal_to_sign(&app).await;
    assert!(
        refused.contains(&format!(
            "the log holds {} entries but witness",
            early.size + 2
        )) && refused.contains(&format!(
            "has cosigned {}: entries {} to {} are missing",
            cosigned.size,
            early.size + 2,
            cosigned.size - 1
        )),
        "{refused}"
    );
    let served = app.state.audit.latest_checkpoint().await.unwrap();
    assert_eq!(
        served.size, early.size,
        "nothing was signed over the restored log"
    );
    assert_eq!(witness.state().await.unwrap().size, cosigned.size);
}
