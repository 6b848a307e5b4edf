import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NamespaceConfig } from '../../../../src/model';
import { NamespaceRegistry } from '../../../../src/namespaces/registry';
import type { DeletedNamespace, NamespaceStore } from '../../../../src/store/types';
import { refusal } from '../../fakes';

/** The namespaces table of a store, in memory, counting the calls the registry makes. */
class FakeNamespaceStore implements NamespaceStore {
  readonly rows = new Map<string, NamespaceConfig>();
  readonly deleted = new Map<string, number>();
  calls = { list: 0, get: 0, create: 0, update: 0 };

  async listNamespaces(): Promise<NamespaceConfig[]> {
    this.calls.list++;
    return [...this.rows.values()];
  }

  async getNamespace(name: string): Promise<NamespaceConfig | undefined> {
    this.calls.get++;
    return this.rows.get(name);
  }

  async createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig> {
    this.calls.create++;
    const existing = this.rows.get(ns.name);
    if (existing) return existing;
    this.rows.set(ns.name, ns);
    return ns;
  }

  async updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    this.calls.update++;
    const existing = this.rows.get(ns.name);
    if (existing?.mode === ns.mode) this.rows.set(ns.name, ns);
    return this.rows.get(ns.name);
  }

  async markNamespaceDeleted(name: string, deletedAtMs: number): Promise<boolean> {
    if (!this.rows.delete(name)) return false;
    this.deleted.set(name, deletedAtMs);
    return true;
  }

  async listDeletedNamespaces(): Promise<DeletedNamespace[]> {
    return [...this.deleted].map(([name, deletedAtMs]) => ({ name, deletedAtMs }));
  }

  async dropNamespace(name: string): Promise<void> {
    this.deleted.delete(name);
  }
}

const cfg = (name: string, over: Partial<NamespaceConfig> = {}): NamespaceConfig => ({
  name,
  mode: 'EVENTUAL',
  ttlSeconds: null,
  retentionSeconds: 604800,
  acceptLimitMs: 5000,
  ...over,
});

describe('NamespaceRegistry', () => {
  let store: FakeNamespaceStore;
  let reg: NamespaceRegistry;

  beforeEach(() => {
    store = new FakeNamespaceStore();
    reg = new NamespaceRegistry(store);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('require / find / cached', () => {
    it('require answers a stored namespace', async () => {
      store.rows.set('views', cfg('views'));
      expect(await reg.require('views')).toEqual(cfg('views'));
    });

    it('require refuses an unknown namespace with NAMESPACE_NOT_FOUND naming it', async () => {
      const err = await refusal(reg.require('nope'));
      expect(err.code).toBe('NAMESPACE_NOT_FOUND');
      expect(err.extensions.namespace).toBe('nope');
    });

    it('require and find refuse a malformed name without asking the store', async () => {
      expect((await refusal(reg.require('bad name'))).code).toBe('BAD_USER_INPUT');
      expect((await refusal(reg.find(''))).code).toBe('BAD_USER_INPUT');
      expect(store.calls.get).toBe(0);
    });

    it('find asks the store once, then answers from the cache', async () => {
      store.rows.set('views', cfg('views'));
      await reg.find('views');
      await reg.find('views');
      await reg.require('views');
      expect(store.calls.get).toBe(1);
    });

    it('does not cache a miss: a namespace created elsewhere is seen at once', async () => {
      expect(await reg.find('views')).toBeUndefined();
      store.rows.set('views', cfg('views')); // another instance created it
      expect(await reg.find('views')).toEqual(cfg('views'));
      expect(store.calls.get).toBe(2);
    });

    it('cached knows only namespaces already looked up, listed or created', async () => {
      store.rows.set('a', cfg('a'));
      store.rows.set('b', cfg('b'));
      expect(reg.cached('a')).toBeUndefined();
      await reg.find('a');
      expect(reg.cached('a')).toEqual(cfg('a'));
      expect(reg.cached('b')).toBeUndefined();
      await reg.create({ name: 'c', mode: 'ACCURATE' });
      expect(reg.cached('c')?.mode).toBe('ACCURATE');
      expect(store.calls.get).toBe(1);
    });

    it('a store failure on lookup reaches the caller and caches nothing', async () => {
      jest.spyOn(store, 'getNamespace').mockRejectedValueOnce(new Error('store down'));
      await expect(reg.find('views')).rejects.toThrow('store down');
      store.rows.set('views', cfg('views'));
      expect(await reg.find('views')).toEqual(cfg('views'));
    });
  });

  describe('load / list', () => {
    it('load fills the cache from the store', async () => {
      store.rows.set('a', cfg('a'));
      store.rows.set('b', cfg('b'));
      await reg.load();
      expect(reg.cached('a')).toEqual(cfg('a'));
      expect(reg.cached('b')).toEqual(cfg('b'));
    });

    it('list answers every namespace sorted by name', async () => {
      for (const n of ['m', 'B', 'a', 'z:1', 'z']) store.rows.set(n, cfg(n));
      expect((await reg.list()).map((n) => n.name)).toEqual(['B', 'a', 'm', 'z', 'z:1']);
    });

    it('list() with no age lists the store every time', async () => {
      await reg.list();
      await reg.list();
      await reg.list(0);
      expect(store.calls.list).toBe(3);
    });

    it('list(maxAge) lists again only once the last listing is that old', async () => {
      const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
      await reg.list(1000);
      expect(store.calls.list).toBe(1);
      store.rows.set('late', cfg('late'));
      now.mockReturnValue(1_000_999);
      expect(await reg.list(1000)).toEqual([]);
      expect(store.calls.list).toBe(1);
      now.mockReturnValue(1_001_000);
      expect(await reg.list(1000)).toEqual([cfg('late')]);
      expect(store.calls.list).toBe(2);
    });

    it('list(maxAge) includes namespaces learnt since the last listing', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(5_000_000);
      await reg.list(60_000);
      store.rows.set('found', cfg('found'));
      await reg.find('found');
      await reg.create({ name: 'made', mode: 'BEST_EFFORT' });
      expect((await reg.list(60_000)).map((n) => n.name)).toEqual(['found', 'made']);
      expect(store.calls.list).toBe(1);
    });

    it('the age of a listing counts from when it started', async () => {
      const now = jest.spyOn(Date, 'now').mockReturnValue(1_000);
      jest.spyOn(store, 'listNamespaces').mockImplementation(async () => {
        now.mockReturnValue(1_500); // a slow listing
        return [];
      });
      await reg.list(1000);
      now.mockReturnValue(2_000);
      await reg.list(1000);
      expect(store.listNamespaces).toHaveBeenCalledTimes(2);
    });
  });

  describe('create', () => {
    it('stores the namespace with the defaults filled in and caches it', async () => {
      const ns = await reg.create({ name: 'views', mode: 'EVENTUAL' });
      expect(ns).toEqual(cfg('views'));
      expect(store.rows.get('views')).toEqual(cfg('views'));
      expect(await reg.require('views')).toEqual(cfg('views'));
      expect(store.calls.get).toBe(0);
    });

    it('creating with the same settings again is a no-op that answers the stored namespace', async () => {
      await reg.create({ name: 'views', mode: 'EVENTUAL', acceptLimitMs: 5000 });
      expect(await reg.create({ name: 'views', mode: 'EVENTUAL' })).toEqual(cfg('views'));
      expect(store.rows.size).toBe(1);
    });

    it('creating with other settings is NAMESPACE_CONFLICT naming the stored settings, and changes nothing', async () => {
      store.rows.set('views', cfg('views'));
      const err = await refusal(reg.create({ name: 'views', mode: 'BEST_EFFORT', ttlSeconds: 60 }));
      expect(err.code).toBe('NAMESPACE_CONFLICT');
      expect(err.extensions.namespace).toBe('views');
      expect(err.message).toContain('mode EVENTUAL');
      expect(err.message).toContain('acceptLimitMs 5000');
      expect(store.rows.get('views')).toEqual(cfg('views'));
      expect(reg.cached('views')).toBeUndefined();
    });

    it('refuses an invalid definition without touching the store', async () => {
      const err = await refusal(reg.create({ name: 'v', mode: 'EVENTUAL', ttlSeconds: 60 }));
      expect(err.code).toBe('BAD_USER_INPUT');
      expect(store.calls.create).toBe(0);
    });

    it('caches and answers what the store kept (the existing row wins a race)', async () => {
      const kept = cfg('views');
      jest.spyOn(store, 'createNamespace').mockResolvedValueOnce(kept);
      expect(await reg.create({ name: 'views', mode: 'EVENTUAL' })).toBe(kept);
      expect(reg.cached('views')).toBe(kept);
    });
  });

  describe('loadFile', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (body: string): string => {
      const file = path.join(dir, 'namespaces.json');
      fs.writeFileSync(file, body);
      return file;
    };

    it('creates every namespace of the file', async () => {
      const file = write(JSON.stringify([{ name: 'a', mode: 'ACCURATE' }, { name: 'b', mode: 'BEST_EFFORT', ttlSeconds: 3600 }]));
      await reg.loadFile(file);
      expect(store.rows.get('a')).toEqual(cfg('a', { mode: 'ACCURATE' }));
      expect(store.rows.get('b')).toEqual(cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 3600 }));
    });

    it('drops retentionSeconds of a BEST_EFFORT entry with a warning (files that started the service before still do)', async () => {
      const warn = jest.fn();
      const file = write(JSON.stringify([{ name: 'b', mode: 'BEST_EFFORT', ttlSeconds: 60, retentionSeconds: 86_400 }]));
      await reg.loadFile(file, { warn });
      expect(store.rows.get('b')).toEqual(cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60 }));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][1]).toContain('retentionSeconds ignored');
      // and again at the next start, against the stored row
      await new NamespaceRegistry(store).loadFile(file, { warn });
      expect(store.rows.size).toBe(1);
    });

    it('a BEST_EFFORT namespace stored with a retention before it was refused matches the same file without it', async () => {
      store.rows.set('b', cfg('b', { mode: 'BEST_EFFORT', retentionSeconds: 86_400 }));
      await reg.loadFile(write(JSON.stringify([{ name: 'b', mode: 'BEST_EFFORT' }])));
      expect(store.rows.get('b')!.retentionSeconds).toBe(86_400);
    });

    it('still refuses ttlSeconds on a durable entry (never accepted)', async () => {
      const file = write(JSON.stringify([{ name: 'e', mode: 'EVENTUAL', ttlSeconds: 60 }]));
      await expect(reg.loadFile(file)).rejects.toThrow(`COUNTER_NAMESPACES_FILE ${file}, entry 0: ttlSeconds applies to BEST_EFFORT`);
    });

    it('is idempotent across restarts: loading the same file twice is fine', async () => {
      const file = write(JSON.stringify([{ name: 'a', mode: 'EVENTUAL' }]));
      await reg.loadFile(file);
      await new NamespaceRegistry(store).loadFile(file);
      expect(store.rows.size).toBe(1);
    });

    it('an empty array creates nothing', async () => {
      await reg.loadFile(write('[]'));
      expect(store.calls.create).toBe(0);
    });

    it('a missing file fails naming the variable and the path', async () => {
      const file = path.join(dir, 'absent.json');
      await expect(reg.loadFile(file)).rejects.toThrow(`COUNTER_NAMESPACES_FILE ${file}: ENOENT`);
    });

    it('a file that is not JSON fails naming the variable and the path', async () => {
      const file = write('[{name: a}]');
      await expect(reg.loadFile(file)).rejects.toThrow(new RegExp(`^COUNTER_NAMESPACES_FILE ${file}: .*JSON`));
    });

    it.each(['{"name": "a", "mode": "EVENTUAL"}', '"a"', 'null', '3'])('JSON that is not an array (%s) fails', async (body) => {
      const file = write(body);
      await expect(reg.loadFile(file)).rejects.toThrow(`COUNTER_NAMESPACES_FILE ${file}: expected a JSON array of namespaces`);
      expect(store.calls.create).toBe(0);
    });

    it('a bad entry fails naming its index and the reason; the entries before it are created', async () => {
      const file = write(JSON.stringify([{ name: 'ok', mode: 'EVENTUAL' }, { name: 'bad name', mode: 'EVENTUAL' }, { name: 'never', mode: 'EVENTUAL' }]));
      await expect(reg.loadFile(file)).rejects.toThrow(`COUNTER_NAMESPACES_FILE ${file}, entry 1: name must be`);
      expect([...store.rows.keys()]).toEqual(['ok']);
    });

    it('an entry of another mode than the stored namespace fails naming its index', async () => {
      store.rows.set('a', cfg('a'));
      const file = write(JSON.stringify([{ name: 'a', mode: 'ACCURATE' }]));
      await expect(reg.loadFile(file)).rejects.toThrow(`COUNTER_NAMESPACES_FILE ${file}, entry 0: namespace "a" is EVENTUAL; a namespace's mode cannot change`);
      expect(store.rows.get('a')).toEqual(cfg('a'));
    });

    it('an entry with other settings than the stored namespace updates it to the file (left-out fields: defaults)', async () => {
      store.rows.set('a', cfg('a', { retentionSeconds: 3600, acceptLimitMs: 9000 }));
      await reg.loadFile(write(JSON.stringify([{ name: 'a', mode: 'EVENTUAL', retentionSeconds: 7200 }])));
      expect(store.rows.get('a')).toEqual(cfg('a', { retentionSeconds: 7200, acceptLimitMs: 5000 }));
      expect(reg.cached('a')).toEqual(cfg('a', { retentionSeconds: 7200, acceptLimitMs: 5000 }));
    });

    it('an entry equal to the stored namespace writes nothing', async () => {
      store.rows.set('a', cfg('a'));
      await reg.loadFile(write(JSON.stringify([{ name: 'a', mode: 'EVENTUAL' }])));
      expect(store.calls).toMatchObject({ create: 0, update: 0 });
    });
  });

  describe('update', () => {
    it('changes only the fields given, and caches the result', async () => {
      store.rows.set('b', cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60 }));
      expect(await reg.update({ name: 'b', acceptLimitMs: 2000 })).toEqual(cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60, acceptLimitMs: 2000 }));
      expect(store.rows.get('b')).toEqual(cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60, acceptLimitMs: 2000 }));
      expect(reg.cached('b')?.acceptLimitMs).toBe(2000);
    });

    it('null ttlSeconds removes the TTL; null for the others keeps them', async () => {
      store.rows.set('b', cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60 }));
      expect(await reg.update({ name: 'b', ttlSeconds: null, acceptLimitMs: null })).toEqual(cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: null }));
      store.rows.set('e', cfg('e', { retentionSeconds: 3600, acceptLimitMs: 900 }));
      expect(await reg.update({ name: 'e', retentionSeconds: null, acceptLimitMs: null })).toEqual(cfg('e', { retentionSeconds: 3600, acceptLimitMs: 900 }));
    });

    it('a retention for a BEST_EFFORT namespace is BAD_USER_INPUT, as at creation', async () => {
      store.rows.set('b', cfg('b', { mode: 'BEST_EFFORT', ttlSeconds: 60 }));
      expect((await refusal(reg.update({ name: 'b', retentionSeconds: 3600 }))).code).toBe('BAD_USER_INPUT');
      expect(store.calls.update).toBe(0);
    });

    it('the same mode may be given; another mode is NAMESPACE_CONFLICT and changes nothing', async () => {
      store.rows.set('a', cfg('a'));
      expect((await reg.update({ name: 'a', mode: 'EVENTUAL', retentionSeconds: 120 })).retentionSeconds).toBe(120);
      const err = await refusal(reg.update({ name: 'a', mode: 'ACCURATE', retentionSeconds: 240 }));
      expect(err.code).toBe('NAMESPACE_CONFLICT');
      expect(store.rows.get('a')!.retentionSeconds).toBe(120);
    });

    it('an unknown namespace is NAMESPACE_NOT_FOUND; a malformed name BAD_USER_INPUT without asking the store', async () => {
      expect((await refusal(reg.update({ name: 'nope', acceptLimitMs: 10 }))).code).toBe('NAMESPACE_NOT_FOUND');
      const calls = store.calls.get;
      expect((await refusal(reg.update({ name: 'bad name' }))).code).toBe('BAD_USER_INPUT');
      expect(store.calls.get).toBe(calls);
    });

    it('invalid settings are BAD_USER_INPUT and change nothing (ttlSeconds on EVENTUAL, retention below the minimum)', async () => {
      store.rows.set('a', cfg('a'));
      expect((await refusal(reg.update({ name: 'a', ttlSeconds: 60 }))).code).toBe('BAD_USER_INPUT');
      expect((await refusal(reg.update({ name: 'a', retentionSeconds: 1 }))).code).toBe('BAD_USER_INPUT');
      expect(store.rows.get('a')).toEqual(cfg('a'));
      expect(store.calls.update).toBe(0);
    });

    it('the same settings again writes nothing', async () => {
      store.rows.set('a', cfg('a'));
      await reg.update({ name: 'a', retentionSeconds: 604800 });
      expect(store.calls.update).toBe(0);
    });

    it('a namespace recreated with another mode between the read and the write is NAMESPACE_CONFLICT', async () => {
      store.rows.set('a', cfg('a'));
      jest.spyOn(store, 'updateNamespace').mockImplementationOnce(async () => cfg('a', { mode: 'ACCURATE' }));
      expect((await refusal(reg.update({ name: 'a', retentionSeconds: 120 }))).code).toBe('NAMESPACE_CONFLICT');
    });
  });
});
