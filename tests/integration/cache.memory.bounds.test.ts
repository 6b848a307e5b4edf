import { createNamespace, metric, startServer, type TestServer } from './helpers/server';

/**
 * The in-memory BEST_EFFORT cache (no REDIS_URL) is bounded: a client writing ever new
 * counter names cannot grow the process without limit. Past BEST_EFFORT_MAX_COUNTERS the
 * least recently used counters are dropped (they restart from 0, as expired ones do), and
 * /metrics shows it.
 */

const MAX = 500;
let s: TestServer;
beforeAll(async () => {
  s = await startServer({ BEST_EFFORT_MAX_COUNTERS: MAX, BEST_EFFORT_MAX_IDEMPOTENCY_KEYS: MAX });
  await createNamespace(s, 'be', 'BEST_EFFORT');
});
afterAll(() => s.stop());

async function addMany(from: number, to: number, withTokens: boolean): Promise<void> {
  const inputs = [];
  for (let i = from; i < to; i++) {
    inputs.push({
      namespace: 'be',
      name: `c${i}`,
      delta: '7',
      ...(withTokens ? { idempotencyToken: { token: `t${i}`, generationTime: new Date().toISOString() } } : {}),
    });
  }
  const r = await s.gql<{ addCounts: { acceptedCount: number } }>(`mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount } }`, { inputs });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  expect(r.data!.addCounts.acceptedCount).toBe(to - from);
}

const counts = async (names: string[]): Promise<string[]> => {
  const r = await s.gql<{ counters: { count: string }[] }>(`query ($n: [String!]!) { counters(namespace: "be", names: $n) { count } }`, { n: names });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data!.counters.map((c) => c.count);
};

it('evicts the least recently used counters and idempotency records past the bound, and says so in /metrics', async () => {
  const N = 4 * MAX;
  for (let i = 0; i < N; i += 250) await addMany(i, i + 250, true);
  expect(await metric(s.url, 'best_effort_cache_entries', { kind: 'counters' })).toBe(MAX);
  expect(await metric(s.url, 'best_effort_cache_entries', { kind: 'idempotency' })).toBe(MAX);
  expect(await metric(s.url, 'best_effort_cache_evictions_total', { kind: 'counters' })).toBe(N - MAX);
  expect(await metric(s.url, 'best_effort_cache_evictions_total', { kind: 'idempotency' })).toBe(N - MAX);
  // The newest are kept; the oldest were dropped and restart from 0.
  expect(await counts([`c${N - 1}`, `c${N - MAX}`])).toEqual(['7', '7']);
  expect(await counts(['c0', `c${N - MAX - 1}`])).toEqual(['0', '0']);
  await addMany(0, 1, false);
  expect(await counts(['c0'])).toEqual(['7']);
  expect(await metric(s.url, 'best_effort_cache_entries', { kind: 'counters' })).toBe(MAX);
});
