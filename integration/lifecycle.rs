//! One expert's whole life in the pool (issue 22; docs/POOL.md): an application approved with
//! a term, a suspension that lapses, a rating appealed and granted, a renewal before the term
//! ends, a training shortfall that keeps them out of a draw, a tier below a stratum's floor,
//! and the automatic exit at the age limit, each with the effect a draw or the expert sees.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admission::{act, application, filed, logged_in_from, sent};
use crate::assessment::{adjust, post_ok, this_year, train};
use crate::draw_rules::{counts, day_in_china, excluded, expert_ids};
use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::*;
use crate::invitations::past_the_evaluation_window;
use sealdraw::clock::Clock as _;
use sealdraw::pool::validate::complete_id_number;

const DAY: Duration = Duration::from_secs(86_400);

fn today(fx: &DrawFixture) -> chrono::NaiveDate {
    day_in_china(fx.app.clock.now_millis())
}

/// Moves the clock to the first hour of `day` in the province.
fn advance_to(fx: &DrawFixture, day: chrono::NaiveDate) {
    let target = day
        .and_hms_opt(1, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000;
    let now = fx.app.clock.now_millis();
    assert!(target > now, "{day} is not ahead");
    fx.app
        .clock
        .advance(Duration::from_millis((target - now) as u64));
}

/// A one-seat draw over the pool's shared specialty, with `floor` as its lowest tier: the
/// reasons it excluded experts for.
async fn exclusions(
    fx: &DrawFixture,
    floor: Option<&str>,
) -> std::collections::BTreeMap<String, u64> {
    let mut stratum = json!({ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 });
    if let Some(tier) = floor {
        stratum["min_tier"] = json!(tier);
    }
    let created = fx.create_ok(&fx.request(json!([stratum]))).await;
    excluded(&created, 0)
}

async fn status_of(fx: &DrawFixture, expert: &str) -> Value {
    fx.app
        .get_json(&format!("/api/v1/experts/{expert}"), Some(&fx.admin))
        .await
}

#[tokio::test]
async fn an_applicant_walks_from_application_through_renewal_suspension_training_tier_and_appeal_to_exit_at_the_age_limit()
 {
    let fx = DrawFixture::with(&experts(12, "A0101"), |settings| {
        settings.auth.token_idle_minutes = 1000 * 24 * 60;
        settings.auth.token_absolute_hours = 1000 * 24;
        settings.draw.require_training_current = true;
        settings.draw.min_eligible_multiple = 1;
        settings.pool.training.required_hours_per_year = 8;
    })
    .await;
    let app = &fx.app;
    let pool = expert_ids(&fx, "420100").await;
    assert_eq!(pool.len(), 12);

    // Born so that the age limit (70) is reached on the first of January two years from now.
    let start_year = this_year(&fx);
    let birth_year = start_year + 2 - 70;
    let mut body = application(&crate::admission::applicant(31));
    body["id_number"] = json!(complete_id_number(&format!("420106{birth_year}0615031")));

    // 1. The application, reviewed and approved with a one-year term; the login comes by SMS.
    let (application_id, _) = filed(app, &body).await;
    let opened = act(app, &fx.admin, &application_id, "open", &json!({})).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let approved: Value = act(
        app,
        &fx.admin,
        &application_id,
        "approve",
        &json!({"term_years": 1}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(approved["status"], "approved", "{approved}");
    let expert = approved["expert_id"].as_str().unwrap().to_owned();
    let term_end: chrono::NaiveDate = approved["term_end"].as_str().unwrap().parse().unwrap();
    let message = sent(app, "expert-admitted", 1).await.remove(0);
    let bearer = logged_in_from(app, &message).await;
    let own: Value = app.get_json("/api/v1/me/expert", Some(&bearer)).await;
    assert_eq!(own["status"], "active", "{own}");
    assert_eq!(own["term_end"], term_end.to_string(), "{own}");
    for id in pool.iter().chain([&expert]) {
        train(&fx, id, 8.0).await;
    }
    assert_eq!(exclusions(&fx, None).await, counts(&[]));

    // 2. Suspended for a week: the draw passes them over; the suspension lapses on its own.
    let until = today(&fx) + chrono::Days::new(7);
    let suspended = app
        .post(
            &format!("/api/v1/experts/{expert}/status"),
            Some(&fx.admin),
            &json!({"status": "suspended", "suspended_until": until.to_string(), "reason_code": "request"}),
        )
        .await;
    assert_eq!(suspended.status(), StatusCode::OK);
    let own: Value = app.get_json("/api/v1/me/expert", Some(&bearer)).await;
    assert_eq!(own["suspended_until"], until.to_string(), "{own}");
    assert_eq!(exclusions(&fx, None).await, counts(&[("suspended", 1)]));
    app.clock.advance(8 * DAY);
    assert!(app.state.apply_exit_rules().await.unwrap() >= 1);
    assert_eq!(status_of(&fx, &expert).await["status"], "active");
    assert_eq!(exclusions(&fx, None).await, counts(&[]));

    // 3. Drawn alone for their second specialty, rated low by the center, appealed, granted.
    let drawn = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 1, "reserves": 0 }])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&draw_id).await;
    let view = fx.view(&draw_id).await;
    past_the_evaluation_window(&fx, &view).await;
    let seat = tokens(&view, "confirmed").remove(0);
    let rated = app
        .post(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(&fx.center),
            &json!({"token": seat, "punctuality": 2, "diligence": 2, "discipline": 2}),
        )
        .await;
    assert_eq!(rated.status(), StatusCode::CREATED);
    let own: Value = app.get_json("/api/v1/me/ratings", Some(&bearer)).await;
    let rating = own["ratings"][0]["rating_id"].as_str().unwrap().to_owned();
    let appeal: Value = app
        .post(
            &format!("/api/v1/me/ratings/{rating}/appeal"),
            Some(&bearer),
            &json!({"reason": "评价所述情况与评标室签到记录不符"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let decided = app
        .post(
            &format!(
                "/api/v1/rating-appeals/{}/decision",
                appeal["appeal_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
            &json!({"outcome": "granted", "reason": "经核查签到记录，评价依据不足"}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);
    let file = app.get_json("/api/v1/me/credit-file", Some(&bearer)).await;
    let kinds: Vec<&str> = file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["rating", "appeal_filed", "appeal_decided"],
        "{file}"
    );
    assert_eq!(file["events"][0]["withdrawn"], true, "{file}");
    assert_eq!(file["events"][2]["outcome"], "granted");

    // 4. Two months before the term ends the expert asks to renew and an admin approves.
    advance_to(&fx, term_end - chrono::Days::new(60));
    let new_term_end = renew(&fx, &bearer).await;
    assert!(
        new_term_end > term_end + chrono::Days::new(360),
        "{new_term_end}"
    );
    let own: Value = app.get_json("/api/v1/me/expert", Some(&bearer)).await;
    assert_eq!(own["term_end"], new_term_end.to_string(), "{own}");

    // 5. Past the first term's end: still active (renewed), but a year on from their training
    //    and so behind on it; the draw excludes them for that alone until they train again.
    advance_to(&fx, term_end + chrono::Days::new(5));
    app.state.apply_exit_rules().await.unwrap();
    assert_eq!(status_of(&fx, &expert).await["status"], "active");
    for id in &pool {
        train(&fx, id, 8.0).await;
    }
    assert_eq!(
        exclusions(&fx, None).await,
        counts(&[("training_behind", 1)])
    );
    train(&fx, &expert, 8.0).await;
    assert_eq!(exclusions(&fx, None).await, counts(&[]));

    // 6. The year's assessment, reviewed down to C and confirmed: a stratum needing B or
    //    better passes them over.
    let year = this_year(&fx);
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/compute"),
        &json!({}),
    )
    .await;
    assert_eq!(
        adjust(&fx, year, &expert, "C").await.status(),
        StatusCode::OK
    );
    post_ok(
        &fx,
        &format!("/api/v1/assessments/{year}/confirm"),
        &json!({}),
    )
    .await;
    assert_eq!(status_of(&fx, &expert).await["tier"], "C");
    let own: Value = app.get_json("/api/v1/me/expert", Some(&bearer)).await;
    assert_eq!(
        (&own["tier"], &own["status"]),
        (&json!("C"), &json!("active"))
    );
    assert_eq!(
        exclusions(&fx, Some("B")).await,
        counts(&[("tier_below", 1)])
    );
    assert_eq!(exclusions(&fx, None).await, counts(&[]));

    // 7. The year they turn 70 they leave the pool, told by SMS; draws no longer see them.
    advance_to(
        &fx,
        chrono::NaiveDate::from_ymd_opt(birth_year + 70, 1, 2).unwrap(),
    );
    for id in &pool {
        train(&fx, id, 8.0).await;
    }
    assert!(app.state.apply_exit_rules().await.unwrap() >= 1);
    let record = status_of(&fx, &expert).await;
    assert_eq!(record["status"], "retired", "{record}");
    let exits: Vec<Value> = app
        .audit_entries_of("expert.status_changed")
        .await
        .into_iter()
        .filter(|e| e["data"]["reason_code"] == "age_limit")
        .collect();
    assert_eq!(exits.len(), 1, "{exits:?}");
    let told: Vec<Value> = sent(app, "expert-status-changed", 2)
        .await
        .into_iter()
        .filter(|m| m["params"]["reason"] == "age_limit")
        .collect();
    assert_eq!(told.len(), 1);
    let after = exclusions(&fx, None).await;
    assert_eq!(after.values().sum::<u64>(), 1, "{after:?}");

    // Every step of the walk is in the log, and no identity reached the logs.
    for kind in [
        "expert.applied",
        "expert.application_approved",
        "expert.status_changed",
        "expert.rating_appeal_decided",
        "expert.renewal_approved",
        "expert.training_recorded",
        "assessment.adjusted",
        "assessment.confirmed",
    ] {
        assert!(!app.audit_entries_of(kind).await.is_empty(), "{kind}");
    }
    let logs = captured_logs();
    assert!(!logs.contains(body["id_number"].as_str().unwrap()));
    assert!(!logs.contains(body["name"].as_str().unwrap()));
}

/// The expert asks to renew their term and an admin approves it for a year: the new term's
/// last day.
async fn renew(fx: &DrawFixture, bearer: &str) -> chrono::NaiveDate {
    let asked = fx
        .app
        .post("/api/v1/me/expert/renewal", Some(bearer), &json!({}))
        .await;
    assert_eq!(asked.status(), StatusCode::CREATED);
    let asked: Value = asked.json().await.unwrap();
    let path = format!(
        "/api/v1/renewals/{}/approve",
        asked["renewal_id"].as_str().unwrap()
    );
    let approved = fx
        .app
        .post(&path, Some(&fx.admin), &json!({"term_years": 1}))
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved", "{approved}");
    approved["new_term_end"].as_str().unwrap().parse().unwrap()
}

/// A credit score under the removal threshold removes the expert for good; one between the
/// two thresholds only keeps the expert out of draws for a while.
#[tokio::test]
async fn a_score_below_the_removal_threshold_removes_the_expert_with_an_sms_and_one_above_only_penalises()
 {
    let fx = DrawFixture::with(&experts(12, "A0101"), |settings| {
        settings.auth.token_idle_minutes = 24 * 60;
        settings.session.credit_minimum_ratings = 1;
    })
    .await;
    let app = &fx.app;
    let drawn = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 2, "reserves": 0 }])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&draw_id).await;
    let view = fx.view(&draw_id).await;
    past_the_evaluation_window(&fx, &view).await;
    let seats = tokens(&view, "confirmed");
    // 1 everywhere is 0 points (below 20: removed); 2 everywhere is 25 (below 40: a penalty).
    for (seat, marks) in seats.iter().zip([1, 2]) {
        let rated = app
            .post(
                &format!("/api/v1/draws/{draw_id}/ratings"),
                Some(&fx.center),
                &json!({"token": seat, "punctuality": marks, "diligence": marks, "discipline": marks}),
            )
            .await;
        assert_eq!(rated.status(), StatusCode::CREATED);
    }
    let before = app.audit_entries_of("expert.status_changed").await.len();
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 1);
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 0, "once only");
    let changes = app.audit_entries_of("expert.status_changed").await;
    assert_eq!(changes.len(), before + 1);
    let removal = changes.last().unwrap();
    assert_eq!(removal["data"]["reason_code"], "low_credit");
    assert_eq!(removal["data"]["status"], "removed");
    let mut statuses = Vec::new();
    for id in expert_ids(&fx, "420100").await {
        statuses.push(
            status_of(&fx, &id).await["status"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    statuses.sort();
    let expected: Vec<String> = std::iter::repeat_n("active".to_owned(), 11)
        .chain(["removed".to_owned()])
        .collect();
    assert_eq!(statuses, expected);
    // The other is kept out of draws by the low score's penalty (a suspension from draws that
    // credit repair can lift), not removed.
    assert_eq!(
        exclusions(&fx, None).await,
        counts(&[("not_active", 1), ("penalty", 1)])
    );
    let told: Vec<Value> = sent(app, "expert-status-changed", 1)
        .await
        .into_iter()
        .filter(|m| m["params"]["reason"] == "low_credit")
        .collect();
    assert_eq!(told.len(), 1);
}
