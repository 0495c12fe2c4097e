//! Unit tests: every extrinsic and error path, full alliances with accepted, rejected and
//! rolled-back rounds, payments from a locked creator, cross-chain replay of worker payloads,
//! and property tests of reward conservation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use crate::mock::Alliance;
use crate::{mock::*, pallet::*, types::*, worker::*, Error, Event};
use codec::Encode;
use frame_support::{
    assert_noop, assert_ok,
    pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
    traits::{
        fungible::{Inspect, InspectHold},
        Authorize, LockableCurrency, WithdrawReasons,
    },
    BoundedVec,
};
use frame_system::RawOrigin;
use pallet_starling_staking::{Role, SlashReason};
use sp_runtime::{traits::Dispatchable, DispatchError, Perbill};
use starling_ml_interface::{LabelKind, ModelFamily, Params};

const REWARD: u64 = 10_000;
const SALT: [u8; 32] = [3; 32];

fn id(account: &AccountId) -> u8 {
    AsRef::<[u8; 32]>::as_ref(account)[0]
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| if let RuntimeEvent::Alliance(e) = r.event { Some(e) } else { None })
        .collect()
}

fn participant(n: u8, stake: u64) {
    assert_ok!(Staking::bond(
        RuntimeOrigin::signed(acc(n)),
        Role::FlParticipant,
        stake,
        Perbill::from_percent(10)
    ));
    assert_ok!(Staking::set_worker(
        RuntimeOrigin::signed(acc(n)),
        worker_account(n),
        worker_proof(n)
    ));
}

fn create(rounds: u32, aggregation: Aggregation) -> AllianceId {
    let id = NextAllianceId::<Test>::get();
    assert_ok!(Alliance::create_alliance(
        RuntimeOrigin::signed(acc(30)),
        spec(rounds, aggregation),
        REWARD
    ));
    id
}

fn worker_call(call: crate::Call<Test>) -> Result<(), DispatchError> {
    authorized_call(call)
}

fn commit(
    n: u8,
    alliance: AllianceId,
    round: u32,
    p: &Params,
    samples: u32,
) -> Result<(), DispatchError> {
    let commitment = update_commitment(p, samples, &SALT, &acc(n));
    let payload = UpdateCommitment { worker: worker(n), alliance, round, commitment };
    let signature = sign(n, CallKind::CommitUpdate, &payload);
    worker_call(crate::Call::commit_update { payload, signature })
}

fn reveal(
    n: u8,
    alliance: AllianceId,
    round: u32,
    p: &Params,
    samples: u32,
) -> Result<(), DispatchError> {
    let payload =
        UpdateReveal { worker: worker(n), alliance, round, params: p.clone(), samples, salt: SALT };
    let signature = sign(n, CallKind::RevealUpdate, &payload);
    worker_call(crate::Call::reveal_update { payload, signature })
}

fn vote(
    n: u8,
    alliance: AllianceId,
    round: u32,
    ballots: &[(u8, bool)],
) -> Result<(), DispatchError> {
    let ballots: Ballots<AccountId> = BoundedVec::truncate_from(
        ballots
            .iter()
            .map(|(p, approve)| Ballot { proposer: acc(*p), approve: *approve })
            .collect(),
    );
    let payload = VotePayload { worker: worker(n), alliance, round, ballots };
    let signature = sign(n, CallKind::Vote, &payload);
    worker_call(crate::Call::vote { payload, signature })
}

/// Participants 1..=count with stakes 1000 each, joined to a new alliance whose first round
/// has started; returns (alliance, proposers, voters).
fn started(count: u8, rounds: u32, aggregation: Aggregation) -> (AllianceId, Vec<u8>, Vec<u8>) {
    for n in 1..=count {
        participant(n, 1_000);
    }
    let alliance = create(rounds, aggregation);
    for n in 1..=count {
        assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
    }
    run_to_block(6);
    roles(alliance)
}

fn roles(alliance: AllianceId) -> (AllianceId, Vec<u8>, Vec<u8>) {
    let roles = Roles::<Test>::get(alliance).expect("roles drawn");
    (
        alliance,
        roles.proposers.iter().map(|(a, _)| id(a)).collect(),
        roles.voters.iter().map(|(a, _)| id(a)).collect(),
    )
}

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
            Error::<Test>::WrongInitialModel
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

#[test]
fn roles_are_drawn_each_round_from_the_members() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(6, 2, Aggregation::FedAvg);
        // half of six are proposers, the rest vote; nobody twice
        assert_eq!(proposers.len(), 3);
        assert_eq!(voters.len(), 3);
        let mut all: Vec<u8> = proposers.iter().chain(&voters).copied().collect();
        all.sort();
        assert_eq!(all, vec![1, 2, 3, 4, 5, 6]);
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(
            (record.round, record.commit_end, record.reveal_end, record.vote_end),
            (1, 9, 12, 15)
        );
    });
}

#[test]
fn waits_for_randomness_to_draw_roles() {
    new_test_ext().execute_with(|| {
        for n in 1..=3 {
            participant(n, 1_000);
        }
        let alliance = create(1, Aggregation::FedAvg);
        for n in 1..=3 {
            assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
        }
        NO_RANDOMNESS.with(|r| r.set(true));
        run_to_block(6);
        assert!(Roles::<Test>::get(alliance).is_none());
        NO_RANDOMNESS.with(|r| r.set(false));
        run_to_block(7);
        assert!(Roles::<Test>::get(alliance).is_some());
    });
}

#[test]
fn commit_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        assert_eq!(commit(p, alliance, 2, &params(1), 10), Err(Error::<Test>::WrongRound.into()));
        assert_eq!(
            commit(voters[0], alliance, 1, &params(1), 10),
            Err(Error::<Test>::NotAProposer.into())
        );
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        assert_eq!(
            commit(p, alliance, 1, &params(2), 10),
            Err(Error::<Test>::DuplicateUpdate.into())
        );
        run_to_block(9);
        assert_eq!(
            commit(proposers[1], alliance, 1, &params(1), 10),
            Err(Error::<Test>::CommitWindowClosed.into())
        );
    });
}

#[test]
fn worker_calls_need_a_registered_worker_and_its_signature() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        let commitment = update_commitment(&params(1), 1, &SALT, &acc(p));
        let payload = UpdateCommitment { worker: worker(p), alliance, round: 1, commitment };
        let forged = sign(20, CallKind::CommitUpdate, &payload);
        let call = crate::Call::<Test>::commit_update {
            payload: payload.clone(),
            signature: forged.clone(),
        };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Alliance(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        let stranger = UpdateCommitment { worker: worker(20), alliance, round: 1, commitment };
        let signature = sign(20, CallKind::CommitUpdate, &stranger);
        let call = crate::Call::<Test>::commit_update { payload: stranger, signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadSigner)))
        );
        let signature = sign(p, CallKind::CommitUpdate, &payload);
        assert_noop!(
            Alliance::commit_update(RuntimeOrigin::signed(acc(p)), payload, signature),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn reveal_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let (p, q) = (proposers[0], proposers[1]);
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 10),
            Err(Error::<Test>::RevealNotOpen.into())
        );
        run_to_block(9);
        assert_eq!(reveal(q, alliance, 1, &params(1), 10), Err(Error::<Test>::NoCommitment.into()));
        let short: Params = BoundedVec::truncate_from(vec![1; 3]);
        assert_eq!(reveal(p, alliance, 1, &short, 10), Err(Error::<Test>::WrongDimension.into()));
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 11),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
        assert_ok!(reveal(p, alliance, 1, &params(1), 10));
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 10),
            Err(Error::<Test>::AlreadyRevealed.into())
        );
        run_to_block(12);
        assert_eq!(reveal(p, alliance, 1, &params(1), 10), Err(Error::<Test>::RevealClosed.into()));
    });
}

#[test]
fn vote_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (p, q, v) = (proposers[0], proposers[1], voters[0]);
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        run_to_block(9);
        assert_ok!(reveal(p, alliance, 1, &params(1), 10));
        assert_eq!(vote(v, alliance, 1, &[(p, true)]), Err(Error::<Test>::VoteNotOpen.into()));
        run_to_block(12);
        assert_eq!(vote(p, alliance, 1, &[(p, true)]), Err(Error::<Test>::NotAVoter.into()));
        assert_eq!(vote(v, alliance, 1, &[(q, true)]), Err(Error::<Test>::UnknownUpdate.into()));
        assert_eq!(
            vote(v, alliance, 1, &[(p, true), (p, false)]),
            Err(Error::<Test>::DuplicateBallot.into())
        );
        assert_eq!(vote(v, alliance, 2, &[(p, true)]), Err(Error::<Test>::WrongRound.into()));
        assert_ok!(vote(v, alliance, 1, &[(p, true)]));
        assert_eq!(vote(v, alliance, 1, &[(p, true)]), Err(Error::<Test>::AlreadyVoted.into()));
        // block 15 closes the round before any call of that block
        System::set_block_number(15);
        assert_eq!(
            vote(voters[1], alliance, 1, &[(p, true)]),
            Err(Error::<Test>::VoteClosed.into())
        );
    });
}

/// Two rounds with four participants: accepted updates are aggregated, a rejected proposer
/// and a minority voter are slashed, rewards conserve the pool, history and contributions are
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
        // v1 judges correctly; v2 approves the bad update too (and so is in the minority)
        assert_ok!(vote(v1, alliance, 1, &[(good, true), (bad, false)]));
        assert_ok!(vote(v2, alliance, 1, &[(good, true), (bad, true)]));
        let creator_before = Balances::balance(&acc(30));
        run_to_block(15);

        let round1 = History::<Test>::get(alliance, 1).unwrap();
        // FedAvg counts the rejected update as "no change": the global model (0) with its
        // claimed samples, capped at 100: (100·50 + 0·100) / 150 = 33.3 → 33.
        assert_eq!(round1.model, params(33));
        assert_eq!(round1.accepted.iter().map(id).collect::<Vec<_>>(), vec![good]);
        assert_eq!(round1.rejected.iter().map(id).collect::<Vec<_>>(), vec![bad]);
        assert!(!round1.rolled_back);
        // The round's reward is half the pool (two rounds): 60 % to the accepted proposer,
        // 40 % to the majority voter.
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
            amount: 2_000
        }));
        assert!(events().contains(&Event::Slashed {
            alliance,
            round: 1,
            operator: acc(bad),
            role: Role::FlParticipant,
            reason: SlashReason::UpdateRejected,
            amount: 100
        }));
        assert!(events().contains(&Event::Slashed {
            alliance,
            round: 1,
            operator: acc(v2),
            role: Role::FlParticipant,
            reason: SlashReason::MinorityVote,
            amount: 50
        }));
        assert_eq!(Contributions::<Test>::get(alliance, acc(good)), 1);
        assert_eq!(Balances::balance(&acc(30)), creator_before);

        // Round 2 started at once; nobody proposes: rolled back, nothing paid.
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(record.round, 2);
        run_to_block(record.vote_end);
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
        let finished = FINISHED.with(|f| f.borrow().clone());
        assert_eq!(finished.len(), 1);
        let model = &finished[0];
        assert_eq!((model.alliance, &model.creator), (alliance, &acc(30)));
        assert_eq!(model.params, params(33));
        assert_eq!(model.contributors, vec![(acc(good), 1)]);
        assert_eq!(model.data, record.spec.data);
        Alliance::do_try_state().unwrap();
    });
}

#[test]
fn emission_credits_running_alliances_and_is_minted_only_when_paid() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        assert_eq!((proposers.len(), voters.len()), (2, 2));
        // An alliance still joining gets no share.
        let joining = create(2, Aggregation::FedAvg);
        let issuance = Balances::total_issuance();
        Alliance::accrue_emission(1_003);
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
        run_to_block(15);
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
        run_to_block(record.vote_end);
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
        Alliance::accrue_emission(1_000);
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
        // Only one voter votes, and only on the first update.
        assert_ok!(vote(voters[0], alliance, 1, &[(judged, true)]));
        run_to_block(15);

        let round1 = History::<Test>::get(alliance, 1).unwrap();
        assert_eq!(round1.accepted.iter().map(id).collect::<Vec<_>>(), vec![judged]);
        assert!(round1.rejected.is_empty());
        // The model is the judged update alone.
        assert_eq!(round1.model, params(100));
        assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })));
        assert_eq!(Contributions::<Test>::get(alliance, acc(unjudged)), 0);
    });
}

#[test]
fn an_update_needs_two_thirds_of_its_judges_stake() {
    new_test_ext().execute_with(|| {
        for n in 1..=8 {
            participant(n, 1_000);
        }
        let mut s = spec(1, Aggregation::FedAvg);
        s.proposer_fraction = Perbill::from_parts(375_000_000); // 3 of 8 propose, 5 vote
        let alliance = NextAllianceId::<Test>::get();
        assert_ok!(Alliance::create_alliance(RuntimeOrigin::signed(acc(30)), s, REWARD));
        for n in 1..=8 {
            assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
        }
        run_to_block(6);
        let (_, proposers, voters) = roles(alliance);
        assert_eq!((proposers.len(), voters.len()), (3, 5));
        let (short, exact, two_thirds) = (proposers[0], proposers[1], proposers[2]);
        for p in [short, exact, two_thirds] {
            assert_ok!(commit(p, alliance, 1, &params(10), 10));
        }
        run_to_block(9);
        for p in [short, exact, two_thirds] {
            assert_ok!(reveal(p, alliance, 1, &params(10), 10));
        }
        run_to_block(12);
        // `short`: 3 of 5 equal stakes approve (60 %, a majority but under two thirds);
        // `exact`: 4 of 5 approve (80 %); `two_thirds`: judged by three voters only, two of
        // whom approve (exactly two thirds of its judges' stake).
        for (i, v) in voters.iter().enumerate() {
            let mut ballots = vec![(short, i < 3), (exact, i < 4)];
            if i < 3 {
                ballots.push((two_thirds, i < 2));
            }
            assert_ok!(vote(*v, alliance, 1, &ballots));
        }
        run_to_block(15);
        let round1 = History::<Test>::get(alliance, 1).unwrap();
        let mut accepted: Vec<u8> = round1.accepted.iter().map(id).collect();
        accepted.sort();
        let mut expected = vec![exact, two_thirds];
        expected.sort();
        assert_eq!(accepted, expected);
        assert!(round1.rejected.iter().map(id).any(|p| p == short));
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
            run_to_block(15);
            assert_eq!(
                History::<Test>::get(alliance, 1).unwrap().model,
                params(expected),
                "{rule:?}"
            );
        });
    }
}

/// Locks `amount` of the creator's balance the way a conviction vote does (up to the total,
/// holds included).
fn lock_creator(amount: u64) {
    <Balances as LockableCurrency<AccountId>>::set_lock(
        *b"pyconvot",
        &acc(30),
        amount,
        WithdrawReasons::all(),
    );
}

/// The creator's reward-pool hold.
fn pool_held() -> u64 {
    Balances::balance_on_hold(&HoldReason::RewardPool.into(), &acc(30))
}

/// What the alliance reports paying: (participant, amount), sorted.
fn alliance_payments() -> Vec<(AccountId, u64)> {
    let mut paid: Vec<(AccountId, u64)> = events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Rewarded { operator, amount, .. } => Some((operator, amount)),
            _ => None,
        })
        .collect();
    paid.sort();
    paid
}

/// What staking credited to operators (commission plus pool share), sorted.
fn staking_payments() -> Vec<(AccountId, u64)> {
    let mut paid: Vec<(AccountId, u64)> = System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Staking(pallet_starling_staking::Event::Rewarded {
                operator,
                commission,
                to_pool,
                ..
            }) => Some((operator, commission + to_pool)),
            _ => None,
        })
        .collect();
    paid.sort();
    paid
}

/// Free balance of participants 1..=count plus staking's reward pot: where payments land
/// (commission to the operator, the rest to the pot for the pool's members).
fn payees_free(count: u8) -> u64 {
    (1..=count).map(|n| Balances::balance(&acc(n))).sum::<u64>()
        + Balances::balance(&Staking::reward_pot())
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
        run_to_block(15);

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
        run_to_block(15);
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 5_000);
        assert_eq!(Balances::balance(&payout), 1);
        assert_eq!(Balances::total_issuance(), issuance + 1);
        Alliance::do_try_state().unwrap();
    });
}

/// A share staking refuses (the participant left staking during the round) goes back into
/// the creator's hold, is reported, and returns to the creator at the end.
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
        // The first proposer leaves staking before the round closes.
        let leaver = proposers[0];
        assert_ok!(Staking::set_unbonding_period(RuntimeOrigin::root(), 1));
        assert_ok!(Staking::unbond(RuntimeOrigin::signed(acc(leaver)), Role::FlParticipant, 1_000));
        run_to_block(10);
        assert_ok!(Staking::withdraw_unbonded(
            RuntimeOrigin::signed(acc(leaver)),
            acc(leaver),
            Role::FlParticipant
        ));
        assert!(!pallet_starling_staking::Operators::<Test>::contains_key(
            acc(leaver),
            Role::FlParticipant
        ));
        run_to_block(12);
        for v in &voters {
            assert_ok!(vote(*v, alliance, 1, &[(proposers[0], true), (proposers[1], true)]));
        }
        run_to_block(15);

        assert!(events().contains(&Event::RewardNotPaid {
            alliance,
            round: 1,
            participant: acc(leaver),
            amount: 1_500,
            error: pallet_starling_staking::Error::<Test>::NotAnOperator.into(),
        }));
        assert!(!alliance_payments().iter().any(|(who, _)| *who == acc(leaver)));
        assert_eq!(History::<Test>::get(alliance, 1).unwrap().paid, 3_500);
        assert_eq!(pool_held(), REWARD - 3_500);
        assert_eq!(Alliances::<Test>::get(alliance).unwrap().pool, REWARD - 3_500);
        assert_eq!(Balances::balance(&Alliance::payout_account()), 1);
        Alliance::do_try_state().unwrap();

        // Round 2: nobody proposes; the unpaid share returns to the creator with the rest.
        run_to_block(Alliances::<Test>::get(alliance).unwrap().vote_end);
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
        Alliance::accrue_emission(1_000);
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
        run_to_block(15);

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

/// L4: a worker signs over the chain's genesis hash, so a payload signed for another chain
/// (a testnet where the same key is registered) is refused here.
#[test]
fn a_payload_signed_for_another_chain_is_refused() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        let genesis = pallet_starling_staking::workers::genesis_hash::<Test>();
        let elsewhere = sp_core::H256::repeat_byte(0xab);
        assert_ne!(genesis, elsewhere);
        let commitment = update_commitment(&params(1), 10, &SALT, &acc(p));
        let payload = UpdateCommitment { worker: worker(p), alliance, round: 1, commitment };
        assert_ne!(
            signing_message(&genesis, CallKind::CommitUpdate, &payload),
            signing_message(&elsewhere, CallKind::CommitUpdate, &payload)
        );
        let replayed = sign_for_chain(elsewhere, p, CallKind::CommitUpdate, &payload);
        let call = crate::Call::<Test>::commit_update {
            payload: payload.clone(),
            signature: replayed.clone(),
        };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Alliance(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        // The same payload signed for this chain goes through.
        let signature = sign(p, CallKind::CommitUpdate, &payload);
        assert_ok!(worker_call(crate::Call::commit_update { payload, signature }));
        assert!(Updates::<Test>::contains_key(alliance, acc(p)));
    });
}

/// L6: a ballot carries the approval bit and nothing the voter measured on its private rows.
#[test]
fn a_ballot_publishes_only_the_approval_bit() {
    new_test_ext().execute_with(|| {
        let ballot = Ballot { proposer: acc(1), approve: false };
        assert_eq!(ballot.encode(), (acc(1), false).encode());
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        assert_ok!(commit(proposers[0], alliance, 1, &params(1), 10));
        run_to_block(9);
        assert_ok!(reveal(proposers[0], alliance, 1, &params(1), 10));
        run_to_block(12);
        assert_ok!(vote(voters[0], alliance, 1, &[(proposers[0], true)]));
        let stored = Votes::<Test>::get(alliance, acc(voters[0])).unwrap();
        assert_eq!(stored.encode(), vec![(acc(proposers[0]), true)].encode());
        assert!(events().contains(&Event::Voted { alliance, round: 1, voter: acc(voters[0]) }));
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
                    run_to_block(record.vote_end);
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
                run_to_block(record.vote_end);
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

/// One round run by the participants' off-chain workers with the real engine: proposers
/// train from the global model on their own shards and commit, then reveal; voters score the
/// updates on their own shards and vote; a poisoner's sign-flipped update is
/// rejected and slashed. The engine is the node's demonstration decorator
/// (`starling_ml_engine::demo`), reading its settings from the test's off-chain storage as the
/// node reads them from its database: the runtime itself carries no misbehaviour.
mod offchain_worker {
    use super::*;
    use crate::offchain::SHARD_KEY;
    use codec::{Decode, Encode};
    use frame_support::traits::Hooks;
    use sp_core::offchain::{
        testing::{TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPoolExt,
    };
    use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
    use starling_ml_engine::{
        demo::{Misbehaving, Poison, POISON_KEY},
        Engine,
    };
    use starling_ml_interface::{HyperParams, MlBackend, Split, TrainRequest};
    use std::sync::Arc;

    fn decode_calls(pool: &[Vec<u8>]) -> Vec<crate::Call<Test>> {
        pool.iter()
            .map(|bytes| match Extrinsic::decode(&mut &bytes[..]).unwrap().function {
                RuntimeCall::Alliance(call) => call,
                other => panic!("unexpected call {other:?}"),
            })
            .collect()
    }

    /// A node holding the worker keys of participants 1..=5 (participant `n` on shard `n − 1`
    /// of 5), with the real engine. Returns its externalities, a setter for its persistent
    /// off-chain storage, and a function that takes the calls its workers submitted.
    #[allow(clippy::type_complexity)]
    fn node(
    ) -> (starling_test_utils::CheckedExt, impl Fn(&[u8], &[u8]), impl Fn() -> Vec<crate::Call<Test>>)
    {
        let keystore = MemoryKeystore::new();
        for n in 1..=5u8 {
            let byte = n.wrapping_add(100);
            let seed: String =
                format!("0x{}", (0..32).map(|_| format!("{byte:02x}")).collect::<String>());
            keystore.sr25519_generate_new(crate::mock::crypto::KEY_TYPE, Some(&seed)).unwrap();
        }
        let (offchain, offchain_state) = TestOffchainExt::new();
        let (pool, pool_state) = TestTransactionPoolExt::new();
        let mut ext = new_test_ext();
        ext.register_extension(OffchainDbExt::new(offchain.clone()));
        ext.register_extension(OffchainWorkerExt::new(offchain));
        ext.register_extension(TransactionPoolExt::new(pool));
        ext.register_extension(KeystoreExt::new(Arc::new(keystore)));
        let settings = offchain_state.clone();
        let read = Arc::new(move |key: &[u8]| settings.read().persistent_storage.get(key));
        ext.register_extension(Misbehaving::new(Engine::new(None).unwrap(), read).extension());
        let set = move |key: &[u8], value: &[u8]| {
            offchain_state.write().persistent_storage.set(b"", key, value)
        };
        for n in 1..=5u8 {
            set(&(SHARD_KEY, worker_account(n)).encode(), &(u16::from(n) - 1, 5u16).encode());
        }
        let take = move || {
            let calls = decode_calls(&pool_state.read().transactions);
            pool_state.write().transactions.clear();
            calls
        };
        (ext, set, take)
    }

    #[test]
    fn participants_train_commit_reveal_and_vote_with_the_engine() {
        let (mut ext, set, take) = node();
        ext.execute_with(|| {
            let (alliance, proposers, voters) = started(5, 1, Aggregation::FedAvg);
            assert_eq!(proposers.len(), 3);
            // the first proposer poisons its update
            let poisoner = proposers[0];
            set(&(POISON_KEY, worker_account(poisoner)).encode(), &Poison::SignFlip.encode());

            Alliance::offchain_worker(6);
            let calls = take();
            assert_eq!(calls.len(), 3, "every proposer commits");
            for call in calls {
                assert!(matches!(call, crate::Call::commit_update { .. }));
                worker_call(call).unwrap();
            }
            run_to_block(9);
            Alliance::offchain_worker(9);
            let calls = take();
            assert_eq!(calls.len(), 3, "every proposer reveals");
            for call in calls {
                worker_call(call).unwrap();
            }
            run_to_block(12);
            Alliance::offchain_worker(12);
            let calls = take();
            assert_eq!(calls.len(), voters.len(), "every voter votes");
            for call in calls {
                match &call {
                    crate::Call::vote { payload, .. } => {
                        assert_eq!(payload.ballots.len(), 3);
                        for ballot in payload.ballots.iter() {
                            assert_eq!(
                                ballot.approve,
                                id(&ballot.proposer) != poisoner,
                                "{ballot:?}"
                            );
                        }
                    },
                    other => panic!("unexpected call {other:?}"),
                }
                worker_call(call).unwrap();
            }
            run_to_block(15);
            let record = History::<Test>::get(alliance, 1).unwrap();
            assert_eq!(record.accepted.len(), 2);
            assert_eq!(record.rejected.iter().map(id).collect::<Vec<_>>(), vec![poisoner]);
            assert!(events().contains(&Event::Slashed {
                alliance,
                round: 1,
                operator: acc(poisoner),
                role: Role::FlParticipant,
                reason: SlashReason::UpdateRejected,
                amount: 100
            }));
            assert_ne!(record.model, params(0), "the global model moved");
        });
    }

    /// A `label-flip` poisoner's worker proposes what the engine trains from the global model
    /// on its shard with the labels mirrored; honest proposers train on the true labels.
    #[test]
    fn a_label_flipping_participant_proposes_the_model_of_its_flipped_labels() {
        let (mut ext, set, take) = node();
        ext.execute_with(|| {
            let (alliance, proposers, _) = started(5, 1, Aggregation::FedAvg);
            let poisoner = proposers[0];
            set(&(POISON_KEY, worker_account(poisoner)).encode(), &Poison::LabelFlip.encode());
            Alliance::offchain_worker(6);
            for call in take() {
                worker_call(call).unwrap();
            }
            run_to_block(9);
            Alliance::offchain_worker(9);
            let record = Alliances::<Test>::get(alliance).unwrap();
            let engine = Engine::new(None).unwrap();
            let expected = |n: u8, flip_labels: bool| {
                let dataset = crate::offchain::participant_data(
                    &record.spec.data,
                    &worker_account(n),
                    Split::Train,
                )
                .unwrap();
                let request = TrainRequest {
                    family: record.spec.family,
                    schema: record.spec.schema,
                    dataset,
                    init: Some(record.global.clone()),
                    hyper: HyperParams { l2: record.spec.proximal, ..HyperParams::default() },
                    worker: None,
                };
                let trained = if flip_labels {
                    engine.train_on_flipped_labels(&request)
                } else {
                    engine.train(request)
                };
                trained.unwrap().params
            };
            let calls = take();
            assert_eq!(calls.len(), 3, "every proposer reveals");
            for call in calls {
                let crate::Call::reveal_update { payload, .. } = &call else {
                    panic!("unexpected call {call:?}")
                };
                let n = proposers.iter().copied().find(|n| worker(*n) == payload.worker).unwrap();
                assert_eq!(payload.params, expected(n, n == poisoner), "proposer {n}");
            }
            assert_ne!(expected(poisoner, true), expected(poisoner, false));
        });
    }
}
