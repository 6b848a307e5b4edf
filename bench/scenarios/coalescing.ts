/** coalescing: how few roll-up store writes a burst on hot counters costs. */
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, progress } from '../report';
import type { Scenario } from '../types';
import { workload } from '../workload';

/** addCount as fast as answered on 10 counters; checkpoint writes and roll-ups per increment. */
export const coalescing: Scenario = {
  name: 'coalescing',
  description: 'addCount on 10 hot counters, then 7 s to settle: checkpoint writes/increments (target <= 1/100)',
  run: (ctx) =>
    ctx.withService('coalescing', async (svc) => {
      const before = await svc.metrics();
      const load = await ctx.http('addCount on 10 hot counters', svc, workload('add', 10));
      // Windows settle acceptLimit (5 s) + skew margin (1 s) after their writes: wait for the
      // last checkpoints this load causes, so every roll-up write it costs is counted.
      progress('  waiting 7 s for the last windows to settle and checkpoint', true);
      await sleep(7000);
      const after = await svc.metrics();
      const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
      const incr = d('counter_writes_total');
      const ckpt = d('rollup_checkpoint_writes_total');
      const rollups = d('rollup_counters_total');
      return [
        {
          scenario: 'coalescing on 10 hot counters',
          service: load,
          measured: `1 checkpoint write per ${fmt(incr / Math.max(1, ckpt))} incr; 1 roll-up per ${fmt(incr / Math.max(1, rollups))} incr`,
          target: 'roll-up writes/incr <= 1/100',
          met: ckpt / Math.max(1, incr) <= 0.01,
          extra: { increments: incr, checkpointWrites: ckpt, rollups },
        },
      ];
    }),
};
