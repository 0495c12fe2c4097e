//! The adversarial simulation of the arena (issue 15, "an honest participant is never
//! slashed"): thousands of random tasks with random stakes, delegations, committee draws,
//! congestion (blocks full at random, so that a worker call waits for a block with room or
//! never lands; silence only congestion forced must not be slashed) and an adversary that
//! controls a random set of validators playing one strategy per task.
//!
//! After every task it checks:
//!
//! * when the adversary holds less than two thirds of the committee's weight (the issue asks
//!   for a third; a consensus needs two thirds by stake *and* capped, so the guarantee reaches
//!   further), **no honest validator and no delegator of an honest validator loses value**
//!   (balance including holds, less any slash debt not yet settled);
//! * a deviating adversary that unbonded (with its delegators) right after the draw is still
//!   slashed (security review §7);
//! * **value is conserved**: the issuance only falls by burned slash debt, and the treasury
//!   gains exactly the slashes paid, the result's dust and forfeited deposits;
//! * the staking and arena invariants (`try_state`, by the checked externalities).
//!
//! `STARLING_SIM_SCENARIOS` sets the number of tasks (default 2,000); `STARLING_SIM_SEED` the
//! first seed. A failure names the seed and strategy that reproduce it.

use super::*;
use starling_test_utils::simulation::{
    act_in_window, delegate_randomly, env, honest_holders, run, Chain, Rng,
};
use std::collections::{BTreeMap, BTreeSet};

/// What the adversary's committee members do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Strategy {
    /// Reveal one common set of false scores (a lying coalition).
    LieTogether,
    /// Lie together, after unbonding everything (and having their delegators leave) right
    /// after the draw.
    UnbondAfterDraw,
    /// Commit and reveal nothing.
    Silent,
    /// Commit at the last block of the window and reveal at the last block of the reveals.
    LateCommits,
    /// Move stake (bond more, delegate) in the block before the draw, then lie together.
    StakeMovesBeforeDraw,
    /// One adversary validator with most of the stake lies alone.
    OneLargeValidator,
}

const STRATEGIES: [Strategy; 6] = [
    Strategy::LieTogether,
    Strategy::UnbondAfterDraw,
    Strategy::Silent,
    Strategy::LateCommits,
    Strategy::StakeMovesBeforeDraw,
    Strategy::OneLargeValidator,
];

const TRUE_SCORES: [i64; 3] = [3_000_000, 2_000_000, 1_000_000];
const FALSE_SCORES: [i64; 3] = [100, 9_000_000, 50];
const DELEGATORS: std::ops::RangeInclusive<u8> = 31..=36;

/// What one task showed.
#[derive(Default)]
struct Played {
    /// The adversary held less than a third of the committee's weight.
    in_model: bool,
    /// The adversary held less than two thirds of it: the honest must still lose nothing,
    /// since a consensus needs ⅔ of the weight by stake and capped alike.
    protected: bool,
    cancelled: bool,
    adversary_slashed: bool,
}

/// An account's value: its balance including holds, less the slash debt it has not paid yet in
/// the pools it is in.
fn value_of(who: u8, pools: &[u8]) -> u64 {
    let debt: u64 =
        pools.iter().map(|op| Staking::pending_slash(&acc(who), &acc(*op), Role::Validator)).sum();
    Balances::total_balance(&acc(who)) - debt
}

fn staking_events() -> Vec<pallet_starling_staking::Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Staking(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The mock chain, for [`act_in_window`]: a full block is one whose recorded size leaves no
/// room (staking records it when the block ends).
const CHAIN: Chain = Chain {
    now: System::block_number,
    advance: run_to_block,
    congest: |full| {
        if full {
            frame_system::BlockSize::<Test>::put(u32::MAX);
        } else {
            frame_system::BlockSize::<Test>::kill();
        }
    },
};

fn play(seed: u64, strategy: Strategy) -> Played {
    let mut rng = Rng(seed);
    let mut played = Played::default();
    new_test_ext().execute_with(|| {
        run_to_block(1 + rng.below(40));
        // Committees of 3 to 7 (of 4 to 9 validators): the cap binds from 3.
        let current = Parameters::<Test>::get();
        assert_ok!(Arena::set_params(
            RuntimeOrigin::root(),
            ArenaParams { committee_size: 3 + rng.below(5) as u32, ..current }
        ));
        for n in 1..=3u8 {
            bond(n, Role::TrainingNode, 100 + rng.below(5_000));
        }
        let count = 4 + rng.below(6) as u8;
        let validators: Vec<u8> = (11..11 + count).collect();
        for v in &validators {
            bond(*v, Role::Validator, 100 + rng.below(20_000));
        }
        let mut adversary: BTreeSet<u8> =
            validators.iter().copied().filter(|_| rng.chance(30)).collect();
        if strategy == Strategy::OneLargeValidator {
            adversary = BTreeSet::from([validators[0]]);
            assert_ok!(Staking::bond_extra(
                RuntimeOrigin::signed(acc(validators[0])),
                Role::Validator,
                100_000 + rng.below(200_000)
            ));
        }
        let delegations = delegate_randomly(
            &mut rng,
            &DELEGATORS.collect::<Vec<_>>(),
            &validators,
            |d, op, amount| {
                assert_ok!(Staking::delegate(
                    RuntimeOrigin::signed(acc(d)),
                    acc(op),
                    Role::Validator,
                    amount
                ));
            },
        );
        // The honest: validators outside the adversary, and delegators of honest validators only.
        let honest = honest_holders(&validators, &adversary, &delegations);
        let before: Vec<u64> = honest.iter().map(|(who, pools)| value_of(*who, pools)).collect();
        let issuance = Balances::total_issuance();
        let treasury_before = Balances::balance(&treasury());
        let creator_before = Balances::total_balance(&acc(20));
        let events_from = System::events().len();

        // The task: three trainers with different models.
        let task = create(20, 5 + rng.below(10));
        let record = Tasks::<Test>::get(task).unwrap();
        for n in 1..=3u8 {
            assert_ok!(commit_model(n, task, &params(i64::from(n)), 1));
        }
        run_to_block(record.submission_end);
        for n in 1..=3u8 {
            assert_ok!(reveal_model(n, task, &params(i64::from(n))));
        }
        publish(20, task);
        if strategy == Strategy::StakeMovesBeforeDraw {
            run_to_block(record.reveal_end - 1);
            for v in &adversary {
                assert_ok!(Staking::bond_extra(
                    RuntimeOrigin::signed(acc(*v)),
                    Role::Validator,
                    1 + rng.below(20_000)
                ));
            }
        }
        run_to_block(record.reveal_end);
        let committee = Committee::<Test>::get(task);
        let members: Vec<u8> = committee.iter().map(|m| id(&m.validator)).collect();
        let total: u128 = committee.iter().map(|m| m.weight).sum();
        let against: u128 = committee
            .iter()
            .filter(|m| adversary.contains(&id(&m.validator)))
            .map(|m| m.weight)
            .sum();
        played.in_model = against * 3 < total;
        played.protected = against * 3 < total * 2;

        if strategy == Strategy::UnbondAfterDraw {
            // In the draw's own block, right after the draw.
            for v in members.iter().filter(|v| adversary.contains(v)) {
                assert_ok!(Staking::unbond(
                    RuntimeOrigin::signed(acc(*v)),
                    Role::Validator,
                    u64::MAX
                ));
                for (d, ops) in &delegations {
                    if ops.contains(v) {
                        assert_ok!(Staking::undelegate(
                            RuntimeOrigin::signed(acc(*d)),
                            acc(*v),
                            Role::Validator,
                            u64::MAX
                        ));
                    }
                }
            }
        }

        // Scoring: the honest score the truth, the adversary lies (or keeps silent, or acts
        // at the last moment).
        let scores_of = |n: u8| {
            if adversary.contains(&n) {
                scores(&FALSE_SCORES)
            } else {
                scores(&TRUE_SCORES)
            }
        };
        // Each block is full with this chance; an honest worker acts in the first block of its
        // window with room (its node submits at once and retries every block).
        let full = rng.below(70);
        let window = |start: u64, end: u64, _: &mut Rng, n: u8| {
            if adversary.contains(&n) && strategy == Strategy::LateCommits {
                end - 1
            } else {
                start
            }
        };
        let acting: Vec<u8> = members
            .iter()
            .copied()
            .filter(|n| !(adversary.contains(n) && strategy == Strategy::Silent))
            .collect();
        let mut plan: BTreeMap<u8, u64> = acting
            .iter()
            .map(|n| (*n, window(record.reveal_end, record.scoring_end, &mut rng, *n)))
            .collect();
        act_in_window(&mut rng, &CHAIN, record.scoring_end, &mut plan, full, |n| {
            commit_scores(n, task, &scores_of(n))
        });
        // Only a member whose commitment landed can reveal.
        let committed: Vec<u8> = Committee::<Test>::get(task)
            .iter()
            .filter(|m| m.commitment.is_some())
            .map(|m| id(&m.validator))
            .collect();
        let mut plan: BTreeMap<u8, u64> = acting
            .iter()
            .filter(|n| committed.contains(n))
            .map(|n| (*n, window(record.scoring_end, record.score_reveal_end, &mut rng, *n)))
            .collect();
        act_in_window(&mut rng, &CHAIN, record.score_reveal_end, &mut plan, full, |n| {
            reveal_scores(n, task, &scores_of(n))
        });
        run_to_block(record.score_reveal_end + 1);
        // The outcome.
        let result = Results::<Test>::get(task);
        played.cancelled = result.is_none();
        assert!(
            played.cancelled || Tasks::<Test>::get(task).unwrap().phase == Phase::Finalised,
            "the task ended"
        );
        if played.protected {
            for ((who, pools), before) in honest.iter().zip(&before) {
                let now = value_of(*who, pools);
                assert!(now >= *before, "honest {who} lost {} ({strategy:?})", before - now);
            }
        }
        if let Some(result) = &result {
            for judged in result.committee.iter() {
                let n = id(&judged.validator);
                if adversary.contains(&n) && judged.verdict == Verdict::Deviated {
                    // Bound until the task's end: leaving after the draw does not escape.
                    assert!(judged.slashed > 0, "adversary {n} escaped its slash");
                    played.adversary_slashed = true;
                }
            }
        }

        // Conservation: the treasury holds exactly what the events say it received.
        let staking = staking_events();
        let paid: u64 = staking
            .iter()
            .filter_map(|e| match e {
                pallet_starling_staking::Event::SlashPaid { amount, .. } => Some(*amount),
                _ => None,
            })
            .sum();
        let burned: u64 = staking
            .iter()
            .filter_map(|e| match e {
                pallet_starling_staking::Event::SlashBurned { amount, .. } => Some(*amount),
                _ => None,
            })
            .sum();
        let forfeited: u64 = System::events()[events_from..]
            .iter()
            .filter_map(|r| match &r.event {
                RuntimeEvent::Arena(Event::DepositForfeited { amount, .. }) => Some(*amount),
                _ => None,
            })
            .sum();
        let dust = result.as_ref().map_or(0, |r| r.to_treasury);
        assert_eq!(Balances::balance(&treasury()) - treasury_before, paid + dust + forfeited);
        assert_eq!(Balances::total_issuance() + burned, issuance);
        if played.cancelled {
            assert_eq!(Balances::total_balance(&acc(20)), creator_before, "bounty returned");
        }
    });
    played
}

/// Plays `STARLING_SIM_SCENARIOS` random tasks (default 2,000) on every core and prints what
/// it played.
#[test]
fn adversarial_simulation_never_slashes_the_honest() {
    let totals = run(
        "arena simulation",
        env("STARLING_SIM_SCENARIOS", 2_000),
        &STRATEGIES,
        &["adversary < 1/3", "adversary < 2/3", "cancelled", "adversary slashed"],
        |seed, strategy| {
            let played = play(seed, strategy);
            [played.in_model, played.protected, played.cancelled, played.adversary_slashed]
                .into_iter()
                .map(u64::from)
                .collect()
        },
    );
    println!(
        "no honest validator or delegator lost value in {} tasks where the adversary held under \
         two thirds of the committee ({} under a third)",
        totals[1], totals[0]
    );
}
