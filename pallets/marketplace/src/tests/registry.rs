//! Model lines and versions: uploads and results registered from arena and alliance.

use super::*;
use starling_primitives::models::ProducedModel;

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
        let registered = Marketplace::register(ProducedModel {
            source: ModelSource::ArenaTask(2),
            owner: acc(9),
            spec,
            score: Some(1),
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
        let refused = Marketplace::register(ProducedModel {
            source: ModelSource::Alliance(1),
            owner: acc(9),
            spec: model(3),
            score: None,
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
        let registered = Marketplace::register(ProducedModel {
            source: ModelSource::Alliance(3),
            owner: acc(9),
            spec: model(5),
            score: Some(2_800_000_000),
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
        let refused = Marketplace::register(ProducedModel {
            source: ModelSource::ArenaTask(1),
            owner: acc(9),
            spec: misfit,
            score: None,
            creators: vec![],
        });
        assert_eq!(refused, None);
        assert_eq!(NextLineId::<Test>::get(), 1);
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

/// What arena and alliance hand over through `ModelRegistry` becomes version 1 of a new line:
/// origin, owner, the inline parameters, metric and evaluation data, score and creators are
/// kept; creators of weight 0 are dropped.
#[test]
fn a_produced_model_becomes_a_new_line() {
    use starling_primitives::models::ModelRegistry;
    new_test_ext().execute_with(|| {
        let spec = model(4);
        let produced = |source, score| ProducedModel {
            source,
            owner: acc(9),
            spec: spec.clone(),
            score,
            creators: vec![(acc(4), 3), (acc(5), 0), (acc(6), 1)],
        };
        <Marketplace as ModelRegistry<_>>::register(produced(ModelSource::ArenaTask(7), Some(42)));
        <Marketplace as ModelRegistry<_>>::register(produced(ModelSource::Alliance(3), None));
        let arena = Versions::<Test>::get(0, 1).unwrap();
        assert_eq!(arena.source, ModelSource::ArenaTask(7));
        assert_eq!(arena.source_score, Some(42));
        assert_eq!(arena.spec, spec);
        assert_eq!(arena.creators.into_inner(), vec![(acc(4), 3), (acc(6), 1)]);
        assert_eq!(Lines::<Test>::get(0).unwrap().owner, acc(9));
        let alliance = Versions::<Test>::get(1, 1).unwrap();
        assert_eq!(alliance.source, ModelSource::Alliance(3));
        assert_eq!(alliance.source_score, None);
    });
}
