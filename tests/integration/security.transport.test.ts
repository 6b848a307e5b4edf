import net from 'node:net';
import WebSocket from 'ws';
import { freshPrefix, redisUrl } from './helpers/redis';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';
import { COUNTER_UPDATED, rawConnection, watch, wsClient, wsUrl } from './helpers/subscriptions';

/** Issue #12's transport holes, each from outside: a real service on loopback, real clients. */

const closeOf = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));

/** The outcome of a websocket upgrade: open, or the HTTP status it was refused with. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ opened: boolean; status?: number; ws: WebSocket }> {
  const ws = new WebSocket(wsUrl(url), 'graphql-transport-ws', { headers });
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode, ws });
      res.resume();
    });
    ws.once('error', () => resolve({ opened: false, ws }));
  });
}

/** A raw TCP connection to the service, recording what it receives and when it closes. */
function tcp(url: string): { socket: net.Socket; received: () => string; closed: Promise<number>; opened: Promise<void> } {
  const { port } = new URL(url);
  const start = Date.now();
  const socket = net.connect(Number(port), '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += String(d)));
  socket.on('error', () => undefined);
  return {
    socket,
    received: () => data,
    closed: new Promise((r) => socket.once('close', () => r(Date.now() - start))),
    opened: new Promise((r) => socket.once('connect', () => r())),
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('browser origins (ALLOWED_ORIGINS)', () => {
  const APP = 'https://app.example.com';
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ ALLOWED_ORIGINS: ` ${APP} , http://localhost:3000` });
    await createNamespace(s, 'cors', 'ACCURATE');
  });
  afterAll(() => s.stop());

  it('answers a listed origin’s preflight 204 with the methods, headers and max-age a browser client needs', async () => {
    const res = await fetch(s.url, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,apollographql-client-name' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toContain('Origin');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    const allowed = res.headers.get('access-control-allow-headers')!.split(', ');
    for (const h of ['content-type', 'authorization', 'apollographql-client-name', 'apollographql-client-version', 'x-apollo-operation-name', 'apollo-require-preflight', 'traceparent']) {
      expect(allowed).toContain(h);
    }
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('serves a listed origin’s preflighted POST (Apollo’s CSRF prevention lets it through) with its origin echoed', async () => {
    const res = await post(s.url, { query: 'mutation { addAndGetCount(input: {namespace: "cors", name: "a", delta: 2}) { count } }' }, { origin: APP });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toContain('Origin');
    expect(((await res.json()) as { data: { addAndGetCount: { count: string } } }).data.addAndGetCount.count).toBe('2');
  });

  it('gives an unlisted origin no CORS header, on a request or a preflight', async () => {
    const res = await post(s.url, { query: '{ namespaces { name } }' }, { origin: 'https://evil.example' });
    const pre = await fetch(s.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    for (const r of [res, pre]) expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a websocket upgrade from a foreign origin with 403, before graphql-ws sees it', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${s.app.port}.evil.example`]) {
      const r = await upgrade(s.url, { origin });
      expect({ origin, opened: r.opened, status: r.status }).toEqual({ origin, opened: false, status: 403 });
    }
    expect(await metric(s.url, 'connections_refused_total', { reason: 'websocket_origin' })).toBe(3);
  });

  it('accepts upgrades from a listed origin, from the service’s own origin, and without Origin (routers)', async () => {
    const own = `http://127.0.0.1:${s.app.port}`;
    const cases: Record<string, string>[] = [{ origin: APP }, { origin: own }, { origin: own.replace('http:', 'https:') }, {}];
    for (const headers of cases) {
      const r = await upgrade(s.url, headers);
      expect({ headers, opened: r.opened }).toEqual({ headers, opened: true });
      r.ws.close(1000);
    }
  });
});

describe('subscriptions over one websocket', () => {
  const CAP = 5;
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: CAP });
    await createNamespace(s, 'leak', 'ACCURATE');
  });
  afterAll(() => s.stop());

  const active = async (): Promise<number> => (await s.app.metrics.subscriptions.get()).values[0]?.value ?? 0;
  const subscribeMsg = (id: string, name = 'x') => JSON.stringify({ id, type: 'subscribe', payload: { query: COUNTER_UPDATED, variables: { namespace: 'leak', name } } });
  const nextFor = (ws: WebSocket, id: string) =>
    new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; id?: string };
        if (m.type === 'next' && m.id === id) resolve();
      }),
    );

  it('subscribe X, complete X, subscribe X again 20,000 times: nothing outlives the socket, the cap is never exceeded', async () => {
    const ws = await rawConnection(s.url);
    let peak = 0;
    const sampler = setInterval(() => void active().then((n) => (peak = Math.max(peak, n))), 1);
    const complete = JSON.stringify({ id: 'X', type: 'complete' });
    for (let i = 0; i < 20_000; i++) {
      ws.send(subscribeMsg('X'));
      ws.send(complete);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    // The last subscribe stays: its first value arrives once every earlier message was handled.
    const first = nextFor(ws, 'X');
    ws.send(subscribeMsg('X'));
    await first;
    await new Promise((r) => setTimeout(r, 200));
    clearInterval(sampler);
    peak = Math.max(peak, await active());
    expect(await active()).toBe(1);

    // The cap still counts right: CAP - 1 more fit, the next one is refused.
    const more = Array.from({ length: CAP - 1 }, (_, i) => `m${i}`);
    await Promise.all(more.map((id) => { const p = nextFor(ws, id); ws.send(subscribeMsg(id, id)); return p; }));
    const refused = new Promise<{ message: string }[]>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; id?: string; payload: { message: string }[] };
        if (m.type === 'error' && m.id === 'over') resolve(m.payload);
      }),
    );
    ws.send(subscribeMsg('over', 'over'));
    expect((await refused)[0]!.message).toContain(`at most ${CAP} subscriptions`);
    expect(await active()).toBe(CAP);

    const closed = closeOf(ws);
    ws.close(1000);
    await closed;
    await waitFor(async () => (await active()) === 0, 5000);
    expect(peak).toBeLessThanOrEqual(CAP);
    expect(s.app.backends.pubsub.activeCounters?.() ?? 0).toBe(0);
  });

  it('answers a subscribe whose query does not parse with an error for that id, and keeps the connection', async () => {
    const ws = await rawConnection(s.url);
    const answer = new Promise<{ type: string; id: string; payload: { message: string; extensions?: { code?: string } }[] }>((resolve) =>
      ws.on('message', (d) => resolve(JSON.parse(String(d)) as never)),
    );
    ws.send(JSON.stringify({ id: 'p', type: 'subscribe', payload: { query: `subscription { ${'x'.repeat(500)}` } }));
    const msg = await answer;
    expect(msg).toMatchObject({ type: 'error', id: 'p' });
    expect(msg.payload[0]!.message.length).toBeLessThan(260);
    const alive = nextFor(ws, 'ok');
    ws.send(subscribeMsg('ok'));
    await alive;
    ws.close(1000);
  });
});

describe('opaque errors with NODE_ENV=production', () => {
  let s: TestServer;
  let proxy: net.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    // Redis behind a proxy this test can cut: a real outage, real driver errors.
    const target = new URL(redisUrl());
    proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const x of [client, upstream]) {
        sockets.add(x);
        x.on('error', () => undefined);
        x.on('close', () => sockets.delete(x));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as net.AddressInfo).port;
    s = await startServer({ NODE_ENV: 'production', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: freshPrefix() });
    await createNamespace(s, 'prod', 'BEST_EFFORT');
  });
  afterAll(async () => {
    await s.stop();
    proxy.close();
  });

  it('an unexpected error answers a fixed message and a requestId, on every path; the details are logged under that id', async () => {
    const error = jest.spyOn(s.app.log, 'error');
    const secret = new TypeError("Cannot read properties of undefined (reading 'rows') at /srv/counters/secret.js:12");
    const list = jest.spyOn(s.app.namespaces, 'list').mockRejectedValue(secret);
    try {
      const answers = [];
      // Apollo, then the compiled path (an operation is compiled the second time it is seen), then the websocket.
      for (let i = 0; i < 3; i++) answers.push(await s.gql('{ namespaces { name } }'));
      const client = wsClient(s.url);
      const rec = watch(client, 'prod', 'x', '{ namespaces { name } }');
      answers.push({ status: 200, errors: [await rec.waitForError()] });
      await client.dispose();
      for (const a of answers) {
        expect(JSON.stringify(a)).not.toContain('secret.js');
        const [e] = a.errors!;
        expect(e!.message).toBe('Internal server error');
        expect(e!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
        const logged = error.mock.calls.find(([fields]) => (fields as { requestId?: string }).requestId === e!.extensions!.requestId);
        expect((logged![0] as { err: Error }).err).toBe(secret);
      }
    } finally {
      list.mockRestore();
      error.mockRestore();
    }
  });

  it('a store outage answers UNAVAILABLE and /readyz 503 without the driver’s message; the details go to the log', async () => {
    expect((await s.gql('{ counter(namespace: "prod", name: "a") { count } }')).data).toEqual({ counter: { count: '0' } });
    const warn = jest.spyOn(s.app.log, 'warn');
    proxy.close();
    for (const x of sockets) x.destroy();
    try {
      let r = await s.gql<{ counter: { count: string } }>('{ counter(namespace: "prod", name: "a") { count } }');
      await waitFor(async () => {
        r = await s.gql('{ counter(namespace: "prod", name: "a") { count } }');
        return r.errors?.[0]?.extensions?.code === 'UNAVAILABLE';
      });
      const [e] = r.errors!;
      expect(e!.message).toBe('a backing store cannot be reached');
      expect(e!.extensions).toEqual({ code: 'UNAVAILABLE', requestId: expect.any(String) });
      expect(warn.mock.calls.some(([fields]) => (fields as { requestId?: string }).requestId === e!.extensions!.requestId)).toBe(true);

      const ready = await fetch(s.url.replace('/graphql', '/readyz'));
      const body = await ready.text();
      expect(ready.status).toBe(503);
      expect(body).toBe('not ready: the redis store cannot be reached');
    } finally {
      warn.mockRestore();
    }
  });
});

describe('connection caps and socket timeouts', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({
      HTTP_MAX_CONNECTIONS: 12,
      WS_MAX_CONNECTIONS: 3,
      HTTP_HEADERS_TIMEOUT_MS: 500,
      HTTP_REQUEST_TIMEOUT_MS: 1000,
      HTTP_IDLE_TIMEOUT_MS: 1000,
    });
    await createNamespace(s, 'caps', 'ACCURATE');
  });
  afterAll(() => s.stop());

  it('refuses a websocket past WS_MAX_CONNECTIONS with 503 before the upgrade, and takes one again once a slot frees', async () => {
    const open = await Promise.all([1, 2, 3].map(() => upgrade(s.url)));
    expect(open.map((o) => o.opened)).toEqual([true, true, true]);
    const over = await upgrade(s.url);
    expect({ opened: over.opened, status: over.status }).toEqual({ opened: false, status: 503 });
    expect(await metric(s.url, 'connections_refused_total', { reason: 'websocket_cap' })).toBe(1);
    const closed = closeOf(open[0]!.ws);
    open[0]!.ws.close(1000);
    await closed;
    await waitFor(() => s.app.websocket.wss.clients.size === 2);
    const again = await upgrade(s.url);
    expect(again.opened).toBe(true);
    for (const o of [...open.slice(1), again]) o.ws.close(1000);
  });

  it('closes a connection past HTTP_MAX_CONNECTIONS unanswered, and serves again below it', async () => {
    // Keep-alive connections, each after one answered request (idle, not timed out), until the
    // server refuses one: that happens at the cap (fetch's own pool may hold a few already).
    const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const held: ReturnType<typeof tcp>[] = [];
    let refused: ReturnType<typeof tcp> | undefined;
    try {
      for (let i = 0; i < 20 && !refused; i++) {
        const c = tcp(s.url);
        c.socket.write(req);
        const served = waitFor(() => c.received().startsWith('HTTP/1.1 200'), 3000).then(
          () => true,
          () => false,
        );
        if (await Promise.race([served, c.closed.then(() => false)])) held.push(c);
        else refused = c;
      }
      expect(refused?.received()).toBe(''); // closed unanswered, not a timeout's 408
      expect(held.length).toBeGreaterThan(5);
      expect(held.length).toBeLessThanOrEqual(12);
      expect(held.every((h) => !h.socket.destroyed)).toBe(true);
    } finally {
      for (const h of held) h.socket.destroy();
    }
    await waitFor(async () => (await fetch(s.url.replace('/graphql', '/healthz')).catch(() => undefined))?.status === 200, 3000);
    expect(await metric(s.url, 'connections_refused_total', { reason: 'tcp' })).toBeGreaterThanOrEqual(1);
  });

  it('cuts slow headers (slowloris), a slow body, and a silent socket with 408 within about a second', async () => {
    const slowHeaders = tcp(s.url);
    await slowHeaders.opened;
    slowHeaders.socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slowHeaders.socket.writable && slowHeaders.socket.write('x-a: b\r\n'), 50);
    const slowBody = tcp(s.url);
    await slowBody.opened;
    slowBody.socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{');
    const drip2 = setInterval(() => slowBody.socket.writable && slowBody.socket.write(' '), 50);
    const silent = tcp(s.url);
    try {
      for (const c of [slowHeaders, slowBody, silent]) {
        expect(await c.closed).toBeLessThan(3000);
        expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      }
    } finally {
      clearInterval(drip);
      clearInterval(drip2);
    }
  });

  it('keeps an idle keep-alive connection past the header and idle timeouts (keep-alive lasts HTTP_KEEPALIVE_TIMEOUT_MS)', async () => {
    const c = tcp(s.url);
    await c.opened;
    const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    c.socket.write(req);
    await waitFor(() => c.received().split('HTTP/1.1 200').length === 2, 3000);
    await new Promise((r) => setTimeout(r, 1500));
    c.socket.write(req);
    await waitFor(() => c.received().split('HTTP/1.1 200').length === 3, 3000);
    expect(c.socket.destroyed).toBe(false);
    c.socket.destroy();
  });

  it('does not cut a quiet websocket at the HTTP idle timeout (its keep-alive pings judge it)', async () => {
    const client = wsClient(s.url);
    const rec = watch(client, 'caps', 'quiet');
    await rec.waitForCount('0');
    await new Promise((r) => setTimeout(r, 2000));
    await s.gql('mutation { addCount(input: {namespace: "caps", name: "quiet", delta: 1}) { counter { name } } }');
    await rec.waitForCount('1');
    expect(rec.failure).toBeUndefined();
    await client.dispose();
  });
});
