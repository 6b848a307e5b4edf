import pino from 'pino';
import { activeTraceIds } from './telemetry/tracing';

export type Logger = pino.Logger;

/**
 * The service's logger (JSON lines on stdout). With tracing on, every line written while a
 * span is active carries its `trace_id` and `span_id`, so a request's log lines and its
 * trace find each other.
 */
export const createLogger = (level: string, opts: { traceIds?: boolean; destination?: pino.DestinationStream } = {}): Logger =>
  pino({ level, base: { service: 'counters' }, ...(opts.traceIds ? { mixin: activeTraceIds } : {}) }, opts.destination);
