//! Worker calls: the payloads hosts' and validators' nodes sign, and their validation.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))` with its worker key
//! ([`signing_message`]); the genesis hash names the chain, so a payload signed on one network
//! is refused on every other. The call is an authorized (fee-free) transaction whose
//! validation checks the signature, the worker's registration and rate limit, and what the
//! call would check.

use crate::{pallet::*, LineId, VersionId, MAX_VOUCHERS_PER_CLAIM};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::{
        ConstU32, DispatchError, InvalidTransaction, TransactionValidityWithRefund,
        ValidTransaction,
    },
    weights::Weight,
    BoundedVec,
};
use frame_system::offchain::AppCrypto;
use pallet_starling_staking::{traits::StakingInterface, workers::calls::invalid};
use scale_info::TypeInfo;
use sp_runtime::traits::IdentifyAccount;

/// Domain separator of every signature a worker makes for the marketplace.
pub const SIGNING_CONTEXT: &[u8] = b"starling/marketplace/v1";

/// Blocks a worker transaction stays valid in the pool.
pub const LONGEVITY: u64 = 8;

/// Which worker call a signature is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum CallKind {
    /// [`crate::Pallet::claim`].
    Claim,
    /// [`crate::Pallet::report_quality`].
    ReportQuality,
}

/// What every worker payload has.
pub trait WorkerPayload<Public>: Encode {
    /// The worker key that signed.
    fn worker(&self) -> &Public;
}

/// A host's claim: users' latest vouchers.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ClaimPayload<Public, SignedVoucher> {
    /// The worker key.
    pub worker: Public,
    /// The vouchers, at most one per (user, line) in practice.
    pub vouchers: BoundedVec<SignedVoucher, ConstU32<MAX_VOUCHERS_PER_CLAIM>>,
}

/// A validator's score of a hosted version.
#[derive(
    Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct QualityPayload<Public> {
    /// The worker key.
    pub worker: Public,
    /// The line.
    pub line: LineId,
    /// The version scored.
    pub version: VersionId,
    /// The quality period it was scored in.
    pub period: u32,
    /// Score in the version's metric, scaled by `SCORE_SCALE`.
    pub score: i64,
    /// Rows scored.
    pub rows: u32,
}

impl<P: Encode, V: Encode> WorkerPayload<P> for ClaimPayload<P, V> {
    fn worker(&self) -> &P {
        &self.worker
    }
}

impl<P: Encode> WorkerPayload<P> for QualityPayload<P> {
    fn worker(&self) -> &P {
        &self.worker
    }
}

/// The bytes a worker signs for `payload` of call `kind` on the chain whose genesis hash is
/// `genesis_hash`: `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))`. The runtime passes
/// `pallet_starling_staking::workers::genesis_hash`.
pub fn signing_message<Hash: Encode, P: Encode>(
    genesis_hash: &Hash,
    kind: CallKind,
    payload: &P,
) -> Vec<u8> {
    (SIGNING_CONTEXT, genesis_hash, kind, payload).encode()
}

impl<T: Config> Pallet<T> {
    /// Validates a worker call: signature, worker registration and rate limit, then `check`
    /// with the worker's operator. The transaction is identified by its payload, so the same
    /// claim or report is included once.
    pub(crate) fn authorize_worker<P: WorkerPayload<T::Public>>(
        payload: &P,
        signature: &T::Signature,
        kind: CallKind,
        check: impl FnOnce(&T::AccountId) -> Result<(), DispatchError>,
    ) -> TransactionValidityWithRefund {
        if !Self::verify_worker_signature(kind, payload, signature) {
            return Err(InvalidTransaction::BadProof.into());
        }
        let worker: T::AccountId = payload.worker().clone().into_account();
        let operator =
            T::Staking::check_worker(&worker).map_err(|_| InvalidTransaction::BadSigner)?;
        check(&operator).map_err(invalid)?;
        let id = sp_io::hashing::blake2_256(&payload.encode());
        let valid: ValidTransaction = ValidTransaction::with_tag_prefix("StarlingMarketplace")
            .and_provides((kind, operator, id))
            .longevity(LONGEVITY)
            .propagate(true)
            .into();
        Ok((valid, Weight::zero()))
    }

    /// Counts a worker call against the worker's rate limit; returns its operator.
    pub(crate) fn note_worker(worker: &T::Public) -> Result<T::AccountId, DispatchError> {
        let account: T::AccountId = worker.clone().into_account();
        T::Staking::note_worker_call(&account)
    }

    /// Whether `signature` is the payload's worker's, made for this chain.
    pub fn verify_worker_signature<P: WorkerPayload<T::Public>>(
        kind: CallKind,
        payload: &P,
        signature: &T::Signature,
    ) -> bool {
        let genesis = pallet_starling_staking::workers::genesis_hash::<T>();
        T::AuthorityId::verify(
            &signing_message(&genesis, kind, payload),
            payload.worker().clone(),
            signature.clone(),
        )
    }
}
