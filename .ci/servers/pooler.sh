#!/usr/bin/env bash
# PgBouncer (transaction mode) on 127.0.0.1:6432 in front of the local PostgreSQL (5432), and
# the PostgreSQL binaries, Patroni and etcd the failover tests use for their own clusters.
# Idempotent: installs what is missing, (re)starts PgBouncer only when it does not answer.
# All state under /var/tmp/stanchion-ci/pooler. Fails loudly when anything cannot run.
set -euo pipefail

ROOT=/var/tmp/stanchion-ci/pooler
PORT=6432
RUN_AS=postgres   # PgBouncer refuses to run as root; initdb too

if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "installing pgbouncer"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if ! command -v patroni >/dev/null 2>&1 || ! command -v etcd >/dev/null 2>&1; then
  echo "installing patroni and etcd (the failover tests' HA layer)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends patroni etcd-server >/dev/null
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
for tool in initdb pg_ctl pg_basebackup; do
  if [ ! -x "$bindir/$tool" ]; then
    echo "pooler.sh: $tool not found under /usr/lib/postgresql/*/bin" >&2
    exit 1
  fi
done

mkdir -p "$ROOT/clusters"
chown -R "$RUN_AS" "$ROOT"
cat > "$ROOT/pgbouncer.ini" <<INI
[databases]
; every database of the local server, by the name the client asks for (st_pooler_gw0 ...)
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $ROOT/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_idle_timeout = 15
ignore_startup_parameters = extra_float_digits
logfile = $ROOT/pgbouncer.log
pidfile = $ROOT/pgbouncer.pid
INI
echo '"postgres" ""' > "$ROOT/userlist.txt"
chown "$RUN_AS" "$ROOT/pgbouncer.ini" "$ROOT/userlist.txt"

answers() { pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; }
if ! answers; then
  if [ -f "$ROOT/pgbouncer.pid" ] && kill -0 "$(cat "$ROOT/pgbouncer.pid")" 2>/dev/null; then
    kill "$(cat "$ROOT/pgbouncer.pid")"
    sleep 0.5
  fi
  echo "starting PgBouncer on 127.0.0.1:$PORT (transaction mode)"
  runuser -u "$RUN_AS" -- "$PGBOUNCER" -d "$ROOT/pgbouncer.ini"
  for _ in $(seq 50); do answers && break; sleep 0.1; done
fi
if ! psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "SELECT 1" >/dev/null; then
  echo "pooler.sh: PgBouncer on $PORT does not reach PostgreSQL; see $ROOT/pgbouncer.log" >&2
  tail -n 20 "$ROOT/pgbouncer.log" >&2 || true
  exit 1
fi
echo "PgBouncer answers on 127.0.0.1:$PORT"
