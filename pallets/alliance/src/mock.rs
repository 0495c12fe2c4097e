//! A small runtime for the tests: System, Balances, Staking and Alliance, with sr25519 worker
//! keys, `AccountId32` accounts and a deterministic stand-in for BABE randomness.

use crate as pallet_starling_alliance;
use crate::{
    types::*,
    worker::{self, CallKind},
};
use codec::Encode;
use frame_support::{
    parameter_types,
    traits::{ConstU32, Hooks},
    PalletId,
};
use frame_system::EnsureRoot;
use sp_core::{Pair, H256};
use sp_runtime::{BuildStorage, MultiSignature, Perbill};
use starling_ml_interface::{BuiltInDataset, LabelKind, ModelFamily, Params, Schema};
use starling_support::worker_call::signing_message;

starling_test_utils::mock_runtime!(Alliance: pallet_starling_alliance);

parameter_types! {
    pub const AlliancePalletId: PalletId = PalletId(*b"st/allnc");
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

/// The deterministic randomness of the tests (`NO_RANDOMNESS` makes a draw wait).
pub type TestRandomness = starling_test_utils::TestRandomness<Test>;
pub use starling_test_utils::NO_RANDOMNESS;

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
    type Models = starling_test_utils::RecordModels;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BenchHelper;
}

/// Operators through the staking pallet's calls; randomness switched on.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, u64> for BenchHelper {
    fn prepare_randomness() {
        NO_RANDOMNESS.with(|n| n.set(false));
    }
}

/// Signs `payload` for `kind` with operator `n`'s worker key, on this chain.
pub fn sign<P: Encode>(n: u8, kind: CallKind, payload: &P) -> MultiSignature {
    sign_for_chain(starling_primitives::genesis_hash::<Test>(), n, kind, payload)
}

/// Signs `payload` for `kind` with operator `n`'s worker key, for the chain whose genesis hash
/// is `genesis_hash`.
pub fn sign_for_chain<P: Encode>(
    genesis_hash: H256,
    n: u8,
    kind: CallKind,
    payload: &P,
) -> MultiSignature {
    let message = signing_message(worker::SIGNING_CONTEXT, &genesis_hash, kind, payload);
    MultiSignature::Sr25519(worker_pair(n).sign(&message))
}

/// [`new_test_ext`] with a keystore, where the benchmarks generate worker keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    bench_ext(new_test_ext().into_inner())
}

/// Builds test externalities with accounts 1..=40 endowed, minimum stakes of 100 for every
/// role.
pub fn new_test_ext() -> starling_test_utils::CheckedExt {
    let mut t = base_storage(vec![]);
    // After the balances, whose genesis sets the total issuance: the alliance mints the payout
    // account's existential deposit.
    let alliance =
        pallet_starling_alliance::GenesisConfig::<Test>::default().assimilate_storage(&mut t);
    assert!(alliance.is_ok(), "alliance genesis: {alliance:?}");
    checked(ext_from(t))
}

/// `ext`, checked after every `execute_with` by the staking and alliance invariants.
fn checked(ext: sp_io::TestExternalities) -> starling_test_utils::CheckedExt {
    starling_test_utils::CheckedExt::new(ext, || {
        Staking::do_try_state()?;
        Alliance::do_try_state()
    })
}

/// Runs `on_initialize` of every block up to and including `n`.
pub fn run_to_block(n: u64) {
    while System::block_number() < n {
        // The block ends: staking records whether it had room for worker calls.
        Staking::on_finalize(System::block_number());
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
