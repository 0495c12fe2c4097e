//! Data types of the marketplace: model lines and versions, hosting, escrow, vouchers, quality
//! reports and the governance parameters.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;
use starling_ml_interface::{ModelFamily, Params, Schema};
pub use starling_primitives::models::{ModelData, ModelSource, ModelSpec, Uri, MAX_URI_LEN};

/// Identifier of a model line.
pub type LineId = u32;

/// Number of a version within its line, from 1.
pub type VersionId = u32;

/// Most creators a version names (an alliance's contributors fit).
pub const MAX_CREATORS: u32 = 32;

/// Most vouchers one claim carries.
pub const MAX_VOUCHERS_PER_CLAIM: u32 = 64;

/// A version's creators with their revenue weights (a creator's part of the creators' share
/// is its weight over the sum of weights).
pub type Creators<AccountId> = BoundedVec<(AccountId, u32), ConstU32<MAX_CREATORS>>;

/// One version of a model line.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ModelVersion<AccountId, BlockNumber> {
    /// Where it came from.
    pub source: ModelSource,
    /// Family, schema, metric, parameters and evaluation data.
    pub spec: ModelSpec,
    /// `blake2_256(SCALE(params))`.
    pub params_hash: H256,
    /// Its score at the source (the arena's consensus score, an alliance's final loss), scaled
    /// by `SCORE_SCALE`, if the source measured one.
    pub source_score: Option<i64>,
    /// Who is paid a share of its revenue, with their weights.
    pub creators: Creators<AccountId>,
    /// Block it was registered.
    pub created_at: BlockNumber,
}

/// A model line: a named sequence of versions with one owner.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ModelLine<AccountId> {
    /// May publish new versions (the uploader, or the creator of the arena task or alliance).
    pub owner: AccountId,
    /// The newest version.
    pub latest: VersionId,
    /// Number of hosts serving it.
    pub hosts: u32,
}

/// A host's offer for one line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Hosting<Balance> {
    /// Price of one paid call.
    pub price: Balance,
    /// The version served; `None` serves the line's latest.
    pub pinned: Option<VersionId>,
}

/// A user's escrow.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Escrow<Balance, BlockNumber> {
    /// Held for paying hosts.
    pub held: Balance,
    /// Part of `held` the user asked to withdraw; hosts may still claim it until `unlock_at`.
    pub unlocking: Balance,
    /// When `unlocking` may be withdrawn.
    pub unlock_at: BlockNumber,
}

/// What a user signs to pay a host: the cumulative number of paid calls to `host` for `line`
/// at `price` each. A claim pays only the calls beyond those already claimed, so an old or
/// replayed voucher pays nothing.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Voucher<AccountId, Balance> {
    /// The paying user.
    pub user: AccountId,
    /// The host (operator account) paid.
    pub host: AccountId,
    /// The model line.
    pub line: LineId,
    /// Paid calls so far, cumulative.
    pub calls: u64,
    /// Price per call the user agreed to (must be the host's current price).
    pub price: Balance,
}

/// A voucher with the user's signature over [`crate::voucher_message`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct SignedVoucher<AccountId, Balance, Signature> {
    /// The voucher.
    pub voucher: Voucher<AccountId, Balance>,
    /// The user's signature.
    pub signature: Signature,
}

/// Why a voucher pays nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum VoucherError {
    /// The signature is not the user's.
    BadSignature,
    /// The voucher names another host.
    ForAnotherHost,
    /// The host does not serve this line.
    NotHosted,
    /// The voucher's price is not the host's price.
    PriceMismatch,
    /// No calls beyond those already claimed.
    AlreadyClaimed,
    /// The user's escrow (less what is unlocking) cannot pay the new calls.
    BeyondEscrow,
    /// The voucher passed every check, but its cost could not be moved out of the escrow
    /// hold; nothing of it was paid.
    PaymentFailed,
}

/// A validator's latest score of a hosted version.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct QualityReport<BlockNumber> {
    /// The score on the line's evaluation data, in the version's metric, scaled by
    /// `SCORE_SCALE`.
    pub score: i64,
    /// Rows scored.
    pub rows: u32,
    /// Quality period it was measured in.
    pub period: u32,
    /// Block it was recorded.
    pub at: BlockNumber,
}

/// The marketplace's governance parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct MarketParams<Balance, BlockNumber> {
    /// Part of each payment for the host.
    pub host_share: Perbill,
    /// Part of each payment for the version's creators (the rest, and rounding, goes to the
    /// treasury).
    pub creators_share: Perbill,
    /// Blocks between a withdrawal request and the withdrawal (hosts claim meanwhile).
    pub withdraw_delay: BlockNumber,
    /// Highest price per call a host may ask.
    pub max_price: Balance,
    /// Length of a free-tier period, in blocks.
    pub free_period: BlockNumber,
    /// Free calls per period for a user with some stake, however little. A user with
    /// nothing bonded gets no free call at all, whatever this says.
    pub free_base_calls: u32,
    /// Extra free calls per period for each `free_stake_unit` the user has bonded.
    pub free_calls_per_unit: u32,
    /// Stake unit of the free-tier curve.
    pub free_stake_unit: Balance,
    /// Most free calls per period.
    pub free_max_calls: u32,
    /// Validators re-score each hosted version once per this many blocks.
    pub quality_period: BlockNumber,
}

/// What a host node needs to serve a line: the version, its model and the host's price.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct Serving<Balance> {
    /// The version served.
    pub version: VersionId,
    /// Model family.
    pub family: ModelFamily,
    /// Shape of the rows.
    pub schema: Schema,
    /// The parameters (`None` for a version published by URI, which cannot be served).
    pub params: Option<Params>,
    /// Price of one paid call.
    pub price: Balance,
}
