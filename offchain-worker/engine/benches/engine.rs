//! Wall-clock figures for the engine: train + evaluate per dataset and family.
//!
//! Run with `cargo bench -p starling-ml-engine` (release profile), or through
//! `scripts/engine-bench.sh`, which sets the same workloads beside scikit-learn. Prints one
//! table row per case: the median of several runs, timed with `std::time::Instant` around the
//! engine's `MlBackend` calls — the work a host-function call does, minus SCALE encoding. It
//! asserts nothing about time.
//!
//! Every case trains on the train split (seed 42, 200 ‰ test) and scores on the test split.
//! The generated set — 100,000 rows × 20 features, `y = x·w + 3 + noise` from a fixed
//! SplitMix64 seed — is written as a CSV with a `manifest.json` into a temporary data
//! directory and used as a local dataset. The engine parses a file once per version and keeps
//! recent slices, so the medians are those of jobs after the first (as a validator scoring a
//! task's models, or a participant training round after round, sees them); the first job of
//! each case, which reads, parses and slices, is printed beside them, and so is reading and
//! parsing the CSV alone. A 1,000,000-row set of the same kind is timed from file to trained
//! model.
//!
//! `-- --export DIR` also writes each case's train and test rows (exactly the engine's
//! slices, full precision) and the figures as `engine.json` into `DIR`, for the side-by-side
//! script.

// A bench binary: floating-point statistics over indices it creates itself.
#![allow(clippy::float_arithmetic, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use starling_ml_engine::{
    data::{self, Table},
    family::{self, Solver},
    local::read_csv,
    metrics, Engine,
};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, EvaluateRequest, HyperParams, LabelKind, Metric, MlBackend,
    ModelFamily, Role, Schema, Slice, Split, TrainRequest, WorkerKey, PARAM_SCALE, SCORE_SCALE,
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
/// The large generated set: a million rows of the same kind.
const LARGE_ROWS: usize = 1_000_000;
const LARGE_ID: &str = "large";
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
        match self {
            Source::BuiltIn(dataset) => Ok(DatasetRef::BuiltIn { dataset, slice: slice(split) }),
            Source::Generated => local_slice(GENERATED_ID, split),
        }
    }
}

/// The bench's split: seed 42, 200 ‰ test.
fn slice(split: Split) -> Slice {
    Slice { seed: 42, split, test_permille: 200, shard_index: 0, shard_count: 1 }
}

/// The bench's split of local dataset `id`.
fn local_slice(id: &str, split: Split) -> Result<DatasetRef, Box<dyn Error>> {
    Ok(DatasetRef::Local {
        id: id.as_bytes().to_vec().try_into().map_err(|_| "dataset id")?,
        worker: WORKER,
        role: Role::FlParticipant,
        slice: slice(split),
    })
}

/// Figures for one case.
struct Figures {
    first_train: Duration,
    train: Duration,
    evaluate: Duration,
    score: f64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let export = args
        .iter()
        .position(|a| a == "--export")
        .map(|at| args.get(at + 1).map(PathBuf::from).ok_or("--export needs a directory"))
        .transpose()?;
    // With --export the generated CSVs stay in the export directory, for pandas to read.
    if let Some(dir) = export.as_deref() {
        return run(dir, Some(dir));
    }
    let dir = std::env::temp_dir().join(format!("starling-ml-bench-{}", std::process::id()));
    let outcome = run(&dir, None);
    // Best effort: the directory is ours alone; a failure to remove it changes no figure.
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn run(dir: &Path, export: Option<&Path>) -> Result<(), Box<dyn Error>> {
    let written = Instant::now();
    write_generated(dir, GENERATED_ID, GENERATED_ROWS)?;
    write_generated(dir, LARGE_ID, LARGE_ROWS)?;
    write_manifest(dir)?;
    eprintln!("wrote the generated sets in {:.0} ms", ms(written.elapsed()));
    // As the node's off-chain workers see it: the generated sets' worker key is held.
    let engine = Engine::new(Some(dir.to_path_buf()))?.for_own_keys(|_, _| true);

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
        "| Dataset | Rows × features | Family | First train ms | Train ms | Evaluate ms | Score (test split) |"
    );
    println!("|---|---|---|---:|---:|---:|---|");
    let mut exported = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let figures = measure(&engine, case)?;
        println!(
            "| {} | {} × {} | {} | {:.2} | {:.2} | {:.3} | {:?} {:.6} |",
            case.dataset,
            case.shape.0,
            case.shape.1,
            family_name(&case.family),
            ms(figures.first_train),
            ms(figures.train),
            ms(figures.evaluate),
            case.metric,
            figures.score,
        );
        if let Some(out) = export {
            let id = format!("case{index}");
            let train = case_rows(dir, case, Split::Train)?;
            let test = case_rows(dir, case, Split::Test)?;
            write_csv(&out.join(format!("{id}.train.csv")), &train)?;
            write_csv(&out.join(format!("{id}.test.csv")), &test)?;
            exported.push(serde_json::json!({
                "id": id,
                "dataset": case.dataset,
                "rows": case.shape.0,
                "features": case.shape.1,
                "family": family_name(&case.family),
                "kind": family_kind(&case.family),
                "lambda": family_lambda(&case.family),
                "l2": HyperParams::default().l2 as f64 / PARAM_SCALE as f64,
                "tolerance": HyperParams::default().tolerance as f64 / PARAM_SCALE as f64,
                "max_iterations": HyperParams::default().max_iterations,
                "metric": format!("{:?}", case.metric),
                "score": figures.score,
                "float_score": float_score(case, &train, &test)?,
                "first_train_ms": ms(figures.first_train),
                "train_ms": ms(figures.train),
                "evaluate_ms": ms(figures.evaluate),
                "runs": case.runs,
            }));
        }
    }

    let csv = dir.join(format!("{GENERATED_ID}.csv"));
    let parse = median(RUNS_LARGE, || {
        let start = Instant::now();
        read_csv(&csv, "y").map_err(|e| format!("{e:?}"))?;
        Ok(start.elapsed())
    })?;
    println!();
    println!(
        "Reading and parsing the generated CSV ({GENERATED_ROWS} rows): {:.2} ms, {:.2} M rows/s \
         (median of {RUNS_LARGE}); the engine does it once per file version.",
        ms(parse),
        GENERATED_ROWS as f64 / parse.as_secs_f64() / 1e6
    );

    // A million rows, from the file to a trained model: the first job reads, parses, slices
    // and fits.
    let large = TrainRequest {
        family: ModelFamily::LinearOls,
        schema: Schema { features: GENERATED_FEATURES as u32, label: LabelKind::Continuous },
        dataset: local_slice(LARGE_ID, Split::Train)?,
        init: None,
        hyper: HyperParams::default(),
        worker: None,
    };
    let start = Instant::now();
    let trained = engine.train(large.clone()).map_err(|e| format!("large: {e:?}"))?;
    let large_first = start.elapsed();
    let start = Instant::now();
    engine.train(large).map_err(|e| format!("large: {e:?}"))?;
    let large_again = start.elapsed();
    println!(
        "{LARGE_ROWS} × {GENERATED_FEATURES} local CSV, OLS on its {} train rows: first job \
         (read, parse, slice, fit) {:.0} ms, next job {:.1} ms.",
        trained.rows,
        ms(large_first),
        ms(large_again)
    );

    if let Some(out) = export {
        let figures = serde_json::json!({
            "cases": exported,
            "parse": { "file": csv, "rows": GENERATED_ROWS, "ms": ms(parse) },
            "large": {
                "file": dir.join(format!("{LARGE_ID}.csv")),
                "rows": LARGE_ROWS,
                "train_rows": trained.rows,
                "first_job_ms": ms(large_first),
                "next_job_ms": ms(large_again),
            },
        });
        std::fs::write(out.join("engine.json"), serde_json::to_string_pretty(&figures)?)?;
    }
    Ok(())
}

/// The rows the engine uses for `case` and `split`.
fn case_rows(dir: &Path, case: &Case, split: Split) -> Result<Table, Box<dyn Error>> {
    let table = match case.source {
        Source::BuiltIn(dataset) => data::built_in(dataset),
        Source::Generated => std::sync::Arc::new(
            read_csv(&dir.join(format!("{GENERATED_ID}.csv")), "y")
                .map_err(|e| format!("{e:?}"))?,
        ),
    };
    Ok(data::select(&table, &slice(split)).map_err(|e| format!("{e:?}"))?)
}

/// Writes `table` as a CSV: features `x1 … xd`, then `y`, each value in full precision.
fn write_csv(file: &Path, table: &Table) -> Result<(), Box<dyn Error>> {
    let mut csv = String::with_capacity(table.rows() * (table.x.ncols() + 1) * 20);
    let header: Vec<String> = (1..=table.x.ncols()).map(|j| format!("x{j}")).collect();
    writeln!(csv, "{},y", header.join(","))?;
    for (row, y) in table.x.rows().into_iter().zip(&table.y) {
        for value in row {
            write!(csv, "{value:?},")?;
        }
        writeln!(csv, "{y:?}")?;
    }
    std::fs::write(file, csv)?;
    Ok(())
}

/// The case's test score before fixed point: the same solver and metric in `f64`, so that the
/// comparison with scikit-learn is not limited by the chain's 10⁻⁶ quantisation.
fn float_score(case: &Case, train: &Table, test: &Table) -> Result<f64, Box<dyn Error>> {
    let defaults = HyperParams::default();
    let solver = Solver {
        max_iterations: u64::from(defaults.max_iterations),
        l2: defaults.l2 as f64 / PARAM_SCALE as f64,
        tolerance: defaults.tolerance as f64 / PARAM_SCALE as f64,
    };
    let model = family::family(&case.family);
    let params = model.fit(train, None, &solver).map_err(|e| format!("{e:?}"))?;
    Ok(metrics::score(case.metric, &model.predict(&params, &test.x), &test.y)
        .map_err(|e| format!("{e:?}"))?)
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
    let start = Instant::now();
    engine.train(train_request.clone()).map_err(|e| format!("train: {e:?}"))?;
    let first_train = start.elapsed();
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
    Ok(Figures { first_train, train, evaluate, score: score as f64 / SCORE_SCALE as f64 })
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

/// The family as the side-by-side script names it.
fn family_kind(family: &ModelFamily) -> &'static str {
    match family {
        ModelFamily::LinearOls => "ols",
        ModelFamily::LinearRidge { .. } => "ridge",
        ModelFamily::LogisticBinary => "logistic_binary",
        ModelFamily::LogisticMultinomial { .. } => "logistic_multinomial",
    }
}

/// Ridge's λ (0 for the other families).
fn family_lambda(family: &ModelFamily) -> f64 {
    match family {
        ModelFamily::LinearRidge { lambda } => *lambda as f64 / PARAM_SCALE as f64,
        _ => 0.0,
    }
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

/// Writes a generated regression set of `rows` rows as `dir/<id>.csv`.
///
/// Features uniform in `[-1, 1)`; weights `w_j = (-1)^j · (j + 1) / 10`; intercept 3; noise
/// uniform in `[-0.5, 0.5)` (variance 1/12, the best achievable test MSE).
fn write_generated(dir: &Path, id: &str, rows: usize) -> Result<PathBuf, Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let mut rng = SplitMix64(GENERATED_SEED);
    let weights: Vec<f64> = (0..GENERATED_FEATURES)
        .map(|j| if j % 2 == 0 { 1.0 } else { -1.0 } * (j + 1) as f64 / 10.0)
        .collect();
    let mut csv = String::with_capacity(rows * (GENERATED_FEATURES + 1) * 10);
    let header: Vec<String> = (1..=GENERATED_FEATURES).map(|j| format!("x{j}")).collect();
    writeln!(csv, "{},y", header.join(","))?;
    let mut row = vec![0.0; GENERATED_FEATURES];
    for _ in 0..rows {
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
    let file = dir.join(format!("{id}.csv"));
    std::fs::write(&file, csv)?;
    Ok(file)
}

/// Writes a manifest listing both generated sets for the bench's worker key.
fn write_manifest(dir: &Path) -> Result<(), Box<dyn Error>> {
    let worker: String = WORKER.iter().map(|b| format!("{b:02x}")).collect();
    let entry = |id: &str| {
        format!(
            r#""{id}": {{"file": "{id}.csv", "label": "y", "workers": ["0x{worker}"], "roles": ["FlParticipant"]}}"#
        )
    };
    std::fs::write(
        dir.join(starling_ml_engine::local::MANIFEST),
        format!(r#"{{"datasets": {{{}, {}}}}}"#, entry(GENERATED_ID), entry(LARGE_ID)),
    )?;
    Ok(())
}
