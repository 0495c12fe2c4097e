//! Finalisation: consensus scores, ranking, verdicts, slashes and rewards.

use crate::{math, pallet::*, types::*, WeightInfo};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::{Precision, Preservation},
        Defensive,
    },
    BoundedVec,
};
use sp_runtime::{
    traits::{SaturatedConversion, Saturating, Zero},
    Perbill,
};
use starling_primitives::{
    arith::{distribute, weighted_median},
    models::{ModelOrigin, ModelRegistry, ProducedModel},
    staking::StakingInterface,
    Role, SlashReason,
};

impl<T: Config> Pallet<T> {
    /// Finalises a task whose score-reveal window has closed. Bounded by the entry and
    /// committee limits; returns the weight used.
    pub(crate) fn finalise(task: TaskId, mut record: TaskOf<T>) -> Weight {
        let entries = Entries::<T>::get(task);
        let committee = Committee::<T>::get(task);
        let weight = T::WeightInfo::finalise(entries.len() as u32, committee.len() as u32);
        let params = Parameters::<T>::get();
        let offence_at = record.score_reveal_end;

        // Abstentions (no scores: the member's evaluation data does not have the committed
        // content hash). When they hold at least half of the answering weight, the creator
        // published data the committee cannot verify: the task is cancelled, the deposit
        // forfeited, and only silent members are slashed. Nobody answering at all cancels the
        // task too, slashing everyone.
        let (abstained, scored) = committee.iter().fold((0u128, 0u128), |(a, s), m| {
            match m.scores.as_ref().map(|scores| scores.is_empty()) {
                Some(true) => (a.saturating_add(m.weight), s),
                Some(false) => (a, s.saturating_add(m.weight)),
                None => (a, s),
            }
        });
        let disputed = abstained > 0 && abstained >= scored;
        if disputed || scored == 0 {
            for member in committee.iter().filter(|m| m.scores.is_none()) {
                let amount = T::Staking::slash(
                    &member.validator,
                    Role::Validator,
                    params.silent_slash,
                    SlashReason::ValidatorSilent,
                    offence_at,
                );
                Self::deposit_event(Event::Slashed {
                    task,
                    operator: member.validator.clone(),
                    role: Role::Validator,
                    reason: SlashReason::ValidatorSilent,
                    amount,
                });
            }
            let reason =
                if disputed { CancelReason::EvalDataDisputed } else { CancelReason::NoScores };
            Self::cancel(task, record, reason);
            return weight;
        }

        // Consensus per entry: the stake-weighted median of the revealed scores.
        let revealed: Vec<(&Scores, u128)> = committee
            .iter()
            .filter_map(|m| m.scores.as_ref().map(|scores| (scores, m.weight)))
            .filter(|(scores, _)| !scores.is_empty())
            .collect();
        let consensus: Vec<i64> = (0..entries.len())
            .map(|i| {
                let pairs: Vec<(i64, u128)> = revealed
                    .iter()
                    .filter_map(|(scores, w)| scores.get(i).map(|s| (*s, *w)))
                    .collect();
                weighted_median(&pairs).unwrap_or_default()
            })
            .collect();

        // Ranking: best consensus first; ties keep commitment order (the entries' order).
        let higher_is_better = record.spec.metric.higher_is_better();
        let mut ranking: Vec<usize> = (0..entries.len()).collect();
        ranking.sort_by(|a, b| {
            let (sa, sb) = (
                consensus.get(*a).copied().unwrap_or_default(),
                consensus.get(*b).copied().unwrap_or_default(),
            );
            let by_score = if higher_is_better { sb.cmp(&sa) } else { sa.cmp(&sb) };
            by_score.then(a.cmp(b))
        });

        // Verdicts.
        let verdicts: Vec<Verdict> = committee
            .iter()
            .map(|member| match &member.scores {
                None => Verdict::Silent,
                Some(scores) if scores.is_empty() => Verdict::Abstained,
                Some(scores) => math::agreement(
                    scores,
                    &consensus,
                    params.deviation_tolerance,
                    params.deviation_floor,
                )
                .map_or(Verdict::Deviated, |agreement| Verdict::Agreed { agreement }),
            })
            .collect();

        // The pool: the bounty plus the minted emission credit.
        let payout = Self::payout_account();
        let bounty = Self::collect_bounty(task, &record);
        let mut minted: BalanceOf<T> = Zero::zero();
        if !record.emission.is_zero() {
            minted = T::Currency::mint_into(&payout, record.emission).defensive_unwrap_or_default();
            Self::deposit_event(Event::EmissionMinted { task, amount: minted });
        }
        let pool: u128 = bounty.saturating_add(minted).saturated_into();
        let trainer_weight = entries.iter().fold(0u128, |acc, e| acc.saturating_add(e.weight));
        let committee_weight = committee.iter().fold(0u128, |acc, m| acc.saturating_add(m.weight));
        let (trainers_pool, validators_pool) =
            math::split_pool(pool, params.gamma, trainer_weight, committee_weight);

        // Trainers: geometric series over rank.
        let rank_weights = math::geometric_weights(ranking.len(), params.rank_ratio);
        let (trainer_shares, trainer_rest) = distribute(trainers_pool, &rank_weights);
        // Validators: weight × agreement for those who agreed.
        let agreement_weights: Vec<u128> = committee
            .iter()
            .zip(&verdicts)
            .map(|(member, verdict)| match verdict {
                Verdict::Agreed { agreement } => agreement.mul_floor(member.weight),
                _ => 0,
            })
            .collect();
        let (validator_shares, validator_rest) = distribute(validators_pool, &agreement_weights);

        let mut to_treasury = trainer_rest.saturating_add(validator_rest);
        let mut ranked: BoundedVec<Ranked<T::AccountId, BalanceOf<T>>, ConstU32<MAX_SUBMISSIONS>> =
            BoundedVec::new();
        for (index, share) in ranking.iter().zip(trainer_shares) {
            let Some(entry) = entries.get(*index) else { continue };
            let score = consensus.get(*index).copied().unwrap_or_default();
            let paid = Self::pay(task, &payout, &entry.trainer, Role::TrainingNode, share);
            to_treasury = to_treasury.saturating_add(share.saturating_sub(paid));
            let amount: BalanceOf<T> = paid.saturated_into();
            if paid > 0 {
                Self::deposit_event(Event::Rewarded {
                    task,
                    operator: entry.trainer.clone(),
                    role: Role::TrainingNode,
                    amount,
                });
            }
            let _ = ranked.try_push(Ranked {
                trainer: entry.trainer.clone(),
                score,
                params_hash: entry.params_hash,
                reward: amount,
            });
        }

        let mut judged: BoundedVec<Judged<T::AccountId, BalanceOf<T>>, ConstU32<MAX_COMMITTEE>> =
            BoundedVec::new();
        for ((member, verdict), share) in committee.iter().zip(&verdicts).zip(validator_shares) {
            let (reward, slashed) = match verdict {
                Verdict::Agreed { .. } => {
                    let paid = Self::pay(task, &payout, &member.validator, Role::Validator, share);
                    to_treasury = to_treasury.saturating_add(share.saturating_sub(paid));
                    if paid > 0 {
                        Self::deposit_event(Event::Rewarded {
                            task,
                            operator: member.validator.clone(),
                            role: Role::Validator,
                            amount: paid.saturated_into(),
                        });
                    }
                    (paid.saturated_into(), Zero::zero())
                },
                Verdict::Deviated | Verdict::Silent | Verdict::Abstained => {
                    let (rate, reason) = if *verdict == Verdict::Deviated {
                        (params.deviation_slash, SlashReason::ValidatorDeviation)
                    } else {
                        (params.silent_slash, SlashReason::ValidatorSilent)
                    };
                    let amount = T::Staking::slash(
                        &member.validator,
                        Role::Validator,
                        rate,
                        reason,
                        offence_at,
                    );
                    Self::deposit_event(Event::Slashed {
                        task,
                        operator: member.validator.clone(),
                        role: Role::Validator,
                        reason,
                        amount,
                    });
                    (Zero::zero(), amount)
                },
            };
            let _ = judged.try_push(Judged {
                validator: member.validator.clone(),
                verdict: *verdict,
                reward,
                slashed,
            });
        }

        // Dust and forfeits to the treasury; the payout account keeps only its existential
        // deposit.
        let to_treasury_balance: BalanceOf<T> = to_treasury.saturated_into();
        if !to_treasury_balance.is_zero() {
            T::Currency::transfer(
                &payout,
                &T::Treasury::get(),
                to_treasury_balance,
                Preservation::Preserve,
            )
            .defensive_proof("the payout account holds the pool it received; qed")
            .defensive_unwrap_or_default();
        }
        T::Currency::release(
            &HoldReason::Deposit.into(),
            &record.creator,
            record.deposit,
            Precision::BestEffort,
        )
        .defensive_unwrap_or_default();

        let winner = ranked.first().map(|r| r.trainer.clone());
        let winning_model = winner.as_ref().and_then(|trainer| {
            // Reveals are inline only, so a model by URI never reaches finalisation.
            let ModelData::Inline(params) = Submissions::<T>::get(task, trainer)?.model? else {
                return None;
            };
            let score = ranked.first().map(|r| r.score).unwrap_or_default();
            Some(ProducedModel {
                origin: ModelOrigin::ArenaTask(task),
                owner: record.creator.clone(),
                family: record.spec.family,
                schema: record.spec.schema,
                metric: record.spec.metric,
                params,
                eval: record.eval_data.as_ref().map(|e| e.dataset.clone()),
                score: Some(score),
                creators: alloc::vec![(trainer.clone(), 1)],
            })
        });
        let now = frame_system::Pallet::<T>::block_number();
        Results::<T>::insert(
            task,
            TaskResult {
                ranking: ranked,
                committee: judged,
                pool: pool.saturated_into(),
                trainers_pool: trainers_pool.saturated_into(),
                validators_pool: validators_pool.saturated_into(),
                to_treasury: to_treasury_balance,
                finalised_at: now,
            },
        );
        record.phase = Phase::Finalised;
        Tasks::<T>::insert(task, record);
        Self::end(task);
        Self::deposit_event(Event::TaskFinalised {
            task,
            winner,
            pool: pool.saturated_into(),
            to_treasury: to_treasury_balance,
        });
        if let Some(model) = winning_model {
            T::Models::register(model);
        }
        weight.saturating_add(T::Models::register_weight())
    }

    /// Pays `amount` to `operator`'s pool through staking; returns what was paid (0 when the
    /// operator can no longer be paid, e.g. it left the role).
    fn pay(
        task: TaskId,
        payout: &T::AccountId,
        operator: &T::AccountId,
        role: Role,
        amount: u128,
    ) -> u128 {
        if amount == 0 {
            return 0;
        }
        match T::Staking::reward(payout, operator, role, amount.saturated_into()) {
            Ok(paid) => paid.saturated_into(),
            Err(_) => {
                Self::deposit_event(Event::RewardForfeited {
                    task,
                    operator: operator.clone(),
                    amount: amount.saturated_into(),
                });
                0
            },
        }
    }

    /// The agreement a member would get (for dApps explaining a verdict).
    pub fn agreement_of(scores: &[i64], consensus: &[i64]) -> Option<Perbill> {
        let params = Parameters::<T>::get();
        math::agreement(scores, consensus, params.deviation_tolerance, params.deviation_floor)
    }
}
