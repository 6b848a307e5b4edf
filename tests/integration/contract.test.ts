import { randomUUID } from 'node:crypto';
import { createNamespace, metric, startServer, waitFor, type GqlResponse, type TestServer } from './helpers/server';

/**
 * The public contract (shared/design/api-contract.md), rule by rule, in every mode, against
 * a real server over real HTTP.
 */

type Mode = 'BEST_EFFORT' | 'EVENTUAL' | 'ACCURATE';
const MODES: Mode[] = ['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'];
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.stop());

let seq = 0;
const uniq = (p = 'c'): string => `${p}-${++seq}-${randomUUID().slice(0, 8)}`;
const iso = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString();
const token = (offsetMs = 0) => ({ token: randomUUID(), generationTime: iso(offsetMs) });

const ADD = `mutation ($input: AddCountInput!) { addCount(input: $input) { applied counter { namespace name mode } } }`;
const ADD_GET = `mutation ($input: AddCountInput!) { addAndGetCount(input: $input) { namespace name mode count } }`;
const CLEAR = `mutation ($input: ClearCountInput!) { clearCount(input: $input) { count } }`;
const READ = `query ($ns: String!, $name: String!) { counter(namespace: $ns, name: $name) { count } }`;

function code(r: GqlResponse<unknown>): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}

function ok<T>(r: GqlResponse<T>): T {
  if (r.errors) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

async function add(ns: string, name: string, delta: string | number, tok?: { token: string; generationTime: string }) {
  return s.gql<{ addCount: { applied: boolean } }>(ADD, { input: { namespace: ns, name, delta, idempotencyToken: tok } });
}

async function addGet(ns: string, name: string, delta: string | number, tok?: { token: string; generationTime: string }) {
  return s.gql<{ addAndGetCount: { count: string; mode: Mode } }>(ADD_GET, {
    input: { namespace: ns, name, delta, idempotencyToken: tok },
  });
}

async function clear(ns: string, name: string, tok?: { token: string; generationTime: string }) {
  return s.gql<{ clearCount: { count: string } }>(CLEAR, { input: { namespace: ns, name, idempotencyToken: tok } });
}

async function read(ns: string, name: string): Promise<string> {
  return ok(await s.gql<{ counter: { count: string } }>(READ, { ns, name })).counter.count;
}

/** The exact count in every mode: addAndGetCount of 0 includes every accepted write. */
async function exact(ns: string, name: string): Promise<string> {
  return ok(await addGet(ns, name, '0')).addAndGetCount.count;
}

/** GetCount reaches `expected`: at once, or for EVENTUAL once rolled up (every read triggers a roll-up). */
async function expectCount(mode: Mode, ns: string, name: string, expected: string): Promise<void> {
  if (mode === 'EVENTUAL') {
    let last = '';
    try {
      await waitFor(async () => (last = await read(ns, name)) === expected, 5000, 20);
    } catch {
      throw new Error(`EVENTUAL ${ns}/${name} stayed at ${last}, expected ${expected}`);
    }
  } else {
    expect(await read(ns, name)).toBe(expected);
  }
  expect(await exact(ns, name)).toBe(expected);
}

describe.each(MODES)('%s', (mode) => {
  const ns = `contract-${mode.toLowerCase()}`;
  beforeAll(() => createNamespace(s, ns, mode));

  it('a counter never written counts 0', async () => {
    expect(await read(ns, uniq())).toBe('0');
  });

  it('adds and negative adds, with and without tokens', async () => {
    const c = uniq();
    expect(ok(await add(ns, c, 5)).addCount.applied).toBe(true);
    expect(ok(await add(ns, c, '-8', token())).addCount.applied).toBe(true);
    expect(ok(await add(ns, c, '100')).addCount.applied).toBe(true);
    expect(ok(await add(ns, c, -1, token())).addCount.applied).toBe(true);
    await expectCount(mode, ns, c, '96');
  });

  it('addCount payload names the counter and its mode', async () => {
    const c = uniq();
    const r = ok(await s.gql<{ addCount: { counter: { namespace: string; name: string; mode: Mode } } }>(ADD, {
      input: { namespace: ns, name: c, delta: 1 },
    }));
    expect(r.addCount.counter).toEqual({ namespace: ns, name: c, mode });
  });

  it('a retry counts once whether or not its writer selects applied; one that selects it after ones that did not says false', async () => {
    const c = uniq();
    const tok = token();
    const input = { namespace: ns, name: c, delta: 4, idempotencyToken: tok };
    // `applied` not selected: the store need not look for an earlier copy (on Cassandra no read at all)
    for (let i = 0; i < 3; i++) ok(await s.gql(`mutation ($input: AddCountInput!) { addCount(input: $input) { counter { name } } }`, { input }));
    const bulk = ok(
      await s.gql<{ addCounts: { acceptedCount: number } }>(`mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount } }`, { is: [input, input] }),
    );
    expect(bulk.addCounts.acceptedCount).toBe(2);
    expect(ok(await addGet(ns, c, 4, tok)).addAndGetCount.count).toBe('4');
    expect(ok(await add(ns, c, 4, tok)).addCount.applied).toBe(false);
    const items = ok(
      await s.gql<{ addCounts: { items: { applied: boolean }[] } }>(`mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { items { applied } } }`, { is: [input] }),
    );
    expect(items.addCounts.items).toEqual([{ applied: false }]);
    // `applied` asked through a named fragment: the first text runs through Apollo, its repeat compiled
    const viaFragment = `mutation ($input: AddCountInput!) { addCount(input: $input) { ...P } } fragment P on AddCountPayload { wasNew: applied }`;
    for (let i = 0; i < 2; i++) {
      expect(ok(await s.gql<{ addCount: { wasNew: boolean } }>(viaFragment, { input })).addCount.wasNew).toBe(false);
    }
    const fresh = { ...input, idempotencyToken: token() };
    expect(ok(await s.gql<{ addCount: { wasNew: boolean } }>(viaFragment, { input: fresh })).addCount.wasNew).toBe(true);
    await expectCount(mode, ns, c, '8');
  });

  it('addAndGetCount returns a count that includes this add (read-your-write)', async () => {
    const c = uniq();
    let total = 0n;
    for (const d of [3n, -10n, 9007199254740993n, 1n, -9007199254740993n]) {
      total += d;
      const r = ok(await addGet(ns, c, d.toString(), d % 2n === 0n ? token() : undefined));
      expect(r.addAndGetCount.count).toBe(total.toString());
      expect(r.addAndGetCount.mode).toBe(mode);
    }
  });

  it('a write and a read of the same counter in one operation: the read sees the write', async () => {
    const c = uniq();
    await addGet(ns, c, 4);
    const r = ok(
      await s.gql<{ a: { count: string }; b: { count: string } }>(
        `mutation ($ns: String!, $c: String!) {
          a: addAndGetCount(input: {namespace: $ns, name: $c, delta: 3}) { count }
          b: addAndGetCount(input: {namespace: $ns, name: $c, delta: 2}) { count }
        }`,
        { ns, c },
      ),
    );
    expect(r.a.count).toBe('7');
    expect(r.b.count).toBe('9');
  });

  it('clear then more adds: only the adds after the clear count', async () => {
    const c = uniq();
    await addGet(ns, c, 10);
    await addGet(ns, c, 5, token());
    expect(ok(await clear(ns, c)).clearCount.count).toBe('0');
    await expectCount(mode, ns, c, '0');
    await add(ns, c, 3, token());
    await add(ns, c, 4);
    await expectCount(mode, ns, c, '7');
    expect(ok(await clear(ns, c, token())).clearCount.count).toBe('0');
    await add(ns, c, -2);
    await expectCount(mode, ns, c, '-2');
  });

  // A clear counts as of its generation time, in every mode.
  if (mode === 'BEST_EFFORT') {
    // The cache keeps a per-counter clear watermark (the newest clear time), not per-write
    // history: writes generated at or before it no longer count, whenever they arrive.
    it('a clear with an earlier generationTime: writes after that time count, earlier ones no longer do, late or not', async () => {
      const c = uniq();
      expect(ok(await add(ns, c, 100, token(-3000))).addCount.applied).toBe(true); // before the clear time
      expect(ok(await clear(ns, c, token(-2000))).clearCount.count).toBe('0');
      await add(ns, c, 3); // now: counts
      // Arrives after the clear but was generated before it: accepted (not a retry), no longer counts.
      const late = token(-2500);
      expect(ok(await add(ns, c, 1000, late)).addCount.applied).toBe(true);
      expect(ok(await add(ns, c, 1000, late)).addCount.applied).toBe(false); // its retry is a duplicate
      await add(ns, c, 7, token(-1500)); // generated after the clear: counts
      await expectCount(mode, ns, c, '10');
      // An older clear arriving late is covered by the newer one: the writes after that still count.
      expect(ok(await clear(ns, c, token(-2800))).clearCount.count).toBe('10');
      expect(ok(await addGet(ns, c, 50, token(-2600))).addAndGetCount.count).toBe('10');
      await expectCount(mode, ns, c, '10');
    });

    it('the cache limit: an add generated after a clear but applied before the clear arrived is lost', async () => {
      const c = uniq();
      await add(ns, c, 20, token(-1000));
      // EVENTUAL/ACCURATE would answer 20 here; the cache only holds a sum, zeroed by the clear.
      expect(ok(await clear(ns, c, token(-2000))).clearCount.count).toBe('0');
      await expectCount(mode, ns, c, '0');
    });
  } else {
    it('a clear with an earlier generationTime: writes after that time still count, earlier ones no longer do', async () => {
      const c = uniq();
      expect(ok(await add(ns, c, 100, token(-3000))).addCount.applied).toBe(true); // before the clear time
      expect(ok(await add(ns, c, 20, token(-1000))).addCount.applied).toBe(true); // after it
      expect(ok(await clear(ns, c, token(-2000))).clearCount.count).toBe('20');
      await add(ns, c, 3); // now: counts
      // Arrives after the clear but was generated before it: no longer counts.
      expect(ok(await add(ns, c, 1000, token(-2500))).addCount.applied).toBe(true);
      await add(ns, c, 7, token(-1500)); // generated after the clear: counts
      await expectCount(mode, ns, c, '30');
    });
  }

  it('an add generated at the very instant of a clear is cleared with it, arriving before or after it', async () => {
    const c = uniq();
    const t = iso(-500);
    await add(ns, c, 9, { token: randomUUID(), generationTime: t });
    await clear(ns, c, { token: randomUUID(), generationTime: t });
    await add(ns, c, 4, { token: randomUUID(), generationTime: t });
    await add(ns, c, 2, token());
    await expectCount(mode, ns, c, '2');
  });

  it('an unknown namespace is NAMESPACE_NOT_FOUND for every operation', async () => {
    const missing = uniq('nope');
    expect(code(await add(missing, 'c', 1))).toBe('NAMESPACE_NOT_FOUND');
    expect(code(await addGet(missing, 'c', 1, token()))).toBe('NAMESPACE_NOT_FOUND');
    expect(code(await clear(missing, 'c'))).toBe('NAMESPACE_NOT_FOUND');
    expect(code(await s.gql(READ, { ns: missing, name: 'c' }))).toBe('NAMESPACE_NOT_FOUND');
    expect(code(await s.gql(`{ counters(namespace: "${missing}", names: ["a", "b"]) { count } }`))).toBe('NAMESPACE_NOT_FOUND');
    const bulk = ok(
      await s.gql<{ addCounts: { items: { error: { code: string } | null }[]; rejectedCount: number } }>(
        `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { rejectedCount items { error { code } } } }`,
        { inputs: [{ namespace: missing, name: 'c', delta: 1 }, { namespace: ns, name: uniq(), delta: 1 }] },
      ),
    );
    expect(bulk.addCounts.items.map((i) => i.error?.code ?? null)).toEqual(['NAMESPACE_NOT_FOUND', null]);
    expect(bulk.addCounts.rejectedCount).toBe(1);
  });

  describe('bad input is BAD_USER_INPUT and writes nothing', () => {
    const badNames = ['', 'x'.repeat(256), 'has space', 'naïve', 'emoji-😀', 'tab\there', 'new\nline', 'semi;colon'];

    it.each(badNames.map((n) => [JSON.stringify(n).slice(0, 30), n]))('name %s as a variable', async (_l, name) => {
      expect(code(await add(ns, name, 1, token()))).toBe('BAD_USER_INPUT');
      expect(code(await addGet(ns, name, 1))).toBe('BAD_USER_INPUT');
      expect(code(await clear(ns, name))).toBe('BAD_USER_INPUT');
      expect(code(await s.gql(READ, { ns, name }))).toBe('BAD_USER_INPUT');
      expect(code(await s.gql(`query ($n: [String!]!) { counters(namespace: "${ns}", names: $n) { count } }`, { n: ['ok', name] }))).toBe(
        'BAD_USER_INPUT',
      );
    });

    it.each(badNames.map((n) => [JSON.stringify(n).slice(0, 30), n]))('name %s as an inline literal', async (_l, name) => {
      const lit = JSON.stringify(name);
      expect(code(await s.gql(`mutation { addCount(input: {namespace: "${ns}", name: ${lit}, delta: 1}) { applied } }`))).toBe('BAD_USER_INPUT');
      expect(code(await s.gql(`{ counter(namespace: "${ns}", name: ${lit}) { count } }`))).toBe('BAD_USER_INPUT');
    });

    it('a bad namespace name is BAD_USER_INPUT', async () => {
      expect(code(await add('bad ns', 'c', 1))).toBe('BAD_USER_INPUT');
      expect(code(await s.gql(`{ namespace(name: "") { name } }`))).toBe('BAD_USER_INPUT');
    });

    it('names of 1 and 255 characters of every allowed kind are fine', async () => {
      // Unique per run: the suite runs twice over one keyspace in `npm run test:cluster`.
      const long = ('aZ09_-.:/'.repeat(28) + 'abc').slice(0, 255 - 8) + randomUUID().slice(0, 8); // 255
      expect(long).toHaveLength(255);
      expect(ok(await addGet(ns, long, 2)).addAndGetCount.count).toBe('2');
      expect(ok(await addGet(ns, 'q', 0)).addAndGetCount.count).toBeDefined();
      await expectCount(mode, ns, long, '2');
    });

    const badDeltaVars: unknown[] = ['1e3', '1.5', '', ' 1', '+1', '0x10', '9223372036854775808', '-9223372036854775809', 1.5, true, null];
    it.each(badDeltaVars.map((d) => [JSON.stringify(d), d]))('delta %s as a variable', async (_l, delta) => {
      const c = uniq();
      await add(ns, c, 1);
      const r = await s.gql(ADD, { input: { namespace: ns, name: c, delta, idempotencyToken: token() } });
      expect(code(r)).toBe('BAD_USER_INPUT');
      const r2 = await s.gql(ADD_GET, { input: { namespace: ns, name: c, delta } });
      expect(code(r2)).toBe('BAD_USER_INPUT');
      expect(await exact(ns, c)).toBe('1');
    });

    it('an unsafe JSON number delta (9007199254740993) as a variable', async () => {
      const c = uniq();
      // JSON.stringify cannot write this number exactly; the raw body does.
      const body = `{"query": ${JSON.stringify(ADD)}, "variables": {"input": {"namespace": "${ns}", "name": "${c}", "delta": 9007199254740993}}}`;
      const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const r = (await res.json()) as GqlResponse<unknown>;
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(await exact(ns, c)).toBe('0');
    });

    const badDeltaLiterals = ['"1e3"', '1e3', '1.5', '"1.5"', '""', '9223372036854775808', '"9223372036854775808"', '9007199254740993', 'true', '[1]'];
    it.each(badDeltaLiterals)('delta %s as an inline literal', async (lit) => {
      const c = uniq();
      const r = await s.gql(`mutation { addCount(input: {namespace: "${ns}", name: "${c}", delta: ${lit}}) { applied } }`);
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(await exact(ns, c)).toBe('0');
    });

    const badTimes = ['2024-10-05T14:48:00', 'garbage', '', '2024-10-05', '1728139680000', '2024-02-30T10:00:00Z'];
    it.each(badTimes.map((t) => [JSON.stringify(t), t]))('generationTime %s as a variable and inline', async (_l, t) => {
      const c = uniq();
      const tok = { token: randomUUID(), generationTime: t };
      expect(code(await add(ns, c, 1, tok))).toBe('BAD_USER_INPUT');
      expect(code(await clear(ns, c, tok))).toBe('BAD_USER_INPUT');
      const inline = await s.gql(
        `mutation { addCount(input: {namespace: "${ns}", name: "${c}", delta: 1, idempotencyToken: {token: "t", generationTime: ${JSON.stringify(t)}}}) { applied } }`,
      );
      expect(code(inline)).toBe('BAD_USER_INPUT');
      expect(await exact(ns, c)).toBe('0');
    });

    it('a token of 0 or 256 characters', async () => {
      const c = uniq();
      expect(code(await add(ns, c, 1, { token: '', generationTime: iso() }))).toBe('BAD_USER_INPUT');
      expect(code(await add(ns, c, 1, { token: 't'.repeat(256), generationTime: iso() }))).toBe('BAD_USER_INPUT');
      expect(await exact(ns, c)).toBe('0');
    });
  });

  it('expired and future tokens are IDEMPOTENCY_TOKEN_EXPIRED and change nothing', async () => {
    const c = uniq();
    await addGet(ns, c, 5, token());
    for (const offset of [-6000, -60_000, 6000, 3_600_000]) {
      expect(code(await add(ns, c, 1, token(offset)))).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
      expect(code(await addGet(ns, c, 1, token(offset)))).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
      expect(code(await clear(ns, c, token(offset)))).toBe('IDEMPOTENCY_TOKEN_EXPIRED');
    }
    // Inside the limit on both sides: accepted.
    expect(ok(await add(ns, c, 1, token(-3000))).addCount.applied).toBe(true);
    expect(ok(await add(ns, c, 1, token(3000))).addCount.applied).toBe(true);
    await expectCount(mode, ns, c, '7');
  });

  it('values beyond 2^53 are kept exact', async () => {
    const c = uniq();
    await add(ns, c, '9007199254740993', token());
    await add(ns, c, '9007199254740993');
    await add(ns, c, 1);
    await expectCount(mode, ns, c, '18014398509481987');
    await add(ns, c, '-18014398509481988');
    await expectCount(mode, ns, c, '-1');
  });

  it('COUNT_OVERFLOW near 2^63-1 and nothing changes', async () => {
    const c = uniq();
    expect(ok(await addGet(ns, c, INT64_MAX)).addAndGetCount.count).toBe(INT64_MAX);
    expect(code(await add(ns, c, 1, token()))).toBe('COUNT_OVERFLOW');
    expect(code(await addGet(ns, c, 1))).toBe('COUNT_OVERFLOW');
    expect(code(await add(ns, c, INT64_MAX))).toBe('COUNT_OVERFLOW');
    await expectCount(mode, ns, c, INT64_MAX);
    // Back from the edge is fine.
    expect(ok(await addGet(ns, c, -7)).addAndGetCount.count).toBe('9223372036854775800');
    expect(ok(await addGet(ns, c, 7)).addAndGetCount.count).toBe(INT64_MAX);
    expect(code(await add(ns, c, 1))).toBe('COUNT_OVERFLOW');
  });

  it('COUNT_OVERFLOW near -2^63 and nothing changes', async () => {
    const c = uniq();
    expect(ok(await addGet(ns, c, INT64_MIN, token())).addAndGetCount.count).toBe(INT64_MIN);
    expect(code(await add(ns, c, -1))).toBe('COUNT_OVERFLOW');
    expect(code(await addGet(ns, c, INT64_MIN))).toBe('COUNT_OVERFLOW');
    await expectCount(mode, ns, c, INT64_MIN);
  });

  it('COUNT_OVERFLOW when the counter climbs to the edge in steps, and within one bulk request', async () => {
    const c = uniq();
    const step = (1n << 61n).toString();
    for (let i = 0; i < 3; i++) ok(await add(ns, c, step));
    ok(await add(ns, c, ((1n << 61n) - 1n).toString())); // now INT64_MAX
    expect(code(await add(ns, c, 1))).toBe('COUNT_OVERFLOW');
    await expectCount(mode, ns, c, INT64_MAX);

    const d = uniq();
    const half = (1n << 62n).toString();
    const r = ok(
      await s.gql<{ addCounts: { items: { applied: boolean; error: { code: string } | null }[] } }>(
        `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { items { applied error { code } } } }`,
        { inputs: [half, half, half].map((delta) => ({ namespace: ns, name: d, delta })) },
      ),
    );
    // 2^62 + 2^62 = 2^63 already leaves the range: only the first item fits.
    expect(r.addCounts.items.map((i) => i.error?.code ?? 'ok')).toEqual(['ok', 'COUNT_OVERFLOW', 'COUNT_OVERFLOW']);
    await expectCount(mode, ns, d, half);

    // Concurrent requests: of 4 parallel adds of 2^62 to a counter at 2^62, none may be
    // accepted (each alone would already reach 2^63); then of 4 parallel adds of 2^61 at
    // most one fits.
    const e = uniq();
    ok(await add(ns, e, half));
    const rs = await Promise.all([0, 1, 2, 3].map(() => add(ns, e, half, token())));
    expect(rs.map(code)).toEqual(Array(4).fill('COUNT_OVERFLOW'));
    const quarter = (1n << 61n).toString();
    const rs2 = await Promise.all([0, 1, 2, 3].map(() => add(ns, e, quarter, token())));
    const accepted = rs2.filter((r) => !r.errors).length;
    expect(rs2.filter((r) => r.errors).every((r) => code(r) === 'COUNT_OVERFLOW')).toBe(true);
    expect(accepted).toBeLessThanOrEqual(1);
    const total = (1n << 62n) + BigInt(accepted) * (1n << 61n);
    await expectCount(mode, ns, e, total.toString());
  });

  it('counters returns the counts in the order of names (repeats included)', async () => {
    const names = Array.from({ length: 12 }, () => uniq('o'));
    for (let i = 0; i < names.length; i += 2) await add(ns, names[i]!, i + 1);
    const order = [...names].reverse().concat(names[4]!, uniq('never'));
    const want = order.map((n) => {
      const i = names.indexOf(n);
      return i >= 0 && i % 2 === 0 ? String(i + 1) : '0';
    });
    const q = `query ($ns: String!, $n: [String!]!) { counters(namespace: $ns, names: $n) { namespace name mode count } }`;
    const check = async (): Promise<boolean> => {
      const got = ok(await s.gql<{ counters: { namespace: string; name: string; mode: Mode; count: string }[] }>(q, { ns, n: order }));
      expect(got.counters.map((c) => c.name)).toEqual(order);
      expect(got.counters.every((c) => c.namespace === ns && c.mode === mode)).toBe(true);
      return JSON.stringify(got.counters.map((c) => c.count)) === JSON.stringify(want);
    };
    if (mode === 'EVENTUAL') await waitFor(check, 5000, 20);
    else expect(await check()).toBe(true);
  });
});

describe('namespaces (control plane)', () => {
  const NS_FIELDS = 'name mode ttlSeconds retentionSeconds acceptLimitMs';
  const create = (input: Record<string, unknown>) =>
    s.gql<{ createNamespace: Record<string, unknown> }>(
      `mutation ($input: NamespaceInput!) { createNamespace(input: $input) { ${NS_FIELDS} } }`,
      { input },
    );

  it.each(MODES)('%s: defaults are 7 days retention, 5000 ms accept limit, no TTL', async (mode) => {
    const name = uniq('ns');
    expect(ok(await create({ name, mode })).createNamespace).toEqual({
      name,
      mode,
      ttlSeconds: null,
      retentionSeconds: 604800,
      acceptLimitMs: 5000,
    });
    const got = ok(await s.gql<{ namespace: unknown }>(`query ($n: String!) { namespace(name: $n) { ${NS_FIELDS} } }`, { n: name }));
    expect(got.namespace).toEqual({ name, mode, ttlSeconds: null, retentionSeconds: 604800, acceptLimitMs: 5000 });
  });

  it('the same settings again is a no-op; other settings are NAMESPACE_CONFLICT', async () => {
    const name = uniq('ns');
    const first = ok(await create({ name, mode: 'EVENTUAL', retentionSeconds: 3600, acceptLimitMs: 2000 })).createNamespace;
    expect(ok(await create({ name, mode: 'EVENTUAL', retentionSeconds: 3600, acceptLimitMs: 2000 })).createNamespace).toEqual(first);
    expect(code(await create({ name, mode: 'ACCURATE', retentionSeconds: 3600, acceptLimitMs: 2000 }))).toBe('NAMESPACE_CONFLICT');
    expect(code(await create({ name, mode: 'EVENTUAL', retentionSeconds: 7200, acceptLimitMs: 2000 }))).toBe('NAMESPACE_CONFLICT');
    expect(code(await create({ name, mode: 'EVENTUAL' }))).toBe('NAMESPACE_CONFLICT'); // defaults differ
    const be = uniq('ns');
    ok(await create({ name: be, mode: 'BEST_EFFORT', ttlSeconds: 60 }));
    expect(ok(await create({ name: be, mode: 'BEST_EFFORT', ttlSeconds: 60 })).createNamespace.ttlSeconds).toBe(60);
    expect(code(await create({ name: be, mode: 'BEST_EFFORT', ttlSeconds: 61 }))).toBe('NAMESPACE_CONFLICT');
    const got = ok(await s.gql<{ namespace: unknown }>(`query ($n: String!) { namespace(name: $n) { ${NS_FIELDS} } }`, { n: name }));
    expect(got.namespace).toEqual(first);
  });

  it('bad settings are BAD_USER_INPUT and create nothing', async () => {
    for (const input of [
      { name: uniq('ns'), mode: 'EVENTUAL', ttlSeconds: 10 },
      { name: uniq('ns'), mode: 'EVENTUAL', acceptLimitMs: 0 },
      { name: uniq('ns'), mode: 'EVENTUAL', acceptLimitMs: -5 },
      { name: uniq('ns'), mode: 'ACCURATE', retentionSeconds: 0 },
      { name: uniq('ns'), mode: 'BEST_EFFORT', ttlSeconds: 0 },
      { name: uniq('ns'), mode: 'BEST_EFFORT', retentionSeconds: 3600 }, // BEST_EFFORT keeps no events
      { name: uniq('ns'), mode: 'ACCURATE', ttlSeconds: 60 }, // durable counters do not expire
    ]) {
      expect(code(await create(input))).toBe('BAD_USER_INPUT');
      expect(ok(await s.gql<{ namespace: unknown }>(`query ($n: String!) { namespace(name: $n) { name } }`, { n: input.name })).namespace).toBeNull();
    }
    expect(code(await create({ name: 'bad name', mode: 'EVENTUAL' }))).toBe('BAD_USER_INPUT');
  });

  it('namespace(name) is null for an unknown name; namespaces lists the created ones', async () => {
    expect(ok(await s.gql<{ namespace: unknown }>(`{ namespace(name: "${uniq('unknown')}") { name } }`)).namespace).toBeNull();
    const name = uniq('ns');
    ok(await create({ name, mode: 'ACCURATE' }));
    const all = ok(await s.gql<{ namespaces: { name: string; mode: string }[] }>(`{ namespaces { name mode } }`)).namespaces;
    expect(all).toContainEqual({ name, mode: 'ACCURATE' });
  });

  it('Namespace.counter and Namespace.counters read through the namespace', async () => {
    const name = uniq('ns');
    ok(await create({ name, mode: 'ACCURATE' }));
    await add(name, 'a', 4);
    const r = ok(
      await s.gql<{ namespace: { counter: { count: string }; counters: { name: string; count: string }[] } }>(
        `{ namespace(name: "${name}") { counter(name: "a") { count } counters(names: ["b", "a"]) { name count } } }`,
      ),
    );
    expect(r.namespace.counter.count).toBe('4');
    expect(r.namespace.counters).toEqual([
      { name: 'b', count: '0' },
      { name: 'a', count: '4' },
    ]);
  });
});

describe('counters(names) is one batched store read per namespace', () => {
  // A server of its own: roll-ups that reads trigger wait ROLLUP_COALESCE_MS before they read
  // the store, so the read metrics just after the query count the query's own reads only.
  let b: TestServer;
  beforeAll(async () => {
    b = await startServer({ ROLLUP_COALESCE_MS: 2000, ROLLUP_SKEW_MARGIN_MS: 50, ROLLUP_SWEEP_INTERVAL_MS: 50 });
  });
  afterAll(() => b.stop());

  const opFor: Record<Mode, string> = { BEST_EFFORT: 'cacheGet', EVENTUAL: 'convergedCacheGet', ACCURATE: 'readSnapshots' };

  it.each(MODES)('%s: 100 names, written and not, in one query', async (mode) => {
    const ns = uniq(`batch-${mode.toLowerCase()}`);
    await createNamespace(b, ns, mode, { acceptLimitMs: 50 });
    const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
    const inputs = names.filter((_, i) => i % 3 === 0).map((name, i) => ({ namespace: ns, name, delta: String(i + 1) }));
    ok(await b.gql(`mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { acceptedCount } }`, { inputs }));
    if (mode !== 'BEST_EFFORT') {
      // Let the written counters be checkpointed, so that no roll-up is due while we measure.
      await waitFor(async () => (await b.app.rollup.pending({ all: true })).length === 0 && (await metric(b.url, 'rollup_queue_depth')) === 0, 15_000, 50);
      await new Promise((r) => setTimeout(r, 100));
    }
    const want = names.map((n, i) => (i % 3 === 0 ? String(i / 3 + 1) : '0'));
    const query = `query ($ns: String!, $n: [String!]!) { counters(namespace: $ns, names: $n) { name count } }`;

    const before = {
      op: await metric(b.url, 'counter_store_calls_total', { op: opFor[mode] }),
      snaps: await metric(b.url, 'counter_store_calls_total', { op: 'readSnapshots' }),
      opCounters: await metric(b.url, 'counter_store_counters_total', { op: opFor[mode] }),
    };
    const got = ok(await b.gql<{ counters: { name: string; count: string }[] }>(query, { ns, n: names }));
    const after = {
      op: await metric(b.url, 'counter_store_calls_total', { op: opFor[mode] }),
      snaps: await metric(b.url, 'counter_store_calls_total', { op: 'readSnapshots' }),
      opCounters: await metric(b.url, 'counter_store_counters_total', { op: opFor[mode] }),
    };
    expect(got.counters.map((c) => c.name)).toEqual(names);
    if (mode !== 'EVENTUAL') expect(got.counters.map((c) => c.count)).toEqual(want);
    expect(after.op - before.op).toBe(1);
    expect(after.opCounters - before.opCounters).toBe(100);
    if (mode === 'EVENTUAL') expect(after.snaps - before.snaps).toBeLessThanOrEqual(1);
    if (mode === 'BEST_EFFORT') expect(after.snaps - before.snaps).toBe(0);

    if (mode === 'EVENTUAL') {
      // The values are the rolled-up ones; they converge to the exact counts.
      await waitFor(async () => {
        const r = ok(await b.gql<{ counters: { count: string }[] }>(query, { ns, n: names }));
        return JSON.stringify(r.counters.map((c) => c.count)) === JSON.stringify(want);
      }, 10_000, 100);
    }
  });

  it('two namespaces in one operation: one batched read each', async () => {
    const n1 = uniq('batch-two');
    const n2 = uniq('batch-two');
    await createNamespace(b, n1, 'ACCURATE');
    await createNamespace(b, n2, 'ACCURATE');
    const names = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const before = await metric(b.url, 'counter_store_calls_total', { op: 'readSnapshots' });
    const r = ok(
      await b.gql<{ a: unknown[]; b: unknown[] }>(
        `query ($a: String!, $b: String!, $n: [String!]!) { a: counters(namespace: $a, names: $n) { count } b: counters(namespace: $b, names: $n) { count } }`,
        { a: n1, b: n2, n: names },
      ),
    );
    expect(r.a).toHaveLength(50);
    expect(r.b).toHaveLength(50);
    expect((await metric(b.url, 'counter_store_calls_total', { op: 'readSnapshots' })) - before).toBe(2);
  });
});
