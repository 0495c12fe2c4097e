//! Data types stored by the staking pallet and shared with the pallets that consume it.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::U256;
use sp_runtime::Perbill;

pub use starling_primitives::{Role, SlashReason};

/// Minimum stakes for one role, set by governance.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
    frame_support::Serialize,
    frame_support::Deserialize
)]
#[serde(crate = "frame_support::__private::serde")]
pub struct RoleMinimums<Balance> {
    /// The least own stake an operator needs to be active in the role.
    pub operator: Balance,
    /// The least stake a delegator may keep in one pool.
    pub delegation: Balance,
}

/// A time lock on an operator's own stake (FLock's gmFLOCK).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct TimeLock<BlockNumber> {
    /// The lock ends at (and includes no block from) this block on.
    pub until: BlockNumber,
    /// The committed lock length in days; it sets the multiplier while the lock is in force.
    pub days: u32,
}

/// What the pallet knows about an operator of one role.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct OperatorInfo<BlockNumber> {
    /// Commission σ: the operator's share of each reward before the pool splits the rest.
    pub commission: Perbill,
    /// When the commission was last changed (none since bonding if `None`).
    pub commission_changed_at: Option<BlockNumber>,
    /// Commission changes are refused before this block (set by other pallets around payouts).
    pub commission_frozen_until: BlockNumber,
    /// The time lock on the operator's own stake, if any.
    pub lock: Option<TimeLock<BlockNumber>>,
    /// The operator's slot in the role's sampling tree.
    pub slot: u32,
}

/// The bonded (active) part of a delegation pool.
///
/// `points` are shares: a member owning `p` points owns `p / points` of `active`. Slashes cut
/// `active` (every member loses the same fraction at once); rewards raise `reward_per_point`.
#[derive(Clone, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Pool<Balance> {
    /// Total shares of active members.
    pub points: u128,
    /// Value of the active stake after slashes.
    pub active: Balance,
    /// Reward per point ever paid to the pool, scaled by [`crate::pool::REWARD_SCALE`].
    pub reward_per_point: U256,
}

/// Stake of one pool that started unbonding in one era. Kept apart from the active pool so
/// that a slash reaches it only for offences committed before it left.
#[derive(Clone, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct UnbondingPool<Balance, BlockNumber> {
    /// Total shares of the members' chunks in this era.
    pub points: u128,
    /// Value of those chunks after slashes.
    pub balance: Balance,
    /// The chunks can be withdrawn from this block on.
    pub unlock_at: BlockNumber,
}

/// One member's unbonding chunk: its shares of the era's unbonding pool.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct UnbondingChunk {
    /// Era in which the chunk started unbonding.
    pub era: u32,
    /// Shares of that era's unbonding pool.
    pub points: u128,
}

/// One account's position in one pool (the operator's own stake is a position too).
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound)]
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct Member<Balance: Clone + PartialEq + Eq + core::fmt::Debug, MaxChunks: Get<u32>> {
    /// Shares of the pool's active stake.
    pub points: u128,
    /// The pool's `reward_per_point` when rewards were last settled for this member.
    pub reward_per_point_paid: U256,
    /// Rewards settled but not yet claimed.
    pub pending_rewards: Balance,
    /// What this position holds in the member's account. It exceeds the position's value by
    /// the slashes not yet paid to the treasury.
    pub held: Balance,
    /// Chunks on their way out.
    pub unbonding: BoundedVec<UnbondingChunk, MaxChunks>,
    /// The pool's slash count when this member's slash debt was last settled.
    pub slashes_seen: u32,
}
