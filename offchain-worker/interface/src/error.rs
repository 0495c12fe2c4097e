//! Error codes returned by the ML host functions.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Why an ML job failed. Each variant has a stable non-zero status code
/// ([`MlError::code`]); `0` means success on the host-function boundary.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
#[repr(u8)]
pub enum MlError {
    /// No engine is registered: the call happened outside an off-chain worker (e.g. during
    /// block import) or on a node started without the ML extension.
    EngineUnavailable = 1,
    /// The request did not decode, or a field is out of range (zero shards, shard index not
    /// below the shard count, test fraction above 1000 ‰, zero tolerance, prediction rows not
    /// a multiple of the feature count).
    BadRequest = 2,
    /// The dataset is not a built-in one and not in this node's manifest.
    UnknownDataset = 3,
    /// The manifest does not allow this worker key to use the dataset.
    DatasetNotPermitted = 4,
    /// A local dataset file is missing or is not a numeric CSV with the manifest's label column.
    DatasetUnreadable = 5,
    /// The data or the parameter vector does not have the size the schema and family imply.
    DimensionMismatch = 6,
    /// The family or the metric does not fit the schema's label kind (e.g. OLS on classes,
    /// accuracy on a continuous label, a multinomial class count other than the schema's).
    SchemaMismatch = 7,
    /// A label is not a class index below the schema's class count.
    LabelOutsideSchema = 8,
    /// The data contains NaN or infinity.
    NonFiniteData = 9,
    /// Too few rows to fit (fewer than features + 1), to score (none), or some class of the
    /// schema has no training row.
    TooFewRows = 10,
    /// The family needs more than [`MAX_PARAMS`](crate::MAX_PARAMS) parameters for this schema.
    TooManyParameters = 11,
    /// The solver did not reach the tolerance within the iteration limit, or produced
    /// non-finite parameters (e.g. a singular least-squares system).
    NotConverged = 12,
    /// The caller's output buffer is too small for the encoded result.
    BufferTooSmall = 13,
    /// The host wrote a result the runtime cannot decode (host and runtime disagree on types).
    MalformedResult = 14,
    /// The rows' content hash differs from the one the request requires (e.g. a validator's
    /// copy of a task's evaluation data is not what the creator committed to).
    DataHashMismatch = 15,
    /// A local dataset was requested outside this node's own off-chain work (e.g. over RPC),
    /// for a worker key this node's keystore does not hold, or for a key whose operator is
    /// not bonded on chain for the role the job acts in: private rows are served only to jobs
    /// the node runs for its own keys, in their own roles.
    LocalDataRefused = 16,
    /// The manifest does not list the role the job acts in for this dataset (e.g. rows listed
    /// for FL Alliance training requested by a job acting as an arena validator).
    DatasetNotForRole = 17,
}

impl MlError {
    /// Every variant, in code order.
    pub const ALL: [MlError; 17] = [
        MlError::EngineUnavailable,
        MlError::BadRequest,
        MlError::UnknownDataset,
        MlError::DatasetNotPermitted,
        MlError::DatasetUnreadable,
        MlError::DimensionMismatch,
        MlError::SchemaMismatch,
        MlError::LabelOutsideSchema,
        MlError::NonFiniteData,
        MlError::TooFewRows,
        MlError::TooManyParameters,
        MlError::NotConverged,
        MlError::BufferTooSmall,
        MlError::MalformedResult,
        MlError::DataHashMismatch,
        MlError::LocalDataRefused,
        MlError::DatasetNotForRole,
    ];

    /// Status code on the host-function boundary (never `0`).
    pub fn code(self) -> u32 {
        u32::from(self as u8)
    }

    /// The error with this status code; `None` for `0` (success) and unknown codes.
    pub fn from_code(code: u32) -> Option<MlError> {
        MlError::ALL.into_iter().find(|e| e.code() == code)
    }
}
