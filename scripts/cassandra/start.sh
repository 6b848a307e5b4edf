#!/usr/bin/env bash
# Fetches (once) and starts a real single-node Apache Cassandra 5.0 for tests/CI.
#
#   scripts/cassandra/start.sh        # idempotent; exits 0 when CQL answers
#
# Environment (all optional):
#   CASSANDRA_VERSION        cassandra-all version from Maven Central (default 5.0.8)
#   CASSANDRA_HOME_DIR       cache dir for jars and data
#                            (default $HOME/.cache/counter-service/cassandra-$CASSANDRA_VERSION)
#   CASSANDRA_PORT           CQL native port (default 9042)
#   CASSANDRA_STORAGE_PORT   internode port (default 7000)
#   CASSANDRA_DATA_DIR       data/log/pid dir (default $CASSANDRA_HOME_DIR/node-$CASSANDRA_PORT)
#   A node of a cluster (scripts/cassandra/cluster.sh sets these per node):
#   CASSANDRA_ADDRESS        listen and rpc (CQL) address (default 127.0.0.1)
#   CASSANDRA_SEEDS          seed list, host:port,... (default $CASSANDRA_ADDRESS:$CASSANDRA_STORAGE_PORT)
#   CASSANDRA_INITIAL_TOKEN  the node's one token (default 0; distinct per node of a cluster)
#   CASSANDRA_CLUSTER_NAME   cluster_name (default counter-service-test)
#   CASSANDRA_COMMITLOG_SYNC periodic (default: fsync every 10 s; a SIGKILL loses up to 10 s of
#                            acknowledged writes on this node) or group (fsync before the ack,
#                            15 ms windows; the cluster's nodes, which tests kill)
#   CASSANDRA_SNITCH         SimpleSnitch (default) or GossipingPropertyFileSnitch (dc datacenter1,
#                            rack rack1: sorts the node itself first among replicas)
#   CASSANDRA_START_TIMEOUT  seconds to wait for CQL (default 180)
#   CASSANDRA_HEAP           -Xms/-Xmx (default 1g)
#   CASSANDRA_CLEAN=1        wipe the data dir before starting (only when not running)
#   CASSANDRA_JMX_PORT       enable local JMX (nodetool) on this port (default: off)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_HOME_DIR="${CASSANDRA_HOME_DIR:-$HOME/.cache/counter-service/cassandra-$CASSANDRA_VERSION}"
CASSANDRA_PORT="${CASSANDRA_PORT:-9042}"
CASSANDRA_STORAGE_PORT="${CASSANDRA_STORAGE_PORT:-7000}"
CASSANDRA_DATA_DIR="${CASSANDRA_DATA_DIR:-$CASSANDRA_HOME_DIR/node-$CASSANDRA_PORT}"
CASSANDRA_ADDRESS="${CASSANDRA_ADDRESS:-127.0.0.1}"
CASSANDRA_SEEDS="${CASSANDRA_SEEDS:-$CASSANDRA_ADDRESS:$CASSANDRA_STORAGE_PORT}"
CASSANDRA_INITIAL_TOKEN="${CASSANDRA_INITIAL_TOKEN:-0}"
CASSANDRA_CLUSTER_NAME="${CASSANDRA_CLUSTER_NAME:-counter-service-test}"
CASSANDRA_SNITCH="${CASSANDRA_SNITCH:-SimpleSnitch}"
CASSANDRA_COMMITLOG_SYNC="${CASSANDRA_COMMITLOG_SYNC:-periodic}"
case "$CASSANDRA_COMMITLOG_SYNC" in
  periodic) COMMITLOG_LINES='commitlog_sync: periodic\ncommitlog_sync_period: 10000ms' ;;
  group) COMMITLOG_LINES='commitlog_sync: group\ncommitlog_sync_group_window: 15ms' ;;
  *) echo "[cassandra] FAILED: CASSANDRA_COMMITLOG_SYNC must be periodic or group, got '$CASSANDRA_COMMITLOG_SYNC'" >&2; exit 1 ;;
esac
CASSANDRA_START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"
CASSANDRA_HEAP="${CASSANDRA_HEAP:-1g}"
CASSANDRA_CLEAN="${CASSANDRA_CLEAN:-0}"
CASSANDRA_JMX_PORT="${CASSANDRA_JMX_PORT:-}"

LIB_DIR="$CASSANDRA_HOME_DIR/lib"
LOG_DIR="$CASSANDRA_DATA_DIR/logs"
PID_FILE="$CASSANDRA_DATA_DIR/cassandra.pid"
YAML="$CASSANDRA_DATA_DIR/cassandra.yaml"
SYSTEM_LOG="$LOG_DIR/system.log"
STDOUT_LOG="$LOG_DIR/stdout.log"

log() { echo "[cassandra] $*" >&2; }
fail() { echo "[cassandra] FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

show_logs() {
  local f
  for f in "$SYSTEM_LOG" "$STDOUT_LOG"; do
    if [[ -s "$f" ]]; then
      echo "----- last 50 lines of $f -----" >&2
      tail -n 50 "$f" >&2
      echo "----- end of $f -----" >&2
    fi
  done
}

# true when PID is a live CassandraDaemon JVM
is_cassandra_pid() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.apache.cassandra.service.CassandraDaemon'
}

# true when something listens on CASSANDRA_ADDRESS:PORT (or on every address at PORT)
port_in_use() {
  ss -Hltn "sport = :$1" 2>/dev/null | awk -v a="$CASSANDRA_ADDRESS:$1" -v p=":$1" \
    '$4 == a || $4 == "0.0.0.0" p || $4 == "*" p || $4 == "[::]" p { found = 1 } END { exit !found }'
}

wait_ready() { # args: timeout [pid]
  local args=(--host "$CASSANDRA_ADDRESS" --port "$CASSANDRA_PORT" --timeout "$1")
  [[ -n "${2:-}" ]] && args+=(--pid "$2")
  node "$SCRIPT_DIR/wait-ready.js" "${args[@]}"
}

command -v node >/dev/null || fail "node is not installed (needed for scripts/cassandra/wait-ready.js)"
[[ "$CASSANDRA_PORT" =~ ^[0-9]+$ ]] || fail "CASSANDRA_PORT must be a number, got '$CASSANDRA_PORT'"
[[ "$CASSANDRA_START_TIMEOUT" =~ ^[0-9]+$ ]] || fail "CASSANDRA_START_TIMEOUT must be seconds, got '$CASSANDRA_START_TIMEOUT'"

# 1. Already answering CQL on the port? Nothing to do.
if version="$(node "$SCRIPT_DIR/wait-ready.js" --host "$CASSANDRA_ADDRESS" --port "$CASSANDRA_PORT" --timeout 0 --quiet 2>/dev/null)"; then
  log "a CQL server already answers on $CASSANDRA_ADDRESS:$CASSANDRA_PORT (release_version $version); nothing to do"
  exit 0
fi

mkdir -p "$CASSANDRA_HOME_DIR" "$CASSANDRA_DATA_DIR"
# Serialize concurrent start.sh runs of one node (launch), so the second waits for the first;
# the nodes of a cluster start side by side. fd 9 is closed for the JVM below.
exec 9>"$CASSANDRA_DATA_DIR/.start.lock"
if ! flock -w "$((CASSANDRA_START_TIMEOUT + 900))" 9; then
  fail "timed out waiting for another scripts/cassandra/start.sh of this node (lock $CASSANDRA_DATA_DIR/.start.lock)"
fi

# 2. One of ours already starting/running? Wait for it instead of starting another.
if [[ -f "$PID_FILE" ]]; then
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if is_cassandra_pid "$pid"; then
    log "Cassandra (pid $pid) is already running from $CASSANDRA_DATA_DIR; waiting for CQL on port $CASSANDRA_PORT"
    t0="$(now)"
    if version="$(wait_ready "$CASSANDRA_START_TIMEOUT" "$pid")"; then
      log "Cassandra $version ready on $CASSANDRA_ADDRESS:$CASSANDRA_PORT after waiting $(elapsed "$t0")s"
      exit 0
    fi
    show_logs
    fail "Cassandra pid $pid is running but CQL on $CASSANDRA_ADDRESS:$CASSANDRA_PORT did not answer within ${CASSANDRA_START_TIMEOUT}s"
  fi
  log "removing stale pid file $PID_FILE"
  rm -f "$PID_FILE"
fi

# 3. Fetch cassandra-all and its runtime dependencies (skipped when already complete).
fetch() {
  local marker="$LIB_DIR/.complete"
  # One fetch at a time (fd 8, closed again before the launch).
  exec 8>"$CASSANDRA_HOME_DIR/.fetch.lock"
  flock -w 900 8 || fail "timed out waiting for another fetch (lock $CASSANDRA_HOME_DIR/.fetch.lock)"
  if [[ -f "$marker" && "$(cat "$marker")" == "$CASSANDRA_VERSION" && -f "$LIB_DIR/cassandra-all-$CASSANDRA_VERSION.jar" ]]; then
    log "using cached Cassandra $CASSANDRA_VERSION jars in $LIB_DIR"
    return 0
  fi
  command -v mvn >/dev/null || fail "mvn is not installed (needed once to fetch cassandra-all $CASSANDRA_VERSION)"
  local tmp="$LIB_DIR.partial" mvn_log="$CASSANDRA_HOME_DIR/fetch.log" t0
  t0="$(now)"
  log "fetching org.apache.cassandra:cassandra-all:$CASSANDRA_VERSION and its dependencies with Maven into $LIB_DIR (first time only, ~1 min)"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
      -Dcassandra.version="$CASSANDRA_VERSION" \
      -Dcassandra.lib.dir="$tmp" \
      -Dcassandra.build.dir="$CASSANDRA_HOME_DIR/mvn-build" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2 || true
    fail "mvn could not fetch cassandra-all $CASSANDRA_VERSION (full log: $mvn_log)"
  fi
  [[ -f "$tmp/cassandra-all-$CASSANDRA_VERSION.jar" ]] || fail "mvn finished but $tmp has no cassandra-all-$CASSANDRA_VERSION.jar"
  compgen -G "$tmp/jamm-*.jar" >/dev/null || fail "mvn finished but $tmp has no jamm jar"
  rm -rf "$LIB_DIR" "$CASSANDRA_HOME_DIR/mvn-build"
  mv "$tmp" "$LIB_DIR"
  echo "$CASSANDRA_VERSION" >"$LIB_DIR/.complete"
  log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in $(elapsed "$t0")s"
}
fetch
exec 8>&-

# 4. Refuse to start over something else holding the ports.
if port_in_use "$CASSANDRA_PORT"; then
  fail "port $CASSANDRA_PORT is in use by something that does not answer CQL (see: ss -ltnp 'sport = :$CASSANDRA_PORT')"
fi
if port_in_use "$CASSANDRA_STORAGE_PORT"; then
  fail "storage port $CASSANDRA_STORAGE_PORT is in use (another Cassandra?); set CASSANDRA_STORAGE_PORT"
fi

# 5. Data dir and config.
if [[ "$CASSANDRA_CLEAN" == "1" ]]; then
  log "CASSANDRA_CLEAN=1: wiping $CASSANDRA_DATA_DIR"
  rm -rf "$CASSANDRA_DATA_DIR"
fi
mkdir -p "$CASSANDRA_DATA_DIR"/{data,commitlog,saved_caches,hints,cdc_raw,triggers} "$LOG_DIR"
sed -e "s|@DATA_DIR@|$CASSANDRA_DATA_DIR|g" \
    -e "s|@CQL_PORT@|$CASSANDRA_PORT|g" \
    -e "s|@STORAGE_PORT@|$CASSANDRA_STORAGE_PORT|g" \
    -e "s|@ADDRESS@|$CASSANDRA_ADDRESS|g" \
    -e "s|@SEEDS@|$CASSANDRA_SEEDS|g" \
    -e "s|@CLUSTER_NAME@|$CASSANDRA_CLUSTER_NAME|g" \
    -e "s|@SNITCH@|$CASSANDRA_SNITCH|g" \
    -e "s|@COMMITLOG_SYNC@|$COMMITLOG_LINES|g" \
    "$SCRIPT_DIR/cassandra.yaml.template" >"$YAML"
if grep -q '@[A-Z_]*@' "$YAML"; then fail "unfilled placeholder in $YAML"; fi
RACKDC="$CASSANDRA_DATA_DIR/cassandra-rackdc.properties"
printf 'dc=datacenter1\nrack=rack1\n' >"$RACKDC"

# 6. JVM command line.
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$JAVA" >/dev/null || fail "java not found (need Java 11 or 17 for Cassandra 5.0)"
java_major="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }')"
case "$java_major" in
  11|17) ;;
  *) log "WARNING: Java $java_major detected; Cassandra 5.0 supports Java 11 and 17 only" ;;
esac

JAMM_JAR="$(compgen -G "$LIB_DIR/jamm-*.jar" | head -n 1)"
JVM_OPTS=()
while read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  read -ra words <<<"$line"
  JVM_OPTS+=("${words[@]}")
done <"$SCRIPT_DIR/jvm17.options"

JVM_OPTS+=(
  "-Xms$CASSANDRA_HEAP" "-Xmx$CASSANDRA_HEAP" -Xss256k
  -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow
  -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$CASSANDRA_DATA_DIR"
  -Djava.net.preferIPv4Stack=true
  "-javaagent:$JAMM_JAR"
  "-Dcassandra.config=file://$YAML"
  "-Dcassandra-rackdc.properties=file://$RACKDC"
  -Dcassandra-foreground=yes
  "-Dcassandra-pidfile=$PID_FILE"
  "-Dcassandra.storagedir=$CASSANDRA_DATA_DIR"
  "-Dcassandra.logdir=$LOG_DIR"
  "-Dlogback.configurationFile=file://$SCRIPT_DIR/logback.xml"
  -Dcassandra.skip_wait_for_gossip_to_settle=0
  "-Dcassandra.initial_token=$CASSANDRA_INITIAL_TOKEN"
  "-Dcassandra.triggers_dir=$CASSANDRA_DATA_DIR/triggers"
  # no peers to tell about a shutdown (default waits 2 s on stop); peers of a cluster node
  # learn it from gossip
  -Dcassandra.shutdown_announce_in_ms=0
  # Schema changes in a cluster: a node that misses the coordinator's push (sent once, never
  # resent: dropped under load, or to a node just restarted) pulls the schema when gossip shows
  # it another version, but a node up for longer than the migration delay (default 60 s)
  # postpones that pull by the delay, and retries a failed one on the pull interval (default
  # 60 s). A DDL on the test cluster then waited over the service's 60 s for agreement (CI,
  # after the failover suite restarted a node). On loopback nothing gains from waiting.
  -Dcassandra.migration_delay_ms=1000
  -Dcassandra.schema_pull_interval_ms=5000
)
if [[ -n "$CASSANDRA_JMX_PORT" ]]; then
  JVM_OPTS+=("-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT")
fi

# 7. Launch in the background, in its own session, detached from our stdin and lock fd.
log "starting Cassandra $CASSANDRA_VERSION: CQL $CASSANDRA_ADDRESS:$CASSANDRA_PORT, data $CASSANDRA_DATA_DIR, log $SYSTEM_LOG"
t0="$(now)"
echo "===== $(date -Is) start.sh launching Cassandra $CASSANDRA_VERSION =====" >>"$STDOUT_LOG"
setsid "$JAVA" "${JVM_OPTS[@]}" -cp "$LIB_DIR/*" org.apache.cassandra.service.CassandraDaemon \
  </dev/null >>"$STDOUT_LOG" 2>&1 9>&- &
pid=$!
echo "$pid" >"$PID_FILE"
log "pid $pid (pid file $PID_FILE); waiting up to ${CASSANDRA_START_TIMEOUT}s for CQL"

# 8. Wait for a CQL answer.
set +e
version="$(wait_ready "$CASSANDRA_START_TIMEOUT" "$pid")"
rc=$?
set -e
if [[ $rc -eq 0 ]]; then
  log "Cassandra $version ready on $CASSANDRA_ADDRESS:$CASSANDRA_PORT in $(elapsed "$t0")s"
  exit 0
fi

show_logs
if [[ $rc -eq 2 ]] || ! kill -0 "$pid" 2>/dev/null; then
  rm -f "$PID_FILE"
  fail "Cassandra exited during startup after $(elapsed "$t0")s (see $SYSTEM_LOG and $STDOUT_LOG)"
fi
log "stopping the unready Cassandra (pid $pid)"
"$SCRIPT_DIR/stop.sh" >&2 || true
fail "Cassandra did not answer CQL on $CASSANDRA_ADDRESS:$CASSANDRA_PORT within ${CASSANDRA_START_TIMEOUT}s (see $SYSTEM_LOG)"
