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
 * Programs run in rounds. Within a round the clients run concurrently; between rounds, a
 * "barrier" clears some counters while nobody writes. In EVENTUAL/ACCURATE the clients also
 * clear concurrently, with generation times anywhere around now. BEST_EFFORT is a cache whose
 * clear deletes the value it holds when the clear arrives (no per-write history to cut at a
 * time), so there clears happen at barriers only and adds carry their send time: then arrival
 * order and generation-time order agree and the same model holds.
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
}

function expected(writes: readonly Write[]): bigint[] {
  const clearAt: number[] = Array(COUNTERS).fill(-Infinity);
  for (const w of writes) if (w.clear) clearAt[w.counter] = Math.max(clearAt[w.counter]!, w.timeMs);
  const sums: bigint[] = Array(COUNTERS).fill(0n);
  for (const w of writes) if (!w.clear && w.timeMs > clearAt[w.counter]!) sums[w.counter]! += w.delta;
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
  const timeOf = (offsetMs: number): number => (mode === 'BEST_EFFORT' ? Date.now() : Date.now() + offsetMs);

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
          await send(ns, names, w, false);
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
        await send(ns, names, w, false);
      }
      await new Promise((r) => setTimeout(r, 3));
    }
  }

  const want = expected([...writes.values()]).map(String);
  const read = async (): Promise<string[]> =>
    ok(await s.gql<{ counters: { count: string }[] }>(READ, { ns, n: names }), 'read').counters.map((c) => c.count);
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
      fc.asyncProperty(programArb(mode !== 'BEST_EFFORT'), (prog) => runProgram(mode, ns, prog)),
      { numRuns: 20, endOnFailure: true },
    );
  });
});

describe('the model itself', () => {
  it('clears cancel what is at or before them, in any order of arrival', () => {
    const w = (counter: number, timeMs: number, delta: bigint, clear = false): Write => ({ counter, token: randomUUID(), timeMs, clear, delta });
    expect(expected([w(0, 10, 5n), w(0, 20, 0n, true), w(0, 20, 7n), w(0, 21, 3n), w(1, 5, -2n), w(0, 15, 0n, true)])).toEqual([3n, -2n, 0n]);
  });
});
