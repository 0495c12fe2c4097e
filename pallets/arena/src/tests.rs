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
}

fn create(creator: u8, window: u64) -> TaskId {
    let id = NextTaskId::<Test>::get();
    assert_ok!(Arena::create_task(
        RuntimeOrigin::signed(acc(creator)),
        diabetes_spec(window, 8),
        BOUNTY
    ));
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
    let commitment = model_commitment(&params_hash(p), &SALT, &acc(n));
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
    let payload = ScoreCommitment {
        worker: worker(n),
        task,
        commitment: score_commitment(s, &SALT, &acc(n)),
    };
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
    let task = create(20, 10);
    for n in 1..=3u8 {
        assert_ok!(commit_model(n, task, &params(i64::from(n)), 1));
    }
    run_to_block(11);
    for n in 1..=3u8 {
        assert_ok!(reveal_model(n, task, &params(i64::from(n))));
    }
    publish(20, task);
    run_to_block(16);
    let committee: Vec<u8> =
        Committee::<Test>::get(task).iter().map(|m| id(&m.validator)).collect();
    (task, committee)
}

#[test]
fn create_task_holds_bounty_and_deposit() {
    new_test_ext().execute_with(|| {
        let task = create(20, 10);
        assert_eq!(Balances::balance_on_hold(&HoldReason::Bounty.into(), &acc(20)), BOUNTY);
        assert_eq!(Balances::balance_on_hold(&HoldReason::Deposit.into(), &acc(20)), 50);
        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(record.phase, Phase::Submission);
        assert_eq!(
            (record.submission_end, record.reveal_end, record.scoring_end, record.score_reveal_end),
            (11, 16, 21, 26)
        );
        assert!(events().contains(&Event::TaskCreated {
            task,
            creator: acc(20),
            bounty: BOUNTY,
            deposit: 50,
            submission_end: 11
        }));
        assert_eq!(ActiveTasks::<Test>::get().to_vec(), vec![task]);
    });
}

/// The invariant check sees a hold that no longer matches the running tasks, a running task
/// missing from the running set, and an ended task that kept its submissions.
#[test]
fn try_state_detects_broken_invariants() {
    new_test_ext().into_inner().execute_with(|| {
        let task = create(20, 10);
        assert_ok!(Arena::do_try_state());
        let reason: RuntimeHoldReason = HoldReason::Bounty.into();
        assert_ok!(Balances::release(&reason, &acc(20), 1, Precision::Exact));
        assert!(Arena::do_try_state().is_err(), "bounty hold below the task's bounty");
        assert_ok!(Balances::hold(&reason, &acc(20), 1));
        assert_ok!(Arena::do_try_state());
        ActiveTasks::<Test>::kill();
        assert!(Arena::do_try_state().is_err(), "a running task outside the running set");
        ActiveTasks::<Test>::mutate(|active| active.try_push(task).unwrap());
        Tasks::<Test>::mutate(task, |t| t.as_mut().unwrap().phase = Phase::Finalised);
        ActiveTasks::<Test>::kill();
        Submissions::<Test>::insert(
            task,
            acc(1),
            Submission {
                commitment: H256::zero(),
                seq: 1,
                order: 0,
                committed_at: 1,
                weight: 1,
                model: None,
                params_hash: None,
            },
        );
        assert!(Arena::do_try_state().is_err(), "an ended task with submissions");
    });
}

#[test]
fn create_task_rejects_bad_input() {
    new_test_ext().execute_with(|| {
        let origin = || RuntimeOrigin::signed(acc(20));
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(10, 8), 99),
            Error::<Test>::BountyTooLow
        );
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(4, 8), BOUNTY),
            Error::<Test>::SubmissionWindowOutOfBounds
        );
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(101, 8), BOUNTY),
            Error::<Test>::SubmissionWindowOutOfBounds
        );
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(10, 0), BOUNTY),
            Error::<Test>::InvalidMaxSubmissions
        );
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(10, MAX_SUBMISSIONS + 1), BOUNTY),
            Error::<Test>::InvalidMaxSubmissions
        );
        let mut spec = diabetes_spec(10, 8);
        spec.schema.features = 0;
        assert_noop!(
            Arena::create_task(origin(), spec.clone(), BOUNTY),
            Error::<Test>::InvalidSchema
        );
        spec.schema.features = MAX_FEATURES + 1;
        assert_noop!(Arena::create_task(origin(), spec, BOUNTY), Error::<Test>::InvalidSchema);
        let mut spec = diabetes_spec(10, 8);
        spec.family = ModelFamily::LogisticBinary;
        assert_noop!(
            Arena::create_task(origin(), spec, BOUNTY),
            Error::<Test>::FamilyDoesNotFitSchema
        );
        let mut spec = diabetes_spec(10, 8);
        spec.schema.label = LabelKind::Classes(3);
        spec.family = ModelFamily::LogisticMultinomial { classes: 3 };
        assert_noop!(
            Arena::create_task(origin(), spec, BOUNTY),
            Error::<Test>::MetricDoesNotFitSchema
        );
        let mut spec = diabetes_spec(10, 8);
        spec.metric = Metric::Accuracy;
        assert_noop!(
            Arena::create_task(origin(), spec, BOUNTY),
            Error::<Test>::MetricDoesNotFitSchema
        );
        let mut spec = diabetes_spec(10, 8);
        spec.training_data.dataset = DatasetRef::Local {
            id: BoundedVec::truncate_from(b"hospital".to_vec()),
            worker: [1; 32],
            slice: starling_ml_interface::Slice::ALL,
        };
        assert_noop!(
            Arena::create_task(origin(), spec, BOUNTY),
            Error::<Test>::PrivateTrainingData
        );
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(10, 8), ENDOWMENT),
            Error::<Test>::InsufficientFunds
        );
        assert_noop!(
            Arena::create_task(RuntimeOrigin::signed(acc(77)), diabetes_spec(10, 8), BOUNTY),
            Error::<Test>::InsufficientFunds
        );
        for _ in 0..4 {
            create(20, 10);
        }
        assert_noop!(
            Arena::create_task(origin(), diabetes_spec(10, 8), BOUNTY),
            Error::<Test>::TooManyActiveTasks
        );
    });
}

#[test]
fn creator_cancels_an_empty_task() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_noop!(
            Arena::cancel_task(RuntimeOrigin::signed(acc(21)), task),
            Error::<Test>::NotCreator
        );
        assert_noop!(
            Arena::cancel_task(RuntimeOrigin::signed(acc(20)), 9),
            Error::<Test>::TaskNotFound
        );
        assert_ok!(Arena::cancel_task(RuntimeOrigin::signed(acc(20)), task));
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::ByCreator)
        );
        assert_noop!(
            Arena::cancel_task(RuntimeOrigin::signed(acc(20)), task),
            Error::<Test>::TaskEnded
        );

        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_noop!(
            Arena::cancel_task(RuntimeOrigin::signed(acc(20)), task),
            Error::<Test>::TaskHasSubmissions
        );
        let task = create(20, 5);
        run_to_block(7);
        assert_noop!(
            Arena::cancel_task(RuntimeOrigin::signed(acc(20)), task),
            Error::<Test>::SubmissionWindowClosed
        );
    });
}

#[test]
fn verify_task_needs_the_verify_origin() {
    new_test_ext().execute_with(|| {
        let task = create(20, 10);
        assert_noop!(
            Arena::verify_task(RuntimeOrigin::signed(acc(20)), task),
            DispatchError::BadOrigin
        );
        assert_noop!(Arena::verify_task(RuntimeOrigin::root(), 5), Error::<Test>::TaskNotFound);
        assert_ok!(Arena::verify_task(RuntimeOrigin::root(), task));
        assert!(Tasks::<Test>::get(task).unwrap().verified);
        assert!(events().contains(&Event::TaskVerified { task }));
        assert_noop!(
            Arena::verify_task(RuntimeOrigin::root(), task),
            Error::<Test>::AlreadyVerified
        );
        assert_ok!(Arena::cancel_task(RuntimeOrigin::signed(acc(20)), task));
        assert_noop!(Arena::verify_task(RuntimeOrigin::root(), task), Error::<Test>::TaskEnded);
    });
}

#[test]
fn set_params_is_governed_and_checked() {
    new_test_ext().execute_with(|| {
        let mut params = DefaultParams::get();
        params.committee_size = 5;
        assert_noop!(
            Arena::set_params(RuntimeOrigin::signed(acc(1)), params),
            DispatchError::BadOrigin
        );
        assert_ok!(Arena::set_params(RuntimeOrigin::root(), params));
        assert_eq!(Parameters::<Test>::get().committee_size, 5);
        for bad in [
            ArenaParams { committee_size: 0, ..params },
            ArenaParams { committee_size: MAX_COMMITTEE + 1, ..params },
            ArenaParams { min_submission_window: 200, ..params },
            ArenaParams { reveal_window: 0, ..params },
            ArenaParams { gamma: Perbill::from_percent(60), ..params },
        ] {
            assert_noop!(
                Arena::set_params(RuntimeOrigin::root(), bad),
                Error::<Test>::InvalidParams
            );
        }
    });
}

#[test]
fn worker_calls_are_fee_free_and_checked_before_the_pool() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        // The worker key has no funds at all.
        assert_eq!(Balances::balance(&worker_account(1)), 0);
        let commitment = model_commitment(&params_hash(&params(1)), &SALT, &acc(1));
        let payload = ModelCommitment { worker: worker(1), task, commitment, seq: 1 };
        // Signed by someone else: bad proof.
        let forged = sign(2, CallKind::CommitModel, &payload);
        let call =
            crate::Call::<Test>::commit_model { payload: payload.clone(), signature: forged };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        // Signed for another call kind: bad proof too.
        let wrong_kind = sign(1, CallKind::CommitScores, &payload);
        let call =
            crate::Call::<Test>::commit_model { payload: payload.clone(), signature: wrong_kind };
        assert!(matches!(call.authorize(TransactionSource::External), Some(Err(_))));
        assert_noop!(
            RuntimeCall::Arena(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        // Not a registered worker: bad signer.
        let payload = ModelCommitment { worker: worker(30), task, commitment, seq: 1 };
        let signature = sign(30, CallKind::CommitModel, &payload);
        let call = crate::Call::<Test>::commit_model { payload, signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadSigner)))
        );
        // Only the authorized origin may dispatch.
        let payload = ModelCommitment { worker: worker(1), task, commitment, seq: 1 };
        let signature = sign(1, CallKind::CommitModel, &payload);
        assert_noop!(
            Arena::commit_model(RuntimeOrigin::signed(worker_account(1)), payload, signature),
            DispatchError::BadOrigin
        );
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(Balances::balance(&worker_account(1)), 0);
    });
}

#[test]
fn commit_model_rules() {
    new_test_ext().execute_with(|| {
        operators();
        bond(4, Role::Validator, 1_000);
        let task = NextTaskId::<Test>::get();
        assert_ok!(Arena::create_task(
            RuntimeOrigin::signed(acc(20)),
            diabetes_spec(10, 2),
            BOUNTY
        ));
        assert_eq!(commit_model(1, 9, &params(1), 1), Err(Error::<Test>::TaskNotFound.into()));
        // validator 4's worker: its operator is no trainer
        assert_eq!(commit_model(4, task, &params(1), 1), Err(Error::<Test>::NotATrainer.into()));
        assert_eq!(commit_model(1, task, &params(1), 0), Err(Error::<Test>::StaleSequence.into()));
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(commit_model(1, task, &params(5), 1), Err(Error::<Test>::StaleSequence.into()));
        // replacing keeps one live submission
        assert_ok!(commit_model(1, task, &params(5), 2));
        assert_eq!(Tasks::<Test>::get(task).unwrap().submissions, 1);
        assert_eq!(Submissions::<Test>::get(task, acc(1)).unwrap().seq, 2);
        assert_ok!(commit_model(2, task, &params(2), 1));
        assert_eq!(commit_model(3, task, &params(3), 1), Err(Error::<Test>::TaskFull.into()));
        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(record.trainer_weight, 3_000);
        run_to_block(11);
        assert_eq!(
            commit_model(1, task, &params(1), 3),
            Err(Error::<Test>::SubmissionWindowClosed.into())
        );
    });
}

#[test]
fn reveal_model_rules() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::RevealNotOpen.into()));
        run_to_block(11);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Reveal);
        assert_eq!(reveal_model(2, task, &params(2)), Err(Error::<Test>::NoSubmission.into()));
        let short = starling_ml_interface::Params::truncate_from(vec![1; 3]);
        assert_eq!(reveal_model(1, task, &short), Err(Error::<Test>::WrongParamCount.into()));
        assert_eq!(
            reveal_model(1, task, &params(9)),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
        assert_ok!(reveal_model(1, task, &params(1)));
        assert!(events().contains(&Event::ModelRevealed {
            task,
            trainer: acc(1),
            params_hash: params_hash(&params(1))
        }));
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::AlreadyRevealed.into()));
        // a URI reveal is checked by its hash
        run_to_block(16);
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::TaskEnded.into()));
    });
}

#[test]
fn late_model_reveal_is_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_ok!(commit_model(2, task, &params(2), 1));
        run_to_block(11);
        assert_ok!(reveal_model(2, task, &params(2)));
        publish(20, task);
        // Reveal window closes at 16; the on_initialize of 16 draws the committee.
        NO_RANDOMNESS.with(|n| n.set(true));
        run_to_block(16);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Reveal);
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::RevealClosed.into()));
        // with randomness back, the next block draws it
        NO_RANDOMNESS.with(|n| n.set(false));
        run_to_block(17);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Scoring);
        assert_eq!(Entries::<Test>::get(task).len(), 1);
    });
}

/// Security review §5 and L7: a model behind a URI is refused at reveal, so no committee
/// member's node ever fetches from an address a trainer controls.
#[test]
fn model_revealed_by_uri_is_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        run_to_block(11);
        let uri: Uri = BoundedVec::truncate_from(b"http://10.0.0.1/model.scale".to_vec());
        // Even with the hash the commitment was made over.
        let by_uri = ModelReveal {
            worker: worker(1),
            task,
            model: ModelData::Uri { uri, params_hash: params_hash(&params(1)) },
            salt: SALT,
        };
        let signature = sign(1, CallKind::RevealModel, &by_uri);
        assert_eq!(
            worker_call(crate::Call::reveal_model { payload: by_uri, signature }),
            Err(Error::<Test>::ModelMustBeInline.into())
        );
        assert_ok!(reveal_model(1, task, &params(1)));
    });
}

/// Security review §1 (variant C): the committee publishes scores measured on the evaluation
/// data, so the data must be public; a node-local dataset is refused at publication.
#[test]
fn local_evaluation_data_is_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let local = DatasetRef::Local {
            id: BoundedVec::truncate_from(b"clinic-visits".to_vec()),
            worker: [7; 32],
            slice: starling_ml_interface::Slice::ALL,
        };
        let id = NextTaskId::<Test>::get();
        let mut spec = diabetes_spec(10, 8);
        spec.eval_commitment = eval_commitment(&local, &eval_hash(), &EVAL_SALT);
        assert_ok!(Arena::create_task(RuntimeOrigin::signed(acc(20)), spec, BOUNTY));
        run_to_block(11);
        assert_noop!(
            Arena::publish_eval_data(
                RuntimeOrigin::signed(acc(20)),
                id,
                local,
                eval_hash(),
                EVAL_SALT
            ),
            Error::<Test>::EvaluationDataMustBePublic
        );
    });
}

/// Security review L10: task ids never wrap around onto an existing task.
#[test]
fn task_ids_never_wrap() {
    new_test_ext().execute_with(|| {
        operators();
        NextTaskId::<Test>::put(u32::MAX);
        assert_noop!(
            Arena::create_task(RuntimeOrigin::signed(acc(20)), diabetes_spec(10, 8), BOUNTY),
            Error::<Test>::TaskIdsExhausted
        );
        NextTaskId::<Test>::put(u32::MAX - 1);
        assert_ok!(Arena::create_task(
            RuntimeOrigin::signed(acc(20)),
            diabetes_spec(10, 8),
            BOUNTY
        ));
        assert_eq!(NextTaskId::<Test>::get(), u32::MAX);
    });
}

/// Security review L4: a worker payload signed for another chain (another genesis hash) is
/// refused, in the pool and in a block.
#[test]
fn worker_payloads_signed_for_another_chain_are_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        let payload = ModelCommitment {
            worker: worker(1),
            task,
            commitment: model_commitment(&params_hash(&params(1)), &SALT, &acc(1)),
            seq: 1,
        };
        let elsewhere =
            (SIGNING_CONTEXT, H256::repeat_byte(0x42), CallKind::CommitModel, &payload).encode();
        let signature = MultiSignature::Sr25519(worker_pair(1).sign(&elsewhere));
        let call = crate::Call::commit_model { payload: payload.clone(), signature };
        assert!(call.authorize(TransactionSource::External).expect("authorized").is_err());
        assert!(worker_call(call).is_err());
        let signature = sign(1, CallKind::CommitModel, &payload);
        assert_ok!(worker_call(crate::Call::commit_model { payload, signature }));
    });
}

/// Security review §2: a lock over the creator's whole balance (a conviction vote, say)
/// cannot keep the bounty from trainers and validators: it moves out of the hold by force.
#[test]
fn a_locked_creator_still_pays_the_bounty() {
    use frame_support::traits::{LockableCurrency, WithdrawReasons};
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let total = Balances::total_balance(&acc(20));
        <Balances as LockableCurrency<AccountId>>::set_lock(
            *b"pyconvot",
            &acc(20),
            total,
            WithdrawReasons::all(),
        );
        let honest = scores(&[3_000_000, 2_000_000, 1_000_000]);
        for n in &committee {
            assert_ok!(commit_scores(*n, task, &honest));
        }
        run_to_block(21);
        for n in &committee {
            assert_ok!(reveal_scores(*n, task, &honest));
        }
        let creator_total = Balances::total_balance(&acc(20));
        run_to_block(26);
        let result = Results::<Test>::get(task).unwrap();
        assert_eq!(result.pool, BOUNTY);
        let paid: u64 = result.ranking.iter().map(|r| r.reward).sum::<u64>()
            + result.committee.iter().map(|j| j.reward).sum::<u64>();
        assert_eq!(paid + result.to_treasury, BOUNTY);
        assert!(result.ranking.iter().all(|r| r.reward > 0));
        // The creator lost exactly the bounty (its deposit came back).
        assert_eq!(Balances::total_balance(&acc(20)), creator_total - BOUNTY);
        assert!(!events().iter().any(|e| matches!(e, Event::BountyShort { .. })));
    });
}

#[test]
fn publish_eval_data_rules() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        let publish = |n: u8, hash: H256, salt: [u8; 32]| {
            Arena::publish_eval_data(RuntimeOrigin::signed(acc(n)), task, eval_data(), hash, salt)
        };
        let publish_as = |n: u8, salt: [u8; 32]| publish(n, eval_hash(), salt);
        assert_noop!(publish_as(20, EVAL_SALT), Error::<Test>::RevealNotOpen);
        run_to_block(11);
        assert_noop!(publish_as(21, EVAL_SALT), Error::<Test>::NotCreator);
        assert_noop!(publish_as(20, [0; 32]), Error::<Test>::EvalDataDoesNotMatchCommit);
        // The same location with another content hash is another commitment.
        assert_noop!(
            publish(20, H256::repeat_byte(1), EVAL_SALT),
            Error::<Test>::EvalDataDoesNotMatchCommit
        );
        assert_ok!(publish_as(20, EVAL_SALT));
        assert_noop!(publish_as(20, EVAL_SALT), Error::<Test>::EvalDataAlreadyPublished);
        assert!(events().contains(&Event::EvalDataPublished {
            task,
            dataset: eval_data(),
            content_hash: eval_hash()
        }));
    });
}

#[test]
fn unpublished_eval_data_cancels_and_forfeits_the_deposit() {
    new_test_ext().execute_with(|| {
        operators();
        let treasury_before = Balances::balance(&treasury());
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        run_to_block(11);
        assert_ok!(reveal_model(1, task, &params(1)));
        run_to_block(16);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::EvalDataNotPublished)
        );
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT - 50);
        assert_eq!(Balances::balance(&treasury()) - treasury_before, 50);
        assert!(events().contains(&Event::DepositForfeited { task, amount: 50 }));
        assert!(Submissions::<Test>::iter_prefix(task).next().is_none());
        assert!(ActiveTasks::<Test>::get().is_empty());
        let publish = Arena::publish_eval_data(
            RuntimeOrigin::signed(acc(20)),
            task,
            eval_data(),
            eval_hash(),
            EVAL_SALT,
        );
        assert_noop!(publish, Error::<Test>::TaskEnded);
    });
}

#[test]
fn no_reveals_or_no_validators_cancel_with_refund() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        run_to_block(11);
        publish(20, task);
        run_to_block(16);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::NoSubmissions)
        );
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
    });
    new_test_ext().execute_with(|| {
        bond(1, Role::TrainingNode, 1_000);
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        run_to_block(11);
        assert_ok!(reveal_model(1, task, &params(1)));
        publish(20, task);
        run_to_block(16);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::NoCommittee)
        );
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
    });
}

#[test]
fn committee_excludes_the_tasks_trainers() {
    new_test_ext().execute_with(|| {
        // operator 1 is also a validator, but it trains in this task
        bond(1, Role::Validator, 5_000);
        let (task, committee) = to_scoring();
        assert_eq!(committee.len(), 3);
        assert!(!committee.contains(&1));
        assert!(committee.iter().all(|n| (11..=14).contains(n)));
        assert_eq!(Entries::<Test>::get(task).len(), 3);
    });
}

#[test]
fn committee_draws_follow_stake() {
    new_test_ext().execute_with(|| {
        let mut params = DefaultParams::get();
        params.committee_size = 1;
        assert_ok!(Arena::set_params(RuntimeOrigin::root(), params));
        // validators 11..=14 with stakes 1000, 2000, 3000, 4000
        for (i, n) in (11..=14u8).enumerate() {
            bond(n, Role::Validator, 1_000 * (i as u64 + 1));
        }
        let mut counts = [0u32; 4];
        let draws = 4_000u32;
        for seed in 0..draws {
            let seed = sp_io::hashing::blake2_256(&seed.encode_to_vec());
            let committee = Arena::draw_committee(0, seed, 0, 100);
            let n = id(&committee[0].validator);
            counts[usize::from(n - 11)] += 1;
        }
        // expected 10 %, 20 %, 30 %, 40 %: within 3 percentage points
        for (i, count) in counts.iter().enumerate() {
            let expected = f64::from(draws) * (i as f64 + 1.0) / 10.0;
            let share = (f64::from(*count) - expected).abs() / f64::from(draws);
            assert!(share < 0.03, "validator {i}: {count} of {draws} draws, expected ≈{expected}");
        }
    });
}

trait EncodeToVec {
    fn encode_to_vec(&self) -> Vec<u8>;
}
impl EncodeToVec for u32 {
    fn encode_to_vec(&self) -> Vec<u8> {
        codec::Encode::encode(self)
    }
}

#[test]
fn score_commit_and_reveal_rules() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let member = committee[0];
        let outsider = (11..=14u8).find(|n| !committee.contains(n)).unwrap();
        let s = scores(&[10, 20, 30]);
        assert_eq!(reveal_scores(member, task, &s), Err(Error::<Test>::ScoreRevealNotOpen.into()));
        assert_eq!(commit_scores(outsider, task, &s), Err(Error::<Test>::NotInCommittee.into()));
        assert_ok!(commit_scores(member, task, &s));
        assert_eq!(
            commit_scores(member, task, &s),
            Err(Error::<Test>::ScoresAlreadyCommitted.into())
        );
        run_to_block(21);
        assert_eq!(commit_scores(committee[1], task, &s), Err(Error::<Test>::ScoringClosed.into()));
        assert_eq!(
            reveal_scores(committee[1], task, &s),
            Err(Error::<Test>::NoScoreCommitment.into())
        );
        assert_eq!(reveal_scores(outsider, task, &s), Err(Error::<Test>::NotInCommittee.into()));
        assert_eq!(
            reveal_scores(member, task, &scores(&[10, 20])),
            Err(Error::<Test>::WrongScoreCount.into())
        );
        assert_eq!(
            reveal_scores(member, task, &scores(&[10, 20, 31])),
            Err(Error::<Test>::ScoreRevealDoesNotMatchCommit.into())
        );
        assert_ok!(reveal_scores(member, task, &s));
        assert_eq!(
            reveal_scores(member, task, &s),
            Err(Error::<Test>::ScoresAlreadyRevealed.into())
        );
    });
}

#[test]
fn scoring_not_open_before_the_committee_exists() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        let s = scores(&[1]);
        assert_eq!(commit_scores(11, task, &s), Err(Error::<Test>::ScoringNotOpen.into()));
    });
}

#[test]
fn late_score_reveal_is_refused_and_slashed() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let s = scores(&[3_000_000, 2_000_000, 1_000_000]);
        for n in &committee {
            assert_ok!(commit_scores(*n, task, &s));
        }
        run_to_block(21);
        assert_ok!(reveal_scores(committee[0], task, &s));
        assert_ok!(reveal_scores(committee[1], task, &s));
        run_to_block(25);
        // the window ends at 26: the hook of block 26 finalises
        run_to_block(26);
        assert_eq!(reveal_scores(committee[2], task, &s), Err(Error::<Test>::TaskEnded.into()));
        let result = Results::<Test>::get(task).unwrap();
        let silent = result.committee.iter().find(|j| j.validator == acc(committee[2])).unwrap();
        assert_eq!(silent.verdict, Verdict::Silent);
        assert_eq!(silent.slashed, 100); // 10 % of 1000
    });
}

#[test]
fn abstaining_majority_cancels_the_task_as_disputed() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let treasury_before = Balances::balance(&treasury());
        let (none, s) = (scores(&[]), scores(&[3_000_000, 2_000_000, 1_000_000]));
        // Two equal members abstain, the third stays silent.
        for n in &committee[..2] {
            assert_ok!(commit_scores(*n, task, &none));
        }
        run_to_block(21);
        for n in &committee[..2] {
            assert_ok!(reveal_scores(*n, task, &none));
        }
        assert_eq!(
            reveal_scores(committee[2], task, &s),
            Err(Error::<Test>::NoScoreCommitment.into())
        );
        run_to_block(26);
        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(record.phase, Phase::Cancelled(CancelReason::EvalDataDisputed));
        assert!(Results::<Test>::get(task).is_none());
        // The creator's deposit is forfeited, the bounty returned.
        assert!(events().contains(&Event::DepositForfeited { task, amount: 50 }));
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT - 50);
        // The treasury gets the deposit and the silent member's slash (10 % of 1000).
        assert_eq!(Balances::balance(&treasury()) - treasury_before, 50 + 100);
        // Only the silent member is slashed.
        let slashed: Vec<AccountId> = events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Slashed { operator, reason: SlashReason::ValidatorSilent, .. } => {
                    Some(operator)
                },
                _ => None,
            })
            .collect();
        assert_eq!(slashed, vec![acc(committee[2])]);
    });
}

#[test]
fn an_abstaining_minority_is_slashed_like_a_silent_member() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let (none, s) = (scores(&[]), scores(&[3_000_000, 2_000_000, 1_000_000]));
        assert_ok!(commit_scores(committee[0], task, &none));
        for n in &committee[1..] {
            assert_ok!(commit_scores(*n, task, &s));
        }
        run_to_block(21);
        assert_ok!(reveal_scores(committee[0], task, &none));
        for n in &committee[1..] {
            assert_ok!(reveal_scores(*n, task, &s));
        }
        run_to_block(26);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Finalised);
        let result = Results::<Test>::get(task).unwrap();
        let verdict = |n: u8| result.committee.iter().find(|j| j.validator == acc(n)).unwrap();
        assert_eq!(verdict(committee[0]).verdict, Verdict::Abstained);
        assert_eq!(verdict(committee[0]).slashed, 100); // the silent rate: 10 % of 1000
        assert_eq!(verdict(committee[0]).reward, 0);
        for n in &committee[1..] {
            assert!(matches!(verdict(*n).verdict, Verdict::Agreed { .. }));
        }
        // Consensus comes from the scoring members alone (the lowest MSE ranks first).
        assert_eq!(
            result.ranking.iter().map(|r| r.score).collect::<Vec<_>>(),
            vec![1_000_000, 2_000_000, 3_000_000]
        );
    });
}

#[test]
fn score_reveal_after_the_window_is_refused() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let s = scores(&[3_000_000, 2_000_000, 1_000_000]);
        assert_ok!(commit_scores(committee[0], task, &s));
        run_to_block(25);
        // Block 26 before its hook has run: the window is over, the task not yet finalised.
        System::set_block_number(26);
        assert_eq!(
            reveal_scores(committee[0], task, &s),
            Err(Error::<Test>::ScoreRevealClosed.into())
        );
    });
}

mod conservation {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Whatever the stakes and the revealed scores (honest, lying or silent), and whatever
        /// lock the creator puts on its account (up to all of it: security review §2),
        /// finalisation pays out exactly the pool: rewards plus the treasury's share equal the
        /// bounty, no balance is created, and the arena keeps nothing but its existential
        /// deposit.
        #[test]
        fn finalisation_conserves_value(
            stakes in prop::collection::vec(100u64..50_000, 3),
            validator_stakes in prop::collection::vec(100u64..50_000, 4),
            reveals in prop::collection::vec(prop::option::of(prop::collection::vec(0i64..10_000_000, 3)), 3),
            bounty in 100u64..1_000_000,
            lock_permille in 0u64..=1_000,
        ) {
            new_test_ext().execute_with(|| {
                for (i, stake) in stakes.iter().enumerate() {
                    bond(i as u8 + 1, Role::TrainingNode, *stake);
                }
                for (i, stake) in validator_stakes.iter().enumerate() {
                    bond(i as u8 + 11, Role::Validator, *stake);
                }
                let issuance = Balances::total_issuance();
                let payout = Arena::payout_account();
                let payout_before = Balances::balance(&payout);
                let treasury_before = Balances::balance(&treasury());
                let task = NextTaskId::<Test>::get();
                assert_ok!(Arena::create_task(RuntimeOrigin::signed(acc(20)), diabetes_spec(10, 8), bounty));
                for n in 1..=3u8 {
                    assert_ok!(commit_model(n, task, &params(i64::from(n)), 1));
                }
                run_to_block(11);
                for n in 1..=3u8 {
                    assert_ok!(reveal_model(n, task, &params(i64::from(n))));
                }
                publish(20, task);
                let lock = Balances::total_balance(&acc(20)) / 1_000 * lock_permille;
                <Balances as frame_support::traits::LockableCurrency<AccountId>>::set_lock(
                    *b"pyconvot",
                    &acc(20),
                    lock,
                    frame_support::traits::WithdrawReasons::all(),
                );
                run_to_block(16);
                let committee: Vec<u8> = Committee::<Test>::get(task).iter().map(|m| id(&m.validator)).collect();
                for (n, reveal) in committee.iter().zip(&reveals) {
                    if let Some(values) = reveal {
                        assert_ok!(commit_scores(*n, task, &scores(values)));
                    }
                }
                run_to_block(21);
                for (n, reveal) in committee.iter().zip(&reveals) {
                    if let Some(values) = reveal {
                        assert_ok!(reveal_scores(*n, task, &scores(values)));
                    }
                }
                run_to_block(26);
                prop_assert_eq!(Balances::total_issuance(), issuance);
                prop_assert_eq!(Balances::balance(&payout), payout_before);
                let slashed: u64 = System::events()
                    .into_iter()
                    .filter_map(|r| match r.event {
                        RuntimeEvent::Staking(pallet_starling_staking::Event::SlashPaid { amount, .. }) => Some(amount),
                        _ => None,
                    })
                    .sum();
                match Results::<Test>::get(task) {
                    Some(result) => {
                        let paid: u64 = result.ranking.iter().map(|r| r.reward).sum::<u64>()
                            + result.committee.iter().map(|j| j.reward).sum::<u64>();
                        prop_assert_eq!(paid + result.to_treasury, bounty);
                        prop_assert_eq!(result.pool, bounty);
                        // What the events report paid is what the result records.
                        let reported: u64 = events()
                            .into_iter()
                            .filter_map(|e| match e {
                                Event::Rewarded { amount, .. } => Some(amount),
                                _ => None,
                            })
                            .sum();
                        prop_assert_eq!(reported, paid);
                        prop_assert_eq!(Balances::balance(&treasury()) - treasury_before, result.to_treasury + slashed);
                    },
                    None => {
                        // nobody revealed: cancelled, bounty back to the creator
                        prop_assert!(reveals.iter().all(|r| r.is_none()));
                        prop_assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
                    },
                }
                Ok(())
            })?;
        }
    }
}

/// The full lifecycle: three trainers, a committee of three with one liar; ranking, rewards
/// by the formula, slashes, conservation, cleanup.
#[test]
fn full_lifecycle_pays_by_the_formula() {
    new_test_ext().execute_with(|| {
        let issuance = Balances::total_issuance();
        let treasury_before = Balances::balance(&treasury());
        let (task, committee) = to_scoring();
        // MSE: trainer 3 best, then 2, then 1.
        let honest = scores(&[3_000_000, 2_000_000, 1_000_000]);
        let liar = scores(&[9_000_000, 9_000_000, 9_000_000]);
        let (liar_n, honest_n) = (committee[0], &committee[1..]);
        assert_ok!(commit_scores(liar_n, task, &liar));
        for n in honest_n {
            assert_ok!(commit_scores(*n, task, &honest));
        }
        run_to_block(21);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::ScoreReveal);
        assert_ok!(reveal_scores(liar_n, task, &liar));
        for n in honest_n {
            assert_ok!(reveal_scores(*n, task, &honest));
        }
        let creator_before = Balances::balance(&acc(20)) + BOUNTY + 50;
        run_to_block(26);

        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(record.phase, Phase::Finalised);
        let result = Results::<Test>::get(task).unwrap();
        let ranking: Vec<(u8, i64)> =
            result.ranking.iter().map(|r| (id(&r.trainer), r.score)).collect();
        assert_eq!(ranking, vec![(3, 1_000_000), (2, 2_000_000), (1, 3_000_000)]);

        // T = 6000 (trainer stakes), S = 3000 (committee): R_trainers = R·(0.1 + 0.8·6000/9000)
        let (to_trainers, to_validators) =
            crate::math::split_pool(u128::from(BOUNTY), Perbill::from_percent(10), 6_000, 3_000);
        assert_eq!((to_trainers, to_validators), (6_333, 3_667));
        assert_eq!(result.trainers_pool, 6_333);
        // geometric 1 : 1/2 : 1/4 of 6333
        let rewards: Vec<u64> = result.ranking.iter().map(|r| r.reward).collect();
        assert_eq!(rewards, vec![3_618, 1_809, 904]);
        // honest validators share 3667 equally; the liar is slashed 20 % of 1000
        let liar_judged = result.committee.iter().find(|j| j.validator == acc(liar_n)).unwrap();
        assert_eq!(
            (liar_judged.verdict, liar_judged.slashed, liar_judged.reward),
            (Verdict::Deviated, 200, 0)
        );
        for n in honest_n {
            let j = result.committee.iter().find(|j| j.validator == acc(*n)).unwrap();
            assert_eq!(j.verdict, Verdict::Agreed { agreement: Perbill::one() });
            assert_eq!(j.reward, 1_833);
        }
        // Everything paid adds up to the pool; dust to the treasury.
        let paid: u64 = rewards.iter().sum::<u64>() + 2 * 1_833;
        assert_eq!(paid + result.to_treasury, BOUNTY);
        // The treasury received the dust and the slash (with the liar's rounding loss).
        let slash_paid: u64 = System::events()
            .into_iter()
            .filter_map(|r| match r.event {
                RuntimeEvent::Staking(pallet_starling_staking::Event::SlashPaid {
                    amount, ..
                }) => Some(amount),
                _ => None,
            })
            .sum();
        assert!((200..=201).contains(&slash_paid));
        assert_eq!(
            Balances::balance(&treasury()) - treasury_before,
            result.to_treasury + slash_paid
        );
        assert_eq!(Balances::total_issuance(), issuance);
        // The creator got the deposit back and paid exactly the bounty.
        assert_eq!(Balances::balance(&acc(20)), creator_before - BOUNTY);
        // Trainers' commission (10 %) arrives at once; the rest is claimable by the pool.
        let trainer3 = Balances::balance(&acc(3));
        assert_ok!(Staking::claim(RuntimeOrigin::signed(acc(3)), acc(3), Role::TrainingNode));
        assert!(Balances::balance(&acc(3)) > trainer3);
        // Cleanup.
        assert!(Submissions::<Test>::iter_prefix(task).next().is_none());
        assert!(Entries::<Test>::get(task).is_empty());
        assert!(Committee::<Test>::get(task).is_empty());
        assert!(ActiveTasks::<Test>::get().is_empty());
        assert!(events()
            .iter()
            .any(|e| matches!(e, Event::TaskFinalised { winner: Some(w), .. } if *w == acc(3))));
        assert_eq!(Arena::task_result(task), Some(result));
        // The winning model is handed on (to the marketplace in the runtime).
        let winners = WINNERS.with(|w| w.borrow().clone());
        assert_eq!(winners.len(), 1);
        let winner = &winners[0];
        assert_eq!((winner.task, &winner.trainer, &winner.creator), (task, &acc(3), &acc(20)));
        assert_eq!(winner.model, ModelData::Inline(params(3)));
        assert_eq!(winner.score, 1_000_000);
        assert_eq!(winner.eval, record.eval_data.map(|e| e.dataset));
        assert_eq!(winner.metric, record.spec.metric);
    });
}

#[test]
fn a_copied_model_earns_nothing() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        // trainer 2 submits the very same parameters later
        assert_ok!(commit_model(2, task, &params(1), 1));
        run_to_block(11);
        assert_ok!(reveal_model(2, task, &params(1)));
        assert_ok!(reveal_model(1, task, &params(1)));
        publish(20, task);
        run_to_block(16);
        assert!(events().contains(&Event::DuplicateModel {
            task,
            trainer: acc(2),
            original: acc(1)
        }));
        let entries = Entries::<Test>::get(task);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].trainer, acc(1));
        let committee: Vec<u8> =
            Committee::<Test>::get(task).iter().map(|m| id(&m.validator)).collect();
        let s = scores(&[1_000_000]);
        for n in &committee {
            assert_ok!(commit_scores(*n, task, &s));
        }
        run_to_block(21);
        for n in &committee {
            assert_ok!(reveal_scores(*n, task, &s));
        }
        run_to_block(26);
        let result = Results::<Test>::get(task).unwrap();
        assert_eq!(result.ranking.len(), 1);
        assert_eq!(result.ranking[0].trainer, acc(1));
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::Rewarded { operator, .. } if *operator == acc(2))));
    });
}

#[test]
fn no_score_reveals_cancel_and_slash_the_committee() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        run_to_block(26);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::NoScores)
        );
        for n in committee {
            assert!(events().contains(&Event::Slashed {
                task,
                operator: acc(n),
                role: Role::Validator,
                reason: SlashReason::ValidatorSilent,
                amount: 100
            }));
        }
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
    });
}

#[test]
fn verified_tasks_share_the_emission() {
    new_test_ext().execute_with(|| {
        let mut arena_params = DefaultParams::get();
        arena_params.emission.initial_per_period = 1_000;
        assert_ok!(Arena::set_params(RuntimeOrigin::root(), arena_params));
        let issuance = Balances::total_issuance();
        operators();
        let task = create(20, 10);
        let unverified = create(21, 10);
        assert_ok!(Arena::verify_task(RuntimeOrigin::root(), task));
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_ok!(commit_model(2, unverified, &params(2), 1));
        // period boundary at block 10: half of 1000 to the only verified task with stake
        run_to_block(10);
        assert_eq!(Tasks::<Test>::get(task).unwrap().emission, 500);
        assert_eq!(Tasks::<Test>::get(unverified).unwrap().emission, 0);
        assert!(events().contains(&Event::EmissionAccrued { task, amount: 500 }));
        // the other half is the alliances'
        assert_eq!(ALLIANCE_EMISSION.with(|e| e.borrow().clone()), vec![500]);
        // nothing is minted until the task pays out
        assert_eq!(Balances::total_issuance(), issuance);
        run_to_block(11);
        assert_ok!(reveal_model(1, task, &params(1)));
        publish(20, task);
        run_to_block(16);
        let committee: Vec<u8> =
            Committee::<Test>::get(task).iter().map(|m| id(&m.validator)).collect();
        let s = scores(&[1_000_000]);
        for n in &committee {
            assert_ok!(commit_scores(*n, task, &s));
        }
        run_to_block(21);
        for n in &committee {
            assert_ok!(reveal_scores(*n, task, &s));
        }
        run_to_block(26);
        // periods at 20 added 500 more
        let result = Results::<Test>::get(task).unwrap();
        assert_eq!(result.pool, BOUNTY + 1_000);
        assert!(events().contains(&Event::EmissionMinted { task, amount: 1_000 }));
        assert_eq!(Balances::total_issuance(), issuance + 1_000);
        // decay after three periods: 1000 → 900
        run_to_block(30);
        assert_eq!(Emission::<Test>::get().per_period, 900);
        run_to_block(40);
        assert_eq!(ALLIANCE_EMISSION.with(|e| e.borrow().clone()), vec![500, 500, 500, 450]);
    });
}

#[test]
fn runtime_api_lists_active_tasks() {
    new_test_ext().execute_with(|| {
        let a = create(20, 10);
        let b = create(21, 10);
        assert_eq!(Arena::active_tasks(), vec![a, b]);
    });
}

/// An off-chain worker run with the real engine: a trainer's worker trains on the task's
/// public data and submits a sealed model that validation accepts; after the window it
/// reveals it; a committee member's worker scores it on the published evaluation data.
mod offchain_worker {
    use super::*;
    use crate::offchain::{TRAIN_HYPER_KEY, TRAIN_SHARD_KEY};
    use codec::{Decode, Encode};
    use frame_support::traits::Hooks;
    use sp_core::offchain::{
        testing::{TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPoolExt,
    };
    use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
    use starling_ml_engine::Engine;
    use starling_ml_interface::{EvaluateRequest, HyperParams, MlBackend, TrainRequest};
    use std::sync::Arc;

    fn decode_calls(pool: &[Vec<u8>]) -> Vec<crate::Call<Test>> {
        pool.iter()
            .map(|bytes| {
                let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
                match xt.function {
                    RuntimeCall::Arena(call) => call,
                    other => panic!("unexpected call {other:?}"),
                }
            })
            .collect()
    }

    /// Externalities of a node holding the worker keys of trainer 1 and validators 11..=13,
    /// with the real engine; `settings` are written to its persistent off-chain storage.
    /// Returns them and a function that takes the calls its workers submitted.
    fn node(
        settings: &[(&[u8], Vec<u8>)],
    ) -> (starling_test_utils::CheckedExt, impl Fn() -> Vec<crate::Call<Test>>) {
        let keystore = MemoryKeystore::new();
        for n in [1u8, 11, 12, 13] {
            let seed = format!("0x{}", hex_seed(n));
            keystore.sr25519_generate_new(crate::mock::crypto::KEY_TYPE, Some(&seed)).unwrap();
        }
        let (offchain, offchain_state) = TestOffchainExt::new();
        let (pool, pool_state) = TestTransactionPoolExt::new();
        let mut ext = new_test_ext();
        ext.register_extension(OffchainDbExt::new(offchain.clone()));
        ext.register_extension(OffchainWorkerExt::new(offchain));
        ext.register_extension(TransactionPoolExt::new(pool));
        ext.register_extension(KeystoreExt::new(Arc::new(keystore)));
        ext.register_extension(Engine::new(None).unwrap().extension());
        for (key, value) in settings {
            offchain_state.write().persistent_storage.set(b"", key, value);
        }
        let take = move || {
            let calls = decode_calls(&pool_state.read().transactions);
            pool_state.write().transactions.clear();
            calls
        };
        (ext, take)
    }

    /// Runs the node's off-chain workers at block `at`; the calls they submitted.
    fn worker_calls(at: u64, take: &impl Fn() -> Vec<crate::Call<Test>>) -> Vec<crate::Call<Test>> {
        run_to_block(at);
        Arena::offchain_worker(at);
        take()
    }

    #[test]
    fn workers_train_commit_reveal_and_score_with_the_engine() {
        // this node's trainers use shard 1 of 2 of the training data
        let (mut ext, take) = node(&[(TRAIN_SHARD_KEY, (1u16, 2u16).encode())]);

        ext.execute_with(|| {
            bond(1, Role::TrainingNode, 1_000);
            for n in 11..=13u8 {
                bond(n, Role::Validator, 1_000);
            }
            let task = create(20, 10);
            let calls = worker_calls(2, &take);
            assert_eq!(calls.len(), 1, "one commitment from the trainer's worker");
            for call in calls {
                assert!(matches!(call, crate::Call::commit_model { .. }));
                worker_call(call).unwrap();
            }
            // an overlapping run does not submit again
            Arena::offchain_worker(2);
            assert!(take().is_empty());

            let calls = worker_calls(11, &take);
            assert_eq!(calls.len(), 1);
            let revealed = match &calls[0] {
                crate::Call::reveal_model { payload, .. } => match &payload.model {
                    ModelData::Inline(p) => p.clone(),
                    other => panic!("unexpected model {other:?}"),
                },
                other => panic!("unexpected call {other:?}"),
            };
            for call in calls {
                worker_call(call).unwrap();
            }
            // The model is what the engine trains on shard 1 of 2.
            let mut dataset = diabetes_spec(10, 8).training_data.dataset;
            if let DatasetRef::BuiltIn { slice, .. } = &mut dataset {
                slice.shard_index = 1;
                slice.shard_count = 2;
            }
            let engine = Engine::new(None).unwrap();
            let expected = engine
                .train(TrainRequest {
                    family: ModelFamily::LinearOls,
                    schema: diabetes_spec(10, 8).schema,
                    dataset,
                    init: None,
                    hyper: Default::default(),
                    worker: None,
                })
                .unwrap();
            assert_eq!(revealed, expected.params);

            publish(20, task);
            run_to_block(16);
            assert_eq!(Committee::<Test>::get(task).len(), 3);
            Arena::offchain_worker(16);
            let calls = take();
            assert_eq!(calls.len(), 3, "three committee workers commit");
            for call in calls {
                worker_call(call).unwrap();
            }
            let calls = worker_calls(21, &take);
            assert_eq!(calls.len(), 3);
            let expected_score = engine
                .evaluate(EvaluateRequest {
                    family: ModelFamily::LinearOls,
                    schema: diabetes_spec(10, 8).schema,
                    dataset: eval_data(),
                    params: revealed,
                    metric: Metric::Mse,
                    data_hash: None,
                    worker: None,
                })
                .unwrap()
                .score;
            for call in calls {
                match &call {
                    crate::Call::reveal_scores { payload, .. } => {
                        assert_eq!(payload.scores.to_vec(), vec![expected_score])
                    },
                    other => panic!("unexpected call {other:?}"),
                }
                worker_call(call).unwrap();
            }
            run_to_block(26);
            let result = Results::<Test>::get(task).unwrap();
            assert_eq!(result.ranking[0].trainer, acc(1));
            assert_eq!(result.ranking[0].score, expected_score);
            assert!(result.committee.iter().all(|j| matches!(j.verdict, Verdict::Agreed { .. })));
        });
    }

    /// A node's training settings choose the model its trainer submits; committee workers
    /// whose evaluation data does not have the committed content hash abstain, and the task is
    /// cancelled as disputed.
    #[test]
    fn trainer_settings_and_evaluation_data_that_does_not_match_its_hash() {
        let hyper = HyperParams { l2: 5_000_000, ..HyperParams::default() };
        let (mut ext, take) = node(&[(TRAIN_HYPER_KEY, hyper.encode())]);
        ext.execute_with(|| {
            bond(1, Role::TrainingNode, 1_000);
            for n in 11..=13u8 {
                bond(n, Role::Validator, 1_000);
            }
            // The creator commits to a content hash its evaluation data does not have.
            let wrong = H256::repeat_byte(9);
            let spec = TaskSpec {
                eval_commitment: eval_commitment(&eval_data(), &wrong, &EVAL_SALT),
                ..diabetes_spec(10, 8)
            };
            let task = NextTaskId::<Test>::get();
            assert_ok!(Arena::create_task(RuntimeOrigin::signed(acc(20)), spec, BOUNTY));
            run_to_block(2);
            Arena::offchain_worker(2);
            for call in take() {
                worker_call(call).unwrap();
            }
            let calls = worker_calls(11, &take);
            let revealed = match &calls[..] {
                [crate::Call::reveal_model { payload, .. }] => match &payload.model {
                    ModelData::Inline(p) => p.clone(),
                    other => panic!("unexpected model {other:?}"),
                },
                other => panic!("unexpected calls {other:?}"),
            };
            for call in calls {
                worker_call(call).unwrap();
            }
            // Ridge with the node's penalty, in the task's (OLS) layout.
            let expected = Engine::new(None)
                .unwrap()
                .train(TrainRequest {
                    family: ModelFamily::LinearRidge { lambda: 5_000_000 },
                    schema: diabetes_spec(10, 8).schema,
                    dataset: diabetes_spec(10, 8).training_data.dataset,
                    init: None,
                    hyper,
                    worker: None,
                })
                .unwrap();
            assert_eq!(revealed, expected.params);

            assert_ok!(Arena::publish_eval_data(
                RuntimeOrigin::signed(acc(20)),
                task,
                eval_data(),
                wrong,
                EVAL_SALT
            ));
            let calls = worker_calls(16, &take);
            assert_eq!(calls.len(), 3, "three committee workers commit");
            for call in calls {
                worker_call(call).unwrap();
            }
            let calls = worker_calls(21, &take);
            assert_eq!(calls.len(), 3);
            for call in calls {
                match &call {
                    crate::Call::reveal_scores { payload, .. } => {
                        assert!(payload.scores.is_empty(), "the worker abstains")
                    },
                    other => panic!("unexpected call {other:?}"),
                }
                worker_call(call).unwrap();
            }
            run_to_block(26);
            assert_eq!(
                Tasks::<Test>::get(task).unwrap().phase,
                Phase::Cancelled(CancelReason::EvalDataDisputed)
            );
            assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })));
        });
    }

    fn hex_seed(n: u8) -> String {
        let byte = n.wrapping_add(100);
        (0..32).map(|_| format!("{byte:02x}")).collect()
    }
}
