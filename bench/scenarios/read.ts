/** read: GetCount of seeded counters, service vs baseline, then latency at a fixed rate, alone and under writes. */
import { ms } from '../report';
import { ratioRow } from '../ratioRow';
import type { BenchContext, Figures, Row, Scenario } from '../types';
import type { Server } from '../procs';
import { seedCounters, workload } from '../workload';

const READ_RATE = 1000;
const WRITE_RATE = 1500;
/** How much slower than the baseline's, at the same two loads, a read may be (p50 and p99). */
const UNDER_WRITES_MAX_RATIO = 2;

/**
 * Reads at READ_RATE while WRITE_RATE addCounts run on other counters (prefix 'w', never
 * read): what the write path's commits and roll-ups cost the read path's latency.
 */
async function readsUnderWrites(ctx: BenchContext, label: string, server: Server): Promise<Figures> {
  const [reads] = await Promise.all([
    ctx.http(`${label} · reads @ ${READ_RATE}/s`, server, workload('read', 10_000), { rate: READ_RATE, connections: 10 }),
    ctx.http(`${label} · writes @ ${WRITE_RATE}/s`, server, { ...workload('add', 10_000), prefix: 'w' }, { rate: WRITE_RATE, connections: 16 }),
  ]);
  return reads;
}

/** GetCount over 10K counters written just before: the ratio, then latency at 1,000 req/s alone and under writes. */
export const read: Scenario = {
  name: 'read',
  description: `GetCount of 10K seeded counters: ratio (>= 1.0), p99 at a fixed ${READ_RATE} req/s (<= 2 ms), and p50/p99 at ${READ_RATE} req/s under ${WRITE_RATE} addCount/s vs the baseline under the same loads (<= ${UNDER_WRITES_MAX_RATIO}x)`,
  async run(ctx): Promise<Row[]> {
    const seed = (url: string) => seedCounters(url, 10_000);
    const r = await ctx.compare('read', workload('read', 10_000), (s) => seed(s.url));
    const fixed = await ctx.withService('read-1000rps', async (svc) => {
      await seed(svc.url);
      return ctx.http(`read @ ${READ_RATE} req/s · service`, svc, workload('read', 10_000), { rate: READ_RATE, connections: 10 });
    });
    // The baseline at the same rate beside it: what the machine's own tail (the load
    // generator, the other core's work) leaves of the absolute bound.
    const fixedBaseline = await ctx.withBaseline('read-1000rps-baseline', (base) =>
      ctx.http(`read @ ${READ_RATE} req/s · baseline`, base, workload('read', 10_000), { rate: READ_RATE, connections: 10 }),
    );
    const service = await ctx.withService('read-under-writes', async (svc) => {
      await seed(svc.url);
      return readsUnderWrites(ctx, 'read under writes · service', svc);
    });
    const baseline = await ctx.withBaseline('read-under-writes-baseline', (base) => readsUnderWrites(ctx, 'read under writes · baseline', base));
    const p50x = service.p50 / baseline.p50;
    const p99x = service.p99 / baseline.p99;
    return [
      ratioRow('GetCount (counter read)', r, 1.0),
      {
        scenario: `GetCount at ${READ_RATE} req/s`,
        service: fixed,
        baseline: fixedBaseline,
        measured: `p99 ${ms(fixed.p99)} ms (baseline at the same rate: p99 ${ms(fixedBaseline.p99)} ms)`,
        target: 'p99 <= 2 ms',
        met: fixed.p99 <= 2,
      },
      {
        scenario: `GetCount at ${READ_RATE} req/s under ${WRITE_RATE} addCount/s`,
        service,
        baseline,
        measured: `p50 ${ms(service.p50)} ms (${p50x.toFixed(2)}x), p99 ${ms(service.p99)} ms (${p99x.toFixed(2)}x)`,
        target: `p50 and p99 <= ${UNDER_WRITES_MAX_RATIO}x the baseline's`,
        met: p50x <= UNDER_WRITES_MAX_RATIO && p99x <= UNDER_WRITES_MAX_RATIO,
      },
    ];
  },
};
