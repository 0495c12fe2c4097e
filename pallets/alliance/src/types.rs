//! Data types of the alliance: alliances, rounds, updates, ballots, history, parameters.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, LocalDatasetId, Metric, ModelFamily, Params, Schema,
    Slice, Split,
};

/// Identifier of an alliance.
pub type AllianceId = u32;

/// Most participants of one alliance.
pub const MAX_PARTICIPANTS: u32 = 32;

/// Most rounds of one alliance.
pub const MAX_ROUNDS: u32 = 64;

/// Accounts of an alliance (members, proposers, voters, contributors).
pub type Accounts<AccountId> = BoundedVec<AccountId, ConstU32<MAX_PARTICIPANTS>>;

/// How accepted updates are combined into the next global model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Aggregation {
    /// Sample-weighted mean, claims capped at the alliance's sample cap.
    FedAvg,
    /// Coordinate-wise median.
    Median,
    /// Coordinate-wise trimmed mean dropping a fraction `beta` at each end.
    TrimmedMean {
        /// Fraction trimmed at each end.
        beta: Perbill,
    },
}

/// Where participants' private data is.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum AllianceData {
    /// Each participant's own dataset with this id in its node's `--ml-data` manifest; a
    /// fraction `test_permille` of its rows is withheld from its local training. Voters score
    /// updates on all of their rows: none of them trained the update being judged.
    Local {
        /// Dataset id in the manifests.
        id: LocalDatasetId,
        /// Held-out fraction, in thousandths.
        test_permille: u16,
    },
    /// Demonstrations: a built-in dataset split into shards, one per node (`--alliance-shard`).
    BuiltIn {
        /// The dataset.
        dataset: BuiltInDataset,
        /// Shuffle seed.
        seed: u64,
        /// Held-out fraction, in thousandths.
        test_permille: u16,
    },
}

impl AllianceData {
    /// Public held-out rows the final model's quality can be monitored on: the built-in
    /// dataset's test split; none for local data, which is private to the participants.
    pub fn public_eval(&self) -> Option<DatasetRef> {
        match *self {
            AllianceData::BuiltIn { dataset, seed, test_permille } => Some(DatasetRef::BuiltIn {
                dataset,
                slice: Slice {
                    seed,
                    split: Split::Test,
                    test_permille,
                    shard_index: 0,
                    shard_count: 1,
                },
            }),
            AllianceData::Local { .. } => None,
        }
    }
}

/// The loss an alliance's model is judged by — by voters on their rows, and in the marketplace
/// once it is registered: mean squared error for regression, log-loss for classification.
pub fn loss_metric(label: LabelKind) -> Metric {
    match label {
        LabelKind::Continuous => Metric::Mse,
        LabelKind::Classes(_) => Metric::LogLoss,
    }
}

/// What an alliance creator specifies.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct AllianceSpec<BlockNumber> {
    /// Model family.
    pub family: ModelFamily,
    /// Data schema.
    pub schema: Schema,
    /// Where participants' data is.
    pub data: AllianceData,
    /// The initial global model.
    pub initial_model: Params,
    /// Number of rounds.
    pub rounds: u32,
    /// Fraction of the participants drawn as proposers each round (at least one).
    pub proposer_fraction: Perbill,
    /// Blocks in which participants may join before the first round.
    pub join_window: BlockNumber,
    /// Blocks in which proposers commit their sealed updates.
    pub propose_window: BlockNumber,
    /// Blocks in which voters commit their sealed ballots (after the reveal window); the
    /// ballots are revealed in the governance-set reveal window that follows.
    pub vote_window: BlockNumber,
    /// Fewest participants for the alliance to start.
    pub min_participants: u32,
    /// Most participants.
    pub max_participants: u32,
    /// Aggregation rule.
    pub aggregation: Aggregation,
    /// Most samples a proposer may claim (FedAvg weight cap).
    pub sample_cap: u32,
    /// Strength of the proximal term that keeps local training near the global model, scaled
    /// by `PARAM_SCALE` (0: plain local training from the global model).
    pub proximal: u64,
    /// A voter approves an update whose loss on the voter's own rows is at most the global
    /// model's loss times `1 + approve_slack`.
    pub approve_slack: Perbill,
}

/// Where an alliance is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Phase {
    /// Participants join.
    Joining,
    /// A round runs: proposers commit, then reveal their updates; voters commit, then reveal
    /// their ballots.
    Round,
    /// Every round ran; the final model is ready.
    Finished,
    /// Too few participants joined; the reward pool was returned.
    Cancelled,
}

/// An alliance.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Alliance<AccountId, Balance, BlockNumber> {
    /// Creator; holds the reward pool until it is paid out.
    pub creator: AccountId,
    /// What the creator specified.
    pub spec: AllianceSpec<BlockNumber>,
    /// Reward pool still held (the creator's, plus emission minted for the current round).
    pub pool: Balance,
    /// Emission credited and not yet minted (see [`crate::emission`]).
    pub emission: Balance,
    /// Phase.
    pub phase: Phase,
    /// Participants, in order of joining.
    pub members: Accounts<AccountId>,
    /// Current round (1-based; 0 before the first).
    pub round: u32,
    /// The current global model.
    pub global: Params,
    /// End of the join window.
    pub join_end: BlockNumber,
    /// Current round: first block after its commit window.
    pub commit_end: BlockNumber,
    /// Current round: first block after its reveal window.
    pub reveal_end: BlockNumber,
    /// Current round: first block after its vote window (ballots committed).
    pub vote_end: BlockNumber,
    /// Current round: first block after its ballot-reveal window; the round closes then.
    pub ballot_end: BlockNumber,
}

/// The roles drawn for a round.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct RoundRoles<AccountId> {
    /// Proposers, each with its weight when drawn.
    pub proposers: BoundedVec<(AccountId, u128), ConstU32<MAX_PARTICIPANTS>>,
    /// Voters, each with its weight when drawn.
    pub voters: BoundedVec<(AccountId, u128), ConstU32<MAX_PARTICIPANTS>>,
}

/// A proposer's update in the current round.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct UpdateRecord {
    /// `blake2_256(SCALE((params, samples, salt, proposer)))`.
    pub commitment: H256,
    /// Revealed parameters.
    pub params: Option<Params>,
    /// Revealed sample count.
    pub samples: u32,
}

/// One voter's verdict on one update: the approval bit only. The loss change the voter
/// measured on its private rows stays on its node (publishing it would leak how
/// proposer-chosen parameters score on those rows). A voter's ballots are sealed first
/// (`starling_support::commit_reveal::seal(&ballots, salt, voter)`) and revealed after the
/// vote window, so that nobody votes knowing how the others voted.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Ballot<AccountId> {
    /// The proposer whose update this is about.
    pub proposer: AccountId,
    /// Whether the update keeps the global model's loss on the voter's rows within the slack.
    pub approve: bool,
}

/// A voter's ballots for a round, one per revealed update.
pub type Ballots<AccountId> = BoundedVec<Ballot<AccountId>, ConstU32<MAX_PARTICIPANTS>>;

/// What a round produced; kept as the alliance's history.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct RoundRecord<AccountId, Balance> {
    /// The global model after the round.
    pub model: Params,
    /// Proposers whose update was accepted.
    pub accepted: Accounts<AccountId>,
    /// Proposers whose update was rejected (or never revealed).
    pub rejected: Accounts<AccountId>,
    /// Whether no update was accepted and the model stayed.
    pub rolled_back: bool,
    /// Rewards paid this round.
    pub paid: Balance,
}

/// The alliance's governance parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct AllianceParams<Balance, BlockNumber> {
    /// Reveal window of every round.
    pub reveal_window: BlockNumber,
    /// Shortest join, propose and vote windows.
    pub min_window: BlockNumber,
    /// Longest join, propose and vote windows.
    pub max_window: BlockNumber,
    /// Smallest reward pool.
    pub min_reward: Balance,
    /// Share of a round's reward for accepted proposers (the rest for majority voters).
    pub proposer_share: Perbill,
    /// Slash of a proposer whose update at least two thirds of the judging weight rejected,
    /// or that never revealed its update.
    pub reject_slash: Perbill,
    /// Slash of a voter whose ballot went against a decision (at least two thirds of the
    /// judging weight the other way).
    pub minority_slash: Perbill,
}
