import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnServiceProcess, type Proc } from './helpers/process';
import { tempDir, waitFor } from './helpers/server';

/**
 * The real SDK in the service's own process: OTEL_EXPORTER_OTLP_ENDPOINT pointed at an OTLP
 * receiver on loopback (a node:http server taking OTLP/HTTP JSON at /v1/traces). A request
 * sent with a router's traceparent arrives there as a span of the same trace, under the
 * service's name; SIGTERM flushes what is still buffered.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}
const received: { service: string; span: OtlpSpan }[] = [];
let receiver: http.Server;
let endpoint: string;
let proc: Proc;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) {
        const doc = JSON.parse(body) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of doc.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service, span });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  proc = await spawnServiceProcess({
    COUNTER_DATA_DIR: tempDir(),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'counters-under-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
});

afterAll(async () => {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
  await new Promise((r) => receiver.close(r));
});

it('exports the span of a request, in the caller’s trace and under the service name', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const parent = 'b7ad6b7169203331';
  const res = await fetch(proc.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parent}-01` },
    body: JSON.stringify({ query: 'mutation Create { createNamespace(input: { name: "otlp", mode: EVENTUAL }) { name } }' }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ data: { createNamespace: { name: 'otlp' } } });
  await waitFor(() => received.some((r) => r.span.traceId === traceId), 15_000);
  const span = received.find((r) => r.span.traceId === traceId)!;
  expect(span).toMatchObject({ service: 'counters-under-test', span: { name: 'mutation Create', parentSpanId: parent, kind: 2 } });
});

it('flushes the spans still buffered on SIGTERM, then exits 0', async () => {
  // A batch delay far past the test: only the shutdown's flush can deliver this span.
  const late = await spawnServiceProcess({ COUNTER_DATA_DIR: tempDir(), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '600000' });
  const traceId = '1af7651916cd43dd8448eb211c80319d';
  const res = await fetch(late.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203332-01` },
    body: JSON.stringify({ query: 'query Last { namespaces { name } }' }),
  });
  await res.text();
  await new Promise((r) => setTimeout(r, 300));
  expect(received.some((r) => r.span.traceId === traceId)).toBe(false);
  late.child.kill('SIGTERM');
  expect(await late.exited).toEqual({ code: 0, signal: null });
  expect(received.find((r) => r.span.traceId === traceId)).toMatchObject({ service: 'counter-service', span: { name: 'query Last' } });
});
