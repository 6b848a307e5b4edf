import type { Client } from 'graphql-ws';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';
import { watch, wsClient, type Recorder } from './helpers/subscriptions';

/** 1,000 concurrent subscribers of one counter, each on its own graphql-ws connection. */
describe('counterUpdated fan-out', () => {
  const SUBSCRIBERS = 1000;
  let s: TestServer;
  let clients: Client[] = [];

  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'fan', 'EVENTUAL');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await s.stop();
  });

  it('all 1,000 subscribers receive the final converged value, over one internal subscription', async () => {
    clients = Array.from({ length: SUBSCRIBERS }, () => wsClient(s.url));
    const recs: Recorder[] = [];
    const t0 = Date.now();
    // Connect in waves: 1,000 simultaneous handshakes would only measure the accept queue.
    for (let i = 0; i < SUBSCRIBERS; i += 100) {
      const wave = clients.slice(i, i + 100).map((c) => watch(c, 'fan', 'hot'));
      recs.push(...wave);
      await Promise.all(wave.map((r) => r.waitForCount('0', 30_000)));
    }
    expect(s.app.websocket.wss.clients.size).toBe(SUBSCRIBERS);
    expect(s.app.backends.pubsub.activeCounters()).toBe(1);
    expect(await metric(s.url, 'counter_subscriptions_active')).toBe(SUBSCRIBERS);

    // Writes from another client (HTTP), some of them concurrent.
    const connectedMs = Date.now() - t0;
    // When the final value leaves the roll-up (the fan-out starts there).
    let publishedAt = 0;
    const unlisten = s.app.backends.pubsub.subscribe({ namespace: 'fan', name: 'hot' }, (u) => {
      if (u.count === 150n && publishedAt === 0) publishedAt = Date.now();
    });
    const WRITES = 50;
    let lastBatchSent = 0;
    for (let i = 0; i < WRITES; i += 10) {
      lastBatchSent = Date.now();
      await Promise.all(
        Array.from({ length: 10 }, () =>
          s.gql(`mutation { addCount(input: {namespace: "fan", name: "hot", delta: 3}) { applied } }`).then((r) => {
            expect(r.errors).toBeUndefined();
          }),
        ),
      );
    }
    const writesDone = Date.now();
    const final = String(3 * WRITES);
    expect(final).toBe('150');

    const seen = await Promise.all(recs.map((r) => r.waitForCount(final, 30_000)));
    // From the moment the last writes were sent (their acks may arrive after the push does).
    const latencies = seen.map((t) => t - lastBatchSent).sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const max = latencies[latencies.length - 1]!;
    process.stdout.write(
      `[subscriptions] ${SUBSCRIBERS} subscribers (connected in ${connectedMs} ms): final value delivered p50 ${p50} ms, ` +
        `all ${max} ms after the last writes were sent (${Math.max(...seen) - writesDone} ms after their acks); ` +
        `fan-out from the publish to the last subscriber ${Math.max(...seen) - publishedAt} ms\n`,
    );
    unlisten();
    expect(publishedAt).toBeGreaterThan(0);
    // Convergence goal: well under a second. Generous bound for a shared 2-core machine.
    expect(max).toBeLessThan(5000);

    for (const r of recs) {
      expect(r.latest()).toBe(final);
      expect(r.errors).toEqual([]);
      // Monotone: a counter only added to never goes backwards on the wire.
      const v = r.counts.map(BigInt);
      for (let i = 1; i < v.length; i++) expect(v[i]! > v[i - 1]!).toBe(true);
    }

    await Promise.all(clients.map((c) => c.dispose()));
    await waitFor(async () => s.app.backends.pubsub.activeCounters() === 0 && (await metric(s.url, 'counter_subscriptions_active')) === 0, 10_000);
    await waitFor(() => s.app.websocket.wss.clients.size === 0, 10_000);
  });
});
