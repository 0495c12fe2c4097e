// Staking on a development chain, as a trainer and a delegator would use it from a wallet:
// bond, delegate, lock, set commission, a reward into the pool, claim, unbond, withdraw —
// with balances checked at every step.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, waitFor } from './lib/node.js';
import { STAR, send, findEvent, feePaid, balances } from './lib/tx.js';

const ROLE = 'TrainingNode';
const percent = (p) => p * 10_000_000; // Perbill

test('staking pools on a development chain', async (t) => {
  await cryptoWaitReady();
  const { api } = await startDevNode(t);
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));
  const bestNumber = async () => (await api.rpc.chain.getHeader()).number.toNumber();

  const own = 2_000n * STAR;
  const delegation = 500n * STAR;
  let bondedAt = 0;

  await t.test('an operator bonds: the stake is held, not transferred', async () => {
    const before = await balances(api, bob.address);
    const { blockHash, events } = await send(api, api.tx.staking.bond(ROLE, own, percent(10)), bob);
    bondedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    const bonded = findEvent(events, 'staking', 'Bonded');
    assert.ok(bonded, 'staking.Bonded');
    assert.equal(bonded.data.operator.toString(), bob.address);
    assert.equal(bonded.data.role.toString(), ROLE);
    assert.equal(bonded.data.amount.toBigInt(), own);
    const after = await balances(api, bob.address, blockHash);
    assert.equal(after.reserved - before.reserved, own, 'stake is on hold');
    assert.equal(before.free - after.free, own + feePaid(events, bob.address));
  });

  await t.test('a bond below the minimum is refused with its own error', async () => {
    await assert.rejects(send(api, api.tx.staking.bond('Validator', 1n * STAR, 0), charlie),
      (e) => e.dispatchError === 'staking.BelowMinimumStake');
  });

  await t.test('a delegator joins the pool', async () => {
    const before = await balances(api, charlie.address);
    const { blockHash, events } = await send(api, api.tx.staking.delegate(bob.address, ROLE, delegation), charlie);
    const delegated = findEvent(events, 'staking', 'Delegated');
    assert.ok(delegated, 'staking.Delegated');
    assert.equal(delegated.data.amount.toBigInt(), delegation);
    const after = await balances(api, charlie.address, blockHash);
    assert.equal(after.reserved - before.reserved, delegation);
    assert.equal(before.free - after.free, delegation + feePaid(events, charlie.address));
  });

  await t.test('the operator locks its stake for 60 days and cannot unbond it', async () => {
    const { events } = await send(api, api.tx.staking.lock(ROLE, 60), bob);
    const locked = findEvent(events, 'staking', 'Locked');
    assert.ok(locked, 'staking.Locked');
    assert.equal(locked.data.days.toNumber(), 60);
    await assert.rejects(send(api, api.tx.staking.unbond(ROLE, 1n * STAR), bob),
      (e) => e.dispatchError === 'staking.StakeLocked');
  });

  await t.test('commission changes are rate-limited from bonding and bounded per step, then take effect', async () => {
    const period = (await api.query.staking.commissionChangePeriod()).toNumber();
    const step = api.consts.staking.maxCommissionIncrease.toNumber();
    // The period counts from bonding (a margin of two blocks for inclusion).
    if ((await bestNumber()) + 2 < bondedAt + period) {
      await assert.rejects(send(api, api.tx.staking.setCommission(ROLE, percent(15)), bob),
        (e) => e.dispatchError === 'staking.CommissionChangeTooSoon', 'the period counts from bonding');
    }
    await waitFor('the commission change period since bonding to pass', async () => (await bestNumber()) >= bondedAt + period, 120_000);
    // One change raises the commission by at most `maxCommissionIncrease` (5 points).
    await assert.rejects(send(api, api.tx.staking.setCommission(ROLE, percent(10) + step + 1), bob),
      (e) => e.dispatchError === 'staking.CommissionIncreaseTooLarge');
    const first = await send(api, api.tx.staking.setCommission(ROLE, percent(15)), bob);
    assert.equal(findEvent(first.events, 'staking', 'CommissionSet').data.commission.toNumber(), percent(15));
    await assert.rejects(send(api, api.tx.staking.setCommission(ROLE, percent(20)), bob),
      (e) => e.dispatchError === 'staking.CommissionChangeTooSoon');
    await assert.rejects(send(api, api.tx.staking.setCommission(ROLE, percent(90)), bob),
      (e) => ['staking.CommissionOutOfBounds', 'staking.CommissionChangeTooSoon'].includes(e.dispatchError));
    const from = await bestNumber();
    await waitFor('the commission change period to pass', async () => (await bestNumber()) > from + period, 120_000);
    await assert.rejects(send(api, api.tx.staking.setCommission(ROLE, percent(90)), bob),
      (e) => e.dispatchError === 'staking.CommissionOutOfBounds', 'above the 50% governance bound');
    const { events } = await send(api, api.tx.staking.setCommission(ROLE, percent(20)), bob);
    const set = findEvent(events, 'staking', 'CommissionSet');
    assert.ok(set, 'staking.CommissionSet');
    assert.equal(set.data.commission.toNumber(), percent(20));
  });

  await t.test('a reward pays the commission to the operator and the rest to the pool', async () => {
    const reward = 1_000n * STAR;
    const before = await balances(api, bob.address);
    // Governance (Root on the dev chain) grants a reward from the treasury.
    const { blockHash, events } = await send(api, api.tx.sudo.sudo(api.tx.staking.grantReward(bob.address, ROLE, reward)), alice);
    const rewarded = findEvent(events, 'staking', 'Rewarded');
    assert.ok(rewarded, 'staking.Rewarded');
    const commission = rewarded.data.commission.toBigInt();
    const toPool = rewarded.data.toPool.toBigInt();
    assert.equal(commission, reward / 5n, '20% commission');
    assert.equal(commission + toPool, reward, 'nothing is lost');
    assert.ok(findEvent(events, 'staking', 'RewardGranted'));
    const after = await balances(api, bob.address, blockHash);
    assert.equal(after.free - before.free, commission, 'commission paid directly');

    // Charlie holds 500 of the pool's 2,500: a fifth of what went to the pool.
    const charlieBefore = await balances(api, charlie.address);
    const claim = await send(api, api.tx.staking.claim(bob.address, ROLE), charlie);
    const claimed = findEvent(claim.events, 'staking', 'Claimed');
    assert.ok(claimed, 'staking.Claimed');
    const expected = toPool / 5n;
    const got = claimed.data.amount.toBigInt();
    assert.ok(got <= expected && expected - got <= 1_000n, `claimed ${got}, expected ≈ ${expected}`);
    const charlieAfter = await balances(api, charlie.address, claim.blockHash);
    assert.equal(charlieAfter.free - charlieBefore.free, got - feePaid(claim.events, charlie.address));

    await assert.rejects(send(api, api.tx.staking.claim(bob.address, ROLE), charlie),
      (e) => e.dispatchError === 'staking.NothingToClaim');
  });

  await t.test('the delegator unbonds, waits out the unbonding period and withdraws', async () => {
    const { events } = await send(api, api.tx.staking.undelegate(bob.address, ROLE, delegation), charlie);
    const undelegated = findEvent(events, 'staking', 'Undelegated');
    assert.ok(undelegated, 'staking.Undelegated');
    const unlockAt = undelegated.data.unlockAt.toNumber();
    await assert.rejects(send(api, api.tx.staking.withdrawUnbonded(bob.address, ROLE), charlie),
      (e) => e.dispatchError === 'staking.NothingToWithdraw');

    await waitFor(`block #${unlockAt}`, async () => (await bestNumber()) >= unlockAt, 240_000, 2_000);
    const before = await balances(api, charlie.address);
    const withdrawal = await send(api, api.tx.staking.withdrawUnbonded(bob.address, ROLE), charlie);
    const withdrawn = findEvent(withdrawal.events, 'staking', 'Withdrawn');
    assert.ok(withdrawn, 'staking.Withdrawn');
    assert.equal(withdrawn.data.amount.toBigInt(), delegation);
    const after = await balances(api, charlie.address, withdrawal.blockHash);
    assert.equal(before.reserved - after.reserved, delegation, 'the hold is released');
    assert.equal(after.free - before.free, delegation - feePaid(withdrawal.events, charlie.address));
  });
});
