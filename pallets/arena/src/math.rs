//! The arena's consensus and reward maths: pure integer functions, no storage, no floats.
//!
//! * [`agreement`] — how close one validator's scores are to consensus.
//! * [`split_pool`] — FLock's split of a reward pool between trainers and validators.
//! * [`geometric_weights`] — shares over rank.
//!
//! The consensus score itself (`weighted_median`) and pro-rata payment (`distribute`) are the
//! protocol's shared arithmetic, in `starling_primitives::arith`.

use alloc::vec::Vec;
use sp_runtime::{PerThing, Perbill};
use starling_primitives::arith::mul_div;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

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
    }

    proptest! {
        /// The pool split conserves the pool and gives each side at least its γ floor.
        #[test]
        fn split_conserves(r in 0u128..u128::MAX / 4, g in 0u32..=500_000_000, t in any::<u64>(), s in any::<u64>()) {
            let gamma = Perbill::from_parts(g);
            let (a, b) = split_pool(r, gamma, t.into(), s.into());
            prop_assert_eq!(a + b, r);
            prop_assert!(a >= gamma.mul_floor(r));
            prop_assert!(b >= gamma.mul_floor(r));
        }

        /// Geometric rank shares never increase with rank.
        #[test]
        fn geometric_is_monotone(n in 0usize..40, ratio in 0u32..=1_000_000_000) {
            let w = geometric_weights(n, Perbill::from_parts(ratio));
            prop_assert!(w.windows(2).all(|p| p[0] >= p[1]));
        }
    }
}
