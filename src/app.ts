import { ApolloServer } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginSubscriptionCallback } from '@apollo/server/plugin/subscriptionCallback';
import { createRollup, type Rollup } from '../rollup';
import { NAMESPACE_RELIST_MS } from '../rollup/namespaces';
import { buildSchema } from '../resolvers';
import type { RequestContext } from '../resolvers/context';
import { createLoaders, type Loaders } from '../resolvers/loaders';
import { createAuthenticator } from './auth/authenticator';
import { forbidden, unauthenticated } from './auth/errors';
import { can, OPEN, type Principal } from './auth/principal';
import { createBackends, type Backends } from './backends';
import type { Config } from './config';
import { BestEffortCounters } from './counters/bestEffort';
import { DurableCounters } from './counters/durable';
import { OverflowGuard } from './counters/overflowGuard';
import { CounterService } from './counters/service';
import { Watcher } from './counters/watch';
import { apolloHandler } from './http/apolloHandler';
import { CompiledExecution } from './http/compiledExecution';
import { createExplorer } from './http/explorer';
import { createFormatError, errorCodeLabel, type FormatError } from './http/formatError';
import { callbackFetch, callbackHosts } from './http/callbackHosts';
import { subscriptionsOverHttp } from './http/httpSubscriptions';
import { createHttpServer } from './http/server';
import { traceRequests } from './http/tracing';
import { attachWebSocket, type WebSocketEndpoint } from './http/websocket';
import { instrumentBestEffort, instrumentConverged, instrumentStore } from './instrument/seams';
import { limitsPlugin, OperationLimits } from './limits';
import { CounterError } from './errors';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { NamespaceRegistry } from './namespaces/registry';
import { NamespaceRemover } from './namespaces/remover';

export interface App {
  url: string;
  port: number;
  service: CounterService;
  namespaces: NamespaceRegistry;
  /** The roll-up pipeline (tests and tools run a roll-up or list pending counters through it). */
  rollup: Rollup;
  backends: Backends;
  metrics: Metrics;
  log: Logger;
  /** A fresh operation context, as every HTTP request and subscription gets one (for `principal`, OPEN by default: tests and tools). */
  context(principal?: Principal): Promise<RequestContext>;
  /** The graphql-ws endpoint at /graphql (its WebSocketServer, for tests and diagnostics). */
  websocket: WebSocketEndpoint;
  /** Stops taking requests, finishes those in flight, flushes the roll-up, closes the stores. */
  stop(): Promise<void>;
}

/**
 * The composition root: builds every part once, in dependency order (backends, the
 * instrumented seams, namespaces, the roll-up, the counter paths, GraphQL, HTTP), and starts
 * listening. The one entry point for main and tests; nothing else constructs these parts.
 */
export async function createApp(config: Config): Promise<App> {
  const log = createLogger(config.logLevel, { traceIds: config.tracing.enabled });
  const metrics = createMetrics();
  const backends = await createBackends(config, log, metrics);
  const ins = { metrics, log, tracing: config.tracing.enabled };
  const store = instrumentStore(backends.store, ins);
  const converged = instrumentConverged(backends.convergedCache, ins);
  const namespaces = new NamespaceRegistry(store);
  try {
    await namespaces.load();
    if (config.namespacesFile) await namespaces.loadFile(config.namespacesFile, log);
  } catch (err) {
    // A start refused here (a bad namespaces file) must not leave the store open: the
    // embedded store holds its database file (and threads) until closed.
    await backends.close();
    throw err;
  }

  // The store-wide bound only where no other process writes (it grows by this process's adds alone).
  const guard = new OverflowGuard(config.rollup.localCacheSize, store.exclusiveWriter ? store.countBound : undefined);
  // Caches and pub/sub in this process's memory (no Redis): what another instance reads or
  // watches is never served from this one's roll-ups (it rolls up from the store's pending
  // marks itself), so writes offer only the counters followed here.
  const rollUnread = config.redisUrl !== undefined || config.redisClusterNodes !== undefined;
  const rollup = await createRollup({
    store,
    converged,
    pubsub: backends.pubsub,
    namespaces,
    metrics,
    log,
    options: config.rollup,
    onRolledUp: (ref, exact, key) => guard.observeRolledUp(ref, exact, key),
    rollUnread,
  });
  const bestEffort = instrumentBestEffort(backends.bestEffort, ins);
  // deleteNamespace: the removal after its grace (remover.ts), and, on every instance as soon
  // as it learns of a deletion, this process's own state of the namespace (its caches when
  // they are in memory: the Redis ones are shared, the removal clears them).
  const remover = new NamespaceRemover({
    store,
    caches: [bestEffort, converged],
    forget: (name) => guard.forgetNamespace(name),
    graceMs: config.namespaceDeleteGraceMs,
    relist: () => namespaces.list(NAMESPACE_RELIST_MS),
    log: log.child({ part: 'namespaces' }),
  });
  namespaces.onGone((name) => {
    guard.forgetNamespace(name);
    if (config.redisUrl === undefined && config.redisClusterNodes === undefined) for (const c of [bestEffort, converged]) void c.clearNamespace(name).catch(() => undefined);
  });
  namespaces.onDeleted((d) => remover.schedule(d));
  const service = new CounterService(
    namespaces,
    new BestEffortCounters(bestEffort, backends.pubsub, metrics, {
      skewMarginMs: config.rollup.skewMarginMs,
      publishThrottleMs: config.publishThrottleMs,
    }),
    new DurableCounters(store, converged, guard, rollup.trigger, metrics, config.rollup.skewMarginMs, !rollUnread),
    new Watcher(backends.pubsub, metrics, rollup.trigger),
  );
  rollup.start();
  remover.start();

  const schema = buildSchema();
  const checker = createAuthenticator(config.auth, log);
  // Refused credentials counted by code, whichever transport asked (auth_refusals_total).
  const auth = {
    ...checker,
    authenticate: (authorization: unknown): Promise<Principal> =>
      checker.authenticate(authorization).catch((err: unknown) => {
        metrics.authRefusals.inc({ code: err instanceof CounterError ? err.code : 'INTERNAL_SERVER_ERROR' });
        throw err;
      }),
  };
  // Loaders made on first use: a websocket subscription's own context only runs its subscribe
  // (its values are executed once per channel, src/http/wsFanOut.ts), so 10,000 subscriptions
  // do not hold 20,000 DataLoaders.
  const context = async (principal: Principal = OPEN): Promise<RequestContext> => {
    let loaders: Loaders | undefined;
    return {
      service,
      namespaces,
      principal,
      get loaders(): Loaders {
        return (loaders ??= createLoaders(service, namespaces));
      },
    };
  };
  // A websocket operation's caller is the connection's; with access control on there is always one (checked at connection_init).
  const wsPrincipal = (p: Principal | undefined): Principal => {
    if (p) return p;
    if (auth.enabled) throw unauthenticated('the connection has no credentials');
    return OPEN;
  };
  // Operation limits and the introspection policy: the same checks on every path (src/limits).
  const limits = new OperationLimits(schema, config.limits, config.introspection);
  // Bounded echoes and opaque internal errors (src/http/formatError.ts), after the limits'
  // policy took "Did you mean" hints out where introspection is off.
  const baseFormatError = createFormatError({ production: config.production, log });
  // Every error answered passes here, on every transport: counted by its code (graphql_errors_total).
  const formatError: FormatError = (formatted, error) => {
    const out = baseFormatError(limits.formatError(formatted), error);
    metrics.graphqlErrors.inc({ code: errorCodeLabel(out) });
    return out;
  };
  const hosts = callbackHosts(config.callbackHosts);
  const callbacks = ApolloServerPluginSubscriptionCallback({ logger: log, fetcher: callbackFetch(hosts) });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Subscriptions through a router: its HTTP callback protocol (callback/1.0) beside the
    // websocket passthrough. Inline tracing (ftv1) is on by itself for a subgraph schema.
    plugins: [ApolloServerPluginLandingPageDisabled(), subscriptionsOverHttp(callbacks, hosts), limitsPlugin(limits)],
    includeStacktraceInErrorResponses: false,
    logger: log,
    formatError,
    parseOptions: limits.parseOptions,
    validationRules: limits.rules,
    validationOptions: limits.validationOptions,
    // The policy is in limits.rules (the same on every path); Apollo's own copy of the
    // introspection rule would only repeat its error, and it reads NODE_ENV from the process.
    introspection: true,
    nodeEnv: config.nodeEnv,
    // Outside NODE_ENV=test Apollo stops itself on SIGTERM, failing the operations still in
    // flight and re-raising the signal: main.ts owns the signals and stops in order.
    stopOnTerminationSignals: false,
    // Apollo's CSRF prevention refuses every request without a non-simple content type or a
    // preflight header, so the spec's plain GET (urql's default for queries) was refused.
    // Its guard is kept where it matters, in apolloHandler: only a POST with content-type
    // application/json runs an operation (a browser preflights that cross-origin, and CORS
    // answers only ALLOWED_ORIGINS), a text/plain, form or multipart POST is refused 415,
    // and GET runs only queries (Apollo answers a GET mutation 405). A cross-site page can
    // still make a browser send a GET query: it reads nothing from the answer (no CORS) and
    // writes nothing; credentials are bearer tokens a browser never attaches by itself
    // (no cookies), so such a GET has none and, with access control on, is refused 401.
    csrfPrevention: false,
  });
  await apollo.start();

  const refusalJson = (refused: GraphQLError | undefined): string | undefined =>
    refused && JSON.stringify({ errors: [formatError(refused.toJSON(), refused)] });
  const graphql = apolloHandler(
    apollo,
    context,
    config.http.maxBodyBytes,
    config.http.compiledExecution ? new CompiledExecution(schema, context, formatError, limits) : undefined,
    {
      raw: (text) => refusalJson(limits.precheckBody(text)),
      request: (body, search) => refusalJson(limits.precheckRequest(body, search)),
    },
    auth.authenticate,
    log,
  );
  const http = createHttpServer(
    {
      graphql: config.tracing.enabled ? traceRequests(graphql) : graphql,
      ping: () => backends.ping(),
      metrics,
      notReady: (err) => log.warn({ err }, 'readiness check failed'),
      explorer: config.explorer ? createExplorer() : undefined,
      // With access control on, metrics are an administrator's (METRICS_AUTH=off opens them).
      ...(auth.enabled && config.auth.metrics
        ? {
            authorizeMetrics: async (authorization: string | undefined) => {
              if (!can(await auth.authenticate(authorization), 'admin')) throw forbidden('admin');
            },
          }
        : {}),
    },
    config.transport,
  );
  const ws = attachWebSocket(http.server, {
    schema,
    context: (info) => context(wsPrincipal(info.principal)),
    config,
    log,
    limits,
    formatError,
    metrics,
    ...(auth.enabled ? { authenticate: auth.authenticate } : {}),
  });
  const port = await http.listen(config.port, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, store: backends.store.kind }, 'counter service listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await http.drain(config.shutdownTimeoutMs, () => ws.dispose());
      await apollo.stop();
      await rollup.stop();
      remover.stop();
      service.close();
      await backends.close();
      log.info('counter service stopped');
    })());

  return { url: `http://${host}:${port}/graphql`, port, service, namespaces, rollup, backends, metrics, log, context, websocket: ws, stop };
}
