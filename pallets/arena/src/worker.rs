//! Worker calls: the payloads trainers' and validators' nodes sign, and their validation.
//!
//! Each payload is a [`WorkerCall`](starling_support::worker_call::WorkerCall): the shared path in `starling_support::worker_call` checks
//! its signature over `SCALE((SIGNING_CONTEXT, genesis hash, kind, payload))`, the worker's
//! registration and rate limit and the checks named here, then applies it.

use crate::{
    pallet::*,
    stage::{Stage, Staged},
    ModelData, Scores, TaskId,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::DispatchError;
use scale_info::TypeInfo;
use sp_core::H256;
use starling_support::worker_call::WorkerPallet;

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

/// A trainer's sealed model.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
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
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
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
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ScoreCommitment<Public> {
    /// The worker key.
    pub worker: Public,
    /// The task.
    pub task: TaskId,
    /// `blake2_256(SCALE((scores, salt, validator)))`.
    pub commitment: H256,
}

/// A committee member's revealed scores.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
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

impl<T: Config> WorkerPallet<T> for Pallet<T> {
    const SIGNING_CONTEXT: &'static [u8] = SIGNING_CONTEXT;
    const TAG_PREFIX: &'static str = "StarlingArena";
    type Kind = CallKind;
    type AuthorityId = T::AuthorityId;
    type Staking = T::Staking;
    fn bad_signature() -> DispatchError {
        Error::<T>::BadWorkerSignature.into()
    }
}

starling_support::worker_calls! {
    ModelCommitment<T::Public> => {
        kind: CallKind::CommitModel,
        tag: (TaskId, u32) = |p| (p.task, p.seq),
        valid_until: |p| Tasks::<T>::get(p.task)?.closes(Stage::Submission),
        check: |operator, p| Pallet::<T>::check_commit_model(operator, p),
        apply: |operator, p| Pallet::<T>::do_commit_model(operator, p),
    };
    ModelReveal<T::Public> => {
        kind: CallKind::RevealModel,
        tag: TaskId = |p| p.task,
        valid_until: |p| Tasks::<T>::get(p.task)?.closes(Stage::Reveal),
        check: |operator, p| Pallet::<T>::check_reveal_model(operator, p),
        apply: |operator, p| Pallet::<T>::do_reveal_model(operator, p),
    };
    ScoreCommitment<T::Public> => {
        kind: CallKind::CommitScores,
        tag: TaskId = |p| p.task,
        valid_until: |p| Tasks::<T>::get(p.task)?.closes(Stage::Scoring),
        check: |operator, p| Pallet::<T>::check_commit_scores(operator, p),
        apply: |operator, p| Pallet::<T>::do_commit_scores(operator, p),
    };
    ScoreReveal<T::Public> => {
        kind: CallKind::RevealScores,
        tag: TaskId = |p| p.task,
        valid_until: |p| Tasks::<T>::get(p.task)?.closes(Stage::ScoreReveal),
        check: |operator, p| Pallet::<T>::check_reveal_scores(operator, p),
        apply: |operator, p| Pallet::<T>::do_reveal_scores(operator, p),
    };
}
