#!/usr/bin/env bash
# Read-replica clusters for tests/replicas: their own servers, never the machine's main ones.
#   PostgreSQL: primary 5433, streaming standby 5434, standby delayed by 300 ms 5435
#   MariaDB:    primary 3307, GTID replica 3308, replica with MASTER_DELAY=1 3309
# All state lives under /var/tmp/stanchion-ci/replicas. Idempotent: a running server is left
# alone, a stopped one is started, a missing one is made. Fails loudly when one cannot start.
# `replicas.sh stop` stops them all (the data stays for a fast restart).
set -euo pipefail

ROOT=${STANCHION_REPLICAS_DIR:-/var/tmp/stanchion-ci/replicas}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)}
PG_PRIMARY=5433 PG_STANDBY=5434 PG_DELAYED=5435
MY_PRIMARY=3307 MY_REPLICA=3308 MY_DELAYED=3309

fail() { echo "replicas.sh: $*" >&2; for f in "$ROOT"/*/*.log; do [ -f "$f" ] && tail -n 20 "$f" >&2; done; exit 1; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
if [ "$(id -u)" = 0 ]; then PG_USER=postgres; MY_USER=mysql; else PG_USER=$(id -un); MY_USER=$(id -un); fi
as_pg() { if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi; }

pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" 2>/dev/null; }
pg_start() {  # data dir, port
  pg_up "$2" && return 0
  as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$1.log" -w -t 30 -o "-p $2" start >/dev/null \
    || fail "PostgreSQL on port $2 did not start"
}
pg_standby() {  # data dir, port, extra recovery settings
  if [ ! -f "$1/standby.signal" ]; then
    rm -rf "$1"
    as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p $PG_PRIMARY -U postgres -D "$1" -R -X stream -c fast \
      || fail "pg_basebackup for port $2 failed"
    printf '%s\n' "port = $2" "hot_standby_feedback = on" "$3" | as_pg tee -a "$1/postgresql.auto.conf" >/dev/null
  fi
  pg_start "$1" "$2"
}

start_postgresql() {
  local pg="$ROOT/pg"
  mkdir -p "$pg/run"
  chown "$PG_USER" "$pg" "$pg/run"
  if [ ! -f "$pg/primary/PG_VERSION" ]; then
    rm -rf "$pg/primary"
    as_pg "$PG_BIN/initdb" -N -A trust -U postgres -D "$pg/primary" >"$pg/initdb.log" || fail "initdb failed"
    cat >>"$pg/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY
unix_socket_directories = '$pg/run'
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 200
EOF
    echo "host replication all 127.0.0.1/32 trust" >>"$pg/primary/pg_hba.conf"
  fi
  pg_start "$pg/primary" $PG_PRIMARY
  pg_standby "$pg/standby" $PG_STANDBY ""
  pg_standby "$pg/delayed" $PG_DELAYED "recovery_min_apply_delay = '300ms'"
}

my_sql() { mariadb --no-defaults -uroot -h127.0.0.1 -P "$1" -e "$2"; }
my_up() { mariadb-admin --no-defaults -uroot -h127.0.0.1 -P "$1" ping >/dev/null 2>&1; }
my_start() {  # name, port, server id, extra options...
  local dir="$ROOT/mariadb/$1" port=$2 id=$3
  shift 3
  my_up "$port" && return 0
  if [ ! -d "$dir/mysql" ]; then
    rm -rf "$dir"
    cp -a "$ROOT/mariadb/template" "$dir"
  fi
  mariadbd --no-defaults --user="$MY_USER" --datadir="$dir" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir.sock" --pid-file="$dir.pid" --log-error="$dir.log" --server-id="$id" \
    --log-bin=binlog --binlog-format=ROW --skip-name-resolve --innodb-buffer-pool-size=32M \
    --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
    --max-connections=200 "$@" >/dev/null 2>&1 &
  for _ in $(seq 150); do my_up "$port" && return 0; sleep 0.1; done
  fail "MariaDB on port $port did not start"
}
my_replica() {  # port, delay
  # Replication is configured only once; a restarted replica resumes where it stopped.
  if ! my_sql "$1" "SHOW SLAVE STATUS\G" | grep -q "Master_Port: $MY_PRIMARY"; then
    my_sql "$1" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MY_PRIMARY, MASTER_USER='root',
      MASTER_USE_GTID=slave_pos, MASTER_DELAY=$2, MASTER_CONNECT_RETRY=1; START SLAVE;"
  fi
}

start_mariadb() {
  local my="$ROOT/mariadb"
  mkdir -p "$my"
  chown "$MY_USER" "$my"
  if [ ! -d "$my/template/mysql" ]; then
    rm -rf "$my/template"
    # TCP logins as root without a password, as on the CI machine's main server.
    mariadb-install-db --no-defaults --user="$MY_USER" --datadir="$my/template" --skip-test-db \
      --auth-root-authentication-method=normal >"$my/install.log" 2>&1 || fail "mariadb-install-db failed"
  fi
  my_start primary $MY_PRIMARY 1
  my_start replica $MY_REPLICA 2 --read-only
  my_start delayed $MY_DELAYED 3 --read-only
  my_replica $MY_REPLICA 0
  my_replica $MY_DELAYED 1
}

stop_all() {
  local dir
  for dir in "$ROOT"/pg/delayed "$ROOT"/pg/standby "$ROOT"/pg/primary; do
    [ -f "$dir/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  done
  for dir in delayed replica primary; do
    [ -f "$ROOT/mariadb/$dir.pid" ] && kill "$(cat "$ROOT/mariadb/$dir.pid")" 2>/dev/null || true
  done
  return 0
}

if [ "${1:-start}" = stop ]; then stop_all; exit 0; fi
started=$EPOCHREALTIME
mkdir -p "$ROOT"
# The two families start side by side (2 cores; each is mostly waiting on its own disk work).
start_postgresql &
pg_job=$!
start_mariadb
wait $pg_job || fail "PostgreSQL clusters did not start"
printf 'replica servers up in %.1f s (PostgreSQL %s/%s/%s, MariaDB %s/%s/%s)\n' \
  "$(awk "BEGIN{print $EPOCHREALTIME - $started}")" $PG_PRIMARY $PG_STANDBY $PG_DELAYED $MY_PRIMARY $MY_REPLICA $MY_DELAYED
