// Sending transactions and reading balances as a dApp does.
import { compactAddLength, stringToU8a, u8aConcat } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import { waitFor } from './node.js';

export const STAR = 10n ** 12n;

/** A dispatch error as `section.Name`. */
export function errorName(api, dispatchError) {
  if (dispatchError.isModule) {
    const meta = api.registry.findMetaError(dispatchError.asModule);
    return `${meta.section}.${meta.name}`;
  }
  return dispatchError.toString();
}

/**
 * Signs and sends `tx`; resolves with `{ blockHash, events }` once the block it is in is
 * finalised (a block it was in first may lose a fork race on a loaded machine, and the
 * transaction then lands a block or two later), rejects with an Error whose `.dispatchError`
 * is the dispatch error (`staking.StakeLocked`, ...) or when the pool drops it.
 */
export function send(api, tx, signer) {
  return new Promise((resolveTx, reject) => {
    let unsubscribe = () => {};
    let done = false;
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (done) return;
      if (dispatchError) {
        done = true;
        unsubscribe();
        const name = errorName(api, dispatchError);
        const error = new Error(`${tx.method.section}.${tx.method.method} failed: ${name}`);
        error.dispatchError = name;
        reject(error);
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        done = true;
        unsubscribe();
        reject(new Error(`${tx.method.section}.${tx.method.method}: the pool reports ${status.type}`));
      } else if (status.isFinalized) {
        done = true;
        unsubscribe();
        // A sudo call succeeds as an extrinsic even when the call inside fails.
        const sudid = events.find(({ event }) => event.section === 'sudo' && event.method === 'Sudid');
        if (sudid && sudid.event.data.sudoResult.isErr) {
          const name = errorName(api, sudid.event.data.sudoResult.asErr);
          const error = new Error(`sudo(${tx.method.section}.${tx.method.method}) failed: ${name}`);
          error.dispatchError = name;
          reject(error);
          return;
        }
        resolveTx({ blockHash: status.asFinalized, events });
      }
    }).then((u) => { unsubscribe = u; if (done) u(); }, reject);
  });
}

/** The first event `section.method` in `events`, or undefined. */
export const findEvent = (events, section, method) =>
  events.find(({ event }) => event.section === section && event.method === method)?.event;

/** The fee `who` paid in `events` (from transactionPayment.TransactionFeePaid). */
export function feePaid(events, who) {
  const event = events.find(({ event }) => event.section === 'transactionPayment'
    && event.method === 'TransactionFeePaid' && event.data.who.toString() === who);
  return event ? event.event.data.actualFee.toBigInt() : 0n;
}

/** `{ free, reserved }` of `who`, at `blockHash` if given. Holds count as reserved. */
export async function balances(api, who, blockHash) {
  const at = blockHash ? await api.at(blockHash) : api;
  const { data } = await at.query.system.account(who);
  return { free: data.free.toBigInt(), reserved: data.reserved.toBigInt() };
}

/**
 * `staking.setWorker(worker, proof)`: the worker key's proof of possession is its signature
 * over SCALE(("starling/worker-key/v1", operator, genesis hash)) — a byte string is
 * length-prefixed, an account is its 32 bytes.
 */
export function setWorker(api, operator, worker) {
  const message = u8aConcat(
    compactAddLength(stringToU8a('starling/worker-key/v1')),
    decodeAddress(operator.address),
    api.genesisHash.toU8a(),
  );
  return send(api, api.tx.staking.setWorker(worker.address, { Sr25519: worker.sign(message) }), operator);
}

/**
 * Waits until the stake bonded so far counts in committee and role draws. A draw reads stake as
 * it stood at the start of the newest era that began no later than the previous BABE epoch's
 * first block (security review §10): fresh stake counts once the previous epoch began after the
 * next era did, an era and up to two epochs after bonding. Returns the seconds waited.
 */
export async function waitUntilDrawable(api) {
  const era = api.consts.staking.eraLength.toNumber();
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const from = (Math.floor(now / era) + 1) * era;
  const started = Date.now();
  await waitFor(`bonded stake to enter the draw snapshot (a previous epoch from #${from} on)`, async () => {
    const [previousEpochStart] = await api.query.babe.epochStart();
    return previousEpochStart.toNumber() >= from;
  }, 300_000, 1_000);
  return (Date.now() - started) / 1000;
}
