import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EmbeddedStore } from '../../src/store/embedded/embeddedStore';
import { MIGRATIONS } from '../../src/store/embedded/schema';
import { tempDir } from './helpers/server';

const S = 1_000_000;
const NS = { name: 'm', mode: 'EVENTUAL' as const, ttlSeconds: null, retentionSeconds: 86_400, acceptLimitMs: 5000 };
const file = (dir: string): string => path.join(dir, 'counters.sqlite3');
const rows = (dir: string, sql: string): unknown[] => {
  const db = new Database(file(dir), { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
};
const exact = async (store: EmbeddedStore, name: string): Promise<bigint> => {
  const [s] = await store.readSnapshots({ refs: [{ namespace: 'm', name }], settleUs: 0 });
  return s!.checkpoint.count + s!.settled.sum + s!.tail.sum;
};
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('embedded (SQLite): events by time bucket and the marks', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir('store-marks-');
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const T0 = Math.floor(Date.now() / 1000) * S - 3600 * S;
  const add = (name: string, timeUs: number, delta: bigint, eventId = `${name}@${timeUs}`) => ({ namespace: 'm', name, timeUs, eventId, clear: false, delta });

  it('migrates a database of schema step 2: events re-keyed, pending counters found, retries still duplicates', async () => {
    const d = dir();
    fs.mkdirSync(d, { recursive: true });
    const old = new Database(file(d));
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    old.prepare('INSERT INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at) VALUES (?, ?, ?, ?, ?, ?)').run('m', 'EVENTUAL', null, 86_400, 5000, Date.now());
    const ev = old.prepare('INSERT INTO events (namespace, counter, time_us, event_id, clear, delta) VALUES (?, ?, ?, ?, 0, ?)');
    const ru = old.prepare('INSERT INTO rollups (namespace, counter, count, checkpoint_us, last_write_us) VALUES (?, ?, ?, ?, ?)');
    // p: checkpointed at T0+1s, one event after it; q: caught up.
    ev.run('m', 'p', T0 + 1 * S, 'p1', 5);
    ev.run('m', 'p', T0 + 2 * S + 7, 'p2', 7);
    ru.run('m', 'p', 5, T0 + 1 * S, T0 + 2 * S + 7);
    ev.run('m', 'q', T0 + 1 * S, 'q1', 3);
    ru.run('m', 'q', 3, T0 + 1 * S, T0 + 1 * S);
    old.close();

    const store = new EmbeddedStore(d, 'NORMAL');
    try {
      expect(rows(d, 'SELECT counter, bucket, time_us FROM events ORDER BY counter, time_us')).toEqual([
        { counter: 'p', bucket: T0 / S + 1, time_us: T0 + 1 * S },
        { counter: 'p', bucket: T0 / S + 2, time_us: T0 + 2 * S + 7 },
        { counter: 'q', bucket: T0 / S + 1, time_us: T0 + 1 * S },
      ]);
      expect(rows(d, 'SELECT counter, bucket FROM marks')).toEqual([{ counter: 'p', bucket: T0 / S + 2 }]);
      expect(await store.listPending({ namespace: 'm', upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([{ namespace: 'm', name: 'p' }]);
      const [p, q] = await store.readSnapshots({ refs: [{ namespace: 'm', name: 'p' }, { namespace: 'm', name: 'q' }], settleUs: 0 });
      expect(p!.checkpoint).toEqual({ count: 5n, checkpointUs: T0 + 1 * S, lastWriteUs: T0 + 2 * S + 7 });
      expect(p!.tail).toEqual({ clearUs: null, sum: 7n, events: 1 });
      expect(q!.checkpoint.lastWriteUs).toBe(T0 + 1 * S);
      expect(q!.tail.events).toBe(0);
      expect(await store.append([add('p', T0 + 2 * S + 7, 7n, 'p2')])).toEqual([{ applied: false }]);
    } finally {
      await store.close();
    }
  });

  it('a store opened on the file after a crash finds every counter with events past its checkpoint, and only the buckets after it', async () => {
    const d = dir();
    const first = new EmbeddedStore(d, 'FULL');
    await first.createNamespace(NS);
    // x over three buckets, y in one, z caught up by its checkpoint.
    await first.append([add('x', T0 + 1 * S, 1n), add('x', T0 + 5 * S, 2n), add('x', T0 + 9 * S, 4n), add('y', T0 + 5 * S + 1, 8n), add('z', T0 + 2 * S, 16n)]);
    await first.writeCheckpoints([
      { ref: { namespace: 'm', name: 'x' }, count: 1n, checkpointUs: T0 + 2 * S },
      { ref: { namespace: 'm', name: 'z' }, count: 16n, checkpointUs: T0 + 3 * S },
    ]);
    // The marks below every window (x's bucket 1, z's) go in the background.
    await until(() => rows(d, 'SELECT counter, bucket FROM marks ORDER BY bucket, counter').length === 3);
    expect(rows(d, 'SELECT counter, bucket - ? AS b FROM marks ORDER BY bucket, counter'.replace('?', String(T0 / S)))).toEqual([
      { counter: 'x', b: 5 },
      { counter: 'y', b: 5 },
      { counter: 'x', b: 9 },
    ]);
    // The first store is never closed, as after a SIGKILL: the second reads only the file.
    const second = new EmbeddedStore(d, 'FULL');
    try {
      expect(await second.listPending({ namespace: 'm', upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([
        { namespace: 'm', name: 'y' },
        { namespace: 'm', name: 'x' },
      ]);
      expect(await exact(second, 'x')).toBe(7n);
      expect(await exact(second, 'y')).toBe(8n);
      expect(await exact(second, 'z')).toBe(16n);
      const [x] = await second.readSnapshots({ refs: [{ namespace: 'm', name: 'x' }], settleUs: T0 + 6 * S, background: true });
      expect(x!.settled).toEqual({ clearUs: null, sum: 2n, events: 1 });
      expect(x!.tail).toEqual({ clearUs: null, sum: 4n, events: 1 });
      expect(x!.checkpoint.lastWriteUs).toBe(T0 + 9 * S);
      expect(await second.append([add('x', T0 + 5 * S, 2n)])).toEqual([{ applied: false }]);
      // Rolled up whole: nothing pending, every mark obsolete and purged.
      await second.writeCheckpoints([
        { ref: { namespace: 'm', name: 'x' }, count: 7n, checkpointUs: T0 + 10 * S },
        { ref: { namespace: 'm', name: 'y' }, count: 8n, checkpointUs: T0 + 10 * S },
      ]);
      expect(await second.listPending({ namespace: 'm', upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([]);
      await until(() => rows(d, 'SELECT * FROM marks').length === 0);
      expect(await exact(second, 'x')).toBe(7n);
      // The retention purge walks the expired buckets and drops what the checkpoints cover.
      const { deleted } = await second.purge({ namespace: NS, beforeUs: T0 + 6 * S });
      expect(deleted).toBe(4);
      expect(rows(d, 'SELECT counter, time_us - ? AS t FROM events ORDER BY time_us'.replace('?', String(T0)))).toEqual([{ counter: 'x', t: 9 * S }]);
      expect(await exact(second, 'x')).toBe(7n);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('a window across buckets reads a clear in an older bucket and the adds after it in newer ones', async () => {
    const d = dir();
    const store = new EmbeddedStore(d, 'NORMAL');
    try {
      await store.createNamespace(NS);
      await store.append([add('c', T0 + 1 * S, 100n), { ...add('c', T0 + 2 * S, 0n), clear: true }, add('c', T0 + 2 * S + 5, 1n), add('c', T0 + 4 * S, 2n), add('c', T0 + 7 * S, 4n)]);
      const [s] = await store.readSnapshots({ refs: [{ namespace: 'm', name: 'c' }], settleUs: T0 + 5 * S });
      expect(s!.settled).toEqual({ clearUs: T0 + 2 * S, sum: 3n, events: 3 });
      expect(s!.tail).toEqual({ clearUs: null, sum: 4n, events: 1 });
    } finally {
      await store.close();
    }
  });

  it('opens with a bound on every count: the largest checkpoint plus the magnitudes of the events still marked', async () => {
    const d = dir();
    const first = new EmbeddedStore(d, 'NORMAL');
    try {
      expect(first.countBound).toBe(1n); // an empty file: nothing but the rounding margin
      await first.createNamespace(NS);
      await first.append([add('a', T0 + 1 * S, 40n), add('a', T0 + 2 * S, -60n), add('b', T0 + 1 * S, 7n)]);
      await first.writeCheckpoints([{ ref: { namespace: 'm', name: 'b' }, count: -300n, checkpointUs: T0 + 10 * S }]);
    } finally {
      await first.close();
    }
    const second = new EmbeddedStore(d, 'NORMAL');
    try {
      // b's checkpoint (|-300|) plus a's events (40 + 60) and b's 7 while its mark is kept
      // (until a purge): at or above |a| = 20 and |b| = 300 in any case.
      expect(second.countBound).toBeGreaterThanOrEqual(300n + 100n);
      expect(second.countBound).toBeLessThanOrEqual(300n + 107n + 2n); // + the rounding margin
    } finally {
      await second.close();
    }
  });
});
