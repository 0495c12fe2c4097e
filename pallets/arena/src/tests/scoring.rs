//! Evaluation data, the committee draw, score commits and reveals, abstention.

use super::*;

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

/// Security review §10: the author of the draw block knows the seed, but stake it bonds or
/// delegates once the snapshot is taken (here in the block before the draw) neither puts a
/// newcomer on the committee nor changes a member's weight. On the old code the newcomer's
/// million was drawn.
#[test]
fn stake_moved_before_the_draw_does_not_move_the_committee() {
    let draw = |move_stake: bool| {
        let mut out = Vec::new();
        new_test_ext().execute_with(|| {
            operators();
            let task = task_to_draw();
            run_to_block(15);
            if move_stake {
                assert_ok!(Staking::bond(
                    RuntimeOrigin::signed(acc(17)),
                    Role::Validator,
                    900_000,
                    Perbill::from_percent(10)
                ));
                assert_ok!(Staking::bond_extra(
                    RuntimeOrigin::signed(acc(11)),
                    Role::Validator,
                    900_000
                ));
            }
            run_to_block(16);
            out = Committee::<Test>::get(task)
                .iter()
                .map(|m| (id(&m.validator), m.weight))
                .collect::<Vec<_>>();
        });
        out
    };
    let quiet = draw(false);
    assert_eq!(quiet.len(), 3);
    assert_eq!(draw(true), quiet, "the draw and its weights ignore the moved stake");
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
            let (committee, _) = Arena::draw_committee(0, seed, System::block_number(), &[], 100);
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

/// The evaluation commitment is sealed by its creator: another creator who copies it into its
/// own task cannot open it, even with the right data and salt.
#[test]
fn a_copied_evaluation_commitment_does_not_open() {
    new_test_ext().execute_with(|| {
        operators();
        let copier = 21u8;
        // `diabetes_spec` carries the commitment sealed by creator 20.
        let task = NextTaskId::<Test>::get();
        assert_ok!(Arena::create_task(
            RuntimeOrigin::signed(acc(copier)),
            diabetes_spec(10, 8),
            BOUNTY
        ));
        run_to_block(11);
        assert_noop!(
            Arena::publish_eval_data(
                RuntimeOrigin::signed(acc(copier)),
                task,
                eval_data(),
                eval_hash(),
                EVAL_SALT
            ),
            Error::<Test>::EvalDataDoesNotMatchCommit
        );
    });
}

/// Security review §11: a validator tied to one of the task's trainers by a delegation (one
/// operator's second account, as far as the chain can know) is never drawn into that task's
/// committee — whichever way the delegation runs.
#[test]
fn validators_tied_to_a_trainer_are_not_drawn() {
    new_test_ext().execute_with(|| {
        let mut arena_params = DefaultParams::get();
        arena_params.committee_size = 4;
        assert_ok!(Arena::set_params(RuntimeOrigin::root(), arena_params));
        operators();
        // Trainer 1 backs validator 11; validator 12 backs trainer 2.
        assert_ok!(Staking::delegate(RuntimeOrigin::signed(acc(1)), acc(11), Role::Validator, 100));
        assert_ok!(Staking::delegate(
            RuntimeOrigin::signed(acc(12)),
            acc(2),
            Role::TrainingNode,
            100
        ));
        let (task, mut committee) = task_to_scoring();
        committee.sort();
        assert_eq!(committee, vec![13, 14]);
        for n in [11u8, 12] {
            assert!(events().contains(&Event::TiedValidatorSkipped { task, validator: acc(n) }));
        }
    });
}
