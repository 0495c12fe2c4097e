//! Weights as they stood at the start of recent eras (security review §10).
//!
//! A committee or role draw must not depend on stake that moved once its randomness could be
//! known: otherwise the author of the draw block, who knows the seed, bonds or unbonds in that
//! very block to steer the draw. The products therefore draw with BABE's randomness from one
//! epoch ago, which nobody knew before the start of the previous epoch (the block the
//! randomness source names, `fixed_before`), and the sampler reads every weight as it stood at
//! the start of the newest era that began no later than that block.
//!
//! Keeping old trees would cost a copy per era. Instead each sampling value (the total, a
//! slot's weight, a Fenwick node) keeps, for each of the last `SnapshotEras` eras in which it
//! changed, its value at the start of that era, newest first. Its value at the start of an era
//! `x` is the value recorded for the oldest kept era at or after `x`, or the current value if it
//! has not changed since `x` began: O(1) extra reads per tree node, one extra write per value
//! and era. A slot freed by a departing operator is reused only after `SnapshotEras` eras, so
//! that a slot's weight in any readable snapshot belongs to the slot's current owner.
//!
//! Genesis operators are part of the state at the start of era 0: nothing is recorded while
//! the genesis block is built.

use crate::{pallet::*, Role};
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;

/// Which sampling value a history belongs to.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    MaxEncodedLen,
    TypeInfo,
    Debug
)]
pub enum WeightKey {
    /// The role's total weight.
    Total,
    /// The weight of one slot.
    Slot(u32),
    /// One node of the role's Fenwick tree.
    Node(u32),
}

impl<T: Config> Pallet<T> {
    /// Records that `key` of `role` is about to change from `before`: the first change in an
    /// era keeps `before` as the value at the start of that era; the oldest record falls off.
    pub(crate) fn note_change(role: Role, key: WeightKey, before: u128) {
        if frame_system::Pallet::<T>::block_number().is_zero() {
            return;
        }
        let era = Self::current_era();
        let mut history = WeightHistory::<T>::get(role, key);
        if history.first().is_some_and(|(recorded, _)| *recorded == era) {
            return;
        }
        // Index 0 always exists; a full history drops its oldest record.
        if history.force_insert_keep_left(0, (era, before)).is_ok() {
            WeightHistory::<T>::insert(role, key, history);
        }
    }

    /// The value `key` of `role` had at the start of era `era`, given its `current` value.
    /// Exact for any era [`Self::snapshot_era`] returns.
    pub(crate) fn value_at(role: Role, key: WeightKey, current: u128, era: u32) -> u128 {
        WeightHistory::<T>::get(role, key)
            .iter()
            .rev()
            .find(|(recorded, _)| *recorded >= era)
            .map_or(current, |(_, before)| *before)
    }

    /// The era whose starting weights a draw reads when its randomness may depend on state
    /// from block `fixed_before` on: the newest era that began no later than that block (its
    /// starting state is the state after block `era × EraLength − 1`). `None` when that era
    /// is older than the history kept, which a runtime whose `SnapshotEras` covers two BABE
    /// epochs never sees.
    pub fn snapshot_era(fixed_before: BlockNumberFor<T>) -> Option<u32> {
        let now = Self::current_era();
        let era = Self::era_of(fixed_before).min(now);
        let kept = T::SnapshotEras::get().saturating_sub(1);
        (era.saturating_add(kept) >= now).then_some(era)
    }

    /// `operator`'s weight in a draw reading the start of era `era`: its weight then, capped
    /// by its weight now (stake added since does not count, stake gone since does not either),
    /// and 0 when it is not an active operator now.
    pub(crate) fn weight_in_era(operator: &T::AccountId, role: Role, era: u32) -> u128 {
        let Some(info) = Operators::<T>::get(operator, role) else { return 0 };
        let current = Self::current_weight(operator, role);
        if current == 0 {
            return 0;
        }
        let then = Self::value_at(
            role,
            WeightKey::Slot(info.slot),
            SlotWeight::<T>::get(role, info.slot),
            era,
        );
        then.min(current)
    }

    /// `operator`'s weight for a draw whose randomness may depend on state from block
    /// `fixed_before` on (see [`Self::snapshot_era`]); 0 without a snapshot.
    pub fn draw_weight(
        operator: &T::AccountId,
        role: Role,
        fixed_before: BlockNumberFor<T>,
    ) -> u128 {
        Self::snapshot_era(fixed_before).map_or(0, |era| Self::weight_in_era(operator, role, era))
    }

    /// Whether a slot freed in era `freed` may be given to a new operator now.
    pub(crate) fn slot_reusable(freed: Option<u32>) -> bool {
        freed.is_none_or(|era| era.saturating_add(T::SnapshotEras::get()) <= Self::current_era())
    }

    /// Weight of keeping the histories when one slot's weight changes: a read and a write for
    /// the slot, the total and each tree node on the slot's path. `weights.rs` was measured
    /// before histories were kept, so the calls that change a weight charge this on top until
    /// it is measured again.
    pub fn history_weight() -> Weight {
        let keys = u64::from(Self::history_keys());
        T::DbWeight::get().reads_writes(keys, keys)
    }

    /// How many sampling values one slot's change touches (and a draw attempt reads the
    /// histories of, at most): the total, the slot and each tree node on its path.
    pub(crate) fn history_keys() -> u32 {
        T::MaxOperatorsPerRole::get().checked_ilog2().unwrap_or(0).saturating_add(3)
    }

    /// Everything the calls that change a weight do beyond what `weights.rs` measured:
    /// [`Self::history_weight`] and [`Self::joining_weight`].
    pub fn unmeasured_weight() -> Weight {
        Self::history_weight().saturating_add(Self::joining_weight())
    }

    /// Checks the histories: at most `SnapshotEras` records, eras strictly decreasing and not
    /// in the future; and the snapshot of every readable era is a consistent tree (the total
    /// is the sum of the slots, each node the sum of its range).
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub(crate) fn check_histories() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
        let now = Self::current_era();
        for (_, _, history) in WeightHistory::<T>::iter() {
            ensure!(history.len() as u32 <= T::SnapshotEras::get(), "history too long");
            ensure!(
                history.windows(2).all(|w| matches!(w, [a, b] if a.0 > b.0)),
                "history not newest first"
            );
            ensure!(history.iter().all(|(era, _)| *era <= now), "history in the future");
        }
        let n = T::MaxOperatorsPerRole::get();
        let oldest = now.saturating_sub(T::SnapshotEras::get().saturating_sub(1));
        for role in Role::ALL {
            let slots: BTreeMap<u32, u128> = (1..=SlotsUsed::<T>::get(role))
                .map(|s| (s, SlotWeight::<T>::get(role, s)))
                .collect();
            let mut nodes: BTreeSet<u32> = WeightTree::<T>::iter_key_prefix(role).collect();
            nodes.extend(WeightHistory::<T>::iter_key_prefix(role).filter_map(|key| match key {
                WeightKey::Node(i) => Some(i),
                _ => None,
            }));
            for era in oldest..=now {
                let then: BTreeMap<u32, u128> = slots
                    .iter()
                    .map(|(s, w)| (*s, Self::value_at(role, WeightKey::Slot(*s), *w, era)))
                    .collect();
                let total =
                    Self::value_at(role, WeightKey::Total, TotalWeight::<T>::get(role), era);
                ensure!(then.values().sum::<u128>() == total, "snapshot total differs from slots");
                for i in nodes.iter().copied() {
                    ensure!(i > 0 && i <= n, "snapshot node out of range");
                    let lo = i.saturating_sub(crate::sampling::low_bit(i));
                    let expect: u128 = then.range(lo.saturating_add(1)..=i).map(|(_, w)| *w).sum();
                    let node = Self::value_at(
                        role,
                        WeightKey::Node(i),
                        WeightTree::<T>::get(role, i),
                        era,
                    );
                    ensure!(node == expect, "snapshot node differs from its slots");
                }
            }
        }
        Ok(())
    }
}
