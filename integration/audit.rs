//! The signed audit trail, through the real server.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::audit::merkle::leaf_hash;
use sealdraw::audit::note::NoteVerifier;
use sealdraw::audit::proof::{LogTrust, TlogProof};
use sealdraw::auth::Role;

pub async fn text(app: &TestApp, path: &str, token: &str) -> String {
    let response = app.get(path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.unwrap()
}

pub async fn log_key(app: &TestApp, token: &str) -> NoteVerifier {
    text(app, "/api/v1/audit/key", token)
        .await
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn account_changes_are_logged_and_provable_against_a_signed_checkpoint() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let created = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            &json!({"username": "supervisor.one", "role": "supervisor", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();

    // helper-created admin (0), admin login (1), supervisor creation (2)
    let entry = text(&app, "/api/v1/audit/entries/2", &admin).await;
    let parsed: Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(parsed["type"], "account.created");
    assert_eq!(parsed["refs"]["account"], created["account_id"]);
    assert_eq!(parsed["actor"]["role"], "admin");
    assert!(
        !entry.contains("supervisor.one"),
        "an entry named an account"
    );

    let key = log_key(&app, &admin).await;
    let proof = TlogProof::parse(&text(&app, "/api/v1/audit/proof/2", &admin).await).unwrap();
    let trust = LogTrust {
        origin: app.settings.audit.origin.clone(),
        log_keys: vec![key],
        witnesses: None,
    };
    proof
        .verify(&leaf_hash(suite(), entry.as_bytes()), &trust)
        .unwrap();
    let mut tampered = entry.clone().into_bytes();
    tampered[10] ^= 1;
    assert!(
        proof
            .verify(&leaf_hash(suite(), &tampered), &trust)
            .is_err()
    );

    let missing = app.get("/api/v1/audit/entries/999", Some(&admin)).await;
    assert_problem(missing, StatusCode::NOT_FOUND).await;
}

/// Makes `count` audited actions: accounts created by an admin.
async fn make_entries(app: &TestApp, admin: &str, count: usize) {
    for i in 0..count {
        let response = app
            .post(
                "/api/v1/accounts",
                Some(admin),
                &json!({"username": format!("expert.{i}.{}", uuid::Uuid::new_v4().simple()), "role": "expert", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

async fn overwrite_entry(app: &TestApp, index: i64, entry: &[u8]) {
    use sqlx::Connection;
    let sql = "UPDATE audit_entries SET entry = $1 WHERE idx = $2";
    let updated = if is_postgres() {
        let mut connection = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(entry)
            .bind(index)
            .execute(&mut connection)
            .await
            .unwrap()
            .rows_affected()
    } else {
        let mut connection = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(entry)
            .bind(index)
            .execute(&mut connection)
            .await
            .unwrap()
            .rows_affected()
    };
    assert_eq!(updated, 1);
}

fn export(app: &TestApp, name: &str) -> std::path::PathBuf {
    let out = app.dir.path().join(name);
    let output = run_cli(
        app,
        &["audit", "export", "--out", out.to_str().unwrap()],
        None,
    );
    assert!(
        output.status.success(),
        "export failed: {}",
        stdout_of(&output)
    );
    out
}

fn verify(app: &TestApp, dir: &std::path::Path, key: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["audit", "verify", dir.to_str().unwrap(), "--key", key];
    args.extend_from_slice(extra);
    run_cli(app, &args, None)
}

#[tokio::test]
async fn an_export_verifies_offline_and_one_changed_byte_is_named_by_index() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 40).await;
    let key = log_key(&app, &admin).await.to_string();

    let good = export(&app, "good");
    let output = verify(&app, &good, &key, &[]);
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).contains("42 entries"),
        "{}",
        stdout_of(&output)
    );
    let python = run_python_verifier(&["verify-dir", good.to_str().unwrap(), "--key", &key]);
    assert!(
        python.status.success(),
        "python verifier: {}",
        stdout_of(&python)
    );

    // Someone with database access edits one byte of entry 17 after it was checkpointed.
    let mut entry = text(&app, "/api/v1/audit/entries/17", &admin)
        .await
        .into_bytes();
    entry[2] ^= 0x01;
    overwrite_entry(&app, 17, &entry).await;
    let tampered = export(&app, "tampered");
    let output = verify(&app, &tampered, &key, &[]);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("entry 17 does not match"),
        "{}",
        stdout_of(&output)
    );
    let python = run_python_verifier(&["verify-dir", tampered.to_str().unwrap(), "--key", &key]);
    assert!(!python.status.success());
    assert!(
        stdout_of(&python).contains("entry 17"),
        "python verifier: {}",
        stdout_of(&python)
    );
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_rejected() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 3).await;
    let dir = export(&app, "export");
    let stranger = sealdraw::audit::note::NoteSigner::new(
        &app.settings.audit.origin,
        sealdraw::crypto::Signer::from_seed(suite(), &[9; 32]).unwrap(),
    )
    .unwrap()
    .verifier()
    .to_string();
    let output = verify(&app, &dir, &stranger, &[]);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("checkpoint"),
        "{}",
        stdout_of(&output)
    );
    let python = run_python_verifier(&["verify-dir", dir.to_str().unwrap(), "--key", &stranger]);
    assert!(
        !python.status.success(),
        "python accepted a foreign key: {}",
        stdout_of(&python)
    );
}

/// Signs a checkpoint now and keeps it in a file, as a supervisor would: its path and text.
async fn save_a_checkpoint(app: &TestApp, admin: &str) -> (std::path::PathBuf, String) {
    let saved = app.dir.path().join("saved-checkpoint");
    let checkpoint = app
        .post("/api/v1/audit/checkpoint", Some(admin), &json!({}))
        .await
        .text()
        .await
        .unwrap();
    std::fs::write(&saved, &checkpoint).unwrap();
    (saved, checkpoint)
}

#[tokio::test]
async fn deleting_the_newest_entries_is_detected_by_a_saved_checkpoint() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 10).await;
    let (saved, _) = save_a_checkpoint(&app, &admin).await;
    let key = log_key(&app, &admin).await.to_string();

    // Roll the log back to 8 entries: entries, nodes, checkpoints and the head row.
    let mut tree = sealdraw::audit::merkle::MemoryTree::new(suite());
    for index in 0..8 {
        let entry = app
            .get(&format!("/api/v1/audit/entries/{index}"), Some(&admin))
            .await
            .bytes()
            .await
            .unwrap();
        tree.append(&entry).unwrap();
    }
    let head = hex_literal(&tree.frontier().to_bytes());
    app.execute_sql("DELETE FROM audit_entries WHERE idx >= 8")
        .await;
    app.execute_sql("DELETE FROM audit_nodes WHERE (idx + 1) * (1 << level) > 8")
        .await;
    app.execute_sql("DELETE FROM audit_checkpoints WHERE size > 8")
        .await;
    app.execute_sql(&format!(
        "UPDATE audit_head SET frontier = {head} WHERE id = 1"
    ))
    .await;

    // Online: the server's own copy of its newest checkpoint, outside the database, shows
    // what is missing, and the log signs nothing over the shrunk tree.
    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await;
    assert_problem(refused, StatusCode::INTERNAL_SERVER_ERROR).await;
    let logs = captured_logs();
    assert!(
        logs.contains("the log holds 8 entries but the checkpoint saved outside the database")
            && logs.contains("entries 8 to 11 are missing"),
        "{logs}"
    );
    // Offline: on a machine rebuilt from the backup alone (no such copy), the shrunk log
    // signs, and the verifier holding the saved checkpoint detects it.
    std::fs::remove_file(app.checkpoint_copy()).unwrap();

    let dir = export(&app, "rolled-back");
    let alone = verify(&app, &dir, &key, &[]);
    assert!(
        alone.status.success(),
        "the shrunk log is self-consistent: {}",
        stdout_of(&alone)
    );
    let output = verify(&app, &dir, &key, &["--since", saved.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("the log shrank"),
        "{}",
        stdout_of(&output)
    );
}

#[tokio::test]
async fn a_log_that_grew_within_its_last_tile_verifies_since_an_earlier_checkpoint() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 10).await;
    let (saved, checkpoint) = save_a_checkpoint(&app, &admin).await;
    let saved_size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    let key = log_key(&app, &admin).await.to_string();
    // The log grows, its newest entries still in the same (partial) 256-entry tile.
    make_entries(&app, &admin, 20).await;
    let dir = export(&app, "grown");
    let since = ["--since", saved.to_str().unwrap()];

    let output = verify(&app, &dir, &key, &since);
    assert_eq!(output.status.code(), Some(0), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).contains(&format!(
            "extends the saved checkpoints of sizes [{saved_size}]"
        )),
        "{}",
        stdout_of(&output)
    );

    // A file the verifier cannot read is "cannot verify" (exit 2), naming it, not tampering.
    let bundle = std::fs::read_dir(dir.join("tile/entries/000.p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(&bundle).unwrap();
    std::fs::remove_file(&bundle).unwrap();
    let output = verify(&app, &dir, &key, &since);
    assert_eq!(output.status.code(), Some(2), "{}", stdout_of(&output));
    let said = stdout_of(&output);
    assert!(said.contains("cannot verify"), "{said}");
    assert!(said.contains(bundle.to_str().unwrap()), "{said}");
    assert!(
        !said.contains("rewritten") && !said.contains("does not match"),
        "{said}"
    );

    // A changed byte is a verification failure (exit 1).
    let mut tampered = bytes;
    tampered[4] ^= 1;
    std::fs::write(&bundle, tampered).unwrap();
    let output = verify(&app, &dir, &key, &since);
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).contains("does not match"),
        "{}",
        stdout_of(&output)
    );
}

#[tokio::test]
async fn a_proof_file_verifies_offline_and_in_the_independent_verifier() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 5).await;
    let key = log_key(&app, &admin).await.to_string();
    let proof_path = app.dir.path().join("entry-3.proof");
    let entry_path = app.dir.path().join("entry-3.json");
    std::fs::write(
        &proof_path,
        text(&app, "/api/v1/audit/proof/3", &admin).await,
    )
    .unwrap();
    std::fs::write(
        &entry_path,
        text(&app, "/api/v1/audit/entries/3", &admin).await,
    )
    .unwrap();

    let output = run_cli(
        &app,
        &[
            "audit",
            "verify-proof",
            proof_path.to_str().unwrap(),
            "--key",
            &key,
        ],
        None,
    );
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert!(stdout_of(&output).contains("entry 3 is in the log"));
    let python = run_python_verifier(&[
        "verify-proof",
        proof_path.to_str().unwrap(),
        "--entry",
        entry_path.to_str().unwrap(),
        "--key",
        &key,
    ]);
    assert!(
        python.status.success(),
        "python verifier: {}",
        stdout_of(&python)
    );

    let mut forged = std::fs::read(&entry_path).unwrap();
    forged[5] ^= 1;
    std::fs::write(&entry_path, forged).unwrap();
    let output = run_cli(
        &app,
        &[
            "audit",
            "verify-proof",
            proof_path.to_str().unwrap(),
            "--key",
            &key,
            "--entry",
            entry_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(!output.status.success());
    let python = run_python_verifier(&[
        "verify-proof",
        proof_path.to_str().unwrap(),
        "--entry",
        entry_path.to_str().unwrap(),
        "--key",
        &key,
    ]);
    assert!(!python.status.success());
}

fn hex_literal(bytes: &[u8]) -> String {
    if is_postgres() {
        format!("'\\x{}'::bytea", hex::encode(bytes))
    } else {
        format!("X'{}'", hex::encode(bytes))
    }
}

#[tokio::test]
async fn a_rotated_log_key_signs_beside_the_old_one_until_retired_and_each_step_is_logged() {
    use sealdraw::audit::AuditLog;
    use sealdraw::audit::checkpoint::open_checkpoint;
    use sealdraw::crypto::KeyRing;

    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let old_key = log_key(&app, &admin).await;
    let key_file = app.settings.keys.file.clone().unwrap();
    let old_id = KeyRing::load(&key_file).unwrap().log_keys()[0].id.clone();

    let output = run_cli(&app, &["keys", "rotate-log"], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    // What a restarted server would sign with.
    let log_with = |keys: &KeyRing| {
        AuditLog::new(
            app.state.store.clone(),
            std::sync::Arc::new(app.clock.clone()),
            keys,
            &app.settings.audit.origin,
        )
        .unwrap()
    };
    let rotated = log_with(&KeyRing::load(&key_file).unwrap());
    let keys: Vec<NoteVerifier> = rotated.verifiers().to_vec();
    assert_eq!(keys.len(), 2);
    let new_key = keys
        .into_iter()
        .find(|k| k.to_string() != old_key.to_string())
        .unwrap();

    make_entries(&app, &admin, 1).await;
    let signed = rotated.checkpoint_now().await.unwrap();
    let origin = &app.settings.audit.origin;
    open_checkpoint(&signed.note, origin, std::slice::from_ref(&old_key), None)
        .expect("old key still verifies");
    open_checkpoint(&signed.note, origin, std::slice::from_ref(&new_key), None)
        .expect("new key verifies");

    let mut logged = Vec::new();
    for index in 0..signed.size {
        let entry: Value = serde_json::from_slice(&rotated.entry(index).await.unwrap()).unwrap();
        if entry["type"].as_str().unwrap().starts_with("keys.") {
            logged.push(entry);
        }
    }
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["type"], "keys.log_key_added");
    assert!(
        logged[0]["data"]["signing_keys"]
            .to_string()
            .contains(&new_key.to_string())
    );

    let output = run_cli(&app, &["keys", "retire-log", &old_id], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    let retired = log_with(&KeyRing::load(&key_file).unwrap());
    make_entries(&app, &admin, 1).await;
    let signed = retired.checkpoint_now().await.unwrap();
    assert!(open_checkpoint(&signed.note, origin, std::slice::from_ref(&old_key), None).is_err());
    open_checkpoint(&signed.note, origin, std::slice::from_ref(&new_key), None).unwrap();
    let last: Value =
        serde_json::from_slice(&retired.entry(signed.size - 2).await.unwrap()).unwrap();
    assert_eq!(last["type"], "keys.log_key_retired");
    assert_eq!(last["data"]["key_id"], old_id.as_str());
}

#[tokio::test]
async fn an_action_whose_entry_cannot_be_written_fails_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let before: Value = app.get_json("/api/v1/accounts", Some(&admin)).await;

    app.execute_sql("ALTER TABLE audit_entries RENAME TO audit_entries_unavailable")
        .await;
    let refused = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            &json!({"username": "never.created", "role": "expert", "password": PASSWORD}),
        )
        .await;
    let problem = assert_problem(refused, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap()
            .contains("audit_entries"),
        "internal text leaked"
    );
    app.execute_sql("ALTER TABLE audit_entries_unavailable RENAME TO audit_entries")
        .await;

    let after: Value = app.get_json("/api/v1/accounts", Some(&admin)).await;
    assert_eq!(
        before, after,
        "the account was created without its audit entry"
    );
    let retried = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            &json!({"username": "never.created", "role": "expert", "password": PASSWORD}),
        )
        .await;
    assert_eq!(retried.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_log_refuses_to_sign_a_tree_inconsistent_with_its_last_checkpoint() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    make_entries(&app, &admin, 5).await;
    let signed = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await
        .text()
        .await
        .unwrap();

    // Rewrite history: a head row describing a different tree of a larger size.
    let mut forged = sealdraw::audit::merkle::MemoryTree::new(suite());
    for i in 0..9 {
        forged.append(format!("forged {i}").as_bytes()).unwrap();
    }
    let head = hex_literal(&forged.frontier().to_bytes());
    app.execute_sql(&format!(
        "UPDATE audit_head SET frontier = {head} WHERE id = 1"
    ))
    .await;

    let refused = app
        .post("/api/v1/audit/checkpoint", Some(&admin), &json!({}))
        .await;
    assert_problem(refused, StatusCode::INTERNAL_SERVER_ERROR).await;
    let latest = text(&app, "/api/v1/audit/checkpoint", &admin).await;
    assert_eq!(
        latest, signed,
        "a checkpoint of the rewritten tree was signed"
    );
    assert!(captured_logs().contains("refusing to sign"));
}

#[tokio::test]
async fn pending_entries_are_signed_by_the_server_within_the_checkpoint_interval() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| settings.audit.checkpoint_interval_secs = 1),
        ..TestOptions::default()
    })
    .await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let size_of = |note: &str| note.lines().nth(1).unwrap().parse::<u64>().unwrap();
    let first = size_of(&text(&app, "/api/v1/audit/checkpoint", &admin).await);
    make_entries(&app, &admin, 3).await;

    // Nobody asks for a checkpoint: only the server's own checkpointer can sign these.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut latest = first;
    while latest < first + 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        latest = size_of(&text(&app, "/api/v1/audit/checkpoint", &admin).await);
    }
    assert!(
        latest >= first + 3,
        "the pending entries were not signed within the interval ({first} → {latest})"
    );
}
