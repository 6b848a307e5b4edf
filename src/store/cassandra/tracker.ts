import cassandra from 'cassandra-driver';
import { cassandraRequests } from '../../metrics';

/** Distinct statement texts whose label is remembered (the store has a few dozen). */
const LABELS_MAX = 1000;

/** Statement texts named by the store (see named). */
const NAMES = new Map<string, string>();

/**
 * Names a statement for cassandra_requests_total, so that, e.g., the append's idempotency
 * lookup is counted apart from the scans of the same table. Returns the text unchanged.
 */
export function named(name: string, cql: string): string {
  NAMES.set(cql, name);
  return cql;
}

/** The verb and table of a CQL statement (`select events`, `update rollups`), or `other`. */
export function statementLabel(cql: string): string {
  const m = /^\s*(?:(select)\b.*?\bfrom|(insert)\s+into|(update)|(delete)\b.*?\bfrom)\s+([a-z_][a-z0-9_.]*)/is.exec(cql);
  if (!m) return 'other';
  return `${(m[1] ?? m[2] ?? m[3] ?? m[4]!).toLowerCase()} ${m[5]!.toLowerCase()}`;
}

/** The driver checks `instanceof` its RequestTracker class, which its typings declare as an interface. */
const TrackerBase = (cassandra.tracker as unknown as { RequestTracker: new () => cassandra.tracker.RequestTracker }).RequestTracker;

/**
 * The driver's request tracker, counting every request the store sends into
 * `cassandra_requests_total` (src/metrics.ts): where the queries of a write or a read go is
 * measured, not guessed. A statement is labelled by its name (see named), else by its verb
 * and table; a batch is one request, labelled `batch(<its statements' labels>)`.
 */
export class CountingTracker extends TrackerBase {
  private readonly labels = new Map<string, string>();

  override onSuccess(_host: unknown, query: string | { query: string }[]): void {
    cassandraRequests.inc({ statement: this.label(query), outcome: 'ok' });
  }

  override onError(_host: unknown, query: string | { query: string }[]): void {
    cassandraRequests.inc({ statement: this.label(query), outcome: 'error' });
  }

  override shutdown(): void {}

  private label(query: string | { query: string }[]): string {
    if (typeof query !== 'string') return `batch(${[...new Set(query.map((q) => this.label(q.query)))].sort().join('+')})`;
    let l = this.labels.get(query);
    if (l === undefined) {
      l = NAMES.get(query) ?? statementLabel(query);
      if (this.labels.size < LABELS_MAX) this.labels.set(query, l);
    }
    return l;
  }
}
