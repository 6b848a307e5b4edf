import fs from 'node:fs';
import { CounterError, ErrorCode, namespaceNotFound } from '../errors';
import type { Logger } from '../logger';
import type { NamespaceConfig } from '../model';
import { isBeingDeleted } from '../store/deleting';
import type { DeletedNamespace, NamespaceStore } from '../store/types';
import { checkName, normalizeNamespace, sameNamespaceSettings, type NamespaceInputLike } from '../validate';

/**
 * The control plane: namespace definitions, kept in the store and cached in memory (they
 * are read on every operation and change rarely). A name missing from the cache is looked
 * up in the store once, so a namespace created through another instance is seen at once.
 */
export class NamespaceRegistry {
  private cache = new Map<string, NamespaceConfig>();
  private loadedAt = 0;
  private readonly gone: ((name: string) => void)[] = [];
  private readonly deleted: ((d: DeletedNamespace) => void)[] = [];

  constructor(private readonly store: NamespaceStore) {}

  /**
   * Lists the store again and keeps exactly what it holds: a namespace deleted (through any
   * instance) leaves the cache with the listing, and this instance's listeners forget its
   * in-memory state (see onGone).
   */
  async load(): Promise<void> {
    const started = Date.now();
    this.addedSince.clear();
    this.deletedSince.clear();
    const listed = await this.store.listNamespaces();
    const before = this.cache;
    // What changed here while the listing ran wins over it: a namespace created or found
    // (the listing may have missed it) stays, one deleted (the listing may still hold it) stays gone.
    this.cache = new Map(listed.filter((ns) => !this.deletedSince.has(ns.name)).map((ns) => [ns.name, ns]));
    for (const [name, ns] of before) if (!this.cache.has(name) && this.addedSince.has(name)) this.cache.set(name, ns);
    this.loadedAt = started;
    for (const name of before.keys()) if (!this.cache.has(name)) this.emitGone(name);
  }

  /** Names cached, and names deleted here, since the last listing began (see load). */
  private readonly addedSince = new Set<string>();
  private readonly deletedSince = new Set<string>();

  /** Called with each namespace this instance learns is gone (deleted here, or missing from a listing). */
  onGone(listener: (name: string) => void): void {
    this.gone.push(listener);
  }

  /** Called with each namespace deleted through this instance (its removal can be scheduled at once). */
  onDeleted(listener: (d: DeletedNamespace) => void): void {
    this.deleted.push(listener);
  }

  /**
   * deleteNamespace: tombstones the namespace in the store (durable before the answer, so a
   * crash after it resumes the removal), then forgets it here: from now on every operation on
   * it through this instance is NAMESPACE_NOT_FOUND. Its data is removed in the background
   * (remover.ts). An unknown name, or one already being deleted, is NAMESPACE_NOT_FOUND.
   */
  async delete(name: string): Promise<DeletedNamespace> {
    checkName('name', name);
    const d = { name, deletedAtMs: Date.now() };
    if (!(await this.store.markNamespaceDeleted(name, d.deletedAtMs))) throw namespaceNotFound(name);
    this.cache.delete(name);
    this.addedSince.delete(name);
    this.deletedSince.add(name);
    this.emitGone(name);
    for (const l of this.deleted) l(d);
    return d;
  }

  private emitGone(name: string): void {
    for (const l of this.gone) l(name);
  }

  /**
   * Creates the namespaces of a JSON file (an array of NamespaceInput) at start, and brings
   * existing ones to the file's settings (a field left out is the default), so a namespace's
   * settings can live in version control. A different mode stops the start. The same rules
   * as createNamespace/updateNamespace, but for one: `retentionSeconds` on a BEST_EFFORT entry
   * (which means nothing there, and was accepted before it was refused) is dropped with a
   * warning, so that a file that started the service before still does.
   */
  async loadFile(file: string, log: Pick<Logger, 'warn'> = { warn: () => {} }): Promise<void> {
    let defs: unknown;
    try {
      defs = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`COUNTER_NAMESPACES_FILE ${file}: ${(err as Error).message}`);
    }
    if (!Array.isArray(defs)) throw new Error(`COUNTER_NAMESPACES_FILE ${file}: expected a JSON array of namespaces`);
    for (const [i, d] of defs.entries()) {
      try {
        const def = d as NamespaceInputLike;
        if (def !== null && typeof def === 'object' && def.mode === 'BEST_EFFORT' && def.retentionSeconds != null) {
          log.warn({ file, entry: i, namespace: def.name }, 'COUNTER_NAMESPACES_FILE: retentionSeconds ignored on a BEST_EFFORT namespace (it keeps no events); remove it');
          const { retentionSeconds: _ignored, ...rest } = def;
          await this.apply(rest);
        } else {
          await this.apply(def);
        }
      } catch (err) {
        // A namespace of the file that is being deleted (its removal resumes after this start):
        // refusing the start would keep the removal from ever finishing.
        if (isBeingDeleted(err)) {
          log.warn({ file, entry: i, namespace: (d as NamespaceInputLike).name }, 'COUNTER_NAMESPACES_FILE: namespace is being deleted; not created (it will be at a start after its removal)');
          continue;
        }
        throw new Error(`COUNTER_NAMESPACES_FILE ${file}, entry ${i}: ${(err as Error).message}`);
      }
    }
  }

  /** The namespace, or NAMESPACE_NOT_FOUND. */
  async require(name: string): Promise<NamespaceConfig> {
    const ns = await this.find(name);
    if (!ns) throw namespaceNotFound(name);
    return ns;
  }

  /** Synchronous lookup of an already known namespace (hot paths that just had it). */
  cached(name: string): NamespaceConfig | undefined {
    return this.cache.get(name);
  }

  async find(name: string): Promise<NamespaceConfig | undefined> {
    const hit = this.cache.get(name);
    if (hit) return hit;
    checkName('namespace', name);
    const ns = await this.store.getNamespace(name);
    if (ns) this.remember(ns);
    return ns;
  }

  /**
   * Every namespace, sorted. The store is listed again when the last listing is older than
   * maxAgeMs (0: always, for the `namespaces` query), so background work such as the roll-up
   * sweeper, which runs every second, does not scan the namespaces table each time yet still
   * learns of namespaces created through other instances.
   */
  async list(maxAgeMs = 0): Promise<NamespaceConfig[]> {
    if (Date.now() - this.loadedAt >= maxAgeMs) await this.load();
    return [...this.cache.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates a namespace; the same settings again is a no-op, other settings NAMESPACE_CONFLICT. */
  async create(input: NamespaceInputLike): Promise<NamespaceConfig> {
    const wanted = normalizeNamespace(input);
    const stored = await this.store.createNamespace(wanted);
    if (!sameNamespaceSettings(stored, wanted)) {
      throw new CounterError(
        ErrorCode.NamespaceConflict,
        `namespace ${JSON.stringify(wanted.name)} exists with other settings (mode ${stored.mode}, ttlSeconds ${stored.ttlSeconds}, retentionSeconds ${stored.retentionSeconds}, acceptLimitMs ${stored.acceptLimitMs})`,
        { namespace: wanted.name },
      );
    }
    this.remember(stored);
    return stored;
  }

  private remember(ns: NamespaceConfig): void {
    this.cache.set(ns.name, ns);
    this.addedSince.add(ns.name);
    this.deletedSince.delete(ns.name);
  }

  /**
   * Changes the settings of an existing namespace: a field left out (undefined) keeps its
   * value; null for ttlSeconds removes the TTL. A mode given must be the namespace's own.
   */
  async update(input: NamespaceUpdateLike): Promise<NamespaceConfig> {
    checkName('name', input.name);
    const current = await this.store.getNamespace(input.name);
    if (!current) throw namespaceNotFound(input.name);
    if (input.mode != null && input.mode !== current.mode) throw modeConflict(current, input.mode);
    return this.replace(
      current,
      normalizeNamespace({
        name: current.name,
        mode: current.mode,
        ttlSeconds: input.ttlSeconds === undefined ? current.ttlSeconds : input.ttlSeconds,
        // BEST_EFFORT keeps no events: a retention given for one is refused, none is kept.
        retentionSeconds: current.mode === 'BEST_EFFORT' ? input.retentionSeconds : (input.retentionSeconds ?? current.retentionSeconds),
        acceptLimitMs: input.acceptLimitMs ?? current.acceptLimitMs,
      }),
    );
  }

  /** createNamespace, or, for an existing namespace of the same mode, its settings replaced by these. */
  private async apply(input: NamespaceInputLike): Promise<NamespaceConfig> {
    const wanted = normalizeNamespace(input);
    const current = await this.store.getNamespace(wanted.name);
    if (!current) return this.create(input);
    if (current.mode !== wanted.mode) throw modeConflict(current, wanted.mode);
    return this.replace(current, wanted);
  }

  private async replace(current: NamespaceConfig, wanted: NamespaceConfig): Promise<NamespaceConfig> {
    const stored = sameNamespaceSettings(current, wanted) ? current : await this.store.updateNamespace(wanted);
    if (!stored) throw namespaceNotFound(wanted.name);
    if (stored.mode !== wanted.mode) throw modeConflict(stored, wanted.mode);
    this.remember(stored);
    return stored;
  }
}

/** What updateNamespace takes: the name, and the settings to change. */
export interface NamespaceUpdateLike {
  name: string;
  mode?: NamespaceConfig['mode'] | null;
  ttlSeconds?: number | null;
  retentionSeconds?: number | null;
  acceptLimitMs?: number | null;
}

const modeConflict = (ns: NamespaceConfig, wanted: string): CounterError =>
  new CounterError(ErrorCode.NamespaceConflict, `namespace ${JSON.stringify(ns.name)} is ${ns.mode}; a namespace's mode cannot change (asked for ${wanted})`, {
    namespace: ns.name,
  });
