#!/usr/bin/env bash
# Stops the Cassandra started by scripts/cassandra/start.sh (via its pid file).
# Idempotent: exits 0 when it is not running. Sends TERM (Cassandra drains and
# flushes), then KILL after CASSANDRA_STOP_TIMEOUT seconds (default 60).
# Uses the same CASSANDRA_VERSION / CASSANDRA_HOME_DIR / CASSANDRA_PORT /
# CASSANDRA_DATA_DIR defaults as start.sh.
set -euo pipefail

CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_HOME_DIR="${CASSANDRA_HOME_DIR:-$HOME/.cache/counter-service/cassandra-$CASSANDRA_VERSION}"
CASSANDRA_PORT="${CASSANDRA_PORT:-9042}"
CASSANDRA_DATA_DIR="${CASSANDRA_DATA_DIR:-$CASSANDRA_HOME_DIR/node-$CASSANDRA_PORT}"
CASSANDRA_STOP_TIMEOUT="${CASSANDRA_STOP_TIMEOUT:-60}"
PID_FILE="$CASSANDRA_DATA_DIR/cassandra.pid"

log() { echo "[cassandra] $*" >&2; }
fail() { echo "[cassandra] FAILED: $*" >&2; exit 1; }

is_cassandra_pid() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.apache.cassandra.service.CassandraDaemon'
}

if [[ ! -f "$PID_FILE" ]]; then
  log "not running (no pid file $PID_FILE); nothing to stop"
  exit 0
fi
pid="$(cat "$PID_FILE" 2>/dev/null || true)"
if ! is_cassandra_pid "$pid"; then
  log "not running (stale pid file $PID_FILE, pid '$pid'); removing it"
  rm -f "$PID_FILE"
  exit 0
fi

log "stopping Cassandra pid $pid (TERM, KILL after ${CASSANDRA_STOP_TIMEOUT}s)"
start=$SECONDS
kill -TERM "$pid" 2>/dev/null || true
while kill -0 "$pid" 2>/dev/null; do
  if (( SECONDS - start >= CASSANDRA_STOP_TIMEOUT )); then
    log "still running after ${CASSANDRA_STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "pid $pid survived KILL"
    break
  fi
  sleep 0.2
done
rm -f "$PID_FILE"
log "stopped (pid $pid) in $((SECONDS - start))s"
