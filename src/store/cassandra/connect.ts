import cassandra from 'cassandra-driver';
import type { Logger } from '../../logger';
import { fixLayout, type Layout } from './layout';
import { migrations, SCHEMA_VERSION_TABLE } from './schema';
import { NextNodeRetryPolicy } from './retry';
import { consistency, type CassandraOptions } from './session';
import { CountingTracker } from './tracker';

const { types } = cassandra;

/** How long the driver waits for a connection to a node to open. */
const CONNECT_TIMEOUT_MS = 5000;
/** The driver's per-request timeout (queries with a tighter bound of their own set it themselves). */
const READ_TIMEOUT_MS = 12_000;
/**
 * How long a schema change may take to reach every node before the start fails. Past
 * Cassandra's own pace on a healthy cluster: a node that missed the coordinator's push (sent
 * once) pulls the schema only after its migration delay (60 s by default), so agreement can
 * take a little over a minute with nothing wrong.
 */
const SCHEMA_AGREEMENT_S = 150;
/** After this long without agreement the start says which nodes disagree (then every such interval). */
const SCHEMA_AGREEMENT_WARN_MS = 15_000;

/**
 * A schema change runs once, on one coordinator: never speculated nor retried on another
 * node while it may still be running there. Two coordinators applying the same
 * `CREATE TABLE IF NOT EXISTS` at once each give the table an id of their own; the cluster
 * keeps one, and a node left with the other rejects the table's writes ("Attempting to mutate
 * non-existant table", then "Unknown CF" on a later DROP, which wedges that node's schema).
 * Seen on the 3-node test cluster when the driver speculated a DDL that took over 500 ms.
 * So: not idempotent for the driver, and a timeout long enough for a loaded cluster.
 */
export const DDL_OPTIONS: cassandra.QueryOptions = { isIdempotent: false, prepare: false, readTimeout: 60_000 };

/**
 * The CQL port of the nodes the driver discovers: it reads none from system.peers and takes
 * this one for every peer, so a cluster on another port than 9042 is reached on its own.
 */
export function peerPort(contactPoints: readonly string[]): number | undefined {
  const ports = new Set(contactPoints.map((p) => /:(\d+)$/.exec(p)?.[1] ?? '9042'));
  return ports.size === 1 ? Number([...ports][0]) : undefined;
}

/** Opens a client on the contact points; throws with the address and data center when none answers. */
export async function connectClient(opts: CassandraOptions): Promise<cassandra.Client> {
  const port = peerPort(opts.contactPoints);
  const clientOptions: cassandra.ClientOptions = {
    contactPoints: opts.contactPoints,
    localDataCenter: opts.localDataCenter,
    // After a schema change the driver waits until every live node has it: a cluster applies
    // it node by node, and the next statement may run on a node that has not yet
    // ("Keyspace ... does not exist" right after CREATE KEYSPACE on a loaded 3-node cluster).
    protocolOptions: { maxSchemaAgreementWaitSeconds: SCHEMA_AGREEMENT_S, ...(port === undefined ? {} : { port }) },
    policies: {
      retry: new NextNodeRetryPolicy(opts.retries),
      // Only statements marked idempotent are ever speculated (the driver checks).
      speculativeExecution:
        opts.speculativeExecutions > 0
          ? new cassandra.policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(opts.speculativeDelayMs, opts.speculativeExecutions)
          : new cassandra.policies.speculativeExecution.NoSpeculativeExecutionPolicy(),
    },
    // bigint columns decode to and encode from JS bigint: counts stay exact over 64 bits.
    encoding: { useBigIntAsLong: true },
    socketOptions: { connectTimeout: CONNECT_TIMEOUT_MS, readTimeout: READ_TIMEOUT_MS },
    // Idempotence is stated by each statement (reads and the store's writes say so; DDL and
    // LWTs must not be retried elsewhere): the driver's default, false, for anything else.
    queryOptions: { prepare: true },
    // Every request counted by statement (cassandra_requests_total): cheap, so always on.
    requestTracker: new CountingTracker(),
    ...(opts.username ? { credentials: { username: opts.username, password: opts.password ?? '' } } : {}),
  };
  const client = new cassandra.Client(clientOptions);
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => {});
    throw new Error(
      `Cassandra is not reachable at ${opts.contactPoints.join(',')} (data center ${opts.localDataCenter}): ${(err as Error).message}`,
    );
  }
  return client;
}

/**
 * Waits until every node the driver holds as up reports one schema version in its own
 * system.local. The driver's own wait (after a schema change) compares the versions its
 * control node has heard by gossip, which can agree before a node has applied the change:
 * the next statement then fails there with "Keyspace ... does not exist" (seen on a loaded
 * 3-node cluster). Throws after SCHEMA_AGREEMENT_S.
 */
async function awaitSchemaAgreement(client: cassandra.Client, after: string, log: Pick<Logger, 'warn'>): Promise<void> {
  const start = Date.now();
  const deadline = start + SCHEMA_AGREEMENT_S * 1000;
  let nextWarn = start + SCHEMA_AGREEMENT_WARN_MS;
  for (;;) {
    const hosts = client.hosts.values().filter((h) => h.isUp());
    const versions = await Promise.all(
      hosts.map((host) =>
        client
          .execute('SELECT schema_version FROM system.local', [], { host, isIdempotent: true })
          .then((rs) => String(rs.first()?.['schema_version']))
          // a node that does not answer takes the schema from its peers when it is back
          .catch(() => undefined),
      ),
    );
    if (new Set(versions.filter((v) => v !== undefined)).size <= 1) return;
    if (Date.now() > nextWarn) {
      nextWarn += SCHEMA_AGREEMENT_WARN_MS;
      const byNode = Object.fromEntries(hosts.map((h, i) => [h.address, versions[i] ?? 'no answer']));
      log.warn({ waitedMs: Date.now() - start, limitS: SCHEMA_AGREEMENT_S, versions: byNode, after: after.split('\n')[0] }, 'cassandra nodes do not agree on the schema yet; waiting');
    }
    if (Date.now() > deadline) {
      throw new Error(`the Cassandra nodes did not agree on the schema within ${SCHEMA_AGREEMENT_S} s after: ${after.split('\n')[0]} (${hosts.map((h, i) => `${h.address}: ${versions[i] ?? 'no answer'}`).join(', ')})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Creates the keyspace when missing, applies the schema steps not yet recorded in
 * `schema_version`, and returns the layout the data is written with (see fixLayout).
 */
export async function migrate(client: cassandra.Client, opts: CassandraOptions, log: Pick<Logger, 'info' | 'warn'>): Promise<Layout> {
  const ks = opts.keyspace;
  const wc = consistency(opts.writeConsistency);
  const ddl = async (cql: string): Promise<void> => {
    await client.execute(cql, [], DDL_OPTIONS);
    await awaitSchemaAgreement(client, cql, log);
  };
  await ddl(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${opts.localDataCenter}': ${opts.replicationFactor}}`);
  // Not prepared: a prepared USE is an unqualified statement Cassandra warns about on every connection that already uses the keyspace.
  await client.execute(`USE ${ks}`, [], { prepare: false });
  await ddl(SCHEMA_VERSION_TABLE);
  const vr = await client.execute(`SELECT version FROM schema_version WHERE id = 'schema'`, [], { isIdempotent: true, consistency: types.consistencies.localQuorum });
  const version = (vr.first()?.['version'] as number | undefined) ?? 0;
  const steps = migrations();
  for (let v = version; v < steps.length; v++) {
    for (const cql of steps[v]!) await ddl(cql);
    await client.execute(`INSERT INTO schema_version (id, version, updated_at) VALUES ('schema', ?, toTimestamp(now()))`, [v + 1], {
      prepare: true,
      consistency: wc,
    });
    log.info({ keyspace: ks, version: v + 1 }, 'cassandra schema migrated');
  }
  const wanted: Layout = { secondsPerBucket: opts.secondsPerBucket, bucketsPerId: opts.bucketsPerId, pendingShards: opts.pendingShards };
  return fixLayout(client, wanted, wc, log);
}
