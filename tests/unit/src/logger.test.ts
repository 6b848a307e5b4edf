import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../../src/logger';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
  });

  it('with trace ids on, a line written inside a span carries its trace and span id', async () => {
    const { lines, stream } = capture();
    const log = createLogger('info', { traceIds: true, destination: stream });
    const tracer = trace.getTracer('test');
    let ids: { traceId: string; spanId: string } | undefined;
    await tracer.startActiveSpan('op', async (span) => {
      ids = span.spanContext();
      await new Promise((r) => setImmediate(r));
      log.info('inside');
      span.end();
    });
    log.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids!.traceId, span_id: ids!.spanId });
    expect(lines[1]!.msg).toBe('outside');
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('with trace ids off, lines never carry them', async () => {
    const { lines, stream } = capture();
    const log = createLogger('info', { destination: stream });
    await trace.getTracer('test').startActiveSpan('op', async (span) => {
      log.info('inside');
      span.end();
    });
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});
