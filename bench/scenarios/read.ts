/** read: GetCount of seeded counters, service vs baseline, then latency at a fixed rate. */
import { ms } from '../report';
import { ratioRow } from '../ratioRow';
import type { Scenario } from '../types';
import { seedCounters, workload } from '../workload';

/** GetCount over 10K counters written just before: the ratio, then p99 at 1,000 req/s. */
export const read: Scenario = {
  name: 'read',
  description: 'GetCount of 10K seeded counters: ratio (>= 0.8), then p99 at a fixed 1,000 req/s (<= 2 ms)',
  async run(ctx) {
    const seed = (url: string) => seedCounters(url, 10_000);
    const r = await ctx.compare('read', workload('read', 10_000), (s) => seed(s.url));
    const fixed = await ctx.withService('read-1000rps', async (svc) => {
      await seed(svc.url);
      return ctx.http('read @ 1,000 req/s · service', svc, workload('read', 10_000), { rate: 1000, connections: 10 });
    });
    return [
      ratioRow('GetCount (counter read)', r, 0.8),
      { scenario: 'GetCount at 1,000 req/s', service: fixed, measured: `p99 ${ms(fixed.p99)} ms`, target: 'p99 <= 2 ms', met: fixed.p99 <= 2 },
    ];
  },
};
