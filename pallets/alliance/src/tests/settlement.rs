//! Closing a round: acceptance, aggregation, payouts, slashes, emission and value conservation.

use super::*;

#[test]
fn emission_credits_running_alliances_and_is_minted_only_when_paid() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        assert_eq!((proposers.len(), voters.len()), (2, 2));
        // An alliance still joining gets no share.
        let joining = create(2, Aggregation::FedAvg);
        let issuance = Balances::total_issuance();
        <Alliance as EmissionRecipient<u64>>::accrue(1_003);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().emission, 1_003);
        assert_eq!(Alliances::<Test>::get(joining).unwrap().emission, 0);
        assert!(events().contains(&Event::EmissionAccrued { alliance, amount: 1_003 }));
        assert_eq!(Balances::total_issuance(), issuance, "credited, not minted");

        // Round 1: both updates accepted by both voters.
        for p in &proposers {
            assert_ok!(commit(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(9);
        for p in &proposers {
            assert_ok!(reveal(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        close_votes(alliance);
        // Reward: 10_000 / 2 rounds + 1_003 / 2 = 5_000 + 501; 60 % (3_300) to the proposers,
        // 2_201 to the voters, 1_100 each: one unit is not paid, burned and credited back.
        assert!(events().contains(&Event::EmissionMinted { alliance, round: 1, amount: 501 }));
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 5_500);
        for (who, amount) in [(proposers[0], 1_650), (proposers[1], 1_650), (voters[0], 1_100)] {
            assert!(events().contains(&Event::Rewarded {
                alliance,
                round: 1,
                operator: acc(who),
                role: Role::FlParticipant,
                amount
            }));
        }
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.emission, 1_003 - 501 + 1);
        assert_eq!(record.pool, 5_000);
        // (The other alliance was cancelled at the end of its join window: too few joined.)
        assert_eq!(Alliances::<Test>::get(joining).unwrap().phase, Phase::Cancelled);
        assert_eq!(Balances::balance_on_hold(&HoldReason::RewardPool.into(), &acc(30)), 5_000);
        assert_eq!(Balances::total_issuance(), issuance + 500, "only the paid emission is minted");

        // Round 2: nobody proposes, so nobody is paid and nothing is minted; the alliance
        // finishes and its remaining credit is never minted.
        close_votes(alliance);
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.phase, Phase::Finished);
        assert!(events().contains(&Event::AllianceFinished {
            alliance,
            rounds: 2,
            returned: 5_000
        }));
        assert!(!events().iter().any(|e| matches!(e, Event::EmissionMinted { round: 2, .. })));
        assert_eq!(Balances::total_issuance(), issuance + 500);
        // Finished alliances get no share.
        <Alliance as EmissionRecipient<u64>>::accrue(1_000);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().emission, 503);
        Alliance::do_try_state().unwrap();
    });
}

#[test]
fn an_update_no_voter_judged_is_left_out_without_a_slash() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (judged, unjudged) = (proposers[0], proposers[1]);
        assert_ok!(commit(judged, alliance, 1, &params(100), 50));
        assert_ok!(commit(unjudged, alliance, 1, &params(40), 50));
        run_to_block(9);
        assert_ok!(reveal(judged, alliance, 1, &params(100), 50));
        assert_ok!(reveal(unjudged, alliance, 1, &params(40), 50));
        run_to_block(12);
        // Both voters vote, only on the first update.
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(judged, true)]));
        }
        close_votes(alliance);

        let round1 = History::<Test>::get(alliance, 1).unwrap();
        assert_eq!(round1.accepted.iter().map(id).collect::<Vec<_>>(), vec![judged]);
        assert!(round1.rejected.is_empty());
        // The model is the judged update alone.
        assert_eq!(round1.model, params(100));
        assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })));
        assert_eq!(Contributions::<Test>::get(alliance, acc(unjudged)), 0);
    });
}

/// An update is decided by two thirds of the stake of every voter drawn for the round, not
/// only of those whose ballots arrived: lost ballots never lower the bar (security review §4
/// with §6).
#[test]
fn an_update_needs_two_thirds_of_the_drawn_voters_stake() {
    new_test_ext().execute_with(|| {
        // 3 of 8 propose, 5 vote
        let (alliance, proposers, voters) = voting(8, Perbill::from_parts(375_000_000));
        assert_eq!((proposers.len(), voters.len()), (3, 5));
        let (short, exact, unheard) = (proposers[0], proposers[1], proposers[2]);
        // `short`: 3 of 5 equal stakes approve (60 %, a majority but under two thirds, and
        // too few reject to vote it down); `exact`: 4 of 5 approve (80 %); `unheard`: judged
        // by three voters only, two of whom approve — two thirds of its judges, but only two
        // fifths of the drawn voters.
        for (i, v) in voters.iter().enumerate() {
            let mut ballots = vec![(short, i < 3), (exact, i < 4)];
            if i < 3 {
                ballots.push((unheard, i < 2));
            }
            assert_ok!(vote(*v, alliance, 1, &ballots));
        }
        close_votes(alliance);
        let round1 = History::<Test>::get(alliance, 1).unwrap();
        let accepted: Vec<u8> = round1.accepted.iter().map(id).collect();
        assert_eq!(accepted, vec![exact]);
        // Split votes leave `short` and `unheard` out without blame.
        assert!(round1.rejected.is_empty());
        assert!(events().contains(&Event::RoundClosed {
            alliance,
            round: 1,
            accepted: 1,
            rejected: 0,
            left_out: 2,
            rolled_back: false
        }));
        // Voters are slashed only for a ballot against a decision (`exact`); how they judged
        // the split updates neither pays nor costs.
        let slashed: Vec<u8> = events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Slashed { operator, reason: SlashReason::MinorityVote, .. } => {
                    Some(id(&operator))
                },
                Event::Slashed { operator, .. } => panic!("{operator:?} slashed as a proposer"),
                _ => None,
            })
            .collect();
        assert_eq!(slashed, vec![voters[4]]);
        let mut paid: Vec<u8> =
            alliance_payments().iter().map(|(a, _)| id(a)).filter(|p| voters.contains(p)).collect();
        paid.sort();
        let mut expected = voters[..4].to_vec();
        expected.sort();
        assert_eq!(paid, expected);
    });
}

/// Security review §6: six members of equal stake, two of them an attacker's, both drawn as
/// voters among four; they vote to reject every honest update. Before, each honest proposer
/// was slashed (an update needed two thirds approving, and anything short of it was
/// rejected) and each honest voter, who approved, was the slashed "minority" while the
/// attacker's voters were paid. Now a coalition under a third of the judging weight decides
/// nothing: the updates are left out, nobody is slashed, and the attacker is not paid.
#[test]
fn a_rejecting_coalition_cannot_slash_the_honest() {
    new_test_ext().execute_with(|| {
        // 2 of 6 propose, 4 vote
        let (alliance, proposers, voters) = voting(6, Perbill::from_percent(33));
        assert_eq!((proposers.len(), voters.len()), (2, 4));
        let (attackers, honest) = voters.split_at(2);
        for v in attackers {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], false), (proposers[1], false)]));
        }
        for v in honest {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        let stakes = |who: &[u8]| -> Vec<u64> {
            who.iter().map(|n| <Staking as starling_primitives::staking::StakingInterface<AccountId>>::weight_of(&acc(*n), Role::FlParticipant) as u64).collect()
        };
        let honest_before = stakes(&[proposers.as_slice(), honest].concat());
        close_votes(alliance);
        assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })), "nobody slashed");
        assert_eq!(stakes(&[proposers.as_slice(), honest].concat()), honest_before);
        let round1 = History::<Test>::get(alliance, 1).unwrap();
        assert!(round1.accepted.is_empty() && round1.rejected.is_empty() && round1.rolled_back);
        assert!(events().contains(&Event::RoundClosed {
            alliance,
            round: 1,
            accepted: 0,
            rejected: 0,
            left_out: 2,
            rolled_back: true
        }));
        assert!(alliance_payments().is_empty(), "the attacker is not paid");
    });
}

#[test]
fn robust_rules_aggregate_the_accepted_updates() {
    for (rule, expected) in [
        (Aggregation::FedAvg, 20),
        (Aggregation::Median, 10),
        (Aggregation::TrimmedMean { beta: Perbill::from_percent(34) }, 10),
    ] {
        new_test_ext().execute_with(|| {
            for n in 1..=6 {
                participant(n, 1_000);
            }
            let mut s = spec(1, rule);
            s.proposer_fraction = Perbill::from_percent(50);
            let alliance = NextAllianceId::<Test>::get();
            assert_ok!(Alliance::create_alliance(RuntimeOrigin::signed(acc(30)), s, REWARD));
            for n in 1..=6 {
                assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
            }
            run_to_block(6);
            let (_, proposers, voters) = roles(alliance);
            let values = [0i64, 10, 50];
            for (p, v) in proposers.iter().zip(values) {
                assert_ok!(commit(*p, alliance, 1, &params(v), 10));
            }
            run_to_block(9);
            for (p, v) in proposers.iter().zip(values) {
                assert_ok!(reveal(*p, alliance, 1, &params(v), 10));
            }
            run_to_block(12);
            let all: Vec<(u8, bool)> = proposers.iter().map(|p| (*p, true)).collect();
            for v in &voters {
                assert_ok!(vote(*v, alliance, 1, &all));
            }
            close_votes(alliance);
            assert_eq!(
                History::<Test>::get(alliance, 1).unwrap().model,
                params(expected),
                "{rule:?}"
            );
        });
    }
}

/// Review §2: a creator whose whole balance is locked (a conviction vote may lock up to the
/// total, holds included) cannot stop the payments: each share moves out of its hold by force
/// and is paid in full from the payout account.
#[test]
fn a_locked_creator_still_pays_every_share() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        assert_eq!((proposers.len(), voters.len()), (2, 2));
        lock_creator(u64::MAX);
        let creator_free = Balances::balance(&acc(30));
        let before = payees_free(4);
        for p in &proposers {
            assert_ok!(commit(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(9);
        for p in &proposers {
            assert_ok!(reveal(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        close_votes(alliance);

        // Half the pool (two rounds): 3_000 to the proposers, 2_000 to the voters.
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 5_000);
        for (who, amount) in
            [(proposers[0], 1_500), (proposers[1], 1_500), (voters[0], 1_000), (voters[1], 1_000)]
        {
            assert!(events().contains(&Event::Rewarded {
                alliance,
                round: 1,
                operator: acc(who),
                role: Role::FlParticipant,
                amount
            }));
        }
        assert!(!events().iter().any(|e| matches!(e, Event::RewardNotPaid { .. })));
        // Staking credited exactly what the alliance reports, and the payees received it.
        assert_eq!(staking_payments(), alliance_payments());
        assert_eq!(payees_free(4) - before, 5_000);
        // The creator's hold went down by exactly what was paid; its free balance is untouched.
        assert_eq!(pool_held(), REWARD - 5_000);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().pool, REWARD - 5_000);
        assert_eq!(Balances::balance(&acc(30)), creator_free);
        // Nothing stays in the payout account but its existential deposit.
        assert_eq!(Balances::balance(&Alliance::payout_account()), 1);
        Alliance::do_try_state().unwrap();
    });
}

/// A chain whose genesis did not make the payout account (a raw chain spec made before it
/// existed) gets it at the first payment: its existential deposit is minted once.
#[test]
fn the_first_payment_makes_a_missing_payout_account() {
    new_test_ext().execute_with(|| {
        let payout = Alliance::payout_account();
        assert_eq!(
            <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&payout, 0),
            0
        );
        assert!(!System::account_exists(&payout));
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let issuance = Balances::total_issuance();
        for p in &proposers {
            assert_ok!(commit(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(9);
        for p in &proposers {
            assert_ok!(reveal(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        close_votes(alliance);
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 5_000);
        assert_eq!(Balances::balance(&payout), 1);
        assert_eq!(Balances::total_issuance(), issuance + 1);
        Alliance::do_try_state().unwrap();
    });
}

/// A share staking refuses (here: the participant is no longer an operator) goes back into
/// the creator's hold, is reported, and returns to the creator at the end. A participant
/// cannot leave staking during its round (its stake is bound until the close), so the refusal
/// is made by removing the operator from staking's storage.
#[test]
fn a_share_staking_refuses_stays_in_the_pool() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        for p in &proposers {
            assert_ok!(commit(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(9);
        for p in &proposers {
            assert_ok!(reveal(*p, alliance, 1, &params(100), 50));
        }
        let leaver = proposers[0];
        let info =
            pallet_starling_staking::Operators::<Test>::take(acc(leaver), Role::FlParticipant);
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        close_votes(alliance);

        assert!(events().contains(&Event::RewardNotPaid {
            alliance,
            round: 1,
            participant: acc(leaver),
            amount: 1_500,
            error: pallet_starling_staking::Error::<Test>::NotAnOperator.into(),
        }));
        assert!(!alliance_payments().iter().any(|(who, _)| *who == acc(leaver)));
        // Staking's own invariants are checked after the test: the operator comes back.
        pallet_starling_staking::Operators::<Test>::set(acc(leaver), Role::FlParticipant, info);
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 3_500);
        assert_eq!(pool_held(), REWARD - 3_500);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().pool, REWARD - 3_500);
        assert_eq!(Balances::balance(&Alliance::payout_account()), 1);
        Alliance::do_try_state().unwrap();

        // Round 2: nobody proposes; the unpaid share returns to the creator with the rest.
        close_votes(alliance);
        assert!(events().contains(&Event::AllianceFinished {
            alliance,
            rounds: 2,
            returned: REWARD - 3_500
        }));
        assert_eq!(pool_held(), 0);
        assert_eq!(Balances::balance(&acc(30)), ENDOWMENT - 3_500);
        Alliance::do_try_state().unwrap();
    });
}

/// This round's part of the emission credit that cannot be minted stays credited, is
/// reported, and the round still pays its pool part.
#[test]
fn emission_that_cannot_be_minted_stays_credited() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        <Alliance as EmissionRecipient<u64>>::accrue(1_000);
        for p in &proposers {
            assert_ok!(commit(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(9);
        for p in &proposers {
            assert_ok!(reveal(*p, alliance, 1, &params(100), 50));
        }
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        // Minting would overflow the total issuance.
        pallet_balances::TotalIssuance::<Test>::put(u64::MAX);
        close_votes(alliance);

        assert!(events().contains(&Event::EmissionNotMinted {
            alliance,
            round: 1,
            amount: 500,
            error: sp_runtime::ArithmeticError::Overflow.into(),
        }));
        assert!(!events().iter().any(|e| matches!(e, Event::EmissionMinted { .. })));
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.emission, 1_000);
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 5_000);
        assert_eq!(record.pool, REWARD - 5_000);
        assert_eq!(pool_held(), REWARD - 5_000);
        Alliance::do_try_state().unwrap();
    });
}

mod conservation {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever the votes: every unit of the pool is either paid to a participant's pool or
        /// returned to the creator, and no balance is created.
        #[test]
        fn pool_is_paid_or_returned(
            stakes in prop::collection::vec(100u64..20_000, 5),
            approvals in prop::collection::vec(any::<bool>(), 40),
            rounds in 1u32..4,
            reward in 100u64..1_000_000,
        ) {
            new_test_ext().execute_with(|| {
                for (i, stake) in stakes.iter().enumerate() {
                    participant(i as u8 + 1, *stake);
                }
                let issuance = Balances::total_issuance();
                let alliance = NextAllianceId::<Test>::get();
                assert_ok!(Alliance::create_alliance(RuntimeOrigin::signed(acc(30)), spec(rounds, Aggregation::Median), reward));
                for n in 1..=5 {
                    assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
                }
                run_to_block(6);
                let mut coin = approvals.iter().cycle();
                for round in 1..=rounds {
                    let record = Alliances::<Test>::get(alliance).unwrap();
                    let (_, proposers, voters) = roles(alliance);
                    for p in &proposers {
                        assert_ok!(commit(*p, alliance, round, &params(i64::from(*p)), 10));
                    }
                    run_to_block(record.commit_end);
                    for p in &proposers {
                        assert_ok!(reveal(*p, alliance, round, &params(i64::from(*p)), 10));
                    }
                    run_to_block(record.reveal_end);
                    for v in &voters {
                        let ballots: Vec<(u8, bool)> = proposers.iter().map(|p| (*p, *coin.next().unwrap())).collect();
                        assert_ok!(vote(*v, alliance, round, &ballots));
                    }
                    close_votes(alliance);
                }
                prop_assert_eq!(Alliances::<Test>::get(alliance).unwrap().phase, Phase::Finished);
                let paid: u64 = (1..=rounds).map(|r| History::<Test>::get(alliance, r).unwrap().paid).sum();
                let returned = events().iter().find_map(|e| match e {
                    Event::AllianceFinished { returned, .. } => Some(*returned),
                    _ => None,
                }).unwrap();
                prop_assert_eq!(paid + returned, reward);
                prop_assert_eq!(Balances::balance(&acc(30)), ENDOWMENT - paid);
                prop_assert_eq!(Balances::total_issuance(), issuance);
                Alliance::do_try_state().unwrap();
                Ok(())
            })?;
        }

        /// Whatever lock the creator puts on its balance (a conviction vote may lock up to
        /// the total): the participants receive exactly what the alliance's events report,
        /// hold + paid is the initial pool after every round, and the payments are those of
        /// the same alliance with no lock at all.
        #[test]
        fn a_locked_creator_pays_what_the_events_report(
            lock in prop_oneof![Just(u64::MAX), 0u64..=ENDOWMENT],
            approvals in prop::collection::vec(any::<bool>(), 40),
            rounds in 1u32..4,
            reward in 100u64..1_000_000,
        ) {
            let unlocked = payments(None, &approvals, rounds, reward)?;
            let locked = payments(Some(lock), &approvals, rounds, reward)?;
            prop_assert_eq!(locked, unlocked);
        }
    }

    /// Runs an alliance of five equal participants over `rounds` rounds with votes drawn from
    /// `approvals`, the creator locking `lock` right after creating it; checks that what the
    /// participants received is what the events and the history report and that hold + paid
    /// is the initial pool after every round. Returns what each participant was paid.
    fn payments(
        lock: Option<u64>,
        approvals: &[bool],
        rounds: u32,
        reward: u64,
    ) -> Result<Vec<(AccountId, u64)>, TestCaseError> {
        new_test_ext().execute_with(|| {
            for n in 1..=5 {
                participant(n, 1_000);
            }
            let alliance = NextAllianceId::<Test>::get();
            assert_ok!(Alliance::create_alliance(
                RuntimeOrigin::signed(acc(30)),
                spec(rounds, Aggregation::Median),
                reward
            ));
            if let Some(lock) = lock {
                lock_creator(lock);
            }
            for n in 1..=5 {
                assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
            }
            run_to_block(6);
            let before = payees_free(5);
            let mut coin = approvals.iter().cycle();
            let mut paid = 0u64;
            for round in 1..=rounds {
                let record = Alliances::<Test>::get(alliance).unwrap();
                let (_, proposers, voters) = roles(alliance);
                for p in &proposers {
                    assert_ok!(commit(*p, alliance, round, &params(i64::from(*p)), 10));
                }
                run_to_block(record.commit_end);
                for p in &proposers {
                    assert_ok!(reveal(*p, alliance, round, &params(i64::from(*p)), 10));
                }
                run_to_block(record.reveal_end);
                for v in &voters {
                    let ballots: Vec<(u8, bool)> =
                        proposers.iter().map(|p| (*p, *coin.next().unwrap())).collect();
                    assert_ok!(vote(*v, alliance, round, &ballots));
                }
                close_votes(alliance);
                paid += History::<Test>::get(alliance, round).unwrap().paid;
                if round < rounds {
                    prop_assert_eq!(pool_held() + paid, reward);
                }
                Alliance::do_try_state().unwrap();
            }
            let refused = events().iter().any(|e| matches!(e, Event::RewardNotPaid { .. }));
            prop_assert!(!refused, "a share was not paid");
            let reported = alliance_payments();
            prop_assert_eq!(reported.iter().map(|(_, a)| a).sum::<u64>(), paid);
            prop_assert_eq!(&staking_payments(), &reported);
            prop_assert_eq!(payees_free(5) - before, paid);
            let returned = events()
                .iter()
                .find_map(|e| match e {
                    Event::AllianceFinished { returned, .. } => Some(*returned),
                    _ => None,
                })
                .unwrap();
            prop_assert_eq!(pool_held(), 0);
            prop_assert_eq!(paid + returned, reward);
            prop_assert_eq!(Balances::total_balance(&acc(30)), ENDOWMENT - paid);
            Ok(reported)
        })
    }
}

/// Security review §7: a proposer that unbonds everything right after the draw is still
/// slashed when its update is voted down: the offence dates from the draw, and the stake that
/// left stays locked until the round has closed.
#[test]
fn a_proposer_that_unbonds_after_the_draw_is_still_slashed() {
    new_test_ext().execute_with(|| {
        // The draw at block 6 (era 0); the round closes at block 18 (era 1).
        let alliance = running(4, |s| s.proposer_fraction = Perbill::from_percent(50));
        let (_, proposers, voters) = roles(alliance);
        let poisoner = proposers[0];
        run_to_block(7);
        assert_ok!(Staking::unbond(
            RuntimeOrigin::signed(acc(poisoner)),
            Role::FlParticipant,
            u64::MAX
        ));
        let unbonding = pallet_starling_staking::UnbondingPeriod::<Test>::get();
        let ballot_end = Alliances::<Test>::get(alliance).unwrap().ballot_end;
        assert!(System::events().iter().any(|r| r.event
            == RuntimeEvent::Staking(pallet_starling_staking::Event::Unbonded {
                operator: acc(poisoner),
                role: Role::FlParticipant,
                amount: 1_000,
                unlock_at: ballot_end + unbonding,
            })));
        revealed(alliance, &proposers, 10);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], false), (proposers[1], true)]));
        }
        close_votes(alliance);
        assert!(events().contains(&Event::Slashed {
            alliance,
            round: 1,
            operator: acc(poisoner),
            role: Role::FlParticipant,
            reason: SlashReason::UpdateRejected,
            amount: 100
        }));
        Alliance::do_try_state().unwrap();
    });
}

/// Security review §4: a proposer that committed and could not reveal because every block of
/// the reveal window was full is not slashed; the same silence in a window with room is.
#[test]
fn silence_that_congestion_forced_is_not_slashed() {
    for congested in [true, false] {
        new_test_ext().execute_with(|| {
            let alliance = running(4, |s| s.proposer_fraction = Perbill::from_percent(50));
            let (_, proposers, voters) = roles(alliance);
            let (kept_out, heard) = (proposers[0], proposers[1]);
            assert_ok!(commit(kept_out, alliance, 1, &params(10), 10));
            assert_ok!(commit(heard, alliance, 1, &params(10), 10));
            run_to_block(9);
            assert_ok!(reveal(heard, alliance, 1, &params(10), 10));
            // The reveal window (blocks 9 to 11) ends with every block full, or not.
            while System::block_number() < 12 {
                if congested {
                    frame_system::BlockSize::<Test>::put(u32::MAX);
                }
                run_to_block(System::block_number() + 1);
            }
            frame_system::BlockSize::<Test>::kill();
            assert_eq!(Staking::had_room(9, 12), !congested);
            for v in &voters {
                assert_ok!(vote(*v, alliance, 1, &[(heard, true)]));
            }
            close_votes(alliance);
            let slashed = events().contains(&Event::Slashed {
                alliance,
                round: 1,
                operator: acc(kept_out),
                role: Role::FlParticipant,
                reason: SlashReason::UpdateRejected,
                amount: 100,
            });
            assert_eq!(slashed, !congested, "congested: {congested}");
        });
    }
}
