//! Benchmarks of every call and of the `reward` / `slash` / `sample_weighted` trait functions
//! (frame-benchmarking v2). `reward`, `grant_reward` and `slash` run with `d` = 1 to 10 000
//! delegators in the pool (and 10 000 delegations in the state) to show that their cost does
//! not depend on it. `d` is not an argument of the weight functions:
//! `scripts/weight-template.hbs` charges the fitted cost at the largest `d` benchmarked.
//!
//! The calls that load a position (`bond_extra`, `unbond`, `delegate`, `undelegate`,
//! `withdraw_unbonded`, `claim`, `apply_slash`, and `slash` for the operator's own position)
//! run with the member holding `MaxUnbondingChunks` unbonding chunks (one fewer where the
//! call pushes the last one), each in its own era with its own `UnbondingPools` entry
//! (security review L2). `position_value` walks the chunks only when the member owes a
//! slash, so the delegators' benchmarks run with a slash pending; an operator never owes
//! one (`do_slash` settles its share at once). `bond` creates a position and has no chunks.
//! `slash` also finds locked unbonding stake in every era it reaches.

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

/// The size of each unbonding chunk the benchmarks create, in units: large enough that a
/// 10 % slash cuts it even when a unit is the smallest balance.
const CHUNK: u32 = 10;

/// Gives `who`, which has no unbonding chunk yet, `count` chunks of [`CHUNK`] units in
/// `operator`'s pool (its own stake when `who` is the operator), one in each of `count`
/// consecutive eras, so that each chunk has its own `UnbondingPools` entry. Advances one era
/// after each chunk: the current era has none, and an unbond in it pushes a new chunk. Chunk
/// `i` unlocks `UnbondingPeriod` after it was made; with the longest period
/// ([`Pallet::max_unbonding_period`]) all are still locked afterwards while `count` is below
/// `MaxSlashableEras − 2`. `who` must keep its minimum stake after `count × CHUNK` units.
fn unbonding_chunks<T: Config>(
    who: &T::AccountId,
    operator: &T::AccountId,
    count: u32,
) -> Result<(), BenchmarkError> {
    let amount = units::<T>(CHUNK);
    for _ in 0..count {
        if who == operator {
            Pallet::<T>::do_unbond(who, ROLE, amount)?;
        } else {
            Pallet::<T>::do_undelegate(who, operator, ROLE, amount)?;
        }
        advance::<T>(T::EraLength::get());
    }
    let made = chunks::<T>(who, operator);
    if made.count != count || made.pooled != count {
        return Err(BenchmarkError::Stop("unbonding chunks not made in distinct eras"));
    }
    // As in `with_delegators`: the events of the set-up are no part of the measured call.
    frame_system::Pallet::<T>::reset_events();
    Ok(())
}

/// `who`'s unbonding chunks in `operator`'s pool.
#[derive(Debug, PartialEq)]
struct Chunks {
    /// How many chunks the member has.
    count: u32,
    /// How many of them have an `UnbondingPools` entry.
    pooled: u32,
    /// How many of those are still locked.
    locked: u32,
}

/// Counts `who`'s unbonding chunks in `operator`'s pool.
fn chunks<T: Config>(who: &T::AccountId, operator: &T::AccountId) -> Chunks {
    let now = frame_system::Pallet::<T>::block_number();
    let mut c = Chunks { count: 0, pooled: 0, locked: 0 };
    let Some(member) = Members::<T>::get((operator, ROLE, who)) else { return c };
    for chunk in member.unbonding.iter() {
        c.count = c.count.saturating_add(1);
        if let Some(sub) = UnbondingPools::<T>::get((operator, ROLE, chunk.era)) {
            c.pooled = c.pooled.saturating_add(1);
            if sub.unlock_at > now {
                c.locked = c.locked.saturating_add(1);
            }
        }
    }
    c
}

/// `n` chunks, all with their `UnbondingPools` entry and all locked.
fn locked(n: u32) -> Chunks {
    Chunks { count: n, pooled: n, locked: n }
}

/// Slashes 10 % of `operator`'s pool, reaching every slashable era.
fn slash_pool<T: Config>(operator: &T::AccountId) {
    Pallet::<T>::do_slash(
        operator,
        ROLE,
        Perbill::from_percent(10),
        SlashReason::Governance,
        Zero::zero(),
    );
}

/// Operator 0 and a delegator with 1 000 units in its pool, [`CHUNK`] × `chunks` of them
/// unbonding in `chunks` chunks that stay locked (the longest unbonding period).
fn delegator_with_chunks<T: Config>(
    chunks: u32,
) -> Result<(T::AccountId, T::AccountId), BenchmarkError> {
    UnbondingPeriod::<T>::put(Pallet::<T>::max_unbonding_period());
    let op = operator::<T>(0)?;
    let d = funded::<T>("delegator", 0);
    Pallet::<T>::do_delegate(&d, &op, ROLE, units::<T>(1_000))?;
    unbonding_chunks::<T>(&d, &op, chunks)?;
    Ok((op, d))
}

/// The value of all the unbonding stake of `operator`'s pool.
fn unbonding_balance<T: Config>(operator: &T::AccountId) -> BalanceOf<T> {
    UnbondingPools::<T>::iter_prefix((operator, ROLE))
        .fold(Zero::zero(), |total: BalanceOf<T>, (_, sub)| total.saturating_add(sub.balance))
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

    /// Worst case: the operator has the most unbonding chunks a member can have, all locked.
    #[benchmark]
    fn bond_extra() -> Result<(), BenchmarkError> {
        setup::<T>();
        UnbondingPeriod::<T>::put(Pallet::<T>::max_unbonding_period());
        let op = operator::<T>(0)?;
        let max = T::MaxUnbondingChunks::get();
        unbonding_chunks::<T>(&op, &op, max)?;
        let before = Pallet::<T>::own_stake_of(&op, ROLE);
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, units::<T>(500));
        assert_eq!(Pallet::<T>::own_stake_of(&op, ROLE), before.saturating_add(units::<T>(500)));
        assert_eq!(chunks::<T>(&op, &op), locked(max));
        Ok(())
    }

    /// Worst case: the operator has one chunk fewer than the most a member can have, and the
    /// call pushes the last one, in a new era with a new `UnbondingPools` entry.
    #[benchmark]
    fn unbond() -> Result<(), BenchmarkError> {
        setup::<T>();
        UnbondingPeriod::<T>::put(Pallet::<T>::max_unbonding_period());
        let op = operator::<T>(0)?;
        let max = T::MaxUnbondingChunks::get();
        unbonding_chunks::<T>(&op, &op, max.saturating_sub(1))?;
        let before = Pallet::<T>::own_stake_of(&op, ROLE);
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), ROLE, units::<T>(500));
        assert_eq!(Pallet::<T>::own_stake_of(&op, ROLE), before.saturating_sub(units::<T>(500)));
        assert_eq!(chunks::<T>(&op, &op), locked(max));
        Ok(())
    }

    /// Worst case: the delegator adds to a position with the most unbonding chunks a member
    /// can have, all locked, and owes a slash: `load` values every chunk and pays the debt.
    #[benchmark]
    fn delegate() -> Result<(), BenchmarkError> {
        setup::<T>();
        let max = T::MaxUnbondingChunks::get();
        let (op, d) = delegator_with_chunks::<T>(max)?;
        slash_pool::<T>(&op);
        assert!(!Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        let before = Pallet::<T>::active_stake_of(&d, &op, ROLE);
        #[extrinsic_call]
        _(RawOrigin::Signed(d.clone()), op.clone(), ROLE, units::<T>(100));
        // Points round down: the position gains at most the amount, and at least a unit less.
        let added = Pallet::<T>::active_stake_of(&d, &op, ROLE).saturating_sub(before);
        assert!(added <= units::<T>(100) && added >= units::<T>(99));
        assert!(Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        assert_eq!(chunks::<T>(&d, &op), locked(max));
        Ok(())
    }

    /// Worst case: the delegator has one chunk fewer than the most a member can have, all
    /// locked, and owes a slash; the call values every chunk, pays the debt and pushes the
    /// last chunk, in a new era with a new `UnbondingPools` entry.
    #[benchmark]
    fn undelegate() -> Result<(), BenchmarkError> {
        setup::<T>();
        let max = T::MaxUnbondingChunks::get();
        let (op, d) = delegator_with_chunks::<T>(max.saturating_sub(1))?;
        slash_pool::<T>(&op);
        assert!(!Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        let before = Pallet::<T>::active_stake_of(&d, &op, ROLE);
        #[extrinsic_call]
        _(RawOrigin::Signed(d.clone()), op.clone(), ROLE, units::<T>(500));
        // Points round down: the chunk takes at most the amount, and at least a unit less.
        let moved = before.saturating_sub(Pallet::<T>::active_stake_of(&d, &op, ROLE));
        assert!(moved <= units::<T>(500) && moved >= units::<T>(499));
        assert!(Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        assert_eq!(chunks::<T>(&d, &op), locked(max));
        Ok(())
    }

    /// Worst case: the operator withdraws its last stake in the most unbonding chunks a
    /// member can have, each in its own era and all unlocked, so the loop withdraws every one
    /// and removes its `UnbondingPools` entry; then it leaves (paying out its rewards) and
    /// frees its slot. (A delegator would value its chunks first if it owed a slash, but the
    /// loop reads the same entries, and leaving as an operator writes more.)
    #[benchmark]
    fn withdraw_unbonded() -> Result<(), BenchmarkError> {
        setup::<T>();
        let op = operator::<T>(0)?;
        Pallet::<T>::do_reward(&funded::<T>("payer", 0), &op, ROLE, units::<T>(100))?;
        let max = T::MaxUnbondingChunks::get();
        unbonding_chunks::<T>(&op, &op, max.saturating_sub(1))?;
        // The rest of the stake, in the last chunk.
        Pallet::<T>::do_unbond(&op, ROLE, units::<T>(1_000))?;
        advance::<T>(UnbondingPeriod::<T>::get());
        assert_eq!(chunks::<T>(&op, &op), Chunks { count: max, pooled: max, locked: 0 });
        #[extrinsic_call]
        _(RawOrigin::Signed(op.clone()), op.clone(), ROLE);
        assert!(!Operators::<T>::contains_key(&op, ROLE));
        assert!(Members::<T>::get((&op, ROLE, &op)).is_none());
        assert_eq!(UnbondingPools::<T>::iter_prefix((&op, ROLE)).count(), 0);
        assert!(Pallet::<T>::bonded_of(&op).is_zero());
        Ok(())
    }

    /// Worst case: a delegator with the most unbonding chunks a member can have, all locked,
    /// owes a slash: `load` values every chunk and pays the debt before the claim.
    #[benchmark]
    fn claim() -> Result<(), BenchmarkError> {
        setup::<T>();
        let max = T::MaxUnbondingChunks::get();
        let (op, d) = delegator_with_chunks::<T>(max)?;
        Pallet::<T>::do_reward(&funded::<T>("payer", 0), &op, ROLE, units::<T>(100))?;
        slash_pool::<T>(&op);
        assert!(!Pallet::<T>::claimable(&d, &op, ROLE).is_zero());
        assert!(!Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        #[extrinsic_call]
        _(RawOrigin::Signed(d.clone()), op.clone(), ROLE);
        assert!(Pallet::<T>::claimable(&d, &op, ROLE).is_zero());
        assert!(Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        assert_eq!(chunks::<T>(&d, &op), locked(max));
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

    /// Worst case: the member has the most unbonding chunks a member can have, all locked
    /// and cut by the slash, and `position_value` values every one.
    #[benchmark]
    fn apply_slash() -> Result<(), BenchmarkError> {
        setup::<T>();
        let max = T::MaxUnbondingChunks::get();
        let (op, d) = delegator_with_chunks::<T>(max)?;
        let unbonding = unbonding_balance::<T>(&op);
        slash_pool::<T>(&op);
        assert!(unbonding_balance::<T>(&op) < unbonding);
        let debt = Pallet::<T>::pending_slash(&d, &op, ROLE);
        assert!(!debt.is_zero());
        let treasury = T::Currency::balance(&T::Treasury::get());
        let caller = funded::<T>("caller", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), d.clone(), op.clone(), ROLE);
        assert!(Pallet::<T>::pending_slash(&d, &op, ROLE).is_zero());
        assert_eq!(T::Currency::balance(&T::Treasury::get()), treasury.saturating_add(debt));
        assert_eq!(chunks::<T>(&d, &op), locked(max));
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
        // The next era: the stake earns, and the reward matures it (security review L9).
        advance::<T>(T::EraLength::get());
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
        advance::<T>(T::EraLength::get());
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

    /// `slash` with `d` delegators in the pool and locked unbonding stake in every era the
    /// slash reaches (all `MaxSlashableEras` of them, the chain being old enough): the
    /// operator's own chunks (as many as a member can have, all valued when the operator pays
    /// its share), then a delegator's. The cost must not depend on `d`.
    #[benchmark]
    fn slash(d: Linear<1, 10_000>) -> Result<(), BenchmarkError> {
        setup::<T>();
        UnbondingPeriod::<T>::put(Pallet::<T>::max_unbonding_period());
        let window = T::MaxSlashableEras::get();
        advance::<T>(T::EraLength::get().saturating_mul(window.into()));
        let op = operator::<T>(0)?;
        with_delegators::<T>(&op, d)?;
        // Bound to an obligation, the pool keeps the stake that leaves it locked until an
        // unbonding period after the obligation, longer than the window.
        let now = frame_system::Pallet::<T>::block_number();
        Pallet::<T>::do_engage(&op, ROLE, now.saturating_add(Pallet::<T>::max_engagement()))?;
        let max = T::MaxUnbondingChunks::get();
        let own = window.saturating_sub(1).min(max);
        unbonding_chunks::<T>(&op, &op, own)?;
        // Delegator 0 is in `op`'s pool whatever `d`; it fills the other eras, the current
        // one last.
        let other: T::AccountId = account("delegator", 0, 0);
        Pallet::<T>::do_delegate(&other, &op, ROLE, units::<T>(1_000))?;
        let rest = window.saturating_sub(1).saturating_sub(own).min(max.saturating_sub(1));
        unbonding_chunks::<T>(&other, &op, rest)?;
        Pallet::<T>::do_undelegate(&other, &op, ROLE, units::<T>(CHUNK))?;
        frame_system::Pallet::<T>::reset_events();
        assert_eq!(chunks::<T>(&op, &op), locked(own));
        assert_eq!(chunks::<T>(&other, &op), locked(rest.saturating_add(1)));
        let now = frame_system::Pallet::<T>::block_number();
        let eras = UnbondingPools::<T>::iter_prefix((&op, ROLE))
            .filter(|(era, sub)| {
                sub.unlock_at > now && era.saturating_add(window) > Pallet::<T>::current_era()
            })
            .count() as u32;
        assert_eq!(eras, window.min(max.saturating_mul(2)));
        let before = Pallet::<T>::stake_of(&op, ROLE);
        let unbonding = unbonding_balance::<T>(&op);
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
        assert!(unbonding_balance::<T>(&op) < unbonding);
        assert!(Pallet::<T>::pending_slash(&op, &op, ROLE).is_zero());
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
        // The next era: the operators are in its snapshot, and every weight has a history.
        advance::<T>(T::EraLength::get());
        let now = frame_system::Pallet::<T>::block_number();
        let picked;
        #[block]
        {
            picked = <Pallet<T> as StakingInterface<T::AccountId>>::sample_weighted(
                ROLE, k, [7u8; 32], now,
            );
        }
        assert_eq!(picked.len() as u32, k);
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
