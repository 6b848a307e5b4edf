/** GraphQL over HTTP and graphql-ws for the probe and subscribers tasks. */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ADD, SUB } from '../workload';
import { send } from './protocol';

/** One GraphQL request over HTTP; the parsed response. */
export async function post(url: string, body: unknown): Promise<{ data?: unknown; errors?: unknown[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { data?: unknown; errors?: unknown[] };
}

/**
 * A graphql-ws client on the service's /graphql websocket. A connection that fails (on a
 * loaded machine thousands of handshakes overflow the accept queue: the kernel resets some)
 * is retried a few times, resubscribing; the measured values are the counter's, monotone,
 * so a resubscribed client is measured as any other.
 */
export function wsClient(url: string): Client {
  return createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 5, shouldRetry: () => true });
}

/** Subscribes to one counter; onValue gets every count (as bigint) with its arrival time. */
export function watch(client: Client, namespace: string, name: string, onValue: (v: bigint, at: number) => void): void {
  client.subscribe<{ counterUpdated: { count: string } }>(
    { query: SUB, variables: { ns: namespace, n: name } },
    {
      next: (r) => {
        if (r.data) onValue(BigInt(r.data.counterUpdated.count), performance.now());
      },
      error: (e) => send({ type: 'error', message: `subscription error: ${JSON.stringify(e)}` }),
      complete: () => {},
    },
  );
}

let tokenSeq = 0;

/** An addCount of 1 with a fresh token (unique in this agent process), generated now. */
export const addOne = (namespace: string, name: string) => ({
  query: ADD,
  variables: {
    i: { namespace, name, delta: '1', idempotencyToken: { token: `p${process.pid}.${tokenSeq++}`, generationTime: new Date().toISOString() } },
  },
});
