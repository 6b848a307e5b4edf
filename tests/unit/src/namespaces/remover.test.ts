import { NamespaceRemover, removalDueAt, type NamespaceCache } from '../../../../src/namespaces/remover';
import { MemoryStore } from '../../fakes';

const ns = { name: 'gone', mode: 'EVENTUAL' as const, ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(graceMs: number) {
  const store = new MemoryStore();
  const steps: string[] = [];
  const cache: NamespaceCache = { clearNamespace: jest.fn(async (n: string) => (steps.push(`cache ${n}`), 2)) };
  const forget = jest.fn((n: string) => void steps.push(`forget ${n}`));
  const log = { info: jest.fn(), warn: jest.fn() };
  const remove = store.removeNamespaceData.bind(store);
  jest.spyOn(store, 'removeNamespaceData').mockImplementation(async (n) => (steps.push(`data ${n}`), remove(n)));
  const drop = store.dropNamespace.bind(store);
  jest.spyOn(store, 'dropNamespace').mockImplementation(async (n) => (steps.push(`drop ${n}`), drop(n)));
  const remover = new NamespaceRemover({ store, caches: [cache], forget, graceMs, checkEveryMs: 60_000, log });
  return { store, steps, cache, forget, log, remover };
}

async function seed(store: MemoryStore): Promise<void> {
  await store.createNamespace(ns);
  await store.createNamespace({ ...ns, name: 'kept' });
  await store.append([
    { namespace: 'gone', name: 'c', timeUs: 1, eventId: 'e1', clear: false, delta: 3n },
    { namespace: 'kept', name: 'c', timeUs: 1, eventId: 'e1', clear: false, delta: 4n },
  ]);
}

describe('NamespaceRemover', () => {
  afterEach(() => jest.restoreAllMocks());

  it('removalDueAt: the tombstone time plus the grace', () => {
    expect(removalDueAt({ name: 'x', deletedAtMs: 1000 }, 45_000)).toBe(46_000);
  });

  it('waits out the grace, then forgets, removes the data, clears the caches and only then drops the row', async () => {
    const { store, steps, remover, log } = setup(80);
    await seed(store);
    await store.markNamespaceDeleted('gone', Date.now());
    remover.schedule({ name: 'gone', deletedAtMs: Date.now() });
    await sleep(30);
    expect(steps).toEqual([]);
    expect(store.rows.size).toBe(2);
    await sleep(120);
    await remover.idle();
    expect(steps).toEqual(['forget gone', 'data gone', 'cache gone', 'drop gone', 'forget gone']);
    expect([...store.rows.values()].map((r) => r.namespace)).toEqual(['kept']);
    expect(await store.listDeletedNamespaces()).toEqual([]);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ namespace: 'gone', removed: 2, cached: 2 }), 'namespace removed');
    remover.stop();
  });

  it('start resumes what the store holds tombstoned (a crash): an overdue removal at once, another after its grace', async () => {
    const { store, steps, remover } = setup(100);
    await seed(store);
    await store.markNamespaceDeleted('gone', Date.now() - 1000);
    await store.markNamespaceDeleted('kept', Date.now());
    remover.start();
    await sleep(30);
    await remover.idle();
    expect(steps.filter((s) => s.startsWith('drop'))).toEqual(['drop gone']);
    await sleep(120);
    await remover.idle();
    expect(steps.filter((s) => s.startsWith('drop'))).toEqual(['drop gone', 'drop kept']);
    expect(store.rows.size).toBe(0);
    remover.stop();
  });

  it('a failed removal keeps the tombstone (the name stays taken) and the next check finishes it', async () => {
    const { store, remover, log } = setup(0);
    await seed(store);
    await store.markNamespaceDeleted('gone', Date.now());
    store.failRemove = new Error('store away');
    await remover.check();
    await remover.idle();
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ namespace: 'gone' }), expect.stringMatching(/retried/));
    expect(await store.listDeletedNamespaces()).toEqual([{ name: 'gone', deletedAtMs: expect.any(Number) }]);
    await expect(store.createNamespace(ns)).rejects.toMatchObject({ code: 'NAMESPACE_CONFLICT' });
    store.failRemove = null;
    await remover.check();
    await remover.idle();
    expect(await store.listDeletedNamespaces()).toEqual([]);
    expect((await store.createNamespace(ns)).name).toBe('gone');
    remover.stop();
  });

  it('runs one removal per namespace at a time, and nothing after stop', async () => {
    const { store, steps, remover } = setup(50);
    await seed(store);
    await store.markNamespaceDeleted('gone', Date.now() - 100);
    await Promise.all([remover.check(), remover.check()]);
    remover.schedule({ name: 'gone', deletedAtMs: 0 });
    await remover.idle();
    expect(steps.filter((s) => s.startsWith('data'))).toEqual(['data gone']);
    await store.markNamespaceDeleted('kept', Date.now());
    remover.schedule({ name: 'kept', deletedAtMs: Date.now() });
    remover.stop();
    await sleep(100);
    await remover.check();
    expect(steps.filter((s) => s.startsWith('data'))).toEqual(['data gone']);
  });

  it('each check relists the registry first (a deletion through another instance leaves this one\'s cache), and a failed relist is retried', async () => {
    const store = new MemoryStore();
    const relist = jest.fn(async () => []).mockRejectedValueOnce(new Error('store away'));
    const log = { info: jest.fn(), warn: jest.fn() };
    const remover = new NamespaceRemover({ store, caches: [], forget: () => {}, graceMs: 0, relist, log });
    await remover.check();
    expect(log.warn).toHaveBeenCalledTimes(1);
    await remover.check();
    expect(relist).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });
});
