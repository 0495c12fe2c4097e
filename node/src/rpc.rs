//! The node's JSON-RPC extensions beyond the standard `sc-rpc` set: account nonces
//! (`system_accountNextIndex`), fee queries (`payment_*`), BABE (`babe_epochAuthorship`) and
//! `ml_evaluate`, which scores a model with this node's ML engine (dApps use it to show a
//! model's test error; alliance demos to follow the global model).

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
/// `TrainResult` (parameters, rows) — e.g. the centralised baseline of an alliance demo. Built-in datasets work on every node; local ones only on a node whose
/// manifest has them. Errors: `-32602` for a request that does not decode, `-32000` with the
/// engine's error otherwise.
pub fn ml_module(engine: starling_ml_engine::Engine) -> RpcModule<starling_ml_engine::Engine> {
    use codec::{Decode, Encode};
    use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
    use starling_ml_interface::{EvaluateRequest, MlBackend, TrainRequest};

    let mut module = RpcModule::new(engine);
    let registered = module.register_blocking_method("ml_evaluate", |params, engine, _| {
        let hex: String = params.one()?;
        let bytes = sp_core::bytes::from_hex(&hex).map_err(|e| {
            ErrorObject::owned(-32602, format!("request is not hex: {e}"), None::<()>)
        })?;
        let request = EvaluateRequest::decode(&mut &bytes[..]).map_err(|e| {
            ErrorObject::owned(-32602, format!("not an EvaluateRequest: {e}"), None::<()>)
        })?;
        engine.evaluate(request).map(|r| r.score).map_err(|e| -> ErrorObjectOwned {
            ErrorObject::owned(-32000, format!("{e:?}"), None::<()>)
        })
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_evaluate: {e}");
    }
    let registered = module.register_blocking_method("ml_train", |params, engine, _| {
        let hex: String = params.one()?;
        let bytes = sp_core::bytes::from_hex(&hex).map_err(|e| {
            ErrorObject::owned(-32602, format!("request is not hex: {e}"), None::<()>)
        })?;
        let request = TrainRequest::decode(&mut &bytes[..]).map_err(|e| {
            ErrorObject::owned(-32602, format!("not a TrainRequest: {e}"), None::<()>)
        })?;
        engine.train(request).map(|r| sp_core::bytes::to_hex(&r.encode(), false)).map_err(
            |e| -> ErrorObjectOwned { ErrorObject::owned(-32000, format!("{e:?}"), None::<()>) },
        )
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_train: {e}");
    }
    module
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
