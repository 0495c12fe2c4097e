//! Weights for `pallet_starling_marketplace`. Provisional figures until `scripts/benchmark.sh`
//! regenerates this file from the benchmarks in `benchmarking.rs` on the reference machine.

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_starling_marketplace`.
pub trait WeightInfo {
    /// Weight of `upload_version`.
    fn upload_version() -> Weight;
    /// Weight of `host`.
    fn host() -> Weight;
    /// Weight of `unhost`.
    fn unhost() -> Weight;
    /// Weight of `deposit`.
    fn deposit() -> Weight;
    /// Weight of `request_withdrawal`.
    fn request_withdrawal() -> Weight;
    /// Weight of `withdraw`.
    fn withdraw() -> Weight;
    /// Weight of `claim` with `v` vouchers.
    fn claim(v: u32) -> Weight;
    /// Weight of validating a worker call carrying `v` vouchers.
    fn authorize_claim(v: u32) -> Weight;
    /// Weight of `report_quality`.
    fn report_quality() -> Weight;
    /// Weight of `set_params`.
    fn set_params() -> Weight;
}

/// Provisional weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn upload_version() -> Weight {
        Weight::from_parts(400_000_000, 12_000)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn host() -> Weight {
        Weight::from_parts(300_000_000, 12_000)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn unhost() -> Weight {
        Weight::from_parts(150_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn deposit() -> Weight {
        Weight::from_parts(250_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn request_withdrawal() -> Weight {
        Weight::from_parts(100_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn withdraw() -> Weight {
        Weight::from_parts(250_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn claim(v: u32) -> Weight {
        Weight::from_parts(300_000_000, 8_000)
            .saturating_add(Weight::from_parts(900_000_000, 40_000).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().reads((40_u64).saturating_mul(v.into())))
            .saturating_add(T::DbWeight::get().writes((36_u64).saturating_mul(v.into())))
    }
    fn authorize_claim(v: u32) -> Weight {
        Weight::from_parts(750_000_000, 8_000)
            .saturating_add(Weight::from_parts(150_000_000, 2_000).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(6_u64))
    }
    fn report_quality() -> Weight {
        Weight::from_parts(400_000_000, 12_000)
            .saturating_add(T::DbWeight::get().reads(10_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(20_000_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
}

/// For tests: the same figures with RocksDB weights.
impl WeightInfo for () {
    fn upload_version() -> Weight {
        Weight::from_parts(400_000_000, 12_000).saturating_add(RocksDbWeight::get().reads(6_u64))
    }
    fn host() -> Weight {
        Weight::from_parts(300_000_000, 12_000).saturating_add(RocksDbWeight::get().reads(7_u64))
    }
    fn unhost() -> Weight {
        Weight::from_parts(150_000_000, 6_000).saturating_add(RocksDbWeight::get().reads(3_u64))
    }
    fn deposit() -> Weight {
        Weight::from_parts(250_000_000, 6_000).saturating_add(RocksDbWeight::get().reads(3_u64))
    }
    fn request_withdrawal() -> Weight {
        Weight::from_parts(100_000_000, 4_000).saturating_add(RocksDbWeight::get().reads(2_u64))
    }
    fn withdraw() -> Weight {
        Weight::from_parts(250_000_000, 6_000).saturating_add(RocksDbWeight::get().reads(3_u64))
    }
    fn claim(v: u32) -> Weight {
        Weight::from_parts(300_000_000, 8_000)
            .saturating_add(Weight::from_parts(900_000_000, 40_000).saturating_mul(v.into()))
    }
    fn authorize_claim(v: u32) -> Weight {
        Weight::from_parts(750_000_000, 8_000)
            .saturating_add(Weight::from_parts(150_000_000, 2_000).saturating_mul(v.into()))
    }
    fn report_quality() -> Weight {
        Weight::from_parts(400_000_000, 12_000).saturating_add(RocksDbWeight::get().reads(10_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(20_000_000, 0).saturating_add(RocksDbWeight::get().writes(1_u64))
    }
}
