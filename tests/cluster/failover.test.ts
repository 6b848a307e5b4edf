import { randomUUID } from 'node:crypto';
import type cassandra from 'cassandra-driver';
import { dropKeyspace, freshKeyspace } from '../integration/helpers/cassandra';
import { killAll, spawnServiceProcess, type Proc } from '../integration/helpers/process';
import { createNamespace, gqlAt, waitFor } from '../integration/helpers/server';
import { clusterEnv, contactPoints, pinnedSession, services } from './helpers';

/**
 * Two service instances (processes) over the 3-node cluster at replication factor 3
 * (LOCAL_QUORUM): Cassandra node 3 is SIGKILLed under write load from clients that retry
 * with the same idempotency token, and started again. Every write is acknowledged within its
 * retries and counted exactly once; ACCURATE reads are exact while the node is down (on both
 * instances, and on a third started then with the dead node first in its contact points);
 * both instances converge to the exact sums; the restarted node catches up (hints): read at
 * consistency ONE through a session pinned to it, it holds every event row (from hints, or
 * from `nodetool repair` for what hints had not carried within a minute).
 */
const keyspace = freshKeyspace();
const KILLED = 3;
const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied } }`;
const COUNT = `query ($namespace: String!, $name: String!) { counter(namespace: $namespace, name: $name) { count } }`;
const NAMESPACES = ['acc', 'ev'] as const;
const COUNTERS = 8;
const WRITERS = 6;
/** A client's attempts at one write (same token, same generation time), 200 ms apart. */
const ATTEMPTS = 50;
/** A start over the cluster creates the keyspace and tables with schema agreement across 3 nodes. */
const START_MS = 90_000;

let a: Proc;
let b: Proc;
const procs: Proc[] = [];
let nodeDown = false;
let passed = false;

const env = () => ({ ...clusterEnv(), CASSANDRA_KEYSPACE: keyspace, LOG_LEVEL: 'error', PUBLISH_THROTTLE_MS: '0' });

beforeAll(async () => {
  // One after the other: the first creates the keyspace and tables (concurrent DDL through
  // different coordinators is what Cassandra 5.0 without transactional metadata handles worst).
  a = await spawnServiceProcess(env(), START_MS);
  procs.push(a);
  b = await spawnServiceProcess(env(), START_MS);
  procs.push(b);
  // The accept limit bounds how late a retry may come (clients retry for up to ~10 s).
  await createNamespace({ gql: (q, v) => gqlAt(a.url, q, v) }, 'acc', 'ACCURATE', { acceptLimitMs: 60_000 });
  await createNamespace({ gql: (q, v) => gqlAt(a.url, q, v) }, 'ev', 'EVENTUAL', { acceptLimitMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await killAll(procs);
  if (nodeDown) await services('restart', 'cassandra', String(KILLED)); // leave the cluster whole for the next file
  if (passed) await dropKeyspace(keyspace);
  else process.stderr.write(`[failover] keyspace ${keyspace} kept for a look\n`);
}, 300_000);

interface Stats {
  writes: number;
  retried: number;
  failedAttempts: number;
  maxMs: number;
  ms: number[];
}

type Phase = 'before' | 'down' | 'restarting' | 'after';

class Load {
  /** The exact sums: every acknowledged write once. */
  readonly expected = new Map<string, bigint>();
  readonly stats = new Map<Phase, Stats>();
  readonly exhausted: string[] = [];
  phase: Phase = 'before';
  private running = false;
  private paused = false;
  private workers: Promise<void>[] = [];
  private inFlight = 0;

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: WRITERS }, (_, i) => this.worker(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Holds new writes and waits for those in flight: the sums are then exact. */
  async pause(): Promise<void> {
    this.paused = true;
    await waitFor(() => this.inFlight === 0, 60_000, 20);
  }

  resume(): void {
    this.paused = false;
  }

  private async worker(i: number): Promise<void> {
    let n = 0;
    while (this.running) {
      if (this.paused) {
        await sleep(20);
        continue;
      }
      n++;
      const namespace = NAMESPACES[n % 2]!;
      const name = `c${(i + n) % COUNTERS}`;
      const delta = BigInt(1 + ((i * 7 + n) % 5));
      this.inFlight++;
      try {
        await this.write(namespace, name, delta, n);
      } finally {
        this.inFlight--;
      }
    }
  }

  /** One logical write: the same token and generation time on every attempt, alternating instances. */
  private async write(namespace: string, name: string, delta: bigint, n: number): Promise<void> {
    const phase = this.phase;
    const input = { namespace, name, delta: delta.toString(), idempotencyToken: { token: randomUUID(), generationTime: new Date().toISOString() } };
    const t0 = Date.now();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const url = (n + attempt) % 2 === 0 ? a.url : b.url;
      try {
        const r = await gqlAt<{ addCount: { applied: boolean } }>(url, ADD, { input });
        if (!r.errors && r.data) {
          const key = `${namespace}/${name}`;
          this.expected.set(key, (this.expected.get(key) ?? 0n) + delta);
          this.record(phase, Date.now() - t0, attempt);
          return;
        }
        this.stat(phase).failedAttempts++;
      } catch {
        this.stat(phase).failedAttempts++;
      }
      await sleep(200);
    }
    this.exhausted.push(`${namespace}/${name} +${delta} (${phase})`);
  }

  private stat(phase: Phase): Stats {
    let s = this.stats.get(phase);
    if (!s) this.stats.set(phase, (s = { writes: 0, retried: 0, failedAttempts: 0, maxMs: 0, ms: [] }));
    return s;
  }

  private record(phase: Phase, ms: number, attempt: number): void {
    const s = this.stat(phase);
    s.writes++;
    if (attempt > 0) s.retried++;
    s.maxMs = Math.max(s.maxMs, ms);
    s.ms.push(ms);
  }

  /** Per phase: writes, client retries, p50/p99/max latency (printed: no timing is asserted). */
  summary(): string {
    return [...this.stats]
      .map(([p, s]) => {
        const sorted = [...s.ms].sort((x, y) => x - y);
        const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? 0;
        return `${p}: ${s.writes} writes, ${s.retried} retried by the client (${s.failedAttempts} failed attempts), p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${s.maxMs} ms`;
      })
      .join('\n');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(url: string, namespace: string, name: string): Promise<string> {
  const r = await gqlAt<{ counter: { count: string } }>(url, COUNT, { namespace, name });
  if (r.errors) throw new Error(`counter ${namespace}/${name} at ${url}: ${JSON.stringify(r.errors)}`);
  return r.data!.counter.count;
}

/** Every counter of a namespace as read on an instance, against the expected sums. */
async function readAll(url: string, namespace: string, expected: Map<string, bigint>): Promise<[Record<string, string>, Record<string, string>]> {
  const got: Record<string, string> = {};
  const want: Record<string, string> = {};
  for (let c = 0; c < COUNTERS; c++) {
    const key = `${namespace}/c${c}`;
    got[key] = await count(url, namespace, `c${c}`);
    want[key] = (expected.get(key) ?? 0n).toString();
  }
  return [got, want];
}

/** The sums of the event rows a node holds itself, per namespace/counter (read at ONE, pinned). */
async function eventSums(client: cassandra.Client): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for await (const row of await client.execute('SELECT namespace, counter, delta FROM events', [], { prepare: true, fetchSize: 1000 })) {
    const key = `${String(row['namespace'])}/${String(row['counter'])}`;
    sums.set(key, (sums.get(key) ?? 0n) + (row['delta'] as bigint));
  }
  return sums;
}

const asRecord = (m: Map<string, bigint>) => Object.fromEntries([...m].sort().map(([k, v]) => [k, v.toString()]));

it('counts every write of a load that outlives a killed node exactly once, reads exact throughout, and the node catches up', async () => {
  const load = new Load();
  load.start();
  await sleep(3000);

  load.phase = 'down';
  await services('kill', 'cassandra', String(KILLED));
  nodeDown = true;
  await sleep(4000);

  // ACCURATE reads while the node is down: exact on both instances once the writes in flight are in.
  await load.pause();
  for (const p of [a, b]) {
    const [got, want] = await readAll(p.url, 'acc', load.expected);
    expect(got).toEqual(want);
  }
  // A third instance starts with the dead node first among its contact points.
  const points = contactPoints();
  const c = await spawnServiceProcess({ ...env(), CASSANDRA_CONTACT_POINTS: [points[KILLED - 1]!, ...points.filter((_, i) => i !== KILLED - 1)].join(',') }, START_MS);
  procs.push(c);
  const [gotC, wantC] = await readAll(c.url, 'acc', load.expected);
  expect(gotC).toEqual(wantC);
  load.resume();

  await sleep(3000);
  load.phase = 'restarting';
  await services('restart', 'cassandra', String(KILLED));
  nodeDown = false;
  load.phase = 'after';
  await sleep(3000);
  await load.stop();
  process.stderr.write(`[failover] write load around the kill of node ${KILLED}:\n${load.summary()}\n`);

  expect(load.exhausted).toEqual([]);
  // The event rows, read at LOCAL_QUORUM: each acknowledged write once.
  const want = asRecord(load.expected);
  const quorum = await pinnedSession(0, keyspace);
  try {
    const rows = asRecord(await eventSums(quorum));
    if (JSON.stringify(rows) !== JSON.stringify(want)) {
      for (const n of [1, 2, 3]) {
        const s = await pinnedSession(n, keyspace);
        process.stderr.write(`[failover] node ${n} alone (ONE): ${JSON.stringify(asRecord(await eventSums(s)))}\n`);
        await s.shutdown();
      }
    }
    expect(rows).toEqual(want);
  } finally {
    await quorum.shutdown();
  }
  // Both instances: ACCURATE exact at once, EVENTUAL once the roll-ups have run.
  for (const p of [a, b]) {
    const [got, want] = await readAll(p.url, 'acc', load.expected);
    expect(got).toEqual(want);
  }
  for (const p of [a, b]) {
    let last: [Record<string, string>, Record<string, string>] = [{}, {}];
    await waitFor(
      async () => {
        last = await readAll(p.url, 'ev', load.expected);
        return JSON.stringify(last[0]) === JSON.stringify(last[1]);
      },
      30_000,
      250,
    ).catch(() => undefined);
    expect(last[0]).toEqual(last[1]);
  }

  // The restarted node holds every event row: its own data, read at ONE. Hints carry the writes
  // it missed (the coordinators replay them every 10 s once it is back), but hinted handoff is
  // best effort (a hint file replayed in part is retried later, and on a loaded machine that
  // can take minutes): what they have not carried within the wait, the operator's step after
  // an outage does, `nodetool repair` (docs/operations.md). Either way the node must end whole.
  const pinned = await pinnedSession(KILLED, keyspace);
  try {
    let got: Record<string, string> = {};
    const whole = async () => {
      got = asRecord(await eventSums(pinned));
      return JSON.stringify(got) === JSON.stringify(want);
    };
    const t0 = Date.now();
    const byHints = await waitFor(whole, 60_000, 1000).then(
      () => true,
      () => false,
    );
    if (byHints) {
      process.stderr.write(`[failover] node ${KILLED} whole from hints ${Date.now() - t0} ms after the checks began\n`);
    } else {
      const short = Object.keys(want).filter((k) => got[k] !== want[k]).map((k) => `${k} ${got[k] ?? 0}/${want[k]}`);
      process.stderr.write(`[failover] node ${KILLED} after 60 s of hints still short: ${short.join(', ')}; pending hints:\n`);
      for (const n of [1, 2]) {
        const hints = await services('nodetool', 'cassandra', String(n), 'listpendinghints').catch((e: Error) => e.message);
        process.stderr.write(`node ${n}: ${hints.trim()}\n`);
      }
      const r0 = Date.now();
      await services('nodetool', 'cassandra', String(KILLED), 'repair', '-full', keyspace);
      process.stderr.write(`[failover] nodetool repair -full of node ${KILLED} in ${Date.now() - r0} ms\n`);
      await whole();
    }
    expect(got).toEqual(want);
  } finally {
    await pinned.shutdown();
  }
  passed = true;
}, 400_000);
