//! Worker calls: the payloads hosts' and validators' nodes sign, and their validation.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))` with its worker key
//! (`starling_support::worker_call::message`); the genesis hash names the chain, so a payload signed on one network
//! is refused on every other. Each payload is a [`WorkerCall`](starling_support::worker_call::WorkerCall) that the shared path in
//! `starling_support::worker_call` validates and dispatches; a claim or report is identified
//! in the pool by its payload, so the same one is included once.

use crate::{pallet::*, LineId, SignedVoucherOf, VersionId, MAX_VOUCHERS_PER_CLAIM};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    pallet_prelude::{ConstU32, DispatchError},
    BoundedVec,
};
use scale_info::TypeInfo;
use starling_support::worker_call::WorkerPallet;

/// Domain separator of every signature a worker makes for the marketplace.
pub const SIGNING_CONTEXT: &[u8] = b"starling/marketplace/v1";

/// Which worker call a signature is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum CallKind {
    /// [`crate::Pallet::claim`].
    Claim,
    /// [`crate::Pallet::report_quality`].
    ReportQuality,
}

/// A host's claim: users' latest vouchers.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ClaimPayload<Public, SignedVoucher> {
    /// The worker key.
    pub worker: Public,
    /// The vouchers, at most one per (user, line) in practice.
    pub vouchers: BoundedVec<SignedVoucher, ConstU32<MAX_VOUCHERS_PER_CLAIM>>,
}

/// A validator's score of a hosted version.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
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

impl<T: Config> WorkerPallet<T> for Pallet<T> {
    const SIGNING_CONTEXT: &'static [u8] = SIGNING_CONTEXT;
    const TAG_PREFIX: &'static str = "StarlingMarketplace";
    type Kind = CallKind;
    type AuthorityId = T::AuthorityId;
    type Staking = T::Staking;
    fn bad_signature() -> DispatchError {
        Error::<T>::BadWorkerSignature.into()
    }
}

/// A claim or a report is identified by its payload: the same one is included once.
fn payload_id<P: Encode>(payload: &P) -> [u8; 32] {
    sp_io::hashing::blake2_256(&payload.encode())
}

starling_support::worker_calls! {
    ClaimPayload<T::Public, SignedVoucherOf<T>> => {
        kind: CallKind::Claim,
        tag: [u8; 32] = |p| payload_id(p),
        valid_until: |p| None,
        check: |host, p| Pallet::<T>::check_claim(host, &p.vouchers),
        apply: |host, p| Pallet::<T>::do_claim(host, &p.vouchers),
    };
    QualityPayload<T::Public> => {
        kind: CallKind::ReportQuality,
        tag: [u8; 32] = |p| payload_id(p),
        valid_until: |p| None,
        check: |validator, p| Pallet::<T>::check_report_quality(validator, p),
        apply: |validator, p| Pallet::<T>::do_report_quality(validator, p),
    };
}
