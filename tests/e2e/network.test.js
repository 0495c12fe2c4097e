// The three-validator local network of `chain-spec/local.raw.json`: Alice, Bob and Charlie
// author with BABE and finalise with GRANDPA; a validator killed with SIGKILL restarts from
// its database and catches up.
//
// GRANDPA finalises with more than two thirds of the authority weight, so three equal
// validators need all three to finalise: with one down, the other two keep authoring and
// finality resumes when it returns. Tolerating f failed validators takes 3f + 1 of them; the
// second test shows a four-validator network (the local spec plus Dave) finalising on with
// one validator killed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalNetwork, waitFor, heights, nodeBinary, scratch } from './lib/node.js';

/** Block authors' BABE authority indices over the last `count` blocks seen by `api`. */
async function authorIndices(api, count) {
  const indices = new Set();
  let hash = await api.rpc.chain.getBlockHash();
  for (let i = 0; i < count; i += 1) {
    const header = await api.rpc.chain.getHeader(hash);
    if (header.number.toNumber() === 0) break;
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime && log.asPreRuntime[0].toString() === 'BABE');
    // A BABE pre-digest is a SCALE enum (primary, secondary plain, secondary VRF) whose
    // variants all start with the author's authority index as a little-endian u32.
    const bytes = preRuntime.asPreRuntime[1].toU8a(true);
    const authorityIndex = bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (bytes[4] << 24);
    indices.add(authorityIndex);
    hash = header.parentHash;
  }
  return indices;
}

test('three-validator local network', async (t) => {
  const [alice, bob, charlie] = await startLocalNetwork(t);

  await t.test('all three validators author and finalise', async () => {
    await waitFor('every validator to see two peers', async () => {
      const peers = await Promise.all([alice, bob, charlie].map((n) => n.api.rpc.system.health()));
      return peers.every((h) => h.peers.toNumber() >= 2);
    }, 120_000);
    await waitFor('block #12 to be final on every validator', async () => {
      const all = await Promise.all([alice, bob, charlie].map((n) => heights(n.api)));
      return all.every((h) => h.finalized >= 12);
    }, 240_000, 2_000);
    const authorities = await alice.api.query.babe.authorities();
    assert.equal(authorities.length, 3);
    const grandpa = await alice.api.call.grandpaApi.grandpaAuthorities();
    assert.equal(grandpa.length, 3);
    const authors = await authorIndices(alice.api, 12);
    assert.ok(authors.size >= 2, `blocks come from several validators (saw ${[...authors]})`);
  });

  await t.test('a validator killed with SIGKILL restarts from its database and catches up', async () => {
    await charlie.kill();
    const atKill = await heights(alice.api);

    // Alice and Bob keep authoring while Charlie is down.
    await waitFor('Alice and Bob to author 5 blocks without Charlie', async () => {
      const [a, b] = await Promise.all([heights(alice.api), heights(bob.api)]);
      return a.best >= atKill.best + 5 && b.best >= atKill.best + 5;
    }, 120_000, 2_000);

    charlie.start();
    await charlie.connect();
    const resumed = await heights(charlie.api);
    assert.ok(resumed.best >= atKill.finalized, `Charlie resumed from its database at #${resumed.best}`);

    // With Charlie back, all three finalise past everything authored during the outage.
    const target = (await heights(alice.api)).best + 2;
    await waitFor(`block #${target} to be final on every validator`, async () => {
      const all = await Promise.all([alice, bob, charlie].map((n) => heights(n.api)));
      return all.every((h) => h.finalized >= target);
    }, 240_000, 2_000);
    const [hashAlice, hashCharlie] = await Promise.all([
      alice.api.rpc.chain.getBlockHash(target),
      charlie.api.rpc.chain.getBlockHash(target),
    ]);
    assert.equal(hashCharlie.toHex(), hashAlice.toHex(), 'Charlie is on the same finalised chain');
  });
});

/** The local chain spec with Dave as a fourth BABE and GRANDPA authority, in a scratch file. */
function fourValidatorSpec(t) {
  const binary = nodeBinary();
  const spec = JSON.parse(execFileSync(binary, ['build-spec', '--chain', 'local', '--disable-default-bootnode'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }).toString());
  const key = (scheme) => JSON.parse(execFileSync(binary, ['key', 'inspect', '--scheme', scheme, '--output-type', 'json', '//Dave']).toString()).ss58Address;
  const { patch } = spec.genesis.runtimeGenesis;
  patch.babe.authorities.push([key('sr25519'), 1]);
  patch.grandpa.authorities.push([key('ed25519'), 1]);
  spec.id = 'starling_local_four';
  const { dir, cleanup } = scratch('starling-spec-');
  t.after(cleanup);
  const file = join(dir, 'four.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

test('four-validator network finalises with one validator killed', async (t) => {
  const nodes = await startLocalNetwork(t, {}, {
    names: ['alice', 'bob', 'charlie', 'dave'],
    chain: fourValidatorSpec(t),
  });
  const [alice, , , dave] = nodes;
  const others = nodes.slice(0, 3);

  await waitFor('block #6 to be final on every validator', async () => {
    const all = await Promise.all(nodes.map((n) => heights(n.api)));
    return all.every((h) => h.finalized >= 6);
  }, 240_000, 2_000);
  assert.equal((await alice.api.call.grandpaApi.grandpaAuthorities()).length, 4);

  await dave.kill();
  const atKill = await heights(alice.api);
  // Three of four hold more than two thirds of the weight: finality goes on.
  const target = atKill.best + 5;
  await waitFor(`block #${target} to be final on the three without Dave`, async () => {
    const all = await Promise.all(others.map((n) => heights(n.api)));
    return all.every((h) => h.finalized >= target);
  }, 240_000, 2_000);

  dave.start();
  await dave.connect();
  await waitFor(`Dave to catch up to final block #${target}`, async () => (await heights(dave.api)).finalized >= target, 240_000, 2_000);
});
