//! Models: what one is ([`ModelSpec`], [`ModelData`]), where it came from ([`ModelSource`]), and
//! the registry that takes those the protocol produces.
//!
//! A finalised arena task's winner and a finished alliance's final model become version 1 of a
//! new model line in the marketplace. The producing pallet decides everything about its model
//! — parameters, metric, public evaluation data, creators and their weights — and hands it to a
//! [`ModelRegistry`]; the marketplace implements the trait, the runtime names it
//! (`type Models = Marketplace`), and no adapter in between makes protocol decisions.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, weights::Weight, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use starling_ml_interface::{DatasetRef, Metric, ModelFamily, Params, Schema};

/// Longest URI (published data or parameters), in bytes.
pub const MAX_URI_LEN: u32 = 256;

/// A URI.
pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;

/// Where a model came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum ModelSource {
    /// The winner of a finalised arena task.
    ArenaTask(u32),
    /// The final model of a finished FL alliance.
    Alliance(u32),
    /// Uploaded to the marketplace by a staked account.
    Upload,
}

/// A model's parameters: inline, or published elsewhere by hash. An arena trainer reveals one;
/// a marketplace version stores one (hosts serve inline versions only).
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum ModelData {
    /// Parameters in the family's canonical layout.
    Inline(Params),
    /// SCALE-encoded `Params` published at `uri`, with their hash.
    Uri {
        /// Where the parameters are.
        uri: Uri,
        /// `blake2_256(SCALE(params))`.
        params_hash: H256,
    },
}

impl ModelData {
    /// `blake2_256(SCALE(params))`.
    pub fn params_hash(&self) -> H256 {
        match self {
            ModelData::Inline(params) => H256(sp_io::hashing::blake2_256(&params.encode())),
            ModelData::Uri { params_hash, .. } => *params_hash,
        }
    }

    /// The inline parameters, if any.
    pub fn inline(&self) -> Option<&Params> {
        match self {
            ModelData::Inline(params) => Some(params),
            ModelData::Uri { .. } => None,
        }
    }
}

/// What a model is: family, schema, metric, parameters and the data to judge it on.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct ModelSpec {
    /// Model family.
    pub family: ModelFamily,
    /// Shape of the rows the model takes.
    pub schema: Schema,
    /// The metric its quality is measured by.
    pub metric: Metric,
    /// The parameters.
    pub data: ModelData,
    /// Public held-out data validators re-score it on (e.g. an arena task's evaluation data);
    /// never a participant's local data.
    pub eval: Option<DatasetRef>,
}

/// A model produced by the protocol, as handed to the registry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProducedModel<AccountId> {
    /// The task or alliance that produced it.
    pub source: ModelSource,
    /// Who owns the new line: the task's or the alliance's creator.
    pub owner: AccountId,
    /// Family, schema, metric, the parameters (inline: the arena accepts no model by URI at
    /// finalisation) and public evaluation data.
    pub spec: ModelSpec,
    /// Its score where it was produced (an arena winner's consensus score).
    pub score: Option<i64>,
    /// Who made it, with revenue weights (the arena's winning trainer; the alliance's
    /// contributors weighted by accepted updates). Weight-0 entries are dropped.
    pub creators: Vec<(AccountId, u32)>,
}

/// Takes the models the protocol produces.
pub trait ModelRegistry<AccountId> {
    /// Registers `model` (as version 1 of a new line). A model the registry cannot take is
    /// dropped with a log line: producing it already settled every payment.
    fn register(model: ProducedModel<AccountId>);
    /// Weight of one [`ModelRegistry::register`] call.
    fn register_weight() -> Weight;
}

impl<AccountId> ModelRegistry<AccountId> for () {
    fn register(_: ProducedModel<AccountId>) {}
    fn register_weight() -> Weight {
        Weight::zero()
    }
}
