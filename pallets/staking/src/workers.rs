//! Worker keys: the hot keys an operator's off-chain workers sign with.
//!
//! An operator registers one worker key (for all its roles) with a proof that it holds the
//! key, and may rotate or remove it. Other pallets' worker calls are `#[pallet::authorize]`
//! transactions: validation calls the read-only [`Pallet::check_worker`] (registered, within
//! the rate limit) and dispatch [`Pallet::note_worker_call`], which returns the operator the
//! worker acts for and counts the call against the operator's budget: at most
//! `WorkerCallsPerWindow` calls per `WorkerRateWindow` blocks, whatever key it uses.
//!
//! Everything a worker key signs names the chain's genesis hash ([`genesis_hash`]), so a
//! signature made for one chain is refused on every other.
//!
//! Every block records whether it had room for worker calls ([`Pallet::note_room`]), so that
//! the products slash silence only when a worker could have been heard ([`Pallet::had_room`]):
//! an honest worker that congestion kept out of every block of its window loses nothing
//! (security review §4).

use crate::{pallet::*, Role};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{dispatch::DispatchClass, ensure, pallet_prelude::*};
use frame_system::{
    ensure_signed,
    pallet_prelude::{BlockNumberFor, OriginFor},
};
use sp_runtime::traits::{One, Saturating, Verify};

/// Domain separator of a worker key's proof of possession.
pub const WORKER_KEY_CONTEXT: &[u8] = b"starling/worker-key/v1";

pub use starling_primitives::genesis_hash;

/// What a worker key signs to prove that `operator` may register it:
/// `SCALE((WORKER_KEY_CONTEXT, operator, genesis hash))`.
pub fn worker_key_message<T: frame_system::Config>(operator: &T::AccountId) -> Vec<u8> {
    (WORKER_KEY_CONTEXT, operator, genesis_hash::<T>()).encode()
}

impl<T: Config> Pallet<T> {
    /// Registers or rotates an operator's worker key, given the key's proof of possession.
    pub(crate) fn do_set_worker(
        who: &T::AccountId,
        worker: T::AccountId,
        proof: &T::WorkerProof,
    ) -> DispatchResult {
        ensure!(
            proof.verify(&worker_key_message::<T>(who)[..], &worker),
            Error::<T>::BadWorkerProof
        );
        Self::register_worker(who, worker)
    }

    /// Registers or rotates `who`'s worker key without a proof of possession: for callers that
    /// hold the key themselves (genesis presets, benchmark helpers, tests of other pallets).
    /// Extrinsics go through `set_worker`, which checks the proof.
    ///
    /// Errors: `NotAnOperator`, `WorkerIsOperator`, `WorkerAlreadyRegistered`.
    pub fn register_worker(who: &T::AccountId, worker: T::AccountId) -> DispatchResult {
        ensure!(
            Role::ALL.iter().any(|role| Operators::<T>::contains_key(who, role)),
            Error::<T>::NotAnOperator
        );
        ensure!(worker != *who, Error::<T>::WorkerIsOperator);
        ensure!(!Workers::<T>::contains_key(&worker), Error::<T>::WorkerAlreadyRegistered);
        let previous = WorkerOf::<T>::get(who);
        if let Some(old) = &previous {
            Workers::<T>::remove(old);
        }
        Workers::<T>::insert(&worker, who);
        WorkerOf::<T>::insert(who, &worker);
        Self::deposit_event(Event::WorkerSet { operator: who.clone(), worker, previous });
        Ok(())
    }

    /// Removes an operator's worker key.
    pub(crate) fn do_remove_worker(who: &T::AccountId) -> DispatchResult {
        let worker = WorkerOf::<T>::take(who).ok_or(Error::<T>::NoWorker)?;
        Workers::<T>::remove(&worker);
        Self::deposit_event(Event::WorkerRemoved { operator: who.clone(), worker });
        Ok(())
    }

    /// The operator `worker` acts for, if it is a registered worker key.
    pub fn operator_of(worker: &T::AccountId) -> Option<T::AccountId> {
        Workers::<T>::get(worker)
    }

    /// Read-only check for transaction validation: the operator `worker` acts for, if it is
    /// registered and has calls left in its rate window.
    ///
    /// Errors: `UnknownWorker`, `WorkerRateLimited`.
    pub fn check_worker(worker: &T::AccountId) -> Result<T::AccountId, DispatchError> {
        let operator = Workers::<T>::get(worker).ok_or(Error::<T>::UnknownWorker)?;
        let now = frame_system::Pallet::<T>::block_number();
        let (start, calls) = WorkerUsage::<T>::get(&operator);
        let window_open = now < start.saturating_add(T::WorkerRateWindow::get());
        ensure!(
            !window_open || calls < T::WorkerCallsPerWindow::get(),
            Error::<T>::WorkerRateLimited
        );
        Ok(operator)
    }

    /// Counts one call by `worker` against its rate limit and returns its operator.
    ///
    /// Errors: `UnknownWorker`, `WorkerRateLimited`.
    pub fn note_worker_call(worker: &T::AccountId) -> Result<T::AccountId, DispatchError> {
        let operator = Self::check_worker(worker)?;
        let now = frame_system::Pallet::<T>::block_number();
        WorkerUsage::<T>::mutate(&operator, |(start, calls)| {
            if now >= start.saturating_add(T::WorkerRateWindow::get()) {
                *start = now;
                *calls = 1;
            } else {
                *calls = calls.saturating_add(1);
            }
        });
        Ok(operator)
    }

    /// For other pallets' worker calls: ensures `origin` is signed by a registered worker
    /// key within its rate limit, counts the call and returns `(worker, operator)`.
    ///
    /// Errors: `BadOrigin`, `UnknownWorker`, `WorkerRateLimited`.
    pub fn ensure_worker(
        origin: OriginFor<T>,
    ) -> Result<(T::AccountId, T::AccountId), DispatchError> {
        let worker = ensure_signed(origin)?;
        let operator = Self::note_worker_call(&worker)?;
        Ok((worker, operator))
    }
}

impl<T: Config> Pallet<T> {
    /// Records whether block `n` ended with room for worker calls: at least a tenth of the
    /// operational class's weight (both parts) and of its length unused. Called at the end
    /// of every block; removes the record that has left the slashable eras.
    pub fn note_room(n: BlockNumberFor<T>) {
        let weights = T::BlockWeights::get();
        let class = weights.get(DispatchClass::Operational);
        let max_weight = class.max_total.unwrap_or(weights.max_block);
        let used_weight =
            *frame_system::Pallet::<T>::block_weight().get(DispatchClass::Operational);
        let max_len = *T::BlockLength::get().max.get(DispatchClass::Operational);
        let used_len = frame_system::Pallet::<T>::block_size();
        let tenth = |max: u64| max / 10;
        let left = max_weight.saturating_sub(used_weight);
        let roomy = left.ref_time() >= tenth(max_weight.ref_time())
            && left.proof_size() >= tenth(max_weight.proof_size())
            && max_len.saturating_sub(used_len) >= max_len / 10;
        let before = RoomyBlocks::<T>::get(n.saturating_sub(One::one())).unwrap_or_default();
        RoomyBlocks::<T>::insert(n, before.saturating_add(u32::from(roomy)));
        let kept = T::EraLength::get().saturating_mul(T::MaxSlashableEras::get().into());
        if n > kept {
            RoomyBlocks::<T>::remove(n.saturating_sub(kept));
        }
    }

    /// Whether any block in `from .. to` had room for worker calls. A window whose record is
    /// missing (older than the slashable eras, or before the record began) counts as having
    /// had room.
    pub fn had_room(from: BlockNumberFor<T>, to: BlockNumberFor<T>) -> bool {
        if to <= from {
            return false;
        }
        let last = to.saturating_sub(One::one());
        let (Some(end), Some(start)) =
            (RoomyBlocks::<T>::get(last), RoomyBlocks::<T>::get(from.saturating_sub(One::one())))
        else {
            return true;
        };
        end > start
    }
}
