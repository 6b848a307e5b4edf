import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createNamespace, metric, startServer, waitFor, type TestServer } from './helpers/server';

/**
 * Convergence of EVENTUAL counters by themselves: after the last write, `counterUpdated`
 * delivers the exact total without any further read or write. Reading would trigger a
 * roll-up (and so hide a missing one), so nothing here reads a count over HTTP: the GetCount
 * metrics prove it. Lag = arrival of the exact total - acknowledgement of the last write.
 */

const NS = 'conv';
const BOUND_MS = 3000;

let s: TestServer;
let client: Client;
beforeAll(async () => {
  s = await startServer();
  await createNamespace(s, NS, 'EVENTUAL');
  client = createClient({ url: s.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
});
afterAll(async () => {
  await client.dispose();
  await s.stop();
});

interface Watch {
  values: { count: string; at: number }[];
  /** Resolves with the arrival time of the first value equal to `count`. */
  reaches(count: string, timeoutMs?: number): Promise<number>;
  stop(): void;
}

function watch(name: string): Promise<Watch> {
  const values: { count: string; at: number }[] = [];
  let wake: (() => void) | null = null;
  let failed: unknown = null;
  let firstValue: () => void;
  const first = new Promise<void>((r) => (firstValue = r));
  const stop = client.subscribe<{ counterUpdated: { count: string } }>(
    { query: `subscription ($ns: String!, $n: String!) { counterUpdated(namespace: $ns, name: $n) { count } }`, variables: { ns: NS, n: name } },
    {
      next: (msg) => {
        if (msg.errors) failed = msg.errors;
        else values.push({ count: msg.data!.counterUpdated.count, at: performance.now() });
        firstValue();
        wake?.();
      },
      error: (err) => {
        failed = err;
        firstValue();
        wake?.();
      },
      complete: () => undefined,
    },
  );
  const w: Watch = {
    values,
    stop,
    async reaches(count, timeoutMs = BOUND_MS + 2000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (failed) throw new Error(`subscription failed: ${JSON.stringify(failed)}`);
        const hit = values.find((v) => v.count === count);
        if (hit) return hit.at;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`${name} never reached ${count}; got ${values.map((v) => v.count).join(', ')}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(left, 100));
        });
      }
    },
  };
  return first.then(() => {
    if (failed) throw new Error(`subscription failed: ${JSON.stringify(failed)}`);
    return w;
  });
}

const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied } }`;
const BULK = `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount } }`;

/** The reads that GetCount makes; none may happen while a counter converges by itself. */
const getCountCalls = async (): Promise<number> => metric(s.url, 'counter_store_calls_total', { op: 'convergedCacheGet' });

async function add(name: string, delta: bigint, offsetMs: number): Promise<number> {
  const input = {
    namespace: NS,
    name,
    delta: delta.toString(),
    idempotencyToken: { token: randomUUID(), generationTime: new Date(Date.now() + offsetMs).toISOString() },
  };
  const r = await s.gql<{ addCount: { applied: boolean } }>(ADD, { input });
  if (r.errors || !r.data!.addCount.applied) throw new Error(JSON.stringify(r));
  return performance.now();
}

const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

describe('EVENTUAL counters converge by themselves', () => {
  it('a burst from concurrent clients: the exact total arrives shortly after the last ack', async () => {
    const lags: number[] = [];
    for (let run = 0; run < 8; run++) {
      const name = `burst-${run}-${randomUUID().slice(0, 8)}`;
      const w = await watch(name);
      expect(w.values[0]!.count).toBe('0');
      const readsBefore = await getCountCalls();
      let total = 0n;
      let lastAck = 0;
      await Promise.all(
        [0, 1, 2].map(async (client) => {
          for (let i = 0; i < 15; i++) {
            // Deltas of both signs, some beyond 2^53; generation times around now.
            const delta = i === 7 && client === 1 ? 9007199254740993n : BigInt(((i * 7 + client * 3) % 19) - 6);
            total += delta;
            lastAck = Math.max(lastAck, await add(name, delta, ((i * 131 + client * 17) % 2000) - 1000));
          }
        }),
      );
      const at = await w.reaches(total.toString());
      lags.push(Math.max(0, at - lastAck));
      expect(await getCountCalls()).toBe(readsBefore);
      // And it stays there: nothing else arrives that differs from the total.
      await new Promise((r) => setTimeout(r, 150));
      expect(w.values[w.values.length - 1]!.count).toBe(total.toString());
      w.stop();
    }
    const p50 = pct(lags, 50);
    const max = Math.max(...lags);
    console.log(`EVENTUAL convergence lag after the last ack, ${lags.length} runs: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (${lags.map((l) => l.toFixed(0)).join(', ')})`);
    expect(max).toBeLessThan(BOUND_MS);
  });

  it('a quiet counter: one write, never read, converges', async () => {
    const lags: number[] = [];
    for (let run = 0; run < 5; run++) {
      const name = `quiet-${run}-${randomUUID().slice(0, 8)}`;
      const w = await watch(name);
      const readsBefore = await getCountCalls();
      // Generated a while ago (but inside the accept limit): it lands in an older window.
      const acked = await add(name, 42n, -4000);
      lags.push((await w.reaches('42')) - acked);
      expect(await getCountCalls()).toBe(readsBefore);
      w.stop();
    }
    console.log(`quiet counter lag: p50 ${pct(lags, 50).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms`);
    expect(Math.max(...lags)).toBeLessThan(BOUND_MS);
  });

  it('many counters written in one bulk request all converge, none read', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `bulk-${i}-${randomUUID().slice(0, 8)}`);
    const watches = await Promise.all(names.map(watch));
    const readsBefore = await getCountCalls();
    const inputs = names.flatMap((name, i) => [
      { namespace: NS, name, delta: String(i + 1) },
      { namespace: NS, name, delta: '-1', idempotencyToken: { token: randomUUID(), generationTime: new Date(Date.now() - 2000).toISOString() } },
    ]);
    const r = await s.gql<{ addCounts: { acceptedCount: number } }>(BULK, { inputs });
    expect(r.data?.addCounts.acceptedCount).toBe(inputs.length);
    const acked = performance.now();
    const arrivals = await Promise.all(watches.map((w, i) => w.reaches(String(i))));
    const max = Math.max(...arrivals.map((a) => a - acked));
    console.log(`bulk of ${names.length} counters: all converged within ${max.toFixed(1)} ms of the ack`);
    expect(max).toBeLessThan(BOUND_MS);
    expect(await getCountCalls()).toBe(readsBefore);
    for (const w of watches) w.stop();
  });

  it('a clear converges too, as of its generation time', async () => {
    const name = `clear-${randomUUID().slice(0, 8)}`;
    const w = await watch(name);
    const readsBefore = await getCountCalls();
    await add(name, 10n, -3000);
    await add(name, 5n, -1000);
    const r = await s.gql(`mutation ($input: ClearCountInput!) { clearCount(input: $input) { count } }`, {
      input: { namespace: NS, name, idempotencyToken: { token: randomUUID(), generationTime: new Date(Date.now() - 2000).toISOString() } },
    });
    expect(r.errors).toBeUndefined();
    const acked = await add(name, 2n, 0);
    const at = await w.reaches('7');
    expect(at - acked).toBeLessThan(BOUND_MS);
    // clearCount answers with the exact count, which is a read of the store, but not a GetCount.
    expect(await getCountCalls()).toBe(readsBefore);
    await waitFor(() => w.values[w.values.length - 1]!.count === '7', 1000);
    w.stop();
  });
});
