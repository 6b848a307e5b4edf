#!/usr/bin/env bash
# A 3-node Cassandra 5.0 cluster on loopback for tests: node N listens on 127.0.0.N (CQL and
# storage port the same on each, one datacenter `datacenter1`), each node launched by
# scripts/cassandra/start.sh with its own address, data dir and token. Loopback aliases
# (127.0.0.2, 127.0.0.3) need no setup on Linux.
#
#   scripts/cassandra/cluster.sh start       # idempotent; returns when every node answers CQL
#                                            # and sees its 2 peers UP
#   scripts/cassandra/cluster.sh stop        # TERM (then KILL) every node
#   scripts/cassandra/cluster.sh status      # exit 0 when ready (as start defines it)
#   scripts/cassandra/cluster.sh kill N      # SIGKILL node N (1-3), as a crash
#   scripts/cassandra/cluster.sh restart N   # start node N again (same data); waits for ready
#   scripts/cassandra/cluster.sh nodetool N ARGS...  # nodetool against node N (over its local
#                                            # JMX port), e.g. `nodetool 3 repair -full KEYSPACE`
#
# Environment (all optional; CASSANDRA_VERSION / CASSANDRA_HOME_DIR as for start.sh):
#   CASSANDRA_CLUSTER_CQL_PORT      CQL port of every node (default 9042)
#   CASSANDRA_CLUSTER_STORAGE_PORT  storage (internode) port of every node (default 7000)
#   CASSANDRA_CLUSTER_DATA_DIR      parent of node1..node3 (default
#                                   $CASSANDRA_HOME_DIR/cluster-$CASSANDRA_CLUSTER_CQL_PORT)
#   CASSANDRA_CLUSTER_JMX_PORT      node N's JMX (nodetool) listens on 127.0.0.1 at this + N
#                                   (default 7200: 7201-7203)
#   CASSANDRA_CLUSTER_HEAP          heap per node (default 768m)
#   CASSANDRA_CLUSTER_TIMEOUT       seconds to wait for ready (default 240)
#   CASSANDRA_CLEAN=1               wipe the cluster's data before starting
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_HOME_DIR="${CASSANDRA_HOME_DIR:-$HOME/.cache/counter-service/cassandra-$CASSANDRA_VERSION}"
CQL_PORT="${CASSANDRA_CLUSTER_CQL_PORT:-9042}"
STORAGE_PORT="${CASSANDRA_CLUSTER_STORAGE_PORT:-7000}"
CLUSTER_DIR="${CASSANDRA_CLUSTER_DATA_DIR:-$CASSANDRA_HOME_DIR/cluster-$CQL_PORT}"
JMX_BASE="${CASSANDRA_CLUSTER_JMX_PORT:-7200}"
HEAP="${CASSANDRA_CLUSTER_HEAP:-768m}"
TIMEOUT="${CASSANDRA_CLUSTER_TIMEOUT:-240}"
NODES=(1 2 3)
# Murmur3 range split in three: one token per node (num_tokens 1), fixed up front.
TOKENS=(-9223372036854775808 -3074457345618258603 3074457345618258602)

log() { echo "[cassandra-cluster] $*" >&2; }
fail() { echo "[cassandra-cluster] FAILED: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|status|kill N|restart N|nodetool N ARGS..." >&2; exit 2; }

[[ "$CQL_PORT" =~ ^[0-9]+$ && "$STORAGE_PORT" =~ ^[0-9]+$ && "$JMX_BASE" =~ ^[0-9]+$ ]] \
  || fail "CASSANDRA_CLUSTER_CQL_PORT, CASSANDRA_CLUSTER_STORAGE_PORT and CASSANDRA_CLUSTER_JMX_PORT must be numbers"

addr() { echo "127.0.0.$1"; }
node_dir() { echo "$CLUSTER_DIR/node$1"; }
contact_points() { local n out=(); for n in "${NODES[@]}"; do out+=("$(addr "$n"):$CQL_PORT"); done; (IFS=,; echo "${out[*]}"); }
check_node() { [[ "${1:-}" =~ ^[1-3]$ ]] || fail "node must be 1, 2 or 3, got '${1:-}'"; }

# start.sh for node N in the cluster's settings. Tokens are fixed up front and nothing
# bootstraps (auto_bootstrap false in the template), so no node waits for a ring to settle.
# The ring delay stays Cassandra's 30 s: it bounds a fresh node's first gossip round with the
# seed (a shorter one makes a node that is up before the seed give up).
start_node() {
  local n="$1"
  CASSANDRA_ADDRESS="$(addr "$n")" \
  CASSANDRA_PORT="$CQL_PORT" \
  CASSANDRA_STORAGE_PORT="$STORAGE_PORT" \
  CASSANDRA_DATA_DIR="$(node_dir "$n")" \
  CASSANDRA_SEEDS="$(addr 1):$STORAGE_PORT" \
  CASSANDRA_INITIAL_TOKEN="${TOKENS[$((n - 1))]}" \
  CASSANDRA_CLUSTER_NAME="counter-service-cluster" \
  CASSANDRA_SNITCH=GossipingPropertyFileSnitch \
  CASSANDRA_COMMITLOG_SYNC=group \
  CASSANDRA_JMX_PORT="$((JMX_BASE + n))" \
  CASSANDRA_HEAP="$HEAP" \
  CASSANDRA_START_TIMEOUT="$TIMEOUT" \
  CASSANDRA_CLEAN=0 \
    "$SCRIPT_DIR/start.sh" 2>&1 | sed -u "s/^\[cassandra\]/[cassandra node$n]/" >&2
  return "${PIPESTATUS[0]}"
}

stop_node() {
  CASSANDRA_PORT="$CQL_PORT" CASSANDRA_DATA_DIR="$(node_dir "$1")" CASSANDRA_STOP_TIMEOUT="${CASSANDRA_STOP_TIMEOUT:-30}" \
    "$SCRIPT_DIR/stop.sh" 2>&1 | sed -u "s/^\[cassandra\]/[cassandra node$1]/" >&2
  return "${PIPESTATUS[0]}"
}

# Every node answers CQL and sees its peers UP (scripts/cassandra/wait-ready.js --peers).
wait_cluster() {
  local n
  for n in "${NODES[@]}"; do
    node "$SCRIPT_DIR/wait-ready.js" --host "$(addr "$n")" --port "$CQL_PORT" --peers 2 --timeout "$1" --quiet >/dev/null || return 1
  done
}

cmd="${1:-}"
case "$cmd" in
  start)
    t0=$SECONDS
    if wait_cluster 0 2>/dev/null; then log "already ready on $(contact_points)"; exit 0; fi
    if [[ "${CASSANDRA_CLEAN:-0}" == "1" ]]; then
      for n in "${NODES[@]}"; do [[ -f "$(node_dir "$n")/cassandra.pid" ]] && stop_node "$n"; done
      log "CASSANDRA_CLEAN=1: wiping $CLUSTER_DIR"
      rm -rf "$CLUSTER_DIR"
    fi
    log "starting 3 nodes on $(contact_points) (storage port $STORAGE_PORT, data $CLUSTER_DIR, heap $HEAP each)"
    # The seed first; the others as soon as it takes internode connections (their first
    # gossip round needs it), all three JVMs starting side by side from then on.
    start_node 1 & pids=($!)
    for _ in $(seq 1 "$((TIMEOUT * 5))"); do
      ss -Hltn "src $(addr 1):$STORAGE_PORT" 2>/dev/null | grep -q . && break
      kill -0 "${pids[0]}" 2>/dev/null || break
      sleep 0.2
    done
    for n in 2 3; do start_node "$n" & pids+=($!); done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    [[ $rc -eq 0 ]] || fail "a node did not start (logs: $CLUSTER_DIR/node*/logs/system.log)"
    wait_cluster "$TIMEOUT" || fail "the nodes answer CQL but do not all see their peers UP within ${TIMEOUT}s"
    log "ready in $((SECONDS - t0))s: contact points $(contact_points)"
    ;;
  stop)
    rc=0 pids=()
    for n in "${NODES[@]}"; do stop_node "$n" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    exit $rc
    ;;
  status)
    if wait_cluster 0 2>/dev/null; then log "ready: $(contact_points) answer CQL and see their peers UP"; exit 0; fi
    for n in "${NODES[@]}"; do
      if v="$(node "$SCRIPT_DIR/wait-ready.js" --host "$(addr "$n")" --port "$CQL_PORT" --timeout 0 --quiet 2>/dev/null)"; then
        log "node$n $(addr "$n"):$CQL_PORT answers (Cassandra $v)"
      else
        log "node$n $(addr "$n"):$CQL_PORT: no CQL answer"
      fi
    done
    exit 1
    ;;
  kill)
    check_node "${2:-}"
    pid_file="$(node_dir "$2")/cassandra.pid"
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q CassandraDaemon \
      || fail "node$2 is not running (pid file $pid_file)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$pid_file"
    log "node$2 ($(addr "$2"):$CQL_PORT, pid $pid) killed (SIGKILL)"
    ;;
  restart)
    check_node "${2:-}"
    t0=$SECONDS
    start_node "$2" || fail "node$2 did not start (log: $(node_dir "$2")/logs/system.log)"
    wait_cluster "$TIMEOUT" || fail "node$2 is back but the nodes do not all see their peers UP within ${TIMEOUT}s"
    log "node$2 back and the cluster ready in $((SECONDS - t0))s"
    ;;
  nodetool)
    # What an operator runs after a node was down: `repair` mends what hints did not carry.
    check_node "${2:-}"
    n="$2"
    shift 2
    # The JPMS flags Cassandra's classes need on Java 17, as for the daemon (start.sh).
    read -ra jpms <<<"$(grep -Ev '^[[:space:]]*(#|$)' "$SCRIPT_DIR/jvm17.options" | tr '\n' ' ')"
    exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" "${jpms[@]}" -Xmx256m "-Dlogback.configurationFile=file://$SCRIPT_DIR/logback-tools.xml" -cp "$CASSANDRA_HOME_DIR/lib/*" org.apache.cassandra.tools.NodeTool \
      -h 127.0.0.1 -p "$((JMX_BASE + n))" "$@"
    ;;
  *) usage ;;
esac
