//! The shared integer arithmetic of the protocol: one of each, no storage, no floats.
//!
//! * [`mul_div`] — `a · b / c` rounded down, without intermediate overflow (staking's share
//!   conversions, arena's agreement and pool split, the marketplace's payment split).
//! * [`distribute`] — pro-rata payment that conserves every unit: the remainder is returned
//!   (it goes to the treasury).
//! * [`weighted_median`] — the stake-weighted consensus of arena's validators, over weights
//!   capped by [`cap_shares`] so that no single member decides it.
//! * [`random_point`] and [`weighted_draw`] — deterministic draws from a random seed: the
//!   alliance's proposer order and (through [`random_point`]) staking's operator sampler.

use alloc::vec::Vec;
use codec::Encode;
use sp_arithmetic::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

/// `a · b / c`, rounded down, computed without intermediate overflow.
///
/// Returns 0 when `c` is 0 (an empty pool has no value per share) and saturates at
/// `u128::MAX` when the true result does not fit (never when `b ≤ c`).
pub fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX)
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

/// Caps every weight so that none holds more than `1 / parts` of the capped total, lowering
/// only the largest ones to one common cap `c` (water-filling, as Yuma consensus clips stake to
/// a consensus instead of letting one stake decide): the result is `min(w, c)` for the largest
/// `c` with `c ≤ Σ min(w, c) / parts`. With fewer than `parts` positive weights no cap can
/// hold, and every positive weight counts as 1. Zero weights stay 0; the order of the weights
/// is kept; no weight grows (except to 1 in the equal case).
///
/// With `parts = 3`, a member's capped weight is at most a third of the total, so a single
/// member never holds half of the weight in [`weighted_median`]: at least two members must
/// agree on a score for it to be the consensus.
pub fn cap_shares(weights: &[u128], parts: u32) -> Vec<u128> {
    let positive = weights.iter().filter(|w| **w > 0).count();
    let parts_len = parts as usize;
    if parts == 0 || positive < parts_len {
        return weights.iter().map(|w| u128::from(*w > 0)).collect();
    }
    let mut sorted: Vec<u128> = weights.iter().copied().filter(|w| *w > 0).collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut rest = sorted.iter().fold(0u128, |acc, w| acc.saturating_add(*w));
    // k of the largest weights capped at c, the others kept: c = rest_k / (parts − k) solves
    // c = (k·c + rest_k) / parts. The first k for which the largest kept weight fits under c
    // is the answer; k = parts − 1 always fits (c is then the sum of the kept weights).
    let mut cap = rest;
    for (k, largest_kept) in sorted.iter().enumerate().take(parts_len) {
        let slots = u128::from(parts).saturating_sub(k as u128).max(1);
        let c = rest.checked_div(slots).unwrap_or(rest);
        if *largest_kept <= c {
            cap = c;
            break;
        }
        rest = rest.saturating_sub(*largest_kept);
    }
    weights.iter().map(|w| (*w).min(cap)).collect()
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

/// A uniform `u128` drawn from `seed` and a counter: the first 16 bytes, little-endian, of
/// `blake2_256(SCALE((seed, nonce)))`.
pub fn random_point(seed: &[u8; 32], nonce: u32) -> u128 {
    let hash = sp_io::hashing::blake2_256(&(seed, nonce).encode());
    let mut bytes = [0u8; 16];
    for (byte, source) in bytes.iter_mut().zip(hash.iter()) {
        *byte = *source;
    }
    u128::from_le_bytes(bytes)
}

/// Draws up to `count` distinct indices of `weights` with probability proportional to weight
/// (uniformly if every weight is 0), without replacement, deterministically from `seed`.
/// Entries of weight 0 are never drawn unless every weight is 0.
pub fn weighted_draw(weights: &[u128], count: usize, seed: &[u8; 32]) -> Vec<usize> {
    let uniform = weights.iter().all(|w| *w == 0);
    let mut left: Vec<(usize, u128)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (i, if uniform { 1 } else { *w }))
        .filter(|(_, w)| *w > 0)
        .collect();
    let mut chosen = Vec::with_capacity(count.min(left.len()));
    let mut nonce: u32 = 0;
    while chosen.len() < count && !left.is_empty() {
        let total = left.iter().fold(0u128, |a, (_, w)| a.saturating_add(*w));
        let mut point = random_point(seed, nonce).checked_rem(total).unwrap_or_default();
        let mut pick = 0usize;
        for (position, (_, w)) in left.iter().enumerate() {
            if point < *w {
                pick = position;
                break;
            }
            point = point.saturating_sub(*w);
        }
        if pick < left.len() {
            let (index, _) = left.remove(pick);
            chosen.push(index);
        }
        nonce = nonce.saturating_add(1);
    }
    chosen
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cap_shares_examples() {
        // Nobody above a third: unchanged.
        assert_eq!(cap_shares(&[10, 10, 10, 5], 3), vec![10, 10, 10, 5]);
        // One member with 90 %: capped to the sum of the others (two of three equal parts).
        assert_eq!(cap_shares(&[90, 5, 5], 3), vec![5, 5, 5]);
        // One large member among many: capped at half of the rest.
        assert_eq!(cap_shares(&[40, 10, 10, 10, 10, 10, 10], 3), vec![30, 10, 10, 10, 10, 10, 10]);
        // Two large members: both capped.
        assert_eq!(cap_shares(&[50, 40, 5, 5], 3), vec![10, 10, 5, 5]);
        // Too few members for the cap to hold: equal.
        assert_eq!(cap_shares(&[100, 1], 3), vec![1, 1]);
        assert_eq!(cap_shares(&[0, 7, 0], 3), vec![0, 1, 0]);
        assert_eq!(cap_shares(&[], 3), Vec::<u128>::new());
    }

    proptest! {
        /// No capped weight exceeds `1 / parts` of the capped total once enough members have
        /// weight; no weight grows; the order is kept; zero stays zero.
        #[test]
        fn capped_shares_are_bounded(
            weights in prop::collection::vec(0u128..1_000_000_000_000, 0..20),
            parts in 1u32..6,
        ) {
            let capped = cap_shares(&weights, parts);
            prop_assert_eq!(capped.len(), weights.len());
            let total: u128 = capped.iter().sum();
            let positive = weights.iter().filter(|w| **w > 0).count();
            for (w, c) in weights.iter().zip(&capped) {
                prop_assert_eq!(*w == 0, *c == 0);
                if positive >= parts as usize {
                    prop_assert!(c <= w);
                    prop_assert!(c * u128::from(parts) <= total, "{} of {} over 1/{}", c, total, parts);
                }
            }
            for (i, a) in weights.iter().enumerate() {
                for (j, b) in weights.iter().enumerate() {
                    if a >= b {
                        prop_assert!(capped[i] >= capped[j]);
                    }
                }
            }
        }

        /// With weights capped at a third, a single member never decides the median: the
        /// consensus always lies within the range of the other members' scores.
        #[test]
        fn no_single_member_decides_a_capped_median(
            members in prop::collection::vec((-1_000i64..1_000, 1u128..1_000_000), 3..12),
            lone in (any::<i64>(), 1u128..1_000_000_000_000),
        ) {
            let mut weights: Vec<u128> = members.iter().map(|(_, w)| *w).collect();
            weights.push(lone.1);
            let capped = cap_shares(&weights, 3);
            let mut pairs: Vec<(i64, u128)> =
                members.iter().zip(&capped).map(|((s, _), c)| (*s, *c)).collect();
            pairs.push((lone.0, capped[capped.len() - 1]));
            let median = weighted_median(&pairs).unwrap();
            let low = members.iter().map(|(s, _)| *s).min().unwrap();
            let high = members.iter().map(|(s, _)| *s).max().unwrap();
            prop_assert!(low <= median && median <= high);
        }
    }

    #[test]
    fn mul_div_edges() {
        assert_eq!(mul_div(5, 7, 0), 0);
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), u128::MAX);
        assert_eq!(mul_div(u128::MAX, 2, 1), u128::MAX);
        assert_eq!(mul_div(10, 13, 15), 8);
        // b ≤ c with a near the top: exact, no saturation
        assert_eq!(mul_div(u128::MAX, 1, 3), u128::MAX / 3);
    }

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
    fn distribute_examples() {
        assert_eq!(distribute(700, &[4, 2, 1]), (vec![400, 200, 100], 0));
        assert_eq!(distribute(10, &[1, 1, 1]), (vec![3, 3, 3], 1));
        assert_eq!(distribute(10, &[0, 0]), (vec![0, 0], 10));
        assert_eq!(distribute(10, &[]), (vec![], 10));
    }

    #[test]
    fn random_point_is_the_le_prefix_of_the_hash() {
        let seed = [7u8; 32];
        let hash = sp_io::hashing::blake2_256(&(seed, 3u32).encode());
        let expect = u128::decode(&mut &hash[..16]).unwrap();
        assert_eq!(random_point(&seed, 3), expect);
        assert_ne!(random_point(&seed, 3), random_point(&seed, 4));
    }

    #[test]
    fn weighted_draw_examples() {
        let seed = [1u8; 32];
        // zero weights are never drawn while others remain
        let drawn = weighted_draw(&[0, 5, 0, 5], 4, &seed);
        assert_eq!(drawn.len(), 2);
        assert!(drawn.contains(&1) && drawn.contains(&3));
        // all zero: uniform over every index
        let mut all = weighted_draw(&[0, 0, 0], 3, &seed);
        all.sort();
        assert_eq!(all, vec![0, 1, 2]);
        assert!(weighted_draw(&[], 3, &seed).is_empty());
        assert!(weighted_draw(&[1, 2], 0, &seed).is_empty());
    }

    #[test]
    fn weighted_draw_follows_the_weights() {
        // index 1 carries 9/10 of the weight: over 1,000 seeds it is drawn first ~900 times
        let mut first = 0u32;
        for s in 0..1_000u32 {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&s.to_le_bytes());
            if weighted_draw(&[1, 9], 1, &seed) == vec![1] {
                first += 1;
            }
        }
        assert!((850..=950).contains(&first), "drawn first {first} times of 1,000");
    }

    use codec::Decode;

    fn pairs() -> impl Strategy<Value = Vec<(i64, u128)>> {
        prop::collection::vec((-1_000_000i64..1_000_000, 1u128..1_000_000), 1..16)
    }

    proptest! {
        #[test]
        fn mul_div_matches_wide_arithmetic(a in any::<u64>(), b in any::<u64>(), c in 1u64..) {
            let expect = u128::from(a) * u128::from(b) / u128::from(c);
            prop_assert_eq!(mul_div(a.into(), b.into(), c.into()), expect);
        }

        /// With `b ≤ c` the result never exceeds `a` and is exact: with `a = q·c + rem`,
        /// `a·b/c = q·b + rem·b/c` (the marketplace's former formula, whenever `rem·b` fits).
        #[test]
        fn mul_div_below_one_is_exact(a in any::<u128>(), c in 1u128.., b_raw in any::<u128>()) {
            let b = b_raw % c.saturating_add(1).max(1);
            let r = mul_div(a, b, c);
            prop_assert!(r <= a);
            let (q, rem) = (a / c, a % c);
            if let Some(rb) = rem.checked_mul(b) {
                prop_assert_eq!(r, q * b + rb / c);
            } else {
                prop_assert!(r >= q * b && (r - q * b) < b);
            }
        }

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

        /// Pro-rata payment conserves every unit, never pays a zero weight, and leaves less
        /// than one unit per payee as remainder.
        #[test]
        fn distribute_conserves(amount in any::<u128>(), weights in prop::collection::vec(0u128..1u128 << 90, 0..40)) {
            let (shares, rest) = distribute(amount, &weights);
            let paid = shares.iter().try_fold(0u128, |acc, s| acc.checked_add(*s));
            prop_assert_eq!(paid.and_then(|p| p.checked_add(rest)), Some(amount));
            prop_assert!(rest <= weights.len().max(1) as u128 || weights.iter().all(|w| *w == 0));
            for (share, weight) in shares.iter().zip(&weights) {
                if *weight == 0 { prop_assert_eq!(*share, 0); }
            }
        }

        /// A draw returns distinct indices of positive weight (any index when all are 0),
        /// `min(count, drawable)` of them, and the same ones for the same seed.
        #[test]
        fn weighted_draw_is_a_sample_without_replacement(
            weights in prop::collection::vec(0u128..1_000, 0..24),
            count in 0usize..30,
            seed in any::<[u8; 32]>(),
        ) {
            let drawn = weighted_draw(&weights, count, &seed);
            let uniform = weights.iter().all(|w| *w == 0);
            let drawable = if uniform { weights.len() } else { weights.iter().filter(|w| **w > 0).count() };
            prop_assert_eq!(drawn.len(), count.min(drawable));
            let mut unique = drawn.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), drawn.len());
            for i in &drawn {
                prop_assert!(*i < weights.len());
                prop_assert!(uniform || weights[*i] > 0);
            }
            prop_assert_eq!(weighted_draw(&weights, count, &seed), drawn);
        }
    }
}
