//! What a round's votes decide, computed purely from the proposers' reveals and the voters'
//! ballots — no storage, no currency. `Pallet::close_round` asks [`tally`] and
//! [`round_shares`] and then applies the result once: the new global model, payments and
//! slashes through staking, the record of the round.
//!
//! * An update is **accepted** when at least two thirds of the weight of the voters that judged
//!   it approve; a revealed update nobody judged is left out without blame; a proposer that
//!   revealed nothing, or whose update was voted down, is **rejected** (slashed).
//! * A voter is in the **majority** when each of its ballots agrees with the outcome of the
//!   update it names, and in the **minority** (slashed) when it cast a ballot and one of them
//!   does not.

use alloc::vec::Vec;
use sp_runtime::Perbill;
use starling_primitives::arith::distribute;

/// One voter's ballots: its weight and, for each update it judged, the proposer and whether it
/// approves.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VoterBallots<A> {
    /// The voter's weight when drawn.
    pub weight: u128,
    /// `(proposer, approve)` per judged update.
    pub ballots: Vec<(A, bool)>,
}

/// What the votes decided. Every index is into the `proposers` or `voters` given to [`tally`].
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Tally {
    /// Proposers whose update is accepted, in proposer order.
    pub accepted: Vec<usize>,
    /// Proposers slashed (revealed nothing, or voted down), in proposer order.
    pub rejected: Vec<usize>,
    /// Of `rejected`, those that revealed an update the voters turned down.
    pub voted_down: Vec<usize>,
    /// Revealed updates no voter judged: left out, nobody blamed.
    pub unjudged: Vec<usize>,
    /// Voters that voted with every outcome they judged, in voter order.
    pub majority: Vec<usize>,
    /// Voters that cast a ballot against an outcome, in voter order.
    pub minority: Vec<usize>,
}

/// Tallies a round: `proposers` with whether each revealed its update, `voters` with their
/// ballots.
pub fn tally<A: PartialEq>(proposers: &[(A, bool)], voters: &[VoterBallots<A>]) -> Tally {
    let mut result = Tally::default();
    // (proposer, accepted) for every update that was judged.
    let mut outcomes: Vec<(&A, bool)> = Vec::new();
    for (index, (proposer, revealed)) in proposers.iter().enumerate() {
        if !revealed {
            result.rejected.push(index);
            continue;
        }
        let (mut approve, mut reject) = (0u128, 0u128);
        for voter in voters {
            if let Some((_, yes)) = voter.ballots.iter().find(|(p, _)| p == proposer) {
                if *yes {
                    approve = approve.saturating_add(voter.weight);
                } else {
                    reject = reject.saturating_add(voter.weight);
                }
            }
        }
        if approve == 0 && reject == 0 {
            // No voter judged it (voters offline or their ballots lost): the proposer is not to
            // blame, so the update is left out without a slash.
            result.unjudged.push(index);
            continue;
        }
        // At least two thirds of the judging weight must approve: a split vote (one voter
        // fooled by its own small sample) does not let an update in.
        let accepted =
            approve.saturating_mul(3) >= approve.saturating_add(reject).saturating_mul(2);
        outcomes.push((proposer, accepted));
        if accepted {
            result.accepted.push(index);
        } else {
            result.rejected.push(index);
            result.voted_down.push(index);
        }
    }
    for (index, voter) in voters.iter().enumerate() {
        if voter.ballots.is_empty() {
            continue;
        }
        let with_outcome = voter
            .ballots
            .iter()
            .all(|(p, yes)| outcomes.iter().any(|(q, accepted)| *q == p && accepted == yes));
        if with_outcome {
            result.majority.push(index);
        } else {
            result.minority.push(index);
        }
    }
    result
}

/// A round's reward split: `proposer_share` of `reward` among the accepted proposers, the rest
/// among the majority voters, each pro rata to weight (a weight of 0 counts as 1). Returns the
/// proposers' shares, the voters' shares and the rounding remainder; every unit is in one of
/// them.
pub fn round_shares(
    reward: u128,
    proposer_share: Perbill,
    proposer_weights: &[u128],
    voter_weights: &[u128],
) -> (Vec<u128>, Vec<u128>, u128) {
    let to_proposers = proposer_share.mul_floor(reward);
    let to_voters = reward.saturating_sub(to_proposers);
    let at_least_one = |weights: &[u128]| weights.iter().map(|w| (*w).max(1)).collect::<Vec<_>>();
    let (proposers, proposer_rest) = distribute(to_proposers, &at_least_one(proposer_weights));
    let (voters, voter_rest) = distribute(to_voters, &at_least_one(voter_weights));
    (proposers, voters, proposer_rest.saturating_add(voter_rest))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::panic
    )]
    use super::*;
    use proptest::prelude::*;

    fn voter(weight: u128, ballots: &[(u8, bool)]) -> VoterBallots<u8> {
        VoterBallots { weight, ballots: ballots.to_vec() }
    }

    #[test]
    fn two_thirds_of_the_judging_weight_accept() {
        let proposers = [(1u8, true), (2, true), (3, false), (4, true)];
        let voters = [
            voter(20, &[(1, true), (2, false)]),
            voter(10, &[(1, true), (2, true)]),
            voter(10, &[(1, false), (2, false)]),
            voter(5, &[]),
        ];
        let t = tally(&proposers, &voters);
        // 1: 30 of 40 approve (≥ ⅔); 2: 10 of 40; 3 revealed nothing; 4 unjudged
        assert_eq!(t.accepted, vec![0]);
        assert_eq!(t.rejected, vec![1, 2]);
        assert_eq!(t.voted_down, vec![1]);
        assert_eq!(t.unjudged, vec![3]);
        assert_eq!(t.majority, vec![0]);
        assert_eq!(t.minority, vec![1, 2]);
    }

    #[test]
    fn exactly_two_thirds_is_enough() {
        let t = tally(&[(1u8, true)], &[voter(2, &[(1, true)]), voter(1, &[(1, false)])]);
        assert_eq!(t.accepted, vec![0]);
        assert_eq!(t.minority, vec![1]);
    }

    #[test]
    fn round_shares_pay_by_weight() {
        let (p, v, dust) = round_shares(1_000, Perbill::from_percent(60), &[1, 3], &[0, 0]);
        assert_eq!(p, vec![150, 450]);
        assert_eq!(v, vec![200, 200]);
        assert_eq!(dust, 0);
    }

    fn round() -> impl Strategy<Value = (Vec<(u8, bool)>, Vec<VoterBallots<u8>>)> {
        let proposers = prop::collection::vec(any::<bool>(), 0..6).prop_map(|revealed| {
            revealed.into_iter().enumerate().map(|(i, r)| (i as u8, r)).collect::<Vec<_>>()
        });
        let voters = prop::collection::vec(
            (0u128..1_000, prop::collection::vec((0u8..7, any::<bool>()), 0..6)),
            0..8,
        )
        .prop_map(|vs| {
            vs.into_iter()
                .map(|(weight, mut ballots)| {
                    ballots.sort_by_key(|(p, _)| *p);
                    ballots.dedup_by_key(|(p, _)| *p);
                    VoterBallots { weight, ballots }
                })
                .collect::<Vec<_>>()
        });
        (proposers, voters)
    }

    proptest! {
        /// Every proposer has exactly one outcome, and an accepted update was revealed and
        /// approved by at least two thirds of the weight that judged it.
        #[test]
        fn every_proposer_has_one_outcome((proposers, voters) in round()) {
            let t = tally(&proposers, &voters);
            let mut all: Vec<usize> = t.accepted.iter().chain(&t.rejected).chain(&t.unjudged).copied().collect();
            all.sort();
            prop_assert_eq!(all, (0..proposers.len()).collect::<Vec<_>>());
            for i in &t.accepted {
                let (p, revealed) = proposers[*i];
                prop_assert!(revealed);
                let weight = |yes: bool| -> u128 {
                    voters.iter().filter(|v| v.ballots.contains(&(p, yes))).map(|v| v.weight).sum()
                };
                prop_assert!(3 * weight(true) >= 2 * (weight(true) + weight(false)));
            }
            for i in &t.voted_down {
                prop_assert!(t.rejected.contains(i) && proposers[*i].1);
            }
            for i in t.rejected.iter().filter(|i| !t.voted_down.contains(i)) {
                prop_assert!(!proposers[*i].1);
            }
        }

        /// A voter that voted with every outcome is never slashed, one that voted against an
        /// outcome always is, and a voter without ballots is neither paid nor slashed.
        #[test]
        fn voters_are_judged_by_the_outcomes((proposers, voters) in round()) {
            let t = tally(&proposers, &voters);
            for (i, v) in voters.iter().enumerate() {
                let in_majority = t.majority.contains(&i);
                let in_minority = t.minority.contains(&i);
                prop_assert!(!(in_majority && in_minority));
                if v.ballots.is_empty() {
                    prop_assert!(!in_majority && !in_minority);
                    continue;
                }
                let agrees = v.ballots.iter().all(|(p, yes)| {
                    let index = proposers.iter().position(|(q, _)| q == p);
                    index.is_some_and(|i| (t.accepted.contains(&i) && *yes) || (t.voted_down.contains(&i) && !*yes))
                });
                prop_assert_eq!(in_majority, agrees);
                prop_assert_eq!(in_minority, !agrees);
            }
        }

        /// The round's reward is paid in full: shares plus remainder equal it.
        #[test]
        fn round_shares_conserve_the_reward(
            reward in any::<u64>(),
            share in 0u32..=1_000_000_000,
            proposers in prop::collection::vec(0u128..1u128 << 80, 0..10),
            voters in prop::collection::vec(0u128..1u128 << 80, 0..10),
        ) {
            let (p, v, dust) = round_shares(reward.into(), Perbill::from_parts(share), &proposers, &voters);
            let paid: u128 = p.iter().chain(&v).sum();
            prop_assert_eq!(paid + dust, u128::from(reward));
            prop_assert_eq!((p.len(), v.len()), (proposers.len(), voters.len()));
        }
    }
}
