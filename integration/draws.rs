//! The verifiable draw over HTTPS: intent, contributions, result, replacements, the published
//! record, and the pool rules, against a pool imported for each test.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use sealdraw::auth::Role;
use sealdraw::pool::validate::{complete_credit_code, complete_id_number};

const HEADER: &str = "name,id_number,phone,email,employer,employer_credit_code,specialties,region,title,years,birth_year,past_employers";

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
}

impl Expert {
    pub fn plain(specialties: &'static str) -> Self {
        Self {
            specialties,
            region: "420100",
            birth_year: 1975,
            employer: "91420100MA4K00001".into(),
            past: Vec::new(),
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
        text.push_str(&format!(
            "专家{seed}-{i},{id_number},139{seed:02}{i:06},e{seed}x{i}@example.cn,某单位,{},{},{},正高级,10,{},{}\n",
            credit_code(&e.employer),
            e.specialties,
            e.region,
            e.birth_year,
            past.join(";")
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
}

impl DrawFixture {
    pub async fn new(experts: &[Expert]) -> Self {
        Self::with(experts, |_| {}).await
    }

    pub async fn with(
        experts: &[Expert],
        customise: impl FnOnce(&mut sealdraw::config::Settings) + 'static,
    ) -> Self {
        let app = spawn_app_with(TestOptions {
            customise: Box::new(customise),
            ..TestOptions::default()
        })
        .await;
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
        }
    }

    /// An evaluation two hours from the server's now.
    pub fn start_in_two_hours(&self) -> String {
        let now = sealdraw::clock::Clock::now_millis(&self.app.clock);
        sealdraw::clock::to_rfc3339(now + 2 * 3_600_000)
    }

    pub fn request(&self, strata: Value) -> Value {
        json!({
            "tender_reference": "HBGG-2026-0001",
            "tender_name": "某医院门诊楼建设工程施工",
            "evaluation_start": self.start_in_two_hours(),
            "evaluation_minutes": 240,
            "mode": "on_site",
            "strata": strata,
        })
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
    sealdraw::crypto::sha256(format!("{draw_id}/{who}").as_bytes())
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
    let draw: sealdraw::draw::VerificationRecord =
        serde_json::from_value(record["draw"].clone()).unwrap();
    let outcome = sealdraw::draw::verify(&draw).unwrap();
    assert_eq!(outcome.strata[0].drawn.len(), 3);
    let drawn: Vec<String> = outcome.strata[0].drawn.iter().map(|t| t.to_hex()).collect();
    assert_eq!(drawn, tokens(&view, "seated"));

    // Nothing that names an expert reaches the center.
    let text = serde_json::to_string(&view).unwrap();
    assert!(!text.contains("专家"));
}

#[tokio::test]
async fn vacated_seats_take_reserves_in_rank_order_then_start_a_linked_draw() {
    let fx = DrawFixture::new(&experts(30, "B0101")).await;
    let body = fx.request(json!([{ "specialty_prefixes": ["B01"], "count": 2, "reserves": 2 }]));
    let view = fx.drawn(&body).await;
    let id = view["draw_id"].as_str().unwrap();
    let seated = tokens(&view, "seated");
    let reserves = tokens(&view, "reserve");
    let replace = |token: String, reason: &'static str| {
        let path = format!("/api/v1/draws/{id}/replacements");
        let body = json!({ "token": token, "reason": reason });
        let app = &fx.app;
        let center = fx.center.clone();
        async move { app.post(&path, Some(&center), &body).await }
    };

    let first: Value = replace(seated[0].clone(), "declined")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["successor"], reserves[0].as_str());
    let second: Value = replace(reserves[0].clone(), "no_answer")
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
    let linked_view = fx.view(linked).await;
    assert_eq!(linked_view["parent_draw_id"], id);
    assert_eq!(linked_view["link_reason"], "recused");
    // Everyone the first draw drew or held in reserve is out of the linked draw.
    assert_eq!(linked_view["strata"][0]["eligible"], 26);
    assert_eq!(linked_view["strata"][0]["excluded"]["excluded_by_token"], 4);
    assert_eq!(linked_view["intent"]["strata"][0]["k"], 1);

    // The published record carries the replacements, in log order.
    let record: Value = fx
        .app
        .get(&format!("/api/v1/draws/{id}/record"), Some(&fx.center))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["replacement_proofs"].as_array().unwrap().len(), 3);
    let _ = &fx.admin;
}
