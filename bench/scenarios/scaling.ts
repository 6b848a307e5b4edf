/** scaling: throughput and convergence lag as the number of distinct counters grows; peak RSS judged (<= 300 MB in every scenario). */
import { fmt, ms } from '../report';
import type { Row, Scenario } from '../types';
import { workload } from '../workload';

/** addCounts as fast as answered over each --scaling count of counters, with probes; a curve. */
export const scaling: Scenario = {
  name: 'scaling',
  description: 'addCounts over each --scaling count of distinct counters, with probes: incr/s and lag (a curve), peak RSS (<= 300 MB)',
  async run(ctx) {
    const rows: Row[] = [];
    for (const n of ctx.o.scalingCounters) {
      const { load, lag } = await ctx.withService(`scaling-${n}`, (svc) => ctx.httpWithLag(`${fmt(n)} counters (addCounts)`, svc, workload('bulk', n, ctx.o.batch)));
      rows.push({
        scenario: `scaling: ${fmt(n)} distinct counters`,
        service: load,
        measured: `${fmt(load.incrPerS)} incr/s; lag p50 ${ms(lag.lag.p50)} / p99 ${ms(lag.lag.p99)} ms${lag.timeouts ? ` (${lag.timeouts} timeouts)` : ''}; peak RSS ${fmt(load.peakRssMb)} MB`,
        target: 'peak RSS <= 300 MB (incr/s and lag: a curve)',
        met: load.peakRssMb <= 300,
        extra: { counters: n, lag: lag.lag, timeouts: lag.timeouts },
      });
    }
    return rows;
  },
};
