//! Rewards: commission to the operator, the rest to the pool through the reward-per-point
//! accumulator. O(1) in the number of members.

use crate::{pallet::*, pool, Role};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, Mutate},
        tokens::{Fortitude, Preservation},
    },
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Pays `amount` from `payer` for `operator`'s work in `role`: σ·amount to the operator,
    /// the rest to the pool's members pro rata to their points (claimable with `claim`).
    /// A pool without members passes everything to the operator. All or nothing.
    pub(crate) fn do_reward(
        payer: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> Result<BalanceOf<T>, DispatchError> {
        let info = Operators::<T>::get(operator, role).ok_or(Error::<T>::NotAnOperator)?;
        if amount.is_zero() {
            return Ok(amount);
        }
        ensure!(
            T::Currency::reducible_balance(payer, Preservation::Preserve, Fortitude::Polite)
                >= amount,
            Error::<T>::RewardPayerInsufficient
        );
        frame_support::storage::with_storage_layer(|| {
            let mut pool_state = Pools::<T>::get(operator, role).unwrap_or_default();
            // Stake that joined too recently shares nothing (security review L9); with no
            // earning stake at all the operator keeps the whole reward.
            Self::mature_joins(operator, role, pool_state.reward_per_point);
            let earning = Self::earning_points(operator, role, pool_state.points);
            let commission = if earning == 0 { amount } else { info.commission.mul_floor(amount) };
            let to_pool = amount.saturating_sub(commission);
            if !commission.is_zero() {
                T::Currency::transfer(payer, operator, commission, Preservation::Preserve)
                    .map_err(|_| Error::<T>::RewardPayerInsufficient)?;
            }
            if !to_pool.is_zero() {
                T::Currency::transfer(payer, &Self::reward_pot(), to_pool, Preservation::Preserve)
                    .map_err(|_| Error::<T>::RewardPayerInsufficient)?;
                pool::distribute(&mut pool_state, to_pool, earning);
                Pools::<T>::insert(operator, role, pool_state);
            }
            Self::deposit_event(Event::Rewarded {
                operator: operator.clone(),
                role,
                commission,
                to_pool,
            });
            Ok(amount)
        })
    }

    /// Pays a governance grant of `amount` from the treasury into `operator`'s pool for
    /// `role` through [`Self::do_reward`]. Only active operators qualify: an inactive pool has
    /// no weight, and a depleted one would pass the whole grant to the operator.
    pub(crate) fn do_grant_reward(
        operator: &T::AccountId,
        role: Role,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        ensure!(Operators::<T>::contains_key(operator, role), Error::<T>::NotAnOperator);
        ensure!(Self::is_active(operator, role), Error::<T>::OperatorInactive);
        let treasury = T::Treasury::get();
        Self::do_reward(&treasury, operator, role, amount).map_err(|e| {
            if e == Error::<T>::RewardPayerInsufficient.into() {
                Error::<T>::TreasuryInsufficient.into()
            } else {
                e
            }
        })?;
        Self::deposit_event(Event::RewardGranted { operator: operator.clone(), role, amount });
        Ok(())
    }
}
