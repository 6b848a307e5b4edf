/** bulk: addCounts batches, service vs baseline, judged by applied increments per second. */
import { fmt } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/** addCounts of --batch items over 100K counters; judged by the increments/s the service applied. */
export const bulk: Scenario = {
  name: 'bulk',
  description: 'addCounts of --batch items, 100K counters: applied increments/s (target >= 75,000)',
  async run(ctx) {
    const r = await ctx.compare('bulk', workload('bulk', 100_000, ctx.o.batch));
    const incr = r.service.incrPerS ?? 0;
    return [
      {
        scenario: `addCounts, ${ctx.o.batch}/request, 100K counters`,
        ...r,
        measured: `${fmt(incr)} incr/s (ratio ${r.ratio.toFixed(2)})`,
        target: '>= 75,000 incr/s',
        met: incr >= 75_000,
      },
    ];
  },
};
