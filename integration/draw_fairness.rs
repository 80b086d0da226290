//! The frequency cap over HTTPS: repeated draws from one small stratum spread seats evenly, and
//! the supervisors' frequency report shows that under stable pseudonyms, naming nobody.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::draws::{DrawFixture, experts, tokens};
use crate::helpers::*;

const EXPERTS: usize = 12;
const K: u64 = 3;
const CAP: u64 = 2;
/// 7 draws of 3 is 21 seats out of the 12 × 2 = 24 the cap allows, so every draw finds at
/// least 3 eligible experts whatever the earlier draws chose (each eligible expert has at most
/// 2 seats of room, and at least 24 − 18 = 6 seats of room are left before the 7th draw).
/// Without the cap 21 seats over 12 experts would typically give someone 4 or more.
const DRAWS: u64 = 7;

async fn report(fx: &DrawFixture, token: &str) -> reqwest::Response {
    fx.app
        .get("/api/v1/reports/draw-frequency", Some(token))
        .await
}

#[tokio::test]
async fn with_the_frequency_cap_on_repeated_draws_spread_seats_evenly_and_the_report_shows_it() {
    let fx = DrawFixture::with(&experts(EXPERTS, "A0101"), |settings| {
        settings.draw.frequency_cap = CAP as u32;
        settings.draw.frequency_window_days = 30;
        settings.draw.min_eligible_multiple = 1;
    })
    .await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": K, "reserves": 0 }]));
    for draw in 0..DRAWS {
        let view = fx.drawn(&fx.fresh(&body)).await;
        assert_eq!(tokens(&view, "seated").len(), K as usize);
        // Everyone at the cap is out, and the center sees only how many.
        let excluded = view["strata"][0]["excluded"]["frequency_cap"]
            .as_u64()
            .unwrap_or(0);
        let eligible = view["strata"][0]["eligible"].as_u64().unwrap();
        assert_eq!(eligible + excluded, EXPERTS as u64, "draw {draw}");
        assert!(eligible >= K, "draw {draw}: only {eligible} eligible");
        // 3·draw seats at most 2 each: at least 3·draw − 12 experts are already at the cap.
        let at_cap = (K * draw).saturating_sub(EXPERTS as u64);
        assert!(
            excluded >= at_cap,
            "draw {draw}: {excluded} excluded by the cap"
        );
    }

    let response = report(&fx, &fx.supervisor).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let first: Value = serde_json::from_str(&text).unwrap();
    let seats: BTreeMap<String, u64> = first["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pseudonym"].as_str().unwrap().to_owned(),
                e["seats"].as_u64().unwrap(),
            )
        })
        .collect();
    let total: u64 = seats.values().sum();
    assert_eq!(total, DRAWS * K);
    assert_eq!(first["total_seats"], DRAWS * K);
    let max = *seats.values().max().unwrap();
    // Nobody passes the cap, and 21 seats at no more than 2 each need at least 11 experts:
    // at most one expert is left with fewer than 1 seat, so the spread is at most 2.
    assert!(
        max <= CAP,
        "someone has {max} seats, over the cap of {CAP}: {seats:?}"
    );
    assert_eq!(first["max"], max);
    assert!(seats.len() >= 11, "{seats:?}");
    let min = if seats.len() == EXPERTS {
        *seats.values().min().unwrap()
    } else {
        0
    };
    assert!(max - min <= CAP, "spread {min}..{max}: {seats:?}");
    assert_eq!(first["experts_with_seats"], seats.len() as u64);

    // Pseudonyms are stable across calls.
    let second: Value = report(&fx, &fx.supervisor).await.json().await.unwrap();
    assert_eq!(second["experts"], first["experts"]);

    // They are the experts' seat counts, and nothing in the report names an expert.
    let pool: Value = fx
        .app
        .get_json("/api/v1/experts?limit=100", Some(&fx.admin))
        .await;
    let pool = pool["experts"].as_array().unwrap();
    assert_eq!(pool.len(), EXPERTS);
    for expert in pool {
        let id = expert["expert_id"].as_str().unwrap();
        assert!(!text.contains(id), "the report names expert {id}");
        let pseudonym = fx.app.state.keys.expert_pseudonym(id);
        let draws = expert["draws"].as_u64().unwrap();
        assert_eq!(seats.get(&pseudonym).copied().unwrap_or(0), draws, "{id}");
    }
    assert!(!text.contains("专家"), "the report carries a name");

    // Only supervisors read it.
    assert_problem(report(&fx, &fx.center).await, StatusCode::FORBIDDEN).await;
}

/// One draw of one seat among twelve: each expert expected 1/12 of a seat. The fairness test
/// over all twelve: χ² = (1 − 1/12)² ÷ (1/12) + 11 × (1/12) = 11 on 11 degrees of freedom,
/// eleven never drawn where 12 × e^(−1/12) ≈ 11.04 were expected: nothing unusual.
#[tokio::test]
async fn the_report_tests_fairness_over_every_eligible_expert_never_drawn_ones_included() {
    let fx = DrawFixture::with(&experts(EXPERTS, "A0101"), |settings| {
        settings.draw.min_eligible_multiple = 1;
    })
    .await;
    let body = fx.request(json!([{ "specialty_prefixes": ["A01"], "count": 1, "reserves": 0 }]));
    fx.drawn(&body).await;
    let report: Value = report(&fx, &fx.supervisor).await.json().await.unwrap();
    let fairness = &report["fairness"];
    assert_eq!(fairness["eligible_experts"], 12);
    assert_eq!(fairness["never_drawn"], 11);
    assert_eq!(fairness["never_drawn_expected"], "11.04");
    assert_eq!(fairness["chi_square"], "11.00");
    assert_eq!(fairness["degrees_of_freedom"], 11);
    assert_eq!(fairness["unplaced_seats"], 0);
    let p: f64 = fairness["p_value"].as_str().unwrap().parse().unwrap();
    assert!((0.40..0.50).contains(&p), "{fairness}");
    assert_eq!(report["experts"][0]["seats"], 1);
    assert_eq!(report["experts"][0]["expected"], "0.08");
}
