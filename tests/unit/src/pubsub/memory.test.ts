import { setImmediate as turn } from 'node:timers/promises';
import { FAN_OUT_CHUNK, MemoryPubSub } from '../../../../src/pubsub/memory';
import type { CounterUpdate } from '../../../../src/pubsub/types';

const ref = { namespace: 'ns', name: 'hot' };
const update = (count: bigint, asOfMs: number): CounterUpdate => ({ ...ref, count, asOfMs });

/** Runs the event loop until fn holds (a fan-out over several turns finishes), at most 1,000 turns. */
async function turnsUntil(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !fn(); i++) await turn();
}

describe('MemoryPubSub: a fan-out larger than one turn', () => {
  const n = FAN_OUT_CHUNK * 3 + 7;
  let ps: MemoryPubSub;
  let got: bigint[][];
  let offs: (() => void)[];

  beforeEach(() => {
    ps = new MemoryPubSub();
    got = [];
    offs = [];
    for (let i = 0; i < n; i++) {
      const mine: bigint[] = [];
      got.push(mine);
      offs.push(ps.subscribe(ref, (u) => mine.push(u.count)));
    }
  });
  afterEach(() => ps.close());

  it('calls the first FAN_OUT_CHUNK listeners at once and the others in later turns, each exactly once', async () => {
    ps.publish(update(1n, 1));
    expect(got.filter((g) => g.length === 1)).toHaveLength(FAN_OUT_CHUNK);
    await turnsUntil(() => got.every((g) => g.length === 1));
    expect(got.every((g) => g.length === 1 && g[0] === 1n)).toBe(true);
  });

  it('delivers publishes made during a fan-out in order, conflated to the newest, to every listener', async () => {
    ps.publish(update(1n, 1));
    ps.publish(update(2n, 2));
    ps.publish(update(3n, 3));
    await turnsUntil(() => got.every((g) => g.at(-1) === 3n));
    for (const g of got) expect(g).toEqual([1n, 3n]);
    // Idle again: a new publish goes out as the first one did.
    ps.publish(update(4n, 4));
    await turnsUntil(() => got.every((g) => g.at(-1) === 4n));
    for (const g of got) expect(g).toEqual([1n, 3n, 4n]);
  });

  it('never sends a waiting update older than the one it replaced', async () => {
    ps.publish(update(1n, 10));
    ps.publish(update(3n, 30));
    ps.publish(update(2n, 20)); // older (another instance's, late): dropped
    await turnsUntil(() => got.every((g) => g.at(-1) === 3n));
    for (const g of got) expect(g).toEqual([1n, 3n]);
  });

  it('skips a listener that left before its turn came, and does not send a queued update to one that arrived after it', async () => {
    ps.publish(update(1n, 1));
    offs[n - 1]!();
    ps.publish(update(2n, 2));
    const late: bigint[] = [];
    ps.subscribe(ref, (u) => late.push(u.count));
    await turnsUntil(() => got[n - 2]!.at(-1) === 2n);
    await turn();
    expect(got[n - 1]).toEqual([]);
    expect(late).toEqual([]);
    ps.publish(update(5n, 5));
    await turnsUntil(() => late.length > 0);
    expect(late).toEqual([5n]);
  });

  it('keeps calling the others when a listener throws, and reports it', async () => {
    const failed: unknown[] = [];
    const ps2 = new MemoryPubSub({ listenerFailed: (err) => failed.push(err) });
    const seen: number[] = [];
    for (let i = 0; i < n; i++)
      ps2.subscribe(ref, () => {
        if (i === FAN_OUT_CHUNK + 1) throw new Error('boom');
        seen.push(i);
      });
    ps2.publish(update(1n, 1));
    await turnsUntil(() => seen.length === n - 1);
    expect(seen).toHaveLength(n - 1);
    expect(failed).toHaveLength(1);
    await ps2.close();
  });

  it('calls nobody after close, even mid fan-out', async () => {
    ps.publish(update(1n, 1));
    await ps.close();
    await turn();
    await turn();
    expect(got.filter((g) => g.length > 0)).toHaveLength(FAN_OUT_CHUNK);
  });
});
