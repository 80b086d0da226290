//! The web console, end to end in headless Chromium against the real server (see `browser.rs`),
//! and one smoke test of it in headless Firefox.

use base64::Engine;
use sealdraw::auth::Role;
use serde_json::json;

use crate::browser::{Browser, Impostor};
use crate::draws::{DrawFixture, Expert, experts};
use crate::helpers::{TestAccount, spawn_app};
use crate::invitations::{answer, expert_logins, invited};
use crate::sessions::{Committee, Mode};

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

/// Opens the draw form and fills a distributed evaluation two hours ahead of one A03 stratum
/// of `(count, reserves)`, leaving it unsent.
async fn distributed_draw_form(
    browser: &Browser,
    app: &crate::helpers::TestApp,
    (reference, name): (&str, &str),
    (count, reserves): (u32, u32),
) {
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", reference).await;
    browser.fill("#draw-name", name).await;
    browser.select("#draw-mode", "distributed").await;
    let start = beijing_start_in_two_hours(app);
    browser
        .execute(&format!(
            "document.querySelector('#draw-start').value = '{start}';"
        ))
        .await;
    browser.fill("#stratum-1-count", &count.to_string()).await;
    browser
        .fill("#stratum-1-reserves", &reserves.to_string())
        .await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
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
    let fx = console_fixture(&experts(18, "A0301")).await;
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
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
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
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
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
    // Supervisors are picked by name among those whose jurisdiction covers the draw; submitting
    // without one marks the group.
    browser.wait_for("#session-supervisor-supervisor").await;
    browser.click("#session-submit").await;
    browser
        .wait_for("#session-supervisors[aria-invalid='true']")
        .await;
    browser.click("#session-supervisor-supervisor").await;
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
    let sessions = fx.app.get_json("/api/v1/sessions", Some(&fx.center)).await;
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
    let view = fx
        .app
        .get_json(&format!("/api/v1/sessions/{session_id}"), Some(&fx.center))
        .await;
    assert_eq!(
        view["bidders"],
        json!(["甲建设集团", "乙路桥公司", "丙市政公司"])
    );
    assert_eq!(view["criteria"][1]["max_points"], 40);
    assert_no_console_errors(&browser).await;
}

/// `count` experts of A0301 in each region.
fn pool_in(regions: &[(&'static str, usize)]) -> Vec<Expert> {
    regions
        .iter()
        .flat_map(|&(region, count)| {
            (0..count).map(move |_| Expert {
                region,
                ..Expert::plain("A0301")
            })
        })
        .collect()
}

/// A remote-capable, open catalogue venue registered by `token`'s center: its id.
async fn catalogue_venue(
    app: &crate::helpers::TestApp,
    token: &str,
    name: &str,
    region_code: &str,
    workstations: u32,
) -> String {
    let response = app
        .post(
            "/api/v1/venues",
            Some(token),
            &json!({
                "name": name,
                "address": format!("{name} 地址 1 号"),
                "region_code": region_code,
                "workstations": workstations,
                "remote_capable": true,
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let venue: serde_json::Value = response.json().await.unwrap();
    venue["venue_id"].as_str().unwrap().to_owned()
}

/// A draw fixture over `pool` whose many browser logins from one address are not throttled.
async fn console_fixture(pool: &[Expert]) -> DrawFixture {
    DrawFixture::with(pool, |settings| {
        settings.auth.address_attempts_per_minute = 10_000;
    })
    .await
}

/// The center's draw form, opened from the menu, with the tender, the mode and an evaluation
/// start two hours ahead filled in.
async fn open_draw_form(
    browser: &Browser,
    fx: &DrawFixture,
    reference: &str,
    name: &str,
    mode: &str,
) {
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", reference).await;
    browser.fill("#draw-name", name).await;
    browser.select("#draw-mode", mode).await;
    let start = beijing_start_in_two_hours(&fx.app);
    browser
        .execute(&format!(
            "const start = document.querySelector('#draw-start'); start.value = '{start}'; \
             start.dispatchEvent(new Event('change'));"
        ))
        .await;
}

/// Whether the select `css` offers an option whose text contains `needle` (a select's own
/// text is not the same in every browser).
async fn offers(browser: &Browser, css: &str, needle: &str) {
    eventually(
        browser,
        &format!("{css} to offer {needle}"),
        &format!(
            "[...document.querySelectorAll('{css} option')].some((o) => o.textContent.includes('{needle}'))"
        ),
    )
    .await;
}

/// The draw form's per-stratum regions, chosen in the Hubei region picker (a prefecture found by
/// one of its counties), and the project's county from the region list: the draw commits
/// exactly those rules. The venue binding offers the catalogue's rooms with their free
/// workstations, and binding one stratum but not the other is refused before anything is sent.
async fn the_draw_form_sets_each_stratums_regions_through_the_region_picker(firefox: bool) {
    let fx = console_fixture(&pool_in(&[
        ("420100", 6),
        ("420600", 10),
        ("420500", 6),
        ("421300", 4),
    ]))
    .await;
    let xinzhou = catalogue_venue(&fx.app, &fx.center, "新洲 远程评标室", "420117", 12).await;
    let browser = if firefox {
        Browser::firefox(&fx.app).await
    } else {
        Browser::start(&fx.app).await
    };
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    open_draw_form(
        &browser,
        &fx,
        "WHGG-2026-0015",
        "新洲区某道路工程施工",
        "cross_site",
    )
    .await;
    browser
        .fill("#draw-venue", "新洲区公共资源交易中心 远程评标室")
        .await;
    // The project's county, from the region list: the cross-site draw leaves Wuhan's experts out.
    browser.select("#draw-region", "420117").await;

    // Two from the province at large, but not from Yichang…
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.fill("#stratum-1-count", "2").await;
    browser.fill("#stratum-1-reserves", "0").await;
    browser.click("#stratum-1-regions-summary").await;
    browser.click("#stratum-1-exclude-4205").await;
    browser
        .wait_for_text("#stratum-1-exclude-summary", "宜昌市（4205）")
        .await;
    // …and three from 保康's area, found by the county's name.
    browser.click("#add-stratum").await;
    browser.fill("#spec-2-filter", "水利").await;
    browser.click("#spec-2-A03").await;
    browser.fill("#stratum-2-count", "3").await;
    browser.fill("#stratum-2-reserves", "0").await;
    browser.click("#stratum-2-regions-summary").await;
    browser.fill("#stratum-2-require-filter", "保康").await;
    browser
        .wait_for_text("#stratum-2-require", "含 保康县")
        .await;
    browser.click("#stratum-2-require-4206").await;
    browser
        .wait_for_text("#stratum-2-require-summary", "已选：襄阳市（4206）")
        .await;

    // The catalogue's room is offered for the stratum, with its free workstations; a draw binds
    // every stratum or none, which the browser checks before sending anything.
    offers(&browser, "#stratum-2-venue", "空闲 12/12 个工位").await;
    browser.select("#stratum-2-venue", &xinzhou).await;
    browser.click("#draw-submit").await;
    browser
        .wait_for_text("[role=alert]", "每一组都须指定场地")
        .await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(draws, json!([]), "an invalid form sent a draw");
    browser.select("#stratum-2-venue", "").await;
    browser
        .screenshot(if firefox {
            "firefox-center-draw-regions"
        } else {
            "center-draw-regions"
        })
        .await;
    browser.click("#draw-submit").await;

    browser.wait_for_text("#draw-status", "等待随机数").await;
    browser
        .wait_for_text("#draw-stratum-2", "只抽取：襄阳市（4206）")
        .await;
    browser
        .wait_for_text("#draw-stratum-1", "不抽取：武汉市（4201）、宜昌市（4205）")
        .await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    let id = draws[0]["draw_id"].as_str().unwrap();
    let draw = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}"), Some(&fx.center))
        .await;
    assert_eq!(draw["mode"], "cross_site");
    let committed = &draw["intent"]["strata"];
    assert_eq!(committed[0]["regions_exclude"], json!(["4201", "4205"]));
    assert_eq!(committed[0]["regions_require"], json!([]));
    assert_eq!(committed[1]["regions_exclude"], json!(["4201"]));
    assert_eq!(committed[1]["regions_require"], json!(["4206"]));
    // Xiangyang and Suizhou for the first; Xiangyang alone for the second.
    assert_eq!(draw["strata"][0]["eligible"], 14, "{draw}");
    assert_eq!(draw["strata"][1]["eligible"], 10, "{draw}");
    assert_no_console_errors(&browser).await;
}

#[tokio::test]
async fn the_draw_form_sets_each_stratums_regions_through_the_region_picker_in_chromium() {
    the_draw_form_sets_each_stratums_regions_through_the_region_picker(false).await;
}

#[tokio::test]
async fn the_draw_form_sets_each_stratums_regions_through_the_region_picker_in_firefox() {
    the_draw_form_sets_each_stratums_regions_through_the_region_picker(true).await;
}

/// A cross-site session's venues come from the catalogue (the host's own room as the main
/// venue, another center's as a sub-venue); that center sees the request on its sub-venue
/// screen and refuses it with a reason, which frees the workstations; the host sees the refusal
/// in the session room, where check-in waits for it, and on its own requests.
#[tokio::test]
async fn a_sub_venues_center_refuses_the_request_with_a_reason_and_the_host_sees_it() {
    let fx = console_fixture(&experts(18, "A0301")).await;
    let (_, baokang_center) = fx
        .app
        .account_with_token("center-baokang", Role::Center)
        .await;
    let xinzhou = catalogue_venue(&fx.app, &fx.center, "新洲 远程评标室", "420117", 12).await;
    let baokang = catalogue_venue(&fx.app, &baokang_center, "保康 远程评标室", "420626", 4).await;
    let logins = expert_logins(&fx).await;
    let mut body = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 5, "reserves": 1}]));
    body["mode"] = json!("cross_site");
    body["project_region"] = json!("420500");
    let draw = fx.drawn(&body).await;
    let draw_id = draw["draw_id"].as_str().unwrap().to_owned();
    for (bearer, invitation) in invited(&fx, &logins, "pending").await {
        assert_eq!(
            answer(&fx, &bearer, &invitation, json!({"accept": true}))
                .await
                .status(),
            200
        );
    }
    let start =
        chrono::DateTime::parse_from_rfc3339(draw["evaluation_start"].as_str().unwrap()).unwrap();
    let end = start + chrono::Duration::minutes(draw["evaluation_minutes"].as_i64().unwrap());
    let free_at_baokang = async || {
        let path = format!(
            "/api/v1/venues?center=center-baokang&free_from={}&free_until={}",
            urlencoding(&start.to_rfc3339()),
            urlencoding(&end.to_rfc3339())
        );
        let list = fx.app.get_json(&path, Some(&fx.center)).await;
        list[0]["free_workstations"].as_u64().unwrap()
    };

    // The host picks both rooms from the catalogue: no names, usernames or ids typed.
    let host = Browser::start(&fx.app).await;
    host.login(&fx.app, &account("center", Role::Center)).await;
    host.open(&format!("/console/#/center/draw?id={draw_id}"))
        .await;
    host.click("#open-session-form").await;
    offers(&host, "#venue-1-venue", "新洲 远程评标室").await;
    offers(&host, "#venue-2-venue", "空闲 4/4 个工位").await;
    host.select("#venue-1-venue", &xinzhou).await;
    host.fill("#venue-1-seats", "3").await;
    host.select("#venue-2-venue", &baokang).await;
    host.fill("#venue-2-seats", "5").await;
    host.click("#session-supervisor-supervisor").await;
    host.fill("#session-bidders", "甲公司\n乙公司").await;
    host.fill("#criterion-1-name", "综合评分").await;
    host.fill("#criterion-1-points", "100").await;
    // More seats than 保康 has free: refused in the browser.
    host.click("#session-submit").await;
    host.wait_for_text("[role=alert]", "空闲工位数 4").await;
    host.fill("#venue-2-seats", "2").await;
    host.screenshot("center-cross-site-session-form").await;
    // A bidder named twice is the server's to refuse (bidders[1]): it marks the bidders' box,
    // in Chinese, and nothing is opened.
    host.fill("#session-bidders", "甲公司\n甲公司").await;
    host.click("#session-submit").await;
    host.wait_for("#session-bidders[aria-invalid='true']").await;
    let marked = host.text("#session-bidders-error").await;
    assert!(marked.contains("投标人不能重复"), "{marked}");
    host.fill("#session-bidders", "甲公司\n乙公司").await;
    host.click("#session-submit").await;
    eventually(
        &host,
        "the session screen to open",
        "location.hash.startsWith('#/session/room')",
    )
    .await;
    let sessions = fx.app.get_json("/api/v1/sessions", Some(&fx.center)).await;
    let session_id = sessions[0]["session_id"].as_str().unwrap().to_owned();
    let view = fx
        .app
        .get_json(&format!("/api/v1/sessions/{session_id}"), Some(&fx.center))
        .await;
    let venues: Vec<(&str, u64, bool, &str)> = view["venues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["seats"].as_u64().unwrap(),
                v["main"].as_bool().unwrap(),
                v["venue_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        venues,
        [
            ("新洲 远程评标室", 3, true, xinzhou.as_str()),
            ("保康 远程评标室", 2, false, baokang.as_str()),
        ]
    );
    assert_eq!(free_at_baokang().await, 2);
    host.wait_for_text("#venue-consents", "等待对方答复").await;

    // 保康's center sees the request and refuses it, saying why (a one-letter reason is not one).
    let requests = fx
        .app
        .get_json("/api/v1/venue-requests", Some(&baokang_center))
        .await;
    let request = requests[0]["request_id"].as_str().unwrap().to_owned();
    let operator = Browser::start(&fx.app).await;
    operator
        .login(&fx.app, &account("center-baokang", Role::Center))
        .await;
    operator
        .click(r#"nav a[data-route="venues/requests"]"#)
        .await;
    operator
        .wait_for_text("#venue-requests-incoming", "保康 远程评标室")
        .await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='requested']"))
        .await;
    operator
        .wait_for_text("#venue-requests-incoming", "center")
        .await;
    operator.screenshot("venue-requests-incoming").await;
    operator
        .click(&format!("#venue-refuse-open-{request}"))
        .await;
    operator
        .fill(&format!("#venue-reason-{request}"), "修")
        .await;
    operator.click(&format!("#venue-refuse-{request}")).await;
    operator.wait_for_text("[role=alert]", "2–500 个字符").await;
    assert_eq!(free_at_baokang().await, 2, "nothing was sent");
    operator
        .fill(&format!("#venue-reason-{request}"), "设备检修，当天不可用")
        .await;
    operator.click(&format!("#venue-refuse-{request}")).await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='refused']"))
        .await;
    operator.screenshot("venue-request-refused").await;

    // The workstations are free again; the request says why.
    assert_eq!(free_at_baokang().await, 4);
    let answered = fx
        .app
        .get_json("/api/v1/venue-requests", Some(&fx.center))
        .await;
    assert_eq!(answered[0]["state"], "refused");
    assert_eq!(answered[0]["reason"], "设备检修，当天不可用");
    assert_eq!(answered[0]["answered_by"], "center-baokang");

    // The host sees it in the room, where check-in now waits for it, and on its own requests.
    host.click("#venue-consents-refresh").await;
    host.wait_for_text("#venue-consents", "已拒绝：设备检修，当天不可用")
        .await;
    host.click("#next-phase").await;
    host.click("#confirm-yes").await;
    host.wait_for_text("#advance-problems", "副场所属中心尚未同意")
        .await;
    host.screenshot("session-sub-venue-refused").await;
    host.click(r#"nav a[data-route="venues/requests"]"#).await;
    host.wait_for_text("#venue-requests-outgoing", "已拒绝：设备检修，当天不可用")
        .await;
    assert_no_console_errors(&host).await;
    assert_no_console_errors(&operator).await;
}

/// A cross-site draw whose two strata are bound through the form to the center's own room and
/// to another center's room: the draw page shows that center's consent pending (and the draw
/// waiting for it even after the center contributed); that center accepts on its 副场协作申请
/// screen, the draw page follows without a reload to show it accepted, and the draw executes.
#[tokio::test]
async fn a_draw_bound_to_the_main_room_and_another_centers_room_waits_for_its_consent_on_the_page()
{
    let fx = console_fixture(&pool_in(&[("420100", 12), ("420600", 9)])).await;
    let (_, baokang_center) = fx
        .app
        .account_with_token("center-baokang", Role::Center)
        .await;
    let xinzhou = catalogue_venue(&fx.app, &fx.center, "新洲 远程评标室", "420117", 12).await;
    let baokang = catalogue_venue(&fx.app, &baokang_center, "保康 远程评标室", "420626", 4).await;

    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    open_draw_form(
        &browser,
        &fx,
        "WHGG-2026-0017",
        "新洲区某排涝站工程施工",
        "cross_site",
    )
    .await;
    browser.select("#draw-region", "421102").await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.fill("#stratum-1-count", "3").await;
    browser.fill("#stratum-1-reserves", "1").await;
    offers(&browser, "#stratum-1-venue", "新洲 远程评标室").await;
    browser.select("#stratum-1-venue", &xinzhou).await;
    browser.click("#add-stratum").await;
    browser.fill("#spec-2-filter", "水利").await;
    browser.click("#spec-2-A03").await;
    browser.fill("#stratum-2-count", "2").await;
    browser.fill("#stratum-2-reserves", "1").await;
    offers(&browser, "#stratum-2-venue", "保康 远程评标室").await;
    browser.select("#stratum-2-venue", &baokang).await;
    browser.click("#draw-submit").await;

    // The draw page: the main room needs no consent, 保康's is pending.
    browser.wait_for_text("#draw-status", "等待随机数").await;
    browser
        .wait_for_text("#draw-stratum-1", "评标场地：新洲 远程评标室（主场）")
        .await;
    browser.wait_for_text("#draw-stratum-1", "无需同意").await;
    browser
        .wait_for_text("#draw-stratum-2", "评标场地：保康 远程评标室（副场）")
        .await;
    browser
        .wait_for_text("#draw-stratum-2", "等待对方同意")
        .await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    let id = draws[0]["draw_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/draws/{id}");
    let draw = fx.app.get_json(&path, Some(&fx.center)).await;
    assert_eq!(draw["intent"]["strata"][0]["venue_id"], xinzhou.as_str());
    assert_eq!(draw["intent"]["strata"][1]["venue_id"], baokang.as_str());
    assert_eq!(draw["strata"][1]["venue"]["consent"], "pending");

    // The center's randomness is in, but the draw waits for 保康.
    browser.click("#contribute-entropy").await;
    let mut draw = fx.app.get_json(&path, Some(&fx.center)).await;
    for _ in 0..150 {
        if draw["contributions"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        draw = fx.app.get_json(&path, Some(&fx.center)).await;
    }
    assert_eq!(draw["contributions"][0]["role"], "center", "{draw}");
    assert_eq!(draw["status"], "awaiting_entropy", "{draw}");
    browser
        .wait_for_text("#draw-awaiting-venues", "副场所属中心尚未全部答复")
        .await;
    eventually(
        &browser,
        "the contribution to be listed",
        "document.querySelector('main').textContent.includes('#0 交易中心')",
    )
    .await;
    browser.screenshot("center-draw-sub-venue-pending").await;

    // 保康's center sees what it would host on its 副场协作申请 screen and accepts.
    let requests = fx
        .app
        .get_json("/api/v1/venue-requests", Some(&baokang_center))
        .await;
    let request = requests[0]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(requests[0]["holder"]["id"], id.as_str());
    let operator = Browser::start(&fx.app).await;
    operator
        .login(&fx.app, &account("center-baokang", Role::Center))
        .await;
    operator
        .click(r#"nav a[data-route="venues/requests"]"#)
        .await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='requested']"))
        .await;
    operator
        .wait_for_text("#venue-requests-incoming", "新洲区某排涝站工程施工")
        .await;
    operator.click(&format!("#venue-accept-{request}")).await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='accepted']"))
        .await;

    // The host's page follows on its own: accepted, and the draw executes.
    browser.wait_for_text("#draw-stratum-2", "对方已同意").await;
    browser.wait_for_text("#draw-status", "已抽取").await;
    browser
        .wait_for_text("#draw-stratum-2", "评标场地：保康 远程评标室（副场）")
        .await;
    browser.screenshot("center-draw-sub-venue-accepted").await;
    let draw = fx.app.get_json(&path, Some(&fx.center)).await;
    assert_eq!(draw["status"], "drawn");
    assert_eq!(draw["strata"][1]["venue"]["consent"], "accepted");
    assert_eq!(draw["strata"][1]["venue"]["venue_id"], baokang.as_str());
    assert_eq!(draw["strata"][1]["venue"]["chosen_at_random"], false);
    assert_no_console_errors(&browser).await;
    assert_no_console_errors(&operator).await;
}

/// A cross-site draw bound through the form end to end: its first stratum at the center's own
/// room, its second at a sub-venue the server chooses at random in 宜昌 and 襄阳. The draw page
/// lists both candidates awaiting their centers; one accepts on its 副场协作申请 screen, the
/// other refuses; once the center contributes, the page shows the accepting one as chosen at
/// random, and the server's record says the same.
#[tokio::test]
async fn a_draw_binds_the_main_room_and_a_sub_venue_chosen_at_random_through_the_form() {
    let fx = console_fixture(&pool_in(&[("420100", 12), ("420500", 6), ("420600", 6)])).await;
    let (_, yichang_center) = fx
        .app
        .account_with_token("center-yichang", Role::Center)
        .await;
    let (_, xiangyang_center) = fx
        .app
        .account_with_token("center-xiangyang", Role::Center)
        .await;
    let xinzhou = catalogue_venue(&fx.app, &fx.center, "新洲 远程评标室", "420117", 12).await;
    let yichang = catalogue_venue(&fx.app, &yichang_center, "宜昌 远程评标室", "420502", 4).await;
    catalogue_venue(&fx.app, &xiangyang_center, "襄阳 远程评标室", "420602", 4).await;

    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    open_draw_form(
        &browser,
        &fx,
        "WHGG-2026-0016",
        "新洲区某泵站工程施工",
        "cross_site",
    )
    .await;
    browser.select("#draw-region", "421102").await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.fill("#stratum-1-count", "3").await;
    browser.fill("#stratum-1-reserves", "1").await;
    offers(&browser, "#stratum-1-venue", "新洲 远程评标室").await;
    browser.select("#stratum-1-venue", &xinzhou).await;
    browser.click("#add-stratum").await;
    browser.fill("#spec-2-filter", "水利").await;
    browser.click("#spec-2-A03").await;
    browser.fill("#stratum-2-count", "2").await;
    browser.fill("#stratum-2-reserves", "1").await;
    offers(
        &browser,
        "#stratum-2-venue",
        "由系统在所选地区中随机选择一个副场",
    )
    .await;
    browser.select("#stratum-2-venue", "random").await;
    // Without regions the browser refuses before sending anything.
    browser.click("#draw-submit").await;
    browser
        .wait_for_text("[role=alert]", "请至少选择一个地区")
        .await;
    assert_eq!(
        fx.app.get_json("/api/v1/draws", Some(&fx.center)).await,
        json!([])
    );
    browser.click("#stratum-2-random-4205").await;
    browser.click("#stratum-2-random-4206").await;
    browser
        .wait_for_text("#stratum-2-random-summary", "襄阳市（4206）")
        .await;
    browser.screenshot("center-draw-random-sub-venue").await;
    browser.click("#draw-submit").await;

    // The draw page: the main room, and both candidates awaiting their centers.
    browser.wait_for_text("#draw-status", "等待随机数").await;
    browser
        .wait_for_text("#draw-stratum-1", "新洲 远程评标室")
        .await;
    browser
        .wait_for_text("#draw-stratum-2-random", "副场将在 2 个候选场地中随机选定")
        .await;
    browser
        .wait_for_text(
            "#draw-stratum-2-candidates",
            "宜昌 远程评标室 · center-yichang · 等待对方同意",
        )
        .await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    let id = draws[0]["draw_id"].as_str().unwrap().to_owned();
    let draw = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}"), Some(&fx.center))
        .await;
    assert_eq!(draw["intent"]["strata"][0]["venue_id"], xinzhou.as_str());
    assert_eq!(
        draw["intent"]["strata"][1]["regions_require"],
        json!(["4205", "4206"])
    );
    assert_eq!(
        draw["intent"]["strata"][1]["venue_candidates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // 宜昌's center accepts on its screen; 襄阳's refuses.
    let requests = fx
        .app
        .get_json("/api/v1/venue-requests", Some(&yichang_center))
        .await;
    let request = requests[0]["request_id"].as_str().unwrap().to_owned();
    let operator = Browser::start(&fx.app).await;
    operator
        .login(&fx.app, &account("center-yichang", Role::Center))
        .await;
    operator
        .click(r#"nav a[data-route="venues/requests"]"#)
        .await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='requested']"))
        .await;
    operator.click(&format!("#venue-accept-{request}")).await;
    operator
        .wait_for(&format!("#venue-request-{request}[data-state='accepted']"))
        .await;
    let refused = fx
        .app
        .get_json("/api/v1/venue-requests", Some(&xiangyang_center))
        .await;
    let refused = refused[0]["request_id"].as_str().unwrap();
    let response = fx
        .app
        .post(
            &format!("/api/v1/venue-requests/{refused}/refuse"),
            Some(&xiangyang_center),
            &json!({"reason": "当天已有评标"}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // The center contributes; the page shows 宜昌 chosen at random.
    browser
        .open(&format!("/console/#/center/draw?id={id}"))
        .await;
    browser
        .wait_for_text(
            "#draw-stratum-2-candidates",
            "襄阳 远程评标室 · center-xiangyang · 对方已拒绝",
        )
        .await;
    browser.click("#contribute-entropy").await;
    browser.wait_for_text("#draw-status", "已抽取").await;
    browser
        .wait_for_text("#draw-stratum-2", "评标场地：宜昌 远程评标室（副场）")
        .await;
    browser
        .wait_for_text(
            "#draw-stratum-2-candidates",
            "宜昌 远程评标室 · center-yichang · 对方已同意 · 随机选定",
        )
        .await;
    browser
        .screenshot("center-draw-random-sub-venue-chosen")
        .await;
    let draw = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}"), Some(&fx.center))
        .await;
    assert_eq!(draw["strata"][1]["venue"]["venue_id"], yichang.as_str());
    assert_eq!(draw["strata"][1]["venue"]["chosen_at_random"], true);
    assert_no_console_errors(&browser).await;
    assert_no_console_errors(&operator).await;
}

/// Jurisdiction through the console: the center's draw form names the project's industry and
/// that it must be tendered by law; the admin sets a supervisor's jurisdiction (a region in the
/// picker, an industry department); that supervisor's overview then lists the draw in it and
/// not the one outside.
#[tokio::test]
async fn an_admin_sets_a_supervisors_jurisdiction_and_the_supervisor_sees_only_its_draws() {
    let fx = console_fixture(&pool_in(&[("420600", 12), ("420500", 12)])).await;
    // A transport project in 宜昌, drawn through the API.
    let mut other = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 3, "reserves": 1}]));
    other["project_region"] = json!("420502");
    other["industry"] = json!("transport");
    fx.create_ok(&other).await;

    // A water project in 保康, tendered by law, through the form.
    let center = Browser::start(&fx.app).await;
    center
        .login(&fx.app, &account("center", Role::Center))
        .await;
    open_draw_form(
        &center,
        &fx,
        "XYSL-2026-0021",
        "保康县某水库除险加固工程",
        "on_site",
    )
    .await;
    center
        .fill("#draw-venue", "保康县公共资源交易中心 评标室")
        .await;
    center.select("#draw-region", "420626").await;
    offers(&center, "#draw-industry", "水利").await;
    center.select("#draw-industry", "water").await;
    center.click("#draw-statutory").await;
    center.fill("#spec-1-filter", "水利").await;
    center.click("#spec-1-A03").await;
    center.fill("#stratum-1-count", "3").await;
    center.fill("#stratum-1-reserves", "1").await;
    center.screenshot("center-draw-jurisdiction").await;
    center.click("#draw-submit").await;
    center.wait_for_text("#draw-status", "等待随机数").await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    let water = draws
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["tender_reference"] == "XYSL-2026-0021")
        .unwrap();
    let intent = fx
        .app
        .audit_entries_of("draw.intent")
        .await
        .into_iter()
        .find(|e| e["refs"]["draw"] == water["draw_id"])
        .unwrap();
    assert_eq!(intent["data"]["industry"], "water");
    assert_eq!(intent["data"]["jurisdiction_region"], "420626");
    assert_eq!(intent["data"]["statutory_tender"], true);

    // The admin gives 襄阳's water supervisor a jurisdiction.
    let (_, supervisor) = supervisor_in_browser(&fx, "sup-xiangyang").await;
    // 保康's supervisor was given the one county through the API.
    fx.app.create_account("sup-baokang", Role::Supervisor).await;
    let response = fx
        .app
        .request(
            reqwest::Method::PUT,
            "/api/v1/accounts/sup-baokang/scope",
            Some(&fx.admin),
        )
        .json(&json!({"regions": ["420626"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NO_CONTENT);
    let admin_account = fx.app.create_account("console-admin", Role::Admin).await;
    let admin = Browser::start(&fx.app).await;
    admin.login(&fx.app, &admin_account).await;
    admin.click(r#"nav a[data-route="admin/accounts"]"#).await;
    admin.wait_for_text("#scope-of-sup-xiangyang", "全省").await;
    admin.click("#scope-sup-xiangyang").await;
    admin.fill("#scope-regions-filter", "保康").await;
    admin.click("#scope-regions-4206").await;
    admin.click("#scope-industry-water").await;
    admin.screenshot("admin-supervisor-scope").await;
    admin.click("#scope-save").await;
    admin
        .wait_for_text("#scope-of-sup-xiangyang", "襄阳市（4206） · 水利")
        .await;
    let set = fx.app.audit_entries_of("account.scope_set").await;
    assert_eq!(set[1]["data"]["regions"], json!(["4206"]));
    assert_eq!(set[1]["data"]["industries"], json!(["water"]));

    // The name centers pick the supervisor by (issue 24 §2), given here and logged.
    admin.click("#name-sup-xiangyang").await;
    admin
        .fill("#edit-display-name", "赵敏（襄阳市水利局）")
        .await;
    admin.click("#edit-name-save").await;
    admin.wait_for_text("#main", "赵敏（襄阳市水利局）").await;
    let updated = fx.app.audit_entries_of("account.updated").await;
    assert_eq!(
        updated.last().unwrap()["data"]["display_name"],
        "赵敏（襄阳市水利局）"
    );

    // The county is named, and the editor keeps it (the prefecture picker cannot show it).
    admin
        .wait_for_text("#scope-of-sup-baokang", "保康县（420626） · 各行业")
        .await;
    admin.click("#scope-sup-baokang").await;
    admin
        .wait_for_text("#scope-counties", "保康县（420626）")
        .await;
    admin.click("#scope-industry-water").await;
    admin.click("#scope-save").await;
    admin
        .wait_for_text("#scope-of-sup-baokang", "保康县（420626） · 水利")
        .await;
    let set = fx.app.audit_entries_of("account.scope_set").await;
    assert_eq!(set[2]["data"]["regions"], json!(["420626"]));

    // The supervisor's overview lists the water project and not the transport one.
    supervisor.open("/console/#/supervisor/overview").await;
    supervisor.wait_for_text("#draws", "XYSL-2026-0021").await;
    let listed: String = supervisor
        .execute("return document.querySelector('#draws').textContent")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !listed.contains(other["tender_reference"].as_str().unwrap()),
        "{listed}"
    );
    assert_no_console_errors(&center).await;
    assert_no_console_errors(&admin).await;
    assert_no_console_errors(&supervisor).await;
}

/// The admin edits a center's name and region (its region from Hubei's list, not typed) and
/// reissues a lost activation code of an expert's login after a confirmation; the new code is
/// shown once and sets the expert's password.
#[tokio::test]
async fn an_admin_edits_a_center_and_reissues_an_experts_lost_activation_code() {
    let app = spawn_app().await;
    app.create_account("center-edit", Role::Center).await;
    app.create_account("expert-lost", Role::Expert).await;
    let admin_account = app.create_account("console-admin", Role::Admin).await;
    let admin = Browser::start(&app).await;
    admin.login(&app, &admin_account).await;
    admin.click(r#"nav a[data-route="admin/accounts"]"#).await;
    admin.click("#edit-center-edit").await;
    admin
        .fill("#edit-center-name", "襄阳市公共资源交易中心")
        .await;
    admin.select("#edit-center-region", "420626").await;
    admin.screenshot("admin-center-edit").await;
    admin.click("#edit-center-save").await;
    eventually(
        &admin,
        "the edited name in the list",
        "document.body.textContent.includes('襄阳市公共资源交易中心')",
    )
    .await;
    let (_, token) = app.account_with_token("admin.check", Role::Admin).await;
    let listed = app.listed_account(&token, "center-edit").await;
    assert_eq!(listed["center_name"], "襄阳市公共资源交易中心");
    assert_eq!(listed["region_code"], "420626");

    admin.click("#reissue-expert-lost").await;
    admin
        .wait_for_text("#confirm-dialog", "原激活码随即失效")
        .await;
    admin.screenshot("admin-reissue-confirm").await;
    admin.click("#confirm-yes").await;
    admin
        .wait_for_text("#reissued-code", "expert-lost 的新激活码")
        .await;
    let shown: String = admin
        .execute("return document.querySelector('#reissued-code').textContent")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = shown
        .split('：')
        .nth(1)
        .and_then(|rest| rest.split('（').next())
        .unwrap()
        .trim()
        .to_owned();
    let response = app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": "expert-lost", "code": code,
                    "password": "a brand new long passphrase 7"}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_no_console_errors(&admin).await;
}

/// The center asks, on the draw's page, to publish the committee list once the evaluation's
/// window has ended (a reason too short is marked first); after a supervisor approves, it reads
/// the names on request, and the read is logged.
#[tokio::test]
async fn a_center_asks_to_publish_the_committee_and_reads_it_once_approved() {
    let fx = DrawFixture::with(&experts(12, "A0301"), |settings| {
        settings.auth.address_attempts_per_minute = 10_000;
        // The clock jumps past the evaluation below; the browser's login must outlive it.
        settings.auth.token_idle_minutes = 24 * 60;
        settings.auth.token_absolute_hours = 24;
    })
    .await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 3, "reserves": 1}])))
        .await;
    let id = drawn["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&id).await;
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(2 * 3600 + 241 * 60));

    let center = Browser::start(&fx.app).await;
    center
        .login(&fx.app, &account("center", Role::Center))
        .await;
    center
        .open(&format!("/console/#/center/draw?id={id}"))
        .await;
    center.wait_for("#publication-request").await;
    center.fill("#publication-reason", "公示").await;
    center.click("#publication-request").await;
    center
        .wait_for("#publication-reason[aria-invalid=true]")
        .await;
    center
        .fill(
            "#publication-reason",
            "中标候选人公示需要公布评标委员会名单",
        )
        .await;
    center.click("#publication-request").await;
    let mut requested = serde_json::Value::Null;
    for _ in 0..100 {
        requested = fx
            .app
            .get_json("/api/v1/publications", Some(&fx.supervisor))
            .await;
        if requested.as_array().is_some_and(|list| !list.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(requested[0]["draw_id"], id.as_str(), "{requested}");
    assert_eq!(
        requested[0]["reason"],
        "中标候选人公示需要公布评标委员会名单"
    );

    // Before approval the list stays closed; after, the center reads it on request.
    center.click("#committee-read").await;
    center.wait_for_text("[role=alert]", "尚未获准公布").await;
    assert!(
        fx.app
            .audit_entries_of("draw.committee_read")
            .await
            .is_empty()
    );
    let response = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/publication/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    center.click("#committee-read").await;
    center
        .wait_for_text("#committee", "本次查看已记入审计日志")
        .await;
    let rows: serde_json::Value = center
        .execute("return document.querySelectorAll('#committee tbody tr').length")
        .await;
    assert_eq!(rows, json!(3));
    assert_eq!(
        fx.app.audit_entries_of("draw.committee_read").await.len(),
        1
    );
    center.screenshot("center-committee-published").await;
    assert_no_console_errors(&center).await;
}

/// A supervisor asks in the console to unseal an expert's name (the form marks what is missing
/// first), another supervisor approves, and the first reads the name on request, the read logged.
#[tokio::test]
async fn a_supervisor_asks_to_unseal_an_expert_and_reads_the_approved_field() {
    let fx = console_fixture(&experts(6, "A0301")).await;
    let listed = fx
        .app
        .get_json("/api/v1/experts?limit=1", Some(&fx.admin))
        .await;
    let expert = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, browser) = supervisor_in_browser(&fx, "sup-unseal").await;
    browser
        .click(r#"nav a[data-route="supervisor/unseal"]"#)
        .await;
    browser
        .wait_for_text("#unseal-mine", "No requests yet")
        .await;
    browser.click("#unseal-field-name").await;
    browser.click("#unseal-submit").await;
    browser.wait_for("#unseal-experts[aria-invalid=true]").await;
    browser.fill("#unseal-experts", &expert).await;
    browser
        .fill("#unseal-reason", "核查投诉所涉专家身份是否属实")
        .await;
    browser.screenshot("supervisor-unseal-form").await;
    browser.click("#unseal-submit").await;
    browser
        .wait_for_text("#unseal-mine", "awaiting approval")
        .await;
    let requests = fx
        .app
        .get_json("/api/v1/unseal-requests", Some(&fx.supervisor))
        .await;
    let request = requests[0]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(requests[0]["expert_ids"], json!([expert]));
    assert_eq!(requests[0]["fields"], json!(["name"]));
    let response = fx
        .app
        .post(
            &format!("/api/v1/unseal-requests/{request}/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    browser
        .click(r#"nav a[data-route="supervisor/overview"]"#)
        .await;
    browser
        .click(r#"nav a[data-route="supervisor/unseal"]"#)
        .await;
    browser.click(&format!("#unseal-read-{request}")).await;
    browser
        .wait_for_text(&format!("#unsealed-{request}"), "This read is logged")
        .await;
    browser
        .wait_for_text(&format!("#unsealed-{request}"), &expert)
        .await;
    assert_eq!(fx.app.audit_entries_of("unseal.read").await.len(), 1);
    assert_no_console_errors(&browser).await;
}

/// The draw form leaves out an expert of an earlier draw by their seat (a draw, then one of its
/// seats; no names): the new draw counts them under "指定排除".
#[tokio::test]
async fn the_draw_form_leaves_out_an_expert_of_an_earlier_draw_by_their_seat() {
    let fx = console_fixture(&experts(18, "A0301")).await;
    let earlier = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 2, "reserves": 1}])))
        .await;
    let earlier_id = earlier["draw_id"].as_str().unwrap().to_owned();
    let token = earlier["seats"][0]["token"].as_str().unwrap().to_owned();

    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    open_draw_form(
        &browser,
        &fx,
        "WHGG-2026-0031",
        "某学校教学楼建设工程",
        "on_site",
    )
    .await;
    browser
        .fill("#draw-venue", "武汉市公共资源交易中心 3 号评标室")
        .await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.fill("#stratum-1-count", "2").await;
    browser.fill("#stratum-1-reserves", "1").await;
    browser.click("#add-excluded").await;
    offers(
        &browser,
        "#exclude-1-draw",
        earlier["tender_reference"].as_str().unwrap(),
    )
    .await;
    browser.select("#exclude-1-draw", &earlier_id).await;
    offers(&browser, "#exclude-1-seat", &token[..12]).await;
    browser.select("#exclude-1-seat", &token).await;
    browser.screenshot("center-draw-exclude-expert").await;
    browser.click("#draw-submit").await;
    browser.wait_for_text("#draw-status", "等待随机数").await;
    browser.wait_for_text("#draw-stratum-1", "指定排除 1").await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    let new = draws
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["tender_reference"] == "WHGG-2026-0031")
        .unwrap();
    assert_eq!(
        new["strata"][0]["excluded"]["excluded_by_token"], 1,
        "{new}"
    );
    assert_no_console_errors(&browser).await;
}

/// A server refusal naming a field of the accounts form marks that control, as on the draw form:
/// a center's region that is not in Hubei's list.
#[tokio::test]
async fn a_refused_region_code_marks_its_field_on_the_accounts_form() {
    let app = spawn_app().await;
    let admin_account = app.create_account("console-admin", Role::Admin).await;
    let admin = Browser::start(&app).await;
    admin.login(&app, &admin_account).await;
    admin.click(r#"nav a[data-route="admin/accounts"]"#).await;
    admin.fill("#account-username", "center-new").await;
    admin.select("#account-role", "center").await;
    admin
        .fill("#account-password", "a long and unusual passphrase 9")
        .await;
    admin.fill("#account-center", "某市公共资源交易中心").await;
    admin.fill("#account-region", "429999").await;
    admin.click("#account-create").await;
    admin.wait_for("#account-region[aria-invalid=true]").await;
    admin.wait_for_text("[role=alert]", "429999").await;
    admin.screenshot("admin-account-region-refused").await;
    admin.fill("#account-region", "420600").await;
    admin.click("#account-create").await;
    admin.wait_for_text("#account-created", "center-new").await;
    assert_no_console_errors(&admin).await;
}

fn urlencoding(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn an_expert_declines_for_a_conflict_of_interest_and_the_next_reserve_is_invited() {
    let fx = console_fixture(&experts(12, "A0301")).await;
    let accounts = crate::invitations::expert_accounts(&fx).await;
    let logins: Vec<(String, String)> = accounts
        .iter()
        .map(|login| (login.expert_id.clone(), login.token.clone()))
        .collect();
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 2, "reserves": 2}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap();
    let (token, invitation) = invited(&fx, &logins, "pending").await.remove(0);
    let expert = accounts.iter().find(|login| login.token == token).unwrap();
    let id = invitation["invitation_id"].as_str().unwrap();

    // On a phone: the invitation list and its decline form are checked at 390×844.
    let browser = Browser::phone(&fx.app).await;
    browser
        .login(&fx.app, &account(&expert.username, Role::Expert))
        .await;
    // No reason chosen, then a conflict without the relationship: both refused in the page.
    browser.click(&format!("#decline-{id}")).await;
    browser.wait_for_text("[role=alert]", "请选择").await;
    browser
        .select(&format!("#decline-reason-{id}"), "conflict_of_interest")
        .await;
    browser.click(&format!("#decline-{id}")).await;
    browser
        .wait_for(&format!("#decline-relationship-{id}[aria-invalid=true]"))
        .await;
    browser
        .fill(&format!("#decline-relationship-{id}"), "配偶在投标单位任职")
        .await;
    browser.screenshot("expert-invitation-decline").await;
    browser.click(&format!("#decline-{id}")).await;
    browser
        .wait_for(&format!("#invitation-{id}[data-state=declined]"))
        .await;

    // The server recorded it: the seat went to the first reserve, who is now invited.
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(view["progress"][0]["replaced"], 1);
    assert_eq!(view["progress"][0]["pending"], 2);
    assert_eq!(view["progress"][0]["reserves_left"], 1);
    let mine = fx
        .app
        .get_json("/api/v1/me/invitations", Some(&token))
        .await;
    let declined = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["invitation_id"] == id)
        .unwrap();
    assert_eq!(declined["state"], "declined");
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
    csv.push_str("张三,110101199001011234,123,,某单位,bad,A0301,420100,2,10,1990,,\n");
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
    let pool = app
        .get_json("/api/v1/pool/statistics", Some(&supervisor))
        .await;
    assert_eq!(pool["total"], 0, "a refused import wrote rows");

    // The good rows alone import.
    let good = directory.path().join("good.csv");
    std::fs::write(&good, crate::draws::pool_csv(&experts(2, "A0301"), 7)).unwrap();
    browser.fill("#import-file", good.to_str().unwrap()).await;
    browser.click("#import-submit").await;
    browser.wait_for_text("#import-result", "新增 2").await;
    // Progress for long work (issue 24 §4): the rows the server went through.
    browser
        .wait_for_text("#import-progress-text", "服务器已处理全部 2 行")
        .await;
    browser.screenshot("admin-import-done").await;

    // An expert's status and a penalty on record, each after a confirmation (issue 24 §5).
    let listed = app
        .get_json("/api/v1/experts?limit=1", Some(&supervisor))
        .await;
    let expert_id = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.click(r#"nav a[data-route="admin/experts"]"#).await;
    browser.click(&format!("#manage-{expert_id}")).await;
    browser.fill("#penalty-reason", "absence").await;
    browser.click("#penalty-save").await;
    browser.wait_for_text("#confirm-text", "不能撤销").await;
    browser.click("#confirm-yes").await;
    browser.wait_for_text("#toast", "违规已记录").await;
    let penalties = app.audit_entries_of("expert.penalty").await;
    assert_eq!(penalties.len(), 1);
    assert_eq!(penalties[0]["data"]["reason_code"], "absence");
    browser.click(&format!("#manage-{expert_id}")).await;
    browser.select("#expert-status", "retired").await;
    browser.fill("#expert-status-reason", "request").await;
    browser.click("#expert-status-save").await;
    browser.click("#confirm-yes").await;
    browser.wait_for_text("#toast", "状态已更改").await;
    let expert = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&supervisor))
        .await;
    assert_eq!(expert["status"], "retired");

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
    // Disabling asks first, saying what happens; cancelled, nothing changes.
    browser.click("#disable-supervisor\\.new").await;
    browser.wait_for_text("#confirm-text", "立即停用").await;
    browser.screenshot("admin-disable-confirm").await;
    browser.click("#confirm-no").await;
    browser.wait_for("#disable-supervisor\\.new").await;
    let new = app
        .listed_account(&app.login(&admin).await, "supervisor.new")
        .await;
    assert_eq!(new["disabled"], false, "a cancelled disable disabled");
    browser.click("#disable-supervisor\\.new").await;
    browser.click("#confirm-yes").await;
    browser.wait_for("#enable-supervisor\\.new").await;
    browser.screenshot("admin-accounts").await;
    let new = app
        .listed_account(&app.login(&admin).await, "supervisor.new")
        .await;
    assert_eq!(new["role"], "supervisor");
    assert_eq!(new["disabled"], true);

    // Key status: the verifier key the server publishes, and no key material.
    browser.click(r#"nav a[data-route="admin/keys"]"#).await;
    let vkey = app.get_text("/api/v1/audit/key", Some(&supervisor)).await;
    let shown = browser.wait_for_text("#key-status", vkey.trim()).await;
    assert!(shown.contains(crate::helpers::suite().name()), "{shown}");
    browser.screenshot("admin-keys").await;
    assert_no_console_errors(&browser).await;
}

/// Issue 24 §3–§4 on the center's draw page and form: vacating a seat asks first, saying what
/// will happen, and a cancelled confirmation changes nothing; the reason chosen survives the page's
/// live refreshes; a server refusal naming a field marks that field, with the time it gives in
/// Beijing time.
#[tokio::test]
async fn vacating_asks_first_the_reason_survives_refreshes_and_a_window_error_marks_the_start_in_beijing_time()
 {
    let fx = console_fixture(&experts(12, "A0301")).await;
    let logins = expert_logins(&fx).await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 2, "reserves": 2}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    // One member confirms; the other has not answered, so the page keeps refreshing.
    let (bearer, invitation) = invited(&fx, &logins, "pending").await.remove(0);
    let accepted = answer(&fx, &bearer, &invitation, json!({"accept": true})).await;
    assert_eq!(accepted.status(), 200);

    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    browser
        .open(&format!("/console/#/center/draw?id={draw_id}"))
        .await;
    let select = browser.wait_for("select[id^='vacate-reason-']").await;
    let select_id = select.attr("id").await.unwrap().unwrap();
    let button = format!("#{}", select_id.replace("vacate-reason-", "vacate-"));
    browser.select(&format!("#{select_id}"), "withdrew").await;
    // The page redraws every four seconds: the select is a new element twice over, and the
    // choice is still there.
    browser
        .execute(&format!(
            "document.getElementById('{select_id}').dataset.drawnBefore = 'yes';"
        ))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(9)).await;
    let kept = browser
        .execute(&format!(
            "const e = document.getElementById('{select_id}'); return [e.value, e.dataset.drawnBefore || 'redrawn'];"
        ))
        .await;
    assert_eq!(kept, json!(["withdrew", "redrawn"]));

    // Vacating asks first, in words; cancelled, the seat stays.
    browser.click(&button).await;
    let text = browser.wait_for_text("#confirm-text", "候补").await;
    assert!(text.contains("退出"), "{text}");
    browser.screenshot("center-vacate-confirm").await;
    browser.click("#confirm-no").await;
    browser.wait_for_gone("#confirm-dialog").await;
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(
        view["progress"][0]["replaced"], 0,
        "a cancelled vacate vacated"
    );
    browser.click(&button).await;
    browser.click("#confirm-yes").await;
    browser.wait_for_text("#toast", "由候补递补").await;
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(view["progress"][0]["replaced"], 1);

    // A draw whose evaluation starts in five minutes: the server refuses the window (30 minutes
    // at least), naming evaluation_start, which the form marks with the earliest start in
    // Beijing time.
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    let beijing = |millis: i64, format: &str| {
        chrono::DateTime::from_timestamp_millis(millis + 8 * 3_600_000)
            .unwrap()
            .format(format)
            .to_string()
    };
    browser
        .click(r#"nav a[data-route="center/draw-new"]"#)
        .await;
    browser.fill("#draw-reference", "XYGG-2026-0099").await;
    browser.fill("#draw-name", "襄阳市窗口测试工程").await;
    browser.select("#draw-mode", "distributed").await;
    let start = beijing(now + 5 * 60_000, "%Y-%m-%dT%H:%M");
    browser
        .execute(&format!(
            "document.querySelector('#draw-start').value = '{start}';"
        ))
        .await;
    browser.fill("#spec-1-filter", "水利").await;
    browser.click("#spec-1-A03").await;
    browser.click("#draw-submit").await;
    browser.wait_for("#draw-start[aria-invalid='true']").await;
    let marked = browser.text("#draw-start-error").await;
    let earliest: Vec<String> = [30, 31]
        .iter()
        .map(|m| beijing(now + m * 60_000, "%Y/%m/%d %H:%M"))
        .collect();
    assert!(
        marked.contains("北京时间") && earliest.iter().any(|e| marked.contains(e.as_str())),
        "{marked} should give {earliest:?}"
    );
    assert!(!marked.contains('Z'), "{marked}");
    // The server's own sentence, in the reader's language under the Chinese headline.
    assert!(
        marked.contains("评标开始时间须在抽取后至少 30 分钟") && !marked.contains("must start"),
        "{marked}"
    );
    browser.screenshot("center-draw-window-refused").await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(
        draws.as_array().unwrap().len(),
        1,
        "the refused draw was stored"
    );
    assert_no_console_errors(&browser).await;
}

/// Sets a date input as a date picker would (typing into one depends on the locale).
async fn pick_date(browser: &Browser, css: &str, day: &str) {
    browser.wait_for(css).await;
    browser
        .execute(&format!(
            "const e = document.querySelector('{css}'); e.value = '{day}'; e.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        ))
        .await;
}

#[tokio::test]
async fn an_expert_asks_to_change_employer_and_ties_and_an_admin_refuses_then_approves_in_the_console()
 {
    use crate::draws::{Expert, credit_code};
    const BOARD: &str = "91420100MA4K00072";
    const NEW_EMPLOYER: &str = "91420100MA4K00073";
    let mut pool = experts(12, "A0301");
    pool.push(Expert {
        region: "420500",
        ..Expert::plain("A0301")
    });
    let fx = DrawFixture::new(&pool).await;
    let avoided = async |code: &str| {
        let mut body =
            fx.request(json!([{"specialty_prefixes": ["A03"], "count": 1, "reserves": 0}]));
        body["avoid_organisations"] = json!([{"name": "投标人", "credit_code": credit_code(code)}]);
        let created = fx.create_ok(&body).await;
        created["strata"][0]["excluded"]["avoided_organisation"]
            .as_u64()
            .unwrap_or(0)
    };
    let listed = fx
        .app
        .get_json("/api/v1/experts?region=420500", Some(&fx.admin))
        .await;
    let expert_id = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let issued: serde_json::Value = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert_id}/login"),
            Some(&fx.admin),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let username = issued["username"].as_str().unwrap().to_owned();
    let activated = fx
        .app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": username, "code": issued["activation_code"], "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(activated.status(), reqwest::StatusCode::NO_CONTENT);

    // The expert asks in the browser; a malformed code is marked before anything is sent.
    let expert = Browser::phone(&fx.app).await; // an expert's screen, checked at 390×844
    expert
        .login(&fx.app, &account(&username, Role::Expert))
        .await;
    expert.open("/console/#/expert/record").await;
    expert.wait_for("#change-form").await;
    // States in words, not the API's codes.
    expert.wait_for_text("#record-identity", "在库").await;
    expert.click("#tie-add").await;
    expert.select("#tie-kind-0", "supervisor").await;
    expert.fill("#tie-code-0", &credit_code(BOARD)[..17]).await;
    pick_date(&expert, "#tie-from-0", "2023-03-01").await;
    expert.click("#change-submit").await;
    expert.wait_for("#tie-code-0[aria-invalid=true]").await;
    expert.fill("#tie-code-0", &credit_code(BOARD)).await;
    expert.click("#change-submit").await;
    expert
        .wait_for("#change-requests [data-status=pending]")
        .await;
    expert.wait_for_text("#change-section", "待审核").await;
    expert.screenshot("expert-change-request").await;
    // Pending: not yet what draws see.
    assert_eq!(avoided(BOARD).await, 0);

    // The admin opens it (a logged read) and refuses it with a reason.
    let admin_account = fx.app.create_account("console-admin", Role::Admin).await;
    let admin = Browser::start(&fx.app).await;
    admin.login(&fx.app, &admin_account).await;
    admin.click(r#"nav a[data-route="admin/changes"]"#).await;
    let pending = fx
        .app
        .get_json("/api/v1/change-requests?status=pending", Some(&fx.admin))
        .await;
    let first = pending[0]["request_id"].as_str().unwrap().to_owned();
    admin.click(&format!("#change-open-{first}")).await;
    admin
        .wait_for_text("#change-detail", &credit_code(BOARD))
        .await;
    admin.fill("#change-refuse-reason", "太短").await;
    admin.click("#change-refuse").await;
    admin
        .wait_for("#change-refuse-reason[aria-invalid=true]")
        .await;
    let reason = "任职文件与工商登记不一致，请补充材料";
    admin.fill("#change-refuse-reason", reason).await;
    admin.click("#change-refuse").await;
    admin
        .wait_for_text("#changes-list", "没有符合条件的申请")
        .await;
    assert_eq!(avoided(BOARD).await, 0);

    // The expert reads why, and asks again with a new employer as well.
    let reopen_record = async || {
        expert
            .click(r#"nav a[data-route="expert/invitations"]"#)
            .await;
        expert.wait_for("#invitations").await;
        expert.click(r#"nav a[data-route="expert/record"]"#).await;
    };
    reopen_record().await;
    expert.wait_for_text("#change-requests", reason).await;
    expert.click("#tie-add").await;
    expert.fill("#tie-code-0", &credit_code(BOARD)).await;
    expert.click("#change-employer-toggle").await;
    expert
        .fill("#change-employer-name", "湖北某工程咨询有限公司")
        .await;
    expert
        .fill("#change-employer-code", &credit_code(NEW_EMPLOYER))
        .await;
    pick_date(&expert, "#change-employer-since", "2026-01-05").await;
    expert
        .fill("#change-note", "任职文件已补交专家库管理处")
        .await;
    expert.click("#change-submit").await;
    expert
        .wait_for("#change-requests [data-status=pending]")
        .await;

    // Approved in the console, it is the record and what draws avoid.
    admin.click(r#"nav a[data-route="admin/experts"]"#).await;
    admin.click(r#"nav a[data-route="admin/changes"]"#).await;
    let pending = fx
        .app
        .get_json("/api/v1/change-requests?status=pending", Some(&fx.admin))
        .await;
    let second = pending[0]["request_id"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    admin.click(&format!("#change-open-{second}")).await;
    admin
        .wait_for_text("#change-detail", &credit_code(NEW_EMPLOYER))
        .await;
    admin.screenshot("admin-change-request").await;
    admin.click("#change-approve").await;
    admin
        .wait_for_text("#changes-list", "没有符合条件的申请")
        .await;
    assert_eq!(avoided(BOARD).await, 1);
    assert_eq!(avoided(NEW_EMPLOYER).await, 1);
    reopen_record().await;
    expert
        .wait_for_text("#current-ties", &credit_code(BOARD))
        .await;
    expert
        .wait_for("#change-requests [data-status=approved]")
        .await;
    assert_eq!(
        fx.app
            .audit_entries_of("expert.change_request_opened")
            .await
            .len(),
        2
    );
    assert_no_console_errors(&expert).await;
    assert_no_console_errors(&admin).await;
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
    browser
        .fill("#draw-venue", "襄阳市公共资源交易中心 2 号评标室")
        .await;
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
    // The server's problem, headlined in the reader's language (its detail stays as sent).
    browser
        .wait_for_text(".error[role=alert]", "登录已失效，请重新登录")
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
    let draws = fx.app.get_json("/api/v1/draws", Some(&center)).await;
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

// --- supervisor: the audit view, the frequency chart, unseal approval -------------------------

/// A supervisor account for the browser, on a fixture whose pool and draws exist.
async fn supervisor_in_browser(fx: &DrawFixture, username: &str) -> (TestAccount, Browser) {
    let account = fx.app.create_account(username, Role::Supervisor).await;
    let browser = Browser::start(&fx.app).await;
    browser.login(&fx.app, &account).await;
    // English, so that assertions read like the verdicts a supervisor sees; the choice is kept.
    browser.click("#lang-switch").await;
    browser.wait_for_text("#lang-switch", "中文").await;
    (account, browser)
}

/// A verifier key of the same name as the log's but another Ed25519 key, in vkey form.
fn impostor_vkey(name: &str) -> String {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut data = vec![0x01];
    data.extend_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
    let mut hashed = format!("{name}\n").into_bytes();
    hashed.extend_from_slice(&data);
    let id = &sealdraw::crypto::Suite::Intl2024.hash(&hashed)[..4];
    format!(
        "{name}+{}+{}",
        hex::encode(id),
        base64::engine::general_purpose::STANDARD.encode(&data)
    )
}

/// Replaces the text of a textarea as typing would (an `input` event follows), changing one
/// character of the line selected by `line_js` (a JS predicate over `(line, index)`).
async fn alter_one_character(browser: &Browser, textarea: &str, line_js: &str) -> String {
    let script = format!(
        "const area = document.querySelector('{textarea}');
         const lines = area.value.split('\\n');
         const at = lines.findIndex({line_js});
         if (at < 0) return null;
         const line = lines[at];
         const position = Math.floor(line.length / 2);
         const c = line[position];
         lines[at] = line.slice(0, position) + (c === 'A' ? 'B' : 'A') + line.slice(position + 1);
         area.value = lines.join('\\n');
         area.dispatchEvent(new Event('input', {{ bubbles: true }}));
         return lines[at];"
    );
    let altered = browser.execute(&script).await;
    altered
        .as_str()
        .unwrap_or_else(|| panic!("no line of {textarea} matched {line_js}"))
        .to_owned()
}

/// Puts `text` in a textarea as pasting would (an `input` event follows).
async fn paste(browser: &Browser, css: &str, text: &str) {
    let script = format!(
        "const area = document.querySelector('{css}'); area.value = {};
         area.dispatchEvent(new Event('input', {{ bubbles: true }}));",
        serde_json::Value::from(text)
    );
    browser.execute(&script).await;
}

async fn textarea_value(browser: &Browser, css: &str) -> String {
    browser
        .execute(&format!("return document.querySelector('{css}').value;"))
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_supervisor_verifies_an_entry_in_the_browser_against_the_pinned_key_and_sees_tampering_rejected()
 {
    let fx = DrawFixture::new(&experts(12, "A0101")).await;
    let drawn = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 1 }])))
        .await;
    let index = drawn["result_index"].as_u64().unwrap();
    // Out of band: the deployment publishes the log's verifier key (`sealdraw audit key`).
    let vkey = fx.app.state.audit.vkeys().trim().to_owned();
    let (name, rest) = vkey.split_once('+').unwrap();
    let key_id = &rest[..8];
    let (_, browser) = supervisor_in_browser(&fx, "auditor").await;
    browser.open("/console/#/audit/log").await;

    // Nothing verifies before a key is pinned, and the server's key is never used instead.
    browser
        .wait_for_text("#pinned-key-info", "No key pinned")
        .await;
    browser.fill("#entry-index", &index.to_string()).await;
    browser.click("#fetch-proof").await;
    browser.wait_for("#verify-result[data-code='no-key']").await;

    // A key whose id does not match its name and public key is refused at pinning.
    let wrong_id = format!(
        "{name}+{}{}",
        if key_id == "00000000" {
            "00000001"
        } else {
            "00000000"
        },
        &rest[8..]
    );
    browser.fill("#pinned-key", &wrong_id).await;
    browser.click("#pin-key").await;
    browser
        .wait_for_text("[role='alert']", "key id does not match")
        .await;
    browser
        .wait_for_text("#pinned-key-info", "No key pinned")
        .await;

    // A well-formed key of another signer pins, and then nothing the log signed verifies.
    let impostor = impostor_vkey(name);
    browser.fill("#pinned-key", &impostor).await;
    browser.click("#pin-key").await;
    browser.wait_for_text("#pinned-key-info", "Pinned: ").await;
    browser.click("#verify-proof").await;
    let refused = browser
        .wait_for_text("#verify-result.error", "No signature by the pinned key")
        .await;
    assert!(refused.contains(name), "{refused}");
    browser.click("#checkpoint-verify").await;
    browser
        .wait_for("#checkpoint-verdict.error[data-code='no-signature']")
        .await;

    // The right key: the entry's proof verifies in the browser, naming what it checked.
    browser.fill("#pinned-key", &vkey).await;
    browser.click("#pin-key").await;
    browser
        .wait_for_text(
            "#pinned-key-info",
            &format!("Pinned: {name}, key id {key_id}"),
        )
        .await;
    browser.fill("#entry-index", &index.to_string()).await;
    browser.click("#fetch-proof").await;
    let verdict = browser
        .wait_for_text("#verify-result.ok", "Verified in this browser")
        .await;
    // The whole log, verified in the browser with the pinned key, then exported as a tar that
    // `sealdraw audit verify` accepts offline (issue 24 §4/§5).
    browser.click("#whole-verify").await;
    browser
        .wait_for_text("#whole-verdict[data-code='ok']", "The whole log verifies")
        .await;
    browser
        .execute(
            "window.__exports = []; const make = URL.createObjectURL.bind(URL); \
             URL.createObjectURL = (blob) => { window.__exports.push(blob); return make(blob); };",
        )
        .await;
    browser.click("#whole-export").await;
    browser.wait_for("#whole-exported").await;
    browser.screenshot("audit-whole-log").await;
    let encoded = browser
        .execute(
            "return new Promise((done) => { const reader = new FileReader(); \
             reader.onload = () => done(reader.result.split(',')[1]); \
             reader.readAsDataURL(window.__exports[0]); });",
        )
        .await;
    let tar = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("export.tar");
    std::fs::write(&archive, &tar).unwrap();
    let unpacked = dir.path().join("export");
    std::fs::create_dir(&unpacked).unwrap();
    let untar = std::process::Command::new("tar")
        .args([
            "-xf",
            archive.to_str().unwrap(),
            "-C",
            unpacked.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(untar.status.success(), "{untar:?}");
    let verified = crate::helpers::run_cli(
        &fx.app,
        &[
            "audit",
            "verify",
            unpacked.to_str().unwrap(),
            "--key",
            &vkey,
        ],
        None,
    );
    assert!(
        verified.status.success(),
        "the browser's export does not verify: {}",
        crate::helpers::stdout_of(&verified)
    );

    let proof = textarea_value(&browser, "#proof-text").await;
    let size: u64 = proof
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > index);
    assert!(
        verdict.contains(&format!(
            "entry {index} is in log {name} at tree size {size}."
        )),
        "{verdict}"
    );
    assert!(
        verdict.contains(key_id) && verdict.contains(&format!("entry {index} shown above")),
        "{verdict}"
    );
    let role = browser
        .execute("return document.querySelector('#verify-result').getAttribute('role');")
        .await;
    assert_eq!(role, "status");
    // The entry shown is the draw's result, byte for byte as served.
    let shown = browser.text("#entry-detail pre").await;
    assert!(
        shown.contains("\"type\":\"draw.result\"")
            && shown.contains(drawn["draw_id"].as_str().unwrap())
    );
    browser.screenshot("audit-entry-verified").await;

    // One character of one proof hash altered: the path no longer reaches the signed root.
    let index_line = format!("index {index}");
    alter_one_character(
        &browser,
        "#proof-text",
        &format!("(l, i, all) => i === all.indexOf('{index_line}') + 1"),
    )
    .await;
    // Editing the proof withdraws the earlier verdict at once.
    assert_eq!(
        browser
            .execute("return document.querySelector('#verify-result');")
            .await,
        serde_json::Value::Null
    );
    browser.click("#verify-proof").await;
    let mismatch = browser
        .wait_for_text("#verify-result.error", "Root mismatch")
        .await;
    assert!(mismatch.contains(&size.to_string()), "{mismatch}");
    let role = browser
        .execute("return document.querySelector('#verify-result').getAttribute('role');")
        .await;
    assert_eq!(role, "alert");
    browser.screenshot("audit-proof-root-mismatch").await;

    // The proof as served again, then its checkpoint's signature altered: refused.
    paste(&browser, "#proof-text", &proof).await;
    browser.click("#verify-proof").await;
    browser.wait_for("#verify-result.ok").await;
    alter_one_character(&browser, "#proof-text", "(l) => l.startsWith('\u{2014} ')").await;
    browser.click("#verify-proof").await;
    browser
        .wait_for_text(
            "#verify-result.error[data-code='bad-signature']",
            "Bad signature",
        )
        .await;

    // The latest checkpoint: verifies as served, refused once its signature is altered.
    browser.click("#checkpoint-verify").await;
    browser
        .wait_for_text("#checkpoint-verdict.ok", "is signed by the pinned key")
        .await;
    alter_one_character(
        &browser,
        "#checkpoint-text",
        "(l) => l.startsWith('\u{2014} ')",
    )
    .await;
    browser.click("#checkpoint-verify").await;
    browser
        .wait_for_text("#checkpoint-verdict.error", "Bad signature")
        .await;
    browser.screenshot("audit-checkpoint-bad-signature").await;

    // The draw record: every entry of the family (intent, the center's contribution, result)
    // verified in the browser, chained, and counted by the signed head.
    let draw_id = drawn["draw_id"].as_str().unwrap();
    browser.fill("#record-draw-id", draw_id).await;
    browser.click("#verify-record").await;
    browser
        .wait_for_text(
            "#record-result.ok",
            &format!("all 3 entries of the draw family of {draw_id}"),
        )
        .await;
    browser.screenshot("audit-draw-record-verified").await;

    let problems: Vec<String> = browser
        .console_log()
        .await
        .into_iter()
        .filter(|line| line.starts_with("SEVERE"))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn the_frequency_chart_shows_one_bar_per_seat_count_after_draws() {
    let fx = DrawFixture::new(&experts(10, "A0101")).await;
    for _ in 0..4 {
        fx.drawn(
            &fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 0 }])),
        )
        .await;
    }
    let (_, browser) = supervisor_in_browser(&fx, "watcher").await;
    browser.open("/console/#/supervisor/frequency").await;
    browser.fill("#frequency-days", "30").await;
    browser.click("#frequency-load").await;
    browser.wait_for("#frequency-chart rect.bar").await;

    // What the server reports, read the way the API gives it to a supervisor.
    let report = fx
        .app
        .get_json(
            "/api/v1/reports/draw-frequency?days=30",
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(report["total_seats"], 12);
    let bars = browser
        .execute(
            "return [...document.querySelectorAll('#frequency-chart rect.bar')].map(b =>
               [Number(b.dataset.seats), Number(b.dataset.experts), Number(b.getAttribute('height'))]);",
        )
        .await;
    let bars = bars.as_array().unwrap();
    assert_eq!(bars.len() as u64, report["max"].as_u64().unwrap());
    let mut experts_drawn = 0;
    for bar in bars {
        let seats = bar[0].as_u64().unwrap();
        let experts = bar[1].as_u64().unwrap();
        let expected = report["histogram"][seats.to_string()].as_u64().unwrap_or(0);
        assert_eq!(experts, expected, "bar for {seats} seat(s)");
        assert_eq!(bar[2].as_f64().unwrap() > 0.0, experts > 0);
        experts_drawn += experts;
    }
    assert_eq!(
        experts_drawn,
        report["experts_with_seats"].as_u64().unwrap()
    );
    let figures = browser.text("#frequency-figures").await;
    assert!(
        figures.contains(report["mean"].as_str().unwrap()),
        "{figures}"
    );
    assert!(
        figures.contains(report["standard_deviation"].as_str().unwrap()),
        "{figures}"
    );
    // The same numbers as a table for screen readers, and the chart is labelled.
    let rows = browser
        .execute("return document.querySelectorAll('#frequency-output table')[0].tBodies[0].rows.length;")
        .await;
    assert_eq!(rows.as_u64().unwrap(), bars.len() as u64);
    let label = browser
        .execute("return document.getElementById(document.querySelector('#frequency-chart').getAttribute('aria-labelledby')).textContent;")
        .await;
    assert_eq!(label, "Seats per expert over the last 30 days");
    browser.screenshot("supervisor-frequency").await;
}

#[tokio::test]
async fn a_second_supervisor_approves_unseal_requests_and_publications_in_the_console() {
    // Tokens outlive the evaluation window, which passes before the list is published.
    let fx = DrawFixture::with(
        &experts(12, "A0101"),
        crate::invitations::outlive_the_evaluation,
    )
    .await;
    let drawn = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 1 }])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap();
    let listed = fx
        .app
        .get_json("/api/v1/experts?limit=2", Some(&fx.admin))
        .await;
    let expert = listed["experts"][0]["expert_id"].as_str().unwrap();
    let mut requests = Vec::new();
    for reason in ["核查投诉所涉专家身份一", "核查投诉所涉专家身份二"] {
        let created: serde_json::Value = fx
            .app
            .post(
                "/api/v1/unseal-requests",
                Some(&fx.supervisor),
                &json!({"expert_ids": [expert], "fields": ["name", "phone"], "reason": reason, "valid_minutes": 30}),
            )
            .await
            .json()
            .await
            .unwrap();
        requests.push(created["request_id"].as_str().unwrap().to_owned());
    }
    // The requester is shown by the display name an admin gave, not by an account id.
    let named = fx
        .app
        .request(
            reqwest::Method::PATCH,
            "/api/v1/accounts/supervisor",
            Some(&fx.admin),
        )
        .json(&json!({"display_name": "王芳（省公共资源交易监督局）"}))
        .send()
        .await
        .unwrap();
    assert_eq!(named.status(), reqwest::StatusCode::NO_CONTENT);
    let (approver, browser) = supervisor_in_browser(&fx, "second-pair").await;
    browser.open("/console/#/supervisor/overview").await;
    // The live view shows the draw with its confirmation progress.
    browser
        .wait_for_text("#draws", "0/3 confirmed, 3 awaiting")
        .await;
    // A recheck of the draw's eligible sets, in counts, kept below the live table.
    browser.click(&format!("#recheck-{draw_id}")).await;
    browser
        .wait_for_text(
            "#recheck-result",
            "The stored filter matches the intent’s commitment.",
        )
        .await;
    browser.wait_for_text("#recheck-result", "match").await;
    assert_eq!(fx.app.audit_entries_of("draw.recheck").await.len(), 1);

    let (approve, refuse) = (&requests[0], &requests[1]);
    browser
        .wait_for_text(
            &format!("#unseal-{approve}"),
            "王芳（省公共资源交易监督局）",
        )
        .await;
    browser.click(&format!("#unseal-approve-{approve}")).await;
    browser
        .wait_for_text(
            &format!("#unseal-{approve} .warning"),
            "unseal name、phone of 1 expert(s)",
        )
        .await;
    browser
        .screenshot("supervisor-overview-confirm-unseal")
        .await;
    browser.click(&format!("#unseal-confirm-{approve}")).await;
    browser.wait_for_text("#unseal-decided", "approved").await;
    browser
        .wait_for_text("#unseal-decided", "王芳（省公共资源交易监督局）")
        .await;
    // A refusal says why: too short is refused in the page, then the reason goes with it.
    browser.click(&format!("#unseal-refuse-{refuse}")).await;
    browser
        .fill(&format!("#unseal-refuse-reason-{refuse}"), "不同意")
        .await;
    browser
        .click(&format!("#unseal-refuse-confirm-{refuse}"))
        .await;
    browser
        .wait_for_text("[role=alert]", "at least 10 characters")
        .await;
    browser
        .fill(
            &format!("#unseal-refuse-reason-{refuse}"),
            "投诉材料不足以支持查看专家身份",
        )
        .await;
    browser
        .click(&format!("#unseal-refuse-confirm-{refuse}"))
        .await;
    browser.wait_for_text("#unseal-decided", "refused").await;
    browser
        .wait_for_text("#unseal-decided", "投诉材料不足以支持查看专家身份")
        .await;
    browser
        .wait_for_text("#unseal-pending", "No request awaits a decision")
        .await;
    browser.screenshot("supervisor-overview").await;

    // The decisions are the server's state, taken by the account in the browser.
    let token = fx.app.login(&approver).await;
    let me = fx.app.get_json("/api/v1/me", Some(&token)).await;
    let all = fx
        .app
        .get_json("/api/v1/unseal-requests", Some(&fx.supervisor))
        .await;
    let state_of = |id: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"] == id)
            .unwrap()
            .clone()
    };
    let approved = state_of(approve);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], me["account_id"]);
    assert!(approved["valid_until"].is_string());
    let refused = state_of(refuse);
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["decided_by"], me["account_id"]);
    assert_eq!(refused["decision_reason"], "投诉材料不足以支持查看专家身份");

    // The center asks to publish the committee list; the request appears in the same live view
    // with its reason, and is approved there.
    let committee = format!("/api/v1/draws/{draw_id}/committee");
    fx.confirm_all(draw_id).await;
    // The list is confidential until the evaluation is over: for this on-site draw, the end of
    // its evaluation window.
    crate::invitations::past_the_evaluation_window(&fx, &drawn).await;
    let asked = fx
        .app
        .post(
            &format!("/api/v1/draws/{draw_id}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await;
    assert_eq!(asked.status(), 201);
    assert_eq!(fx.app.get(&committee, Some(&fx.center)).await.status(), 403);
    browser
        .wait_for_text("#publications", "中标候选人公示需要公布评标委员会名单")
        .await;
    browser
        .click(&format!("#publication-approve-{draw_id}"))
        .await;
    browser
        .wait_for_text("#confirm-text", "cannot be taken back")
        .await;
    browser.screenshot("supervisor-publication-confirm").await;
    browser.click("#confirm-yes").await;
    browser
        .wait_for_text("#publication-result", "approved")
        .await;
    browser.wait_for_text("#publications", "Approved (").await;
    browser.screenshot("supervisor-publication-approved").await;
    assert_eq!(fx.app.get(&committee, Some(&fx.center)).await.status(), 200);
    let publications = fx
        .app
        .get_json("/api/v1/publications", Some(&fx.supervisor))
        .await;
    assert_eq!(publications[0]["approved_by"], me["account_id"]);
}

// ---- The expert's screens and the session room (expert.js, session.js) ----

mod session_room {
    use reqwest::StatusCode;
    use sealdraw::auth::Role;
    use sealdraw::session::protocol::Request;
    use sealdraw::terminal::client::SessionClient;
    use serde_json::{Value, json};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::browser::Browser;
    use crate::draws::{DrawFixture, experts};
    use crate::helpers::{PASSWORD, TestAccount};
    use crate::invitations::{answer, expert_accounts, invited};
    use crate::sessions::{all_agree, bidders_and_criteria, ok, sheet};

    /// A TCP relay in front of the server: it can drop every connection through it and refuse
    /// new ones for a while, which is a network outage as the browser behind it sees one.
    struct Relay {
        port: u16,
        cut: Arc<tokio::sync::watch::Sender<u64>>,
        up: Arc<AtomicBool>,
    }

    impl Relay {
        /// Relays what reaches `listener` (bound before the server, whose settings name the
        /// relay's origin) to the server on `target`.
        fn start(listener: tokio::net::TcpListener, target: u16) -> Relay {
            let port = listener.local_addr().unwrap().port();
            let cut = Arc::new(tokio::sync::watch::channel(0u64).0);
            let up = Arc::new(AtomicBool::new(true));
            let (cuts, open) = (cut.clone(), up.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        continue; // dropped: the connection closes at once
                    }
                    let mut cut = cuts.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut outbound) =
                            tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                        else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            });
            Relay { port, cut, up }
        }

        fn outage_begins(&self) {
            self.up.store(false, Ordering::SeqCst);
            self.cut.send_modify(|n| *n += 1);
        }

        fn outage_ends(&self) {
            self.up.store(true, Ordering::SeqCst);
        }
    }

    async fn connect(fx: &DrawFixture, session_id: &str, bearer: &str) -> SessionClient {
        let endpoint = fx.app.session_endpoint();
        let response = fx
            .app
            .post(
                &format!("/api/v1/sessions/{session_id}/ticket"),
                Some(bearer),
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let ticket: Value = response.json().await.unwrap();
        SessionClient::connect(
            &endpoint,
            ticket["path"].as_str().unwrap(),
            ticket["ticket"].as_str().unwrap(),
            0,
        )
        .await
        .unwrap()
    }

    /// The host moves the session on to `phase`: the button, then the confirmation that says
    /// what the move does.
    async fn advance(host: &Browser, phase: &str) {
        host.click(&format!("#next-phase[data-to='{phase}']")).await;
        host.wait_for("#confirm-dialog #confirm-text").await;
        host.click("#confirm-yes").await;
        host.wait_for_gone("#confirm-dialog").await;
    }

    /// The sequence numbers of the room's event log, newest first, as the page shows them.
    async fn shown_seqs(browser: &Browser) -> Vec<i64> {
        let seqs = browser
            .execute("return [...document.querySelectorAll('#event-log li')].map((li) => Number(li.dataset.seq));")
            .await;
        seqs.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_i64().unwrap())
            .collect()
    }

    /// Sets a date input as a date picker would (typing into one depends on the locale).
    async fn set_date(browser: &Browser, css: &str, day: &str) {
        browser.wait_for(css).await;
        browser
            .execute(&format!(
                "const e = document.querySelector('{css}'); e.value = '{day}'; e.dispatchEvent(new Event('input', {{ bubbles: true }}));"
            ))
            .await;
    }

    /// The issue's main scenario: an expert, in a browser, keeps their record, accepts the
    /// invitation, joins the session with its join code, declares, votes, scores (through a
    /// network outage) and signs, while the host moves the phases in a second browser and a
    /// supervisor watches, approves a clarification and warns in a third; the other four
    /// members are session clients.
    #[tokio::test]
    async fn an_expert_joins_declares_votes_scores_and_signs_in_the_browser_while_a_host_and_a_supervisor_follow_live()
     {
        // The expert's browser reaches the server through a relay the test can cut; the
        // console's origin there is the relay's.
        let relay_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_port = relay_listener.local_addr().unwrap().port();
        let fx = DrawFixture::with(&experts(15, "A0301"), move |settings| {
            settings.auth.address_attempts_per_minute = 10_000;
            settings
                .session
                .allowed_origins
                .push(format!("https://127.0.0.1:{relay_port}"));
        })
        .await;
        let logins = expert_accounts(&fx).await;
        for name in ["center-b", "center-c"] {
            fx.app.create_account(name, Role::Center).await;
        }
        let watcher = fx
            .app
            .create_account("supervisor-web", Role::Supervisor)
            .await;
        let mut body =
            fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 5, "reserves": 0 }]));
        body["mode"] = json!("cross_site");
        body["project_region"] = json!("420500");
        let draw_id = fx.drawn(&body).await["draw_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tokens: Vec<(String, String)> = logins
            .iter()
            .map(|l| (String::new(), l.token.clone()))
            .collect();
        let pending = invited(&fx, &tokens, "pending").await;
        assert_eq!(pending.len(), 5);
        let (web_token, web_invitation) = pending[0].clone();
        let web = logins.iter().find(|l| l.token == web_token).unwrap();
        let mut others = Vec::new();
        for (bearer, invitation) in &pending[1..] {
            let accepted: Value = answer(&fx, bearer, invitation, json!({"accept": true}))
                .await
                .json()
                .await
                .unwrap();
            others.push((
                bearer.clone(),
                accepted["session_join_code"].as_str().unwrap().to_owned(),
            ));
        }

        // The expert is on a phone (issue 24 §1): every screen below is checked at 390×844.
        let relay = Relay::start(relay_listener, fx.app.port);
        let expert = Browser::trusting_phone(
            &fx.app.certs.server_cert(),
            format!("https://127.0.0.1:{}", relay.port),
        )
        .await;
        expert.open("/console/").await;
        expert.fill("#login-username", &web.username).await;
        expert.fill("#login-password", PASSWORD).await;
        expert.click("#login-submit").await;
        expert.wait_for_text("#whoami", &web.username).await;

        // Own record: a wrong phone and a wrong credit code are marked before anything is sent.
        expert.open("/console/#/expert/record").await;
        expert.fill("#record-phone", "1234").await;
        expert.click("#relative-add").await;
        expert.fill("#relative-0", "91420100MA4K12345A").await;
        expert.click("#leave-add").await;
        set_date(&expert, "#leave-from-0", "2027-01-10").await;
        set_date(&expert, "#leave-to-0", "2027-01-20").await;
        expert.click("#record-save").await;
        expert.wait_for("#record-phone[aria-invalid='true']").await;
        expert.wait_for("#relative-0[aria-invalid='true']").await;
        expert.wait_for("#record-phone-error").await;
        expert.fill("#record-phone", "13912345678").await;
        expert.fill("#relative-0", "91420100MA4K12345K").await;
        expert.click("#history-add").await;
        expert.fill("#history-code-0", "914201061775803154").await;
        set_date(&expert, "#history-from-0", "2015-03-01").await;
        set_date(&expert, "#history-to-0", "2020-06-30").await;
        expert.screenshot("expert-record").await;
        expert.click("#record-save").await;
        // The new phone waits for an admin as a change request; the rest is saved at once.
        expert.wait_for_text("#toast", "待管理员审核").await;
        expert
            .wait_for("#change-requests [data-status=pending]")
            .await;
        let record = fx.app.get_json("/api/v1/me/expert", Some(&web.token)).await;
        assert_ne!(record["identity"]["phone"], "13912345678");
        assert_eq!(
            record["change_requests"][0]["contact"]["phone"],
            "13912345678"
        );
        assert_eq!(
            record["leave"],
            json!([{"from": "2027-01-10", "to": "2027-01-20"}])
        );
        assert!(
            record["identity"]["relatives_employers"]
                .as_str()
                .unwrap()
                .contains("91420100MA4K12345K")
        );
        assert!(
            record["identity"]["employer_history"]
                .as_str()
                .unwrap()
                .contains("914201061775803154")
        );

        // The invitation: accepted in the browser, which then shows the join code.
        let invitation_id = web_invitation["invitation_id"].as_str().unwrap().to_owned();
        expert.open("/console/#/expert/invitations").await;
        expert.click(&format!("#accept-{invitation_id}")).await;
        let join_code = expert.text(&format!("#join-code-{invitation_id}")).await;
        assert_eq!(join_code.len(), 10, "{join_code}");
        expert
            .wait_for(&format!(
                "#invitation-{invitation_id}[data-state='accepted']"
            ))
            .await;
        expert.screenshot("expert-invitation-accepted").await;
        let mine = fx
            .app
            .get_json("/api/v1/me/invitations", Some(&web.token))
            .await;
        assert_eq!(mine[0]["state"], "accepted");
        assert_eq!(mine[0]["session_join_code"], join_code.as_str());

        // The host creates the session; the supervisor "supervisor-web" is attached.
        let mut session = bidders_and_criteria();
        // A third bid, which the committee rejects (实施条例 §51).
        session["bidders"] = json!(["Bidder A", "Bidder B", "Bidder C"]);
        session["draw_id"] = json!(draw_id);
        session["supervisors"] = json!(["supervisor", "supervisor-web"]);
        session["venues"] = json!([
            {"name": "襄阳市公共资源交易中心 主场", "seats": 2},
            {"name": "武汉 副场", "operator": "center-b", "seats": 2},
            {"name": "宜昌 副场", "operator": "center-c", "seats": 2},
        ]);
        let response = fx
            .app
            .post("/api/v1/sessions", Some(&fx.center), &session)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let session_id = response.json::<Value>().await.unwrap()["session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let room = format!("/console/#/session/room?id={session_id}");
        let my_seat = fx
            .app
            .get(&format!("/api/v1/sessions/{session_id}"), Some(&web.token))
            .await
            .json::<Value>()
            .await
            .unwrap()["your_seat"]
            .as_u64()
            .unwrap();

        let host = Browser::start(&fx.app).await;
        let center = TestAccount {
            username: "center".into(),
            role: Role::Center,
            totp_secret: None,
        };
        host.login(&fx.app, &center).await;
        host.open(&room).await;
        host.wait_for("#connection-state[data-state='connected']")
            .await;
        let supervisor = Browser::start(&fx.app).await;
        supervisor.login(&fx.app, &watcher).await;
        supervisor.open("/console/#/session/list").await;
        supervisor.click(&format!("#open-{session_id}")).await;
        supervisor
            .wait_for("#connection-state[data-state='connected']")
            .await;

        // Scheduled: the host adds randomness for the seat assignment and opens check-in.
        host.click("#contribute-entropy").await;
        host.wait_for_text("#toast", "随机数").await;
        host.click("#next-phase[data-to='check_in']").await;
        host.wait_for_text("#confirm-text", "签到").await;
        host.screenshot("host-advance-confirm").await;
        host.click("#confirm-yes").await;
        host.wait_for("#phase[data-phase='check_in']").await;

        // The expert opens the session from the list and checks in with the join code; a
        // wrong one is refused first.
        expert.open("/console/#/session/list").await;
        expert.wait_for(&format!("#open-{session_id}")).await;
        expert.screenshot("expert-session-list").await;
        expert.click(&format!("#open-{session_id}")).await;
        expert
            .wait_for("#connection-state[data-state='connected']")
            .await;
        expert.fill("#join-code", "zz").await;
        expert.click("#check-in").await;
        expert.wait_for("#join-code[aria-invalid='true']").await;
        expert.screenshot("session-check-in").await;
        expert.fill("#join-code", "0000000000").await;
        expert.click("#check-in").await;
        expert.wait_for_text("[role='alert']", "加入码不正确").await;
        expert.fill("#join-code", &join_code).await;
        expert.click("#check-in").await;
        expert.wait_for_text("#actions-region", "您已签到").await;
        host.wait_for(&format!("#seat-{my_seat} [class='badge good']"))
            .await;

        // Too early: the host is told which seats have not checked in.
        let mut clients = Vec::new();
        for (bearer, code) in &others {
            let client = connect(&fx, &session_id, bearer).await;
            clients.push((client, code.clone()));
        }
        advance(&host, "recusal").await;
        let problems = host
            .text("#advance-problems li[data-code='not-checked-in']")
            .await;
        for (client, _) in &clients {
            assert!(
                problems.contains(&format!("专家 {}", client.seat.unwrap())),
                "{problems}"
            );
        }
        host.screenshot("host-refused-move").await;
        for (client, code) in clients.iter_mut() {
            ok(
                client,
                Request::CheckIn {
                    join_code: code.clone().into(),
                },
            )
            .await;
        }
        advance(&host, "recusal").await;
        host.wait_for("#phase[data-phase='recusal']").await;

        // Declarations: the expert declares no conflict with the bidders listed beside the
        // button; then the chair election (everyone votes for the lowest seat).
        expert.wait_for_text("#declare-bidders", "Bidder A").await;
        expert.wait_for_text("#declare-bidders", "Bidder B").await;
        expert.screenshot("session-declare").await;
        expert.click("#declare-none").await;
        expert
            .wait_for_text("#actions-region", "您已声明无利害关系")
            .await;
        for (client, _) in clients.iter_mut() {
            ok(client, Request::Declare { conflict: false }).await;
        }
        advance(&host, "chair_election").await;
        let chair = clients
            .iter()
            .map(|(c, _)| c.seat.unwrap())
            .chain([my_seat as u32])
            .min()
            .unwrap();
        expert.select("#vote-seat", &chair.to_string()).await;
        expert.click("#vote-submit").await;
        for (client, _) in clients.iter_mut().take(2) {
            ok(client, Request::Vote { seat: chair }).await;
        }
        expert
            .wait_for_text("#chair", &format!("专家 {chair}"))
            .await;
        advance(&host, "evaluation").await;

        // 实施条例 §51: the expert proposes rejecting Bidder C with a ground and written
        // reasons (too short first); two more members of five make a majority, and the bid
        // leaves the score sheets.
        expert.click("#reject-panel > summary").await;
        expert.select("#reject-bidder", "Bidder C").await;
        expert.select("#reject-ground", "price_out_of_bounds").await;
        expert.fill("#reject-reasons", "太低").await;
        expert.click("#reject-submit").await;
        expert
            .wait_for("#reject-reasons[aria-invalid='true']")
            .await;
        expert
            .fill("#reject-reasons", "投标报价低于成本，澄清后仍不能合理说明")
            .await;
        expert.click("#reject-submit").await;
        host.wait_for("#rejection-1[data-state='open']").await;
        for (client, _) in clients.iter_mut().take(2) {
            ok(
                client,
                Request::VoteRejection {
                    proposal: 1,
                    reject: true,
                },
            )
            .await;
        }
        expert
            .wait_for("#rejection-1[data-state='rejected'][data-bidder='Bidder C']")
            .await;
        expert.wait_for("#sheet-2[data-rejected='true']").await;

        // Scoring: a score over the criterion's maximum is refused on the page.
        expert.fill("#score-0-0", "61").await;
        expert.fill("#score-0-1", "30").await;
        expert.click("#sheet-submit-0").await;
        expert.wait_for("#score-0-0[aria-invalid='true']").await;
        expert.fill("#score-0-0", "52.5").await;
        expert.click("#sheet-submit-0").await;
        expert
            .wait_for("#sheet-status-0[data-recorded='true']")
            .await;
        assert!(expert.text("#sheet-status-0").await.contains("82.50"));
        // A clarification request, approved by the supervisor in their browser.
        expert.click("#clarify-panel > summary").await;
        expert
            .fill("#clarify-question", "请澄清第 3.2 节的工期安排")
            .await;
        expert.click("#clarify-submit").await;
        supervisor.click("#clarification-1-approve").await;
        expert
            .wait_for("#clarification-1[data-state='approved']")
            .await;
        supervisor.fill("#warn-text", "请勿讨论投标人背景").await;
        supervisor.click("#warn-submit").await;
        expert
            .wait_for_text("#warnings", "请勿讨论投标人背景")
            .await;
        // 实施条例 §48: this expert finds the time insufficient, and a second member of five
        // makes more than a third: the page shows the extended end at once.
        expert.click("#time-insufficient").await;
        expert.wait_for("#time-insufficient[disabled]").await;
        let (other, _) = clients.iter_mut().next().unwrap();
        ok(other, Request::DeclareTimeInsufficient {}).await;
        expert.wait_for_text("#time-ends", "已延长 1 次").await;
        // A countdown beside the end (against the browser's clock, which the test's server
        // clock does not drive: "still to go" or "passed", either in words).
        let countdown = expert.text("#time-countdown").await;
        assert!(
            countdown.contains("还有") || countdown.contains("已过"),
            "{countdown}"
        );
        expert.screenshot("session-scoring").await;
        supervisor
            .wait_for(&format!("#seat-{my_seat}[data-connected='true']"))
            .await;
        supervisor.screenshot("supervisor-session").await;

        // The network drops: the page says so, and a sheet submitted meanwhile waits.
        let before = shown_seqs(&expert).await;
        relay.outage_begins();
        expert
            .wait_for("#connection-state[data-state='reconnecting']")
            .await;
        expert.fill("#score-1-0", "45").await;
        expert.fill("#score-1-1", "35.25").await;
        expert.click("#sheet-submit-1").await;
        for (client, _) in clients.iter_mut() {
            let technical = format!("{}.5", 40 + client.seat.unwrap());
            ok(client, sheet("Bidder A", &technical, "30")).await;
            ok(client, sheet("Bidder B", "45", "35.25")).await;
        }
        expert.screenshot("session-reconnecting").await;
        relay.outage_ends();
        expert
            .wait_for("#connection-state[data-state='connected']")
            .await;
        expert
            .wait_for("#sheet-status-1[data-recorded='true']")
            .await;
        let others_seats: Vec<u32> = clients.iter().map(|(c, _)| c.seat.unwrap()).collect();
        for seat in &others_seats {
            expert
                .wait_for_text(
                    "#event-log",
                    &format!("专家 {seat} 已提交对 Bidder B 的评分表"),
                )
                .await;
        }
        let after = shown_seqs(&expert).await;
        let mut unique = after.clone();
        unique.dedup();
        assert_eq!(unique, after, "no event twice");
        assert!(
            after.windows(2).all(|w| w[0] > w[1]),
            "newest first, in order: {after:?}"
        );
        assert!(after.len() > before.len());
        // The language switch redraws the room without a new connection.
        expert.click("#lang-switch").await;
        expert.wait_for_text("#connection-state", "Connected").await;
        assert_eq!(shown_seqs(&expert).await, after);
        expert.click("#lang-switch").await;

        // Summary and signing.
        advance(&host, "summary").await;
        expert.wait_for("#summary").await;
        advance(&host, "signing").await;
        expert
            .wait_for("#report-verified[data-verified='true']")
            .await;
        // The signing screen shows the report itself, not only its digest: the committee by
        // seat label, the rejected bid with its ground and reasons, the ranking and the
        // candidates.
        expert.wait_for("#actions-region #report-document").await;
        let committee_list = expert.text("#report-committee").await;
        assert!(
            committee_list.contains(&format!("专家 {my_seat}"))
                && committee_list.contains("主任委员"),
            "{committee_list}"
        );
        let rejected = expert
            .text("#report-rejections [data-proposal='1'][data-state='rejected']")
            .await;
        assert!(
            rejected.contains("Bidder C")
                && rejected.contains("投标报价低于成本或者高于招标文件设定的最高投标限价")
                && rejected.contains("澄清后仍不能合理说明"),
            "{rejected}"
        );
        expert
            .wait_for("#report-ranking tr[data-bidder='Bidder A']")
            .await;
        assert!(
            expert
                .text("#report-ranking")
                .await
                .find("Bidder C")
                .is_none(),
            "a rejected bid is not ranked"
        );
        let candidates = expert.text("#report-candidates").await;
        assert!(
            candidates.contains("Bidder A") && candidates.contains("Bidder B"),
            "{candidates}"
        );
        expert.wait_for("#print-report").await;
        expert
            .execute("document.getElementById('report-rejections').scrollIntoView()")
            .await;
        expert.screenshot("session-signing-report").await;
        // Staff read the same report in their room.
        supervisor
            .wait_for("#report #report-document #report-candidates")
            .await;
        expert.fill("#dissent-reasons", "太短").await;
        expert.click("#dissent-submit").await;
        expert
            .wait_for("#dissent-reasons[aria-invalid='true']")
            .await;
        expert.screenshot("session-signing").await;
        // Signing asks first; cancelled, nothing is signed.
        expert.click("#sign-report").await;
        expert.wait_for_text("#confirm-text", "不能撤回").await;
        expert.screenshot("session-sign-confirm").await;
        expert.click("#confirm-no").await;
        expert.wait_for_gone("#confirm-dialog").await;
        assert!(expert.execute("return document.querySelector('#my-signature') === null || document.querySelector('#my-signature').dataset.signature !== 'agree';").await.as_bool().unwrap());
        expert.click("#sign-report").await;
        expert.click("#confirm-yes").await;
        expert
            .wait_for("#my-signature[data-signature='agree']")
            .await;
        let draft = expert.text("#report-sha256").await;
        all_agree(clients.iter_mut().map(|(c, _)| c), &draft).await;
        host.wait_for_text(&format!("#seat-{my_seat}"), "同意")
            .await;
        host.screenshot("host-session-signing").await;
        advance(&host, "closed").await;
        expert.wait_for("#phase[data-phase='closed']").await;
        supervisor.wait_for("#final-report-sha256").await;

        // Closed: the host rates the browser expert's seat in the room (issue 16 §6).
        let rate = format!("seat-{my_seat}");
        host.wait_for("#session-ratings").await;
        for mark in ["punctuality", "diligence", "discipline"] {
            host.select(&format!("#rate-{rate}-{mark}"), "5").await;
        }
        host.click(&format!("#rate-{rate}-submit")).await;
        host.click("#confirm-yes").await;
        host.wait_for(&format!("#rate-{rate} [data-rated='true']"))
            .await;
        host.screenshot("host-session-ratings").await;
        let rated = fx.app.audit_entries_of("session.rating").await;
        assert_eq!(rated.len(), 1);
        assert_eq!(rated[0]["data"]["seat"], my_seat);

        // The server's record: the report is signed by the browser expert's seat.
        let report = fx
            .app
            .get_json(
                &format!("/api/v1/sessions/{session_id}/report"),
                Some(&fx.supervisor),
            )
            .await;
        assert_eq!(report["final"], true);
        assert_eq!(report["report"]["draft_sha256"], draft.as_str());
        assert_eq!(report["report"]["chair"], chair);
        let seats = report["report"]["seats"].as_array().unwrap();
        let signed = seats.iter().find(|s| s["seat"] == my_seat).unwrap();
        assert_eq!(signed["signature"], "agree");
        let summary = report["report"]["summary"].as_array().unwrap();
        let mine_b = summary[1]["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seat"] == my_seat)
            .unwrap();
        assert_eq!(
            mine_b["total_centi"], 8025,
            "the sheet sent during the outage, once"
        );
        let mine_a = summary[0]["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seat"] == my_seat)
            .unwrap();
        assert_eq!(mine_a["total_centi"], 8250);
        // Nothing the pages logged is an error (CSP, Trusted Types, script failures).
        for browser in [&expert, &host, &supervisor] {
            let log = browser.console_log().await;
            assert!(
                !log.iter().any(|line| line.starts_with("SEVERE")
                    && !line.contains("ERR_")
                    && !line.contains("/ws?")),
                "{log:#?}"
            );
        }
    }
}

#[tokio::test]
async fn the_keyboard_alone_logs_in_and_follows_the_menu() {
    let app = spawn_app().await;
    let admin = app.create_account("keyboard-admin", Role::Admin).await;
    let browser = Browser::start(&app).await;
    browser.open("/console/").await;
    browser.wait_for("#login-form").await;
    // From the top of the page: the skip link, the language switch, then the form.
    press(&browser, "\u{E004}".into()).await;
    assert_eq!(
        browser.execute("return document.activeElement.id;").await,
        "skip-link"
    );
    press(&browser, "\u{E004}\u{E004}".into()).await;
    assert_eq!(
        browser.execute("return document.activeElement.id;").await,
        "login-username"
    );
    press(
        &browser,
        format!("keyboard-admin\u{E004}{}\u{E004}", crate::helpers::PASSWORD),
    )
    .await;
    press(
        &browser,
        format!("{}\u{E007}", app.fresh_totp(&admin).unwrap()),
    )
    .await;
    browser.wait_for_text("#whoami", "keyboard-admin").await;

    // The menu is reachable by Tab and followed with Enter.
    browser
        .execute("document.getElementById('skip-link').focus();")
        .await;
    let mut reached = None;
    for _ in 0..10 {
        press(&browser, "\u{E004}".into()).await;
        let route = browser
            .execute("return document.activeElement.dataset.route || null;")
            .await;
        if route == "admin/accounts" {
            reached = Some(route);
            break;
        }
    }
    assert!(
        reached.is_some(),
        "Tab never reached the accounts menu entry"
    );
    press(&browser, "\u{E007}".into()).await;
    browser.wait_for("#account-username").await;
    assert!(browser.current_url().await.ends_with("#/admin/accounts"));
}

/// Types into whatever has the keyboard focus, as a user at the keyboard would.
async fn press(browser: &Browser, keys: String) {
    let focused = browser.webdriver().active_element().await.unwrap();
    focused.send_keys(&keys).await.unwrap();
}

/// The issue asks for a console that works in current Chromium, Firefox and Edge. Edge is
/// Chromium, which every other test here drives; this smoke test walks, in Firefox, what
/// depends most on the browser's engine: a websocket under the console's CSP, the language
/// switch, and the audit view's Ed25519 and SHA-256 verification in the page. It also proves
/// that the way Firefox accepts the test server's certificate accepts no other.
#[tokio::test]
async fn the_console_works_in_firefox() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let browser = Browser::firefox(&fx.app).await;

    // Another certificate, even on loopback, is refused before any request reaches it.
    let impostor = Impostor::start().await;
    let refused = browser.webdriver().goto(&impostor.url).await;
    assert!(
        matches!(
            &refused,
            Err(fantoccini::error::CmdError::Standard(error))
                if error.error == fantoccini::error::ErrorStatus::InsecureCertificate
        ),
        "{refused:?}"
    );
    assert_eq!(
        impostor.answered(),
        0,
        "Firefox sent the impostor a request"
    );

    // The host follows the session room live: its websocket is allowed by the CSP.
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    browser
        .open(&format!(
            "/console/#/session/room?id={}",
            committee.session_id
        ))
        .await;
    browser
        .wait_for("#connection-state[data-state='connected']")
        .await;
    browser.wait_for_text("h1", "评标会议").await;
    browser.click("#lang-switch").await;
    browser.wait_for_text("h1", "Evaluation session").await;
    browser
        .wait_for_text("#connection-state", "Connected")
        .await;
    browser.screenshot("firefox-session-room").await;
    browser.click("#logout").await;

    // A supervisor (still in English: the choice is kept) verifies the draw's result entry
    // against the pinned key, and a proof with one hash altered is refused.
    let supervisor = fx
        .app
        .create_account("firefox-auditor", Role::Supervisor)
        .await;
    browser.login(&fx.app, &supervisor).await;
    let draw = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    let index = draw["result_index"]
        .as_u64()
        .unwrap_or_else(|| panic!("no result index: {draw}"));
    let vkey = fx.app.state.audit.vkeys().trim().to_owned();
    browser.open("/console/#/audit/log").await;
    browser.fill("#pinned-key", &vkey).await;
    browser.click("#pin-key").await;
    browser.wait_for_text("#pinned-key-info", "Pinned: ").await;
    browser.fill("#entry-index", &index.to_string()).await;
    browser.click("#fetch-proof").await;
    let verdict = browser
        .wait_for_text("#verify-result.ok", "Verified in this browser")
        .await;
    assert!(
        verdict.contains(&format!("entry {index} is in log")),
        "{verdict}"
    );
    browser.screenshot("firefox-audit-entry-verified").await;
    let index_line = format!("index {index}");
    alter_one_character(
        &browser,
        "#proof-text",
        &format!("(l, i, all) => i === all.indexOf('{index_line}') + 1"),
    )
    .await;
    browser.click("#verify-proof").await;
    browser
        .wait_for_text("#verify-result.error", "Root mismatch")
        .await;
    browser.screenshot("firefox-audit-proof-refused").await;
    // The whole log, verified in Firefox too.
    browser.click("#whole-verify").await;
    browser
        .wait_for_text("#whole-verdict[data-code='ok']", "The whole log verifies")
        .await;

    // This session's new screens: the supervisor asks to unseal an expert's name…
    let expert = fx
        .app
        .get_json("/api/v1/experts?limit=1", Some(&fx.admin))
        .await["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    browser
        .click(r#"nav a[data-route="supervisor/unseal"]"#)
        .await;
    browser.fill("#unseal-experts", &expert).await;
    browser.click("#unseal-field-name").await;
    browser
        .fill("#unseal-reason", "核查投诉所涉专家身份是否属实")
        .await;
    browser.click("#unseal-submit").await;
    browser
        .wait_for_text("#unseal-mine", "awaiting approval")
        .await;
    browser.screenshot("firefox-supervisor-unseal").await;
    // Ratings and appeals: nothing to decide yet, on-site evaluations listed to rate.
    browser
        .click(r#"nav a[data-route="supervisor/ratings"]"#)
        .await;
    browser.wait_for_text("#appeals", "No appeals").await;
    browser.wait_for("#rate-draw").await;
    browser.click("#logout").await;
    // …and an admin reads and sets that supervisor's jurisdiction.
    let admin = fx.app.create_account("firefox-admin", Role::Admin).await;
    browser.login(&fx.app, &admin).await;
    browser.click(r#"nav a[data-route="admin/accounts"]"#).await;
    browser
        .wait_for_text("#scope-of-firefox-auditor", "the whole province")
        .await;
    browser.click("#scope-firefox-auditor").await;
    browser.click("#scope-regions-4206").await;
    browser.click("#scope-save").await;
    browser
        .wait_for_text("#scope-of-firefox-auditor", "4206")
        .await;
    browser.screenshot("firefox-admin-supervisor-scope").await;
    // …and gives it the name centers pick it by.
    browser.click("#name-firefox-auditor").await;
    browser
        .fill("#edit-display-name", "火狐审计（省监督局）")
        .await;
    browser.click("#edit-name-save").await;
    browser.wait_for_text("#main", "火狐审计（省监督局）").await;
}

#[tokio::test]
async fn a_center_rates_an_on_site_evaluation_the_expert_appeals_on_a_phone_and_a_supervisor_grants_it()
 {
    let fx = DrawFixture::with(&experts(18, "A0301"), |settings| {
        settings.auth.address_attempts_per_minute = 10_000;
        crate::invitations::outlive_the_evaluation(settings);
    })
    .await;
    let accounts = crate::invitations::expert_accounts(&fx).await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 3, "reserves": 1}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap();
    fx.confirm_all(draw_id).await;
    let view = fx.view(draw_id).await;
    let seat = crate::draws::tokens(&view, "confirmed")[0].clone();
    let key = &seat[..16];
    crate::invitations::past_the_evaluation_window(&fx, &view).await;

    // The center rates a seat on the draw page, after saying what a rating means.
    let center = Browser::start(&fx.app).await;
    center
        .login(&fx.app, &account("center", Role::Center))
        .await;
    center
        .open(&format!("/console/#/center/draw?id={draw_id}"))
        .await;
    center.wait_for("#draw-ratings").await;
    center.click(&format!("#rate-{key}-submit")).await;
    center
        .wait_for(&format!("#rate-{key}-punctuality[aria-invalid='true']"))
        .await;
    for mark in ["punctuality", "diligence", "discipline"] {
        center.select(&format!("#rate-{key}-{mark}"), "2").await;
    }
    center.click(&format!("#rate-{key}-submit")).await;
    center
        .wait_for_text("#confirm-text", "不能修改或撤回")
        .await;
    center.screenshot("center-rating-confirm").await;
    center.click("#confirm-yes").await;
    center
        .wait_for(&format!("#rate-{key} [data-rated='true']"))
        .await;
    center.screenshot("center-draw-ratings").await;
    assert_eq!(fx.app.audit_entries_of("draw.rating").await.len(), 1);

    // The expert holding the seat reads it on a phone — capacity and marks, no rater, no
    // tender — and appeals.
    let mut holder = None;
    for login in &accounts {
        let own = fx
            .app
            .get_json("/api/v1/me/ratings", Some(&login.token))
            .await;
        if let Some(rating) = own["ratings"].as_array().unwrap().first() {
            holder = Some((login, rating["rating_id"].as_str().unwrap().to_owned()));
        }
    }
    let (login, rating) = holder.expect("nobody holds the rated seat");
    let expert = Browser::phone(&fx.app).await;
    expert
        .login(&fx.app, &account(&login.username, Role::Expert))
        .await;
    expert.open("/console/#/expert/ratings").await;
    expert
        .wait_for_text(&format!("#rating-{rating}"), "交易中心（招标人/代理机构）")
        .await;
    let card = expert.text(&format!("#rating-{rating}")).await;
    assert!(card.contains("守时 2") && !card.contains("HBGG"), "{card}");
    expert.click(&format!("#rating-{rating} summary")).await;
    expert
        .fill(&format!("#appeal-reason-{rating}"), "太短")
        .await;
    expert.click(&format!("#appeal-{rating}")).await;
    expert
        .wait_for(&format!("#appeal-reason-{rating}[aria-invalid='true']"))
        .await;
    expert
        .fill(
            &format!("#appeal-reason-{rating}"),
            "评标当天全程按时到场，评价与签到记录不符",
        )
        .await;
    expert.click(&format!("#appeal-{rating}")).await;
    expert
        .wait_for(&format!("#appeal-status-{rating}[data-status='pending']"))
        .await;
    expert.screenshot("expert-ratings").await;

    // A supervisor grants it after a confirmation; the expert's page says so.
    let (_, supervisor) = supervisor_in_browser(&fx, "sup-appeals").await;
    supervisor.open("/console/#/supervisor/ratings").await;
    let appeals = fx
        .app
        .get_json("/api/v1/rating-appeals", Some(&fx.supervisor))
        .await;
    let appeal = appeals[0]["appeal_id"].as_str().unwrap().to_owned();
    supervisor
        .wait_for_text(&format!("#appeal-{appeal}"), "评价与签到记录不符")
        .await;
    supervisor
        .fill(
            &format!("#appeal-reason-{appeal}"),
            "Sign-in records confirm the expert was on time.",
        )
        .await;
    supervisor.click(&format!("#appeal-grant-{appeal}")).await;
    supervisor.click("#confirm-yes").await;
    supervisor
        .wait_for(&format!("#appeal-{appeal}[data-status='granted']"))
        .await;
    supervisor.screenshot("supervisor-appeals").await;
    expert
        .click(r#"nav a[data-route="expert/invitations"]"#)
        .await;
    expert.click(r#"nav a[data-route="expert/ratings"]"#).await;
    expert
        .wait_for(&format!("#appeal-status-{rating}[data-status='granted']"))
        .await;
    expert
        .wait_for(&format!("#rating-{rating}[data-withdrawn='true']"))
        .await;
}

#[tokio::test]
async fn a_root_draws_page_shows_its_replacement_draws_as_a_chain_of_seats() {
    let fx = console_fixture(&experts(30, "B0101")).await;
    let view = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["B01"], "count": 2, "reserves": 1 }])))
        .await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let seated = crate::draws::tokens(&view, "seated");
    let reserves = crate::draws::tokens(&view, "reserve");
    // Two vacancies: the first takes the reserve, the second starts a linked draw.
    for token in [&seated[0], &reserves[0]] {
        fx.confirm_all(&id).await;
        let response = fx
            .app
            .post(
                &format!("/api/v1/draws/{id}/replacements"),
                Some(&fx.center),
                &json!({"token": token, "reason": "recused"}),
            )
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
    }
    let root = fx.view(&id).await;
    let linked = root["linked_chain"][0]["draw_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    browser
        .open(&format!("/console/#/center/draw?id={id}"))
        .await;
    browser
        .wait_for_text(
            &format!("#linked-{linked}"),
            "第 1 组空缺席位的补充抽取（原因：回避",
        )
        .await;
    browser.screenshot("center-draw-chain").await;
}

#[tokio::test]
async fn a_center_registers_and_changes_its_rooms_in_the_venue_catalogue() {
    let fx = console_fixture(&experts(3, "A0301")).await;
    let browser = Browser::start(&fx.app).await;
    browser
        .login(&fx.app, &account("center", Role::Center))
        .await;
    browser
        .click(r#"nav a[data-route="venues/catalogue"]"#)
        .await;
    browser
        .wait_for_text("#venue-list", "还没有登记评标室")
        .await;
    // Nothing filled: marked in the page, nothing sent.
    browser.click("#venue-submit").await;
    browser.wait_for("#venue-name[aria-invalid='true']").await;
    let register = |name: &'static str| {
        let browser = &browser;
        async move {
            browser.fill("#venue-name", name).await;
            browser
                .fill("#venue-address", "武汉市江岸区某路 1 号")
                .await;
            browser.select("#venue-region", "420117").await;
            browser.fill("#venue-workstations", "8").await;
            browser.click("#venue-submit").await;
        }
    };
    register("江岸 1 号评标室").await;
    browser
        .wait_for_text("#venue-list", "江岸 1 号评标室")
        .await;
    // The same name again: the server refuses, marking the name in Chinese.
    register("江岸 1 号评标室").await;
    browser.wait_for("#venue-name[aria-invalid='true']").await;
    let marked = browser.text("#venue-name-error").await;
    assert!(marked.contains("该中心已有同名场地"), "{marked}");
    browser.screenshot("center-venue-catalogue").await;

    // Closed for maintenance, with fewer workstations.
    let venues = fx.app.get_json("/api/v1/venues", Some(&fx.center)).await;
    let id = venues[0]["venue_id"].as_str().unwrap().to_owned();
    browser.click(&format!("#venue-edit-{id}")).await;
    browser.fill("#venue-edit-workstations", "6").await;
    browser
        .select("#venue-edit-status", "closed_for_maintenance")
        .await;
    browser.click("#venue-edit-save").await;
    browser.wait_for_text("#venue-list", "维护中").await;
    let venue = fx
        .app
        .get_json(&format!("/api/v1/venues/{id}"), Some(&fx.center))
        .await;
    assert_eq!(venue["workstations"], 6);
    assert_eq!(venue["status"], "closed_for_maintenance");
    assert!(!fx.app.audit_entries_of("venue.updated").await.is_empty());
}

/// Issue 16 §1 in the console: the draw form plans a committee of five drawn experts and two
/// tenderer's representatives (refusing an even one in the browser), the draw page shows the
/// plan, the session form asks for the two by name and shows their logins once; a
/// representative activates their login in the console, lands on their session (not an
/// expert's invitations) and sees their seat named as a representative's.
#[tokio::test]
async fn a_center_plans_two_representatives_names_them_and_one_joins_through_the_console() {
    let fx = console_fixture(&experts(18, "A0301")).await;
    let logins = expert_logins(&fx).await;
    let host = Browser::start(&fx.app).await;
    host.login(&fx.app, &account("center", Role::Center)).await;
    distributed_draw_form(
        &host,
        &fx.app,
        ("XYGG-2026-0077", "某水库除险加固工程"),
        (5, 1),
    )
    .await;
    // Five experts and one representative make six: refused in the browser, nothing sent.
    host.fill("#draw-representatives", "1").await;
    host.wait_for_text("#draw-committee", "招标人代表 1 人")
        .await;
    host.click("#draw-submit").await;
    host.wait_for_text("#draw-representatives-error", "须为单数")
        .await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(
        draws.as_array().unwrap().len(),
        0,
        "an even committee was sent"
    );
    host.fill("#draw-representatives", "2").await;
    host.click("#draw-submit").await;
    host.wait_for_text("#draw-status", "等待随机数").await;
    host.wait_for_text("#draw-committee-planned", "抽取专家 5 人 + 招标人代表 2 人")
        .await;
    host.click("#contribute-entropy").await;
    host.wait_for_text("#draw-status", "已抽取").await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(
        draws[0]["committee"],
        json!({"experts": 5, "representatives": 2})
    );
    for (bearer, invitation) in invited(&fx, &logins, "pending").await {
        let response = answer(&fx, &bearer, &invitation, json!({"accept": true})).await;
        assert_eq!(response.status(), 200);
    }
    host.wait_for_text("#draw-progress", "全部席位已确认").await;

    // The session form asks for the two representatives by name; a missing name is marked.
    host.click("#open-session-form").await;
    host.wait_for("#session-representatives").await;
    host.click("#session-supervisor-supervisor").await;
    host.fill("#session-bidders", "甲公司\n乙公司\n丙公司")
        .await;
    host.fill("#criterion-1-name", "综合评分").await;
    host.fill("#criterion-1-points", "100").await;
    host.fill("#representative-1-name", "王五").await;
    host.fill("#representative-1-employer", "某市水利局").await;
    host.click("#session-submit").await;
    host.wait_for("#representative-2-name[aria-invalid='true']")
        .await;
    host.fill("#representative-2-name", "赵六").await;
    host.fill("#representative-2-title", "总工程师").await;
    host.click("#session-submit").await;

    // The logins, once: seats 6 and 7 after the five experts.
    host.wait_for_text("#session-created", "只显示这一次").await;
    host.screenshot("center-representative-logins").await;
    let part = async |seat: u32, name: &str| {
        host.text(&format!(
            "#representative-login-{seat} [data-part='{name}']"
        ))
        .await
    };
    let username = part(6, "username").await;
    let code = part(6, "activation_code").await;
    let join_code = part(6, "join_code").await;
    assert!(username.starts_with("representative-"), "{username}");
    assert!(!code.is_empty() && !join_code.is_empty());
    assert!(
        host.text("#representative-login-7").await.contains("赵六"),
        "the second representative's row names them"
    );
    host.click("#to-session-room").await;
    eventually(
        &host,
        "the session room to open",
        "location.hash.startsWith('#/session/room')",
    )
    .await;
    let sessions = fx.app.get_json("/api/v1/sessions", Some(&fx.center)).await;
    let session_id = sessions[0]["session_id"].as_str().unwrap().to_owned();
    // The view names the seats; nobody's name is in it.
    let view = fx
        .app
        .get_json(&format!("/api/v1/sessions/{session_id}"), Some(&fx.center))
        .await;
    assert!(!view.to_string().contains("王五"), "{view}");
    host.wait_for_text("#main", "招标人代表 6").await;

    // The representative activates their login in the console and lands on their session.
    let representative = Browser::start(&fx.app).await;
    representative.open("/console/#/activate").await;
    representative.fill("#activate-username", &username).await;
    representative.fill("#activate-code", &code).await;
    representative
        .fill("#activate-password", crate::helpers::PASSWORD)
        .await;
    representative.click("#activate-submit").await;
    representative.wait_for("#login-form").await;
    representative
        .login(&fx.app, &account(&username, Role::Expert))
        .await;
    representative
        .wait_for(&format!("#open-{session_id}"))
        .await;
    let nav = representative.text("nav").await;
    assert!(
        !nav.contains("邀请"),
        "a representative has no invitations to read: {nav}"
    );
    representative.click(&format!("#open-{session_id}")).await;
    representative.wait_for_text("#main", "招标人代表 6").await;
    representative.screenshot("representative-room").await;
    assert_no_console_errors(&host).await;
    assert_no_console_errors(&representative).await;
}

/// Issue 16 §4 in the console: the center asks on its draw's page to suspend the evaluation
/// (with a reason and a confirmation), a supervisor approves on the "暂停与终止" screen, the
/// session room says the evaluation is suspended and offers the host nothing; the same for
/// resuming, then a cancellation approved for a re-tender, which the draw page shows.
#[tokio::test]
async fn a_center_asks_to_suspend_resume_postpone_and_cancel_and_a_supervisor_decides_in_the_console()
 {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let watcher = fx
        .app
        .create_account("supervisor-web", Role::Supervisor)
        .await;
    let host = Browser::start(&fx.app).await;
    host.login(&fx.app, &account("center", Role::Center)).await;
    let supervisor = Browser::start(&fx.app).await;
    supervisor.login(&fx.app, &watcher).await;
    let draw_page = format!("/console/#/center/draw?id={}", committee.draw_id);

    // Ask: a short reason is marked in the page and nothing is sent.
    let ask = async |kind: &str, reason: &str| {
        // From another screen: the same address again would not draw the page anew.
        host.open("/console/#/session/list").await;
        host.wait_for("#sessions").await;
        host.open(&draw_page).await;
        host.wait_for("#interruption-kind").await;
        host.select("#interruption-kind", kind).await;
        host.fill("#interruption-reason", reason).await;
        host.click("#interruption-submit").await;
        host.click("#confirm-yes").await;
        host.wait_for_text("#interruptions", "待监督人员处理").await;
    };
    host.open(&draw_page).await;
    host.wait_for("#interruption-kind").await;
    host.fill("#interruption-reason", "投诉").await;
    host.click("#interruption-submit").await;
    host.wait_for("#interruption-reason[aria-invalid='true']")
        .await;
    let none = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}/interruptions", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(none, json!([]), "a short reason was sent");
    ask("suspend", "投标人甲提出投诉，监督部门正在核查").await;
    host.screenshot("center-interruption-requested").await;

    // Decide on the supervisor's screen.
    let decide = async |reason: &str, retender: bool| {
        // From another screen, so the list is read afresh.
        supervisor.open("/console/#/session/list").await;
        supervisor.wait_for("#sessions").await;
        supervisor
            .click(r#"nav a[data-route="supervisor/interruptions"]"#)
            .await;
        let pending = fx
            .app
            .get_json("/api/v1/interruptions", Some(&fx.supervisor))
            .await;
        let id = pending[0]["interruption_id"].as_str().unwrap().to_owned();
        supervisor
            .wait_for(&format!("#interruption-reason-{id}"))
            .await;
        supervisor
            .fill(&format!("#interruption-reason-{id}"), reason)
            .await;
        if retender {
            supervisor
                .click(&format!("#interruption-retender-{id}"))
                .await;
        }
        supervisor
            .click(&format!("#interruption-approve-{id}"))
            .await;
        supervisor.click("#confirm-yes").await;
        supervisor
            .wait_for_text("#interruption-requests", "没有待处理的申请")
            .await;
    };
    decide("同意暂停评标，待投诉处理完毕后恢复", false).await;
    supervisor.screenshot("supervisor-interruptions").await;

    // The session room holds the host back; the draw page says so.
    host.open(&format!(
        "/console/#/session/room?id={}",
        committee.session_id
    ))
    .await;
    host.wait_for("#session-hold[data-hold='suspended']").await;
    host.wait_for("#held-note").await;
    host.screenshot("session-suspended").await;
    host.open(&draw_page).await;
    host.wait_for("#draw-hold[data-hold='suspended']").await;

    ask("resume", "投诉已处理完毕，申请恢复评标").await;
    decide("投诉处理完毕，同意恢复评标", false).await;
    host.open(&format!(
        "/console/#/session/room?id={}",
        committee.session_id
    ))
    .await;
    host.wait_for("#next-phase").await;
    host.wait_for_gone("#session-hold").await;

    // Postponed by a day: the new start is given in Beijing time.
    host.open("/console/#/session/list").await;
    host.wait_for("#sessions").await;
    host.open(&draw_page).await;
    host.wait_for("#interruption-kind").await;
    host.select("#interruption-kind", "postpone").await;
    let start = chrono::DateTime::parse_from_rfc3339(
        fx.app
            .get_json(
                &format!("/api/v1/draws/{}", committee.draw_id),
                Some(&fx.center),
            )
            .await["evaluation_start"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let later = (start + chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    host.execute(&format!(
        "document.querySelector('#interruption-start').value = '{}';",
        later.format("%Y-%m-%dT%H:%M")
    ))
    .await;
    host.fill("#interruption-reason", "投诉处理需要时间，评标顺延一天")
        .await;
    host.click("#interruption-submit").await;
    host.click("#confirm-yes").await;
    host.wait_for_text("#interruptions", "待监督人员处理").await;
    decide("同意评标顺延一天，请专家重新确认", false).await;
    let moved = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(moved["evaluation_start"].as_str().unwrap())
            .unwrap()
            .timestamp()
            / 60,
        later.timestamp() / 60
    );

    ask("cancel", "投诉成立，招标人决定终止招标并重新招标").await;
    decide("同意终止本次评标，项目重新招标", true).await;
    // From another screen: the same address again would not draw the page anew.
    host.open("/console/#/session/list").await;
    host.wait_for("#sessions").await;
    host.open(&draw_page).await;
    host.wait_for("#draw-hold[data-hold='cancelled']").await;
    host.wait_for_text("#draw-void", "重新招标").await;
    let draw = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(draw["hold"], "cancelled");
    assert_eq!(draw["void"]["reason"], "retendered");
    assert_no_console_errors(&host).await;
    assert_no_console_errors(&supervisor).await;
}

/// Issue 21 §1–§2 in the console: the draw form states the project (category, government
/// money, value band, transaction code, a malformed code marked in the page), and a
/// supervisor's "远程评标占比" screen counts the remote share per prefecture as a chart and a
/// table, drills down to a prefecture's projects and exports CSV.
#[tokio::test]
async fn a_center_states_its_project_and_a_supervisor_reads_the_remote_share_per_prefecture() {
    let fx = console_fixture(&experts(30, "A0301")).await;
    let host = Browser::start(&fx.app).await;
    host.login(&fx.app, &account("center", Role::Center)).await;
    distributed_draw_form(
        &host,
        &fx.app,
        ("XYGG-2026-0100", "襄阳市某道路改造工程"),
        (1, 0),
    )
    .await;
    host.select("#draw-region", "420600").await;
    host.click("#draw-project summary").await;
    host.select("#draw-category", "works").await;
    host.select("#draw-government", "yes").await;
    host.select("#draw-value-band", "10m_to_100m").await;
    host.fill("#draw-transaction-code", "E42_0600").await;
    host.click("#draw-submit").await;
    host.wait_for("#draw-transaction-code[aria-invalid='true']")
        .await;
    host.fill("#draw-transaction-code", "e4206000001000123001")
        .await;
    host.click("#draw-submit").await;
    host.wait_for_text("#draw-status", "等待随机数").await;
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(
        draws[0]["project"],
        json!({"category": "works", "government_invested": true, "value_band": "10m_to_100m", "transaction_code": "E4206000001000123001"})
    );
    // Two more in 襄阳 by the API: one on site, one distributed.
    for mode in ["on_site", "distributed"] {
        let mut body =
            fx.request(json!([{"specialty_prefixes": ["A03"], "count": 1, "reserves": 0}]));
        body["project_region"] = json!("420606");
        body["mode"] = json!(mode);
        if mode == "distributed" {
            body.as_object_mut().unwrap().remove("venue");
        }
        body["project_category"] = json!("works");
        body["government_invested"] = json!(true);
        fx.create_ok(&body).await;
    }

    let watcher = fx
        .app
        .create_account("supervisor-web", Role::Supervisor)
        .await;
    let supervisor = Browser::start(&fx.app).await;
    supervisor.login(&fx.app, &watcher).await;
    supervisor
        .click(r#"nav a[data-route="supervisor/remote-share"]"#)
        .await;
    let year = chrono::DateTime::parse_from_rfc3339(draws[0]["evaluation_start"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y")
        .to_string();
    supervisor.fill("#share-year", &year).await;
    supervisor.click("#share-load").await;
    supervisor.wait_for_text("#share-row-4206", "66.7%").await;
    supervisor.wait_for("#share-chart title").await;
    supervisor.wait_for_text("#share-province", "2/3").await;
    supervisor.screenshot("supervisor-remote-share").await;
    supervisor.click("#share-projects-4206").await;
    supervisor
        .wait_for_text("#share-projects", "XYGG-2026-0100")
        .await;
    let rows = supervisor
        .execute("return document.querySelectorAll('#share-projects tbody tr').length;")
        .await;
    assert_eq!(rows, json!(3));
    supervisor
        .assert_accessible("supervisor-remote-share")
        .await;
    // The month-by-month trend of the year, as a line and a table: 2 of 3 in 襄阳's month.
    supervisor.click("#trend-load").await;
    supervisor.wait_for("#trend-chart circle").await;
    let month =
        chrono::DateTime::parse_from_rfc3339(draws[0]["evaluation_start"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%-m")
            .to_string();
    supervisor
        .wait_for_text(
            &format!("#trend-table tbody tr:nth-child({month})"),
            "66.7%",
        )
        .await;
    supervisor
        .assert_accessible("supervisor-remote-share-trend")
        .await;

    // The scarce specialties: A03, drawn three times.
    supervisor
        .click(r#"nav a[data-route="supervisor/supply"]"#)
        .await;
    supervisor.fill("#supply-year", &year).await;
    supervisor.click("#supply-load").await;
    supervisor.wait_for_text("#supply-row-1", "A03").await;
    supervisor.assert_accessible("supervisor-supply").await;
    assert_no_console_errors(&host).await;
    assert_no_console_errors(&supervisor).await;
}

/// Issue 21 §3 and §5 in the console: an admin sets a rule and runs the signals; a supervisor
/// opens the alert inbox, reads an alert's evidence, opens a case, adds a note, asks to see the
/// expert (the dual-controlled request) and closes the case; the frequency report shows its
/// fairness test.
#[tokio::test]
async fn an_admin_sets_a_rule_and_a_supervisor_works_an_alert_into_a_closed_case() {
    let fx = console_fixture(&experts(60, "A0301")).await;
    fx.app
        .state
        .write_synthetic_history(1, 400, true)
        .await
        .unwrap();
    let admin_account = fx.app.create_account("admin-web", Role::Admin).await;
    let admin = Browser::start(&fx.app).await;
    admin.login(&fx.app, &admin_account).await;
    admin
        .click(r#"nav a[data-route="admin/alert-rules"]"#)
        .await;
    admin.select("#rule-signal", "declines").await;
    admin.fill("#rule-q", "0.5").await;
    admin.click("#rule-add").await;
    admin.wait_for("#rule-q[aria-invalid='true']").await;
    admin.fill("#rule-q", "0.001").await;
    admin.click("#rule-add").await;
    admin.wait_for_text("#rules", "专家谢绝偏多").await;
    admin.click("#signals-run").await;
    admin
        .wait_for_text("#signals-result", "新产生 1 条预警")
        .await;
    admin.assert_accessible("admin-alert-rules").await;

    let watcher = fx
        .app
        .create_account("supervisor-web", Role::Supervisor)
        .await;
    let supervisor = Browser::start(&fx.app).await;
    supervisor.login(&fx.app, &watcher).await;
    supervisor
        .click(r#"nav a[data-route="supervisor/alerts"]"#)
        .await;
    supervisor.wait_for_text("#alerts", "专家谢绝偏多").await;
    supervisor.click("#alerts-csv").await;
    supervisor.click("#alerts button").await;
    supervisor
        .wait_for_text("#alert-detail", "谢绝邀请的比例")
        .await;
    supervisor.click("#alert-open-case").await;
    supervisor.wait_for("#case-state[data-state='open']").await;
    supervisor.click("#case-note-add").await;
    supervisor.wait_for("#case-note[aria-invalid='true']").await;
    supervisor
        .fill("#case-note", "调取该专家近一年的邀请记录。")
        .await;
    supervisor.click("#case-note-add").await;
    supervisor
        .wait_for_text("#case-notes", "调取该专家近一年的邀请记录")
        .await;
    supervisor
        .fill("#case-unseal-reason", "核查异常拒绝邀请的专家身份")
        .await;
    supervisor.click("#case-unseal").await;
    supervisor.click("#confirm-yes").await;
    supervisor
        .wait_for_text("#case-state", "已提出解封申请")
        .await;
    supervisor.assert_accessible("supervisor-alert-case").await;
    supervisor
        .fill(
            "#case-conclusion",
            "经核查，该专家长期外派，建议暂停入库资格。",
        )
        .await;
    supervisor.click("#case-close").await;
    supervisor
        .wait_for("#case-state[data-state='closed']")
        .await;
    supervisor
        .wait_for_text("#case-conclusion-text", "长期外派")
        .await;
    assert_eq!(fx.app.audit_entries_of("case.closed").await.len(), 1);
    assert_eq!(fx.app.audit_entries_of("unseal.requested").await.len(), 1);

    // The frequency report carries its fairness test.
    supervisor
        .click(r#"nav a[data-route="supervisor/frequency"]"#)
        .await;
    supervisor.click("#frequency-load").await;
    supervisor.wait_for_text("#frequency-fairness", "χ²").await;
    // Every figure leaves as CSV, the frequency report's too.
    supervisor.click("#frequency-csv").await;
    assert_no_console_errors(&admin).await;
    assert_no_console_errors(&supervisor).await;
}
