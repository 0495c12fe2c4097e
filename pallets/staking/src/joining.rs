//! Stake that joins a pool earns from a later era (security review L9).
//!
//! Rewards reach a pool when work is paid for — an arena task at its finalisation, an alliance
//! round at its close — but the work began earlier, at the draw, with the stake the pool had
//! then. A delegation made between the draw and the payment would share a reward earned
//! before it joined. So points a member adds (own stake or delegation alike) are *pending*:
//! they carry value and are slashable at once, but earn rewards only from the first era after
//! both the join and all the work the pool is bound to or works on at the time (`BoundUntil`:
//! committee seats and rounds; the commission freeze: a trainer's submitted models). By then
//! every reward for work drawn before the join is paid, and the new stake is in the draw
//! snapshot ([`crate::snapshot`]), so it shares exactly the work it could have been drawn for.
//!
//! Bookkeeping stays O(1) per member. The pool keeps one entry per era in which pending points
//! start to earn ([`PendingJoin`]; the eras lie within the slashable eras, so at most
//! `MaxSlashableEras` entries), and a reward is shared over the points that earn. The first
//! touch of the pool in a later era *matures* the due entries, recording the pool's reward per
//! point at that moment ([`EarningSince`]); a member's pending points earn from that value
//! when the member is next settled. A member has at most one pending batch: joining again
//! with a later first era moves its earlier pending points to the later era.

use crate::{pallet::*, pool, Role};
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_core::U256;
use sp_runtime::traits::{Saturating, Zero};

/// Points of one pool that start to earn in one era.
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PendingJoin {
    /// The first era in which the points earn.
    pub era: u32,
    /// The pending points.
    pub points: u128,
    /// How many members hold them.
    pub members: u32,
}

impl<T: Config> Pallet<T> {
    /// The first era in which points joining `operator`'s pool for `role` now earn: the era
    /// after both now and the end of the work the pool is paid for later — the obligations it
    /// is bound to (`BoundUntil`: committee seats, rounds) and the tasks its commission is
    /// frozen for (a trainer's submitted model).
    pub fn earning_era(operator: &T::AccountId, role: Role) -> u32 {
        let now = frame_system::Pallet::<T>::block_number();
        let bound = BoundUntil::<T>::get(operator, role).unwrap_or(now);
        let frozen =
            Operators::<T>::get(operator, role).map_or(now, |info| info.commission_frozen_until);
        Self::era_of(now.max(bound).max(frozen)).saturating_add(1)
    }

    /// Matures the pending points of `operator`'s pool for `role` that earn from the current
    /// era or earlier, at the pool's current reward per point. Call before sharing a reward or
    /// settling a member.
    pub(crate) fn mature_joins(operator: &T::AccountId, role: Role, reward_per_point: U256) {
        let now = Self::current_era();
        let pending = PendingJoins::<T>::get(operator, role);
        let due = pending.iter().take_while(|join| join.era <= now).count();
        if due == 0 {
            return;
        }
        for join in pending.iter().take(due) {
            if join.members > 0 {
                EarningSince::<T>::insert(
                    (operator, role, join.era),
                    (reward_per_point, join.members),
                );
            }
        }
        let rest: BoundedVec<PendingJoin, T::MaxSlashableEras> =
            BoundedVec::truncate_from(pending.into_inner().into_iter().skip(due).collect());
        if rest.is_empty() {
            PendingJoins::<T>::remove(operator, role);
        } else {
            PendingJoins::<T>::insert(operator, role, rest);
        }
    }

    /// Points of `operator`'s pool for `role` that earn now (its pool must be matured).
    pub(crate) fn earning_points(operator: &T::AccountId, role: Role, points: u128) -> u128 {
        let pending: u128 = PendingJoins::<T>::get(operator, role)
            .iter()
            .map(|join| join.points)
            .fold(0u128, |sum, points| sum.saturating_add(points));
        points.saturating_sub(pending)
    }

    /// Rewards `member` earned in `operator`'s pool since it was last settled, given the pool's
    /// reward per point: on its earning points since then, and on its pending points since
    /// they matured. Returns the amount and whether its pending points matured.
    fn earned_by(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        reward_per_point: U256,
        m: &MemberOf<T>,
    ) -> (BalanceOf<T>, bool) {
        let pending = MemberPending::<T>::get((operator, role, member));
        let pending_points = pending.map_or(0, |(_, points)| points);
        let earning = m.points.saturating_sub(pending_points);
        let mut earned: BalanceOf<T> =
            pool::earned_on(earning, reward_per_point, m.reward_per_point_paid);
        let mut matured = false;
        if let Some((era, points)) = pending {
            if era <= Self::current_era() {
                matured = true;
                // Without a record the pool was not touched since the points matured, so no
                // reward was shared since either.
                if let Some((since, _)) = EarningSince::<T>::get((operator, role, era)) {
                    earned =
                        earned.saturating_add(pool::earned_on(points, reward_per_point, since));
                }
            }
        }
        (earned, matured)
    }

    /// Moves what `member` earned into its pending rewards, marks it settled and makes its
    /// matured pending points earning ones. The pool must be matured.
    pub(crate) fn settle_member_rewards(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        reward_per_point: U256,
        m: &mut MemberOf<T>,
    ) {
        let (earned, matured) = Self::earned_by(member, operator, role, reward_per_point, m);
        m.pending_rewards = m.pending_rewards.saturating_add(earned);
        m.reward_per_point_paid = reward_per_point;
        if matured {
            if let Some((era, _)) = MemberPending::<T>::take((operator, role, member)) {
                EarningSince::<T>::mutate_exists((operator, role, era), |record| {
                    if let Some((_, members)) = record {
                        *members = members.saturating_sub(1);
                        if *members == 0 {
                            *record = None;
                        }
                    }
                });
            }
        }
    }

    /// Rewards `member` could claim now from `operator`'s pool for `role`.
    pub fn claimable(member: &T::AccountId, operator: &T::AccountId, role: Role) -> BalanceOf<T> {
        let Some(m) = Members::<T>::get((operator, role, member)) else { return Zero::zero() };
        match Pools::<T>::get(operator, role) {
            Some(p) => {
                let (earned, _) = Self::earned_by(member, operator, role, p.reward_per_point, &m);
                m.pending_rewards.saturating_add(earned)
            },
            None => m.pending_rewards,
        }
    }

    /// Records `points` just issued to `member` in `operator`'s pool as pending until
    /// [`Self::earning_era`]; a pending batch of the member's from an earlier era moves along.
    pub(crate) fn add_pending(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        points: u128,
    ) -> DispatchResult {
        // Genesis stake earns at once: there was no work before it.
        if frame_system::Pallet::<T>::block_number().is_zero() {
            return Ok(());
        }
        let old = MemberPending::<T>::get((operator, role, member));
        // Never earlier than a batch already waiting (an obligation's end only moves later).
        let era = Self::earning_era(operator, role).max(old.map_or(0, |(era, _)| era));
        let mut joins = PendingJoins::<T>::get(operator, role);
        let mut batch = points;
        let mut counted = false;
        if let Some((old_era, old_points)) = old {
            if old_era == era {
                counted = true;
            } else {
                // An earlier batch waits for the later era too (the member's own choice).
                Self::remove_from(&mut joins, old_era, old_points, true);
            }
            batch = batch.saturating_add(old_points);
        }
        let index = match joins.iter().position(|join| join.era >= era) {
            Some(i) if joins.get(i).is_some_and(|join| join.era == era) => i,
            found => {
                let at = found.unwrap_or(joins.len());
                joins
                    .try_insert(at, PendingJoin { era, points: 0, members: 0 })
                    .map_err(|_| Error::<T>::TooManyPendingJoins)?;
                at
            },
        };
        if let Some(join) = joins.get_mut(index) {
            join.points = join.points.saturating_add(points);
            if !counted {
                // The moved batch's points join the entry with the member.
                join.points = join.points.saturating_add(batch.saturating_sub(points));
                join.members = join.members.saturating_add(1);
            }
        }
        MemberPending::<T>::insert((operator, role, member), (era, batch));
        PendingJoins::<T>::insert(operator, role, joins);
        Ok(())
    }

    /// Takes `points` leaving `member`'s position in `operator`'s pool out of its pending
    /// points first (the newest stake leaves first).
    pub(crate) fn remove_pending(
        member: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        points: u128,
    ) {
        let Some((era, pending)) = MemberPending::<T>::get((operator, role, member)) else {
            return;
        };
        let taken = points.min(pending);
        let left = pending.saturating_sub(taken);
        let mut joins = PendingJoins::<T>::get(operator, role);
        Self::remove_from(&mut joins, era, taken, left == 0);
        if joins.is_empty() {
            PendingJoins::<T>::remove(operator, role);
        } else {
            PendingJoins::<T>::insert(operator, role, joins);
        }
        if left == 0 {
            MemberPending::<T>::remove((operator, role, member));
        } else {
            MemberPending::<T>::insert((operator, role, member), (era, left));
        }
    }

    /// Takes `points` (and, if `member_left`, one member) out of the entry of `era`, dropping
    /// it when no member is left.
    fn remove_from(
        joins: &mut BoundedVec<PendingJoin, T::MaxSlashableEras>,
        era: u32,
        points: u128,
        member_left: bool,
    ) {
        if let Some(join) = joins.iter_mut().find(|join| join.era == era) {
            join.points = join.points.saturating_sub(points);
            if member_left {
                join.members = join.members.saturating_sub(1);
            }
        }
        joins.retain(|join| join.members > 0);
    }

    /// Weight of the pending-points bookkeeping when a position is loaded or a reward paid:
    /// the pool's entries, the member's batch and its era's record, read and written, and a
    /// record for each entry that matures (at most `MaxSlashableEras`). `weights.rs` was
    /// measured before stake waited to earn, so the calls charge this on top until it is
    /// measured again.
    pub fn joining_weight() -> Weight {
        let eras = u64::from(T::MaxSlashableEras::get());
        T::DbWeight::get().reads_writes(3, eras.saturating_add(3))
    }

    /// Checks the pending points: each pool's entries are in increasing era order and equal
    /// the sum of its members' pending batches of that era; a member's batch whose entry
    /// matured has an [`EarningSince`] record counting it; no member has more pending than
    /// points.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub(crate) fn check_pending() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::btree_map::BTreeMap;
        let mut batches: BTreeMap<(T::AccountId, Role, u32), (u128, u32)> = BTreeMap::new();
        for ((operator, role, member), (era, points)) in MemberPending::<T>::iter() {
            let m =
                Members::<T>::get((&operator, role, &member)).ok_or("pending without member")?;
            ensure!(points > 0 && points <= m.points, "pending points exceed the member's");
            let e = batches.entry((operator, role, era)).or_insert((0, 0));
            e.0 = e.0.saturating_add(points);
            e.1 = e.1.saturating_add(1);
        }
        for (operator, role, joins) in PendingJoins::<T>::iter() {
            ensure!(
                joins.windows(2).all(|w| matches!(w, [a, b] if a.era < b.era)),
                "pending joins out of order"
            );
            let points = Pools::<T>::get(&operator, role).map_or(0, |p| p.points);
            let mut sum = 0u128;
            for join in joins.iter() {
                let batch = batches.remove(&(operator.clone(), role, join.era)).unwrap_or((0, 0));
                ensure!(batch == (join.points, join.members), "pending join differs from members");
                sum = sum.saturating_add(join.points);
            }
            ensure!(sum <= points, "more pending points than the pool has");
        }
        // Batches whose entry matured and left the pool: recorded at maturity.
        for ((operator, role, era), (_, members)) in batches {
            ensure!(era <= Self::current_era(), "a future batch without its pool entry");
            let (_, left) =
                EarningSince::<T>::get((&operator, role, era)).ok_or("matured batch unrecorded")?;
            ensure!(left == members, "earning record miscounts its members");
        }
        Ok(())
    }
}
