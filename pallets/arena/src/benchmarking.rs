//! Benchmarks of every call, of worker-call validation, of the idle `on_initialize`, and of the
//! two heavy phase changes (closing reveals, finalising) up to [`MAX_SUBMISSIONS`] entries and
//! [`MAX_COMMITTEE`] committee members (frame-benchmarking v2).
//!
//! Worker keys are generated in the benchmark's keystore and sign real payloads.

// Benchmark set-up fails loudly; the macros expand to float maths on their own figures.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::type_complexity
)]

use super::*;
use crate::worker::{ModelCommitment, ModelReveal, ScoreCommitment, ScoreReveal};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
    pallet_prelude::TransactionSource,
    traits::{Authorize, EnsureOrigin, Get, Hooks},
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::H256;
use sp_runtime::traits::{One, SaturatedConversion, Saturating};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Params, Schema, Slice, Split,
};
use starling_primitives::Role;
use starling_support::bench;
use starling_support::commit_reveal::{content_hash, seal};

const EVAL_SALT: [u8; 32] = [42; 32];
/// Any content hash: benchmarks run no engine.
const EVAL_HASH: H256 = H256::repeat_byte(7);
const SALT: [u8; 32] = [7; 32];

/// The existential deposit (at least 1) times `n`.
fn units<T: Config>(n: u64) -> BalanceOf<T> {
    bench::units::<T::AccountId, T::Currency>(n)
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    bench::funded::<T::AccountId, T::Currency>(name, index)
}

/// An operator of `role` with a worker key; returns (operator, worker key).
fn operator<T: Config>(name: &'static str, index: u32, role: Role) -> (T::AccountId, T::Public) {
    bench::operator::<T, Pallet<T>, T::Currency>(name, index, role)
}

fn eval_data() -> DatasetRef {
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

fn eval() -> EvalData {
    EvalData { dataset: eval_data(), content_hash: EVAL_HASH }
}

/// A linear task with `features` features (the largest parameter vectors at `MAX_FEATURES`).
fn spec<T: Config>(features: u32, creator: &T::AccountId) -> TaskSpec<BlockNumberFor<T>> {
    let params = Parameters::<T>::get();
    TaskSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features, label: LabelKind::Continuous },
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
            uri: BoundedVec::truncate_from(vec![b'x'; MAX_URI_LEN as usize]),
        },
        eval_commitment: seal(&(eval_data(), EVAL_HASH), &EVAL_SALT, creator),
        submission_window: params.min_submission_window,
        max_submissions: MAX_SUBMISSIONS,
    }
}

fn bounty<T: Config>() -> BalanceOf<T> {
    Parameters::<T>::get().min_bounty.max(units::<T>(1_000))
}

fn create<T: Config>(features: u32) -> (TaskId, T::AccountId) {
    let creator = funded::<T>("creator", 0);
    let task =
        Pallet::<T>::do_create_task(creator.clone(), spec::<T>(features, &creator), bounty::<T>())
            .expect("task created");
    (task, creator)
}

fn params_of(value: i64, len: u32) -> Params {
    BoundedVec::truncate_from(vec![value; len as usize])
}

fn go_to<T: Config>(block: BlockNumberFor<T>) {
    frame_system::Pallet::<T>::set_block_number(block);
}

/// A task in its scoring phase with `s` entries and a committee of `c`; returns the task and
/// the committee's operators and keys.
fn scoring_task<T: Config>(s: u32, c: u32) -> (TaskId, Vec<(T::AccountId, T::Public)>) {
    let mut params = Parameters::<T>::get();
    params.committee_size = c;
    Parameters::<T>::put(params);
    let (task, creator) = create::<T>(10);
    for i in 0..s {
        let (trainer, key) = operator::<T>("trainer", i, Role::TrainingNode);
        let p = params_of(i64::from(i).saturating_add(1), 11);
        let commitment = seal(&content_hash(&p), &SALT, &trainer);
        Pallet::<T>::do_commit_model(
            &trainer,
            &ModelCommitment { worker: key.clone(), task, commitment, seq: 1 },
        )
        .expect("committed");
    }
    let validators: Vec<(T::AccountId, T::Public)> =
        (0..c).map(|i| operator::<T>("validator", i, Role::Validator)).collect();
    let record = Tasks::<T>::get(task).expect("task");
    go_to::<T>(record.submission_end);
    for i in 0..s {
        let trainer: T::AccountId = account("trainer", i, 0);
        let p = params_of(i64::from(i).saturating_add(1), 11);
        Submissions::<T>::mutate(task, &trainer, |sub| {
            if let Some(sub) = sub {
                sub.params_hash = Some(content_hash(&p));
                sub.model = Some(ModelData::Inline(p));
            }
        });
    }
    Pallet::<T>::do_publish_eval_data(&creator, task, eval(), EVAL_SALT).expect("published");
    go_to::<T>(record.reveal_end);
    T::BenchmarkHelper::prepare_randomness();
    let record = Tasks::<T>::get(task).expect("task");
    Pallet::<T>::close_reveals(task, record);
    assert_eq!(Committee::<T>::get(task).len() as u32, c, "whole committee drawn");
    (task, validators)
}

fn scores_of(s: u32) -> Scores {
    BoundedVec::truncate_from(
        (0..s).map(|i| 1_000_000i64.saturating_mul(i64::from(i).saturating_add(1))).collect(),
    )
}

#[benchmarks(where T: Config)]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn create_task() {
        let creator = funded::<T>("creator", 0);
        let spec = spec::<T>(MAX_FEATURES, &creator);
        #[extrinsic_call]
        _(RawOrigin::Signed(creator), spec, bounty::<T>());
        assert!(Tasks::<T>::contains_key(0));
    }

    #[benchmark]
    fn cancel_task() {
        let (task, creator) = create::<T>(10);
        #[extrinsic_call]
        _(RawOrigin::Signed(creator), task);
        assert!(ActiveTasks::<T>::get().is_empty());
    }

    #[benchmark]
    fn verify_task() -> Result<(), BenchmarkError> {
        let (task, _) = create::<T>(10);
        let origin =
            T::VerifyOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, task);
        assert!(Tasks::<T>::get(task).is_some_and(|t| t.verified));
        Ok(())
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let mut params = Parameters::<T>::get();
        params.committee_size = 2;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params);
        assert_eq!(Parameters::<T>::get().committee_size, 2);
        Ok(())
    }

    #[benchmark]
    fn commit_model() {
        let (task, _) = create::<T>(10);
        let (trainer, key) = operator::<T>("trainer", 0, Role::TrainingNode);
        let commitment = seal(&H256::repeat_byte(1), &SALT, &trainer);
        let payload = ModelCommitment { worker: key.clone(), task, commitment, seq: 1 };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Submissions::<T>::contains_key(task, &trainer));
    }

    /// Validation of a worker call (signature, worker registry, the call's own checks).
    #[benchmark]
    fn authorize_worker_call() {
        let (task, _) = create::<T>(10);
        let (trainer, key) = operator::<T>("trainer", 0, Role::TrainingNode);
        let commitment = seal(&H256::repeat_byte(1), &SALT, &trainer);
        let payload = ModelCommitment { worker: key.clone(), task, commitment, seq: 1 };
        let signature = bench::sign::<T, _>(&payload, &key);
        let call = Call::<T>::commit_model { payload, signature };
        #[block]
        {
            let validity = call.authorize(TransactionSource::External);
            assert!(matches!(validity, Some(Ok(_))));
        }
    }

    #[benchmark]
    fn reveal_model() {
        let (task, _) = create::<T>(MAX_FEATURES);
        let (trainer, key) = operator::<T>("trainer", 0, Role::TrainingNode);
        let p = params_of(123_456, MAX_FEATURES.saturating_add(1));
        let commitment = seal(&content_hash(&p), &SALT, &trainer);
        Pallet::<T>::do_commit_model(
            &trainer,
            &ModelCommitment { worker: key.clone(), task, commitment, seq: 1 },
        )
        .unwrap();
        go_to::<T>(Tasks::<T>::get(task).unwrap().submission_end);
        let payload =
            ModelReveal { worker: key.clone(), task, model: ModelData::Inline(p), salt: SALT };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Submissions::<T>::get(task, &trainer).unwrap().model.is_some());
    }

    #[benchmark]
    fn publish_eval_data() {
        let (task, creator) = create::<T>(10);
        go_to::<T>(Tasks::<T>::get(task).unwrap().submission_end);
        #[extrinsic_call]
        _(RawOrigin::Signed(creator), task, eval_data(), EVAL_HASH, EVAL_SALT);
        assert!(Tasks::<T>::get(task).unwrap().eval_data.is_some());
    }

    #[benchmark]
    fn commit_scores() {
        let (task, committee) = scoring_task::<T>(1, MAX_COMMITTEE);
        let (validator, key) = committee.last().cloned().unwrap();
        let commitment = seal(&scores_of(1), &SALT, &validator);
        let payload = ScoreCommitment { worker: key.clone(), task, commitment };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Committee::<T>::get(task)
            .iter()
            .any(|m| m.validator == validator && m.commitment.is_some()));
    }

    #[benchmark]
    fn reveal_scores() {
        let (task, committee) = scoring_task::<T>(MAX_SUBMISSIONS, MAX_COMMITTEE);
        let (validator, key) = committee.last().cloned().unwrap();
        let scores = scores_of(MAX_SUBMISSIONS);
        let commitment = seal(&scores, &SALT, &validator);
        Pallet::<T>::do_commit_scores(
            &validator,
            &ScoreCommitment { worker: key.clone(), task, commitment },
        )
        .unwrap();
        go_to::<T>(Tasks::<T>::get(task).unwrap().scoring_end);
        let payload = ScoreReveal { worker: key.clone(), task, scores, salt: SALT };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Committee::<T>::get(task)
            .iter()
            .any(|m| m.validator == validator && m.scores.is_some()));
    }

    /// `on_initialize` at an emission boundary with the most tasks running, none due.
    #[benchmark]
    fn on_initialize_idle() {
        let mut params = Parameters::<T>::get();
        params.emission.initial_per_period = units::<T>(1_000);
        params.emission.period = BlockNumberFor::<T>::one().saturating_add(One::one());
        Parameters::<T>::put(params);
        let creator = funded::<T>("creator", 0);
        let mut spec = spec::<T>(10, &creator);
        spec.submission_window = params.max_submission_window;
        for _ in 0..T::MaxActiveTasks::get() {
            let task =
                Pallet::<T>::do_create_task(creator.clone(), spec.clone(), bounty::<T>()).unwrap();
            Tasks::<T>::mutate(task, |t| {
                if let Some(t) = t {
                    t.verified = true;
                    t.trainer_weight = 1_000;
                }
            });
        }
        let now = frame_system::Pallet::<T>::block_number();
        let boundary = now.saturating_add(One::one());
        let boundary = if boundary.saturated_into::<u64>() % 2 == 0 {
            boundary
        } else {
            boundary.saturating_add(One::one())
        };
        go_to::<T>(boundary);
        #[block]
        {
            Pallet::<T>::on_initialize(boundary);
        }
        assert!(Tasks::<T>::get(0).unwrap().emission > 0u32.into());
    }

    #[benchmark]
    fn close_reveals(s: Linear<1, MAX_SUBMISSIONS>, c: Linear<1, MAX_COMMITTEE>) {
        let mut params = Parameters::<T>::get();
        params.committee_size = c;
        Parameters::<T>::put(params);
        let (task, creator) = create::<T>(10);
        for i in 0..s {
            let (trainer, key) = operator::<T>("trainer", i, Role::TrainingNode);
            let p = params_of(i64::from(i).saturating_add(1), 11);
            let commitment = seal(&content_hash(&p), &SALT, &trainer);
            Pallet::<T>::do_commit_model(
                &trainer,
                &ModelCommitment { worker: key.clone(), task, commitment, seq: 1 },
            )
            .unwrap();
        }
        for i in 0..c {
            let _ = operator::<T>("validator", i, Role::Validator);
        }
        let record = Tasks::<T>::get(task).unwrap();
        go_to::<T>(record.submission_end);
        for i in 0..s {
            let trainer: T::AccountId = account("trainer", i, 0);
            let p = params_of(i64::from(i).saturating_add(1), 11);
            Submissions::<T>::mutate(task, &trainer, |sub| {
                if let Some(sub) = sub {
                    sub.params_hash = Some(content_hash(&p));
                    sub.model = Some(ModelData::Inline(p));
                }
            });
        }
        Pallet::<T>::do_publish_eval_data(&creator, task, eval(), EVAL_SALT).unwrap();
        go_to::<T>(record.reveal_end);
        T::BenchmarkHelper::prepare_randomness();
        let record = Tasks::<T>::get(task).unwrap();
        #[block]
        {
            Pallet::<T>::close_reveals(task, record);
        }
        assert_eq!(Entries::<T>::get(task).len() as u32, s);
        assert_eq!(Committee::<T>::get(task).len() as u32, c);
    }

    /// Finalisation with every member revealing the same scores: every trainer and every
    /// member is paid through staking (`finalise` adds staking's slash weight for each member it slashes instead).
    #[benchmark]
    fn finalise(s: Linear<1, MAX_SUBMISSIONS>, c: Linear<1, MAX_COMMITTEE>) {
        let (task, committee) = scoring_task::<T>(s, c);
        let scores = scores_of(s);
        for (validator, key) in &committee {
            let commitment = seal(&scores, &SALT, validator);
            Pallet::<T>::do_commit_scores(
                validator,
                &ScoreCommitment { worker: key.clone(), task, commitment },
            )
            .unwrap();
        }
        go_to::<T>(Tasks::<T>::get(task).unwrap().scoring_end);
        for (validator, key) in &committee {
            Pallet::<T>::do_reveal_scores(
                validator,
                &ScoreReveal { worker: key.clone(), task, scores: scores.clone(), salt: SALT },
            )
            .unwrap();
        }
        let record = Tasks::<T>::get(task).unwrap();
        go_to::<T>(record.score_reveal_end);
        #[block]
        {
            Pallet::<T>::finalise(task, record);
        }
        assert_eq!(Results::<T>::get(task).unwrap().ranking.len() as u32, s);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
