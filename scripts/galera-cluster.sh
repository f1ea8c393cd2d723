#!/usr/bin/env bash
# A MariaDB Galera cluster on loopback for tests and benches (issue 14, ADR 0055): N nodes (default
# 3) and one HAProxy in front of them, configured single-writer (one primary, the others backups,
# health check on wsrep_local_state = 4, Synced). Every process is this script's own, started with
# its own data folder under GALERA_DIR and stopped by the PID it recorded; nothing else on the
# machine is touched.
#
#   scripts/galera-cluster.sh up            bootstrap node 1 (--wsrep-new-cluster), join the others
#                                           (rsync SST), start HAProxy; prints the env (below)
#   scripts/galera-cluster.sh down          stop HAProxy and every node by PID, remove GALERA_DIR
#   scripts/galera-cluster.sh kill-node N   SIGKILL node N (a crash)
#   scripts/galera-cluster.sh start-node N  recover node N's position (--wsrep-recover) and start
#                                           it; it rejoins by IST (or SST) and is waited for to be Synced
#   scripts/galera-cluster.sh writer        the number of the node HAProxy sends connections to now
#   scripts/galera-cluster.sh env           prints the env again
#
# Settings: GALERA_DIR (default /tmp/datapunk-galera-<proxy port>), GALERA_NODES (default 3, at
# most 9), GALERA_PROVIDER_OPTIONS (appended to wsrep_provider_options, e.g. gcs.fc_limit=64),
# GALERA_PORT_OFFSET (default 0) added to every port: node N listens for SQL on 3330+N,
# group communication 4600+N, IST 4610+N, SST 4620+N, HAProxy on 3340. The nodes run as the
# `mysql` user when the script runs as root (rsync state transfer refuses to run as root).
#
# The env it prints:
#   DATAPUNK_TEST_GALERA_NODES   comma-separated mariadb:// URLs of the nodes, in node order
#   DATAPUNK_TEST_GALERA_PROXY   the mariadb:// URL of HAProxy (the single writer)
#   DATAPUNK_TEST_GALERA_DIR     GALERA_DIR, for kill-node / start-node from a test
set -euo pipefail

OFFSET=${GALERA_PORT_OFFSET:-0}
NODES=${GALERA_NODES:-3}
PROXY_PORT=$((3340 + OFFSET))
DIR=${GALERA_DIR:-/tmp/datapunk-galera-$PROXY_PORT}
PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
CHECK_USER=haproxy_check
CHECK_PASSWORD=haproxy_check
if [ "$NODES" -lt 1 ] || [ "$NODES" -gt 9 ]; then
  echo "galera-cluster: GALERA_NODES must be 1..9" >&2
  exit 2
fi

sql_port() { echo $((3330 + OFFSET + $1)); }
gmcast_port() { echo $((4600 + OFFSET + $1)); }
ist_port() { echo $((4610 + OFFSET + $1)); }
sst_port() { echo $((4620 + OFFSET + $1)); }
node_dir() { echo "$DIR/node$1"; }
log() { printf 'galera-cluster: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

as_mysql=()
if [ "$(id -u)" = 0 ]; then as_mysql=(--user=mysql); fi

cluster_address() {
  local members=() i
  for i in $(seq 1 "$NODES"); do members+=("127.0.0.1:$(gmcast_port "$i")"); done
  (
    IFS=,
    echo "gcomm://${members[*]}"
  )
}

write_node_config() { # N
  local n=$1 d
  d=$(node_dir "$n")
  cat >"$d/my.cnf" <<EOF
[mariadbd]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$(sql_port "$n")
bind-address=127.0.0.1
tmpdir=$d/tmp
innodb_buffer_pool_size=128M
skip-name-resolve=OFF
# What Galera needs: row-based replication, InnoDB, interleaved auto-increment locks.
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=datapunk-$PROXY_PORT
wsrep_cluster_address=$(cluster_address)
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1
wsrep_node_incoming_address=127.0.0.1:$(sql_port "$n")
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gmcast_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=256M${GALERA_PROVIDER_OPTIONS:+;$GALERA_PROVIDER_OPTIONS}"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
EOF
}

mysql_at() { # port, SQL...
  local port=$1
  shift
  mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot --connect-timeout=2 -N -B "$@"
}

local_state() { mysql_at "$(sql_port "$1")" -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f2; }

node_pid() { cat "$(node_dir "$1")/node.pid" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

wait_synced() { # N, seconds
  local n=$1 bound=$2 pid
  for _ in $(seq 1 $((bound * 2))); do
    pid=$(node_pid "$n")
    alive "$pid" || die "node $n (pid $pid) exited; see $(node_dir "$n")/error.log: $(tail -5 "$(node_dir "$n")/error.log" 2>/dev/null)"
    if [ "$(local_state "$n")" = 4 ]; then return 0; fi
    sleep 0.5
  done
  die "node $n was not Synced within ${bound}s; see $(node_dir "$n")/error.log"
}

launch_node() { # N, extra mariadbd options...
  local n=$1 d
  shift
  d=$(node_dir "$n")
  # setsid: the node outlives this script and is not in its process group.
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "${as_mysql[@]}" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/node.pid"
}

start_node() { # N (a node that has run before: recover its position so that it can rejoin by IST)
  local n=$1 d position pid
  d=$(node_dir "$n")
  [ -f "$d/my.cnf" ] || die "node $n was never set up in $DIR"
  pid=$(node_pid "$n")
  if alive "$pid"; then die "node $n is running (pid $pid)"; fi
  rm -f "$d/mysqld.sock" "$d/mysqld.pid"
  # What galera_recovery does for systemd: the last committed position from InnoDB, so the node
  # asks for the missing write sets only (IST) instead of a full copy (SST).
  /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "${as_mysql[@]}" --wsrep-recover --log-error="$d/recover.log" >/dev/null 2>&1 || true
  position=$(sed -n 's/.*WSREP: Recovered position: \(.*\)$/\1/p' "$d/recover.log" 2>/dev/null | tail -1)
  rm -f "$d/recover.log"
  if [ -n "$position" ]; then
    launch_node "$n" --wsrep-start-position="$position"
  else
    launch_node "$n"
  fi
  wait_synced "$n" 180
  log "node $n Synced (position ${position:-unknown})"
}

write_proxy_config() {
  cat >"$DIR/check-node.sh" <<EOF
#!/bin/sh
# HAProxy external check: \$3 \$4 are the server's address and port. Up only when the node is
# Synced (wsrep_local_state = 4) and in the primary component (wsrep_ready = ON): a donor, a
# joiner or a node cut off from the others takes no connections.
state=\$(mariadb --protocol=tcp -h"\$3" -P"\$4" -u$CHECK_USER -p$CHECK_PASSWORD --connect-timeout=2 -N -B \\
  -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state', 'wsrep_ready')" 2>/dev/null | sort | cut -f2 | tr '\\n' ' ')
[ "\$state" = "4 ON " ]
EOF
  chmod 755 "$DIR/check-node.sh"
  {
    cat <<EOF
global
  maxconn 4000
  pidfile $DIR/haproxy.pid
  # external-check forks the check script; HAProxy refuses to fork without both lines.
  external-check
  insecure-fork-wanted

defaults
  mode tcp
  timeout connect 2s
  # Idle pooled connections stay open as long as the server would keep them (wait_timeout).
  timeout client 8h
  timeout server 8h
  timeout check 3s
  retries 3
  option redispatch

listen galera_writer
  bind 127.0.0.1:$PROXY_PORT
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command $DIR/check-node.sh
  # Single writer: every connection goes to one node. The stick table (one entry) keeps the
  # current writer after the primary comes back, so that a returning node never becomes a second
  # writer beside connections still open on the backup.
  stick-table type ip size 1
  stick on dst
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
EOF
    local i
    for i in $(seq 1 "$NODES"); do
      if [ "$i" = 1 ]; then
        echo "  server node$i 127.0.0.1:$(sql_port "$i") check"
      else
        echo "  server node$i 127.0.0.1:$(sql_port "$i") check backup"
      fi
    done
  } >"$DIR/haproxy.cfg"
}

print_env() {
  local urls=() i
  for i in $(seq 1 "$NODES"); do urls+=("mariadb://root@127.0.0.1:$(sql_port "$i")"); done
  (
    IFS=,
    echo "export DATAPUNK_TEST_GALERA_NODES=${urls[*]}"
  )
  echo "export DATAPUNK_TEST_GALERA_PROXY=mariadb://root@127.0.0.1:$PROXY_PORT"
  echo "export DATAPUNK_TEST_GALERA_DIR=$DIR"
}

stop_pid() { # pid, what
  local pid=$1
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    alive "$pid" || return 0
    sleep 0.5
  done
  log "$2 (pid $pid) did not stop within 30s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_up() {
  if [ -e "$DIR" ]; then die "$DIR exists: run '$0 down' first (or set GALERA_DIR)"; fi
  command -v haproxy >/dev/null || die "haproxy is not installed (apt-get install -y haproxy)"
  [ -f "$PROVIDER" ] || die "no Galera provider at $PROVIDER (apt-get install -y galera-4)"
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  local i d
  for i in $(seq 1 "$NODES"); do
    d=$(node_dir "$i")
    mkdir -p "$d/data" "$d/tmp"
    write_node_config "$i"
    if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$d"; fi
  done
  if [ "$(id -u)" = 0 ] && ! runuser -u mysql -- test -w "$(node_dir 1)/data"; then
    die "the mysql user cannot reach $(node_dir 1)/data: every folder above GALERA_DIR must be searchable (chmod 755)"
  fi
  # Node 1 gets a fresh data directory and founds the cluster; the others receive its state (SST).
  mariadb-install-db --no-defaults "${as_mysql[@]}" --datadir="$(node_dir 1)/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$(node_dir 1)/install.log" 2>&1 ||
    die "mariadb-install-db failed: $(tail -5 "$(node_dir 1)/install.log")"
  launch_node 1 --wsrep-new-cluster
  wait_synced 1 60
  mysql_at "$(sql_port 1)" -e "CREATE USER '$CHECK_USER'@'127.0.0.1' IDENTIFIED BY '$CHECK_PASSWORD'"
  log "node 1 Synced (new cluster)"
  for i in $(seq 2 "$NODES"); do
    launch_node "$i"
    wait_synced "$i" 180
    log "node $i Synced"
  done
  write_proxy_config
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy rejected $DIR/haproxy.cfg"
  haproxy -D -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 || die "haproxy did not start: $(cat "$DIR/haproxy.log")"
  for _ in $(seq 1 60); do
    if [ "$(mysql_at "$PROXY_PORT" -e 'SELECT @@wsrep_node_name' 2>/dev/null)" = node1 ]; then
      print_env
      return 0
    fi
    sleep 0.5
  done
  die "HAProxy on $PROXY_PORT does not reach node 1"
}

cmd_down() {
  [ -d "$DIR" ] || return 0
  stop_pid "$(cat "$DIR/haproxy.pid" 2>/dev/null || true)" haproxy
  local i
  # Backups first, the founder last: no node waits for a view change that never comes.
  for i in $(seq "$NODES" -1 1); do stop_pid "$(node_pid "$i")" "node $i"; done
  rm -rf "$DIR"
}

cmd_kill_node() { # N
  local n=$1 pid
  pid=$(node_pid "$n")
  alive "$pid" || die "node $n is not running"
  kill -KILL "$pid"
  while alive "$pid"; do sleep 0.1; done
  log "node $n (pid $pid) killed"
}

cmd_writer() {
  mysql_at "$PROXY_PORT" -e 'SELECT @@wsrep_node_name' | sed 's/^node//'
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
kill-node) cmd_kill_node "${2:?node number}" ;;
start-node) start_node "${2:?node number}" ;;
writer) cmd_writer ;;
env) print_env ;;
*)
  sed -n '2,25p' "$0" >&2
  exit 2
  ;;
esac
