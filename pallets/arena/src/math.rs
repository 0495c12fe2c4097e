//! The arena's consensus and reward maths: pure integer functions, no storage, no floats.
//!
//! * [`weighted_median`] — a submission's consensus score from the committee's reveals.
//! * [`agreement`] — how close one validator's scores are to consensus.
//! * [`split_pool`] — FLock's split of a reward pool between trainers and validators.
//! * [`geometric_weights`] and [`distribute`] — shares over rank and pro-rata payment that
//!   conserves every unit (the remainder is returned, for the treasury).

use alloc::vec::Vec;
use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};
use sp_runtime::{PerThing, Perbill};

/// `a · b / c`, rounded down, without intermediate overflow; 0 when `c` is 0.
pub fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX)
}

/// The lower stake-weighted median of `(score, weight)` pairs: the smallest score `m` such
/// that the scores `≤ m` carry at least half of the total weight. Pairs of weight 0 count as
/// weight 1 only if every pair has weight 0 (an unweighted median). `None` when empty.
///
/// A coalition holding less than half of the weight cannot move the median outside the range
/// of the other scores: below the honest minimum its weight never reaches half, and at the
/// honest maximum every honest weight is already counted.
pub fn weighted_median(pairs: &[(i64, u128)]) -> Option<i64> {
    let mut sorted: Vec<(i64, u128)> = pairs.to_vec();
    if sorted.iter().all(|(_, w)| *w == 0) {
        for pair in sorted.iter_mut() {
            pair.1 = 1;
        }
    }
    sorted.sort_by_key(|(score, _)| *score);
    let total = sorted.iter().fold(0u128, |acc, (_, w)| acc.saturating_add(*w));
    let mut cumulative = 0u128;
    for (score, weight) in sorted {
        cumulative = cumulative.saturating_add(weight);
        // cumulative ≥ total / 2, without rounding: 2·cumulative ≥ total.
        if cumulative.saturating_mul(2) >= total {
            return Some(score);
        }
    }
    None
}

/// Width of the band around `consensus` inside which a score agrees with it:
/// `tolerance · |consensus| + floor`.
pub fn band(consensus: i64, tolerance: Perbill, floor: u64) -> u128 {
    let magnitude = u128::from(consensus.unsigned_abs());
    tolerance.mul_floor(magnitude).saturating_add(u128::from(floor))
}

/// Distance between two scores.
pub fn distance(a: i64, b: i64) -> u128 {
    u128::from(a.abs_diff(b))
}

/// A validator's agreement with consensus: `None` when any of its scores lies outside the
/// band (it deviates); otherwise `1 − mean(distance / band)` over the submissions (1 when its
/// scores equal consensus). `scores` and `consensus` have the same length.
pub fn agreement(
    scores: &[i64],
    consensus: &[i64],
    tolerance: Perbill,
    floor: u64,
) -> Option<Perbill> {
    if scores.len() != consensus.len() {
        return None;
    }
    if scores.is_empty() {
        return Some(Perbill::one());
    }
    let one = u128::from(Perbill::ACCURACY);
    let mut shortfall = 0u128;
    for (score, target) in scores.iter().zip(consensus) {
        let width = band(*target, tolerance, floor);
        let gap = distance(*score, *target);
        if gap > width {
            return None;
        }
        // gap / width in parts per billion; a zero-width band admits only exact scores.
        let part = if width == 0 { 0 } else { mul_div(gap, one, width) };
        shortfall = shortfall.saturating_add(part);
    }
    let mean_shortfall = shortfall.checked_div(scores.len() as u128).unwrap_or(one).min(one);
    let parts = one.saturating_sub(mean_shortfall);
    Some(Perbill::from_parts(u32::try_from(parts).unwrap_or(Perbill::ACCURACY)))
}

/// FLock's split of a pool `r` between trainers and validators:
/// `R_trainers = r · (γ + (1 − 2γ) · T / (T + S))`, `R_validators = r − R_trainers`,
/// with `T`, `S` the trainers' and the committee's stake. `γ` above one half counts as one
/// half. With no stake on either side the split is even.
pub fn split_pool(r: u128, gamma: Perbill, trainers: u128, validators: u128) -> (u128, u128) {
    let gamma = gamma.min(Perbill::from_percent(50));
    let floor = gamma.mul_floor(r);
    // (1 − 2γ) · r
    let variable = r.saturating_sub(floor.saturating_mul(2));
    let total = trainers.saturating_add(validators);
    let trainer_variable =
        if total == 0 { variable / 2 } else { mul_div(variable, trainers, total) };
    let to_trainers = floor.saturating_add(trainer_variable).min(r);
    (to_trainers, r.saturating_sub(to_trainers))
}

/// Scale of [`geometric_weights`]: the first rank's weight.
pub const GEOMETRIC_ONE: u128 = 1_000_000_000_000_000_000;

/// Relative weights `ratio^k` for ranks `k = 0 .. n`, scaled by [`GEOMETRIC_ONE`] and rounded
/// down. A ratio of 0 gives everything to the first rank.
pub fn geometric_weights(n: usize, ratio: Perbill) -> Vec<u128> {
    let mut weights = Vec::with_capacity(n);
    let mut current = GEOMETRIC_ONE;
    for _ in 0..n {
        weights.push(current);
        current = ratio.mul_floor(current);
    }
    weights
}

/// Splits `amount` pro rata to `weights`, each share rounded down. Returns the shares and the
/// remainder, so that `sum(shares) + remainder == amount` exactly. With no weight at all,
/// everything is remainder.
pub fn distribute(amount: u128, weights: &[u128]) -> (Vec<u128>, u128) {
    let total = weights.iter().fold(0u128, |acc, w| acc.saturating_add(*w));
    let shares: Vec<u128> = weights.iter().map(|w| mul_div(amount, *w, total)).collect();
    let paid = shares.iter().fold(0u128, |acc, s| acc.saturating_add(*s));
    (shares, amount.saturating_sub(paid))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_examples() {
        assert_eq!(weighted_median(&[]), None);
        assert_eq!(weighted_median(&[(5, 1)]), Some(5));
        assert_eq!(weighted_median(&[(1, 1), (2, 1), (3, 1)]), Some(2));
        // lower median of an even split
        assert_eq!(weighted_median(&[(1, 1), (9, 1)]), Some(1));
        // a heavy validator decides
        assert_eq!(weighted_median(&[(1, 1), (2, 1), (100, 5)]), Some(100));
        // zero weights: unweighted
        assert_eq!(weighted_median(&[(3, 0), (1, 0), (2, 0)]), Some(2));
    }

    #[test]
    fn agreement_examples() {
        let t = Perbill::from_percent(10);
        assert_eq!(agreement(&[100, 200], &[100, 200], t, 0), Some(Perbill::one()));
        // 5 off a band of 10 on one of two entries: 1 − 0.25
        assert_eq!(agreement(&[105, 200], &[100, 200], t, 0), Some(Perbill::from_percent(75)));
        assert_eq!(agreement(&[111, 200], &[100, 200], t, 0), None);
        assert_eq!(agreement(&[1], &[1, 2], t, 0), None);
        // floor admits small absolute errors around zero
        assert_eq!(agreement(&[3], &[0], t, 5).map(|p| p.deconstruct()), Some(400_000_000));
    }

    #[test]
    fn split_examples() {
        let g = Perbill::from_percent(10);
        // T = S: even
        assert_eq!(split_pool(1000, g, 5, 5), (500, 500));
        // no validator stake: γ is still the validators' floor
        assert_eq!(split_pool(1000, g, 5, 0), (900, 100));
        assert_eq!(split_pool(1000, g, 0, 0), (500, 500));
        assert_eq!(split_pool(1000, Perbill::one(), 1, 0), (500, 500));
    }

    #[test]
    fn geometric_examples() {
        let w = geometric_weights(3, Perbill::from_percent(50));
        assert_eq!(w, vec![GEOMETRIC_ONE, GEOMETRIC_ONE / 2, GEOMETRIC_ONE / 4]);
        let (shares, rest) = distribute(700, &w);
        assert_eq!(shares, vec![400, 200, 100]);
        assert_eq!(rest, 0);
        assert_eq!(distribute(10, &[0, 0]), (vec![0, 0], 10));
    }

    fn pairs() -> impl Strategy<Value = Vec<(i64, u128)>> {
        prop::collection::vec((-1_000_000i64..1_000_000, 1u128..1_000_000), 1..16)
    }

    proptest! {
        /// The median is one of the scores, the scores up to it carry at least half the weight
        /// and those strictly below it less than half.
        #[test]
        fn median_is_a_weighted_median(pairs in pairs()) {
            let m = weighted_median(&pairs).unwrap();
            prop_assert!(pairs.iter().any(|(s, _)| *s == m));
            let total: u128 = pairs.iter().map(|(_, w)| *w).sum();
            let at_most: u128 = pairs.iter().filter(|(s, _)| *s <= m).map(|(_, w)| *w).sum();
            let below: u128 = pairs.iter().filter(|(s, _)| *s < m).map(|(_, w)| *w).sum();
            prop_assert!(2 * at_most >= total);
            // the lowest such score: what lies strictly below carries less than half
            prop_assert!(2 * below < total);
        }

        /// A coalition with less than half of the stake cannot move the median outside the
        /// range of the honest scores, whatever it reveals.
        #[test]
        fn minority_cannot_move_median(
            honest in prop::collection::vec((-1_000_000i64..1_000_000, 1u128..1_000), 1..10),
            liars in prop::collection::vec((any::<i64>(), 1u128..1_000), 0..10),
        ) {
            let honest_weight: u128 = honest.iter().map(|(_, w)| *w).sum();
            let liar_weight: u128 = liars.iter().map(|(_, w)| *w).sum();
            prop_assume!(liar_weight * 2 < honest_weight + liar_weight);
            let mut all = honest.clone();
            all.extend(liars);
            let m = weighted_median(&all).unwrap();
            let lo = honest.iter().map(|(s, _)| *s).min().unwrap();
            let hi = honest.iter().map(|(s, _)| *s).max().unwrap();
            prop_assert!(lo <= m && m <= hi, "median {} outside honest [{}, {}]", m, lo, hi);
        }

        /// The pool split conserves the pool and gives each side at least its γ floor.
        #[test]
        fn split_conserves(r in 0u128..u128::MAX / 4, g in 0u32..=500_000_000, t in any::<u64>(), s in any::<u64>()) {
            let gamma = Perbill::from_parts(g);
            let (a, b) = split_pool(r, gamma, t.into(), s.into());
            prop_assert_eq!(a + b, r);
            prop_assert!(a >= gamma.mul_floor(r));
            prop_assert!(b >= gamma.mul_floor(r));
        }

        /// Pro-rata payment conserves every unit and never pays a zero weight.
        #[test]
        fn distribute_conserves(amount in any::<u64>(), weights in prop::collection::vec(0u128..1u128 << 90, 0..40)) {
            let (shares, rest) = distribute(amount.into(), &weights);
            let paid: u128 = shares.iter().sum();
            prop_assert_eq!(paid + rest, u128::from(amount));
            prop_assert!(rest <= weights.len().max(1) as u128 || weights.iter().all(|w| *w == 0));
            for (share, weight) in shares.iter().zip(&weights) {
                if *weight == 0 { prop_assert_eq!(*share, 0); }
            }
        }

        /// Geometric rank shares never increase with rank.
        #[test]
        fn geometric_is_monotone(n in 0usize..40, ratio in 0u32..=1_000_000_000) {
            let w = geometric_weights(n, Perbill::from_parts(ratio));
            prop_assert!(w.windows(2).all(|p| p[0] >= p[1]));
        }
    }
}
