#!/usr/bin/env bash
# A Redis Cluster of 3 masters (no replicas) on 127.0.0.1 for the cluster tests
# (tests/cluster, REDIS_CLUSTER_NODES). scripts/services.sh calls it; it never
# touches any other Redis (the machine's own on 6379 included).
#
#   scripts/redis/cluster.sh start         # idempotent: starts the missing nodes, creates
#                                          # the cluster once, waits for cluster_state:ok
#   scripts/redis/cluster.sh stop          # stops the nodes this script started, forgets the cluster
#   scripts/redis/cluster.sh status        # exit 0 when every node answers and the cluster is ok
#   scripts/redis/cluster.sh kill PORT     # SIGKILL of that node (a master down)
#   scripts/redis/cluster.sh restart PORT  # starts it again (same node id, from its nodes.conf)
#                                          # and waits until the cluster is ok again
#
# Each node keeps no data (a cache: --save "" --appendonly no) but keeps its
# nodes.conf, so a restarted node comes back with its id and slots and the cluster
# heals by itself. cluster-require-full-coverage no: while a master is down the
# others keep serving their slots. cluster-node-timeout 3000 ms: a node unreachable
# that long is PFAIL, and FAIL once the other master agrees (well within a second
# more, gossip runs every 100 ms), so a test sees the cluster's view change within a
# few seconds; below ~2 s a loaded 2-core machine (GC, a busy Cassandra) risks false
# failures. Clients do not wait for it: a command to a dead master fails at once
# (connection refused).
#
# Environment: REDIS_CLUSTER_PORTS ("6381 6382 6383"), REDIS_CLUSTER_DIR
# ($HOME/.cache/counter-service/redis-cluster), REDIS_CLUSTER_NODE_TIMEOUT_MS (3000),
# REDIS_CLUSTER_START_TIMEOUT (30 s).
set -euo pipefail

PORTS="${REDIS_CLUSTER_PORTS:-6381 6382 6383}"
BASE_DIR="${REDIS_CLUSTER_DIR:-$HOME/.cache/counter-service/redis-cluster}"
NODE_TIMEOUT_MS="${REDIS_CLUSTER_NODE_TIMEOUT_MS:-3000}"
START_TIMEOUT="${REDIS_CLUSTER_START_TIMEOUT:-30}"
HOST=127.0.0.1

log() { echo "[redis-cluster] $*" >&2; }
fail() { echo "[redis-cluster] FAILED: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status|kill PORT|restart PORT" >&2; exit 2; }

read -r -a PORT_LIST <<<"$PORTS"
(( ${#PORT_LIST[@]} >= 3 )) || fail "REDIS_CLUSTER_PORTS needs at least 3 ports (3 masters), got '$PORTS'"
for p in "${PORT_LIST[@]}"; do
  [[ "$p" =~ ^[0-9]+$ ]] || fail "REDIS_CLUSTER_PORTS must be numbers, got '$p'"
  [[ "$p" != 6379 ]] || fail "6379 is the machine's shared Redis; pick other REDIS_CLUSTER_PORTS"
done

node_dir() { echo "$BASE_DIR/$1"; }
pid_file() { echo "$(node_dir "$1")/redis.pid"; }
cli() { local p="$1"; shift; timeout 3 redis-cli -h "$HOST" -p "$p" "$@" 2>/dev/null; }
ping_ok() { [[ "$(cli "$1" ping || true)" == "PONG" ]]; }
is_ours() { # the port's Redis is one this script started (pid file + live redis-server)
  local f pid; f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'redis-server'
}
info_field() { cli "$1" cluster info | tr -d '\r' | sed -n "s/^$2://p"; }
node_ok() { # answers, cluster_state:ok, every slot assigned, sees every other node
  [[ "$(info_field "$1" cluster_state)" == ok ]] \
    && [[ "$(info_field "$1" cluster_slots_assigned)" == 16384 ]] \
    && [[ "$(info_field "$1" cluster_known_nodes)" == "${#PORT_LIST[@]}" ]]
}
# Every node ok and none flagged fail/pfail by any other: the failure is forgotten.
cluster_ok() {
  local p
  for p in "${PORT_LIST[@]}"; do
    node_ok "$p" || return 1
    cli "$p" cluster nodes | grep -Eq 'fail' && return 1
  done
  return 0
}
wait_for() { # what, predicate...
  local what="$1"; shift
  local start=$SECONDS
  until "$@"; do
    (( SECONDS - start >= START_TIMEOUT )) && fail "$what not reached within ${START_TIMEOUT}s"
    sleep 0.2
  done
}

ensure_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  log "redis-server/redis-cli not installed; installing Debian package redis-server"
  [[ "$(id -u)" == "0" ]] || fail "redis-server is missing and installing it needs root (apt-get install -y redis-server)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || fail "apt-get update failed"
  apt-get install -y -qq redis-server >&2 || fail "apt-get install redis-server failed"
  command -v redis-server >/dev/null || fail "redis-server still not found after apt-get install"
}

start_node() {
  local p="$1" d; d="$(node_dir "$p")"
  if ping_ok "$p"; then
    is_ours "$p" || fail "port $p answers PING but is not a node this script started; stop it or pick other REDIS_CLUSTER_PORTS"
    return 0
  fi
  if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
    fail "port $p is in use by something that does not answer Redis PING (see: ss -ltnp 'sport = :$p')"
  fi
  mkdir -p "$d"
  log "starting node 127.0.0.1:$p (dir $d)"
  redis-server --daemonize yes --bind "$HOST" --port "$p" \
    --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout "$NODE_TIMEOUT_MS" --cluster-require-full-coverage no \
    --save "" --appendonly no \
    --dir "$d" --pidfile "$(pid_file "$p")" --logfile "$d/redis.log" \
    || fail "redis-server on $p did not start (see $d/redis.log)"
}

wait_node_up() {
  local p="$1"
  wait_for "PONG from 127.0.0.1:$p" ping_ok "$p"
  for _ in $(seq 1 25); do [[ -s "$(pid_file "$p")" ]] && break; sleep 0.2; done
}

cmd_start() {
  ensure_installed
  local t0=$SECONDS p
  for p in "${PORT_LIST[@]}"; do start_node "$p"; done
  for p in "${PORT_LIST[@]}"; do wait_node_up "$p"; done
  # Created once: a node that knows only itself and holds no slot is fresh.
  local fresh=0
  for p in "${PORT_LIST[@]}"; do
    [[ "$(info_field "$p" cluster_known_nodes)" == 1 && "$(info_field "$p" cluster_slots_assigned)" == 0 ]] && fresh=$((fresh + 1))
  done
  if (( fresh == ${#PORT_LIST[@]} )); then
    log "creating the cluster (${#PORT_LIST[@]} masters, 0 replicas)"
    local addrs=()
    for p in "${PORT_LIST[@]}"; do addrs+=("$HOST:$p"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >&2 \
      || fail "redis-cli --cluster create failed"
  elif (( fresh > 0 )); then
    fail "$fresh node(s) are fresh but others already form a cluster (a nodes.conf was lost?); run '$0 stop' and start again"
  fi
  wait_for "cluster_state:ok on every node" cluster_ok
  log "cluster ready on ${PORT_LIST[*]} in $((SECONDS - t0))s"
}

stop_node() {
  local p="$1" f pid; f="$(pid_file "$p")"
  if ! is_ours "$p"; then rm -f "$f"; return 0; fi
  pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null || true
  local start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS - start >= 10 )); then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; break; fi
    sleep 0.1
  done
  rm -f "$f"
  log "stopped node $p (pid $pid)"
}

cmd_stop() {
  local p
  for p in "${PORT_LIST[@]}"; do stop_node "$p"; done
  # The cluster is forgotten with its nodes: the next start creates a fresh one.
  for p in "${PORT_LIST[@]}"; do rm -f "$(node_dir "$p")/nodes.conf"; done
  log "stopped"
}

cmd_status() {
  local p rc=0
  for p in "${PORT_LIST[@]}"; do
    if ! ping_ok "$p"; then log "127.0.0.1:$p: no PONG"; rc=1; continue; fi
    log "127.0.0.1:$p: cluster_state:$(info_field "$p" cluster_state) slots_ok:$(info_field "$p" cluster_slots_ok)/16384 known_nodes:$(info_field "$p" cluster_known_nodes)"
    node_ok "$p" || rc=1
  done
  return $rc
}

port_arg() {
  local p="${1:-}" q
  [[ -n "$p" ]] || usage
  for q in "${PORT_LIST[@]}"; do [[ "$q" == "$p" ]] && return 0; done
  fail "port '$p' is not one of REDIS_CLUSTER_PORTS ($PORTS)"
}

cmd_kill() {
  local p="$1"
  is_ours "$p" || fail "no node started by this script runs on $p"
  local pid; pid="$(cat "$(pid_file "$p")")"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  log "killed node $p (pid $pid, SIGKILL)"
}

cmd_restart() {
  local p="$1"
  [[ -f "$(node_dir "$p")/nodes.conf" ]] || fail "node $p has no nodes.conf; run '$0 start'"
  local t0=$SECONDS
  start_node "$p"
  wait_node_up "$p"
  wait_for "cluster_state:ok on every node after restarting $p" cluster_ok
  log "node $p back and cluster ok in $((SECONDS - t0))s"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) port_arg "${2:-}"; cmd_kill "$2" ;;
  restart) port_arg "${2:-}"; cmd_restart "$2" ;;
  *) usage ;;
esac
