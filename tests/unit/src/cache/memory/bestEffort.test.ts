import { MemoryBestEffortCache, type BestEffortEntryKind } from '../../../../../src/cache/memory/bestEffort';

const ref = (name: string) => ({ namespace: 'be', name });
const nowUs = () => Date.now() * 1000;
const add = (c: MemoryBestEffortCache, name: string, delta = 1n, extra: { ttlSeconds?: number | null; dedupe?: string } = {}) =>
  c.add({
    ref: ref(name),
    delta,
    timeUs: nowUs(),
    ttlSeconds: extra.ttlSeconds ?? null,
    dedupe: extra.dedupe ? { key: extra.dedupe, ttlMs: 60_000 } : null,
  });

const caches: MemoryBestEffortCache[] = [];
function cache(opts: ConstructorParameters<typeof MemoryBestEffortCache>[0] = {}) {
  const evictions: BestEffortEntryKind[] = [];
  const c = new MemoryBestEffortCache({ onEvict: (k) => evictions.push(k), ...opts });
  caches.push(c);
  return { c, evictions };
}
afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
});

describe('MemoryBestEffortCache bounds', () => {
  it('holds at most maxCounters counters: the least recently used is dropped and restarts from 0', async () => {
    const { c, evictions } = cache({ maxCounters: 3 });
    for (const n of ['a', 'b', 'c']) await add(c, n, 5n);
    await c.get([ref('a')]); // a read counts as use: b is now the least recently used
    await add(c, 'd', 5n);
    expect(c.sizes().counters).toBe(3);
    expect(evictions).toEqual(['counters']);
    expect(await c.get([ref('a'), ref('b'), ref('c'), ref('d')])).toEqual([5n, 0n, 5n, 5n]);
    expect((await add(c, 'b', 1n)).count).toBe(1n);
  });

  it('holds at most maxIdempotencyKeys dedupe records', async () => {
    const { c, evictions } = cache({ maxIdempotencyKeys: 2 });
    await add(c, 'x', 1n, { dedupe: 't1' });
    await add(c, 'x', 1n, { dedupe: 't2' });
    expect((await add(c, 'x', 1n, { dedupe: 't1' })).outcome).toBe('duplicate');
    await add(c, 'x', 1n, { dedupe: 't3' }); // drops t2, the least recently used
    expect(c.sizes().idempotency).toBe(2);
    expect(evictions).toEqual(['idempotency']);
    expect((await add(c, 'x', 1n, { dedupe: 't1' })).outcome).toBe('duplicate');
    expect((await add(c, 'x', 1n, { dedupe: 't2' })).outcome).toBe('applied');
  });

  it('bounds clear watermarks like counters', async () => {
    const { c, evictions } = cache({ maxCounters: 2 });
    for (const n of ['a', 'b', 'c']) await c.clear({ ref: ref(n), clearUs: nowUs(), watermarkTtlMs: 60_000, dedupe: null });
    expect(c.sizes().watermarks).toBe(2);
    expect(evictions).toEqual(['watermarks']);
  });

  it('counts no eviction for clears, expiries or replacements', async () => {
    const { c, evictions } = cache({ maxCounters: 2 });
    await add(c, 'a');
    await add(c, 'a');
    await c.clear({ ref: ref('a'), clearUs: nowUs(), watermarkTtlMs: 60_000, dedupe: null });
    await add(c, 'e', 1n, { ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await c.get([ref('e')])).toEqual([0n]);
    expect(evictions).toEqual([]);
  });

  it('still honours the TTL: a counter idle past it reads 0; adds refresh it, reads do not', async () => {
    const { c } = cache();
    await add(c, 'a', 3n, { ttlSeconds: 1 });
    await add(c, 'b', 3n, { ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 600));
    await add(c, 'a', 1n, { ttlSeconds: 1 });
    await c.get([ref('b')]);
    await new Promise((r) => setTimeout(r, 600));
    expect(await c.get([ref('a'), ref('b')])).toEqual([4n, 0n]);
  });

  it('drops expired entries in its sweep (memory is returned without reads)', async () => {
    const { c } = cache({ sweepMs: 50 });
    for (let i = 0; i < 100; i++) await add(c, `n${i}`, 1n, { ttlSeconds: 1, dedupe: `t${i}` });
    expect(c.sizes()).toMatchObject({ counters: 100, idempotency: 100 });
    await new Promise((r) => setTimeout(r, 1200));
    expect(c.sizes().counters).toBe(0);
  });
});
