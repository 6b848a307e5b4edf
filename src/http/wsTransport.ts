import type { IncomingMessage } from 'node:http';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { OperationGate } from './wsOperations';

/** What every graphql-ws hook finds in `ctx.extra`. */
export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
  /** This connection's operations, ordered per id and counted (the per-connection cap). */
  operations: OperationGate;
}

export interface WsTransportOptions {
  keepAliveMs: number;
  log: Logger;
  /** Shapes a GraphQL error thrown while an operation was set up (a syntax error, a failed context). */
  formatError(err: GraphQLError): GraphQLFormattedError;
}

/**
 * graphql-ws's server on a `ws` WebSocketServer: what graphql-ws/use/ws does (subprotocol
 * choice, keep-alive pings, a peer that does not answer is dropped), with every message
 * passing the connection's OperationGate first (see wsOperations.ts: the id-reuse leak), and
 * failures answered without leaking internals: an operation that throws a GraphQL error
 * while it is set up (a query that does not parse) gets an `error` message for its id,
 * anything else closes the connection 4500 with a fixed reason and is logged.
 */
export function serveGraphqlWs<P extends Record<string, unknown>>(
  wss: WebSocketServer,
  options: ServerOptions<P, WsExtra>,
  opts: WsTransportOptions,
): { dispose(): Promise<void> } {
  const server = makeServer<P, WsExtra>(options);
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (err) => opts.log.error({ err }, 'websocket server error'));

  wss.on('connection', (socket, request) => {
    // HTTP_IDLE_TIMEOUT_MS does not apply here: ws clears the socket's timeout on upgrade, and
    // the keep-alive pings below judge a quiet peer.
    const internalError = (err: unknown): void => {
      opts.log.error({ err }, 'websocket operation failed');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    // A peer's protocol error (bad UTF-8, a frame over WS_MAX_PAYLOAD_BYTES): ws has already
    // closed the connection with the fitting code (1007, 1009); nothing of ours failed.
    socket.on('error', (err) => opts.log.debug({ err }, 'websocket protocol error'));
    let onMessage: ((data: string) => Promise<void>) | undefined;
    const send = (data: string): Promise<void> =>
      new Promise((resolve, reject) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        socket.send(data, (err) => (err ? reject(err) : resolve()));
      });
    const operations = new OperationGate(
      (raw) => (onMessage ? onMessage(raw) : Promise.resolve()),
      (code, reason) => socket.close(code, reason),
      (err, id, completed) => {
        if (id === undefined || !(err instanceof GraphQLError)) return internalError(err);
        if (!completed) void send(JSON.stringify({ id, type: 'error', payload: [opts.formatError(err)] })).catch(() => undefined);
      },
    );

    let pongWait: NodeJS.Timeout | null = null;
    const ping =
      opts.keepAliveMs > 0 && Number.isFinite(opts.keepAliveMs)
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), opts.keepAliveMs);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, opts.keepAliveMs)
        : null;

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) => {
          onMessage = cb;
          socket.on('message', (data) => operations.receive(String(data)));
        },
      },
      { socket, request, operations },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (ping) clearInterval(ping);
      operations.dispose();
      closed(code, String(reason)).catch((err: unknown) => opts.log.error({ err }, 'websocket close handling failed'));
    });
  });

  return {
    dispose: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
