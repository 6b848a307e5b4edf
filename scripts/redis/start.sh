#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:$REDIS_PORT (default 6379) for tests/CI.
# Idempotent: does nothing when one already answers PONG (e.g. the machine's own
# Redis on 6379). Otherwise installs redis-server from Debian when missing and
# starts a non-persistent one, recording its pid so scripts/redis/stop.sh can
# stop exactly that one.
#
# Environment: REDIS_PORT (6379), REDIS_DIR (pid/log dir, default
# $HOME/.cache/counter-service/redis-$REDIS_PORT), REDIS_START_TIMEOUT (20 s).
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DIR="${REDIS_DIR:-$HOME/.cache/counter-service/redis-$REDIS_PORT}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-20}"
PID_FILE="$REDIS_DIR/redis.pid"
LOG_FILE="$REDIS_DIR/redis.log"

log() { echo "[redis] $*" >&2; }
fail() { echo "[redis] FAILED: $*" >&2; exit 1; }

[[ "$REDIS_PORT" =~ ^[0-9]+$ ]] || fail "REDIS_PORT must be a number, got '$REDIS_PORT'"

ping_ok() {
  command -v redis-cli >/dev/null || return 1
  [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" == "PONG" ]]
}

if ping_ok; then
  log "Redis already answers PONG on 127.0.0.1:$REDIS_PORT; nothing to do"
  exit 0
fi

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "redis-server/redis-cli not installed; installing Debian package redis-server"
  [[ "$(id -u)" == "0" ]] || fail "redis-server is missing and installing it needs root (apt-get install -y redis-server)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || fail "apt-get update failed"
  apt-get install -y -qq redis-server >&2 || fail "apt-get install redis-server failed"
  command -v redis-server >/dev/null || fail "redis-server still not found after apt-get install"
  # the package's own init script may have started a Redis on 6379 already
  if ping_ok; then
    log "Redis answers PONG on 127.0.0.1:$REDIS_PORT after install; nothing more to do"
    exit 0
  fi
fi

if ss -Hltn "sport = :$REDIS_PORT" 2>/dev/null | grep -q .; then
  fail "port $REDIS_PORT is in use by something that does not answer Redis PING (see: ss -ltnp 'sport = :$REDIS_PORT')"
fi

mkdir -p "$REDIS_DIR"
log "starting redis-server on 127.0.0.1:$REDIS_PORT (no persistence; pid $PID_FILE, log $LOG_FILE)"
redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
  --save "" --appendonly no \
  --dir "$REDIS_DIR" --pidfile "$PID_FILE" --logfile "$LOG_FILE" \
  || fail "redis-server did not start (see $LOG_FILE)"

start=$SECONDS
until ping_ok; do
  if (( SECONDS - start >= REDIS_START_TIMEOUT )); then
    tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
    fail "Redis on 127.0.0.1:$REDIS_PORT did not answer PONG within ${REDIS_START_TIMEOUT}s (see $LOG_FILE)"
  fi
  sleep 0.2
done
# redis writes the pid file right after daemonizing; make sure it is there
for _ in $(seq 1 25); do [[ -s "$PID_FILE" ]] && break; sleep 0.2; done
log "Redis ready on 127.0.0.1:$REDIS_PORT (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))"
