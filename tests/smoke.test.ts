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
