import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type ContextFunction } from '@apollo/server';
import type { RequestContext } from '../context';

/** Largest request body accepted: ~10,000 addCounts items. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Apollo Server on bare node:http. This is all an HTTP integration does (the same steps as
 * @as-integrations/express5), without a framework's router and middleware on every request.
 */
export function apolloHandler(
  server: ApolloServer<RequestContext>,
  context: ContextFunction<[], RequestContext>,
): (req: IncomingMessage, res: ServerResponse, search: string) => void {
  return (req, res, search) => {
    readBody(req).then(
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
            return send(res, 400, { 'content-type': 'text/plain' }, 'request body is not valid JSON');
          }
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
      (err: Error & { status?: number }) => send(res, err.status ?? 400, { 'content-type': 'text/plain' }, err.message),
    ).catch((err) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, String(err));
      else res.destroy(err as Error);
    });
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error(`request body larger than ${MAX_BODY_BYTES} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}
