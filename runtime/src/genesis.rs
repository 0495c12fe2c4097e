//! Genesis presets: `development` (Alice alone) and `local_testnet` (Alice, Bob and Charlie
//! as BABE/GRANDPA authorities).
//!
//! Both endow the well-known development accounts and give sudo to Alice; these are the only
//! chains on which a sudo key is set. A public network's genesis comes from a chain spec
//! built without a sudo key (see `chain-spec/`).

use crate::{
    staking_periods, units::STAR, AccountId, BabeConfig, BalancesConfig, GrandpaConfig,
    RuntimeGenesisConfig, StakingConfig, SudoConfig, BABE_GENESIS_EPOCH_CONFIG,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_starling_staking::Role;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

/// What each endowed development account starts with.
pub const ENDOWMENT: crate::Balance = 1_000_000 * STAR;

/// Every staking role; each gets the same minimums at genesis.
const ROLES: [Role; 4] =
    [Role::TrainingNode, Role::Validator, Role::FlParticipant, Role::ModelHost];
/// Minimum own stake of an operator, per role, at genesis (a governance parameter).
pub const MIN_OPERATOR_STAKE: crate::Balance = 1_000 * STAR;
/// Minimum delegation, per role, at genesis (a governance parameter).
pub const MIN_DELEGATION: crate::Balance = 10 * STAR;

/// A validator's consensus keys, derived from a development seed.
fn authority(who: Sr25519Keyring) -> (BabeId, GrandpaId) {
    let grandpa = match who {
        Sr25519Keyring::Alice => Ed25519Keyring::Alice,
        Sr25519Keyring::Bob => Ed25519Keyring::Bob,
        Sr25519Keyring::Charlie => Ed25519Keyring::Charlie,
        Sr25519Keyring::Dave => Ed25519Keyring::Dave,
        Sr25519Keyring::Eve => Ed25519Keyring::Eve,
        _ => Ed25519Keyring::Ferdie,
    };
    (who.public().into(), grandpa.public().into())
}

/// The genesis patch shared by every preset.
fn genesis(
    authorities: Vec<(BabeId, GrandpaId)>,
    endowed: Vec<AccountId>,
    root: AccountId,
) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig {
            balances: endowed.into_iter().map(|who| (who, ENDOWMENT)).collect::<Vec<_>>(),
        },
        babe: BabeConfig {
            authorities: authorities.iter().map(|(babe, _)| (babe.clone(), 1)).collect::<Vec<_>>(),
            epoch_config: BABE_GENESIS_EPOCH_CONFIG,
        },
        grandpa: GrandpaConfig {
            authorities: authorities
                .into_iter()
                .map(|(_, grandpa)| (grandpa, 1))
                .collect::<Vec<_>>(),
        },
        sudo: SudoConfig { key: Some(root) },
        staking: StakingConfig {
            min_stakes: ROLES
                .iter()
                .map(|role| (*role, MIN_OPERATOR_STAKE, MIN_DELEGATION))
                .collect::<Vec<_>>(),
            commission_bounds: Some((Perbill::zero(), Perbill::from_percent(50))),
            commission_change_period: staking_periods::COMMISSION_CHANGE,
            unbonding_period: staking_periods::UNBONDING,
        },
    })
}

/// The single-validator development chain (`--dev`).
pub fn development() -> Value {
    genesis(
        vec![authority(Sr25519Keyring::Alice)],
        endowed_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// The development accounts, and the treasury so that governance can fund rewards.
fn endowed_accounts() -> Vec<AccountId> {
    Sr25519Keyring::well_known()
        .map(|k| k.to_account_id())
        .chain(core::iter::once(crate::TreasuryAccount::get()))
        .collect()
}

/// The three-validator local network (Alice, Bob, Charlie).
pub fn local_testnet() -> Value {
    genesis(
        vec![
            authority(Sr25519Keyring::Alice),
            authority(Sr25519Keyring::Bob),
            authority(Sr25519Keyring::Charlie),
        ],
        endowed_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// The JSON patch of the preset `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        DEV_RUNTIME_PRESET => development(),
        LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
        _ => return None,
    };
    serde_json::to_vec(&patch).ok()
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use sp_runtime::BuildStorage;

    /// RFC 7386 merge: what the node does with a preset patch.
    fn merge(base: &mut Value, patch: Value) {
        match (base, patch) {
            (Value::Object(base), Value::Object(patch)) => {
                for (key, value) in patch {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            },
            (base, patch) => *base = patch,
        }
    }

    fn build(id: &str) -> sp_io::TestExternalities {
        let patch = get_preset(&PresetId::from(id)).expect("preset exists");
        let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("default");
        merge(&mut config, serde_json::from_slice(&patch).expect("json"));
        let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("config");
        config.build_storage().expect("storage").into()
    }

    #[test]
    fn presets_are_listed_and_unknown_ones_rejected() {
        assert_eq!(preset_names().len(), 2);
        assert!(get_preset(&PresetId::from("mainnet")).is_none());
    }

    #[test]
    fn local_testnet_has_three_authorities_and_endowed_accounts() {
        build(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
            assert_eq!(crate::Babe::authorities().len(), 3);
            assert_eq!(pallet_grandpa::Pallet::<crate::Runtime>::grandpa_authorities().len(), 3);
            assert_eq!(
                crate::Balances::free_balance(Sr25519Keyring::Bob.to_account_id()),
                ENDOWMENT
            );
            assert_eq!(
                pallet_sudo::Key::<crate::Runtime>::get(),
                Some(Sr25519Keyring::Alice.to_account_id())
            );
        });
    }

    #[test]
    fn development_has_alice_alone() {
        build(DEV_RUNTIME_PRESET).execute_with(|| {
            assert_eq!(crate::Babe::authorities().len(), 1);
        });
    }
}
