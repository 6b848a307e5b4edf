/**
 * A load agent: a child process of the bench runner (never of the server) that runs one
 * task and reports back over IPC. Tasks:
 *  - http: autocannon against /graphql with a workload, after a warm-up; latency per response
 *    is recorded here (sub-millisecond, not autocannon's 1 ms histogram buckets).
 *  - probe: convergence lag. Writes to its own probe counters and waits, on a counterUpdated
 *    subscription, for the exact count that includes each write; lag = ack -> seen.
 *  - subscribers: N websocket clients on one counter; a writer adds to it at intervals;
 *    delivery = write ack -> each subscriber seeing a value that includes the write.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Samples, type LatencySummary } from './stats';
import { ADD, SUB, bodyMaker, type WorkloadSpec } from './workload';

export interface HttpTask {
  type: 'http';
  url: string;
  spec: WorkloadSpec;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Fixed overall request rate (req/s); unset = as fast as the server answers. */
  rate?: number;
}

export interface ProbeTask {
  type: 'probe';
  url: string;
  namespace: string;
  probes: number;
  durationS: number;
  startDelayS: number;
}

export interface SubscribersTask {
  type: 'subscribers';
  url: string;
  namespace: string;
  subscribers: number;
  writes: number;
  writeIntervalMs: number;
}

/** The Cassandra baseline: raw cassandra-driver prepared inserts of the service's event rows. */
export interface CqlTask {
  type: 'cql';
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /** Concurrent inserts in flight (the HTTP load's connections). */
  concurrency: number;
  counters: number;
  warmupS: number;
  durationS: number;
}

export type Task = HttpTask | ProbeTask | SubscribersTask | CqlTask;

export interface HttpResult {
  type: 'http';
  /** Responses in the measured window. */
  requests: number;
  /** Responses in the whole run, warm-up included. */
  total: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface LagResult {
  type: 'lag';
  lag: LatencySummary;
  timeouts: number;
  /** subscribers only: spread from the first subscriber seeing a value to each other one. */
  fanout?: LatencySummary;
  connected?: number;
}

export type AgentMessage =
  | { type: 'progress'; elapsedS: number; done: number; rate: number }
  | { type: 'result'; result: HttpResult | LagResult }
  | { type: 'error'; message: string };

const send = (m: AgentMessage): void => void process.send?.(m);

async function post(url: string, body: unknown): Promise<{ data?: unknown; errors?: unknown[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { data?: unknown; errors?: unknown[] };
}

async function runHttp(t: HttpTask): Promise<HttpResult> {
  const make = bodyMaker(t.spec);
  // One request first, outside the measurement: a workload that errors must not be "fast".
  const probe = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: make() });
  const text = await probe.text();
  if (probe.status !== 200 || text.includes('"errors"')) throw new Error(`workload check failed: ${probe.status} ${text.slice(0, 300)}`);

  const samples = new Samples();
  const start = performance.now();
  const measureFrom = start + t.warmupS * 1000;
  let done = 0;
  let lastDone = 0;
  let lastAt = start;
  const inst = autocannon({
    url: t.url,
    connections: t.connections,
    duration: t.warmupS + t.durationS,
    ...(t.rate ? { overallRate: t.rate } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: make() }),
      },
    ],
  });
  let measuredEnd = 0;
  let total = 0;
  inst.on('response', (_c, status, _b, ms) => {
    total++;
    const now = performance.now();
    if (now < measureFrom) return;
    measuredEnd = now;
    if (status >= 200 && status < 300) samples.add(ms);
    done++;
  });
  const timer = setInterval(() => {
    const now = performance.now();
    send({ type: 'progress', elapsedS: (now - start) / 1000, done, rate: ((done - lastDone) * 1000) / (now - lastAt) });
    lastDone = done;
    lastAt = now;
  }, 1000);
  const result = await new Promise<autocannon.Result>((resolve) => inst.on('done', resolve));
  clearInterval(timer);
  const seconds = Math.max(0.001, (measuredEnd - measureFrom) / 1000);
  return {
    type: 'http',
    requests: done,
    total,
    seconds,
    rps: done / seconds,
    latency: samples.summary(),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** A graphql-ws client on the service's /graphql websocket. */
function wsClient(url: string): Client {
  return createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
}

/** Subscribes to one counter; onValue gets every count (as bigint) with its arrival time. */
function watch(client: Client, namespace: string, name: string, onValue: (v: bigint, at: number) => void): void {
  client.subscribe<{ counterUpdated: { count: string } }>(
    { query: SUB, variables: { ns: namespace, n: name } },
    {
      next: (r) => {
        if (r.data) onValue(BigInt(r.data.counterUpdated.count), performance.now());
      },
      error: (e) => send({ type: 'error', message: `subscription error: ${JSON.stringify(e)}` }),
      complete: () => {},
    },
  );
}

let tokenSeq = 0;
const addOne = (namespace: string, name: string) => ({
  query: ADD,
  variables: {
    i: { namespace, name, delta: '1', idempotencyToken: { token: `p${process.pid}.${tokenSeq++}`, generationTime: new Date().toISOString() } },
  },
});

async function runProbe(t: ProbeTask): Promise<LagResult> {
  const client = wsClient(t.url);
  const lags = new Samples();
  let timeouts = 0;
  const TIMEOUT_MS = 5000;
  const deadline = performance.now() + (t.startDelayS + t.durationS) * 1000;
  const measureFrom = performance.now() + t.startDelayS * 1000;
  await Promise.all(
    Array.from({ length: t.probes }, async (_, p) => {
      const name = `probe-${process.pid}-${p}`;
      let latest: bigint | undefined;
      let wake: (() => void) | null = null;
      watch(client, t.namespace, name, (v) => {
        latest = v;
        wake?.();
      });
      const waitFor = async (pred: () => boolean, ms: number): Promise<boolean> => {
        const until = performance.now() + ms;
        while (!pred()) {
          const left = until - performance.now();
          if (left <= 0) return false;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, left);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
          wake = null;
        }
        return true;
      };
      if (!(await waitFor(() => latest !== undefined, 10_000))) throw new Error('probe subscription never answered');
      let expected = latest!;
      await sleep(Math.random() * 100);
      while (performance.now() < deadline) {
        const r = await post(t.url, addOne(t.namespace, name));
        if (r.errors) {
          // An overloaded server can hold a request past the accept limit: the write is
          // refused (IDEMPOTENCY_TOKEN_EXPIRED), nothing was added. Count it as a miss.
          if (!JSON.stringify(r.errors).includes('IDEMPOTENCY_TOKEN_EXPIRED')) throw new Error(`probe write failed: ${JSON.stringify(r.errors)}`);
          if (performance.now() >= measureFrom) {
            lags.add(TIMEOUT_MS);
            timeouts++;
          }
          continue;
        }
        const ack = performance.now();
        expected += 1n;
        const ok = await waitFor(() => latest !== undefined && latest >= expected, TIMEOUT_MS);
        if (ack >= measureFrom) {
          if (ok) lags.add(Math.max(0, performance.now() - ack));
          else {
            lags.add(TIMEOUT_MS);
            timeouts++;
          }
        }
        await sleep(50 + Math.random() * 100);
      }
    }),
  );
  await client.dispose();
  return { type: 'lag', lag: lags.summary(), timeouts };
}

async function runSubscribers(t: SubscribersTask): Promise<LagResult> {
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
  return { type: 'lag', lag: lag.summary(), fanout: fanout.summary(), timeouts, connected: ready };
}

async function runCql(t: CqlTask): Promise<HttpResult> {
  const { Client, types } = await import('cassandra-driver');
  const client = new Client({ contactPoints: t.contactPoints, localDataCenter: t.localDataCenter, keyspace: t.keyspace });
  await client.connect();
  // The same rows the service writes: its partitioning as stored in the keyspace's settings.
  const settings = new Map((await client.execute('SELECT name, value FROM settings')).rows.map((r) => [String(r['name']), Number(r['value'])]));
  const secondsPerBucket = settings.get('secondsPerBucket') ?? 600;
  const bucketsPerId = settings.get('bucketsPerId') ?? 4;
  const cql = 'INSERT INTO events (namespace, counter, time_bucket, event_bucket, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?';
  const opts = { prepare: true, isIdempotent: true, consistency: types.consistencies.localQuorum };
  const samples = new Samples();
  const start = performance.now();
  const measureFrom = start + t.warmupS * 1000;
  const end = measureFrom + t.durationS * 1000;
  let done = 0;
  let errors = 0;
  let seq = 0;
  const timer = setInterval(() => send({ type: 'progress', elapsedS: (performance.now() - start) / 1000, done, rate: 0 }), 1000);
  await Promise.all(
    Array.from({ length: t.concurrency }, async () => {
      while (performance.now() < end) {
        const timeUs = Date.now() * 1000;
        const id = `raw${process.pid}.${seq++}`;
        const params = ['bench', `c${Math.floor(Math.random() * t.counters)}`, Math.floor(timeUs / (secondsPerBucket * 1e6)), seq % bucketsPerId, types.Long.fromNumber(timeUs), id, false, types.Long.ONE, 7 * 86400];
        const t0 = performance.now();
        try {
          await client.execute(cql, params, opts);
        } catch {
          errors++;
        }
        const t1 = performance.now();
        if (t1 >= measureFrom && t1 <= end) {
          samples.add(t1 - t0);
          done++;
        }
      }
    }),
  );
  clearInterval(timer);
  // The keyspace was the bench's own (made by the service it started): leave nothing behind.
  await client.execute(`DROP KEYSPACE IF EXISTS ${t.keyspace}`).catch(() => undefined);
  await client.shutdown();
  return { type: 'http', requests: done, total: done, seconds: t.durationS, rps: done / t.durationS, latency: samples.summary(), non2xx: 0, errors, timeouts: 0 };
}

process.once('message', (task: Task) => {
  const run =
    task.type === 'http' ? runHttp(task) : task.type === 'probe' ? runProbe(task) : task.type === 'cql' ? runCql(task) : runSubscribers(task);
  run.then(
    (result) => {
      send({ type: 'result', result });
      process.disconnect?.();
      setTimeout(() => process.exit(0), 200).unref();
    },
    (err: Error) => {
      send({ type: 'error', message: err.stack ?? String(err) });
      setTimeout(() => process.exit(1), 200).unref();
    },
  );
});
