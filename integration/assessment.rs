//! The annual assessment and tiers (issue 22 §2; docs/POOL.md, "Training, assessment and
//! tiers"): a small pool's scores and proposed tiers match the documented formula worked by
//! hand; an admin adjusts a tier with a reason and confirms the year, whose tiers then are the
//! experts'; a confirmed year is final; a stratum that requires a tier excludes those below as
//! `tier_below`, and its record verifies offline; bad input is refused, writing nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draw_rules::{
    assert_client_error, counts, day_in_china, eligible, excluded, expert_ids,
};
use crate::draws::{DrawFixture, Expert, assert_live_record_verifies, experts, tokens};
use crate::helpers::*;

pub(crate) fn this_year(fx: &DrawFixture) -> i32 {
    use chrono::Datelike;
    day_in_china(sealdraw::clock::Clock::now_millis(&fx.app.clock)).year()
}

fn in_region(region: &'static str, specialties: &'static str) -> Expert {
    Expert {
        region,
        ..Expert::plain(specialties)
    }
}

pub(crate) async fn train(fx: &DrawFixture, expert: &str, hours: f64) {
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert}/training"),
            Some(&fx.admin),
            &json!({
                "course": "评标专家年度培训",
                "hours": hours,
                "date": day_in_china(now).to_string(),
                "certificate_ref": "HBPX-2026-0100",
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn penalise(fx: &DrawFixture, expert: &str) {
    let response = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert}/penalties"),
            Some(&fx.admin),
            &json!({"reason_code": "absence"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

pub(crate) async fn post_ok(fx: &DrawFixture, path: &str, body: &Value) -> Value {
    let response = fx.app.post(path, Some(&fx.admin), body).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{path}: {}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

/// Every result of a year, by expert id.
async fn results(
    fx: &DrawFixture,
    year: i32,
) -> (Value, std::collections::BTreeMap<String, Value>) {
    let page = fx
        .app
        .get_json(
            &format!("/api/v1/assessments/{year}?limit=1000"),
            Some(&fx.supervisor),
        )
        .await;
    let by_id = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["expert_id"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    (page["assessment"].clone(), by_id)
}

async fn one(fx: &DrawFixture, region: &str) -> String {
    let ids = expert_ids(fx, region).await;
    assert_eq!(ids.len(), 1, "{region}");
    ids[0].clone()
}

pub(crate) async fn adjust(
    fx: &DrawFixture,
    year: i32,
    expert: &str,
    tier: &str,
) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/assessments/{year}/experts/{expert}/tier"),
            Some(&fx.admin),
            &json!({"tier": tier, "reason": "年度评标表现经专家库管理处复核调整"}),
        )
        .await
}

#[tokio::test]
async fn a_small_pools_assessment_matches_the_formula_by_hand_and_a_confirmed_year_is_final() {
    // Four experts told apart by region, and six more under C01 for a draw whose drawn
    // member leaves after confirming (a no-show).
    let mut pool = vec![
        in_region("420200", "A0101"),
        in_region("420300", "A0101"),
        in_region("420500", "A0101"),
        in_region("420600", "A0101"),
    ];
    pool.extend(experts(6, "C0101"));
    let fx = DrawFixture::new(&pool).await;
    let full = one(&fx, "420200").await;
    let half = one(&fx, "420300").await;
    let penalised = one(&fx, "420500").await;
    let twice = one(&fx, "420600").await;
    train(&fx, &full, 8.0).await;
    train(&fx, &half, 4.0).await;
    train(&fx, &penalised, 4.0).await;
    penalise(&fx, &penalised).await;
    penalise(&fx, &twice).await;
    penalise(&fx, &twice).await;
    let view = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 1, "reserves": 1 }])))
        .await;
    let draw_id = view["draw_id"].as_str().unwrap();
    fx.confirm_all(draw_id).await;
    let seated = tokens(&view, "seated");
    fx.vacate(draw_id, &seated[0], "withdrew").await;

    let year = this_year(&fx);
    let computed = post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/compute"),
        &json!({}),
    )
    .await;
    assert_eq!(computed["status"], "computed");
    assert_eq!(computed["experts"], 10);
    // By hand, with the default weights (rating 80, training 20; no ratings count as 100):
    //   full:      rating 100, training 8/8 = 100            → 100.00, A
    //   half:      training 4/8 = 50: (8000 + 1000)/100      →  90.00, A (90 is A's threshold)
    //   penalised: 90 − 10 for the penalty                   →  80.00, B
    //   twice:     no training: 80 − 2 × 10                  →  60.00, C
    //   C01:       no training: 80; the no-show − 5          →  80.00 / 75.00, B
    assert_eq!(computed["tiers"], json!({"A": 2, "B": 7, "C": 1}));
    let (_, by_id) = results(&fx, year).await;
    let expect = |id: &str, score: f64, tier: &str| {
        let result = &by_id[id];
        assert_eq!(result["score"], score, "{result}");
        assert_eq!(result["proposed_tier"], tier, "{result}");
        assert_eq!(result["tier"], tier, "{result}");
    };
    expect(&full, 100.0, "A");
    expect(&half, 90.0, "A");
    expect(&penalised, 80.0, "B");
    expect(&twice, 60.0, "C");
    assert_eq!(by_id[&penalised]["penalties"], 1);
    assert_eq!(by_id[&twice]["penalties"], 2);
    assert_eq!(by_id[&full]["training_hours"], 8.0);
    assert_eq!(by_id[&full]["rating_mean"], Value::Null);
    let no_shows: Vec<&Value> = by_id.values().filter(|r| r["no_shows"] == 1).collect();
    assert_eq!(no_shows.len(), 1);
    assert_eq!(no_shows[0]["score"], 75.0);
    assert_eq!(no_shows[0]["tier"], "B");

    // An unconfirmed year may be computed again; an adjustment names its reason.
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/compute"),
        &json!({}),
    )
    .await;
    let adjusted = adjust(&fx, year, &penalised, "A").await;
    assert_eq!(adjusted.status(), StatusCode::OK);
    let adjusted: Value = adjusted.json().await.unwrap();
    assert_eq!(adjusted["proposed_tier"], "B");
    assert_eq!(adjusted["tier"], "A");
    assert_eq!(
        adjusted["adjust_reason"],
        "年度评标表现经专家库管理处复核调整"
    );

    // Until the year is confirmed, the experts' tiers are as they were (B, not assessed).
    let record = |id: String| {
        let fx = &fx;
        async move {
            fx.app
                .get_json(&format!("/api/v1/experts/{id}"), Some(&fx.admin))
                .await
        }
    };
    assert_eq!(record(twice.clone()).await["tier"], "B");
    let confirmed = post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/confirm"),
        &json!({}),
    )
    .await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["tiers"], json!({"A": 3, "B": 6, "C": 1}));
    assert_eq!(record(full.clone()).await["tier"], "A");
    assert_eq!(record(penalised.clone()).await["tier"], "A");
    assert_eq!(record(twice.clone()).await["tier"], "C");
    assert_eq!(record(half.clone()).await["tier"], "A");

    // Confirmed is final: no recompute, adjustment or second confirmation.
    let before = fx.app.entries_written_by_requests().await;
    for response in [
        fx.app
            .post(
                &format!("/api/v1/assessments/{year}/compute"),
                Some(&fx.admin),
                &json!({}),
            )
            .await,
        adjust(&fx, year, &twice, "B").await,
        fx.app
            .post(
                &format!("/api/v1/assessments/{year}/confirm"),
                Some(&fx.admin),
                &json!({}),
            )
            .await,
    ] {
        let problem = assert_problem(response, StatusCode::CONFLICT).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("confirmed"),
            "{problem}"
        );
    }
    assert_eq!(fx.app.entries_written_by_requests().await, before);
    assert_eq!(record(twice).await["tier"], "C");

    // Each act is audited, the expert by pseudonym and the reason by its digest.
    assert_eq!(
        fx.app.audit_entries_of("assessment.computed").await.len(),
        2
    );
    assert_eq!(
        fx.app.audit_entries_of("assessment.adjusted").await.len(),
        1
    );
    assert_eq!(
        fx.app.audit_entries_of("assessment.confirmed").await.len(),
        1
    );
    let log = serde_json::to_string(&fx.app.audit_entries().await).unwrap();
    assert!(!log.contains(penalised.as_str()));
    assert!(!log.contains("复核调整"));
}

/// Twenty experts: after the year's assessment is confirmed, eight are A, three C, the rest B.
async fn tiered_pool() -> (DrawFixture, Vec<String>) {
    let fx = DrawFixture::new(&experts(20, "A0101")).await;
    let ids = expert_ids(&fx, "420100").await;
    let year = this_year(&fx);
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/compute"),
        &json!({}),
    )
    .await;
    for (i, id) in ids.iter().enumerate() {
        let tier = match i {
            0..8 => "A",
            8..11 => "C",
            _ => continue,
        };
        assert_eq!(adjust(&fx, year, id, tier).await.status(), StatusCode::OK);
    }
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/confirm"),
        &json!({}),
    )
    .await;
    (fx, ids)
}

#[tokio::test]
async fn a_stratum_requiring_a_tier_excludes_those_below_as_tier_below_and_its_record_verifies() {
    let (fx, _) = tiered_pool().await;
    let body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 1, "min_tier": "A" },
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0, "min_tier": "B" },
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
    ]));
    let created = fx.create_ok(&body).await;
    assert_eq!(excluded(&created, 0), counts(&[("tier_below", 12)]));
    assert_eq!(eligible(&created, 0), 8);
    assert_eq!(excluded(&created, 1), counts(&[("tier_below", 3)]));
    assert_eq!(eligible(&created, 1), 17);
    assert_eq!(excluded(&created, 2), counts(&[]));
    assert_eq!(eligible(&created, 2), 20);

    // The tiers are committed with the filter: the recheck re-derives the same sets...
    let id = created["draw_id"].as_str().unwrap().to_owned();
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
    for stratum in recheck["strata"].as_array().unwrap() {
        assert_eq!(stratum["members_match_committed_root"], true, "{recheck}");
        assert_eq!(stratum["no_longer_eligible"], 0);
    }

    // ...and the drawn record verifies with both offline verifiers.
    let view: Value = fx.contribute(&fx.center, &id).await.json().await.unwrap();
    assert_eq!(view["status"], "drawn", "{view}");
    let record = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.center))
        .await;
    assert_live_record_verifies(&fx, &record, "3/3 seats held");

    // A stratum asks for A or B; C (every tier) or another letter is refused by its field.
    for (tier, what) in [(json!("C"), "tier C"), (json!("D"), "no such tier")] {
        let body = fx.request(json!([
            { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0, "min_tier": tier },
        ]));
        let response = fx.create(&body).await;
        let field = (what == "tier C").then_some("strata[0].min_tier");
        assert_client_error(response, field, what).await;
    }
}

#[tokio::test]
async fn bad_assessment_input_is_refused_naming_the_field_and_writes_nothing() {
    let fx = DrawFixture::new(&experts(6, "A0101")).await;
    let ids = expert_ids(&fx, "420100").await;
    let year = this_year(&fx);
    // No run yet: nothing to list, adjust or confirm.
    let response = fx
        .app
        .get(&format!("/api/v1/assessments/{year}"), Some(&fx.admin))
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/compute"),
        &json!({}),
    )
    .await;
    let before = fx.app.entries_written_by_requests().await;
    let (_, results_before) = results(&fx, year).await;

    for (path, what) in [
        ("/api/v1/assessments/abc/compute".to_owned(), "not a year"),
        ("/api/v1/assessments/1999/compute".to_owned(), "too early"),
        (
            format!("/api/v1/assessments/{}/compute", year + 1),
            "not over",
        ),
    ] {
        let response = fx.app.post(&path, Some(&fx.admin), &json!({})).await;
        assert_client_error(response, Some("year"), what).await;
    }
    let tier_path = format!("/api/v1/assessments/{year}/experts/{}/tier", ids[0]);
    for (body, field, what) in [
        (
            json!({"tier": "D", "reason": "年度评标表现经复核调整"}),
            None,
            "no such tier",
        ),
        (
            json!({"tier": "A", "reason": "短"}),
            Some("reason"),
            "a short reason",
        ),
        (json!({"tier": "A"}), None, "no reason"),
    ] {
        let response = fx.app.post(&tier_path, Some(&fx.admin), &body).await;
        assert_client_error(response, field, what).await;
    }
    let response = adjust(&fx, year, "no-such-expert", "A").await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let response = fx
        .app
        .post(
            &format!("/api/v1/assessments/{}/confirm", year - 1),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    // Who may: a supervisor reads, never computes, adjusts or confirms; a center does neither.
    for path in [
        format!("/api/v1/assessments/{year}/compute"),
        format!("/api/v1/assessments/{year}/confirm"),
    ] {
        let response = fx.app.post(&path, Some(&fx.supervisor), &json!({})).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let response = fx
        .app
        .get(&format!("/api/v1/assessments/{year}"), Some(&fx.center))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    assert_eq!(fx.app.entries_written_by_requests().await, before);
    assert_eq!(results(&fx, year).await.1, results_before);
}
