//! The evaluation report of issue 16 §2 on both backends: bids rejected by a majority of the
//! committee on a ground of 实施条例 §51 (and a proposal failing by a minority), the ranking and
//! at most three recommended candidates by the evaluation method, ties, and a report that
//! carries the committee, the rejections with every vote, the clarifications, the extensions
//! and the signatures, one of them deemed agreement.

use std::collections::BTreeMap;
use std::time::Duration;

use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::helpers::{TestOptions, suite};
use crate::sessions::{Clients, Committee, Mode, advance, audit_entries, ok, refused, sheet};

const WAIT: Duration = Duration::from_secs(20);

fn five_bidders() -> Value {
    json!({
        "bidders": ["Bidder A", "Bidder B", "Bidder C", "Bidder D", "Bidder E"],
        "criteria": [{"name": "technical", "max_points": 60}, {"name": "price", "max_points": 40}],
    })
}

fn propose(bidder: &str, ground: &str, reasons: &str) -> Request {
    Request::ProposeRejection {
        bidder: bidder.into(),
        ground: ground.into(),
        reasons: reasons.into(),
    }
}

fn vote(proposal: u32, reject: bool) -> Request {
    Request::VoteRejection { proposal, reject }
}

fn expert(clients: &mut Clients, seat: u32) -> &mut SessionClient {
    &mut clients.experts.get_mut(&seat).unwrap().0
}

fn priced(bidder: &str, technical: &str, price: &str, evaluated_price: &str) -> Request {
    let Request::SubmitSheet {
        bidder,
        scores,
        comment,
        ..
    } = sheet(bidder, technical, price)
    else {
        unreachable!()
    };
    Request::SubmitSheet {
        bidder,
        scores,
        comment,
        evaluated_price: Some(evaluated_price.parse().unwrap()),
    }
}

#[tokio::test]
async fn a_committee_rejects_a_bid_by_majority_ranks_the_rest_and_names_three_candidates() {
    let committee = Committee::with_subject(
        Mode::Distributed,
        5,
        1,
        TestOptions {
            customise: Box::new(|settings| {
                settings.auth.address_attempts_per_minute = 10_000;
                settings.session.signing_minutes = 1;
            }),
            ..TestOptions::default()
        },
        five_bidders(),
    )
    .await;
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();
    let [s1, s2, s3, s4, s5] = seats[..] else {
        panic!("five seats: {seats:?}")
    };

    // Refusals: the host cannot propose, a ground must be one of §51's, reasons are written.
    let host = refused(
        &mut clients.host,
        propose(
            "Bidder C",
            "price_out_of_bounds",
            "报价明显低于成本价且无法说明",
        ),
    )
    .await;
    assert_eq!(host.code, "forbidden", "{host:?}");
    let ground = refused(
        expert(&mut clients, s1),
        propose("Bidder C", "too_expensive", "报价明显低于成本价且无法说明"),
    )
    .await;
    assert_eq!(
        (ground.code.as_str(), ground.field.as_deref()),
        ("invalid-request", Some("ground"))
    );
    assert!(ground.detail.contains("price_out_of_bounds"), "{ground:?}");
    let short = refused(
        expert(&mut clients, s1),
        propose("Bidder C", "price_out_of_bounds", "太低"),
    )
    .await;
    assert_eq!(short.field.as_deref(), Some("reasons"), "{short:?}");
    let stranger = refused(
        expert(&mut clients, s1),
        propose("Bidder Z", "not_qualified", "资格证书已过有效期限"),
    )
    .await;
    assert_eq!(stranger.field.as_deref(), Some("bidder"), "{stranger:?}");

    // Proposal 1: Bidder C, rejected by 3 of 5 (the proposer's vote counts).
    let reasons = "投标报价低于成本，澄清后仍不能合理说明";
    let proposed = ok(
        expert(&mut clients, s1),
        propose("Bidder C", "price_out_of_bounds", reasons),
    )
    .await;
    assert_eq!(
        proposed,
        json!({"bidder": "Bidder C", "members": 5, "proposal": 1, "state": "open", "votes_against": 0, "votes_for": 1})
    );
    let again = refused(expert(&mut clients, s1), vote(1, true)).await;
    assert_eq!(again.code, "conflict", "{again:?}");
    let twice = refused(
        expert(&mut clients, s2),
        propose("Bidder C", "not_responsive", "未响应招标文件的工期要求"),
    )
    .await;
    assert_eq!(
        twice.code, "conflict",
        "an open proposal is voted on: {twice:?}"
    );
    ok(expert(&mut clients, s2), vote(1, true)).await;
    ok(expert(&mut clients, s4), vote(1, false)).await;
    let decided = ok(expert(&mut clients, s3), vote(1, true)).await;
    assert_eq!(decided["state"], "rejected", "{decided}");
    assert_eq!(decided["votes_for"], 3);
    let late = refused(expert(&mut clients, s5), vote(1, false)).await;
    assert_eq!(late.code, "conflict", "{late:?}");
    let event = clients
        .host
        .wait_for("rejection_decided", |d| d["proposal"] == 1, WAIT)
        .await
        .unwrap();
    assert_eq!(
        event.data,
        json!({"bidder": "Bidder C", "ground": "price_out_of_bounds", "members": 5, "proposal": 1,
               "state": "rejected", "votes_against": 1, "votes_for": 3})
    );
    let proposal_seen = expert(&mut clients, s5)
        .wait_for("rejection_proposed", |d| d["proposal"] == 1, WAIT)
        .await
        .unwrap();
    assert_eq!(proposal_seen.data["reasons"], reasons);
    assert_eq!(proposal_seen.data["seat"], s1);
    let rejected_again = refused(
        expert(&mut clients, s2),
        propose("Bidder C", "not_qualified", "资格证书已过有效期限"),
    )
    .await;
    assert_eq!(rejected_again.code, "conflict", "{rejected_again:?}");

    // Proposal 2: Bidder E, which a minority cannot reject (1 for, 3 against decides it).
    ok(
        expert(&mut clients, s2),
        propose(
            "Bidder E",
            "not_responsive",
            "技术方案未响应招标文件第 4.2 条",
        ),
    )
    .await;
    ok(expert(&mut clients, s3), vote(2, false)).await;
    ok(expert(&mut clients, s4), vote(2, false)).await;
    let failed = ok(expert(&mut clients, s5), vote(2, false)).await;
    assert_eq!(failed["state"], "not_rejected", "{failed}");
    assert_eq!(
        (
            failed["votes_for"].as_u64(),
            failed["votes_against"].as_u64()
        ),
        (Some(1), Some(3))
    );

    // The rejected bid is out of the scoring: its sheet is refused and nobody owes one.
    let out = refused(expert(&mut clients, s1), sheet("Bidder C", "50", "30")).await;
    assert_eq!(out.code, "conflict", "{out:?}");
    // Totals: B 95, D 90, A 85 + seat/100, E 60.
    for (seat, (client, _)) in clients.experts.iter_mut() {
        ok(client, sheet("Bidder A", &format!("55.{seat:02}"), "30")).await;
        ok(client, sheet("Bidder B", "60", "35")).await;
        ok(client, sheet("Bidder D", "55", "35")).await;
        ok(client, sheet("Bidder E", "40", "20")).await;
    }
    // A clarification and an extension, for the report.
    let number = ok(
        expert(&mut clients, s4),
        Request::RequestClarification {
            bidder: "Bidder D".into(),
            question: "请澄清项目经理的在岗安排".into(),
        },
    )
    .await["number"]
        .as_u64()
        .unwrap() as u32;
    ok(
        &mut clients.supervisor,
        Request::DecideClarification {
            number,
            approve: true,
        },
    )
    .await;
    ok(
        expert(&mut clients, s1),
        Request::DeclareTimeInsufficient {},
    )
    .await;
    let extended = ok(
        expert(&mut clients, s2),
        Request::DeclareTimeInsufficient {},
    )
    .await;
    assert_eq!(extended["extended"], 1);

    // An open proposal holds the summary back, naming who has not voted.
    ok(
        expert(&mut clients, s5),
        propose("Bidder A", "not_qualified", "项目经理资格证书已过有效期限"),
    )
    .await;
    let held = refused(&mut clients.host, Request::Advance { to: Phase::Summary }).await;
    let missing = serde_json::to_value(&held.missing).unwrap();
    assert_eq!(missing[0]["code"], "rejection-undecided", "{missing}");
    assert_eq!(missing[0]["seats"], json!([s1, s2, s3, s4]), "{missing}");
    for seat in [s1, s2, s3] {
        ok(expert(&mut clients, seat), vote(3, false)).await;
    }

    advance(&mut clients.host, Phase::Summary).await;
    let late_proposal = refused(
        expert(&mut clients, s1),
        propose("Bidder E", "unlawful_conduct", "与其他投标人串通投标的证据"),
    )
    .await;
    assert_eq!(late_proposal.code, "wrong-phase", "{late_proposal:?}");
    let revealed = expert(&mut clients, s2)
        .wait_for("sheets_revealed", |_| true, WAIT)
        .await
        .unwrap();
    let summarised: Vec<&str> = revealed.data["bidders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["bidder"].as_str().unwrap())
        .collect();
    assert_eq!(summarised, ["Bidder A", "Bidder B", "Bidder D", "Bidder E"]);

    advance(&mut clients.host, Phase::Signing).await;
    let ready = expert(&mut clients, s3)
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let draft_sha = ready.data["report_sha256"].as_str().unwrap().to_owned();
    let draft = &ready.data["report"];
    assert_eq!(draft["format"], "sealdraw-session-report-v2");
    assert_eq!(draft["method"], "comprehensive");
    let committee_list = draft["committee"].as_array().unwrap();
    assert_eq!(committee_list.len(), 5);
    assert_eq!(committee_list[0]["label"], format!("Expert {s1}"));
    assert_eq!(committee_list[0]["chair"], true);
    assert!(
        !draft.to_string().contains("专家"),
        "the report names no expert"
    );
    let rejections = draft["rejections"].as_array().unwrap();
    assert_eq!(rejections.len(), 3);
    assert_eq!(rejections[0]["state"], "rejected");
    assert_eq!(rejections[0]["ground"], "price_out_of_bounds");
    assert_eq!(rejections[0]["ground_item"], 5);
    assert_eq!(
        rejections[0]["ground_text"],
        "投标报价低于成本或者高于招标文件设定的最高投标限价"
    );
    assert_eq!(rejections[0]["reasons"], reasons);
    assert_eq!(rejections[0]["proposed_by"], s1);
    assert_eq!(
        rejections[0]["votes"],
        json!([{"seat": s1, "reject": true}, {"seat": s2, "reject": true},
               {"seat": s3, "reject": true}, {"seat": s4, "reject": false}])
    );
    assert_eq!(rejections[1]["state"], "not_rejected");
    assert_eq!(rejections[1]["votes_for"], 1);
    assert_eq!(rejections[1]["votes_against"], 3);
    assert_eq!(rejections[2]["state"], "not_rejected");
    let ranking: Vec<(&str, u64)> = draft["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["bidder"].as_str().unwrap(),
                r["position"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranking,
        [
            ("Bidder B", 1),
            ("Bidder D", 2),
            ("Bidder A", 3),
            ("Bidder E", 4)
        ]
    );
    assert_eq!(
        draft["candidates"],
        json!([{"position": 1, "bidder": "Bidder B"}, {"position": 2, "bidder": "Bidder D"},
               {"position": 3, "bidder": "Bidder A"}])
    );
    assert_eq!(draft["ranking"][0]["median_total_centi"], 9500);
    assert_eq!(draft["clarifications"][0]["state"], "approved");
    assert_eq!(draft["clarifications"][0]["bidder"], "Bidder D");
    assert_eq!(draft["extensions"][0]["number"], 1);
    assert_eq!(draft["extensions"][0]["declared"], 2);
    let canonical = sealdraw::audit::entry::canonical_json(draft).unwrap();
    assert_eq!(suite().hex_hash(&canonical), draft_sha);

    // Three agree, one dissents, one stays silent past the deadline: deemed to agree.
    for seat in [s1, s2, s3] {
        ok(
            expert(&mut clients, seat),
            Request::Sign {
                report_sha256: draft_sha.clone(),
                agree: true,
                reasons: None,
                signature: None,
            },
        )
        .await;
    }
    ok(
        expert(&mut clients, s4),
        Request::Sign {
            report_sha256: draft_sha.clone(),
            agree: false,
            reasons: Some("Bidder C 的报价经澄清已说明成本构成，不应否决".into()),
            signature: None,
        },
    )
    .await;
    committee.fx.app.clock.advance(Duration::from_secs(61));
    let closed = advance(&mut clients.host, Phase::Closed).await;
    let report = committee
        .fx
        .app
        .get_json(
            &format!("/api/v1/sessions/{}/report", committee.session_id),
            Some(&committee.fx.center),
        )
        .await;
    assert_eq!(report["report_sha256"], closed["report_sha256"]);
    let signed = &report["report"];
    assert_eq!(signed["draft_sha256"], draft_sha.as_str());
    let signatures: BTreeMap<u64, &str> = signed["seats"]
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
    assert_eq!(signatures[&u64::from(s5)], "deemed_agree");
    assert_eq!(signatures[&u64::from(s4)], "dissent");
    assert_eq!(signed["candidates"], draft["candidates"]);

    // The log holds every proposal, every vote and both decisions.
    let entries = audit_entries(&committee.fx).await;
    let of = |kind: &str| -> Vec<&Value> { entries.iter().filter(|e| e["type"] == kind).collect() };
    let proposals = of("session.rejection_proposed");
    assert_eq!(proposals.len(), 3);
    assert_eq!(proposals[0]["data"]["ground"], "price_out_of_bounds");
    assert_eq!(
        proposals[0]["data"][suite().digest_field("reasons")],
        suite().hex_hash(reasons.as_bytes())
    );
    let votes = of("session.rejection_vote");
    assert_eq!(votes.len(), 4 + 4 + 4);
    assert!(votes.iter().any(|v| v["data"]["proposal"] == 1
        && v["data"]["seat"] == s4
        && v["data"]["reject"] == false));
    let decisions = of("session.rejection_decided");
    assert_eq!(decisions.len(), 3);
    assert_eq!(decisions[0]["data"]["state"], "rejected");
    assert_eq!(decisions[0]["data"]["for"], 3);
    assert_eq!(
        decisions[0]["actor"]["system"], "server",
        "{}",
        decisions[0]
    );
    assert_eq!(decisions[1]["data"]["state"], "not_rejected");
    assert_eq!(of("session.deemed_agreement").len(), 1);
    assert!(
        of("session.created")[0]["data"]["method"] == "comprehensive",
        "the method is on record"
    );
}

#[tokio::test]
async fn lowest_evaluated_price_ranks_compliant_bids_by_price_and_marks_ties() {
    let subject = json!({
        "bidders": ["Bidder A", "Bidder B", "Bidder C", "Bidder D"],
        "criteria": [{"name": "technical", "max_points": 60}, {"name": "price", "max_points": 40}],
        "method": "lowest_price",
    });
    let committee =
        Committee::with_subject(Mode::Distributed, 5, 1, TestOptions::default(), subject).await;
    assert_eq!(
        committee.view(&committee.fx.center).await["method"],
        "lowest_price"
    );
    let mut clients = committee.everyone().await;
    clients.open_evaluation().await;
    let seats: Vec<u32> = clients.experts.keys().copied().collect();

    // A sheet without its evaluated price is refused, naming the field.
    let unpriced = refused(
        expert(&mut clients, seats[0]),
        sheet("Bidder A", "50", "30"),
    )
    .await;
    assert_eq!(
        unpriced.field.as_deref(),
        Some("evaluated_price"),
        "{unpriced:?}"
    );

    // Bidder A is rejected (not responsive) although it is cheapest.
    ok(
        expert(&mut clients, seats[0]),
        propose(
            "Bidder A",
            "not_responsive",
            "未响应招标文件的实质性工期要求",
        ),
    )
    .await;
    for seat in &seats[1..3] {
        ok(expert(&mut clients, *seat), vote(1, true)).await;
    }
    // B and C: the same median price and the same totals, a tie kept in the listed order;
    // D: the same price with a lower total, so after them.
    for (client, _) in clients.experts.values_mut() {
        ok(client, priced("Bidder B", "50", "30", "1000000")).await;
        ok(client, priced("Bidder C", "50", "30", "1000000.00")).await;
        ok(client, priced("Bidder D", "40", "30", "1000000")).await;
    }
    advance(&mut clients.host, Phase::Summary).await;
    advance(&mut clients.host, Phase::Signing).await;
    let ready = clients
        .host
        .wait_for("report_ready", |_| true, WAIT)
        .await
        .unwrap();
    let report = &ready.data["report"];
    assert_eq!(report["method"], "lowest_price");
    assert_eq!(
        report["ranking"],
        json!([
            {"position": 1, "bidder": "Bidder B", "median_total_centi": 8000, "sum_total_centi": 40000,
             "evaluated_price_centi": 100000000, "tied_with_previous": false},
            {"position": 2, "bidder": "Bidder C", "median_total_centi": 8000, "sum_total_centi": 40000,
             "evaluated_price_centi": 100000000, "tied_with_previous": true},
            {"position": 3, "bidder": "Bidder D", "median_total_centi": 7000, "sum_total_centi": 35000,
             "evaluated_price_centi": 100000000, "tied_with_previous": false},
        ])
    );
    assert_eq!(report["candidates"].as_array().unwrap().len(), 3);
    assert_eq!(report["rejections"][0]["bidder"], "Bidder A");
    assert_eq!(
        report["summary"][0]["median_evaluated_price_centi"],
        100000000
    );
}
