//! Operator weights and stake-weighted sampling without replacement.
//!
//! Each role has `MaxOperatorsPerRole` slots; each operator owns one slot whose weight is
//! kept in a Fenwick (binary indexed) tree in storage. Updating a weight and drawing one
//! operator both cost O(log n) storage accesses, so drawing k distinct operators costs
//! O(k log n) reads and no writes: drawn slots are removed in an in-memory overlay.
//!
//! A draw reads the tree as it stood at the start of an era that ended before its seed could
//! be known ([`crate::snapshot`]). Both a stored weight and a snapshot can exceed the
//! operator's current weight (a lock that ended, a minimum that rose, stake that left since).
//! The sampler therefore accepts a drawn operator with probability `current / then` when its
//! weight fell and redraws otherwise (rejection sampling), which makes the selection exactly
//! proportional to `min(weight then, weight now)`. Operators with current weight 0 are never
//! returned.

use crate::{
    math::{apply_multiplier, lock_multiplier, MULTIPLIER_ONE},
    pallet::*,
    snapshot::WeightKey,
    Role,
};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Zero;
use starling_primitives::arith::random_point as draw;

/// Lowest set bit of `i` (the span of Fenwick node `i`).
pub(crate) fn low_bit(i: u32) -> u32 {
    i & i.wrapping_neg()
}

/// The largest power of two not above `n` (0 for 0).
fn top_bit(n: u32) -> u32 {
    match n.checked_ilog2() {
        Some(b) => 1u32.checked_shl(b).unwrap_or(0),
        None => 0,
    }
}

impl<T: Config> Pallet<T> {
    /// Whether `operator` is an active operator of `role`: its own stake is non-zero and at
    /// least the role's minimum.
    pub fn is_active(operator: &T::AccountId, role: Role) -> bool {
        if !Operators::<T>::contains_key(operator, role) {
            return false;
        }
        let own = Self::active_stake_of(operator, operator, role);
        !own.is_zero() && own >= MinStakes::<T>::get(role).operator
    }

    /// The multiplier in force for `operator` in `role`, scaled by `MULTIPLIER_ONE`.
    pub fn multiplier_of(operator: &T::AccountId, role: Role) -> u64 {
        let now = frame_system::Pallet::<T>::block_number();
        match Operators::<T>::get(operator, role).and_then(|i| i.lock) {
            Some(lock) if lock.until > now => lock_multiplier(lock.days),
            _ => MULTIPLIER_ONE,
        }
    }

    /// Current effective weight: pool stake × multiplier, or 0 when inactive.
    pub fn current_weight(operator: &T::AccountId, role: Role) -> u128 {
        if !Self::is_active(operator, role) {
            return 0;
        }
        let stake = Pools::<T>::get(operator, role).map(|p| p.active).unwrap_or_default();
        apply_multiplier(crate::pool::to_u128(stake), Self::multiplier_of(operator, role))
    }

    /// Recomputes an operator's weight and stores it in its slot. Returns the weight.
    pub(crate) fn update_weight(operator: &T::AccountId, role: Role) -> u128 {
        match Operators::<T>::get(operator, role) {
            Some(info) => {
                let weight = Self::current_weight(operator, role);
                Self::set_slot_weight(role, info.slot, weight);
                weight
            },
            None => 0,
        }
    }

    /// Takes a free slot for a new operator: the longest-free slot that has been free for
    /// `SnapshotEras` eras (so that no readable snapshot holds a departed operator's weight in
    /// it), else a slot never used.
    pub(crate) fn allocate_slot(who: &T::AccountId, role: Role) -> Result<u32, DispatchError> {
        let mut free = FreeSlots::<T>::get(role);
        let reusable =
            free.iter().position(|slot| Self::slot_reusable(SlotFreedIn::<T>::get(role, slot)));
        let slot = match reusable {
            Some(index) => {
                let slot = free.remove(index);
                FreeSlots::<T>::insert(role, free);
                SlotFreedIn::<T>::remove(role, slot);
                slot
            },
            None => {
                let used = SlotsUsed::<T>::get(role);
                ensure!(used < T::MaxOperatorsPerRole::get(), Error::<T>::TooManyOperators);
                let slot = used.saturating_add(1);
                SlotsUsed::<T>::insert(role, slot);
                slot
            },
        };
        SlotOwner::<T>::insert(role, slot, who);
        Ok(slot)
    }

    /// Returns a departed operator's slot.
    pub(crate) fn free_slot(role: Role, slot: u32) {
        Self::set_slot_weight(role, slot, 0);
        SlotOwner::<T>::remove(role, slot);
        SlotFreedIn::<T>::insert(role, slot, Self::current_era());
        FreeSlots::<T>::mutate(role, |free| {
            // Cannot overflow: there are at most `MaxOperatorsPerRole` slots.
            let _ = free.try_push(slot);
        });
    }

    /// Sets a slot's weight, updating the Fenwick tree and the total.
    fn set_slot_weight(role: Role, slot: u32, weight: u128) {
        let old = SlotWeight::<T>::get(role, slot);
        if old == weight {
            return;
        }
        Self::note_change(role, WeightKey::Slot(slot), old);
        if weight == 0 {
            SlotWeight::<T>::remove(role, slot);
        } else {
            SlotWeight::<T>::insert(role, slot, weight);
        }
        let increase = weight > old;
        let delta = if increase { weight.saturating_sub(old) } else { old.saturating_sub(weight) };
        TotalWeight::<T>::mutate(role, |t| {
            Self::note_change(role, WeightKey::Total, *t);
            *t = if increase { t.saturating_add(delta) } else { t.saturating_sub(delta) }
        });
        let n = T::MaxOperatorsPerRole::get();
        let mut i = slot;
        while i > 0 && i <= n {
            WeightTree::<T>::mutate(role, i, |v| {
                Self::note_change(role, WeightKey::Node(i), *v);
                *v = if increase { v.saturating_add(delta) } else { v.saturating_sub(delta) }
            });
            i = match i.checked_add(low_bit(i)) {
                Some(next) => next,
                None => break,
            };
        }
    }

    /// Value of Fenwick node `i` at the start of era `era` minus what the overlay removed.
    fn node(role: Role, i: u32, era: u32, removed: &BTreeMap<u32, u128>) -> u128 {
        Self::value_at(role, WeightKey::Node(i), WeightTree::<T>::get(role, i), era)
            .saturating_sub(removed.get(&i).copied().unwrap_or(0))
    }

    /// The slot whose cumulative weight range at the start of era `era` contains `target`
    /// (0-based).
    fn find_slot(role: Role, target: u128, era: u32, removed: &BTreeMap<u32, u128>) -> Option<u32> {
        let n = T::MaxOperatorsPerRole::get();
        let mut pos = 0u32;
        let mut rem = target;
        let mut step = top_bit(n);
        while step > 0 {
            if let Some(next) = pos.checked_add(step) {
                if next <= n {
                    let v = Self::node(role, next, era, removed);
                    if v <= rem {
                        pos = next;
                        rem = rem.saturating_sub(v);
                    }
                }
            }
            step >>= 1;
        }
        pos.checked_add(1).filter(|s| *s <= n)
    }

    /// Removes `weight` at `slot` from the in-memory overlay.
    fn overlay_remove(slot: u32, weight: u128, removed: &mut BTreeMap<u32, u128>) {
        let n = T::MaxOperatorsPerRole::get();
        let mut i = slot;
        while i > 0 && i <= n {
            let e = removed.entry(i).or_insert(0);
            *e = e.saturating_add(weight);
            i = match i.checked_add(low_bit(i)) {
                Some(next) => next,
                None => break,
            };
        }
    }

    /// Draws up to `count` distinct active operators of `role` for a draw whose `seed` may
    /// depend on state from block `fixed_before` on, each with probability proportional to its
    /// draw weight: its weight at the start of [`Self::snapshot_era`], capped by its current
    /// weight. Returns each drawn operator with that weight; nothing without a snapshot.
    ///
    /// Stake moved once the seed could be known cannot raise anyone's chance: the tree is
    /// read as it stood before, and an operator whose weight fell since is accepted with
    /// probability `current / then` (rejection sampling), so its chance only falls. Work is
    /// bounded by `8·count + 32` draws of O(log n) reads each; fewer operators are returned
    /// only when fewer are active (or, with negligible probability, when the bound is reached).
    pub fn do_sample(
        role: Role,
        count: u32,
        seed: [u8; 32],
        fixed_before: BlockNumberFor<T>,
    ) -> Vec<(T::AccountId, u128)> {
        let Some(era) = Self::snapshot_era(fixed_before) else {
            frame_support::defensive!("a draw's snapshot is older than the history kept");
            return Vec::new();
        };
        let count = count.min(T::MaxOperatorsPerRole::get());
        let mut out = Vec::new();
        let mut removed = BTreeMap::new();
        let mut total = Self::value_at(role, WeightKey::Total, TotalWeight::<T>::get(role), era);
        let max_attempts = count.saturating_mul(8).saturating_add(32);
        let mut nonce = 0u32;
        let mut attempts = 0u32;
        while (out.len() as u32) < count && total > 0 && attempts < max_attempts {
            attempts = attempts.saturating_add(1);
            let target = draw(&seed, nonce).checked_rem(total).unwrap_or(0);
            nonce = nonce.saturating_add(1);
            let Some(slot) = Self::find_slot(role, target, era, &removed) else { break };
            let then =
                Self::value_at(role, WeightKey::Slot(slot), SlotWeight::<T>::get(role, slot), era);
            if then == 0 {
                // Only reachable if the tree and the slot weights disagree.
                break;
            }
            let kept = match SlotOwner::<T>::get(role, slot) {
                Some(owner) => {
                    let w = Self::current_weight(&owner, role).min(then);
                    let accept = w >= then || draw(&seed, nonce).checked_rem(then).unwrap_or(0) < w;
                    nonce = nonce.saturating_add(1);
                    if accept {
                        out.push((owner, w));
                        then
                    } else {
                        w
                    }
                },
                None => 0,
            };
            // Remove accepted and dead slots; keep live rejected ones for a redraw.
            if kept == then || kept == 0 {
                Self::overlay_remove(slot, then, &mut removed);
                total = total.saturating_sub(then);
            }
        }
        out
    }

    /// Checks that the Fenwick tree and the total agree with the slot weights.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub(crate) fn check_sampling_tree() -> Result<(), sp_runtime::TryRuntimeError> {
        let n = T::MaxOperatorsPerRole::get();
        for role in Role::ALL {
            let mut sum = 0u128;
            let weights: BTreeMap<u32, u128> = SlotWeight::<T>::iter_prefix(role).collect();
            for (slot, w) in weights.iter() {
                sum = sum.saturating_add(*w);
                ensure!(SlotOwner::<T>::contains_key(role, slot), "weighted slot without owner");
            }
            ensure!(sum == TotalWeight::<T>::get(role), "total weight differs from slot weights");
            for (i, v) in WeightTree::<T>::iter_prefix(role) {
                ensure!(i > 0 && i <= n, "tree node out of range");
                let lo = i.saturating_sub(low_bit(i));
                let expect: u128 = weights.range(lo.saturating_add(1)..=i).map(|(_, w)| *w).sum();
                ensure!(v == expect, "tree node differs from its slots");
            }
            for (slot, owner) in SlotOwner::<T>::iter_prefix(role) {
                let info = Operators::<T>::get(&owner, role).ok_or("slot owner is no operator")?;
                ensure!(info.slot == slot, "operator's slot differs");
            }
        }
        Self::check_histories()
    }
}
