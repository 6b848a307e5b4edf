import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type ContextFunction } from '@apollo/server';
import type { RequestContext } from '../../resolvers/context';
import { newRequestId } from '../errors';
import type { Logger } from '../logger';
import type { CompiledExecution } from './compiledExecution';

/**
 * Apollo Server on bare node:http. This is all an HTTP integration does (the same steps as
 * @as-integrations/express5), without a framework's router and middleware on every request.
 * A plain POST is offered to the compiled path first (compiledExecution.ts), which leaves
 * to Apollo whatever it does not serve exactly as Apollo would.
 */
export function apolloHandler(
  server: ApolloServer<RequestContext>,
  context: ContextFunction<[], RequestContext>,
  maxBodyBytes: number,
  compiled?: CompiledExecution,
  log?: Pick<Logger, 'error'>,
): (req: IncomingMessage, res: ServerResponse, search: string) => void {
  return (req, res, search) => {
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
          if (compiled && req.method === 'POST' && (await compiled.serve(body, req.headers, res))) return;
        }
        const response = await server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
          context,
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
  };
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
