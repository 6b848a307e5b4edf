import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createNamespace, startServer, waitFor, type TestServer } from './helpers/server';

/**
 * Tracing in process, with an in-memory exporter registered as the SDK would register its
 * own (global tracer provider, AsyncLocalStorage context manager, W3C propagator): the spans
 * of a request sent with a router's `traceparent`, their parents, names and attributes.
 * (tracing.otlp.test.ts runs the real SDK in the service's own process.)
 */
const exporter = new InMemorySpanExporter();
let s: TestServer;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  // Tracing is on when an endpoint is set; nothing is sent to it here (the provider is the test's).
  s = await startServer({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  await createNamespace(s, 'traced', 'ACCURATE');
});
afterAll(() => s.stop());
beforeEach(() => exporter.reset());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

async function post(body: unknown, traceparent?: string): Promise<Response> {
  return fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
    body: JSON.stringify(body),
  });
}

const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((x) => x.spanContext().traceId === traceId);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

it("a request continues the router's trace: a SERVER span named after the operation, store calls its children", async () => {
  const mutation = `mutation AddOne($i: AddCountInput!) { addCount(input: $i) { applied counter { count } } }`;
  // Twice: the second runs on the compiled path, which must be traced the same way.
  for (let i = 0; i < 2; i++) {
    exporter.reset();
    const res = await post({ query: mutation, variables: { i: { namespace: 'traced', name: 'c', delta: 1 } } }, `00-${TRACE_ID}-${PARENT_ID}-01`);
    expect(res.status).toBe(200);
    await res.text();
    await waitFor(() => spansOf(TRACE_ID).some((x) => x.name === 'mutation AddOne'));
    const spans = spansOf(TRACE_ID);
    const server = spans.find((x) => x.name === 'mutation AddOne')!;
    expect(server.kind).toBe(1); // SpanKind.SERVER
    expect(parentOf(server)).toBe(PARENT_ID);
    expect(server.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'AddOne',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    const append = spans.find((x) => x.name === 'counters.append');
    expect(append).toBeDefined();
    expect(parentOf(append!)).toBe(server.spanContext().spanId);
    expect(append!.attributes).toMatchObject({ 'counters.op': 'append', 'counters.items': 1 });
    // ACCURATE: the count is read back in the same request (checkpoint + live events).
    expect(spans.some((x) => x.name === 'counters.readSnapshots' && parentOf(x) === server.spanContext().spanId)).toBe(true);
  }
});

it('a GET query and a request without traceparent start their own traces', async () => {
  const res = await fetch(`${s.url}?query=${encodeURIComponent('query Read { counter(namespace: "traced", name: "c") { count } }')}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  expect(res.status).toBe(200);
  await res.text();
  await waitFor(() => exporter.getFinishedSpans().some((x) => x.name === 'query Read'));
  const span = exporter.getFinishedSpans().find((x) => x.name === 'query Read')!;
  expect(parentOf(span)).toBeUndefined();
  expect(span.spanContext().traceId).not.toBe(TRACE_ID);
  expect(span.attributes['http.request.method']).toBe('GET');
});

it("the roll-up's work is traced apart from the requests that caused it", async () => {
  const traceId = TRACE_ID.replace(/^4/, '6');
  const res = await post({ query: 'mutation { addCount(input: { namespace: "traced", name: "rolled", delta: 2 }) { applied } }' }, `00-${traceId}-${PARENT_ID}-01`);
  await res.text();
  await waitFor(() => exporter.getFinishedSpans().some((x) => x.name === 'counters.writeCheckpoints'), 15_000);
  const checkpoint = exporter.getFinishedSpans().find((x) => x.name === 'counters.writeCheckpoints')!;
  expect(checkpoint.spanContext().traceId).not.toBe(traceId);
  expect(parentOf(checkpoint)).toBeUndefined();
  // The request's own work only: its append (the embedded store's bound on every count spares
  // the first read of a new counter), not the roll-up's reads and checkpoint write.
  expect(spansOf(traceId).map((x) => x.name).sort()).toEqual(['counters.append', 'mutation'].sort());
});
