import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config';
import type { RequestContext } from '../../resolvers/context';
import { ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { DocumentCache } from './documentCache';
import { keepCounterErrorCode } from './formatError';

/** What a connection told us in `connection_init`, and the upgrade request it came on. */
export interface ConnectionInfo {
  connectionParams: Readonly<Record<string, unknown>>;
  request: IncomingMessage;
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
  config: Pick<Config, 'ws' | 'shutdownTimeoutMs'>;
  log: Logger;
  onConnect?: ConnectHook;
}

export interface WebSocketEndpoint {
  readonly wss: WebSocketServer;
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

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
}
type Ctx = { connectionParams?: Readonly<Record<string, unknown>>; extra: Extra; subscriptions: Record<string, unknown> };

/**
 * GraphQL over websocket (graphql-transport-ws, the graphql-ws protocol) on the HTTP
 * server's port at /graphql.
 *
 * Back-pressure: graphql-ws awaits `socket.send` before it pulls the next value from a
 * subscription's iterator, and `ws` calls the send callback only once the frame was handed
 * to the kernel. A client that stops reading therefore stalls its own subscriptions after
 * one frame, and their LatestValueIterators conflate (latest value wins) meanwhile: the
 * server holds at most one unsent value and one in-flight frame per subscription. Nothing
 * here may buffer on its own (no permessage-deflate: ws queues frames while compressing).
 */
export function attachWebSocket(server: Server, opts: WebSocketOptions): WebSocketEndpoint {
  const { config, log } = opts;
  const maxSubs = config.ws.maxSubscriptionsPerConnection;

  const wss = new WebSocketServer({ server, path: '/graphql', perMessageDeflate: false, maxPayload: config.ws.maxPayloadBytes });
  const info = (ctx: Ctx): ConnectionInfo => ({ connectionParams: ctx.connectionParams ?? {}, request: ctx.extra.request });

  const format = (errors: readonly GraphQLError[]) => errors.map((e) => keepCounterErrorCode(e.toJSON(), e));
  // One parsed, validated document per operation text, shared by its subscriptions (see DocumentCache).
  const documents = new DocumentCache();

  const server$ = useServer<Record<string, unknown>>(
    {
      schema: opts.schema,
      parse: documents.parse,
      validate: documents.validate,
      connectionInitWaitTimeout: config.ws.connectionInitTimeoutMs,
      context: (ctx) => opts.context(info(ctx as Ctx)),
      onConnect: async (ctx) => {
        if (!opts.onConnect) return true;
        let timer: NodeJS.Timeout | undefined;
        try {
          const verdict = await Promise.race([
            Promise.resolve(opts.onConnect(info(ctx as Ctx))),
            new Promise<false>((r) => (timer = setTimeout(() => r(false), config.ws.authTimeoutMs))),
          ]);
          return verdict === false ? false : verdict === undefined || verdict === true ? true : verdict;
        } catch (err) {
          log.warn({ err }, 'websocket connection refused by the credentials hook');
          return false;
        } finally {
          clearTimeout(timer);
        }
      },
      onSubscribe: (ctx) => {
        // The new operation is already registered in ctx.subscriptions.
        if (Object.keys((ctx as Ctx).subscriptions).length > maxSubs) {
          return [
            new GraphQLError(`at most ${maxSubs} subscriptions per connection (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)`, {
              extensions: { code: ErrorCode.BadUserInput, limit: maxSubs },
            }),
          ];
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return;
        const { errors, ...rest } = result;
        return { ...rest, errors: format(errors) };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
    config.ws.keepAliveMs,
  );

  return {
    wss,
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
