//! Training records and training currency (issue 22 §2; docs/POOL.md, "Training, assessment
//! and tiers"): an admin records, corrects and voids training, never editing a record; admins,
//! supervisors and the expert read it; an expert behind on training is excluded from draws as
//! `training_behind` where the deployment requires it, and drawn where it does not.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draw_rules::{
    assert_client_error, counts, day_in_china, eligible, excluded, expert_ids, expert_login,
};
use crate::draws::{DrawFixture, experts};
use crate::helpers::*;

const DAY: Duration = Duration::from_secs(86_400);

/// The province's date `days` before the server's today.
fn days_ago(fx: &DrawFixture, days: i64) -> String {
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    (day_in_china(now) - chrono::Duration::days(days)).to_string()
}

fn course(fx: &DrawFixture, hours: f64, days: i64) -> Value {
    json!({
        "course": "评标专家继续教育：电子招标投标实务",
        "hours": hours,
        "date": days_ago(fx, days),
        "certificate_ref": "HBPX-2026-0001",
    })
}

async fn record(fx: &DrawFixture, expert: &str, body: &Value) -> Value {
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert}/training"),
            Some(&fx.admin),
            body,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

async fn training_of(fx: &DrawFixture, expert: &str) -> Value {
    fx.app
        .get_json(
            &format!("/api/v1/experts/{expert}/training"),
            Some(&fx.supervisor),
        )
        .await
}

/// Logins that outlive the year the clock is moved on.
async fn fixture(require_training: bool) -> DrawFixture {
    DrawFixture::with(&experts(14, "A0101"), move |settings| {
        settings.auth.token_idle_minutes = 500 * 24 * 60;
        settings.auth.token_absolute_hours = 500 * 24;
        settings.draw.require_training_current = require_training;
        settings.pool.training.required_hours_per_year = 8;
    })
    .await
}

#[tokio::test]
async fn training_is_recorded_corrected_and_voided_never_edited_and_the_expert_reads_their_own() {
    let fx = fixture(true).await;
    let ids = expert_ids(&fx, "420100").await;
    let expert = &ids[0];

    let first = record(&fx, expert, &course(&fx, 4.5, 10)).await;
    assert_eq!(first["hours"], 4.5);
    assert_eq!(first["date"], days_ago(&fx, 10));
    assert_eq!(first["certificate_ref"], "HBPX-2026-0001");
    assert_eq!(first["voided_at"], Value::Null);
    let first_id = first["record_id"].as_str().unwrap().to_owned();

    let summary = training_of(&fx, expert).await;
    assert_eq!(summary["hours_last_12_months"], 4.5);
    assert_eq!(summary["required_hours"], 8);
    // In the pool for less than twelve months: not yet behind, whatever the hours.
    assert_eq!(summary["behind"], false);

    // A correction is a new record that voids the old one, with the reason.
    let mut corrected = course(&fx, 6.0, 10);
    corrected["corrects"] =
        json!({"record_id": first_id, "reason": "学时登记有误，以培训证书为准"});
    let second = record(&fx, expert, &corrected).await;
    assert_eq!(second["corrects"], first_id.as_str());
    let summary = training_of(&fx, expert).await;
    assert_eq!(summary["hours_last_12_months"], 6.0);
    let records = summary["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    let old = records
        .iter()
        .find(|r| r["record_id"] == first_id.as_str())
        .unwrap();
    assert_eq!(old["hours"], 4.5, "a voided record keeps what it said");
    assert_eq!(old["void_reason"], "学时登记有误，以培训证书为准");
    assert!(old["voided_at"].is_string());

    // Voided outright, it counts nowhere; voiding it again is a conflict.
    let second_id = second["record_id"].as_str().unwrap();
    let void_path = format!("/api/v1/experts/{expert}/training/{second_id}/void");
    let reason = json!({"reason": "误录入他人的培训记录"});
    let voided = fx.app.post(&void_path, Some(&fx.admin), &reason).await;
    assert_eq!(voided.status(), StatusCode::OK);
    assert_problem(
        fx.app.post(&void_path, Some(&fx.admin), &reason).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(training_of(&fx, expert).await["hours_last_12_months"], 0.0);

    // The expert reads the same records, in the same shape.
    let own_token = expert_login(&fx, expert).await;
    let own = fx
        .app
        .get_json("/api/v1/me/training", Some(&own_token))
        .await;
    assert_eq!(own["records"], training_of(&fx, expert).await["records"]);
    assert_eq!(own["hours_last_12_months"], 0.0);
    for key in ["required_hours", "window_from", "window_through", "behind"] {
        assert!(own.get(key).is_some(), "{key}: {own}");
    }

    // Audited by pseudonym: neither the expert's id nor the course's name is in the log.
    let recorded = fx.app.audit_entries_of("expert.training_recorded").await;
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        fx.app
            .audit_entries_of("expert.training_voided")
            .await
            .len(),
        1
    );
    let log = serde_json::to_string(&fx.app.audit_entries().await).unwrap();
    assert!(!log.contains(expert.as_str()));
    assert!(!log.contains("电子招标投标实务"));

    // Who may: a center neither records nor reads; an expert reads only their own.
    for bearer in [&fx.center, &own_token] {
        let response = fx
            .app
            .post(
                &format!("/api/v1/experts/{expert}/training"),
                Some(bearer),
                &course(&fx, 2.0, 1),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let response = fx
        .app
        .get(
            &format!("/api/v1/experts/{expert}/training"),
            Some(&fx.center),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_training_input_is_refused_naming_the_field_and_writes_nothing() {
    let fx = fixture(true).await;
    let ids = expert_ids(&fx, "420100").await;
    let expert = &ids[0];
    let kept = record(&fx, expert, &course(&fx, 2.0, 3)).await;
    let kept_id = kept["record_id"].as_str().unwrap();
    let before = fx.app.entries_written_by_requests().await;
    let listing = training_of(&fx, expert).await;

    let with = |key: &str, value: Value| {
        let mut body = course(&fx, 2.0, 3);
        body[key] = value;
        body
    };
    let tomorrow = days_ago(&fx, -1);
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("a quarter hour", with("hours", json!(0.25)), Some("hours")),
        ("no hours", with("hours", json!(0)), Some("hours")),
        ("too many hours", with("hours", json!(200.5)), Some("hours")),
        (
            "not a date",
            with("date", json!("2026-13-01")),
            Some("date"),
        ),
        ("a future date", with("date", json!(tomorrow)), Some("date")),
        ("no course", with("course", json!("  ")), Some("course")),
        (
            "a hidden character",
            with("course", json!("评标\u{202e}培训")),
            Some("course"),
        ),
        (
            "no certificate",
            with("certificate_ref", json!("")),
            Some("certificate_ref"),
        ),
        (
            "an unknown correction",
            with(
                "corrects",
                json!({"record_id": "nope", "reason": "学时登记有误，以证书为准"}),
            ),
            Some("corrects.record_id"),
        ),
        (
            "a short reason",
            with("corrects", json!({"record_id": kept_id, "reason": "错"})),
            Some("corrects.reason"),
        ),
        ("an unknown member", with("minutes", json!(30)), None),
    ];
    for (what, body, field) in cases {
        let response = fx
            .app
            .post(
                &format!("/api/v1/experts/{expert}/training"),
                Some(&fx.admin),
                &body,
            )
            .await;
        assert_client_error(response, field, what).await;
    }
    let response = fx
        .app
        .post(
            "/api/v1/experts/no-such-expert/training",
            Some(&fx.admin),
            &course(&fx, 2.0, 3),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert}/training/{kept_id}/void"),
            Some(&fx.admin),
            &json!({"reason": "短"}),
        )
        .await;
    assert_client_error(response, Some("reason"), "a short void reason").await;
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{}/training/{kept_id}/void", ids[1]),
            Some(&fx.admin),
            &json!({"reason": "误录入他人的培训记录"}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;

    assert_eq!(fx.app.entries_written_by_requests().await, before);
    assert_eq!(training_of(&fx, expert).await, listing);
}

/// A year on: ten experts with 8 hours in the last twelve months; one with 7.5, one with 8
/// completed thirteen months ago, one voided, one with none.
async fn a_year_on_with_a_shortfall(fx: &DrawFixture) {
    fx.app.clock.advance(400 * DAY);
    let ids = expert_ids(fx, "420100").await;
    assert_eq!(ids.len(), 14);
    for expert in &ids[..10] {
        record(fx, expert, &course(fx, 5.0, 200)).await;
        record(fx, expert, &course(fx, 3.0, 20)).await;
    }
    record(fx, &ids[10], &course(fx, 7.5, 30)).await;
    record(fx, &ids[11], &course(fx, 8.0, 395)).await;
    let voided = record(fx, &ids[12], &course(fx, 8.0, 30)).await;
    let response = fx
        .app
        .post(
            &format!(
                "/api/v1/experts/{}/training/{}/void",
                ids[12],
                voided["record_id"].as_str().unwrap()
            ),
            Some(&fx.admin),
            &json!({"reason": "证书核验不通过，学时不予认定"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(training_of(fx, &ids[10]).await["behind"], true);
    assert_eq!(training_of(fx, &ids[0]).await["behind"], false);
}

#[tokio::test]
async fn experts_behind_on_training_are_excluded_as_training_behind_where_it_is_required() {
    let fx = fixture(true).await;
    a_year_on_with_a_shortfall(&fx).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 2, "reserves": 1 }]));
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("training_behind", 4)]));
    assert_eq!(eligible(&created, 0), 10);

    // The rule is committed with the filter: a supervisor's recheck finds the same set.
    let id = created["draw_id"].as_str().unwrap();
    let recheck: Value = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/recheck"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recheck["filter_matches_commitment"], true, "{recheck}");
    assert_eq!(recheck["strata"][0]["members_match_committed_root"], true);
}

#[tokio::test]
async fn where_training_currency_is_not_required_nobody_is_excluded_for_it() {
    let fx = fixture(false).await;
    a_year_on_with_a_shortfall(&fx).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 2, "reserves": 1 }]));
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[]));
    assert_eq!(eligible(&created, 0), 14);
}
