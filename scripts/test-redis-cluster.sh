#!/usr/bin/env bash
# `npm run test:redis-cluster` (which builds first), run by .ci/run after `npm test`: the
# Redis Cluster suites of tests/cluster (the cache and pub/sub conformance, the public
# contract with every server on REDIS_CLUSTER_NODES, two instances with a master killed and
# restarted) over a 3-master Redis Cluster on 127.0.0.1:6381-6383 (scripts/redis/cluster.sh)
# and the single-node Cassandra of `scripts/services.sh start`. The 3-node Cassandra runs
# (`npm run test:cluster`) are not part of it while the defect docs/operations.md names is open.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh start
scripts/redis/cluster.sh start
export TEST_CLUSTER=1
export CASSANDRA_CONTACT_POINTS="${CASSANDRA_CONTACT_POINTS:-127.0.0.1:${CASSANDRA_PORT:-9042}}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}"
unset REDIS_URL
exec npx jest --runInBand "$@" tests/cluster/redis
