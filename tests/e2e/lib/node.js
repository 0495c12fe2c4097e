// Starts and stops real starling-node processes for the end-to-end tests.
//
// Every node gets its own base path under a fresh temporary folder and its own free ports on
// 127.0.0.1. Every process started here is stopped when the test file ends, and killed if the
// test runner itself exits early.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The node binary under test: $STARLING_NODE, else the release build in the cargo target dir. */
export function nodeBinary() {
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'starling-target');
  const binary = process.env.STARLING_NODE || join(target, 'release', 'starling-node');
  if (!existsSync(binary)) {
    throw new Error(`no starling-node at ${binary}: build it with scripts/test.sh or set STARLING_NODE`);
  }
  return binary;
}

const live = new Set();
function killAll() {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { killAll(); process.exit(130); });
}

/** A port the kernel reports free on 127.0.0.1 now. */
function unboundPort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// Test files run side by side, each in its own process: a port is free between the moment one
// process picks it and the moment its node binds it, so another process could pick it too.
// Every port handed out is therefore claimed by creating a directory named after it (atomic
// across processes) and released when this process exits.
const claims = join(tmpdir(), 'starling-e2e-ports');
mkdirSync(claims, { recursive: true });
const claimed = new Set();
process.on('exit', () => {
  for (const port of claimed) rmSync(join(claims, String(port)), { recursive: true, force: true });
});

/** A free TCP port on 127.0.0.1 that no other test process has been given. */
export async function freePort() {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await unboundPort();
    try {
      mkdirSync(join(claims, String(port)));
    } catch {
      continue; // claimed by another test process (or by this one) and maybe not bound yet
    }
    claimed.add(port);
    return port;
  }
  throw new Error(`no unclaimed port after 100 tries: remove stale claims in ${claims}`);
}

/** A scratch folder removed by `cleanup()`. */
export function scratch(prefix = 'starling-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One starling-node process. */
/**
 * RPC definitions of the node's own `ml_*` methods (node/src/rpc.rs), as a dApp declares them
 * to @polkadot/api. Paid inference (`marketplace_predict`) is served on the host's market
 * endpoint, not on the RPC port: see `Node.predict`.
 */
export const mlRpc = {
  ml: {
    evaluate: { description: 'Score a model with the node engine (SCALE EvaluateRequest)', params: [{ name: 'request', type: 'Bytes' }], type: 'i64' },
    train: { description: 'Train a model with the node engine (SCALE TrainRequest → TrainResult)', params: [{ name: 'request', type: 'Bytes' }], type: 'Bytes' },
    datasetHash: { description: 'Content hash of the rows a dataset reference selects (SCALE DatasetRef)', params: [{ name: 'dataset', type: 'Bytes' }], type: 'H256' },
  },
};

export class Node {
  constructor({ name, args, basePath, rpcPort, p2pPort, marketPort, logDir }) {
    Object.assign(this, { name, args, basePath, rpcPort, p2pPort, marketPort, logDir });
    this.child = null;
    this.api = null;
    this.starts = 0;
  }

  /** Starts the process (again, after a stop or kill, on the same database). */
  start() {
    if (this.child) throw new Error(`${this.name} is already running`);
    this.starts += 1;
    this.logPath = join(this.logDir, `${this.name}.${this.starts}.log`);
    const log = createWriteStream(this.logPath);
    const child = spawn(nodeBinary(), [
      ...this.args,
      '--base-path', this.basePath,
      '--rpc-port', String(this.rpcPort),
      '--market-listen', `127.0.0.1:${this.marketPort}`,
      '--listen-addr', `/ip4/127.0.0.1/tcp/${this.p2pPort}`,
      '--no-prometheus',
      '--no-telemetry',
      '--no-mdns',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.exited = new Promise((resolveExit) => child.on('exit', (code, signal) => {
      live.delete(child);
      if (this.child === child) this.child = null;
      resolveExit({ code, signal });
    }));
    live.add(child);
    this.child = child;
    return this;
  }

  get wsUrl() { return `ws://127.0.0.1:${this.rpcPort}`; }

  /** The node's market endpoint (`--market-listen`), where `marketplace_predict` is served. */
  get marketUrl() { return `http://127.0.0.1:${this.marketPort}`; }

  /**
   * Calls `marketplace_predict` on the market endpoint as a dApp does (JSON-RPC over HTTP);
   * resolves with the answer, rejects with `code: message` of a refusal.
   */
  async predict(request) {
    const response = await fetch(this.marketUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'marketplace_predict', params: [request] }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${body.error.code}: ${body.error.message}`);
    return body.result;
  }

  /** Connects @polkadot/api once the RPC server answers, waiting up to `timeoutMs`. */
  async connect(timeoutMs = 120_000) {
    const up = await waitFor(`${this.name}'s RPC server`, async () => {
      if (!this.child) return 'exited';
      const response = await fetch(`http://127.0.0.1:${this.rpcPort}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'system_health', params: [] }),
      });
      return response.ok ? 'up' : null;
    }, timeoutMs, 500);
    if (up === 'exited') {
      const tail = readFileSync(this.logPath, 'utf8').trim().split('\n').slice(-15).join('\n');
      throw new Error(`${this.name} exited before its RPC server came up:\n${tail}`);
    }
    const provider = new WsProvider(this.wsUrl);
    this.api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true, rpc: mlRpc });
    return this.api;
  }

  async disconnect() {
    if (this.api) {
      const { api } = this;
      this.api = null;
      await api.disconnect().catch(() => {});
    }
  }

  /** SIGTERM, then SIGKILL if the node has not exited within `graceMs`. */
  async stop(graceMs = 20_000) {
    await this.disconnect();
    const { child } = this;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as a crash or power cut would. */
  async kill() {
    await this.disconnect();
    const { child } = this;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(what, probe, timeoutMs = 120_000, everyMs = 1_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await sleep(everyMs);
  }
}

/** Best and finalised block numbers seen by `api`. */
export async function heights(api) {
  const [best, finalizedHash] = await Promise.all([
    api.rpc.chain.getHeader(),
    api.rpc.chain.getFinalizedHead(),
  ]);
  const finalized = await api.rpc.chain.getHeader(finalizedHash);
  return { best: best.number.toNumber(), finalized: finalized.number.toNumber() };
}

/** A dev chain (`--dev`, Alice alone) in a scratch folder; `args` adds command-line options. */
export async function startDevNode(t, args = []) {
  const { dir, cleanup } = scratch();
  const node = new Node({
    name: 'dev',
    args: ['--dev', ...args],
    basePath: join(dir, 'dev'),
    rpcPort: await freePort(),
    p2pPort: await freePort(),
    marketPort: await freePort(),
    logDir: dir,
  }).start();
  t.after(async () => {
    await node.stop();
    if (!process.env.STARLING_KEEP_LOGS) cleanup();
    else console.log(`logs kept in ${dir}`);
  });
  await node.connect();
  return node;
}

/**
 * The three validators of the checked-in local chain spec, on their own ports.
 * `extraArgs` adds command-line options per node name (e.g. `{ charlie: ['--arena-dishonest', 'random'] }`);
 * `names` and `chain` run other well-known validators (`--dave`, …) on another chain spec.
 */
export async function startLocalNetwork(t, extraArgs = {}, {
  names = ['alice', 'bob', 'charlie'],
  chain = join(repo, 'chain-spec', 'local.raw.json'),
} = {}) {
  const { dir, cleanup } = scratch();
  const p2pPorts = await Promise.all(names.map(() => freePort()));
  const rpcPorts = await Promise.all(names.map(() => freePort()));
  const marketPorts = await Promise.all(names.map(() => freePort()));
  const nodeKeyFile = (name) => join(dir, `${name}.node-key`);
  const binary = nodeBinary();
  for (const name of names) {
    execFileSync(binary, ['key', 'generate-node-key', '--file', nodeKeyFile(name)], { stdio: 'ignore' });
  }
  const alicePeer = execFileSync(binary, ['key', 'inspect-node-key', '--file', nodeKeyFile('alice')])
    .toString().trim();
  const bootnode = `/ip4/127.0.0.1/tcp/${p2pPorts[0]}/p2p/${alicePeer}`;
  const nodes = names.map((name, i) => new Node({
    name,
    args: [
      '--chain', chain, `--${name}`, '--validator',
      '--node-key-file', nodeKeyFile(name),
      '--public-addr', `/ip4/127.0.0.1/tcp/${p2pPorts[i]}`,
      '--allow-private-ip',
      ...(i === 0 ? [] : ['--bootnodes', bootnode]),
      ...(extraArgs[name] ?? []),
    ],
    basePath: join(dir, name),
    rpcPort: rpcPorts[i],
    p2pPort: p2pPorts[i],
    marketPort: marketPorts[i],
    logDir: dir,
  }).start());
  t.after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (!process.env.STARLING_KEEP_LOGS) cleanup();
    else console.log(`logs kept in ${dir}`);
  });
  await Promise.all(nodes.map((n) => n.connect()));
  return nodes;
}
