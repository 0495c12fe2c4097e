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

/// Options specific to Starling's off-chain machine learning and model serving.
#[derive(Debug, Clone, clap::Args)]
pub struct MlOptions {
    /// Serve paid inference (`marketplace_predict`) on this address, e.g. `0.0.0.0:9955` for
    /// a model host's public endpoint. Off by default: only a node that hosts models needs it.
    /// The node's RPC port does not serve the method (it cannot tell clients apart).
    #[arg(long = "market-listen", value_name = "IP:PORT")]
    pub market_listen: Option<std::net::SocketAddr>,

    /// Calls per second each client address may make to `--market-listen` on average, in
    /// bursts of up to twice as many; over it a call is refused with code -32029 and the time
    /// to wait. `0` turns the limit off (for load benchmarks from one machine).
    #[arg(long = "market-rate-limit", value_name = "CALLS", default_value_t = 20)]
    pub market_rate_limit: u32,

    /// Directory holding this node's private datasets and their `manifest.json`.
    ///
    /// Only model parameters and scores computed from these files ever leave the machine.
    #[arg(long = "ml-data", value_name = "DIR")]
    pub ml_data: Option<PathBuf>,

    /// Which shard of an arena task's public training data this node's trainers train on,
    /// as `INDEX/COUNT` (e.g. `1/3`); by default all of it. Different nodes can so submit
    /// different models.
    #[arg(long = "arena-train-shard", value_name = "INDEX/COUNT", value_parser = parse_shard)]
    pub arena_train_shard: Option<(u16, u16)>,

    /// L2 (ridge) penalty this node's arena trainers fit with, e.g. `0.01` or `10`
    /// (default `1`). Trainers compete with their own model settings.
    #[arg(long = "arena-train-l2", value_name = "LAMBDA", value_parser = parse_l2)]
    pub arena_train_l2: Option<u64>,

    /// Most solver iterations this node's arena trainers run (default 1000).
    #[arg(long = "arena-train-iterations", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub arena_train_iterations: Option<u32>,

    /// Development and local chains only: this node's arena committee workers reveal false
    /// scores (`random`, or `copy` the first entry's score everywhere), to demonstrate
    /// slashing.
    #[arg(long = "arena-dishonest", value_name = "MODE", value_enum)]
    pub arena_dishonest: Option<DishonestMode>,

    /// Which shard of a built-in dataset this node's alliance participants hold, as
    /// `INDEX/COUNT` (demos; real participants use their own `--ml-data` datasets). A
    /// participant's own setting (`offchain_localStorageSet`) takes precedence.
    #[arg(long = "alliance-shard", value_name = "INDEX/COUNT", value_parser = parse_shard)]
    pub alliance_shard: Option<(u16, u16)>,

    /// Development and local chains only: this node's alliance participants misbehave
    /// (`sign-flip`: propose the honest change sign-flipped × 3; `label-flip`: train on
    /// flipped labels; `dishonest-votes`: vote the opposite of what they measure), to
    /// demonstrate the defences.
    #[arg(long = "alliance-poison", value_name = "MODE", value_enum)]
    pub alliance_poison: Option<PoisonMode>,
}

/// How a poisoning alliance participant misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PoisonMode {
    /// Sign-flipped, tripled updates.
    SignFlip,
    /// Inverted votes.
    DishonestVotes,
    /// Updates trained on flipped labels.
    LabelFlip,
}

/// How a dishonest committee worker lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DishonestMode {
    /// Random scores.
    Random,
    /// The first entry's score for every entry.
    Copy,
}

/// Parses `INDEX/COUNT` with `INDEX < COUNT`.
fn parse_shard(value: &str) -> Result<(u16, u16), String> {
    let (index, count) =
        value.split_once('/').ok_or_else(|| format!("expected INDEX/COUNT, got `{value}`"))?;
    let index: u16 = index.trim().parse().map_err(|e| format!("shard index `{index}`: {e}"))?;
    let count: u16 = count.trim().parse().map_err(|e| format!("shard count `{count}`: {e}"))?;
    if count == 0 || index >= count {
        return Err(format!("shard index must be below the count, got {index}/{count}"));
    }
    Ok((index, count))
}

/// Parses a non-negative decimal L2 penalty into the engine's fixed point (`PARAM_SCALE`).
fn parse_l2(value: &str) -> Result<u64, String> {
    let lambda: f64 = value.trim().parse().map_err(|e| format!("L2 penalty `{value}`: {e}"))?;
    if !lambda.is_finite() || !(0.0..=1e6).contains(&lambda) {
        return Err(format!("the L2 penalty must be between 0 and 1000000, got {value}"));
    }
    // In range by the check above; the engine reads it back as `l2 / PARAM_SCALE`.
    #[allow(clippy::float_arithmetic, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let fixed = (lambda * starling_ml_interface::PARAM_SCALE as f64).round() as u64;
    Ok(fixed)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn l2_penalties_parse_into_fixed_point_and_bad_ones_are_named() {
        assert_eq!(parse_l2("0.001"), Ok(1_000));
        assert_eq!(parse_l2(" 2 "), Ok(2_000_000));
        assert_eq!(parse_l2("0"), Ok(0));
        for bad in ["-1", "nan", "inf", "1e7", "ridge"] {
            let error = parse_l2(bad).unwrap_err();
            assert!(error.contains(bad) || error.contains("between"), "{bad}: {error}");
        }
    }

    #[test]
    fn shards_parse_and_bad_ones_are_named() {
        assert_eq!(parse_shard("1/3"), Ok((1, 3)));
        assert!(parse_shard("3/3").unwrap_err().contains("below the count"));
        assert!(parse_shard("1").unwrap_err().contains("INDEX/COUNT"));
    }
}
