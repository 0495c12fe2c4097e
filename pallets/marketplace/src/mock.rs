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
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_core::{sr25519, Pair};
use sp_runtime::{AccountId32, MultiSignature, MultiSigner, Perbill};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Params, Schema, Slice, Split,
};
use starling_primitives::Role;
use starling_support::worker_call::signing_message;

starling_test_utils::mock_runtime!(Marketplace: pallet_starling_marketplace);

parameter_types! {
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

/// The genesis hash of the test chain (what every signature names).
pub fn genesis() -> sp_core::H256 {
    starling_primitives::genesis_hash::<Test>()
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
    let message = signing_message(worker::SIGNING_CONTEXT, &genesis, kind, payload);
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

/// [`new_test_ext`] with a keystore, where the benchmarks generate worker keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    bench_ext(new_test_ext().into_inner())
}

/// Builds test externalities with operators 1..=40 and users 1..=10 endowed, minimum stakes of
/// 100 for every role.
pub fn new_test_ext() -> starling_test_utils::CheckedExt {
    let mut users: Vec<(AccountId, u64)> = (1..=10).map(|n| (user(n), ENDOWMENT)).collect();
    users.push((treasury(), 1));
    checked(ext_from(base_storage(users)))
}

/// `ext`, checked after every `execute_with` by the staking and marketplace invariants.
fn checked(ext: sp_io::TestExternalities) -> starling_test_utils::CheckedExt {
    starling_test_utils::CheckedExt::new(ext, || {
        Staking::do_try_state()?;
        Marketplace::do_try_state()
    })
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
