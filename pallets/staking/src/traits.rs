//! The interface other pallets (arena, alliance, marketplace) use, wired in the runtime.
//!
//! Consumers take `type Staking: StakingInterface<Self::AccountId, Balance = …, BlockNumber = …>`
//! in their `Config` and never read this pallet's storage.

use crate::{pallet::*, Role, SlashReason, WeightInfo};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::fungible::InspectHold, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Perbill;

/// Stake, rewards, slashes, sampling and worker keys, as other pallets see them.
pub trait StakingInterface<AccountId> {
    /// Balance type of stakes and rewards.
    type Balance;
    /// Block number type.
    type BlockNumber;

    /// Active stake of `operator`'s pool for `role`: own stake plus delegations, after
    /// slashes, without the time-lock multiplier.
    fn stake_of(operator: &AccountId, role: Role) -> Self::Balance;

    /// The operator's own active stake for `role`.
    fn own_stake_of(operator: &AccountId, role: Role) -> Self::Balance;

    /// Effective weight of `operator` for `role`: pool stake × time-lock multiplier, or 0 when
    /// the operator is not active (own stake below the role's minimum, or not an operator).
    fn weight_of(operator: &AccountId, role: Role) -> u128;

    /// Sum of the operators' recorded weights for `role`.
    fn total_weight(role: Role) -> u128;

    /// Whether `operator` is an active operator of `role`.
    fn is_active(operator: &AccountId, role: Role) -> bool;

    /// Everything `who` has bonded, in any pool and role (own stake and delegations, active
    /// and unbonding): the stake a user's marketplace free tier grows with.
    fn bonded_of(who: &AccountId) -> Self::Balance;

    /// Pays `amount` from `payer` for `operator`'s work in `role`: the operator's commission
    /// at once, the rest to its pool's members (claimable). `payer` is kept alive. All or
    /// nothing; returns the amount paid.
    ///
    /// Errors: `NotAnOperator`, `RewardPayerInsufficient`.
    fn reward(
        payer: &AccountId,
        operator: &AccountId,
        role: Role,
        amount: Self::Balance,
    ) -> Result<Self::Balance, DispatchError>;

    /// Slashes `fraction` of `operator`'s pool for `role` (active stake, and unbonding stake
    /// that left at or after the era of `offence_at`) to the treasury, naming `reason`.
    /// Never fails; returns the value cut.
    fn slash(
        operator: &AccountId,
        role: Role,
        fraction: Perbill,
        reason: SlashReason,
        offence_at: Self::BlockNumber,
    ) -> Self::Balance;

    /// Up to `count` distinct active operators of `role`, drawn with probability proportional
    /// to weight, deterministically from `seed` (feed it BABE randomness).
    fn sample_weighted(role: Role, count: u32, seed: [u8; 32]) -> Vec<AccountId>;

    /// The operator a worker key acts for.
    fn operator_of_worker(worker: &AccountId) -> Option<AccountId>;

    /// Read-only worker check for transaction validation (registered, within rate limit).
    fn check_worker(worker: &AccountId) -> Result<AccountId, DispatchError>;

    /// Counts one call of `worker` against its rate limit; returns its operator.
    fn note_worker_call(worker: &AccountId) -> Result<AccountId, DispatchError>;

    /// Refuses commission changes of `operator` in `role` until block `until` (e.g. the end
    /// of a task it works on). Never shortens an existing freeze.
    ///
    /// Errors: `NotAnOperator`.
    fn freeze_commission(
        operator: &AccountId,
        role: Role,
        until: Self::BlockNumber,
    ) -> DispatchResult;

    /// Weight of one `reward` call.
    fn reward_weight() -> Weight;

    /// Weight of one `slash` call.
    fn slash_weight() -> Weight;

    /// Weight of one `sample_weighted` call drawing `count` operators.
    fn sample_weight(count: u32) -> Weight;

    /// Benchmarks only: makes `who` (already funded) an active operator of `role` with
    /// `stake` (10% commission) and registers `worker` as its worker key without a proof of
    /// possession (the benchmark generated the key itself).
    #[cfg(feature = "runtime-benchmarks")]
    fn make_operator(
        who: &AccountId,
        role: Role,
        stake: Self::Balance,
        worker: &AccountId,
    ) -> DispatchResult;
}

impl<T: Config> StakingInterface<T::AccountId> for Pallet<T> {
    type Balance = BalanceOf<T>;
    type BlockNumber = BlockNumberFor<T>;

    fn stake_of(operator: &T::AccountId, role: Role) -> BalanceOf<T> {
        Pools::<T>::get(operator, role)
            .filter(|p| p.points > 0)
            .map(|p| p.active)
            .unwrap_or_default()
    }

    fn own_stake_of(operator: &T::AccountId, role: Role) -> BalanceOf<T> {
        Self::active_stake_of(operator, operator, role)
    }

    fn weight_of(operator: &T::AccountId, role: Role) -> u128 {
        Self::current_weight(operator, role)
    }

    fn total_weight(role: Role) -> u128 {
        TotalWeight::<T>::get(role)
    }

    fn is_active(operator: &T::AccountId, role: Role) -> bool {
        Pallet::<T>::is_active(operator, role)
    }

    fn bonded_of(who: &T::AccountId) -> BalanceOf<T> {
        T::Currency::balance_on_hold(&HoldReason::Staked.into(), who)
    }

    fn reward(
        payer: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> Result<BalanceOf<T>, DispatchError> {
        Self::do_reward(payer, operator, role, amount)
    }

    fn slash(
        operator: &T::AccountId,
        role: Role,
        fraction: Perbill,
        reason: SlashReason,
        offence_at: BlockNumberFor<T>,
    ) -> BalanceOf<T> {
        Self::do_slash(operator, role, fraction, reason, offence_at)
    }

    fn sample_weighted(role: Role, count: u32, seed: [u8; 32]) -> Vec<T::AccountId> {
        Self::do_sample(role, count, seed)
    }

    fn operator_of_worker(worker: &T::AccountId) -> Option<T::AccountId> {
        Self::operator_of(worker)
    }

    fn check_worker(worker: &T::AccountId) -> Result<T::AccountId, DispatchError> {
        Pallet::<T>::check_worker(worker)
    }

    fn note_worker_call(worker: &T::AccountId) -> Result<T::AccountId, DispatchError> {
        Pallet::<T>::note_worker_call(worker)
    }

    fn freeze_commission(
        operator: &T::AccountId,
        role: Role,
        until: BlockNumberFor<T>,
    ) -> DispatchResult {
        Self::do_freeze_commission(operator, role, until)
    }

    fn reward_weight() -> Weight {
        T::WeightInfo::reward()
    }

    fn slash_weight() -> Weight {
        T::WeightInfo::slash()
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn make_operator(
        who: &T::AccountId,
        role: Role,
        stake: BalanceOf<T>,
        worker: &T::AccountId,
    ) -> DispatchResult {
        Self::do_bond(who, role, stake, Perbill::from_percent(10))?;
        Self::register_worker(who, worker.clone())
    }

    fn sample_weight(count: u32) -> Weight {
        T::WeightInfo::sample_weighted(count)
    }
}
