//! The alliance's off-chain worker. For every worker key in the node's keystore whose operator
//! is a participant of a running alliance:
//!
//! * **proposer**: trains from the current global model on the participant's own training
//!   split (with the alliance's proximal term), commits the sealed update, and reveals it
//!   after the commit window;
//! * **voter**: scores the global model and every revealed update on all of the participant's
//!   own rows (training and test split), decides a ballot per update (approve when the loss
//!   does not grow by more than the alliance's slack), commits the sealed ballots in the vote
//!   window and reveals them after it. Every one of those rows is held out from the update being judged (its
//!   proposer trained on other data), and all of them, rather than the test split alone,
//!   make the comparison less noisy: on a ~18-row split, a sign-flipped update near
//!   convergence can look no worse than an honest one.
//!
//! Every action is logged (target [`LOG_TARGET`]). Private data never leaves the node: only
//! parameters, sample counts and approval bits go on-chain (the loss change a voter measured
//! on its own rows decides its vote and is logged locally, never published).
//!
//! Settings live in the node's persistent off-chain storage, per worker key (set through the
//! `offchain_localStorageSet` RPC) or for the whole node (set by node flags):
//! [`SHARD_KEY`] — which shard of a built-in dataset this participant holds (demos). Every
//! engine job names the worker key it runs for; the node's demonstrations of poisoning
//! participants (development chains only) live in the node, not here.

use crate::{
    pallet::*,
    stage::{Stage, Staged},
    types::*,
    worker::{BallotCommitment, BallotReveal, UpdateCommitment, UpdateReveal},
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
    DatasetRef, EvaluateRequest, HyperParams, Params, Role, Slice, Split, TrainRequest,
};
use starling_support::{
    agent::{self, RETRY_AFTER},
    commit_reveal::seal,
};

/// Log target of every line the worker writes.
pub const LOG_TARGET: &str = "starling::alliance";

/// Persistent off-chain key of a participant's shard of a built-in dataset: SCALE
/// `(index: u16, count: u16)`, stored under `(SHARD_KEY, worker account)` or, for every worker
/// of the node, under `SHARD_KEY` alone.
pub const SHARD_KEY: &[u8] = b"starling::alliance::shard";

#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
struct UpdateSecret {
    params: Params,
    samples: u32,
    salt: [u8; 32],
}

#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
struct BallotSecret<AccountId> {
    ballots: Ballots<AccountId>,
    salt: [u8; 32],
}

fn storage_key(what: &[u8], alliance: AllianceId, round: u32, worker: &impl Encode) -> Vec<u8> {
    agent::local_key(b"starling::alliance::", what, &(alliance, round), worker)
}

/// Claims an action for this block unless another run claimed it less than [`RETRY_AFTER`]
/// blocks ago.
fn claim(key: &[u8], now: u32) -> bool {
    agent::take_turn(key, now, RETRY_AFTER)
}

/// A per-worker setting, else the node's.
fn setting<V: Decode>(key: &[u8], worker: &impl Encode) -> Option<V> {
    StorageValueRef::persistent(&(key, worker).encode())
        .get::<V>()
        .ok()
        .flatten()
        .or_else(|| StorageValueRef::persistent(key).get::<V>().ok().flatten())
}

/// The participant's rows of the alliance's data: its training split, test split or all.
pub fn participant_data<AccountId: Encode>(
    data: &AllianceData,
    worker: &AccountId,
    split: Split,
) -> Option<DatasetRef> {
    match data {
        AllianceData::BuiltIn { dataset, seed, test_permille } => {
            let (shard_index, shard_count) =
                setting::<(u16, u16)>(SHARD_KEY, worker).unwrap_or((0, 1));
            Some(DatasetRef::BuiltIn {
                dataset: *dataset,
                slice: Slice {
                    seed: *seed,
                    split,
                    test_permille: *test_permille,
                    shard_index,
                    shard_count,
                },
            })
        },
        AllianceData::Local { id, test_permille } => {
            let worker: [u8; 32] = worker.encode().try_into().ok()?;
            Some(DatasetRef::Local {
                id: id.clone(),
                worker,
                role: Role::FlParticipant,
                slice: Slice {
                    seed: 0,
                    split,
                    test_permille: *test_permille,
                    shard_index: 0,
                    shard_count: 1,
                },
            })
        },
    }
}

fn submit<T: Config>(call: Call<T>) -> bool {
    agent::submit::<T, Call<T>>(call)
}

/// One run of the worker, at a new best block.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
    let active = ActiveAlliances::<T>::get();
    if active.is_empty() {
        return;
    }
    let keys = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all();
    let block: u32 = now.saturated_into();
    for key in keys {
        let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
            key.into();
        let public: T::Public = generic.into();
        let account: T::AccountId = public.clone().into_account();
        let Some(operator) = <T::Staking as starling_primitives::staking::StakingInterface<
            T::AccountId,
        >>::operator_of_worker(&account) else {
            continue;
        };
        for alliance in active.iter().copied() {
            let Some(record) = Alliances::<T>::get(alliance) else { continue };
            let Some(roles) = Roles::<T>::get(alliance) else { continue };
            if record.phase != Phase::Round {
                continue;
            }
            let is_proposer = roles.proposers.iter().any(|(a, _)| *a == operator);
            let is_voter = roles.voters.iter().any(|(a, _)| *a == operator);
            // Each window is acted in from the block after it opened (`agent::window_open`).
            let stage = record.stage_at(now);
            let Some((opened, _)) = record.window(stage) else { continue };
            if !agent::window_open(opened, now) {
                continue;
            }
            match stage {
                Stage::Propose
                    if is_proposer && !Updates::<T>::contains_key(alliance, &operator) =>
                {
                    propose::<T>(alliance, &record, block, &public, &account, &operator);
                },
                Stage::RevealUpdates if is_proposer => {
                    let pending =
                        Updates::<T>::get(alliance, &operator).is_some_and(|u| u.params.is_none());
                    if pending {
                        reveal::<T>(alliance, record.round, block, &public);
                    }
                },
                Stage::Vote
                    if is_voter && !SealedBallots::<T>::contains_key(alliance, &operator) =>
                {
                    vote::<T>(alliance, &record, block, &public, &account, &operator);
                },
                Stage::RevealBallots if is_voter => {
                    let pending = SealedBallots::<T>::contains_key(alliance, &operator)
                        && !Votes::<T>::contains_key(alliance, &operator);
                    if pending {
                        reveal_ballots::<T>(alliance, record.round, block, &public);
                    }
                },
                _ => {},
            }
        }
    }
}

fn propose<T: Config>(
    alliance: AllianceId,
    record: &AllianceOf<T>,
    block: u32,
    public: &T::Public,
    account: &T::AccountId,
    proposer: &T::AccountId,
) {
    let round = record.round;
    if !claim(&storage_key(b"commit", alliance, round, public), block) {
        return;
    }
    // A retry commits the update and salt of the first attempt (see `agent::secret_or_keep`).
    let Some(UpdateSecret { params, samples, salt }) =
        agent::secret_or_keep(&storage_key(b"update", alliance, round, public), || {
            let (params, samples) = train_update::<T>(alliance, record, account)?;
            Some(UpdateSecret { params, samples, salt: agent::fresh_salt() })
        })
    else {
        return;
    };
    let commitment = seal(&(&params, samples), &salt, proposer);
    let payload = UpdateCommitment { worker: public.clone(), alliance, round, commitment };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::commit_update { payload, signature });
    log::info!(
        target: LOG_TARGET,
        "alliance {alliance} round {round}: committed an update on {samples} rows (submitted: {ok})"
    );
}

/// Trains from the alliance's current global model on this participant's training rows;
/// the parameters and the number of rows.
fn train_update<T: Config>(
    alliance: AllianceId,
    record: &AllianceOf<T>,
    account: &T::AccountId,
) -> Option<(Params, u32)> {
    let round = record.round;
    let dataset = participant_data(&record.spec.data, account, Split::Train)?;
    let request = TrainRequest {
        family: record.spec.family,
        schema: record.spec.schema,
        dataset,
        init: Some(record.global.clone()),
        hyper: HyperParams { l2: record.spec.proximal, ..HyperParams::default() },
        worker: starling_ml_interface::worker_key(account),
    };
    match starling_ml_interface::train(&request) {
        Ok(trained) => Some((trained.params, trained.rows)),
        Err(error) => {
            log::warn!(target: LOG_TARGET, "alliance {alliance} round {round}: training failed: {error:?}");
            None
        },
    }
}

fn reveal<T: Config>(alliance: AllianceId, round: u32, block: u32, public: &T::Public) {
    let Some(secret) =
        agent::secret::<UpdateSecret>(&storage_key(b"update", alliance, round, public))
    else {
        log::warn!(target: LOG_TARGET, "alliance {alliance} round {round}: no stored update to reveal");
        return;
    };
    if !claim(&storage_key(b"reveal", alliance, round, public), block) {
        return;
    }
    let payload = UpdateReveal {
        worker: public.clone(),
        alliance,
        round,
        params: secret.params,
        samples: secret.samples,
        salt: secret.salt,
    };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::reveal_update { payload, signature });
    log::info!(target: LOG_TARGET, "alliance {alliance} round {round}: revealed update (submitted: {ok})");
}

fn vote<T: Config>(
    alliance: AllianceId,
    record: &AllianceOf<T>,
    block: u32,
    public: &T::Public,
    account: &T::AccountId,
    voter: &T::AccountId,
) {
    let round = record.round;
    if !claim(&storage_key(b"vote", alliance, round, public), block) {
        return;
    }
    // A retry commits the ballots and salt of the first attempt (see `agent::secret_or_keep`).
    let Some(BallotSecret { ballots, salt }) =
        agent::secret_or_keep(&storage_key(b"ballots", alliance, round, public), || {
            let ballots = judge::<T>(alliance, record, account)?;
            Some(BallotSecret { ballots, salt: agent::fresh_salt() })
        })
    else {
        return;
    };
    let commitment = seal(&ballots, &salt, voter);
    let payload = BallotCommitment { worker: public.clone(), alliance, round, commitment };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::commit_ballots { payload, signature });
    log::info!(
        target: LOG_TARGET,
        "alliance {alliance} round {round}: committed sealed ballots on {} updates (submitted: {ok})",
        ballots.len()
    );
}

fn reveal_ballots<T: Config>(alliance: AllianceId, round: u32, block: u32, public: &T::Public) {
    let Some(secret) = agent::secret::<BallotSecret<T::AccountId>>(&storage_key(
        b"ballots", alliance, round, public,
    )) else {
        log::warn!(target: LOG_TARGET, "alliance {alliance} round {round}: no stored ballots to reveal");
        return;
    };
    if !claim(&storage_key(b"reveal-ballots", alliance, round, public), block) {
        return;
    }
    let payload = BallotReveal {
        worker: public.clone(),
        alliance,
        round,
        ballots: secret.ballots,
        salt: secret.salt,
    };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::reveal_ballots { payload, signature });
    log::info!(target: LOG_TARGET, "alliance {alliance} round {round}: revealed ballots (submitted: {ok})");
}

/// Scores the global model and every revealed update on this participant's rows; a ballot
/// per update (`None` when there is nothing to judge or the engine failed).
fn judge<T: Config>(
    alliance: AllianceId,
    record: &AllianceOf<T>,
    account: &T::AccountId,
) -> Option<Ballots<T::AccountId>> {
    let round = record.round;
    // The participant's rows: its training split and its test split (a shard of the whole
    // table would cut across other participants' shards).
    let train = participant_data(&record.spec.data, account, Split::Train)?;
    let test = participant_data(&record.spec.data, account, Split::Test)?;
    let metric = loss_metric(record.spec.schema.label);
    // The mean loss over both splits: each split's mean weighted by its rows.
    let loss = |params: &Params| -> Option<i64> {
        let (mut sum, mut rows) = (0i128, 0i128);
        for dataset in [&train, &test] {
            let request = EvaluateRequest {
                family: record.spec.family,
                schema: record.spec.schema,
                dataset: dataset.clone(),
                params: params.clone(),
                metric,
                data_hash: None,
                worker: starling_ml_interface::worker_key(account),
            };
            let result = starling_ml_interface::evaluate(&request)
                .map_err(|e| {
                    log::warn!(target: LOG_TARGET, "alliance {alliance}: evaluation failed: {e:?}")
                })
                .ok()?;
            sum = sum
                .saturating_add(i128::from(result.score).saturating_mul(i128::from(result.rows)));
            rows = rows.saturating_add(i128::from(result.rows));
        }
        sum.checked_div(rows).map(|mean| mean.saturated_into::<i64>())
    };
    let before = loss(&record.global)?;
    let limit = before.saturating_add(
        record.spec.approve_slack.mul_floor(before.unsigned_abs()).saturated_into::<i64>(),
    );
    let mut ballots: Vec<Ballot<T::AccountId>> = Vec::new();
    // (approve, loss change) per ballot, for this node's log only: the loss change measured on
    // the participant's private rows never goes on-chain, only the approval bit does.
    let mut summary: Vec<(bool, i64)> = Vec::new();
    for (proposer, update) in Updates::<T>::iter_prefix(alliance) {
        let Some(params) = update.params else { continue };
        let after = loss(&params).unwrap_or(i64::MAX);
        let approve = after <= limit;
        summary.push((approve, after.saturating_sub(before)));
        ballots.push(Ballot { proposer, approve });
    }
    if ballots.is_empty() {
        return None;
    }
    log::info!(
        target: LOG_TARGET,
        "alliance {alliance} round {round}: global loss {before}, ballots (approve, loss change) {summary:?}"
    );
    Some(BoundedVec::truncate_from(ballots))
}
