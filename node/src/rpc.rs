//! The node's JSON-RPC extensions beyond the standard `sc-rpc` set: account nonces
//! (`system_accountNextIndex`), fee queries (`payment_*`), BABE (`babe_epochAuthorship`) and
//! the `ml_*` methods of this node's ML engine: `ml_evaluate` scores a model (dApps use it to
//! show a model's test error; alliance demos to follow the global model), `ml_train` fits one,
//! and `ml_datasetHash` gives the content hash an arena task creator commits to.

use jsonrpsee::RpcModule;
use sc_consensus_babe::BabeWorkerHandle;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use sp_consensus::SelectChain;
use sp_keystore::KeystorePtr;
use starling_runtime::{opaque::Block, AccountId, Balance, Nonce};
use std::sync::Arc;

/// What the BABE RPC needs.
pub struct BabeDeps<SC> {
    /// Handle to the BABE worker, for epoch data.
    pub worker_handle: BabeWorkerHandle<Block>,
    /// The node's keystore, to tell which slots it may author.
    pub keystore: KeystorePtr,
    /// The chain selection rule.
    pub select_chain: SC,
}

/// Everything the RPC extensions need.
pub struct FullDeps<C, P, SC> {
    /// The client.
    pub client: Arc<C>,
    /// The transaction pool.
    pub pool: Arc<P>,
    /// BABE dependencies.
    pub babe: BabeDeps<SC>,
    /// The node's ML engine.
    pub engine: starling_ml_engine::Engine,
}

/// `ml_evaluate(request)`: `request` is a hex SCALE-encoded `starling_ml_interface::EvaluateRequest`
/// (family, schema, dataset, parameters, metric); the answer is the score scaled by
/// `SCORE_SCALE`. `ml_train(request)`: a hex SCALE `TrainRequest`; the answer is the hex SCALE
/// `TrainResult` (parameters, rows) — e.g. the centralised baseline of an alliance demo.
/// `ml_datasetHash(dataset)`: a hex SCALE `DatasetRef`; the answer is the hex content hash of
/// the rows it selects (see `starling_ml_interface::DATASET_HASH_DOMAIN`). Built-in datasets
/// work on every node; local ones only on a node whose manifest has them. Errors: `-32602`
/// for a request that does not decode, `-32000` with the engine's error otherwise.
pub fn ml_module(engine: starling_ml_engine::Engine) -> RpcModule<starling_ml_engine::Engine> {
    use codec::Encode;
    use starling_ml_interface::{DatasetRef, EvaluateRequest, MlBackend, TrainRequest};

    let mut module = RpcModule::new(engine);
    let registered = module.register_blocking_method("ml_evaluate", |params, engine, _| {
        let request: EvaluateRequest = scale_param(&params, "an EvaluateRequest")?;
        engine.evaluate(request).map(|r| r.score).map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_evaluate: {e}");
    }
    let registered = module.register_blocking_method("ml_train", |params, engine, _| {
        let request: TrainRequest = scale_param(&params, "a TrainRequest")?;
        engine
            .train(request)
            .map(|r| sp_core::bytes::to_hex(&r.encode(), false))
            .map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_train: {e}");
    }
    let registered = module.register_blocking_method("ml_datasetHash", |params, engine, _| {
        let dataset: DatasetRef = scale_param(&params, "a DatasetRef")?;
        engine
            .dataset_hash(&dataset)
            .map(|hash| sp_core::bytes::to_hex(&hash, false))
            .map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_datasetHash: {e}");
    }
    module
}

/// The single parameter of an `ml_*` call: hex SCALE of a `T` (`what` names it in errors).
fn scale_param<T: codec::Decode>(
    params: &jsonrpsee::types::Params<'_>,
    what: &str,
) -> Result<T, jsonrpsee::types::ErrorObjectOwned> {
    use jsonrpsee::types::ErrorObject;
    let hex: String = params.one()?;
    let bytes = sp_core::bytes::from_hex(&hex)
        .map_err(|e| ErrorObject::owned(-32602, format!("not hex: {e}"), None::<()>))?;
    T::decode(&mut &bytes[..])
        .map_err(|e| ErrorObject::owned(-32602, format!("not {what}: {e}"), None::<()>))
}

/// An engine error as a JSON-RPC error (`-32000`, the error's name).
fn engine_error(e: starling_ml_interface::MlError) -> jsonrpsee::types::ErrorObjectOwned {
    jsonrpsee::types::ErrorObject::owned(-32000, format!("{e:?}"), None::<()>)
}

/// Builds the RPC extensions of a full node.
pub fn create_full<C, P, SC>(
    deps: FullDeps<C, P, SC>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + HeaderMetadata<Block, Error = BlockChainError>
        + Send
        + Sync
        + 'static,
    C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
    C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
    C::Api: sp_consensus_babe::BabeApi<Block>,
    C::Api: BlockBuilder<Block>,
    P: TransactionPool + 'static,
    SC: SelectChain<Block> + Clone + 'static,
{
    use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
    use sc_consensus_babe_rpc::{Babe, BabeApiServer};
    use substrate_frame_rpc_system::{System, SystemApiServer};

    let FullDeps { client, pool, babe, engine } = deps;
    let mut module = RpcModule::new(());
    module.merge(ml_module(engine))?;
    module.merge(System::new(Arc::clone(&client), pool).into_rpc())?;
    module.merge(TransactionPayment::new(Arc::clone(&client)).into_rpc())?;
    module.merge(
        Babe::new(client, babe.worker_handle, babe.keystore, babe.select_chain).into_rpc(),
    )?;
    Ok(module)
}
