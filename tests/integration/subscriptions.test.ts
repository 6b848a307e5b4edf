import type { Client } from 'graphql-ws';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';
import { activeTimers, clientPool, watch, wsClient, type Recorder } from './helpers/subscriptions';

/**
 * Subscription.counterUpdated over graphql-ws against the real service on loopback: real
 * graphql-ws clients, writes from other clients over HTTP.
 */
describe('counterUpdated subscriptions', () => {
  let s: TestServer;
  const pool = clientPool(() => s.url);
  const client = (): Client => pool.client();

  beforeAll(async () => {
    s = await startServer();
    for (const mode of ['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'] as const) await createNamespace(s, `live_${mode.toLowerCase()}`, mode);
  });
  afterEach(async () => {
    await pool.disposeAll();
  });
  afterAll(() => s.stop());

  const add = async (namespace: string, name: string, delta: number | string): Promise<void> => {
    const r = await s.gql(`mutation ($i: AddCountInput!) { addCount(input: $i) { applied } }`, { i: { namespace, name, delta } });
    expect(r.errors).toBeUndefined();
  };
  const clear = async (namespace: string, name: string): Promise<void> => {
    const r = await s.gql(`mutation ($i: ClearCountInput!) { clearCount(input: $i) { count } }`, { i: { namespace, name } });
    expect(r.errors).toBeUndefined();
  };
  const readCount = async (namespace: string, name: string): Promise<string> => {
    const r = await s.gql<{ counter: { count: string } }>(`query ($n: String!, $c: String!) { counter(namespace: $n, name: $c) { count } }`, {
      n: namespace,
      c: name,
    });
    return r.data!.counter.count;
  };
  const gauge = () => metric(s.url, 'counter_subscriptions_active');

  describe.each(['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'] as const)('%s', (mode) => {
    const ns = `live_${mode.toLowerCase()}`;

    it('sends the current value at once, each new converged value after writes from another client, then 0 after a clear', async () => {
      await add(ns, 'c', 5);
      await waitFor(async () => (await readCount(ns, 'c')) === '5');

      const subscribedAt = Date.now();
      const rec = watch(client(), ns, 'c');
      await waitFor(() => rec.counts.length > 0, 5000, 5);
      expect(rec.counts[0]).toBe('5');
      expect(rec.names[0]).toBe('c');
      expect(rec.at[0]! - subscribedAt).toBeLessThan(5000);

      for (let i = 0; i < 3; i++) await add(ns, 'c', 10);
      const writesDone = Date.now();
      const seen = await rec.waitForCount('35');
      const latency = seen - writesDone;
      // The convergence goal is well under a second; this bound only catches a broken push.
      expect(latency).toBeLessThan(3000);
      // Converged values only, never going backwards on a counter only ever added to.
      const values = rec.counts.map(BigInt);
      for (const v of values) expect([5n, 15n, 25n, 35n]).toContain(v);
      for (let i = 1; i < values.length; i++) expect(values[i]! > values[i - 1]!).toBe(true);

      await clear(ns, 'c');
      await rec.waitForCount('0');
      expect(rec.latest()).toBe('0');
      expect(rec.errors).toEqual([]);
      expect(rec.failure).toBeUndefined();
      process.stdout.write(`[subscriptions] ${mode}: converged value seen ${latency} ms after the last write\n`);
    });
  });

  it('refuses an unknown namespace and a bad name with the contract codes on that subscription only', async () => {
    const c = client();
    const ok = watch(c, 'live_eventual', 'errors-ok');
    await ok.waitForCount('0');

    const unknown = watch(c, 'no_such_namespace', 'x');
    expect((await unknown.waitForError()).extensions?.code).toBe('NAMESPACE_NOT_FOUND');
    const bad = watch(c, 'live_eventual', 'has spaces!');
    expect((await bad.waitForError()).extensions?.code).toBe('BAD_USER_INPUT');
    const badNs = watch(c, 'bad namespace', 'x');
    expect((await badNs.waitForError()).extensions?.code).toMatch(/^(BAD_USER_INPUT|NAMESPACE_NOT_FOUND)$/);
    await waitFor(() => unknown.completed && bad.completed && badNs.completed, 5000);
    expect(unknown.counts).toEqual([]);

    // The other subscription on the same connection is untouched and keeps streaming.
    await add('live_eventual', 'errors-ok', 7);
    await ok.waitForCount('7');
    expect(ok.failure).toBeUndefined();
    expect(ok.completed).toBe(false);
  });

  it('releases the pub/sub entry, the gauge and the timers on unsubscribe and on disconnect', async () => {
    await waitFor(async () => s.app.backends.pubsub.activeCounters() === 0 && (await gauge()) === 0, 5000);
    const timersBefore = activeTimers();

    const a = wsClient(s.url);
    const b = wsClient(s.url);
    const recs: Recorder[] = [];
    for (let i = 0; i < 5; i++) {
      recs.push(watch(a, 'live_best_effort', `rel-${i}`));
      recs.push(watch(b, 'live_accurate', `rel-${i}`));
    }
    // A second subscriber of an already watched counter shares its pub/sub entry.
    recs.push(watch(b, 'live_best_effort', 'rel-0'));
    await Promise.all(recs.map((r) => r.waitForCount('0')));
    expect(s.app.backends.pubsub.activeCounters()).toBe(10);
    expect(await gauge()).toBe(11);
    expect(s.app.websocket.wss.clients.size).toBe(2);
    // The two connections' keepalive intervals (and the clients' own timers) are running.
    expect(activeTimers()).toBeGreaterThan(timersBefore);

    // Unsubscribe: the shared counter stays while one subscriber is left.
    recs[10]!.stop();
    await waitFor(async () => (await gauge()) === 10, 5000);
    expect(s.app.backends.pubsub.activeCounters()).toBe(10);
    recs[0]!.stop();
    recs[1]!.stop();
    await waitFor(async () => (await gauge()) === 8 && s.app.backends.pubsub.activeCounters() === 8, 5000);

    // Updates to a released counter reach nobody; the others still stream.
    await add('live_best_effort', 'rel-1', 3);
    await recs[2]!.waitForCount('3');
    expect(recs[0]!.counts).toEqual(['0']);

    // Disconnect without completing: everything the connection held is released.
    await a.dispose();
    await waitFor(async () => (await gauge()) === 4 && s.app.backends.pubsub.activeCounters() === 4, 5000);
    await b.dispose();
    await waitFor(async () => (await gauge()) === 0 && s.app.backends.pubsub.activeCounters() === 0, 5000);
    await waitFor(() => s.app.websocket.wss.clients.size === 0, 5000);
    await waitFor(() => activeTimers() <= timersBefore, 5000);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('many counters, many subscribers: each subscriber gets only its own counter', async () => {
    const COUNTERS = 12;
    const PER_COUNTER = 5;
    const WRITES = 4;
    // Prime deltas above WRITES: counter i's values j*p_i never equal another counter's.
    const primes = [101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157];
    const conns = Array.from({ length: 6 }, () => client());
    const recs: { i: number; ns: string; r: Recorder }[] = [];
    for (let i = 0; i < COUNTERS; i++) {
      const ns = i % 2 === 0 ? 'live_eventual' : 'live_best_effort';
      for (let k = 0; k < PER_COUNTER; k++) recs.push({ i, ns, r: watch(conns[(i + k) % conns.length]!, ns, `many-${i}`) });
    }
    await Promise.all(recs.map(({ r }) => r.waitForCount('0')));
    expect(s.app.backends.pubsub.activeCounters()).toBe(COUNTERS);

    await Promise.all(
      Array.from({ length: COUNTERS }, async (_, i) => {
        for (let w = 0; w < WRITES; w++) await add(i % 2 === 0 ? 'live_eventual' : 'live_best_effort', `many-${i}`, primes[i]!);
      }),
    );
    await Promise.all(recs.map(({ i, r }) => r.waitForCount(String(WRITES * primes[i]!))));
    for (const { i, r } of recs) {
      expect(new Set(r.names)).toEqual(new Set([`many-${i}`]));
      for (const c of r.counts) expect(BigInt(c) % BigInt(primes[i]!)).toBe(0n);
      expect(r.latest()).toBe(String(WRITES * primes[i]!));
    }
  });
});
