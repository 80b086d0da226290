//! Statutory eligibility (issue 15 §3) over HTTPS: 招标投标法 §37's floor of years and title,
//! tightened per stratum, never loosened; director, supervisor, shareholder and
//! actual-controller ties (政府采购法实施条例 §9) avoided like employers; experts' requests to
//! change their employer and ties, which draws see only once an admin approves; records of such
//! draws verifying offline, and records made before still verifying.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::draw_rules::{
    assert_client_error, counts, day_in_china, eligible, excluded, expert_ids, expert_login,
};
use crate::draws::{DrawFixture, Expert, assert_live_record_verifies, credit_code, experts};
use crate::helpers::*;

fn in_region(region: &'static str, customise: impl FnOnce(&mut Expert)) -> Expert {
    let mut expert = Expert {
        region,
        ..Expert::plain("A0101")
    };
    customise(&mut expert);
    expert
}

/// A date `days` before the evaluation day of a request made now (evaluations start two hours
/// from now), as the import and the API write it.
fn days_before_evaluation(fx: &DrawFixture, days: i64) -> &'static str {
    let now = sealdraw::clock::Clock::now_millis(&fx.app.clock);
    let day = day_in_china(now + 2 * 3_600_000) - chrono::Duration::days(days);
    Box::leak(day.to_string().into_boxed_str())
}

/// The same as [`days_before_evaluation`], before the fixture exists (the test's clock starts
/// on the real time).
fn days_ago(days: i64) -> &'static str {
    let day = day_in_china(chrono::Utc::now().timestamp_millis()) - chrono::Duration::days(days);
    Box::leak(day.to_string().into_boxed_str())
}

fn avoid(fx: &DrawFixture, codes: &[&str]) -> Value {
    let mut body =
        fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }]));
    body["avoid_organisations"] = codes
        .iter()
        .enumerate()
        .map(|(i, code)| json!({"name": format!("投标人{i}"), "credit_code": credit_code(code)}))
        .collect();
    body
}

async fn avoided(fx: &DrawFixture, codes: &[&str]) -> u64 {
    let created = fx.create_ok(&avoid(fx, codes)).await;
    excluded(&created, 0)
        .get("avoided_organisation")
        .copied()
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 招标投标法 §37: years in the field and title.

fn floor_pool() -> Vec<Expert> {
    let mut pool = experts(12, "A0101");
    let with = |title: &'static str, years: u32| Expert {
        title,
        years,
        ..Expert::plain("A0101")
    };
    pool.extend([
        with("正高级", 7),
        with("正高级", 7),
        with("副高级", 8),
        with("中级", 20),
        with("中级", 20),
        with("副高级", 12),
    ]);
    pool
}

#[tokio::test]
async fn the_floor_excludes_too_few_years_and_a_title_below_it_and_a_stratum_may_tighten_it() {
    let fx = DrawFixture::new(&floor_pool()).await;

    // The deployment's floor: 8 years and 副高级.
    let created = fx
        .create_ok(
            &fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }])),
        )
        .await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("too_few_years", 2), ("title_below", 2)])
    );
    assert_eq!(eligible(&created, 0), 14);
    assert_eq!(created["strata"][0]["matched"], 18);

    // A second stratum over the same specialties asks 10 years and 正高级; the first keeps the
    // deployment's floor. Every expert is counted once per stratum.
    let body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
        { "specialty_prefixes": ["A01"], "count": 2, "reserves": 0, "min_years": 10, "min_title": 3 },
    ]));
    let created = fx.create_ok(&body).await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("too_few_years", 2), ("title_below", 2)])
    );
    assert_eq!(
        excluded(&created, 1),
        counts(&[("too_few_years", 3), ("title_below", 3)])
    );
    assert_eq!(eligible(&created, 1), 12);
    let id = created["draw_id"].as_str().unwrap().to_owned();

    // The floor in force is committed: the stored filter still hashes to the intent's
    // filter_sha256, and re-applied today it finds the same sets.
    let recheck = fx
        .app
        .post(
            &format!("/api/v1/draws/{id}/recheck"),
            Some(&fx.supervisor),
            &json!({}),
        )
        .await;
    assert_eq!(recheck.status(), StatusCode::OK);
    let recheck: Value = recheck.json().await.unwrap();
    assert_eq!(recheck["filter_matches_commitment"], true, "{recheck}");
    for stratum in recheck["strata"].as_array().unwrap() {
        assert_eq!(stratum["members_match_committed_root"], true);
        assert_eq!(stratum["no_longer_eligible"], 0);
        assert_eq!(stratum["newly_eligible"], 0);
    }

    // Drawn, its record verifies with `sealdraw draw verify` and the Python verifier.
    let view = fx
        .contribute(&fx.center, &id)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(view["status"], "drawn", "{view}");
    let record = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.center))
        .await;
    assert_live_record_verifies(&fx, &record, "3/3 seats held");
}

#[tokio::test]
async fn a_looser_or_malformed_stratum_floor_is_refused_naming_its_field_and_nothing_is_written() {
    let fx = DrawFixture::new(&floor_pool()).await;
    let entries_before = fx.app.entries_written_by_requests().await;
    let stratum = |extra: Value| {
        let mut second = json!({ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 });
        for (key, value) in extra.as_object().unwrap() {
            second[key] = value.clone();
        }
        fx.request(json!([
            { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 },
            second,
        ]))
    };
    for (what, extra, status, field) in [
        (
            "fewer years",
            json!({"min_years": 7}),
            422,
            "strata[1].min_years",
        ),
        (
            "no years",
            json!({"min_years": 0}),
            422,
            "strata[1].min_years",
        ),
        (
            "a lower title",
            json!({"min_title": 1}),
            422,
            "strata[1].min_title",
        ),
        (
            "no such title",
            json!({"min_title": 4}),
            422,
            "strata[1].min_title",
        ),
        (
            "too many years",
            json!({"min_years": 71}),
            422,
            "strata[1].min_years",
        ),
        (
            "years as text",
            json!({"min_years": "8"}),
            400,
            "strata[1].min_years",
        ),
        (
            "negative title",
            json!({"min_title": -2}),
            400,
            "strata[1].min_title",
        ),
    ] {
        let response = fx.create(&stratum(extra)).await;
        assert_eq!(response.status().as_u16(), status, "{what}");
        assert_client_error(response, Some(field), what).await;
    }
    let listed = fx.app.get_json("/api/v1/draws", Some(&fx.center)).await;
    assert_eq!(listed, json!([]));
    assert_eq!(fx.app.entries_written_by_requests().await, entries_before);
}

#[tokio::test]
async fn the_deployment_sets_the_floor_and_a_stratum_below_it_is_refused() {
    let mut pool = floor_pool();
    pool.extend((0..6).map(|_| Expert {
        years: 15,
        ..Expert::plain("A0101")
    }));
    let fx = DrawFixture::with(&pool, |settings| {
        settings.draw.min_years = 12;
        settings.draw.min_title = 3;
    })
    .await;
    let created = fx
        .create_ok(
            &fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }])),
        )
        .await;
    // 10-year 正高级 experts are now too junior; so is every 副高级 and 中级 one.
    assert_eq!(
        excluded(&created, 0),
        counts(&[("too_few_years", 15), ("title_below", 3)])
    );
    assert_eq!(eligible(&created, 0), 6);
    let loose = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 1, "reserves": 0, "min_years": 10 }
    ]));
    let response = fx.create(&loose).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "strata[0].min_years");
    assert!(
        problem["detail"].as_str().unwrap().contains("at least 12"),
        "{problem}"
    );
}

// ---------------------------------------------------------------------------------------------
// 政府采购法实施条例 §9: ties beyond employment.

const TIED: &str = "91420100MA4K00050";
const OTHER: &str = "91420100MA4K00051";

#[tokio::test]
async fn each_kind_of_tie_avoids_while_it_holds_and_for_three_years_after_it_ends() {
    let within = days_ago(2 * 365);
    let beyond = days_ago(4 * 365 + 2);
    let tie = |kind: &'static str, code: &str, to: &'static str| {
        in_region("420500", |e| {
            e.ties = vec![(kind, code.into(), "2015-01-01", to)]
        })
    };
    let mut pool = experts(9, "A0101");
    pool.extend([
        tie("director", TIED, ""),
        tie("supervisor", TIED, ""),
        tie("shareholder", TIED, within),
        tie("actual_controller", TIED, ""),
        tie("director", TIED, beyond),
        tie("shareholder", OTHER, ""),
    ]);
    let fx = DrawFixture::new(&pool).await;

    let created = fx.create_ok(&avoid(&fx, &[TIED])).await;
    assert_eq!(
        excluded(&created, 0),
        counts(&[("avoided_organisation", 4)])
    );
    assert_eq!(eligible(&created, 0), 11);
    // Matched by blind index: the view names no organisation.
    assert!(!created.to_string().contains(&credit_code(TIED)));
    assert_eq!(avoided(&fx, &[OTHER]).await, 1);
    assert_eq!(avoided(&fx, &[TIED, OTHER]).await, 5);
    assert_eq!(avoided(&fx, &["91420100MA4K00052"]).await, 0);

    // Re-imported without a ties column, the ties stay; with an empty one, they are gone.
    let ids = expert_ids(&fx, "420500").await;
    assert_eq!(ids.len(), 6);
    let reimport = |with_column: bool| {
        let mut csv = crate::draws::pool_csv(&pool, 0);
        if !with_column {
            csv = csv
                .lines()
                .map(|line| line.rsplit_once(',').unwrap().0.to_owned() + "\n")
                .collect();
        } else {
            csv = csv
                .lines()
                .map(|line| line.rsplit_once(',').unwrap().0.to_owned() + ",\n")
                .collect();
            csv = csv.replacen("past_employers,\n", "past_employers,ties\n", 1);
        }
        fx.app
            .request(Method::POST, "/api/v1/experts/import", Some(&fx.admin))
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    let response = reimport(false).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    assert_eq!(avoided(&fx, &[TIED]).await, 4);
    let response = reimport(true).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    assert_eq!(avoided(&fx, &[TIED]).await, 0);
}

#[tokio::test]
async fn an_import_with_an_unknown_tie_kind_or_a_malformed_credit_code_writes_nothing() {
    let fx = DrawFixture::new(&experts(3, "A0101")).await;
    let entries_before = fx.app.entries_written_by_requests().await;
    let good = credit_code(TIED);
    let mut broken = good.clone();
    let last = broken.pop().unwrap();
    broken.push(if last == '0' { '1' } else { '0' });
    for (ties, problem) in [
        (format!("partner:{good}"), "is not a kind of tie"),
        (format!("director:{broken}"), "check character"),
        (format!("director:{}", &good[..17]), "18 characters"),
        (
            format!("director:{good}:2020-02-01:2020-01-01"),
            "ends before it starts",
        ),
    ] {
        let pool = vec![in_region("420600", |e| {
            e.ties = vec![("director", TIED.into(), "", "")]
        })];
        let csv = crate::draws::pool_csv(&pool, 3);
        let (head, _) = csv.trim_end().rsplit_once(',').unwrap();
        let csv = format!("{head},{ties}\n");
        let response = fx
            .app
            .request(Method::POST, "/api/v1/experts/import", Some(&fx.admin))
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let problems = body["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{body}");
        assert_eq!(problems[0]["field"], "ties", "{body}");
        assert_eq!(problems[0]["line"], 2, "{body}");
        assert!(
            problems[0]["problem"].as_str().unwrap().contains(problem),
            "{ties}: {body}"
        );
    }
    let statistics = fx
        .app
        .get_json("/api/v1/pool/statistics", Some(&fx.admin))
        .await;
    assert_eq!(statistics["total"], 3, "{statistics}");
    assert_eq!(fx.app.entries_written_by_requests().await, entries_before);
}

// ---------------------------------------------------------------------------------------------
// Changing one's employer and ties: asked by the expert, decided by an admin.

const OLD_EMPLOYER: &str = "91420100MA4K00060";
const NEW_EMPLOYER: &str = "91420100MA4K00061";
const BOARD: &str = "91420100MA4K00062";

async fn ask(fx: &DrawFixture, expert: &str, body: &Value) -> reqwest::Response {
    fx.app
        .post("/api/v1/me/expert/change-requests", Some(expert), body)
        .await
}

async fn own_record(fx: &DrawFixture, expert: &str) -> Value {
    fx.app.get_json("/api/v1/me/expert", Some(expert)).await
}

#[tokio::test]
async fn a_change_of_employer_and_ties_applies_to_draws_only_once_an_admin_approves_it() {
    let mut pool = experts(12, "A0101");
    pool.push(in_region("420500", |e| e.employer = OLD_EMPLOYER.into()));
    let fx = DrawFixture::new(&pool).await;
    let id = expert_ids(&fx, "420500").await.remove(0);
    let expert = expert_login(&fx, &id).await;
    let since = days_before_evaluation(&fx, 10);
    let request = json!({
        "employer": {"name": "湖北某设计研究院有限公司", "credit_code": credit_code(NEW_EMPLOYER), "since": since},
        "ties": [{"kind": "director", "credit_code": credit_code(BOARD), "from": "2024-05-01"}],
        "note": "劳动合同与任职文件已交专家库管理处",
    });
    let response = ask(&fx, &expert, &request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let asked: Value = response.json().await.unwrap();
    assert_eq!(asked["status"], "pending");
    assert_eq!(
        asked["parts"],
        json!({"employer": true, "ties": {"director": 1}})
    );
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    // One request waits at a time.
    let again = ask(&fx, &expert, &request).await;
    assert_eq!(
        assert_problem(again, StatusCode::CONFLICT).await["type"],
        "urn:sealdraw:problem:change-request-pending"
    );

    // Pending: draws still see the employer on record, not the one asked for.
    assert_eq!(avoided(&fx, &[NEW_EMPLOYER]).await, 0);
    assert_eq!(avoided(&fx, &[BOARD]).await, 0);
    assert_eq!(avoided(&fx, &[OLD_EMPLOYER]).await, 1);

    // The admin's list holds no value; opening the request is a logged read.
    let listed = fx
        .app
        .get_json("/api/v1/change-requests?status=pending", Some(&fx.admin))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["request_id"], request_id.as_str());
    assert_eq!(listed[0]["expert_id"], id.as_str());
    for code in [NEW_EMPLOYER, BOARD] {
        assert!(!listed.to_string().contains(&credit_code(code)));
    }
    let opened = fx
        .app
        .get_json(
            &format!("/api/v1/change-requests/{request_id}"),
            Some(&fx.admin),
        )
        .await;
    assert_eq!(opened["employer"]["credit_code"], credit_code(NEW_EMPLOYER));
    assert_eq!(opened["ties"][0]["kind"], "director");
    assert_eq!(
        fx.app
            .audit_entries_of("expert.change_request_opened")
            .await
            .len(),
        1
    );

    let approved = fx
        .app
        .post(
            &format!("/api/v1/change-requests/{request_id}/approve"),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    let twice = fx
        .app
        .post(
            &format!("/api/v1/change-requests/{request_id}/approve"),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_problem(twice, StatusCode::CONFLICT).await;

    // Approved: the new employer and the board seat avoid; the old employer still does, as a
    // past employer whose tie ended the day before the new one began.
    assert_eq!(avoided(&fx, &[NEW_EMPLOYER]).await, 1);
    assert_eq!(avoided(&fx, &[BOARD]).await, 1);
    assert_eq!(avoided(&fx, &[OLD_EMPLOYER]).await, 1);

    let record = own_record(&fx, &expert).await;
    let identity = &record["identity"];
    assert!(
        identity["employer"]
            .as_str()
            .unwrap()
            .contains(&credit_code(NEW_EMPLOYER))
    );
    assert!(
        identity["ties"]
            .as_str()
            .unwrap()
            .contains(&credit_code(BOARD))
    );
    let history: Vec<Value> =
        serde_json::from_str(identity["employer_history"].as_str().unwrap()).unwrap();
    let moved = history.last().unwrap();
    assert_eq!(moved["credit_code"], credit_code(OLD_EMPLOYER));
    let last_day =
        chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").unwrap() - chrono::Duration::days(1);
    assert_eq!(moved["to"], last_day.to_string());
    assert_eq!(record["change_requests"][0]["status"], "approved");
    assert_eq!(record["change_requests"][0]["note"], request["note"]);

    // Every step is an entry naming the parts, never a value.
    for kind in [
        "expert.change_requested",
        "expert.change_request_opened",
        "expert.change_approved",
    ] {
        let entries = fx.app.audit_entries_of(kind).await;
        assert_eq!(entries.len(), 1, "{kind}");
        assert_eq!(entries[0]["refs"]["change_request"], request_id.as_str());
        let text = entries[0].to_string();
        for secret in [
            credit_code(NEW_EMPLOYER),
            credit_code(BOARD),
            credit_code(OLD_EMPLOYER),
            "劳动合同".to_owned(),
            id.clone(),
        ] {
            assert!(!text.contains(&secret), "{kind} names {secret}");
        }
    }
}

#[tokio::test]
async fn a_refused_or_withdrawn_change_never_reaches_a_draw_and_bad_requests_write_nothing() {
    let mut pool = experts(12, "A0101");
    pool.push(in_region("420600", |_| {}));
    let fx = DrawFixture::new(&pool).await;
    let id = expert_ids(&fx, "420600").await.remove(0);
    let expert = expert_login(&fx, &id).await;
    let entries_before = fx.app.entries_written_by_requests().await;

    let good = credit_code(BOARD);
    let mut broken = good.clone();
    let last = broken.pop().unwrap();
    broken.push(if last == '0' { '1' } else { '0' });
    let tie = |kind: &str, code: &str| json!({"ties": [{"kind": kind, "credit_code": code}]});
    for (what, body, field) in [
        ("nothing asked", json!({}), "employer"),
        ("an unknown kind", tie("partner", &good), "ties[0].kind"),
        (
            "a code without its check character",
            tie("director", &good[..17]),
            "ties[0].credit_code",
        ),
        (
            "a code with a wrong check character",
            tie("director", &broken),
            "ties[0].credit_code",
        ),
        (
            "a tie ending before it starts",
            json!({"ties": [{"kind": "supervisor", "credit_code": good, "from": "2024-02-01", "to": "2024-01-31"}]}),
            "ties[0].to",
        ),
        (
            "a malformed employer code",
            json!({"employer": {"name": "某公司", "credit_code": "91420100MA4K0006", "since": "2026-01-01"}}),
            "employer.credit_code",
        ),
        (
            "an employer without a name",
            json!({"employer": {"name": " ", "credit_code": credit_code(NEW_EMPLOYER), "since": "2026-01-01"}}),
            "employer.name",
        ),
        (
            "an employer without a start",
            json!({"employer": {"name": "某公司", "credit_code": credit_code(NEW_EMPLOYER)}}),
            "employer",
        ),
        (
            "an unknown field",
            json!({"ties": [], "salary": 1}),
            "salary",
        ),
    ] {
        let response = ask(&fx, &expert, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
        assert_client_error(response, Some(field), what).await;
    }
    let none = fx
        .app
        .get_json("/api/v1/change-requests", Some(&fx.admin))
        .await;
    assert_eq!(none, json!([]));
    assert_eq!(fx.app.entries_written_by_requests().await, entries_before);

    // Refused, with a reason the expert reads; the record and draws stay as they were.
    let asked: Value = ask(&fx, &expert, &tie("shareholder", &good))
        .await
        .json()
        .await
        .unwrap();
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    let refuse = async |reason: &str| {
        fx.app
            .post(
                &format!("/api/v1/change-requests/{request_id}/refuse"),
                Some(&fx.admin),
                &json!({ "reason": reason }),
            )
            .await
    };
    assert_client_error(refuse("too short").await, Some("reason"), "short reason").await;
    let reason = "持股证明与工商登记不符，请补充材料后重新申请";
    let refused: Value = refuse(reason).await.json().await.unwrap();
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["decision_reason"], reason);
    assert_problem(refuse(reason).await, StatusCode::CONFLICT).await;
    assert_eq!(avoided(&fx, &[BOARD]).await, 0);
    let record = own_record(&fx, &expert).await;
    assert_eq!(record["change_requests"][0]["status"], "refused");
    assert_eq!(record["change_requests"][0]["decision_reason"], reason);
    assert_eq!(record["identity"]["ties"], "[]", "{record}");
    let entry = &fx.app.audit_entries_of("expert.change_refused").await[0];
    assert!(!entry.to_string().contains(reason));
    assert_eq!(
        entry["data"][suite().digest_field("reason")]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    // Withdrawn while it waits: it cannot be approved after.
    let asked: Value = ask(&fx, &expert, &tie("actual_controller", &good))
        .await
        .json()
        .await
        .unwrap();
    let request_id = asked["request_id"].as_str().unwrap().to_owned();
    let withdraw = async || {
        fx.app
            .post(
                &format!("/api/v1/me/expert/change-requests/{request_id}/withdraw"),
                Some(&expert),
                &json!({}),
            )
            .await
    };
    let withdrawn: Value = withdraw().await.json().await.unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_problem(withdraw().await, StatusCode::CONFLICT).await;
    let late = fx
        .app
        .post(
            &format!("/api/v1/change-requests/{request_id}/approve"),
            Some(&fx.admin),
            &json!({}),
        )
        .await;
    assert_problem(late, StatusCode::CONFLICT).await;
    assert_eq!(avoided(&fx, &[BOARD]).await, 0);
    // Another expert's request is not one's own to withdraw.
    let other_id = expert_ids(&fx, "420100").await.remove(0);
    let other = expert_login(&fx, &other_id).await;
    let asked: Value = ask(&fx, &other, &tie("director", &good))
        .await
        .json()
        .await
        .unwrap();
    let foreign = fx
        .app
        .post(
            &format!(
                "/api/v1/me/expert/change-requests/{}/withdraw",
                asked["request_id"].as_str().unwrap()
            ),
            Some(&expert),
            &json!({}),
        )
        .await;
    assert_problem(foreign, StatusCode::NOT_FOUND).await;
    let pending = fx
        .app
        .get_json("/api/v1/change-requests?status=pending", Some(&fx.admin))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["expert_id"], other_id.as_str());
}

// ---------------------------------------------------------------------------------------------
// Records made before the floor and the new ties still verify.

#[test]
fn records_made_before_issue_15_still_verify_with_both_verifiers() {
    use crate::draw_record::{python, sealdraw, text};
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration/verifier/record-vectors"
    );
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/cases.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        if case["status"] != 0 || !["v1-good.json", "family-good.json"].contains(&file) {
            continue;
        }
        let path = format!("{dir}/{file}");
        let key = case["keys"][0].as_str().unwrap();
        for output in [
            sealdraw(&["draw", "verify", &path, "--vkey", key], None),
            python(&["published", &path, key]),
        ] {
            assert_eq!(output.status.code(), Some(0), "{file}: {}", text(&output));
            assert!(text(&output).starts_with("OK draw"), "{}", text(&output));
        }
        checked += 1;
    }
    assert_eq!(checked, 2);
}
