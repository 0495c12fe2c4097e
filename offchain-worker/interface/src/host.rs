//! The `Ml` runtime interface: host functions, their native side, and the runtime-side
//! wrappers that handle encoding and the result buffer.

use crate::{
    EvaluateRequest, EvaluateResult, MlError, PredictRequest, PredictResult, TrainRequest,
    TrainResult,
};
use alloc::{vec, vec::Vec};
use codec::{Decode, Encode, MaxEncodedLen};
use sp_runtime_interface::{
    pass_by::{PassFatPointerAndRead, PassFatPointerAndWrite},
    runtime_interface,
};

/// Status code of a successful host call.
pub const STATUS_OK: u32 = 0;

/// Host functions through which off-chain workers run ML jobs on the node's engine.
///
/// Each takes a SCALE-encoded request, writes the SCALE-encoded result to the start of `out`
/// and returns [`STATUS_OK`], or returns an [`MlError::code`] and leaves `out` unspecified.
/// They never panic: with no [`MlExt`](crate::MlExt) registered (block import, or a node
/// without an engine) they return [`MlError::EngineUnavailable`].
///
/// Use the typed wrappers [`train`](crate::train), [`evaluate`](crate::evaluate) and
/// [`predict`](crate::predict) rather than these.
#[runtime_interface]
pub trait Ml {
    /// Train a model: `request` is an encoded [`TrainRequest`], `out` receives a
    /// [`TrainResult`].
    fn train(
        &mut self,
        request: PassFatPointerAndRead<&[u8]>,
        out: PassFatPointerAndWrite<&mut [u8]>,
    ) -> u32 {
        use sp_externalities::ExternalitiesExt as _;
        native::serve(self.extension::<crate::MlExt>(), request, out, |engine, req| {
            engine.train(req)
        })
    }

    /// Score a model: `request` is an encoded [`EvaluateRequest`], `out` receives an
    /// [`EvaluateResult`].
    fn evaluate(
        &mut self,
        request: PassFatPointerAndRead<&[u8]>,
        out: PassFatPointerAndWrite<&mut [u8]>,
    ) -> u32 {
        use sp_externalities::ExternalitiesExt as _;
        native::serve(self.extension::<crate::MlExt>(), request, out, |engine, req| {
            engine.evaluate(req)
        })
    }

    /// Predict: `request` is an encoded [`PredictRequest`], `out` receives a
    /// [`PredictResult`].
    fn predict(
        &mut self,
        request: PassFatPointerAndRead<&[u8]>,
        out: PassFatPointerAndWrite<&mut [u8]>,
    ) -> u32 {
        use sp_externalities::ExternalitiesExt as _;
        native::serve(self.extension::<crate::MlExt>(), request, out, |engine, req| {
            engine.predict(req)
        })
    }
}

/// Train through the host. Needs an off-chain-worker context with the engine registered;
/// otherwise returns [`MlError::EngineUnavailable`].
pub fn train(request: &TrainRequest) -> Result<TrainResult, MlError> {
    call(request, ml::train)
}

/// Score through the host; see [`train`] for the context it needs.
pub fn evaluate(request: &EvaluateRequest) -> Result<EvaluateResult, MlError> {
    call(request, ml::evaluate)
}

/// Predict through the host; see [`train`] for the context it needs.
pub fn predict(request: &PredictRequest) -> Result<PredictResult, MlError> {
    call(request, ml::predict)
}

/// Encode `request`, give the host a buffer large enough for any `Res`, decode the answer.
fn call<Req: Encode, Res: Decode + MaxEncodedLen>(
    request: &Req,
    host: fn(&[u8], &mut [u8]) -> u32,
) -> Result<Res, MlError> {
    let mut out: Vec<u8> = vec![0u8; Res::max_encoded_len()];
    let status = host(&request.encode(), &mut out);
    decode_result(status, &out)
}

/// Turn a host status code and output buffer into a typed result.
pub fn decode_result<Res: Decode>(status: u32, out: &[u8]) -> Result<Res, MlError> {
    if status != STATUS_OK {
        return Err(MlError::from_code(status).unwrap_or(MlError::MalformedResult));
    }
    Res::decode(&mut &out[..]).map_err(|_| MlError::MalformedResult)
}

/// Native side of the host functions.
#[cfg(not(substrate_runtime))]
mod native {
    use crate::{MlBackend, MlError, MlExt, STATUS_OK};
    use codec::{DecodeAll, Encode};

    /// Decode the request, run `job` on the registered engine, write the encoded result.
    pub(super) fn serve<Req: DecodeAll, Res: Encode>(
        ext: Option<&mut MlExt>,
        request: &[u8],
        out: &mut [u8],
        job: impl FnOnce(&dyn MlBackend, Req) -> Result<Res, MlError>,
    ) -> u32 {
        let Some(ext) = ext else {
            return MlError::EngineUnavailable.code();
        };
        let Ok(request) = Req::decode_all(&mut &request[..]) else {
            return MlError::BadRequest.code();
        };
        match job(&*ext.0, request) {
            Ok(result) => {
                let encoded = result.encode();
                match out.get_mut(..encoded.len()) {
                    Some(head) => {
                        head.copy_from_slice(&encoded);
                        STATUS_OK
                    },
                    None => MlError::BufferTooSmall.code(),
                }
            },
            Err(error) => error.code(),
        }
    }
}

/// The engine behind the host functions; implemented natively by `starling-ml-engine`.
///
/// Implementations must be deterministic (same request → bit-identical result) and must not
/// panic.
#[cfg(not(substrate_runtime))]
pub trait MlBackend: Send + Sync + 'static {
    /// Train a model.
    fn train(&self, request: TrainRequest) -> Result<TrainResult, MlError>;
    /// Score a model.
    fn evaluate(&self, request: EvaluateRequest) -> Result<EvaluateResult, MlError>;
    /// Predict labels for inline rows.
    fn predict(&self, request: PredictRequest) -> Result<PredictResult, MlError>;
}

#[cfg(not(substrate_runtime))]
sp_externalities::decl_extension! {
    /// Externalities extension carrying the ML engine. The node registers it for
    /// off-chain-worker calls only, so block import never sees it.
    pub struct MlExt(alloc::boxed::Box<dyn MlBackend>);
}

#[cfg(not(substrate_runtime))]
impl MlExt {
    /// Wrap an engine so it can be registered on externalities.
    pub fn new<B: MlBackend>(backend: B) -> Self {
        Self(alloc::boxed::Box::new(backend))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        BuiltInDataset, DatasetRef, HyperParams, LabelKind, Metric, ModelFamily, Params, Schema,
        Slice,
    };
    use sp_io::TestExternalities;

    /// A backend that answers every job with fixed values, to test the boundary alone.
    struct Fixed;

    impl MlBackend for Fixed {
        fn train(&self, request: TrainRequest) -> Result<TrainResult, MlError> {
            match request.family {
                ModelFamily::LinearOls => {
                    Ok(TrainResult { params: Params::truncate_from(vec![1, -2, 3]), rows: 42 })
                },
                _ => Err(MlError::SchemaMismatch),
            }
        }
        fn evaluate(&self, _: EvaluateRequest) -> Result<EvaluateResult, MlError> {
            Ok(EvaluateResult { score: 750_000, rows: 7 })
        }
        fn predict(&self, _: PredictRequest) -> Result<PredictResult, MlError> {
            // Larger than any sensible buffer a caller would pass for one row.
            Ok(PredictResult { predictions: vec![7; 64].try_into().unwrap_or_default() })
        }
    }

    fn train_request(family: ModelFamily) -> TrainRequest {
        TrainRequest {
            family,
            schema: Schema { features: 2, label: LabelKind::Continuous },
            dataset: DatasetRef::BuiltIn { dataset: BuiltInDataset::Diabetes, slice: Slice::ALL },
            init: None,
            hyper: HyperParams::default(),
            worker: None,
        }
    }

    fn evaluate_request() -> EvaluateRequest {
        EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema: Schema { features: 2, label: LabelKind::Continuous },
            dataset: DatasetRef::BuiltIn { dataset: BuiltInDataset::Diabetes, slice: Slice::ALL },
            params: Params::default(),
            metric: Metric::Mse,
            data_hash: None,
            worker: None,
        }
    }

    fn with_fixed_engine<R>(f: impl FnOnce() -> R) -> R {
        let mut ext = TestExternalities::default();
        ext.register_extension(MlExt::new(Fixed));
        ext.execute_with(f)
    }

    #[test]
    fn without_extension_every_call_is_engine_unavailable() {
        TestExternalities::default().execute_with(|| {
            assert_eq!(
                train(&train_request(ModelFamily::LinearOls)),
                Err(MlError::EngineUnavailable)
            );
            assert_eq!(evaluate(&evaluate_request()), Err(MlError::EngineUnavailable));
            let mut out = [0u8; 16];
            assert_eq!(ml::predict(&[], &mut out), MlError::EngineUnavailable.code());
        });
    }

    #[test]
    fn results_and_errors_cross_the_boundary() {
        with_fixed_engine(|| {
            assert_eq!(
                train(&train_request(ModelFamily::LinearOls)),
                Ok(TrainResult { params: Params::truncate_from(vec![1, -2, 3]), rows: 42 })
            );
            assert_eq!(
                train(&train_request(ModelFamily::LogisticBinary)),
                Err(MlError::SchemaMismatch)
            );
            assert_eq!(
                evaluate(&evaluate_request()),
                Ok(EvaluateResult { score: 750_000, rows: 7 })
            );
        });
    }

    #[test]
    fn undecodable_request_is_bad_request() {
        with_fixed_engine(|| {
            let mut out = vec![0u8; 64];
            assert_eq!(ml::train(&[0xff, 0xff], &mut out), MlError::BadRequest.code());
            // Trailing bytes are rejected too: a request is exactly one value.
            let mut bytes = evaluate_request().encode();
            bytes.push(0);
            assert_eq!(ml::evaluate(&bytes, &mut out), MlError::BadRequest.code());
        });
    }

    #[test]
    fn short_buffer_is_buffer_too_small() {
        with_fixed_engine(|| {
            let request = PredictRequest {
                family: ModelFamily::LinearOls,
                schema: Schema { features: 1, label: LabelKind::Continuous },
                params: Params::default(),
                rows: Default::default(),
            };
            let mut out = [0u8; 8];
            assert_eq!(ml::predict(&request.encode(), &mut out), MlError::BufferTooSmall.code());
            // The typed wrapper sizes its buffer from `MaxEncodedLen`, so it always fits.
            assert_eq!(predict(&request).map(|r| r.predictions.len()), Ok(64));
        });
    }

    #[test]
    fn undecodable_result_is_malformed_result() {
        assert_eq!(decode_result::<TrainResult>(STATUS_OK, &[0xff]), Err(MlError::MalformedResult));
        assert_eq!(decode_result::<TrainResult>(999, &[]), Err(MlError::MalformedResult));
        assert_eq!(
            decode_result::<TrainResult>(MlError::NotConverged.code(), &[]),
            Err(MlError::NotConverged)
        );
    }

    #[test]
    fn status_codes_are_stable_and_distinct() {
        for (index, error) in MlError::ALL.into_iter().enumerate() {
            assert_eq!(error.code() as usize, index + 1);
            assert_eq!(MlError::from_code(error.code()), Some(error));
        }
        assert_eq!(MlError::from_code(STATUS_OK), None);
    }
}
