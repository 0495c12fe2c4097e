//! Unit tests: every extrinsic and error path, the payment split on real balances (also under
//! a lock over the user's whole balance), the free tier, signatures bound to the chain,
//! property tests that claims never pay more than the escrow, conserve value and are paid in
//! full whatever the user locks, and the off-chain worker with the real ML engine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use crate::mock::Marketplace;
use crate::{mock::*, pallet::*, types::*, worker::*, Error, Event};
use frame_support::{
    assert_noop, assert_ok,
    pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
    traits::{
        fungible::{Inspect, InspectHold, MutateHold},
        tokens::{Fortitude, Precision, Restriction},
        Authorize, LockableCurrency, WithdrawReasons,
    },
    BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::Pair;
use sp_core::H256;
use sp_runtime::{traits::Dispatchable, DispatchError, Perbill};
use starling_ml_interface::{DatasetRef, LabelKind, ModelFamily, Params, Schema, Slice, Split};
use starling_primitives::Role;

mod hosting;
mod offchain;
mod payments;
mod quality;
mod registry;

const PRICE: u64 = 10;

const UPLOADER: u8 = 1;

const HOST: u8 = 2;

const VALIDATOR: u8 = 3;

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| if let RuntimeEvent::Marketplace(e) = r.event { Some(e) } else { None })
        .collect()
}

fn worker_call(call: crate::Call<Test>) -> Result<(), DispatchError> {
    authorized_call(call)
}

fn claim_as(n: u8, vouchers: Vec<SignedVoucherOf<Test>>) -> Result<(), DispatchError> {
    let payload = ClaimPayload { worker: worker(n), vouchers: BoundedVec::truncate_from(vouchers) };
    let signature = sign(n, CallKind::Claim, &payload);
    worker_call(crate::Call::claim { payload, signature })
}

fn report(n: u8, line: LineId, version: VersionId, period: u32) -> Result<(), DispatchError> {
    let payload =
        QualityPayload { worker: worker(n), line, version, period, score: 2_900_000_000, rows: 88 };
    let signature = sign(n, CallKind::ReportQuality, &payload);
    worker_call(crate::Call::report_quality { payload, signature })
}

fn balance(who: &AccountId) -> u64 {
    Balances::balance(who)
}

/// Line 0 uploaded by operator 1 (a training node) and hosted by operator 2 at [`PRICE`].
fn hosted_line() -> LineId {
    make_operator(UPLOADER, Role::TrainingNode, 1_000);
    make_operator(HOST, Role::ModelHost, 1_000);
    assert_ok!(Marketplace::upload_version(RuntimeOrigin::signed(acc(UPLOADER)), None, model(1)));
    assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(HOST)), 0, PRICE, None));
    0
}

fn deposit(n: u8, amount: u64) {
    assert_ok!(Marketplace::deposit(RuntimeOrigin::signed(user(n)), amount));
}

/// Evaluation data naming `worker`'s local dataset `clinic-visits`.
fn local_eval() -> DatasetRef {
    DatasetRef::Local {
        id: BoundedVec::truncate_from(b"clinic-visits".to_vec()),
        worker: [7; 32],
        role: Role::Validator,
        slice: Slice {
            seed: 0,
            split: Split::All,
            test_permille: 0,
            shard_index: 0,
            shard_count: 1,
        },
    }
}

/// Puts a lock over `who`'s whole balance, holds included, as a conviction vote may.
fn lock_everything(who: &AccountId) -> u64 {
    let total = Balances::total_balance(who);
    <Balances as LockableCurrency<AccountId>>::set_lock(
        *b"pyconvot",
        who,
        total,
        WithdrawReasons::all(),
    );
    total
}

/// Dispatches a claim of host `n` without checking that validation agrees.
fn dispatch_claim(n: u8, vouchers: Vec<SignedVoucherOf<Test>>) -> Result<(), DispatchError> {
    let payload = ClaimPayload { worker: worker(n), vouchers: BoundedVec::truncate_from(vouchers) };
    let signature = sign(n, CallKind::Claim, &payload);
    RuntimeCall::Marketplace(crate::Call::claim { payload, signature })
        .dispatch(RawOrigin::Authorized.into())
        .map(|_| ())
        .map_err(|e| e.error)
}
