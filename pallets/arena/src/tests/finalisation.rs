//! Consensus, payouts, slashes, emission and value conservation.

use super::*;

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
            // The creator is endowed with 1,000,000 and also holds the task deposit.
            bounty in 100u64..900_000,
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
                        // Nobody revealed, or no supermajority agreed: cancelled, bounty and
                        // deposit back to the creator.
                        let no_supermajority = events().contains(&Event::TaskCancelled {
                            task,
                            reason: CancelReason::NoSupermajority,
                        });
                        prop_assert!(reveals.iter().all(|r| r.is_none()) || no_supermajority);
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
        let winners = starling_test_utils::registered_models();
        assert_eq!(winners.len(), 1);
        let winner = &winners[0];
        assert_eq!(winner.source, ModelSource::ArenaTask(task));
        assert_eq!((&winner.creators, &winner.owner), (&vec![(acc(3), 1)], &acc(20)));
        assert_eq!(winner.spec.data, ModelData::Inline(params(3)));
        assert_eq!(winner.score, Some(1_000_000));
        assert_eq!(winner.spec.eval, record.eval_data.map(|e| e.dataset));
        assert_eq!(winner.spec.metric, record.spec.metric);
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
        assert_slashed_for_silence(task, &committee);
        assert_eq!(Balances::balance(&acc(20)), ENDOWMENT);
    });
}

/// Security review L1: a finalisation is charged the staking pallet's slash weight for each
/// member it slashes (the benchmark pays every member, and a slash costs more than a payment;
/// before, the slashes were not charged at all).
#[test]
fn a_finalisation_charges_each_slash() {
    new_test_ext().execute_with(|| {
        use frame_support::traits::Hooks;
        use starling_primitives::staking::StakingInterface;
        let (task, committee) = to_scoring();
        let (s, c) = (Entries::<Test>::get(task).len() as u32, committee.len() as u32);
        let end = Tasks::<Test>::get(task).unwrap().score_reveal_end;
        run_to_block(end - 1);
        System::set_block_number(end);
        // Nobody revealed scores: the task is cancelled and the three members slashed.
        let used = Arena::on_initialize(end);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::NoScores)
        );
        let slash = <Staking as StakingInterface<AccountId>>::slash_weight();
        let at_least = <() as crate::WeightInfo>::finalise(s, c)
            .saturating_add(slash.saturating_mul(u64::from(c)));
        assert!(slash.ref_time() > 0);
        assert!(used.all_gte(at_least), "{used:?} charges three slashes beyond {at_least:?}");
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

/// Security review §7: a committee member that unbonds everything right after its draw, and a
/// delegator that leaves it then, are still slashed when the member deviates: the offence dates
/// from the draw, and stake that left after it stays locked until the task has ended.
#[test]
fn stake_that_leaves_after_the_draw_is_still_slashed() {
    new_test_ext().execute_with(|| {
        operators();
        let delegator = 40u8;
        for n in 11..=14u8 {
            assert_ok!(Staking::delegate(
                RuntimeOrigin::signed(acc(delegator)),
                acc(n),
                Role::Validator,
                1_000
            ));
        }
        // The draw at block 16 (era 1); the task ends at block 26 (era 2).
        let (task, committee) = task_to_scoring();
        let (liar, honest) = (committee[0], &committee[1..]);

        // Right after the draw, in the draw's era, the liar and its delegator leave.
        run_to_block(17);
        assert_ok!(Staking::unbond(RuntimeOrigin::signed(acc(liar)), Role::Validator, 1_000));
        assert_ok!(Staking::undelegate(
            RuntimeOrigin::signed(acc(delegator)),
            acc(liar),
            Role::Validator,
            1_000
        ));
        // Their stake unlocks an unbonding period after the task's end, not after leaving.
        let unbonding = pallet_starling_staking::UnbondingPeriod::<Test>::get();
        let unlock = pallet_starling_staking::UnbondingPools::<Test>::get((
            acc(liar),
            Role::Validator,
            1u32,
        ))
        .unwrap()
        .unlock_at;
        assert_eq!(unlock, 26 + unbonding);

        let honest_scores = scores(&[3_000_000, 2_000_000, 1_000_000]);
        let lie = scores(&[9_000_000, 9_000_000, 9_000_000]);
        assert_ok!(commit_scores(liar, task, &lie));
        for n in honest {
            assert_ok!(commit_scores(*n, task, &honest_scores));
        }
        run_to_block(21);
        assert_ok!(reveal_scores(liar, task, &lie));
        for n in honest {
            assert_ok!(reveal_scores(*n, task, &honest_scores));
        }
        // When the stake would have unlocked without the binding, it cannot be withdrawn.
        run_to_block(17 + unbonding);
        assert_noop!(
            Staking::withdraw_unbonded(
                RuntimeOrigin::signed(acc(delegator)),
                acc(liar),
                Role::Validator
            ),
            pallet_starling_staking::Error::<Test>::NothingToWithdraw
        );

        let result = Results::<Test>::get(task).unwrap();
        let judged = result.committee.iter().find(|j| j.validator == acc(liar)).unwrap();
        assert_eq!(judged.verdict, Verdict::Deviated);
        // 20 % of the 2,000 that left after the draw (the liar's and its delegator's).
        assert_eq!(judged.slashed, 400);
        assert_ok!(Staking::apply_slash(
            RuntimeOrigin::signed(acc(1)),
            acc(delegator),
            acc(liar),
            Role::Validator
        ));
        run_to_block(26 + unbonding);
        let before = Balances::balance(&acc(delegator));
        assert_ok!(Staking::withdraw_unbonded(
            RuntimeOrigin::signed(acc(delegator)),
            acc(liar),
            Role::Validator
        ));
        // The delegator gets back what it undelegated less its 20 % share of the slash.
        assert_eq!(Balances::balance(&acc(delegator)) - before, 800);
        Staking::do_try_state().unwrap();
        Arena::do_try_state().unwrap();
    });
}

/// Runs to block `until` with every block from now on ending full (no room for worker calls).
fn run_congested_to(until: u64) {
    while System::block_number() < until {
        frame_system::BlockSize::<Test>::put(u32::MAX);
        run_to_block(System::block_number() + 1);
    }
    frame_system::BlockSize::<Test>::kill();
}

/// Security review §4: a member kept out by congestion is not slashed for its silence. When
/// every block of the score-reveal window was full, the member that committed and could not
/// reveal loses nothing; when the blocks had room, silence is slashed as before.
#[test]
fn silence_that_congestion_forced_is_not_slashed() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        let honest = scores(&[3_000_000, 2_000_000, 1_000_000]);
        for n in &committee {
            assert_ok!(commit_scores(*n, task, &honest));
        }
        run_to_block(21);
        // Two members reveal; then every block until the window closes is full.
        for n in &committee[1..] {
            assert_ok!(reveal_scores(*n, task, &honest));
        }
        run_congested_to(26);
        run_to_block(27);
        let result = Results::<Test>::get(task).unwrap();
        let kept_out = result.committee.iter().find(|j| j.validator == acc(committee[0])).unwrap();
        assert_eq!((kept_out.verdict, kept_out.slashed, kept_out.reward), (Verdict::Silent, 0, 0));
        assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })));
        assert!(!Staking::had_room(21, 26));
        assert!(Staking::had_room(16, 21));
    });
}

/// Security review §4, the other side: silence in a window with room is slashed, also when
/// the task is cancelled for want of scores.
#[test]
fn silence_with_room_is_still_slashed() {
    new_test_ext().execute_with(|| {
        let (task, committee) = to_scoring();
        // Nobody commits: the scoring window had room (blocks 16 to 20), the reveals are full.
        run_to_block(21);
        run_congested_to(26);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::NoScores)
        );
        assert_slashed_for_silence(task, &committee);
    });
}

/// Every member of `committee` was slashed 10 % of its 1,000 for silence in `task`.
fn assert_slashed_for_silence(task: TaskId, committee: &[u8]) {
    for n in committee {
        assert!(events().contains(&Event::Slashed {
            task,
            operator: acc(*n),
            role: Role::Validator,
            reason: SlashReason::ValidatorSilent,
            amount: 100
        }));
    }
}
