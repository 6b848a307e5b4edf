import cassandra from 'cassandra-driver';
import type { Logger } from '../../logger';
import type { CounterEvent, CounterRef, NamespaceConfig } from '../../model';
import type {
  AppendResult,
  CheckpointWrite,
  CounterSnapshot,
  DeletedNamespace,
  PendingQuery,
  PurgeQuery,
  PurgeResult,
  SnapshotQuery,
  Store,
} from '../types';
import { EventAppender } from './append';
import { CheckpointTable } from './checkpoints';
import { connectClient, DDL_OPTIONS, migrate } from './connect';
import type { Layout } from './layout';
import { NamespaceTable } from './namespaces';
import { NamespaceRemoval } from './removal';
import { CqlSession, type CassandraOptions } from './session';
import { SnapshotReader } from './snapshots';

export type { CassandraOptions } from './session';

const { types } = cassandra;

/**
 * The scale-out store on Apache Cassandra (schema and reasoning in ./schema.ts).
 *
 * Every query is a prepared statement sent token-aware to a replica of its partitions (the
 * driver's default policy over the local data center), marked idempotent so the driver may
 * retry it, and run with the configured consistency (LOCAL_QUORUM by default: a read at
 * LOCAL_QUORUM sees every write acknowledged at LOCAL_QUORUM). The reads queued in one
 * event-loop turn are grouped into `IN` queries over partitions that share their first
 * replica (./grouper.ts, ./replicas.ts), through a shared limiter (bounded concurrency).
 *
 * This class only wires the parts together: ./session.ts (how queries run), ./namespaces.ts,
 * ./append.ts (events, idempotency and marks), ./snapshots.ts (window scans) and
 * ./checkpoints.ts (checkpoints and pending marks).
 */
export class CassandraStore implements Store {
  readonly kind = 'cassandra';
  readonly exclusiveWriter = false;
  private readonly cql: CqlSession;
  private readonly namespaces: NamespaceTable;
  private readonly appender: EventAppender;
  private readonly checkpoints: CheckpointTable;
  private readonly snapshots: SnapshotReader;
  private readonly removal: NamespaceRemoval;

  private constructor(
    private readonly client: cassandra.Client,
    private readonly layout: Layout,
    opts: CassandraOptions,
  ) {
    this.cql = new CqlSession(client, opts);
    this.namespaces = new NamespaceTable(this.cql);
    this.appender = new EventAppender(this.cql, layout, this.namespaces);
    this.checkpoints = new CheckpointTable(this.cql, layout);
    this.snapshots = new SnapshotReader(this.cql, layout, this.namespaces, this.checkpoints);
    this.removal = new NamespaceRemoval(this.cql, layout);
  }

  /** Connects, creates the keyspace and migrates the schema when needed. */
  static async connect(opts: CassandraOptions, log: Pick<Logger, 'info' | 'warn'>): Promise<CassandraStore> {
    const client = await connectClient(opts);
    try {
      const layout = await migrate(client, opts, log);
      return new CassandraStore(client, layout, opts);
    } catch (err) {
      await client.shutdown().catch(() => {});
      throw err;
    }
  }

  listNamespaces(): Promise<NamespaceConfig[]> {
    return this.namespaces.list();
  }

  getNamespace(name: string): Promise<NamespaceConfig | undefined> {
    return this.namespaces.get(name);
  }

  createNamespace(ns: NamespaceConfig): Promise<NamespaceConfig> {
    return this.namespaces.create(ns);
  }

  updateNamespace(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    return this.namespaces.update(ns);
  }

  markNamespaceDeleted(name: string, deletedAtMs: number): Promise<boolean> {
    return this.namespaces.markDeleted(name, deletedAtMs);
  }

  listDeletedNamespaces(): Promise<DeletedNamespace[]> {
    return this.namespaces.listDeleted();
  }

  dropNamespace(name: string): Promise<void> {
    return this.namespaces.drop(name);
  }

  /** See ./removal.ts. The checkpoints this process remembers of the namespace are forgotten too. */
  async removeNamespaceData(name: string): Promise<{ removed: number }> {
    const r = await this.removal.remove(name);
    this.checkpoints.forget(name);
    return r;
  }

  append(events: CounterEvent[]): Promise<AppendResult[]> {
    return this.appender.append(events);
  }

  readSnapshots(query: SnapshotQuery): Promise<CounterSnapshot[]> {
    return this.snapshots.read(query);
  }

  writeCheckpoints(items: CheckpointWrite[]): Promise<void> {
    return this.checkpoints.write(items);
  }

  listPending(query: PendingQuery): Promise<CounterRef[]> {
    return this.checkpoints.listPending(query);
  }

  /**
   * Events carry a TTL of their namespace's retention, so Cassandra expires them itself
   * (and TimeWindowCompactionStrategy drops whole expired SSTables): nothing to delete here.
   */
  async purge(_query: PurgeQuery): Promise<PurgeResult> {
    return { deleted: 0 };
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT release_version FROM system.local', [], { consistency: types.consistencies.localOne });
  }

  async close(): Promise<void> {
    await this.appender.drain();
    await this.client.shutdown();
  }

  /** The layout in use (tests, logs). */
  get settings(): Readonly<Layout> {
    return this.layout;
  }

  /** Drops a keyspace (tests' cleanup). */
  async dropKeyspace(keyspace: string): Promise<void> {
    await this.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], DDL_OPTIONS);
  }
}
