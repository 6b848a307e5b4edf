/**
 * npm run bench [-- options]: starts the service (embedded store, fresh data dir, durable acks:
 * COUNTER_SQLITE_SYNCHRONOUS=FULL) and a bare Apollo Server 5 baseline as child processes,
 * drives them from load-agent child processes (autocannon; graphql-ws for subscriptions),
 * shows progress, prints a table and writes JSON. See docs/benchmarks.md.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResult, LagResult } from './agent';
import { ROOT, runAgent, startBaseline, startService, type Server } from './procs';
import { BULK, incrementsPerRequest, type WorkloadSpec } from './workload';

const ALL = ['add', 'bulk', 'read', 'mixed', 'convergence', 'coalescing', 'subscribers', 'sustained', 'scaling', 'cassandra'] as const;
type ScenarioName = (typeof ALL)[number];

export interface Options {
  scenarios: ScenarioName[];
  durationS: number;
  warmupS: number;
  connections: number;
  batch: number;
  sustainS: number;
  subscribers: number;
  scalingCounters: number[];
  json: string;
  cpuProf: boolean;
  /** Fixed request rate for the throughput runs (A/B comparisons on a busy machine). */
  rate?: number;
}

const HELP = `npm run bench -- [options]
  --scenarios a,b,..   any of ${ALL.join(', ')} (default: all)
  --duration S         measured seconds per run (default 10)
  --warmup S           unmeasured warm-up seconds before each run (default 2)
  --connections N      HTTP connections of the load generator (default 50)
  --batch N            addCounts items per request (default 200)
  --sustain S          seconds of the sustained-load scenario (default 60)
  --subscribers N      subscribers of the fan-out scenario (default 1000)
  --scaling a,b,c      distinct counters of the scaling curve (default 1,10000,1000000)
  --json PATH          where to write results (default bench/results/latest.json)
  --cpu-prof           run the service under node --cpu-prof (profiles in the results dir)
  --rate N             offer a fixed N req/s instead of as many as answered (compare CPU µs/req)`;

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    scenarios: [...ALL],
    durationS: 10,
    warmupS: 2,
    connections: 50,
    batch: 200,
    sustainS: 60,
    subscribers: 1000,
    scalingCounters: [1, 10_000, 1_000_000],
    json: path.join(ROOT, 'bench', 'results', 'latest.json'),
    cpuProf: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = Number(val());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a non-negative number`);
      return v;
    };
    switch (flag) {
      case '--scenarios': {
        const list = val().split(',').map((s) => s.trim()).filter(Boolean);
        for (const s of list) if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; one of ${ALL.join(', ')}`);
        o.scenarios = list as ScenarioName[];
        break;
      }
      case '--duration': o.durationS = num(); break;
      case '--warmup': o.warmupS = num(); break;
      case '--connections': o.connections = Math.max(1, Math.round(num())); break;
      case '--batch': o.batch = Math.max(1, Math.round(num())); break;
      case '--sustain': o.sustainS = num(); break;
      case '--subscribers': o.subscribers = Math.max(1, Math.round(num())); break;
      case '--scaling': o.scalingCounters = val().split(',').map(Number).filter((n) => n >= 1); break;
      case '--json': o.json = path.resolve(val()); break;
      case '--cpu-prof': o.cpuProf = true; break;
      case '--rate': o.rate = num(); break;
      case '-h': case '--help': process.stdout.write(`${HELP}\n`); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n${HELP}`);
    }
  }
  return o;
}

// ---- results ----------------------------------------------------------------------------

export interface Figures {
  /** Requests per second. */
  rps: number;
  /** Increments per second (writes), when the workload writes. */
  incrPerS?: number;
  p50: number;
  p99: number;
  max: number;
  peakRssMb: number;
  /** Share of the increments sent that the service applied (when below 100%). */
  acceptedShare?: number;
  /** Server CPU time per request over the measured window (robust to a busy machine), µs. */
  cpuUsPerReq?: number;
  errors: number;
}

export interface Row {
  scenario: string;
  service?: Figures;
  baseline?: Figures;
  ratio?: number;
  /** What was measured against the target, in words ("p99 lag 212 ms"). */
  measured: string;
  target: string;
  met: boolean | null;
  extra?: Record<string, unknown>;
}

const fmt = (n: number | undefined, d = 0): string =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));

// ---- progress ---------------------------------------------------------------------------

const tty = process.stderr.isTTY;
let lastLine = 0;
function progress(text: string, final = false): void {
  if (tty) {
    process.stderr.write(`\r\x1b[K${text}${final ? '\n' : ''}`);
  } else if (final || Date.now() - lastLine > 3000) {
    lastLine = Date.now();
    process.stderr.write(`${text}\n`);
  }
}

// ---- runs -------------------------------------------------------------------------------

class Bench {
  readonly logDir: string;
  rows: Row[] = [];

  constructor(readonly o: Options) {
    this.logDir = path.join(path.dirname(o.json), 'logs');
    fs.rmSync(this.logDir, { recursive: true, force: true });
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  service(name: string, env: Record<string, string> = {}): Promise<Server> {
    const nodeArgs = this.o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(path.dirname(this.o.json), 'profiles')}`] : [];
    return startService(name, { logDir: this.logDir, env, nodeArgs });
  }

  /** One autocannon run against a server, with live progress and the server's RSS. */
  async http(label: string, server: Server, spec: WorkloadSpec, extra: { rate?: number; durationS?: number; connections?: number } = {}): Promise<Figures> {
    const durationS = extra.durationS ?? this.o.durationS;
    const rate = extra.rate ?? this.o.rate;
    const total = this.o.warmupS + durationS;
    const per = incrementsPerRequest(spec);
    // Items an overloaded server refuses (e.g. a generation time past the accept limit by
    // the time the request is read) are not increments: count what the service applied.
    const writesBefore = per > 0 && server.name.includes('service') ? await appliedWrites(server) : undefined;
    let cpu0: { cpu: number; done: number } | undefined;
    let cpu1: { cpu: number; done: number } | undefined;
    const r = await runAgent<HttpResult>(
      { type: 'http', url: server.url, spec, connections: extra.connections ?? this.o.connections, warmupS: this.o.warmupS, durationS, ...(rate ? { rate } : {}) },
      (p) => {
        if (p.elapsedS >= this.o.warmupS) {
          const at = { cpu: server.cpuMs(), done: p.done };
          if (!cpu0) cpu0 = at;
          else cpu1 = at;
        }
        progress(
          `  ${label.padEnd(34)} ${fmt(Math.min(p.elapsedS, total), 0).padStart(3)}/${total} s  ${fmt(p.rate).padStart(7)} req/s` +
            `${per > 0 && per !== 1 ? `  ${fmt(p.rate * per).padStart(8)} incr/s` : ''}  rss ${fmt(server.rssMb())} MB` +
            (p.elapsedS < this.o.warmupS ? '  (warm-up)' : ''),
        );
      },
    );
    let accepted = 1;
    if (writesBefore !== undefined) {
      const applied = (await appliedWrites(server)) - writesBefore;
      accepted = Math.min(1, applied / Math.max(1, r.total * per));
    }
    const f: Figures = {
      rps: r.rps,
      ...(per > 0 ? { incrPerS: r.rps * per * accepted } : {}),
      ...(accepted < 0.999 ? { acceptedShare: accepted } : {}),
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      peakRssMb: server.peakRssMb(),
      ...(cpu0 && cpu1 && cpu1.done > cpu0.done ? { cpuUsPerReq: ((cpu1.cpu - cpu0.cpu) * 1000) / (cpu1.done - cpu0.done) } : {}),
      errors: r.errors + r.non2xx + r.timeouts,
    };
    progress(
      `  ${label.padEnd(34)} ${fmt(f.rps).padStart(7)} req/s${f.incrPerS !== undefined && per !== 1 ? ` (${fmt(f.incrPerS)} incr/s)` : ''}` +
        `  p50 ${ms(f.p50)} p99 ${ms(f.p99)} max ${ms(f.max)} ms  peak rss ${fmt(f.peakRssMb)} MB  cpu ${fmt(f.cpuUsPerReq)} µs/req${f.errors ? `  ERRORS ${f.errors}` : ''}` +
        (f.acceptedShare !== undefined ? `  only ${(f.acceptedShare * 100).toFixed(1)}% of increments applied` : ''),
      true,
    );
    return f;
  }

  /** Service vs baseline on the same workload: each on a fresh process. */
  async compare(label: string, spec: WorkloadSpec, seed?: (s: Server) => Promise<void>): Promise<{ service: Figures; baseline: Figures; ratio: number }> {
    const svc = await this.service(`${label}-service`);
    let service: Figures;
    try {
      if (seed) await seed(svc);
      service = await this.http(`${label} · service`, svc, spec);
    } finally {
      await svc.stop();
    }
    const base = await startBaseline(`${label}-baseline`, this.logDir);
    let baseline: Figures;
    try {
      baseline = await this.http(`${label} · baseline (bare Apollo 5)`, base, spec);
    } finally {
      await base.stop();
    }
    return { service, baseline, ratio: service.rps / baseline.rps };
  }

  async probe(server: Server, durationS: number, startDelayS: number): Promise<LagResult> {
    return runAgent<LagResult>({ type: 'probe', url: server.url, namespace: 'bench', probes: 10, durationS, startDelayS });
  }
}

/** Writes the service applied so far (counter_writes_total, every outcome but refusals). */
async function appliedWrites(s: Server): Promise<number> {
  try {
    return (await s.metrics()).get('counter_writes_total') ?? 0;
  } catch {
    return NaN;
  }
}

const spec = (kind: WorkloadSpec['kind'], counters: number, batch = 1, readShare = 0): WorkloadSpec => ({ kind, namespace: 'bench', counters, batch, readShare });

/** Writes every counter c0..c{n-1} once, so that reads find real counters. */
async function seedCounters(s: Server, n: number): Promise<void> {
  const now = new Date().toISOString();
  for (let from = 0; from < n; from += 500) {
    const is = [];
    for (let i = from; i < Math.min(n, from + 500); i++) is.push({ namespace: 'bench', name: `c${i}`, delta: '1', idempotencyToken: { token: `seed${i}`, generationTime: now } });
    const r = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: BULK, variables: { is } }) });
    const body = (await r.json()) as { errors?: unknown };
    if (body.errors) throw new Error(`seeding failed: ${JSON.stringify(body.errors)}`);
  }
}

type Scenario = (b: Bench) => Promise<Row[]>;

const SCENARIOS: Record<ScenarioName, Scenario> = {
  async add(b) {
    const r = await b.compare('add', spec('add', 10_000));
    return [{ scenario: 'addCount, 1/request, EVENTUAL', ...r, measured: `ratio ${r.ratio.toFixed(2)}`, target: 'ratio >= 0.8', met: r.ratio >= 0.8 }];
  },

  async bulk(b) {
    const r = await b.compare('bulk', spec('bulk', 100_000, b.o.batch));
    const incr = r.service.incrPerS ?? 0;
    return [
      {
        scenario: `addCounts, ${b.o.batch}/request, 100K counters`,
        ...r,
        measured: `${fmt(incr)} incr/s (ratio ${r.ratio.toFixed(2)})`,
        target: '>= 75,000 incr/s',
        met: incr >= 75_000,
      },
    ];
  },

  async read(b) {
    const seed = (s: Server) => seedCounters(s, 10_000);
    const r = await b.compare('read', spec('read', 10_000), seed);
    const svc = await b.service('read-1000rps');
    let fixed: Figures;
    try {
      await seed(svc);
      fixed = await b.http('read @ 1,000 req/s · service', svc, spec('read', 10_000), { rate: 1000, connections: 10 });
    } finally {
      await svc.stop();
    }
    return [
      { scenario: 'GetCount (counter read)', ...r, measured: `ratio ${r.ratio.toFixed(2)}`, target: 'ratio >= 0.8', met: r.ratio >= 0.8 },
      { scenario: 'GetCount at 1,000 req/s', service: fixed, measured: `p99 ${ms(fixed.p99)} ms`, target: 'p99 <= 2 ms', met: fixed.p99 <= 2 },
    ];
  },

  async mixed(b) {
    const r = await b.compare('mixed', spec('mixed', 10_000, 1, 0.9), (s) => seedCounters(s, 10_000));
    return [{ scenario: '90% reads / 10% addCount', ...r, measured: `ratio ${r.ratio.toFixed(2)}`, target: 'ratio >= 0.8', met: r.ratio >= 0.8 }];
  },

  async convergence(b) {
    // 10,000 increments/s: 100 addCounts of 100 items per second, with probes measuring lag.
    const svc = await b.service('convergence');
    try {
      const [load, lag] = await Promise.all([
        b.http('10K incr/s + convergence probes', svc, spec('bulk', 10_000, 100), { rate: 100, connections: 10 }),
        b.probe(svc, b.o.durationS, b.o.warmupS),
      ]);
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
    } finally {
      await svc.stop();
    }
  },

  async coalescing(b) {
    const svc = await b.service('coalescing');
    try {
      const before = await svc.metrics();
      const load = await b.http('addCount on 10 hot counters', svc, spec('add', 10));
      // Windows settle acceptLimit (5 s) + skew margin (1 s) after their writes: wait for the
      // last checkpoints this load causes, so every roll-up write it costs is counted.
      progress('  waiting 7 s for the last windows to settle and checkpoint', true);
      await sleep(7000);
      const after = await svc.metrics();
      const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
      const incr = d('counter_writes_total');
      const ckpt = d('rollup_checkpoint_writes_total');
      const rollups = d('rollup_counters_total');
      const perCkpt = incr / Math.max(1, ckpt);
      return [
        {
          scenario: 'coalescing on 10 hot counters',
          service: load,
          measured: `1 checkpoint write per ${fmt(perCkpt)} incr; 1 roll-up per ${fmt(incr / Math.max(1, rollups))} incr`,
          target: 'roll-up writes/incr <= 1/100',
          met: ckpt / Math.max(1, incr) <= 0.01,
          extra: { increments: incr, checkpointWrites: ckpt, rollups },
        },
      ];
    } finally {
      await svc.stop();
    }
  },

  async subscribers(b) {
    const svc = await b.service('subscribers');
    try {
      const writes = Math.max(5, Math.round((b.o.durationS * 1000) / 200));
      const r = await runAgent<LagResult>(
        { type: 'subscribers', url: svc.url, namespace: 'bench', subscribers: b.o.subscribers, writes, writeIntervalMs: 200 },
        (p) => progress(`  ${`${b.o.subscribers} subscribers on one counter`.padEnd(34)} ${p.elapsedS === 0 ? `${p.done} subscribed` : `${p.done}/${writes} writes`}  rss ${fmt(svc.rssMb())} MB`),
      );
      const rss = svc.peakRssMb();
      progress(`  ${`${b.o.subscribers} subscribers on one counter`.padEnd(34)} delivery p50 ${ms(r.lag.p50)} p99 ${ms(r.lag.p99)} max ${ms(r.lag.max)} ms; fan-out p99 ${ms(r.fanout?.p99)} ms`, true);
      return [
        {
          scenario: `${r.connected} subscribers on one counter`,
          service: { rps: NaN, p50: r.lag.p50, p99: r.lag.p99, max: r.lag.max, peakRssMb: rss, errors: r.timeouts },
          measured: `delivery (write ack -> subscriber) p99 ${ms(r.lag.p99)} ms; fan-out spread p99 ${ms(r.fanout?.p99)} ms${r.timeouts ? `; ${r.timeouts} missed` : ''}`,
          target: 'p99 delivery <= 250 ms',
          met: r.lag.p99 <= 250 && r.timeouts === 0 && r.connected === b.o.subscribers,
          extra: { delivery: r.lag, fanout: r.fanout, missed: r.timeouts, writes },
        },
      ];
    } finally {
      await svc.stop();
    }
  },

  async sustained(b) {
    const svc = await b.service('sustained');
    let maxDepth = 0;
    let lastDepth = 0;
    let dropped = 0;
    let stop = false;
    const sampler = (async () => {
      while (!stop) {
        try {
          const m = await svc.metrics();
          lastDepth = m.get('rollup_queue_depth') ?? 0;
          maxDepth = Math.max(maxDepth, lastDepth);
          dropped = m.get('rollup_queue_offers_total{outcome="dropped"}') ?? 0;
        } catch {
          /* a missed sample */
        }
        await sleep(1000);
      }
    })();
    try {
      const load = await b.http(`max write load for ${b.o.sustainS} s`, svc, spec('bulk', 100_000, b.o.batch), { durationS: b.o.sustainS });
      stop = true;
      await sampler;
      await sleep(3000);
      const settled = (await svc.metrics()).get('rollup_queue_depth') ?? 0;
      const rss = svc.peakRssMb();
      return [
        {
          scenario: `sustained max writes, ${b.o.sustainS} s`,
          service: load,
          measured: `peak RSS ${fmt(rss)} MB; queue depth max ${fmt(maxDepth)}, end ${fmt(lastDepth)}, 3 s later ${fmt(settled)}; ${fmt(dropped)} offers dropped`,
          target: 'RSS <= 300 MB, queues bounded',
          met: rss <= 300 && maxDepth <= 8 * 16384,
          extra: { maxDepth, lastDepth, settledDepth: settled, dropped },
        },
      ];
    } finally {
      stop = true;
      await svc.stop();
    }
  },

  async scaling(b) {
    const rows: Row[] = [];
    for (const n of b.o.scalingCounters) {
      const svc = await b.service(`scaling-${n}`);
      try {
        const [load, lag] = await Promise.all([b.http(`${fmt(n)} counters (addCounts)`, svc, spec('bulk', n, b.o.batch)), b.probe(svc, b.o.durationS, b.o.warmupS)]);
        rows.push({
          scenario: `scaling: ${fmt(n)} distinct counters`,
          service: load,
          measured: `${fmt(load.incrPerS)} incr/s; lag p50 ${ms(lag.lag.p50)} / p99 ${ms(lag.lag.p99)} ms${lag.timeouts ? ` (${lag.timeouts} timeouts)` : ''}`,
          target: 'curve (no target)',
          met: null,
          extra: { counters: n, lag: lag.lag, timeouts: lag.timeouts },
        });
      } finally {
        await svc.stop();
      }
    }
    return rows;
  },

  async cassandra(b) {
    const why = await cassandraUnavailable();
    if (why) return [{ scenario: 'Cassandra mode, addCount', measured: `skipped: ${why}`, target: 'ratio >= 0.7 vs raw driver', met: null }];
    // A keyspace of its own, so the bench never touches another one's data.
    const keyspace = `bench_${Date.now().toString(36)}`;
    const svc = await b.service('cassandra-service', { COUNTER_STORE: 'cassandra', CASSANDRA_KEYSPACE: keyspace });
    let service: Figures;
    try {
      service = await b.http('cassandra · service (addCount)', svc, spec('add', 10_000));
    } finally {
      await svc.stop();
    }
    const total = b.o.warmupS + b.o.durationS;
    const raw = await runAgent<HttpResult>(
      {
        type: 'cql',
        contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
        localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
        keyspace,
        concurrency: b.o.connections,
        counters: 10_000,
        warmupS: b.o.warmupS,
        durationS: b.o.durationS,
      },
      (p) => progress(`  ${'cassandra · raw driver inserts'.padEnd(34)} ${fmt(Math.min(p.elapsedS, total))}/${total} s`),
    );
    const baseline: Figures = { rps: raw.rps, incrPerS: raw.rps, p50: raw.latency.p50, p99: raw.latency.p99, max: raw.latency.max, peakRssMb: NaN, errors: raw.errors };
    progress(`  ${'cassandra · raw driver inserts'.padEnd(34)} ${fmt(raw.rps).padStart(7)} inserts/s  p50 ${ms(raw.latency.p50)} p99 ${ms(raw.latency.p99)} ms`, true);
    const ratio = service.rps / baseline.rps;
    return [
      {
        scenario: 'Cassandra mode, addCount',
        service,
        baseline,
        ratio,
        measured: `ratio ${ratio.toFixed(2)} (keyspace ${keyspace})`,
        target: 'ratio >= 0.7 vs raw driver',
        met: ratio >= 0.7,
      },
    ];
  },
};

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

// ---- report -----------------------------------------------------------------------------

export function table(rows: Row[]): string {
  const head = ['scenario', 'service req/s', 'incr/s', 'p50 ms', 'p99 ms', 'max ms', 'RSS MB', 'CPU µs/req', 'baseline req/s', 'p50', 'p99', 'max', 'RSS', 'CPU', 'ratio'];
  const body = rows.map((r) => [
    r.scenario,
    fmt(r.service?.rps),
    r.service?.incrPerS !== undefined ? fmt(r.service.incrPerS) : '-',
    ms(r.service?.p50),
    ms(r.service?.p99),
    ms(r.service?.max),
    fmt(r.service?.peakRssMb),
    fmt(r.service?.cpuUsPerReq),
    fmt(r.baseline?.rps),
    ms(r.baseline?.p50),
    ms(r.baseline?.p99),
    ms(r.baseline?.max),
    fmt(r.baseline?.peakRssMb),
    fmt(r.baseline?.cpuUsPerReq),
    r.ratio !== undefined ? r.ratio.toFixed(2) : '-',
  ]);
  const targets = rows.map((r) => [r.scenario, r.target, r.measured, r.met === null ? '-' : r.met ? 'met' : 'MISSED']);
  return `${md(head, body, true)}\n\n${md(['scenario', 'target', 'measured', 'result'], targets, false)}`;
}

/** A Markdown table; numeric tables right-align every column but the first. */
function md(head: string[], body: string[][], numeric: boolean): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const right = (i: number) => numeric && i > 0;
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ')} |`;
  return [line(head), `| ${w.map((n, i) => (right(i) ? `${'-'.repeat(n - 1)}:` : '-'.repeat(n))).join(' | ')} |`, ...body.map(line)].join('\n');
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAvgAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export async function main(argv = process.argv.slice(2)): Promise<Row[]> {
  const o = parseArgs(argv);
  const b = new Bench(o);
  const m = machine();
  const started = Date.now();
  process.stderr.write(
    `bench: ${o.scenarios.join(', ')}; ${o.durationS} s runs after ${o.warmupS} s warm-up, ${o.connections} connections; ` +
      `${m.cpus} x ${m.cpuModel}, node ${m.node}; durable acks (COUNTER_SQLITE_SYNCHRONOUS=FULL)\n`,
  );
  for (const name of o.scenarios) {
    process.stderr.write(`▸ ${name}\n`);
    try {
      b.rows.push(...(await SCENARIOS[name](b)));
    } catch (err) {
      progress('', true);
      process.stderr.write(`  ${name} failed: ${(err as Error).message}\n`);
      b.rows.push({ scenario: name, measured: `failed: ${(err as Error).message.split('\n')[0]}`, target: '-', met: false });
    }
  }
  const out = table(b.rows);
  process.stdout.write(`\n${out}\n`);
  fs.mkdirSync(path.dirname(o.json), { recursive: true });
  fs.writeFileSync(
    o.json,
    JSON.stringify({ date: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000), machine: m, options: o, rows: b.rows }, null, 2),
  );
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), o.json)}; server logs in ${path.relative(process.cwd(), b.logDir)}\n`);
  return b.rows;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
