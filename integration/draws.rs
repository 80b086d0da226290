//! The verifiable draw over HTTPS: intent, contributions, result, replacements, the published
//! record, and the pool rules, against a pool imported for each test.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::pool::validate::{complete_credit_code, complete_id_number};

const HEADER: &str = "name,id_number,phone,email,employer,employer_credit_code,specialties,region,title,years,birth_year,past_employers,ties";

/// One synthetic expert for a test pool.
#[derive(Clone)]
pub struct Expert {
    pub specialties: &'static str,
    pub region: &'static str,
    pub birth_year: u32,
    /// 17 characters; the check character is added.
    pub employer: String,
    /// `CODE17:from:to` entries.
    pub past: Vec<(String, &'static str, &'static str)>,
    /// 中级, 副高级 or 正高级 (or 1-3).
    pub title: &'static str,
    pub years: u32,
    /// Director, supervisor, shareholder or actual-controller ties: (kind, CODE17, from, to),
    /// an empty date for one not known (an empty `to`: the tie holds).
    pub ties: Vec<(&'static str, String, &'static str, &'static str)>,
}

impl Expert {
    pub fn plain(specialties: &'static str) -> Self {
        Self {
            specialties,
            region: "420100",
            birth_year: 1975,
            employer: "91420100MA4K00001".into(),
            past: Vec::new(),
            title: "正高级",
            years: 10,
            ties: Vec::new(),
        }
    }
}

pub fn credit_code(first_17: &str) -> String {
    complete_credit_code(first_17).unwrap()
}

pub fn pool_csv(experts: &[Expert], seed: u32) -> String {
    let mut text = format!("{HEADER}\n");
    for (i, e) in experts.iter().enumerate() {
        let id_number = complete_id_number(&format!(
            "420106{}0101{:03}",
            e.birth_year,
            (i as u32 + seed * 37) % 1000
        ));
        let past: Vec<String> = e
            .past
            .iter()
            .map(|(code, from, to)| format!("{}:{from}:{to}", credit_code(code)))
            .collect();
        let ties: Vec<String> = e
            .ties
            .iter()
            .map(|(kind, code, from, to)| format!("{kind}:{}:{from}:{to}", credit_code(code)))
            .collect();
        text.push_str(&format!(
            "专家{seed}-{i},{id_number},139{seed:02}{i:06},e{seed}x{i}@example.cn,某单位,{},{},{},{},{},{},{},{}\n",
            credit_code(&e.employer),
            e.specialties,
            e.region,
            e.title,
            e.years,
            e.birth_year,
            past.join(";"),
            ties.join(";")
        ));
    }
    text
}

/// A server with the given pool, a center and a supervisor logged in.
pub struct DrawFixture {
    pub app: TestApp,
    pub center: String,
    pub supervisor: String,
    pub admin: String,
    /// Each request names a tender of its own: a tender is drawn once.
    tenders: std::sync::atomic::AtomicU32,
}

impl DrawFixture {
    pub async fn new(experts: &[Expert]) -> Self {
        Self::with(experts, |_| {}).await
    }

    pub async fn with(
        experts: &[Expert],
        customise: impl FnOnce(&mut sealdraw::config::Settings) + 'static,
    ) -> Self {
        Self::with_options(
            experts,
            TestOptions {
                customise: Box::new(customise),
                ..TestOptions::default()
            },
        )
        .await
    }

    pub async fn with_options(experts: &[Expert], options: TestOptions) -> Self {
        let app = spawn_app_with(options).await;
        let (_, admin) = app.account_with_token("admin", Role::Admin).await;
        let (_, center) = app.account_with_token("center", Role::Center).await;
        let (_, supervisor) = app.account_with_token("supervisor", Role::Supervisor).await;
        // Unique ID numbers need distinct serials: at most 1000 per import here.
        for (chunk_index, chunk) in experts.chunks(900).enumerate() {
            let response = app
                .client
                .post(app.url("/api/v1/experts/import"))
                .bearer_auth(&admin)
                .header("content-type", "text/csv")
                .body(pool_csv(chunk, chunk_index as u32))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{}",
                response.text().await.unwrap()
            );
        }
        Self {
            app,
            center,
            supervisor,
            admin,
            tenders: std::sync::atomic::AtomicU32::new(1),
        }
    }

    /// An evaluation two hours from the server's now.
    pub fn start_in_two_hours(&self) -> String {
        let now = sealdraw::clock::Clock::now_millis(&self.app.clock);
        sealdraw::clock::to_rfc3339(now + 2 * 3_600_000)
    }

    /// A request for a tender not drawn before (HBGG-2026-0001, then -0002, …).
    /// A supervisor account whose jurisdiction the admin sets to `scope`: its bearer token.
    pub async fn scoped_supervisor(&self, username: &str, scope: Value) -> String {
        let (_, bearer) = self
            .app
            .account_with_token(username, Role::Supervisor)
            .await;
        let response = self
            .app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/accounts/{username}/scope"),
                Some(&self.admin),
            )
            .json(&scope)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        bearer
    }

    pub fn request(&self, strata: Value) -> Value {
        let tender = self
            .tenders
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        json!({
            "tender_reference": format!("HBGG-2026-{tender:04}"),
            "tender_name": "某医院门诊楼建设工程施工",
            "venue": "武汉市公共资源交易中心 3 号评标室",
            "evaluation_start": self.start_in_two_hours(),
            "evaluation_minutes": 240,
            "mode": "on_site",
            "strata": strata,
        })
    }

    /// The same fixture on a server started again over the same database and keys.
    pub async fn restart(self) -> Self {
        Self {
            app: self.app.restart(|_| {}).await,
            ..self
        }
    }

    /// The same request for a tender not drawn before: a test that draws the same thing twice.
    pub fn fresh(&self, body: &Value) -> Value {
        let mut body = body.clone();
        let tender = self
            .tenders
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        body["tender_reference"] = json!(format!("HBGG-2026-{tender:04}"));
        body
    }

    pub async fn create(&self, body: &Value) -> reqwest::Response {
        self.app
            .post("/api/v1/draws", Some(&self.center), body)
            .await
    }

    pub async fn create_ok(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn contribute(&self, token: &str, draw_id: &str) -> reqwest::Response {
        let entropy = hex::encode(rand_bytes(draw_id, token));
        self.app
            .post(
                &format!("/api/v1/draws/{draw_id}/entropy"),
                Some(token),
                &json!({ "entropy": entropy }),
            )
            .await
    }

    /// A fixture over `pool` with one draw of `strata` (for a fresh tender) made and drawn:
    /// the fixture and the drawn draw's view.
    pub async fn with_a_drawn(pool: &[Expert], strata: Value) -> (Self, Value) {
        let fx = Self::new(pool).await;
        let view = fx.drawn(&fx.request(strata)).await;
        (fx, view)
    }

    /// Creates a draw and completes it with the center's contribution.
    pub async fn drawn(&self, body: &Value) -> Value {
        let created = self.create_ok(body).await;
        let id = created["draw_id"].as_str().unwrap().to_owned();
        let response = self.contribute(&self.center, &id).await;
        assert_eq!(response.status(), StatusCode::OK);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["status"], "drawn");
        view
    }

    /// Every seat of the draw that awaits its expert's answer becomes confirmed, as if each had
    /// accepted (the answers themselves are tested in invitations.rs): a center vacates only
    /// confirmed seats. Their invitations are accepted too, so that no deadline passing later
    /// hands a confirmed seat on.
    pub async fn confirm_all(&self, id: &str) {
        let mut tx = self.app.state.store.write().await.unwrap();
        for seat in tx.draw_seats(id).await.unwrap() {
            if seat.state == sealdraw::draw::CandidateState::Seated {
                tx.confirm_seat(id, &seat.token).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        self.app
            .execute_sql(&format!(
                "UPDATE invitations SET state = 'accepted', channel = 'app', \
                 answered_at = created_at WHERE draw_id = '{id}' AND state = 'pending'"
            ))
            .await;
    }

    /// Vacates `token`'s seat for `reason` (the center's replacement request), expecting it to be
    /// taken; answers the outcome (successor or linked draw).
    pub async fn vacate(&self, id: &str, token: &str, reason: &str) -> Value {
        let response = self
            .app
            .post(
                &format!("/api/v1/draws/{id}/replacements"),
                Some(&self.center),
                &json!({"token": token, "reason": reason}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn view(&self, id: &str) -> Value {
        let response = self
            .app
            .get(&format!("/api/v1/draws/{id}"), Some(&self.center))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// Test randomness: distinct per draw and contributor, reproducible.
fn rand_bytes(draw_id: &str, who: &str) -> [u8; 32] {
    sealdraw::crypto::Suite::Intl2024.hash(format!("{draw_id}/{who}").as_bytes())
}

pub fn experts(count: usize, specialties: &'static str) -> Vec<Expert> {
    (0..count).map(|_| Expert::plain(specialties)).collect()
}

pub fn tokens(view: &Value, state: &str) -> Vec<String> {
    view["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == state)
        .map(|s| s["token"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_draw_commits_its_intent_then_draws_from_the_contributions_and_verifies_offline() {
    let fx = DrawFixture::new(&experts(40, "A0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 3, "reserves": 2 }]));
    let created = fx.create_ok(&body).await;
    assert_eq!(created["status"], "awaiting_entropy");
    assert!(
        created["intent_proof"]
            .as_str()
            .unwrap()
            .starts_with("c2sp.org/tlog-proof@v1")
    );
    assert_eq!(created["strata"][0]["eligible"], 40);
    assert_eq!(created["intent"]["strata"][0]["eligible_count"], 40);
    assert!(created["seats"].as_array().unwrap().is_empty());
    let id = created["draw_id"].as_str().unwrap();

    let response = fx.contribute(&fx.center, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "drawn");
    assert_eq!(tokens(&view, "seated").len(), 3);
    assert_eq!(tokens(&view, "reserve").len(), 2);
    assert_eq!(view["progress"][0]["pending"], 3);
    assert_eq!(view["complete"], false);

    let again = fx.contribute(&fx.center, id).await;
    assert_problem(again, StatusCode::CONFLICT).await;

    let response = fx
        .app
        .get(&format!("/api/v1/draws/{id}/record"), Some(&fx.supervisor))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let record: Value = response.json().await.unwrap();
    assert_eq!(record["format"], "sealdraw-draw-record-v2");
    assert_eq!(record["root_draw_id"], id);
    let draw: sealdraw::draw::VerificationRecord =
        serde_json::from_value(record["draws"][0].clone()).unwrap();
    let outcome = sealdraw::draw::verify(&draw).unwrap();
    assert_eq!(outcome.strata[0].drawn.len(), 3);
    let drawn: Vec<String> = outcome.strata[0].drawn.iter().map(|t| t.to_hex()).collect();
    assert_eq!(drawn, tokens(&view, "seated"));
    assert_live_record_verifies(&fx, &record, "0 replacements");

    // Nothing that names an expert reaches the center.
    let text = serde_json::to_string(&view).unwrap();
    assert!(!text.contains("专家"));
}

#[tokio::test]
async fn vacated_seats_take_reserves_in_rank_order_then_start_a_linked_draw() {
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(30, "B0101"),
        json!([{ "specialty_prefixes": ["B01"], "count": 2, "reserves": 2 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap();
    let seated = tokens(&view, "seated");
    let reserves = tokens(&view, "reserve");
    let replace = |token: String, reason: &'static str| {
        let path = format!("/api/v1/draws/{id}/replacements");
        let body = json!({ "token": token, "reason": reason });
        let (app, fx) = (&fx.app, &fx);
        let center = fx.center.clone();
        async move {
            fx.confirm_all(id).await;
            app.post(&path, Some(&center), &body).await
        }
    };

    let first: Value = replace(seated[0].clone(), "withdrew")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["successor"], reserves[0].as_str());
    let second: Value = replace(reserves[0].clone(), "recused")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["successor"], reserves[1].as_str());
    // A replaced seat cannot be replaced again; a reserve is not a seat.
    assert_problem(
        replace(seated[0].clone(), "recused").await,
        StatusCode::CONFLICT,
    )
    .await;
    let third: Value = replace(seated[1].clone(), "recused")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["successor"], Value::Null);
    let linked = third["linked_draw"].as_str().unwrap();

    let view = fx.view(id).await;
    assert_eq!(view["linked_draws"], json!([linked]));
    assert_eq!(view["progress"][0]["replaced"], 3);
    // The root's page shows the link of its chain: the group it fills, why, and its seats.
    let link = &view["linked_chain"][0];
    assert_eq!(link["draw_id"], linked);
    assert_eq!(link["stratum"], 0);
    assert_eq!(link["reason"], "recused");
    assert!(
        link["seats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|seat| seat["state"] != "reserve"),
        "{link}"
    );
    // The group's progress counts the seats its linked draw fills.
    let linked_seated = link["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|seat| seat["state"] == "seated")
        .count();
    assert_eq!(view["progress"][0]["pending_in_linked"], linked_seated);
    assert_eq!(view["progress"][0]["filled_by_linked"], 0);
    let linked_view = fx.view(linked).await;
    assert_eq!(linked_view["parent_draw_id"], id);
    assert_eq!(linked_view["link_reason"], "recused");
    assert_eq!(linked_view["parent_draw_id"], id);
    // Everyone the first draw drew or held in reserve is out of the linked draw.
    assert_eq!(linked_view["strata"][0]["eligible"], 26);
    assert_eq!(linked_view["strata"][0]["excluded"]["excluded_by_token"], 4);
    assert_eq!(linked_view["intent"]["strata"][0]["k"], 1);

    // The published record carries the replacements, in log order.
    let record: Value = fx
        .app
        .get_json(&format!("/api/v1/draws/{id}/record"), Some(&fx.center))
        .await;
    // The family's one record: the root's result, and the linked draw's intent with it.
    assert_eq!(record["draws"].as_array().unwrap().len(), 1);
    assert_live_record_verifies(&fx, &record, "3 replacements");
    assert_live_record_verifies(
        &fx,
        &record,
        &format!("linked draw {linked} awaiting its result"),
    );
    let _ = &fx.admin;
}

/// A record served by the live server passes both offline verifiers with only the log's key,
/// and a record with one contribution byte changed passes neither.
pub fn assert_live_record_verifies(fx: &DrawFixture, record: &Value, expect: &str) {
    use crate::draw_record::{python, sealdraw, text};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    std::fs::write(&path, serde_json::to_vec(record).unwrap()).unwrap();
    let vkeys = fx.app.state.audit.vkeys();
    let vkey = vkeys.lines().next().unwrap();
    let path = path.to_str().unwrap();
    let output = sealdraw(&["draw", "verify", path, "--vkey", vkey], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains(expect), "{}", text(&output));
    let output = python(&["published", path, vkey]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains(expect), "{}", text(&output));

    let mut tampered = record.clone();
    let seed = tampered["draws"][0]["seed"].as_str().unwrap().to_owned();
    let flipped = if seed.starts_with('0') { "1" } else { "0" };
    tampered["draws"][0]["seed"] = Value::String(format!("{flipped}{}", &seed[1..]));
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let bad = bad.to_str().unwrap();
    for output in [
        sealdraw(&["draw", "verify", bad, "--vkey", vkey], None),
        python(&["published", bad, vkey]),
    ] {
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(text(&output).contains("draws[0].seed"), "{}", text(&output));
    }
}

#[tokio::test]
async fn a_supervisor_recheck_rederives_the_committed_sets_from_their_sealed_members() {
    let fx = DrawFixture::new(&experts(24, "C0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 2, "reserves": 1 }]));
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap();
    let path = format!("/api/v1/draws/{id}/recheck");
    assert_problem(
        fx.app.post(&path, Some(&fx.center), &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let report: Value = fx
        .app
        .post(&path, Some(&fx.supervisor), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["filter_matches_commitment"], true);
    assert_eq!(report["strata"][0]["committed"], 24);
    assert_eq!(report["strata"][0]["members_match_committed_root"], true);
    assert_eq!(report["strata"][0]["no_longer_eligible"], 0);
    assert_eq!(report["strata"][0]["newly_eligible"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_client_contributes_from_its_own_csprng() {
    let fx = DrawFixture::new(&experts(20, "A0201")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A02"], "count": 2, "reserves": 1 }]));
    let created = fx.create_ok(&body).await;
    let id = created["draw_id"].as_str().unwrap().to_owned();
    let run = |token: Option<String>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sealdraw"));
        command
            .args([
                "draw",
                "contribute",
                &id,
                "--server",
                &fx.app.address,
                "--ca",
            ])
            .arg(fx.app.certs.ca())
            .env_remove("SEALDRAW_TOKEN");
        if let Some(token) = token {
            command.env("SEALDRAW_TOKEN", token);
        }
        command.output().unwrap()
    };
    let without_token = tokio::task::block_in_place(|| run(None));
    assert!(!without_token.status.success());
    assert!(String::from_utf8_lossy(&without_token.stderr).contains("SEALDRAW_TOKEN"));

    let output = tokio::task::block_in_place(|| run(Some(fx.center.clone())));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("status drawn"), "{stdout}");
    let view = fx.view(&id).await;
    assert_eq!(view["contributions"][0]["role"], "center");
    assert_eq!(tokens(&view, "seated").len(), 2);
    // A second contribution from the same account is refused, and says why.
    let again = tokio::task::block_in_place(|| run(Some(fx.center.clone())));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("409"));
}

#[tokio::test]
async fn concurrent_replacements_never_seat_the_same_reserve_twice() {
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(40, "B0201"),
        json!([{ "specialty_prefixes": ["B02"], "count": 4, "reserves": 4 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap();
    let path = format!("/api/v1/draws/{id}/replacements");
    fx.confirm_all(id).await;
    let requests = tokens(&view, "seated").into_iter().map(|token| {
        let body = json!({ "token": token, "reason": "withdrew" });
        let (app, path, center) = (&fx.app, path.clone(), fx.center.clone());
        async move { app.post(&path, Some(&center), &body).await }
    });
    let mut successors = Vec::new();
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), StatusCode::OK);
        let outcome: Value = response.json().await.unwrap();
        successors.push(outcome["successor"].as_str().unwrap().to_owned());
    }
    let mut expected = tokens(&view, "reserve");
    successors.sort();
    expected.sort();
    assert_eq!(successors, expected, "each reserve seated exactly once");
}

#[tokio::test]
async fn a_pool_change_between_two_draws_is_seen_by_the_second() {
    let fx = DrawFixture::new(&experts(20, "C0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["C01"], "count": 2, "reserves": 1 }]));
    let first = fx.create_ok(&fx.fresh(&body)).await;
    assert_eq!(first["strata"][0]["eligible"], 20);
    let listed: Value = fx.app.get_json("/api/v1/experts", Some(&fx.admin)).await;
    let expert = listed["experts"][0]["expert_id"].as_str().unwrap();
    let retired = fx
        .app
        .post(
            &format!("/api/v1/experts/{expert}/status"),
            Some(&fx.admin),
            &json!({ "status": "retired", "reason_code": "age" }),
        )
        .await;
    assert_eq!(retired.status(), StatusCode::OK);
    // Re-importing one more expert changes the pool too.
    let response = fx
        .app
        .client
        .post(fx.app.url("/api/v1/experts/import"))
        .bearer_auth(&fx.admin)
        .header("content-type", "text/csv")
        .body(pool_csv(&experts(1, "C0102"), 7))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let second = fx.create_ok(&fx.fresh(&body)).await;
    assert_eq!(second["strata"][0]["eligible"], 20);
    assert_eq!(second["strata"][0]["matched"], 21);
    assert_eq!(second["strata"][0]["excluded"]["not_active"], 1);
}

#[tokio::test]
async fn concurrent_centers_draw_from_overlapping_strata_without_a_single_failure() {
    let fx = DrawFixture::new(&experts(60, "A0101")).await;
    let body = fx.request(json!([
        { "specialty_prefixes": ["A01"], "count": 3, "reserves": 2 },
        { "specialty_prefixes": ["A0101"], "count": 3, "reserves": 2 }
    ]));
    let clients = (0..8).map(|_| {
        let (fx, body) = (&fx, body.clone());
        async move {
            for _ in 0..3 {
                let created = fx.create(&fx.fresh(&body)).await;
                assert_eq!(created.status(), StatusCode::CREATED);
                let created: Value = created.json().await.unwrap();
                let response = fx
                    .contribute(&fx.center, created["draw_id"].as_str().unwrap())
                    .await;
                let status = response.status();
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{}\n{}",
                    response.text().await.unwrap(),
                    captured_logs()
                );
            }
        }
    });
    futures_util::future::join_all(clients).await;
    let listed: Value = fx
        .app
        .get_json("/api/v1/draws?limit=100", Some(&fx.center))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 24);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "drawn")
    );
}

#[tokio::test]
async fn a_center_vacates_only_confirmed_seats_for_a_recusal_or_withdrawal_never_a_decline() {
    // Tokens outlive the evaluation here, so the refusal after it is the rule, not a login.
    let fx = DrawFixture::with(&experts(20, "A0102"), |settings| {
        settings.auth.token_idle_minutes = 24 * 60;
    })
    .await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 2, "reserves": 1 }]));
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap();
    let seat = tokens(&view, "seated")[0].clone();
    let path = format!("/api/v1/draws/{id}/replacements");
    // Declines and silence come from the experts, never from the center.
    for reason in ["declined", "no_answer"] {
        let response = fx
            .app
            .post(
                &path,
                Some(&fx.center),
                &json!({"token": seat, "reason": reason}),
            )
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["field"], "reason");
    }
    // A seat whose expert has not accepted cannot be vacated by the center.
    let response = fx
        .app
        .post(
            &path,
            Some(&fx.center),
            &json!({"token": seat, "reason": "recused"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    fx.confirm_all(id).await;
    // After the evaluation, the committee is fixed.
    fx.app
        .clock
        .advance(std::time::Duration::from_secs(2 * 3600 + 240 * 60));
    let response = fx
        .app
        .post(
            &path,
            Some(&fx.center),
            &json!({"token": seat, "reason": "recused"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(fx.view(id).await["seats"], {
        let mut seats = view["seats"].clone();
        for s in seats.as_array_mut().unwrap() {
            if s["state"] == "seated" {
                s["state"] = json!("confirmed");
            }
        }
        seats
    });
}

#[tokio::test]
async fn linked_draws_of_one_family_never_seat_the_same_expert_twice() {
    // k = 2, m = 0: both seats vacated one after the other, each by a linked draw.
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(9, "A0103"),
        json!([{ "specialty_prefixes": ["A01"], "count": 2, "reserves": 0 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    fx.confirm_all(&id).await;
    let path = format!("/api/v1/draws/{id}/replacements");
    let mut linked = Vec::new();
    for seat in tokens(&view, "seated") {
        let outcome: Value = fx
            .app
            .post(
                &path,
                Some(&fx.center),
                &json!({"token": seat, "reason": "withdrew"}),
            )
            .await
            .json()
            .await
            .unwrap();
        let child = outcome["linked_draw"].as_str().unwrap().to_owned();
        let response = fx.contribute(&fx.center, &child).await;
        assert_eq!(response.status(), StatusCode::OK);
        linked.push(child);
    }
    // The second linked draw excludes the first one's seat as well as the root's two.
    let second = fx.view(&linked[1]).await;
    assert_eq!(second["parent_draw_id"], id.as_str());
    assert_eq!(second["strata"][0]["excluded"]["excluded_by_token"], 3);
    let mut everyone = experts_of(&fx, &id).await;
    everyone.extend(experts_of(&fx, &linked[0]).await);
    everyone.extend(experts_of(&fx, &linked[1]).await);
    let distinct: std::collections::BTreeSet<_> = everyone.iter().collect();
    assert_eq!(
        distinct.len(),
        everyone.len(),
        "an expert holds two seats of one committee"
    );
    // Confirming the linked draws' seats completes the root's committee.
    assert_eq!(fx.view(&id).await["complete"], false);
    for child in &linked {
        fx.confirm_all(child).await;
    }
    assert_eq!(fx.view(&id).await["complete"], true);
}

#[tokio::test]
async fn a_seat_marked_for_a_linked_draw_gets_one_even_if_the_first_attempt_never_ran() {
    let (fx, view) = DrawFixture::with_a_drawn(
        &experts(9, "A010101"),
        json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }]),
    )
    .await;
    let id = view["draw_id"].as_str().unwrap().to_owned();
    let seat = tokens(&view, "seated")[0].clone();
    // The replacement's transaction alone, as if the process stopped right after its commit.
    let mut tx = fx.app.state.store.write().await.unwrap();
    let draw = tx.draw(&id).await.unwrap().unwrap();
    let token = sealdraw::draw::DrawToken::from_hex(&seat).unwrap();
    let pending = fx
        .app
        .state
        .draws
        .replace_in(
            &mut tx,
            &draw,
            token,
            sealdraw::draw::VacancyReason::NoAnswer,
            sealdraw::audit::Actor::System,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    drop(pending);
    // The periodic task finds the marked seat and starts its linked draw, once: this call or
    // the server's own executor (every second) gets there first, and the other finds the seat
    // settled.
    assert!(fx.app.state.draws.start_pending_links().await.unwrap() <= 1);
    assert_eq!(fx.app.state.draws.start_pending_links().await.unwrap(), 0);
    assert_eq!(
        fx.view(&id).await["linked_draws"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_draw_whose_execution_failed_after_its_last_contribution_is_executed_at_start_up() {
    let fx = DrawFixture::new(&experts(9, "A010101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 1 }]));
    let id = fx.create_ok(&body).await["draw_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The center's contribution commits; writing the result right after it fails (a disk
    // error, or the process stopping at that moment).
    let full_disk = fx
        .app
        .fail_inserts(WriteFault {
            table: "draw_candidates",
            trigger: "failing_disk",
            postgres: ("53100", "could not extend file: No space left on device"),
            sqlite: "database or disk is full",
        })
        .await;
    let contributed = fx.contribute(&fx.center, &id).await;
    assert!(contributed.status().is_server_error());
    let view = fx.view(&id).await;
    assert_eq!(view["status"], "awaiting_entropy");
    assert_eq!(view["contributions"].as_array().unwrap().len(), 1);

    fx.app.stop().await;
    full_disk.heal(&fx.app).await;
    let fx = fx.restart().await;
    // Executed by the new server as it started, long before the contribution window closes.
    let view = fx.view(&id).await;
    assert_eq!(view["status"], "drawn", "{view}");
    assert!(
        sealdraw::clock::Clock::now_millis(&fx.app.clock)
            < chrono::DateTime::parse_from_rfc3339(view["contribution_deadline"].as_str().unwrap())
                .unwrap()
                .timestamp_millis()
    );
    assert_eq!(tokens(&view, "seated").len(), 1);
    let results = fx.app.audit_entries_of("draw.result").await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["actor"], json!({"system": "server"}));
}

/// The expert ids behind a draw's candidate seats, opened from their sealed values.
async fn experts_of(fx: &DrawFixture, draw: &str) -> Vec<String> {
    let mut tx = fx.app.state.store.read().await.unwrap();
    let seats = tx.draw_seats(draw).await.unwrap();
    tx.rollback().await.unwrap();
    seats
        .iter()
        .map(|seat| {
            let token = hex::encode(&seat.token);
            let context = format!("draw-candidate:{draw}:{token}");
            let opened = fx
                .app
                .state
                .keys
                .open(&context, &seat.sealed_expert)
                .unwrap();
            String::from_utf8(opened.to_vec()).unwrap()
        })
        .collect()
}
