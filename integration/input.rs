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
