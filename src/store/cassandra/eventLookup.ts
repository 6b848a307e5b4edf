import cassandra from 'cassandra-driver';
import type { CounterEvent } from '../../model';
import { TurnGrouper } from './grouper';
import { eventBucket, timeBucket, type Layout } from './layout';
import { ReplicaGroups } from './replicas';
import type { CqlSession } from './session';
import { named } from './tracker';

/**
 * Bound on partitions x rows of one lookup: Cassandra looks every (time_us, event_id) named
 * up in every partition named (a cartesian product), so a lookup names at most 16 counters
 * and 16 keys.
 */
export const MAX_CELLS_PER_LOOKUP = 256;
const MAX_PER_LOOKUP = Math.floor(Math.sqrt(MAX_CELLS_PER_LOOKUP));

const LOOKUP = named(
  'applied lookup',
  'SELECT counter, time_us, event_id FROM events WHERE namespace = ? AND counter IN ? AND time_bucket = ? AND event_bucket = ? AND (time_us, event_id) IN ?',
);

/** One event looked for: its counter, time and id (split back from the grouper's string item). */
const item = (e: CounterEvent): string => `${e.name}\u0000${e.timeUs}\u0000${e.eventId}`;
function parse(it: string): { counter: string; timeUs: string; eventId: string } {
  const a = it.indexOf('\u0000');
  const b = it.indexOf('\u0000', a + 1);
  return { counter: it.slice(0, a), timeUs: it.slice(a + 1, b), eventId: it.slice(b + 1) };
}

/** Chunks of at most MAX_PER_LOOKUP events, those of one counter kept together (fewer partitions per lookup). */
export function lookupChunks(items: string[], max: number): string[][] {
  const sorted = [...items].sort();
  const out: string[][] = [];
  for (let i = 0; i < sorted.length; i += max) out.push(sorted.slice(i, i + max));
  return out;
}

/**
 * What `applied` is answered from when a client asks: the event row itself (its primary key
 * is the idempotency key). The lookups queued during one turn of the event loop (concurrent
 * requests, the items of a bulk request) are grouped by events partition shape (namespace,
 * time bucket, event bucket) and replica: one query (`counter IN ? AND (time_us, event_id)
 * IN ?`) answers up to 16 of them, where one per event would cost the node a request each.
 * LOCAL_QUORUM after LOCAL_QUORUM writes: a lookup sees every acknowledged write.
 */
export class EventLookup {
  private readonly lookups: TurnGrouper<{ namespace: string; tb: bigint; eb: number; routingKey: Buffer | undefined }, string, boolean>;
  private readonly replicas: ReplicaGroups;

  constructor(
    private readonly cql: CqlSession,
    private readonly layout: Layout,
  ) {
    this.replicas = new ReplicaGroups(cql.client);
    this.lookups = new TurnGrouper(
      async ({ namespace, tb, eb, routingKey }, items) => {
        const parsed = items.map(parse);
        const counters = [...new Set(parsed.map((p) => p.counter))];
        const keys = parsed.map((p) => new cassandra.types.Tuple(BigInt(p.timeUs), p.eventId));
        const r = await this.cql.read(LOOKUP, [namespace, counters, tb, eb, keys], routingKey ? { routingKey } : {}, 'urgent', counters.length);
        const found = new Set(r.rows.map((row) => `${row['counter'] as string}\u0000${String(row['time_us'])}\u0000${row['event_id'] as string}`));
        return items.map((it) => found.has(it));
      },
      MAX_PER_LOOKUP,
      lookupChunks,
    );
  }

  /** Whether the event's row is stored (it was written before: this write is a retry). */
  has(e: CounterEvent): Promise<boolean> {
    const tb = BigInt(timeBucket(this.layout, e.timeUs));
    const eb = eventBucket(this.layout, e.eventId);
    const { group, routingKey } = this.replicas.of([e.namespace, e.name, tb, eb]);
    return this.lookups.add(`${e.namespace}\u0000${tb}\u0000${eb}\u0000${group}`, { namespace: e.namespace, tb, eb, routingKey }, item(e));
  }
}
