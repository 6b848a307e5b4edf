import { OPEN, type Principal } from '../../../../src/auth/principal';
import { unauthenticated } from '../../../../src/auth/errors';
import { cachedVerifier, TOKEN_CACHE_MS, TOKEN_CACHE_SIZE } from '../../../../src/auth/tokenCache';

/** A verifier that counts its calls; `bad` tokens are refused. */
function counting(expiresAtMs?: number) {
  const calls: string[] = [];
  const principal: Principal = { ...OPEN, global: 'read', expiresAtMs };
  return {
    calls,
    verify: async (token: string) => {
      calls.push(token);
      if (token.startsWith('bad')) throw unauthenticated('the token signature is invalid');
      return principal;
    },
  };
}

describe('cachedVerifier', () => {
  it('verifies a token once, then answers from the cache until TOKEN_CACHE_MS', async () => {
    let t = 1_000;
    const inner = counting();
    const v = cachedVerifier(inner, () => t);
    const p = await v.verify('t1');
    expect(await v.verify('t1')).toBe(p);
    t += TOKEN_CACHE_MS - 1;
    await v.verify('t1');
    expect(inner.calls).toEqual(['t1']);
    t += 1;
    await v.verify('t1');
    expect(inner.calls).toEqual(['t1', 't1']);
  });

  it('never past the token expiry: then it is verified again (and refused by the verifier)', async () => {
    let t = 0;
    const inner = counting(500);
    const v = cachedVerifier(
      {
        verify: (tok) => (t >= 500 ? Promise.reject(unauthenticated('the token has expired')) : inner.verify(tok)),
      },
      () => t,
    );
    await v.verify('t');
    t = 499;
    await v.verify('t');
    expect(inner.calls).toHaveLength(1);
    t = 500;
    await expect(v.verify('t')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'the token has expired' });
  });

  it('keeps no refusal: every bad token is verified (and refused) each time', async () => {
    const inner = counting();
    const v = cachedVerifier(inner);
    await expect(v.verify('bad1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(v.verify('bad1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(inner.calls).toEqual(['bad1', 'bad1']);
  });

  it('different texts are different credentials', async () => {
    const inner = counting();
    const v = cachedVerifier(inner);
    await v.verify('a');
    await v.verify('b');
    expect(inner.calls).toEqual(['a', 'b']);
  });

  it('is bounded: the least recently used token goes first', async () => {
    const inner = counting();
    const v = cachedVerifier(inner);
    for (let i = 0; i <= TOKEN_CACHE_SIZE; i++) await v.verify(`t${i}`);
    await v.verify(`t${TOKEN_CACHE_SIZE}`);
    expect(inner.calls).toHaveLength(TOKEN_CACHE_SIZE + 1);
    await v.verify('t0');
    expect(inner.calls).toHaveLength(TOKEN_CACHE_SIZE + 2);
  });
});
