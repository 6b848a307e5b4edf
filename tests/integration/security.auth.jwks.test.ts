import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { bearer, gqlAs, mint, wsCaller, AUDIENCE, ISSUER } from './helpers/auth';
import { startServer, waitFor, type TestServer } from './helpers/server';

/**
 * Access control with AUTH_JWKS_URL: a local JWKS endpoint (node:http) whose keys the test
 * rotates. A token of a new key is accepted once the set is refetched; an unknown kid is
 * refused and refetches at most once per AUTH_JWKS_COOLDOWN_MS; a key removed from the set
 * stops being trusted; an unreachable endpoint is UNAVAILABLE (retry), never a pass.
 */

const COOLDOWN_MS = 2500;
const QUERY = '{ namespaces { name } }';

interface Key {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}
async function key(kid: string, alg: 'RS256' | 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWKS endpoint serving `keys`, counting its fetches. */
async function jwksServer(): Promise<{ url: string; keys: JWK[]; fetches: () => number; status: number; close: () => Promise<void> }> {
  const state = { keys: [] as JWK[], count: 0, status: 200 };
  const server = http.createServer((_req, res) => {
    state.count++;
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    fetches: () => state.count,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const tokenOf = (k: Key, scope = 'counters:read', withKid = true) => mint(scope, { key: k.privateKey, alg: k.alg, ...(withKid ? { kid: k.kid } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('access control with a JWKS endpoint', () => {
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  let s: TestServer;
  let a: Key;
  let a2: Key;
  let b: Key;
  let unknown: Key;
  /** When the set was last fetched (for waiting out the cooldown). */
  let lastFetchAt = 0;
  const ask = async (token: string) => gqlAs(s.url, bearer(token), QUERY);

  beforeAll(async () => {
    [a, a2, b, unknown] = await Promise.all([key('a', 'RS256'), key('a2', 'RS256'), key('b', 'ES256'), key('c', 'ES256')]);
    jwks = await jwksServer();
    jwks.keys = [a.jwk];
    s = await startServer({ AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_COOLDOWN_MS: COOLDOWN_MS });
    // The set is fetched at start, not on the first request.
    await waitFor(() => jwks.fetches() === 1, 5000);
    lastFetchAt = Date.now();
  });
  afterAll(async () => {
    await s.stop();
    await jwks.close();
  });

  it('accepts a token signed by a published key, without fetching again', async () => {
    const r = await ask(await tokenOf(a));
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    expect(jwks.fetches()).toBe(1);
  });

  it('refuses HS256 "signed" with the published public key (algorithm confusion) and alg none', async () => {
    // The classic attack: the public key's PEM (or its JWK) used as an HMAC secret.
    for (const secret of [await exportSPKI(a.publicKey), JSON.stringify(a.jwk)]) {
      const confused = await mint('counters:admin', { key: new TextEncoder().encode(secret), alg: 'HS256', kid: 'a' });
      const r = await ask(confused);
      expect(r.status).toBe(401);
      expect(r.errors?.[0]?.message).toMatch(/algorithm/);
    }
    const none = `${Buffer.from('{"alg":"none","kid":"a"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope: 'counters:admin', exp: 9e9, iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`;
    expect((await ask(none)).status).toBe(401);
  });

  it('after a key rotation, a token of the new key is accepted (its unknown kid makes it refetch)', async () => {
    jwks.keys = [b.jwk];
    await sleep(Math.max(0, lastFetchAt + COOLDOWN_MS + 200 - Date.now()));
    const before = jwks.fetches();
    const r = await ask(await tokenOf(b));
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    expect(jwks.fetches()).toBe(before + 1);
    lastFetchAt = Date.now();
  });

  it('unknown kids are refused, and within the cooldown they cause no fetch at all', async () => {
    const before = jwks.fetches();
    const token = await tokenOf(unknown);
    for (let i = 0; i < 10; i++) {
      const r = await ask(token);
      expect(r.status).toBe(401);
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(r.errors?.[0]?.message).toMatch(/not signed by a trusted key/);
    }
    expect(Date.now() - lastFetchAt).toBeLessThan(COOLDOWN_MS);
    expect(jwks.fetches()).toBe(before);
  });

  it('past the cooldown, a burst of unknown kids costs one fetch, and a removed key is no longer trusted', async () => {
    await sleep(Math.max(0, lastFetchAt + COOLDOWN_MS + 200 - Date.now()));
    const before = jwks.fetches();
    const token = await tokenOf(unknown);
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask(token)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(401));
    expect(jwks.fetches()).toBe(before + 1);
    // Key a was rotated out: its tokens are refused now.
    expect((await ask(await tokenOf(a))).status).toBe(401);
    expect(jwks.fetches()).toBe(before + 1);
    lastFetchAt = Date.now();
  });

  it('a token without kid is tried against each key it could match', async () => {
    jwks.keys = [a.jwk, a2.jwk, b.jwk];
    await sleep(Math.max(0, lastFetchAt + COOLDOWN_MS + 200 - Date.now()));
    expect((await ask(await tokenOf(a2))).status).toBe(200); // unknown kid a2: refetches the set
    lastFetchAt = Date.now();
    expect((await ask(await tokenOf(a2, 'counters:read', false))).status).toBe(200);
    expect((await ask(await tokenOf(a, 'counters:read', false))).status).toBe(200);
    expect((await ask(await tokenOf(unknown, 'counters:read', false))).status).toBe(401);
  });

  it('a websocket is let in with a token of a published key, and closed with 4403 with an unknown one', async () => {
    const ok = wsCaller(s.url, { authorization: bearer(await tokenOf(b)) });
    expect(await ok.acked).toBe(true);
    await ok.client.dispose();
    const refused = wsCaller(s.url, { authorization: bearer(await tokenOf(unknown)) });
    expect(await refused.acked).toBe(false);
    expect(await refused.closed).toBe(4403);
    await refused.client.dispose();
  });
});

describe('access control with an unreachable JWKS endpoint', () => {
  it('answers 503 UNAVAILABLE (the client may retry), runs nothing, and refuses websockets', async () => {
    const jwks = await jwksServer();
    jwks.status = 500;
    const s = await startServer({ AUTH_JWKS_URL: jwks.url, AUTH_JWKS_COOLDOWN_MS: 0, AUTH_JWKS_TIMEOUT_MS: 1000 });
    try {
      const k = await key('k', 'ES256');
      const token = bearer(await tokenOf(k, 'counters:admin'));
      const r = await gqlAs(s.url, token, 'mutation { createNamespace(input: {name: "jwks_down", mode: EVENTUAL}) { name } }');
      expect(r.status).toBe(503);
      expect(r.errors).toEqual([{ message: expect.stringContaining('AUTH_JWKS_URL'), extensions: { code: 'UNAVAILABLE' } }]);
      const ws = wsCaller(s.url, { authorization: token });
      expect(await ws.acked).toBe(false);
      expect(await ws.closed).toBe(4403);
      await ws.client.dispose();
      // Once the endpoint answers, the same token works, and nothing was created before.
      jwks.keys = [k.jwk];
      jwks.status = 200;
      const q = await gqlAs<{ namespace: unknown }>(s.url, token, '{ namespace(name: "jwks_down") { name } }');
      expect(q.status).toBe(200);
      expect(q.data).toEqual({ namespace: null });
    } finally {
      await s.stop();
      await jwks.close();
    }
  });
});
