import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import type { CounterRef } from '../../src/model';
import { dropKeyspace, freshKeyspace } from './helpers/cassandra';
import { connectRedis, dropPrefix, freshPrefix, redisUrl } from './helpers/redis';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';
import { watch, wsClient } from './helpers/subscriptions';

/**
 * Two service instances on one Cassandra keyspace and one Redis, as in production behind a
 * load balancer: retried writes spread over both still count once, both read the exact
 * totals, a subscriber on one instance hears values converged by writes to the other, and
 * roll-ups of one counter running on both instances at once keep the checkpoint right.
 */
const keyspace = freshKeyspace();
const prefix = freshPrefix();
const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied } }`;
const COUNT = `query ($namespace: String!, $name: String!) { counter(namespace: $namespace, name: $name) { count } }`;

let a: TestServer;
let b: TestServer;
let ws: Client | undefined;

beforeAll(async () => {
  await connectRedis().then((r) => r.quit()); // fails loudly when Redis is missing
  const env = (extra: Record<string, string | number> = {}) => ({
    COUNTER_STORE: 'cassandra',
    CASSANDRA_KEYSPACE: keyspace,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    ROLLUP_SKEW_MARGIN_MS: 200,
    PUBLISH_THROTTLE_MS: 0,
    ...extra,
  });
  // Both start at once on an empty keyspace: the schema migration must tolerate the race.
  // Instance A never sweeps after its start, so what A's subscriber hears about a counter
  // only written through B can only come from B's roll-ups (over Redis pub/sub).
  [a, b] = await Promise.all([startServer(env({ ROLLUP_SWEEP_INTERVAL_MS: 600_000 })), startServer(env())]);
  await createNamespace(a, 'ev', 'EVENTUAL', { acceptLimitMs: 1000 });
  await createNamespace(a, 'acc', 'ACCURATE', { acceptLimitMs: 1000 });
  await createNamespace(a, 'be', 'BEST_EFFORT', { acceptLimitMs: 1000 });
}, 80_000);

afterAll(async () => {
  await ws?.dispose();
  await Promise.all([a?.stop(), b?.stop()]);
  await dropKeyspace(keyspace);
  const r = await connectRedis();
  await dropPrefix(r, prefix);
  await r.quit();
}, 30_000);

interface Sent {
  namespace: string;
  name: string;
  delta: bigint;
  token: string;
  generationTime: string;
}

async function send(s: TestServer, w: Sent): Promise<boolean> {
  const r = await s.gql<{ addCount: { applied: boolean } }>(ADD, {
    input: { namespace: w.namespace, name: w.name, delta: w.delta.toString(), idempotencyToken: { token: w.token, generationTime: w.generationTime } },
  });
  if (r.errors) throw new Error(`addCount ${w.namespace}/${w.name}: ${JSON.stringify(r.errors)}`);
  return r.data!.addCount.applied;
}

async function count(s: TestServer, namespace: string, name: string): Promise<string> {
  const r = await s.gql<{ counter: { count: string } }>(COUNT, { namespace, name });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data!.counter.count;
}

it('is ready on both instances (Cassandra and both Redis connections answer), and sees a namespace created on the other', async () => {
  for (const s of [a, b]) {
    expect(s.app.backends.store.kind).toBe('cassandra');
    const res = await fetch(s.url.replace(/\/graphql$/, '/readyz'));
    expect([res.status, await res.text()]).toEqual([200, 'ready']);
  }
  expect((await b.gql<{ namespace: { mode: string } }>(`{ namespace(name: "acc") { mode } }`)).data?.namespace?.mode).toBe('ACCURATE');
});

it('counts retried writes spread over both instances exactly once, in every mode, and both converge', async () => {
  const expected = new Map<string, bigint>();
  const names = ['n0', 'n1', 'n2', 'n3'];
  let applied = 0;
  let duplicates = 0;
  // 4 clients, each with its own writes; every write goes to a random instance and is
  // retried with the same token on the other one (half of the time concurrently).
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = 0; i < 45; i++) {
        const namespace = ['ev', 'acc', 'be'][i % 3]!;
        const name = names[(client + i) % names.length]!;
        const delta = BigInt((client + 1) * 1000 + i) * (i % 7 === 0 ? -1n : 1n) + (i === 3 ? 9007199254740993n : 0n);
        const w: Sent = { namespace, name, delta, token: randomUUID(), generationTime: new Date().toISOString() };
        const key = `${namespace}/${name}`;
        expected.set(key, (expected.get(key) ?? 0n) + delta);
        const [first, second] = Math.random() < 0.5 ? [a, b] : [b, a];
        const results =
          i % 2 === 0 ? await Promise.all([send(first, w), send(second, w)]) : [await send(first, w), await send(second, w)];
        // a sequential retry is always reported as not applied
        if (i % 2 === 1) expect(results).toEqual([true, false]);
        applied += results.filter(Boolean).length;
        duplicates += results.filter((x) => !x).length;
      }
    }),
  );
  expect(applied + duplicates).toBe(4 * 45 * 2);
  expect(applied).toBeGreaterThanOrEqual(4 * 45);

  for (const [key, total] of expected) {
    const [namespace, name] = key.split('/') as [string, string];
    if (namespace !== 'ev') {
      // ACCURATE and BEST_EFFORT: exact at once, on both
      expect([key, await count(a, namespace, name), await count(b, namespace, name)]).toEqual([key, total.toString(), total.toString()]);
    }
  }
  // EVENTUAL: each read triggers a roll-up; both instances reach the exact totals by themselves.
  await waitFor(
    async () => {
      for (const [key, total] of expected) {
        const [namespace, name] = key.split('/') as [string, string];
        if (namespace !== 'ev') continue;
        const [ca, cb] = await Promise.all([count(a, namespace, name), count(b, namespace, name)]);
        if (ca !== total.toString() || cb !== total.toString()) return false;
      }
      return true;
    },
    15_000,
    100,
  );
}, 80_000);

it('a subscriber on instance A hears the converged values of writes sent to instance B', async () => {
  ws = wsClient(a.url);
  const rec = watch(ws, 'ev', 'hot');
  await rec.waitForCount('0');
  let total = 0n;
  for (let i = 1; i <= 20; i++) {
    total += BigInt(i);
    await send(b, { namespace: 'ev', name: 'hot', delta: BigInt(i), token: randomUUID(), generationTime: new Date().toISOString() });
  }
  const big = 9223372036854775000n - total;
  total += big;
  await send(b, { namespace: 'ev', name: 'hot', delta: big, token: randomUUID(), generationTime: new Date().toISOString() });
  await rec.waitForCount(total.toString(), 10_000);
  expect(rec.errors).toEqual([]);
  // every value heard was a real intermediate total, in increasing order
  const seen = rec.counts.map((c) => BigInt(c));
  for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
  rec.stop();
}, 30_000);

it('roll-ups of one counter running on both instances at once keep checkpoint and count right', async () => {
  const ref: CounterRef = { namespace: 'ev', name: 'race' };
  const written: { timeUs: number; delta: bigint }[] = [];
  const sent: { timeUs: number; delta: bigint }[] = [];
  const stopAt = Date.now() + 4000;
  const store = a.app.backends.store;
  const violations: string[] = [];
  let lastCheckpoint = 0;
  let samples = 0;

  const writer = async (s: TestServer, seed: number) => {
    for (let i = 0; Date.now() < stopAt; i++) {
      const ms = Date.now() - Math.floor(Math.random() * 500);
      const delta = BigInt(seed * 100 + (i % 50));
      const w: Sent = { namespace: 'ev', name: 'race', delta, token: randomUUID(), generationTime: new Date(ms).toISOString() };
      sent.push({ timeUs: ms * 1000, delta });
      if (await send(s, w)) written.push({ timeUs: ms * 1000, delta });
    }
  };
  const roller = async () => {
    while (Date.now() < stopAt + 2500) {
      await Promise.all([a.app.rollup.run([ref]), b.app.rollup.run([ref]), a.app.rollup.run([ref]), b.app.rollup.run([ref])]);
      // The checkpoint never moves back and always holds exactly the writes at or before it.
      const [snap] = await store.readSnapshots({ refs: [ref], settleUs: 0 });
      const { count: c, checkpointUs } = snap!.checkpoint;
      samples++;
      if (checkpointUs < lastCheckpoint) violations.push(`checkpoint moved back ${lastCheckpoint} -> ${checkpointUs}`);
      lastCheckpoint = checkpointUs;
      // Deltas are positive: the count lies between the acknowledged writes at or before the
      // checkpoint and all those sent (one still in flight may already be checkpointed).
      const sum = (list: typeof sent) => list.filter((e) => e.timeUs <= checkpointUs).reduce((s, e) => s + e.delta, 0n);
      const [lo, hi] = [sum(written), sum(sent)];
      if (c < lo || c > hi) violations.push(`checkpoint ${checkpointUs}: count ${c}, expected ${lo}..${hi}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all([writer(a, 1), writer(b, 2), writer(a, 3), writer(b, 4), roller()]);
  expect(violations).toEqual([]);
  expect(samples).toBeGreaterThan(10);
  expect(written).toHaveLength(sent.length);
  expect(lastCheckpoint).toBeGreaterThan(0);

  const total = written.reduce((s, e) => s + e.delta, 0n);
  // settle (accept limit 1000 ms + skew margin 200 ms), then both roll up at once again
  await new Promise((r) => setTimeout(r, 1400));
  await Promise.all([a.app.rollup.run([ref]), b.app.rollup.run([ref])]);
  const [snap] = await store.readSnapshots({ refs: [ref], settleUs: 0 });
  expect(snap!.checkpoint.count).toBe(total);
  expect(snap!.checkpoint.checkpointUs).toBeGreaterThanOrEqual(snap!.checkpoint.lastWriteUs);
  expect(await store.listPending({ namespace: 'ev', upToUs: Number.MAX_SAFE_INTEGER, limit: 1000 })).not.toContainEqual(ref);
  expect([await count(a, 'ev', 'race'), await count(b, 'ev', 'race')]).toEqual([total.toString(), total.toString()]);
}, 60_000);
