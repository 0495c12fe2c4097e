//! Settlement: an outcome, computed purely by a product pallet (who is paid how much, who is
//! slashed how much and why), applied once through staking.
//!
//! Arena finalisation (`pallets/arena/src/outcome.rs`) and the alliance's round close
//! (`pallets/alliance/src/tally.rs`) decide; [`apply`] moves the money. Every payment goes to
//! the operator's staking pool (its delegators share it) and every slash is cut from that pool
//! through [`StakingInterface::slash`], dated at the offence. A payment that cannot be made
//! (the operator left its role, say) is reported, never dropped silently: what happens to the
//! unpaid amount is the payer's rule (the arena forfeits it to the treasury; the alliance keeps
//! it in the pool for later rounds).

use alloc::vec::Vec;
use sp_runtime::{
    traits::{SaturatedConversion, UniqueSaturatedInto, Zero},
    DispatchError, Perbill,
};
use starling_primitives::{staking::StakingInterface, Role, SlashReason};

/// `amount` to `operator`'s staking pool for its work in `role`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Payment<AccountId> {
    /// Who is paid.
    pub operator: AccountId,
    /// The role it is paid in.
    pub role: Role,
    /// How much.
    pub amount: u128,
}

/// `fraction` of `operator`'s pool in `role`, cut for `reason`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Slash<AccountId> {
    /// Who is slashed.
    pub operator: AccountId,
    /// The role whose pool is cut.
    pub role: Role,
    /// How much of the pool.
    pub fraction: Perbill,
    /// Why (named in the `Slashed` event).
    pub reason: SlashReason,
}

/// An outcome: who is paid and who is slashed. Built purely; applied by [`apply`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Settlement<AccountId> {
    /// Payments, in the order they are made.
    pub payments: Vec<Payment<AccountId>>,
    /// Slashes, in the order they are cut.
    pub slashes: Vec<Slash<AccountId>>,
}

impl<AccountId> Default for Settlement<AccountId> {
    fn default() -> Self {
        Self { payments: Vec::new(), slashes: Vec::new() }
    }
}

/// What applying one item of a [`Settlement`] did; the pallet turns it into its event.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Settled<'a, AccountId, Balance> {
    /// `amount` reached the operator's pool.
    Rewarded {
        /// The payment.
        payment: &'a Payment<AccountId>,
        /// What was paid.
        amount: Balance,
    },
    /// The payment was not made; its amount stays with the payer.
    NotPaid {
        /// The payment.
        payment: &'a Payment<AccountId>,
        /// Why staking or the payer refused it.
        error: DispatchError,
    },
    /// The pool was cut by `amount`.
    Slashed {
        /// The slash.
        slash: &'a Slash<AccountId>,
        /// What was cut.
        amount: Balance,
    },
}

/// What [`apply`] did, item by item (in the settlement's order) and in total.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Applied<Balance> {
    /// What each payment paid (0 where it was not made).
    pub paid: Vec<u128>,
    /// What each slash cut.
    pub slashed: Vec<Balance>,
    /// Sum of `paid`.
    pub total_paid: u128,
    /// What the payments did not pay (`Σ amounts − total_paid`): the payer still holds it.
    pub unpaid: u128,
}

/// Applies `settlement` once: each payment through `pay` (the payer's funding and staking's
/// reward, all or nothing), then each slash through `S::slash` dated at `offence_at`. Every
/// item is reported to `report`, so that the pallet names it in its events. Zero payments are
/// skipped (neither made nor reported).
pub fn apply<'a, AccountId, S: StakingInterface<AccountId>>(
    settlement: &'a Settlement<AccountId>,
    offence_at: S::BlockNumber,
    mut pay: impl FnMut(&Payment<AccountId>) -> Result<S::Balance, DispatchError>,
    mut report: impl FnMut(Settled<'a, AccountId, S::Balance>),
) -> Applied<S::Balance>
where
    S::Balance: UniqueSaturatedInto<u128> + Zero + Copy,
    S::BlockNumber: Copy,
{
    let mut applied = Applied { paid: Vec::new(), slashed: Vec::new(), total_paid: 0, unpaid: 0 };
    for payment in &settlement.payments {
        let paid: u128 = if payment.amount == 0 {
            0
        } else {
            match pay(payment) {
                Ok(amount) => {
                    if !amount.is_zero() {
                        report(Settled::Rewarded { payment, amount });
                    }
                    amount.saturated_into::<u128>()
                },
                Err(error) => {
                    report(Settled::NotPaid { payment, error });
                    0
                },
            }
        };
        applied.paid.push(paid);
        applied.total_paid = applied.total_paid.saturating_add(paid);
        applied.unpaid = applied.unpaid.saturating_add(payment.amount.saturating_sub(paid));
    }
    for slash in &settlement.slashes {
        let amount =
            S::slash(&slash.operator, slash.role, slash.fraction, slash.reason, offence_at);
        report(Settled::Slashed { slash, amount });
        applied.slashed.push(amount);
    }
    applied
}
