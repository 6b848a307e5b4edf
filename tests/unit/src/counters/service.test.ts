import type { BestEffortCounters } from '../../../../src/counters/bestEffort';
import type { DurableCounters, DurableItem } from '../../../../src/counters/durable';
import { CounterService } from '../../../../src/counters/service';
import type { AddInput, WriteResult } from '../../../../src/counters/types';
import type { Watcher } from '../../../../src/counters/watch';
import { CounterError } from '../../../../src/errors';
import { counterOf, type CounterEvent, type CounterRef, type NamespaceConfig } from '../../../../src/model';
import { FakeNamespaces, nsConfig } from '../../fakes';

const NOW = 1_700_000_000_000;
const be = nsConfig('be', 'BEST_EFFORT');
const ev = nsConfig('ev', 'EVENTUAL');
const acc = nsConfig('acc', 'ACCURATE');

function setup() {
  const namespaces = new FakeNamespaces([be, ev, acc]);
  const bestEffort = {
    add: jest.fn(async (ns: NamespaceConfig, e: CounterEvent, _token: unknown) => ({ counter: counterOf(ns, e.name, 100n + e.delta), applied: true })),
    clear: jest.fn(async (ns: NamespaceConfig, e: CounterEvent, _token: unknown) => ({ counter: counterOf(ns, e.name, 0n), applied: true })),
    get: jest.fn(async (refs: CounterRef[]) => refs.map(() => 1n)),
    flush: jest.fn(),
  };
  const durable = {
    add: jest.fn(
      async (items: DurableItem[]) =>
        new Map<number, WriteResult | CounterError>(items.map((d) => [d.i, { counter: counterOf(d.ns, d.event.name), applied: true }])),
    ),
    clear: jest.fn(async (ns: NamespaceConfig, e: CounterEvent) => ({ counter: counterOf(ns, e.name, 0n), applied: true })),
    getCounts: jest.fn(async (_ns: NamespaceConfig, refs: CounterRef[]) => refs.map(() => 2n)),
    exactCounts: jest.fn(async (_ns: NamespaceConfig, refs: CounterRef[]) => refs.map(() => 42n)),
  };
  const watcher = { watch: jest.fn(async () => 'stream' as unknown as AsyncIterableIterator<never>) };
  const service = new CounterService(
    namespaces,
    bestEffort as unknown as BestEffortCounters,
    durable as unknown as DurableCounters,
    watcher as unknown as Watcher,
  );
  return { service, namespaces, bestEffort, durable, watcher };
}

const add = (namespace: string, name: string, delta = 1n, over: Partial<AddInput> = {}): AddInput => ({ namespace, name, delta, ...over });
const code = (x: unknown): string => (x instanceof CounterError ? x.code : 'ok');

describe('CounterService.add', () => {
  it('sends a BEST_EFFORT add to the cache path with its event and token', async () => {
    const { service, bestEffort, durable } = setup();
    const token = { token: 't', generationTime: new Date() };
    const res = await service.add(add('be', 'a', 5n, { idempotencyToken: token }));
    expect(res).toEqual({ counter: { namespace: 'be', name: 'a', mode: 'BEST_EFFORT', count: 105n }, applied: true });
    const [ns, e, tok] = bestEffort.add.mock.calls[0]!;
    expect(ns).toBe(be);
    expect(e).toMatchObject({ namespace: 'be', name: 'a', delta: 5n, clear: false, eventId: 't' });
    expect(tok).toBe(token);
    expect(durable.add).not.toHaveBeenCalled();
  });

  it.each([
    ['EVENTUAL', 'ev'],
    ['ACCURATE', 'acc'],
  ])('sends a %s add to the durable path', async (_mode, namespace) => {
    const { service, bestEffort, durable } = setup();
    const res = await service.add(add(namespace, 'a', 3n));
    expect(res.applied).toBe(true);
    const [[item]] = durable.add.mock.calls[0]!;
    expect(item).toMatchObject({ i: 0, ns: { name: namespace }, event: { name: 'a', delta: 3n, clear: false } });
    expect(bestEffort.add).not.toHaveBeenCalled();
  });

  it("throws the item's refusal", async () => {
    const { service, durable } = setup();
    await expect(service.add(add('nope', 'a'))).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    await expect(service.add(add('ev', 'bad name'))).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    durable.add.mockResolvedValueOnce(new Map([[0, new CounterError('COUNT_OVERFLOW', 'no')]]));
    await expect(service.add(add('ev', 'a'))).rejects.toMatchObject({ code: 'COUNT_OVERFLOW' });
  });
});

describe('CounterService.addMany', () => {
  it('keeps input order across modes and refusals, sending the durable items in one call', async () => {
    const { service, durable, bestEffort } = setup();
    const out = await service.addMany([
      add('be', 'a'),
      add('ev', 'b'),
      add('nope', 'c'),
      add('acc', 'd'),
      add('be', 'bad name'),
      add('ev', 'e'),
    ]);
    expect(out.map(code)).toEqual(['ok', 'ok', 'NAMESPACE_NOT_FOUND', 'ok', 'BAD_USER_INPUT', 'ok']);
    expect(out.map((r) => (r instanceof Error ? null : r.counter.name))).toEqual(['a', 'b', null, 'd', null, 'e']);
    expect(durable.add).toHaveBeenCalledTimes(1);
    expect(durable.add.mock.calls[0]![0].map((d) => [d.i, d.event.name])).toEqual([
      [1, 'b'],
      [3, 'd'],
      [5, 'e'],
    ]);
    expect(bestEffort.add).toHaveBeenCalledTimes(1);
  });

  it('places the durable refusals at their items', async () => {
    const { service, durable } = setup();
    durable.add.mockImplementationOnce(async (items: DurableItem[]) => new Map(items.map((d) => [d.i, new CounterError('UNAVAILABLE', 'down')])));
    const out = await service.addMany([add('be', 'a'), add('ev', 'b')]);
    expect(out.map(code)).toEqual(['ok', 'UNAVAILABLE']);
  });

  it('turns a best-effort failure into UNAVAILABLE for that item only, and lets refusals through', async () => {
    const { service, bestEffort } = setup();
    bestEffort.add.mockRejectedValueOnce(new Error('redis gone'));
    bestEffort.add.mockRejectedValueOnce(new CounterError('COUNT_OVERFLOW', 'too big'));
    const out = await service.addMany([add('be', 'a'), add('be', 'b'), add('be', 'c'), add('ev', 'd')]);
    expect(out.map(code)).toEqual(['UNAVAILABLE', 'COUNT_OVERFLOW', 'ok', 'ok']);
    expect(((out[0] as CounterError) as { cause?: Error }).cause?.message).toBe('redis gone'); // logged, not answered
  });

  it('refuses an expired token for its item only', async () => {
    const { service } = setup();
    const old = { token: 't', generationTime: new Date(Date.now() - 60_000) };
    const out = await service.addMany([add('ev', 'a', 1n, { idempotencyToken: old }), add('ev', 'b')]);
    expect(out.map(code)).toEqual(['IDEMPOTENCY_TOKEN_EXPIRED', 'ok']);
  });

  it('judges every token of a request against one server time', async () => {
    const { service } = setup();
    const now = jest.spyOn(Date, 'now').mockReturnValue(NOW + 10_000);
    now.mockReturnValueOnce(NOW);
    try {
      const token = (t: string) => ({ token: t, generationTime: new Date(NOW) });
      const out = await service.addMany([add('ev', 'a', 1n, { idempotencyToken: token('x') }), add('acc', 'b', 1n, { idempotencyToken: token('y') })]);
      expect(out.map(code)).toEqual(['ok', 'ok']);
    } finally {
      now.mockRestore();
    }
  });

  it('looks a namespace up in the store only when it is not cached', async () => {
    const { service, namespaces } = setup();
    const require = jest.spyOn(namespaces, 'require');
    jest.spyOn(namespaces, 'cached').mockImplementation((n) => (n === 'ev' ? ev : undefined));
    await service.addMany([add('ev', 'a'), add('acc', 'b'), add('ev', 'c')]);
    expect(require.mock.calls).toEqual([['acc']]);
  });

  it('does not call the durable path without durable items', async () => {
    const { service, durable } = setup();
    expect((await service.addMany([add('be', 'a')])).map(code)).toEqual(['ok']);
    expect(await service.addMany([])).toEqual([]);
    expect(durable.add).not.toHaveBeenCalled();
  });
});

describe('CounterService.addAndGet', () => {
  it('returns the best-effort count the add already carries', async () => {
    const { service, durable } = setup();
    expect(await service.addAndGet(add('be', 'a', 2n))).toEqual({ namespace: 'be', name: 'a', mode: 'BEST_EFFORT', count: 102n });
    expect(durable.exactCounts).not.toHaveBeenCalled();
  });

  it('reads the exact count after a durable add, also for EVENTUAL', async () => {
    const { service, durable } = setup();
    expect(await service.addAndGet(add('ev', 'a'))).toEqual({ namespace: 'ev', name: 'a', mode: 'EVENTUAL', count: 42n });
    expect(durable.exactCounts).toHaveBeenCalledWith(ev, [{ namespace: 'ev', name: 'a', mode: 'EVENTUAL' }]);
  });

  it('rejects with the refusal and reads nothing', async () => {
    const { service, durable } = setup();
    await expect(service.addAndGet(add('nope', 'a'))).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    expect(durable.exactCounts).not.toHaveBeenCalled();
  });
});

describe('CounterService.clear', () => {
  it('clears a BEST_EFFORT counter in the cache, with a clear event and the token', async () => {
    const { service, bestEffort, durable } = setup();
    const token = { token: 'c', generationTime: new Date() };
    await service.clear({ namespace: 'be', name: 'a', idempotencyToken: token });
    const [ns, e, tok] = bestEffort.clear.mock.calls[0]!;
    expect([ns, tok]).toEqual([be, token]);
    expect(e).toMatchObject({ name: 'a', clear: true, delta: 0n, eventId: 'c' });
    expect(durable.clear).not.toHaveBeenCalled();
  });

  it('clears a durable counter with a durable event', async () => {
    const { service, bestEffort, durable } = setup();
    await service.clear({ namespace: 'acc', name: 'a' });
    expect(durable.clear.mock.calls[0]![0]).toBe(acc);
    expect(durable.clear.mock.calls[0]![1]).toMatchObject({ name: 'a', clear: true, delta: 0n });
    expect(bestEffort.clear).not.toHaveBeenCalled();
  });

  it('refuses an unknown namespace and a bad name', async () => {
    const { service, durable } = setup();
    await expect(service.clear({ namespace: 'nope', name: 'a' })).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    await expect(service.clear({ namespace: 'ev', name: '' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(durable.clear).not.toHaveBeenCalled();
  });
});

describe('CounterService.getCounts', () => {
  it('reads BEST_EFFORT counters from the cache and durable ones from the durable path, in one call', async () => {
    const { service, bestEffort, durable } = setup();
    expect(await service.getCounts(be, ['a', 'b'])).toEqual([1n, 1n]);
    expect(bestEffort.get).toHaveBeenCalledWith([{ namespace: 'be', name: 'a' }, { namespace: 'be', name: 'b' }]);
    expect(await service.getCounts(ev, ['a'])).toEqual([2n]);
    expect(durable.getCounts).toHaveBeenCalledWith(ev, [{ namespace: 'ev', name: 'a' }]);
  });

  it('refuses a bad name before reading anything', async () => {
    const { service, bestEffort, durable } = setup();
    await expect(service.getCounts(ev, ['ok', 'not ok'])).rejects.toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'name' } });
    await expect(service.getCounts(be, ['x'.repeat(256)])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(durable.getCounts).not.toHaveBeenCalled();
    expect(bestEffort.get).not.toHaveBeenCalled();
  });
});

describe('CounterService.watch', () => {
  it("hands the watcher the namespace, the name and a reader of the counter's count", async () => {
    const { service, watcher, durable } = setup();
    expect(await service.watch({ namespace: 'ev', name: 'a' })).toBe('stream');
    const [ns, name, read] = watcher.watch.mock.calls[0]! as unknown as [NamespaceConfig, string, (n: string[]) => Promise<bigint[]>];
    expect([ns, name]).toEqual([ev, 'a']);
    expect(await read(['a'])).toEqual([2n]);
    expect(durable.getCounts).toHaveBeenCalledWith(ev, [{ namespace: 'ev', name: 'a' }]);
  });

  it('refuses an unknown namespace and a bad name without watching', async () => {
    const { service, watcher } = setup();
    await expect(service.watch({ namespace: 'nope', name: 'a' })).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    await expect(service.watch({ namespace: 'ev', name: 'a b' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(watcher.watch).not.toHaveBeenCalled();
  });
});

describe('CounterService.close', () => {
  it('flushes the best-effort publishes', () => {
    const { service, bestEffort } = setup();
    service.close();
    expect(bestEffort.flush).toHaveBeenCalledTimes(1);
  });
});
