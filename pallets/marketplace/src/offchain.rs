//! The marketplace's off-chain worker. For every worker key in the node's keystore:
//!
//! * whose operator **hosts** lines: reads the latest vouchers the node's `marketplace_predict`
//!   RPC kept for each hosted line (persistent off-chain storage, [`voucher_key`]), keeps
//!   those that would pay now, and submits a [`crate::Pallet::claim`] (at most every
//!   [`CLAIM_EVERY`] blocks per line);
//! * whose operator is an active **validator**: once per quality period, scores every hosted
//!   version that has evaluation data with the ML engine and submits
//!   [`crate::Pallet::report_quality`].
//!
//! Every action is logged (target [`LOG_TARGET`]).

use crate::{
    pallet::*,
    types::*,
    worker::{self, CallKind, ClaimPayload, QualityPayload},
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::BoundedVec;
use frame_system::{
    offchain::{AppCrypto, SubmitTransaction},
    pallet_prelude::BlockNumberFor,
};
use pallet_starling_staking::{traits::StakingInterface, Role};
use sp_runtime::{
    offchain::storage::StorageValueRef,
    traits::{IdentifyAccount, SaturatedConversion},
    RuntimeAppPublic,
};
use starling_ml_interface::EvaluateRequest;

/// Log target of every line the worker writes.
pub const LOG_TARGET: &str = "starling::marketplace";

/// Blocks between two claims of one host for one line (and between two tries of a quality
/// report).
pub const CLAIM_EVERY: u32 = 5;

/// Persistent off-chain key under which a host node keeps the latest voucher of every user
/// of `line`: SCALE `Vec<SignedVoucher>`, one per user, written by the node's RPC.
pub fn voucher_key<AccountId: Encode>(line: LineId, host: &AccountId) -> Vec<u8> {
    (b"starling::marketplace::vouchers", line, host).encode()
}

fn marker_key(what: &[u8], line: LineId, extra: u32, worker: &impl Encode) -> Vec<u8> {
    (b"starling::marketplace::", what, line, extra, worker).encode()
}

/// Takes the right to act under `key` at block `now` unless it was taken in the last
/// [`CLAIM_EVERY`] blocks.
fn take_turn(key: &[u8], now: u32) -> bool {
    pallet_starling_staking::workers::calls::take_turn(key, now, CLAIM_EVERY)
}

fn submit<T: Config>(call: Call<T>) -> bool {
    let xt = T::create_authorized_transaction(call.into());
    SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_ok()
}

/// One run of the worker, at a new best block.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
    let hosted = HostedLines::<T>::get();
    if hosted.is_empty() {
        return;
    }
    let block: u32 = now.saturated_into();
    let keys = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all();
    for key in keys {
        let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
            key.into();
        let public: T::Public = generic.into();
        let account: T::AccountId = public.clone().into_account();
        let Some(operator) = T::Staking::operator_of_worker(&account) else { continue };
        for line in hosted.iter().copied() {
            if Hosts::<T>::contains_key(line, &operator) {
                claim::<T>(line, block, &public, &operator);
            }
            if T::Staking::is_active(&operator, Role::Validator) {
                report_quality::<T>(line, block, &public, &operator);
            }
        }
    }
}

/// The vouchers a host node kept for `line` that would pay now.
pub fn payable_vouchers<T: Config>(line: LineId, host: &T::AccountId) -> Vec<SignedVoucherOf<T>> {
    let stored = StorageValueRef::persistent(&voucher_key(line, host))
        .get::<Vec<SignedVoucherOf<T>>>()
        .ok()
        .flatten()
        .unwrap_or_default();
    stored.into_iter().filter(|v| Pallet::<T>::check_voucher(host, v, true).is_ok()).collect()
}

fn claim<T: Config>(line: LineId, block: u32, public: &T::Public, host: &T::AccountId) {
    let mut payable = payable_vouchers::<T>(line, host);
    if payable.is_empty() || !take_turn(&marker_key(b"claim", line, 0, public), block) {
        return;
    }
    payable.truncate(MAX_VOUCHERS_PER_CLAIM as usize);
    let count = payable.len();
    let payload =
        ClaimPayload { worker: public.clone(), vouchers: BoundedVec::truncate_from(payable) };
    let Some(signature) =
        T::AuthorityId::sign(&worker::signing_message(CallKind::Claim, &payload), public.clone())
    else {
        return;
    };
    let ok = submit::<T>(Call::claim { payload, signature });
    log::info!(target: LOG_TARGET, "line {line}: claimed with {count} vouchers (submitted: {ok})");
}

fn report_quality<T: Config>(
    line: LineId,
    block: u32,
    public: &T::Public,
    validator: &T::AccountId,
) {
    let period = Pallet::<T>::quality_period();
    for version in Pallet::<T>::served_versions(line) {
        let reported = Quality::<T>::get((line, version), validator)
            .is_some_and(|report| report.period == period);
        if reported {
            continue;
        }
        let Some(record) = Versions::<T>::get(line, version) else { continue };
        let (Some(eval), Some(params)) = (record.spec.eval.clone(), record.spec.data.inline())
        else {
            continue;
        };
        if !take_turn(&marker_key(b"quality", line, version, public), block) {
            continue;
        }
        let request = EvaluateRequest {
            family: record.spec.family,
            schema: record.spec.schema,
            dataset: eval,
            params: params.clone(),
            metric: record.spec.metric,
            data_hash: None,
        };
        let result = match starling_ml_interface::evaluate(&request) {
            Ok(result) => result,
            Err(error) => {
                log::warn!(target: LOG_TARGET, "line {line} version {version}: scoring failed: {error:?}");
                continue;
            },
        };
        let payload = QualityPayload {
            worker: public.clone(),
            line,
            version,
            period,
            score: result.score,
            rows: result.rows,
        };
        let Some(signature) = T::AuthorityId::sign(
            &worker::signing_message(CallKind::ReportQuality, &payload),
            public.clone(),
        ) else {
            continue;
        };
        let ok = submit::<T>(Call::report_quality { payload, signature });
        log::info!(
            target: LOG_TARGET,
            "line {line} version {version}: quality {} on {} rows (submitted: {ok})",
            result.score,
            result.rows
        );
    }
}
