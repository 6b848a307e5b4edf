import { createNamespace, startServer, type TestServer } from './helpers/server';

describe('smoke: the service answers over real HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
    await createNamespace(s, 'smoke', 'EVENTUAL');
  });
  afterAll(() => s.stop());

  it('adds and reads back an exact 64-bit count', async () => {
    const r = await s.gql<{ addAndGetCount: { count: string } }>(
      `mutation { addAndGetCount(input: {namespace: "smoke", name: "a", delta: "9007199254740993"}) { count } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.addAndGetCount.count).toBe('9007199254740993');
  });

  it('answers /healthz and /readyz', async () => {
    const base = s.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe('HTTP refusals before GraphQL runs', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(() => s.stop());

  const post = (body: string) => fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers an unreadable JSON body with 400 and BAD_REQUEST', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('answers a body past 4 MiB with 413 and BAD_REQUEST', async () => {
    const res = await post(JSON.stringify({ query: '{ namespaces { name } }', pad: 'x'.repeat(5 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});
