import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { killAll, spawnServiceProcess, type Proc } from './helpers/process';
import { gqlAt, metric, tempDir, waitFor } from './helpers/server';

/**
 * The built service as a real process: every acknowledged write survives SIGKILL, counters
 * that nobody reads again converge after the restart (the durable pending record, not the
 * lost in-memory queues), and SIGTERM finishes in-flight requests and exits 0.
 */

const ACCEPT_LIMIT_MS = 500;
const SKEW_MARGIN_MS = 200;

/** The service as a process with this test's roll-up timings (short, so convergence shows fast). */
const spawnService = (dataDir: string, env: Record<string, string> = {}): Promise<Proc> =>
  spawnServiceProcess({ COUNTER_DATA_DIR: dataDir, ROLLUP_SKEW_MARGIN_MS: String(SKEW_MARGIN_MS), ROLLUP_SWEEP_INTERVAL_MS: '100', ...env });

const running: Proc[] = [];
afterAll(() => killAll(running));


const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied } }`;
const BULK = `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount items { applied error { code } } } }`;

async function createNs(url: string, name: string, mode: string, acceptLimitMs = ACCEPT_LIMIT_MS): Promise<void> {
  const r = await gqlAt(url, `mutation ($i: NamespaceInput!) { createNamespace(input: $i) { name } }`, {
    i: { name, mode, acceptLimitMs },
  });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
}

/** Per counter: the sum of acknowledged deltas and of deltas whose fate is unknown. */
class Ledger {
  readonly acked = new Map<string, bigint>();
  readonly unsure = new Map<string, bigint>();
  ackedWrites = 0;
  private bump(m: Map<string, bigint>, k: string, d: bigint): void {
    m.set(k, (m.get(k) ?? 0n) + d);
  }
  send(k: string, d: bigint): void {
    this.bump(this.unsure, k, d);
  }
  ack(k: string, d: bigint): void {
    this.bump(this.unsure, k, -d);
    this.bump(this.acked, k, d);
    this.ackedWrites++;
  }
}

describe('SIGKILL mid-stream, restart on the same data', () => {
  it('keeps every acknowledged write, and un-read counters converge after the restart', async () => {
    const dataDir = tempDir('counters-crash-');
    const first = await spawnService(dataDir);
    running.push(first);
    await createNs(first.url, 'crash-ev', 'EVENTUAL');
    await createNs(first.url, 'crash-acc', 'ACCURATE');
    const counters = ['crash-ev', 'crash-acc'].flatMap((ns) => [0, 1, 2, 3].map((i) => ({ ns, name: `c${i}` })));
    const key = (c: { ns: string; name: string }): string => `${c.ns}/${c.name}`;
    const ledger = new Ledger();
    let stop = false;

    const single = async (loop: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const c = counters[(loop * 7 + i) % counters.length]!;
        const delta = BigInt(1 + ((loop + i) % 9));
        ledger.send(key(c), delta);
        const input = { namespace: c.ns, name: c.name, delta: delta.toString(), idempotencyToken: { token: randomUUID(), generationTime: new Date().toISOString() } };
        let r;
        try {
          r = await gqlAt<{ addCount: { applied: boolean } }>(first.url, ADD, { input });
        } catch {
          return; // the process is gone: this write's fate is unknown
        }
        if (r.errors || !r.data!.addCount.applied) throw new Error(`write refused: ${JSON.stringify(r)}`);
        ledger.ack(key(c), delta);
      }
    };
    const bulk = async (loop: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const items = Array.from({ length: 10 }, (_, j) => {
          const c = counters[(loop + i + j) % counters.length]!;
          return { c, delta: BigInt(1 + j) };
        });
        for (const it of items) ledger.send(key(it.c), it.delta);
        const generationTime = new Date().toISOString();
        const inputs = items.map((it) => ({
          namespace: it.c.ns,
          name: it.c.name,
          delta: it.delta.toString(),
          idempotencyToken: { token: randomUUID(), generationTime },
        }));
        let r;
        try {
          r = await gqlAt<{ addCounts: { acceptedCount: number; items: { applied: boolean }[] } }>(first.url, BULK, { inputs });
        } catch {
          return;
        }
        if (r.errors || r.data!.addCounts.acceptedCount !== 10 || !r.data!.addCounts.items.every((x) => x.applied)) {
          throw new Error(`bulk write refused: ${JSON.stringify(r)}`);
        }
        for (const it of items) ledger.ack(key(it.c), it.delta);
      }
    };

    const loops = [single(0), single(1), single(2), single(3), bulk(0), bulk(1)];
    await waitFor(() => ledger.ackedWrites >= 300, 20_000, 5);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    stop = true;
    expect((await first.exited).signal).toBe('SIGKILL');
    await Promise.all(loops);
    expect(ledger.ackedWrites).toBeGreaterThanOrEqual(300);

    // Restart. ROLLUP_COALESCE_MS is long so that the roll-up a read triggers cannot run
    // before we look at the metrics right after the read.
    const second = await spawnService(dataDir, { ROLLUP_COALESCE_MS: '1500' });
    running.push(second);
    // No read of any counter yet: the sweeper alone must find the counters the crash left
    // un-rolled and checkpoint them once their window is immutable.
    await waitFor(async () => (await metric(second.url, 'rollup_checkpoint_writes_total')) >= counters.length, 20_000, 100);
    expect(await metric(second.url, 'rollup_checkpoint_writes_total')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2 * (ACCEPT_LIMIT_MS + SKEW_MARGIN_MS) + 1500));
    expect(await metric(second.url, 'counter_store_calls_total', { op: 'convergedCacheGet' })).toBe(0);

    // The EVENTUAL counters' first read: the roll-up converged them by itself (their
    // checkpoints, above). The embedded store without Redis caches converged values only of
    // counters someone reads (RollupDeps.rollUnread), so this read is a cache miss: one
    // batched store read for all of them, of checkpoints that hold every write.
    const snapsBefore = await metric(second.url, 'counter_store_calls_total', { op: 'readSnapshots' });
    const ev = counters.filter((c) => c.ns === 'crash-ev');
    const firstRead = await gqlAt<{ counters: { count: string }[] }>(
      second.url,
      `query ($n: [String!]!) { counters(namespace: "crash-ev", names: $n) { count } }`,
      { n: ev.map((c) => c.name) },
    );
    expect(firstRead.errors).toBeUndefined();
    expect((await metric(second.url, 'counter_store_calls_total', { op: 'readSnapshots' })) - snapsBefore).toBe(1);

    const report: string[] = [];
    for (const [i, c] of ev.entries()) {
      const got = BigInt(firstRead.data!.counters[i]!.count);
      const acked = ledger.acked.get(key(c)) ?? 0n;
      const unsure = ledger.unsure.get(key(c)) ?? 0n;
      report.push(`${key(c)} count=${got} acked=${acked} unsure=${unsure}`);
      expect(got).toBeGreaterThanOrEqual(acked);
      expect(got).toBeLessThanOrEqual(acked + unsure);
    }
    for (const c of counters) {
      const r = await gqlAt<{ addAndGetCount: { count: string } }>(
        second.url,
        `mutation ($i: AddCountInput!) { addAndGetCount(input: $i) { count } }`,
        { i: { namespace: c.ns, name: c.name, delta: '0' } },
      );
      expect(r.errors).toBeUndefined();
      const got = BigInt(r.data!.addAndGetCount.count);
      const acked = ledger.acked.get(key(c)) ?? 0n;
      const unsure = ledger.unsure.get(key(c)) ?? 0n;
      if (c.ns === 'crash-acc') report.push(`${key(c)} count=${got} acked=${acked} unsure=${unsure}`);
      expect(got).toBeGreaterThanOrEqual(acked);
      expect(got).toBeLessThanOrEqual(acked + unsure);
      if (c.ns === 'crash-ev') expect(got.toString()).toBe(firstRead.data!.counters[ev.indexOf(c)]!.count);
    }
    console.log(`crash test: ${ledger.ackedWrites} acknowledged writes before SIGKILL\n  ${report.join('\n  ')}`);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});

describe('SIGTERM', () => {
  /**
   * Starts a POST whose headers and first half of the body are sent now; `finish()` sends
   * the rest. Once the server has read the headers the request is in flight for certain.
   */
  function halfSent(port: number, body: string) {
    const half = Math.floor(body.length / 2);
    let req!: http.ClientRequest;
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
    });
    return { response, finish: () => req.end(body.slice(half)) };
  }

  it('finishes the requests in flight, refuses new connections, and exits 0', async () => {
    const dataDir = tempDir('counters-term-');
    const p = await spawnService(dataDir);
    running.push(p);
    await createNs(p.url, 'term', 'ACCURATE', 5000);
    const port = Number(new URL(p.url).port);

    // 30 requests in flight on their own connections: single adds and a bulk add.
    const single = (name: string, delta: number) =>
      JSON.stringify({ query: ADD, variables: { input: { namespace: 'term', name, delta: String(delta), idempotencyToken: { token: randomUUID(), generationTime: new Date().toISOString() } } } });
    const inflight = Array.from({ length: 29 }, (_, i) => halfSent(port, single(`c${i % 3}`, i + 1)));
    const bulkBody = JSON.stringify({
      query: BULK,
      variables: { inputs: Array.from({ length: 50 }, () => ({ namespace: 'term', name: 'bulk', delta: '2' })) },
    });
    inflight.push(halfSent(port, bulkBody));
    await new Promise((r) => setTimeout(r, 300)); // the server has read every request's headers

    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300)); // the signal has been handled by now
    // New connections are refused (a fresh one: fetch would reuse a pooled keep-alive socket).
    const fresh = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(fresh).toBe('ECONNREFUSED');

    for (const f of inflight) f.finish();
    const results = await Promise.all(inflight.map((f) => f.response));
    for (const [i, r] of results.entries()) {
      expect({ i, status: r.status }).toEqual({ i, status: 200 });
      const body = JSON.parse(r.text) as { data?: { addCount?: { applied: boolean }; addCounts?: { acceptedCount: number } }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      if (i < 29) expect(body.data!.addCount!.applied).toBe(true);
      else expect(body.data!.addCounts!.acceptedCount).toBe(50);
    }
    expect(await p.exited).toEqual({ code: 0, signal: null });

    // Everything acknowledged is there after a restart.
    const again = await spawnService(dataDir);
    running.push(again);
    const want: Record<string, number> = { c0: 0, c1: 0, c2: 0 };
    for (let i = 0; i < 29; i++) want[`c${i % 3}`]! += i + 1;
    const counts = await gqlAt<{ counters: { name: string; count: string }[] }>(
      again.url,
      `{ counters(namespace: "term", names: ["c0", "c1", "c2", "bulk"]) { name count } }`,
    );
    expect(counts.data!.counters).toEqual([
      { name: 'c0', count: String(want.c0) },
      { name: 'c1', count: String(want.c1) },
      { name: 'c2', count: String(want.c2) },
      { name: 'bulk', count: '100' },
    ]);

    // With idle keep-alive connections open, SIGTERM still exits promptly (not after
    // SHUTDOWN_TIMEOUT_MS, 10 s by default).
    for (let i = 0; i < 5; i++) await gqlAt(again.url, `{ namespaces { name } }`);
    const t = performance.now();
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    expect(performance.now() - t).toBeLessThan(5000);
  }, 60_000);
});
