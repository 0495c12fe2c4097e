//! Emission: each period, a decaying amount is credited to the verified tasks still running,
//! pro rata to their trainer weight, and the alliances' share handed to
//! [`Config::AllianceEmission`]. Credits are minted only when they are paid out.

use crate::{pallet::*, types::*, OnEmission};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{SaturatedConversion, Saturating};
use starling_primitives::arith::distribute;

impl<T: Config> Pallet<T> {
    /// Runs at every block; acts at period boundaries only.
    pub(crate) fn emission_tick(now: BlockNumberFor<T>) -> Weight {
        let params = Parameters::<T>::get().emission;
        let period: u64 = params.period.saturated_into();
        let at_boundary = now.saturated_into::<u64>().checked_rem(period) == Some(0);
        if !at_boundary {
            return Weight::zero();
        }
        let mut state = Emission::<T>::get();
        if !state.started {
            state.per_period = params.initial_per_period;
            state.started = true;
        }
        let amount: u128 = params.arena_share.mul_floor(state.per_period).saturated_into();
        let to_alliances = state.per_period.saturating_sub(amount.saturated_into());
        let alliance_weight = T::AllianceEmission::on_emission(to_alliances);
        let active = ActiveTasks::<T>::get();
        let eligible: Vec<(TaskId, u128)> = active
            .iter()
            .filter_map(|task| {
                let record = Tasks::<T>::get(task)?;
                let running = matches!(
                    record.phase,
                    Phase::Submission | Phase::Reveal | Phase::Scoring | Phase::ScoreReveal
                );
                (record.verified && running && record.trainer_weight > 0)
                    .then_some((*task, record.trainer_weight))
            })
            .collect();
        let weights: Vec<u128> = eligible.iter().map(|(_, w)| *w).collect();
        let (shares, _) = distribute(amount, &weights);
        for ((task, _), share) in eligible.iter().zip(shares) {
            if share == 0 {
                continue;
            }
            let share: BalanceOf<T> = share.saturated_into();
            Tasks::<T>::mutate(task, |record| {
                if let Some(record) = record {
                    record.emission = record.emission.saturating_add(share);
                }
            });
            Self::deposit_event(Event::EmissionAccrued { task: *task, amount: share });
        }
        state.periods_since_decay = state.periods_since_decay.saturating_add(1);
        if params.decay_every > 0 && state.periods_since_decay >= params.decay_every {
            let cut = params.decay.mul_floor(state.per_period);
            state.per_period = state.per_period.saturating_sub(cut);
            state.periods_since_decay = 0;
        }
        Emission::<T>::put(state);
        let touched = active.len() as u64;
        T::DbWeight::get()
            .reads_writes(touched.saturating_add(2), touched.saturating_add(1))
            .saturating_add(alliance_weight)
    }
}
