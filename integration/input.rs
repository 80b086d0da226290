//! Hostile and careless input: every refusal is a 4xx problem naming the field where there is
//! one, never a 500, and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;

/// One request body and what the server must answer to it.
struct BadBody {
    what: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: StatusCode,
    field: Option<&'static str>,
}

fn json_body(what: &'static str, body: Value, field: &'static str) -> BadBody {
    BadBody {
        what,
        content_type: "application/json",
        body: serde_json::to_vec(&body).unwrap(),
        status: StatusCode::BAD_REQUEST,
        field: Some(field),
    }
}

fn raw_body(
    what: &'static str,
    content_type: &'static str,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
) -> BadBody {
    BadBody {
        what,
        content_type,
        body: body.into(),
        status,
        field: None,
    }
}

/// Bodies every JSON route must refuse; `valid` is a body the route accepts.
fn malformed_bodies(valid: &Value) -> Vec<BadBody> {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let valid = valid.to_string();
    vec![
        raw_body(
            "malformed JSON",
            "application/json",
            r#"{"username": "new.one", "#,
            StatusCode::BAD_REQUEST,
        ),
        raw_body(
            "empty body",
            "application/json",
            "",
            StatusCode::BAD_REQUEST,
        ),
        raw_body("null", "application/json", "null", StatusCode::BAD_REQUEST),
        raw_body(
            "an array",
            "application/json",
            "[]",
            StatusCode::BAD_REQUEST,
        ),
        raw_body(
            "trailing garbage",
            "application/json",
            format!("{valid} tail"),
            StatusCode::BAD_REQUEST,
        ),
        raw_body(
            "nesting deeper than any parser should follow",
            "application/json",
            deep.clone(),
            StatusCode::BAD_REQUEST,
        ),
        BadBody {
            field: Some("username"),
            ..raw_body(
                "deep nesting in a field",
                "application/json",
                format!(r#"{{"username": {deep}}}"#),
                StatusCode::BAD_REQUEST,
            )
        },
        BadBody {
            field: Some("username"),
            ..raw_body(
                "invalid UTF-8 in a field",
                "application/json",
                b"{\"username\": \"\xff\xfe\"}".to_vec(),
                StatusCode::BAD_REQUEST,
            )
        },
        raw_body(
            "text/plain",
            "text/plain",
            valid.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        raw_body(
            "no content type",
            "",
            valid.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        raw_body(
            "a form",
            "application/x-www-form-urlencoded",
            "username=a.b.c&password=x",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ]
}

async fn assert_refused(app: &TestApp, path: &str, token: Option<&str>, case: &BadBody) {
    let mut request = app.request(Method::POST, path, token);
    if !case.content_type.is_empty() {
        request = request.header("content-type", case.content_type);
    }
    let response = request.body(case.body.clone()).send().await.unwrap();
    assert_eq!(response.status(), case.status, "{}: status", case.what);
    assert_security_headers(&response);
    let problem = assert_problem(response, case.status).await;
    assert_eq!(
        problem["field"].as_str(),
        case.field,
        "{}: field in {problem}",
        case.what
    );
}

#[tokio::test]
async fn bad_account_bodies_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.chen", Role::Admin).await;
    let before = app.usernames(&admin).await;

    let valid = json!({"username": "new.one", "role": "expert", "password": PASSWORD});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let center = |name: Value, region: Value| {
        json!({"username": "new.center", "role": "center", "password": PASSWORD,
               "center_name": name, "region_code": region})
    };
    let mut cases = vec![
        json_body(
            "username as a number",
            with("username", json!(5)),
            "username",
        ),
        json_body("role outside the set", with("role", json!("root")), "role"),
        json_body("role as a list", with("role", json!(["admin"])), "role"),
        json_body(
            "password as a list",
            with("password", json!(["x"])),
            "password",
        ),
        json_body("unknown field", with("is_admin", json!(true)), "is_admin"),
        json_body("missing password", without("password"), "password"),
        json_body("missing username", without("username"), "username"),
        json_body(
            "10,000-character username",
            with("username", json!("u".repeat(10_000))),
            "username",
        ),
        json_body(
            "username with a control character",
            with("username", json!("new\u{0}one")),
            "username",
        ),
        json_body(
            "100 KB password",
            with("password", json!("p".repeat(100_000))),
            "password",
        ),
        json_body(
            "short password",
            with("password", json!("short")),
            "password",
        ),
        json_body(
            "center without a region",
            center(json!("Wuhan center"), Value::Null),
            "region_code",
        ),
        json_body(
            "center without a name",
            center(Value::Null, json!("420100")),
            "center_name",
        ),
        json_body(
            "malformed region code",
            center(json!("Wuhan center"), json!("42")),
            "region_code",
        ),
        json_body(
            "10,000-character center name",
            center(json!("c".repeat(10_000)), json!("420100")),
            "center_name",
        ),
        json_body(
            "an expert with a center name",
            with("center_name", json!("Wuhan center")),
            "center_name",
        ),
    ];
    cases.extend(malformed_bodies(&valid));
    for case in &cases {
        assert_refused(&app, "/api/v1/accounts", Some(&admin), case).await;
    }
    assert_eq!(app.usernames(&admin).await, before, "a refused body wrote");

    // The valid body it was all derived from is accepted, so each refusal is about its change.
    let response = app.post("/api/v1/accounts", Some(&admin), &valid).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_login_bodies_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let account = app.create_account("supervisor.li", Role::Supervisor).await;
    let valid = json!({"username": "supervisor.li", "password": PASSWORD, "totp": "123456"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let mut cases = vec![
        json_body(
            "10,000-character username",
            with("username", json!("u".repeat(10_000))),
            "username",
        ),
        json_body(
            "100 KB password",
            with("password", json!("p".repeat(100_000))),
            "password",
        ),
        json_body("long TOTP", with("totp", json!("1".repeat(20))), "totp"),
        json_body("TOTP as a number", with("totp", json!(123456)), "totp"),
        json_body(
            "password as a number",
            with("password", json!(1)),
            "password",
        ),
        json_body("unknown field", with("admin", json!(true)), "admin"),
    ];
    cases.extend(malformed_bodies(&valid));
    for case in &cases {
        assert_refused(&app, "/api/v1/auth/login", None, case).await;
    }
    // None of that counted as a failed login: the account logs in at once.
    let code = app.fresh_totp(&account).unwrap();
    let response = app
        .attempt_login("supervisor.li", PASSWORD, Some(&code))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_oversize_body_gets_413_problem_json_and_nothing_is_written() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.chen", Role::Admin).await;
    let before = app.usernames(&admin).await;
    let limit = app.settings.server.max_body_bytes;
    let oversize = json!({
        "username": "new.big", "role": "center", "password": PASSWORD,
        "center_name": "c".repeat(limit), "region_code": "420100",
    });
    for (path, token) in [
        ("/api/v1/accounts", Some(admin.as_str())),
        ("/api/v1/auth/login", None),
    ] {
        let response = app.post(path, token, &oversize).await;
        assert_security_headers(&response);
        let problem = assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert_eq!(problem["type"], "urn:sealdraw:problem:body-too-large");
    }
    assert_eq!(app.usernames(&admin).await, before);
}

#[tokio::test]
async fn malformed_credentials_and_paths_get_4xx_problems() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.chen", Role::Admin).await;
    for (what, header) in [
        ("basic auth", "Basic YWRtaW46YWRtaW4=".to_owned()),
        ("lower-case scheme", "bearer sdt_x".to_owned()),
        ("short token", "Bearer sdt_short".to_owned()),
        ("huge token", format!("Bearer sdt_{}", "a".repeat(6_000))),
        ("empty token", "Bearer ".to_owned()),
    ] {
        let response = app
            .request(Method::GET, "/api/v1/me", None)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let long_name = "u".repeat(5_000);
    for action in ["disable", "enable", "revoke-tokens"] {
        for name in [long_name.as_str(), "%ff%fe", "..%2F..%2Fetc"] {
            let path = format!("/api/v1/accounts/{name}/{action}");
            let response = app.request(Method::POST, &path, Some(&admin)).send().await;
            let problem = assert_problem(response.unwrap(), StatusCode::NOT_FOUND).await;
            assert_eq!(problem["type"], "urn:sealdraw:problem:not-found", "{path}");
        }
        // A NUL byte is refused for what it is, before any route sees it.
        let path = format!("/api/v1/accounts/nul%00name/{action}");
        let response = app.request(Method::POST, &path, Some(&admin)).send().await;
        let problem = assert_problem(response.unwrap(), StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["field"], "path", "{path}");
    }
}

/// Asserts a refusal naming `field` and the code point `code` ("U+202E").
async fn assert_character_refused(
    response: reqwest::Response,
    status: StatusCode,
    field: &str,
    code: &str,
) {
    let problem = assert_problem(response, status).await;
    assert_eq!(problem["field"], field, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(code),
        "{field}: {detail} does not name {code}"
    );
}

#[tokio::test]
async fn invisible_and_direction_changing_characters_are_refused_in_every_text_field() {
    use crate::draws::{DrawFixture, experts};
    let fx = DrawFixture::with(&experts(15, "A0301"), |settings| {
        // Fifteen experts activate and log in from the test's one address.
        settings.auth.address_attempts_per_minute = 10_000;
    })
    .await;
    let app = &fx.app;
    let entries_before = app.entries_written_by_requests().await;

    let account = json!({"username": "center.rlo", "role": "center", "password": PASSWORD,
        "center_name": "武汉\u{202E}中心", "region_code": "420100"});
    let response = app
        .post("/api/v1/accounts", Some(&fx.admin), &account)
        .await;
    assert_character_refused(response, StatusCode::BAD_REQUEST, "center_name", "U+202E").await;

    let good = fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 1, "reserves": 0 }]));
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, field, code) in [
        (
            with("tender_name", json!("某医院\u{200B}工程")),
            "tender_name",
            "U+200B",
        ),
        (
            with("tender_reference", json!("\u{FEFF}HBGG-1")),
            "tender_reference",
            "U+FEFF",
        ),
        (
            with("venue", json!("\u{2066}评标室\u{2069}")),
            "venue",
            "U+2066",
        ),
        (
            with(
                "avoid_organisations",
                json!([{"name": "某\u{00AD}公司", "credit_code": crate::draws::credit_code("91420100MA4K00001")}]),
            ),
            "avoid_organisations[0].name",
            "U+00AD",
        ),
    ] {
        let response = fx.create(&body).await;
        assert_character_refused(response, StatusCode::UNPROCESSABLE_ENTITY, field, code).await;
    }

    let unseal = json!({"expert_ids": ["someone"], "fields": ["phone"], "valid_minutes": 30,
        "reason": "为核实回避关系\u{200F}需要电话"});
    let response = app
        .post("/api/v1/unseal-requests", Some(&fx.supervisor), &unseal)
        .await;
    assert_character_refused(response, StatusCode::BAD_REQUEST, "reason", "U+200F").await;

    let publication = json!({"reason": "结果公示需要公布名单\u{2060}"});
    let response = app
        .post(
            "/api/v1/draws/someone/publication",
            Some(&fx.center),
            &publication,
        )
        .await;
    assert_character_refused(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason",
        "U+2060",
    )
    .await;

    assert_eq!(
        app.entries_written_by_requests().await,
        entries_before,
        "a refusal wrote to the log"
    );

    let (_, expert) = crate::invitations::expert_logins(&fx).await.remove(0);
    let entries_before = app.entries_written_by_requests().await;
    let response = app
        .request(Method::PATCH, "/api/v1/me/expert", Some(&expert))
        .json(&json!({"address": "武汉市\u{200D}洪山区"}))
        .send()
        .await
        .unwrap();
    assert_character_refused(response, StatusCode::BAD_REQUEST, "address", "U+200D").await;
    // A new e-mail address is asked for by a change request.
    let response = app
        .post(
            "/api/v1/me/expert/change-requests",
            Some(&expert),
            &json!({"contact": {"email": "li\u{200B}@example.cn"}}),
        )
        .await;
    assert_character_refused(response, StatusCode::BAD_REQUEST, "contact.email", "U+200B").await;
    assert_eq!(
        app.entries_written_by_requests().await,
        entries_before,
        "a refusal wrote to the log"
    );

    // A distributed draw of five, for a session.
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A03"], "count": 5, "reserves": 0 }]));
    body["mode"] = json!("distributed");
    body.as_object_mut().unwrap().remove("venue");
    let draw = fx.drawn(&body).await;
    let entries_before = app.entries_written_by_requests().await;
    let session = |bidders: Value, criterion: &str| {
        json!({"draw_id": draw["draw_id"], "supervisors": ["supervisor"], "bidders": bidders,
            "criteria": [{"name": criterion, "max_points": 100}]})
    };
    for (body, field, code) in [
        (
            session(json!(["Bidder A", "Bidder\u{202E}B"]), "technical"),
            "bidders[1]",
            "U+202E",
        ),
        (
            session(json!(["Bidder A"]), "tech\u{FEFF}nical"),
            "criteria[0].name",
            "U+FEFF",
        ),
    ] {
        let response = app.post("/api/v1/sessions", Some(&fx.center), &body).await;
        assert_character_refused(response, StatusCode::UNPROCESSABLE_ENTITY, field, code).await;
    }

    assert_eq!(
        app.entries_written_by_requests().await,
        entries_before,
        "a refusal wrote to the log"
    );
}

#[tokio::test]
async fn a_pool_import_names_the_line_the_field_and_the_refused_character() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.import", Role::Admin).await;
    let people = crate::pool::people(3, 7);
    let file = crate::pool::csv(&people)
        .replacen(&people[1].name, &format!("{}\u{202E}", people[1].name), 1)
        .replacen("武汉某建设集团", "武汉\u{200B}某建设集团", 1);
    let response = crate::pool::import(&app, &admin, file, "text/csv").await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let problems = problem["problems"].as_array().unwrap();
    let named = |line: u64, field: &str, code: &str| {
        problems.iter().any(|p| {
            p["line"] == line
                && p["field"] == field
                && p["problem"].as_str().unwrap().contains(code)
        })
    };
    assert!(named(2, "employer", "U+200B"), "{problems:?}");
    assert!(named(3, "name", "U+202E"), "{problems:?}");
    let listed = app.get_json("/api/v1/experts", Some(&admin)).await;
    assert!(listed["experts"].as_array().unwrap().is_empty());
}
