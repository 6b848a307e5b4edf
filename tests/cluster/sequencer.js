/**
 * The order of `npm run test:cluster`: jest's own (failed first, then slowest first), except
 * that the suites which kill a node run after all others: the Redis master's first, the
 * Cassandra node's last. A Cassandra node restarted by a failover suite rejoins the cluster,
 * but a schema change made soon after may reach it late (Cassandra postpones a pull it did not
 * get pushed): the Redis failover suite, which creates a keyspace of its own, failed so in CI
 * when jest's order put it after the Cassandra one ("Unknown CF", its set-up past 90 s).
 * Every suite that creates keyspaces then runs on a Cassandra cluster no test has disturbed.
 */
const Sequencer = require('@jest/test-sequencer').default;

const rank = (path) => (/redis\.failover\.test\.ts$/.test(path) ? 1 : /failover\.test\.ts$/.test(path) ? 2 : 0);

class ClusterSequencer extends Sequencer {
  async sort(tests) {
    // Array.prototype.sort is stable: jest's order holds within a rank.
    return [...(await super.sort(tests))].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = ClusterSequencer;
