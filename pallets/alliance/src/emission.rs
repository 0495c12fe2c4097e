//! The alliances' share of Starling's emission. The arena keeps the one schedule
//! (`starling_primitives::emission`) and hands this pallet the alliances' part of every period
//! through its [`EmissionRecipient`] implementation (the runtime names this pallet as the
//! arena's `AllianceEmission`).
//!
//! Each period's amount is credited to the alliances in their rounds, pro rata to their
//! participant count. A credit is minted only when it is paid: at each round close that has
//! someone to pay, `credit / rounds left` is minted into the creator's reward-pool hold and
//! paid out with the round's reward. What of it the round could not pay is burned again and
//! stays credited; a credit never paid (a cancelled alliance, rounds without payees) is never
//! minted, so total issuance grows only by emission that reached participants.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Mutate, MutateHold},
        tokens::{Fortitude, Precision},
        Defensive,
    },
};
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};
use starling_primitives::emission::{credit_pro_rata, EmissionRecipient};

/// The alliances' part of a period goes to the alliances in their rounds, pro rata to their
/// participant count.
impl<T: Config> EmissionRecipient<BalanceOf<T>> for Pallet<T> {
    fn accrue(amount: BalanceOf<T>) -> Weight {
        let active = ActiveAlliances::<T>::get();
        let running: Vec<(AllianceId, u128)> = active
            .iter()
            .filter_map(|id| {
                let record = Alliances::<T>::get(id)?;
                (record.phase == Phase::Round).then_some((*id, record.members.len() as u128))
            })
            .collect();
        let mut credited = 0u64;
        credit_pro_rata(amount.saturated_into(), &running, |alliance, share| {
            let amount: BalanceOf<T> = share.saturated_into();
            Alliances::<T>::mutate(alliance, |record| {
                if let Some(record) = record {
                    record.emission = record.emission.saturating_add(amount);
                }
            });
            credited = credited.saturating_add(1);
            Self::deposit_event(Event::EmissionAccrued { alliance: *alliance, amount });
        });
        let read = (active.len() as u64).saturating_add(1);
        T::DbWeight::get().reads_writes(read, credited)
    }
}

impl<T: Config> Pallet<T> {
    /// Mints this round's part of the alliance's credit (`credit / rounds_left`) into the
    /// creator's reward-pool hold, adding it to `record.pool`; returns what was minted.
    pub(crate) fn mint_round_emission(
        alliance: AllianceId,
        record: &mut AllianceOf<T>,
        rounds_left: u32,
    ) -> u128 {
        let credit: u128 = record.emission.saturated_into();
        let part = credit.checked_div(u128::from(rounds_left)).unwrap_or_default();
        if part == 0 {
            return 0;
        }
        let amount: BalanceOf<T> = part.saturated_into();
        // Mint and hold together, or neither: a mint whose hold fails is undone with it.
        let minted = frame_support::storage::with_storage_layer(|| {
            let minted = T::Currency::mint_into(&record.creator, amount)?;
            T::Currency::hold(&HoldReason::RewardPool.into(), &record.creator, minted)?;
            Ok::<_, DispatchError>(minted)
        });
        let minted = match minted {
            Ok(minted) => minted,
            Err(error) => {
                Self::deposit_event(Event::EmissionNotMinted {
                    alliance,
                    round: record.round,
                    amount,
                    error,
                });
                return 0;
            },
        };
        record.pool = record.pool.saturating_add(minted);
        record.emission = record.emission.saturating_sub(minted);
        Self::deposit_event(Event::EmissionMinted {
            alliance,
            round: record.round,
            amount: minted,
        });
        minted.saturated_into()
    }

    /// Burns the part of this round's minted emission that was not paid (`unpaid`, capped at
    /// `minted`) from the creator's hold and credits it back; returns what was burned.
    pub(crate) fn unmint_round_emission(
        record: &mut AllianceOf<T>,
        minted: u128,
        unpaid: u128,
    ) -> u128 {
        let back: BalanceOf<T> = minted.min(unpaid).saturated_into();
        if back.is_zero() {
            return 0;
        }
        // The hold still has this round's unpaid reward, at least `back`: burning it exactly
        // cannot fail (by force, so that a freeze on the creator cannot keep the mint).
        let burned = T::Currency::burn_held(
            &HoldReason::RewardPool.into(),
            &record.creator,
            back,
            Precision::Exact,
            Fortitude::Force,
        )
        .defensive_unwrap_or_default();
        record.pool = record.pool.saturating_sub(burned);
        record.emission = record.emission.saturating_add(burned);
        burned.saturated_into()
    }
}
