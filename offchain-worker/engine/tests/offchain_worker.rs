//! An off-chain worker trains with the real engine and submits a signed extrinsic.
//!
//! The test crate defines a one-call pallet (`ml_worker`) and a mock runtime around it. The
//! pallet's `offchain_worker` hook trains OLS on shard 2 of 5 of the built-in diabetes train
//! split through the `Ml` host functions and submits `submit_model { params, rows }`, signed
//! with the worker key (an app-crypto sr25519 key of type [`KEY_TYPE`]) from the keystore.
//! The externalities carry `TestOffchainExt`, `TestTransactionPoolExt`, a `MemoryKeystore`
//! and — unless a test leaves it out — the engine as the `MlExt` extension, exactly as the
//! node registers it for off-chain workers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use codec::{Decode, Encode};
use frame_support::{derive_impl, traits::Hooks};
use sp_core::{
    crypto::KeyTypeId,
    offchain::{
        testing::{TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
    },
    sr25519,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{
    generic::{self, Preamble, SignedPayload},
    traits::{BlakeTwo256, Dispatchable, IdentifyAccount, IdentityLookup, Verify},
    AccountId32, MultiSignature, MultiSigner,
};
use starling_ml_engine::Engine;
use starling_ml_interface::{MlBackend, MlError, TrainResult};

/// Key type of the worker key in the keystore.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"sml!");

/// The worker key: an sr25519 application key of [`KEY_TYPE`].
pub mod crypto {
    use super::KEY_TYPE;
    use sp_runtime::{
        app_crypto::{app_crypto, sr25519},
        MultiSignature, MultiSigner,
    };

    app_crypto!(sr25519, KEY_TYPE);

    /// Binds the application key to the runtime's `MultiSigner`/`MultiSignature`.
    pub struct WorkerId;

    impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for WorkerId {
        type RuntimeAppPublic = Public;
        type GenericPublic = sp_core::sr25519::Public;
        type GenericSignature = sp_core::sr25519::Signature;
    }
}

/// A minimal pallet whose off-chain worker trains a model and submits it, signed.
#[frame_support::pallet]
pub mod ml_worker {
    use frame_support::pallet_prelude::*;
    use frame_system::{
        offchain::{AppCrypto, CreateSignedTransaction, SendSignedTransaction, Signer},
        pallet_prelude::*,
    };
    use sp_runtime::offchain::StorageKind;
    use starling_ml_interface::{
        BuiltInDataset, DatasetRef, HyperParams, LabelKind, MlError, ModelFamily, Params, Schema,
        Slice, Split, TrainRequest,
    };

    /// Off-chain local storage key where the worker records the outcome of its last run
    /// (`Option<WorkerError>`, `None` when a transaction was submitted).
    pub const OUTCOME_KEY: &[u8] = b"starling-ml-test::outcome";

    /// Why an off-chain-worker run submitted nothing.
    #[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
    pub enum WorkerError {
        /// The keystore holds no worker key.
        NoWorkerKey,
        /// The engine refused or failed the job.
        Ml(MlError),
        /// The transaction could not be built or the pool rejected it.
        SubmitFailed,
    }

    /// The job every run performs: OLS on shard 2 of 5 of diabetes' train split.
    pub fn request() -> TrainRequest {
        TrainRequest {
            family: ModelFamily::LinearOls,
            schema: Schema { features: 10, label: LabelKind::Continuous },
            dataset: DatasetRef::BuiltIn {
                dataset: BuiltInDataset::Diabetes,
                slice: Slice {
                    seed: 7,
                    split: Split::Train,
                    test_permille: 200,
                    shard_index: 2,
                    shard_count: 5,
                },
            },
            init: None,
            hyper: HyperParams::default(),
            worker: None,
        }
    }

    #[pallet::config]
    pub trait Config: CreateSignedTransaction<Call<Self>> + frame_system::Config {
        /// The worker key that signs submissions.
        type WorkerId: AppCrypto<Self::Public, Self::Signature>;
    }

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Last model each worker submitted, with the number of rows it was trained on.
    #[pallet::storage]
    pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, (Params, u32)>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A worker submitted a model.
        ModelSubmitted { worker: T::AccountId, rows: u32 },
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Record `params`, trained on `rows` rows, as the caller's model.
        #[pallet::call_index(0)]
        #[pallet::weight(Weight::from_parts(10_000, 0))]
        pub fn submit_model(origin: OriginFor<T>, params: Params, rows: u32) -> DispatchResult {
            let worker = ensure_signed(origin)?;
            Models::<T>::insert(&worker, (params, rows));
            Self::deposit_event(Event::ModelSubmitted { worker, rows });
            Ok(())
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn offchain_worker(_block: BlockNumberFor<T>) {
            let outcome = Self::train_and_submit().err();
            sp_io::offchain::local_storage_set(
                StorageKind::PERSISTENT,
                OUTCOME_KEY,
                &outcome.encode(),
            );
        }
    }

    impl<T: Config> Pallet<T> {
        fn train_and_submit() -> Result<(), WorkerError> {
            let signer = Signer::<T, T::WorkerId>::any_account();
            if !signer.can_sign() {
                return Err(WorkerError::NoWorkerKey);
            }
            let result = starling_ml_interface::train(&request()).map_err(WorkerError::Ml)?;
            match signer.send_signed_transaction(|_| Call::submit_model {
                params: result.params.clone(),
                rows: result.rows,
            }) {
                Some((_, Ok(()))) => Ok(()),
                _ => Err(WorkerError::SubmitFailed),
            }
        }
    }
}

type AccountId = <<MultiSignature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Signed extrinsics carry the signer's account id and a `MultiSignature`. The mock has no
/// transaction extension (so no signed nonce): the test is about who signed what.
type Extrinsic = generic::UncheckedExtrinsic<AccountId, RuntimeCall, MultiSignature, ()>;
type Block = generic::Block<generic::Header<u64, BlakeTwo256>, Extrinsic>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        MlWorker: ml_worker,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = AccountId;
    type Lookup = IdentityLookup<AccountId>;
}

impl ml_worker::Config for Test {
    type WorkerId = crypto::WorkerId;
}

impl frame_system::offchain::SigningTypes for Test {
    type Public = MultiSigner;
    type Signature = MultiSignature;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    type RuntimeCall = RuntimeCall;
    type Extrinsic = Extrinsic;
}

impl<LocalCall> frame_system::offchain::CreateSignedTransaction<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    /// Sign the call the way a real runtime signs its payload (here with an empty extension).
    fn create_signed_transaction<
        C: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
    >(
        call: RuntimeCall,
        public: MultiSigner,
        account: AccountId,
        _nonce: u32,
    ) -> Option<Extrinsic> {
        let payload = SignedPayload::new(call, ()).ok()?;
        let signature = payload.using_encoded(|bytes| C::sign(bytes, public))?;
        let (call, (), ()) = payload.deconstruct();
        Some(Extrinsic::new_signed(call, account, signature, ()))
    }
}

/// A keystore holding one fresh sr25519 key of each of `key_types`, the test off-chain and
/// transaction-pool extensions, and — when `engine` is set — the real engine as `MlExt`.
/// Returns the externalities, the generated keys and a reader of the pool's transactions.
fn setup(
    key_types: &[KeyTypeId],
    engine: bool,
) -> (sp_io::TestExternalities, Vec<sr25519::Public>, impl Fn() -> Vec<Vec<u8>>) {
    let keystore = MemoryKeystore::new();
    let public: Vec<sr25519::Public> = key_types
        .iter()
        .map(|&key_type| keystore.sr25519_generate_new(key_type, None).unwrap())
        .collect();
    let (offchain, _offchain_state) = TestOffchainExt::new();
    let (pool, pool_state) = TestTransactionPoolExt::new();

    let mut ext = sp_io::TestExternalities::default();
    ext.register_extension(OffchainDbExt::new(offchain.clone()));
    ext.register_extension(OffchainWorkerExt::new(offchain));
    ext.register_extension(TransactionPoolExt::new(pool));
    ext.register_extension(KeystoreExt::new(keystore));
    if engine {
        ext.register_extension(Engine::new(None).unwrap().extension());
    }
    let transactions = move || pool_state.read().transactions.clone();
    (ext, public, transactions)
}

/// Run the worker once; the outcome it recorded in off-chain local storage.
fn run_worker() -> Option<ml_worker::WorkerError> {
    System::set_block_number(1);
    MlWorker::offchain_worker(1);
    let recorded = sp_io::offchain::local_storage_get(
        sp_runtime::offchain::StorageKind::PERSISTENT,
        ml_worker::OUTCOME_KEY,
    )
    .expect("the worker records every outcome");
    Decode::decode(&mut &recorded[..]).unwrap()
}

#[test]
fn worker_trains_with_the_engine_and_submits_a_signed_model() {
    let expected: TrainResult = Engine::new(None).unwrap().train(ml_worker::request()).unwrap();
    assert_eq!(expected.params.len(), 11, "10 weights and an intercept");
    assert_eq!(expected.rows, 71, "shard 2 of 5 of the 353-row train split");

    let (mut ext, keys, transactions) = setup(&[KEY_TYPE], true);
    ext.execute_with(|| {
        assert_eq!(run_worker(), None);

        let pool = transactions();
        assert_eq!(pool.len(), 1, "exactly one transaction");
        let tx = Extrinsic::decode(&mut &pool[0][..]).unwrap();

        // Signed by the keystore's worker key, over the call it carries.
        let Preamble::Signed(signer, signature, ()) = &tx.preamble else {
            panic!("not a signed transaction: {:?}", tx.preamble);
        };
        let worker = AccountId32::from(keys[0]);
        assert_eq!(signer, &worker);
        assert!(matches!(signature, MultiSignature::Sr25519(_)));
        let payload = SignedPayload::new(tx.function.clone(), ()).unwrap();
        assert!(payload.using_encoded(|bytes| signature.verify(bytes, &worker)));

        // Carries exactly the fixed-point parameters the engine gives for the same request.
        assert_eq!(
            tx.function,
            RuntimeCall::MlWorker(ml_worker::Call::submit_model {
                params: expected.params.clone(),
                rows: expected.rows,
            })
        );

        // And it dispatches: the model lands in storage under the worker's account.
        tx.function.dispatch(RuntimeOrigin::signed(worker.clone())).unwrap();
        assert_eq!(ml_worker::Models::<Test>::get(&worker), Some((expected.params, expected.rows)));
        System::assert_last_event(
            ml_worker::Event::ModelSubmitted { worker, rows: expected.rows }.into(),
        );
    });
}

#[test]
fn without_the_engine_the_worker_submits_nothing() {
    let (mut ext, _keys, transactions) = setup(&[KEY_TYPE], false);
    ext.execute_with(|| {
        assert_eq!(run_worker(), Some(ml_worker::WorkerError::Ml(MlError::EngineUnavailable)));
        assert!(transactions().is_empty());
    });
}

#[test]
fn without_a_worker_key_the_worker_submits_nothing() {
    let (mut ext, _keys, transactions) = setup(&[], true);
    ext.execute_with(|| {
        assert_eq!(run_worker(), Some(ml_worker::WorkerError::NoWorkerKey));
        assert!(transactions().is_empty());
    });
}

#[test]
fn a_key_of_another_type_cannot_sign() {
    let (mut ext, _keys, transactions) = setup(&[sp_core::crypto::key_types::ACCOUNT], true);
    ext.execute_with(|| {
        assert_eq!(run_worker(), Some(ml_worker::WorkerError::NoWorkerKey));
        assert!(transactions().is_empty());
    });
}
