/**
 * Two projects. `unit` (`npm run test:unit`): pure logic, no service reachable, no build,
 * mirrors the source tree (tests/unit/<path of the module>.test.ts). `integration`: real
 * servers on loopback, a real Redis and Cassandra; `npm test` runs both projects in band
 * (2 cores: parallel servers only add noise).
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['**/*.test.ts'],
};

module.exports = {
  // Jest 29 reads testTimeout from the top level only (inside a project it is an unknown
  // option and tests fall back to 5 s), so one bound serves both: the integration tests need it.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/tests/unit'] },
    // Builds dist/ when stale: the crash tests run the service process, and the embedded
    // store's writer thread is a worker that loads compiled JavaScript.
    { ...common, displayName: 'integration', roots: ['<rootDir>/tests/integration'], globalSetup: '<rootDir>/tests/integration/globalSetup.ts' },
    // `npm run test:cluster`: the same kind of tests over a 3-node Cassandra and a Redis Cluster
    // (scripts/services.sh start cluster), nodes killed and restarted.
    { ...common, displayName: 'cluster', roots: ['<rootDir>/tests/cluster'], globalSetup: '<rootDir>/tests/integration/globalSetup.ts' },
  ],
};
