//! `starling-node`: the Starling validator and full node.
//!
//! BABE block production, GRANDPA finality, ParityDB storage, the standard RPCs, and off-chain
//! workers whose heavy machine-learning work runs in the engine from `offchain-worker/`,
//! reached through host functions that exist only while an off-chain worker runs.

// `sc_cli::Error` and `sc_service::Error` are upstream types that every Substrate node returns.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod market;
mod market_endpoint;
mod ml;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
    command::run()
}
