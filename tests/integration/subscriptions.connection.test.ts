import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { buildSchema } from '../../resolvers';
import { loadConfig } from '../../src/config';
import { attachWebSocket, type ConnectionInfo } from '../../src/http/websocket';
import { OperationLimits } from '../../src/limits';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';
import { rawConnection, watch, wsClient, wsUrl } from './helpers/subscriptions';

/** Connection handling of the graphql-ws endpoint: what a gateway or a careless client meets. */
describe('graphql-ws connection handling', () => {
  const closeOf = (ws: WebSocket): Promise<{ code: number; reason: string; at: number }> =>
    new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason), at: Date.now() })));

  describe('with short timeouts and a small subscription limit', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer({ WS_CONNECTION_INIT_TIMEOUT_MS: 300, WS_KEEPALIVE_MS: 200, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: 3 });
      await createNamespace(s, 'conn', 'ACCURATE');
    });
    afterAll(() => s.stop());

    it('acks a connection_init carrying params at once (the Apollo Router waits 5 s)', async () => {
      const t = Date.now();
      const ws = await rawConnection(s.url, { headers: { authorization: 'Bearer x' }, 'apollo-client': 'router' });
      expect(Date.now() - t).toBeLessThan(5000);
      ws.close(1000);
    });

    it('closes a connection that never sends connection_init with 4408', async () => {
      const ws = new WebSocket(wsUrl(s.url), 'graphql-transport-ws');
      const closed = closeOf(ws);
      const opened = await new Promise<number>((r) => ws.once('open', () => r(Date.now())));
      const { code, at } = await closed;
      expect(code).toBe(4408);
      expect(at - opened).toBeLessThan(5000);
    });

    it('refuses a subprotocol other than graphql-transport-ws', async () => {
      const ws = new WebSocket(wsUrl(s.url), 'graphql-ws');
      ws.on('error', () => undefined);
      const { code } = await closeOf(ws);
      expect([1002, 1006, 4406]).toContain(code);
    });

    it('pings every keepalive interval, and drops a client that never answers', async () => {
      const ws = await rawConnection(s.url);
      let pings = 0;
      ws.on('ping', () => pings++);
      await waitFor(() => pings >= 2, 5000);
      ws.close(1000);

      // No pongs: the server terminates the connection after one unanswered interval.
      const mute = new WebSocket(wsUrl(s.url), 'graphql-transport-ws', { autoPong: false });
      await new Promise((r) => mute.once('open', r));
      const closed = closeOf(mute);
      mute.send(JSON.stringify({ type: 'connection_init' }));
      const { code } = await closed;
      expect(code).toBe(1006);
    });

    it('limits subscriptions per connection with a GraphQL error on the extra one only', async () => {
      const c = wsClient(s.url);
      try {
        const recs = [0, 1, 2].map((i) => watch(c, 'conn', `lim-${i}`));
        await Promise.all(recs.map((r) => r.waitForCount('0')));
        const extra = watch(c, 'conn', 'lim-3');
        const err = await extra.waitForError();
        expect(err.extensions?.code).toBe('BAD_USER_INPUT');
        expect(err.extensions?.limit).toBe(3);

        // The others keep streaming; a freed slot can be used again.
        const add = await s.gql(`mutation { addCount(input: {namespace: "conn", name: "lim-1", delta: 4}) { applied } }`);
        expect(add.errors).toBeUndefined();
        await recs[1]!.waitForCount('4');
        recs[0]!.stop();
        await waitFor(async () => (await metric(s.url, 'counter_subscriptions_active')) === 2, 5000);
        const again = watch(c, 'conn', 'lim-3');
        await again.waitForCount('0');
        expect(again.errors).toEqual([]);
      } finally {
        await c.dispose();
      }
    });
  });

  it('shutdown closes every connection with 1001 and is not held up by a stalled client', async () => {
    const s = await startServer({ WS_KEEPALIVE_MS: 60_000 });
    await createNamespace(s, 'bye', 'BEST_EFFORT');
    const c = wsClient(s.url);
    const rec = watch(c, 'bye', 'x');
    await rec.waitForCount('0');

    // A stalled client: subscribed, then stops reading.
    const stalled = await rawConnection(s.url);
    stalled.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: 'subscription { counterUpdated(namespace: "bye", name: "x") { count } }' } }));
    await new Promise((r) => stalled.once('message', r));
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause();
    const stalledClosed = closeOf(stalled);
    expect(await metric(s.url, 'counter_subscriptions_active')).toBe(2);

    const t = Date.now();
    await s.stop();
    const took = Date.now() - t;
    await waitFor(() => rec.failure !== undefined || rec.completed, 5000);
    expect((rec.failure as { code?: number } | undefined)?.code).toBe(1001);
    expect(took).toBeLessThan(8000);
    expect(s.app.backends.pubsub.activeCounters()).toBe(0);
    expect(await s.app.metrics.subscriptions.get()).toMatchObject({ values: [{ value: 0 }] });
    (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
    await stalledClosed;
    await c.dispose();
  });

  it('passes connection_init params to the credentials hook and to the operation context', async () => {
    const s = await startServer();
    await createNamespace(s, 'auth', 'EVENTUAL');
    const seen: ConnectionInfo[] = [];
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const endpoint = attachWebSocket(server, {
      schema: buildSchema(),
      config: loadConfig({}, { WS_KEEPALIVE_MS: 0 }),
      log: s.app.log,
      limits: new OperationLimits(buildSchema(), loadConfig({}).limits, true),
      onConnect: ({ connectionParams }) => (connectionParams.token === 'sesame' ? { welcome: true } : false),
      context: async (info) => {
        seen.push(info);
        return s.app.context();
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      // Refused credentials: 4403 Forbidden.
      const denied = new WebSocket(wsUrl(url), 'graphql-transport-ws');
      await new Promise((r) => denied.once('open', r));
      const closed = closeOf(denied);
      denied.send(JSON.stringify({ type: 'connection_init', payload: { token: 'wrong' } }));
      expect((await closed).code).toBe(4403);

      // Accepted: the ack carries the hook's payload, operations see the params.
      const ok = new WebSocket(wsUrl(url), 'graphql-transport-ws');
      await new Promise((r) => ok.once('open', r));
      const ack = new Promise<{ type: string; payload?: unknown }>((r) => ok.once('message', (d) => r(JSON.parse(String(d)))));
      ok.send(JSON.stringify({ type: 'connection_init', payload: { token: 'sesame' } }));
      expect(await ack).toEqual({ type: 'connection_ack', payload: { welcome: true } });
      ok.close(1000);

      const c = wsClient(url, { token: 'sesame' });
      const rec = watch(c, 'auth', 'a');
      await rec.waitForCount('0');
      expect(seen.at(-1)!.connectionParams).toEqual({ token: 'sesame' });
      expect(seen.at(-1)!.request.url).toBe('/graphql');
      await c.dispose();
    } finally {
      await endpoint.dispose();
      await new Promise((r) => server.close(r));
      await s.stop();
    }
  });
});
