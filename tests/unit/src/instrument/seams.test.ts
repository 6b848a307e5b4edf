import type {
  BestEffortAdd,
  BestEffortAddResult,
  BestEffortCache,
  BestEffortClear,
  BestEffortClearResult,
  ConvergedCache,
} from '../../../../src/cache/types';
import { CounterError } from '../../../../src/errors';
import { instrumentBestEffort, instrumentConverged, instrumentStore, type Instrumentation } from '../../../../src/instrument/seams';
import { asMetrics, fakeLog, fakeMetrics, MemoryStore, nsConfig } from '../../fakes';

const ref = (name: string) => ({ namespace: 'ev', name });
const ev = nsConfig('ev', 'EVENTUAL');
const event = (name: string) => ({ namespace: 'ev', name, timeUs: 1, eventId: name, clear: false, delta: 1n });

function setup() {
  const metrics = fakeMetrics();
  const log = fakeLog();
  const ins: Instrumentation = { metrics: asMetrics(metrics), log };
  return { metrics, log, ins };
}

/** [op, calls, counters] per op, from the two counters. */
const byOp = (m: ReturnType<typeof fakeMetrics>) => {
  const ops = [...new Set(m.storeCalls.calls.map((c) => c.labels.op!))];
  return ops.map((op) => [op, m.storeCalls.total({ op }), m.storeCounters.total({ op })]);
};

describe('instrumentStore', () => {
  it('counts each event and checkpoint call by op, with the counters it covers', async () => {
    const { metrics, ins } = setup();
    const s = instrumentStore(new MemoryStore(), ins);
    await s.append([event('a'), event('b'), event('c')]);
    await s.readSnapshots({ refs: [ref('a'), ref('b')], settleUs: 0 });
    await s.readSnapshots({ refs: [ref('a')], settleUs: 0 });
    await s.writeCheckpoints([{ ref: ref('a'), count: 1n, checkpointUs: 5 }]);
    await s.listPending({ namespace: 'ev', upToUs: 10, limit: 5 });
    await s.purge({ namespace: ev, beforeUs: 0 });
    expect(byOp(metrics)).toEqual([
      ['append', 1, 3],
      ['readSnapshots', 2, 3],
      ['writeCheckpoints', 1, 1],
      ['listPending', 1, 1],
      ['purge', 1, 1],
    ]);
  });

  it("returns the store's answers unchanged", async () => {
    const { ins } = setup();
    const inner = new MemoryStore();
    const s = instrumentStore(inner, ins);
    expect(await s.append([event('a'), event('a')])).toEqual([{ applied: true }, { applied: false }]);
    const [snap] = await s.readSnapshots({ refs: [ref('a')], settleUs: 0 });
    expect(snap!.tail).toEqual({ clearUs: null, sum: 1n, events: 1 });
    expect(await s.listPending({ namespace: 'ev', upToUs: 10, limit: 5 })).toEqual([ref('a')]);
  });

  it('passes namespace, ping and close calls through uncounted, and keeps kind and exclusiveWriter', async () => {
    const { metrics, ins } = setup();
    const inner = new MemoryStore(true);
    const s = instrumentStore(inner, ins);
    expect([s.kind, s.exclusiveWriter]).toEqual(['fake', true]);
    expect(await s.createNamespace(ev)).toEqual(ev);
    expect(await s.getNamespace('ev')).toEqual(ev);
    expect(await s.listNamespaces()).toEqual([ev]);
    await s.ping();
    await s.close();
    expect(metrics.storeCalls.calls).toEqual([]);
  });

  it('does not wrap failures of the pass-through calls', async () => {
    const { log, ins } = setup();
    const inner = new MemoryStore();
    const err = new Error('unreachable');
    jest.spyOn(inner, 'ping').mockRejectedValue(err);
    jest.spyOn(inner, 'getNamespace').mockRejectedValue(err);
    const s = instrumentStore(inner, ins);
    await expect(s.ping()).rejects.toBe(err);
    await expect(s.getNamespace('x')).rejects.toBe(err);
    expect(log.error).not.toHaveBeenCalled();
  });

  it('turns a backend failure into UNAVAILABLE carrying the cause, and logs it once with its op', async () => {
    const { log, ins, metrics } = setup();
    const inner = new MemoryStore();
    const cause = new Error('connection reset');
    inner.failAppend = cause;
    const s = instrumentStore(inner, ins);
    const err = (await s.append([event('a')]).catch((e: unknown) => e)) as CounterError;
    expect(err).toBeInstanceOf(CounterError);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).not.toContain('connection reset'); // the driver's message is logged, not answered
    expect((err as { cause?: unknown }).cause).toBe(cause);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.error).toHaveBeenCalledWith({ err: cause, op: 'append' }, 'backing store call failed');
    expect(metrics.storeCalls.total({ op: 'append' })).toBe(1); // counted, failed or not
  });

  it('turns a synchronous throw and a non-Error rejection into UNAVAILABLE as well', async () => {
    const { ins } = setup();
    const inner = new MemoryStore();
    jest.spyOn(inner, 'writeCheckpoints').mockImplementation(() => {
      throw new Error('sync');
    });
    jest.spyOn(inner, 'purge').mockRejectedValue('just a string');
    const s = instrumentStore(inner, ins);
    await expect(s.writeCheckpoints([])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const err = (await s.purge({ namespace: ev, beforeUs: 0 }).catch((e: unknown) => e)) as CounterError;
    expect(err.code).toBe('UNAVAILABLE');
    expect((err as { cause?: unknown }).cause).toBe('just a string');
  });

  it("lets the contract's own refusals through unchanged and unlogged", async () => {
    const { log, ins } = setup();
    const inner = new MemoryStore();
    const refusal = new CounterError('COUNT_OVERFLOW', 'too big');
    inner.failRead = refusal;
    const s = instrumentStore(inner, ins);
    await expect(s.readSnapshots({ refs: [ref('a')], settleUs: 0 })).rejects.toBe(refusal);
    expect(log.error).not.toHaveBeenCalled();
  });
});

describe('instrumentBestEffort', () => {
  function inner(): jest.Mocked<BestEffortCache> {
    return {
      add: jest.fn(async (_op: BestEffortAdd): Promise<BestEffortAddResult> => ({ count: 3n, outcome: 'applied' })),
      get: jest.fn(async (refs) => refs.map(() => 1n)),
      clear: jest.fn(async (_op: BestEffortClear): Promise<BestEffortClearResult> => ({ count: 0n, outcome: 'applied' })),
      clearNamespace: jest.fn(async (_namespace: string) => 0),
      close: jest.fn(async () => {}),
    };
  }
  const addOp = { ref: ref('a'), delta: 1n, timeUs: 1, ttlSeconds: null, dedupe: null };

  it('counts add, get and clear by op with the counters they cover; close is not counted', async () => {
    const { metrics, ins } = setup();
    const c = instrumentBestEffort(inner(), ins);
    expect(await c.add(addOp)).toEqual({ count: 3n, outcome: 'applied' });
    expect(await c.get([ref('a'), ref('b'), ref('c')])).toEqual([1n, 1n, 1n]);
    await c.clear({ ref: ref('a'), clearUs: 1, watermarkTtlMs: 1, dedupe: null });
    await c.close();
    expect(byOp(metrics)).toEqual([
      ['cacheAdd', 1, 1],
      ['cacheGet', 1, 3],
      ['cacheClear', 1, 1],
    ]);
  });

  it('passes COUNT_OVERFLOW through and turns a cache failure into UNAVAILABLE', async () => {
    const { ins, log } = setup();
    const raw = inner();
    const refusal = new CounterError('COUNT_OVERFLOW', 'too big');
    raw.add.mockRejectedValueOnce(refusal);
    raw.get.mockRejectedValueOnce(new Error('ECONNREFUSED'));
    const c = instrumentBestEffort(raw, ins);
    await expect(c.add(addOp)).rejects.toBe(refusal);
    await expect(c.get([ref('a')])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(log.error.mock.calls.map(([o]) => (o as { op: string }).op)).toEqual(['cacheGet']);
  });
});

describe('instrumentConverged', () => {
  function inner(): jest.Mocked<ConvergedCache> {
    return {
      get: jest.fn(async (refs) => refs.map(() => undefined)),
      setMany: jest.fn(async (u) => ({ changed: u.entries.map(() => true) })),
      clearNamespace: jest.fn(async (_namespace: string) => 0),
      close: jest.fn(async () => {}),
    };
  }

  it('counts get and setMany by op with the counters they cover', async () => {
    const { metrics, ins } = setup();
    const c = instrumentConverged(inner(), ins);
    expect(await c.get([ref('a'), ref('b')])).toEqual([undefined, undefined]);
    expect(await c.setMany({ entries: [{ ref: ref('a'), value: 1n }], asOfMs: 1 })).toEqual({ changed: [true] });
    await c.close();
    expect(byOp(metrics)).toEqual([
      ['convergedCacheGet', 1, 2],
      ['convergedCacheSet', 1, 1],
    ]);
  });

  it('turns a failure into UNAVAILABLE, logged with its op', async () => {
    const { ins, log } = setup();
    const raw = inner();
    raw.setMany.mockRejectedValueOnce(new Error('redis down'));
    const c = instrumentConverged(raw, ins);
    await expect(c.setMany({ entries: [], asOfMs: 1 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ op: 'convergedCacheSet' }), 'backing store call failed');
  });
});

