/** The subscribers task: fan-out delivery of one counter's updates to N websocket clients. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import { Samples } from '../stats';
import { addOne, post, watch, wsClient } from './graphqlWs';
import { send, type LagResult, type SubscribersTask } from './protocol';

/** Delivery = write ack -> each subscriber seeing a value that includes the write; also the fan-out spread. */
export async function runSubscribers(t: SubscribersTask): Promise<LagResult> {
  const name = 'fanout';
  const receipts: { v: bigint; at: number }[][] = [];
  const clients: Client[] = [];
  let ready = 0;
  for (let i = 0; i < t.subscribers; i++) {
    // A few connections at a time: a thousand simultaneous handshakes measure the handshake.
    if (i % 50 === 0) await sleep(20);
    const client = wsClient(t.url);
    clients.push(client);
    const mine: { v: bigint; at: number }[] = [];
    receipts.push(mine);
    watch(client, t.namespace, name, (v, at) => {
      if (mine.length === 0) ready++;
      mine.push({ v, at });
    });
  }
  const until = performance.now() + 30_000;
  while (ready < t.subscribers && performance.now() < until) await sleep(50);
  send({ type: 'progress', elapsedS: 0, done: ready, rate: 0 });
  if (t.holdWhenReady) {
    const go = new Promise<void>((resolve) => process.on('message', (m: { type?: string }) => m.type === 'go' && resolve()));
    send({ type: 'ready', done: ready });
    await go;
  }
  const base = receipts.reduce((m, r) => (r.length > 0 && r[r.length - 1]!.v > m ? r[r.length - 1]!.v : m), 0n);
  const acks: { v: bigint; at: number }[] = [];
  for (let k = 1; k <= t.writes; k++) {
    const r = await post(t.url, addOne(t.namespace, name));
    if (r.errors) throw new Error(`fan-out write failed: ${JSON.stringify(r.errors)}`);
    acks.push({ v: base + BigInt(k), at: performance.now() });
    if (k % 10 === 0) send({ type: 'progress', elapsedS: (k * t.writeIntervalMs) / 1000, done: k, rate: 0 });
    await sleep(t.writeIntervalMs);
  }
  await sleep(2000);
  // The deliveries are over: the runner samples the service's CPU now (before the clients leave).
  send({ type: 'progress', elapsedS: (t.writes * t.writeIntervalMs) / 1000 + 2, done: t.writes, rate: 0 });
  const frames = receipts.reduce((n, mine) => n + Math.max(0, mine.length - 1), 0);
  const lag = new Samples();
  const fanout = new Samples();
  let timeouts = 0;
  const first = acks.map(() => Infinity);
  const seen: number[][] = acks.map(() => []);
  for (const mine of receipts) {
    let j = 0;
    for (let k = 0; k < acks.length; k++) {
      while (j < mine.length && mine[j]!.v < acks[k]!.v) j++;
      if (j === mine.length) {
        timeouts++;
        continue;
      }
      const at = mine[j]!.at;
      lag.add(Math.max(0, at - acks[k]!.at));
      seen[k]!.push(at);
      if (at < first[k]!) first[k] = at;
    }
  }
  seen.forEach((times, k) => times.forEach((at) => fanout.add(at - first[k]!)));
  await Promise.all(clients.map((c) => c.dispose()));
  return { type: 'lag', lag: lag.summary(), fanout: fanout.summary(), timeouts, connected: ready, frames };
}
