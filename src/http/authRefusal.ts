import type { ServerResponse } from 'node:http';
import { CounterError, ErrorCode } from '../errors';

/**
 * Answers a request that access control refused before anything ran, in the GraphQL error
 * shape with a stable code, and with the RFC 6750 challenge a client library expects:
 * 401 UNAUTHENTICATED (credentials missing or invalid), 403 FORBIDDEN (valid, without the
 * scope), 503 UNAVAILABLE (the JWKS endpoint cannot be reached; retry). `presented` says
 * whether the request carried credentials at all (RFC 6750: no error code when none came).
 */
export function refuseCredentials(res: ServerResponse, err: unknown, presented: boolean): void {
  const e = err instanceof CounterError ? err : undefined;
  let status = 500;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (e?.code === ErrorCode.Unauthenticated) {
    status = 401;
    headers['www-authenticate'] = presented ? `Bearer realm="counters", error="invalid_token", error_description="${quoted(e.message)}"` : 'Bearer realm="counters"';
  } else if (e?.code === ErrorCode.Forbidden) {
    status = 403;
    headers['www-authenticate'] = `Bearer realm="counters", error="insufficient_scope", scope="${String(e.extensions.scope ?? '')}"`;
  } else if (e?.code === ErrorCode.Unavailable) {
    status = 503;
    headers['retry-after'] = '1';
  }
  const error = e ? { message: e.message, extensions: { code: e.code } } : { message: 'credentials could not be checked', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  if (!res.headersSent) res.writeHead(status, headers);
  res.end(JSON.stringify({ errors: [error] }));
}

/** An RFC 7230 quoted-string body: our messages are fixed text, but a quote would end it early. */
const quoted = (s: string): string => s.replace(/["\\\r\n]/g, '');
