//! Pool accounting: points (shares) and the reward-per-point accumulator.
//!
//! Pure functions over [`Pool`] and [`Member`] values; the storage-touching code lives in
//! [`crate::ledger`], [`crate::slashing`] and the reward functions below. Nothing here loops
//! over members: a reward or a slash changes two numbers of the pool, and each member's
//! share follows from its points when it is next touched.

use crate::{math::mul_div, Member, Pool, UnbondingPool};
use frame_support::traits::Get;
use sp_core::U256;
use sp_runtime::traits::{AtLeast32BitUnsigned, UniqueSaturatedInto};

/// Scale of [`Pool::reward_per_point`]: 10¹⁸ accumulator units per unit of balance per point.
pub const REWARD_SCALE: u128 = 1_000_000_000_000_000_000;

/// The balance types pool accounting works with.
pub trait PoolBalance: AtLeast32BitUnsigned + Copy + core::fmt::Debug {}
impl<B: AtLeast32BitUnsigned + Copy + core::fmt::Debug> PoolBalance for B {}

/// Converts a balance to `u128` (saturating).
pub fn to_u128<B: UniqueSaturatedInto<u128>>(b: B) -> u128 {
    b.unique_saturated_into()
}

/// Converts a `u128` to a balance (saturating).
pub fn from_u128<B: AtLeast32BitUnsigned>(v: u128) -> B {
    v.unique_saturated_into()
}

/// Value of `points` shares of a pool holding `value` over `total_points` shares.
pub fn points_to_balance<B: PoolBalance>(points: u128, value: B, total_points: u128) -> B {
    from_u128(mul_div(points, to_u128(value), total_points))
}

/// Points that `amount` buys in a pool holding `value` over `total_points` shares, or `None`
/// when the pool has points but no value left (it was slashed to nothing).
pub fn balance_to_points<B: PoolBalance>(amount: B, value: B, total_points: u128) -> Option<u128> {
    if total_points == 0 {
        // An empty pool starts at one point per unit.
        Some(to_u128(amount))
    } else if value.is_zero() {
        None
    } else {
        Some(mul_div(to_u128(amount), total_points, to_u128(value)))
    }
}

/// Value of a member's active points.
pub fn active_value<B: PoolBalance, S: Get<u32>>(pool: &Pool<B>, member: &Member<B, S>) -> B {
    points_to_balance(member.points, pool.active, pool.points)
}

/// Value of an unbonding chunk's points.
pub fn chunk_value<B: PoolBalance, N>(points: u128, sub: &UnbondingPool<B, N>) -> B {
    points_to_balance(points, sub.balance, sub.points)
}

/// Raises the pool's reward per point by `amount` shared over `earning` of its points (the
/// points that joined too recently earn nothing of it, see [`crate::joining`]).
///
/// Returns `false` (and changes nothing) when no point earns.
pub fn distribute<B: PoolBalance>(pool: &mut Pool<B>, amount: B, earning: u128) -> bool {
    if earning == 0 {
        return false;
    }
    let increment = U256::from(to_u128(amount))
        .saturating_mul(U256::from(REWARD_SCALE))
        .checked_div(U256::from(earning))
        .unwrap_or_default();
    pool.reward_per_point = pool.reward_per_point.saturating_add(increment);
    true
}

/// Rewards `points` earned while the reward per point rose from `paid` to `now`, rounded down.
pub fn earned_on<B: PoolBalance>(points: u128, now: U256, paid: U256) -> B {
    let raw = U256::from(points)
        .saturating_mul(now.saturating_sub(paid))
        .checked_div(U256::from(REWARD_SCALE))
        .unwrap_or_default();
    let capped = if raw > U256::from(u128::MAX) { u128::MAX } else { raw.low_u128() };
    from_u128(capped)
}

/// Rewards a member earned since it was last settled, rounded down, if all its points earn.
pub fn earned<B: PoolBalance, S: Get<u32>>(pool: &Pool<B>, member: &Member<B, S>) -> B {
    earned_on(member.points, pool.reward_per_point, member.reward_per_point_paid)
}

/// Cuts `fraction` of `value` (rounded down) and returns `(remaining, cut)`.
pub fn cut<B: PoolBalance>(value: B, fraction: sp_runtime::Perbill) -> (B, B) {
    let taken = fraction.mul_floor(value);
    (value.saturating_sub(taken), taken)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    use frame_support::{traits::ConstU32, BoundedVec};
    use proptest::prelude::*;
    use sp_runtime::Perbill;

    type M = Member<u64, ConstU32<4>>;

    fn member(points: u128) -> M {
        Member {
            points,
            reward_per_point_paid: U256::zero(),
            pending_rewards: 0,
            held: 0,
            unbonding: BoundedVec::default(),
            slashes_seen: 0,
        }
    }

    /// Builds a pool from deposits, issuing points like the pallet does.
    fn pool_of(deposits: &[u64]) -> (Pool<u64>, Vec<M>) {
        let mut pool = Pool::<u64>::default();
        let mut members = Vec::new();
        for d in deposits {
            let p = balance_to_points(*d, pool.active, pool.points).unwrap();
            pool.points += p;
            pool.active += d;
            members.push(member(p));
        }
        (pool, members)
    }

    #[test]
    fn empty_pool_issues_one_point_per_unit() {
        assert_eq!(balance_to_points(10u64, 0, 0), Some(10));
        assert_eq!(balance_to_points(10u64, 0, 5), None);
        assert_eq!(balance_to_points(10u64, 5, 10), Some(20));
    }

    #[test]
    fn distribute_to_empty_pool_is_refused() {
        let mut pool = Pool::<u64>::default();
        assert!(!distribute(&mut pool, 100, 0));
        assert_eq!(pool.reward_per_point, U256::zero());
    }

    proptest! {
        /// A reward is conserved: what members earn plus the dust left in the pot equals the
        /// reward, the dust is below one unit per member, and the O(1) accumulator gives every
        /// member exactly the naive pro-rata share (rounded down).
        #[test]
        fn reward_conserves_value_and_matches_naive(
            deposits in prop::collection::vec(1u64..1_000_000_000, 1..40),
            rewards in prop::collection::vec(0u64..1_000_000_000_000, 1..5),
        ) {
            let (mut pool, members) = pool_of(&deposits);
            let mut naive = vec![0u128; members.len()];
            let mut total_reward = 0u128;
            for r in &rewards {
                let points = pool.points;
                prop_assert!(distribute(&mut pool, *r, points));
                total_reward += u128::from(*r);
            }
            let mut total_earned = 0u128;
            for (i, m) in members.iter().enumerate() {
                let e = u128::from(earned(&pool, m));
                // naive: pro rata to points of the sum of rewards, rounded down.
                naive[i] = total_reward * m.points / pool.points;
                // the accumulator may lose at most one unit per reward to its own rounding
                prop_assert!(e <= naive[i]);
                prop_assert!(naive[i] - e <= rewards.len() as u128);
                total_earned += e;
            }
            prop_assert!(total_earned <= total_reward);
            let dust = total_reward - total_earned;
            prop_assert!(dust <= (members.len() * (rewards.len() + 1)) as u128);
        }

        /// A slash cuts every member by the same fraction without touching them: the sum of
        /// member values after the cut plus the cut plus dust equals the value before, and each
        /// member's value equals the naive proportional computation.
        #[test]
        fn slash_conserves_value_and_matches_naive(
            deposits in prop::collection::vec(1u64..1_000_000_000, 1..40),
            parts in 0u32..=1_000_000_000,
        ) {
            let fraction = Perbill::from_parts(parts);
            let (mut pool, members) = pool_of(&deposits);
            let before = pool.active;
            let (remaining, taken) = cut(pool.active, fraction);
            pool.active = remaining;
            prop_assert_eq!(remaining + taken, before);
            let mut sum = 0u64;
            for m in &members {
                let v = active_value(&pool, m);
                let naive = (u128::from(remaining) * m.points / pool.points) as u64;
                prop_assert_eq!(v, naive);
                sum += v;
            }
            prop_assert!(sum <= remaining);
            prop_assert!(remaining - sum <= members.len() as u64);
        }

        /// Joining never dilutes existing members: their value after a deposit is at least
        /// their value before minus one unit of rounding.
        #[test]
        fn joining_does_not_dilute(
            deposits in prop::collection::vec(1u64..1_000_000_000, 1..20),
            parts in 0u32..1_000_000_000,
            newcomer in 1u64..1_000_000_000,
        ) {
            let (mut pool, members) = pool_of(&deposits);
            pool.active = cut(pool.active, Perbill::from_parts(parts)).0;
            prop_assume!(pool.active > 0);
            let before: Vec<u64> = members.iter().map(|m| active_value(&pool, m)).collect();
            let p = balance_to_points(newcomer, pool.active, pool.points).unwrap();
            pool.points += p;
            pool.active += newcomer;
            for (m, b) in members.iter().zip(before) {
                prop_assert!(active_value(&pool, m) + 1 >= b);
            }
            // and the newcomer gets no more than it paid
            prop_assert!(points_to_balance(p, pool.active, pool.points) <= newcomer);
        }
    }
}
