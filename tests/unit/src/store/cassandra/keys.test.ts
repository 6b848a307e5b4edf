import type { CounterEvent } from '../../../../../src/model';
import { EventKeys } from '../../../../../src/store/cassandra/keys';
import type { CqlSession } from '../../../../../src/store/cassandra/session';

/** A session answering key lookups from a set of stored keys, recording each lookup. */
function fakeSession(stored: Set<string>) {
  const lookups: { params: unknown[]; lane: string }[] = [];
  const session = {
    client: { hosts: { length: 1 } },
    read: jest.fn(async (_cql: string, params: unknown[], _extra: unknown, lane: string) => {
      lookups.push({ params, lane });
      const keys = params[3] as string[];
      return { rows: keys.filter((k) => stored.has(k)).map((key) => ({ key })) };
    }),
  } as unknown as CqlSession;
  return { session, lookups };
}

/** The shard a stored key was written to (the key insert's third parameter). */
const shardOf = (keys: EventKeys, key: string): number => {
  const [name, t, id] = key.split('\u0000');
  return keys.insert(event(name!, Number(t), id!), 1)[1][2] as number;
};

const event = (name: string, timeUs: number, eventId: string): CounterEvent => ({ namespace: 'ns', name, timeUs, eventId, clear: false, delta: 1n });

describe('EventKeys', () => {
  it('answers the lookups of one turn in few queries, each over the shards of its keys', async () => {
    const stored = new Set<string>();
    const { session, lookups } = fakeSession(stored);
    const keys = new EventKeys(session);
    const events = Array.from({ length: 1000 }, (_, i) => event(`c${i}`, 5_000_000 + i, `t${i}`));
    stored.add(keys.insert(events[7]!, 70)[1][3] as string);
    const found = await Promise.all(events.map((e) => keys.has(e)));
    expect(found.filter(Boolean)).toHaveLength(1);
    expect(found[7]).toBe(true);
    // one second (one node: one replica): each query names only the shards of its keys, a
    // shard with many keys gets queries of its own, the rest of several shards share one
    // within 256 shard x key lookups; every key is asked once
    const asked = lookups.flatMap((l) => l.params[3] as string[]);
    expect(new Set(asked).size).toBe(1000);
    expect(asked).toHaveLength(1000);
    for (const l of lookups) {
      expect(l.lane).toBe('urgent');
      expect(l.params.slice(0, 2)).toEqual(['ns', 5n]);
      const ks = l.params[3] as string[];
      const shards = l.params[2] as number[];
      expect(new Set(shards)).toEqual(new Set(ks.map((k) => shardOf(keys, k))));
      expect(ks.length).toBeLessThanOrEqual(100);
      if (shards.length > 1) expect(shards.length * ks.length).toBeLessThanOrEqual(256);
    }
    expect(lookups.length).toBeLessThanOrEqual(8 + 8);
  });

  it('answers a few keys of many shards with one query', async () => {
    const { session, lookups } = fakeSession(new Set());
    const keys = new EventKeys(session);
    await Promise.all(Array.from({ length: 12 }, (_, i) => keys.has(event(`c${i}`, 7_000_000 + i, `t${i}`))));
    expect(lookups).toHaveLength(1);
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
    const session = { client: { hosts: { length: 1 } }, read: jest.fn(async () => Promise.reject(new Error('down'))) } as unknown as CqlSession;
    const keys = new EventKeys(session);
    await expect(keys.has(event('a', 1, 'x'))).rejects.toThrow('down');
  });
});
