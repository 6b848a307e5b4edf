import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster, type Redis } from 'ioredis';
import { counterTag } from '../../../src/cache/redis/keys';
import { keySlot } from '../../../src/cache/redis/slots';
import type { CounterRef } from '../../../src/model';

/**
 * The Redis Cluster of the cluster tests: scripts/redis/cluster.sh (3 masters on
 * 127.0.0.1:6381-6383; `scripts/services.sh start cluster` starts it).
 */
export const clusterPorts = (): number[] => (process.env.REDIS_CLUSTER_PORTS ?? '6381 6382 6383').trim().split(/\s+/).map(Number);
export const clusterNodesSetting = (): string => clusterPorts().map((p) => `127.0.0.1:${p}`).join(',');

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'redis', 'cluster.sh');

/** Runs scripts/redis/cluster.sh (kill PORT, restart PORT, status), its log on failure. */
export async function clusterScript(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)(SCRIPT, args, { timeout: 90_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`scripts/redis/cluster.sh ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/**
 * A Cluster client for the test itself (seeding, probing, cleanup). Fails loudly, never
 * skips, when the cluster is not there or not ok.
 */
export async function connectTestCluster(opts: { shardedSubscribers?: boolean } = {}): Promise<Cluster> {
  const c = new Cluster(
    clusterPorts().map((port) => ({ host: '127.0.0.1', port })),
    { lazyConnect: true, redisOptions: { connectTimeout: 3000, maxRetriesPerRequest: 1 }, clusterRetryStrategy: () => null, ...opts },
  );
  c.on('error', () => {});
  try {
    await c.connect();
    const info = String(await c.cluster('INFO'));
    if (!/cluster_state:ok/.test(info) || !/cluster_slots_assigned:16384/.test(info)) throw new Error(`cluster not ok:\n${info}`);
  } catch (err) {
    c.disconnect();
    throw new Error(
      `the Redis Cluster is not reachable on ${clusterNodesSetting()} (run scripts/services.sh start cluster, or scripts/redis/cluster.sh start): ${(err as Error).message}`,
    );
  }
  return c;
}

/** The port of the master serving each slot, from the cluster's own slot table (CLUSTER SLOTS). */
export async function slotMasters(c: Cluster): Promise<(key: string) => number> {
  const ranges = await c.cluster('SLOTS');
  return (key) => {
    const slot = keySlot(key);
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} is not assigned`);
    return range[2]![1];
  };
}

/**
 * `count` counter names of a namespace whose keys (`prefix` be: tag) live on the master of
 * `port` (on: true) or on the other masters (on: false).
 */
export async function countersOn(c: Cluster, prefix: string, namespace: string, port: number, on: boolean, count: number, stem = 'c'): Promise<string[]> {
  const masterOf = await slotMasters(c);
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    if (i > 10_000) throw new Error(`no counter names found on ${on ? '' : 'other than '}${port}`);
    const ref: CounterRef = { namespace, name: `${stem}${i}` };
    if ((masterOf(`${prefix}be:${counterTag(ref)}`) === port) === on) names.push(ref.name);
  }
  return names;
}

/** Deletes every key under a prefix on every master (the test's cleanup). */
export async function dropClusterPrefix(c: Cluster, prefix: string): Promise<void> {
  await Promise.all(
    c.nodes('master').map(async (node: Redis) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) await node.del(k);
      } while (cursor !== '0');
    }),
  );
}
