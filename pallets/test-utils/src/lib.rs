//! # Starling test utilities
//!
//! The mock runtime every product pallet's tests share (a dev-dependency only, std): System,
//! Balances and Staking configured as the tests expect, `AccountId32` accounts, sr25519 worker
//! keys of the runtime's key type, the transaction-creation impls off-chain workers need, and
//! the test externalities. A pallet's `mock.rs` declares what is its own — its `Config`, its
//! parameters, its fixtures — and calls [`mock_runtime!`] for the rest.

/// Crates the macro's expansion names, so that a pallet needs none of them itself.
#[doc(hidden)]
pub mod reexport {
    pub use frame_support;
    pub use frame_system;
    pub use pallet_balances;
    pub use pallet_starling_staking;
    pub use sp_core;
    pub use sp_io;
    pub use sp_keystore;
    pub use sp_runtime;
}

use sp_core::{sr25519, Pair};
use sp_runtime::{AccountId32, MultiSigner, TryRuntimeError};
use starling_primitives::models::{ModelRegistry, ProducedModel};

/// Test externalities that check the runtime's invariants after every `execute_with`: each
/// test ends with its pallets' `do_try_state` (and staking's), so no test can leave the state
/// inconsistent unnoticed. Everything else of [`sp_io::TestExternalities`] is reached through
/// `Deref`.
pub struct CheckedExt {
    ext: sp_io::TestExternalities,
    check: fn() -> Result<(), TryRuntimeError>,
}

impl CheckedExt {
    /// `ext`, checked by `check` after every `execute_with`.
    pub fn new(ext: sp_io::TestExternalities, check: fn() -> Result<(), TryRuntimeError>) -> Self {
        Self { ext, check }
    }

    /// Runs `f`, then the invariant check, in the externalities.
    pub fn execute_with<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let check = self.check;
        self.ext.execute_with(|| {
            let result = f();
            let checked = check();
            assert!(checked.is_ok(), "invariant broken after the test: {checked:?}");
            result
        })
    }

    /// The externalities without the check (for the benchmarks' test suite).
    pub fn into_inner(self) -> sp_io::TestExternalities {
        self.ext
    }
}

impl core::ops::Deref for CheckedExt {
    type Target = sp_io::TestExternalities;
    fn deref(&self) -> &Self::Target {
        &self.ext
    }
}

impl core::ops::DerefMut for CheckedExt {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.ext
    }
}

/// The off-chain-worker harness: a test node with a keystore, an off-chain database and a
/// transaction pool, on which a pallet's `offchain_worker` runs as on a real node (the
/// pallet's test registers the real engine, or the node's demonstration decorator over it).
pub mod offchain {
    use codec::Decode;
    use parking_lot::RwLock;
    use sp_core::offchain::{
        testing::{OffchainState, PoolState, TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPoolExt,
    };
    use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
    use std::sync::Arc;

    /// The node's persistent off-chain storage as the engine's demonstration decorator reads
    /// it (`starling_ml_engine::demo::SettingsReader`).
    pub type Reader = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

    /// What a test node holds besides the externalities: its off-chain database and its
    /// transaction pool.
    pub struct OffchainNode {
        state: Arc<RwLock<OffchainState>>,
        pool: Arc<RwLock<PoolState>>,
    }

    impl OffchainNode {
        /// Registers on `ext` an off-chain database and worker, a transaction pool and a
        /// keystore holding the worker keys of `operators` (those of
        /// [`crate::worker_pair`]).
        pub fn install(
            ext: &mut sp_io::TestExternalities,
            operators: impl IntoIterator<Item = u8>,
        ) -> Self {
            let keystore = MemoryKeystore::new();
            for n in operators {
                let seed: String = core::iter::once("0x".to_string())
                    .chain((0..32).map(|_| format!("{:02x}", n.wrapping_add(100))))
                    .collect();
                let generated = keystore.sr25519_generate_new(crate::crypto::KEY_TYPE, Some(&seed));
                assert!(generated.is_ok(), "worker key {n}: {generated:?}");
            }
            let (offchain, state) = TestOffchainExt::new();
            let (pool, pool_state) = TestTransactionPoolExt::new();
            ext.register_extension(OffchainDbExt::new(offchain.clone()));
            ext.register_extension(OffchainWorkerExt::new(offchain));
            ext.register_extension(TransactionPoolExt::new(pool));
            ext.register_extension(KeystoreExt::new(Arc::new(keystore)));
            Self { state, pool: pool_state }
        }

        /// Writes a node setting: `value` under `key` in persistent off-chain storage.
        pub fn set(&self, key: &[u8], value: &[u8]) {
            self.state.write().persistent_storage.set(b"", key, value);
        }

        /// Sets the randomness the node's off-chain workers draw from (`random_seed`), e.g. to
        /// tell a retry's randomness from the first attempt's.
        pub fn set_seed(&self, seed: [u8; 32]) {
            self.state.write().seed = seed;
        }

        /// A reader of the node's persistent off-chain storage.
        pub fn reader(&self) -> Reader {
            let state = self.state.clone();
            Arc::new(move |key: &[u8]| state.read().persistent_storage.get(key))
        }

        /// Takes the transactions the node's workers submitted since the last call, decoded as
        /// `Xt`.
        #[allow(clippy::panic)] // a test helper: an undecodable transaction fails the test
        pub fn take<Xt: Decode>(&self) -> Vec<Xt> {
            let mut pool = self.pool.write();
            let taken = core::mem::take(&mut pool.transactions);
            taken
                .iter()
                .map(|bytes| match Xt::decode(&mut &bytes[..]) {
                    Ok(xt) => xt,
                    Err(error) => panic!("a submitted transaction does not decode: {error}"),
                })
                .collect()
        }
    }
}

/// The models a pallet hands to its [`ModelRegistry`] in the tests: recorded per test thread
/// (the runtime hands them to the marketplace).
pub struct RecordModels;

std::thread_local! {
    static MODELS: core::cell::RefCell<Vec<ProducedModel<AccountId32>>> =
        const { core::cell::RefCell::new(Vec::new()) };
}

impl ModelRegistry<AccountId32> for RecordModels {
    fn register(model: ProducedModel<AccountId32>) {
        MODELS.with(|models| models.borrow_mut().push(model));
    }
    fn register_weight() -> frame_support::weights::Weight {
        frame_support::weights::Weight::zero()
    }
}

/// The models registered so far in this test thread, oldest first.
pub fn registered_models() -> Vec<ProducedModel<AccountId32>> {
    MODELS.with(|models| models.borrow().clone())
}

std::thread_local! {
    /// When set, [`TestRandomness`] has nothing for the current block (a draw must wait).
    pub static NO_RANDOMNESS: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Deterministic per-block randomness standing in for BABE's `ParentBlockRandomness`: the
/// hash of the subject and the block, known from that block on; none while
/// [`NO_RANDOMNESS`] is set.
pub struct TestRandomness<T>(core::marker::PhantomData<T>);

impl<T: frame_system::Config>
    frame_support::traits::Randomness<
        Option<sp_core::H256>,
        frame_system::pallet_prelude::BlockNumberFor<T>,
    > for TestRandomness<T>
{
    fn random(
        subject: &[u8],
    ) -> (Option<sp_core::H256>, frame_system::pallet_prelude::BlockNumberFor<T>) {
        use codec::Encode;
        let block = frame_system::Pallet::<T>::block_number();
        if NO_RANDOMNESS.with(|n| n.get()) {
            return (None, block);
        }
        (Some(sp_core::H256(sp_io::hashing::blake2_256(&(subject, block).encode()))), block)
    }
}

/// The worker key type and its app crypto (the runtime's `swrk` key type).
pub mod crypto {
    use sp_core::crypto::KeyTypeId;
    use sp_runtime::{
        app_crypto::{app_crypto, sr25519},
        MultiSignature, MultiSigner,
    };

    /// Same key type as the runtime's worker key.
    pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"swrk");

    app_crypto!(sr25519, KEY_TYPE);

    /// Binds the app key to `MultiSigner`/`MultiSignature`.
    pub struct WorkerId;

    impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for WorkerId {
        type RuntimeAppPublic = Public;
        type GenericPublic = sp_core::sr25519::Public;
        type GenericSignature = sp_core::sr25519::Signature;
    }
}

/// Minimum operator stake in the tests.
pub const MIN_OPERATOR: u64 = 100;
/// Free balance of every endowed account.
pub const ENDOWMENT: u64 = 1_000_000;
/// Accounts `1 ..= ENDOWED` are endowed with [`ENDOWMENT`].
pub const ENDOWED: u8 = 40;

/// Fixture: treats every stake bonded so far as stake bonded at genesis: part of every
/// readable draw snapshot (its weight histories forgotten, security review §10) and earning
/// rewards at once (its pending points matured, L9). A product test calls it after setting up
/// its operators, standing in for the eras a real network lets pass between bonding and a
/// draw; stake moved afterwards is treated as usual. The staking pallet's own tests cover
/// histories and pending points themselves.
pub fn stake_as_of_genesis<T: pallet_starling_staking::Config>() {
    let _ = pallet_starling_staking::WeightHistory::<T>::clear(u32::MAX, None);
    let _ = pallet_starling_staking::PendingJoins::<T>::clear(u32::MAX, None);
    let _ = pallet_starling_staking::MemberPending::<T>::clear(u32::MAX, None);
}

/// Account `n` (an operator, a creator or a user).
pub fn acc(n: u8) -> AccountId32 {
    AccountId32::new([n; 32])
}

/// The treasury account of the tests.
pub fn treasury() -> AccountId32 {
    AccountId32::new([99; 32])
}

/// The worker key pair of operator `n`.
pub fn worker_pair(n: u8) -> sr25519::Pair {
    sr25519::Pair::from_seed(&[n.wrapping_add(100); 32])
}

/// The worker key of operator `n` as the runtime's signer.
pub fn worker(n: u8) -> MultiSigner {
    MultiSigner::from(worker_pair(n).public())
}

/// The worker key's account.
pub fn worker_account(n: u8) -> AccountId32 {
    AccountId32::from(worker_pair(n).public().0)
}

/// The plumbing the products' adversarial simulations share (issue 15): a seeded generator,
/// settings from the environment, a parallel runner that tallies what it played, and a window
/// in which worker calls meet congestion.
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)] // test-only code: a broken scenario must fail loudly
pub mod simulation {
    use std::collections::{BTreeMap, BTreeSet};

    /// Each of `delegators` backs up to two distinct random `operators` with 10 – 5,009 units
    /// through `delegate(delegator, operator, amount)`; returns whom each delegator backs.
    pub fn delegate_randomly(
        rng: &mut Rng,
        delegators: &[u8],
        operators: &[u8],
        mut delegate: impl FnMut(u8, u8, u64),
    ) -> BTreeMap<u8, Vec<u8>> {
        let mut delegations: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
        for d in delegators {
            for _ in 0..rng.below(3) {
                let Some(op) = operators.get(rng.below(operators.len() as u64) as usize) else {
                    continue;
                };
                if delegations.get(d).is_some_and(|ops| ops.contains(op)) {
                    continue;
                }
                delegate(*d, *op, 10 + rng.below(5_000));
                delegations.entry(*d).or_default().push(*op);
            }
        }
        delegations
    }

    /// The honest stake holders, each with the pools it has stake in: the operators outside
    /// `adversary`, and the delegators that back honest operators only.
    pub fn honest_holders(
        operators: &[u8],
        adversary: &BTreeSet<u8>,
        delegations: &BTreeMap<u8, Vec<u8>>,
    ) -> Vec<(u8, Vec<u8>)> {
        operators
            .iter()
            .filter(|o| !adversary.contains(o))
            .map(|o| (*o, vec![*o]))
            .chain(
                delegations
                    .iter()
                    .filter(|(_, ops)| ops.iter().all(|op| !adversary.contains(op)))
                    .map(|(d, ops)| (*d, ops.clone())),
            )
            .collect()
    }

    /// splitmix64: a small deterministic generator, so that a seed reproduces a scenario.
    pub struct Rng(pub u64);

    impl Rng {
        /// The next 64 random bits.
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in `0 .. n` (0 when `n` is 0).
        pub fn below(&mut self, n: u64) -> u64 {
            self.next_u64().checked_rem(n).unwrap_or(0)
        }

        /// True with `percent` % chance.
        pub fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    /// A number from the environment variable `name`, or `default`.
    pub fn env(name: &str, default: u64) -> u64 {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// Plays `scenarios` scenarios from `STARLING_SIM_SEED` (default 1) on every core, the
    /// strategy of each chosen by its seed from `strategies`; `play(seed, strategy)` returns
    /// named counters (each 0 or 1). Prints a table of the counters per strategy under `title`
    /// and returns the totals. A failing scenario panics naming its seed and strategy.
    pub fn run<S: Copy + Ord + core::fmt::Debug + Send + Sync>(
        title: &str,
        scenarios: u64,
        strategies: &[S],
        columns: &[&str],
        play: impl Fn(u64, S) -> Vec<u64> + Sync,
    ) -> Vec<u64> {
        let first = env("STARLING_SIM_SEED", 1);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let started = std::time::Instant::now();
        let count = strategies.len() as u64;
        let play = &play;
        let runs: Vec<Vec<(S, Vec<u64>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        (0..scenarios)
                            .filter(|i| i % threads == t)
                            .map(|i| {
                                let seed = first.wrapping_add(i);
                                let strategy = strategies[(seed % count) as usize];
                                let counters =
                                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                        play(seed, strategy)
                                    }))
                                    .unwrap_or_else(|_| {
                                        panic!("scenario seed {seed} ({strategy:?}) failed")
                                    });
                                (strategy, counters)
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a scenario failed")).collect()
        });
        let mut tally: BTreeMap<S, (u64, Vec<u64>)> = BTreeMap::new();
        let mut totals = vec![0u64; columns.len()];
        for (strategy, counters) in runs.into_iter().flatten() {
            let entry = tally.entry(strategy).or_insert_with(|| (0, vec![0; columns.len()]));
            entry.0 += 1;
            for (i, c) in counters.iter().enumerate() {
                entry.1[i] += c;
                totals[i] += c;
            }
        }
        println!(
            "{title}: {scenarios} scenarios from seed {first} on {threads} threads in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let mut header = format!("{:<24} {:>9}", "strategy", "played");
        for c in columns {
            header.push_str(&format!(" {c:>18}"));
        }
        println!("{header}");
        for (strategy, (played, counters)) in &tally {
            let mut line = format!("{:<24} {played:>9}", format!("{strategy:?}"));
            for c in counters {
                line.push_str(&format!(" {c:>18}"));
            }
            println!("{line}");
        }
        totals
    }

    /// A mock chain as a simulation drives it: the current block, a function running to a
    /// block (ending each block on the way, so that staking records whether it had room for
    /// worker calls), and a switch that makes the current block full.
    pub struct Chain {
        /// The current block.
        pub now: fn() -> u64,
        /// Runs to a block.
        pub advance: fn(u64),
        /// Makes the current block full (no room for worker calls) or not.
        pub congest: fn(bool),
    }

    /// Runs block by block until `until` (exclusive). Each block is full with `full` %
    /// chance: no worker call lands in it, and the chain records it. In a block with room,
    /// each member in `plan` whose planned block has come acts once; a member that never
    /// meets a block with room after its planned block stays silent. Now and then a call is
    /// delivered twice (a retry of a call that had landed): the second delivery must be
    /// refused.
    pub fn act_in_window<E: core::fmt::Debug>(
        rng: &mut Rng,
        chain: &Chain,
        until: u64,
        plan: &mut BTreeMap<u8, u64>,
        full: u64,
        mut act: impl FnMut(u8) -> Result<(), E>,
    ) {
        while (chain.now)() < until {
            let block = (chain.now)();
            let congested = rng.chance(full);
            (chain.congest)(congested);
            if !congested {
                let due: Vec<u8> =
                    plan.iter().filter(|(_, at)| **at <= block).map(|(n, _)| *n).collect();
                for n in due {
                    plan.remove(&n);
                    let result = act(n);
                    assert!(result.is_ok(), "member {n} at block {block}: {result:?}");
                    if rng.chance(10) {
                        assert!(act(n).is_err(), "a duplicate delivery was accepted");
                    }
                }
            }
            (chain.advance)(block + 1);
        }
        (chain.congest)(false);
    }
}

/// Declares the shared part of a product pallet's mock runtime, named `Test`: `System`,
/// `Balances`, `Staking` and the listed pallets; the system, balances and staking
/// configurations; the off-chain transaction impls; `Treasury`; `base_storage()` (accounts
/// `1 ..= ENDOWED` endowed, minimum stakes of [`MIN_OPERATOR`] for every role);
/// `ext_from(storage)` (externalities at block 1); `worker_proof(n)`; and, with
/// `runtime-benchmarks`, `WorkerKeys` and `bench_ext(ext)` (a keystore for the benchmarks'
/// keys).
///
/// ```ignore
/// use crate as pallet_starling_arena;
/// starling_test_utils::mock_runtime!(Arena: pallet_starling_arena);
/// ```
#[macro_export]
macro_rules! mock_runtime {
    ($($name:ident : $pallet:ident),+ $(,)?) => {
        pub use $crate::{acc, crypto, treasury, worker, worker_account, worker_pair, ENDOWMENT, MIN_OPERATOR};

        /// Accounts of the tests.
        pub type AccountId = $crate::reexport::sp_runtime::AccountId32;
        /// Extrinsics of the tests.
        pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
        type Block = frame_system::mocking::MockBlock<Test>;

        frame_support::construct_runtime!(
            pub enum Test {
                System: frame_system,
                Balances: pallet_balances,
                Staking: pallet_starling_staking,
                $($name: $pallet,)+
            }
        );

        // Each `derive_impl` in a block of its own: the macro's helper items must not meet.
        const _: () = {
            use frame_support::derive_impl;
            #[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
            impl frame_system::Config for Test {
                type Block = Block;
                type AccountId = AccountId;
                type Lookup = $crate::reexport::sp_runtime::traits::IdentityLookup<AccountId>;
                type AccountData = pallet_balances::AccountData<u64>;
            }
        };

        const _: () = {
            use frame_support::derive_impl;
            #[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
            impl pallet_balances::Config for Test {
                type AccountStore = System;
                type RuntimeHoldReason = RuntimeHoldReason;
                type ExistentialDeposit = frame_support::traits::ConstU64<1>;
            }
        };

        /// The calls the test node's workers submitted since the last call (see
        /// [`$crate::offchain::OffchainNode::take`]).
        pub fn submitted(node: &$crate::offchain::OffchainNode) -> Vec<RuntimeCall> {
            node.take::<Extrinsic>().into_iter().map(|xt| xt.function).collect()
        }

        /// The calls of one pallet (`C`, e.g. `crate::Call<Test>`) the test node's workers
        /// submitted since the last take; a call of any other pallet fails the test.
        #[allow(clippy::panic)] // a test helper: an unexpected call fails the test loudly
        pub fn submitted_calls<C: Clone>(node: &$crate::offchain::OffchainNode) -> Vec<C>
        where
            RuntimeCall: $crate::reexport::frame_support::traits::IsSubType<C>,
        {
            use $crate::reexport::frame_support::traits::IsSubType;
            submitted(node)
                .into_iter()
                .map(|call| match call.is_sub_type() {
                    Some(own) => own.clone(),
                    None => panic!("unexpected call {call:?}"),
                })
                .collect()
        }

        impl frame_system::offchain::SigningTypes for Test {
            type Public = $crate::reexport::sp_runtime::MultiSigner;
            type Signature = $crate::reexport::sp_runtime::MultiSignature;
        }

        impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
        where
            RuntimeCall: From<LocalCall>,
        {
            type Extrinsic = Extrinsic;
            type RuntimeCall = RuntimeCall;
        }

        impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for Test
        where
            RuntimeCall: From<LocalCall>,
        {
            type Extension = ();
            fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
                Extrinsic::new_transaction(call, extension)
            }
        }

        impl<LocalCall> frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for Test
        where
            RuntimeCall: From<LocalCall>,
        {
            fn create_extension() {}
        }

        frame_support::parameter_types! {
            pub const StakingPalletId: frame_support::PalletId = frame_support::PalletId(*b"st/stake");
            pub Treasury: AccountId = $crate::treasury();
            pub const MaxCommissionIncrease: $crate::reexport::sp_runtime::Perbill =
                $crate::reexport::sp_runtime::Perbill::from_percent(10);
        }

        impl pallet_starling_staking::Config for Test {
            type Currency = Balances;
            type RuntimeHoldReason = RuntimeHoldReason;
            type AdminOrigin = frame_system::EnsureRoot<AccountId>;
            type Treasury = Treasury;
            type PalletId = StakingPalletId;
            type BlocksPerDay = frame_support::traits::ConstU64<10>;
            type EraLength = frame_support::traits::ConstU64<10>;
            type MaxSlashableEras = frame_support::traits::ConstU32<8>;
            type MaxUnbondingChunks = frame_support::traits::ConstU32<4>;
            type MaxOperatorsPerRole = frame_support::traits::ConstU32<64>;
            type SnapshotEras = frame_support::traits::ConstU32<3>;
            type WorkerCallsPerWindow = frame_support::traits::ConstU32<50>;
            type WorkerRateWindow = frame_support::traits::ConstU64<10>;
            type MaxCommissionIncrease = MaxCommissionIncrease;
            type WorkerProof = $crate::reexport::sp_runtime::MultiSignature;
            #[cfg(feature = "runtime-benchmarks")]
            type BenchmarkHelper = WorkerKeys;
            type WeightInfo = ();
        }

        #[cfg(feature = "runtime-benchmarks")]
        frame_support::parameter_types! {
            /// Key type of the benchmarks' worker keys.
            pub const WorkerKeyType: $crate::reexport::sp_core::crypto::KeyTypeId = $crate::crypto::KEY_TYPE;
        }

        /// Worker keys of the benchmarks, generated in the benchmark keystore.
        #[cfg(feature = "runtime-benchmarks")]
        pub type WorkerKeys = pallet_starling_staking::KeystoreWorkerKeys<WorkerKeyType>;

        /// `ext` with a keystore, where the benchmarks generate worker keys.
        #[cfg(feature = "runtime-benchmarks")]
        pub fn bench_ext(mut ext: $crate::reexport::sp_io::TestExternalities) -> $crate::reexport::sp_io::TestExternalities {
            ext.register_extension($crate::reexport::sp_keystore::KeystoreExt::new(
                $crate::reexport::sp_keystore::testing::MemoryKeystore::new(),
            ));
            ext
        }

        /// Operator `n`'s worker key's proof of possession (its signature over `(acc(n), genesis)`).
        pub fn worker_proof(n: u8) -> $crate::reexport::sp_runtime::MultiSignature {
            use $crate::reexport::sp_core::Pair as _;
            let message = pallet_starling_staking::workers::worker_key_message::<Test>(&$crate::acc(n));
            $crate::reexport::sp_runtime::MultiSignature::from($crate::worker_pair(n).sign(&message))
        }

        /// Genesis storage of System, Balances (accounts `1 ..= ENDOWED` endowed, and
        /// `balances`) and Staking (minimum stakes of `MIN_OPERATOR` for every role); a pallet
        /// adds its own genesis.
        pub fn base_storage(balances: Vec<(AccountId, u64)>) -> $crate::reexport::sp_runtime::Storage {
            use $crate::reexport::sp_runtime::{BuildStorage as _, Perbill};
            let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
            let mut endowed: Vec<(AccountId, u64)> =
                (1..=$crate::ENDOWED).map(|n| ($crate::acc(n), $crate::ENDOWMENT)).collect();
            endowed.extend(balances);
            let balances = pallet_balances::GenesisConfig::<Test> { balances: endowed, ..Default::default() }
                .assimilate_storage(&mut t);
            assert!(balances.is_ok(), "balances genesis: {balances:?}");
            let staking = pallet_starling_staking::GenesisConfig::<Test> {
                min_stakes: pallet_starling_staking::Role::ALL
                    .iter()
                    .map(|r| (*r, $crate::MIN_OPERATOR, 10))
                    .collect(),
                commission_bounds: Some((Perbill::zero(), Perbill::from_percent(50))),
                commission_change_period: 5,
                unbonding_period: 20,
                operators: vec![],
            }
            .assimilate_storage(&mut t);
            assert!(staking.is_ok(), "staking genesis: {staking:?}");
            t
        }

        /// Dispatches a worker call as an authorized transaction would be, after checking that
        /// the transaction validation accepts exactly what dispatch accepts, and that a valid
        /// worker call is ordered above fee-paying traffic and drawn from the block's
        /// operational budget (security review §4).
        pub fn authorized_call<C>(call: C) -> Result<(), $crate::reexport::sp_runtime::DispatchError>
        where
            C: frame_support::traits::Authorize
                + frame_support::dispatch::GetDispatchInfo
                + Into<RuntimeCall>,
        {
            use $crate::reexport::sp_runtime::traits::Dispatchable as _;
            assert_eq!(
                call.get_dispatch_info().class,
                starling_support::worker_call::CLASS,
                "a worker call is operational"
            );
            let validity = call.authorize(frame_support::pallet_prelude::TransactionSource::External);
            assert!(validity.is_some(), "not an authorized call");
            let validity = validity.unwrap_or(Ok(Default::default()));
            if let Ok((valid, _)) = &validity {
                assert_eq!(
                    valid.priority,
                    starling_support::worker_call::PRIORITY,
                    "a valid worker call is ordered above fee-paying traffic"
                );
            }
            let result = call
                .into()
                .dispatch(frame_system::RawOrigin::Authorized.into())
                .map(|_| ())
                .map_err(|e| e.error);
            assert_eq!(
                validity.is_ok(),
                result.is_ok(),
                "validation and dispatch disagree: {validity:?} vs {result:?}"
            );
            result
        }

        /// Externalities over `storage`, at block 1.
        pub fn ext_from(storage: $crate::reexport::sp_runtime::Storage) -> $crate::reexport::sp_io::TestExternalities {
            let mut ext = $crate::reexport::sp_io::TestExternalities::new(storage);
            ext.execute_with(|| System::set_block_number(1));
            ext
        }
    };
}
