//! The arena's off-chain worker: trains and submits for trainers, scores, commits and reveals
//! for committee members — for every worker key in the node's keystore whose operator has a
//! part in a running task. Training and scoring run in the node's ML engine through the `Ml`
//! host functions; results go back as authorized worker calls.
//!
//! Models are revealed inline (the pallet refuses URIs), so a validator's node never fetches
//! anything a trainer names: no stalls, no selective serving, no requests to internal
//! addresses.
//!
//! Secrets (model parameters and salts, score vectors and salts) are kept in the node's
//! persistent off-chain storage until they are revealed, so a restart between commit and
//! reveal loses nothing. A marker per action stops overlapping runs from submitting twice and
//! retries an action whose transaction did not land after [`RETRY_AFTER`] blocks.
//!
//! Node settings reach the worker through persistent off-chain storage written by the node at
//! start: [`TRAIN_SHARD_KEY`] (which shard of the training data this node's trainers use),
//! [`TRAIN_HYPER_KEY`] (the model settings they fit with — so that different nodes compete
//! with different models). Every engine job names the worker key it runs for; the node's
//! demonstrations of dishonest scoring (development chains only) live in the node, not here.

use crate::{
    pallet::*,
    stage::{Stage, Staged},
    types::*,
    worker::{ModelCommitment, ModelReveal, ScoreCommitment, ScoreReveal},
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::BoundedVec;
use frame_system::{offchain::AppCrypto, pallet_prelude::BlockNumberFor};
use sp_runtime::{
    offchain::storage::StorageValueRef,
    traits::{IdentifyAccount, SaturatedConversion},
    RuntimeAppPublic,
};
use starling_ml_interface::{
    DatasetRef, EvaluateRequest, HyperParams, MlError, ModelFamily, Params, TrainRequest,
};
use starling_primitives::{staking::StakingInterface, Role};
use starling_support::{
    agent::{self, RETRY_AFTER},
    commit_reveal::{content_hash, seal},
};

/// Log target of every line the worker writes.
pub const LOG_TARGET: &str = "starling::arena";

/// Persistent off-chain key of this node's training shard: SCALE `(index: u16, count: u16)`.
pub const TRAIN_SHARD_KEY: &[u8] = b"starling::arena::train-shard";

/// Persistent off-chain key of this node's training settings: SCALE [`HyperParams`]. Its `l2`
/// is the ridge penalty the trainers fit linear tasks with (the parameters keep the task's
/// layout, so an OLS task accepts them) and the regulariser of logistic ones; without it the
/// engine's defaults and the task's own family apply.
pub const TRAIN_HYPER_KEY: &[u8] = b"starling::arena::train-hyper";

/// A trainer's sealed model, kept until it is revealed.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
struct ModelSecret {
    params: Params,
    salt: [u8; 32],
}

/// A committee member's sealed scores, kept until they are revealed.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
struct ScoreSecret {
    scores: Scores,
    salt: [u8; 32],
}

fn storage_key(what: &[u8], task: TaskId, worker: &impl Encode) -> Vec<u8> {
    agent::local_key(b"starling::arena::", what, &task, worker)
}

/// Claims an action for this block unless another run claimed it less than
/// [`RETRY_AFTER`] blocks ago.
fn claim(key: &[u8], now: u32) -> bool {
    agent::take_turn(key, now, RETRY_AFTER)
}

fn submit<T: Config>(call: Call<T>) -> bool {
    agent::submit::<T, Call<T>>(call)
}

/// One run of the worker, at a new best block.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
    let keys = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all();
    if keys.is_empty() {
        return;
    }
    let active = ActiveTasks::<T>::get();
    if active.is_empty() {
        return;
    }
    let block: u32 = now.saturated_into();
    for key in keys {
        let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
            key.into();
        let public: T::Public = generic.into();
        let account: T::AccountId = public.clone().into_account();
        let Some(operator) = T::Staking::operator_of_worker(&account) else { continue };
        for task in active.iter().copied() {
            let Some(record) = Tasks::<T>::get(task) else { continue };
            act::<T>(task, &record, now, block, &public, &operator);
        }
    }
}

fn act<T: Config>(
    task: TaskId,
    record: &TaskOf<T>,
    now: BlockNumberFor<T>,
    block: u32,
    public: &T::Public,
    operator: &T::AccountId,
) {
    // Each window is acted in from the block after it opened (`agent::window_open`).
    let stage = record.stage_at(now);
    let Some((opened, _)) = record.window(stage) else { return };
    if !agent::window_open(opened, now) {
        return;
    }
    match stage {
        Stage::Submission => {
            let submitted = Submissions::<T>::contains_key(task, operator);
            if !submitted && T::Staking::is_active(operator, Role::TrainingNode) {
                train_and_commit::<T>(task, record, block, public, operator);
            }
        },
        Stage::Reveal => {
            let pending = Submissions::<T>::get(task, operator).is_some_and(|s| s.model.is_none());
            if pending {
                reveal_model::<T>(task, block, public);
            }
        },
        Stage::Scoring => {
            let member = Committee::<T>::get(task).into_iter().find(|m| m.validator == *operator);
            if member.is_some_and(|m| m.commitment.is_none()) {
                score_and_commit::<T>(task, record, block, public, operator);
            }
        },
        Stage::ScoreReveal => {
            let member = Committee::<T>::get(task).into_iter().find(|m| m.validator == *operator);
            if member.is_some_and(|m| m.commitment.is_some() && m.scores.is_none()) {
                reveal_scores::<T>(task, block, public);
            }
        },
        Stage::Drawing | Stage::Finalising | Stage::Ended => {},
    }
}

fn train_and_commit<T: Config>(
    task: TaskId,
    record: &TaskOf<T>,
    block: u32,
    public: &T::Public,
    trainer: &T::AccountId,
) {
    if !claim(&storage_key(b"commit-model", task, public), block) {
        return;
    }
    // A retry commits the model and salt of the first attempt (see `agent::secret_or_keep`).
    let Some(secret) = agent::secret_or_keep(&storage_key(b"model", task, public), || {
        let params = train_model::<T>(task, record, public)?;
        Some(ModelSecret { params, salt: agent::fresh_salt() })
    }) else {
        return;
    };
    let hash = content_hash(&secret.params);
    let commitment = seal(&hash, &secret.salt, trainer);
    let payload = ModelCommitment { worker: public.clone(), task, commitment, seq: 1 };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        log::warn!(target: LOG_TARGET, "task {task}: the worker key cannot sign");
        return;
    };
    let ok = submit::<T>(Call::commit_model { payload, signature });
    log::info!(target: LOG_TARGET, "task {task}: committed model {hash:?} (submitted: {ok})");
}

/// Trains this node's model for `task` in the engine: the task's family (ridge with the
/// node's penalty when it sets one), on this node's shard of the public training data.
fn train_model<T: Config>(task: TaskId, record: &TaskOf<T>, public: &T::Public) -> Option<Params> {
    let mut dataset = record.spec.training_data.dataset.clone();
    if let (DatasetRef::BuiltIn { slice, .. }, Ok(Some((index, count)))) =
        (&mut dataset, StorageValueRef::persistent(TRAIN_SHARD_KEY).get::<(u16, u16)>())
    {
        if count > 1 && index < count {
            slice.shard_index = index;
            slice.shard_count = count;
        }
    }
    let settings = StorageValueRef::persistent(TRAIN_HYPER_KEY).get::<HyperParams>().ok().flatten();
    let family = match (record.spec.family, settings) {
        (ModelFamily::LinearOls | ModelFamily::LinearRidge { .. }, Some(hyper)) => {
            ModelFamily::LinearRidge { lambda: hyper.l2 }
        },
        (family, _) => family,
    };
    let request = TrainRequest {
        family,
        schema: record.spec.schema,
        dataset,
        init: None,
        hyper: settings.unwrap_or_default(),
        worker: starling_ml_interface::worker_key(&public.clone().into_account()),
    };
    match starling_ml_interface::train(&request) {
        Ok(trained) => {
            log::info!(target: LOG_TARGET, "task {task}: trained {family:?} on {} rows", trained.rows);
            Some(trained.params)
        },
        Err(error) => {
            log::warn!(target: LOG_TARGET, "task {task}: training failed: {error:?}");
            None
        },
    }
}

fn reveal_model<T: Config>(task: TaskId, block: u32, public: &T::Public) {
    let Some(secret) = agent::secret::<ModelSecret>(&storage_key(b"model", task, public)) else {
        log::warn!(target: LOG_TARGET, "task {task}: no stored model to reveal");
        return;
    };
    if !claim(&storage_key(b"reveal-model", task, public), block) {
        return;
    }
    let payload = ModelReveal {
        worker: public.clone(),
        task,
        model: ModelData::Inline(secret.params),
        salt: secret.salt,
    };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::reveal_model { payload, signature });
    log::info!(target: LOG_TARGET, "task {task}: revealed model (submitted: {ok})");
}

/// The parameters of a revealed submission (always inline: reveals by URI are refused).
fn submission_params<T: Config>(task: TaskId, trainer: &T::AccountId) -> Option<Params> {
    Pallet::<T>::revealed_params(task, trainer)
}

/// The worst score of a metric, for entries the engine could not score.
fn worst_score(higher_is_better: bool) -> i64 {
    if higher_is_better {
        i64::MIN
    } else {
        i64::MAX
    }
}

fn score_and_commit<T: Config>(
    task: TaskId,
    record: &TaskOf<T>,
    block: u32,
    public: &T::Public,
    validator: &T::AccountId,
) {
    let Some(eval) = record.eval_data.clone() else { return };
    if !claim(&storage_key(b"commit-scores", task, public), block) {
        return;
    }
    // A retry commits the scores and salt of the first attempt (see `agent::secret_or_keep`).
    let Some(ScoreSecret { scores, salt }) =
        agent::secret_or_keep(&storage_key(b"scores", task, public), || {
            Some(ScoreSecret {
                scores: score::<T>(task, record, &eval, public),
                salt: agent::fresh_salt(),
            })
        })
    else {
        return;
    };
    let commitment = seal(&scores, &salt, validator);
    let payload = ScoreCommitment { worker: public.clone(), task, commitment };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::commit_scores { payload, signature });
    log::info!(
        target: LOG_TARGET,
        "task {task}: scored {} entries {:?}, committed (submitted: {ok})",
        scores.len(),
        scores.as_slice()
    );
}

/// This node's scores of the task's entries on the published evaluation data, in entry order
/// (the worst score for an entry that cannot be scored); none at all (abstention) when the
/// node's copy of the data does not have the committed content hash.
fn score<T: Config>(
    task: TaskId,
    record: &TaskOf<T>,
    eval: &EvalData,
    public: &T::Public,
) -> Scores {
    let entries = Entries::<T>::get(task);
    let higher_is_better = record.spec.metric.higher_is_better();
    let mut scores: Vec<i64> = Vec::with_capacity(entries.len());
    let mut mismatch = false;
    for entry in entries.iter() {
        let score = submission_params::<T>(task, &entry.trainer)
            .and_then(|params| {
                let request = EvaluateRequest {
                    family: record.spec.family,
                    schema: record.spec.schema,
                    dataset: eval.dataset.clone(),
                    params,
                    metric: record.spec.metric,
                    data_hash: Some(eval.content_hash.0),
                    worker: starling_ml_interface::worker_key(&public.clone().into_account()),
                };
                starling_ml_interface::evaluate(&request)
                    .map_err(|error| {
                        mismatch |= error == MlError::DataHashMismatch;
                        log::warn!(target: LOG_TARGET, "task {task}: evaluation failed: {error:?}")
                    })
                    .ok()
            })
            .map_or(worst_score(higher_is_better), |result| result.score);
        scores.push(score);
    }
    if mismatch {
        // Abstain: commit (and later reveal) no scores at all.
        log::error!(
            target: LOG_TARGET,
            "task {task}: this node's evaluation data does not have the committed content hash \
             {:?}; abstaining",
            eval.content_hash
        );
        scores.clear();
    }
    BoundedVec::truncate_from(scores)
}

fn reveal_scores<T: Config>(task: TaskId, block: u32, public: &T::Public) {
    let Some(secret) = agent::secret::<ScoreSecret>(&storage_key(b"scores", task, public)) else {
        log::warn!(target: LOG_TARGET, "task {task}: no stored scores to reveal");
        return;
    };
    if !claim(&storage_key(b"reveal-scores", task, public), block) {
        return;
    }
    let payload =
        ScoreReveal { worker: public.clone(), task, scores: secret.scores, salt: secret.salt };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::reveal_scores { payload, signature });
    log::info!(target: LOG_TARGET, "task {task}: revealed scores (submitted: {ok})");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn worst_scores_rank_last() {
        assert_eq!(worst_score(true), i64::MIN);
        assert_eq!(worst_score(false), i64::MAX);
    }
}
