//! A small runtime for the tests: System, Balances, Staking and Arena, with sr25519 worker
//! keys, `AccountId32` accounts and a deterministic stand-in for BABE randomness.

use crate as pallet_starling_arena;
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
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Params, Schema, Slice, Split,
};
use starling_support::{commit_reveal::seal, worker_call::signing_message};

starling_test_utils::mock_runtime!(Arena: pallet_starling_arena);

parameter_types! {
    pub const ArenaPalletId: PalletId = PalletId(*b"st/arena");
    pub const DefaultParams: ArenaParams<u64, u64> = ArenaParams {
        committee_size: 3,
        min_submission_window: 5,
        max_submission_window: 100,
        reveal_window: 5,
        scoring_window: 5,
        score_reveal_window: 5,
        min_bounty: 100,
        task_deposit: 50,
        gamma: Perbill::from_percent(10),
        rank_ratio: Perbill::from_percent(50),
        deviation_tolerance: Perbill::from_percent(5),
        deviation_floor: 1_000,
        silent_slash: Perbill::from_percent(10),
        deviation_slash: Perbill::from_percent(20),
        emission: EmissionParams {
            initial_per_period: 0,
            period: 10,
            decay: Perbill::from_percent(10),
            decay_every: 3,
            arena_share: Perbill::from_percent(50),
        },
    };
}

/// The deterministic randomness of the tests (`NO_RANDOMNESS` makes a draw wait).
pub type TestRandomness = starling_test_utils::TestRandomness<Test>;
pub use starling_test_utils::NO_RANDOMNESS;

impl pallet_starling_arena::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Staking = Staking;
    type Randomness = TestRandomness;
    type VerifyOrigin = EnsureRoot<AccountId>;
    type AdminOrigin = EnsureRoot<AccountId>;
    type Treasury = Treasury;
    type PalletId = ArenaPalletId;
    type MaxActiveTasks = ConstU32<4>;
    type DefaultParams = DefaultParams;
    type AuthorityId = crypto::WorkerId;
    type Models = starling_test_utils::RecordModels;
    type AllianceEmission = RecordAllianceEmission;
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

/// [`new_test_ext`] with a keystore, where the benchmarks generate worker keys.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    bench_ext(new_test_ext().into_inner())
}

/// Signs `payload` for `kind` with operator `n`'s worker key.
pub fn sign<P: Encode>(n: u8, kind: CallKind, payload: &P) -> MultiSignature {
    let genesis = starling_primitives::genesis_hash::<Test>();
    let message = signing_message(worker::SIGNING_CONTEXT, &genesis, kind, payload);
    MultiSignature::Sr25519(worker_pair(n).sign(&message))
}

/// Builds test externalities with accounts 1..=40 endowed, minimum stakes of 100 for every
/// role, and the arena's payout account created.
pub fn new_test_ext() -> starling_test_utils::CheckedExt {
    let mut t = base_storage(vec![]);
    let arena = pallet_starling_arena::GenesisConfig::<Test>::default().assimilate_storage(&mut t);
    assert!(arena.is_ok(), "arena genesis: {arena:?}");
    checked(ext_from(t))
}

/// `ext`, checked after every `execute_with` by the staking and arena invariants.
fn checked(ext: sp_io::TestExternalities) -> starling_test_utils::CheckedExt {
    starling_test_utils::CheckedExt::new(ext, || {
        Staking::do_try_state()?;
        Arena::do_try_state()
    })
}

/// Runs `on_initialize` of every block up to and including `n`.
pub fn run_to_block(n: u64) {
    while System::block_number() < n {
        // The block ends: staking records whether it had room for worker calls.
        Staking::on_finalize(System::block_number());
        let next = System::block_number().saturating_add(1);
        System::set_block_number(next);
        Arena::on_initialize(next);
    }
}

/// A diabetes-regression task spec (OLS, MSE) with an evaluation set sealed by `salt`.
pub fn diabetes_spec(window: u64, max_submissions: u32) -> TaskSpec<u64> {
    TaskSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features: 10, label: LabelKind::Continuous },
        metric: Metric::Mse,
        training_data: TrainingData {
            dataset: DatasetRef::BuiltIn {
                dataset: BuiltInDataset::Diabetes,
                slice: Slice {
                    seed: 7,
                    split: Split::Train,
                    test_permille: 200,
                    shard_index: 0,
                    shard_count: 1,
                },
            },
            content_hash: H256::zero(),
            uri: Default::default(),
        },
        eval_commitment: eval_commitment_by(&acc(CREATOR)),
        submission_window: window,
        max_submissions,
    }
}

/// The account that creates the tasks of [`diabetes_spec`].
pub const CREATOR: u8 = 20;

/// The commitment of `creator` to [`eval_data`] with [`EVAL_SALT`].
pub fn eval_commitment_by(creator: &AccountId) -> H256 {
    seal(&(eval_data(), eval_hash()), &EVAL_SALT, creator)
}

/// Salt of the evaluation-data commitment in [`diabetes_spec`] (made by [`CREATOR`]).
pub const EVAL_SALT: [u8; 32] = [42; 32];

/// The content hash of [`eval_data`], as the engine computes it.
#[allow(clippy::expect_used)] // the built-in dataset always loads; a test fails loudly if not
pub fn eval_hash() -> H256 {
    H256(starling_ml_engine::Engine::default().dataset_hash(&eval_data()).expect("built-in data"))
}

/// The evaluation data of [`diabetes_spec`].
pub fn eval_data() -> DatasetRef {
    DatasetRef::BuiltIn {
        dataset: BuiltInDataset::Diabetes,
        slice: Slice {
            seed: 7,
            split: Split::Test,
            test_permille: 200,
            shard_index: 0,
            shard_count: 1,
        },
    }
}

/// Eleven parameters (10 features + intercept) filled with `v`.
pub fn params(v: i64) -> Params {
    Params::truncate_from(vec![v; 11])
}

std::thread_local! {
    /// The alliances' emission handed on in this test thread, period by period.
    pub static ALLIANCE_EMISSION: core::cell::RefCell<Vec<u64>> =
        const { core::cell::RefCell::new(Vec::new()) };
}

/// Records the alliances' share of every period (the runtime hands it to the alliances).
pub struct RecordAllianceEmission;

impl starling_primitives::emission::EmissionRecipient<u64> for RecordAllianceEmission {
    fn accrue(amount: u64) -> frame_support::weights::Weight {
        ALLIANCE_EMISSION.with(|e| e.borrow_mut().push(amount));
        frame_support::weights::Weight::zero()
    }
}
