//! The node's JSON-RPC extensions beyond the standard `sc-rpc` set: account nonces
//! (`system_accountNextIndex`), fee queries (`payment_*`) and BABE (`babe_epochAuthorship`).

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

    let FullDeps { client, pool, babe } = deps;
    let mut module = RpcModule::new(());
    module.merge(System::new(Arc::clone(&client), pool).into_rpc())?;
    module.merge(TransactionPayment::new(Arc::clone(&client)).into_rpc())?;
    module.merge(
        Babe::new(client, babe.worker_handle, babe.keystore, babe.select_chain).into_rpc(),
    )?;
    Ok(module)
}
