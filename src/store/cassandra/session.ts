import cassandra from 'cassandra-driver';
import type { Config } from '../../config';
import { Limiter, type Lane } from './limiter';

const { types } = cassandra;

/** The Cassandra store's settings (CASSANDRA_* variables, see src/config.ts). */
export type CassandraOptions = Config['cassandra'];

type ConsistencyName = CassandraOptions['readConsistency'];

/**
 * The driver's code per configured name. The driver's own table is keyed in camelCase
 * (`localQuorum`), so looking the configured `LOCAL_QUORUM` up in it gives undefined, and a
 * query with `consistency: undefined` silently runs at the driver's default, LOCAL_ONE: on
 * one node the same, on three nodes reads that miss acknowledged writes.
 */
const CODES: Record<ConsistencyName, number> = {
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
};

/** The driver's code for a configured consistency name (validated by the config); throws on any other. */
export function consistency(name: ConsistencyName): number {
  const code = CODES[name];
  if (code === undefined) throw new Error(`unknown Cassandra consistency level ${JSON.stringify(name)}`);
  return code;
}

/**
 * How every query of the store runs: prepared, marked idempotent so the driver may retry it,
 * with the configured read or write consistency (writes go through ./batcher.ts), and
 * through one shared limiter, so that
 * scatter reads over many partitions queue here instead of flooding the driver's connections;
 * an append's queries take the urgent lane (see ./limiter.ts).
 */
export class CqlSession {
  readonly writeConsistency: number;
  private readonly readConsistency: number;
  private readonly limiter: Limiter;

  constructor(
    readonly client: cassandra.Client,
    opts: CassandraOptions,
  ) {
    this.readConsistency = consistency(opts.readConsistency);
    this.writeConsistency = consistency(opts.writeConsistency);
    this.limiter = new Limiter(opts.concurrency);
  }

  /** `partitions`: how many the query reads (a grouped `IN` read takes as many limiter slots). */
  read(cql: string, params: unknown[], extra: cassandra.QueryOptions = {}, lane: Lane = 'background', partitions = 1): Promise<cassandra.types.ResultSet> {
    return this.limiter.run(
      () => this.client.execute(cql, params, { prepare: true, isIdempotent: true, consistency: this.readConsistency, ...extra }),
      lane,
      partitions,
    );
  }

  /** Runs a query with options of its own (an LWT, a batch) in a limiter slot. */
  slot<T>(fn: () => Promise<T>, lane: Lane = 'background'): Promise<T> {
    return this.limiter.run(fn, lane);
  }
}
