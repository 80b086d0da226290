//! The venue catalogue (docs/VENUES.md): centers register and change their evaluation rooms
//! under the roles' rules with every change logged; bad input is refused naming its field and
//! writes nothing; sessions hold catalogue venues' workstations for their evaluation window, a
//! full venue refuses the next session naming the window, concurrent sessions never overbook a
//! room; a sub-venue's center accepts or refuses (freeing the workstations), and check-in waits
//! for its consent. (A holder cancelling its bookings, which no route offers yet, is tested
//! beside `VenueService`.)

use reqwest::{Method, StatusCode};
use sealdraw::auth::Role;
use sealdraw::session::protocol::Request;
use sealdraw::session::rules::Phase;
use sealdraw::terminal::client::SessionClient;
use sealdraw::venue::{ConsentState, Holder};
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use crate::helpers::*;
use crate::sessions::{bidders_and_criteria, ok, refused};

/// A venue body with the given name, county and workstations; remote-capable and open.
fn venue(name: &str, region_code: &str, workstations: u32) -> Value {
    json!({
        "name": name,
        "address": format!("{name} 地址 1 号"),
        "region_code": region_code,
        "workstations": workstations,
        "remote_capable": true,
    })
}

async fn register(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post("/api/v1/venues", Some(token), body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn patch(app: &TestApp, token: &str, venue_id: &str, body: &Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("/api/v1/venues/{venue_id}"),
        Some(token),
    )
    .json(body)
    .send()
    .await
    .unwrap()
}

/// How many entries venues and sessions have logged. (The notification worker logs its
/// deliveries of the draws' invitations whenever it runs, so the whole log's length is not a
/// measure of what a request wrote.)
async fn venue_and_session_entries(app: &TestApp) -> usize {
    app.audit_entries()
        .await
        .iter()
        .filter(|entry| {
            let kind = entry["type"].as_str().unwrap_or_default();
            kind.starts_with("venue.") || kind.starts_with("session.")
        })
        .count()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn centers_register_and_change_their_own_venues_admins_any_supervisors_read_and_every_change_is_logged()
 {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin", Role::Admin).await;
    let (_, wuhan) = app.account_with_token("center-wuhan", Role::Center).await;
    let (_, xiangyang) = app
        .account_with_token("center-xiangyang", Role::Center)
        .await;
    let (_, supervisor) = app.account_with_token("supervisor", Role::Supervisor).await;
    let (_, expert) = app.account_with_token("expert", Role::Expert).await;

    let xinzhou = register(&app, &wuhan, &venue("新洲 远程评标室", "420117", 12)).await;
    assert_eq!(xinzhou["center"], "center-wuhan");
    assert_eq!(xinzhou["region_name"], "新洲区");
    assert_eq!(xinzhou["prefecture_code"], "420100");
    assert_eq!(xinzhou["prefecture_name"], "武汉市");
    assert_eq!(xinzhou["prefecture_prefix"], "4201");
    assert_eq!(xinzhou["status"], "open");
    assert_eq!(xinzhou["workstations"], 12);
    let xinzhou_id = xinzhou["venue_id"].as_str().unwrap().to_owned();

    // A center registers for itself only; an admin names the center.
    let mut elsewhere = venue("保康 远程评标室", "420626", 6);
    elsewhere["center"] = json!("center-xiangyang");
    let refused = app.post("/api/v1/venues", Some(&wuhan), &elsewhere).await;
    assert_problem(refused, StatusCode::FORBIDDEN).await;
    let unnamed = app
        .post(
            "/api/v1/venues",
            Some(&admin),
            &venue("保康 远程评标室", "420626", 6),
        )
        .await;
    assert_eq!(
        assert_problem(unnamed, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "center"
    );
    let baokang = register(&app, &admin, &elsewhere).await;
    assert_eq!(baokang["center"], "center-xiangyang");
    assert_eq!(baokang["prefecture_name"], "襄阳市");
    let baokang_id = baokang["venue_id"].as_str().unwrap().to_owned();
    let mut closed = venue("江夏 评标室", "420115", 4);
    closed["remote_capable"] = json!(false);
    closed["status"] = json!("closed_for_maintenance");
    register(&app, &wuhan, &closed).await;

    // Supervisors read the catalogue; they and experts change nothing; experts read nothing.
    let by_supervisor = app
        .post(
            "/api/v1/venues",
            Some(&supervisor),
            &venue("x", "420117", 1),
        )
        .await;
    assert_problem(by_supervisor, StatusCode::FORBIDDEN).await;
    assert_problem(
        app.get("/api/v1/venues", Some(&expert)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let all = app.get_json("/api/v1/venues", Some(&supervisor)).await;
    assert_eq!(
        names(&all),
        ["江夏 评标室", "新洲 远程评标室", "保康 远程评标室"],
        "by region code, then name"
    );
    for (query, expected) in [
        ("region=4201", vec!["江夏 评标室", "新洲 远程评标室"]),
        ("region=4206", vec!["保康 远程评标室"]),
        ("region=420626", vec!["保康 远程评标室"]),
        ("region=11", vec![]),
        ("status=open", vec!["新洲 远程评标室", "保康 远程评标室"]),
        ("remote_capable=false", vec!["江夏 评标室"]),
        ("center=center-xiangyang", vec!["保康 远程评标室"]),
        ("center=nobody", vec![]),
        (
            "region=4201&status=open&remote_capable=true",
            vec!["新洲 远程评标室"],
        ),
    ] {
        let list = app
            .get_json(&format!("/api/v1/venues?{query}"), Some(&xiangyang))
            .await;
        assert_eq!(names(&list), expected, "{query}");
    }
    let one = app
        .get_json(&format!("/api/v1/venues/{baokang_id}"), Some(&wuhan))
        .await;
    assert_eq!(one["name"], "保康 远程评标室");

    // A center changes its own venue; not another center's; an admin any.
    let changed = patch(
        &app,
        &wuhan,
        &xinzhou_id,
        &json!({"workstations": 10, "status": "closed_for_maintenance"}),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["workstations"], 10);
    assert_eq!(changed["status"], "closed_for_maintenance");
    let foreign = patch(&app, &wuhan, &baokang_id, &json!({"workstations": 1})).await;
    let problem = assert_problem(foreign, StatusCode::FORBIDDEN).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:not-your-venue");
    let by_admin = patch(
        &app,
        &admin,
        &baokang_id,
        &json!({"address": "保康县城关镇 8 号"}),
    )
    .await;
    assert_eq!(by_admin.status(), StatusCode::OK);
    // A change to nothing writes nothing.
    let entries = venue_and_session_entries(&app).await;
    let same = patch(&app, &wuhan, &xinzhou_id, &json!({"workstations": 10})).await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(venue_and_session_entries(&app).await, entries);
    let missing = patch(
        &app,
        &admin,
        "00000000-0000-0000-0000-000000000000",
        &json!({}),
    )
    .await;
    assert_problem(missing, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get("/api/v1/venues/nothing", Some(&admin)).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let created = app.audit_entries_of("venue.created").await;
    assert_eq!(created.len(), 3);
    assert_eq!(created[1]["refs"]["venue"], baokang_id.as_str());
    assert_eq!(created[1]["data"]["region_code"], "420626");
    assert_eq!(created[1]["data"]["workstations"], 6);
    assert_eq!(created[1]["actor"]["role"], "admin");
    let updated = app.audit_entries_of("venue.updated").await;
    assert_eq!(updated.len(), 2);
    assert_eq!(
        updated[0]["data"]["changes"],
        json!({"workstations": {"from": 12, "to": 10},
               "status": {"from": "open", "to": "closed_for_maintenance"}})
    );
    assert_eq!(updated[1]["actor"]["role"], "admin");
}

#[tokio::test]
async fn bad_venue_input_is_refused_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, center) = app.account_with_token("center", Role::Center).await;
    let existing = register(&app, &center, &venue("新洲 远程评标室", "420117", 12)).await;
    let id = existing["venue_id"].as_str().unwrap().to_owned();
    let entries = venue_and_session_entries(&app).await;

    let long = "评".repeat(101);
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        // Not a county of Hubei: a prefecture, another province, not a code.
        (
            json!({"region_code": "420100"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "region_code",
        ),
        (
            json!({"region_code": "110101"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "region_code",
        ),
        (
            json!({"region_code": "42o117"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "region_code",
        ),
        (
            json!({"workstations": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "workstations",
        ),
        (
            json!({"workstations": 201}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "workstations",
        ),
        (
            json!({"workstations": 5_000_000_000_u64}),
            StatusCode::BAD_REQUEST,
            "workstations",
        ),
        (
            json!({"workstations": -1}),
            StatusCode::BAD_REQUEST,
            "workstations",
        ),
        (
            json!({"name": long}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"name": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"name": "评标室\u{202E}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"address": "x".repeat(201)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "address",
        ),
        (
            json!({"status": "demolished"}),
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (
            json!({"remote_capable": "yes"}),
            StatusCode::BAD_REQUEST,
            "remote_capable",
        ),
        (json!({"seats": 4}), StatusCode::BAD_REQUEST, "seats"),
        // The center's other venue already has the name.
        (
            json!({"name": "新洲 远程评标室"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
    ];
    for (change, status, field) in &cases {
        let mut body = venue("江夏 远程评标室", "420115", 8);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let problem = assert_problem(
            app.post("/api/v1/venues", Some(&center), &body).await,
            *status,
        )
        .await;
        assert_eq!(problem["field"], *field, "POST {change}: {problem}");
        if *status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(
                problem["detail"].as_str().unwrap().starts_with(field),
                "POST {change}: {problem}"
            );
        }
        // The same change to the existing venue (a new name there is no clash).
        if change != &json!({"name": "新洲 远程评标室"}) {
            let problem = assert_problem(patch(&app, &center, &id, change).await, *status).await;
            assert_eq!(problem["field"], *field, "PATCH {change}: {problem}");
        }
    }
    for malformed in ["{\"name\": ", "[]", "null"] {
        let response = app
            .request(Method::POST, "/api/v1/venues", Some(&center))
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
    for query in [
        "region=4",
        "region=42a",
        "status=gone",
        "free_from=2026-11-26T09:00:00Z",
        "free_from=tomorrow&free_until=2026-11-26T09:00:00Z",
        "free_from=2026-11-26T09:00:00Z&free_until=2026-11-26T08:00:00Z",
    ] {
        let response = app
            .get(&format!("/api/v1/venues?{query}"), Some(&center))
            .await;
        assert!(
            response.status().is_client_error(),
            "{query}: {}",
            response.status()
        );
    }

    assert_eq!(
        venue_and_session_entries(&app).await,
        entries,
        "a refusal wrote an entry"
    );
    let list = app.get_json("/api/v1/venues", Some(&center)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0], existing, "a refusal changed the venue");
}

/// A drawn cross-site draw of the fixture's center with every seat confirmed: a committee of 5
/// evaluating two hours from now, for 240 minutes.
async fn completed_draw(fx: &DrawFixture) -> String {
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 5, "reserves": 1 }]));
    body["mode"] = json!("cross_site");
    body["project_region"] = json!("420500");
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&id).await;
    id
}

fn session(draw_id: &str, venues: Value) -> Value {
    let mut body = bidders_and_criteria();
    body["draw_id"] = json!(draw_id);
    body["supervisors"] = json!(["supervisor"]);
    body["venues"] = venues;
    body
}

async fn create_session(fx: &DrawFixture, body: &Value) -> reqwest::Response {
    fx.app
        .post("/api/v1/sessions", Some(&fx.center), body)
        .await
}

async fn created(fx: &DrawFixture, body: &Value) -> Value {
    let response = create_session(fx, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// The workstations of `venue_id` that no booking holds anywhere in `[from, until)`.
async fn free(app: &TestApp, token: &str, venue_id: &str, from: &str, until: &str) -> u64 {
    let response = app
        .request(Method::GET, "/api/v1/venues", Some(token))
        .query(&[("free_from", from), ("free_until", until)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|venue| venue["venue_id"] == venue_id)
        .unwrap()["free_workstations"]
        .as_u64()
        .unwrap()
}

async fn requests(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/venue-requests{query}"), Some(token))
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn answer(
    app: &TestApp,
    token: &str,
    request_id: &str,
    verb: &str,
    body: Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/venue-requests/{request_id}/{verb}"),
        Some(token),
        &body,
    )
    .await
}

async fn connect(fx: &DrawFixture, session_id: &str, bearer: &str) -> SessionClient {
    let ticket = fx
        .app
        .post(
            &format!("/api/v1/sessions/{session_id}/ticket"),
            Some(bearer),
            &json!({}),
        )
        .await;
    assert_eq!(ticket.status(), StatusCode::OK);
    let ticket: Value = ticket.json().await.unwrap();
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
async fn a_session_holds_its_venues_a_full_venue_refuses_the_next_and_a_refused_sub_venue_frees_its_workstations()
 {
    let fx = DrawFixture::new(&experts(60, "A0301")).await;
    let app = &fx.app;
    let (_, baokang_center) = app.account_with_token("center-baokang", Role::Center).await;
    let (_, other_center) = app.account_with_token("center-other", Role::Center).await;
    let main = register(app, &fx.center, &venue("新洲 远程评标室", "420117", 10)).await;
    let main_id = main["venue_id"].as_str().unwrap().to_owned();
    let sub = register(app, &baokang_center, &venue("保康 远程评标室", "420626", 4)).await;
    let sub_id = sub["venue_id"].as_str().unwrap().to_owned();
    let (first, second) = (completed_draw(&fx).await, completed_draw(&fx).await);

    // The first session holds 3 of the sub-venue's 4 workstations; the catalogue's names are
    // the session's labels.
    let session_one = created(
        &fx,
        &session(
            &first,
            json!([{"venue_id": main_id, "seats": 3}, {"venue_id": sub_id, "seats": 3}]),
        ),
    )
    .await;
    let session_one_id = session_one["session_id"].as_str().unwrap().to_owned();
    assert_eq!(session_one["venues"][1]["name"], "保康 远程评标室");
    assert_eq!(session_one["venues"][1]["venue_id"], sub_id.as_str());
    let pending = requests(app, &baokang_center, "?state=requested").await;
    assert_eq!(pending.len(), 1);
    let request_one = pending[0].clone();
    assert_eq!(request_one["venue_id"], sub_id.as_str());
    assert_eq!(request_one["requesting_center"], "center");
    assert_eq!(request_one["venue_center"], "center-baokang");
    assert_eq!(
        request_one["holder"],
        json!({"kind": "session", "id": session_one_id})
    );
    assert_eq!(request_one["workstations"], 3);
    let (from, until) = (
        request_one["window_start"].as_str().unwrap().to_owned(),
        request_one["window_end"].as_str().unwrap().to_owned(),
    );
    assert_eq!(free(app, &fx.center, &sub_id, &from, &until).await, 1);

    // Two more do not fit while the first session holds its three: 409, naming the window, and
    // nothing of the second session is written.
    let entries = venue_and_session_entries(app).await;
    let too_many = session(
        &second,
        json!([{"venue_id": main_id, "seats": 3}, {"venue_id": sub_id, "seats": 2}]),
    );
    let problem = assert_problem(create_session(&fx, &too_many).await, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:venue-full");
    assert_eq!(problem["field"], "venues[1].venue_id");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("4 workstations and 3 of them are held"),
        "{detail}"
    );
    let window = &problem["problems"][0]["window"];
    assert!(
        detail.contains(window["start"].as_str().unwrap()),
        "{detail}"
    );
    assert!(
        window["start"].as_str().unwrap() >= from.as_str(),
        "{problem}"
    );
    assert!(
        window["end"].as_str().unwrap() <= until.as_str(),
        "{problem}"
    );
    assert_eq!(problem["problems"][0]["held"], 3);
    assert_eq!(problem["problems"][0]["requested"], 2);
    assert_eq!(venue_and_session_entries(app).await, entries);
    let sessions = app.get_json("/api/v1/sessions", Some(&fx.center)).await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(requests(app, &baokang_center, "").await.len(), 1);

    // One more fits.
    let session_two = created(
        &fx,
        &session(
            &second,
            json!([{"venue_id": main_id, "seats": 4}, {"venue_id": sub_id, "seats": 1}]),
        ),
    )
    .await;
    let session_two_id = session_two["session_id"].as_str().unwrap().to_owned();
    assert_eq!(free(app, &fx.center, &sub_id, &from, &until).await, 0);
    let pending = requests(app, &baokang_center, "?state=requested").await;
    assert_eq!(pending.len(), 2);
    let request_two = pending
        .iter()
        .find(|r| r["holder"]["id"] == session_two_id.as_str())
        .unwrap()
        .clone();

    // Check-in waits for the sub-venue's consent.
    let contributed = app
        .post(
            &format!("/api/v1/sessions/{session_one_id}/entropy"),
            Some(&fx.center),
            &json!({"entropy": "ab".repeat(32)}),
        )
        .await;
    assert_eq!(contributed.status(), StatusCode::OK);
    let mut host = connect(&fx, &session_one_id, &fx.center).await;
    let waiting = refused(&mut host, Request::Advance { to: Phase::CheckIn }).await;
    assert_eq!(waiting.code, "precondition-failed");
    let missing = waiting.missing.unwrap();
    assert_eq!(missing[0]["code"], "sub-venue-consent", "{missing}");
    assert!(
        missing[0]["detail"]
            .as_str()
            .unwrap()
            .contains("保康 远程评标室 (center-baokang) has not answered yet"),
        "{missing}"
    );

    // Only the venue's center answers: the requester is refused, anyone else sees nothing.
    let id_one = request_one["request_id"].as_str().unwrap();
    assert_problem(
        answer(app, &fx.center, id_one, "accept", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        answer(app, &other_center, id_one, "accept", json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(requests(app, &other_center, "").await.is_empty());
    assert_problem(
        answer(app, &fx.supervisor, id_one, "accept", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(requests(app, &fx.supervisor, "").await.len(), 2);

    let accepted = answer(app, &baokang_center, id_one, "accept", json!({})).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["answered_by"], "center-baokang");
    let again = assert_problem(
        answer(app, &baokang_center, id_one, "accept", json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(again["type"], "urn:sealdraw:problem:already-answered");
    assert!(
        app.state
            .venues
            .consent_outstanding(&Holder::session(&session_one_id))
            .await
            .unwrap()
            .is_empty()
    );
    ok(&mut host, Request::Advance { to: Phase::CheckIn }).await;

    // A refusal needs a reason, frees the workstations, and blocks the session it was for.
    let id_two = request_two["request_id"].as_str().unwrap();
    let no_reason = assert_problem(
        answer(
            app,
            &baokang_center,
            id_two,
            "refuse",
            json!({"reason": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(no_reason["field"], "reason");
    assert_problem(
        answer(app, &baokang_center, id_two, "refuse", json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let refused_view = answer(
        app,
        &baokang_center,
        id_two,
        "refuse",
        json!({"reason": "设备检修"}),
    )
    .await;
    assert_eq!(refused_view.status(), StatusCode::OK);
    let refused_view: Value = refused_view.json().await.unwrap();
    assert_eq!(refused_view["state"], "refused");
    assert_eq!(refused_view["reason"], "设备检修");
    assert_eq!(free(app, &fx.center, &sub_id, &from, &until).await, 1);
    assert_problem(
        answer(app, &baokang_center, id_two, "accept", json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let outstanding = app
        .state
        .venues
        .consent_outstanding(&Holder::session(&session_two_id))
        .await
        .unwrap();
    assert_eq!(outstanding.len(), 1);
    assert_eq!(outstanding[0].state, ConsentState::Refused);
    assert_eq!(outstanding[0].reason.as_deref(), Some("设备检修"));
    let listed = requests(app, &fx.center, "?state=refused").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["reason"], "设备检修");

    // Every step is in the log; the reason only as its digest.
    let booked = app.audit_entries_of("venue.booked").await;
    assert_eq!(booked.len(), 4);
    assert_eq!(booked[1]["refs"]["session"], session_one_id.as_str());
    assert_eq!(booked[1]["refs"]["venue"], sub_id.as_str());
    assert_eq!(booked[1]["data"]["workstations"], 3);
    assert_eq!(booked[1]["data"]["needs_consent"], true);
    assert_eq!(booked[0]["data"]["needs_consent"], false);
    assert_eq!(
        app.audit_entries_of("venue.consent_requested").await.len(),
        2
    );
    let accepted = app.audit_entries_of("venue.consent_accepted").await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["refs"]["venue_request"], id_one);
    let refused_entries = app.audit_entries_of("venue.consent_refused").await;
    assert_eq!(refused_entries.len(), 1);
    assert_eq!(refused_entries[0]["data"]["booking_released"], true);
    assert_eq!(
        refused_entries[0]["data"][suite().digest_field("reason")],
        suite().hex_hash("设备检修".as_bytes())
    );
    assert!(!refused_entries[0].to_string().contains("设备检修"));
    let session_entry = &app.audit_entries_of("session.created").await[0];
    assert_eq!(
        session_entry["data"]["venues"][1]["venue_id"],
        sub_id.as_str()
    );
}

#[tokio::test]
async fn a_session_names_catalogue_venues_by_the_rules_or_is_refused_naming_the_field() {
    let fx = DrawFixture::new(&experts(30, "A0301")).await;
    let app = &fx.app;
    let (_, other) = app.account_with_token("center-b", Role::Center).await;
    app.create_account("center-c", Role::Center).await;
    let own = register(app, &fx.center, &venue("新洲 远程评标室", "420117", 10)).await;
    let own_id = own["venue_id"].as_str().unwrap();
    let own_second = register(app, &fx.center, &venue("江夏 远程评标室", "420115", 10)).await;
    let theirs = register(app, &other, &venue("保康 远程评标室", "420626", 4)).await;
    let theirs_id = theirs["venue_id"].as_str().unwrap();
    let mut local_only = venue("保康 二号室", "420626", 4);
    local_only["remote_capable"] = json!(false);
    let local_only = register(app, &other, &local_only).await;
    let mut shut = venue("保康 三号室", "420626", 4);
    shut["status"] = json!("closed_for_maintenance");
    let shut = register(app, &other, &shut).await;
    let draw = completed_draw(&fx).await;
    let entries = venue_and_session_entries(app).await;

    let cases = [
        // Another center's venue as the main venue.
        (
            json!([{"venue_id": theirs_id, "seats": 3}, {"venue_id": own_id, "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[0].venue_id",
        ),
        // A sub-venue of the host's own.
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": own_second["venue_id"], "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].venue_id",
        ),
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": "0190c0de-0000-7000-8000-000000000000", "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].venue_id",
        ),
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": "no such id", "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].venue_id",
        ),
        // More seats than the room has workstations.
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": theirs_id, "seats": 5}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].seats",
        ),
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": local_only["venue_id"], "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].venue_id",
        ),
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": shut["venue_id"], "seats": 3}]),
            StatusCode::CONFLICT,
            "venues[1].venue_id",
        ),
        // The operator is the venue's center.
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": theirs_id, "operator": "center", "seats": 3}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[1].operator",
        ),
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": theirs_id, "seats": 1}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues",
        ),
        // A venue named twice.
        (
            json!([{"venue_id": own_id, "seats": 3}, {"venue_id": theirs_id, "seats": 2}, {"venue_id": theirs_id, "name": "again", "seats": 2}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "venues[2].venue_id",
        ),
    ];
    for (venues, status, field) in cases {
        let problem = assert_problem(
            create_session(&fx, &session(&draw, venues.clone())).await,
            status,
        )
        .await;
        assert_eq!(problem["field"], field, "{venues}: {problem}");
    }
    assert_eq!(
        venue_and_session_entries(app).await,
        entries,
        "a refusal wrote an entry"
    );
    assert!(requests(app, &other, "").await.is_empty());

    // Catalogue venues and venues named by label and operator mix; the catalogue's name may be
    // replaced by a label of the session's.
    let mixed = created(
        &fx,
        &session(
            &draw,
            json!([{"venue_id": own_id, "name": "主场", "seats": 3},
                   {"venue_id": theirs_id, "seats": 2},
                   {"name": "宜昌 副场", "operator": "center-c", "seats": 2}]),
        ),
    )
    .await;
    assert_eq!(mixed["venues"][0]["name"], "主场");
    assert_eq!(mixed["venues"][1]["venue_id"], theirs_id);
    assert!(mixed["venues"][2].get("venue_id").is_none());
}

#[tokio::test]
async fn concurrent_sessions_never_overbook_a_venue() {
    let fx = DrawFixture::new(&experts(80, "A0301")).await;
    let app = &fx.app;
    let (_, other) = app.account_with_token("center-b", Role::Center).await;
    let main = register(app, &fx.center, &venue("新洲 远程评标室", "420117", 50)).await;
    let sub = register(app, &other, &venue("保康 远程评标室", "420626", 5)).await;
    let mut draws = Vec::new();
    for _ in 0..5 {
        draws.push(completed_draw(&fx).await);
    }
    // Five sessions ask for 2 of the 5 workstations each at once: two fit, whatever the order.
    let bodies: Vec<Value> = draws
        .iter()
        .map(|draw| {
            session(
                draw,
                json!([{"venue_id": main["venue_id"], "seats": 3},
                       {"venue_id": sub["venue_id"], "seats": 2}]),
            )
        })
        .collect();
    let responses =
        futures_util::future::join_all(bodies.iter().map(|body| create_session(&fx, body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 409, 409, 409]);
    let held = requests(app, &other, "").await;
    assert_eq!(held.len(), 2);
    let (from, until) = (
        held[0]["window_start"].as_str().unwrap(),
        held[0]["window_end"].as_str().unwrap(),
    );
    assert_eq!(
        free(app, &other, sub["venue_id"].as_str().unwrap(), from, until).await,
        1
    );
    assert_eq!(app.audit_entries_of("session.created").await.len(), 2);
}

/// Issue 16 §4: postponing a cross-site session moves its catalogue bookings to the new window
/// (the old window's workstations are free again) and asks the sub-venue's center to consent
/// anew; check-in waits for that consent as it did for the first.
#[tokio::test]
async fn a_postponed_session_holds_its_venues_for_the_new_window_and_asks_consent_again() {
    let fx = DrawFixture::new(&experts(60, "A0301")).await;
    let app = &fx.app;
    let (_, baokang_center) = app.account_with_token("center-baokang", Role::Center).await;
    let main = register(app, &fx.center, &venue("新洲 远程评标室", "420117", 10)).await;
    let main_id = main["venue_id"].as_str().unwrap().to_owned();
    let sub = register(app, &baokang_center, &venue("保康 远程评标室", "420626", 4)).await;
    let sub_id = sub["venue_id"].as_str().unwrap().to_owned();
    let draw = completed_draw(&fx).await;
    created(
        &fx,
        &session(
            &draw,
            json!([{"venue_id": main_id, "seats": 3}, {"venue_id": sub_id, "seats": 3}]),
        ),
    )
    .await;
    let first = requests(app, &baokang_center, "?state=requested").await;
    assert_eq!(first.len(), 1);
    let (from, until) = (
        first[0]["window_start"].as_str().unwrap().to_owned(),
        first[0]["window_end"].as_str().unwrap().to_owned(),
    );
    assert_eq!(free(app, &fx.center, &sub_id, &from, &until).await, 1);

    // Postponed by a day, approved by the supervisor.
    let start = chrono::DateTime::parse_from_rfc3339(&from).unwrap();
    let later = (start + chrono::Duration::days(1)).to_rfc3339();
    let request: Value = app
        .post(
            &format!("/api/v1/draws/{draw}/interruptions"),
            Some(&fx.center),
            &json!({"kind": "postpone", "reason": "投诉处理需要时间，评标顺延一天", "evaluation_start": later}),
        )
        .await
        .json()
        .await
        .unwrap();
    let approved = app
        .post(
            &format!(
                "/api/v1/interruptions/{}/decision",
                request["interruption_id"].as_str().unwrap()
            ),
            Some(&fx.supervisor),
            &json!({"approve": true, "reason": "同意评标顺延一天，请各方重新确认"}),
        )
        .await;
    assert_eq!(
        approved.status(),
        StatusCode::OK,
        "{}",
        approved.text().await.unwrap()
    );

    // The old window is free again; the new one holds the same workstations, and 保康 is asked
    // again for it (the first request withdrawn unanswered).
    assert_eq!(free(app, &fx.center, &sub_id, &from, &until).await, 4);
    assert_eq!(free(app, &fx.center, &main_id, &from, &until).await, 10);
    let asked = requests(app, &baokang_center, "?state=requested").await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_ne!(asked[0]["request_id"], first[0]["request_id"]);
    let new_start =
        chrono::DateTime::parse_from_rfc3339(asked[0]["window_start"].as_str().unwrap()).unwrap();
    assert_eq!(new_start, start + chrono::Duration::days(1));
    let (new_from, new_until) = (
        asked[0]["window_start"].as_str().unwrap().to_owned(),
        asked[0]["window_end"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        free(app, &fx.center, &sub_id, &new_from, &new_until).await,
        1
    );
    assert_eq!(
        free(app, &fx.center, &main_id, &new_from, &new_until).await,
        7
    );
    let entry = &app.audit_entries_of("draw.postponed").await[0];
    assert_eq!(entry["data"]["bookings_moved"], 2);
}
