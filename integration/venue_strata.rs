//! Strata bound to venues (issue 15 §2, docs/DRAWS.md "Strata bound to venues"): the three ways
//! remote cross-site evaluations are organised in practice, each run end to end — the draw
//! holding its venues and asking sub-venue consent, each stratum drawn from its venue's area,
//! a vacated seat refilled (by a reserve, then a linked draw) inside the stratum's venue, every
//! invitation naming its expert's venue, and the session seating every member at their
//! stratum's venue. Also: a refused sub-venue blocks the execution and voids the draw (its
//! tender drawn anew, the log review clean), and bad input is refused naming the field with
//! nothing written.

use std::collections::HashMap;

use reqwest::StatusCode;
use sealdraw::auth::Role;
use sealdraw::clock::Clock;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use serde_json::{Value, json};

use crate::draw_record::{python, sealdraw, text};
use crate::draws::{DrawFixture, Expert, assert_live_record_verifies};
use crate::helpers::*;
use crate::invitations::expert_logins;
use crate::sessions::{bidders_and_criteria, ok};

/// The project's city in every draw here (黄冈, 4211): a cross-site draw leaves it out.
const PROJECT: &str = "421100";

/// An expert under A0101 registered in `region`.
fn at(region: &'static str) -> Expert {
    Expert {
        region,
        ..Expert::plain("A0101")
    }
}

/// 18 in Wuhan (4201), 18 in Xiangyang (4206), 12 in Yichang (4205), 8 in Xiantao (429004, a
/// county-level city the province administers directly) and 6 in the project's city.
fn pool() -> Vec<Expert> {
    let mut pool = Vec::new();
    for (region, count) in [
        ("420100", 18),
        ("420600", 18),
        ("420500", 12),
        ("429004", 8),
        ("421100", 6),
    ] {
        pool.extend((0..count).map(|_| at(region)));
    }
    pool
}

/// A catalogue venue: its id, name, address and the centre that owns it (bearer).
#[derive(Clone)]
struct Venue {
    id: String,
    name: String,
    address: String,
    center: String,
}

/// A fixture whose center owns 新洲 (Wuhan, 420117), with other centers' venues in `subs`
/// (username, name, county).
struct Sites {
    fx: DrawFixture,
    main: Venue,
    subs: Vec<Venue>,
}

async fn register(app: &TestApp, bearer: &str, name: &str, county: &str, seats: u32) -> Venue {
    let address = format!("{name} 地址 1 号");
    let response = app
        .post(
            "/api/v1/venues",
            Some(bearer),
            &json!({"name": name, "address": address, "region_code": county,
                    "workstations": seats, "remote_capable": true}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Venue {
        id: body["venue_id"].as_str().unwrap().to_owned(),
        name: name.to_owned(),
        address,
        center: bearer.to_owned(),
    }
}

impl Sites {
    async fn new(subs: &[(&str, &str, &str)]) -> Self {
        // Every expert logs in from the test's one address to read their invitations.
        let fx = DrawFixture::with(&pool(), |settings| {
            settings.auth.address_attempts_per_minute = 1_000;
        })
        .await;
        let main = register(&fx.app, &fx.center, "新洲 远程评标室", "420117", 10).await;
        let mut venues = Vec::new();
        for (username, name, county) in subs {
            let (_, bearer) = fx.app.account_with_token(username, Role::Center).await;
            venues.push(register(&fx.app, &bearer, name, county, 4).await);
        }
        Self {
            fx,
            main,
            subs: venues,
        }
    }

    /// A cross-site request with `strata`, reporting at the main venue (named by the catalogue).
    fn request(&self, strata: Value) -> Value {
        let mut body = self.fx.request(strata);
        body.as_object_mut().unwrap().remove("venue");
        body["mode"] = json!("cross_site");
        body["project_region"] = json!(PROJECT);
        body
    }

    fn venue(&self, id: &str) -> &Venue {
        std::iter::once(&self.main)
            .chain(&self.subs)
            .find(|v| v.id == id)
            .unwrap()
    }
}

/// Stratum `count` (reserves 1) under A01 at `venue`, with `scope` when given.
fn stratum(venue: &Venue, count: u32, scope: Option<&str>) -> Value {
    let mut s = json!({"specialty_prefixes": ["A01"], "count": count, "reserves": 1,
                       "venue_id": venue.id});
    if let Some(scope) = scope {
        s["venue_scope"] = json!(scope);
    }
    s
}

/// Each sub-venue's center's pending request for `draw`.
async fn draw_requests(sites: &Sites, draw: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for venue in &sites.subs {
        let list = sites
            .fx
            .app
            .get_json(
                "/api/v1/venue-requests?state=requested",
                Some(&venue.center),
            )
            .await;
        for request in list.as_array().unwrap() {
            if request["holder"] == json!({"kind": "draw", "id": draw}) {
                found.push((venue.center.clone(), request.clone()));
            }
        }
    }
    found
}

async fn answer(sites: &Sites, bearer: &str, request: &Value, verb: &str, body: Value) -> Value {
    let id = request["request_id"].as_str().unwrap();
    let response = sites
        .fx
        .app
        .post(
            &format!("/api/v1/venue-requests/{id}/{verb}"),
            Some(bearer),
            &body,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every candidate of `draw` (drawn and reserves): token → (expert id, expert's region).
async fn candidates(fx: &DrawFixture, draw: &str) -> HashMap<String, (String, String)> {
    let mut tx = fx.app.state.store.read().await.unwrap();
    let mut out = HashMap::new();
    for seat in tx.draw_seats(draw).await.unwrap() {
        let token = hex::encode(&seat.token);
        let context = format!("draw-candidate:{draw}:{token}");
        let opened = fx
            .app
            .state
            .keys
            .open(&context, &seat.sealed_expert)
            .unwrap();
        let expert = String::from_utf8(opened.to_vec()).unwrap();
        let row = tx.expert(&expert).await.unwrap().unwrap();
        out.insert(token, (expert, row.region_code));
    }
    tx.rollback().await.unwrap();
    out
}

/// Where each stratum's experts must sit and come from: (venue id, required region prefix).
struct Expect {
    venue: String,
    prefix: Option<&'static str>,
}

/// Runs one practice pattern end to end and checks every seat, invitation and placement.
/// `refill` is the stratum whose two drawn members withdraw (the reserve, then a linked draw).
async fn run_pattern(sites: &Sites, strata: Value, expect: &[Expect], refill: usize) {
    let fx = &sites.fx;
    let app = &fx.app;
    let logins = expert_logins(fx).await;
    let created = fx.create_ok(&sites.request(strata)).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["venue"],
        sites.main.name.as_str(),
        "reports at the main venue"
    );
    assert_eq!(created["intent"]["algorithm"], "sealdraw-draw-v3");

    // The intent commits each stratum's venue and the rule it brought; the view says whose
    // venue each is and what its consent stands at.
    for (i, e) in expect.iter().enumerate() {
        let committed = &created["intent"]["strata"][i];
        let venue = sites.venue(&e.venue);
        assert_eq!(committed["venue_id"], e.venue.as_str(), "stratum {i}");
        assert_eq!(committed["regions_exclude"], json!(["4211"]), "stratum {i}");
        match e.prefix {
            Some(prefix) => {
                assert_eq!(committed["venue_scope"], "prefecture");
                assert_eq!(committed["regions_require"], json!([prefix]), "stratum {i}");
            }
            None => {
                assert_eq!(committed["venue_scope"], "province");
                assert_eq!(committed["regions_require"], json!([]), "stratum {i}");
            }
        }
        let summary = &created["strata"][i]["venue"];
        assert_eq!(summary["name"], venue.name.as_str());
        assert_eq!(summary["chosen_at_random"], false);
        if e.venue == sites.main.id {
            assert_eq!(summary["role"], "main");
            assert_eq!(summary["consent"], "not_needed");
        } else {
            assert_eq!(summary["role"], "sub");
            assert_eq!(summary["consent"], "pending");
        }
    }

    // Each sub-venue's center is asked once, for the seats of its strata; all accept.
    let requests = draw_requests(sites, &id).await;
    assert_eq!(requests.len(), sites.subs.len());
    for (bearer, request) in &requests {
        let seats: u64 = expect
            .iter()
            .zip(created["strata"].as_array().unwrap())
            .filter(|(e, _)| e.venue == request["venue_id"].as_str().unwrap())
            .map(|(_, s)| s["k"].as_u64().unwrap())
            .sum();
        assert_eq!(request["workstations"], seats);
        answer(sites, bearer, request, "accept", json!({})).await;
    }
    let view = fx.view(&id).await;
    for (i, e) in expect.iter().enumerate() {
        let consent = &view["strata"][i]["venue"]["consent"];
        if e.venue == sites.main.id {
            assert_eq!(*consent, "not_needed");
        } else {
            assert_eq!(*consent, "accepted");
        }
    }
    let response = fx.contribute(&fx.center, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "drawn");

    // A vacated seat of the refill stratum goes to its reserve, the next to a linked draw:
    // both inside the stratum's venue and area.
    let mut linked = None;
    for _ in 0..2 {
        fx.confirm_all(&id).await;
        let view = fx.view(&id).await;
        let token = view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stratum"] == refill && s["state"] == "confirmed")
            .unwrap()["token"]
            .clone();
        let outcome = fx.vacate(&id, token.as_str().unwrap(), "withdrew").await;
        linked = outcome["linked_draw"].as_str().map(str::to_owned);
    }
    let linked = linked.expect("the second vacancy starts a linked draw");
    let linked_view = fx.view(&linked).await;
    assert_eq!(
        linked_view["intent"]["strata"][0]["venue_id"],
        expect[refill].venue.as_str(),
        "a linked draw keeps its stratum's venue"
    );
    assert_eq!(
        linked_view["strata"][0]["venue"]["venue_id"],
        expect[refill].venue.as_str()
    );
    assert_eq!(
        fx.contribute(&fx.center, &linked).await.status(),
        StatusCode::OK
    );
    fx.confirm_all(&id).await;
    fx.confirm_all(&linked).await;

    // Every candidate of every stratum comes from its stratum's area, never the project's city.
    let root = candidates(fx, &id).await;
    let extra = candidates(fx, &linked).await;
    let mut venue_of_token: HashMap<String, String> = HashMap::new();
    let mut venue_of_expert: HashMap<String, String> = HashMap::new();
    let view = fx.view(&id).await;
    for seat in view["seats"].as_array().unwrap() {
        let stratum = seat["stratum"].as_u64().unwrap() as usize;
        let token = seat["token"].as_str().unwrap();
        let (expert, region) = &root[token];
        assert!(!region.starts_with("4211"), "{region}");
        if let Some(prefix) = expect[stratum].prefix {
            assert!(region.starts_with(prefix), "stratum {stratum}: {region}");
        }
        venue_of_token.insert(token.to_owned(), expect[stratum].venue.clone());
        if seat["state"] == "confirmed" {
            venue_of_expert.insert(expert.clone(), expect[stratum].venue.clone());
        }
    }
    for seat in linked_view_seats(fx, &linked).await {
        let token = seat["token"].as_str().unwrap();
        let (expert, region) = &extra[token];
        if let Some(prefix) = expect[refill].prefix {
            assert!(region.starts_with(prefix), "linked draw: {region}");
        }
        venue_of_token.insert(token.to_owned(), expect[refill].venue.clone());
        if seat["state"] == "confirmed" {
            venue_of_expert.insert(expert.clone(), expect[refill].venue.clone());
        }
    }
    let committee: usize = view["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["k"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(venue_of_expert.len(), committee);

    // Each member's accepted invitation names their stratum's venue and its address, never
    // another.
    let mut named = 0;
    for (expert, bearer) in &logins {
        let Some(venue_id) = venue_of_expert.get(expert) else {
            continue;
        };
        let venue = sites.venue(venue_id);
        let mine = app.get_json("/api/v1/me/invitations", Some(bearer)).await;
        let accepted: Vec<&Value> = mine
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["state"] == "accepted")
            .collect();
        assert_eq!(accepted.len(), 1, "{mine}");
        assert_eq!(accepted[0]["venue"], venue.name.as_str(), "{mine}");
        assert_eq!(accepted[0]["venue_address"], venue.address.as_str());
        named += 1;
    }
    assert_eq!(named, committee);

    // The session takes its venues from the draw (main first) and seats each member at their
    // stratum's venue.
    let mut body = bidders_and_criteria();
    body["draw_id"] = json!(id);
    body["supervisors"] = json!(["supervisor"]);
    let response = app.post("/api/v1/sessions", Some(&fx.center), &body).await;
    let status = response.status();
    let session: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let session_id = session["session_id"].as_str().unwrap().to_owned();
    assert_eq!(session["assignment"], "in_order");
    let venues = session["venues"].as_array().unwrap();
    assert_eq!(venues.len(), 1 + sites.subs.len());
    assert_eq!(venues[0]["venue_id"], sites.main.id.as_str());
    for venue in venues {
        let id = venue["venue_id"].as_str().unwrap();
        let seats: u64 = expect
            .iter()
            .zip(view["strata"].as_array().unwrap())
            .filter(|(e, _)| e.venue == id)
            .map(|(_, s)| s["k"].as_u64().unwrap())
            .sum();
        assert_eq!(venue["seats"], seats, "{venue}");
        assert_eq!(venue["name"], sites.venue(id).name.as_str());
    }
    let mut host = connect(fx, &session_id).await;
    ok(&mut host, Request::Advance { to: Phase::CheckIn }).await;
    let seated: Value = app
        .get_json(&format!("/api/v1/sessions/{session_id}"), Some(&fx.center))
        .await;
    let created_entry = app
        .audit_entries_of("session.created")
        .await
        .into_iter()
        .find(|e| e["refs"]["session"] == session_id.as_str())
        .unwrap();
    let tokens = created_entry["data"]["tokens"].as_array().unwrap();
    let mut checked = 0;
    for seat in seated["seats"].as_array().unwrap() {
        let number = seat["seat"].as_u64().unwrap() as usize;
        let token = tokens[number - 1].as_str().unwrap();
        let venue = seat["venue"].as_u64().unwrap() as usize;
        assert_eq!(
            venues[venue]["venue_id"].as_str().unwrap(),
            venue_of_token[token],
            "seat {number}"
        );
        checked += 1;
    }
    assert_eq!(checked, committee);
    let assigned = app.audit_entries_of("session.seats_assigned").await;
    assert_eq!(assigned[0]["data"]["placed_by"], "stratum_venue");

    // Both offline verifiers accept the family's record, venues and all; a record claiming
    // another venue for a stratum fails both at the intent.
    let record: Value = app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    assert_live_record_verifies(fx, &record, "2 replacements");
    // Every sub-venue's answer came before the result, the linked draw's included.
    log_review_passes(fx, "export").await;
    let mut moved = record.clone();
    moved["draws"][0]["strata"][0]["venue_id"] = json!(uuid::Uuid::now_v7().to_string());
    both_verifiers_refuse(fx, &moved, "MISMATCH draws[0].intent_hash: ");
}

/// Both offline verifiers refuse the published `record`, their first line starting `failure`.
fn both_verifiers_refuse(fx: &DrawFixture, record: &Value, failure: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    std::fs::write(&path, serde_json::to_vec(record).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let vkeys = fx.app.state.audit.vkeys();
    let vkey = vkeys.lines().next().unwrap();
    for output in [
        sealdraw(&["draw", "verify", path, "--vkey", vkey], None),
        python(&["published", path, vkey]),
    ] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(text(&output).starts_with(failure), "{}", text(&output));
    }
}

async fn linked_view_seats(fx: &DrawFixture, linked: &str) -> Vec<Value> {
    fx.view(linked).await["seats"].as_array().unwrap().clone()
}

async fn connect(fx: &DrawFixture, session_id: &str) -> SessionClient {
    let ticket: Value = fx
        .app
        .post(
            &format!("/api/v1/sessions/{session_id}/ticket"),
            Some(&fx.center),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    SessionClient::connect(
        &fx.app.session_endpoint(),
        ticket["path"].as_str().unwrap(),
        ticket["ticket"].as_str().unwrap(),
        0,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn main_venue_xinzhou_3_and_sub_venue_baokang_2_each_draw_from_their_venues_prefecture() {
    let sites = Sites::new(&[("center-baokang", "保康 远程评标室", "420626")]).await;
    let (main, baokang) = (sites.main.clone(), sites.subs[0].clone());
    run_pattern(
        &sites,
        json!([
            stratum(&main, 3, None),
            stratum(&baokang, 2, Some("prefecture"))
        ]),
        &[
            Expect {
                venue: main.id.clone(),
                prefix: Some("4201"),
            },
            Expect {
                venue: baokang.id.clone(),
                prefix: Some("4206"),
            },
        ],
        1,
    )
    .await;
}

#[tokio::test]
async fn two_from_the_province_at_large_and_three_from_the_county_venues_prefecture() {
    let sites = Sites::new(&[("center-baokang", "保康 远程评标室", "420626")]).await;
    let (main, baokang) = (sites.main.clone(), sites.subs[0].clone());
    run_pattern(
        &sites,
        json!([
            stratum(&main, 2, Some("province")),
            stratum(&baokang, 3, None)
        ]),
        &[
            Expect {
                venue: main.id.clone(),
                prefix: None,
            },
            Expect {
                venue: baokang.id.clone(),
                prefix: Some("4206"),
            },
        ],
        0,
    )
    .await;
}

#[tokio::test]
async fn a_main_venue_and_two_sub_venues_in_three_prefectures_seat_3_1_and_1() {
    let sites = Sites::new(&[
        ("center-baokang", "保康 远程评标室", "420626"),
        ("center-xiantao", "仙桃 远程评标室", "429004"),
    ])
    .await;
    let (main, baokang, xiantao) = (
        sites.main.clone(),
        sites.subs[0].clone(),
        sites.subs[1].clone(),
    );
    run_pattern(
        &sites,
        json!([
            stratum(&main, 3, None),
            stratum(&baokang, 1, None),
            stratum(&xiantao, 1, None)
        ]),
        &[
            Expect {
                venue: main.id.clone(),
                prefix: Some("4201"),
            },
            Expect {
                venue: baokang.id.clone(),
                prefix: Some("4206"),
            },
            // 仙桃 is administered by the province: its own six digits are its "prefecture".
            Expect {
                venue: xiantao.id.clone(),
                prefix: Some("429004"),
            },
        ],
        2,
    )
    .await;
}

/// Free workstations of `venue` over the draw's window, as the catalogue reports them.
async fn free(fx: &DrawFixture, venue: &Venue, view: &Value) -> u64 {
    let start =
        chrono::DateTime::parse_from_rfc3339(view["evaluation_start"].as_str().unwrap()).unwrap();
    let end = start + chrono::Duration::minutes(view["evaluation_minutes"].as_i64().unwrap());
    let response = fx
        .app
        .request(reqwest::Method::GET, "/api/v1/venues", Some(&fx.center))
        .query(&[
            ("free_from", start.to_rfc3339()),
            ("free_until", end.to_rfc3339()),
        ])
        .send()
        .await
        .unwrap();
    let list: Value = response.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue_id"] == venue.id.as_str())
        .unwrap()["free_workstations"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_refused_sub_venue_blocks_the_execution_and_voids_the_draw_whose_tender_is_then_drawn_anew()
 {
    let sites = Sites::new(&[("center-baokang", "保康 远程评标室", "420626")]).await;
    let fx = &sites.fx;
    let (main, baokang) = (sites.main.clone(), sites.subs[0].clone());
    let body = sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 2, None)]));
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    assert_eq!(free(fx, &main, &created).await, 7);
    assert_eq!(free(fx, &baokang, &created).await, 2);

    // The contributions are in, but the sub-venue has not answered: nothing executes.
    let response = fx.contribute(&fx.center, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "awaiting_entropy");
    assert_eq!(view["strata"][1]["venue"]["consent"], "pending");
    assert_eq!(fx.app.state.draws.execute_overdue().await.unwrap(), 0);
    assert_eq!(fx.view(&id).await["status"], "awaiting_entropy");

    // The refusal voids the unexecuted draw: no result, its workstations free again, no more
    // contributions.
    let requests = draw_requests(&sites, &id).await;
    assert_eq!(requests.len(), 1);
    answer(
        &sites,
        &baokang.center,
        &requests[0].1,
        "refuse",
        json!({"reason": "设备检修"}),
    )
    .await;
    // The executor voids the draw on its next pass; a busy machine may take seconds to get there.
    let mut view = fx.view(&id).await;
    for _ in 0..300 {
        if view.get("void").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        view = fx.view(&id).await;
    }
    assert_eq!(view["void"]["reason"], "venue_refused", "{view}");
    assert_eq!(view["status"], "awaiting_entropy");
    assert_eq!(view["result_index"], Value::Null);
    assert_eq!(view["strata"][1]["venue"]["consent"], "refused");
    assert_eq!(free(fx, &main, &created).await, 10);
    assert_eq!(free(fx, &baokang, &created).await, 4);
    let again = assert_problem(
        fx.contribute(&fx.supervisor, &id).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(again["type"], "urn:sealdraw:problem:draw-void");
    // Nor is there an evaluation of its own to suspend, postpone or cancel.
    let interrupted = assert_problem(
        fx.app
            .post(
                &format!("/api/v1/draws/{id}/interruptions"),
                Some(&fx.center),
                &json!({"kind": "suspend", "reason": "有投诉正在处理，需暂停评标"}),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        interrupted["detail"].as_str().unwrap().contains("void"),
        "{interrupted}"
    );
    let voided = fx.app.audit_entries_of("draw.voided").await;
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0]["refs"]["draw"], id.as_str());
    assert_eq!(voided[0]["data"]["reason"], "venue_refused");
    assert_eq!(voided[0]["data"]["venues"], json!([baokang.id]));
    assert_eq!(fx.app.audit_entries_of("draw.result").await.len(), 0);

    // The tender is drawn anew, at another sub-venue's or the same one's consent; the new
    // intent names the void draw.
    let second = fx.create_ok(&body).await;
    let second_id = second["draw_id"].as_str().unwrap().to_owned();
    let intents = fx.app.audit_entries_of("draw.intent").await;
    let entry = intents
        .iter()
        .find(|e| e["refs"]["draw"] == second_id.as_str())
        .unwrap();
    assert_eq!(entry["refs"]["after_void"], id.as_str());
    let requests = draw_requests(&sites, &second_id).await;
    answer(&sites, &baokang.center, &requests[0].1, "accept", json!({})).await;
    assert_eq!(
        fx.contribute(&fx.center, &second_id).await.status(),
        StatusCode::OK
    );
    assert_eq!(fx.view(&second_id).await["status"], "drawn");

    // The log review counts the void draw apart: no re-roll, no root draw without a result.
    let report = log_review_passes(fx, "export").await;
    assert!(report.contains("OK 2 root draws"), "{report}");
    assert!(report.contains("1 void root draws"), "{report}");
}

/// `sealdraw audit draws` over an export of the whole log (into `name` under the app's
/// directory) finds nothing — among other things, that every result came after the answers
/// of the sub-venues it relies on and lists exactly the random candidates that accepted. Its
/// report.
async fn log_review_passes(fx: &DrawFixture, name: &str) -> String {
    let key = fx.app.state.audit.vkeys();
    let key = key.lines().next().unwrap().to_owned();
    let out = fx.app.dir.path().join(name);
    let export = run_cli(
        &fx.app,
        &["audit", "export", "--out", out.to_str().unwrap()],
        None,
    );
    assert!(export.status.success(), "{}", stdout_of(&export));
    let review = run_cli(
        &fx.app,
        &["audit", "draws", out.to_str().unwrap(), "--key", &key],
        None,
    );
    let report = stdout_of(&review);
    assert!(review.status.success(), "{report}");
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.starts_with("OK "), "{report}");
    report
}

#[tokio::test]
async fn bad_venue_bindings_get_a_4xx_naming_the_field_and_write_nothing() {
    let sites = Sites::new(&[
        ("center-baokang", "保康 远程评标室", "420626"),
        ("center-yichang", "宜昌 远程评标室", "420502"),
    ])
    .await;
    let fx = &sites.fx;
    let app = &fx.app;
    let (main, baokang, yichang) = (
        sites.main.clone(),
        sites.subs[0].clone(),
        sites.subs[1].clone(),
    );
    let closed = register(app, &fx.center, "江夏 评标室", "420115", 4).await;
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/venues/{}", closed.id),
        Some(&fx.center),
    )
    .json(&json!({"status": "closed_for_maintenance"}))
    .send()
    .await
    .unwrap();
    let local = register(app, &fx.center, "洪山 本地评标室", "420111", 4).await;
    app.request(
        reqwest::Method::PATCH,
        &format!("/api/v1/venues/{}", local.id),
        Some(&fx.center),
    )
    .json(&json!({"remote_capable": false}))
    .send()
    .await
    .unwrap();
    let entries = app.entries_written_by_requests().await;
    let unknown = Venue {
        id: uuid::Uuid::now_v7().to_string(),
        ..main.clone()
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        // An unknown venue.
        (
            json!([stratum(&main, 3, None), stratum(&unknown, 2, None)]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].venue_id",
        ),
        // Closed, or unable to host remote sessions.
        (
            json!([stratum(&closed, 3, None), stratum(&baokang, 2, None)]),
            StatusCode::CONFLICT,
            "strata[0].venue_id",
        ),
        (
            json!([stratum(&local, 3, None), stratum(&baokang, 2, None)]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[0].venue_id",
        ),
        // No venue of the requester's own: no main venue.
        (
            json!([stratum(&yichang, 3, None), stratum(&baokang, 2, None)]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[0].venue_id",
        ),
        // More seats than the venue has workstations.
        (
            json!([stratum(&main, 3, None), stratum(&baokang, 5, None)]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].count",
        ),
        // A stratum rule that matches nobody: Xiangyang's venue, Yichang's experts.
        (
            json!([stratum(&main, 3, None), {"specialty_prefixes": ["A01"], "count": 2,
                   "reserves": 1, "venue_id": baokang.id, "regions_require": ["4205"]}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].regions_require",
        ),
        // County scope (experts are recorded by prefecture), a scope without a venue, and a
        // draw binding only some strata.
        (
            json!([
                stratum(&main, 3, None),
                stratum(&baokang, 2, Some("county"))
            ]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].venue_scope",
        ),
        (
            json!([stratum(&main, 3, None), {"specialty_prefixes": ["A01"], "count": 2,
                   "reserves": 1, "venue_scope": "province"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].venue_scope",
        ),
        (
            json!([stratum(&main, 3, None), {"specialty_prefixes": ["A01"], "count": 2,
                   "reserves": 1}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strata[1].venue_id",
        ),
        // A scope that is none of the three.
        (
            json!([stratum(&main, 3, None), stratum(&baokang, 2, Some("city"))]),
            StatusCode::BAD_REQUEST,
            "",
        ),
    ];
    for (strata, status, field) in cases {
        let response = fx.create(&sites.request(strata.clone())).await;
        let problem = assert_problem(response, status).await;
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{strata}: {problem}");
        }
    }
    // A distributed draw has no venues.
    let mut distributed =
        sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 2, None)]));
    distributed["mode"] = json!("distributed");
    distributed
        .as_object_mut()
        .unwrap()
        .remove("project_region");
    let problem = assert_problem(
        fx.create(&distributed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["field"], "strata[0].venue_id");
    // A venue in the project's own city draws nobody there: refused naming the venue.
    let mut in_project =
        sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 2, None)]));
    in_project["project_region"] = json!("420100");
    let problem = assert_problem(
        fx.create(&in_project).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["field"], "strata[0].venue_id", "{problem}");

    // Nothing was written: no draw, no booking, no consent request, no entry.
    assert_eq!(
        app.get_json("/api/v1/draws", Some(&fx.center)).await,
        json!([])
    );
    assert_eq!(app.entries_written_by_requests().await, entries);
    assert!(draw_requests(&sites, "any").await.is_empty());
    for venue in [&main, &baokang] {
        let list = app
            .get_json("/api/v1/venue-requests", Some(&venue.center))
            .await;
        assert_eq!(list, json!([]));
    }

    // A sub-venue full in the window: 409 naming the stratum's venue, nothing written.
    let first = fx
        .create_ok(&sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 3, None)])))
        .await;
    assert_eq!(free(fx, &baokang, &first).await, 1);
    let entries = app.entries_written_by_requests().await;
    let problem = assert_problem(
        fx.create(&sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 2, None)])))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:venue-full");
    assert_eq!(problem["field"], "strata[1].venue_id");
    assert_eq!(app.entries_written_by_requests().await, entries);
}

/// `draw`'s view once `done` holds: the executor acts on its own pass, which a busy machine
/// may delay by seconds (at most 30 s here).
async fn settled(fx: &DrawFixture, draw: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut view = fx.view(draw).await;
    for _ in 0..300 {
        if done(&view) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        view = fx.view(draw).await;
    }
    view
}

/// A stratum of `count` (reserves 1) under A01 whose sub-venue is chosen at random in
/// `regions`.
fn random_stratum(count: u32, regions: &[&str]) -> Value {
    json!({"specialty_prefixes": ["A01"], "count": count, "reserves": 1,
           "venue_random": {"regions": regions}})
}

/// The candidates' ids of `view`'s stratum `i`, each with its consent.
fn candidate_consents(view: &Value, i: usize) -> Vec<(String, String)> {
    view["strata"][i]["venue_random"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["venue_id"].as_str().unwrap().to_owned(),
                c["consent"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_sub_venue_chosen_at_random_is_asked_with_the_intent_chosen_by_the_seed_and_recomputed_offline()
 {
    // Three venues of other centers in 宜昌 and 襄阳; one in 孝感 (outside the regions) and one
    // in 襄阳 too small for the stratum are no candidates.
    let sites = Sites::new(&[
        ("center-yichang", "宜昌 远程评标室", "420502"),
        ("center-xiangyang", "襄阳 远程评标室", "420602"),
        ("center-zaoyang", "枣阳 远程评标室", "420683"),
        ("center-xiaogan", "孝感 远程评标室", "420902"),
    ])
    .await;
    let fx = &sites.fx;
    let app = &fx.app;
    let (_, small_bearer) = app.account_with_token("center-gucheng", Role::Center).await;
    let small = register(app, &small_bearer, "谷城 评标室", "420625", 1).await;
    let logins = expert_logins(fx).await;
    let main = sites.main.clone();
    let body = sites.request(json!([
        stratum(&main, 3, None),
        random_stratum(2, &["4205", "4206"])
    ]));
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();

    // The intent commits the candidates (by id) and the stratum's regions; no venue yet.
    let mut expected: Vec<(String, &str)> = vec![
        (sites.subs[0].id.clone(), "420502"),
        (sites.subs[1].id.clone(), "420602"),
        (sites.subs[2].id.clone(), "420683"),
    ];
    expected.sort();
    let committed = &created["intent"]["strata"][1];
    assert_eq!(
        committed["venue_candidates"],
        json!(
            expected
                .iter()
                .map(|(id, region)| json!({"venue_id": id, "venue_region": region}))
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(committed["regions_require"], json!(["4205", "4206"]));
    assert_eq!(committed.get("venue_id"), None);
    assert_eq!(created["strata"][1].get("venue"), None);
    let random = &created["strata"][1]["venue_random"];
    assert_eq!(random["regions"], json!(["4205", "4206"]));
    assert_eq!(random.get("chosen"), None);
    assert!(
        candidate_consents(&created, 1)
            .iter()
            .all(|(_, consent)| consent == "pending")
    );
    // Each candidate holds the stratum's two workstations and its center is asked; the
    // others are not.
    for venue in &sites.subs[..3] {
        assert_eq!(free(fx, venue, &created).await, 2, "{}", venue.name);
    }
    assert_eq!(free(fx, &sites.subs[3], &created).await, 4);
    assert_eq!(free(fx, &small, &created).await, 1);
    let requests = draw_requests(&sites, &id).await;
    assert_eq!(requests.len(), 3);
    // Each center asked is told which tender it would host.
    for (_, request) in &requests {
        assert_eq!(request["tender_name"], body["tender_name"], "{request}");
    }

    // 宜昌 refuses; the others accept. Execution waits for every answer.
    let response = fx.contribute(&fx.center, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    for (bearer, request) in &requests {
        let view = fx.view(&id).await;
        assert_eq!(
            view["status"], "awaiting_entropy",
            "waits for every candidate"
        );
        if *bearer == sites.subs[0].center {
            answer(
                &sites,
                bearer,
                request,
                "refuse",
                json!({"reason": "当天已有评标"}),
            )
            .await;
        } else {
            answer(&sites, bearer, request, "accept", json!({})).await;
        }
    }
    // The executor runs it on its next pass; a busy machine may take seconds to get there.
    let view = settled(fx, &id, |view| view["status"] == "drawn").await;
    assert_eq!(view.get("void"), None);

    // The venue chosen is an accepting candidate, shown as chosen at random; the others'
    // workstations are free again.
    let chosen = view["strata"][1]["venue_random"]["chosen"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        chosen, sites.subs[0].id,
        "the refusing candidate is never chosen"
    );
    assert!(sites.subs[1..3].iter().any(|v| v.id == chosen));
    let seated = &view["strata"][1]["venue"];
    assert_eq!(seated["venue_id"], chosen.as_str());
    assert_eq!(seated["chosen_at_random"], true);
    assert_eq!(seated["role"], "sub");
    assert_eq!(seated["consent"], "accepted");
    let consents: HashMap<String, String> = candidate_consents(&view, 1).into_iter().collect();
    assert_eq!(consents[&sites.subs[0].id], "refused");
    for venue in &sites.subs[..3] {
        let held = if venue.id == chosen { 2 } else { 4 };
        assert_eq!(free(fx, venue, &view).await, held, "{}", venue.name);
    }

    // The record says which candidates accepted and which was chosen; both verifiers
    // recompute the choice from the seed, and refuse a record claiming the other one.
    let record: Value = app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    let result = &record["draws"][0]["result"][1];
    assert_eq!(result["venue_id"], chosen.as_str());
    let mut accepted: Vec<String> = sites.subs[1..3].iter().map(|v| v.id.clone()).collect();
    accepted.sort();
    assert_eq!(result["venue_accepted"], json!(accepted));
    assert_live_record_verifies(fx, &record, "0 replacements");
    let other = accepted.iter().find(|a| **a != chosen).unwrap();
    let mut moved = record.clone();
    moved["draws"][0]["result"][1]["venue_id"] = json!(other);
    both_verifiers_refuse(fx, &moved, "MISMATCH draws[0].result[1].venue_id: ");

    // The stratum's experts come from its regions, their invitations name the chosen venue,
    // and the session seats them there.
    fx.confirm_all(&id).await;
    let root = candidates(fx, &id).await;
    let mut at_chosen = Vec::new();
    for seat in view["seats"].as_array().unwrap() {
        let (expert, region) = &root[seat["token"].as_str().unwrap()];
        if seat["stratum"] == 1 {
            assert!(
                region.starts_with("4205") || region.starts_with("4206"),
                "{region}"
            );
            if seat["state"] != "reserve" {
                at_chosen.push(expert.clone());
            }
        }
    }
    assert_eq!(at_chosen.len(), 2);
    let chosen_venue = sites.venue(&chosen).clone();
    for expert in &at_chosen {
        let bearer = &logins.iter().find(|(id, _)| id == expert).unwrap().1;
        let mine = app.get_json("/api/v1/me/invitations", Some(bearer)).await;
        let accepted: Vec<&Value> = mine
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["state"] == "accepted")
            .collect();
        assert_eq!(accepted.len(), 1, "{mine}");
        assert_eq!(accepted[0]["venue"], chosen_venue.name.as_str());
        assert_eq!(accepted[0]["venue_address"], chosen_venue.address.as_str());
    }

    // Seats vacated in the stratum go to its reserve, then to a linked draw: both at the
    // chosen venue, from the stratum's regions.
    let mut linked = None;
    for _ in 0..2 {
        fx.confirm_all(&id).await;
        let view = fx.view(&id).await;
        let token = view["seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stratum"] == 1 && s["state"] == "confirmed")
            .unwrap()["token"]
            .clone();
        let outcome = fx.vacate(&id, token.as_str().unwrap(), "withdrew").await;
        linked = outcome["linked_draw"].as_str().map(str::to_owned);
    }
    let linked = linked.expect("the second vacancy starts a linked draw");
    let linked_view = fx.view(&linked).await;
    assert_eq!(
        linked_view["strata"][0]["venue"]["venue_id"],
        chosen.as_str()
    );
    assert_eq!(linked_view["strata"][0]["venue"]["chosen_at_random"], true);
    assert_eq!(
        linked_view["intent"]["strata"][0]["regions_require"],
        json!(["4205", "4206"])
    );
    assert_eq!(
        fx.contribute(&fx.center, &linked).await.status(),
        StatusCode::OK
    );
    fx.confirm_all(&id).await;
    fx.confirm_all(&linked).await;
    let extra = candidates(fx, &linked).await;
    for seat in linked_view_seats(fx, &linked).await {
        let (expert, region) = &extra[seat["token"].as_str().unwrap()];
        assert!(
            region.starts_with("4205") || region.starts_with("4206"),
            "{region}"
        );
        if seat["state"] == "confirmed" {
            let bearer = &logins.iter().find(|(id, _)| id == expert).unwrap().1;
            let mine = app.get_json("/api/v1/me/invitations", Some(bearer)).await;
            let venues: Vec<&Value> = mine
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["state"] == "accepted")
                .map(|i| &i["venue"])
                .collect();
            assert_eq!(venues, vec![&json!(chosen_venue.name)], "{mine}");
        }
    }

    let mut body = bidders_and_criteria();
    body["draw_id"] = json!(id);
    body["supervisors"] = json!(["supervisor"]);
    let response = app.post("/api/v1/sessions", Some(&fx.center), &body).await;
    let status = response.status();
    let session: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let venues = session["venues"].as_array().unwrap();
    assert_eq!(venues.len(), 2);
    assert_eq!(venues[0]["venue_id"], main.id.as_str());
    assert_eq!(venues[1]["venue_id"], chosen.as_str());
    assert_eq!(venues[1]["seats"], 2);

    // The log bears the choice out: every candidate answered before the result, which lists
    // exactly those that accepted (the linked draw at the chosen venue included).
    let report = log_review_passes(fx, "export").await;
    assert!(
        report.contains("OK 1 root draws, 1 linked draws"),
        "{report}"
    );

    // A result leaving out a candidate that accepted (which could move the choice) does not:
    // the record alone cannot show it, the log's answers do.
    let result = app.audit_entries_of("draw.result").await;
    let result = result
        .iter()
        .find(|e| e["refs"]["draw"] == id.as_str())
        .unwrap();
    let mut data = result["data"].clone();
    data["result"][1]["venue_accepted"] = json!([chosen]);
    let mut forged = sealdraw::audit::AuditEntry::new(
        "draw.result",
        app.clock.now_millis(),
        sealdraw::audit::Actor::System,
    )
    .reference("draw", &id);
    for (name, value) in data.as_object().unwrap() {
        forged = forged.data(name, value);
    }
    let mut tx = app.state.store.write().await.unwrap();
    sealdraw::audit::append(&mut tx, &forged).await.unwrap();
    tx.commit().await.unwrap();
    let key = app.state.audit.vkeys();
    let key = key.lines().next().unwrap().to_owned();
    let out = app.dir.path().join("forged");
    let export = run_cli(
        app,
        &["audit", "export", "--out", out.to_str().unwrap()],
        None,
    );
    assert!(export.status.success(), "{}", stdout_of(&export));
    let review = run_cli(
        app,
        &["audit", "draws", out.to_str().unwrap(), "--key", &key],
        None,
    );
    let report = stdout_of(&review);
    assert_eq!(review.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!(
            "VENUE ANSWERS draw {id}: stratum 1: the result says venue_accepted"
        )),
        "{report}"
    );
}

#[tokio::test]
async fn a_draw_whose_every_random_candidate_refused_is_void_and_bad_random_requests_are_refused() {
    let sites = Sites::new(&[
        ("center-yichang", "宜昌 远程评标室", "420502"),
        ("center-xiangyang", "襄阳 远程评标室", "420602"),
    ])
    .await;
    let fx = &sites.fx;
    let app = &fx.app;
    let main = sites.main.clone();
    let entries = app.entries_written_by_requests().await;
    let cases: Vec<(Value, &str)> = vec![
        // A named venue and a random choice at once.
        (
            json!([stratum(&main, 3, None), {"specialty_prefixes": ["A01"], "count": 2,
                   "reserves": 1, "venue_id": sites.subs[0].id,
                   "venue_random": {"regions": ["4205"]}}]),
            "strata[1].venue_random",
        ),
        // No region, a region that is not Hubei's, a region with no venue.
        (
            json!([stratum(&main, 3, None), random_stratum(2, &[])]),
            "strata[1].venue_random.regions",
        ),
        (
            json!([stratum(&main, 3, None), random_stratum(2, &["4299"])]),
            "strata[1].venue_random.regions[0]",
        ),
        (
            json!([stratum(&main, 3, None), random_stratum(2, &["4203"])]),
            "strata[1].venue_random.regions",
        ),
        // More workstations than any candidate has.
        (
            json!([
                stratum(&main, 3, None),
                random_stratum(5, &["4205", "4206"])
            ]),
            "strata[1].venue_random.regions",
        ),
        // The main venue is never chosen at random: a draw needs one of the center's own.
        (
            json!([
                random_stratum(3, &["4205"]),
                stratum(&sites.subs[1], 2, None)
            ]),
            "strata[0].venue_random",
        ),
        // Two strata chosen at random among one center's rooms.
        (
            json!([
                stratum(&main, 1, None),
                random_stratum(1, &["4205"]),
                random_stratum(1, &["4205", "4206"])
            ]),
            "strata[2].venue_random.regions",
        ),
        // A scope belongs to a named venue.
        (
            json!([stratum(&main, 3, None), {"specialty_prefixes": ["A01"], "count": 2,
                   "reserves": 1, "venue_scope": "province",
                   "venue_random": {"regions": ["4205"]}}]),
            "strata[1].venue_scope",
        ),
    ];
    for (strata, field) in cases {
        let response = fx.create(&sites.request(strata.clone())).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{strata}: {problem}");
    }
    assert_eq!(
        app.get_json("/api/v1/draws", Some(&fx.center)).await,
        json!([])
    );
    assert_eq!(app.entries_written_by_requests().await, entries);

    // Both candidates refuse: the stratum can sit nowhere, so the unexecuted draw is void.
    let created = fx
        .create_ok(&sites.request(json!([
            stratum(&main, 3, None),
            random_stratum(2, &["4205", "4206"])
        ])))
        .await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    let requests = draw_requests(&sites, &id).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(
        fx.contribute(&fx.center, &id).await.status(),
        StatusCode::OK
    );
    answer(
        &sites,
        &requests[0].0,
        &requests[0].1,
        "refuse",
        json!({"reason": "设备检修"}),
    )
    .await;
    let view = fx.view(&id).await;
    assert_eq!(view.get("void"), None, "one has not answered");
    assert_eq!(
        view["strata"][1]["venue_random"]["candidates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    answer(
        &sites,
        &requests[1].0,
        &requests[1].1,
        "refuse",
        json!({"reason": "无空闲座席"}),
    )
    .await;
    let view = settled(fx, &id, |view| view.get("void").is_some()).await;
    assert_eq!(view["void"]["reason"], "venue_refused", "{view}");
    assert_eq!(view["result_index"], Value::Null);
    assert_eq!(app.audit_entries_of("draw.result").await.len(), 0);
    assert_eq!(free(fx, &main, &created).await, 10);
}

#[tokio::test]
async fn a_draw_whose_sub_venue_has_not_answered_when_the_evaluation_is_due_is_void() {
    let sites = Sites::new(&[("center-baokang", "保康 远程评标室", "420626")]).await;
    let fx = &sites.fx;
    let (main, baokang) = (sites.main.clone(), sites.subs[0].clone());
    let created = fx
        .create_ok(&sites.request(json!([stratum(&main, 3, None), stratum(&baokang, 2, None)])))
        .await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    assert_eq!(
        fx.contribute(&fx.center, &id).await.status(),
        StatusCode::OK
    );
    let requests = draw_requests(&sites, &id).await;
    assert_eq!(requests.len(), 1);

    // Until the evaluation is due the draw waits for 保康's answer (the clock moves in steps a
    // signed-in user's token outlives)…
    let start = chrono::DateTime::parse_from_rfc3339(created["evaluation_start"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    while fx.app.clock.now_millis() + 10 * 60_000 < start {
        fx.app
            .clock
            .advance(std::time::Duration::from_secs(10 * 60));
        assert_eq!(fx.app.state.draws.execute_overdue().await.unwrap(), 0);
        let view = fx.view(&id).await;
        assert_eq!(view["status"], "awaiting_entropy");
        assert_eq!(view.get("void"), None);
        fx.app
            .get_json("/api/v1/venues", Some(&baokang.center))
            .await;
    }

    // …but once it is due nobody can be invited to it: the draw is void, its workstations
    // free, and the late answer is refused.
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(10 * 60));
    let view = settled(fx, &id, |view| view.get("void").is_some()).await;
    assert_eq!(view["void"]["reason"], "venue_unanswered", "{view}");
    assert_eq!(view["result_index"], Value::Null);
    assert_eq!(view["strata"][1]["venue"]["consent"], "withdrawn");
    assert_eq!(free(fx, &main, &created).await, 10);
    assert_eq!(free(fx, &baokang, &created).await, 4);
    let voided = fx.app.audit_entries_of("draw.voided").await;
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0]["data"]["reason"], "venue_unanswered");
    assert_eq!(voided[0]["data"]["venues"], json!([baokang.id]));
    let late = requests[0].1["request_id"].as_str().unwrap();
    let response = fx
        .app
        .post(
            &format!("/api/v1/venue-requests/{late}/accept"),
            Some(&baokang.center),
            &json!({}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(fx.app.audit_entries_of("draw.result").await.len(), 0);
}

#[tokio::test]
async fn two_sub_venues_chosen_at_random_in_regions_of_different_centers_seat_3_1_and_1() {
    let sites = Sites::new(&[
        ("center-yichang", "宜昌 远程评标室", "420502"),
        ("center-xiangyang", "襄阳 远程评标室", "420602"),
    ])
    .await;
    let fx = &sites.fx;
    let main = sites.main.clone();
    let created = fx
        .create_ok(&sites.request(json!([
            stratum(&main, 3, None),
            random_stratum(1, &["4205"]),
            random_stratum(1, &["4206"])
        ])))
        .await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    for (i, venue) in [(1, &sites.subs[0]), (2, &sites.subs[1])] {
        let committed = &created["intent"]["strata"][i]["venue_candidates"];
        assert_eq!(committed[0]["venue_id"], venue.id.as_str(), "stratum {i}");
        assert_eq!(committed.as_array().unwrap().len(), 1, "stratum {i}");
    }
    for (bearer, request) in draw_requests(&sites, &id).await {
        answer(&sites, &bearer, &request, "accept", json!({})).await;
    }
    assert_eq!(
        fx.contribute(&fx.center, &id).await.status(),
        StatusCode::OK
    );
    let view = settled(fx, &id, |view| view["status"] == "drawn").await;
    assert_eq!(view["status"], "drawn", "{view}");
    for (i, venue) in [(1, &sites.subs[0]), (2, &sites.subs[1])] {
        assert_eq!(view["strata"][i]["venue"]["venue_id"], venue.id.as_str());
        assert_eq!(view["strata"][i]["venue"]["chosen_at_random"], true);
    }
    let record: Value = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    assert_live_record_verifies(fx, &record, "0 replacements");
    fx.confirm_all(&id).await;
    let mut body = bidders_and_criteria();
    body["draw_id"] = json!(id);
    body["supervisors"] = json!(["supervisor"]);
    let response = fx
        .app
        .post("/api/v1/sessions", Some(&fx.center), &body)
        .await;
    let status = response.status();
    let session: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let seats: Vec<(String, u64)> = session["venues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["venue_id"].as_str().unwrap().to_owned(),
                v["seats"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seats,
        [
            (main.id.clone(), 3),
            (sites.subs[0].id.clone(), 1),
            (sites.subs[1].id.clone(), 1)
        ]
    );
}
