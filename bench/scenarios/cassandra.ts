/** cassandra: the service on the Cassandra store vs raw cassandra-driver inserts of the same rows. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { HttpResult } from '../agents/protocol';
import { ROOT, runAgent } from '../procs';
import { fmt, ms, status } from '../report';
import type { Figures, Row, Scenario } from '../types';
import { workload } from '../workload';

const SCENARIO = 'Cassandra mode, addCount';
const TARGET = 'ratio >= 0.7 vs raw driver';
const RAW = 'cassandra · raw driver inserts';

/** Why the scenario cannot run here (no Cassandra store built, nothing on the port), if so. */
async function cassandraUnavailable(): Promise<string | undefined> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'store', 'cassandra'))) return 'COUNTER_STORE=cassandra has not landed (no src/store/cassandra)';
  const [host, port] = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',')[0]!.split(':');
  const up = await new Promise<boolean>((resolve) => {
    const s = net.connect(Number(port ?? 9042), host!);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  return up ? undefined : `no Cassandra on ${host}:${port ?? 9042} (scripts/services.sh start starts one)`;
}

/** addCount on COUNTER_STORE=cassandra (own keyspace) vs prepared INSERTs at the same concurrency. */
export const cassandra: Scenario = {
  name: 'cassandra',
  description: 'addCount on COUNTER_STORE=cassandra vs raw driver INSERTs of the same rows: ratio (>= 0.7); skipped without Cassandra',
  async run(ctx): Promise<Row[]> {
    const why = await cassandraUnavailable();
    if (why) return [{ scenario: SCENARIO, measured: `skipped: ${why}`, target: TARGET, met: null }];
    // A keyspace of its own, so the bench never touches another one's data.
    const keyspace = `bench_${Date.now().toString(36)}`;
    const service = await ctx.withService('cassandra-service', (svc) => ctx.http('cassandra · service (addCount)', svc, workload('add', 10_000)), {
      COUNTER_STORE: 'cassandra',
      CASSANDRA_KEYSPACE: keyspace,
    });
    const total = ctx.o.warmupS + ctx.o.durationS;
    const raw = await runAgent<HttpResult>(
      {
        type: 'cql',
        contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
        localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
        keyspace,
        concurrency: ctx.o.connections,
        counters: 10_000,
        warmupS: ctx.o.warmupS,
        durationS: ctx.o.durationS,
      },
      (p) => status(RAW, `${fmt(Math.min(p.elapsedS, total))}/${total} s`),
    );
    const baseline: Figures = { rps: raw.rps, incrPerS: raw.rps, p50: raw.latency.p50, p99: raw.latency.p99, max: raw.latency.max, peakRssMb: NaN, errors: raw.errors };
    status(RAW, `${fmt(raw.rps).padStart(7)} inserts/s  p50 ${ms(raw.latency.p50)} p99 ${ms(raw.latency.p99)} ms`, true);
    const ratio = service.rps / baseline.rps;
    return [{ scenario: SCENARIO, service, baseline, ratio, measured: `ratio ${ratio.toFixed(2)} (keyspace ${keyspace})`, target: TARGET, met: ratio >= 0.7 }];
  },
};
