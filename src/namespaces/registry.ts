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
   * Creates the namespaces of a JSON file (an array of NamespaceInput) at start. The same
   * rules as createNamespace, but for one: `retentionSeconds` on a BEST_EFFORT entry (which
   * means nothing there, and was accepted before it was refused) is dropped with a warning,
   * so that a file that started the service before still does.
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
          await this.create(rest);
        } else {
          await this.create(def);
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
}
