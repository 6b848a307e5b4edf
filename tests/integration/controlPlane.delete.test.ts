import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { dropKeyspace, freshKeyspace } from './helpers/cassandra';
import { killAll, spawnServiceProcess, type Proc } from './helpers/process';
import { createNamespace, gqlAt, startServer, tempDir, waitFor, type TestServer } from './helpers/server';

/**
 * deleteNamespace over GraphQL on the real service: at once NAMESPACE_NOT_FOUND for every
 * operation; the counters, events, roll-ups and cache entries removed in the background;
 * then the name can be created again and its counters start from zero, in all three modes,
 * with the caches in memory and in Redis. A SIGKILL right after the answer: the next start
 * finishes the removal.
 */

const DELETE = `mutation ($n: String!) { deleteNamespace(name: $n) { name status } }`;
const ADD = `mutation ($i: AddCountInput!) { addCount(input: $i) { applied counter { count } } }`;
const COUNT = `query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }`;
const CREATE = `mutation ($i: NamespaceInput!) { createNamespace(input: $i) { name mode } }`;
// Long enough that the deletes and the checks after them (a dozen requests) fit in it on a
// loaded machine: 300 ms did not, and the "not free yet" check then raced the removal.
const GRACE_MS = 3000;
const MODES = ['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'] as const;

type Gql = TestServer['gql'];
const codeOf = (r: { errors?: { extensions?: { code?: string } }[] }): string | undefined => r.errors?.[0]?.extensions?.code;

async function countOf(gql: Gql, ns: string, name: string): Promise<string | undefined> {
  const r = await gql<{ counter: { count: string } }>(COUNT, { ns, n: name });
  return r.errors ? codeOf(r) : r.data!.counter.count;
}

/** Every operation of the contract that names the namespace, with the code (or null) it answers. */
async function everyOperation(gql: Gql, ns: string): Promise<Record<string, unknown>> {
  const add = { namespace: ns, name: 'c', delta: 1 };
  const out: Record<string, unknown> = {};
  out.counter = codeOf(await gql(COUNT, { ns, n: 'c' }));
  out.counters = codeOf(await gql(`query ($ns: String!) { counters(namespace: $ns, names: ["c", "d"]) { count } }`, { ns }));
  out.namespace = (await gql<{ namespace: unknown }>(`query ($n: String!) { namespace(name: $n) { name } }`, { n: ns })).data?.namespace;
  out.listed = (await gql<{ namespaces: { name: string }[] }>(`{ namespaces { name } }`)).data!.namespaces.some((n) => n.name === ns);
  out.addCount = codeOf(await gql(ADD, { i: add }));
  const bulk = await gql<{ addCounts: { items: { error: { code: string } | null }[] } }>(
    `mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { items { error { code } } } }`,
    { is: [add] },
  );
  out.addCounts = bulk.data!.addCounts.items[0]!.error?.code;
  out.addAndGetCount = codeOf(await gql(`mutation ($i: AddCountInput!) { addAndGetCount(input: $i) { count } }`, { i: add }));
  out.clearCount = codeOf(await gql(`mutation ($i: ClearCountInput!) { clearCount(input: $i) { count } }`, { i: { namespace: ns, name: 'c' } }));
  out.updateNamespace = codeOf(await gql(`mutation ($i: NamespaceUpdateInput!) { updateNamespace(input: $i) { name } }`, { i: { name: ns, acceptLimitMs: 100 } }));
  out.deleteNamespace = codeOf(await gql(DELETE, { n: ns }));
  return out;
}

const GONE = {
  counter: 'NAMESPACE_NOT_FOUND',
  counters: 'NAMESPACE_NOT_FOUND',
  namespace: null,
  listed: false,
  addCount: 'NAMESPACE_NOT_FOUND',
  addCounts: 'NAMESPACE_NOT_FOUND',
  addAndGetCount: 'NAMESPACE_NOT_FOUND',
  clearCount: 'NAMESPACE_NOT_FOUND',
  updateNamespace: 'NAMESPACE_NOT_FOUND',
  deleteNamespace: 'NAMESPACE_NOT_FOUND',
};

/** createNamespace until the removal has freed the name (NAMESPACE_CONFLICT "being deleted" before). */
async function recreate(gql: Gql, name: string, mode: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const r = await gql(CREATE, { i: { name, mode } });
      if (!r.errors) return true;
      expect({ code: codeOf(r), message: r.errors[0]!.message }).toEqual({ code: 'NAMESPACE_CONFLICT', message: expect.stringMatching(/being deleted; retry later/) });
      return false;
    },
    timeoutMs,
    50,
  );
}

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  ['caches in memory', false],
  ['caches in Redis', true],
])('deleteNamespace (%s)', (_label, withRedis) => {
  const prefix = `deltest-${randomUUID().slice(0, 8)}:`;
  let s: TestServer;
  let redis: Redis | undefined;
  beforeAll(async () => {
    s = await startServer({
      NAMESPACE_DELETE_GRACE_MS: GRACE_MS,
      ROLLUP_SKEW_MARGIN_MS: 100,
      ROLLUP_SWEEP_INTERVAL_MS: 100,
      ...(withRedis ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
    });
    if (withRedis) redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await s.stop();
    redis?.disconnect();
  });

  it('answers DELETING, and the namespace is NAMESPACE_NOT_FOUND for every operation at once; unknown and bad names are refused', async () => {
    await createNamespace(s, 'del-now', 'EVENTUAL');
    expect((await s.gql(ADD, { i: { namespace: 'del-now', name: 'c', delta: 2 } })).errors).toBeUndefined();
    const r = await s.gql(DELETE, { n: 'del-now' });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ deleteNamespace: { name: 'del-now', status: 'DELETING' } });
    expect(await everyOperation(s.gql, 'del-now')).toEqual(GONE);
    expect(codeOf(await s.gql(DELETE, { n: 'del-never' }))).toBe('NAMESPACE_NOT_FOUND');
    expect(codeOf(await s.gql(DELETE, { n: 'bad name!' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await s.gql(DELETE, { n: 'x'.repeat(256) }))).toBe('BAD_USER_INPUT');
    await expect(s.app.service.watch({ namespace: 'del-now', name: 'c' })).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
  });

  it('removes everything in the background; re-created, every mode starts empty (cached converged values and idempotency records too)', async () => {
    const ns = (mode: string) => `del-${mode.toLowerCase()}`;
    const token = { token: `tok-${randomUUID()}`, generationTime: new Date().toISOString() };
    await createNamespace(s, 'del-keep', 'EVENTUAL');
    for (const mode of MODES) {
      await createNamespace(s, ns(mode), mode);
      const tokened = await s.gql(ADD, { i: { namespace: ns(mode), name: 'tok', delta: 4, idempotencyToken: token } });
      expect(tokened.errors).toBeUndefined();
      for (let i = 0; i < 5; i++) expect((await s.gql(ADD, { i: { namespace: ns(mode), name: `c${i % 2}`, delta: 3 } })).errors).toBeUndefined();
    }
    expect((await s.gql(ADD, { i: { namespace: 'del-keep', name: 'c0', delta: 11 } })).errors).toBeUndefined();
    // The EVENTUAL counter converges, and its converged value is cached (the cache's value is what it reads).
    await waitFor(async () => (await countOf(s.gql, ns('EVENTUAL'), 'c0')) === '9', 5000, 20);
    expect(await s.app.backends.convergedCache.get([{ namespace: ns('EVENTUAL'), name: 'c0' }])).toEqual([9n]);
    expect(await countOf(s.gql, ns('BEST_EFFORT'), 'c0')).toBe('9');
    expect(await countOf(s.gql, ns('ACCURATE'), 'c1')).toBe('6');

    for (const mode of MODES) expect((await s.gql(DELETE, { n: ns(mode) })).errors).toBeUndefined();
    for (const mode of MODES) expect(await everyOperation(s.gql, ns(mode))).toEqual(GONE);
    // Still being removed (the grace has not passed): the name is not free yet.
    const early = await s.gql(CREATE, { i: { name: ns('EVENTUAL'), mode: 'EVENTUAL' } });
    expect(codeOf(early)).toBe('NAMESPACE_CONFLICT');

    for (const mode of MODES) await recreate(s.gql, ns(mode), mode);
    expect(await s.app.backends.store.listDeletedNamespaces()).toEqual([]);
    if (redis) {
      for (const mode of MODES) {
        const tag = `{${ns(mode).length}:${ns(mode)}:`;
        const left = await redis.keys(`${prefix}*${tag}*`);
        expect({ mode, left }).toEqual({ mode, left: [] });
      }
    }
    for (const mode of MODES) {
      for (const name of ['c0', 'c1', 'tok']) expect({ mode, name, count: await countOf(s.gql, ns(mode), name) }).toEqual({ mode, name, count: '0' });
      // The same token again is a new write in the new namespace (its idempotency record went with the old one).
      const again = await s.gql<{ addCount: { applied: boolean } }>(ADD, { i: { namespace: ns(mode), name: 'tok', delta: 4, idempotencyToken: token } });
      expect({ mode, applied: again.data?.addCount.applied }).toEqual({ mode, applied: true });
    }
    await waitFor(async () => (await countOf(s.gql, ns('EVENTUAL'), 'tok')) === '4', 5000, 20);
    expect(await countOf(s.gql, ns('ACCURATE'), 'tok')).toBe('4');
    expect(await countOf(s.gql, ns('BEST_EFFORT'), 'tok')).toBe('4');
    // Another namespace with counters of the same names is untouched.
    await waitFor(async () => (await countOf(s.gql, 'del-keep', 'c0')) === '11', 5000, 20);
  });

  it('a re-created namespace may take another mode', async () => {
    await createNamespace(s, 'del-mode', 'ACCURATE');
    expect((await s.gql(ADD, { i: { namespace: 'del-mode', name: 'c', delta: 7 } })).errors).toBeUndefined();
    expect((await s.gql(DELETE, { n: 'del-mode' })).errors).toBeUndefined();
    await recreate(s.gql, 'del-mode', 'BEST_EFFORT');
    expect(await countOf(s.gql, 'del-mode', 'c')).toBe('0');
  });
});

describe('deleteNamespace on Cassandra, two instances sharing the store and Redis', () => {
  const keyspace = freshKeyspace();
  const prefix = `deltest-${randomUUID().slice(0, 8)}:`;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = {
      COUNTER_STORE: 'cassandra',
      CASSANDRA_KEYSPACE: keyspace,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      NAMESPACE_DELETE_GRACE_MS: 1000,
      ROLLUP_SKEW_MARGIN_MS: 200,
      ROLLUP_SWEEP_INTERVAL_MS: 200,
    };
    a = await startServer(env);
    b = await startServer(env);
  }, 80_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropKeyspace(keyspace);
  });

  it('the other instance drops the namespace at its next listing; after the removal the name is free and empty on both', async () => {
    const ns = (mode: string) => `cd-${mode.toLowerCase()}`;
    for (const mode of MODES) {
      await createNamespace(a, ns(mode), mode);
      // Written through b: b has the namespace cached.
      for (let i = 0; i < 3; i++) expect((await b.gql(ADD, { i: { namespace: ns(mode), name: 'c', delta: 5 } })).errors).toBeUndefined();
    }
    await waitFor(async () => (await countOf(b.gql, ns('EVENTUAL'), 'c')) === '15', 10_000, 50);
    expect(await countOf(a.gql, ns('ACCURATE'), 'c')).toBe('15');

    for (const mode of MODES) expect((await a.gql(DELETE, { n: ns(mode) })).errors).toBeUndefined();
    for (const mode of MODES) expect(await everyOperation(a.gql, ns(mode))).toEqual(GONE);
    // b learns of it with its next listing (the sweeps' every 30 s; the namespaces query lists at once).
    expect((await b.gql<{ namespaces: { name: string }[] }>(`{ namespaces { name } }`)).data!.namespaces).toEqual([]);
    for (const mode of MODES) expect(await everyOperation(b.gql, ns(mode))).toEqual(GONE);

    for (const mode of MODES) await recreate(b.gql, ns(mode), mode, 30_000);
    for (const mode of MODES) {
      for (const s of [a, b]) expect({ mode, count: await countOf(s.gql, ns(mode), 'c') }).toEqual({ mode, count: '0' });
      expect((await a.gql(ADD, { i: { namespace: ns(mode), name: 'c', delta: 2 } })).errors).toBeUndefined();
    }
    await waitFor(async () => (await countOf(b.gql, ns('EVENTUAL'), 'c')) === '2', 10_000, 50);
    expect(await countOf(b.gql, ns('ACCURATE'), 'c')).toBe('2');
    expect(await countOf(b.gql, ns('BEST_EFFORT'), 'c')).toBe('2');
  }, 90_000);
});

describe('deleteNamespace: SIGKILL right after the answer', () => {
  const running: Proc[] = [];
  afterAll(() => killAll(running));

  it('the next start resumes the removal and finishes it: the name is free and empty', async () => {
    const dataDir = tempDir('counters-delete-crash-');
    // A grace long enough that the first process cannot have started the removal before it dies.
    const env = { COUNTER_DATA_DIR: dataDir, NAMESPACE_DELETE_GRACE_MS: '6000', ROLLUP_SKEW_MARGIN_MS: '100', ROLLUP_SWEEP_INTERVAL_MS: '100' };
    const first = await spawnServiceProcess(env);
    running.push(first);
    const gql1: Gql = (q, v) => gqlAt(first.url, q, v);
    await createNamespace({ gql: gql1 }, 'crash-del', 'ACCURATE');
    for (let i = 0; i < 20; i++) expect((await gql1(ADD, { i: { namespace: 'crash-del', name: `c${i % 4}`, delta: 5 } })).errors).toBeUndefined();
    expect(await countOf(gql1, 'crash-del', 'c0')).toBe('25');
    expect((await gql1(DELETE, { n: 'crash-del' })).data).toEqual({ deleteNamespace: { name: 'crash-del', status: 'DELETING' } });
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnServiceProcess(env);
    running.push(second);
    const gql2: Gql = (q, v) => gqlAt(second.url, q, v);
    // The tombstone survived the crash: gone at once, the name not free yet.
    expect(await countOf(gql2, 'crash-del', 'c0')).toBe('NAMESPACE_NOT_FOUND');
    expect(codeOf(await gql2(CREATE, { i: { name: 'crash-del', mode: 'ACCURATE' } }))).toBe('NAMESPACE_CONFLICT');
    await recreate(gql2, 'crash-del', 'ACCURATE');
    for (let i = 0; i < 4; i++) expect(await countOf(gql2, 'crash-del', `c${i}`)).toBe('0');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
