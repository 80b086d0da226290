//! Tail probabilities and the correction for many tests, for the signals (docs/ANALYTICS.md §4).
//! The distributions come from `statrs`; what is ours is which one answers which question.

use statrs::distribution::{Binomial, DiscreteCDF, Poisson};

/// P(X ≥ x) for X ~ Binomial(n, p): how surprising x successes in n tries are.
pub(crate) fn binomial_upper(x: u64, n: u64, p: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0);
    match Binomial::new(p, n) {
        Ok(binomial) => binomial.sf(x - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// P(X ≥ x) for X ~ Poisson(λ).
pub(crate) fn poisson_upper(x: u64, lambda: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    match Poisson::new(lambda) {
        Ok(poisson) => poisson.sf(x - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// P(X ≥ x) where X counts successes of independent tries with their own chances
/// (Poisson-binomial), computed exactly.
pub(crate) fn poisson_binomial_upper(x: usize, chances: &[f64]) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > chances.len() {
        return 0.0;
    }
    // distribution[j] = P(j successes so far)
    let mut distribution = vec![0.0f64; chances.len() + 1];
    distribution[0] = 1.0;
    for (tried, chance) in chances.iter().enumerate() {
        let chance = chance.clamp(0.0, 1.0);
        for successes in (0..=tried + 1).rev() {
            let stay = distribution[successes] * (1.0 - chance);
            let moved = if successes > 0 {
                distribution[successes - 1] * chance
            } else {
                0.0
            };
            distribution[successes] = stay + moved;
        }
    }
    distribution[x..].iter().sum::<f64>().clamp(0.0, 1.0)
}

/// Benjamini–Hochberg adjusted p-values ("q-values") for `p_values`, as if `tests` tests were
/// made in all (at least as many as given: tests not listed had p = 1 and rank after them).
/// A finding with q ≤ 0.01 is one of a list in which, on average, at most 1 % are false alarms.
pub(crate) fn benjamini_hochberg(p_values: &[f64], tests: usize) -> Vec<f64> {
    let tests = tests.max(p_values.len()) as f64;
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut q = vec![1.0; p_values.len()];
    let mut running = 1.0f64;
    for (position, index) in order.iter().enumerate().rev() {
        let rank = (position + 1) as f64;
        running = running.min(p_values[*index] * tests / rank);
        q[*index] = running.clamp(0.0, 1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || (a - b).abs() < 1e-12
    }

    fn choose(n: u64, k: u64) -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn binomial_tail_matches_the_sum() {
        for (x, n, p) in [
            (3u64, 10u64, 0.2f64),
            (7, 12, 0.5),
            (1, 5, 0.01),
            (20, 40, 0.1),
        ] {
            let exact: f64 = (x..=n)
                .map(|k| choose(n, k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32))
                .sum();
            assert!(close(binomial_upper(x, n, p), exact), "{x} {n} {p}");
        }
        assert_eq!(binomial_upper(0, 5, 0.3), 1.0);
        assert_eq!(binomial_upper(6, 5, 0.3), 0.0);
    }

    #[test]
    fn tiny_tails_are_not_rounded_to_zero() {
        // 15 of 20 at 5 %: about 1.0e-15, far below 1 − (1 − ε).
        let tail = binomial_upper(15, 20, 0.05);
        assert!(tail > 1e-16 && tail < 1e-14, "{tail}");
        let tail = poisson_upper(10, 0.05);
        let first = 0.05f64.powi(10) * (-0.05f64).exp() / 3_628_800.0;
        assert!(tail > first && tail < first * 1.01, "{tail} {first}");
    }

    #[test]
    fn poisson_binomial_agrees_with_the_binomial_when_chances_are_equal() {
        let chances = vec![0.3; 12];
        for x in 0..=12 {
            assert!(close(
                poisson_binomial_upper(x, &chances),
                binomial_upper(x as u64, 12, 0.3)
            ));
        }
        // Two sure things and one coin: at least 3 successes half the time.
        assert!(close(poisson_binomial_upper(3, &[1.0, 1.0, 0.5]), 0.5));
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // Five tests: sorted p 0.001, 0.008, 0.039, 0.041, 0.9.
        let q = benjamini_hochberg(&[0.039, 0.001, 0.9, 0.041, 0.008], 5);
        let expected = [0.05125, 0.005, 0.9, 0.05125, 0.02];
        for (got, want) in q.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{q:?}");
        }
        // Untested pairs count: the same p among a million tests is no longer remarkable.
        assert!(benjamini_hochberg(&[0.001], 1_000_000)[0] == 1.0);
    }
}
