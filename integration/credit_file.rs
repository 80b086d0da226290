//! The credit file and credit repair (issue 22 §2; docs/POOL.md, "The credit file and credit
//! repair"): a walked evaluation's declines, lapses, departures, ratings, penalty and appeal on
//! each expert's timeline in order with the score after each, never a tender or another
//! person; a repair asked, refused, asked again and granted by another supervisor, the score
//! recomputed; who may read and decide, and bad input refused writing nothing.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::*;
use crate::invitations::{answer, expert_logins, invited, past_the_evaluation_window};
use sealdraw::auth::Role;

const DAY: Duration = Duration::from_secs(86_400);

/// Twenty experts in Wuhan; one rating enough to judge, suspension below 40; logins that
/// outlive the half year a repair waits.
async fn fixture() -> DrawFixture {
    fixture_with(|_| {}).await
}

async fn fixture_with(
    customise: impl FnOnce(&mut sealdraw::config::Settings) + 'static,
) -> DrawFixture {
    DrawFixture::with(&experts(30, "A0101"), |settings| {
        settings.auth.token_idle_minutes = 400 * 24 * 60;
        settings.auth.token_absolute_hours = 400 * 24;
        settings.auth.address_attempts_per_minute = 10_000;
        settings.session.credit_minimum_ratings = 1;
        settings.session.credit_suspend_below = 40;
        customise(settings);
    })
    .await
}

fn marks(token: &str, all: u8) -> Value {
    json!({"token": token, "punctuality": all, "diligence": all, "discipline": all})
}

async fn rate(fx: &DrawFixture, bearer: &str, draw_id: &str, token: &str, all: u8) -> Value {
    let response = fx
        .app
        .post(
            &format!("/api/v1/draws/{draw_id}/ratings"),
            Some(bearer),
            &marks(token, all),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn kinds(file: &Value) -> Vec<&str> {
    file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

fn scores(file: &Value) -> Vec<i64> {
    file["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score_after"].as_i64().unwrap())
        .collect()
}

/// An on-site evaluation of three, confirmed: returns the draw's view after the window.
async fn rated_evaluation(fx: &DrawFixture) -> Value {
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A01"], "count": 3, "reserves": 1}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&draw_id).await;
    let view = fx.view(&draw_id).await;
    past_the_evaluation_window(fx, &view).await;
    view
}

/// The (expert id, bearer) whose own ratings hold any rating.
async fn rated_expert(fx: &DrawFixture, logins: &[(String, String)]) -> (String, String) {
    for (expert_id, bearer) in logins {
        let own = fx.app.get_json("/api/v1/me/ratings", Some(bearer)).await;
        if !own["ratings"].as_array().unwrap().is_empty() {
            return (expert_id.clone(), bearer.clone());
        }
    }
    panic!("nobody was rated");
}

#[tokio::test]
async fn a_walked_evaluation_is_on_each_experts_credit_file_in_order_with_the_score_after_each() {
    let fx = fixture().await;
    let app = &fx.app;
    let logins = expert_logins(&fx).await;
    let drawn = fx
        .drawn(&fx.request(json!([{"specialty_prefixes": ["A01"], "count": 3, "reserves": 4}])))
        .await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();

    // One declines, one recuses (which counts nowhere), one accepts.
    let pending = invited(&fx, &logins, "pending").await;
    assert_eq!(pending.len(), 3);
    let declined = answer(
        &fx,
        &pending[0].0,
        &pending[0].1,
        json!({"accept": false, "reason": "illness"}),
    )
    .await;
    assert_eq!(declined.status(), StatusCode::OK);
    let recused = answer(
        &fx,
        &pending[1].0,
        &pending[1].1,
        json!({"accept": false, "reason": "conflict_of_interest", "relationship": "配偶在投标单位任职"}),
    )
    .await;
    assert_eq!(recused.status(), StatusCode::OK);
    let accepted = answer(&fx, &pending[2].0, &pending[2].1, json!({"accept": true})).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let (decliner, recuser) = (pending[0].0.clone(), pending[1].0.clone());

    // The two reserves now invited: one lets the deadline pass, the other accepts.
    let successors = invited(&fx, &logins, "pending").await;
    assert_eq!(successors.len(), 2);
    let accepted = answer(
        &fx,
        &successors[0].0,
        &successors[0].1,
        json!({"accept": true}),
    )
    .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let lapser = successors[1].0.clone();
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(app.state.invitations.expire_overdue().await.unwrap(), 1);

    // A confirmed member leaves; the last reserve takes the seat (the one before it took the
    // lapsed seat).
    let view = fx.view(&draw_id).await;
    let leaving = tokens(&view, "confirmed")[0].clone();
    fx.vacate(&draw_id, &leaving, "withdrew").await;
    fx.confirm_all(&draw_id).await;
    let view = fx.view(&draw_id).await;
    past_the_evaluation_window(&fx, &view).await;

    // The center rates a member 0 points (suspended at once), the supervisor 100.
    let seat = tokens(&view, "confirmed")[0].clone();
    assert_eq!(
        rate(&fx, &fx.center, &draw_id, &seat, 1).await["suspended"],
        true
    );
    app.clock.advance(Duration::from_secs(60));
    rate(&fx, &fx.supervisor, &draw_id, &seat, 5).await;
    let (rated_id, rated) = rated_expert(&fx, &logins).await;
    let own = app.get_json("/api/v1/me/ratings", Some(&rated)).await;
    let center_rating = own["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["points"] == 0)
        .unwrap()["rating_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let file = app.get_json("/api/v1/me/credit-file", Some(&rated)).await;
    assert_eq!(kinds(&file), ["rating", "penalty", "rating"], "{file}");
    assert_eq!(scores(&file), [0, 0, 50], "{file}");
    assert_eq!(file["score"], 50);
    assert_eq!(file["judged"], true);
    assert_eq!(
        file["events"][0]["entry_id"],
        format!("rating:{center_rating}")
    );
    assert_eq!(file["events"][0]["rater_role"], "center");
    assert_eq!(file["events"][0]["negative"], true);
    assert_eq!(file["events"][1]["reason_code"], "low_credit");
    assert_eq!(file["events"][2]["rater_role"], "supervisor");
    assert_eq!(file["events"][2]["negative"], false);
    assert_eq!(file["rules"]["window"], 10);

    // An appeal granted shows on the file, withdraws the rating and lifts the score.
    app.clock.advance(Duration::from_secs(60));
    let filed: Value = app
        .post(
            &format!("/api/v1/me/ratings/{center_rating}/appeal"),
            Some(&rated),
            &json!({"reason": "评价所述迟到情况与签到记录不符"}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(Duration::from_secs(60));
    let granted = app
        .post(
            &format!(
                "/api/v1/rating-appeals/{}/decision",
                filed["appeal_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
            &json!({"outcome": "granted", "reason": "经核查签到记录，评价依据不足"}),
        )
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let file = app.get_json("/api/v1/me/credit-file", Some(&rated)).await;
    assert_eq!(
        kinds(&file),
        [
            "rating",
            "penalty",
            "rating",
            "appeal_filed",
            "appeal_decided"
        ],
        "{file}"
    );
    assert_eq!(scores(&file), [0, 0, 50, 50, 100], "{file}");
    assert_eq!(file["events"][0]["withdrawn"], true);
    assert_eq!(file["events"][4]["outcome"], "granted");
    assert_eq!(file["events"][4]["item"], format!("rating:{center_rating}"));
    assert_eq!(file["score"], 100);
    let record = app
        .get_json(&format!("/api/v1/experts/{rated_id}"), Some(&fx.admin))
        .await;
    assert_eq!(record["credit_score"], 100, "{record}");

    // The decliner's, the lapser's and the leaver's files; the recusal counts nowhere.
    let decliner_file = app
        .get_json("/api/v1/me/credit-file", Some(&decliner))
        .await;
    assert_eq!(kinds(&decliner_file), ["decline"], "{decliner_file}");
    assert_eq!(decliner_file["events"][0]["negative"], true);
    assert_eq!(scores(&decliner_file), [100]);
    let recuser_file = app.get_json("/api/v1/me/credit-file", Some(&recuser)).await;
    assert!(kinds(&recuser_file).is_empty(), "{recuser_file}");
    let lapser_file = app.get_json("/api/v1/me/credit-file", Some(&lapser)).await;
    assert_eq!(kinds(&lapser_file), ["no_show"], "{lapser_file}");
    assert_eq!(lapser_file["events"][0]["cause"], "lapsed");
    let mut leavers = 0;
    let mut files = Vec::new();
    for (expert_id, bearer) in &logins {
        let file = app.get_json("/api/v1/me/credit-file", Some(bearer)).await;
        if file["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["cause"] == "withdrew")
        {
            leavers += 1;
            assert_eq!(kinds(&file), ["no_show"], "{file}");
        }
        files.push((expert_id.clone(), file));
    }
    assert_eq!(leavers, 1);

    // The admin reads the same file; nothing in any file names the tender, a seat, the draw
    // or another expert.
    let by_admin = app
        .get_json(
            &format!("/api/v1/experts/{rated_id}/credit-file"),
            Some(&fx.admin),
        )
        .await;
    assert_eq!(by_admin["events"], file["events"]);
    let mut forbidden: Vec<String> = vec![
        draw_id.clone(),
        "某医院门诊楼建设工程施工".into(),
        "HBGG-2026".into(),
        "评标室".into(),
        fx.center.clone(),
    ];
    for state in ["confirmed", "replaced", "reserve", "seated"] {
        forbidden.extend(tokens(&view, state));
    }
    for (_, invitation) in invited(&fx, &logins, "declined").await {
        forbidden.push(invitation["invitation_id"].as_str().unwrap().to_owned());
    }
    for (expert_id, file) in &files {
        let text = file.to_string();
        for secret in &forbidden {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
        for (other, _) in &logins {
            assert!(
                other == expert_id || !text.contains(other.as_str()),
                "another expert's id in {text}"
            );
        }
    }

    // A center reads no file; a supervisor outside the expert's region sees no such expert;
    // an expert reads only their own.
    let path = format!("/api/v1/experts/{rated_id}/credit-file");
    assert_problem(
        app.get(&path, Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/me/credit-file", Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(app.get(&path, Some(&decliner)).await, StatusCode::FORBIDDEN).await;
    let yichang = fx
        .scoped_supervisor("supervisor-yichang", json!({"regions": ["4205"]}))
        .await;
    assert_problem(app.get(&path, Some(&yichang)).await, StatusCode::NOT_FOUND).await;
    let wuhan = fx
        .scoped_supervisor("supervisor-wuhan", json!({"regions": ["4201"]}))
        .await;
    assert_eq!(app.get(&path, Some(&wuhan)).await.status(), StatusCode::OK);
}

async fn ask_repair(app: &TestApp, bearer: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/me/credit-repairs", Some(bearer), &body)
        .await
}

async fn decide(
    app: &TestApp,
    bearer: &str,
    repair: &str,
    verb: &str,
    reason: &str,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/credit-repairs/{repair}/{verb}"),
        Some(bearer),
        &json!({"reason": reason}),
    )
    .await
}

#[tokio::test]
async fn a_repair_refused_then_asked_again_is_granted_by_another_supervisor_and_the_score_recomputed()
 {
    let fx = fixture().await;
    let app = &fx.app;
    let logins = expert_logins(&fx).await;
    let view = rated_evaluation(&fx).await;
    let draw_id = view["draw_id"].as_str().unwrap();
    let seat = tokens(&view, "confirmed")[0].clone();
    // 0 points from the center (suspended), 75 from the supervisor: 37.
    rate(&fx, &fx.center, draw_id, &seat, 1).await;
    app.clock.advance(Duration::from_secs(60));
    rate(&fx, &fx.supervisor, draw_id, &seat, 4).await;
    let (expert_id, expert) = rated_expert(&fx, &logins).await;
    let file = app.get_json("/api/v1/me/credit-file", Some(&expert)).await;
    assert_eq!(file["score"], 37, "{file}");
    let low = file["events"][0]["entry_id"].as_str().unwrap().to_owned();
    let fair = file["events"][2]["entry_id"].as_str().unwrap().to_owned();
    assert_eq!(file["events"][0]["points"], 0);
    assert_eq!(file["events"][2]["points"], 75);
    assert_eq!(file["rules"]["repair_below"], 60);
    assert_eq!(file["rules"]["repair_wait_days"], 180);
    assert!(file["events"][0]["repairable_from"].is_string());
    let statement = "已参加信用修复培训并提交整改报告，承诺按时到场";
    let body = |item: &str| json!({"item": item, "statement": statement, "evidence_ref": "鄂专修〔2026〕12号"});

    // Bad input names its field and writes nothing; so do the waiting period, a rating that
    // is no negative item, someone else's item, and a caller who is no expert.
    let entries = app.entries_written_by_requests().await;
    for (bad, field) in [
        (json!({"item": low, "statement": "太短"}), "statement"),
        (json!({"item": "penalty:1", "statement": statement}), "item"),
        (
            json!({"item": "rating:not-a-uuid", "statement": statement}),
            "item",
        ),
        (
            json!({"item": low, "statement": statement, "evidence_ref": "x".repeat(201)}),
            "evidence_ref",
        ),
        (body(&fair), "item"),
    ] {
        let problem = assert_problem(
            ask_repair(app, &expert, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let early = assert_problem(
        ask_repair(app, &expert, body(&low)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        early["detail"]
            .as_str()
            .unwrap()
            .contains("can be repaired from"),
        "{early}"
    );
    let other = &logins.iter().find(|(id, _)| *id != expert_id).unwrap().1;
    assert_problem(
        ask_repair(app, other, body(&low)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        ask_repair(app, &fx.center, body(&low)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let unknown = format!("rating:{}", uuid::Uuid::now_v7());
    assert_problem(
        ask_repair(app, &expert, body(&unknown)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.entries_written_by_requests().await, entries);
    let chinese = app
        .request(
            reqwest::Method::POST,
            "/api/v1/me/credit-repairs",
            Some(&expert),
        )
        .header("accept-language", "zh-CN")
        .json(&body(&fair))
        .send()
        .await
        .unwrap();
    let chinese = assert_problem(chinese, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        chinese["detail"], "item：只有低于 60 分的评价可以申请信用修复",
        "{chinese}"
    );

    // After the waiting period: asked, and once only while it waits.
    app.clock.advance(181 * DAY);
    let asked = ask_repair(app, &expert, body(&low)).await;
    assert_eq!(asked.status(), StatusCode::CREATED);
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["status"], "pending");
    assert_problem(
        ask_repair(app, &expert, body(&low)).await,
        StatusCode::CONFLICT,
    )
    .await;

    // The supervisor lists it with the rating's marks, and refuses it.
    let listed = app
        .get_json("/api/v1/credit-repairs", Some(&fx.supervisor))
        .await;
    let first = &listed.as_array().unwrap()[0];
    assert_eq!(first["repair_id"], asked["repair_id"]);
    assert_eq!(first["expert_id"], expert_id.as_str());
    assert_eq!(first["points"], 0);
    assert_eq!(first["statement"], statement);
    assert_problem(
        app.get("/api/v1/credit-repairs", Some(&fx.admin)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let first_id = asked["repair_id"].as_str().unwrap();
    let yichang = fx
        .scoped_supervisor("supervisor-yichang", json!({"regions": ["4205"]}))
        .await;
    let entries = app.entries_written_by_requests().await;
    let short = assert_problem(
        decide(app, &fx.supervisor, first_id, "refuse", "不行").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(short["field"], "reason");
    assert_problem(
        decide(app, &fx.admin, first_id, "grant", "整改材料齐全，同意修复").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        decide(app, &yichang, first_id, "grant", "整改材料齐全，同意修复").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.entries_written_by_requests().await, entries);
    let refused = decide(
        app,
        &fx.supervisor,
        first_id,
        "refuse",
        "整改报告未附培训证明，请补充",
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["status"], "refused");
    assert_problem(
        decide(
            app,
            &fx.supervisor,
            first_id,
            "grant",
            "整改材料齐全，同意修复",
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let file = app.get_json("/api/v1/me/credit-file", Some(&expert)).await;
    assert_eq!(file["score"], 37, "a refusal changes nothing: {file}");

    // Asked again: the supervisor who refused cannot decide it; another grants it.
    app.clock.advance(DAY);
    let again: Value = ask_repair(app, &expert, body(&low))
        .await
        .json()
        .await
        .unwrap();
    let again_id = again["repair_id"].as_str().unwrap();
    let twice = assert_problem(
        decide(
            app,
            &fx.supervisor,
            again_id,
            "grant",
            "补充材料齐全，同意修复",
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        twice["detail"]
            .as_str()
            .unwrap()
            .contains("another supervisor"),
        "{twice}"
    );
    let (_, second) = app
        .account_with_token("supervisor-b", Role::Supervisor)
        .await;
    let granted = decide(app, &second, again_id, "grant", "补充材料齐全，同意修复").await;
    assert_eq!(granted.status(), StatusCode::OK);

    // The rating stays on the file, marked repaired; the score is the supervisor's 75 alone,
    // on the record too.
    let file = app.get_json("/api/v1/me/credit-file", Some(&expert)).await;
    assert_eq!(
        kinds(&file),
        [
            "rating",
            "penalty",
            "rating",
            "repair_requested",
            "repair_decided",
            "repair_requested",
            "repair_decided"
        ],
        "{file}"
    );
    assert_eq!(scores(&file), [0, 0, 37, 37, 37, 37, 75], "{file}");
    assert_eq!(file["events"][0]["repaired"], true);
    assert!(file["events"][0].get("repairable_from").is_none());
    assert_eq!(file["events"][4]["outcome"], "refused");
    assert_eq!(file["events"][6]["outcome"], "granted");
    assert_eq!(file["score"], 75);
    assert_eq!(file["repairs"].as_array().unwrap().len(), 2);
    assert_eq!(
        file["repairs"][0]["decision_reason"],
        "整改报告未附培训证明，请补充"
    );
    let record = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&fx.admin))
        .await;
    assert_eq!(record["credit_score"], 75, "{record}");
    let repaired_again = assert_problem(
        ask_repair(app, &expert, body(&low)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        repaired_again["detail"]
            .as_str()
            .unwrap()
            .contains("already been repaired")
    );

    // Each step is logged by pseudonym, the statement and reasons by digest only.
    let requested = app.audit_entries_of("expert.credit_repair_requested").await;
    assert_eq!(requested.len(), 2);
    let decided = app.audit_entries_of("expert.credit_repair_decided").await;
    assert_eq!(decided.len(), 2);
    assert_eq!(decided[1]["data"]["outcome"], "granted");
    assert_eq!(decided[1]["data"]["credit_score"], 75);
    for entry in requested.iter().chain(&decided) {
        let text = entry.to_string();
        assert!(!text.contains(&expert_id), "{text}");
        assert!(!text.contains("整改"), "{text}");
    }
}

#[tokio::test]
async fn a_granted_repair_that_lifts_the_score_ends_the_suspension_it_caused() {
    // A repair after 30 days, while the 180 days' suspension still runs.
    let fx = fixture_with(|settings| settings.session.credit_repair_wait_days = 30).await;
    let app = &fx.app;
    let logins = expert_logins(&fx).await;
    let view = rated_evaluation(&fx).await;
    let draw_id = view["draw_id"].as_str().unwrap();
    let seat = tokens(&view, "confirmed")[0].clone();
    assert_eq!(
        rate(&fx, &fx.center, draw_id, &seat, 1).await["suspended"],
        true
    );
    let (expert_id, expert) = rated_expert(&fx, &logins).await;
    let low = app.get_json("/api/v1/me/credit-file", Some(&expert)).await["events"][0]["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(31 * DAY);
    let asked: Value = ask_repair(
        app,
        &expert,
        json!({"item": low, "statement": "已完成整改并参加信用修复培训"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let granted = decide(
        app,
        &fx.supervisor,
        asked["repair_id"].as_str().unwrap(),
        "grant",
        "整改材料齐全，同意修复",
    )
    .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let decided = app.audit_entries_of("expert.credit_repair_decided").await;
    assert_eq!(decided[0]["data"]["credit_score"], 100);
    assert_eq!(decided[0]["data"]["suspension_lifted"], true);
    let file = app.get_json("/api/v1/me/credit-file", Some(&expert)).await;
    assert_eq!(file["judged"], false, "no rating counts any more: {file}");
    assert_eq!(file["score"], 100);
    let penalty = file["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "penalty")
        .unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(penalty["until"].as_str().unwrap()).unwrap();
    assert!(
        until.timestamp_millis() <= sealdraw::clock::Clock::now_millis(&app.clock),
        "the suspension ended with the grant: {penalty}"
    );
    let record = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&fx.admin))
        .await;
    assert_eq!(record["credit_score"], 100, "{record}");
}

/// Asks `body` as the expert's change request; answers the response.
async fn ask_change(app: &TestApp, bearer: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/me/expert/change-requests", Some(bearer), &body)
        .await
}

#[tokio::test]
async fn specialties_and_contact_change_by_an_approved_request_and_draws_use_only_approved_specialties()
 {
    let fx = DrawFixture::with(&experts(20, "A0101"), |settings| {
        settings.draw.min_eligible_multiple = 1;
        settings.auth.address_attempts_per_minute = 10_000;
    })
    .await;
    let app = &fx.app;
    let logins = expert_logins(&fx).await;
    let (expert_id, expert) = logins[0].clone();
    let stratum = |prefix: &str| {
        fx.request(json!([{"specialty_prefixes": [prefix], "count": 1, "reserves": 0}]))
    };
    let eligible = |created: &Value| created["strata"][0]["eligible"].as_u64().unwrap();
    assert_eq!(eligible(&fx.create_ok(&stratum("A01")).await), 20);

    // Bad values name their field and write nothing; the PATCH no longer takes contact data.
    let entries = app.entries_written_by_requests().await;
    for (body, field) in [
        (json!({"specialties": []}), "specialties"),
        (json!({"specialties": ["A0101", "Z9901"]}), "specialties[1]"),
        (json!({"specialties": ["not a code"]}), "specialties[0]"),
        (json!({"contact": {}}), "contact"),
        (json!({"contact": {"phone": "12"}}), "contact.phone"),
        (
            json!({"contact": {"email": "not-an-address"}}),
            "contact.email",
        ),
        (
            json!({"relatives_employers": ["X"]}),
            "relatives_employers[0]",
        ),
        (json!({}), "employer"),
    ] {
        let problem = assert_problem(
            ask_change(app, &expert, body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let patched = app
        .request(reqwest::Method::PATCH, "/api/v1/me/expert", Some(&expert))
        .json(&json!({"phone": "13712345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_problem(patched, StatusCode::BAD_REQUEST).await["field"],
        "phone"
    );
    assert_eq!(app.entries_written_by_requests().await, entries);

    // The expert asks for a specialty of another class only, and a new phone.
    let asked = ask_change(
        app,
        &expert,
        json!({"specialties": ["B0201"], "contact": {"phone": "137 1234 5678"}}),
    )
    .await;
    assert_eq!(
        asked.status(),
        StatusCode::CREATED,
        "{}",
        asked.text().await.unwrap()
    );
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["parts"]["specialties"], 1);
    assert_eq!(asked["parts"]["contact"], json!(["phone"]));
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    let listed = app
        .get_json("/api/v1/change-requests?status=pending", Some(&fx.admin))
        .await;
    assert!(!listed.to_string().contains("13712345678"), "{listed}");

    // Pending: draws and the record are as before.
    assert_eq!(eligible(&fx.create_ok(&stratum("A01")).await), 20);
    let record = app.get_json("/api/v1/me/expert", Some(&expert)).await;
    assert_ne!(record["identity"]["phone"], "13712345678");
    assert_eq!(record["specialties"], json!(["A0101"]));

    let opened = app
        .get_json(
            &format!("/api/v1/change-requests/{request_id}"),
            Some(&fx.admin),
        )
        .await;
    assert_eq!(opened["specialties"], json!(["B0201"]));
    assert_eq!(opened["contact"]["phone"], "13712345678");
    let approved = app
        .post(
            &format!("/api/v1/change-requests/{request_id}/approve"),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);

    // Approved: the draw sees the new list only.
    assert_eq!(eligible(&fx.create_ok(&stratum("A01")).await), 19);
    assert_eq!(eligible(&fx.create_ok(&stratum("B02")).await), 1);
    let record = app.get_json("/api/v1/me/expert", Some(&expert)).await;
    assert_eq!(record["identity"]["phone"], "13712345678");
    assert_eq!(record["specialties"], json!(["B0201"]));
    let by_admin = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&fx.admin))
        .await;
    assert_eq!(by_admin["specialties"], json!(["B0201"]), "{by_admin}");
    let logged = app.audit_entries_of("expert.change_approved").await;
    assert_eq!(logged[0]["data"]["parts"]["specialties"], 1);
    assert!(!logged[0].to_string().contains("13712345678"));
    assert!(!logged[0].to_string().contains("B0201"));
}
