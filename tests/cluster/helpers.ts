import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * The cluster the runner (scripts/test-cluster.sh) started and exported: the contact points of
 * the 3 nodes, the replication factor, and the Redis settings, which the service instances of
 * these tests take from here.
 */
export function clusterEnv(): Record<string, string> {
  const points = process.env.CASSANDRA_CONTACT_POINTS ?? '';
  if (points.split(',').length !== 3 || process.env.CASSANDRA_REPLICATION_FACTOR !== '3') {
    throw new Error(
      `the cluster tests need the 3 contact points of scripts/services.sh start cluster and CASSANDRA_REPLICATION_FACTOR=3 (got ${JSON.stringify(points)}); run npm run test:cluster`,
    );
  }
  const env: Record<string, string> = { COUNTER_STORE: 'cassandra', CASSANDRA_CONTACT_POINTS: points, CASSANDRA_REPLICATION_FACTOR: '3' };
  for (const k of ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_KEY_PREFIX', 'ROLLUP_SKEW_MARGIN_MS']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** The contact points of nodes 1-3, host:port. */
export const contactPoints = (): string[] => clusterEnv().CASSANDRA_CONTACT_POINTS!.split(',').map((p) => p.trim());

/** Node n's contact point (1-3). */
export const nodePoint = (n: number): string => contactPoints()[n - 1]!;

/** scripts/services.sh kill|restart|nodetool cassandra N ..., without blocking the event loop (writers run meanwhile); its stdout. */
export async function services(...args: string[]): Promise<string> {
  const { stdout } = await run(path.join(ROOT, 'scripts', 'services.sh'), args, { cwd: ROOT, timeout: 300_000 });
  return stdout;
}

/**
 * A driver session that only ever talks to node n, at consistency ONE: it reads what that
 * node holds itself (the nodes sort themselves first among replicas, GossipingPropertyFileSnitch;
 * at replication factor 3 every node holds every row). n = 0: every node, at LOCAL_QUORUM.
 */
export async function pinnedSession(n: number, keyspace: string): Promise<cassandra.Client> {
  const point = nodePoint(n === 0 ? 1 : n);
  const [host, port] = point.split(':');
  const client = new cassandra.Client({
    contactPoints: [point],
    localDataCenter: 'datacenter1',
    keyspace,
    protocolOptions: { port: Number(port ?? 9042) },
    encoding: { useBigIntAsLong: true },
    queryOptions: { consistency: n === 0 ? cassandra.types.consistencies.localQuorum : cassandra.types.consistencies.one, prepare: true },
    policies: {
      ...(n === 0
        ? {}
        : {
            loadBalancing: new cassandra.policies.loadBalancing.AllowListPolicy(new cassandra.policies.loadBalancing.RoundRobinPolicy(), [
              `${host}:${port ?? 9042}`,
            ]),
          }),
      retry: new cassandra.policies.retry.FallthroughRetryPolicy(),
    },
  });
  await client.connect();
  return client;
}
