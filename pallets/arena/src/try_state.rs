//! The arena's invariants, checked by `try_state` and after every test.

use crate::{pallet::*, Phase, TaskId};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::{traits::Saturating, TryRuntimeError};

impl<T: Config> Pallet<T> {
    /// Checks that:
    /// - the running set holds exactly the tasks that have not ended, each once, and every
    ///   task id is below `NextTaskId`;
    /// - an ended task keeps no per-submission storage (submissions, entries, committee);
    /// - each creator's `Bounty` and `Deposit` holds equal the bounties and deposits of its
    ///   running tasks;
    /// - `DueTasks` holds exactly the running tasks, each once (a running task missing would
    ///   never be looked at again; an ended one would crowd a block's queue).
    pub fn do_try_state() -> Result<(), TryRuntimeError> {
        let active = ActiveTasks::<T>::get();
        let next = NextTaskId::<T>::get();
        let mut running = 0usize;
        let mut held: BTreeMap<T::AccountId, (BalanceOf<T>, BalanceOf<T>)> = BTreeMap::new();
        for (id, task) in Tasks::<T>::iter() {
            ensure!(id < next, "a task id at or above NextTaskId");
            let ended = matches!(task.phase, Phase::Finalised | Phase::Cancelled(_));
            ensure!(active.contains(&id) != ended, "the running set and the phase disagree");
            if ended {
                ensure!(
                    Submissions::<T>::iter_prefix(id).next().is_none(),
                    "an ended task keeps submissions"
                );
                ensure!(!Entries::<T>::contains_key(id), "an ended task keeps entries");
                ensure!(!Committee::<T>::contains_key(id), "an ended task keeps a committee");
            } else {
                running = running.saturating_add(1);
                let (bounty, deposit) = held.entry(task.creator.clone()).or_default();
                *bounty = bounty.saturating_add(task.bounty);
                *deposit = deposit.saturating_add(task.deposit);
            }
        }
        ensure!(running == active.len(), "the running set names a task twice or a missing task");
        let mut queued: BTreeMap<TaskId, u32> = BTreeMap::new();
        for (_, queue) in DueTasks::<T>::iter() {
            for task in queue {
                let times = queued.entry(task).or_default();
                *times = times.saturating_add(1);
            }
        }
        for task in active.iter() {
            ensure!(queued.contains_key(task), "a running task is not queued in DueTasks");
        }
        for (task, times) in queued {
            ensure!(active.contains(&task), "DueTasks holds a task that is not running");
            ensure!(times == 1, "DueTasks holds a task more than once");
        }
        for (creator, (bounty, deposit)) in held {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Bounty.into(), &creator) == bounty,
                "a creator's bounty hold differs from its running tasks' bounties"
            );
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Deposit.into(), &creator) == deposit,
                "a creator's deposit hold differs from its running tasks' deposits"
            );
        }
        Ok(())
    }
}
