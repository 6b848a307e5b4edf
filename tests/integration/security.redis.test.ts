import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './helpers/process';
import { createNamespace, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';
import { watch, wsClient } from './helpers/subscriptions';

/**
 * A hung Redis (the process stopped with SIGSTOP: its socket stays open, nothing answers)
 * must not hang the service: BEST_EFFORT answers UNAVAILABLE within about a second, EVENTUAL
 * reads fall back to the store, /readyz says 503, durable paths do not notice, and everything
 * recovers by itself after SIGCONT, pub/sub included. This file runs its own redis-server so
 * that stopping it disturbs no other test.
 */

const BOUND_MS = 3000;

let redis: ChildProcess;
let redisUrl: string;
let a: TestServer;
let b: TestServer;
let stopped = false;

beforeAll(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redisUrl = `redis://127.0.0.1:${port}`;
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  await waitFor(async () => probe.connect().then(() => true, () => false), 10_000, 50);
  probe.disconnect();
  // Two instances on one Redis (each with its own embedded store): cross-instance pub/sub.
  // A socket timeout shorter than the hang: the connections are dropped and reconnected
  // while Redis is stopped, so recovery also goes through a reconnect (and re-subscribe).
  const env = { REDIS_URL: redisUrl, REDIS_SOCKET_TIMEOUT_MS: 1500 };
  a = await startServer(env);
  b = await startServer(env);
  for (const s of [a, b]) {
    await createNamespace(s, 'be', 'BEST_EFFORT');
    await createNamespace(s, 'ev', 'EVENTUAL');
    await createNamespace(s, 'acc', 'ACCURATE');
  }
}, 30_000);

afterAll(async () => {
  if (stopped) redis.kill('SIGCONT');
  await a?.stop();
  await b?.stop();
  redis.kill('SIGKILL');
});

/** One POST with its own deadline, so a hang fails the assertion instead of the test's timeout. */
async function timed<T>(s: TestServer, query: string, variables?: Record<string, unknown>): Promise<{ ms: number; r: GqlResponse<T> }> {
  const t0 = Date.now();
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  return { ms: Date.now() - t0, r: { ...((await res.json()) as GqlResponse<T>), status: res.status } };
}

async function readyz(s: TestServer): Promise<{ ms: number; status: number }> {
  const t0 = Date.now();
  const res = await fetch(s.url.replace(/\/graphql$/, '/readyz'), { signal: AbortSignal.timeout(10_000) });
  await res.text();
  return { ms: Date.now() - t0, status: res.status };
}

const ADD = `mutation ($ns: String!, $n: String!, $d: Long!) { addCount(input: { namespace: $ns, name: $n, delta: $d }) { counter { name } } }`;
const GET = `query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }`;
const code = (r: GqlResponse<unknown>): string | undefined => r.errors?.[0]?.extensions?.code;
const count = (r: GqlResponse<{ counter: { count: string } }>): string | undefined => r.data?.counter?.count;

it('a hung Redis costs BEST_EFFORT, EVENTUAL and /readyz at most about a second; all recovers after SIGCONT', async () => {
  // Before: values in every mode, the EVENTUAL one converged (its cache entry in Redis).
  expect(code((await timed(a, ADD, { ns: 'be', n: 'x', d: '2' })).r)).toBeUndefined();
  expect(code((await timed(a, ADD, { ns: 'ev', n: 'x', d: '5' })).r)).toBeUndefined();
  expect(code((await timed(a, ADD, { ns: 'acc', n: 'x', d: '3' })).r)).toBeUndefined();
  await waitFor(async () => count((await timed<{ counter: { count: string } }>(a, GET, { ns: 'ev', n: 'x' })).r) === '5', 5000, 20);
  expect((await readyz(a)).status).toBe(200);

  const client = wsClient(b.url);
  const rec = watch(client, 'be', 'x');
  try {
    await rec.waitForCount('2');

    redis.kill('SIGSTOP');
    stopped = true;
    const [beAdd, beGet, evGet, ready, accAdd, accGet, evAdd, evAddX] = await Promise.all([
      timed(a, ADD, { ns: 'be', n: 'x', d: '1' }),
      timed(a, GET, { ns: 'be', n: 'x' }),
      timed<{ counter: { count: string } }>(a, GET, { ns: 'ev', n: 'x' }),
      readyz(a),
      timed(a, ADD, { ns: 'acc', n: 'x', d: '4' }),
      timed<{ counter: { count: string } }>(a, GET, { ns: 'acc', n: 'x' }),
      timed(a, ADD, { ns: 'ev', n: 'y', d: '9' }),
      timed(a, ADD, { ns: 'ev', n: 'x', d: '1' }),
    ]);
    expect(code(beAdd.r)).toBe('UNAVAILABLE');
    expect(beAdd.ms).toBeLessThan(BOUND_MS);
    expect(code(beGet.r)).toBe('UNAVAILABLE');
    expect(beGet.ms).toBeLessThan(BOUND_MS);
    // EVENTUAL: the durable value, from the store, when the converged cache does not answer.
    expect(evGet.r.errors).toBeUndefined();
    expect(['5', '6']).toContain(count(evGet.r)); // 6 once the concurrent add below is in
    expect(evGet.ms).toBeLessThan(BOUND_MS);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(BOUND_MS);
    // Durable writes and ACCURATE reads never wait for Redis.
    expect(accAdd.r.errors).toBeUndefined();
    expect(accAdd.ms).toBeLessThan(BOUND_MS);
    expect(accGet.r.errors).toBeUndefined();
    expect(['3', '7']).toContain(count(accGet.r));
    expect(accGet.ms).toBeLessThan(BOUND_MS);
    expect(evAdd.r.errors).toBeUndefined();
    expect(evAdd.ms).toBeLessThan(BOUND_MS);
    expect(evAddX.r.errors).toBeUndefined();
    // An EVENTUAL write during the hang is read back exactly (store fallback).
    const evY = await timed<{ counter: { count: string } }>(a, GET, { ns: 'ev', n: 'y' });
    expect(count(evY.r)).toBe('9');
    expect(evY.ms).toBeLessThan(BOUND_MS);

    // Longer than the socket timeout: the connections are dropped and retried meanwhile.
    await new Promise((r) => setTimeout(r, 2500));
    const late = await readyz(a);
    expect(late.status).toBe(503);
    expect(late.ms).toBeLessThan(BOUND_MS);
    redis.kill('SIGCONT');
    stopped = false;
    // Recovery without a restart: readiness, BEST_EFFORT, the converged cache, pub/sub.
    await waitFor(async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200, 15_000, 100);
    let be = '';
    await waitFor(async () => {
      const r = await timed(a, ADD, { ns: 'be', n: 'x', d: '10' });
      if (code(r.r) !== undefined) return false;
      be = count((await timed<{ counter: { count: string } }>(a, GET, { ns: 'be', n: 'x' })).r) ?? '';
      return true;
    }, 15_000, 100);
    // The subscriber on the other instance gets updates again (through Redis).
    await rec.waitForCount(be, 10_000);
    expect(code((await timed(a, ADD, { ns: 'be', n: 'x', d: '100' })).r)).toBeUndefined();
    await rec.waitForCount(String(BigInt(be) + 100n), 10_000);
    // The roll-ups made during the hang could not store their values in Redis, which may
    // still hold the older ones: reads must not serve those.
    expect(count((await timed<{ counter: { count: string } }>(a, GET, { ns: 'ev', n: 'x' })).r)).toBe('6');
    const evAfter = await timed<{ counter: { count: string } }>(a, GET, { ns: 'ev', n: 'y' });
    expect(count(evAfter.r)).toBe('9');
    expect(evAfter.ms).toBeLessThan(BOUND_MS);
  } finally {
    rec.stop();
    await client.dispose();
  }
}, 60_000);
