// A development chain (`starling-node --dev`) driven as a dApp drives it: no custom type
// definitions, only what the runtime's metadata describes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, waitFor, heights } from './lib/node.js';
import { STAR, send } from './lib/tx.js';

const has = (events, section, method) => events.find(({ event }) => event.section === section && event.method === method);

test('development chain', async (t) => {
  await cryptoWaitReady();
  const node = await startDevNode(t);
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');

  await t.test('shows the chain properties: STAR, 12 decimals, SS58 42', async () => {
    const properties = await api.rpc.system.properties();
    assert.deepEqual(properties.tokenSymbol.unwrap().map(String), ['STAR']);
    assert.deepEqual(properties.tokenDecimals.unwrap().map((d) => d.toNumber()), [12]);
    assert.equal(properties.ss58Format.unwrap().toNumber(), 42);
    assert.equal(api.registry.chainSS58, 42);
    assert.deepEqual(api.registry.chainTokens, ['STAR']);
    assert.equal(api.runtimeVersion.specName.toString(), 'starling');
  });

  await t.test('authors blocks with BABE and finalises them with GRANDPA', async () => {
    const start = await heights(api);
    const later = await waitFor('three more final blocks', async () => {
      const now = await heights(api);
      return now.finalized >= start.best + 3 ? now : null;
    }, 90_000);
    assert.ok(later.best >= later.finalized);
    // Every block carries a BABE pre-digest (VRF output), the source of on-chain randomness.
    const header = await api.rpc.chain.getHeader();
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime);
    assert.ok(preRuntime, 'block has a pre-runtime digest');
    assert.equal(preRuntime.asPreRuntime[0].toString(), 'BABE');
  });

  await t.test("inserts the dev seed's worker key for off-chain workers", async () => {
    const { u8aToHex } = await import('@polkadot/util');
    assert.equal((await api.rpc.author.hasKey(u8aToHex(alice.publicKey), 'swrk')).isTrue, true);
    assert.equal((await api.rpc.author.hasKey(u8aToHex(bob.publicKey), 'swrk')).isTrue, false);
    // The consensus keys are there too: BABE authors with Alice's key.
    assert.equal((await api.rpc.author.hasKey(u8aToHex(alice.publicKey), 'babe')).isTrue, true);
  });

  await t.test('a signed transfer from //Alice to //Bob pays the amount and the fee', async () => {
    const amount = 1_234n * STAR;
    const before = { alice: (await api.query.system.account(alice.address)).data.free.toBigInt(), bob: (await api.query.system.account(bob.address)).data.free.toBigInt() };
    const tx = api.tx.balances.transferKeepAlive(bob.address, amount);
    const estimate = (await tx.paymentInfo(alice)).partialFee.toBigInt();
    assert.ok(estimate > 0n, 'the transfer has a fee');

    const { blockHash, events } = await send(api, tx, alice);
    const transfer = has(events, 'balances', 'Transfer');
    assert.ok(transfer, 'balances.Transfer event');
    assert.equal(transfer.event.data.from.toString(), alice.address);
    assert.equal(transfer.event.data.to.toString(), bob.address);
    assert.equal(transfer.event.data.amount.toBigInt(), amount);
    const feePaid = has(events, 'transactionPayment', 'TransactionFeePaid');
    assert.ok(feePaid, 'transactionPayment.TransactionFeePaid event');
    assert.equal(feePaid.event.data.who.toString(), alice.address);
    const fee = feePaid.event.data.actualFee.toBigInt();
    assert.ok(fee > 0n);
    // The fee follows block fullness from block to block, so compare within an order of magnitude.
    assert.ok(fee * 10n >= estimate && fee <= estimate * 10n, `fee ${fee} vs estimate ${estimate}`);
    assert.ok(has(events, 'system', 'ExtrinsicSuccess'), 'system.ExtrinsicSuccess event');

    const at = await api.at(blockHash);
    const after = { alice: (await at.query.system.account(alice.address)).data.free.toBigInt(), bob: (await at.query.system.account(bob.address)).data.free.toBigInt() };
    assert.equal(before.alice - after.alice, amount + fee, 'Alice pays amount + fee');
    assert.equal(after.bob - before.bob, amount, 'Bob receives the amount');
  });

  await t.test('a root-track referendum passes by conviction vote and its call is enacted', async () => {
    const ferdie = keyring.addFromUri('//Ferdie');
    const newBalance = 4_242n * STAR;
    // A call only Root may make: its effect proves the referendum dispatched as Root.
    const call = api.tx.balances.forceSetBalance(ferdie.address, newBalance);
    const encoded = call.method.toHex();
    const hash = call.method.hash.toHex();
    const len = call.method.encodedLength;

    const noted = await send(api, api.tx.preimage.notePreimage(encoded), alice);
    assert.ok(has(noted.events, 'preimage', 'Noted'));

    const submitted = await send(api, api.tx.referenda.submit(
      { system: 'Root' },
      { Lookup: { hash, len } },
      { After: 1 },
    ), alice);
    const submittedEvent = has(submitted.events, 'referenda', 'Submitted');
    assert.ok(submittedEvent, 'referenda.Submitted event');
    const index = submittedEvent.event.data.index.toNumber();
    assert.equal(submittedEvent.event.data.track.toNumber(), 0, 'root track');

    const deposit = await send(api, api.tx.referenda.placeDecisionDeposit(index), alice);
    assert.ok(has(deposit.events, 'referenda', 'DecisionDepositPlaced'));

    const voters = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve'].map((uri) => keyring.addFromUri(uri));
    const convictions = ['Locked1x', 'Locked2x', 'Locked3x', 'Locked4x', 'Locked6x'];
    await Promise.all(voters.map((voter, i) => send(api, api.tx.convictionVoting.vote(index, {
      Standard: { vote: { aye: true, conviction: convictions[i] }, balance: 950_000n * STAR },
    }), voter)));

    const tally = (await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing.tally;
    assert.ok(tally.ayes.toBigInt() > 950_000n * STAR * 5n, 'conviction multiplies the ayes');
    assert.equal(tally.nays.toBigInt(), 0n);

    const approved = await waitFor('the referendum to be approved', async () => {
      const info = await api.query.referenda.referendumInfoFor(index);
      return info.isSome && info.unwrap().isApproved;
    }, 240_000, 2_000);
    assert.ok(approved);
    await waitFor('the enacted call to take effect', async () => {
      const account = await api.query.system.account(ferdie.address);
      return account.data.free.toBigInt() === newBalance;
    }, 60_000, 1_000);
  });
});
