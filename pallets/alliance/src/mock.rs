//! A small runtime for the tests: System, Balances, Staking and Alliance, with sr25519 worker
//! keys, `AccountId32` accounts and a deterministic stand-in for BABE randomness.

use crate as pallet_starling_alliance;
use crate::{
    types::*,
    worker::{self, CallKind},
};
use codec::Encode;
use core::cell::Cell;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64, Hooks, Randomness},
    PalletId,
};
use frame_system::EnsureRoot;
use pallet_starling_staking::Role;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
    traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature, MultiSigner, Perbill,
};
use starling_ml_interface::{BuiltInDataset, LabelKind, ModelFamily, Params, Schema};

pub type AccountId = AccountId32;
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Staking: pallet_starling_staking,
        Alliance: pallet_starling_alliance,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = AccountId;
    type Lookup = IdentityLookup<AccountId>;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
    type ExistentialDeposit = ConstU64<1>;
}

/// The worker key type and its app crypto.
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

impl frame_system::offchain::SigningTypes for Test {
    type Public = MultiSigner;
    type Signature = MultiSignature;
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

/// The treasury account of the tests.
pub fn treasury() -> AccountId {
    AccountId32::new([99; 32])
}

parameter_types! {
    pub const StakingPalletId: PalletId = PalletId(*b"st/stake");
    pub const AlliancePalletId: PalletId = PalletId(*b"st/allnc");
    pub Treasury: AccountId = treasury();
    pub const DefaultParams: AllianceParams<u64, u64> = AllianceParams {
        reveal_window: 3,
        min_window: 2,
        max_window: 100,
        min_reward: 100,
        proposer_share: Perbill::from_percent(60),
        reject_slash: Perbill::from_percent(10),
        minority_slash: Perbill::from_percent(5),
    };
}

impl pallet_starling_staking::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type AdminOrigin = EnsureRoot<AccountId>;
    type Treasury = Treasury;
    type PalletId = StakingPalletId;
    type BlocksPerDay = ConstU64<10>;
    type EraLength = ConstU64<10>;
    type MaxSlashableEras = ConstU32<8>;
    type MaxUnbondingChunks = ConstU32<4>;
    type MaxOperatorsPerRole = ConstU32<64>;
    type WorkerCallsPerWindow = ConstU32<50>;
    type WorkerRateWindow = ConstU64<10>;
    type WorkerProof = MultiSignature;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = WorkerKeys;
    type WeightInfo = ();
}

#[cfg(feature = "runtime-benchmarks")]
parameter_types! {
    /// Key type of the benchmarks' worker keys.
    pub const WorkerKeyType: sp_core::crypto::KeyTypeId = crypto::KEY_TYPE;
}

/// Worker keys of the benchmarks, generated in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub type WorkerKeys = pallet_starling_staking::KeystoreWorkerKeys<WorkerKeyType>;

thread_local! {
    /// When set, the randomness source has nothing for the current block.
    pub static NO_RANDOMNESS: Cell<bool> = const { Cell::new(false) };
}

/// Deterministic per-block randomness standing in for BABE's `ParentBlockRandomness`.
pub struct TestRandomness;

impl Randomness<Option<H256>, u64> for TestRandomness {
    fn random(subject: &[u8]) -> (Option<H256>, u64) {
        let block = System::block_number();
        if NO_RANDOMNESS.with(|n| n.get()) {
            return (None, block);
        }
        (Some(H256(sp_io::hashing::blake2_256(&(subject, block).encode()))), block)
    }
}

impl pallet_starling_alliance::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type Randomness = TestRandomness;
    type AdminOrigin = EnsureRoot<AccountId>;
    type Treasury = Treasury;
    type PalletId = AlliancePalletId;
    type MaxActiveAlliances = ConstU32<4>;
    type DefaultParams = DefaultParams;
    type AuthorityId = crypto::WorkerId;
    type OnFinished = RecordFinished;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchHelper;
}

/// Operators through the staking pallet's calls; randomness switched on.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, u64> for BenchHelper {
    fn make_operator(
        who: &AccountId,
        role: Role,
        stake: u64,
        worker: &AccountId,
    ) -> sp_runtime::DispatchResult {
        Staking::bond(RuntimeOrigin::signed(who.clone()), role, stake, Perbill::from_percent(10))?;
        Staking::register_worker(who, worker.clone())
    }

    fn prepare_randomness() {
        NO_RANDOMNESS.with(|n| n.set(false));
    }
}

/// [`new_test_ext`] with a keystore, where the benchmarks generate worker keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext
}

/// Minimum operator stake in the tests.
pub const MIN_OPERATOR: u64 = 100;
/// Free balance of every endowed account.
pub const ENDOWMENT: u64 = 1_000_000;

/// Operator (or creator) account `n` (1 ..= 40 are endowed).
pub fn acc(n: u8) -> AccountId {
    AccountId32::new([n; 32])
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
pub fn worker_account(n: u8) -> AccountId {
    AccountId32::from(worker_pair(n).public().0)
}

/// Operator `n`'s worker key's proof of possession (its signature over `(acc(n), genesis)`).
pub fn worker_proof(n: u8) -> MultiSignature {
    let message = pallet_starling_staking::workers::worker_key_message::<Test>(&acc(n));
    MultiSignature::from(worker_pair(n).sign(&message))
}

/// Signs `payload` for `kind` with operator `n`'s worker key, on this chain.
pub fn sign<P: Encode>(n: u8, kind: CallKind, payload: &P) -> MultiSignature {
    sign_for_chain(pallet_starling_staking::workers::genesis_hash::<Test>(), n, kind, payload)
}

/// Signs `payload` for `kind` with operator `n`'s worker key, for the chain whose genesis hash
/// is `genesis_hash`.
pub fn sign_for_chain<P: Encode>(
    genesis_hash: H256,
    n: u8,
    kind: CallKind,
    payload: &P,
) -> MultiSignature {
    MultiSignature::Sr25519(worker_pair(n).sign(&worker::signing_message(
        &genesis_hash,
        kind,
        payload,
    )))
}

/// Builds test externalities with accounts 1..=40 endowed, minimum stakes of 100 for every
/// role.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
    let balances: Vec<(AccountId, u64)> = (1..=40).map(|n| (acc(n), ENDOWMENT)).collect();
    let _ = pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
        .assimilate_storage(&mut t);
    let _ = pallet_starling_staking::GenesisConfig::<Test> {
        min_stakes: Role::ALL.iter().map(|r| (*r, MIN_OPERATOR, 10)).collect(),
        commission_bounds: Some((Perbill::zero(), Perbill::from_percent(50))),
        commission_change_period: 5,
        unbonding_period: 20,
        operators: vec![],
    }
    .assimilate_storage(&mut t);
    // After the balances, whose genesis sets the total issuance: the alliance mints the payout
    // account's existential deposit.
    let _ = pallet_starling_alliance::GenesisConfig::<Test>::default().assimilate_storage(&mut t);
    let mut ext = sp_io::TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Runs `on_initialize` of every block up to and including `n`.
pub fn run_to_block(n: u64) {
    while System::block_number() < n {
        let next = System::block_number().saturating_add(1);
        System::set_block_number(next);
        Alliance::on_initialize(next);
    }
}

/// A diabetes-regression alliance (OLS, 11 parameters, initial model all zero).
pub fn spec(rounds: u32, aggregation: Aggregation) -> AllianceSpec<u64> {
    AllianceSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features: 10, label: LabelKind::Continuous },
        data: AllianceData::BuiltIn {
            dataset: BuiltInDataset::Diabetes,
            seed: 7,
            test_permille: 200,
        },
        initial_model: Params::truncate_from(vec![0; 11]),
        rounds,
        proposer_fraction: Perbill::from_percent(50),
        join_window: 5,
        propose_window: 3,
        vote_window: 3,
        min_participants: 2,
        max_participants: 8,
        aggregation,
        sample_cap: 100,
        proximal: 100_000,
        approve_slack: Perbill::from_percent(5),
    }
}

/// Eleven parameters filled with `v`.
pub fn params(v: i64) -> Params {
    Params::truncate_from(vec![v; 11])
}

std::thread_local! {
    /// The final models handed on by finished alliances in this test thread.
    pub static FINISHED: core::cell::RefCell<Vec<crate::FinalModel<AccountId>>> =
        const { core::cell::RefCell::new(Vec::new()) };
}

/// Records every final model the alliance hands on (the runtime hands them to the
/// marketplace).
pub struct RecordFinished;

impl crate::OnFinished<AccountId> for RecordFinished {
    fn on_finished(model: crate::FinalModel<AccountId>) {
        FINISHED.with(|f| f.borrow_mut().push(model));
    }
    fn weight() -> frame_support::weights::Weight {
        frame_support::weights::Weight::zero()
    }
}
