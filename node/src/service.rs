//! The node service: client, ParityDB backend, BABE block import and authoring, GRANDPA
//! finality, networking, RPC and off-chain workers.

use crate::cli::MlOptions;
use futures::FutureExt;
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_babe::{BabeWorkerHandle, SlotProportion};
use sc_consensus_grandpa::SharedVoterState;
use sc_network::NetworkBackend;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_keystore::Keystore;
use starling_runtime::{opaque::Block, RuntimeApi};
use std::{sync::Arc, time::Duration};

/// The host functions the node's executor offers the runtime: Substrate's own plus the
/// machine-learning functions of `offchain-worker/`. The ML functions answer only inside
/// off-chain workers, where the engine is registered as an externalities extension.
pub type HostFunctions = (sp_io::SubstrateHostFunctions, starling_ml_interface::ml::HostFunctions);

/// The executor of the runtime.
pub type RuntimeExecutor = sc_executor::WasmExecutor<HostFunctions>;
/// The full client.
pub type FullClient = sc_service::TFullClient<Block, RuntimeApi, RuntimeExecutor>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
type FullGrandpaBlockImport =
    sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;

/// GRANDPA justifications are imported at least this often, so that light and warp-syncing
/// peers have recent finality proofs.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// Consensus pieces created with the client and used again when the node starts.
pub struct ConsensusParts {
    block_import: sc_consensus_babe::BabeBlockImport<
        Block,
        FullClient,
        FullGrandpaBlockImport,
        CreateInherentData,
        FullSelectChain,
    >,
    babe_link: sc_consensus_babe::BabeLink<Block>,
    babe_worker_handle: BabeWorkerHandle<Block>,
    grandpa_link: sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
    telemetry: Option<Telemetry>,
}

/// What BABE's block import and authoring put into every block: the timestamp and the slot.
#[derive(Clone, Copy)]
pub struct CreateInherentData {
    slot_duration: sp_consensus_babe::SlotDuration,
}

#[async_trait::async_trait]
impl sp_inherents::CreateInherentDataProviders<Block, ()> for CreateInherentData {
    type InherentDataProviders =
        (sp_consensus_babe::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider);

    async fn create_inherent_data_providers(
        &self,
        _parent: <Block as sp_runtime::traits::Block>::Hash,
        _extra: (),
    ) -> Result<Self::InherentDataProviders, Box<dyn std::error::Error + Send + Sync>> {
        let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
        let slot =
            sp_consensus_babe::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
                *timestamp,
                self.slot_duration,
            );
        Ok((slot, timestamp))
    }
}

/// The parts of the service that subcommands (`check-block`, `revert`, ...) need too.
pub type Service = sc_service::PartialComponents<
    FullClient,
    FullBackend,
    FullSelectChain,
    sc_consensus::DefaultImportQueue<Block>,
    FullPool,
    ConsensusParts,
>;

/// Builds the client, database, transaction pool and the BABE/GRANDPA import pipeline.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
    let telemetry = config
        .telemetry_endpoints
        .clone()
        .filter(|endpoints| !endpoints.is_empty())
        .map(|endpoints| -> Result<_, sc_telemetry::Error> {
            let worker = TelemetryWorker::new(16)?;
            let telemetry = worker.handle().new_telemetry(endpoints);
            Ok((worker, telemetry))
        })
        .transpose()?;

    let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
    let (client, backend, keystore_container, task_manager) =
        sc_service::new_full_parts::<Block, RuntimeApi, _>(
            config,
            telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
            executor,
            Vec::new(),
        )?;
    let client = Arc::new(client);

    let telemetry = telemetry.map(|(worker, telemetry)| {
        task_manager.spawn_handle().spawn("telemetry", None, worker.run());
        telemetry
    });

    let select_chain = sc_consensus::LongestChain::new(Arc::clone(&backend));

    let transaction_pool = Arc::from(
        sc_transaction_pool::Builder::new(
            task_manager.spawn_essential_handle(),
            Arc::clone(&client),
            config.role.is_authority().into(),
        )
        .with_options(config.transaction_pool.clone())
        .with_prometheus(config.prometheus_registry())
        .build(),
    );

    let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
        Arc::clone(&client),
        GRANDPA_JUSTIFICATION_PERIOD,
        &(Arc::clone(&client) as Arc<_>),
        select_chain.clone(),
        telemetry.as_ref().map(|telemetry| telemetry.handle()),
    )?;
    let justification_import = grandpa_block_import.clone();

    let babe_config = sc_consensus_babe::configuration(&*client)?;
    let slot_duration = babe_config.slot_duration();
    let (block_import, babe_link) = sc_consensus_babe::block_import(
        babe_config,
        grandpa_block_import,
        Arc::clone(&client),
        CreateInherentData { slot_duration },
        select_chain.clone(),
        OffchainTransactionPoolFactory::new(Arc::clone(&transaction_pool)),
    )?;

    let (import_queue, babe_worker_handle) =
        sc_consensus_babe::import_queue(sc_consensus_babe::ImportQueueParams {
            link: babe_link.clone(),
            block_import: block_import.clone(),
            justification_import: Some(Box::new(justification_import)),
            client: Arc::clone(&client),
            slot_duration,
            spawner: &task_manager.spawn_essential_handle(),
            registry: config.prometheus_registry(),
            telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
        })?;

    Ok(sc_service::PartialComponents {
        client,
        backend,
        task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: ConsensusParts {
            block_import,
            babe_link,
            babe_worker_handle,
            grandpa_link,
            telemetry,
        },
    })
}

/// Starts a full node with the network backend the configuration asks for.
pub fn new_full(config: Configuration, ml: MlOptions) -> Result<TaskManager, ServiceError> {
    match config.network.network_backend {
        sc_network::config::NetworkBackendType::Libp2p => new_full_with::<
            sc_network::NetworkWorker<Block, <Block as sp_runtime::traits::Block>::Hash>,
        >(config, ml),
        sc_network::config::NetworkBackendType::Litep2p => {
            new_full_with::<sc_network::Litep2pNetworkBackend>(config, ml)
        },
    }
}

fn new_full_with<N>(config: Configuration, ml: MlOptions) -> Result<TaskManager, ServiceError>
where
    N: NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
{
    let sc_service::PartialComponents {
        client,
        backend,
        mut task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other:
            ConsensusParts { block_import, babe_link, babe_worker_handle, grandpa_link, mut telemetry },
    } = new_partial(&config)?;

    // Off-chain workers sign with the worker key. On development chains (`--dev`, `--alice`,
    // ...) the node inserts the dev seed's worker key so that workers act from the start.
    if let Some(seed) = config.dev_key_seed.as_deref() {
        keystore_container
            .keystore()
            .sr25519_generate_new(starling_runtime::worker::KEY_TYPE, Some(seed))
            .map_err(|e| ServiceError::Other(format!("cannot insert the dev worker key: {e}")))?;
    }

    let genesis_hash = client
        .block_hash(0)?
        .ok_or_else(|| ServiceError::Other("the database has no genesis block".into()))?;
    let mut net_config = sc_network::config::FullNetworkConfiguration::<
        Block,
        <Block as sp_runtime::traits::Block>::Hash,
        N,
    >::new(&config.network, config.prometheus_registry().cloned());
    let metrics = N::register_notification_metrics(config.prometheus_registry());
    let grandpa_protocol_name =
        sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
    let (grandpa_protocol_config, grandpa_notification_service) =
        sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
            grandpa_protocol_name.clone(),
            metrics.clone(),
            net_config.peer_store_handle(),
        );
    net_config.add_notification_protocol(grandpa_protocol_config);

    let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
        Arc::clone(&backend),
        grandpa_link.shared_authority_set().clone(),
        Vec::new(),
    ));

    let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
        sc_service::build_network(sc_service::BuildNetworkParams {
            config: &config,
            net_config,
            client: Arc::clone(&client),
            transaction_pool: Arc::clone(&transaction_pool),
            spawn_handle: task_manager.spawn_handle(),
            spawn_essential_handle: task_manager.spawn_essential_handle(),
            import_queue,
            block_announce_validator_builder: None,
            warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
            block_relay: None,
            metrics,
            gap_sync_body_policy: None,
        })?;

    // Demonstration misbehaviour (`--arena-dishonest`, `--alliance-poison`) exists only on
    // development and local chains: elsewhere the workers get the plain engine.
    let demo: Option<starling_ml_engine::demo::SettingsReader> =
        match config.chain_spec.chain_type() {
            sc_service::ChainType::Development | sc_service::ChainType::Local => {
                backend.offchain_storage().map(|storage| {
                    let read: starling_ml_engine::demo::SettingsReader = Arc::new(move |key| {
                        sp_core::offchain::OffchainStorage::get(
                            &storage,
                            sp_core::offchain::STORAGE_PREFIX,
                            key,
                        )
                    });
                    read
                })
            },
            _ => None,
        };
    let bonded = {
        let client = Arc::clone(&client);
        move |worker: &starling_ml_interface::WorkerKey, role| {
            let best = sp_blockchain::HeaderBackend::info(&*client).best_hash;
            let read = |key: &[u8]| {
                sc_client_api::StorageProvider::storage(
                    &*client,
                    best,
                    &sp_core::storage::StorageKey(key.to_vec()),
                )
                .ok()
                .flatten()
                .map(|data| data.0)
            };
            crate::ml::bonded_for(read, worker, role)
        }
    };
    let extensions =
        crate::ml::OffchainExtensions::new(&ml, keystore_container.keystore(), bonded, demo)
            .map_err(|e| ServiceError::Other(format!("--ml-data: {e}")))?;
    let rpc_engine = extensions.engine();
    if config.offchain_worker.enabled {
        if let Some(mut storage) = backend.offchain_storage() {
            crate::ml::write_worker_settings(&mut storage, &ml, config.chain_spec.chain_type())
                .map_err(ServiceError::Other)?;
        }
        let offchain_workers =
            sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
                runtime_api_provider: Arc::clone(&client),
                is_validator: config.role.is_authority(),
                keystore: Some(keystore_container.keystore()),
                offchain_db: backend.offchain_storage(),
                transaction_pool: Some(OffchainTransactionPoolFactory::new(Arc::clone(
                    &transaction_pool,
                ))),
                network_provider: Arc::new(Arc::clone(&network)),
                // No off-chain worker fetches anything: models are revealed inline.
                enable_http_requests: false,
                custom_extensions: move |_| extensions.for_block(),
            })?;
        task_manager.spawn_handle().spawn(
            "offchain-workers-runner",
            "offchain-worker",
            offchain_workers.run(Arc::clone(&client), task_manager.spawn_handle()).boxed(),
        );
    }

    let role = config.role;
    let force_authoring = config.force_authoring;
    let name = config.network.node_name.clone();
    let enable_grandpa = !config.disable_grandpa;
    let prometheus_registry = config.prometheus_registry().cloned();

    let offchain_db = backend.offchain_storage().ok_or_else(|| {
        ServiceError::Other("the database has no off-chain storage for vouchers".into())
    })?;
    if let Some(addr) = ml.market_listen {
        let market = Arc::new(crate::market::Market::new(
            crate::market::ClientView::new(Arc::clone(&client), keystore_container.keystore()),
            rpc_engine.clone(),
            offchain_db,
        ));
        let limits = (ml.market_rate_limit > 0).then(|| {
            Arc::new(crate::market_endpoint::ClientLimits::new(
                ml.market_rate_limit,
                ml.market_rate_limit.saturating_mul(2),
            ))
        });
        crate::market_endpoint::start(addr, market, limits, &task_manager.spawn_handle())
            .map_err(ServiceError::Other)?;
    }
    let rpc_builder = {
        let client = Arc::clone(&client);
        let pool = Arc::clone(&transaction_pool);
        let keystore = keystore_container.keystore();
        let select_chain = select_chain.clone();
        Box::new(move |_| {
            let deps = crate::rpc::FullDeps {
                client: Arc::clone(&client),
                pool: Arc::clone(&pool),
                engine: rpc_engine.clone(),
                babe: crate::rpc::BabeDeps {
                    worker_handle: babe_worker_handle.clone(),
                    keystore: Arc::clone(&keystore),
                    select_chain: select_chain.clone(),
                },
            };
            Ok(crate::rpc::create_full(deps)?)
        })
    };

    sc_service::spawn_tasks(sc_service::SpawnTasksParams {
        network: Arc::clone(&network),
        client: Arc::clone(&client),
        keystore: keystore_container.keystore(),
        task_manager: &mut task_manager,
        transaction_pool: Arc::clone(&transaction_pool),
        rpc_builder,
        backend,
        system_rpc_tx,
        tx_handler_controller,
        sync_service: Arc::clone(&sync_service),
        config,
        telemetry: telemetry.as_mut(),
        tracing_execute_block: None,
    })?;

    if role.is_authority() {
        let proposer = sc_basic_authorship::ProposerFactory::new(
            task_manager.spawn_handle(),
            Arc::clone(&client),
            Arc::clone(&transaction_pool),
            prometheus_registry.as_ref(),
            telemetry.as_ref().map(|telemetry| telemetry.handle()),
        );
        let slot_duration = babe_link.config().slot_duration();
        let babe = sc_consensus_babe::start_babe(sc_consensus_babe::BabeParams {
            keystore: keystore_container.keystore(),
            client: Arc::clone(&client),
            select_chain,
            env: proposer,
            block_import,
            sync_oracle: Arc::clone(&sync_service),
            justification_sync_link: Arc::clone(&sync_service),
            create_inherent_data_providers: CreateInherentData { slot_duration },
            force_authoring,
            backoff_authoring_blocks: None::<()>,
            babe_link,
            block_proposal_slot_portion: SlotProportion::new(0.5),
            max_block_proposal_slot_portion: None,
            telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
        })?;
        task_manager.spawn_essential_handle().spawn_blocking(
            "babe-proposer",
            Some("block-authoring"),
            babe,
        );
    }

    if enable_grandpa {
        // Non-authorities observe finality without a keystore: they never vote.
        let keystore = role.is_authority().then(|| keystore_container.keystore());
        let grandpa_config = sc_consensus_grandpa::Config {
            gossip_duration: Duration::from_millis(333),
            justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
            name: Some(name),
            observer_enabled: false,
            keystore,
            local_role: role,
            telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
            protocol_name: grandpa_protocol_name,
        };
        let voter = sc_consensus_grandpa::run_grandpa_voter(sc_consensus_grandpa::GrandpaParams {
            config: grandpa_config,
            link: grandpa_link,
            network,
            sync: sync_service,
            notification_service: grandpa_notification_service,
            voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
            prometheus_registry,
            shared_voter_state: SharedVoterState::empty(),
            telemetry: telemetry.as_ref().map(|telemetry| telemetry.handle()),
            offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
        })?;
        task_manager.spawn_essential_handle().spawn_blocking("grandpa-voter", None, voter);
    }

    Ok(task_manager)
}
