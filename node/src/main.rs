//! `starling-node`: the Starling validator and full node.
//!
//! BABE block production, GRANDPA finality, ParityDB storage, the standard RPCs, and off-chain
//! workers whose heavy machine-learning work runs in the engine from `offchain-worker/`,
//! reached through host functions that exist only while an off-chain worker runs.

mod chain_spec;
mod cli;
mod command;
mod ml;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
    command::run()
}
