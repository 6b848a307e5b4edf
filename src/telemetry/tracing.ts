import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The service's spans, through the OpenTelemetry API only: with no SDK registered (tracing
 * off, the default) every call here is the API's no-op, and the composition root does not
 * even wrap the seams. The SDK (sdk.ts) is started by main.ts when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; tests register an in-memory one instead.
 */
export const tracer = trace.getTracer('counter-service');

/** Runs `fn` in a child span of the active one (a root span when none is active, e.g. roll-up work). */
export function traced<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export function failed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** The active span's ids, for log lines (`trace_id`, `span_id` as OpenTelemetry's log correlation names them). */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
