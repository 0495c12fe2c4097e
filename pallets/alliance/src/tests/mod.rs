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
use starling_primitives::{
    emission::EmissionRecipient,
    models::{ModelData, ModelSource},
};
use starling_support::{commit_reveal::seal, worker_call::signing_message};

mod creation;
mod offchain;
mod rounds;
mod settlement;
mod simulation;
mod stage;

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

    // Bonded long before any draw (security review §10 snapshots are tested in staking).
    starling_test_utils::stake_as_of_genesis::<Test>();
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
    let commitment = seal(&(p, samples), &SALT, &acc(n));
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

fn ballots_of(ballots: &[(u8, bool)]) -> Ballots<AccountId> {
    BoundedVec::truncate_from(
        ballots
            .iter()
            .map(|(p, approve)| Ballot { proposer: acc(*p), approve: *approve })
            .collect(),
    )
}

/// Voter `n` commits its sealed `ballots`.
fn commit_ballots(
    n: u8,
    alliance: AllianceId,
    round: u32,
    ballots: &[(u8, bool)],
) -> Result<(), DispatchError> {
    let commitment = seal(&ballots_of(ballots), &SALT, &acc(n));
    let payload = BallotCommitment { worker: worker(n), alliance, round, commitment };
    let signature = sign(n, CallKind::CommitBallots, &payload);
    worker_call(crate::Call::commit_ballots { payload, signature })
}

/// Voter `n` reveals `ballots` (with the tests' salt).
fn reveal_ballots(
    n: u8,
    alliance: AllianceId,
    round: u32,
    ballots: &[(u8, bool)],
) -> Result<(), DispatchError> {
    let payload = BallotReveal {
        worker: worker(n),
        alliance,
        round,
        ballots: ballots_of(ballots),
        salt: SALT,
    };
    let signature = sign(n, CallKind::RevealBallots, &payload);
    worker_call(crate::Call::reveal_ballots { payload, signature })
}

/// Ballots committed with [`vote`] and not yet revealed: (voter, alliance, round, ballots).
type Committed = (u8, AllianceId, u32, Vec<(u8, bool)>);

std::thread_local! {
    /// What [`close_votes`] is to reveal.
    static TO_REVEAL: std::cell::RefCell<Vec<Committed>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Voter `n` votes: commits its sealed `ballots` now; [`close_votes`] reveals them.
fn vote(
    n: u8,
    alliance: AllianceId,
    round: u32,
    ballots: &[(u8, bool)],
) -> Result<(), DispatchError> {
    commit_ballots(n, alliance, round, ballots)?;
    TO_REVEAL.with(|pending| pending.borrow_mut().push((n, alliance, round, ballots.to_vec())));
    Ok(())
}

/// Runs to the end of the running round's vote window, reveals every ballot committed with
/// [`vote`] for `alliance`, and runs to the end of the ballot reveals, where the round closes.
fn close_votes(alliance: AllianceId) {
    let record = Alliances::<Test>::get(alliance).unwrap();
    run_to_block(record.vote_end);
    let pending: Vec<_> = TO_REVEAL.with(|pending| {
        let mut pending = pending.borrow_mut();
        let (mine, rest) = pending.drain(..).partition(|(_, a, _, _)| *a == alliance);
        *pending = rest;
        mine
    });
    for (n, _, round, ballots) in pending {
        assert_ok!(reveal_ballots(n, alliance, round, &ballots));
    }
    run_to_block(record.ballot_end);
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

/// Participants 1..=count (stakes 1000 each) joined to a one-round FedAvg alliance whose spec
/// `adjust` changes; returns it at the start of its first round (block 6).
fn running(count: u8, adjust: impl FnOnce(&mut AllianceSpec<u64>)) -> AllianceId {
    for n in 1..=count {
        participant(n, 1_000);
    }
    let mut s = spec(1, Aggregation::FedAvg);
    adjust(&mut s);
    let alliance = NextAllianceId::<Test>::get();
    assert_ok!(Alliance::create_alliance(RuntimeOrigin::signed(acc(30)), s, REWARD));
    for n in 1..=count {
        assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
    }
    run_to_block(6);
    alliance
}

/// Proposer `p` commits and reveals `params(value)` on 10 rows in the running first round
/// (from the round's start, block 6); returns at the start of the vote window (block 12).
fn revealed(alliance: AllianceId, proposers: &[u8], value: i64) {
    for p in proposers {
        assert_ok!(commit(*p, alliance, 1, &params(value), 10));
    }
    run_to_block(9);
    for p in proposers {
        assert_ok!(reveal(*p, alliance, 1, &params(value), 10));
    }
    run_to_block(12);
}

/// Participants 1..=count (stakes 1000 each) joined to a one-round FedAvg alliance that draws
/// `fraction` of them as proposers; every proposer's update revealed (see [`revealed`]).
/// Returns at the start of the vote window: (alliance, proposers, voters).
fn voting(count: u8, fraction: Perbill) -> (AllianceId, Vec<u8>, Vec<u8>) {
    let alliance = running(count, |s| s.proposer_fraction = fraction);
    let (_, proposers, voters) = roles(alliance);
    revealed(alliance, &proposers, 10);
    (alliance, proposers, voters)
}

fn roles(alliance: AllianceId) -> (AllianceId, Vec<u8>, Vec<u8>) {
    let roles = Roles::<Test>::get(alliance).expect("roles drawn");
    (
        alliance,
        roles.proposers.iter().map(|(a, _)| id(a)).collect(),
        roles.voters.iter().map(|(a, _)| id(a)).collect(),
    )
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
