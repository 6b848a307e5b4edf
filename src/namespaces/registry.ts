import fs from 'node:fs';
import { CounterError, ErrorCode, namespaceNotFound } from '../errors';
import type { Logger } from '../logger';
import type { NamespaceConfig } from '../model';
import type { NamespaceStore } from '../store/types';
import { checkName, normalizeNamespace, sameNamespaceSettings, type NamespaceInputLike } from '../validate';

/**
 * The control plane: namespace definitions, kept in the store and cached in memory (they
 * are read on every operation and change rarely). A name missing from the cache is looked
 * up in the store once, so a namespace created through another instance is seen at once.
 */
export class NamespaceRegistry {
  private readonly cache = new Map<string, NamespaceConfig>();
  private loadedAt = 0;

  constructor(private readonly store: NamespaceStore) {}

  async load(): Promise<void> {
    const started = Date.now();
    for (const ns of await this.store.listNamespaces()) this.cache.set(ns.name, ns);
    this.loadedAt = started;
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
    if (ns) this.cache.set(name, ns);
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
    this.cache.set(stored.name, stored);
    return stored;
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
    this.cache.set(stored.name, stored);
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
