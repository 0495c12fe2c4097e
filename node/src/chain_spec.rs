//! Chain specifications the node knows by name: `dev` and `local` (built from the runtime's
//! genesis presets); anything else is read as a chain-spec file.

use sc_service::{ChainType, Properties};
use starling_runtime::WASM_BINARY;

/// A chain spec of the Starling runtime, with no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What wallets and polkadot.js show: the STAR token with 12 decimals, SS58 prefix 42.
pub fn properties() -> Properties {
    let mut properties = Properties::new();
    properties.insert("tokenSymbol".into(), "STAR".into());
    properties.insert("tokenDecimals".into(), 12.into());
    properties.insert("ss58Format".into(), 42.into());
    properties
}

fn from_preset(
    name: &str,
    id: &str,
    chain_type: ChainType,
    preset: &str,
) -> Result<ChainSpec, String> {
    let wasm = WASM_BINARY.ok_or_else(|| {
        "This node was built without its wasm runtime (SKIP_WASM_BUILD): it cannot build a chain spec"
            .to_string()
    })?;
    Ok(ChainSpec::builder(wasm, None)
        .with_name(name)
        .with_id(id)
        .with_chain_type(chain_type)
        .with_genesis_config_preset_name(preset)
        .with_properties(properties())
        .with_protocol_id("star")
        .build())
}

/// The single-validator development chain (Alice).
pub fn development_config() -> Result<ChainSpec, String> {
    from_preset(
        "Starling Development",
        "starling_dev",
        ChainType::Development,
        sp_genesis_builder::DEV_RUNTIME_PRESET,
    )
}

/// The three-validator local network (Alice, Bob, Charlie).
pub fn local_testnet_config() -> Result<ChainSpec, String> {
    from_preset(
        "Starling Local Testnet",
        "starling_local",
        ChainType::Local,
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
    )
}

/// Resolves `--chain`: `dev`, `local`, or the path of a chain-spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
    Ok(match id {
        "dev" => Box::new(development_config()?),
        "" | "local" => Box::new(local_testnet_config()?),
        path => Box::new(ChainSpec::from_json_file(std::path::PathBuf::from(path))?),
    })
}
