/** bulk: addCounts batches, service vs baseline, judged by applied increments per second. */
import { fmt } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/**
 * addCounts of --batch items over 100K counters; judged as the performance issue asks: the
 * increments/s the service applied against the bare Apollo baseline of the same shape
 * (>= 0.5x) and on their own (>= 60,000/s), and its peak RSS (<= 300 MB); the retained
 * bytes per counter written are reported.
 */
export const bulk: Scenario = {
  name: 'bulk',
  description: 'addCounts of --batch items, 100K counters: applied increments/s (targets >= 0.5x the baseline and >= 60,000), peak RSS (<= 300 MB), bytes per counter',
  async run(ctx) {
    const r = await ctx.compare('bulk', workload('bulk', 100_000, ctx.o.batch), undefined, { memoryPerCounter: true, rollupWork: true });
    const incr = r.service.incrPerS ?? 0;
    const m = r.service.memory;
    const rss = r.service.peakRssMb;
    const w = r.service.rollupWork;
    return [
      {
        scenario: `addCounts, ${ctx.o.batch}/request, 100K counters`,
        ...r,
        measured: `${fmt(incr)} incr/s (ratio ${r.ratio.toFixed(2)}); peak RSS ${fmt(rss)} MB; ${m ? `${fmt(m.heapBytes)} B heap, ${fmt(m.rssBytes)} B RSS per counter` : 'bytes per counter not measured'}${w ? `; ${w.rollupsPerIncr.toFixed(2)} roll-ups, ${w.checkpointsPerIncr.toFixed(2)} checkpoint writes per incr` : ''}`,
        target: 'ratio >= 0.5 and >= 60,000 incr/s; peak RSS <= 300 MB',
        met: r.ratio >= 0.5 && incr >= 60_000 && rss <= 300,
      },
    ];
  },
};
