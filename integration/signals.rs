//! Supervision's signals, alerts and cases (issue 21 §3): on a synthetic history with planted
//! patterns each signal's alert reaches the supervisors in scope and only them; a clean history
//! raises none; a case is opened, noted, files the dual-controlled unseal request and is
//! closed, each step in the log.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use sealdraw::store::Store;

use crate::helpers::{assert_problem, run_cli, stdout_of};

const SIGNALS: [&str; 9] = [
    "co_sitting",
    "bidder_favour",
    "wins_with",
    "identical_sheets",
    "score_outliers",
    "narrow_filters",
    "committee_departures",
    "declines",
    "no_shows",
];

/// A rule per signal at q ≤ 0.01, province-wide.
async fn rules_for_every_signal(fx: &DrawFixture) {
    for signal in SIGNALS {
        let response = fx
            .app
            .post(
                "/api/v1/alert-rules",
                Some(&fx.admin),
                &json!({"signal": signal, "max_q": 0.01}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{signal}");
    }
}

async fn run(fx: &DrawFixture) -> Value {
    let response = fx
        .app
        .post("/api/v1/signal-runs", Some(&fx.admin), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn of_signal<'a>(alerts: &'a [Value], signal: &str) -> Vec<&'a Value> {
    alerts.iter().filter(|a| a["signal"] == signal).collect()
}

#[tokio::test]
async fn planted_patterns_raise_alerts_for_the_supervisors_in_scope_and_only_once() {
    // 60 experts of one specialty; two years of 400 draws with the planted patterns (one year
    // leaves the colluding pair, arranged onto one committee in eight, at the edge of
    // significance once the test conditions on their own inflated seat counts).
    let fx = DrawFixture::new(&experts(60, "A0301")).await;
    let summary = fx
        .app
        .state
        .write_synthetic_history(2, 400, true)
        .await
        .unwrap();
    assert_eq!(summary["draws"], 800);
    let planted = &summary["planted"];
    rules_for_every_signal(&fx).await;
    let yichang = fx
        .scoped_supervisor("yichang-supervisor", json!({"regions": ["4205"]}))
        .await;
    // The province-wide supervisor has a mobile number on record; Yichang's has none.
    let set = fx
        .app
        .request(
            Method::PUT,
            "/api/v1/accounts/supervisor/contact",
            Some(&fx.admin),
        )
        .json(&json!({"phone": "139 0000 4321"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::NO_CONTENT);

    let first = run(&fx).await;
    assert_eq!(first["committees"], 800);
    assert!(
        first["alerts_raised"].as_u64().unwrap() >= 5,
        "{first} {summary}"
    );
    let alerts: Vec<Value> = fx
        .app
        .get_json("/api/v1/alerts", Some(&fx.supervisor))
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        alerts.len() as u64,
        first["alerts_raised"].as_u64().unwrap()
    );

    // Each planted pattern, by what the alert shows (labels, a center, a credit code).
    let pair = of_signal(&alerts, "co_sitting");
    assert!(
        !pair.is_empty(),
        "the colluding pair raised nothing: {first} {summary}"
    );
    let top = pair
        .iter()
        .max_by_key(|a| a["evidence"]["observed"].as_u64().unwrap())
        .unwrap();
    assert_eq!(top["subject"]["experts"].as_array().unwrap().len(), 2);
    // Arranged onto a committee in one draw of eight of their specialty; some of those
    // invitations were declined, so fewer sittings than arrangements, but far above chance.
    let observed = top["evidence"]["observed"].as_u64().unwrap();
    let expected: f64 = top["evidence"]["expected"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(observed as f64 > 2.0 * expected, "{top}");
    assert!(observed <= planted["colluding_together"].as_u64().unwrap() + expected as u64 * 2);
    let favour = of_signal(&alerts, "bidder_favour");
    assert!(
        favour
            .iter()
            .any(|a| a["subject"]["bidder_credit_code"] == planted["favoured_bidder"]),
        "{favour:?}"
    );
    let narrow = of_signal(&alerts, "narrow_filters");
    assert_eq!(narrow.len(), 1, "{narrow:?}");
    assert_eq!(narrow[0]["subject"]["center"], planted["narrowing_center"]);
    assert!(!of_signal(&alerts, "declines").is_empty());
    let copied = of_signal(&alerts, "identical_sheets");
    assert!(
        copied
            .iter()
            .any(|a| a["subject"]["committee"] == planted["copying_committee"]),
        "{copied:?}"
    );
    // Evidence is explainable: counts against chance, a q-value within the rule, committees.
    for alert in &alerts {
        let q: f64 = alert["evidence"]["q"].as_str().unwrap().parse().unwrap();
        assert!(q <= 0.01, "{alert}");
        let expected: f64 = alert["evidence"]["expected"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (alert["evidence"]["observed"].as_u64().unwrap() as f64) > expected,
            "{alert}"
        );
        assert!(
            !alert["evidence"]["committees"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    // No pool id or report pseudonym in what supervisors read.
    let body = serde_json::to_string(&alerts).unwrap();
    for id in [
        &planted["colluding_pair"][0],
        &planted["colluding_pair"][1],
        &planted["favouring_expert"],
        &planted["decliner"],
    ] {
        assert!(!body.contains(id.as_str().unwrap()));
    }

    // Yichang's supervisor sees the alerts with a committee in 4205, and only those committees.
    let scoped = fx.app.get_json("/api/v1/alerts", Some(&yichang)).await;
    let scoped = scoped.as_array().unwrap();
    assert!(!scoped.is_empty() && scoped.len() < alerts.len());
    for alert in scoped {
        for committee in alert["evidence"]["committees"].as_array().unwrap() {
            assert!(committee["region"].as_str().unwrap().starts_with("4205"));
        }
    }
    assert!(of_signal(scoped, "narrow_filters").is_empty());
    assert_problem(
        fx.app
            .get(
                &format!("/api/v1/alerts/{}", narrow[0]["id"].as_str().unwrap()),
                Some(&yichang),
            )
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The log holds the run and each alert.
    assert_eq!(fx.app.audit_entries_of("signals.run").await.len(), 1);
    let raised = fx.app.audit_entries_of("alert.raised").await;
    assert_eq!(raised.len(), alerts.len());
    assert!(
        raised
            .iter()
            .all(|entry| entry["data"]["supervisors_in_scope"].as_u64().unwrap() >= 1)
    );

    // Each alert also went to the supervisor with a number, through the outbox: the message
    // names the signal, never an expert, and the number is masked in the log gateway's file.
    let queued: Vec<Value> = fx
        .app
        .audit_entries_of("notify.queued")
        .await
        .into_iter()
        .filter(|e| e["data"]["template"] == "supervision-alert")
        .collect();
    assert_eq!(queued.len(), alerts.len());
    assert!(
        raised
            .iter()
            .all(|e| e["data"]["supervisors_messaged"] == 1)
    );
    let file = fx.app.dir.path().join("notifications.jsonl");
    let mut lines = Vec::new();
    for _ in 0..200 {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        lines = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|l| l["template"] == "supervision-alert")
            .collect();
        if lines.len() == alerts.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(lines.len(), alerts.len(), "{lines:?}");
    assert!(lines.iter().all(|l| l["phone"] == "*******4321"));
    assert!(
        lines
            .iter()
            .all(|l| SIGNALS.contains(&l["params"]["signal"].as_str().unwrap()))
    );
    // A malformed number is named, as the accounts API names its fields (400).
    let bad = fx
        .app
        .request(
            Method::PUT,
            "/api/v1/accounts/supervisor/contact",
            Some(&fx.admin),
        )
        .json(&json!({"phone": "12345"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"].as_str().unwrap().starts_with("phone"),
        "{problem}"
    );

    // The same findings again raise nothing new.
    let second = run(&fx).await;
    assert_eq!(second["alerts_raised"], 0);
    assert_eq!(
        fx.app
            .get_json("/api/v1/alerts", Some(&fx.supervisor))
            .await
            .as_array()
            .unwrap()
            .len(),
        alerts.len()
    );
}

#[tokio::test]
async fn a_clean_history_raises_no_alert() {
    let fx = DrawFixture::new(&experts(60, "A0301")).await;
    fx.app
        .state
        .write_synthetic_history(1, 400, false)
        .await
        .unwrap();
    rules_for_every_signal(&fx).await;
    let run = run(&fx).await;
    assert_eq!(run["committees"], 400);
    assert_eq!(run["alerts_raised"], 0, "{run}");
    assert_eq!(
        fx.app
            .get_json("/api/v1/alerts", Some(&fx.supervisor))
            .await,
        json!([])
    );
}

#[tokio::test]
async fn a_case_is_opened_noted_unsealed_under_dual_control_and_closed_in_the_log() {
    let fx = DrawFixture::new(&experts(60, "A0301")).await;
    let summary = fx
        .app
        .state
        .write_synthetic_history(1, 400, true)
        .await
        .unwrap();
    fx.app
        .post(
            "/api/v1/alert-rules",
            Some(&fx.admin),
            &json!({"signal": "declines", "max_q": 0.001}),
        )
        .await;
    run(&fx).await;
    let alerts = fx
        .app
        .get_json("/api/v1/alerts", Some(&fx.supervisor))
        .await;
    let alert = &alerts[0];
    assert_eq!(alert["signal"], "declines");
    // A master-key rotation re-seals the ids behind the alert's labels; the case below still
    // opens them.
    let sealed_key = |blob: &[u8]| {
        sealdraw::crypto::seal::SealedParts::parse(blob)
            .unwrap()
            .key_id
            .to_owned()
    };
    let sql = "SELECT sealed_experts FROM alerts";
    let sealed = || async {
        let blobs: Vec<Vec<u8>> = match &fx.app.state.store {
            Store::Sqlite(pool, ..) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
            Store::Postgres(pool, ..) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        };
        blobs
    };
    let before = sealed().await;
    let output = run_cli(&fx.app, &["keys", "rotate"], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    let after = sealed().await;
    assert_ne!(sealed_key(&before[0]), sealed_key(&after[0]));
    let alert_id = alert["id"].as_str().unwrap();

    // Only supervisors work alerts.
    for bearer in [&fx.center, &fx.admin] {
        assert_problem(
            fx.app.get("/api/v1/alerts", Some(bearer)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    let opened = fx
        .app
        .post(
            &format!("/api/v1/alerts/{alert_id}/case"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["case"]["state"], "open");
    let case_id = opened["case"]["id"].as_str().unwrap().to_owned();
    assert_problem(
        fx.app
            .post(
                &format!("/api/v1/alerts/{alert_id}/case"),
                Some(&fx.supervisor),
                &json!({}),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    let noted: Value = fx
        .app
        .post(
            &format!("/api/v1/cases/{case_id}/notes"),
            Some(&fx.supervisor),
            &json!({"text": "拒绝率显著高于全省水平，调取近一年邀请记录核查。"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(noted["case"]["notes"][0]["number"], 1);
    assert_eq!(noted["case"]["notes"][0]["author"], "supervisor");
    // An empty note is refused and writes nothing.
    let before = fx.app.entries_written_by_requests().await;
    let problem = assert_problem(
        fx.app
            .post(
                &format!("/api/v1/cases/{case_id}/notes"),
                Some(&fx.supervisor),
                &json!({"text": ""}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.starts_with("text"), "{detail}");
    assert_eq!(fx.app.entries_written_by_requests().await, before);

    // The case files the ordinary unseal request for the alert's expert; a second supervisor
    // approves it, and the request names the planted decliner.
    let filed: Value = fx
        .app
        .post(
            &format!("/api/v1/cases/{case_id}/unseal-request"),
            Some(&fx.supervisor),
            &json!({"fields": ["name"], "reason": "核查异常拒绝邀请的专家身份", "valid_minutes": 30}),
        )
        .await
        .json()
        .await
        .unwrap();
    let request_id = filed["case"]["unseal_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, second) = fx
        .app
        .account_with_token("second-supervisor", sealdraw::auth::Role::Supervisor)
        .await;
    let approved = fx
        .app
        .post(
            &format!("/api/v1/unseal-requests/{request_id}/approve"),
            Some(&second),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let read = fx
        .app
        .get_json(
            &format!("/api/v1/unseal-requests/{request_id}/fields"),
            Some(&fx.supervisor),
        )
        .await;
    assert_eq!(
        read[0]["expert_id"], summary["planted"]["decliner"],
        "{read}"
    );
    assert_problem(
        fx.app
            .post(
                &format!("/api/v1/cases/{case_id}/unseal-request"),
                Some(&fx.supervisor),
                &json!({"fields": ["name"], "reason": "再次核查异常拒绝的专家", "valid_minutes": 30}),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    let closed: Value = fx
        .app
        .post(
            &format!("/api/v1/cases/{case_id}/close"),
            Some(&fx.supervisor),
            &json!({"text": "经核查，该专家长期外派，已建议暂停其入库资格。"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["case"]["state"], "closed");
    assert!(
        closed["case"]["conclusion"]
            .as_str()
            .unwrap()
            .contains("外派")
    );
    assert_problem(
        fx.app
            .post(
                &format!("/api/v1/cases/{case_id}/notes"),
                Some(&fx.supervisor),
                &json!({"text": "补充说明"}),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    for kind in [
        "case.opened",
        "case.note_added",
        "case.unseal_requested",
        "unseal.requested",
        "case.closed",
    ] {
        let entries = fx.app.audit_entries_of(kind).await;
        assert_eq!(entries.len(), 1, "{kind}");
        // Notes and conclusions are kept by hash only in the log.
        let text = entries[0].to_string();
        assert!(
            !text.contains("外派") && !text.contains("核查异常"),
            "{kind}: {text}"
        );
    }
}

#[tokio::test]
async fn alert_rules_are_admins_and_bad_ones_are_named_and_write_nothing() {
    let fx = DrawFixture::new(&experts(30, "A0301")).await;
    let before = fx.app.entries_written_by_requests().await;
    for (body, field) in [
        (json!({"signal": "gossip", "max_q": 0.01}), "signal"),
        (json!({"signal": "declines", "max_q": 0.5}), "max_q"),
        (json!({"signal": "declines", "max_q": 0}), "max_q"),
        (
            json!({"signal": "declines", "max_q": 0.01, "regions": ["9999"]}),
            "regions[0]",
        ),
    ] {
        let problem = assert_problem(
            fx.app
                .post("/api/v1/alert-rules", Some(&fx.admin), &body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.starts_with(field), "{detail}");
    }
    assert_problem(
        fx.app
            .post(
                "/api/v1/alert-rules",
                Some(&fx.admin),
                &json!({"signal": "declines", "max_q": "low"}),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    for bearer in [&fx.center, &fx.supervisor] {
        assert_problem(
            fx.app
                .post(
                    "/api/v1/alert-rules",
                    Some(bearer),
                    &json!({"signal": "declines", "max_q": 0.01}),
                )
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_eq!(fx.app.entries_written_by_requests().await, before);

    let rule: Value = fx
        .app
        .post(
            "/api/v1/alert-rules",
            Some(&fx.admin),
            &json!({"signal": "co_sitting", "max_q": 0.005, "regions": ["4205"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rule["max_q"], "0.005");
    assert_eq!(rule["regions"], json!(["4205"]));
    // Supervisors read the rules; the admin retires one; retiring again finds nothing.
    let listed = fx
        .app
        .get_json("/api/v1/alert-rules", Some(&fx.supervisor))
        .await;
    assert_eq!(listed[0]["active"], true);
    let id = rule["id"].as_str().unwrap();
    let retired = fx
        .app
        .request(
            Method::DELETE,
            &format!("/api/v1/alert-rules/{id}"),
            Some(&fx.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(retired.status(), StatusCode::NO_CONTENT);
    assert_problem(
        fx.app
            .request(
                Method::DELETE,
                &format!("/api/v1/alert-rules/{id}"),
                Some(&fx.admin),
            )
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed = fx
        .app
        .get_json("/api/v1/alert-rules", Some(&fx.admin))
        .await;
    assert_eq!(listed[0]["active"], false);
    assert_eq!(fx.app.audit_entries_of("alert_rule.created").await.len(), 1);
    assert_eq!(fx.app.audit_entries_of("alert_rule.retired").await.len(), 1);
}
