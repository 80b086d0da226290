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
    proof.verify(&leaf_hash(entry.as_bytes()), &trust).unwrap();
    let mut tampered = entry.clone().into_bytes();
    tampered[10] ^= 1;
    assert!(proof.verify(&leaf_hash(&tampered), &trust).is_err());

    let missing = app.get("/api/v1/audit/entries/999", Some(&admin)).await;
    assert_problem(missing, StatusCode::NOT_FOUND).await;
}
