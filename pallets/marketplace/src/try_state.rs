//! The marketplace's invariants, checked by `try_state` and after every test.

use crate::pallet::*;
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
    /// Checks that:
    /// - each user's `Escrow` hold equals its escrow record, and what is unlocking is part of
    ///   what is held;
    /// - each line's host count equals its hosts, and the hosted set holds exactly the lines
    ///   with hosts, each once;
    /// - every line id is below `NextLineId`, and every hosted line exists.
    pub fn do_try_state() -> Result<(), TryRuntimeError> {
        for (user, escrow) in Escrows::<T>::iter() {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &user) == escrow.held,
                "a user's escrow hold differs from its escrow record"
            );
            ensure!(escrow.unlocking <= escrow.held, "more unlocking than held");
        }
        let hosted = HostedLines::<T>::get();
        let next = NextLineId::<T>::get();
        let mut with_hosts = 0usize;
        for (id, line) in Lines::<T>::iter() {
            ensure!(id < next, "a line id at or above NextLineId");
            let hosts = Hosts::<T>::iter_prefix(id).count();
            ensure!(hosts == line.hosts as usize, "a line's host count differs from its hosts");
            ensure!(hosted.contains(&id) == (hosts > 0), "the hosted set and the hosts disagree");
            if hosts > 0 {
                with_hosts = with_hosts.saturating_add(1);
            }
        }
        ensure!(with_hosts == hosted.len(), "the hosted set names a line twice or a missing line");
        Ok(())
    }
}
