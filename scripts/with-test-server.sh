#!/usr/bin/env bash
# Runs a command against throwaway database servers, which are stopped (and their files
# deleted) however the command ends. ctest registers the server-backed tests through this.
#
#   scripts/with-test-server.sh postgres [influx] [influx-auth] -- COMMAND [ARGS...]
#
# Exports for COMMAND:
#   postgres: GALFRIDAY_TEST_POSTGRES_URL, GALFRIDAY_TEST_POSTGRES_STATE (the state directory)
#             and GALFRIDAY_TEST_POSTGRES_CTL (scripts/pg-test-server.sh, for tests that stop
#             and start the server: $CTL server-stop|server-start $STATE)
#   influx:   GALFRIDAY_TEST_INFLUX_URL (http://127.0.0.1:PORT), GALFRIDAY_TEST_INFLUX_STATE
#   influx-auth: a second influxd that checks credentials, with one admin user:
#             GALFRIDAY_TEST_INFLUX_AUTH_URL, GALFRIDAY_TEST_INFLUX_AUTH_USER,
#             GALFRIDAY_TEST_INFLUX_AUTH_PASSWORD, GALFRIDAY_TEST_INFLUX_AUTH_STATE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

servers=()
while (($# > 0)) && [[ $1 != "--" ]]; do
  servers+=("$1")
  shift
done
[[ ${1:-} == "--" ]] || { echo "usage: with-test-server.sh postgres|influx|influx-auth... -- COMMAND" >&2; exit 2; }
shift
(($# > 0)) || { echo "with-test-server.sh: no command" >&2; exit 2; }

pg_state=""
influx_state=""
influx_auth_state=""
cleanup() {
  if [[ -n $pg_state ]]; then "$here/pg-test-server.sh" stop "$pg_state" || true; fi
  if [[ -n $influx_state ]]; then "$here/influx-test-server.sh" stop "$influx_state" || true; fi
  if [[ -n $influx_auth_state ]]; then
    "$here/influx-test-server.sh" stop "$influx_auth_state" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for server in "${servers[@]}"; do
  case $server in
    postgres)
      # As root the cluster runs as `postgres`, which must reach the directory: a TMPDIR under
      # /root would not do, so root uses /tmp.
      if [[ $(id -u) -eq 0 ]]; then
        pg_state=$(mktemp -d /tmp/gf-pg.XXXXXX)
      else
        pg_state=$(mktemp -d "${TMPDIR:-/tmp}/gf-pg.XXXXXX")
      fi
      "$here/pg-test-server.sh" start "$pg_state" >/dev/null
      export GALFRIDAY_TEST_POSTGRES_URL
      GALFRIDAY_TEST_POSTGRES_URL=$(cat "$pg_state/url")
      export GALFRIDAY_TEST_POSTGRES_STATE=$pg_state
      export GALFRIDAY_TEST_POSTGRES_CTL=$here/pg-test-server.sh
      ;;
    influx)
      influx_state=$(mktemp -d "${TMPDIR:-/tmp}/gf-influx.XXXXXX")
      "$here/influx-test-server.sh" start "$influx_state" >/dev/null
      export GALFRIDAY_TEST_INFLUX_URL
      GALFRIDAY_TEST_INFLUX_URL=$(cat "$influx_state/url")
      export GALFRIDAY_TEST_INFLUX_STATE=$influx_state
      ;;
    influx-auth)
      influx_auth_state=$(mktemp -d "${TMPDIR:-/tmp}/gf-influx-auth.XXXXXX")
      "$here/influx-test-server.sh" start "$influx_auth_state" --auth >/dev/null
      export GALFRIDAY_TEST_INFLUX_AUTH_URL GALFRIDAY_TEST_INFLUX_AUTH_USER
      export GALFRIDAY_TEST_INFLUX_AUTH_PASSWORD
      GALFRIDAY_TEST_INFLUX_AUTH_URL=$(cat "$influx_auth_state/url")
      GALFRIDAY_TEST_INFLUX_AUTH_USER=$(cat "$influx_auth_state/admin_user")
      GALFRIDAY_TEST_INFLUX_AUTH_PASSWORD=$(cat "$influx_auth_state/admin_password")
      export GALFRIDAY_TEST_INFLUX_AUTH_STATE=$influx_auth_state
      ;;
    *)
      echo "with-test-server.sh: unknown server '$server' (postgres, influx, influx-auth)" >&2
      exit 2
      ;;
  esac
done

# Not exec: the trap must run after the command.
status=0
"$@" || status=$?
exit "$status"
