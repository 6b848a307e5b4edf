import { createNamespace, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';

/**
 * COUNT_OVERFLOW around clears, on the embedded store: writes land out of time order (a
 * token's generationTime may be up to acceptLimitMs in the past), yet every acknowledged
 * write stays in range and the count is the exact sum of those after the newest clear
 * (the contract's "Semantics"), never a saturated 2^63-1.
 */

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  await createNamespace(s, 'acc', 'ACCURATE', { acceptLimitMs: 60_000 });
  await createNamespace(s, 'ev', 'EVENTUAL', { acceptLimitMs: 60_000 });
});
afterAll(() => s.stop());

let seq = 0;
const token = (atMs: number) => ({ token: `t${seq++}`, generationTime: new Date(atMs).toISOString() });
const code = (r: GqlResponse<unknown>): string | undefined => r.errors?.[0]?.extensions?.code;

async function add(ns: string, name: string, delta: bigint, atMs: number): Promise<GqlResponse<unknown>> {
  return s.gql(`mutation ($i: AddCountInput!) { addCount(input: $i) { applied } }`, {
    i: { namespace: ns, name, delta: delta.toString(), idempotencyToken: token(atMs) },
  });
}
async function clear(ns: string, name: string, atMs: number): Promise<GqlResponse<unknown>> {
  return s.gql(`mutation ($i: ClearCountInput!) { clearCount(input: $i) { count } }`, {
    i: { namespace: ns, name, idempotencyToken: token(atMs) },
  });
}
async function count(ns: string, name: string): Promise<bigint> {
  const r = await s.gql<{ counter: { count: string } }>(`query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }`, { ns, n: name });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return BigInt(r.data!.counter.count);
}

const HALF = 1n << 61n;
const BIG = (1n << 62n) - 1n;

it.each(['acc', 'ev'])('%s: adds back-dated behind a clear make no room for later adds (the case found)', async (ns) => {
  const t = Date.now() - 10_000;
  expect(code(await clear(ns, 'x', t))).toBeUndefined();
  // Accepted (within the accept limit), but generated before the clear: they never count.
  expect(code(await add(ns, 'x', -HALF, t - 2000))).toBeUndefined();
  expect(code(await add(ns, 'x', -(HALF - 1n), t - 2000))).toBeUndefined();
  const acked: bigint[] = [];
  let refused = 0;
  for (let i = 0; i < 3; i++) {
    const r = await add(ns, 'x', BIG, t + 1 + i);
    if (code(r) === undefined) acked.push(BIG);
    else {
      expect(code(r)).toBe('COUNT_OVERFLOW');
      refused++;
    }
  }
  expect(refused).toBe(1);
  const sum = acked.reduce((a, b) => a + b, 0n);
  expect(sum).toBe(2n * BIG);
  // ACCURATE reads fold exactly now; an EVENTUAL read converges to the same exact sum.
  if (ns === 'acc') expect(await count(ns, 'x')).toBe(sum);
  else await waitFor(async () => (await count(ns, 'x')) === sum, 5000, 20);
});

it('a clear back-dated before stored adds is refused with COUNT_OVERFLOW when the adds after it leave the range', async () => {
  const t = Date.now() - 10_000;
  const q = 1n << 62n;
  expect(code(await add('acc', 'y', -q, t))).toBeUndefined();
  expect(code(await add('acc', 'y', q, t + 2000))).toBeUndefined();
  expect(code(await add('acc', 'y', q, t + 4000))).toBeUndefined();
  expect(await count('acc', 'y')).toBe(q);
  // Clearing as of t + 1000 would leave the two later adds: 2^63, out of range.
  expect(code(await clear('acc', 'y', t + 1000))).toBe('COUNT_OVERFLOW');
  expect(await count('acc', 'y')).toBe(q);
  // A clear after them is fine.
  expect(code(await clear('acc', 'y', t + 5000))).toBeUndefined();
  expect(await count('acc', 'y')).toBe(0n);
});
