import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import type { Cluster } from 'ioredis';
import { dropKeyspace, freshKeyspace } from '../integration/helpers/cassandra';
import { freshPrefix } from '../integration/helpers/redis';
import { createNamespace, startServer, waitFor, type TestServer } from '../integration/helpers/server';
import { watch, wsClient, type Recorder } from '../integration/helpers/subscriptions';
import { clusterNodesSetting, clusterPorts, clusterScript, connectTestCluster, countersOn, dropClusterPrefix } from './helpers/redisCluster';

/**
 * Two service instances over a Redis Cluster of 3 masters (no replicas) and one Cassandra
 * keyspace (127.0.0.1:9042): they see each other's updates over sharded pub/sub; then one
 * master is SIGKILLed (scripts/redis/cluster.sh kill): BEST_EFFORT counters on its slots
 * answer UNAVAILABLE, promptly, and change nothing; the counters on the other masters, and
 * EVENTUAL/ACCURATE everywhere, go on; /readyz says degraded. Restarted (cluster.sh restart),
 * everything comes back by itself: BEST_EFFORT on its slots, and the subscriptions of its
 * counters. The figures (how fast, how long) are printed, not asserted, but for one generous
 * bound on the UNAVAILABLE answers.
 */
const COMMAND_TIMEOUT_MS = 500;
const keyspace = freshKeyspace();
const prefix = freshPrefix();
const victim = clusterPorts()[1]!;
const ADD = `mutation ($input: AddCountInput!) { addAndGetCount(input: $input) { count } }`;
const COUNT = `query ($namespace: String!, $name: String!) { counter(namespace: $namespace, name: $name) { count } }`;

let a: TestServer;
let b: TestServer;
let probe: Cluster;
let ws: Client | undefined;
let killed = false;
const figures: Record<string, number> = {};
/** Counter names whose slots the victim serves (down) or another master serves (up), per namespace. */
const down: Record<string, string[]> = {};
const up: Record<string, string[]> = {};

beforeAll(async () => {
  probe = await connectTestCluster(); // fails loudly when the cluster is missing
  const env = {
    COUNTER_STORE: 'cassandra',
    CASSANDRA_KEYSPACE: keyspace,
    REDIS_CLUSTER_NODES: clusterNodesSetting(),
    REDIS_KEY_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: COMMAND_TIMEOUT_MS,
    ROLLUP_SKEW_MARGIN_MS: 200,
    PUBLISH_THROTTLE_MS: 0,
  };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);
  for (const [ns, mode] of [['be', 'BEST_EFFORT'], ['ev', 'EVENTUAL'], ['acc', 'ACCURATE']] as const) {
    await createNamespace(a, ns, mode);
    down[ns] = await countersOn(probe, prefix, ns, victim, true, 3);
    up[ns] = await countersOn(probe, prefix, ns, victim, false, 3);
  }
  await waitFor(async () => (await b.gql(COUNT, { namespace: 'acc', name: 'x' })).errors === undefined, 40_000, 200);
}, 180_000); // past the service's schema-agreement wait (150 s, src/store/cassandra/connect.ts)

afterAll(async () => {
  if (killed) await clusterScript('restart', String(victim)); // leave the cluster whole for the next suite
  await ws?.dispose();
  await Promise.all([a?.stop(), b?.stop()]);
  await dropKeyspace(keyspace);
  if (probe) {
    await dropClusterPrefix(probe, prefix);
    await probe.quit();
  }
  console.log(`redis failover figures (REDIS_COMMAND_TIMEOUT_MS ${COMMAND_TIMEOUT_MS}):`, figures);
}, 120_000);

interface Answer {
  count?: string;
  code?: string;
  ms: number;
}

async function add(s: TestServer, namespace: string, name: string, delta: number, token = randomUUID()): Promise<Answer> {
  const t0 = Date.now();
  const r = await s.gql<{ addAndGetCount: { count: string } }>(ADD, {
    input: { namespace, name, delta, idempotencyToken: { token, generationTime: new Date().toISOString() } },
  });
  const ms = Date.now() - t0;
  if (r.errors) return { code: r.errors[0]!.extensions?.code ?? r.errors[0]!.message, ms };
  return { count: r.data!.addAndGetCount.count, ms };
}

async function count(s: TestServer, namespace: string, name: string): Promise<string> {
  const r = await s.gql<{ counter: { count: string } }>(COUNT, { namespace, name });
  if (r.errors) throw new Error(`${namespace}/${name}: ${JSON.stringify(r.errors)}`);
  return r.data!.counter.count;
}

async function readyz(s: TestServer): Promise<[number, string]> {
  const res = await fetch(s.url.replace(/\/graphql$/, '/readyz'));
  return [res.status, await res.text()];
}

/** Totals every write was expected to leave, per namespace/name (EVENTUAL and ACCURATE). */
const durable = new Map<string, number>();
async function durableAdd(s: TestServer, namespace: string, name: string, delta: number): Promise<void> {
  const r = await add(s, namespace, name, delta);
  expect(r.code).toBeUndefined();
  durable.set(`${namespace}/${name}`, (durable.get(`${namespace}/${name}`) ?? 0) + delta);
}

async function durableConverged(): Promise<void> {
  for (const [key, total] of durable) {
    const [namespace, name] = key.split('/') as [string, string];
    if (namespace === 'acc') expect([key, await count(a, namespace, name), await count(b, namespace, name)]).toEqual([key, String(total), String(total)]);
  }
  await waitFor(
    async () => {
      for (const [key, total] of durable) {
        const [namespace, name] = key.split('/') as [string, string];
        if ((await count(a, namespace, name)) !== String(total) || (await count(b, namespace, name)) !== String(total)) return false;
      }
      return true;
    },
    20_000,
    100,
  );
}

let onDown: Recorder;
let onUp: Recorder;
let evOnDown: Recorder;

it('two instances see each other’s updates over sharded pub/sub, on every master', async () => {
  expect(await readyz(a)).toEqual([200, 'ready']);
  ws = wsClient(a.url);
  onDown = watch(ws, 'be', down.be![0]!);
  onUp = watch(ws, 'be', up.be![0]!);
  evOnDown = watch(ws, 'ev', down.ev![0]!);
  for (const r of [onDown, onUp, evOnDown]) await r.waitForCount('0');
  // writes through B only: A hears of them through the cluster
  expect((await add(b, 'be', down.be![0]!, 5)).count).toBe('5');
  expect((await add(b, 'be', up.be![0]!, 7)).count).toBe('7');
  await durableAdd(b, 'ev', down.ev![0]!, 11);
  await onDown.waitForCount('5');
  await onUp.waitForCount('7');
  // EVENTUAL values come from B's roll-ups (A may roll it up too, from the same store)
  await evOnDown.waitForCount('11', 20_000);
}, 60_000);

it('a master killed: BEST_EFFORT on its slots answers UNAVAILABLE promptly and changes nothing; the rest goes on', async () => {
  await clusterScript('kill', String(victim));
  killed = true;
  const killedAt = Date.now();
  // Every BEST_EFFORT write on the dead master's slots, on either instance, is refused.
  const refused: Answer[] = [];
  for (let i = 0; i < 6; i++) refused.push(await add(i % 2 ? a : b, 'be', down.be![i % 3]!, 1));
  figures.firstUnavailableAfterKillMs = Date.now() - killedAt;
  figures.unavailableMaxMs = Math.max(...refused.map((r) => r.ms));
  figures.unavailableMeanMs = Math.round(refused.reduce((n, r) => n + r.ms, 0) / refused.length);
  expect(refused.map((r) => r.code)).toEqual(refused.map(() => 'UNAVAILABLE'));
  // generous: a small multiple of the command timeout (no timing assertion beyond it)
  for (const r of refused) expect(r.ms).toBeLessThan(10 * COMMAND_TIMEOUT_MS);
  // Reads of those counters are refused too (a 0 would be a wrong answer)
  expect((await b.gql(COUNT, { namespace: 'be', name: down.be![0]! })).errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

  // The other masters' counters: written and read as before, and their updates still heard.
  for (const name of up.be!) expect((await add(a, 'be', name, 2)).code).toBeUndefined();
  expect((await add(b, 'be', up.be![0]!, 1)).count).toBe('10');
  await onUp.waitForCount('10');

  // EVENTUAL and ACCURATE write to the store: every counter, its slot up or down, converges.
  for (const ns of ['ev', 'acc']) {
    for (const name of [...down[ns]!, ...up[ns]!]) await durableAdd(name.endsWith('0') ? a : b, ns, name, 3);
  }
  await durableConverged();

  // Ready, degraded: the instances still serve; the body says what is down.
  for (const s of [a, b]) {
    const [status, body] = await readyz(s);
    expect(status).toBe(200);
    expect(body).toMatch(/^ready; degraded: \d+ of 16384 Redis Cluster slots cannot be reached/);
  }
}, 90_000);

it('the master restarted: BEST_EFFORT on its slots and the subscriptions of its counters come back by themselves', async () => {
  const t0 = Date.now();
  await clusterScript('restart', String(victim));
  killed = false;
  const restartedAt = Date.now();
  figures.restartScriptMs = restartedAt - t0;
  // The node kept no data (a cache): its counters start again from 0.
  await waitFor(async () => (await add(b, 'be', down.be![1]!, 4)).code === undefined, 30_000, 50);
  figures.bestEffortBackAfterRestartMs = Date.now() - restartedAt;
  expect(await count(a, 'be', down.be![1]!)).toBe('4');
  await waitFor(async () => (await readyz(a))[1] === 'ready' && (await readyz(b))[1] === 'ready', 30_000, 100);
  figures.readyAfterRestartMs = Date.now() - restartedAt;

  // A's subscription of a counter on the restarted master hears B's writes again: ioredis
  // subscribes its channel again on the new node (it does not know when: so write until heard).
  let next = 0;
  await waitFor(
    async () => {
      next = Number((await add(b, 'be', down.be![0]!, 1)).count ?? next);
      // heard within a second of the write: the subscription is back
      return waitFor(() => onDown.counts.includes(String(next)), 1000, 10).then(() => true, () => false);
    },
    30_000,
    0,
  );
  figures.subscriptionBackAfterRestartMs = Date.now() - restartedAt;
  expect(Number(onDown.latest())).toBeGreaterThan(0);

  // and the durable counters went on through all of it
  for (const name of down.ev!) await durableAdd(a, 'ev', name, 1);
  await durableConverged();
  await evOnDown.waitForCount(String(durable.get(`ev/${down.ev![0]!}`)), 20_000);
}, 120_000);
