#!/usr/bin/env bash
# A throwaway InfluxDB 1.x (Debian package `influxdb`) for tests: a generated config with its
# meta, data and WAL directories inside STATE_DIR, HTTP and RPC on 127.0.0.1 free ports, no
# usage reporting, no internal monitoring database, and no authentication unless --auth.
#
#   scripts/influx-test-server.sh start [STATE_DIR] [--auth]   starts influxd, prints STATE_DIR
#   scripts/influx-test-server.sh stop STATE_DIR                stops it and deletes STATE_DIR
#
# STATE_DIR/url holds http://127.0.0.1:PORT. Read what was written with
#   influx -host 127.0.0.1 -port PORT -database galfriday -execute 'SHOW MEASUREMENTS'
# With --auth, influxd checks credentials (auth-enabled) and has one admin user, created
# through the HTTP API (1.x lets the first admin be created without credentials): its name in
# STATE_DIR/admin_user, its random password in STATE_DIR/admin_password (mode 0600).
set -euo pipefail

INFLUXD=${INFLUXD:-influxd}

die() { echo "influx-test-server: $*" >&2; exit 1; }

write_config() {
  local state=$1 http=$2 rpc=$3 auth=$4
  cat >"$state/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"

[meta]
  dir = "$state/meta"

[data]
  dir = "$state/data"
  wal-dir = "$state/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$http"
  auth-enabled = $auth
  log-enabled = false

[monitor]
  store-enabled = false

[logging]
  level = "warn"
EOF
}

# 0 when influxd answers /ping with 204.
ready() {
  local http=$1
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/ping" 2>/dev/null) == 204 ]]
}

# The admin user of an --auth server: CREATE USER ... WITH ALL PRIVILEGES through /query.
create_admin() {
  local state=$1 http=$2 user=admin password answer
  password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  answer=$(curl -s -w '\n%{http_code}' -XPOST "http://127.0.0.1:$http/query" \
    --data-urlencode "q=CREATE USER \"$user\" WITH PASSWORD '$password' WITH ALL PRIVILEGES")
  [[ ${answer##*$'\n'} == 200 && $answer != *'"error"'* ]] ||
    die "creating the admin user failed: $answer"
  echo "$user" >"$state/admin_user"
  (umask 077 && echo "$password" >"$state/admin_password")
}

start() {
  command -v "$INFLUXD" >/dev/null || die "influxd not found: install influxdb (scripts/setup.sh)"
  local state=${1:-} auth=false
  if [[ ${2:-} == --auth ]]; then
    auth=true
  elif [[ -n ${2:-} ]]; then
    die "unknown option '$2' (--auth)"
  fi
  if [[ -z $state ]]; then
    state=$(mktemp -d "${TMPDIR:-/tmp}/gf-influx.XXXXXX")
  else
    mkdir -p "$state"
  fi
  local attempt http rpc pid i
  for attempt in $(seq 1 20); do
    http=$((20000 + RANDOM % 40000))
    rpc=$((20000 + RANDOM % 40000))
    [[ $http != "$rpc" ]] || continue
    write_config "$state" "$http" "$rpc" "$auth"
    "$INFLUXD" run -config "$state/influxdb.conf" >"$state/influxd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$state/pid"
    for i in $(seq 1 100); do
      if ready "$http"; then
        if [[ $auth == true ]]; then create_admin "$state" "$http"; fi
        echo "http://127.0.0.1:$http" >"$state/url"
        echo "$http" >"$state/port"
        echo "$state"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "address already in use" "$state/influxd.log" ||
      die "influxd did not start: $(tail -5 "$state/influxd.log")"
  done
  die "no free port after 20 attempts"
}

stop() {
  local state=${1:?usage: influx-test-server.sh stop STATE_DIR}
  [[ -f $state/influxdb.conf ]] || die "$state is not an influx-test-server state directory"
  if [[ -f $state/pid ]]; then
    local pid
    pid=$(cat "$state/pid")
    if kill "$pid" 2>/dev/null; then
      local i
      for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$state"
}

command=${1:-}
shift || true
case $command in
  start) start "${1:-}" "${2:-}" ;;
  stop) stop "${1:-}" ;;
  *) die "usage: influx-test-server.sh start [STATE_DIR] [--auth] | stop STATE_DIR" ;;
esac
