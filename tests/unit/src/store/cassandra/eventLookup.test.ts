import type { CounterEvent } from '../../../../../src/model';
import { EventLookup, MAX_CELLS_PER_LOOKUP } from '../../../../../src/store/cassandra/eventLookup';
import { eventBucket, timeBucket, type Layout } from '../../../../../src/store/cassandra/layout';
import type { CqlSession } from '../../../../../src/store/cassandra/session';

const layout: Layout = { secondsPerBucket: 600, bucketsPerId: 4, pendingShards: 16 };
const S = 1_000_000;
const event = (name: string, timeUs: number, eventId: string): CounterEvent => ({ namespace: 'ns', name, timeUs, eventId, clear: false, delta: 1n });

/** A session answering lookups from stored events (the rows the query's restrictions select), recording each query. */
function fakeSession(stored: CounterEvent[]) {
  const queries: { params: unknown[]; lane: string; partitions: number }[] = [];
  const session = {
    client: { hosts: { length: 1 } },
    read: jest.fn(async (_cql: string, params: unknown[], _extra: unknown, lane: string, partitions: number) => {
      queries.push({ params, lane, partitions });
      const [ns, counters, tb, eb, keys] = params as [string, string[], bigint, number, { elements: [bigint, string] }[]];
      const rows = stored
        .filter((e) => e.namespace === ns && counters.includes(e.name) && BigInt(timeBucket(layout, e.timeUs)) === tb && eventBucket(layout, e.eventId) === eb)
        .filter((e) => keys.some((k) => k.elements[0] === BigInt(e.timeUs) && k.elements[1] === e.eventId))
        .map((e) => ({ counter: e.name, time_us: BigInt(e.timeUs), event_id: e.eventId }));
      return { rows };
    }),
  } as unknown as CqlSession;
  return { session, queries };
}

describe('EventLookup', () => {
  it('answers the lookups of one turn in few queries, each within 16 counters x 16 keys of one events partition shape', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => event(`c${i % 300}`, 5 * S + i, `t${i}`));
    const { session, queries } = fakeSession([events[7]!, events[500]!]);
    const lookup = new EventLookup(session, layout);
    const found = await Promise.all(events.map((e) => lookup.has(e)));
    expect(found.map((f, i) => (f ? i : -1)).filter((i) => i >= 0)).toEqual([7, 500]);
    // every event asked once, in the query of its own time bucket and event bucket
    const asked = queries.flatMap((q) => (q.params[4] as { elements: [bigint, string] }[]).map((k) => k.elements[1]));
    expect(asked.sort()).toEqual(events.map((e) => e.eventId).sort());
    for (const q of queries) {
      expect(q.lane).toBe('urgent');
      const counters = q.params[1] as string[];
      const keys = q.params[4] as unknown[];
      expect(counters.length * keys.length).toBeLessThanOrEqual(MAX_CELLS_PER_LOOKUP);
      expect(q.partitions).toBe(counters.length);
    }
    // 4 event buckets of one time bucket, ~250 events each: 16 per query
    expect(queries.length).toBeLessThanOrEqual(4 * Math.ceil(260 / 16));
  });

  it('keeps events of another time bucket or namespace apart', async () => {
    const { session, queries } = fakeSession([]);
    const lookup = new EventLookup(session, layout);
    const a = event('c', 5 * S, 'x');
    const b = { ...event('c', 5 * S + 600 * S, 'x') };
    const c = { ...event('c', 5 * S, 'x'), namespace: 'other' };
    expect(await Promise.all([a, b, c].map((e) => lookup.has(e)))).toEqual([false, false, false]);
    expect(queries).toHaveLength(3);
  });

  it('rejects only the lookups of a failed query', async () => {
    const { session } = fakeSession([]);
    (session.read as jest.Mock).mockRejectedValueOnce(new Error('timeout'));
    const lookup = new EventLookup(session, layout);
    const first = lookup.has(event('c', 5 * S, 'a'));
    const other = lookup.has({ ...event('c', 5 * S, 'b'), namespace: 'n2' });
    await expect(first).rejects.toThrow('timeout');
    await expect(other).resolves.toBe(false);
  });
});
