/**
 * The order of `npm run test:cluster`: jest's own (failed first, then slowest first), except
 * that the suites which kill a node (a Cassandra node, a Redis master) run after all others.
 * A node restarted by a failover suite rejoins the cluster, but a schema change made soon after
 * may reach it late (Cassandra postpones a pull it did not get pushed); the suites that create
 * keyspaces then run on a cluster no test has disturbed yet.
 */
const Sequencer = require('@jest/test-sequencer').default;

const disruptive = (path) => /failover\.test\.ts$/.test(path);

class ClusterSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    return [...sorted.filter((t) => !disruptive(t.path)), ...sorted.filter((t) => disruptive(t.path))];
  }
}

module.exports = ClusterSequencer;
