//! The interface other pallets (arena, alliance, marketplace) use, wired in the runtime.
//!
//! Consumers take `type Staking: StakingInterface<Self::AccountId, Balance = …, BlockNumber = …>`
//! in their `Config` and never read this pallet's storage.

use crate::{pallet::*, Role, SlashReason, WeightInfo};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::fungible::InspectHold, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Perbill;

pub use starling_primitives::staking::StakingInterface;

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

    fn sample_weighted(
        role: Role,
        count: u32,
        seed: [u8; 32],
        fixed_before: BlockNumberFor<T>,
    ) -> Vec<(T::AccountId, u128)> {
        Self::do_sample(role, count, seed, fixed_before)
    }

    fn draw_weight_of(
        operator: &T::AccountId,
        role: Role,
        fixed_before: BlockNumberFor<T>,
    ) -> u128 {
        Self::draw_weight(operator, role, fixed_before)
    }

    fn draw_weight_weight() -> Weight {
        // `Operators`, `Pools`, the operator's `Members` entry, `MinStakes`, `SlotWeight` and
        // its `WeightHistory`.
        T::DbWeight::get().reads(6)
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

    fn engage(operator: &T::AccountId, role: Role, until: BlockNumberFor<T>) -> DispatchResult {
        Self::do_engage(operator, role, until)
    }

    fn max_engagement() -> BlockNumberFor<T> {
        Self::max_engagement()
    }

    fn had_room(from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> bool {
        Self::had_room(from, to)
    }

    fn has_stake_in(member: &T::AccountId, operator: &T::AccountId, role: Role) -> bool {
        Members::<T>::contains_key((operator, role, member))
    }

    fn stake_in_weight() -> Weight {
        T::DbWeight::get().reads(1)
    }

    fn engage_weight() -> Weight {
        // `Operators` and `BoundUntil`, each read and written; two events.
        T::DbWeight::get().reads_writes(2, 2)
    }

    fn reward_weight() -> Weight {
        T::WeightInfo::reward().saturating_add(Self::joining_weight())
    }

    fn slash_weight() -> Weight {
        T::WeightInfo::slash().saturating_add(Self::unmeasured_weight())
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn make_operator(
        who: &T::AccountId,
        role: Role,
        stake: BalanceOf<T>,
        worker: &T::AccountId,
    ) -> DispatchResult {
        Self::do_bond(who, role, stake, Perbill::from_percent(10))?;
        // Bonded as if at genesis: in every draw snapshot (security review §10) and earning
        // (L9) at once.
        let _ = WeightHistory::<T>::clear_prefix(role, u32::MAX, None);
        PendingJoins::<T>::remove(who, role);
        MemberPending::<T>::remove((who, role, who));
        Self::register_worker(who, worker.clone())
    }

    fn sample_weight(count: u32) -> Weight {
        // Each tree read of a draw attempt also reads the node's history, and each drawn slot
        // its weight's history. `weights.rs` was measured before draws read histories: until it is measured again,
        // the history reads are charged on top.
        let depth = Self::history_keys();
        let attempts = count.saturating_mul(8).saturating_add(32);
        T::WeightInfo::sample_weighted(count)
            .saturating_add(T::DbWeight::get().reads(u64::from(attempts.saturating_mul(depth))))
    }
}
