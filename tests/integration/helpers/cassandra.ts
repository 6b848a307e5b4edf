import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../../../src/config';
import { CassandraStore, type CassandraOptions } from '../../../src/store/cassandra/cassandraStore';

/** A fresh keyspace name per test file. */
export const freshKeyspace = (): string => `test_${randomBytes(6).toString('hex')}`;

/** The store options for a keyspace, from CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042). */
export function cassandraOptions(keyspace: string, extra: Record<string, string | number> = {}): CassandraOptions {
  return loadConfig(process.env, { CASSANDRA_KEYSPACE: keyspace, ...extra }).cassandra;
}

/** Connects (and migrates); fails loudly, never skips, when Cassandra does not answer. */
export async function openCassandra(keyspace: string, extra: Record<string, string | number> = {}): Promise<CassandraStore> {
  const opts = cassandraOptions(keyspace, extra);
  try {
    return await CassandraStore.connect(opts, { info: () => {}, warn: () => {} });
  } catch (err) {
    throw new Error(
      `Cassandra store could not be opened (CASSANDRA_CONTACT_POINTS=${opts.contactPoints.join(',')}; ` +
        `npm test / scripts/services.sh start runs one): ${(err as Error).message}`,
    );
  }
}

/** Drops a test keyspace with a short-lived client of its own. */
export async function dropKeyspace(keyspace: string): Promise<void> {
  const opts = cassandraOptions(keyspace);
  const client = new cassandra.Client({ contactPoints: opts.contactPoints, localDataCenter: opts.localDataCenter });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}
