//! Slashing: a proportional cut of a pool's active stake and of the unbonding stake that
//! left after the offence, in O(number of slashable eras), independent of the members.
//!
//! The cut lowers the value behind each point, so every member loses the same fraction at
//! once. The funds stay on hold in the members' accounts until each member's debt is paid to
//! the treasury: the operator's at once, the delegators' when they next act or anyone calls
//! `apply_slash` for them.

use crate::{pallet::*, pool, Role, SlashReason};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{Saturating, Zero},
    Perbill,
};

impl<T: Config> Pallet<T> {
    /// Slashes `fraction` of `operator`'s pool for `role` for an offence committed at block
    /// `offence_at`. Returns the value cut. Never fails; takes what there is.
    pub(crate) fn do_slash(
        operator: &T::AccountId,
        role: Role,
        fraction: Perbill,
        reason: SlashReason,
        offence_at: BlockNumberFor<T>,
    ) -> BalanceOf<T> {
        let mut total: BalanceOf<T> = Zero::zero();
        SlashCount::<T>::mutate(operator, role, |c| *c = c.wrapping_add(1));
        if let Some(mut p) = Pools::<T>::get(operator, role) {
            let (remaining, taken) = pool::cut(p.active, fraction);
            p.active = remaining;
            total = total.saturating_add(taken);
            Pools::<T>::insert(operator, role, p);
        }
        let now = frame_system::Pallet::<T>::block_number();
        let current = Self::current_era();
        // Unbonding pools older than this have unlocked (the unbonding period is bounded by
        // the slashable eras), so the loop is bounded by `MaxSlashableEras`.
        let oldest = current.saturating_sub(T::MaxSlashableEras::get().saturating_sub(1));
        let first = Self::era_of(offence_at).max(oldest);
        for era in first..=current {
            let key = (operator.clone(), role, era);
            if let Some(mut sub) = UnbondingPools::<T>::get(&key) {
                if sub.unlock_at > now {
                    let (remaining, taken) = pool::cut(sub.balance, fraction);
                    sub.balance = remaining;
                    total = total.saturating_add(taken);
                    UnbondingPools::<T>::insert(&key, sub);
                }
            }
        }
        Self::deposit_event(Event::Slashed {
            operator: operator.clone(),
            role,
            fraction,
            amount: total,
            reason,
        });
        // The operator pays its own share at once.
        if let Ok(pos) = Self::load(operator, operator, role, false) {
            let _ = Self::store(operator, operator, role, pos);
        }
        Self::update_weight(operator, role);
        total
    }

    /// The slash `member` owes in `operator`'s pool for `role` but has not paid yet.
    pub fn pending_slash(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
    ) -> BalanceOf<T> {
        let Some(m) = Members::<T>::get((operator, role, member)) else { return Zero::zero() };
        if m.slashes_seen == SlashCount::<T>::get(operator, role) {
            return Zero::zero();
        }
        let pos = crate::ledger::Position::<T> {
            pool: Pools::<T>::get(operator, role).unwrap_or_default(),
            member: m,
        };
        pos.member.held.saturating_sub(Self::position_value(operator, role, &pos))
    }
}
