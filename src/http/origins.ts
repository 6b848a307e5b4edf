import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a browser may send cross-origin: Apollo Client's, urql's and the router's headers. */
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-apollo-operation-name',
  'apollo-require-preflight',
  'traceparent',
].join(', ');
/** How long a browser may cache a preflight (Chrome caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = 7200;

/**
 * The browser-origin policy of ALLOWED_ORIGINS (exact origins, no wildcard): CORS on HTTP,
 * and which websocket upgrades a browser may make. Credentials travel in the Authorization
 * header, never in cookies, so no Access-Control-Allow-Credentials.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.allowed = new Set(origins);
  }

  /**
   * Sets the CORS headers of a /graphql response: a listed origin is echoed, with `Vary:
   * Origin` (the answer depends on it, for every cache on the way); an unlisted one gets no
   * CORS header, so the browser keeps the response from the page. A preflight (`OPTIONS`) is
   * answered here, 204; returns true when it was.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.allowed.size > 0) res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    const listed = typeof origin === 'string' && this.allowed.has(origin);
    if (listed) res.setHeader('access-control-allow-origin', origin);
    if (req.method !== 'OPTIONS') return false;
    res.setHeader('allow', ALLOWED_METHODS);
    if (listed) {
      res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    }
    res.writeHead(204).end();
    return true;
  }

  /**
   * A websocket upgrade is a browser's only when it carries `Origin` (routers and servers
   * send none, and are judged by their credentials). A browser page may open one from the
   * service's own origin (the explorer: same Host, http or https behind a TLS proxy) or a
   * listed origin; any other page is refused, else any site a user visits could subscribe
   * with the user's reachability (cross-site websocket hijacking).
   */
  allowsUpgrade(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (this.allowed.has(origin)) return true;
    const host = req.headers.host?.toLowerCase();
    if (!host) return false;
    const o = origin.toLowerCase();
    return o === `http://${host}` || o === `https://${host}`;
  }
}
