//! Emission: the arena keeps the one schedule (`starling_primitives::emission`). At each
//! period boundary it takes the period's split, credits its own part to the verified tasks
//! still running, pro rata to their trainer weight, and hands the alliances' part to
//! [`Config::AllianceEmission`]. Credits are minted only when they are paid out.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{SaturatedConversion, Saturating};
use starling_primitives::emission::{credit_pro_rata, next_period, EmissionRecipient};

impl<T: Config> Pallet<T> {
    /// Runs at every block; acts at period boundaries only.
    pub(crate) fn emission_tick(now: BlockNumberFor<T>) -> Weight {
        let params = Parameters::<T>::get().emission;
        let period: u64 = params.period.saturated_into();
        let at_boundary = now.saturated_into::<u64>().checked_rem(period) == Some(0);
        if !at_boundary {
            return Weight::zero();
        }
        let split = next_period(Emission::<T>::get(), &params);
        Emission::<T>::put(split.next);
        let to_alliances = T::AllianceEmission::accrue(split.to_alliances);
        let to_tasks = <Self as EmissionRecipient<BalanceOf<T>>>::accrue(split.to_arena);
        T::DbWeight::get().reads_writes(2, 1).saturating_add(to_tasks).saturating_add(to_alliances)
    }
}

/// The arena's part of a period goes to the verified tasks still running, pro rata to their
/// trainer weight.
impl<T: Config> EmissionRecipient<BalanceOf<T>> for Pallet<T> {
    fn accrue(amount: BalanceOf<T>) -> Weight {
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
        let mut credited = 0u64;
        credit_pro_rata(amount.saturated_into(), &eligible, |task, share| {
            let share: BalanceOf<T> = share.saturated_into();
            Tasks::<T>::mutate(task, |record| {
                if let Some(record) = record {
                    record.emission = record.emission.saturating_add(share);
                }
            });
            credited = credited.saturating_add(1);
            Self::deposit_event(Event::EmissionAccrued { task: *task, amount: share });
        });
        let touched = active.len() as u64;
        T::DbWeight::get().reads_writes(touched.saturating_add(1), credited)
    }
}
