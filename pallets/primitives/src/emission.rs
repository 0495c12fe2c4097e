//! Emission: one schedule, one split across its recipients, and the trait each recipient
//! implements (the shape of subtensor's `coinbase/`: the schedule decides how much each
//! recipient gets, each recipient decides which of its items earned it).
//!
//! Every period the schedule's `per_period` is split between the arena's verified tasks
//! (`arena_share`) and the FL alliances (the rest), and `per_period` falls by `decay` every
//! `decay_every` periods ([`next_period`], pure and property-tested). Each recipient credits its
//! part to its running items in proportion to their weight ([`credit_pro_rata`]); a credit is
//! minted only when it is paid out, so total issuance grows only by emission that reached
//! participants.

use crate::arith::distribute;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::weights::Weight;
use scale_info::TypeInfo;
use sp_arithmetic::Perbill;
use sp_runtime::traits::AtLeast32BitUnsigned;

/// Takes part of each emission period and credits it to its running work.
pub trait EmissionRecipient<Balance> {
    /// Credits `amount`, this period's part, to the recipient's running items in proportion
    /// to their weight; returns the weight used. Nothing is minted here.
    fn accrue(amount: Balance) -> Weight;
}

impl<Balance> EmissionRecipient<Balance> for () {
    fn accrue(_: Balance) -> Weight {
        Weight::zero()
    }
}

/// The governance-set emission schedule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct EmissionParams<Balance, BlockNumber> {
    /// Emission of one period at the start (before any decay).
    pub initial_per_period: Balance,
    /// Length of a period, in blocks (0 switches emission off).
    pub period: BlockNumber,
    /// Reduction applied every `decay_every` periods.
    pub decay: Perbill,
    /// Number of periods between two reductions (0: never).
    pub decay_every: u32,
    /// Part of each period's emission that goes to verified arena tasks; the FL alliances get
    /// the rest.
    pub arena_share: Perbill,
}

/// Where the schedule stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub struct EmissionState<Balance> {
    /// Emission of the current period.
    pub per_period: Balance,
    /// Periods elapsed since the last reduction.
    pub periods_since_decay: u32,
    /// Whether `per_period` was initialised from the parameters.
    pub started: bool,
}

/// One period of the schedule: what each recipient gets, and the state after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Period<Balance> {
    /// The arena's verified tasks' part.
    pub to_arena: Balance,
    /// The FL alliances' part (`per_period − to_arena`: nothing is lost to rounding).
    pub to_alliances: Balance,
    /// The schedule after this period (decayed when it is due).
    pub next: EmissionState<Balance>,
}

/// The period that starts now, from the schedule's state and parameters. Pure.
pub fn next_period<Balance: AtLeast32BitUnsigned + Copy, BlockNumber>(
    state: EmissionState<Balance>,
    params: &EmissionParams<Balance, BlockNumber>,
) -> Period<Balance> {
    let mut next = state;
    if !next.started {
        next.per_period = params.initial_per_period;
        next.started = true;
    }
    let per_period = next.per_period;
    let to_arena = params.arena_share.mul_floor(per_period);
    let to_alliances = per_period.saturating_sub(to_arena);
    next.periods_since_decay = next.periods_since_decay.saturating_add(1);
    if params.decay_every > 0 && next.periods_since_decay >= params.decay_every {
        next.per_period = per_period.saturating_sub(params.decay.mul_floor(per_period));
        next.periods_since_decay = 0;
    }
    Period { to_arena, to_alliances, next }
}

/// Splits `amount` across `items` in proportion to their weights and calls `credit` for each
/// non-zero share; returns what was credited (the rounding dust is never minted).
pub fn credit_pro_rata<Id>(
    amount: u128,
    items: &[(Id, u128)],
    mut credit: impl FnMut(&Id, u128),
) -> u128 {
    let weights: Vec<u128> = items.iter().map(|(_, w)| *w).collect();
    let (shares, _dust) = distribute(amount, &weights);
    let mut credited = 0u128;
    for ((id, _), share) in items.iter().zip(shares) {
        if share > 0 {
            credit(id, share);
            credited = credited.saturating_add(share);
        }
    }
    credited
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;
    use proptest::prelude::*;

    fn params(initial: u128, share: u32, decay: u32, every: u32) -> EmissionParams<u128, u32> {
        EmissionParams {
            initial_per_period: initial,
            period: 10,
            decay: Perbill::from_percent(decay),
            decay_every: every,
            arena_share: Perbill::from_percent(share),
        }
    }

    #[test]
    fn the_first_period_starts_from_the_parameters_and_decays_when_due() {
        let p = params(1_000, 70, 10, 2);
        let first = next_period(EmissionState::default(), &p);
        assert_eq!((first.to_arena, first.to_alliances), (700, 300));
        assert_eq!(
            first.next,
            EmissionState { per_period: 1_000, periods_since_decay: 1, started: true }
        );
        let second = next_period(first.next, &p);
        assert_eq!((second.to_arena, second.to_alliances), (700, 300));
        assert_eq!(
            second.next,
            EmissionState { per_period: 900, periods_since_decay: 0, started: true }
        );
        let third = next_period(second.next, &p);
        assert_eq!((third.to_arena, third.to_alliances), (630, 270));
    }

    #[test]
    fn credit_skips_zero_shares_and_keeps_the_dust() {
        let mut seen = Vec::new();
        let credited =
            credit_pro_rata(10, &[(1u32, 1), (2, 0), (3, 2)], |id, s| seen.push((*id, s)));
        assert_eq!(seen, vec![(1, 3), (3, 6)]);
        assert_eq!(credited, 9);
        assert_eq!(credit_pro_rata(10, &[] as &[(u32, u128)], |_, _| unreachable!()), 0);
    }

    proptest! {
        /// Every period hands out exactly `per_period`, and the schedule never grows.
        #[test]
        fn a_period_is_split_whole_and_never_grows(
            initial in 0u128..1_000_000_000_000,
            share in 0u32..=100,
            decay in 0u32..=100,
            every in 0u32..5,
            periods in 1usize..20,
        ) {
            let p = params(initial, share, decay, every);
            let mut state = EmissionState::default();
            let mut last = initial;
            for _ in 0..periods {
                let period = next_period(state, &p);
                prop_assert_eq!(period.to_arena + period.to_alliances, state_per_period(state, &p));
                prop_assert!(period.next.per_period <= last);
                last = period.next.per_period;
                state = period.next;
            }
        }

        /// What is credited never exceeds the amount, and is short of it only by rounding
        /// (less than one unit per item) or when no item has weight.
        #[test]
        fn credits_are_conserved(
            amount in 0u128..1_000_000_000_000,
            weights in proptest::collection::vec(0u128..1_000_000, 0..20),
        ) {
            let items: Vec<(usize, u128)> = weights.iter().copied().enumerate().collect();
            let mut sum = 0u128;
            let credited = credit_pro_rata(amount, &items, |_, s| sum += s);
            prop_assert_eq!(credited, sum);
            prop_assert!(credited <= amount);
            if weights.iter().any(|w| *w > 0) {
                prop_assert!(amount - credited < weights.len() as u128);
            } else {
                prop_assert_eq!(credited, 0);
            }
        }
    }

    fn state_per_period(state: EmissionState<u128>, p: &EmissionParams<u128, u32>) -> u128 {
        if state.started {
            state.per_period
        } else {
            p.initial_per_period
        }
    }
}
