/** sustained: memory and roll-up queues under maximal write load for a long while. */
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/** addCounts as fast as answered for --sustain seconds, queue depth sampled every second. */
export const sustained: Scenario = {
  name: 'sustained',
  description: 'addCounts of --batch on 100K counters for --sustain s: peak RSS (<= 300 MB), queue depth bounded',
  run: (ctx) =>
    ctx.withService('sustained', async (svc) => {
      let maxDepth = 0;
      let lastDepth = 0;
      let dropped = 0;
      let stop = false;
      const sampler = (async () => {
        while (!stop) {
          try {
            const m = await svc.metrics();
            lastDepth = m.get('rollup_queue_depth') ?? 0;
            maxDepth = Math.max(maxDepth, lastDepth);
            dropped = m.get('rollup_queue_offers_total{outcome="dropped"}') ?? 0;
          } catch {
            /* a missed sample */
          }
          await sleep(1000);
        }
      })();
      try {
        const load = await ctx.http(`max write load for ${ctx.o.sustainS} s`, svc, workload('bulk', 100_000, ctx.o.batch), { durationS: ctx.o.sustainS });
        stop = true;
        await sampler;
        await sleep(3000);
        const settled = (await svc.metrics()).get('rollup_queue_depth') ?? 0;
        const rss = svc.peakRssMb();
        return [
          {
            scenario: `sustained max writes, ${ctx.o.sustainS} s`,
            service: load,
            measured: `peak RSS ${fmt(rss)} MB; queue depth max ${fmt(maxDepth)}, end ${fmt(lastDepth)}, 3 s later ${fmt(settled)}; ${fmt(dropped)} offers dropped`,
            target: 'RSS <= 300 MB, queues bounded',
            met: rss <= 300 && maxDepth <= 8 * 16384,
            extra: { maxDepth, lastDepth, settledDepth: settled, dropped },
          },
        ];
      } finally {
        stop = true;
      }
    }),
};
