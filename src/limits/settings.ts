import type { Config } from '../config';
import { CounterError, ErrorCode } from '../errors';

/** The operation limits of the contract, each a setting (src/config.ts, README). */
export type Limits = Config['limits'];

/** The setting behind each limit: every refusal names it, so an operator knows what to raise. */
export const SETTING = {
  depth: 'LIMIT_DEPTH',
  aliases: 'LIMIT_ALIASES',
  countersNames: 'LIMIT_COUNTERS_NAMES',
  addCountsItems: 'LIMIT_ADDCOUNTS_ITEMS',
  cost: 'LIMIT_COST',
  tokens: 'LIMIT_TOKENS',
  jsonValues: 'LIMIT_JSON_VALUES',
  fields: 'LIMIT_FIELDS',
} as const satisfies Record<keyof Limits, string>;

/**
 * A refusal for a limit: BAD_USER_INPUT, its message naming the limit and its value ("query
 * depth 14 exceeds the limit of 10 (LIMIT_DEPTH)"), and machine-readable `limit` (the
 * setting), `max` and `actual` beside the code.
 */
export function limitError(limit: keyof Limits, max: number, subject: string, actual?: number): CounterError {
  return new CounterError(ErrorCode.BadUserInput, `${subject} exceeds the limit of ${max} (${SETTING[limit]})`, {
    limit: SETTING[limit],
    max,
    ...(actual !== undefined ? { actual } : {}),
  });
}

/**
 * The list arguments whose length the contract limits, by field coordinate. The same table
 * tells the cost estimator the actual size of these lists.
 */
export const SIZED_ARGUMENTS: Readonly<Record<string, SizedArgument>> = {
  'Query.counters': { argument: 'names', limit: 'countersNames', subject: (n) => `counters with ${n} names` },
  'Namespace.counters': { argument: 'names', limit: 'countersNames', subject: (n) => `counters with ${n} names` },
  'Mutation.addCounts': { argument: 'inputs', limit: 'addCountsItems', subject: (n) => `addCounts with ${n} items` },
  // No limit of its own (a router sends what its query plan needs), but its cost counts each one.
  'Query._entities': { argument: 'representations', subject: (n) => `_entities with ${n} representations` },
};

export interface SizedArgument {
  argument: string;
  limit?: keyof Limits;
  subject: (length: number) => string;
}
