//! Aggregation rules: how accepted updates become the next global model. Each rule is one
//! pure integer function over fixed-point parameter vectors of equal length (as Flower's
//! `FedAvg`, `FedMedian` and `FedTrimmedAvg` strategies are interchangeable objects).
//!
//! * [`fed_avg`] — sample-weighted mean, each update's claimed sample count capped, so that
//!   nobody buys influence by claiming more data than the cap.
//! * [`coordinate_median`] — per coordinate, the (lower) median of the updates.
//! * [`trimmed_mean`] — per coordinate, drop the `⌊β·n⌋` lowest and highest values, average
//!   the rest.
//!
//! All rounding is toward negative infinity on exact integer arithmetic (i128 sums), so every
//! node computes the same model.

use crate::types::Aggregation;
use alloc::vec::Vec;
use sp_runtime::Perbill;

/// One accepted update: parameters and the sample count its proposer claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update<'a> {
    /// Parameters in the family's canonical layout (all updates have the same length).
    pub params: &'a [i64],
    /// Claimed number of training rows.
    pub samples: u32,
}

/// Applies `rule`; `None` when there is no update or the lengths differ.
pub fn aggregate(rule: Aggregation, updates: &[Update<'_>], sample_cap: u32) -> Option<Vec<i64>> {
    let len = updates.first()?.params.len();
    if updates.iter().any(|u| u.params.len() != len) {
        return None;
    }
    Some(match rule {
        Aggregation::FedAvg => fed_avg(updates, sample_cap),
        Aggregation::Median => coordinate_median(updates),
        Aggregation::TrimmedMean { beta } => trimmed_mean(updates, beta),
    })
}

/// Floor division of an i128 by a positive i128.
fn div_floor(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return 0;
    }
    let q = a.checked_div(b).unwrap_or_default();
    let r = a.checked_rem(b).unwrap_or_default();
    if r < 0 {
        q.saturating_sub(1)
    } else {
        q
    }
}

fn to_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// Sample-weighted mean with each claim capped at `sample_cap` (a cap of 0 means unweighted);
/// updates claiming 0 samples count as 1.
pub fn fed_avg(updates: &[Update<'_>], sample_cap: u32) -> Vec<i64> {
    let weight = |u: &Update<'_>| -> i128 {
        if sample_cap == 0 {
            1
        } else {
            i128::from(u.samples.clamp(1, sample_cap))
        }
    };
    let total: i128 = updates.iter().map(weight).fold(0i128, |a, w| a.saturating_add(w));
    let len = updates.first().map_or(0, |u| u.params.len());
    (0..len)
        .map(|i| {
            let sum = updates.iter().fold(0i128, |acc, u| {
                let v = i128::from(u.params.get(i).copied().unwrap_or_default());
                acc.saturating_add(v.saturating_mul(weight(u)))
            });
            to_i64(div_floor(sum, total))
        })
        .collect()
}

fn column(updates: &[Update<'_>], i: usize) -> Vec<i64> {
    let mut values: Vec<i64> =
        updates.iter().map(|u| u.params.get(i).copied().unwrap_or_default()).collect();
    values.sort_unstable();
    values
}

/// Per coordinate, the lower median of the updates' values.
pub fn coordinate_median(updates: &[Update<'_>]) -> Vec<i64> {
    let len = updates.first().map_or(0, |u| u.params.len());
    (0..len)
        .map(|i| {
            let values = column(updates, i);
            let middle = values.len().saturating_sub(1) / 2;
            values.get(middle).copied().unwrap_or_default()
        })
        .collect()
}

/// Per coordinate, the mean of the values left after dropping the `⌊β·n⌋` lowest and the
/// `⌊β·n⌋` highest (β above one half keeps at least the median value).
pub fn trimmed_mean(updates: &[Update<'_>], beta: Perbill) -> Vec<i64> {
    let n = updates.len();
    let mut cut = beta.mul_floor(n as u64) as usize;
    if cut.saturating_mul(2) >= n {
        cut = n.saturating_sub(1) / 2;
    }
    let len = updates.first().map_or(0, |u| u.params.len());
    (0..len)
        .map(|i| {
            let values = column(updates, i);
            let kept = values.get(cut..n.saturating_sub(cut)).unwrap_or(&[]);
            let sum = kept.iter().fold(0i128, |a, v| a.saturating_add(i128::from(*v)));
            to_i64(div_floor(sum, kept.len() as i128))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::cast_possible_truncation
    )]
    use super::*;
    use proptest::prelude::*;

    fn u(params: &[i64], samples: u32) -> Update<'_> {
        Update { params, samples }
    }

    #[test]
    fn examples() {
        let a = [10, -10];
        let b = [20, 0];
        let c = [90, 1000];
        let updates = [u(&a, 1), u(&b, 3), u(&c, 100)];
        // cap 3: weights 1, 3, 3
        assert_eq!(fed_avg(&updates, 3), vec![(10 + 60 + 270) / 7, (3000 - 10) / 7]);
        // cap 0: unweighted, floor toward −∞
        assert_eq!(fed_avg(&[u(&[-1], 5), u(&[0], 5)], 0), vec![-1]);
        assert_eq!(coordinate_median(&updates), vec![20, 0]);
        assert_eq!(trimmed_mean(&updates, Perbill::from_percent(34)), vec![20, 0]);
        assert_eq!(trimmed_mean(&updates, Perbill::zero()), vec![40, 330]);
        assert_eq!(aggregate(Aggregation::Median, &[], 0), None);
        assert_eq!(aggregate(Aggregation::Median, &[u(&a, 1), u(&[1], 1)], 0), None);
    }

    /// `honest` updates close together and `bad` arbitrary ones, `bad < tolerated`.
    fn mixed(max_bad: usize) -> impl Strategy<Value = (Vec<Vec<i64>>, Vec<Vec<i64>>)> {
        (3usize..12, 0usize..=max_bad).prop_flat_map(|(honest, bad)| {
            (
                prop::collection::vec(prop::collection::vec(-1_000_000i64..1_000_000, 4), honest),
                prop::collection::vec(prop::collection::vec(any::<i64>(), 4), bad),
            )
        })
    }

    fn within_honest_range(result: &[i64], honest: &[Vec<i64>]) -> bool {
        (0..result.len()).all(|i| {
            let lo = honest.iter().map(|h| h[i]).min().unwrap();
            let hi = honest.iter().map(|h| h[i]).max().unwrap();
            lo <= result[i] && result[i] <= hi
        })
    }

    proptest! {
        /// Fewer adversarial updates than honest ones: the median stays within the honest range.
        #[test]
        fn median_resists_a_minority((honest, bad) in mixed(11)) {
            prop_assume!(bad.len() < honest.len());
            let all: Vec<Update<'_>> = honest.iter().chain(&bad).map(|p| u(p, 1)).collect();
            prop_assert!(within_honest_range(&coordinate_median(&all), &honest));
        }

        /// Trimmed mean with β: when at most ⌊β·n⌋ updates are adversarial, every coordinate
        /// stays within the honest range.
        #[test]
        fn trimmed_mean_resists_up_to_beta((honest, bad) in mixed(5), beta in 10u32..50) {
            let beta = Perbill::from_percent(beta);
            let n = honest.len() + bad.len();
            prop_assume!(bad.len() <= beta.mul_floor(n as u64) as usize);
            let all: Vec<Update<'_>> = honest.iter().chain(&bad).map(|p| u(p, 1)).collect();
            prop_assert!(within_honest_range(&trimmed_mean(&all, beta), &honest));
        }

        /// Capped FedAvg of honest updates is a convex combination: within their range, and
        /// equal to every update when they all agree.
        #[test]
        fn fed_avg_is_a_convex_combination(
            (honest, _) in mixed(0),
            samples in prop::collection::vec(0u32..10_000, 12),
            cap in 0u32..5_000,
        ) {
            let all: Vec<Update<'_>> = honest.iter().zip(&samples).map(|(p, s)| u(p, *s)).collect();
            prop_assert!(within_honest_range(&fed_avg(&all, cap), &honest));
            let same: Vec<Update<'_>> = honest.iter().map(|_| u(&honest[0], 7)).collect();
            prop_assert_eq!(fed_avg(&same, cap), honest[0].clone());
        }

        /// A claim above the cap buys no more influence than the cap.
        #[test]
        fn fed_avg_caps_claims(a in prop::collection::vec(-1_000i64..1_000, 3), b in prop::collection::vec(-1_000i64..1_000, 3), claim in 100u32..1_000_000) {
            let capped = fed_avg(&[u(&a, claim), u(&b, 100)], 100);
            let equal = fed_avg(&[u(&a, 100), u(&b, 100)], 100);
            prop_assert_eq!(capped, equal);
        }
    }
}
