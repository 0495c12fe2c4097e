//! Worker calls: the payloads participants' nodes sign, and their validation.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))` with its worker key
//! (`starling_support::worker_call::message`); the genesis hash names the chain, so a payload signed on one network
//! (a testnet, say) is refused on every other where the same key is registered. Each payload is
//! a [`WorkerCall`](starling_support::worker_call::WorkerCall) that the shared path in `starling_support::worker_call` validates and
//! dispatches.

use crate::{
    pallet::*,
    stage::{Stage, Staged},
    AllianceId, Ballots,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::DispatchError;
use scale_info::TypeInfo;
use sp_core::H256;
use starling_ml_interface::Params;
use starling_support::worker_call::WorkerPallet;

/// Domain separator of every signature a worker makes for the alliance.
pub const SIGNING_CONTEXT: &[u8] = b"starling/alliance/v1";

/// Which worker call a signature is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum CallKind {
    /// [`crate::Pallet::commit_update`].
    CommitUpdate,
    /// [`crate::Pallet::reveal_update`].
    RevealUpdate,
    /// [`crate::Pallet::commit_ballots`].
    CommitBallots,
    /// [`crate::Pallet::reveal_ballots`].
    RevealBallots,
}

/// A proposer's sealed update.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct UpdateCommitment<Public> {
    /// The worker key.
    pub worker: Public,
    /// The alliance.
    pub alliance: AllianceId,
    /// The round.
    pub round: u32,
    /// `blake2_256(SCALE((params, samples, salt, proposer)))`.
    pub commitment: H256,
}

/// A proposer's revealed update.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct UpdateReveal<Public> {
    /// The worker key.
    pub worker: Public,
    /// The alliance.
    pub alliance: AllianceId,
    /// The round.
    pub round: u32,
    /// The updated parameters.
    pub params: Params,
    /// Rows trained on (capped by the alliance when aggregating).
    pub samples: u32,
    /// The commitment's salt.
    pub salt: [u8; 32],
}

/// A voter's sealed ballots.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct BallotCommitment<Public> {
    /// The worker key.
    pub worker: Public,
    /// The alliance.
    pub alliance: AllianceId,
    /// The round.
    pub round: u32,
    /// `starling_support::commit_reveal::seal(&ballots, salt, voter)`.
    pub commitment: H256,
}

/// A voter's revealed ballots.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct BallotReveal<Public, AccountId> {
    /// The worker key.
    pub worker: Public,
    /// The alliance.
    pub alliance: AllianceId,
    /// The round.
    pub round: u32,
    /// One ballot per judged update, as committed.
    pub ballots: Ballots<AccountId>,
    /// The commitment's salt.
    pub salt: [u8; 32],
}

impl<T: Config> WorkerPallet<T> for Pallet<T> {
    const SIGNING_CONTEXT: &'static [u8] = SIGNING_CONTEXT;
    const TAG_PREFIX: &'static str = "StarlingAlliance";
    type Kind = CallKind;
    type AuthorityId = T::AuthorityId;
    type Staking = T::Staking;
    fn bad_signature() -> DispatchError {
        Error::<T>::BadWorkerSignature.into()
    }
}

starling_support::worker_calls! {
    UpdateCommitment<T::Public> => {
        kind: CallKind::CommitUpdate,
        tag: (AllianceId, u32) = |p| (p.alliance, p.round),
        valid_until: |p| Alliances::<T>::get(p.alliance)?.closes(Stage::Propose),
        check: |operator, p| Pallet::<T>::check_commit_update(operator, p),
        apply: |operator, p| Pallet::<T>::do_commit_update(operator, p),
    };
    UpdateReveal<T::Public> => {
        kind: CallKind::RevealUpdate,
        tag: (AllianceId, u32) = |p| (p.alliance, p.round),
        valid_until: |p| Alliances::<T>::get(p.alliance)?.closes(Stage::RevealUpdates),
        check: |operator, p| Pallet::<T>::check_reveal_update(operator, p),
        apply: |operator, p| Pallet::<T>::do_reveal_update(operator, p),
    };
    BallotCommitment<T::Public> => {
        kind: CallKind::CommitBallots,
        tag: (AllianceId, u32) = |p| (p.alliance, p.round),
        valid_until: |p| Alliances::<T>::get(p.alliance)?.closes(Stage::Vote),
        check: |operator, p| Pallet::<T>::check_commit_ballots(operator, p),
        apply: |operator, p| Pallet::<T>::do_commit_ballots(operator, p),
    };
    BallotReveal<T::Public, T::AccountId> => {
        kind: CallKind::RevealBallots,
        tag: (AllianceId, u32) = |p| (p.alliance, p.round),
        valid_until: |p| Alliances::<T>::get(p.alliance)?.closes(Stage::RevealBallots),
        check: |operator, p| Pallet::<T>::check_reveal_ballots(operator, p),
        apply: |operator, p| Pallet::<T>::do_reveal_ballots(operator, p),
    };
}
