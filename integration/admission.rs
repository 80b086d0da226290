//! Joining the pool: applications (public or nominated by a center), their review, approval
//! into an active record with a term and a login sent by SMS, and recruiting calls.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::clock::Clock as _;
use sealdraw::pool::validate::{complete_credit_code, complete_id_number};

const CODE_HEADER: &str = "x-application-code";

/// A person who applies, with values the test searches logs and storage for.
pub(crate) struct Applicant {
    name: String,
    id_number: String,
    phone: String,
}

pub(crate) fn applicant(serial: u32) -> Applicant {
    Applicant {
        name: format!("申请人秘密{serial}号"),
        id_number: complete_id_number(&format!("42010619780304{serial:03}")),
        phone: format!("1370713{serial:04}"),
    }
}

pub(crate) fn application(person: &Applicant) -> Value {
    json!({
        "name": person.name,
        "id_number": person.id_number,
        "phone": person.phone,
        "email": "applicant@example.cn",
        "employer": {"name": "湖北某工程咨询有限公司", "credit_code": complete_credit_code("91420100MA4K00031").unwrap()},
        "specialties": [
            {"code": "A0101", "title": 3, "years": 16, "evidence": "正高级工程师证 鄂高职字第 2011-0042 号"},
            {"code": "C0101", "title": 2, "years": 9, "evidence": "注册造价工程师 建[造]11420000123"}
        ],
        "ties": [{"kind": "shareholder", "credit_code": complete_credit_code("91420100MA4K00032").unwrap(), "from": "2019-05-01"}],
        "region": "420100",
        "declarations": {"no_disqualifying_record": true, "data_true": true, "accepts_rules": true}
    })
}

async fn submit(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    app.post("/api/v1/applications", token, body).await
}

/// Files `body` and answers (application id, access code).
pub(crate) async fn filed(app: &TestApp, body: &Value) -> (String, String) {
    let response = submit(app, None, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "submitted");
    (
        answer["application_id"].as_str().unwrap().to_owned(),
        answer["access_code"].as_str().unwrap().to_owned(),
    )
}

async fn follow(app: &TestApp, id: &str, code: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/applications/{id}")))
        .header(CODE_HEADER, code)
        .send()
        .await
        .unwrap()
}

async fn as_applicant(app: &TestApp, path: &str, code: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(CODE_HEADER, code)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn admin(app: &TestApp) -> String {
    app.account_with_token("pool-admin", Role::Admin).await.1
}

pub(crate) async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    act: &str,
    body: &Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/applications/{id}/{act}"),
        Some(token),
        body,
    )
    .await
}

async fn application_count(app: &TestApp) -> usize {
    let mut tx = app.state.store.read().await.unwrap();
    let count = tx.count_applications().await.unwrap();
    tx.rollback().await.unwrap();
    count
}

/// The messages the `log` gateway wrote with `template`, once there are `expected`.
pub(crate) async fn sent(app: &TestApp, template: &str, expected: usize) -> Vec<Value> {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        app.state.notify.deliver_due().await.unwrap();
        let text =
            std::fs::read_to_string(app.dir.path().join("notifications.jsonl")).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|line| line["template"] == template)
            .collect();
        if lines.len() >= expected || std::time::Instant::now() > give_up {
            return lines;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_applicant_is_reviewed_approved_with_a_term_and_logs_in_with_the_code_sent_by_sms() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let person = applicant(1);
    let (id, code) = filed(&app, &application(&person)).await;

    // The applicant follows it; the list shows it without anything that identifies the person.
    let followed: Value = follow(&app, &id, &code).await.json().await.unwrap();
    assert_eq!(followed["status"], "submitted");
    let list: Value = app
        .get_json("/api/v1/applications?status=submitted", Some(&admin))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["specialties"], json!(["A0101", "C0101"]));
    let listed = list.to_string();
    for secret in [&person.name, &person.id_number, &person.phone] {
        assert!(!listed.contains(secret.as_str()));
    }

    // Approving before anyone opened it is refused, naming where it stands.
    let early = act(&app, &admin, &id, "approve", &json!({})).await;
    let problem = assert_problem(early, StatusCode::CONFLICT).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("submitted"),
        "{problem}"
    );

    // Opening shows the evidence and the employer, never the identity, and puts it under review.
    let opened: Value = act(&app, &admin, &id, "open", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opened["status"], "under_review");
    assert_eq!(opened["evidence"][0]["title"], 3);
    assert!(
        opened["evidence"][1]["evidence"]
            .as_str()
            .unwrap()
            .contains("造价")
    );
    assert_eq!(opened["employer"]["name"], "湖北某工程咨询有限公司");
    assert_eq!(opened["ties"], json!({"shareholder": 1}));
    let shown = opened.to_string();
    for secret in [&person.name, &person.id_number, &person.phone] {
        assert!(!shown.contains(secret.as_str()), "{shown}");
    }
    assert_eq!(
        app.audit_entries_of("expert.application_opened")
            .await
            .len(),
        1
    );

    let bad_term = act(&app, &admin, &id, "approve", &json!({"term_years": 6})).await;
    let problem = assert_problem(bad_term, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["field"], "term_years");

    let approved: Value = act(&app, &admin, &id, "approve", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["status"], "approved", "{approved}");
    assert_eq!(approved["term_years"], 3);
    let expert_id = approved["expert_id"].as_str().unwrap().to_owned();
    let (start, end) = (
        approved["term_start"].as_str().unwrap(),
        approved["term_end"].as_str().unwrap(),
    );
    let start_year: i32 = start[..4].parse().unwrap();
    assert_eq!(end[..4].parse::<i32>().unwrap(), start_year + 3);

    // The record is the import's: active, with the highest title, and its term in the clear.
    let record: Value = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&admin))
        .await;
    assert_eq!(record["status"], "active", "{record}");
    assert_eq!(record["title_level"], 3);
    assert_eq!(record["region_code"], "420100");
    let followed: Value = follow(&app, &id, &code).await.json().await.unwrap();
    assert_eq!(followed["status"], "approved");
    assert_eq!(followed["term_end"], end);

    // The SMS to the applicant's phone carries the login; activation and login work.
    let messages = sent(&app, "expert-admitted", 1).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(
        message["phone"]
            .as_str()
            .unwrap()
            .ends_with(&person.phone[7..]),
        "{message}"
    );
    let activation = message["params"]["code"].as_str().unwrap();
    assert_eq!(message["params"]["term_end"], end);
    let token = logged_in_from(&app, message).await;
    let own: Value = app.get_json("/api/v1/me/expert", Some(&token)).await;
    assert_eq!(own["identity"]["name"], person.name.as_str(), "{own}");
    assert_eq!(own["identity"]["phone"], person.phone.as_str());

    // Every step is logged, naming the expert by pseudonym only; no identity reaches a log.
    let approved_entries = app.audit_entries_of("expert.application_approved").await;
    assert_eq!(approved_entries.len(), 1);
    assert_eq!(approved_entries[0]["data"]["term_end"], end);
    for kind in [
        "expert.applied",
        "expert.application_opened",
        "notify.queued",
    ] {
        assert!(!app.audit_entries_of(kind).await.is_empty(), "{kind}");
    }
    let entries = serde_json::to_string(&app.audit_entries().await).unwrap();
    let logs = captured_logs();
    for secret in [&person.name, &person.id_number, &person.phone, &code] {
        assert!(
            !entries.contains(secret.as_str()),
            "audit log holds {secret}"
        );
        assert!(!logs.contains(secret.as_str()), "logs hold a secret");
    }
    assert!(!logs.contains(activation));

    // Once approved, the application is settled: no second approval, no withdrawal.
    let again = act(&app, &admin, &id, "approve", &json!({})).await;
    assert_problem(again, StatusCode::CONFLICT).await;
    let withdraw = as_applicant(
        &app,
        &format!("/api/v1/applications/{id}/withdraw"),
        &code,
        &json!({}),
    )
    .await;
    assert_problem(withdraw, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn more_is_requested_and_supplemented_then_the_application_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let person = applicant(2);
    let (id, code) = filed(&app, &application(&person)).await;
    act(&app, &admin, &id, "open", &json!({})).await;

    let short = act(
        &app,
        &admin,
        &id,
        "request-more",
        &json!({"question": "证书?"}),
    )
    .await;
    assert_eq!(
        assert_problem(short, StatusCode::BAD_REQUEST).await["field"],
        "question"
    );
    let asked = act(
        &app,
        &admin,
        &id,
        "request-more",
        &json!({"question": "请补充注册造价工程师证书的有效期"}),
    )
    .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let followed: Value = follow(&app, &id, &code).await.json().await.unwrap();
    assert_eq!(followed["status"], "more_requested");
    assert_eq!(followed["question"], "请补充注册造价工程师证书的有效期");
    // While the applicant has not answered, it cannot be approved.
    let early = act(&app, &admin, &id, "approve", &json!({})).await;
    assert_problem(early, StatusCode::CONFLICT).await;

    let path = format!("/api/v1/applications/{id}/supplement");
    let answered = as_applicant(
        &app,
        &path,
        &code,
        &json!({"answer": "有效期至 2028-06-30，证书扫描件已寄交"}),
    )
    .await;
    assert_eq!(answered.status(), StatusCode::OK);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["status"], "under_review");
    let again = as_applicant(&app, &path, &code, &json!({"answer": "再补充"})).await;
    assert_problem(again, StatusCode::CONFLICT).await;

    let opened: Value = act(&app, &admin, &id, "open", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        opened["supplement"],
        "有效期至 2028-06-30，证书扫描件已寄交"
    );

    let refused = act(
        &app,
        &admin,
        &id,
        "refuse",
        &json!({"reason": "从业年限证明不足八年，暂不予入库"}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let followed: Value = follow(&app, &id, &code).await.json().await.unwrap();
    assert_eq!(followed["status"], "refused");
    assert_eq!(
        followed["decision_reason"],
        "从业年限证明不足八年，暂不予入库"
    );
    assert!(followed["expert_id"].is_null());
    let entries = app.audit_entries_of("expert.application_refused").await;
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]["data"]
            .get(suite().digest_field("reason"))
            .is_some()
    );
    for kind in [
        "expert.application_more_requested",
        "expert.application_supplemented",
    ] {
        assert_eq!(app.audit_entries_of(kind).await.len(), 1, "{kind}");
    }
    // Refused, the same person may apply again.
    let (second, _) = filed(&app, &application(&person)).await;
    assert_ne!(second, id);
    let statistics: Value = app.get_json("/api/v1/pool/statistics", Some(&admin)).await;
    assert_eq!(statistics["total"], 0, "nothing entered the pool");
}

#[tokio::test]
async fn an_id_number_already_in_the_pool_or_in_an_open_application_is_refused_without_saying_whose()
 {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let person = applicant(3);
    let (id, code) = filed(&app, &application(&person)).await;
    let twice = submit(&app, None, &application(&person)).await;
    let problem = assert_problem(twice, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:application-open");
    assert!(!problem.to_string().contains(&id), "{problem}");

    // Withdrawn, it no longer blocks; once in the pool, the person cannot apply again.
    let withdrawn = as_applicant(
        &app,
        &format!("/api/v1/applications/{id}/withdraw"),
        &code,
        &json!({}),
    )
    .await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    assert_eq!(
        app.audit_entries_of("expert.application_withdrawn")
            .await
            .len(),
        1
    );
    let (again, _) = filed(&app, &application(&person)).await;
    act(&app, &admin, &again, "open", &json!({})).await;
    let approved = act(&app, &admin, &again, "approve", &json!({"term_years": 1})).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let member = submit(&app, None, &application(&person)).await;
    let problem = assert_problem(member, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:already-in-pool");
    assert_eq!(application_count(&app).await, 2);
}

#[tokio::test]
async fn bad_applications_are_refused_naming_each_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let person = applicant(4);
    let entries_before = app.audit_entries().await.len();

    let mut bad = application(&person);
    bad["id_number"] = json!("420106197803040011");
    bad["phone"] = json!("12345");
    bad["employer"]["credit_code"] = json!("91420100MA4K0003X");
    bad["specialties"][0]["code"] = json!("Z99");
    bad["specialties"][1]["evidence"] = json!("");
    bad["ties"][0]["kind"] = json!("director");
    bad["ties"][0]["credit_code"] = json!("nope");
    bad["declarations"]["accepts_rules"] = json!(false);
    bad["name"] = json!("张\u{202e}三");
    let response = submit(&app, None, &bad).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = problem["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for expected in [
        "name",
        "id_number",
        "phone",
        "employer.credit_code",
        "specialties",
        "specialties[1].evidence",
        "ties[0].credit_code",
        "declarations.accepts_rules",
    ] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }

    // A body of the wrong shape names its field; one too large is refused whole.
    let mut missing = application(&person);
    missing.as_object_mut().unwrap().remove("declarations");
    let problem = assert_problem(submit(&app, None, &missing).await, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("declarations"),
        "{problem}"
    );
    let mut huge = application(&person);
    huge["specialties"][0]["evidence"] = json!("长".repeat(40_000));
    assert_problem(
        submit(&app, None, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let mut unknown_call = application(&person);
    unknown_call["recruiting_call_id"] = json!("0190c2a4-0000-7000-8000-000000000000");
    let problem = assert_problem(
        submit(&app, None, &unknown_call).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem["field"], "recruiting_call_id");

    assert_eq!(application_count(&app).await, 0);
    assert_eq!(app.audit_entries().await.len(), entries_before);
    let logs = captured_logs();
    assert!(!logs.contains(&person.name) && !logs.contains(&person.phone));
}

#[tokio::test]
async fn a_wrong_access_code_is_answered_as_an_unknown_application() {
    let app = spawn_app().await;
    let (id, code) = filed(&app, &application(&applicant(5))).await;
    let wrong = assert_problem(
        follow(&app, &id, "abcdefghijklmnopqrstuvwxyz").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let unknown = assert_problem(
        follow(&app, "0190c2a4-0000-7000-8000-000000000000", &code).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
    let none = app.get(&format!("/api/v1/applications/{id}"), None).await;
    let problem = assert_problem(none, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:access-code-required");
    // A wrong code cannot withdraw it either; the right one still follows it.
    let path = format!("/api/v1/applications/{id}/withdraw");
    assert_problem(
        as_applicant(&app, &path, "wrong", &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(follow(&app, &id, &code).await.status(), StatusCode::OK);
    // Reviewing is the admins': a center or an expert cannot list or open applications.
    let (_, center) = app.account_with_token("center-a", Role::Center).await;
    let listed = app.get("/api/v1/applications", Some(&center)).await;
    assert_problem(listed, StatusCode::FORBIDDEN).await;
    assert_problem(
        act(&app, &center, &id, "open", &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_center_nominates_an_applicant_and_a_recruiting_call_is_published_answered_and_closed() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (_, center) = app.account_with_token("center-b", Role::Center).await;
    let (_, supervisor) = app
        .account_with_token("supervisor-b", Role::Supervisor)
        .await;

    let call = json!({"specialties": ["C0101"], "regions": ["420100"], "until": "2099-12-31", "note": "招募造价类专家"});
    assert_problem(
        app.post("/api/v1/recruiting-calls", Some(&center), &call)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let mut past = call.clone();
    past["until"] = json!("2000-01-01");
    let problem = assert_problem(
        app.post("/api/v1/recruiting-calls", Some(&admin), &past)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem["field"], "until");
    let published = app
        .post("/api/v1/recruiting-calls", Some(&admin), &call)
        .await;
    assert_eq!(published.status(), StatusCode::CREATED);
    let call_id = published.json::<Value>().await.unwrap()["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open: Value = app.get_json("/api/v1/recruiting-calls", None).await;
    assert_eq!(open[0]["call_id"], call_id.as_str());
    assert_eq!(open[0]["specialties"], json!(["C0101"]));

    // The center's nomination answers the call and records the center.
    let mut body = application(&applicant(6));
    body["recruiting_call_id"] = json!(call_id);
    let nominated = submit(&app, Some(&center), &body).await;
    assert_eq!(nominated.status(), StatusCode::CREATED);
    let nominated: Value = nominated.json().await.unwrap();
    assert_eq!(nominated["recruiting_call_id"], call_id.as_str());
    assert!(nominated["nominated_by"].is_string());
    let entry = &app.audit_entries_of("expert.applied").await[0];
    assert_eq!(entry["data"]["nominated"], true);
    assert_eq!(entry["data"]["recruiting_call"], call_id.as_str());
    // A supervisor does not nominate.
    let refused = submit(&app, Some(&supervisor), &application(&applicant(7))).await;
    assert_problem(refused, StatusCode::FORBIDDEN).await;

    let closed = app
        .post(
            &format!("/api/v1/recruiting-calls/{call_id}/close"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let again = app
        .post(
            &format!("/api/v1/recruiting-calls/{call_id}/close"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT).await;
    let open: Value = app.get_json("/api/v1/recruiting-calls", None).await;
    assert!(open.as_array().unwrap().is_empty());
    let mut late = application(&applicant(8));
    late["recruiting_call_id"] = json!(call_id);
    let problem = assert_problem(submit(&app, None, &late).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["field"], "recruiting_call_id");
    for kind in [
        "pool.recruiting_call_published",
        "pool.recruiting_call_closed",
    ] {
        assert_eq!(app.audit_entries_of(kind).await.len(), 1, "{kind}");
    }
}

/// A server whose tokens outlive the years a test moves its clock by.
async fn long_lived_app() -> TestApp {
    spawn_app_with(TestOptions {
        customise: Box::new(|settings| {
            settings.auth.token_idle_minutes = 800 * 24 * 60;
            settings.auth.token_absolute_hours = 800 * 24;
        }),
        ..TestOptions::default()
    })
    .await
}

const YEAR_AND_A_DAY: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// The status-change SMSes delivered so far for `reason`.
async fn status_messages(app: &TestApp, reason: &str, expected: usize) -> Vec<Value> {
    let mut messages = sent(app, "expert-status-changed", expected).await;
    messages.retain(|message| message["params"]["reason"] == reason);
    messages
}

#[tokio::test]
async fn a_term_that_ends_without_renewal_retires_the_expert_with_an_sms_and_an_audit_entry() {
    let app = long_lived_app().await;
    let admin = admin(&app).await;
    let (id, _) = filed(&app, &application(&applicant(9))).await;
    act(&app, &admin, &id, "open", &json!({})).await;
    let approved: Value = act(&app, &admin, &id, "approve", &json!({"term_years": 1}))
        .await
        .json()
        .await
        .unwrap();
    let expert_id = approved["expert_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.state.apply_exit_rules().await.unwrap(),
        0,
        "the term runs"
    );

    app.clock.advance(YEAR_AND_A_DAY);
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 1);
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 0, "once only");
    let record: Value = app
        .get_json(&format!("/api/v1/experts/{expert_id}"), Some(&admin))
        .await;
    assert_eq!(record["status"], "retired");
    let entries = app.audit_entries_of("expert.status_changed").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["data"]["reason_code"], "term_ended");
    assert_eq!(entries[0]["data"]["from"], "active");
    assert_eq!(entries[0]["actor"], json!({"system": "server"}));
    let messages = status_messages(&app, "term_ended", 1).await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["params"]["text"]
            .as_str()
            .unwrap()
            .contains("聘期")
    );
}

#[tokio::test]
async fn an_expert_who_reaches_the_age_limit_retires_and_a_lapsed_suspension_ends() {
    let app = long_lived_app().await;
    let admin = admin(&app).await;
    let employer = complete_credit_code("91420100MA4K00041").unwrap();
    // Born in 1957 and 1980; the draw's age limit is 70, reached in 2027.
    let older_id_number = complete_id_number("42010619570101001");
    let older = &older_id_number;
    let younger = complete_id_number("42010619800101002");
    let csv = format!(
        "{}\n年长专家,{older},13900000001,,某公司,{employer},A0101,420100,3,30,1957,\n\
         年轻专家,{younger},13900000002,,某公司,{employer},A0101,420100,2,10,1980,\n",
        crate::pool::CSV_HEADER
    );
    let imported = crate::pool::import(&app, &admin, csv, "text/csv").await;
    assert_eq!(imported.status(), StatusCode::OK);
    let listed: Value = app.get_json("/api/v1/experts", Some(&admin)).await;
    let id_of = |year: i64| {
        listed["experts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["birth_year"] == year)
            .unwrap()["expert_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (older_id, younger_id) = (id_of(1957), id_of(1980));

    // The younger one is suspended for a week.
    let today = chrono::DateTime::from_timestamp_millis(app.clock.now_millis() + 8 * 3_600_000)
        .unwrap()
        .date_naive();
    let until = today + chrono::Days::new(7);
    let suspended = app
        .post(
            &format!("/api/v1/experts/{younger_id}/status"),
            Some(&admin),
            &json!({"status": "suspended", "suspended_until": until.to_string(), "reason_code": "request"}),
        )
        .await;
    assert_eq!(
        suspended.status(),
        StatusCode::OK,
        "{}",
        suspended.text().await.unwrap()
    );
    let imported_year = today.format("%Y").to_string().parse::<i32>().unwrap();
    let expected_now = usize::from(imported_year - 1957 >= 70);
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), expected_now);

    app.clock.advance(YEAR_AND_A_DAY);
    assert_eq!(
        app.state.apply_exit_rules().await.unwrap(),
        2 - expected_now
    );
    let older: Value = app
        .get_json(&format!("/api/v1/experts/{older_id}"), Some(&admin))
        .await;
    assert_eq!(older["status"], "retired");
    let younger: Value = app
        .get_json(&format!("/api/v1/experts/{younger_id}"), Some(&admin))
        .await;
    assert_eq!(younger["status"], "active", "imported records have no term");
    let reasons: Vec<Value> = app
        .audit_entries_of("expert.status_changed")
        .await
        .iter()
        .filter(|e| e["actor"] == json!({"system": "server"}))
        .map(|e| e["data"]["reason_code"].clone())
        .collect();
    assert!(reasons.contains(&json!("age_limit")), "{reasons:?}");
    assert!(reasons.contains(&json!("suspension_ended")), "{reasons:?}");
    assert_eq!(status_messages(&app, "age_limit", 1).await.len(), 1);
    assert_eq!(status_messages(&app, "suspension_ended", 1).await.len(), 1);
    let logs = captured_logs();
    assert!(!logs.contains(older_id_number.as_str()) && !logs.contains("13900000001"));
}

#[tokio::test]
async fn an_admin_moves_an_expert_only_along_the_documented_transitions() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (id, _) = filed(&app, &application(&applicant(10))).await;
    act(&app, &admin, &id, "open", &json!({})).await;
    let approved: Value = act(&app, &admin, &id, "approve", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v1/experts/{}/status",
        approved["expert_id"].as_str().unwrap()
    );
    let to = |status: &str| json!({"status": status, "reason_code": "request"});
    assert_eq!(
        app.post(&path, Some(&admin), &to("retired")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post(&path, Some(&admin), &to("removed")).await.status(),
        StatusCode::OK
    );
    let back = app.post(&path, Some(&admin), &to("active")).await;
    let problem = assert_problem(back, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:status-transition");
    assert_eq!(
        problem["detail"],
        "an expert who is removed cannot become active"
    );
    let entries = app.audit_entries_of("expert.status_changed").await;
    assert_eq!(entries.len(), 2, "the refused change wrote nothing");
    assert_eq!(entries[1]["data"]["from"], "retired");
    assert_eq!(entries[1]["data"]["status"], "removed");
}

/// Activates the login the approval's SMS carried and logs in: the expert's token.
async fn expert_token(app: &TestApp) -> String {
    let message = sent(app, "expert-admitted", 1).await.remove(0);
    logged_in_from(app, &message).await
}

/// Activates the login an `expert-admitted` message carries, sets a password and logs in: the
/// expert's token.
pub(crate) async fn logged_in_from(app: &TestApp, message: &Value) -> String {
    let username = message["params"]["username"].as_str().unwrap();
    let code = message["params"]["code"].as_str().unwrap();
    let activated = app
        .post(
            "/api/v1/auth/activate",
            None,
            &json!({"username": username, "code": code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::NO_CONTENT);
    let login: Value = app
        .post_login(&json!({"username": username, "password": PASSWORD}))
        .await
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_expert_renews_in_the_window_before_the_term_ends_and_stays_past_it() {
    let app = long_lived_app().await;
    let admin = admin(&app).await;
    let (id, _) = filed(&app, &application(&applicant(11))).await;
    act(&app, &admin, &id, "open", &json!({})).await;
    let approved: Value = act(&app, &admin, &id, "approve", &json!({"term_years": 1}))
        .await
        .json()
        .await
        .unwrap();
    let term_end: chrono::NaiveDate = approved["term_end"].as_str().unwrap().parse().unwrap();
    let expert = expert_token(&app).await;

    // Too early: the window opens 90 days before the last day.
    let early = app
        .post("/api/v1/me/expert/renewal", Some(&expert), &json!({}))
        .await;
    let problem = assert_problem(early, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:sealdraw:problem:renewal-not-open");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&term_end.to_string())
    );

    app.clock
        .advance(std::time::Duration::from_secs(300 * 24 * 3600));
    let asked = app
        .post("/api/v1/me/expert/renewal", Some(&expert), &json!({}))
        .await;
    assert_eq!(asked.status(), StatusCode::CREATED);
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["status"], "pending");
    let twice = app
        .post("/api/v1/me/expert/renewal", Some(&expert), &json!({}))
        .await;
    assert_problem(twice, StatusCode::CONFLICT).await;
    let listed: Value = app
        .get_json("/api/v1/renewals?status=pending", Some(&admin))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let renewal = asked["renewal_id"].as_str().unwrap();
    let decided: Value = app
        .post(
            &format!("/api/v1/renewals/{renewal}/approve"),
            Some(&admin),
            &json!({"term_years": 2}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(decided["status"], "approved");
    let new_end = term(term_end.succ_opt().unwrap(), 2);
    assert_eq!(decided["new_term_end"], new_end.to_string());
    let again = app
        .post(
            &format!("/api/v1/renewals/{renewal}/refuse"),
            Some(&admin),
            &json!({"reason": "该申请已经处理过，不再重复审批"}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT).await;
    let entries = app.audit_entries_of("expert.renewal_approved").await;
    assert_eq!(entries[0]["data"]["new_term_end"], new_end.to_string());
    assert_eq!(
        app.audit_entries_of("expert.renewal_requested").await.len(),
        1
    );
    let messages = sent(&app, "expert-renewal-decided", 1).await;
    assert_eq!(messages[0]["params"]["term_end"], new_end.to_string());

    // Past the old term's end the expert stays: the sweep finds nothing to do.
    app.clock
        .advance(std::time::Duration::from_secs(100 * 24 * 3600));
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 0);
    let record: Value = app
        .get_json(
            &format!(
                "/api/v1/experts/{}",
                approved["expert_id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(record["status"], "active");
}

/// The last day of a term of `years` from `start`, as the server counts it.
fn term(start: chrono::NaiveDate, years: u32) -> chrono::NaiveDate {
    start
        .checked_add_months(chrono::Months::new(12 * years))
        .unwrap()
        .pred_opt()
        .unwrap()
}

#[tokio::test]
async fn a_term_that_ended_is_excluded_from_a_draw_as_term_ended_before_the_sweep_runs() {
    let fx = crate::draws::DrawFixture::with(&crate::draws::experts(12, "A0101"), |settings| {
        settings.auth.token_idle_minutes = 800 * 24 * 60;
        settings.auth.token_absolute_hours = 800 * 24;
    })
    .await;
    let app = &fx.app;
    let (id, _) = filed(app, &application(&applicant(12))).await;
    act(app, &fx.admin, &id, "open", &json!({})).await;
    let approved = act(app, &fx.admin, &id, "approve", &json!({"term_years": 1})).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let strata = json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }]);
    let before = fx.create_ok(&fx.request(strata.clone())).await;
    let excluded_before = crate::draw_rules::excluded(&before, 0);
    assert!(
        !excluded_before.contains_key("term_ended"),
        "{excluded_before:?}"
    );

    app.clock.advance(YEAR_AND_A_DAY);
    let after = fx.create_ok(&fx.request(strata)).await;
    let excluded_after = crate::draw_rules::excluded(&after, 0);
    assert_eq!(
        excluded_after.get("term_ended"),
        Some(&1),
        "{excluded_after:?}"
    );
    // The sweep then retires the expert; the draw counts them as not active from then on.
    assert_eq!(app.state.apply_exit_rules().await.unwrap(), 1);
}
