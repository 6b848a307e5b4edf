import { checkName } from '../validate';
import { higher, LEVELS, type Level } from './principal';

/**
 * The token's scopes as grants. `scope` is the OAuth 2.0 form (one space-separated string),
 * `scp` the form some identity providers use (an array of strings); each is read in either
 * form and both are joined. Only `counters:<level>` and `counters:<level>:<namespace>` mean
 * anything here; every other scope (another API's, a typo, a malformed namespace, a claim of
 * the wrong type) is ignored, never an error: a token is often shared by several APIs.
 */
export interface Grants {
  global: Level | undefined;
  namespaces: Map<string, Level>;
}

const PREFIX = 'counters:';

/** The scope that grants `level`, over every namespace or one. */
export const scopeName = (level: Level, namespace?: string): string => `${PREFIX}${level}${namespace === undefined ? '' : `:${namespace}`}`;

function strings(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ');
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string');
  return [];
}

const isName = (s: string): boolean => {
  try {
    checkName('namespace', s);
    return true;
  } catch {
    return false;
  }
};

/** Parses one scope: undefined when it is not one of ours or malformed. */
export function parseScope(scope: string): { level: Level; namespace?: string } | undefined {
  if (!scope.startsWith(PREFIX)) return undefined;
  const rest = scope.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  const level = (colon === -1 ? rest : rest.slice(0, colon)) as Level;
  if (!LEVELS.includes(level)) return undefined;
  if (colon === -1) return { level };
  // Namespace names may themselves contain ':' (counters:read:a:b is namespace "a:b").
  const namespace = rest.slice(colon + 1);
  return isName(namespace) ? { level, namespace } : undefined;
}

export function parseGrants(claims: { scope?: unknown; scp?: unknown }): Grants {
  const grants: Grants = { global: undefined, namespaces: new Map() };
  for (const s of [...strings(claims.scope), ...strings(claims.scp)]) {
    const g = parseScope(s);
    if (!g) continue;
    if (g.namespace === undefined) grants.global = higher(grants.global, g.level);
    else grants.namespaces.set(g.namespace, higher(grants.namespaces.get(g.namespace), g.level));
  }
  return grants;
}
