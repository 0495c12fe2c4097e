//! The host's serving endpoint: the `marketplace_predict` JSON-RPC method.
//!
//! A dApp sends the rows to predict and a usage voucher signed by the user's key. The node
//! checks the signature, finds the operator it hosts for (through its worker keys), checks the
//! request against chain state at the best block (the line is hosted here, host, price, and
//! that the user's escrow covers the calls not yet claimed), computes the predictions with the
//! ML engine, and keeps the latest voucher of each user in its off-chain database (on disk:
//! it survives a restart), where the host's off-chain worker finds it to claim payment.
//!
//! **Paid and free calls.** Every request carries a voucher, so that every request is the
//! user's. A voucher with more calls than the latest one kept or claimed pays for the call. A
//! voucher repeating the latest count asks for a free call: the node serves it while the user
//! has free calls left in the current free-tier period (a number set by governance that grows
//! with the user's stake; none without stake) and counts it. An older voucher is refused.
//!
//! **Store.** One entry per (line, host, user) (`offchain::user_voucher_key`), listed in a
//! paged index per (line, host) that the worker reads; the worker prunes entries once
//! `Claimed` reaches them (see `pallet_starling_marketplace::offchain`). Free calls: one entry
//! per user with stake who used some, `(period, used)`, overwritten each period.
//!
//! **Concurrency.** Nothing is held across runtime calls or inference. At most
//! [`MAX_IN_FLIGHT`] requests are served at once, and one per user (the user's slot is the
//! reservation of the user's voucher entries and free calls: a second request of the same
//! user is refused, not queued). Writes happen after the inference, so a failed inference
//! writes nothing, and a crash between inference and write loses at most that one call. A
//! paid call's write holds the store lock of its (line, host), shared with the worker, for a
//! few database operations.
//!
//! Request (JSON): `{ "line": 0, "rows": [[f64; features], …], "voucher": { "user": ss58,
//! "host": ss58, "calls": u64, "price": "u128 as a decimal string", "signature": "0x…" } }`,
//! the signature over `SCALE(("starling/voucher/v1", genesis_hash, (user, host, line, calls,
//! price)))` (sr25519: 64 bytes, or a SCALE `MultiSignature`). Answer: `{ "line", "version",
//! "predictions": [f64], "paid": bool, "calls": u64, "freeCallsLeft": u32 }`.

// Requests and answers carry real numbers as JSON floats; this is where they turn into the
// engine's fixed point and back (never in the runtime).
#![allow(clippy::float_arithmetic)]

use codec::{Decode, Encode};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use pallet_starling_marketplace::{
    offchain::{append_to_index, user_voucher_key, voucher_lock_key, Store, VOUCHER_LOCK_MS},
    runtime_api::MarketplaceApi,
    voucher_message, LineId, Serving, SignedVoucher, Voucher, VoucherError,
};
use sc_client_api::StorageProvider;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
    crypto::Ss58Codec,
    offchain::{OffchainStorage, STORAGE_PREFIX},
    storage::StorageKey,
    H256,
};
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Verify;
use starling_ml_interface::{
    LabelKind, MlBackend, PredictRequest, MAX_PREDICT_VALUES, PARAM_SCALE, SCORE_SCALE,
};
use starling_runtime::{opaque::Block, AccountId, Balance, Signature};
use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// Most rows one call predicts.
pub const MAX_ROWS_PER_CALL: usize = 64;

/// Most requests served at once; more are refused with [`BUSY`] rather than queued.
pub const MAX_IN_FLIGHT: usize = 32;

/// How long a paid call waits for the worker to release the voucher store of its line.
pub const STORE_LOCK_WAIT: Duration = Duration::from_millis(1_000);

/// Invalid request (shape, feature count, row count).
pub const INVALID_REQUEST: i32 = -32602;
/// The model line is not hosted by this node (or not servable).
pub const NOT_HOSTED: i32 = -32010;
/// The voucher pays nothing: bad signature, another host, wrong price, stale, beyond escrow.
pub const BAD_VOUCHER: i32 = -32011;
/// The user's free calls of this period are used up.
pub const FREE_TIER_USED: i32 = -32012;
/// Refused for load, not for the request: too many requests in flight, another request of
/// the same user in flight, or the voucher store busy. Retry later with the same voucher.
pub const BUSY: i32 = -32013;
/// The user has no free calls at all (nothing bonded): every call must be paid.
pub const NO_FREE_TIER: i32 = -32014;
/// The engine failed.
pub const ENGINE_ERROR: i32 = -32000;

/// A voucher as a dApp sends it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct VoucherJson {
    /// The paying user (SS58).
    pub user: String,
    /// The host (SS58).
    pub host: String,
    /// Paid calls so far, cumulative.
    pub calls: u64,
    /// Price per call, as a decimal string (or a number).
    pub price: serde_json::Value,
    /// `0x`-hex signature: 64 bytes (sr25519) or a SCALE `MultiSignature`.
    pub signature: String,
}

/// A prediction request.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PredictJson {
    /// The model line.
    pub line: LineId,
    /// Feature rows.
    pub rows: Vec<Vec<f64>>,
    /// The user's voucher.
    pub voucher: VoucherJson,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictionJson {
    /// The model line.
    pub line: LineId,
    /// The version that predicted.
    pub version: u32,
    /// One prediction per row: the value (regression) or the class index.
    pub predictions: Vec<f64>,
    /// Whether the call was paid by the voucher (else it was a free call).
    pub paid: bool,
    /// Paid calls of this user on this line so far.
    pub calls: u64,
    /// Free calls the user has left in this period.
    pub free_calls_left: u32,
}

/// What the endpoint needs from the chain (at the best block).
pub trait ChainView: Send + Sync {
    /// The chain's genesis hash (vouchers are signed for it).
    fn genesis_hash(&self) -> H256;
    /// The operators this node's worker keys act for.
    fn operators(&self) -> Vec<AccountId>;
    /// What `host` serves of `line`.
    fn serving(&self, line: LineId, host: &AccountId) -> Option<Serving<Balance>>;
    /// Whether the voucher pays `host` for calls served now; the new calls beyond those
    /// claimed.
    fn check_voucher(
        &self,
        host: &AccountId,
        voucher: &SignedVoucher<AccountId, Balance, Signature>,
    ) -> Result<u64, VoucherError>;
    /// The user's free calls per period and the current period.
    fn free_tier(&self, user: &AccountId) -> (u32, u32);
    /// The paid calls of `user` that `host` has claimed on `line` (`Claimed`).
    fn claimed(&self, user: &AccountId, host: &AccountId, line: LineId) -> u64;
}

/// [`ChainView`] over the client's runtime API and state, and the node's keystore.
///
/// What does not change within a block — the operators this node's worker keys act for, what a
/// host serves of a line, a user's free tier — is answered once per best block and kept until
/// the best block changes (a worker key inserted into the keystore counts from the next
/// block). The voucher's check (escrow, claims, calls) is asked per paid request.
pub struct ClientView<C> {
    client: Arc<C>,
    keystore: KeystorePtr,
    at_best: Mutex<BestBlockAnswers>,
}

/// Answers kept for one best block.
#[derive(Default)]
struct BestBlockAnswers {
    best: H256,
    operators: Option<Vec<AccountId>>,
    serving: HashMap<(LineId, AccountId), Option<Serving<Balance>>>,
    free_tier: HashMap<AccountId, (u32, u32)>,
}

/// Most (line, host) answers kept per best block.
const MAX_SERVING_ANSWERS: usize = 1_024;
/// Most users' free tiers kept per best block.
const MAX_FREE_TIER_ANSWERS: usize = 4_096;

impl<C> ClientView<C> {
    /// A view on `client`, with `keystore` holding the worker keys.
    pub fn new(client: Arc<C>, keystore: KeystorePtr) -> Self {
        Self { client, keystore, at_best: Mutex::default() }
    }

    /// The kept answers, emptied first if the best block is no longer `best`.
    fn answers_at(&self, best: H256) -> MutexGuard<'_, BestBlockAnswers> {
        let mut answers = lock(&self.at_best);
        if answers.best != best {
            *answers = BestBlockAnswers { best, ..BestBlockAnswers::default() };
        }
        answers
    }
}

impl<C> ChainView for ClientView<C>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + StorageProvider<Block, sc_service::TFullBackend<Block>>
        + Send
        + Sync,
    C::Api: MarketplaceApi<Block, AccountId, Balance, Signature>,
{
    fn genesis_hash(&self) -> H256 {
        self.client.info().genesis_hash
    }

    fn operators(&self) -> Vec<AccountId> {
        let best = self.client.info().best_hash;
        if let Some(operators) = &self.answers_at(best).operators {
            return operators.clone();
        }
        // Asked outside the lock; a concurrent request may ask too, with the same answer.
        let api = self.client.runtime_api();
        let operators: Vec<AccountId> = self
            .keystore
            .sr25519_public_keys(starling_runtime::worker::KEY_TYPE)
            .into_iter()
            .filter_map(|key| api.operator_of_worker(best, AccountId::from(key)).ok().flatten())
            .collect();
        self.answers_at(best).operators = Some(operators.clone());
        operators
    }

    fn serving(&self, line: LineId, host: &AccountId) -> Option<Serving<Balance>> {
        let best = self.client.info().best_hash;
        if let Some(serving) = self.answers_at(best).serving.get(&(line, host.clone())) {
            return serving.clone();
        }
        let serving = self.client.runtime_api().serving(best, line, host.clone()).ok().flatten();
        let mut answers = self.answers_at(best);
        if answers.serving.len() < MAX_SERVING_ANSWERS {
            answers.serving.insert((line, host.clone()), serving.clone());
        }
        serving
    }

    fn check_voucher(
        &self,
        host: &AccountId,
        voucher: &SignedVoucher<AccountId, Balance, Signature>,
    ) -> Result<u64, VoucherError> {
        let best = self.client.info().best_hash;
        self.client
            .runtime_api()
            .check_voucher(best, host.clone(), voucher.clone())
            .unwrap_or(Err(VoucherError::NotHosted))
    }

    fn free_tier(&self, user: &AccountId) -> (u32, u32) {
        let best = self.client.info().best_hash;
        if let Some(tier) = self.answers_at(best).free_tier.get(user) {
            return *tier;
        }
        let tier = self.client.runtime_api().free_tier(best, user.clone()).unwrap_or((0, 0));
        let mut answers = self.answers_at(best);
        if answers.free_tier.len() < MAX_FREE_TIER_ANSWERS {
            answers.free_tier.insert(user.clone(), tier);
        }
        tier
    }

    fn claimed(&self, user: &AccountId, host: &AccountId, line: LineId) -> u64 {
        let best = self.client.info().best_hash;
        let key = pallet_starling_marketplace::Claimed::<starling_runtime::Runtime>::hashed_key_for(
            (user, host, line),
        );
        self.client
            .storage(best, &StorageKey(key))
            .ok()
            .flatten()
            .and_then(|data| u64::decode(&mut &data.0[..]).ok())
            .unwrap_or(0)
    }
}

/// The serving endpoint's state: chain view, engine, off-chain database, and the requests in
/// flight.
pub struct Market<V, S> {
    view: V,
    engine: starling_ml_engine::Engine,
    /// The off-chain database; locked for single operations only.
    storage: Mutex<S>,
    /// Serialises this node's writes of voucher entries and index pages (a few database
    /// operations each); the worker is kept out by the store lock in the database.
    writes: Mutex<()>,
    /// Users with a request in flight.
    users: Mutex<HashSet<AccountId>>,
    /// Requests in flight.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    store_wait: Duration,
}

type SignedVoucherOf = SignedVoucher<AccountId, Balance, Signature>;

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message.into(), None::<()>)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Off-chain key of a user's free calls: SCALE `(period, used)`. Written only for users with
/// free calls, overwritten each period.
fn free_key(user: &AccountId) -> Vec<u8> {
    (b"starling::marketplace::free-calls", user).encode()
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn parse_account(what: &str, value: &str) -> Result<AccountId, ErrorObjectOwned> {
    AccountId::from_ss58check(value).map_err(|e| {
        error(INVALID_REQUEST, format!("voucher {what} is not an SS58 address: {e:?}"))
    })
}

fn parse_price(value: &serde_json::Value) -> Result<Balance, ErrorObjectOwned> {
    let parsed = match value {
        serde_json::Value::String(s) => s.parse::<Balance>().ok(),
        serde_json::Value::Number(n) => n.as_u64().map(Balance::from),
        _ => None,
    };
    parsed.ok_or_else(|| error(INVALID_REQUEST, "voucher price must be a whole number"))
}

fn parse_signature(hex: &str) -> Result<Signature, ErrorObjectOwned> {
    let bytes = sp_core::bytes::from_hex(hex)
        .map_err(|e| error(INVALID_REQUEST, format!("voucher signature is not hex: {e}")))?;
    if let Ok(raw) = <[u8; 64]>::try_from(bytes.as_slice()) {
        return Ok(Signature::Sr25519(sp_core::sr25519::Signature::from_raw(raw)));
    }
    Signature::decode(&mut &bytes[..]).map_err(|_| {
        error(INVALID_REQUEST, "voucher signature is neither 64 bytes nor a MultiSignature")
    })
}

fn voucher_error(error_kind: VoucherError, known: u64) -> ErrorObjectOwned {
    let message = match error_kind {
        VoucherError::BadSignature => {
            "voucher signature is not the user's (for this chain's genesis hash)".to_string()
        },
        VoucherError::ForAnotherHost => "voucher is for another host".to_string(),
        VoucherError::NotHosted => "this host does not serve the line".to_string(),
        VoucherError::PriceMismatch => "voucher price is not this host's price".to_string(),
        VoucherError::AlreadyClaimed => {
            format!(
                "voucher is stale: the latest has calls = {known}; sign calls = {}",
                known.saturating_add(1)
            )
        },
        VoucherError::BeyondEscrow => {
            "the user's escrow (less what is unlocking) cannot pay these calls".to_string()
        },
        VoucherError::PaymentFailed => "the user's escrow hold cannot pay these calls".to_string(),
    };
    error(BAD_VOUCHER, message)
}

/// How a request is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    /// Paid by its voucher (more calls than `known`).
    Paid,
    /// A free call; `used` free calls were used before it this period.
    Free { used: u32 },
}

/// Paid, free or refused: a voucher with `calls` when the latest kept or claimed has `known`,
/// and the user has used `used` of `free_calls` this period.
fn decide(calls: u64, known: u64, free_calls: u32, used: u32) -> Result<Use, ErrorObjectOwned> {
    let next = known.saturating_add(1);
    if calls > known {
        Ok(Use::Paid)
    } else if calls < known {
        Err(voucher_error(VoucherError::AlreadyClaimed, known))
    } else if free_calls == 0 {
        Err(error(
            NO_FREE_TIER,
            format!(
                "no free calls: the free tier is for accounts with stake bonded; sign a voucher with calls = {next}"
            ),
        ))
    } else if used >= free_calls {
        Err(error(
            FREE_TIER_USED,
            format!(
                "free calls used up for this period ({used} of {free_calls}): sign a voucher with calls = {next}"
            ),
        ))
    } else {
        Ok(Use::Free { used })
    }
}

/// The off-chain database as the shared voucher-store code sees it.
struct Db<'a, S>(&'a Mutex<S>);

impl<S: OffchainStorage> Store for Db<'_, S> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        lock(self.0).get(STORAGE_PREFIX, key)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) {
        lock(self.0).set(STORAGE_PREFIX, key, value)
    }
    fn remove(&mut self, key: &[u8]) {
        lock(self.0).remove(STORAGE_PREFIX, key)
    }
}

/// Takes the store lock under `key` at `now` (unix ms) if it is free or expired: the
/// `StorageLock<Time>` protocol the worker follows (a SCALE `u64` deadline, compare-and-set).
fn try_lock_store<S: OffchainStorage>(storage: &Mutex<S>, key: &[u8], now: u64) -> bool {
    let mut storage = lock(storage);
    let current = storage.get(STORAGE_PREFIX, key);
    let free = match current.as_deref().map(|mut bytes| u64::decode(&mut bytes)) {
        Some(Ok(deadline)) => now > deadline,
        None | Some(Err(_)) => true,
    };
    let deadline = now.saturating_add(VOUCHER_LOCK_MS);
    free && storage.compare_and_set(STORAGE_PREFIX, key, current.as_deref(), &deadline.encode())
}

/// The store lock of a (line, host), released on drop.
struct StoreLock<'a, S: OffchainStorage> {
    storage: &'a Mutex<S>,
    key: Vec<u8>,
}

impl<S: OffchainStorage> Drop for StoreLock<'_, S> {
    fn drop(&mut self) {
        lock(self.storage).remove(STORAGE_PREFIX, &self.key);
    }
}

/// A request's place among those in flight, and its user's slot; both freed on drop.
struct Admission<'a> {
    in_flight: &'a AtomicUsize,
    users: Option<(&'a Mutex<HashSet<AccountId>>, AccountId)>,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if let Some((users, user)) = self.users.take() {
            lock(users).remove(&user);
        }
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<V: ChainView, S: OffchainStorage> Market<V, S> {
    /// The endpoint over `view`, computing with `engine`, keeping vouchers in `storage`.
    pub fn new(view: V, engine: starling_ml_engine::Engine, storage: S) -> Self {
        Self {
            view,
            engine,
            storage: Mutex::new(storage),
            writes: Mutex::new(()),
            users: Mutex::new(HashSet::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: MAX_IN_FLIGHT,
            store_wait: STORE_LOCK_WAIT,
        }
    }

    /// Takes a place among the requests in flight, or refuses.
    fn admit(&self) -> Result<Admission<'_>, ErrorObjectOwned> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let admission = Admission { in_flight: &self.in_flight, users: None };
        if before >= self.max_in_flight {
            return Err(error(
                BUSY,
                format!(
                    "this node is serving its maximum of {} predictions at once: retry shortly",
                    self.max_in_flight
                ),
            ));
        }
        Ok(admission)
    }

    /// Takes `user`'s slot (one request per user at a time), or refuses.
    fn take_user_slot<'a>(
        &'a self,
        admission: &mut Admission<'a>,
        user: &AccountId,
    ) -> Result<(), ErrorObjectOwned> {
        if !lock(&self.users).insert(user.clone()) {
            return Err(error(
                BUSY,
                "another request of this user is being served by this node: send the next one when it answers",
            ));
        }
        admission.users = Some((&self.users, user.clone()));
        Ok(())
    }

    /// Takes the store lock of (`line`, `host`), waiting up to `store_wait` for the worker.
    fn lock_store(
        &self,
        line: LineId,
        host: &AccountId,
    ) -> Result<StoreLock<'_, S>, ErrorObjectOwned> {
        let key = voucher_lock_key(line, host);
        let started = Instant::now();
        loop {
            if try_lock_store(&self.storage, &key, now_millis()) {
                return Ok(StoreLock { storage: &self.storage, key });
            }
            if started.elapsed() >= self.store_wait {
                return Err(error(
                    BUSY,
                    format!(
                        "the voucher store of line {line} is busy (the host's worker is tidying it): retry with the same voucher"
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The latest voucher kept for `user` (an entry that does not decode counts as none).
    fn kept(&self, line: LineId, host: &AccountId, user: &AccountId) -> Option<SignedVoucherOf> {
        Db(&self.storage)
            .get(&user_voucher_key(line, host, user))
            .and_then(|bytes| SignedVoucherOf::decode(&mut &bytes[..]).ok())
    }

    /// Free calls `user` used in `period`.
    fn free_used(&self, user: &AccountId, period: u32) -> u32 {
        Db(&self.storage)
            .get(&free_key(user))
            .and_then(|bytes| <(u32, u32)>::decode(&mut &bytes[..]).ok())
            .filter(|(at, _)| *at == period)
            .map_or(0, |(_, used)| used)
    }

    /// Keeps `signed` as its user's latest voucher: lists the user in the index first if it
    /// has no entry (a crash in between leaves a listing without entry, which the worker
    /// drops), then writes the entry.
    fn keep(&self, signed: &SignedVoucherOf) -> Result<(), ErrorObjectOwned> {
        let Voucher { user, host, line, calls, .. } = &signed.voucher;
        let _writes = lock(&self.writes);
        let _store = self.lock_store(*line, host)?;
        let mut db = Db(&self.storage);
        let key = user_voucher_key(*line, host, user);
        let current = db.get(&key).and_then(|bytes| SignedVoucherOf::decode(&mut &bytes[..]).ok());
        if let Some(current) = &current {
            // Only this request writes this user's entry now; the worker only removes it.
            if current.voucher.calls >= *calls {
                return Err(voucher_error(VoucherError::AlreadyClaimed, current.voucher.calls));
            }
        } else if !append_to_index(&mut db, *line, host, vec![user.clone()]) {
            return Err(error(BUSY, format!("the voucher index of line {line} is full")));
        }
        db.set(&key, &signed.encode());
        Ok(())
    }

    /// Serves one request.
    pub fn predict(&self, request: PredictJson) -> Result<PredictionJson, ErrorObjectOwned> {
        let line = request.line;
        let user = parse_account("user", &request.voucher.user)?;
        let host = parse_account("host", &request.voucher.host)?;
        let price = parse_price(&request.voucher.price)?;
        let signature = parse_signature(&request.voucher.signature)?;
        let signed = SignedVoucher {
            voucher: Voucher {
                user: user.clone(),
                host: host.clone(),
                line,
                calls: request.voucher.calls,
                price,
            },
            signature,
        };

        let mut admission = self.admit()?;
        // The signature before anything else: it needs no chain access, and it makes the
        // request the user's before it takes the user's slot.
        let message = voucher_message(&self.view.genesis_hash(), &signed.voucher);
        if !signed.signature.verify(&message[..], &user) {
            return Err(voucher_error(VoucherError::BadSignature, 0));
        }
        self.take_user_slot(&mut admission, &user)?;

        let operators = self.view.operators();
        if !operators.contains(&host) {
            return Err(voucher_error(VoucherError::ForAnotherHost, 0));
        }
        let serving = self.view.serving(line, &host).ok_or_else(|| {
            error(NOT_HOSTED, format!("model line {line} is not hosted by this node"))
        })?;
        let params = serving.params.clone().ok_or_else(|| {
            error(
                NOT_HOSTED,
                format!(
                    "version {} of line {line} is published by URI: not servable",
                    serving.version
                ),
            )
        })?;
        let rows = Self::rows(&request.rows, serving.schema.features)?;
        if price != serving.price {
            return Err(voucher_error(VoucherError::PriceMismatch, 0));
        }

        // Paid or free. The user's slot keeps every other request of this user away from its
        // entries until this one answers; the worker may only remove an entry claimed in full,
        // which `Claimed` then accounts for.
        let kept = self.kept(line, &host, &user).map_or(0, |v| v.voucher.calls);
        let known = kept.max(self.view.claimed(&user, &host, line));
        let (free_calls, period) = self.view.free_tier(&user);
        let used = if free_calls == 0 { 0 } else { self.free_used(&user, period) };
        let usage = decide(signed.voucher.calls, known, free_calls, used)?;
        if usage == Use::Paid {
            // The chain checks host, price, claims so far and escrow.
            self.view.check_voucher(&host, &signed).map_err(|kind| voucher_error(kind, known))?;
        }

        let predictions = self.compute(&serving, params, rows)?;

        // Record the call; if this fails the answer is withheld (nothing was served).
        let free_calls_left = match usage {
            Use::Paid => {
                self.keep(&signed)?;
                free_calls.saturating_sub(used)
            },
            Use::Free { used } => {
                let now_used = used.saturating_add(1);
                Db(&self.storage).set(&free_key(&user), &(period, now_used).encode());
                free_calls.saturating_sub(now_used)
            },
        };
        drop(admission);
        let paid = usage == Use::Paid;
        log::debug!(
            target: "starling::marketplace",
            "served line {line} v{} to {user}: {} rows, {}",
            serving.version,
            predictions.len(),
            if paid { "paid" } else { "free" }
        );
        Ok(PredictionJson {
            line,
            version: serving.version,
            predictions,
            paid,
            calls: if paid { signed.voucher.calls } else { known },
            free_calls_left,
        })
    }

    fn rows(rows: &[Vec<f64>], features: u32) -> Result<Vec<i64>, ErrorObjectOwned> {
        if rows.is_empty() || rows.len() > MAX_ROWS_PER_CALL {
            return Err(error(
                INVALID_REQUEST,
                format!("a call predicts 1 to {MAX_ROWS_PER_CALL} rows, got {}", rows.len()),
            ));
        }
        let mut values = Vec::with_capacity(rows.len().saturating_mul(features as usize));
        for (i, row) in rows.iter().enumerate() {
            if row.len() != features as usize {
                return Err(error(
                    INVALID_REQUEST,
                    format!("row {i} has {} features; the model takes {features}", row.len()),
                ));
            }
            for v in row {
                if !v.is_finite() {
                    return Err(error(
                        INVALID_REQUEST,
                        format!("row {i} has a value that is not finite"),
                    ));
                }
                let scaled = (v * PARAM_SCALE as f64).round();
                if scaled.abs() >= i64::MAX as f64 {
                    return Err(error(
                        INVALID_REQUEST,
                        format!("row {i} has a value out of range"),
                    ));
                }
                values.push(scaled as i64);
            }
        }
        if values.len() > MAX_PREDICT_VALUES as usize {
            return Err(error(INVALID_REQUEST, "too many values in one call"));
        }
        Ok(values)
    }

    fn compute(
        &self,
        serving: &Serving<Balance>,
        params: starling_ml_interface::Params,
        rows: Vec<i64>,
    ) -> Result<Vec<f64>, ErrorObjectOwned> {
        let request = PredictRequest {
            family: serving.family,
            schema: serving.schema,
            params,
            rows: sp_core::bounded::BoundedVec::truncate_from(rows),
        };
        let result = self
            .engine
            .predict(request)
            .map_err(|e| error(ENGINE_ERROR, format!("the engine failed: {e:?}")))?;
        let regression = serving.schema.label == LabelKind::Continuous;
        Ok(result
            .predictions
            .iter()
            .map(|p| if regression { *p as f64 / SCORE_SCALE as f64 } else { *p as f64 })
            .collect())
    }
}

/// The `marketplace_predict` method over `market`. With `limits`, each call first spends a
/// token of its client's budget: the client's address comes from the market endpoint
/// ([`ClientAddr`](crate::market_endpoint::ClientAddr)), and a call without one is refused.
pub fn rpc_module<V, S>(
    market: Arc<Market<V, S>>,
    limits: Option<Arc<crate::market_endpoint::ClientLimits>>,
) -> jsonrpsee::RpcModule<Arc<Market<V, S>>>
where
    V: ChainView + 'static,
    S: OffchainStorage + 'static,
{
    use crate::market_endpoint::{refusal_error, ClientAddr};
    let mut module = jsonrpsee::RpcModule::new(market);
    let registered =
        module.register_blocking_method("marketplace_predict", move |params, market, ext| {
            if let Some(limits) = &limits {
                let Some(ClientAddr(client)) = ext.get::<ClientAddr>() else {
                    return Err(error(INVALID_REQUEST, "the client's address is unknown"));
                };
                limits.admit(*client, Instant::now()).map_err(refusal_error)?;
            }
            let request: PredictJson = params.one().map_err(|e| {
                error(INVALID_REQUEST, format!("request must be {{line, rows, voucher}}: {e}"))
            })?;
            market.predict(request)
        });
    if let Err(e) = registered {
        log::error!("cannot register marketplace_predict: {e}");
    }
    module
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    //! The endpoint's own logic over a chain view answering from fixed state: what it serves,
    //! what it keeps, how it counts free calls, how it bounds concurrency, and how the
    //! worker's pruning (the pallet's `scan` and `tidy` over the same database) meets it. The
    //! end-to-end test drives the same endpoint on a real node against real chain state,
    //! across a restart.
    use super::*;
    use pallet_starling_marketplace::offchain::{
        scan, tidy, voucher_index_key, voucher_page_key, Fate, VoucherIndex,
    };
    use sp_core::{offchain::storage::InMemOffchainStorage, sr25519, Pair};
    use starling_ml_interface::{ModelFamily, Params, Schema};
    use std::{
        collections::HashMap,
        sync::{atomic::AtomicBool, Barrier},
    };

    const PRICE: Balance = 10;
    const GENESIS: H256 = H256::repeat_byte(7);

    fn ss58(account: &AccountId) -> String {
        account.to_ss58check()
    }

    /// Lets a test stop the first request that asks for the free tier until it says so.
    struct Hold {
        armed: AtomicBool,
        entered: Barrier,
        release: Barrier,
    }

    struct FixedChain {
        host: AccountId,
        escrow: Balance,
        claimed: Mutex<HashMap<AccountId, u64>>,
        free_calls: u32,
        hold: Option<Hold>,
    }

    impl ChainView for FixedChain {
        fn genesis_hash(&self) -> H256 {
            GENESIS
        }
        fn operators(&self) -> Vec<AccountId> {
            vec![self.host.clone()]
        }
        fn serving(&self, line: LineId, host: &AccountId) -> Option<Serving<Balance>> {
            // Line 0: y = 2·x1 − x2 + 0.5. Line 1: parameters the engine refuses.
            let params = match line {
                0 => vec![2_000_000, -1_000_000, 500_000],
                1 => vec![1_000_000],
                _ => return None,
            };
            (*host == self.host).then(|| Serving {
                version: 1,
                family: ModelFamily::LinearOls,
                schema: Schema { features: 2, label: LabelKind::Continuous },
                params: Some(Params::truncate_from(params)),
                price: PRICE,
            })
        }
        fn check_voucher(
            &self,
            host: &AccountId,
            voucher: &SignedVoucherOf,
        ) -> Result<u64, VoucherError> {
            if voucher.voucher.host != *host {
                return Err(VoucherError::ForAnotherHost);
            }
            let claimed = self.claimed(&voucher.voucher.user, host, voucher.voucher.line);
            let new = voucher.voucher.calls.checked_sub(claimed).filter(|n| *n > 0);
            let new = new.ok_or(VoucherError::AlreadyClaimed)?;
            if Balance::from(new) * voucher.voucher.price > self.escrow {
                return Err(VoucherError::BeyondEscrow);
            }
            Ok(new)
        }
        fn free_tier(&self, _: &AccountId) -> (u32, u32) {
            if let Some(hold) = &self.hold {
                if hold.armed.swap(false, Ordering::SeqCst) {
                    hold.entered.wait();
                    hold.release.wait();
                }
            }
            (self.free_calls, 7)
        }
        fn claimed(&self, user: &AccountId, _: &AccountId, _: LineId) -> u64 {
            self.claimed.lock().unwrap().get(user).copied().unwrap_or(0)
        }
    }

    fn user_pair() -> sr25519::Pair {
        sr25519::Pair::from_seed(&[42; 32])
    }

    fn pair(n: u8) -> sr25519::Pair {
        sr25519::Pair::from_seed(&[n; 32])
    }

    fn account(pair: &sr25519::Pair) -> AccountId {
        AccountId::from(pair.public().0)
    }

    fn host() -> AccountId {
        AccountId::from([9; 32])
    }

    fn chain(free_calls: u32) -> FixedChain {
        FixedChain {
            host: host(),
            escrow: 50,
            claimed: Mutex::new(HashMap::new()),
            free_calls,
            hold: None,
        }
    }

    fn market_on(
        chain: FixedChain,
        storage: InMemOffchainStorage,
    ) -> Market<FixedChain, InMemOffchainStorage> {
        Market::new(chain, starling_ml_engine::Engine::new(None).unwrap(), storage)
    }

    fn market(
        free_calls: u32,
        storage: InMemOffchainStorage,
    ) -> Market<FixedChain, InMemOffchainStorage> {
        market_on(chain(free_calls), storage)
    }

    fn request_on(
        line: LineId,
        calls: u64,
        pair: &sr25519::Pair,
        rows: Vec<Vec<f64>>,
    ) -> PredictJson {
        let user = account(pair);
        let voucher = Voucher { user: user.clone(), host: host(), line, calls, price: PRICE };
        let signature = pair.sign(&voucher_message(&GENESIS, &voucher));
        PredictJson {
            line,
            rows,
            voucher: VoucherJson {
                user: ss58(&user),
                host: ss58(&host()),
                calls,
                price: serde_json::json!(PRICE.to_string()),
                signature: sp_core::bytes::to_hex(&signature.0, false),
            },
        }
    }

    fn request(calls: u64, pair: &sr25519::Pair, rows: Vec<Vec<f64>>) -> PredictJson {
        request_on(0, calls, pair, rows)
    }

    fn row() -> Vec<Vec<f64>> {
        vec![vec![1.0, 1.0]]
    }

    fn entry(
        market: &Market<FixedChain, InMemOffchainStorage>,
        user: &AccountId,
    ) -> Option<SignedVoucherOf> {
        market.kept(0, &host(), user)
    }

    fn listed(market: &Market<FixedChain, InMemOffchainStorage>) -> Vec<AccountId> {
        let db = Db(&market.storage);
        let Some(bytes) = db.get(&voucher_index_key(0, &host())) else { return vec![] };
        let index = VoucherIndex::decode(&mut &bytes[..]).unwrap();
        (index.first..index.end)
            .filter_map(|page| db.get(&voucher_page_key(0, &host(), page)))
            .flat_map(|bytes| Vec::<AccountId>::decode(&mut &bytes[..]).unwrap())
            .collect()
    }

    /// One claim turn of the host's worker over the node's database: `Claimed` from the
    /// chain view, every unclaimed voucher payable.
    fn worker_turn(market: &Market<FixedChain, InMemOffchainStorage>) -> Vec<SignedVoucherOf> {
        let host = host();
        let found = scan::<AccountId, SignedVoucherOf, _, _, _>(
            &Db(&market.storage),
            0,
            &host,
            64,
            128,
            |user, kept| kept.voucher.user == *user,
            |user, kept, may_check| {
                if kept.voucher.calls <= market.view.claimed(user, &host, 0) {
                    Fate::Settled
                } else if may_check {
                    Fate::Payable
                } else {
                    Fate::Unchecked
                }
            },
        );
        let _store = market.lock_store(0, &host).unwrap();
        tidy(&mut Db(&market.storage), 0, &host, &found);
        found.payable
    }

    #[test]
    fn a_paid_call_is_served_and_its_voucher_kept_and_listed() {
        let market = market(0, InMemOffchainStorage::default());
        let answer =
            market.predict(request(1, &user_pair(), vec![vec![1.0, 2.0], vec![3.0, 0.5]])).unwrap();
        assert_eq!(answer.predictions, vec![0.5, 6.0]);
        assert!(answer.paid);
        assert_eq!((answer.version, answer.calls), (1, 1));
        let user = account(&user_pair());
        assert_eq!(entry(&market, &user).unwrap().voucher.calls, 1);
        assert_eq!(listed(&market), vec![user.clone()]);

        // the next paid call replaces it, and the user stays listed once
        market.predict(request(2, &user_pair(), row())).unwrap();
        assert_eq!(entry(&market, &user).unwrap().voucher.calls, 2);
        assert_eq!(listed(&market), vec![user]);
        // the store lock is released
        assert!(Db(&market.storage).get(&voucher_lock_key(0, &host())).is_none());
    }

    #[test]
    fn an_old_voucher_is_refused_and_a_repeated_one_is_a_free_call() {
        let market = market(1, InMemOffchainStorage::default());
        market.predict(request(3, &user_pair(), row())).unwrap();
        let stale = market.predict(request(2, &user_pair(), row())).unwrap_err();
        assert_eq!(stale.code(), BAD_VOUCHER);
        assert!(stale.message().contains("sign calls = 4"), "{}", stale.message());
        let free = market.predict(request(3, &user_pair(), row())).unwrap();
        assert!(!free.paid);
        assert_eq!((free.calls, free.free_calls_left), (3, 0));
        let used = market.predict(request(3, &user_pair(), row())).unwrap_err();
        assert_eq!(used.code(), FREE_TIER_USED);
        assert!(used.message().contains("calls = 4"), "{}", used.message());
    }

    #[test]
    fn free_calls_are_counted_per_user_and_period() {
        let market = market(2, InMemOffchainStorage::default());
        let other = pair(43);
        for left in [1, 0] {
            let answer = market.predict(request(0, &user_pair(), row())).unwrap();
            assert_eq!((answer.paid, answer.free_calls_left), (false, left));
        }
        assert_eq!(
            market.predict(request(0, &user_pair(), row())).unwrap_err().code(),
            FREE_TIER_USED
        );
        assert!(market.predict(request(0, &other, row())).is_ok(), "another user's tier");
        // a new period starts from zero
        let user = account(&user_pair());
        Db(&market.storage).set(&free_key(&user), &(6u32, 2u32).encode());
        assert!(market.predict(request(0, &user_pair(), row())).is_ok());
        assert_eq!(market.free_used(&user, 7), 1);
    }

    #[test]
    fn no_free_call_without_stake_and_nothing_kept_for_the_key() {
        let market = market(0, InMemOffchainStorage::default());
        let refused = market.predict(request(0, &user_pair(), row())).unwrap_err();
        assert_eq!(refused.code(), NO_FREE_TIER);
        assert!(refused.message().contains("stake"), "{}", refused.message());
        assert!(refused.message().contains("calls = 1"), "{}", refused.message());
        assert!(Db(&market.storage).get(&free_key(&account(&user_pair()))).is_none());
        assert!(listed(&market).is_empty());
    }

    #[test]
    fn what_is_kept_outlives_the_endpoint() {
        let storage = InMemOffchainStorage::default();
        let first = market(1, storage);
        first.predict(request(2, &user_pair(), row())).unwrap();
        first.predict(request(2, &user_pair(), row())).unwrap();
        let kept = first.storage.lock().unwrap().clone();
        drop(first);
        let second = market(1, kept);
        let stale = second.predict(request(1, &user_pair(), row())).unwrap_err();
        assert_eq!(stale.code(), BAD_VOUCHER, "the latest voucher is remembered");
        let used = second.predict(request(2, &user_pair(), row())).unwrap_err();
        assert_eq!(used.code(), FREE_TIER_USED, "the free calls used are remembered");
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason_and_nothing_kept() {
        let market = market(5, InMemOffchainStorage::default());
        let pair = user_pair();
        let mut forged = request(1, &pair, row());
        forged.voucher.calls = 5;
        let refused = market.predict(forged).unwrap_err();
        assert_eq!(refused.code(), BAD_VOUCHER);
        assert!(refused.message().contains("signature"), "{}", refused.message());
        let mut elsewhere = request(1, &pair, row());
        elsewhere.voucher.host = ss58(&AccountId::from([8; 32]));
        assert_eq!(market.predict(elsewhere).unwrap_err().code(), BAD_VOUCHER);
        let mut cheap = request(1, &pair, row());
        cheap.voucher.price = serde_json::json!(9);
        assert_eq!(market.predict(cheap).unwrap_err().code(), BAD_VOUCHER);
        let escrow = market.predict(request(6, &pair, row())).unwrap_err();
        assert_eq!(escrow.code(), BAD_VOUCHER, "6 calls × 10 exceed the escrow of 50");
        assert!(escrow.message().contains("escrow"), "{}", escrow.message());
        let short = market.predict(request(1, &pair, vec![vec![1.0]])).unwrap_err();
        assert_eq!(short.code(), INVALID_REQUEST);
        assert!(short.message().contains("takes 2"), "{}", short.message());
        assert_eq!(market.predict(request(1, &pair, vec![])).unwrap_err().code(), INVALID_REQUEST);
        assert_eq!(
            market.predict(request(1, &pair, vec![vec![f64::NAN, 1.0]])).unwrap_err().code(),
            INVALID_REQUEST
        );
        let unknown = market.predict(request_on(4, 1, &pair, row())).unwrap_err();
        assert_eq!(unknown.code(), NOT_HOSTED);
        // a voucher signed for another chain
        let user = account(&pair);
        let voucher = Voucher { user: user.clone(), host: host(), line: 0, calls: 1, price: PRICE };
        let mut other_chain = request(1, &pair, row());
        other_chain.voucher.signature = sp_core::bytes::to_hex(
            &pair.sign(&voucher_message(&H256::repeat_byte(8), &voucher)).0,
            false,
        );
        assert_eq!(market.predict(other_chain).unwrap_err().code(), BAD_VOUCHER);
        assert!(entry(&market, &user).is_none());
        assert!(listed(&market).is_empty());
        // every refusal freed its places
        assert_eq!(market.in_flight.load(Ordering::SeqCst), 0);
        assert!(market.users.lock().unwrap().is_empty());
    }

    #[test]
    fn a_failed_inference_keeps_nothing_and_frees_the_user() {
        let market = market(1, InMemOffchainStorage::default());
        let pair = user_pair();
        let failed = market.predict(request_on(1, 1, &pair, row())).unwrap_err();
        assert_eq!(failed.code(), ENGINE_ERROR);
        let free = market.predict(request_on(1, 0, &pair, row())).unwrap_err();
        assert_eq!(free.code(), ENGINE_ERROR);
        assert!(market.kept(1, &host(), &account(&pair)).is_none(), "the voucher is not kept");
        assert_eq!(market.free_used(&account(&pair), 7), 0, "the free call is not counted");
        // the same voucher still pays on a line that works
        assert!(market.predict(request(1, &pair, row())).unwrap().paid);
    }

    #[test]
    fn a_second_request_of_a_user_in_flight_is_refused_and_others_are_served() {
        let mut chain = chain(1);
        chain.hold = Some(Hold {
            armed: AtomicBool::new(true),
            entered: Barrier::new(2),
            release: Barrier::new(2),
        });
        let market = market_on(chain, InMemOffchainStorage::default());
        let hold = market.view.hold.as_ref().unwrap();
        std::thread::scope(|s| {
            let first = s.spawn(|| market.predict(request(0, &user_pair(), row())));
            hold.entered.wait();
            // the first request (a free call) is past its checks: the same user again …
            for calls in [0, 1] {
                let busy = market.predict(request(calls, &user_pair(), row())).unwrap_err();
                assert_eq!(busy.code(), BUSY);
                assert!(busy.message().contains("this user"), "{}", busy.message());
            }
            // … while another user is served
            assert!(market.predict(request(1, &pair(43), row())).unwrap().paid);
            hold.release.wait();
            let answer = first.join().unwrap().unwrap();
            assert_eq!((answer.paid, answer.free_calls_left), (false, 0));
        });
        // exactly one free call was used
        assert_eq!(market.free_used(&account(&user_pair()), 7), 1);
        assert_eq!(
            market.predict(request(0, &user_pair(), row())).unwrap_err().code(),
            FREE_TIER_USED
        );
    }

    #[test]
    fn requests_beyond_the_bound_are_refused() {
        let mut chain = chain(1);
        chain.hold = Some(Hold {
            armed: AtomicBool::new(true),
            entered: Barrier::new(2),
            release: Barrier::new(2),
        });
        let mut market = market_on(chain, InMemOffchainStorage::default());
        market.max_in_flight = 1;
        let market = &market;
        let hold = market.view.hold.as_ref().unwrap();
        std::thread::scope(|s| {
            let first = s.spawn(|| market.predict(request(0, &user_pair(), row())));
            hold.entered.wait();
            let busy = market.predict(request(1, &pair(43), row())).unwrap_err();
            assert_eq!(busy.code(), BUSY);
            assert!(busy.message().contains("maximum of 1"), "{}", busy.message());
            hold.release.wait();
            first.join().unwrap().unwrap();
        });
        assert!(market.predict(request(1, &pair(43), row())).is_ok(), "the place is free again");
    }

    #[test]
    fn a_paid_call_waits_for_the_store_lock_and_gives_up_without_keeping() {
        let mut market = market(0, InMemOffchainStorage::default());
        market.store_wait = Duration::from_millis(30);
        let lock_key = voucher_lock_key(0, &host());
        // the worker holds the lock
        Db(&market.storage).set(&lock_key, &(now_millis() + 60_000).encode());
        let busy = market.predict(request(1, &user_pair(), row())).unwrap_err();
        assert_eq!(busy.code(), BUSY);
        assert!(busy.message().contains("busy"), "{}", busy.message());
        assert!(entry(&market, &account(&user_pair())).is_none());
        // a lock whose holder died expires
        Db(&market.storage).set(&lock_key, &(now_millis() - 1).encode());
        assert!(market.predict(request(1, &user_pair(), row())).unwrap().paid);
        assert!(Db(&market.storage).get(&lock_key).is_none(), "released");
    }

    #[test]
    fn the_store_lock_is_exclusive_until_released_or_expired() {
        let storage = Mutex::new(InMemOffchainStorage::default());
        assert!(try_lock_store(&storage, b"lock", 1_000));
        assert!(!try_lock_store(&storage, b"lock", 1_000 + VOUCHER_LOCK_MS));
        assert!(try_lock_store(&storage, b"lock", 1_001 + VOUCHER_LOCK_MS), "expired");
        lock(&storage).remove(STORAGE_PREFIX, b"lock");
        assert!(try_lock_store(&storage, b"lock", 5_000));
    }

    #[test]
    fn the_worker_prunes_claimed_vouchers_and_the_node_then_counts_from_the_claim() {
        let market = market(1, InMemOffchainStorage::default());
        let (a, b) = (user_pair(), pair(43));
        market.predict(request(3, &a, row())).unwrap();
        market.predict(request(2, &b, row())).unwrap();
        assert_eq!(listed(&market), vec![account(&a), account(&b)]);

        // the worker's first turn: both payable, nothing to prune
        assert_eq!(worker_turn(&market).len(), 2);
        assert_eq!(listed(&market).len(), 2);

        // a's claim lands: the next turn removes a's entry and listing
        market.view.claimed.lock().unwrap().insert(account(&a), 3);
        let payable = worker_turn(&market);
        assert_eq!(payable.len(), 1);
        assert_eq!(payable[0].voucher.user, account(&b));
        assert!(entry(&market, &account(&a)).is_none());
        assert_eq!(listed(&market), vec![account(&b)]);

        // a repeats its claimed voucher: a free call; an older one is stale; a newer one pays
        // and lists a again
        assert!(!market.predict(request(3, &a, row())).unwrap().paid);
        let stale = market.predict(request(2, &a, row())).unwrap_err();
        assert!(stale.message().contains("calls = 3"), "{}", stale.message());
        assert!(market.predict(request(4, &a, row())).unwrap().paid);
        assert_eq!(listed(&market), vec![account(&b), account(&a)]);

        // every claim lands: the store of the line is empty
        market.view.claimed.lock().unwrap().insert(account(&a), 4);
        market.view.claimed.lock().unwrap().insert(account(&b), 2);
        assert!(worker_turn(&market).is_empty());
        assert!(listed(&market).is_empty());
        let db = Db(&market.storage);
        assert!(db.get(&voucher_index_key(0, &host())).is_none());
        assert!(db.get(&voucher_page_key(0, &host(), 0)).is_none());
        assert!(db.get(&voucher_page_key(0, &host(), 1)).is_none());
        assert!(entry(&market, &account(&b)).is_none());
    }

    #[test]
    fn a_voucher_written_after_the_scan_is_not_pruned() {
        let market = market(0, InMemOffchainStorage::default());
        let a = user_pair();
        market.predict(request(1, &a, row())).unwrap();
        market.view.claimed.lock().unwrap().insert(account(&a), 1);
        let host = host();
        let found = scan::<AccountId, SignedVoucherOf, _, _, _>(
            &Db(&market.storage),
            0,
            &host,
            64,
            128,
            |user, kept| kept.voucher.user == *user,
            |user, kept, _| {
                if kept.voucher.calls <= market.view.claimed(user, &host, 0) {
                    Fate::Settled
                } else {
                    Fate::Payable
                }
            },
        );
        // between the worker's scan and its tidy pass, the node serves a's next paid call
        market.predict(request(2, &a, row())).unwrap();
        let _store = market.lock_store(0, &host).unwrap();
        tidy(&mut Db(&market.storage), 0, &host, &found);
        assert_eq!(entry(&market, &account(&a)).unwrap().voucher.calls, 2, "kept");
        assert_eq!(listed(&market), vec![account(&a)], "still listed");
    }
}
