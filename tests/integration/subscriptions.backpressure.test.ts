import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Client } from 'graphql-ws';
import type WebSocket from 'ws';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';
import { rawConnection, watch, wsClient } from './helpers/subscriptions';

const MiB = 1024 * 1024;
const UPDATES = 10_000;
/** Aliases make each frame ~5 KB: 10,000 of them (~50 MB) cannot hide in kernel socket buffers. */
const ALIASES = 300;

/** A real full GC, so that retained memory is measured rather than garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const retained = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * A subscriber that stops reading (its TCP socket paused) while 10,000 updates of its counter
 * happen: the server must neither queue frames for it nor keep a backlog of values, and once
 * it reads again it must end on the latest value. A healthy subscriber of the same counter is
 * not held back meanwhile.
 */
describe('counterUpdated back-pressure', () => {
  let s: TestServer;
  let raw: WebSocket | undefined;
  let healthy: Client | undefined;

  beforeAll(async () => {
    // Every best-effort write publishes (no throttle): 10,000 writes are 10,000 updates.
    // Keepalive far away: a paused client cannot answer pings and would be dropped.
    // The padding's 300 aliases are past the default operation limits (50 aliases, 200 fields).
    s = await startServer({ PUBLISH_THROTTLE_MS: 0, WS_KEEPALIVE_MS: 120_000, LIMIT_ALIASES: ALIASES, LIMIT_FIELDS: ALIASES + 10 });
    await createNamespace(s, 'bp', 'BEST_EFFORT');
  });
  afterAll(async () => {
    raw?.terminate();
    await healthy?.dispose();
    await s.stop();
  });

  it('a paused subscriber costs bounded server memory and gets the latest value when it reads again', async () => {
    raw = await rawConnection(s.url);
    const received: string[] = [];
    raw.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string; payload?: { data?: { counterUpdated: { count: string } }; errors?: unknown } };
      if (msg.type !== 'next') return;
      expect(msg.payload?.errors).toBeUndefined();
      received.push(msg.payload!.data!.counterUpdated.count);
    });
    const padding = Array.from({ length: ALIASES }, (_, i) => `p${i}: count`).join(' ');
    raw.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: `subscription { counterUpdated(namespace: "bp", name: "slow") { name count ${padding} } }` },
      }),
    );
    await waitFor(() => received.length === 1, 5000);
    expect(received[0]).toBe('0');
    const frameBytes = Buffer.byteLength(JSON.stringify({ id: '1', type: 'next', payload: { data: { counterUpdated: { name: 'slow', count: '10000', ...Object.fromEntries(Array.from({ length: ALIASES }, (_, i) => [`p${i}`, '10000'])) } } } }));

    healthy = wsClient(s.url);
    const fast = watch(healthy, 'bp', 'slow');
    await fast.waitForCount('0');
    expect(s.app.websocket.wss.clients.size).toBe(2);

    // Stop reading: the kernel buffers fill, then every further frame would queue in the server.
    (raw as unknown as { _socket: { pause(): void } })._socket.pause();
    const mem = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const retainedBefore = retained();
    const memBefore = mem();
    let maxBuffered = 0;
    let maxMem = memBefore;
    for (let i = 1; i <= UPDATES; i++) {
      await s.app.service.add({ namespace: 'bp', name: 'slow', delta: 1n });
      // Let the event loop (and so the websocket writes) run between updates.
      await tick();
      for (const c of s.app.websocket.wss.clients) maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
      if (i % 250 === 0) maxMem = Math.max(maxMem, mem());
    }
    // The healthy subscriber is not held back by the paused one.
    await fast.waitForCount(String(UPDATES));
    await new Promise((r) => setTimeout(r, 200));
    for (const c of s.app.websocket.wss.clients) maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
    maxMem = Math.max(maxMem, mem());
    const retainedDelta = retained() - retainedBefore;
    const receivedWhilePaused = received.length;

    process.stdout.write(
      `[subscriptions] paused socket, ${UPDATES} updates, ${frameBytes} B frames: server ws bufferedAmount max ${maxBuffered} B, ` +
        `heap+external: peak delta ${((maxMem - memBefore) / MiB).toFixed(1)} MiB (garbage included), retained after GC ` +
        `${(retainedDelta / MiB).toFixed(2)} MiB (unconflated frames would be ~${((UPDATES * frameBytes) / MiB).toFixed(0)} MiB)\n`,
    );
    // Without back-pressure the server would hold ~50 MB of frames for this socket.
    expect(maxBuffered).toBeLessThan(1 * MiB);
    expect(retainedDelta).toBeLessThan(16 * MiB);
    expect(maxMem - memBefore).toBeLessThan(128 * MiB);
    expect(receivedWhilePaused).toBe(1);

    // Read again: what the kernel held, then the latest value, never the 10,000-value backlog.
    (raw as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => received[received.length - 1] === String(UPDATES), 20_000);
    const afterResume = received.length - receivedWhilePaused;
    process.stdout.write(`[subscriptions] after resume: ${afterResume} frames, the last one the latest value ${UPDATES}\n`);
    expect(afterResume).toBeLessThan(UPDATES / 2);
    const values = received.map(Number);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);

    // And the subscription is live: the next write reaches it.
    await s.app.service.add({ namespace: 'bp', name: 'slow', delta: 1n });
    await waitFor(() => received[received.length - 1] === String(UPDATES + 1), 5000);
  });
});
