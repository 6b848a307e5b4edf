import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createNamespace, metric, startServer, waitFor, type TestServer } from '../helpers/server';

/**
 * Subscriptions through a router, both ways the Apollo Router reaches a subgraph: the
 * websocket passthrough (graphql-transport-ws) and the HTTP callback protocol (callback/1.0).
 */

const SUB = `subscription ($namespace: String!, $name: String!) { counterUpdated(namespace: $namespace, name: $name) { namespace name count } }`;

interface CallbackMessage {
  kind: string;
  action: 'check' | 'next' | 'complete';
  id: string;
  verifier: string;
  payload?: { data?: { counterUpdated?: { count: string } } | null; errors?: unknown[] };
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Plays the router's callback endpoint: one URL per subscription (/callback/<id>, as the
 * router does), records every message, answers 204, or 404 once told the id is gone.
 */
class RouterStub {
  readonly messages: CallbackMessage[] = [];
  readonly gone = new Set<string>();
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackMessage;
      const pathOk = req.url === `/callback/${msg.id}` && req.headers['content-type'] === 'application/json';
      this.messages.push(msg);
      const status = !pathOk || msg.verifier !== `v-${msg.id}` ? 400 : this.gone.has(msg.id) ? 404 : 204;
      res.writeHead(status, { 'subscription-protocol': 'callback/1.0' }).end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
  }
  url(id: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback/${id}`;
  }
  of(id: string, action?: CallbackMessage['action']): CallbackMessage[] {
    return this.messages.filter((m) => m.id === id && (!action || m.action === action));
  }
  counts(id: string): string[] {
    return this.of(id, 'next').map((m) => m.payload!.data!.counterUpdated!.count);
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** What the router POSTs to the subgraph to start a callback subscription. */
async function postCallbackSubscription(url: string, name: string, subscription: { callbackUrl: string; subscriptionId: string; verifier: string; heartbeatIntervalMs: number }, namespace = 'fed_subs') {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json;callbackSpec=1.0' },
    body: JSON.stringify({ query: SUB, variables: { namespace, name }, extensions: { subscription } }),
  });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

/** A callback subscription with the router stub's URL and verifier for `id`. */
const subscribeByCallback = (s: TestServer, router: RouterStub, id: string, name: string, namespace = 'fed_subs', heartbeatIntervalMs = 100) =>
  postCallbackSubscription(s.url, name, { callbackUrl: router.url(id), subscriptionId: id, verifier: `v-${id}`, heartbeatIntervalMs }, namespace);

const add = async (s: TestServer, name: string, delta: number): Promise<void> => {
  const r = await s.gql(`mutation ($name: String!, $delta: Long!) { addCount(input: {namespace: "fed_subs", name: $name, delta: $delta}) { applied } }`, {
    name,
    delta,
  });
  expect(r.errors).toBeUndefined();
};

describe('subscriptions through a router', () => {
  let s: TestServer;
  let router: RouterStub;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'fed_subs', 'EVENTUAL');
    router = new RouterStub();
    await router.start();
  });
  afterAll(async () => {
    await s?.stop();
    await router?.stop();
  });

  describe('HTTP callback protocol (callbackSpec=1.0)', () => {
    it('checks first, then sends the current count, each converged count and heartbeats', async () => {
      await add(s, 'cb1', 3);
      const r = await subscribeByCallback(s, router, 'sub-1', 'cb1');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ data: null });
      // The subgraph answers the router only after a successful `check` round trip.
      expect(router.of('sub-1')[0]).toMatchObject({ kind: 'subscription', action: 'check', id: 'sub-1', verifier: 'v-sub-1' });

      await waitFor(() => router.counts('sub-1').length >= 1);
      expect(router.of('sub-1', 'next')[0]!.payload).toEqual({ data: { counterUpdated: { namespace: 'fed_subs', name: 'cb1', count: '3' } } });

      await add(s, 'cb1', 4);
      await add(s, 'cb1', -2);
      await waitFor(() => router.counts('sub-1').at(-1) === '5');
      // Converged values only, in order, without repeats.
      const counts = router.counts('sub-1').map(Number);
      expect(counts[0]).toBe(3);
      expect(counts).toEqual([...new Set(counts)]);
      expect(counts.every((c) => [3, 7, 5].includes(c))).toBe(true);

      // Heartbeats are `check` messages at the requested interval.
      const checks = router.of('sub-1', 'check').length;
      await waitFor(() => router.of('sub-1', 'check').length >= checks + 2, 3000);
      expect(router.of('sub-1', 'complete')).toEqual([]);
    });

    it('stops sending (next and heartbeats) once the router answers 404, and releases the subscription', async () => {
      const active = await metric(s.url, 'counter_subscriptions_active');
      await subscribeByCallback(s, router, 'sub-2', 'cb2');
      await waitFor(() => router.counts('sub-2').length === 1);
      expect(await metric(s.url, 'counter_subscriptions_active')).toBe(active + 1);

      router.gone.add('sub-2');
      await add(s, 'cb2', 10);
      // The next `next` (or heartbeat) gets 404: the subscription ends on the subgraph.
      await waitFor(async () => (await metric(s.url, 'counter_subscriptions_active')) === active, 5000);
      const seen = router.of('sub-2').length;
      await add(s, 'cb2', 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(router.of('sub-2').length).toBe(seen);
    });

    it('ends on a 404 to a heartbeat too', async () => {
      const active = await metric(s.url, 'counter_subscriptions_active');
      await subscribeByCallback(s, router, 'sub-3', 'cb3');
      await waitFor(() => router.counts('sub-3').length === 1);
      router.gone.add('sub-3');
      await waitFor(async () => (await metric(s.url, 'counter_subscriptions_active')) === active, 5000);
      const seen = router.of('sub-3').length;
      await new Promise((r) => setTimeout(r, 400));
      expect(router.of('sub-3').length).toBe(seen);
      expect(router.of('sub-3', 'check').length).toBeGreaterThanOrEqual(2);
    });

    it('completes at once with the error when the subscription is refused (unknown namespace)', async () => {
      const r = await subscribeByCallback(s, router, 'sub-4', 'x', 'no_such_ns');
      expect(r.status).toBe(200);
      await waitFor(() => router.of('sub-4', 'complete').length === 1);
      const complete = router.of('sub-4', 'complete')[0]!;
      expect(complete.errors?.[0]?.extensions?.code).toBe('NAMESPACE_NOT_FOUND');
      expect(router.of('sub-4', 'next')).toEqual([]);
    });

    it('refuses the subscription when the router’s check fails (4xx other than 404)', async () => {
      // A check that the router refuses outright (here: a wrong verifier, 400) fails the request.
      const res = await postCallbackSubscription(s.url, 'cb5', { callbackUrl: router.url('sub-5b'), subscriptionId: 'sub-5b', verifier: 'forged', heartbeatIntervalMs: 100 });
      // The request's callback is refused: a 4xx with a stable code, never a server error.
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
      await new Promise((res) => setTimeout(res, 300));
      expect(router.of('sub-5b').map((m) => m.action)).toEqual(['check']);
    });

    it('does not keep a subscription whose first check got 404 (Apollo still sends one next, which ends it)', async () => {
      const active = await metric(s.url, 'counter_subscriptions_active');
      router.gone.add('sub-7');
      // The heartbeat comes after the first `next` here: @apollo/server 5.5 loses track of a
      // subscription whose heartbeat got 404 before it was registered (a library race).
      const r = await subscribeByCallback(s, router, 'sub-7', 'cb7', 'fed_subs', 2000);
      // @apollo/server 5.5 answers 200 here and starts the subscription anyway; the router's
      // 404 to the first `next` then ends it. What matters: nothing stays alive.
      expect(r.status).toBe(200);
      await waitFor(async () => (await metric(s.url, 'counter_subscriptions_active')) === active && router.of('sub-7').length >= 2, 5000);
      const seen = router.of('sub-7').length;
      await add(s, 'cb7', 1);
      await new Promise((res) => setTimeout(res, 400));
      expect(router.of('sub-7').length).toBe(seen);
      expect(router.of('sub-7').map((m) => m.action)).toEqual(['check', 'next']);
    });

    it('sends complete to the router when the subgraph shuts down', async () => {
      const other = await startServer();
      try {
        await createNamespace(other, 'fed_subs', 'EVENTUAL');
        await subscribeByCallback(other, router, 'sub-6', 'cb6');
        await waitFor(() => router.counts('sub-6').length === 1);
      } finally {
        await other.stop();
      }
      expect(router.of('sub-6', 'complete')).toHaveLength(1);
      expect(router.of('sub-6', 'complete')[0]!.errors).toBeUndefined();
    });
  });

  describe('SUBSCRIPTION_CALLBACK_HOSTS', () => {
    const refusedCodes = async (r: Awaited<ReturnType<typeof subscribeByCallback>>) => {
      expect(r.status).toBe(400);
      return (r.body.errors ?? []).map((e) => [e.extensions?.code, e.message]);
    };

    it('refuses a callback to a host not listed, before calling it', async () => {
      const other = await startServer({ SUBSCRIPTION_CALLBACK_HOSTS: 'router.internal,127.0.0.2' });
      try {
        await createNamespace(other, 'fed_subs', 'EVENTUAL');
        const r = await subscribeByCallback(other, router, 'sub-h1', 'cbh1');
        expect(await refusedCodes(r)).toEqual([['BAD_REQUEST', 'extensions.subscription.callbackUrl names a host not in SUBSCRIPTION_CALLBACK_HOSTS']]);
        await new Promise((res) => setTimeout(res, 300));
        expect(router.of('sub-h1')).toEqual([]);
      } finally {
        await other.stop();
      }
    });

    it('serves a listed host:port', async () => {
      const port = new URL(router.url('x')).port;
      const other = await startServer({ SUBSCRIPTION_CALLBACK_HOSTS: `127.0.0.1:${port}` });
      try {
        await createNamespace(other, 'fed_subs', 'EVENTUAL');
        const r = await subscribeByCallback(other, router, 'sub-h2', 'cbh2');
        expect(r.status).toBe(200);
        await waitFor(() => router.counts('sub-h2').length === 1);
      } finally {
        await other.stop();
      }
    });

    it('is off under NODE_ENV=production until hosts are listed', async () => {
      const other = await startServer({ NODE_ENV: 'production' });
      try {
        await createNamespace(other, 'fed_subs', 'EVENTUAL');
        const r = await subscribeByCallback(other, router, 'sub-h3', 'cbh3');
        expect((await refusedCodes(r))[0]![0]).toBe('BAD_REQUEST');
        expect(router.of('sub-h3')).toEqual([]);
      } finally {
        await other.stop();
      }
    });

    it('does not follow a redirect from a listed host to another one', async () => {
      // The listed host answers every callback with a redirect to the router stub.
      const bouncer = http.createServer((req, res) => res.writeHead(307, { location: router.url('sub-h4') }).end());
      await new Promise<void>((r) => bouncer.listen(0, '127.0.0.1', () => r()));
      const bouncerPort = (bouncer.address() as AddressInfo).port;
      const other = await startServer({ SUBSCRIPTION_CALLBACK_HOSTS: `127.0.0.1:${bouncerPort}` });
      try {
        await createNamespace(other, 'fed_subs', 'EVENTUAL');
        const callbackUrl = `http://127.0.0.1:${bouncerPort}/callback/sub-h4`;
        const res = await postCallbackSubscription(other.url, 'cbh4', { callbackUrl, subscriptionId: 'sub-h4', verifier: 'v-sub-h4', heartbeatIntervalMs: 100 });
        expect(res.status).toBe(400);
        expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
        await new Promise((r) => setTimeout(r, 300));
        expect(router.of('sub-h4')).toEqual([]);
      } finally {
        await other.stop();
        bouncer.closeAllConnections();
        await new Promise((r) => bouncer.close(() => r(undefined)));
      }
    });
  });

  describe('websocket passthrough (graphql-transport-ws), as the router speaks it', () => {
    it('acks a connection_init with params within 5 s and streams converged counts', async () => {
      await add(s, 'ws1', 2);
      const ws = new WebSocket(s.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      const messages: { type: string; id?: string; payload?: { data?: { counterUpdated: { count: string } } } }[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      expect(ws.protocol).toBe('graphql-transport-ws');
      const sentAt = Date.now();
      // The router forwards client headers in the connection_init payload.
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer x', 'apollographql-client-name': 'router' } }));
      await waitFor(() => messages.some((m) => m.type === 'connection_ack'), 5000, 5);
      expect(Date.now() - sentAt).toBeLessThan(5000);

      ws.send(JSON.stringify({ id: 'op-1', type: 'subscribe', payload: { query: SUB, variables: { namespace: 'fed_subs', name: 'ws1' } } }));
      const counts = (): string[] => messages.filter((m) => m.type === 'next' && m.id === 'op-1').map((m) => m.payload!.data!.counterUpdated.count);
      await waitFor(() => counts()[0] === '2');
      await add(s, 'ws1', 40);
      await waitFor(() => counts().at(-1) === '42');

      // The router pings; the subgraph pongs.
      ws.send(JSON.stringify({ type: 'ping' }));
      await waitFor(() => messages.some((m) => m.type === 'pong'));
      ws.send(JSON.stringify({ id: 'op-1', type: 'complete' }));
      await new Promise((r) => setTimeout(r, 100));
      ws.close(1000);
      await new Promise((r) => ws.once('close', r));
    });
  });
});
