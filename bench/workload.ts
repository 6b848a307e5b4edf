/**
 * The GraphQL operations the bench sends, identical for the service and the baseline (same
 * query text, same variables), and the per-request body builders the load agent uses.
 */
export const ADD = 'mutation Add($i: AddCountInput!) { addCount(input: $i) { applied } }';
export const BULK = 'mutation AddMany($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount } }';
export const GET = 'query Get($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }';
export const SUB = 'subscription Watch($ns: String!, $n: String!) { counterUpdated(namespace: $ns, name: $n) { count } }';

export type Kind = 'add' | 'bulk' | 'read' | 'mixed';

export interface WorkloadSpec {
  kind: Kind;
  namespace: string;
  /** Distinct counters the load spreads over, uniformly at random: c0 .. c{n-1}. */
  counters: number;
  /** Items per addCounts request (bulk). */
  batch: number;
  /** Share of reads in a mixed workload (0..1). */
  readShare: number;
}

/** Makes request bodies; tokens are unique per agent process, generation time is now. */
export function bodyMaker(spec: WorkloadSpec): () => string {
  const prefix = `b${process.pid.toString(36)}${Date.now().toString(36)}.`;
  let seq = 0;
  const ns = spec.namespace;
  const pick = (): string => `c${Math.floor(Math.random() * spec.counters)}`;
  const item = (now: string) => ({
    namespace: ns,
    name: pick(),
    delta: '1',
    idempotencyToken: { token: prefix + (seq++).toString(36), generationTime: now },
  });
  const add = (): string => JSON.stringify({ query: ADD, variables: { i: item(new Date().toISOString()) } });
  const read = (): string => JSON.stringify({ query: GET, variables: { ns, n: pick() } });
  switch (spec.kind) {
    case 'add':
      return add;
    case 'read':
      return read;
    case 'mixed':
      return () => (Math.random() < spec.readShare ? read() : add());
    case 'bulk':
      return () => {
        const now = new Date().toISOString();
        const is = new Array(spec.batch);
        for (let i = 0; i < spec.batch; i++) is[i] = item(now);
        return JSON.stringify({ query: BULK, variables: { is } });
      };
  }
}

/** Increments one request of this workload carries on average. */
export const incrementsPerRequest = (spec: WorkloadSpec): number =>
  spec.kind === 'bulk' ? spec.batch : spec.kind === 'add' ? 1 : spec.kind === 'mixed' ? 1 - spec.readShare : 0;
