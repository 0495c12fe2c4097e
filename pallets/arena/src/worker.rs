//! Worker calls: the payloads trainers' and validators' nodes sign, and their validation.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis hash, kind, payload))` with its worker key. The call is an
//! authorized (fee-free) transaction; validation checks the signature, that the key is a
//! registered worker within its rate limit (staking pallet), and everything the call itself
//! would check, read-only. Dispatch checks the origin, counts the call against the rate limit
//! and applies it.

use crate::{pallet::*, ModelData, Scores, TaskId};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::{
        DispatchError, DispatchResult, InvalidTransaction, TransactionValidityWithRefund,
        ValidTransaction,
    },
    weights::Weight,
};
use frame_system::offchain::AppCrypto;
use pallet_starling_staking::{traits::StakingInterface, workers::calls::invalid};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{IdentifyAccount, Saturating, UniqueSaturatedInto};

/// Domain separator of every signature a worker makes for the arena.
pub const SIGNING_CONTEXT: &[u8] = b"starling/arena/v1";

/// Which worker call a signature is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum CallKind {
    /// [`crate::Pallet::commit_model`].
    CommitModel,
    /// [`crate::Pallet::reveal_model`].
    RevealModel,
    /// [`crate::Pallet::commit_scores`].
    CommitScores,
    /// [`crate::Pallet::reveal_scores`].
    RevealScores,
}

/// What every worker payload has.
pub trait WorkerPayload<Public>: Encode {
    /// The worker key that signed.
    fn worker(&self) -> &Public;
    /// The task it is about.
    fn task(&self) -> TaskId;
    /// Distinguishes otherwise equal transactions in the pool (a sequence number or 0).
    fn nonce(&self) -> u32 {
        0
    }
}

/// A trainer's sealed model.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ModelCommitment<Public> {
    /// The worker key.
    pub worker: Public,
    /// The task.
    pub task: TaskId,
    /// `blake2_256(SCALE((params_hash, salt, trainer)))`.
    pub commitment: H256,
    /// Above the trainer's previous sequence number for this task (first: 1).
    pub seq: u32,
}

/// A trainer's revealed model.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ModelReveal<Public> {
    /// The worker key.
    pub worker: Public,
    /// The task.
    pub task: TaskId,
    /// The model.
    pub model: ModelData,
    /// The salt of the commitment.
    pub salt: [u8; 32],
}

/// A committee member's sealed scores.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ScoreCommitment<Public> {
    /// The worker key.
    pub worker: Public,
    /// The task.
    pub task: TaskId,
    /// `blake2_256(SCALE((scores, salt, validator)))`.
    pub commitment: H256,
}

/// A committee member's revealed scores.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ScoreReveal<Public> {
    /// The worker key.
    pub worker: Public,
    /// The task.
    pub task: TaskId,
    /// One score per entry, in entry order.
    pub scores: Scores,
    /// The salt of the commitment.
    pub salt: [u8; 32],
}

impl<P> WorkerPayload<P> for ModelCommitment<P>
where
    P: Encode,
{
    fn worker(&self) -> &P {
        &self.worker
    }
    fn task(&self) -> TaskId {
        self.task
    }
    fn nonce(&self) -> u32 {
        self.seq
    }
}

impl<P: Encode> WorkerPayload<P> for ModelReveal<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn task(&self) -> TaskId {
        self.task
    }
}

impl<P: Encode> WorkerPayload<P> for ScoreCommitment<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn task(&self) -> TaskId {
        self.task
    }
}

impl<P: Encode> WorkerPayload<P> for ScoreReveal<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn task(&self) -> TaskId {
        self.task
    }
}

/// The bytes a worker signs for `payload`: `SCALE((SIGNING_CONTEXT, genesis hash, kind,
/// payload))`. The genesis hash binds the signature to this chain (no cross-chain replay).
pub fn signing_message<T: frame_system::Config, P: Encode>(kind: CallKind, payload: &P) -> Vec<u8> {
    (SIGNING_CONTEXT, pallet_starling_staking::workers::genesis_hash::<T>(), kind, payload).encode()
}

/// The model commitment `blake2_256(SCALE((params_hash, salt, trainer)))`.
pub fn model_commitment<AccountId: Encode>(
    params_hash: &H256,
    salt: &[u8; 32],
    trainer: &AccountId,
) -> H256 {
    H256(sp_io::hashing::blake2_256(&(params_hash, salt, trainer).encode()))
}

/// The hash of a parameter vector, `blake2_256(SCALE(params))`.
pub fn params_hash(params: &starling_ml_interface::Params) -> H256 {
    H256(sp_io::hashing::blake2_256(&params.encode()))
}

/// The score commitment `blake2_256(SCALE((scores, salt, validator)))`.
pub fn score_commitment<AccountId: Encode>(
    scores: &Scores,
    salt: &[u8; 32],
    validator: &AccountId,
) -> H256 {
    H256(sp_io::hashing::blake2_256(&(scores, salt, validator).encode()))
}

/// The evaluation-data commitment `blake2_256(SCALE((dataset, content_hash, salt)))`.
pub fn eval_commitment(
    dataset: &starling_ml_interface::DatasetRef,
    content_hash: &H256,
    salt: &[u8; 32],
) -> H256 {
    H256(sp_io::hashing::blake2_256(&(dataset, content_hash, salt).encode()))
}

impl<T: Config> Pallet<T> {
    /// Validates a worker call: signature, worker registration and rate limit, then `check`
    /// with the worker's operator.
    pub(crate) fn authorize_worker<P: WorkerPayload<T::Public>>(
        payload: &P,
        signature: &T::Signature,
        kind: CallKind,
        check: impl FnOnce(&T::AccountId) -> DispatchResult,
    ) -> TransactionValidityWithRefund {
        let message = signing_message::<T, _>(kind, payload);
        if !T::AuthorityId::verify(&message, payload.worker().clone(), signature.clone()) {
            return Err(InvalidTransaction::BadProof.into());
        }
        let worker: T::AccountId = payload.worker().clone().into_account();
        let operator =
            T::Staking::check_worker(&worker).map_err(|_| InvalidTransaction::BadSigner)?;
        check(&operator).map_err(invalid)?;
        // Valid until the end of the window the call belongs to (at least a few blocks).
        let now = frame_system::Pallet::<T>::block_number();
        let longevity: u64 = Tasks::<T>::get(payload.task())
            .map(|task| {
                let end = match kind {
                    CallKind::CommitModel => task.submission_end,
                    CallKind::RevealModel => task.reveal_end,
                    CallKind::CommitScores => task.scoring_end,
                    CallKind::RevealScores => task.score_reveal_end,
                };
                end.saturating_sub(now).unique_saturated_into()
            })
            .unwrap_or(1u64)
            .max(1);
        let valid: ValidTransaction = ValidTransaction::with_tag_prefix("StarlingArena")
            .and_provides((kind, payload.task(), operator, payload.nonce()))
            .longevity(longevity)
            .propagate(true)
            .into();
        Ok((valid, Weight::zero()))
    }

    /// Counts a worker call against the worker's rate limit; returns its operator.
    pub(crate) fn note_worker(worker: &T::Public) -> Result<T::AccountId, DispatchError> {
        let account: T::AccountId = worker.clone().into_account();
        T::Staking::note_worker_call(&account)
    }

    /// Whether `signature` is `worker`'s over `payload` (dispatch-time re-check for tests and
    /// benchmarks; validation already checked it).
    pub fn verify_worker_signature<P: WorkerPayload<T::Public>>(
        kind: CallKind,
        payload: &P,
        signature: &T::Signature,
    ) -> bool {
        T::AuthorityId::verify(
            &signing_message::<T, _>(kind, payload),
            payload.worker().clone(),
            signature.clone(),
        )
    }
}
