//! Finalisation: consensus scores, ranking, verdicts, slashes and rewards.

use crate::{
    math,
    outcome::{self, Judgement, Payout, Reveal},
    pallet::*,
    stage::{Stage, Staged},
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
use starling_support::settlement::{self, Applied, Payment, Settled, Settlement, Slash};

/// What a committee member's part of the settlement is.
enum MemberItem {
    /// Paid by the settlement's payment at this index.
    Paid(usize),
    /// Slashed by the settlement's slash at this index.
    Slashed(usize),
    /// Silent, excused by congestion: neither paid nor slashed.
    Excused,
}

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
                let slashes = committee
                    .iter()
                    .filter(|m| m.scores.is_none() && !Self::silence_excused(&record, m))
                    .map(|m| Slash {
                        operator: m.validator.clone(),
                        role: Role::Validator,
                        fraction: params.silent_slash,
                        reason: SlashReason::ValidatorSilent,
                    })
                    .collect();
                let settlement = Settlement { payments: Vec::new(), slashes };
                let applied = Self::settle(task, &settlement, offence_at, &Self::payout_account());
                Self::cancel(task, record, reason);
                return weight(applied.slashed.len() as u64);
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

        // The settlement: trainers by rank, agreeing members by agreement; deviating and
        // silent members slashed unless congestion excuses the silence.
        let mut settlement = Settlement::default();
        let mut ranked_entries: Vec<(usize, usize)> = Vec::new();
        for (index, share) in ranking.iter().zip(trainer_shares) {
            let Some(entry) = entries.get(*index) else { continue };
            ranked_entries.push((*index, settlement.payments.len()));
            settlement.payments.push(Payment {
                operator: entry.trainer.clone(),
                role: Role::TrainingNode,
                amount: share,
            });
        }
        let mut member_items: Vec<MemberItem> = Vec::new();
        for ((member, verdict), share) in committee.iter().zip(&verdicts).zip(validator_shares) {
            let (fraction, reason) = match verdict {
                Verdict::Agreed { .. } => {
                    member_items.push(MemberItem::Paid(settlement.payments.len()));
                    settlement.payments.push(Payment {
                        operator: member.validator.clone(),
                        role: Role::Validator,
                        amount: share,
                    });
                    continue;
                },
                Verdict::Silent if Self::silence_excused(&record, member) => {
                    member_items.push(MemberItem::Excused);
                    continue;
                },
                Verdict::Deviated => (params.deviation_slash, SlashReason::ValidatorDeviation),
                Verdict::Silent | Verdict::Abstained => {
                    (params.silent_slash, SlashReason::ValidatorSilent)
                },
            };
            member_items.push(MemberItem::Slashed(settlement.slashes.len()));
            settlement.slashes.push(Slash {
                operator: member.validator.clone(),
                role: Role::Validator,
                fraction,
                reason,
            });
        }

        // Apply: every payment and slash through staking, once; what could not be paid is
        // forfeited to the treasury with the dust.
        let applied = Self::settle(task, &settlement, offence_at, &payout);
        let to_treasury = dust.saturating_add(applied.unpaid);
        let paid = |i: usize| applied.paid.get(i).copied().unwrap_or_default();
        let mut ranked: BoundedVec<Ranked<T::AccountId, BalanceOf<T>>, ConstU32<MAX_SUBMISSIONS>> =
            BoundedVec::new();
        for (index, payment) in ranked_entries {
            let Some(entry) = entries.get(index) else { continue };
            // Entries are bounded by MAX_SUBMISSIONS, the ranking's bound.
            ranked
                .try_push(Ranked {
                    trainer: entry.trainer.clone(),
                    score: consensus.get(index).copied().unwrap_or_default(),
                    params_hash: entry.params_hash,
                    reward: paid(payment).saturated_into(),
                })
                .defensive_unwrap_or_default();
        }
        let mut judged: BoundedVec<Judged<T::AccountId, BalanceOf<T>>, ConstU32<MAX_COMMITTEE>> =
            BoundedVec::new();
        for ((member, verdict), item) in committee.iter().zip(&verdicts).zip(member_items) {
            let (reward, slashed) = match item {
                MemberItem::Paid(i) => (paid(i).saturated_into(), Zero::zero()),
                MemberItem::Excused => (Zero::zero(), Zero::zero()),
                MemberItem::Slashed(i) => {
                    (Zero::zero(), applied.slashed.get(i).copied().unwrap_or_default())
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
        let slashes = applied.slashed.len() as u64;

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
        let stage = match member.commitment {
            None => Stage::Scoring,
            Some(_) => Stage::ScoreReveal,
        };
        record.window(stage).is_some_and(|(from, to)| !T::Staking::had_room(from, to))
    }

    /// Applies `settlement` through staking, paying from `payout`, and names every item in
    /// an event: `Rewarded`, `RewardForfeited` (the operator can no longer be paid, e.g. it
    /// left the role; the amount goes to the treasury) or `Slashed`.
    fn settle(
        task: TaskId,
        settlement: &Settlement<T::AccountId>,
        offence_at: BlockNumberFor<T>,
        payout: &T::AccountId,
    ) -> Applied<BalanceOf<T>> {
        settlement::apply::<_, T::Staking>(
            settlement,
            offence_at,
            |p| T::Staking::reward(payout, &p.operator, p.role, p.amount.saturated_into()),
            |settled| {
                Self::deposit_event(match settled {
                    Settled::Rewarded { payment, amount } => Event::Rewarded {
                        task,
                        operator: payment.operator.clone(),
                        role: payment.role,
                        amount,
                    },
                    Settled::NotPaid { payment, .. } => Event::RewardForfeited {
                        task,
                        operator: payment.operator.clone(),
                        amount: payment.amount.saturated_into(),
                    },
                    Settled::Slashed { slash, amount } => Event::Slashed {
                        task,
                        operator: slash.operator.clone(),
                        role: slash.role,
                        reason: slash.reason,
                        amount,
                    },
                })
            },
        )
    }

    /// The agreement a member would get (for dApps explaining a verdict).
    pub fn agreement_of(scores: &[i64], consensus: &[i64]) -> Option<Perbill> {
        let params = Parameters::<T>::get();
        math::agreement(scores, consensus, params.deviation_tolerance, params.deviation_floor)
    }
}
