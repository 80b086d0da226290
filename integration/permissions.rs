//! Who may call what, for the audit, pool and unseal routes: 401 without a token, 403 for a
//! role not granted, and the route's own answer for a granted role.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use sealdraw::auth::Role;

use Role::{Admin, Center, Expert, Supervisor};

/// (method, path, granted roles, the status a granted role gets with this request).
const ROUTES: &[(&str, &str, &[Role], u16)] = &[
    ("GET", "/api/v1/audit/checkpoint", &[Admin, Supervisor], 200),
    (
        "POST",
        "/api/v1/audit/checkpoint",
        &[Admin, Supervisor],
        200,
    ),
    ("GET", "/api/v1/audit/key", &[Admin, Supervisor], 200),
    ("GET", "/api/v1/audit/entries/0", &[Admin, Supervisor], 200),
    ("GET", "/api/v1/audit/proof/0", &[Admin, Supervisor], 200),
    (
        "GET",
        "/api/v1/audit/consistency?old=1&new=2",
        &[Admin, Supervisor],
        200,
    ),
    (
        "GET",
        "/api/v1/audit/tile/entries/000.p/1",
        &[Admin, Supervisor],
        200,
    ),
    ("POST", "/api/v1/experts/import", &[Admin], 422),
    ("GET", "/api/v1/experts", &[Admin, Supervisor], 200),
    ("GET", "/api/v1/experts/nobody", &[Admin, Supervisor], 404),
    (
        "GET",
        "/api/v1/pool/statistics",
        &[Admin, Supervisor, Center],
        200,
    ),
    (
        "GET",
        "/api/v1/specialties",
        &[Admin, Supervisor, Center],
        200,
    ),
    ("GET", "/api/v1/regions", &[Admin, Supervisor, Center], 200),
    (
        "GET",
        "/api/v1/industries",
        &[Admin, Supervisor, Center],
        200,
    ),
    ("PUT", "/api/v1/accounts/nobody/scope", &[Admin], 404),
    ("POST", "/api/v1/accounts/nobody/activation", &[Admin], 404),
    ("PATCH", "/api/v1/accounts/nobody", &[Admin], 404),
    (
        "GET",
        "/api/v1/accounts/directory",
        &[Admin, Supervisor, Center],
        200,
    ),
    ("GET", "/api/v1/keys", &[Admin, Supervisor], 200),
    ("GET", "/api/v1/unseal-requests", &[Admin, Supervisor], 200),
    ("POST", "/api/v1/unseal-requests", &[Admin, Supervisor], 400),
    (
        "POST",
        "/api/v1/unseal-requests/nothing/approve",
        &[Supervisor],
        404,
    ),
    (
        "POST",
        "/api/v1/unseal-requests/nothing/refuse",
        &[Supervisor],
        400,
    ),
    (
        "GET",
        "/api/v1/unseal-requests/nothing/fields",
        &[Admin, Supervisor],
        404,
    ),
    ("POST", "/api/v1/experts/nobody/penalties", &[Admin], 400),
    ("POST", "/api/v1/me/expert/change-requests", &[Expert], 400),
    (
        "POST",
        "/api/v1/me/expert/change-requests/nothing/withdraw",
        &[Expert],
        404,
    ),
    ("GET", "/api/v1/change-requests", &[Admin], 200),
    ("GET", "/api/v1/change-requests/nothing", &[Admin], 404),
    (
        "POST",
        "/api/v1/change-requests/nothing/approve",
        &[Admin],
        404,
    ),
    (
        "POST",
        "/api/v1/change-requests/nothing/refuse",
        &[Admin],
        400,
    ),
    ("POST", "/api/v1/draws", &[Center], 400),
    ("GET", "/api/v1/draws", &[Center, Supervisor], 200),
    ("GET", "/api/v1/draws/nothing", &[Center, Supervisor], 404),
    (
        "POST",
        "/api/v1/draws/nothing/entropy",
        &[Center, Supervisor],
        400,
    ),
    ("POST", "/api/v1/draws/nothing/replacements", &[Center], 400),
    (
        "GET",
        "/api/v1/draws/nothing/record",
        &[Center, Supervisor],
        404,
    ),
    ("POST", "/api/v1/draws/nothing/recheck", &[Supervisor], 404),
    ("GET", "/api/v1/reports/draw-frequency", &[Supervisor], 200),
    ("POST", "/api/v1/invitations/nothing/answer", &[Expert], 400),
    ("POST", "/api/v1/draws/nothing/publication", &[Center], 400),
    ("GET", "/api/v1/publications", &[Supervisor], 200),
    (
        "POST",
        "/api/v1/draws/nothing/publication/approve",
        &[Supervisor],
        404,
    ),
    (
        "GET",
        "/api/v1/draws/nothing/committee",
        &[Center, Supervisor],
        404,
    ),
    ("POST", "/api/v1/sessions", &[Center], 400),
    (
        "GET",
        "/api/v1/sessions",
        &[Center, Supervisor, Expert],
        200,
    ),
    (
        "GET",
        "/api/v1/sessions/nothing",
        &[Center, Supervisor, Expert],
        404,
    ),
    (
        "POST",
        "/api/v1/sessions/nothing/entropy",
        &[Center, Supervisor],
        400,
    ),
    (
        "POST",
        "/api/v1/sessions/nothing/ticket",
        &[Center, Supervisor, Expert],
        404,
    ),
    (
        "GET",
        "/api/v1/sessions/nothing/report",
        &[Center, Supervisor, Expert],
        404,
    ),
    (
        "POST",
        "/api/v1/sessions/nothing/ratings",
        &[Center, Supervisor],
        400,
    ),
    ("GET", "/api/v1/venues", &[Admin, Supervisor, Center], 200),
    ("POST", "/api/v1/venues", &[Admin, Center], 400),
    (
        "GET",
        "/api/v1/venues/nothing",
        &[Admin, Supervisor, Center],
        404,
    ),
    ("PATCH", "/api/v1/venues/nothing", &[Admin, Center], 404),
    (
        "GET",
        "/api/v1/venue-requests",
        &[Admin, Supervisor, Center],
        200,
    ),
    (
        "POST",
        "/api/v1/venue-requests/nothing/accept",
        &[Center],
        404,
    ),
    (
        "POST",
        "/api/v1/venue-requests/nothing/refuse",
        &[Center],
        400,
    ),
];

#[tokio::test]
async fn audit_pool_and_unseal_routes_answer_only_the_roles_granted_them() {
    let app = spawn_app().await;
    let mut callers = Vec::new();
    for role in [Admin, Supervisor, Center, Expert] {
        let (_, token) = app
            .account_with_token(&format!("{}.grid", role.as_str()), role)
            .await;
        callers.push((role, token));
    }
    for &(method, path, granted, success) in ROUTES {
        let method: Method = method.parse().unwrap();
        let send = |token: Option<&str>| {
            let mut request = app.request(method.clone(), path, token);
            if path.ends_with("/import") {
                request = request.header("content-type", "text/csv").body("");
            } else if method == Method::POST || method == Method::PATCH || method == Method::PUT {
                request = request.json(&json!({}));
            }
            request.send()
        };
        let anonymous = send(None).await.unwrap();
        assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
        for (role, token) in &callers {
            let response = send(Some(token)).await.unwrap();
            let what = format!("{method} {path} as {role:?}");
            assert_security_headers(&response);
            if granted.contains(role) {
                assert_eq!(response.status().as_u16(), success, "{what}");
            } else {
                let problem = assert_problem(response, StatusCode::FORBIDDEN).await;
                assert_eq!(problem["type"], "urn:sealdraw:problem:forbidden", "{what}");
            }
        }
    }
}
