//! The expert pool: import, sealed identities, role views.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::pool::validate::{complete_credit_code, complete_id_number};

pub const CSV_HEADER: &str = "name,id_number,phone,email,employer,employer_credit_code,specialties,region,title,years,birth_year,past_employers";

/// Known people, so the test can search storage and logs for their identities.
pub struct Person {
    pub name: String,
    pub id_number: String,
    pub phone: String,
}

pub fn people(count: u32, seed: u32) -> Vec<Person> {
    (0..count)
        .map(|i| Person {
            name: format!("秘密专家{seed}号{i}"),
            id_number: complete_id_number(&format!(
                "42010619{:02}0101{:03}",
                50 + (i % 20),
                i % 1000
            )),
            phone: format!("139{seed:02}{i:06}"),
        })
        .collect()
}

pub fn csv(people: &[Person]) -> String {
    let employer = complete_credit_code("91420100MA4K00001").unwrap();
    let past = complete_credit_code("91420100MA4K00002").unwrap();
    let mut text = format!("{CSV_HEADER}\n");
    for person in people {
        let birth_year = &person.id_number[6..10];
        text.push_str(&format!(
            "{},{},{},x{}@example.cn,武汉某建设集团,{employer},A0101;C0101,420100,正高级,15,{birth_year},{past}:2016-01-01:2021-12-31\n",
            person.name, person.id_number, person.phone, person.phone
        ));
    }
    text
}

pub async fn import(
    app: &TestApp,
    token: &str,
    body: String,
    content_type: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/experts/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn total(app: &TestApp, token: &str) -> i64 {
    let statistics: Value = app.get_json("/api/v1/pool/statistics", Some(token)).await;
    statistics["total"].as_i64().unwrap()
}

/// Everything the database holds, as the bytes a stolen file or backup would show.
async fn raw_database(app: &TestApp) -> Vec<u8> {
    if is_postgres() {
        let pg_dump = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .map(|e| e.unwrap().path().join("bin/pg_dump"))
            .max()
            .unwrap();
        let output = std::process::Command::new(pg_dump)
            .arg(&app.database_url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    } else {
        let path = app.database_url.trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&path).unwrap();
        for suffix in ["-wal", "-shm"] {
            if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(more);
            }
        }
        bytes
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn imported_identities_are_nowhere_in_the_database_the_logs_or_any_role_view() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, supervisor) = app
        .account_with_token("supervisor.one", Role::Supervisor)
        .await;
    let (_, center) = app.account_with_token("center.one", Role::Center).await;
    let known = people(30, 1);

    let response = import(&app, &admin, csv(&known), "text/csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["inserted"], 30);

    let admin_view = app
        .get_text("/api/v1/experts?limit=100", Some(&admin))
        .await;
    let supervisor_view = app
        .get_text("/api/v1/experts?specialty=A01", Some(&supervisor))
        .await;
    let listed: Value = serde_json::from_str(&admin_view).unwrap();
    assert_eq!(listed["experts"].as_array().unwrap().len(), 30);
    let one_id = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = app
        .get_text(&format!("/api/v1/experts/{one_id}"), Some(&supervisor))
        .await;

    let database = raw_database(&app).await;
    let logs = captured_logs();
    for person in &known {
        for secret in [&person.name, &person.id_number, &person.phone] {
            assert!(
                !contains(&database, secret),
                "the database holds {secret} in clear"
            );
            assert!(!logs.contains(secret.as_str()), "the logs hold an identity");
            for view in [&admin_view, &supervisor_view, &one] {
                assert!(!view.contains(secret.as_str()), "a view showed an identity");
            }
        }
    }

    for path in ["/api/v1/experts", &format!("/api/v1/experts/{one_id}")] {
        let refused = app.get(path, Some(&center)).await;
        assert_problem(refused, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(total(&app, &center).await, 30, "centers see counts");
}

#[tokio::test]
async fn re_importing_a_person_updates_the_record_instead_of_duplicating_it() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let known = people(5, 2);
    assert_eq!(
        import(&app, &admin, csv(&known), "text/csv").await.status(),
        StatusCode::OK
    );
    let again = csv(&known).replace(",15,", ",16,");
    let summary: Value = import(&app, &admin, again, "text/csv")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (summary["inserted"].as_i64(), summary["updated"].as_i64()),
        (Some(0), Some(5))
    );
    assert_eq!(total(&app, &admin).await, 5);
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    assert!(
        listed["experts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["years_in_field"] == 16)
    );
}

#[tokio::test]
async fn a_bad_file_is_reported_by_line_and_nothing_is_written() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let known = people(4, 3);
    let mut text = csv(&known);
    text = text.replacen(
        &known[1].id_number,
        &format!("{}0", &known[1].id_number[..17]),
        1,
    );
    text = text.replacen("A0101;C0101", "Z9901", 1);
    let entries_before = app
        .post(
            "/api/v1/audit/checkpoint",
            Some(&admin),
            &serde_json::json!({}),
        )
        .await
        .text()
        .await
        .unwrap();

    let response = import(&app, &admin, text, "text/csv").await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let problems = problem["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 2 && p["field"] == "specialties"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 3 && p["field"] == "id_number"),
        "{problems:?}"
    );
    assert_eq!(total(&app, &admin).await, 0);
    let entries_after = app
        .post(
            "/api/v1/audit/checkpoint",
            Some(&admin),
            &serde_json::json!({}),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        entries_before, entries_after,
        "a refused import reached the audit log"
    );

    for (body, content_type, expected) in [
        (String::new(), "text/csv", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "name,phone\nx,y\n".to_owned(),
            "text/csv",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            csv(&known),
            "application/pdf",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "{not json".to_owned(),
            "application/x-ndjson",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        assert_problem(import(&app, &admin, body, content_type).await, expected).await;
    }
    assert_eq!(total(&app, &admin).await, 0);
}

#[tokio::test]
async fn only_admins_import_and_the_command_line_import_works_too() {
    let app = spawn_app().await;
    let (_, supervisor) = app
        .account_with_token("supervisor.one", Role::Supervisor)
        .await;
    let known = people(3, 4);
    assert_problem(
        import(&app, &supervisor, csv(&known), "text/csv").await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let file = app.dir.path().join("experts.csv");
    std::fs::write(&file, csv(&known)).unwrap();
    let output = run_cli(&app, &["pool", "import", file.to_str().unwrap()], None);
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert!(stdout_of(&output).contains("3 new experts"));
    assert_eq!(total(&app, &supervisor).await, 3);

    std::fs::write(&file, csv(&known).replacen(",420100,", ",999999,", 1)).unwrap();
    let output = run_cli(&app, &["pool", "import", file.to_str().unwrap()], None);
    assert!(!output.status.success());
    assert!(
        stdout_of(&output).contains("line 2, region"),
        "{}",
        stdout_of(&output)
    );
}

#[tokio::test]
async fn sealed_fields_open_only_with_a_second_supervisors_approval_and_only_inside_the_window() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, requester) = app
        .account_with_token("supervisor.a", Role::Supervisor)
        .await;
    let (_, approver) = app
        .account_with_token("supervisor.b", Role::Supervisor)
        .await;
    let known = people(3, 5);
    assert_eq!(
        import(&app, &admin, csv(&known), "text/csv").await.status(),
        StatusCode::OK
    );
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    let expert_id = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let ask = serde_json::json!({
        "expert_ids": [expert_id], "fields": ["name", "phone"],
        "reason": "复核第3标段评标专家回避情况", "valid_minutes": 10
    });
    let created = app
        .post("/api/v1/unseal-requests", Some(&requester), &ask)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let request_id = created.json::<Value>().await.unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read_path = format!("/api/v1/unseal-requests/{request_id}/fields");
    let approve_path = format!("/api/v1/unseal-requests/{request_id}/approve");

    assert_problem(
        app.get(&read_path, Some(&requester)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let own = assert_problem(
        app.post(&approve_path, Some(&requester), &serde_json::json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(own["type"], "urn:sealdraw:problem:dual-control");
    assert_problem(
        app.post(&approve_path, Some(&admin), &serde_json::json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    assert_eq!(
        app.post(&approve_path, Some(&approver), &serde_json::json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.post(&approve_path, Some(&approver), &serde_json::json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.get(&read_path, Some(&approver)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let opened: Value = app.get_json(&read_path, Some(&requester)).await;
    let fields = &opened[0]["fields"];
    let person = known
        .iter()
        .find(|p| fields["name"] == p.name.as_str())
        .expect("a known name");
    assert_eq!(fields["phone"], person.phone.as_str());
    assert!(
        fields.get("id_number").is_none(),
        "a field that was not approved was opened"
    );

    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let closed = assert_problem(
        app.get(&read_path, Some(&requester)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(closed["detail"].as_str().unwrap().contains("window"));

    // Every step is in the log, and no step names the person.
    let checkpoint = app
        .post(
            "/api/v1/audit/checkpoint",
            Some(&admin),
            &serde_json::json!({}),
        )
        .await
        .text()
        .await
        .unwrap();
    let size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    let mut kinds = Vec::new();
    for index in 0..size {
        let entry = app
            .get_text(&format!("/api/v1/audit/entries/{index}"), Some(&admin))
            .await;
        assert!(
            !entry.contains(&person.name)
                && !entry.contains(&person.phone)
                && !entry.contains(&expert_id)
        );
        let entry: Value = serde_json::from_str(&entry).unwrap();
        if entry["refs"]["unseal_request"] == request_id.as_str() {
            kinds.push(entry["type"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        kinds,
        ["unseal.requested", "unseal.approved", "unseal.read"]
    );
}

#[tokio::test]
async fn a_refused_unseal_never_opens_and_bulk_or_malformed_requests_are_refused() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, other) = app
        .account_with_token("supervisor.b", Role::Supervisor)
        .await;
    let known = people(12, 6);
    assert_eq!(
        import(&app, &admin, csv(&known), "text/csv").await.status(),
        StatusCode::OK
    );
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    let ids: Vec<String> = listed["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["expert_id"].as_str().unwrap().to_owned())
        .collect();

    let ask = |ids: &[String], fields: Value| serde_json::json!({"expert_ids": ids, "fields": fields, "reason": "核查专家身份信息一致性", "valid_minutes": 5});
    let bulk = app
        .post(
            "/api/v1/unseal-requests",
            Some(&admin),
            &ask(&ids[..11], serde_json::json!(["name"])),
        )
        .await;
    assert_eq!(
        assert_problem(bulk, StatusCode::BAD_REQUEST).await["field"],
        "expert_ids"
    );
    let bad_field = app
        .post(
            "/api/v1/unseal-requests",
            Some(&admin),
            &ask(&ids[..1], serde_json::json!(["password"])),
        )
        .await;
    assert_eq!(
        assert_problem(bad_field, StatusCode::BAD_REQUEST).await["field"],
        "fields"
    );
    let unknown = app
        .post(
            "/api/v1/unseal-requests",
            Some(&admin),
            &ask(&["nobody".to_owned()], serde_json::json!(["name"])),
        )
        .await;
    assert_problem(unknown, StatusCode::BAD_REQUEST).await;

    let created: Value = app
        .post(
            "/api/v1/unseal-requests",
            Some(&admin),
            &ask(&ids[..1], serde_json::json!(["name"])),
        )
        .await
        .json()
        .await
        .unwrap();
    let request_id = created["request_id"].as_str().unwrap();
    let refused = app
        .post(
            &format!("/api/v1/unseal-requests/{request_id}/refuse"),
            Some(&other),
            &serde_json::json!({}),
        )
        .await;
    // A refusal says why: without a reason nothing is decided.
    let problem = assert_problem(refused, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("reason"),
        "{problem}"
    );
    let short = app
        .post(
            &format!("/api/v1/unseal-requests/{request_id}/refuse"),
            Some(&other),
            &serde_json::json!({"reason": "no"}),
        )
        .await;
    assert_eq!(
        assert_problem(short, StatusCode::BAD_REQUEST).await["field"],
        "reason"
    );
    let refused = app
        .post(
            &format!("/api/v1/unseal-requests/{request_id}/refuse"),
            Some(&other),
            &serde_json::json!({"reason": "投诉材料不足以支持查看身份"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let decided: Value = refused.json().await.unwrap();
    assert_eq!(decided["status"], "refused");
    assert_eq!(decided["decision_reason"], "投诉材料不足以支持查看身份");
    // The log commits to the reason without holding its text.
    let entries = app.audit_entries_of("unseal.refused").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["data"][suite().digest_field("reason")],
        suite().hex_hash("投诉材料不足以支持查看身份".as_bytes())
    );
    assert!(!entries[0].to_string().contains("投诉材料"));
    assert_problem(
        app.get(
            &format!("/api/v1/unseal-requests/{request_id}/fields"),
            Some(&admin),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn sealed_key_ids(app: &TestApp, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    let blobs: Vec<Vec<u8>> = if is_postgres() {
        let mut connection = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(sql)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    } else {
        let mut connection = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(sql)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    };
    blobs
        .iter()
        .map(|blob| {
            sealdraw::crypto::seal::SealedParts::parse(blob)
                .ok()
                .unwrap()
                .key_id
                .to_owned()
        })
        .collect()
}

async fn unseal_names(
    app: &TestApp,
    requester: &str,
    approver: &str,
    expert_id: &str,
) -> reqwest::Response {
    let ask = serde_json::json!({"expert_ids": [expert_id], "fields": ["name"], "reason": "核查专家身份信息一致性", "valid_minutes": 5});
    let created: Value = app
        .post("/api/v1/unseal-requests", Some(requester), &ask)
        .await
        .json()
        .await
        .unwrap();
    let id = created["request_id"].as_str().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/unseal-requests/{id}/approve"),
            Some(approver),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    app.get(
        &format!("/api/v1/unseal-requests/{id}/fields"),
        Some(requester),
    )
    .await
}

#[tokio::test]
async fn after_a_master_key_rotation_every_record_still_opens_and_nothing_remains_under_the_old_key()
 {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, requester) = app
        .account_with_token("supervisor.a", Role::Supervisor)
        .await;
    let (approver_account, approver) = app
        .account_with_token("supervisor.b", Role::Supervisor)
        .await;
    let known = people(6, 7);
    assert_eq!(
        import(&app, &admin, csv(&known), "text/csv").await.status(),
        StatusCode::OK
    );
    let before = sealed_key_ids(&app, "SELECT data_key FROM experts").await;

    let output = run_cli(&app, &["keys", "rotate"], None);
    assert!(output.status.success(), "{}", stdout_of(&output));

    let data_keys = sealed_key_ids(&app, "SELECT data_key FROM experts").await;
    let totp = sealed_key_ids(
        &app,
        "SELECT totp_sealed FROM accounts WHERE totp_sealed IS NOT NULL",
    )
    .await;
    assert_eq!(data_keys.len(), 6);
    assert!(
        data_keys.iter().chain(&totp).all(|id| *id != before[0]),
        "a value remains under the old key"
    );

    // The running server follows the rotation: every record opens, supervisors still log in.
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    for expert in listed["experts"].as_array().unwrap() {
        let opened = unseal_names(
            &app,
            &requester,
            &approver,
            expert["expert_id"].as_str().unwrap(),
        )
        .await;
        assert_eq!(opened.status(), StatusCode::OK);
        let opened: Value = opened.json().await.unwrap();
        assert!(
            known
                .iter()
                .any(|p| opened[0]["fields"]["name"] == p.name.as_str())
        );
    }
    app.login(&approver_account).await;
}

#[tokio::test]
async fn a_sealed_value_copied_to_another_record_does_not_open() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, requester) = app
        .account_with_token("supervisor.a", Role::Supervisor)
        .await;
    let (_, approver) = app
        .account_with_token("supervisor.b", Role::Supervisor)
        .await;
    assert_eq!(
        import(&app, &admin, csv(&people(2, 8)), "text/csv")
            .await
            .status(),
        StatusCode::OK
    );
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    let (a, b) = (
        listed["experts"][0]["expert_id"].as_str().unwrap(),
        listed["experts"][1]["expert_id"].as_str().unwrap(),
    );

    // A database insider moves expert A's sealed name onto expert B.
    use sqlx::Connection;
    let sql = "UPDATE expert_sealed_fields SET ciphertext = (SELECT ciphertext FROM expert_sealed_fields \
               WHERE expert_id = $1 AND field = 'name') WHERE expert_id = $2 AND field = 'name'";
    if is_postgres() {
        let mut connection = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(&mut connection)
            .await
            .unwrap();
    } else {
        let mut connection = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(&mut connection)
            .await
            .unwrap();
    }
    let moved = unseal_names(&app, &requester, &approver, b).await;
    assert_problem(moved, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(
        unseal_names(&app, &requester, &approver, a).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expert_activates_an_issued_login_and_keeps_their_own_record_up_to_date() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let (_, supervisor) = app
        .account_with_token("supervisor.one", Role::Supervisor)
        .await;
    let known = people(2, 9);
    assert_eq!(
        import(&app, &admin, csv(&known), "text/csv").await.status(),
        StatusCode::OK
    );
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    let expert_id = listed["experts"][0]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_id = listed["experts"][1]["expert_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let issued = app
        .post(
            &format!("/api/v1/experts/{expert_id}/login"),
            Some(&admin),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = issued.json().await.unwrap();
    let username = issued["username"].as_str().unwrap().to_owned();
    let code = issued["activation_code"].as_str().unwrap().to_owned();
    assert!(
        known
            .iter()
            .all(|p| !username.contains(&p.name) && !username.contains(&p.id_number))
    );
    let again = app
        .post(
            &format!("/api/v1/experts/{expert_id}/login"),
            Some(&admin),
            &serde_json::json!({}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT).await;

    // Nobody can log in before activation, and a wrong code is refused like a wrong password.
    let before = app
        .post_login(&serde_json::json!({"username": username, "password": PASSWORD}))
        .await;
    assert_problem(before, StatusCode::UNAUTHORIZED).await;
    let activate =
        |code: &str| serde_json::json!({"username": username, "code": code, "password": PASSWORD});
    assert_problem(
        app.post(
            "/api/v1/auth/activate",
            None,
            &activate("wrongcode00000000"),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.post("/api/v1/auth/activate", None, &activate(&code))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.post("/api/v1/auth/activate", None, &activate(&code))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let login = app
        .post_login(&serde_json::json!({"username": username, "password": PASSWORD}))
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let expert: String = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let own: Value = app.get_json("/api/v1/me/expert", Some(&expert)).await;
    let person = known
        .iter()
        .find(|p| own["identity"]["name"] == p.name.as_str())
        .expect("own name");
    assert_eq!(own["identity"]["phone"], person.phone.as_str());
    assert!(
        own["identity"].get("id_number").is_none(),
        "the ID number is not part of the self view"
    );

    let relative = complete_credit_code("91420100MA4K00009").unwrap();
    let changes = serde_json::json!({
        "leave": [{"from": "2026-12-01", "to": "2026-12-10"}],
        "relatives_employers": [relative],
        "address": "武汉市江岸区示例路1号", "bank_account": "6222 0202 0000 1234 567"
    });
    let updated = app
        .request(reqwest::Method::PATCH, "/api/v1/me/expert", Some(&expert))
        .json(&changes)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["leave"][0]["to"], "2026-12-10");
    assert!(
        updated["identity"]["relatives_employers"]
            .as_str()
            .unwrap()
            .contains(&relative)
    );

    // Contact data and dropping a relative's employer go through a change request; the PATCH
    // refuses them naming the field, and writes nothing.
    let entries = app.entries_written_by_requests().await;
    for (body, field) in [
        (serde_json::json!({"phone": "13712345678"}), "phone"),
        (serde_json::json!({"email": "new@example.cn"}), "email"),
        (
            serde_json::json!({"relatives_employers": []}),
            "relatives_employers",
        ),
    ] {
        let refused = app
            .request(reqwest::Method::PATCH, "/api/v1/me/expert", Some(&expert))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(refused, StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("change request"),
            "{problem}"
        );
    }
    assert_eq!(app.entries_written_by_requests().await, entries);
    let record = app.get_json("/api/v1/me/expert", Some(&expert)).await;
    assert!(
        record["identity"]["relatives_employers"]
            .as_str()
            .unwrap()
            .contains(&relative)
    );
    let sneaky = app
        .request(reqwest::Method::PATCH, "/api/v1/me/expert", Some(&expert))
        .json(&serde_json::json!({"region": "420500"}))
        .send()
        .await
        .unwrap();
    assert_problem(sneaky, StatusCode::BAD_REQUEST).await;
    assert_problem(
        app.get("/api/v1/me/expert", Some(&supervisor)).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // An unused code expires.
    let issued: Value = app
        .post(
            &format!("/api/v1/experts/{other_id}/login"),
            Some(&admin),
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.clock
        .advance(std::time::Duration::from_secs(8 * 24 * 3600));
    let late = serde_json::json!({"username": issued["username"], "code": issued["activation_code"], "password": PASSWORD});
    assert_problem(
        app.post("/api/v1/auth/activate", None, &late).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(!captured_logs().contains(issued["activation_code"].as_str().unwrap()));
    assert!(!captured_logs().contains("13712345678"));
}

#[tokio::test]
async fn the_experts_listing_pages_through_many_experts_each_with_its_own_specialties() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin.one", Role::Admin).await;
    let known = people(120, 7);
    // Three kinds of expert, so that a page mixing them shows whether each expert's codes are
    // its own (the listing reads every expert's codes in one query, not one query each).
    let specialties_of = |i: usize| ["A0101", "A0101;C0101", "C0101"][i % 3];
    let mut text = format!("{CSV_HEADER}\n");
    for (i, person) in known.iter().enumerate() {
        let line = csv(std::slice::from_ref(person));
        let row = line.lines().nth(1).unwrap();
        text.push_str(&row.replacen("A0101;C0101", specialties_of(i), 1));
        text.push('\n');
    }
    let response = import(&app, &admin, text, "text/csv").await;
    assert_eq!(response.status(), StatusCode::OK);

    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &after {
            Some(id) => format!("/api/v1/experts?limit=50&after={id}"),
            None => "/api/v1/experts?limit=50".to_owned(),
        };
        let page: Value = app.get(&path, Some(&admin)).await.json().await.unwrap();
        pages += 1;
        listed.extend(page["experts"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!((pages, listed.len()), (3, 120));
    let ids: Vec<&str> = listed
        .iter()
        .map(|e| e["expert_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "not in id order"
    );
    let mut kinds = std::collections::BTreeMap::new();
    for expert in &listed {
        let id = expert["expert_id"].as_str().unwrap();
        let one: Value = app
            .get(&format!("/api/v1/experts/{id}"), Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(expert, &one, "the listing and the expert's own view differ");
        *kinds.entry(expert["specialties"].to_string()).or_insert(0) += 1;
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            (r#"["A0101","C0101"]"#.to_owned(), 40),
            (r#"["A0101"]"#.to_owned(), 40),
            (r#"["C0101"]"#.to_owned(), 40),
        ]
    );

    // Filtered by a specialty, an expert still shows all of its codes.
    let filtered: Value = app
        .get("/api/v1/experts?specialty=C01&limit=100", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let filtered = filtered["experts"].as_array().unwrap();
    assert_eq!(filtered.len(), 80);
    assert_eq!(
        filtered
            .iter()
            .filter(|e| e["specialties"].as_array().unwrap().len() == 2)
            .count(),
        40
    );
}
