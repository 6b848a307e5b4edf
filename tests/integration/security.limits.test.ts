import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import { CompiledExecution } from '../../src/http/compiledExecution';
import { createNamespace, startServer, type TestServer } from './helpers/server';
import { wsClient } from './helpers/subscriptions';

/**
 * The contract's "Operation limits" and its introspection policy, from outside: each limit
 * at its value passes and at value+1 is refused with BAD_USER_INPUT and a message naming the
 * limit and its value, over HTTP (Apollo's pipeline and the compiled path) and over the
 * websocket; the attack inputs of issue #12 are refused fast, without holding the event loop
 * and without writing anything.
 */

interface Err {
  message: string;
  extensions?: { code?: string } & Record<string, unknown>;
}
interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Err[];
}
type Transport = 'apollo' | 'compiled' | 'ws';
const TRANSPORTS: Transport[] = ['apollo', 'compiled', 'ws'];

const serve = jest.spyOn(CompiledExecution.prototype, 'serve');
/** How many requests the compiled path answered itself so far. */
const servedCompiled = async (): Promise<number> => (await Promise.all(serve.mock.results.map((r) => r.value as Promise<boolean>))).filter(Boolean).length;

/**
 * As Apollo Client and urql ask: a refused document is 400 in `application/graphql-response+json`
 * (with `application/json` the spec wants it 200; tests/integration/http.*.test.ts).
 */
const ACCEPT = { accept: 'application/graphql-response+json' };

async function post(url: string, body: unknown): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...ACCEPT }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
}

const clients = new Map<string, Client>();
function wsRun(url: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  let client = clients.get(url);
  if (!client) clients.set(url, (client = wsClient(url)));
  return new Promise((resolve) => {
    let answer: Answer = { status: 0 };
    client.subscribe(
      { query, variables },
      {
        next: (r) => void (answer = { status: 0, data: r.data as Record<string, unknown>, errors: r.errors as Err[] | undefined }),
        error: (e) => resolve({ status: 0, errors: Array.isArray(e) ? (e as Err[]) : [{ message: String((e as Error).message ?? e) }] }),
        complete: () => resolve(answer),
      },
    );
  });
}

/**
 * One operation over one transport. `apollo`: a body with `extensions`, which the compiled
 * path leaves to Apollo. `compiled`: a plain POST sent twice (an operation is compiled the
 * second time its text is seen; a refusal is Apollo's to answer).
 */
async function run(s: TestServer, t: Transport, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  if (t === 'ws') return wsRun(s.url, query, variables);
  if (t === 'apollo') return post(s.url, { query, variables, extensions: {} });
  await post(s.url, { query, variables });
  return post(s.url, { query, variables });
}

function refused(a: Answer, setting: string, message?: string): Err {
  expect(a.data ?? undefined).toBeUndefined();
  expect(a.errors).toHaveLength(1);
  const e = a.errors![0]!;
  expect(e.extensions?.code).toBe('BAD_USER_INPUT');
  expect(e.message).toContain(`(${setting})`);
  if (message) expect(e.message).toBe(message);
  if (a.status !== 0) expect(a.status).toBe(400);
  return e;
}

function ok(a: Answer): Answer {
  expect(a.errors).toBeUndefined();
  expect(a.data).toBeTruthy();
  if (a.status !== 0) expect(a.status).toBe(200);
  return a;
}

const names = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const literal = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(',')}]`;
/** `__type { fields { type { ofType ... } } }`: depth `n` (introspection is the only deep path in this schema). */
const deep = (n: number) => {
  const levels = ['__type(name: "Query")', 'fields', 'type', ...Array.from({ length: n - 4 }, () => 'ofType')];
  return `{ ${levels.join(' { ')} { name ${'} '.repeat(levels.length)}}`;
};
const fragmentChain = (n: number) => {
  let q = 'query { ...F0 }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on Query { ${i === n - 1 ? 'namespaces { name }' : `...F${i + 1}`} }\n`;
  return q;
};
const items = (n: number, ns: string, name = 'w') => Array.from({ length: n }, () => ({ namespace: ns, name, delta: '1' }));
const ADD_MANY = 'mutation ($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount } }';
const COUNT = 'query ($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }';
const COUNTERS = 'query ($ns: String!, $n: [String!]!) { counters(namespace: $ns, names: $n) { count } }';

let s: TestServer;
let small: TestServer;
/** The token limit raised to fit 1,000 addCounts items written out. */
let wide: TestServer;
beforeAll(async () => {
  [s, small, wide] = await Promise.all([startServer(), startServer({ LIMIT_DEPTH: 3, LIMIT_TOKENS: 200, LIMIT_FIELDS: 20 }), startServer({ LIMIT_TOKENS: 30_000 })]);
  for (const x of [s, small, wide]) {
    await createNamespace(x, 'ev', 'EVENTUAL');
    await createNamespace(x, 'acc', 'ACCURATE');
  }
});
afterAll(async () => {
  for (const c of clients.values()) await c.dispose();
  await Promise.all([s.stop(), small.stop(), wide.stop()]);
});

describe.each(TRANSPORTS)('each limit at its value passes, at value+1 is refused (%s)', (t) => {
  it('depth (LIMIT_DEPTH 10)', async () => {
    ok(await run(s, t, deep(10)));
    refused(await run(s, t, deep(11)), 'LIMIT_DEPTH', 'query depth 11 exceeds the limit of 10 (LIMIT_DEPTH)');
    // Field depth in this schema's own types, with a lower setting.
    ok(await run(small, t, '{ namespaces { counters(names: ["a"]) { count } } }'));
    refused(await run(small, t, 'mutation { addCounts(inputs: []) { items { counter { count } } } }'), 'LIMIT_DEPTH', 'query depth 4 exceeds the limit of 3 (LIMIT_DEPTH)');
  });

  it('fragment nesting (LIMIT_DEPTH)', async () => {
    ok(await run(s, t, fragmentChain(10)));
    refused(await run(s, t, fragmentChain(11)), 'LIMIT_DEPTH', 'fragment nesting 11 exceeds the limit of 10 (LIMIT_DEPTH)');
  });

  it('aliases (LIMIT_ALIASES 50)', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: namespace(name: "ev") { name }`).join(' ')} }`;
    ok(await run(s, t, aliased(50)));
    refused(await run(s, t, aliased(51)), 'LIMIT_ALIASES', 'alias count 51 exceeds the limit of 50 (LIMIT_ALIASES)');
  });

  it('names in counters (LIMIT_COUNTERS_NAMES 1000), Query.counters and Namespace.counters, literal and variable', async () => {
    const msg = 'counters with 1001 names exceeds the limit of 1000 (LIMIT_COUNTERS_NAMES)';
    const lit = (n: number) => `{ counters(namespace: "ev", names: ${literal(names(n))}) { count } }`;
    expect((ok(await run(s, t, lit(1000))).data!.counters as unknown[]).length).toBe(1000);
    refused(await run(s, t, lit(1001)), 'LIMIT_COUNTERS_NAMES', msg);
    expect((ok(await run(s, t, COUNTERS, { ns: 'ev', n: names(1000) })).data!.counters as unknown[]).length).toBe(1000);
    refused(await run(s, t, COUNTERS, { ns: 'ev', n: names(1001) }), 'LIMIT_COUNTERS_NAMES', msg);
    const nested = 'query ($n: [String!]!) { namespace(name: "ev") { counters(names: $n) { count } } }';
    ok(await run(s, t, nested, { n: names(1000) }));
    refused(await run(s, t, nested, { n: names(1001) }), 'LIMIT_COUNTERS_NAMES', msg);
    refused(await run(s, t, `{ namespace(name: "ev") { counters(names: ${literal(names(1001))}) { count } } }`), 'LIMIT_COUNTERS_NAMES', msg);
  });

  it('items in addCounts (LIMIT_ADDCOUNTS_ITEMS 1000), literal and variable, and a refusal writes nothing', async () => {
    const ns = 'acc'; // ACCURATE: every read is the exact sum of what was written
    const name = `w-${t}`;
    const before = await s.gql<{ counter: { count: string } }>(COUNT, { ns, n: name });
    expect(before.data!.counter.count).toBe('0');
    refused(await run(s, t, ADD_MANY, { is: items(1001, ns, name) }), 'LIMIT_ADDCOUNTS_ITEMS', 'addCounts with 1001 items exceeds the limit of 1000 (LIMIT_ADDCOUNTS_ITEMS)');
    const inline = (n: number) => `mutation { addCounts(inputs: [${Array.from({ length: n }, () => `{namespace: "${ns}", name: "${name}", delta: 1}`).join(',')}]) { acceptedCount } }`;
    // Written out, 1,000 items are 13,000 tokens: past the default LIMIT_TOKENS (10,000), so
    // they are counted on a server whose token limit is raised (large lists go as variables).
    refused(await run(s, t, inline(1000)), 'LIMIT_TOKENS');
    refused(await run(wide, t, inline(1001)), 'LIMIT_ADDCOUNTS_ITEMS');
    expect((await s.gql<{ counter: { count: string } }>(COUNT, { ns, n: name })).data!.counter.count).toBe('0');
    expect((await wide.gql<{ counter: { count: string } }>(COUNT, { ns, n: name })).data!.counter.count).toBe('0');
    // The compiled path sends its first sight of a text to Apollo: a mutation would run twice there.
    const once = t === 'compiled' ? 'apollo' : t;
    expect(ok(await run(s, once, ADD_MANY, { is: items(1000, ns, name) })).data!.addCounts).toEqual({ acceptedCount: 1000, rejectedCount: 0 });
    expect(ok(await run(wide, once, inline(1000))).data!.addCounts).toEqual({ acceptedCount: 1000 });
    expect((await s.gql<{ counter: { count: string } }>(COUNT, { ns, n: name })).data!.counter.count).toBe('1000');
    expect((await wide.gql<{ counter: { count: string } }>(COUNT, { ns, n: name })).data!.counter.count).toBe('1000');
  });

  it('estimated cost (LIMIT_COST 10000, the schema\'s @cost/@listSize, actual list lengths)', async () => {
    // Each `counters(names: 1000) { count }` costs 1000 x (Counter 1 + count 1) = 2000.
    const five = [1, 2, 3, 4, 5].map((i) => `a${i}: counters(namespace: "ev", names: $n) { count }`).join(' ');
    ok(await run(s, t, `query ($n: [String!]!) { ${five} }`, { n: names(1000) }));
    refused(
      await run(s, t, `query ($n: [String!]!) { ${five} x: namespace(name: "ev") { name } }`, { n: names(1000) }),
      'LIMIT_COST',
      'estimated cost 10001 exceeds the limit of 10000 (LIMIT_COST)',
    );
    // namespaces is assumed 20 long (@listSize): 20 x (1 + 1000 x 2) is past the limit.
    refused(await run(s, t, 'query ($n: [String!]!) { namespaces { counters(names: $n) { count } } }', { n: names(1000) }), 'LIMIT_COST');
  });

  it('field selections (LIMIT_FIELDS 200) and tokens (LIMIT_TOKENS)', async () => {
    ok(await run(s, t, `{ ${'__typename '.repeat(200)}}`));
    refused(await run(s, t, `{ ${'__typename '.repeat(201)}}`), 'LIMIT_FIELDS', 'field selection count 201 exceeds the limit of 200 (LIMIT_FIELDS)');
    // { counters ( namespace : "ev" names : [ ...n ] ) { count } } is 15 + n tokens.
    const tokens = (n: number) => `{ counters(namespace: "ev", names: ${literal(names(n))}) { count } }`;
    ok(await run(small, t, tokens(185)));
    refused(await run(small, t, tokens(186)), 'LIMIT_TOKENS', "the document's token count exceeds the limit of 200 (LIMIT_TOKENS)");
  });
});

describe('the compiled path serves what passes and leaves refusals to Apollo', () => {
  it('answers an allowed operation compiled', async () => {
    await post(s.url, { query: COUNTERS, variables: { ns: 'ev', n: ['warm'] } }); // compiled from its second sight on
    const before = await servedCompiled();
    ok(await post(s.url, { query: COUNTERS, variables: { ns: 'ev', n: names(1000) } }));
    expect(await servedCompiled()).toBe(before + 1);
    refused(await post(s.url, { query: COUNTERS, variables: { ns: 'ev', n: names(1001) } }), 'LIMIT_COUNTERS_NAMES');
    expect(await servedCompiled()).toBe(before + 1);
  });
});

describe('queries by GET obey the same limits', () => {
  const get = async (query: string): Promise<Answer> => {
    const res = await fetch(`${s.url}?query=${encodeURIComponent(query)}`, { headers: ACCEPT });
    return { status: res.status, ...((await res.json()) as Omit<Answer, 'status'>) };
  };
  it('refuses past a limit, serves at it', async () => {
    ok(await get(fragmentChain(10)));
    refused(await get(fragmentChain(11)), 'LIMIT_DEPTH', 'fragment nesting 11 exceeds the limit of 10 (LIMIT_DEPTH)');
    refused(await get(deep(11)), 'LIMIT_DEPTH', 'query depth 11 exceeds the limit of 10 (LIMIT_DEPTH)');
    refused(await get(`{ counters(namespace: "ev", names: ${literal(names(1001))}) { count } }`), 'LIMIT_COUNTERS_NAMES');
  });
});

describe('request body (HTTP_MAX_BODY_BYTES 1 MiB)', () => {
  const sized = (bytes: number) => {
    const base = JSON.stringify({ query: '{ namespaces { name } }', pad: '' });
    return base.replace('"pad":""', `"pad":"${'x'.repeat(bytes - base.length)}"`);
  };
  it('takes 1 MiB and answers 413 past it', async () => {
    expect(sized(1024 * 1024)).toHaveLength(1024 * 1024);
    ok(await post(s.url, sized(1024 * 1024)));
    const res = await post(s.url, sized(1024 * 1024 + 1));
    expect(res.status).toBe(413);
  });
});

/**
 * The attack inputs of issue #12, each refused before anything runs: timed around the
 * request (the bound is generous: a loaded CI machine) and with the event loop's delay
 * sampled while they run. The figures are printed for the record.
 */
describe('the attacks of issue #12 are refused fast and hold nothing', () => {
  const attacks: [string, () => unknown, (a: Answer) => void][] = [
    ['counters with 100,000 names (variable)', () => ({ query: COUNTERS, variables: { ns: 'acc', n: names(100_000, '') } }), (a) => refused(a, 'LIMIT_JSON_VALUES')],
    ['counters with 100,000 names (literal)', () => ({ query: `{ counters(namespace: "acc", names: ${literal(names(100_000, ''))}) { count } }` }), (a) => refused(a, 'LIMIT_TOKENS')],
    [
      '100,000 inline addCounts items',
      () => ({ query: `mutation { addCounts(inputs: [${'{namespace:"acc",name:"x",delta:1}'.repeat(100_000)}]) { acceptedCount } }` }),
      (a) => expect(a.status).toBe(413),
    ],
    [
      '25,000 inline addCounts items (under 1 MiB)',
      () => ({ query: `mutation { addCounts(inputs: [${'{namespace:"acc",name:"x",delta:1}'.repeat(25_000)}]) { acceptedCount } }` }),
      (a) => refused(a, 'LIMIT_TOKENS'),
    ],
    ['20,000 addCounts items (variable)', () => ({ query: ADD_MANY, variables: { is: items(20_000, 'acc', 'x') } }), (a) => refused(a, 'LIMIT_JSON_VALUES')],
    ['4,000 addCounts items (variable, under LIMIT_JSON_VALUES)', () => ({ query: ADD_MANY, variables: { is: items(4_000, 'acc', 'x') } }), (a) => refused(a, 'LIMIT_ADDCOUNTS_ITEMS')],
    [
      'namespaces { counters(2000 names) } in 17 KB',
      () => ({ query: `{ namespaces { counters(names: ${literal(names(2000, 'n'))}) { count } } }` }),
      (a) => refused(a, 'LIMIT_COUNTERS_NAMES'),
    ],
    [
      'namespaces { counters(1000 names) } (every namespace times 1000 reads)',
      () => ({ query: `{ namespaces { counters(names: ${literal(names(1000, 'n'))}) { count } } }` }),
      (a) => refused(a, 'LIMIT_COST'),
    ],
    ['10,000 aliases', () => ({ query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: namespaces { name }`).join(' ')} }` }), (a) => refused(a, 'LIMIT_TOKENS')],
    ['2,000 aliases', () => ({ query: `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), (a) => refused(a, 'LIMIT_FIELDS')],
    ['5,000 chained fragments', () => ({ query: fragmentChain(5000) }), (a) => refused(a, 'LIMIT_TOKENS')],
    ['1,000 chained fragments (within the token limit)', () => ({ query: fragmentChain(1000) }), (a) => refused(a, 'LIMIT_DEPTH')],
    ['5,000 repeated fields', () => ({ query: `{ ${'namespaces { name } '.repeat(5000)}}` }), (a) => refused(a, 'LIMIT_TOKENS')],
    ['2,000 repeated fields (within the token limit)', () => ({ query: `{ ${'namespaces { name } '.repeat(2000)}}` }), (a) => refused(a, 'LIMIT_FIELDS')],
    ['1,500 repeated fields', () => ({ query: `{ ${'namespaces { name } '.repeat(1500)}}` }), (a) => refused(a, 'LIMIT_FIELDS')],
  ];

  it.each(attacks)('%s', async (label, make, check) => {
    // Serialised before the clock starts: the client shares this process and its event loop.
    const body = JSON.stringify(make());
    const attack = () => post(s.url, body);
    await attack(); // warm: the first request of a kind pays for code loading and JIT
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const a = await attack();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    histogram.disable();
    check(a);
    const maxDelayMs = histogram.max / 1e6;
    // CPU time (this process, client included) tells the work apart from a loaded machine's waits.
    console.log(`${label}: answered in ${ms.toFixed(1)} ms (${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU), event-loop delay max ${maxDelayMs.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(maxDelayMs).toBeLessThan(1000);
    expect(a.status).not.toBe(500);
  });

  it('wrote nothing', async () => {
    expect((await s.gql<{ counter: { count: string } }>(COUNT, { ns: 'acc', n: 'x' })).data!.counter.count).toBe('0');
  });

  it('5,000 chained fragments with the token limit raised: refused with 400, never a stack overflow (500)', async () => {
    const big = await startServer({ LIMIT_TOKENS: 1_000_000 });
    try {
      const q = fragmentChain(5000);
      refused(await post(big.url, { query: q }), 'LIMIT_DEPTH', 'fragment nesting 11 exceeds the limit of 10 (LIMIT_DEPTH)');
      refused(await post(big.url, { query: q, extensions: {} }), 'LIMIT_DEPTH');
      refused(await wsRun(big.url, q), 'LIMIT_DEPTH');
      // A cycle is refused as graphql-js would, without recursing.
      const cycle = await post(big.url, { query: 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }' });
      expect(cycle.status).toBe(400);
      expect(cycle.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await big.stop();
    }
  });
});

describe('JSON values of a request body (LIMIT_JSON_VALUES 30,000), counted before JSON.parse', () => {
  it('1,000 addCounts items with idempotency tokens fit; a body past the limit is refused before it is parsed', async () => {
    const generationTime = new Date().toISOString();
    const withTokens = items(1000, 'acc', 'jv').map((it, i) => ({ ...it, idempotencyToken: { token: `t${i}`, generationTime } }));
    const ok = await post(s.url, { query: ADD_MANY, variables: { is: withTokens } });
    expect(ok.errors).toBeUndefined();
    const parse = jest.spyOn(JSON, 'parse');
    const past = await post(s.url, { query: COUNTERS, variables: { ns: 'acc', n: names(30_000, 'jv') } });
    // The test's own parse of the answer is the only one: the service never parsed the body.
    expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 100_000)).toEqual([]);
    parse.mockRestore();
    refused(past, 'LIMIT_JSON_VALUES');
    expect(past.errors![0]!.message).toBe('the number of JSON values in the request body exceeds the limit of 30000 (LIMIT_JSON_VALUES)');
  });
});

describe('introspection policy', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';
  const TYPE = '{ __type(name: "Counter") { name } }';
  const SDL = '{ _service { sdl } }';
  const TYPO = '{ namespaces { nme } }';

  async function policy(x: TestServer, t: Transport) {
    const schema = await run(x, t, INTROSPECT);
    const type = await run(x, t, TYPE);
    const sdl = await run(x, t, SDL);
    const typo = await run(x, t, TYPO);
    expect(typo.errors).toHaveLength(1);
    expect(typo.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    return {
      schema: schema.errors ? schema.errors[0]!.extensions?.code : 'served',
      type: type.errors ? type.errors[0]!.extensions?.code : 'served',
      sdl: sdl.errors ? sdl.errors[0]!.extensions?.code : 'served',
      suggests: /Did you mean/.test(typo.errors![0]!.message),
    };
  }
  const on = { schema: 'served', type: 'served', sdl: 'served', suggests: true };
  const off = { schema: 'GRAPHQL_VALIDATION_FAILED', type: 'GRAPHQL_VALIDATION_FAILED', sdl: 'GRAPHQL_VALIDATION_FAILED', suggests: false };

  it.each([
    [{}, on],
    [{ NODE_ENV: 'production' }, off],
    [{ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }, on],
    [{ NODE_ENV: 'production', GRAPHQL_EXPLORER: 'true' }, on],
    [{ GRAPHQL_INTROSPECTION: 'false' }, off],
  ])('%j: the same on every transport', async (env, expected) => {
    const x = Object.keys(env).length === 0 ? s : await startServer(env);
    try {
      for (const t of TRANSPORTS) expect({ t, ...(await policy(x, t)) }).toEqual({ t, ...expected });
    } finally {
      if (x !== s) await x.stop();
    }
  });

  it('hides hints in variable errors too when off', async () => {
    const x = await startServer({ NODE_ENV: 'production' });
    try {
      const q = 'mutation ($i: NamespaceInput!) { createNamespace(input: $i) { name } }';
      for (const t of ['apollo', 'ws'] as Transport[]) {
        const a = await run(x, t, q, { i: { name: 'zz', mode: 'EVENTUALL' } });
        expect(a.errors![0]!.message).not.toMatch(/Did you mean/);
      }
    } finally {
      await x.stop();
    }
  });
});

/**
 * Batches at the limits are served without holding the event loop: the longest single block
 * while one runs, on the embedded store (printed; the contract's goal is ~50 ms).
 */
describe('batches at the limits do not hold the event loop', () => {
  const longestBlock = async (body: string, rounds = 5) => {
    let worst = 0;
    let slowest = 0;
    for (let i = 0; i < rounds; i++) {
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      const t0 = performance.now();
      const a = await post(s.url, body);
      slowest = Math.max(slowest, performance.now() - t0);
      histogram.disable();
      ok(a);
      if (process.env.DEBUG_LIMITS) console.log(i, (performance.now() - t0).toFixed(1), (histogram.max / 1e6).toFixed(1));
      worst = Math.max(worst, histogram.max / 1e6);
    }
    return { worst, slowest };
  };

  it.each([
    ['addCounts, 1,000 items (EVENTUAL)', () => ({ query: ADD_MANY, variables: { is: names(1000).map((n) => ({ namespace: 'ev', name: n, delta: '1' })) } })],
    ['addCounts, 1,000 items (ACCURATE, one counter)', () => ({ query: ADD_MANY, variables: { is: items(1000, 'acc', 'batch') } })],
    ['counters, 1,000 names (ACCURATE)', () => ({ query: COUNTERS, variables: { ns: 'acc', n: names(1000) } })],
    ['counters, 1,000 names (EVENTUAL)', () => ({ query: COUNTERS, variables: { ns: 'ev', n: names(1000, 'r') } })],
  ])('%s', async (label, make) => {
    const { worst, slowest } = await longestBlock(JSON.stringify(make()));
    console.log(`${label}: slowest request ${slowest.toFixed(1)} ms, longest event-loop block ${worst.toFixed(1)} ms`);
    expect(worst).toBeLessThan(1000);
  });
});

describe('subscriptions over the websocket obey the same limits', () => {
  /** The first answer of a subscription: its first value, or its refusal. */
  const firstOf = (query: string): Promise<Answer> => {
    let client = clients.get(s.url);
    if (!client) clients.set(s.url, (client = wsClient(s.url)));
    return new Promise((resolve) => {
      const stop = client.subscribe(
        { query },
        {
          next: (r) => {
            stop();
            resolve({ status: 0, data: r.data as Record<string, unknown>, errors: r.errors as Err[] | undefined });
          },
          error: (e) => resolve({ status: 0, errors: e as Err[] }),
          complete: () => undefined,
        },
      );
    });
  };
  const sub = (aliases: number) =>
    `subscription { counterUpdated(namespace: "ev", name: "live") { count ${Array.from({ length: aliases }, (_, i) => `a${i}: count`).join(' ')} } }`;

  it('at the limit it streams, past it it is refused before it starts', async () => {
    expect((ok(await firstOf(sub(50))).data!.counterUpdated as { count: string }).count).toBe('0');
    refused(await firstOf(sub(51)), 'LIMIT_ALIASES', 'alias count 51 exceeds the limit of 50 (LIMIT_ALIASES)');
    refused(await firstOf(fragmentChain(1000).replace('query', 'subscription')), 'LIMIT_DEPTH');
  });
});
