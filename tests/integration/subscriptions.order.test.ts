import { createNamespace, startServer, type TestServer } from './helpers/server';
import { watch, wsClient } from './helpers/subscriptions';

/**
 * Updates of one counter can reach an instance out of order: its own roll-up's publish is
 * delivered at once, another instance's arrives later through Redis. A subscriber must
 * never step back to a value read before the one it already has (seen once in the
 * two-instance test: a total, then an older, smaller one).
 */
describe('counterUpdated orders updates by when their value was read', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'order', 'EVENTUAL');
  });
  afterAll(() => s.stop());

  it('drops an update older than the last one sent', async () => {
    const client = wsClient(s.url);
    const rec = watch(client, 'order', 'c');
    await rec.waitForCount('0');
    const now = Date.now();
    const ref = { namespace: 'order', name: 'c' };
    s.app.backends.pubsub.publish({ ...ref, count: 5n, asOfMs: now });
    await rec.waitForCount('5');
    s.app.backends.pubsub.publish({ ...ref, count: 3n, asOfMs: now - 1000 }); // late, stale
    // Apart in time, so that conflation cannot hide a delivered stale value.
    await new Promise((r) => setTimeout(r, 300));
    s.app.backends.pubsub.publish({ ...ref, count: 7n, asOfMs: now + 1 });
    await rec.waitForCount('7');
    expect(rec.counts).toEqual(['0', '5', '7']);
    rec.stop();
    await client.dispose();
  });
});
