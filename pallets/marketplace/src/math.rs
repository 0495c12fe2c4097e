//! Pure maths of the marketplace: the payment split and the free-tier curve. No storage.

use alloc::vec::Vec;
use sp_runtime::Perbill;
use starling_primitives::arith::distribute;

/// How one payment is split.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Split {
    /// The host's part.
    pub host: u128,
    /// Each creator's part, in the order given.
    pub creators: Vec<u128>,
    /// The treasury's part: its share plus every rounding remainder.
    pub treasury: u128,
}

/// Splits `amount`: `host_share` to the host, `creators_share` among the creators pro rata to
/// their weights (rounded down), and the rest to the treasury, so that the parts always sum
/// to `amount`. With no creator (or only zero weights) the creators' share goes to the
/// treasury.
pub fn split_payment(
    amount: u128,
    host_share: Perbill,
    creators_share: Perbill,
    weights: &[u32],
) -> Split {
    let host = host_share.mul_floor(amount);
    let creators_pool = creators_share.mul_floor(amount).min(amount.saturating_sub(host));
    let weights: Vec<u128> = weights.iter().map(|w| u128::from(*w)).collect();
    let (creators, _) = distribute(creators_pool, &weights);
    let paid = creators.iter().fold(host, |acc, c| acc.saturating_add(*c));
    Split { host, creators, treasury: amount.saturating_sub(paid) }
}

/// Free calls per period for a user with `stake` bonded: none without stake (a fresh key
/// costs nothing, so an unstaked free tier is a Sybil's free tier), else `base + per_unit ·
/// ⌊stake / unit⌋`, at most `max`. A zero `unit` means the amount of stake does not count.
pub fn free_calls(stake: u128, base: u32, per_unit: u32, unit: u128, max: u32) -> u32 {
    if stake == 0 {
        return 0;
    }
    let units = stake.checked_div(unit).unwrap_or(0);
    let extra = units.saturating_mul(u128::from(per_unit));
    let calls = u128::from(base).saturating_add(extra);
    u32::try_from(calls).unwrap_or(u32::MAX).min(max)
}

/// What `new_calls` calls at `price` cost, or `None` on overflow.
pub fn cost(new_calls: u64, price: u128) -> Option<u128> {
    u128::from(new_calls).checked_mul(price)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_payment_splits_by_shares_and_weights() {
        let split =
            split_payment(1_000, Perbill::from_percent(70), Perbill::from_percent(20), &[3, 1]);
        assert_eq!(split.host, 700);
        assert_eq!(split.creators, vec![150, 50]);
        assert_eq!(split.treasury, 100);
    }

    #[test]
    fn rounding_goes_to_the_treasury() {
        let split =
            split_payment(10, Perbill::from_percent(70), Perbill::from_percent(20), &[1, 1, 1]);
        assert_eq!(split.host, 7);
        assert_eq!(split.creators, vec![0, 0, 0]);
        assert_eq!(split.treasury, 3);
    }

    #[test]
    fn without_creators_their_share_goes_to_the_treasury() {
        let split = split_payment(100, Perbill::from_percent(50), Perbill::from_percent(30), &[]);
        assert_eq!((split.host, split.treasury), (50, 50));
    }

    #[test]
    fn free_calls_grow_with_stake_up_to_the_cap() {
        assert_eq!(free_calls(1, 2, 1, 100, 10), 2);
        assert_eq!(free_calls(399, 2, 1, 100, 10), 5);
        assert_eq!(free_calls(10_000, 2, 1, 100, 10), 10);
        assert_eq!(free_calls(10_000, 2, 1, 0, 10), 2);
        assert_eq!(free_calls(u128::MAX, u32::MAX, u32::MAX, 1, u32::MAX), u32::MAX);
    }

    #[test]
    fn no_stake_means_no_free_calls() {
        assert_eq!(free_calls(0, 2, 1, 100, 10), 0);
        assert_eq!(free_calls(0, u32::MAX, u32::MAX, 0, u32::MAX), 0);
    }

    proptest! {
        #[test]
        fn the_split_conserves_value(
            amount in any::<u128>(),
            host in 0u32..=1_000_000_000,
            creators in 0u32..=1_000_000_000,
            weights in proptest::collection::vec(any::<u32>(), 0..32),
        ) {
            let split = split_payment(
                amount,
                Perbill::from_parts(host),
                Perbill::from_parts(creators),
                &weights,
            );
            let sum = split
                .creators
                .iter()
                .fold(split.host.checked_add(split.treasury), |acc, c| acc.and_then(|a| a.checked_add(*c)));
            prop_assert_eq!(sum, Some(amount));
            prop_assert!(split.host <= Perbill::from_parts(host).mul_floor(amount));
            prop_assert_eq!(split.creators.len(), weights.len());
        }

        #[test]
        fn a_creator_gets_its_weight_of_the_creators_pool(
            amount in 0u128..1u128 << 100,
            weights in proptest::collection::vec(1u32..1_000_000, 1..32),
        ) {
            let split = split_payment(amount, Perbill::zero(), Perbill::one(), &weights);
            let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
            for (w, part) in weights.iter().zip(&split.creators) {
                let exact = amount * u128::from(*w) / total;
                prop_assert_eq!(*part, exact);
            }
        }

        #[test]
        fn free_calls_never_exceed_the_cap_and_never_shrink_with_stake(
            a in any::<u128>(), b in any::<u128>(), base in any::<u32>(),
            per in any::<u32>(), unit in any::<u128>(), max in any::<u32>(),
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let f_lo = free_calls(lo, base, per, unit, max);
            let f_hi = free_calls(hi, base, per, unit, max);
            prop_assert!(f_lo <= max && f_hi <= max);
            prop_assert!(f_lo <= f_hi);
        }

        #[test]
        fn only_stake_earns_free_calls(
            stake in 1u128.., base in any::<u32>(), per in any::<u32>(),
            unit in any::<u128>(), max in any::<u32>(),
        ) {
            prop_assert_eq!(free_calls(0, base, per, unit, max), 0);
            prop_assert!(free_calls(stake, base, per, unit, max) >= base.min(max));
        }
    }
}
