//! Command-line interface: `starling-node [subcommand] [options]`.

use std::path::PathBuf;

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management (`key insert`, `key generate`, `key inspect`, ...).
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Build a chain specification.
    BuildSpec(sc_cli::BuildSpecCmd),

    /// Export the chain specification of the chain selected with `--chain`.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Database meta columns information.
    ChainInfo(sc_cli::ChainInfoCmd),

    /// Runtime and pallet benchmarks (built only with the `runtime-benchmarks` feature).
    #[cfg(feature = "runtime-benchmarks")]
    #[command(subcommand)]
    Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}

/// Options specific to Starling's off-chain machine learning.
#[derive(Debug, Clone, clap::Args)]
pub struct MlOptions {
    /// Directory holding this node's private datasets and their `manifest.json`.
    ///
    /// Only model parameters and scores computed from these files ever leave the machine.
    #[arg(long = "ml-data", value_name = "DIR")]
    pub ml_data: Option<PathBuf>,
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
    /// A subcommand; without one the node runs.
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    /// Options for running the node.
    #[clap(flatten)]
    pub run: sc_cli::RunCmd,

    /// Off-chain machine-learning options.
    #[clap(flatten)]
    pub ml: MlOptions,
}
