/**
 * The GraphQL operations the bench sends, identical for the service and the baseline (same
 * query text, same variables), the workloads, the per-request body builders the load agent
 * uses, and the seeding of counters before a read workload.
 */
/** addCount with a payload selection: `applied` by default (whether the write was a retry). */
export const addQuery = (select = 'applied'): string => `mutation Add($i: AddCountInput!) { addCount(input: $i) { ${select} } }`;
export const ADD = addQuery();
export const BULK = 'mutation AddMany($is: [AddCountInput!]!) { addCounts(inputs: $is) { acceptedCount rejectedCount } }';
export const GET = 'query Get($ns: String!, $n: String!) { counter(namespace: $ns, name: $n) { count } }';
export const SUB = 'subscription Watch($ns: String!, $n: String!) { counterUpdated(namespace: $ns, name: $n) { count } }';

/** The namespace every bench request uses (EVENTUAL on the service). */
export const BENCH_NAMESPACE = 'bench';

export type Kind = 'add' | 'bulk' | 'read' | 'mixed';

export interface WorkloadSpec {
  kind: Kind;
  namespace: string;
  /** Distinct counters the load spreads over, uniformly at random: {prefix}0 .. {prefix}{n-1}. */
  counters: number;
  /** Counter name prefix (default 'c', the seeded counters); another one keeps loads apart. */
  prefix?: string;
  /** Items per addCounts request (bulk). */
  batch: number;
  /** Share of reads in a mixed workload (0..1). */
  readShare: number;
  /** The addCount payload selection (default `applied`; see addQuery). */
  select?: string;
}

/** A workload in the bench namespace. */
export const workload = (kind: Kind, counters: number, batch = 1, readShare = 0): WorkloadSpec => ({ kind, namespace: BENCH_NAMESPACE, counters, batch, readShare });

/** One request body, and the counters it adds 1 to (one name per increment; none for a read). */
export interface Body {
  body: string;
  writes: string[];
}

/**
 * Makes request bodies; tokens are unique per agent process, generation time is now. Writes
 * go to counters of their own per agent process (`{prefix}{run}.{i}`), so that the run's
 * exact count check (bench/verify.ts) knows every counter starts at 0; reads go to the
 * seeded counters ({prefix}{i}).
 */
export function bodyMaker(spec: WorkloadSpec): () => Body {
  const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const prefix = `b${run}.`;
  let seq = 0;
  const ns = spec.namespace;
  const p = spec.prefix ?? 'c';
  const pickRead = (): string => `${p}${Math.floor(Math.random() * spec.counters)}`;
  const pickWrite = (): string => `${p}${run}.${Math.floor(Math.random() * spec.counters)}`;
  const item = (name: string, now: string) => ({
    namespace: ns,
    name,
    delta: '1',
    idempotencyToken: { token: prefix + (seq++).toString(36), generationTime: now },
  });
  const addText = addQuery(spec.select);
  const add = (): Body => {
    const name = pickWrite();
    return { body: JSON.stringify({ query: addText, variables: { i: item(name, new Date().toISOString()) } }), writes: [name] };
  };
  const read = (): Body => ({ body: JSON.stringify({ query: GET, variables: { ns, n: pickRead() } }), writes: [] });
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
        const writes = new Array<string>(spec.batch);
        for (let i = 0; i < spec.batch; i++) is[i] = item((writes[i] = pickWrite()), now);
        return { body: JSON.stringify({ query: BULK, variables: { is } }), writes };
      };
  }
}

/** Increments one request of this workload carries on average. */
export const incrementsPerRequest = (spec: WorkloadSpec): number =>
  spec.kind === 'bulk' ? spec.batch : spec.kind === 'add' ? 1 : spec.kind === 'mixed' ? 1 - spec.readShare : 0;

/** Writes every counter c0..c{n-1} once (addCounts of 500), so that reads find real counters. */
export async function seedCounters(url: string, n: number): Promise<void> {
  const now = new Date().toISOString();
  for (let from = 0; from < n; from += 500) {
    const is = [];
    for (let i = from; i < Math.min(n, from + 500); i++) is.push({ namespace: BENCH_NAMESPACE, name: `c${i}`, delta: '1', idempotencyToken: { token: `seed${i}`, generationTime: now } });
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: BULK, variables: { is } }) });
    const body = (await r.json()) as { errors?: unknown };
    if (body.errors) throw new Error(`seeding failed: ${JSON.stringify(body.errors)}`);
  }
}
