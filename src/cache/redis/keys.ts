import type { CounterRef } from '../../model';

/**
 * Redis key naming shared by the Redis backends. A counter's part is length-prefixed
 * (`<nsLen>:<ns>:<name>`) so no namespace/name pair can collide with another, and wrapped in
 * a hash tag `{...}` so that a counter's value and its dedupe keys land in the same Redis
 * Cluster slot (a Lua script may only touch keys of one slot). Names never contain braces
 * (see validate.ts), so the tag is always the whole counter part.
 */
export const counterTag = (ref: CounterRef): string => `{${ref.namespace.length}:${ref.namespace}:${ref.name}}`;
