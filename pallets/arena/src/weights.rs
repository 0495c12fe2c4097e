//! Weights for `pallet-starling-arena`.
//!
//! HAND-WRITTEN PLACEHOLDER until `scripts/benchmark.sh` generates this file from the
//! benchmarks in `benchmarking.rs`: DB reads/writes counted from the code, execution time
//! estimated. `s` is the number of entries (submissions scored), `c` the committee size.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed by `pallet-starling-arena`.
pub trait WeightInfo {
    fn create_task() -> Weight;
    fn cancel_task() -> Weight;
    fn verify_task() -> Weight;
    fn commit_model() -> Weight;
    fn reveal_model() -> Weight;
    fn publish_eval_data() -> Weight;
    fn commit_scores() -> Weight;
    fn reveal_scores() -> Weight;
    fn set_params() -> Weight;
    fn authorize_worker_call() -> Weight;
    fn on_initialize_idle() -> Weight;
    fn close_reveals(s: u32, c: u32) -> Weight;
    fn finalise(s: u32, c: u32) -> Weight;
}

/// Weights for `pallet-starling-arena` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn create_task() -> Weight {
        Weight::from_parts(60_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn cancel_task() -> Weight {
        Weight::from_parts(50_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(6_u64))
    }
    fn verify_task() -> Weight {
        Weight::from_parts(20_000_000, 3000)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn commit_model() -> Weight {
        Weight::from_parts(55_000_000, 5000)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn reveal_model() -> Weight {
        Weight::from_parts(70_000_000, 12000)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn publish_eval_data() -> Weight {
        Weight::from_parts(30_000_000, 3000)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn commit_scores() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn reveal_scores() -> Weight {
        Weight::from_parts(60_000_000, 5000)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(0_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn authorize_worker_call() -> Weight {
        Weight::from_parts(60_000_000, 5000)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(0_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(0_u64))
    }
    fn close_reveals(s: u32, c: u32) -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(Weight::from_parts(8_000_000, 9_000).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(30_000_000, 3_000).saturating_mul(c.into()))
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().reads((14_u64).saturating_mul(c.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(c.into())))
    }
    fn finalise(s: u32, c: u32) -> Weight {
        Weight::from_parts(80_000_000, 8_000)
            .saturating_add(Weight::from_parts(70_000_000, 4_000).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(90_000_000, 4_000).saturating_mul(c.into()))
            .saturating_add(
                Weight::from_parts(200_000, 0).saturating_mul(s.saturating_mul(c).into()),
            )
            .saturating_add(T::DbWeight::get().reads(10_u64))
            .saturating_add(T::DbWeight::get().reads((12_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().reads((12_u64).saturating_mul(c.into())))
            .saturating_add(T::DbWeight::get().writes(10_u64))
            .saturating_add(T::DbWeight::get().writes((8_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes((8_u64).saturating_mul(c.into())))
    }
}

/// For tests: the same figures with RocksDB weights.
impl WeightInfo for () {
    fn create_task() -> Weight {
        Weight::from_parts(60_000_000, 4000)
            .saturating_add(RocksDbWeight::get().reads(4_u64))
            .saturating_add(RocksDbWeight::get().writes(5_u64))
    }
    fn cancel_task() -> Weight {
        Weight::from_parts(50_000_000, 4000)
            .saturating_add(RocksDbWeight::get().reads(4_u64))
            .saturating_add(RocksDbWeight::get().writes(6_u64))
    }
    fn verify_task() -> Weight {
        Weight::from_parts(20_000_000, 3000)
            .saturating_add(RocksDbWeight::get().reads(1_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn commit_model() -> Weight {
        Weight::from_parts(55_000_000, 5000)
            .saturating_add(RocksDbWeight::get().reads(8_u64))
            .saturating_add(RocksDbWeight::get().writes(5_u64))
    }
    fn reveal_model() -> Weight {
        Weight::from_parts(70_000_000, 12000)
            .saturating_add(RocksDbWeight::get().reads(5_u64))
            .saturating_add(RocksDbWeight::get().writes(2_u64))
    }
    fn publish_eval_data() -> Weight {
        Weight::from_parts(30_000_000, 3000)
            .saturating_add(RocksDbWeight::get().reads(1_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn commit_scores() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(RocksDbWeight::get().reads(5_u64))
            .saturating_add(RocksDbWeight::get().writes(2_u64))
    }
    fn reveal_scores() -> Weight {
        Weight::from_parts(60_000_000, 5000)
            .saturating_add(RocksDbWeight::get().reads(6_u64))
            .saturating_add(RocksDbWeight::get().writes(2_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 1000)
            .saturating_add(RocksDbWeight::get().reads(0_u64))
            .saturating_add(RocksDbWeight::get().writes(1_u64))
    }
    fn authorize_worker_call() -> Weight {
        Weight::from_parts(60_000_000, 5000)
            .saturating_add(RocksDbWeight::get().reads(5_u64))
            .saturating_add(RocksDbWeight::get().writes(0_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
            .saturating_add(RocksDbWeight::get().reads(3_u64))
            .saturating_add(RocksDbWeight::get().writes(0_u64))
    }
    fn close_reveals(s: u32, c: u32) -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(Weight::from_parts(8_000_000, 9_000).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(30_000_000, 3_000).saturating_mul(c.into()))
            .saturating_add(RocksDbWeight::get().reads(6_u64))
            .saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(s.into())))
            .saturating_add(RocksDbWeight::get().reads((14_u64).saturating_mul(c.into())))
            .saturating_add(RocksDbWeight::get().writes(4_u64))
            .saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(c.into())))
    }
    fn finalise(s: u32, c: u32) -> Weight {
        Weight::from_parts(80_000_000, 8_000)
            .saturating_add(Weight::from_parts(70_000_000, 4_000).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(90_000_000, 4_000).saturating_mul(c.into()))
            .saturating_add(
                Weight::from_parts(200_000, 0).saturating_mul(s.saturating_mul(c).into()),
            )
            .saturating_add(RocksDbWeight::get().reads(10_u64))
            .saturating_add(RocksDbWeight::get().reads((12_u64).saturating_mul(s.into())))
            .saturating_add(RocksDbWeight::get().reads((12_u64).saturating_mul(c.into())))
            .saturating_add(RocksDbWeight::get().writes(10_u64))
            .saturating_add(RocksDbWeight::get().writes((8_u64).saturating_mul(s.into())))
            .saturating_add(RocksDbWeight::get().writes((8_u64).saturating_mul(c.into())))
    }
}
