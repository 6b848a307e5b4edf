#!/usr/bin/env bash
# Stops the Redis that scripts/redis/start.sh started on $REDIS_PORT (via its pid
# file). A Redis this script did not start (no pid file, e.g. the machine's own
# on 6379) is left alone. Idempotent.
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DIR="${REDIS_DIR:-$HOME/.cache/counter-service/redis-$REDIS_PORT}"
REDIS_STOP_TIMEOUT="${REDIS_STOP_TIMEOUT:-10}"
PID_FILE="$REDIS_DIR/redis.pid"

log() { echo "[redis] $*" >&2; }
fail() { echo "[redis] FAILED: $*" >&2; exit 1; }

if [[ ! -f "$PID_FILE" ]]; then
  log "no Redis started by scripts/redis/start.sh on port $REDIS_PORT (no $PID_FILE); leaving any other Redis alone"
  exit 0
fi
pid="$(cat "$PID_FILE" 2>/dev/null || true)"
if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null \
   || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'redis-server'; then
  log "not running (stale pid file $PID_FILE, pid '$pid'); removing it"
  rm -f "$PID_FILE"
  exit 0
fi

log "stopping Redis pid $pid on port $REDIS_PORT"
kill -TERM "$pid" 2>/dev/null || true
start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  if (( SECONDS - start >= REDIS_STOP_TIMEOUT )); then
    log "still running after ${REDIS_STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
    kill -0 "$pid" 2>/dev/null && fail "pid $pid survived KILL"
    break
  fi
  sleep 0.1
done
rm -f "$PID_FILE"
log "stopped (pid $pid)"
