//! Demonstration misbehaviour: an engine decorator that makes a node's off-chain jobs lie, so
//! that development and local networks can show the protocol's defences at work (a dishonest
//! validator slashed, a poisoned update rejected).
//!
//! It lives here, in the node's std engine, and nowhere in the runtime: the wasm runtime and
//! the no_std interface carry no misbehaviour. The node registers [`Misbehaving`] instead of
//! the plain engine only on development and local chains (`node/src/ml.rs`). Which jobs lie is
//! read, per job, from the node's persistent off-chain storage — the node writes its
//! `--arena-dishonest` and `--alliance-poison` flags there, and a test may set a single worker
//! key's setting under `SCALE((key, worker))` through `offchain_localStorageSet`:
//!
//! | key | value | effect on the jobs of that worker (or of every worker) |
//! |---|---|---|
//! | [`DISHONEST_KEY`] | [`Dishonesty`] | arena scoring (requests committed to a data hash) returns random scores, or the first entry's score for every entry |
//! | [`POISON_KEY`] | [`Poison`] | alliance training proposes `global − 3 · (update − global)`, or trains on flipped labels; or every other evaluation's score is negated, so its votes turn |

use crate::Engine;
use codec::{Decode, Encode};
use starling_ml_interface::{
    EvaluateRequest, EvaluateResult, MlBackend, MlError, MlExt, Params, PredictRequest,
    PredictResult, TrainRequest, TrainResult, WorkerKey, SCORE_SCALE,
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

/// Log target of the demonstrations' warnings.
pub const LOG_TARGET: &str = "starling::demo";

/// Persistent off-chain key of a dishonest committee member's setting: SCALE [`Dishonesty`].
pub const DISHONEST_KEY: &[u8] = b"starling::arena::dishonest";

/// Persistent off-chain key of a poisoning FL participant's setting: SCALE [`Poison`].
pub const POISON_KEY: &[u8] = b"starling::alliance::poison";

/// How a dishonest committee member scores (arena scoring jobs).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
pub enum Dishonesty {
    /// Random scores, far from any honest one.
    RandomScores,
    /// The first entry's score for every entry (a lazy copy).
    CopiedScores,
}

/// How a poisoning FL participant misbehaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode)]
pub enum Poison {
    /// Proposes `global − 3 · (update − global)`: its honest change, sign-flipped and tripled.
    SignFlip,
    /// Negates the scores of its evaluations, so that it votes for what makes the model
    /// worse and against what makes it better.
    DishonestVotes,
    /// Trains on its data with the labels flipped (`y → min + max − y`, class `c` of `k` →
    /// `k − 1 − c`) and proposes that update.
    LabelFlip,
}

/// Reads a persistent off-chain storage key (the node's off-chain database, or a test's).
pub type SettingsReader = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// First score per (worker, data hash): what a copying committee member reveals.
type CopiedScores = Arc<Mutex<HashMap<(Option<WorkerKey>, [u8; 32]), i64>>>;

/// The engine, lying where the settings say so (see the [module docs](self)).
#[derive(Clone)]
pub struct Misbehaving {
    engine: Engine,
    read: SettingsReader,
    copied: CopiedScores,
}

impl Misbehaving {
    /// `engine`, misbehaving as the settings `read` returns say.
    pub fn new(engine: Engine, read: SettingsReader) -> Self {
        Self { engine, read, copied: Arc::default() }
    }

    /// A fresh externalities extension backed by this decorator.
    pub fn extension(&self) -> MlExt {
        MlExt::new(self.clone())
    }

    /// The setting under `key` for `worker`'s jobs: its own, else the node's.
    fn setting<V: Decode>(&self, key: &[u8], worker: Option<WorkerKey>) -> Option<V> {
        let decode = |bytes: Vec<u8>| V::decode(&mut &bytes[..]).ok();
        worker
            .and_then(|worker| (self.read)(&(key, worker).encode()).and_then(decode))
            .or_else(|| (self.read)(key).and_then(decode))
    }
}

/// `global − 3 · (update − global)` per coordinate (`global` zero when absent).
fn sign_flip(update: &Params, global: Option<&Params>) -> Params {
    let flipped: Vec<i64> = update
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let g = global.and_then(|g| g.get(i)).copied().unwrap_or_default();
            g.saturating_sub(p.saturating_sub(g).saturating_mul(3))
        })
        .collect();
    Params::truncate_from(flipped)
}

/// A score far from any honest one: 7 to 262 in metric units, from the clock.
fn random_score() -> i64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let byte = blake2_byte(&nanos.to_le_bytes());
    i64::from(byte).saturating_add(7).saturating_mul(SCORE_SCALE)
}

fn blake2_byte(data: &[u8]) -> u8 {
    use blake2::{digest::consts::U32, Blake2b, Digest};
    let hash: [u8; 32] = Blake2b::<U32>::digest(data).into();
    hash.first().copied().unwrap_or_default()
}

impl MlBackend for Misbehaving {
    fn train(&self, request: TrainRequest) -> Result<TrainResult, MlError> {
        match self.setting::<Poison>(POISON_KEY, request.worker) {
            Some(Poison::LabelFlip) => {
                log::warn!(target: LOG_TARGET, "POISONED training: flipped labels");
                self.engine.train_on_flipped_labels(&request)
            },
            Some(Poison::SignFlip) => {
                let global = request.init.clone();
                let mut result = self.engine.train(request)?;
                result.params = sign_flip(&result.params, global.as_ref());
                log::warn!(target: LOG_TARGET, "POISONED training: update sign-flipped × 3");
                Ok(result)
            },
            Some(Poison::DishonestVotes) | None => self.engine.train(request),
        }
    }

    fn evaluate(&self, request: EvaluateRequest) -> Result<EvaluateResult, MlError> {
        let worker = request.worker;
        let committed = request.data_hash;
        let mut result = self.engine.evaluate(request)?;
        if let Some(hash) = committed {
            match self.setting::<Dishonesty>(DISHONEST_KEY, worker) {
                Some(Dishonesty::RandomScores) => {
                    result.score = random_score();
                    log::warn!(target: LOG_TARGET, "DISHONEST scoring: random score");
                },
                Some(Dishonesty::CopiedScores) => {
                    let mut copied = self.copied.lock().unwrap_or_else(PoisonError::into_inner);
                    result.score = *copied.entry((worker, hash)).or_insert(result.score);
                    log::warn!(target: LOG_TARGET, "DISHONEST scoring: copied score");
                },
                None => {},
            }
        } else if self.setting::<Poison>(POISON_KEY, worker) == Some(Poison::DishonestVotes) {
            result.score = result.score.saturating_neg();
            log::warn!(target: LOG_TARGET, "DISHONEST evaluation: score negated");
        }
        Ok(result)
    }

    fn predict(&self, request: PredictRequest) -> Result<PredictResult, MlError> {
        self.engine.predict(request)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    use super::*;

    #[test]
    fn sign_flip_triples_the_change_the_other_way() {
        let global = Params::truncate_from(vec![10, -5]);
        let update = Params::truncate_from(vec![12, -9]);
        assert_eq!(sign_flip(&update, Some(&global)).to_vec(), vec![4, 7]);
        assert_eq!(sign_flip(&update, None).to_vec(), vec![-36, 27]);
    }

    fn diabetes_eval(v: i64, data_hash: Option<[u8; 32]>, worker: WorkerKey) -> EvaluateRequest {
        use starling_ml_interface::{
            BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Schema, Slice, Split,
        };
        EvaluateRequest {
            family: ModelFamily::LinearOls,
            schema: Schema { features: 10, label: LabelKind::Continuous },
            dataset: DatasetRef::BuiltIn {
                dataset: BuiltInDataset::Diabetes,
                slice: Slice {
                    seed: 7,
                    split: Split::Test,
                    test_permille: 200,
                    shard_index: 0,
                    shard_count: 1,
                },
            },
            params: Params::truncate_from(vec![v; 11]),
            metric: Metric::Mse,
            data_hash,
            worker: Some(worker),
        }
    }

    fn demo(settings: Vec<(Vec<u8>, Vec<u8>)>) -> Misbehaving {
        let store: HashMap<Vec<u8>, Vec<u8>> = settings.into_iter().collect();
        Misbehaving::new(Engine::default(), Arc::new(move |key| store.get(key).cloned()))
    }

    /// Scoring jobs committed to a data hash lie for a dishonest worker only; other
    /// evaluations and other workers get the engine's honest score.
    #[test]
    fn dishonest_scoring_random_and_copied() {
        let (liar, honest) = ([1u8; 32], [2u8; 32]);
        let engine = Engine::default();
        let hash = engine.dataset_hash(&diabetes_eval(0, None, honest).dataset).unwrap();
        let truth = |v| engine.evaluate(diabetes_eval(v, Some(hash), honest)).unwrap().score;
        let copying =
            demo(vec![((DISHONEST_KEY, liar).encode(), Dishonesty::CopiedScores.encode())]);
        let first = copying.evaluate(diabetes_eval(0, Some(hash), liar)).unwrap().score;
        assert_eq!(first, truth(0));
        assert_eq!(
            copying.evaluate(diabetes_eval(1_000_000, Some(hash), liar)).unwrap().score,
            first
        );
        assert_ne!(truth(1_000_000), first);
        assert_eq!(
            copying.evaluate(diabetes_eval(1_000_000, Some(hash), honest)).unwrap().score,
            truth(1_000_000)
        );
        let random = demo(vec![(DISHONEST_KEY.to_vec(), Dishonesty::RandomScores.encode())]);
        let lie = random.evaluate(diabetes_eval(0, Some(hash), liar)).unwrap().score;
        assert!((7 * SCORE_SCALE..=262 * SCORE_SCALE).contains(&lie), "{lie}");
        let unhashed = random.evaluate(diabetes_eval(0, None, liar)).unwrap().score;
        assert_eq!(unhashed, truth(0), "only scoring committed to a data hash lies");
    }

    /// A dishonest voter's evaluations are negated; training and the committed scoring
    /// are not touched by that setting.
    #[test]
    fn dishonest_votes_negate_evaluations() {
        let voter = [3u8; 32];
        let engine = Engine::default();
        let honest = engine.evaluate(diabetes_eval(0, None, voter)).unwrap().score;
        let liar = demo(vec![((POISON_KEY, voter).encode(), Poison::DishonestVotes.encode())]);
        assert_eq!(liar.evaluate(diabetes_eval(0, None, voter)).unwrap().score, -honest);
        assert_eq!(liar.evaluate(diabetes_eval(0, None, [4; 32])).unwrap().score, honest);
    }

    #[test]
    fn settings_per_worker_win_over_the_nodes() {
        let mine = [7u8; 32];
        let store: HashMap<Vec<u8>, Vec<u8>> = HashMap::from([
            (POISON_KEY.to_vec(), Poison::LabelFlip.encode()),
            ((POISON_KEY, mine).encode(), Poison::SignFlip.encode()),
        ]);
        let demo =
            Misbehaving::new(Engine::default(), Arc::new(move |key| store.get(key).cloned()));
        assert_eq!(demo.setting::<Poison>(POISON_KEY, Some(mine)), Some(Poison::SignFlip));
        assert_eq!(demo.setting::<Poison>(POISON_KEY, Some([8; 32])), Some(Poison::LabelFlip));
        assert_eq!(demo.setting::<Poison>(POISON_KEY, None), Some(Poison::LabelFlip));
        assert_eq!(demo.setting::<Dishonesty>(DISHONEST_KEY, Some(mine)), None);
    }
}
