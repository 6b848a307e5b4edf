import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { ExplorerRoute } from './explorer';
import { refuseCredentials } from './authRefusal';
import { OriginPolicy } from './origins';

export interface HttpRoutes {
  /** POST/GET /graphql (the Apollo handler; `search` is the query string with its '?'). */
  graphql(req: http.IncomingMessage, res: http.ServerResponse, search: string): void;
  /** Throws when a backend cannot be reached (GET /readyz 503); else what is degraded but serving (200, named in the body). */
  ping(): Promise<string[] | void>;
  metrics: Pick<Metrics, 'registry' | 'connectionsRefused'>;
  /** The explorer (GET /graphql from a browser, its assets), when it is on. */
  explorer?: ExplorerRoute;
  /** GET /metrics: resolves when the caller may read them, else throws UNAUTHENTICATED/FORBIDDEN; absent: open. */
  authorizeMetrics?(authorization: string | undefined): Promise<void>;
  /** A failed readiness check, logged with its details (the 503 body names only the store kind). */
  notReady?(err: Error): void;
}

export interface HttpServer {
  server: http.Server;
  listen(port: number, host: string): Promise<number>;
  /**
   * Stops taking requests and waits (at most timeoutMs) for those in flight. Not http's
   * close(): that also drops at once every connection without an active response, including
   * ones whose request has arrived but is not read yet (a busy event loop). Responses in
   * flight, and requests still arriving, close their connection when done; connections idle
   * past a grace are closed (else idle keep-alive ones would hold close() open until the
   * timeout). `beforeWait` runs once listening stopped (the websocket endpoint's dispose).
   */
  drain(timeoutMs: number, beforeWait?: () => Promise<void>): Promise<void>;
}

/** Idle keep-alive connections closed from this long after stop begins. */
const IDLE_CLOSE_GRACE_MS = 250;
const IDLE_CLOSE_EVERY_MS = 50;

/** The node:http server: /graphql, health, readiness and metrics, and the graceful drain. */
/**
 * `transport`: Node's own defaults (no connection cap, 60 s for headers, 5 min per request)
 * suit no public service, so every bound is a setting (config.ts).
 */
export function createHttpServer(routes: HttpRoutes, transport: Config['transport']): HttpServer {
  const origins = new OriginPolicy(transport.allowedOrigins);
  let ready = true;
  // Responses not finished yet: on stop they are told to close their connection afterwards.
  const active = new Set<http.ServerResponse>();
  const text = (res: http.ServerResponse, status: number, body: string): void =>
    void res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  const server = http.createServer({
    headersTimeout: transport.headersTimeoutMs,
    requestTimeout: transport.requestTimeoutMs,
    // Node checks both timeouts only this often (30 s by default): a slow-headers client
    // would hold its socket that much longer than HTTP_HEADERS_TIMEOUT_MS says.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(transport.headersTimeoutMs / 4))),
  }, (req, res) => {
    if (!ready) res.setHeader('connection', 'close');
    active.add(res);
    res.once('close', () => active.delete(res));
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (routes.explorer?.(req, res, pathname)) return;
    switch (pathname) {
      case '/graphql':
        if (origins.apply(req, res)) return;
        return routes.graphql(req, res, q === -1 ? '' : url.slice(q));
      case '/healthz':
        return text(res, 200, 'ok');
      case '/readyz':
        routes.ping().then(
          (degraded) =>
            ready
              ? text(res, 200, degraded && degraded.length > 0 ? `ready; degraded: ${degraded.join('; ')}` : 'ready')
              : text(res, 503, 'stopping'),
          (err: Error & { store?: string }) => {
            // The driver's message names hosts and internals: it goes to the log only.
            routes.notReady?.(err);
            text(res, 503, `not ready: the ${err.store ?? 'backing'} store cannot be reached`);
          },
        );
        return;
      case '/metrics': {
        const { registry } = routes.metrics;
        const authorization = req.headers.authorization;
        (routes.authorizeMetrics?.(authorization) ?? Promise.resolve()).then(
          () =>
            registry.metrics().then(
              (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
              (err: Error) => text(res, 500, err.message),
            ),
          (err: unknown) => refuseCredentials(res, err, authorization !== undefined),
        );
        return;
      }
      default:
        return text(res, 404, 'not found; GraphQL is at /graphql');
    }
  });
  // Keep-alive connections from load balancers and gateways outlive requests; bound them.
  server.keepAliveTimeout = transport.keepAliveTimeoutMs;
  // Past the cap Node closes a new connection at once ('drop'); websockets count too.
  server.maxConnections = transport.maxConnections;
  server.on('drop', () => routes.metrics.connectionsRefused.inc({ reason: 'tcp' }));
  // Inactivity in the middle of a request or response (a client that stopped reading).
  server.timeout = transport.idleTimeoutMs;

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    async drain(timeoutMs, beforeWait) {
      ready = false;
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      const closed = new Promise<void>((r) => net.Server.prototype.close.call(server, () => r()));
      let idleCloser: NodeJS.Timeout | undefined;
      const grace = setTimeout(() => (idleCloser = setInterval(() => server.closeIdleConnections(), IDLE_CLOSE_EVERY_MS)), IDLE_CLOSE_GRACE_MS);
      await beforeWait?.();
      await Promise.race([closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      clearTimeout(grace);
      clearInterval(idleCloser);
      server.closeAllConnections();
    },
  };
}
