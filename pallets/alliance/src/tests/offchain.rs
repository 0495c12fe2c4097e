//! One round run by the participants' off-chain workers with the real engine: proposers
//! train from the global model on their own shards and commit, then reveal; voters score the
//! updates on their own shards and vote; a poisoner's sign-flipped update is
//! rejected and slashed. The engine is the node's demonstration decorator
//! (`starling_ml_engine::demo`), reading its settings from the test's off-chain storage as the
//! node reads them from its database: the runtime itself carries no misbehaviour.

use super::*;

use crate::offchain::SHARD_KEY;
use codec::Encode;
use frame_support::traits::Hooks;
use starling_ml_engine::{
    demo::{Misbehaving, Poison, POISON_KEY},
    Engine,
};
use starling_ml_interface::{HyperParams, MlBackend, Split, TrainRequest};
use starling_test_utils::offchain::OffchainNode;
use std::sync::Arc;

/// A node holding the worker keys of participants 1..=5 (participant `n` on shard `n − 1`
/// of 5), with the real engine. Returns its externalities, the node (its persistent
/// off-chain storage and randomness), and a function that takes the calls its workers
/// submitted.
#[allow(clippy::type_complexity)]
fn node(
) -> (starling_test_utils::CheckedExt, Arc<OffchainNode>, impl Fn() -> Vec<crate::Call<Test>>) {
    let mut ext = new_test_ext();
    let node = Arc::new(OffchainNode::install(&mut ext, 1..=5u8));
    ext.register_extension(Misbehaving::new(Engine::new(None).unwrap(), node.reader()).extension());
    for n in 1..=5u8 {
        node.set(&(SHARD_KEY, worker_account(n)).encode(), &(u16::from(n) - 1, 5u16).encode());
    }
    let harness = node.clone();
    (ext, harness, move || submitted_calls::<crate::Call<Test>>(&node))
}

#[test]
fn participants_train_commit_reveal_and_vote_with_the_engine() {
    let (mut ext, harness, take) = node();
    ext.execute_with(|| {
        let (alliance, proposers, voters) = started(5, 1, Aggregation::FedAvg);
        assert_eq!(proposers.len(), 3);
        // the first proposer poisons its update
        let poisoner = proposers[0];
        harness.set(&(POISON_KEY, worker_account(poisoner)).encode(), &Poison::SignFlip.encode());

        // Not in the block that opened the window: peers may not have it yet.
        Alliance::offchain_worker(6);
        assert!(take().is_empty(), "nothing in the block the round started");
        run_to_block(7);
        Alliance::offchain_worker(7);
        let calls = take();
        assert_eq!(calls.len(), 3, "every proposer commits");
        for call in calls {
            assert!(matches!(call, crate::Call::commit_update { .. }));
            worker_call(call).unwrap();
        }
        run_to_block(10);
        Alliance::offchain_worker(10);
        let calls = take();
        assert_eq!(calls.len(), 3, "every proposer reveals");
        for call in calls {
            worker_call(call).unwrap();
        }
        run_to_block(13);
        Alliance::offchain_worker(13);
        let calls = take();
        assert_eq!(calls.len(), voters.len(), "every voter commits sealed ballots");
        for call in calls {
            assert!(matches!(call, crate::Call::commit_ballots { .. }), "{call:?}");
            worker_call(call).unwrap();
        }
        run_to_block(16);
        Alliance::offchain_worker(16);
        let calls = take();
        assert_eq!(calls.len(), voters.len(), "every voter reveals its ballots");
        for call in calls {
            match &call {
                crate::Call::reveal_ballots { payload, .. } => {
                    assert_eq!(payload.ballots.len(), 3);
                    for ballot in payload.ballots.iter() {
                        assert_eq!(ballot.approve, id(&ballot.proposer) != poisoner, "{ballot:?}");
                    }
                },
                other => panic!("unexpected call {other:?}"),
            }
            worker_call(call).unwrap();
        }
        run_to_block(18);
        let record = History::<Test>::get(alliance, 1).unwrap();
        assert_eq!(record.accepted.len(), 2);
        assert_eq!(record.rejected.iter().map(id).collect::<Vec<_>>(), vec![poisoner]);
        assert!(events().contains(&Event::Slashed {
            alliance,
            round: 1,
            operator: acc(poisoner),
            role: Role::FlParticipant,
            reason: SlashReason::UpdateRejected,
            amount: 100
        }));
        assert_ne!(record.model, params(0), "the global model moved");
    });
}

/// A `label-flip` poisoner's worker proposes what the engine trains from the global model
/// on its shard with the labels mirrored; honest proposers train on the true labels.
#[test]
fn a_label_flipping_participant_proposes_the_model_of_its_flipped_labels() {
    let (mut ext, harness, take) = node();
    ext.execute_with(|| {
        let (alliance, proposers, _) = started(5, 1, Aggregation::FedAvg);
        let poisoner = proposers[0];
        harness.set(&(POISON_KEY, worker_account(poisoner)).encode(), &Poison::LabelFlip.encode());
        Alliance::offchain_worker(7);
        for call in take() {
            worker_call(call).unwrap();
        }
        run_to_block(10);
        Alliance::offchain_worker(10);
        let record = Alliances::<Test>::get(alliance).unwrap();
        let engine = Engine::new(None).unwrap();
        let expected = |n: u8, flip_labels: bool| {
            let dataset = crate::offchain::participant_data(
                &record.spec.data,
                &worker_account(n),
                Split::Train,
            )
            .unwrap();
            let request = TrainRequest {
                family: record.spec.family,
                schema: record.spec.schema,
                dataset,
                init: Some(record.global.clone()),
                hyper: HyperParams { l2: record.spec.proximal, ..HyperParams::default() },
                worker: None,
            };
            let trained = if flip_labels {
                engine.train_on_flipped_labels(&request)
            } else {
                engine.train(request)
            };
            trained.unwrap().params
        };
        let calls = take();
        assert_eq!(calls.len(), 3, "every proposer reveals");
        for call in calls {
            let crate::Call::reveal_update { payload, .. } = &call else {
                panic!("unexpected call {call:?}")
            };
            let n = proposers.iter().copied().find(|n| worker(*n) == payload.worker).unwrap();
            assert_eq!(payload.params, expected(n, n == poisoner), "proposer {n}");
        }
        assert_ne!(expected(poisoner, true), expected(poisoner, false));
    });
}

/// The (worker, commitment) of each sealed update or sealed ballots among `calls`, sorted.
fn sealed(calls: Vec<crate::Call<Test>>) -> Vec<(sp_runtime::MultiSigner, sp_core::H256)> {
    let mut all: Vec<_> = calls
        .into_iter()
        .map(|call| match call {
            crate::Call::commit_update { payload, .. } => (payload.worker, payload.commitment),
            crate::Call::commit_ballots { payload, .. } => (payload.worker, payload.commitment),
            other => panic!("expected a commitment, got {other:?}"),
        })
        .collect();
    all.sort();
    all
}

/// Security review §3: a proposer whose commitment has not landed retries with the kept update
/// and salt. Before, the retry drew a new salt and overwrote the secret, the reveal did not open
/// the commitment that landed, and the honest proposer was rejected and slashed.
#[test]
fn a_retried_update_commitment_is_the_first_one() {
    let (mut ext, harness, take) = node();
    ext.execute_with(|| {
        // A commit window long enough for a retry.
        let alliance = running(5, |s| s.propose_window = 8);
        let commit_end = Alliances::<Test>::get(alliance).unwrap().commit_end;
        Alliance::offchain_worker(7);
        let first = take();
        assert!(!first.is_empty(), "the proposers commit");
        let first_commitments = sealed(first);
        // The transactions do not land; the node's randomness has moved on when it retries.
        harness.set_seed([7; 32]);
        let retry_at = 7 + u64::from(starling_support::agent::RETRY_AFTER);
        assert!(retry_at < commit_end);
        run_to_block(retry_at);
        Alliance::offchain_worker(retry_at);
        let retry = take();
        let retried: Vec<crate::Call<Test>> = retry.clone();
        assert_eq!(sealed(retry), first_commitments);
        for call in retried {
            worker_call(call).unwrap();
        }
        // The reveals open the commitments that landed.
        run_to_block(commit_end + 1);
        Alliance::offchain_worker(commit_end + 1);
        let reveals = take();
        assert_eq!(reveals.len(), first_commitments.len());
        for call in reveals {
            worker_call(call).unwrap();
        }
    });
}

/// A voter whose sealed ballots have not landed retries with the kept ballots and salt, and
/// reveals what it committed; ballots stay sealed until the vote window closes.
#[test]
fn a_retried_ballot_commitment_is_the_first_one() {
    let (mut ext, harness, take) = node();
    ext.execute_with(|| {
        // A vote window long enough for a retry.
        let alliance = running(5, |s| s.vote_window = 8);
        Alliance::offchain_worker(7);
        for call in take() {
            worker_call(call).unwrap();
        }
        let record = Alliances::<Test>::get(alliance).unwrap();
        run_to_block(record.commit_end + 1);
        Alliance::offchain_worker(record.commit_end + 1);
        for call in take() {
            worker_call(call).unwrap();
        }
        run_to_block(record.reveal_end + 1);
        Alliance::offchain_worker(record.reveal_end + 1);
        let first = sealed(take());
        assert_eq!(first.len(), 2, "both voters commit");
        // The transactions do not land; the node's randomness has moved on when it retries.
        harness.set_seed([9; 32]);
        let retry_at = record.reveal_end + 1 + u64::from(starling_support::agent::RETRY_AFTER);
        assert!(retry_at < record.vote_end);
        run_to_block(retry_at);
        Alliance::offchain_worker(retry_at);
        let retry = take();
        assert_eq!(sealed(retry.clone()), first);
        for call in retry {
            worker_call(call).unwrap();
        }
        assert_eq!(Votes::<Test>::iter_prefix(alliance).count(), 0, "sealed until revealed");
        // After the vote window the reveals open the commitments that landed.
        run_to_block(record.vote_end + 1);
        Alliance::offchain_worker(record.vote_end + 1);
        let reveals = take();
        assert_eq!(reveals.len(), 2);
        for call in reveals {
            worker_call(call).unwrap();
        }
        assert_eq!(Votes::<Test>::iter_prefix(alliance).count(), 2);
        run_to_block(record.ballot_end);
        assert!(History::<Test>::get(alliance, 1).is_some());
    });
}
