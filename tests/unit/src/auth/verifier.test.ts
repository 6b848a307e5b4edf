import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { createVerifier, type VerifierOptions } from '../../../../src/auth/verifier';
import { refusal as refusalOf } from '../../fakes';

const refusal = (p: Promise<unknown>) => refusalOf(p, 'the token was accepted');

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

const base: VerifierOptions = { clockToleranceMs: 0, jwksCooldownMs: 30_000, jwksCacheMaxAgeMs: 600_000, jwksTimeoutMs: 1000 };
const hs = (extra: Partial<VerifierOptions> = {}) => createVerifier({ ...base, jwtSecret: SECRET, ...extra })!;

const sign = (claims: JWTPayload = {}, opts: { alg?: string; key?: Uint8Array; exp?: number | null } = {}) => {
  const jwt = new SignJWT({ scope: 'counters:read', ...claims }).setProtectedHeader({ alg: opts.alg ?? 'HS256' });
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 60);
  return jwt.sign(opts.key ?? key);
};

describe('createVerifier', () => {
  it('is undefined (access control off) with neither a secret nor a JWKS URL', () => {
    expect(createVerifier(base)).toBeUndefined();
  });
});

describe('HS256 verifier (AUTH_JWT_SECRET)', () => {
  it('accepts a valid token: subject, grants, and expiry with the tolerance', async () => {
    const exp = now() + 120;
    const p = await hs({ clockToleranceMs: 2000 }).verify(await sign({ sub: 'alice', scope: 'counters:read counters:write:views' }, { exp }));
    expect(p.subject).toBe('alice');
    expect(p.global).toBe('read');
    expect(p.namespaces.get('views')).toBe('write');
    expect(p.expiresAtMs).toBe(exp * 1000 + 2000);
  });

  it('a token with no scopes of ours is valid, with no grants', async () => {
    const p = await hs().verify(await sign({ scope: 'openid email' }));
    expect(p.global).toBeUndefined();
    expect(p.namespaces.size).toBe(0);
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['expired', () => sign({}, { exp: now() - 10 }), /expired/],
    ['not valid yet (nbf)', () => sign({ nbf: now() + 60 }), /not valid yet/],
    ['without exp', () => sign({}, { exp: null }), /exp/],
    ['signed with another secret', () => sign({}, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') }), /signature/],
    ['HS384 (only HS256 is accepted)', () => sign({}, { alg: 'HS384' }), /algorithm/],
    ['alg none', async () => new UnsecuredJWT({ scope: 'counters:admin' }).setExpirationTime(now() + 60).encode(), /algorithm/],
    ['not a JWT at all', async () => 'abc.def.ghi', /malformed/],
    ['a tampered payload', async () => {
      const [h, , s] = (await sign()).split('.');
      const payload = Buffer.from(JSON.stringify({ scope: 'counters:admin', exp: now() + 60 })).toString('base64url');
      return `${h}.${payload}.${s}`;
    }, /signature/],
  ])('refuses a token %s with UNAUTHENTICATED', async (_what, token, message) => {
    const t = await token();
    const e = await refusal(hs().verify(t));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(t);
  });

  it('enforces exp and nbf with the clock tolerance', async () => {
    const v = hs({ clockToleranceMs: 30_000 });
    await expect(v.verify(await sign({}, { exp: now() - 10 }))).resolves.toBeDefined();
    await expect(v.verify(await sign({ nbf: now() + 10 }))).resolves.toBeDefined();
    expect((await refusal(v.verify(await sign({}, { exp: now() - 60 })))).message).toMatch(/expired/);
  });

  it('checks iss and aud when configured', async () => {
    const v = hs({ issuer: 'https://idp.example', audience: ['counters'] });
    await expect(v.verify(await sign({ iss: 'https://idp.example', aud: 'counters' }))).resolves.toBeDefined();
    await expect(v.verify(await sign({ iss: 'https://idp.example', aud: ['other', 'counters'] }))).resolves.toBeDefined();
    expect((await refusal(v.verify(await sign({ iss: 'https://evil.example', aud: 'counters' })))).message).toMatch(/issuer/);
    expect((await refusal(v.verify(await sign({ aud: 'counters' })))).message).toMatch(/issuer/);
    expect((await refusal(v.verify(await sign({ iss: 'https://idp.example', aud: 'other' })))).message).toMatch(/aud/);
    expect((await refusal(v.verify(await sign({ iss: 'https://idp.example' })))).message).toMatch(/aud/);
  });

  it('accepts a token whose aud names any of several configured audiences', async () => {
    const v = hs({ audience: ['counters', 'counters-v2'] });
    await expect(v.verify(await sign({ aud: 'counters-v2' }))).resolves.toBeDefined();
    await expect(v.verify(await sign({ aud: ['billing', 'counters'] }))).resolves.toBeDefined();
    expect((await refusal(v.verify(await sign({ aud: 'billing' })))).message).toMatch(/aud/);
  });

  it('ignores iss and aud when not configured', async () => {
    await expect(hs().verify(await sign({ iss: 'anyone', aud: 'anything' }))).resolves.toBeDefined();
  });

  it('refuses an RS256 token (a public-key signature) with only a secret configured', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const t = await new SignJWT({ scope: 'counters:admin' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(now() + 60).sign(privateKey);
    expect((await refusal(hs().verify(t))).message).toMatch(/algorithm/);
  });
});

describe('JWKS verifier (AUTH_JWKS_URL): algorithm checks come before any key fetch', () => {
  // Nothing listens there: a test that reached the fetch would get UNAVAILABLE instead.
  const jwks = () => createVerifier({ ...base, jwksUrl: 'http://127.0.0.1:9/jwks.json' })!;

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const secretFromPublic = new TextEncoder().encode(JSON.stringify(jwk));
    const e = await refusal(jwks().verify(await sign({ scope: 'counters:admin' }, { key: secretFromPublic })));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toMatch(/algorithm/);
  });

  it('refuses alg none', async () => {
    const t = new UnsecuredJWT({ scope: 'counters:admin' }).setExpirationTime(now() + 60).encode();
    expect((await refusal(jwks().verify(t))).message).toMatch(/algorithm/);
  });

  it('answers UNAVAILABLE (retry) when the key set cannot be fetched', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setExpirationTime(now() + 60).sign(privateKey);
    const e = await refusal(jwks().verify(t));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('AUTH_JWKS_URL');
  });
});
