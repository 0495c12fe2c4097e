//! The registry: model lines, their versions, uploads and the results the arena and the
//! alliance hand over.

use crate::{pallet::*, types::*, WeightInfo};
use frame_support::{ensure, weights::Weight, BoundedVec};
use sp_runtime::{DispatchError, DispatchResult};
use starling_ml_interface::DatasetRef;
use starling_primitives::{
    models::{ModelRegistry, ProducedModel},
    staking::StakingInterface,
    Role,
};

/// Whether evaluation data is public: a built-in dataset every node holds. A local dataset is
/// private to the nodes whose manifest lists it, and its scores would leak its rows.
fn is_public(eval: &DatasetRef) -> bool {
    match eval {
        DatasetRef::BuiltIn { .. } => true,
        DatasetRef::Local { .. } => false,
    }
}

impl<T: Config> Pallet<T> {
    /// An upload by a staked account: a new line (`line` = `None`) or a new version of a line
    /// the uploader owns. Returns `(line, version)`.
    pub(crate) fn do_upload(
        who: T::AccountId,
        line: Option<LineId>,
        spec: ModelSpec,
    ) -> Result<(LineId, VersionId), DispatchError> {
        ensure!(Role::ALL.iter().any(|r| T::Staking::is_active(&who, *r)), Error::<T>::NotStaked);
        Self::check_spec(&spec)?;
        if let Some(line) = line {
            let record = Lines::<T>::get(line).ok_or(Error::<T>::LineNotFound)?;
            ensure!(record.owner == who, Error::<T>::NotLineOwner);
            let latest =
                Versions::<T>::get(line, record.latest).ok_or(Error::<T>::VersionNotFound)?;
            ensure!(
                latest.spec.family == spec.family && latest.spec.schema == spec.schema,
                Error::<T>::IncompatibleVersion
            );
        }
        let creators = BoundedVec::truncate_from(alloc::vec![(who.clone(), 1u32)]);
        Self::insert_version(line, who, ModelSource::Upload, spec, None, creators)
    }

    /// Registers a model from the arena or the alliance as version 1 of a new line. A model
    /// whose family and schema do not fit, or whose parameters have the wrong length, is
    /// refused (returns `None`): the sources check both, so this only guards the wiring. So
    /// is a model when every line id is used. Evaluation data naming a local dataset is
    /// dropped (the model is registered without it): validators would publish scores on
    /// their private rows.
    pub fn register(model: ProducedModel<T::AccountId>) -> Option<(LineId, VersionId)> {
        let mut spec = model.spec;
        if spec.eval.as_ref().is_some_and(|eval| !is_public(eval)) {
            log::warn!(
                target: crate::offchain::LOG_TARGET,
                "{:?}: evaluation data is a local dataset; registered without it",
                model.source
            );
            spec.eval = None;
        }
        if Self::check_spec(&spec).is_err() {
            log::warn!(
                target: crate::offchain::LOG_TARGET,
                "{:?}: model does not fit its schema; not registered",
                model.source
            );
            return None;
        }
        let creators: BoundedVec<(T::AccountId, u32), _> = BoundedVec::truncate_from(
            model.creators.into_iter().filter(|(_, weight)| *weight > 0).collect(),
        );
        let source = model.source;
        Self::insert_version(None, model.owner, source, spec, model.score, creators)
            .inspect_err(|error| {
                log::warn!(
                    target: crate::offchain::LOG_TARGET,
                    "{source:?}: model not registered: {error:?}"
                );
            })
            .ok()
    }

    fn check_spec(spec: &ModelSpec) -> DispatchResult {
        let count =
            spec.family.param_count(spec.schema).ok_or(Error::<T>::FamilyDoesNotFitSchema)?;
        ensure!(spec.metric.fits(spec.schema.label), Error::<T>::FamilyDoesNotFitSchema);
        if let ModelData::Inline(params) = &spec.data {
            ensure!(params.len() as u32 == count, Error::<T>::WrongParameterCount);
        }
        ensure!(spec.eval.as_ref().is_none_or(is_public), Error::<T>::EvaluationDataMustBePublic);
        Ok(())
    }

    /// Appends a version to `line`, or starts a new line owned by `owner`. Fails, changing
    /// nothing, when the line's version numbers or the line ids are used up (an id is never
    /// reused: that would overwrite a record).
    fn insert_version(
        line: Option<LineId>,
        owner: T::AccountId,
        source: ModelSource,
        spec: ModelSpec,
        source_score: Option<i64>,
        creators: Creators<T::AccountId>,
    ) -> Result<(LineId, VersionId), DispatchError> {
        let (line, version) = match line.and_then(|l| Lines::<T>::get(l).map(|r| (l, r))) {
            Some((line, mut record)) => {
                let version =
                    record.latest.checked_add(1).ok_or(Error::<T>::VersionIdsExhausted)?;
                record.latest = version;
                Lines::<T>::insert(line, record);
                (line, version)
            },
            None => {
                let line = NextLineId::<T>::get();
                let next = line.checked_add(1).ok_or(Error::<T>::LineIdsExhausted)?;
                NextLineId::<T>::put(next);
                Lines::<T>::insert(line, ModelLine { owner: owner.clone(), latest: 1, hosts: 0 });
                (line, 1)
            },
        };
        let params_hash = spec.data.params_hash();
        Versions::<T>::insert(
            line,
            version,
            ModelVersion {
                source,
                spec,
                params_hash,
                source_score,
                creators,
                created_at: frame_system::Pallet::<T>::block_number(),
            },
        );
        Self::deposit_event(Event::VersionRegistered { line, version, source, owner, params_hash });
        Ok((line, version))
    }

    /// The version `host` serves of `line`: its pin, else the line's latest.
    pub fn served_version(line: LineId, hosting: &Hosting<BalanceOf<T>>) -> Option<VersionId> {
        hosting.pinned.or_else(|| Lines::<T>::get(line).map(|l| l.latest))
    }

    /// What `host`'s node needs to serve `line`, if it hosts it.
    pub fn serving(line: LineId, host: &T::AccountId) -> Option<Serving<BalanceOf<T>>> {
        let hosting = Hosts::<T>::get(line, host)?;
        let version = Self::served_version(line, &hosting)?;
        let record = Versions::<T>::get(line, version)?;
        Some(Serving {
            version,
            family: record.spec.family,
            schema: record.spec.schema,
            params: record.spec.data.inline().cloned(),
            price: hosting.price,
        })
    }

    /// The newest version of `line`.
    pub fn latest_version(line: LineId) -> Option<(VersionId, ModelVersionOf<T>)> {
        let latest = Lines::<T>::get(line)?.latest;
        Versions::<T>::get(line, latest).map(|v| (latest, v))
    }
}

/// The marketplace takes the models the arena and the alliance produce (the runtime names it as
/// their `Models`): each becomes version 1 of a new line, through [`Pallet::register`].
impl<T: Config> ModelRegistry<T::AccountId> for Pallet<T> {
    fn register(model: ProducedModel<T::AccountId>) {
        // `register` logs a model it refuses; producing it already settled every payment.
        Pallet::<T>::register(model);
    }

    fn register_weight() -> Weight {
        T::WeightInfo::upload_version()
    }
}
