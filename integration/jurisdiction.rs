//! Supervisors within their jurisdiction (issue 16 §5, 实施条例 §46 ¶4; docs/DRAWS.md,
//! "Jurisdiction"): a draw carries its project's region and industry department; a supervisor
//! scoped to regions and industries sees and acts on the draws, sessions, publications and
//! unsealing of their jurisdiction only (out of it: 404), a province-wide one on all; a
//! project that must be tendered by law waits for a supervisor's contribution from within.

use reqwest::StatusCode;
use sealdraw::auth::Role;
use serde_json::{Value, json};

use crate::draw_rules::expert_ids;
use crate::draws::{DrawFixture, Expert};
use crate::helpers::*;
use crate::sessions::{Committee, Mode, bidders_and_criteria, refused, warn};
use sealdraw::session::protocol::Request;

fn pool() -> Vec<Expert> {
    let mut pool = Vec::new();
    for region in ["420600", "420500"] {
        pool.extend((0..12).map(|_| Expert {
            region,
            ..Expert::plain("A0101")
        }));
    }
    pool
}

/// A supervisor account with `scope` set by the admin: its bearer token.
async fn scoped(fx: &DrawFixture, username: &str, scope: Value) -> String {
    fx.scoped_supervisor(username, scope).await
}

/// A draw for a project in `region` of `industry`.
fn project(fx: &DrawFixture, region: &str, industry: &str, statutory: bool) -> Value {
    let mut body = fx.request(json!([{"specialty_prefixes": ["A01"], "count": 5, "reserves": 1}]));
    body["project_region"] = json!(region);
    body["industry"] = json!(industry);
    body["statutory_tender"] = json!(statutory);
    body
}

#[tokio::test]
async fn a_supervisor_sees_and_acts_only_within_their_jurisdiction_and_a_province_wide_one_everywhere()
 {
    let fx = DrawFixture::new(&pool()).await;
    let app = &fx.app;
    let xiangyang_water = scoped(
        &fx,
        "sup-xiangyang-water",
        json!({"regions": ["4206"], "industries": ["water"]}),
    )
    .await;
    let yichang = scoped(&fx, "sup-yichang", json!({"regions": ["4205"]})).await;
    let accounts = app.get_json("/api/v1/accounts", Some(&fx.admin)).await;
    let listed = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "sup-xiangyang-water")
        .unwrap();
    assert_eq!(
        listed["scope"],
        json!({"regions": ["4206"], "industries": ["water"]})
    );
    let set = app.audit_entries_of("account.scope_set").await;
    assert_eq!(set.len(), 2);
    assert_eq!(set[0]["data"]["industries"], json!(["water"]));

    // A water project in 保康 (襄阳) and a transport project in 宜昌.
    let mut distributed = project(&fx, "420626", "water", false);
    distributed["mode"] = json!("distributed");
    distributed.as_object_mut().unwrap().remove("venue");
    let baokang = fx.drawn(&distributed).await;
    let baokang = baokang["draw_id"].as_str().unwrap().to_owned();
    let created = fx
        .create_ok(&project(&fx, "420502", "transport", false))
        .await;
    let yichang_draw = created["draw_id"].as_str().unwrap().to_owned();
    let intent = app
        .audit_entries_of("draw.intent")
        .await
        .into_iter()
        .find(|e| e["refs"]["draw"] == baokang.as_str())
        .unwrap();
    assert_eq!(intent["data"]["industry"], "water");
    assert_eq!(intent["data"]["jurisdiction_region"], "420626");
    assert_eq!(intent["data"]["statutory_tender"], false);

    // Reads: each sees their own; out of scope is 404, as for a draw that does not exist.
    let ids = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| d["draw_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(app.get_json("/api/v1/draws", Some(&xiangyang_water)).await),
        std::slice::from_ref(&baokang)
    );
    assert_eq!(
        ids(app.get_json("/api/v1/draws", Some(&yichang)).await),
        std::slice::from_ref(&yichang_draw)
    );
    assert_eq!(
        ids(app.get_json("/api/v1/draws", Some(&fx.supervisor)).await).len(),
        2,
        "a province-wide supervisor sees every draw"
    );
    for path in [
        format!("/api/v1/draws/{yichang_draw}"),
        format!("/api/v1/draws/{baokang}/record"),
    ] {
        let own = if path.contains(&baokang) {
            &xiangyang_water
        } else {
            &yichang
        };
        let other = if path.contains(&baokang) {
            &yichang
        } else {
            &xiangyang_water
        };
        assert_eq!(
            app.get(&path, Some(own)).await.status(),
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            app.get(&path, Some(other)).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Acts: a contribution and a recheck out of scope are refused as unknown draws.
    let entropy = json!({"entropy": "ab".repeat(32)});
    let path = format!("/api/v1/draws/{yichang_draw}/entropy");
    assert_problem(
        app.post(&path, Some(&xiangyang_water), &entropy).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.post(&path, Some(&yichang), &entropy).await.status(),
        StatusCode::OK
    );
    let recheck = format!("/api/v1/draws/{baokang}/recheck");
    assert_problem(
        app.post(&recheck, Some(&yichang), &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.post(&recheck, Some(&xiangyang_water), &json!({}))
            .await
            .status(),
        StatusCode::OK
    );

    // A session is supervised from within: naming an out-of-scope supervisor is refused.
    fx.confirm_all(&baokang).await;
    let mut body = bidders_and_criteria();
    body["draw_id"] = json!(baokang);
    body["supervisors"] = json!(["sup-xiangyang-water", "sup-yichang"]);
    let problem = assert_problem(
        app.post("/api/v1/sessions", Some(&fx.center), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["field"], "supervisors[1]", "{problem}");

    // Unsealing: a scoped supervisor may name only experts registered in their regions, and
    // sees and decides only such requests.
    let in_xiangyang = expert_ids(&fx, "420600").await;
    let in_yichang = expert_ids(&fx, "420500").await;
    let unseal = |experts: &[String]| {
        json!({"expert_ids": experts, "fields": ["name"], "reason": "核查投诉所涉专家身份",
               "valid_minutes": 30})
    };
    let problem = assert_problem(
        app.post(
            "/api/v1/unseal-requests",
            Some(&yichang),
            &unseal(&in_xiangyang[..1]),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem["field"], "expert_ids");
    let response = app
        .post(
            "/api/v1/unseal-requests",
            Some(&fx.supervisor),
            &unseal(&in_yichang[..1]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let request: Value = response.json().await.unwrap();
    let request_id = request["request_id"].as_str().unwrap();
    let listed = |list: Value| list.as_array().unwrap().len();
    assert_eq!(
        listed(
            app.get_json("/api/v1/unseal-requests", Some(&xiangyang_water))
                .await
        ),
        0
    );
    assert_eq!(
        listed(
            app.get_json("/api/v1/unseal-requests", Some(&yichang))
                .await
        ),
        1
    );
    let approve = format!("/api/v1/unseal-requests/{request_id}/approve");
    assert_problem(
        app.post(&approve, Some(&xiangyang_water), &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.post(&approve, Some(&yichang), &json!({}))
            .await
            .status(),
        StatusCode::OK
    );

    // Publication: once the evaluation's window has ended the center asks; only a supervisor
    // in scope sees the request and approves it. (The clock moves in steps the signed-in
    // users' tokens outlive.)
    let view = fx.view(&baokang).await;
    let end = chrono::DateTime::parse_from_rfc3339(view["evaluation_start"].as_str().unwrap())
        .unwrap()
        + chrono::Duration::minutes(view["evaluation_minutes"].as_i64().unwrap() + 1);
    while chrono::DateTime::from_timestamp_millis(sealdraw::clock::Clock::now_millis(&app.clock))
        .unwrap()
        < end
    {
        app.clock.advance(std::time::Duration::from_secs(10 * 60));
        for bearer in [&fx.center, &fx.supervisor, &xiangyang_water, &yichang] {
            app.get("/api/v1/me", Some(bearer)).await;
        }
    }
    let response = app
        .post(
            &format!("/api/v1/draws/{baokang}/publication"),
            Some(&fx.center),
            &json!({"reason": "中标候选人公示需要公布评标委员会名单"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        listed(app.get_json("/api/v1/publications", Some(&yichang)).await),
        0
    );
    assert_eq!(
        listed(
            app.get_json("/api/v1/publications", Some(&xiangyang_water))
                .await
        ),
        1
    );
    let approve = format!("/api/v1/draws/{baokang}/publication/approve");
    assert_problem(
        app.post(&approve, Some(&yichang), &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.post(&approve, Some(&xiangyang_water), &json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    let committee = format!("/api/v1/draws/{baokang}/committee");
    assert_problem(
        app.get(&committee, Some(&yichang)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.get(&committee, Some(&xiangyang_water)).await.status(),
        StatusCode::OK
    );

    // Audit log verification stays open to every supervisor.
    assert_eq!(
        app.get("/api/v1/audit/checkpoint", Some(&xiangyang_water))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_project_tendered_by_law_waits_for_a_supervisor_from_its_jurisdiction() {
    let fx = DrawFixture::new(&pool()).await;
    let yichang = scoped(&fx, "sup-yichang", json!({"regions": ["4205"]})).await;
    let xiangyang = scoped(&fx, "sup-xiangyang", json!({"regions": ["4206"]})).await;
    let created = fx.create_ok(&project(&fx, "420626", "water", true)).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    // The center's contribution alone does not execute it.
    let response = fx.contribute(&fx.center, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "awaiting_entropy");
    // A supervisor from elsewhere cannot contribute; one from within completes it.
    assert_eq!(
        fx.contribute(&yichang, &id).await.status(),
        StatusCode::NOT_FOUND
    );
    let response = fx.contribute(&xiangyang, &id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "drawn");
    assert_eq!(view["contributions"].as_array().unwrap().len(), 2);

    // A project not tendered by law executes on the center's contribution, as before.
    let drawn = fx.drawn(&project(&fx, "420626", "water", false)).await;
    assert_eq!(drawn["status"], "drawn");
}

#[tokio::test]
async fn bad_jurisdiction_input_is_refused_naming_the_field_and_writes_nothing() {
    let fx = DrawFixture::new(&pool()).await;
    let app = &fx.app;
    let (_, _) = app.account_with_token("sup-a", Role::Supervisor).await;
    let entries = app.entries_written_by_requests().await;
    let put = |username: &str, body: Value| {
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{username}/scope"),
            Some(&fx.admin),
        )
        .json(&body)
        .send()
    };
    for (username, body, field) in [
        ("sup-a", json!({"regions": ["4299"]}), "regions[0]"),
        ("sup-a", json!({"regions": ["4206", "42062"]}), "regions[1]"),
        // The province is no region to name (leave the list empty), nor is 4290, the group of
        // the four divisions the province administers directly.
        ("sup-a", json!({"regions": ["42"]}), "regions[0]"),
        ("sup-a", json!({"regions": ["4290"]}), "regions[0]"),
        (
            "sup-a",
            json!({"industries": ["water", "roads"]}),
            "industries[1]",
        ),
        ("center", json!({"regions": ["4206"]}), "username"),
    ] {
        let response = put(username, body.clone()).await.unwrap();
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    // Creating an account: a scope only for a supervisor, each value checked by its field.
    for (role, scope, field) in [
        (
            "supervisor",
            json!({"regions": ["429000"]}),
            "scope.regions[0]",
        ),
        (
            "supervisor",
            json!({"industries": ["water", "Roads"]}),
            "scope.industries[1]",
        ),
        ("admin", json!({"regions": ["4206"]}), "scope"),
    ] {
        let body = json!({"username": "sup-b", "role": role, "password": PASSWORD, "scope": scope});
        let response = app.post("/api/v1/accounts", Some(&fx.admin), &body).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    assert_problem(
        put("nobody", json!({})).await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    // Only an admin sets a scope.
    let response = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/accounts/sup-a/scope",
            Some(&fx.supervisor),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN).await;
    // A draw naming an unknown industry.
    let mut body = fx.request(json!([{"specialty_prefixes": ["A01"], "count": 3, "reserves": 1}]));
    body["industry"] = json!("roads");
    let problem = assert_problem(fx.create(&body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "industry");
    // The statutory flag is a boolean: a string is not taken for it.
    body["industry"] = json!("water");
    body["statutory_tender"] = json!("yes");
    let problem = assert_problem(fx.create(&body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["field"], "statutory_tender");
    assert_eq!(app.entries_written_by_requests().await, entries);
    // The list of industries, for pickers.
    let industries = app.get_json("/api/v1/industries", Some(&fx.center)).await;
    assert!(
        industries
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "water" && i["name_zh"] == "水利")
    );
}

/// The admin sets `username`'s scope; the answer's status.
async fn set_scope(fx: &DrawFixture, username: &str, scope: Value) -> StatusCode {
    fx.app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{username}/scope"),
            Some(&fx.admin),
        )
        .json(&scope)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_supervisor_whose_jurisdiction_is_narrowed_past_a_session_no_longer_sees_or_acts_on_it() {
    // A cross-site project in 宜昌 (420500), no industry named; the fixture's supervisor is
    // attached to its session.
    let committee = Committee::new(Mode::CrossSite, 5, 0).await;
    let fx = &committee.fx;
    let app = &fx.app;
    let session = format!("/api/v1/sessions/{}", committee.session_id);
    let listed = |list: Value| list.as_array().unwrap().len();
    assert_eq!(
        set_scope(fx, "supervisor", json!({"regions": ["420500"]})).await,
        StatusCode::NO_CONTENT
    );

    // Within: the session, its list, a ticket, a connection and a warning, a contribution.
    assert_eq!(
        app.get(&session, Some(&fx.supervisor)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        listed(app.get_json("/api/v1/sessions", Some(&fx.supervisor)).await),
        1
    );
    let mut connected = committee.connect(&fx.supervisor).await;
    warn(&mut connected, "请勿交头接耳").await;
    let entropy = json!({"entropy": hex::encode([7u8; 32])});
    assert_eq!(
        app.post(
            &format!("{session}/entropy"),
            Some(&fx.supervisor),
            &entropy
        )
        .await
        .status(),
        StatusCode::OK
    );

    // Narrowed to 襄阳: everything about the session reads as a session that does not exist,
    // and the open connection's requests are refused the same way.
    assert_eq!(
        set_scope(fx, "supervisor", json!({"regions": ["4206"]})).await,
        StatusCode::NO_CONTENT
    );
    let refusal = refused(
        &mut connected,
        Request::Warn {
            text: "再次提醒".into(),
        },
    )
    .await;
    assert_eq!(refusal.code, "no-such-session", "{refusal:?}");
    assert_problem(
        app.get(&session, Some(&fx.supervisor)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        listed(app.get_json("/api/v1/sessions", Some(&fx.supervisor)).await),
        0
    );
    assert_problem(
        committee.ticket(&fx.supervisor).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("{session}/entropy"),
            Some(&fx.supervisor),
            &entropy,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("{session}/report"), Some(&fx.supervisor))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/draws/{}", committee.draw_id),
            Some(&fx.supervisor),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The host is untouched.
    assert_eq!(
        app.get(&session, Some(&fx.center)).await.status(),
        StatusCode::OK
    );

    // An industry-only scope does not cover a draw that named no industry; province-wide
    // again, the supervisor is back.
    assert_eq!(
        set_scope(fx, "supervisor", json!({"industries": ["water"]})).await,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get(&session, Some(&fx.supervisor)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        set_scope(fx, "supervisor", json!({})).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&session, Some(&fx.supervisor)).await.status(),
        StatusCode::OK
    );
    let mut again = committee.connect(&fx.supervisor).await;
    warn(&mut again, "再次提醒").await;
}

#[tokio::test]
async fn an_admin_creates_a_supervisor_with_a_jurisdiction_a_prefecture_covering_its_counties_and_a_county_only_itself()
 {
    let fx = DrawFixture::new(&pool()).await;
    let app = &fx.app;
    let body = json!({"username": "sup-xiangyang", "role": "supervisor", "password": PASSWORD,
                      "scope": {"regions": ["420600", "4206"], "industries": ["water", "water"]}});
    let response = app.post("/api/v1/accounts", Some(&fx.admin), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let secret = totp_rs::Secret::Encoded(created["totp_secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let xiangyang = app
        .login(&TestAccount {
            username: "sup-xiangyang".into(),
            role: Role::Supervisor,
            totp_secret: Some(secret),
        })
        .await;
    // Stored as the prefecture's prefix, once each, and logged with the creation.
    let accounts = app.get_json("/api/v1/accounts", Some(&fx.admin)).await;
    let listed = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "sup-xiangyang")
        .unwrap();
    assert_eq!(
        listed["scope"],
        json!({"regions": ["4206"], "industries": ["water"]})
    );
    let set = app.audit_entries_of("account.scope_set").await;
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["refs"]["account"], created["account_id"]);
    assert_eq!(set[0]["data"]["regions"], json!(["4206"]));
    let baokang = scoped(&fx, "sup-baokang", json!({"regions": ["420626"]})).await;

    // A water project of 保康 is the prefecture's and the county's; one of 襄阳 itself is the
    // prefecture's only; another industry's is neither the prefecture's water supervisor's.
    let in_baokang = fx.create_ok(&project(&fx, "420626", "water", false)).await;
    let in_xiangyang = fx.create_ok(&project(&fx, "420600", "water", false)).await;
    let transport = fx
        .create_ok(&project(&fx, "420626", "transport", false))
        .await;
    let status = |id: &Value, bearer: &str| {
        let path = format!("/api/v1/draws/{}", id.as_str().unwrap());
        let bearer = bearer.to_owned();
        async move { app.get(&path, Some(&bearer)).await.status() }
    };
    assert_eq!(
        status(&in_baokang["draw_id"], &xiangyang).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&in_xiangyang["draw_id"], &xiangyang).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&transport["draw_id"], &xiangyang).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&in_baokang["draw_id"], &baokang).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&in_xiangyang["draw_id"], &baokang).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&transport["draw_id"], &baokang).await,
        StatusCode::OK
    );
    for id in [&in_baokang, &in_xiangyang, &transport] {
        assert_eq!(status(&id["draw_id"], &fx.supervisor).await, StatusCode::OK);
    }
}

/// The directory's usernames of `role`, as the `query` string lists them.
async fn directory(fx: &DrawFixture, bearer: &str, query: &str) -> Vec<(String, String)> {
    let listed = fx
        .app
        .get_json(&format!("/api/v1/accounts/directory{query}"), Some(bearer))
        .await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["username"].as_str().unwrap().to_owned(),
                entry["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn staff_are_picked_by_name_and_a_draws_session_offers_only_supervisors_of_its_jurisdiction()
{
    let fx = DrawFixture::new(&pool()).await;
    let app = &fx.app;
    // An admin gives names: at creation, and later (a change is logged; "" clears it).
    let created = app
        .post(
            "/api/v1/accounts",
            Some(&fx.admin),
            &json!({"username": "sup-xy", "role": "supervisor", "password": PASSWORD,
                    "display_name": "张伟（襄阳市水利局）",
                    "scope": {"regions": ["4206"], "industries": ["water"]}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    scoped(&fx, "sup-yc", json!({"regions": ["4205"]})).await;
    let renamed = app
        .request(
            reqwest::Method::PATCH,
            "/api/v1/accounts/sup-yc",
            Some(&fx.admin),
        )
        .json(&json!({"display_name": "李娜（宜昌市住建局）"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::NO_CONTENT);
    let updated = app.audit_entries_of("account.updated").await;
    assert_eq!(
        updated.last().unwrap()["data"]["display_name"],
        "李娜（宜昌市住建局）"
    );

    // Centers, supervisors and admins read the directory; never experts' accounts.
    let supervisors = directory(&fx, &fx.center, "?role=supervisor").await;
    assert!(supervisors.contains(&("sup-xy".into(), "张伟（襄阳市水利局）".into())));
    assert!(supervisors.contains(&("sup-yc".into(), "李娜（宜昌市住建局）".into())));
    // A supervisor without a display name is shown by username.
    assert!(supervisors.contains(&("supervisor".into(), "supervisor".into())));
    let everyone = directory(&fx, &fx.supervisor, "").await;
    assert!(
        everyone
            .iter()
            .any(|(u, n)| u == "center" && n == "center trading center")
    );
    assert!(everyone.iter().all(|(u, _)| !u.starts_with("expert-")));
    let (_, expert) = app.account_with_token("expert-like", Role::Expert).await;
    let refused = app.get("/api/v1/accounts/directory", Some(&expert)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // For a Xiangyang water project: the province-wide supervisor and Xiangyang's water one.
    let mut body = fx.request(json!([{"specialty_prefixes": ["A01"], "count": 5, "reserves": 1}]));
    body["project_region"] = json!("420600");
    body["industry"] = json!("water");
    let draw = fx.create_ok(&body).await;
    let draw_id = draw["draw_id"].as_str().unwrap();
    let offered = directory(&fx, &fx.center, &format!("?role=supervisor&draw={draw_id}")).await;
    let usernames: Vec<&str> = offered.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(usernames, ["supervisor", "sup-xy"]);

    // A disabled supervisor is offered nowhere.
    let disabled = app
        .post(
            "/api/v1/accounts/sup-xy/disable",
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::NO_CONTENT);
    let supervisors = directory(&fx, &fx.center, "?role=supervisor").await;
    assert!(supervisors.iter().all(|(u, _)| u != "sup-xy"));

    // Bad input names the field; another center's draw does not exist for this one.
    for (query, field) in [
        ("?role=expert", "role"),
        (&*format!("?draw={draw_id}"), "draw"),
        ("?role=supervisor&colour=red", "query"),
    ] {
        let problem = assert_problem(
            app.get(
                &format!("/api/v1/accounts/directory{query}"),
                Some(&fx.center),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
    let (_, other_center) = app.account_with_token("center-b", Role::Center).await;
    assert_problem(
        app.get(
            &format!("/api/v1/accounts/directory?role=supervisor&draw={draw_id}"),
            Some(&other_center),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Names are for supervisors and admins: a center's is its center name.
    for (username, body) in [
        ("center", json!({"display_name": "某中心"})),
        ("sup-yc", json!({"display_name": "x".repeat(65)})),
        ("sup-yc", json!({"center_name": "某中心"})),
    ] {
        let problem = assert_problem(
            app.request(
                reqwest::Method::PATCH,
                &format!("/api/v1/accounts/{username}"),
                Some(&fx.admin),
            )
            .json(&body)
            .send()
            .await
            .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(
            problem["field"] == "display_name" || problem["field"] == "center_name",
            "{problem}"
        );
    }
}
