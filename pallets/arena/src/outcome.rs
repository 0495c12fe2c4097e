//! What a task's finalisation decides, computed purely from what the committee revealed and
//! the pool — no storage, no currency. `Pallet::finalise` asks [`judge`] and
//! [`pay_out`] and then applies the result once: payments and slashes through staking, the rest
//! to the treasury.
//!
//! * [`judge`]: cancelled (disputed evaluation data, or nobody scored) or scored — consensus
//!   per entry (the stake-weighted median), the ranking, and every member's verdict.
//! * [`pay_out`]: the pool split between trainers (geometric over rank) and agreeing
//!   validators (weight × agreement), with every unit accounted for.

use crate::{
    math,
    types::{CancelReason, Verdict},
};
use alloc::vec::Vec;
use sp_runtime::Perbill;
use starling_primitives::arith::{cap_shares, distribute, weighted_median};

/// No member's weight counts for more than `1 / MEDIAN_SHARE_PARTS` of the scoring weight in
/// the consensus (security review §11): a single member never decides a score.
pub const MEDIAN_SHARE_PARTS: u32 = 3;

/// A committee member as finalisation sees it: what it revealed and its weight when drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Reveal<'a> {
    /// The revealed scores, one per entry; empty when it abstained; `None` when silent.
    pub scores: Option<&'a [i64]>,
    /// Its weight when drawn.
    pub weight: u128,
}

/// How the committee's reveals judge a task.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Judgement {
    /// The task is cancelled for `reason`; only the silent members are slashed.
    Cancelled {
        /// [`CancelReason::EvalDataDisputed`], [`CancelReason::NoScores`] or
        /// [`CancelReason::NoSupermajority`].
        reason: CancelReason,
    },
    /// The entries are scored.
    Scored {
        /// Each entry's consensus score, in entry order.
        consensus: Vec<i64>,
        /// Entry indices, best first (ties keep entry order).
        ranking: Vec<usize>,
        /// Each member's verdict, in committee order.
        verdicts: Vec<Verdict>,
    },
}

/// Judges `entries` entries from the committee's reveals.
///
/// Abstentions (empty score vectors: the member's copy of the evaluation data does not have the
/// committed content hash) that hold at least half of the answering weight mean the creator
/// published data the committee cannot verify: cancelled as disputed. Nobody scoring cancels
/// too. Otherwise each entry's consensus is the stake-weighted median of the revealed scores,
/// each member's weight capped at a third of the committee's ([`cap_shares`]), so that no
/// single member decides it; entries rank by consensus in the metric's direction, and each
/// member agrees (within the band of `tolerance · |consensus| + floor` on every entry),
/// deviates, abstained or was silent. The consensus stands only when the members that agreed
/// with it hold at least ⅔ of the whole committee's weight, both by stake and capped (security
/// review §11; silent members count in the whole, so ballots lost to congestion never lower
/// the bar): a coalition under a third of the stake can then never have an honest member judged
/// deviating, and neither one large member nor a few small ones holding a capped majority can
/// carry a consensus alone. Without such a supermajority the task is cancelled
/// ([`CancelReason::NoSupermajority`]), slashing only the silent.
pub fn judge(
    entries: usize,
    committee: &[Reveal<'_>],
    higher_is_better: bool,
    tolerance: Perbill,
    floor: u64,
) -> Judgement {
    let (abstained, scored) = committee.iter().fold((0u128, 0u128), |(a, s), m| {
        match m.scores.map(|scores| scores.is_empty()) {
            Some(true) => (a.saturating_add(m.weight), s),
            Some(false) => (a, s.saturating_add(m.weight)),
            None => (a, s),
        }
    });
    let disputed = abstained > 0 && abstained >= scored;
    if disputed {
        return Judgement::Cancelled { reason: CancelReason::EvalDataDisputed };
    }
    if scored == 0 {
        return Judgement::Cancelled { reason: CancelReason::NoScores };
    }

    // Every member's weight, capped at a third of the committee's (silent and abstaining
    // members included: a member that is not heard never lowers the bar).
    let stakes: Vec<u128> = committee.iter().map(|m| m.weight).collect();
    let capped = cap_shares(&stakes, MEDIAN_SHARE_PARTS);
    let revealed: Vec<(&[i64], u128, u128)> = committee
        .iter()
        .zip(&capped)
        .filter_map(|(m, c)| m.scores.map(|scores| (scores, m.weight, *c)))
        .filter(|(scores, _, _)| !scores.is_empty())
        .collect();
    let consensus: Vec<i64> = (0..entries)
        .map(|i| {
            let pairs: Vec<(i64, u128)> = revealed
                .iter()
                .filter_map(|(scores, _, capped)| scores.get(i).map(|s| (*s, *capped)))
                .collect();
            weighted_median(&pairs).unwrap_or_default()
        })
        .collect();

    let mut ranking: Vec<usize> = (0..entries).collect();
    ranking.sort_by(|a, b| {
        let (sa, sb) = (
            consensus.get(*a).copied().unwrap_or_default(),
            consensus.get(*b).copied().unwrap_or_default(),
        );
        let by_score = if higher_is_better { sb.cmp(&sa) } else { sa.cmp(&sb) };
        by_score.then(a.cmp(b))
    });

    // The supermajority: the members that agree hold ⅔ of the whole committee's weight, by
    // stake and capped (⅔ without rounding: 3·agreed ≥ 2·all).
    let (mut agreed_stake, mut agreed_cap) = (0u128, 0u128);
    for (scores, stake, cap) in &revealed {
        if math::agreement(scores, &consensus, tolerance, floor).is_some() {
            agreed_stake = agreed_stake.saturating_add(*stake);
            agreed_cap = agreed_cap.saturating_add(*cap);
        }
    }
    let sum = |weights: &[u128]| weights.iter().fold(0u128, |acc, w| acc.saturating_add(*w));
    let backs = |agreed: u128, all: u128| agreed.saturating_mul(3) >= all.saturating_mul(2);
    let by_stake = backs(agreed_stake, sum(&stakes));
    let by_cap = backs(agreed_cap, sum(&capped));
    if !(by_stake && by_cap) {
        return Judgement::Cancelled { reason: CancelReason::NoSupermajority };
    }
    let verdicts = committee
        .iter()
        .map(|member| match member.scores {
            None => Verdict::Silent,
            Some([]) => Verdict::Abstained,
            Some(scores) => math::agreement(scores, &consensus, tolerance, floor)
                .map_or(Verdict::Deviated, |agreement| Verdict::Agreed { agreement }),
        })
        .collect();
    Judgement::Scored { consensus, ranking, verdicts }
}

/// How a scored task's pool is paid.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Payout {
    /// The trainers' part of the pool.
    pub trainers_pool: u128,
    /// The validators' part of the pool.
    pub validators_pool: u128,
    /// Each ranked entry's share, best first.
    pub trainer_shares: Vec<u128>,
    /// Each member's share, in committee order (0 unless it agreed).
    pub validator_shares: Vec<u128>,
    /// Rounding remainders, for the treasury.
    pub dust: u128,
}

/// Splits `pool` between the trainers and the committee (FLock's split by their total weights
/// with the floor `gamma`), then the trainers' part geometrically over the `ranked` entries
/// (ratio `rank_ratio`) and the committee's part by weight × agreement among the members that
/// agreed. `trainer_weights` are the entries' weights (any order), `members` each member's
/// weight and verdict. Every unit of `pool` is in a share or in `dust`.
pub fn pay_out(
    pool: u128,
    ranked: usize,
    trainer_weights: &[u128],
    members: &[(u128, Verdict)],
    gamma: Perbill,
    rank_ratio: Perbill,
) -> Payout {
    let trainer_weight = trainer_weights.iter().fold(0u128, |acc, w| acc.saturating_add(*w));
    let committee_weight = members.iter().fold(0u128, |acc, (w, _)| acc.saturating_add(*w));
    let (trainers_pool, validators_pool) =
        math::split_pool(pool, gamma, trainer_weight, committee_weight);
    let rank_weights = math::geometric_weights(ranked, rank_ratio);
    let (trainer_shares, trainer_rest) = distribute(trainers_pool, &rank_weights);
    let agreement_weights: Vec<u128> = members
        .iter()
        .map(|(weight, verdict)| match verdict {
            Verdict::Agreed { agreement } => agreement.mul_floor(*weight),
            _ => 0,
        })
        .collect();
    let (validator_shares, validator_rest) = distribute(validators_pool, &agreement_weights);
    Payout {
        trainers_pool,
        validators_pool,
        trainer_shares,
        validator_shares,
        dust: trainer_rest.saturating_add(validator_rest),
    }
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

    const TOLERANCE: Perbill = Perbill::from_percent(10);

    fn reveal(scores: Option<&[i64]>, weight: u128) -> Reveal<'_> {
        Reveal { scores, weight }
    }

    #[test]
    fn most_abstaining_weight_disputes_the_data() {
        let scores = [100i64];
        let committee = [reveal(Some(&[]), 5), reveal(Some(&scores), 5), reveal(None, 50)];
        assert_eq!(
            judge(1, &committee, false, TOLERANCE, 0),
            Judgement::Cancelled { reason: CancelReason::EvalDataDisputed }
        );
        let silent = [reveal(None, 5), reveal(None, 7)];
        assert_eq!(
            judge(1, &silent, false, TOLERANCE, 0),
            Judgement::Cancelled { reason: CancelReason::NoScores }
        );
    }

    fn scored(judgement: Judgement) -> (Vec<i64>, Vec<Verdict>) {
        match judgement {
            Judgement::Scored { consensus, verdicts, .. } => (consensus, verdicts),
            Judgement::Cancelled { reason } => panic!("cancelled: {reason:?}"),
        }
    }

    const NO_SUPERMAJORITY: Judgement =
        Judgement::Cancelled { reason: CancelReason::NoSupermajority };

    /// Security review §11: a member holding 40 times the weight of each of the two others
    /// does not decide the consensus. Before the cap, its scores were the median and the two
    /// honest members were slashed for deviating from them; now, lying, it cannot carry a
    /// consensus, and the two honest members (a capped majority but 5 % of the stake) cannot
    /// have it slashed either: the task is cancelled and nobody is judged deviating.
    #[test]
    fn one_large_member_does_not_decide_the_consensus() {
        let honest = [300i64, 100];
        let lie = [100i64, 900];
        let committee =
            [reveal(Some(&lie), 40), reveal(Some(&honest), 1), reveal(Some(&honest), 1)];
        assert_eq!(judge(2, &committee, false, TOLERANCE, 0), NO_SUPERMAJORITY);
        // Among equals, the one liar deviates and the two honest members agree.
        let equals = [reveal(Some(&lie), 1), reveal(Some(&honest), 1), reveal(Some(&honest), 1)];
        let (consensus, verdicts) = scored(judge(2, &equals, false, TOLERANCE, 0));
        assert_eq!(consensus, vec![300, 100]);
        assert_eq!(verdicts[0], Verdict::Deviated);
        assert_eq!(verdicts[1], Verdict::Agreed { agreement: Perbill::one() });
    }

    /// Security review §11: a coalition holding under a third of the stake never has an honest
    /// member judged deviating, even where the cap gives it a majority of the capped weight
    /// (two small members beside one large honest one).
    #[test]
    fn a_capped_majority_under_a_third_of_the_stake_judges_nobody() {
        let honest = [300i64];
        let lie = [900i64];
        let committee = [reveal(Some(&honest), 90), reveal(Some(&lie), 5), reveal(Some(&lie), 5)];
        assert_eq!(judge(1, &committee, false, TOLERANCE, 0), NO_SUPERMAJORITY);
    }

    /// Without a supermajority agreeing with the consensus, nobody is slashed for deviating.
    #[test]
    fn without_a_supermajority_nobody_deviates() {
        let low = [100i64];
        let high = [900i64];
        // Two against two: the lower median has only half the weight.
        let split = [
            reveal(Some(&low), 1),
            reveal(Some(&low), 1),
            reveal(Some(&high), 1),
            reveal(Some(&high), 1),
        ];
        assert_eq!(judge(1, &split, false, TOLERANCE, 0), NO_SUPERMAJORITY);
        // Three against one: the one deviates.
        let three = [
            reveal(Some(&low), 1),
            reveal(Some(&low), 1),
            reveal(Some(&low), 1),
            reveal(Some(&high), 1),
        ];
        let (_, verdicts) = scored(judge(1, &three, false, TOLERANCE, 0));
        assert_eq!(verdicts[3], Verdict::Deviated);
    }

    #[test]
    fn a_scored_task_ranks_and_judges() {
        // entry 0 scores 300, entry 1 scores 100: lower is better (a loss)
        let a = [300i64, 100];
        let b = [310i64, 100];
        let liar = [100i64, 300];
        let committee = [
            reveal(Some(&a), 10),
            reveal(Some(&b), 10),
            reveal(Some(&liar), 5),
            reveal(None, 1),
            reveal(Some(&[]), 1),
        ];
        let Judgement::Scored { consensus, ranking, verdicts } =
            judge(2, &committee, false, TOLERANCE, 0)
        else {
            panic!("scored");
        };
        assert_eq!(consensus, vec![300, 100]);
        assert_eq!(ranking, vec![1, 0]);
        assert_eq!(verdicts[0], Verdict::Agreed { agreement: Perbill::one() });
        assert!(matches!(verdicts[1], Verdict::Agreed { .. }));
        assert_eq!(verdicts[2], Verdict::Deviated);
        assert_eq!(verdicts[3], Verdict::Silent);
        assert_eq!(verdicts[4], Verdict::Abstained);
    }

    #[test]
    fn only_agreeing_members_are_paid() {
        let members = [
            (10, Verdict::Agreed { agreement: Perbill::one() }),
            (10, Verdict::Deviated),
            (10, Verdict::Agreed { agreement: Perbill::from_percent(50) }),
        ];
        let payout = pay_out(
            3_000,
            2,
            &[5, 5],
            &members,
            Perbill::from_percent(10),
            Perbill::from_percent(50),
        );
        assert_eq!(payout.validator_shares[1], 0);
        assert_eq!(payout.validator_shares[0], 2 * payout.validator_shares[2]);
        assert_eq!(payout.trainer_shares[0], 2 * payout.trainer_shares[1]);
    }

    fn committee_strategy() -> impl Strategy<Value = Vec<(Option<Vec<i64>>, u128)>> {
        let scores = prop_oneof![
            1 => Just(None),
            1 => Just(Some(Vec::new())),
            6 => prop::collection::vec(-1_000_000i64..1_000_000, 3).prop_map(Some),
        ];
        prop::collection::vec((scores, 1u128..1_000_000), 1..12)
    }

    proptest! {
        /// Every unit of the pool is paid to someone or goes to the treasury, and only members
        /// that agreed are paid.
        #[test]
        fn the_payout_conserves_the_pool(
            pool in any::<u64>(),
            ranked in 0usize..20,
            trainers in prop::collection::vec(0u128..1u128 << 80, 0..20),
            members in prop::collection::vec((0u128..1u128 << 80, 0u32..=1_000_000_000, any::<bool>()), 0..20),
            gamma in 0u32..=1_000_000_000,
            ratio in 0u32..=1_000_000_000,
        ) {
            let members: Vec<(u128, Verdict)> = members
                .into_iter()
                .map(|(w, a, agreed)| {
                    (w, if agreed { Verdict::Agreed { agreement: Perbill::from_parts(a) } } else { Verdict::Deviated })
                })
                .collect();
            let payout = pay_out(
                pool.into(), ranked, &trainers, &members,
                Perbill::from_parts(gamma), Perbill::from_parts(ratio),
            );
            let paid: u128 = payout.trainer_shares.iter().chain(&payout.validator_shares).sum();
            prop_assert_eq!(paid + payout.dust, u128::from(pool));
            prop_assert_eq!(payout.trainers_pool + payout.validators_pool, u128::from(pool));
            prop_assert_eq!(payout.trainer_shares.len(), ranked);
            for ((_, verdict), share) in members.iter().zip(&payout.validator_shares) {
                if !matches!(verdict, Verdict::Agreed { .. }) {
                    prop_assert_eq!(*share, 0);
                }
            }
        }

        /// A judgement is cancelled exactly when abstainers hold at least half of the answering
        /// weight or nobody scored; otherwise the ranking is a permutation in the metric's
        /// order and every member has a verdict that matches what it revealed.
        #[test]
        fn judgements_follow_the_reveals(committee in committee_strategy(), higher in any::<bool>()) {
            let reveals: Vec<Reveal<'_>> =
                committee.iter().map(|(s, w)| reveal(s.as_deref(), *w)).collect();
            let abstained: u128 = committee.iter().filter(|(s, _)| matches!(s, Some(v) if v.is_empty())).map(|(_, w)| w).sum();
            let scored: u128 = committee.iter().filter(|(s, _)| matches!(s, Some(v) if !v.is_empty())).map(|(_, w)| w).sum();
            match judge(3, &reveals, higher, TOLERANCE, 0) {
                Judgement::Cancelled { reason } => {
                    let expected = if abstained > 0 && abstained >= scored {
                        CancelReason::EvalDataDisputed
                    } else if scored == 0 {
                        CancelReason::NoScores
                    } else {
                        // Unanimous scorers holding ⅔ of the committee, by stake and capped,
                        // are always a supermajority.
                        let scoring: Vec<&Vec<i64>> =
                            committee.iter().filter_map(|(s, _)| s.as_ref()).filter(|v| !v.is_empty()).collect();
                        let weights: Vec<u128> = committee.iter().map(|(_, w)| *w).collect();
                        let capped = cap_shares(&weights, MEDIAN_SHARE_PARTS);
                        let capped_scored: u128 = committee.iter().zip(&capped)
                            .filter(|((s, _), _)| matches!(s, Some(v) if !v.is_empty()))
                            .map(|(_, c)| c).sum();
                        let all: u128 = weights.iter().sum();
                        prop_assert!(
                            scoring.windows(2).any(|p| p[0] != p[1])
                                || 3 * scored < 2 * all
                                || 3 * capped_scored < 2 * capped.iter().sum::<u128>()
                        );
                        CancelReason::NoSupermajority
                    };
                    prop_assert_eq!(reason, expected);
                },
                Judgement::Scored { consensus, ranking, verdicts } => {
                    prop_assert!(scored > 0 && abstained < scored);
                    // The members that agreed hold at least ⅔ of the committee's stake.
                    let agreed: u128 = committee
                        .iter()
                        .zip(&verdicts)
                        .filter(|(_, v)| matches!(v, Verdict::Agreed { .. }))
                        .map(|((_, w), _)| w)
                        .sum();
                    let all: u128 = committee.iter().map(|(_, w)| w).sum();
                    prop_assert!(3 * agreed >= 2 * all);
                    let mut sorted = ranking.clone();
                    sorted.sort();
                    prop_assert_eq!(sorted, vec![0, 1, 2]);
                    for pair in ranking.windows(2) {
                        let (a, b) = (consensus[pair[0]], consensus[pair[1]]);
                        let in_order = if higher { a >= b } else { a <= b };
                        prop_assert!(in_order);
                    }
                    for ((scores, _), verdict) in committee.iter().zip(&verdicts) {
                        match scores {
                            None => prop_assert_eq!(*verdict, Verdict::Silent),
                            Some(v) if v.is_empty() => prop_assert_eq!(*verdict, Verdict::Abstained),
                            Some(v) if *v == consensus => {
                                prop_assert_eq!(*verdict, Verdict::Agreed { agreement: Perbill::one() })
                            },
                            Some(_) => prop_assert!(*verdict != Verdict::Silent && *verdict != Verdict::Abstained),
                        }
                    }
                },
            }
        }

        /// Honest members never lose: when every member that scores reveals the same scores,
        /// each of them agrees with consensus, whatever the silent members' weight — or, when
        /// the silent hold more than a third of the committee (by stake or capped), the task
        /// is cancelled and nobody is judged on scores.
        #[test]
        fn a_unanimous_committee_all_agrees(
            scores in prop::collection::vec(-1_000_000i64..1_000_000, 3),
            weights in prop::collection::vec(1u128..1_000_000, 1..12),
            silent in prop::collection::vec(1u128..1_000_000, 0..4),
        ) {
            let mut reveals: Vec<Reveal<'_>> = weights.iter().map(|w| reveal(Some(&scores), *w)).collect();
            reveals.extend(silent.iter().map(|w| reveal(None, *w)));
            let all: Vec<u128> = weights.iter().chain(&silent).copied().collect();
            let capped = cap_shares(&all, MEDIAN_SHARE_PARTS);
            let heard = |w: &[u128]| -> u128 { w.iter().take(weights.len()).sum() };
            let short = 3 * heard(&all) < 2 * all.iter().sum::<u128>()
                || 3 * heard(&capped) < 2 * capped.iter().sum::<u128>();
            let judgement = judge(3, &reveals, false, TOLERANCE, 0);
            if short {
                prop_assert_eq!(judgement, NO_SUPERMAJORITY);
                return Ok(());
            }
            let Judgement::Scored { consensus, verdicts, .. } = judgement else {
                return Err(TestCaseError::fail("a unanimous committee scores"));
            };
            prop_assert_eq!(&consensus, &scores);
            for verdict in verdicts.iter().take(weights.len()) {
                prop_assert_eq!(*verdict, Verdict::Agreed { agreement: Perbill::one() });
            }
        }
    }
}
