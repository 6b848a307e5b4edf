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
  for (const key of Object.keys(wanted) as (keyof Layout)[]) {
    const r = await client.execute(`INSERT INTO settings (name, value) VALUES (?, ?) IF NOT EXISTS`, [key, String(wanted[key])], {
      prepare: true,
      consistency: writeConsistency,
      serialConsistency: types.consistencies.localSerial,
      // an LWT: a second run could answer "not applied" for its own first
      isIdempotent: false,
    });
    const row = r.first();
    if (row && row['[applied]'] === false) {
      const stored = Number(row['value']);
      if (stored !== wanted[key]) log.warn({ setting: key, configured: wanted[key], stored }, 'keeping the stored Cassandra layout setting');
      layout[key] = stored;
    }
  }
  return layout;
}

/** The time bucket of an event time (part of the events partition key). */
export const timeBucket = (layout: Layout, timeUs: number): number => Math.floor(timeUs / (layout.secondsPerBucket * US_PER_S));

/** The event bucket of an event id: spreads a hot counter over bucketsPerId partitions per time bucket. */
export const eventBucket = (layout: Layout, eventId: string): number => fnv1a(eventId) % layout.bucketsPerId;

/** Partitions of `event_keys` per namespace and second (fixed: a change only costs `applied` of retries in flight). */
export const KEY_SHARDS = 8;

/** The `event_keys` shard of an idempotency key (part of its partition key). */
export const keyShard = (key: string): number => fnv1a(key) % KEY_SHARDS;

/** The pending-table shard of a counter (part of the pending partition key). */
export const pendingShard = (layout: Layout, counter: string): number => fnv1a(counter) % layout.pendingShards;

/**
 * One events partition of a counter, (time bucket, event bucket), as one number: the
 * elements of `rollups.partitions`, the partitions that may hold events after the checkpoint.
 */
export const partitionId = (layout: Layout, tb: number, eb: number): number => tb * layout.bucketsPerId + eb;

/** The (time bucket, event bucket) of a partitionId. */
export const partitionOf = (layout: Layout, id: number): [tb: number, eb: number] => [Math.floor(id / layout.bucketsPerId), id % layout.bucketsPerId];
