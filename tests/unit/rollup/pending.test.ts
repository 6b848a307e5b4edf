import { NAMESPACE_RELIST_MS } from '../../../rollup/namespaces';
import { PENDING_PER_SWEEP, STEADY_CHECKPOINT_MS, pendingSource } from '../../../rollup/pending';
import { msToUs } from '../../../src/clock';
import type { CounterRef } from '../../../src/model';
import type { PendingQuery } from '../../../src/store/types';
import { FakeNamespaces, nsConfig } from '../fakes';

const NOW = 1_700_000_000_000;
const SKEW = 1500;
const ev = nsConfig('ev', 'EVENTUAL', { acceptLimitMs: 5000 });
const acc = nsConfig('acc', 'ACCURATE', { acceptLimitMs: 100 });
const be = nsConfig('be', 'BEST_EFFORT');

function setup(list = [ev, be, acc], steady = false) {
  const queries: PendingQuery[] = [];
  const store = {
    listPending: jest.fn(async (q: PendingQuery): Promise<CounterRef[]> => {
      queries.push(q);
      return [{ namespace: q.namespace, name: `${q.namespace}-1` }, { namespace: q.namespace, name: `${q.namespace}-2` }];
    }),
  };
  const namespaces = new FakeNamespaces(list);
  return { store, namespaces, queries, source: pendingSource(store, namespaces, SKEW, steady) };
}

beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

describe('pendingSource', () => {
  it('with all: lists every pending counter of each durable namespace, whatever its last write', async () => {
    const { source, queries } = setup();
    await source({ all: true });
    expect(queries).toEqual([
      { namespace: 'ev', upToUs: Number.MAX_SAFE_INTEGER, limit: PENDING_PER_SWEEP },
      { namespace: 'acc', upToUs: Number.MAX_SAFE_INTEGER, limit: PENDING_PER_SWEEP },
    ]);
  });

  it("without all: only counters settled by each namespace's own boundary", async () => {
    const { source, queries } = setup();
    await source({ all: false });
    expect(queries).toEqual([
      { namespace: 'ev', upToUs: msToUs(NOW - 5000 - SKEW), limit: PENDING_PER_SWEEP },
      { namespace: 'acc', upToUs: msToUs(NOW - 100 - SKEW), limit: PENDING_PER_SWEEP },
    ]);
  });

  it('steady: also counters still written whose settled events are STEADY_CHECKPOINT_MS old (not with all)', async () => {
    const { source, queries } = setup([ev], true);
    await source({ all: false });
    const upToUs = msToUs(NOW - 5000 - SKEW);
    expect(queries).toEqual([{ namespace: 'ev', upToUs, limit: PENDING_PER_SWEEP, steadyBeforeUs: upToUs - msToUs(STEADY_CHECKPOINT_MS) }]);
    await source({ all: true });
    expect(queries[1]).toEqual({ namespace: 'ev', upToUs: Number.MAX_SAFE_INTEGER, limit: PENDING_PER_SWEEP });
  });

  it('skips BEST_EFFORT namespaces (they have no events)', async () => {
    const { source, store } = setup([be]);
    expect(await source({ all: true })).toEqual([]);
    expect(store.listPending).not.toHaveBeenCalled();
  });

  it('returns the counters of all namespaces, in namespace order then store order', async () => {
    const { source } = setup();
    expect((await source({ all: false })).map((r) => r.name)).toEqual(['ev-1', 'ev-2', 'acc-1', 'acc-2']);
  });

  it('uses the cached namespace list (re-listed at most every NAMESPACE_RELIST_MS)', async () => {
    const { source, namespaces } = setup();
    await source({ all: true });
    await source({ all: false });
    expect(namespaces.listCalls).toEqual([NAMESPACE_RELIST_MS, NAMESPACE_RELIST_MS]);
  });

  it('returns nothing without namespaces', async () => {
    const { source } = setup([]);
    expect(await source({ all: true })).toEqual([]);
  });

  it('rejects when the store cannot list', async () => {
    const { source, store } = setup();
    store.listPending.mockRejectedValueOnce(new Error('down'));
    await expect(source({ all: false })).rejects.toThrow('down');
  });
});
