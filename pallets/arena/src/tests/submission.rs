//! Trainers commit and reveal sealed models through worker calls.

use super::*;

#[test]
fn worker_calls_are_fee_free_and_checked_before_the_pool() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        // The worker key has no funds at all.
        assert_eq!(Balances::balance(&worker_account(1)), 0);
        let commitment = seal(&content_hash(&params(1)), &SALT, &acc(1));
        let payload = ModelCommitment { worker: worker(1), task, commitment, seq: 1 };
        // Signed by someone else: bad proof.
        let forged = sign(2, CallKind::CommitModel, &payload);
        let call =
            crate::Call::<Test>::commit_model { payload: payload.clone(), signature: forged };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        // Signed for another call kind: bad proof too.
        let wrong_kind = sign(1, CallKind::CommitScores, &payload);
        let call =
            crate::Call::<Test>::commit_model { payload: payload.clone(), signature: wrong_kind };
        assert!(matches!(call.authorize(TransactionSource::External), Some(Err(_))));
        assert_noop!(
            RuntimeCall::Arena(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        // Not a registered worker: bad signer.
        let payload = ModelCommitment { worker: worker(30), task, commitment, seq: 1 };
        let signature = sign(30, CallKind::CommitModel, &payload);
        let call = crate::Call::<Test>::commit_model { payload, signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadSigner)))
        );
        // Only the authorized origin may dispatch.
        let payload = ModelCommitment { worker: worker(1), task, commitment, seq: 1 };
        let signature = sign(1, CallKind::CommitModel, &payload);
        assert_noop!(
            Arena::commit_model(RuntimeOrigin::signed(worker_account(1)), payload, signature),
            DispatchError::BadOrigin
        );
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(Balances::balance(&worker_account(1)), 0);
    });
}

#[test]
fn commit_model_rules() {
    new_test_ext().execute_with(|| {
        operators();
        bond(4, Role::Validator, 1_000);
        let task = NextTaskId::<Test>::get();
        assert_ok!(Arena::create_task(
            RuntimeOrigin::signed(acc(20)),
            diabetes_spec(10, 2),
            BOUNTY
        ));
        assert_eq!(commit_model(1, 9, &params(1), 1), Err(Error::<Test>::TaskNotFound.into()));
        // validator 4's worker: its operator is no trainer
        assert_eq!(commit_model(4, task, &params(1), 1), Err(Error::<Test>::NotATrainer.into()));
        assert_eq!(commit_model(1, task, &params(1), 0), Err(Error::<Test>::StaleSequence.into()));
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(commit_model(1, task, &params(5), 1), Err(Error::<Test>::StaleSequence.into()));
        // replacing keeps one live submission
        assert_ok!(commit_model(1, task, &params(5), 2));
        assert_eq!(Tasks::<Test>::get(task).unwrap().submissions, 1);
        assert_eq!(Submissions::<Test>::get(task, acc(1)).unwrap().seq, 2);
        assert_ok!(commit_model(2, task, &params(2), 1));
        assert_eq!(commit_model(3, task, &params(3), 1), Err(Error::<Test>::TaskFull.into()));
        let record = Tasks::<Test>::get(task).unwrap();
        assert_eq!(record.trainer_weight, 3_000);
        run_to_block(11);
        assert_eq!(
            commit_model(1, task, &params(1), 3),
            Err(Error::<Test>::SubmissionWindowClosed.into())
        );
    });
}

#[test]
fn reveal_model_rules() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::RevealNotOpen.into()));
        run_to_block(11);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Reveal);
        assert_eq!(reveal_model(2, task, &params(2)), Err(Error::<Test>::NoSubmission.into()));
        let short = starling_ml_interface::Params::truncate_from(vec![1; 3]);
        assert_eq!(reveal_model(1, task, &short), Err(Error::<Test>::WrongParameterCount.into()));
        assert_eq!(
            reveal_model(1, task, &params(9)),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
        assert_ok!(reveal_model(1, task, &params(1)));
        assert!(events().contains(&Event::ModelRevealed {
            task,
            trainer: acc(1),
            params_hash: content_hash(&params(1))
        }));
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::AlreadyRevealed.into()));
        // a URI reveal is checked by its hash
        run_to_block(16);
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::TaskEnded.into()));
    });
}

#[test]
fn late_model_reveal_is_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        assert_ok!(commit_model(2, task, &params(2), 1));
        run_to_block(11);
        assert_ok!(reveal_model(2, task, &params(2)));
        publish(20, task);
        // Reveal window closes at 16; the on_initialize of 16 draws the committee.
        NO_RANDOMNESS.with(|n| n.set(true));
        run_to_block(16);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Reveal);
        assert_eq!(reveal_model(1, task, &params(1)), Err(Error::<Test>::RevealClosed.into()));
        // with randomness back, the next block draws it
        NO_RANDOMNESS.with(|n| n.set(false));
        run_to_block(17);
        assert_eq!(Tasks::<Test>::get(task).unwrap().phase, Phase::Scoring);
        assert_eq!(Entries::<Test>::get(task).len(), 1);
    });
}

/// Security review §5 and L7: a model behind a URI is refused at reveal, so no committee
/// member's node ever fetches from an address a trainer controls.
#[test]
fn model_revealed_by_uri_is_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        assert_ok!(commit_model(1, task, &params(1), 1));
        run_to_block(11);
        let uri: Uri = BoundedVec::truncate_from(b"http://10.0.0.1/model.scale".to_vec());
        // Even with the hash the commitment was made over.
        let by_uri = ModelReveal {
            worker: worker(1),
            task,
            model: ModelData::Uri { uri, params_hash: content_hash(&params(1)) },
            salt: SALT,
        };
        let signature = sign(1, CallKind::RevealModel, &by_uri);
        assert_eq!(
            worker_call(crate::Call::reveal_model { payload: by_uri, signature }),
            Err(Error::<Test>::ModelMustBeInline.into())
        );
        assert_ok!(reveal_model(1, task, &params(1)));
    });
}

/// Security review L4: a worker payload signed for another chain (another genesis hash) is
/// refused, in the pool and in a block.
#[test]
fn worker_payloads_signed_for_another_chain_are_refused() {
    new_test_ext().execute_with(|| {
        operators();
        let task = create(20, 10);
        let payload = ModelCommitment {
            worker: worker(1),
            task,
            commitment: seal(&content_hash(&params(1)), &SALT, &acc(1)),
            seq: 1,
        };
        let elsewhere =
            (SIGNING_CONTEXT, H256::repeat_byte(0x42), CallKind::CommitModel, &payload).encode();
        let signature = MultiSignature::Sr25519(worker_pair(1).sign(&elsewhere));
        let call = crate::Call::commit_model { payload: payload.clone(), signature };
        assert!(call.authorize(TransactionSource::External).expect("authorized").is_err());
        assert!(worker_call(call).is_err());
        let signature = sign(1, CallKind::CommitModel, &payload);
        assert_ok!(worker_call(crate::Call::commit_model { payload, signature }));
    });
}
