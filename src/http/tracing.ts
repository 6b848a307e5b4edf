import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { operationLabel, spanName } from '../telemetry/operation';
import { tracer } from '../telemetry/tracing';

type Route = (req: IncomingMessage, res: ServerResponse, search: string) => void;

/**
 * A SERVER span per GraphQL request over HTTP, continuing the caller's trace: a router
 * forwards the client's W3C `traceparent` (and `tracestate`), so this subgraph's span is a
 * child of the router's fetch span. Everything the request does runs in the span's context
 * (store, cache and roll-up calls become its children; log lines carry its ids). The span
 * is named after the operation (`mutation AddView`) once the body has been read; it ends
 * when the response is finished or the connection closes.
 */
export function traceRequests(route: Route): Route {
  return (req, res, search) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      'graphql',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': '/graphql' } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => route(req, res, search));
  };
}

/**
 * Names the active request span after the operation of a JSON body (POST) or of the query
 * string (GET). Costs nothing when no span records (tracing off).
 */
export function labelRequest(body: unknown, search: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  let query: unknown;
  let operationName: unknown;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    ({ query, operationName } = body as Record<string, unknown>);
  } else if (body === undefined && search) {
    const params = new URLSearchParams(search);
    query = params.get('query');
    operationName = params.get('operationName');
  }
  const label = operationLabel(query, operationName);
  span.updateName(spanName(label));
  if (label) {
    span.setAttribute('graphql.operation.type', label.type);
    if (label.name) span.setAttribute('graphql.operation.name', label.name);
  }
}
