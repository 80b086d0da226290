//! Joining the pool through the console (issue 22 §1): an applicant on a 390-pixel-wide phone,
//! logged out, applies from the sign-in screen, is shown the access code once and follows the
//! application with it; an admin opens that application in 入库审核, asks a question the
//! applicant answers on the phone, and approves it with a two-year term, and the record exists,
//! active, with that term.

use reqwest::StatusCode;
use sealdraw::auth::Role;
use sealdraw::pool::validate::{complete_credit_code, complete_id_number};
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::spawn_app;

async fn document_width(browser: &Browser) -> i64 {
    browser
        .execute("return document.documentElement.scrollWidth;")
        .await
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_applicant_on_a_phone_applies_and_follows_and_an_admin_approves_with_a_two_year_term() {
    let app = spawn_app().await;
    let id_number = complete_id_number("42010619800101123");
    let employer_code = complete_credit_code("91420100MA4K00031").unwrap();
    // The same code with its check character changed: well-formed, but not a code.
    let wrong_check = if employer_code.ends_with('0') {
        "1"
    } else {
        "0"
    };
    let wrong_code = format!("{}{wrong_check}", &employer_code[..17]);

    let phone = Browser::phone(&app).await;
    phone.open("/console/").await;
    phone.click("#apply-link").await;
    phone.wait_for("#apply-form").await;
    assert!(document_width(&phone).await <= 390);

    // A wrong credit code is marked at its field before anything is sent.
    phone.fill("#apply-name", "申请人甲").await;
    phone.fill("#apply-id-number", &id_number).await;
    phone.fill("#apply-phone", "13707130001").await;
    phone
        .fill("#apply-employer-name", "湖北某工程咨询有限公司")
        .await;
    phone.fill("#apply-employer-code", &wrong_code).await;
    phone.fill("#apply-region", "420100").await;
    phone.fill("#apply-specialty-code-0", "A0101").await;
    phone.fill("#apply-specialty-years-0", "16").await;
    phone
        .fill(
            "#apply-specialty-evidence-0",
            "正高级工程师证 鄂高职字第 2011-0042 号",
        )
        .await;
    phone.click("#apply-specialty-add").await;
    phone.fill("#apply-specialty-code-1", "C0101").await;
    phone.select("#apply-specialty-title-1", "2").await;
    phone.fill("#apply-specialty-years-1", "9").await;
    phone
        .fill(
            "#apply-specialty-evidence-1",
            "注册造价工程师 建[造]11420000123",
        )
        .await;
    phone.click("#apply-submit").await;
    phone
        .wait_for("#apply-employer-code[aria-invalid=true]")
        .await;
    phone
        .wait_for("#apply-declare-rules[aria-invalid=true]")
        .await;
    let nothing: Value = app
        .get_json(
            "/api/v1/applications?status=submitted",
            Some(&app.account_with_token("admin.check", Role::Admin).await.1),
        )
        .await;
    assert_eq!(nothing.as_array().unwrap().len(), 0);

    phone.fill("#apply-employer-code", &employer_code).await;
    for declaration in ["record", "true", "rules"] {
        phone.click(&format!("#apply-declare-{declaration}")).await;
    }
    assert!(document_width(&phone).await <= 390);
    phone.click("#apply-submit").await;
    phone.wait_for("#apply-submitted").await;
    let application_id = phone.text("#apply-result-id").await;
    let access_code = phone.text("#apply-result-code").await;
    assert!(!application_id.is_empty() && !access_code.is_empty());
    phone
        .wait_for_text("#apply-submitted [role=alert]", "查询码只显示这一次")
        .await;
    phone.screenshot("apply-submitted").await;
    assert!(document_width(&phone).await <= 390);

    // Following it with the id and code typed in afresh.
    phone.fill("#follow-id", &application_id).await;
    phone.fill("#follow-code", &access_code).await;
    phone.click("#follow-submit").await;
    phone
        .wait_for("#follow-status[data-status=submitted]")
        .await;
    phone.wait_for("#withdraw").await;
    assert!(document_width(&phone).await <= 390);

    // The admin opens it in 入库审核 and approves it with a two-year term.
    let (_, admin_token) = app.account_with_token("admin.reader", Role::Admin).await;
    let admin_account = app.create_account("console-admin", Role::Admin).await;
    let admin = Browser::start(&app).await;
    admin.login(&app, &admin_account).await;
    admin.open("/console/#/admin/applications").await;
    admin
        .click(&format!("#application-open-{application_id}"))
        .await;
    admin
        .wait_for("#application-detail[data-status=under_review]")
        .await;
    admin
        .wait_for_text("#application-employer", "湖北某工程咨询有限公司")
        .await;
    let shown = admin.text("#application-detail").await;
    assert!(shown.contains("鄂高职字第 2011-0042 号"), "{shown}");
    assert!(
        !shown.contains(&id_number) && !shown.contains("申请人甲"),
        "{shown}"
    );

    // A question first: the applicant reads it where they follow the application and answers.
    admin
        .fill(
            "#application-question",
            "请补充正高级工程师证书的发证机关名称",
        )
        .await;
    admin.click("#application-request-more").await;
    admin.wait_for_gone("#application-detail").await;
    phone.click("#follow-submit").await;
    phone
        .wait_for("#follow-status[data-status=more_requested]")
        .await;
    phone
        .wait_for_text("#follow-question", "发证机关名称")
        .await;
    phone
        .fill("#supplement-answer", "湖北省人力资源和社会保障厅")
        .await;
    phone.click("#supplement-submit").await;
    phone
        .wait_for("#follow-status[data-status=under_review]")
        .await;
    assert!(document_width(&phone).await <= 390);

    admin.select("#applications-status", "under_review").await;
    admin
        .click(&format!("#application-open-{application_id}"))
        .await;
    admin
        .wait_for_text("#application-supplement", "人力资源和社会保障厅")
        .await;
    admin.fill("#application-term", "2").await;
    admin.click("#application-approve").await;
    admin.wait_for_gone("#application-detail").await;

    let approved: Value = app
        .get_json("/api/v1/applications?status=approved", Some(&admin_token))
        .await;
    let approved = &approved.as_array().unwrap()[0];
    assert_eq!(approved["application_id"], application_id.as_str());
    assert_eq!(approved["term_years"], 2);
    let record = app
        .get(
            &format!(
                "/api/v1/experts/{}",
                approved["expert_id"].as_str().unwrap()
            ),
            Some(&admin_token),
        )
        .await;
    assert_eq!(record.status(), StatusCode::OK);
    let record: Value = record.json().await.unwrap();
    assert_eq!(record["status"], "active", "{record}");
    assert_eq!(record["term_end"], approved["term_end"]);
    let start: i32 = record["term_start"].as_str().unwrap()[..4].parse().unwrap();
    let end: i32 = record["term_end"].as_str().unwrap()[..4].parse().unwrap();
    assert_eq!(end, start + 2);
}
