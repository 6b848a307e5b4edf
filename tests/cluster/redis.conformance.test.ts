import type { Cluster } from 'ioredis';
import { connectCluster } from '../../src/backends';
import { RedisBestEffortCache } from '../../src/cache/redis/bestEffort';
import { RedisConvergedCache } from '../../src/cache/redis/convergedCache';
import { counterTag } from '../../src/cache/redis/keys';
import { RedisPubSub } from '../../src/pubsub/redis';
import { cacheConformance } from '../integration/conformance/cache.conformance';
import { pubsubConformance } from '../integration/conformance/pubsub.conformance';
import { freshPrefix } from '../integration/helpers/redis';
import { clusterPorts, connectTestCluster, dropClusterPrefix, slotMasters } from './helpers/redisCluster';

/**
 * The cache and pub/sub rules every backend follows (tests/integration/conformance), over a
 * Redis Cluster with the service's own client options: the Redis caches and pub/sub as the
 * service runs them with REDIS_CLUSTER_NODES. The counters of a suite spread over every
 * master (their names hash all over), so the scripts, the slot-split reads and the sharded
 * subscriptions are exercised on each.
 */
const timeouts = { commandTimeoutMs: 1000, connectTimeoutMs: 2000, socketTimeoutMs: 5000 };
const seeds = () => clusterPorts().map((port) => ({ host: '127.0.0.1', port }));
const quiet = { warn: () => {} };

/** A client as the service connects it (backends.ts). */
async function serviceCluster(role: 'cmd' | 'sub'): Promise<Cluster> {
  await connectTestCluster().then((c) => c.quit()); // fails loudly when the cluster is missing
  return connectCluster(seeds(), timeouts, quiet, role);
}

const prefix = freshPrefix();
const opened: Cluster[] = [];

cacheConformance(
  'redis cluster',
  async () => {
    const c = await serviceCluster('cmd');
    opened.push(c);
    return { bestEffort: new RedisBestEffortCache(c, prefix), converged: new RedisConvergedCache(c, prefix) };
  },
  async () => {
    const c = opened.pop();
    if (!c) return;
    const probe = await connectTestCluster();
    await dropClusterPrefix(probe, prefix);
    await probe.quit();
    await c.quit();
  },
);

pubsubConformance(
  'redis cluster (sharded pub/sub)',
  async () => {
    const p = freshPrefix();
    const conns = await Promise.all([serviceCluster('cmd'), serviceCluster('sub'), serviceCluster('cmd'), serviceCluster('sub')]);
    const [pa, sa, pb, sb] = conns as [Cluster, Cluster, Cluster, Cluster];
    const a = new RedisPubSub(pa, sa, quiet, p);
    const b = new RedisPubSub(pb, sb, quiet, p);
    return {
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        await Promise.all(conns.map((c) => c.quit()));
      },
    };
  },
  // SSUBSCRIBE/SUNSUBSCRIBE are asynchronous round trips to a master.
  100,
);

describe('redis cluster: specifics', () => {
  it("reads many counters at once over every master (one MGET per slot), each in its place", async () => {
    const c = await serviceCluster('cmd');
    const probe = await connectTestCluster();
    const p = freshPrefix();
    try {
      const be = new RedisBestEffortCache(c, p);
      const refs = Array.from({ length: 60 }, (_, i) => ({ namespace: 'n', name: `m${i}` }));
      const masterOf = await slotMasters(probe);
      expect(new Set(refs.map((r) => masterOf(`${p}be:${counterTag(r)}`))).size).toBe(clusterPorts().length);
      for (const [i, ref] of refs.entries()) {
        if (i % 3 !== 0) await be.add({ ref, delta: BigInt(i), timeUs: Date.now() * 1000, ttlSeconds: null, dedupe: null });
      }
      expect(await be.get(refs)).toEqual(refs.map((_, i) => (i % 3 === 0 ? 0n : BigInt(i))));
      const cc = new RedisConvergedCache(c, p);
      const res = await cc.setMany({ entries: refs.map((ref, i) => ({ ref, value: BigInt(-i) })), asOfMs: 5 });
      expect(res.changed).toEqual(refs.map(() => true));
      expect(await cc.get(refs)).toEqual(refs.map((_, i) => BigInt(-i)));
      // the namespace's removal scans every master
      expect(await be.clearNamespace('n')).toBe(40); // the 40 counters written: no dedupe marks, no watermarks
      expect(await cc.clearNamespace('n')).toBe(60);
      expect(await be.get(refs)).toEqual(refs.map(() => 0n));
    } finally {
      await dropClusterPrefix(probe, p);
      await Promise.all([c.quit(), probe.quit()]);
    }
  });

  it("puts a counter's update channel in its keys' slot, one sharded channel per counter, released with the last listener", async () => {
    const [pub, sub] = await Promise.all([serviceCluster('cmd'), serviceCluster('sub')]);
    const probe = await connectTestCluster();
    const p = freshPrefix();
    const ps = new RedisPubSub(pub, sub, quiet, p);
    const shardChannels = async () =>
      (await Promise.all(probe.nodes('master').map((n) => n.call('PUBSUB', 'SHARDCHANNELS', `${p}*`) as Promise<string[]>))).flat().sort();
    try {
      const x = { namespace: 'n', name: 'x' };
      const offs = Array.from({ length: 3 }, () => ps.subscribe(x, () => {}));
      offs.push(ps.subscribe({ namespace: 'n', name: 'y' }, () => {}));
      await new Promise((r) => setTimeout(r, 300));
      expect(await shardChannels()).toEqual([`${p}cu:${counterTag(x)}`, `${p}cu:{1:n:y}`]);
      const masterOf = await slotMasters(probe);
      expect(masterOf(`${p}cu:${counterTag(x)}`)).toBe(masterOf(`${p}be:${counterTag(x)}`));
      for (const off of offs) off();
      await new Promise((r) => setTimeout(r, 300));
      expect(await shardChannels()).toEqual([]);
    } finally {
      await ps.close();
      await Promise.all([pub, sub, probe].map((c) => c.quit()));
    }
  });
});
