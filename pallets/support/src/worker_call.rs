//! Worker calls: signed by a participant's worker key, fee-free, validated by the pool.
//!
//! A worker signs `SCALE((SIGNING_CONTEXT, genesis_hash, kind, payload))` ([`signing_message`])
//! with its worker key. The context names the pallet, the genesis hash names the chain (a
//! payload signed on a testnet is refused on every other network where the key is registered)
//! and the kind names the call, so one signature can never serve another call.
//!
//! The call is an *authorized* transaction (`#[pallet::authorize]`): [`authorize`] checks the
//! signature, that the key is a registered worker within its rate limit (staking), and
//! everything the call would check, read-only. [`dispatch`] checks the origin, re-checks the
//! signature, counts the call against the rate limit and applies it for the worker's operator.
//!
//! Worker calls cannot be starved by ordinary traffic (security review §4): the pool orders
//! them at [`PRIORITY`], above every fee-paying transaction (whose priority grows with its tip
//! and fee), as pallet-im-online's heartbeats and the election provider's miner solutions are;
//! and each is declared `DispatchClass::Operational` ([`CLASS`]), so it draws on the part of
//! the block's weight and length that normal transactions cannot fill. Spam in that class is
//! bounded by validation itself: only a registered worker with a role in the item, within its
//! rate limit, gets a call into the pool.
//!
//! A product pallet implements [`WorkerPallet`] once and [`WorkerCall`] for each payload:
//!
//! ```ignore
//! #[pallet::weight((T::WeightInfo::vote(), worker_call::CLASS))]
//! #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
//! pub fn vote(origin: OriginFor<T>, payload: VotePayload<..>, signature: T::Signature) -> DispatchResult {
//!     worker_call::dispatch::<T, _>(origin, &payload, &signature)
//! }
//! ```

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
    dispatch::DispatchClass,
    pallet_prelude::{
        DispatchError, DispatchResult, InvalidTransaction, TransactionPriority,
        TransactionValidityError, TransactionValidityWithRefund, ValidTransaction,
    },
    weights::Weight,
};
use frame_system::{
    offchain::{AppCrypto, SigningTypes},
    pallet_prelude::{BlockNumberFor, OriginFor},
};
use sp_runtime::traits::{IdentifyAccount, Saturating, UniqueSaturatedInto};
use starling_primitives::{genesis_hash, staking::StakingInterface};

/// A dispatch error as a transaction-validity error: the module error's index as a custom
/// code, so that a wallet or a log can name the pallet error.
pub fn invalid(error: DispatchError) -> TransactionValidityError {
    match error {
        DispatchError::Module(module) => {
            InvalidTransaction::Custom(module.error.first().copied().unwrap_or_default()).into()
        },
        DispatchError::BadOrigin => InvalidTransaction::BadSigner.into(),
        _ => InvalidTransaction::Call.into(),
    }
}

/// Pool priority of every valid worker call: half the range, above any fee-paying
/// transaction (as pallet-im-online's `UnsignedPriority` and the election provider's
/// `MinerTxPriority`).
pub const PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// Dispatch class of every worker call: `Operational`, whose share of the block's weight and
/// length normal transactions cannot use.
pub const CLASS: DispatchClass = DispatchClass::Operational;

/// Blocks a worker transaction stays in the pool when its call names no window end.
pub const DEFAULT_LONGEVITY: u64 = 8;

/// A pallet that takes worker calls: what its calls share.
pub trait WorkerPallet<T: SigningTypes> {
    /// Domain separator of every signature a worker makes for this pallet.
    const SIGNING_CONTEXT: &'static [u8];
    /// Prefix of the pallet's transaction-pool tags.
    const TAG_PREFIX: &'static str;
    /// Which of the pallet's calls a signature is for (part of the signed message).
    type Kind: Encode + Copy;
    /// The worker key's crypto.
    type AuthorityId: AppCrypto<T::Public, T::Signature>;
    /// Worker registration and rate limits.
    type Staking: StakingInterface<T::AccountId>;
    /// The pallet's error for a payload whose signature does not verify at dispatch.
    fn bad_signature() -> DispatchError;
}

/// The payload of one worker call, with the call's checks and effect.
pub trait WorkerCall<T: SigningTypes>: Encode {
    /// The pallet the call belongs to.
    type Pallet: WorkerPallet<T>;
    /// Fields that, with the kind and the operator, tell this transaction apart in the pool.
    type Tag: Encode;
    /// The call's kind.
    fn kind() -> <Self::Pallet as WorkerPallet<T>>::Kind;
    /// The worker key that signed.
    fn worker(&self) -> &T::Public;
    /// The pool tag fields (see [`WorkerCall::Tag`]).
    fn tag(&self) -> Self::Tag;
    /// The last block of the window the call belongs to, if it has one: the transaction
    /// stays valid until then (at least a block).
    fn window_end(&self) -> Option<BlockNumberFor<T>>;
    /// Everything the call would check, read-only, for the worker's operator.
    fn check(&self, operator: &T::AccountId) -> DispatchResult;
    /// Applies the call for the worker's operator.
    fn apply(&self, operator: &T::AccountId) -> DispatchResult;
}

/// The bytes a worker signs: `SCALE((context, genesis_hash, kind, payload))`.
pub fn signing_message<Hash: Encode, Kind: Encode, P: Encode>(
    context: &[u8],
    genesis_hash: &Hash,
    kind: Kind,
    payload: &P,
) -> Vec<u8> {
    (context, genesis_hash, kind, payload).encode()
}

/// The bytes a worker of this chain signs for `payload`.
pub fn message<T: SigningTypes, C: WorkerCall<T>>(payload: &C) -> Vec<u8> {
    signing_message(
        <C::Pallet as WorkerPallet<T>>::SIGNING_CONTEXT,
        &genesis_hash::<T>(),
        C::kind(),
        payload,
    )
}

/// Whether `signature` is the payload's worker's, made for this chain and this call.
pub fn verify<T: SigningTypes, C: WorkerCall<T>>(payload: &C, signature: &T::Signature) -> bool {
    <<C::Pallet as WorkerPallet<T>>::AuthorityId as AppCrypto<_, _>>::verify(
        &message::<T, C>(payload),
        payload.worker().clone(),
        signature.clone(),
    )
}

/// Pool validation of a worker call: signature, registered worker within its rate limit, then
/// the call's own checks. Valid until the end of the call's window, at [`PRIORITY`].
pub fn authorize<T: SigningTypes, C: WorkerCall<T>>(
    payload: &C,
    signature: &T::Signature,
) -> TransactionValidityWithRefund {
    if !verify::<T, C>(payload, signature) {
        return Err(InvalidTransaction::BadProof.into());
    }
    let worker: T::AccountId = payload.worker().clone().into_account();
    let operator = <C::Pallet as WorkerPallet<T>>::Staking::check_worker(&worker)
        .map_err(|_| InvalidTransaction::BadSigner)?;
    payload.check(&operator).map_err(invalid)?;
    let now = frame_system::Pallet::<T>::block_number();
    let longevity: u64 = payload
        .window_end()
        .map(|end| end.saturating_sub(now).unique_saturated_into())
        .unwrap_or(DEFAULT_LONGEVITY)
        .max(1);
    let valid: ValidTransaction =
        ValidTransaction::with_tag_prefix(<C::Pallet as WorkerPallet<T>>::TAG_PREFIX)
            .and_provides((C::kind(), operator, payload.tag()))
            .priority(PRIORITY)
            .longevity(longevity)
            .propagate(true)
            .into();
    Ok((valid, Weight::zero()))
}

/// Dispatch of a worker call: the origin must be an authorized transaction, the signature is
/// re-checked (validation already did; benchmarks and tests dispatch directly), the call counts
/// against the worker's rate limit and is applied for its operator.
pub fn dispatch<T: SigningTypes, C: WorkerCall<T>>(
    origin: OriginFor<T>,
    payload: &C,
    signature: &T::Signature,
) -> DispatchResult {
    frame_system::ensure_authorized(origin)?;
    if !verify::<T, C>(payload, signature) {
        return Err(<C::Pallet as WorkerPallet<T>>::bad_signature());
    }
    let operator = note_worker::<T, C::Pallet>(payload.worker())?;
    payload.apply(&operator)
}

/// Counts a call of `worker` against its rate limit; returns its operator.
pub fn note_worker<T: SigningTypes, P: WorkerPallet<T>>(
    worker: &T::Public,
) -> Result<T::AccountId, DispatchError> {
    P::Staking::note_worker_call(&worker.clone().into_account())
}

/// Implements [`WorkerCall`] for a pallet's payloads from one row per call: the payload type,
/// its kind, its pool tag, the block its transaction stays valid until, and the pallet
/// functions that check and apply it. Used inside a pallet crate, where `Config`, `Pallet` and
/// the payload types are in scope; every payload has a `worker` field.
///
/// ```ignore
/// starling_support::worker_calls! {
///     ModelReveal<T::Public> => {
///         kind: CallKind::RevealModel,
///         tag: TaskId = |p| p.task,
///         valid_until: |p| Tasks::<T>::get(p.task)?.closes(Stage::Reveal),
///         check: |operator, p| Pallet::<T>::check_reveal_model(operator, p),
///         apply: |operator, p| Pallet::<T>::do_reveal_model(operator, p),
///     };
/// }
/// ```
#[macro_export]
macro_rules! worker_calls {
    ($(
        $payload:ty => {
            kind: $kind:expr,
            tag: $tag:ty = |$tp:ident| $tag_expr:expr,
            valid_until: |$vp:ident| $valid_until:expr,
            check: |$co:ident, $cp:ident| $check:expr,
            apply: |$ao:ident, $ap:ident| $apply:expr $(,)?
        }
    );* $(;)?) => {$(
        impl<T: Config> $crate::worker_call::WorkerCall<T> for $payload {
            type Pallet = Pallet<T>;
            type Tag = $tag;
            fn kind() -> <Pallet<T> as $crate::worker_call::WorkerPallet<T>>::Kind {
                $kind
            }
            fn worker(&self) -> &T::Public {
                &self.worker
            }
            fn tag(&self) -> Self::Tag {
                let $tp = self;
                $tag_expr
            }
            fn window_end(&self) -> Option<frame_system::pallet_prelude::BlockNumberFor<T>> {
                let $vp = self;
                $valid_until
            }
            fn check(&self, $co: &T::AccountId) -> frame_support::dispatch::DispatchResult {
                let $cp = self;
                $check.map(|_| ())
            }
            fn apply(&self, $ao: &T::AccountId) -> frame_support::dispatch::DispatchResult {
                let $ap = self;
                $apply
            }
        }
    )*};
}
