/**
 * The bench's shared types, and nothing else: the options, the figures and rows a scenario
 * yields, a scenario, and the context it runs with. Every bench module may import this one; it
 * imports only types of the leaf modules below it (processes, workloads, the agent protocol),
 * never the runner, options, report, context or scenarios, so the bench's import graph has
 * no cycle through its contracts.
 */
import type { LagResult } from './agents/protocol';
import type { MemoryPerItem } from './memory';
import type { Server } from './procs';
import type { CountCheck } from './verify';
import type { WorkloadSpec } from './workload';

/** The parsed options; also recorded as they are in the JSON results ("options"). */
export interface Options {
  /** Scenario names, run in this order. */
  scenarios: string[];
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

/** The figures of one measured run of one server (a row's service or baseline side). */
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
  /** The exact count check after the run (service runs of workloads that write). */
  countCheck?: CountCheck;
  /** Retained memory per counter written or subscription held, after gc (bulk, subscribers). */
  memory?: MemoryPerItem;
  /** The roll-up's work per increment applied over the run and its count check (CompareOptions.rollupWork). */
  rollupWork?: RollupWork;
}

/** Counters rolled up and checkpoints written per increment applied (the service's own metrics). */
export interface RollupWork {
  rollupsPerIncr: number;
  checkpointsPerIncr: number;
}

/** One line of the results table and of the JSON's rows: a measurement against its target. */
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

/** Overrides of one HTTP run: a fixed rate, another length, fewer connections. */
export interface HttpRunOptions {
  rate?: number;
  durationS?: number;
  connections?: number;
}

/** What a comparison measures beyond throughput and latency. */
export interface CompareOptions {
  /** The service's retained memory per distinct counter the run wrote (after gc, before and after the run and its count check). */
  memoryPerCounter?: boolean;
  /** The roll-up's counters and checkpoint writes per increment (Figures.rollupWork). */
  rollupWork?: boolean;
}

/** A service-vs-baseline comparison on one workload. */
export interface Comparison {
  service: Figures;
  baseline: Figures;
  ratio: number;
}

/** What a scenario runs with: the options and the measured runs it is built from (context.ts). */
export interface BenchContext {
  readonly o: Options;
  /** Runs fn on a fresh service process, stopped afterwards whatever happens; env is added to its environment. */
  withService<T>(name: string, fn: (s: Server) => Promise<T>, env?: Record<string, string>, opts?: { inspect?: boolean }): Promise<T>;
  /** One load run against a server, with live progress; its figures. */
  http(label: string, server: Server, spec: WorkloadSpec, extra?: HttpRunOptions): Promise<Figures>;
  /** Runs fn on a fresh bare Apollo 5 baseline process, stopped afterwards whatever happens. */
  withBaseline<T>(name: string, fn: (s: Server) => Promise<T>): Promise<T>;
  /** Service vs baseline on the same workload, each on a fresh process; seed runs on the service first. */
  compare(label: string, spec: WorkloadSpec, seed?: (s: Server) => Promise<void>, opts?: CompareOptions): Promise<Comparison>;
  /** A load run and, at the same time, convergence probes over its measured window. */
  httpWithLag(label: string, server: Server, spec: WorkloadSpec, extra?: HttpRunOptions): Promise<{ load: Figures; lag: LagResult }>;
}

/** One benchmark scenario, selected by name with --scenarios; its rows go to the report. */
export interface Scenario {
  /** The --scenarios name. */
  name: string;
  /** One line for --help: the load and the figure judged. */
  description: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
