/** add: single addCount requests, service vs baseline. */
import { ratioRow } from '../ratioRow';
import type { Scenario } from '../types';
import { workload } from '../workload';

/** addCount, 1 increment per request over 10K counters; judged by the ratio. */
export const add: Scenario = {
  name: 'add',
  description: 'addCount, 1 increment/request, 10K counters: service vs baseline ratio (target >= 0.9, issue 11)',
  async run(ctx) {
    return [ratioRow('addCount, 1/request, EVENTUAL', await ctx.compare('add', workload('add', 10_000)), 0.9)];
  },
};
