/** convergence: how long a write takes to be visible as an exact count under a steady load. */
import { ms } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/** 10,000 increments/s (100 addCounts of 100 per second) with probes measuring the lag. */
export const convergence: Scenario = {
  name: 'convergence',
  description: '10K incr/s + probes waiting for the exact count on counterUpdated: p99 lag (target <= 500 ms)',
  run: (ctx) =>
    ctx.withService('convergence', async (svc) => {
      const { load, lag } = await ctx.httpWithLag('10K incr/s + convergence probes', svc, workload('bulk', 10_000, 100), { rate: 100, connections: 10 });
      return [
        {
          scenario: 'convergence under 10K incr/s',
          service: load,
          measured: `lag p50 ${ms(lag.lag.p50)} / p99 ${ms(lag.lag.p99)} / max ${ms(lag.lag.max)} ms (${lag.lag.count} probes${lag.timeouts ? `, ${lag.timeouts} timeouts` : ''})`,
          target: 'p99 lag <= 500 ms',
          met: lag.lag.p99 <= 500 && lag.lag.count > 0,
          extra: { lag: lag.lag, timeouts: lag.timeouts },
        },
      ];
    }),
};
