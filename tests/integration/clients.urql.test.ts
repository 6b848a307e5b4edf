import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';
import { createNamespace, startServer, type TestServer } from './helpers/server';

/**
 * urql 6 exactly as a UI sets it up by default: `new Client({ url, exchanges })` and nothing
 * else. Its defaults send queries by GET (`preferGetMethod: 'within-url-limit'`, a URL up to
 * 2047 characters) with no content type and no preflight header, mutations by POST with
 * `content-type: application/json`, and ask for `application/graphql-response+json` first.
 */
const COUNTER = gql`
  query Counter($namespace: String!, $name: String!) {
    counter(namespace: $namespace, name: $name) { id count }
  }
`;
const ADD = gql`
  mutation Add($input: AddCountInput!) {
    addCount(input: $input) { applied counter { id count } }
  }
`;

let s: TestServer;
let client: Client;
/** The method and response of every request urql made (it calls the global fetch). */
const requests: { method: string; url: string; status: number; type: string | null }[] = [];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  s = await startServer();
  await createNamespace(s, 'urql', 'ACCURATE');
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const res = await realFetch(input, init);
    requests.push({ method: init?.method ?? 'GET', url: String(input), status: res.status, type: res.headers.get('content-type') });
    return res;
  });
  client = new Client({ url: s.url, exchanges: [cacheExchange, fetchExchange] });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await s.stop();
});

describe("urql's default client", () => {
  it('runs a query by GET, a mutation by POST, and the query again with the new count', async () => {
    const vars = { namespace: 'urql', name: 'clicks' };
    const before = await client.query(COUNTER, vars).toPromise();
    expect(before.error).toBeUndefined();
    expect(before.data.counter).toEqual({ __typename: 'Counter', id: expect.any(String), count: '0' });

    const added = await client.mutation(ADD, { input: { ...vars, delta: '5' } }).toPromise();
    expect(added.error).toBeUndefined();
    expect(added.data.addCount).toEqual({ __typename: 'AddCountPayload', applied: true, counter: { __typename: 'Counter', id: before.data.counter.id, count: '5' } });

    const after = await client.query(COUNTER, vars, { requestPolicy: 'network-only' }).toPromise();
    expect(after.error).toBeUndefined();
    expect(after.data.counter).toEqual({ __typename: 'Counter', id: before.data.counter.id, count: '5' });

    expect(requests.map((r) => [r.method, r.status, r.type])).toEqual([
      ['GET', 200, 'application/graphql-response+json; charset=utf-8'],
      ['POST', 200, 'application/graphql-response+json; charset=utf-8'],
      ['GET', 200, 'application/graphql-response+json; charset=utf-8'],
    ]);
    expect(requests[0]!.url).toContain('?query=');
  });

  it('gets a refused document as GraphQL errors with their code, not a network error', async () => {
    const r = await client.query(gql`query Nope { nope }`, {}).toPromise();
    expect(r.error?.networkError).toBeUndefined();
    expect(r.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(requests.at(-1)).toMatchObject({ method: 'GET', status: 400 });
  });

  it('sends a query past the URL limit by POST', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `name-${i}`);
    const r = await client.query(gql`query Many($names: [String!]!) { counters(namespace: "urql", names: $names) { id count } }`, { names }).toPromise();
    expect(r.error).toBeUndefined();
    expect(r.data.counters).toHaveLength(200);
    expect(requests.at(-1)).toMatchObject({ method: 'POST', status: 200 });
  });
});

describe('GET without special headers', () => {
  const get = (query: string, headers: Record<string, string> = {}) => realFetch(`${s.url}?${new URLSearchParams({ query })}`, { headers });

  it('answers a query 200, with no header at all', async () => {
    const res = await get('{ counter(namespace: "urql", name: "clicks") { count } }');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ data: { counter: { count: '5' } } });
  });

  it('answers a mutation 405 (Allow: POST) and runs nothing', async () => {
    for (const headers of [{}, { accept: 'application/graphql-response+json' }, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const res = await get('mutation { addCount(input: {namespace: "urql", name: "clicks", delta: "1"}) { applied } }', headers);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    }
    const check = await client.query(COUNTER, { namespace: 'urql', name: 'clicks' }, { requestPolicy: 'network-only' }).toPromise();
    expect(check.data.counter.count).toBe('5');
  });
});
