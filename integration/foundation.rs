//! The hardened HTTPS service: TLS, accounts, tokens, errors, headers, readiness.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::{Role, totp};
use sealdraw::clock::Clock;

#[tokio::test]
async fn health_is_served_over_tls_with_security_headers() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn an_operator_logs_in_and_sees_their_account() {
    let app = spawn_app().await;
    let (_, token) = app.account_with_token("center.wuhan", Role::Center).await;
    let me = app.me(&token).await;
    assert_eq!(me["username"], "center.wuhan");
    assert_eq!(me["role"], "center");
    assert_eq!(me["region_code"], "420100");
    assert!(
        !captured_logs().contains(&token),
        "a bearer token reached the logs"
    );
}

#[tokio::test]
async fn unknown_fields_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let response = app
        .post_login(&json!({"username": "someone", "password": "x", "admin": true}))
        .await;
    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["field"], "admin");
}

#[tokio::test]
async fn a_request_refused_before_its_body_is_read_does_not_break_the_next_one() {
    let app = spawn_app().await;
    // Large enough to arrive in several reads, within the body limit.
    let body = json!({"username": "new.user", "role": "expert", "password": "x".repeat(100_000)});
    for _ in 0..20 {
        // Refused for the missing token before the body is read.
        let response = app.post("/api/v1/accounts", None, &body).await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
        let response = app.request(Method::GET, "/healthz", None).send().await;
        assert_eq!(
            response
                .expect("the next request on the client failed")
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_request_past_the_configured_deadline_is_answered_503_and_writes_nothing() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| settings.server.request_timeout_secs = 1),
        ..TestOptions::default()
    })
    .await;
    let (_, admin) = app.account_with_token("admin.deadline", Role::Admin).await;
    // Holding the log's writer order keeps any request that appends an entry waiting, on
    // either backend, until this transaction ends.
    let mut writer = app.state.store.write().await.unwrap();
    sealdraw::audit::hold(&mut writer).await.unwrap();
    let body = json!({"username": "late.user", "role": "expert", "password": PASSWORD});
    let response = tokio::time::timeout(
        Duration::from_secs(20),
        app.post("/api/v1/accounts", Some(&admin), &body),
    )
    .await
    .expect("the configured one-second deadline did not cut the request short");
    writer.rollback().await.unwrap();
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:timeout");
    assert_eq!(problem["detail"], "the request did not complete within 1 s");
    let accounts: Value = app.get_json("/api/v1/accounts", Some(&admin)).await;
    assert!(
        !accounts.to_string().contains("late.user"),
        "the request cut short left its account behind: {accounts}"
    );
}

#[tokio::test]
async fn security_headers_are_on_successes_and_on_every_kind_of_error() {
    let app = spawn_app().await;
    let (_, expert) = app.account_with_token("expert.hdr", Role::Expert).await;
    let oversize = "x".repeat(app.settings.server.max_body_bytes + 1);
    let login = "/api/v1/auth/login";
    let requests = [
        (app.request(Method::GET, "/healthz", None), StatusCode::OK),
        (
            app.request(Method::GET, "/api/v1/me", Some(&expert)),
            StatusCode::OK,
        ),
        (
            app.request(Method::POST, login, None)
                .header("content-type", "application/json")
                .body("{"),
            StatusCode::BAD_REQUEST,
        ),
        (
            app.request(Method::GET, "/api/v1/me", None),
            StatusCode::UNAUTHORIZED,
        ),
        (
            app.request(Method::GET, "/api/v1/accounts", Some(&expert)),
            StatusCode::FORBIDDEN,
        ),
        (
            app.request(Method::GET, "/no/such/thing", None),
            StatusCode::NOT_FOUND,
        ),
        (
            app.request(Method::POST, login, None)
                .header("content-type", "application/json")
                .body(oversize),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            app.request(Method::POST, login, None)
                .header("content-type", "text/plain")
                .body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (request, status) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_security_headers(&response);
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert!(response.headers().contains_key("x-request-id"));
        if !status.is_success() {
            assert_problem(response, status).await;
        }
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_get_a_404_problem() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.404", Role::Admin).await;
    for (method, path) in [
        (Method::POST, "/"),
        (Method::GET, "/console/missing.js"),
        (Method::GET, "/api/v1/nothing"),
        (Method::GET, "/api/v2/me"),
        (Method::GET, "/metrics"),
        (Method::GET, "/api/v1/accounts/admin.404"),
        (Method::DELETE, "/api/v1/accounts"),
        (Method::PUT, "/api/v1/me"),
        (Method::GET, "/api/v1/auth/login"),
    ] {
        let response = app
            .request(method.clone(), path, Some(&admin))
            .send()
            .await
            .unwrap();
        assert_security_headers(&response);
        let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(
            problem["type"], "urn:sealdraw:problem:not-found",
            "{method} {path}"
        );
    }
}

/// Every operation the API has; the OpenAPI document must list exactly these.
const OPERATIONS: &[(&str, &str)] = &[
    ("put", "/api/v1/accounts/{username}/contact"),
    ("get", "/api/v1/alert-rules"),
    ("post", "/api/v1/alert-rules"),
    ("delete", "/api/v1/alert-rules/{rule_id}"),
    ("post", "/api/v1/signal-runs"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/alerts/{alert_id}"),
    ("post", "/api/v1/alerts/{alert_id}/case"),
    ("post", "/api/v1/cases/{case_id}/notes"),
    ("post", "/api/v1/cases/{case_id}/unseal-request"),
    ("post", "/api/v1/cases/{case_id}/close"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/accounts/directory"),
    ("get", "/api/v1/draws/{draw_id}/ratings"),
    ("post", "/api/v1/draws/{draw_id}/ratings"),
    ("get", "/api/v1/me/ratings"),
    ("post", "/api/v1/me/signing-keys"),
    ("get", "/api/v1/me/signing-keys"),
    ("get", "/api/v1/signing-keys"),
    ("post", "/api/v1/signing-keys/{key_id}/approve"),
    ("post", "/api/v1/signing-keys/{key_id}/revoke"),
    ("get", "/api/v1/archives"),
    ("get", "/api/v1/archives/{id}"),
    ("get", "/api/v1/archives/{id}/named-report"),
    ("delete", "/api/v1/archives/{package_id}"),
    ("post", "/api/v1/me/ratings/{rating_id}/appeal"),
    ("get", "/api/v1/rating-appeals"),
    ("post", "/api/v1/rating-appeals/{appeal_id}/decision"),
    ("get", "/api/v1/me/credit-file"),
    ("get", "/api/v1/experts/{expert_id}/credit-file"),
    ("post", "/api/v1/me/credit-repairs"),
    ("get", "/api/v1/credit-repairs"),
    ("post", "/api/v1/credit-repairs/{repair_id}/grant"),
    ("post", "/api/v1/credit-repairs/{repair_id}/refuse"),
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts"),
    ("post", "/api/v1/accounts/{username}/disable"),
    ("post", "/api/v1/accounts/{username}/enable"),
    ("post", "/api/v1/accounts/{username}/revoke-tokens"),
    ("put", "/api/v1/accounts/{username}/scope"),
    ("post", "/api/v1/accounts/{username}/activation"),
    ("patch", "/api/v1/accounts/{username}"),
    ("get", "/api/v1/industries"),
    ("get", "/api/v1/audit/checkpoint"),
    ("post", "/api/v1/audit/checkpoint"),
    ("get", "/api/v1/audit/key"),
    ("get", "/api/v1/audit/entries/{index}"),
    ("get", "/api/v1/audit/proof/{index}"),
    ("get", "/api/v1/audit/consistency"),
    ("get", "/api/v1/audit/{path}"),
    ("post", "/api/v1/experts/import"),
    ("get", "/api/v1/experts"),
    ("get", "/api/v1/experts/{expert_id}"),
    ("get", "/api/v1/pool/statistics"),
    ("get", "/api/v1/specialties"),
    ("get", "/api/v1/regions"),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/unseal-requests"),
    ("get", "/api/v1/unseal-requests"),
    ("post", "/api/v1/unseal-requests/{request_id}/approve"),
    ("post", "/api/v1/unseal-requests/{request_id}/refuse"),
    ("get", "/api/v1/unseal-requests/{request_id}/fields"),
    ("post", "/api/v1/experts/{expert_id}/login"),
    ("post", "/api/v1/experts/{expert_id}/status"),
    ("post", "/api/v1/auth/activate"),
    ("get", "/api/v1/me/expert"),
    ("patch", "/api/v1/me/expert"),
    ("post", "/api/v1/me/expert/change-requests"),
    (
        "post",
        "/api/v1/me/expert/change-requests/{request_id}/withdraw",
    ),
    ("get", "/api/v1/change-requests"),
    ("get", "/api/v1/change-requests/{request_id}"),
    ("post", "/api/v1/change-requests/{request_id}/approve"),
    ("post", "/api/v1/change-requests/{request_id}/refuse"),
    ("post", "/api/v1/applications"),
    ("get", "/api/v1/applications"),
    ("get", "/api/v1/applications/{application_id}"),
    ("post", "/api/v1/applications/{application_id}/supplement"),
    ("post", "/api/v1/applications/{application_id}/withdraw"),
    ("post", "/api/v1/applications/{application_id}/open"),
    ("post", "/api/v1/applications/{application_id}/approve"),
    ("post", "/api/v1/applications/{application_id}/request-more"),
    ("post", "/api/v1/applications/{application_id}/refuse"),
    ("post", "/api/v1/recruiting-calls"),
    ("get", "/api/v1/recruiting-calls"),
    ("post", "/api/v1/recruiting-calls/{call_id}/close"),
    ("post", "/api/v1/me/expert/renewal"),
    ("get", "/api/v1/renewals"),
    ("post", "/api/v1/renewals/{renewal_id}/approve"),
    ("post", "/api/v1/renewals/{renewal_id}/refuse"),
    ("post", "/api/v1/experts/{expert_id}/penalties"),
    ("post", "/api/v1/experts/{expert_id}/training"),
    ("get", "/api/v1/experts/{expert_id}/training"),
    (
        "post",
        "/api/v1/experts/{expert_id}/training/{record_id}/void",
    ),
    ("get", "/api/v1/me/training"),
    ("post", "/api/v1/assessments/{year}/compute"),
    ("get", "/api/v1/assessments/{year}"),
    (
        "post",
        "/api/v1/assessments/{year}/experts/{expert_id}/tier",
    ),
    ("post", "/api/v1/assessments/{year}/confirm"),
    ("post", "/api/v1/draws"),
    ("get", "/api/v1/draws"),
    ("get", "/api/v1/draws/{draw_id}"),
    ("post", "/api/v1/draws/{draw_id}/entropy"),
    ("post", "/api/v1/draws/{draw_id}/replacements"),
    ("get", "/api/v1/draws/{draw_id}/record"),
    ("post", "/api/v1/draws/{draw_id}/recheck"),
    ("get", "/api/v1/reports/draw-frequency"),
    ("get", "/api/v1/me/invitations"),
    ("post", "/api/v1/invitations/{invitation_id}/answer"),
    ("post", "/api/v1/gateway/answers"),
    ("post", "/api/v1/draws/{draw_id}/publication"),
    ("post", "/api/v1/draws/{draw_id}/publication/approve"),
    ("get", "/api/v1/publications"),
    ("get", "/api/v1/draws/{draw_id}/committee"),
    ("post", "/api/v1/sessions"),
    ("get", "/api/v1/sessions"),
    ("get", "/api/v1/sessions/{session_id}"),
    ("post", "/api/v1/sessions/{session_id}/entropy"),
    ("post", "/api/v1/sessions/{session_id}/ticket"),
    ("get", "/api/v1/sessions/{session_id}/report"),
    ("post", "/api/v1/sessions/{session_id}/ratings"),
    ("post", "/api/v1/sessions/{session_id}/representatives"),
    ("get", "/api/v1/fees/standards"),
    ("post", "/api/v1/sessions/{session_id}/settlements"),
    ("get", "/api/v1/sessions/{session_id}/settlements"),
    ("post", "/api/v1/sessions/{session_id}/settlements/approve"),
    ("get", "/api/v1/sessions/{session_id}/settlements.csv"),
    ("post", "/api/v1/settlements/{settlement_id}/travel"),
    ("get", "/api/v1/me/fees"),
    ("post", "/api/v1/draws/{draw_id}/interruptions"),
    ("get", "/api/v1/draws/{draw_id}/interruptions"),
    ("get", "/api/v1/interruptions"),
    ("get", "/api/v1/reports/remote-share"),
    ("get", "/api/v1/reports/remote-share/projects"),
    ("get", "/api/v1/reports/supply"),
    ("post", "/api/v1/interruptions/{interruption_id}/decision"),
    ("get", "/api/v1/sessions/{session_id}/ws"),
    ("get", "/api/v1/venues"),
    ("post", "/api/v1/venues"),
    ("get", "/api/v1/venues/{venue_id}"),
    ("patch", "/api/v1/venues/{venue_id}"),
    ("get", "/api/v1/venue-requests"),
    ("post", "/api/v1/venue-requests/{request_id}/accept"),
    ("post", "/api/v1/venue-requests/{request_id}/refuse"),
];

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_live_operations() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let document: Value = response.json().await.unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let listed: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(listed, expected);
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    for (method, path) in OPERATIONS {
        let path = path
            .replace("{username}", "someone")
            .replace("{index}", "0")
            .replace("{expert_id}", "someone")
            .replace("{request_id}", "someone")
            .replace("{draw_id}", "someone")
            .replace("{invitation_id}", "someone")
            .replace("{session_id}", "someone")
            .replace("{venue_id}", "someone")
            .replace("{rating_id}", "someone")
            .replace("{appeal_id}", "someone")
            .replace("{path}", "tile/0/000");
        let response = app
            .request(method.to_uppercase().parse().unwrap(), &path, None)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status != StatusCode::NOT_FOUND && !status.is_server_error(),
            "{method} {path} answered {status}"
        );
    }
}

#[tokio::test]
async fn readiness_follows_the_store_down_and_back_up() {
    let app = spawn_app().await;
    let account = app.create_account("expert.ready", Role::Expert).await;
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ready");

    let outage = app.break_store().await;
    // Past the second for which an instance reuses its last readiness answer.
    app.clock.advance(Duration::from_secs(1));
    let response = app.get("/readyz", None).await;
    assert_security_headers(&response);
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:unavailable");
    // Liveness does not depend on the store.
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);

    outage.end().await;
    app.clock.advance(Duration::from_secs(1));
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    // And the store really serves again: a login writes a token.
    let token = app.login(&account).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );
}

/// The value of one Prometheus sample line, or 0 if absent.
fn sample(metrics: &str, prefix: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with(prefix) && labels.iter().all(|l| line.contains(l)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_are_served_on_loopback_only_and_not_on_the_tls_port() {
    let app = spawn_app().await;
    let metrics_address = app.metrics_address.expect("metrics are enabled");
    assert!(metrics_address.ip().is_loopback());
    let plain = reqwest::Client::new();
    let scrape = async || {
        let response = plain
            .get(format!("http://{metrics_address}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    let labels = [r#"route="/healthz""#, r#"status="200""#];
    let before = sample(&scrape().await, "http_requests_total{", &labels);
    for _ in 0..3 {
        assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    }
    let after = sample(&scrape().await, "http_requests_total{", &labels);
    assert!(after >= before + 3.0, "{before} -> {after}");

    let response = app.get("/metrics", None).await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight_then_refuses_connections() {
    let app = spawn_app().await;
    app.create_account("expert.late", Role::Expert).await;
    // A login whose body is half sent when the server is told to stop.
    let body = json!({"username": "expert.late", "password": PASSWORD}).to_string();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    let (first, rest) = (format!("{head}{first}"), rest.as_bytes().to_vec());
    let mut in_flight = app.raw_tls_connection().await;
    in_flight = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        in_flight.write_all(first.as_bytes()).unwrap();
        in_flight.flush().unwrap();
        in_flight
    })
    .await
    .unwrap();

    let stopped = tokio::spawn(app.handle.stop(true));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still accepting connections"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !stopped.is_finished(),
        "stopped before the request in flight finished"
    );

    let reply = send_and_read_until_closed(in_flight, rest).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"token\":\"sdt_"), "{reply}");
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the server did not finish stopping")
        .unwrap();
    let refused = app.request(Method::GET, "/healthz", None).send().await;
    assert!(refused.is_err(), "served after stopping");
}

#[tokio::test]
async fn no_password_token_or_totp_secret_reaches_the_logs() {
    let app = spawn_app().await;
    let admin = app.create_account("admin.logs", Role::Admin).await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let passwords = [
        format!("supervisor passphrase {unique}"),
        format!("expert passphrase {unique}"),
        format!("wrong guess {unique}"),
        format!("unknown user's guess {unique}"),
    ];
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned()];
    secrets.extend(passwords.iter().cloned());
    let mut codes = Vec::new();
    let raw_secret = admin.totp_secret.clone().unwrap();
    secrets.push(totp::base32_secret(&raw_secret).to_string());
    secrets.push(hex::encode(&raw_secret));

    let code = app.fresh_totp(&admin).unwrap();
    codes.push(code.clone());
    let response = app.attempt_login("admin.logs", PASSWORD, Some(&code)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let admin_token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.push(admin_token.clone());

    // The admin creates a supervisor and an expert through the API.
    let mut supervisor_secret = String::new();
    for (username, role, password) in [
        ("supervisor.logs", "supervisor", &passwords[0]),
        ("expert.logs", "expert", &passwords[1]),
    ] {
        let body = json!({"username": username, "role": role, "password": password});
        let response = app
            .post("/api/v1/accounts", Some(&admin_token), &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        if let Some(secret) = created["totp_secret"].as_str() {
            supervisor_secret = secret.to_owned();
            secrets.push(secret.to_owned());
        }
    }
    let supervisor_raw = totp_rs::Secret::Encoded(supervisor_secret)
        .to_bytes()
        .unwrap();
    secrets.push(hex::encode(&supervisor_raw));

    // Logins that succeed, and ones that fail in every way.
    app.clock.advance(Duration::from_secs(31));
    let code = totp::current_code(&supervisor_raw, app.clock.now_millis()).unwrap();
    codes.push(code.clone());
    let response = app
        .attempt_login("supervisor.logs", &passwords[0], Some(&code))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let supervisor_token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app.attempt_login("expert.logs", &passwords[1], None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let expert_token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.extend([supervisor_token.clone(), expert_token.clone()]);

    let supervisor = TestAccount {
        username: "supervisor.logs".into(),
        role: Role::Supervisor,
        totp_secret: Some(supervisor_raw.clone()),
    };
    let wrong_code = app.wrong_totp(&supervisor);
    codes.push(wrong_code.clone());
    for (username, password, code) in [
        ("expert.logs", passwords[2].as_str(), None),
        ("nobody.logs", passwords[3].as_str(), None),
        (
            "supervisor.logs",
            passwords[0].as_str(),
            Some(wrong_code.as_str()),
        ),
    ] {
        let response = app.attempt_login(username, password, code).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    for token in [&admin_token, &supervisor_token, &expert_token] {
        assert_eq!(
            app.get("/api/v1/me", Some(token)).await.status(),
            StatusCode::OK
        );
    }
    let response = app
        .post("/api/v1/auth/logout", Some(&expert_token), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let logs = captured_logs();
    // The logs did record these requests, so their silence about secrets means something.
    assert!(logs.contains("\"message\":\"login\""), "no login logged");
    assert!(logs.contains("invalid-credentials"), "no refusal logged");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    for code in &codes {
        for form in [
            format!("\"{code}\""),
            format!("={code}"),
            format!(": {code}"),
        ] {
            assert!(!logs.contains(&form), "a TOTP code reached the logs");
        }
    }
    assert!(
        !logs.contains("$argon2"),
        "a password hash reached the logs"
    );
}

/// The header lines of a raw HTTP/1.1 answer, names lower-cased.
fn raw_head(reply: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(reply);
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers)
}

fn assert_raw_security_headers(status: &str, headers: &[(String, String)]) {
    for (name, value) in sealdraw::web::SECURITY_HEADERS {
        assert!(
            headers.iter().any(|(n, v)| n == name && v == value),
            "{status}: no {name}: {value} in {headers:?}"
        );
    }
}

#[tokio::test]
async fn too_large_header_blocks_and_too_slow_requests_are_answered_with_the_security_headers() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| settings.server.client_header_timeout_secs = 1),
        ..TestOptions::default()
    })
    .await;

    let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..200 {
        request.push_str(&format!("X-Filler-{i}: {}\r\n", "x".repeat(20)));
    }
    request.push_str("\r\n");
    let reply =
        send_and_read_until_closed(app.raw_tls_connection().await, request.into_bytes()).await;
    let (status, headers) = raw_head(&reply);
    assert!(status.starts_with("HTTP/1.1 431"), "{status}");
    assert_raw_security_headers(&status, &headers);

    // A request head that never ends: the server answers when its header timeout passes.
    let partial = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    let reply = send_and_read_until_closed(app.raw_tls_connection().await, partial).await;
    let (status, headers) = raw_head(&reply);
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert_raw_security_headers(&status, &headers);

    // A head that does not parse gets them too.
    let garbage = b"GET /healthz HTTP/1.1\r\nHost localhost\r\n\r\n".to_vec();
    let reply = send_and_read_until_closed(app.raw_tls_connection().await, garbage).await;
    let (status, headers) = raw_head(&reply);
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    assert_raw_security_headers(&status, &headers);
}

/// The query parameters of each operation that has some (all of them GETs).
const QUERY_PARAMETERS: &[(&str, &[&str])] = &[
    ("/api/v1/audit/consistency", &["old", "new"]),
    ("/api/v1/draws", &["limit"]),
    ("/api/v1/archives", &["limit", "before"]),
    ("/api/v1/interruptions", &["state"]),
    ("/api/v1/reports/remote-share", &["year", "month", "format"]),
    ("/api/v1/reports/supply", &["year", "month", "format"]),
    (
        "/api/v1/reports/remote-share/projects",
        &["year", "month", "prefecture", "format"],
    ),
    ("/api/v1/change-requests", &["status", "limit"]),
    ("/api/v1/applications", &["status", "limit"]),
    ("/api/v1/renewals", &["status", "limit"]),
    ("/api/v1/assessments/{year}", &["after", "limit"]),
    ("/api/v1/reports/draw-frequency", &["days"]),
    (
        "/api/v1/experts",
        &["region", "specialty", "after", "limit"],
    ),
    (
        "/api/v1/sessions/{session_id}/ws",
        &["ticket", "after", "lang"],
    ),
    (
        "/api/v1/venues",
        &[
            "region",
            "status",
            "remote_capable",
            "center",
            "free_from",
            "free_until",
        ],
    ),
    ("/api/v1/venue-requests", &["state"]),
    ("/api/v1/accounts/directory", &["role", "draw"]),
];

#[tokio::test]
async fn openapi_path_parameters_are_in_their_path_and_query_parameters_in_the_query() {
    let app = spawn_app().await;
    let document = app.get_json("/openapi.json", None).await;
    for (path, item) in document["paths"].as_object().unwrap() {
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let located = |place: &str| -> BTreeSet<String> {
                parameters
                    .iter()
                    .filter(|p| p["in"] == place)
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect()
            };
            let in_path = located("path");
            let template: BTreeSet<String> = template.iter().map(|s| s.to_string()).collect();
            assert_eq!(in_path, template, "{method} {path}: path parameters");
            let expected: BTreeSet<String> = QUERY_PARAMETERS
                .iter()
                .filter(|(p, _)| p == path && method == "get")
                .flat_map(|(_, names)| names.iter().map(|n| n.to_string()))
                .collect();
            assert_eq!(
                located("query"),
                expected,
                "{method} {path}: query parameters"
            );
        }
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_whatever_its_case() {
    let app = spawn_app().await;
    let (_, token) = app.account_with_token("expert.case", Role::Expert).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        for separator in [" ", "   "] {
            let response = app
                .request(Method::GET, "/api/v1/me", None)
                .header("authorization", format!("{scheme}{separator}{token}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{scheme:?}{separator:?}");
        }
    }
    for refused in [
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "Bearer ".into(),
    ] {
        let response = app
            .request(Method::GET, "/api/v1/me", None)
            .header("authorization", refused.as_str())
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn head_answers_like_get_on_every_path_without_a_body() {
    let app = spawn_app().await;
    let (_, token) = app
        .account_with_token("supervisor.head", Role::Supervisor)
        .await;
    let no_redirects = client_builder(&app.certs, None)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut paths: Vec<String> = OPERATIONS
        .iter()
        .filter(|(method, _)| *method == "get")
        .map(|(_, path)| {
            path.replace("{index}", "0")
                .replace("{path}", "tile/0/000")
                .replace(['{', '}'], "")
        })
        .collect();
    paths.extend(
        [
            "/",
            "/console",
            "/console/",
            "/console/app.js",
            "/openapi.json",
            "/no/such/thing",
        ]
        .map(String::from),
    );
    for path in &paths {
        for bearer in [None, Some(token.as_str())] {
            let send = async |method: Method| {
                let mut request = no_redirects.request(method, app.url(path));
                if let Some(token) = bearer {
                    request = request.bearer_auth(token);
                }
                request.send().await.unwrap()
            };
            let get = send(Method::GET).await;
            let head = send(Method::HEAD).await;
            let what = format!("HEAD {path} with token: {}", bearer.is_some());
            assert_eq!(head.status(), get.status(), "{what}");
            for (name, value) in get.headers() {
                if !["date", "x-request-id"].contains(&name.as_str()) {
                    assert_eq!(head.headers().get(name), Some(value), "{what}: {name}");
                }
            }
            assert!(
                head.headers().contains_key("x-content-type-options"),
                "{what}"
            );
            assert!(head.bytes().await.unwrap().is_empty(), "{what}: a body");
        }
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_sqlite_files_are_readable_by_the_server_alone() {
    use std::os::unix::fs::PermissionsExt;
    // On either backend: these are the files a SQLite deployment keeps.
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| {
            let data = settings.data_dir.join("fresh").join("data");
            settings.database.url = Some(secrecy::SecretString::from(format!(
                "sqlite://{}",
                data.join("sealdraw.db").display()
            )));
            settings.data_dir = data;
        }),
        ..TestOptions::default()
    })
    .await;
    // A write, so the write-ahead log and its index exist.
    app.create_account("expert.files", Role::Expert).await;
    let data = app.settings.data_dir.clone();
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(data.parent().unwrap()), 0o700, "its new parent");
    for file in ["sealdraw.db", "sealdraw.db-wal", "sealdraw.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    app.stop().await;

    // Files an older version left readable to all are narrowed when the store opens them.
    for file in ["sealdraw.db", "sealdraw.db-wal", "sealdraw.db-shm"] {
        let path = data.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let url = format!("sqlite://{}", data.join("sealdraw.db").display());
    let options = sealdraw::store::ConnectOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_secs(5),
    };
    let store = sealdraw::store::Store::connect(&url, &options, suite())
        .await
        .unwrap();
    store.probe_writes().await.unwrap();
    for file in ["sealdraw.db", "sealdraw.db-wal", "sealdraw.db-shm"] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file} after reopening");
        }
    }
    store.close().await;

    // The key file's directory, when `keys init` makes it.
    let key_dir = app.dir.path().join("new-keys").join("dir");
    sealdraw::crypto::KeyRing::init_file(
        &key_dir.join("keys.json"),
        &sealdraw::crypto::Rng::danger_deterministic(b"modes"),
        "2026-11-25T00:00:00Z",
        suite(),
    )
    .unwrap();
    assert_eq!(mode(&key_dir), 0o700);
    assert_eq!(mode(&key_dir.join("keys.json")), 0o600);
}
