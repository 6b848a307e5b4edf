import type { CounterUpdate, PubSub } from '../../../src/pubsub/types';

/**
 * The rules every PubSub follows. `create` returns two instances: for a shared backend
 * (Redis) two independent "processes" on the same bus; for memory, the same instance twice.
 */
export interface PubSubPair {
  a: PubSub;
  b: PubSub;
  close(): Promise<void>;
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(5);
  }
}

let seq = 0;

export function pubsubConformance(name: string, create: () => Promise<PubSubPair>, settleMs = 0) {
  describe(`${name}: PubSub`, () => {
    let p: PubSubPair;
    beforeAll(async () => {
      p = await create();
    });
    afterAll(() => p.close());

    const ref = () => ({ namespace: 'ns', name: `c${seq++}` });

    it('delivers a publish to local listeners at once, with the exact 64-bit value', async () => {
      const r = ref();
      const got: CounterUpdate[] = [];
      const off = p.a.subscribe(r, (u) => got.push(u));
      p.a.publish({ ...r, count: 9223372036854775807n, asOfMs: 1 });
      expect(got).toEqual([{ ...r, count: 9223372036854775807n, asOfMs: 1 }]);
      off();
    });

    it('delivers publishes of the other instance, in order, only for the subscribed counter', async () => {
      const r = ref();
      const other = ref();
      const got: bigint[] = [];
      const off = p.a.subscribe(r, (u) => got.push(u.count));
      await tick(settleMs);
      p.b.publish({ ...other, count: 100n, asOfMs: 1 });
      for (let i = 1; i <= 5; i++) p.b.publish({ ...r, count: BigInt(i) - 9007199254740993n, asOfMs: 1 });
      await until(() => got.length >= 5);
      await tick(settleMs);
      expect(got).toEqual([1n, 2n, 3n, 4n, 5n].map((i) => i - 9007199254740993n));
      off();
    });

    it('fans one counter out to several listeners, with one upstream subscription', async () => {
      const r = ref();
      const g1: bigint[] = [];
      const g2: bigint[] = [];
      const before = p.a.activeCounters();
      const off1 = p.a.subscribe(r, (u) => g1.push(u.count));
      const off2 = p.a.subscribe(r, (u) => g2.push(u.count));
      expect(p.a.activeCounters()).toBe(before + 1);
      await tick(settleMs);
      p.b.publish({ ...r, count: 7n, asOfMs: 1 });
      await until(() => g1.length === 1 && g2.length === 1);
      off1();
      expect(p.a.activeCounters()).toBe(before + 1);
      p.b.publish({ ...r, count: 8n, asOfMs: 1 });
      await until(() => g2.length === 2);
      await tick(settleMs);
      expect(g1).toEqual([7n]);
      expect(g2).toEqual([7n, 8n]);
      off2();
      off2(); // idempotent
      expect(p.a.activeCounters()).toBe(before);
    });

    it('stops delivering after the last listener leaves, and resubscribes cleanly', async () => {
      const r = ref();
      const got: bigint[] = [];
      const off = p.a.subscribe(r, (u) => got.push(u.count));
      off();
      await tick(settleMs);
      p.b.publish({ ...r, count: 1n, asOfMs: 1 });
      await tick(settleMs + 20);
      expect(got).toEqual([]);
      const off2 = p.a.subscribe(r, (u) => got.push(u.count));
      await tick(settleMs);
      p.b.publish({ ...r, count: 2n, asOfMs: 1 });
      await until(() => got.length === 1);
      expect(got).toEqual([2n]);
      off2();
    });

    it('a publish with no listener anywhere is harmless', () => {
      expect(() => p.a.publish({ ...ref(), count: 1n, asOfMs: 1 })).not.toThrow();
    });
  });
}
