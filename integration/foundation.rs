//! The hardened HTTPS service: TLS, accounts, tokens, errors, headers, readiness.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;

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
    let response = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
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
        let response = app
            .request(reqwest::Method::GET, "/healthz", None)
            .send()
            .await;
        assert_eq!(
            response
                .expect("the next request on the client failed")
                .status(),
            StatusCode::OK
        );
    }
}
