import cassandra from 'cassandra-driver';
import type { Logger } from '../../logger';
import { fnv1a } from './fnv1a';

const { types } = cassandra;

/** Microseconds per second: event times are µs, bucket sizes seconds. */
export const US_PER_S = 1_000_000;

/** The partitioning the data is written with (see ./schema.ts, table `settings`). */
export interface Layout {
  secondsPerBucket: number;
  bucketsPerId: number;
  pendingShards: number;
}

/**
 * The partitioning the data is written with: the first start fixes it (LWT), later
 * starts read it back and warn when the configuration asks for something else.
 */
export async function fixLayout(
  client: cassandra.Client,
  wanted: Layout,
  writeConsistency: number,
  log: Pick<Logger, 'warn'>,
): Promise<Layout> {
  const layout = { ...wanted };
  const keys = Object.keys(wanted) as (keyof Layout)[];
  // Every start after the first finds the settings with a plain read: no Paxos round, which
  // with a node down (or one just killed and not yet seen down) can time out and fail the start.
  const found = await client.execute(`SELECT name, value FROM settings WHERE name IN ?`, [keys], { prepare: true, isIdempotent: true, consistency: writeConsistency });
  const stored = new Map(found.rows.map((row) => [row['name'] as string, Number(row['value'])]));
  for (const key of keys) {
    const value = stored.get(key) ?? (await fixOne(client, key, wanted[key], writeConsistency));
    if (value !== wanted[key]) log.warn({ setting: key, configured: wanted[key], stored: value }, 'keeping the stored Cassandra layout setting');
    layout[key] = value;
  }
  return layout;
}

/** LWT attempts at fixing one setting: a timed-out one may have applied, and a rerun then reads it back. */
const FIX_ATTEMPTS = 5;

/** Writes a setting unless one is stored (LWT), and returns the stored value. */
async function fixOne(client: cassandra.Client, key: string, value: number, writeConsistency: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.execute(`INSERT INTO settings (name, value) VALUES (?, ?) IF NOT EXISTS`, [key, String(value)], {
        prepare: true,
        consistency: writeConsistency,
        serialConsistency: types.consistencies.localSerial,
        // Never retried by the driver: a second run could answer "not applied" for its own first,
        // which this loop handles by taking the stored value.
        isIdempotent: false,
      });
      const row = r.first();
      return row && row['[applied]'] === false ? Number(row['value']) : value;
    } catch (err) {
      if (attempt >= FIX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** The time bucket of an event time (part of the events partition key). */
export const timeBucket = (layout: Layout, timeUs: number): number => Math.floor(timeUs / (layout.secondsPerBucket * US_PER_S));

/** The event bucket of an event id: spreads a hot counter over bucketsPerId partitions per time bucket. */
export const eventBucket = (layout: Layout, eventId: string): number => fnv1a(eventId) % layout.bucketsPerId;

/** The pending-table shard of a counter (part of the pending partition key). */
export const pendingShard = (layout: Layout, counter: string): number => fnv1a(counter) % layout.pendingShards;

/**
 * One events partition of a counter, (time bucket, event bucket), as one number: the
 * elements of `rollups.partitions`, the partitions that may hold events after the checkpoint.
 */
export const partitionId = (layout: Layout, tb: number, eb: number): number => tb * layout.bucketsPerId + eb;

/** The (time bucket, event bucket) of a partitionId. */
export const partitionOf = (layout: Layout, id: number): [tb: number, eb: number] => [Math.floor(id / layout.bucketsPerId), id % layout.bucketsPerId];
