//! Suspending, resuming and cancelling a tender's evaluation (issue 16 §4; 实施条例 §54, §62):
//! the center asks with a reason, a supervisor within the draw's jurisdiction decides, and
//! only an approval changes anything; the draw, its invitations and its session follow the
//! hold; a cancelled tender is drawn again only when the cancellation says it is re-tendered.

use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use crate::helpers::assert_problem;
use crate::sessions::{Committee, Mode, advance, ok, refused};

const WAIT: Duration = Duration::from_secs(20);

/// A supervisor whose jurisdiction (宜昌, 4205) does not cover the fixtures' draws (武汉).
async fn far_supervisor(fx: &DrawFixture) -> String {
    fx.scoped_supervisor("supervisor-yichang", json!({"regions": ["4205"]}))
        .await
}

async fn ask(fx: &DrawFixture, draw_id: &str, kind: &str, reason: &str) -> reqwest::Response {
    fx.app
        .post(
            &format!("/api/v1/draws/{draw_id}/interruptions"),
            Some(&fx.center),
            &json!({"kind": kind, "reason": reason}),
        )
        .await
}

async fn asked(fx: &DrawFixture, draw_id: &str, kind: &str, reason: &str) -> Value {
    let response = ask(fx, draw_id, kind, reason).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["state"], "requested");
    assert_eq!(view["kind"], kind);
    view
}

async fn decide(fx: &DrawFixture, bearer: &str, request: &Value, body: Value) -> reqwest::Response {
    fx.app
        .post(
            &format!(
                "/api/v1/interruptions/{}/decision",
                request["interruption_id"].as_str().unwrap()
            ),
            Some(bearer),
            &body,
        )
        .await
}

async fn approved(fx: &DrawFixture, request: &Value, retender: bool) -> Value {
    let response = decide(
        fx,
        &fx.supervisor,
        request,
        json!({"approve": true, "reason": "投诉处理决定已经作出，依法处理", "retender": retender}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["state"], "approved");
    view
}

async fn notices(fx: &DrawFixture, template: &str) -> usize {
    fx.app
        .audit_entries_of("notify.queued")
        .await
        .into_iter()
        .filter(|e| e["data"]["template"] == template)
        .count()
}

#[tokio::test]
async fn a_suspended_session_takes_only_the_supervisors_acts_until_a_supervisor_resumes_it() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let far = far_supervisor(fx).await;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    let entries_before = fx.app.entries_written_by_requests().await;

    // Bad requests are refused, naming the field, and write nothing.
    let short = assert_problem(
        ask(fx, &committee.draw_id, "suspend", "投诉").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(short["field"], "reason");
    let unknown = ask(
        fx,
        &committee.draw_id,
        "pause",
        "有投诉正在处理，需暂停评标",
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let not_suspended = assert_problem(
        ask(
            fx,
            &committee.draw_id,
            "resume",
            "有投诉正在处理，需暂停评标",
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        not_suspended["detail"]
            .as_str()
            .unwrap()
            .contains("not suspended")
    );
    let expert = &committee.members[0].bearer;
    let by_expert = fx
        .app
        .post(
            &format!("/api/v1/draws/{}/interruptions", committee.draw_id),
            Some(expert),
            &json!({"kind": "suspend", "reason": "有投诉正在处理，需暂停评标"}),
        )
        .await;
    assert_eq!(by_expert.status(), StatusCode::FORBIDDEN);
    assert_eq!(fx.app.entries_written_by_requests().await, entries_before);

    // The center asks; one request at a time; nothing changes before a supervisor decides.
    let request = asked(
        fx,
        &committee.draw_id,
        "suspend",
        "投标人甲提出投诉，监督部门正在核查",
    )
    .await;
    assert_problem(
        ask(
            fx,
            &committee.draw_id,
            "cancel",
            "招标人决定终止本次招标活动",
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    ok(
        &mut clients.experts.get_mut(&1).unwrap().0,
        Request::Declare { conflict: false },
    )
    .await;

    // A supervisor out of the draw's jurisdiction neither sees nor decides it.
    let listed = fx.app.get_json("/api/v1/interruptions", Some(&far)).await;
    assert_eq!(listed, json!([]));
    let out_of_scope = decide(
        fx,
        &far,
        &request,
        json!({"approve": true, "reason": "同意暂停评标，等待投诉处理"}),
    )
    .await;
    assert_eq!(out_of_scope.status(), StatusCode::NOT_FOUND);
    let listed = fx
        .app
        .get_json("/api/v1/interruptions", Some(&fx.supervisor))
        .await;
    assert_eq!(listed[0]["interruption_id"], request["interruption_id"]);
    assert_eq!(listed[0]["requested_by"], "center trading center");

    // Approved: everyone hears it; members' acts are refused, the supervisor's are not.
    let decided = approved(fx, &request, false).await;
    assert_eq!(decided["hold"], "suspended");
    clients
        .host
        .wait_for("suspended", |_| true, WAIT)
        .await
        .unwrap();
    let member = &mut clients.experts.get_mut(&2).unwrap().0;
    member.wait_for("suspended", |_| true, WAIT).await.unwrap();
    let refusal = refused(member, Request::Declare { conflict: false }).await;
    assert_eq!(refusal.code, "session-suspended");
    let host = refused(
        &mut clients.host,
        Request::Advance {
            to: Phase::ChairElection,
        },
    )
    .await;
    assert_eq!(host.code, "session-suspended");
    ok(
        &mut clients.supervisor,
        Request::Warn {
            text: "评标暂停期间请勿离开评标席位".into(),
        },
    )
    .await;
    let view = committee.view(&fx.center).await;
    assert_eq!(view["hold"], "suspended");
    let draw = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(draw["hold"], "suspended");
    assert_eq!(notices(fx, "evaluation-suspended").await, 5);

    // Resumed the same way; members act again.
    let resume = asked(
        fx,
        &committee.draw_id,
        "resume",
        "投诉已处理完毕，申请恢复评标",
    )
    .await;
    let decided = approved(fx, &resume, false).await;
    assert!(decided.get("hold").is_none(), "{decided}");
    let member = &mut clients.experts.get_mut(&2).unwrap().0;
    member.wait_for("resumed", |_| true, WAIT).await.unwrap();
    for seat in 2..=5 {
        ok(
            &mut clients.experts.get_mut(&seat).unwrap().0,
            Request::Declare { conflict: false },
        )
        .await;
    }
    advance(&mut clients.host, Phase::ChairElection).await;
    assert_eq!(notices(fx, "evaluation-resumed").await, 5);

    // Each step is in the log, reasons as digests only.
    for kind in [
        "draw.interruption_requested",
        "draw.suspended",
        "draw.resumed",
    ] {
        assert!(
            !fx.app.audit_entries_of(kind).await.is_empty(),
            "no {kind} entry"
        );
    }
    let log = serde_json::to_string(&fx.app.audit_entries().await).unwrap();
    assert!(
        !log.contains("投标人甲提出投诉"),
        "a reason reached the log"
    );
    let history = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}/interruptions", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["decided_by"], "supervisor");
}

#[tokio::test]
async fn a_suspended_draw_takes_no_randomness_and_does_not_execute_until_resumed() {
    // Logins outlive the hours the clock is moved on.
    let fx = DrawFixture::with(&experts(30, "A0301"), |settings| {
        settings.auth.token_idle_minutes = 600;
    })
    .await;
    let created = fx
        .create_ok(&fx.request(json!([{"specialty_prefixes": ["A03"], "count": 5, "reserves": 2}])))
        .await;
    let draw_id = created["draw_id"].as_str().unwrap().to_owned();
    let request = asked(
        &fx,
        &draw_id,
        "suspend",
        "招标文件澄清期间收到异议，暂停抽取",
    )
    .await;
    approved(&fx, &request, false).await;
    let refusal = assert_problem(
        fx.contribute(&fx.center, &draw_id).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refusal["type"]
            .as_str()
            .unwrap()
            .ends_with(":evaluation-suspended"),
        "{refusal}"
    );
    // Past its contribution window, it still waits.
    fx.app.clock.advance(Duration::from_secs(3 * 3600));
    assert_eq!(fx.app.state.draws.execute_overdue().await.unwrap(), 0);
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(view["status"], "awaiting_entropy");
    // Resumed, the overdue draw executes.
    let resume = asked(&fx, &draw_id, "resume", "异议已答复，恢复抽取评标专家").await;
    approved(&fx, &resume, false).await;
    assert_eq!(fx.app.state.draws.execute_overdue().await.unwrap(), 1);
    let view = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(view["status"], "drawn");
}

#[tokio::test]
async fn a_cancelled_evaluation_is_final_and_its_tender_is_drawn_again_only_when_re_tendered() {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;

    // A refusal changes nothing but the request.
    let request = asked(
        fx,
        &committee.draw_id,
        "cancel",
        "招标人决定终止本次招标活动",
    )
    .await;
    let refused_decision = decide(
        fx,
        &fx.supervisor,
        &request,
        json!({"approve": false, "reason": "终止理由不充分，请补充说明材料"}),
    )
    .await;
    assert_eq!(refused_decision.status(), StatusCode::OK);
    let refused_view: Value = refused_decision.json().await.unwrap();
    assert_eq!(refused_view["state"], "refused");
    assert!(refused_view.get("hold").is_none());
    assert_eq!(
        fx.app
            .audit_entries_of("draw.interruption_refused")
            .await
            .len(),
        1
    );
    // Re-tendering goes only with an approved cancellation.
    let request = asked(
        fx,
        &committee.draw_id,
        "cancel",
        "招标人决定终止本次招标活动",
    )
    .await;
    let bad = assert_problem(
        decide(
            fx,
            &fx.supervisor,
            &request,
            json!({"approve": false, "reason": "终止理由不充分，请补充说明材料", "retender": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["field"], "retender");

    // Approved without re-tendering: final for the session and the draw.
    let decided = approved(fx, &request, false).await;
    assert_eq!(decided["hold"], "cancelled");
    let event = clients
        .host
        .wait_for("cancelled", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(event.data["retender"], false);
    let supervisor = refused(
        &mut clients.supervisor,
        Request::Warn {
            text: "请各位专家离场".into(),
        },
    )
    .await;
    assert_eq!(supervisor.code, "session-cancelled");
    let member = &mut clients.experts.get_mut(&1).unwrap().0;
    let refusal = refused(
        member,
        Request::CheckIn {
            join_code: committee.members[0].join_code.as_str().into(),
        },
    )
    .await;
    assert_eq!(refusal.code, "session-cancelled");
    assert_problem(
        ask(
            fx,
            &committee.draw_id,
            "resume",
            "申请恢复已经终止的评标活动",
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(notices(fx, "evaluation-cancelled").await, 5);

    // The same tender cannot be drawn again.
    let draw = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    let mut again = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 5, "reserves": 1}]));
    again["tender_reference"] = draw["tender_reference"].clone();
    let taken = assert_problem(fx.create(&again).await, StatusCode::CONFLICT).await;
    assert!(
        taken["type"]
            .as_str()
            .unwrap()
            .ends_with("tender-already-drawn"),
        "{taken}"
    );
}

#[tokio::test]
async fn a_re_tendered_cancellation_lets_one_new_draw_name_the_cancelled_one() {
    let fx = DrawFixture::new(&experts(30, "A0301")).await;
    let body = fx.request(json!([{"specialty_prefixes": ["A03"], "count": 5, "reserves": 1}]));
    let drawn = fx.drawn(&body).await;
    let draw_id = drawn["draw_id"].as_str().unwrap().to_owned();
    let request = asked(
        &fx,
        &draw_id,
        "cancel",
        "投诉成立，招标文件须修改后重新招标",
    )
    .await;
    approved(&fx, &request, true).await;
    let cancelled = fx
        .app
        .get_json(&format!("/api/v1/draws/{draw_id}"), Some(&fx.center))
        .await;
    assert_eq!(cancelled["hold"], "cancelled");
    assert_eq!(cancelled["void"]["reason"], "retendered");
    let entry = &fx.app.audit_entries_of("draw.cancelled").await[0];
    assert_eq!(entry["data"]["retender"], true);
    assert_eq!(entry["data"]["invitations_withdrawn"], 5);

    // One new root draw for the re-tendered tender; its intent entry names the cancelled one.
    let again = fx.create_ok(&body).await;
    let intent = fx
        .app
        .audit_entries_of("draw.intent")
        .await
        .into_iter()
        .find(|e| e["refs"]["draw"] == again["draw_id"])
        .unwrap();
    assert_eq!(intent["refs"]["retender_of"], draw_id.as_str());
    assert!(intent["refs"].get("after_void").is_none());
    let third = assert_problem(fx.create(&body).await, StatusCode::CONFLICT).await;
    assert!(
        third["type"]
            .as_str()
            .unwrap()
            .ends_with("tender-already-drawn")
    );
    assert_eq!(notices(&fx, "evaluation-cancelled").await, 5);
}

#[tokio::test]
async fn a_postponed_evaluation_asks_every_member_again_and_a_decliner_is_replaced_from_the_reserves()
 {
    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let fx = &committee.fx;
    let mut clients = committee.everyone().await;
    let draw = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    let start =
        chrono::DateTime::parse_from_rfc3339(draw["evaluation_start"].as_str().unwrap()).unwrap();
    let later = (start + chrono::Duration::days(1)).to_rfc3339();
    let postpone = |start: &str| json!({"kind": "postpone", "reason": "投诉处理需要时间，评标顺延一天", "evaluation_start": start});
    let path = format!("/api/v1/draws/{}/interruptions", committee.draw_id);

    // The new start must be later, well formed, and only a postponement names one.
    let earlier = (start - chrono::Duration::minutes(10)).to_rfc3339();
    for (body, field) in [
        (postpone(&earlier), "evaluation_start"),
        (postpone("明天上午九点"), "evaluation_start"),
        (
            json!({"kind": "suspend", "reason": "投诉处理需要时间，评标暂停", "evaluation_start": later}),
            "evaluation_start",
        ),
        (
            json!({"kind": "postpone", "reason": "投诉处理需要时间，评标顺延一天", "evaluation_start": later, "evaluation_minutes": 5}),
            "evaluation_minutes",
        ),
    ] {
        let problem = assert_problem(
            fx.app.post(&path, Some(&fx.center), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{body}");
    }
    let response = fx
        .app
        .post(&path, Some(&fx.center), &postpone(&later))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let request: Value = response.json().await.unwrap();
    assert_eq!(request["kind"], "postpone");
    let decided = approved(fx, &request, false).await;
    assert_eq!(decided["evaluation_start"], request["evaluation_start"]);

    // The draw moved; the room heard; every member answers again.
    let moved = fx
        .app
        .get_json(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.center),
        )
        .await;
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(moved["evaluation_start"].as_str().unwrap()).unwrap(),
        start + chrono::Duration::days(1)
    );
    let event = clients
        .host
        .wait_for("postponed", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(event.data["interruption"], request["interruption_id"]);
    assert_eq!(notices(fx, "evaluation-postponed").await, 5);
    let entry = &fx.app.audit_entries_of("draw.postponed").await[0];
    assert_eq!(entry["data"]["experts_asked_again"], 5);
    let asked = crate::invitations::invited(fx, &committee.logins, "pending").await;
    assert_eq!(asked.len(), 5, "every member answers again");
    // Until they answer, no seat counts as confirmed (the move out of check-in waits for
    // that, and check-in itself for an accepted invitation).
    let view = committee.view(&fx.center).await;
    assert!(
        view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|seat| seat["confirmed"] == false),
        "{view}"
    );

    // One declines: the reserve takes the seat; the others accept again.
    let (decliner, invitation) = &asked[0];
    let declined = crate::invitations::answer(
        fx,
        decliner,
        invitation,
        json!({"accept": false, "reason": "other"}),
    )
    .await;
    assert_eq!(
        declined.status(),
        StatusCode::OK,
        "{}",
        declined.text().await.unwrap()
    );
    for (bearer, invitation) in &asked[1..] {
        let accepted =
            crate::invitations::answer(fx, bearer, invitation, json!({"accept": true})).await;
        assert_eq!(accepted.status(), StatusCode::OK);
    }
    for (bearer, invitation) in crate::invitations::invited(fx, &committee.logins, "pending").await
    {
        let accepted =
            crate::invitations::answer(fx, &bearer, &invitation, json!({"accept": true})).await;
        assert_eq!(accepted.status(), StatusCode::OK);
    }
    advance(&mut clients.host, Phase::CheckIn).await;
    // The session seats the reserve in the decliner's place.
    let view = committee.view(&fx.center).await;
    let seats = view["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 6, "{view}");
    assert_eq!(seats.iter().filter(|s| s["state"] == "void").count(), 1);
    assert!(
        seats
            .iter()
            .filter(|s| s["state"] == "active")
            .all(|s| s["confirmed"] == true),
        "{view}"
    );

    // Once the session has begun it can be suspended, not postponed.
    let later_still = (start + chrono::Duration::days(2)).to_rfc3339();
    let begun = assert_problem(
        fx.app
            .post(&path, Some(&fx.center), &postpone(&later_still))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        begun["detail"].as_str().unwrap().contains("not postponed"),
        "{begun}"
    );
}
