import { forbidden } from '../src/auth/errors';
import { can, canAny, type Level } from '../src/auth/principal';
import type { RequestContext } from './context';

/**
 * The one place resolvers ask access control. Every root field and entity reference calls
 * one of these before it touches anything, and checks scope before existence, so a caller
 * without the scope learns nothing about whether a namespace exists. Nested fields
 * (`Namespace.counter`, `Counter.count`, payloads) need no check of their own: they are only
 * reachable through a parent that was checked, and every level implies read.
 */

/** Throws FORBIDDEN unless the caller may act at `level` on `namespace` (or, without one, on every namespace). */
export function requireScope(ctx: Pick<RequestContext, 'principal'>, level: Level, namespace?: string): void {
  if (!can(ctx.principal, level, namespace)) throw forbidden(level, namespace);
}

/** Throws FORBIDDEN unless the caller may act at `level` on some namespace (fields spanning namespaces: namespaces, addCounts). */
export function requireAnyScope(ctx: Pick<RequestContext, 'principal'>, level: Level): void {
  if (!canAny(ctx.principal, level)) throw forbidden(level);
}

/** Whether the caller may act at `level` on `namespace`: for filtering (namespaces) and per-item refusals (addCounts). */
export const allowed = (ctx: Pick<RequestContext, 'principal'>, level: Level, namespace: string): boolean => can(ctx.principal, level, namespace);
