#!/usr/bin/env bash
# Starts/stops the services the tests need: a local Cassandra 5.0 (CQL on
# 127.0.0.1:${CASSANDRA_PORT:-9042}) and Redis (127.0.0.1:${REDIS_PORT:-6379}), or the
# clustered ones of `npm run test:cluster`.
#
#   scripts/services.sh start             # idempotent; leaves already-running ones alone
#   scripts/services.sh start cluster     # a 3-node Cassandra on 127.0.0.1-3 (scripts/cassandra/cluster.sh)
#                                         # and a Redis Cluster of 3 masters on 127.0.0.1:6381-6383
#                                         # (scripts/redis/cluster.sh), ready when it returns; it
#                                         # replaces the single Cassandra node these scripts started
#   scripts/services.sh kill cassandra N  # SIGKILL Cassandra node N (1-3) of the cluster
#   scripts/services.sh restart cassandra N  # node N back (same data), waits until the cluster is ready
#   scripts/services.sh nodetool cassandra N ARGS...  # nodetool against node N (e.g. repair -full KS)
#   scripts/services.sh kill redis PORT   # SIGKILL the Redis Cluster node on PORT
#   scripts/services.sh restart redis PORT
#   scripts/services.sh stop              # stops everything these scripts started
#   scripts/services.sh status [cluster]
#
# See scripts/cassandra/start.sh, scripts/cassandra/cluster.sh (CASSANDRA_CLUSTER_CQL_PORT,
# CASSANDRA_CLUSTER_STORAGE_PORT, ...) and scripts/redis/ for the environment knobs.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_HOME_DIR="${CASSANDRA_HOME_DIR:-$HOME/.cache/counter-service/cassandra-$CASSANDRA_VERSION}"
CLUSTER_CQL_PORT="${CASSANDRA_CLUSTER_CQL_PORT:-9042}"
REDIS_CLUSTER="$SCRIPT_DIR/redis/cluster.sh"

log() { echo "[services] $*" >&2; }
fail() { echo "[services] FAILED: $*" >&2; exit 1; }
usage() { echo "usage: $0 start [cluster] | stop | status [cluster] | kill cassandra N | restart cassandra N | nodetool cassandra N ARGS... | kill redis PORT | restart redis PORT" >&2; exit 2; }

redis_cluster() {
  [[ -x "$REDIS_CLUSTER" ]] || fail "$REDIS_CLUSTER is missing: no Redis Cluster to $1"
  "$REDIS_CLUSTER" "$@"
}

# true when the pid file names a live Cassandra JVM
ours() {
  local pid
  pid="$(cat "$1/cassandra.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q CassandraDaemon
}

# The cluster's node 1 takes 127.0.0.1:$CLUSTER_CQL_PORT: a single node there goes first when
# these scripts started it (its pid file), and is refused otherwise (someone else's).
replace_single_node() {
  local single_dir="$CASSANDRA_HOME_DIR/node-$CLUSTER_CQL_PORT"
  local node1_dir="${CASSANDRA_CLUSTER_DATA_DIR:-$CASSANDRA_HOME_DIR/cluster-$CLUSTER_CQL_PORT}/node1"
  if ours "$single_dir"; then
    log "stopping the single-node Cassandra on 127.0.0.1:$CLUSTER_CQL_PORT (pid $(cat "$single_dir/cassandra.pid"), started by scripts/cassandra/start.sh): the 3-node cluster takes its place"
    CASSANDRA_PORT="$CLUSTER_CQL_PORT" CASSANDRA_DATA_DIR="$single_dir" "$SCRIPT_DIR/cassandra/stop.sh"
  elif ! ours "$node1_dir" && node "$SCRIPT_DIR/cassandra/wait-ready.js" --port "$CLUSTER_CQL_PORT" --timeout 0 --quiet >/dev/null 2>&1; then
    fail "a Cassandra that these scripts did not start answers on 127.0.0.1:$CLUSTER_CQL_PORT: stop it first (or set CASSANDRA_CLUSTER_CQL_PORT and CASSANDRA_CLUSTER_STORAGE_PORT to free ports)"
  fi
}

scripts_cluster_status() { "$SCRIPT_DIR/cassandra/cluster.sh" status; }

cmd="${1:-}"
case "$cmd $# ${2:-}" in
  "start 1 ")
    t0=$SECONDS
    log "starting Redis and Cassandra"
    "$SCRIPT_DIR/redis/start.sh" || fail "Redis did not start"
    "$SCRIPT_DIR/cassandra/start.sh" || fail "Cassandra did not start"
    log "all services ready in $((SECONDS - t0))s"
    ;;
  "start 2 cluster")
    t0=$SECONDS
    log "starting a 3-node Cassandra cluster and a Redis Cluster"
    replace_single_node
    # Both at once: the JVMs take minutes of CPU, Redis seconds.
    "$SCRIPT_DIR/cassandra/cluster.sh" start & cass=$!
    rc=0
    redis_cluster start || { log "the Redis Cluster did not start"; rc=1; }
    wait "$cass" || { log "the Cassandra cluster did not start"; rc=1; }
    [[ $rc -eq 0 ]] || fail "start cluster"
    log "cluster services ready in $((SECONDS - t0))s"
    ;;
  "kill 3 cassandra" | "restart 3 cassandra")
    "$SCRIPT_DIR/cassandra/cluster.sh" "$cmd" "$3"
    ;;
  "nodetool "*" cassandra")
    shift 2
    exec "$SCRIPT_DIR/cassandra/cluster.sh" nodetool "$@"
    ;;
  "kill 3 redis" | "restart 3 redis")
    redis_cluster "$cmd" "$3"
    ;;
  "stop 1 ")
    rc=0
    "$SCRIPT_DIR/cassandra/cluster.sh" stop || { log "could not stop the Cassandra cluster"; rc=1; }
    if [[ -x "$REDIS_CLUSTER" ]]; then "$REDIS_CLUSTER" stop || { log "could not stop the Redis Cluster"; rc=1; }; fi
    "$SCRIPT_DIR/cassandra/stop.sh" || { log "FAILED: could not stop Cassandra"; rc=1; }
    "$SCRIPT_DIR/redis/stop.sh" || { log "FAILED: could not stop Redis"; rc=1; }
    exit $rc
    ;;
  "status 2 cluster")
    rc=0
    scripts_cluster_status || rc=1
    redis_cluster status || rc=1
    exit $rc
    ;;
  "status 1 ")
    rc=0
    if v="$(node "$SCRIPT_DIR/cassandra/wait-ready.js" --port "${CASSANDRA_PORT:-9042}" --timeout 0 --quiet 2>/dev/null)"; then
      log "Cassandra $v answers on 127.0.0.1:${CASSANDRA_PORT:-9042}"
    else
      log "Cassandra: no CQL answer on 127.0.0.1:${CASSANDRA_PORT:-9042}"; rc=1
    fi
    if [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "${REDIS_PORT:-6379}" ping 2>/dev/null || true)" == "PONG" ]]; then
      log "Redis answers on 127.0.0.1:${REDIS_PORT:-6379}"
    else
      log "Redis: no PONG on 127.0.0.1:${REDIS_PORT:-6379}"; rc=1
    fi
    exit $rc
    ;;
  *) usage ;;
esac
