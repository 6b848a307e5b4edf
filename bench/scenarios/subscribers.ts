/** subscribers: fan-out of one counter's updates to many graphql-ws subscribers. */
import type { LagResult } from '../agents/protocol';
import { memoryPerItem, type MemoryPerItem, type MemorySample } from '../memory';
import { runAgent } from '../procs';
import { fmt, memoryLine, ms, status } from '../report';
import type { Scenario } from '../types';
import { BENCH_NAMESPACE } from '../workload';

const WRITE_INTERVAL_MS = 200;

/**
 * --subscribers websocket clients on one counter, one addCount every 200 ms; delivery lag,
 * peak RSS, and the retained bytes per subscription: the service's memory after gc before
 * the clients connect and once each has its first value (the agent waits while it is sampled).
 */
export const subscribers: Scenario = {
  name: 'subscribers',
  description: '--subscribers graphql-ws clients on one counter, a write every 200 ms: p99 delivery (target <= 250 ms), peak RSS (<= 300 MB), bytes per subscription',
  run: (ctx) =>
    ctx.withService('subscribers', async (svc) => {
      const n = ctx.o.subscribers;
      const label = `${n} subscribers on one counter`;
      const writes = Math.max(5, Math.round((ctx.o.durationS * 1000) / WRITE_INTERVAL_MS));
      const before: MemorySample = await svc.memoryAfterGc!();
      let memory: MemoryPerItem | undefined;
      // The service's CPU from the first write until the deliveries are over (the agent says so
      // 2 s after the last write), per frame the clients received: what a delivery costs, which
      // the machine's load moves far less than the latencies (a service that falls behind
      // sends fewer frames, conflated, so CPU per write and subscriber would hide its cost).
      let cpuFrom = NaN;
      let cpuTo = NaN;
      const r = await runAgent<LagResult>(
        { type: 'subscribers', url: svc.url, namespace: BENCH_NAMESPACE, subscribers: n, writes, writeIntervalMs: WRITE_INTERVAL_MS, holdWhenReady: true },
        (p) => {
          if (p.elapsedS > 0 && p.done === writes) cpuTo = svc.cpuMs();
          status(label, `${p.elapsedS === 0 ? `${p.done} subscribed` : `${p.done}/${writes} writes`}  rss ${fmt(svc.rssMb())} MB`);
        },
        async () => {
          const subscriptions = (await svc.metrics()).get('counter_subscriptions_active') ?? n;
          memory = memoryPerItem('subscription', subscriptions, before, await svc.memoryAfterGc!());
          status(label, memoryLine(memory), true);
          cpuFrom = svc.cpuMs();
        },
      );
      const cpuUsPerFrame = ((cpuTo - cpuFrom) * 1000) / (r.frames ?? NaN);
      const rss = svc.peakRssMb();
      status(label, `delivery p50 ${ms(r.lag.p50)} p99 ${ms(r.lag.p99)} max ${ms(r.lag.max)} ms; fan-out p99 ${ms(r.fanout?.p99)} ms; service CPU ${fmt(cpuUsPerFrame)} µs per frame (${fmt(r.frames)} frames)`, true);
      return [
        {
          scenario: `${r.connected} subscribers on one counter`,
          service: { rps: NaN, p50: r.lag.p50, p99: r.lag.p99, max: r.lag.max, peakRssMb: rss, cpuUsPerReq: cpuUsPerFrame, errors: r.timeouts, ...(memory ? { memory } : {}) },
          measured:
            `delivery (write ack -> subscriber) p99 ${ms(r.lag.p99)} ms; fan-out spread p99 ${ms(r.fanout?.p99)} ms${r.timeouts ? `; ${r.timeouts} missed` : ''}; ` +
            `peak RSS ${fmt(rss)} MB; service CPU ${fmt(cpuUsPerFrame)} µs per frame delivered; ${memory ? `${fmt(memory.heapBytes)} B heap, ${fmt(memory.rssBytes)} B RSS per subscription` : 'bytes per subscription not measured'}`,
          target: 'p99 delivery <= 250 ms; peak RSS <= 300 MB',
          met: r.lag.p99 <= 250 && r.timeouts === 0 && r.connected === n && rss <= 300,
          extra: { delivery: r.lag, fanout: r.fanout, missed: r.timeouts, writes, frames: r.frames, cpuUsPerFrame: cpuUsPerFrame },
        },
      ];
    }, {}, { inspect: true }),
};
