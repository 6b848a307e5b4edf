import fc from 'fast-check';
import WebSocket from 'ws';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';
import { wsUrl } from './helpers/subscriptions';

/**
 * Malformed requests against the real service, generated from a fixed seed (the same
 * inputs on every run): bad JSON, wrong types for every field of a GraphQL request, huge
 * strings, deep nesting, unknown fields, types and __typenames, bad Long/DateTime values,
 * every method, odd content types, batches, and malformed websocket messages. No answer may
 * be a server error (5xx, INTERNAL_SERVER_ERROR, a 4500/1011 close), no error may repeat
 * more than ~200 bytes of what was sent, and no counter or namespace may change: every
 * mutation generated carries at least one defect.
 */
const SEED = 20_261_203;
const HTTP_CASES = 3000;
const WS_CONNECTIONS = 200;
const WS_MESSAGES = 30;
const MAX_ECHO = 200;

const NS = 'fz';
const COUNTERS = ['c0', 'c1', 'c2', 'c3', 'c4'];

// ---------------------------------------------------------------------------------------
// Values: GraphQL literals and JSON variables, valid-looking and broken.

const huge = fc.constantFrom(1_000, 5_000, 70_000, 300_000).chain((n) => fc.constantFrom('a', 'é', '9', '"', '\\', '𝄞').map((c) => c.repeat(n)));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), huge);
/** What the service accepts (these filters keep every generated defect a defect). */
const validLong = (v: unknown): boolean =>
  (typeof v === 'string' && /^-?(0|[1-9][0-9]*)$/.test(v) && v.length <= 20 && BigInt(v) < 2n ** 63n && BigInt(v) >= -(2n ** 63n)) || Number.isSafeInteger(v);
const validName = (v: unknown): boolean => typeof v === 'string' && /^[A-Za-z0-9_\-.:/]{1,255}$/.test(v);
const badLong = fc
  .oneof(
    fc.constantFrom('', '1.5', '1e3', '-', '--1', ' 1', '0x10', '9223372036854775808', '-9223372036854775809', 'NaN', 'Infinity', '١٢٣'),
    fc.constantFrom(1.5, 1e300, -0.5, Number.MAX_SAFE_INTEGER + 2, true, null, [], {}),
    fc.integer({ min: 2, max: 6 }).map((k) => '9'.repeat(10 ** k)),
    text,
  )
  .filter((v) => !validLong(v));
const badDateTime = fc.oneof(
  fc.constantFrom('', 'now', '2024-13-01T00:00:00Z', '2024-10-05T14:48:00', '2024-10-05 14:48:00Z', '1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z', '2024-02-30T00:00:00Z'),
  fc.constantFrom(0, -1, 1e20, true, null, {}),
  text,
);
const badName = fc.oneof(fc.constantFrom('', ' ', 'a b', 'a\u0000', 'ä', 'x'.repeat(256), '<script>'), fc.constantFrom(5, null, true, ['a'], {}), text).filter((v) => !validName(v));
const gqlString = (s: string): string => JSON.stringify(s);
/** A GraphQL literal of any kind, possibly nonsense for the argument it is given to. */
const literal: fc.Arbitrary<string> = fc.oneof(
  text.map(gqlString),
  fc.constantFrom('1', '-1', '1.5', '1e3', '99999999999999999999999', 'true', 'null', 'BEST_EFFORT', 'NOPE', '[]', '{}', '$undeclared', '"""block"""'),
  fc.nat(6).map((k) => '9'.repeat(10 ** k)),
  fc.array(text.map(gqlString), { maxLength: 5 }).map((a) => `[${a.join(', ')}]`),
);

// ---------------------------------------------------------------------------------------
// Operations. Mutations always get one defect, so a fuzzed request never writes.

const goodTime = (): string => new Date().toISOString();
const defectiveInput = fc
  .record({
    defect: fc.constantFrom('delta', 'name', 'namespace', 'unknownNamespace', 'token', 'generationTime', 'expired'),
    name: fc.constantFrom(...COUNTERS),
    long: badLong,
    bad: badName,
    time: badDateTime,
  })
  .map(({ defect, name, long, bad, time }) => {
    const input: Record<string, unknown> = { namespace: NS, name, delta: '1', idempotencyToken: { token: 't', generationTime: 'NOW' } };
    if (defect === 'delta') input.delta = long;
    if (defect === 'name') input.name = bad;
    if (defect === 'namespace') input.namespace = bad;
    if (defect === 'unknownNamespace') input.namespace = 'no-such-namespace';
    if (defect === 'token') input.idempotencyToken = { token: typeof bad === 'string' && bad.length > 255 ? bad : '', generationTime: 'NOW' };
    if (defect === 'generationTime') input.idempotencyToken = { token: 't', generationTime: time };
    if (defect === 'expired') input.idempotencyToken = { token: 't', generationTime: '2001-01-01T00:00:00.000Z' };
    return input;
  });
const defectiveNamespace = fc
  .record({ defect: fc.nat(5), bad: badName, n: fc.integer({ min: -5, max: 59 }) })
  .map(({ defect, bad, n }) => {
    if (defect === 0) return { name: bad, mode: 'ACCURATE' };
    if (defect === 1) return { name: 'fz-new', mode: 'SOMETIMES' };
    if (defect === 2) return { name: 'fz-new', mode: 'EVENTUAL', ttlSeconds: 60 };
    if (defect === 3) return { name: 'fz-new', mode: 'ACCURATE', retentionSeconds: n };
    if (defect === 4) return { name: 'fz-new', mode: 'ACCURATE', acceptLimitMs: -Math.abs(n) };
    return { name: NS, mode: 'BEST_EFFORT' }; // exists as ACCURATE: NAMESPACE_CONFLICT
  });

interface Op {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}
const withNow = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replaceAll('"NOW"', JSON.stringify(goodTime())));

const operation: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ a: literal, b: literal }).map(({ a, b }) => ({ query: `{ counter(namespace: ${a}, name: ${b}) { id count mode } }` })),
  fc.record({ n: fc.anything(), ns: fc.anything() }).map(({ n, ns }) => ({ query: 'query ($ns: String!, $n: [String!]!) { counters(namespace: $ns, names: $n) { count } }', variables: { ns, n } })),
  fc.array(fc.oneof(fc.anything(), fc.record({ __typename: fc.oneof(text, fc.constantFrom('Counter', 'Namespace', 'Query', 'Mutation', '_Service', 'Long', '__Schema')), namespace: fc.anything(), name: fc.anything() })), { maxLength: 6 }).map(
    (representations) => ({ query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Counter { count } ... on Namespace { mode } } }', variables: { r: representations } }),
  ),
  defectiveInput.map((input) => ({ query: 'mutation ($input: AddCountInput!) { addCount(input: $input) { counter { count } } }', variables: { input } })),
  defectiveInput.map((input) => ({ query: 'mutation ($input: AddCountInput!) { addAndGetCount(input: $input) { count } }', variables: { input } })),
  defectiveInput.map(({ delta: _d, ...input }) => ({ query: 'mutation ($input: ClearCountInput!) { clearCount(input: $input) { count } }', variables: { input: input.namespace === NS && input.name !== undefined && (input.idempotencyToken as { generationTime: string }).generationTime === 'NOW' && COUNTERS.includes(input.name as string) ? { ...input, name: '' } : input } })),
  fc.array(defectiveInput, { minLength: 1, maxLength: 4 }).map((inputs) => ({ query: 'mutation ($i: [AddCountInput!]!) { addCounts(inputs: $i) { acceptedCount rejectedCount items { error { code } } } }', variables: { i: inputs } })),
  defectiveNamespace.map((input) => ({ query: 'mutation ($input: NamespaceInput!) { createNamespace(input: $input) { name } }', variables: { input } })),
  fc.record({ l: badLong, name: fc.constantFrom(...COUNTERS) }).map(({ l, name }) => ({ query: `mutation { addCount(input: {namespace: "${NS}", name: "${name}", delta: ${typeof l === 'string' ? gqlString(l) : JSON.stringify(l)}}) { counter { count } } }` })),
  fc.nat(400).map((d) => ({ query: `{ ${'namespace(name: "fz") { counter(name: "c0") { '.repeat(1)}${'a { '.repeat(d)}b${' }'.repeat(d)} } } }` })),
  fc.nat(2000).map((d) => ({ query: `${'{'.repeat(d)}${'}'.repeat(d)}` })),
  fc.constantFrom(
    '{ nope }',
    '{ ... on Nope { a } }',
    'query { __typename ... on Mutation { addCount } }',
    '{ __schema { types { name } } }',
    'subscription { counterUpdated(namespace: "fz", name: "c0") { count } }',
    'subscription { counterUpdated(namespace: "fz", name: "c0") { count } } subscription B { counterUpdated(namespace: "fz", name: "c1") { count } }',
    'mutation { __typename }',
    'query A { __typename } query A { __typename }',
    'fragment F on Counter { ...F } { counter(namespace: "fz", name: "c0") { ...F } }',
    '{ counter(namespace: "fz", name: "c0") { count(x: 1) } }',
    '{ counter(namespace: "fz", name: "c0", extra: 1) { count } }',
  ).map((query) => ({ query })),
  fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 3 }).chain((aliases) => fc.nat(3000).map((n) => ({ query: `{ ${Array.from({ length: n }, (_, i) => `${aliases[i % aliases.length]}${i}: __typename`).join(' ')} }` }))),
  text.map((query) => ({ query })),
  fc.record({ query: fc.anything(), variables: fc.anything(), operationName: fc.anything(), extensions: fc.anything() }, { requiredKeys: [] }),
  fc.record({
    query: fc.constantFrom('{ namespaces { name } }', 'subscription { counterUpdated(namespace: "fz", name: "c0") { count } }'),
    extensions: fc.oneof(
      fc.record({ persistedQuery: fc.oneof(fc.anything(), fc.record({ version: fc.anything(), sha256Hash: fc.oneof(text, fc.anything()) })) }),
      fc.record({ subscription: fc.oneof(fc.anything(), fc.record({ callbackUrl: fc.oneof(text, fc.constantFrom('http://127.0.0.1:1/cb', 'file:///etc/passwd', 'javascript:1')), subscriptionId: fc.anything(), verifier: fc.anything(), heartbeatIntervalMs: fc.anything() }, { requiredKeys: [] })) }),
      fc.anything(),
    ),
  }),
  fc.record({ query: fc.constant('query ($d: Long, $t: DateTime) { __typename }'), variables: fc.record({ d: badLong, t: badDateTime }) }),
);

// ---------------------------------------------------------------------------------------
// HTTP requests around the operations.

interface HttpCase {
  method: string;
  search: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/graphql-response+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/graphql', '', 'application/json; charset=utf-16', 'json');
const accept = fc.constantFrom(undefined, '*/*', 'application/json', 'application/graphql-response+json', 'text/html', 'multipart/mixed; deferSpec=20220824', 'text/event-stream', 'image/png');
const encodeGet = (op: Op): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(op)) if (v !== undefined) q.set(k, typeof v === 'string' && k === 'query' ? v : JSON.stringify(v) ?? '');
  return `?${q}`;
};
const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    op: operation,
    form: fc.constantFrom('post', 'post', 'post', 'get', 'batch', 'rawBody', 'truncated', 'otherMethod', 'getRawSearch'),
    method: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'GET'),
    contentType,
    accept,
    preflight: fc.boolean(),
    raw: fc.oneof(text, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.constantFrom('', 'null', '[]', '[[]]', '{"query":', '"{}"', '1e999', '{"__proto__":{"query":"{a}"}}', `${'['.repeat(5000)}${']'.repeat(5000)}`)),
    batch: fc.array(operation, { minLength: 0, maxLength: 4 }),
    cut: fc.nat(200),
  })
  .map(({ op, form, method, contentType: ct, accept: acc, preflight, raw, batch, cut }) => {
    const headers: Record<string, string> = {};
    if (ct) headers['content-type'] = ct;
    if (acc) headers.accept = acc;
    if (preflight) headers['apollo-require-preflight'] = 'true';
    const json = (v: unknown): string => JSON.stringify(withNow(v)) ?? 'null';
    switch (form) {
      case 'get':
        return { method: 'GET', search: encodeGet(withNow(op) as Op), headers };
      case 'getRawSearch':
        return { method: 'GET', search: `?${typeof raw === 'string' ? encodeURIComponent(raw) : 'query=%ff%fe'}&query=${encodeURIComponent(String(op.query))}`, headers };
      case 'batch':
        return { method: 'POST', search: '', headers, body: json(batch) };
      case 'rawBody':
        return { method: 'POST', search: '', headers, body: raw };
      case 'truncated': {
        const body = json(op);
        return { method: 'POST', search: '', headers, body: body.slice(0, Math.max(1, body.length - 1 - cut)) };
      }
      case 'otherMethod':
        return { method, search: method === 'GET' || method === 'HEAD' ? encodeGet(op) : '', headers, body: method === 'GET' || method === 'HEAD' ? undefined : json(op) };
      default:
        return { method: 'POST', search: '', headers, body: json(op) };
    }
  });

// ---------------------------------------------------------------------------------------
// Websocket messages.

// Malformed frames close the connection (4400) at once, so they are the rarer kind: most
// messages are well-framed and reach the operation handling.
const wsMessage: fc.Arbitrary<string | Buffer> = fc.oneof(
  { arbitrary: text, weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)), weight: 1 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 },
  {
    arbitrary: fc
      .record({ type: fc.oneof(fc.constantFrom('connection_init', 'ping', 'pong', 'subscribe', 'complete', 'next', 'error', 'connection_ack', 'start', 'stop'), text, fc.anything()), id: fc.anything(), payload: fc.anything() }, { requiredKeys: [] })
      .map((m) => JSON.stringify(m) ?? 'null'),
    weight: 1,
  },
  { arbitrary: fc.constantFrom('ping', 'pong').map((type) => JSON.stringify({ type })), weight: 2 },
  { arbitrary: fc.record({ id: fc.oneof(fc.constantFrom('a', 'b', 'X'), text), op: operation }).map(({ id, op }) => JSON.stringify({ id, type: 'subscribe', payload: withNow(op) })), weight: 12 },
  { arbitrary: fc.constantFrom('a', 'b', 'X').map((id) => JSON.stringify({ id, type: 'complete' })), weight: 6 },
);
const wsSession = fc.record({ init: fc.constantFrom('yes', 'yes', 'yes', 'no', 'twice', 'bad'), messages: fc.array(wsMessage, { minLength: 1, maxLength: WS_MESSAGES }) });

// ---------------------------------------------------------------------------------------
// Checks.

interface Violation {
  input: string;
  problem: string;
}
/** Whether `message` repeats more than MAX_ECHO consecutive characters of `input`. */
const echoes = (message: string, input: string): boolean => {
  if (message.length <= MAX_ECHO) return false;
  for (let i = 0; i + MAX_ECHO < message.length; i++) if (input.includes(message.slice(i, i + MAX_ECHO + 1))) return true;
  return false;
};
/** Every `message` string inside a response's data. */
const dataMessages = (data: unknown, out: string[] = []): string[] => {
  if (Array.isArray(data)) for (const d of data) dataMessages(d, out);
  else if (typeof data === 'object' && data !== null) {
    for (const [k, v] of Object.entries(data)) {
      if (k === 'message' && typeof v === 'string') out.push(v);
      else dataMessages(v, out);
    }
  }
  return out;
};
const errorProblems = (errors: unknown, input: string): string[] => {
  if (!Array.isArray(errors)) return [];
  const problems: string[] = [];
  for (const e of errors as { message?: unknown; extensions?: Record<string, unknown> }[]) {
    const code = e?.extensions?.code;
    if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${String(e.message).slice(0, 200)}`);
    if (typeof code !== 'string') problems.push(`an error without a code: ${String(e?.message).slice(0, 200)}`);
    for (const t of [e?.message, ...Object.values(e?.extensions ?? {})]) {
      if (typeof t === 'string' && echoes(t, input)) problems.push(`echoes over ${MAX_ECHO} bytes: ${t.slice(0, 120)}…`);
    }
  }
  return problems;
};

describe('fuzzing the transport (fixed seed)', () => {
  let s: TestServer;
  let before: string;
  const readBack = async (): Promise<string> => {
    const r = await s.gql(`{ counters(namespace: "${NS}", names: ${JSON.stringify(COUNTERS)}) { name count } namespaces { name mode ttlSeconds retentionSeconds acceptLimitMs } }`);
    return JSON.stringify(r.data);
  };
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, NS, 'ACCURATE');
    for (const [i, name] of COUNTERS.entries()) {
      await s.gql('mutation ($i: AddCountInput!) { addCount(input: $i) { counter { count } } }', { i: { namespace: NS, name, delta: String(i * 7 + 1) } });
    }
    before = await readBack();
  });
  afterAll(() => s.stop());

  it(`answers ${HTTP_CASES} malformed HTTP requests without a server error or a long echo, and writes nothing`, async () => {
    const cases = fc.sample(httpCase, { seed: SEED, numRuns: HTTP_CASES });
    const violations: Violation[] = [];
    const statuses = new Map<number, number>();
    let tried = 0;
    const one = async (c: HttpCase): Promise<void> => {
      const input = `${[...new URLSearchParams(c.search).values()].join('\n')}\n${String(c.body ?? '')}`;
      const res = await fetch(`${s.url}${c.search}`, { method: c.method, headers: c.headers, body: c.body }).catch((err: Error) => err);
      if (res instanceof Error) {
        violations.push({ input: `${c.method} ${c.search.slice(0, 150)} ${String(c.body ?? '').slice(0, 300)}`, problem: `no answer: ${res.message}` });
        return;
      }
      const body = await res.text();
      tried++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const problems: string[] = [];
      if (res.status >= 500) problems.push(`HTTP ${res.status}: ${body.slice(0, 200)}`);
      if (body.length > 0 && (res.headers.get('content-type') ?? '').includes('json')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          problems.push(`not JSON: ${body.slice(0, 100)}`);
        }
        const list = Array.isArray(parsed) ? parsed : [parsed];
        for (const p of list) {
          problems.push(...errorProblems((p as { errors?: unknown } | null)?.errors, input));
          // Refusals carried as data (addCounts items) are bounded the same way.
          for (const m of dataMessages((p as { data?: unknown } | null)?.data)) if (echoes(m, input)) problems.push(`data echoes over ${MAX_ECHO} bytes: ${m.slice(0, 120)}…`);
        }
      }
      for (const problem of problems) violations.push({ input: `${c.method} ${c.search.slice(0, 150)} ${JSON.stringify(c.headers)} ${String(c.body ?? '').slice(0, 300)}`, problem });
    };
    const CONCURRENCY = 8;
    for (let i = 0; i < cases.length; i += CONCURRENCY) await Promise.all(cases.slice(i, i + CONCURRENCY).map(one));

    console.log(`[fuzz] ${tried} HTTP requests (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(tried).toBe(HTTP_CASES);
    expect(violations.slice(0, 10)).toEqual([]);
    expect(await readBack()).toBe(before);
  });

  it(`answers ${WS_CONNECTIONS} websocket sessions of malformed messages without a server error, and writes nothing`, async () => {
    const sessions = fc.sample(wsSession, { seed: SEED, numRuns: WS_CONNECTIONS });
    const violations: Violation[] = [];
    const closes = new Map<number, number>();
    let tried = 0;
    const one = async ({ init, messages }: { init: string; messages: (string | Buffer)[] }): Promise<void> => {
      const ws = new WebSocket(wsUrl(s.url), 'graphql-transport-ws');
      ws.on('error', () => undefined);
      const input = messages.map(String).join('\n');
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.on('message', (data) => {
        let msg: { type?: string; payload?: unknown };
        try {
          msg = JSON.parse(String(data)) as typeof msg;
        } catch {
          return void violations.push({ input, problem: `not JSON: ${String(data).slice(0, 100)}` });
        }
        const errors = msg.type === 'error' ? msg.payload : msg.type === 'next' ? (msg.payload as { errors?: unknown })?.errors : undefined;
        for (const problem of errorProblems(errors, input)) violations.push({ input: input.slice(0, 300), problem });
      });
      await new Promise<void>((r) => {
        ws.once('open', () => r());
        ws.once('close', () => r());
      });
      if (ws.readyState === ws.OPEN) {
        if (init === 'yes' || init === 'twice') ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
        if (init === 'twice') ws.send(JSON.stringify({ type: 'connection_init' }));
        if (init === 'bad') ws.send(JSON.stringify({ type: 'connection_init', payload: 'x'.repeat(1000) }));
        await new Promise((r) => setTimeout(r, 5));
        for (const m of messages) {
          if (ws.readyState !== ws.OPEN) break;
          ws.send(m);
          tried++;
        }
        await new Promise((r) => setTimeout(r, 30));
        if (ws.readyState === ws.OPEN) ws.close(1000);
      }
      const code = await closed;
      closes.set(code, (closes.get(code) ?? 0) + 1);
      if (code === 4500 || code === 1011) violations.push({ input: input.slice(0, 300), problem: `closed ${code}` });
    };
    const CONCURRENCY = 6;
    for (let i = 0; i < sessions.length; i += CONCURRENCY) await Promise.all(sessions.slice(i, i + CONCURRENCY).map(one));

    console.log(`[fuzz] ${tried} websocket messages over ${WS_CONNECTIONS} connections (seed ${SEED}); close codes ${JSON.stringify(Object.fromEntries([...closes].sort()))}`);
    expect(tried).toBeGreaterThan(WS_CONNECTIONS * 3);
    expect(violations.slice(0, 10)).toEqual([]);
    await waitFor(async () => ((await s.app.metrics.subscriptions.get()).values[0]?.value ?? 0) === 0, 5000);
    expect(await readBack()).toBe(before);
  });
});

/** The server errors the fuzzing found, each pinned down (Apollo's path, the compiled path, GET). */
describe('what the fuzzing found', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, NS, 'ACCURATE');
  });
  afterAll(() => s.stop());

  const postJson = async (body: unknown) => {
    const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { data?: unknown; errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[] } };
  };
  const getQs = async (params: Record<string, string>) => {
    const res = await fetch(`${s.url}?${new URLSearchParams(params)}`, { headers: { 'apollo-require-preflight': 'true' } });
    return { status: res.status, body: (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
  };

  it('an unknown __typename in _entities fails only its own representation (every time: Apollo, then compiled)', async () => {
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Counter { count } } }';
    const r = [{ __typename: 'Nope' }, { __typename: 'Counter', namespace: NS, name: 'a' }, 7, { __typename: 'Query' }];
    for (let i = 0; i < 3; i++) {
      const { status, body } = await postJson({ query, variables: { r } });
      expect(status).toBe(200);
      expect(body.data).toEqual({ _entities: [null, { count: '0' }, null, null] });
      expect(body.errors!.map((e) => [e.path, e.extensions?.code]).sort()).toEqual([
        [['_entities', 0], 'BAD_USER_INPUT'],
        [['_entities', 2], 'BAD_USER_INPUT'],
        [['_entities', 3], 'BAD_USER_INPUT'],
      ]);
    }
  });

  it('a subscription by POST or GET is a 4xx BAD_REQUEST', async () => {
    const query = `subscription { counterUpdated(namespace: "${NS}", name: "a") { count } }`;
    const post = await postJson({ query });
    expect(post.status).toBe(400);
    expect(post.body.errors).toEqual([{ message: 'subscriptions are served over websocket at /graphql (graphql-transport-ws)', extensions: { code: 'BAD_REQUEST' } }]);
    const get = await getQs({ query });
    expect(get.status).toBe(405);
    expect(get.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('a malformed extensions.subscription is 400 BAD_REQUEST before any callback is made', async () => {
    const query = `subscription { counterUpdated(namespace: "${NS}", name: "a") { count } }`;
    for (const subscription of [5, {}, { callbackUrl: 'file:///etc/passwd', subscriptionId: 'a', verifier: 'v' }, { callbackUrl: 'http://x/', subscriptionId: 1, verifier: 'v' }]) {
      const r = await postJson({ query, extensions: { subscription } });
      expect({ subscription, status: r.status, code: r.body.errors?.[0]?.extensions?.code }).toEqual({ subscription, status: 400, code: 'BAD_REQUEST' });
    }
    const onQuery = await postJson({ query: '{ namespaces { name } }', extensions: { subscription: { callbackUrl: 'http://127.0.0.1:1/', subscriptionId: 'a', verifier: 'v' } } });
    expect(onQuery.status).toBe(400);
    expect(onQuery.body.errors?.[0]?.message).toContain('subscription operations only');
  });

  it('GET with extensions (a persisted query that does not match) is 400 BAD_REQUEST', async () => {
    const r = await getQs({ query: '{ namespaces { name } }', extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'abc' } }) });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('repeats at most a short prefix of a huge or long input', async () => {
    // Just under HTTP_MAX_BODY_BYTES (1 MiB): the body is read, the Long must be refused cheaply.
    const longLong = '9'.repeat(1_000_000);
    const started = Date.now();
    const long = await postJson({ query: `mutation ($d: Long!) { addCount(input: {namespace: "${NS}", name: "a", delta: $d}) { counter { count } } }`, variables: { d: longLong } });
    expect(Date.now() - started).toBeLessThan(3000);
    const name = await postJson({ query: `{ counter(namespace: "${NS}", name: "${'n'.repeat(300)}") { count } }` });
    const item = await postJson({ query: 'mutation ($i: [AddCountInput!]!) { addCounts(inputs: $i) { items { error { code message } } } }', variables: { i: [{ namespace: NS, name: 'q'.repeat(300), delta: '1' }] } });
    expect(item.text).not.toContain('q'.repeat(49));
    expect(item.text).toContain('BAD_USER_INPUT');
    const variable = await postJson({ query: 'query ($n: [String!]!) { counters(namespace: "fz", names: $n) { count } }', variables: { n: [{ v: 'v'.repeat(5000) }] } });
    for (const r of [long, name, variable]) {
      expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      for (const e of r.body.errors!) expect(e.message.length).toBeLessThanOrEqual(201);
      expect(r.text.length).toBeLessThan(1000);
    }
    expect(long.text).not.toContain('9'.repeat(49));
  });
});
