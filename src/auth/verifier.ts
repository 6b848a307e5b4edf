import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type KeyLike } from 'jose';
import type { CounterError } from '../errors';
import { keysUnavailable, unauthenticated } from './errors';
import type { Principal } from './principal';
import { parseGrants } from './scopes';

/** Verifies one compact JWT into the caller it names; throws UNAUTHENTICATED (UNAVAILABLE when keys cannot be fetched). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface VerifierOptions {
  jwtSecret?: string | undefined;
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  /** Accepted audiences: a token's `aud` must name one of them. */
  audience?: readonly string[] | undefined;
  clockToleranceMs: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  jwksTimeoutMs: number;
}

/**
 * The algorithms each key source accepts, fixed: a shared secret verifies HS256 only, a JWKS
 * asymmetric signatures only. So `alg: none` never passes, and neither does the classic
 * confusion of an HS256 token "signed" with a public key taken from the JWKS.
 */
export const SECRET_ALGORITHMS = ['HS256'];
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A failure to get the key set itself (network, timeout, not a JWKS): not the caller's fault. */
class KeySetUnavailable extends Error {}

/** Errors of the key look-up that are about the token (its kid, alg), not the endpoint. */
const TOKEN_KEY_ERRORS = new Set([
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKInvalid.code,
]);

/**
 * The remote key set (jose): fetched on first use, cached, refetched every cacheMaxAge, and
 * at once when a token names a kid it does not hold (key rotation), but not more often than
 * every cooldown, so a stream of tokens with made-up kids cannot make us hammer the endpoint.
 * Concurrent fetches are shared.
 */
function remoteKeys(opts: VerifierOptions): { getKey: JWTVerifyGetKey; warm: () => Promise<void> } {
  const set = createRemoteJWKSet(new URL(opts.jwksUrl!), {
    cooldownDuration: opts.jwksCooldownMs,
    cacheMaxAge: opts.jwksCacheMaxAgeMs,
    timeoutDuration: opts.jwksTimeoutMs,
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await set(header, token);
    } catch (err) {
      if (err instanceof errors.JOSEError && TOKEN_KEY_ERRORS.has(err.code)) throw err;
      throw new KeySetUnavailable(err instanceof Error ? err.message : String(err));
    }
  };
  return { getKey, warm: () => set.reload() };
}

/** The one message per refusal; the claim names are the registered ones, never values from the token. */
function refusal(err: unknown): CounterError {
  if (err instanceof KeySetUnavailable) return keysUnavailable();
  if (err instanceof errors.JWTExpired) return unauthenticated('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return unauthenticated('the token is not valid yet (nbf)');
      case 'iss':
        return unauthenticated('the token was not issued by the accepted issuer (iss)');
      case 'aud':
        return unauthenticated('the token is not meant for this service (aud)');
      case 'exp':
        return unauthenticated('the token has no valid expiry (exp)');
      default:
        return unauthenticated('the token has an invalid claim');
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('the token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated('the token is not signed by a trusted key');
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated('the token algorithm is not accepted');
  return unauthenticated('the token is malformed');
}

/**
 * jose's verification; a token without a kid that several keys of the set could have signed
 * (an identity provider publishes the old and the new key while it rotates) is tried against
 * each of them, as jose documents.
 */
async function verifyWith(token: string, key: KeyLike | Uint8Array | JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    // jose's overloads differ by key kind; the call is the same.
    return (await jwtVerify(token, key as Uint8Array, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    let last: unknown = err;
    for await (const candidate of err as unknown as AsyncIterable<KeyLike>) {
      try {
        return (await jwtVerify(token, candidate, options)).payload;
      } catch (e) {
        last = e;
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw last;
  }
}

/** An HS256 (AUTH_JWT_SECRET) or JWKS (AUTH_JWKS_URL) verifier; undefined when neither is set (access control off). */
export function createVerifier(opts: VerifierOptions): (TokenVerifier & { warm(): Promise<void> }) | undefined {
  let key: KeyLike | Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  let warm = (): Promise<void> => Promise.resolve();
  if (opts.jwtSecret !== undefined) {
    key = new TextEncoder().encode(opts.jwtSecret);
    algorithms = SECRET_ALGORITHMS;
  } else if (opts.jwksUrl !== undefined) {
    const remote = remoteKeys(opts);
    key = remote.getKey;
    warm = remote.warm;
    algorithms = JWKS_ALGORITHMS;
  } else {
    return undefined;
  }
  const toleranceMs = opts.clockToleranceMs;
  const options: JWTVerifyOptions = {
    algorithms,
    // A token without exp would never run out: a leaked one would be good forever.
    requiredClaims: ['exp'],
    clockTolerance: toleranceMs / 1000,
    ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {}),
    ...(opts.audience !== undefined ? { audience: [...opts.audience] } : {}),
  };
  return {
    warm,
    async verify(token) {
      let payload: JWTPayload;
      try {
        payload = await verifyWith(token, key, options);
      } catch (err) {
        throw refusal(err);
      }
      const grants = parseGrants(payload as { scope?: unknown; scp?: unknown });
      return {
        subject: typeof payload.sub === 'string' ? payload.sub : undefined,
        global: grants.global,
        namespaces: grants.namespaces,
        expiresAtMs: payload.exp! * 1000 + toleranceMs,
      };
    },
  };
}
