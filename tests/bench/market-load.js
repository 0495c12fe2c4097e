// Load benchmark of one host node (run by `scripts/market-bench.sh`): a dev chain whose node
// hosts a diabetes regression model; clients on 127.0.0.1 send paid `marketplace_predict`
// calls, each with a fresh signed voucher. Prints calls per second sequentially (one client),
// concurrently (CLIENTS users at once), and rows per second with 64-row calls; then waits for
// the host's worker to claim and prints the claim's vouchers and declared weight, and the
// weight the runtime declares for a claim of 1, 16 and 64 vouchers.
//
//   CALLS (default 1000) calls per phase, CLIENTS (default 8) concurrent users.

import { Keyring } from '@polkadot/keyring';
import { compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startDevNode, waitFor } from '../e2e/lib/node.js';
import { STAR, send, findEvent } from '../e2e/lib/tx.js';
import { encoder } from '../e2e/lib/alliance.js';

const CALLS = Number(process.env.CALLS || 1000);
const CLIENTS = Number(process.env.CLIENTS || 8);
const PRICE = STAR / 1000n;
const VOUCHER_CONTEXT = compactAddLength(stringToU8a('starling/voucher/v1'));

const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
let failed = false;

function signer(api, user, host, line) {
  return (calls) => {
    const message = u8aConcat(VOUCHER_CONTEXT,
      api.createType('(AccountId, AccountId, u32, u64, u128)', [user.address, host, line, calls, PRICE]).toU8a());
    return { user: user.address, host, calls, price: PRICE.toString(), signature: u8aToHex(user.sign(message)) };
  };
}

/** One JSON-RPC call over HTTP keep-alive (what a dApp backend would do). */
async function call(url, request) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'marketplace_predict', params: [request] }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${body.error.code}: ${body.error.message}`);
  return body.result;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

try {
  await cryptoWaitReady();
  console.log('starting a dev node');
  const node = await startDevNode(t);
  const { api } = node;
  const url = `http://127.0.0.1:${node.rpcPort}`;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const host = keyring.addFromUri('//Ferdie');
  const worker = keyring.addFromUri('//Ferdie//worker');
  await api.rpc.author.insertKey('swrk', '//Ferdie//worker', u8aToHex(worker.publicKey));
  await send(api, api.tx.staking.bond('ModelHost', 1_000n * STAR, 100_000_000), host);
  await send(api, api.tx.staking.setWorker(worker.address), host);

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
  for (const fn of cleanups.reverse()) await fn();
}
process.exit(failed ? 1 : 0);
