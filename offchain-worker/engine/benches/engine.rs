//! Wall-clock figures for the engine: train + evaluate per dataset and family.
//!
//! Run with `cargo bench -p starling-ml-engine` (release profile). Prints one table row per
//! case: the median of several runs, timed with `std::time::Instant` around the engine's
//! `MlBackend` calls — the work a host-function call does, minus SCALE encoding. It asserts
//! nothing about time.
//!
//! Every case trains on the train split (seed 42, 200 ‰ test) and scores on the test split.
//! The generated set — 100,000 rows × 20 features, `y = x·w + 3 + noise` from a fixed
//! SplitMix64 seed — is written as a CSV with a `manifest.json` into a temporary data
//! directory and used as a local dataset, so its figures include reading and parsing the
//! file, which the engine does on every job; that share is printed separately.

// A bench binary: floating-point statistics over indices it creates itself.
#![allow(clippy::float_arithmetic, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use starling_ml_engine::{local::LocalData, Engine};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, EvaluateRequest, HyperParams, LabelKind, Metric, MlBackend,
    ModelFamily, Schema, Slice, Split, TrainRequest, WorkerKey, PARAM_SCALE, SCORE_SCALE,
};
use std::{
    error::Error,
    fmt::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// Runs per built-in case; the median is reported.
const RUNS: usize = 11;
/// Runs per generated-set case (each run reads and parses a ~20 MB CSV twice).
const RUNS_LARGE: usize = 5;

/// Generated set: rows, features, seed.
const GENERATED_ROWS: usize = 100_000;
const GENERATED_FEATURES: usize = 20;
const GENERATED_SEED: u64 = 2609;
const GENERATED_ID: &str = "generated";
const WORKER: WorkerKey = [0x42; 32];

/// One benchmark case.
struct Case {
    dataset: &'static str,
    shape: (usize, usize),
    family: ModelFamily,
    schema: Schema,
    source: Source,
    metric: Metric,
    runs: usize,
}

/// Where a case's rows come from.
#[derive(Clone, Copy)]
enum Source {
    BuiltIn(BuiltInDataset),
    Generated,
}

impl Source {
    fn slice(self, split: Split) -> Result<DatasetRef, Box<dyn Error>> {
        let slice = Slice { seed: 42, split, test_permille: 200, shard_index: 0, shard_count: 1 };
        Ok(match self {
            Source::BuiltIn(dataset) => DatasetRef::BuiltIn { dataset, slice },
            Source::Generated => DatasetRef::Local {
                id: GENERATED_ID.as_bytes().to_vec().try_into().map_err(|_| "dataset id")?,
                worker: WORKER,
                slice,
            },
        })
    }
}

/// Figures for one case.
struct Figures {
    train: Duration,
    evaluate: Duration,
    score: f64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("starling-ml-bench-{}", std::process::id()));
    let outcome = run(&dir);
    // Best effort: the directory is ours alone; a failure to remove it changes no figure.
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn run(dir: &Path) -> Result<(), Box<dyn Error>> {
    let written = Instant::now();
    write_generated(dir)?;
    eprintln!("wrote the generated set in {:.0} ms", ms(written.elapsed()));
    // As the node's off-chain workers see it: the generated set's worker key is held.
    let engine = Engine::new(Some(dir.to_path_buf()))?.for_own_keys(|_| true);

    let diabetes = Schema { features: 10, label: LabelKind::Continuous };
    let wine = Schema { features: 11, label: LabelKind::Classes(2) };
    let iris = Schema { features: 4, label: LabelKind::Classes(3) };
    let generated = Schema { features: GENERATED_FEATURES as u32, label: LabelKind::Continuous };
    let ridge = ModelFamily::LinearRidge { lambda: PARAM_SCALE as u64 };
    let case = |dataset, shape, family, schema, source, metric, runs| Case {
        dataset,
        shape,
        family,
        schema,
        source,
        metric,
        runs,
    };
    let cases = [
        case(
            "diabetes",
            (441, 10),
            ModelFamily::LinearOls,
            diabetes,
            Source::BuiltIn(BuiltInDataset::Diabetes),
            Metric::Mse,
            RUNS,
        ),
        case(
            "diabetes",
            (441, 10),
            ridge,
            diabetes,
            Source::BuiltIn(BuiltInDataset::Diabetes),
            Metric::Mse,
            RUNS,
        ),
        case(
            "wine quality ≥ 6",
            (1599, 11),
            ModelFamily::LogisticBinary,
            wine,
            Source::BuiltIn(BuiltInDataset::WineGood),
            Metric::Accuracy,
            RUNS,
        ),
        case(
            "iris",
            (150, 4),
            ModelFamily::LogisticMultinomial { classes: 3 },
            iris,
            Source::BuiltIn(BuiltInDataset::Iris),
            Metric::Accuracy,
            RUNS,
        ),
        case(
            "generated (CSV)",
            (GENERATED_ROWS, GENERATED_FEATURES),
            ModelFamily::LinearOls,
            generated,
            Source::Generated,
            Metric::Mse,
            RUNS_LARGE,
        ),
        case(
            "generated (CSV)",
            (GENERATED_ROWS, GENERATED_FEATURES),
            ridge,
            generated,
            Source::Generated,
            Metric::Mse,
            RUNS_LARGE,
        ),
    ];

    println!(
        "| Dataset | Rows × features | Family | Train ms | Evaluate ms | Score (test split) |"
    );
    println!("|---|---|---|---:|---:|---|");
    for case in &cases {
        let figures = measure(&engine, case)?;
        println!(
            "| {} | {} × {} | {} | {:.2} | {:.2} | {:?} {:.6} |",
            case.dataset,
            case.shape.0,
            case.shape.1,
            family_name(&case.family),
            ms(figures.train),
            ms(figures.evaluate),
            case.metric,
            figures.score,
        );
    }

    let local = LocalData::open(dir)?;
    let load = median(RUNS_LARGE, || {
        let start = Instant::now();
        local.load(GENERATED_ID.as_bytes(), &WORKER).map_err(|e| format!("{e:?}"))?;
        Ok(start.elapsed())
    })?;
    println!();
    println!(
        "Reading and parsing the generated CSV, included once in each generated train and \
         evaluate figure: {:.2} ms (median of {RUNS_LARGE}).",
        ms(load)
    );
    Ok(())
}

/// Median train and evaluate time of `case`, and its (deterministic) score.
fn measure(engine: &Engine, case: &Case) -> Result<Figures, Box<dyn Error>> {
    let train_request = TrainRequest {
        family: case.family,
        schema: case.schema,
        dataset: case.source.slice(Split::Train)?,
        init: None,
        hyper: HyperParams::default(),
        worker: None,
    };
    let mut params = None;
    let train = median(case.runs, || {
        let start = Instant::now();
        let result = engine.train(train_request.clone()).map_err(|e| format!("train: {e:?}"))?;
        let elapsed = start.elapsed();
        params = Some(result.params);
        Ok(elapsed)
    })?;
    let evaluate_request = EvaluateRequest {
        family: case.family,
        schema: case.schema,
        dataset: case.source.slice(Split::Test)?,
        params: params.ok_or("no training run")?,
        metric: case.metric,
        data_hash: None,
        worker: None,
    };
    let mut score = 0;
    let evaluate = median(case.runs, || {
        let start = Instant::now();
        let result =
            engine.evaluate(evaluate_request.clone()).map_err(|e| format!("evaluate: {e:?}"))?;
        let elapsed = start.elapsed();
        score = result.score;
        Ok(elapsed)
    })?;
    Ok(Figures { train, evaluate, score: score as f64 / SCORE_SCALE as f64 })
}

/// Median of `runs` timings.
fn median(
    runs: usize,
    mut time: impl FnMut() -> Result<Duration, Box<dyn Error>>,
) -> Result<Duration, Box<dyn Error>> {
    let mut timings = (0..runs.max(1)).map(|_| time()).collect::<Result<Vec<_>, _>>()?;
    timings.sort_unstable();
    timings.get(timings.len() / 2).copied().ok_or_else(|| "no runs".into())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn family_name(family: &ModelFamily) -> String {
    match family {
        ModelFamily::LinearOls => "OLS".into(),
        ModelFamily::LinearRidge { lambda } => {
            format!("ridge λ={}", *lambda as f64 / PARAM_SCALE as f64)
        },
        ModelFamily::LogisticBinary => "logistic (binary)".into(),
        ModelFamily::LogisticMultinomial { classes } => {
            format!("logistic (multinomial, {classes} classes)")
        },
    }
}

/// SplitMix64, as the engine's shuffle uses, so the generated set is fixed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)`, from the top 53 bits.
    fn next_signed_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Write the generated regression set and a manifest naming it into `dir`.
///
/// Features uniform in `[-1, 1)`; weights `w_j = (-1)^j · (j + 1) / 10`; intercept 3; noise
/// uniform in `[-0.5, 0.5)` (variance 1/12, the best achievable test MSE).
fn write_generated(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let mut rng = SplitMix64(GENERATED_SEED);
    let weights: Vec<f64> = (0..GENERATED_FEATURES)
        .map(|j| if j % 2 == 0 { 1.0 } else { -1.0 } * (j + 1) as f64 / 10.0)
        .collect();
    let mut csv = String::with_capacity(GENERATED_ROWS * (GENERATED_FEATURES + 1) * 10);
    let header: Vec<String> = (1..=GENERATED_FEATURES).map(|j| format!("x{j}")).collect();
    writeln!(csv, "{},y", header.join(","))?;
    let mut row = vec![0.0; GENERATED_FEATURES];
    for _ in 0..GENERATED_ROWS {
        for value in row.iter_mut() {
            *value = rng.next_signed_unit();
        }
        let y = 3.0
            + row.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>()
            + rng.next_signed_unit() / 2.0;
        for value in &row {
            write!(csv, "{value:.6},")?;
        }
        writeln!(csv, "{y:.6}")?;
    }
    let file = dir.join(format!("{GENERATED_ID}.csv"));
    std::fs::write(&file, csv)?;
    let worker: String = WORKER.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join(starling_ml_engine::local::MANIFEST),
        format!(
            r#"{{"datasets": {{"{GENERATED_ID}": {{"file": "{GENERATED_ID}.csv", "label": "y", "workers": ["0x{worker}"]}}}}}}"#
        ),
    )?;
    Ok(file)
}
