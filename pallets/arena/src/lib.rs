//! # Starling AI Arena
//!
//! Public machine-learning competitions whose every protocol decision — who judges, what the
//! consensus score is, who is paid and who is slashed — is runtime logic.
//!
//! ## Terms
//!
//! * **Task** — a competition: a model family and data schema, public training data, a metric,
//!   a bounty and a sealed evaluation set. Created by anyone with [`Pallet::create_task`].
//! * **Trainer** — an operator staked for the `TrainingNode` role in the staking pallet. Its
//!   node's off-chain worker trains on the public data and submits a **sealed** model.
//! * **Submission** — first a *commitment* `blake2_256(SCALE((params_hash, salt, trainer)))`,
//!   later the model itself (inline parameters or a URI), checked against the commitment.
//! * **Committee** — validators (operators staked for the `Validator` role) drawn for a task
//!   by stake-weighted sampling without replacement, seeded from BABE randomness of a block
//!   produced after every commitment was sealed. A task's own trainers are never drawn.
//! * **Entry** — a revealed, non-duplicate submission; the committee scores the entries in
//!   order of commitment.
//! * **Consensus score** — per entry, the stake-weighted median of the revealed scores.
//! * **Worker calls** — trainers' and validators' nodes sign with a worker key registered in
//!   the staking pallet. Their calls ([`Pallet::commit_model`], [`Pallet::reveal_model`],
//!   [`Pallet::commit_scores`], [`Pallet::reveal_scores`]) carry the worker's signature over
//!   the payload and are *authorized* transactions (`#[pallet::authorize]`): they pay no fee
//!   and need no funds on the worker key; validation refuses an unknown or rate-limited
//!   worker, a bad signature and anything the call itself would refuse.
//!
//! ## Lifecycle
//!
//! A task created at block `c` moves through windows whose lengths are the creator's
//! submission window and the governance-set reveal, scoring and score-reveal windows:
//!
//! 1. **Submission** `[c, submission_end)`: trainers commit (one live commitment each,
//!    replaceable with a higher sequence number). Their weight is recorded and their
//!    commission frozen until the task ends. Nobody can copy a model they have not seen.
//! 2. **Reveal** `[submission_end, reveal_end)`: trainers reveal their models; the creator
//!    publishes the evaluation data and its content hash with [`Pallet::publish_eval_data`],
//!    which must match the commitment made at creation (trainers could not fit to it).
//! 3. At `reveal_end` the chain closes the reveals: without published evaluation data the
//!    task is cancelled and the creator's deposit goes to the treasury; identical models earn
//!    only for the earliest commitment; without entries the task is cancelled. Otherwise the
//!    **committee** is drawn from the parent block's BABE VRF output.
//! 4. **Scoring** `[reveal_end, scoring_end)`: committee workers evaluate every entry on the
//!    evaluation data and commit `blake2_256(SCALE((scores, salt, validator)))`. The engine
//!    refuses rows whose content hash is not the published one; such a member abstains (it
//!    commits to, and reveals, no scores).
//! 5. **Score reveal** `[scoring_end, score_reveal_end)`: they reveal. A reveal that does not
//!    match its commitment or comes late is refused with its own error.
//! 6. At `score_reveal_end`, **finalisation**: consensus per entry, ranking (ties by
//!    commitment order), verdicts (agreed / deviated / silent / abstained), slashes, rewards.
//!    If abstainers hold at least half of the weight that answered, the task is cancelled as
//!    disputed instead: the creator's deposit goes to the treasury, the bounty back, and only
//!    silent members are slashed. The pool
//!    `R = bounty + emission` splits as `R_trainers = R·(γ + (1 − 2γ)·T/(T + S))`,
//!    `R_validators = R − R_trainers` (`T`, `S`: trainer and committee weight); trainers are
//!    paid by a geometric series over rank, agreeing validators by weight × agreement. Every
//!    payment goes through the staking pallet so that delegators share it; rounding dust and
//!    unpayable rewards go to the treasury, so value is conserved to the unit.
//!    The task's per-submission storage is removed; the [`TaskResult`] stays.
//!
//! Phase changes happen in `on_initialize`, at most [`MAX_TRANSITIONS_PER_BLOCK`] heavy ones
//! per block (the others wait a block; the windows stay closed meanwhile).
//!
//! ## Emission
//!
//! The arena keeps the emission schedule (`starling_primitives::emission`: one split across
//! its recipients). Every period it credits `per_period × arena_share` to the verified tasks
//! still running, pro rata to their trainer weight (this pallet's `EmissionRecipient`), and
//! hands the rest of `per_period` to [`Config::AllianceEmission`] (the FL alliances). The credit is minted only when the task
//! pays out (a cancelled task's credit is never minted). `per_period` falls by `decay` every
//! `decay_every` periods. All of it is governance-set ([`Pallet::set_params`]).
//!
//! ## Governance
//!
//! [`Config::VerifyOrigin`] (the task-verification track) verifies tasks;
//! [`Config::AdminOrigin`] (the protocol-parameters track) sets [`ArenaParams`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod emission;
pub mod finalise;
pub mod lifecycle;
pub mod math;
#[cfg(test)]
mod mock;
pub mod offchain;
pub mod outcome;
pub mod runtime_api;
pub mod stage;
#[cfg(test)]
mod tests;
pub mod try_state;
pub mod types;
pub mod weights;
pub mod worker;

pub use types::*;
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime besides this pallet.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Balance> {
    /// Makes the randomness source return a value in the current block.
    fn prepare_randomness();
}

/// Most heavy phase changes (closing reveals, finalising, cancelling) per block.
pub const MAX_TRANSITIONS_PER_BLOCK: u32 = 2;

// The FRAME macros expand to code that uses `expect` on values they construct themselves;
// the lint cannot be scoped to the expansion. This module only declares the pallet and holds
// one-line call wrappers: the logic lives in the domain modules, where every lint applies.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use crate::types::{Member, Task};
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, InspectHold, Mutate, MutateHold},
            Randomness,
        },
        PalletId,
    };
    use frame_system::{
        offchain::{AppCrypto, CreateAuthorizedTransaction, SigningTypes},
        pallet_prelude::*,
    };
    use sp_core::H256;
    use starling_ml_interface::DatasetRef;
    use starling_primitives::{
        emission::EmissionRecipient, models::ModelRegistry, staking::StakingInterface, Role,
        SlashReason,
    };
    use starling_support::worker_call;

    /// Balance type of [`Config::Currency`].
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
    /// A task of this runtime.
    pub type TaskOf<T> =
        Task<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
    /// A task result of this runtime.
    pub type TaskResultOf<T> =
        TaskResult<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
    /// The governance parameters of this runtime.
    pub type ArenaParamsOf<T> = ArenaParams<BalanceOf<T>, BlockNumberFor<T>>;

    const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config:
        frame_system::Config + CreateAuthorizedTransaction<Call<Self>> + SigningTypes
    {
        /// Holds bounties and deposits; mints emission.
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reason.
        type RuntimeHoldReason: From<HoldReason>;
        /// Stake, rewards, slashes, sampling and worker keys.
        type Staking: StakingInterface<
            Self::AccountId,
            Balance = BalanceOf<Self>,
            BlockNumber = BlockNumberFor<Self>,
        >;
        /// The seed of draws, and the first block whose state it may depend on or reveal
        /// (`None` while there is no seed yet). The draw reads stake as it stood before that
        /// block (security review §10); the runtime uses BABE's randomness from one epoch ago
        /// with the block the previous epoch began at.
        type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
        /// May verify tasks (the task-verification track).
        type VerifyOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// May set the arena's parameters (the protocol-parameters track).
        type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Receives forfeited deposits, rounding dust and unpayable rewards.
        type Treasury: Get<Self::AccountId>;
        /// Identifier of the arena's payout account.
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Most tasks running at once.
        #[pallet::constant]
        type MaxActiveTasks: Get<u32>;
        /// Parameters until governance sets them.
        type DefaultParams: Get<ArenaParamsOf<Self>>;
        /// The worker key's crypto (the app key type off-chain workers sign with).
        type AuthorityId: AppCrypto<Self::Public, Self::Signature>;
        /// Takes every finalised task's winning model (the marketplace).
        type Models: ModelRegistry<Self::AccountId>;
        /// Receives the alliances' share of every emission period (the alliance pallet).
        type AllianceEmission: EmissionRecipient<BalanceOf<Self>>;
        /// Benchmarked weights.
        type WeightInfo: WeightInfo;
        /// Sets up operators and randomness for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
    }

    /// Why the arena holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A task's bounty.
        Bounty,
        /// A task's storage deposit.
        Deposit,
    }

    /// Identifier of the next task.
    #[pallet::storage]
    pub type NextTaskId<T> = StorageValue<_, TaskId, ValueQuery>;

    /// Every task, running or ended.
    #[pallet::storage]
    pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskOf<T>>;

    /// Tasks that have not ended, in order of creation.
    #[pallet::storage]
    pub type ActiveTasks<T: Config> =
        StorageValue<_, BoundedVec<TaskId, T::MaxActiveTasks>, ValueQuery>;

    /// The running tasks whose stage changes in a block, by block: `on_initialize` looks only
    /// at these (see `starling_support::due`).
    #[pallet::storage]
    pub type DueTasks<T: Config> = StorageMap<
        _,
        Twox64Concat,
        BlockNumberFor<T>,
        BoundedVec<TaskId, T::MaxActiveTasks>,
        ValueQuery,
    >;

    /// Submissions of a running task, by trainer.
    #[pallet::storage]
    pub type Submissions<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        TaskId,
        Blake2_128Concat,
        T::AccountId,
        Submission<BlockNumberFor<T>>,
    >;

    /// The entries the committee scores, in commitment order.
    #[pallet::storage]
    pub type Entries<T: Config> = StorageMap<
        _,
        Twox64Concat,
        TaskId,
        BoundedVec<Entry<T::AccountId>, ConstU32<MAX_SUBMISSIONS>>,
        ValueQuery,
    >;

    /// The committee of a running task.
    #[pallet::storage]
    pub type Committee<T: Config> = StorageMap<
        _,
        Twox64Concat,
        TaskId,
        BoundedVec<Member<T::AccountId>, ConstU32<MAX_COMMITTEE>>,
        ValueQuery,
    >;

    /// Results of finalised tasks.
    #[pallet::storage]
    pub type Results<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskResultOf<T>>;

    /// Governance parameters.
    #[pallet::storage]
    pub type Parameters<T: Config> =
        StorageValue<_, ArenaParamsOf<T>, ValueQuery, T::DefaultParams>;

    /// Emission bookkeeping.
    #[pallet::storage]
    pub type Emission<T: Config> = StorageValue<_, EmissionState<BalanceOf<T>>, ValueQuery>;

    /// Events of the arena. Every field is documented.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A task was created; its bounty and deposit are held.
        TaskCreated {
            /// The task.
            task: TaskId,
            /// Who created it.
            creator: T::AccountId,
            /// The bounty, held from the creator.
            bounty: BalanceOf<T>,
            /// The deposit, held from the creator.
            deposit: BalanceOf<T>,
            /// The last block of the submission window.
            submission_end: BlockNumberFor<T>,
        },
        /// Governance verified a task; it shares the emission.
        TaskVerified {
            /// The task.
            task: TaskId,
        },
        /// A task ended without a result; held funds were returned (or the deposit forfeited).
        TaskCancelled {
            /// The task.
            task: TaskId,
            /// Why the task ended without a result.
            reason: CancelReason,
        },
        /// A validator drawn for a task's committee was skipped because it is tied to one of
        /// the task's trainers by a delegation (security review §11).
        TiedValidatorSkipped {
            /// The task.
            task: TaskId,
            /// The validator skipped.
            validator: T::AccountId,
        },
        /// The creator's deposit went to the treasury.
        DepositForfeited {
            /// The task.
            task: TaskId,
            /// The deposit moved to the treasury.
            amount: BalanceOf<T>,
        },
        /// At finalisation, less than the committed bounty could be moved out of the
        /// creator's hold (the hold was reduced by other means); the pool is what moved.
        BountyShort {
            /// The task.
            task: TaskId,
            /// The bounty the task committed.
            expected: BalanceOf<T>,
            /// What could be moved to the payout account.
            moved: BalanceOf<T>,
        },
        /// A trainer committed (or replaced) a sealed model.
        ModelCommitted {
            /// The task.
            task: TaskId,
            /// The trainer (a training-node operator).
            trainer: T::AccountId,
            /// The sealed commitment.
            commitment: H256,
            /// The trainer's sequence number for this task.
            seq: u32,
        },
        /// A trainer revealed its model.
        ModelRevealed {
            /// The task.
            task: TaskId,
            /// The trainer (a training-node operator).
            trainer: T::AccountId,
            /// The hash of the revealed parameters.
            params_hash: H256,
        },
        /// A model identical to an earlier commitment's earns nothing.
        DuplicateModel {
            /// The task.
            task: TaskId,
            /// The trainer (a training-node operator).
            trainer: T::AccountId,
            /// The trainer who committed the same parameters first.
            original: T::AccountId,
        },
        /// The creator published the evaluation data and its content hash.
        EvalDataPublished {
            /// The task.
            task: TaskId,
            /// The evaluation dataset.
            dataset: DatasetRef,
            /// The content hash of the evaluation rows.
            content_hash: H256,
        },
        /// The committee was drawn; `entries` submissions are to be scored.
        CommitteeDrawn {
            /// The task.
            task: TaskId,
            /// The committee members drawn.
            committee: BoundedVec<T::AccountId, ConstU32<MAX_COMMITTEE>>,
            /// How many entries the committee scores.
            entries: u32,
        },
        /// A committee member committed its scores.
        ScoresCommitted {
            /// The task.
            task: TaskId,
            /// The validator (a validator operator).
            validator: T::AccountId,
        },
        /// A committee member revealed its scores.
        ScoresRevealed {
            /// The task.
            task: TaskId,
            /// The validator (a validator operator).
            validator: T::AccountId,
            /// The revealed scores, one per entry, in entry order.
            scores: Scores,
        },
        /// An operator was paid from a finalised task's pool: a trainer for its rank, a
        /// committee member for agreeing with consensus (rank, score and agreement are in the
        /// task's result).
        Rewarded {
            /// The task.
            task: TaskId,
            /// Who was paid (its staking pool shares it with its delegators).
            operator: T::AccountId,
            /// The role it was paid in: `TrainingNode` or `Validator`.
            role: Role,
            /// What was paid.
            amount: BalanceOf<T>,
        },
        /// A committee member was slashed: silent (no scores revealed) or deviating from
        /// consensus.
        Slashed {
            /// The task.
            task: TaskId,
            /// Who was slashed (its delegators share the slash).
            operator: T::AccountId,
            /// The role it was slashed in (`Validator`).
            role: Role,
            /// Why: `ValidatorSilent` or `ValidatorDeviation`.
            reason: SlashReason,
            /// What was slashed.
            amount: BalanceOf<T>,
        },
        /// A reward could not be paid (the operator left); it went to the treasury.
        RewardForfeited {
            /// The task.
            task: TaskId,
            /// The operator.
            operator: T::AccountId,
            /// The reward that went to the treasury.
            amount: BalanceOf<T>,
        },
        /// Emission credited to a verified task.
        EmissionAccrued {
            /// The task.
            task: TaskId,
            /// Emission credited.
            amount: BalanceOf<T>,
        },
        /// A task's emission credit was minted to pay it out.
        EmissionMinted {
            /// The task.
            task: TaskId,
            /// Emission minted.
            amount: BalanceOf<T>,
        },
        /// A task was finalised: `pool` paid out, `to_treasury` of it as dust or forfeits.
        TaskFinalised {
            /// The task.
            task: TaskId,
            /// The best-ranked trainer, if any.
            winner: Option<T::AccountId>,
            /// What was paid out of the pool.
            pool: BalanceOf<T>,
            /// The part that went to the treasury.
            to_treasury: BalanceOf<T>,
        },
        /// Governance set new parameters.
        ParamsSet {
            /// The new parameters.
            params: ArenaParamsOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No task has this id.
        TaskNotFound,
        /// As many tasks are running as the chain allows.
        TooManyActiveTasks,
        /// Every task id has been used: no task can be created any more.
        TaskIdsExhausted,
        /// The bounty is below the governance minimum.
        BountyTooLow,
        /// The submission window is outside the governance bounds.
        SubmissionWindowOutOfBounds,
        /// `max_submissions` is 0 or above the arena's limit.
        InvalidMaxSubmissions,
        /// The schema has no features or more than the arena allows.
        InvalidSchema,
        /// The model family does not fit the schema's label kind (or class count).
        FamilyDoesNotFitSchema,
        /// The metric does not fit the schema's label kind.
        MetricDoesNotFitSchema,
        /// Training data must be public: a node-local dataset cannot be a task's training data.
        PrivateTrainingData,
        /// The creator cannot hold the bounty and the deposit.
        InsufficientFunds,
        /// Only the task's creator may do this.
        NotCreator,
        /// The task already has submissions.
        TaskHasSubmissions,
        /// The task has ended.
        TaskEnded,
        /// The task is already verified.
        AlreadyVerified,
        /// The submission window is closed.
        SubmissionWindowClosed,
        /// The signer's operator is not an active training node.
        NotATrainer,
        /// The task has as many submissions as it accepts.
        TaskFull,
        /// The sequence number is not above the trainer's last one for this task.
        StaleSequence,
        /// The reveal window has not opened yet.
        RevealNotOpen,
        /// The reveal window is closed.
        RevealClosed,
        /// The trainer has no submission for this task.
        NoSubmission,
        /// The trainer already revealed its model.
        AlreadyRevealed,
        /// The revealed model does not hash to the commitment.
        RevealDoesNotMatchCommit,
        /// The parameter vector does not have the family's number of parameters for the task's
        /// schema.
        WrongParameterCount,
        /// The evaluation data was already published.
        EvalDataAlreadyPublished,
        /// Evaluation data must be a built-in (public) dataset: the committee publishes
        /// scores measured on it, which would leak a node's private rows.
        EvaluationDataMustBePublic,
        /// A model must be revealed with inline parameters, not by URI.
        ModelMustBeInline,
        /// The published evaluation data does not match the commitment made at creation.
        EvalDataDoesNotMatchCommit,
        /// The signer's operator is not on the task's committee.
        NotInCommittee,
        /// The score-commit window has not opened yet.
        ScoringNotOpen,
        /// The score-commit window is closed.
        ScoringClosed,
        /// The validator already committed scores.
        ScoresAlreadyCommitted,
        /// The score-reveal window has not opened yet.
        ScoreRevealNotOpen,
        /// The score-reveal window is closed: the reveal comes too late.
        ScoreRevealClosed,
        /// The validator committed no scores.
        NoScoreCommitment,
        /// The validator already revealed its scores.
        ScoresAlreadyRevealed,
        /// The revealed scores do not hash to the commitment.
        ScoreRevealDoesNotMatchCommit,
        /// One score per entry is required (or none, to abstain).
        WrongScoreCount,
        /// The worker's signature over the payload is invalid.
        BadWorkerSignature,
        /// Parameters are inconsistent (e.g. min window above max, committee size 0).
        InvalidParams,
        /// The scoring and score-reveal windows together outlast what staking can keep
        /// slashable (`StakingInterface::max_engagement`).
        ScoringTooLong,
    }

    /// Genesis: makes the payout account exist (it keeps the existential deposit for good, so
    /// that rewards paid from it never reap it).
    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// No settings.
        #[serde(skip)]
        pub _config: core::marker::PhantomData<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            let payout = Pallet::<T>::payout_account();
            let minimum = T::Currency::minimum_balance();
            if T::Currency::balance(&payout) < minimum {
                let _ = T::Currency::mint_into(&payout, minimum);
            }
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::on_block(now)
        }

        fn on_runtime_upgrade() -> Weight {
            crate::lifecycle::migrate_to_due_queue::<T>()
        }

        fn offchain_worker(now: BlockNumberFor<T>) {
            offchain::run::<T>(now);
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Creates a task and holds `bounty` plus the governance-set deposit on the caller's
        /// account.
        ///
        /// Emits `TaskCreated`. Errors: `TaskIdsExhausted`, `TooManyActiveTasks`, `BountyTooLow`,
        /// `SubmissionWindowOutOfBounds`, `InvalidMaxSubmissions`, `InvalidSchema`,
        /// `FamilyDoesNotFitSchema`, `MetricDoesNotFitSchema`, `PrivateTrainingData`,
        /// `InsufficientFunds`.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::create_task())]
        pub fn create_task(
            origin: OriginFor<T>,
            spec: TaskSpec<BlockNumberFor<T>>,
            bounty: BalanceOf<T>,
        ) -> DispatchResult {
            let creator = ensure_signed(origin)?;
            Self::do_create_task(creator, spec, bounty).map(|_| ())
        }

        /// The creator withdraws a task nobody has submitted to; bounty and deposit are
        /// released.
        ///
        /// Emits `TaskCancelled`. Errors: `TaskNotFound`, `NotCreator`, `TaskEnded`,
        /// `SubmissionWindowClosed`, `TaskHasSubmissions`.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::cancel_task())]
        pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_cancel_by_creator(&who, task)
        }

        /// Verifies a running task so that it shares the emission.
        ///
        /// Emits `TaskVerified`. Errors: `BadOrigin`, `TaskNotFound`, `TaskEnded`,
        /// `AlreadyVerified`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::verify_task())]
        pub fn verify_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
            T::VerifyOrigin::ensure_origin(origin)?;
            Self::do_verify(task)
        }

        /// A trainer's worker commits (or replaces) a sealed model. Authorized by the worker's
        /// signature; fee-free.
        ///
        /// Emits `ModelCommitted`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `WorkerRateLimited`, `TaskNotFound`, `TaskEnded`, `SubmissionWindowClosed`,
        /// `NotATrainer`, `TaskFull`, `StaleSequence`.
        #[pallet::call_index(3)]
        #[pallet::weight((T::WeightInfo::commit_model(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn commit_model(
            origin: OriginFor<T>,
            payload: worker::ModelCommitment<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A trainer's worker reveals its model after the submission window.
        ///
        /// Emits `ModelRevealed`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `WorkerRateLimited`, `TaskNotFound`, `TaskEnded`, `RevealNotOpen`, `RevealClosed`,
        /// `NoSubmission`, `AlreadyRevealed`, `ModelMustBeInline`, `WrongParameterCount`, `RevealDoesNotMatchCommit`.
        #[pallet::call_index(4)]
        #[pallet::weight((T::WeightInfo::reveal_model(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn reveal_model(
            origin: OriginFor<T>,
            payload: worker::ModelReveal<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// The creator publishes the evaluation data and its content hash after submissions
        /// close; they must match the commitment made at creation. Committee workers score
        /// only rows with that content hash.
        ///
        /// Emits `EvalDataPublished`. Errors: `TaskNotFound`, `NotCreator`, `TaskEnded`,
        /// `RevealNotOpen`, `RevealClosed`, `EvalDataAlreadyPublished`,
        /// `EvaluationDataMustBePublic`, `EvalDataDoesNotMatchCommit`.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::publish_eval_data())]
        pub fn publish_eval_data(
            origin: OriginFor<T>,
            task: TaskId,
            dataset: DatasetRef,
            content_hash: H256,
            salt: [u8; 32],
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_publish_eval_data(&who, task, EvalData { dataset, content_hash }, salt)
        }

        /// A committee member's worker commits the hash of its scores.
        ///
        /// Emits `ScoresCommitted`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `WorkerRateLimited`, `TaskNotFound`, `TaskEnded`, `ScoringNotOpen`, `ScoringClosed`,
        /// `NotInCommittee`, `ScoresAlreadyCommitted`.
        #[pallet::call_index(6)]
        #[pallet::weight((T::WeightInfo::commit_scores(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn commit_scores(
            origin: OriginFor<T>,
            payload: worker::ScoreCommitment<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A committee member's worker reveals its scores and salt.
        ///
        /// Emits `ScoresRevealed`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `WorkerRateLimited`, `TaskNotFound`, `TaskEnded`, `ScoreRevealNotOpen`,
        /// `ScoreRevealClosed`, `NotInCommittee`, `NoScoreCommitment`,
        /// `ScoresAlreadyRevealed`, `WrongScoreCount`, `ScoreRevealDoesNotMatchCommit`.
        #[pallet::call_index(7)]
        #[pallet::weight((T::WeightInfo::reveal_scores(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn reveal_scores(
            origin: OriginFor<T>,
            payload: worker::ScoreReveal<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// Sets the arena's parameters.
        ///
        /// Emits `ParamsSet`. Errors: `BadOrigin`, `InvalidParams`, `ScoringTooLong`.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ArenaParamsOf<T>) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_set_params(params)
        }
    }
}

impl<T: Config> Pallet<T> {
    /// Tasks that have not ended, in order of creation (runtime API).
    pub fn active_tasks() -> alloc::vec::Vec<TaskId> {
        ActiveTasks::<T>::get().into_inner()
    }

    /// The result of a finalised task (runtime API).
    pub fn task_result(task: TaskId) -> Option<TaskResultOf<T>> {
        Results::<T>::get(task)
    }
}
