//! Benchmarks of every call and of the `reward` / `slash` / `sample_weighted` trait functions
//! (frame-benchmarking v2). `reward`, `grant_reward` and `slash` run with `d` = 1 to 10 000
//! delegators in the pool (and 10 000 delegations in the state) to show that their cost does
//! not depend on it. `d` is not an argument of the weight functions:
//! `scripts/weight-template.hbs` charges the fitted cost at the largest `d` benchmarked.

use super::*;
use crate::{traits::StakingInterface, Role, RoleMinimums, SlashReason, WorkerKeyBenchmarkHelper};
use frame_benchmarking::v2::*;
use frame_support::traits::{
    fungible::{Inspect, Mutate},
    EnsureOrigin, Get,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{
    traits::{One, Saturating, Zero},
    Perbill,
};

const ROLE: Role = Role::Validator;

/// The unit of stake used by the benchmarks: the existential deposit (at least 1).
fn unit<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance().max(One::one())
}

/// `n` units.
fn units<T: Config>(n: u32) -> BalanceOf<T> {
    unit::<T>().saturating_mul(n.into())
}

/// Sets known parameters and makes sure the reward pot and the treasury exist.
fn setup<T: Config>() {
    MinStakes::<T>::insert(
        ROLE,
        RoleMinimums { operator: units::<T>(100), delegation: unit::<T>() },
    );
    CommissionBounds::<T>::put((Perbill::zero(), Perbill::one()));
    UnbondingPeriod::<T>::put(BlockNumberFor::<T>::one());
    CommissionChangePeriod::<T>::put(BlockNumberFor::<T>::zero());
    for who in [Pallet::<T>::reward_pot(), T::Treasury::get()] {
        if T::Currency::balance(&who).is_zero() {
            T::Currency::set_balance(&who, unit::<T>());
        }
    }
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    T::Currency::set_balance(&who, units::<T>(1_000_000));
    who
}

fn operator<T: Config>(index: u32) -> Result<T::AccountId, BenchmarkError> {
    let who = funded::<T>("operator", index);
    Pallet::<T>::do_bond(&who, ROLE, units::<T>(1_000), Perbill::from_percent(10))?;
    Ok(who)
}

/// The number of delegations in the state of the benchmarks that vary the size of a pool.
const DELEGATIONS: u32 = 10_000;

/// Gives `operator`'s pool `count` delegators and another operator's pool the rest of
/// [`DELEGATIONS`], so that every `count` runs on a state of the same size. Storage access
/// slows down as the state grows, whatever the code does (10 000 more plain accounts make
/// `reward` measurably slower); the database weights price that, and it is no cost of the pool.
fn with_delegators<T: Config>(operator: &T::AccountId, count: u32) -> Result<(), BenchmarkError> {
    let other = self::operator::<T>(1)?;
    for i in 0..DELEGATIONS.max(count) {
        let d = funded::<T>("delegator", i);
        let pool = if i < count { operator } else { &other };
        Pallet::<T>::do_delegate(&d, pool, ROLE, units::<T>(10))?;
    }
    // The delegators joined in earlier blocks, whose events are gone from the state. Left in
    // place, the setup's events (several per delegation) would be copied when the benchmarked
    // code deposits its own.
    frame_system::Pallet::<T>::reset_events();
    Ok(())
}

fn advance<T: Config>(blocks: BlockNumberFor<T>) {
    let now = frame_system::Pallet::<T>::block_number();
    frame_system::Pallet::<T>::set_block_number(now.saturating_add(blocks));
}

// The benchmark macros expand to `unwrap` and float maths on their own values.
#[allow(clippy::unwrap_used, clippy::float_arithmetic)]
#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn bond() {
        setup::<T>();
        let caller = funded::<T>("caller", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller.clone()), ROLE, units::<T>(1_000), Perbill::from_percent(5));
        assert!(Operators::<T>::contains_key(&caller, ROLE));
    }

    #[benchmark]
    fn bond_extra() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, units::<T>(500));
        assert_eq!(Pallet::<T>::own_stake_of(&op, ROLE), units::<T>(1_500));
        Ok(())
    }

    #[benchmark]
    fn unbond() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, units::<T>(500));
        assert_eq!(Pallet::<T>::own_stake_of(&op, ROLE), units::<T>(500));
        Ok(())
    }

    #[benchmark]
    fn delegate() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        let d = funded::<T>("delegator", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(d.clone()), op.clone(), ROLE, units::<T>(100));
        assert_eq!(Pallet::<T>::active_stake_of(&d, &op, ROLE), units::<T>(100));
        Ok(())
    }

    #[benchmark]
    fn undelegate() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        let d = funded::<T>("delegator", 0);
        Pallet::<T>::do_delegate(&d, &op, ROLE, units::<T>(100))?;
        #[extrinsic_call]
        _(RawOrigin::Signed(d.clone()), op.clone(), ROLE, units::<T>(50));
        assert_eq!(Pallet::<T>::active_stake_of(&d, &op, ROLE), units::<T>(50));
        Ok(())
    }

    /// Worst case: the operator withdraws its last stake, leaves and frees its slot.
    #[benchmark]
    fn withdraw_unbonded() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        Pallet::<T>::do_reward(&funded::<T>("payer", 0), &op, ROLE, units::<T>(100))?;
        Pallet::<T>::do_unbond(&op, ROLE, units::<T>(1_000))?;
        advance::<T>(2u32.into());
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), op.clone(), ROLE);
        assert!(!Operators::<T>::contains_key(&op, ROLE));
        Ok(())
    }

    #[benchmark]
    fn claim() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        Pallet::<T>::do_reward(&funded::<T>("payer", 0), &op, ROLE, units::<T>(100))?;
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), op.clone(), ROLE);
        assert!(Pallet::<T>::claimable(&op, &op, ROLE).is_zero());
        Ok(())
    }

    #[benchmark]
    fn lock() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        Pallet::<T>::do_lock(&op, ROLE, 30)?;
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, 365);
        assert!(Pallet::<T>::multiplier_of(&op, ROLE) > crate::math::MULTIPLIER_ONE);
        Ok(())
    }

    #[benchmark]
    fn set_commission() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        // The change period (counted from bonding) has passed; the largest allowed rise.
        let period = CommissionChangePeriod::<T>::get();
        let now = frame_system::Pallet::<T>::block_number();
        frame_system::Pallet::<T>::set_block_number(now.saturating_add(period));
        let current = Operators::<T>::get(&op, ROLE).map(|i| i.commission).unwrap_or_default();
        let target = current
            .saturating_add(T::MaxCommissionIncrease::get())
            .min(CommissionBounds::<T>::get().1);
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, target);
        assert_eq!(Operators::<T>::get(&op, ROLE).map(|i| i.commission), Some(target));
        Ok(())
    }

    /// Worst case: rotating an existing worker key.
    #[benchmark]
    fn set_worker() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        let old = T::BenchmarkHelper::worker_key(0);
        let new = T::BenchmarkHelper::worker_key(1);
        Pallet::<T>::register_worker(&op, old)?;
        let proof = T::BenchmarkHelper::sign(&new, &crate::workers::worker_key_message::<T>(&op));
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), new.clone(), proof);
        assert_eq!(Pallet::<T>::operator_of(&new), Some(op));
        Ok(())
    }

    #[benchmark]
    fn remove_worker() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        let worker = T::BenchmarkHelper::worker_key(0);
        Pallet::<T>::register_worker(&op, worker.clone())?;
        #[extrinsic_call]
        _(RawOrigin::Signed(op));
        assert_eq!(Pallet::<T>::operator_of(&worker), None);
        Ok(())
    }

    #[benchmark]
    fn apply_slash() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        let d = funded::<T>("delegator", 0);
        Pallet::<T>::do_delegate(&d, &op, ROLE, units::<T>(100))?;
        Pallet::<T>::do_slash(
            &op,
            ROLE,
            Perbill::from_percent(10),
            SlashReason::Governance,
            Zero::zero(),
        );
        let caller = funded::<T>("caller", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), d.clone(), op.clone(), ROLE);
        assert!(Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        Ok(())
    }

    #[benchmark]
    fn refresh_weight() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        Pallet::<T>::do_lock(&op, ROLE, 365)?;
        advance::<T>(T::BlocksPerDay::get().saturating_mul(366u32.into()));
        let caller = funded::<T>("caller", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), op.clone(), ROLE);
        assert_eq!(Pallet::<T>::weight_of(&op, ROLE), Pallet::<T>::total_weight(ROLE));
        Ok(())
    }

    #[benchmark]
    fn set_min_stake() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, ROLE, units::<T>(5), units::<T>(1));
        assert_eq!(MinStakes::<T>::get(ROLE).operator, units::<T>(5));
        Ok(())
    }

    #[benchmark]
    fn set_commission_bounds() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let (min, max) = (Perbill::from_percent(1), Perbill::from_percent(30));
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, min, max);
        assert_eq!(CommissionBounds::<T>::get(), (min, max));
        Ok(())
    }

    #[benchmark]
    fn set_unbonding_period() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let blocks = Pallet::<T>::max_unbonding_period();
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, blocks);
        assert_eq!(UnbondingPeriod::<T>::get(), blocks);
        Ok(())
    }

    #[benchmark]
    fn set_commission_change_period() -> Result<(), BenchmarkError> {
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let blocks: BlockNumberFor<T> = 100u32.into();
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, blocks);
        assert_eq!(CommissionChangePeriod::<T>::get(), blocks);
        Ok(())
    }

    /// `reward` with `d` delegators in the pool: the cost must not depend on `d`.
    #[benchmark]
    fn reward(d: Linear<1, 10_000>) -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        with_delegators::<T>(&op, d)?;
        let payer = funded::<T>("payer", 0);
        #[block]
        {
            <Pallet<T> as StakingInterface<T::AccountId>>::reward(
                &payer,
                &op,
                ROLE,
                units::<T>(1_000),
            )?;
        }
        assert!(!Pallet::<T>::claimable(&op, &op, ROLE).is_zero());
        Ok(())
    }

    /// `grant_reward` with `d` delegators in the pool: the cost must not depend on `d`.
    #[benchmark]
    fn grant_reward(d: Linear<1, 10_000>) -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        with_delegators::<T>(&op, d)?;
        let treasury = T::Treasury::get();
        T::Currency::set_balance(&treasury, units::<T>(1_000_000));
        let origin =
            T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, op.clone(), ROLE, units::<T>(1_000));
        assert_eq!(T::Currency::balance(&treasury), units::<T>(999_000));
        assert!(!Pallet::<T>::claimable(&op, &op, ROLE).is_zero());
        Ok(())
    }

    /// `slash` with `d` delegators in the pool and unbonding stake in every slashable era:
    /// the cost must not depend on `d`.
    #[benchmark]
    fn slash(d: Linear<1, 10_000>) -> Result<(), BenchmarkError> {
        setup::<T>();
        UnbondingPeriod::<T>::put(Pallet::<T>::max_unbonding_period());
        let op = operator::<T>(0)?;
        with_delegators::<T>(&op, d)?;
        let eras = T::MaxSlashableEras::get().min(T::MaxUnbondingChunks::get());
        for _ in 0..eras.saturating_sub(1) {
            Pallet::<T>::do_unbond(&op, ROLE, unit::<T>())?;
            advance::<T>(T::EraLength::get());
        }
        let before = Pallet::<T>::stake_of(&op, ROLE);
        #[block]
        {
            <Pallet<T> as StakingInterface<T::AccountId>>::slash(
                &op,
                ROLE,
                Perbill::from_percent(10),
                SlashReason::Governance,
                Zero::zero(),
            );
        }
        assert!(Pallet::<T>::stake_of(&op, ROLE) < before);
        Ok(())
    }

    /// Drawing `k` operators from a role with many operators.
    #[benchmark]
    fn sample_weighted(k: Linear<1, 16>) -> Result<(), BenchmarkError> {
        setup::<T>();
        let n = T::MaxOperatorsPerRole::get().min(64).max(k);
        for i in 0..n {
            operator::<T>(i)?;
        }
        let picked;
        #[block]
        {
            picked =
                <Pallet<T> as StakingInterface<T::AccountId>>::sample_weighted(ROLE, k, [7u8; 32]);
        }
        assert_eq!(picked.len() as u32, k);
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
