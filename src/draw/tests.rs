use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::algorithm::{self, order_by_score, rank, rank_score};
use super::*;
use crate::crypto::Suite;

const TOKEN_KEY: [u8; 32] = [7; 32];

fn experts(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("expert-{i:03}")).collect()
}

fn eligible(draw_id: &str, ids: &[String]) -> EligibleSet {
    EligibleSet::new(
        ids.iter()
            .map(|id| DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, draw_id, id))
            .collect(),
    )
    .unwrap()
}

fn request(draw_id: &str, strata: Vec<(Vec<&str>, u32, u32, Vec<String>)>) -> DrawRequest {
    DrawRequest {
        suite: Suite::Intl2024,
        draw_id: draw_id.to_owned(),
        pool_snapshot: "pool@1".to_owned(),
        filter_sha256: Suite::Intl2024.hash(b"filter"),
        min_multiple: 3,
        strata: strata
            .into_iter()
            .map(|(prefixes, k, m, ids)| {
                let prefixes = prefixes.into_iter().map(str::to_owned).collect();
                (
                    Stratum::new(prefixes, k, m).unwrap(),
                    eligible(draw_id, &ids),
                )
            })
            .collect(),
        tender_sha256: None,
        family: None,
    }
}

fn regions(exclude: &[&str], require: &[&str]) -> StratumRegions {
    let list = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
    StratumRegions {
        exclude: list(exclude),
        require: list(require),
    }
}

/// [`request`] as a v3 draw: a tender, and each stratum's region rule (in order).
fn v3_request(
    draw_id: &str,
    strata: Vec<(Vec<&str>, u32, u32, Vec<String>)>,
    rules: &[(&[&str], &[&str])],
) -> DrawRequest {
    let mut request = request(draw_id, strata);
    request.tender_sha256 = Some([3; 32]);
    for ((stratum, _), (exclude, require)) in request.strata.iter_mut().zip(rules) {
        *stratum = stratum
            .clone()
            .with_regions(regions(exclude, require))
            .unwrap();
    }
    request
}

fn thirty() -> DrawRequest {
    request("draw-1", vec![(vec!["A01"], 5, 2, experts(0..30))])
}

fn secret(byte: u8) -> ServerSecret {
    ServerSecret::from_bytes([byte; 32])
}

fn contributions(items: &[&[u8]]) -> Vec<Contribution> {
    items
        .iter()
        .map(|c| Contribution::new(c.to_vec()).unwrap())
        .collect()
}

fn run(request: DrawRequest, s: &ServerSecret, c: &[Contribution]) -> DrawOutcome {
    DrawPlan::new(request, s).unwrap().execute(s, c).unwrap()
}

#[test]
fn tokens_and_scores_from_an_absorbed_prefix_are_the_one_call_ones() {
    for draw_id in ["draw-0001", "抽取-2025-0002", ""] {
        let macs = crate::crypto::MacPrefix::new(
            Suite::Intl2024,
            &TOKEN_KEY,
            &algorithm::token_prefix(draw_id),
        );
        for expert in experts(0..40).iter().chain([&String::new()]) {
            assert_eq!(
                algorithm::token_after_prefix(&macs, expert),
                algorithm::token(Suite::Intl2024, &TOKEN_KEY, draw_id, expert)
            );
        }
    }
    let tokens = eligible("draw-0001", &experts(0..200));
    for (stratum, seed) in [(0, [1u8; 32]), (1, [2; 32]), (u64::MAX, [3; 32])] {
        assert_eq!(
            rank(Suite::Intl2024, &seed, stratum, tokens.tokens()),
            order_by_score(tokens.tokens(), |t| rank_score(
                Suite::Intl2024,
                &seed,
                stratum,
                t
            ))
        );
    }
}

#[test]
fn the_same_inputs_give_the_same_result() {
    let c = contributions(&[b"center", b"supervisor"]);
    let a = run(thirty(), &secret(1), &c);
    let b = run(thirty(), &secret(1), &c);
    assert_eq!(a, b);
    assert_eq!(a.strata[0].drawn.len(), 5);
    assert_eq!(a.strata[0].reserves.len(), 2);
}

#[test]
fn every_input_changes_the_seed_and_the_outcome() {
    let c = contributions(&[b"center", b"supervisor"]);
    let base = run(thirty(), &secret(1), &c);
    let mut variants = vec![
        (
            "contribution",
            run(
                thirty(),
                &secret(1),
                &contributions(&[b"center", b"supervisoR"]),
            ),
        ),
        (
            "contribution order",
            run(
                thirty(),
                &secret(1),
                &contributions(&[b"supervisor", b"center"]),
            ),
        ),
        (
            "contribution split",
            run(
                thirty(),
                &secret(1),
                &contributions(&[b"centers", b"upervisor"]),
            ),
        ),
        ("no contributions", run(thirty(), &secret(1), &[])),
        ("secret", run(thirty(), &secret(2), &c)),
    ];
    let mut filter = thirty();
    filter.filter_sha256[0] ^= 1;
    variants.push(("filter hash", run(filter, &secret(1), &c)));
    let mut token = thirty();
    let mut tokens = token.strata[0].1.tokens().to_vec();
    tokens[17] = DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, "draw-1", "someone-else");
    token.strata[0].1 = EligibleSet::new(tokens).unwrap();
    variants.push(("one eligible token", run(token, &secret(1), &c)));
    let mut snapshot = thirty();
    snapshot.pool_snapshot.push('!');
    variants.push(("pool snapshot", run(snapshot, &secret(1), &c)));
    let mut multiple = thirty();
    multiple.min_multiple = 2;
    variants.push(("min multiple", run(multiple, &secret(1), &c)));
    let k = request("draw-1", vec![(vec!["A01"], 4, 2, experts(0..30))]);
    variants.push(("k", run(k, &secret(1), &c)));
    let prefix = request("draw-1", vec![(vec!["A02"], 5, 2, experts(0..30))]);
    variants.push(("prefix", run(prefix, &secret(1), &c)));
    let draw_id = request("draw-2", vec![(vec!["A01"], 5, 2, experts(0..30))]);
    variants.push(("draw id", run(draw_id, &secret(1), &c)));

    for (what, outcome) in &variants {
        assert_ne!(outcome.seed, base.seed, "{what} left the seed unchanged");
        assert_ne!(
            outcome.strata[0].drawn, base.strata[0].drawn,
            "{what} left the drawn list unchanged"
        );
    }
    let seeds: BTreeSet<_> = variants.iter().map(|(_, o)| o.seed).collect();
    assert_eq!(seeds.len(), variants.len());
}

#[test]
fn reserves_are_the_next_m_in_rank_order() {
    let s = secret(3);
    let plan = DrawPlan::new(thirty(), &s).unwrap();
    let outcome = plan.execute(&s, &contributions(&[b"x"])).unwrap();
    let order = rank(
        Suite::Intl2024,
        &outcome.seed,
        0,
        plan.eligible()[0].tokens(),
    );
    assert_eq!(outcome.strata[0].drawn, order[..5]);
    assert_eq!(outcome.strata[0].reserves, order[5..7]);
    let scores: Vec<_> = order
        .iter()
        .map(|t| rank_score(Suite::Intl2024, &outcome.seed, 0, t))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn ranking_ignores_the_order_tokens_are_given_in() {
    let set = eligible("d", &experts(0..30));
    let seed = [9; 32];
    let mut reversed = set.tokens().to_vec();
    reversed.reverse();
    assert_eq!(
        rank(Suite::Intl2024, &seed, 0, set.tokens()),
        rank(Suite::Intl2024, &seed, 0, &reversed)
    );
}

#[test]
fn ties_are_broken_by_token_bytes() {
    let tokens: Vec<DrawToken> = [5u8, 1, 9, 3]
        .iter()
        .map(|&b| DrawToken::from_bytes([b; 32]))
        .collect();
    let same = order_by_score(&tokens, |_| [0; 32]);
    let bytes: Vec<u8> = same.iter().map(|t| t.as_bytes()[0]).collect();
    assert_eq!(bytes, [1, 3, 5, 9]);
    // Scores first: 9 and 1 score low, then ties within each score broken by token bytes.
    let split = order_by_score(&tokens, |t| {
        [u8::from(!matches!(t.as_bytes()[0], 9 | 1)); 32]
    });
    let bytes: Vec<u8> = split.iter().map(|t| t.as_bytes()[0]).collect();
    assert_eq!(bytes, [1, 9, 3, 5]);
}

#[test]
fn a_stratum_below_the_minimum_is_refused_with_its_numbers() {
    let small = request(
        "d",
        vec![
            (vec!["A"], 1, 0, experts(0..3)),
            (vec!["B"], 5, 2, experts(100..120)),
        ],
    );
    let error = DrawPlan::new(small, &secret(1)).unwrap_err();
    assert_eq!(
        error,
        DrawError::Refused(StratumRefusal::BelowMinimum {
            stratum: 1,
            eligible: 20,
            k: 5,
            m: 2,
            multiple: 3,
            required: 21,
        })
    );
    assert!(
        error.to_string().contains("stratum 1: 20 eligible"),
        "{error}"
    );
}

#[test]
fn k_plus_m_above_the_eligible_count_is_refused_even_with_multiple_one() {
    let mut tight = request("d", vec![(vec!["A"], 5, 0, experts(0..15))]);
    tight.strata[0].0 = Stratum::new(vec!["A".into()], 5, 1).unwrap();
    tight.strata[0].1 = eligible("d", &experts(0..5));
    tight.min_multiple = 1;
    assert!(matches!(
        DrawPlan::new(tight.clone(), &secret(1)),
        Err(DrawError::Refused(StratumRefusal::BelowMinimum {
            eligible: 5,
            required: 6,
            ..
        }))
    ));
    tight.strata[0].0 = Stratum::new(vec!["A".into()], 5, 0).unwrap();
    let outcome = run(tight, &secret(1), &[]);
    assert_eq!(outcome.strata[0].drawn.len(), 5);
}

#[test]
fn strata_never_share_an_expert() {
    // Experts 10..15 are eligible in both strata.
    let req = request(
        "d",
        vec![
            (vec!["B01", "B02"], 3, 1, experts(0..15)),
            (vec!["B0203"], 2, 2, experts(10..25)),
        ],
    );
    for byte in 0..200u8 {
        let s = secret(byte);
        let plan = DrawPlan::new(req.clone(), &s).unwrap();
        let outcome = plan.execute(&s, &[]).unwrap();
        let first: BTreeSet<_> = outcome.strata[0]
            .drawn
            .iter()
            .chain(&outcome.strata[0].reserves)
            .collect();
        let second: Vec<_> = outcome.strata[1]
            .drawn
            .iter()
            .chain(&outcome.strata[1].reserves)
            .copied()
            .collect();
        assert!(second.iter().all(|t| !first.contains(t)));
        let expected: Vec<_> = rank(
            Suite::Intl2024,
            &outcome.seed,
            1,
            plan.eligible()[1].tokens(),
        )
        .into_iter()
        .filter(|t| !first.contains(t))
        .take(4)
        .collect();
        assert_eq!(second, expected);
    }
}

#[test]
fn a_stratum_that_earlier_strata_could_exhaust_is_refused() {
    let mut req = request(
        "d",
        vec![
            (vec!["A"], 3, 1, experts(0..12)),
            (vec!["A"], 3, 0, experts(0..12)),
        ],
    );
    req.min_multiple = 1;
    // Twelve shared, but the first stratum takes at most four: eight remain for three.
    assert!(DrawPlan::new(req.clone(), &secret(1)).is_ok());
    req.strata[1].1 = eligible("d", &experts(0..6));
    assert!(matches!(
        DrawPlan::new(req, &secret(1)),
        Err(DrawError::Refused(StratumRefusal::MayRunShort {
            stratum: 1,
            eligible: 6,
            shared: 6,
            taken_before: 4,
            needed: 3,
        }))
    ));
}

#[test]
fn invalid_requests_are_refused() {
    assert_eq!(
        Stratum::new(vec![], 1, 0).unwrap_err(),
        DrawError::Prefixes("between 1 and 32 prefixes are needed")
    );
    assert!(Stratum::new(vec![String::new()], 1, 0).is_err());
    assert_eq!(
        Stratum::new(vec!["A".into()], 0, 3).unwrap_err(),
        DrawError::NothingToDraw
    );
    let normalised = Stratum::new(vec!["B".into(), "A".into(), "B".into()], 1, 0).unwrap();
    assert_eq!(normalised.specialty_prefixes(), ["A", "B"]);
    let token = DrawToken::from_bytes([1; 32]);
    assert_eq!(
        EligibleSet::new(vec![token, token]).unwrap_err(),
        DrawError::DuplicateToken(token)
    );
    assert!(Contribution::new(vec![]).is_err());
    assert!(Contribution::new(vec![0; MAX_CONTRIBUTION_LEN + 1]).is_err());
    let mut no_multiple = thirty();
    no_multiple.min_multiple = 0;
    assert_eq!(
        DrawPlan::new(no_multiple, &secret(1)).unwrap_err(),
        DrawError::MinMultiple
    );
    let mut none = thirty();
    none.strata.clear();
    assert_eq!(
        DrawPlan::new(none, &secret(1)).unwrap_err(),
        DrawError::StrataCount
    );
    let plan = DrawPlan::new(thirty(), &secret(1)).unwrap();
    assert_eq!(
        plan.execute(&secret(2), &[]).unwrap_err(),
        DrawError::SecretMismatch
    );
    let many = contributions(&[&b"c"[..]; MAX_CONTRIBUTIONS + 1]);
    assert_eq!(
        plan.execute(&secret(1), &many).unwrap_err(),
        DrawError::TooManyContributions(MAX_CONTRIBUTIONS + 1)
    );
}

#[test]
fn encodings_are_unambiguous() {
    let a = DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, "ab", "c");
    let b = DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, "a", "bc");
    assert_ne!(a, b);
    // The pseudonym MAC under the same key has a different first field.
    let pseudonym = Suite::Intl2024.mac(&TOKEN_KEY, &[b"pseudonym", b"c"]);
    assert_ne!(
        DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, "", "c").as_bytes(),
        &pseudonym
    );
    let s = [1; 32];
    let h = [2; 32];
    let seeds: BTreeSet<_> = [
        vec![],
        vec![&b"abc"[..]],
        vec![&b"ab"[..], &b"c"[..]],
        vec![&b"a"[..], &b"bc"[..]],
        vec![&b"a"[..], &b"b"[..], &b"c"[..]],
    ]
    .iter()
    .map(|parts| algorithm::seed(Suite::Intl2024, &s, &h, parts))
    .collect();
    assert_eq!(seeds.len(), 5);
}

#[test]
fn secrets_and_contributions_do_not_print_secrets() {
    assert_eq!(format!("{:?}", secret(0xab)), "ServerSecret(<hidden>)");
    assert!(!format!("{:?}", secret(0xab)).contains("ab"));
}

/// Over a few thousand seeds, how often each of 30 tokens is drawn with k = 5 must look uniform.
/// Each draw picks a k-subset, so counts are negatively correlated: the covariance of the count
/// vector over N draws is N·p(1−p)·n/(n−1)·(I − J/n) with p = k/n. Dividing the squared
/// deviations by N·p(1−p)·n/(n−1) gives a statistic that is χ² with n − 1 degrees of freedom.
#[test]
fn selection_is_uniform_chi_square() {
    const DRAWS: u32 = 4000;
    const N: usize = 30;
    const K: u32 = 5;
    // χ²(29) upper 0.001 quantile.
    const CRITICAL_29_P001: f64 = 58.301;
    let s = secret(42);
    let plan = DrawPlan::new(
        request("fair", vec![(vec!["A"], K, 0, experts(0..N as u32))]),
        &s,
    )
    .unwrap();
    let index: BTreeMap<DrawToken, usize> = plan.eligible()[0]
        .tokens()
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i))
        .collect();
    let mut drawn = [0u32; N];
    let mut first = [0u32; N];
    for i in 0..DRAWS {
        let c = contributions(&[&i.to_be_bytes()]);
        let outcome = plan.execute(&s, &c).unwrap();
        for token in &outcome.strata[0].drawn {
            drawn[index[token]] += 1;
        }
        first[index[&outcome.strata[0].drawn[0]]] += 1;
    }
    let n = N as f64;
    let p = f64::from(K) / n;
    let expected = f64::from(DRAWS) * p;
    let scale = f64::from(DRAWS) * p * (1.0 - p) * n / (n - 1.0);
    let statistic: f64 = drawn
        .iter()
        .map(|&o| (f64::from(o) - expected).powi(2) / scale)
        .sum();
    assert!(
        statistic < CRITICAL_29_P001,
        "selection counts {drawn:?}: χ² = {statistic:.2} ≥ {CRITICAL_29_P001}"
    );
    // The top-ranked position alone is a plain multinomial over 30 cells.
    let expected_first = f64::from(DRAWS) / n;
    let statistic_first: f64 = first
        .iter()
        .map(|&o| (f64::from(o) - expected_first).powi(2) / expected_first)
        .sum();
    eprintln!(
        "χ²(29): selection {statistic:.2}, first place {statistic_first:.2}; \
         critical {CRITICAL_29_P001} at p = 0.001"
    );
    assert!(
        statistic_first < CRITICAL_29_P001,
        "first-place counts {first:?}: χ² = {statistic_first:.2}"
    );
}

// ---- chi-square p-values, for the fairness tests below ----

/// `ln Γ(x)` for `x > 0`: Lanczos approximation (g = 7, nine coefficients), relative error
/// below 1e-13 over the arguments used here, with the reflection formula below ½.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)` (Numerical
/// Recipes §6.2): the power series of `P = 1 − Q` below `x = a + 1`, where it converges fast,
/// and Lentz's continued fraction for `Q` above it. Both run to a relative step of 1e-15.
fn upper_regularised_gamma(a: f64, x: f64) -> f64 {
    assert!(a > 0.0 && x >= 0.0, "Q({a}, {x}) is outside its domain");
    if x == 0.0 {
        return 1.0;
    }
    let log_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        1.0 - sum * log_prefix.exp()
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-15 {
                break;
            }
        }
        h * log_prefix.exp()
    }
}

/// `P(χ²(df) ≥ statistic)`, the chi-square test's upper-tail p-value.
fn chi_square_p_value(statistic: f64, df: u32) -> f64 {
    upper_regularised_gamma(f64::from(df) / 2.0, statistic / 2.0)
}

#[test]
fn chi_square_p_values_match_known_values() {
    // Reference values: closed forms (odd df via erfc, even df via the finite Poisson sum
    // e^{-x/2} Σ_{i<df/2} (x/2)^i / i!) evaluated in double precision, and textbook quantiles.
    let cases = [
        (3.841_458_820_694_124, 1, 0.05),
        (6.634_896_601_021_214, 1, 0.01),
        (7.814_727_903_251_178, 3, 0.05),
        (2.0, 2, 0.367_879_441_171_442_33),
        (0.001, 2, 0.999_500_124_979_169_3),
        (10.0, 10, 0.440_493_285_065_212_4),
        (30.0, 58, 0.999_139_277_294_393_6),
        (58.0, 58, 0.475_301_728_142_541_2),
        (90.0, 58, 0.004_496_845_800_934_31),
        (300.0, 100, 7.412_100_857_322_877e-22),
    ];
    for (statistic, df, expected) in cases {
        let p = chi_square_p_value(statistic, df);
        assert!(
            ((p - expected) / expected).abs() < 1e-9,
            "P(χ²({df}) ≥ {statistic}) = {p:e}, expected {expected:e}"
        );
    }
    // The table's 0.001 critical value for 29 degrees of freedom (given to 3 decimals).
    assert!((chi_square_p_value(58.301, 29) - 0.001).abs() < 1e-5);
    assert_eq!(chi_square_p_value(0.0, 7), 1.0);
    assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
}

/// Pearson's statistic for counts against equal expected cells.
fn pearson_uniform(counts: &[u32]) -> f64 {
    let expected = f64::from(counts.iter().sum::<u32>()) / counts.len() as f64;
    counts
        .iter()
        .map(|&o| (f64::from(o) - expected).powi(2) / expected)
        .sum()
}

/// One stratum of 60 experts drawn 5,000 times under distinct draw ids (so every draw has new
/// tokens, a new intent and a new seed), as the server does it. Each expert's selection count
/// must fit the uniform expectation: k = 5 of 60 per draw, so E = 5,000 · 5/60 ≈ 417.
/// A k-subset's counts are negatively correlated (covariance N·p(1−p)·n/(n−1)·(I − J/n), p =
/// k/n), so the squared deviations are divided by N·p(1−p)·n/(n−1) instead of E: the statistic
/// is then χ² with n − 1 = 59 degrees of freedom. Failing at p ≤ 0.001 is a 1-in-1,000 event
/// for a fair draw — and the inputs are fixed, so this test's outcome never changes.
#[test]
fn selection_counts_over_many_draws_fit_the_uniform_expectation() {
    const DRAWS: u32 = 5_000;
    const N: usize = 60;
    const K: u32 = 5;
    let ids = experts(0..N as u32);
    let s = secret(9);
    let mut drawn = [0u32; N];
    for i in 0..DRAWS {
        let draw_id = format!("fairness-{i}");
        let by_token: HashMap<DrawToken, usize> = ids
            .iter()
            .enumerate()
            .map(|(e, id)| {
                (
                    DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, &draw_id, id),
                    e,
                )
            })
            .collect();
        let outcome = run(
            request(&draw_id, vec![(vec!["A01"], K, 0, ids.clone())]),
            &s,
            &contributions(&[&i.to_be_bytes(), b"center entropy"]),
        );
        assert_eq!(outcome.strata[0].drawn.len(), K as usize);
        assert!(outcome.strata[0].reserves.is_empty());
        for token in &outcome.strata[0].drawn {
            drawn[by_token[token]] += 1;
        }
    }
    let n = N as f64;
    let p = f64::from(K) / n;
    let expected = f64::from(DRAWS) * p;
    assert_eq!(drawn.iter().sum::<u32>(), DRAWS * K);
    let scale = f64::from(DRAWS) * p * (1.0 - p) * n / (n - 1.0);
    let statistic: f64 = drawn
        .iter()
        .map(|&o| (f64::from(o) - expected).powi(2) / scale)
        .sum();
    let p_value = chi_square_p_value(statistic, N as u32 - 1);
    eprintln!(
        "selections of 60 experts over {DRAWS} draws: min {} max {} (E {expected:.1}); \
         χ²(59) = {statistic:.2}, p = {p_value:.4}",
        drawn.iter().min().unwrap(),
        drawn.iter().max().unwrap()
    );
    assert!(
        p_value > 0.001,
        "selection counts {drawn:?}: χ²(59) = {statistic:.2}, p = {p_value:e}"
    );
}

/// The first reserve is the (k+1)-th of the ranking in every draw, and over 5,000 draws it is
/// each of the 60 experts equally often, and sits at each position of the sorted eligible list
/// (i.e. at each token rank, low bytes to high) equally often: a plain multinomial, χ²(59).
#[test]
fn the_first_reserve_is_uniform_over_experts_and_token_positions() {
    const DRAWS: u32 = 5_000;
    const N: usize = 60;
    const K: u32 = 5;
    let ids = experts(0..N as u32);
    let s = secret(10);
    let mut by_expert = [0u32; N];
    let mut by_position = [0u32; N];
    for i in 0..DRAWS {
        let draw_id = format!("reserve-{i}");
        let req = request(&draw_id, vec![(vec!["A01"], K, 1, ids.clone())]);
        let plan = DrawPlan::new(req, &s).unwrap();
        let c = contributions(&[&i.to_be_bytes()]);
        let outcome = plan.execute(&s, &c).unwrap();
        let reserve = outcome.strata[0].reserves[0];
        let sorted = plan.eligible()[0].tokens();
        let ranking = rank(Suite::Intl2024, &outcome.seed, 0, sorted);
        assert_eq!(ranking[K as usize], reserve, "draw {i}");
        assert_eq!(&ranking[..K as usize], outcome.strata[0].drawn.as_slice());
        by_position[sorted.binary_search(&reserve).unwrap()] += 1;
        let expert = ids
            .iter()
            .position(|id| DrawToken::derive(Suite::Intl2024, &TOKEN_KEY, &draw_id, id) == reserve)
            .unwrap();
        by_expert[expert] += 1;
    }
    for (what, counts) in [("expert", &by_expert), ("token position", &by_position)] {
        let statistic = pearson_uniform(counts);
        let p_value = chi_square_p_value(statistic, N as u32 - 1);
        eprintln!("first reserve by {what}: χ²(59) = {statistic:.2}, p = {p_value:.4}");
        assert!(
            p_value > 0.001,
            "first reserve by {what} {counts:?}: χ²(59) = {statistic:.2}, p = {p_value:e}"
        );
    }
}

// ---- verification records ----

fn sample_record() -> VerificationRecord {
    let s = secret(5);
    let req = request(
        "d",
        vec![
            (vec!["B01", "B02"], 3, 1, experts(0..15)),
            (vec!["B0203"], 2, 2, experts(10..25)),
        ],
    );
    let plan = DrawPlan::new(req, &s).unwrap();
    let c = contributions(&[b"center", b"supervisor"]);
    let outcome = plan.execute(&s, &c).unwrap();
    VerificationRecord::new(&plan, &s, &c, &outcome)
}

#[test]
fn a_record_verifies_and_round_trips_through_json() {
    let record = sample_record();
    let outcome = verify(&record).unwrap();
    assert_eq!(outcome.seed, record.seed);
    let bytes = serde_json::to_vec(&record).unwrap();
    assert_eq!(VerificationRecord::from_json(&bytes).unwrap(), record);
}

/// Each tampering and the field the verifier must name first.
type Tampering = Box<dyn Fn(&mut VerificationRecord)>;

fn tamperings() -> Vec<(&'static str, Tampering)> {
    vec![
        ("contributions", Box::new(|r| r.contributions[0][0] ^= 1)),
        ("secret", Box::new(|r| r.secret[0] ^= 1)),
        ("filter_sha256", Box::new(|r| r.filter_sha256[0] ^= 1)),
        (
            "one eligible token",
            Box::new(|r| {
                let tokens = &mut r.strata[1].tokens;
                tokens[3] = DrawToken::from_bytes([0xff; 32]);
                tokens.sort_unstable();
            }),
        ),
        (
            "eligible token and root",
            Box::new(|r| {
                r.strata[0].tokens[0] = DrawToken::from_bytes([0; 32]);
                r.strata[0].eligible_root =
                    algorithm::eligible_root(Suite::Intl2024, &r.strata[0].tokens);
            }),
        ),
        ("drawn", Box::new(|r| r.result[1].drawn.swap(0, 1))),
        (
            "reserves",
            Box::new(|r| {
                let reserve = r.result[0].reserves.remove(0);
                r.result[0].drawn.push(reserve);
            }),
        ),
        ("k", Box::new(|r| r.strata[0].k += 1)),
        (
            "unsorted tokens",
            Box::new(|r| r.strata[0].tokens.swap(0, 1)),
        ),
        ("algorithm", Box::new(|r| r.algorithm.push('2'))),
    ]
}

const TAMPERED_FIELDS: [&str; 10] = [
    "seed",
    "secret_commitment",
    "intent_hash",
    "strata[1].eligible_root",
    "intent_hash",
    "result[1].drawn[0]",
    "result[0].drawn",
    "intent_hash",
    "strata[0].tokens[1]",
    "algorithm",
];

#[test]
fn verification_names_the_first_mismatch() {
    for ((what, tamper), field) in tamperings().into_iter().zip(TAMPERED_FIELDS) {
        let mut record = sample_record();
        tamper(&mut record);
        let error = verify(&record).unwrap_err();
        assert_eq!(error.field(), field, "{what}: {error}");
    }
}

#[test]
fn malformed_records_name_the_field() {
    let mut value = serde_json::to_value(sample_record()).unwrap();
    value["strata"][0]["tokens"][2] = json!("ABCD");
    let error = VerificationRecord::from_json(value.to_string().as_bytes()).unwrap_err();
    assert_eq!(error.field(), "strata[0].tokens[2]", "{error}");
    let mut value = serde_json::to_value(sample_record()).unwrap();
    value["extra"] = json!(1);
    assert!(VerificationRecord::from_json(value.to_string().as_bytes()).is_err());
}

// ---- test vectors (docs/DRAW-SPEC.md §11, integration/verifier/draw-vectors.json) ----

#[derive(Clone)]
struct VectorInput {
    /// The suite every hash and MAC of the vector is in (spec §1a).
    suite: Suite,
    name: &'static str,
    token_key: [u8; 32],
    draw_id: &'static str,
    pool_snapshot: &'static str,
    filter: &'static str,
    min_multiple: u32,
    strata: Vec<(Vec<&'static str>, u32, u32, Vec<String>)>,
    secret: [u8; 32],
    contributions: Vec<Vec<u8>>,
    /// v2: the tender's reference and lot as a center typed them (v1 vectors have none).
    tender: Option<(&'static str, &'static str)>,
    /// v2 linked draws: the family's root (an earlier vector) and the root's stratum whose first
    /// drawn seat it fills; it excludes everyone the root drew or reserved.
    linked: Option<LinkedInput>,
    /// v3: per stratum, the region rule (excluded, required prefixes) its intent commits.
    regions: Vec<(&'static [&'static str], &'static [&'static str])>,
    /// v3 with venues: per stratum, its named venue, or its candidate venues (id, county)
    /// and those that accepted.
    venues: Vec<VenueInput>,
}

#[derive(Clone)]
enum VenueInput {
    Named(&'static str, &'static str, &'static str),
    Random(Vec<(&'static str, &'static str)>, Vec<&'static str>),
}

#[derive(Clone)]
struct LinkedInput {
    root: usize,
    root_stratum: u32,
}

fn counting(start: u8) -> [u8; 32] {
    std::array::from_fn(|i| start.wrapping_add(i as u8))
}

fn vector_inputs() -> Vec<VectorInput> {
    let ids = |prefix: &str, range: std::ops::RangeInclusive<u32>| -> Vec<String> {
        range.map(|i| format!("{prefix}{i:02}")).collect()
    };
    let international = vec![
        VectorInput {
            suite: Suite::Intl2024,
            name: "one stratum, center and supervisor contributions",
            token_key: counting(0x00),
            draw_id: "draw-0001",
            pool_snapshot: "audit:42:root",
            filter: r#"{"prefixes":["A01"]}"#,
            min_multiple: 3,
            strata: vec![(vec!["A01"], 2, 1, ids("expert-", 1..=12))],
            secret: counting(0x40),
            contributions: vec![counting(0x80).to_vec(), counting(0xc0)[..16].to_vec()],
            tender: None,
            linked: None,
            regions: vec![],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "two overlapping strata, UTF-8 draw id, no contributions",
            token_key: counting(0x00),
            draw_id: "抽取-2025-0002",
            pool_snapshot: "专家库@7",
            filter: r#"{"prefixes":[["B01","B02"],["B0203"]]}"#,
            min_multiple: 3,
            strata: vec![
                (vec!["B02", "B01"], 3, 1, ids("e", 1..=15)),
                (vec!["B0203"], 2, 2, ids("e", 4..=18)),
            ],
            secret: counting(0x20),
            contributions: vec![],
            tender: None,
            linked: None,
            regions: vec![],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "three short contributions, k = 1, m = 0",
            token_key: [0xaa; 32],
            draw_id: "d",
            pool_snapshot: "",
            filter: "{}",
            min_multiple: 3,
            strata: vec![(vec!["C"], 1, 0, ids("x", 1..=3))],
            secret: [0x55; 32],
            contributions: vec![vec![0x01], vec![0x02, 0x03], vec![0x04; 32]],
            tender: None,
            linked: None,
            regions: vec![],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "v2 root draw: the tender committed, its reference typed loosely",
            token_key: counting(0x00),
            draw_id: "draw-0004",
            pool_snapshot: "audit:99:root",
            filter: r#"{"prefixes":["D01"]}"#,
            min_multiple: 3,
            strata: vec![(vec!["D01"], 2, 1, ids("f", 1..=12))],
            secret: counting(0x60),
            contributions: vec![counting(0x90).to_vec()],
            tender: Some((" hbgg-2026-0004 ", "第１标段")),
            linked: None,
            regions: vec![],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "v2 linked draw of vector 4: the family's tokens excluded, tokens under the root's id",
            token_key: counting(0x00),
            draw_id: "draw-0005",
            pool_snapshot: "audit:120:root",
            filter: r#"{"prefixes":["D01"],"linked":true}"#,
            min_multiple: 3,
            strata: vec![(vec!["D01"], 1, 0, ids("f", 1..=12))],
            secret: counting(0x70),
            contributions: vec![counting(0xa0).to_vec()],
            tender: Some((" hbgg-2026-0004 ", "第１标段")),
            linked: Some(LinkedInput {
                root: 3,
                root_stratum: 0,
            }),
            regions: vec![],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "v3 root draw: 2 from the province at large and 3 from one prefecture, each \
                   stratum committing its region rule",
            token_key: counting(0x00),
            draw_id: "draw-0006",
            pool_snapshot: "audit:140:root",
            filter: r#"{"strata":[{"prefixes":["E01"]},{"prefixes":["E01"],"regions_require":["4206"]}],"regions_exclude":["4201"]}"#,
            min_multiple: 3,
            strata: vec![
                (vec!["E01"], 2, 1, ids("g", 1..=30)),
                (vec!["E01"], 3, 1, ids("g", 19..=30)),
            ],
            secret: counting(0x30),
            contributions: vec![counting(0xb0).to_vec()],
            tender: Some(("HBGG-2026-0006", "")),
            linked: None,
            regions: vec![(&["4201"], &[]), (&["4201"], &["4206"])],
            venues: vec![],
        },
        VectorInput {
            suite: Suite::Intl2024,
            name: "v3 root draw with venues: 3 at the main venue from its prefecture, 2 at a \
                   sub-venue chosen at random among three (two accepted)",
            token_key: counting(0x00),
            draw_id: "draw-0007",
            pool_snapshot: "audit:160:root",
            filter: r#"{"strata":[{"prefixes":["F01"],"venue_id":"venue-main"},{"prefixes":["F01"],"venue_random":{"regions":["4205","4206"]}}]}"#,
            min_multiple: 3,
            strata: vec![
                (vec!["F01"], 3, 1, ids("h", 1..=12)),
                (vec!["F01"], 2, 1, ids("h", 13..=21)),
            ],
            secret: counting(0x10),
            contributions: vec![counting(0xd0).to_vec()],
            tender: Some(("HBGG-2026-0007", "")),
            linked: None,
            regions: vec![(&[], &["4201"]), (&[], &["4205", "4206"])],
            venues: vec![
                VenueInput::Named("venue-main", "420117", "prefecture"),
                VenueInput::Random(
                    vec![
                        ("venue-b", "420581"),
                        ("venue-a", "420624"),
                        ("venue-c", "420626"),
                    ],
                    vec!["venue-c", "venue-a"],
                ),
            ],
        },
    ];
    // The national suite (gm2024, spec §1a): vectors 1 and 6 again, every hash SM3 and every
    // MAC HMAC-SM3.
    let national = [0, 5].map(|i| VectorInput {
        suite: Suite::Gm2024,
        ..international[i].clone()
    });
    international.into_iter().chain(national).collect()
}

fn venue_candidates(candidates: &[(&str, &str)]) -> Vec<VenueCandidate> {
    candidates
        .iter()
        .map(|(id, region)| VenueCandidate {
            venue_id: (*id).to_owned(),
            venue_region: (*region).to_owned(),
        })
        .collect()
}

fn hex_list(tokens: &[DrawToken]) -> Vec<String> {
    tokens.iter().map(DrawToken::to_hex).collect()
}

fn vectors() -> Value {
    // Each vector's plan and outcome, for the linked vectors that name an earlier one as root.
    let mut computed: Vec<(DrawPlan, DrawOutcome, &'static str)> = Vec::new();
    let mut vectors: Vec<Value> = Vec::new();
    for v in vector_inputs() {
        // A linked draw's tokens are under its root's id (spec §4); the root's drawn and
        // reserve tokens are the family's, excluded from its eligible set.
        let (domain, family, excluded_ids) = match &v.linked {
            Some(link) => {
                let (root_plan, root_outcome, root_id) = &computed[link.root];
                let root_input = &vector_inputs()[link.root];
                let name_of = |t: &DrawToken| {
                    root_input.strata[..]
                        .iter()
                        .flat_map(|(_, _, _, ids)| ids)
                        .find(|id| DrawToken::derive(v.suite, &v.token_key, root_id, id) == *t)
                        .unwrap()
                        .clone()
                };
                let taken: Vec<DrawToken> = root_outcome
                    .strata
                    .iter()
                    .flat_map(|s| s.drawn.iter().chain(&s.reserves).copied())
                    .collect();
                let excluded_ids: Vec<String> = taken.iter().map(name_of).collect();
                let vacated = root_outcome.strata[link.root_stratum as usize].drawn[0];
                let family = FamilyRequest {
                    root_draw_id: (*root_id).to_owned(),
                    root_intent_hash: root_plan.intent_hash(),
                    root_stratum: link.root_stratum,
                    vacated_draw_id: (*root_id).to_owned(),
                    vacated_token: vacated,
                    excluded: EligibleSet::new(taken).unwrap(),
                };
                (*root_id, Some((family, name_of(&vacated))), excluded_ids)
            }
            None => (v.draw_id, None, Vec::new()),
        };
        let token_of = |id: &str| DrawToken::derive(v.suite, &v.token_key, domain, id);
        let mut names = BTreeMap::new();
        let strata = v
            .strata
            .iter()
            .enumerate()
            .map(|(i, (prefixes, k, m, ids))| {
                let eligible: Vec<DrawToken> = ids
                    .iter()
                    .filter(|id| !excluded_ids.contains(id))
                    .map(|id| token_of(id))
                    .collect();
                for id in ids.iter().filter(|id| !excluded_ids.contains(id)) {
                    names.insert(token_of(id), id.clone());
                }
                let prefixes = prefixes.iter().map(|p| (*p).to_owned()).collect();
                let mut stratum = Stratum::new(prefixes, *k, *m).unwrap();
                if let Some((exclude, require)) = v.regions.get(i) {
                    stratum = stratum.with_regions(regions(exclude, require)).unwrap();
                }
                match v.venues.get(i) {
                    Some(VenueInput::Named(id, region, scope)) => {
                        stratum = stratum
                            .with_venue(StratumVenue {
                                venue_id: (*id).to_owned(),
                                region_code: (*region).to_owned(),
                                scope: (*scope).to_owned(),
                            })
                            .unwrap();
                    }
                    Some(VenueInput::Random(candidates, _)) => {
                        stratum = stratum
                            .with_venue_candidates(venue_candidates(candidates))
                            .unwrap();
                    }
                    None => {}
                }
                (stratum, EligibleSet::new(eligible).unwrap())
            })
            .collect();
        let s = ServerSecret::from_bytes(v.secret);
        let tender_sha256 = v
            .tender
            .map(|(reference, lot)| algorithm::tender_commitment(v.suite, reference, lot));
        let request = DrawRequest {
            suite: v.suite,
            draw_id: v.draw_id.to_owned(),
            pool_snapshot: v.pool_snapshot.to_owned(),
            filter_sha256: v.suite.hash(v.filter.as_bytes()),
            min_multiple: v.min_multiple,
            strata,
            tender_sha256,
            family: family.as_ref().map(|(family, _)| family.clone()),
        };
        let plan = DrawPlan::new(request, &s).unwrap();
        let c: Vec<Contribution> = v
            .contributions
            .iter()
            .map(|c| Contribution::new(c.clone()).unwrap())
            .collect();
        let outcome = plan.execute(&s, &c).unwrap();
        let mut record = VerificationRecord::new(&plan, &s, &c, &outcome);
        let accepted: Vec<Vec<String>> = v
            .venues
            .iter()
            .map(|venue| match venue {
                VenueInput::Random(_, accepted) => {
                    accepted.iter().map(|id| (*id).to_owned()).collect()
                }
                VenueInput::Named(..) => Vec::new(),
            })
            .collect();
        record.choose_venues(&accepted).unwrap();
        verify(&record).unwrap();
        let named = |tokens: &[DrawToken]| -> Vec<String> {
            tokens.iter().map(|t| names[t].clone()).collect()
        };
        let mut inputs = json!({
            "token_key": hex::encode(v.token_key),
            "draw_id": v.draw_id,
            "pool_snapshot": v.pool_snapshot,
            "filter_canonical": v.filter,
            "min_multiple": v.min_multiple,
            "strata": v.strata.iter().enumerate().map(|(i, (prefixes, k, m, ids))| {
                let mut stratum = json!({
                    "prefixes": prefixes, "k": k, "m": m,
                    "expert_ids": ids.iter().filter(|id| !excluded_ids.contains(id)).collect::<Vec<_>>(),
                });
                if let Some((exclude, require)) = v.regions.get(i) {
                    stratum["regions_exclude"] = json!(exclude);
                    stratum["regions_require"] = json!(require);
                }
                match v.venues.get(i) {
                    Some(VenueInput::Named(id, region, scope)) => {
                        stratum["venue_id"] = json!(id);
                        stratum["venue_region"] = json!(region);
                        stratum["venue_scope"] = json!(scope);
                    }
                    Some(VenueInput::Random(candidates, accepted)) => {
                        stratum["venue_candidates"] = json!(candidates.iter()
                            .map(|(id, region)| json!({"venue_id": id, "venue_region": region}))
                            .collect::<Vec<_>>());
                        stratum["venue_accepted"] = json!(accepted);
                    }
                    None => {}
                }
                stratum
            }).collect::<Vec<_>>(),
            "secret": hex::encode(v.secret),
            "contributions": v.contributions.iter().map(hex::encode).collect::<Vec<_>>(),
        });
        if let Some((reference, lot)) = v.tender {
            inputs["tender"] = json!({"reference": reference, "lot": lot});
        }
        if v.suite != Suite::Intl2024 {
            inputs["suite"] = json!(v.suite);
        }
        if let Some((family, vacated_expert)) = &family {
            inputs["token_domain"] = json!(domain);
            inputs["family"] = json!({
                "root_draw_id": family.root_draw_id,
                "root_intent_hash": hex::encode(family.root_intent_hash),
                "root_stratum": family.root_stratum,
                "vacated_draw_id": family.vacated_draw_id,
                "vacated_expert_id": vacated_expert,
                "excluded_expert_ids": excluded_ids,
            });
        }
        let mut expected = json!({
            "tokens": names.iter().map(|(t, id)| (id.clone(), json!(t.to_hex())))
                .collect::<serde_json::Map<_, _>>(),
            "filter_sha256": hex::encode(plan.intent().filter_sha256),
            "eligible_roots": plan.intent().strata.iter()
                .map(|s| hex::encode(s.eligible_root)).collect::<Vec<_>>(),
            "secret_commitment": hex::encode(plan.intent().secret_commitment),
            "intent_json": String::from_utf8(plan.intent().canonical_bytes().unwrap()).unwrap(),
            "intent_hash": hex::encode(plan.intent_hash()),
            "seed": hex::encode(outcome.seed),
            "ranking": plan.eligible().iter().enumerate().map(|(i, set)| {
                rank(v.suite, &outcome.seed, i as u64, set.tokens()).iter().map(|t| json!({
                    "token": t.to_hex(),
                    "score": hex::encode(rank_score(v.suite, &outcome.seed, i as u64, t)),
                })).collect::<Vec<_>>()
            }).collect::<Vec<_>>(),
            "result": outcome.strata.iter().map(|r| json!({
                "drawn": hex_list(&r.drawn), "reserves": hex_list(&r.reserves),
            })).collect::<Vec<_>>(),
            "result_experts": outcome.strata.iter().map(|r| json!({
                "drawn": named(&r.drawn), "reserves": named(&r.reserves),
            })).collect::<Vec<_>>(),
        });
        if let Some(tender) = tender_sha256 {
            expected["tender_sha256"] = json!(hex::encode(tender));
        }
        if !v.venues.is_empty() {
            // Spec §7a: each random stratum's candidates by score, and the venue chosen.
            expected["venue_ranking"] =
                json!(plan.intent().strata.iter().enumerate().map(|(i, s)| {
                let ids = s.venue_candidates.iter().flatten().map(|c| c.venue_id.as_str());
                algorithm::venue_ranking(v.suite, &outcome.seed, i as u64, ids).iter().map(|id| json!({
                    "venue_id": id,
                    "score": hex::encode(algorithm::venue_score(v.suite, &outcome.seed, i as u64, id)),
                })).collect::<Vec<_>>()
            }).collect::<Vec<_>>());
            expected["venue_chosen"] = json!(
                record
                    .result
                    .iter()
                    .map(|r| r.venue_id.clone())
                    .collect::<Vec<_>>()
            );
        }
        vectors.push(json!({
            "name": v.name,
            "algorithm": plan.intent().algorithm,
            "inputs": inputs,
            "expected": expected,
            "record": record,
        }));
        computed.push((plan, outcome, v.draw_id));
    }
    json!({
        "spec": "docs/DRAW-SPEC.md",
        "vectors": vectors,
    })
}

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/draw-vectors.json"
);
const PYTHON_VERIFIER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/integration/verifier/draw_verify.py"
);

/// Set `SEALDRAW_WRITE_DRAW_VECTORS=1` to regenerate the file after a deliberate change.
#[test]
fn the_vectors_file_is_what_the_code_computes() {
    let computed = vectors();
    if std::env::var_os("SEALDRAW_WRITE_DRAW_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
        std::fs::write(VECTORS_PATH, text).unwrap();
    }
    let stored: Value = serde_json::from_slice(&std::fs::read(VECTORS_PATH).unwrap()).unwrap();
    // Not assert_eq: the whole file in a failure message hides the point.
    assert!(
        stored == computed,
        "{VECTORS_PATH} differs from what the code computes; after a deliberate change, \
         regenerate it with SEALDRAW_WRITE_DRAW_VECTORS=1 and update docs/DRAW-SPEC.md"
    );
}

fn python(args: &[&str]) -> std::process::Output {
    match std::process::Command::new("python3")
        .arg(PYTHON_VERIFIER)
        .args(args)
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!(
            "python3 is needed to run the independent draw verifier ({PYTHON_VERIFIER}): {error}"
        ),
    }
}

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn the_python_verifier_recomputes_every_vector() {
    let output = python(&["vectors", VECTORS_PATH]);
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    let count = vector_inputs().len();
    assert!(out.contains(&format!("OK {count} vectors")), "{out}");

    // And it notices a vector that disagrees with the inputs.
    let mut vectors: Value = serde_json::from_slice(&std::fs::read(VECTORS_PATH).unwrap()).unwrap();
    vectors["vectors"][1]["expected"]["seed"] = json!(hex::encode([0u8; 32]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectors.json");
    std::fs::write(&path, serde_json::to_vec(&vectors).unwrap()).unwrap();
    let output = python(&["vectors", path.to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.starts_with("MISMATCH vectors[1].expected.seed: "),
        "{out}"
    );
}

#[test]
fn the_python_verifier_names_the_same_mismatch_as_rust() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    let path_text = path.to_str().unwrap();

    std::fs::write(&path, serde_json::to_vec(&sample_record()).unwrap()).unwrap();
    let output = python(&["record", path_text]);
    assert!(output.status.success(), "{}", text(&output));

    for ((what, tamper), field) in tamperings().into_iter().zip(TAMPERED_FIELDS) {
        let mut record = sample_record();
        tamper(&mut record);
        let rust = verify(&record).unwrap_err();
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        let output = python(&["record", path_text]);
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {out}");
        let kind = match rust {
            VerifyError::Malformed { .. } => "MALFORMED",
            VerifyError::Mismatch { .. } => "MISMATCH",
        };
        assert!(
            out.starts_with(&format!("{kind} {field}: ")),
            "{what}: python said {out:?}, rust said {rust}"
        );
    }
}

#[test]
fn a_v2_intent_spells_its_tender_in_hex_and_reads_back_as_written() {
    let mut request = thirty();
    request.tender_sha256 = Some([9; 32]);
    let plan = DrawPlan::new(request, &ServerSecret::from_bytes([1; 32])).unwrap();
    assert_eq!(plan.intent().algorithm, ALGORITHM_V2);
    let text = String::from_utf8(plan.intent().canonical_bytes().unwrap()).unwrap();
    assert!(
        text.ends_with(&format!(r#","tender_sha256":"{}"}}"#, "09".repeat(32))),
        "{text}"
    );
    let back: DrawIntent = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, plan.intent());
    // Absent is the only spelling of "no family": null is refused, not read as absent.
    let with_null = text.replace(r#","tender_sha256""#, r#","family":null,"tender_sha256""#);
    assert!(serde_json::from_str::<DrawIntent>(&with_null).is_err());
}

// ---- v3: each stratum's region rule in the intent (spec §5, §12) ----

fn v3_record() -> VerificationRecord {
    let s = secret(8);
    let req = v3_request(
        "d3",
        vec![
            (vec!["B01"], 2, 1, experts(0..20)),
            (vec!["B01"], 3, 1, experts(8..20)),
        ],
        &[(&["4201"], &[]), (&["4201"], &["4206"])],
    );
    let plan = DrawPlan::new(req, &s).unwrap();
    let c = contributions(&[b"center"]);
    let outcome = plan.execute(&s, &c).unwrap();
    VerificationRecord::new(&plan, &s, &c, &outcome)
}

#[test]
fn a_v3_intent_commits_each_stratums_region_rule_and_reads_back_as_written() {
    let record = v3_record();
    assert_eq!(record.algorithm, ALGORITHM_ID);
    verify(&record).unwrap();
    let text = String::from_utf8(record.intent().canonical_bytes().unwrap()).unwrap();
    assert!(
        text.contains(
            r#""prefixes":["B01"],"regions_exclude":["4201"],"regions_require":["4206"]}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#""prefixes":["B01"],"regions_exclude":["4201"],"regions_require":[]}"#),
        "{text}"
    );
    let back: DrawIntent = serde_json::from_str(&text).unwrap();
    assert_eq!(back, record.intent());
    let bytes = serde_json::to_vec(&record).unwrap();
    assert_eq!(VerificationRecord::from_json(&bytes).unwrap(), record);
    // Absent is "no rule committed" (v1, v2); null is no spelling at all.
    let with_null = text.replace(r#""regions_require":[]"#, r#""regions_require":null"#);
    assert!(serde_json::from_str::<DrawIntent>(&with_null).is_err());
}

#[test]
fn region_rules_are_all_or_nothing_and_need_a_tender() {
    let mut some = v3_request(
        "d",
        vec![
            (vec!["A01"], 1, 0, experts(0..3)),
            (vec!["A02"], 1, 0, experts(3..6)),
        ],
        &[(&[], &["42"])],
    );
    assert_eq!(
        DrawPlan::new(some.clone(), &secret(1)).unwrap_err(),
        DrawError::RegionsNeedV3
    );
    some.strata.truncate(1);
    DrawPlan::new(some.clone(), &secret(1)).unwrap();
    some.tender_sha256 = None;
    assert_eq!(
        DrawPlan::new(some, &secret(1)).unwrap_err(),
        DrawError::RegionsNeedV3
    );
    let stratum = || Stratum::new(vec!["A".into()], 1, 0).unwrap();
    for (exclude, require) in [
        (&["4201", "4201"][..], &[][..]),
        (&["4205", "4201"], &[]),
        (&[], &["42", "4201"]),
        (&[], &["420"]),
        (&["42x1"], &[]),
    ] {
        assert!(
            matches!(
                stratum().with_regions(regions(exclude, require)),
                Err(DrawError::Regions(_))
            ),
            "{exclude:?} {require:?}"
        );
    }
    let many: Vec<String> = (10..=42).map(|n| n.to_string()).collect();
    let too_many = StratumRegions {
        exclude: many,
        require: vec![],
    };
    assert!(stratum().with_regions(too_many).is_err());
}

/// Each v3 tampering and the field both verifiers must name first.
fn v3_tamperings() -> Vec<(&'static str, Tampering, &'static str)> {
    vec![
        (
            "a region rule widened after the fact",
            Box::new(|r: &mut VerificationRecord| r.strata[1].regions_require = Some(vec![])),
            "intent_hash",
        ),
        (
            "a region rule left out",
            Box::new(|r| r.strata[1].regions_exclude = None),
            "strata[1].regions_exclude",
        ),
        (
            "a region list out of order",
            Box::new(|r| {
                r.strata[0].regions_exclude = Some(vec!["4205".into(), "4201".into()]);
            }),
            "strata[0].regions_exclude",
        ),
        (
            "a region prefix covered by another",
            Box::new(|r| {
                r.strata[1].regions_require = Some(vec!["42".into(), "4206".into()]);
            }),
            "strata[1].regions_require",
        ),
        (
            "a v3 draw passed off as v2",
            Box::new(|r| r.algorithm = ALGORITHM_V2.into()),
            "strata[0].regions_exclude",
        ),
    ]
}

#[test]
fn both_verifiers_name_the_same_field_in_a_tampered_v3_record() {
    assert_both_verifiers_refuse(v3_record, v3_tamperings());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    let path_text = path.to_str().unwrap();
    // An older record cannot claim a rule its intent never committed.
    let mut older = serde_json::to_value(sample_record()).unwrap();
    older["strata"][0]["regions_require"] = json!(["42"]);
    let error = VerificationRecord::from_json(older.to_string().as_bytes())
        .and_then(|record| verify(&record).map(drop))
        .unwrap_err();
    assert_eq!(error.field(), "strata[0].regions_require", "{error}");
    std::fs::write(&path, older.to_string()).unwrap();
    let out = text(&python(&["record", path_text]));
    assert!(
        out.starts_with("MALFORMED strata[0].regions_require: "),
        "{out}"
    );
}

/// [`v3_record`] with its second stratum bound to 保康's venue (420626, prefecture scope) and
/// its first to a venue of 仙桃 (429004) drawing province-wide.
fn venue_record() -> VerificationRecord {
    let s = secret(9);
    let mut req = v3_request(
        "d4",
        vec![
            (vec!["B01"], 2, 1, experts(0..20)),
            (vec!["B01"], 3, 1, experts(8..20)),
        ],
        &[(&["4201"], &[]), (&["4201"], &["4206"])],
    );
    for (i, (region, scope)) in [("429004", "province"), ("420626", "prefecture")]
        .into_iter()
        .enumerate()
    {
        req.strata[i].0 = req.strata[i]
            .0
            .clone()
            .with_venue(StratumVenue {
                venue_id: format!("venue-{i}"),
                region_code: region.into(),
                scope: scope.into(),
            })
            .unwrap();
    }
    let plan = DrawPlan::new(req, &s).unwrap();
    let c = contributions(&[b"center"]);
    let outcome = plan.execute(&s, &c).unwrap();
    VerificationRecord::new(&plan, &s, &c, &outcome)
}

#[test]
fn a_prefecture_prefix_is_four_digits_or_six_for_a_county_the_province_administers() {
    assert_eq!(prefecture_prefix("420626"), "4206");
    assert_eq!(prefecture_prefix("420117"), "4201");
    for county in ["429004", "429005", "429006", "429021"] {
        assert_eq!(prefecture_prefix(county), county);
    }
    let stratum = || {
        Stratum::new(vec!["A".into()], 1, 0)
            .unwrap()
            .with_regions(regions(&[], &["4205"]))
            .unwrap()
    };
    let venue = |region: &str, scope: &str| StratumVenue {
        venue_id: "v".into(),
        region_code: region.into(),
        scope: scope.into(),
    };
    // A prefecture-scoped venue must lie around the rule: 宜昌's rule, 襄阳's venue, no.
    assert!(stratum().with_venue(venue("420626", "prefecture")).is_err());
    assert!(stratum().with_venue(venue("420502", "prefecture")).is_ok());
    assert!(stratum().with_venue(venue("420626", "province")).is_ok());
    assert!(stratum().with_venue(venue("420626", "county")).is_err());
    assert!(stratum().with_venue(venue("4206", "province")).is_err());
    // Only a v3 stratum (one with its rule) names a venue.
    assert_eq!(
        Stratum::new(vec!["A".into()], 1, 0)
            .unwrap()
            .with_venue(venue("420626", "province"))
            .unwrap_err(),
        DrawError::RegionsNeedV3
    );
}

#[test]
fn both_verifiers_check_a_committed_venue_and_name_the_same_field_when_it_is_tampered() {
    let record = venue_record();
    verify(&record).unwrap();
    let intent = String::from_utf8(record.intent().canonical_bytes().unwrap()).unwrap();
    assert!(
        intent.contains(r#""regions_require":["4206"],"venue_id":"venue-1","venue_region":"420626","venue_scope":"prefecture"}"#),
        "{intent}"
    );
    let tamperings: Vec<(&str, Tampering, &str)> = vec![
        (
            "another venue claimed",
            Box::new(|r: &mut VerificationRecord| r.strata[1].venue_id = Some("other".into())),
            "intent_hash",
        ),
        (
            "a venue without its scope",
            Box::new(|r| r.strata[1].venue_scope = None),
            "strata[1].venue_scope",
        ),
        (
            "a venue in a v2 record",
            Box::new(|r| {
                r.algorithm = ALGORITHM_V2.into();
                for s in &mut r.strata {
                    s.regions_exclude = None;
                    s.regions_require = None;
                }
            }),
            "strata[0].venue_id",
        ),
        (
            "a prefecture venue outside its rule",
            Box::new(|r| r.strata[1].venue_region = Some("420502".into())),
            "strata[1].regions_require",
        ),
        (
            "a scope that is none",
            Box::new(|r| r.strata[0].venue_scope = Some("county".into())),
            "strata[0].venue_scope",
        ),
        (
            "a region that is no county code",
            Box::new(|r| r.strata[0].venue_region = Some("4290".into())),
            "strata[0].venue_region",
        ),
    ];
    assert_both_verifiers_refuse(venue_record, tamperings);
}

// ---- a sub-venue chosen at random (spec §5, §7a, §9 check 14) ----

/// Stratum 0 at its named venue; stratum 1's sub-venue chosen among three candidates, of which
/// `accepted` accepted.
fn random_venue_record(accepted: &[&str]) -> VerificationRecord {
    let s = secret(10);
    let mut req = v3_request(
        "d5",
        vec![
            (vec!["B01"], 2, 1, experts(0..20)),
            (vec!["B01"], 2, 1, experts(8..20)),
        ],
        &[(&[], &["4201"]), (&[], &["4205", "4206"])],
    );
    req.strata[0].0 = req.strata[0]
        .0
        .clone()
        .with_venue(StratumVenue {
            venue_id: "main".into(),
            region_code: "420117".into(),
            scope: "prefecture".into(),
        })
        .unwrap();
    req.strata[1].0 = req.strata[1]
        .0
        .clone()
        .with_venue_candidates(venue_candidates(&[
            ("v-3", "420626"),
            ("v-1", "420502"),
            ("v-2", "420581"),
        ]))
        .unwrap();
    let plan = DrawPlan::new(req, &s).unwrap();
    let c = contributions(&[b"center"]);
    let outcome = plan.execute(&s, &c).unwrap();
    let mut record = VerificationRecord::new(&plan, &s, &c, &outcome);
    let accepted: Vec<String> = accepted.iter().map(|a| (*a).to_owned()).collect();
    record.choose_venues(&[Vec::new(), accepted]).unwrap();
    record
}

#[test]
fn a_random_sub_venue_is_the_first_accepting_candidate_by_the_seeds_ranking() {
    let record = random_venue_record(&["v-1", "v-2", "v-3"]);
    verify(&record).unwrap();
    let ranking = algorithm::venue_ranking(Suite::Intl2024, &record.seed, 1, ["v-1", "v-2", "v-3"]);
    assert_eq!(
        record.result[1].venue_id.as_deref(),
        Some(ranking[0].as_str())
    );
    // The ranking is the spec's formula, whatever order the candidates come in.
    let mut by_formula = vec!["v-3", "v-1", "v-2"];
    by_formula.sort_by_key(|id| {
        (
            algorithm::venue_score(Suite::Intl2024, &record.seed, 1, id),
            *id,
        )
    });
    assert_eq!(ranking, by_formula);
    // The first refusing moves the seat to the next in that order, never a new ranking.
    let without_first: Vec<&str> = ranking[1..].iter().map(String::as_str).collect();
    let record = random_venue_record(&without_first);
    verify(&record).unwrap();
    assert_eq!(
        record.result[1].venue_id.as_deref(),
        Some(ranking[1].as_str())
    );
    assert_eq!(record.result[0].venue_id, None);
    // Candidates commit in id order; the intent names them and the venue named by stratum 0.
    let intent = String::from_utf8(record.intent().canonical_bytes().unwrap()).unwrap();
    assert!(
        intent.contains(r#""venue_candidates":[{"venue_id":"v-1","venue_region":"420502"},{"venue_id":"v-2","venue_region":"420581"},{"venue_id":"v-3","venue_region":"420626"}]"#),
        "{intent}"
    );
    // Nobody accepted: no venue can be chosen, and the server never executes such a draw.
    let mut none = random_venue_record(&["v-1"]);
    assert_eq!(
        none.choose_venues(&[Vec::new(), Vec::new()]).unwrap_err(),
        DrawError::NoVenueAccepted(1)
    );
    // A candidate outside the stratum's rule, or a named venue beside candidates, is refused.
    let stratum = || {
        Stratum::new(vec!["A".into()], 1, 0)
            .unwrap()
            .with_regions(regions(&[], &["4205"]))
            .unwrap()
    };
    assert!(
        stratum()
            .with_venue_candidates(venue_candidates(&[("v", "420626")]))
            .is_err()
    );
    assert!(stratum().with_venue_candidates(Vec::new()).is_err());
    assert!(
        stratum()
            .with_venue(StratumVenue {
                venue_id: "v".into(),
                region_code: "420502".into(),
                scope: "province".into(),
            })
            .unwrap()
            .with_venue_candidates(venue_candidates(&[("w", "420502")]))
            .is_err()
    );
}

#[test]
fn both_verifiers_recompute_a_random_sub_venue_and_name_the_same_field_when_it_is_tampered() {
    let record = random_venue_record(&["v-1", "v-3"]);
    verify(&record).unwrap();
    let chosen = record.result[1].venue_id.clone().unwrap();
    let other = if chosen == "v-1" { "v-3" } else { "v-1" };
    let tamperings: Vec<(&str, Tampering, &str)> = vec![
        (
            "the other accepting venue claimed",
            Box::new(move |r: &mut VerificationRecord| r.result[1].venue_id = Some(other.into())),
            "result[1].venue_id",
        ),
        (
            "a venue that was no candidate",
            Box::new(|r| r.result[1].venue_accepted = Some(vec!["v-1".into(), "v-9".into()])),
            "result[1].venue_accepted[1]",
        ),
        (
            "no venue chosen",
            Box::new(|r| r.result[1].venue_id = None),
            "result[1].venue_id",
        ),
        (
            "a choice for a stratum without candidates",
            Box::new(|r| r.result[0].venue_id = Some("main".into())),
            "result[0].venue_id",
        ),
        (
            "a candidate set changed",
            Box::new(|r| {
                r.strata[1].venue_candidates.as_mut().unwrap()[0].venue_region = "420503".into()
            }),
            "intent_hash",
        ),
        (
            "candidates out of order",
            Box::new(|r| r.strata[1].venue_candidates.as_mut().unwrap().swap(0, 1)),
            "strata[1].venue_candidates[1].venue_id",
        ),
        (
            "a candidate outside the rule",
            Box::new(|r| {
                r.strata[1].venue_candidates.as_mut().unwrap()[0].venue_region = "420117".into()
            }),
            "strata[1].venue_candidates[0].venue_region",
        ),
        (
            "candidates beside a named venue",
            Box::new(|r| r.strata[0].venue_candidates = r.strata[1].venue_candidates.clone()),
            "strata[0].venue_candidates",
        ),
    ];
    assert_both_verifiers_refuse(|| random_venue_record(&["v-1", "v-3"]), tamperings);
}

/// Both verifiers accept `make()`'s record, and refuse each tampered copy naming the same field
/// with the same kind of failure (MALFORMED or MISMATCH).
fn assert_both_verifiers_refuse(
    make: impl Fn() -> VerificationRecord,
    tamperings: Vec<(&str, Tampering, &str)>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    let path_text = path.to_str().unwrap();
    std::fs::write(&path, serde_json::to_vec(&make()).unwrap()).unwrap();
    let output = python(&["record", path_text]);
    assert!(output.status.success(), "{}", text(&output));
    for (what, tamper, field) in tamperings {
        let mut record = make();
        tamper(&mut record);
        let rust = verify(&record).unwrap_err();
        assert_eq!(rust.field(), field, "{what}: {rust}");
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        let output = python(&["record", path_text]);
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {out}");
        let kind = match rust {
            VerifyError::Malformed { .. } => "MALFORMED",
            VerifyError::Mismatch { .. } => "MISMATCH",
        };
        assert!(
            out.starts_with(&format!("{kind} {field}: ")),
            "{what}: python said {out:?}, rust said {rust}"
        );
    }
}
