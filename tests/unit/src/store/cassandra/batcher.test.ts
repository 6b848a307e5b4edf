import { BatchWriter } from '../../../../../src/store/cassandra/batcher';
import { Limiter, type Lane } from '../../../../../src/store/cassandra/limiter';
import type { CqlSession } from '../../../../../src/store/cassandra/session';

const tick = () => new Promise((r) => setImmediate(r));

/** A session whose client records executes and batches, and fails when told to. */
function fakeSession() {
  const calls: { kind: 'execute' | 'batch'; queries: string[]; lane: Lane; opts: Record<string, unknown> }[] = [];
  let fail: Error | undefined;
  let lane: Lane = 'background';
  const limiter = new Limiter(4);
  const client = {
    execute: jest.fn(async (query: string, _params: unknown[], opts: Record<string, unknown>) => {
      calls.push({ kind: 'execute', queries: [query], lane, opts });
      if (fail) throw fail;
    }),
    batch: jest.fn(async (qs: { query: string }[], opts: Record<string, unknown>) => {
      calls.push({ kind: 'batch', queries: qs.map((q) => q.query), lane, opts });
      if (fail) throw fail;
    }),
  };
  const session = {
    client,
    writeConsistency: 6,
    slot: <T>(fn: () => Promise<T>, l: Lane = 'background') =>
      limiter.run(() => {
        lane = l;
        return fn();
      }, l),
  } as unknown as CqlSession;
  return { session, calls, failWith: (e: Error | undefined) => void (fail = e) };
}

describe('BatchWriter', () => {
  it('sends the statements of one event-loop turn as one unlogged batch, resolving each once it is acknowledged', async () => {
    const { session, calls } = fakeSession();
    const w = new BatchWriter(session);
    const done: number[] = [];
    const writes = [0, 1, 2].map((i) => w.write(`Q${i}`, ['p']).then(() => done.push(i)));
    expect(calls).toHaveLength(0);
    await Promise.all(writes);
    expect(calls).toEqual([{ kind: 'batch', queries: ['Q0', 'Q1', 'Q2'], lane: 'urgent', opts: expect.objectContaining({ logged: false, prepare: true, consistency: 6 }) }]);
    expect(done).toEqual([0, 1, 2]);
    // the next turn: a batch of its own; a single statement is a plain execute
    await w.write('Q3', []);
    expect(calls[1]).toMatchObject({ kind: 'execute', queries: ['Q3'] });
  });

  it('splits a turn into batches of at most 64 statements and ~16 KiB', async () => {
    const { session, calls } = fakeSession();
    const w = new BatchWriter(session);
    await Promise.all(Array.from({ length: 130 }, (_, i) => w.write(`Q${i}`, ['x'])));
    expect(calls.map((c) => c.queries.length)).toEqual([64, 64, 2]);
    calls.length = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => w.write(`B${i}`, ['y'.repeat(4000)])));
    expect(calls.map((c) => c.queries.length)).toEqual([4, 4, 2]);
  });

  it('drops a statement whose check throws right before its batch is sent, and sends the rest', async () => {
    const { session, calls } = fakeSession();
    const w = new BatchWriter(session);
    const late = w.write('LATE', [], () => {
      throw new Error('too late');
    });
    const ok = w.write('OK', []);
    await expect(late).rejects.toThrow('too late');
    await ok;
    expect(calls).toEqual([expect.objectContaining({ kind: 'execute', queries: ['OK'] })]);
  });

  it('fails every statement of a failed batch, and uses its lane and options', async () => {
    const { session, calls, failWith } = fakeSession();
    const w = new BatchWriter(session, { readTimeout: 2000 }, 'background');
    failWith(new Error('timeout'));
    const results = await Promise.allSettled([w.write('A', []), w.write('B', [])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls[0]).toMatchObject({ kind: 'batch', lane: 'background', opts: { readTimeout: 2000 } });
    failWith(undefined);
    await tick();
    await expect(w.write('C', [])).resolves.toBeUndefined();
  });
});
