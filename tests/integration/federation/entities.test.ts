import { Trace } from '@apollo/usage-reporting-protobuf';
import { createNamespace, startServer, type GqlResponse, type TestServer } from '../helpers/server';
import { requestReads } from './util';

/**
 * What a router asks of a subgraph, over real HTTP: `_service { sdl }` (composition),
 * `_entities` (query planning across subgraphs) and inline traces (ftv1).
 */
type Entity = { __typename: string; namespace?: string; name?: string; count?: string; mode?: string } | null;

const ENTITIES = `query ($reps: [_Any!]!) {
  _entities(representations: $reps) {
    __typename
    ... on Counter { namespace name count mode }
    ... on Namespace { name mode acceptLimitMs counter(name: "a") { count } }
  }
}`;

async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GqlResponse<T> & { extensions?: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { ...((await res.json()) as GqlResponse<T>), status: res.status };
}

describe('federation entry points of the subgraph (_service, _entities, ftv1)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'fed_acc', 'ACCURATE');
    await createNamespace(s, 'fed_ev', 'EVENTUAL');
    const r = await s.gql(
      `mutation { a: addAndGetCount(input: {namespace: "fed_acc", name: "a", delta: "9007199254740993"}) { count }
                  b: addAndGetCount(input: {namespace: "fed_acc", name: "b", delta: -5}) { count }
                  c: addAndGetCount(input: {namespace: "fed_ev", name: "c", delta: 7}) { count } }`,
    );
    expect(r.errors).toBeUndefined();
  });
  afterAll(() => s.stop());

  it('serves _service.sdl with the federation link, keys and directives', async () => {
    const r = await s.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(r.errors).toBeUndefined();
    const sdl = r.data!._service.sdl;
    expect(sdl).toContain('url: "https://specs.apollo.dev/federation/v2.9"');
    expect(sdl).toMatch(/import: \[.*"@key".*"@shareable".*"@inaccessible".*"@cost".*"@listSize".*\]/s);
    expect(sdl).toMatch(/type Counter\s+@key\(fields: "namespace name"\)\s*\{/);
    expect(sdl).toMatch(/type Namespace\s+@key\(fields: "name"\)\s*\{/);
    expect(sdl).toMatch(/type ItemError\s+@shareable\s*\{/);
    expect(sdl).toMatch(/count: Long! @cost\(weight: 1\)/);
    expect(sdl).toMatch(/counters\(namespace: String!, names: \[String!\]!\): \[Counter!\]! @listSize\(assumedSize: 100\)/);
    expect(sdl).toMatch(/addCounts\(inputs: \[AddCountInput!\]!\): AddCountsPayload! @listSize\(assumedSize: 100, sizedFields: \["items"\]\)/);
    expect(sdl).toContain('counterUpdated(namespace: String!, name: String!): Counter!');
    expect(sdl).toMatch(/union _Entity = Counter \| Namespace\b/);
  });

  it('resolves counters and namespaces from representations, in order, with nulls and errors in place', async () => {
    const reps = [
      { __typename: 'Counter', namespace: 'fed_acc', name: 'a' },
      { __typename: 'Namespace', name: 'fed_ev' },
      { __typename: 'Counter', namespace: 'no_such_ns', name: 'a' },
      { __typename: 'Namespace', name: 'no_such_ns' },
      { __typename: 'Counter', namespace: 'fed_ev', name: 'c' },
      { __typename: 'Counter', namespace: 'fed_acc', name: 'never-written' },
      { __typename: 'Counter', namespace: 'fed_acc', name: 'bad name!' },
      { __typename: 'Counter', namespace: 'fed_acc', name: 'b' },
    ];
    const r = await s.gql<{ _entities: Entity[] }>(ENTITIES, { reps });
    expect(r.status).toBe(200);
    expect(r.data!._entities).toEqual([
      { __typename: 'Counter', namespace: 'fed_acc', name: 'a', count: '9007199254740993', mode: 'ACCURATE' },
      { __typename: 'Namespace', name: 'fed_ev', mode: 'EVENTUAL', acceptLimitMs: 5000, counter: { count: '0' } },
      null,
      null,
      { __typename: 'Counter', namespace: 'fed_ev', name: 'c', count: '7', mode: 'EVENTUAL' },
      { __typename: 'Counter', namespace: 'fed_acc', name: 'never-written', count: '0', mode: 'ACCURATE' },
      null,
      { __typename: 'Counter', namespace: 'fed_acc', name: 'b', count: '-5', mode: 'ACCURATE' },
    ]);
    // An unknown Namespace is simply null; an unknown namespace of a Counter and a bad name are errors of that entity.
    const errs = (r.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code }));
    expect(errs).toEqual(
      expect.arrayContaining([
        { path: ['_entities', 2], code: 'NAMESPACE_NOT_FOUND' },
        { path: ['_entities', 6], code: 'BAD_USER_INPUT' },
      ]),
    );
    expect(errs).toHaveLength(2);
  });

  it('refuses a representation without its key fields (or with non-string ones), for that entity only', async () => {
    const r = await s.gql<{ _entities: Entity[] }>(ENTITIES, {
      reps: [
        { __typename: 'Counter', namespace: 'fed_acc' },
        { __typename: 'Counter', namespace: 'fed_acc', name: 'a' },
        { __typename: 'Counter', name: 'a' },
        { __typename: 'Namespace' },
        { __typename: 'Counter', namespace: 'fed_acc', name: 42 },
      ],
    });
    expect(r.data!._entities).toEqual([null, expect.objectContaining({ name: 'a', count: '9007199254740993' }), null, null, null]);
    expect(r.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 2], 'BAD_USER_INPUT'],
      [['_entities', 3], 'BAD_USER_INPUT'],
      [['_entities', 4], 'BAD_USER_INPUT'],
    ]);
  });

  it('answers each failing representation beside an unknown __typename with its own error (no unhandled rejection)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const r = await s.gql(ENTITIES, {
        reps: [
          { __typename: 'Counter', namespace: 'no_such_ns', name: 'a' },
          { __typename: 'Counter', namespace: 'fed_acc', name: 'bad name!' },
          { __typename: 'NoSuchType', id: 1 },
        ],
      });
      // Each bad representation gets its own error (the unknown type no longer fails the list)...
      expect(r.data).toEqual({ _entities: [null, null, null] });
      const byIndex = [...(r.errors ?? [])].sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
      expect(byIndex.map((e) => [e.path, e.extensions?.code])).toEqual([
        [['_entities', 0], 'NAMESPACE_NOT_FOUND'],
        [['_entities', 1], 'BAD_USER_INPUT'],
        [['_entities', 2], 'BAD_USER_INPUT'],
      ]);
      expect(byIndex[2]?.message).toMatch(/NoSuchType/);
      await new Promise((res) => setTimeout(res, 50));
      // ...and no entity promise may reject unobserved: that ends a Node process.
      expect(rejections).toEqual([]);
      expect((await s.gql<{ counter: { count: string } }>('{ counter(namespace: "fed_acc", name: "a") { count } }')).data!.counter.count).toBe(
        '9007199254740993',
      );
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('looks each namespace up once per request, however many representations name it', async () => {
    const store = s.app.backends.store;
    const spy = jest.spyOn(store, 'getNamespace');
    try {
      const reps: Record<string, string>[] = Array.from({ length: 50 }, (_, i) => ({ __typename: 'Counter', namespace: 'unknown_ns', name: `c${i}` }));
      reps.push(...Array.from({ length: 50 }, () => ({ __typename: 'Namespace', name: 'unknown_ns2' })));
      const r = await s.gql<{ _entities: Entity[] }>(ENTITIES, { reps });
      expect(r.data!._entities.every((e) => e === null)).toBe(true);
      expect(r.errors).toHaveLength(50);
      expect(new Set(r.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['NAMESPACE_NOT_FOUND']));
      expect(spy.mock.calls.map((c) => c[0]).sort()).toEqual(['unknown_ns', 'unknown_ns2']);
    } finally {
      spy.mockRestore();
    }
  });

  it('reads 100 counters of _entities in one batched store read, not one per entity', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `many-${i}`);
    const w = await s.gql<{ addCounts: { rejectedCount: number } }>(
      `mutation ($inputs: [AddCountInput!]!) { addCounts(inputs: $inputs) { rejectedCount } }`,
      { inputs: names.map((name, i) => ({ namespace: 'fed_acc', name, delta: i + 1 })) },
    );
    expect(w.data!.addCounts.rejectedCount).toBe(0);
    const { result: r, reads } = await requestReads(s.url, () =>
      s.gql<{ _entities: Entity[] }>(ENTITIES, { reps: names.map((name) => ({ __typename: 'Counter', namespace: 'fed_acc', name })) }),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities.map((e) => e!.count)).toEqual(names.map((_, i) => String(i + 1)));
    expect(reads.readSnapshots).toBe(1);
    expect(reads.convergedCacheGet + reads.cacheGet).toBe(0);
  });

  it('answers with an inline trace (extensions.ftv1) only when the router asks for one', async () => {
    const query = '{ counter(namespace: "fed_acc", name: "a") { count } }';
    const traced = await post<{ counter: { count: string } }>(s.url, { query }, { 'apollo-federation-include-trace': 'ftv1' });
    expect(traced.data!.counter.count).toBe('9007199254740993');
    const ftv1 = traced.extensions?.ftv1;
    expect(typeof ftv1).toBe('string');
    const trace = Trace.decode(Buffer.from(ftv1 as string, 'base64'));
    expect(Number(trace.durationNs)).toBeGreaterThan(0);
    const fields = (trace.root?.child ?? []).map((c) => c.responseName);
    expect(fields).toEqual(['counter']);
    expect(trace.root!.child![0]!.child!.map((c) => c.responseName)).toEqual(['count']);

    const plain = await post<{ counter: { count: string } }>(s.url, { query });
    expect(plain.data!.counter.count).toBe('9007199254740993');
    expect(plain.extensions?.ftv1).toBeUndefined();
  });

  it('puts the errors of a traced request into the trace, as the router reports them', async () => {
    const traced = await post(
      s.url,
      { query: '{ counter(namespace: "no_such_ns", name: "a") { count } }' },
      { 'apollo-federation-include-trace': 'ftv1' },
    );
    expect(traced.errors?.[0]?.extensions?.code).toBe('NAMESPACE_NOT_FOUND');
    const trace = Trace.decode(Buffer.from(traced.extensions!.ftv1 as string, 'base64'));
    const node = trace.root!.child!.find((c) => c.responseName === 'counter')!;
    // Apollo masks error messages in traces by default (they may carry user data).
    expect(node.error).toHaveLength(1);
    expect(node.error![0]!.message).toBe('<masked>');
  });
});
