//! # Starling ML engine
//!
//! The native side of Starling's `Ml` host functions (see `starling-ml-interface`): trains,
//! scores and runs models with `ndarray` and `linfa` on rows that never leave the node.
//!
//! A job names a model family, a schema and a dataset. The engine
//! 1. loads the rows — a built-in dataset shipped in `linfa-datasets`, or a CSV in the node's
//!    data directory that the manifest lets the job's worker key use in the role the job acts
//!    in ([`local`]), only for a job the node's own off-chain worker runs for a key in its
//!    keystore, bonded on chain for that role ([`LocalAccess`]);
//! 2. narrows them to a slice: seeded shuffle, train/test split, shard `i` of `n` ([`data`]).
//!    Built-in datasets are decompressed once per process, local files parsed once per
//!    version, and recently used slices kept for the next job on the same rows ([`cache`]);
//! 3. validates them against the schema (feature count, finite values, labels in range);
//! 4. fits, scores or predicts with the family ([`family`]) and the metric ([`metrics`]);
//! 5. converts the result to fixed point with saturation ([`fixed`]) and logs one line
//!    (target `starling-ml`) with the dataset, rows, time and result.
//!
//! The same request always yields bit-identical output: shuffles use a fixed SplitMix64,
//! solvers are deterministic (work that runs on two threads is split into a fixed number of
//! parts, whatever the machine, and summed in one order), and scores are quantised to
//! [`SCORE_SCALE`] before they leave the engine.
//!
//! ## Node wiring
//!
//! ```ignore
//! let engine = starling_ml_engine::Engine::new(cli.ml_data.clone())?;
//! // the RPC gets `engine` (built-in datasets only); the off-chain workers get
//! let workers = engine.for_own_keys(move |key, role| {
//!     keystore.has_keys(&[(key.to_vec(), KEY_TYPE)]) && bonded_on_chain(key, role)
//! });
//! // sc_offchain::OffchainWorkerOptions { custom_extensions: move |_| vec![Box::new(workers.extension()) as Box<_>], .. }
//! ```

// Engine maths is floating point over shapes the engine has validated; slices are indexed
// only within those shapes.
#![allow(clippy::float_arithmetic, clippy::arithmetic_side_effects, clippy::indexing_slicing)]
// Tests may fail loudly; the engine itself may not.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cache;
pub mod data;
pub mod demo;
pub mod family;
pub mod fixed;
pub mod local;
pub mod metrics;
mod rng;

use cache::{SliceCache, SliceKey};
use data::Table;
use family::{Family, Output, Solver};
use fixed::{from_fixed, to_fixed};
use local::LocalData;
use ndarray::{Array1, Array2};
use starling_ml_interface::{
    DatasetRef, EvaluateRequest, EvaluateResult, LabelKind, MlBackend, MlError, MlExt, ModelFamily,
    Params, PredictRequest, PredictResult, Role, Schema, Split, TrainRequest, TrainResult,
    WorkerKey, MAX_PARAMS, MAX_PREDICT_ROWS, PARAM_SCALE, SCORE_SCALE,
};
use std::{fmt, path::PathBuf, sync::Arc, time::Instant};

pub use local::ManifestError;

/// Log target of every engine line.
pub const LOG_TARGET: &str = "starling-ml";

/// The ML engine. Cheap to clone (shared state behind an `Arc`).
///
/// A handle made by [`Engine::new`] serves built-in datasets only: it is what the node's RPC
/// gets. Local (private) datasets are served only through a handle made by
/// [`Engine::for_own_keys`], which the node builds for its off-chain workers with a check
/// against its keystore and the chain: a job reads a local dataset only for a worker key the
/// node holds, whose operator is bonded for the role the job acts in, and that the manifest
/// lists with that role for the dataset — whatever key the request names.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    local: Arc<LocalData>,
    access: LocalAccess,
    slices: Arc<SliceCache>,
}

/// Whether a (worker key, role) pair is the node's own: a key its keystore holds, whose operator
/// is bonded on chain for the role.
pub type OwnKeys = dyn Fn(&WorkerKey, Role) -> bool + Send + Sync;

/// Whether, and for which worker keys, an engine handle serves local datasets.
#[derive(Clone, Default)]
pub enum LocalAccess {
    /// No local dataset is served (the RPC, and any handle not made for off-chain workers).
    #[default]
    Refused,
    /// Local datasets are served for the (worker key, role) pairs this predicate accepts
    /// (the node's keystore — the keys its own off-chain workers act for — and the chain's
    /// record of which roles each key's operator is bonded for).
    OwnKeys(Arc<OwnKeys>),
}

impl fmt::Debug for LocalAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalAccess::Refused => write!(f, "Refused"),
            LocalAccess::OwnKeys(_) => write!(f, "OwnKeys(..)"),
        }
    }
}

impl Engine {
    /// An engine serving the built-in datasets and, when `data_dir` is given, the local
    /// datasets listed in `data_dir/manifest.json`.
    pub fn new(data_dir: Option<PathBuf>) -> Result<Engine, ManifestError> {
        let local = match data_dir {
            Some(dir) => LocalData::open(&dir)?,
            None => LocalData::default(),
        };
        log::info!(target: LOG_TARGET, "ML engine ready with {} local dataset(s)", local.len());
        Ok(Engine { local: Arc::new(local), access: LocalAccess::Refused, slices: Arc::default() })
    }

    /// A handle on the same engine that serves local datasets for the worker keys `holds`
    /// accepts in the role a job acts in — the node passes a check against its keystore and
    /// the chain's bonded roles, and registers this handle only for its off-chain workers.
    pub fn for_own_keys(
        &self,
        holds: impl Fn(&WorkerKey, Role) -> bool + Send + Sync + 'static,
    ) -> Engine {
        Engine {
            local: Arc::clone(&self.local),
            access: LocalAccess::OwnKeys(Arc::new(holds)),
            slices: Arc::clone(&self.slices),
        }
    }

    /// A fresh externalities extension backed by this engine, for
    /// `sc_offchain`'s `custom_extensions`.
    pub fn extension(&self) -> MlExt {
        MlExt::new(self.clone())
    }

    /// Rows of `dataset`, sliced, validated against `schema`.
    fn rows(&self, dataset: &DatasetRef, schema: &Schema) -> Result<Arc<Table>, MlError> {
        let (key, table) = self.slice(dataset)?;
        self.slices.validate(&key, &table, schema, |table| data::validate(table, schema))?;
        Ok(table)
    }

    /// Rows of `dataset`, sliced, and the key they are kept under for the next jobs.
    fn slice(&self, dataset: &DatasetRef) -> Result<(SliceKey, Arc<Table>), MlError> {
        match dataset {
            DatasetRef::BuiltIn { dataset, slice } => {
                let key = SliceKey::BuiltIn(*dataset, *slice);
                let table = self
                    .slices
                    .get_or_make(key.clone(), || data::select(&data::built_in(*dataset), slice))?;
                Ok((key, table))
            },
            DatasetRef::Local { id, worker, role, slice } => {
                match &self.access {
                    LocalAccess::OwnKeys(holds) if holds(worker, *role) => {},
                    _ => return Err(MlError::LocalDataRefused),
                }
                let loaded = self.local.load(id, worker, *role)?;
                let key = SliceKey::Local(id.to_vec(), loaded.version, *slice);
                let table =
                    self.slices.get_or_make(key.clone(), || data::select(&loaded.table, slice))?;
                Ok((key, table))
            },
        }
    }

    /// The content hash of the rows `dataset` selects (defined at
    /// [`DATASET_HASH_DOMAIN`](starling_ml_interface::DATASET_HASH_DOMAIN)): what an arena
    /// task creator commits to for its evaluation data.
    pub fn dataset_hash(&self, dataset: &DatasetRef) -> Result<[u8; 32], MlError> {
        Ok(self.slice(dataset)?.1.content_hash())
    }

    /// Trains on `request`'s rows with every label replaced by a wrong one: a real label `y`
    /// by `min + max − y` over the rows, class `c` of `k` by `k − 1 − c`. For the node's
    /// demonstrations of a poisoning FL participant on development chains only; never reached
    /// through the runtime interface.
    pub fn train_on_flipped_labels(&self, request: &TrainRequest) -> Result<TrainResult, MlError> {
        self.train_job(request, true)
    }

    fn train_job(&self, request: &TrainRequest, flip_labels: bool) -> Result<TrainResult, MlError> {
        let family = family::family(&request.family);
        let features = checked_family(&*family, &request.schema)?;
        let init =
            request.init.as_ref().map(|p| float_params(p, &*family, features)).transpose()?;
        let hyper = &request.hyper;
        if hyper.tolerance == 0 {
            return Err(MlError::BadRequest);
        }
        let solver = Solver {
            max_iterations: u64::from(hyper.max_iterations),
            l2: hyper.l2 as f64 / PARAM_SCALE as f64,
            tolerance: hyper.tolerance as f64 / PARAM_SCALE as f64,
        };
        let mut table = self.rows(&request.dataset, &request.schema)?;
        if table.rows() <= features {
            return Err(MlError::TooFewRows);
        }
        if flip_labels {
            Arc::make_mut(&mut table).flip_labels(request.schema.label);
        }
        let params = family.fit(&table, init.as_ref(), &solver)?;
        let fixed = params
            .iter()
            .map(|&p| to_fixed(p, PARAM_SCALE).ok_or(MlError::NotConverged))
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(TrainResult {
            params: Params::try_from(fixed).map_err(|_| MlError::TooManyParameters)?,
            rows: table.rows() as u32,
        })
    }

    fn evaluate_job(&self, request: &EvaluateRequest) -> Result<EvaluateResult, MlError> {
        let family = family::family(&request.family);
        let features = checked_family(&*family, &request.schema)?;
        let params = float_params(&request.params, &*family, features)?;
        let table = self.rows(&request.dataset, &request.schema)?;
        if request.data_hash.is_some_and(|expected| expected != table.content_hash()) {
            return Err(MlError::DataHashMismatch);
        }
        if table.rows() == 0 {
            return Err(MlError::TooFewRows);
        }
        let output = family.predict(&params, &table.x);
        let score = metrics::score(request.metric, &output, &table.y)?;
        Ok(EvaluateResult {
            score: to_fixed(score, SCORE_SCALE).ok_or(MlError::NotConverged)?,
            rows: table.rows() as u32,
        })
    }

    fn predict_job(&self, request: &PredictRequest) -> Result<PredictResult, MlError> {
        let family = family::family(&request.family);
        let features = checked_family(&*family, &request.schema)?;
        let params = float_params(&request.params, &*family, features)?;
        if features == 0 || !request.rows.len().is_multiple_of(features) {
            return Err(MlError::BadRequest);
        }
        let rows = request.rows.len() / features;
        if rows > MAX_PREDICT_ROWS as usize {
            return Err(MlError::BadRequest);
        }
        let values = request.rows.iter().map(|&v| from_fixed(v, PARAM_SCALE)).collect();
        let x =
            Array2::from_shape_vec((rows, features), values).map_err(|_| MlError::BadRequest)?;
        let predictions: Vec<i64> = match family.predict(&params, &x) {
            Output::Values(values) => values
                .iter()
                .map(|&v| to_fixed(v, SCORE_SCALE).ok_or(MlError::NotConverged))
                .collect::<Result<_, _>>()?,
            Output::Probabilities(p) => {
                metrics::argmax_rows(&p).iter().map(|&c| c as i64).collect()
            },
        };
        Ok(PredictResult { predictions: predictions.try_into().map_err(|_| MlError::BadRequest)? })
    }
}

/// Check the family against the schema and the parameter budget; the feature count.
fn checked_family(family: &dyn Family, schema: &Schema) -> Result<usize, MlError> {
    if let LabelKind::Classes(classes) = schema.label {
        if classes > starling_ml_interface::MAX_CLASSES {
            return Err(MlError::BadRequest);
        }
    }
    family.check_schema(schema)?;
    let features = schema.features as usize;
    if family.param_len(features) > MAX_PARAMS as usize {
        return Err(MlError::TooManyParameters);
    }
    Ok(features)
}

/// Fixed-point parameters → floats, checking the length the family expects.
fn float_params(
    params: &Params,
    family: &dyn Family,
    features: usize,
) -> Result<Array1<f64>, MlError> {
    if params.len() != family.param_len(features) {
        return Err(MlError::DimensionMismatch);
    }
    Ok(params.iter().map(|&p| from_fixed(p, PARAM_SCALE)).collect())
}

/// Short description of a dataset reference for log lines.
struct Describe<'a>(&'a DatasetRef);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slice = match self.0 {
            DatasetRef::BuiltIn { dataset, slice } => {
                write!(f, "built-in {dataset:?}")?;
                slice
            },
            DatasetRef::Local { id, role, slice, .. } => {
                write!(f, "local {:?} as {role:?}", String::from_utf8_lossy(id))?;
                slice
            },
        };
        let split = match slice.split {
            Split::Train => "train",
            Split::Test => "test",
            Split::All => "all",
        };
        write!(
            f,
            " ({split}, seed {}, test {}‰, shard {}/{})",
            slice.seed, slice.test_permille, slice.shard_index, slice.shard_count
        )
    }
}

/// Short name of a family for log lines.
fn family_name(family: &ModelFamily) -> String {
    format!("{family:?}")
}

impl MlBackend for Engine {
    fn train(&self, request: TrainRequest) -> Result<TrainResult, MlError> {
        let start = Instant::now();
        let result = self.train_job(&request, false);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let dataset = Describe(&request.dataset);
        let family = family_name(&request.family);
        match &result {
            Ok(r) => log::info!(
                target: LOG_TARGET,
                "train {family} on {dataset}: {} rows in {ms:.1} ms → {} params",
                r.rows,
                r.params.len()
            ),
            Err(e) => {
                log::warn!(target: LOG_TARGET, "train {family} on {dataset} failed in {ms:.1} ms: {e:?}")
            },
        }
        result
    }

    fn evaluate(&self, request: EvaluateRequest) -> Result<EvaluateResult, MlError> {
        let start = Instant::now();
        let result = self.evaluate_job(&request);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let dataset = Describe(&request.dataset);
        let family = family_name(&request.family);
        match &result {
            Ok(r) => log::info!(
                target: LOG_TARGET,
                "evaluate {family} on {dataset}: {} rows in {ms:.1} ms → {:?} = {}",
                r.rows,
                request.metric,
                from_fixed(r.score, SCORE_SCALE)
            ),
            Err(e) => {
                log::warn!(target: LOG_TARGET, "evaluate {family} on {dataset} failed in {ms:.1} ms: {e:?}")
            },
        }
        result
    }

    fn predict(&self, request: PredictRequest) -> Result<PredictResult, MlError> {
        let start = Instant::now();
        let result = self.predict_job(&request);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let family = family_name(&request.family);
        match &result {
            // Debug, not info: a host node serves a prediction per RPC call.
            Ok(r) => log::debug!(
                target: LOG_TARGET,
                "predict {family}: {} rows in {ms:.1} ms",
                r.predictions.len()
            ),
            Err(e) => {
                log::warn!(target: LOG_TARGET, "predict {family} failed in {ms:.1} ms: {e:?}")
            },
        }
        result
    }
}
