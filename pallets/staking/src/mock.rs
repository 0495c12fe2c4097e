//! A small runtime for the tests: System, Balances and Staking.

use crate as pallet_starling_staking;
use crate::Role;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64},
    PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Staking: pallet_starling_staking,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
    type ExistentialDeposit = ConstU64<1>;
}

/// The treasury account of the tests.
pub const TREASURY: u64 = 999;

parameter_types! {
    pub const StakingPalletId: PalletId = PalletId(*b"st/stake");
    pub const Treasury: u64 = TREASURY;
    pub const MaxCommissionIncrease: Perbill = Perbill::from_percent(10);
}

impl pallet_starling_staking::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type AdminOrigin = EnsureRoot<u64>;
    type Treasury = Treasury;
    type PalletId = StakingPalletId;
    type BlocksPerDay = ConstU64<10>;
    type EraLength = ConstU64<10>;
    type MaxSlashableEras = ConstU32<8>;
    type MaxUnbondingChunks = ConstU32<4>;
    type MaxOperatorsPerRole = ConstU32<16>;
    type SnapshotEras = ConstU32<3>;
    type WorkerCallsPerWindow = ConstU32<3>;
    type WorkerRateWindow = ConstU64<10>;
    type MaxCommissionIncrease = MaxCommissionIncrease;
    type WorkerProof = sp_runtime::testing::TestSignature;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = WorkerKeys;
    type WeightInfo = ();
}

/// Worker keys of the benchmarks: test signatures, which name their signer.
#[cfg(feature = "runtime-benchmarks")]
pub struct WorkerKeys;

#[cfg(feature = "runtime-benchmarks")]
impl crate::WorkerKeyBenchmarkHelper<u64, sp_runtime::testing::TestSignature> for WorkerKeys {
    fn worker_key(index: u32) -> u64 {
        10_000u64.saturating_add(u64::from(index))
    }

    fn sign(worker: &u64, message: &[u8]) -> sp_runtime::testing::TestSignature {
        sp_runtime::testing::TestSignature(*worker, message.to_vec())
    }
}

/// Minimum operator stake in the tests (every role).
pub const MIN_OPERATOR: u64 = 100;
/// Minimum delegation in the tests (every role).
pub const MIN_DELEGATION: u64 = 10;
/// Unbonding period in the tests.
pub const UNBONDING: u64 = 20;
/// Commission change period in the tests.
pub const CHANGE_PERIOD: u64 = 5;
/// Free balance of every endowed account.
pub const ENDOWMENT: u64 = 1_000_000;

/// Builds test externalities with accounts 1..=50 and the reward payer 500 endowed.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
    let mut balances: Vec<(u64, u64)> = (1..=50).map(|a| (a, ENDOWMENT)).collect();
    balances.push((500, 1_000_000_000));
    let _ = pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
        .assimilate_storage(&mut t);
    let _ = pallet_starling_staking::GenesisConfig::<Test> {
        min_stakes: Role::ALL.iter().map(|r| (*r, MIN_OPERATOR, MIN_DELEGATION)).collect(),
        commission_bounds: Some((Perbill::zero(), Perbill::from_percent(50))),
        commission_change_period: CHANGE_PERIOD,
        unbonding_period: UNBONDING,
        operators: vec![],
    }
    .assimilate_storage(&mut t);
    let mut ext = sp_io::TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Advances to block `n` (no hooks are needed by this pallet).
pub fn run_to_block(n: u64) {
    System::set_block_number(n);
}
