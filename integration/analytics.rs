//! Supervision's statistics (issue 21): the remote-evaluation share per prefecture on a small
//! history computed by hand, within each supervisor's jurisdiction, as JSON and CSV; and the
//! project facts draw requests carry for it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use crate::helpers::assert_problem;

/// A draw for a project in `region`, `mode`, with the given facts; its id.
async fn project(fx: &DrawFixture, region: &str, mode: &str, facts: Value) -> String {
    let mut body = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 1, "reserves": 0}]));
    body["project_region"] = json!(region);
    body["mode"] = json!(mode);
    if mode == "distributed" {
        body.as_object_mut().unwrap().remove("venue");
    }
    for (key, value) in facts.as_object().unwrap() {
        body[key] = value.clone();
    }
    fx.create_ok(&body).await["draw_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn works() -> Value {
    json!({"project_category": "works", "government_invested": true, "value_band": "10m_to_100m"})
}

fn prefecture<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["prefectures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prefecture"] == code)
        .unwrap()
}

#[tokio::test]
async fn the_remote_share_counts_government_invested_works_per_prefecture_within_jurisdiction() {
    let fx = DrawFixture::new(&experts(40, "A0301")).await;
    // 襄阳 (4206): 2 of 5 remote; 武汉 (4201): 1 of 2, outside the goal; 宜昌 (4205): 0 of 1.
    for (region, mode) in [
        ("420600", "distributed"),
        ("420606", "distributed"),
        ("420607", "on_site"),
        ("420624", "on_site"),
        ("420683", "on_site"),
        ("420100", "distributed"),
        ("420102", "on_site"),
        ("420500", "on_site"),
    ] {
        project(&fx, region, mode, works()).await;
    }
    // Not qualifying: goods; works not paid by government; no facts at all.
    project(
        &fx,
        "420600",
        "on_site",
        json!({"project_category": "goods", "government_invested": true}),
    )
    .await;
    project(
        &fx,
        "420600",
        "on_site",
        json!({"project_category": "works", "government_invested": false}),
    )
    .await;
    project(&fx, "420600", "on_site", json!({})).await;
    // Nor a cancelled one.
    let cancelled = project(&fx, "420600", "distributed", works()).await;
    let request: Value = fx
        .app
        .post(
            &format!("/api/v1/draws/{cancelled}/interruptions"),
            Some(&fx.center),
            &json!({"kind": "cancel", "reason": "招标人决定终止本次招标活动"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let decided = fx
        .app
        .post(
            &format!(
                "/api/v1/interruptions/{}/decision",
                request["interruption_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
            &json!({"approve": true, "reason": "同意终止本次招标活动"}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);

    let start = fx
        .app
        .get_json("/api/v1/draws?limit=1", Some(&fx.center))
        .await[0]["evaluation_start"]
        .as_str()
        .unwrap()
        .to_owned();
    let beijing = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let year = beijing.format("%Y").to_string();
    let month = beijing.format("%m").to_string().parse::<u32>().unwrap();

    let report = fx
        .app
        .get_json(
            &format!("/api/v1/reports/remote-share?year={year}"),
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(report["target_percent"], 20);
    assert_eq!(report["province_wide"], true);
    let xiangyang = prefecture(&report, "4206");
    assert_eq!(xiangyang["name"], "襄阳市");
    assert_eq!(
        (xiangyang["projects"].as_u64(), xiangyang["remote"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(xiangyang["share_percent"], "40.0");
    assert_eq!(xiangyang["meets_target"], true);
    let wuhan = prefecture(&report, "4201");
    assert_eq!(wuhan["target_applies"], false);
    assert_eq!(wuhan["share_percent"], "50.0");
    let yichang = prefecture(&report, "4205");
    assert_eq!(yichang["meets_target"], false);
    let shiyan = prefecture(&report, "4203");
    assert_eq!(shiyan["projects"], 0);
    assert!(shiyan.get("meets_target").is_none());
    // The province without Wuhan: 2 of 6.
    assert_eq!(report["province"]["projects"], 6);
    assert_eq!(report["province"]["remote"], 2);
    assert_eq!(report["province"]["share_percent"], "33.3");
    // The month holds the same projects; another year none.
    let this_month = fx
        .app
        .get_json(
            &format!("/api/v1/reports/remote-share?year={year}&month={month}"),
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(this_month["province"], report["province"]);
    let next_year: i32 = year.parse::<i32>().unwrap() + 1;
    let empty = fx
        .app
        .get_json(
            &format!("/api/v1/reports/remote-share?year={next_year}"),
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(empty["province"]["projects"], 0);

    // The drill-down lists 襄阳's five, remote ones marked.
    let lines = fx
        .app
        .get_json(
            &format!("/api/v1/reports/remote-share/projects?year={year}&prefecture=4206"),
            Some(&fx.supervisor),
        )
        .await;
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines.iter().filter(|l| l["remote"] == true).count(), 2);
    assert!(!lines.iter().any(|l| l["draw_id"] == cancelled.as_str()));

    // CSV for a spreadsheet: a byte-order mark, a header, a row per prefecture and the province.
    let csv = fx
        .app
        .get(
            &format!("/api/v1/reports/remote-share?year={year}&format=csv"),
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut rows = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        rows.next().unwrap(),
        "prefecture,name,target_applies,projects,remote,share_percent,meets_target"
    );
    assert!(text.contains("4206,襄阳市,true,5,2,40.0,true"), "{text}");
    assert!(text.contains("province,"), "{text}");

    // A supervisor of 宜昌 sees 宜昌's only.
    let yichang_supervisor = fx
        .scoped_supervisor("supervisor-yichang", json!({"regions": ["4205"]}))
        .await;
    let theirs = fx
        .app
        .get_json(
            &format!("/api/v1/reports/remote-share?year={year}"),
            Some(&yichang_supervisor),
        )
        .await;
    assert_eq!(theirs["province_wide"], false);
    assert_eq!(theirs["province"]["projects"], 1);
    assert_eq!(prefecture(&theirs, "4206")["projects"], 0);

    // Bad questions are answered with the field; centers and experts may not ask.
    for (query, field) in [
        ("year=1999".to_owned(), "year"),
        (format!("year={year}&month=13"), "month"),
        (format!("year={year}&format=xml"), "format"),
    ] {
        let problem = assert_problem(
            fx.app
                .get(
                    &format!("/api/v1/reports/remote-share?{query}"),
                    Some(&fx.supervisor),
                )
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{query}");
    }
    let unknown = assert_problem(
        fx.app
            .get(
                &format!("/api/v1/reports/remote-share/projects?year={year}&prefecture=9999"),
                Some(&fx.supervisor),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(unknown["field"], "prefecture");
    let by_center = fx
        .app
        .get(
            &format!("/api/v1/reports/remote-share?year={year}"),
            Some(&fx.center),
        )
        .await;
    assert_eq!(by_center.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_draw_request_states_its_project_facts_which_are_checked_logged_and_shown() {
    let fx = DrawFixture::new(&experts(10, "A0301")).await;
    let id = project(
        &fx,
        "420600",
        "on_site",
        json!({
            "project_category": "works",
            "government_invested": true,
            "value_band": "100m_and_above",
            "transaction_code": "e4206000001000123001",
        }),
    )
    .await;
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}"), Some(&fx.center))
        .await;
    assert_eq!(
        view["project"],
        json!({
            "category": "works",
            "government_invested": true,
            "value_band": "100m_and_above",
            "transaction_code": "E4206000001000123001",
        })
    );
    let intent = fx
        .app
        .audit_entries_of("draw.intent")
        .await
        .into_iter()
        .find(|e| e["refs"]["draw"] == id.as_str())
        .unwrap();
    assert_eq!(intent["data"]["project"]["value_band"], "100m_and_above");
    assert!(
        intent["data"]["intent"].get("project").is_none(),
        "the facts decide nothing drawn: not in the intent"
    );

    // Wrong values are refused naming the field, and nothing is drawn.
    let before = fx.app.entries_written_by_requests().await;
    let mut body = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 1, "reserves": 0}]));
    body["transaction_code"] = json!("E42_bad");
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "transaction_code");
    let mut body = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 1, "reserves": 0}]));
    body["project_category"] = json!("buildings");
    let response = fx.create(&body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["field"], "project_category", "{problem}");
    assert_eq!(fx.app.entries_written_by_requests().await, before);
}

#[tokio::test]
async fn the_supply_report_ranks_a_specialty_that_ran_short_first_and_counts_declines() {
    let mut pool = experts(30, "A0301");
    pool.extend(experts(9, "B0101"));
    let fx = crate::draws::DrawFixture::with(&pool, |settings| {
        settings.auth.address_attempts_per_minute = 10_000;
        // The clock moves ten minutes while experts answer.
        settings.auth.token_idle_minutes = 60;
    })
    .await;
    let logins = crate::invitations::expert_logins(&fx).await;
    // A03: two seats and a reserve, drawn; one invited expert declines and the reserve is
    // invited in their place.
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 2, "reserves": 1}])))
        .await;
    assert_eq!(drawn["status"], "drawn");
    let invited = crate::invitations::invited(&fx, &logins, "pending").await;
    assert_eq!(invited.len(), 2);
    let declined = crate::invitations::answer(
        &fx,
        &invited[0].0,
        &invited[0].1,
        json!({"accept": false, "reason": "other"}),
    )
    .await;
    assert_eq!(declined.status(), StatusCode::OK);
    // Ten minutes later (within the answer deadline) the other invited expert and the reserve
    // accept: A03's stratum is confirmed 10 minutes after the request.
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(10 * 60));
    for (login, invitation) in crate::invitations::invited(&fx, &logins, "pending").await {
        let accepted =
            crate::invitations::answer(&fx, &login, &invitation, json!({"accept": true})).await;
        assert_eq!(accepted.status(), StatusCode::OK);
    }
    // B01: four needed of nine, refused (9 < 3 × 4): counted, nothing drawn.
    assert_problem(
        fx.create(&fx.request(json!([{"specialty_prefixes": ["B01"], "count": 2, "reserves": 2}])))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        fx.app.audit_entries_of("draw.intent").await.len() == 1,
        "the refusal drew nothing"
    );

    let year = chrono::DateTime::parse_from_rfc3339(drawn["evaluation_start"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y")
        .to_string();
    let report = fx
        .app
        .get_json(
            &format!("/api/v1/reports/supply?year={year}"),
            Some(&fx.supervisor),
        )
        .await;
    let lines = report["specialties"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{report}");
    assert_eq!(lines[0]["specialty_prefixes"], json!(["B01"]));
    assert_eq!(lines[0]["rank"], 1);
    assert_eq!(lines[0]["refusals"], 1);
    assert_eq!(lines[0]["min_eligible"], 9);
    assert_eq!(lines[0]["tightest_multiple"], "2.3");
    let a03 = &lines[1];
    assert_eq!(a03["specialty_prefixes"], json!(["A03"]));
    assert_eq!(a03["strata"], 1);
    assert_eq!(a03["median_eligible"], 30);
    assert_eq!(a03["tightest_multiple"], "10.0");
    assert_eq!(
        (a03["invited"].as_u64(), a03["declined"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(a03["decline_percent"], "33.3");
    assert_eq!(a03["replacement_percent"], "33.3");
    assert_eq!(a03["strata_confirmed"], 1);
    assert_eq!(a03["median_minutes_to_confirmed"], 10);

    // As CSV; and nothing for a supervisor whose jurisdiction is elsewhere.
    let csv = fx
        .app
        .get(
            &format!("/api/v1/reports/supply?year={year}&format=csv"),
            Some(&fx.supervisor),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("1,B01,0,1,9,9,2.3"), "{csv}");
    let far = fx
        .scoped_supervisor("supervisor-yichang", json!({"regions": ["4205"]}))
        .await;
    let theirs = fx
        .app
        .get_json(&format!("/api/v1/reports/supply?year={year}"), Some(&far))
        .await;
    assert_eq!(theirs["specialties"], json!([]));
    assert_eq!(theirs["province_wide"], false);
}
