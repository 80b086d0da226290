//! The web console, end to end in headless Chromium against the real server (see `browser.rs`).

use sealdraw::auth::Role;
use serde_json::{Value, json};

use crate::browser::{Browser, Impostor};
use crate::draws::{DrawFixture, experts};
use crate::helpers::spawn_app;
use crate::invitations::{answer, expert_logins, invited};

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

/// The evaluation start two hours from the server's clock, as a Beijing-time
/// `datetime-local` value (the form's own zone).
fn beijing_start_in_two_hours(app: &crate::helpers::TestApp) -> String {
    let now = sealdraw::clock::Clock::now_millis(&app.clock);
    chrono::DateTime::from_timestamp_millis(now + 10 * 3_600_000)
        .unwrap()
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn account(username: &str, role: Role) -> crate::helpers::TestAccount {
    crate::helpers::TestAccount {
        username: username.to_owned(),
        role,
        totp_secret: None,
    }
}

#[tokio::test]
async fn a_center_requests_a_draw_contributes_randomness_watches_confirmations_and_opens_a_session()
{
    let fx = DrawFixture::with(&experts(18, "A0301"), |settings| {
        settings.auth.address_attempts_per_minute = 10_000;
    })
    .await;
    let logins = expert_logins(&fx).await;
    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;

    // The request: a distributed evaluation of five A03 experts with one reserve, avoiding a
    // bidder; the specialty is found through the tree's filter.
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", "XYGG-2026-0042").await;
    browser
        .fill("#draw-name", "襄阳市东津新区道路工程施工")
        .await;
    browser.select("#draw-mode", "distributed").await;
    let start = beijing_start_in_two_hours(&fx.app);
    browser
        .execute(&format!(
            "document.querySelector('#draw-start').value = '{start}';"
        ))
        .await;
    browser.fill("#stratum-1-count", "5").await;
    browser.fill("#stratum-1-reserves", "1").await;
    // Nothing chosen yet: refused in the browser, nothing sent.
    browser.click("#draw-submit").await;
    browser
        .wait_for_text("[role=alert]", "请至少选择一个专业")
        .await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.click("#add-avoid").await;
    browser.fill("#avoid-1-name", "某某路桥建设有限公司").await;
    browser.fill("#avoid-1-code", "91420100MA4K000020").await;
    browser.click("#draw-submit").await;
    browser
        .wait_for_text("[role=alert]", "统一社会信用代码为 18 位")
        .await;
    browser
        .fill(
            "#avoid-1-code",
            &crate::draws::credit_code("91420100MA4K00002"),
        )
        .await;
    browser.screenshot("center-draw-request").await;
    let draws: Value = fx
        .app
        .get("/api/v1/draws", Some(&fx.center))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        draws.as_array().unwrap().len(),
        0,
        "an invalid form sent a draw"
    );
    browser.click("#draw-submit").await;

    // The intent is logged; the browser contributes its randomness and the draw happens.
    browser.wait_for_text("#draw-status", "等待随机数").await;
    browser.click("#contribute-entropy").await;
    browser.wait_for_text("#draw-status", "已抽取").await;
    let draws: Value = fx
        .app
        .get("/api/v1/draws", Some(&fx.center))
        .await
        .json()
        .await
        .unwrap();
    let draw = &draws[0];
    assert_eq!(draw["tender_reference"], "XYGG-2026-0042");
    assert_eq!(draw["strata"][0]["specialty_prefixes"], json!(["A03"]));
    assert_eq!(draw["contributions"][0]["role"], "center");
    let draw_id = draw["draw_id"].as_str().unwrap().to_owned();
    browser.wait_for_text("#draw-progress", "已确认 0/5").await;
    browser.screenshot("center-draw-drawn").await;

    // Experts accept; the page follows without a reload.
    for (bearer, invitation) in invited(&fx, &logins, "pending").await {
        let response = answer(&fx, &bearer, &invitation, json!({"accept": true})).await;
        assert_eq!(response.status(), 200);
    }
    browser
        .wait_for_text("#draw-progress", "全部席位已确认")
        .await;
    browser.screenshot("center-draw-confirmed").await;

    // The session: bidders and criteria, the fixture's supervisor.
    browser.click("#open-session-form").await;
    browser.fill("#session-supervisors", "supervisor").await;
    browser
        .fill("#session-bidders", "甲建设集团\n乙路桥公司\n丙市政公司")
        .await;
    browser.fill("#criterion-1-name", "技术方案").await;
    browser.fill("#criterion-1-points", "60").await;
    browser.click("#add-criterion").await;
    browser.fill("#criterion-2-name", "报价").await;
    browser.fill("#criterion-2-points", "40").await;
    browser.screenshot("center-session-form").await;
    browser.click("#session-submit").await;
    eventually(
        &browser,
        "the session screen to open",
        "location.hash.startsWith('#/session/room')",
    )
    .await;
    let sessions: Value = fx
        .app
        .get("/api/v1/sessions", Some(&fx.center))
        .await
        .json()
        .await
        .unwrap();
    let session = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["draw_id"] == draw_id.as_str())
        .unwrap_or_else(|| panic!("no session for the draw: {sessions}"));
    let session_id = session["session_id"].as_str().unwrap();
    let shown = browser.current_url().await;
    assert!(
        shown.contains(&format!("session/room?id={session_id}")),
        "{shown}"
    );
    let view: Value = fx
        .app
        .get(&format!("/api/v1/sessions/{session_id}"), Some(&fx.center))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["bidders"],
        json!(["甲建设集团", "乙路桥公司", "丙市政公司"])
    );
    assert_eq!(view["criteria"][1]["max_points"], 40);
    assert_no_console_errors(&browser).await;
}

#[tokio::test]
async fn an_admin_imports_with_line_errors_manages_accounts_and_reads_key_status() {
    let app = spawn_app().await;
    let admin = app.create_account("console-admin", Role::Admin).await;
    let (_, supervisor) = app
        .account_with_token("supervisor.keys", Role::Supervisor)
        .await;
    let browser = Browser::start(&app).await;
    browser.login(&app, &admin).await;

    // A file with a bad row: every problem listed by line, nothing written.
    let directory = tempfile::tempdir().unwrap();
    let bad = directory.path().join("experts.csv");
    let mut csv = crate::draws::pool_csv(&experts(2, "A0301"), 7);
    csv.push_str("张三,110101199001011234,123,,某单位,bad,A0301,420100,2,10,1990,\n");
    std::fs::write(&bad, &csv).unwrap();
    browser.click(r#"nav a[data-route="admin/import"]"#).await;
    browser.fill("#import-file", bad.to_str().unwrap()).await;
    browser.click("#import-submit").await;
    let problems = browser
        .wait_for_text("#import-problems", "employer_credit_code")
        .await;
    // Line 1 is the header; the two good rows (lines 2 and 3) have no problem.
    assert!(
        problems
            .lines()
            .any(|line| line.starts_with("4 employer_credit_code")),
        "{problems}"
    );
    assert!(
        !problems
            .lines()
            .any(|line| line.starts_with("2 ") || line.starts_with("3 ")),
        "{problems}"
    );
    browser.screenshot("admin-import-refused").await;
    let pool: Value = app
        .get("/api/v1/pool/statistics", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pool["total"], 0, "a refused import wrote rows");

    // The good rows alone import.
    let good = directory.path().join("good.csv");
    std::fs::write(&good, crate::draws::pool_csv(&experts(2, "A0301"), 7)).unwrap();
    browser.fill("#import-file", good.to_str().unwrap()).await;
    browser.click("#import-submit").await;
    browser.wait_for_text("#import-result", "新增 2").await;
    browser.screenshot("admin-import-done").await;

    // A supervisor account: its TOTP secret is shown once; then disabled.
    browser.click(r#"nav a[data-route="admin/accounts"]"#).await;
    browser.fill("#account-username", "supervisor.new").await;
    browser.select("#account-role", "supervisor").await;
    browser
        .fill("#account-password", "a long enough password")
        .await;
    browser.click("#account-create").await;
    let created = browser
        .wait_for_text("#account-created", "supervisor.new")
        .await;
    assert!(created.contains("动态验证码密钥"), "{created}");
    browser.click("#disable-supervisor\\.new").await;
    browser.wait_for("#enable-supervisor\\.new").await;
    browser.screenshot("admin-accounts").await;
    let accounts: Value = app
        .get("/api/v1/accounts", Some(&app.login(&admin).await))
        .await
        .json()
        .await
        .unwrap();
    let new = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "supervisor.new")
        .unwrap();
    assert_eq!(new["role"], "supervisor");
    assert_eq!(new["disabled"], true);

    // Key status: the verifier key the server publishes, and no key material.
    browser.click(r#"nav a[data-route="admin/keys"]"#).await;
    let vkey = app
        .get("/api/v1/audit/key", Some(&supervisor))
        .await
        .text()
        .await
        .unwrap();
    let shown = browser.wait_for_text("#key-status", vkey.trim()).await;
    assert!(shown.contains("intl2024"), "{shown}");
    browser.screenshot("admin-keys").await;
    assert_no_console_errors(&browser).await;
}

#[tokio::test]
async fn the_language_switch_and_a_token_ending_mid_work_keep_what_was_typed() {
    let fx = DrawFixture::with(&experts(3, "A0301"), |_| {}).await;
    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", "XYGG-2026-0077").await;

    // English, then back; the choice survives a reload.
    browser.click("#lang-switch").await;
    browser
        .wait_for_text("h1", "Request a draw of evaluation experts")
        .await;
    browser.open("/console/#/center/draws").await;
    browser.wait_for_text("h1", "This center’s draws").await;
    let lang = browser
        .execute("return document.documentElement.lang;")
        .await;
    assert_eq!(lang, "en");
    browser.screenshot("center-draws-english").await;
    browser.click("#lang-switch").await;
    browser.wait_for_text("h1", "本中心的抽取").await;

    // The token is revoked while the form is half filled: the next request asks for the
    // password over the page, and the form is still there afterwards.
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", "XYGG-2026-0078").await;
    browser.fill("#draw-name", "某道路工程").await;
    browser.fill("#draw-venue", "襄阳市公共资源交易中心 2 号评标室").await;
    browser.fill("#spec-1-filter", "A03").await;
    browser.click("#spec-1-A03").await;
    browser.fill("#stratum-1-count", "1").await;
    browser.fill("#stratum-1-reserves", "0").await;
    let start = beijing_start_in_two_hours(&fx.app);
    browser
        .execute(&format!(
            "document.querySelector('#draw-start').value = '{start}';"
        ))
        .await;
    let revoked = fx
        .app
        .post(
            "/api/v1/accounts/center/revoke-tokens",
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert!(revoked.status().is_success(), "{}", revoked.status());
    browser.click("#draw-submit").await;
    browser.wait_for("#relogin").await;
    browser
        .wait_for_text("#relogin [role=alert]", "登录已过期")
        .await;
    browser.screenshot("relogin").await;
    browser
        .fill("#relogin-password", crate::helpers::PASSWORD)
        .await;
    browser.click("#relogin-submit").await;
    eventually(
        &browser,
        "the login dialog to close",
        "!document.getElementById('relogin')",
    )
    .await;
    let kept = browser
        .execute("return document.querySelector('#draw-reference').value;")
        .await;
    assert_eq!(kept, "XYGG-2026-0078");
    assert_eq!(
        browser.execute("return sessionStorage.length;").await,
        1,
        "the new token and nothing else"
    );
    // The same submission now goes through.
    browser.click("#draw-submit").await;
    browser.wait_for_text("#draw-status", "等待随机数").await;
    // (The fixture's own token was revoked with the browser's.)
    let center = fx.app.login(&account("center", Role::Center)).await;
    let draws: Value = fx
        .app
        .get("/api/v1/draws", Some(&center))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(draws[0]["tender_reference"], "XYGG-2026-0078");
}

/// Waits until the page's `condition` (a JavaScript expression) holds.
async fn eventually(browser: &Browser, what: &str, condition: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while browser
        .execute(&format!("return Boolean({condition});"))
        .await
        != true
    {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; at {}",
            browser.current_url().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn assert_no_console_errors(browser: &Browser) {
    let errors: Vec<String> = browser
        .console_log()
        .await
        .into_iter()
        .filter(|entry| entry.starts_with("SEVERE") && !entry.contains("status of 4"))
        .collect();
    assert!(errors.is_empty(), "the console logged errors: {errors:#?}");
}
