//! # Starling FL Alliance
//!
//! Federated learning on private data: organisations that never share their data train one
//! model together, and the chain decides — in runtime logic — whose updates count, how they
//! are combined, who is paid and who is slashed.
//!
//! ## Terms
//!
//! * **Alliance** — a federated training job: model family and schema, where participants'
//!   data is (each one's own local dataset, or shards of a built-in dataset for demos), an
//!   initial global model, a number of rounds, windows, an aggregation rule and a reward
//!   pool held from the creator.
//! * **Participant** — an operator staked for the `FlParticipant` role who [`Pallet::join`]ed.
//!   Its node's off-chain worker does the work; its data never leaves the node.
//! * **Round** — each round the chain draws **proposers** (a governance-free fraction set by
//!   the creator, at least one) by stake-weighted sampling without replacement, seeded from
//!   BABE randomness; the other participants are **voters**.
//! * **Update** — a proposer's parameters after training from the current global model on its
//!   own data, sealed first (`blake2_256(SCALE((params, samples, salt, proposer)))`), revealed
//!   after the commit window with the number of rows it claims to have trained on.
//! * **Ballot** — a voter's approve/reject of one update, decided by the loss change it
//!   measured on its own rows (held out from the update, which its proposer trained on other
//!   data). Only the approval bit is published; the loss change stays on the voter's node. A
//!   voter's ballots are sealed in the vote window and revealed after it, so nobody votes
//!   knowing how the others voted.
//!
//! ## Lifecycle
//!
//! 1. [`Pallet::create_alliance`] holds the reward pool; participants [`Pallet::join`] during
//!    the join window (and may [`Pallet::leave`] while they hold no role in a running round).
//! 2. At the end of the join window the alliance starts if at least `min_participants` joined
//!    (else it is cancelled and the pool returned). Each round: roles are drawn; proposers
//!    [`Pallet::commit_update`] in the commit window and [`Pallet::reveal_update`] in the
//!    reveal window; voters judge every revealed update, [`Pallet::commit_ballots`] in the
//!    vote window and [`Pallet::reveal_ballots`] in the reveal window after it.
//! 3. Round close (in `on_initialize`, at the end of the ballot reveals; the rule is in
//!    [`tally`]): an update is **accepted** when the voters approving it hold at least two
//!    thirds of the weight of those who judged it, **voted down** when those rejecting it do,
//!    and otherwise (a split vote, or nobody judged it) **left out** without blame. The new
//!    global model aggregates the accepted updates with the alliance's rule ([`aggregation`]:
//!    capped sample-weighted FedAvg, coordinate-wise median or trimmed mean); under FedAvg a
//!    judged update that was not accepted counts as "no change" (the current model with its
//!    claimed samples), so
//!    a round the voters vouch little for moves the model little. No accepted update: the
//!    round is rolled back and the model stays.
//! 4. The round's reward (the pool left divided by the rounds left, plus the same part of
//!    the alliance's emission credit — see [`emission`]) goes through staking, so
//!    delegators share it. Each share is moved out of the creator's hold by force (a lock or
//!    freeze on the creator, e.g. a conviction vote over its whole balance, cannot stop it)
//!    into the pallet's payout account ([`Pallet::payout_account`]) and paid from there; a
//!    share staking refuses (the payee stopped being an operator) goes back into the hold and
//!    is reported with [`Event::RewardNotPaid`]. The round's reward goes `proposer_share` to
//!    accepted proposers and the rest to voters who agreed with every decision they judged,
//!    each pro rata to weight. Proposers voted down or silent, and voters with a ballot
//!    against a decision, are slashed at governance-set rates; a left-out update's proposer
//!    and ballots on it are neither paid nor slashed, nor is a voter that revealed nothing.
//!    Unpaid remainders stay in the pool; after the last round the rest returns to the
//!    creator.
//! 5. Every round's model and outcome stay in [`History`]; after the last round the
//!    alliance's final model and its [`Contributions`] (accepted updates per participant) are
//!    what the marketplace registers, and the per-round storage is removed.
//!
//! Worker calls are authorized transactions signed by the participant's worker key over the
//! chain's genesis hash (see [`worker`]): no fee, no funds needed on the key, validated before
//! they reach a block.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod aggregation;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod emission;
#[cfg(test)]
mod mock;
pub mod offchain;
pub mod rounds;
pub mod stage;
pub mod tally;
#[cfg(test)]
mod tests;
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

// The FRAME macros expand to code that uses `expect` on values they construct themselves, and
// spell out the authorize closures' argument tuples in full.
#[allow(clippy::expect_used, clippy::type_complexity)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use crate::types::Alliance;
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
    use starling_primitives::{
        models::ModelRegistry, staking::StakingInterface, Role, SlashReason,
    };
    use starling_support::worker_call;

    /// Balance type of [`Config::Currency`].
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
    /// An alliance of this runtime.
    pub type AllianceOf<T> =
        Alliance<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
    /// The governance parameters of this runtime.
    pub type AllianceParamsOf<T> = AllianceParams<BalanceOf<T>, BlockNumberFor<T>>;

    /// The in-code storage version (1: running alliances are queued in `DueAlliances`; 2:
    /// ballots are sealed, alliances record their `ballot_end`).
    pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config:
        frame_system::Config + CreateAuthorizedTransaction<Call<Self>> + SigningTypes
    {
        /// Holds reward pools.
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reason.
        type RuntimeHoldReason: From<HoldReason>;
        /// Stake, rewards, slashes and worker keys.
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
        /// May set the alliance's parameters (the protocol-parameters track).
        type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Receives what cannot be paid.
        type Treasury: Get<Self::AccountId>;
        /// Names the payout account through which rounds' rewards move from the creator's
        /// hold to the participants' staking pools ([`Pallet::payout_account`]).
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Most alliances running at once.
        #[pallet::constant]
        type MaxActiveAlliances: Get<u32>;
        /// Parameters until governance sets them.
        type DefaultParams: Get<AllianceParamsOf<Self>>;
        /// The worker key's crypto.
        type AuthorityId: AppCrypto<Self::Public, Self::Signature>;
        /// Takes every finished alliance's final model (the marketplace).
        type Models: ModelRegistry<Self::AccountId>;
        /// Weights.
        type WeightInfo: WeightInfo;
        /// Sets up operators and randomness for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
    }

    /// Why the alliance holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An alliance's reward pool.
        RewardPool,
    }

    /// Identifier of the next alliance.
    #[pallet::storage]
    pub type NextAllianceId<T> = StorageValue<_, AllianceId, ValueQuery>;

    /// Every alliance.
    #[pallet::storage]
    pub type Alliances<T: Config> = StorageMap<_, Twox64Concat, AllianceId, AllianceOf<T>>;

    /// Alliances that have not ended.
    #[pallet::storage]
    pub type ActiveAlliances<T: Config> =
        StorageValue<_, BoundedVec<AllianceId, T::MaxActiveAlliances>, ValueQuery>;

    /// The running alliances whose stage changes in a block, by block: `on_initialize` looks
    /// only at these (see `starling_support::due`).
    #[pallet::storage]
    pub type DueAlliances<T: Config> = StorageMap<
        _,
        Twox64Concat,
        BlockNumberFor<T>,
        BoundedVec<AllianceId, T::MaxActiveAlliances>,
        ValueQuery,
    >;

    /// The roles drawn for the current round.
    #[pallet::storage]
    pub type Roles<T: Config> = StorageMap<_, Twox64Concat, AllianceId, RoundRoles<T::AccountId>>;

    /// Updates of the current round, by proposer.
    #[pallet::storage]
    pub type Updates<T: Config> =
        StorageDoubleMap<_, Twox64Concat, AllianceId, Blake2_128Concat, T::AccountId, UpdateRecord>;

    /// Sealed ballots of the current round, by voter: the commitment
    /// `starling_support::commit_reveal::seal(&ballots, salt, voter)`.
    #[pallet::storage]
    pub type SealedBallots<T: Config> =
        StorageDoubleMap<_, Twox64Concat, AllianceId, Blake2_128Concat, T::AccountId, H256>;

    /// Revealed ballots of the current round, by voter.
    #[pallet::storage]
    pub type Votes<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        AllianceId,
        Blake2_128Concat,
        T::AccountId,
        Ballots<T::AccountId>,
    >;

    /// The model and outcome of every finished round: (alliance, round).
    #[pallet::storage]
    pub type History<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        AllianceId,
        Twox64Concat,
        u32,
        RoundRecord<T::AccountId, BalanceOf<T>>,
    >;

    /// Accepted updates per participant: the contributors of the final model and their
    /// shares.
    #[pallet::storage]
    pub type Contributions<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        AllianceId,
        Blake2_128Concat,
        T::AccountId,
        u32,
        ValueQuery,
    >;

    /// Governance parameters.
    #[pallet::storage]
    pub type Parameters<T: Config> =
        StorageValue<_, AllianceParamsOf<T>, ValueQuery, T::DefaultParams>;

    /// Events of the alliance. Every field is documented.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// An alliance was created; its reward pool is held.
        AllianceCreated {
            /// The alliance.
            alliance: AllianceId,
            /// Who created it.
            creator: T::AccountId,
            /// What was paid out of the pool.
            pool: BalanceOf<T>,
            /// The last block of the join window.
            join_end: BlockNumberFor<T>,
        },
        /// A participant joined.
        Joined {
            /// The alliance.
            alliance: AllianceId,
            /// The participant (an FL-participant operator).
            participant: T::AccountId,
        },
        /// A participant left.
        Left {
            /// The alliance.
            alliance: AllianceId,
            /// The participant (an FL-participant operator).
            participant: T::AccountId,
        },
        /// Too few participants joined; the pool was returned.
        AllianceCancelled {
            /// The alliance.
            alliance: AllianceId,
        },
        /// A round started with these proposers and voters.
        RoundStarted {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// The proposers drawn.
            proposers: Accounts<T::AccountId>,
            /// The voters drawn.
            voters: Accounts<T::AccountId>,
        },
        /// A proposer committed a sealed update.
        UpdateCommitted {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// The proposer.
            proposer: T::AccountId,
        },
        /// A proposer revealed its update.
        UpdateRevealed {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// The proposer.
            proposer: T::AccountId,
            /// Rows the update was trained on.
            samples: u32,
        },
        /// A voter committed its sealed ballots.
        BallotsCommitted {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// The voter.
            voter: T::AccountId,
        },
        /// A voter revealed its ballots (they are in [`Votes`]).
        BallotsRevealed {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// The voter.
            voter: T::AccountId,
            /// How many updates it judged.
            ballots: u32,
        },
        /// A round closed.
        RoundClosed {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// Updates accepted.
            accepted: u32,
            /// Proposers rejected (slashed): updates two thirds of the judging weight voted
            /// down, and proposers that revealed nothing.
            rejected: u32,
            /// Revealed updates left out without blame: a split vote, or nobody judged them.
            left_out: u32,
            /// Whether the global model was rolled back.
            rolled_back: bool,
        },
        /// Emission was credited to an alliance in its rounds.
        EmissionAccrued {
            /// The alliance.
            alliance: AllianceId,
            /// Emission credited.
            amount: BalanceOf<T>,
        },
        /// Part of an alliance's emission credit was minted to pay a round.
        EmissionMinted {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// Emission minted.
            amount: BalanceOf<T>,
        },
        /// A participant was paid for a round: an accepted proposer or a majority voter.
        Rewarded {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// Who was paid (its staking pool shares it with its delegators).
            operator: T::AccountId,
            /// The role it was paid in (`FlParticipant`).
            role: Role,
            /// What was paid.
            amount: BalanceOf<T>,
        },
        /// A participant's share of a round's reward could not be paid; it stays in the
        /// creator's reward-pool hold (for later rounds, or returned to the creator at the end).
        RewardNotPaid {
            /// The alliance.
            alliance: AllianceId,
            /// The round whose reward this share was part of.
            round: u32,
            /// Who was to be paid.
            participant: T::AccountId,
            /// The share that stays in the pool.
            amount: BalanceOf<T>,
            /// Why it could not be paid (e.g. staking's `NotAnOperator` when the participant
            /// left staking during the round).
            error: DispatchError,
        },
        /// This round's part of an alliance's emission credit could not be minted into the
        /// creator's reward-pool hold; it stays credited (nothing was minted).
        EmissionNotMinted {
            /// The alliance.
            alliance: AllianceId,
            /// The round that was to pay it.
            round: u32,
            /// The part of the credit that stays credited.
            amount: BalanceOf<T>,
            /// Why it could not be minted or held.
            error: DispatchError,
        },
        /// A participant was slashed: a rejected or silent proposer, or a minority voter.
        Slashed {
            /// The alliance.
            alliance: AllianceId,
            /// The round.
            round: u32,
            /// Who was slashed (its delegators share the slash).
            operator: T::AccountId,
            /// The role it was slashed in (`FlParticipant`).
            role: Role,
            /// Why: `UpdateRejected` (a proposer) or `MinorityVote` (a voter).
            reason: SlashReason,
            /// What was slashed.
            amount: BalanceOf<T>,
        },
        /// The last round closed; the final model is in the history.
        AllianceFinished {
            /// The alliance.
            alliance: AllianceId,
            /// How many rounds ran.
            rounds: u32,
            /// What was returned to the creator.
            returned: BalanceOf<T>,
        },
        /// Governance set new parameters.
        ParamsSet {
            /// The new parameters.
            params: AllianceParamsOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No alliance has this id.
        AllianceNotFound,
        /// As many alliances are running as the chain allows.
        TooManyAlliances,
        /// The reward pool is below the governance minimum.
        RewardTooLow,
        /// A window is outside the governance bounds.
        WindowOutOfBounds,
        /// A round (propose and vote windows, and a reveal window after each) would outlast
        /// what staking can keep slashable (`StakingInterface::max_engagement`).
        RoundTooLong,
        /// Rounds must be between 1 and the arena's limit.
        InvalidRounds,
        /// Participant bounds are inconsistent (min 0, min above max, or max above the limit).
        InvalidParticipantBounds,
        /// The proposer fraction is zero.
        InvalidProposerFraction,
        /// The model family does not fit the schema.
        FamilyDoesNotFitSchema,
        /// A parameter vector (the initial model, or a revealed update) does not have the
        /// family's number of parameters for the schema.
        WrongParameterCount,
        /// The creator cannot hold the reward pool.
        InsufficientFunds,
        /// The join window is closed.
        JoinWindowClosed,
        /// The account is already a participant.
        AlreadyMember,
        /// The alliance has as many participants as it accepts.
        AllianceFull,
        /// The account is not an active FL participant in staking.
        NotAnFlParticipant,
        /// The account is not a participant of this alliance.
        NotAMember,
        /// The participant holds a role in the running round.
        InRound,
        /// The alliance has ended.
        AllianceEnded,
        /// The payload is for another round.
        WrongRound,
        /// The signer's operator is not a proposer of this round.
        NotAProposer,
        /// The commit window is closed (or the round has not started).
        CommitWindowClosed,
        /// The proposer already committed an update this round.
        DuplicateUpdate,
        /// The reveal window (of updates, or of ballots) has not opened.
        RevealNotOpen,
        /// The reveal window (of updates, or of ballots) is closed.
        RevealClosed,
        /// The signer committed nothing this round (no update, or no ballots).
        NoCommitment,
        /// The signer already revealed (its update, or its ballots).
        AlreadyRevealed,
        /// The revealed update or ballots do not open the commitment.
        RevealDoesNotMatchCommit,
        /// The signer's operator is not a voter of this round.
        NotAVoter,
        /// The vote window has not opened.
        VoteNotOpen,
        /// The vote window is closed.
        VoteClosed,
        /// The voter already committed its ballots this round.
        AlreadyVoted,
        /// A ballot is about a proposer with no revealed update.
        UnknownUpdate,
        /// Two ballots are about the same update.
        DuplicateBallot,
        /// The worker's signature is invalid.
        BadWorkerSignature,
        /// Parameters are inconsistent.
        InvalidParams,
        /// Every alliance id has been used: the id counter would wrap and overwrite the first
        /// alliance.
        AllianceIdsExhausted,
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
            Pallet::<T>::ensure_payout_account();
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::on_block(now)
        }

        fn on_runtime_upgrade() -> Weight {
            crate::rounds::migrate::<T>()
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
        /// Creates an alliance and holds `reward` from the caller.
        ///
        /// Emits `AllianceCreated`. Errors: `AllianceIdsExhausted`, `TooManyAlliances`,
        /// `RewardTooLow`, `WindowOutOfBounds`, `RoundTooLong`, `InvalidRounds`,
        /// `InvalidParticipantBounds`,
        /// `InvalidProposerFraction`, `FamilyDoesNotFitSchema`, `WrongParameterCount`,
        /// `InsufficientFunds`.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::create_alliance())]
        pub fn create_alliance(
            origin: OriginFor<T>,
            spec: AllianceSpec<BlockNumberFor<T>>,
            reward: BalanceOf<T>,
        ) -> DispatchResult {
            let creator = ensure_signed(origin)?;
            Self::do_create(creator, spec, reward).map(|_| ())
        }

        /// An FL participant joins during the join window.
        ///
        /// Emits `Joined`. Errors: `AllianceNotFound`, `AllianceEnded`, `JoinWindowClosed`,
        /// `NotAnFlParticipant`, `AlreadyMember`, `AllianceFull`.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::join())]
        pub fn join(origin: OriginFor<T>, alliance: AllianceId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_join(&who, alliance)
        }

        /// A participant leaves (not while it is a proposer or voter of the running round).
        ///
        /// Emits `Left`. Errors: `AllianceNotFound`, `AllianceEnded`, `NotAMember`, `InRound`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::leave())]
        pub fn leave(origin: OriginFor<T>, alliance: AllianceId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_leave(&who, alliance)
        }

        /// A proposer's worker commits a sealed update (authorized, fee-free).
        ///
        /// Emits `UpdateCommitted`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `AllianceNotFound`, `AllianceEnded`, `WrongRound`, `CommitWindowClosed`,
        /// `NotAProposer`, `DuplicateUpdate`.
        #[pallet::call_index(3)]
        #[pallet::weight((T::WeightInfo::commit_update(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn commit_update(
            origin: OriginFor<T>,
            payload: worker::UpdateCommitment<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A proposer's worker reveals its update and claimed sample count.
        ///
        /// Emits `UpdateRevealed`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `AllianceNotFound`, `AllianceEnded`, `WrongRound`, `RevealNotOpen`, `RevealClosed`,
        /// `NoCommitment`, `AlreadyRevealed`, `WrongParameterCount`, `RevealDoesNotMatchCommit`.
        #[pallet::call_index(4)]
        #[pallet::weight((T::WeightInfo::reveal_update(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn reveal_update(
            origin: OriginFor<T>,
            payload: worker::UpdateReveal<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A voter's worker commits its sealed ballots on the revealed updates in the vote
        /// window (authorized, fee-free): nobody sees a ballot before the vote window closes.
        ///
        /// Emits `BallotsCommitted`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `AllianceNotFound`, `AllianceEnded`, `WrongRound`, `VoteNotOpen`, `VoteClosed`,
        /// `NotAVoter`, `AlreadyVoted`.
        #[pallet::call_index(5)]
        #[pallet::weight((T::WeightInfo::commit_ballots(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn commit_ballots(
            origin: OriginFor<T>,
            payload: worker::BallotCommitment<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A voter's worker reveals its ballots and salt after the vote window.
        ///
        /// Emits `BallotsRevealed`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `AllianceNotFound`, `AllianceEnded`, `WrongRound`, `RevealNotOpen`, `RevealClosed`,
        /// `NoCommitment`, `AlreadyRevealed`, `RevealDoesNotMatchCommit`, `UnknownUpdate`,
        /// `DuplicateBallot`.
        #[pallet::call_index(7)]
        #[pallet::weight((T::WeightInfo::reveal_ballots(payload.ballots.len() as u32), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_worker_call())]
        pub fn reveal_ballots(
            origin: OriginFor<T>,
            payload: worker::BallotReveal<T::Public, T::AccountId>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// Sets the alliance parameters.
        ///
        /// Emits `ParamsSet`. Errors: `BadOrigin`, `InvalidParams`.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: AllianceParamsOf<T>) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_set_params(params)
        }
    }
}
