import type { Logger } from '../logger';
import { bearerToken } from './credentials';
import { OPEN, type Principal } from './principal';
import { cachedVerifier } from './tokenCache';
import { createVerifier, type VerifierOptions } from './verifier';

/**
 * The entry of access control for every transport: an Authorization value in, the caller
 * out. Off (no AUTH_JWT_SECRET, no AUTH_JWKS_URL) every caller is OPEN and nothing is read;
 * on, a missing, malformed or unverifiable credential throws UNAUTHENTICATED before anything
 * runs (UNAVAILABLE when the JWKS endpoint cannot be reached).
 */
export interface Authenticator {
  readonly enabled: boolean;
  authenticate(authorization: unknown): Promise<Principal>;
}

export function createAuthenticator(opts: VerifierOptions, log: Logger): Authenticator {
  const verifier = createVerifier(opts);
  if (!verifier) {
    log.warn('access control is off (neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set): every caller may read, write and administer');
    return { enabled: false, authenticate: () => Promise.resolve(OPEN) };
  }
  log.info(
    {
      keys: opts.jwtSecret !== undefined ? 'HS256 shared secret (AUTH_JWT_SECRET)' : `JWKS ${opts.jwksUrl}`,
      issuer: opts.issuer ?? null,
      audience: opts.audience ?? null,
      clockToleranceMs: opts.clockToleranceMs,
    },
    'access control is on: every request needs a bearer token',
  );
  // Fetch the key set now, so the first requests do not wait for it; a failure here is only
  // logged (the endpoint may come up later: each verification retries it).
  verifier.warm().catch((err: Error) => log.warn({ err: err.message, jwksUrl: opts.jwksUrl }, 'the JWKS could not be fetched at start'));
  const cached = cachedVerifier(verifier);
  return {
    enabled: true,
    authenticate: async (authorization) => cached.verify(bearerToken(authorization)),
  };
}
