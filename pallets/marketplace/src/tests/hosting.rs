//! Hosts serving lines.

use super::*;

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

/// The invariant check sees a line whose host count, or whose place in the hosted set,
/// disagrees with its hosts.
#[test]
fn try_state_detects_inconsistent_hosting() {
    new_test_ext().into_inner().execute_with(|| {
        let line = hosted_line();
        assert_ok!(Marketplace::do_try_state());
        Lines::<Test>::mutate(line, |l| l.as_mut().unwrap().hosts = 2);
        assert!(Marketplace::do_try_state().is_err(), "host count above the hosts");
        Lines::<Test>::mutate(line, |l| l.as_mut().unwrap().hosts = 1);
        assert_ok!(Marketplace::do_try_state());
        HostedLines::<Test>::kill();
        assert!(Marketplace::do_try_state().is_err(), "a hosted line outside the hosted set");
    });
}
