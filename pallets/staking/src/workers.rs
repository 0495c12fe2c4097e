//! Worker keys: the hot keys an operator's off-chain workers sign with.
//!
//! An operator registers one worker key (for all its roles) and may rotate or remove it.
//! Other pallets accept a worker's call with [`Pallet::ensure_worker`], which returns the
//! operator the worker acts for and counts the call against the worker's rate limit:
//! at most `WorkerCallsPerWindow` calls per `WorkerRateWindow` blocks. Such calls should be
//! fee-free (`Pays::No`) once they pass; their transaction validation should call the
//! read-only [`Pallet::check_worker`] so that unknown or rate-limited workers never reach a
//! block.

use crate::{pallet::*, Role};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::{ensure_signed, pallet_prelude::OriginFor};
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
    /// Registers or rotates an operator's worker key.
    pub(crate) fn do_set_worker(who: &T::AccountId, worker: T::AccountId) -> DispatchResult {
        ensure!(
            Role::ALL.iter().any(|role| Operators::<T>::contains_key(who, role)),
            Error::<T>::NotAnOperator
        );
        ensure!(worker != *who, Error::<T>::WorkerIsOperator);
        ensure!(!Workers::<T>::contains_key(&worker), Error::<T>::WorkerAlreadyRegistered);
        let previous = WorkerOf::<T>::get(who);
        if let Some(old) = &previous {
            Workers::<T>::remove(old);
            WorkerUsage::<T>::remove(old);
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
        WorkerUsage::<T>::remove(&worker);
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
        let (start, calls) = WorkerUsage::<T>::get(worker);
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
        WorkerUsage::<T>::mutate(worker, |(start, calls)| {
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

/// Helpers every pallet with worker calls shares: how a rejected call reads in the
/// transaction pool, and how an off-chain worker avoids resubmitting an action every block.
pub mod calls {
    use frame_support::pallet_prelude::{
        DispatchError, InvalidTransaction, TransactionValidityError,
    };
    use sp_runtime::offchain::storage::{
        MutateStorageError, StorageRetrievalError, StorageValueRef,
    };

    /// A dispatch error as a transaction-validity error: the module error's index as a custom
    /// code, so that a wallet or a log can name the pallet error.
    pub fn invalid(error: DispatchError) -> TransactionValidityError {
        match error {
            DispatchError::Module(module) => {
                InvalidTransaction::Custom(module.error.first().copied().unwrap_or_default()).into()
            },
            DispatchError::BadOrigin => InvalidTransaction::BadSigner.into(),
            _ => InvalidTransaction::Call.into(),
        }
    }

    /// Off-chain workers only: takes the turn to act under `key` at block `now`, unless a run
    /// took it less than `every` blocks ago (a submitted transaction gets that long to land
    /// before the action is tried again). Persistent local storage, so restarts keep it.
    pub fn take_turn(key: &[u8], now: u32, every: u32) -> bool {
        let marker = StorageValueRef::persistent(key);
        let result = marker.mutate(|last: Result<Option<u32>, StorageRetrievalError>| match last {
            Ok(Some(at)) if now < at.saturating_add(every) => Err(()),
            _ => Ok(now),
        });
        !matches!(
            result,
            Err(MutateStorageError::ValueFunctionFailed(()))
                | Err(MutateStorageError::ConcurrentModification(_))
        )
    }
}
