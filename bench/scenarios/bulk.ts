/** bulk: addCounts batches, service vs baseline, judged by applied increments per second. */
import { fmt } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/**
 * addCounts of --batch items over 100K counters; judged by the increments/s the service
 * applied, and by its peak RSS (<= 300 MB); the retained bytes per counter written are reported.
 */
export const bulk: Scenario = {
  name: 'bulk',
  description: 'addCounts of --batch items, 100K counters: applied increments/s (target >= 75,000), peak RSS (<= 300 MB), bytes per counter',
  async run(ctx) {
    const r = await ctx.compare('bulk', workload('bulk', 100_000, ctx.o.batch), undefined, { memoryPerCounter: true });
    const incr = r.service.incrPerS ?? 0;
    const m = r.service.memory;
    const rss = r.service.peakRssMb;
    return [
      {
        scenario: `addCounts, ${ctx.o.batch}/request, 100K counters`,
        ...r,
        measured: `${fmt(incr)} incr/s (ratio ${r.ratio.toFixed(2)}); peak RSS ${fmt(rss)} MB; ${m ? `${fmt(m.heapBytes)} B heap, ${fmt(m.rssBytes)} B RSS per counter` : 'bytes per counter not measured'}`,
        target: '>= 75,000 incr/s; peak RSS <= 300 MB',
        met: incr >= 75_000 && rss <= 300,
      },
    ];
  },
};
