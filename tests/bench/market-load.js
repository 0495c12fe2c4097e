// Load benchmark of one host node (run by `scripts/market-bench.sh`): a dev chain whose node
// hosts a diabetes regression model; clients on 127.0.0.1 send paid `marketplace_predict`
// calls, each with a fresh signed voucher. Prints calls per second sequentially (one client),
// concurrently (CLIENTS users at once), and rows per second with 64-row calls; then waits for
// the host's worker to claim and prints the claim's vouchers and declared weight, and the
// weight the runtime declares for a claim of 1, 16 and 64 vouchers.
//
// Then the many-users phase: USERS distinct paying users (default 1000), each with its own
// escrow, served by CLIENTS concurrent clients (each client takes the next user's next
// voucher), and the host's claims of all their vouchers: how many per block, the declared
// weight of each, and how long until every call is claimed. Or, with CLAIMS=N, only the first
// N claims included after the last call was served, each with its block, vouchers, declared
// weight, the block's consumed weight per class and the users' vouchers still stored unclaimed:
// the per-block cost of the host's claim with USERS users' vouchers stored.
//
//   CALLS (default 1000) calls per phase, CLIENTS (default 8) concurrent clients,
//   USERS (default 1000) distinct users in the many-users phase,
//   CLAIMS (default all) claims of the many users to wait for.

import http from 'node:http';
import { Keyring } from '@polkadot/keyring';
import { compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, waitFor, sleep } from '../e2e/lib/node.js';
import { STAR, send, findEvent, setWorker } from '../e2e/lib/tx.js';
import { encoder } from '../e2e/lib/alliance.js';

const CALLS = Number(process.env.CALLS || 1000);
const CLIENTS = Number(process.env.CLIENTS || 8);
const USERS = Number(process.env.USERS || 1000);
const CLAIMS = process.env.CLAIMS && process.env.CLAIMS !== 'all' ? Number(process.env.CLAIMS) : null;
const PRICE = STAR / 1000n;
const VOUCHER_CONTEXT = compactAddLength(stringToU8a('starling/voucher/v1'));

const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
let failed = false;

function signer(api, user, host, line) {
  return (calls) => {
    // SCALE((VOUCHER_CONTEXT, genesis hash, voucher)): a voucher names the chain it pays on.
    const message = u8aConcat(VOUCHER_CONTEXT, api.genesisHash.toU8a(),
      api.createType('(AccountId, AccountId, u32, u64, u128)', [user.address, host, line, calls, PRICE]).toU8a());
    return { user: user.address, host, calls, price: PRICE.toString(), signature: u8aToHex(user.sign(message)) };
  };
}

// One keep-alive connection per concurrent client. Node's `fetch` (undici) costs the client
// ~0.5 ms of CPU per call on this machine — it capped the earlier figures at ~1,400 calls/s
// with the node mostly idle; `http.request` on a keep-alive agent costs a fraction of that.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One JSON-RPC call over HTTP keep-alive (what a dApp backend would do). */
function call(url, request) {
  const body = JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'marketplace_predict', params: [request] });
  return new Promise((resolveCall, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        try {
          const answer = JSON.parse(text);
          if (answer.error) reject(new Error(`${answer.error.code}: ${answer.error.message}`));
          else resolveCall(answer.result);
        } catch (error) {
          reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Submits the transaction `make()` signs, without a status subscription; signs it afresh on a
 * retry (a dropped transaction's hash is banned for a while). Retries while the pool is full or
 * does not yet see the sender's funds; an already imported or already included one is done.
 */
async function submit(api, make) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await api.rpc.author.submitExtrinsic(await make());
      return;
    } catch (error) {
      const message = String(error.message || error);
      if (/Already Imported|outdated|Stale/i.test(message)) return;
      if (attempt > 0 && /Priority is too low/i.test(message)) return; // our earlier attempt is in
      if (attempt >= 40) throw error;
      await sleep(500);
    }
  }
}

/**
 * Funds `crowd` from `funder` (a transfer of `amount` each) and gives every user an escrow of
 * `escrow` (a deposit signed by the user once its transfer is in a block). Transactions are
 * signed here (immortal, explicit nonces) and submitted `burst` at a time without status
 * subscriptions, at most `window` of each kind pending at once; inclusion is read from the
 * events of each new block. Prints progress every few seconds.
 */
async function fundCrowd(api, funder, crowd, amount, escrow, { window = 2000, burst = 64 } = {}) {
  const started = performance.now();
  const index = new Map(crowd.map((u, i) => [u.address, i]));
  const state = new Uint8Array(crowd.length); // 1: transfer in a block, 2: deposit in a block
  const queue = []; // users whose transfer is in a block, deposit not yet sent
  let transfers = 0;
  let deposits = 0;
  let failure = null;
  let nonce = (await api.rpc.system.accountNextIndex(funder.address)).toNumber();
  let last = (await api.rpc.chain.getHeader()).number.toNumber();
  const guard = (fn) => fn().catch((error) => { failure = failure || error; });

  const sendTransfers = async () => {
    for (let i = 0; i < crowd.length && !failure;) {
      if (i - transfers >= window) { await sleep(100); continue; }
      const end = Math.min(crowd.length, i + burst);
      const sent = [];
      for (; i < end; i += 1) {
        const [user, n] = [crowd[i], nonce];
        nonce += 1;
        sent.push(submit(api, () => api.tx.balances.transferKeepAlive(user.address, amount).signAsync(funder, { nonce: n, era: 0 })));
      }
      await Promise.all(sent);
    }
  };
  const sendDeposits = async () => {
    for (let sent = 0; sent < crowd.length && !failure;) {
      if (queue.length === 0 || sent - deposits >= window) { await sleep(100); continue; }
      const users = queue.splice(0, burst);
      await Promise.all(users.map((i) => submit(api, () => api.tx.marketplace.deposit(escrow).signAsync(crowd[i], { nonce: 0, era: 0 }))));
      sent += users.length;
    }
  };
  const watch = async () => {
    let shown = performance.now();
    let moved = performance.now();
    while (deposits < crowd.length && !failure) {
      const best = (await api.rpc.chain.getHeader()).number.toNumber();
      for (let n = last + 1; n <= best; n += 1) {
        const hash = await api.rpc.chain.getBlockHash(n);
        const records = await api.query.system.events.at(hash);
        for (const { event } of records) {
          if (event.section === 'balances' && event.method === 'Transfer') {
            const i = index.get(event.data.to.toString());
            if (i !== undefined && state[i] === 0) { state[i] = 1; transfers += 1; queue.push(i); moved = performance.now(); }
          } else if (event.section === 'marketplace' && event.method === 'Deposited') {
            const i = index.get(event.data.user.toString());
            if (i !== undefined && state[i] === 1) { state[i] = 2; deposits += 1; moved = performance.now(); }
          }
        }
        last = n;
      }
      const now = performance.now();
      if (now - shown >= 5_000 && deposits < crowd.length) {
        shown = now;
        console.log(`(funding: ${deposits}/${crowd.length} users, ${((now - started) / 1000).toFixed(0)} s)`);
      }
      if (now - moved > 120_000) {
        throw new Error(`funding stalled: ${transfers} transfers and ${deposits} deposits in blocks of ${crowd.length}`);
      }
      await sleep(300);
    }
  };
  await Promise.all([guard(sendTransfers), guard(sendDeposits), guard(watch)]);
  if (failure) throw failure;
}

/** The crowd's claims in block `n`: one `{ paid, refTime, proofSize }` per successful claim. */
async function claimsIn(api, n, crowdSet) {
  const hash = await api.rpc.chain.getBlockHash(n);
  const [block, records] = await Promise.all([api.rpc.chain.getBlock(hash), api.query.system.events.at(hash)]);
  const found = [];
  block.block.extrinsics.forEach((x, index) => {
    if (x.method.section !== 'marketplace' || x.method.method !== 'claim') return;
    const mine = records.filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index);
    const success = mine.find(({ event }) => event.section === 'system' && event.method === 'ExtrinsicSuccess');
    const paid = mine.filter(({ event }) => event.section === 'marketplace' && event.method === 'VoucherPaid'
      && crowdSet.has(event.data.user.toString())).length;
    if (success && paid > 0) {
      const { weight } = success.event.data.dispatchInfo;
      found.push({ paid, refTime: weight.refTime.toBigInt(), proofSize: weight.proofSize.toBigInt() });
    }
  });
  return { hash, found };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

try {
  await cryptoWaitReady();
  console.log('starting a dev node');
  // One machine sends every call: the host's per-client-address limit is off for the bench.
  const node = await startDevNode(t, ['--market-rate-limit', '0']);
  const { api } = node;
  const url = node.marketUrl;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const host = keyring.addFromUri('//Ferdie');
  const worker = keyring.addFromUri('//Ferdie//worker');
  await api.rpc.author.insertKey('swrk', '//Ferdie//worker', u8aToHex(worker.publicKey));
  await send(api, api.tx.staking.bond('ModelHost', 1_000n * STAR, 100_000_000), host);
  await setWorker(api, host, worker);

  // The model: OLS on the built-in diabetes training split, trained by the node's engine.
  const trained = await api.rpc.ml.train(encoder(api).train());
  const [params] = api.createType('(Vec<i64>, u32)', trained.toU8a(true));
  const schema = { features: 10, label: 'Continuous' };
  const spec = { family: 'LinearOls', schema, metric: 'Mse', data: { Inline: params }, eval: null };
  const { events } = await send(api, api.tx.marketplace.uploadVersion(null, spec), host);
  const line = findEvent(events, 'marketplace', 'VersionRegistered').data.line.toNumber();
  await send(api, api.tx.marketplace.host(line, PRICE, null), host);

  const users = Array.from({ length: CLIENTS }, (_, i) => keyring.addFromUri(`//Bench//User${i}`));
  for (const user of users) {
    await send(api, api.tx.balances.transferKeepAlive(user.address, 100n * STAR), alice);
  }
  await Promise.all(users.map((user) => send(api, api.tx.marketplace.deposit(50n * STAR), user)));
  console.log(`line ${line} hosted at ${PRICE} planck per call; ${CLIENTS} users with escrow`);

  const row = [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018];
  const sign = users.map((user) => signer(api, user, host.address, line));
  const next = users.map(() => 0);
  const presign = (u, n) => Array.from({ length: n }, () => sign[u]((next[u] += 1)));

  // Warm-up: a few calls so that connections and caches are set up.
  for (const v of presign(0, 10)) await call(url, { line, rows: [row], voucher: v });

  // Sequential: one client, one row per call.
  let vouchers = presign(0, CALLS);
  console.log(`(sequential phase: ${CALLS} calls)`);
  let latencies = [];
  let started = performance.now();
  for (const v of vouchers) {
    const t0 = performance.now();
    await call(url, { line, rows: [row], voucher: v });
    latencies.push(performance.now() - t0);
  }
  let seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`sequential: ${CALLS} paid calls in ${seconds.toFixed(2)} s = ${(CALLS / seconds).toFixed(0)} calls/s`
    + ` (latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms)`);

  // Concurrent: CLIENTS users, each sequential with its own vouchers.
  const per = Math.ceil(CALLS / CLIENTS);
  const batches = users.map((_, u) => presign(u, per));
  console.log(`(concurrent phase: ${per * CLIENTS} calls from ${CLIENTS} clients)`);
  started = performance.now();
  await Promise.all(batches.map(async (batch) => {
    for (const v of batch) await call(url, { line, rows: [row], voucher: v });
  }));
  seconds = (performance.now() - started) / 1000;
  console.log(`concurrent: ${per * CLIENTS} paid calls from ${CLIENTS} clients in ${seconds.toFixed(2)} s = ${((per * CLIENTS) / seconds).toFixed(0)} calls/s`);

  // Batched rows: 64 rows per call.
  const rows = Array.from({ length: 64 }, () => row);
  const big = Math.max(1, Math.floor(CALLS / 10));
  vouchers = presign(0, big);
  started = performance.now();
  for (const v of vouchers) await call(url, { line, rows, voucher: v });
  seconds = (performance.now() - started) / 1000;
  console.log(`64-row calls: ${big} calls in ${seconds.toFixed(2)} s = ${((big * 64) / seconds).toFixed(0)} predictions/s`);

  // The host's worker claims every user's latest voucher in one transaction.
  const total = next.reduce((a, n) => a + n, 0);
  const claimed = await waitFor('the claim', async () => {
    const all = await Promise.all(users.map((u) => api.query.marketplace.claimed(u.address, host.address, line)));
    const sum = all.reduce((a, c) => a + c.toNumber(), 0);
    return sum === total ? sum : null;
  }, 120_000, 2_000);
  let hash = await api.rpc.chain.getBlockHash();
  for (let i = 0; i < 60; i += 1) {
    const block = await api.rpc.chain.getBlock(hash);
    const at = await api.at(hash);
    const records = await at.query.system.events();
    const index = block.block.extrinsics.findIndex((x) => x.method.section === 'marketplace' && x.method.method === 'claim');
    if (index >= 0) {
      const success = records.find(({ phase, event }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index
        && event.section === 'system' && event.method === 'ExtrinsicSuccess');
      const paid = records.filter(({ event }) => event.method === 'VoucherPaid').length;
      const weight = success.event.data.dispatchInfo.weight;
      console.log(`claim in block #${block.block.header.number}: ${paid} vouchers, declared weight ${(weight.refTime.toBigInt() / 1_000_000n)} µs ref time, ${weight.proofSize.toBigInt()} bytes proof`);
      break;
    }
    hash = block.block.header.parentHash;
  }
  console.log(`${claimed} paid calls claimed`);

  // Many users: USERS distinct paying users over CLIENTS concurrent clients.
  const crowd = Array.from({ length: USERS }, (_, i) => keyring.addFromUri(`//Bench//Crowd${i}`));
  let phase = performance.now();
  await fundCrowd(api, alice, crowd, 2n * STAR, STAR);
  console.log(`${USERS} users funded and with escrow in ${((performance.now() - phase) / 1000).toFixed(0)} s`);
  const crowdSign = crowd.map((u) => signer(api, u, host.address, line));
  const crowdVouchers = crowdSign.map((s) => s(1));
  let cursor = 0;
  let busy = 0;
  latencies = [];
  const callsStart = (await api.rpc.chain.getHeader()).number.toNumber();
  started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (cursor < crowdVouchers.length) {
      const v = crowdVouchers[cursor];
      cursor += 1;
      const t0 = performance.now();
      for (let attempt = 0; ; attempt += 1) {
        try {
          await call(url, { line, rows: [row], voucher: v });
          break;
        } catch (error) {
          // Refused for load (the worker holding the voucher store): retry with the same voucher.
          if (!String(error.message).startsWith('-32013:') || attempt >= 100) throw error;
          busy += 1;
          await sleep(10);
        }
      }
      latencies.push(performance.now() - t0);
    }
  }));
  seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`many users: ${USERS} paid calls from ${USERS} distinct users over ${CLIENTS} clients in ${seconds.toFixed(2)} s = ${(USERS / seconds).toFixed(0)} calls/s`
    + ` (latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`
    + `${busy ? `; ${busy} refusals as busy, retried` : ''})`);
  phase = performance.now();
  const startBlock = (await api.rpc.chain.getHeader()).number.toNumber();
  if (CLAIMS !== null) {
    // The first CLAIMS claims included after the last call was served: what a block pays for
    // the host's claim while (nearly) all USERS users' vouchers are stored unclaimed.
    const crowdSet = new Set(crowd.map((u) => u.address));
    const micros = (weight) => weight.refTime.toBigInt() / 1_000_000n;
    const { perClass } = api.consts.system.blockWeights;
    const limit = (c) => (perClass[c].maxTotal.isSome ? `${micros(perClass[c].maxTotal.unwrap())} µs` : 'none');
    console.log(`(block weight limits, ref time: normal class ${limit('normal')}, operational class ${limit('operational')};`
      + ' a claim is operational)');
    let claimedSoFar = 0;
    let during = 0;
    const seen = [];
    for (let n = callsStart + 1; seen.length < CLAIMS && claimedSoFar < USERS;) {
      if (n > (await api.rpc.chain.getHeader()).number.toNumber()) {
        if (performance.now() - phase > 900_000) throw new Error(`timed out waiting for ${CLAIMS} claims of ${USERS} users`);
        await sleep(250);
        continue;
      }
      const { hash, found } = await claimsIn(api, n, crowdSet);
      if (n <= startBlock) {
        during += found.length;
        claimedSoFar += found.reduce((a, c) => a + c.paid, 0);
      } else if (found.length > 0) {
        const used = await api.query.system.blockWeight.at(hash);
        for (const c of found.slice(0, CLAIMS - seen.length)) {
          const stored = USERS - claimedSoFar;
          claimedSoFar += c.paid;
          seen.push({ ...c, block: n, stored });
          console.log(`claim ${seen.length} of the ${USERS} users' vouchers in block #${n}: ${c.paid} vouchers paid,`
            + ` declared weight ${c.refTime / 1_000_000n} µs ref time, ${c.proofSize} bytes proof;`
            + ` ${stored} of their vouchers stored unclaimed before it, ${USERS - claimedSoFar} after;`
            + ` block's consumed weight ${micros(used.operational)} µs operational, ${micros(used.normal)} µs normal,`
            + ` ${micros(used.mandatory)} µs mandatory (ref time)`);
        }
      }
      n += 1;
    }
    if (seen.length === 0) throw new Error(`no claim of the ${USERS} users' vouchers after the calls`);
    const paid = seen.reduce((a, c) => a + c.paid, 0);
    const refTime = seen.reduce((a, c) => a + c.refTime, 0n);
    console.log(`first ${seen.length} claims after the last call, with ${seen[0].stored}..${seen.at(-1).stored} of the ${USERS} users'`
      + ` vouchers stored: ${(paid / seen.length).toFixed(1)} vouchers and ${refTime / BigInt(seen.length) / 1_000_000n} µs`
      + ` ref time declared per claim; ${during} claims of ${USERS - seen[0].stored}`
      + ` vouchers included while the calls were made`);
  } else {
    await waitFor(`the claims of ${USERS} users`, async () => {
      const all = await api.query.marketplace.claimed.multi(crowd.map((u) => [u.address, host.address, line]));
      return all.every((c) => c.toNumber() === 1);
    }, 900_000, 3_000);
    const endBlock = (await api.rpc.chain.getHeader()).number.toNumber();
    const claims = [];
    hash = await api.rpc.chain.getBlockHash();
    for (let n = endBlock; n > startBlock; n -= 1) {
      const block = await api.rpc.chain.getBlock(hash);
      const at = await api.at(hash);
      const records = await at.query.system.events();
      block.block.extrinsics.forEach((x, index) => {
        if (x.method.section !== 'marketplace' || x.method.method !== 'claim') return;
        const success = records.find(({ phase: p, event }) => p.isApplyExtrinsic && p.asApplyExtrinsic.toNumber() === index
          && event.section === 'system' && event.method === 'ExtrinsicSuccess');
        const paid = records.filter(({ phase: p, event }) => p.isApplyExtrinsic && p.asApplyExtrinsic.toNumber() === index
          && event.method === 'VoucherPaid').length;
        if (success) claims.push({ block: n, paid, refTime: success.event.data.dispatchInfo.weight.refTime.toBigInt() });
      });
      hash = block.block.header.parentHash;
    }
    const biggest = claims.reduce((m, c) => (c.paid > m.paid ? c : m), { paid: 0, refTime: 0n });
    console.log(`claims of the ${USERS} users: ${claims.length} claim transactions over ${endBlock - startBlock} blocks`
      + ` in ${((performance.now() - phase) / 1000).toFixed(0)} s; largest: ${biggest.paid} vouchers,`
      + ` declared weight ${(biggest.refTime / 1_000_000n)} µs ref time per block`);
  }
  for (const v of [1, 16, 64]) {
    const vouchersOf = Array.from({ length: v }, () => sign[0](1));
    const claim = api.tx.marketplace.claim({ worker: { Sr25519: worker.publicKey }, vouchers: vouchersOf.map((x) => ({
      voucher: { user: x.user, host: x.host, line, calls: x.calls, price: x.price },
      signature: { Sr25519: x.signature },
    })) }, { Sr25519: `0x${'00'.repeat(64)}` });
    const info = await api.call.transactionPaymentCallApi.queryCallInfo(claim.method, claim.method.encodedLength);
    console.log(`claim of ${v} vouchers: weight ${(info.weight.refTime.toBigInt() / 1_000_000n)} µs ref time, ${info.weight.proofSize.toBigInt()} bytes proof`);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  agent.destroy();
  for (const fn of cleanups.reverse()) await fn();
}
process.exit(failed ? 1 : 0);
