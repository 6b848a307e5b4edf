/**
 * What a scenario runs with (the BenchContext of types.ts): the options, and the measured runs
 * it is built from (a fresh service or baseline process, an HTTP load run with its figures,
 * convergence probes), each shown as progress while it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HttpResult, LagResult } from './agents/protocol';
import { runAgent, startBaseline, startService, withServer, type Server } from './procs';
import { fmt, httpDone, httpProgress, memoryLine, status } from './report';
import { memoryPerItem } from './memory';
import type { BenchContext, CompareOptions, Comparison, Figures, HttpRunOptions, Options } from './types';
import { verifyCounts } from './verify';
import { BENCH_NAMESPACE, incrementsPerRequest, type WorkloadSpec } from './workload';

/** Writes the service applied so far (counter_writes_total, every outcome but refusals). */
async function appliedWrites(s: Server): Promise<number> {
  try {
    return (await s.metrics()).get('counter_writes_total') ?? 0;
  } catch {
    return NaN;
  }
}

/** The bench's state across scenarios: options and the server log directory (emptied at start). */
export class BenchSession implements BenchContext {
  readonly logDir: string;

  constructor(readonly o: Options) {
    this.logDir = path.join(path.dirname(o.json), 'logs');
    fs.rmSync(this.logDir, { recursive: true, force: true });
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  /** Runs fn on a fresh service process (under --cpu-prof if asked), stopped afterwards whatever happens. */
  withService<T>(name: string, fn: (s: Server) => Promise<T>, env: Record<string, string> = {}, opts: { inspect?: boolean } = {}): Promise<T> {
    const nodeArgs = this.o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(path.dirname(this.o.json), 'profiles')}`] : [];
    return withServer(startService(name, { logDir: this.logDir, env, nodeArgs, inspect: opts.inspect }), fn);
  }

  withBaseline<T>(name: string, fn: (s: Server) => Promise<T>): Promise<T> {
    return withServer(startBaseline(name, this.logDir), fn);
  }

  /** One autocannon run against a server, with live progress and the server's RSS. */
  async http(label: string, server: Server, spec: WorkloadSpec, extra: HttpRunOptions = {}): Promise<Figures> {
    const durationS = extra.durationS ?? this.o.durationS;
    const rate = extra.rate ?? this.o.rate;
    const totalS = this.o.warmupS + durationS;
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
        httpProgress(label, p, { totalS, warmupS: this.o.warmupS, perRequest: per, rssMb: server.rssMb() });
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
    httpDone(label, f, per);
    // Every run on the service ends with its exact count check (a failure fails the scenario).
    if (r.ledger && server.name.includes('service')) {
      status(label, 'checking counts...');
      f.countCheck = await verifyCounts(server.url, spec.namespace, r.ledger);
      const c = f.countCheck;
      status(label, `counts ${c.exact ? 'exact' : 'within bounds'}: ${fmt(c.increments)} increments over ${fmt(c.counters)} counters (converged in ${fmt(c.waitedMs)} ms)`, true);
    }
    return f;
  }

  /** Service vs baseline on the same workload: each on a fresh process; seed runs on the service first. */
  async compare(label: string, spec: WorkloadSpec, seed?: (s: Server) => Promise<void>, opts: CompareOptions = {}): Promise<Comparison> {
    const service = await this.withService(
      `${label}-service`,
      async (svc) => {
        if (seed) await seed(svc);
        const before = opts.memoryPerCounter ? await svc.memoryAfterGc!() : undefined;
        const m0 = opts.rollupWork ? await svc.metrics() : undefined;
        const f = await this.http(`${label} · service`, svc, spec);
        if (m0) {
          const m1 = await svc.metrics();
          const d = (k: string): number => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
          const incr = Math.max(1, d('counter_writes_total'));
          f.rollupWork = { rollupsPerIncr: d('rollup_counters_total') / incr, checkpointsPerIncr: d('rollup_checkpoint_writes_total') / incr };
        }
        if (before && f.countCheck) {
          // After the count check: every counter written has been rolled up, cached and guarded.
          f.memory = memoryPerItem('counter', f.countCheck.counters, before, await svc.memoryAfterGc!());
          status(label, memoryLine(f.memory), true);
        }
        return f;
      },
      {},
      { inspect: opts.memoryPerCounter },
    );
    const baseline = await this.withBaseline(`${label}-baseline`, (base) => this.http(`${label} · baseline (bare Apollo 5)`, base, spec));
    return { service, baseline, ratio: service.rps / baseline.rps };
  }

  /** An HTTP run and, at the same time, convergence probes over its measured window. */
  async httpWithLag(label: string, server: Server, spec: WorkloadSpec, extra: HttpRunOptions = {}): Promise<{ load: Figures; lag: LagResult }> {
    const [load, lag] = await Promise.all([
      this.http(label, server, spec, extra),
      runAgent<LagResult>({ type: 'probe', url: server.url, namespace: BENCH_NAMESPACE, probes: 10, durationS: this.o.durationS, startDelayS: this.o.warmupS }),
    ]);
    return { load, lag };
  }
}
