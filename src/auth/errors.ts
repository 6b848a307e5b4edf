import { CounterError, ErrorCode } from '../errors';
import { scopeName } from './scopes';
import type { Level } from './principal';

/**
 * The refusals of access control. Messages say what is wrong with the credentials, never
 * echo them (a token in an error ends up in logs and browser consoles).
 */
export const unauthenticated = (message: string): CounterError => new CounterError(ErrorCode.Unauthenticated, message);

/** Valid credentials without the scope a field needs: names the narrowest scope that would do. */
export const forbidden = (level: Level, namespace?: string): CounterError =>
  new CounterError(
    ErrorCode.Forbidden,
    namespace === undefined
      ? `this needs the scope ${scopeName(level)}`
      : `this needs the scope ${scopeName(level, namespace)} (or ${scopeName(level)}, or a higher level)`,
    { scope: scopeName(level, namespace) },
  );

/** The JWKS endpoint cannot be reached: the token may be fine, the client may retry. */
export const keysUnavailable = (): CounterError =>
  new CounterError(ErrorCode.Unavailable, 'the signing keys (AUTH_JWKS_URL) cannot be fetched; retry later');
