import { AUDIENCE, ISSUER, SECRET, bearer, mint } from './helpers/auth';
import { createNamespace, startServer, type TestServer } from './helpers/server';

/**
 * Cross-site request forgery, now that Apollo's csrfPrevention is off (app.ts) so that plain
 * GET queries work: a browser sends a "simple" request cross-origin without asking (a
 * text/plain, form or multipart POST, a GET), so none of them may run a mutation. Only a POST
 * with content-type application/json runs one, and a browser preflights that cross-origin,
 * which the service answers for ALLOWED_ORIGINS only.
 */
const APP = 'https://app.example';
const MUTATION = 'mutation { addCount(input: {namespace: "csrf", name: "c", delta: "1"}) { applied } }';

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ ALLOWED_ORIGINS: APP });
  await createNamespace(s, 'csrf', 'ACCURATE');
});
afterAll(() => s.stop());

const count = async (): Promise<string> => ((await s.gql<{ counter: { count: string } }>('{ counter(namespace: "csrf", name: "c") { count } }')).data!.counter.count);

describe('a request a browser sends cross-origin without a preflight runs no mutation', () => {
  it('runs the mutation by a JSON POST (twice: Apollo, then the compiled path)', async () => {
    for (let i = 0; i < 2; i++) expect((await s.gql(MUTATION)).errors).toBeUndefined();
    expect(await count()).toBe('2');
  });

  const json = JSON.stringify({ query: MUTATION });
  const simple: [string, string | undefined, string | Uint8Array][] = [
    ['text/plain', 'text/plain;charset=UTF-8', json],
    ['text/plain with a json parameter', 'text/plain; charset=application/json', json],
    ['a form', 'application/x-www-form-urlencoded', new URLSearchParams({ query: MUTATION }).toString()],
    ['a form whose body is JSON', 'application/x-www-form-urlencoded', json],
    ['multipart', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${json}\r\n--x--\r\n`],
    ['no content type', undefined, new TextEncoder().encode(json)],
  ];
  it.each(simple)('refuses a POST of %s with 415, before anything runs', async (_, type, body) => {
    for (const origin of [{ origin: 'https://evil.example' }, { origin: APP }, {}] as Record<string, string>[]) {
      const res = await fetch(s.url, { method: 'POST', headers: { ...(type ? { 'content-type': type } : {}), ...origin }, body });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ errors: [{ message: 'a POST body must be content-type: application/json', extensions: { code: 'BAD_REQUEST' } }] });
    }
    expect(await count()).toBe('2');
  });

  it('answers a preflight for a JSON POST only to a listed origin', async () => {
    const preflight = (origin: string) =>
      fetch(s.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-headers')).toBeNull();
    const app = await preflight(APP);
    expect(app.headers.get('access-control-allow-origin')).toBe(APP);
    expect(app.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('answers a GET mutation 405, from any origin', async () => {
    for (const origin of ['https://evil.example', APP]) {
      const res = await fetch(`${s.url}?${new URLSearchParams({ query: MUTATION })}`, { headers: { origin } });
      expect(res.status).toBe(405);
    }
    expect(await count()).toBe('2');
  });
});

describe('with access control on', () => {
  let a: TestServer;
  beforeAll(async () => {
    a = await startServer({ AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
  });
  afterAll(() => a.stop());

  it('a GET query needs the bearer token a browser never attaches by itself', async () => {
    const url = `${a.url}?${new URLSearchParams({ query: '{ namespaces { name } }' })}`;
    expect((await fetch(url, { headers: { origin: 'https://evil.example' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: bearer(await mint('counters:read')) } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { namespaces: [] } });
  });
});
