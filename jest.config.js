/**
 * Two projects (a third, `cluster`, only under `npm run test:cluster`). `unit` (`npm run test:unit`): pure logic, no service reachable, no build,
 * mirrors the source tree (tests/unit/<path of the module>.test.ts). `integration`: real
 * servers on loopback, a real Redis and Cassandra; `npm test` runs both projects in band
 * (2 cores: parallel servers only add noise).
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['**/*.test.ts'],
};

const integration = {
  ...common,
  displayName: 'integration',
  roots: ['<rootDir>/tests/integration'],
  // Builds dist/ when stale: the crash tests run the service process, and the embedded
  // store's writer thread is a worker that loads compiled JavaScript.
  globalSetup: '<rootDir>/tests/integration/globalSetup.ts',
};

/**
 * `npm test` runs the contract suite a second time over the single Cassandra node, one
 * instance without Redis (the suites of tests/integration start the embedded store unless
 * told otherwise; `npm run test:cluster` runs it over the cluster, with Redis).
 */
const integrationCassandra = {
  ...integration,
  displayName: 'integration-cassandra',
  testMatch: ['<rootDir>/tests/integration/contract.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/integration/setup/cassandraStore.ts'],
};

/**
 * `npm run test:cluster` (scripts/test-cluster.sh sets TEST_CLUSTER=1 and the cluster's
 * contact points): tests/cluster over a 3-node Cassandra at replication factor 3, plus the
 * suites of tests/integration that take their store from the environment, run again over it.
 */
const cluster = {
  ...integration,
  displayName: 'cluster',
  roots: ['<rootDir>/tests'],
  testMatch: ['<rootDir>/tests/cluster/**/*.test.ts', '<rootDir>/tests/integration/contract.test.ts', '<rootDir>/tests/integration/store.cassandra.test.ts'],
};

module.exports = {
  // Jest 29 reads testTimeout from the top level only (inside a project it is an unknown
  // option and tests fall back to 5 s), so one bound serves both: the integration tests need it.
  // Over the 3-node cluster a suite's schema set-up (DDL waits for all three nodes to agree)
  // takes several times as long as on one node, on the same 2 cores.
  testTimeout: process.env.TEST_CLUSTER === '1' ? 180_000 : 60_000,
  // A global option too: over the cluster, the suites that kill a node run last.
  ...(process.env.TEST_CLUSTER === '1' ? { testSequencer: '<rootDir>/tests/cluster/sequencer.js' } : {}),
  projects: process.env.TEST_CLUSTER === '1' ? [cluster] : [{ ...common, displayName: 'unit', roots: ['<rootDir>/tests/unit'] }, integration, integrationCassandra],
};
