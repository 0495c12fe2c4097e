//! # Starling AI Marketplace
//!
//! Trained models become products: a registry of versioned model lines, staked hosts that
//! serve them for a price per call, a free tier sized by the user's stake, payment through
//! usage vouchers the user signs, and revenue that flows back to the models' creators.
//!
//! ## Terms
//!
//! * **Model line** — a sequence of versions with one owner. A finalised arena task creates a
//!   line whose version 1 is the winning model (its trainer the creator); a finished FL
//!   alliance creates a line whose version 1 is the final global model (its contributors the
//!   creators, weighted by accepted updates). A staked account may [`Pallet::upload_version`]
//!   a new line, or a new version of a line it owns.
//! * **Version** — source, family, schema, metric, parameters (inline, or a URI with their
//!   hash), evaluation data, the score at the source, and **creators** with revenue weights.
//!   Evaluation data must be public (a built-in dataset): validators score hosted versions on
//!   it and publish the scores, so a version naming a node's local dataset would leak that
//!   node's private rows. Uploads naming local evaluation data are refused; arena and alliance
//!   results that name it are registered without evaluation data.
//! * **Host** — an operator staked for the `ModelHost` role that [`Pallet::host`]s a line at a
//!   price per call. It serves the line's latest version, or the version it pinned, from its
//!   node (the `marketplace_predict` JSON-RPC method), computing predictions with the ML
//!   engine.
//! * **Escrow** — what a user [`Pallet::deposit`]ed to pay hosts. A withdrawal is requested
//!   first ([`Pallet::request_withdrawal`]) and made after a delay ([`Pallet::withdraw`]), so
//!   that hosts can claim what they served meanwhile.
//! * **Voucher** — `(user, host, line, calls, price)` signed by the user together with the
//!   chain's genesis hash ([`voucher_message`]): the cumulative number of paid calls. The
//!   host's worker [`Pallet::claim`]s with the latest vouchers; the chain pays `price × (calls −
//!   calls already claimed)` from the escrow, so an old or replayed voucher pays nothing, and a
//!   voucher signed for another chain is refused.
//! * **Free tier** — each user with stake gets `free_base_calls + free_calls_per_unit ×
//!   ⌊stake / free_stake_unit⌋` free calls per `free_period` (at most `free_max_calls`), the
//!   stake being what the user has bonded in staking. An account with nothing bonded gets no
//!   free call, so fresh keys cannot farm the tier. Hosts serve and count those without
//!   payment.
//! * **Split** — every payment goes `host_share` to the host, `creators_share` to the creators
//!   of the version served (pro rata to their weights) and the rest, with every rounding
//!   remainder, to the treasury: the parts always sum to the payment.
//! * **Quality report** — validators' workers re-score every hosted version on its evaluation
//!   data once per `quality_period` ([`Pallet::report_quality`]); the latest report of each
//!   validator is kept with the version.
//!
//! ## Lifecycle of a paid call
//!
//! 1. The user deposits into escrow.
//! 2. For each call the user signs a voucher for one more call than before and sends it with
//!    the rows to the host's node. The node checks the voucher against chain state (signature,
//!    host, line, price, escrow beyond what is claimed and unlocking), computes the prediction,
//!    and keeps the latest voucher per user in its off-chain database.
//! 3. The host's worker claims the latest vouchers; the chain pays and splits. Payments move
//!    the escrow hold by force, so a lock or freeze the user puts on its account (a
//!    conviction vote, say) cannot stop them, and each voucher is paid in full or not at all:
//!    the calls it covers count as claimed only once their whole cost has moved.
//!
//! Worker calls ([`Pallet::claim`], [`Pallet::report_quality`]) are authorized transactions
//! signed by the operator's worker key: no fee, no funds needed on the key, validated before
//! they reach a block.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod math;
#[cfg(test)]
mod mock;
pub mod offchain;
pub mod registry;
pub mod runtime_api;
pub mod serving;
#[cfg(test)]
mod tests;
pub mod try_state;
pub mod types;
pub mod weights;
pub mod worker;

pub use types::*;
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime besides this pallet.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Balance, Signature> {
    /// A user account whose key signs vouchers in the benchmarks, from `seed`.
    fn user(seed: u32) -> AccountId;
    /// `user`'s signature over `message` (`user` made by [`BenchmarkHelper::user`]).
    fn sign(user: &AccountId, message: &[u8]) -> Signature;
}

/// The bytes a user signs for `voucher` on the chain whose genesis hash is `genesis_hash`:
/// `SCALE((VOUCHER_CONTEXT, genesis_hash, voucher))`. Naming the chain keeps a voucher signed
/// for one network (a testnet, say) from paying on another where the same keys exist. The
/// runtime passes `starling_primitives::genesis_hash`; a host node passes its
/// chain's genesis hash.
pub fn voucher_message<Hash: codec::Encode, AccountId: codec::Encode, Balance: codec::Encode>(
    genesis_hash: &Hash,
    voucher: &Voucher<AccountId, Balance>,
) -> alloc::vec::Vec<u8> {
    use codec::Encode;
    (VOUCHER_CONTEXT, genesis_hash, voucher).encode()
}

/// Domain separator of every voucher signature.
pub const VOUCHER_CONTEXT: &[u8] = b"starling/voucher/v1";

// The FRAME macros expand to code that uses `expect` on values they construct themselves, and
// spell out the authorize closures' argument tuples in full.
#[allow(clippy::expect_used, clippy::type_complexity)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{
        pallet_prelude::*,
        traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
    };
    use frame_system::{
        offchain::{AppCrypto, CreateAuthorizedTransaction, SigningTypes},
        pallet_prelude::*,
    };
    use sp_runtime::traits::{IdentifyAccount, Verify};
    use starling_primitives::staking::StakingInterface;
    use starling_support::worker_call;

    /// Balance type of [`Config::Currency`].
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
    /// A model version of this runtime.
    pub type ModelVersionOf<T> =
        ModelVersion<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
    /// The governance parameters of this runtime.
    pub type MarketParamsOf<T> = MarketParams<BalanceOf<T>, BlockNumberFor<T>>;
    /// A voucher of this runtime.
    pub type VoucherOf<T> = Voucher<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
    /// A signed voucher of this runtime.
    pub type SignedVoucherOf<T> = SignedVoucher<
        <T as frame_system::Config>::AccountId,
        BalanceOf<T>,
        <T as Config>::VoucherSignature,
    >;
    /// An escrow of this runtime.
    pub type EscrowOf<T> = Escrow<BalanceOf<T>, BlockNumberFor<T>>;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config:
        frame_system::Config + CreateAuthorizedTransaction<Call<Self>> + SigningTypes
    {
        /// Holds escrows.
        type Currency: Inspect<Self::AccountId>
            + Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reason.
        type RuntimeHoldReason: From<HoldReason>;
        /// Stake (hosts, validators, uploaders, the free tier) and worker keys.
        type Staking: StakingInterface<
            Self::AccountId,
            Balance = BalanceOf<Self>,
            BlockNumber = BlockNumberFor<Self>,
        >;
        /// May set the marketplace's parameters (the protocol-parameters track).
        type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Receives the treasury's part of every payment.
        type Treasury: Get<Self::AccountId>;
        /// A user's signature on a voucher (the runtime's `MultiSignature`).
        type VoucherSignature: Verify<Signer = Self::VoucherSigner> + Parameter + MaxEncodedLen;
        /// The key behind a voucher signature.
        type VoucherSigner: IdentifyAccount<AccountId = Self::AccountId>;
        /// Most lines hosted at once (the lines validators re-score).
        #[pallet::constant]
        type MaxHostedLines: Get<u32>;
        /// Most hosts of one line.
        #[pallet::constant]
        type MaxHostsPerLine: Get<u32>;
        /// Parameters until governance sets them.
        type DefaultParams: Get<MarketParamsOf<Self>>;
        /// The worker key's crypto.
        type AuthorityId: AppCrypto<Self::Public, Self::Signature>;
        /// Weights.
        type WeightInfo: WeightInfo;
        /// Sets up operators and voucher keys for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<
            Self::AccountId,
            BalanceOf<Self>,
            Self::VoucherSignature,
        >;
    }

    /// Why the marketplace holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A user's escrow for paying hosts.
        Escrow,
    }

    /// Identifier of the next line.
    #[pallet::storage]
    pub type NextLineId<T> = StorageValue<_, LineId, ValueQuery>;

    /// Every model line.
    #[pallet::storage]
    pub type Lines<T: Config> = StorageMap<_, Twox64Concat, LineId, ModelLine<T::AccountId>>;

    /// Every version: (line, version).
    #[pallet::storage]
    pub type Versions<T: Config> =
        StorageDoubleMap<_, Twox64Concat, LineId, Twox64Concat, VersionId, ModelVersionOf<T>>;

    /// Hosts' offers: (line, host).
    #[pallet::storage]
    pub type Hosts<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        LineId,
        Blake2_128Concat,
        T::AccountId,
        Hosting<BalanceOf<T>>,
    >;

    /// Lines with at least one host.
    #[pallet::storage]
    pub type HostedLines<T: Config> =
        StorageValue<_, BoundedVec<LineId, T::MaxHostedLines>, ValueQuery>;

    /// Users' escrows.
    #[pallet::storage]
    pub type Escrows<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, EscrowOf<T>>;

    /// Paid calls claimed so far: (user, host, line) → calls.
    #[pallet::storage]
    pub type Claimed<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Twox64Concat, LineId>,
        ),
        u64,
        ValueQuery,
    >;

    /// Validators' latest quality reports: ((line, version), validator).
    #[pallet::storage]
    pub type Quality<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        (LineId, VersionId),
        Blake2_128Concat,
        T::AccountId,
        QualityReport<BlockNumberFor<T>>,
    >;

    /// Governance parameters.
    #[pallet::storage]
    pub type Parameters<T: Config> =
        StorageValue<_, MarketParamsOf<T>, ValueQuery, T::DefaultParams>;

    /// Events of the marketplace. Every field is documented.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A new version was registered (version 1 of a new line, or a newer version).
        VersionRegistered {
            /// The model line.
            line: LineId,
            /// The version.
            version: VersionId,
            /// Where the model came from (an upload, an arena task, an alliance).
            source: ModelSource,
            /// The owner of the line.
            owner: T::AccountId,
            /// The hash of the revealed parameters.
            params_hash: sp_core::H256,
        },
        /// A host started serving a line.
        Hosted {
            /// The model line.
            line: LineId,
            /// The host (a model-host operator).
            host: T::AccountId,
            /// Price per call.
            price: BalanceOf<T>,
            /// The version the host serves, or `None` for the latest.
            pinned: Option<VersionId>,
        },
        /// A host stopped serving a line.
        Unhosted {
            /// The model line.
            line: LineId,
            /// The host (a model-host operator).
            host: T::AccountId,
        },
        /// A user added to its escrow.
        Deposited {
            /// The user.
            user: T::AccountId,
            /// The amount added to the escrow.
            amount: BalanceOf<T>,
            /// What the escrow holds now.
            held: BalanceOf<T>,
        },
        /// A user asked to withdraw; hosts may claim until `unlock_at`.
        WithdrawalRequested {
            /// The user.
            user: T::AccountId,
            /// The amount to withdraw.
            amount: BalanceOf<T>,
            /// The first block at which it may be withdrawn.
            unlock_at: BlockNumberFor<T>,
        },
        /// A user withdrew from its escrow.
        Withdrawn {
            /// The user.
            user: T::AccountId,
            /// The amount released.
            amount: BalanceOf<T>,
        },
        /// A voucher paid a host: `calls` new calls, `amount` in all, split as given.
        VoucherPaid {
            /// The user.
            user: T::AccountId,
            /// The host (a model-host operator).
            host: T::AccountId,
            /// The model line.
            line: LineId,
            /// The version.
            version: VersionId,
            /// Paid calls newly claimed.
            calls: u64,
            /// What the new calls cost in all (moved from the escrow).
            amount: BalanceOf<T>,
            /// Paid to the host.
            to_host: BalanceOf<T>,
            /// Paid to the version's creators.
            to_creators: BalanceOf<T>,
            /// The part that went to the treasury.
            to_treasury: BalanceOf<T>,
        },
        /// A voucher in a claim paid nothing, for `reason` (its calls stay unclaimed).
        VoucherRefused {
            /// The user.
            user: T::AccountId,
            /// The host (a model-host operator).
            host: T::AccountId,
            /// The model line.
            line: LineId,
            /// Why it was refused.
            reason: VoucherError,
        },
        /// A validator reported a hosted version's quality.
        QualityReported {
            /// The model line.
            line: LineId,
            /// The version.
            version: VersionId,
            /// The validator (a validator operator).
            validator: T::AccountId,
            /// The score, in the version's metric, scaled by `SCORE_SCALE`.
            score: i64,
            /// Rows scored.
            rows: u32,
        },
        /// Governance set new parameters.
        ParamsSet {
            /// The new parameters.
            params: MarketParamsOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No model line has this id.
        LineNotFound,
        /// The line has no such version.
        VersionNotFound,
        /// Only the line's owner may publish versions of it.
        NotLineOwner,
        /// Uploading needs an active stake in some role.
        NotStaked,
        /// The model family does not fit the schema.
        FamilyDoesNotFitSchema,
        /// The evaluation data names a node's local dataset: validators would score the model
        /// on their private rows and publish the result. Name public (built-in) data, or none.
        EvaluationDataMustBePublic,
        /// Every line id has been used: no new line can be started.
        LineIdsExhausted,
        /// The line has as many versions as a version number can count.
        VersionIdsExhausted,
        /// The parameters do not have the family's number of parameters.
        WrongParameterCount,
        /// A new version must have the line's family and schema.
        IncompatibleVersion,
        /// The account is not an active model host in staking.
        NotAModelHost,
        /// The host already serves this line (unhost first to change the price).
        AlreadyHosting,
        /// The host does not serve this line.
        NotHosting,
        /// The price is zero or above the governance maximum.
        InvalidPrice,
        /// The pinned version is published by URI: hosts serve inline parameters only.
        NotServable,
        /// As many lines are hosted as the chain allows.
        TooManyHostedLines,
        /// The line has as many hosts as the chain allows.
        TooManyHosts,
        /// The amount is zero.
        ZeroAmount,
        /// The user cannot hold that much.
        InsufficientFunds,
        /// The user has no escrow.
        NoEscrow,
        /// The withdrawal is more than the escrow holds.
        WithdrawalAboveEscrow,
        /// Nothing is unlocking.
        NothingUnlocking,
        /// The withdrawal delay has not passed.
        StillLocked,
        /// The claim carries no voucher.
        NoVouchers,
        /// A voucher's signature is not its user's.
        VoucherBadSignature,
        /// A voucher names another host than the claimer.
        VoucherForAnotherHost,
        /// A voucher is for a line the claimer does not host.
        VoucherNotHosted,
        /// A voucher's price is not the host's price.
        VoucherPriceMismatch,
        /// A voucher has no calls beyond those already claimed.
        VoucherAlreadyClaimed,
        /// A voucher's new calls cost more than the user's escrow.
        VoucherBeyondEscrow,
        /// A voucher passed every check but its cost could not be moved out of the escrow
        /// hold (the hold is smaller than the escrow records, or the treasury cannot receive);
        /// nothing of it was paid and its calls stay unclaimed.
        VoucherPaymentFailed,
        /// The reporter is not an active validator.
        NotAValidator,
        /// The version is not served by any host.
        VersionNotHosted,
        /// The version has no evaluation data.
        NoEvaluationData,
        /// The report is for another quality period.
        WrongPeriod,
        /// The validator already reported this version this period.
        AlreadyReported,
        /// The worker's signature is invalid.
        BadWorkerSignature,
        /// Parameters are inconsistent.
        InvalidParams,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
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
        /// A staked account publishes a model: a new line (`line` = `None`) or a new version
        /// of a line it owns. The uploader is the version's only creator.
        ///
        /// Emits `VersionRegistered`. Errors: `NotStaked`, `LineNotFound`, `NotLineOwner`,
        /// `FamilyDoesNotFitSchema`, `WrongParameterCount`, `EvaluationDataMustBePublic`,
        /// `IncompatibleVersion`, `LineIdsExhausted`, `VersionIdsExhausted`.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::upload_version())]
        pub fn upload_version(
            origin: OriginFor<T>,
            line: Option<LineId>,
            spec: ModelSpec,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_upload(who, line, spec).map(|_| ())
        }

        /// A model host serves `line` at `price` per call, the latest version or `pinned`.
        ///
        /// Emits `Hosted`. Errors: `NotAModelHost`, `LineNotFound`, `VersionNotFound`,
        /// `NotServable`, `InvalidPrice`, `AlreadyHosting`, `TooManyHosts`, `TooManyHostedLines`.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::host())]
        pub fn host(
            origin: OriginFor<T>,
            line: LineId,
            price: BalanceOf<T>,
            pinned: Option<VersionId>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_host(who, line, price, pinned)
        }

        /// A host stops serving `line` (claim first: vouchers of an unhosted line pay
        /// nothing).
        ///
        /// Emits `Unhosted`. Errors: `NotHosting`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::unhost())]
        pub fn unhost(origin: OriginFor<T>, line: LineId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_unhost(who, line)
        }

        /// A user adds `amount` to its escrow.
        ///
        /// Emits `Deposited`. Errors: `ZeroAmount`, `InsufficientFunds`.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::deposit())]
        pub fn deposit(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_deposit(who, amount)
        }

        /// A user asks to withdraw `amount` from its escrow after the withdrawal delay
        /// (replaces an earlier request and restarts the delay).
        ///
        /// Emits `WithdrawalRequested`. Errors: `ZeroAmount`, `NoEscrow`,
        /// `WithdrawalAboveEscrow`.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::request_withdrawal())]
        pub fn request_withdrawal(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_request_withdrawal(who, amount)
        }

        /// A user withdraws what is unlocking once the delay has passed (less what hosts
        /// claimed meanwhile).
        ///
        /// Emits `Withdrawn`. Errors: `NoEscrow`, `NothingUnlocking`, `StillLocked`.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::withdraw())]
        pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_withdraw(who)
        }

        /// A host's worker claims payment with users' latest vouchers (authorized, fee-free).
        /// Each valid voucher pays its new calls in full, moved from the escrow hold by force,
        /// and is split; an invalid one, or one whose cost cannot be moved, pays nothing and
        /// is reported with `VoucherRefused`. The call fails when no voucher pays.
        ///
        /// Emits `VoucherPaid`, `VoucherRefused`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `NoVouchers`, and for a claim where nothing is paid, the first voucher's error
        /// (`VoucherBadSignature`, `VoucherForAnotherHost`, `VoucherNotHosted`,
        /// `VoucherPriceMismatch`, `VoucherAlreadyClaimed`, `VoucherBeyondEscrow`,
        /// `VoucherPaymentFailed`).
        #[pallet::call_index(6)]
        #[pallet::weight((T::WeightInfo::claim(payload.vouchers.len() as u32), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_claim(payload.vouchers.len() as u32))]
        pub fn claim(
            origin: OriginFor<T>,
            payload: worker::ClaimPayload<T::Public, SignedVoucherOf<T>>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// A validator's worker reports a hosted version's score on its evaluation data
        /// (authorized, fee-free), once per quality period.
        ///
        /// Emits `QualityReported`. Errors: `BadWorkerSignature`, `UnknownWorker`,
        /// `NotAValidator`, `LineNotFound`, `VersionNotFound`, `VersionNotHosted`,
        /// `NoEvaluationData`, `WrongPeriod`, `AlreadyReported`.
        #[pallet::call_index(7)]
        #[pallet::weight((T::WeightInfo::report_quality(), worker_call::CLASS))]
        #[pallet::authorize(|_source, payload, signature| worker_call::authorize::<T, _>(payload, signature))]
        #[pallet::weight_of_authorize(T::WeightInfo::authorize_claim(0))]
        pub fn report_quality(
            origin: OriginFor<T>,
            payload: worker::QualityPayload<T::Public>,
            signature: T::Signature,
        ) -> DispatchResult {
            worker_call::dispatch::<T, _>(origin, &payload, &signature)
        }

        /// Sets the marketplace parameters.
        ///
        /// Emits `ParamsSet`. Errors: `BadOrigin`, `InvalidParams`.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: MarketParamsOf<T>) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_set_params(params)
        }
    }
}
