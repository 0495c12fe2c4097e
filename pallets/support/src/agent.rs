//! The off-chain agent: what every product pallet's off-chain worker shares.
//!
//! A worker acts for each of its node's worker keys; an action submitted at one block must not
//! be submitted again every block while its transaction waits in the pool. [`take_turn`]
//! records, in the node's persistent off-chain storage, when an action was last taken, so a
//! retry comes [`RETRY_AFTER`] blocks later at the earliest, also across restarts.
//!
//! A commitment's secret is kept under a [`local_key`] with [`keep_secret`] until the reveal
//! reads it back with [`secret`]; a payload is signed with [`sign`] (the one signing message of
//! [`crate::worker_call`]) and handed to the pool with [`submit`].

use crate::{
    commit_reveal::Salt,
    worker_call::{message, WorkerCall, WorkerPallet},
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_system::offchain::{
    AppCrypto, CreateAuthorizedTransaction, SigningTypes, SubmitTransaction,
};
use sp_runtime::offchain::storage::{MutateStorageError, StorageRetrievalError, StorageValueRef};

/// Blocks a submitted worker transaction gets to land before the action is tried again.
pub const RETRY_AFTER: u32 = 3;

/// Whether a window that opened at block `opened` is open to a worker at block `now`: from
/// the block *after* the one that opened it. The node that authored the opening block runs
/// its worker first, as soon as it imported its own block; a call gossiped then reaches peers
/// that have not imported that block yet, which find it invalid (the window is not open on
/// their best block) and ban it, so that neither it nor an identical retry ever lands there —
/// an honest worker that acted at once could end up silent, and slashed. One block later every
/// peer has had a slot to import the opening block.
pub fn window_open<N: PartialOrd>(opened: N, now: N) -> bool {
    now > opened
}

/// Off-chain workers only: takes the turn to act under `key` at block `now`, unless a run
/// took it less than `every` blocks ago. Persistent local storage, so restarts keep it.
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

/// A fresh 32-byte salt for a commitment, from the node's randomness.
pub fn fresh_salt() -> Salt {
    sp_io::offchain::random_seed()
}

/// The node-local key of one action or secret of a worker: `SCALE((prefix, what, subject,
/// worker))`, e.g. `(b"starling::arena::", b"model", task, worker)`.
pub fn local_key(
    prefix: &[u8],
    what: &[u8],
    subject: &impl Encode,
    worker: &impl Encode,
) -> Vec<u8> {
    (prefix, what, subject, worker).encode()
}

/// Keeps a sealed secret (what a commitment hides, and its salt) in the node's persistent
/// off-chain storage until it is revealed, so a restart between commit and reveal loses
/// nothing.
pub fn keep_secret<V: Encode>(key: &[u8], secret: &V) {
    StorageValueRef::persistent(key).set(secret);
}

/// The secret kept under `key`, if there is one and it decodes.
pub fn secret<V: Decode>(key: &[u8]) -> Option<V> {
    StorageValueRef::persistent(key).get::<V>().ok().flatten()
}

/// The secret kept under `key` or, when there is none yet, the one `make` returns, kept now.
/// A commitment is made from the secret, so a retry resubmits the commitment of the first
/// attempt: with a fresh salt on each try, the node would later reveal a secret that does not
/// open the commitment that landed, and be slashed as silent or rejected (security review §3).
pub fn secret_or_keep<V: Encode + Decode>(
    key: &[u8],
    make: impl FnOnce() -> Option<V>,
) -> Option<V> {
    if let Some(kept) = secret::<V>(key) {
        return Some(kept);
    }
    let made = make()?;
    keep_secret(key, &made);
    Some(made)
}

/// Signs `payload` with its worker key from the node's keystore (`None` if the keystore does
/// not hold the key).
pub fn sign<T: SigningTypes, C: WorkerCall<T>>(payload: &C) -> Option<T::Signature> {
    <<C::Pallet as WorkerPallet<T>>::AuthorityId as AppCrypto<T::Public, T::Signature>>::sign(
        &message::<T, C>(payload),
        payload.worker().clone(),
    )
}

/// Submits `call` as an authorized (fee-free) transaction to the node's pool; whether the pool
/// took it.
pub fn submit<T, Call>(call: Call) -> bool
where
    T: CreateAuthorizedTransaction<Call>,
{
    let xt = T::create_authorized_transaction(call.into());
    SubmitTransaction::<T, Call>::submit_transaction(xt).is_ok()
}
