import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NamespaceConfig } from '../../../../src/model';
import { NamespaceRegistry } from '../../../../src/namespaces/registry';
import { MemoryStore } from '../../fakes';

const cfg = (name: string): NamespaceConfig => ({ name, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 604800, acceptLimitMs: 5000 });

describe('NamespaceRegistry.delete and forgetting deleted namespaces', () => {
  let store: MemoryStore;
  let reg: NamespaceRegistry;
  let gone: string[];
  let deleted: { name: string; deletedAtMs: number }[];

  beforeEach(async () => {
    store = new MemoryStore();
    reg = new NamespaceRegistry(store);
    gone = [];
    deleted = [];
    reg.onGone((n) => gone.push(n));
    reg.onDeleted((d) => deleted.push(d));
    await reg.create(cfg('a'));
    await reg.create(cfg('b'));
  });

  it('tombstones in the store, then the namespace is NOT_FOUND here at once and the listeners are told', async () => {
    const before = Date.now();
    const d = await reg.delete('a');
    expect(d.name).toBe('a');
    expect(d.deletedAtMs).toBeGreaterThanOrEqual(before);
    expect(store.deleted.get('a')).toBe(d.deletedAtMs);
    expect(reg.cached('a')).toBeUndefined();
    await expect(reg.require('a')).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    expect((await reg.list()).map((n) => n.name)).toEqual(['b']);
    expect(gone).toEqual(['a']);
    expect(deleted).toEqual([d]);
  });

  it('an unknown name, or one already being deleted, is NAMESPACE_NOT_FOUND and tells nobody; a bad name never reaches the store', async () => {
    await expect(reg.delete('nope')).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND', extensions: { namespace: 'nope' } });
    await reg.delete('a');
    await expect(reg.delete('a')).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
    const mark = jest.spyOn(store, 'markNamespaceDeleted');
    await expect(reg.delete('bad name')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(reg.delete('')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(mark).not.toHaveBeenCalled();
    expect(deleted.map((d) => d.name)).toEqual(['a']);
  });

  it('createNamespace of a name being deleted is NAMESPACE_CONFLICT "being deleted"; after the drop it is created anew', async () => {
    await reg.delete('a');
    await expect(reg.create({ ...cfg('a'), mode: 'ACCURATE' })).rejects.toMatchObject({ code: 'NAMESPACE_CONFLICT', message: expect.stringMatching(/being deleted; retry later/) });
    await store.dropNamespace('a');
    expect((await reg.create({ ...cfg('a'), mode: 'ACCURATE' })).mode).toBe('ACCURATE');
  });

  it('a relisting drops a namespace deleted through another instance and tells onGone (only for that one)', async () => {
    await store.markNamespaceDeleted('a', Date.now()); // another instance deleted it
    expect(reg.cached('a')).toBeDefined();
    await reg.list();
    expect(reg.cached('a')).toBeUndefined();
    expect(reg.cached('b')).toBeDefined();
    expect(gone).toEqual(['a']);
    expect(deleted).toEqual([]);
  });

  it('a listing that began before a delete here does not bring the name back; one created meanwhile stays', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const list = store.listNamespaces.bind(store);
    jest.spyOn(store, 'listNamespaces').mockImplementationOnce(async () => {
      const rows = await list(); // read before the delete and the create below
      await held;
      return rows;
    });
    const listing = reg.list();
    await new Promise((r) => setImmediate(r));
    await reg.delete('a');
    await reg.create(cfg('c'));
    release();
    expect((await listing).map((n) => n.name)).toEqual(['b', 'c']);
    expect(reg.cached('a')).toBeUndefined();
  });

  it('COUNTER_NAMESPACES_FILE: an entry being deleted is skipped with a warning (the start goes on, so the removal can finish)', async () => {
    await reg.delete('a');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ns-file-')), 'ns.json');
    fs.writeFileSync(file, JSON.stringify([{ name: 'a', mode: 'EVENTUAL' }, { name: 'd', mode: 'ACCURATE' }]));
    const warn = jest.fn();
    await reg.loadFile(file, { warn });
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ namespace: 'a' }), expect.stringMatching(/being deleted/));
    expect((await reg.list()).map((n) => n.name)).toEqual(['b', 'd']);
    // Any other refusal still stops the start.
    fs.writeFileSync(file, JSON.stringify([{ name: 'b', mode: 'ACCURATE' }]));
    await expect(reg.loadFile(file, { warn })).rejects.toThrow(/entry 0/);
  });
});
