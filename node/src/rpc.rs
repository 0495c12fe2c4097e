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

/// Most solver iterations an `ml_train` caller may ask for.
pub const RPC_MAX_ITERATIONS: u32 = 10_000;

/// Most `ml_*` jobs this node runs for RPC callers at once; further calls are refused
/// (`-32005`) rather than queued, so that a flood cannot occupy the blocking pool.
pub const RPC_MAX_CONCURRENT_JOBS: usize = 2;

/// `ml_evaluate(request)`: `request` is a hex SCALE-encoded `starling_ml_interface::EvaluateRequest`
/// (family, schema, dataset, parameters, metric); the answer is the score scaled by
/// `SCORE_SCALE`. `ml_train(request)`: a hex SCALE `TrainRequest`; the answer is the hex SCALE
/// `TrainResult` (parameters, rows) — e.g. the centralised baseline of an alliance demo.
/// `ml_datasetHash(dataset)`: a hex SCALE `DatasetRef`; the answer is the hex content hash of
/// the rows it selects (see `starling_ml_interface::DATASET_HASH_DOMAIN`).
///
/// These are **unsafe** RPC methods: refused unless the node runs with `--rpc-methods unsafe`
/// (or `auto` on a local interface), since each call costs CPU. They serve **built-in datasets
/// only**: a request naming a local dataset is refused (`LocalDataRefused`), whatever worker
/// key it names — private rows are read only by the node's own off-chain workers. `ml_train`
/// takes at most [`RPC_MAX_ITERATIONS`] iterations and no label flipping; at most
/// [`RPC_MAX_CONCURRENT_JOBS`] jobs run at once.
///
/// Errors: `-32602` for a request that does not decode or exceeds a bound; `-32601` when
/// unsafe methods are denied; `-32005` when [`RPC_MAX_CONCURRENT_JOBS`] jobs are running;
/// `-32000` with the engine's error name otherwise (e.g. `LocalDataRefused`).
pub fn ml_module(engine: starling_ml_engine::Engine) -> RpcModule<MlRpc> {
    use codec::Encode;
    use starling_ml_interface::{DatasetRef, EvaluateRequest, MlBackend, TrainRequest};

    let mut module = RpcModule::new(MlRpc { engine, running: Default::default() });
    let registered = module.register_blocking_method("ml_evaluate", |params, rpc, ext| {
        check_if_safe(&ext)?;
        let request: EvaluateRequest = scale_param(&params, "an EvaluateRequest")?;
        public_only(&request.dataset)?;
        off_chain_only(request.worker)?;
        let _slot = rpc.slot()?;
        rpc.engine.evaluate(request).map(|r| r.score).map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_evaluate: {e}");
    }
    let registered = module.register_blocking_method("ml_train", |params, rpc, ext| {
        check_if_safe(&ext)?;
        let request: TrainRequest = scale_param(&params, "a TrainRequest")?;
        public_only(&request.dataset)?;
        if request.hyper.max_iterations > RPC_MAX_ITERATIONS {
            return Err(invalid_param(format!(
                "max_iterations {} is above this node's RPC limit of {RPC_MAX_ITERATIONS}",
                request.hyper.max_iterations
            )));
        }
        off_chain_only(request.worker)?;
        let _slot = rpc.slot()?;
        rpc.engine
            .train(request)
            .map(|r| sp_core::bytes::to_hex(&r.encode(), false))
            .map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_train: {e}");
    }
    let registered = module.register_blocking_method("ml_datasetHash", |params, rpc, ext| {
        check_if_safe(&ext)?;
        let dataset: DatasetRef = scale_param(&params, "a DatasetRef")?;
        public_only(&dataset)?;
        let _slot = rpc.slot()?;
        rpc.engine
            .dataset_hash(&dataset)
            .map(|hash| sp_core::bytes::to_hex(&hash, false))
            .map_err(engine_error)
    });
    if let Err(e) = registered {
        log::error!("cannot register ml_datasetHash: {e}");
    }
    module
}

/// State of the `ml_*` methods: an engine handle that serves built-in datasets only, and the
/// number of jobs running.
pub struct MlRpc {
    engine: starling_ml_engine::Engine,
    running: std::sync::atomic::AtomicUsize,
}

/// One of the [`RPC_MAX_CONCURRENT_JOBS`] job slots; freed when dropped.
struct Slot<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl MlRpc {
    /// Takes a job slot, or refuses the call when all are taken.
    fn slot(&self) -> Result<Slot<'_>, jsonrpsee::types::ErrorObjectOwned> {
        use std::sync::atomic::Ordering;
        let taken = self.running.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < RPC_MAX_CONCURRENT_JOBS).then_some(n.saturating_add(1))
        });
        match taken {
            Ok(_) => Ok(Slot(&self.running)),
            Err(_) => Err(jsonrpsee::types::ErrorObject::owned(
                -32005,
                format!("busy: {RPC_MAX_CONCURRENT_JOBS} ML jobs are running; try again later"),
                None::<()>,
            )),
        }
    }
}

/// Refuses the call unless unsafe RPC methods are allowed (`--rpc-methods unsafe`, or `auto`
/// on a local interface).
fn check_if_safe(ext: &jsonrpsee::Extensions) -> Result<(), jsonrpsee::types::ErrorObjectOwned> {
    let denied = ext.get::<sc_rpc::DenyUnsafe>().is_none_or(|deny| deny.check_if_safe().is_err());
    if denied {
        return Err(jsonrpsee::types::ErrorObject::owned(
            -32601,
            "RPC call is unsafe to be called externally (start the node with --rpc-methods unsafe)",
            None::<()>,
        ));
    }
    Ok(())
}

/// Refuses a local (private) dataset: the RPC serves built-in datasets only.
fn public_only(
    dataset: &starling_ml_interface::DatasetRef,
) -> Result<(), jsonrpsee::types::ErrorObjectOwned> {
    match dataset {
        starling_ml_interface::DatasetRef::BuiltIn { .. } => Ok(()),
        starling_ml_interface::DatasetRef::Local { .. } => {
            Err(engine_error(starling_ml_interface::MlError::LocalDataRefused))
        },
    }
}

/// Refuses a request that names a worker key: only the node's own off-chain jobs run for one.
fn off_chain_only(
    worker: Option<starling_ml_interface::WorkerKey>,
) -> Result<(), jsonrpsee::types::ErrorObjectOwned> {
    match worker {
        None => Ok(()),
        Some(_) => Err(invalid_param("worker is set only by the node's off-chain jobs".into())),
    }
}

/// A `-32602` error with `message`.
fn invalid_param(message: String) -> jsonrpsee::types::ErrorObjectOwned {
    jsonrpsee::types::ErrorObject::owned(-32602, message, None::<()>)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use codec::Encode;
    use starling_ml_interface::{
        BuiltInDataset, DatasetRef, EvaluateRequest, HyperParams, LabelKind, Metric, ModelFamily,
        Params, Schema, Slice, TrainRequest,
    };

    /// The `ml_*` module as the RPC server would run it, with `deny` as the node's policy.
    fn module(deny: sc_rpc::DenyUnsafe, data: Option<std::path::PathBuf>) -> RpcModule<MlRpc> {
        let mut module = ml_module(starling_ml_engine::Engine::new(data).unwrap());
        module.extensions_mut().insert(deny);
        module
    }

    fn hex<T: Encode>(value: &T) -> String {
        sp_core::bytes::to_hex(&value.encode(), false)
    }

    fn call(module: &RpcModule<MlRpc>, method: &str, param: String) -> Result<String, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime
            .block_on(module.call::<_, serde_json::Value>(method, [param]))
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }

    fn diabetes() -> DatasetRef {
        DatasetRef::BuiltIn { dataset: BuiltInDataset::Diabetes, slice: Slice::ALL }
    }

    /// A data directory whose manifest lists `patients` for worker key `0xaa…`.
    fn private_data() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("starling-rpc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("patients.csv"), "x,y\n1,2\n2,4\n3,6\n").unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            format!(
                r#"{{"datasets": {{"patients": {{"file": "patients.csv", "label": "y", "workers": ["{}"], "roles": ["FlParticipant"]}}}}}}"#,
                "aa".repeat(32)
            ),
        )
        .unwrap();
        dir
    }

    #[test]
    fn ml_methods_are_unsafe() {
        let denied = module(sc_rpc::DenyUnsafe::Yes, None);
        for method in ["ml_datasetHash", "ml_evaluate", "ml_train"] {
            let refused = call(&denied, method, hex(&diabetes())).unwrap_err();
            assert!(refused.contains("unsafe"), "{method}: {refused}");
        }
        let allowed = module(sc_rpc::DenyUnsafe::No, None);
        assert!(call(&allowed, "ml_datasetHash", hex(&diabetes())).unwrap().starts_with("\"0x"));
    }

    /// Security review §1, attack A: an RPC caller names a participant's worker key to read
    /// its private rows. Refused, even on a node whose manifest lists that key.
    #[test]
    fn ml_methods_refuse_private_datasets() {
        let rpc = module(sc_rpc::DenyUnsafe::No, Some(private_data()));
        let private = DatasetRef::Local {
            id: b"patients".to_vec().try_into().unwrap(),
            worker: [0xaa; 32],
            role: starling_ml_interface::Role::FlParticipant,
            slice: Slice {
                seed: 0,
                split: starling_ml_interface::Split::All,
                test_permille: 0,
                shard_index: 1,
                shard_count: 3,
            },
        };
        let refused = call(&rpc, "ml_datasetHash", hex(&private)).unwrap_err();
        assert!(refused.contains("LocalDataRefused"), "{refused}");
        let schema = Schema { features: 1, label: LabelKind::Continuous };
        let train = TrainRequest {
            family: ModelFamily::LinearOls,
            schema,
            dataset: private,
            init: None,
            hyper: HyperParams::default(),
            worker: None,
        };
        let refused = call(&rpc, "ml_train", hex(&train)).unwrap_err();
        assert!(refused.contains("LocalDataRefused"), "{refused}");
    }

    /// Only the node's own off-chain jobs name a worker key: an RPC request that sets one is
    /// refused by both methods, and the same request without it is served.
    #[test]
    fn requests_naming_a_worker_key_are_refused() {
        let rpc = module(sc_rpc::DenyUnsafe::No, None);
        let schema = Schema { features: 10, label: LabelKind::Continuous };
        let mut evaluate = EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema,
            dataset: diabetes(),
            params: Params::truncate_from(vec![0; 11]),
            metric: Metric::Mse,
            data_hash: None,
            worker: Some([1; 32]),
        };
        let refused = call(&rpc, "ml_evaluate", hex(&evaluate)).unwrap_err();
        assert!(refused.contains("worker"), "{refused}");
        evaluate.worker = None;
        assert!(call(&rpc, "ml_evaluate", hex(&evaluate)).is_ok());
    }

    #[test]
    fn ml_train_bounds_the_callers_budget() {
        let rpc = module(sc_rpc::DenyUnsafe::No, None);
        let mut train = TrainRequest {
            family: ModelFamily::LinearOls,
            schema: Schema { features: 10, label: LabelKind::Continuous },
            dataset: diabetes(),
            init: None,
            hyper: HyperParams { max_iterations: RPC_MAX_ITERATIONS + 1, ..HyperParams::default() },
            worker: None,
        };
        let refused = call(&rpc, "ml_train", hex(&train)).unwrap_err();
        assert!(refused.contains("max_iterations"), "{refused}");
        train.hyper.max_iterations = RPC_MAX_ITERATIONS;
        train.worker = Some([1; 32]);
        let refused = call(&rpc, "ml_train", hex(&train)).unwrap_err();
        assert!(refused.contains("worker"), "{refused}");
        train.worker = None;
        assert!(call(&rpc, "ml_train", hex(&train)).is_ok());
    }

    #[test]
    fn ml_jobs_beyond_the_concurrency_bound_are_refused() {
        let rpc =
            MlRpc { engine: starling_ml_engine::Engine::default(), running: Default::default() };
        let slots: Vec<_> = (0..RPC_MAX_CONCURRENT_JOBS).map(|_| rpc.slot().unwrap()).collect();
        let busy = rpc.slot().err().unwrap();
        assert_eq!(busy.code(), -32005);
        drop(slots);
        assert!(rpc.slot().is_ok());
    }
}
