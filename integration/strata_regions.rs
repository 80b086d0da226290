//! Region rules per stratum (issue 15 §2): each stratum may carry its own `regions_exclude` and
//! `regions_require`, applied with the draw-level ones; the v3 intent commits the rule each
//! stratum applied; `draw.exclude_project_region` decides whether a cross-site draw leaves out
//! the project's city. Every drawn expert's region is read back through the store, the way the
//! server itself would see it, and compared with the stratum's rule.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draw_record::{python, sealdraw, text};
use crate::draws::{DrawFixture, Expert, assert_live_record_verifies, tokens};
use crate::helpers::*;

/// An expert under A0101 registered in `region`.
fn at(region: &'static str) -> Expert {
    Expert {
        region,
        ..Expert::plain("A0101")
    }
}

/// A pool across four prefectures: 6 in Wuhan (the project's city, 4201), 8 in Yichang
/// (4205), 16 in Xiangyang (4206) and 8 in Xiaogan (4209).
fn four_prefectures() -> Vec<Expert> {
    let mut pool = Vec::new();
    for (region, count) in [("420100", 6), ("420500", 8), ("420600", 16), ("420900", 8)] {
        pool.extend((0..count).map(|_| at(region)));
    }
    pool
}

/// "2 experts from the provincial pool at large + 3 drawn from one prefecture's area": two
/// strata of one draw, the second with its own `regions_require`.
fn province_and_prefecture(fx: &DrawFixture) -> Value {
    let mut body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 2, "reserves": 1 },
        { "specialty_prefixes": ["A01"], "count": 3, "reserves": 1, "regions_require": ["4206"] },
    ]));
    body["mode"] = json!("cross_site");
    body["project_region"] = json!("420100");
    body
}

/// Every candidate seat of a draw (drawn and reserves) with its stratum and its expert's
/// region, opened from the seat's sealed expert and read from the pool.
async fn seat_regions(fx: &DrawFixture, draw: &str) -> Vec<(i32, String)> {
    let mut tx = fx.app.state.store.read().await.unwrap();
    let mut out = Vec::new();
    for seat in tx.draw_seats(draw).await.unwrap() {
        let context = format!("draw-candidate:{draw}:{}", hex::encode(&seat.token));
        let opened = fx
            .app
            .state
            .keys
            .open(&context, &seat.sealed_expert)
            .unwrap();
        let expert = String::from_utf8(opened.to_vec()).unwrap();
        let row = tx.expert(&expert).await.unwrap().unwrap();
        out.push((seat.stratum, row.region_code));
    }
    tx.rollback().await.unwrap();
    out
}

fn regions(view: &Value, stratum: usize) -> (Value, Value) {
    let committed = &view["intent"]["strata"][stratum];
    (
        committed["regions_exclude"].clone(),
        committed["regions_require"].clone(),
    )
}

/// Nothing was written: no draw, no audit entry.
async fn assert_nothing_written(fx: &DrawFixture, entries_before: usize) {
    let draws = fx.app.get_json("/api/v1/draws", Some(&fx.supervisor)).await;
    assert_eq!(draws, json!([]));
    assert_eq!(fx.app.entries_written_by_requests().await, entries_before);
}

#[tokio::test]
async fn two_from_the_province_and_three_from_one_prefecture_each_come_from_their_strata_region() {
    let fx = DrawFixture::new(&four_prefectures()).await;
    let created = fx.create_ok(&province_and_prefecture(&fx)).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();

    // The intent (v3) commits the rule each stratum applied: the project's city out of both
    // (cross-site), Xiangyang required by the second.
    assert_eq!(created["intent"]["algorithm"], "sealdraw-draw-v3");
    assert_eq!(regions(&created, 0), (json!(["4201"]), json!([])));
    assert_eq!(regions(&created, 1), (json!(["4201"]), json!(["4206"])));
    assert_eq!(created["strata"][0]["eligible"], 32);
    assert_eq!(created["strata"][0]["excluded"]["region"], 6);
    assert_eq!(created["strata"][1]["eligible"], 16);
    assert_eq!(created["strata"][1]["excluded"]["region"], 22);

    let response = fx.contribute(&fx.center, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    let seats = seat_regions(&fx, &id).await;
    assert_eq!(seats.len(), 3 + 4);
    for (stratum, region) in &seats {
        assert!(!region.starts_with("4201"), "stratum {stratum}: {region}");
        if *stratum == 1 {
            assert!(region.starts_with("4206"), "stratum 1: {region}");
        }
    }
    assert_eq!(seats.iter().filter(|(s, _)| *s == 1).count(), 4);

    // Stratum 1's reserve takes a vacated seat, then the next vacancy there needs a linked
    // draw: it applies the stratum's rule, commits it, and seats someone from Xiangyang.
    let stratum_1: Vec<String> = view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stratum"] == 1 && s["state"] == "seated")
        .map(|s| s["token"].as_str().unwrap().to_owned())
        .collect();
    let mut linked = None;
    for token in &stratum_1[..2] {
        fx.confirm_all(&id).await;
        let outcome = fx.vacate(&id, token, "withdrew").await;
        linked = outcome["linked_draw"].as_str().map(str::to_owned);
    }
    let linked = linked.expect("the second vacancy in stratum 1 starts a linked draw");
    let linked_view = fx.view(&linked).await;
    assert_eq!(linked_view["intent"]["algorithm"], "sealdraw-draw-v3");
    assert_eq!(regions(&linked_view, 0), (json!(["4201"]), json!(["4206"])));
    // Sixteen in Xiangyang, less those the family drew or holds there (stratum 1's four and
    // any of stratum 0's three).
    let in_xiangyang = seats.iter().filter(|(_, r)| r.starts_with("4206")).count();
    assert_eq!(linked_view["strata"][0]["eligible"], 16 - in_xiangyang);
    let response = fx.contribute(&fx.center, &linked).await;
    assert_eq!(response.status(), StatusCode::OK);
    for (_, region) in seat_regions(&fx, &linked).await {
        assert!(region.starts_with("4206"), "linked draw: {region}");
    }
    assert_eq!(tokens(&fx.view(&linked).await, "seated").len(), 1);

    // Both offline verifiers accept the family's record, rules and all.
    let record: Value = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    assert_eq!(
        record["draws"][1]["strata"][0]["regions_require"],
        json!(["4206"])
    );
    assert_live_record_verifies(&fx, &record, "2 replacements, 5/5 seats held");
    // A record whose second stratum claims a wider rule than its intent committed fails both,
    // at the same field.
    let mut widened = record.clone();
    widened["draws"][0]["strata"][1]["regions_require"] = json!([]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("widened.json");
    std::fs::write(&path, serde_json::to_vec(&widened).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let vkeys = fx.app.state.audit.vkeys();
    let vkey = vkeys.lines().next().unwrap();
    for output in [
        sealdraw(&["draw", "verify", path, "--vkey", vkey], None),
        python(&["published", path, vkey]),
    ] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(
            text(&output).starts_with("MISMATCH draws[0].intent_hash: "),
            "{}",
            text(&output)
        );
    }
}

#[tokio::test]
async fn a_strata_rule_applies_with_the_draw_level_rule_and_only_narrows_it() {
    let fx = DrawFixture::new(&four_prefectures()).await;
    let stratum = |extra: Value| {
        let mut s = json!({ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 });
        s.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s
    };

    // The draw's exclusion (Yichang) applies to every stratum, its own or not; a stratum's
    // exclusion only to itself.
    let mut body = fx.request(json!([
        stratum(json!({})),
        stratum(json!({ "regions_require": ["4205", "4206"] })),
        stratum(json!({ "regions_exclude": ["4209"] })),
    ]));
    body["regions_exclude"] = json!(["4205"]);
    let created = fx.create_ok(&body).await;
    assert_eq!(created["strata"][0]["eligible"], 30);
    assert_eq!(created["strata"][1]["eligible"], 16);
    assert_eq!(created["strata"][2]["eligible"], 22);
    assert_eq!(regions(&created, 0), (json!(["4205"]), json!([])));
    assert_eq!(
        regions(&created, 1),
        (json!(["4205"]), json!(["4205", "4206"]))
    );
    assert_eq!(regions(&created, 2), (json!(["4205", "4209"]), json!([])));
    let id = created["draw_id"].as_str().unwrap();
    assert_eq!(fx.contribute(&fx.center, id).await.status(), StatusCode::OK);
    for (stratum, region) in seat_regions(&fx, id).await {
        assert!(!region.starts_with("4205"), "stratum {stratum}: {region}");
        match stratum {
            1 => assert!(region.starts_with("4206"), "{region}"),
            2 => assert!(!region.starts_with("4209"), "{region}"),
            _ => {}
        }
    }

    // A draw-level requirement is narrowed by a stratum's inside it: the province, then one
    // prefecture of it, is that prefecture.
    let mut body = fx.request(json!([
        stratum(json!({})),
        stratum(json!({ "regions_require": ["420600", "4209"] })),
    ]));
    body["regions_require"] = json!(["42"]);
    let created = fx.create_ok(&body).await;
    assert_eq!(regions(&created, 0), (json!([]), json!(["42"])));
    assert_eq!(regions(&created, 1), (json!([]), json!(["420600", "4209"])));
    assert_eq!(created["strata"][1]["eligible"], 24);

    // …and never widened: a stratum requiring only regions outside the draw's is refused,
    // naming its field, and nothing is written. Only draw entries are counted: the earlier
    // draws' invitations are delivered (and logged) by the server's worker meanwhile.
    let draw_entries = async || {
        fx.app
            .audit_entries()
            .await
            .into_iter()
            .filter(|entry| {
                entry["type"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("draw.")
            })
            .count()
    };
    let entries = draw_entries().await;
    let draw_ids = async || {
        let draws = fx.app.get_json("/api/v1/draws", Some(&fx.supervisor)).await;
        draws
            .as_array()
            .unwrap()
            .iter()
            .map(|draw| draw["draw_id"].clone())
            .collect::<Vec<_>>()
    };
    let draws = draw_ids().await;
    let mut body = fx.request(json!([
        stratum(json!({})),
        stratum(json!({ "regions_require": ["4206"] })),
    ]));
    body["regions_require"] = json!(["4205", "4209"]);
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "strata[1].regions_require", "{problem}");
    assert_eq!(draw_entries().await, entries);
    assert_eq!(draw_ids().await, draws);
}

#[tokio::test]
async fn whether_a_cross_site_draw_excludes_the_project_city_is_the_deployments_choice() {
    // By default (today's behaviour) the project's city is out of every stratum, so a stratum
    // that requires it admits nobody: refused, naming the stratum's field.
    let fx = DrawFixture::new(&four_prefectures()).await;
    let entries = fx.app.entries_written_by_requests().await;
    let mut body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0, "regions_require": ["4201"] },
    ]));
    body["mode"] = json!("cross_site");
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "strata[0].regions_require", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("4201"),
        "{problem}"
    );
    // Nothing but the project's city rules the draw out: the field is the project's region.
    let all_in_wuhan = DrawFixture::new(&(0..9).map(|_| at("420100")).collect::<Vec<_>>()).await;
    let mut body = all_in_wuhan.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
    ]));
    body["mode"] = json!("cross_site");
    let problem = assert_problem(
        all_in_wuhan.create(&body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["field"], "project_region", "{problem}");
    assert_nothing_written(&fx, entries).await;

    // A deployment whose remote sessions seat experts in the project's own prefecture turns it
    // off: the main venue's stratum then draws from Wuhan, another stratum from elsewhere.
    let fx = DrawFixture::with(&four_prefectures(), |settings| {
        settings.draw.exclude_project_region = false;
    })
    .await;
    let mut body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 1, "regions_require": ["4201"] },
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0, "regions_require": ["4205"] },
    ]));
    body["mode"] = json!("cross_site");
    body["project_region"] = json!("420100");
    let created = fx.create_ok(&body).await;
    assert_eq!(regions(&created, 0), (json!([]), json!(["4201"])));
    assert_eq!(created["strata"][0]["eligible"], 6);
    let id = created["draw_id"].as_str().unwrap();
    assert_eq!(fx.contribute(&fx.center, id).await.status(), StatusCode::OK);
    for (stratum, region) in seat_regions(&fx, id).await {
        let wanted = if stratum == 0 { "4201" } else { "4205" };
        assert!(region.starts_with(wanted), "stratum {stratum}: {region}");
    }
}

#[tokio::test]
async fn bad_stratum_region_rules_get_a_4xx_naming_the_field_and_write_nothing() {
    let fx = DrawFixture::new(&four_prefectures()).await;
    let entries = fx.app.entries_written_by_requests().await;
    let two = |rule: Value| {
        let mut second = json!({ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 });
        second
            .as_object_mut()
            .unwrap()
            .extend(rule.as_object().unwrap().clone());
        fx.request(json!([
            { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
            second,
        ]))
    };
    let thirty_three: Vec<String> = (0..33).map(|_| "4206".to_owned()).collect();
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "a prefecture that does not exist",
            two(json!({ "regions_exclude": ["4204"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_exclude[0]",
        ),
        (
            "a county: experts are recorded by prefecture",
            two(json!({ "regions_require": ["4206", "420602"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require[1]",
        ),
        (
            "another province",
            two(json!({ "regions_require": ["11"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require[0]",
        ),
        (
            "three digits",
            two(json!({ "regions_require": ["420"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require[0]",
        ),
        (
            "too many prefixes",
            two(json!({ "regions_exclude": thirty_three })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_exclude",
        ),
        (
            "a string, not a list",
            two(json!({ "regions_require": "4206" })),
            StatusCode::BAD_REQUEST,
            "strata[1].regions_require",
        ),
        (
            "a number in the list",
            two(json!({ "regions_require": [4206] })),
            StatusCode::BAD_REQUEST,
            "strata[1].regions_require[0]",
        ),
        (
            "null",
            two(json!({ "regions_exclude": null })),
            StatusCode::BAD_REQUEST,
            "strata[1].regions_exclude",
        ),
        (
            "a misspelt member",
            two(json!({ "region_require": ["4206"] })),
            StatusCode::BAD_REQUEST,
            "strata[1]",
        ),
        (
            "a known prefecture where no expert under A01 is",
            two(json!({ "regions_require": ["4213"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require",
        ),
        (
            "an exclusion of everyone",
            two(json!({ "regions_exclude": ["42"] })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_exclude",
        ),
        (
            "a requirement whose every expert the draw excludes",
            {
                let mut body = two(json!({ "regions_require": ["4205"] }));
                body["regions_exclude"] = json!(["4205"]);
                body
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require",
        ),
        (
            "a draw-level requirement where nobody is",
            {
                let mut body = two(json!({}));
                body["regions_require"] = json!(["4228"]);
                body
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "regions_require",
        ),
        (
            "a draw-level prefix that begins no division",
            {
                let mut body = two(json!({}));
                body["regions_exclude"] = json!(["4299"]);
                body
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "regions_exclude[0]",
        ),
    ];
    for (what, body, status, field) in cases {
        let response = fx.create(&body).await;
        assert_eq!(response.status(), status, "{what}");
        let problem = assert_problem(response, status).await;
        let named = problem["field"].as_str().unwrap_or_default();
        assert!(
            named == field || (status == StatusCode::BAD_REQUEST && named.starts_with(field)),
            "{what}: {problem}"
        );
    }
    assert_nothing_written(&fx, entries).await;
}
