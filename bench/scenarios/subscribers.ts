/** subscribers: fan-out of one counter's updates to many graphql-ws subscribers. */
import type { LagResult } from '../agents/protocol';
import { runAgent } from '../procs';
import { fmt, ms, status } from '../report';
import type { Scenario } from '../types';
import { BENCH_NAMESPACE } from '../workload';

const WRITE_INTERVAL_MS = 200;

/** --subscribers websocket clients on one counter, one addCount every 200 ms; delivery lag. */
export const subscribers: Scenario = {
  name: 'subscribers',
  description: '--subscribers graphql-ws clients on one counter, a write every 200 ms: p99 delivery (target <= 250 ms)',
  run: (ctx) =>
    ctx.withService('subscribers', async (svc) => {
      const n = ctx.o.subscribers;
      const label = `${n} subscribers on one counter`;
      const writes = Math.max(5, Math.round((ctx.o.durationS * 1000) / WRITE_INTERVAL_MS));
      const r = await runAgent<LagResult>(
        { type: 'subscribers', url: svc.url, namespace: BENCH_NAMESPACE, subscribers: n, writes, writeIntervalMs: WRITE_INTERVAL_MS },
        (p) => status(label, `${p.elapsedS === 0 ? `${p.done} subscribed` : `${p.done}/${writes} writes`}  rss ${fmt(svc.rssMb())} MB`),
      );
      const rss = svc.peakRssMb();
      status(label, `delivery p50 ${ms(r.lag.p50)} p99 ${ms(r.lag.p99)} max ${ms(r.lag.max)} ms; fan-out p99 ${ms(r.fanout?.p99)} ms`, true);
      return [
        {
          scenario: `${r.connected} subscribers on one counter`,
          service: { rps: NaN, p50: r.lag.p50, p99: r.lag.p99, max: r.lag.max, peakRssMb: rss, errors: r.timeouts },
          measured: `delivery (write ack -> subscriber) p99 ${ms(r.lag.p99)} ms; fan-out spread p99 ${ms(r.fanout?.p99)} ms${r.timeouts ? `; ${r.timeouts} missed` : ''}`,
          target: 'p99 delivery <= 250 ms',
          met: r.lag.p99 <= 250 && r.timeouts === 0 && r.connected === n,
          extra: { delivery: r.lag, fanout: r.fanout, missed: r.timeouts, writes },
        },
      ];
    }),
};
