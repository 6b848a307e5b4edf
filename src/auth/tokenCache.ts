import { LRUCache } from 'lru-cache';
import type { Principal } from './principal';
import type { TokenVerifier } from './verifier';

/** Verified tokens kept: a client sends the same token on every request until it renews it. */
export const TOKEN_CACHE_SIZE = 10_000;
/** How long a verified token is taken as verified (never past its exp). */
export const TOKEN_CACHE_MS = 30_000;

/**
 * Verifying a JWT costs tens of microseconds (HS256; more for RSA and EC), on every request.
 * This keeps the caller of each recently verified token, keyed by the exact token text (the
 * text is the credential: a different one is verified afresh), for at most TOKEN_CACHE_MS and
 * never past its expiry. Only successes are kept, so a stream of bad or made-up tokens cannot
 * fill it or push real ones out faster than valid tokens arrive. The price: a key removed from
 * the JWKS, already trusted until the next refetch, is trusted up to 30 s longer for tokens
 * seen just before.
 */
export function cachedVerifier(verifier: TokenVerifier, now: () => number = Date.now): TokenVerifier {
  const cache = new LRUCache<string, { principal: Principal; untilMs: number }>({ max: TOKEN_CACHE_SIZE });
  return {
    async verify(token) {
      const hit = cache.get(token);
      const t = now();
      if (hit && t < hit.untilMs) return hit.principal;
      if (hit) cache.delete(token);
      const principal = await verifier.verify(token);
      cache.set(token, { principal, untilMs: Math.min(now() + TOKEN_CACHE_MS, principal.expiresAtMs ?? Infinity) });
      return principal;
    },
  };
}
