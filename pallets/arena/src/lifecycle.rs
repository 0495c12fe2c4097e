//! A task's lifecycle: creation, sealed submissions, evaluation data, the committee, score
//! commit–reveal, and the phase changes `on_initialize` makes.

use crate::stage::{Stage, Staged};
use crate::types::{Member, Task};
use crate::{
    math,
    pallet::*,
    types::*,
    worker::{ModelCommitment, ModelReveal, ScoreCommitment, ScoreReveal},
    WeightInfo, MAX_TRANSITIONS_PER_BLOCK,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{
        fungible::MutateHold,
        tokens::{Fortitude, Precision, Restriction},
        Defensive, Randomness,
    },
    BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{
    traits::{AccountIdConversion, Saturating, Zero},
    DispatchError, DispatchResult, Perbill,
};
use starling_ml_interface::{DatasetRef, Params};
use starling_primitives::{staking::StakingInterface, Role};
use starling_support::{
    commit_reveal::{content_hash, opens, seal},
    due,
};

impl<T: Config> Pallet<T> {
    /// The account that pays rewards out (bounty and minted emission pass through it).
    pub fn payout_account() -> T::AccountId {
        T::PalletId::get().into_account_truncating()
    }

    /// A task that has not ended.
    fn running_task(task: TaskId) -> Result<TaskOf<T>, DispatchError> {
        let record = Tasks::<T>::get(task).ok_or(Error::<T>::TaskNotFound)?;
        ensure!(
            !matches!(record.phase, Phase::Finalised | Phase::Cancelled(_)),
            Error::<T>::TaskEnded
        );
        Ok(record)
    }

    // ----- creation, cancellation, verification, parameters -----

    pub(crate) fn do_create_task(
        creator: T::AccountId,
        spec: TaskSpec<BlockNumberFor<T>>,
        bounty: BalanceOf<T>,
    ) -> Result<TaskId, DispatchError> {
        let params = Parameters::<T>::get();
        ensure!(
            !spec.schema.features.is_zero() && spec.schema.features <= MAX_FEATURES,
            Error::<T>::InvalidSchema
        );
        ensure!(spec.param_count().is_some(), Error::<T>::FamilyDoesNotFitSchema);
        ensure!(metric_fits(spec.metric, spec.schema.label), Error::<T>::MetricDoesNotFitSchema);
        ensure!(
            matches!(spec.training_data.dataset, DatasetRef::BuiltIn { .. }),
            Error::<T>::PrivateTrainingData
        );
        ensure!(
            spec.submission_window >= params.min_submission_window
                && spec.submission_window <= params.max_submission_window,
            Error::<T>::SubmissionWindowOutOfBounds
        );
        ensure!(
            spec.max_submissions >= 1 && spec.max_submissions <= MAX_SUBMISSIONS,
            Error::<T>::InvalidMaxSubmissions
        );
        ensure!(bounty >= params.min_bounty, Error::<T>::BountyTooLow);

        let id = NextTaskId::<T>::get();
        let next = id.checked_add(1).ok_or(Error::<T>::TaskIdsExhausted)?;
        ActiveTasks::<T>::try_mutate(|active| active.try_push(id))
            .map_err(|_| Error::<T>::TooManyActiveTasks)?;
        let deposit = params.task_deposit;
        T::Currency::hold(&HoldReason::Bounty.into(), &creator, bounty)
            .map_err(|_| Error::<T>::InsufficientFunds)?;
        T::Currency::hold(&HoldReason::Deposit.into(), &creator, deposit)
            .map_err(|_| Error::<T>::InsufficientFunds)?;

        let now = frame_system::Pallet::<T>::block_number();
        let submission_end = now.saturating_add(spec.submission_window);
        let reveal_end = submission_end.saturating_add(params.reveal_window);
        let scoring_end = reveal_end.saturating_add(params.scoring_window);
        let score_reveal_end = scoring_end.saturating_add(params.score_reveal_window);
        Tasks::<T>::insert(
            id,
            Task {
                creator: creator.clone(),
                spec,
                bounty,
                deposit,
                created_at: now,
                submission_end,
                reveal_end,
                scoring_end,
                score_reveal_end,
                phase: Phase::Submission,
                verified: false,
                eval_data: None,
                commitments: 0,
                submissions: 0,
                trainer_weight: 0,
                emission: Zero::zero(),
            },
        );
        NextTaskId::<T>::put(next);
        Self::schedule(id, submission_end);
        Self::deposit_event(Event::TaskCreated {
            task: id,
            creator,
            bounty,
            deposit,
            submission_end,
        });
        Ok(id)
    }

    pub(crate) fn do_cancel_by_creator(who: &T::AccountId, task: TaskId) -> DispatchResult {
        let record = Self::running_task(task)?;
        ensure!(record.creator == *who, Error::<T>::NotCreator);
        Self::ensure_stage(
            &record,
            Stage::Submission,
            Error::<T>::SubmissionWindowClosed,
            Error::<T>::SubmissionWindowClosed,
        )?;
        ensure!(record.commitments == 0, Error::<T>::TaskHasSubmissions);
        Self::cancel(task, record, CancelReason::ByCreator);
        Ok(())
    }

    pub(crate) fn do_verify(task: TaskId) -> DispatchResult {
        let mut record = Self::running_task(task)?;
        ensure!(!record.verified, Error::<T>::AlreadyVerified);
        record.verified = true;
        Tasks::<T>::insert(task, record);
        Self::deposit_event(Event::TaskVerified { task });
        Ok(())
    }

    pub(crate) fn do_set_params(params: ArenaParamsOf<T>) -> DispatchResult {
        ensure!(
            params.committee_size >= 1
                && params.committee_size <= MAX_COMMITTEE
                && !params.min_submission_window.is_zero()
                && params.min_submission_window <= params.max_submission_window
                && !params.reveal_window.is_zero()
                && !params.scoring_window.is_zero()
                && !params.score_reveal_window.is_zero()
                && params.gamma <= Perbill::from_percent(50),
            Error::<T>::InvalidParams
        );
        // A committee seat binds the member's stake from the draw to the task's end; staking
        // can keep a slash dated at the draw within reach for so long only.
        ensure!(
            params.scoring_window.saturating_add(params.score_reveal_window)
                <= T::Staking::max_engagement(),
            Error::<T>::ScoringTooLong
        );
        Parameters::<T>::put(params);
        Self::deposit_event(Event::ParamsSet { params });
        Ok(())
    }

    /// Whether the task is in `wanted` at this block (`stage.rs`): `early` before it, `late`
    /// after it.
    fn ensure_stage(
        record: &TaskOf<T>,
        wanted: Stage,
        early: Error<T>,
        late: Error<T>,
    ) -> DispatchResult {
        let now = frame_system::Pallet::<T>::block_number();
        record.expect_stage(now, wanted, early, late).map_err(Into::into)
    }

    // ----- sealed submissions -----

    /// Everything `commit_model` checks, read-only.
    pub(crate) fn check_commit_model(
        trainer: &T::AccountId,
        payload: &ModelCommitment<T::Public>,
    ) -> DispatchResult {
        let record = Self::running_task(payload.task)?;
        Self::ensure_stage(
            &record,
            Stage::Submission,
            Error::<T>::SubmissionWindowClosed,
            Error::<T>::SubmissionWindowClosed,
        )?;
        ensure!(T::Staking::is_active(trainer, Role::TrainingNode), Error::<T>::NotATrainer);
        match Submissions::<T>::get(payload.task, trainer) {
            Some(previous) => ensure!(payload.seq > previous.seq, Error::<T>::StaleSequence),
            None => {
                ensure!(payload.seq >= 1, Error::<T>::StaleSequence);
                ensure!(record.submissions < record.spec.max_submissions, Error::<T>::TaskFull);
            },
        }
        Ok(())
    }

    pub(crate) fn do_commit_model(
        trainer: &T::AccountId,
        payload: &ModelCommitment<T::Public>,
    ) -> DispatchResult {
        Self::check_commit_model(trainer, payload)?;
        let mut record = Self::running_task(payload.task)?;
        let weight = T::Staking::weight_of(trainer, Role::TrainingNode);
        let now = frame_system::Pallet::<T>::block_number();
        let previous = Submissions::<T>::get(payload.task, trainer);
        match &previous {
            Some(old) => {
                record.trainer_weight = record.trainer_weight.saturating_sub(old.weight);
            },
            None => {
                record.submissions = record.submissions.saturating_add(1);
                // Commission stays as it is until the task pays out.
                T::Staking::freeze_commission(
                    trainer,
                    Role::TrainingNode,
                    record.score_reveal_end,
                )?;
            },
        }
        record.trainer_weight = record.trainer_weight.saturating_add(weight);
        Submissions::<T>::insert(
            payload.task,
            trainer,
            Submission {
                commitment: payload.commitment,
                seq: payload.seq,
                order: record.commitments,
                committed_at: now,
                weight,
                model: None,
                params_hash: None,
            },
        );
        record.commitments = record.commitments.saturating_add(1);
        Tasks::<T>::insert(payload.task, record);
        Self::deposit_event(Event::ModelCommitted {
            task: payload.task,
            trainer: trainer.clone(),
            commitment: payload.commitment,
            seq: payload.seq,
        });
        Ok(())
    }

    /// Everything `reveal_model` checks, read-only; returns the parameters' hash.
    pub(crate) fn check_reveal_model(
        trainer: &T::AccountId,
        payload: &ModelReveal<T::Public>,
    ) -> Result<H256, DispatchError> {
        let record = Self::running_task(payload.task)?;
        Self::ensure_stage(
            &record,
            Stage::Reveal,
            Error::<T>::RevealNotOpen,
            Error::<T>::RevealClosed,
        )?;
        let submission =
            Submissions::<T>::get(payload.task, trainer).ok_or(Error::<T>::NoSubmission)?;
        ensure!(submission.model.is_none(), Error::<T>::AlreadyRevealed);
        // Only inline parameters: a model behind a URI would make every committee member's
        // node fetch from an address the trainer controls (stall it, or serve some members
        // and not others to get them slashed, or probe internal addresses).
        let ModelData::Inline(params) = &payload.model else {
            return Err(Error::<T>::ModelMustBeInline.into());
        };
        ensure!(
            Some(params.len() as u32) == record.spec.param_count(),
            Error::<T>::WrongParameterCount
        );
        let hash = content_hash(params);
        ensure!(
            seal(&hash, &payload.salt, trainer) == submission.commitment,
            Error::<T>::RevealDoesNotMatchCommit
        );
        Ok(hash)
    }

    pub(crate) fn do_reveal_model(
        trainer: &T::AccountId,
        payload: &ModelReveal<T::Public>,
    ) -> DispatchResult {
        let hash = Self::check_reveal_model(trainer, payload)?;
        Submissions::<T>::mutate(payload.task, trainer, |submission| {
            if let Some(s) = submission {
                s.model = Some(payload.model.clone());
                s.params_hash = Some(hash);
            }
        });
        Self::deposit_event(Event::ModelRevealed {
            task: payload.task,
            trainer: trainer.clone(),
            params_hash: hash,
        });
        Ok(())
    }

    pub(crate) fn do_publish_eval_data(
        who: &T::AccountId,
        task: TaskId,
        eval: EvalData,
        salt: [u8; 32],
    ) -> DispatchResult {
        let mut record = Self::running_task(task)?;
        ensure!(record.creator == *who, Error::<T>::NotCreator);
        Self::ensure_stage(
            &record,
            Stage::Reveal,
            Error::<T>::RevealNotOpen,
            Error::<T>::RevealClosed,
        )?;
        ensure!(record.eval_data.is_none(), Error::<T>::EvalDataAlreadyPublished);
        // Validators publish scores measured on the evaluation data: on a node's private
        // rows, those scores would leak them.
        ensure!(
            matches!(eval.dataset, DatasetRef::BuiltIn { .. }),
            Error::<T>::EvaluationDataMustBePublic
        );
        ensure!(
            opens(&record.spec.eval_commitment, &(&eval.dataset, &eval.content_hash), &salt, who),
            Error::<T>::EvalDataDoesNotMatchCommit
        );
        let EvalData { dataset, content_hash } = eval.clone();
        record.eval_data = Some(eval);
        Tasks::<T>::insert(task, record);
        Self::deposit_event(Event::EvalDataPublished { task, dataset, content_hash });
        Ok(())
    }

    // ----- committee scores -----

    fn committee_position(task: TaskId, validator: &T::AccountId) -> Option<usize> {
        Committee::<T>::get(task).iter().position(|m| m.validator == *validator)
    }

    /// Everything `commit_scores` checks, read-only; returns the member's position.
    pub(crate) fn check_commit_scores(
        validator: &T::AccountId,
        payload: &ScoreCommitment<T::Public>,
    ) -> Result<usize, DispatchError> {
        let record = Self::running_task(payload.task)?;
        Self::ensure_stage(
            &record,
            Stage::Scoring,
            Error::<T>::ScoringNotOpen,
            Error::<T>::ScoringClosed,
        )?;
        let position =
            Self::committee_position(payload.task, validator).ok_or(Error::<T>::NotInCommittee)?;
        let committee = Committee::<T>::get(payload.task);
        let member = committee.get(position).ok_or(Error::<T>::NotInCommittee)?;
        ensure!(member.commitment.is_none(), Error::<T>::ScoresAlreadyCommitted);
        Ok(position)
    }

    pub(crate) fn do_commit_scores(
        validator: &T::AccountId,
        payload: &ScoreCommitment<T::Public>,
    ) -> DispatchResult {
        let position = Self::check_commit_scores(validator, payload)?;
        Committee::<T>::mutate(payload.task, |committee| {
            if let Some(member) = committee.get_mut(position) {
                member.commitment = Some(payload.commitment);
            }
        });
        Self::deposit_event(Event::ScoresCommitted {
            task: payload.task,
            validator: validator.clone(),
        });
        Ok(())
    }

    /// Everything `reveal_scores` checks, read-only; returns the member's position.
    pub(crate) fn check_reveal_scores(
        validator: &T::AccountId,
        payload: &ScoreReveal<T::Public>,
    ) -> Result<usize, DispatchError> {
        let record = Self::running_task(payload.task)?;
        Self::ensure_stage(
            &record,
            Stage::ScoreReveal,
            Error::<T>::ScoreRevealNotOpen,
            Error::<T>::ScoreRevealClosed,
        )?;
        let position =
            Self::committee_position(payload.task, validator).ok_or(Error::<T>::NotInCommittee)?;
        let committee = Committee::<T>::get(payload.task);
        let member = committee.get(position).ok_or(Error::<T>::NotInCommittee)?;
        let commitment = member.commitment.ok_or(Error::<T>::NoScoreCommitment)?;
        ensure!(member.scores.is_none(), Error::<T>::ScoresAlreadyRevealed);
        // No scores at all is an abstention: the member's copy of the evaluation data does not
        // have the committed content hash.
        ensure!(
            payload.scores.is_empty()
                || payload.scores.len() == Entries::<T>::get(payload.task).len(),
            Error::<T>::WrongScoreCount
        );
        ensure!(
            seal(&payload.scores, &payload.salt, validator) == commitment,
            Error::<T>::ScoreRevealDoesNotMatchCommit
        );
        Ok(position)
    }

    pub(crate) fn do_reveal_scores(
        validator: &T::AccountId,
        payload: &ScoreReveal<T::Public>,
    ) -> DispatchResult {
        let position = Self::check_reveal_scores(validator, payload)?;
        Committee::<T>::mutate(payload.task, |committee| {
            if let Some(member) = committee.get_mut(position) {
                member.scores = Some(payload.scores.clone());
            }
        });
        Self::deposit_event(Event::ScoresRevealed {
            task: payload.task,
            validator: validator.clone(),
            scores: payload.scores.clone(),
        });
        Ok(())
    }

    // ----- phase changes -----

    /// `on_initialize`: emission, then the due phase changes of the running tasks.
    pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_idle();
        weight.saturating_accrue(Self::emission_tick(now));
        let mut heavy = 0u32;
        for task in DueTasks::<T>::take(now) {
            weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
            let Some(record) = Tasks::<T>::get(task) else { continue };
            // The stored phase is moved on once the block's stage has passed it.
            let passed = record.stage_at(now) > record.recorded_stage();
            match record.phase {
                Phase::Submission if passed => {
                    Tasks::<T>::mutate(task, |r| {
                        if let Some(r) = r {
                            r.phase = Phase::Reveal;
                        }
                    });
                    weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
                },
                Phase::Reveal if passed && heavy < MAX_TRANSITIONS_PER_BLOCK => {
                    heavy = heavy.saturating_add(1);
                    weight.saturating_accrue(Self::close_reveals(task, record));
                },
                Phase::Scoring if passed => {
                    Tasks::<T>::mutate(task, |r| {
                        if let Some(r) = r {
                            r.phase = Phase::ScoreReveal;
                        }
                    });
                    weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
                },
                Phase::ScoreReveal if passed && heavy < MAX_TRANSITIONS_PER_BLOCK => {
                    heavy = heavy.saturating_add(1);
                    weight.saturating_accrue(Self::finalise(task, record));
                },
                _ => {},
            }
            // Queued again at its next stage change (an ended task is not), at the earliest in
            // the next block: a task left waiting (randomness, the block's budget of heavy
            // changes) is looked at again then.
            if let Some(due) = Tasks::<T>::get(task).as_ref().and_then(Task::next_due) {
                Self::schedule(task, due::requeue_at(due, now));
            }
        }
        weight
    }

    /// Queues `task` for block `at` (or the first later block with room).
    pub(crate) fn schedule(task: TaskId, at: BlockNumberFor<T>) {
        let queued = due::schedule(at, |block| {
            DueTasks::<T>::mutate(block, |queue| {
                queue.contains(&task) || queue.try_push(task).is_ok()
            })
        });
        if queued.is_none() {
            // Each queue holds every running task, so one of them always has room.
            frame_support::defensive!("a running task could not be queued");
        }
    }

    /// Closes the reveal phase: checks the evaluation data, builds the entries (dropping
    /// duplicates) and draws the committee.
    pub(crate) fn close_reveals(task: TaskId, mut record: TaskOf<T>) -> Weight {
        let fallback = T::WeightInfo::close_reveals(MAX_SUBMISSIONS, MAX_COMMITTEE);
        if record.eval_data.is_none() {
            Self::cancel(task, record, CancelReason::EvalDataNotPublished);
            return fallback;
        }
        // A seed nobody could know before `fixed_before`; the draw reads stake as it stood
        // then (security review §10). Without a seed yet, wait for the next block.
        let (random, fixed_before) =
            T::Randomness::random(&(b"starling/arena/committee", task).encode());
        let Some(random) = random else { return T::DbWeight::get().reads(2) };

        // Entries: revealed submissions in commitment order; an identical model earns only
        // for the earliest commitment.
        let mut revealed: Vec<(T::AccountId, Submission<BlockNumberFor<T>>)> =
            Submissions::<T>::iter_prefix(task).filter(|(_, s)| s.params_hash.is_some()).collect();
        revealed.sort_by_key(|(_, s)| s.order);
        let mut entries: BoundedVec<Entry<T::AccountId>, ConstU32<MAX_SUBMISSIONS>> =
            BoundedVec::new();
        for (trainer, submission) in revealed {
            let Some(hash) = submission.params_hash else { continue };
            if let Some(original) = entries.iter().find(|e| e.params_hash == hash) {
                Self::deposit_event(Event::DuplicateModel {
                    task,
                    trainer,
                    original: original.trainer.clone(),
                });
                continue;
            }
            let _ =
                entries.try_push(Entry { trainer, params_hash: hash, weight: submission.weight });
        }
        if entries.is_empty() {
            Self::cancel(task, record, CancelReason::NoSubmissions);
            return fallback;
        }

        // The committee: stake-weighted, without replacement, never one of the task's trainers
        // nor a validator tied to one by a delegation.
        let seed: [u8; 32] = sp_io::hashing::blake2_256(&(random, task).encode());
        let trainers: Vec<T::AccountId> = entries.iter().map(|e| e.trainer.clone()).collect();
        let (committee, link_checks) =
            Self::draw_committee(task, seed, fixed_before, &trainers, record.score_reveal_end);
        if committee.is_empty() {
            Self::cancel(task, record, CancelReason::NoCommittee);
            return fallback;
        }
        let members: BoundedVec<T::AccountId, ConstU32<MAX_COMMITTEE>> =
            BoundedVec::truncate_from(committee.iter().map(|m| m.validator.clone()).collect());
        let count = entries.len() as u32;
        let weight = T::WeightInfo::close_reveals(count, committee.len() as u32)
            .saturating_add(T::Staking::engage_weight().saturating_mul(committee.len() as u64))
            .saturating_add(T::Staking::stake_in_weight().saturating_mul(link_checks));
        Entries::<T>::insert(task, entries);
        Committee::<T>::insert(task, committee);
        record.phase = Phase::Scoring;
        Tasks::<T>::insert(task, record);
        Self::deposit_event(Event::CommitteeDrawn { task, committee: members, entries: count });
        weight
    }

    /// Draws up to `committee_size` validators by stake-weighted sampling without replacement
    /// from `seed` (stake as it stood before `fixed_before`, see `sample_weighted`), skipping the task's trainers and every validator tied to one of
    /// `trainers` by a delegation (it delegates to the trainer, or the trainer delegates to it:
    /// one operator's two accounts, as far as the chain can know; security review §11), and
    /// binds their stake (and commission) until `until`. Returns the committee and the number
    /// of delegation lookups made.
    pub(crate) fn draw_committee(
        task: TaskId,
        seed: [u8; 32],
        fixed_before: BlockNumberFor<T>,
        trainers: &[T::AccountId],
        until: BlockNumberFor<T>,
    ) -> (BoundedVec<Member<T::AccountId>, ConstU32<MAX_COMMITTEE>>, u64) {
        let size = Parameters::<T>::get().committee_size.min(MAX_COMMITTEE);
        // Draw extra names in case some of them are trainers of this task or tied to one.
        let wanted = size.saturating_add(trainers.len() as u32);
        let mut committee = BoundedVec::new();
        let mut lookups = 0u64;
        for (validator, weight) in
            T::Staking::sample_weighted(Role::Validator, wanted, seed, fixed_before)
        {
            if committee.len() as u32 >= size {
                break;
            }
            if Submissions::<T>::contains_key(task, &validator) {
                continue;
            }
            lookups = lookups.saturating_add(2u64.saturating_mul(trainers.len() as u64));
            let tied = trainers.iter().any(|trainer| {
                T::Staking::has_stake_in(&validator, trainer, Role::TrainingNode)
                    || T::Staking::has_stake_in(trainer, &validator, Role::Validator)
            });
            if tied {
                Self::deposit_event(Event::TiedValidatorSkipped { task, validator });
                continue;
            }
            // The seat binds the member's stake until the task ends (security review §7).
            if T::Staking::engage(&validator, Role::Validator, until).is_err() {
                continue;
            }
            let _ =
                committee.try_push(Member { validator, weight, commitment: None, scores: None });
        }
        (committee, lookups)
    }

    /// Ends a task without a result: returns the bounty, returns or forfeits the deposit,
    /// removes its per-submission storage.
    pub(crate) fn cancel(task: TaskId, mut record: TaskOf<T>, reason: CancelReason) {
        // A task cancelled outside its turn in the queue (by its creator) leaves the queue it
        // waits in, so that no queue ever holds more than the running tasks.
        if let Some(due) = record.next_due() {
            DueTasks::<T>::mutate_exists(due, |queue| {
                if let Some(waiting) = queue {
                    waiting.retain(|t| *t != task);
                    if waiting.is_empty() {
                        *queue = None;
                    }
                }
            });
        }
        T::Currency::release(
            &HoldReason::Bounty.into(),
            &record.creator,
            record.bounty,
            Precision::BestEffort,
        )
        .defensive_unwrap_or_default();
        if matches!(reason, CancelReason::EvalDataNotPublished | CancelReason::EvalDataDisputed) {
            let forfeited = T::Currency::transfer_on_hold(
                &HoldReason::Deposit.into(),
                &record.creator,
                &T::Treasury::get(),
                record.deposit,
                Precision::BestEffort,
                Restriction::Free,
                Fortitude::Force,
            )
            .defensive_unwrap_or_default();
            Self::deposit_event(Event::DepositForfeited { task, amount: forfeited });
        } else {
            T::Currency::release(
                &HoldReason::Deposit.into(),
                &record.creator,
                record.deposit,
                Precision::BestEffort,
            )
            .defensive_unwrap_or_default();
        }
        record.phase = Phase::Cancelled(reason);
        record.emission = Zero::zero();
        Tasks::<T>::insert(task, record);
        Self::end(task);
        Self::deposit_event(Event::TaskCancelled { task, reason });
    }

    /// Removes an ended task from the running set and deletes its per-submission storage
    /// (at most [`MAX_SUBMISSIONS`] keys).
    pub(crate) fn end(task: TaskId) {
        ActiveTasks::<T>::mutate(|active| active.retain(|t| *t != task));
        let _ = Submissions::<T>::clear_prefix(task, MAX_SUBMISSIONS, None);
        Entries::<T>::remove(task);
        Committee::<T>::remove(task);
    }

    /// Moves the bounty from the creator's hold to the payout account, by force: a lock or
    /// freeze on the creator's account (a conviction vote over its whole balance, say) cannot
    /// keep a committed bounty from the trainers and validators. Returns what moved: the whole
    /// bounty, or less only if the hold was reduced by other means (reported as an event).
    pub(crate) fn collect_bounty(task: TaskId, record: &TaskOf<T>) -> BalanceOf<T> {
        let moved = T::Currency::transfer_on_hold(
            &HoldReason::Bounty.into(),
            &record.creator,
            &Self::payout_account(),
            record.bounty,
            Precision::BestEffort,
            Restriction::Free,
            Fortitude::Force,
        );
        match moved {
            Ok(moved) if moved == record.bounty => moved,
            Ok(moved) => {
                Self::deposit_event(Event::BountyShort { task, expected: record.bounty, moved });
                moved
            },
            Err(error) => {
                Self::deposit_event(Event::BountyShort {
                    task,
                    expected: record.bounty,
                    moved: Zero::zero(),
                });
                log::error!(target: "starling::arena", "task {task}: bounty not collected: {error:?}");
                Zero::zero()
            },
        }
    }

    /// The revealed model of a trainer in a running task (for off-chain workers and dApps).
    pub fn revealed_params(task: TaskId, trainer: &T::AccountId) -> Option<Params> {
        match Submissions::<T>::get(task, trainer)?.model? {
            ModelData::Inline(params) => Some(params),
            ModelData::Uri { .. } => None, // refused at reveal
        }
    }

    /// The band around a consensus score inside which a revealed score agrees with it,
    /// under the current parameters.
    pub fn deviation_band(consensus: i64) -> u128 {
        let params = Parameters::<T>::get();
        math::band(consensus, params.deviation_tolerance, params.deviation_floor)
    }
}

/// Storage version 1 → 2: queues every running task at its next stage change (before, every
/// block scanned all running tasks). Returns the weight used.
pub fn migrate_to_due_queue<T: Config>() -> Weight {
    if Pallet::<T>::on_chain_storage_version() >= 2 {
        return T::DbWeight::get().reads(1);
    }
    let now = frame_system::Pallet::<T>::block_number();
    let due_of = |task| Tasks::<T>::get(task).as_ref().and_then(Task::next_due);
    let looked = due::queue_running(&ActiveTasks::<T>::get(), now, due_of, Pallet::<T>::schedule);
    StorageVersion::new(2).put::<Pallet<T>>();
    due::migration_weight(T::DbWeight::get(), looked)
}
