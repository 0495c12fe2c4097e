//! OpenGov for Starling: referenda with conviction voting on three tracks.
//!
//! | track | id | origin it dispatches with | what it is for |
//! |---|---|---|---|
//! | `root` | 0 | `Root` | runtime upgrades and anything else |
//! | `protocol_parameters` | 1 | [`origins::ProtocolParameters`] | minimum stakes, slash rates, reward splits, emission |
//! | `task_verification` | 2 | [`origins::TaskVerification`] | verifying arena tasks for emission |
//!
//! Starling's pallets take [`ProtocolAdmin`] or [`TaskVerifier`] as their admin origins, so a
//! parameter changes only when a referendum on its track passes (or `Root` acts).

use super::*;
use frame_support::traits::EitherOf;

pub mod origins;
mod tracks;
pub use tracks::TracksInfo;

/// Root, or a passed referendum on the protocol-parameters track.
pub type ProtocolAdmin = EitherOf<EnsureRoot<AccountId>, origins::ProtocolParameters>;
/// Root, or a passed referendum on the task-verification track.
pub type TaskVerifier = EitherOf<EnsureRoot<AccountId>, origins::TaskVerification>;

parameter_types! {
    /// How long conviction-1 votes stay locked after a referendum ends; higher convictions
    /// multiply it.
    pub const VoteLockingPeriod: BlockNumber = tracks::periods::VOTE_LOCKING;
    /// Deposit to open a referendum.
    pub const SubmissionDeposit: Balance = 10 * STAR;
    /// A referendum that finds no decision deposit within this time is dropped.
    pub const UndecidingTimeout: BlockNumber = tracks::periods::UNDECIDING_TIMEOUT;
}

impl origins::pallet_custom_origins::Config for Runtime {}

impl pallet_conviction_voting::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type VoteLockingPeriod = VoteLockingPeriod;
    type MaxVotes = ConstU32<512>;
    type MaxTurnout =
        frame_support::traits::tokens::currency::ActiveIssuanceOf<Balances, Self::AccountId>;
    type Polls = Referenda;
    type BlockNumberProvider = System;
    type VotingHooks = ();
}

impl pallet_referenda::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
    type RuntimeCall = RuntimeCall;
    type Scheduler = Scheduler;
    type Currency = Balances;
    type SubmitOrigin = frame_system::EnsureSigned<AccountId>;
    type CancelOrigin = EnsureRoot<AccountId>;
    type KillOrigin = EnsureRoot<AccountId>;
    type Slash = ();
    type Votes = pallet_conviction_voting::VotesOf<Runtime>;
    type Tally = pallet_conviction_voting::TallyOf<Runtime>;
    type SubmissionDeposit = SubmissionDeposit;
    type MaxQueued = ConstU32<100>;
    type UndecidingTimeout = UndecidingTimeout;
    type AlarmInterval = ConstU32<1>;
    type Tracks = TracksInfo;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}
