//! What a round's votes decide, computed purely from the proposers' reveals and the voters'
//! ballots — no storage, no currency. `Pallet::close_round` asks [`tally`] and
//! [`round_shares`] and then applies the result once: the new global model, payments and
//! slashes through staking, the record of the round.
//!
//! Decisions are symmetric, with a band in which nothing is decided:
//!
//! * An update is **accepted** when at least two thirds of the weight of the voters drawn for
//!   the round approve, and **voted down** (its proposer slashed) only when at least two thirds
//!   of that weight reject it (voters whose ballots never arrived count against neither side,
//!   but still count in the whole). In between — a split vote — it is **left out** and nobody is
//!   blamed: a coalition holding under a third of the judging weight can neither let an update
//!   in nor push one out, and so cannot turn the vote against an honest proposer.
//! * A revealed update nobody judged is left out without blame too; a proposer that revealed
//!   nothing is **rejected** (slashed).
//! * A voter is slashed (**minority**) only for a ballot against a decision: against an update
//!   two thirds accepted, or for one two thirds voted down. A voter is paid (**majority**) when
//!   at least one of its ballots is on a decided update and all of those agree with the
//!   decisions; ballots on updates left out neither pay nor cost.

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
    /// Of `rejected`, those that revealed an update two thirds of the judging weight rejected.
    pub voted_down: Vec<usize>,
    /// Revealed updates left out without blame, in proposer order: no voter judged them, or
    /// neither side reached two thirds of the judging weight.
    pub left_out: Vec<usize>,
    /// Of `left_out`, those some voter judged (a split vote).
    pub split: Vec<usize>,
    /// Voters with a ballot on a decided update and every such ballot agreeing with the
    /// decision, in voter order.
    pub majority: Vec<usize>,
    /// Voters with a ballot against a decision, in voter order.
    pub minority: Vec<usize>,
}

/// Whether `part` is at least two thirds of `whole`.
fn two_thirds(part: u128, whole: u128) -> bool {
    part.saturating_mul(3) >= whole.saturating_mul(2)
}

/// Tallies a round: `proposers` with whether each revealed its update, `voters` with their
/// ballots, `drawn` the weight of every voter drawn for the round (whether its ballots arrived
/// or not). Both thresholds are two thirds of the larger of `drawn` and the weight that judged
/// the update: a voter kept out (offline, or by congestion) never lowers the bar, so a
/// coalition under a third of the drawn weight decides nothing however many honest ballots
/// are lost.
pub fn tally<A: PartialEq>(
    proposers: &[(A, bool)],
    voters: &[VoterBallots<A>],
    drawn: u128,
) -> Tally {
    let mut result = Tally::default();
    // (proposer, accepted) for every update that was decided.
    let mut decisions: Vec<(&A, bool)> = Vec::new();
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
        let judging = approve.saturating_add(reject);
        let bar = judging.max(drawn);
        if judging == 0 {
            // No voter judged it (voters offline or their ballots lost): the proposer is not to
            // blame, so the update is left out without a slash.
            result.left_out.push(index);
        } else if two_thirds(approve, bar) {
            decisions.push((proposer, true));
            result.accepted.push(index);
        } else if two_thirds(reject, bar) {
            decisions.push((proposer, false));
            result.rejected.push(index);
            result.voted_down.push(index);
        } else {
            // A split vote: too few approve to let the update in, too few reject to blame its
            // proposer.
            result.left_out.push(index);
            result.split.push(index);
        }
    }
    for (index, voter) in voters.iter().enumerate() {
        let decided: Vec<bool> = voter
            .ballots
            .iter()
            .filter_map(|(p, yes)| {
                decisions.iter().find(|(q, _)| *q == p).map(|(_, accepted)| accepted == yes)
            })
            .collect();
        if decided.is_empty() {
            continue;
        }
        if decided.iter().all(|agrees| *agrees) {
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
    fn two_thirds_of_the_judging_weight_decide() {
        let proposers = [(1u8, true), (2, true), (3, false), (4, true), (5, true)];
        let voters = [
            voter(20, &[(1, true), (2, false), (5, true)]),
            voter(10, &[(1, true), (2, false), (5, false)]),
            voter(10, &[(1, false), (2, false)]),
            voter(5, &[]),
        ];
        let t = tally(&proposers, &voters, 0);
        // 1: 30 of 40 approve (≥ ⅔): accepted; 2: 40 of 40 reject: voted down; 3 revealed
        // nothing; 4 unjudged; 5: 20 of 30 approve (≥ ⅔): accepted
        assert_eq!(t.accepted, vec![0, 4]);
        assert_eq!(t.rejected, vec![1, 2]);
        assert_eq!(t.voted_down, vec![1]);
        assert_eq!(t.left_out, vec![3]);
        assert!(t.split.is_empty());
        assert_eq!(t.majority, vec![0]);
        assert_eq!(t.minority, vec![1, 2]);
    }

    #[test]
    fn exactly_two_thirds_is_enough() {
        let t = tally(&[(1u8, true)], &[voter(2, &[(1, true)]), voter(1, &[(1, false)])], 3);
        assert_eq!(t.accepted, vec![0]);
        assert_eq!(t.minority, vec![1]);
        let t = tally(&[(1u8, true)], &[voter(2, &[(1, false)]), voter(1, &[(1, true)])], 3);
        assert_eq!((t.rejected.clone(), t.voted_down.clone()), (vec![0], vec![0]));
        assert_eq!((t.majority, t.minority), (vec![0], vec![1]));
    }

    /// Security review §6: two voters of four, with half the judging weight, reject every
    /// update. Before, the honest proposer was slashed and the honest voters, who approved,
    /// were the slashed "minority"; now the update is left out and nobody is slashed.
    #[test]
    fn a_split_vote_blames_nobody() {
        let voters = [
            voter(10, &[(1, false)]),
            voter(10, &[(1, false)]),
            voter(10, &[(1, true)]),
            voter(10, &[(1, true)]),
        ];
        let t = tally(&[(1u8, true)], &voters, 40);
        assert!(t.accepted.is_empty() && t.rejected.is_empty());
        assert_eq!((t.left_out.clone(), t.split.clone()), (vec![0], vec![0]));
        assert!(t.majority.is_empty() && t.minority.is_empty());
    }

    /// Security review §4 with §6: ballots that never arrive (a voter offline, or kept out by
    /// congestion) do not lower the bar. Of three voters of 10, only a rejecting one is heard:
    /// judged on the heard weight alone the update would be voted down; against the drawn
    /// weight it is left out and nobody is blamed.
    #[test]
    fn lost_ballots_do_not_lower_the_bar() {
        let heard = [voter(10, &[(1, false)])];
        let t = tally(&[(1u8, true)], &heard, 0);
        assert_eq!(t.voted_down, vec![0]);
        let t = tally(&[(1u8, true)], &heard, 30);
        assert!(t.rejected.is_empty() && t.accepted.is_empty());
        assert_eq!(t.split, vec![0]);
        assert!(t.minority.is_empty());
    }

    #[test]
    fn round_shares_pay_by_weight() {
        let (p, v, dust) = round_shares(1_000, Perbill::from_percent(60), &[1, 3], &[0, 0]);
        assert_eq!(p, vec![150, 450]);
        assert_eq!(v, vec![200, 200]);
        assert_eq!(dust, 0);
    }

    type Round = (Vec<(u8, bool)>, Vec<VoterBallots<u8>>, u128);

    /// Proposers, the voters whose ballots arrived, and the drawn voters' weight (theirs and
    /// possibly more, from voters whose ballots were lost).
    fn round() -> impl Strategy<Value = Round> {
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
        (proposers, voters, 0u128..2_000).prop_map(|(proposers, voters, lost)| {
            let heard: u128 = voters.iter().map(|v| v.weight).sum();
            (proposers, voters, heard + lost)
        })
    }

    /// Approving and rejecting weight of `p`'s update.
    fn weights(voters: &[VoterBallots<u8>], p: u8) -> (u128, u128) {
        let weight = |yes: bool| -> u128 {
            voters.iter().filter(|v| v.ballots.contains(&(p, yes))).map(|v| v.weight).sum()
        };
        (weight(true), weight(false))
    }

    proptest! {
        /// Every proposer has exactly one outcome: accepted only with two thirds approving,
        /// voted down only with two thirds rejecting, left out otherwise (revealed) or
        /// rejected (revealed nothing).
        #[test]
        fn every_proposer_has_one_outcome((proposers, voters, drawn) in round()) {
            let t = tally(&proposers, &voters, drawn);
            let mut all: Vec<usize> = t.accepted.iter().chain(&t.rejected).chain(&t.left_out).copied().collect();
            all.sort();
            prop_assert_eq!(all, (0..proposers.len()).collect::<Vec<_>>());
            for i in &t.accepted {
                let (p, revealed) = proposers[*i];
                let (yes, no) = weights(&voters, p);
                prop_assert!(revealed && yes + no > 0 && 3 * yes >= 2 * (yes + no).max(drawn));
            }
            for i in &t.voted_down {
                let (p, revealed) = proposers[*i];
                let (yes, no) = weights(&voters, p);
                prop_assert!(t.rejected.contains(i) && revealed);
                prop_assert!(yes + no > 0 && 3 * no >= 2 * (yes + no).max(drawn));
            }
            for i in t.rejected.iter().filter(|i| !t.voted_down.contains(i)) {
                prop_assert!(!proposers[*i].1);
            }
            for i in &t.split {
                let (p, _) = proposers[*i];
                let (yes, no) = weights(&voters, p);
                prop_assert!(t.left_out.contains(i));
                let bar = (yes + no).max(drawn);
                prop_assert!(3 * yes < 2 * bar && 3 * no < 2 * bar);
            }
        }

        /// A coalition holding under a third of the judging weight on an update cannot
        /// decide it against the others: when every other voter approves, it is accepted;
        /// when every other voter rejects, it is voted down.
        #[test]
        fn under_a_third_decides_nothing(
            honest in prop::collection::vec(1u128..1_000, 1..8),
            coalition in prop::collection::vec(1u128..1_000, 0..8),
            approve in any::<bool>(),
        ) {
            let honest_weight: u128 = honest.iter().sum();
            let coalition_weight: u128 = coalition.iter().sum();
            prop_assume!(3 * coalition_weight < honest_weight + coalition_weight);
            let voters: Vec<VoterBallots<u8>> = honest
                .iter()
                .map(|w| voter(*w, &[(1, approve)]))
                .chain(coalition.iter().map(|w| voter(*w, &[(1, !approve)])))
                .collect();
            let t = tally(&[(1u8, true)], &voters, honest_weight + coalition_weight);
            if approve {
                prop_assert_eq!(t.accepted, vec![0]);
            } else {
                prop_assert_eq!(t.voted_down, vec![0]);
            }
            // No honest voter is in the minority.
            prop_assert!(t.minority.iter().all(|i| *i >= honest.len()));
        }

        /// However many honest ballots are lost, a coalition under a third of the drawn
        /// weight never decides against the honest: no honest voter is in the minority, and
        /// a decision, if any, is the honest one.
        #[test]
        fn lost_honest_ballots_never_hand_the_decision_over(
            honest in prop::collection::vec((1u128..1_000, any::<bool>()), 1..8),
            coalition in prop::collection::vec(1u128..1_000, 0..8),
            approve in any::<bool>(),
        ) {
            let honest_weight: u128 = honest.iter().map(|(w, _)| w).sum();
            let coalition_weight: u128 = coalition.iter().sum();
            prop_assume!(3 * coalition_weight < honest_weight + coalition_weight);
            let heard: Vec<VoterBallots<u8>> = honest
                .iter()
                .filter(|(_, arrived)| *arrived)
                .map(|(w, _)| voter(*w, &[(1, approve)]))
                .chain(coalition.iter().map(|w| voter(*w, &[(1, !approve)])))
                .collect();
            let heard_honest = honest.iter().filter(|(_, arrived)| *arrived).count();
            let t = tally(&[(1u8, true)], &heard, honest_weight + coalition_weight);
            prop_assert!(t.minority.iter().all(|i| *i >= heard_honest));
            if approve {
                prop_assert!(t.voted_down.is_empty());
            } else {
                prop_assert!(t.accepted.is_empty());
            }
        }

        /// A voter is slashed exactly when one of its ballots goes against a decision, paid
        /// exactly when it judged a decided update and agreed with every decision it judged,
        /// and neither without a ballot on a decided update.
        #[test]
        fn voters_are_judged_by_the_decisions((proposers, voters, drawn) in round()) {
            let t = tally(&proposers, &voters, drawn);
            let decision = |p: u8| -> Option<bool> {
                let i = proposers.iter().position(|(q, _)| *q == p)?;
                if t.accepted.contains(&i) {
                    Some(true)
                } else if t.voted_down.contains(&i) {
                    Some(false)
                } else {
                    None
                }
            };
            for (i, v) in voters.iter().enumerate() {
                let in_majority = t.majority.contains(&i);
                let in_minority = t.minority.contains(&i);
                let judged: Vec<bool> = v.ballots.iter().filter_map(|(p, yes)| decision(*p).map(|d| d == *yes)).collect();
                prop_assert_eq!(in_minority, judged.iter().any(|agrees| !agrees));
                prop_assert_eq!(in_majority, !judged.is_empty() && judged.iter().all(|agrees| *agrees));
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
