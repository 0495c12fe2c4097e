//! An off-chain worker run with the real engine: a trainer's worker trains on the task's
//! public data and submits a sealed model that validation accepts; after the window it
//! reveals it; a committee member's worker scores it on the published evaluation data.

use super::*;

use crate::offchain::{TRAIN_HYPER_KEY, TRAIN_SHARD_KEY};
use codec::Encode;
use frame_support::traits::Hooks;
use starling_ml_engine::Engine;
use starling_ml_interface::{EvaluateRequest, HyperParams, MlBackend, TrainRequest};
use starling_test_utils::offchain::OffchainNode;

/// Externalities of a node holding the worker keys of trainer 1 and validators 11..=13,
/// with the real engine; `settings` are written to its persistent off-chain storage.
/// Returns them and a function that takes the calls its workers submitted.
fn node(
    settings: &[(&[u8], Vec<u8>)],
) -> (starling_test_utils::CheckedExt, impl Fn() -> Vec<crate::Call<Test>>) {
    let mut ext = new_test_ext();
    let node = OffchainNode::install(&mut ext, [1u8, 11, 12, 13]);
    ext.register_extension(Engine::new(None).unwrap().extension());
    for (key, value) in settings {
        node.set(key, value);
    }
    (ext, move || submitted_calls::<crate::Call<Test>>(&node))
}

/// Runs the node's off-chain workers at block `at`; the calls they submitted.
fn worker_calls(at: u64, take: &impl Fn() -> Vec<crate::Call<Test>>) -> Vec<crate::Call<Test>> {
    run_to_block(at);
    Arena::offchain_worker(at);
    take()
}

#[test]
fn workers_train_commit_reveal_and_score_with_the_engine() {
    // this node's trainers use shard 1 of 2 of the training data
    let (mut ext, take) = node(&[(TRAIN_SHARD_KEY, (1u16, 2u16).encode())]);

    ext.execute_with(|| {
        bond(1, Role::TrainingNode, 1_000);
        for n in 11..=13u8 {
            bond(n, Role::Validator, 1_000);
        }
        let task = create(20, 10);
        let calls = worker_calls(2, &take);
        assert_eq!(calls.len(), 1, "one commitment from the trainer's worker");
        for call in calls {
            assert!(matches!(call, crate::Call::commit_model { .. }));
            worker_call(call).unwrap();
        }
        // an overlapping run does not submit again
        Arena::offchain_worker(2);
        assert!(take().is_empty());

        let calls = worker_calls(12, &take);
        assert_eq!(calls.len(), 1);
        let revealed = match &calls[0] {
            crate::Call::reveal_model { payload, .. } => match &payload.model {
                ModelData::Inline(p) => p.clone(),
                other => panic!("unexpected model {other:?}"),
            },
            other => panic!("unexpected call {other:?}"),
        };
        for call in calls {
            worker_call(call).unwrap();
        }
        // The model is what the engine trains on shard 1 of 2.
        let mut dataset = diabetes_spec(10, 8).training_data.dataset;
        if let DatasetRef::BuiltIn { slice, .. } = &mut dataset {
            slice.shard_index = 1;
            slice.shard_count = 2;
        }
        let engine = Engine::new(None).unwrap();
        let expected = engine
            .train(TrainRequest {
                family: ModelFamily::LinearOls,
                schema: diabetes_spec(10, 8).schema,
                dataset,
                init: None,
                hyper: Default::default(),
                worker: None,
            })
            .unwrap();
        assert_eq!(revealed, expected.params);

        publish(20, task);
        run_to_block(16);
        assert_eq!(Committee::<Test>::get(task).len(), 3);
        run_to_block(17);
        Arena::offchain_worker(17);
        let calls = take();
        assert_eq!(calls.len(), 3, "three committee workers commit");
        for call in calls {
            worker_call(call).unwrap();
        }
        let calls = worker_calls(22, &take);
        assert_eq!(calls.len(), 3);
        let expected_score = engine
            .evaluate(EvaluateRequest {
                family: ModelFamily::LinearOls,
                schema: diabetes_spec(10, 8).schema,
                dataset: eval_data(),
                params: revealed,
                metric: Metric::Mse,
                data_hash: None,
                worker: None,
            })
            .unwrap()
            .score;
        for call in calls {
            match &call {
                crate::Call::reveal_scores { payload, .. } => {
                    assert_eq!(payload.scores.to_vec(), vec![expected_score])
                },
                other => panic!("unexpected call {other:?}"),
            }
            worker_call(call).unwrap();
        }
        run_to_block(26);
        let result = Results::<Test>::get(task).unwrap();
        assert_eq!(result.ranking[0].trainer, acc(1));
        assert_eq!(result.ranking[0].score, expected_score);
        assert!(result.committee.iter().all(|j| matches!(j.verdict, Verdict::Agreed { .. })));
    });
}

/// A node's training settings choose the model its trainer submits; committee workers
/// whose evaluation data does not have the committed content hash abstain, and the task is
/// cancelled as disputed.
#[test]
fn trainer_settings_and_evaluation_data_that_does_not_match_its_hash() {
    let hyper = HyperParams { l2: 5_000_000, ..HyperParams::default() };
    let (mut ext, take) = node(&[(TRAIN_HYPER_KEY, hyper.encode())]);
    ext.execute_with(|| {
        bond(1, Role::TrainingNode, 1_000);
        for n in 11..=13u8 {
            bond(n, Role::Validator, 1_000);
        }
        // The creator commits to a content hash its evaluation data does not have.
        let wrong = H256::repeat_byte(9);
        let spec = TaskSpec {
            eval_commitment: seal(&(eval_data(), wrong), &EVAL_SALT, &acc(CREATOR)),
            ..diabetes_spec(10, 8)
        };
        let task = NextTaskId::<Test>::get();
        assert_ok!(Arena::create_task(RuntimeOrigin::signed(acc(20)), spec, BOUNTY));
        run_to_block(2);
        Arena::offchain_worker(2);
        for call in take() {
            worker_call(call).unwrap();
        }
        let calls = worker_calls(12, &take);
        let revealed = match &calls[..] {
            [crate::Call::reveal_model { payload, .. }] => match &payload.model {
                ModelData::Inline(p) => p.clone(),
                other => panic!("unexpected model {other:?}"),
            },
            other => panic!("unexpected calls {other:?}"),
        };
        for call in calls {
            worker_call(call).unwrap();
        }
        // Ridge with the node's penalty, in the task's (OLS) layout.
        let expected = Engine::new(None)
            .unwrap()
            .train(TrainRequest {
                family: ModelFamily::LinearRidge { lambda: 5_000_000 },
                schema: diabetes_spec(10, 8).schema,
                dataset: diabetes_spec(10, 8).training_data.dataset,
                init: None,
                hyper,
                worker: None,
            })
            .unwrap();
        assert_eq!(revealed, expected.params);

        assert_ok!(Arena::publish_eval_data(
            RuntimeOrigin::signed(acc(20)),
            task,
            eval_data(),
            wrong,
            EVAL_SALT
        ));
        let calls = worker_calls(17, &take);
        assert_eq!(calls.len(), 3, "three committee workers commit");
        for call in calls {
            worker_call(call).unwrap();
        }
        let calls = worker_calls(22, &take);
        assert_eq!(calls.len(), 3);
        for call in calls {
            match &call {
                crate::Call::reveal_scores { payload, .. } => {
                    assert!(payload.scores.is_empty(), "the worker abstains")
                },
                other => panic!("unexpected call {other:?}"),
            }
            worker_call(call).unwrap();
        }
        run_to_block(26);
        assert_eq!(
            Tasks::<Test>::get(task).unwrap().phase,
            Phase::Cancelled(CancelReason::EvalDataDisputed)
        );
        assert!(!events().iter().any(|e| matches!(e, Event::Slashed { .. })));
    });
}

/// Security review §3: a commitment whose transaction has not landed is retried with the kept
/// secret. Before, each retry drew a new salt and overwrote the secret, so the node later
/// revealed a secret that did not open the commitment that landed: a trainer lost its
/// submission, a validator was slashed as silent.
#[test]
fn a_retried_commitment_is_the_first_one() {
    let mut ext = new_test_ext();
    let node = OffchainNode::install(&mut ext, [1u8, 11, 12, 13]);
    ext.register_extension(Engine::new(None).unwrap().extension());
    let take = || submitted_calls::<crate::Call<Test>>(&node);
    ext.execute_with(|| {
        bond(1, Role::TrainingNode, 1_000);
        for n in 11..=13u8 {
            bond(n, Role::Validator, 1_000);
        }
        let task = create(20, 10);
        let model_commitment = |calls: &[crate::Call<Test>]| match calls {
            [crate::Call::commit_model { payload, .. }] => payload.commitment,
            other => panic!("expected one model commitment, got {other:?}"),
        };
        let first = worker_calls(2, &take);
        // The transaction does not land; the node's randomness has moved on when it retries.
        node.set_seed([9; 32]);
        let retry = worker_calls(2 + u64::from(starling_support::agent::RETRY_AFTER), &take);
        assert_eq!(model_commitment(&first), model_commitment(&retry));
        worker_call(retry[0].clone()).unwrap();
        // The reveal opens the commitment that landed.
        for call in worker_calls(12, &take) {
            worker_call(call).unwrap();
        }
        assert!(Submissions::<Test>::get(task, acc(1)).unwrap().params_hash.is_some());

        // The same for a committee member's scores.
        publish(20, task);
        run_to_block(16);
        node.set_seed([1; 32]);
        let scores = |calls: &[crate::Call<Test>]| -> Vec<(sp_runtime::MultiSigner, H256)> {
            calls
                .iter()
                .map(|call| match call {
                    crate::Call::commit_scores { payload, .. } => {
                        (payload.worker.clone(), payload.commitment)
                    },
                    other => panic!("expected score commitments, got {other:?}"),
                })
                .collect()
        };
        let first = worker_calls(17, &take);
        assert!(!first.is_empty(), "the committee commits scores");
        node.set_seed([2; 32]);
        let retry = worker_calls(17 + u64::from(starling_support::agent::RETRY_AFTER), &take);
        assert_eq!(scores(&first), scores(&retry));
        for call in retry {
            worker_call(call).unwrap();
        }
        let scoring_end = Tasks::<Test>::get(task).unwrap().scoring_end;
        for call in worker_calls(scoring_end + 1, &take) {
            worker_call(call).unwrap();
        }
        assert!(Committee::<Test>::get(task).iter().all(|m| m.scores.is_some()));
    });
}
