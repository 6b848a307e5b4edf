import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './server';

/** ws://host:port/graphql for the server's http URL: same port, same path. */
export const wsUrl = (httpUrl: string): string => httpUrl.replace(/^http/, 'ws');

/** A real graphql-ws client (graphql-transport-ws over the `ws` package), no retries. */
export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams,
    lazyCloseTimeout: 0,
    // Every client error surfaces in the recorder; no console noise.
    onNonLazyError: () => undefined,
  });
}

/**
 * The graphql-ws clients of a test file: `client()` opens one on the server `url()` names,
 * `disposeAll()` (in afterEach) closes every one opened since.
 */
export function clientPool(url: () => string): { client(): Client; disposeAll(): Promise<void> } {
  const clients: Client[] = [];
  return {
    client() {
      const c = wsClient(url());
      clients.push(c);
      return c;
    },
    async disposeAll() {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
    },
  };
}

export const COUNTER_UPDATED = `subscription ($namespace: String!, $name: String!) {
  counterUpdated(namespace: $namespace, name: $name) { namespace name mode count }
}`;

export interface GqlErr {
  message: string;
  extensions?: { code?: string } & Record<string, unknown>;
}

/** What one subscription received, in order, with arrival times. */
export interface Recorder {
  counts: string[];
  names: string[];
  at: number[];
  /** GraphQL errors, from `next` payloads or an `error` message. */
  errors: GqlErr[];
  /** A transport failure (close event / Error), if any. */
  failure: unknown;
  completed: boolean;
  latest(): string | undefined;
  /** Resolves once `count` was received; returns when it was first seen (Date.now()). */
  waitForCount(count: string, timeoutMs?: number): Promise<number>;
  waitForError(timeoutMs?: number): Promise<GqlErr>;
  /** Completes the subscription (client sends `complete`). */
  stop(): void;
}

export function watch(client: Client, namespace: string, name: string, query = COUNTER_UPDATED): Recorder {
  const r: Recorder = {
    counts: [],
    names: [],
    at: [],
    errors: [],
    failure: undefined,
    completed: false,
    latest: () => r.counts[r.counts.length - 1],
    waitForCount: async (count, timeoutMs = 10_000) => {
      await waitFor(() => r.counts.includes(count), timeoutMs, 5).catch((err: Error) => {
        throw new Error(`${namespace}/${name}: ${count} not received (got ${JSON.stringify(r.counts.slice(-10))}, errors ${JSON.stringify(r.errors)}): ${err.message}`);
      });
      return r.at[r.counts.indexOf(count)]!;
    },
    waitForError: async (timeoutMs = 10_000) => {
      await waitFor(() => r.errors.length > 0, timeoutMs, 5);
      return r.errors[0]!;
    },
    stop: () => unsubscribe(),
  };
  const unsubscribe = client.subscribe<{ counterUpdated: { name: string; count: string } }>(
    { query, variables: { namespace, name } },
    {
      next: (result) => {
        if (result.errors) r.errors.push(...(result.errors as GqlErr[]));
        const c = result.data?.counterUpdated;
        if (c) {
          r.counts.push(c.count);
          r.names.push(c.name);
          r.at.push(Date.now());
        }
      },
      error: (err) => {
        if (Array.isArray(err)) r.errors.push(...(err as GqlErr[]));
        else r.failure = err;
      },
      complete: () => {
        r.completed = true;
      },
    },
  );
  return r;
}

/** Ref'd timers and intervals alive in this process (unref'd ones are not listed by Node). */
export const activeTimers = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;

/** A raw graphql-transport-ws connection on a `ws` WebSocket, acknowledged. */
export async function rawConnection(httpUrl: string, payload: Record<string, unknown> = {}): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const acked = new Promise<void>((resolve, reject) => {
    ws.on('message', function onAck(data) {
      const msg = JSON.parse(String(data)) as { type: string };
      if (msg.type === 'connection_ack') {
        ws.off('message', onAck);
        resolve();
      }
    });
    ws.once('close', (code) => reject(new Error(`closed ${code} before connection_ack`)));
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload }));
  await acked;
  return ws;
}
