//! Weights for `pallet-starling-alliance`.
//!
//! HAND-WRITTEN PLACEHOLDER until benchmarks generate this file: DB reads/writes counted from
//! the code, execution time estimated. `n` is the number of participants, `p` the parameter
//! length, `b` the number of ballots in a vote. `authorize_worker_call` is the worst of the
//! three worker calls' validations (a vote with a ballot on each of the most updates).

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed by `pallet-starling-alliance`.
pub trait WeightInfo {
    fn create_alliance() -> Weight;
    fn join() -> Weight;
    fn leave() -> Weight;
    fn commit_update() -> Weight;
    fn reveal_update() -> Weight;
    fn vote(b: u32) -> Weight;
    fn set_params() -> Weight;
    fn authorize_worker_call() -> Weight;
    fn on_initialize_idle() -> Weight;
    fn start_round(n: u32) -> Weight;
    fn close_round(n: u32, p: u32) -> Weight;
}

/// Weights for `pallet-starling-alliance` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn create_alliance() -> Weight {
        Weight::from_parts(60_000_000, 12000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn join() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn leave() -> Weight {
        Weight::from_parts(35_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn commit_update() -> Weight {
        Weight::from_parts(55_000_000, 5000)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn reveal_update() -> Weight {
        Weight::from_parts(70_000_000, 12000)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn vote(b: u32) -> Weight {
        Weight::from_parts(50_000_000, 6000)
            .saturating_add(Weight::from_parts(2_000_000, 8_300).saturating_mul(b.into()))
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().reads(u64::from(b)))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn authorize_worker_call() -> Weight {
        Weight::from_parts(110_000_000, 270_000)
            .saturating_add(T::DbWeight::get().reads(38_u64))
            .saturating_add(T::DbWeight::get().writes(0_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(0_u64))
    }
    fn start_round(n: u32) -> Weight {
        Weight::from_parts(30_000_000, 6_000)
            .saturating_add(Weight::from_parts(3_000_000, 2_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn close_round(n: u32, p: u32) -> Weight {
        Weight::from_parts(80_000_000, 10_000)
            .saturating_add(Weight::from_parts(90_000_000, 6_000).saturating_mul(n.into()))
            .saturating_add(
                Weight::from_parts(100_000, 16).saturating_mul(n.saturating_mul(p).into()),
            )
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().reads((14_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(6_u64))
            .saturating_add(T::DbWeight::get().writes((10_u64).saturating_mul(n.into())))
    }
}

/// For tests: the same figures with RocksDB weights.
impl WeightInfo for () {
    fn create_alliance() -> Weight {
        Weight::from_parts(60_000_000, 12000)
            .saturating_add(RocksDbWeight::get().reads(3_u64))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
    }
    fn join() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(RocksDbWeight::get().reads(4_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn leave() -> Weight {
        Weight::from_parts(35_000_000, 4000)
            .saturating_add(RocksDbWeight::get().reads(2_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn commit_update() -> Weight {
        Weight::from_parts(55_000_000, 5000)
            .saturating_add(RocksDbWeight::get().reads(6_u64))
            .saturating_add(RocksDbWeight::get().writes(2_u64))
    }
    fn reveal_update() -> Weight {
        Weight::from_parts(70_000_000, 12000)
            .saturating_add(RocksDbWeight::get().reads(5_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn vote(b: u32) -> Weight {
        Weight::from_parts(50_000_000, 6000)
            .saturating_add(Weight::from_parts(2_000_000, 8_300).saturating_mul(b.into()))
            .saturating_add(RocksDbWeight::get().reads(7_u64))
            .saturating_add(RocksDbWeight::get().reads(u64::from(b)))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 1000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn authorize_worker_call() -> Weight {
        Weight::from_parts(110_000_000, 270_000)
            .saturating_add(RocksDbWeight::get().reads(38_u64))
            .saturating_add(RocksDbWeight::get().writes(0_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
            .saturating_add(RocksDbWeight::get().reads(2_u64))
            .saturating_add(RocksDbWeight::get().writes(0_u64))
    }
    fn start_round(n: u32) -> Weight {
        Weight::from_parts(30_000_000, 6_000)
            .saturating_add(Weight::from_parts(3_000_000, 2_000).saturating_mul(n.into()))
            .saturating_add(RocksDbWeight::get().reads(3_u64))
            .saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(n.into())))
            .saturating_add(RocksDbWeight::get().writes(2_u64))
    }
    fn close_round(n: u32, p: u32) -> Weight {
        Weight::from_parts(80_000_000, 10_000)
            .saturating_add(Weight::from_parts(90_000_000, 6_000).saturating_mul(n.into()))
            .saturating_add(
                Weight::from_parts(100_000, 16).saturating_mul(n.saturating_mul(p).into()),
            )
            .saturating_add(RocksDbWeight::get().reads(6_u64))
            .saturating_add(RocksDbWeight::get().reads((14_u64).saturating_mul(n.into())))
            .saturating_add(RocksDbWeight::get().writes(6_u64))
            .saturating_add(RocksDbWeight::get().writes((10_u64).saturating_mul(n.into())))
    }
}
