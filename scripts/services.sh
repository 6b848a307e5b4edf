#!/usr/bin/env bash
# Starts/stops the services the tests need: a local Cassandra 5.0 (CQL on
# 127.0.0.1:${CASSANDRA_PORT:-9042}) and Redis (127.0.0.1:${REDIS_PORT:-6379}).
#
#   scripts/services.sh start    # idempotent; leaves already-running ones alone
#   scripts/services.sh stop     # stops only what these scripts started
#   scripts/services.sh status
#
# See scripts/cassandra/start.sh and scripts/redis/start.sh for the environment knobs.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { echo "usage: $0 start|stop|status" >&2; exit 2; }

cmd="${1:-}"
case "$cmd" in
  start)
    t0=$SECONDS
    echo "[services] starting Redis and Cassandra" >&2
    "$SCRIPT_DIR/redis/start.sh" || { echo "[services] FAILED: Redis did not start" >&2; exit 1; }
    "$SCRIPT_DIR/cassandra/start.sh" || { echo "[services] FAILED: Cassandra did not start" >&2; exit 1; }
    echo "[services] all services ready in $((SECONDS - t0))s" >&2
    ;;
  stop)
    rc=0
    "$SCRIPT_DIR/cassandra/stop.sh" || { echo "[services] FAILED: could not stop Cassandra" >&2; rc=1; }
    "$SCRIPT_DIR/redis/stop.sh" || { echo "[services] FAILED: could not stop Redis" >&2; rc=1; }
    exit $rc
    ;;
  status)
    rc=0
    if v="$(node "$SCRIPT_DIR/cassandra/wait-ready.js" --port "${CASSANDRA_PORT:-9042}" --timeout 0 --quiet 2>/dev/null)"; then
      echo "[services] Cassandra $v answers on 127.0.0.1:${CASSANDRA_PORT:-9042}" >&2
    else
      echo "[services] Cassandra: no CQL answer on 127.0.0.1:${CASSANDRA_PORT:-9042}" >&2; rc=1
    fi
    if [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "${REDIS_PORT:-6379}" ping 2>/dev/null || true)" == "PONG" ]]; then
      echo "[services] Redis answers on 127.0.0.1:${REDIS_PORT:-6379}" >&2
    else
      echo "[services] Redis: no PONG on 127.0.0.1:${REDIS_PORT:-6379}" >&2; rc=1
    fi
    exit $rc
    ;;
  *) usage ;;
esac
