//! Logging in, how tokens end, second factors, throttling, and which role may call which route.

use std::time::{Duration, Instant};

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::clock::Clock;

/// A problem body with its per-request parts removed, for comparing two refusals.
async fn problem_without_request_id(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let mut problem = assert_problem(response, status).await;
    problem.as_object_mut().unwrap().remove("request_id");
    problem
}

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn every_role_logs_in_and_sees_its_own_account() {
    let app = spawn_app().await;
    for role in Role::ALL {
        let username = format!("{}.one", role.as_str());
        let account = app.create_account(&username, role).await;
        let totp = app.fresh_totp(&account);
        assert_eq!(totp.is_some(), role.requires_totp());
        let logged_in_at = app.clock.now_millis();
        let response = app
            .attempt_login(&username, PASSWORD, totp.as_deref())
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{username}");
        assert_security_headers(&response);
        let body: Value = response.json().await.unwrap();
        let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            expires_at,
            logged_in_at + app.settings.auth.token_absolute_hours * 3_600_000
        );
        let token = body["token"].as_str().unwrap();

        let me = app.me(token).await;
        assert_eq!(me["username"], username.as_str());
        assert_eq!(me["role"], role.as_str());
        assert_eq!(me["authenticated_by"], "bearer_token");
    }
}

#[tokio::test]
async fn unknown_users_wrong_passwords_and_wrong_second_factors_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_account("expert.wang", Role::Expert).await;
    app.create_account("expert.off", Role::Expert).await;
    app.state
        .auth
        .set_disabled("expert.off", true, sealdraw::audit::Actor::System)
        .await
        .unwrap();
    let supervisor = app
        .create_account("supervisor.zhao", Role::Supervisor)
        .await;
    let wrong_code = app.wrong_totp(&supervisor);

    let reference = problem_without_request_id(
        app.attempt_login("nobody.here", PASSWORD, None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        reference["type"],
        "urn:sealdraw:problem:invalid-credentials"
    );
    for (what, response) in [
        (
            "wrong password",
            app.attempt_login("expert.wang", "not the password at all", None)
                .await,
        ),
        (
            "disabled account",
            app.attempt_login("expert.off", PASSWORD, None).await,
        ),
        (
            "missing TOTP",
            app.attempt_login("supervisor.zhao", PASSWORD, None).await,
        ),
        (
            "wrong TOTP",
            app.attempt_login("supervisor.zhao", PASSWORD, Some(&wrong_code))
                .await,
        ),
    ] {
        let problem = problem_without_request_id(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem, reference, "{what} differs from an unknown user");
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_take_the_same_time() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| {
            settings.auth.failures_before_delay = 1000;
            settings.auth.account_failures_per_window = 1000;
            settings.auth.address_attempts_per_minute = 1000;
        }),
        measures_time: true,
        ..TestOptions::default()
    })
    .await;
    app.create_account("expert.timing", Role::Expert).await;
    let attempt = async |username: &str| {
        let started = Instant::now();
        let response = app.attempt_login(username, "a wrong password", None).await;
        let elapsed = started.elapsed();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        elapsed
    };
    // Warm up connections, the blocking pool and its allocations.
    for _ in 0..3 {
        attempt("nobody.timing").await;
        attempt("expert.timing").await;
    }
    // A real difference (say, no hash for unknown users) shows in every round, and is large:
    // the hash is nearly all of a login's time, so skipping it makes one kind many times faster.
    // A burst of other work on a shared machine skews a round, so the margin is wide (one
    // median at most half again the other) and one round in five that passes is enough.
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        // Alternating in the order unknown, wrong, wrong, unknown, so that neither kind always
        // follows the other (the server's threads take turns, and they do not all run alike).
        for i in 0..15 {
            if i % 2 == 0 {
                unknown.push(attempt("nobody.timing").await);
                wrong.push(attempt("expert.timing").await);
            } else {
                wrong.push(attempt("expert.timing").await);
                unknown.push(attempt("nobody.timing").await);
            }
        }
        let (unknown, wrong) = (median(unknown), median(wrong));

        let (slower, faster) = (unknown.max(wrong), unknown.min(wrong));
        if slower.as_secs_f64() <= 1.5 * faster.as_secs_f64() {
            return;
        }
        rounds.push((unknown, wrong));
    }
    panic!(
        "median times (unknown user, wrong password) differ by more than half in every round: {rounds:?}"
    );
}

#[tokio::test]
async fn a_token_ends_after_the_idle_period_and_use_keeps_it_alive() {
    let app = spawn_app().await;
    let idle = Duration::from_secs(app.settings.auth.token_idle_minutes as u64 * 60);
    let (_, token) = app.account_with_token("expert.idle", Role::Expert).await;
    for _ in 0..3 {
        app.clock.advance(idle - Duration::from_secs(60));
        let response = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "used in time, still valid"
        );
    }
    app.clock.advance(idle + Duration::from_secs(1));
    app.assert_token_ended(&token).await;
}

#[tokio::test]
async fn a_token_ends_at_its_absolute_lifetime_even_while_in_use() {
    let app = spawn_app().await;
    let absolute = Duration::from_secs(app.settings.auth.token_absolute_hours as u64 * 3600);
    let step = Duration::from_secs(app.settings.auth.token_idle_minutes as u64 * 60 / 2);
    let (_, token) = app.account_with_token("expert.long", Role::Expert).await;
    let mut elapsed = Duration::ZERO;
    while elapsed + step < absolute {
        app.clock.advance(step);
        elapsed += step;
        let response = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "after {elapsed:?}");
    }
    app.clock.advance(absolute - elapsed);
    app.assert_token_ended(&token).await;
}

#[tokio::test]
async fn logout_ends_the_presented_token_and_no_other() {
    let app = spawn_app().await;
    let (account, token) = app.account_with_token("expert.out", Role::Expert).await;
    let other = app.login(&account).await;

    let response = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_security_headers(&response);

    app.assert_token_ended(&token).await;
    let again = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_problem(again, StatusCode::UNAUTHORIZED).await;
    let response = app.get("/api/v1/me", Some(&other)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_revokes_every_token_of_an_account() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.chen", Role::Admin).await;
    let (expert, first) = app.account_with_token("expert.rev", Role::Expert).await;
    let second = app.login(&expert).await;

    let response = app
        .post(
            "/api/v1/accounts/expert.rev/revoke-tokens",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"revoked": 2})
    );
    for token in [&first, &second] {
        app.assert_token_ended(token).await;
    }
    // Revocation is not disabling: the expert logs in again, and the admin's token lives on.
    let fresh = app.login(&expert).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&admin)).await.status(),
        StatusCode::OK
    );

    let response = app
        .post(
            "/api/v1/accounts/nobody.here/revoke-tokens",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn disabling_ends_tokens_and_blocks_login_until_enabled() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.chen", Role::Admin).await;
    let (expert, token) = app.account_with_token("expert.dis", Role::Expert).await;

    let response = app
        .post(
            "/api/v1/accounts/expert.dis/disable",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    app.assert_token_ended(&token).await;
    let refused = app.attempt_login("expert.dis", PASSWORD, None).await;
    let problem = assert_problem(refused, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:invalid-credentials");
    let listed = app.listed_account(&admin, "expert.dis").await;
    assert_eq!(listed["disabled"], true);

    let response = app
        .post(
            "/api/v1/accounts/expert.dis/enable",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let fresh = app.login(&expert).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh)).await.status(),
        StatusCode::OK
    );
    // Enabling does not bring back the tokens that disabling ended.
    assert_problem(
        app.get("/api/v1/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    for action in ["disable", "enable"] {
        let path = format!("/api/v1/accounts/nobody.here/{action}");
        assert_problem(
            app.post(&path, Some(&admin), &json!({})).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn supervisors_and_admins_need_a_fresh_totp_code() {
    let app = spawn_app().await;
    for role in [Role::Supervisor, Role::Admin] {
        let username = format!("{}.totp", role.as_str());
        let account = app.create_account(&username, role).await;

        let missing = app.attempt_login(&username, PASSWORD, None).await;
        assert_problem(missing, StatusCode::UNAUTHORIZED).await;
        let wrong_code = app.wrong_totp(&account);
        let wrong = app
            .attempt_login(&username, PASSWORD, Some(&wrong_code))
            .await;
        assert_problem(wrong, StatusCode::UNAUTHORIZED).await;
        let code = app.fresh_totp(&account).unwrap();
        let right = app.attempt_login(&username, PASSWORD, Some(&code)).await;
        assert_eq!(right.status(), StatusCode::OK, "{username}");
        let replayed = app.attempt_login(&username, PASSWORD, Some(&code)).await;
        let problem = assert_problem(replayed, StatusCode::UNAUTHORIZED).await;
        assert_eq!(problem["type"], "urn:sealdraw:problem:invalid-credentials");
        // The code of the next step works again: a replay refusal is not a lock-out.
        let next = app.fresh_totp(&account).unwrap();
        let response = app.attempt_login(&username, PASSWORD, Some(&next)).await;
        assert_eq!(response.status(), StatusCode::OK, "{username}");
    }
}

/// Fails `count` logins of `username` from `client`, waiting out every delay on the way.
async fn fail_logins(app: &TestApp, client: &reqwest::Client, username: &str, count: usize) {
    let mut failed = 0;
    while failed < count {
        let response = app
            .attempt_login_from(client, username, &format!("wrong guess {failed}"), None)
            .await;
        match response.status() {
            StatusCode::UNAUTHORIZED => failed += 1,
            StatusCode::TOO_MANY_REQUESTS => app
                .clock
                .advance(Duration::from_secs(retry_after(&response))),
            other => panic!("a wrong guess got {other}"),
        }
    }
}

#[tokio::test]
async fn an_attacker_at_one_address_cannot_stop_the_owner_at_another() {
    let app = spawn_app().await;
    let owner = app.create_account("expert.owner", Role::Expert).await;
    let attacker = app.client_from("127.0.0.2");
    // Far past the five failures that used to lock the username for 15 minutes.
    fail_logins(&app, &attacker, "expert.owner", 12).await;
    let still_waiting = app
        .attempt_login_from(&attacker, "expert.owner", PASSWORD, None)
        .await;
    assert_problem(still_waiting, StatusCode::TOO_MANY_REQUESTS).await;

    let response = app
        .attempt_login_from(
            &app.client_from("127.0.0.1"),
            "expert.owner",
            PASSWORD,
            None,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the owner was locked out"
    );
    // And the owner's login did not free the attacker.
    let response = app
        .attempt_login_from(&attacker, "expert.owner", PASSWORD, None)
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    drop(owner);
}

#[tokio::test]
async fn the_same_address_waits_twice_as_long_after_each_further_failure() {
    let app = spawn_app().await;
    let free = app.settings.auth.failures_before_delay as usize;
    let first = app.settings.auth.failure_delay_secs;
    app.create_account("expert.guess", Role::Expert).await;
    for _ in 0..free {
        let response = app
            .attempt_login("expert.guess", "a wrong guess", None)
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let mut waits = Vec::new();
    for _ in 0..5 {
        // Until the wait is over, not even the right password is checked.
        let response = app.attempt_login("expert.guess", PASSWORD, None).await;
        let wait = retry_after(&response);
        let problem = assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(problem["type"], "urn:sealdraw:problem:throttled");
        waits.push(wait);
        app.clock.advance(Duration::from_secs(wait));
        let response = app
            .attempt_login("expert.guess", "another wrong guess", None)
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    assert_eq!(
        waits,
        [first, 2 * first, 4 * first, 8 * first, 16 * first],
        "exponential back-off"
    );

    app.clock.advance(Duration::from_secs(32 * first));
    let response = app.attempt_login("expert.guess", PASSWORD, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    // A success starts the address afresh.
    for _ in 0..free {
        let response = app
            .attempt_login("expert.guess", "a wrong guess", None)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn under_attack_from_many_addresses_the_owner_still_gets_in_with_a_one_time_code_or_from_a_known_address()
 {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| {
            settings.auth.failures_before_delay = 2;
            settings.auth.account_failures_per_window = 6;
        }),
        ..TestOptions::default()
    })
    .await;
    let admin = app.create_account("admin.target", Role::Admin).await;
    let expert = app.create_account("expert.target", Role::Expert).await;
    let home = app.client_from("127.0.0.1");
    let response = app
        .attempt_login_from(&home, "expert.target", PASSWORD, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Three addresses spend each username's budget for the window.
    for attacker in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let attacker = app.client_from(attacker);
        for username in ["admin.target", "expert.target", "nobody.target"] {
            fail_logins(&app, &attacker, username, 2).await;
        }
    }

    // From an address the account has never logged in from, only a one-time code is judged;
    // a name that does not exist is answered alike.
    let elsewhere = app.client_from("127.0.0.5");
    let real = app
        .attempt_login_from(&elsewhere, "expert.target", PASSWORD, None)
        .await;
    let ghost = app
        .attempt_login_from(&elsewhere, "nobody.target", PASSWORD, None)
        .await;
    assert_eq!(retry_after(&real), retry_after(&ghost));
    let mut real = assert_problem(real, StatusCode::TOO_MANY_REQUESTS).await;
    let mut ghost = assert_problem(ghost, StatusCode::TOO_MANY_REQUESTS).await;
    real.as_object_mut().unwrap().remove("request_id");
    ghost.as_object_mut().unwrap().remove("request_id");
    assert_eq!(real, ghost);
    let admin_no_code = app
        .attempt_login_from(&elsewhere, "admin.target", PASSWORD, None)
        .await;
    assert_eq!(admin_no_code.status(), StatusCode::TOO_MANY_REQUESTS);

    // The admin with password and a valid one-time code, from that same address.
    let code = app.fresh_totp(&admin).unwrap();
    let response = app
        .attempt_login_from(&elsewhere, "admin.target", PASSWORD, Some(&code))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "password and TOTP were refused"
    );
    // A code does not make a password-only account's password enough from elsewhere.
    let response = app
        .attempt_login_from(&elsewhere, "expert.target", PASSWORD, Some("123456"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The expert from the address they logged in from before.
    let response = app
        .attempt_login_from(&home, "expert.target", PASSWORD, None)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the known address was refused"
    );
    drop(expert);

    // When the window has passed, every address is judged again.
    app.clock.advance(Duration::from_secs(
        app.settings.auth.failure_window_secs as u64,
    ));
    let response = app
        .attempt_login_from(&elsewhere, "expert.target", PASSWORD, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn throttling_answers_the_same_for_a_username_that_does_not_exist() {
    let app = spawn_app().await;
    let limit = app.settings.auth.failures_before_delay;
    app.create_account("expert.real", Role::Expert).await;
    for _ in 0..limit {
        for username in ["expert.real", "expert.ghost"] {
            let response = app.attempt_login(username, "a wrong guess", None).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let real = app.attempt_login("expert.real", PASSWORD, None).await;
    let ghost = app.attempt_login("expert.ghost", PASSWORD, None).await;
    assert_eq!(retry_after(&real), retry_after(&ghost));
    let mut real = assert_problem(real, StatusCode::TOO_MANY_REQUESTS).await;
    let mut ghost = assert_problem(ghost, StatusCode::TOO_MANY_REQUESTS).await;
    real.as_object_mut().unwrap().remove("request_id");
    ghost.as_object_mut().unwrap().remove("request_id");
    assert_eq!(real, ghost);
}

#[tokio::test]
async fn concurrent_guesses_get_no_more_tries_than_the_limit() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| settings.auth.address_attempts_per_minute = 1000),
        ..TestOptions::default()
    })
    .await;
    let limit = app.settings.auth.failures_before_delay as usize;
    app.create_account("expert.race", Role::Expert).await;
    let passwords: Vec<String> = (0..4 * limit).map(|i| format!("wrong guess {i}")).collect();
    let guesses = passwords
        .iter()
        .map(|password| app.attempt_login("expert.race", password, None));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(Response::status)
        .collect();
    let judged = statuses
        .iter()
        .filter(|&&status| status == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|&&status| status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(judged + throttled, statuses.len(), "{statuses:?}");
    assert!(
        judged <= limit,
        "{judged} passwords were checked, more than the limit of {limit}"
    );
}

#[tokio::test]
async fn too_many_attempts_from_one_address_get_429_with_retry_after() {
    let app = spawn_app_with(TestOptions {
        customise: Box::new(|settings| settings.auth.address_attempts_per_minute = 3),
        ..TestOptions::default()
    })
    .await;
    app.create_account("expert.addr", Role::Expert).await;
    // Different usernames each time, so only the address can be the reason.
    for i in 0..3 {
        let response = app
            .attempt_login(&format!("nobody.{i}"), "a wrong guess", None)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.attempt_login("expert.addr", PASSWORD, None).await;
    let wait = retry_after(&response);
    assert!((1..=60).contains(&wait), "{wait}");
    let problem = assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:throttled");
}

/// Every protected route, what it needs, and what success looks like.
struct ProtectedRoute {
    method: Method,
    path: &'static str,
    admin_only: bool,
    success: StatusCode,
}

const PROTECTED_ROUTES: &[(&str, &str, bool, u16)] = &[
    ("GET", "/api/v1/me", false, 200),
    ("POST", "/api/v1/auth/logout", false, 204),
    ("GET", "/api/v1/accounts", true, 200),
    ("POST", "/api/v1/accounts", true, 201),
    ("POST", "/api/v1/accounts/target.user/disable", true, 204),
    ("POST", "/api/v1/accounts/target.user/enable", true, 204),
    (
        "POST",
        "/api/v1/accounts/target.user/revoke-tokens",
        true,
        200,
    ),
];

fn protected_routes() -> impl Iterator<Item = ProtectedRoute> {
    PROTECTED_ROUTES
        .iter()
        .map(|&(method, path, admin_only, success)| ProtectedRoute {
            method: method.parse().unwrap(),
            path,
            admin_only,
            success: StatusCode::from_u16(success).unwrap(),
        })
}

/// What an admin sees of all accounts, to show that a refused call changed nothing.
async fn accounts_snapshot(app: &TestApp, admin_token: &str) -> Value {
    let response = app.get("/api/v1/accounts", Some(admin_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn each_protected_route_needs_a_token_and_a_role_that_is_granted_it() {
    let app = spawn_app().await;
    // Admin last, so the refused calls of the others run against unchanged state.
    let roles = [Role::Center, Role::Supervisor, Role::Expert, Role::Admin];
    let mut accounts = Vec::new();
    for role in roles {
        let (account, token) = app
            .account_with_token(&format!("{}.matrix", role.as_str()), role)
            .await;
        accounts.push((account, token));
    }
    let admin_token = accounts[3].1.clone();
    let target = app.create_account("target.user", Role::Expert).await;

    for route in protected_routes() {
        let body = |role: &str| json!({"username": format!("new.{role}"), "role": "expert", "password": PASSWORD});
        let unauthenticated = app
            .request(route.method.clone(), route.path, None)
            .json(&body("anonymous"))
            .send()
            .await
            .unwrap();
        assert_security_headers(&unauthenticated);
        let problem = assert_problem(unauthenticated, StatusCode::UNAUTHORIZED).await;
        assert_eq!(
            problem["type"], "urn:sealdraw:problem:unauthenticated",
            "{} {}",
            route.method, route.path
        );

        // Enabling is only visible on a disabled account; everything else starts from an
        // enabled target holding a live token.
        let enabling = route.path.ends_with("/enable");
        app.state
            .auth
            .set_disabled(&target.username, enabling, sealdraw::audit::Actor::System)
            .await
            .unwrap();
        let target_token = if enabling {
            None
        } else {
            Some(app.login(&target).await)
        };
        for (account, token) in &accounts {
            // Logging out ends the token, so it gets one of its own.
            let token = if route.path == "/api/v1/auth/logout" {
                app.login(account).await
            } else {
                token.clone()
            };
            let before = accounts_snapshot(&app, &admin_token).await;
            let response = app
                .request(route.method.clone(), route.path, Some(&token))
                .json(&body(account.role.as_str()))
                .send()
                .await
                .unwrap();
            let granted = !route.admin_only || account.role == Role::Admin;
            let what = format!("{} {} as {:?}", route.method, route.path, account.role);
            assert_security_headers(&response);
            if granted {
                assert_eq!(response.status(), route.success, "{what}");
                continue;
            }
            let problem = assert_problem(response, StatusCode::FORBIDDEN).await;
            assert_eq!(problem["type"], "urn:sealdraw:problem:forbidden", "{what}");
            assert_eq!(
                accounts_snapshot(&app, &admin_token).await,
                before,
                "{what} changed accounts"
            );
            if let Some(target_token) = &target_token {
                assert_eq!(
                    app.get("/api/v1/me", Some(target_token)).await.status(),
                    StatusCode::OK,
                    "{what} ended the target's token"
                );
            }
        }
    }
    // Only the admin's creation happened.
    let usernames = app.usernames(&admin_token).await;
    assert!(usernames.contains(&"new.admin".to_owned()));
    assert!(
        !usernames
            .iter()
            .any(|u| u.starts_with("new.") && u != "new.admin")
    );
}

async fn enabled_admins(app: &TestApp) -> i64 {
    let mut tx = app.state.store.read().await.unwrap();
    let count = tx.count_enabled_admins().await.unwrap();
    tx.rollback().await.unwrap();
    count
}

#[tokio::test]
async fn no_admin_disables_their_own_account_and_nobody_the_last_enabled_admin() {
    let app = spawn_app().await;
    let (_, first) = app.account_with_token("admin.first", Role::Admin).await;
    let (second_account, second) = app.account_with_token("admin.second", Role::Admin).await;
    let disable = async |token: &str, username: &str| {
        app.post(
            &format!("/api/v1/accounts/{username}/disable"),
            Some(token),
            &json!({}),
        )
        .await
    };

    let problem = assert_problem(disable(&first, "admin.first").await, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:own-account");
    assert_eq!(
        app.get("/api/v1/me", Some(&first)).await.status(),
        StatusCode::OK
    );

    assert_eq!(
        disable(&first, "admin.second").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        disable(&second, "admin.first").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // The command line cannot disable the one admin left either.
    let output = run_cli(&app, &["user", "disable", "admin.first"], None);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("last enabled admin"),
        "{}",
        stdout_of(&output)
    );
    let refused = app
        .state
        .auth
        .set_disabled("admin.first", true, sealdraw::audit::Actor::System)
        .await;
    assert!(matches!(refused, Err(sealdraw::auth::AuthError::LastAdmin)));
    assert_eq!(enabled_admins(&app).await, 1);
    assert_eq!(
        app.get("/api/v1/me", Some(&first)).await.status(),
        StatusCode::OK
    );

    // Two admins disabling each other at the same moment leave one of them enabled.
    let response = app
        .post(
            "/api/v1/accounts/admin.second/enable",
            Some(&first),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let second = app.login(&second_account).await;
    let (one, other) = tokio::join!(
        disable(&first, "admin.second"),
        disable(&second, "admin.first")
    );
    let mut statuses = [one.status().as_u16(), other.status().as_u16()];
    statuses.sort();
    // The loser is refused as the last admin, or finds its own token already ended.
    assert!(
        statuses == [204, 401] || statuses == [204, 409],
        "{statuses:?}"
    );
    assert_eq!(enabled_admins(&app).await, 1);
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_rule_wherever_a_password_is_set() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.pw", Role::Admin).await;
    let weak = [
        ("aaaaaaaaaaaa", "repeating"),
        ("abcdefghijklmn", "counting"),
        ("Qwerty123456", "commonly used"),
        ("1q2w3e4r5t6y", "commonly used"),
    ];
    let refused = async |response: Response, rule: &str| {
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["field"], "password");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(rule), "{detail} does not name {rule:?}");
    };

    // An admin creating an account.
    for (password, rule) in weak
        .iter()
        .copied()
        .chain([("Expert.Weak-2026!", "username")])
    {
        let body = json!({"username": "expert.weak", "role": "expert", "password": password});
        refused(
            app.post("/api/v1/accounts", Some(&admin), &body).await,
            rule,
        )
        .await;
    }
    assert!(
        !app.usernames(&admin)
            .await
            .contains(&"expert.weak".to_owned())
    );

    // An expert activating an issued login.
    let issued = app
        .state
        .auth
        .issue_expert_login(sealdraw::audit::Actor::System)
        .await
        .unwrap();
    let own_name = format!("my name is {} ok", issued.username.to_uppercase());
    for (password, rule) in weak
        .iter()
        .copied()
        .chain([(own_name.as_str(), "username")])
    {
        let body = json!({"username": issued.username, "code": issued.code.as_str(), "password": password});
        refused(app.post("/api/v1/auth/activate", None, &body).await, rule).await;
    }
    let body =
        json!({"username": issued.username, "code": issued.code.as_str(), "password": PASSWORD});
    let response = app.post("/api/v1/auth/activate", None, &body).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "the code was spent by a refusal"
    );

    // An operator at the command line.
    let output = run_cli(
        &app,
        &[
            "user",
            "add",
            "--role",
            "supervisor",
            "--username",
            "cli.weak",
        ],
        Some("qwerty123456\n"),
    );
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("commonly used"),
        "{}",
        stdout_of(&output)
    );
    assert!(!app.usernames(&admin).await.contains(&"cli.weak".to_owned()));
}

#[tokio::test]
async fn a_center_accounts_region_must_be_in_hubeis_list() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.regions", Role::Admin).await;
    let entries = app.entries_written_by_requests().await;
    let center = |region: &str| {
        json!({"username": format!("center.{region}"), "role": "center",
               "password": "correct horse battery staple 1", "center_name": "某交易中心",
               "region_code": region})
    };
    // 429999 has the shape of a code and names no division; 4206 is no six-digit code.
    for region in ["429999", "420699", "4206"] {
        let response = app
            .post("/api/v1/accounts", Some(&admin), &center(region))
            .await;
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["field"], "region_code", "{region}: {problem}");
    }
    assert_eq!(app.entries_written_by_requests().await, entries);
    // A prefecture's code and a county's are both accepted.
    for region in ["420600", "420626"] {
        let response = app
            .post("/api/v1/accounts", Some(&admin), &center(region))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{region}");
    }
}

#[tokio::test]
async fn an_admin_reissues_a_lost_activation_code_and_edits_a_centers_name_and_region() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.reissue", Role::Admin).await;
    let (_, expert_token) = app.account_with_token("expert.lost", Role::Expert).await;
    let (_, center_token) = app.account_with_token("center.edit", Role::Center).await;

    // A new code: the old logins end, the code sets a password once, and the log holds the
    // act but not the code.
    let response = app
        .post(
            "/api/v1/accounts/expert.lost/activation",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let issued: Value = response.json().await.unwrap();
    let code = issued["activation_code"].as_str().unwrap().to_owned();
    assert_eq!(issued["username"], "expert.lost");
    assert_problem(
        app.get("/api/v1/me", Some(&expert_token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let activate = json!({"username": "expert.lost", "code": code,
                          "password": "a brand new long passphrase 7"});
    let response = app.post("/api/v1/auth/activate", None, &activate).await;
    assert!(response.status().is_success(), "{}", response.status());
    let again = app.post("/api/v1/auth/activate", None, &activate).await;
    assert!(again.status().is_client_error(), "a code is used once");
    let login = app
        .post_login(
            &json!({"username": "expert.lost", "password": "a brand new long passphrase 7"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let entries = app.audit_entries_of("account.activation_reissued").await;
    assert_eq!(entries.len(), 1);
    assert!(!entries[0].to_string().contains(&code));
    // Only expert logins get codes; an unknown account is not found.
    let refused = assert_problem(
        app.post(
            "/api/v1/accounts/center.edit/activation",
            Some(&admin),
            &json!({}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(refused["field"], "username");
    assert_problem(
        app.post(
            "/api/v1/accounts/nobody.here/activation",
            Some(&admin),
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A center's name and region are edited; the region is checked against the list.
    let patch = |username: &str, body: Value| {
        app.request(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{username}"),
            Some(&admin),
        )
        .json(&body)
        .send()
    };
    let before = app.entries_written_by_requests().await;
    for (username, body, field) in [
        (
            "center.edit",
            json!({"region_code": "429999"}),
            "region_code",
        ),
        ("center.edit", json!({"center_name": ""}), "center_name"),
        (
            "expert.lost",
            json!({"center_name": "某中心"}),
            "center_name",
        ),
    ] {
        let problem = assert_problem(
            patch(username, body.clone()).await.unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    assert_eq!(app.entries_written_by_requests().await, before);
    let response = patch(
        "center.edit",
        json!({"center_name": "襄阳市公共资源交易中心", "region_code": "420600"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let listed = app.listed_account(&admin, "center.edit").await;
    assert_eq!(listed["center_name"], "襄阳市公共资源交易中心");
    assert_eq!(listed["region_code"], "420600");
    let updated = app.audit_entries_of("account.updated").await;
    assert_eq!(updated[0]["data"]["region_code"], "420600");
    // The center's own logins are untouched.
    assert_eq!(
        app.get("/api/v1/me", Some(&center_token)).await.status(),
        StatusCode::OK
    );
}
