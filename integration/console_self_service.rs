//! The expert's self-service overview ("我的", issue 22 §3) on a 390-pixel-wide phone: their
//! status, the credit timeline with a repair asked from it, a specialties change request, and
//! leave set on the record screen, with nothing scrolling sideways.

use reqwest::StatusCode;
use sealdraw::auth::Role;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::TestAccount;
use crate::invitations::{expert_accounts, past_the_evaluation_window};

async fn set_date(browser: &Browser, css: &str, day: &str) {
    browser.wait_for(css).await;
    browser
        .execute(&format!(
            "const e = document.querySelector('{css}'); e.value = '{day}'; e.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        ))
        .await;
}

async fn document_width(browser: &Browser) -> i64 {
    browser
        .execute("return document.documentElement.scrollWidth;")
        .await
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_expert_on_a_phone_reads_their_credit_file_asks_a_repair_and_changes_specialties_and_leave()
 {
    let fx = DrawFixture::with(&experts(20, "A0101"), |settings| {
        settings.auth.token_idle_minutes = 24 * 60;
        settings.auth.address_attempts_per_minute = 10_000;
        settings.session.credit_minimum_ratings = 1;
        settings.session.credit_repair_wait_days = 0;
    })
    .await;
    let app = &fx.app;
    let accounts = expert_accounts(&fx).await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A01"], "count": 3, "reserves": 1}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&draw_id).await;
    let view = fx.view(&draw_id).await;
    past_the_evaluation_window(&fx, &view).await;
    let seat = tokens(&view, "confirmed")[0].clone();
    let rated = app
        .post(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(&fx.center),
            &json!({"token": seat, "punctuality": 2, "diligence": 2, "discipline": 2}),
        )
        .await;
    assert_eq!(rated.status(), StatusCode::CREATED);
    let mut found = None;
    for login in &accounts {
        let file = app
            .get_json("/api/v1/me/credit-file", Some(&login.token))
            .await;
        if !file["events"].as_array().unwrap().is_empty() {
            found = Some((login, file));
        }
    }
    let (login, file) = found.unwrap();
    let entry = file["events"][0]["entry_id"].as_str().unwrap().to_owned();
    let key = entry.replace(':', "-");

    let browser = Browser::phone(app).await;
    browser
        .login(
            app,
            &TestAccount {
                username: login.username.clone(),
                role: Role::Expert,
                totp_secret: None,
            },
        )
        .await;
    browser.open("/console/#/expert/me").await;
    browser.wait_for_text("#me-status", "").await;
    browser
        .wait_for(&format!("#credit-event-{key}[data-kind=rating]"))
        .await;
    browser.wait_for_text("#credit-file-score", "25").await;
    browser.assert_accessible("expert-me").await;
    assert!(document_width(&browser).await <= 390);

    // A repair asked from the timeline: too short first, refused in the page.
    browser.click(&format!("#credit-event-{key} summary")).await;
    browser
        .fill(&format!("#repair-statement-{key}"), "太短")
        .await;
    browser.click(&format!("#repair-ask-{key}")).await;
    browser
        .wait_for(&format!("#repair-statement-{key}[aria-invalid=true]"))
        .await;
    browser
        .fill(
            &format!("#repair-statement-{key}"),
            "已参加信用修复培训并提交整改报告，承诺今后按时到场",
        )
        .await;
    browser
        .fill(&format!("#repair-evidence-{key}"), "鄂专修〔2026〕3号")
        .await;
    browser.screenshot("expert-me-repair").await;
    browser.click(&format!("#repair-ask-{key}")).await;
    browser
        .wait_for("#credit-repairs [data-status=pending]")
        .await;
    let own = app
        .get_json("/api/v1/me/credit-file", Some(&login.token))
        .await;
    assert_eq!(own["repairs"][0]["item"], entry.as_str());
    assert_eq!(own["repairs"][0]["status"], "pending");

    // A specialties change request: pending until an admin approves it.
    browser.fill("#specialties-codes", "A0101;B0201").await;
    browser.click("#specialties-submit").await;
    browser.wait_for("#specialties-pending").await;
    let record: Value = app.get_json("/api/v1/me/expert", Some(&login.token)).await;
    assert_eq!(
        record["change_requests"][0]["specialties"],
        json!(["A0101", "B0201"])
    );
    assert_eq!(record["specialties"], json!(["A0101"]));
    assert!(document_width(&browser).await <= 390);

    // Leave, on the record screen it links to.
    browser.click("#me-to-record").await;
    browser.click("#leave-add").await;
    set_date(&browser, "#leave-from-0", "2027-01-10").await;
    set_date(&browser, "#leave-to-0", "2027-01-20").await;
    browser.click("#record-save").await;
    browser.wait_for_text("#toast", "已保存").await;
    let record: Value = app.get_json("/api/v1/me/expert", Some(&login.token)).await;
    assert_eq!(
        record["leave"],
        json!([{"from": "2027-01-10", "to": "2027-01-20"}])
    );
    assert!(document_width(&browser).await <= 390);
}
