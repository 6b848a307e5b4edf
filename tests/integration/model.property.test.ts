import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createNamespace, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';

/**
 * Model-based property test: random programs of adds, clears and retries of earlier writes,
 * run by several concurrent clients over a few counters, must end in exactly the counts of a
 * simple model, in every mode:
 *
 *   count = sum of the deltas of the distinct (token, generationTime) adds whose time is
 *           after the newest clear's time (a clear cancels everything at or before it).
 *
 * Programs run in rounds. Within a round the clients run concurrently, adding and clearing
 * with generation times anywhere around now; between rounds, a "barrier" clears some counters
 * while nobody writes.
 *
 * BEST_EFFORT is a cache with a per-counter clear watermark but no per-write history, so its
 * model depends on arrival order: with C the clear of the newest time (the first of them to
 * arrive),
 *
 *   count = sum of the deltas of the distinct adds generated after C that arrived after C
 *
 * (adds generated at or before the watermark never count; C zeroes those that arrived before
 * it; no clear after C raises the watermark or zeroes again). The client does not see the
 * server's arrival order, only each request's send and acknowledgement instants: an add
 * acknowledged before C was sent surely arrived before it, one sent after C was acknowledged
 * surely after, and for the ones in flight together with C either is right, so the check
 * accepts any subset of those (see bestEffortExpected).
 */

type Mode = 'BEST_EFFORT' | 'EVENTUAL' | 'ACCURATE';
const COUNTERS = 3;
const CLIENTS = 3;
const ACCEPT_LIMIT_MS = 5000;

type Op =
  | { kind: 'add'; counter: number; delta: bigint; offsetMs: number }
  | { kind: 'clear'; counter: number; offsetMs: number }
  | { kind: 'retry'; pick: number };

interface Program {
  rounds: { clients: Op[][]; barrier: number[] }[];
}

const deltaArb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt(-1000n, 1000n) },
  { weight: 1, arbitrary: fc.bigInt(-(1n << 55n), 1n << 55n) },
);
const counterArb = fc.nat(COUNTERS - 1);
const offsetArb = fc.integer({ min: -1500, max: 1000 });

const opArb = (withClears: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), counter: counterArb, delta: deltaArb, offsetMs: offsetArb }) },
    { weight: withClears ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('clear' as const), counter: counterArb, offsetMs: offsetArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat(1000) }) },
  );

const programArb = (withClears: boolean): fc.Arbitrary<Program> =>
  fc.record({
    rounds: fc.array(
      fc.record({
        clients: fc.array(fc.array(opArb(withClears), { maxLength: 8 }), { minLength: CLIENTS, maxLength: CLIENTS }),
        barrier: fc.uniqueArray(counterArb, { maxLength: COUNTERS }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  });

/** One distinct write as the model knows it. */
interface Write {
  counter: number;
  token: string;
  timeMs: number;
  clear: boolean;
  delta: bigint;
  /** performance.now() when the first send started and when it was acknowledged. */
  sentAt?: number;
  ackAt?: number;
}

function expected(writes: readonly Write[]): bigint[] {
  const clearAt: number[] = Array(COUNTERS).fill(-Infinity);
  for (const w of writes) if (w.clear) clearAt[w.counter] = Math.max(clearAt[w.counter]!, w.timeMs);
  const sums: bigint[] = Array(COUNTERS).fill(0n);
  for (const w of writes) if (!w.clear && w.timeMs > clearAt[w.counter]!) sums[w.counter]! += w.delta;
  return sums;
}

/**
 * BEST_EFFORT (see the header): per counter, the count of the adds that surely arrived after
 * the newest clear, and the deltas of those that may have arrived before or after it.
 */
function bestEffortExpected(writes: readonly Write[]): { sure: bigint; maybe: bigint[] }[] {
  return Array.from({ length: COUNTERS }, (_, counter) => {
    const mine = writes.filter((w) => w.counter === counter);
    const clears = mine.filter((w) => w.clear);
    const top = Math.max(-Infinity, ...clears.map((w) => w.timeMs));
    const newest = clears.filter((w) => w.timeMs === top);
    // The first of the newest clears to arrive did so between these instants.
    const from = Math.min(Infinity, ...newest.map((w) => w.sentAt!));
    const to = Math.min(Infinity, ...newest.map((w) => w.ackAt!));
    let sure = 0n;
    const maybe: bigint[] = [];
    for (const w of mine) {
      if (w.clear || w.timeMs <= top) continue;
      if (newest.length === 0 || w.sentAt! > to) sure += w.delta;
      else if (w.ackAt! >= from) maybe.push(w.delta);
    }
    return { sure, maybe };
  });
}

/** Every sum of a subset of deltas (the ambiguous adds are few: at most those in flight with one clear). */
function subsetSums(deltas: readonly bigint[]): Set<bigint> {
  if (deltas.length > 16) throw new Error(`${deltas.length} adds in flight together with one clear: too many to enumerate`);
  let sums = new Set<bigint>([0n]);
  for (const d of deltas) sums = new Set([...sums, ...[...sums].map((x) => x + d)]);
  return sums;
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.stop());

function ok<T>(r: GqlResponse<T>, what: string): T {
  if (r.errors) throw new Error(`${what}: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied } }`;
const CLEAR = `mutation ($input: ClearCountInput!) { clearCount(input: $input) { count } }`;
const READ = `query ($ns: String!, $n: [String!]!) { counters(namespace: $ns, names: $n) { name count } }`;
const EXACT = `mutation ($input: AddCountInput!) { addAndGetCount(input: $input) { count } }`;

async function send(ns: string, names: string[], w: Write, retry: boolean): Promise<void> {
  const input = {
    namespace: ns,
    name: names[w.counter]!,
    idempotencyToken: { token: w.token, generationTime: new Date(w.timeMs).toISOString() },
  };
  const what = `${retry ? 'retry of ' : ''}${w.clear ? 'clear' : `add ${w.delta}`} on ${input.name} at ${input.idempotencyToken.generationTime}`;
  const r = w.clear ? await s.gql(CLEAR, { input }) : await s.gql<{ addCount: { applied: boolean } }>(ADD, { input: { ...input, delta: w.delta.toString() } });
  if (retry && r.errors?.[0]?.extensions?.code === 'IDEMPOTENCY_TOKEN_EXPIRED' && Date.now() - w.timeMs > ACCEPT_LIMIT_MS - 500) {
    return; // a retry this late may be refused; it changes nothing either way
  }
  const data = ok(r, what) as { addCount?: { applied: boolean } };
  if (!w.clear) expect({ what, applied: data.addCount!.applied }).toEqual({ what, applied: !retry });
}

async function runProgram(mode: Mode, ns: string, prog: Program): Promise<void> {
  const names = Array.from({ length: COUNTERS }, (_, i) => `m-${randomUUID().slice(0, 12)}-${i}`);
  const writes = new Map<string, Write>();
  const done: Write[] = []; // acknowledged writes, which any client may retry
  const timeOf = (offsetMs: number): number => Date.now() + offsetMs;

  for (const round of prog.rounds) {
    await Promise.all(
      round.clients.map(async (ops) => {
        for (const op of ops) {
          if (op.kind === 'retry') {
            if (done.length === 0) continue;
            await send(ns, names, done[op.pick % done.length]!, true);
            continue;
          }
          const w: Write =
            op.kind === 'add'
              ? { counter: op.counter, token: randomUUID(), timeMs: timeOf(op.offsetMs), clear: false, delta: op.delta }
              : { counter: op.counter, token: randomUUID(), timeMs: timeOf(op.offsetMs), clear: true, delta: 0n };
          writes.set(`${w.token}@${w.timeMs}`, w);
          w.sentAt = performance.now();
          await send(ns, names, w, false);
          w.ackAt = performance.now();
          done.push(w);
        }
      }),
    );
    if (round.barrier.length > 0) {
      // Nobody writes now; the next round's writes are generated strictly later.
      const t = Date.now();
      for (const counter of round.barrier) {
        const w: Write = { counter, token: randomUUID(), timeMs: t, clear: true, delta: 0n };
        writes.set(`${w.token}@${w.timeMs}`, w);
        w.sentAt = performance.now();
        await send(ns, names, w, false);
        w.ackAt = performance.now();
      }
      await new Promise((r) => setTimeout(r, 3));
    }
  }

  const read = async (): Promise<string[]> =>
    ok(await s.gql<{ counters: { count: string }[] }>(READ, { ns, n: names }), 'read').counters.map((c) => c.count);
  if (mode === 'BEST_EFFORT') {
    const got = await read();
    const models = bestEffortExpected([...writes.values()]);
    for (let i = 0; i < COUNTERS; i++) {
      const { sure, maybe } = models[i]!;
      const fits = subsetSums(maybe).has(BigInt(got[i]!) - sure);
      const seen = { counter: i, count: got[i], sure: String(sure), maybe: maybe.map(String) };
      expect({ ...seen, fits }).toEqual({ ...seen, fits: true });
      if (maybe.length === 0) expect(got[i]).toBe(String(sure));
      const exact = ok(
        await s.gql<{ addAndGetCount: { count: string } }>(EXACT, { input: { namespace: ns, name: names[i], delta: '0' } }),
        'exact read',
      ).addAndGetCount.count;
      expect(exact).toBe(got[i]);
    }
    return;
  }
  const want = expected([...writes.values()]).map(String);
  if (mode === 'EVENTUAL') {
    let last: string[] = [];
    try {
      await waitFor(async () => JSON.stringify((last = await read())) === JSON.stringify(want), 5000, 25);
    } catch {
      expect(last).toEqual(want);
    }
  } else {
    expect(await read()).toEqual(want);
  }
  for (let i = 0; i < COUNTERS; i++) {
    const exact = ok(
      await s.gql<{ addAndGetCount: { count: string } }>(EXACT, { input: { namespace: ns, name: names[i], delta: '0' } }),
      'exact read',
    ).addAndGetCount.count;
    expect(exact).toBe(want[i]);
  }
}

describe.each<Mode>(['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'])('%s: concurrent clients end in the model\'s counts', (mode) => {
  const ns = `model-${mode.toLowerCase()}`;
  beforeAll(() => createNamespace(s, ns, mode, { acceptLimitMs: ACCEPT_LIMIT_MS }));

  it('adds, clears and retries', async () => {
    await fc.assert(
      fc.asyncProperty(programArb(true), (prog) => runProgram(mode, ns, prog)),
      { numRuns: 20, endOnFailure: true },
    );
  });
});

describe('the model itself', () => {
  it('clears cancel what is at or before them, in any order of arrival', () => {
    const w = (counter: number, timeMs: number, delta: bigint, clear = false): Write => ({ counter, token: randomUUID(), timeMs, clear, delta });
    expect(expected([w(0, 10, 5n), w(0, 20, 0n, true), w(0, 20, 7n), w(0, 21, 3n), w(1, 5, -2n), w(0, 15, 0n, true)])).toEqual([3n, -2n, 0n]);
  });

  it('BEST_EFFORT: after the newest clear only, and unsure about the adds in flight with it', () => {
    // [sentAt, ackAt] intervals on the client's clock.
    const w = (counter: number, timeMs: number, delta: bigint, sentAt: number, ackAt: number, clear = false): Write => ({
      counter, token: randomUUID(), timeMs, clear, delta, sentAt, ackAt,
    });
    expect(
      bestEffortExpected([
        w(0, 30, 1n, 0, 1), // generated after the clear, but acknowledged before it was sent: lost
        w(0, 20, 0n, 2, 4, true), // the newest clear
        w(0, 31, 10n, 3, 5), // in flight with it: either
        w(0, 15, 100n, 6, 7), // generated before it, arrives after: never counts
        w(0, 25, 1000n, 6, 7), // after it in both respects: counts
        w(0, 10, 0n, 8, 9, true), // an older clear arriving late: no effect
        w(0, 26, 20n, 10, 11),
        w(1, 5, -2n, 0, 1), // no clear at all
        w(2, 5, 0n, 0, 5, true),
        w(2, 5, 0n, 3, 4, true), // same newest time twice: the first to arrive (by 4) counts
        w(2, 6, 7n, 2, 3.5), // may have arrived before it
        w(2, 7, 8n, 4.5, 6), // surely after it
      ]),
    ).toEqual([
      { sure: 1020n, maybe: [10n] },
      { sure: -2n, maybe: [] },
      { sure: 8n, maybe: [7n] },
    ]);
    expect([...subsetSums([1n, 2n, 2n])].sort()).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
  });
});
