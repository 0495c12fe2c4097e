// AI Marketplace on the three-validator local network (fast-runtime), driven as dApps would:
// an arena task finishes and its winner appears as version 1 of a new model line; a staked
// host (its worker key on Charlie's node) hosts it; a user with stake uses its free calls,
// deposits, and pays for predictions through the host node's market endpoint
// (`marketplace_predict` on `--market-listen`) with signed vouchers; the host node restarts and remembers every voucher and free call; the
// host's worker claims, and every balance (host, creator, treasury, user) matches the split;
// validators' workers re-score the hosted version on-chain.
//
// It also plays the attacker of the security review: a stranger on the host node's RPC tries
// to read the host's private CSV (through `ml_*`, and through a marketplace upload whose
// evaluation data is the private dataset) and is refused both ways; the user locks its whole
// balance in a conviction vote and still pays the host for every paid call; after a restart
// with `--rpc-methods safe`, the `ml_*` methods are refused while `marketplace_predict` serves;
// one client address flooding the market endpoint is refused over its budget, then served.

import test from 'node:test';
import assert from 'node:assert/strict';
import { WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactAddLength, u8aConcat, u8aToHex, stringToU8a } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, encodeAddress } from '@polkadot/util-crypto';
import { sleep, startLocalNetwork, waitFor } from './lib/node.js';
import { typeAt } from './lib/alliance.js';
import { STAR, send, findEvent, setWorker, waitUntilDrawable } from './lib/tx.js';

const percent = (p) => p * 10_000_000; // Perbill parts
const BOUNTY = 1_000n * STAR;
const PRICE = STAR;
// What a user signs: SCALE(("starling/voucher/v1", genesis hash, voucher)); a byte string is
// length-prefixed.
const VOUCHER_CONTEXT = compactAddLength(stringToU8a('starling/voucher/v1'));
const TREASURY = encodeAddress(u8aConcat(stringToU8a('modl'), stringToU8a('st/trsry'), new Uint8Array(20)), 42);

async function insertWorkerKey(node, suri, keyring) {
  const pair = keyring.addFromUri(suri);
  await node.api.rpc.author.insertKey('swrk', suri, u8aToHex(pair.publicKey));
  return pair;
}

/** A voucher for `calls` paid calls, signed by `user` as a dApp does with polkadot.js. */
function voucher(api, user, host, line, calls, price = PRICE) {
  const message = u8aConcat(VOUCHER_CONTEXT, api.genesisHash.toU8a(),
    api.createType('(AccountId, AccountId, u32, u64, u128)', [user.address, host, line, calls, price]).toU8a());
  return { user: user.address, host, calls, price: price.toString(), signature: u8aToHex(user.sign(message)) };
}

/** Calls `marketplace_predict` on `node`'s market endpoint; resolves with the answer. */
function predict(node, line, rows, v) {
  return node.predict({ line, rows, voucher: v });
}

async function refused(promise, pattern) {
  await assert.rejects(promise, (error) => {
    assert.match(error.message, pattern);
    return true;
  });
}

// Ten diabetes rows (standardised features), the first of the dataset's shape.
const ROWS = [
  [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018],
  [-0.002, -0.045, -0.051, -0.026, -0.008, -0.019, 0.074, -0.039, -0.068, -0.092],
];

test('AI Marketplace: an arena winner is hosted, paid for with vouchers and claimed', async (t) => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const k = (uri) => keyring.addFromUri(uri);
  // The host's private data: a CSV on Charlie's node, listed for the host's worker key.
  const hostWorkerKey = u8aToHex(k('//Ferdie//worker').publicKey);
  const mlData = mkdtempSync(join(tmpdir(), 'starling-private-'));
  t.after(() => rmSync(mlData, { recursive: true, force: true }));
  writeFileSync(join(mlData, 'patients.csv'), 'age,dose,outcome\n61,2.5,1.75\n47,1.0,0.5\n');
  writeFileSync(join(mlData, 'manifest.json'), JSON.stringify({
    datasets: { patients: { file: 'patients.csv', label: 'outcome', workers: [hostWorkerKey], roles: ['FlParticipant'] } },
  }));
  const [alice, bob, charlie] = await startLocalNetwork(t, {
    alice: ['--arena-train-shard', '0/2'],
    bob: ['--arena-train-shard', '1/2'],
    charlie: ['--ml-data', mlData],
  });
  const { api } = alice;
  const creator = k('//Alice');
  const validators = [
    { operator: k('//Alice//stash'), worker: k('//Alice') },
    { operator: k('//Bob//stash'), worker: k('//Bob') },
    { operator: k('//Charlie//stash'), worker: k('//Charlie') },
  ];
  const trainers = [
    { operator: k('//Dave'), worker: await insertWorkerKey(alice, '//Dave//worker', keyring) },
    { operator: k('//Eve'), worker: await insertWorkerKey(bob, '//Eve//worker', keyring) },
  ];
  const host = { operator: k('//Ferdie'), worker: await insertWorkerKey(charlie, '//Ferdie//worker', keyring) };
  const user = k('//Market//User');
  const bestNumber = async () => (await api.rpc.chain.getHeader()).number.toNumber();
  // Polled 5 times a block (fast-runtime blocks are 1 s): the creator must publish within a window.
  const waitBlock = (n, what) => waitFor(`${what} (block #${n})`, async () => (await bestNumber()) >= n, 240_000, 200);

  let taskId;
  let line;

  await t.test('operators bond; the host bonds as a model host; the user stakes', async () => {
    for (const who of [...validators.map((v) => v.operator), user]) {
      await send(api, api.tx.balances.transferKeepAlive(who.address, 5_000n * STAR), creator);
    }
    await Promise.all([
      ...validators.map(async ({ operator, worker }) => {
        await send(api, api.tx.staking.bond('Validator', 1_000n * STAR, percent(10)), operator);
        await setWorker(api, operator, worker);
      }),
      ...trainers.map(async ({ operator, worker }) => {
        await send(api, api.tx.staking.bond('TrainingNode', 1_000n * STAR, percent(10)), operator);
        await setWorker(api, operator, worker);
      }),
      (async () => {
        await send(api, api.tx.staking.bond('ModelHost', 1_000n * STAR, percent(10)), host.operator);
        await setWorker(api, host.operator, host.worker);
      })(),
    ]);
    // 300 STAR delegated: 5 + 3 free calls per period.
    await send(api, api.tx.staking.delegate(validators[0].operator.address, 'Validator', 300n * STAR), user);
    const waited = await waitUntilDrawable(api);
    console.log(`# the validators' stake entered the draw snapshot after ${waited.toFixed(1)} s`);
  });

  await t.test('an arena task finishes and its winner becomes version 1 of a model line', async () => {
    const slice = (split) => ({ seed: 7, split, testPermille: 200, shardIndex: 0, shardCount: 1 });
    const evalData = { BuiltIn: { dataset: 'Diabetes', slice: slice('Test') } };
    const evalSalt = new Uint8Array(32).fill(9);
    const datasetType = api.tx.arena.publishEvalData.meta.args[1].type.toString();
    const sealed = api.createType(datasetType, evalData);
    const contentHash = await api.rpc.ml.datasetHash(sealed.toHex());
    // The one commitment scheme: blake2_256(SCALE((content, salt, sealer))), here the content
    // (dataset, content hash) sealed by the creator's account.
    const evalCommitment = blake2AsU8a(u8aConcat(sealed.toU8a(), contentHash.toU8a(), evalSalt, creator.publicKey), 256);
    const spec = {
      family: 'LinearOls',
      schema: { features: 10, label: 'Continuous' },
      metric: 'Mse',
      trainingData: { dataset: { BuiltIn: { dataset: 'Diabetes', slice: slice('Train') } }, contentHash: `0x${'00'.repeat(32)}`, uri: '' },
      evalCommitment,
      // 16 blocks, as in the arena test: a trainer whose first commit did not land retries.
      submissionWindow: 16,
      maxSubmissions: 8,
    };
    const { events } = await send(api, api.tx.arena.createTask(spec, BOUNTY), creator);
    taskId = findEvent(events, 'arena', 'TaskCreated').data.task.toNumber();
    const task = (await api.query.arena.tasks(taskId)).unwrap();
    await waitFor('both trainers to commit', async () => (await api.query.arena.submissions.entries(taskId)).length === 2, 120_000);
    await waitBlock(task.submissionEnd.toNumber(), 'submissions to close');
    await send(api, api.tx.arena.publishEvalData(taskId, evalData, contentHash, evalSalt), creator);
    await waitFor('the task to be finalised', async () => (await api.query.arena.tasks(taskId)).unwrap().phase.isFinalised, 300_000);

    const result = (await api.query.arena.results(taskId)).unwrap();
    const winner = result.ranking[0];
    const lines = await api.query.marketplace.lines.entries();
    const found = [];
    for (const [key] of lines) {
      const id = key.args[0].toNumber();
      const v1 = (await api.query.marketplace.versions(id, 1)).unwrap();
      if (v1.source.isArenaTask && v1.source.asArenaTask.toNumber() === taskId) found.push([id, v1]);
    }
    assert.equal(found.length, 1, 'one line for the task');
    let v1;
    [line, v1] = found[0];
    const record = (await api.query.marketplace.lines(line)).unwrap();
    assert.equal(record.owner.toString(), creator.address, 'the task creator owns the line');
    assert.equal(record.latest.toNumber(), 1);
    assert.equal(v1.paramsHash.toHex(), winner.paramsHash.toHex(), 'the winning model');
    assert.equal(v1.sourceScore.unwrap().toBigInt(), winner.score.toBigInt());
    assert.deepEqual(v1.creators.map(([a, w]) => [a.toString(), w.toNumber()]), [[winner.trainer.toString(), 1]]);
    assert.ok(v1.spec.eval.isSome, 'the task evaluation data travels with the version');
  });

  let creatorAccount;
  let params;

  await t.test('the host hosts the line', async () => {
    const { events } = await send(api, api.tx.marketplace.host(line, PRICE, null), host.operator);
    assert.ok(findEvent(events, 'marketplace', 'Hosted'));
    const v1 = (await api.query.marketplace.versions(line, 1)).unwrap();
    creatorAccount = v1.creators[0][0].toString();
    params = v1.spec.data.asInline.map((p) => Number(p.toBigInt()) / 1e6);
    await waitFor("Charlie's node to see the hosting", async () => {
      const h = await charlie.api.query.marketplace.hosts(line, host.operator.address);
      return h.isSome;
    }, 30_000);
  });

  const expected = (row) => row.reduce((acc, x, i) => acc + x * params[i], params[10]);

  await t.test("a stranger cannot read the host's private rows, over RPC or on-chain", async () => {
    const ml = (name) => typeAt(api, `starling_ml_interface::types::${name}`);
    const datasetType = api.tx.arena.publishEvalData.meta.args[1].type.toString();
    // One row of the private CSV, named with the host's worker key as an attacker would.
    const privateRow = api.createType(datasetType, {
      Local: { id: 'patients', worker: hostWorkerKey, slice: { seed: 0, split: 'All', testPermille: 0, shardIndex: 0, shardCount: 2 } },
    });
    const schemaType = api.tx.marketplace.uploadVersion.meta.args[1].type.toString();
    await refused(charlie.api.rpc.ml.datasetHash(privateRow.toHex()), /LocalDataRefused/);
    const probe = u8aToHex(u8aConcat(
      api.createType(ml('ModelFamily'), 'LinearOls').toU8a(),
      api.createType(ml('Schema'), { features: 2, label: 'Continuous' }).toU8a(),
      privateRow.toU8a(),
      api.createType('Vec<i64>', [0, 0, 0]).toU8a(),
      api.createType(ml('Metric'), 'Mse').toU8a(),
      new Uint8Array([0]), // no content hash
      new Uint8Array([0]), // no worker key
    ));
    await refused(charlie.api.rpc.ml.evaluate(probe), /LocalDataRefused/);
    // On-chain: a version whose evaluation data is the private dataset would make every
    // validator score probe models on its own rows and publish the scores.
    const spec = api.createType(schemaType, {
      family: 'LinearOls',
      schema: { features: 2, label: 'Continuous' },
      metric: 'Mse',
      data: { Inline: [0, 0, 0] },
      eval: privateRow,
    });
    // The attacker is staked (uploads need stake): one of the trainers.
    await assert.rejects(send(api, api.tx.marketplace.uploadVersion(null, spec), trainers[0].operator),
      (error) => error.dispatchError === 'marketplace.EvaluationDataMustBePublic');
  });

  await t.test('a staked user gets its free calls, then must pay', async () => {
    const [free] = (await api.call.marketplaceApi.freeTier(user.address)).map((n) => n.toNumber());
    assert.equal(free, 8, '5 + ⌊300 STAR / 100 STAR⌋');
    for (let i = 1; i <= free; i += 1) {
      const answer = await predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 0));
      assert.equal(answer.paid, false);
      assert.equal(answer.freeCallsLeft, free - i);
      assert.equal(answer.version, 1);
      answer.predictions.forEach((p, r) => assert.ok(Math.abs(p - expected(ROWS[r])) < 1e-3, `${p} vs ${expected(ROWS[r])}`));
    }
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 0)), /free calls used up.*calls = 1/);
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 1)), /escrow/);
  });

  await t.test('the user deposits, locks its whole balance in a conviction vote and pays per call with vouchers; bad requests are refused', async () => {
    await send(api, api.tx.marketplace.deposit(100n * STAR), user);
    // A referendum to vote on (a remark on the root track), and the user's vote with its
    // whole balance, held escrow included: a lock over the held funds.
    const remark = api.tx.system.remark('0x01');
    await send(api, api.tx.preimage.notePreimage(remark.method.toHex()), creator);
    const submitted = await send(api, api.tx.referenda.submit({ system: 'Root' },
      { Lookup: { hash: remark.method.hash.toHex(), len: remark.method.encodedLength } }, { After: 1 }), creator);
    const index = findEvent(submitted.events, 'referenda', 'Submitted').data.index.toNumber();
    // Everything the account will hold once the vote's fee is paid.
    const account = (await api.query.system.account(user.address)).data;
    const vote = (balance) => api.tx.convictionVoting.vote(index, {
      Standard: { vote: { aye: false, conviction: 'Locked6x' }, balance },
    });
    const whole = account.free.toBigInt() + account.reserved.toBigInt();
    const { partialFee } = await vote(whole).paymentInfo(user);
    // Less twice the fee, in case the fee multiplier moves before the vote is included.
    await send(api, vote(whole - 2n * partialFee.toBigInt()), user);
    // Read once the best chain carries the vote: under load a block the vote was in can lose a
    // fork race, and the vote comes back a block or two later.
    await waitFor("the vote's lock on the best chain", async () => (await api.query.balances.locks(user.address)).length > 0, 30_000);
    const after = (await api.query.system.account(user.address)).data;
    const locks = await api.query.balances.locks(user.address);
    const locked = locks.reduce((max, l) => (l.amount.toBigInt() > max ? l.amount.toBigInt() : max), 0n);
    const free = after.free.toBigInt();
    assert.ok(locked > free + after.reserved.toBigInt() - 3n * partialFee.toBigInt(),
      `locked: the whole balance, held escrow included (locks ${locks.map((l) => `${l.id.toUtf8()}=${l.amount}`).join(', ')}; `
      + `before the vote free ${account.free} reserved ${account.reserved}; after free ${free} reserved ${after.reserved}; estimated fee ${partialFee})`);
    // Politely, at most `free + held − lock` (a fee or two) could leave the account: every
    // payment below needs the forced move out of the hold.
    assert.ok(free + after.reserved.toBigInt() - locked < PRICE, 'nothing worth a call is movable politely');
    await waitFor("Charlie's node to see the escrow", async () => (await charlie.api.query.marketplace.escrows(user.address)).isSome, 30_000);
    for (let calls = 1; calls <= 5; calls += 1) {
      const answer = await predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, calls));
      assert.equal(answer.paid, true);
      assert.equal(answer.calls, calls);
    }
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 500)), /escrow/);
    const forged = voucher(api, user, host.operator.address, line, 6);
    forged.calls = 7;
    await refused(predict(charlie, line, ROWS, forged), /signature/);
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 6, 2n * STAR)), /price/);
    await refused(predict(charlie, line, [ROWS[0].slice(1)], voucher(api, user, host.operator.address, line, 6)), /9 features; the model takes 10/);
    await refused(predict(charlie, 999, ROWS, voucher(api, user, host.operator.address, 999, 6)), /not hosted/);
    await refused(predict(alice, line, ROWS, voucher(api, user, host.operator.address, line, 6)), /another host/);
  });

  await t.test('one client address cannot take the host: over its budget it is refused, then served again', async () => {
    // 80 requests at once from this address (the default budget: 20 calls a second, bursts
    // of 40), each for a line nobody hosts: the limit answers before the request is read.
    const flood = await Promise.allSettled(Array.from({ length: 80 }, () =>
      predict(charlie, 999, ROWS, voucher(api, user, host.operator.address, 999, 6))));
    const messages = flood.map((answer) => answer.reason?.message ?? 'served');
    const limited = messages.filter((m) => /^-32029: .*--market-rate-limit.*retry in \d+ ms/.test(m)).length;
    const read = messages.filter((m) => /not hosted/.test(m)).length;
    assert.ok(limited >= 30, `refused over the budget: ${limited} of 80 (${[...new Set(messages)].join(' | ')})`);
    assert.ok(read >= 1 && read <= 45, `read: ${read} of 80`);
    // Two seconds later the budget has refilled: the same client is served.
    await sleep(2_000);
    await refused(predict(charlie, 999, ROWS, voucher(api, user, host.operator.address, 999, 6)), /not hosted/);
    // The endpoint speaks WebSocket too, as the RPC port does.
    const ws = new WsProvider(charlie.marketUrl.replace('http://', 'ws://'), false);
    await ws.connect();
    await ws.isReady;
    try {
      await refused(ws.send('marketplace_predict', [{ line: 999, rows: ROWS, voucher: voucher(api, user, host.operator.address, 999, 6) }]), /not hosted/);
    } finally {
      await ws.disconnect();
    }
  });

  await t.test('the host node restarts (safe RPC methods only) and remembers the vouchers and free calls', async () => {
    await charlie.stop();
    charlie.args = [...charlie.args, '--rpc-methods', 'safe'];
    charlie.start();
    await charlie.connect();
    // The ML methods are unsafe: refused on a node that denies unsafe methods.
    const builtIn = api.createType(api.tx.arena.publishEvalData.meta.args[1].type.toString(), {
      BuiltIn: { dataset: 'Diabetes', slice: { seed: 7, split: 'Test', testPermille: 200, shardIndex: 0, shardCount: 1 } },
    });
    await refused(charlie.api.rpc.ml.datasetHash(builtIn.toHex()), /unsafe/);
    await waitFor('Charlie to sync', async () => (await charlie.api.rpc.chain.getHeader()).number.toNumber() >= (await bestNumber()) - 1, 60_000);
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 3)), /stale: the latest has calls = 5/);
    await refused(predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 5)), /free calls used up/);
    const answer = await predict(charlie, line, ROWS, voucher(api, user, host.operator.address, line, 6));
    assert.equal(answer.paid, true);
  });

  await t.test("the host's worker claims; host, creator, treasury and user balances match the split", async () => {
    await waitFor('every paid call to be claimed', async () => (await api.query.marketplace.claimed(user.address, host.operator.address, line)).toNumber() === 6, 120_000);
    // Find every VoucherPaid of this user in the recent blocks and check each block's balance changes.
    let hash = await api.rpc.chain.getBlockHash();
    const paid = [];
    for (let i = 0; i < 150 && paid.reduce((a, p) => a + p.calls, 0) < 6; i += 1) {
      const at = await api.at(hash);
      const events = await at.query.system.events();
      for (const { event } of events) {
        if (event.section === 'marketplace' && event.method === 'VoucherPaid' && event.data.user.toString() === user.address) {
          paid.push({ hash, calls: event.data.calls.toNumber(), data: event.data });
        }
      }
      hash = (await api.rpc.chain.getHeader(hash)).parentHash;
    }
    assert.equal(paid.reduce((a, p) => a + p.calls, 0), 6, 'six calls paid in all');
    const account = async (at, who) => (await at.query.system.account(who)).data;
    for (const p of paid) {
      const header = await api.rpc.chain.getHeader(p.hash);
      const [before, after] = await Promise.all([api.at(header.parentHash), api.at(p.hash)]);
      const amount = BigInt(p.calls) * PRICE;
      assert.equal(p.data.amount.toBigInt(), amount);
      assert.equal(p.data.toHost.toBigInt(), (amount * 70n) / 100n);
      assert.equal(p.data.toCreators.toBigInt(), (amount * 20n) / 100n);
      assert.equal(p.data.toTreasury.toBigInt(), amount - (amount * 90n) / 100n);
      const delta = async (who, field) => (await account(after, who))[field].toBigInt() - (await account(before, who))[field].toBigInt();
      assert.equal(await delta(host.operator.address, 'free'), p.data.toHost.toBigInt(), 'host');
      assert.equal(await delta(creatorAccount, 'free'), p.data.toCreators.toBigInt(), 'creator');
      assert.equal(await delta(TREASURY, 'free'), p.data.toTreasury.toBigInt(), 'treasury');
      assert.equal(await delta(user.address, 'reserved'), -amount, 'user escrow');
      assert.equal(await delta(user.address, 'free'), 0n, 'the user pays nothing else');
    }
    const escrow = (await api.query.marketplace.escrows(user.address)).unwrap();
    assert.equal(escrow.held.toBigInt(), 94n * STAR);
  });

  await t.test("validators' workers re-score the hosted version on its evaluation data", async () => {
    const result = (await api.query.arena.results(taskId)).unwrap();
    const reports = await waitFor('quality reports', async () => {
      const entries = await api.query.marketplace.quality.entries([line, 1]);
      return entries.length >= 2 ? entries : null;
    }, 180_000, 2_000);
    for (const [key, report] of reports) {
      assert.ok(validators.some((v) => v.operator.address === key.args[1].toString()));
      assert.equal(report.unwrap().score.toBigInt(), result.ranking[0].score.toBigInt(), 'the same model on the same data');
    }
  });
});
