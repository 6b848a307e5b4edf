import { INT64_MAX, INT64_MIN, type CounterEvent, type CounterRef, type NamespaceConfig } from '../../../src/model';
import type { Store, WindowSummary } from '../../../src/store/types';

/**
 * The rules every Store implementation follows (embedded SQLite, Cassandra): the counter
 * service and the roll-up rely on exactly these. `open` returns a store on one shared
 * backing (same directory / keyspace) each time it is called, so a second `open` sees what
 * the first one wrote, as a restarted or second instance would.
 */
export interface StoreFactory {
  open(): Promise<Store>;
  /** Removes the backing (directory, keyspace) after the suite. */
  cleanup(): Promise<void>;
}

const EMPTY: WindowSummary = { clearUs: null, sum: 0n, events: 0 };
const S = 1_000_000; // one second in µs

let seq = 0;
let tok = 0;

export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`${name}: Store`, () => {
    let store: Store;
    const ns = `ns${Date.now().toString(36)}`;
    // An hour ago, on a whole second: every event time below is relative to it.
    const T0 = Math.floor(Date.now() / 1000) * S - 3600 * S;
    const ref = (namespace = ns): CounterRef => ({ namespace, name: `c${seq++}` });
    const add = (r: CounterRef, timeUs: number, delta: bigint, eventId = `t${tok++}`): CounterEvent => ({
      ...r,
      timeUs,
      eventId,
      clear: false,
      delta,
    });
    const clear = (r: CounterRef, timeUs: number, eventId = `t${tok++}`): CounterEvent => ({ ...r, timeUs, eventId, clear: true, delta: 0n });

    beforeAll(async () => {
      store = await factory.open();
      await store.createNamespace({ name: ns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 7 * 86400, acceptLimitMs: 5000 });
    });
    afterAll(async () => {
      await store?.close();
      await factory.cleanup();
    });

    describe('namespaces', () => {
      it('creates, gets and lists namespaces; the existing one wins', async () => {
        const a: NamespaceConfig = { name: `${ns}-b`, mode: 'ACCURATE', ttlSeconds: null, retentionSeconds: 3600, acceptLimitMs: 2000 };
        const b: NamespaceConfig = { name: `${ns}-a`, mode: 'BEST_EFFORT', ttlSeconds: 60, retentionSeconds: 86400, acceptLimitMs: 5000 };
        expect(await store.getNamespace(a.name)).toBeUndefined();
        expect(await store.createNamespace(a)).toEqual(a);
        expect(await store.createNamespace(b)).toEqual(b);
        expect(await store.getNamespace(a.name)).toEqual(a);
        expect(await store.createNamespace({ ...a, mode: 'EVENTUAL', retentionSeconds: 10 })).toEqual(a);
        expect(await store.getNamespace(a.name)).toEqual(a);
        const listed = (await store.listNamespaces()).filter((n) => n.name.startsWith(ns));
        expect(listed.map((n) => n.name)).toEqual([ns, b.name, a.name].sort());
        expect(listed.find((n) => n.name === b.name)).toEqual(b);
      });

      it('updates a namespace of the same mode; another mode or an unknown name changes nothing', async () => {
        const a: NamespaceConfig = { name: `${ns}-u`, mode: 'BEST_EFFORT', ttlSeconds: 60, retentionSeconds: 3600, acceptLimitMs: 2000 };
        await store.createNamespace(a);
        const changed = { ...a, ttlSeconds: null, retentionSeconds: 7200, acceptLimitMs: 9000 };
        expect(await store.updateNamespace(changed)).toEqual(changed);
        expect(await store.getNamespace(a.name)).toEqual(changed);
        expect((await store.listNamespaces()).find((n) => n.name === a.name)).toEqual(changed);
        expect(await store.updateNamespace({ ...changed, mode: 'EVENTUAL', ttlSeconds: null, acceptLimitMs: 1 })).toEqual(changed);
        expect(await store.getNamespace(a.name)).toEqual(changed);
        expect(await store.updateNamespace({ ...a, name: `${ns}-absent` })).toBeUndefined();
        expect(await store.getNamespace(`${ns}-absent`)).toBeUndefined();
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('append and readSnapshots', () => {
      it('reads a never-written counter as zero, with nothing to scan', async () => {
        const [s] = await store.readSnapshots({ refs: [ref()], settleUs: T0 });
        expect(s).toEqual({ checkpoint: { count: 0n, checkpointUs: 0, lastWriteUs: 0 }, settled: EMPTY, tail: EMPTY, settleUs: T0 });
      });

      it('splits events into the settled window and the live tail, and tracks the newest write', async () => {
        const r = ref();
        const res = await store.append([add(r, T0 + 1 * S, 5n), add(r, T0 + 3 * S, 7n), add(r, T0 + 2 * S, -2n)]);
        expect(res).toEqual([{ applied: true }, { applied: true }, { applied: true }]);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 2 * S });
        expect(s!.checkpoint).toEqual({ count: 0n, checkpointUs: 0, lastWriteUs: T0 + 3 * S });
        expect(s!.settled).toEqual({ clearUs: null, sum: 3n, events: 2 });
        expect(s!.tail).toEqual({ clearUs: null, sum: 7n, events: 1 });
        // settleUs before every event: all of it is tail
        const [early] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(early!.settled).toEqual(EMPTY);
        expect(early!.tail).toEqual({ clearUs: null, sum: 10n, events: 3 });
      });

      it('is idempotent on (namespace, counter, time, eventId): a retry is not applied and changes nothing', async () => {
        const r = ref();
        const e = add(r, T0 + S, 4n, 'same-token');
        expect(await store.append([e])).toEqual([{ applied: true }]);
        expect(await store.append([e])).toEqual([{ applied: false }]);
        expect(await store.append([{ ...e, delta: 100n }])).toEqual([{ applied: false }]);
        // same token at another time, or on another counter, is another event
        expect(await store.append([{ ...e, timeUs: T0 + 2 * S }, { ...e, name: `${r.name}x` }])).toEqual([
          { applied: true },
          { applied: true },
        ]);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(s!.tail).toEqual({ clearUs: null, sum: 8n, events: 2 });
      });

      it('applies a key once when one append carries it twice, or concurrent appends race on it', async () => {
        const r = ref();
        const e = add(r, T0 + S, 1n);
        expect(await store.append([e, e])).toEqual([{ applied: true }, { applied: false }]);
        const f = add(r, T0 + 2 * S, 1n);
        const results = await Promise.all(Array.from({ length: 8 }, () => store.append([f])));
        expect(results.flat().filter((x) => x.applied)).toHaveLength(1);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(s!.tail.sum).toBe(2n);
      });

      it('answers many counters in input order, including unknown ones', async () => {
        const refs = [ref(), ref(), ref()];
        await store.append([add(refs[2]!, T0 + S, 3n), add(refs[0]!, T0 + S, 1n)]);
        const snaps = await store.readSnapshots({ refs: [refs[0]!, refs[1]!, refs[2]!, refs[0]!], settleUs: T0 });
        expect(snaps.map((s) => s.tail.sum)).toEqual([1n, 0n, 3n, 1n]);
        expect(snaps[1]!.checkpoint.lastWriteUs).toBe(0);
      });

      it('keeps 64-bit deltas exact, also when a window sums past the range and back', async () => {
        const r = ref();
        await store.append([add(r, T0 + S, INT64_MAX), add(r, T0 + 2 * S, INT64_MAX), add(r, T0 + 3 * S, INT64_MIN), add(r, T0 + 4 * S, INT64_MIN)]);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(s!.tail).toEqual({ clearUs: null, sum: -2n, events: 4 });
        const big = ref();
        await store.append([add(big, T0 + S, 9007199254740993n)]);
        const [b] = await store.readSnapshots({ refs: [big], settleUs: T0 });
        expect(b!.tail.sum).toBe(9007199254740993n);
      });

      it('reduces clears: the newest clear zeroes every add at or before it', async () => {
        const r = ref();
        await store.append([
          add(r, T0 + 1 * S, 100n),
          clear(r, T0 + 2 * S),
          add(r, T0 + 3 * S, 10n),
          add(r, T0 + 5 * S, 20n), // same µs as the newest clear: zeroed by it
          clear(r, T0 + 5 * S),
          add(r, T0 + 6 * S, 1n),
          add(r, T0 + 8 * S, 2n),
        ]);
        const [all] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(all!.tail).toEqual({ clearUs: T0 + 5 * S, sum: 3n, events: 3 });
        const [mid] = await store.readSnapshots({ refs: [r], settleUs: T0 + 4 * S });
        expect(mid!.settled).toEqual({ clearUs: T0 + 2 * S, sum: 10n, events: 2 });
        expect(mid!.tail).toEqual({ clearUs: T0 + 5 * S, sum: 3n, events: 3 });
        const [late] = await store.readSnapshots({ refs: [r], settleUs: T0 + 7 * S });
        expect(late!.settled).toEqual({ clearUs: T0 + 5 * S, sum: 1n, events: 2 });
        expect(late!.tail).toEqual({ clearUs: null, sum: 2n, events: 1 });
      });

      it('finds events spread over hours and many time buckets', async () => {
        const r = ref();
        const times = [0, 599, 600, 1201, 1800, 3599].map((sec) => T0 + sec * S + 123);
        await store.append(times.map((t, i) => add(r, t, BigInt(i + 1))));
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 1200 * S });
        expect(s!.settled).toEqual({ clearUs: null, sum: 6n, events: 3 });
        expect(s!.tail).toEqual({ clearUs: null, sum: 15n, events: 3 });
        expect(s!.checkpoint.lastWriteUs).toBe(T0 + 3599 * S + 123);
      });

      it('keeps a hot counter exact under many concurrent appends in any time order', async () => {
        const hns = `${ns}-h`;
        const r = ref(hns);
        const times = Array.from({ length: 300 }, (_, i) => T0 + (i % 37) * 1000 + Math.floor(i / 37));
        times.sort(() => Math.random() - 0.5);
        const results = await Promise.all(times.map((t, i) => store.append([add(r, t, BigInt(i + 1))])));
        expect(results.flat().every((x) => x.applied)).toBe(true);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 - 1 });
        expect(s!.tail).toEqual({ clearUs: null, sum: BigInt((300 * 301) / 2), events: 300 });
        expect(s!.checkpoint.lastWriteUs).toBe(Math.max(...times));
        expect(await store.listPending({ namespace: hns, upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([r]);
        // a checkpoint before the newest write keeps it pending; one at it releases it
        await store.writeCheckpoints([{ ref: r, count: 1n, checkpointUs: Math.max(...times) - 1 }]);
        expect(await store.listPending({ namespace: hns, upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([r]);
        await store.writeCheckpoints([{ ref: r, count: 1n, checkpointUs: Math.max(...times) }]);
        expect(await store.listPending({ namespace: hns, upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([]);
      });

      it('keeps counters of look-alike names and other namespaces apart', async () => {
        const other = `${ns}-o`;
        await store.createNamespace({ name: other, mode: 'ACCURATE', ttlSeconds: null, retentionSeconds: 3600, acceptLimitMs: 5000 });
        const a = { namespace: ns, name: 'x:y' };
        const b = { namespace: other, name: 'x:y' };
        await store.append([add(a, T0 + S, 1n), add(b, T0 + S, 2n)]);
        const snaps = await store.readSnapshots({ refs: [a, b], settleUs: T0 });
        expect(snaps.map((s) => s.tail.sum)).toEqual([1n, 2n]);
      });
    });

    describe('checkpoints', () => {
      it('moves a checkpoint forward, never back, and reads only events after it', async () => {
        const r = ref();
        await store.append([add(r, T0 + 1 * S, 1n), add(r, T0 + 2 * S, 2n), add(r, T0 + 3 * S, 4n)]);
        await store.writeCheckpoints([{ ref: r, count: 3n, checkpointUs: T0 + 2 * S }]);
        let [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 2 * S });
        expect(s!.checkpoint).toEqual({ count: 3n, checkpointUs: T0 + 2 * S, lastWriteUs: T0 + 3 * S });
        expect(s!.settled).toEqual(EMPTY);
        expect(s!.tail).toEqual({ clearUs: null, sum: 4n, events: 1 });
        // an older window arriving late (another instance, a retry) is ignored
        await store.writeCheckpoints([{ ref: r, count: 1n, checkpointUs: T0 + 1 * S }]);
        [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 2 * S });
        expect(s!.checkpoint.count).toBe(3n);
        expect(s!.checkpoint.checkpointUs).toBe(T0 + 2 * S);
        // caught up: nothing to scan
        await store.writeCheckpoints([{ ref: r, count: 7n, checkpointUs: T0 + 10 * S }]);
        [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 20 * S });
        expect(s).toEqual({
          checkpoint: { count: 7n, checkpointUs: T0 + 10 * S, lastWriteUs: T0 + 3 * S },
          settled: EMPTY,
          tail: EMPTY,
          settleUs: T0 + 20 * S,
        });
        await store.writeCheckpoints([]);
      });

      it('keeps a 64-bit checkpoint count exact, and accepts a checkpoint for a counter never written', async () => {
        const r = ref();
        await store.writeCheckpoints([{ ref: r, count: INT64_MIN, checkpointUs: T0 }]);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + S });
        expect(s!.checkpoint).toEqual({ count: INT64_MIN, checkpointUs: T0, lastWriteUs: 0 });
      });

      it('keeps the newest checkpoint when many race in any order', async () => {
        const r = ref();
        await store.append([add(r, T0 + S, 1n)]);
        const order = Array.from({ length: 20 }, (_, i) => i).sort(() => Math.random() - 0.5);
        await Promise.all(order.map((i) => store.writeCheckpoints([{ ref: r, count: BigInt(i), checkpointUs: T0 + (i + 1) * S }])));
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(s!.checkpoint.count).toBe(19n);
        expect(s!.checkpoint.checkpointUs).toBe(T0 + 20 * S);
      });
    });

    describe('listPending', () => {
      it('lists counters written past their checkpoint, oldest first, up to a time and a limit', async () => {
        const pns = `${ns}-p`;
        await store.createNamespace({ name: pns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 });
        const [a, b, c, d] = [ref(pns), ref(pns), ref(pns), ref(pns)];
        await store.append([add(c!, T0 + 3 * S, 1n), add(a!, T0 + 1 * S, 1n), add(b!, T0 + 2 * S, 1n), add(d!, T0 + 9 * S, 1n)]);
        expect(await store.listPending({ namespace: pns, upToUs: T0 + 5 * S, limit: 100 })).toEqual([a, b, c]);
        expect(await store.listPending({ namespace: pns, upToUs: T0 + 5 * S, limit: 2 })).toEqual([a, b]);
        expect(await store.listPending({ namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([a, b, c, d]);
        expect(await store.listPending({ namespace: `${pns}-none`, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([]);

        // a checkpoint that catches up removes the counter; one that does not keeps it
        await store.readSnapshots({ refs: [a!, b!], settleUs: T0 + 10 * S });
        await store.writeCheckpoints([
          { ref: a!, count: 1n, checkpointUs: T0 + 1 * S },
          { ref: b!, count: 0n, checkpointUs: T0 + 1 * S },
        ]);
        expect(await store.listPending({ namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([b, c, d]);

        // a newer write after the checkpoint makes it pending again
        await store.append([add(a!, T0 + 12 * S, 1n)]);
        expect(await store.listPending({ namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([b, c, d, a]);
        // a retry of an old, already checkpointed write does not
        await store.writeCheckpoints([{ ref: a!, count: 2n, checkpointUs: T0 + 12 * S }]);
        await store.append([add(a!, T0 + 1 * S, 1n, 'old')]);
        await store.writeCheckpoints([{ ref: a!, count: 2n, checkpointUs: T0 + 13 * S }]);
        expect(await store.listPending({ namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([b, c, d]);
      });

      it('with steadyBeforeUs also lists a counter still written whose pending events have waited that long, until its checkpoint moves', async () => {
        const pns = `${ns}-s`;
        const [steady, recent] = [ref(pns), ref(pns)];
        await store.append([add(steady!, T0 + 1 * S, 1n), add(steady!, T0 + 100 * S, 1n), add(recent!, T0 + 30 * S, 1n)]);
        const query = { namespace: pns, upToUs: T0 + 50 * S, limit: 100 };
        expect(await store.listPending(query)).toEqual([recent]);
        // How long: from the oldest pending event's time (embedded), or from the first listing
        // that saw the counter still written (Cassandra, whose marks hold the newest write only).
        await store.listPending({ ...query, steadyBeforeUs: T0 + 40 * S });
        const later = { namespace: pns, upToUs: T0 + 90 * S, limit: 100, steadyBeforeUs: T0 + 60 * S };
        expect(await store.listPending(later)).toEqual([recent, steady]);
        await store.readSnapshots({ refs: [steady!], settleUs: T0 + 45 * S });
        await store.writeCheckpoints([{ ref: steady!, count: 1n, checkpointUs: T0 + 45 * S }]);
        expect(await store.listPending(later)).toEqual([recent]);
        expect(await store.listPending({ ...query, upToUs: Number.MAX_SAFE_INTEGER })).toEqual([recent, steady]);
      });

      it('keeps a counter pending when its mark is newer than a late checkpoint of an older window', async () => {
        const pns = `${ns}-q`;
        const r = ref(pns);
        await store.append([add(r, T0 + 1 * S, 1n)]);
        const [snap] = await store.readSnapshots({ refs: [r], settleUs: T0 + 2 * S });
        // another write lands after this roll-up read its snapshot
        await store.append([add(r, T0 + 3 * S, 1n)]);
        expect(snap!.checkpoint.lastWriteUs).toBe(T0 + 1 * S);
        await store.writeCheckpoints([{ ref: r, count: 1n, checkpointUs: T0 + 2 * S }]);
        expect(await store.listPending({ namespace: pns, upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([r]);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 + 2 * S });
        expect(s!.tail).toEqual({ clearUs: null, sum: 1n, events: 1 });
      });
    });

    describe('retention and durability', () => {
      it('purge never changes a count nor drops events not yet checkpointed', async () => {
        const r = ref();
        await store.append([add(r, T0 + S, 1n), add(r, T0 + 2 * S, 2n), add(r, T0 + 3 * S, 4n)]);
        await store.writeCheckpoints([{ ref: r, count: 3n, checkpointUs: T0 + 2 * S }]);
        const nsConfig = (await store.getNamespace(ns))!;
        const { deleted } = await store.purge({ namespace: nsConfig, beforeUs: T0 + 3600 * S });
        expect(deleted).toBeGreaterThanOrEqual(0);
        const [s] = await store.readSnapshots({ refs: [r], settleUs: T0 });
        expect(s!.checkpoint.count).toBe(3n);
        expect(s!.tail).toEqual({ clearUs: null, sum: 4n, events: 1 });
      });

      it('a second store on the same backing sees everything acknowledged, and pending counters', async () => {
        const rns = `${ns}-r`;
        await store.createNamespace({ name: rns, mode: 'EVENTUAL', ttlSeconds: null, retentionSeconds: 86400, acceptLimitMs: 5000 });
        const r = ref(rns);
        await store.append([add(r, T0 + S, 5n, 'durable')]);
        const second = await factory.open();
        try {
          const [s] = await second.readSnapshots({ refs: [r], settleUs: T0 });
          expect(s!.tail.sum).toBe(5n);
          expect(await second.append([add(r, T0 + S, 5n, 'durable')])).toEqual([{ applied: false }]);
          expect(await second.listPending({ namespace: rns, upToUs: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([r]);
          expect((await second.getNamespace(rns))?.mode).toBe('EVENTUAL');
        } finally {
          await second.close();
        }
      });
    });

    describe('deleting a namespace', () => {
      const cfg = (name: string, mode: NamespaceConfig['mode'] = 'EVENTUAL'): NamespaceConfig => ({
        name,
        mode,
        ttlSeconds: null,
        retentionSeconds: 86400,
        acceptLimitMs: 5000,
      });
      const exact = async (r: CounterRef, on: Store = store): Promise<bigint> => {
        const [s] = await on.readSnapshots({ refs: [r], settleUs: T0 });
        return s!.checkpoint.count + s!.settled.sum + s!.tail.sum;
      };

      it('a tombstone hides the namespace at once, refuses its re-creation, and survives a restart', async () => {
        const dns = `${ns}-del1`;
        await store.createNamespace(cfg(dns));
        expect(await store.markNamespaceDeleted(`${ns}-never`, Date.now())).toBe(false);
        const at = Date.now();
        expect(await store.markNamespaceDeleted(dns, at)).toBe(true);
        expect(await store.markNamespaceDeleted(dns, at + 1)).toBe(false);
        expect(await store.getNamespace(dns)).toBeUndefined();
        expect((await store.listNamespaces()).map((n) => n.name)).not.toContain(dns);
        expect(await store.updateNamespace({ ...cfg(dns), acceptLimitMs: 1000 })).toBeUndefined();
        await expect(store.createNamespace(cfg(dns, 'ACCURATE'))).rejects.toMatchObject({ code: 'NAMESPACE_CONFLICT', message: expect.stringMatching(/being deleted; retry later/) });
        const second = await factory.open();
        try {
          expect(await second.listDeletedNamespaces()).toContainEqual({ name: dns, deletedAtMs: at });
          expect(await second.getNamespace(dns)).toBeUndefined();
        } finally {
          await second.close();
        }
      });

      it('removes every event, checkpoint and pending mark of the namespace only; then the name is free and empty', async () => {
        const dns = `${ns}-del2`;
        const keep = `${ns}-keep2`;
        await store.createNamespace(cfg(dns));
        await store.createNamespace(cfg(keep));
        const gone = Array.from({ length: 30 }, () => ref(dns));
        const kept = { namespace: keep, name: gone[0]!.name };
        // Events over many time buckets and event ids (all in the past), a checkpoint, pending marks.
        await store.append(gone.flatMap((r, i) => [add(r, T0 + i * 100 * S, 1n), add(r, T0 + (i + 1) * 100 * S, 2n), add(r, T0 + 5 * S, 4n)]));
        await store.writeCheckpoints([{ ref: gone[0]!, count: 1n, checkpointUs: T0 }]);
        await store.append([add(kept, T0 + S, 7n)]);
        expect(await exact(gone[1]!)).toBe(7n);
        expect(await store.markNamespaceDeleted(dns, Date.now())).toBe(true);
        const { removed } = await store.removeNamespaceData(dns);
        expect(removed).toBeGreaterThan(0);
        for (const r of gone) expect(await exact(r)).toBe(0n);
        expect(await store.listPending({ namespace: dns, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([]);
        await store.removeNamespaceData(dns); // idempotent: a crash resumes by running it again
        // The other namespace, with a counter of the same name, is untouched.
        expect(await exact(kept)).toBe(7n);
        expect(await store.listPending({ namespace: keep, upToUs: Number.MAX_SAFE_INTEGER, limit: 100 })).toEqual([kept]);

        await store.dropNamespace(dns);
        expect((await store.listDeletedNamespaces()).map((d) => d.name)).not.toContain(dns);
        const again = await store.createNamespace(cfg(dns, 'ACCURATE'));
        expect(again.mode).toBe('ACCURATE');
        for (const r of gone.slice(0, 3)) expect(await exact(r)).toBe(0n);
        // Written again after the removal, a counter counts from zero.
        await store.append([add(gone[2]!, Date.now() * 1000, 3n)]);
        expect(await exact(gone[2]!)).toBe(3n);
      });

      it('dropNamespace leaves a live namespace alone', async () => {
        const live = `${ns}-live3`;
        await store.createNamespace(cfg(live));
        await store.dropNamespace(live);
        expect((await store.getNamespace(live))?.mode).toBe('EVENTUAL');
      });
    });
  });
}
