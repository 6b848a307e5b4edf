import { NAMESPACE_RELIST_MS } from '../../../rollup/namespaces';
import { Purger, purgeExpired } from '../../../rollup/purge';
import { msToUs } from '../../../src/clock';
import type { PurgeQuery, PurgeResult } from '../../../src/store/types';
import { FakeNamespaces, fakeLog, nsConfig } from '../fakes';

const NOW = 1_700_000_000_000;
const ev = nsConfig('ev', 'EVENTUAL', { retentionSeconds: 3600 });
const acc = nsConfig('acc', 'ACCURATE', { retentionSeconds: 60 });
const be = nsConfig('be', 'BEST_EFFORT');

function fakeStore(deleted: Record<string, number> = { ev: 3, acc: 4 }) {
  const queries: PurgeQuery[] = [];
  return {
    queries,
    purge: jest.fn(async (q: PurgeQuery): Promise<PurgeResult> => {
      queries.push(q);
      return { deleted: deleted[q.namespace.name] ?? 0 };
    }),
  };
}

describe('purgeExpired', () => {
  it("purges each durable namespace before its own retention, skipping BEST_EFFORT, and sums what was deleted", async () => {
    const store = fakeStore();
    const deleted = await purgeExpired(store, new FakeNamespaces([ev, be, acc]), NOW);
    expect(deleted).toBe(7);
    expect(store.queries).toEqual([
      { namespace: ev, beforeUs: msToUs(NOW - 3600_000) },
      { namespace: acc, beforeUs: msToUs(NOW - 60_000) },
    ]);
  });

  it('uses the current time by default and the cached namespace list', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    try {
      const store = fakeStore();
      const namespaces = new FakeNamespaces([ev]);
      await purgeExpired(store, namespaces);
      expect(store.queries[0]!.beforeUs).toBe(msToUs(NOW - 3600_000));
      expect(namespaces.listCalls).toEqual([NAMESPACE_RELIST_MS]);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('returns 0 with nothing to purge', async () => {
    const store = fakeStore();
    expect(await purgeExpired(store, new FakeNamespaces([be]), NOW)).toBe(0);
    expect(store.purge).not.toHaveBeenCalled();
  });

  it('rejects when a namespace purge fails', async () => {
    const store = fakeStore();
    store.purge.mockRejectedValueOnce(new Error('no'));
    await expect(purgeExpired(store, new FakeNamespaces([ev, acc]), NOW)).rejects.toThrow('no');
  });
});

describe('Purger', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  it('purges every intervalMs, not at start', async () => {
    const store = fakeStore();
    const purger = new Purger(store, new FakeNamespaces([ev]), 60_000, fakeLog());
    purger.start();
    await jest.advanceTimersByTimeAsync(59_999);
    expect(store.purge).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(store.queries).toEqual([{ namespace: ev, beforeUs: msToUs(NOW + 60_000 - 3600_000) }]);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(store.purge).toHaveBeenCalledTimes(3);
    purger.stop();
  });

  it('stops purging after stop()', async () => {
    const store = fakeStore();
    const purger = new Purger(store, new FakeNamespaces([ev]), 1000, fakeLog());
    purger.start();
    await jest.advanceTimersByTimeAsync(1000);
    purger.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(store.purge).toHaveBeenCalledTimes(1);
  });

  it('logs a failed purge and tries again on the next interval', async () => {
    const store = fakeStore();
    const log = fakeLog();
    store.purge.mockRejectedValueOnce(new Error('store down'));
    const purger = new Purger(store, new FakeNamespaces([ev]), 1000, log);
    purger.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(log.warn).toHaveBeenCalledWith({ err: expect.objectContaining({ message: 'store down' }) }, 'retention purge failed');
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.purge).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledTimes(1);
    purger.stop();
  });

  it('does not keep the process alive (its timer is unref-ed)', () => {
    const spy = jest.spyOn(global, 'setInterval');
    const purger = new Purger(fakeStore(), new FakeNamespaces([]), 1000, fakeLog());
    purger.start();
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    purger.stop();
    spy.mockRestore();
  });

  it('stop() before start() is harmless', () => {
    expect(() => new Purger(fakeStore(), new FakeNamespaces([]), 1000, fakeLog()).stop()).not.toThrow();
  });
});
