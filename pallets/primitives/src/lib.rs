//! # Starling primitives: the vocabulary and arithmetic every Starling pallet shares
//!
//! No storage and no pallet: what staking, arena, alliance and marketplace all speak, written
//! once (as `sp-staking` serves nomination-pools).
//!
//! - [`Role`] and [`SlashReason`]: who takes part, and why a stake was cut.
//! - [`staking::StakingInterface`]: stake, rewards, slashes, sampling and worker keys, as the
//!   product pallets see the staking pallet (implemented by `pallet-starling-staking`).
//! - [`models::ModelRegistry`]: where an arena winner or an alliance's final model goes (the
//!   marketplace implements it).
//! - [`emission`]: the one emission schedule, its split between arena and alliances, and the
//!   [`emission::EmissionRecipient`] each of them implements.
//! - [`arith`]: the one `mul_div`, `distribute`, weighted median and weighted draw, each
//!   property-tested in this crate.
//! - [`genesis_hash`]: what every signed payload names so that it cannot be replayed on
//!   another chain.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod arith;
pub mod emission;
pub mod models;
pub mod staking;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;

/// The hash of this chain's genesis block (what `CheckGenesis` checks transactions against).
/// Everything a worker key signs includes it, so that a signature made for one chain is
/// refused on every other.
pub fn genesis_hash<T: frame_system::Config>() -> T::Hash {
    frame_system::Pallet::<T>::block_hash(frame_system::pallet_prelude::BlockNumberFor::<T>::zero())
}

/// The protocol role an operator bonds stake for (defined beside the ML interface's dataset
/// references, which name the role a job on private rows acts in).
pub use starling_ml_interface::Role;

/// Why a pool was slashed. Named in the `Slashed` event so that anyone can audit a slash.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo)]
pub enum SlashReason {
    /// A committee validator revealed no scores.
    ValidatorSilent,
    /// A validator's scores were too far from the stake-weighted consensus.
    ValidatorDeviation,
    /// A training node's submission was invalid (e.g. reveal did not match its commitment).
    InvalidSubmission,
    /// An FL proposer's update was rejected by the voters.
    UpdateRejected,
    /// An FL voter voted with the minority.
    MinorityVote,
    /// A model host failed the quality checks.
    HostMisbehaviour,
    /// Any other offence established by governance.
    Governance,
}
