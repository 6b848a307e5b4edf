import type Database from 'better-sqlite3';

/** Sums past this are not worth a bound: the overflow guard's own edge is 2^62. */
const USEFUL_BELOW = 2 ** 62;

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * A bound on the magnitude of every counter's count in the file as it opens: the largest
 * checkpointed count, plus the magnitudes of every event in the buckets still marked (each
 * event past its counter's checkpoint is in one, see ./recovery.ts; a clear only lowers a
 * count's magnitude). Undefined when it would be of no use (past 2^62). The event sum is
 * taken as a double (SQLite's `total`, which never overflows): its rounding error is below
 * n x 2^-53 of the sum for n events, so a 2^-20 margin covers any file.
 */
export function openingCountBound(db: Database.Database): bigint | undefined {
  const c = db.prepare('SELECT max(count) AS hi, min(count) AS lo FROM rollups').safeIntegers(true).get() as { hi: bigint | null; lo: bigint | null };
  const top = [c.hi ?? 0n, c.lo ?? 0n].map(abs).reduce((a, b) => (a > b ? a : b));
  const { total } = db
    .prepare(
      `SELECT total(CASE WHEN e.delta < 0 THEN -CAST(e.delta AS REAL) ELSE e.delta END) AS total
       FROM marks m JOIN events e ON e.namespace = m.namespace AND e.bucket = m.bucket AND e.counter = m.counter`,
    )
    .get() as { total: number };
  if (!(total < USEFUL_BELOW) || top >= BigInt(USEFUL_BELOW)) return undefined;
  return top + BigInt(Math.ceil(total * (1 + 2 ** -20))) + 1n;
}
