import { createNamespace, metric, startServer, type TestServer } from './helpers/server';

/**
 * addCounts: many increments in one request become one durable append, and the overflow
 * check of counters this instance has never seen is one batched read, not one per item.
 */
describe.each(['EVENTUAL', 'ACCURATE'] as const)('addCounts in %s mode', (mode) => {
  let s: TestServer;
  const ns = `bulk_${mode.toLowerCase()}`;
  beforeAll(async () => {
    // A long coalesce window keeps the roll-up sidecar from reading during the measurements,
    // so every store call counted below is the request's own.
    s = await startServer({ ROLLUP_SWEEP_INTERVAL_MS: 60_000, ROLLUP_COALESCE_MS: 30_000 });
    await createNamespace(s, ns, mode);
  });
  afterAll(() => s.stop());

  it('writes 200 items over 100 new counters with one append and at most one snapshot read', async () => {
    const inputs = Array.from({ length: 200 }, (_, i) => ({ namespace: ns, name: `c${i % 100}`, delta: String(i + 1) }));
    const readsBefore = await metric(s.url, 'counter_store_calls_total', { op: 'readSnapshots' });
    const appendsBefore = await metric(s.url, 'counter_store_calls_total', { op: 'append' });
    const r = await s.gql<{ addCounts: { acceptedCount: number; rejectedCount: number; items: { index: number; applied: boolean }[] } }>(
      `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount rejectedCount items { index applied } } }`,
      { inputs },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.addCounts.acceptedCount).toBe(200);
    expect(r.data!.addCounts.items.map((it) => it.index)).toEqual(inputs.map((_, i) => i));
    expect(await metric(s.url, 'counter_store_calls_total', { op: 'append' })).toBe(appendsBefore + 1);
    // The overflow check of 100 counters this instance never saw: no read on the embedded
    // store (its bound on every count admits small adds), one batched read elsewhere.
    expect((await metric(s.url, 'counter_store_calls_total', { op: 'readSnapshots' })) - readsBefore).toBe(process.env.COUNTER_STORE === 'cassandra' ? 1 : 0);

    const q = await s.gql<{ counters: { name: string; count: string }[] }>(
      `query ($names: [String!]!) { counters(namespace: "${ns}", names: $names) { name count } }`,
      { names: ['c0', 'c99'] },
    );
    // c0 got items 0 and 100 (deltas 1 and 101); c99 got 99 and 199 (100 and 200).
    if (mode === 'ACCURATE') expect(q.data!.counters.map((c) => c.count)).toEqual(['102', '300']);
  });

  it('refuses only the items that would overflow, in one request', async () => {
    const max = '9223372036854775807';
    const r = await s.gql<{ addCounts: { acceptedCount: number; items: { error: { code: string } | null }[] } }>(
      `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount items { error { code } } } }`,
      {
        inputs: [
          { namespace: ns, name: 'edge', delta: max },
          { namespace: ns, name: 'edge', delta: '1' },
          { namespace: ns, name: 'other', delta: '1' },
          { namespace: 'no_such_ns', name: 'x', delta: '1' },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.addCounts.items.map((it) => it.error?.code ?? null)).toEqual([null, 'COUNT_OVERFLOW', null, 'NAMESPACE_NOT_FOUND']);
    expect(r.data!.addCounts.acceptedCount).toBe(2);
  });
});

describe('addCounts when the event store fails', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'bulk_be', 'BEST_EFFORT');
    await createNamespace(s, 'bulk_ev', 'EVENTUAL');
  });
  afterAll(() => s.stop());

  it('refuses the durable items with UNAVAILABLE and still reports the best-effort ones it applied', async () => {
    // A real failure of the embedded store: its database is closed under the running service.
    await s.app.backends.store.close();
    const r = await s.gql<{ addCounts: { acceptedCount: number; items: { applied: boolean; error: { code: string } | null; counter: { count: string } | null }[] } }>(
      `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount items { applied error { code } counter { count } } } }`,
      { inputs: [{ namespace: 'bulk_be', name: 'x', delta: '3' }, { namespace: 'bulk_ev', name: 'y', delta: '4' }] },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.addCounts.acceptedCount).toBe(1);
    expect(r.data!.addCounts.items[0]).toEqual({ applied: true, error: null, counter: { count: '3' } });
    expect(r.data!.addCounts.items[1]!.error!.code).toBe('UNAVAILABLE');
  });
});
