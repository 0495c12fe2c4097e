//! The ledger: bonding, delegating, unbonding, withdrawing, claiming, locks and commission.
//!
//! Every member operation follows the same steps: load the pool and the member, settle the
//! member's rewards and slash debt (so that its hold equals its value), change its points,
//! write both back and refresh the operator's sampling weight. Each step touches one pool
//! and one member, never the other members.

use crate::{
    math::MAX_LOCK_DAYS,
    pallet::*,
    pool::{self, to_u128},
    Member, OperatorInfo, Role, TimeLock, UnbondingChunk, UnbondingPool,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{
        fungible::{InspectHold, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation, Restriction},
    },
    BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::U256;
use sp_runtime::{
    traits::{AccountIdConversion, CheckedDiv, Saturating, UniqueSaturatedInto, Zero},
    Perbill,
};

/// The pool and member of one position, loaded for a change.
pub(crate) struct Position<T: Config> {
    pub(crate) pool: crate::Pool<BalanceOf<T>>,
    pub(crate) member: MemberOf<T>,
}

impl<T: Config> Pallet<T> {
    /// The account of the reward pot.
    pub fn reward_pot() -> T::AccountId {
        T::PalletId::get().into_account_truncating()
    }

    /// The longest unbonding period the slashable eras cover.
    pub fn max_unbonding_period() -> BlockNumberFor<T> {
        T::EraLength::get().saturating_mul(T::MaxSlashableEras::get().saturating_sub(2).into())
    }

    /// Pays `amount` from the reward pot to `who`, keeping the pot alive.
    pub(crate) fn pay_from_pot(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        T::Currency::transfer(&Self::reward_pot(), who, amount, Preservation::Preserve)
            .map(|_| ())
            .map_err(|_| Error::<T>::RewardPotInsufficient.into())
    }

    /// The era containing block `n`.
    pub fn era_of(n: BlockNumberFor<T>) -> u32 {
        let era = n.checked_div(&T::EraLength::get()).unwrap_or_default();
        era.unique_saturated_into()
    }

    /// The current era.
    pub fn current_era() -> u32 {
        Self::era_of(frame_system::Pallet::<T>::block_number())
    }

    /// Value of a member's active stake in `operator`'s pool for `role`.
    pub fn active_stake_of(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
    ) -> BalanceOf<T> {
        match (Pools::<T>::get(operator, role), Members::<T>::get((operator, role, member))) {
            (Some(pool), Some(m)) => pool::active_value(&pool, &m),
            _ => Zero::zero(),
        }
    }

    /// Full value of a position: active stake plus unbonding chunks, after slashes, capped
    /// by what the position holds (a member never gains from other members' rounding).
    pub(crate) fn position_value(
        operator: &T::AccountId,
        role: Role,
        pos: &Position<T>,
    ) -> BalanceOf<T> {
        let mut value = pool::active_value(&pos.pool, &pos.member);
        for chunk in pos.member.unbonding.iter() {
            if let Some(sub) = UnbondingPools::<T>::get((operator, role, chunk.era)) {
                value = value.saturating_add(pool::chunk_value(chunk.points, &sub));
            }
        }
        value.min(pos.member.held)
    }

    /// Loads a position, creating an empty one when `create` is set.
    pub(crate) fn load(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        create: bool,
    ) -> Result<Position<T>, DispatchError> {
        let member = match Members::<T>::get((operator, role, who)) {
            Some(m) => m,
            None if create => Member {
                points: 0,
                reward_per_point_paid: U256::zero(),
                pending_rewards: Zero::zero(),
                held: Zero::zero(),
                unbonding: BoundedVec::default(),
                slashes_seen: SlashCount::<T>::get(operator, role),
            },
            None => return Err(Error::<T>::NotAMember.into()),
        };
        let mut pool = Pools::<T>::get(operator, role).unwrap_or_default();
        if pool.points == 0 {
            // Rounding dust of departed members belongs to nobody.
            pool.active = Zero::zero();
        }
        Self::mature_joins(operator, role, pool.reward_per_point);
        let mut pos = Position { pool, member };
        Self::settle_member_rewards(
            who,
            operator,
            role,
            pos.pool.reward_per_point,
            &mut pos.member,
        );
        Self::settle_slash(who, operator, role, &mut pos);
        Ok(pos)
    }

    /// Writes a position back, removing the member (paying out its rewards) and the pool
    /// when they are empty. Returns whether the member left the pool.
    pub(crate) fn store(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        mut pos: Position<T>,
    ) -> Result<bool, DispatchError> {
        let left = pos.member.points == 0 && pos.member.unbonding.is_empty();
        if left {
            if !pos.member.pending_rewards.is_zero() {
                let amount = pos.member.pending_rewards;
                Self::pay_from_pot(who, amount)?;
                pos.member.pending_rewards = Zero::zero();
                Self::deposit_event(Event::Claimed {
                    who: who.clone(),
                    operator: operator.clone(),
                    role,
                    amount,
                });
            }
            if !pos.member.held.is_zero() {
                // Rounding left over after the last chunk (no slash is pending: `load`
                // settled it): it is the member's own money.
                let _ = T::Currency::release(
                    &HoldReason::Staked.into(),
                    who,
                    pos.member.held,
                    Precision::BestEffort,
                );
                pos.member.held = Zero::zero();
            }
            Members::<T>::remove((operator, role, who));
            if who == operator {
                Self::remove_operator(operator, role);
            }
        } else {
            Members::<T>::insert((operator, role, who), &pos.member);
        }
        if pos.pool.points == 0 {
            Pools::<T>::remove(operator, role);
            PendingJoins::<T>::remove(operator, role);
        } else {
            Pools::<T>::insert(operator, role, &pos.pool);
        }
        Ok(left)
    }

    /// Moves a position's slash debt (held minus value) to the treasury, if the pool was
    /// slashed since the member last settled.
    pub(crate) fn settle_slash(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        pos: &mut Position<T>,
    ) -> BalanceOf<T> {
        let count = SlashCount::<T>::get(operator, role);
        if pos.member.slashes_seen == count {
            return Zero::zero();
        }
        pos.member.slashes_seen = count;
        let value = Self::position_value(operator, role, pos);
        let debt = pos.member.held.saturating_sub(value);
        if debt.is_zero() {
            return debt;
        }
        let paid = Self::pay_debt(who, operator, role, debt);
        pos.member.held = pos.member.held.saturating_sub(paid);
        paid
    }

    /// Sends `amount` of `who`'s stake hold to the treasury (or burns it if the treasury
    /// cannot receive it). Never fails; returns what was taken.
    pub(crate) fn pay_debt(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> BalanceOf<T> {
        let reason = HoldReason::Staked.into();
        let amount = amount.min(T::Currency::balance_on_hold(&reason, who));
        if amount.is_zero() {
            return amount;
        }
        match T::Currency::transfer_on_hold(
            &reason,
            who,
            &T::Treasury::get(),
            amount,
            Precision::BestEffort,
            Restriction::Free,
            Fortitude::Force,
        ) {
            Ok(paid) => {
                Self::deposit_event(Event::SlashPaid {
                    who: who.clone(),
                    operator: operator.clone(),
                    role,
                    amount: paid,
                });
                paid
            },
            Err(_) => {
                let burned = T::Currency::burn_held(
                    &reason,
                    who,
                    amount,
                    Precision::BestEffort,
                    Fortitude::Force,
                )
                .unwrap_or_default();
                Self::deposit_event(Event::SlashBurned {
                    who: who.clone(),
                    operator: operator.clone(),
                    role,
                    amount: burned,
                });
                burned
            },
        }
    }

    /// Holds `amount` from `who` and issues pool points for it, pending until they earn
    /// (see [`crate::joining`]).
    pub(crate) fn join(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        pos: &mut Position<T>,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let points = pool::balance_to_points(amount, pos.pool.active, pos.pool.points)
            .ok_or(Error::<T>::PoolDepleted)?;
        // Points never cost more than one unit each (slashes only lower the value behind
        // them), so a non-zero amount always buys at least one point.
        ensure!(points > 0, Error::<T>::ZeroAmount);
        Self::add_pending(who, operator, role, points)?;
        T::Currency::hold(&HoldReason::Staked.into(), who, amount)
            .map_err(|_| Error::<T>::InsufficientFunds)?;
        pos.member.points = pos.member.points.saturating_add(points);
        pos.member.held = pos.member.held.saturating_add(amount);
        pos.pool.points = pos.pool.points.saturating_add(points);
        pos.pool.active = pos.pool.active.saturating_add(amount);
        Ok(())
    }

    /// Turns up to `amount` of a member's active stake into an unbonding chunk. Refuses to
    /// leave a remainder below `minimum` (other than zero). Returns the value moved and when
    /// it unlocks.
    pub(crate) fn leave(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        pos: &mut Position<T>,
        amount: BalanceOf<T>,
        minimum: BalanceOf<T>,
        below_minimum: Error<T>,
    ) -> Result<(BalanceOf<T>, BlockNumberFor<T>), DispatchError> {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let value = pool::active_value(&pos.pool, &pos.member);
        let (points_out, value_out) = if amount >= value {
            (pos.member.points, value)
        } else {
            let p = pool::balance_to_points(amount, pos.pool.active, pos.pool.points)
                .unwrap_or_default()
                .min(pos.member.points);
            (p, pool::points_to_balance(p, pos.pool.active, pos.pool.points))
        };
        ensure!(points_out > 0, Error::<T>::NothingToUnbond);
        let remaining = value.saturating_sub(value_out);
        ensure!(remaining.is_zero() || remaining >= minimum, below_minimum);

        let now = frame_system::Pallet::<T>::block_number();
        // Stake leaving a pool bound to an obligation waits out the obligation first.
        let from = BoundUntil::<T>::get(operator, role).map_or(now, |until| until.max(now));
        let unlock_at = from.saturating_add(UnbondingPeriod::<T>::get());
        if !value_out.is_zero() {
            let era = Self::current_era();
            let key = (operator.clone(), role, era);
            let mut sub = UnbondingPools::<T>::get(&key).unwrap_or(UnbondingPool {
                points: 0,
                balance: Zero::zero(),
                unlock_at,
            });
            if sub.points == 0 {
                sub.balance = Zero::zero();
            }
            // A fully slashed unbonding pool of the current era implies a fully slashed
            // active pool, which has no value to unbond; one point per unit is a safe fallback.
            let sub_points = pool::balance_to_points(value_out, sub.balance, sub.points)
                .unwrap_or_else(|| to_u128(value_out));
            match pos.member.unbonding.iter_mut().find(|c| c.era == era) {
                Some(chunk) => chunk.points = chunk.points.saturating_add(sub_points),
                None => pos
                    .member
                    .unbonding
                    .try_push(UnbondingChunk { era, points: sub_points })
                    .map_err(|_| Error::<T>::TooManyUnbondingChunks)?,
            }
            sub.points = sub.points.saturating_add(sub_points);
            sub.balance = sub.balance.saturating_add(value_out);
            sub.unlock_at = sub.unlock_at.max(unlock_at);
            UnbondingPools::<T>::insert(&key, sub);
        }
        Self::remove_pending(who, operator, role, points_out);
        pos.member.points = pos.member.points.saturating_sub(points_out);
        pos.pool.points = pos.pool.points.saturating_sub(points_out);
        pos.pool.active = pos.pool.active.saturating_sub(value_out);
        Ok((value_out, unlock_at))
    }

    /// Checks a commission against the governance bounds.
    fn ensure_commission_in_bounds(commission: Perbill) -> DispatchResult {
        let (min, max) = CommissionBounds::<T>::get();
        ensure!(commission >= min && commission <= max, Error::<T>::CommissionOutOfBounds);
        Ok(())
    }

    /// Bonds own stake for a new operator.
    pub(crate) fn do_bond(
        who: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
        commission: Perbill,
    ) -> DispatchResult {
        ensure!(!Operators::<T>::contains_key(who, role), Error::<T>::AlreadyBonded);
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        ensure!(amount >= MinStakes::<T>::get(role).operator, Error::<T>::BelowMinimumStake);
        Self::ensure_commission_in_bounds(commission)?;
        let mut pos = Self::load(who, who, role, true)?;
        // An operator returning to a pool that still has delegators keeps its old stake.
        Self::join(who, who, role, &mut pos, amount)?;
        let slot = Self::allocate_slot(who, role)?;
        // The commission change period counts from bonding: the commission delegators joined
        // under holds at least that long (security review L3).
        let now = frame_system::Pallet::<T>::block_number();
        Operators::<T>::insert(
            who,
            role,
            OperatorInfo {
                commission,
                commission_changed_at: Some(now),
                commission_frozen_until: Zero::zero(),
                lock: None,
                slot,
            },
        );
        Self::store(who, who, role, pos)?;
        Self::update_weight(who, role);
        Self::deposit_event(Event::Bonded { operator: who.clone(), role, amount, commission });
        Ok(())
    }

    /// Adds to an operator's own stake.
    pub(crate) fn do_bond_extra(
        who: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(Operators::<T>::contains_key(who, role), Error::<T>::NotBonded);
        let mut pos = Self::load(who, who, role, true)?;
        Self::join(who, who, role, &mut pos, amount)?;
        Self::store(who, who, role, pos)?;
        Self::update_weight(who, role);
        Self::deposit_event(Event::BondedExtra { operator: who.clone(), role, amount });
        Ok(())
    }

    /// Starts unbonding an operator's own stake.
    pub(crate) fn do_unbond(
        who: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        let info = Operators::<T>::get(who, role).ok_or(Error::<T>::NotBonded)?;
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let now = frame_system::Pallet::<T>::block_number();
        if let Some(lock) = info.lock {
            ensure!(lock.until <= now, Error::<T>::StakeLocked);
        }
        let mut pos = Self::load(who, who, role, false).map_err(|_| Error::<T>::NothingToUnbond)?;
        let min = MinStakes::<T>::get(role).operator;
        let (value, unlock_at) =
            Self::leave(who, who, role, &mut pos, amount, min, Error::<T>::BelowMinimumStake)?;
        Self::store(who, who, role, pos)?;
        Self::update_weight(who, role);
        Self::deposit_event(Event::Unbonded {
            operator: who.clone(),
            role,
            amount: value,
            unlock_at,
        });
        Ok(())
    }

    /// Delegates to an operator's pool.
    pub(crate) fn do_delegate(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        ensure!(who != operator, Error::<T>::CannotDelegateToSelf);
        ensure!(Operators::<T>::contains_key(operator, role), Error::<T>::NotAnOperator);
        ensure!(Self::is_active(operator, role), Error::<T>::OperatorInactive);
        let mut pos = Self::load(who, operator, role, true)?;
        let current = pool::active_value(&pos.pool, &pos.member);
        ensure!(
            current.saturating_add(amount) >= MinStakes::<T>::get(role).delegation,
            Error::<T>::BelowMinimumDelegation
        );
        Self::join(who, operator, role, &mut pos, amount)?;
        Self::store(who, operator, role, pos)?;
        Self::update_weight(operator, role);
        Self::deposit_event(Event::Delegated {
            delegator: who.clone(),
            operator: operator.clone(),
            role,
            amount,
        });
        Ok(())
    }

    /// Starts unbonding a delegation.
    pub(crate) fn do_undelegate(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        ensure!(who != operator, Error::<T>::CannotDelegateToSelf);
        let mut pos = Self::load(who, operator, role, false)?;
        let min = MinStakes::<T>::get(role).delegation;
        let (value, unlock_at) = Self::leave(
            who,
            operator,
            role,
            &mut pos,
            amount,
            min,
            Error::<T>::BelowMinimumDelegation,
        )?;
        Self::store(who, operator, role, pos)?;
        Self::update_weight(operator, role);
        Self::deposit_event(Event::Undelegated {
            delegator: who.clone(),
            operator: operator.clone(),
            role,
            amount: value,
            unlock_at,
        });
        Ok(())
    }

    /// Releases unlocked chunks.
    pub(crate) fn do_withdraw_unbonded(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
    ) -> DispatchResult {
        let mut pos = Self::load(who, operator, role, false)?;
        let now = frame_system::Pallet::<T>::block_number();
        let mut total: BalanceOf<T> = Zero::zero();
        let mut kept = BoundedVec::<UnbondingChunk, T::MaxUnbondingChunks>::default();
        let mut any = false;
        for chunk in pos.member.unbonding.iter() {
            let key = (operator.clone(), role, chunk.era);
            match UnbondingPools::<T>::get(&key) {
                Some(mut sub) if sub.unlock_at <= now => {
                    let value = pool::chunk_value(chunk.points, &sub);
                    sub.points = sub.points.saturating_sub(chunk.points);
                    sub.balance = sub.balance.saturating_sub(value);
                    if sub.points == 0 {
                        UnbondingPools::<T>::remove(&key);
                    } else {
                        UnbondingPools::<T>::insert(&key, sub);
                    }
                    total = total.saturating_add(value);
                    any = true;
                },
                Some(_) => {
                    // Cannot overflow: `kept` is no longer than the original vector.
                    let _ = kept.try_push(chunk.clone());
                },
                None => any = true,
            }
        }
        ensure!(any, Error::<T>::NothingToWithdraw);
        pos.member.unbonding = kept;
        let total = total.min(pos.member.held);
        if !total.is_zero() {
            let released = T::Currency::release(
                &HoldReason::Staked.into(),
                who,
                total,
                Precision::BestEffort,
            )?;
            pos.member.held = pos.member.held.saturating_sub(released);
        }
        Self::deposit_event(Event::Withdrawn {
            who: who.clone(),
            operator: operator.clone(),
            role,
            amount: total,
        });
        Self::store(who, operator, role, pos)?;
        Ok(())
    }

    /// Removes an operator that withdrew its last own stake.
    pub(crate) fn remove_operator(operator: &T::AccountId, role: Role) {
        if let Some(info) = Operators::<T>::take(operator, role) {
            Self::free_slot(role, info.slot);
            Self::deposit_event(Event::OperatorLeft { operator: operator.clone(), role });
        }
    }

    /// Pays a member its pending rewards.
    pub(crate) fn do_claim(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
    ) -> DispatchResult {
        let mut pos = Self::load(who, operator, role, false)?;
        let amount = pos.member.pending_rewards;
        ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
        Self::pay_from_pot(who, amount)?;
        pos.member.pending_rewards = Zero::zero();
        Self::store(who, operator, role, pos)?;
        Self::deposit_event(Event::Claimed {
            who: who.clone(),
            operator: operator.clone(),
            role,
            amount,
        });
        Ok(())
    }

    /// Pays a member's slash debt.
    pub(crate) fn do_apply_slash(
        who: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
    ) -> DispatchResult {
        let member = Members::<T>::get((operator, role, who)).ok_or(Error::<T>::NotAMember)?;
        ensure!(
            member.slashes_seen != SlashCount::<T>::get(operator, role),
            Error::<T>::NoPendingSlash
        );
        let pos = Self::load(who, operator, role, false)?;
        Self::store(who, operator, role, pos)?;
        Ok(())
    }

    /// Locks an operator's own stake.
    pub(crate) fn do_lock(who: &T::AccountId, role: Role, days: u32) -> DispatchResult {
        let mut info = Operators::<T>::get(who, role).ok_or(Error::<T>::NotBonded)?;
        ensure!(days >= 1, Error::<T>::LockTooShort);
        ensure!(days <= MAX_LOCK_DAYS, Error::<T>::LockTooLong);
        let now = frame_system::Pallet::<T>::block_number();
        let until = now.saturating_add(T::BlocksPerDay::get().saturating_mul(days.into()));
        if let Some(current) = info.lock {
            ensure!(until >= current.until, Error::<T>::LockCannotShorten);
        }
        info.lock = Some(TimeLock { until, days });
        Operators::<T>::insert(who, role, info);
        Self::update_weight(who, role);
        Self::deposit_event(Event::Locked { operator: who.clone(), role, days, until });
        Ok(())
    }

    /// Changes an operator's commission: not within the change period of the last change or of
    /// bonding, not while frozen, and up by at most `MaxCommissionIncrease`.
    pub(crate) fn do_set_commission(
        who: &T::AccountId,
        role: Role,
        commission: Perbill,
    ) -> DispatchResult {
        let mut info = Operators::<T>::get(who, role).ok_or(Error::<T>::NotBonded)?;
        Self::ensure_commission_in_bounds(commission)?;
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now >= info.commission_frozen_until, Error::<T>::CommissionFrozen);
        if let Some(at) = info.commission_changed_at {
            ensure!(
                now >= at.saturating_add(CommissionChangePeriod::<T>::get()),
                Error::<T>::CommissionChangeTooSoon
            );
        }
        ensure!(
            commission <= info.commission.saturating_add(T::MaxCommissionIncrease::get()),
            Error::<T>::CommissionIncreaseTooLarge
        );
        info.commission = commission;
        info.commission_changed_at = Some(now);
        Operators::<T>::insert(who, role, info);
        Self::deposit_event(Event::CommissionSet { operator: who.clone(), role, commission });
        Ok(())
    }

    /// Freezes an operator's commission until `until` (never shortens a freeze).
    pub(crate) fn do_freeze_commission(
        operator: &T::AccountId,
        role: Role,
        until: BlockNumberFor<T>,
    ) -> DispatchResult {
        let mut info = Operators::<T>::get(operator, role).ok_or(Error::<T>::NotAnOperator)?;
        info.commission_frozen_until = info.commission_frozen_until.max(until);
        let until = info.commission_frozen_until;
        Operators::<T>::insert(operator, role, info);
        Self::deposit_event(Event::CommissionFrozen { operator: operator.clone(), role, until });
        Ok(())
    }

    /// Binds `operator`'s pool for `role` to an obligation ending at `until`: its commission
    /// is frozen until then, and stake that leaves the pool before then unlocks an unbonding
    /// period after `until`. Never shortens a binding.
    pub(crate) fn do_engage(
        operator: &T::AccountId,
        role: Role,
        until: BlockNumberFor<T>,
    ) -> DispatchResult {
        Self::do_freeze_commission(operator, role, until)?;
        let until = BoundUntil::<T>::get(operator, role).map_or(until, |bound| bound.max(until));
        BoundUntil::<T>::insert(operator, role, until);
        Self::deposit_event(Event::StakeBound { operator: operator.clone(), role, until });
        Ok(())
    }

    /// The longest obligation `engage` can bind so that a slash at its end, dated
    /// at its start, still reaches every unbonding pool formed in between: the slashable eras
    /// less one for era alignment and one for a late close.
    pub fn max_engagement() -> BlockNumberFor<T> {
        Self::max_unbonding_period()
    }

    /// Checks every invariant the ledger keeps. Used by `try_state` and the tests.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::btree_map::BTreeMap;
        let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut pool_points: BTreeMap<(T::AccountId, Role), (u128, BalanceOf<T>)> = BTreeMap::new();
        let mut sub_points: BTreeMap<(T::AccountId, Role, u32), u128> = BTreeMap::new();
        for ((operator, role, who), m) in Members::<T>::iter() {
            let e = held.entry(who.clone()).or_insert_with(Zero::zero);
            *e = e.saturating_add(m.held);
            let pool = Pools::<T>::get(&operator, role).unwrap_or_default();
            let p = pool_points.entry((operator.clone(), role)).or_insert((0, Zero::zero()));
            p.0 = p.0.saturating_add(m.points);
            p.1 = p.1.saturating_add(pool::active_value(&pool, &m));
            for c in m.unbonding.iter() {
                let s = sub_points.entry((operator.clone(), role, c.era)).or_insert(0);
                *s = s.saturating_add(c.points);
            }
            ensure!(
                m.slashes_seen <= SlashCount::<T>::get(&operator, role),
                "a member saw a slash that did not happen"
            );
        }
        for (who, amount) in held.iter() {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Staked.into(), who) == *amount,
                "held balance differs from the ledger"
            );
        }
        for (operator, role, pool) in Pools::<T>::iter() {
            let (points, values) =
                pool_points.get(&(operator.clone(), role)).copied().unwrap_or((0, Zero::zero()));
            ensure!(points == pool.points, "pool points differ from the members' points");
            ensure!(values <= pool.active, "members' values exceed the pool's value");
            let dust: u128 = to_u128(pool.active.saturating_sub(values));
            let members = Members::<T>::iter_prefix((&operator, role)).count();
            ensure!(dust <= members as u128, "pool dust exceeds one unit per member");
        }
        for ((operator, role, era), sub) in UnbondingPools::<T>::iter() {
            ensure!(
                sub_points.get(&(operator, role, era)).copied().unwrap_or(0) == sub.points,
                "unbonding pool points differ from the chunks' points"
            );
        }
        Self::check_sampling_tree()?;
        Self::check_pending()?;
        Ok(())
    }
}
