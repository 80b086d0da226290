//! Notifying drawn experts: the outbox, the webhook and log gateways, delivery with retries and
//! backoff, and restarts (in-process, and a `kill -9` of a `sealdraw serve` process) that end
//! with exactly one accepted delivery per notification.
//!
//! The platform is a local HTTPS receiver with a CA of its own (the server pins it). It checks
//! every request's signature and timestamp, records bodies and deduplicates by
//! `Idempotency-Key`, as the contract asks of the province's platform (docs/NOTIFY.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::*;
use crate::pool::{Person, csv, import, people};
use sealdraw::auth::Role;
use sealdraw::clock::{Clock, ManualClock};
use sealdraw::config::{NotifyGateway, Settings};
use sealdraw::notify::{NewNotification, NotifyError, TemplateParams};
use sealdraw::store::Store;
use sealdraw::store::outbox::OutboxRow;
use sealdraw::tls::TlsOptions;
use sealdraw::tls::dev::{self, DevCertificates};

const SECRET: &str = "notify-test-secret-0123456789abcdef0123456789";
const HOTLINE: &str = "027-87654321";
const EMPLOYER: &str = "武汉某建设集团";

// ---------------------------------------------------------------------------------------------
// The platform: a local HTTPS webhook receiver
// ---------------------------------------------------------------------------------------------

struct Call {
    key: String,
    signature_ok: bool,
    body: Vec<u8>,
}

#[derive(Default)]
struct PlatformState {
    /// Every request, in order of arrival.
    calls: Mutex<Vec<Call>>,
    /// How often each message was actually sent to a phone: a repeated key is answered 200 but
    /// not sent again.
    sent: Mutex<BTreeMap<String, u32>>,
    /// Answer 500 to this many (validly signed) requests.
    fail_next: AtomicU32,
    /// Answer 400 (a permanent refusal).
    refuse: AtomicBool,
    /// Send the message, then never answer.
    hang: AtomicBool,
    /// The server's clock, for checking timestamps (system time until set).
    clock: Mutex<Option<ManualClock>>,
}

struct Platform {
    url: String,
    state: web::Data<PlatformState>,
    handle: actix_web::dev::ServerHandle,
    certs: DevCertificates,
    _dir: TempDir,
}

async fn receive(
    platform: web::Data<PlatformState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (key, timestamp, signature) = (
        header("idempotency-key"),
        header("x-sealdraw-timestamp"),
        header("x-sealdraw-signature"),
    );
    // Verified independently of sealdraw's code, as the platform would.
    let mac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let signed = [timestamp.as_bytes(), b".", &body].concat();
    let expected = hex::encode(ring::hmac::sign(&mac_key, &signed).as_ref());
    let now = match &*platform.clock.lock().unwrap() {
        Some(clock) => clock.now_millis() / 1000,
        None => chrono::Utc::now().timestamp(),
    };
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now).abs() <= 300);
    let signature_ok = fresh && signature == expected && !key.is_empty();
    platform.calls.lock().unwrap().push(Call {
        key: key.clone(),
        signature_ok,
        body: body.to_vec(),
    });
    if !signature_ok {
        return HttpResponse::Unauthorized().finish();
    }
    if platform
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return HttpResponse::InternalServerError().finish();
    }
    if platform.refuse.load(Ordering::SeqCst) {
        return HttpResponse::BadRequest().body("unknown template");
    }
    let duplicate = {
        let mut sent = platform.sent.lock().unwrap();
        let count = sent.entry(key).or_insert(0);
        if *count == 0 {
            *count = 1;
            false
        } else {
            true
        }
    };
    if platform.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    HttpResponse::Ok().json(json!({"accepted": true, "duplicate": duplicate}))
}

async fn spawn_platform() -> Platform {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let certs = dev::generate(
        &dir.path().join("platform-certs"),
        &[],
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap();
    let tls = sealdraw::tls::server_config(&TlsOptions {
        cert: &certs.server_cert(),
        key: &certs.server_key(),
        tls13_only: false,
        client_ca: None,
    })
    .unwrap();
    let state = web::Data::new(PlatformState::default());
    let data = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/send", web::post().to(receive))
    })
    .workers(1)
    .shutdown_timeout(1)
    .bind_rustls_0_23("127.0.0.1:0", tls)
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Platform {
        url: format!("https://localhost:{port}/send"),
        state,
        handle,
        certs,
        _dir: dir,
    }
}

impl Platform {
    fn calls_for(&self, key: &str) -> usize {
        let calls = self.state.calls.lock().unwrap();
        calls.iter().filter(|c| c.key == key).count()
    }

    fn call_count(&self) -> usize {
        self.state.calls.lock().unwrap().len()
    }

    fn sent(&self) -> BTreeMap<String, u32> {
        self.state.sent.lock().unwrap().clone()
    }

    fn bodies(&self) -> Vec<Value> {
        let calls = self.state.calls.lock().unwrap();
        calls
            .iter()
            .map(|c| serde_json::from_slice(&c.body).unwrap())
            .collect()
    }

    fn all_signed(&self) -> bool {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .all(|c| c.signature_ok)
    }

    fn follow(&self, app: &TestApp) {
        *self.state.clock.lock().unwrap() = Some(app.clock.clone());
    }

    /// `[notify]` settings that deliver to this platform, polling every 50 ms.
    fn configure(&self, settings: &mut Settings) {
        settings.notify.gateway = NotifyGateway::Webhook;
        settings.notify.webhook_url = Some(self.url.clone());
        settings.notify.webhook_secret = Some(SECRET.into());
        settings.notify.webhook_ca = Some(self.certs.ca());
        settings.notify.poll_interval_ms = 50;
        settings.notify.timeout_secs = 30;
        settings.notify.lease_secs = 60;
        settings.notify.hotline = HOTLINE.into();
    }
}

async fn spawn_notifying_app(
    platform: &Platform,
    adjust: impl FnOnce(&mut Settings) + 'static,
) -> TestApp {
    let mut notify = Settings::default();
    platform.configure(&mut notify);
    let notify = notify.notify;
    let app = spawn_app_with(TestOptions {
        customise: Box::new(move |settings| {
            settings.notify = notify;
            adjust(settings);
        }),
        ..TestOptions::default()
    })
    .await;
    platform.follow(&app);
    app
}

// ---------------------------------------------------------------------------------------------
// The pool, the outbox and the audit log
// ---------------------------------------------------------------------------------------------

/// Imports `count` known people and returns each with their pool record id.
async fn pool_of(app: &TestApp, count: u32, seed: u32) -> Vec<(Person, String)> {
    let (_, admin) = app
        .account_with_token(&format!("admin.notify{seed}"), Role::Admin)
        .await;
    let known = people(count, seed);
    let response = import(app, &admin, csv(&known), "text/csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut tx = app.state.store.read().await.unwrap();
    let mut experts = Vec::new();
    for person in known {
        let index = app.state.keys.blind_index("id_number", &person.id_number);
        let row = tx.expert_by_id_number_index(&index).await.unwrap().unwrap();
        experts.push((person, row.id));
    }
    tx.rollback().await.unwrap();
    experts
}

fn invitation(expert_id: &str, code: &str) -> NewNotification {
    NewNotification {
        expert_id: expert_id.to_owned(),
        template: "expert-invitation",
        params: TemplateParams::new()
            .with("code", code)
            .with("reply_by", "2026-11-26 10:15")
            .with("report_window", "2026-11-27 08:30-09:00"),
        subject_kind: "invitation",
        subject_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// Enqueues as the draw code will: inside a write transaction that also commits its cause.
async fn enqueue(app: &TestApp, notification: &NewNotification) -> String {
    enqueue_at(app, notification, app.clock.now_millis()).await
}

async fn enqueue_at(app: &TestApp, notification: &NewNotification, now: i64) -> String {
    let mut tx = app.state.store.write().await.unwrap();
    let id = sealdraw::notify::enqueue(&mut tx, &app.state.keys, &app.state.rng, now, notification)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Distinctive, so that finding one in the logs is never a coincidence.
fn code_for(n: usize) -> String {
    format!("C0DE{n:02}XK")
}

async fn outbox_row(app: &TestApp, id: &str) -> OutboxRow {
    let mut tx = app.state.store.read().await.unwrap();
    let row = tx.outbox_row(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    row
}

/// Waits (up to 20 s) until the row satisfies `done`.
async fn wait_for_row(app: &TestApp, id: &str, done: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
    for _ in 0..800 {
        let row = outbox_row(app, id).await;
        if done(&row) {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let row = outbox_row(app, id).await;
    panic!(
        "outbox row {id} did not reach the expected state: state {}, attempts {}, last error {:?}",
        row.state, row.attempts, row.last_error
    );
}

async fn wait_for_calls(platform: &Platform, count: usize) {
    for _ in 0..1200 {
        if platform.call_count() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the platform got {} calls, not {count}",
        platform.call_count()
    );
}

fn entries_of<'a>(entries: &'a [Value], kind: &str, outbox_id: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|e| e["type"] == kind && e["refs"]["outbox"] == outbox_id)
        .collect()
}

/// No phone number or code anywhere in the captured logs or any audit entry.
async fn assert_no_secrets_leaked(app: &TestApp, secrets: &[String]) {
    let logs = captured_logs();
    let audit: Vec<String> = app
        .audit_entries()
        .await
        .iter()
        .map(Value::to_string)
        .collect();
    for secret in secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        assert!(
            !audit.iter().any(|entry| entry.contains(secret.as_str())),
            "a secret is in an audit entry"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_queued_invitation_reaches_the_platform_signed_carrying_the_phone_and_parameters_only() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |_| {}).await;
    let experts = pool_of(&app, 3, 71).await;

    let mut ids = Vec::new();
    for (n, (_, expert_id)) in experts.iter().enumerate() {
        ids.push(enqueue(&app, &invitation(expert_id, &code_for(n))).await);
    }
    for id in &ids {
        let row = wait_for_row(&app, id, |r| r.state == "delivered").await;
        assert_eq!(row.attempts, 1);
        assert!(row.delivered_at.is_some() && row.lease_until.is_none());
    }

    assert_eq!(platform.call_count(), 3);
    assert!(platform.all_signed());
    let bodies = platform.bodies();
    for (n, ((person, expert_id), id)) in experts.iter().zip(&ids).enumerate() {
        let body = bodies.iter().find(|b| b["id"] == id.as_str()).unwrap();
        let fields: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["id", "phone", "template", "params"])
        );
        assert_eq!(body["phone"], person.phone.as_str());
        assert_eq!(body["template"], "expert-invitation");
        assert_eq!(
            body["params"],
            json!({
                "code": code_for(n),
                "reply_by": "2026-11-26 10:15",
                "report_window": "2026-11-27 08:30-09:00",
                "hotline": HOTLINE,
            })
        );
        // No identity but the phone number: no name, ID number, e-mail, employer or record id.
        let text = body.to_string();
        for identity in [
            person.name.as_str(),
            person.id_number.as_str(),
            expert_id.as_str(),
            EMPLOYER,
            "@example.cn",
        ] {
            assert!(!text.contains(identity), "the body names the expert");
        }
        assert_eq!(platform.calls_for(id), 1);
    }
    assert!(platform.sent().values().all(|&count| count == 1));

    let entries = app.audit_entries().await;
    for id in &ids {
        let queued = entries_of(&entries, "notify.queued", id);
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0]["data"]["template"], "expert-invitation");
        assert!(queued[0]["refs"]["invitation"].is_string());
        let delivered = entries_of(&entries, "notify.delivered", id);
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0]["data"]["attempt"], 1);
        assert_eq!(delivered[0]["data"]["gateway"], "webhook");
    }
    // The worker did log its work (so the check below is not vacuous), without the secrets.
    assert!(captured_logs().contains("notification delivered"));
    let mut secrets: Vec<String> = experts.iter().map(|(p, _)| p.phone.clone()).collect();
    secrets.extend((0..experts.len()).map(code_for));
    assert_no_secrets_leaked(&app, &secrets).await;
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn failed_attempts_are_retried_with_exponential_backoff_under_the_same_key() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.backoff_base_ms = 1_000;
        settings.notify.backoff_cap_secs = 3;
    })
    .await;
    let experts = pool_of(&app, 1, 72).await;
    platform.state.fail_next.store(3, Ordering::SeqCst);
    let id = enqueue(&app, &invitation(&experts[0].1, &code_for(0))).await;

    // Attempt n fails with 500 and the next waits base · 2^(n-1), capped at 3 s; the clock
    // only moves when the test moves it, so nothing is retried early.
    for (attempt, wait_ms) in [(1, 1_000), (2, 2_000), (3, 3_000)] {
        let row = wait_for_row(&app, &id, |r| {
            r.attempts == attempt && r.lease_until.is_none() && r.last_error.is_some()
        })
        .await;
        assert_eq!(row.state, "pending");
        assert_eq!(row.last_error.as_deref(), Some("status 500"));
        assert_eq!(row.next_attempt_at, app.clock.now_millis() + wait_ms);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(platform.calls_for(&id), attempt as usize, "retried early");
        app.clock.advance(Duration::from_millis(wait_ms as u64));
    }
    let row = wait_for_row(&app, &id, |r| r.state == "delivered").await;
    assert_eq!(row.attempts, 4);
    assert_eq!(platform.calls_for(&id), 4);
    assert_eq!(platform.sent()[&id], 1);
    assert!(platform.all_signed());

    let entries = app.audit_entries().await;
    let failed = entries_of(&entries, "notify.attempt_failed", &id);
    assert_eq!(failed.len(), 3);
    for (n, entry) in failed.iter().enumerate() {
        assert_eq!(entry["data"]["attempt"], n + 1);
        assert_eq!(entry["data"]["reason"], "status 500");
        assert!(entry["data"]["next_attempt_at"].is_string());
    }
    assert_eq!(
        entries_of(&entries, "notify.delivered", &id)[0]["data"]["attempt"],
        4
    );
    assert_no_secrets_leaked(&app, &[experts[0].0.phone.clone(), code_for(0)]).await;
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn a_refusal_by_the_platform_is_permanent_and_ends_failed_with_an_audit_entry() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |_| {}).await;
    let experts = pool_of(&app, 1, 73).await;
    platform.state.refuse.store(true, Ordering::SeqCst);
    let id = enqueue(&app, &invitation(&experts[0].1, &code_for(0))).await;

    let row = wait_for_row(&app, &id, |r| r.state == "failed").await;
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error.as_deref(), Some("refused with status 400"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        platform.calls_for(&id),
        1,
        "a permanent refusal is not retried"
    );
    assert!(platform.sent().is_empty());

    let entries = app.audit_entries().await;
    let failed = entries_of(&entries, "notify.failed", &id);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["data"]["reason"], "refused with status 400");
    assert_eq!(failed[0]["data"]["attempt"], 1);
    assert!(entries_of(&entries, "notify.delivered", &id).is_empty());
    assert_no_secrets_leaked(&app, &[experts[0].0.phone.clone(), code_for(0)]).await;
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn a_notification_that_keeps_failing_is_given_up_after_max_attempts() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.max_attempts = 2;
    })
    .await;
    let experts = pool_of(&app, 1, 74).await;
    platform.state.fail_next.store(u32::MAX, Ordering::SeqCst);
    let id = enqueue(&app, &invitation(&experts[0].1, &code_for(0))).await;

    wait_for_row(&app, &id, |r| r.attempts == 1 && r.lease_until.is_none()).await;
    app.clock.advance(Duration::from_secs(1));
    let row = wait_for_row(&app, &id, |r| r.state == "failed").await;
    assert_eq!(row.attempts, 2);
    let entries = app.audit_entries().await;
    assert_eq!(entries_of(&entries, "notify.attempt_failed", &id).len(), 1);
    let failed = entries_of(&entries, "notify.failed", &id);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["data"]["attempt"], 2);
    assert_eq!(failed[0]["data"]["reason"], "status 500");
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn concurrent_workers_never_send_the_same_notification_twice() {
    let platform = spawn_platform().await;
    // The server's own worker stays idle; the test runs four rounds at once instead.
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.poll_interval_ms = 3_600_000;
    })
    .await;
    let experts = pool_of(&app, 4, 75).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let expert_id = &experts[n % experts.len()].1;
        ids.push(enqueue(&app, &invitation(expert_id, &code_for(n))).await);
    }
    let rounds: Vec<_> = (0..4)
        .map(|_| {
            let notify = app.state.notify.clone();
            tokio::spawn(async move { notify.deliver_due().await.unwrap() })
        })
        .collect();
    let mut delivered = 0;
    for round in rounds {
        let round = round.await.unwrap();
        assert_eq!(round.lost, 0);
        delivered += round.delivered;
    }
    assert_eq!(delivered, 20);
    assert_eq!(platform.call_count(), 20, "a notification was sent twice");
    for id in &ids {
        assert_eq!(platform.calls_for(id), 1);
        assert_eq!(outbox_row(&app, id).await.state, "delivered");
    }
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn the_log_gateway_appends_one_line_per_message_with_the_phone_masked() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| {
            settings.notify.poll_interval_ms = 50;
            settings.notify.hotline = HOTLINE.into();
        }),
        ..TestOptions::default()
    })
    .await;
    let experts = pool_of(&app, 2, 76).await;
    let mut ids = Vec::new();
    for (n, (_, expert_id)) in experts.iter().enumerate() {
        ids.push(enqueue(&app, &invitation(expert_id, &code_for(n))).await);
    }
    for id in &ids {
        wait_for_row(&app, id, |r| r.state == "delivered").await;
    }

    let path = app.dir.path().join("notifications.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for (n, ((person, _), id)) in experts.iter().zip(&ids).enumerate() {
        let line = lines.iter().find(|l| l["id"] == id.as_str()).unwrap();
        let last_four = &person.phone[person.phone.len() - 4..];
        assert_eq!(line["phone"], format!("*******{last_four}"));
        assert!(!text.contains(&person.phone));
        assert_eq!(line["params"]["code"], code_for(n).as_str());
        assert_eq!(line["params"]["hotline"], HOTLINE);
        assert_eq!(line["template"], "expert-invitation");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let entries = app.audit_entries().await;
    assert_eq!(
        entries_of(&entries, "notify.delivered", &ids[0])[0]["data"]["gateway"],
        "log"
    );
    let mut secrets: Vec<String> = experts.iter().map(|(p, _)| p.phone.clone()).collect();
    secrets.extend((0..experts.len()).map(code_for));
    assert_no_secrets_leaked(&app, &secrets).await;
}

#[tokio::test]
async fn enqueue_refuses_unknown_recipients_and_malformed_parameters_without_writing() {
    let app = spawn_app().await;
    let experts = pool_of(&app, 1, 77).await;
    let mut tx = app.state.store.write().await.unwrap();
    let now = app.clock.now_millis();
    let (keys, rng) = (&app.state.keys, &app.state.rng);

    let unknown = invitation(&uuid::Uuid::now_v7().to_string(), "123456");
    let error = sealdraw::notify::enqueue(&mut tx, keys, rng, now, &unknown)
        .await
        .unwrap_err();
    assert!(matches!(error, NotifyError::Invalid(_)), "{error}");

    let mut bad = invitation(&experts[0].1, "654321");
    bad.params.insert("code", "654321\nsecond line");
    let error = sealdraw::notify::enqueue(&mut tx, keys, rng, now, &bad)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("code"), "{error}");
    assert!(
        !error.contains("654321"),
        "the error shows a parameter value"
    );

    let mut bad = invitation(&experts[0].1, "654321");
    bad.subject_kind = "outbox";
    assert!(
        sealdraw::notify::enqueue(&mut tx, keys, rng, now, &bad)
            .await
            .is_err()
    );
    tx.rollback().await.unwrap();
    assert!(
        app.audit_entries()
            .await
            .iter()
            .all(|e| e["type"] != "notify.queued")
    );
}

#[tokio::test]
async fn a_master_key_rotation_reseals_pending_notifications_which_still_deliver() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.poll_interval_ms = 3_600_000;
    })
    .await;
    let experts = pool_of(&app, 1, 81).await;
    let id = enqueue(&app, &invitation(&experts[0].1, &code_for(0))).await;
    let before = sealed_key_ids(&app).await;

    let output = run_cli(&app, &["keys", "rotate"], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    let after = sealed_key_ids(&app).await;
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|key| !before.contains(key)),
        "an outbox value remains under the old key"
    );

    let round = app.state.notify.deliver_due().await.unwrap();
    assert_eq!(round.delivered, 1);
    assert_eq!(outbox_row(&app, &id).await.state, "delivered");
    let body = &platform.bodies()[0];
    assert_eq!(body["phone"], experts[0].0.phone.as_str());
    assert_eq!(body["params"]["code"], code_for(0).as_str());
    platform.handle.stop(false).await;
}

/// The key ids the outbox's sealed values name.
async fn sealed_key_ids(app: &TestApp) -> Vec<String> {
    let sql = "SELECT sealed_recipient FROM outbox UNION ALL SELECT sealed_params FROM outbox";
    let blobs: Vec<Vec<u8>> = match &app.state.store {
        Store::Sqlite(pool, ..) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        Store::Postgres(pool, ..) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    };
    blobs
        .iter()
        .map(|blob| {
            sealdraw::crypto::seal::SealedParts::parse(blob)
                .unwrap()
                .key_id
                .to_owned()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Restarts and crashes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_crash_between_writing_and_delivering_ends_with_one_delivery_after_restart() {
    let platform = spawn_platform().await;
    // The worker makes one round at start, then sleeps for an hour: rows written after that
    // stay pending, as they would when the process dies right after the commit.
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.poll_interval_ms = 3_600_000;
    })
    .await;
    let experts = pool_of(&app, 2, 78).await;
    let mut ids = Vec::new();
    for (n, (_, expert_id)) in experts.iter().enumerate() {
        ids.push(enqueue(&app, &invitation(expert_id, &code_for(n))).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(platform.call_count(), 0);

    let app = app
        .restart(|settings| settings.notify.poll_interval_ms = 50)
        .await;
    for id in &ids {
        let row = wait_for_row(&app, id, |r| r.state == "delivered").await;
        assert_eq!(row.attempts, 1);
        assert_eq!(platform.calls_for(id), 1);
        assert_eq!(platform.sent()[id], 1);
    }
    assert_eq!(platform.call_count(), 2);
    assert!(platform.all_signed());
    platform.handle.stop(false).await;
}

#[tokio::test]
async fn a_crash_during_delivery_ends_with_one_delivery_after_the_lease_expires() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |_| {}).await;
    let experts = pool_of(&app, 1, 79).await;
    // The platform sends the message but the answer never comes: the server stops (its worker
    // is dropped mid-request) before it can record the delivery.
    platform.state.hang.store(true, Ordering::SeqCst);
    let id = enqueue(&app, &invitation(&experts[0].1, &code_for(0))).await;
    wait_for_calls(&platform, 1).await;
    let row = outbox_row(&app, &id).await;
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 1));
    assert!(row.lease_until.is_some());
    platform.state.hang.store(false, Ordering::SeqCst);

    let app = app.restart(|_| {}).await;
    // The claim is still held: nobody sends until it expires.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(platform.calls_for(&id), 1);
    app.clock.advance(Duration::from_secs(61));
    let row = wait_for_row(&app, &id, |r| r.state == "delivered").await;
    assert_eq!(row.attempts, 2);
    assert_eq!(platform.calls_for(&id), 2, "sent again with the same key");
    assert_eq!(platform.sent()[&id], 1, "but delivered to the phone once");
    assert!(platform.all_signed());

    let entries = app.audit_entries().await;
    let interrupted = entries_of(&entries, "notify.attempt_interrupted", &id);
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0]["data"]["attempt"], 1);
    assert_eq!(
        entries_of(&entries, "notify.delivered", &id)[0]["data"]["attempt"],
        2
    );
    assert_no_secrets_leaked(&app, &[experts[0].0.phone.clone(), code_for(0)]).await;
    platform.handle.stop(false).await;
}

/// `sealdraw serve` as a separate process on the app's database and key file, delivering to
/// `platform`, its output in `log`.
fn spawn_server_process(app: &TestApp, platform: &Platform, log: &Path) -> std::process::Child {
    use std::process::Stdio;
    let output = std::fs::File::create(log).unwrap();
    app.sealdraw_command()
        .arg("serve")
        .env("SEALDRAW__SERVER__ADDRESS", "127.0.0.1:0")
        .env("SEALDRAW__SERVER__WORKERS", "1")
        .env("SEALDRAW__TELEMETRY__METRICS_ADDRESS", "")
        .env("SEALDRAW__TELEMETRY__LOG_FILTER", "debug,sqlx=warn")
        .env("SEALDRAW__NOTIFY__GATEWAY", "webhook")
        .env("SEALDRAW__NOTIFY__WEBHOOK_URL", &platform.url)
        .env("SEALDRAW__NOTIFY__WEBHOOK_SECRET", SECRET)
        .env("SEALDRAW__NOTIFY__WEBHOOK_CA", platform.certs.ca())
        .env("SEALDRAW__NOTIFY__POLL_INTERVAL_MS", "50")
        .env("SEALDRAW__NOTIFY__TIMEOUT_SECS", "30")
        .env("SEALDRAW__NOTIFY__LEASE_SECS", "60")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn kill_9_of_a_serving_process_during_delivery_ends_with_one_delivery() {
    let platform = spawn_platform().await;
    let app = spawn_notifying_app(&platform, |settings| {
        settings.notify.poll_interval_ms = 3_600_000;
    })
    .await;
    let experts = pool_of(&app, 1, 80).await;
    // Written on the system clock, which the process below runs on (logging in moved the
    // test's clock ahead of it).
    let written_at = chrono::Utc::now().timestamp_millis();
    let id = enqueue_at(&app, &invitation(&experts[0].1, &code_for(0)), written_at).await;
    app.stop().await;

    // A real server process claims the row and sends; the platform sends the message and
    // holds the answer; the process is killed with SIGKILL before it hears back.
    platform.state.hang.store(true, Ordering::SeqCst);
    let log = app.dir.path().join("serve.log");
    let mut child = spawn_server_process(&app, &platform, &log);
    wait_for_calls(&platform, 1).await;
    child.kill().unwrap();
    child.wait().unwrap();
    platform.state.hang.store(false, Ordering::SeqCst);
    assert_eq!(
        outbox_row_after_kill(&app, &id).await,
        ("pending".into(), 1)
    );

    // The restarted server waits for the dead process's claim to expire (it was taken on the
    // system clock, which the test clock started from), then sends again with the same key.
    let app = app
        .restart(|settings| settings.notify.poll_interval_ms = 50)
        .await;
    app.clock.advance(Duration::from_secs(180));
    let row = wait_for_row(&app, &id, |r| r.state == "delivered").await;
    assert_eq!(row.attempts, 2);
    assert_eq!(platform.calls_for(&id), 2);
    assert_eq!(platform.sent()[&id], 1, "exactly one accepted delivery");
    assert!(platform.all_signed());
    let entries = app.audit_entries().await;
    assert_eq!(
        entries_of(&entries, "notify.attempt_interrupted", &id).len(),
        1
    );

    let served = std::fs::read_to_string(&log).unwrap();
    assert!(
        served.contains("listening"),
        "the process did not start:\n{served}"
    );
    assert!(
        !served.contains(&experts[0].0.phone),
        "the phone is in the process's log"
    );
    assert!(
        !served.contains(&code_for(0)),
        "the code is in the process's log"
    );
    assert_no_secrets_leaked(&app, &[experts[0].0.phone.clone(), code_for(0)]).await;
    platform.handle.stop(false).await;
}

/// The row's state and attempts, read straight from the database (the app is stopped).
async fn outbox_row_after_kill(app: &TestApp, id: &str) -> (String, i32) {
    let store = Store::connect(
        &app.database_url,
        &sealdraw::store::ConnectOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        },
        suite(),
    )
    .await
    .unwrap();
    let mut tx = store.read().await.unwrap();
    let row = tx.outbox_row(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    store.close().await;
    (row.state, row.attempts)
}
