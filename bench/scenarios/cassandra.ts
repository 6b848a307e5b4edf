/**
 * cassandra: the service on the Cassandra store against the two bars of the same node, same
 * concurrency, same duration: the minimal correct subgraph (bench/baselineCassandra.ts: a bare
 * Apollo Server 5, one prepared insert per addCount, one unlogged batch per addCounts, one
 * single-partition select per read; the GraphQL layer and Cassandra share the same cores, so
 * this is the ratio that counts) and the physical limit (raw cassandra-driver statements from
 * a separate process, bench/agents/cql.ts). Beside each figure: the Cassandra requests the
 * service sent per write or read (its cassandra_requests_total, by statement). Every measured
 * run starts once the local node is idle (../cassandraNode.ts): no run shares the cores with
 * the flushes and compactions of the write run before it. The node is warmed up first (raw
 * inserts and selects, unmeasured), and the addCount pair runs twice, alternated, the best of
 * each kept.
 */
import fs from 'node:fs';
import cassandraDriver from 'cassandra-driver';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CqlRun } from '../agents/cql';
import type { HttpResult } from '../agents/protocol';
import { ROOT, runAgent, startBaseline, withServer, type Server } from '../procs';
import { fmt, httpProgress, ms, status } from '../report';
import type { BenchContext, Figures, Row, Scenario } from '../types';
import { verifyCounts } from '../verify';
import { BULK, incrementsPerRequest, seedCounters, workload, type WorkloadSpec } from '../workload';
import { cassandraCpuSeconds, waitForIdleCassandra } from '../cassandraNode';

const ACCURATE_NAMESPACE = 'bench_accurate';
const COUNTERS = 10_000;
const BULK_COUNTERS = 100_000;
/**
 * After a write run, how long the roll-up gets to finish its work before the requests are
 * counted: past the accept limit (5 s) and skew margin (3 s) plus a sweep, so that the
 * sweeper's roll-up of each written counter (the one that moves its checkpoint) is counted too.
 */
const SETTLE_MS = 10_000;
/** After seeding, how long the seeding service runs on: past the accept limit and skew margin, so its sweeps checkpoint every seeded counter. */
const SEED_SETTLE_MS = 12_000;

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

/** A load run's figures, with the operations it made (warm-up included) and the Cassandra requests they cost. */
interface Measured {
  f: Figures;
  /** Requests per operation (write item sent, or read), total and by statement. */
  perOp: number;
  byStatement: Record<string, number>;
  /** CPU µs the local Cassandra node spent per operation, from the run's start until it was idle again (NaN: no local node). */
  nodeUsPerOp: number;
}

/** Where a run started: the node's CPU then, the wall clock, and what the node spent idle just before. */
interface NodeMark {
  cpu: number | undefined;
  atMs: number;
  idleShare: number;
}

/**
 * The node's CPU per operation of a run: from its start until the node is idle again, so the
 * flushes and compactions a run leaves behind count against it, for every run alike; less
 * what the node spent idle at the same rate before the run (its own housekeeping, a service's
 * sweeps), which on a slow run would otherwise be most of the figure.
 */
async function nodeCpuPerOp(mark: NodeMark, ops: number): Promise<number> {
  await waitForIdleCassandra();
  const cpu1 = cassandraCpuSeconds();
  if (mark.cpu === undefined || cpu1 === undefined || ops <= 0) return NaN;
  const idle = Number.isFinite(mark.idleShare) ? (mark.idleShare * (Date.now() - mark.atMs)) / 1000 : 0;
  return (Math.max(0, cpu1 - mark.cpu - idle) * 1e6) / ops;
}

const requestsOf = (m: Map<string, number>): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [k, v] of m) {
    const s = /^cassandra_requests_total\{.*statement="([^"]+)"/.exec(k);
    if (s) out.set(s[1]!, (out.get(s[1]!) ?? 0) + v);
  }
  return out;
};

/**
 * One autocannon run against a server; for the service, the Cassandra requests per operation
 * too (counted before the exact count check that ends every service run that writes).
 */
async function load(ctx: BenchContext, label: string, server: Server, spec: WorkloadSpec): Promise<Measured> {
  const per = incrementsPerRequest(spec);
  const counting = server.name.includes('service');
  const mark = await settle(label);
  const before = counting ? await server.metrics() : undefined;
  const totalS = ctx.o.warmupS + ctx.o.durationS;
  const r = await runAgent<HttpResult>(
    { type: 'http', url: server.url, spec, connections: ctx.o.connections, warmupS: ctx.o.warmupS, durationS: ctx.o.durationS },
    (p) => httpProgress(label, p, { totalS, warmupS: ctx.o.warmupS, perRequest: per, rssMb: server.rssMb() }),
  );
  let perOp = NaN;
  let accepted = 1;
  const byStatement: Record<string, number> = {};
  if (before) {
    if (per > 0) await sleep(SETTLE_MS);
    const after = await server.metrics();
    // Per item sent (a refused one costs requests too) or per read; the +1 is the agent's check request.
    const ops = (r.total + 1) * Math.max(1, per);
    if (per > 0) accepted = Math.min(1, ((after.get('counter_writes_total') ?? 0) - (before.get('counter_writes_total') ?? 0)) / ops);
    const [b, a] = [requestsOf(before), requestsOf(after)];
    let sum = 0;
    for (const [k, v] of a) {
      const d = v - (b.get(k) ?? 0);
      if (d > 0) byStatement[k] = d / Math.max(1, ops);
      sum += d;
    }
    perOp = sum / Math.max(1, ops);
  }
  // Operations sent over the whole run (warm-up included, as for the CPU): items, or reads.
  const nodeUsPerOp = await nodeCpuPerOp(mark, r.total * Math.max(1, per));
  const countCheck = before && r.ledger ? await verifyCounts(server.url, spec.namespace, r.ledger) : undefined;
  const f: Figures = {
    rps: r.rps,
    ...(per > 0 ? { incrPerS: r.rps * per * accepted } : {}),
    ...(accepted < 0.999 ? { acceptedShare: accepted } : {}),
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    peakRssMb: server.peakRssMb(),
    errors: r.errors + r.non2xx + r.timeouts,
    ...(countCheck ? { countCheck } : {}),
  };
  const q = Number.isFinite(perOp) ? `  ${perOp.toFixed(2)} queries/op (${Object.entries(byStatement).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})` : '';
  status(
    label,
    `${fmt(f.rps).padStart(7)} req/s${per > 1 ? ` (${fmt(f.incrPerS)} incr/s)` : ''}  p50 ${ms(f.p50)} p99 ${ms(f.p99)} ms${f.errors ? `  ERRORS ${f.errors}` : ''}` +
      `${f.acceptedShare !== undefined ? `  only ${(f.acceptedShare * 100).toFixed(1)}% applied` : ''}` +
      `${countCheck ? `  counts ${countCheck.exact ? 'exact' : 'within bounds'} (${fmt(countCheck.increments)} over ${fmt(countCheck.counters)} counters)` : ''}` +
      `  node ${fmt(nodeUsPerOp)} µs CPU/op${q}`,
    true,
  );
  return { f, perOp, byStatement, nodeUsPerOp };
}

/** Every measured run starts on an idle node (see ../cassandraNode.ts), and says how long that took; returns where the run starts. */
async function settle(label: string): Promise<NodeMark> {
  const w = await waitForIdleCassandra();
  const mark = { cpu: cassandraCpuSeconds(), atMs: Date.now(), idleShare: w.idleShare };
  if (!w.local) return mark;
  const peak = `${Math.round(w.peakShare * 100)}% of a core at most`;
  status(label, w.settled ? `node idle after ${fmt(w.waitedMs / 1000, 1)} s (${peak})` : `node still busy after ${fmt(w.waitedMs / 1000)} s (${peak}): measured anyway`, true);
  return mark;
}

/** A raw driver run: its figures and the node's CPU per statement. */
interface RawRun {
  f: Figures;
  nodeUsPerOp: number;
}

/**
 * Seconds of raw inserts and then selects that run, unmeasured, before the first measured run:
 * a node just started spends up to ~2 cores on compiling for its first tens of seconds, which
 * the first run measured (the service's addCount) paid for alone (0.59-0.64x the minimal
 * subgraph right after a start, 0.8-0.9x on a warm node).
 */
const NODE_WARMUP_S = 20;

/** Raw driver statements at the load's concurrency (the physical limit); `warmup`: unmeasured, to warm the node. */
async function raw(ctx: BenchContext, keyspace: string, op: 'insert' | 'select', warmup = false): Promise<RawRun> {
  const label = `cassandra · ${warmup ? 'node warm-up, ' : ''}raw driver ${op}s`;
  const durationS = warmup ? NODE_WARMUP_S : ctx.o.durationS;
  const total = ctx.o.warmupS + durationS;
  const task: CqlRun = {
    type: 'cql',
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    keyspace,
    concurrency: ctx.o.connections,
    counters: COUNTERS,
    warmupS: ctx.o.warmupS,
    durationS,
    op,
  };
  const mark = await settle(label);
  const r = await runAgent<HttpResult>(task, (p) => status(label, `${fmt(Math.min(p.elapsedS, total))}/${total} s`));
  // The agent counts the measured statements only; those of the warm-up ran at the same rate.
  const nodeUsPerOp = await nodeCpuPerOp(mark, r.total * (1 + ctx.o.warmupS / durationS));
  status(label, `${fmt(r.rps).padStart(7)} ${op}s/s  p50 ${ms(r.latency.p50)} p99 ${ms(r.latency.p99)} ms  node ${fmt(nodeUsPerOp)} µs CPU/op`, true);
  const f = { rps: r.rps, incrPerS: op === 'insert' ? r.rps : undefined, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, peakRssMb: NaN, errors: r.errors } as Figures;
  return { f, nodeUsPerOp };
}

/** Writes counters c0..c{n-1} of a namespace once (addCounts of 500), so that reads find real counters. */
async function seed(url: string, namespace: string, n: number): Promise<void> {
  const post = async (body: unknown): Promise<void> => {
    const r = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { errors?: unknown };
    if (r.errors) throw new Error(`seeding ${namespace} failed: ${JSON.stringify(r.errors)}`);
  };
  if (namespace === ACCURATE_NAMESPACE) await post({ query: `mutation { createNamespace(input: {name: "${ACCURATE_NAMESPACE}", mode: ACCURATE}) { name } }` });
  for (let from = 0; from < n; from += 500) {
    const now = new Date().toISOString();
    const is = [];
    for (let i = from; i < Math.min(n, from + 500); i++) is.push({ namespace, name: `c${i}`, delta: '1', idempotencyToken: { token: `seed${i}`, generationTime: now } });
    await post({ query: BULK, variables: { is } });
  }
}

/** The minimal subgraph on the bench's keyspace (baseline.js picks it by this variable, inherited by the child). */
async function withMinimal<T>(keyspace: string, fn: (s: Server) => Promise<T>, logDir: string): Promise<T> {
  process.env.BENCH_BASELINE_CASSANDRA_KEYSPACE = keyspace;
  try {
    return await withServer(startBaseline('cassandra-minimal', logDir), fn);
  } finally {
    delete process.env.BENCH_BASELINE_CASSANDRA_KEYSPACE;
  }
}

/** Drops the bench's keyspace (the service made it; leave nothing behind). */
async function dropKeyspace(keyspace: string): Promise<void> {
  const client = new cassandraDriver.Client({
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
  });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } catch {
    /* best effort: the keyspace name is in the results */
  } finally {
    await client.shutdown();
  }
}

const x = (a: number, b: number): number => a / b;
/** The faster of two runs of the same workload. */
const best = (a: Measured, b: Measured): Measured => (b.f.rps > a.f.rps ? b : a);
const q = (m: Measured): string => `${m.perOp.toFixed(2)} queries/op`;

/** The four workloads on service, minimal subgraph and raw driver; rows judged against the issue's targets. */
export const cassandra: Scenario = {
  name: 'cassandra',
  description: 'addCount, EVENTUAL/ACCURATE reads and addCounts on COUNTER_STORE=cassandra vs the minimal Cassandra subgraph and the raw driver; skipped without Cassandra',
  async run(ctx): Promise<Row[]> {
    const why = await cassandraUnavailable();
    if (why) return [{ scenario: 'Cassandra mode', measured: `skipped: ${why}`, target: '-', met: null }];
    // A keyspace of its own, so the bench never touches another one's data.
    const keyspace = `bench_${Date.now().toString(36)}`;
    const logDir = path.join(path.dirname(ctx.o.json), 'logs');
    // The minimal subgraph cannot tell a retry (it answers `applied: true` to every write), so
    // the addCount compared with it selects what both answer truthfully; the service's cost of
    // a client that asks whether each write was a retry (a read of the event row per write) is
    // measured beside it.
    const add: WorkloadSpec = { ...workload('add', COUNTERS), select: 'counter { name }' };
    const addAsked = workload('add', COUNTERS);
    const read = workload('read', COUNTERS);
    const accurate: WorkloadSpec = { ...read, namespace: ACCURATE_NAMESPACE };
    const bulk = workload('bulk', BULK_COUNTERS, ctx.o.batch);
    const env = { COUNTER_STORE: 'cassandra', CASSANDRA_KEYSPACE: keyspace, ROLLUP_SKEW_MARGIN_MS: '3000' };
    // Each workload runs on a fresh service, then on a fresh minimal subgraph, then raw: the
    // figures compared are measured back to back (the machine is shared). The keyspace, and so
    // every counter written, persists from one run to the next.
    const service = (label: string, spec: WorkloadSpec) =>
      ctx.withService(`cassandra-service-${label.replace(/\W+/g, '-')}`, (s) => load(ctx, `cassandra · service ${label}`, s, spec), env);
    const minimal = (label: string, spec: WorkloadSpec, before?: (url: string) => Promise<void>) =>
      withMinimal(keyspace, async (s) => (await before?.(s.url), load(ctx, `cassandra · minimal ${label}`, s, spec)), logDir);
    try {
      // The counters the reads read, written and rolled up (settled) before anything is measured.
      const seedBoth = async (url: string): Promise<void> => {
        await seedCounters(url, COUNTERS);
        await seed(url, ACCURATE_NAMESPACE, COUNTERS);
      };
      await ctx.withService('cassandra-service-seed', async (s) => (await seedBoth(s.url), await sleep(SEED_SETTLE_MS)), env);
      await raw(ctx, keyspace, 'insert', true);
      await raw(ctx, keyspace, 'select', true);
      // The ratio that counts most, alternated and best of two each (runs on this shared
      // machine move by a third from one to the next, the first after the seeding most).
      const svcAdd1 = await service('addCount', add);
      const minAdd1 = await minimal('addCount', add);
      const svcAddAsked = await service('addCount { applied }', addAsked);
      const svcAdd = best(svcAdd1, await service('addCount, second run', add));
      const minAdd = best(minAdd1, await minimal('addCount, second run', add));
      const rawInsert = await raw(ctx, keyspace, 'insert');
      const svcEventual = await service('EVENTUAL read', read);
      const svcAccurate = await service('ACCURATE read', accurate);
      const minRead = await minimal('read', read, (url) => seedCounters(url, COUNTERS));
      const rawSelect = await raw(ctx, keyspace, 'select');
      const svcBulk = await service(`addCounts x${ctx.o.batch}`, bulk);
      const minBulk = await minimal(`addCounts x${ctx.o.batch}`, bulk);
      return rows(ctx, keyspace, { svcAdd, svcAddAsked, minAdd, rawInsert, svcEventual, svcAccurate, minRead, rawSelect, svcBulk, minBulk });
    } finally {
      await dropKeyspace(keyspace);
    }
  },
};

/** The runs of the scenario, by role. */
interface Runs {
  svcAdd: Measured;
  svcAddAsked: Measured;
  minAdd: Measured;
  rawInsert: RawRun;
  svcEventual: Measured;
  svcAccurate: Measured;
  minRead: Measured;
  rawSelect: RawRun;
  svcBulk: Measured;
  minBulk: Measured;
}

/** The rows, judged against the issue's targets. */
function rows(ctx: BenchContext, keyspace: string, r: Runs): Row[] {
  const svc = { a: r.svcAdd, e: r.svcEventual, r: r.svcAccurate, b: r.svcBulk };
  const min = { a: r.minAdd, r: r.minRead, b: r.minBulk };
  const rawInsert = r.rawInsert.f;
  const rawSelect = r.rawSelect.f;
  /** The node's CPU per operation of the service beside its baselines': how much of the node each design costs. */
  const node = (m: Measured, ...bars: [string, number][]): string =>
    `; node CPU ${fmt(m.nodeUsPerOp)} µs/op (${bars.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})`;
    const addMin = x(svc.a.f.rps, min.a.f.rps);
    const addRaw = x(svc.a.f.rps, rawInsert.rps);
    const evRaw = x(svc.e.f.rps, rawSelect.rps);
    const accMin = x(svc.r.f.rps, min.r.f.rps);
    const bulkMin = x(svc.b.f.incrPerS ?? 0, min.b.f.incrPerS ?? 0);
    const extra = (m: Measured) => ({ queriesPerOp: m.perOp, byStatement: m.byStatement, nodeUsPerOp: m.nodeUsPerOp });
    return [
      {
        scenario: 'Cassandra addCount',
        service: svc.a.f,
        baseline: min.a.f,
        ratio: addMin,
        measured: `${addMin.toFixed(2)}x minimal, ${addRaw.toFixed(2)}x raw (${fmt(rawInsert.rps)} inserts/s), ${q(svc.a)}${node(svc.a, ['minimal', min.a.nodeUsPerOp], ['raw', r.rawInsert.nodeUsPerOp])} (keyspace ${keyspace})`,
        target: '>= 1.0x minimal, >= 0.2x raw, <= 2 queries/add',
        met: addMin >= 1 && addRaw >= 0.2 && svc.a.perOp <= 2,
        extra: { ...extra(svc.a), raw: rawInsert, rawNodeUsPerOp: r.rawInsert.nodeUsPerOp, minimalNodeUsPerOp: min.a.nodeUsPerOp },
      },
      {
        scenario: 'Cassandra addCount { applied }',
        service: r.svcAddAsked.f,
        baseline: min.a.f,
        ratio: x(r.svcAddAsked.f.rps, min.a.f.rps),
        measured: `${x(r.svcAddAsked.f.rps, min.a.f.rps).toFixed(2)}x minimal (which cannot tell a retry), ${q(r.svcAddAsked)}${node(r.svcAddAsked, ['minimal', min.a.nodeUsPerOp])}`,
        target: '- (the cost of asking whether each write was a retry)',
        met: null,
        extra: extra(r.svcAddAsked),
      },
      {
        scenario: 'Cassandra EVENTUAL read',
        service: svc.e.f,
        baseline: rawSelect,
        ratio: evRaw,
        measured: `${evRaw.toFixed(2)}x raw (${fmt(rawSelect.rps)} selects/s), ${q(svc.e)}${node(svc.e, ['raw', r.rawSelect.nodeUsPerOp])}`,
        target: '>= 0.3x raw selects, <= 1.5 queries/read',
        met: evRaw >= 0.3 && svc.e.perOp <= 1.5,
        extra: { ...extra(svc.e), rawNodeUsPerOp: r.rawSelect.nodeUsPerOp },
      },
      {
        scenario: 'Cassandra ACCURATE read',
        service: svc.r.f,
        baseline: min.r.f,
        ratio: accMin,
        measured: `${accMin.toFixed(2)}x minimal, ${x(svc.r.f.rps, rawSelect.rps).toFixed(2)}x raw, ${q(svc.r)}${node(svc.r, ['minimal', min.r.nodeUsPerOp], ['raw', r.rawSelect.nodeUsPerOp])}`,
        target: '>= 0.7x minimal, <= 1.5 queries/read',
        met: accMin >= 0.7 && svc.r.perOp <= 1.5,
        extra: { ...extra(svc.r), minimalNodeUsPerOp: min.r.nodeUsPerOp },
      },
      {
        scenario: `Cassandra addCounts x${ctx.o.batch}`,
        service: svc.b.f,
        baseline: min.b.f,
        ratio: bulkMin,
        measured: `${bulkMin.toFixed(2)}x minimal batch (incr/s), ${((svc.b.f.acceptedShare ?? 1) * 100).toFixed(1)}% applied, ${q(svc.b)}${node(svc.b, ['minimal', min.b.nodeUsPerOp])}`,
        target: '>= 0.5x minimal unlogged batch, every item applied',
        met: bulkMin >= 0.5 && svc.b.f.acceptedShare === undefined && svc.b.f.errors === 0,
        extra: { ...extra(svc.b), minimalNodeUsPerOp: min.b.nodeUsPerOp },
      },
    ];
}
