//! Transaction fees: block space has a price, and the fee multiplier follows the fuller of a
//! block's two dimensions (security review §4).
//!
//! * **Length.** Every byte of a transaction costs [`TransactionByteFee`] (a megabyte, one
//!   STAR), as on Polkadot: before, a byte cost one base unit (10⁻¹² STAR), so a block filled
//!   with a 3.9 MB remark cost about 4·10⁻⁶ STAR in length fee.
//! * **Multiplier.** pallet-transaction-payment's `TargetedFeeAdjustment` moves the multiplier
//!   by how far the normal class's *weight* is from the target fullness. A transaction that is
//!   long but light (a large remark) filled blocks by length while the multiplier fell to its
//!   floor. [`FeeAdjustment`] takes the larger of two updates: the targeted adjustment on
//!   weight, and the same rule on the block's length against the normal class's length limit.
//!
//! Worker calls are fee-free and `Operational` (see `starling_support::worker_call`); fees
//! price the ordinary traffic that competes for the rest of the block.

use crate::{
    units::MICRO_STAR, AdjustmentVariable, Balance, MaximumMultiplier, MinimumMultiplier, Runtime,
    RuntimeBlockLength, TargetBlockFullness,
};
use frame_support::{dispatch::DispatchClass, parameter_types};
use pallet_transaction_payment::{Multiplier, MultiplierUpdate, TargetedFeeAdjustment};
use sp_runtime::{
    traits::{Convert, Saturating},
    FixedPointNumber, Perquintill,
};

parameter_types! {
    /// What each byte of a transaction costs: a millionth of a STAR.
    pub const TransactionByteFee: Balance = MICRO_STAR;
}

/// The targeted adjustment on the normal class's weight.
type ByWeight = TargetedFeeAdjustment<
    Runtime,
    TargetBlockFullness,
    AdjustmentVariable,
    MinimumMultiplier,
    MaximumMultiplier,
>;

/// The next multiplier when a block used `used` of `limit` in some dimension: it grows when
/// the block is fuller than `target`, shrinks when it is emptier, by
/// `v·d + (v·d)²/2` of the previous multiplier (`d`: the distance from the target as a
/// fraction of the limit; the second-order term keeps the rise and the fall symmetric in
/// effect), clamped to `[min, max]`.
pub fn next_multiplier(
    previous: Multiplier,
    used: u128,
    limit: u128,
    target: Perquintill,
    v: Multiplier,
    min: Multiplier,
    max: Multiplier,
) -> Multiplier {
    let limit = limit.max(1);
    let aim = target.mul_floor(limit);
    let used = used.min(limit);
    let fuller = used >= aim;
    let distance = Multiplier::saturating_from_rational(used.abs_diff(aim), limit);
    let linear = v.saturating_mul(distance);
    let half = Multiplier::saturating_from_rational(1u32, 2u32);
    let quadratic = linear.saturating_mul(linear).saturating_mul(half);
    let next = if fuller {
        previous.saturating_add(linear.saturating_add(quadratic).saturating_mul(previous))
    } else {
        previous.saturating_sub(linear.saturating_sub(quadratic).saturating_mul(previous))
    };
    next.clamp(min, max)
}

/// The fee multiplier's update: the larger of the targeted adjustment on weight and the same
/// rule on length.
pub struct FeeAdjustment;

impl Convert<Multiplier, Multiplier> for FeeAdjustment {
    fn convert(previous: Multiplier) -> Multiplier {
        let by_weight = ByWeight::convert(previous);
        let limit = *RuntimeBlockLength::get().max.get(DispatchClass::Normal);
        let used = frame_system::Pallet::<Runtime>::block_size();
        let by_length = next_multiplier(
            previous,
            u128::from(used),
            u128::from(limit),
            TargetBlockFullness::get(),
            AdjustmentVariable::get(),
            MinimumMultiplier::get(),
            MaximumMultiplier::get(),
        );
        by_weight.max(by_length)
    }
}

impl MultiplierUpdate for FeeAdjustment {
    fn min() -> Multiplier {
        MinimumMultiplier::get()
    }
    fn max() -> Multiplier {
        MaximumMultiplier::get()
    }
    fn target() -> Perquintill {
        TargetBlockFullness::get()
    }
    fn variability() -> Multiplier {
        AdjustmentVariable::get()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
    use super::*;
    use crate::{units::STAR, RuntimeCall, TransactionPayment};
    use frame_support::dispatch::GetDispatchInfo;
    use sp_runtime::BuildStorage;

    fn ext() -> sp_io::TestExternalities {
        frame_system::GenesisConfig::<Runtime>::default().build_storage().unwrap().into()
    }

    /// A megabyte of remark costs at least one STAR (before: about 10⁻⁶ STAR).
    #[test]
    fn block_space_has_a_price() {
        ext().execute_with(|| {
            let remark = RuntimeCall::System(frame_system::Call::remark {
                remark: alloc::vec![0u8; 1_000_000],
            });
            let info = remark.get_dispatch_info();
            let fee = TransactionPayment::compute_fee(1_000_100, &info, 0);
            assert!(fee >= STAR, "a megabyte costs {fee}");
        });
    }

    /// Security review §4: blocks filled by length with almost no weight raise the multiplier
    /// (before, it fell towards its floor, as for an empty block).
    #[test]
    fn blocks_full_by_length_raise_the_multiplier() {
        ext().execute_with(|| {
            let limit = *RuntimeBlockLength::get().max.get(DispatchClass::Normal);
            frame_system::BlockSize::<Runtime>::put(limit);
            let start = Multiplier::saturating_from_integer(1);
            let next = FeeAdjustment::convert(start);
            assert!(next > start, "a block full by length raised it to {next}");
            // An empty block lowers it, as the targeted adjustment does.
            frame_system::BlockSize::<Runtime>::put(0);
            assert!(FeeAdjustment::convert(start) < start);
        });
    }

    #[test]
    fn the_length_rule_is_bounded_and_monotone() {
        let v = AdjustmentVariable::get();
        let (min, max) = (MinimumMultiplier::get(), MaximumMultiplier::get());
        let target = Perquintill::from_percent(25);
        let one = Multiplier::saturating_from_integer(1);
        let mut last = Multiplier::from_inner(0);
        for used in [0u128, 10, 25, 50, 75, 100, 200] {
            let next = next_multiplier(one, used, 100, target, v, min, max);
            assert!(next >= last, "monotone in fullness");
            assert!(next >= min && next <= max);
            last = next;
        }
        assert_eq!(next_multiplier(one, 25, 100, target, v, min, max), one, "at the target");
        assert_eq!(next_multiplier(max, 100, 100, target, v, min, max), max, "clamped");
        assert_eq!(next_multiplier(min, 0, 100, target, v, min, max), min, "clamped");
    }
}
