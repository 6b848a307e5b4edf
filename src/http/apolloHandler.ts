import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { RequestContext } from '../../resolvers/context';
import type { Principal } from '../auth/principal';
import { refuseCredentials } from './authRefusal';
import { newRequestId } from '../errors';
import type { Logger } from '../logger';
import type { CompiledExecution } from './compiledExecution';
import { labelRequest } from './tracing';

/**
 * Apollo Server on bare node:http. This is all an HTTP integration does (the same steps as
 * @as-integrations/express5), without a framework's router and middleware on every request.
 * A plain POST is offered to the compiled path first (compiledExecution.ts), which leaves
 * to Apollo whatever it does not serve exactly as Apollo would.
 */
export function apolloHandler(
  server: ApolloServer<RequestContext>,
  /** One request's context, for the caller `authenticate` named. */
  context: (principal: Principal) => Promise<RequestContext>,
  maxBodyBytes: number,
  compiled: CompiledExecution | undefined,
  /** The operation limits' checks that must run before Apollo's (src/limits precheckRequest): a refusal's JSON, or undefined. */
  precheck: ((body: unknown, search: string) => string | undefined) | undefined,
  /** The caller of a request from its Authorization header; throws UNAUTHENTICATED (src/auth/authenticator.ts). */
  authenticate: (authorization: string | undefined) => Promise<Principal>,
  log: Pick<Logger, 'error'> | undefined,
): (req: IncomingMessage, res: ServerResponse, search: string) => void {
  return (req, res, search) => {
    // Credentials first, on every method and both paths: a request without valid ones is
    // answered 401 before its body is even read, and nothing runs.
    authenticate(req.headers.authorization).then(
      (principal) => serve(req, res, search, principal),
      (err: unknown) => refuseCredentials(res, err, req.headers.authorization !== undefined),
    );
  };

  function serve(req: IncomingMessage, res: ServerResponse, search: string, principal: Principal): void {
    readBody(req, maxBodyBytes).then(
      async (raw) => {
        const headers = new HeaderMap();
        for (const [key, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
        }
        let body: unknown = undefined;
        if (raw.length > 0 && (headers.get('content-type') ?? '').includes('json')) {
          try {
            body = JSON.parse(raw);
          } catch {
            return refuse(res, 400, 'request body is not valid JSON');
          }
          labelRequest(body, search);
          if (compiled && req.method === 'POST' && (await compiled.serve(body, req.headers, res, principal))) return;
        }
        if (body === undefined) labelRequest(body, search);
        const refusal = precheck?.(body, search);
        if (refusal !== undefined) {
          res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
          res.end(`${refusal}\n`);
          return;
        }
        const response = await server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
          context: () => context(principal),
        });
        res.statusCode = response.status ?? 200;
        for (const [k, v] of response.headers) res.setHeader(k, v);
        if (response.body.kind === 'complete') {
          res.end(response.body.string);
          return;
        }
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      },
      (err: Error & { status?: number }) => refuse(res, err.status ?? 400, err.message),
    ).catch((err) => {
      // A failure of ours: its details go to the log under the id the answer carries.
      const requestId = newRequestId();
      log?.error({ err, requestId }, 'HTTP request failed');
      if (!res.headersSent) refuse(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR', requestId);
      else res.destroy(err as Error);
    });
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        // Stop keeping the body but let the rest flow past: destroying the socket here would
        // also drop the 413 the client is owed; the connection closes after that response.
        chunks.length = 0;
        req.removeAllListeners('data');
        req.resume();
        reject(Object.assign(new Error(`request body larger than ${maxBytes} bytes`), { status: 413 }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A request refused before GraphQL runs (unreadable body, too large) still answers in the
 * GraphQL response shape with a stable code, Apollo's own BAD_REQUEST for what it would
 * refuse the same way, so clients handle every refusal by `extensions.code`.
 */
function refuse(res: ServerResponse, status: number, message: string, code = 'BAD_REQUEST', requestId?: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(status === 413 ? { connection: 'close' } : {}) });
  res.end(JSON.stringify({ errors: [{ message, extensions: requestId ? { code, requestId } : { code } }] }));
}
