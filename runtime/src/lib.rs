//! # The Starling runtime
//!
//! Starling is a Substrate appchain on which anyone can train, validate, federate and sell
//! machine-learning models, with the incentives enforced on-chain. It implements the FLock
//! design in three products that share one staking ledger:
//!
//! * **AI Arena** — public training competitions: staked training nodes submit models for a
//!   task, a committee of staked validators scores them, and the runtime turns the scores into
//!   a consensus ranking, rewards and slashes.
//! * **FL Alliance** — federated learning on private data: each round random proposers train
//!   locally and random voters judge the updates; accepted updates are aggregated on-chain.
//! * **AI Marketplace** — versioned models served by staked hosts for paid inference.
//!
//! Where FLock computes scores and rewards on a company server, Starling computes them here,
//! in runtime logic that anyone can audit and only governance can change. Training and
//! scoring themselves run in off-chain workers (see `offchain-worker/`), which report back
//! through signed extrinsics from a dedicated [`worker`] key.
//!
//! ## What this crate wires together
//!
//! * Consensus: BABE block production (whose VRF output is the randomness the arena and the
//!   alliance draw committees from) and GRANDPA finality, with a fixed authority set.
//! * Money: pallet-balances with holds and freezes (`RuntimeHoldReason`, `RuntimeFreezeReason`)
//!   and transaction-payment; the token is STAR with 12 decimals.
//! * Governance: OpenGov — preimage, scheduler, referenda and conviction-voting, with the
//!   custom origins of [`governance::origins`] and three tracks: *root* (runtime upgrades),
//!   *protocol parameters* and *task verification*. Starling's own pallets take those origins
//!   as their admin origins; sudo exists only on the development and local chains.
//!
//! The `fast-runtime` feature shortens epochs and referendum periods so that end-to-end tests
//! finish in minutes; it must never be used for a public network.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`, `parameter_types` and `impl_runtime_apis` expand to public items
// without docs, and to arithmetic these lints cannot see through; the logic lives in the
// pallets, where both lints apply.
#![allow(clippy::arithmetic_side_effects, missing_docs)]
#![recursion_limit = "256"]

extern crate alloc;

use alloc::vec::Vec;

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

mod apis;
pub use apis::RuntimeApi;
pub mod fees;
pub mod genesis;
pub mod governance;
pub mod offchain;
pub mod worker;

use frame_support::{
    derive_impl, parameter_types,
    traits::{
        fungible::HoldConsideration, ConstU128, ConstU32, ConstU64, ConstU8, EqualPrivilegeOnly,
        LinearStoragePrice, VariantCountOf,
    },
    weights::{
        constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_MILLIS},
        ConstantMultiplier, IdentityFee, Weight,
    },
};
use frame_system::{limits::BlockWeights as SystemBlockWeights, EnsureRoot};
use pallet_transaction_payment::{FungibleAdapter, Multiplier};
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;
use sp_runtime::{
    generic, impl_opaque_keys,
    traits::{BlakeTwo256, IdentifyAccount, Verify},
    FixedPointNumber, MultiAddress, MultiSignature, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;

/// An index to a block.
pub type BlockNumber = u32;
/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;
/// Some way of identifying an account on the chain.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account, in Planck-like base units (10^-12 STAR).
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// Milliseconds since the Unix epoch.
pub type Moment = u64;

/// Opaque types: what the node needs to know about blocks without knowing the runtime.
pub mod opaque {
    use super::*;
    pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

    /// Opaque block header type.
    pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
    /// Opaque block type.
    pub type Block = generic::Block<Header, UncheckedExtrinsic>;
    /// Opaque block identifier type.
    pub type BlockId = generic::BlockId<Block>;

    impl_opaque_keys! {
        /// The consensus keys a validator registers: BABE for authoring, GRANDPA for finality.
        pub struct SessionKeys {
            /// Block production (BABE).
            pub babe: Babe,
            /// Finality (GRANDPA).
            pub grandpa: Grandpa,
        }
    }
}

/// The version of this runtime; `spec_version` must grow with every upgrade.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("starling"),
    impl_name: alloc::borrow::Cow::Borrowed("starling"),
    authoring_version: 1,
    spec_version: 119,
    impl_version: 1,
    apis: apis::RUNTIME_API_VERSIONS,
    transaction_version: 2,
    system_version: 1,
};

/// Time and currency units.
pub mod units {
    use super::{Balance, BlockNumber, Moment};

    /// One STAR, the chain's token (12 decimals).
    pub const STAR: Balance = 1_000_000_000_000;
    /// A thousandth of a STAR.
    pub const MILLI_STAR: Balance = STAR / 1_000;
    /// A millionth of a STAR.
    pub const MICRO_STAR: Balance = MILLI_STAR / 1_000;
    /// The smallest balance an account may hold.
    pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_STAR;

    /// Target block time. Slots are as long as blocks; BABE fills most of them.
    #[cfg(not(feature = "fast-runtime"))]
    pub const MILLISECS_PER_BLOCK: Moment = 6_000;
    /// Target block time (shortened by `fast-runtime`: the dev chain and the end-to-end tests
    /// count their windows in blocks, so a shorter block shortens every wait).
    #[cfg(feature = "fast-runtime")]
    pub const MILLISECS_PER_BLOCK: Moment = 1_000;
    /// BABE slot duration.
    pub const SLOT_DURATION: Moment = MILLISECS_PER_BLOCK;

    /// Blocks per minute.
    pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
    /// Blocks per hour.
    pub const HOURS: BlockNumber = MINUTES * 60;
    /// Blocks per day.
    pub const DAYS: BlockNumber = HOURS * 24;

    /// Length of a BABE epoch in slots: the randomness the protocol draws from changes once
    /// per epoch.
    #[cfg(not(feature = "fast-runtime"))]
    pub const EPOCH_DURATION_IN_SLOTS: u64 = HOURS as u64;
    /// Length of a BABE epoch in slots (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const EPOCH_DURATION_IN_SLOTS: u64 = 10;

    /// Deposit for storing `items` items taking `bytes` bytes in total.
    pub const fn deposit(items: u32, bytes: u32) -> Balance {
        (items as Balance) * 20 * MILLI_STAR + (bytes as Balance) * 100 * MICRO_STAR
    }
}
use units::*;

/// BABE's genesis epoch configuration: primary and secondary VRF slots, so that every block
/// carries VRF output and the chain's randomness is never derived from block hashes.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
    sp_consensus_babe::BabeEpochConfiguration {
        c: (1, 4),
        allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
    };

/// Blocks may use 75% of their weight for normal transactions.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Blocks are at most 5 MiB.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;
/// A third of the block time in compute (two seconds of a 6-second block, a third of a second
/// with `fast-runtime`), leaving the rest for networking and import.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
    WEIGHT_REF_TIME_PER_MILLIS.saturating_mul(MILLISECS_PER_BLOCK / 3),
    u64::MAX,
);

parameter_types! {
    pub const BlockHashCount: BlockNumber = 2400;
    pub const Version: RuntimeVersion = VERSION;
    pub RuntimeBlockWeights: SystemBlockWeights =
        SystemBlockWeights::with_sensible_defaults(MAXIMUM_BLOCK_WEIGHT, NORMAL_DISPATCH_RATIO);
    pub RuntimeBlockLength: frame_system::limits::BlockLength =
        frame_system::limits::BlockLength::builder()
            .max_length(MAX_BLOCK_LENGTH)
            .modify_max_length_for_class(frame_support::dispatch::DispatchClass::Normal, |max| {
                *max = NORMAL_DISPATCH_RATIO * MAX_BLOCK_LENGTH
            })
            .build();
    pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    /// The node's database is ParityDB (`sc-cli` without its `rocksdb` feature: no other
    /// backend can be chosen), so a storage access costs what ParityDB's does.
    type DbWeight = ParityDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
}

parameter_types! {
    pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
    pub const ExpectedBlockTime: Moment = MILLISECS_PER_BLOCK;
    pub const MaxAuthorities: u32 = 32;
}

impl pallet_babe::Config for Runtime {
    type EpochDuration = EpochDuration;
    type ExpectedBlockTime = ExpectedBlockTime;
    // There is no session pallet: the genesis authorities validate forever. Adding and
    // removing validators is a later runtime upgrade.
    type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
    type DisabledValidators = ();
    type WeightInfo = ();
    type MaxAuthorities = MaxAuthorities;
    type MaxNominators = ConstU32<0>;
    type KeyOwnerProof = sp_session::MembershipProof;
    type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = MaxAuthorities;
    type MaxNominators = ConstU32<0>;
    type MaxSetIdSessionEntries = ConstU64<0>;
    type KeyOwnerProof = sp_session::MembershipProof;
    type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
    type Moment = Moment;
    type OnTimestampSet = Babe;
    type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
    type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ConstU32<50>;
    type ReserveIdentifier = [u8; 8];
    type Balance = Balance;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type DoneSlashHandler = ();
}

parameter_types! {
    /// Fees follow block fullness around a 25% target, as on Polkadot.
    pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
    pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
    pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
    pub MaximumMultiplier: Multiplier = Multiplier::saturating_from_integer(10);
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type OnChargeTransaction = FungibleAdapter<Balances, ()>;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightToFee = IdentityFee<Balance>;
    type LengthToFee = ConstantMultiplier<Balance, fees::TransactionByteFee>;
    type FeeMultiplierUpdate = fees::FeeAdjustment;
    type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    pub const PreimageBaseDeposit: Balance = deposit(2, 64);
    pub const PreimageByteDeposit: Balance = deposit(0, 1);
    pub const PreimageHoldReason: RuntimeHoldReason =
        RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type ManagerOrigin = EnsureRoot<AccountId>;
    type Consideration = HoldConsideration<
        AccountId,
        Balances,
        PreimageHoldReason,
        LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
    >;
}

parameter_types! {
    pub MaximumSchedulerWeight: Weight =
        Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeOrigin = RuntimeOrigin;
    type PalletsOrigin = OriginCaller;
    type RuntimeCall = RuntimeCall;
    type MaximumWeight = MaximumSchedulerWeight;
    type ScheduleOrigin = EnsureRoot<AccountId>;
    type MaxScheduledPerBlock = ConstU32<50>;
    type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
    type OriginPrivilegeCmp = EqualPrivilegeOnly;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}

/// Staking periods. `fast-runtime` shortens them to blocks so end-to-end tests can unbond and
/// withdraw within minutes.
pub mod staking_periods {
    use super::*;

    /// Length of a slashing era: unbonding stake stays slashable for offences of the eras it
    /// was still bonded in.
    #[cfg(not(feature = "fast-runtime"))]
    pub const ERA: BlockNumber = DAYS;
    /// Length of a slashing era (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const ERA: BlockNumber = 10;
    /// Default unbonding period set at genesis (a governance parameter afterwards).
    #[cfg(not(feature = "fast-runtime"))]
    pub const UNBONDING: BlockNumber = 7 * ERA;
    /// Default unbonding period (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const UNBONDING: BlockNumber = 2 * ERA;
    /// Default minimum time between two commission changes (a governance parameter).
    pub const COMMISSION_CHANGE: BlockNumber = ERA;
    /// Eras of starting weights the sampler keeps (security review §10). A draw reads the
    /// weights at the start of the newest era that began before the previous BABE epoch did,
    /// at most two epochs back: `1 + ⌈2 epochs / ERA⌉` eras, and one to spare.
    pub const SNAPSHOT_ERAS: u32 = 2 + (2 * EPOCH_DURATION_IN_SLOTS as u32).div_ceil(ERA);
    /// Window of the per-worker rate limit on fee-free worker calls.
    pub const WORKER_RATE_WINDOW: BlockNumber = 10;
}

parameter_types! {
    /// Where slashed stake goes: the treasury, never burned.
    pub TreasuryAccount: AccountId =
        sp_runtime::traits::AccountIdConversion::into_account_truncating(&frame_support::PalletId(*b"st/trsry"));
    /// Holds the rewards owed to pool members until they claim.
    pub const StakingPalletId: frame_support::PalletId = frame_support::PalletId(*b"st/stake");
    /// Most an operator may raise its commission in one change: five percentage points.
    pub const MaxCommissionIncrease: Perbill = Perbill::from_percent(5);
}

impl pallet_starling_staking::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type AdminOrigin = governance::ProtocolAdmin;
    type Treasury = TreasuryAccount;
    type PalletId = StakingPalletId;
    type BlocksPerDay = ConstU32<DAYS>;
    type EraLength = ConstU32<{ staking_periods::ERA }>;
    type MaxSlashableEras = ConstU32<30>;
    type MaxUnbondingChunks = ConstU32<16>;
    type MaxOperatorsPerRole = ConstU32<1024>;
    type SnapshotEras = ConstU32<{ staking_periods::SNAPSHOT_ERAS }>;
    type WorkerCallsPerWindow = ConstU32<20>;
    type WorkerRateWindow = ConstU32<{ staking_periods::WORKER_RATE_WINDOW }>;
    type MaxCommissionIncrease = MaxCommissionIncrease;
    type WorkerProof = Signature;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchmarkSetup;
    type WeightInfo = pallet_starling_staking::weights::SubstrateWeight<Runtime>;
}

/// Arena windows and emission. `fast-runtime` shortens the windows to a few blocks.
pub mod arena_periods {
    use super::*;

    /// Shortest submission window a task creator may choose.
    #[cfg(not(feature = "fast-runtime"))]
    pub const MIN_SUBMISSION: BlockNumber = HOURS;
    /// Shortest submission window (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const MIN_SUBMISSION: BlockNumber = 5;
    /// Reveal, scoring and score-reveal windows, each.
    #[cfg(not(feature = "fast-runtime"))]
    pub const WINDOW: BlockNumber = HOURS;
    /// Reveal, scoring and score-reveal windows (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const WINDOW: BlockNumber = 6;
    /// Emission period.
    #[cfg(not(feature = "fast-runtime"))]
    pub const EMISSION_PERIOD: BlockNumber = DAYS;
    /// Emission period (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const EMISSION_PERIOD: BlockNumber = 20;
}

parameter_types! {
    /// The arena's payout account (bounties and minted emission pass through it).
    pub const ArenaPalletId: frame_support::PalletId = frame_support::PalletId(*b"st/arena");
    /// The arena's parameters until governance sets them.
    pub const DefaultArenaParams: pallet_starling_arena::ArenaParams<Balance, BlockNumber> =
        pallet_starling_arena::ArenaParams {
            committee_size: 5,
            min_submission_window: arena_periods::MIN_SUBMISSION,
            max_submission_window: 30 * DAYS,
            reveal_window: arena_periods::WINDOW,
            scoring_window: arena_periods::WINDOW,
            score_reveal_window: arena_periods::WINDOW,
            min_bounty: 10 * units::STAR,
            task_deposit: units::STAR,
            gamma: Perbill::from_percent(10),
            rank_ratio: Perbill::from_percent(50),
            deviation_tolerance: Perbill::from_percent(5),
            deviation_floor: 1_000,
            silent_slash: Perbill::from_percent(5),
            deviation_slash: Perbill::from_percent(10),
            emission: pallet_starling_arena::EmissionParams {
                initial_per_period: 100 * units::STAR,
                period: arena_periods::EMISSION_PERIOD,
                decay: Perbill::from_percent(10),
                decay_every: 30,
                arena_share: Perbill::from_percent(50),
            },
        };
}

/// The seed of committee and role draws (security review §10): BABE's randomness from one
/// epoch ago, which comes from the VRF outputs of the previous epoch, paired with the block that
/// epoch began at. Nobody could know or steer the seed before that block, and the draws read
/// stake as it stood at the start of an era no later than it, so moving stake once the seed
/// can be known (in the draw block, say) changes nothing.
pub struct DrawRandomness;

impl frame_support::traits::Randomness<Option<Hash>, BlockNumber> for DrawRandomness {
    fn random(subject: &[u8]) -> (Option<Hash>, BlockNumber) {
        let (seed, _) = <pallet_babe::RandomnessFromOneEpochAgo<Runtime> as frame_support::traits::Randomness<Hash, BlockNumber>>::random(subject);
        let (previous_epoch_start, _) = pallet_babe::EpochStart::<Runtime>::get();
        (Some(seed), previous_epoch_start)
    }
}

impl pallet_starling_arena::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type Randomness = DrawRandomness;
    type VerifyOrigin = governance::TaskVerifier;
    type AdminOrigin = governance::ProtocolAdmin;
    type Treasury = TreasuryAccount;
    type PalletId = ArenaPalletId;
    type MaxActiveTasks = ConstU32<64>;
    type DefaultParams = DefaultArenaParams;
    type AuthorityId = worker::WorkerAuthId;
    type Models = Marketplace;
    type AllianceEmission = Alliance;
    type WeightInfo = pallet_starling_arena::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchmarkSetup;
}

/// Sets up the benchmarks of Starling's pallets: worker keys, BABE's VRF randomness and
/// voucher-signing users in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkSetup;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_starling_arena::BenchmarkHelper<AccountId, Balance> for BenchmarkSetup {
    fn prepare_randomness() {
        pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([7u8; 32]));
    }
}

/// Alliance windows. `fast-runtime` shortens them to a few blocks.
pub mod alliance_periods {
    use super::*;

    /// Shortest join, propose and vote windows.
    #[cfg(not(feature = "fast-runtime"))]
    pub const MIN_WINDOW: BlockNumber = HOURS;
    /// Shortest windows (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const MIN_WINDOW: BlockNumber = 3;
    /// Reveal window of every round.
    #[cfg(not(feature = "fast-runtime"))]
    pub const REVEAL: BlockNumber = HOURS;
    /// Reveal window (shortened by `fast-runtime`): two chances for a worker's reveal to be
    /// included (workers resubmit after three blocks), on a network making 3-second blocks.
    #[cfg(feature = "fast-runtime")]
    pub const REVEAL: BlockNumber = 6;
}

parameter_types! {
    /// The alliance's parameters until governance sets them.
    pub const DefaultAllianceParams: pallet_starling_alliance::AllianceParams<Balance, BlockNumber> =
        pallet_starling_alliance::AllianceParams {
            reveal_window: alliance_periods::REVEAL,
            min_window: alliance_periods::MIN_WINDOW,
            max_window: 30 * DAYS,
            min_reward: 10 * units::STAR,
            proposer_share: Perbill::from_percent(60),
            reject_slash: Perbill::from_percent(10),
            minority_slash: Perbill::from_percent(5),
        };
}

parameter_types! {
    /// Derives the alliance's payout account: rounds' rewards pass through it.
    pub const AlliancePalletId: frame_support::PalletId = frame_support::PalletId(*b"st/allnc");
}

impl pallet_starling_alliance::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type Randomness = DrawRandomness;
    type AdminOrigin = governance::ProtocolAdmin;
    type Treasury = TreasuryAccount;
    type PalletId = AlliancePalletId;
    type MaxActiveAlliances = ConstU32<32>;
    type DefaultParams = DefaultAllianceParams;
    type AuthorityId = worker::WorkerAuthId;
    type Models = Marketplace;
    type WeightInfo = pallet_starling_alliance::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchmarkSetup;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_starling_alliance::BenchmarkHelper<AccountId, Balance> for BenchmarkSetup {
    fn prepare_randomness() {
        pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([7u8; 32]));
    }
}

/// Marketplace settings. `fast-runtime` shortens the periods to a few blocks.
pub mod market_periods {
    use super::*;

    /// Blocks between a withdrawal request and the withdrawal.
    #[cfg(not(feature = "fast-runtime"))]
    pub const WITHDRAW_DELAY: BlockNumber = DAYS;
    /// Withdrawal delay (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const WITHDRAW_DELAY: BlockNumber = 10;
    /// Length of a free-tier period.
    #[cfg(not(feature = "fast-runtime"))]
    pub const FREE_PERIOD: BlockNumber = DAYS;
    /// Free-tier period (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const FREE_PERIOD: BlockNumber = 1_200;
    /// Validators re-score hosted versions once per this many blocks.
    #[cfg(not(feature = "fast-runtime"))]
    pub const QUALITY_PERIOD: BlockNumber = 6 * HOURS;
    /// Quality period (shortened by `fast-runtime`).
    #[cfg(feature = "fast-runtime")]
    pub const QUALITY_PERIOD: BlockNumber = 20;
}

parameter_types! {
    /// The marketplace's parameters until governance sets them: 70 % of each payment to the
    /// host, 20 % to the creators, 10 % to the treasury; 5 free calls a day plus one per
    /// 100 STAR bonded, at most 100.
    pub const DefaultMarketParams: pallet_starling_marketplace::MarketParams<Balance, BlockNumber> =
        pallet_starling_marketplace::MarketParams {
            host_share: Perbill::from_percent(70),
            creators_share: Perbill::from_percent(20),
            withdraw_delay: market_periods::WITHDRAW_DELAY,
            max_price: 1_000 * units::STAR,
            free_period: market_periods::FREE_PERIOD,
            free_base_calls: 5,
            free_calls_per_unit: 1,
            free_stake_unit: 100 * units::STAR,
            free_max_calls: 100,
            quality_period: market_periods::QUALITY_PERIOD,
        };
}

impl pallet_starling_marketplace::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type AdminOrigin = governance::ProtocolAdmin;
    type Treasury = TreasuryAccount;
    type VoucherSignature = Signature;
    type VoucherSigner = <Signature as sp_runtime::traits::Verify>::Signer;
    type MaxHostedLines = ConstU32<64>;
    type MaxHostsPerLine = ConstU32<16>;
    type DefaultParams = DefaultMarketParams;
    type AuthorityId = worker::WorkerAuthId;
    type WeightInfo = pallet_starling_marketplace::weights::SubstrateWeight<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchmarkSetup;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_starling_marketplace::BenchmarkHelper<AccountId, Balance, Signature>
    for BenchmarkSetup
{
    fn user(seed: u32) -> AccountId {
        let suri = alloc::format!("//user{seed}");
        AccountId::from(sp_io::crypto::sr25519_generate(BENCH_USER_KEY, Some(suri.into_bytes())).0)
    }

    fn sign(user: &AccountId, message: &[u8]) -> Signature {
        let public = sp_core::sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(user));
        let signature = sp_io::crypto::sr25519_sign(BENCH_USER_KEY, &public, message)
            .unwrap_or_else(|| sp_core::sr25519::Signature::from_raw([0; 64]));
        Signature::Sr25519(signature)
    }
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_starling_staking::WorkerKeyBenchmarkHelper<AccountId, Signature> for BenchmarkSetup {
    fn worker_key(index: u32) -> AccountId {
        let suri = alloc::format!("//worker{index}");
        AccountId::from(
            sp_io::crypto::sr25519_generate(worker::KEY_TYPE, Some(suri.into_bytes())).0,
        )
    }

    fn sign(worker: &AccountId, message: &[u8]) -> Signature {
        let public = sp_core::sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(worker));
        let signature = sp_io::crypto::sr25519_sign(worker::KEY_TYPE, &public, message)
            .unwrap_or_else(|| sp_core::sr25519::Signature::from_raw([0; 64]));
        Signature::Sr25519(signature)
    }
}

/// Key type of the marketplace benchmarks' user keys.
#[cfg(feature = "runtime-benchmarks")]
const BENCH_USER_KEY: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"user");

#[frame_support::runtime]
mod runtime {
    /// The Starling runtime.
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    /// Block bookkeeping, accounts and nonces.
    #[runtime::pallet_index(0)]
    pub type System = frame_system;
    /// Block timestamps; drives BABE slots.
    #[runtime::pallet_index(1)]
    pub type Timestamp = pallet_timestamp;
    /// BABE block production and the chain's VRF randomness.
    #[runtime::pallet_index(2)]
    pub type Babe = pallet_babe;
    /// GRANDPA finality.
    #[runtime::pallet_index(3)]
    pub type Grandpa = pallet_grandpa;
    /// The STAR token, with holds and freezes.
    #[runtime::pallet_index(4)]
    pub type Balances = pallet_balances;
    /// Transaction fees.
    #[runtime::pallet_index(5)]
    pub type TransactionPayment = pallet_transaction_payment;
    /// Development-chain superuser; no key is set outside the dev and local presets.
    #[runtime::pallet_index(6)]
    pub type Sudo = pallet_sudo;

    /// Stores the calls that referenda enact.
    #[runtime::pallet_index(10)]
    pub type Preimage = pallet_preimage;
    /// Dispatches enacted referenda at their scheduled block.
    #[runtime::pallet_index(11)]
    pub type Scheduler = pallet_scheduler;
    /// OpenGov referenda.
    #[runtime::pallet_index(12)]
    pub type Referenda = pallet_referenda;
    /// Conviction voting on referenda.
    #[runtime::pallet_index(13)]
    pub type ConvictionVoting = pallet_conviction_voting;
    /// The governance origins Starling's pallets take as admin origins.
    #[runtime::pallet_index(14)]
    pub type Origins = governance::origins::pallet_custom_origins;

    /// One stake ledger for training nodes, validators, FL participants and model hosts.
    #[runtime::pallet_index(20)]
    pub type Staking = pallet_starling_staking;

    /// AI Arena: training tasks, sealed submissions, committee scoring, rewards, slashing.
    #[runtime::pallet_index(21)]
    pub type Arena = pallet_starling_arena;

    /// FL Alliance: federated rounds on private data, robust aggregation, reward and slash.
    #[runtime::pallet_index(22)]
    pub type Alliance = pallet_starling_alliance;

    /// AI Marketplace: versioned models, staked hosts, paid inference with vouchers.
    #[runtime::pallet_index(23)]
    pub type Marketplace = pallet_starling_marketplace;
}

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// The transaction extensions every signed transaction carries.
///
/// `AuthorizeCall` comes first so that calls a pallet authorises itself (fee-free worker
/// calls) skip the signed-origin checks that follow.
pub type TxExtension = (
    frame_system::AuthorizeCall<Runtime>,
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    frame_system::WeightReclaim<Runtime>,
);
/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// Executive: handles dispatch to the various pallets.
pub type Executive = frame_executive::Executive<
    Runtime,
    Block,
    frame_system::ChainContext<Runtime>,
    Runtime,
    AllPalletsWithSystem,
>;

#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod benches {
    frame_benchmarking::define_benchmarks!(
        [frame_system, SystemBench::<Runtime>]
        [pallet_balances, Balances]
        [pallet_timestamp, Timestamp]
        [pallet_sudo, Sudo]
        [pallet_preimage, Preimage]
        [pallet_scheduler, Scheduler]
        [pallet_referenda, Referenda]
        [pallet_conviction_voting, ConvictionVoting]
        [pallet_starling_staking, Staking]
        [pallet_starling_arena, Arena]
        [pallet_starling_alliance, Alliance]
        [pallet_starling_marketplace, Marketplace]
    );
}
