import { unauthenticated } from './errors';

/**
 * Where credentials come from, before anything is verified: `Authorization: Bearer <JWT>`
 * on HTTP, and on a websocket the `connection_init` payload's `authorization` (the key in
 * any case: the Apollo Router forwards `Authorization`) or else the upgrade request's header.
 */

/** Longer values are refused unread: no real token comes close, and verifying costs per byte. */
export const MAX_TOKEN_CHARS = 16 * 1024;

/** A compact JWS: three base64url parts (the signature may be empty only for `alg: none`, refused later). */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;

/** The token of an Authorization value; throws UNAUTHENTICATED when missing or not a Bearer JWT. */
export function bearerToken(authorization: unknown): string {
  if (authorization === undefined || authorization === null || authorization === '') {
    throw unauthenticated('credentials are missing: send Authorization: Bearer <JWT>');
  }
  if (typeof authorization !== 'string' || authorization.length > MAX_TOKEN_CHARS + 16) {
    throw unauthenticated('the credentials are malformed: expected Authorization: Bearer <JWT>');
  }
  const m = BEARER.exec(authorization);
  if (!m || m[1]!.length > MAX_TOKEN_CHARS) throw unauthenticated('the credentials are malformed: expected Authorization: Bearer <JWT>');
  return m[1]!;
}

/**
 * The Authorization value of a websocket connection: the `connection_init` payload's
 * `authorization` key (matched case-insensitively, an exact `authorization` first) wins over
 * the upgrade request's header, since browsers cannot set headers on an upgrade.
 */
export function connectionAuthorization(params: Readonly<Record<string, unknown>>, upgradeHeader: string | undefined): unknown {
  if (Object.prototype.hasOwnProperty.call(params, 'authorization')) return params.authorization;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  return key !== undefined ? params[key] : upgradeHeader;
}
