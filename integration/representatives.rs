//! The tenderer's representatives (招标人代表, 招标投标法 §37; issue 16 §1) on both backends: the
//! draw's request plans the committee and a committee the statute forbids is refused before
//! drawing; the host names the representatives when opening the session and hands out their
//! logins (activated once, like an expert's); a 5 + 2 committee checks in, rejects a bid by
//! majority, scores, ranks, names three candidates and closes with a representative deemed to
//! agree; a representative may chair only where the deployment allows it.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use crate::helpers::{TestOptions, assert_problem};
use crate::sessions::{Clients, Committee, Mode, advance, audit_entries, ok, refused, sheet};

const WAIT: Duration = Duration::from_secs(20);

fn five_bidders() -> Value {
    json!({
        "bidders": ["Bidder A", "Bidder B", "Bidder C", "Bidder D", "Bidder E"],
        "criteria": [{"name": "technical", "max_points": 60}, {"name": "price", "max_points": 40}],
    })
}

fn member(clients: &mut Clients, seat: u32) -> &mut SessionClient {
    &mut clients.experts.get_mut(&seat).unwrap().0
}

fn options(customise: impl FnOnce(&mut sealdraw::config::Settings) + 'static) -> TestOptions {
    TestOptions {
        customise: Box::new(customise),
        ..TestOptions::default()
    }
}

#[tokio::test]
async fn a_draw_request_plans_its_committee_and_one_the_statute_forbids_is_refused_before_drawing()
{
    let fx = DrawFixture::new(&experts(40, "A0301")).await;
    let app = &fx.app;
    let strata =
        |count: u32| json!([{ "specialty_prefixes": ["A03"], "count": count, "reserves": 1 }]);
    let before = app.entries_written_by_requests().await;
    for (count, committee, field, detail) in [
        (
            5,
            json!({"experts": 4, "representatives": 1}),
            "committee.experts",
            "must equal the strata's counts together (5)",
        ),
        (
            5,
            json!({"experts": 5, "representatives": 1}),
            "committee",
            "a committee has an odd number of members; this one has 6",
        ),
        (
            3,
            json!({"experts": 3, "representatives": 2}),
            "committee",
            "experts must be at least two thirds of the committee; 3 of 5 are",
        ),
        (
            5,
            json!({"experts": 5, "representatives": 4}),
            "committee",
            "experts must be at least two thirds of the committee; 5 of 9 are",
        ),
        (
            3,
            json!({"experts": 3, "representatives": 0}),
            "committee",
            "a committee has at least 5 members; this one has 3",
        ),
        (
            5,
            json!({"experts": 5, "representatives": 26}),
            "committee.representatives",
            "must be from 0 to 25",
        ),
    ] {
        let mut body = fx.request(strata(count));
        body["committee"] = committee.clone();
        let problem =
            assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{committee}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(detail),
            "{committee}: {problem}"
        );
    }
    let mut unknown = fx.request(strata(5));
    unknown["committee"] = json!({"experts": 5, "representatives": 2, "chair": 1});
    assert!(fx.create(&unknown).await.status().is_client_error());
    assert_eq!(
        app.entries_written_by_requests().await,
        before,
        "nothing was drawn or logged"
    );

    // 4 + 1: five members, odd, experts four fifths: the statute allows it.
    let mut body = fx.request(strata(4));
    body["committee"] = json!({"experts": 4, "representatives": 1});
    let created = fx.create_ok(&body).await;
    assert_eq!(
        created["committee"],
        json!({"experts": 4, "representatives": 1})
    );
    // 5 + 2, logged with the intent, not in it (DRAW-SPEC §5): the intent's bytes are those
    // of a draw without representatives.
    let mut body = fx.request(strata(5));
    body["committee"] = json!({"experts": 5, "representatives": 2});
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap();
    let view = app
        .get_json(&format!("/api/v1/draws/{id}"), Some(&fx.center))
        .await;
    assert_eq!(
        view["committee"],
        json!({"experts": 5, "representatives": 2})
    );
    assert!(view["intent"].get("committee").is_none());
    let intents = app.audit_entries_of("draw.intent").await;
    let entry = intents.last().unwrap();
    assert_eq!(
        entry["data"]["committee"],
        json!({"experts": 5, "representatives": 2})
    );
    // A request without a plan is today's: no committee in its view or its entry.
    let plain = fx.create_ok(&fx.request(strata(5))).await;
    assert!(plain.get("committee").is_none(), "{plain}");
    let intents = app.audit_entries_of("draw.intent").await;
    assert!(intents.last().unwrap()["data"].get("committee").is_none());
}

#[tokio::test]
async fn five_experts_and_two_representatives_reject_a_bid_rank_name_three_candidates_and_close_with_one_deemed_agreeing()
 {
    let committee = Committee::with_representatives(
        Mode::Distributed,
        5,
        2,
        1,
        options(|settings| settings.session.signing_minutes = 1),
        five_bidders(),
    )
    .await;
    let fx = &committee.fx;

    // The creation's answer hands out each representative's login once; the session shows
    // their seats as such and the experts' as "Expert n".
    let logins = committee.created["representatives"].as_array().unwrap();
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["seat"], 6);
    assert_eq!(logins[0]["label"], "Representative 6");
    assert_eq!(logins[0]["name"], "招标人代表1");
    assert!(
        logins[0]["username"]
            .as_str()
            .unwrap()
            .starts_with("representative-")
    );
    let view = committee.view(&fx.center).await;
    assert!(view.get("representatives").is_none(), "shown once: {view}");
    assert_eq!(view["committee_size"], 7);
    let labels: Vec<(u64, &str, bool)> = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["seat"].as_u64().unwrap(),
                s["label"].as_str().unwrap(),
                s["representative"] == true,
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            (1, "Expert 1", false),
            (2, "Expert 2", false),
            (3, "Expert 3", false),
            (4, "Expert 4", false),
            (5, "Expert 5", false),
            (6, "Representative 6", true),
            (7, "Representative 7", true)
        ]
    );
    // A representative's login serves their session, at their seat.
    let (rep6, rep7) = (&committee.representatives[0], &committee.representatives[1]);
    let theirs = fx
        .app
        .get_json("/api/v1/sessions", Some(&rep6.bearer))
        .await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["your_seat"], 6);
    assert_eq!(theirs[0]["your_role"], "expert");
    // The code set a password once: it does not work again.
    let again = fx
        .app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": logins[1]["username"], "code": logins[1]["activation_code"],
                    "password": "someone else's passphrase 8"}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    let mut clients = committee.everyone().await;
    assert_eq!(
        clients.experts.keys().copied().collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7]
    );
    // A representative checks in with their own join code, not another's.
    advance(&mut clients.host, Phase::CheckIn).await;
    let wrong = refused(
        member(&mut clients, 6),
        Request::CheckIn {
            join_code: rep7.join_code.clone().into(),
        },
    )
    .await;
    assert_eq!(wrong.code, "wrong-join-code", "{wrong:?}");
    // The composition holds (7 members, 5 experts), so the host moves on once all are in.
    let early = refused(&mut clients.host, Request::Advance { to: Phase::Recusal }).await;
    assert!(early.detail.contains("Representative 6"), "{early:?}");
    clients.check_in_all().await;
    let checked = clients
        .host
        .wait_for("checked_in", |d| d["seat"] == 7, WAIT)
        .await
        .unwrap();
    assert_eq!(checked.data["label"], "Representative 7");
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    clients.elect(1).await;
    advance(&mut clients.host, Phase::Evaluation).await;

    // A representative proposes rejecting a bid; 4 of 7 reject it (more than half).
    let reasons = "投标文件未经投标单位盖章和单位负责人签字";
    let proposed = ok(
        member(&mut clients, 6),
        Request::ProposeRejection {
            bidder: "Bidder C".into(),
            ground: "unsigned_unsealed".into(),
            reasons: reasons.into(),
        },
    )
    .await;
    assert_eq!(proposed["members"], 7);
    ok(
        member(&mut clients, 7),
        Request::VoteRejection {
            proposal: 1,
            reject: true,
        },
    )
    .await;
    ok(
        member(&mut clients, 2),
        Request::VoteRejection {
            proposal: 1,
            reject: false,
        },
    )
    .await;
    ok(
        member(&mut clients, 1),
        Request::VoteRejection {
            proposal: 1,
            reject: true,
        },
    )
    .await;
    let decided = ok(
        member(&mut clients, 3),
        Request::VoteRejection {
            proposal: 1,
            reject: true,
        },
    )
    .await;
    assert_eq!(decided["state"], "rejected", "{decided}");
    assert_eq!(decided["votes_for"], 4);

    // Everyone scores, representatives too. Totals: B 95, D 90, A 85 + seat/100, E 60.
    for (seat, (client, _)) in clients.experts.iter_mut() {
        ok(client, sheet("Bidder A", &format!("55.{seat:02}"), "30")).await;
        ok(client, sheet("Bidder B", "60", "35")).await;
        ok(client, sheet("Bidder D", "55", "35")).await;
        ok(client, sheet("Bidder E", "40", "20")).await;
    }
    advance(&mut clients.host, Phase::Summary).await;
    advance(&mut clients.host, Phase::Signing).await;
    let ready = member(&mut clients, 7)
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let draft_sha = ready.data["report_sha256"].as_str().unwrap().to_owned();
    let draft = &ready.data["report"];
    let roles: Vec<(u64, &str, &str)> = draft["committee"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["seat"].as_u64().unwrap(),
                m["label"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(roles.len(), 7);
    assert_eq!(roles[5], (6, "Representative 6", "representative"));
    assert_eq!(roles[6], (7, "Representative 7", "representative"));
    assert!(roles[..5].iter().all(|(_, _, role)| *role == "expert"));
    let seat6 = &draft["seats"][5];
    assert_eq!(seat6["representative"], true);
    assert!(seat6.get("token").is_none(), "{seat6}");
    assert!(draft["seats"][0]["token"].is_string());
    assert_eq!(draft["rejections"][0]["proposed_by"], 6);
    assert_eq!(draft["rejections"][0]["ground"], "unsigned_unsealed");
    assert_eq!(draft["rejections"][0]["reasons"], reasons);
    assert_eq!(
        draft["candidates"],
        json!([{"position": 1, "bidder": "Bidder B"}, {"position": 2, "bidder": "Bidder D"},
               {"position": 3, "bidder": "Bidder A"}])
    );
    assert!(
        !draft.to_string().contains("招标人代表1"),
        "the report names no one"
    );

    // Six sign; representative 7 stays silent past the deadline and is deemed to agree.
    for seat in 1..=6 {
        ok(
            member(&mut clients, seat),
            Request::Sign {
                report_sha256: draft_sha.clone(),
                agree: true,
                reasons: None,
                signature: None,
            },
        )
        .await;
    }
    let held = refused(&mut clients.host, Request::Advance { to: Phase::Closed }).await;
    assert!(held.detail.contains("Representative 7"), "{held:?}");
    fx.app.clock.advance(Duration::from_secs(61));
    let closed = advance(&mut clients.host, Phase::Closed).await;
    let report = fx
        .app
        .get_json(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&rep6.bearer),
        )
        .await;
    assert_eq!(report["report_sha256"], closed["report_sha256"]);
    let signatures: BTreeMap<u64, &str> = report["report"]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["seat"].as_u64().unwrap(),
                s["signature"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(signatures[&7], "deemed_agree");
    assert_eq!(signatures[&6], "agree");

    // A representative is not rated: ratings feed a pool expert's credit.
    let rating = assert_problem(
        fx.app
            .post(
                &format!("/api/v1/sessions/{}/ratings", committee.session_id),
                Some(&fx.center),
                &json!({"seat": 6, "punctuality": 5, "diligence": 5, "discipline": 5}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(rating["field"], "seat");

    // The log: seats and logins, never who the representatives are.
    let entries = audit_entries(fx).await;
    let created = entries
        .iter()
        .find(|e| e["type"] == "session.created")
        .unwrap();
    assert_eq!(created["data"]["seats"], 7);
    let named = created["data"]["representatives"].as_array().unwrap();
    assert_eq!(named.len(), 2);
    assert_eq!(named[0]["seat"], 6);
    let accounts: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "account.created" && e["data"]["representative_seat"].is_u64())
        .collect();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["refs"]["account"], named[0]["account"]);
    let check_ins: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "session.checked_in" && e["data"]["seat"] == 6)
        .collect();
    assert_eq!(check_ins[0]["data"]["representative"], true);
    let deemed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "session.deemed_agreement")
        .collect();
    assert_eq!(deemed.len(), 1);
    assert_eq!(deemed[0]["data"]["seat"], 7);
    let everything = serde_json::to_string(&entries).unwrap();
    for secret in [
        "招标人代表1",
        "基建科科长",
        logins[0]["activation_code"].as_str().unwrap(),
        logins[0]["join_code"].as_str().unwrap(),
    ] {
        assert!(!everything.contains(secret), "{secret} is in the log");
    }
}

#[tokio::test]
async fn a_session_names_exactly_the_representatives_its_draw_planned_and_checks_each() {
    let fx = DrawFixture::new(&experts(30, "A0301")).await;
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 5, "reserves": 1 }]));
    body["mode"] = json!("distributed");
    body.as_object_mut().unwrap().remove("venue");
    body["committee"] = json!({"experts": 5, "representatives": 2});
    let view = fx.drawn(&body).await;
    let draw_id = view["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&draw_id).await;
    let session = |representatives: Value| {
        let mut session = json!({"draw_id": draw_id, "supervisors": ["supervisor"],
                                 "representatives": representatives});
        session
            .as_object_mut()
            .unwrap()
            .extend(five_bidders().as_object().unwrap().clone());
        session
    };
    let before = fx.app.entries_written_by_requests().await;
    let accounts_before = fx
        .app
        .get_json("/api/v1/accounts", Some(&fx.admin))
        .await
        .as_array()
        .unwrap()
        .len();
    for (representatives, field) in [
        (json!([{"name": "张三"}]), "representatives"),
        (
            json!([{"name": "张三"}, {"name": "李四"}, {"name": "王五"}]),
            "representatives",
        ),
        (
            json!([{"name": "张\u{202e}三"}, {"name": "李四"}]),
            "representatives[0].name",
        ),
        (
            json!([{"name": "张三"}, {"name": "  "}]),
            "representatives[1].name",
        ),
        (
            json!([{"name": "张三", "employer": "x".repeat(101)}, {"name": "李四"}]),
            "representatives[0].employer",
        ),
        (
            json!([{"name": "张三"}, {"name": "李四", "title": "科长\n处长"}]),
            "representatives[1].title",
        ),
    ] {
        let problem = assert_problem(
            fx.app
                .post(
                    "/api/v1/sessions",
                    Some(&fx.center),
                    &session(representatives.clone()),
                )
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{representatives}: {problem}");
    }
    assert_eq!(fx.app.entries_written_by_requests().await, before);
    let accounts_after = fx
        .app
        .get_json("/api/v1/accounts", Some(&fx.admin))
        .await
        .as_array()
        .unwrap()
        .len();
    assert_eq!(accounts_after, accounts_before, "no login was made");

    let response = fx
        .app
        .post(
            "/api/v1/sessions",
            Some(&fx.center),
            &session(
                json!([{"name": "张三", "employer": "某医院", "title": "院长"}, {"name": "李四"}]),
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["committee_size"], 7);
    assert_eq!(created["representatives"][1]["name"], "李四");
}

#[tokio::test]
async fn representatives_sit_at_the_main_venue_of_a_cross_site_session() {
    let committee = Committee::with_representatives(
        Mode::CrossSite,
        5,
        2,
        1,
        TestOptions::default(),
        crate::sessions::bidders_and_criteria(),
    )
    .await;
    let response = committee
        .fx
        .app
        .post(
            &format!("/api/v1/sessions/{}/entropy", committee.session_id),
            Some(&committee.fx.supervisor),
            &json!({"entropy": hex::encode([9u8; 32])}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    let assigned = clients
        .host
        .wait_for("seats_assigned", |_| true, WAIT)
        .await
        .unwrap();
    let placement: BTreeMap<u64, u64> = assigned.data["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["seat"].as_u64().unwrap(), p["venue"].as_u64().unwrap()))
        .collect();
    assert_eq!(placement.len(), 7);
    assert_eq!((placement[&6], placement[&7]), (0, 0));
    // The experts are placed by the seed in the seats the representatives leave (PROTOCOL.md
    // §9): the main venue's 4 less 2, and 2 at each sub-venue.
    let entries = audit_entries(&committee.fx).await;
    let entry = entries
        .iter()
        .find(|e| e["type"] == "session.seats_assigned")
        .unwrap();
    let seed: [u8; 32] = hex::decode(entry["data"]["seed"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let experts =
        sealdraw::session::rules::assign_venues(crate::helpers::suite(), &seed, 5, &[2, 2, 2])
            .unwrap();
    let placed: Vec<u32> = (1..=5).map(|seat| placement[&seat] as u32).collect();
    assert_eq!(placed, experts);
}

#[tokio::test]
async fn a_representative_cannot_be_elected_chair_by_default() {
    let committee = Committee::with_representatives(
        Mode::Distributed,
        5,
        2,
        0,
        TestOptions::default(),
        crate::sessions::bidders_and_criteria(),
    )
    .await;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    let refusal = refused(member(&mut clients, 1), Request::Vote { seat: 6 }).await;
    assert_eq!(
        (refusal.code.as_str(), refusal.field.as_deref()),
        ("invalid-request", Some("seat")),
        "{refusal:?}"
    );
    assert!(
        refusal.detail.contains("session.representative_may_chair"),
        "{refusal:?}"
    );
    // A representative votes for an expert like any member.
    ok(member(&mut clients, 6), Request::Vote { seat: 2 }).await;
}

#[tokio::test]
async fn a_deployment_may_let_a_representative_chair_the_committee() {
    let committee = Committee::with_representatives(
        Mode::Distributed,
        5,
        2,
        0,
        options(|settings| settings.session.representative_may_chair = true),
        crate::sessions::bidders_and_criteria(),
    )
    .await;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    clients.elect(6).await;
    let elected = clients
        .host
        .wait_for("chair_elected", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(elected.data["seat"], 6);
    assert_eq!(elected.data["label"], "Representative 6");
    advance(&mut clients.host, Phase::Evaluation).await;
}

#[tokio::test]
async fn a_representative_who_recuses_is_succeeded_by_one_the_host_names() {
    let committee = Committee::with_representatives(
        Mode::Distributed,
        5,
        2,
        0,
        TestOptions::default(),
        crate::sessions::bidders_and_criteria(),
    )
    .await;
    let fx = &committee.fx;
    let path = format!("/api/v1/sessions/{}/representatives", committee.session_id);
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await;
    advance(&mut clients.host, Phase::Recusal).await;

    // While both representatives hold their seats, nobody is named in addition.
    let full = assert_problem(
        fx.app
            .post(&path, Some(&fx.center), &json!({"name": "赵六"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        full["detail"]
            .as_str()
            .unwrap()
            .contains("2 tenderer's representatives")
    );

    // Representative 7 declares a conflict: the seat is void and no reserve takes it.
    let declared = ok(member(&mut clients, 7), Request::Declare { conflict: true }).await;
    assert_eq!(declared["recused"], true);
    assert_eq!(declared["replacement"]["successor_seat"], Value::Null);
    for seat in 1..=6 {
        ok(
            member(&mut clients, seat),
            Request::Declare { conflict: false },
        )
        .await;
    }
    let held = refused(
        &mut clients.host,
        Request::Advance {
            to: Phase::ChairElection,
        },
    )
    .await;
    assert!(held.detail.contains("6 of 7 seats"), "{held:?}");

    // Only the host names the successor, with a name that passes the text rules.
    let supervisor = fx
        .app
        .post(&path, Some(&fx.supervisor), &json!({"name": "赵六"}))
        .await;
    assert!(supervisor.status().is_client_error());
    let bad = assert_problem(
        fx.app
            .post(&path, Some(&fx.center), &json!({"name": "赵\u{0007}六"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["field"], "name");
    let response = fx
        .app
        .post(
            &path,
            Some(&fx.center),
            &json!({"name": "赵六", "title": "副院长"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let login: Value = response.json().await.unwrap();
    assert_eq!(login["seat"], 8);
    assert_eq!(login["label"], "Representative 8");
    let added = clients
        .host
        .wait_for("seat_added", |d| d["seat"] == 8, WAIT)
        .await
        .unwrap();
    assert_eq!(added.data["representative"], true);
    assert_eq!(added.data["label"], "Representative 8");

    // The successor activates their login, checks in, declares; the session moves on.
    let bearer = crate::sessions::activate_representative(&fx.app, &login).await;
    let mut successor = committee.connect(&bearer).await;
    assert_eq!(successor.seat, Some(8));
    ok(
        &mut successor,
        Request::CheckIn {
            join_code: login["join_code"].as_str().unwrap().into(),
        },
    )
    .await;
    ok(&mut successor, Request::Declare { conflict: false }).await;
    advance(&mut clients.host, Phase::ChairElection).await;
    let view = committee.view(&fx.center).await;
    let eight = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat"] == 8)
        .unwrap()
        .clone();
    assert_eq!(eight["representative"], true);
    let entries = audit_entries(fx).await;
    let added = entries
        .iter()
        .find(|e| e["type"] == "session.seat_added" && e["data"]["seat"] == 8)
        .unwrap();
    assert_eq!(added["data"]["representative"], true);
    let vacated = entries
        .iter()
        .find(|e| e["type"] == "session.seat_vacated")
        .unwrap();
    assert_eq!(vacated["data"]["seat"], 7);
    assert_eq!(vacated["data"]["representative"], true);
    assert!(vacated["data"].get("token").is_none());
}
