//! Pure integer maths: share conversions and the time-lock multiplier. No storage, no floats.

pub use starling_primitives::arith::mul_div;

/// Fixed-point scale of the time-lock multiplier: `MULTIPLIER_ONE` means 1.0×.
/// The scale is 10⁹ (Perbill-like): 3 010 000 000 means 3.01×.
pub const MULTIPLIER_ONE: u64 = 1_000_000_000;

/// Locks up to this many days give no bonus.
pub const FREE_LOCK_DAYS: u32 = 30;

/// The longest lock, in days.
pub const MAX_LOCK_DAYS: u32 = 365;

/// The multiplier gains 2.19 per 365 days of lock beyond the first 30, i.e. this many
/// `MULTIPLIER_ONE` units per 365 days.
const SLOPE_PER_YEAR: u64 = 2_190_000_000;

/// Time-lock multiplier for a lock of `days` days, scaled by [`MULTIPLIER_ONE`].
///
/// `m = 1` for `days ≤ 30`, `m = 1 + 2.19·(days − 30)/365` for `30 < days ≤ 365`, rounded
/// down to the scale; longer locks are clamped to 365 days (the pallet refuses them anyway).
/// `m(365) = 3.01`.
pub fn lock_multiplier(days: u32) -> u64 {
    let days = days.min(MAX_LOCK_DAYS);
    let extra = u64::from(days.saturating_sub(FREE_LOCK_DAYS));
    // 2.19e9 · 335 ≈ 7.3e11 fits easily in u64.
    let bonus = SLOPE_PER_YEAR
        .saturating_mul(extra)
        .checked_div(u64::from(MAX_LOCK_DAYS))
        .unwrap_or_default();
    MULTIPLIER_ONE.saturating_add(bonus)
}

/// Applies a multiplier (scaled by [`MULTIPLIER_ONE`]) to a stake, rounding down.
pub fn apply_multiplier(stake: u128, multiplier: u64) -> u128 {
    mul_div(stake, u128::from(multiplier), u128::from(MULTIPLIER_ONE))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn multiplier_fixed_points() {
        assert_eq!(lock_multiplier(0), MULTIPLIER_ONE);
        assert_eq!(lock_multiplier(30), MULTIPLIER_ONE);
        // 1 + 2.19 · 1/365 = 1.006
        assert_eq!(lock_multiplier(31), 1_006_000_000);
        // 1 + 2.19 · 335/365 = 3.01
        assert_eq!(lock_multiplier(365), 3_010_000_000);
        assert_eq!(lock_multiplier(1000), 3_010_000_000);
    }

    proptest! {
        #[test]
        fn multiplier_is_monotone_and_bounded(a in 0u32..=400, b in 0u32..=400) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(lock_multiplier(lo) <= lock_multiplier(hi));
            prop_assert!(lock_multiplier(hi) >= MULTIPLIER_ONE);
            prop_assert!(lock_multiplier(hi) <= 3_010_000_000);
        }

        #[test]
        fn multiplier_matches_formula(days in 31u32..=365) {
            // Exact rational value of 1 + 2.19·(t−30)/365, scaled by 1e9, floored.
            let exact = 1_000_000_000u128 + 2_190_000_000u128 * u128::from(days - 30) / 365;
            prop_assert_eq!(u128::from(lock_multiplier(days)), exact);
        }


        #[test]
        fn applying_multiplier_never_shrinks_stake(stake in any::<u64>(), days in 0u32..=365) {
            prop_assert!(apply_multiplier(stake.into(), lock_multiplier(days)) >= u128::from(stake));
        }
    }
}
