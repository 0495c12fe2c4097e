//! A small runtime for the tests: System, Balances, Staking and Marketplace, with sr25519 worker
//! and user keys and `AccountId32` accounts.

use crate as pallet_starling_marketplace;
use crate::{
    pallet::SignedVoucherOf,
    types::*,
    voucher_message,
    worker::{self, CallKind},
};
use codec::Encode;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64},
    PalletId,
};
use frame_system::EnsureRoot;
use pallet_starling_staking::Role;
use sp_core::{sr25519, Pair};
use sp_runtime::{
    traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature, MultiSigner, Perbill,
};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Params, Schema, Slice, Split,
};

pub type AccountId = AccountId32;
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Staking: pallet_starling_staking,
        Marketplace: pallet_starling_marketplace,
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
    pub Treasury: AccountId = treasury();
    pub const DefaultParams: MarketParams<u64, u64> = MarketParams {
        host_share: Perbill::from_percent(70),
        creators_share: Perbill::from_percent(20),
        withdraw_delay: 10,
        max_price: 1_000,
        free_period: 20,
        free_base_calls: 2,
        free_calls_per_unit: 1,
        free_stake_unit: 100,
        free_max_calls: 10,
        quality_period: 10,
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

impl pallet_starling_marketplace::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type AdminOrigin = EnsureRoot<AccountId>;
    type Treasury = Treasury;
    type VoucherSignature = MultiSignature;
    type VoucherSigner = MultiSigner;
    type MaxHostedLines = ConstU32<4>;
    type MaxHostsPerLine = ConstU32<2>;
    type DefaultParams = DefaultParams;
    type AuthorityId = crypto::WorkerId;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchHelper;
}

/// Operators through the staking pallet's calls; users' keys from their seeds.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, u64, MultiSignature> for BenchHelper {
    fn make_operator(
        who: &AccountId,
        role: Role,
        stake: u64,
        worker: &AccountId,
    ) -> sp_runtime::DispatchResult {
        Staking::bond(RuntimeOrigin::signed(who.clone()), role, stake, Perbill::from_percent(10))?;
        Staking::register_worker(who, worker.clone())
    }

    fn user(seed: u32) -> AccountId {
        let suri = alloc::format!("//user{seed}");
        AccountId32::from(sp_io::crypto::sr25519_generate(BENCH_KEY, Some(suri.into_bytes())).0)
    }

    fn sign(user: &AccountId, message: &[u8]) -> MultiSignature {
        let public = sr25519::Public::from_raw(*AsRef::<[u8; 32]>::as_ref(user));
        MultiSignature::Sr25519(
            sp_io::crypto::sr25519_sign(BENCH_KEY, &public, message)
                .unwrap_or_else(|| sr25519::Signature::from_raw([0; 64])),
        )
    }
}

/// Key type of the benchmark users' keys.
#[cfg(feature = "runtime-benchmarks")]
const BENCH_KEY: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"user");

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

/// Operator account `n` (1 ..= 40 are endowed).
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

/// The genesis hash of the test chain (what every signature names).
pub fn genesis() -> sp_core::H256 {
    pallet_starling_staking::workers::genesis_hash::<Test>()
}

/// Signs `payload` for `kind` with operator `n`'s worker key, for the test chain.
pub fn sign<P: Encode>(n: u8, kind: CallKind, payload: &P) -> MultiSignature {
    sign_for_chain(genesis(), n, kind, payload)
}

/// Signs `payload` for `kind` with operator `n`'s worker key, for the chain with `genesis`.
pub fn sign_for_chain<P: Encode>(
    genesis: sp_core::H256,
    n: u8,
    kind: CallKind,
    payload: &P,
) -> MultiSignature {
    let message = worker::signing_message(&genesis, kind, payload);
    MultiSignature::Sr25519(worker_pair(n).sign(&message))
}

/// The key pair of user `n` (users sign vouchers with their account key).
pub fn user_pair(n: u8) -> sr25519::Pair {
    sr25519::Pair::from_seed(&[n.wrapping_add(200); 32])
}

/// User `n`'s account (users 1 ..= 10 are endowed).
pub fn user(n: u8) -> AccountId {
    AccountId32::from(user_pair(n).public().0)
}

/// A voucher of user `n` for `host`, signed by the user for the test chain.
pub fn voucher(
    n: u8,
    host: &AccountId,
    line: LineId,
    calls: u64,
    price: u64,
) -> SignedVoucherOf<Test> {
    voucher_for_chain(genesis(), n, host, line, calls, price)
}

/// A voucher of user `n` for `host`, signed by the user for the chain with `genesis`.
pub fn voucher_for_chain(
    genesis: sp_core::H256,
    n: u8,
    host: &AccountId,
    line: LineId,
    calls: u64,
    price: u64,
) -> SignedVoucherOf<Test> {
    let voucher = Voucher { user: user(n), host: host.clone(), line, calls, price };
    let message = voucher_message(&genesis, &voucher);
    SignedVoucher { voucher, signature: MultiSignature::Sr25519(user_pair(n).sign(&message)) }
}

/// Builds test externalities with operators 1..=40 and users 1..=10 endowed, minimum stakes of
/// 100 for every role.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
    let mut balances: Vec<(AccountId, u64)> = (1..=40).map(|n| (acc(n), ENDOWMENT)).collect();
    balances.extend((1..=10).map(|n| (user(n), ENDOWMENT)));
    balances.push((treasury(), 1));
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
    let mut ext = sp_io::TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Makes `n` an operator of `role` with `stake` and its worker key registered.
pub fn make_operator(n: u8, role: Role, stake: u64) {
    let origin = RuntimeOrigin::signed(acc(n));
    let bonded = Staking::bond(origin.clone(), role, stake, Perbill::from_percent(10));
    assert!(bonded.is_ok(), "bond: {bonded:?}");
    if pallet_starling_staking::WorkerOf::<Test>::get(acc(n)).is_none() {
        let set = Staking::set_worker(origin, worker_account(n), worker_proof(n));
        assert!(set.is_ok(), "set_worker: {set:?}");
    }
}

/// A diabetes regression model (OLS, 11 parameters filled with `v`), scored by MSE on the
/// diabetes test split.
pub fn model(v: i64) -> ModelSpec {
    ModelSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features: 10, label: LabelKind::Continuous },
        metric: Metric::Mse,
        data: ModelData::Inline(Params::truncate_from(vec![v; 11])),
        eval: Some(DatasetRef::BuiltIn {
            dataset: BuiltInDataset::Diabetes,
            slice: Slice {
                seed: 1,
                split: Split::Test,
                test_permille: 200,
                shard_index: 0,
                shard_count: 1,
            },
        }),
    }
}

/// Sets the block number.
pub fn run_to_block(n: u64) {
    System::set_block_number(n);
}
