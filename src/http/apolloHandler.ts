import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { RequestContext } from '../../resolvers/context';
import type { Principal } from '../auth/principal';
import { refuseCredentials } from './authRefusal';
import { newRequestId } from '../errors';
import type { Logger } from '../logger';
import type { CompiledExecution } from './compiledExecution';
import { labelRequest } from './tracing';
import { APPLICATION_JSON, essence, GRAPHQL_RESPONSE_JSON, responseType } from './mediaTypes';

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
  /** The operation limits' checks that must run before Apollo's (src/limits): a refusal's JSON, or undefined. */
  precheck: Precheck | undefined,
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
        // The one body this endpoint reads is `application/json` (the spec's request type).
        // Anything else a POST carries is refused before it is parsed: a browser sends
        // text/plain, form or multipart bodies cross-origin without a preflight, so none of
        // them may run an operation (the CSRF reasoning is in app.ts, at csrfPrevention).
        if (req.method === 'POST' && essence(req.headers['content-type']) !== 'application/json') {
          return refuse(res, 415, 'a POST body must be content-type: application/json', 'BAD_REQUEST', undefined, req.headers.accept);
        }
        if (raw.length > 0 && req.method === 'POST') {
          // Before JSON.parse, whose cost is per value: see LIMIT_JSON_VALUES.
          const tooMany = precheck?.raw(raw);
          if (tooMany !== undefined) return answerRefusal(res, tooMany, req.headers.accept);
          try {
            body = JSON.parse(raw);
          } catch {
            return refuse(res, 400, 'request body is not valid JSON', 'BAD_REQUEST', undefined, req.headers.accept);
          }
          labelRequest(body, search);
          if (compiled && req.method === 'POST' && (await compiled.serve(body, req.headers, res, principal))) return;
        }
        if (body === undefined) labelRequest(body, search);
        const refusal = precheck?.request(body, search);
        if (refusal !== undefined) return answerRefusal(res, refusal, req.headers.accept);
        const response = await server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
          context: () => context(principal),
        });
        res.statusCode = response.status ?? 200;
        for (const [k, v] of response.headers) res.setHeader(k, v);
        if (response.body.kind === 'complete') {
          if (res.statusCode === 400) res.statusCode = requestErrorStatus(response.headers.get('content-type'), response.body.string);
          res.end(response.body.string);
          return;
        }
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      },
      (err: Error & { status?: number }) => refuse(res, err.status ?? 400, err.message, 'BAD_REQUEST', undefined, req.headers.accept),
    ).catch((err) => {
      // A failure of ours: its details go to the log under the id the answer carries.
      const requestId = newRequestId();
      log?.error({ err, requestId }, 'HTTP request failed');
      if (!res.headersSent) refuse(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR', requestId, req.headers.accept);
      else res.destroy(err as Error);
    });
  }
}

/** What the operation limits check before Apollo runs; each answers a refusal's JSON, or undefined. */
export interface Precheck {
  /** The raw JSON body of a POST, before it is parsed. */
  raw(text: string): string | undefined;
  /** The parsed body (POST) or the query string (GET). */
  request(body: unknown, search: string): string | undefined;
}

/** A refusal of the limits, as Apollo answers its own validation errors (requestErrorStatus). */
function answerRefusal(res: ServerResponse, refusal: string, accept: string | undefined): void {
  const type = responseType(accept) ?? APPLICATION_JSON;
  res.writeHead(type === APPLICATION_JSON ? 200 : 400, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(`${refusal}\n`);
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
function refuse(res: ServerResponse, status: number, message: string, code = 'BAD_REQUEST', requestId?: string, accept?: string): void {
  const type = responseType(accept) === GRAPHQL_RESPONSE_JSON ? GRAPHQL_RESPONSE_JSON : APPLICATION_JSON;
  res.writeHead(status, { 'content-type': type, ...(status === 413 ? { connection: 'close' } : {}) });
  res.end(JSON.stringify({ errors: [{ message, extensions: requestId ? { code, requestId } : { code } }] }));
}

/**
 * The status of a GraphQL request error (the document does not parse or validate, its
 * variables do not coerce, a limit refused it: nothing ran, no `data`). Apollo answers them
 * 400 whatever the response type. The spec wants 400 for `application/graphql-response+json`
 * (which Apollo Client and urql ask for), but 200 for `application/json` (SHOULD: legacy
 * clients read GraphQL errors only from a 200). A malformed HTTP request (BAD_REQUEST: no
 * query, variables that are not a JSON object, a subscription over plain HTTP) stays 400.
 */
export function requestErrorStatus(contentType: string | undefined, body: string): number {
  if (contentType !== APPLICATION_JSON) return 400;
  let result: { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
  try {
    result = JSON.parse(body) as typeof result;
  } catch {
    return 400;
  }
  const errors = result?.errors;
  if (!Array.isArray(errors) || errors.length === 0 || 'data' in result) return 400;
  return errors.some((e) => e?.extensions?.code === 'BAD_REQUEST') ? 400 : 200;
}
