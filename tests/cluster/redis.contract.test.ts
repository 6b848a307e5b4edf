import { clusterPrefix } from './helpers/clusterEnv';
import { connectTestCluster, dropClusterPrefix } from './helpers/redisCluster';
// The public contract, rule by rule in every mode (BEST_EFFORT's counters, idempotency
// records and clear watermarks in the cluster, spread over its masters; EVENTUAL's converged
// values in it), unchanged: the suite of tests/integration, its servers on REDIS_CLUSTER_NODES.
import '../integration/contract.test';

beforeAll(async () => {
  await connectTestCluster().then((c) => c.quit()); // fails loudly when the cluster is missing
});

afterAll(async () => {
  const c = await connectTestCluster();
  await dropClusterPrefix(c, clusterPrefix);
  await c.quit();
});

// Declared after the suite, so it runs after it: the counters really lived in the cluster.
it("the contract's counters were kept in the cluster, on every master", async () => {
  const c = await connectTestCluster();
  try {
    const perMaster = await Promise.all(c.nodes('master').map(async (n) => (await n.scan('0', 'MATCH', `${clusterPrefix}*`, 'COUNT', 100_000))[1].length));
    expect(perMaster).toHaveLength(3);
    for (const keys of perMaster) expect(keys).toBeGreaterThan(0);
  } finally {
    await c.quit();
  }
});
