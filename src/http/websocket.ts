import type { IncomingMessage, Server } from 'node:http';
import { createSourceEventStream, execute, GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Config } from '../config';
import type { RequestContext } from '../../resolvers/context';
import { connectionAuthorization } from '../auth/credentials';
import { unauthenticated } from '../auth/errors';
import { expired, scopeKey, type Principal } from '../auth/principal';
import { CounterError, ErrorCode } from '../errors';
import { withCode, type OperationLimits } from '../limits';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { DocumentCache } from './documentCache';
import { keepCounterErrorCode, withRequestErrorCode, type FormatError } from './formatError';
import { OriginPolicy } from './origins';
import { WsFanOut } from './wsFanOut';
import { isTappable } from '../stream';
import { serveGraphqlWs, type WsExtra } from './wsTransport';

/** What a connection told us in `connection_init`, and the upgrade request it came on. */
export interface ConnectionInfo {
  connectionParams: Readonly<Record<string, unknown>>;
  request: IncomingMessage;
  /** The caller its credentials named, once `authenticate` accepted them (undefined without it). */
  principal: Principal | undefined;
}

/**
 * The credentials hook, called once per connection with the `connection_init` payload
 * (the Apollo Router forwards the client's there). `false` refuses the connection (close
 * 4403 Forbidden), an object becomes the `connection_ack` payload, anything else accepts.
 * It must answer within WS_AUTH_TIMEOUT_MS (default 4000): the Router waits 5 s for the ack.
 */
export type ConnectHook = (info: ConnectionInfo) => Promise<boolean | Record<string, unknown> | void> | boolean | Record<string, unknown> | void;

export interface WebSocketOptions {
  schema: GraphQLSchema;
  /** One operation's context: called per subscribe message, so each gets fresh DataLoaders. */
  context: (info: ConnectionInfo) => Promise<RequestContext>;
  config: Pick<Config, 'ws' | 'shutdownTimeoutMs' | 'transport'>;
  log: Logger;
  onConnect?: ConnectHook;
  /**
   * Access control: the caller of a connection from its Authorization value (the
   * `connection_init` payload's `authorization`, else the upgrade request's header); a throw
   * refuses the connection (4403). Runs before onConnect, within WS_AUTH_TIMEOUT_MS.
   */
  authenticate?: (authorization: unknown) => Promise<Principal>;
  /** Operation limits and the introspection policy, the same as over HTTP. */
  limits: OperationLimits;
  /** Where refused upgrades are counted (connections_refused_total). */
  metrics?: Pick<Metrics, 'connectionsRefused'>;
  /** The service's error formatter (bounded echoes, opaque internal errors); default: codes restored only. */
  formatError?: FormatError;
}

export interface WebSocketEndpoint {
  readonly wss: WebSocketServer;
  /** Channels of the shared fan-out alive: one per counter and operation watched (see WsFanOut; for tests). */
  channels(): number;
  /**
   * Closes every connection with 1001 Going Away (which ends their subscriptions), waits a
   * short grace for the closing handshakes, then drops the sockets that did not answer (a
   * stalled client cannot even read the close frame), and closes the server.
   */
  dispose(): Promise<void>;
}

/** How long dispose() waits for clients to answer the close frame before dropping them. */
const CLOSE_GRACE_MS = 1000;
/** RFC 6455 1001: the endpoint is going away (server shutdown). */
const GOING_AWAY = 1001;

type Extra = WsExtra & { principal?: Principal };
type Ctx = { connectionParams?: Readonly<Record<string, unknown>>; extra: Extra; subscriptions: Record<string, unknown> };

/**
 * GraphQL over websocket (graphql-transport-ws, the graphql-ws protocol) on the HTTP
 * server's port at /graphql.
 *
 * Subscription values do not go through graphql-ws's per-operation loop: a stream that can
 * be tapped (counterUpdated's) is delivered by WsFanOut, which executes and serialises each
 * value once for every subscriber watching the counter with the same operation, variables
 * and scopes, and writes each one's `next` frame itself (graphql-ws still runs the protocol:
 * subscribe, the checks below, complete, errors, close).
 *
 * Back-pressure: a subscriber has one frame in flight at a time; `ws` calls the send
 * callback only once the frame was handed to the kernel. A client that stops reading
 * therefore stalls its own subscriptions after one frame, the newest value waiting
 * meanwhile (latest wins): the server holds at most one unsent value and one in-flight
 * frame per subscription, and the other subscribers of the counter are not held back.
 * Nothing here may buffer on its own (no permessage-deflate: ws queues frames while
 * compressing).
 */
export function attachWebSocket(server: Server, opts: WebSocketOptions): WebSocketEndpoint {
  const { config, log } = opts;
  const maxSubs = config.ws.maxSubscriptionsPerConnection;

  const origins = new OriginPolicy(config.transport.allowedOrigins);
  const maxSockets = config.transport.maxWebSockets;
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    perMessageDeflate: false,
    maxPayload: config.ws.maxPayloadBytes,
    // Judged on the upgrade request, before graphql-ws sees the connection: an HTTP answer.
    verifyClient: ({ req }: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      if (!origins.allowsUpgrade(req)) {
        opts.metrics?.connectionsRefused.inc({ reason: 'websocket_origin' });
        return done(false, 403, 'Origin not allowed');
      }
      if (wss.clients.size >= maxSockets) {
        opts.metrics?.connectionsRefused.inc({ reason: 'websocket_cap' });
        return done(false, 503, 'Too many websocket connections');
      }
      done(true);
    },
  });
  const info = (ctx: Ctx): ConnectionInfo => ({ connectionParams: ctx.connectionParams ?? {}, request: ctx.extra.request, principal: ctx.extra.principal });
  /** Credentials (when access control is on), then the hook. */
  const connect = async (ctx: Ctx): Promise<boolean | Record<string, unknown> | void> => {
    if (opts.authenticate) {
      const params = ctx.connectionParams ?? {};
      ctx.extra.principal = await opts.authenticate(connectionAuthorization(params, ctx.extra.request.headers.authorization));
    }
    return opts.onConnect ? opts.onConnect(info(ctx)) : true;
  };

  const { limits } = opts;
  const formatError = opts.formatError ?? keepCounterErrorCode;
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => withRequestErrorCode(formatError(limits.formatError(e.toJSON()), e)));
  // One parsed, validated document per operation text, shared by its subscriptions (see DocumentCache).
  const documents = new DocumentCache(
    (text) => limits.parse(text),
    (_schema, doc) => limits.validate(doc),
  );
  // A `next` payload as graphql-ws would write it (onNext below): `{data}`, errors formatted after it.
  const payloadJson = (result: ExecutionResult): string => {
    const { errors, ...rest } = result;
    return JSON.stringify(errors ? { ...rest, errors: format(errors) } : rest);
  };
  // One execution and one payload per value for the subscribers watching it alike (see WsFanOut).
  const fanOut = new WsFanOut((args, value) => {
    const result = execute({ ...args, rootValue: value });
    return result instanceof Promise ? result.then(payloadJson) : payloadJson(result);
  });

  const server$ = serveGraphqlWs<Record<string, unknown>>(
    wss,
    {
      schema: opts.schema,
      connectionInitWaitTimeout: config.ws.connectionInitTimeoutMs,
      context: (ctx) => opts.context(info(ctx as Ctx)),
      onConnect: async (ctx) => {
        if (!opts.onConnect && !opts.authenticate) return true;
        let timer: NodeJS.Timeout | undefined;
        try {
          const verdict = await Promise.race([
            connect(ctx as Ctx),
            new Promise<false>((r) => (timer = setTimeout(() => r(false), config.ws.authTimeoutMs))),
          ]);
          return verdict === false ? false : verdict === undefined || verdict === true ? true : verdict;
        } catch (err) {
          // A refusal of the credentials is the client's doing (never log the token); anything else is a fault.
          if (err instanceof CounterError) log.debug({ code: err.code, reason: err.message }, 'websocket connection refused: credentials');
          else log.warn({ err }, 'websocket connection refused by the credentials hook');
          return false;
        } finally {
          clearTimeout(timer);
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        // Credentials that ran out since connection_init run nothing more on this connection.
        const principal = (ctx as Ctx).extra.principal;
        if (principal && expired(principal, Date.now())) return [unauthenticated('the token has expired: reconnect with fresh credentials')];
        // Operations still running, this one included: completed ones count until they end.
        if ((ctx as Ctx).extra.operations.active > maxSubs) {
          return [
            new GraphQLError(`at most ${maxSubs} subscriptions per connection (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)`, {
              extensions: { code: ErrorCode.BadUserInput, limit: maxSubs },
            }),
          ];
        }
        return checkOperation(limits, documents, opts.schema, payload);
      },
      // The subscribe field's stream of raw values only: onOperation executes them where they are delivered.
      subscribe: (args) => createSourceEventStream(args) as Promise<ExecutionResult | AsyncIterable<ExecutionResult>>,
      onOperation: (ctx, id, _payload, args, result) => {
        if (!isTappable(result)) return isAsyncIterable(result) ? executeEach(result, args) : undefined;
        // Completed while it was set up: graphql-ws returns the stream (nothing was sent).
        if (!(id in ctx.subscriptions)) return undefined;
        const principal = (ctx as Ctx).extra.principal;
        return fanOut.deliver(result, args, principal ? scopeKey(principal) : '', (ctx as Ctx).extra.socket, id);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return;
        const { errors, ...rest } = result;
        return { ...rest, errors: format(errors) };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    { keepAliveMs: config.ws.keepAliveMs, log, formatError: (e) => format([e])[0]! },
  );

  return {
    wss,
    channels: () => fanOut.size,
    dispose: async () => {
      const sockets = [...wss.clients];
      const closed = Promise.all(
        sockets.map((s) => (s.readyState === s.CLOSED ? undefined : new Promise<void>((r) => s.once('close', () => r())))),
      );
      for (const s of sockets) s.close(GOING_AWAY, 'Server shutting down');
      const grace = Math.min(CLOSE_GRACE_MS, config.shutdownTimeoutMs);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, grace)))]);
      clearTimeout(timer);
      for (const s of sockets) if (s.readyState !== s.CLOSED) s.terminate();
      await server$.dispose();
    },
  };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

/**
 * A subscription stream that cannot be tapped (none today): each value executed for this
 * subscriber alone, as graphql-js's `subscribe` does; its return() reaches the stream at once.
 */
function executeEach(source: AsyncIterable<unknown>, args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
  const it = source[Symbol.asyncIterator]();
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      const r = await it.next();
      return r.done ? { value: undefined, done: true } : { value: await execute({ ...args, rootValue: r.value }), done: false };
    },
    return: async () => (await it.return?.(), { value: undefined, done: true }),
    throw: async (err: unknown) => {
      await it.return?.();
      throw err;
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

/**
 * Parses, validates and checks one operation as HTTP does (src/limits: token limit, structure,
 * rules, then the lists given as variables and the estimated cost), instead of graphql-ws's
 * own parse and validate. Refusals carry the codes Apollo gives over HTTP.
 */
function checkOperation(
  limits: OperationLimits,
  documents: DocumentCache,
  schema: GraphQLSchema,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): readonly GraphQLError[] | ExecutionArgs {
  let document: DocumentNode;
  try {
    document = documents.parse(payload.query);
  } catch (err) {
    return [withCode(err instanceof GraphQLError ? err : new GraphQLError(String(err)), 'GRAPHQL_PARSE_FAILED')];
  }
  const invalid = documents.validate(schema, document);
  if (invalid.length > 0) return invalid.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
  const refused = limits.checkRequest(document, payload.operationName, payload.variables);
  if (refused) return [refused];
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
