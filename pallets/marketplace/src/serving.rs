//! Hosting, escrow, vouchers and payment, the free tier, quality reports and parameters.

use crate::{math, pallet::*, types::*, voucher_message};
use alloc::{collections::BTreeSet, vec::Vec};
use frame_support::{
    ensure,
    pallet_prelude::Get,
    storage::with_storage_layer,
    traits::{
        fungible::{Inspect, MutateHold},
        tokens::{DepositConsequence, Fortitude, Precision, Provenance, Restriction},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{SaturatedConversion, Saturating, Verify, Zero},
    DispatchError, DispatchResult,
};
use starling_primitives::{staking::StakingInterface, Role};

/// What one voucher's payment credited to each party.
struct Paid {
    to_host: u128,
    to_creators: u128,
    to_treasury: u128,
}

impl<T: Config> Pallet<T> {
    pub(crate) fn do_host(
        host: T::AccountId,
        line: LineId,
        price: BalanceOf<T>,
        pinned: Option<VersionId>,
    ) -> DispatchResult {
        ensure!(T::Staking::is_active(&host, Role::ModelHost), Error::<T>::NotAModelHost);
        let mut record = Lines::<T>::get(line).ok_or(Error::<T>::LineNotFound)?;
        let version = pinned.unwrap_or(record.latest);
        let served = Versions::<T>::get(line, version).ok_or(Error::<T>::VersionNotFound)?;
        ensure!(served.spec.data.inline().is_some(), Error::<T>::NotServable);
        let params = Parameters::<T>::get();
        ensure!(!price.is_zero() && price <= params.max_price, Error::<T>::InvalidPrice);
        ensure!(!Hosts::<T>::contains_key(line, &host), Error::<T>::AlreadyHosting);
        ensure!(record.hosts < T::MaxHostsPerLine::get(), Error::<T>::TooManyHosts);
        if record.hosts == 0 {
            HostedLines::<T>::try_mutate(|lines| lines.try_push(line))
                .map_err(|_| Error::<T>::TooManyHostedLines)?;
        }
        record.hosts = record.hosts.saturating_add(1);
        Lines::<T>::insert(line, record);
        Hosts::<T>::insert(line, &host, Hosting { price, pinned });
        Self::deposit_event(Event::Hosted { line, host, price, pinned });
        Ok(())
    }

    pub(crate) fn do_unhost(host: T::AccountId, line: LineId) -> DispatchResult {
        ensure!(Hosts::<T>::contains_key(line, &host), Error::<T>::NotHosting);
        Hosts::<T>::remove(line, &host);
        if let Some(mut record) = Lines::<T>::get(line) {
            record.hosts = record.hosts.saturating_sub(1);
            if record.hosts == 0 {
                HostedLines::<T>::mutate(|lines| lines.retain(|l| *l != line));
            }
            Lines::<T>::insert(line, record);
        }
        Self::deposit_event(Event::Unhosted { line, host });
        Ok(())
    }

    pub(crate) fn do_deposit(user: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        T::Currency::hold(&HoldReason::Escrow.into(), &user, amount)
            .map_err(|_| Error::<T>::InsufficientFunds)?;
        let held = Escrows::<T>::mutate(&user, |escrow| {
            let escrow = escrow.get_or_insert_with(Default::default);
            escrow.held = escrow.held.saturating_add(amount);
            escrow.held
        });
        Self::deposit_event(Event::Deposited { user, amount, held });
        Ok(())
    }

    pub(crate) fn do_request_withdrawal(
        user: T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
        let mut escrow = Escrows::<T>::get(&user).ok_or(Error::<T>::NoEscrow)?;
        ensure!(amount <= escrow.held, Error::<T>::WithdrawalAboveEscrow);
        let unlock_at = frame_system::Pallet::<T>::block_number()
            .saturating_add(Parameters::<T>::get().withdraw_delay);
        escrow.unlocking = amount;
        escrow.unlock_at = unlock_at;
        Escrows::<T>::insert(&user, escrow);
        Self::deposit_event(Event::WithdrawalRequested { user, amount, unlock_at });
        Ok(())
    }

    pub(crate) fn do_withdraw(user: T::AccountId) -> DispatchResult {
        let mut escrow = Escrows::<T>::get(&user).ok_or(Error::<T>::NoEscrow)?;
        ensure!(!escrow.unlocking.is_zero(), Error::<T>::NothingUnlocking);
        ensure!(
            frame_system::Pallet::<T>::block_number() >= escrow.unlock_at,
            Error::<T>::StillLocked
        );
        let amount = escrow.unlocking.min(escrow.held);
        let released =
            T::Currency::release(&HoldReason::Escrow.into(), &user, amount, Precision::BestEffort)?;
        escrow.held = escrow.held.saturating_sub(released);
        escrow.unlocking = Zero::zero();
        if escrow.held.is_zero() {
            Escrows::<T>::remove(&user);
        } else {
            Escrows::<T>::insert(&user, escrow);
        }
        Self::deposit_event(Event::Withdrawn { user, amount: released });
        Ok(())
    }

    /// What a user's escrow can still pay for new calls: what it holds less what is unlocking.
    pub fn spendable(user: &T::AccountId) -> BalanceOf<T> {
        Escrows::<T>::get(user).map(|e| e.held.saturating_sub(e.unlocking)).unwrap_or_default()
    }

    /// Checks a voucher for a claim by `host`: signature, host, hosting, price, new calls, and
    /// that the escrow can pay them (all of the escrow when `whole_escrow`, as a claim may take
    /// what is unlocking; else only what is not unlocking, as a node does before serving).
    /// Returns the new calls and what they cost.
    pub fn check_voucher(
        host: &T::AccountId,
        signed: &SignedVoucherOf<T>,
        whole_escrow: bool,
    ) -> Result<(u64, BalanceOf<T>), VoucherError> {
        let voucher = &signed.voucher;
        let genesis = starling_primitives::genesis_hash::<T>();
        if !signed.signature.verify(&voucher_message(&genesis, voucher)[..], &voucher.user) {
            return Err(VoucherError::BadSignature);
        }
        if voucher.host != *host {
            return Err(VoucherError::ForAnotherHost);
        }
        let hosting = Hosts::<T>::get(voucher.line, host).ok_or(VoucherError::NotHosted)?;
        if hosting.price != voucher.price {
            return Err(VoucherError::PriceMismatch);
        }
        let claimed = Claimed::<T>::get((&voucher.user, host, voucher.line));
        let new_calls = voucher.calls.checked_sub(claimed).filter(|n| *n > 0);
        let new_calls = new_calls.ok_or(VoucherError::AlreadyClaimed)?;
        let cost = math::cost(new_calls, voucher.price.saturated_into())
            .ok_or(VoucherError::BeyondEscrow)?;
        let available = if whole_escrow {
            Escrows::<T>::get(&voucher.user).map(|e| e.held).unwrap_or_default()
        } else {
            Self::spendable(&voucher.user)
        };
        if cost > available.saturated_into::<u128>() {
            return Err(VoucherError::BeyondEscrow);
        }
        Ok((new_calls, cost.saturated_into()))
    }

    /// Validation of a claim: it carries vouchers and at least one of them pays; otherwise
    /// the first voucher's error (what the claim itself would fail with).
    pub(crate) fn check_claim(
        host: &T::AccountId,
        vouchers: &[SignedVoucherOf<T>],
    ) -> DispatchResult {
        let mut first_error = None;
        for signed in vouchers {
            match Self::check_voucher(host, signed, true) {
                Ok(_) => return Ok(()),
                Err(error) => {
                    first_error.get_or_insert(error);
                },
            }
        }
        Err(first_error.map_or(Error::<T>::NoVouchers, Self::error_of).into())
    }

    pub(crate) fn error_of(error: VoucherError) -> Error<T> {
        match error {
            VoucherError::BadSignature => Error::<T>::VoucherBadSignature,
            VoucherError::ForAnotherHost => Error::<T>::VoucherForAnotherHost,
            VoucherError::NotHosted => Error::<T>::VoucherNotHosted,
            VoucherError::PriceMismatch => Error::<T>::VoucherPriceMismatch,
            VoucherError::AlreadyClaimed => Error::<T>::VoucherAlreadyClaimed,
            VoucherError::BeyondEscrow => Error::<T>::VoucherBeyondEscrow,
            VoucherError::PaymentFailed => Error::<T>::VoucherPaymentFailed,
        }
    }

    pub(crate) fn do_claim(host: &T::AccountId, vouchers: &[SignedVoucherOf<T>]) -> DispatchResult {
        ensure!(!vouchers.is_empty(), Error::<T>::NoVouchers);
        let mut first_error = None;
        let mut paid_any = false;
        for signed in vouchers {
            let paid = Self::check_voucher(host, signed, true)
                .and_then(|(calls, cost)| Self::pay(host, &signed.voucher, calls, cost));
            match paid {
                Ok(()) => paid_any = true,
                Err(reason) => {
                    first_error.get_or_insert(reason);
                    Self::deposit_event(Event::VoucherRefused {
                        user: signed.voucher.user.clone(),
                        host: host.clone(),
                        line: signed.voucher.line,
                        reason,
                    });
                },
            }
        }
        match (paid_any, first_error) {
            (false, Some(error)) => Err(Self::error_of(error).into()),
            _ => Ok(()),
        }
    }

    /// Pays a checked voucher's `calls` (costing `cost`) from the user's escrow and splits
    /// it, all or nothing: either the whole cost moves, the claimed calls advance to the
    /// voucher's and the escrow ledger drops by the cost, or nothing changes and the voucher is
    /// refused with [`VoucherError::PaymentFailed`]. The hold is moved by force, so a lock or
    /// freeze on the user's account cannot stop a payment the escrow covers. A part that
    /// cannot be credited to its payee (a new account below the existential deposit) goes to
    /// the treasury instead, so every unit is accounted for.
    fn pay(
        host: &T::AccountId,
        voucher: &VoucherOf<T>,
        calls: u64,
        cost: BalanceOf<T>,
    ) -> Result<(), VoucherError> {
        let line = voucher.line;
        let hosting = Hosts::<T>::get(line, host);
        let version = hosting.and_then(|h| Self::served_version(line, &h)).unwrap_or_default();
        let creators: Vec<(T::AccountId, u32)> =
            Versions::<T>::get(line, version).map(|v| v.creators.into_inner()).unwrap_or_default();
        let params = Parameters::<T>::get();
        let weights: Vec<u32> = creators.iter().map(|(_, w)| *w).collect();
        let split = math::split_payment(
            cost.saturated_into(),
            params.host_share,
            params.creators_share,
            &weights,
        );
        let user = &voucher.user;
        let moved = with_storage_layer(|| -> Result<Paid, DispatchError> {
            let mut to_treasury = split.treasury;
            let to_host = Self::credit_part(user, host, split.host, &mut to_treasury)?;
            let mut to_creators: u128 = 0;
            for ((creator, _), part) in creators.iter().zip(&split.creators) {
                let credited = Self::credit_part(user, creator, *part, &mut to_treasury)?;
                to_creators = to_creators.saturating_add(credited);
            }
            Self::pay_from_escrow(user, &T::Treasury::get(), to_treasury)?;
            Ok(Paid { to_host, to_creators, to_treasury })
        });
        let paid = match moved {
            Ok(paid) => paid,
            Err(error) => {
                log::warn!(
                    target: crate::offchain::LOG_TARGET,
                    "line {line}: a voucher of {user:?} could not be paid: {error:?}"
                );
                return Err(VoucherError::PaymentFailed);
            },
        };
        Claimed::<T>::insert((user, host, line), voucher.calls);
        Escrows::<T>::mutate_exists(user, |escrow| {
            if let Some(e) = escrow {
                e.held = e.held.saturating_sub(cost);
                e.unlocking = e.unlocking.min(e.held);
                if e.held.is_zero() {
                    *escrow = None;
                }
            }
        });
        Self::deposit_event(Event::VoucherPaid {
            user: user.clone(),
            host: host.clone(),
            line,
            version,
            calls,
            amount: cost,
            to_host: paid.to_host.saturated_into(),
            to_creators: paid.to_creators.saturated_into(),
            to_treasury: paid.to_treasury.saturated_into(),
        });
        Ok(())
    }

    /// Pays `amount` of `user`'s escrow to `payee` if `payee` can receive it; otherwise adds
    /// it to `to_treasury` (the treasury is paid last). Returns what `payee` received.
    fn credit_part(
        user: &T::AccountId,
        payee: &T::AccountId,
        amount: u128,
        to_treasury: &mut u128,
    ) -> Result<u128, DispatchError> {
        if amount == 0 {
            return Ok(0);
        }
        let receivable =
            T::Currency::can_deposit(payee, amount.saturated_into(), Provenance::Extant)
                == DepositConsequence::Success;
        if receivable {
            Self::pay_from_escrow(user, payee, amount)?;
            Ok(amount)
        } else {
            *to_treasury = to_treasury.saturating_add(amount);
            Ok(0)
        }
    }

    /// Moves exactly `amount` of `user`'s escrow hold to `to` as free balance, by force: the
    /// escrow was committed to paying hosts, so no lock or freeze of the user may keep it.
    fn pay_from_escrow(user: &T::AccountId, to: &T::AccountId, amount: u128) -> DispatchResult {
        if amount == 0 {
            return Ok(());
        }
        T::Currency::transfer_on_hold(
            &HoldReason::Escrow.into(),
            user,
            to,
            amount.saturated_into(),
            Precision::Exact,
            Restriction::Free,
            Fortitude::Force,
        )
        .map(|_| ())
    }

    /// The current quality period.
    pub fn quality_period() -> u32 {
        Self::period_of(Parameters::<T>::get().quality_period)
    }

    /// The index of the current period of `length` blocks (0 for a zero length).
    fn period_of(length: BlockNumberFor<T>) -> u32 {
        let now: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
        let length: u64 = length.saturated_into();
        now.checked_div(length).unwrap_or(0).saturated_into()
    }

    /// The versions of `line` its hosts serve (at most `MaxHostsPerLine` hosts are read).
    pub fn served_versions(line: LineId) -> BTreeSet<VersionId> {
        Hosts::<T>::iter_prefix(line)
            .filter_map(|(_, hosting)| Self::served_version(line, &hosting))
            .collect()
    }

    /// Whether some host serves `version` of `line`.
    pub fn is_served(line: LineId, version: VersionId) -> bool {
        Self::served_versions(line).contains(&version)
    }

    pub(crate) fn check_report_quality(
        validator: &T::AccountId,
        payload: &crate::worker::QualityPayload<T::Public>,
    ) -> DispatchResult {
        ensure!(T::Staking::is_active(validator, Role::Validator), Error::<T>::NotAValidator);
        ensure!(Lines::<T>::contains_key(payload.line), Error::<T>::LineNotFound);
        let version =
            Versions::<T>::get(payload.line, payload.version).ok_or(Error::<T>::VersionNotFound)?;
        ensure!(Self::is_served(payload.line, payload.version), Error::<T>::VersionNotHosted);
        ensure!(version.spec.eval.is_some(), Error::<T>::NoEvaluationData);
        let period = Self::quality_period();
        ensure!(payload.period == period, Error::<T>::WrongPeriod);
        let last = Quality::<T>::get((payload.line, payload.version), validator);
        ensure!(last.is_none_or(|r| r.period != period), Error::<T>::AlreadyReported);
        Ok(())
    }

    pub(crate) fn do_report_quality(
        validator: &T::AccountId,
        payload: &crate::worker::QualityPayload<T::Public>,
    ) -> DispatchResult {
        Self::check_report_quality(validator, payload)?;
        Quality::<T>::insert(
            (payload.line, payload.version),
            validator,
            QualityReport {
                score: payload.score,
                rows: payload.rows,
                period: payload.period,
                at: frame_system::Pallet::<T>::block_number(),
            },
        );
        Self::deposit_event(Event::QualityReported {
            line: payload.line,
            version: payload.version,
            validator: validator.clone(),
            score: payload.score,
            rows: payload.rows,
        });
        Ok(())
    }

    /// Free calls per free-tier period for `user`, from what it has bonded in staking: none
    /// when it has nothing bonded (see [`math::free_calls`]).
    pub fn free_calls(user: &T::AccountId) -> u32 {
        let params = Parameters::<T>::get();
        math::free_calls(
            T::Staking::bonded_of(user).saturated_into(),
            params.free_base_calls,
            params.free_calls_per_unit,
            params.free_stake_unit.saturated_into(),
            params.free_max_calls,
        )
    }

    /// The current free-tier period.
    pub fn free_period() -> u32 {
        Self::period_of(Parameters::<T>::get().free_period)
    }

    pub(crate) fn do_set_params(params: MarketParamsOf<T>) -> DispatchResult {
        let shares =
            params.host_share.deconstruct().saturating_add(params.creators_share.deconstruct());
        ensure!(
            shares <= sp_runtime::Perbill::one().deconstruct()
                && !params.free_period.is_zero()
                && !params.quality_period.is_zero()
                && !params.max_price.is_zero(),
            Error::<T>::InvalidParams
        );
        Parameters::<T>::put(params);
        Self::deposit_event(Event::ParamsSet { params });
        Ok(())
    }
}
