//! The web console, end to end in headless Chromium against the real server (see `browser.rs`).

use sealdraw::auth::Role;

use crate::browser::{Browser, Impostor};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_browser_trusts_only_the_test_server() {
    let app = spawn_app().await;
    let impostor = Impostor::start().await;
    let browser = Browser::start(&app).await;

    browser.open("/healthz").await;
    browser.wait_for_text("body", r#"{"status":"ok"}"#).await;
    assert!(
        browser
            .current_url()
            .await
            .starts_with("https://127.0.0.1:")
    );

    browser.webdriver().goto(&impostor.url).await.unwrap();
    let warning = browser
        .wait_for_text("body", "Your connection is not private")
        .await;
    assert!(
        warning.contains("NET::ERR_CERT_AUTHORITY_INVALID"),
        "{warning}"
    );
    assert_eq!(
        impostor.answered(),
        0,
        "the browser sent the impostor a request"
    );
}

#[tokio::test]
async fn the_harness_logs_in_through_the_console_form() {
    let app = spawn_app().await;
    let admin = app.create_account("console-admin", Role::Admin).await;
    let browser = Browser::start(&app).await;

    browser.open("/console/").await;
    browser.wait_for("#login-form").await;
    browser.screenshot("login").await;
    browser.login(&app, &admin).await;

    assert_eq!(browser.text("#whoami").await, "console-admin");
    browser.wait_for("nav a[data-route]").await;
    browser.screenshot("admin-home").await;
    let errors: Vec<String> = browser
        .console_log()
        .await
        .into_iter()
        .filter(|entry| entry.starts_with("SEVERE"))
        .collect();
    assert!(errors.is_empty(), "the console logged errors: {errors:#?}");
}
