//! Finalisation: consensus scores, ranking, verdicts, slashes and rewards.

use crate::{
    math,
    outcome::{self, Judgement, Payout, Reveal},
    pallet::*,
    types::*,
    WeightInfo,
};
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
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{SaturatedConversion, Saturating, Zero},
    Perbill,
};
use starling_primitives::{
    models::{ModelRegistry, ModelSource, ModelSpec, ProducedModel},
    staking::StakingInterface,
    Role, SlashReason,
};

impl<T: Config> Pallet<T> {
    /// Finalises a task whose score-reveal window has closed. Bounded by the entry and
    /// committee limits; returns the weight used.
    pub(crate) fn finalise(task: TaskId, mut record: TaskOf<T>) -> Weight {
        let entries = Entries::<T>::get(task);
        let committee = Committee::<T>::get(task);
        let benchmarked = T::WeightInfo::finalise(entries.len() as u32, committee.len() as u32);
        // The benchmark pays every member; each slash is charged at staking's slash weight
        // (security review L1: a slash costs more than a payment).
        // Each member's silence may be checked against the block-room record (two reads).
        let room_checks = T::DbWeight::get().reads(2u64.saturating_mul(committee.len() as u64));
        let weight = |slashes: u64| {
            benchmarked
                .saturating_add(T::Staking::slash_weight().saturating_mul(slashes))
                .saturating_add(room_checks)
        };
        let params = Parameters::<T>::get();
        // A member's offence dates from its draw (at the end of the reveals), so stake that
        // left after the draw is still slashed (security review §7).
        let offence_at = record.reveal_end;

        // Compute: the committee's judgement, from its reveals alone.
        let reveals: Vec<Reveal<'_>> = committee
            .iter()
            .map(|m| Reveal { scores: m.scores.as_ref().map(|s| s.as_slice()), weight: m.weight })
            .collect();
        let judgement = outcome::judge(
            entries.len(),
            &reveals,
            record.spec.metric.higher_is_better(),
            params.deviation_tolerance,
            params.deviation_floor,
        );
        let (consensus, ranking, verdicts) = match judgement {
            Judgement::Cancelled { reason } => {
                // Disputed data or nobody scoring: only the silent members are slashed, and
                // only where a block of their window had room for them.
                let mut slashes = 0u64;
                for member in committee.iter().filter(|m| m.scores.is_none()) {
                    if Self::silence_excused(&record, member) {
                        continue;
                    }
                    slashes = slashes.saturating_add(1);
                    Self::slash(
                        task,
                        &member.validator,
                        params.silent_slash,
                        SlashReason::ValidatorSilent,
                        offence_at,
                    );
                }
                Self::cancel(task, record, reason);
                return weight(slashes);
            },
            Judgement::Scored { consensus, ranking, verdicts } => (consensus, ranking, verdicts),
        };

        // The pool: the bounty plus the minted emission credit.
        let payout = Self::payout_account();
        let bounty = Self::collect_bounty(task, &record);
        let mut minted: BalanceOf<T> = Zero::zero();
        if !record.emission.is_zero() {
            minted = T::Currency::mint_into(&payout, record.emission).defensive_unwrap_or_default();
            Self::deposit_event(Event::EmissionMinted { task, amount: minted });
        }
        let pool: u128 = bounty.saturating_add(minted).saturated_into();
        let trainer_weights: Vec<u128> = entries.iter().map(|e| e.weight).collect();
        let members: Vec<(u128, Verdict)> =
            committee.iter().map(|m| m.weight).zip(verdicts.iter().copied()).collect();
        let Payout { trainers_pool, validators_pool, trainer_shares, validator_shares, dust } =
            outcome::pay_out(
                pool,
                ranking.len(),
                &trainer_weights,
                &members,
                params.gamma,
                params.rank_ratio,
            );

        // Apply: every payment and slash through staking, once.
        let mut to_treasury = dust;
        let mut ranked: BoundedVec<Ranked<T::AccountId, BalanceOf<T>>, ConstU32<MAX_SUBMISSIONS>> =
            BoundedVec::new();
        for (index, share) in ranking.iter().zip(trainer_shares) {
            let Some(entry) = entries.get(*index) else { continue };
            let score = consensus.get(*index).copied().unwrap_or_default();
            let paid = Self::pay(task, &payout, &entry.trainer, Role::TrainingNode, share);
            to_treasury = to_treasury.saturating_add(share.saturating_sub(paid));
            // Entries are bounded by MAX_SUBMISSIONS, the ranking's bound.
            ranked
                .try_push(Ranked {
                    trainer: entry.trainer.clone(),
                    score,
                    params_hash: entry.params_hash,
                    reward: paid.saturated_into(),
                })
                .defensive_unwrap_or_default();
        }

        let mut judged: BoundedVec<Judged<T::AccountId, BalanceOf<T>>, ConstU32<MAX_COMMITTEE>> =
            BoundedVec::new();
        let mut slashes = 0u64;
        for ((member, verdict), share) in committee.iter().zip(&verdicts).zip(validator_shares) {
            let (reward, slashed) = match verdict {
                Verdict::Agreed { .. } => {
                    let paid = Self::pay(task, &payout, &member.validator, Role::Validator, share);
                    to_treasury = to_treasury.saturating_add(share.saturating_sub(paid));
                    (paid.saturated_into(), Zero::zero())
                },
                Verdict::Silent if Self::silence_excused(&record, member) => {
                    (Zero::zero(), Zero::zero())
                },
                Verdict::Deviated | Verdict::Silent | Verdict::Abstained => {
                    let (rate, reason) = if *verdict == Verdict::Deviated {
                        (params.deviation_slash, SlashReason::ValidatorDeviation)
                    } else {
                        (params.silent_slash, SlashReason::ValidatorSilent)
                    };
                    let amount = Self::slash(task, &member.validator, rate, reason, offence_at);
                    slashes = slashes.saturating_add(1);
                    (Zero::zero(), amount)
                },
            };
            // The committee is bounded by MAX_COMMITTEE, the verdicts' bound.
            judged
                .try_push(Judged {
                    validator: member.validator.clone(),
                    verdict: *verdict,
                    reward,
                    slashed,
                })
                .defensive_unwrap_or_default();
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
                source: ModelSource::ArenaTask(task),
                owner: record.creator.clone(),
                spec: ModelSpec {
                    family: record.spec.family,
                    schema: record.spec.schema,
                    metric: record.spec.metric,
                    data: ModelData::Inline(params),
                    eval: record.eval_data.as_ref().map(|e| e.dataset.clone()),
                },
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
        weight(slashes).saturating_add(T::Models::register_weight())
    }

    /// Whether a silent member's silence is excused (security review §4): no block of the
    /// window it was silent in — the scoring window if it committed nothing, the score-reveal
    /// window if it committed and did not reveal — had room for worker calls, so congestion
    /// alone could have kept it out.
    pub(crate) fn silence_excused(
        record: &TaskOf<T>,
        member: &crate::types::Member<T::AccountId>,
    ) -> bool {
        let (from, to) = match member.commitment {
            None => (record.reveal_end, record.scoring_end),
            Some(_) => (record.scoring_end, record.score_reveal_end),
        };
        !T::Staking::had_room(from, to)
    }

    /// Slashes `fraction` of `validator`'s pool for `reason` and names it in `Slashed`; returns
    /// the value cut.
    fn slash(
        task: TaskId,
        validator: &T::AccountId,
        fraction: Perbill,
        reason: SlashReason,
        offence_at: BlockNumberFor<T>,
    ) -> BalanceOf<T> {
        let amount = T::Staking::slash(validator, Role::Validator, fraction, reason, offence_at);
        Self::deposit_event(Event::Slashed {
            task,
            operator: validator.clone(),
            role: Role::Validator,
            reason,
            amount,
        });
        amount
    }

    /// Pays `amount` to `operator`'s pool through staking and names it in `Rewarded`; returns
    /// what was paid (0 when the operator can no longer be paid, e.g. it left the role:
    /// `RewardForfeited`).
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
            Ok(paid) => {
                if !paid.is_zero() {
                    Self::deposit_event(Event::Rewarded {
                        task,
                        operator: operator.clone(),
                        role,
                        amount: paid,
                    });
                }
                paid.saturated_into()
            },
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
