import type { CounterEvent } from '../../../../../src/model';
import { EventKeys } from '../../../../../src/store/cassandra/keys';
import type { CqlSession } from '../../../../../src/store/cassandra/session';

/** A session answering key lookups from a set of stored keys, recording each lookup. */
function fakeSession(stored: Set<string>) {
  const lookups: { params: unknown[]; lane: string }[] = [];
  const session = {
    read: jest.fn(async (_cql: string, params: unknown[], _extra: unknown, lane: string) => {
      lookups.push({ params, lane });
      const keys = params[3] as string[];
      return { rows: keys.filter((k) => stored.has(k)).map((key) => ({ key })) };
    }),
  } as unknown as CqlSession;
  return { session, lookups };
}

const event = (name: string, timeUs: number, eventId: string): CounterEvent => ({ namespace: 'ns', name, timeUs, eventId, clear: false, delta: 1n });

describe('EventKeys', () => {
  it('answers the lookups of one turn with one query per partition (namespace, second, shard), up to 100 keys each', async () => {
    const stored = new Set<string>();
    const { session, lookups } = fakeSession(stored);
    const keys = new EventKeys(session);
    const events = Array.from({ length: 1000 }, (_, i) => event(`c${i}`, 5_000_000 + i, `t${i}`));
    stored.add(keys.insert(events[7]!, 70)[1][3] as string);
    const found = await Promise.all(events.map((e) => keys.has(e)));
    expect(found.filter(Boolean)).toHaveLength(1);
    expect(found[7]).toBe(true);
    // one second, 8 shards: 1000 keys in 8 partitions, chunks of at most 100
    const partitions = new Set(lookups.map((l) => `${l.params[0]}/${l.params[1]}/${l.params[2]}`));
    expect(partitions.size).toBe(8);
    expect(lookups.every((l) => (l.params[3] as string[]).length <= 100 && l.lane === 'urgent')).toBe(true);
    expect(lookups.length).toBeLessThanOrEqual(8 + 1000 / 100);
  });

  it('keys an event by counter, time and id, in the partition of its second', async () => {
    const { session } = fakeSession(new Set());
    const keys = new EventKeys(session);
    const [cql, params] = keys.insert(event('a', 3_500_000, 'x'), 70);
    expect(cql).toMatch(/^INSERT INTO event_keys/);
    expect(params).toEqual(['ns', 3n, expect.any(Number), 'a\u00003500000\u0000x', 70]);
    expect(keys.insert(event('a', 3_500_001, 'x'), 70)[1][3]).not.toBe(params[3]);
  });

  it('fails the lookups of a failed query', async () => {
    const session = { read: jest.fn(async () => Promise.reject(new Error('down'))) } as unknown as CqlSession;
    const keys = new EventKeys(session);
    await expect(keys.has(event('a', 1, 'x'))).rejects.toThrow('down');
  });
});
