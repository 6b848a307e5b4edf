import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginSubscriptionCallback } from '@apollo/server/plugin/subscriptionCallback';
import { createRollupSidecar } from '../rollup';
import { buildSchema } from '../resolvers';
import { createLoaders } from '../resolvers/loaders';
import { createBackends, type Backends } from './backends';
import type { Config } from './config';
import type { RequestContext } from './context';
import { NamespaceRegistry } from './counters/namespaces';
import { CounterService } from './counters/service';
import { apolloHandler } from './http/apolloHandler';
import { keepCounterErrorCode } from './http/formatError';
import { attachWebSocket, type WebSocketEndpoint } from './http/websocket';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';

export interface App {
  url: string;
  port: number;
  service: CounterService;
  backends: Backends;
  metrics: Metrics;
  log: Logger;
  /** The graphql-ws endpoint at /graphql (its WebSocketServer, for tests and diagnostics). */
  websocket: WebSocketEndpoint;
  /** Stops taking requests, finishes those in flight, flushes the roll-up, closes the stores. */
  stop(): Promise<void>;
}

// Retention is days by default; a purge walks every counter, so it runs rarely.
const PURGE_INTERVAL_MS = 10 * 60_000;

/** Wires the whole service and starts listening; the one entry point for main and tests. */
export async function createApp(config: Config): Promise<App> {
  const log = createLogger(config.logLevel);
  const metrics = createMetrics();
  const backends = await createBackends(config, log);
  const namespaces = new NamespaceRegistry(backends.store);
  await namespaces.load();
  if (config.namespacesFile) await namespaces.loadFile(config.namespacesFile);

  const service = new CounterService(
    backends.store,
    namespaces,
    backends.bestEffort,
    backends.rollupCache,
    backends.pubsub,
    metrics,
    log,
    {
      skewMarginMs: config.rollup.skewMarginMs,
      publishThrottleMs: config.publishThrottleMs,
      localCacheSize: config.rollup.localCacheSize,
    },
  );
  const sidecar = await createRollupSidecar(config.rollup, backends.store.exclusiveWriter, service, metrics, log);
  service.attachSidecar(sidecar);
  sidecar.start();
  const purgeTimer = setInterval(() => {
    service.purgeExpired().catch((err) => log.warn({ err }, 'retention purge failed'));
  }, PURGE_INTERVAL_MS);
  purgeTimer.unref();

  const schema = buildSchema();
  const context = async (): Promise<RequestContext> => ({
    service,
    namespaces,
    loaders: createLoaders(service, namespaces),
  });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Subscriptions through a router: its HTTP callback protocol (callback/1.0) beside the
    // websocket passthrough. Inline tracing (ftv1) is on by itself for a subgraph schema.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginSubscriptionCallback({ logger: log })],
    includeStacktraceInErrorResponses: false,
    logger: log,
    formatError: keepCounterErrorCode,
    // Outside NODE_ENV=test Apollo stops itself on SIGTERM, failing the operations still in
    // flight and re-raising the signal: main.ts owns the signals and stops in order.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const graphql = apolloHandler(apollo, context);

  let ready = true;
  // Responses not finished yet: on stop they are told to close their connection afterwards.
  const active = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (!ready) res.setHeader('connection', 'close');
    active.add(res);
    res.once('close', () => active.delete(res));
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    switch (pathname) {
      case '/graphql':
        return graphql(req, res, q === -1 ? '' : url.slice(q));
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      case '/readyz':
        backends.ping().then(
          () => res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready' : 'stopping'),
          (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${err.message}`),
        );
        return;
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; GraphQL is at /graphql');
    }
  });
  // Keep-alive connections from load balancers and gateways outlive requests; bound them.
  server.keepAliveTimeout = 65_000;

  const ws = attachWebSocket(server, { schema, context: () => context(), config, log });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, store: backends.store.kind }, 'counter service listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      ready = false;
      clearInterval(purgeTimer);
      // Stop listening, but not via http's close(): it also drops at once every connection
      // without an active response, including ones whose request has arrived but is not
      // read yet (a busy event loop). Responses in flight, and requests still arriving, close
      // their connection when done; connections idle past a grace are closed (else idle
      // keep-alive ones would hold close() open until the timeout).
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      const closed = new Promise<void>((r) => net.Server.prototype.close.call(server, () => r()));
      let idleCloser: NodeJS.Timeout | undefined;
      const grace = setTimeout(() => (idleCloser = setInterval(() => server.closeIdleConnections(), 50)), 250);
      await ws.dispose();
      await Promise.race([closed, new Promise((r) => setTimeout(r, config.shutdownTimeoutMs).unref())]);
      clearTimeout(grace);
      clearInterval(idleCloser);
      server.closeAllConnections();
      await apollo.stop();
      await sidecar.stop();
      await service.close();
      await backends.close();
      log.info('counter service stopped');
    })());

  return { url: `http://${host}:${port}/graphql`, port, service, backends, metrics, log, websocket: ws, stop };
}
