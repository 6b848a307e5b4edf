import { badInput, CounterError, ErrorCode, clip } from './errors';
import type { NamespaceConfig } from './model';

/**
 * Input rules of the contract that GraphQL's type system cannot express. Each refusal
 * names the field and the bad value, and is thrown before anything is written.
 */

const NAME = /^[A-Za-z0-9_\-.:/]{1,255}$/;

export function checkName(field: string, value: string): string {
  if (!NAME.test(value)) {
    throw badInput(
      `${field} must be 1..255 characters of letters, digits and _ - . : / (got ${JSON.stringify(clip(value))})`,
      { field },
    );
  }
  return value;
}

export function checkToken(token: string): string {
  if (token.length < 1 || token.length > 255) {
    throw badInput(`idempotencyToken.token must be 1..255 characters (got ${token.length})`, {
      field: 'idempotencyToken.token',
    });
  }
  return token;
}

/**
 * Refuses a generation time outside [now - acceptLimit, now + acceptLimit]. The lower bound
 * is what makes roll-up windows immutable; the upper bound stops a far-future token from
 * landing after every future checkpoint.
 */
export function checkGenerationTime(generationTime: Date, ns: NamespaceConfig, nowMs: number): void {
  const t = generationTime.getTime();
  if (t < nowMs - ns.acceptLimitMs || t > nowMs + ns.acceptLimitMs) {
    throw new CounterError(
      ErrorCode.IdempotencyTokenExpired,
      `idempotencyToken.generationTime ${generationTime.toISOString()} is more than ${ns.acceptLimitMs} ms from the server's time ${new Date(nowMs).toISOString()} (namespace ${ns.name} acceptLimitMs)`,
      { acceptLimitMs: ns.acceptLimitMs },
    );
  }
}

const MAX_INT32 = 2_147_483_647;
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
export const DEFAULT_ACCEPT_LIMIT_MS = 5000;
/** One hour: longer would keep roll-up windows open (and events un-checkpointed) for that long. */
export const MAX_ACCEPT_LIMIT_MS = 3_600_000;

export interface NamespaceInputLike {
  name: string;
  mode: NamespaceConfig['mode'];
  ttlSeconds?: number | null;
  retentionSeconds?: number | null;
  acceptLimitMs?: number | null;
}

/** Validates a namespace definition and fills in the contract's defaults. */
export function normalizeNamespace(input: NamespaceInputLike): NamespaceConfig {
  checkName('name', input.name);
  const ttl = input.ttlSeconds ?? null;
  if (ttl !== null) {
    if (input.mode !== 'BEST_EFFORT') {
      throw badInput(`ttlSeconds applies to BEST_EFFORT namespaces only (mode is ${input.mode})`, { field: 'ttlSeconds' });
    }
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_INT32) {
      throw badInput(`ttlSeconds must be an integer in 1..${MAX_INT32} or null (got ${ttl})`, { field: 'ttlSeconds' });
    }
  }
  // Each mode's own setting only: a BEST_EFFORT namespace keeps no events to retain (and a
  // durable one has no TTL, above). Refused rather than ignored, so that nobody believes it
  // holds. Its retentionSeconds (a required output field) reads as the default.
  if (input.mode === 'BEST_EFFORT' && input.retentionSeconds != null) {
    throw badInput(`retentionSeconds applies to EVENTUAL and ACCURATE namespaces only (mode is BEST_EFFORT: it keeps no events)`, {
      field: 'retentionSeconds',
    });
  }
  const retention = input.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  if (!Number.isInteger(retention) || retention < 60 || retention > MAX_INT32) {
    throw badInput(`retentionSeconds must be an integer in 60..${MAX_INT32} (got ${retention})`, { field: 'retentionSeconds' });
  }
  const accept = input.acceptLimitMs ?? DEFAULT_ACCEPT_LIMIT_MS;
  if (!Number.isInteger(accept) || accept < 1 || accept > MAX_ACCEPT_LIMIT_MS) {
    throw badInput(`acceptLimitMs must be an integer in 1..${MAX_ACCEPT_LIMIT_MS} (got ${accept})`, { field: 'acceptLimitMs' });
  }
  return { name: input.name, mode: input.mode, ttlSeconds: ttl, retentionSeconds: retention, acceptLimitMs: accept };
}

/**
 * Whether two definitions mean the same. A BEST_EFFORT namespace's retentionSeconds means
 * nothing and is not compared: one stored before it was refused keeps whatever it was given.
 */
export const sameNamespaceSettings = (a: NamespaceConfig, b: NamespaceConfig): boolean =>
  a.mode === b.mode &&
  a.ttlSeconds === b.ttlSeconds &&
  (a.mode === 'BEST_EFFORT' || a.retentionSeconds === b.retentionSeconds) &&
  a.acceptLimitMs === b.acceptLimitMs;
