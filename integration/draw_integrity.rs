//! The draw's promises against a party that would like another committee (issue 17): a tender
//! is drawn once (no re-roll), replacements fired at once never seat one expert twice in a
//! family, and the published family record proves its whole history — a record with an entry
//! dropped, added or moved does not verify, with either verifier.

use reqwest::StatusCode;
use sealdraw::audit::{Actor, AuditEntry};
use sealdraw::auth::Role;
use serde_json::{Value, json};

use crate::draw_record::{python, sealdraw, text};
use crate::draws::{DrawFixture, experts};
use crate::helpers::{assert_problem, run_cli, stdout_of, suite};

fn intents_for(entries: &[Value], reference: &str) -> usize {
    entries
        .iter()
        .filter(|e| e["type"] == "draw.intent" && e["data"]["tender_reference"] == reference)
        .count()
}

#[tokio::test]
async fn a_tender_is_drawn_once_whoever_asks_and_however_its_reference_is_spelled() {
    let fx = DrawFixture::new(&experts(30, "A0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 1 }]));
    let reference = body["tender_reference"].as_str().unwrap().to_owned();
    let first = fx.create_ok(&body).await;
    let id = first["draw_id"].as_str().unwrap();
    let sha = first["intent"]["tender_sha256"].as_str().unwrap();
    // The intent commits to the tender (spec §5), computed here from the spec's definition.
    let lp = |bytes: &[u8]| [(bytes.len() as u64).to_be_bytes().as_slice(), bytes].concat();
    let expected = suite().hash(
        &[
            lp(b"sealdraw-draw-v2/tender"),
            lp(reference.to_uppercase().as_bytes()),
            lp(b""),
        ]
        .concat(),
    );
    assert_eq!(sha, hex::encode(expected));
    assert_eq!(first["intent"]["algorithm"], "sealdraw-draw-v3");

    // The same center again: refused, naming its own draw, and nothing is written.
    let (_, other) = fx.app.account_with_token("center.two", Role::Center).await;
    let before = fx.app.entries_written_by_requests().await;
    let again = assert_problem(fx.create(&body).await, StatusCode::CONFLICT).await;
    assert_eq!(again["field"], "tender_reference");
    assert!(again["detail"].as_str().unwrap().contains(id), "{again}");
    // Another center, the reference in lower case, with spaces, in full-width forms.
    let fullwidth: String = reference
        .chars()
        .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
        .collect();
    for spelling in [
        reference.to_lowercase(),
        format!("  {} ", reference.replace('-', " - ")),
        fullwidth,
    ] {
        let mut request = body.clone();
        request["tender_reference"] = json!(spelling);
        let refused = assert_problem(
            fx.app.post("/api/v1/draws", Some(&other), &request).await,
            StatusCode::CONFLICT,
        )
        .await;
        // Another center learns that the tender is drawn, not which draw it is.
        assert!(!refused["detail"].as_str().unwrap().contains(id));
    }
    assert_eq!(fx.app.entries_written_by_requests().await, before);

    // Another lot of the same tender is another committee.
    let mut lot = body.clone();
    lot["lot"] = json!("第2标段");
    let second = fx.create_ok(&lot).await;
    assert_ne!(
        second["intent"]["tender_sha256"],
        first["intent"]["tender_sha256"]
    );
    let entries = fx.app.audit_entries().await;
    assert_eq!(intents_for(&entries, &reference), 2);
}

#[tokio::test]
async fn requests_for_one_tender_racing_on_two_instances_make_exactly_one_draw() {
    let fx = DrawFixture::new(&experts(30, "A0101")).await;
    let second = fx.app.another_instance().await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 1 }]));
    let reference = body["tender_reference"].as_str().unwrap().to_owned();
    let urls = [
        fx.app.url("/api/v1/draws"),
        format!("https://localhost:{}/api/v1/draws", second.port),
    ];
    let requests = (0..8).map(|i| {
        let request = fx
            .app
            .client
            .post(&urls[i % 2])
            .bearer_auth(&fx.center)
            .json(&body);
        async move { request.send().await.unwrap() }
    });
    let responses = futures_util::future::join_all(requests).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    for response in responses {
        if response.status() == StatusCode::CONFLICT {
            assert_problem(response, StatusCode::CONFLICT).await;
        }
    }
    assert_eq!(intents_for(&fx.app.audit_entries().await, &reference), 1);
    second.kill().await;
}

/// Appends an entry as a server with a defect (or one from before issue 17) would have: the log
/// itself stays valid, which is why only a review of the whole log can find a re-roll there.
async fn append_raw(fx: &DrawFixture, entry: AuditEntry) {
    let mut tx = fx.app.state.store.write().await.unwrap();
    sealdraw::audit::append(&mut tx, &entry).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn audit_draws_lists_from_an_export_every_redrawn_tender_and_every_draw_without_result() {
    let fx = DrawFixture::new(&experts(30, "A0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 1 }]));
    let drawn = fx.drawn(&body).await;
    let reference = body["tender_reference"].as_str().unwrap();
    let key = fx.app.state.audit.vkeys();
    let key = key.lines().next().unwrap().to_owned();
    let review = |name: &str| {
        let out = fx.app.dir.path().join(name);
        let export = run_cli(
            &fx.app,
            &["audit", "export", "--out", out.to_str().unwrap()],
            None,
        );
        assert!(export.status.success(), "{}", stdout_of(&export));
        run_cli(
            &fx.app,
            &["audit", "draws", out.to_str().unwrap(), "--key", &key],
            None,
        )
    };
    let clean = review("clean");
    assert!(clean.status.success(), "{}", stdout_of(&clean));
    assert!(
        stdout_of(&clean).contains("OK 1 root draws, 0 linked draws"),
        "{}",
        stdout_of(&clean)
    );

    // A second root draw of the tender, spelled differently, that never got its result.
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    append_raw(
        &fx,
        AuditEntry::new("draw.intent", now, Actor::System)
            .reference("draw", "the-re-roll")
            .data("tender_reference", reference.to_lowercase())
            .data("intent", json!({"algorithm": "sealdraw-draw-v1"})),
    )
    .await;
    let found = review("found");
    let report = stdout_of(&found);
    assert_eq!(found.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("REDRAWN tender {reference:?}: 2 root draws")),
        "{report}"
    );
    assert!(
        report.contains(drawn["draw_id"].as_str().unwrap()),
        "{report}"
    );
    assert!(report.contains("NO RESULT draw the-re-roll"), "{report}");
    assert!(report.contains("FOUND 2 root draws"), "{report}");
}

/// The family's draws and seats as the center sees them.
async fn family_views(fx: &DrawFixture, root: &str) -> Vec<Value> {
    let root_view = fx.view(root).await;
    let mut views = vec![root_view.clone()];
    for linked in root_view["linked_draws"].as_array().unwrap() {
        views.push(fx.view(linked.as_str().unwrap()).await);
    }
    views
}

#[tokio::test]
async fn replacements_fired_at_once_on_two_instances_never_seat_one_expert_twice() {
    let fx = DrawFixture::new(&experts(40, "B0101")).await;
    let second = fx.app.another_instance().await;
    // No reserves: every vacancy needs a linked draw, the path where the double seat was seen.
    let body = fx.request(json!([{ "specialty_prefixes": ["B01"], "count": 5, "reserves": 0 }]));
    let root = fx.drawn(&body).await;
    let root_id = root["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&root_id).await;
    let seated: Vec<String> = root["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["token"].as_str().unwrap().to_owned())
        .collect();
    let urls = [
        fx.app.url(&format!("/api/v1/draws/{root_id}/replacements")),
        format!(
            "https://localhost:{}/api/v1/draws/{root_id}/replacements",
            second.port
        ),
    ];
    let requests = seated.iter().enumerate().map(|(i, token)| {
        let request = fx
            .app
            .client
            .post(&urls[i % 2])
            .bearer_auth(&fx.center)
            .json(&json!({"token": token, "reason": "recused"}));
        async move { request.send().await.unwrap() }
    });
    let outcomes = futures_util::future::join_all(requests).await;
    let mut started = 0;
    for outcome in outcomes {
        assert_eq!(outcome.status(), StatusCode::OK);
        let outcome: Value = outcome.json().await.unwrap();
        assert_eq!(outcome["successor"], Value::Null);
        if outcome["linked_draw"].is_string() {
            started += 1;
        } else {
            assert_eq!(outcome["linked_draw_queued"], true, "{outcome}");
        }
    }
    // One linked draw of the family at a time: the others wait for its result.
    assert_eq!(started, 1);

    // The center contributes to each linked draw as it comes; each result starts the next.
    for round in 0..5 {
        let views = family_views(&fx, &root_id).await;
        let awaiting: Vec<&Value> = views
            .iter()
            .filter(|v| v["status"] == "awaiting_entropy")
            .collect();
        assert_eq!(
            awaiting.len(),
            1,
            "round {round}: one linked draw in flight"
        );
        let id = awaiting[0]["draw_id"].as_str().unwrap();
        let response = fx.contribute(&fx.center, id).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let views = family_views(&fx, &root_id).await;
    assert_eq!(views.len(), 6);
    assert!(views.iter().all(|v| v["status"] == "drawn"));
    // One token domain per family (spec §4): a token twice would be one expert twice.
    let mut tokens: Vec<String> = views
        .iter()
        .flat_map(|v| v["seats"].as_array().unwrap().iter())
        .map(|s| s["token"].as_str().unwrap().to_owned())
        .collect();
    let count = tokens.len();
    tokens.sort();
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        count,
        "an expert holds two seats of the family"
    );
    assert_eq!(count, 10);

    // The whole history verifies offline, every linked draw proving what it excluded.
    let record = fx
        .app
        .get_json(&format!("/api/v1/draws/{root_id}/record"), Some(&fx.center))
        .await;
    assert_eq!(record["draws"].as_array().unwrap().len(), 6);
    let excluded: Vec<u64> = record["draws"].as_array().unwrap()[1..]
        .iter()
        .map(|d| d["family"]["excluded_count"].as_u64().unwrap())
        .collect();
    assert_eq!(excluded, [5, 6, 7, 8, 9]);
    let line = verify_both(&fx, &record).unwrap();
    assert!(line.contains("6 draws"), "{line}");
    assert!(line.contains("5 replacements, 5/5 seats held"), "{line}");
    second.kill().await;
}

/// Runs both verifiers on a record; the line they print on success, or the failure line both
/// printed (they must agree).
fn verify_both(fx: &DrawFixture, record: &Value) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    std::fs::write(&path, serde_json::to_vec(record).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let keys = fx.app.state.audit.vkeys();
    let key = keys.lines().next().unwrap();
    let rust = sealdraw(&["draw", "verify", path, "--vkey", key], None);
    let python = python(&["published", path, key]);
    let (rust_line, python_line) = (text(&rust), text(&python));
    assert_eq!(
        rust.status.code(),
        python.status.code(),
        "rust: {rust_line}\npython: {python_line}"
    );
    // A failure's detail after `: ` is each verifier's own words (DRAW-SPEC §11); the kind and
    // the field it names must agree, and a success line is the same line.
    let named = |line: &str| {
        line.trim()
            .split(": ")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    match rust.status.code() {
        Some(0) => {
            assert_eq!(rust_line.trim(), python_line.trim());
            Ok(rust_line)
        }
        _ => {
            assert_eq!(
                named(&rust_line),
                named(&python_line),
                "python: {python_line}"
            );
            Err(rust_line)
        }
    }
}

#[tokio::test]
async fn a_family_record_with_an_entry_dropped_added_or_moved_does_not_verify() {
    let fx = DrawFixture::new(&experts(30, "C0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 2, "reserves": 1 }]));
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    assert_eq!(
        fx.contribute(&fx.supervisor, &id).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        fx.contribute(&fx.center, &id).await.status(),
        StatusCode::OK
    );
    fx.confirm_all(&id).await;
    let view = fx.view(&id).await;
    let seated: Vec<&str> = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "confirmed")
        .map(|s| s["token"].as_str().unwrap())
        .collect();
    for (token, reason) in seated.iter().zip(["withdrew", "recused"]) {
        fx.vacate(&id, token, reason).await;
    }
    // A reason outside the closed list never reaches the log.
    assert_problem(
        fx.app
            .post(
                &format!("/api/v1/draws/{id}/replacements"),
                Some(&fx.center),
                &json!({"token": seated[0], "reason": "whim"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let record = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    // intent, 2 contributions, result, 2 replacements, the linked draw's intent.
    let entries = record["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 7);
    let line = verify_both(&fx, &record).unwrap();
    assert!(
        line.contains("contributions 1 by the center and 1 by supervisors, 2 replacements"),
        "{line}"
    );
    assert!(line.contains("awaiting its result"), "{line}");

    let with_entries = |entries: Vec<Value>| {
        let mut tampered = record.clone();
        tampered["entries"] = Value::Array(entries);
        tampered
    };
    // The tail dropped (the linked draw's intent), a replacement dropped from the middle, a
    // contribution dropped: the head counts seven.
    for drop in [6, 4, 1] {
        let mut fewer = entries.clone();
        fewer.remove(drop);
        let failure = verify_both(&fx, &with_entries(fewer)).unwrap_err();
        assert!(
            failure.starts_with("MISMATCH head:"),
            "drop {drop}: {failure}"
        );
    }
    // Two entries swapped: the count and the newest entry still match, the chain does not.
    let mut swapped = entries.clone();
    swapped.swap(4, 5);
    let failure = verify_both(&fx, &with_entries(swapped)).unwrap_err();
    assert!(failure.starts_with("MISMATCH entries[4]:"), "{failure}");
    // An entry repeated in place of another: the chain names where.
    let mut repeated = entries.clone();
    repeated[2] = repeated[1].clone();
    let failure = verify_both(&fx, &with_entries(repeated)).unwrap_err();
    assert!(failure.starts_with("MISMATCH entries[2]:"), "{failure}");
    // The head of another family.
    let other = fx
        .drawn(&fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 1, "reserves": 0 }])))
        .await;
    let other_record = fx
        .app
        .get_json(
            &format!(
                "/api/v1/draws/{}/record",
                other["draw_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
        )
        .await;
    let mut foreign_head = record.clone();
    foreign_head["head"] = other_record["head"].clone();
    let failure = verify_both(&fx, &foreign_head).unwrap_err();
    assert!(failure.starts_with("MISMATCH head:"), "{failure}");
}
