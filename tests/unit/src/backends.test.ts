import { clusterOptions, redisOptions, within } from '../../../src/backends';

const t = { commandTimeoutMs: 700, connectTimeoutMs: 1500, socketTimeoutMs: 4000 };

describe('redisOptions', () => {
  it('bounds every command, connect and silent socket on both connections', () => {
    for (const role of ['cmd', 'sub'] as const) {
      const o = redisOptions(t, role);
      expect(o).toMatchObject({ commandTimeout: 700, connectTimeout: 1500, socketTimeout: 4000, lazyConnect: true });
    }
  });

  it('commands fail at once while disconnected and are never resent after a reconnect (an add could count twice)', () => {
    expect(redisOptions(t, 'cmd')).toMatchObject({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 });
  });

  it('the subscriber queues while disconnected (a SUBSCRIBE made during an outage still happens)', () => {
    expect(redisOptions(t, 'sub')).toMatchObject({ enableOfflineQueue: true });
  });
});

describe('clusterOptions (REDIS_CLUSTER_NODES)', () => {
  it("gives every node connection the single Redis' options of its role", () => {
    expect(clusterOptions(t, 'cmd').redisOptions).toEqual(redisOptions(t, 'cmd'));
    // but for lazyConnect: every master's subscriber connection is made at once, not at its first SSUBSCRIBE
    expect(clusterOptions(t, 'sub').redisOptions).toEqual({ ...redisOptions(t, 'sub'), lazyConnect: false });
  });

  it('commands: never resent to the cluster after their connection closed (an add could count twice), never queued for a cluster not there', () => {
    expect(clusterOptions(t, 'cmd')).toMatchObject({ retryDelayOnFailover: 0, enableOfflineQueue: false, shardedSubscribers: false });
  });

  it('subscriber: sharded subscribers, one per master, queueing while the cluster is away', () => {
    expect(clusterOptions(t, 'sub')).toMatchObject({ shardedSubscribers: true, enableOfflineQueue: true });
  });
});

describe('within', () => {
  it('passes the answer through', async () => {
    await expect(within(1000, Promise.resolve(3))).resolves.toBe(3);
    await expect(within(1000, Promise.reject(new Error('down')))).rejects.toThrow('down');
  });

  it('rejects once the deadline passes without an answer', async () => {
    const t0 = Date.now();
    await expect(within(30, new Promise(() => {}))).rejects.toThrow('no answer within 30 ms');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
