//! The host's serving endpoint: the `marketplace_predict` JSON-RPC method.
//!
//! A dApp sends the rows to predict and a usage voucher signed by the user's key. The node
//! finds the operator it hosts for (through its worker keys), checks the request against chain
//! state at the best block (the line is hosted here, the voucher's signature, host, price, and
//! that the user's escrow covers the calls not yet claimed), computes the predictions with the
//! ML engine, and keeps the latest voucher of each user in its off-chain database (on disk:
//! it survives a restart), where the host's off-chain worker finds it to claim payment.
//!
//! **Paid and free calls.** Every request carries a voucher, so that every request is the
//! user's. A voucher with more calls than the latest one kept (or claimed) pays for the call.
//! A voucher repeating the latest count asks for a free call: the node serves it while the
//! user has free calls left in the current free-tier period (a number that grows with the
//! user's stake, set by governance) and counts it. An older voucher is refused.
//!
//! Request (JSON): `{ "line": 0, "rows": [[f64; features], …], "voucher": { "user": ss58,
//! "host": ss58, "calls": u64, "price": "u128 as a decimal string", "signature": "0x…" } }`,
//! the signature over `SCALE(("starling/voucher/v1", (user, host, line, calls, price)))`
//! (sr25519: 64 bytes, or a SCALE `MultiSignature`). Answer: `{ "line", "version",
//! "predictions": [f64], "paid": bool, "calls": u64, "freeCallsLeft": u32 }`.

// Requests and answers carry real numbers as JSON floats; this is where they turn into the
// engine's fixed point and back (never in the runtime).
#![allow(clippy::float_arithmetic)]

use codec::{Decode, Encode};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use pallet_starling_marketplace::{
    offchain::voucher_key, runtime_api::MarketplaceApi, voucher_message, LineId, Serving,
    SignedVoucher, Voucher, VoucherError,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
    crypto::Ss58Codec,
    offchain::{OffchainStorage, STORAGE_PREFIX},
};
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Verify;
use starling_ml_interface::{
    LabelKind, MlBackend, PredictRequest, MAX_PREDICT_VALUES, PARAM_SCALE, SCORE_SCALE,
};
use starling_runtime::{opaque::Block, AccountId, Balance, Signature};
use std::sync::{Arc, Mutex};

/// Most rows one call predicts.
pub const MAX_ROWS_PER_CALL: usize = 64;

/// Invalid request (shape, feature count, row count).
pub const INVALID_REQUEST: i32 = -32602;
/// The model line is not hosted by this node (or not servable).
pub const NOT_HOSTED: i32 = -32010;
/// The voucher pays nothing: bad signature, another host, wrong price, stale, beyond escrow.
pub const BAD_VOUCHER: i32 = -32011;
/// The user's free calls of this period are used up.
pub const FREE_TIER_USED: i32 = -32012;
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
}

/// [`ChainView`] over the client's runtime API and the node's keystore.
pub struct ClientView<C> {
    client: Arc<C>,
    keystore: KeystorePtr,
}

impl<C> ClientView<C> {
    /// A view on `client`, with `keystore` holding the worker keys.
    pub fn new(client: Arc<C>, keystore: KeystorePtr) -> Self {
        Self { client, keystore }
    }
}

impl<C> ChainView for ClientView<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync,
    C::Api: MarketplaceApi<Block, AccountId, Balance, Signature>,
{
    fn operators(&self) -> Vec<AccountId> {
        let best = self.client.info().best_hash;
        let api = self.client.runtime_api();
        self.keystore
            .sr25519_public_keys(starling_runtime::worker::KEY_TYPE)
            .into_iter()
            .filter_map(|key| api.operator_of_worker(best, AccountId::from(key)).ok().flatten())
            .collect()
    }

    fn serving(&self, line: LineId, host: &AccountId) -> Option<Serving<Balance>> {
        let best = self.client.info().best_hash;
        self.client.runtime_api().serving(best, line, host.clone()).ok().flatten()
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
        self.client.runtime_api().free_tier(best, user.clone()).unwrap_or((0, 0))
    }
}

/// The serving endpoint's state: chain view, engine, off-chain database.
pub struct Market<V, S> {
    view: V,
    engine: starling_ml_engine::Engine,
    storage: Mutex<S>,
}

type SignedVoucherOf = SignedVoucher<AccountId, Balance, Signature>;

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message.into(), None::<()>)
}

fn free_key(user: &AccountId, period: u32) -> Vec<u8> {
    (b"starling::marketplace::free", user, period).encode()
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
        VoucherError::BadSignature => "voucher signature is not the user's".to_string(),
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
    };
    error(BAD_VOUCHER, message)
}

impl<V: ChainView, S: OffchainStorage> Market<V, S> {
    /// The endpoint over `view`, computing with `engine`, keeping vouchers in `storage`.
    pub fn new(view: V, engine: starling_ml_engine::Engine, storage: S) -> Self {
        Self { view, engine, storage: Mutex::new(storage) }
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
        if !signed.signature.verify(&voucher_message(&signed.voucher)[..], &user) {
            return Err(voucher_error(VoucherError::BadSignature, 0));
        }
        if price != serving.price {
            return Err(voucher_error(VoucherError::PriceMismatch, 0));
        }

        // Decide paid or free, and record it, under the storage lock so that concurrent
        // requests of one user cannot both use the last free call or the same voucher.
        let mut storage =
            self.storage.lock().map_err(|_| error(ENGINE_ERROR, "voucher store poisoned"))?;
        let key = voucher_key(line, &host);
        let mut kept: Vec<SignedVoucherOf> = storage
            .get(STORAGE_PREFIX, &key)
            .and_then(|bytes| Vec::<SignedVoucherOf>::decode(&mut &bytes[..]).ok())
            .unwrap_or_default();
        let latest = kept.iter().find(|v| v.voucher.user == user).map(|v| v.voucher.calls);
        let known = latest.unwrap_or(0);
        let (free_calls, period) = self.view.free_tier(&user);
        let used: u32 = storage
            .get(STORAGE_PREFIX, &free_key(&user, period))
            .and_then(|b| u32::decode(&mut &b[..]).ok())
            .unwrap_or(0);
        let paid = if signed.voucher.calls > known {
            // Paid: the chain checks host, price, claims so far and escrow.
            if let Err(kind) = self.view.check_voucher(&host, &signed) {
                return Err(voucher_error(kind, known));
            }
            true
        } else if signed.voucher.calls == known {
            if used >= free_calls {
                return Err(error(
                    FREE_TIER_USED,
                    format!(
                        "free calls used up for this period ({used} of {free_calls}): sign a voucher with calls = {}",
                        known.saturating_add(1)
                    ),
                ));
            }
            false
        } else {
            return Err(voucher_error(VoucherError::AlreadyClaimed, known));
        };

        let predictions = self.compute(&serving, params, rows)?;
        let free_calls_left = if paid {
            kept.retain(|v| v.voucher.user != user);
            kept.push(signed.clone());
            storage.set(STORAGE_PREFIX, &key, &kept.encode());
            free_calls.saturating_sub(used)
        } else {
            let now_used = used.saturating_add(1);
            storage.set(STORAGE_PREFIX, &free_key(&user, period), &now_used.encode());
            free_calls.saturating_sub(now_used)
        };
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

/// The `marketplace_predict` method over `market`.
pub fn rpc_module<V, S>(market: Arc<Market<V, S>>) -> jsonrpsee::RpcModule<Arc<Market<V, S>>>
where
    V: ChainView + 'static,
    S: OffchainStorage + 'static,
{
    let mut module = jsonrpsee::RpcModule::new(market);
    let registered = module.register_blocking_method("marketplace_predict", |params, market, _| {
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
    //! what it keeps, how it counts free calls. The end-to-end test drives the same endpoint
    //! on a real node against real chain state, across a restart.
    use super::*;
    use sp_core::{offchain::storage::InMemOffchainStorage, sr25519, Pair};
    use starling_ml_interface::{ModelFamily, Params, Schema};

    const PRICE: Balance = 10;

    fn ss58(account: &AccountId) -> String {
        account.to_ss58check()
    }

    struct FixedChain {
        host: AccountId,
        escrow: Balance,
        claimed: u64,
        free_calls: u32,
    }

    impl ChainView for FixedChain {
        fn operators(&self) -> Vec<AccountId> {
            vec![self.host.clone()]
        }
        fn serving(&self, line: LineId, host: &AccountId) -> Option<Serving<Balance>> {
            (line == 0 && *host == self.host).then(|| Serving {
                version: 1,
                family: ModelFamily::LinearOls,
                schema: Schema { features: 2, label: LabelKind::Continuous },
                // y = 2·x1 − x2 + 0.5
                params: Some(Params::truncate_from(vec![2_000_000, -1_000_000, 500_000])),
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
            let new = voucher.voucher.calls.checked_sub(self.claimed).filter(|n| *n > 0);
            let new = new.ok_or(VoucherError::AlreadyClaimed)?;
            if Balance::from(new) * voucher.voucher.price > self.escrow {
                return Err(VoucherError::BeyondEscrow);
            }
            Ok(new)
        }
        fn free_tier(&self, _: &AccountId) -> (u32, u32) {
            (self.free_calls, 7)
        }
    }

    fn user_pair() -> sr25519::Pair {
        sr25519::Pair::from_seed(&[42; 32])
    }

    fn host() -> AccountId {
        AccountId::from([9; 32])
    }

    fn market(
        free_calls: u32,
        storage: InMemOffchainStorage,
    ) -> Market<FixedChain, InMemOffchainStorage> {
        let chain = FixedChain { host: host(), escrow: 50, claimed: 0, free_calls };
        Market::new(chain, starling_ml_engine::Engine::new(None).unwrap(), storage)
    }

    fn request(calls: u64, pair: &sr25519::Pair, rows: Vec<Vec<f64>>) -> PredictJson {
        let user = AccountId::from(pair.public().0);
        let voucher = Voucher { user: user.clone(), host: host(), line: 0, calls, price: PRICE };
        let signature = pair.sign(&voucher_message(&voucher));
        PredictJson {
            line: 0,
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

    #[test]
    fn a_paid_call_is_served_and_its_voucher_kept() {
        let market = market(0, InMemOffchainStorage::default());
        let answer =
            market.predict(request(1, &user_pair(), vec![vec![1.0, 2.0], vec![3.0, 0.5]])).unwrap();
        assert_eq!(answer.predictions, vec![0.5, 6.0]);
        assert!(answer.paid);
        assert_eq!((answer.version, answer.calls), (1, 1));
        let kept =
            market.storage.lock().unwrap().get(STORAGE_PREFIX, &voucher_key(0, &host())).unwrap();
        let kept = Vec::<SignedVoucherOf>::decode(&mut &kept[..]).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].voucher.calls, 1);

        // the next paid call replaces it
        market.predict(request(2, &user_pair(), vec![vec![0.0, 0.0]])).unwrap();
        let kept =
            market.storage.lock().unwrap().get(STORAGE_PREFIX, &voucher_key(0, &host())).unwrap();
        assert_eq!(Vec::<SignedVoucherOf>::decode(&mut &kept[..]).unwrap()[0].voucher.calls, 2);
    }

    #[test]
    fn an_old_voucher_is_refused_and_a_repeated_one_is_a_free_call() {
        let market = market(1, InMemOffchainStorage::default());
        market.predict(request(3, &user_pair(), vec![vec![1.0, 1.0]])).unwrap();
        let stale = market.predict(request(2, &user_pair(), vec![vec![1.0, 1.0]])).unwrap_err();
        assert_eq!(stale.code(), BAD_VOUCHER);
        assert!(stale.message().contains("sign calls = 4"), "{}", stale.message());
        let free = market.predict(request(3, &user_pair(), vec![vec![1.0, 1.0]])).unwrap();
        assert!(!free.paid);
        assert_eq!((free.calls, free.free_calls_left), (3, 0));
        let used = market.predict(request(3, &user_pair(), vec![vec![1.0, 1.0]])).unwrap_err();
        assert_eq!(used.code(), FREE_TIER_USED);
    }

    #[test]
    fn free_calls_are_counted_per_user_and_period() {
        let market = market(2, InMemOffchainStorage::default());
        let other = sr25519::Pair::from_seed(&[43; 32]);
        for left in [1, 0] {
            let answer = market.predict(request(0, &user_pair(), vec![vec![1.0, 1.0]])).unwrap();
            assert_eq!((answer.paid, answer.free_calls_left), (false, left));
        }
        assert_eq!(
            market.predict(request(0, &user_pair(), vec![vec![1.0, 1.0]])).unwrap_err().code(),
            FREE_TIER_USED
        );
        assert!(
            market.predict(request(0, &other, vec![vec![1.0, 1.0]])).is_ok(),
            "another user's tier"
        );
    }

    #[test]
    fn what_is_kept_outlives_the_endpoint() {
        let storage = InMemOffchainStorage::default();
        let first = market(1, storage.clone());
        first.predict(request(2, &user_pair(), vec![vec![1.0, 1.0]])).unwrap();
        first.predict(request(2, &user_pair(), vec![vec![1.0, 1.0]])).unwrap();
        let kept = first.storage.lock().unwrap().clone();
        drop(first);
        let second = market(1, kept);
        let stale = second.predict(request(1, &user_pair(), vec![vec![1.0, 1.0]])).unwrap_err();
        assert_eq!(stale.code(), BAD_VOUCHER, "the latest voucher is remembered");
        let used = second.predict(request(2, &user_pair(), vec![vec![1.0, 1.0]])).unwrap_err();
        assert_eq!(used.code(), FREE_TIER_USED, "the free calls used are remembered");
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason_and_nothing_kept() {
        let market = market(5, InMemOffchainStorage::default());
        let pair = user_pair();
        let mut forged = request(1, &pair, vec![vec![1.0, 1.0]]);
        forged.voucher.calls = 5;
        assert_eq!(market.predict(forged).unwrap_err().code(), BAD_VOUCHER);
        let mut elsewhere = request(1, &pair, vec![vec![1.0, 1.0]]);
        elsewhere.voucher.host = ss58(&AccountId::from([8; 32]));
        assert_eq!(market.predict(elsewhere).unwrap_err().code(), BAD_VOUCHER);
        let mut cheap = request(1, &pair, vec![vec![1.0, 1.0]]);
        cheap.voucher.price = serde_json::json!(9);
        assert_eq!(market.predict(cheap).unwrap_err().code(), BAD_VOUCHER);
        assert_eq!(
            market.predict(request(6, &pair, vec![vec![1.0, 1.0]])).unwrap_err().code(),
            BAD_VOUCHER,
            "6 calls × 10 exceed the escrow of 50"
        );
        let short = market.predict(request(1, &pair, vec![vec![1.0]])).unwrap_err();
        assert_eq!(short.code(), INVALID_REQUEST);
        assert!(short.message().contains("takes 2"), "{}", short.message());
        assert_eq!(market.predict(request(1, &pair, vec![])).unwrap_err().code(), INVALID_REQUEST);
        assert_eq!(
            market.predict(request(1, &pair, vec![vec![f64::NAN, 1.0]])).unwrap_err().code(),
            INVALID_REQUEST
        );
        let mut unknown = request(1, &pair, vec![vec![1.0, 1.0]]);
        unknown.line = 4;
        assert_eq!(market.predict(unknown).unwrap_err().code(), NOT_HOSTED);
        assert!(market
            .storage
            .lock()
            .unwrap()
            .get(STORAGE_PREFIX, &voucher_key(0, &host()))
            .is_none());
    }
}
