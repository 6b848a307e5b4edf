/**
 * The IPC protocol between the bench runner and its load agents (child processes, see
 * bench/agent.ts): the tasks, their results and the messages an agent sends back.
 */
import type { Ledger } from '../ledger';
import type { LatencySummary } from '../stats';
import type { WorkloadSpec } from '../workload';

/** autocannon against /graphql with a workload, after a warm-up. */
export interface HttpTask {
  type: 'http';
  url: string;
  spec: WorkloadSpec;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Fixed overall request rate (req/s); unset = as fast as the server answers. */
  rate?: number;
}

/** Convergence probes: write to own counters, wait for the exact count on a subscription. */
export interface ProbeTask {
  type: 'probe';
  url: string;
  namespace: string;
  probes: number;
  durationS: number;
  startDelayS: number;
}

/** N websocket clients on one counter and a writer adding to it at intervals. */
export interface SubscribersTask {
  type: 'subscribers';
  url: string;
  namespace: string;
  subscribers: number;
  writes: number;
  writeIntervalMs: number;
  /** Once every subscriber has its first value, send 'ready' and wait for 'go' before writing (a memory sample in between). */
  holdWhenReady?: boolean;
}

/** The Cassandra baseline: raw cassandra-driver prepared inserts of the service's event rows. */
export interface CqlTask {
  type: 'cql';
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /** Concurrent inserts in flight (the HTTP load's connections). */
  concurrency: number;
  counters: number;
  warmupS: number;
  durationS: number;
}

/** Any task an agent runs (one per agent process). */
export type Task = HttpTask | ProbeTask | SubscribersTask | CqlTask;

/** Throughput and latency of a load run (http, cql). */
export interface HttpResult {
  type: 'http';
  /** Responses in the measured window. */
  requests: number;
  /** Responses in the whole run, warm-up included. */
  total: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** What was sent and acknowledged, for the exact count check (workloads that write). */
  ledger?: Ledger;
}

/** Lags from a write's acknowledgement to it being seen (probe, subscribers). */
export interface LagResult {
  type: 'lag';
  lag: LatencySummary;
  timeouts: number;
  /** subscribers only: spread from the first subscriber seeing a value to each other one. */
  fanout?: LatencySummary;
  connected?: number;
  /** subscribers only: frames received after each client's first value (the deliveries the writes caused). */
  frames?: number;
}

/** What an agent sends the runner: progress every second, then a result or an error. */
export type AgentMessage =
  | { type: 'progress'; elapsedS: number; done: number; rate: number }
  | { type: 'ready'; done: number }
  | { type: 'result'; result: HttpResult | LagResult }
  | { type: 'error'; message: string };

/** Sends a message to the runner (the parent process). */
export const send = (m: AgentMessage): void => void process.send?.(m);

/** Sends the last message and resolves once it has left (a large result, e.g. a ledger, takes a while). */
export const sendLast = (m: AgentMessage): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send(m, undefined, undefined, () => resolve()) : resolve()));
