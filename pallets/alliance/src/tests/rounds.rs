//! Roles drawn per round, sealed updates, votes, worker-call checks.

use super::*;

/// Security review §10: the author of the block that draws a round's roles knows the seed;
/// stake a member adds in the block before the draw changes neither the roles nor the weights
/// they are drawn and judged with. On the old code the member's million made it a proposer
/// with a million's weight.
#[test]
fn stake_moved_before_the_draw_does_not_move_the_roles() {
    let draw = |move_stake: bool| {
        let mut out = (Vec::new(), Vec::new());
        new_test_ext().execute_with(|| {
            for n in 1..=6 {
                participant(n, 1_000);
            }
            let alliance = create(1, Aggregation::FedAvg);
            for n in 1..=6 {
                assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
            }
            run_to_block(5);
            if move_stake {
                for n in 1..=3 {
                    assert_ok!(Staking::bond_extra(
                        RuntimeOrigin::signed(acc(n)),
                        Role::FlParticipant,
                        900_000
                    ));
                }
            }
            run_to_block(6);
            let roles = Roles::<Test>::get(alliance).expect("roles drawn");
            let list = |l: &[(AccountId, u128)]| l.iter().map(|(a, w)| (id(a), *w)).collect();
            out = (list(&roles.proposers), list(&roles.voters));
        });
        out
    };
    let quiet = draw(false);
    assert_eq!(quiet.0.len() + quiet.1.len(), 6);
    assert_eq!(draw(true), quiet, "the roles and their weights ignore the moved stake");
}

#[test]
fn roles_are_drawn_each_round_from_the_members() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(6, 2, Aggregation::FedAvg);
        // half of six are proposers, the rest vote; nobody twice
        assert_eq!(proposers.len(), 3);
        assert_eq!(voters.len(), 3);
        let mut all: Vec<u8> = proposers.iter().chain(&voters).copied().collect();
        all.sort();
        assert_eq!(all, vec![1, 2, 3, 4, 5, 6]);
        let record = Alliances::<Test>::get(alliance).unwrap();
        assert_eq!(
            (
                record.round,
                record.commit_end,
                record.reveal_end,
                record.vote_end,
                record.ballot_end
            ),
            (1, 9, 12, 15, 18)
        );
    });
}

#[test]
fn waits_for_randomness_to_draw_roles() {
    new_test_ext().execute_with(|| {
        for n in 1..=3 {
            participant(n, 1_000);
        }
        let alliance = create(1, Aggregation::FedAvg);
        for n in 1..=3 {
            assert_ok!(Alliance::join(RuntimeOrigin::signed(acc(n)), alliance));
        }
        NO_RANDOMNESS.with(|r| r.set(true));
        run_to_block(6);
        assert!(Roles::<Test>::get(alliance).is_none());
        NO_RANDOMNESS.with(|r| r.set(false));
        run_to_block(7);
        assert!(Roles::<Test>::get(alliance).is_some());
    });
}

#[test]
fn commit_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        assert_eq!(commit(p, alliance, 2, &params(1), 10), Err(Error::<Test>::WrongRound.into()));
        assert_eq!(
            commit(voters[0], alliance, 1, &params(1), 10),
            Err(Error::<Test>::NotAProposer.into())
        );
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        assert_eq!(
            commit(p, alliance, 1, &params(2), 10),
            Err(Error::<Test>::DuplicateUpdate.into())
        );
        run_to_block(9);
        assert_eq!(
            commit(proposers[1], alliance, 1, &params(1), 10),
            Err(Error::<Test>::CommitWindowClosed.into())
        );
    });
}

#[test]
fn worker_calls_need_a_registered_worker_and_its_signature() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        let commitment = seal(&(&params(1), 1), &SALT, &acc(p));
        let payload = UpdateCommitment { worker: worker(p), alliance, round: 1, commitment };
        let forged = sign(20, CallKind::CommitUpdate, &payload);
        let call = crate::Call::<Test>::commit_update {
            payload: payload.clone(),
            signature: forged.clone(),
        };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Alliance(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        let stranger = UpdateCommitment { worker: worker(20), alliance, round: 1, commitment };
        let signature = sign(20, CallKind::CommitUpdate, &stranger);
        let call = crate::Call::<Test>::commit_update { payload: stranger, signature };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadSigner)))
        );
        let signature = sign(p, CallKind::CommitUpdate, &payload);
        assert_noop!(
            Alliance::commit_update(RuntimeOrigin::signed(acc(p)), payload, signature),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn reveal_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let (p, q) = (proposers[0], proposers[1]);
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 10),
            Err(Error::<Test>::RevealNotOpen.into())
        );
        run_to_block(9);
        assert_eq!(reveal(q, alliance, 1, &params(1), 10), Err(Error::<Test>::NoCommitment.into()));
        let short: Params = BoundedVec::truncate_from(vec![1; 3]);
        assert_eq!(
            reveal(p, alliance, 1, &short, 10),
            Err(Error::<Test>::WrongParameterCount.into())
        );
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 11),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
        assert_ok!(reveal(p, alliance, 1, &params(1), 10));
        assert_eq!(
            reveal(p, alliance, 1, &params(1), 10),
            Err(Error::<Test>::AlreadyRevealed.into())
        );
        run_to_block(12);
        assert_eq!(reveal(p, alliance, 1, &params(1), 10), Err(Error::<Test>::RevealClosed.into()));
    });
}

#[test]
fn ballot_commit_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (p, v) = (proposers[0], voters[0]);
        assert_ok!(commit(p, alliance, 1, &params(1), 10));
        run_to_block(9);
        assert_ok!(reveal(p, alliance, 1, &params(1), 10));
        assert_eq!(
            commit_ballots(v, alliance, 1, &[(p, true)]),
            Err(Error::<Test>::VoteNotOpen.into())
        );
        run_to_block(12);
        assert_eq!(
            commit_ballots(p, alliance, 1, &[(p, true)]),
            Err(Error::<Test>::NotAVoter.into())
        );
        assert_eq!(
            commit_ballots(v, alliance, 2, &[(p, true)]),
            Err(Error::<Test>::WrongRound.into())
        );
        assert_ok!(commit_ballots(v, alliance, 1, &[(p, true)]));
        assert!(events().contains(&Event::BallotsCommitted { alliance, round: 1, voter: acc(v) }));
        assert_eq!(
            commit_ballots(v, alliance, 1, &[(p, false)]),
            Err(Error::<Test>::AlreadyVoted.into())
        );
        // block 15 ends the vote window before any call of that block
        System::set_block_number(15);
        assert_eq!(
            commit_ballots(voters[1], alliance, 1, &[(p, true)]),
            Err(Error::<Test>::VoteClosed.into())
        );
    });
}

#[test]
fn ballot_reveal_rules() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (p, q, v, w) = (proposers[0], proposers[1], voters[0], voters[1]);
        revealed(alliance, &[p], 1);
        assert_ok!(commit_ballots(v, alliance, 1, &[(p, true)]));
        // Sealed: the chain holds a commitment, no ballot, until the vote window closes.
        assert!(Votes::<Test>::get(alliance, acc(v)).is_none());
        assert_eq!(
            reveal_ballots(v, alliance, 1, &[(p, true)]),
            Err(Error::<Test>::RevealNotOpen.into())
        );
        // Committed ballots naming an update nobody revealed, or one update twice, are
        // refused when they are opened.
        assert_ok!(commit_ballots(w, alliance, 1, &[(q, true)]));
        run_to_block(15);
        assert_eq!(
            reveal_ballots(v, alliance, 1, &[(p, false)]),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
        assert_eq!(
            reveal_ballots(proposers[1], alliance, 1, &[(p, true)]),
            Err(Error::<Test>::NoCommitment.into())
        );
        assert_eq!(
            reveal_ballots(w, alliance, 1, &[(q, true)]),
            Err(Error::<Test>::UnknownUpdate.into())
        );
        assert_eq!(
            reveal_ballots(v, alliance, 2, &[(p, true)]),
            Err(Error::<Test>::WrongRound.into())
        );
        assert_ok!(reveal_ballots(v, alliance, 1, &[(p, true)]));
        assert!(events().contains(&Event::BallotsRevealed {
            alliance,
            round: 1,
            voter: acc(v),
            ballots: 1
        }));
        assert_eq!(
            reveal_ballots(v, alliance, 1, &[(p, true)]),
            Err(Error::<Test>::AlreadyRevealed.into())
        );
        // block 18 ends the ballot reveals (and closes the round) before any call of it
        System::set_block_number(18);
        assert_eq!(
            reveal_ballots(w, alliance, 1, &[(q, true)]),
            Err(Error::<Test>::RevealClosed.into())
        );
    });
}

#[test]
fn repeated_ballots_are_refused() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        let (p, v) = (proposers[0], voters[0]);
        revealed(alliance, &[p], 1);
        assert_ok!(commit_ballots(v, alliance, 1, &[(p, true), (p, false)]));
        run_to_block(15);
        assert_eq!(
            reveal_ballots(v, alliance, 1, &[(p, true), (p, false)]),
            Err(Error::<Test>::DuplicateBallot.into())
        );
    });
}

/// Security review §6: ballots are sealed. A voter's commitment names it (a copied
/// commitment opens for nobody else), and what it committed is the only thing it can reveal.
#[test]
fn a_copied_ballot_commitment_opens_for_nobody_else() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, voters) = started(5, 2, Aggregation::FedAvg);
        let (p, v, copier) = (proposers[0], voters[0], voters[1]);
        revealed(alliance, &[p], 1);
        assert_ok!(commit_ballots(v, alliance, 1, &[(p, false)]));
        let copied = SealedBallots::<Test>::get(alliance, acc(v)).unwrap();
        let payload =
            BallotCommitment { worker: worker(copier), alliance, round: 1, commitment: copied };
        let signature = sign(copier, CallKind::CommitBallots, &payload);
        assert_ok!(worker_call(crate::Call::commit_ballots { payload, signature }));
        run_to_block(15);
        assert_ok!(reveal_ballots(v, alliance, 1, &[(p, false)]));
        // The copier learns the ballots only now, and they do not open its copy.
        assert_eq!(
            reveal_ballots(copier, alliance, 1, &[(p, false)]),
            Err(Error::<Test>::RevealDoesNotMatchCommit.into())
        );
    });
}

/// L4: a worker signs over the chain's genesis hash, so a payload signed for another chain
/// (a testnet where the same key is registered) is refused here.
#[test]
fn a_payload_signed_for_another_chain_is_refused() {
    new_test_ext().execute_with(|| {
        let (alliance, proposers, _) = started(4, 2, Aggregation::FedAvg);
        let p = proposers[0];
        let genesis = starling_primitives::genesis_hash::<Test>();
        let elsewhere = sp_core::H256::repeat_byte(0xab);
        assert_ne!(genesis, elsewhere);
        let commitment = seal(&(&params(1), 10), &SALT, &acc(p));
        let payload = UpdateCommitment { worker: worker(p), alliance, round: 1, commitment };
        assert_ne!(
            signing_message(SIGNING_CONTEXT, &genesis, CallKind::CommitUpdate, &payload),
            signing_message(SIGNING_CONTEXT, &elsewhere, CallKind::CommitUpdate, &payload)
        );
        let replayed = sign_for_chain(elsewhere, p, CallKind::CommitUpdate, &payload);
        let call = crate::Call::<Test>::commit_update {
            payload: payload.clone(),
            signature: replayed.clone(),
        };
        assert_eq!(
            call.authorize(TransactionSource::External),
            Some(Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)))
        );
        assert_noop!(
            RuntimeCall::Alliance(call).dispatch(RawOrigin::Authorized.into()).map_err(|e| e.error),
            Error::<Test>::BadWorkerSignature
        );
        // The same payload signed for this chain goes through.
        let signature = sign(p, CallKind::CommitUpdate, &payload);
        assert_ok!(worker_call(crate::Call::commit_update { payload, signature }));
        assert!(Updates::<Test>::contains_key(alliance, acc(p)));
    });
}

/// L6: a ballot carries the approval bit and nothing the voter measured on its private rows.
#[test]
fn a_ballot_publishes_only_the_approval_bit() {
    new_test_ext().execute_with(|| {
        let ballot = Ballot { proposer: acc(1), approve: false };
        assert_eq!(ballot.encode(), (acc(1), false).encode());
        let (alliance, proposers, voters) = started(4, 2, Aggregation::FedAvg);
        revealed(alliance, &proposers[..1], 1);
        assert_ok!(commit_ballots(voters[0], alliance, 1, &[(proposers[0], true)]));
        run_to_block(15);
        assert_ok!(reveal_ballots(voters[0], alliance, 1, &[(proposers[0], true)]));
        let stored = Votes::<Test>::get(alliance, acc(voters[0])).unwrap();
        assert_eq!(stored.encode(), vec![(acc(proposers[0]), true)].encode());
    });
}
