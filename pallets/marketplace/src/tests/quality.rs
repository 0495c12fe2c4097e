//! Validators report the quality of hosted versions.

use super::*;

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
