/** mixed: 90% reads / 10% writes on seeded counters, service vs baseline. */
import { ratioRow } from '../ratioRow';
import type { Scenario } from '../types';
import { seedCounters, workload } from '../workload';

/** 90% GetCount / 10% addCount over 10K seeded counters; judged by the ratio. */
export const mixed: Scenario = {
  name: 'mixed',
  description: '90% GetCount / 10% addCount, 10K seeded counters: ratio (target >= 0.8)',
  async run(ctx) {
    const r = await ctx.compare('mixed', workload('mixed', 10_000, 1, 0.9), (s) => seedCounters(s.url, 10_000));
    return [ratioRow('90% reads / 10% addCount', r, 0.8)];
  },
};
