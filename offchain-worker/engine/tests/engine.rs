//! Engine tests against independent computations, through the `MlBackend` trait and through
//! the host functions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::float_arithmetic,
    clippy::arithmetic_side_effects,
    clippy::needless_range_loop,
    missing_docs
)]

use codec::Encode;
use ndarray::{Array1, Array2};
use starling_ml_engine::{
    data::{self, Table},
    family::{family, Solver},
    fixed::{from_fixed, to_fixed},
    Engine,
};
use starling_ml_interface::{
    ml, BuiltInDataset, DatasetRef, EvaluateRequest, HyperParams, LabelKind, Metric, MlBackend,
    MlError, ModelFamily, Params, PredictRequest, Role, Schema, Slice, Split, TrainRequest,
    TrainResult, DATASET_HASH_DOMAIN, PARAM_SCALE, SCORE_SCALE,
};
use std::path::PathBuf;

const DIABETES: Schema = Schema { features: 10, label: LabelKind::Continuous };
const WINE_GOOD: Schema = Schema { features: 11, label: LabelKind::Classes(2) };
const IRIS: Schema = Schema { features: 4, label: LabelKind::Classes(3) };

fn built_in(
    dataset: BuiltInDataset,
    seed: u64,
    split: Split,
    shard: u16,
    shards: u16,
) -> DatasetRef {
    DatasetRef::BuiltIn {
        dataset,
        slice: Slice { seed, split, test_permille: 200, shard_index: shard, shard_count: shards },
    }
}

fn train_request(family: ModelFamily, schema: Schema, dataset: DatasetRef) -> TrainRequest {
    TrainRequest {
        family,
        schema,
        dataset,
        init: None,
        hyper: HyperParams::default(),
        worker: None,
    }
}

fn evaluate(
    engine: &Engine,
    family: ModelFamily,
    schema: Schema,
    dataset: DatasetRef,
    params: Params,
    metric: Metric,
) -> f64 {
    let result = engine
        .evaluate(EvaluateRequest {
            family,
            schema,
            dataset,
            params,
            metric,
            data_hash: None,
            worker: None,
        })
        .unwrap();
    from_fixed(result.score, SCORE_SCALE)
}

/// Solve `G a = r` by Gaussian elimination with partial pivoting (independent of linfa).
fn solve(mut g: Vec<Vec<f64>>, mut r: Vec<f64>) -> Vec<f64> {
    let n = r.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| g[a][col].abs().total_cmp(&g[b][col].abs())).unwrap();
        g.swap(col, pivot);
        r.swap(col, pivot);
        for row in col + 1..n {
            let factor = g[row][col] / g[col][col];
            for k in col..n {
                g[row][k] -= factor * g[col][k];
            }
            r[row] -= factor * r[col];
        }
    }
    let mut a = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| g[row][k] * a[k]).sum();
        a[row] = (r[row] - tail) / g[row][row];
    }
    a
}

/// OLS by the normal equations `(AᵀA) a = Aᵀy` with `A = [X 1]`; returns `[w…, b]`.
fn normal_equations(table: &Table) -> Vec<f64> {
    let (n, d) = table.x.dim();
    let a = |i: usize, j: usize| if j < d { table.x[[i, j]] } else { 1.0 };
    let g = (0..=d)
        .map(|j| (0..=d).map(|k| (0..n).map(|i| a(i, j) * a(i, k)).sum()).collect())
        .collect();
    let r = (0..=d).map(|j| (0..n).map(|i| a(i, j) * table.y[i]).sum()).collect();
    solve(g, r)
}

#[test]
fn ols_on_diabetes_matches_normal_equations() {
    let table = data::built_in(BuiltInDataset::Diabetes);
    let expected = normal_equations(&table);
    let solver = Solver { max_iterations: 0, l2: 0.0, tolerance: 1.0 };
    let fitted = family(&ModelFamily::LinearOls).fit(&table, None, &solver).unwrap();
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (got, want) in fitted.iter().zip(&expected) {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1e-3 * scale), "{got} vs {want}");
    }
    // The engine returns exactly the saturating fixed-point image of that fit.
    let all = DatasetRef::BuiltIn { dataset: BuiltInDataset::Diabetes, slice: Slice::ALL };
    let result =
        Engine::default().train(train_request(ModelFamily::LinearOls, DIABETES, all)).unwrap();
    let fixed: Vec<i64> = fitted.iter().map(|&p| to_fixed(p, PARAM_SCALE).unwrap()).collect();
    assert_eq!(result.params.to_vec(), fixed);
    assert_eq!(result.rows, 441);
}

#[test]
fn ridge_matches_its_normal_equations_and_shrinks() {
    let table = data::built_in(BuiltInDataset::Diabetes);
    let lambda = 0.5;
    // Independent: (X_cᵀX_c + λI) w = X_cᵀ y_c, b = ȳ - x̄·w.
    let (n, d) = table.x.dim();
    let mean = |j: usize| (0..n).map(|i| table.x[[i, j]]).sum::<f64>() / n as f64;
    let x_mean: Vec<f64> = (0..d).map(mean).collect();
    let y_mean = table.y.sum() / n as f64;
    let g = (0..d)
        .map(|j| {
            (0..d)
                .map(|k| {
                    let s: f64 = (0..n)
                        .map(|i| (table.x[[i, j]] - x_mean[j]) * (table.x[[i, k]] - x_mean[k]))
                        .sum();
                    if j == k {
                        s + lambda
                    } else {
                        s
                    }
                })
                .collect()
        })
        .collect();
    let r = (0..d)
        .map(|j| (0..n).map(|i| (table.x[[i, j]] - x_mean[j]) * (table.y[i] - y_mean)).sum())
        .collect();
    let w = solve(g, r);
    let b = y_mean - w.iter().zip(&x_mean).map(|(w, m)| w * m).sum::<f64>();
    let solver = Solver { max_iterations: 0, l2: 0.0, tolerance: 1.0 };
    let ridge = ModelFamily::LinearRidge { lambda: (lambda * PARAM_SCALE as f64) as u64 };
    let fitted = family(&ridge).fit(&table, None, &solver).unwrap();
    for (got, want) in fitted.iter().zip(w.iter().chain([b].iter())) {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{got} vs {want}");
    }
    let ols = family(&ModelFamily::LinearOls).fit(&table, None, &solver).unwrap();
    let norm = |p: &Array1<f64>| p.iter().take(d).map(|v| v * v).sum::<f64>();
    assert!(norm(&fitted) < norm(&ols));
}

/// The documented centralised wine-quality figure (README): binary label quality ≥ 6.
#[test]
fn logistic_on_wine_quality_reaches_the_documented_accuracy() {
    let engine = Engine::default();
    let mut request = train_request(
        ModelFamily::LogisticBinary,
        WINE_GOOD,
        built_in(BuiltInDataset::WineGood, 42, Split::Train, 0, 1),
    );
    request.hyper = HyperParams { max_iterations: 1000, l2: 1_000_000, tolerance: 100 };
    let trained = engine.train(request).unwrap();
    let test = built_in(BuiltInDataset::WineGood, 42, Split::Test, 0, 1);
    let accuracy = evaluate(
        &engine,
        ModelFamily::LogisticBinary,
        WINE_GOOD,
        test.clone(),
        trained.params.clone(),
        Metric::Accuracy,
    );
    let log_loss = evaluate(
        &engine,
        ModelFamily::LogisticBinary,
        WINE_GOOD,
        test,
        trained.params.clone(),
        Metric::LogLoss,
    );

    // Independent check of the reported accuracy: score the fixed-point parameters by hand.
    let table = data::select(
        &data::built_in(BuiltInDataset::WineGood),
        &Slice { seed: 42, split: Split::Test, test_permille: 200, shard_index: 0, shard_count: 1 },
    )
    .unwrap();
    let p: Vec<f64> = trained.params.iter().map(|&v| from_fixed(v, PARAM_SCALE)).collect();
    let correct = (0..table.rows())
        .filter(|&i| {
            let z: f64 = (0..11).map(|j| p[j] * table.x[[i, j]]).sum::<f64>() + p[11];
            (z > 0.0) == (table.y[i] == 1.0)
        })
        .count();
    let by_hand = correct as f64 / table.rows() as f64;
    println!("wine quality >= 6, seed 42, 20% test: {} train rows, {} test rows, accuracy {accuracy:.6}, log-loss {log_loss:.6}", trained.rows, table.rows());
    assert_eq!(trained.rows, 1280);
    assert!((accuracy - by_hand).abs() <= 1e-6, "{accuracy} vs {by_hand}");
    assert!(accuracy > 0.70, "{accuracy}");
}

#[test]
fn federated_diabetes_lands_near_centralised() {
    let engine = Engine::default();
    let seed = 7;
    let centralised = engine
        .train(train_request(
            ModelFamily::LinearOls,
            DIABETES,
            built_in(BuiltInDataset::Diabetes, seed, Split::Train, 0, 1),
        ))
        .unwrap();
    let shards: Vec<TrainResult> = (0..5)
        .map(|i| {
            engine
                .train(train_request(
                    ModelFamily::LinearOls,
                    DIABETES,
                    built_in(BuiltInDataset::Diabetes, seed, Split::Train, i, 5),
                ))
                .unwrap()
        })
        .collect();
    let rows: u32 = shards.iter().map(|s| s.rows).sum();
    assert_eq!(rows, centralised.rows);
    // Sample-weighted average in integer arithmetic, as a pallet would do it.
    let averaged: Vec<i64> = (0..11)
        .map(|k| {
            let sum: i128 =
                shards.iter().map(|s| i128::from(s.params[k]) * i128::from(s.rows)).sum();
            (sum / i128::from(rows)) as i64
        })
        .collect();
    let test = built_in(BuiltInDataset::Diabetes, seed, Split::Test, 0, 1);
    let mse_central = evaluate(
        &engine,
        ModelFamily::LinearOls,
        DIABETES,
        test.clone(),
        centralised.params,
        Metric::Mse,
    );
    let mse_federated = evaluate(
        &engine,
        ModelFamily::LinearOls,
        DIABETES,
        test,
        Params::truncate_from(averaged),
        Metric::Mse,
    );
    let gap = (mse_federated - mse_central).abs() / mse_central;
    println!("diabetes seed {seed}, 20% test: centralised test MSE {mse_central:.3}, 5-shard federated {mse_federated:.3} (gap {:.3}%)", gap * 100.0);
    assert!(gap <= 0.02, "gap {gap}");
}

#[test]
fn multinomial_on_iris_is_accurate_and_warm_starts() {
    let engine = Engine::default();
    let family = ModelFamily::LogisticMultinomial { classes: 3 };
    let train = built_in(BuiltInDataset::Iris, 3, Split::Train, 0, 1);
    let cold = engine.train(train_request(family, IRIS, train.clone())).unwrap();
    assert_eq!(cold.params.len(), 15);
    // Canonical normalisation: each weight and the intercepts sum to zero across classes.
    for j in 0..5 {
        let sum: i64 = (0..3).map(|c| cold.params[c * 5 + j]).sum();
        assert!(sum.abs() <= 2, "feature {j}: {sum}");
    }
    let mut warm = train_request(family, IRIS, train);
    warm.init = Some(cold.params.clone());
    let warm = engine.train(warm).unwrap();
    let accuracy = |params| {
        evaluate(
            &engine,
            family,
            IRIS,
            built_in(BuiltInDataset::Iris, 3, Split::Test, 0, 1),
            params,
            Metric::Accuracy,
        )
    };
    let (a_cold, a_warm) = (accuracy(cold.params.clone()), accuracy(warm.params.clone()));
    println!("iris multinomial, seed 3: test accuracy cold {a_cold}, warm {a_warm}");
    assert!(a_cold >= 0.9 && a_warm >= 0.9);
    // Starting at the optimum, the solver stays there (up to its tolerance).
    let moved =
        cold.params.iter().zip(warm.params.iter()).map(|(a, b)| (a - b).abs()).max().unwrap();
    assert!(moved < PARAM_SCALE / 10, "moved {moved}");
}

#[test]
fn same_request_gives_bit_identical_output() {
    let engine = Engine::default();
    let requests = [
        train_request(
            ModelFamily::LinearOls,
            DIABETES,
            built_in(BuiltInDataset::Diabetes, 1, Split::Train, 2, 5),
        ),
        train_request(
            ModelFamily::LinearRidge { lambda: 100_000 },
            DIABETES,
            built_in(BuiltInDataset::Diabetes, 1, Split::Train, 0, 1),
        ),
        train_request(
            ModelFamily::LogisticBinary,
            WINE_GOOD,
            built_in(BuiltInDataset::WineGood, 1, Split::Train, 1, 3),
        ),
        train_request(
            ModelFamily::LogisticMultinomial { classes: 3 },
            IRIS,
            built_in(BuiltInDataset::Iris, 1, Split::All, 0, 1),
        ),
    ];
    for request in requests {
        let a = engine.train(request.clone()).map(|r| r.encode());
        let b = Engine::default().train(request.clone()).map(|r| r.encode());
        assert!(a.is_ok(), "{request:?}: {a:?}");
        assert_eq!(a, b);
    }
    let eval = |engine: &Engine| {
        engine.evaluate(EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema: DIABETES,
            dataset: built_in(BuiltInDataset::Diabetes, 1, Split::Test, 0, 1),
            params: Params::truncate_from(vec![1_000_000; 11]),
            metric: Metric::R2,
            data_hash: None,
            worker: None,
        })
    };
    assert_eq!(eval(&engine).map(|r| r.encode()), eval(&Engine::default()).map(|r| r.encode()));
}

#[test]
fn predict_returns_values_and_classes() {
    let engine = Engine::default();
    // y = 2·x₁ - x₂ + 0.5
    let linear = engine
        .predict(PredictRequest {
            family: ModelFamily::LinearOls,
            schema: Schema { features: 2, label: LabelKind::Continuous },
            params: Params::truncate_from(vec![2_000_000, -1_000_000, 500_000]),
            rows: vec![1_000_000, 1_000_000, 0, 3_000_000].try_into().unwrap(),
        })
        .unwrap();
    assert_eq!(linear.predictions.to_vec(), vec![1_500_000, -2_500_000]);
    let binary = engine
        .predict(PredictRequest {
            family: ModelFamily::LogisticBinary,
            schema: Schema { features: 1, label: LabelKind::Classes(2) },
            params: Params::truncate_from(vec![1_000_000, 0]),
            rows: vec![-2_000_000, 3_000_000].try_into().unwrap(),
        })
        .unwrap();
    assert_eq!(binary.predictions.to_vec(), vec![0, 1]);
}

#[test]
fn host_functions_reach_the_engine() {
    let engine = Engine::default();
    let request = train_request(
        ModelFamily::LinearOls,
        DIABETES,
        built_in(BuiltInDataset::Diabetes, 5, Split::Train, 0, 2),
    );
    let direct = engine.train(request.clone()).unwrap();
    let mut ext = sp_io::TestExternalities::default();
    ext.register_extension(engine.extension());
    ext.execute_with(|| {
        assert_eq!(starling_ml_interface::train(&request), Ok(direct.clone()));
        // The raw host function: status code plus encoded result in the caller's buffer.
        let mut out = vec![0u8; 256];
        assert_eq!(ml::train(&request.encode(), &mut out), starling_ml_interface::STATUS_OK);
        assert_eq!(starling_ml_interface::decode_result(0, &out), Ok(direct));
        let mut short = vec![0u8; 4];
        assert_eq!(ml::train(&request.encode(), &mut short), MlError::BufferTooSmall.code());
    });
    sp_io::TestExternalities::default().execute_with(|| {
        assert_eq!(starling_ml_interface::train(&request), Err(MlError::EngineUnavailable));
    });
}

/// A data directory with a manifest, unique per test.
fn data_dir(name: &str, files: &[(&str, &str)], manifest: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("starling-ml-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    dir
}

const ALICE: [u8; 32] = [0xaa; 32];
const BOB: [u8; 32] = [0xbb; 32];

/// A job on local dataset `id` for `worker`, acting as an FL Alliance participant.
fn local(id: &str, worker: [u8; 32]) -> DatasetRef {
    local_as(id, worker, Role::FlParticipant)
}

fn local_as(id: &str, worker: [u8; 32], role: Role) -> DatasetRef {
    DatasetRef::Local {
        id: id.as_bytes().to_vec().try_into().unwrap(),
        worker,
        role,
        slice: Slice::ALL,
    }
}

fn local_engine(name: &str) -> Engine {
    let csv = "x1,x2,y\n1,0,1.5\n2,1,2\n3,0,3.5\n4,1,4\n5,0,5.5\n6,1,6.1\n";
    let manifest = format!(
        r#"{{"datasets": {{
			"clinic": {{"file": "clinic.csv", "label": "y", "workers": ["0x{}"], "roles": ["FlParticipant"]}},
			"broken": {{"file": "missing.csv", "label": "y", "workers": ["{}"], "roles": ["FlParticipant"]}},
			"dirty": {{"file": "dirty.csv", "label": "y", "workers": ["{}"], "roles": ["FlParticipant"]}}
		}}}}"#,
        "aa".repeat(32),
        "aa".repeat(32),
        "aa".repeat(32)
    );
    let dir = data_dir(
        name,
        &[("clinic.csv", csv), ("dirty.csv", "x1,x2,y\n1,NaN,1\n2,3,4\n3,3,3\n4,1,1\n")],
        &manifest,
    );
    // The node's keystore in these tests holds both keys, bonded for every role; the
    // manifest permits only Alice.
    Engine::new(Some(dir)).unwrap().for_own_keys(|key, _| *key == ALICE || *key == BOB)
}

#[test]
fn local_datasets_serve_only_permitted_workers() {
    let engine = local_engine("permit");
    let schema = Schema { features: 2, label: LabelKind::Continuous };
    let trained = engine
        .train(train_request(ModelFamily::LinearOls, schema, local("clinic", ALICE)))
        .unwrap();
    assert_eq!(trained.rows, 6);
    assert_eq!(
        engine.train(train_request(ModelFamily::LinearOls, schema, local("clinic", BOB))),
        Err(MlError::DatasetNotPermitted)
    );
    assert_eq!(
        engine.train(train_request(ModelFamily::LinearOls, schema, local("nowhere", ALICE))),
        Err(MlError::UnknownDataset)
    );
    assert_eq!(
        Engine::default().for_own_keys(|_, _| true).train(train_request(
            ModelFamily::LinearOls,
            schema,
            local("clinic", ALICE)
        )),
        Err(MlError::UnknownDataset)
    );
    assert_eq!(
        engine.train(train_request(ModelFamily::LinearOls, schema, local("broken", ALICE))),
        Err(MlError::DatasetUnreadable)
    );
    assert_eq!(
        engine.train(train_request(ModelFamily::LinearOls, schema, local("dirty", ALICE))),
        Err(MlError::NonFiniteData)
    );
}

/// Security review §1: local data is authorised by the execution context, never by the
/// request. A handle not made for the node's own off-chain workers (the RPC's) serves no local
/// dataset, and the workers' handle serves none for a worker key the node does not hold —
/// even one the manifest lists.
#[test]
fn local_datasets_need_a_key_this_node_holds() {
    let csv = "x1,y\n1,1\n2,2\n3,3\n4,4\n";
    let manifest = format!(
        r#"{{"datasets": {{"clinic": {{"file": "clinic.csv", "label": "y", "workers": ["{}", "{}"], "roles": ["FlParticipant"]}}}}}}"#,
        "aa".repeat(32),
        "bb".repeat(32)
    );
    let dir = data_dir("keys", &[("clinic.csv", csv)], &manifest);
    let schema = Schema { features: 1, label: LabelKind::Continuous };
    let rpc = Engine::new(Some(dir)).unwrap();
    // What an RPC caller would ask: the manifest lists Alice, and the request names her.
    let probe = train_request(ModelFamily::LinearOls, schema, local("clinic", ALICE));
    assert_eq!(rpc.train(probe.clone()), Err(MlError::LocalDataRefused));
    assert_eq!(rpc.dataset_hash(&local("clinic", ALICE)), Err(MlError::LocalDataRefused));
    let evaluate = EvaluateRequest {
        family: ModelFamily::LinearOls,
        schema,
        dataset: local("clinic", ALICE),
        params: vec![0, 0].try_into().unwrap(),
        metric: Metric::Mse,
        data_hash: None,
        worker: None,
    };
    assert_eq!(rpc.evaluate(evaluate.clone()), Err(MlError::LocalDataRefused));
    // The off-chain workers' handle on a node whose keystore holds only Bob's key.
    let workers = rpc.for_own_keys(|key, _| *key == BOB);
    assert_eq!(workers.train(probe), Err(MlError::LocalDataRefused));
    assert_eq!(workers.evaluate(evaluate), Err(MlError::LocalDataRefused));
    let own = train_request(ModelFamily::LinearOls, schema, local("clinic", BOB));
    assert_eq!(workers.train(own).unwrap().rows, 4);
    // The refusal reaches the runtime with its own status code.
    assert_eq!(
        MlError::from_code(MlError::LocalDataRefused.code()),
        Some(MlError::LocalDataRefused)
    );
}

/// Security review §1: a job reads private rows only acting in a role the manifest lists for
/// them, and only in a role its key's operator is bonded for on chain (the node's predicate):
/// rows listed for FL training are refused to a job acting as a validator, and to a job that
/// names the FL role for a key bonded only as a validator.
#[test]
fn local_datasets_serve_only_the_roles_they_are_listed_for() {
    let csv = "x1,y\n1,1\n2,2\n3,3\n4,4\n";
    let manifest = format!(
        r#"{{"datasets": {{
			"clinic": {{"file": "clinic.csv", "label": "y", "workers": ["{a}", "{b}"], "roles": ["FlParticipant"]}},
			"shared": {{"file": "clinic.csv", "label": "y", "workers": ["{a}"], "roles": ["TrainingNode", "FlParticipant"]}}
		}}}}"#,
        a = "aa".repeat(32),
        b = "bb".repeat(32)
    );
    let dir = data_dir("roles", &[("clinic.csv", csv)], &manifest);
    let schema = Schema { features: 1, label: LabelKind::Continuous };
    // Alice's operator is bonded as an FL participant and a training node; Bob's only as a
    // validator.
    let engine = Engine::new(Some(dir)).unwrap().for_own_keys(|key, role| match role {
        Role::FlParticipant | Role::TrainingNode => *key == ALICE,
        Role::Validator => *key == BOB,
        Role::ModelHost => false,
    });
    let train = |dataset| engine.train(train_request(ModelFamily::LinearOls, schema, dataset));
    assert_eq!(train(local_as("clinic", ALICE, Role::FlParticipant)).unwrap().rows, 4);
    assert_eq!(train(local_as("shared", ALICE, Role::TrainingNode)).unwrap().rows, 4);
    // Listed for FL training only: refused to Alice's job acting as a training node.
    assert_eq!(
        train(local_as("clinic", ALICE, Role::TrainingNode)),
        Err(MlError::DatasetNotForRole)
    );
    assert_eq!(
        engine.dataset_hash(&local_as("clinic", ALICE, Role::Validator)),
        Err(MlError::LocalDataRefused)
    );
    // Bob is listed for the rows, but his key is bonded only as a validator: a job naming the
    // FL role for him is refused before the manifest is read, and one acting as a validator
    // is refused by the manifest.
    assert_eq!(train(local_as("clinic", BOB, Role::FlParticipant)), Err(MlError::LocalDataRefused));
    assert_eq!(train(local_as("clinic", BOB, Role::Validator)), Err(MlError::DatasetNotForRole));
    assert_eq!(
        MlError::from_code(MlError::DatasetNotForRole.code()),
        Some(MlError::DatasetNotForRole)
    );
}

#[test]
fn content_hash_is_blake2_of_the_rows_in_slice_order() {
    let engine = local_engine("hash");
    // clinic.csv, row by row: x1, x2, y.
    let rows = [
        [1.0, 0.0, 1.5],
        [2.0, 1.0, 2.0],
        [3.0, 0.0, 3.5],
        [4.0, 1.0, 4.0],
        [5.0, 0.0, 5.5],
        [6.0, 1.0, 6.1],
    ];
    let mut bytes = DATASET_HASH_DOMAIN.to_vec();
    bytes.extend(6u64.to_le_bytes());
    bytes.extend(2u64.to_le_bytes());
    for i in data::slice_indices(6, &Slice::ALL).unwrap() {
        for value in rows[i] {
            bytes.extend(f64::to_bits(value).to_le_bytes());
        }
    }
    let clinic = local("clinic", ALICE);
    assert_eq!(engine.dataset_hash(&clinic).unwrap(), sp_io::hashing::blake2_256(&bytes));
    assert_eq!(engine.dataset_hash(&local("clinic", BOB)), Err(MlError::DatasetNotPermitted));
    // The same rows on any node; another slice, other rows.
    let test = built_in(BuiltInDataset::Diabetes, 7, Split::Test, 0, 1);
    let hash = engine.dataset_hash(&test).unwrap();
    assert_eq!(hash, Engine::default().dataset_hash(&test).unwrap());
    assert_ne!(
        hash,
        engine.dataset_hash(&built_in(BuiltInDataset::Diabetes, 8, Split::Test, 0, 1)).unwrap()
    );
    assert_ne!(
        hash,
        engine.dataset_hash(&built_in(BuiltInDataset::Diabetes, 7, Split::Train, 0, 1)).unwrap()
    );
}

#[test]
fn evaluation_refuses_rows_with_another_content_hash() {
    let engine = Engine::default();
    let dataset = built_in(BuiltInDataset::Diabetes, 7, Split::Test, 0, 1);
    let hash = engine.dataset_hash(&dataset).unwrap();
    let request = |data_hash| EvaluateRequest {
        family: ModelFamily::LinearOls,
        schema: DIABETES,
        dataset: dataset.clone(),
        params: Params::truncate_from(vec![1_000_000; 11]),
        metric: Metric::Mse,
        data_hash,
        worker: None,
    };
    let unchecked = engine.evaluate(request(None)).unwrap();
    assert_eq!(engine.evaluate(request(Some(hash))), Ok(unchecked));
    assert_eq!(engine.evaluate(request(Some([0; 32]))), Err(MlError::DataHashMismatch));
}

#[test]
fn flipped_labels_train_the_mirror_image_model() {
    let engine = Engine::default();
    // Regression: least squares on `min + max − y` negates every weight.
    let train = built_in(BuiltInDataset::Diabetes, 7, Split::Train, 0, 1);
    let honest =
        engine.train(train_request(ModelFamily::LinearOls, DIABETES, train.clone())).unwrap();
    let request = train_request(ModelFamily::LinearOls, DIABETES, train);
    let flipped = engine.train_on_flipped_labels(&request).unwrap();
    for j in 0..10 {
        assert!((honest.params[j] + flipped.params[j]).abs() <= 2, "weight {j}");
    }
    let mse = |params| {
        let test = built_in(BuiltInDataset::Diabetes, 7, Split::Test, 0, 1);
        evaluate(&engine, ModelFamily::LinearOls, DIABETES, test, params, Metric::Mse)
    };
    let (honest_mse, flipped_mse) = (mse(honest.params), mse(flipped.params));
    println!("diabetes OLS test MSE: honest {honest_mse:.0}, flipped labels {flipped_mse:.0}");
    assert!(flipped_mse > 3.0 * honest_mse);
    // Classes: c of k becomes k − 1 − c.
    let family = ModelFamily::LogisticMultinomial { classes: 3 };
    let train = built_in(BuiltInDataset::Iris, 3, Split::Train, 0, 1);
    let request = train_request(family, IRIS, train);
    let flipped = engine.train_on_flipped_labels(&request).unwrap();
    let test = built_in(BuiltInDataset::Iris, 3, Split::Test, 0, 1);
    let accuracy = evaluate(&engine, family, IRIS, test, flipped.params, Metric::Accuracy);
    println!("iris multinomial trained on flipped labels: test accuracy {accuracy}");
    assert!(accuracy < 0.5);
}

#[test]
fn bad_manifests_are_reported() {
    let missing =
        std::env::temp_dir().join(format!("starling-ml-{}-nothing-here", std::process::id()));
    assert!(Engine::new(Some(missing)).is_err());
    let bad_key = data_dir(
        "badkey",
        &[],
        r#"{"datasets": {"a": {"file": "a.csv", "label": "y", "workers": ["0x12"], "roles": ["FlParticipant"]}}}"#,
    );
    assert!(Engine::new(Some(bad_key)).unwrap_err().to_string().contains("not 32 bytes of hex"));
    let key = format!("\"0x{}\"", "aa".repeat(32));
    let no_roles = data_dir(
        "noroles",
        &[],
        &format!(
            r#"{{"datasets": {{"a": {{"file": "a.csv", "label": "y", "workers": [{key}], "roles": []}}}}}}"#
        ),
    );
    let error = Engine::new(Some(no_roles)).unwrap_err().to_string();
    assert!(error.contains(r#"dataset "a": list the roles"#), "{error}");
    let roles_missing = data_dir(
        "rolesmissing",
        &[],
        &format!(
            r#"{{"datasets": {{"a": {{"file": "a.csv", "label": "y", "workers": [{key}]}}}}}}"#
        ),
    );
    let error = Engine::new(Some(roles_missing)).unwrap_err().to_string();
    assert!(error.contains("missing field `roles`"), "{error}");
    let unknown_role = data_dir(
        "unknownrole",
        &[],
        &format!(
            r#"{{"datasets": {{"a": {{"file": "a.csv", "label": "y", "workers": [{key}], "roles": ["Trainer"]}}}}}}"#
        ),
    );
    let error = Engine::new(Some(unknown_role)).unwrap_err().to_string();
    assert!(error.contains("unknown variant `Trainer`"), "{error}");
    let not_json = data_dir("notjson", &[], "datasets = 1");
    assert!(Engine::new(Some(not_json)).is_err());
}

#[test]
fn every_request_error_is_named() {
    let engine = Engine::default();
    let diabetes = || built_in(BuiltInDataset::Diabetes, 0, Split::All, 0, 1);
    let train = |family, schema, dataset| engine.train(train_request(family, schema, dataset));

    // BadRequest: a slice with no shards, a zero tolerance, too many classes.
    assert_eq!(
        train(
            ModelFamily::LinearOls,
            DIABETES,
            built_in(BuiltInDataset::Diabetes, 0, Split::All, 0, 0)
        ),
        Err(MlError::BadRequest)
    );
    let mut zero_tolerance = train_request(ModelFamily::LinearOls, DIABETES, diabetes());
    zero_tolerance.hyper.tolerance = 0;
    assert_eq!(engine.train(zero_tolerance), Err(MlError::BadRequest));
    // DimensionMismatch: schema and data disagree; parameters of the wrong length.
    assert_eq!(
        train(ModelFamily::LinearOls, Schema { features: 9, ..DIABETES }, diabetes()),
        Err(MlError::DimensionMismatch)
    );
    let mut short_init = train_request(ModelFamily::LinearOls, DIABETES, diabetes());
    short_init.init = Some(Params::truncate_from(vec![0; 3]));
    assert_eq!(engine.train(short_init), Err(MlError::DimensionMismatch));
    // SchemaMismatch: OLS on classes, a binary model on three classes, accuracy for a regression.
    assert_eq!(
        train(ModelFamily::LinearOls, IRIS, built_in(BuiltInDataset::Iris, 0, Split::All, 0, 1)),
        Err(MlError::SchemaMismatch)
    );
    assert_eq!(
        train(
            ModelFamily::LogisticBinary,
            IRIS,
            built_in(BuiltInDataset::Iris, 0, Split::All, 0, 1)
        ),
        Err(MlError::SchemaMismatch)
    );
    assert_eq!(
        engine.evaluate(EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema: DIABETES,
            dataset: diabetes(),
            params: Params::truncate_from(vec![0; 11]),
            metric: Metric::Accuracy,
            data_hash: None,
            worker: None,
        }),
        Err(MlError::SchemaMismatch)
    );
    // LabelOutsideSchema: iris has class 2, the schema only 0 and 1.
    assert_eq!(
        train(
            ModelFamily::LogisticBinary,
            Schema { features: 4, label: LabelKind::Classes(2) },
            built_in(BuiltInDataset::Iris, 0, Split::All, 0, 1)
        ),
        Err(MlError::LabelOutsideSchema)
    );
    // TooFewRows: 3 rows for 11 parameters; a binary shard with one class only; no rows to score.
    assert_eq!(
        train(
            ModelFamily::LinearOls,
            DIABETES,
            built_in(BuiltInDataset::Diabetes, 0, Split::All, 0, 147)
        ),
        Err(MlError::TooFewRows)
    );
    let setosa_only = Table { x: Array2::from_elem((10, 1), 1.0), y: Array1::zeros(10) };
    let solver = Solver { max_iterations: 10, l2: 1.0, tolerance: 1e-4 };
    assert_eq!(
        family(&ModelFamily::LogisticBinary).fit(&setosa_only, None, &solver),
        Err(MlError::TooFewRows)
    );
    assert_eq!(
        engine.evaluate(EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema: DIABETES,
            dataset: DatasetRef::BuiltIn {
                dataset: BuiltInDataset::Diabetes,
                slice: Slice { split: Split::Test, ..Slice::ALL }
            },
            params: Params::truncate_from(vec![0; 11]),
            metric: Metric::Mse,
            data_hash: None,
            worker: None,
        }),
        Err(MlError::TooFewRows)
    );
    // TooManyParameters: 2000 features need 2001 parameters.
    assert_eq!(
        train(ModelFamily::LinearOls, Schema { features: 2000, ..DIABETES }, diabetes()),
        Err(MlError::TooManyParameters)
    );
    // NotConverged: one Newton step on unscaled wine data.
    let mut hurried = train_request(
        ModelFamily::LogisticBinary,
        WINE_GOOD,
        built_in(BuiltInDataset::WineGood, 0, Split::All, 0, 1),
    );
    hurried.hyper.max_iterations = 1;
    assert_eq!(engine.train(hurried), Err(MlError::NotConverged));
}
