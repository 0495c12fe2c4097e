//! Escrow, vouchers and claims.

use super::*;

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
