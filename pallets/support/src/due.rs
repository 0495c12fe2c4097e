//! Due-block queues: a pallet keeps, per block, the items (tasks, alliances) that need the
//! chain's attention in that block, so that `on_initialize` looks only at what is due instead
//! of scanning every running item (pallet-referenda's alarms, in small).
//!
//! Each pallet has a `StorageMap<BlockNumber, BoundedVec<Id, Bound>>` and a `next_due(item)`:
//! the block at which the item's stage next changes. When an item is created it is queued at
//! its next due block; `on_initialize` takes the queue of the block, handles each item and
//! queues it again at its new due block — never earlier than the next block, so an item that
//! must wait (for randomness, or because the block's budget of heavy transitions is spent) is
//! looked at again one block later. An ended item is not queued again; a stale entry (an item
//! that ended in between) is skipped when its block comes.

use frame_support::weights::{RuntimeDbWeight, Weight};
use sp_runtime::traits::{One, Saturating};

/// Blocks past a full queue that [`schedule`] tries before it gives up.
pub const MAX_SPILL: u32 = 64;

/// Queues an item at block `at`, or at the first later block whose queue has room (at most
/// [`MAX_SPILL`] blocks later): `push(block)` tries to queue it at `block` (and returns whether
/// it is queued there, also when it already was). Returns the block it is queued at, or
/// `None` when every queue tried is full.
pub fn schedule<B: Copy + Saturating + One>(at: B, mut push: impl FnMut(B) -> bool) -> Option<B> {
    let mut block = at;
    for _ in 0..=MAX_SPILL {
        if push(block) {
            return Some(block);
        }
        block = block.saturating_add(One::one());
    }
    None
}

/// The block to queue an item at after handling it at `now`: its next due block, but never
/// before the next block.
pub fn requeue_at<B: Copy + Ord + Saturating + One>(due: B, now: B) -> B {
    due.max(now.saturating_add(One::one()))
}

/// The migration from scanning to queues: queues each of the `running` items at its next due
/// block (`due_of`), or at `now` when that has passed (this block's `on_initialize` takes it).
/// Returns how many items it looked at.
pub fn queue_running<B: Copy + Ord, I: Copy>(
    running: &[I],
    now: B,
    due_of: impl Fn(I) -> Option<B>,
    mut schedule: impl FnMut(I, B),
) -> u64 {
    for item in running {
        if let Some(due) = due_of(*item) {
            schedule(*item, due.max(now));
        }
    }
    running.len() as u64
}

/// Weight of [`queue_running`] over `items` items, with the version check and update: two
/// reads and a write per item (the record, the queue), two reads and a write besides.
pub fn migration_weight(db: RuntimeDbWeight, items: u64) -> Weight {
    db.reads_writes(items.saturating_mul(2).saturating_add(2), items.saturating_add(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    use super::*;
    use alloc::{vec, vec::Vec};

    #[test]
    fn a_full_block_spills_into_the_next() {
        let mut queues: Vec<Vec<u32>> = vec![vec![1, 2], vec![3], vec![]];
        let at = schedule(0u32, |b| {
            let q = &mut queues[b as usize];
            if q.contains(&9) {
                return true;
            }
            if q.len() < 2 {
                q.push(9);
                true
            } else {
                false
            }
        });
        assert_eq!(at, Some(1));
        assert_eq!(queues[1], vec![3, 9]);
    }

    #[test]
    fn scheduling_gives_up_after_the_spill_limit() {
        let mut tried = 0u32;
        assert_eq!(
            schedule(10u32, |_| {
                tried += 1;
                false
            }),
            None
        );
        assert_eq!(tried, MAX_SPILL + 1);
    }

    #[test]
    fn the_migration_queues_every_running_item_not_before_now() {
        let mut queued: Vec<(u32, u32)> = Vec::new();
        let due_of = |item: u32| if item == 3 { None } else { Some(item * 10) };
        let looked =
            queue_running(&[1, 2, 3, 4], 25u32, due_of, |item, at| queued.push((item, at)));
        assert_eq!(looked, 4);
        assert_eq!(queued, vec![(1, 25), (2, 25), (4, 40)]);
    }

    #[test]
    fn an_item_is_never_requeued_in_the_past() {
        assert_eq!(requeue_at(5u32, 9), 10);
        assert_eq!(requeue_at(15u32, 9), 15);
        assert_eq!(requeue_at(10u32, 9), 10);
    }
}
