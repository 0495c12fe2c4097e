//! Creating, cancelling, verifying tasks and governance parameters; the invariant check.

use super::*;
use frame_support::traits::{Get, GetStorageVersion, StorageVersion};

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

/// Every test's externalities run the invariant check when the test's closure returns: a
/// test that leaves a bounty hold below its task's bounty fails.
#[test]
#[should_panic(expected = "invariant broken after the test")]
fn tests_fail_when_they_leave_broken_invariants() {
    new_test_ext().execute_with(|| {
        create(20, 10);
        let reason: RuntimeHoldReason = HoldReason::Bounty.into();
        assert_ok!(Balances::release(&reason, &acc(20), 1, Precision::Exact));
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
            role: starling_ml_interface::Role::TrainingNode,
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
        // A committee seat (scoring and score-reveal windows) longer than the 60 blocks
        // staking keeps a slash dated at the draw within reach (security review §7).
        assert_noop!(
            Arena::set_params(
                RuntimeOrigin::root(),
                ArenaParams { scoring_window: 40, score_reveal_window: 21, ..params }
            ),
            Error::<Test>::ScoringTooLong
        );
        assert_ok!(Arena::set_params(
            RuntimeOrigin::root(),
            ArenaParams { scoring_window: 40, score_reveal_window: 20, ..params }
        ));
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
            role: starling_ml_interface::Role::Validator,
            slice: starling_ml_interface::Slice::ALL,
        };
        let id = NextTaskId::<Test>::get();
        let mut spec = diabetes_spec(10, 8);
        spec.eval_commitment = seal(&(&local, eval_hash()), &EVAL_SALT, &acc(CREATOR));
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

/// `on_initialize` looks only at the tasks due in its block: a new task is queued at the end of
/// its submission window, and after each stage change at the end of the next window.
#[test]
fn a_task_is_queued_at_each_stage_change() {
    new_test_ext().execute_with(|| {
        let task = create(20, 10);
        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(DueTasks::<Test>::get(record.submission_end).into_inner(), vec![task]);
        run_to_block(record.submission_end);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Reveal);
        assert!(DueTasks::<Test>::get(record.submission_end).is_empty());
        assert_eq!(DueTasks::<Test>::get(record.reveal_end).into_inner(), vec![task]);
        // No creator publishes the evaluation data: the task is cancelled at the reveal end and
        // is not queued again.
        run_to_block(record.reveal_end);
        assert!(matches!(Tasks::<Test>::get(task).unwrap().phase, Phase::Cancelled(_)));
        assert_eq!(DueTasks::<Test>::iter().count(), 0);
    });
}

/// The upgrade to storage version 2 queues the tasks that were running (before, every block
/// scanned them all); without it `try_state` reports a running task nobody would look at.
#[test]
fn the_upgrade_queues_running_tasks() {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        let early = create(20, 10);
        let late = create(20, 40);
        run_to_block(12);
        // The state a version-1 chain has: running tasks, no queue.
        let _ = DueTasks::<Test>::clear(u32::MAX, None);
        StorageVersion::new(1).put::<Arena>();
        assert!(Arena::do_try_state().is_err());
        crate::lifecycle::migrate_to_due_queue::<Test>();
        assert_eq!(Arena::on_chain_storage_version(), StorageVersion::new(2));
        let early_record = Tasks::<Test>::get(early).unwrap();
        let late_record = Tasks::<Test>::get(late).unwrap();
        // `early` is in its reveal window; `late` still takes submissions.
        assert_eq!(DueTasks::<Test>::get(early_record.reveal_end).into_inner(), vec![early]);
        assert_eq!(DueTasks::<Test>::get(late_record.submission_end).into_inner(), vec![late]);
        Arena::do_try_state().unwrap();
        // Running it again changes nothing.
        crate::lifecycle::migrate_to_due_queue::<Test>();
        assert_eq!(DueTasks::<Test>::iter().map(|(_, q)| q.len()).sum::<usize>(), 2);
        // The lifecycle goes on from the queue.
        run_to_block(late_record.submission_end);
        assert_eq!(Tasks::<Test>::get(late).unwrap().phase, Phase::Reveal);
    });
}

/// Adversarial: a task cancelled by its creator leaves its block's queue. Otherwise creating
/// and cancelling tasks (fees only: bounty and deposit come back) fills any future block's
/// queue with stale entries, an honest task due then is pushed to later blocks, and beyond
/// the spill limit it is never looked at again with its bounty held.
#[test]
fn cancelled_tasks_cannot_crowd_a_blocks_queue() {
    new_test_ext().execute_with(|| {
        let max = <Test as crate::Config>::MaxActiveTasks::get();
        // The attacker fills the queue of block 11 (a window of 10 from block 1).
        for _ in 0..max {
            let task = create(21, 10);
            assert_ok!(Arena::cancel_task(RuntimeOrigin::signed(acc(21)), task));
        }
        assert!(!DueTasks::<Test>::contains_key(11), "no stale entry, not even an empty queue");
        let honest = create(20, 10);
        assert_eq!(DueTasks::<Test>::get(11).into_inner(), vec![honest]);
        run_to_block(11);
        assert_eq!(Tasks::<Test>::get(honest).unwrap().phase, Phase::Reveal);
    });
}

/// At most `MAX_TRANSITIONS_PER_BLOCK` heavy stage changes run in one block; a task due beyond
/// that budget is queued for the next block and changes stage there.
#[test]
fn heavy_stage_changes_beyond_the_budget_wait_a_block() {
    new_test_ext().execute_with(|| {
        let tasks: Vec<TaskId> = (20..23u8).map(|creator| create(creator, 10)).collect();
        let reveal_end = Tasks::<Test>::get(tasks[0]).unwrap().reveal_end;
        // Nobody publishes evaluation data: each closing of reveals cancels its task.
        run_to_block(reveal_end);
        let cancelled =
            |t: &TaskId| matches!(Tasks::<Test>::get(t).unwrap().phase, Phase::Cancelled(_));
        assert_eq!(
            tasks.iter().filter(|t| cancelled(t)).count(),
            crate::MAX_TRANSITIONS_PER_BLOCK as usize
        );
        assert_eq!(DueTasks::<Test>::get(reveal_end + 1).into_inner(), vec![tasks[2]]);
        run_to_block(reveal_end + 1);
        assert!(tasks.iter().all(cancelled));
    });
}
