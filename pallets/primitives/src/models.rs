//! Models that the protocol produces, and the registry that takes them.
//!
//! A finalised arena task's winner and a finished alliance's final model become version 1 of a
//! new model line in the marketplace. The producing pallet decides everything about its model
//! — parameters, metric, public evaluation data, creators and their weights — and hands it to a
//! [`ModelRegistry`]; the marketplace implements the trait, the runtime names it
//! (`type Models = Marketplace`), and no adapter in between makes protocol decisions.

use alloc::vec::Vec;
use frame_support::weights::Weight;
use starling_ml_interface::{DatasetRef, Metric, ModelFamily, Params, Schema};

/// Which protocol item produced a model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ModelOrigin {
    /// The winner of a finalised arena task.
    ArenaTask(u32),
    /// The final model of a finished FL alliance.
    Alliance(u32),
}

/// A model produced by the protocol, as handed to the registry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProducedModel<AccountId> {
    /// The task or alliance that produced it.
    pub origin: ModelOrigin,
    /// Who owns the new line: the task's or the alliance's creator.
    pub owner: AccountId,
    /// Model family.
    pub family: ModelFamily,
    /// Shape of the rows.
    pub schema: Schema,
    /// The metric the model is judged by.
    pub metric: Metric,
    /// The parameters (always inline: the arena accepts no model by URI).
    pub params: Params,
    /// Public held-out data to monitor the model's quality on, if there is any (never a
    /// participant's local data).
    pub eval: Option<DatasetRef>,
    /// Its score where it was produced (an arena winner's consensus score).
    pub score: Option<i64>,
    /// Who made it, with revenue weights (the arena's winning trainer; the alliance's
    /// contributors weighted by accepted updates).
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
