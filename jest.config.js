/**
 * One jest run for the whole suite. Integration tests start real servers on loopback, so
 * they run in band (2 cores: parallel servers only add noise and flakiness).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60_000,
  // Each test file tears its servers down; this catches the ones that forget.
  forceExit: false,
};
