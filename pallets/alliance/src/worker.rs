//! Worker calls: the payloads participants' nodes sign, and their validation.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))` with its worker key
//! ([`signing_message`]); the genesis hash names the chain, so a payload signed on one network
//! (a testnet, say) is refused on every other where the same key is registered. The call is an
//! authorized (fee-free) transaction whose validation checks the signature, the worker's
//! registration and rate limit, and everything the call would check.

use crate::{pallet::*, AllianceId, Ballots};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::{
        DispatchError, DispatchResult, InvalidTransaction, TransactionValidityWithRefund,
        ValidTransaction,
    },
    weights::Weight,
};
use frame_system::offchain::AppCrypto;
use pallet_starling_staking::{traits::StakingInterface, workers::calls::invalid};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{IdentifyAccount, Saturating, UniqueSaturatedInto};
use starling_ml_interface::Params;

/// Domain separator of every signature a worker makes for the alliance.
pub const SIGNING_CONTEXT: &[u8] = b"starling/alliance/v1";

/// Which worker call a signature is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum CallKind {
    /// [`crate::Pallet::commit_update`].
    CommitUpdate,
    /// [`crate::Pallet::reveal_update`].
    RevealUpdate,
    /// [`crate::Pallet::vote`].
    Vote,
}

/// What every worker payload has.
pub trait WorkerPayload<Public>: Encode {
    /// The worker key that signed.
    fn worker(&self) -> &Public;
    /// The alliance.
    fn alliance(&self) -> AllianceId;
    /// The round.
    fn round(&self) -> u32;
}

/// A proposer's sealed update.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
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
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
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

/// A voter's ballots.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct VotePayload<Public, AccountId> {
    /// The worker key.
    pub worker: Public,
    /// The alliance.
    pub alliance: AllianceId,
    /// The round.
    pub round: u32,
    /// One ballot per revealed update.
    pub ballots: Ballots<AccountId>,
}

impl<P: Encode> WorkerPayload<P> for UpdateCommitment<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn alliance(&self) -> AllianceId {
        self.alliance
    }
    fn round(&self) -> u32 {
        self.round
    }
}

impl<P: Encode> WorkerPayload<P> for UpdateReveal<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn alliance(&self) -> AllianceId {
        self.alliance
    }
    fn round(&self) -> u32 {
        self.round
    }
}

impl<P: Encode, A: Encode> WorkerPayload<P> for VotePayload<P, A> {
    fn worker(&self) -> &P {
        &self.worker
    }
    fn alliance(&self) -> AllianceId {
        self.alliance
    }
    fn round(&self) -> u32 {
        self.round
    }
}

/// The bytes a worker signs for `payload` of call `kind` on the chain whose genesis hash is
/// `genesis_hash`: `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))`. The runtime passes
/// `pallet_starling_staking::workers::genesis_hash` (see [`Pallet::worker_message`]).
pub fn signing_message<Hash: Encode, P: Encode>(
    genesis_hash: &Hash,
    kind: CallKind,
    payload: &P,
) -> Vec<u8> {
    (SIGNING_CONTEXT, genesis_hash, kind, payload).encode()
}

/// The update commitment `blake2_256(SCALE((params, samples, salt, proposer)))`.
pub fn update_commitment<AccountId: Encode>(
    params: &Params,
    samples: u32,
    salt: &[u8; 32],
    proposer: &AccountId,
) -> H256 {
    H256(sp_io::hashing::blake2_256(&(params, samples, salt, proposer).encode()))
}

impl<T: Config> Pallet<T> {
    /// Validates a worker call: signature, worker registration and rate limit, then `check`
    /// with the worker's operator.
    pub(crate) fn authorize_worker<P: WorkerPayload<T::Public>>(
        payload: &P,
        signature: &T::Signature,
        kind: CallKind,
        check: impl FnOnce(&T::AccountId) -> DispatchResult,
    ) -> TransactionValidityWithRefund {
        if !Self::verify_worker_signature(kind, payload, signature) {
            return Err(InvalidTransaction::BadProof.into());
        }
        let worker: T::AccountId = payload.worker().clone().into_account();
        let operator =
            T::Staking::check_worker(&worker).map_err(|_| InvalidTransaction::BadSigner)?;
        check(&operator).map_err(invalid)?;
        let now = frame_system::Pallet::<T>::block_number();
        let longevity: u64 = Alliances::<T>::get(payload.alliance())
            .map(|a| {
                let end = match kind {
                    CallKind::CommitUpdate => a.commit_end,
                    CallKind::RevealUpdate => a.reveal_end,
                    CallKind::Vote => a.vote_end,
                };
                end.saturating_sub(now).unique_saturated_into()
            })
            .unwrap_or(1u64)
            .max(1);
        let valid: ValidTransaction = ValidTransaction::with_tag_prefix("StarlingAlliance")
            .and_provides((kind, payload.alliance(), payload.round(), operator))
            .longevity(longevity)
            .propagate(true)
            .into();
        Ok((valid, Weight::zero()))
    }

    /// Counts a worker call against the worker's rate limit; returns its operator.
    pub(crate) fn note_worker(worker: &T::Public) -> Result<T::AccountId, DispatchError> {
        let account: T::AccountId = worker.clone().into_account();
        T::Staking::note_worker_call(&account)
    }

    /// The bytes a worker of this chain signs for `payload` of call `kind`
    /// ([`signing_message`] with this chain's genesis hash).
    pub fn worker_message<P: Encode>(kind: CallKind, payload: &P) -> Vec<u8> {
        signing_message(&pallet_starling_staking::workers::genesis_hash::<T>(), kind, payload)
    }

    /// Whether `signature` is the payload's worker's, over this chain's [`signing_message`].
    pub fn verify_worker_signature<P: WorkerPayload<T::Public>>(
        kind: CallKind,
        payload: &P,
        signature: &T::Signature,
    ) -> bool {
        T::AuthorityId::verify(
            &Self::worker_message(kind, payload),
            payload.worker().clone(),
            signature.clone(),
        )
    }
}
