import { randomUUID } from 'node:crypto';
import { createNamespace, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';

/**
 * A write with an idempotency token is applied at most once per (namespace, counter, token,
 * generationTime), however often and however concurrently it is retried, in every mode.
 */

type Mode = 'BEST_EFFORT' | 'EVENTUAL' | 'ACCURATE';
type Tok = { token: string; generationTime: string };

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.stop());

let seq = 0;
const uniq = (): string => `i-${++seq}-${randomUUID().slice(0, 8)}`;
const token = (offsetMs = 0): Tok => ({ token: randomUUID(), generationTime: new Date(Date.now() + offsetMs).toISOString() });

function ok<T>(r: GqlResponse<T>): T {
  if (r.errors) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied counter { name } } }`;
const ADD_GET = `mutation ($input: AddCountInput!) { addAndGetCount(input: $input) { count } }`;
const CLEAR = `mutation ($input: ClearCountInput!) { clearCount(input: $input) { count } }`;
const BULK = `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount rejectedCount items { applied error { code } } } }`;

const add = async (ns: string, name: string, delta: number | string, tok?: Tok): Promise<boolean> =>
  ok(await s.gql<{ addCount: { applied: boolean } }>(ADD, { input: { namespace: ns, name, delta, idempotencyToken: tok } })).addCount
    .applied;
const addGet = async (ns: string, name: string, delta: number | string, tok?: Tok): Promise<string> =>
  ok(await s.gql<{ addAndGetCount: { count: string } }>(ADD_GET, { input: { namespace: ns, name, delta, idempotencyToken: tok } }))
    .addAndGetCount.count;
const clear = async (ns: string, name: string, tok?: Tok): Promise<string> =>
  ok(await s.gql<{ clearCount: { count: string } }>(CLEAR, { input: { namespace: ns, name, idempotencyToken: tok } })).clearCount.count;

/** The exact count (every mode) and, for EVENTUAL, the rolled-up GetCount reaching it. */
async function expectCount(mode: Mode, ns: string, name: string, expected: string): Promise<void> {
  expect(await addGet(ns, name, 0)).toBe(expected);
  const read = async () =>
    ok(await s.gql<{ counter: { count: string } }>(`query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }`, { ns, n: name }))
      .counter.count;
  if (mode === 'EVENTUAL') await waitFor(async () => (await read()) === expected, 5000, 20);
  else expect(await read()).toBe(expected);
}

describe.each<Mode>(['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'])('%s', (mode) => {
  const ns = `idem-${mode.toLowerCase()}`;
  beforeAll(() => createNamespace(s, ns, mode));

  it('the same addCount sent 50 times in parallel counts once; applied is true exactly once', async () => {
    const c = uniq();
    const tok = token();
    const applied = await Promise.all(Array.from({ length: 50 }, () => add(ns, c, 7, tok)));
    expect(applied.filter(Boolean)).toHaveLength(1);
    await expectCount(mode, ns, c, '7');
  });

  it('the same addCount retried in sequence counts once; every retry says applied: false', async () => {
    const c = uniq();
    const tok = token();
    expect(await add(ns, c, '9007199254740993', tok)).toBe(true);
    for (let i = 0; i < 10; i++) expect(await add(ns, c, '9007199254740993', tok)).toBe(false);
    await expectCount(mode, ns, c, '9007199254740993');
  });

  it('a retry with another delta is still the same write (the first one wins)', async () => {
    const c = uniq();
    const tok = token();
    expect(await add(ns, c, 5, tok)).toBe(true);
    expect(await add(ns, c, 500, tok)).toBe(false);
    await expectCount(mode, ns, c, '5');
  });

  it('addAndGetCount retried in parallel and in sequence counts once, and each answer includes it', async () => {
    const c = uniq();
    await add(ns, c, 100);
    const tok = token();
    const counts = await Promise.all(Array.from({ length: 30 }, () => addGet(ns, c, 3, tok)));
    expect(new Set(counts)).toEqual(new Set(['103']));
    for (let i = 0; i < 5; i++) expect(await addGet(ns, c, 3, tok)).toBe('103');
    await expectCount(mode, ns, c, '103');
  });

  it('a different generationTime with the same token is a different write', async () => {
    const c = uniq();
    const tok = token(-1000);
    const later = { token: tok.token, generationTime: new Date(Date.parse(tok.generationTime) + 1).toISOString() };
    expect(await add(ns, c, 2, tok)).toBe(true);
    expect(await add(ns, c, 2, later)).toBe(true);
    expect(await add(ns, c, 2, tok)).toBe(false);
    expect(await add(ns, c, 2, later)).toBe(false);
    await expectCount(mode, ns, c, '4');
  });

  it('the same token on another counter or namespace is another write', async () => {
    const c = uniq();
    const d = uniq();
    const tok = token();
    expect(await add(ns, c, 1, tok)).toBe(true);
    expect(await add(ns, d, 1, tok)).toBe(true);
    const other = `idem-other-${mode.toLowerCase()}`;
    await createNamespace(s, other, mode);
    expect(await add(other, c, 1, tok)).toBe(true);
    await expectCount(mode, ns, c, '1');
    await expectCount(mode, ns, d, '1');
    await expectCount(mode, other, c, '1');
  });

  it('writes without a token are never deduplicated', async () => {
    const c = uniq();
    const applied = await Promise.all(Array.from({ length: 20 }, () => add(ns, c, 1)));
    expect(applied.every(Boolean)).toBe(true);
    await expectCount(mode, ns, c, '20');
  });

  it('clearCount retries do not clear the writes made after the original clear', async () => {
    const c = uniq();
    await add(ns, c, 5, token(-100));
    const tok = token();
    expect(await clear(ns, c, tok)).toBe('0');
    await new Promise((r) => setTimeout(r, 5));
    await add(ns, c, 3, token(50)); // generated after the clear
    // Retries, in sequence and in parallel: the clear is not applied again.
    expect(await clear(ns, c, tok)).toBe('3');
    const counts = await Promise.all(Array.from({ length: 20 }, () => clear(ns, c, tok)));
    expect(new Set(counts)).toEqual(new Set(['3']));
    await expectCount(mode, ns, c, '3');
  });

  it('bulk addCounts: repeats inside one request and across requests count once', async () => {
    const c = uniq();
    const tok = token();
    const item = { namespace: ns, name: c, delta: 4, idempotencyToken: tok };
    const r = ok(await s.gql<{ addCounts: { acceptedCount: number; items: { applied: boolean }[] } }>(BULK, { inputs: [item, item, item] }));
    expect(r.addCounts.acceptedCount).toBe(3);
    expect(r.addCounts.items.filter((i) => i.applied)).toHaveLength(1);
    const again = await Promise.all(
      Array.from({ length: 10 }, async () =>
        ok(await s.gql<{ addCounts: { items: { applied: boolean }[] } }>(BULK, { inputs: [item, item] })).addCounts.items,
      ),
    );
    expect(again.flat().some((i) => i.applied)).toBe(false);
    expect(await add(ns, c, 4, tok)).toBe(false);
    await expectCount(mode, ns, c, '4');
  });

  it('a refused write (expired token) does not use up the token for a valid time', async () => {
    const c = uniq();
    const tok = token();
    const expired = { token: tok.token, generationTime: new Date(Date.now() - 60_000).toISOString() };
    const r = await s.gql(ADD, { input: { namespace: ns, name: c, delta: 1, idempotencyToken: expired } });
    expect(r.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
    expect(await add(ns, c, 1, tok)).toBe(true);
    await expectCount(mode, ns, c, '1');
  });
});
