//! Benchmarks of every call, of worker-call validation, of the idle `on_initialize`, and of the
//! two heavy transitions (drawing a round's roles, closing a round) up to [`MAX_PARTICIPANTS`]
//! participants and [`MAX_PARAMS`] parameters (frame-benchmarking v2).
//!
//! Worker keys are generated in the benchmark's keystore and sign real payloads over the
//! chain's genesis hash. Round-closing is measured with every participant paid (every update
//! revealed and accepted, every voter voting with the outcome on every update; each share
//! moved by force out of the creator's hold into the payout account, then paid from it); a
//! slash instead of a payment is charged by `on_initialize` at the staking pallet's slash
//! weight.

// Benchmark set-up fails loudly; the macros expand to float maths on their own figures.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::type_complexity
)]

use super::*;
use crate::worker::{BallotCommitment, BallotReveal, UpdateCommitment, UpdateReveal};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
    pallet_prelude::TransactionSource,
    traits::{Authorize, ConstU32, EnsureOrigin, Get, Hooks},
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{traits::Saturating, Perbill};
use starling_ml_interface::{
    LabelKind, ModelFamily, Params, Schema, MAX_DATASET_ID_LEN, MAX_PARAMS,
};
use starling_primitives::Role;
use starling_support::{bench, commit_reveal::seal};

const SALT: [u8; 32] = [7; 32];
const SAMPLES: u32 = 500;

/// Most ballots in one vote: one per proposer, and at least one participant votes.
const MAX_BALLOTS: u32 = MAX_PARTICIPANTS.saturating_sub(1);

/// The existential deposit (at least 1) times `n`.
fn units<T: Config>(n: u64) -> BalanceOf<T> {
    bench::units::<T::AccountId, T::Currency>(n)
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    bench::funded::<T::AccountId, T::Currency>(name, index)
}

/// An FL participant with a worker key; returns (operator, worker key).
fn participant<T: Config>(index: u32) -> (T::AccountId, T::Public) {
    bench::operator::<T, Pallet<T>, T::Currency>("participant", index, Role::FlParticipant)
}

fn key_of<T: Config>(parts: &[(T::AccountId, T::Public)], who: &T::AccountId) -> T::Public {
    parts.iter().find(|(a, _)| a == who).map(|(_, k)| k.clone()).expect("a participant")
}

/// `p` parameters, different for every `who` and every coordinate (so that sorting them for
/// the robust rules is real work).
fn params_of(p: u32, who: u32) -> Params {
    BoundedVec::truncate_from(
        (0..p)
            .map(|j| {
                let mix = u64::from(who)
                    .wrapping_mul(7_919)
                    .wrapping_add(u64::from(j).wrapping_mul(104_729));
                let v = i64::try_from(mix.checked_rem(2_000_001).unwrap_or_default())
                    .unwrap_or_default();
                v.saturating_sub(1_000_000)
            })
            .collect::<Vec<_>>(),
    )
}

/// A linear alliance with `p` parameters (`p - 1` features), two rounds (so that closing the
/// first draws the second's roles), the shortest windows, `fraction` of the participants
/// proposing, trimmed-mean aggregation (a sort per coordinate, the costliest rule) and the
/// longest local dataset id.
fn spec<T: Config>(p: u32, fraction: Perbill) -> AllianceSpec<BlockNumberFor<T>> {
    let params = Parameters::<T>::get();
    AllianceSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features: p.saturating_sub(1), label: LabelKind::Continuous },
        data: AllianceData::Local {
            id: BoundedVec::truncate_from(vec![b'x'; MAX_DATASET_ID_LEN as usize]),
            test_permille: 200,
        },
        initial_model: params_of(p, u32::MAX),
        rounds: 2,
        proposer_fraction: fraction,
        join_window: params.min_window,
        propose_window: params.min_window,
        vote_window: params.min_window,
        min_participants: 2,
        max_participants: MAX_PARTICIPANTS,
        aggregation: Aggregation::TrimmedMean { beta: Perbill::from_percent(10) },
        sample_cap: 1_000,
        proximal: 0,
        approve_slack: Perbill::from_percent(5),
    }
}

fn reward<T: Config>() -> BalanceOf<T> {
    Parameters::<T>::get().min_reward.max(units::<T>(1_000_000))
}

fn create<T: Config>(p: u32, fraction: Perbill) -> AllianceId {
    let creator = funded::<T>("creator", 0);
    Pallet::<T>::do_create(creator, spec::<T>(p, fraction), reward::<T>()).expect("created")
}

/// `n` participants join alliance `id`.
fn join_all<T: Config>(id: AllianceId, n: u32) -> Vec<(T::AccountId, T::Public)> {
    (0..n)
        .map(|i| {
            let (who, key) = participant::<T>(i);
            Pallet::<T>::do_join(&who, id).expect("joined");
            (who, key)
        })
        .collect()
}

fn go_to<T: Config>(block: BlockNumberFor<T>) {
    frame_system::Pallet::<T>::set_block_number(block);
}

/// An alliance with `p` parameters and `n` participants in its first round's commit window;
/// returns it and its participants.
fn started<T: Config>(
    p: u32,
    n: u32,
    fraction: Perbill,
) -> (AllianceId, Vec<(T::AccountId, T::Public)>) {
    let id = create::<T>(p, fraction);
    let parts = join_all::<T>(id, n);
    let record = Alliances::<T>::get(id).expect("alliance");
    let now = record.join_end;
    go_to::<T>(now);
    T::BenchmarkHelper::prepare_randomness();
    Pallet::<T>::start_round(id, record, now);
    assert!(Roles::<T>::contains_key(id), "roles drawn");
    (id, parts)
}

/// The first `count` proposers commit and reveal updates of `p` parameters; returns at the
/// start of the vote window.
fn reveal_updates<T: Config>(
    id: AllianceId,
    parts: &[(T::AccountId, T::Public)],
    p: u32,
    count: u32,
) {
    let roles = Roles::<T>::get(id).expect("roles");
    let proposers: Vec<(T::AccountId, T::Public, Params)> = roles
        .proposers
        .iter()
        .take(count as usize)
        .enumerate()
        .map(|(i, (who, _))| (who.clone(), key_of::<T>(parts, who), params_of(p, i as u32)))
        .collect();
    for (who, key, params) in &proposers {
        let commitment = seal(&(params, SAMPLES), &SALT, who);
        Pallet::<T>::do_commit_update(
            who,
            &UpdateCommitment { worker: key.clone(), alliance: id, round: 1, commitment },
        )
        .expect("committed");
    }
    let record = Alliances::<T>::get(id).expect("alliance");
    go_to::<T>(record.commit_end);
    for (who, key, params) in proposers {
        Pallet::<T>::do_reveal_update(
            &who,
            &UpdateReveal {
                worker: key,
                alliance: id,
                round: 1,
                params,
                samples: SAMPLES,
                salt: SALT,
            },
        )
        .expect("revealed");
    }
    go_to::<T>(record.reveal_end);
}

/// Approvals of the first `count` proposers' updates.
fn ballots_of<T: Config>(id: AllianceId, count: u32) -> Ballots<T::AccountId> {
    let roles = Roles::<T>::get(id).expect("roles");
    BoundedVec::truncate_from(
        roles
            .proposers
            .iter()
            .take(count as usize)
            .map(|(proposer, _)| Ballot { proposer: proposer.clone(), approve: true })
            .collect::<Vec<_>>(),
    )
}

/// The last voter of a full alliance where every participant but one proposes (so that `b`
/// reaches [`MAX_BALLOTS`]), after `b` updates of [`MAX_PARAMS`] parameters were revealed, at
/// the start of the vote window: the alliance, the voter, its key and its ballots approving
/// each revealed update.
fn voter_of<T: Config>(b: u32) -> (AllianceId, T::AccountId, T::Public, Ballots<T::AccountId>) {
    let (id, parts) = started::<T>(MAX_PARAMS, MAX_PARTICIPANTS, Perbill::one());
    reveal_updates::<T>(id, &parts, MAX_PARAMS, b);
    let roles = Roles::<T>::get(id).expect("roles");
    let (voter, _) = roles.voters.last().cloned().expect("a voter");
    let key = key_of::<T>(&parts, &voter);
    (id, voter, key, ballots_of::<T>(id, b))
}

/// Commits `ballots` for `voter` and moves to the ballot reveal window; the reveal payload.
fn committed_ballots<T: Config>(
    id: AllianceId,
    voter: &T::AccountId,
    key: T::Public,
    ballots: Ballots<T::AccountId>,
) -> BallotReveal<T::Public, T::AccountId> {
    let commitment = seal(&ballots, &SALT, voter);
    Pallet::<T>::do_commit_ballots(
        voter,
        &BallotCommitment { worker: key.clone(), alliance: id, round: 1, commitment },
    )
    .expect("committed");
    go_to::<T>(Alliances::<T>::get(id).expect("alliance").vote_end);
    BallotReveal { worker: key, alliance: id, round: 1, ballots, salt: SALT }
}

#[benchmarks(where T: Config)]
mod benchmarks {
    use super::*;

    /// The largest initial model, with every other alliance slot taken.
    #[benchmark]
    fn create_alliance() {
        let creator = funded::<T>("creator", 0);
        for _ in 1..T::MaxActiveAlliances::get() {
            Pallet::<T>::do_create(creator.clone(), spec::<T>(1, Perbill::one()), reward::<T>())
                .unwrap();
        }
        let id = NextAllianceId::<T>::get();
        let spec = spec::<T>(MAX_PARAMS, Perbill::from_percent(50));
        #[extrinsic_call]
        _(RawOrigin::Signed(creator), spec, reward::<T>());
        assert!(Alliances::<T>::get(id).is_some_and(|a| a.global.len() as u32 == MAX_PARAMS));
        assert_eq!(ActiveAlliances::<T>::get().len() as u32, T::MaxActiveAlliances::get());
    }

    /// The last participant joins the largest alliance.
    #[benchmark]
    fn join() {
        let id = create::<T>(MAX_PARAMS, Perbill::from_percent(50));
        let _ = join_all::<T>(id, MAX_BALLOTS);
        let (who, _) = participant::<T>(MAX_BALLOTS);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), id);
        let members = Alliances::<T>::get(id).unwrap().members;
        assert_eq!(members.len() as u32, MAX_PARTICIPANTS);
        assert!(members.contains(&who));
    }

    /// The last member of a full alliance leaves during a round in which it holds no role.
    #[benchmark]
    fn leave() {
        let (id, parts) = started::<T>(MAX_PARAMS, MAX_PARTICIPANTS, Perbill::from_percent(50));
        let (who, _) = parts.last().cloned().unwrap();
        Roles::<T>::mutate(id, |roles| {
            if let Some(roles) = roles {
                roles.proposers.retain(|(a, _)| *a != who);
                roles.voters.retain(|(a, _)| *a != who);
            }
        });
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), id);
        let members = Alliances::<T>::get(id).unwrap().members;
        assert_eq!(members.len() as u32, MAX_BALLOTS);
        assert!(!members.contains(&who));
    }

    /// The last of the most proposers commits.
    #[benchmark]
    fn commit_update() {
        let (id, parts) = started::<T>(MAX_PARAMS, MAX_PARTICIPANTS, Perbill::one());
        let (proposer, _) = Roles::<T>::get(id).unwrap().proposers.last().cloned().unwrap();
        let key = key_of::<T>(&parts, &proposer);
        let commitment = seal(&(&params_of(MAX_PARAMS, 0), SAMPLES), &SALT, &proposer);
        let payload = UpdateCommitment { worker: key.clone(), alliance: id, round: 1, commitment };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Updates::<T>::get(id, &proposer).is_some_and(|u| u.params.is_none()));
    }

    /// A proposer reveals the largest update.
    #[benchmark]
    fn reveal_update() {
        let (id, parts) = started::<T>(MAX_PARAMS, MAX_PARTICIPANTS, Perbill::one());
        let (proposer, _) = Roles::<T>::get(id).unwrap().proposers.last().cloned().unwrap();
        let key = key_of::<T>(&parts, &proposer);
        let params = params_of(MAX_PARAMS, 0);
        let commitment = seal(&(&params, SAMPLES), &SALT, &proposer);
        Pallet::<T>::do_commit_update(
            &proposer,
            &UpdateCommitment { worker: key.clone(), alliance: id, round: 1, commitment },
        )
        .unwrap();
        go_to::<T>(Alliances::<T>::get(id).unwrap().commit_end);
        let payload = UpdateReveal {
            worker: key.clone(),
            alliance: id,
            round: 1,
            params,
            samples: SAMPLES,
            salt: SALT,
        };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        let update = Updates::<T>::get(id, &proposer).unwrap();
        assert_eq!(update.params.map(|p| p.len() as u32), Some(MAX_PARAMS));
        assert_eq!(update.samples, SAMPLES);
    }

    /// A voter commits its sealed ballots.
    #[benchmark]
    fn commit_ballots() {
        let (id, voter, key, ballots) = voter_of::<T>(MAX_BALLOTS);
        let payload = BallotCommitment {
            worker: key.clone(),
            alliance: id,
            round: 1,
            commitment: seal(&ballots, &SALT, &voter),
        };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(SealedBallots::<T>::contains_key(id, &voter));
    }

    /// A voter reveals `b` ballots, each on a revealed update of the most parameters.
    #[benchmark]
    fn reveal_ballots(b: Linear<0, MAX_BALLOTS>) {
        let (id, voter, key, ballots) = voter_of::<T>(b);
        let payload = committed_ballots::<T>(id, &voter, key.clone(), ballots);
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert_eq!(Votes::<T>::get(id, &voter).map(|v| v.len() as u32), Some(b));
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let mut params = Parameters::<T>::get();
        params.minority_slash = Perbill::from_percent(7);
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params);
        assert_eq!(Parameters::<T>::get().minority_slash, Perbill::from_percent(7));
        Ok(())
    }

    /// Validation of a worker call, at the costliest: a ballot reveal with a ballot on each
    /// of the most updates of the most parameters (signature, worker registry, the commitment
    /// opened, a read of every update judged).
    #[benchmark]
    fn authorize_worker_call() {
        let (id, voter, key, ballots) = voter_of::<T>(MAX_BALLOTS);
        let payload = committed_ballots::<T>(id, &voter, key.clone(), ballots);
        let signature = bench::sign::<T, _>(&payload, &key);
        let call = Call::<T>::reveal_ballots { payload, signature };
        let validity;
        #[block]
        {
            validity = call.authorize(TransactionSource::External);
        }
        assert!(matches!(validity, Some(Ok(_))));
    }

    /// `on_initialize` with the most alliances running, each full and in a round that is not
    /// due.
    #[benchmark]
    fn on_initialize_idle() {
        let creator = funded::<T>("creator", 0);
        let members: Accounts<T::AccountId> = BoundedVec::truncate_from(
            (0..MAX_PARTICIPANTS).map(|i| account("member", i, 0)).collect::<Vec<_>>(),
        );
        let drawn: BoundedVec<(T::AccountId, u128), ConstU32<MAX_PARTICIPANTS>> =
            BoundedVec::truncate_from(
                members.iter().map(|m| (m.clone(), 1u128)).collect::<Vec<_>>(),
            );
        let now = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
        let far = now.saturating_add(1_000u32.into());
        for _ in 0..T::MaxActiveAlliances::get() {
            let id = Pallet::<T>::do_create(
                creator.clone(),
                spec::<T>(MAX_PARAMS, Perbill::from_percent(50)),
                reward::<T>(),
            )
            .unwrap();
            Alliances::<T>::mutate(id, |a| {
                if let Some(a) = a {
                    a.members = members.clone();
                    a.phase = Phase::Round;
                    a.round = 1;
                    a.commit_end = far;
                    a.reveal_end = far;
                    a.vote_end = far;
                    a.ballot_end = far;
                }
            });
            Roles::<T>::insert(
                id,
                RoundRoles { proposers: BoundedVec::new(), voters: drawn.clone() },
            );
        }
        go_to::<T>(now);
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
        let active = ActiveAlliances::<T>::get();
        assert_eq!(active.len() as u32, T::MaxActiveAlliances::get());
        assert!(active.iter().all(|id| Roles::<T>::contains_key(id)
            && Alliances::<T>::get(id).is_some_and(|a| a.round == 1)));
    }

    /// Drawing the first round's proposers and voters among `n` participants.
    #[benchmark]
    fn start_round(n: Linear<2, MAX_PARTICIPANTS>) {
        let id = create::<T>(MAX_PARAMS, Perbill::from_percent(50));
        let _ = join_all::<T>(id, n);
        let record = Alliances::<T>::get(id).unwrap();
        let now = record.join_end;
        go_to::<T>(now);
        T::BenchmarkHelper::prepare_randomness();
        #[block]
        {
            Pallet::<T>::start_round(id, record, now);
        }
        let roles = Roles::<T>::get(id).unwrap();
        assert!(!roles.proposers.is_empty());
        assert_eq!(roles.proposers.len().saturating_add(roles.voters.len()) as u32, n);
        assert_eq!(Alliances::<T>::get(id).unwrap().phase, Phase::Round);
    }

    /// Closing a round of `n` participants on `p` parameters: every participant but one
    /// proposes and reveals, the voter approves every update, so every update is tallied and
    /// aggregated (trimmed mean), every participant is paid through staking (pool and minted
    /// emission), and the next round's roles are drawn.
    #[benchmark]
    fn close_round(n: Linear<2, MAX_PARTICIPANTS>, p: Linear<1, MAX_PARAMS>) {
        let (id, parts) = started::<T>(p, n, Perbill::one());
        let roles = Roles::<T>::get(id).unwrap();
        let proposers = roles.proposers.len() as u32;
        reveal_updates::<T>(id, &parts, p, proposers);
        let mut reveals = Vec::new();
        for (voter, _) in roles.voters.iter() {
            let ballots = ballots_of::<T>(id, proposers);
            let commitment = seal(&ballots, &SALT, voter);
            let worker = key_of::<T>(&parts, voter);
            Pallet::<T>::do_commit_ballots(
                voter,
                &BallotCommitment { worker: worker.clone(), alliance: id, round: 1, commitment },
            )
            .unwrap();
            reveals.push((
                voter.clone(),
                BallotReveal { worker, alliance: id, round: 1, ballots, salt: SALT },
            ));
        }
        go_to::<T>(Alliances::<T>::get(id).unwrap().vote_end);
        for (voter, reveal) in &reveals {
            Pallet::<T>::do_reveal_ballots(voter, reveal).unwrap();
        }
        // An emission credit, so that the round mints (and burns back what it cannot pay).
        let credit: BalanceOf<T> = reward::<T>();
        // Every share is paid through the payout account (made at genesis).
        Pallet::<T>::ensure_payout_account();
        let mut record = Alliances::<T>::get(id).unwrap();
        record.emission = credit;
        let now = record.ballot_end;
        go_to::<T>(now);
        T::BenchmarkHelper::prepare_randomness();
        let slashed;
        #[block]
        {
            slashed = Pallet::<T>::close_round(id, record, now);
        }
        assert_eq!(slashed, 0);
        let history = History::<T>::get(id, 1).unwrap();
        assert_eq!(history.accepted.len() as u32, proposers);
        assert!(!history.rolled_back);
        assert!(history.paid > BalanceOf::<T>::from(0u32));
        assert!(Alliances::<T>::get(id).unwrap().emission < credit, "emission minted");
        assert_eq!(Alliances::<T>::get(id).unwrap().round, 2);
        assert!(Roles::<T>::contains_key(id));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
