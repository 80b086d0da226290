//! Invitations to drawn experts: answers in the app and through the gateway, deadlines that
//! hand the seat to the next reserve, and the committee list's publish act.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::*;
use crate::sessions::{Committee, Mode, run_to_signed_report};

/// An expert with an activated login: the username a person types, and a bearer token.
pub(crate) struct ExpertLogin {
    pub expert_id: String,
    pub username: String,
    pub token: String,
}

/// Every expert in the pool with a login: (expert id, bearer token).
pub(crate) async fn expert_logins(fx: &DrawFixture) -> Vec<(String, String)> {
    expert_accounts(fx)
        .await
        .into_iter()
        .map(|login| (login.expert_id, login.token))
        .collect()
}

/// Issues and activates a login for every expert in the pool (at most 100).
pub(crate) async fn expert_accounts(fx: &DrawFixture) -> Vec<ExpertLogin> {
    let listed: Value = fx
        .app
        .get_json("/api/v1/experts?limit=100", Some(&fx.admin))
        .await;
    let mut logins = Vec::new();
    for expert in listed["experts"].as_array().unwrap() {
        let id = expert["expert_id"].as_str().unwrap().to_owned();
        let issued: Value = fx
            .app
            .post(
                &format!("/api/v1/experts/{id}/login"),
                Some(&fx.admin),
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        let username = issued["username"].as_str().unwrap().to_owned();
        let activate = json!({
            "username": username,
            "code": issued["activation_code"],
            "password": PASSWORD,
        });
        let response = fx.app.post("/api/v1/auth/activate", None, &activate).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let login: Value = fx
            .app
            .post_login(&json!({ "username": username, "password": PASSWORD }))
            .await
            .json()
            .await
            .unwrap();
        logins.push(ExpertLogin {
            expert_id: id,
            username,
            token: login["token"].as_str().unwrap().to_owned(),
        });
    }
    logins
}

/// (expert token, invitation) for every expert with an invitation in `state`.
pub(crate) async fn invited(
    fx: &DrawFixture,
    logins: &[(String, String)],
    state: &str,
) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (_, token) in logins {
        let mine: Value = fx.app.get_json("/api/v1/me/invitations", Some(token)).await;
        for invitation in mine.as_array().unwrap() {
            if invitation["state"] == state {
                found.push((token.clone(), invitation.clone()));
            }
        }
    }
    found
}

pub(crate) async fn answer(
    fx: &DrawFixture,
    token: &str,
    invitation: &Value,
    body: Value,
) -> reqwest::Response {
    let id = invitation["invitation_id"].as_str().unwrap();
    fx.app
        .post(
            &format!("/api/v1/invitations/{id}/answer"),
            Some(token),
            &body,
        )
        .await
}

#[tokio::test]
async fn drawn_experts_accept_or_decline_and_silence_hands_the_seat_to_the_next_reserve() {
    // Tokens outlive the evaluation window, which passes before the list is published.
    let fx = DrawFixture::with(&experts(12, "A0301"), outlive_the_evaluation).await;
    let logins = expert_logins(&fx).await;
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 2, "reserves": 2 }]));
    body["mode"] = json!("distributed");
    body.as_object_mut().unwrap().remove("venue");
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();

    let pending = invited(&fx, &logins, "pending").await;
    assert_eq!(
        pending.len(),
        2,
        "each drawn expert, and only they, is invited"
    );
    for (_, invitation) in &pending {
        // Nothing about the tender before accepting.
        assert_eq!(invitation["tender_name"], Value::Null);
        assert_eq!(invitation["venue"], Value::Null);
        assert_eq!(invitation["evaluation_start"], Value::Null);
        assert_eq!(invitation["session_join_code"], Value::Null);
    }
    let (first_token, first) = &pending[0];
    let (second_token, second) = &pending[1];

    // Someone else's invitation does not exist for another expert.
    let stranger = &logins
        .iter()
        .find(|(_, t)| t != first_token && t != second_token)
        .unwrap()
        .1;
    assert_problem(
        answer(&fx, stranger, first, json!({"accept": true})).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let accepted = answer(&fx, first_token, first, json!({"accept": true})).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["tender_name"], "某医院门诊楼建设工程施工");
    assert_eq!(
        accepted["venue"],
        Value::Null,
        "a distributed evaluation has no venue"
    );
    assert!(accepted["session_join_code"].as_str().unwrap().len() >= 8);
    assert_problem(
        answer(
            &fx,
            first_token,
            first,
            json!({"accept": false, "reason": "other"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // A conflict of interest must say what the relationship is.
    let bare = answer(
        &fx,
        second_token,
        second,
        json!({"accept": false, "reason": "conflict_of_interest"}),
    )
    .await;
    let problem = assert_problem(bare, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "relationship");
    let declined = answer(
        &fx,
        second_token,
        second,
        json!({"accept": false, "reason": "conflict_of_interest", "relationship": "配偶在投标单位任职"}),
    )
    .await;
    assert_eq!(
        declined.status(),
        StatusCode::OK,
        "{}",
        declined.text().await.unwrap()
    );

    let view = fx.view(&id).await;
    assert_eq!(view["progress"][0]["confirmed"], 1);
    assert_eq!(view["progress"][0]["replaced"], 1);
    assert_eq!(view["progress"][0]["pending"], 1);
    assert_eq!(view["progress"][0]["reserves_left"], 1);
    let reserves = tokens(&view, "reserve");

    // The successor is invited; silence past the deadline counts as a decline.
    let successor = invited(&fx, &logins, "pending").await;
    assert_eq!(successor.len(), 1);
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(15 * 60 + 1));
    let expired = fx.app.state.invitations.expire_overdue().await.unwrap();
    assert_eq!(expired, 1);
    let view = fx.view(&id).await;
    assert_eq!(view["progress"][0]["replaced"], 2);
    assert_eq!(view["progress"][0]["pending"], 1);
    assert_eq!(view["progress"][0]["reserves_left"], 0);
    assert_eq!(
        tokens(&view, "seated"),
        reserves,
        "the last reserve, in rank order"
    );
    let late = answer(
        &fx,
        &successor[0].0,
        &successor[0].1,
        json!({"accept": true}),
    )
    .await;
    assert_problem(late, StatusCode::CONFLICT).await;

    let (last_token, last) = &invited(&fx, &logins, "pending").await[0];
    let last_answer = answer(&fx, last_token, last, json!({"accept": true})).await;
    assert_eq!(
        last_answer.status(),
        StatusCode::OK,
        "{}",
        last_answer.text().await.unwrap()
    );
    let view = fx.view(&id).await;
    assert_eq!(view["complete"], true);

    // The evaluation (this draw has no session) is over once its window has ended.
    past_the_evaluation_window(&fx, &view).await;
    // The committee list stays sealed until a supervisor approves its publication.
    let committee = format!("/api/v1/draws/{id}/committee");
    assert_problem(
        fx.app.get(&committee, Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let request = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await;
    assert_eq!(request.status(), StatusCode::CREATED);
    assert_problem(
        fx.app.get(&committee, Some(&fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Supervisors find it among the requests awaiting them, with its reason.
    let listed = fx
        .app
        .get_json("/api/v1/publications", Some(&fx.supervisor))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["draw_id"], id);
    assert_eq!(listed[0]["reason"], "中标候选人公示需要公布评标委员会名单");
    assert!(listed[0]["approved_by"].is_null());
    let approve = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/publication/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(approve.status(), StatusCode::OK);
    let listed = fx
        .app
        .get_json("/api/v1/publications", Some(&fx.supervisor))
        .await;
    assert!(listed[0]["approved_by"].is_string(), "{listed}");
    let members: Value = fx.app.get_json(&committee, Some(&fx.center)).await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(members[0]["name"].as_str().unwrap().starts_with("专家"));
}

/// Keeps test tokens valid across an evaluation window (the default idle timeout is 30 minutes).
pub(crate) fn outlive_the_evaluation(settings: &mut sealdraw::config::Settings) {
    settings.auth.token_idle_minutes = 24 * 60;
}

/// The end of a draw's evaluation window, from its view.
fn evaluation_end(view: &Value) -> i64 {
    let start = chrono::DateTime::parse_from_rfc3339(view["evaluation_start"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    start + view["evaluation_minutes"].as_i64().unwrap() * 60_000
}

/// Moves the clock to the end of the draw's evaluation window.
pub(crate) async fn past_the_evaluation_window(fx: &DrawFixture, view: &Value) {
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    let end = evaluation_end(view);
    if end > now {
        fx.app
            .clock
            .advance(std::time::Duration::from_millis((end - now) as u64));
    }
}

async fn request_publication(fx: &DrawFixture, id: &str) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/draws/{id}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await
}

async fn approve_publication(fx: &DrawFixture, id: &str) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/draws/{id}/publication/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await
}

async fn assert_not_yet_publishable(response: reqwest::Response, when: &str) {
    let problem = assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(
        problem["type"],
        "urn:sealdraw:problem:evaluation-not-closed"
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("confidential until the evaluation has closed"),
        "{detail}"
    );
    assert!(detail.contains(when), "{detail} does not say {when}");
}

#[tokio::test]
async fn an_on_site_committee_list_is_published_only_once_its_evaluation_window_has_ended() {
    let fx = DrawFixture::with(&experts(12, "A0302"), outlive_the_evaluation).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 2, "reserves": 1 }]));
    let view = fx.drawn(&body).await;
    assert_eq!(view["mode"], "on_site");
    let id = view["draw_id"].as_str().unwrap();
    fx.confirm_all(id).await;
    let end = sealdraw::clock::to_rfc3339(evaluation_end(&view));

    assert_not_yet_publishable(request_publication(&fx, id).await, &end).await;
    // A minute before the window ends the evaluation may still be going on.
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    let minute_before = (evaluation_end(&view) - now - 60_000) as u64;
    fx.app
        .clock
        .advance(std::time::Duration::from_millis(minute_before));
    assert_not_yet_publishable(request_publication(&fx, id).await, &end).await;
    fx.app.clock.advance(std::time::Duration::from_secs(60));
    let requested = request_publication(&fx, id).await;
    assert_eq!(
        requested.status(),
        StatusCode::CREATED,
        "{}",
        requested.text().await.unwrap()
    );
    assert_eq!(approve_publication(&fx, id).await.status(), StatusCode::OK);
    let members = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/committee"), Some(&fx.center))
        .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_session_committee_list_is_published_only_once_its_session_has_closed() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let (fx, id) = (&committee.fx, committee.draw_id.as_str());
    assert_eq!(fx.view(id).await["complete"], true);
    let waiting_for = format!(
        "once evaluation session {} has closed",
        committee.session_id
    );
    assert_not_yet_publishable(request_publication(fx, id).await, &waiting_for).await;

    // An approval recorded before publication waited for the evaluation opens nothing early.
    let center = fx.app.get_json("/api/v1/me", Some(&fx.center)).await;
    let supervisor = fx.app.get_json("/api/v1/me", Some(&fx.supervisor)).await;
    fx.app
        .execute_sql(&format!(
            "INSERT INTO draw_publications \
             (draw_id, requested_by, requested_at, reason, approved_by, approved_at) \
             VALUES ('{id}', '{}', 0, 'approved early', '{}', 0)",
            center["account_id"].as_str().unwrap(),
            supervisor["account_id"].as_str().unwrap(),
        ))
        .await;
    let committee_list = format!("/api/v1/draws/{id}/committee");
    assert_not_yet_publishable(
        fx.app.get(&committee_list, Some(&fx.center)).await,
        &waiting_for,
    )
    .await;
    fx.app
        .execute_sql(&format!(
            "DELETE FROM draw_publications WHERE draw_id = '{id}'"
        ))
        .await;

    let mut clients = committee.everyone().await;
    run_to_signed_report(&committee, &mut clients).await;
    let requested = request_publication(fx, id).await;
    assert_eq!(
        requested.status(),
        StatusCode::CREATED,
        "{}",
        requested.text().await.unwrap()
    );
    assert_eq!(approve_publication(fx, id).await.status(), StatusCode::OK);
    let members = fx.app.get_json(&committee_list, Some(&fx.center)).await;
    assert_eq!(members.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_committee_list_cannot_be_published_before_every_seat_is_confirmed() {
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(12, "A0302"),
        json!([{ "specialty_prefixes": ["A03"], "count": 2, "reserves": 2 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap();
    let request = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await;
    assert_problem(request, StatusCode::CONFLICT).await;
    let approve = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/publication/approve"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_problem(approve, StatusCode::FORBIDDEN).await;
}

const GATEWAY_SECRET: &str = "a shared gateway secret of at least 32 bytes";

/// The invitations the `log` gateway wrote: (one-time code, the whole line).
/// The invitations delivered so far, once `expected` of them are (or 30 s have passed). The
/// server's own delivery worker may hold a message it claimed while the test delivers the rest,
/// so one round of `deliver_due` is not enough to see them all.
async fn delivered_invitations(fx: &DrawFixture, expected: usize) -> Vec<(String, Value)> {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        fx.app.state.notify.deliver_due().await.unwrap();
        let path = fx.app.dir.path().join("notifications.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let delivered: Vec<(String, Value)> = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|line| line["template"] == "expert-invitation")
            .map(|line| (line["params"]["code"].as_str().unwrap().to_owned(), line))
            .collect();
        if delivered.len() >= expected || std::time::Instant::now() > give_up {
            return delivered;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn keypad(fx: &DrawFixture, body: &Value, secret: &str, timestamp: i64) -> reqwest::Response {
    let body = serde_json::to_vec(body).unwrap();
    let timestamp = timestamp.to_string();
    let signature =
        sealdraw::notify::gateway::callback_signature(secret.as_bytes(), &timestamp, &body);
    fx.app
        .client
        .post(fx.app.url("/api/v1/gateway/answers"))
        .header("content-type", "application/json")
        .header("x-sealdraw-timestamp", timestamp)
        .header("x-sealdraw-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn keypad_answers_arrive_signed_once_and_in_time_or_not_at_all() {
    let fx = DrawFixture::with(&experts(12, "B0301"), |settings| {
        settings.notify.webhook_secret = Some(GATEWAY_SECRET.to_owned().into());
    })
    .await;
    let body = fx.request(json!([{ "specialty_prefixes": ["B03"], "count": 2, "reserves": 2 }]));
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let messages = delivered_invitations(&fx, 2).await;
    assert_eq!(messages.len(), 2);
    for (_, line) in &messages {
        // The message says when to answer and whom to call, never what or where.
        let params: Vec<&str> = line["params"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            params,
            ["code", "hotline", "reply_deadline", "report_window"]
        );
        let text = line.to_string();
        assert!(!text.contains("HBGG") && !text.contains("医院") && !text.contains(&id));
    }
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock) / 1000;
    let (accept_code, _) = &messages[0];
    let (decline_code, _) = &messages[1];
    let accept = json!({ "code": accept_code, "digit": "1" });

    let forged = keypad(&fx, &accept, "not the shared secret, but just as long", now).await;
    assert_problem(forged, StatusCode::UNAUTHORIZED).await;
    let stale = keypad(&fx, &accept, GATEWAY_SECRET, now - 301).await;
    assert_problem(stale, StatusCode::UNAUTHORIZED).await;
    let unknown = keypad(
        &fx,
        &json!({ "code": "00000000", "digit": "1" }),
        GATEWAY_SECRET,
        now,
    )
    .await;
    assert_problem(unknown, StatusCode::NOT_FOUND).await;
    assert_eq!(
        fx.view(&id).await["progress"][0]["confirmed"],
        0,
        "nothing refused changed anything"
    );

    assert_eq!(
        keypad(&fx, &accept, GATEWAY_SECRET, now).await.status(),
        StatusCode::NO_CONTENT
    );
    let replayed = keypad(&fx, &accept, GATEWAY_SECRET, now).await;
    assert_problem(replayed, StatusCode::CONFLICT).await;
    let decline = json!({ "code": decline_code, "digit": "2", "reason_digit": "3" });
    assert_eq!(
        keypad(&fx, &decline, GATEWAY_SECRET, now).await.status(),
        StatusCode::NO_CONTENT
    );

    let view = fx.view(&id).await;
    assert_eq!(view["progress"][0]["confirmed"], 1);
    assert_eq!(view["progress"][0]["replaced"], 1);
    assert_eq!(view["progress"][0]["pending"], 1);
    // The reserve now seated has been sent its own invitation.
    assert_eq!(delivered_invitations(&fx, 3).await.len(), 3);
}

#[tokio::test]
async fn a_decline_with_no_reserve_left_starts_a_linked_draw_whose_expert_is_invited_in_turn() {
    let fx = DrawFixture::new(&experts(6, "C0201")).await;
    let logins = expert_logins(&fx).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["C02"], "count": 1, "reserves": 0 }]));
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let pending = invited(&fx, &logins, "pending").await;
    assert_eq!(pending.len(), 1);
    let (token, invitation) = &pending[0];
    let declined = answer(
        &fx,
        token,
        invitation,
        json!({"accept": false, "reason": "illness"}),
    )
    .await;
    assert_eq!(declined.status(), StatusCode::OK);

    let view = fx.view(&id).await;
    let linked = view["linked_draws"][0].as_str().unwrap().to_owned();
    let linked_view = fx.view(&linked).await;
    assert_eq!(linked_view["link_reason"], "declined");
    assert_eq!(linked_view["strata"][0]["excluded"]["excluded_by_token"], 1);
    // Nobody contributes: the window closes and the server draws; the new expert is invited.
    fx.app.clock.advance(std::time::Duration::from_secs(121));
    assert_eq!(fx.view(&linked).await["status"], "drawn");
    let pending = invited(&fx, &logins, "pending").await;
    assert_eq!(pending.len(), 1);
    assert_ne!(&pending[0].0, token, "the decliner is not drawn again");
}

#[tokio::test]
async fn the_venue_is_required_where_there_is_one_and_shown_only_after_accepting() {
    let fx = DrawFixture::new(&experts(12, "A0401")).await;
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A04"], "count": 1, "reserves": 1 }]));
    let venue = body.as_object_mut().unwrap().remove("venue").unwrap();
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "venue");
    body["venue"] = venue.clone();
    body["mode"] = json!("distributed");
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "venue");
    body["mode"] = json!("on_site");
    let logins = expert_logins(&fx).await;
    fx.drawn(&body).await;
    let (token, invitation) = &invited(&fx, &logins, "pending").await[0];
    assert_eq!(invitation["venue"], Value::Null);
    let accepted: Value = answer(&fx, token, invitation, json!({"accept": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["venue"], venue);
    assert_eq!(
        accepted["session_join_code"],
        Value::Null,
        "on site: no remote session to join"
    );
}

#[tokio::test]
async fn a_member_vacated_after_accepting_no_longer_sees_the_tender_or_the_join_code() {
    let fx = DrawFixture::new(&experts(12, "B0101")).await;
    let logins = expert_logins(&fx).await;
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["B01"], "count": 1, "reserves": 1 }]));
    body["mode"] = json!("cross_site");
    body["project_region"] = json!("420500");
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let (token, invitation) = invited(&fx, &logins, "pending").await.remove(0);
    let accepted: Value = answer(&fx, &token, &invitation, json!({"accept": true}))
        .await
        .json()
        .await
        .unwrap();
    assert!(accepted["session_join_code"].is_string());
    let seat = tokens(&fx.view(&id).await, "confirmed")[0].clone();
    fx.vacate(&id, &seat, "recused").await;
    let mine: Value = fx
        .app
        .get_json("/api/v1/me/invitations", Some(&token))
        .await;
    let withdrawn = &mine[0];
    assert_eq!(withdrawn["state"], "withdrawn");
    assert_eq!(withdrawn["tender_name"], Value::Null);
    assert_eq!(withdrawn["venue"], Value::Null);
    assert_eq!(withdrawn["session_join_code"], Value::Null);
}

/// An expert's record's counters as an admin reads them: (attendances, declines, no-shows).
pub(crate) async fn record_counters(fx: &DrawFixture, expert_id: &str) -> (i64, i64, i64) {
    let record = fx
        .app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&fx.admin))
        .await;
    (
        record["attendances"].as_i64().unwrap(),
        record["declines"].as_i64().unwrap(),
        record["no_shows"].as_i64().unwrap(),
    )
}

/// The expert behind the one pending invitation, with its bearer token and the invitation.
async fn the_pending_expert(
    fx: &DrawFixture,
    logins: &[(String, String)],
) -> (String, String, Value) {
    let mut pending = invited(fx, logins, "pending").await;
    assert_eq!(pending.len(), 1);
    let (token, invitation) = pending.remove(0);
    let expert_id = logins.iter().find(|(_, t)| *t == token).unwrap().0.clone();
    (expert_id, token, invitation)
}

#[tokio::test]
async fn a_decline_counts_as_a_decline_and_a_lapse_or_leaving_after_accepting_as_a_no_show() {
    let fx = DrawFixture::new(&experts(12, "B0101")).await;
    let logins = expert_logins(&fx).await;
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["B01"], "count": 1, "reserves": 3 }]));
    body["mode"] = json!("distributed");
    body.as_object_mut().unwrap().remove("venue");
    let id = fx.drawn(&body).await["draw_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Accepted, then left: a no-show.
    let (left, token, invitation) = the_pending_expert(&fx, &logins).await;
    let accepted = answer(&fx, &token, &invitation, json!({"accept": true})).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let seat = tokens(&fx.view(&id).await, "confirmed")[0].clone();
    fx.vacate(&id, &seat, "withdrew").await;
    assert_eq!(record_counters(&fx, &left).await, (0, 0, 1));

    // Accepted, then recused for a conflict of interest, as the rules ask: nothing counted.
    let (recused, token, invitation) = the_pending_expert(&fx, &logins).await;
    let accepted = answer(&fx, &token, &invitation, json!({"accept": true})).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let seat = tokens(&fx.view(&id).await, "confirmed")[0].clone();
    fx.vacate(&id, &seat, "recused").await;
    assert_eq!(record_counters(&fx, &recused).await, (0, 0, 0));

    let (declined, token, invitation) = the_pending_expert(&fx, &logins).await;
    let answered = answer(
        &fx,
        &token,
        &invitation,
        json!({"accept": false, "reason": "illness"}),
    )
    .await;
    assert_eq!(answered.status(), StatusCode::OK);
    assert_eq!(record_counters(&fx, &declined).await, (0, 1, 0));

    // Silence past the deadline: a no-show.
    let (silent, _, _) = the_pending_expert(&fx, &logins).await;
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(15 * 60 + 1));
    assert_eq!(fx.app.state.invitations.expire_overdue().await.unwrap(), 1);
    assert_eq!(record_counters(&fx, &silent).await, (0, 0, 1));

    // Each event counted once, against its own expert only.
    assert_eq!(record_counters(&fx, &left).await, (0, 0, 1));
    assert_eq!(record_counters(&fx, &declined).await, (0, 1, 0));
    let untouched = logins
        .iter()
        .filter(|(e, _)| ![&left, &recused, &declined, &silent].contains(&e))
        .count();
    let mut zero = 0;
    for (expert, _) in &logins {
        if record_counters(&fx, expert).await == (0, 0, 0) {
            zero += 1;
        }
    }
    assert_eq!(
        zero,
        untouched + 1,
        "the recused expert and the undrawn count nothing"
    );
}

#[tokio::test]
async fn every_member_of_a_closed_session_has_one_attendance_on_record() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let members: Vec<String> = committee
        .logins
        .iter()
        .filter(|(_, token)| committee.members.iter().any(|m| &m.bearer == token))
        .map(|(expert, _)| expert.clone())
        .collect();
    assert_eq!(members.len(), 5);
    for expert in &members {
        assert_eq!(record_counters(fx, expert).await, (0, 0, 0));
    }

    let mut clients = committee.everyone().await;
    run_to_signed_report(&committee, &mut clients).await;
    let session = fx
        .app
        .get_json(
            &format!("/api/v1/sessions/{}", committee.session_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(session["phase"], "closed", "{session}");
    for expert in &members {
        assert_eq!(record_counters(fx, expert).await, (1, 0, 0));
    }
    for (expert, _) in committee
        .logins
        .iter()
        .filter(|(e, _)| !members.contains(e))
    {
        assert_eq!(
            record_counters(fx, expert).await.0,
            0,
            "an expert who did not sit attended nothing"
        );
    }
}
