//! Worker calls: the payloads trainers' and validators' nodes sign, and their validation.
//!
//! Each payload is a [`WorkerCall`]: the shared path in `starling_support::worker_call` checks
//! its signature over `SCALE((SIGNING_CONTEXT, genesis hash, kind, payload))`, the worker's
//! registration and rate limit and the checks named here, then applies it.

use crate::{
    pallet::*,
    stage::{Stage, Staged},
    ModelData, Scores, TaskId,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::{DispatchError, DispatchResult};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_core::H256;
use starling_support::worker_call::{WorkerCall, WorkerPallet};

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

impl<T: Config> WorkerCall<T> for ModelCommitment<T::Public> {
    type Pallet = Pallet<T>;
    type Tag = (TaskId, u32);
    fn kind() -> CallKind {
        CallKind::CommitModel
    }
    fn worker(&self) -> &T::Public {
        &self.worker
    }
    fn tag(&self) -> Self::Tag {
        (self.task, self.seq)
    }
    fn window_end(&self) -> Option<BlockNumberFor<T>> {
        Tasks::<T>::get(self.task)?.closes(Stage::Submission)
    }
    fn check(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::check_commit_model(operator, self)
    }
    fn apply(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::do_commit_model(operator, self)
    }
}

impl<T: Config> WorkerCall<T> for ModelReveal<T::Public> {
    type Pallet = Pallet<T>;
    type Tag = TaskId;
    fn kind() -> CallKind {
        CallKind::RevealModel
    }
    fn worker(&self) -> &T::Public {
        &self.worker
    }
    fn tag(&self) -> Self::Tag {
        self.task
    }
    fn window_end(&self) -> Option<BlockNumberFor<T>> {
        Tasks::<T>::get(self.task)?.closes(Stage::Reveal)
    }
    fn check(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::check_reveal_model(operator, self).map(|_| ())
    }
    fn apply(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::do_reveal_model(operator, self)
    }
}

impl<T: Config> WorkerCall<T> for ScoreCommitment<T::Public> {
    type Pallet = Pallet<T>;
    type Tag = TaskId;
    fn kind() -> CallKind {
        CallKind::CommitScores
    }
    fn worker(&self) -> &T::Public {
        &self.worker
    }
    fn tag(&self) -> Self::Tag {
        self.task
    }
    fn window_end(&self) -> Option<BlockNumberFor<T>> {
        Tasks::<T>::get(self.task)?.closes(Stage::Scoring)
    }
    fn check(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::check_commit_scores(operator, self).map(|_| ())
    }
    fn apply(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::do_commit_scores(operator, self)
    }
}

impl<T: Config> WorkerCall<T> for ScoreReveal<T::Public> {
    type Pallet = Pallet<T>;
    type Tag = TaskId;
    fn kind() -> CallKind {
        CallKind::RevealScores
    }
    fn worker(&self) -> &T::Public {
        &self.worker
    }
    fn tag(&self) -> Self::Tag {
        self.task
    }
    fn window_end(&self) -> Option<BlockNumberFor<T>> {
        Tasks::<T>::get(self.task)?.closes(Stage::ScoreReveal)
    }
    fn check(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::check_reveal_scores(operator, self).map(|_| ())
    }
    fn apply(&self, operator: &T::AccountId) -> DispatchResult {
        Pallet::<T>::do_reveal_scores(operator, self)
    }
}
