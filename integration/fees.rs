//! Experts' fees (issue 22 §4; docs/FEES.md): the published standard; settlements of a
//! cross-site session (main venue, a cheaper and a dearer sub-venue) and of a distributed one
//! with a member who left early, against amounts worked out by hand below; travel within the
//! caps, approval, a correction that supersedes and keeps the old record, the payment file,
//! each expert's own statements, and who may see what.

use std::time::Duration;

use reqwest::StatusCode;
use sealdraw::config::{RegionFeeRateSettings, Settings};
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::invitations::{answer, invited};
use crate::sessions::{Committee, Member, Mode, advance, all_agree, bidders_and_criteria, ok};

const HOUR: Duration = Duration::from_secs(3600);

/// The standard of these tests: the default 400 / 700 yuan per half day / day, Wuhan (420100)
/// 450 / 800, Yichang (420500) 500 / 900; half days of 4 hours; transport up to 1,000 yuan,
/// 400 yuan a night for at most 3 nights (the defaults).
fn fee_standard(settings: &mut Settings) {
    settings.fees.regions = vec![
        RegionFeeRateSettings {
            region: "420100".into(),
            half_day_fen: 45_000,
            day_fen: 80_000,
        },
        RegionFeeRateSettings {
            region: "420500".into(),
            half_day_fen: 50_000,
            day_fen: 90_000,
        },
    ];
    // The hours a session runs here move the test clock past a token's idle limit.
    settings.auth.token_idle_minutes = 24 * 60;
    settings.auth.token_absolute_hours = 48;
}

fn settlements_path(committee: &Committee) -> String {
    format!("/api/v1/sessions/{}/settlements", committee.session_id)
}

async fn settle(committee: &Committee, bearer: &str) -> reqwest::Response {
    committee
        .fx
        .app
        .post(&settlements_path(committee), Some(bearer), &json!({}))
        .await
}

async fn travel(committee: &Committee, settlement: &str, body: Value) -> reqwest::Response {
    committee
        .fx
        .app
        .post(
            &format!("/api/v1/settlements/{settlement}/travel"),
            Some(&committee.fx.center),
            &body,
        )
        .await
}

/// The current record of `seat` in a settlements answer.
fn current_of(settlements: &Value, seat: u64) -> Value {
    settlements["current"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seat"] == seat)
        .unwrap_or_else(|| panic!("no current record of seat {seat}: {settlements}"))
        .clone()
}

async fn audit_count(committee: &Committee, kind: &str) -> usize {
    committee.fx.app.audit_entries_of(kind).await.len()
}

#[tokio::test]
async fn the_fee_standard_is_published_to_every_role_with_its_digest() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(fee_standard),
        ..TestOptions::default()
    })
    .await;
    let mut digests = Vec::new();
    for (name, role) in [
        ("admin", sealdraw::auth::Role::Admin),
        ("center", sealdraw::auth::Role::Center),
        ("supervisor", sealdraw::auth::Role::Supervisor),
    ] {
        let (_, bearer) = app.account_with_token(name, role).await;
        let published = app.get_json("/api/v1/fees/standards", Some(&bearer)).await;
        digests.push(published["digest"].as_str().unwrap().to_owned());
        assert_eq!(published["digest_algorithm"], suite().hash_name());
        let standard = &published["standard"];
        assert_eq!(standard["default_rates"]["half_day_fen"], 40_000);
        assert_eq!(standard["default_rates"]["day_fen"], 70_000);
        assert_eq!(standard["half_day_hours"], 4);
        assert_eq!(
            standard["regions"],
            json!([
                {"region": "420100", "half_day_fen": 45_000, "day_fen": 80_000},
                {"region": "420500", "half_day_fen": 50_000, "day_fen": 90_000},
            ])
        );
        assert_eq!(standard["sub_venue_rule"], "higher_of_main_and_sub_venue");
        assert_eq!(standard["transport_cap_fen"], 100_000);
        // The digest is the standard's canonical JSON's, recomputable by any reader.
        let canonical = sealdraw::audit::entry::canonical_json(standard).unwrap();
        assert_eq!(published["digest"], suite().hex_hash(&canonical).as_str());
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]));
    assert_problem(
        app.get("/api/v1/fees/standards", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn a_standard_with_nonsense_in_it_stops_check_config_naming_each_setting() {
    let app = spawn_app().await;
    let config = app.dir.path().join("fees.toml");
    std::fs::write(
        &config,
        "[fees]\nhalf_day_hours = 4\ndefault_rates = { half_day_fen = 80000, day_fen = 70000 }\n\
         transport_cap_fen = -1\n\
         regions = [ { region = \"990000\", half_day_fen = 1, day_fen = 2 } ]\n",
    )
    .unwrap();
    let output = app
        .sealdraw_command()
        .args(["--config", config.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "fees.default_rates: the half-day rate (80000 fen) exceeds the day rate (70000 fen)",
        "fees.transport_cap_fen must not be negative",
        "fees.regions[0].region: \"990000\" is not a prefecture-level division code",
    ] {
        assert!(errors.contains(expected), "{expected} in {errors}");
    }
}

#[tokio::test]
async fn a_cross_site_sessions_fees_pay_each_sub_venue_the_higher_of_the_two_rates_and_are_corrected_only_by_new_records()
 {
    let mut subject = bidders_and_criteria();
    subject["assignment"] = json!("in_order");
    let committee = Committee::with_subject(
        Mode::CrossSite,
        5,
        0,
        TestOptions {
            customise: Box::new(fee_standard),
            ..TestOptions::default()
        },
        subject,
    )
    .await;
    let app = &committee.fx.app;
    // The main venue is the host's (Wuhan, 420100). The first sub-venue's center is in
    // Xiangyang (420600: no rates of its own, the default's 400 / 700, cheaper than Wuhan's);
    // the second's in a county of Yichang (420502 西陵区 → 420500: 500 / 900, dearer).
    for (center, region) in [("center-b", "420600"), ("center-c", "420502")] {
        let response = app
            .client
            .patch(app.url(&format!("/api/v1/accounts/{center}")))
            .bearer_auth(&committee.fx.admin)
            .json(&json!({"region_code": region}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    // Everyone checks in at the same moment, T0.
    clients.check_in_all().await;
    let view = committee.view(&committee.fx.center).await;
    let venue_of = |seat: u64| {
        view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seat"] == seat)
            .unwrap()["venue"]
            .as_u64()
            .unwrap()
    };
    // In order: Experts 1–2 at the main venue, 3–4 at the first sub-venue, 5 at the second.
    assert_eq!((1..=5).map(venue_of).collect::<Vec<_>>(), [0, 0, 1, 1, 2]);
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    clients.elect(1).await;
    advance(&mut clients.host, Phase::Evaluation).await;
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let signing = advance(&mut clients.host, Phase::Signing).await;
    // Before the session closes there is nothing to settle.
    let early = assert_problem(
        settle(&committee, &committee.fx.center).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(early["detail"].as_str().unwrap().contains("closed"));
    let draft = signing["report_sha256"].as_str().unwrap().to_owned();
    all_agree(clients.experts.values_mut().map(|(c, _)| c), &draft).await;
    // The session closes six hours after T0: two half days of four hours, a day, for everyone.
    app.clock.advance(6 * HOUR);
    advance(&mut clients.host, Phase::Closed).await;

    // Another center (an operator of the session) and other roles get nothing.
    let outsider = &committee.operators[0];
    assert_problem(settle(&committee, outsider).await, StatusCode::NOT_FOUND).await;
    assert_eq!(audit_count(&committee, "fees.settled").await, 0);
    for bearer in [outsider, &committee.fx.center] {
        let status = if bearer == outsider {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(
            app.get(&settlements_path(&committee), Some(bearer))
                .await
                .status(),
            status
        );
    }
    for bearer in [&committee.fx.supervisor, &committee.members[0].bearer] {
        assert_problem(settle(&committee, bearer).await, StatusCode::FORBIDDEN).await;
    }

    let response = settle(&committee, &committee.fx.center).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let settled: Value = response.json().await.unwrap();
    let standard = app
        .get_json("/api/v1/fees/standards", Some(&committee.fx.center))
        .await;
    // Worked by hand (docs/FEES.md, "A worked example"): 6 h is 2 half days, a day.
    // Main venue, Wuhan's day: 800 yuan. First sub-venue: the higher of Wuhan's 800 and the
    // default's 700, so Wuhan's 800. Second sub-venue: the higher of 800 and Yichang's 900.
    let expected = [
        (1, "main_venue", "420100", 80_000),
        (2, "main_venue", "420100", 80_000),
        (3, "sub_venue", "420100", 80_000),
        (4, "sub_venue", "420100", 80_000),
        (5, "sub_venue", "420500", 90_000),
    ];
    assert_eq!(settled["current"].as_array().unwrap().len(), 5);
    for (seat, kind, region, fee) in expected {
        let record = current_of(&settled, seat);
        assert_eq!(record["seat_kind"], kind, "seat {seat}");
        assert_eq!(record["rate_region"], region, "seat {seat}");
        assert_eq!(record["half_days"], 2, "seat {seat}");
        assert_eq!(record["fee_fen"], fee, "seat {seat}");
        assert_eq!(record["total_fen"], fee, "seat {seat}");
        assert_eq!(record["status"], "draft");
        assert_eq!(record["end_reason"], "closed");
        assert_eq!(record["standard_digest"], standard["digest"]);
        assert_eq!(record["payee"].as_str().unwrap().len(), 32);
    }
    assert_eq!(settled["total_fen"], 410_000);
    assert_eq!(settled["approved"], false);
    // Once only.
    assert_problem(
        settle(&committee, &committee.fx.center).await,
        StatusCode::CONFLICT,
    )
    .await;
    // Nothing approved, nothing to pay.
    assert_problem(
        app.get(
            &format!("{}.csv", settlements_path(&committee)),
            Some(&committee.fx.center),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Travel for Expert 5: over a cap is refused naming the field, and writes nothing.
    let fifth = current_of(&settled, 5)["settlement_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (body, field) in [
        (json!({"transport_fen": 100_001}), "transport_fen"),
        (json!({"transport_fen": -1}), "transport_fen"),
        (
            json!({"transport_fen": 0, "nights": 4, "accommodation_fen": 0}),
            "nights",
        ),
        (
            json!({"transport_fen": 0, "nights": 1, "accommodation_fen": 40_001}),
            "accommodation_fen",
        ),
        (json!({"transport_fen": 0, "reason": "短"}), "reason"),
    ] {
        let problem = assert_problem(
            travel(&committee, &fifth, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    assert_problem(
        travel(
            &committee,
            &fifth,
            json!({"transport_fen": 1, "tip_fen": 5}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        travel(&committee, "no-such-record", json!({"transport_fen": 1})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let unchanged = app
        .get_json(&settlements_path(&committee), Some(&committee.fx.center))
        .await;
    assert_eq!(unchanged["superseded"], json!([]));
    assert_eq!(audit_count(&committee, "fees.superseded").await, 0);

    // Within the caps: 350 yuan of transport and one night at 380 yuan.
    let response = travel(
        &committee,
        &fifth,
        json!({"transport_fen": 35_000, "nights": 1, "accommodation_fen": 38_000}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let with_travel: Value = response.json().await.unwrap();
    assert_eq!(with_travel["supersedes"], fifth.as_str());
    assert_eq!(with_travel["fee_fen"], 90_000);
    assert_eq!(with_travel["total_fen"], 163_000);
    assert_eq!(with_travel["reason"], "travel");
    // The record it replaced is kept, superseded, and can no longer be changed.
    assert_problem(
        travel(&committee, &fifth, json!({"transport_fen": 1})).await,
        StatusCode::CONFLICT,
    )
    .await;

    let approved: Value = app
        .post(
            &format!("{}/approve", settlements_path(&committee)),
            Some(&committee.fx.center),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["total_fen"], 483_000);

    // A correction after approval: a reason is required; then a new record, the approved one
    // kept as it was.
    let approved_fifth = with_travel["settlement_id"].as_str().unwrap().to_owned();
    let problem = assert_problem(
        travel(
            &committee,
            &approved_fifth,
            json!({"transport_fen": 30_000, "nights": 1, "accommodation_fen": 38_000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["field"], "reason");
    let reason = "出租车票据金额核对后应为三百元";
    let response = travel(
        &committee,
        &approved_fifth,
        json!({"transport_fen": 30_000, "nights": 1, "accommodation_fen": 38_000, "reason": reason}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let corrected: Value = response.json().await.unwrap();
    assert_eq!(corrected["status"], "draft");
    assert_eq!(corrected["total_fen"], 158_000);
    assert_eq!(corrected["reason"], reason);
    let after = app
        .get_json(&settlements_path(&committee), Some(&committee.fx.center))
        .await;
    assert_eq!(after["approved"], false);
    let kept = after["superseded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["settlement_id"] == approved_fifth.as_str())
        .unwrap();
    assert_eq!(kept["transport_fen"], 35_000);
    assert_eq!(kept["total_fen"], 163_000);
    assert_eq!(kept["status"], "superseded");
    assert!(
        kept["approved_at"].is_string(),
        "its approval stays on record"
    );
    assert_eq!(kept["superseded_by"], corrected["settlement_id"]);
    assert_eq!(after["superseded"].as_array().unwrap().len(), 2);
    let response = app
        .post(
            &format!("{}/approve", settlements_path(&committee)),
            Some(&committee.fx.center),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Nothing left to approve.
    assert_problem(
        app.post(
            &format!("{}/approve", settlements_path(&committee)),
            Some(&committee.fx.center),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // The payment file: the current approved records, payees by pseudonym, no identity.
    let response = app
        .get(
            &format!("{}.csv", settlements_path(&committee)),
            Some(&committee.fx.center),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "settlement_id,session_id,seat,payee,seat_kind,rate_region,started_at,ended_at,\
         half_days,fee_fen,transport_fen,nights,accommodation_fen,total_fen,standard_digest,\
         approved_at,supersedes"
    );
    assert_eq!(lines.len(), 6);
    let fifth_line: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with(corrected["settlement_id"].as_str().unwrap()))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(fifth_line[2], "5");
    assert_eq!(fifth_line[3], corrected["payee"].as_str().unwrap());
    assert_eq!(&fifth_line[4..6], ["sub_venue", "420500"]);
    assert_eq!(
        &fifth_line[8..14],
        ["2", "90000", "30000", "1", "38000", "158000"]
    );
    assert_eq!(fifth_line[16], approved_fifth.as_str());
    let fees: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(13).unwrap())
        .collect();
    assert_eq!(fees.iter().filter(|f| **f == "80000").count(), 4);
    for (expert_id, _) in &committee.logins {
        assert!(
            !csv.contains(expert_id.as_str()),
            "an expert id in the file"
        );
    }
    assert!(!csv.contains("专家"), "a name in the file");

    // Each expert sees their own statements, never another's, and no payee column.
    for (seat, (_, Member { bearer, .. })) in &clients.experts {
        let own = app.get_json("/api/v1/me/fees", Some(bearer)).await;
        let statements = own["statements"].as_array().unwrap();
        assert!(statements.iter().all(|s| s["seat"] == *seat));
        assert!(statements.iter().all(|s| s.get("payee").is_none()));
        let expected = if *seat == 5 { 3 } else { 1 };
        assert_eq!(statements.len(), expected, "seat {seat}: {own}");
        let newest = &statements[0];
        assert_eq!(newest["status"], "approved");
        assert_eq!(newest["session_id"], committee.session_id.as_str());
    }
    assert_problem(
        app.get("/api/v1/me/fees", Some(&committee.fx.center)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    assert_eq!(audit_count(&committee, "fees.settled").await, 1);
    assert_eq!(audit_count(&committee, "fees.superseded").await, 2);
    assert_eq!(audit_count(&committee, "fees.approved").await, 2);
    assert_eq!(audit_count(&committee, "fees.exported").await, 1);
    let settled_entry = &app.audit_entries_of("fees.settled").await[0];
    assert_eq!(settled_entry["data"]["standard"], standard["digest"]);
    assert!(
        !settled_entry
            .to_string()
            .contains(corrected["payee"].as_str().unwrap()),
        "the log does not link a payee to the session"
    );
}

#[tokio::test]
async fn a_distributed_sessions_fees_follow_each_members_real_time_and_the_sessions_region() {
    let committee = Committee::with(Mode::Distributed, 5, 1, fee_standard).await;
    let app = &committee.fx.app;
    let mut clients = committee.everyone().await;
    advance(&mut clients.host, Phase::CheckIn).await;
    clients.check_in_all().await; // T0
    advance(&mut clients.host, Phase::Recusal).await;
    clients.declare_all().await;
    advance(&mut clients.host, Phase::ChairElection).await;
    let chair = *clients.experts.keys().next().unwrap();
    clients.elect(chair).await;
    advance(&mut clients.host, Phase::Evaluation).await;

    // An hour in, the last member leaves; the reserve takes a new seat and checks in ten
    // minutes later.
    app.clock.advance(HOUR);
    let leaving = *clients.experts.keys().last().unwrap();
    let replaced = ok(
        &mut clients.host,
        Request::Replace {
            seat: leaving,
            reason: "withdrew".into(),
        },
    )
    .await;
    let successor_seat = replaced["successor_seat"].as_u64().unwrap() as u32;
    clients.experts.remove(&leaving);
    let (bearer, invitation) = invited(&committee.fx, &committee.logins, "pending")
        .await
        .remove(0);
    let accepted: Value = answer(&committee.fx, &bearer, &invitation, json!({"accept": true}))
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(Duration::from_secs(600));
    let member = Member {
        bearer: bearer.clone(),
        join_code: accepted["session_join_code"].as_str().unwrap().to_owned(),
    };
    let mut successor = committee.connect(&bearer).await;
    ok(
        &mut successor,
        Request::CheckIn {
            join_code: member.join_code.clone().into(),
        },
    )
    .await;
    ok(&mut successor, Request::Declare { conflict: false }).await;
    clients.experts.insert(successor_seat, (successor, member));
    clients.score_all().await;
    advance(&mut clients.host, Phase::Summary).await;
    let signing = advance(&mut clients.host, Phase::Signing).await;
    let draft = signing["report_sha256"].as_str().unwrap().to_owned();
    all_agree(clients.experts.values_mut().map(|(c, _)| c), &draft).await;
    // The session closes nine hours after T0.
    app.clock
        .advance(9 * HOUR - HOUR - Duration::from_secs(600));
    advance(&mut clients.host, Phase::Closed).await;

    let response = settle(&committee, &committee.fx.center).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let settled: Value = response.json().await.unwrap();
    // Worked by hand at the session's region, the host's Wuhan (450 / 800 yuan):
    // members from T0 to the close, 9 h: three half days, a day and a half, 800 + 450;
    // the member who left after 1 h: one half day, 450;
    // the successor from T0 + 1 h 10 min, 7 h 50 min: two half days, a day, 800.
    assert_eq!(settled["current"].as_array().unwrap().len(), 6);
    for record in settled["current"].as_array().unwrap() {
        let seat = record["seat"].as_u64().unwrap() as u32;
        let (half_days, fee, end) = if seat == leaving {
            (1, 45_000, "withdrew")
        } else if seat == successor_seat {
            (2, 80_000, "closed")
        } else {
            (3, 125_000, "closed")
        };
        assert_eq!(record["seat_kind"], "distributed", "seat {seat}");
        assert_eq!(record["rate_region"], "420100", "seat {seat}");
        assert_eq!(record["half_days"], half_days, "seat {seat}");
        assert_eq!(record["fee_fen"], fee, "seat {seat}");
        assert_eq!(record["end_reason"], end, "seat {seat}");
    }
    assert_eq!(settled["total_fen"], 4 * 125_000 + 45_000 + 80_000);
}
