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
use pallet_starling_staking::Role;
use sp_core::Pair;
use sp_core::H256;
use sp_runtime::{traits::Dispatchable, DispatchError, Perbill};
use starling_ml_interface::{DatasetRef, LabelKind, ModelFamily, Params, Schema, Slice, Split};

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

#[test]
fn an_upload_starts_a_line_and_the_owner_adds_versions() {
    new_test_ext().execute_with(|| {
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        let origin = RuntimeOrigin::signed(acc(UPLOADER));
        assert_ok!(Marketplace::upload_version(origin.clone(), None, model(1)));
        assert_ok!(Marketplace::upload_version(origin, Some(0), model(2)));
        let line = Lines::<Test>::get(0).unwrap();
        assert_eq!((line.owner, line.latest, line.hosts), (acc(UPLOADER), 2, 0));
        let (latest, version) = Marketplace::latest_version(0).unwrap();
        assert_eq!(latest, 2);
        assert_eq!(version.spec, model(2));
        assert_eq!(version.source, ModelSource::Upload);
        assert_eq!(version.creators.into_inner(), vec![(acc(UPLOADER), 1)]);
        assert_eq!(version.params_hash, model(2).data.params_hash());
        assert!(events().contains(&Event::VersionRegistered {
            line: 0,
            version: 2,
            source: ModelSource::Upload,
            owner: acc(UPLOADER),
            params_hash: model(2).data.params_hash(),
        }));
        assert_eq!(NextLineId::<Test>::get(), 1);
    });
}

#[test]
fn uploads_are_refused_with_a_reason() {
    new_test_ext().execute_with(|| {
        let origin = RuntimeOrigin::signed(acc(UPLOADER));
        assert_noop!(
            Marketplace::upload_version(origin.clone(), None, model(1)),
            Error::<Test>::NotStaked
        );
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        make_operator(4, Role::TrainingNode, 1_000);
        assert_noop!(
            Marketplace::upload_version(origin.clone(), Some(7), model(1)),
            Error::<Test>::LineNotFound
        );
        let mut misfit = model(1);
        misfit.family = ModelFamily::LogisticBinary;
        assert_noop!(
            Marketplace::upload_version(origin.clone(), None, misfit),
            Error::<Test>::FamilyDoesNotFitSchema
        );
        let mut wrong_metric = model(1);
        wrong_metric.metric = starling_ml_interface::Metric::Accuracy;
        assert_noop!(
            Marketplace::upload_version(origin.clone(), None, wrong_metric),
            Error::<Test>::FamilyDoesNotFitSchema
        );
        let mut short = model(1);
        short.data = ModelData::Inline(Params::truncate_from(vec![1; 5]));
        assert_noop!(
            Marketplace::upload_version(origin.clone(), None, short),
            Error::<Test>::WrongParameterCount
        );
        assert_ok!(Marketplace::upload_version(origin.clone(), None, model(1)));
        assert_noop!(
            Marketplace::upload_version(RuntimeOrigin::signed(acc(4)), Some(0), model(2)),
            Error::<Test>::NotLineOwner
        );
        let mut other_schema = model(1);
        other_schema.schema = Schema { features: 4, label: LabelKind::Continuous };
        other_schema.data = ModelData::Inline(Params::truncate_from(vec![1; 5]));
        assert_noop!(
            Marketplace::upload_version(origin, Some(0), other_schema),
            Error::<Test>::IncompatibleVersion
        );
    });
}

/// Evaluation data naming `worker`'s local dataset `clinic-visits`.
fn local_eval() -> DatasetRef {
    DatasetRef::Local {
        id: BoundedVec::truncate_from(b"clinic-visits".to_vec()),
        worker: [7; 32],
        slice: Slice {
            seed: 0,
            split: Split::All,
            test_permille: 0,
            shard_index: 0,
            shard_count: 1,
        },
    }
}

#[test]
fn local_evaluation_data_is_refused() {
    new_test_ext().execute_with(|| {
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        let origin = RuntimeOrigin::signed(acc(UPLOADER));
        let mut probe = model(1);
        probe.eval = Some(local_eval());
        assert_noop!(
            Marketplace::upload_version(origin.clone(), None, probe.clone()),
            Error::<Test>::EvaluationDataMustBePublic
        );
        assert_ok!(Marketplace::upload_version(origin.clone(), None, model(1)));
        assert_noop!(
            Marketplace::upload_version(origin.clone(), Some(0), probe),
            Error::<Test>::EvaluationDataMustBePublic
        );
        let mut no_eval = model(2);
        no_eval.eval = None;
        assert_ok!(Marketplace::upload_version(origin, Some(0), no_eval));
    });
}

#[test]
fn results_naming_local_evaluation_data_are_registered_without_it() {
    new_test_ext().execute_with(|| {
        let mut spec = model(5);
        spec.eval = Some(local_eval());
        let registered = Marketplace::register(NewModel {
            source: ModelSource::ArenaTask(2),
            owner: acc(9),
            spec,
            source_score: Some(1),
            creators: vec![(acc(4), 1)],
        });
        assert_eq!(registered, Some((0, 1)));
        let version = Versions::<Test>::get(0, 1).unwrap();
        assert_eq!(version.spec.eval, None, "validators never score private rows");
        assert_eq!(version.spec.data, model(5).data);
    });
}

#[test]
fn line_ids_are_never_reused() {
    new_test_ext().execute_with(|| {
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        let origin = RuntimeOrigin::signed(acc(UPLOADER));
        NextLineId::<Test>::put(u32::MAX - 1);
        assert_ok!(Marketplace::upload_version(origin.clone(), None, model(1)));
        assert_eq!(NextLineId::<Test>::get(), u32::MAX);
        assert_noop!(
            Marketplace::upload_version(origin, None, model(2)),
            Error::<Test>::LineIdsExhausted
        );
        let refused = Marketplace::register(NewModel {
            source: ModelSource::Alliance(1),
            owner: acc(9),
            spec: model(3),
            source_score: None,
            creators: vec![(acc(4), 1)],
        });
        assert_eq!(refused, None);
        assert!(!Lines::<Test>::contains_key(u32::MAX), "the last id is never handed out");
        assert_eq!(Lines::<Test>::get(u32::MAX - 1).unwrap().latest, 1);
    });
}

#[test]
fn version_numbers_are_never_reused() {
    new_test_ext().execute_with(|| {
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        let origin = RuntimeOrigin::signed(acc(UPLOADER));
        assert_ok!(Marketplace::upload_version(origin.clone(), None, model(1)));
        let first = Versions::<Test>::get(0, 1).unwrap();
        Versions::<Test>::insert(0, u32::MAX, first);
        Lines::<Test>::mutate(0, |line| line.as_mut().unwrap().latest = u32::MAX);
        assert_noop!(
            Marketplace::upload_version(origin, Some(0), model(2)),
            Error::<Test>::VersionIdsExhausted
        );
    });
}

#[test]
fn arena_and_alliance_results_become_version_one_of_a_new_line() {
    new_test_ext().execute_with(|| {
        let registered = Marketplace::register(NewModel {
            source: ModelSource::Alliance(3),
            owner: acc(9),
            spec: model(5),
            source_score: Some(2_800_000_000),
            creators: vec![(acc(4), 3), (acc(5), 0), (acc(6), 1)],
        });
        assert_eq!(registered, Some((0, 1)));
        let version = Versions::<Test>::get(0, 1).unwrap();
        assert_eq!(version.source, ModelSource::Alliance(3));
        assert_eq!(version.source_score, Some(2_800_000_000));
        assert_eq!(version.creators.into_inner(), vec![(acc(4), 3), (acc(6), 1)]);
        assert_eq!(Lines::<Test>::get(0).unwrap().owner, acc(9));

        let mut misfit = model(5);
        misfit.data = ModelData::Inline(Params::truncate_from(vec![1; 3]));
        let refused = Marketplace::register(NewModel {
            source: ModelSource::ArenaTask(1),
            owner: acc(9),
            spec: misfit,
            source_score: None,
            creators: vec![],
        });
        assert_eq!(refused, None);
        assert_eq!(NextLineId::<Test>::get(), 1);
    });
}

#[test]
fn a_host_serves_the_latest_version_or_its_pin() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        assert_eq!(HostedLines::<Test>::get().into_inner(), vec![line]);
        assert_eq!(Lines::<Test>::get(line).unwrap().hosts, 1);
        assert!(events().contains(&Event::Hosted {
            line,
            host: acc(HOST),
            price: PRICE,
            pinned: None
        }));
        let serving = Marketplace::serving(line, &acc(HOST)).unwrap();
        assert_eq!((serving.version, serving.price), (1, PRICE));
        assert_eq!(serving.params, model(1).data.inline().cloned());

        assert_ok!(Marketplace::upload_version(
            RuntimeOrigin::signed(acc(UPLOADER)),
            Some(line),
            model(2)
        ));
        assert_eq!(Marketplace::serving(line, &acc(HOST)).unwrap().version, 2);

        make_operator(4, Role::ModelHost, 1_000);
        assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(4)), line, 20, Some(1)));
        assert_eq!(Marketplace::serving(line, &acc(4)).unwrap().version, 1);
        assert_eq!(Lines::<Test>::get(line).unwrap().hosts, 2);
        assert_eq!(HostedLines::<Test>::get().len(), 1);
        make_operator(5, Role::ModelHost, 1_000);
        assert_noop!(
            Marketplace::host(RuntimeOrigin::signed(acc(5)), line, 20, None),
            Error::<Test>::TooManyHosts
        );
    });
}

#[test]
fn hosting_is_refused_with_a_reason() {
    new_test_ext().execute_with(|| {
        make_operator(UPLOADER, Role::TrainingNode, 1_000);
        let host = RuntimeOrigin::signed(acc(HOST));
        assert_noop!(Marketplace::host(host.clone(), 0, PRICE, None), Error::<Test>::NotAModelHost);
        make_operator(HOST, Role::ModelHost, 1_000);
        assert_noop!(Marketplace::host(host.clone(), 0, PRICE, None), Error::<Test>::LineNotFound);
        let uploader = RuntimeOrigin::signed(acc(UPLOADER));
        assert_ok!(Marketplace::upload_version(uploader.clone(), None, model(1)));
        assert_noop!(
            Marketplace::host(host.clone(), 0, PRICE, Some(9)),
            Error::<Test>::VersionNotFound
        );
        let mut by_uri = model(1);
        by_uri.data = ModelData::Uri {
            uri: BoundedVec::truncate_from(b"ipfs://x".to_vec()),
            params_hash: H256([1; 32]),
        };
        assert_ok!(Marketplace::upload_version(uploader.clone(), Some(0), by_uri));
        assert_noop!(Marketplace::host(host.clone(), 0, PRICE, None), Error::<Test>::NotServable);
        assert_noop!(Marketplace::host(host.clone(), 0, 0, Some(1)), Error::<Test>::InvalidPrice);
        assert_noop!(
            Marketplace::host(host.clone(), 0, 1_001, Some(1)),
            Error::<Test>::InvalidPrice
        );
        assert_ok!(Marketplace::host(host.clone(), 0, PRICE, Some(1)));
        assert_noop!(
            Marketplace::host(host.clone(), 0, PRICE, Some(1)),
            Error::<Test>::AlreadyHosting
        );
        // MaxHostedLines is 4 in the mock: lines 0..=3 may be hosted, line 4 not.
        for _ in 1..=4 {
            assert_ok!(Marketplace::upload_version(uploader.clone(), None, model(1)));
        }
        for line in 1..=3 {
            assert_ok!(Marketplace::host(host.clone(), line, PRICE, None));
        }
        assert_noop!(Marketplace::host(host, 4, PRICE, None), Error::<Test>::TooManyHostedLines);
    });
}

#[test]
fn unhosting_frees_the_line() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        let host = RuntimeOrigin::signed(acc(HOST));
        assert_ok!(Marketplace::unhost(host.clone(), line));
        assert!(HostedLines::<Test>::get().is_empty());
        assert_eq!(Lines::<Test>::get(line).unwrap().hosts, 0);
        assert!(Marketplace::serving(line, &acc(HOST)).is_none());
        assert!(events().contains(&Event::Unhosted { line, host: acc(HOST) }));
        assert_noop!(Marketplace::unhost(host, line), Error::<Test>::NotHosting);
    });
}

#[test]
fn deposits_are_held_and_withdrawn_after_the_delay() {
    new_test_ext().execute_with(|| {
        deposit(1, 500);
        deposit(1, 300);
        let reason: RuntimeHoldReason = crate::HoldReason::Escrow.into();
        assert_eq!(Balances::balance_on_hold(&reason, &user(1)), 800);
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 800);
        assert!(events().contains(&Event::Deposited { user: user(1), amount: 300, held: 800 }));

        let origin = RuntimeOrigin::signed(user(1));
        assert_ok!(Marketplace::request_withdrawal(origin.clone(), 600));
        assert_eq!(Marketplace::spendable(&user(1)), 200);
        assert!(events().contains(&Event::WithdrawalRequested {
            user: user(1),
            amount: 600,
            unlock_at: 11
        }));
        run_to_block(10);
        assert_noop!(Marketplace::withdraw(origin.clone()), Error::<Test>::StillLocked);
        run_to_block(11);
        assert_ok!(Marketplace::withdraw(origin.clone()));
        assert_eq!(Balances::balance_on_hold(&reason, &user(1)), 200);
        assert_eq!(balance(&user(1)), ENDOWMENT - 200);
        assert!(events().contains(&Event::Withdrawn { user: user(1), amount: 600 }));
        assert_noop!(Marketplace::withdraw(origin.clone()), Error::<Test>::NothingUnlocking);
        assert_ok!(Marketplace::request_withdrawal(origin.clone(), 200));
        run_to_block(21);
        assert_ok!(Marketplace::withdraw(origin));
        assert!(Escrows::<Test>::get(user(1)).is_none(), "an empty escrow is removed");
    });
}

#[test]
fn escrow_calls_are_refused_with_a_reason() {
    new_test_ext().execute_with(|| {
        let origin = RuntimeOrigin::signed(user(1));
        assert_noop!(Marketplace::deposit(origin.clone(), 0), Error::<Test>::ZeroAmount);
        assert_noop!(
            Marketplace::deposit(origin.clone(), ENDOWMENT * 2),
            Error::<Test>::InsufficientFunds
        );
        assert_noop!(Marketplace::request_withdrawal(origin.clone(), 5), Error::<Test>::NoEscrow);
        assert_noop!(Marketplace::withdraw(origin.clone()), Error::<Test>::NoEscrow);
        deposit(1, 100);
        assert_noop!(Marketplace::request_withdrawal(origin.clone(), 0), Error::<Test>::ZeroAmount);
        assert_noop!(
            Marketplace::request_withdrawal(origin, 101),
            Error::<Test>::WithdrawalAboveEscrow
        );
    });
}

#[test]
fn a_claim_pays_new_calls_and_splits_them() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 1_000);
        let treasury_before = balance(&treasury());
        let host_before = balance(&acc(HOST));
        let creator_before = balance(&acc(UPLOADER));
        assert_ok!(claim_as(HOST, vec![voucher(1, &acc(HOST), line, 5, PRICE)]));
        // 5 calls × 10 = 50: host 70 % = 35, creators 20 % = 10, treasury 5.
        assert_eq!(balance(&acc(HOST)) - host_before, 35);
        assert_eq!(balance(&acc(UPLOADER)) - creator_before, 10);
        assert_eq!(balance(&treasury()) - treasury_before, 5);
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 950);
        let reason: RuntimeHoldReason = crate::HoldReason::Escrow.into();
        assert_eq!(Balances::balance_on_hold(&reason, &user(1)), 950);
        assert_eq!(Claimed::<Test>::get((user(1), acc(HOST), line)), 5);
        assert!(events().contains(&Event::VoucherPaid {
            user: user(1),
            host: acc(HOST),
            line,
            version: 1,
            calls: 5,
            amount: 50,
            to_host: 35,
            to_creators: 10,
            to_treasury: 5,
        }));

        // The same voucher again pays nothing; a newer one pays only its new calls.
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, 5, PRICE)]),
            Error::<Test>::VoucherAlreadyClaimed
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, 4, PRICE)]),
            Error::<Test>::VoucherAlreadyClaimed
        );
        assert_ok!(claim_as(HOST, vec![voucher(1, &acc(HOST), line, 8, PRICE)]));
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 920);
    });
}

#[test]
fn a_claim_with_one_bad_voucher_pays_the_good_ones() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 1_000);
        deposit(2, 1_000);
        assert_ok!(claim_as(
            HOST,
            vec![
                voucher(1, &acc(HOST), line, 3, PRICE + 1),
                voucher(2, &acc(HOST), line, 2, PRICE)
            ]
        ));
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 1_000);
        assert_eq!(Escrows::<Test>::get(user(2)).unwrap().held, 980);
        assert!(events().contains(&Event::VoucherRefused {
            user: user(1),
            host: acc(HOST),
            line,
            reason: VoucherError::PriceMismatch
        }));
    });
}

#[test]
fn vouchers_that_pay_nothing_are_refused_with_a_reason() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 100);
        let mut tampered = voucher(1, &acc(HOST), line, 1, PRICE);
        tampered.voucher.calls = 9;
        assert_noop!(claim_as(HOST, vec![tampered]), Error::<Test>::VoucherBadSignature);
        make_operator(4, Role::ModelHost, 1_000);
        assert_noop!(
            claim_as(4, vec![voucher(1, &acc(HOST), line, 1, PRICE)]),
            Error::<Test>::VoucherForAnotherHost
        );
        assert_noop!(
            claim_as(4, vec![voucher(1, &acc(4), line, 1, PRICE)]),
            Error::<Test>::VoucherNotHosted
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, 1, PRICE - 1)]),
            Error::<Test>::VoucherPriceMismatch
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, 0, PRICE)]),
            Error::<Test>::VoucherAlreadyClaimed
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, 11, PRICE)]),
            Error::<Test>::VoucherBeyondEscrow
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(3, &acc(HOST), line, 1, PRICE)]),
            Error::<Test>::VoucherBeyondEscrow
        );
        assert_noop!(
            claim_as(HOST, vec![voucher(1, &acc(HOST), line, u64::MAX, PRICE)]),
            Error::<Test>::VoucherBeyondEscrow
        );
        assert_noop!(claim_as(HOST, vec![]), Error::<Test>::NoVouchers);
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 100, "nothing charged");
    });
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

#[test]
fn a_lock_over_the_whole_balance_does_not_stop_payment() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 1_000);
        assert_eq!(lock_everything(&user(1)), ENDOWMENT);
        let reason: RuntimeHoldReason = crate::HoldReason::Escrow.into();
        // What the old, polite move ran into: the lock covers the hold.
        assert!(<Balances as MutateHold<AccountId>>::transfer_on_hold(
            &reason,
            &user(1),
            &acc(HOST),
            1,
            Precision::Exact,
            Restriction::Free,
            Fortitude::Polite,
        )
        .is_err());
        let (host, creator, treasury_before) =
            (balance(&acc(HOST)), balance(&acc(UPLOADER)), balance(&treasury()));
        assert_ok!(claim_as(HOST, vec![voucher(1, &acc(HOST), line, 5, PRICE)]));
        // 5 calls × 10 = 50: host 70 % = 35, creators 20 % = 10, treasury 5.
        assert_eq!(balance(&acc(HOST)) - host, 35);
        assert_eq!(balance(&acc(UPLOADER)) - creator, 10);
        assert_eq!(balance(&treasury()) - treasury_before, 5);
        assert_eq!(Claimed::<Test>::get((user(1), acc(HOST), line)), 5);
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 950);
        assert_eq!(Balances::balance_on_hold(&reason, &user(1)), 950);
        assert_eq!(Balances::total_balance(&user(1)), ENDOWMENT - 50);
        assert!(events().contains(&Event::VoucherPaid {
            user: user(1),
            host: acc(HOST),
            line,
            version: 1,
            calls: 5,
            amount: 50,
            to_host: 35,
            to_creators: 10,
            to_treasury: 5,
        }));
    });
}

#[test]
fn a_voucher_is_paid_all_or_nothing() {
    // Unchecked: the test breaks the escrow invariant on purpose (the hold falls below the
    // record) to show that a payment the hold cannot cover moves nothing.
    new_test_ext().into_inner().execute_with(|| {
        let line = hosted_line();
        deposit(1, 100);
        deposit(2, 100);
        // The hold falls below what the escrow records (as if something else took it): the
        // host's 7 can move, the creators' 2 cannot.
        let reason: RuntimeHoldReason = crate::HoldReason::Escrow.into();
        assert_ok!(Balances::release(&reason, &user(1), 92, Precision::Exact));
        assert!(Marketplace::do_try_state().is_err(), "the invariant check sees the hold fall");
        let (host, creator, treasury_before) =
            (balance(&acc(HOST)), balance(&acc(UPLOADER)), balance(&treasury()));
        assert_ok!(claim_as(
            HOST,
            vec![voucher(1, &acc(HOST), line, 1, PRICE), voucher(2, &acc(HOST), line, 1, PRICE)]
        ));
        assert!(events().contains(&Event::VoucherRefused {
            user: user(1),
            host: acc(HOST),
            line,
            reason: VoucherError::PaymentFailed
        }));
        assert_eq!(Claimed::<Test>::get((user(1), acc(HOST), line)), 0, "not paid, not claimed");
        assert_eq!(Claimed::<Test>::get((user(2), acc(HOST), line)), 1);
        assert_eq!(Balances::balance_on_hold(&reason, &user(1)), 8, "nothing moved");
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 100);
        // Only user 2's call was paid.
        assert_eq!(balance(&acc(HOST)) - host, 7);
        assert_eq!(balance(&acc(UPLOADER)) - creator, 2);
        assert_eq!(balance(&treasury()) - treasury_before, 1);
        let paid: Vec<_> =
            events().into_iter().filter(|e| matches!(e, Event::VoucherPaid { .. })).collect();
        assert_eq!(paid.len(), 1);

        // A claim where no voucher can be paid fails (validation cannot see the hold fall).
        let vouchers = vec![voucher(1, &acc(HOST), line, 1, PRICE)];
        assert_ok!(Marketplace::check_claim(&acc(HOST), &vouchers));
        assert_noop!(dispatch_claim(HOST, vouchers), Error::<Test>::VoucherPaymentFailed);
    });
}

#[test]
fn vouchers_signed_for_another_chain_are_refused() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 100);
        let elsewhere = voucher_for_chain(H256([7; 32]), 1, &acc(HOST), line, 3, PRICE);
        assert_eq!(
            Marketplace::check_voucher(&acc(HOST), &elsewhere, true),
            Err(VoucherError::BadSignature)
        );
        assert_noop!(claim_as(HOST, vec![elsewhere]), Error::<Test>::VoucherBadSignature);
        // A voucher signed without naming any chain is refused too.
        let unbound = voucher(1, &acc(HOST), line, 3, PRICE).voucher;
        let bytes = codec::Encode::encode(&(crate::VOUCHER_CONTEXT, &unbound));
        let signature = sp_runtime::MultiSignature::Sr25519(user_pair(1).sign(&bytes));
        assert_noop!(
            claim_as(HOST, vec![SignedVoucher { voucher: unbound, signature }]),
            Error::<Test>::VoucherBadSignature
        );
        assert_ok!(claim_as(HOST, vec![voucher(1, &acc(HOST), line, 3, PRICE)]));
        assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 70);
    });
}

#[test]
fn worker_payloads_signed_for_another_chain_are_refused() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        make_operator(VALIDATOR, Role::Validator, 1_000);
        deposit(1, 100);
        let elsewhere = H256([7; 32]);
        let payload = ClaimPayload {
            worker: worker(HOST),
            vouchers: BoundedVec::truncate_from(vec![voucher(1, &acc(HOST), line, 1, PRICE)]),
        };
        let signature = sign_for_chain(elsewhere, HOST, CallKind::Claim, &payload);
        let call = crate::Call::<Test>::claim { payload: payload.clone(), signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Marketplace(call)
                .dispatch(RawOrigin::Authorized.into())
                .map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        let report = QualityPayload {
            worker: worker(VALIDATOR),
            line,
            version: 1,
            period: 0,
            score: 1,
            rows: 1,
        };
        let signature = sign_for_chain(elsewhere, VALIDATOR, CallKind::ReportQuality, &report);
        let call = crate::Call::<Test>::report_quality { payload: report.clone(), signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Marketplace(call)
                .dispatch(RawOrigin::Authorized.into())
                .map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        // A payload signed without naming any chain is refused too.
        let unbound = codec::Encode::encode(&(SIGNING_CONTEXT, CallKind::Claim, &payload));
        let signature = sp_runtime::MultiSignature::Sr25519(worker_pair(HOST).sign(&unbound));
        let call = crate::Call::<Test>::claim { payload: payload.clone(), signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        // Signed for this chain, both pass.
        let signature = sign(HOST, CallKind::Claim, &payload);
        assert_ok!(worker_call(crate::Call::claim { payload, signature }));
        let signature = sign(VALIDATOR, CallKind::ReportQuality, &report);
        assert_ok!(worker_call(crate::Call::report_quality { payload: report, signature }));
    });
}

#[test]
fn worker_calls_need_a_registered_worker_and_its_signature() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 100);
        let payload = ClaimPayload {
            worker: worker(HOST),
            vouchers: BoundedVec::truncate_from(vec![voucher(1, &acc(HOST), line, 1, PRICE)]),
        };
        let forged = sign(20, CallKind::Claim, &payload);
        let call = crate::Call::<Test>::claim { payload: payload.clone(), signature: forged };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Marketplace(call)
                .dispatch(RawOrigin::Authorized.into())
                .map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        let stranger = ClaimPayload { worker: worker(20), vouchers: payload.vouchers.clone() };
        let signature = sign(20, CallKind::Claim, &stranger);
        let call = crate::Call::<Test>::claim { payload: stranger, signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadSigner)))
        );
        assert_noop!(
            RuntimeCall::Marketplace(call)
                .dispatch(RawOrigin::Authorized.into())
                .map_err(|e| e.error),
            pallet_starling_staking::Error::<Test>::UnknownWorker
        );
        // A signed (not authorized) origin cannot claim.
        let signature = sign(HOST, CallKind::Claim, &payload);
        assert_noop!(
            Marketplace::claim(RuntimeOrigin::signed(acc(HOST)), payload, signature),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn a_claim_may_take_what_is_unlocking_until_the_withdrawal() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        deposit(1, 100);
        assert_ok!(Marketplace::request_withdrawal(RuntimeOrigin::signed(user(1)), 100));
        assert_eq!(Marketplace::spendable(&user(1)), 0, "a node serves no new paid call");
        assert_eq!(
            Marketplace::check_voucher(&acc(HOST), &voucher(1, &acc(HOST), line, 3, PRICE), false),
            Err(VoucherError::BeyondEscrow)
        );
        // calls served before the request can still be claimed during the delay
        assert_ok!(claim_as(HOST, vec![voucher(1, &acc(HOST), line, 3, PRICE)]));
        let escrow = Escrows::<Test>::get(user(1)).unwrap();
        assert_eq!((escrow.held, escrow.unlocking), (70, 70));
        run_to_block(11);
        assert_ok!(Marketplace::withdraw(RuntimeOrigin::signed(user(1))));
        assert!(events().contains(&Event::Withdrawn { user: user(1), amount: 70 }));
        assert_eq!(balance(&user(1)), ENDOWMENT - 30);
    });
}

#[test]
fn validators_report_quality_once_per_period() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        make_operator(VALIDATOR, Role::Validator, 1_000);
        run_to_block(12);
        assert_ok!(report(VALIDATOR, line, 1, 1));
        let stored = Quality::<Test>::get((line, 1), acc(VALIDATOR)).unwrap();
        assert_eq!(
            (stored.score, stored.rows, stored.period, stored.at),
            (2_900_000_000, 88, 1, 12)
        );
        assert!(events().contains(&Event::QualityReported {
            line,
            version: 1,
            validator: acc(VALIDATOR),
            score: 2_900_000_000,
            rows: 88
        }));
        assert_noop!(report(VALIDATOR, line, 1, 1), Error::<Test>::AlreadyReported);
        run_to_block(20);
        assert_ok!(report(VALIDATOR, line, 1, 2));
    });
}

#[test]
fn quality_reports_are_refused_with_a_reason() {
    new_test_ext().execute_with(|| {
        let line = hosted_line();
        make_operator(4, Role::TrainingNode, 1_000);
        assert_noop!(report(4, line, 1, 0), Error::<Test>::NotAValidator);
        make_operator(VALIDATOR, Role::Validator, 1_000);
        assert_noop!(report(VALIDATOR, 9, 1, 0), Error::<Test>::LineNotFound);
        assert_noop!(report(VALIDATOR, line, 5, 0), Error::<Test>::VersionNotFound);
        let uploader = RuntimeOrigin::signed(acc(UPLOADER));
        let mut no_eval = model(2);
        no_eval.eval = None;
        assert_ok!(Marketplace::upload_version(uploader.clone(), None, model(1)));
        assert_noop!(report(VALIDATOR, 1, 1, 0), Error::<Test>::VersionNotHosted);
        assert_ok!(Marketplace::upload_version(uploader, Some(line), no_eval));
        assert_noop!(report(VALIDATOR, line, 2, 0), Error::<Test>::NoEvaluationData);
        assert_noop!(report(VALIDATOR, line, 1, 0), Error::<Test>::VersionNotHosted);
        assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(HOST)), 1, PRICE, None));
        assert_noop!(report(VALIDATOR, 1, 1, 3), Error::<Test>::WrongPeriod);
        assert_ok!(report(VALIDATOR, 1, 1, 0));
    });
}

#[test]
fn governance_sets_the_parameters() {
    new_test_ext().execute_with(|| {
        let mut params = DefaultParams::get();
        params.host_share = Perbill::from_percent(60);
        assert_noop!(
            Marketplace::set_params(RuntimeOrigin::signed(acc(1)), params),
            DispatchError::BadOrigin
        );
        assert_ok!(Marketplace::set_params(RuntimeOrigin::root(), params));
        assert_eq!(Parameters::<Test>::get(), params);
        assert!(events().contains(&Event::ParamsSet { params }));
        for bad in [
            MarketParams { creators_share: Perbill::from_percent(41), ..params },
            MarketParams { free_period: 0, ..params },
            MarketParams { quality_period: 0, ..params },
            MarketParams { max_price: 0, ..params },
        ] {
            assert_noop!(
                Marketplace::set_params(RuntimeOrigin::root(), bad),
                Error::<Test>::InvalidParams
            );
        }
    });
}

#[test]
fn the_free_tier_grows_with_the_users_stake() {
    new_test_ext().execute_with(|| {
        assert_eq!(Parameters::<Test>::get().free_base_calls, 2);
        assert_eq!(Marketplace::free_calls(&user(1)), 0, "no stake, no free call");
        make_operator(HOST, Role::ModelHost, 1_000);
        assert_ok!(Staking::delegate(
            RuntimeOrigin::signed(user(1)),
            acc(HOST),
            Role::ModelHost,
            50
        ));
        assert_eq!(Marketplace::free_calls(&user(1)), 2, "any stake earns the base calls");
        assert_ok!(Staking::delegate(
            RuntimeOrigin::signed(user(1)),
            acc(HOST),
            Role::ModelHost,
            400
        ));
        assert_eq!(Marketplace::free_calls(&user(1)), 6, "2 + ⌊450 / 100⌋");
        assert_ok!(Staking::delegate(
            RuntimeOrigin::signed(user(1)),
            acc(HOST),
            Role::ModelHost,
            5_000
        ));
        assert_eq!(Marketplace::free_calls(&user(1)), 10, "capped");
        run_to_block(45);
        assert_eq!(Marketplace::free_period(), 2);
    });
}

mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever vouchers a host claims with, the user never pays more than it deposited,
        /// and every unit taken from the escrow arrives at the host, a creator or the treasury.
        #[test]
        fn claims_never_pay_more_than_the_escrow_and_conserve_value(
            escrow in 1u64..2_000,
            price in 1u64..50,
            calls in proptest::collection::vec(0u64..120, 1..12),
        ) {
            new_test_ext().execute_with(|| {
                let line = hosted_line();
                deposit(1, escrow);
                let watched = [user(1), acc(HOST), acc(UPLOADER), treasury()];
                let total = |who: &[AccountId]| -> u64 { who.iter().map(Balances::total_balance).sum() };
                let before = total(&watched);
                assert_ok!(Marketplace::unhost(RuntimeOrigin::signed(acc(HOST)), line));
                assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(HOST)), line, price, None));
                let mut paid_calls = 0u64;
                for c in calls {
                    let _ = claim_as(HOST, vec![voucher(1, &acc(HOST), line, c, price)]);
                    paid_calls = Claimed::<Test>::get((user(1), acc(HOST), line));
                }
                let held = Escrows::<Test>::get(user(1)).map(|e| e.held).unwrap_or_default();
                prop_assert!(paid_calls * price <= escrow);
                prop_assert_eq!(held, escrow - paid_calls * price);
                let reason: RuntimeHoldReason = crate::HoldReason::Escrow.into();
                prop_assert_eq!(Balances::balance_on_hold(&reason, &user(1)), held);
                prop_assert_eq!(total(&watched), before, "value is conserved");
                Ok(())
            })?;
        }

        /// Whatever the user locks, every voucher the escrow covers is paid in full: what the
        /// host, the creator and the treasury receive is what the `VoucherPaid` events say,
        /// and the escrow ledger plus what was paid is what was deposited.
        #[test]
        fn a_lock_never_stops_or_bends_a_payment(
            escrow in 1u64..2_000,
            price in 1u64..50,
            lock in 0u64..=2 * ENDOWMENT,
            calls in proptest::collection::vec(0u64..120, 1..12),
        ) {
            new_test_ext().execute_with(|| {
                let line = hosted_line();
                assert_ok!(Marketplace::unhost(RuntimeOrigin::signed(acc(HOST)), line));
                assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(HOST)), line, price, None));
                deposit(1, escrow);
                <Balances as LockableCurrency<AccountId>>::set_lock(
                    *b"pyconvot",
                    &user(1),
                    lock,
                    WithdrawReasons::all(),
                );
                let payees = [acc(HOST), acc(UPLOADER), treasury()];
                let total = || -> u64 { payees.iter().map(Balances::total_balance).sum() };
                let (before, user_before) = (total(), Balances::total_balance(&user(1)));
                for c in calls {
                    match claim_as(HOST, vec![voucher(1, &acc(HOST), line, c, price)]) {
                        Ok(()) => {},
                        Err(error) => prop_assert!(
                            error == DispatchError::from(Error::<Test>::VoucherAlreadyClaimed)
                                || error == DispatchError::from(Error::<Test>::VoucherBeyondEscrow),
                            "unexpected refusal {:?}", error
                        ),
                    }
                }
                let paid: u64 = events()
                    .into_iter()
                    .filter_map(|e| match e {
                        Event::VoucherPaid { amount, .. } => Some(amount),
                        _ => None,
                    })
                    .sum();
                prop_assert_eq!(total() - before, paid, "payees got what the events say");
                prop_assert_eq!(user_before - Balances::total_balance(&user(1)), paid);
                let held = Escrows::<Test>::get(user(1)).map(|e| e.held).unwrap_or_default();
                prop_assert_eq!(held + paid, escrow, "escrow plus payments is conserved");
                let claimed = Claimed::<Test>::get((user(1), acc(HOST), line));
                prop_assert_eq!(claimed * price, paid, "claimed calls are exactly the paid ones");
                Ok(())
            })?;
        }
    }
}

/// The off-chain worker with the real engine: a validator scores the hosted version on its
/// evaluation data, and a host claims with the vouchers its node kept.
mod offchain_worker {
    use super::*;
    use crate::offchain::voucher_key;
    use codec::{Decode, Encode};
    use frame_support::traits::Hooks;
    use sp_core::offchain::{
        testing::{TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainStorage, OffchainWorkerExt, TransactionPoolExt,
    };
    use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
    use starling_ml_engine::Engine;
    use starling_ml_interface::{EvaluateRequest, MlBackend};
    use std::sync::Arc;

    fn decode_calls(pool: &[Vec<u8>]) -> Vec<crate::Call<Test>> {
        pool.iter()
            .map(|bytes| match Extrinsic::decode(&mut &bytes[..]).unwrap().function {
                RuntimeCall::Marketplace(call) => call,
                other => panic!("unexpected call {other:?}"),
            })
            .collect()
    }

    #[test]
    fn validators_score_hosted_versions_and_hosts_claim_kept_vouchers() {
        let keystore = MemoryKeystore::new();
        for n in [HOST, VALIDATOR] {
            let byte = n.wrapping_add(100);
            let seed: String =
                format!("0x{}", (0..32).map(|_| format!("{byte:02x}")).collect::<String>());
            keystore.sr25519_generate_new(crate::mock::crypto::KEY_TYPE, Some(&seed)).unwrap();
        }
        let (offchain, offchain_state) = TestOffchainExt::new();
        let (pool, pool_state) = TestTransactionPoolExt::new();
        let mut ext = new_test_ext();
        ext.register_extension(OffchainDbExt::new(offchain.clone()));
        ext.register_extension(OffchainWorkerExt::new(offchain));
        ext.register_extension(TransactionPoolExt::new(pool));
        ext.register_extension(KeystoreExt::new(Arc::new(keystore)));
        let engine = Engine::new(None).unwrap();
        ext.register_extension(engine.extension());
        let take = || {
            let calls = decode_calls(&pool_state.read().transactions);
            pool_state.write().transactions.clear();
            calls
        };
        ext.execute_with(|| {
            let line = hosted_line();
            make_operator(VALIDATOR, Role::Validator, 1_000);
            deposit(1, 1_000);
            deposit(2, 1_000);
            // What the host node's RPC kept: user 1's latest voucher, and user 2's that is
            // already claimed.
            assert_ok!(claim_as(HOST, vec![voucher(2, &acc(HOST), line, 4, PRICE)]));
            let kept = vec![
                voucher(1, &acc(HOST), line, 7, PRICE),
                voucher(2, &acc(HOST), line, 4, PRICE),
            ];
            offchain_state.write().persistent_storage.set(
                b"",
                &voucher_key(line, &acc(HOST)),
                &kept.encode(),
            );
            run_to_block(12);
            Marketplace::offchain_worker(12);
            let calls = take();
            assert_eq!(calls.len(), 2, "{calls:?}");
            let mut claimed = false;
            let mut reported = false;
            for call in calls {
                match &call {
                    crate::Call::claim { payload, .. } => {
                        assert_eq!(payload.vouchers.len(), 1, "the claimed voucher is left out");
                        assert_eq!(payload.vouchers[0].voucher.user, user(1));
                        claimed = true;
                    },
                    crate::Call::report_quality { payload, .. } => {
                        let version = Versions::<Test>::get(line, 1).unwrap();
                        let expected = engine
                            .evaluate(EvaluateRequest {
                                family: version.spec.family,
                                schema: version.spec.schema,
                                dataset: version.spec.eval.clone().unwrap(),
                                params: version.spec.data.inline().cloned().unwrap(),
                                metric: version.spec.metric,
                                data_hash: None,
                                worker: None,
                            })
                            .unwrap();
                        assert_eq!((payload.score, payload.rows), (expected.score, expected.rows));
                        assert!(payload.rows > 50, "scored on the diabetes test split");
                        assert_eq!((payload.line, payload.version, payload.period), (line, 1, 1));
                        reported = true;
                    },
                    other => panic!("unexpected call {other:?}"),
                }
                worker_call(call).unwrap();
            }
            assert!(claimed && reported);
            assert_eq!(Claimed::<Test>::get((user(1), acc(HOST), line)), 7);
            assert_eq!(Escrows::<Test>::get(user(1)).unwrap().held, 930);

            // Nothing new to claim or report in the same period.
            run_to_block(18);
            Marketplace::offchain_worker(18);
            assert!(take().is_empty());
        });
    }
}
