/** The http task: autocannon against /graphql with a workload, latency recorded per response. */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { LedgerBook } from '../ledger';
import { Samples } from '../stats';
import { bodyMaker } from '../workload';
import { send, type HttpResult, type HttpTask } from './protocol';

/**
 * One checked request, then warm-up + measured window; latency per response here
 * (sub-millisecond, not autocannon's 1 ms histogram buckets).
 */
export async function runHttp(t: HttpTask): Promise<HttpResult> {
  const make = bodyMaker(t.spec);
  const book = new LedgerBook();
  // One request first, outside the measurement: a workload that errors must not be "fast".
  const first = make();
  book.sentWrites(first.writes);
  const probe = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: first.body });
  const text = await probe.text();
  book.answered(probe.status, text);
  if (probe.status !== 200 || text.includes('"errors"')) throw new Error(`workload check failed: ${probe.status} ${text.slice(0, 300)}`);

  const samples = new Samples();
  const start = performance.now();
  const measureFrom = start + t.warmupS * 1000;
  let done = 0;
  let lastDone = 0;
  let lastAt = start;
  const inst = autocannon({
    url: t.url,
    connections: t.connections,
    duration: t.warmupS + t.durationS,
    ...(t.rate ? { overallRate: t.rate } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const b = make();
          book.sentWrites(b.writes);
          return { ...req, body: b.body };
        },
        onResponse: (status, body) => book.answered(status, body),
      },
    ],
  });
  let measuredEnd = 0;
  let total = 0;
  inst.on('response', (_c, status, _b, ms) => {
    total++;
    const now = performance.now();
    if (now < measureFrom) return;
    measuredEnd = now;
    if (status >= 200 && status < 300) samples.add(ms);
    done++;
  });
  const timer = setInterval(() => {
    const now = performance.now();
    send({ type: 'progress', elapsedS: (now - start) / 1000, done, rate: ((done - lastDone) * 1000) / (now - lastAt) });
    lastDone = done;
    lastAt = now;
  }, 1000);
  const result = await new Promise<autocannon.Result>((resolve) => inst.on('done', resolve));
  clearInterval(timer);
  const seconds = Math.max(0.001, (measuredEnd - measureFrom) / 1000);
  return {
    type: 'http',
    requests: done,
    total,
    seconds,
    rps: done / seconds,
    latency: samples.summary(),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(t.spec.kind === 'read' ? {} : { ledger: book.toJSON() }),
  };
}
