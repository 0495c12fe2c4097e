//! Weights for `pallet-starling-staking`.
//!
//! HAND-WRITTEN PLACEHOLDER: these figures are estimates (DB reads/writes counted from the
//! code, execution time guessed) and will be replaced by the output of the node's
//! `benchmark pallet` command (`frame-benchmarking-cli`) run on reference hardware, with
//! `--pallet pallet_starling_staking --extrinsic '*' --template` the substrate weight
//! template. Terms like `+ 11` count the Fenwick-tree nodes touched for
//! `MaxOperatorsPerRole` = 1024 (⌈log₂ 1024⌉ + 1).
//!
//! No weight depends on the number of delegators: rewards and slashes are O(1) in it.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed by `pallet-starling-staking`.
pub trait WeightInfo {
    fn bond() -> Weight;
    fn bond_extra() -> Weight;
    fn unbond() -> Weight;
    fn delegate() -> Weight;
    fn undelegate() -> Weight;
    fn withdraw_unbonded() -> Weight;
    fn claim() -> Weight;
    fn lock() -> Weight;
    fn set_commission() -> Weight;
    fn set_worker() -> Weight;
    fn remove_worker() -> Weight;
    fn apply_slash() -> Weight;
    fn refresh_weight() -> Weight;
    fn set_min_stake() -> Weight;
    fn set_commission_bounds() -> Weight;
    fn set_unbonding_period() -> Weight;
    fn set_commission_change_period() -> Weight;
    fn reward() -> Weight;
    fn grant_reward() -> Weight;
    fn slash() -> Weight;
    fn sample_weighted(k: u32) -> Weight;
}

/// Weights for `pallet-starling-staking` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn bond() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(22_u64))
            .saturating_add(T::DbWeight::get().writes(19_u64))
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(55_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(19_u64))
            .saturating_add(T::DbWeight::get().writes(15_u64))
    }
    fn unbond() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(21_u64))
            .saturating_add(T::DbWeight::get().writes(16_u64))
    }
    fn delegate() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(20_u64))
            .saturating_add(T::DbWeight::get().writes(16_u64))
    }
    fn undelegate() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(21_u64))
            .saturating_add(T::DbWeight::get().writes(16_u64))
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(70_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(23_u64))
            .saturating_add(T::DbWeight::get().writes(20_u64))
    }
    fn claim() -> Weight {
        Weight::from_parts(45_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn lock() -> Weight {
        Weight::from_parts(35_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(17_u64))
            .saturating_add(T::DbWeight::get().writes(13_u64))
    }
    fn set_commission() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_worker() -> Weight {
        Weight::from_parts(25_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn remove_worker() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn apply_slash() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn refresh_weight() -> Weight {
        Weight::from_parts(30_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(17_u64))
            .saturating_add(T::DbWeight::get().writes(13_u64))
    }
    fn set_min_stake() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_commission_bounds() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_unbonding_period() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_commission_change_period() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn reward() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn grant_reward() -> Weight {
        // `reward` plus the activity check (operator, own member record, minimum stake).
        Weight::from_parts(55_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn slash() -> Weight {
        Weight::from_parts(120_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(51_u64))
            .saturating_add(T::DbWeight::get().writes(21_u64))
    }
    fn sample_weighted(k: u32) -> Weight {
        // Up to 8·k + 32 draws, each reading ≈ 11 tree nodes + 6 operator items.
        let draws = u64::from(k).saturating_mul(8).saturating_add(32);
        Weight::from_parts(5_000_000, 2_000)
            .saturating_add(Weight::from_parts(20_000_000, 1_000).saturating_mul(draws))
            .saturating_add(T::DbWeight::get().reads(draws.saturating_mul(17)))
    }
}

// For backwards compatibility and tests.
impl WeightInfo for () {
    fn bond() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(22_u64))
            .saturating_add(RocksDbWeight::get().writes(19_u64))
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(55_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(19_u64))
            .saturating_add(RocksDbWeight::get().writes(15_u64))
    }
    fn unbond() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(21_u64))
            .saturating_add(RocksDbWeight::get().writes(16_u64))
    }
    fn delegate() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(20_u64))
            .saturating_add(RocksDbWeight::get().writes(16_u64))
    }
    fn undelegate() -> Weight {
        Weight::from_parts(60_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(21_u64))
            .saturating_add(RocksDbWeight::get().writes(16_u64))
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(70_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(23_u64))
            .saturating_add(RocksDbWeight::get().writes(20_u64))
    }
    fn claim() -> Weight {
        Weight::from_parts(45_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(6_u64))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
    }
    fn lock() -> Weight {
        Weight::from_parts(35_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(17_u64))
            .saturating_add(RocksDbWeight::get().writes(13_u64))
    }
    fn set_commission() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(3_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn set_worker() -> Weight {
        Weight::from_parts(25_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(7_u64))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
    }
    fn remove_worker() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(1_u64))
            .saturating_add(RocksDbWeight::get().writes(3_u64))
    }
    fn apply_slash() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(8_u64))
            .saturating_add(RocksDbWeight::get().writes(5_u64))
    }
    fn refresh_weight() -> Weight {
        Weight::from_parts(30_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(17_u64))
            .saturating_add(RocksDbWeight::get().writes(13_u64))
    }
    fn set_min_stake() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn set_commission_bounds() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn set_unbonding_period() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn set_commission_change_period() -> Weight {
        Weight::from_parts(10_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn reward() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(5_u64))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
    }
    fn grant_reward() -> Weight {
        // `reward` plus the activity check (operator, own member record, minimum stake).
        Weight::from_parts(55_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(8_u64))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
    }
    fn slash() -> Weight {
        Weight::from_parts(120_000_000, 4_000)
            .saturating_add(RocksDbWeight::get().reads(51_u64))
            .saturating_add(RocksDbWeight::get().writes(21_u64))
    }
    fn sample_weighted(k: u32) -> Weight {
        // Up to 8·k + 32 draws, each reading ≈ 11 tree nodes + 6 operator items.
        let draws = u64::from(k).saturating_mul(8).saturating_add(32);
        Weight::from_parts(5_000_000, 2_000)
            .saturating_add(Weight::from_parts(20_000_000, 1_000).saturating_mul(draws))
            .saturating_add(RocksDbWeight::get().reads(draws.saturating_mul(17)))
    }
}
