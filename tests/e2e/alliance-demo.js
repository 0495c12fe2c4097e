// The FL Alliance demo as a program (run by `scripts/alliance-demo.sh`): starts the
// three-validator local network, runs the clean and the poisoned alliance, prints per round the
// accepted and rejected updates, the global model's test MSE and what plain unweighted FedAvg
// of all of the round's updates would have given, next to the centralised test MSE; stops the
// network.

import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startLocalNetwork } from './lib/node.js';
import { runAllianceDemo, printResults } from './lib/alliance.js';

const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
let failed = false;
try {
  await cryptoWaitReady();
  console.log('starting Alice, Bob and Charlie (chain-spec/local.raw.json)');
  const nodes = await startLocalNetwork(t);
  const started = Date.now();
  const results = await runAllianceDemo(nodes, {
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
  });
  printResults(results);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
process.exit(failed ? 1 : 0);
