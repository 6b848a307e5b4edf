import { setImmediate as tick } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import type WebSocket from 'ws';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';
import { clientPool, COUNTER_UPDATED, rawConnection, watch, type Recorder } from './helpers/subscriptions';

/**
 * The shared fan-out (src/http/wsFanOut.ts): subscribers of one counter watching it with the
 * same operation share one rendering of each value, whatever else watches the counter, and
 * each still gets its own frames: its own shape, in order, conflated only for itself.
 */
describe('counterUpdated shared fan-out', () => {
  let s: TestServer;
  const pool = clientPool(() => s.url);
  const client = (): Client => pool.client();

  beforeAll(async () => {
    // Every best-effort write publishes (no throttle); keepalive far away (a paused client cannot answer pings).
    s = await startServer({ PUBLISH_THROTTLE_MS: 0, WS_KEEPALIVE_MS: 120_000, LIMIT_ALIASES: 200, LIMIT_FIELDS: 210 });
    await createNamespace(s, 'shared', 'BEST_EFFORT');
  });
  afterEach(async () => {
    await pool.disposeAll();
  });
  afterAll(() => s.stop());

  const add = (name: string, delta: bigint) => s.app.service.add({ namespace: 'shared', name, delta });

  /** Every payload one subscription received, as sent. */
  function record(c: Client, query: string, variables: Record<string, unknown>): { payloads: Record<string, unknown>[]; errors: unknown[] } {
    const r = { payloads: [] as Record<string, unknown>[], errors: [] as unknown[] };
    c.subscribe<{ counterUpdated: Record<string, unknown> }>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) r.errors.push(...result.errors);
          if (result.data) r.payloads.push(result.data.counterUpdated);
        },
        error: (err) => r.errors.push(err),
        complete: () => undefined,
      },
    );
    return r;
  }

  it('several operations and variables on one counter: one channel each, every subscriber its own shape, in order', async () => {
    const withMode = `subscription ($ns: String!, $n: String!, $m: Boolean!) { counterUpdated(namespace: $ns, name: $n) { count mode @include(if: $m) } }`;
    const conns = [client(), client(), client()];
    const kinds = [
      { query: COUNTER_UPDATED, variables: { namespace: 'shared', name: 'ops' }, shape: (c: string) => ({ namespace: 'shared', name: 'ops', mode: 'BEST_EFFORT', count: c }) },
      { query: withMode, variables: { ns: 'shared', n: 'ops', m: true }, shape: (c: string) => ({ count: c, mode: 'BEST_EFFORT' }) },
      { query: withMode, variables: { ns: 'shared', n: 'ops', m: false }, shape: (c: string) => ({ count: c }) },
    ];
    const subs = kinds.flatMap((k) => conns.map((c) => ({ k, r: record(c, k.query, k.variables) })));
    // Another counter, watched the same way: a channel of its own.
    const other = watch(conns[0]!, 'shared', 'ops-other');
    await waitFor(() => subs.every(({ r }) => r.payloads.length > 0) && other.counts.length > 0, 10_000);
    expect(s.app.websocket.channels()).toBe(kinds.length + 1);

    const WRITES = 20;
    for (let i = 1; i <= WRITES; i++) {
      await add('ops', 1n);
      if (i % 5 === 0) await tick();
    }
    const final = String(WRITES);
    await waitFor(() => subs.every(({ r }) => r.payloads[r.payloads.length - 1]?.count === final), 10_000);
    for (const { k, r } of subs) {
      expect(r.errors).toEqual([]);
      const counts = r.payloads.map((p) => Number(p.count));
      expect(counts[0]).toBe(0);
      for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
      for (const p of r.payloads) expect(p).toEqual(k.shape(String(p.count)));
    }
    expect(other.counts).toEqual(['0']);

    await pool.disposeAll();
    await waitFor(() => s.app.websocket.channels() === 0 && s.app.backends.pubsub.activeCounters() === 0, 5000);
  });

  it('a subscriber that stops reading holds back nobody of its channel, costs no backlog, and ends on the newest value', async () => {
    const ALIASES = 200;
    const padding = Array.from({ length: ALIASES }, (_, i) => `p${i}: count`).join(' ');
    const query = `subscription ($namespace: String!, $name: String!) { counterUpdated(namespace: $namespace, name: $name) { name count ${padding} } }`;
    const raw: WebSocket = await rawConnection(s.url);
    try {
      const received: string[] = [];
      raw.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { type: string; payload?: { data?: { counterUpdated: { count: string } } } };
        if (msg.type === 'next') received.push(msg.payload!.data!.counterUpdated.count);
      });
      raw.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query, variables: { namespace: 'shared', name: 'stall' } } }));
      await waitFor(() => received.length === 1, 5000);
      const healthy: Recorder[] = [client(), client()].map((c) => watch(c, 'shared', 'stall', query));
      await Promise.all(healthy.map((r) => r.waitForCount('0')));
      // The paused one and the healthy ones share one channel.
      expect(s.app.websocket.channels()).toBe(1);

      (raw as unknown as { _socket: { pause(): void } })._socket.pause();
      const UPDATES = 3000; // ~2.3 KB frames: ~7 MB, more than the kernel's socket buffers hold
      let maxBuffered = 0;
      for (let i = 1; i <= UPDATES; i++) {
        await add('stall', 1n);
        await tick();
        if (i % 100 === 0) for (const c of s.app.websocket.wss.clients) maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
      }
      await Promise.all(healthy.map((r) => r.waitForCount(String(UPDATES), 20_000)));
      expect(received).toEqual(['0']);
      expect(maxBuffered).toBeLessThan(1024 * 1024);
      for (const r of healthy) {
        const v = r.counts.map(Number);
        for (let i = 1; i < v.length; i++) expect(v[i]!).toBeGreaterThan(v[i - 1]!);
        expect(r.errors).toEqual([]);
      }

      (raw as unknown as { _socket: { resume(): void } })._socket.resume();
      await waitFor(() => received[received.length - 1] === String(UPDATES), 20_000);
      const v = received.map(Number);
      for (let i = 1; i < v.length; i++) expect(v[i]!).toBeGreaterThan(v[i - 1]!);
      expect(v.length).toBeLessThan(UPDATES);
    } finally {
      raw.terminate();
    }
  }, 180_000); // 3,000 updates, each written to three sockets: slow on a loaded machine
});
