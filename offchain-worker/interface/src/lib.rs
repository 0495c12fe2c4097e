//! # Starling ML interface
//!
//! The contract between Starling's runtime and the node's machine-learning engine.
//!
//! Consensus code never trains or scores models. A pallet's off-chain worker builds a request
//! — a [`TrainRequest`], [`EvaluateRequest`] or [`PredictRequest`] — and calls [`train`],
//! [`evaluate`] or [`predict`]. Those cross into the node through the `Ml` host functions
//! ([`ml`]), where the engine (`starling-ml-engine`) is registered as the [`MlExt`]
//! externalities extension for off-chain-worker calls only. During block import no engine is
//! registered and every call returns [`MlError::EngineUnavailable`]; the host functions never
//! panic.
//!
//! ## Terms
//!
//! * **Family** ([`ModelFamily`]): the kind of model, which fixes the canonical parameter
//!   layout so that parameters from different participants can be averaged.
//! * **Schema** ([`Schema`]): feature count and label kind the data must have.
//! * **Dataset** ([`DatasetRef`]): a built-in dataset or a dataset in the node's local data
//!   directory, narrowed by a seeded shuffle, a train/test split and a shard ([`Slice`]).
//! * **Fixed point**: every real number is an integer scaled by [`PARAM_SCALE`] (parameters,
//!   hyper-parameters, inline features) or [`SCORE_SCALE`] (scores, regression predictions).
//!   This crate uses no floats.
//!
//! ## Node wiring
//!
//! Add [`ml::HostFunctions`] to the executor's host functions, e.g.
//! `WasmExecutor<(sp_io::SubstrateHostFunctions, starling_ml_interface::ml::HostFunctions)>`,
//! and register an [`MlExt`] through `sc_offchain`'s `custom_extensions`.
//!
//! Every result is an untrusted claim: the runtime protects itself with stake, commit–reveal
//! and medians, never by trusting a worker.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may fail loudly; the crate itself may not.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

mod error;
mod host;
mod types;

pub use error::MlError;
pub use host::{decode_result, evaluate, ml, predict, train, STATUS_OK};
#[cfg(not(substrate_runtime))]
pub use host::{MlBackend, MlExt};
pub use types::*;
