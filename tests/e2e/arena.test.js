// AI Arena on the three-validator local network (fast-runtime), driven as dApps would:
// a creator posts a diabetes-regression task with a bounty and seals its evaluation data by
// content hash; two trainer nodes' workers train with different model settings (ridge
// penalties) and submit sealed models; the committee's workers score, commit and reveal; the
// chain finalises, ranks (by the scores the engine gives) and pays by FLock's formula; one
// dishonest validator (Charlie's node runs with `--arena-dishonest random`) is slashed; a
// delegator collects its share of a trainer's reward.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { startLocalNetwork, waitFor } from './lib/node.js';
import { STAR, send, findEvent, setWorker, waitUntilDrawable } from './lib/tx.js';
import { encoder } from './lib/alliance.js';

const percent = (p) => p * 10_000_000; // Perbill parts
const BOUNTY = 1_000n * STAR;

/** Inserts a worker key (`swrk`) for `suri` into `node`'s keystore through the RPC. */
async function insertWorkerKey(node, suri, keyring) {
  const pair = keyring.addFromUri(suri);
  await node.api.rpc.author.insertKey('swrk', suri, u8aToHex(pair.publicKey));
  return pair;
}

test('AI Arena task on the local network', async (t) => {
  await cryptoWaitReady();
  const [alice, bob, charlie] = await startLocalNetwork(t, {
    alice: ['--arena-train-l2', '0.001'],
    bob: ['--arena-train-l2', '2'],
    charlie: ['--arena-dishonest', 'random'],
  });
  const { api } = alice;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const k = (uri) => keyring.addFromUri(uri);
  const creator = k('//Alice');
  // Validators' operators are the stash accounts; their workers are the nodes' dev keys
  // (//Alice, //Bob, //Charlie), which each node inserted itself.
  const validators = [
    { operator: k('//Alice//stash'), worker: k('//Alice') },
    { operator: k('//Bob//stash'), worker: k('//Bob') },
    { operator: k('//Charlie//stash'), worker: k('//Charlie') },
  ];
  // Trainers: Dave's worker key lives on Alice's node (ridge penalty 0.001), Eve's on Bob's (2).
  const trainers = [
    { operator: k('//Dave'), worker: await insertWorkerKey(alice, '//Dave//worker', keyring), stake: 2_000n * STAR },
    { operator: k('//Eve'), worker: await insertWorkerKey(bob, '//Eve//worker', keyring), stake: 1_500n * STAR },
  ];
  const delegator = k('//Ferdie');
  const delegation = 500n * STAR;
  const bestNumber = async () => (await api.rpc.chain.getHeader()).number.toNumber();
  // Polled 5 times a block (fast-runtime blocks are 1 s): the creator must publish within a window.
  const waitBlock = (n, what) => waitFor(`${what} (block #${n})`, async () => (await bestNumber()) >= n, 240_000, 200);

  let taskId;
  let task;
  let models;

  await t.test('operators bond and register worker keys; a delegator joins a trainer', async () => {
    for (const { operator } of validators) {
      const { data } = await api.query.system.account(operator.address);
      if (data.free.toBigInt() < 2_000n * STAR) {
        await send(api, api.tx.balances.transferKeepAlive(operator.address, 5_000n * STAR), creator);
      }
    }
    await Promise.all([
      ...validators.map(async ({ operator, worker }) => {
        await send(api, api.tx.staking.bond('Validator', 1_000n * STAR, percent(10)), operator);
        await setWorker(api, operator, worker);
      }),
      ...trainers.map(async ({ operator, worker, stake }) => {
        await send(api, api.tx.staking.bond('TrainingNode', stake, percent(10)), operator);
        await setWorker(api, operator, worker);
      }),
    ]);
    await send(api, api.tx.staking.delegate(trainers[0].operator.address, 'TrainingNode', delegation), delegator);
    for (const { worker } of [...validators, ...trainers]) {
      assert.ok((await api.query.staking.workers(worker.address)).isSome, 'worker registered');
    }
    const waited = await waitUntilDrawable(api);
    console.log(`# the validators' stake entered the draw snapshot after ${waited.toFixed(1)} s`);
  });

  const slice = (split) => ({ seed: 7, split, testPermille: 200, shardIndex: 0, shardCount: 1 });
  const evalData = { BuiltIn: { dataset: 'Diabetes', slice: slice('Test') } };
  const evalSalt = new Uint8Array(32).fill(9);

  let contentHash;

  await t.test('a creator posts a task with a sealed evaluation set', async () => {
    const datasetType = api.tx.arena.publishEvalData.meta.args[1].type.toString();
    const sealed = api.createType(datasetType, evalData);
    // The content hash of the rows, from the creator's own node.
    contentHash = await api.rpc.ml.datasetHash(sealed.toHex());
    assert.equal(contentHash.toU8a().length, 32);
    // The one commitment scheme: blake2_256(SCALE((content, salt, sealer))), here the content
    // (dataset, content hash) sealed by the creator's account.
    const evalCommitment = blake2AsU8a(u8aConcat(sealed.toU8a(), contentHash.toU8a(), evalSalt, creator.publicKey), 256);
    const spec = {
      family: 'LinearOls',
      schema: { features: 10, label: 'Continuous' },
      metric: 'Mse',
      trainingData: {
        dataset: { BuiltIn: { dataset: 'Diabetes', slice: slice('Train') } },
        contentHash: `0x${'00'.repeat(32)}`,
        uri: '',
      },
      evalCommitment,
      // Long enough for a worker whose first commit did not land to retry (RETRY_AFTER = 5).
      submissionWindow: 16,
      maxSubmissions: 8,
    };
    const { events } = await send(api, api.tx.arena.createTask(spec, BOUNTY), creator);
    const created = findEvent(events, 'arena', 'TaskCreated');
    assert.ok(created, 'arena.TaskCreated');
    taskId = created.data.task.toNumber();
    task = (await api.query.arena.tasks(taskId)).unwrap();
    assert.equal(task.bounty.toBigInt(), BOUNTY);
  });

  await t.test('trainer workers commit sealed models, fee-free', async () => {
    await waitFor('both trainers to commit', async () => {
      const entries = await api.query.arena.submissions.entries(taskId);
      return entries.length === 2;
    }, 120_000, 1_000);
    for (const { worker } of trainers) {
      const { data } = await api.query.system.account(worker.address);
      assert.equal(data.free.toBigInt(), 0n, 'worker keys hold no funds');
    }
  });

  await t.test('after submissions close the creator publishes the evaluation data; models are revealed', async () => {
    await waitBlock(task.submissionEnd.toNumber(), 'submissions to close');
    const { events } = await send(api, api.tx.arena.publishEvalData(taskId, evalData, contentHash, evalSalt), creator);
    const published = findEvent(events, 'arena', 'EvalDataPublished');
    assert.equal(published.data.contentHash.toHex(), contentHash.toHex());
    await waitFor('both models revealed', async () => {
      const entries = await api.query.arena.submissions.entries(taskId);
      return entries.every(([, s]) => s.unwrap().model.isSome);
    }, 60_000, 1_000);
    const submissions = await Promise.all(trainers.map(async ({ operator }) => (await api.query.arena.submissions(taskId, operator.address)).unwrap()));
    assert.notEqual(submissions[0].paramsHash.toHex(), submissions[1].paramsHash.toHex(), 'different settings give different models');
    models = submissions.map((s) => s.model.unwrap().asInline.map((v) => v.toBigInt()));
    // The weaker penalty keeps larger weights (the first ten parameters; the last is the intercept).
    const norm = (m) => m.slice(0, 10).reduce((a, w) => a + w * w, 0n);
    assert.ok(norm(models[0]) > norm(models[1]), 'ridge 2 shrinks the weights more than ridge 0.001');
  });

  await t.test('the committee is drawn from BABE randomness and its workers score, commit and reveal', async () => {
    await waitBlock(task.revealEnd.toNumber() + 1, 'the committee draw');
    const committee = await api.query.arena.committee(taskId);
    assert.equal(committee.length, 3);
    const members = committee.map((m) => m.validator.toString()).sort();
    assert.deepEqual(members, validators.map((v) => v.operator.address).sort());
    await waitFor('every committee member to reveal', async () => {
      const c = await api.query.arena.committee(taskId);
      return c.length === 0 || c.every((m) => m.scores.isSome);
    }, 120_000, 1_000);
  });

  await t.test('finalisation ranks, pays by the formula and slashes the dishonest validator', async () => {
    await waitFor('the task to be finalised', async () => (await api.query.arena.tasks(taskId)).unwrap().phase.isFinalised, 120_000, 1_000);
    const viaApi = await api.call.arenaApi.taskResult(taskId);
    const result = (await api.query.arena.results(taskId)).unwrap();
    assert.equal(viaApi.unwrap().toHex(), result.toHex(), 'runtime API and storage agree');

    const ranking = result.ranking.map((r) => ({ trainer: r.trainer.toString(), score: r.score.toBigInt(), reward: r.reward.toBigInt() }));
    assert.equal(ranking.length, 2);
    assert.ok(ranking[0].score <= ranking[1].score, 'lower MSE ranks first');
    // Each consensus score is what the ML engine gives the model on the evaluation data.
    for (const [i, { operator }] of trainers.entries()) {
      const engineScore = (await api.rpc.ml.evaluate(encoder(api).evaluate(models[i]))).toBigInt();
      assert.equal(ranking.find((r) => r.trainer === operator.address).score, engineScore);
    }

    // FLock's split: R_trainers = R·(γ + (1 − 2γ)·T/(T + S)), γ = 10 %.
    const T = trainers[0].stake + delegation + trainers[1].stake;
    const S = 3n * 1_000n * STAR;
    const floor = BOUNTY / 10n;
    const trainersPool = floor + ((BOUNTY - 2n * floor) * T) / (T + S);
    assert.equal(result.pool.toBigInt(), BOUNTY);
    assert.equal(result.trainersPool.toBigInt(), trainersPool);
    assert.equal(result.validatorsPool.toBigInt(), BOUNTY - trainersPool);
    // Geometric series over rank with ratio ½: 2/3 and 1/3.
    assert.equal(ranking[0].reward, (trainersPool * 2n) / 3n);
    assert.equal(ranking[1].reward, trainersPool / 3n);

    const verdicts = Object.fromEntries(result.committee.map((j) => [j.validator.toString(), j]));
    const liar = verdicts[validators[2].operator.address];
    assert.ok(liar.verdict.isDeviated, `Charlie's random scores deviate (${liar.verdict.type})`);
    assert.equal(liar.slashed.toBigInt(), 100n * STAR, '10 % of 1000 STAR');
    for (const { operator } of validators.slice(0, 2)) {
      const judged = verdicts[operator.address];
      assert.ok(judged.verdict.isAgreed);
      assert.equal(judged.reward.toBigInt(), (BOUNTY - trainersPool) / 2n);
    }
    const paid = ranking.reduce((a, r) => a + r.reward, 0n) + 2n * ((BOUNTY - trainersPool) / 2n);
    assert.equal(paid + result.toTreasury.toBigInt(), BOUNTY, 'value conserved to the unit');
  });

  await t.test('the delegator claims its share of the trainer reward', async () => {
    const result = (await api.query.arena.results(taskId)).unwrap();
    const dave = result.ranking.find((r) => r.trainer.toString() === trainers[0].operator.address);
    const reward = dave.reward.toBigInt();
    // 10 % commission to Dave; the rest by points: Ferdie holds 500 of 2500.
    const expected = ((reward - reward / 10n) * delegation) / (trainers[0].stake + delegation);
    const { events } = await send(api, api.tx.staking.claim(trainers[0].operator.address, 'TrainingNode'), delegator);
    const claimed = findEvent(events, 'staking', 'Claimed').data.amount.toBigInt();
    assert.ok(claimed <= expected && expected - claimed <= 2n, `claimed ${claimed}, expected ≈${expected}`);
  });
});
