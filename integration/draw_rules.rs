//! The draw's pool rules, refusals, timing, contribution timeout, execution under concurrency,
//! isolation between centers, bad input and secrecy, over HTTPS against a pool imported for each
//! test. Every rule is checked by its reason code's exact count in the draw's view.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, Expert, credit_code, experts, pool_csv, tokens};
use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::clock::Clock;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn now(fx: &DrawFixture) -> i64 {
    Clock::now_millis(&fx.app.clock)
}

fn at(millis: i64) -> String {
    sealdraw::clock::to_rfc3339(millis)
}

/// The province's calendar day (UTC+8) of an instant.
pub fn day_in_china(millis: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(millis + 8 * HOUR)
        .unwrap()
        .date_naive()
}

/// A one-stratum request under A01 (k = 1, m = 0 unless given) two hours from now.
fn one_stratum(fx: &DrawFixture, count: u32, reserves: u32) -> Value {
    fx.request(json!([{ "specialty_prefixes": ["A01"], "count": count, "reserves": reserves }]))
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

pub fn excluded(view: &Value, stratum: usize) -> BTreeMap<String, u64> {
    serde_json::from_value(view["strata"][stratum]["excluded"].clone()).unwrap()
}

pub fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

pub fn eligible(view: &Value, stratum: usize) -> u64 {
    view["strata"][stratum]["eligible"].as_u64().unwrap()
}

fn in_region(region: &'static str) -> Expert {
    Expert {
        region,
        ..Expert::plain("A0101")
    }
}

/// The ids of the experts registered in `region`, as an admin lists them.
pub async fn expert_ids(fx: &DrawFixture, region: &str) -> Vec<String> {
    let response = fx
        .app
        .get(
            &format!("/api/v1/experts?region={region}&limit=100"),
            Some(&fx.admin),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    page["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["expert_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn set_status(fx: &DrawFixture, admin: &str, id: &str, body: Value) {
    let response = fx
        .app
        .post(&format!("/api/v1/experts/{id}/status"), Some(admin), &body)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
}

async fn penalise(fx: &DrawFixture, admin: &str, id: &str, body: Value) {
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{id}/penalties"),
            Some(admin),
            &body,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
}

/// Issues the expert a login, activates it and logs in: the expert's own bearer token.
pub async fn expert_login(fx: &DrawFixture, expert_id: &str) -> String {
    let issued = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert_id}/login"),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = issued.json().await.unwrap();
    let username = issued["username"].as_str().unwrap();
    let activated = fx
        .app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": username, "code": issued["activation_code"], "password": PASSWORD}),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::NO_CONTENT);
    let login = fx
        .app
        .post_login(&json!({"username": username, "password": PASSWORD}))
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn update_own_record(fx: &DrawFixture, expert: &str, changes: Value) {
    let response = fx
        .app
        .request(reqwest::Method::PATCH, "/api/v1/me/expert", Some(expert))
        .json(&changes)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
}

fn entries_of<'a>(entries: &'a [Value], kind: &str, draw: Option<&str>) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|e| e["type"] == kind && draw.is_none_or(|d| e["refs"]["draw"] == d))
        .collect()
}

async fn draw_ids(fx: &DrawFixture, token: &str) -> Vec<String> {
    let response = fx.app.get("/api/v1/draws", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let views: Vec<Value> = response.json().await.unwrap();
    views
        .iter()
        .map(|v| v["draw_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn contribute_hex(fx: &DrawFixture, token: &str, id: &str, hex: &str) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/draws/{id}/entropy"),
            Some(token),
            &json!({ "entropy": hex }),
        )
        .await
}

async fn record(fx: &DrawFixture, token: &str, id: &str) -> Value {
    let response = fx
        .app
        .get(&format!("/api/v1/draws/{id}/record"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn verified_drawn(record: &Value) -> Vec<Vec<String>> {
    let draw: sealdraw::draw::VerificationRecord =
        serde_json::from_value(record["draws"][0].clone()).unwrap();
    let outcome = sealdraw::draw::verify(&draw).unwrap();
    outcome
        .strata
        .iter()
        .map(|s| s.drawn.iter().map(|t| t.to_hex()).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Each pool rule, under its own reason code.

#[tokio::test]
async fn experts_aged_70_in_the_evaluation_year_are_excluded_and_69_is_not() {
    let year =
        chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis() + 3 * HOUR)
            .unwrap()
            .year() as u32;
    let mut pool = experts(8, "A0101");
    for birth_year in [year - 70, year - 70, year - 69, year - 69, year - 69] {
        pool.push(Expert {
            birth_year,
            ..Expert::plain("A0101")
        });
    }
    let fx = DrawFixture::new(&pool).await;
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("age_limit", 2)]));
    assert_eq!(eligible(&created, 0), 11);
    assert_eq!(created["strata"][0]["matched"], 13);
}

#[tokio::test]
async fn suspended_experts_are_excluded_under_suspended() {
    let mut pool = experts(9, "A0101");
    pool.extend([in_region("420500"), in_region("420500")]);
    let fx = DrawFixture::new(&pool).await;
    let until = day_in_china(now(&fx) + 30 * DAY).to_string();
    for id in expert_ids(&fx, "420500").await {
        set_status(
            &fx,
            &fx.admin,
            &id,
            json!({"status": "suspended", "suspended_until": until, "reason_code": "penalty"}),
        )
        .await;
    }
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("suspended", 2)]));
    assert_eq!(eligible(&created, 0), 9);
}

#[tokio::test]
async fn retired_and_removed_experts_are_excluded_under_not_active() {
    let mut pool = experts(9, "A0101");
    pool.extend([in_region("420500"), in_region("420500")]);
    let fx = DrawFixture::new(&pool).await;
    let ids = expert_ids(&fx, "420500").await;
    set_status(
        &fx,
        &fx.admin,
        &ids[0],
        json!({"status": "retired", "reason_code": "age"}),
    )
    .await;
    set_status(
        &fx,
        &fx.admin,
        &ids[1],
        json!({"status": "removed", "reason_code": "request"}),
    )
    .await;
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("not_active", 2)]));
    assert_eq!(eligible(&created, 0), 9);
}

#[tokio::test]
async fn penalties_in_force_and_indefinite_penalties_exclude_under_penalty() {
    let mut pool = experts(9, "A0101");
    pool.extend([in_region("420500"), in_region("420500")]);
    let fx = DrawFixture::new(&pool).await;
    let ids = expert_ids(&fx, "420500").await;
    let until = day_in_china(now(&fx) + 10 * DAY).to_string();
    penalise(
        &fx,
        &fx.admin,
        &ids[0],
        json!({"reason_code": "absence", "until": until}),
    )
    .await;
    penalise(
        &fx,
        &fx.admin,
        &ids[1],
        json!({"reason_code": "bid_rigging"}),
    )
    .await;
    // A NUL byte in a path is refused for what it is, not a database error.
    let nul = fx
        .app
        .post(
            "/api/v1/experts/%00/penalties",
            Some(&fx.admin),
            &json!({"reason_code": "absence"}),
        )
        .await;
    assert_eq!(
        assert_problem(nul, StatusCode::BAD_REQUEST).await["field"],
        "path"
    );
    // A penalty that would already be over is refused.
    let past = day_in_china(now(&fx) - 2 * DAY).to_string();
    let refused = fx
        .app
        .post(
            &format!("/api/v1/experts/{}/penalties", ids[0]),
            Some(&fx.admin),
            &json!({"reason_code": "absence", "until": past}),
        )
        .await;
    assert_eq!(
        assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "until"
    );
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("penalty", 2)]));
    assert_eq!(eligible(&created, 0), 9);
}

#[tokio::test]
async fn a_lapsed_penalty_or_suspension_no_longer_excludes() {
    let mut pool = experts(9, "A0101");
    pool.extend([in_region("420500"), in_region("420500")]);
    let fx = DrawFixture::new(&pool).await;
    let ids = expert_ids(&fx, "420500").await;
    let tomorrow = day_in_china(now(&fx) + DAY).to_string();
    penalise(
        &fx,
        &fx.admin,
        &ids[0],
        json!({"reason_code": "absence", "until": tomorrow}),
    )
    .await;
    set_status(
        &fx,
        &fx.admin,
        &ids[1],
        json!({"status": "suspended", "suspended_until": tomorrow, "reason_code": "penalty"}),
    )
    .await;
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("penalty", 1), ("suspended", 1)])
    );

    // Four days on, both have run out: both experts are drawn again.
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(4 * 24 * 3600));
    let (_, center) = fx
        .app
        .account_with_token("center.later", Role::Center)
        .await;
    let response = fx
        .app
        .post("/api/v1/draws", Some(&center), &one_stratum(&fx, 1, 0))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let later: Value = response.json().await.unwrap();
    assert_eq!(excluded(&later, 0), counts(&[]), "{}", later["strata"]);
    assert_eq!(eligible(&later, 0), 11);
}

#[tokio::test]
async fn leave_covering_the_evaluation_excludes_and_leave_outside_it_does_not() {
    let mut pool = experts(9, "A0101");
    pool.extend([
        in_region("420500"),
        in_region("420500"),
        in_region("420500"),
        in_region("420500"),
    ]);
    let fx = DrawFixture::new(&pool).await;
    let ids = expert_ids(&fx, "420500").await;
    let body = one_stratum(&fx, 1, 0);
    let start = chrono::DateTime::parse_from_rfc3339(body["evaluation_start"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    let day = day_in_china(start);
    let d = |offset: i64| (day + chrono::Duration::days(offset)).to_string();
    let periods = [
        // On the day itself.
        vec![json!({"from": d(0), "to": d(0)})],
        // A longer leave around it, among others.
        vec![
            json!({"from": d(-20), "to": d(-18)}),
            json!({"from": d(-3), "to": d(2)}),
        ],
        // Ends the day before, starts two days after: both outside the evaluation.
        vec![json!({"from": d(-9), "to": d(-1)})],
        vec![json!({"from": d(2), "to": d(6)})],
    ];
    for (id, leave) in ids.iter().zip(periods) {
        let expert = expert_login(&fx, id).await;
        update_own_record(&fx, &expert, json!({ "leave": leave })).await;
    }
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("on_leave", 2)]));
    assert_eq!(eligible(&created, 0), 11);
}

fn avoid(codes: &[&str]) -> Value {
    Value::Array(
        codes
            .iter()
            .enumerate()
            .map(
                |(i, code)| json!({"name": format!("投标人{i}"), "credit_code": credit_code(code)}),
            )
            .collect(),
    )
}

#[tokio::test]
async fn experts_employed_by_an_avoided_organisation_are_excluded() {
    let mut pool = experts(9, "A0101");
    for _ in 0..2 {
        pool.push(Expert {
            employer: "91420100MA4K00002".into(),
            ..Expert::plain("A0101")
        });
    }
    pool.push(Expert {
        employer: "91420100MA4K00003".into(),
        ..Expert::plain("A0101")
    });
    let fx = DrawFixture::new(&pool).await;
    let body = with(
        one_stratum(&fx, 1, 0),
        "avoid_organisations",
        avoid(&["91420100MA4K00002", "91420100MA4K00009"]),
    );
    let created = fx.create_ok(&body).await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("avoided_organisation", 2)])
    );
    assert_eq!(eligible(&created, 0), 10);
    // The avoided organisations are committed to by the filter hash, never named in the view.
    let text = created.to_string();
    assert!(!text.contains(&credit_code("91420100MA4K00002")));
}

#[tokio::test]
async fn a_past_employer_is_avoided_within_three_years_and_not_after() {
    let today = day_in_china(chrono::Utc::now().timestamp_millis());
    let leak = |day: NaiveDate| -> &'static str { Box::leak(day.to_string().into_boxed_str()) };
    let within = leak(today - chrono::Duration::days(2 * 365));
    let beyond = leak(today - chrono::Duration::days(4 * 365 + 2));
    let mut pool = experts(9, "A0101");
    for to in [within, within, beyond] {
        pool.push(Expert {
            past: vec![("91420100MA4K00003".into(), "2010-01-01", to)],
            ..Expert::plain("A0101")
        });
    }
    let fx = DrawFixture::new(&pool).await;
    let body = with(
        one_stratum(&fx, 1, 0),
        "avoid_organisations",
        avoid(&["91420100MA4K00003"]),
    );
    let created = fx.create_ok(&body).await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("avoided_organisation", 2)])
    );
    assert_eq!(eligible(&created, 0), 10);
}

#[tokio::test]
async fn a_declared_relatives_employer_is_avoided() {
    let mut pool = experts(9, "A0101");
    pool.extend([in_region("420500"), in_region("420500")]);
    let fx = DrawFixture::new(&pool).await;
    let body = with(
        one_stratum(&fx, 1, 0),
        "avoid_organisations",
        avoid(&["91420100MA4K00005"]),
    );
    let before = fx.create_ok(&body).await;
    assert_eq!(excluded(&before, 0), counts(&[]));
    let ids = expert_ids(&fx, "420500").await;
    let related = expert_login(&fx, &ids[0]).await;
    update_own_record(
        &fx,
        &related,
        json!({"relatives_employers": [credit_code("91420100MA4K00005")]}),
    )
    .await;
    // A relative at an organisation that is not avoided changes nothing.
    let unrelated = expert_login(&fx, &ids[1]).await;
    update_own_record(
        &fx,
        &unrelated,
        json!({"relatives_employers": [credit_code("91420100MA4K00006")]}),
    )
    .await;
    let body = with(
        one_stratum(&fx, 1, 0),
        "avoid_organisations",
        avoid(&["91420100MA4K00005"]),
    );
    let after = fx.create_ok(&body).await;
    assert_eq!(excluded(&after, 0), counts(&[("avoided_organisation", 1)]));
    assert_eq!(eligible(&after, 0), 10);
}

#[tokio::test]
async fn tokens_from_an_earlier_draw_of_the_same_center_exclude_and_others_are_refused() {
    let fx = DrawFixture::new(&experts(15, "A0101")).await;
    let (_, other_center) = fx.app.account_with_token("center.two", Role::Center).await;
    let first = fx.drawn(&one_stratum(&fx, 2, 1)).await;
    let first_id = first["draw_id"].as_str().unwrap();
    let seated = tokens(&first, "seated");
    let reserves = tokens(&first, "reserve");
    let body = with(
        one_stratum(&fx, 1, 0),
        "exclude_experts",
        json!([
            {"draw_id": first_id, "token": seated[0]},
            {"draw_id": first_id, "token": reserves[0]},
        ]),
    );
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("excluded_by_token", 2)]));
    assert_eq!(eligible(&created, 0), 13);

    // Another center's draw, and a well-formed token that is no seat, are both refused.
    let response = fx
        .app
        .post(
            "/api/v1/draws",
            Some(&other_center),
            &one_stratum(&fx, 1, 0),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let foreign: Value = response.json().await.unwrap();
    let foreign_id = foreign["draw_id"].as_str().unwrap();
    let foreign = contribute_hex(&fx, &other_center, foreign_id, &"ab".repeat(32)).await;
    let foreign: Value = foreign.json().await.unwrap();
    let foreign_token = tokens(&foreign, "seated")[0].clone();
    let before = draw_ids(&fx, &fx.supervisor).await;
    for (draw_id, token) in [
        (foreign_id, foreign_token.as_str()),
        (first_id, &"00".repeat(32)),
        ("no-such-draw", seated[0].as_str()),
    ] {
        let body = with(
            one_stratum(&fx, 1, 0),
            "exclude_experts",
            json!([{"draw_id": draw_id, "token": token}]),
        );
        let problem =
            assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "exclude_experts[0]");
    }
    assert_eq!(draw_ids(&fx, &fx.supervisor).await, before);
}

#[tokio::test]
async fn region_rules_exclude_under_region() {
    let mut pool = experts(6, "A0101");
    pool.extend((0..5).map(|_| in_region("420500")));
    pool.extend((0..4).map(|_| in_region("420600")));
    let fx = DrawFixture::new(&pool).await;

    let body = with(one_stratum(&fx, 1, 0), "regions_exclude", json!(["4205"]));
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("region", 5)]));
    assert_eq!(eligible(&created, 0), 10);

    let body = with(one_stratum(&fx, 1, 0), "regions_require", json!(["4206"]));
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("region", 11)]));
    assert_eq!(eligible(&created, 0), 4);

    let body = with(
        with(
            one_stratum(&fx, 1, 0),
            "regions_require",
            json!(["4205", "4206"]),
        ),
        "regions_exclude",
        json!(["420600"]),
    );
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("region", 10)]));

    // Cross-site: the project's region (the request's, else the center's) is out.
    let cross = with(one_stratum(&fx, 1, 0), "mode", json!("cross_site"));
    let created = fx
        .create_ok(&with(cross.clone(), "project_region", json!("420602")))
        .await;
    assert_eq!(excluded(&created, 0), counts(&[("region", 4)]));
    assert_eq!(created["mode"], "cross_site");
    let created = fx.create_ok(&fx.fresh(&cross)).await;
    assert_eq!(excluded(&created, 0), counts(&[("region", 6)]));
    let province = with(cross, "project_region", json!("42"));
    let problem =
        assert_problem(fx.create(&province).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "project_region");
}

#[tokio::test]
async fn the_frequency_cap_excludes_exactly_those_seated_and_reserves_are_consumed_in_order() {
    let fx = DrawFixture::with(&experts(15, "A0101"), |s| s.draw.frequency_cap = 1).await;
    let first = fx.drawn(&one_stratum(&fx, 3, 2)).await;
    let id = first["draw_id"].as_str().unwrap();
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("frequency_cap", 3)]));
    assert_eq!(eligible(&created, 0), 12);

    // Reserves take vacated seats in rank order, and count towards the cap once seated.
    let seated = tokens(&first, "seated");
    let reserves = tokens(&first, "reserve");
    let ranks: Vec<u64> = first["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![0, 1, 2, 3, 4]);
    for (vacated, expected) in [(&seated[2], &reserves[0]), (&seated[0], &reserves[1])] {
        fx.confirm_all(id).await;
        let outcome = fx.vacate(id, vacated, "withdrew").await;
        assert_eq!(outcome["successor"], expected.as_str());
    }
    let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
    assert_eq!(excluded(&created, 0), counts(&[("frequency_cap", 5)]));
    assert_eq!(eligible(&created, 0), 10);
}

// ---------------------------------------------------------------------------------------------
// 2. The minimum eligible set.

#[tokio::test]
async fn a_stratum_below_the_minimum_multiple_is_refused_and_nothing_is_written() {
    let mut pool = experts(8, "A0101");
    pool.push(in_region("420500"));
    pool.extend((0..4).map(|_| Expert::plain("B0101")));
    let fx = DrawFixture::new(&pool).await;
    let entries_before = fx.app.entries_written_by_requests().await;

    // k + m = 4 needs 12 of the 9.
    let problem = assert_problem(
        fx.create(&one_stratum(&fx, 2, 2)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("eligible-set-too-small"),
        "{problem}"
    );
    assert_eq!(problem["problems"][0]["eligible"], 9);
    assert_eq!(problem["problems"][0]["k"], 2);
    assert_eq!(problem["problems"][0]["m"], 2);

    // The second stratum is the short one (4 < 3 × 2); the first is fine.
    let two = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
        { "specialty_prefixes": ["B01"], "count": 1, "reserves": 1 },
    ]));
    let problem = assert_problem(fx.create(&two).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["problems"][0]["eligible"], 9);
    assert_eq!(problem["problems"][1]["eligible"], 4);

    // Exclusions count against it too: a rule that leaves 8 of 9 refuses k + m = 3.
    let narrowed = with(one_stratum(&fx, 2, 1), "regions_exclude", json!(["4205"]));
    let problem =
        assert_problem(fx.create(&narrowed).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["problems"][0]["eligible"], 8);
    assert_eq!(problem["problems"][0]["excluded"]["region"], 1);

    assert!(draw_ids(&fx, &fx.center).await.is_empty());
    assert!(draw_ids(&fx, &fx.supervisor).await.is_empty());
    let entries = fx.app.audit_entries().await;
    assert_eq!(
        fx.app.entries_written_by_requests().await,
        entries_before,
        "a refusal wrote to the log"
    );
    assert!(entries_of(&entries, "draw.intent", None).is_empty());

    // Exactly the multiple is enough.
    let created = fx.create_ok(&one_stratum(&fx, 2, 1)).await;
    assert_eq!(eligible(&created, 0), 9);
}

// ---------------------------------------------------------------------------------------------
// 3. Timing.

#[tokio::test]
async fn a_draw_is_accepted_only_between_24_hours_and_30_minutes_before_the_evaluation() {
    let fx = DrawFixture::new(&experts(12, "A0101")).await;
    let body = |offset: i64| {
        with(
            one_stratum(&fx, 1, 0),
            "evaluation_start",
            json!(at(now(&fx) + offset)),
        )
    };
    for offset in [
        29 * MINUTE,
        30 * MINUTE - 1,
        24 * HOUR + MINUTE,
        24 * HOUR + 1,
        -HOUR,
    ] {
        let problem = assert_problem(
            fx.create(&body(offset)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], "evaluation_start", "{offset}");
    }
    assert!(draw_ids(&fx, &fx.center).await.is_empty());
    for offset in [30 * MINUTE, 31 * MINUTE, 23 * HOUR + 59 * MINUTE, 24 * HOUR] {
        let response = fx.create(&body(offset)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{offset}");
    }
    assert_eq!(draw_ids(&fx, &fx.center).await.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// 4. Contributions: the timeout, and waiting for the supervisor.

#[tokio::test]
async fn without_contributions_the_draw_proceeds_at_the_deadline_and_late_ones_are_refused() {
    let fx = DrawFixture::with(&experts(12, "A0101"), |s| {
        s.draw.contribution_timeout_secs = 300;
    })
    .await;
    let created = fx.create_ok(&one_stratum(&fx, 2, 1)).await;
    let id = created["draw_id"].as_str().unwrap();
    fx.app.clock.advance(std::time::Duration::from_secs(299));
    assert_eq!(fx.view(id).await["status"], "awaiting_entropy");
    fx.app.clock.advance(std::time::Duration::from_secs(2));
    // Listed or viewed, an overdue draw is shown with its result, never still waiting.
    let listed = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(listed[0]["status"], "drawn");
    let view = fx.view(id).await;
    assert_eq!(listed[0]["seats"], view["seats"]);
    assert_eq!(view["status"], "drawn");
    assert!(view["contributions"].as_array().unwrap().is_empty());
    assert_eq!(tokens(&view, "seated").len(), 2);
    assert_eq!(tokens(&view, "reserve").len(), 1);

    let late = contribute_hex(&fx, &fx.center, id, &"cd".repeat(32)).await;
    assert_problem(late, StatusCode::CONFLICT).await;
    let late = contribute_hex(&fx, &fx.supervisor, id, &"cd".repeat(32)).await;
    assert_problem(late, StatusCode::CONFLICT).await;

    let record = record(&fx, &fx.center, id).await;
    assert_eq!(record["draws"][0]["contributions"], json!([]));
    assert_eq!(verified_drawn(&record)[0], tokens(&view, "seated"));
    let entries = fx.app.audit_entries().await;
    let results = entries_of(&entries, "draw.result", Some(id));
    assert_eq!(results.len(), 1);
    assert!(entries_of(&entries, "draw.contribution", Some(id)).is_empty());
}

#[tokio::test]
async fn awaiting_the_supervisor_the_center_alone_does_not_complete_the_draw() {
    let fx = DrawFixture::with(&experts(12, "A0101"), |s| s.draw.await_supervisor = true).await;
    let created = fx.create_ok(&one_stratum(&fx, 1, 1)).await;
    let id = created["draw_id"].as_str().unwrap();
    let center_hex = "11".repeat(32);
    let supervisor_hex = "22".repeat(24);
    let response = contribute_hex(&fx, &fx.center, id, &center_hex).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "awaiting_entropy");
    assert!(view["seats"].as_array().unwrap().is_empty());
    let response = contribute_hex(&fx, &fx.supervisor, id, &supervisor_hex).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "drawn");
    let roles: Vec<&str> = view["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["center", "supervisor"]);
    let record = record(&fx, &fx.center, id).await;
    assert_eq!(
        record["draws"][0]["contributions"],
        json!([center_hex, supervisor_hex])
    );
    assert_eq!(verified_drawn(&record)[0], tokens(&view, "seated"));
}

// ---------------------------------------------------------------------------------------------
// 5. A draw is executed once, whoever asks at the same moment.

#[tokio::test]
async fn a_draw_is_executed_exactly_once_under_concurrent_requests_after_its_deadline() {
    let fx = DrawFixture::new(&experts(20, "A0101")).await;
    let created = fx.create_ok(&one_stratum(&fx, 3, 2)).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    fx.app.clock.advance(std::time::Duration::from_secs(121));

    let view_path = format!("/api/v1/draws/{id}");
    let record_path = format!("/api/v1/draws/{id}/record");
    let views = (0..12).map(|i| {
        let token = if i % 3 == 0 {
            &fx.supervisor
        } else {
            &fx.center
        };
        fx.app.get(&view_path, Some(token))
    });
    let records = (0..3).map(|_| fx.app.get(&record_path, Some(&fx.center)));
    let contributions = (0..6).map(|i| {
        let token = if i % 2 == 0 {
            &fx.supervisor
        } else {
            &fx.center
        };
        contribute_hex(&fx, token, &id, "ef0123456789abcdef0123456789abcd")
    });
    let (views, records, contributions) = tokio::join!(
        futures_util::future::join_all(views),
        futures_util::future::join_all(records),
        futures_util::future::join_all(contributions),
    );
    let mut seen = Vec::new();
    for response in views {
        assert_eq!(response.status(), StatusCode::OK);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["status"], "drawn");
        seen.push(view["seats"].clone());
    }
    for response in records {
        assert_eq!(response.status(), StatusCode::OK);
        let record: Value = response.json().await.unwrap();
        assert_eq!(record["draws"][0]["contributions"], json!([]));
        let drawn = verified_drawn(&record);
        assert_eq!(drawn[0].len(), 3);
    }
    for response in contributions {
        assert_problem(response, StatusCode::CONFLICT).await;
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "views disagree");
    let entries = fx.app.audit_entries().await;
    assert_eq!(entries_of(&entries, "draw.result", Some(&id)).len(), 1);
    assert!(entries_of(&entries, "draw.contribution", Some(&id)).is_empty());
    assert_eq!(fx.app.state.draws.execute_overdue().await.unwrap(), 0);
}

#[tokio::test]
async fn concurrent_contributions_all_enter_the_seed_or_are_refused() {
    // The center's contribution completes the draw while the supervisor's arrives: the
    // supervisor's must either be in the seed or be refused, never recorded after the result.
    let fx = DrawFixture::new(&experts(20, "A0101")).await;
    for round in 0..10 {
        let created = fx.create_ok(&one_stratum(&fx, 1, 0)).await;
        let id = created["draw_id"].as_str().unwrap().to_owned();
        let (center_hex, supervisor_hex) = (format!("{round:02}").repeat(32), "5a".repeat(32));
        let (center, supervisor) = tokio::join!(
            contribute_hex(&fx, &fx.center, &id, &center_hex),
            contribute_hex(&fx, &fx.supervisor, &id, &supervisor_hex),
        );
        let center_status = center.status();
        assert_eq!(
            center_status,
            StatusCode::OK,
            "round {round}: {}",
            center.text().await.unwrap()
        );
        let supervisor_status = supervisor.status();
        assert!(
            supervisor_status == StatusCode::OK || supervisor_status == StatusCode::CONFLICT,
            "{supervisor_status}"
        );
        let record = record(&fx, &fx.center, &id).await;
        let entries = fx.app.audit_entries().await;
        let result = entries_of(&entries, "draw.result", Some(&id));
        assert_eq!(result.len(), 1);
        assert_eq!(
            record["draws"][0]["contributions"], result[0]["data"]["contributions"],
            "round {round}: the record's contributions differ from those the result used"
        );
        verified_drawn(&record);
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Permissions and isolation.

#[tokio::test]
async fn only_centers_ask_for_draws_and_a_center_never_sees_another_centers_draw() {
    let fx = DrawFixture::new(&experts(12, "A0101")).await;
    let (_, other) = fx.app.account_with_token("center.two", Role::Center).await;
    let (_, expert) = fx.app.account_with_token("expert.one", Role::Expert).await;
    let body = one_stratum(&fx, 1, 1);
    for token in [&fx.admin, &fx.supervisor, &expert] {
        let response = fx.app.post("/api/v1/draws", Some(token), &body).await;
        assert_problem(response, StatusCode::FORBIDDEN).await;
    }
    assert_problem(
        fx.app.post("/api/v1/draws", None, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for token in [&fx.admin, &expert] {
        assert_problem(
            fx.app.get("/api/v1/draws", Some(token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    // The supervisor sees it and contributes first; the center's contribution completes it.
    let seen = fx
        .app
        .get(&format!("/api/v1/draws/{id}"), Some(&fx.supervisor))
        .await;
    assert_eq!(seen.status(), StatusCode::OK);
    let response = contribute_hex(&fx, &fx.supervisor, &id, &"33".repeat(16)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "awaiting_entropy"
    );
    // The other center can neither see nor touch it, before or after the result.
    let attempt = contribute_hex(&fx, &other, &id, &"44".repeat(16)).await;
    assert_problem(attempt, StatusCode::NOT_FOUND).await;
    let view = fx.contribute(&fx.center, &id).await;
    assert_eq!(view.status(), StatusCode::OK);
    let view: Value = view.json().await.unwrap();
    assert_eq!(view["status"], "drawn");
    assert_eq!(view["contributions"].as_array().unwrap().len(), 2);
    let seat = tokens(&view, "seated")[0].clone();

    for path in [
        format!("/api/v1/draws/{id}"),
        format!("/api/v1/draws/{id}/record"),
    ] {
        let problem =
            assert_problem(fx.app.get(&path, Some(&other)).await, StatusCode::NOT_FOUND).await;
        let missing = assert_problem(
            fx.app
                .get("/api/v1/draws/01234567-no-such-draw", Some(&other))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            problem["detail"], missing["detail"],
            "a 404 must not tell the two apart"
        );
        assert_eq!(
            fx.app.get(&path, Some(&fx.supervisor)).await.status(),
            StatusCode::OK
        );
    }
    let attempt = contribute_hex(&fx, &other, &id, &"44".repeat(16)).await;
    assert_problem(attempt, StatusCode::NOT_FOUND).await;
    let replacement = json!({"token": seat, "reason": "recused"});
    let path = format!("/api/v1/draws/{id}/replacements");
    assert_problem(
        fx.app.post(&path, Some(&other), &replacement).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Supervisors watch; they do not vacate seats.
    assert_problem(
        fx.app.post(&path, Some(&fx.supervisor), &replacement).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(draw_ids(&fx, &other).await.is_empty());
    assert_eq!(draw_ids(&fx, &fx.supervisor).await, vec![id.clone()]);
    // The other center cannot exclude by this draw's tokens either.
    let excluding = with(
        one_stratum(&fx, 1, 0),
        "exclude_experts",
        json!([{"draw_id": id, "token": seat}]),
    );
    let response = fx.app.post("/api/v1/draws", Some(&other), &excluding).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(tokens(&fx.view(&id).await, "seated"), vec![seat]);
    // Only supervisors read the frequency report.
    assert_problem(
        fx.app
            .get("/api/v1/reports/draw-frequency", Some(&fx.center))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        fx.app
            .get("/api/v1/reports/draw-frequency", Some(&fx.supervisor))
            .await
            .status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Bad input.

pub async fn assert_client_error(response: reqwest::Response, field: Option<&str>, what: &str) {
    let status = response.status();
    assert!(status.is_client_error(), "{what}: {status}");
    let problem = assert_problem(response, status).await;
    if let Some(field) = field {
        assert_eq!(problem["field"], field, "{what}: {problem}");
    }
}

#[tokio::test]
async fn bad_draw_requests_get_a_clear_4xx_and_create_nothing() {
    let fx = DrawFixture::new(&experts(12, "A0101")).await;
    let entries_before = fx.app.entries_written_by_requests().await;
    let good = one_stratum(&fx, 1, 0);
    let stratum = |prefix: &str, count: Value, reserves: Value| {
        with(
            good.clone(),
            "strata",
            json!([{ "specialty_prefixes": [prefix], "count": count, "reserves": reserves }]),
        )
    };
    let seventeen: Vec<Value> = (0..17)
        .map(|_| json!({ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }))
        .collect();
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "wrong type",
            stratum("A01", json!("1"), json!(0)),
            Some("strata[0].count"),
        ),
        (
            "negative",
            stratum("A01", json!(-1), json!(0)),
            Some("strata[0].count"),
        ),
        (
            "unknown field",
            with(good.clone(), "colour", json!("red")),
            None,
        ),
        (
            "unknown specialty",
            stratum("C09", json!(1), json!(0)),
            Some("strata[0].specialty_prefixes[0]"),
        ),
        (
            "malformed specialty",
            stratum("A1", json!(1), json!(0)),
            Some("strata[0].specialty_prefixes[0]"),
        ),
        (
            "lowercase prefix",
            stratum("a01", json!(1), json!(0)),
            Some("strata[0].specialty_prefixes[0]"),
        ),
        (
            "count 0",
            stratum("A01", json!(0), json!(0)),
            Some("strata[0].count"),
        ),
        (
            "count 51",
            stratum("A01", json!(51), json!(0)),
            Some("strata[0].count"),
        ),
        (
            "reserves 51",
            stratum("A01", json!(1), json!(51)),
            Some("strata[0].reserves"),
        ),
        (
            "no strata",
            with(good.clone(), "strata", json!([])),
            Some("strata"),
        ),
        (
            "17 strata",
            with(good.clone(), "strata", json!(seventeen)),
            Some("strata"),
        ),
        (
            "no prefixes",
            with(
                good.clone(),
                "strata",
                json!([{ "specialty_prefixes": [], "count": 1, "reserves": 0 }]),
            ),
            Some("strata[0].specialty_prefixes"),
        ),
        (
            "bad credit code",
            with(
                good.clone(),
                "avoid_organisations",
                json!([{"name": "某公司", "credit_code": "91420100MA4K00001X"}]),
            ),
            Some("avoid_organisations[0].credit_code"),
        ),
        (
            "organisation without name",
            with(
                good.clone(),
                "avoid_organisations",
                json!([{"name": "", "credit_code": credit_code("91420100MA4K00001")}]),
            ),
            Some("avoid_organisations[0].name"),
        ),
        (
            "bad region",
            with(good.clone(), "regions_exclude", json!(["4201x"])),
            Some("regions_exclude[0]"),
        ),
        (
            "odd region",
            with(good.clone(), "regions_require", json!(["420"])),
            Some("regions_require[0]"),
        ),
        (
            "bad project region",
            with(good.clone(), "project_region", json!("abc")),
            Some("project_region"),
        ),
        (
            "unknown mode",
            with(good.clone(), "mode", json!("remote")),
            Some("mode"),
        ),
        (
            "bad time",
            with(good.clone(), "evaluation_start", json!("tomorrow 9am")),
            Some("evaluation_start"),
        ),
        (
            "short evaluation",
            with(good.clone(), "evaluation_minutes", json!(5)),
            Some("evaluation_minutes"),
        ),
        (
            "empty name",
            with(good.clone(), "tender_name", json!("  ")),
            Some("tender_name"),
        ),
        (
            "control character",
            with(good.clone(), "tender_reference", json!("HB\u{7}1")),
            Some("tender_reference"),
        ),
        (
            "missing field",
            {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("mode");
                b
            },
            None,
        ),
        (
            "bad token hex",
            with(
                good.clone(),
                "exclude_experts",
                json!([{"draw_id": "x", "token": "zz"}]),
            ),
            Some("exclude_experts[0].token"),
        ),
        (
            "uppercase token",
            with(
                good.clone(),
                "exclude_experts",
                json!([{"draw_id": "x", "token": "AB".repeat(32)}]),
            ),
            Some("exclude_experts[0].token"),
        ),
        (
            "NUL in draw id",
            with(
                good.clone(),
                "exclude_experts",
                json!([{"draw_id": "\u{0}", "token": "ab".repeat(32)}]),
            ),
            Some("exclude_experts[0].draw_id"),
        ),
        (
            "empty draw id",
            with(
                good.clone(),
                "exclude_experts",
                json!([{"draw_id": "", "token": "ab".repeat(32)}]),
            ),
            Some("exclude_experts[0].draw_id"),
        ),
        ("body is an array", json!([good.clone()]), None),
        ("null body", Value::Null, None),
    ];
    for (what, body, field) in cases {
        assert_client_error(fx.create(&body).await, field, what).await;
    }
    let raw = async |body: Vec<u8>, content_type: &'static str| {
        fx.app
            .request(reqwest::Method::POST, "/api/v1/draws", Some(&fx.center))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    };
    assert_client_error(
        raw(b"{\"tender_reference\": ".to_vec(), "application/json").await,
        None,
        "malformed",
    )
    .await;
    assert_client_error(
        raw(b"\xff\xfe{}".to_vec(), "application/json").await,
        None,
        "not UTF-8",
    )
    .await;
    assert_client_error(
        raw(good.to_string().into_bytes(), "text/plain").await,
        None,
        "media type",
    )
    .await;
    let mut huge = good.clone();
    huge["tender_name"] = json!("长".repeat(200_000));
    let response = raw(huge.to_string().into_bytes(), "application/json").await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    let response = fx
        .create(&with(good.clone(), "tender_name", json!("长".repeat(201))))
        .await;
    assert_client_error(response, Some("tender_name"), "long name").await;

    assert!(draw_ids(&fx, &fx.center).await.is_empty());
    assert_eq!(
        fx.app.entries_written_by_requests().await,
        entries_before,
        "bad input wrote to the log"
    );

    // Contributions and replacements against a real draw.
    let created = fx.create_ok(&one_stratum(&fx, 1, 1)).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    let entropy_path = format!("/api/v1/draws/{id}/entropy");
    for (what, value) in [
        ("odd length", json!("abc")),
        ("not hex", json!("zz".repeat(16))),
        ("8 bytes", json!("ab".repeat(8))),
        ("15 bytes", json!("ab".repeat(15))),
        ("2000 bytes", json!("ab".repeat(2000))),
        ("empty", json!("")),
        ("a number", json!(12345)),
        ("null", Value::Null),
    ] {
        let response = fx
            .app
            .post(
                &entropy_path,
                Some(&fx.center),
                &json!({ "entropy": value }),
            )
            .await;
        assert_client_error(response, Some("entropy"), what).await;
    }
    let extra = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/entropy"),
            Some(&fx.center),
            &json!({ "entropy": "ab".repeat(16), "extra": 1 }),
        )
        .await;
    assert_client_error(extra, None, "unknown field in entropy").await;
    let view = fx.view(&id).await;
    assert_eq!(view["status"], "awaiting_entropy");
    assert!(view["contributions"].as_array().unwrap().is_empty());

    let view = fx
        .contribute(&fx.center, &id)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let seat = tokens(&view, "seated")[0].clone();
    let path = format!("/api/v1/draws/{id}/replacements");
    for (what, body, field) in [
        (
            "bad token",
            json!({"token": "xyz", "reason": "recused"}),
            Some("token"),
        ),
        (
            "short token",
            json!({"token": "ab".repeat(16), "reason": "recused"}),
            Some("token"),
        ),
        (
            "unknown reason",
            json!({"token": seat, "reason": "bored"}),
            Some("reason"),
        ),
        (
            "reason case",
            json!({"token": seat, "reason": "Declined"}),
            Some("reason"),
        ),
        (
            "wrong type",
            json!({"token": seat, "reason": 3}),
            Some("reason"),
        ),
        ("missing reason", json!({"token": seat}), None),
    ] {
        let response = fx.app.post(&path, Some(&fx.center), &body).await;
        assert_client_error(response, field, what).await;
    }
    let unknown = fx
        .app
        .post(
            &path,
            Some(&fx.center),
            &json!({"token": "00".repeat(32), "reason": "recused"}),
        )
        .await;
    assert_problem(unknown, StatusCode::CONFLICT).await;
    let after = fx.view(&id).await;
    assert_eq!(
        after["seats"], view["seats"],
        "a refused replacement changed the seats"
    );
    assert_eq!(draw_ids(&fx, &fx.center).await, vec![id.clone()]);
    for path in [
        "/api/v1/draws/%00".to_owned(),
        "/api/v1/draws/%00/record".to_owned(),
        format!("/api/v1/draws/{}", "x".repeat(300)),
        "/api/v1/reports/draw-frequency?days=0".to_owned(),
        "/api/v1/reports/draw-frequency?days=abc".to_owned(),
        "/api/v1/draws?limit=abc".to_owned(),
    ] {
        let response = fx.app.get(&path, Some(&fx.supervisor)).await;
        assert_client_error(response, None, &path).await;
    }
    for (path, body) in [
        (
            "/api/v1/draws/%00/entropy",
            json!({"entropy": "ab".repeat(16)}),
        ),
        (
            "/api/v1/draws/%00/replacements",
            json!({"token": seat, "reason": "recused"}),
        ),
    ] {
        let response = fx.app.post(path, Some(&fx.center), &body).await;
        assert_eq!(
            assert_problem(response, StatusCode::BAD_REQUEST).await["field"],
            "path"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Secrets never leak.

#[tokio::test]
async fn no_expert_identity_reaches_the_logs_or_any_center_visible_answer() {
    let pool = experts(15, "A0101");
    let csv = pool_csv(&pool, 0);
    let fx = DrawFixture::new(&pool).await;
    let ids: Vec<String> = expert_ids(&fx, "420100").await;
    assert_eq!(ids.len(), 15);

    let view = fx.drawn(&one_stratum(&fx, 2, 2)).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let seated = tokens(&view, "seated");
    let path = format!("/api/v1/draws/{id}/replacements");
    let mut visible = vec![view.to_string()];
    for seat in &seated {
        fx.confirm_all(&id).await;
        let response = fx
            .app
            .post(
                &path,
                Some(&fx.center),
                &json!({"token": seat, "reason": "recused"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        visible.push(response.text().await.unwrap());
    }
    fx.confirm_all(&id).await;
    let replaced = fx
        .app
        .post(
            &path,
            Some(&fx.center),
            &json!({"token": tokens(&fx.view(&id).await, "confirmed")[0], "reason": "withdrew"}),
        )
        .await;
    let replaced: Value = replaced.json().await.unwrap();
    visible.push(replaced.to_string());
    let linked = replaced["linked_draw"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/draws/{id}"),
        format!("/api/v1/draws/{id}/record"),
        format!("/api/v1/draws/{linked}"),
        "/api/v1/draws".to_owned(),
    ] {
        let response = fx.app.get(&path, Some(&fx.center)).await;
        assert_eq!(response.status(), StatusCode::OK);
        visible.push(response.text().await.unwrap());
    }
    let report = fx
        .app
        .get("/api/v1/reports/draw-frequency", Some(&fx.supervisor))
        .await;
    assert_eq!(report.status(), StatusCode::OK);
    let report = report.text().await.unwrap();

    let logs = captured_logs();
    let mut secrets = Vec::new();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        secrets.extend([fields[0], fields[1], fields[2], fields[3]]);
    }
    assert_eq!(secrets.len(), 60);
    for secret in &secrets {
        assert!(!logs.contains(secret), "the logs hold {secret}");
        assert!(!report.contains(secret), "the report shows {secret}");
        for text in &visible {
            assert!(!text.contains(secret), "a center saw {secret}");
        }
    }
    for expert_id in &ids {
        assert!(!report.contains(expert_id.as_str()));
        for text in &visible {
            assert!(
                !text.contains(expert_id.as_str()),
                "a center saw an expert id"
            );
        }
    }
    // The audit log names seats by token and experts by pseudonym only.
    for entry in fx.app.audit_entries().await {
        let text = entry.to_string();
        for secret in &secrets {
            assert!(!text.contains(secret));
        }
        if entry["type"].as_str().unwrap().starts_with("draw.") {
            for expert_id in &ids {
                assert!(!text.contains(expert_id.as_str()), "{}", entry["type"]);
            }
        }
    }
}

#[tokio::test]
async fn the_evaluation_year_is_the_provinces_year_not_utcs() {
    // An evaluation at 00:30 on 1 January in Hubei (UTC+8) is still 31 December in UTC: an
    // expert who turns 70 that new year must not be drawn for it.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut year = day_in_china(now_ms).year() + 1;
    let start_of = |year: i32| {
        chrono::DateTime::parse_from_rfc3339(&format!("{year}-01-01T00:30:00+08:00"))
            .unwrap()
            .timestamp_millis()
    };
    while start_of(year) - now_ms < 2 * DAY {
        year += 1;
    }
    let start = start_of(year);
    let mut pool = experts(9, "A0101");
    pool.push(Expert {
        birth_year: (year - 70) as u32,
        ..Expert::plain("A0101")
    });
    pool.push(Expert {
        birth_year: (year - 69) as u32,
        ..Expert::plain("A0101")
    });
    let fx = DrawFixture::new(&pool).await;
    let wait = start - 2 * HOUR - now(&fx);
    fx.app
        .clock
        .advance(std::time::Duration::from_millis(wait as u64));
    let (_, center) = fx
        .app
        .account_with_token("center.newyear", Role::Center)
        .await;
    let body = with(one_stratum(&fx, 1, 0), "evaluation_start", json!(at(start)));
    let response = fx.app.post("/api/v1/draws", Some(&center), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(excluded(&created, 0), counts(&[("age_limit", 1)]));
    assert_eq!(eligible(&created, 0), 10);
}

#[tokio::test]
async fn simultaneous_replacements_take_distinct_reserves_in_rank_order() {
    let fx = DrawFixture::new(&experts(30, "A0101")).await;
    for _ in 0..3 {
        let view = fx.drawn(&one_stratum(&fx, 4, 4)).await;
        let id = view["draw_id"].as_str().unwrap().to_owned();
        let seated = tokens(&view, "seated");
        let reserves = tokens(&view, "reserve");
        let path = format!("/api/v1/draws/{id}/replacements");
        fx.confirm_all(&id).await;
        let bodies: Vec<Value> = seated
            .iter()
            .map(|token| json!({"token": token, "reason": "withdrew"}))
            .collect();
        let responses = futures_util::future::join_all(
            bodies
                .iter()
                .map(|body| fx.app.post(&path, Some(&fx.center), body)),
        )
        .await;
        let mut successors = Vec::new();
        for response in responses {
            assert_eq!(response.status(), StatusCode::OK);
            let outcome: Value = response.json().await.unwrap();
            successors.push(outcome["successor"].as_str().unwrap().to_owned());
        }
        successors.sort();
        let mut expected = reserves.clone();
        expected.sort();
        assert_eq!(
            successors, expected,
            "two vacated seats took the same reserve"
        );
        let after = fx.view(&id).await;
        assert_eq!(tokens(&after, "seated").len(), 4);
        assert_eq!(after["progress"][0]["replaced"], 4);
        assert_eq!(after["progress"][0]["reserves_left"], 0);
    }
}
