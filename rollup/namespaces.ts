import type { NamespaceConfig } from '../src/model';

/**
 * How stale the namespace list of background work (sweeps, purges) may be: they run every
 * second, and listing namespaces is a full scan of their table on Cassandra, per instance.
 * Namespaces created through other instances are still picked up within this time.
 */
export const NAMESPACE_RELIST_MS = 30_000;

/**
 * What the roll-up needs of the namespace registry (src/namespaces/registry.ts): a lookup
 * by name and the cached list, re-read from the store once older than maxAgeMs.
 */
export interface NamespaceSource {
  find(name: string): Promise<NamespaceConfig | undefined>;
  list(maxAgeMs: number): Promise<NamespaceConfig[]>;
}

export type NamespaceLister = Pick<NamespaceSource, 'list'>;
