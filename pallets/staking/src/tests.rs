//! Unit and property tests of the staking pallet.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic
)]

use crate::{
    math::{lock_multiplier, MULTIPLIER_ONE},
    mock::*,
    pallet::*,
    traits::StakingInterface,
    Role, SlashReason,
};
use codec::Encode;
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{Inspect, InspectHold, Mutate},
};
use sp_core::H256;
use sp_runtime::{testing::TestSignature, DispatchError, Perbill};

const V: Role = Role::Validator;
const T: Role = Role::TrainingNode;

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&RuntimeHoldReason::Staking(HoldReason::Staked), &who)
}

fn free(who: u64) -> u64 {
    Balances::balance(&who)
}

fn check() {
    Staking::do_try_state().unwrap();
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| if let RuntimeEvent::Staking(e) = r.event { Some(e) } else { None })
        .collect()
}

fn last_event() -> Event<Test> {
    events().pop().expect("an event")
}

fn signed(who: u64) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn bond(who: u64, role: Role, amount: u64) {
    assert_ok!(Staking::bond(signed(who), role, amount, Perbill::from_percent(10)));
}

fn delegate(who: u64, operator: u64, role: Role, amount: u64) {
    assert_ok!(Staking::delegate(signed(who), operator, role, amount));
}

fn reward(operator: u64, role: Role, amount: u64) {
    assert_ok!(<Staking as StakingInterface<u64>>::reward(&500, &operator, role, amount));
}

fn slash(operator: u64, role: Role, percent: u32, at: u64) -> u64 {
    <Staking as StakingInterface<u64>>::slash(
        &operator,
        role,
        Perbill::from_percent(percent),
        SlashReason::ValidatorDeviation,
        at,
    )
}

// ---------------------------------------------------------------- bond

#[test]
fn bond_holds_funds_and_registers_operator() {
    new_test_ext().execute_with(|| {
        assert_ok!(Staking::bond(signed(1), V, 500, Perbill::from_percent(10)));
        assert_eq!(held(1), 500);
        assert_eq!(free(1), ENDOWMENT - 500);
        assert_eq!(Balances::total_balance(&1), ENDOWMENT);
        let info = Operators::<Test>::get(1, V).unwrap();
        assert_eq!(info.commission, Perbill::from_percent(10));
        assert_eq!(Staking::stake_of(&1, V), 500);
        assert_eq!(Staking::own_stake_of(&1, V), 500);
        assert_eq!(Staking::weight_of(&1, V), 500);
        assert_eq!(Staking::total_weight(V), 500);
        assert!(<Staking as StakingInterface<u64>>::is_active(&1, V));
        assert_eq!(
            last_event(),
            Event::Bonded {
                operator: 1,
                role: V,
                amount: 500,
                commission: Perbill::from_percent(10)
            }
        );
        // another role is a separate stake
        bond(1, T, 200);
        assert_eq!(held(1), 700);
        check();
    });
}

#[test]
fn bond_errors() {
    new_test_ext().execute_with(|| {
        let c = Perbill::from_percent(10);
        assert_noop!(Staking::bond(signed(1), V, 0, c), Error::<Test>::ZeroAmount);
        assert_noop!(
            Staking::bond(signed(1), V, MIN_OPERATOR - 1, c),
            Error::<Test>::BelowMinimumStake
        );
        assert_noop!(
            Staking::bond(signed(1), V, 500, Perbill::from_percent(51)),
            Error::<Test>::CommissionOutOfBounds
        );
        assert_noop!(
            Staking::bond(signed(1), V, ENDOWMENT + 1, c),
            Error::<Test>::InsufficientFunds
        );
        bond(1, V, 500);
        assert_noop!(Staking::bond(signed(1), V, 500, c), Error::<Test>::AlreadyBonded);
        for who in 2..=16 {
            bond(who, V, 100);
        }
        assert_noop!(Staking::bond(signed(17), V, 500, c), Error::<Test>::TooManyOperators);
        assert_noop!(Staking::bond(RuntimeOrigin::root(), V, 500, c), DispatchError::BadOrigin);
        check();
    });
}

#[test]
fn bond_into_depleted_pool_is_refused() {
    new_test_ext().execute_with(|| {
        bond(1, V, 100);
        delegate(2, 1, V, 50);
        slash(1, V, 100, 1);
        // the operator leaves with nothing; the delegator's points remain without value
        assert_ok!(Staking::unbond(signed(1), V, 100));
        assert!(!Operators::<Test>::contains_key(1, V));
        assert_noop!(
            Staking::bond(signed(1), V, 100, Perbill::zero()),
            Error::<Test>::PoolDepleted
        );
        check();
    });
}

#[test]
fn bond_extra_works_and_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::bond_extra(signed(1), V, 10), Error::<Test>::NotBonded);
        bond(1, V, 100);
        assert_noop!(Staking::bond_extra(signed(1), V, 0), Error::<Test>::ZeroAmount);
        assert_noop!(
            Staking::bond_extra(signed(1), V, ENDOWMENT),
            Error::<Test>::InsufficientFunds
        );
        assert_ok!(Staking::bond_extra(signed(1), V, 50));
        assert_eq!(held(1), 150);
        assert_eq!(Staking::weight_of(&1, V), 150);
        assert_eq!(last_event(), Event::BondedExtra { operator: 1, role: V, amount: 50 });
        // a fully slashed pool takes no more stake
        slash(1, V, 100, 1);
        assert_noop!(Staking::bond_extra(signed(1), V, 50), Error::<Test>::PoolDepleted);
        check();
    });
}

// ---------------------------------------------------------------- unbond / withdraw

#[test]
fn unbond_and_withdraw_operator_stake() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        assert_ok!(Staking::unbond(signed(1), V, 100));
        assert_eq!(
            last_event(),
            Event::Unbonded { operator: 1, role: V, amount: 100, unlock_at: 1 + UNBONDING }
        );
        // still held while unbonding, but no longer weighted
        assert_eq!(held(1), 300);
        assert_eq!(Staking::own_stake_of(&1, V), 200);
        assert_eq!(Staking::weight_of(&1, V), 200);
        assert_noop!(Staking::withdraw_unbonded(signed(1), 1, V), Error::<Test>::NothingToWithdraw);
        run_to_block(1 + UNBONDING);
        assert_ok!(Staking::withdraw_unbonded(signed(1), 1, V));
        assert_eq!(held(1), 200);
        assert_eq!(free(1), ENDOWMENT - 200);
        assert_eq!(last_event(), Event::Withdrawn { who: 1, operator: 1, role: V, amount: 100 });
        check();
        // leaving entirely removes the operator and frees its slot
        assert_ok!(Staking::unbond(signed(1), V, u64::MAX));
        run_to_block(100);
        assert_ok!(Staking::withdraw_unbonded(signed(1), 1, V));
        assert_eq!(held(1), 0);
        assert!(!Operators::<Test>::contains_key(1, V));
        assert!(events().contains(&Event::OperatorLeft { operator: 1, role: V }));
        assert_eq!(FreeSlots::<Test>::get(V).into_inner(), vec![1]);
        assert_eq!(Staking::total_weight(V), 0);
        // the slot is reused once no readable snapshot holds 1's weight in it (three eras)
        bond(2, V, 100);
        assert_eq!(Operators::<Test>::get(2, V).unwrap().slot, 2);
        run_to_block(130);
        bond(3, V, 100);
        assert_eq!(Operators::<Test>::get(3, V).unwrap().slot, 1);
        check();
    });
}

#[test]
fn unbond_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::unbond(signed(1), V, 10), Error::<Test>::NotBonded);
        bond(1, V, 300);
        assert_noop!(Staking::unbond(signed(1), V, 0), Error::<Test>::ZeroAmount);
        // a remainder below the minimum is refused
        assert_noop!(Staking::unbond(signed(1), V, 250), Error::<Test>::BelowMinimumStake);
        assert_ok!(Staking::lock(signed(1), V, 1));
        assert_noop!(Staking::unbond(signed(1), V, 10), Error::<Test>::StakeLocked);
        run_to_block(1 + 10);
        // one chunk per era, at most 4
        for era in 0..4u64 {
            run_to_block(11 + era * 10);
            assert_ok!(Staking::unbond(signed(1), V, 10));
        }
        run_to_block(51);
        assert_noop!(Staking::unbond(signed(1), V, 10), Error::<Test>::TooManyUnbondingChunks);
        // two unbonds in one era share one chunk
        run_to_block(52);
        assert_ok!(Staking::withdraw_unbonded(signed(1), 1, V));
        assert_ok!(Staking::unbond(signed(1), V, 10));
        assert_ok!(Staking::unbond(signed(1), V, 10));
        let m = Members::<Test>::get((1, V, 1)).unwrap();
        assert_eq!(m.unbonding.iter().filter(|c| c.era == 5).count(), 1);
        // everything unbonded: nothing left to unbond
        assert_ok!(Staking::unbond(signed(1), V, u64::MAX));
        assert_noop!(Staking::unbond(signed(1), V, 10), Error::<Test>::NothingToUnbond);
        check();
    });
}

#[test]
fn withdraw_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::withdraw_unbonded(signed(2), 1, V), Error::<Test>::NotAMember);
        bond(1, V, 300);
        assert_noop!(Staking::withdraw_unbonded(signed(1), 1, V), Error::<Test>::NothingToWithdraw);
    });
}

// ---------------------------------------------------------------- delegation

#[test]
fn delegate_and_undelegate() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        assert_ok!(Staking::delegate(signed(2), 1, V, 100));
        assert_eq!(
            last_event(),
            Event::Delegated { delegator: 2, operator: 1, role: V, amount: 100 }
        );
        assert_eq!(held(2), 100);
        assert_eq!(Staking::stake_of(&1, V), 400);
        assert_eq!(Staking::weight_of(&1, V), 400);
        assert_eq!(Staking::active_stake_of(&2, &1, V), 100);
        assert_ok!(Staking::undelegate(signed(2), 1, V, 40));
        assert_eq!(
            last_event(),
            Event::Undelegated {
                delegator: 2,
                operator: 1,
                role: V,
                amount: 40,
                unlock_at: 1 + UNBONDING
            }
        );
        assert_eq!(Staking::stake_of(&1, V), 360);
        run_to_block(1 + UNBONDING);
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_eq!(held(2), 60);
        assert_ok!(Staking::undelegate(signed(2), 1, V, 60));
        run_to_block(100);
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_eq!(held(2), 0);
        assert_eq!(free(2), ENDOWMENT);
        assert!(!Members::<Test>::contains_key((1, V, 2)));
        check();
    });
}

#[test]
fn delegate_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::delegate(signed(2), 1, V, 0), Error::<Test>::ZeroAmount);
        assert_noop!(Staking::delegate(signed(2), 1, V, 100), Error::<Test>::NotAnOperator);
        bond(1, V, 300);
        assert_noop!(Staking::delegate(signed(1), 1, V, 100), Error::<Test>::CannotDelegateToSelf);
        // wrong role
        assert_noop!(Staking::delegate(signed(2), 1, T, 100), Error::<Test>::NotAnOperator);
        assert_noop!(
            Staking::delegate(signed(2), 1, V, MIN_DELEGATION - 1),
            Error::<Test>::BelowMinimumDelegation
        );
        assert_noop!(
            Staking::delegate(signed(2), 1, V, ENDOWMENT + 1),
            Error::<Test>::InsufficientFunds
        );
        assert_ok!(Staking::set_min_stake(RuntimeOrigin::root(), V, 1_000, MIN_DELEGATION));
        assert_noop!(Staking::delegate(signed(2), 1, V, 100), Error::<Test>::OperatorInactive);
    });
}

#[test]
fn undelegate_errors() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        assert_noop!(Staking::undelegate(signed(2), 1, V, 0), Error::<Test>::ZeroAmount);
        assert_noop!(Staking::undelegate(signed(1), 1, V, 10), Error::<Test>::CannotDelegateToSelf);
        assert_noop!(Staking::undelegate(signed(2), 1, V, 10), Error::<Test>::NotAMember);
        delegate(2, 1, V, 100);
        assert_noop!(
            Staking::undelegate(signed(2), 1, V, 95),
            Error::<Test>::BelowMinimumDelegation
        );
        for era in 0..4u64 {
            run_to_block(1 + era * 10);
            assert_ok!(Staking::undelegate(signed(2), 1, V, 10));
        }
        run_to_block(41);
        assert_noop!(
            Staking::undelegate(signed(2), 1, V, 10),
            Error::<Test>::TooManyUnbondingChunks
        );
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        assert_noop!(Staking::undelegate(signed(2), 1, V, 10), Error::<Test>::NothingToUnbond);
        check();
    });
}

// ---------------------------------------------------------------- rewards

#[test]
fn reward_pays_commission_and_members_pro_rata() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300); // commission 10 %
        delegate(2, 1, V, 100);
        next_era(); // stake earns from the era after it joined (security review L9)
        let op_before = free(1);
        let payer_before = free(500);
        reward(1, V, 1_000);
        assert_eq!(
            last_event(),
            Event::Rewarded { operator: 1, role: V, commission: 100, to_pool: 900 }
        );
        assert_eq!(free(1), op_before + 100);
        assert_eq!(free(500), payer_before - 1_000);
        assert_eq!(Staking::claimable(&1, &1, V), 675);
        assert_eq!(Staking::claimable(&2, &1, V), 225);
        assert_ok!(Staking::claim(signed(2), 1, V));
        assert_eq!(last_event(), Event::Claimed { who: 2, operator: 1, role: V, amount: 225 });
        assert_eq!(free(2), ENDOWMENT - 100 + 225);
        assert_ok!(Staking::claim(signed(1), 1, V));
        assert_eq!(free(1), op_before + 100 + 675);
        // joining after a reward earns nothing from it
        delegate(3, 1, V, 400);
        assert_eq!(Staking::claimable(&3, &1, V), 0);
        check();
    });
}

#[test]
fn reward_errors_and_edges() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            <Staking as StakingInterface<u64>>::reward(&500, &1, V, 100),
            Error::<Test>::NotAnOperator
        );
        bond(1, V, 300);
        assert_noop!(
            <Staking as StakingInterface<u64>>::reward(&7, &1, V, ENDOWMENT),
            Error::<Test>::RewardPayerInsufficient
        );
        assert_eq!(<Staking as StakingInterface<u64>>::reward(&500, &1, V, 0), Ok(0));
        // a pool without active points passes everything to the operator
        bond(2, T, 100);
        assert_ok!(Staking::unbond(signed(2), T, 100));
        let before = free(2);
        reward(2, T, 50);
        assert_eq!(free(2), before + 50);
        check();
    });
}

#[test]
fn claim_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::claim(signed(2), 1, V), Error::<Test>::NotAMember);
        bond(1, V, 300);
        assert_noop!(Staking::claim(signed(1), 1, V), Error::<Test>::NothingToClaim);
        next_era(); // stake earns from the era after it joined (security review L9)
        reward(1, V, 1_000);
        let pot = Staking::reward_pot();
        assert_eq!(<Balances as Mutate<u64>>::set_balance(&pot, 1), 1);
        assert_noop!(Staking::claim(signed(1), 1, V), Error::<Test>::RewardPotInsufficient);
    });
}

#[test]
fn leaving_pays_out_unclaimed_rewards() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        next_era(); // stake earns from the era after it joined (security review L9)
        reward(1, V, 1_000);
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        run_to_block(100);
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_eq!(free(2), ENDOWMENT + 225);
        assert!(!Members::<Test>::contains_key((1, V, 2)));
        check();
    });
}

#[test]
fn grant_reward_pays_from_treasury_into_the_pool() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300); // commission 10 %
        delegate(2, 1, V, 100);
        next_era(); // stake earns from the era after it joined (security review L9)
        assert_eq!(<Balances as Mutate<u64>>::set_balance(&TREASURY, 10_000), 10_000);
        let issuance = Balances::total_issuance();
        let op_before = free(1);
        let pot_before = free(Staking::reward_pot());
        System::reset_events();
        assert_ok!(Staking::grant_reward(RuntimeOrigin::root(), 1, V, 1_000));
        assert_eq!(
            events(),
            vec![
                Event::Rewarded { operator: 1, role: V, commission: 100, to_pool: 900 },
                Event::RewardGranted { operator: 1, role: V, amount: 1_000 },
            ]
        );
        assert_eq!(free(TREASURY), 9_000);
        assert_eq!(free(1), op_before + 100);
        assert_eq!(free(Staking::reward_pot()), pot_before + 900);
        assert_eq!(Balances::total_issuance(), issuance);
        // stake is untouched; the pool's members share 900 by points (300 : 100)
        assert_eq!(held(1), 300);
        assert_eq!(held(2), 100);
        assert_eq!(Staking::claimable(&1, &1, V), 675);
        assert_eq!(Staking::claimable(&2, &1, V), 225);
        assert_ok!(Staking::claim(signed(2), 1, V));
        assert_eq!(free(2), ENDOWMENT - 100 + 225);
        assert_ok!(Staking::claim(signed(1), 1, V));
        assert_eq!(free(1), op_before + 100 + 675);
        // the treasury may pay down to its existential deposit, no further
        assert_ok!(Staking::grant_reward(RuntimeOrigin::root(), 1, V, 8_999));
        assert_eq!(free(TREASURY), 1);
        check();
    });
}

#[test]
fn grant_reward_errors() {
    new_test_ext().execute_with(|| {
        let root = RuntimeOrigin::root;
        assert_eq!(<Balances as Mutate<u64>>::set_balance(&TREASURY, 1_001), 1_001);
        assert_noop!(Staking::grant_reward(root(), 1, V, 100), Error::<Test>::NotAnOperator);
        bond(1, V, 300);
        assert_noop!(Staking::grant_reward(signed(1), 1, V, 100), DispatchError::BadOrigin);
        assert_noop!(Staking::grant_reward(signed(500), 1, V, 100), DispatchError::BadOrigin);
        assert_noop!(Staking::grant_reward(root(), 1, V, 0), Error::<Test>::ZeroAmount);
        // wrong role
        assert_noop!(Staking::grant_reward(root(), 1, T, 100), Error::<Test>::NotAnOperator);
        // paying 1 001 would reap the treasury
        assert_noop!(
            Staking::grant_reward(root(), 1, V, 1_001),
            Error::<Test>::TreasuryInsufficient
        );
        // own stake below a raised minimum
        assert_ok!(Staking::set_min_stake(root(), V, 1_000, MIN_DELEGATION));
        assert_noop!(Staking::grant_reward(root(), 1, V, 100), Error::<Test>::OperatorInactive);
        // an operator that unbonded everything is still an operator until it withdraws
        bond(2, T, 100);
        assert_ok!(Staking::unbond(signed(2), T, 100));
        assert_noop!(Staking::grant_reward(root(), 2, T, 100), Error::<Test>::OperatorInactive);
        assert_eq!(free(TREASURY), 1_001);
        check();
    });
}

// ---------------------------------------------------------------- slashing

#[test]
fn slash_is_proportional_and_goes_to_treasury() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        let treasury = free(TREASURY);
        assert_eq!(slash(1, V, 10, 1), 40);
        assert!(events().contains(&Event::Slashed {
            operator: 1,
            role: V,
            fraction: Perbill::from_percent(10),
            amount: 40,
            reason: SlashReason::ValidatorDeviation,
        }));
        // the operator pays at once, the delegator when touched
        assert_eq!(held(1), 270);
        assert_eq!(free(TREASURY), treasury + 30);
        assert_eq!(held(2), 100);
        assert_eq!(Staking::pending_slash(&2, &1, V), 10);
        assert_eq!(Staking::active_stake_of(&2, &1, V), 90);
        assert_eq!(Staking::weight_of(&1, V), 360);
        check();
        assert_ok!(Staking::apply_slash(signed(9), 2, 1, V));
        assert_eq!(last_event(), Event::SlashPaid { who: 2, operator: 1, role: V, amount: 10 });
        assert_eq!(held(2), 90);
        assert_eq!(free(TREASURY), treasury + 40);
        // issuance is unchanged: slashes move, not burn
        check();
    });
}

#[test]
fn apply_slash_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::apply_slash(signed(9), 2, 1, V), Error::<Test>::NotAMember);
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        assert_noop!(Staking::apply_slash(signed(9), 2, 1, V), Error::<Test>::NoPendingSlash);
    });
}

#[test]
fn slash_reaches_unbonding_stake_that_left_after_the_offence() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        delegate(3, 1, V, 100);
        // 2 leaves in era 0 (before the offence), 3 in era 2 (after it)
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        run_to_block(25);
        assert_ok!(Staking::undelegate(signed(3), 1, V, u64::MAX));
        // offence at block 15 (era 1)
        assert_eq!(slash(1, V, 50, 15), 150 + 50);
        assert_eq!(Staking::pending_slash(&2, &1, V), 0);
        assert_eq!(Staking::pending_slash(&3, &1, V), 50);
        run_to_block(100);
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_ok!(Staking::withdraw_unbonded(signed(3), 1, V));
        assert_eq!(free(2), ENDOWMENT);
        assert_eq!(free(3), ENDOWMENT - 50);
        check();
    });
}

/// Security review §7: stake that leaves a pool bound to an obligation (a committee seat, an
/// alliance round) unlocks only an unbonding period after the obligation ends, so that a slash
/// at its end, dated at the draw, still reaches it, however long the obligation lasts.
#[test]
fn stake_leaving_a_bound_pool_stays_slashable_until_the_obligation_ends() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        delegate(3, 1, V, 100);
        // Drawn at block 1 (era 0) for an obligation ending at block 60 (era 6).
        assert_ok!(<Staking as StakingInterface<u64>>::engage(&1, V, 60));
        assert!(events().contains(&Event::StakeBound { operator: 1, role: V, until: 60 }));
        assert!(events().contains(&Event::CommissionFrozen { operator: 1, role: V, until: 60 }));
        // A binding is never shortened.
        assert_ok!(<Staking as StakingInterface<u64>>::engage(&1, V, 30));
        assert_eq!(BoundUntil::<Test>::get(1, V), Some(60));
        assert_noop!(
            <Staking as StakingInterface<u64>>::engage(&9, V, 30),
            Error::<Test>::NotAnOperator
        );
        assert_eq!(<Staking as StakingInterface<u64>>::max_engagement(), 60);

        // 2 leaves at once, 3 in era 2; the operator unbonds half.
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        assert_eq!(
            last_event(),
            Event::Undelegated {
                delegator: 2,
                operator: 1,
                role: V,
                amount: 100,
                unlock_at: 60 + UNBONDING
            }
        );
        run_to_block(25);
        assert_ok!(Staking::undelegate(signed(3), 1, V, u64::MAX));
        assert_ok!(Staking::unbond(signed(1), V, 150));
        // Without the binding, 2 could withdraw at block 21 and escape the slash.
        run_to_block(1 + UNBONDING);
        assert_noop!(Staking::withdraw_unbonded(signed(2), 1, V), Error::<Test>::NothingToWithdraw);

        // The obligation ends at block 60 (era 6) with a slash dated at the draw (era 0).
        run_to_block(60);
        assert_eq!(slash(1, V, 50, 1), 250);
        assert_eq!(Staking::pending_slash(&2, &1, V), 50);
        assert_eq!(Staking::pending_slash(&3, &1, V), 50);
        run_to_block(60 + UNBONDING);
        assert_ok!(Staking::withdraw_unbonded(signed(2), 1, V));
        assert_ok!(Staking::withdraw_unbonded(signed(3), 1, V));
        assert_eq!(free(2), ENDOWMENT - 50);
        assert_eq!(free(3), ENDOWMENT - 50);
        // Stake leaving after the obligation unbonds as usual.
        assert_ok!(Staking::unbond(signed(1), V, u64::MAX));
        assert_eq!(
            last_event(),
            Event::Unbonded { operator: 1, role: V, amount: 75, unlock_at: 60 + 2 * UNBONDING }
        );
        check();
    });
}

#[test]
fn unlocked_unbonding_stake_is_not_slashed() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        run_to_block(1 + UNBONDING);
        assert_eq!(slash(1, V, 50, 1), 150);
        assert_eq!(Staking::pending_slash(&2, &1, V), 0);
    });
}

#[test]
fn full_slash_takes_everything_and_never_fails() {
    new_test_ext().execute_with(|| {
        // nothing to slash: no error, nothing taken
        assert_eq!(slash(7, V, 100, 1), 0);
        bond(1, V, 300);
        delegate(2, 1, V, 100);
        assert_eq!(slash(1, V, 100, 1), 400);
        assert_eq!(held(1), 0);
        assert!(!<Staking as StakingInterface<u64>>::is_active(&1, V));
        assert_eq!(Staking::weight_of(&1, V), 0);
        assert_eq!(Staking::total_weight(V), 0);
        // slashing again takes nothing more
        assert_eq!(slash(1, V, 100, 1), 0);
        // the delegator can still leave (with nothing)
        assert_ok!(Staking::undelegate(signed(2), 1, V, u64::MAX));
        assert_eq!(held(2), 0);
        assert!(!Members::<Test>::contains_key((1, V, 2)));
        check();
    });
}

// ---------------------------------------------------------------- time lock

#[test]
fn lock_raises_weight_until_it_ends() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        assert_ok!(Staking::lock(signed(1), V, 365));
        assert_eq!(last_event(), Event::Locked { operator: 1, role: V, days: 365, until: 3651 });
        assert_eq!(Staking::weight_of(&1, V), 3_010);
        assert_eq!(Staking::total_weight(V), 3_010);
        assert_eq!(lock_multiplier(365), 3_010_000_000);
        run_to_block(3651);
        assert_eq!(Staking::multiplier_of(&1, V), MULTIPLIER_ONE);
        assert_eq!(Staking::weight_of(&1, V), 1_000);
        // the stored weight is stale until refreshed
        assert_eq!(Staking::total_weight(V), 3_010);
        assert_ok!(Staking::refresh_weight(signed(9), 1, V));
        assert_eq!(last_event(), Event::WeightRefreshed { operator: 1, role: V, weight: 1_000 });
        assert_eq!(Staking::total_weight(V), 1_000);
        assert_ok!(Staking::unbond(signed(1), V, 100));
        check();
    });
}

#[test]
fn lock_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::lock(signed(1), V, 30), Error::<Test>::NotBonded);
        bond(1, V, 1_000);
        assert_noop!(Staking::lock(signed(1), V, 0), Error::<Test>::LockTooShort);
        assert_noop!(Staking::lock(signed(1), V, 366), Error::<Test>::LockTooLong);
        assert_ok!(Staking::lock(signed(1), V, 100));
        assert_noop!(Staking::lock(signed(1), V, 99), Error::<Test>::LockCannotShorten);
        // extending works, also from a later block
        run_to_block(50);
        assert_ok!(Staking::lock(signed(1), V, 100));
        assert_eq!(Operators::<Test>::get(1, V).unwrap().lock.unwrap().until, 1050);
    });
}

#[test]
fn refresh_weight_errors() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::refresh_weight(signed(9), 1, V), Error::<Test>::NotAnOperator);
    });
}

// ---------------------------------------------------------------- commission

#[test]
fn commission_changes_are_bounded_and_rate_limited() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(5)),
            Error::<Test>::NotBonded
        );
        bond(1, V, 300);
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(60)),
            Error::<Test>::CommissionOutOfBounds
        );
        // Security review L3: the period counts from bonding (before, the first change was
        // immediate), and one change raises the commission by at most the configured step.
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(20)),
            Error::<Test>::CommissionChangeTooSoon
        );
        run_to_block(1 + CHANGE_PERIOD);
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(21)),
            Error::<Test>::CommissionIncreaseTooLarge
        );
        assert_ok!(Staking::set_commission(signed(1), V, Perbill::from_percent(20)));
        assert_eq!(
            last_event(),
            Event::CommissionSet { operator: 1, role: V, commission: Perbill::from_percent(20) }
        );
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(30)),
            Error::<Test>::CommissionChangeTooSoon
        );
        run_to_block(1 + 2 * CHANGE_PERIOD);
        assert_ok!(<Staking as StakingInterface<u64>>::freeze_commission(&1, V, 20));
        assert_eq!(last_event(), Event::CommissionFrozen { operator: 1, role: V, until: 20 });
        // a freeze is never shortened
        assert_ok!(<Staking as StakingInterface<u64>>::freeze_commission(&1, V, 10));
        assert_eq!(Operators::<Test>::get(1, V).unwrap().commission_frozen_until, 20);
        assert_noop!(
            Staking::set_commission(signed(1), V, Perbill::from_percent(30)),
            Error::<Test>::CommissionFrozen
        );
        run_to_block(20);
        assert_ok!(Staking::set_commission(signed(1), V, Perbill::from_percent(30)));
        // Lowering is never limited in size.
        run_to_block(20 + CHANGE_PERIOD);
        assert_ok!(Staking::set_commission(signed(1), V, Perbill::zero()));
        assert_noop!(
            <Staking as StakingInterface<u64>>::freeze_commission(&2, V, 20),
            Error::<Test>::NotAnOperator
        );
    });
}

// ---------------------------------------------------------------- workers

/// Security review §4: every block records whether it had room for worker calls, so that the
/// products excuse silence only congestion could have forced; the record is kept for the
/// slashable eras.
#[test]
fn blocks_record_whether_they_had_room_for_worker_calls() {
    new_test_ext().execute_with(|| {
        Staking::note_room(1);
        frame_system::BlockSize::<Test>::put(u32::MAX);
        Staking::note_room(2);
        Staking::note_room(3);
        frame_system::BlockSize::<Test>::kill();
        Staking::note_room(4);
        assert_eq!(RoomyBlocks::<Test>::get(3), Some(1));
        assert!(!Staking::had_room(2, 4), "blocks 2 and 3 were full");
        assert!(Staking::had_room(2, 5), "block 4 had room");
        assert!(!Staking::had_room(3, 3), "an empty window has no block");
        // A window without a record (never written, or pruned) counts as having had room.
        assert!(Staking::had_room(100, 110));
        // EraLength 10 × MaxSlashableEras 8: 80 blocks are kept.
        for n in 5..=81 {
            Staking::note_room(n);
        }
        assert_eq!(RoomyBlocks::<Test>::get(1), None);
        assert_eq!(RoomyBlocks::<Test>::get(2), Some(1));
        assert_eq!(RoomyBlocks::<Test>::get(81), Some(79));
    });
}

/// The proof worker key `worker` makes for `operator` on this chain.
fn proof(worker: u64, operator: u64) -> TestSignature {
    TestSignature(worker, crate::workers::worker_key_message::<Test>(&operator))
}

#[test]
fn worker_keys_register_rotate_and_remove() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Staking::set_worker(signed(1), 101, proof(101, 1)),
            Error::<Test>::NotAnOperator
        );
        bond(1, V, 300);
        bond(2, T, 300);
        assert_noop!(
            Staking::set_worker(signed(1), 1, proof(1, 1)),
            Error::<Test>::WorkerIsOperator
        );
        assert_ok!(Staking::set_worker(signed(1), 101, proof(101, 1)));
        assert_eq!(last_event(), Event::WorkerSet { operator: 1, worker: 101, previous: None });
        // Even with the key's own proof for it, a second operator cannot take a registered key.
        assert_noop!(
            Staking::set_worker(signed(2), 101, proof(101, 2)),
            Error::<Test>::WorkerAlreadyRegistered
        );
        assert_eq!(Staking::operator_of_worker(&101), Some(1));
        assert_ok!(Staking::set_worker(signed(1), 102, proof(102, 1)));
        assert_eq!(
            last_event(),
            Event::WorkerSet { operator: 1, worker: 102, previous: Some(101) }
        );
        assert_eq!(Staking::operator_of_worker(&101), None);
        assert_ok!(Staking::remove_worker(signed(1)));
        assert_eq!(last_event(), Event::WorkerRemoved { operator: 1, worker: 102 });
        assert_noop!(Staking::remove_worker(signed(1)), Error::<Test>::NoWorker);
        assert_eq!(Staking::operator_of_worker(&102), None);
        Staking::do_try_state().unwrap();
    });
}

/// Security review §17: a front-runner cannot register a key it does not hold. The proof
/// must be the key's own signature, over this operator and this chain.
#[test]
fn worker_keys_need_a_proof_of_possession() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        bond(2, V, 300);
        // No valid signature at all.
        assert_noop!(
            Staking::set_worker(signed(2), 101, TestSignature(101, b"anything".to_vec())),
            Error::<Test>::BadWorkerProof
        );
        // Signed by another key.
        assert_noop!(
            Staking::set_worker(signed(2), 101, proof(102, 2)),
            Error::<Test>::BadWorkerProof
        );
        // The victim's own proof (for operator 1), replayed by the front-runner (operator 2).
        assert_noop!(
            Staking::set_worker(signed(2), 101, proof(101, 1)),
            Error::<Test>::BadWorkerProof
        );
        // A proof made for another chain (another genesis hash).
        let elsewhere = (crate::workers::WORKER_KEY_CONTEXT, 1u64, H256::repeat_byte(9)).encode();
        assert_noop!(
            Staking::set_worker(signed(1), 101, TestSignature(101, elsewhere)),
            Error::<Test>::BadWorkerProof
        );
        assert_ok!(Staking::set_worker(signed(1), 101, proof(101, 1)));
        assert_eq!(Staking::operator_of_worker(&101), Some(1));
    });
}

#[test]
fn worker_calls_are_rate_limited() {
    new_test_ext().execute_with(|| {
        assert_noop!(Staking::ensure_worker(RuntimeOrigin::root()), DispatchError::BadOrigin);
        assert_noop!(Staking::ensure_worker(signed(101)), Error::<Test>::UnknownWorker);
        bond(1, V, 300);
        assert_ok!(Staking::set_worker(signed(1), 101, proof(101, 1)));
        for _ in 0..3 {
            assert_eq!(Staking::ensure_worker(signed(101)), Ok((101, 1)));
        }
        assert_noop!(Staking::check_worker(&101), Error::<Test>::WorkerRateLimited);
        assert_noop!(Staking::ensure_worker(signed(101)), Error::<Test>::WorkerRateLimited);
        run_to_block(11);
        assert_eq!(<Staking as StakingInterface<u64>>::check_worker(&101), Ok(1));
        assert_eq!(<Staking as StakingInterface<u64>>::note_worker_call(&101), Ok(1));
    });
}

/// Security review L5: the fee-free budget belongs to the operator; rotating the key (or
/// removing and setting it again) does not renew it.
#[test]
fn rotating_the_worker_key_does_not_renew_the_call_budget() {
    new_test_ext().execute_with(|| {
        bond(1, V, 300);
        assert_ok!(Staking::set_worker(signed(1), 101, proof(101, 1)));
        for _ in 0..3 {
            assert_ok!(Staking::ensure_worker(signed(101)));
        }
        assert_ok!(Staking::set_worker(signed(1), 102, proof(102, 1)));
        assert_noop!(Staking::ensure_worker(signed(102)), Error::<Test>::WorkerRateLimited);
        assert_ok!(Staking::remove_worker(signed(1)));
        assert_ok!(Staking::set_worker(signed(1), 103, proof(103, 1)));
        assert_noop!(Staking::check_worker(&103), Error::<Test>::WorkerRateLimited);
        run_to_block(11);
        assert_eq!(Staking::ensure_worker(signed(103)), Ok((103, 1)));
    });
}

// ---------------------------------------------------------------- governance

#[test]
fn governance_sets_parameters() {
    new_test_ext().execute_with(|| {
        let root = RuntimeOrigin::root;
        assert_noop!(Staking::set_min_stake(signed(1), V, 1, 1), DispatchError::BadOrigin);
        assert_ok!(Staking::set_min_stake(root(), V, 1_000, 50));
        assert_eq!(last_event(), Event::MinStakeSet { role: V, operator: 1_000, delegation: 50 });
        assert_eq!(MinStakes::<Test>::get(V).operator, 1_000);

        let (lo, hi) = (Perbill::from_percent(5), Perbill::from_percent(20));
        assert_noop!(Staking::set_commission_bounds(signed(1), lo, hi), DispatchError::BadOrigin);
        assert_noop!(
            Staking::set_commission_bounds(root(), hi, lo),
            Error::<Test>::InvalidCommissionBounds
        );
        assert_ok!(Staking::set_commission_bounds(root(), lo, hi));
        assert_eq!(last_event(), Event::CommissionBoundsSet { min: lo, max: hi });

        assert_noop!(Staking::set_unbonding_period(signed(1), 5), DispatchError::BadOrigin);
        assert_noop!(Staking::set_unbonding_period(root(), 0), Error::<Test>::UnbondingPeriodZero);
        // 8 slashable eras of 10 blocks cover at most 60 blocks of unbonding
        assert_noop!(
            Staking::set_unbonding_period(root(), 61),
            Error::<Test>::UnbondingPeriodTooLong
        );
        assert_ok!(Staking::set_unbonding_period(root(), 60));
        assert_eq!(last_event(), Event::UnbondingPeriodSet { blocks: 60 });

        assert_noop!(Staking::set_commission_change_period(signed(1), 5), DispatchError::BadOrigin);
        assert_ok!(Staking::set_commission_change_period(root(), 7));
        assert_eq!(last_event(), Event::CommissionChangePeriodSet { blocks: 7 });
        assert_eq!(CommissionChangePeriod::<Test>::get(), 7);
    });
}

#[test]
fn genesis_operators_are_bonded() {
    let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
    pallet_balances::GenesisConfig::<Test> { balances: vec![(1, 1_000)], ..Default::default() }
        .assimilate_storage(&mut t)
        .unwrap();
    crate::GenesisConfig::<Test> {
        operators: vec![(1, V, 500, Perbill::from_percent(5))],
        ..Default::default()
    }
    .assimilate_storage(&mut t)
    .unwrap();
    sp_io::TestExternalities::new(t).execute_with(|| {
        assert_eq!(held(1), 500);
        assert_eq!(Staking::weight_of(&1, V), 500);
        assert!(free(Staking::reward_pot()) >= 1);
        assert!(free(TREASURY) >= 1);
        check();
    });
}

use sp_runtime::BuildStorage;

// ---------------------------------------------------------------- sampling

/// Draws `count` operators of `role` as a product would in this block, with a seed known from
/// this block on: stake is read as it stood at the start of the current era.
fn sample(role: Role, count: u32, seed: [u8; 32]) -> Vec<u64> {
    Staking::sample_weighted(role, count, seed, System::block_number())
        .into_iter()
        .map(|(who, _)| who)
        .collect()
}

/// Moves to the first block of the next era: what was staked so far is in its snapshot.
fn next_era() {
    let era = <<Test as Config>::EraLength as frame_support::traits::Get<u64>>::get();
    run_to_block((System::block_number() / era + 1) * era);
}

#[test]
fn sampling_returns_distinct_active_operators() {
    new_test_ext().execute_with(|| {
        for who in 1..=10 {
            bond(who, V, 100 * who);
        }
        // 3 becomes inactive through a minimum it no longer meets (tree is stale)
        assert_ok!(Staking::set_min_stake(RuntimeOrigin::root(), V, 350, MIN_DELEGATION));
        next_era();
        for s in 0..50u8 {
            let picked = sample(V, 5, [s; 32]);
            assert_eq!(picked.len(), 5);
            let mut sorted = picked.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 5, "no duplicates");
            assert!(picked.iter().all(|w| *w >= 4), "only active operators");
            // deterministic
            assert_eq!(picked, sample(V, 5, [s; 32]));
        }
        // asking for more than exist returns every active operator
        let all = sample(V, 100, [7; 32]);
        assert_eq!(all.len(), 7);
        assert!(sample(T, 3, [7; 32]).is_empty());
    });
}

#[test]
fn sampling_frequency_is_proportional_to_weight() {
    new_test_ext().execute_with(|| {
        // weights 1 : 2 : 3 : 4 (operator 4 via a delegation, operator 3 via a lock)
        bond(1, V, 1_000);
        bond(2, V, 2_000);
        bond(3, V, 1_000);
        bond(4, V, 1_000);
        delegate(5, 4, V, 3_000);
        // 3 locks for 167 days: m = 1 + 2.19·137/365 = 1.822, so 3 has weight 1_822
        assert_ok!(Staking::lock(signed(3), V, 167));
        let weights = [1_000u128, 2_000, 1_822, 4_000];
        let total: u128 = weights.iter().sum();
        next_era();
        let mut hits = [0u32; 4];
        let n = 20_000u32;
        for i in 0..n {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            let picked = sample(V, 1, seed);
            hits[(picked[0] - 1) as usize] += 1;
        }
        for (h, w) in hits.iter().zip(weights) {
            let expected = f64::from(n) * (w as f64) / (total as f64);
            let tolerance = 0.05 * expected;
            assert!(
                (f64::from(*h) - expected).abs() < tolerance,
                "hits {hits:?} vs weights {weights:?}"
            );
        }
    });
}

#[test]
fn stale_lock_is_corrected_by_rejection_sampling() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        bond(2, V, 1_000);
        assert_ok!(Staking::lock(signed(1), V, 365));
        run_to_block(5_000); // the lock ended; 1's stored weight (3 010) is stale
        let mut ones = 0u32;
        let n = 4_000u32;
        for i in 0..n {
            let mut seed = [1u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            if sample(V, 1, seed) == vec![1] {
                ones += 1;
            }
        }
        // current weights are equal: about half each
        assert!((f64::from(ones) / f64::from(n) - 0.5).abs() < 0.04, "{ones}");
    });
}

/// Security review §10: the author of the draw block knows the seed; whatever it bonds,
/// delegates or unbonds in that block (or anywhere after the snapshot) does not raise anyone's
/// chance. On the old code the fresh 1 000 000 stake was drawn in ~99.8 % of draws.
#[test]
fn stake_moved_after_the_snapshot_cannot_steer_a_draw() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        bond(2, V, 1_000);
        next_era();
        // the draw block: a newcomer with a huge stake, a huge delegation to 2
        bond(3, V, 900_000);
        delegate(4, 2, V, 900_000);
        let n = 2_000u32;
        let mut twos = 0u32;
        for i in 0..n {
            let mut seed = [3u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            let drawn = Staking::sample_weighted(V, 1, seed, System::block_number());
            assert_eq!(drawn.len(), 1);
            let (who, weight) = drawn[0];
            assert_ne!(who, 3, "stake bonded after the snapshot was drawn");
            assert_eq!(weight, 1_000, "the draw weight is the snapshot's");
            twos += u32::from(who == 2);
        }
        assert!((f64::from(twos) / f64::from(n) - 0.5).abs() < 0.05, "{twos} of {n}");
        assert_eq!(Staking::draw_weight(&3, V, System::block_number()), 0);
        assert_eq!(Staking::draw_weight(&2, V, System::block_number()), 1_000);
        // from the next era on the new stake counts
        next_era();
        assert_eq!(Staking::draw_weight(&3, V, System::block_number()), 900_000);
        assert_eq!(Staking::draw_weight(&2, V, System::block_number()), 901_000);
        check();
    });
}

/// A seed known from an earlier era on is applied to the stake of that era's start, not the
/// current one; a seed known from before the kept history draws nobody.
#[test]
fn a_draw_reads_the_era_before_its_seed_was_known() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        next_era(); // era 1
        let fixed_before = System::block_number() + 3;
        run_to_block(fixed_before + 1);
        bond(2, V, 5_000); // still era 1, after the seed could be known
        next_era(); // era 2
        bond(3, V, 7_000);
        for seed in 0..40u8 {
            let drawn = Staking::sample_weighted(V, 3, [seed; 32], fixed_before);
            assert_eq!(drawn, vec![(1, 1_000)], "only era 1's starting stake counts");
        }
        assert_eq!(Staking::draw_weight(&2, V, fixed_before), 0);
        // the current era's start holds 1 and 2
        let mut now = Staking::sample_weighted(V, 3, [9; 32], System::block_number());
        now.sort();
        assert_eq!(now, vec![(1, 1_000), (2, 5_000)]);
        // SnapshotEras = 3: eras 0..=2 are readable in era 2, era 0 not from era 3 on
        assert_eq!(Staking::snapshot_era(0), Some(0));
        next_era();
        assert_eq!(Staking::snapshot_era(0), None);
        assert_eq!(Staking::draw_weight(&1, V, 0), 0);
        check();
    });
}

/// Stake that leaves after the snapshot lowers the operator's chance (the weight is capped by
/// the current one), and an operator no longer active is never drawn.
#[test]
fn stake_gone_since_the_snapshot_lowers_the_chance() {
    new_test_ext().execute_with(|| {
        bond(1, V, 4_000);
        bond(2, V, 4_000);
        bond(3, V, 4_000);
        next_era();
        assert_ok!(Staking::unbond(signed(1), V, 3_000)); // 1 keeps 1 000
        assert_ok!(Staking::unbond(signed(3), V, 4_000)); // 3 is inactive
        let n = 4_000u32;
        let mut ones = 0u32;
        for i in 0..n {
            let mut seed = [5u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            let drawn = Staking::sample_weighted(V, 1, seed, System::block_number());
            assert_ne!(drawn[0].0, 3);
            if drawn[0].0 == 1 {
                assert_eq!(drawn[0].1, 1_000);
                ones += 1;
            }
        }
        // weights 1 000 : 4 000
        assert!((f64::from(ones) / f64::from(n) - 0.2).abs() < 0.03, "{ones} of {n}");
        check();
    });
}

/// A slot a departed operator freed is not handed to a newcomer while a readable snapshot
/// still holds the departed operator's weight in it.
#[test]
fn freed_slot_waits_for_the_snapshots_to_pass() {
    new_test_ext().execute_with(|| {
        bond(1, V, 5_000);
        bond(2, V, 1_000);
        next_era();
        assert_ok!(Staking::unbond(signed(1), V, 5_000));
        run_to_block(System::block_number() + UNBONDING);
        assert_ok!(Staking::withdraw_unbonded(signed(1), 1, V));
        assert!(!Operators::<Test>::contains_key(1, V));
        let freed_in = Staking::current_era();
        // a newcomer now gets a fresh slot, and the snapshot gives it nothing of 1's weight
        bond(3, V, 1_000);
        assert_eq!(Operators::<Test>::get(3, V).unwrap().slot, 3);
        assert_eq!(Staking::draw_weight(&3, V, System::block_number()), 0);
        // SnapshotEras (3) eras later the slot is reused
        while Staking::current_era() < freed_in + 3 {
            next_era();
        }
        bond(4, V, 1_000);
        assert_eq!(Operators::<Test>::get(4, V).unwrap().slot, 1);
        assert!(SlotFreedIn::<Test>::get(V, 1).is_none());
        check();
    });
}

// ---------------------------------------------------------------- joining (security review L9)

fn engage(operator: u64, role: Role, until: u64) {
    assert_ok!(<Staking as StakingInterface<u64>>::engage(&operator, role, until));
}

/// Security review L9: a delegation made between a draw and the payment for that work shares
/// none of it. The pool is bound until block 25 (era 2): stake joining in era 1 earns from era
/// 3 on. On the old code the delegator took half of the first reward.
#[test]
fn a_delegation_shares_no_reward_for_work_done_before_it_joined() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        next_era(); // era 1: the operator's own stake earns
        engage(1, V, 25);
        delegate(2, 1, V, 1_000);
        assert_eq!(Staking::earning_era(&1, V), 3);
        assert_eq!(MemberPending::<Test>::get((1, V, 2)), Some((3, 1_000)));
        reward(1, V, 1_000); // 100 commission, 900 to the pool: all the operator's
        assert_eq!(Staking::claimable(&2, &1, V), 0);
        assert_eq!(Staking::claimable(&1, &1, V), 900);
        check();
        next_era(); // era 2: still bound
        reward(1, V, 1_000);
        assert_eq!(Staking::claimable(&2, &1, V), 0);
        assert_eq!(Staking::claimable(&1, &1, V), 1_800);
        check();
        next_era(); // era 3: the delegation earns, from this era's rewards on
        reward(1, V, 1_000);
        assert_eq!(Staking::claimable(&2, &1, V), 450);
        assert_eq!(Staking::claimable(&1, &1, V), 2_250);
        // settled lazily: the batch and the era's record stay until the delegator acts
        assert!(MemberPending::<Test>::get((1, V, 2)).is_some());
        assert_eq!(EarningSince::<Test>::get((1, V, 3)).map(|(_, members)| members), Some(1));
        assert_ok!(Staking::claim(signed(2), 1, V));
        assert_eq!(free(2), ENDOWMENT - 1_000 + 450);
        assert!(MemberPending::<Test>::get((1, V, 2)).is_none());
        assert!(EarningSince::<Test>::get((1, V, 3)).is_none());
        check();
    });
}

/// Without an obligation, stake earns from the era after it joins; a reward while nothing
/// earns yet stays with the operator, as in an empty pool.
#[test]
fn new_stake_earns_from_the_next_era() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        delegate(2, 1, V, 3_000);
        assert_eq!(Staking::earning_era(&1, V), 1);
        reward(1, V, 1_000);
        assert_eq!(
            last_event(),
            Event::Rewarded { operator: 1, role: V, commission: 1_000, to_pool: 0 }
        );
        assert_eq!(Staking::claimable(&2, &1, V), 0);
        next_era();
        reward(1, V, 1_000); // 900 over 1 000 : 3 000
        assert_eq!(Staking::claimable(&1, &1, V), 225);
        assert_eq!(Staking::claimable(&2, &1, V), 675);
        // more stake joining now waits an era; the rest keeps earning
        delegate(2, 1, V, 4_000);
        reward(1, V, 1_000);
        assert_eq!(Staking::claimable(&2, &1, V), 1_350);
        next_era();
        reward(1, V, 1_000); // 900 over 1 000 : 7 000
        assert_eq!(Staking::claimable(&2, &1, V), 1_350 + 787);
        check();
    });
}

/// A trainer's pool is not bound, but its commission is frozen until the tasks it submitted
/// to end: stake joining meanwhile waits for them too.
#[test]
fn stake_joining_a_pool_that_works_on_a_task_waits_for_the_task() {
    new_test_ext().execute_with(|| {
        bond(1, T, 1_000);
        next_era();
        assert_ok!(<Staking as StakingInterface<u64>>::freeze_commission(&1, T, 35));
        delegate(2, 1, T, 1_000);
        assert_eq!(MemberPending::<Test>::get((1, T, 2)), Some((4, 1_000)));
        check();
    });
}

/// Unbonding takes the newest (pending) stake first, so a just-in-time delegation cannot swap
/// its pending points for earning ones.
#[test]
fn unbonding_takes_pending_stake_first() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        delegate(2, 1, V, 1_000);
        next_era();
        delegate(2, 1, V, 500);
        assert_eq!(MemberPending::<Test>::get((1, V, 2)), Some((2, 500)));
        assert_ok!(Staking::undelegate(signed(2), 1, V, 300));
        assert_eq!(MemberPending::<Test>::get((1, V, 2)), Some((2, 200)));
        assert_ok!(Staking::undelegate(signed(2), 1, V, 400));
        assert!(MemberPending::<Test>::get((1, V, 2)).is_none());
        assert!(PendingJoins::<Test>::get(1, V).is_empty());
        reward(1, V, 1_000); // 900 over 1 000 : 800, all earning
        assert_eq!(Staking::claimable(&2, &1, V), 400);
        check();
    });
}

/// A member joining again once the pool is bound longer moves its earlier pending stake to
/// the later era (it never earns earlier than a batch already waiting).
#[test]
fn joining_again_moves_the_earlier_batch_along() {
    new_test_ext().execute_with(|| {
        bond(1, V, 1_000);
        next_era();
        delegate(2, 1, V, 100);
        delegate(3, 1, V, 100);
        assert_eq!(MemberPending::<Test>::get((1, V, 2)), Some((2, 100)));
        engage(1, V, 45);
        delegate(2, 1, V, 50);
        assert_eq!(MemberPending::<Test>::get((1, V, 2)), Some((5, 150)));
        let joins = PendingJoins::<Test>::get(1, V).into_inner();
        assert_eq!(
            joins,
            vec![
                crate::joining::PendingJoin { era: 2, points: 100, members: 1 },
                crate::joining::PendingJoin { era: 5, points: 150, members: 1 },
            ]
        );
        check();
        next_era();
        reward(1, V, 1_100); // era 2: 990 over 1 100 earning points (not 2's 150)
        assert_eq!(Staking::claimable(&3, &1, V), 90);
        assert_eq!(Staking::claimable(&2, &1, V), 0);
        check();
    });
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use crate::snapshot::WeightKey;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Bond(u64, u64),
        BondExtra(u64, u64),
        Unbond(u64, u64),
        Delegate(u64, u64, u64),
        Undelegate(u64, u64, u64),
        Reward(u64, u64),
        Grant(u64, u64),
        Slash(u64, u32),
        Withdraw(u64, u64),
        Claim(u64, u64),
        ApplySlash(u64, u64),
        Engage(u64, u64),
        Advance(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let operator = 1u64..=3;
        let account = 1u64..=8;
        prop_oneof![
            (operator.clone(), 100u64..5_000).prop_map(|(o, a)| Op::Bond(o, a)),
            (operator.clone(), 1u64..2_000).prop_map(|(o, a)| Op::BondExtra(o, a)),
            (operator.clone(), 1u64..3_000).prop_map(|(o, a)| Op::Unbond(o, a)),
            (account.clone(), operator.clone(), 10u64..3_000)
                .prop_map(|(d, o, a)| Op::Delegate(d, o, a)),
            (account.clone(), operator.clone(), 1u64..3_000)
                .prop_map(|(d, o, a)| Op::Undelegate(d, o, a)),
            (operator.clone(), 0u64..100_000).prop_map(|(o, a)| Op::Reward(o, a)),
            (operator.clone(), 0u64..20_000).prop_map(|(o, a)| Op::Grant(o, a)),
            (operator.clone(), 0u32..=1_000_000_000).prop_map(|(o, p)| Op::Slash(o, p)),
            (account.clone(), operator.clone()).prop_map(|(d, o)| Op::Withdraw(d, o)),
            (account.clone(), operator.clone()).prop_map(|(d, o)| Op::Claim(d, o)),
            (account.clone(), operator.clone()).prop_map(|(d, o)| Op::ApplySlash(d, o)),
            (operator.clone(), 1u64..40).prop_map(|(o, b)| Op::Engage(o, b)),
            (1u64..15).prop_map(Op::Advance),
        ]
    }

    fn total_of(accounts: &[u64]) -> u64 {
        accounts.iter().map(Balances::total_balance).sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Over random sequences of every operation: the ledger invariants hold (held ==
        /// ledger, member values sum to the pool within one unit per member, the sampling tree
        /// is consistent, and so is every snapshot, which equals the values recorded as its era
        /// began; pending points add up); no balance is created or destroyed (total issuance is constant and
        /// the treasury changed by exactly what the `SlashPaid` and `RewardGranted` events
        /// say); the reward pot can always pay every claim.
        #[test]
        fn random_operations_keep_invariants(ops in prop::collection::vec(op(), 1..60)) {
            new_test_ext().execute_with(|| {
                let pot = Staking::reward_pot();
                // enough for a few grants, so that both paid and refused grants occur
                <Balances as Mutate<u64>>::set_balance(&TREASURY, 50_000);
                let mut accounts: Vec<u64> = (1..=8).collect();
                accounts.extend([500, TREASURY, pot]);
                let issuance = Balances::total_issuance();
                let everyone = total_of(&accounts);
                let treasury = free(TREASURY);
                let mut now = 1u64;
                let n_ops = ops.len() as u64;
                // the sampling values at the start of each era, recorded as it begins: the
                // snapshots the histories answer must equal them exactly (security review §10)
                let values = || -> Vec<(WeightKey, u128)> {
                    let mut v = vec![(WeightKey::Total, TotalWeight::<Test>::get(V))];
                    v.extend((1..=16).map(|s| (WeightKey::Slot(s), SlotWeight::<Test>::get(V, s))));
                    v.extend((1..=16).map(|i| (WeightKey::Node(i), WeightTree::<Test>::get(V, i))));
                    v
                };
                let mut starts = std::collections::BTreeMap::from([(0u32, values())]);
                for op in ops {
                    let role = V;
                    let _ = match op {
                        Op::Bond(o, a) => Staking::bond(signed(o), role, a, Perbill::from_percent(10)),
                        Op::BondExtra(o, a) => Staking::bond_extra(signed(o), role, a),
                        Op::Unbond(o, a) => Staking::unbond(signed(o), role, a),
                        Op::Delegate(d, o, a) => Staking::delegate(signed(d), o, role, a),
                        Op::Undelegate(d, o, a) => Staking::undelegate(signed(d), o, role, a),
                        Op::Reward(o, a) =>
                            <Staking as StakingInterface<u64>>::reward(&500, &o, role, a).map(|_| ()),
                        Op::Grant(o, a) => Staking::grant_reward(RuntimeOrigin::root(), o, role, a),
                        Op::Slash(o, p) => {
                            <Staking as StakingInterface<u64>>::slash(
                                &o, role, Perbill::from_parts(p), SlashReason::Governance,
                                now.saturating_sub(5),
                            );
                            Ok(())
                        },
                        Op::Withdraw(d, o) => Staking::withdraw_unbonded(signed(d), o, role),
                        Op::Claim(d, o) => Staking::claim(signed(d), o, role),
                        Op::ApplySlash(d, o) => Staking::apply_slash(signed(9), d, o, role),
                        Op::Engage(o, blocks) =>
                            <Staking as StakingInterface<u64>>::engage(&o, role, now + blocks),
                        Op::Advance(n) => {
                            let before = Staking::current_era();
                            now += n;
                            run_to_block(now);
                            for era in before + 1..=Staking::current_era() {
                                starts.insert(era, values());
                            }
                            Ok(())
                        },
                    };
                    Staking::do_try_state().unwrap();
                    let era = Staking::current_era();
                    let current: std::collections::BTreeMap<WeightKey, u128> =
                        values().into_iter().collect();
                    for (e, then) in starts.range(era.saturating_sub(2)..=era) {
                        for (key, value) in then {
                            assert_eq!(
                                Staking::value_at(V, *key, current[key], *e), *value,
                                "{key:?} at the start of era {e}"
                            );
                        }
                    }
                }
                assert_eq!(Balances::total_issuance(), issuance);
                assert_eq!(total_of(&accounts), everyone);
                let paid: u64 = events().iter().map(|e| match e {
                    Event::SlashPaid { amount, .. } => *amount,
                    _ => 0,
                }).sum();
                let granted: u64 = events().iter().map(|e| match e {
                    Event::RewardGranted { amount, .. } => *amount,
                    _ => 0,
                }).sum();
                assert_eq!(free(TREASURY), treasury + paid - granted);
                // the pot covers every claim, keeping its existential deposit
                let mut owed = 0u64;
                for (o, r, m) in Members::<Test>::iter_keys() {
                    owed += Staking::claimable(&m, &o, r);
                }
                assert!(free(pot) > owed, "pot {} owes {}", free(pot), owed);
                // every slash is eventually paid in full: settle everyone, then compare
                let slashed: u64 = events().iter().map(|e| match e {
                    Event::Slashed { amount, .. } => *amount,
                    _ => 0,
                }).sum();
                for (o, r, m) in Members::<Test>::iter_keys().collect::<Vec<_>>() {
                    let _ = Staking::apply_slash(signed(9), m, o, r);
                }
                Staking::do_try_state().unwrap();
                let paid_all: u64 = events().iter().map(|e| match e {
                    Event::SlashPaid { amount, .. } => *amount,
                    _ => 0,
                }).sum();
                // the treasury receives every cut, give or take the members' rounding dust
                // (less than one unit per member touch)
                assert!(paid_all + 3 * n_ops + 16 >= slashed, "paid {paid_all} slashed {slashed}");
                assert!(paid_all <= slashed + 3 * n_ops + 16, "paid {paid_all} slashed {slashed}");
                assert!(!events().iter().any(|e| matches!(e, Event::SlashBurned { .. })));
            });
        }
    }

    #[derive(Clone, Debug)]
    enum JoinOp {
        Delegate(u64, u64),
        Undelegate(u64, u64),
        Reward(u64),
        Engage(u64),
        Advance(u64),
    }

    fn join_op() -> impl Strategy<Value = JoinOp> {
        prop_oneof![
            (2u64..=5, 10u64..2_000).prop_map(|(d, a)| JoinOp::Delegate(d, a)),
            (2u64..=5, 1u64..1_500).prop_map(|(d, a)| JoinOp::Undelegate(d, a)),
            (1u64..1_000_000).prop_map(JoinOp::Reward),
            (1u64..40).prop_map(JoinOp::Engage),
            (1u64..15).prop_map(JoinOp::Advance),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Security review L9 against a naive model: every reward is shared over exactly the
        /// stake that earns when it is paid — stake earns from the first era after both its
        /// join and the pool's obligations then, unbonding takes pending stake first — so
        /// each member's claim equals its naive pro-rata share of the rewards paid after its
        /// stake began to earn (within one unit per reward of rounding).
        #[test]
        fn rewards_reach_only_stake_that_earns(ops in prop::collection::vec(join_op(), 1..50)) {
            new_test_ext().execute_with(|| {
                bond(1, V, 1_000);
                // member -> (earning, pending (first era, amount)); no slash: points = value
                let mut model: std::collections::BTreeMap<u64, (u64, Option<(u32, u64)>)> =
                    std::collections::BTreeMap::from([(1, (0, Some((1, 1_000))))]);
                let mut owed: std::collections::BTreeMap<u64, f64> = Default::default();
                let mut rewards = 0u64;
                let mut bound = 0u64;
                let mut now = 1u64;
                let era_of = |b: u64| (b / 10) as u32;
                for op in ops {
                    let era = era_of(now);
                    for (_, (earning, pending)) in model.iter_mut() {
                        if let Some((first, amount)) = *pending {
                            if first <= era {
                                *earning += amount;
                                *pending = None;
                            }
                        }
                    }
                    match op {
                        JoinOp::Delegate(d, a) => {
                            if Staking::delegate(signed(d), 1, V, a).is_ok() {
                                let first = era_of(now.max(bound)) + 1;
                                let entry = model.entry(d).or_insert((0, None));
                                entry.1 = Some(match entry.1 {
                                    Some((e, p)) => (e.max(first), p + a),
                                    None => (first, a),
                                });
                            }
                        },
                        JoinOp::Undelegate(d, a) => {
                            let value = Staking::active_stake_of(&d, &1, V);
                            if Staking::undelegate(signed(d), 1, V, a).is_ok() {
                                let out = value - Staking::active_stake_of(&d, &1, V);
                                let entry = model.get_mut(&d).unwrap();
                                let pending = entry.1.map_or(0, |(_, p)| p);
                                let from_pending = out.min(pending);
                                entry.1 = entry.1.and_then(|(e, p)| {
                                    (p > from_pending).then_some((e, p - from_pending))
                                });
                                entry.0 -= out - from_pending;
                            }
                        },
                        JoinOp::Reward(r) => {
                            reward(1, V, r);
                            rewards += 1;
                            let earning: u64 = model.values().map(|(e, _)| *e).sum();
                            if earning > 0 {
                                let to_pool = r - Perbill::from_percent(10).mul_floor(r);
                                for (m, (e, _)) in &model {
                                    *owed.entry(*m).or_default() +=
                                        to_pool as f64 * *e as f64 / earning as f64;
                                }
                            }
                        },
                        JoinOp::Engage(blocks) => {
                            engage(1, V, now + blocks);
                            bound = bound.max(now + blocks);
                        },
                        JoinOp::Advance(n) => {
                            now += n;
                            run_to_block(now);
                        },
                    }
                    check();
                    for (m, expected) in &owed {
                        let claim = Staking::claimable(m, &1, V) as f64;
                        assert!(
                            claim <= expected + 1e-6 && expected - claim <= rewards as f64 + 1.0,
                            "member {m}: claimable {claim}, naive {expected}"
                        );
                    }
                }
            });
        }
    }
}
