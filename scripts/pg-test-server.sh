#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks: its own data directory in a temp
# dir, listening on 127.0.0.1 on a free port (and a Unix socket inside the state directory),
# trust authentication for the superuser role gf_test, database galfriday_test.
#
#   scripts/pg-test-server.sh start [STATE_DIR]   creates the cluster, starts it, prints the URL
#   scripts/pg-test-server.sh stop STATE_DIR      stops the server and deletes STATE_DIR
#   scripts/pg-test-server.sh server-stop STATE_DIR    stops the server, keeps the data
#   scripts/pg-test-server.sh server-start STATE_DIR   starts it again on the same port
#
# STATE_DIR/url holds postgresql://gf_test@127.0.0.1:PORT/galfriday_test. PostgreSQL refuses
# to run as root; as root the cluster belongs to and runs as the `postgres` system user (created
# by the postgresql-15 package), otherwise as the calling user.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROLE=gf_test
DATABASE=galfriday_test

die() { echo "pg-test-server: $*" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

server_start() {
  local state=$1 port
  port=$(cat "$state/port")
  as_owner "$PG_BIN/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
    -o "-p $port -k $state -c listen_addresses=127.0.0.1" start >/dev/null
}

server_stop() {
  local state=$1
  # fast: running sessions are disconnected (what a test of a lost database wants).
  as_owner "$PG_BIN/pg_ctl" -D "$state/data" -m fast -w -t 60 stop >/dev/null
}

start() {
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found: install postgresql-15 (scripts/setup.sh)"
  local state=${1:-}
  if [[ -z $state ]]; then
    state=$(mktemp -d /tmp/gf-pg.XXXXXX)  # reachable by the postgres user when run as root
  else
    mkdir -p "$state"
  fi
  chmod 0755 "$state"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user (install postgresql-15)"
    chown postgres: "$state"
  fi
  as_owner "$PG_BIN/initdb" -D "$state/data" -U "$ROLE" --auth=trust --no-sync \
    --encoding=UTF8 --locale=C >"$state/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -5 "$state/initdb.log")"
  {
    echo "fsync = on"
    echo "max_connections = 50"
    echo "shared_buffers = 32MB"
    echo "log_min_messages = warning"
  } | as_owner tee -a "$state/data/postgresql.conf" >/dev/null

  # A free port: try random high ports until the server binds one.
  local attempt port
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    echo "$port" | as_owner tee "$state/port" >/dev/null
    if server_start "$state" 2>/dev/null; then
      as_owner "$PG_BIN/createdb" -h "$state" -p "$port" -U "$ROLE" "$DATABASE"
      echo "postgresql://$ROLE@127.0.0.1:$port/$DATABASE" | as_owner tee "$state/url" >/dev/null
      echo "$state"
      return 0
    fi
    if ! grep -q "already in use\|could not bind" "$state/server.log" 2>/dev/null; then
      die "the server did not start: $(tail -5 "$state/server.log" 2>/dev/null)"
    fi
  done
  die "no free port after 20 attempts"
}

stop() {
  local state=${1:?usage: pg-test-server.sh stop STATE_DIR}
  [[ -f $state/port ]] || die "$state is not a pg-test-server state directory"
  if [[ -f $state/data/postmaster.pid ]]; then
    server_stop "$state" || true
  fi
  rm -rf "$state"
}

command=${1:-}
shift || true
case $command in
  start) start "${1:-}" ;;
  stop) stop "${1:-}" ;;
  server-stop) server_stop "${1:?STATE_DIR}" ;;
  server-start) server_start "${1:?STATE_DIR}" ;;
  *) die "usage: pg-test-server.sh start [STATE_DIR] | stop|server-stop|server-start STATE_DIR" ;;
esac
