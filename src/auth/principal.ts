/**
 * Who is calling, as far as access control cares: the levels a token grants, over every
 * namespace or over one, and when those credentials stop being valid. `can` is the one
 * decision every check makes (resolvers/access.ts), pure so it is tested alone.
 */

/** admin implies write, write implies read. */
export type Level = 'read' | 'write' | 'admin';

const RANK: Readonly<Record<Level, number>> = { read: 1, write: 2, admin: 3 };

export const LEVELS: readonly Level[] = ['read', 'write', 'admin'];

export interface Principal {
  /** The token's `sub`, for logs only; undefined when access control is off or the token has none. */
  readonly subject: string | undefined;
  /** The highest level granted over every namespace (`counters:<level>`), if any. */
  readonly global: Level | undefined;
  /** The highest level granted per namespace (`counters:<level>:<namespace>`). */
  readonly namespaces: ReadonlyMap<string, Level>;
  /** When the credentials stop being valid (exp plus the clock tolerance), ms since the epoch; undefined: never. */
  readonly expiresAtMs: number | undefined;
}

/** Access control off: every caller may read, write and administer, and never expires. */
export const OPEN: Principal = Object.freeze({ subject: undefined, global: 'admin', namespaces: new Map(), expiresAtMs: undefined });

export const atLeast = (granted: Level | undefined, needed: Level): boolean => granted !== undefined && RANK[granted] >= RANK[needed];

/** The higher of two levels (either may be missing). */
export const higher = (a: Level | undefined, b: Level): Level => (a !== undefined && RANK[a] >= RANK[b] ? a : b);

/**
 * May `principal` act at `level` on `namespace`? Without a namespace, only a grant over every
 * namespace counts (an operation that is not about one namespace, such as /metrics).
 */
export function can(principal: Principal, level: Level, namespace?: string): boolean {
  if (atLeast(principal.global, level)) return true;
  return namespace !== undefined && atLeast(principal.namespaces.get(namespace), level);
}

/** May `principal` act at `level` on at least one namespace (the entry check of a field that spans namespaces)? */
export function canAny(principal: Principal, level: Level): boolean {
  if (atLeast(principal.global, level)) return true;
  for (const granted of principal.namespaces.values()) if (atLeast(granted, level)) return true;
  return false;
}

/** Have the credentials run out at `nowMs`? */
export const expired = (principal: Principal, nowMs: number): boolean => principal.expiresAtMs !== undefined && nowMs >= principal.expiresAtMs;

const scopeKeys = new WeakMap<Principal, string>();

/**
 * What a principal may do, as a string: equal for two principals with the same grants
 * (whoever they are and whenever they expire). Results that depend on the caller only
 * through its grants may be shared by callers with the same key (src/http/wsFanOut.ts).
 */
export function scopeKey(principal: Principal): string {
  let key = scopeKeys.get(principal);
  if (key === undefined) {
    const each = [...principal.namespaces].map(([ns, level]) => `${JSON.stringify(ns)}:${level}`).sort();
    key = `${principal.global ?? '-'}|${each.join(',')}`;
    scopeKeys.set(principal, key);
  }
  return key;
}
