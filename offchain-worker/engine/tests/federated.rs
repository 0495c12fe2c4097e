//! Federated rounds with the proximal term: five participants, each on one shard of the
//! diabetes training split, start every round from the sample-weighted average of the
//! previous round's updates. The global model's test MSE approaches that of OLS trained on
//! all of the training data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    missing_docs
)]

use starling_ml_engine::Engine;
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, EvaluateRequest, HyperParams, LabelKind, Metric, MlBackend,
    ModelFamily, Params, Schema, Slice, Split, TrainRequest, PARAM_SCALE, SCORE_SCALE,
};

const SCHEMA: Schema = Schema { features: 10, label: LabelKind::Continuous };

fn slice(split: Split, shard_index: u16, shard_count: u16) -> DatasetRef {
    DatasetRef::BuiltIn {
        dataset: BuiltInDataset::Diabetes,
        slice: Slice { seed: 7, split, test_permille: 200, shard_index, shard_count },
    }
}

fn mse(engine: &Engine, params: &Params) -> f64 {
    let request = EvaluateRequest {
        family: ModelFamily::LinearOls,
        schema: SCHEMA,
        dataset: slice(Split::Test, 0, 1),
        params: params.clone(),
        metric: Metric::Mse,
        data_hash: None,
        worker: None,
    };
    engine.evaluate(request).unwrap().score as f64 / SCORE_SCALE as f64
}

fn train(engine: &Engine, dataset: DatasetRef, init: Option<Params>, mu: f64) -> (Params, u32) {
    let hyper = HyperParams { l2: (mu * PARAM_SCALE as f64) as u64, ..HyperParams::default() };
    let result = engine
        .train(TrainRequest {
            family: ModelFamily::LinearOls,
            schema: SCHEMA,
            dataset,
            init,
            hyper,
            worker: None,
        })
        .unwrap();
    (result.params, result.rows)
}

/// Runs `rounds` rounds with proximal strength `mu`; returns the test MSE after each.
fn federate(engine: &Engine, shards: u16, rounds: usize, mu: f64) -> Vec<f64> {
    let mut global = Params::truncate_from(vec![0i64; 11]);
    let mut history = Vec::new();
    for _ in 0..rounds {
        let updates: Vec<(Params, u32)> = (0..shards)
            .map(|i| train(engine, slice(Split::Train, i, shards), Some(global.clone()), mu))
            .collect();
        let total: i128 = updates.iter().map(|(_, n)| i128::from(*n)).sum();
        let averaged: Vec<i64> = (0..11)
            .map(|j| {
                let sum: i128 =
                    updates.iter().map(|(p, n)| i128::from(p[j]) * i128::from(*n)).sum();
                sum.div_euclid(total) as i64
            })
            .collect();
        global = Params::truncate_from(averaged);
        history.push(mse(engine, &global));
    }
    history
}

#[test]
fn proximal_rounds_approach_the_centralised_model() {
    let engine = Engine::new(None).unwrap();
    let (central, _) = train(&engine, slice(Split::Train, 0, 1), None, 0.0);
    let central = mse(&engine, &central);
    for mu in [0.01, 0.1, 0.5, 1.0, 5.0] {
        let history = federate(&engine, 5, 10, mu);
        println!(
            "mu {mu}: centralised {central:.1}, rounds {:?}",
            history.iter().map(|m| (m * 10.0).round() / 10.0).collect::<Vec<_>>()
        );
    }
    let oneshot = federate(&engine, 5, 1, 0.0);
    println!("one-shot average of local OLS: {:.1}", oneshot[0]);
    // The strength the alliance demo uses.
    let history = federate(&engine, 5, 10, 0.1);
    let last = *history.last().unwrap();
    assert!(last <= 1.01 * central, "after 10 rounds {last:.1} vs centralised {central:.1}");
    // Rounds move the model: the first round alone is far from where ten rounds end.
    assert!(history[0] > 1.05 * last, "rounds matter: {history:?}");
}
