import cassandra from 'cassandra-driver';
import type { NamespaceConfig } from '../../model';
import { namespaceBeingDeleted } from '../deleting';
import type { DeletedNamespace } from '../types';
import type { CqlSession } from './session';

const { types } = cassandra;

/** Rows per page of the namespace listing. */
const NAMESPACE_PAGE_SIZE = 1000;
/** Cassandra's largest TTL (20 years). */
const MAX_TTL_SECONDS = 630_720_000;
const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;
const COLUMNS = 'name, mode, ttl_seconds, retention_seconds, accept_limit_ms, deleted_at';

/**
 * The `namespaces` table (the control plane), and each namespace's retention, which is the
 * TTL of its events.
 */
export class NamespaceTable {
  /** Retention (events' TTL) per namespace, as last read or written here (an update through another instance arrives with the next listing). */
  private readonly retention = new Map<string, number>();
  /** The reads of a namespace's settings in flight: concurrent appends to a namespace not yet cached share one. */
  private readonly loading = new Map<string, Promise<NamespaceConfig | undefined>>();

  constructor(private readonly cql: CqlSession) {}

  /** The live namespaces (a row with a tombstone is none). */
  async list(): Promise<NamespaceConfig[]> {
    const rows = (await this.rows()).filter((row) => row['deleted_at'] == null).map((row) => this.toNamespace(row));
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listDeleted(): Promise<DeletedNamespace[]> {
    return (await this.rows())
      .filter((row) => row['deleted_at'] != null)
      .map((row) => ({ name: row['name'] as string, deletedAtMs: Number(row['deleted_at'] as bigint) }));
  }

  async get(name: string): Promise<NamespaceConfig | undefined> {
    const r = await this.cql.read(`SELECT ${COLUMNS} FROM namespaces WHERE name = ?`, [name]);
    const row = r.first();
    return row && row['deleted_at'] == null ? this.toNamespace(row) : undefined;
  }

  /** Every row, tombstoned or not. One small partition per namespace; the table holds few rows, so a full scan is fine here. */
  private async rows(): Promise<cassandra.types.Row[]> {
    const rows: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    do {
      const r = await this.cql.read(`SELECT ${COLUMNS} FROM namespaces`, [], { fetchSize: NAMESPACE_PAGE_SIZE, ...(pageState ? { pageState } : {}) });
      rows.push(...r.rows);
      pageState = r.pageState ?? undefined;
    } while (pageState);
    return rows;
  }

  /** An LWT conditioned on a live row: of two concurrent deletes (or a delete and an update) one wins. */
  async markDeleted(name: string, deletedAtMs: number): Promise<boolean> {
    const r = await this.lwt('UPDATE namespaces SET deleted_at = ? WHERE name = ? IF mode IN ? AND deleted_at = null', [
      BigInt(deletedAtMs),
      name,
      ['BEST_EFFORT', 'EVENTUAL', 'ACCURATE'],
    ]);
    return r.first()?.['[applied]'] === true;
  }

  /** Removes the row only while it carries a tombstone (a live row of the name is never dropped). */
  async drop(name: string): Promise<void> {
    await this.lwt('DELETE FROM namespaces WHERE name = ? IF deleted_at > ?', [name, 0n]);
    this.retention.delete(name);
  }

  private lwt(cql: string, params: unknown[]): Promise<cassandra.types.ResultSet> {
    return this.cql.slot(() =>
      this.cql.client.execute(cql, params, {
        prepare: true,
        consistency: this.cql.writeConsistency,
        serialConsistency: types.consistencies.localSerial,
        isIdempotent: false,
      }),
    );
  }

  async create(ns: NamespaceConfig): Promise<NamespaceConfig> {
    // An LWT: two instances creating the same name at once agree on one winner.
    const r = await this.cql.slot(() =>
      this.cql.client.execute(
        `INSERT INTO namespaces (name, mode, ttl_seconds, retention_seconds, accept_limit_ms, created_at)
         VALUES (?, ?, ?, ?, ?, toTimestamp(now())) IF NOT EXISTS`,
        [ns.name, ns.mode, ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs],
        { prepare: true, consistency: this.cql.writeConsistency, serialConsistency: types.consistencies.localSerial, isIdempotent: false },
      ),
    );
    const row = r.first();
    if (row && row['[applied]'] === false && row['deleted_at'] != null) throw namespaceBeingDeleted(ns.name);
    const stored = row && row['[applied]'] === false && row['mode'] != null ? this.toNamespace(row) : { ...ns };
    this.retention.set(stored.name, stored.retentionSeconds);
    return stored;
  }

  /**
   * A lightweight transaction conditioned on the mode: a concurrent update through another
   * instance is serialized with this one (the last one wins whole), and a mode never changes.
   * Events already written keep the TTL (retention) they were written with.
   */
  async update(ns: NamespaceConfig): Promise<NamespaceConfig | undefined> {
    const r = await this.cql.slot(() =>
      this.cql.client.execute(
        'UPDATE namespaces SET ttl_seconds = ?, retention_seconds = ?, accept_limit_ms = ? WHERE name = ? IF mode = ? AND deleted_at = null',
        [ns.ttlSeconds, ns.retentionSeconds, ns.acceptLimitMs, ns.name, ns.mode],
        { prepare: true, consistency: this.cql.writeConsistency, serialConsistency: types.consistencies.localSerial, isIdempotent: false },
      ),
    );
    if (r.first()?.['[applied]'] === true) {
      this.retention.set(ns.name, ns.retentionSeconds);
      return { ...ns };
    }
    // Not applied: no such row (mode null), or another mode. Read it whole (serial reads
    // are not needed: the mode of a row never changes).
    return this.get(ns.name);
  }

  /** The TTL of a namespace's events: its retention, within what Cassandra accepts. */
  async ttlFor(namespace: string): Promise<number> {
    let s = this.retention.get(namespace);
    if (s === undefined) s = (await this.load(namespace))?.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    return Math.max(1, Math.min(MAX_TTL_SECONDS, s));
  }

  /**
   * One read per namespace at a time for the settings an append needs: the first burst of a
   * process (hundreds of concurrent appends) would otherwise read the row once per append,
   * and could push appends past their pre-insert budget.
   */
  private load(namespace: string): Promise<NamespaceConfig | undefined> {
    let p = this.loading.get(namespace);
    if (!p) {
      p = this.get(namespace).finally(() => this.loading.delete(namespace));
      this.loading.set(namespace, p);
    }
    return p;
  }

  private toNamespace(row: cassandra.types.Row): NamespaceConfig {
    const ns: NamespaceConfig = {
      name: row['name'] as string,
      mode: row['mode'] as NamespaceConfig['mode'],
      ttlSeconds: (row['ttl_seconds'] as number | null) ?? null,
      retentionSeconds: row['retention_seconds'] as number,
      acceptLimitMs: row['accept_limit_ms'] as number,
    };
    this.retention.set(ns.name, ns.retentionSeconds);
    return ns;
  }
}
