//! Unit tests: every extrinsic and error path, full lifecycles, emission, committee draws, and
//! an off-chain-worker run with the real engine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use crate::{mock::*, pallet::*, types::*, worker::*, Error, Event};
use codec::Encode;
use frame_support::{
    assert_noop, assert_ok,
    pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
    traits::{
        fungible::{Inspect, InspectHold, MutateHold},
        tokens::Precision,
        Authorize,
    },
    BoundedVec,
};
use frame_system::RawOrigin;
use pallet_starling_staking::{Role, SlashReason};
use sp_core::{Pair, H256};
use sp_runtime::{traits::Dispatchable, DispatchError, MultiSignature, Perbill};
use starling_ml_interface::{DatasetRef, LabelKind, Metric, ModelFamily};
use starling_primitives::models::ModelSource;
use starling_support::commit_reveal::{content_hash, seal};

mod creation;
mod finalisation;
mod offchain;
mod scoring;
mod simulation;
mod stage;
mod submission;

const BOUNTY: u64 = 10_000;

const SALT: [u8; 32] = [7; 32];

/// The operator number of a test account.
fn id(account: &AccountId) -> u8 {
    AsRef::<[u8; 32]>::as_ref(account)[0]
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| if let RuntimeEvent::Arena(e) = r.event { Some(e) } else { None })
        .collect()
}

fn bond(n: u8, role: Role, stake: u64) {
    assert_ok!(Staking::bond(
        RuntimeOrigin::signed(acc(n)),
        role,
        stake,
        Perbill::from_percent(10)
    ));
    if pallet_starling_staking::WorkerOf::<Test>::get(acc(n)).is_none() {
        assert_ok!(Staking::set_worker(
            RuntimeOrigin::signed(acc(n)),
            worker_account(n),
            worker_proof(n)
        ));
    }

    // Bonded long before any draw (security review §10 snapshots are tested in staking).
    starling_test_utils::stake_as_of_genesis::<Test>();
}

fn create(creator: u8, window: u64) -> TaskId {
    let id = NextTaskId::<Test>::get();
    let spec =
        TaskSpec { eval_commitment: eval_commitment_by(&acc(creator)), ..diabetes_spec(window, 8) };
    assert_ok!(Arena::create_task(RuntimeOrigin::signed(acc(creator)), spec, BOUNTY));
    id
}

fn worker_call(call: crate::Call<Test>) -> Result<(), DispatchError> {
    authorized_call(call)
}

fn commit_model(
    n: u8,
    task: TaskId,
    p: &starling_ml_interface::Params,
    seq: u32,
) -> Result<(), DispatchError> {
    let commitment = seal(&content_hash(p), &SALT, &acc(n));
    let payload = ModelCommitment { worker: worker(n), task, commitment, seq };
    let signature = sign(n, CallKind::CommitModel, &payload);
    worker_call(crate::Call::commit_model { payload, signature })
}

fn reveal_model(
    n: u8,
    task: TaskId,
    p: &starling_ml_interface::Params,
) -> Result<(), DispatchError> {
    let payload =
        ModelReveal { worker: worker(n), task, model: ModelData::Inline(p.clone()), salt: SALT };
    let signature = sign(n, CallKind::RevealModel, &payload);
    worker_call(crate::Call::reveal_model { payload, signature })
}

fn scores(values: &[i64]) -> Scores {
    BoundedVec::truncate_from(values.to_vec())
}

fn commit_scores(n: u8, task: TaskId, s: &Scores) -> Result<(), DispatchError> {
    let payload = ScoreCommitment { worker: worker(n), task, commitment: seal(s, &SALT, &acc(n)) };
    let signature = sign(n, CallKind::CommitScores, &payload);
    worker_call(crate::Call::commit_scores { payload, signature })
}

fn reveal_scores(n: u8, task: TaskId, s: &Scores) -> Result<(), DispatchError> {
    let payload = ScoreReveal { worker: worker(n), task, scores: s.clone(), salt: SALT };
    let signature = sign(n, CallKind::RevealScores, &payload);
    worker_call(crate::Call::reveal_scores { payload, signature })
}

fn publish(creator: u8, task: TaskId) {
    assert_ok!(Arena::publish_eval_data(
        RuntimeOrigin::signed(acc(creator)),
        task,
        eval_data(),
        eval_hash(),
        EVAL_SALT
    ));
}

/// Trainers 1, 2, 3 (stakes 1000, 2000, 3000), validators 11..=14 (stake 1000 each).
fn operators() {
    for (n, stake) in [(1u8, 1_000u64), (2, 2_000), (3, 3_000)] {
        bond(n, Role::TrainingNode, stake);
    }
    for n in 11..=14u8 {
        bond(n, Role::Validator, 1_000);
    }
}

/// Runs a task to the scoring phase with trainers 1..=3 committing params(1), params(2),
/// params(3); returns the task and its committee.
fn to_scoring() -> (TaskId, Vec<u8>) {
    operators();
    task_to_scoring()
}

/// With the operators in place: creates a task at the current block (window 10), has trainers
/// 1..=3 commit and reveal params(1..=3) and publishes the evaluation data; returns the task
/// in its reveal window (block 11 for a task created at block 1; the draw is at block 16).
fn task_to_draw() -> TaskId {
    let task = create(20, 10);
    for n in 1..=3u8 {
        assert_ok!(commit_model(n, task, &params(i64::from(n)), 1));
    }
    run_to_block(11);
    for n in 1..=3u8 {
        assert_ok!(reveal_model(n, task, &params(i64::from(n))));
    }
    publish(20, task);
    task
}

/// [`task_to_draw`], then runs to the committee draw (block 16 for a task created at block 1);
/// returns the task and its committee.
fn task_to_scoring() -> (TaskId, Vec<u8>) {
    let task = task_to_draw();
    run_to_block(16);
    let committee: Vec<u8> =
        Committee::<Test>::get(task).iter().map(|m| id(&m.validator)).collect();
    (task, committee)
}

trait EncodeToVec {
    fn encode_to_vec(&self) -> Vec<u8>;
}

impl EncodeToVec for u32 {
    fn encode_to_vec(&self) -> Vec<u8> {
        codec::Encode::encode(self)
    }
}
