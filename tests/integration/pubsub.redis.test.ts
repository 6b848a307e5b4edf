import { RedisPubSub } from '../../src/pubsub/redis';
import { pubsubConformance } from './conformance/pubsub.conformance';
import { connectRedis, freshPrefix } from './helpers/redis';

const quiet = { warn: () => {} };

pubsubConformance(
  'redis',
  async () => {
    const prefix = freshPrefix();
    const conns = await Promise.all([connectRedis(), connectRedis(), connectRedis(), connectRedis()]);
    const [pa, sa, pb, sb] = conns as [typeof conns[0], typeof conns[0], typeof conns[0], typeof conns[0]];
    const a = new RedisPubSub(pa, sa, quiet, prefix);
    const b = new RedisPubSub(pb, sb, quiet, prefix);
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
  // SUBSCRIBE/UNSUBSCRIBE are asynchronous round trips to Redis.
  50,
);

describe('redis pubsub: specifics', () => {
  it('holds one Redis channel per counter with listeners, released with the last one', async () => {
    const prefix = freshPrefix();
    const [pub, sub, probe] = await Promise.all([connectRedis(), connectRedis(), connectRedis()]);
    const ps = new RedisPubSub(pub, sub, quiet, prefix);
    try {
      const offs = Array.from({ length: 3 }, () => ps.subscribe({ namespace: 'n', name: 'x' }, () => {}));
      offs.push(ps.subscribe({ namespace: 'n', name: 'y' }, () => {}));
      await new Promise((r) => setTimeout(r, 100));
      const channels = (await probe.pubsub('CHANNELS', `${prefix}*`)) as string[];
      expect(channels.sort()).toEqual([`${prefix}cu:1:n:x`, `${prefix}cu:1:n:y`]);
      for (const off of offs) off();
      await new Promise((r) => setTimeout(r, 100));
      expect(await probe.pubsub('CHANNELS', `${prefix}*`)).toEqual([]);
    } finally {
      await ps.close();
      await Promise.all([pub, sub, probe].map((c) => c.quit()));
    }
  });
});
