//! The off-chain worker with the real engine: a validator scores the hosted version on its
//! evaluation data, and a host claims with the vouchers its node kept.

use super::*;

use crate::offchain::voucher_key;
use codec::Encode;
use frame_support::traits::Hooks;
use starling_ml_engine::Engine;
use starling_ml_interface::{EvaluateRequest, MlBackend};
use starling_test_utils::offchain::OffchainNode;

#[test]
fn validators_score_hosted_versions_and_hosts_claim_kept_vouchers() {
    let mut ext = new_test_ext();
    let node = OffchainNode::install(&mut ext, [HOST, VALIDATOR]);
    let engine = Engine::new(None).unwrap();
    ext.register_extension(engine.extension());
    let take = || submitted_calls::<crate::Call<Test>>(&node);
    ext.execute_with(|| {
        let line = hosted_line();
        make_operator(VALIDATOR, Role::Validator, 1_000);
        deposit(1, 1_000);
        deposit(2, 1_000);
        // What the host node's RPC kept: user 1's latest voucher, and user 2's that is
        // already claimed.
        assert_ok!(claim_as(HOST, vec![voucher(2, &acc(HOST), line, 4, PRICE)]));
        let kept =
            vec![voucher(1, &acc(HOST), line, 7, PRICE), voucher(2, &acc(HOST), line, 4, PRICE)];
        node.set(&voucher_key(line, &acc(HOST)), &kept.encode());
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
