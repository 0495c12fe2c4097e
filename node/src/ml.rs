//! Wiring of the ML engine into the node's off-chain workers.
//!
//! The engine is registered as an externalities extension through `sc_offchain`'s
//! `custom_extensions`, so the `Ml` host functions answer only during off-chain-worker calls.
//! Block import and block authoring run without it and get `EngineUnavailable`: consensus
//! never depends on ML results computed on this machine.
//!
//! Private (local) datasets are served only to the off-chain workers' handle, only for worker
//! keys in this node's keystore, and only in a role the key's operator is bonded for on chain
//! (and the manifest lists for the dataset); the RPC's handle serves built-in datasets only.

use crate::cli::{DishonestMode, MlOptions, PoisonMode};
use codec::{Decode, Encode};
use pallet_starling_alliance::offchain::SHARD_KEY;
use pallet_starling_arena::offchain::{TRAIN_HYPER_KEY, TRAIN_SHARD_KEY};
use sc_service::ChainType;
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use sp_externalities::Extension;
use sp_keystore::KeystorePtr;
use starling_ml_engine::{
    demo::{Dishonesty, Misbehaving, Poison, SettingsReader, DISHONEST_KEY, POISON_KEY},
    Engine,
};
use starling_ml_interface::{Role, WorkerKey};
use starling_runtime::{AccountId, Runtime};

/// Builds the extensions each off-chain-worker run gets.
pub struct OffchainExtensions {
    /// Built-in datasets only: for the RPC and the marketplace host.
    engine: Engine,
    /// Local datasets too, for the worker keys in the node's keystore: for off-chain workers.
    workers: Engine,
    /// On development and local chains, the workers' engine behind the demonstration
    /// decorator, which reads the misbehaviour settings from the off-chain database.
    demo: Option<Misbehaving>,
}

impl OffchainExtensions {
    /// Opens the engine on `--ml-data` (if given); fails on an unreadable directory or a bad
    /// manifest, so that an operator learns at start-up rather than at the first task.
    /// `keystore` is the node's: local datasets are served to off-chain jobs only for the
    /// worker keys it holds, and only in the roles `bonded` says the key's operator is bonded
    /// for on chain ([`bonded_for`] over the best block's state). `demo` (development and
    /// local chains only) reads the off-chain
    /// database's misbehaviour settings; the workers' engine is then the demonstration
    /// decorator, which misbehaves only where a setting says so.
    pub fn new(
        options: &MlOptions,
        keystore: KeystorePtr,
        bonded: impl Fn(&WorkerKey, Role) -> bool + Send + Sync + 'static,
        demo: Option<SettingsReader>,
    ) -> Result<Self, String> {
        if let Some(dir) = &options.ml_data {
            if !dir.is_dir() {
                return Err(format!("{} is not a directory", dir.display()));
            }
        }
        let engine = Engine::new(options.ml_data.clone()).map_err(|e| e.to_string())?;
        let workers = engine.for_own_keys(move |key, role| {
            keystore.has_keys(&[(key.to_vec(), starling_runtime::worker::KEY_TYPE)])
                && bonded(key, role)
        });
        let demo = demo.map(|read| Misbehaving::new(workers.clone(), read));
        Ok(Self { engine, workers, demo })
    }

    /// A handle on the engine that serves built-in datasets only (for the `ml_*` RPC and the
    /// marketplace host).
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// The extensions for one off-chain-worker run: the handle that serves local datasets
    /// for this node's own worker keys.
    pub fn for_block(&self) -> Vec<Box<dyn Extension>> {
        match &self.demo {
            Some(demo) => vec![Box::new(demo.extension())],
            None => vec![Box::new(self.workers.extension())],
        }
    }
}

/// Whether `worker`'s operator is bonded for `role` in the state `read` gives (the node passes
/// a read of the best block's storage): staking's `Workers` names the key's operator, and
/// `Operators` holds an entry for that operator in that role. A key registered to nobody, or
/// whose operator left the role, is bonded for nothing.
pub fn bonded_for(read: impl Fn(&[u8]) -> Option<Vec<u8>>, worker: &WorkerKey, role: Role) -> bool {
    let worker = AccountId::from(*worker);
    let Some(operator) =
        read(&pallet_starling_staking::Workers::<Runtime>::hashed_key_for(&worker))
            .and_then(|bytes| AccountId::decode(&mut &bytes[..]).ok())
    else {
        return false;
    };
    read(&pallet_starling_staking::Operators::<Runtime>::hashed_key_for(&operator, role)).is_some()
}

/// Passes this node's arena and alliance settings to its off-chain workers through persistent off-chain
/// storage (where the workers read them); clears settings a previous run left.
///
/// `--arena-dishonest` and `--alliance-poison` are refused outside development and local
/// chains.
pub fn write_worker_settings(
    storage: &mut impl OffchainStorage,
    options: &MlOptions,
    chain_type: ChainType,
) -> Result<(), String> {
    match options.arena_train_shard {
        Some(shard) => storage.set(STORAGE_PREFIX, TRAIN_SHARD_KEY, &shard.encode()),
        None => storage.remove(STORAGE_PREFIX, TRAIN_SHARD_KEY),
    }
    if options.arena_train_l2.is_some() || options.arena_train_iterations.is_some() {
        let default = starling_ml_interface::HyperParams::default();
        let hyper = starling_ml_interface::HyperParams {
            l2: options.arena_train_l2.unwrap_or(default.l2),
            max_iterations: options.arena_train_iterations.unwrap_or(default.max_iterations),
            ..default
        };
        storage.set(STORAGE_PREFIX, TRAIN_HYPER_KEY, &hyper.encode());
    } else {
        storage.remove(STORAGE_PREFIX, TRAIN_HYPER_KEY);
    }
    match options.arena_dishonest {
        Some(mode) => {
            if !matches!(chain_type, ChainType::Development | ChainType::Local) {
                return Err(
                    "--arena-dishonest is only allowed on development and local chains".into()
                );
            }
            let dishonesty = match mode {
                DishonestMode::Random => Dishonesty::RandomScores,
                DishonestMode::Copy => Dishonesty::CopiedScores,
            };
            log::warn!("arena workers of this node will reveal false scores ({mode:?})");
            storage.set(STORAGE_PREFIX, DISHONEST_KEY, &dishonesty.encode());
        },
        None => storage.remove(STORAGE_PREFIX, DISHONEST_KEY),
    }
    match options.alliance_shard {
        Some(shard) => storage.set(STORAGE_PREFIX, SHARD_KEY, &shard.encode()),
        None => storage.remove(STORAGE_PREFIX, SHARD_KEY),
    }
    match options.alliance_poison {
        Some(mode) => {
            if !matches!(chain_type, ChainType::Development | ChainType::Local) {
                return Err(
                    "--alliance-poison is only allowed on development and local chains".into()
                );
            }
            let poison = match mode {
                PoisonMode::SignFlip => Poison::SignFlip,
                PoisonMode::DishonestVotes => Poison::DishonestVotes,
                PoisonMode::LabelFlip => Poison::LabelFlip,
            };
            log::warn!("alliance workers of this node will misbehave ({mode:?})");
            storage.set(STORAGE_PREFIX, POISON_KEY, &poison.encode());
        },
        None => storage.remove(STORAGE_PREFIX, POISON_KEY),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use codec::Decode;
    use sp_core::offchain::storage::InMemOffchainStorage;
    use starling_ml_interface::HyperParams;

    fn options() -> MlOptions {
        MlOptions {
            market_listen: None,
            market_rate_limit: 20,
            ml_data: None,
            arena_train_shard: None,
            arena_train_l2: None,
            arena_train_iterations: None,
            arena_dishonest: None,
            alliance_shard: None,
            alliance_poison: None,
        }
    }

    fn read<T: Decode>(storage: &InMemOffchainStorage, key: &[u8]) -> Option<T> {
        storage.get(STORAGE_PREFIX, key).map(|bytes| T::decode(&mut &bytes[..]).unwrap())
    }

    #[test]
    fn training_settings_reach_the_workers_and_are_cleared_when_dropped() {
        let mut storage = InMemOffchainStorage::default();
        let settings = MlOptions { arena_train_l2: Some(2_500_000), ..options() };
        write_worker_settings(&mut storage, &settings, ChainType::Live).unwrap();
        let hyper: HyperParams = read(&storage, TRAIN_HYPER_KEY).unwrap();
        assert_eq!(hyper, HyperParams { l2: 2_500_000, ..HyperParams::default() });
        let settings = MlOptions { arena_train_iterations: Some(50), ..options() };
        write_worker_settings(&mut storage, &settings, ChainType::Live).unwrap();
        let hyper: HyperParams = read(&storage, TRAIN_HYPER_KEY).unwrap();
        assert_eq!(hyper, HyperParams { max_iterations: 50, ..HyperParams::default() });
        write_worker_settings(&mut storage, &options(), ChainType::Live).unwrap();
        assert!(read::<HyperParams>(&storage, TRAIN_HYPER_KEY).is_none());
    }

    /// Security review §1: a job on private rows acts in a role its key's operator holds.
    /// Read against the runtime's own storage layout: a key is bonded for its operator's
    /// roles only, and an unregistered key for none.
    #[test]
    fn a_worker_key_is_bonded_for_its_operators_roles_only() {
        use pallet_starling_staking::{OperatorInfo, Operators, Workers};
        let (worker, operator, stranger) = ([1u8; 32], AccountId::from([2u8; 32]), [3u8; 32]);
        sp_io::TestExternalities::default().execute_with(|| {
            Workers::<Runtime>::insert(AccountId::from(worker), operator.clone());
            let info = OperatorInfo {
                commission: sp_runtime::Perbill::zero(),
                commission_changed_at: None,
                commission_frozen_until: 0,
                lock: None,
                slot: 0,
            };
            Operators::<Runtime>::insert(&operator, Role::FlParticipant, info);
            let read = |key: &[u8]| sp_io::storage::get(key).map(|bytes| bytes.to_vec());
            assert!(bonded_for(read, &worker, Role::FlParticipant));
            assert!(!bonded_for(read, &worker, Role::Validator));
            assert!(!bonded_for(read, &worker, Role::TrainingNode));
            assert!(!bonded_for(read, &stranger, Role::FlParticipant));
            Operators::<Runtime>::remove(&operator, Role::FlParticipant);
            assert!(!bonded_for(read, &worker, Role::FlParticipant));
        });
    }

    #[test]
    fn poisoning_is_for_development_and_local_chains_only() {
        let mut storage = InMemOffchainStorage::default();
        let settings = MlOptions { alliance_poison: Some(PoisonMode::LabelFlip), ..options() };
        write_worker_settings(&mut storage, &settings, ChainType::Local).unwrap();
        assert_eq!(read::<Poison>(&storage, POISON_KEY), Some(Poison::LabelFlip));
        let refused = write_worker_settings(&mut storage, &settings, ChainType::Live);
        assert!(refused.unwrap_err().contains("--alliance-poison"));
        write_worker_settings(&mut storage, &options(), ChainType::Local).unwrap();
        assert_eq!(read::<Poison>(&storage, POISON_KEY), None);
    }
}
