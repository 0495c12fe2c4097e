//! Creating alliances, joining and leaving, governance parameters.

use super::*;
use frame_support::traits::{GetStorageVersion, StorageVersion};

#[test]
fn create_alliance_holds_the_pool() {
    new_test_ext().execute_with(|| {
        let alliance = create(3, Aggregation::FedAvg);
        assert_eq!(Balances::balance_on_hold(&HoldReason::RewardPool.into(), &acc(30)), REWARD);
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!((record.phase, record.round, record.join_end), (Phase::Joining, 0, 6));
        assert!(events().contains(&Event::AllianceCreated {
            alliance,
            creator: acc(30),
            pool: REWARD,
            join_end: 6
        }));
    });
}

#[test]
fn create_alliance_rejects_bad_input() {
    new_test_ext().execute_with(|| {
        let origin = || RuntimeOrigin::signed(acc(30));
        let good = spec(3, Aggregation::Median);
        assert_noop!(
            Alliance::create_alliance(origin(), good.clone(), 99),
            Error::<Test>::RewardTooLow
        );
        assert_noop!(
            Alliance::create_alliance(origin(), AllianceSpec { rounds: 0, ..good.clone() }, REWARD),
            Error::<Test>::InvalidRounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { rounds: MAX_ROUNDS + 1, ..good.clone() },
                REWARD
            ),
            Error::<Test>::InvalidRounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { min_participants: 1, ..good.clone() },
                REWARD
            ),
            Error::<Test>::InvalidParticipantBounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { min_participants: 9, ..good.clone() },
                REWARD
            ),
            Error::<Test>::InvalidParticipantBounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { max_participants: MAX_PARTICIPANTS + 1, ..good.clone() },
                REWARD
            ),
            Error::<Test>::InvalidParticipantBounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { proposer_fraction: Perbill::zero(), ..good.clone() },
                REWARD
            ),
            Error::<Test>::InvalidProposerFraction
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { join_window: 1, ..good.clone() },
                REWARD
            ),
            Error::<Test>::WindowOutOfBounds
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { vote_window: 101, ..good.clone() },
                REWARD
            ),
            Error::<Test>::WindowOutOfBounds
        );
        // Within the window bounds, but a round (30 + 3 + 30 + 3 blocks) outlasts the 60 blocks
        // staking keeps a slash dated at the draw within reach.
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { propose_window: 30, vote_window: 30, ..good.clone() },
                REWARD
            ),
            Error::<Test>::RoundTooLong
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec { family: ModelFamily::LogisticBinary, ..good.clone() },
                REWARD
            ),
            Error::<Test>::FamilyDoesNotFitSchema
        );
        let mut classes = good.clone();
        classes.schema.label = LabelKind::Classes(3);
        assert_noop!(
            Alliance::create_alliance(origin(), classes, REWARD),
            Error::<Test>::FamilyDoesNotFitSchema
        );
        assert_noop!(
            Alliance::create_alliance(
                origin(),
                AllianceSpec {
                    initial_model: params(0).into_inner()[..5].to_vec().try_into().unwrap(),
                    ..good.clone()
                },
                REWARD
            ),
            Error::<Test>::WrongParameterCount
        );
        assert_noop!(
            Alliance::create_alliance(origin(), good.clone(), ENDOWMENT),
            Error::<Test>::InsufficientFunds
        );
        for _ in 0..4 {
            create(3, Aggregation::FedAvg);
        }
        assert_noop!(
            Alliance::create_alliance(origin(), good, REWARD),
            Error::<Test>::TooManyAlliances
        );
    });
}

#[test]
fn set_params_is_governed_and_checked() {
    new_test_ext().execute_with(|| {
        let params = AllianceParams { reveal_window: 4, ..DefaultParams::get() };
        assert_noop!(
            Alliance::set_params(RuntimeOrigin::signed(acc(1)), params),
            DispatchError::BadOrigin
        );
        assert_ok!(Alliance::set_params(RuntimeOrigin::root(), params));
        assert_eq!(Parameters::<Test>::get().reveal_window, 4);
        assert_noop!(
            Alliance::set_params(
                RuntimeOrigin::root(),
                AllianceParams { reveal_window: 0, ..params }
            ),
            Error::<Test>::InvalidParams
        );
        assert_noop!(
            Alliance::set_params(
                RuntimeOrigin::root(),
                AllianceParams { min_window: 200, ..params }
            ),
            Error::<Test>::InvalidParams
        );
    });
}

#[test]
fn join_and_leave_rules() {
    new_test_ext().execute_with(|| {
        for n in 1..=9 {
            participant(n, 1_000);
        }
        let alliance = create(2, Aggregation::FedAvg);
        let join = |n: u8| Alliance::join(RuntimeOrigin::signed(acc(n)), alliance);
        assert_noop!(
            Alliance::join(RuntimeOrigin::signed(acc(1)), 9),
            Error::<Test>::AllianceNotFound
        );
        assert_noop!(join(20), Error::<Test>::NotAnFlParticipant);
        assert_ok!(join(1));
        assert!(events().contains(&Event::Joined { alliance, participant: acc(1) }));
        assert_noop!(join(1), Error::<Test>::AlreadyMember);
        for n in 2..=8 {
            assert_ok!(join(n));
        }
        assert_noop!(join(9), Error::<Test>::AllianceFull);
        assert_noop!(
            Alliance::leave(RuntimeOrigin::signed(acc(9)), alliance),
            Error::<Test>::NotAMember
        );
        assert_ok!(Alliance::leave(RuntimeOrigin::signed(acc(8)), alliance));
        assert!(events().contains(&Event::Left { alliance, participant: acc(8) }));
        run_to_block(6);
        assert_noop!(join(9), Error::<Test>::JoinWindowClosed);
        // a drawn participant cannot leave mid-round
        let (_, proposers, _) = roles(alliance);
        assert_noop!(
            Alliance::leave(RuntimeOrigin::signed(acc(proposers[0])), alliance),
            Error::<Test>::InRound
        );
    });
}

#[test]
fn too_few_participants_cancel_and_return_the_pool() {
    new_test_ext().execute_with(|| {
        participant(1, 1_000);
        let alliance = create(2, Aggregation::FedAvg);
        assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(1)), alliance));
        run_to_block(6);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().phase, Phase::Cancelled);
        assert_eq!(Balances::balance(&acc(30)), ENDOWMENT);
        assert!(events().contains(&Event::AllianceCancelled { alliance }));
        assert_noop!(
            Alliance::join(RuntimeOrigin::signed(acc(1)), alliance),
            Error::<Test>::AllianceEnded
        );
        Alliance::do_try_state().unwrap();
    });
}

/// Two rounds with four participants: accepted updates are aggregated, a proposer the voters
/// turn down is slashed, rewards conserve the pool, history and contributions are
/// recorded, the rest of the pool returns to the creator.
#[test]
fn a_full_alliance() {
    new_test_ext().execute_with(|| {
        let issuance = Balances::total_issuance();
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (good, bad) = (proposers[0], proposers[1]);
        let (v1, v2) = (voters[0], voters[1]);
        assert_ok!(commit(good, alliance, 1, &params(100), 50));
        assert_ok!(commit(bad, alliance, 1, &params(-300), 500));
        run_to_block(9);
        assert_ok!(reveal(good, alliance, 1, &params(100), 50));
        assert_ok!(reveal(bad, alliance, 1, &params(-300), 500));
        run_to_block(12);
        // both voters judge correctly
        assert_ok!(vote(v1, alliance, 1, &[(good, true), (bad, false)]));
        assert_ok!(vote(v2, alliance, 1, &[(good, true), (bad, false)]));
        let creator_before = Balances::balance(&acc(30));
        close_votes(alliance);

        let round1 = History::<Test>::get(alliance, 1).unwrap();
        // FedAvg counts the rejected update as "no change": the global model (0) with its
        // claimed samples, capped at 100: (100·50 + 0·100) / 150 = 33.3 → 33.
        assert_eq!(round1.model, params(33));
        assert_eq!(round1.accepted.iter().map(id).collect::<Vec<_>>(), vec![good]);
        assert_eq!(round1.rejected.iter().map(id).collect::<Vec<_>>(), vec![bad]);
        assert!(!round1.rolled_back);
        // The round's reward is half the pool (two rounds): 60 % to the accepted proposer,
        // 40 % to the majority voters.
        assert_eq!(round1.paid, 5_000);
        assert!(events().contains(&Event::Rewarded {
            alliance,
            round: 1,
            operator: acc(good),
            role: Role::FlParticipant,
            amount: 3_000
        }));
        assert!(events().contains(&Event::Rewarded {
            alliance,
            round: 1,
            operator: acc(v1),
            role: Role::FlParticipant,
            amount: 1_000
        }));
        assert!(events().contains(&Event::Rewarded {
            alliance,
            round: 1,
            operator: acc(v2),
            role: Role::FlParticipant,
            amount: 1_000
        }));
        assert!(events().contains(&Event::Slashed {
            alliance,
            round: 1,
            operator: acc(bad),
            role: Role::FlParticipant,
            reason: SlashReason::UpdateRejected,
            amount: 100
        }));
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::Slashed { reason: SlashReason::MinorityVote, .. })));
        assert_eq!(Contributions::<Test>::get(alliance, acc(good)), 1);
        assert_eq!(Balances::balance(&acc(30)), creator_before);

        // Round 2 started at once; nobody proposes: rolled back, nothing paid.
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.round, 2);
        close_votes(alliance);
        let round2 = History::<Test>::get(alliance, 2).unwrap();
        assert!(round2.rolled_back);
        assert_eq!(round2.model, params(33));
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.phase, Phase::Finished);
        assert_eq!(Alliance::global_model(alliance), Some(params(33)));
        assert!(events().contains(&Event::AllianceFinished {
            alliance,
            rounds: 2,
            returned: 5_000
        }));
        assert_eq!(Balances::balance_on_hold(&HoldReason::RewardPool.into(), &acc(30)), 0);
        assert_eq!(Balances::balance(&acc(30)), creator_before + 5_000);
        assert_eq!(Balances::total_issuance(), issuance);
        assert!(Updates::<Test>::iter_prefix(alliance).next().is_none());
        assert!(Votes::<Test>::iter_prefix(alliance).next().is_none());
        assert!(Roles::<Test>::get(alliance).is_none());
        assert!(ActiveAlliances::<Test>::get().is_empty());
        // The final model is handed on (to the marketplace in the runtime), its contributors
        // weighted by accepted updates.
        let finished = starling_test_utils::registered_models();
        assert_eq!(finished.len(), 1);
        let model = &finished[0];
        assert_eq!((model.source, &model.owner), (ModelSource::Alliance(alliance), &acc(30)));
        assert_eq!(model.spec.data, ModelData::Inline(params(33)));
        assert_eq!(model.creators, vec![(acc(good), 1)]);
        // The alliance decides what the marketplace monitors: its loss metric, and the public
        // test split of built-in data (never a participant's local rows).
        assert_eq!(model.spec.metric, loss_metric(record.spec.schema.label));
        assert_eq!(model.spec.eval, record.spec.data.public_eval());
        assert!(model.spec.eval.is_some());
        assert_eq!(model.score, None);
        Alliance::do_try_state().unwrap();
    });
}

/// L10: the id counter never wraps; the last id is used once and then creation fails.
#[test]
fn alliance_ids_never_wrap() {
    new_test_ext().execute_with(|| {
        NextAllianceId::<Test>::put(u32::MAX - 1);
        let last = create(2, Aggregation::FedAvg);
        assert_eq!(last, u32::MAX - 1);
        assert_eq!(NextAllianceId::<Test>::get(), u32::MAX);
        assert_noop!(
            Alliance::create_alliance(
                RuntimeOrigin::signed(acc(31)),
                spec(2, Aggregation::FedAvg),
                REWARD
            ),
            Error::<Test>::AllianceIdsExhausted
        );
        assert_eq!(Alliances::<Test>::get(last).unwrap().creator, acc(30));
        assert!(Alliances::<Test>::get(u32::MAX).is_none());
        assert_eq!(Balances::balance_on_hold(&HoldReason::RewardPool.into(), &acc(31)), 0);
        Alliance::do_try_state().unwrap();
    });
}

/// What a finished alliance's model is monitored on: the public test split of built-in data,
/// never a participant's local rows (formerly decided in the runtime's adapter).
#[test]
fn only_public_data_becomes_evaluation_data() {
    let local = AllianceData::Local {
        id: frame_support::BoundedVec::truncate_from(b"clinic".to_vec()),
        test_permille: 200,
    };
    assert_eq!(local.public_eval(), None);
    let built_in = AllianceData::BuiltIn {
        dataset: starling_ml_interface::BuiltInDataset::Diabetes,
        seed: 5,
        test_permille: 250,
    };
    let Some(starling_ml_interface::DatasetRef::BuiltIn { dataset, slice }) =
        built_in.public_eval()
    else {
        panic!("built-in data has public held-out rows");
    };
    assert_eq!(dataset, starling_ml_interface::BuiltInDataset::Diabetes);
    assert_eq!((slice.seed, slice.test_permille), (5, 250));
    assert_eq!(slice.split, starling_ml_interface::Split::Test);
    assert_eq!((slice.shard_index, slice.shard_count), (0, 1));
    assert_eq!(loss_metric(LabelKind::Continuous), starling_ml_interface::Metric::Mse);
    assert_eq!(loss_metric(LabelKind::Classes(3)), starling_ml_interface::Metric::LogLoss);
}

/// `on_initialize` looks only at the alliances due in its block: a new alliance is queued at
/// the end of its join window, a running round at the end of its ballot reveals.
#[test]
fn an_alliance_is_queued_at_each_stage_change() {
    new_test_ext().execute_with(|| {
        let (alliance, _, _) = started(4, 2, Aggregation::FedAvg);
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.phase, Phase::Round);
        let queued: Vec<(u64, Vec<AllianceId>)> =
            DueAlliances::<Test>::iter().map(|(b, q)| (b, q.into_inner())).collect();
        assert_eq!(queued, vec![(record.ballot_end, vec![alliance])]);
    });
}

/// Rewrites alliance `id` in the layout of storage version 1 (no `ballot_end`).
fn downgrade(id: AllianceId) {
    let r = Alliances::<Test>::get(id).unwrap();
    let old = crate::rounds::v1::Alliance {
        creator: r.creator,
        spec: r.spec,
        pool: r.pool,
        emission: r.emission,
        phase: r.phase,
        members: r.members,
        round: r.round,
        global: r.global,
        join_end: r.join_end,
        commit_end: r.commit_end,
        reveal_end: r.reveal_end,
        vote_end: r.vote_end,
    };
    frame_support::storage::unhashed::put_raw(
        &Alliances::<Test>::hashed_key_for(id),
        &old.encode(),
    );
}

/// The upgrade from storage version 0 translates every alliance and queues the running ones
/// (before, every block scanned them all); without it `try_state` reports a running alliance
/// nobody would look at.
#[test]
fn the_upgrade_queues_running_alliances() {
    new_test_ext().execute_with(|| {
        for n in 1..=4 {
            participant(n, 1_000);
        }
        let joining = create(1, Aggregation::FedAvg);
        for n in 1..=4 {
            assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), joining));
        }
        let _ = DueAlliances::<Test>::clear(u32::MAX, None);
        downgrade(joining);
        StorageVersion::new(0).put::<Alliance>();
        assert!(Alliance::do_try_state().is_err());
        crate::rounds::migrate::<Test>();
        assert_eq!(Alliance::on_chain_storage_version(), StorageVersion::new(2));
        let record = Alliances::<Test>::get(joining).unwrap();
        assert_eq!(record.ballot_end, record.vote_end);
        assert_eq!(DueAlliances::<Test>::get(record.join_end).into_inner(), vec![joining]);
        Alliance::do_try_state().unwrap();
        // The rounds go on from the queue.
        run_to_block(record.join_end);
        assert_eq!(Alliances::<Test>::get(joining).unwrap().phase, Phase::Round);
        assert!(Roles::<Test>::contains_key(joining));
    });
}

/// The upgrade to storage version 2 (sealed ballots) gives a round running at the upgrade a
/// ballot reveal window after its vote end: a plaintext ballot cast before the upgrade still
/// counts, and a voter yet to vote commits and reveals.
#[test]
fn the_upgrade_to_sealed_ballots_keeps_a_running_round() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 1, Aggregation::FedAvg);
        assert_eq!((proposers.len(), voters.len()), (2, 2));
        let p = proposers[0];
        revealed(alliance, &[p], 8);
        // Voter 0 voted in plaintext before the upgrade.
        Votes::<Test>::insert(alliance, acc(voters[0]), ballots_of(&[(p, true)]));
        downgrade(alliance);
        StorageVersion::new(1).put::<Alliance>();
        crate::rounds::migrate::<Test>();
        assert_eq!(Alliance::on_chain_storage_version(), StorageVersion::new(2));
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!((record.vote_end, record.ballot_end), (15, 18));
        Alliance::do_try_state().unwrap();
        assert_ok!(commit_ballots(voters[1], alliance, 1, &[(p, true)]));
        run_to_block(15);
        assert_ok!(reveal_ballots(voters[1], alliance, 1, &[(p, true)]));
        run_to_block(18);
        let history = History::<Test>::get(alliance, 1).unwrap();
        assert_eq!(history.accepted.iter().map(id).collect::<Vec<_>>(), vec![p]);
        Alliance::do_try_state().unwrap();
        // A second run does nothing.
        crate::rounds::migrate::<Test>();
        assert_eq!(Alliance::on_chain_storage_version(), StorageVersion::new(2));
    });
}

/// At most `MAX_TRANSITIONS_PER_BLOCK` stage changes run in one block; an alliance due beyond
/// that budget is queued for the next block and changes stage there.
#[test]
fn stage_changes_beyond_the_budget_wait_a_block() {
    new_test_ext().execute_with(|| {
        let alliances: Vec<AllianceId> = (0..3).map(|_| create(1, Aggregation::FedAvg)).collect();
        let join_end = Alliances::<Test>::get(alliances[0]).unwrap().join_end;
        // Nobody joins: each closing of the join window cancels its alliance.
        run_to_block(join_end);
        let cancelled =
            |a: &AllianceId| Alliances::<Test>::get(a).unwrap().phase == Phase::Cancelled;
        assert_eq!(
            alliances.iter().filter(|a| cancelled(a)).count(),
            crate::rounds::MAX_TRANSITIONS_PER_BLOCK as usize
        );
        assert_eq!(DueAlliances::<Test>::get(join_end + 1).into_inner(), vec![alliances[2]]);
        run_to_block(join_end + 1);
        assert!(alliances.iter().all(cancelled));
    });
}
