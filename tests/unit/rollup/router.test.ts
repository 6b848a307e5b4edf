import { createRouter } from '../../../rollup/router';
import { counterKey } from '../../../src/model';

const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => counterKey({ namespace: 'views', name: `title:${i}` }));

describe('createRouter', () => {
  it('routes the same key to the same queue, every time and from every router', async () => {
    const a = await createRouter(8);
    const b = await createRouter(8);
    for (const k of keys(200)) {
      const q = a(k);
      expect(a(k)).toBe(q);
      expect(b(k)).toBe(q);
    }
  });

  it.each([1, 2, 3, 8, 1024])('always answers an integer queue index in [0, %i)', async (queues) => {
    const route = await createRouter(queues);
    for (const k of [...keys(2000), '', '\u0000', 'x'.repeat(10_000), 'ünïcödé']) {
      const q = route(k);
      expect(Number.isInteger(q)).toBe(true);
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThan(queues);
    }
  });

  it('with one queue routes everything to it', async () => {
    const route = await createRouter(1);
    expect(new Set(keys(100).map(route))).toEqual(new Set([0]));
  });

  it('spreads keys evenly: every queue within 15% of its share', async () => {
    const queues = 8;
    const route = await createRouter(queues);
    const n = 16_000;
    const load = new Array<number>(queues).fill(0);
    for (const k of keys(n)) load[route(k)]!++;
    for (const l of load) {
      expect(l).toBeGreaterThan((n / queues) * 0.85);
      expect(l).toBeLessThan((n / queues) * 1.15);
    }
  });

  it('is XXHash32 of the key: a known vector', async () => {
    // XXH32("a", seed 0) = 0x550d7456 (the reference implementation's test vector).
    const route = await createRouter(2 ** 32);
    expect(route('a')).toBe(0x550d7456);
    expect(route('')).toBe(0x02cc5d05);
  });

  it('uses the whole key: the same name in two namespaces is routed independently', async () => {
    const route = await createRouter(1024);
    const names = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const a = names.map((name) => route(counterKey({ namespace: 'n1', name })));
    const b = names.map((name) => route(counterKey({ namespace: 'n2', name })));
    expect(a).not.toEqual(b);
  });
});
