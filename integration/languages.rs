//! Problem details in the reader's language (issue 24 §4): a request preferring Chinese gets
//! the same problem — type, status, field — with its detail in Chinese and the values the
//! server filled in carried over; anyone else gets English.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts};
use crate::helpers::*;
use crate::pool::{import, people};
use crate::sessions::{Committee, Mode};
use sealdraw::auth::Role;

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The same request twice, in English and in Chinese: both problems, and the Chinese one's
/// `Content-Language`.
async fn both_languages(
    build: impl Fn() -> reqwest::RequestBuilder,
    status: StatusCode,
) -> (Value, Value) {
    let english = assert_problem(build().send().await.unwrap(), status).await;
    let response = build()
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "zh-CN");
    let chinese = assert_problem(response, status).await;
    for key in ["type", "status", "field", "title"] {
        assert_eq!(
            english[key], chinese[key],
            "{key} differs between languages"
        );
    }
    assert!(
        !is_chinese(english["detail"].as_str().unwrap()),
        "{english}"
    );
    (english, chinese)
}

#[tokio::test]
async fn a_reader_preferring_chinese_reads_problem_details_in_chinese_with_the_values_kept() {
    let fx = DrawFixture::new(&experts(20, "A0101")).await;
    let app = &fx.app;
    let entries = app.entries_written_by_requests().await;

    // A field's problem: the field's name stays, the sentence is Chinese.
    let mut body =
        fx.request(json!([{"specialty_prefixes": ["A0101"], "count": 0, "reserves": 1}]));
    let (english, chinese) = both_languages(
        || {
            app.request(Method::POST, "/api/v1/draws", Some(&fx.center))
                .json(&body)
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(english["field"], "strata[0].count", "{english}");
    assert!(
        english["detail"]
            .as_str()
            .unwrap()
            .starts_with("strata[0].count: must be from 1 to")
    );
    let detail = chinese["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("strata[0].count：须在 1 至 "),
        "{detail}"
    );

    // A window refusal: the Beijing time the English names is in the Chinese too.
    body = fx.request(json!([{"specialty_prefixes": ["A0101"], "count": 3, "reserves": 1}]));
    body["evaluation_start"] = json!(sealdraw::clock::to_rfc3339(
        sealdraw::clock::Clock::now_millis(&app.clock) + 5 * 60_000
    ));
    let (english, chinese) = both_languages(
        || {
            app.request(Method::POST, "/api/v1/draws", Some(&fx.center))
                .json(&body)
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let english = english["detail"].as_str().unwrap();
    let chinese = chinese["detail"].as_str().unwrap();
    let time = english
        .split("no earlier than ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no time in {english:?}"));
    assert!(time.ends_with("+08:00"), "{english}");
    assert!(
        chinese.contains(&format!("不早于北京时间 {time}")),
        "{chinese}"
    );

    // Too few eligible experts: the stratum's figures, and "nothing was drawn", in Chinese.
    body = fx.request(json!([{"specialty_prefixes": ["A0101"], "count": 30, "reserves": 1}]));
    let (_, chinese) = both_languages(
        || {
            app.request(Method::POST, "/api/v1/draws", Some(&fx.center))
                .json(&body)
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let detail = chinese["detail"].as_str().unwrap();
    assert!(detail.starts_with("分组 0：符合条件 20 人"), "{detail}");
    assert!(detail.ends_with("；未进行抽取"), "{detail}");

    // A body that is not JSON, an unknown id, a wrong password.
    let (_, chinese) = both_languages(
        || {
            app.request(Method::POST, "/api/v1/draws", Some(&fx.center))
                .header("content-type", "application/json")
                .body(r#"{"tender_reference": 5}"#)
        },
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(is_chinese(chinese["detail"].as_str().unwrap()), "{chinese}");
    let (_, chinese) = both_languages(
        || app.request(Method::GET, "/api/v1/draws/no-such-draw", Some(&fx.center)),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(chinese["detail"], "找不到该抽取");
    let (_, chinese) = both_languages(
        || {
            app.request(Method::POST, "/api/v1/auth/login", None)
                .json(&json!({"username": "center", "password": "not the password"}))
        },
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(chinese["detail"], "用户名、密码或动态验证码不正确");

    // Neither language wrote anything.
    assert_eq!(app.entries_written_by_requests().await, entries);
}

#[tokio::test]
async fn an_import_refused_in_chinese_lists_each_line_in_chinese() {
    let app = spawn_app().await;
    let (_, admin) = app.account_with_token("admin", Role::Admin).await;
    let mut text = crate::pool::csv(&people(2, 7));
    // The second person's phone is not a mobile number.
    let lines: Vec<&str> = text.lines().collect();
    let broken = lines[2].replacen(",1", ",9", 1);
    text = format!("{}\n{}\n{}\n", lines[0], lines[1], broken);
    let english = assert_problem(
        import(&app, &admin, text.clone(), "text/csv").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let response = app
        .client
        .post(app.url("/api/v1/experts/import"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .header("accept-language", "zh-CN")
        .body(text)
        .send()
        .await
        .unwrap();
    let chinese = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(chinese["detail"], "文件中有 1 处问题，未导入任何数据");
    let item = &chinese["problems"][0];
    assert_eq!(item["line"], english["problems"][0]["line"]);
    assert_eq!(item["field"], "phone");
    assert_eq!(
        item["problem"],
        "须为 11 位中国大陆手机号，例如 13800138000"
    );
}

#[tokio::test]
async fn english_is_the_default_for_other_and_malformed_language_headers() {
    let app = spawn_app().await;
    for header in [
        "fr-FR",
        "*",
        "zh;q=0, en",
        "zh;q=bogus",
        "en-GB,zh-CN;q=0.5",
    ] {
        let response = app
            .request(Method::GET, "/api/v1/draws/none", None)
            .header("accept-language", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-language"], "en", "{header}");
        let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(
            !is_chinese(problem["detail"].as_str().unwrap()),
            "{header}: {problem}"
        );
    }
}

#[tokio::test]
async fn a_websocket_opened_with_lang_zh_answers_refusals_in_chinese() {
    use sealdraw::session::protocol::Request;
    use sealdraw::session::rules::Phase;
    use sealdraw::terminal::client::SessionClient;

    let committee = Committee::new(Mode::Distributed, 5, 1).await;
    let host = &committee.fx.center;
    let skip = Request::Advance {
        to: Phase::Evaluation,
    };
    let mut chinese = open_in(&committee, host, "zh").await;
    let refused = chinese.request(&skip).await.unwrap().unwrap_err();
    assert_eq!(refused.code, "wrong-phase");
    assert_eq!(
        refused.detail,
        "评标会议当前处于已安排阶段：下一阶段是签到，不是评审"
    );
    let mut english = open_in(&committee, host, "en").await;
    let refused = english.request(&skip).await.unwrap().unwrap_err();
    assert_eq!(refused.code, "wrong-phase");
    assert!(refused.detail.contains("check_in"), "{}", refused.detail);

    // Any other language is refused before the upgrade, naming the parameter.
    let ticket: Value = committee.ticket(host).await.json().await.unwrap();
    match SessionClient::connect(
        &committee.endpoint,
        ticket["path"].as_str().unwrap(),
        &format!("{}&lang=fr", ticket["ticket"].as_str().unwrap()),
        0,
    )
    .await
    {
        Err(sealdraw::terminal::client::ClientError::Refused { status, body }) => {
            assert_eq!(status, 400, "{body}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["field"], "lang");
        }
        other => panic!("lang=fr was not refused: {:?}", other.err()),
    }
}

/// A session websocket asking for `lang` by name, as the console does: a websocket carries the
/// browser's Accept-Language, not the console's choice.
async fn open_in(
    committee: &Committee,
    bearer: &str,
    lang: &str,
) -> sealdraw::terminal::client::SessionClient {
    let ticket: Value = committee.ticket(bearer).await.json().await.unwrap();
    sealdraw::terminal::client::SessionClient::connect(
        &committee.endpoint,
        ticket["path"].as_str().unwrap(),
        &format!("{}&lang={lang}", ticket["ticket"].as_str().unwrap()),
        0,
    )
    .await
    .unwrap()
}
