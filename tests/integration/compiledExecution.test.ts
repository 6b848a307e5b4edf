import { randomUUID } from 'node:crypto';
import { CompiledExecution } from '../../src/http/compiledExecution';
import { createNamespace, startServer, type TestServer } from './helpers/server';

/**
 * The compiled path (src/http/compiledExecution.ts) answers exactly as Apollo would: the
 * same operations against a server with it and one without (HTTP_COMPILED_EXECUTION=off)
 * give the same status, content type and body, in every mode, for successes and refusals.
 */

let on: TestServer;
let off: TestServer;
beforeAll(async () => {
  [on, off] = await Promise.all([startServer(), startServer({ HTTP_COMPILED_EXECUTION: 'off' })]);
  for (const s of [on, off]) {
    await createNamespace(s, 'ev', 'EVENTUAL');
    await createNamespace(s, 'acc', 'ACCURATE');
    await createNamespace(s, 'be', 'BEST_EFFORT');
  }
});
afterAll(() => Promise.all([on.stop(), off.stop()]));

async function post(s: TestServer, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  // Messages may quote the server's clock: the two servers read it at different instants.
  const text = (await res.text()).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');
  return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body: text };
}

const serve = jest.spyOn(CompiledExecution.prototype, 'serve');
/** How many requests the compiled path answered itself so far. */
const servedCompiled = async (): Promise<number> => (await Promise.all(serve.mock.results.map((r) => r.value as Promise<boolean>))).filter(Boolean).length;

/**
 * Sends the same request to both; their answers must be equal. An operation is compiled the
 * second time its text is seen, so its text is first sent once without variables (refused
 * before anything runs when it has required ones; a read otherwise), then for real.
 */
const warmed = new Set<string>();
async function same(body: { query: string; variables?: unknown; operationName?: string }, headers: Record<string, string> = {}) {
  if (!warmed.has(body.query)) {
    warmed.add(body.query);
    await post(on, { ...body, variables: {} }, headers);
  }
  const [a, b] = [await post(on, body, headers), await post(off, body, headers)];
  expect(a).toEqual(b);
  return a;
}

const at = (ms = 0) => new Date(Date.now() + ms).toISOString();
const ADD = 'mutation Add($i: AddCountInput!) { addCount(input: $i) { applied counter { namespace name mode count } } }';
const GET = 'query Get($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { namespace name mode count } }';

describe('compiled execution answers as Apollo does', () => {
  it.each(['ev', 'acc', 'be'])('writes, retries and reads in %s', async (ns) => {
    const token = { token: randomUUID(), generationTime: at() };
    const input = { namespace: ns, name: 'c', delta: '5', idempotencyToken: token };
    expect((await same({ query: ADD, variables: { i: input } })).body).toContain('"applied":true');
    expect((await same({ query: ADD, variables: { i: input } })).body).toContain('"applied":false');
    expect((await same({ query: GET, variables: { ns, n: 'c' } })).body).toContain('"count":"5"');
  });

  it('bulk writes with refused items', async () => {
    const q = 'mutation M($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount items { index applied error { code message } } } }';
    const r = await same({ query: q, variables: { is: [{ namespace: 'ev', name: 'b', delta: '1' }, { namespace: 'nope', name: 'b', delta: '1' }, { namespace: 'ev', name: 'bad name', delta: '1' }] } });
    expect(r.body).toContain('"rejectedCount":2');
  });

  it('refusals: unknown namespace, bad name, expired token, overflow, bad variables, invalid documents', async () => {
    expect((await same({ query: GET, variables: { ns: 'nope', n: 'x' } })).body).toContain('NAMESPACE_NOT_FOUND');
    expect((await same({ query: GET, variables: { ns: 'ev', n: 'bad name' } })).body).toContain('BAD_USER_INPUT');
    const expired = { namespace: 'ev', name: 'x', delta: '1', idempotencyToken: { token: 't', generationTime: at(-60_000) } };
    expect((await same({ query: ADD, variables: { i: expired } })).body).toContain('IDEMPOTENCY_TOKEN_EXPIRED');
    expect((await same({ query: ADD, variables: { i: { namespace: 'ev', name: 'o', delta: '9223372036854775807' } } })).status).toBe(200);
    expect((await same({ query: ADD, variables: { i: { namespace: 'ev', name: 'o', delta: '1' } } })).body).toContain('COUNT_OVERFLOW');
    // Request errors (nothing ran): 200 in application/json, 400 in application/graphql-response+json (the spec's statuses).
    for (const [accept, status] of [['application/json', 200], ['application/graphql-response+json', 400]] as const) {
      expect((await same({ query: ADD, variables: { i: { namespace: 'ev', name: 'o', delta: 'x' } } }, { accept })).status).toBe(status);
      expect((await same({ query: GET, variables: { ns: 5, n: 'x' } }, { accept })).status).toBe(status);
      expect((await same({ query: '{ nope }' }, { accept })).status).toBe(status);
      expect((await same({ query: '{ counter(' }, { accept })).status).toBe(status);
      expect((await same({ query: 'query A { namespaces { name } } query B { namespaces { mode } }' }, { accept })).status).toBe(status);
    }
  });

  it('inline literals, several operations with operationName, entities, namespaces, other response types', async () => {
    await same({ query: '{ counter(namespace: "ev", name: "c") { count } namespaces { name mode acceptLimitMs } }' });
    await same({ query: 'query A { namespaces { name } } query B { namespace(name: "ev") { name counter(name: "c") { count } } }', operationName: 'B' });
    await same({
      query: 'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Counter { name count } ... on Namespace { name mode } } }',
      variables: { r: [{ __typename: 'Counter', namespace: 'ev', name: 'c' }, { __typename: 'Namespace', name: 'acc' }, { __typename: 'Counter', namespace: 'nope', name: 'c' }] },
    });
    await same({ query: GET, variables: { ns: 'ev', n: 'c' } }, { accept: 'application/graphql-response+json' });
    // Apollo Client's and urql's default Accept headers, a charset, a preference for application/json, none acceptable (406).
    for (const accept of [
      'application/graphql-response+json,application/json;q=0.9',
      'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
      'application/json; charset=utf-8',
      'application/graphql-response+json;q=0.5, application/json',
      'text/html',
    ]) {
      const r = await same({ query: GET, variables: { ns: 'ev', n: 'c' } }, { accept });
      expect(r.status).toBe(accept === 'text/html' ? 406 : 200);
    }
  });

  it('answered most of the requests above itself (not all through Apollo)', async () => {
    expect(await servedCompiled()).toBeGreaterThan(10);
  });

  it('compiles an operation only the second time it is seen', async () => {
    const q = `query Once${Date.now()} { namespaces { name } }`;
    const before = await servedCompiled();
    await post(on, { query: q });
    expect(await servedCompiled()).toBe(before);
    await post(on, { query: q });
    expect(await servedCompiled()).toBe(before + 1);
  });

  it('leaves a request that asks for a trace to Apollo (ftv1)', async () => {
    const r = await post(on, { query: GET, variables: { ns: 'ev', n: 'c' } }, { 'apollo-federation-include-trace': 'ftv1' });
    expect(JSON.parse(r.body).extensions.ftv1).toEqual(expect.any(String));
  });
});
