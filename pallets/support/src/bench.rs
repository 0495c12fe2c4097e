//! Benchmark set-up shared by the product pallets: funded accounts, operators with worker keys
//! generated in the benchmark's keystore, and worker payloads signed with them.

// Benchmark set-up fails loudly.
#![allow(clippy::expect_used)]

use crate::worker_call::{message, WorkerCall, WorkerPallet};
use codec::Decode;
use frame_benchmarking::account;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::offchain::{AppCrypto, SigningTypes};
use sp_runtime::{
    traits::{IdentifyAccount, SaturatedConversion},
    RuntimeAppPublic,
};
use starling_primitives::{staking::StakingInterface, Role};

/// The existential deposit of `Currency` (at least 1) times `n`.
pub fn units<AccountId, Currency: Inspect<AccountId>>(n: u64) -> Currency::Balance {
    let ed: u128 = Currency::minimum_balance().saturated_into();
    ed.max(1).saturating_mul(u128::from(n)).saturated_into()
}

/// The benchmark account `name`/`index`, given a billion [`units`].
pub fn funded<AccountId: Decode + Eq, Currency: Mutate<AccountId>>(
    name: &'static str,
    index: u32,
) -> AccountId {
    let who: AccountId = account(name, index, 0);
    Currency::set_balance(&who, units::<AccountId, Currency>(1_000_000_000));
    who
}

/// A fresh worker key of `AuthorityId`'s crypto in the benchmark keystore.
pub fn worker_key<T: SigningTypes, AuthorityId: AppCrypto<T::Public, T::Signature>>() -> T::Public {
    let app = AuthorityId::RuntimeAppPublic::generate_pair(None);
    let generic: AuthorityId::GenericPublic = app.into();
    generic.into()
}

/// `public`'s signature over a worker call's payload, as its node would make it.
pub fn sign<T: SigningTypes, C: WorkerCall<T>>(payload: &C, public: &T::Public) -> T::Signature {
    <<C::Pallet as WorkerPallet<T>>::AuthorityId as AppCrypto<_, _>>::sign(
        &message::<T, C>(payload),
        public.clone(),
    )
    .expect("the benchmark keystore holds the key")
}

/// A funded operator of `role` (ten million [`units`] of stake) with a fresh worker key of
/// pallet `P`'s crypto; returns (operator, worker key).
pub fn operator<T, P, Currency>(
    name: &'static str,
    index: u32,
    role: Role,
) -> (T::AccountId, T::Public)
where
    T: SigningTypes,
    P: WorkerPallet<T>,
    Currency: Mutate<T::AccountId>,
    P::Staking: StakingInterface<T::AccountId, Balance = Currency::Balance>,
{
    let who = funded::<T::AccountId, Currency>(name, index);
    let key = worker_key::<T, P::AuthorityId>();
    let worker: T::AccountId = key.clone().into_account();
    P::Staking::make_operator(&who, role, units::<T::AccountId, Currency>(10_000_000), &worker)
        .expect("operator set up");
    (who, key)
}
