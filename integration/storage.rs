//! Storage faults: writes that fail for a while fail closed, leave nothing half-written, show in
//! readiness, and stop mattering once the storage works again, without a restart.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;

async fn create_expert_account(app: &TestApp, admin: &str, username: &str) -> reqwest::Response {
    app.post(
        "/api/v1/accounts",
        Some(admin),
        &json!({"username": username, "role": "expert", "password": PASSWORD}),
    )
    .await
}

/// Readiness as a load balancer polling now sees it: past the second for which an instance
/// reuses its last answer.
async fn readiness(app: &TestApp) -> reqwest::Response {
    app.clock.advance(Duration::from_secs(1));
    app.get("/readyz", None).await
}

#[tokio::test]
async fn a_burst_of_write_errors_fails_closed_and_the_server_recovers_without_a_restart() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    assert_eq!(readiness(&app).await.status(), StatusCode::OK);
    let accounts_before: Value = app.get_json("/api/v1/accounts", Some(&admin)).await;
    let entries_before = app.audit_entries().await;

    let fault = app.fail_writes().await;
    // Several at once, so that the failures meet more than one of the pool's connections.
    let attempts = futures_util::future::join_all((0..6).map(|i| {
        let (app, admin) = (&app, &admin);
        async move { create_expert_account(app, admin, &format!("during.fault.{i}")).await }
    }))
    .await;
    for response in attempts {
        let status = response.status();
        let problem = assert_problem(response, status).await;
        assert!(status.is_server_error(), "{status}: {problem}");
    }
    let problem = assert_problem(readiness(&app).await, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unavailable");
    // Reads still work, and show that nothing of the failed actions was written.
    assert_eq!(
        app.get_json("/api/v1/accounts", Some(&admin)).await,
        accounts_before
    );
    assert_eq!(app.audit_entries().await, entries_before);

    fault.heal(&app).await;
    assert_eq!(readiness(&app).await.status(), StatusCode::OK);
    // More writes than the pool has connections: none of them may have been left unusable.
    for i in 0..2 * app.settings.database.max_connections {
        let response = create_expert_account(&app, &admin, &format!("after.fault.{i}")).await;
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "write {i} after the fault: {}",
            response.text().await.unwrap()
        );
    }
    let entries_after = app.audit_entries().await;
    assert_eq!(
        entries_after.len(),
        entries_before.len() + 2 * app.settings.database.max_connections as usize
    );
    assert!(
        entries_after[entries_before.len()..]
            .iter()
            .all(|entry| entry["type"] == "account.created")
    );
    assert_eq!(readiness(&app).await.status(), StatusCode::OK);
}

/// PostgreSQL can be made to fail only at COMMIT (a deferred constraint trigger), which a
/// readiness probe that rolls back never reaches: what SQLite does on a full or failing disk,
/// since it writes nothing before COMMIT. SQL cannot make a SQLite COMMIT fail; the store's
/// unit tests cover that backend's side of this.
#[tokio::test]
async fn writes_that_fail_only_at_commit_make_the_instance_unready_until_a_commit_works() {
    if !is_postgres() {
        return;
    }
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let entries_before = app.audit_entries().await;
    app.execute_sql(
        "CREATE FUNCTION injected_commit_error() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'could not fsync file: Input/output error' \
         USING ERRCODE = '58030'; END $$; \
         CREATE CONSTRAINT TRIGGER injected_commit_error AFTER INSERT ON audit_entries \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION injected_commit_error();",
    )
    .await;
    let response = create_expert_account(&app, &admin, "during.fault").await;
    let status = response.status();
    assert!(status.is_server_error(), "{status}");
    assert_problem(response, status).await;
    let problem = assert_problem(readiness(&app).await, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unavailable");
    assert_eq!(app.audit_entries().await, entries_before);

    app.execute_sql(
        "DROP TRIGGER injected_commit_error ON audit_entries; \
         DROP FUNCTION injected_commit_error();",
    )
    .await;
    assert_eq!(readiness(&app).await.status(), StatusCode::OK);
    let response = create_expert_account(&app, &admin, "after.fault").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
