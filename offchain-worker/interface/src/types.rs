//! SCALE types shared by the runtime, the pallets and the engine.
//!
//! Everything here is integer-only: real numbers cross the runtime boundary as fixed-point
//! integers scaled by [`PARAM_SCALE`] (parameters, hyper-parameters) or [`SCORE_SCALE`]
//! (scores, predictions). The engine converts to and from floats on its side.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{bounded::BoundedVec, ConstU32};

/// Scale of every fixed-point parameter and hyper-parameter: `1_500_000` means `1.5`.
pub const PARAM_SCALE: i64 = 1_000_000;

/// Scale of every quantised score and regression prediction: `250_000` means `0.25`.
pub const SCORE_SCALE: i64 = 1_000_000;

/// Domain tag of a dataset's content hash. The content hash of a slice of rows is
/// `blake2_256(DATASET_HASH_DOMAIN ‖ rows ‖ features ‖ row₀ ‖ row₁ ‖ …)`, where `rows` and
/// `features` are little-endian `u64`s and each row is its features then its label, every
/// value as the little-endian bits of its IEEE-754 `f64`, in the slice's (shuffled) order.
/// Nodes compute it with the `ml_datasetHash` RPC.
pub const DATASET_HASH_DOMAIN: &[u8] = b"starling/dataset/v1";

/// Longest parameter vector a model may have.
pub const MAX_PARAMS: u32 = 1024;

/// Most classes a classification schema may declare.
pub const MAX_CLASSES: u32 = 64;

/// Longest local dataset id, in bytes.
pub const MAX_DATASET_ID_LEN: u32 = 64;

/// Most feature values (rows × features) one predict request may carry.
pub const MAX_PREDICT_VALUES: u32 = 4096;

/// Most rows one predict request may carry (and so most predictions it returns).
pub const MAX_PREDICT_ROWS: u32 = 512;

/// Fixed-point model parameters in the canonical layout of their [`ModelFamily`], each
/// scaled by [`PARAM_SCALE`].
pub type Params = BoundedVec<i64, ConstU32<MAX_PARAMS>>;

/// Identifier of a dataset in a node's local data directory.
pub type LocalDatasetId = BoundedVec<u8, ConstU32<MAX_DATASET_ID_LEN>>;

/// Public key of the worker on whose behalf a node reads local data (sr25519, 32 bytes).
pub type WorkerKey = [u8; 32];

/// The worker key of a 32-byte account (what off-chain jobs put in a request's `worker`);
/// `None` for accounts of another size.
pub fn worker_key(account: &impl Encode) -> Option<WorkerKey> {
    account.encode().try_into().ok()
}

/// A model family and, where it has one, its defining constant.
///
/// Canonical parameter layout, for `d` features (this is what makes parameters from different
/// participants averageable):
/// * linear families and [`ModelFamily::LogisticBinary`]: `[w_1, …, w_d, b]` — weights in
///   feature order, intercept last; the binary logit is that of class `1`.
/// * [`ModelFamily::LogisticMultinomial`]: class-major blocks `[w_{0,1..d}, b_0, w_{1,1..d},
///   b_1, …]`, one `d + 1` block per class in class order `0, 1, …, K-1`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum ModelFamily {
    /// Ordinary least squares linear regression.
    LinearOls,
    /// Ridge regression: least squares plus `lambda / 2 · ‖w‖²` (intercept not penalised);
    /// `lambda` scaled by [`PARAM_SCALE`].
    LinearRidge {
        /// Penalty strength, scaled by [`PARAM_SCALE`].
        lambda: u64,
    },
    /// Two-class logistic regression on labels `0` and `1`.
    LogisticBinary,
    /// Softmax (multinomial) logistic regression on labels `0 .. classes`.
    LogisticMultinomial {
        /// Number of classes; must equal the schema's class count.
        classes: u32,
    },
}

impl ModelFamily {
    /// Number of parameters of this family on `schema` (the canonical layout above), or
    /// `None` when family and schema do not fit together.
    pub fn param_count(self, schema: Schema) -> Option<u32> {
        let per_class = schema.features.checked_add(1)?;
        match (self, schema.label) {
            (ModelFamily::LinearOls | ModelFamily::LinearRidge { .. }, LabelKind::Continuous) => {
                Some(per_class)
            },
            (ModelFamily::LogisticBinary, LabelKind::Classes(2)) => Some(per_class),
            (ModelFamily::LogisticMultinomial { classes }, LabelKind::Classes(n))
                if classes == n && classes >= 2 =>
            {
                per_class.checked_mul(classes)
            },
            _ => None,
        }
    }
}

/// What a label is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum LabelKind {
    /// A real number (regression).
    Continuous,
    /// A class index in `0 .. n` (classification).
    Classes(u32),
}

/// Shape of the data a model is trained on: how many features, what kind of label.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Schema {
    /// Number of input features per row.
    pub features: u32,
    /// Kind of the label column.
    pub label: LabelKind,
}

/// Datasets that ship inside the engine (from `linfa-datasets`), so that test and demo
/// nodes need no download.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum BuiltInDataset {
    /// Diabetes: 441 rows, 10 features, continuous label (disease progression after a year).
    Diabetes,
    /// Red wine quality: 1599 rows, 11 features, label the quality score 3 … 8 (as a number).
    WineQuality,
    /// Red wine quality as a binary label: class `1` when quality ≥ 6, else `0`.
    WineGood,
    /// Iris: 150 rows, 4 features, 3 classes.
    Iris,
}

/// Which part of a shuffled dataset to use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Split {
    /// The rows not held out for testing.
    Train,
    /// The held-out rows.
    Test,
    /// Every row (the test fraction is ignored).
    All,
}

/// A deterministic selection of rows: shuffle with `seed`, hold out `test_permille` ‰ of
/// the rows (the first ones after shuffling) as the test split, then keep shard
/// `shard_index` of `shard_count` of the chosen split (every `shard_count`-th row starting at
/// `shard_index`). The shards of a split cover it exactly once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct Slice {
    /// Shuffle seed.
    pub seed: u64,
    /// Which split to use.
    pub split: Split,
    /// Size of the test split in thousandths of the rows (at most 1000).
    pub test_permille: u16,
    /// Which shard, in `0 .. shard_count`.
    pub shard_index: u16,
    /// Number of shards (at least 1).
    pub shard_count: u16,
}

impl Slice {
    /// Every row of the dataset as one shard.
    pub const ALL: Slice =
        Slice { seed: 0, split: Split::All, test_permille: 0, shard_index: 0, shard_count: 1 };
}

/// Where the rows of a job come from.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum DatasetRef {
    /// A dataset shipped inside the engine.
    BuiltIn {
        /// Which dataset.
        dataset: BuiltInDataset,
        /// Which rows of it.
        slice: Slice,
    },
    /// A dataset in the node's local data directory. The node serves it only to its own
    /// off-chain worker, for a `worker` key in its keystore whose operator is bonded on chain
    /// for `role`, and only if the manifest lists both the key and the role for the dataset.
    Local {
        /// Dataset id as named in the manifest.
        id: LocalDatasetId,
        /// The worker key the job runs for.
        worker: WorkerKey,
        /// The role the job acts in: set by the pallet whose off-chain worker runs the job
        /// (an FL Alliance participant's training and votes: [`Role::FlParticipant`]).
        role: Role,
        /// Which rows of it.
        slice: Slice,
    },
}

/// The protocol role an operator bonds stake for. Each role has its own pools, minimums and
/// sampler; one account may operate several roles with separate stakes. A job on a local
/// dataset names the role it acts in, and the node's manifest lists the roles each dataset
/// may be used for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo)]
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// Trains models for AI Arena tasks.
    TrainingNode,
    /// Scores Arena submissions on held-out data.
    Validator,
    /// Proposes and votes on updates in FL Alliance rounds.
    FlParticipant,
    /// Serves Marketplace models for inference.
    ModelHost,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 4] =
        [Role::TrainingNode, Role::Validator, Role::FlParticipant, Role::ModelHost];
}

/// How a model is scored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum Metric {
    /// Mean squared error (lower is better); regression only.
    Mse,
    /// Root mean squared error (lower is better); regression only.
    Rmse,
    /// Coefficient of determination R² (higher is better, at most 1); regression only.
    R2,
    /// Fraction of rows classified correctly (higher is better); classification only.
    Accuracy,
    /// Mean negative log-likelihood of the true class (lower is better); classification only.
    LogLoss,
}

impl Metric {
    /// Whether a larger score is a better model.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::R2 | Metric::Accuracy)
    }

    /// Whether this metric applies to labels of kind `label` (regression metrics to
    /// continuous labels, classification metrics to classes).
    pub fn fits(self, label: LabelKind) -> bool {
        match self {
            Metric::Mse | Metric::Rmse | Metric::R2 => label == LabelKind::Continuous,
            Metric::Accuracy | Metric::LogLoss => matches!(label, LabelKind::Classes(_)),
        }
    }
}

/// Optimisation settings for the iterative (logistic) families. The closed-form linear
/// families use only `l2`, and only with a warm start: as the strength of a proximal term
/// `½ l2 ‖w − init‖²` that keeps federated updates near the global model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct HyperParams {
    /// Most solver iterations before the engine reports
    /// [`MlError::NotConverged`](crate::MlError::NotConverged).
    pub max_iterations: u32,
    /// L2 penalty `l2 / 2 · ‖w‖²` on the weights (intercepts not penalised), added to the
    /// summed loss; scaled by [`PARAM_SCALE`].
    pub l2: u64,
    /// Convergence tolerance on the largest component of the per-row mean gradient;
    /// scaled by [`PARAM_SCALE`]; must be positive.
    pub tolerance: u64,
}

impl Default for HyperParams {
    /// 1000 iterations, `l2 = 1.0`, tolerance `1e-4`.
    fn default() -> Self {
        HyperParams { max_iterations: 1000, l2: 1_000_000, tolerance: 100 }
    }
}

/// Train a model on a dataset, optionally warm-started from given parameters.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct TrainRequest {
    /// Model family.
    pub family: ModelFamily,
    /// Expected shape of the data.
    pub schema: Schema,
    /// Training rows.
    pub dataset: DatasetRef,
    /// Starting parameters in the family's canonical layout (e.g. the current global model);
    /// `None` starts from zero.
    pub init: Option<Params>,
    /// Solver settings.
    pub hyper: HyperParams,
    /// The worker key the off-chain job runs for (`None` for the RPC and the marketplace
    /// host). The node may attribute the job to the key — its logs, and on development
    /// chains its demonstration settings — but never authorises data by it: a local
    /// dataset's own reference names the key the keystore must hold.
    pub worker: Option<WorkerKey>,
}

/// Trained parameters.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct TrainResult {
    /// Parameters in the family's canonical layout, scaled by [`PARAM_SCALE`].
    pub params: Params,
    /// Number of rows trained on (the weight of this update in a sample-weighted average).
    pub rows: u32,
}

/// Score given parameters on a dataset.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct EvaluateRequest {
    /// Model family.
    pub family: ModelFamily,
    /// Expected shape of the data.
    pub schema: Schema,
    /// Rows to score on.
    pub dataset: DatasetRef,
    /// Parameters in the family's canonical layout.
    pub params: Params,
    /// Metric to compute.
    pub metric: Metric,
    /// The [content hash](DATASET_HASH_DOMAIN) the rows must have, if the caller committed to
    /// one (an arena task's evaluation data); the engine refuses other rows with
    /// [`MlError::DataHashMismatch`](crate::MlError::DataHashMismatch).
    pub data_hash: Option<[u8; 32]>,
    /// The worker key the off-chain job runs for (`None` for the RPC and the marketplace
    /// host); see [`TrainRequest::worker`].
    pub worker: Option<WorkerKey>,
}

/// A quantised score.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct EvaluateResult {
    /// The metric, scaled by [`SCORE_SCALE`] and rounded (saturating at the `i64` bounds).
    pub score: i64,
    /// Number of rows scored.
    pub rows: u32,
}

/// Predict labels for rows given inline.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct PredictRequest {
    /// Model family.
    pub family: ModelFamily,
    /// Shape of the rows.
    pub schema: Schema,
    /// Parameters in the family's canonical layout.
    pub params: Params,
    /// Feature values, row-major, scaled by [`PARAM_SCALE`]; length a multiple of
    /// `schema.features`.
    pub rows: BoundedVec<i64, ConstU32<MAX_PREDICT_VALUES>>,
}

/// One prediction per row.
#[derive(Clone, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct PredictResult {
    /// Regression: the predicted value scaled by [`SCORE_SCALE`]; classification: the
    /// predicted class index.
    pub predictions: BoundedVec<i64, ConstU32<MAX_PREDICT_ROWS>>,
}
