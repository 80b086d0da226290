//! Ratings from everyone the statute names, and appeals (issue 16 §6): an on-site evaluation
//! is rated by its center and supervisors after its window; the expert sees their own ratings
//! (never who rated or for which tender) and appeals one; a supervisor decides, and a granted
//! appeal takes the rating out of the credit score and lifts the suspension it caused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::*;
use crate::invitations::{expert_logins, past_the_evaluation_window};
use sealdraw::auth::Role;

async fn rate(fx: &DrawFixture, bearer: &str, draw_id: &str, body: Value) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(bearer),
            &body,
        )
        .await
}

async fn appeal(app: &TestApp, rating: &str, reason: &str, bearer: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/me/ratings/{rating}/appeal"),
        Some(bearer),
        &json!({"reason": reason}),
    )
    .await
}

async fn decide(fx: &DrawFixture, appeal: &str, body: Value) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/rating-appeals/{appeal}/decision"),
            Some(&fx.supervisor),
            &body,
        )
        .await
}

/// An on-site evaluation of five confirmed members, every pool expert with a login, one low
/// rating enough to suspend (below 40 with a single rating): the fixture, the logins and the
/// draw's view.
async fn on_site_evaluation() -> (DrawFixture, Vec<(String, String)>, Value) {
    let fx = DrawFixture::with(&experts(20, "A0101"), |settings| {
        crate::invitations::outlive_the_evaluation(settings);
        settings.session.credit_minimum_ratings = 1;
        settings.session.credit_suspend_below = 40;
        settings.auth.address_attempts_per_minute = 10_000;
    })
    .await;
    let logins = expert_logins(&fx).await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A01"], "count": 5, "reserves": 1}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap();
    fx.confirm_all(draw_id).await;
    let view = fx.view(draw_id).await;
    (fx, logins, view)
}

fn marks(token: &str, all: u8) -> Value {
    json!({"token": token, "punctuality": all, "diligence": all, "discipline": all})
}

#[tokio::test]
async fn an_on_site_evaluation_is_rated_by_its_center_and_supervisor_and_an_appeal_is_decided_both_ways()
 {
    let (fx, logins, view) = on_site_evaluation().await;
    let app = &fx.app;
    let draw_id = view["draw_id"].as_str().unwrap();
    let confirmed = tokens(&view, "confirmed");
    assert_eq!(confirmed.len(), 5);
    let seat = &confirmed[0];

    // Before the window ends: listed, not yet open, and a rating is refused writing nothing.
    let listed = app
        .get_json(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(&fx.center),
        )
        .await;
    assert_eq!(listed["open"], false);
    assert_eq!(listed["seats"].as_array().unwrap().len(), 5);
    let entries = app.entries_written_by_requests().await;
    let early = assert_problem(
        rate(&fx, &fx.center, draw_id, marks(seat, 2)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(early["type"], "urn:sealdraw:problem:evaluation-not-over");
    assert_eq!(app.entries_written_by_requests().await, entries);

    past_the_evaluation_window(&fx, &view).await;
    let (_, other_center) = app.account_with_token("center-b", Role::Center).await;
    let entries = app.entries_written_by_requests().await;
    // Bad input names its field; another center does not see the draw; experts may not rate.
    for (body, field) in [
        (marks(seat, 6), "punctuality"),
        (marks("abc", 3), "token"),
        (marks(&"0".repeat(64), 3), "token"),
    ] {
        let problem = assert_problem(
            rate(&fx, &fx.center, draw_id, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    assert_problem(
        rate(&fx, &other_center, draw_id, marks(seat, 3)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        rate(&fx, &logins[0].1, draw_id, marks(seat, 3)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(app.entries_written_by_requests().await, entries);

    // The center (for the tenderer) and the supervisor rate the same seat; once each.
    let rated = rate(&fx, &fx.center, draw_id, marks(seat, 2)).await;
    assert_eq!(rated.status(), StatusCode::CREATED);
    // 25 points, below 40: the expert is suspended at once (one rating suffices here).
    let rated: Value = rated.json().await.unwrap();
    assert_eq!(rated["suspended"], true, "{rated}");
    let again = assert_problem(
        rate(&fx, &fx.center, draw_id, marks(seat, 4)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(again["detail"].as_str().unwrap().contains("already rated"));
    let rated: Value = rate(&fx, &fx.supervisor, draw_id, marks(seat, 1))
        .await
        .json()
        .await
        .unwrap();
    // A mean of 12 now; one suspension runs, none is added.
    assert_eq!(rated["suspended"], false, "{rated}");
    let listed = app
        .get_json(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(&fx.center),
        )
        .await;
    assert_eq!(listed["open"], true);
    let mine: Vec<&Value> = listed["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["rated"] == true)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["token"], *seat);
    let logged = app.audit_entries_of("draw.rating").await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0]["data"]["rater_role"], "center");
    assert_eq!(logged[1]["data"]["rater_role"], "supervisor");

    // The rated expert sees both ratings by capacity and date; the others see none.
    let mut rated_expert = None;
    for (expert_id, bearer) in &logins {
        let own = app.get_json("/api/v1/me/ratings", Some(bearer)).await;
        let ratings = own["ratings"].as_array().unwrap();
        if ratings.is_empty() {
            assert!(own.get("score").is_none(), "{own}");
            continue;
        }
        assert!(rated_expert.is_none(), "two experts hold the rated seat");
        assert_eq!(ratings.len(), 2);
        assert_eq!(ratings[0]["rater_role"], "supervisor");
        assert_eq!(ratings[1]["rater_role"], "center");
        assert_eq!(ratings[1]["punctuality"], 2);
        assert_eq!(own["score"], 12);
        let text = own.to_string();
        assert!(
            !text.contains(draw_id) && !text.contains("supervisor\":\"sup"),
            "{text}"
        );
        rated_expert = Some((expert_id.clone(), bearer.clone(), own.clone()));
    }
    let (expert_id, expert, own) = rated_expert.expect("nobody holds the rated seat");
    let by_supervisor = own["ratings"][0]["rating_id"].as_str().unwrap().to_owned();
    let by_center = own["ratings"][1]["rating_id"].as_str().unwrap().to_owned();

    // Appeals: a reason is needed, once per rating, and only of one's own ratings.
    let short = assert_problem(
        appeal(app, &by_supervisor, "不公平", &expert).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(short["field"], "reason");
    let someone_else = logins.iter().find(|(id, _)| *id != expert_id).unwrap();
    assert_problem(
        appeal(
            app,
            &by_supervisor,
            "这不是我的评价但我想申诉它",
            &someone_else.1,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let filed = appeal(
        app,
        &by_supervisor,
        "当天因交通管制迟到，已提前报告监督人员",
        &expert,
    )
    .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let filed: Value = filed.json().await.unwrap();
    assert_eq!(filed["status"], "pending");
    assert_problem(
        appeal(app, &by_supervisor, "再次申诉同一项评价的理由说明", &expert).await,
        StatusCode::CONFLICT,
    )
    .await;
    let second = appeal(app, &by_center, "评分依据与评标现场记录不符", &expert).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();

    // The supervisor's queue names the expert by pseudonym only.
    let queue = app
        .get_json("/api/v1/rating-appeals", Some(&fx.supervisor))
        .await;
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 2);
    assert!(queue.iter().all(|a| a["status"] == "pending"));
    assert!(!queue[0].to_string().contains(&expert_id));
    assert_problem(
        app.get("/api/v1/rating-appeals", Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let bad = assert_problem(
        decide(
            &fx,
            filed["appeal_id"].as_str().unwrap(),
            json!({"outcome": "maybe", "reason": "理由足够长的一段说明"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["field"], "outcome");
    // Upheld: the center's rating stands.
    let upheld = decide(
        &fx,
        second["appeal_id"].as_str().unwrap(),
        json!({"outcome": "upheld", "reason": "现场记录显示评分依据充分"}),
    )
    .await;
    assert_eq!(upheld.status(), StatusCode::OK);
    // Granted: the supervisor's rating leaves the score (25 alone is still below 40, so the
    // suspension stays) ...
    let granted: Value = decide(
        &fx,
        filed["appeal_id"].as_str().unwrap(),
        json!({"outcome": "granted", "reason": "交通管制属实，迟到不可归责于专家"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(granted["status"], "granted");
    assert_problem(
        decide(
            &fx,
            filed["appeal_id"].as_str().unwrap(),
            json!({"outcome": "upheld", "reason": "改变主意之后重新作出的决定理由"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let own = app.get_json("/api/v1/me/ratings", Some(&expert)).await;
    assert_eq!(own["score"], 25);
    assert_eq!(own["ratings"][0]["withdrawn"], true);
    assert_eq!(own["ratings"][0]["appeal"]["status"], "granted");
    assert_eq!(
        own["ratings"][0]["appeal"]["decision_reason"],
        "交通管制属实，迟到不可归责于专家"
    );
    assert_eq!(own["ratings"][1]["withdrawn"], false);
    assert_eq!(own["ratings"][1]["appeal"]["status"], "upheld");
    let decided = app.audit_entries_of("expert.rating_appeal_decided").await;
    assert_eq!(decided.len(), 2);
    assert_eq!(decided[1]["data"]["outcome"], "granted");
    assert_eq!(decided[1]["data"]["suspension_lifted"], false);
    assert_eq!(
        app.audit_entries_of("expert.rating_appealed").await.len(),
        2
    );
    // The expert is told of each decision.
    let notices: Vec<Value> = app
        .audit_entries_of("notify.queued")
        .await
        .into_iter()
        .filter(|e| e["data"]["template"] == "rating-appeal-decided")
        .collect();
    assert_eq!(notices.len(), 2);
    // Nothing of the reasons' text is in the log, only digests.
    let log = serde_json::to_string(&app.audit_entries().await).unwrap();
    assert!(
        !log.contains("交通管制"),
        "an appeal's reason reached the log"
    );
}

#[tokio::test]
async fn a_granted_appeal_that_lifts_the_score_ends_the_suspension_it_caused() {
    let (fx, logins, view) = on_site_evaluation().await;
    let app = &fx.app;
    let draw_id = view["draw_id"].as_str().unwrap();
    let seat = tokens(&view, "confirmed")[0].clone();
    past_the_evaluation_window(&fx, &view).await;
    let rated: Value = rate(&fx, &fx.center, draw_id, marks(&seat, 1))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rated["suspended"], true);
    let mut found = None;
    for (expert_id, bearer) in &logins {
        let own = app.get_json("/api/v1/me/ratings", Some(bearer)).await;
        if let Some(rating) = own["ratings"].as_array().unwrap().first() {
            found = Some((
                expert_id.clone(),
                bearer.clone(),
                rating["rating_id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let (expert_id, expert, rating) = found.unwrap();
    let record = format!("/api/v1/experts/{expert_id}");
    let on_record = app.get_json(&record, Some(&fx.admin)).await;
    assert_eq!(
        on_record["credit_score"], 0,
        "the record holds the score the rating gave: {on_record}"
    );
    let filed: Value = app
        .post(
            &format!("/api/v1/me/ratings/{rating}/appeal"),
            Some(&expert),
            &json!({"reason": "评价所述情况与事实不符，请核查"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let granted = app
        .post(
            &format!(
                "/api/v1/rating-appeals/{}/decision",
                filed["appeal_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
            &json!({"outcome": "granted", "reason": "经核查评价依据不足，予以撤销"}),
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let decided = app.audit_entries_of("expert.rating_appeal_decided").await;
    assert_eq!(decided[0]["data"]["suspension_lifted"], true);
    let own = app.get_json("/api/v1/me/ratings", Some(&expert)).await;
    assert!(
        own.get("score").is_none(),
        "no rating counts any more: {own}"
    );
    let on_record = app.get_json(&record, Some(&fx.admin)).await;
    assert_eq!(
        on_record["credit_score"], 100,
        "with no rating that counts the record is back to full credit: {on_record}"
    );
}
