//! Data types of the arena: tasks, submissions, committees, results and the governance
//! parameters.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;
use starling_ml_interface::{DatasetRef, LabelKind, Metric, ModelFamily, Schema};
pub use starling_primitives::{
    emission::{EmissionParams, EmissionState},
    models::{ModelData, Uri, MAX_URI_LEN},
};

/// Identifier of a task.
pub type TaskId = u32;

/// Most submissions a task may accept.
pub const MAX_SUBMISSIONS: u32 = 32;

/// Largest validator committee.
pub const MAX_COMMITTEE: u32 = 16;

/// Most features a task's schema may declare.
pub const MAX_FEATURES: u32 = 256;

/// One score per scored submission, in the task's entry order, scaled by
/// [`starling_ml_interface::SCORE_SCALE`].
pub type Scores = BoundedVec<i64, ConstU32<MAX_SUBMISSIONS>>;

/// The public training data of a task.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct TrainingData {
    /// What workers train on: a dataset every node has (a built-in dataset, or a local copy of
    /// a published one).
    pub dataset: DatasetRef,
    /// Content hash of the published data, for those who fetch it from `uri`.
    pub content_hash: H256,
    /// Where the data is published (may be empty for built-in datasets).
    pub uri: Uri,
}

/// What a task creator specifies.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct TaskSpec<BlockNumber> {
    /// Model family every submission must use.
    pub family: ModelFamily,
    /// Shape of the data.
    pub schema: Schema,
    /// How validators score submissions.
    pub metric: Metric,
    /// The public training data.
    pub training_data: TrainingData,
    /// `blake2_256(SCALE(((evaluation dataset, its content hash), salt, creator)))`
    /// (`starling_support::commit_reveal::seal`): the held-out evaluation data, sealed by the
    /// task's creator until submissions close.
    pub eval_commitment: H256,
    /// Length of the submission window, in blocks.
    pub submission_window: BlockNumber,
    /// Most submissions the task accepts (at most [`MAX_SUBMISSIONS`]).
    pub max_submissions: u32,
}

impl<BlockNumber> TaskSpec<BlockNumber> {
    /// Number of parameters a model of this task has, if family and schema agree.
    pub fn param_count(&self) -> Option<u32> {
        param_count(self.family, self.schema)
    }
}

/// Number of parameters of `family` on `schema`, or `None` when they do not fit together.
pub fn param_count(family: ModelFamily, schema: Schema) -> Option<u32> {
    family.param_count(schema)
}

/// Whether `metric` applies to labels of kind `label`.
pub fn metric_fits(metric: Metric, label: LabelKind) -> bool {
    metric.fits(label)
}

/// Where a task is in its lifecycle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Phase {
    /// Trainers commit sealed models.
    Submission,
    /// Trainers reveal their models; the creator publishes the evaluation data.
    Reveal,
    /// The committee evaluates every submission and commits its scores.
    Scoring,
    /// The committee reveals its scores.
    ScoreReveal,
    /// Consensus computed, rewards paid; the result is stored.
    Finalised,
    /// The task ended without a result.
    Cancelled(CancelReason),
}

/// Why a task ended without a result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum CancelReason {
    /// The creator withdrew the task before anyone submitted.
    ByCreator,
    /// The creator did not publish the evaluation data in time (the deposit is forfeited).
    EvalDataNotPublished,
    /// No trainer revealed a valid model.
    NoSubmissions,
    /// No validator could be drawn for the committee.
    NoCommittee,
    /// No committee member revealed scores.
    NoScores,
    /// Committee members holding at least half of the answering weight found that the
    /// published evaluation data does not have the committed content hash (the deposit is
    /// forfeited).
    EvalDataDisputed,
    /// The members that agreed with the consensus held less than ⅔ of the scoring weight,
    /// counted both by stake and with each member capped at a third: no supermajority says
    /// which scores are right, so nobody is paid or slashed for them (security review §11).
    NoSupermajority,
}

/// Where a task's held-out evaluation data is, and what it must contain.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct EvalData {
    /// The rows' location.
    pub dataset: DatasetRef,
    /// Their content hash (see `starling_ml_interface::DATASET_HASH_DOMAIN`): committee
    /// workers refuse rows that hash differently.
    pub content_hash: H256,
}

/// A task.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Task<AccountId, Balance, BlockNumber> {
    /// Who created it; holds the bounty and the deposit until the end.
    pub creator: AccountId,
    /// What the creator specified.
    pub spec: TaskSpec<BlockNumber>,
    /// Bounty, held on the creator's account.
    pub bounty: Balance,
    /// Storage deposit, held on the creator's account.
    pub deposit: Balance,
    /// Block of creation.
    pub created_at: BlockNumber,
    /// First block after the submission window.
    pub submission_end: BlockNumber,
    /// First block after the model-reveal (and evaluation-data) window.
    pub reveal_end: BlockNumber,
    /// First block after the score-commit window.
    pub scoring_end: BlockNumber,
    /// First block after the score-reveal window.
    pub score_reveal_end: BlockNumber,
    /// Current phase.
    pub phase: Phase,
    /// Whether governance verified the task (verified tasks share the emission).
    pub verified: bool,
    /// The evaluation data, once published and checked against `spec.eval_commitment`.
    pub eval_data: Option<EvalData>,
    /// Commitments made so far (replacements included); orders submissions.
    pub commitments: u32,
    /// Live submissions.
    pub submissions: u32,
    /// Sum of the submitting trainers' weights, taken when they committed.
    pub trainer_weight: u128,
    /// Emission accrued to this task so far (minted only when it is paid).
    pub emission: Balance,
}

/// A trainer's submission to a task.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Submission<BlockNumber> {
    /// `blake2_256(SCALE((params_hash, salt, trainer)))`.
    pub commitment: H256,
    /// The trainer's own sequence number for this task (replay protection).
    pub seq: u32,
    /// Position among the task's commitments; the earlier of two identical models wins.
    pub order: u32,
    /// When it was (last) committed.
    pub committed_at: BlockNumber,
    /// The trainer's weight when it committed.
    pub weight: u128,
    /// The revealed model.
    pub model: Option<ModelData>,
    /// Hash of the revealed parameters.
    pub params_hash: Option<H256>,
}

/// A submission that the committee scores.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Entry<AccountId> {
    /// The trainer (operator) who submitted it.
    pub trainer: AccountId,
    /// Hash of its parameters.
    pub params_hash: H256,
    /// The trainer's weight at commitment.
    pub weight: u128,
}

/// A committee member and its score commitment and reveal.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Member<AccountId> {
    /// The validator (operator).
    pub validator: AccountId,
    /// Its weight when drawn.
    pub weight: u128,
    /// `blake2_256(SCALE((scores, salt, validator)))`.
    pub commitment: Option<H256>,
    /// The revealed scores.
    pub scores: Option<Scores>,
}

/// How a committee member came out of a task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Verdict {
    /// Scores within tolerance of consensus: rewarded by stake × agreement.
    Agreed {
        /// Agreement with consensus.
        agreement: Perbill,
    },
    /// Scores too far from a consensus that a supermajority agreed with: slashed.
    Deviated,
    /// Committed nothing or did not reveal: slashed.
    Silent,
    /// Revealed no scores because its copy of the evaluation data does not match the content
    /// hash, while most of the committee scored it: slashed at the silent rate (had most
    /// abstained, the task would have been cancelled as disputed, without slashing).
    Abstained,
}

/// A ranked submission in a task's result.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Ranked<AccountId, Balance> {
    /// The trainer.
    pub trainer: AccountId,
    /// Its consensus score (stake-weighted median of the revealed scores).
    pub score: i64,
    /// Hash of its parameters.
    pub params_hash: H256,
    /// What it earned (before the staking pool's commission split).
    pub reward: Balance,
}

/// A committee member in a task's result.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Judged<AccountId, Balance> {
    /// The validator.
    pub validator: AccountId,
    /// Its verdict.
    pub verdict: Verdict,
    /// What it earned.
    pub reward: Balance,
    /// What it lost to a slash.
    pub slashed: Balance,
}

/// The outcome of a finalised task; stays queryable.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct TaskResult<AccountId, Balance, BlockNumber> {
    /// Submissions, best first.
    pub ranking: BoundedVec<Ranked<AccountId, Balance>, ConstU32<MAX_SUBMISSIONS>>,
    /// The committee's verdicts.
    pub committee: BoundedVec<Judged<AccountId, Balance>, ConstU32<MAX_COMMITTEE>>,
    /// Reward pool: bounty plus emission.
    pub pool: Balance,
    /// Part of the pool for trainers.
    pub trainers_pool: Balance,
    /// Part of the pool for validators.
    pub validators_pool: Balance,
    /// Rounding remainder and unpayable rewards, sent to the treasury.
    pub to_treasury: Balance,
    /// Block of finalisation.
    pub finalised_at: BlockNumber,
}

/// The arena's governance parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ArenaParams<Balance, BlockNumber> {
    /// Validators drawn per task (1 ..= [`MAX_COMMITTEE`]).
    pub committee_size: u32,
    /// Shortest submission window a creator may choose.
    pub min_submission_window: BlockNumber,
    /// Longest submission window a creator may choose.
    pub max_submission_window: BlockNumber,
    /// Model-reveal (and evaluation-data publication) window.
    pub reveal_window: BlockNumber,
    /// Score-commit window.
    pub scoring_window: BlockNumber,
    /// Score-reveal window.
    pub score_reveal_window: BlockNumber,
    /// Smallest bounty.
    pub min_bounty: Balance,
    /// Storage deposit per task (forfeited if the evaluation data is not published).
    pub task_deposit: Balance,
    /// FLock's γ: the least share of the pool each side (trainers, validators) gets.
    pub gamma: Perbill,
    /// Ratio of the geometric series over rank: rank `k` earns `ratio^k` relative shares.
    pub rank_ratio: Perbill,
    /// A revealed score deviates when it is further from consensus than
    /// `tolerance · |consensus| + tolerance_floor`.
    pub deviation_tolerance: Perbill,
    /// Absolute part of the deviation band, in score units.
    pub deviation_floor: u64,
    /// Slash of a committee member that did not reveal.
    pub silent_slash: Perbill,
    /// Slash of a committee member whose scores deviate.
    pub deviation_slash: Perbill,
    /// Emission settings.
    pub emission: EmissionParams<Balance, BlockNumber>,
}
