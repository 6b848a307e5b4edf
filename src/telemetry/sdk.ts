import type { Config } from '../config';

export interface Tracing {
  /** Exports the spans still buffered and stops (call after the app stopped). */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans in batches to
 * `<endpoint>/v1/traces` (OTLP over HTTP), W3C trace context, an AsyncLocalStorage context
 * manager (what carries a request's span through its awaits), resource `service.name`. Only
 * traces: this service's metrics are Prometheus' (`/metrics`), its logs pino's, so the SDK's
 * env-driven metric and log exporters are turned off rather than left to their OTLP defaults.
 * The standard OTEL_* variables the SDK reads still apply (e.g. OTEL_TRACES_SAMPLER,
 * OTEL_BSP_SCHEDULE_DELAY, OTEL_EXPORTER_OTLP_HEADERS).
 *
 * The SDK is loaded only when tracing is on: its modules alone hold ~14 MB of heap and ~40 MB
 * of RSS (measured with `require` between two gc()s), a quarter of an idle instance's.
 */
export function startTracing(cfg: Config['tracing']): Tracing | undefined {
  if (!cfg.endpoint) return undefined;
  // require, not import(): this package is CommonJS, and jest's CommonJS runtime has no import().
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: cfg.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${cfg.endpoint.replace(/\/+$/, '')}/v1/traces` }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
