#!/usr/bin/env bash
# `npm run test:cluster` (which builds first): starts the clustered services
# (scripts/services.sh start cluster: a 3-node Cassandra 5.0 on 127.0.0.1-3 and a Redis
# Cluster) and runs the jest project `cluster` in band against them: tests/cluster (two
# service instances, a node killed under load) and the store-agnostic suites of
# tests/integration (the contract, the store conformance) over the cluster at replication
# factor 3. Services that cannot start fail the run here, loudly. Leaves the services running
# (scripts/services.sh stop stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$SECONDS
scripts/services.sh start cluster
echo "[test-cluster] services ready in $((SECONDS - t0))s" >&2

port="${CASSANDRA_CLUSTER_CQL_PORT:-9042}"
export TEST_CLUSTER=1
export COUNTER_STORE=cassandra
export CASSANDRA_CONTACT_POINTS="127.0.0.1:$port,127.0.0.2:$port,127.0.0.3:$port"
export CASSANDRA_REPLICATION_FACTOR=3
# The contract suite's in-process servers take their keyspace from here (a fresh one per run).
export CASSANDRA_KEYSPACE="cluster_$(date +%s)"
# Skew margin above the 2 s write timeout, as docs/operations.md advises for Cassandra.
export ROLLUP_SKEW_MARGIN_MS=3000

# Redis, in this one place: the servers of every suite on the Redis Cluster of `start cluster`
# (REDIS_CLUSTER_NODES; never with REDIS_URL, which the config refuses beside it); the
# single Redis on 6379 only for the suites that test a Redis client directly (TEST_REDIS_URL).
scripts/redis/start.sh
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}"
unset REDIS_URL
export REDIS_CLUSTER_NODES="${REDIS_CLUSTER_NODES:-$(for p in ${REDIS_CLUSTER_PORTS:-6381 6382 6383}; do printf '127.0.0.1:%s,' "$p"; done | sed 's/,$//')}"
export REDIS_KEY_PREFIX="cluster-test-$(date +%s):"

set +e
npx jest --runInBand "$@"
rc=$?
set -e
node -e '
  const cassandra = require("cassandra-driver");
  const [ks, points] = process.argv.slice(1);
  const c = new cassandra.Client({ contactPoints: points.split(","), localDataCenter: "datacenter1" });
  c.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch((e) => console.error(`[test-cluster] could not drop ${ks}: ${e.message}`)).finally(() => c.shutdown());
' "$CASSANDRA_KEYSPACE" "$CASSANDRA_CONTACT_POINTS"
echo "[test-cluster] done in $((SECONDS - t0))s" >&2
exit $rc
