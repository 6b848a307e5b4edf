import fs from 'node:fs';
import { EmbeddedStore } from '../../src/store/embedded/embeddedStore';
import { storeConformance } from './conformance/store.conformance';
import { tempDir } from './helpers/server';

const dir = tempDir('store-embedded-');

storeConformance('embedded (SQLite)', {
  open: async () => new EmbeddedStore(dir, 'NORMAL'),
  cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
});

describe('embedded (SQLite): the writer thread', () => {
  const ns = { name: 'writer', mode: 'EVENTUAL' as const, ttlSeconds: null, retentionSeconds: 86_400, acceptLimitMs: 5000 };
  const ref = { namespace: 'writer', name: 'c' };
  let seq = 0;
  const event = (delta: bigint, eventId = `e${seq++}`) => ({ ...ref, timeUs: Date.now() * 1000 + seq, eventId, clear: false, delta });
  const exact = async (store: EmbeddedStore): Promise<bigint> => {
    const [s] = await store.readSnapshots({ refs: [ref], settleUs: 0 });
    return s!.checkpoint.count + s!.settled.sum + s!.tail.sum;
  };

  it('refuses the appends in flight when it dies, starts again for the next ones, and loses nothing committed', async () => {
    const d = tempDir('store-writer-');
    const store = new EmbeddedStore(d, 'FULL');
    try {
      await store.createNamespace(ns);
      const committed = event(5n);
      expect(await store.append([committed])).toEqual([{ applied: true }]);

      // A group large enough (100,000 events, hundreds of ms) to be surely mid-commit when killed.
      const inFlight = store.append(Array.from({ length: 100_000 }, () => event(1n)));
      await new Promise((r) => setTimeout(r, 20));
      await store.killThread('writer');
      await expect(inFlight).rejects.toThrow(/writer thread ended/);

      // A new thread takes the next write; a retry of the committed event is still a duplicate;
      // the killed transaction was rolled back whole.
      expect(await store.append([event(2n), committed])).toEqual([{ applied: true }, { applied: false }]);
      expect(await exact(store)).toBe(7n);
    } finally {
      await store.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('commits concurrent appends as groups and answers each in order', async () => {
    const d = tempDir('store-writer-');
    const store = new EmbeddedStore(d, 'NORMAL');
    try {
      await store.createNamespace(ns);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.append([event(BigInt(i))])));
      expect(results.every((r) => r.length === 1 && r[0]!.applied)).toBe(true);
      expect(await exact(store)).toBe(BigInt((199 * 200) / 2));
    } finally {
      await store.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses writes after close', async () => {
    const d = tempDir('store-writer-');
    const store = new EmbeddedStore(d, 'NORMAL');
    await store.close();
    await expect(store.append([event(1n)])).rejects.toThrow(/closed/);
    fs.rmSync(d, { recursive: true, force: true });
  });
});

describe('embedded (SQLite): the reader thread (background snapshot reads)', () => {
  const ns = { name: 'reader', mode: 'EVENTUAL' as const, ttlSeconds: null, retentionSeconds: 86_400, acceptLimitMs: 5000 };
  let seq = 0;
  const event = (name: string, delta: bigint, clear = false) => ({ namespace: 'reader', name, timeUs: Date.now() * 1000 + seq, eventId: `r${seq++}`, clear, delta });

  it('sees every committed append, exactly as a foreground read does; a death fails one read, the next starts a new thread', async () => {
    const d = tempDir('store-reader-');
    const store = new EmbeddedStore(d, 'NORMAL');
    try {
      await store.createNamespace(ns);
      const refs = ['a', 'b', 'c'].map((name) => ({ namespace: 'reader', name }));
      await store.append([event('a', 3n), event('b', -2n), event('a', 4n)]);
      await store.append([event('b', 0n, true), event('b', 9n)]);
      const settleUs = Date.now() * 1000 - 1_000_000;
      const fore = await store.readSnapshots({ refs, settleUs });
      expect(await store.readSnapshots({ refs, settleUs, background: true })).toEqual(fore);
      expect(fore.map((s) => s.tail.sum)).toEqual([7n, 9n, 0n]);

      await store.killThread('reader');
      const again = await store.readSnapshots({ refs, settleUs, background: true }).catch((err: Error) => err);
      // A read sent before the thread's exit was seen is refused; after it, a new thread answers.
      if (again instanceof Error) expect(again.message).toMatch(/reader thread ended/);
      expect(await store.readSnapshots({ refs, settleUs, background: true })).toEqual(fore);
    } finally {
      await store.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("embedded (SQLite): a namespace's removal in chunks", () => {
  it('never holds the writer for the whole namespace: appends sent during the removal commit before it ends', async () => {
    const d = tempDir('store-remove-');
    const store = new EmbeddedStore(d, 'NORMAL');
    const cfg = (name: string) => ({ name, mode: 'EVENTUAL' as const, ttlSeconds: null, retentionSeconds: 86_400, acceptLimitMs: 5000 });
    try {
      await store.createNamespace(cfg('big'));
      await store.createNamespace(cfg('busy'));
      // On an hour's start: the 30 ms of events share one time bucket (a bucket boundary inside
      // them gave the counters a second row each, and 36,000 rows removed instead of 33,000).
      let t = Math.floor(Date.now() / 3600e3 - 1) * 3600e6;
      // 30,000 events over 3,000 counters: fifteen and more chunks.
      for (let i = 0; i < 30_000; i += 10_000) {
        await store.append(Array.from({ length: 10_000 }, (_, j) => ({ namespace: 'big', name: `c${(i + j) % 3000}`, timeUs: t++, eventId: `e${i + j}`, clear: false, delta: 1n })));
      }
      expect(await store.markNamespaceDeleted('big', Date.now())).toBe(true);
      const order: string[] = [];
      const removal = store.removeNamespaceData('big').then((r) => (order.push('removal'), r));
      await new Promise((r) => setImmediate(r));
      const append = store.append([{ namespace: 'busy', name: 'x', timeUs: Date.now() * 1000, eventId: 'b1', clear: false, delta: 1n }]).then(() => order.push('append'));
      await Promise.all([removal, append]);
      expect(order).toEqual(['append', 'removal']);
      expect((await removal).removed).toBe(33_000);
      const [s] = await store.readSnapshots({ refs: [{ namespace: 'big', name: 'c1' }], settleUs: 0 });
      expect(s!.checkpoint.lastWriteUs).toBe(0);
      expect(s!.tail.sum).toBe(0n);
    } finally {
      await store.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
