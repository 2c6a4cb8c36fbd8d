#!/usr/bin/env bash
# `galfriday db status|migrate` against a real PostgreSQL (started by
# scripts/with-test-server.sh, which sets GALFRIDAY_TEST_POSTGRES_URL), and psql reading what
# it wrote. Usage: db_cli_postgres_test.sh <galfriday binary>
set -euo pipefail
bin=$1
: "${GALFRIDAY_TEST_POSTGRES_URL:?run through scripts/with-test-server.sh postgres --}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# The URL lives in the config (no password needed: the test cluster trusts gf_test).
printf 'data_dir: %s/data\ndatabase:\n  backend: postgres\n  url: %s\n  schema: cli\n' \
  "$work" "$GALFRIDAY_TEST_POSTGRES_URL" >pg.yaml
out=$("$bin" db status --config pg.yaml) || fail "db status exited $?: $out"
[[ $out =~ "schema version 0 of "([0-9]+) ]] || fail "fresh status: $out"
latest=${BASH_REMATCH[1]}
out=$("$bin" db migrate --config pg.yaml) || fail "db migrate exited $?: $out"
[[ $out == *"schema version $latest of $latest"* ]] || fail "migrate: $out"
out=$("$bin" db migrate --config pg.yaml) || fail "second migrate exited $?"
[[ $out == *"schema version $latest of $latest"* ]] || fail "second migrate: $out"

# psql reads the bookkeeping the binary wrote.
count=$(psql "$GALFRIDAY_TEST_POSTGRES_URL" -Atc "SELECT COUNT(*) FROM cli.schema_version")
[[ $count == "$latest" ]] || fail "psql sees $count migrations, expected $latest"

# GALFRIDAY_DATABASE_URL overrides the config; the password never appears in output.
printf 'data_dir: %s/data\ndatabase:\n  backend: postgres\n' "$work" >env.yaml
set +e
out=$(GALFRIDAY_DATABASE_URL="postgresql://trader:hunter2-secret@127.0.0.1:1/galfriday" \
  "$bin" db status --config env.yaml 2>&1)
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "unreachable server: exit $rc, expected 1: $out"
[[ $out == *"Connection refused"* ]] || fail "unreachable server message: $out"
[[ $out != *"hunter2-secret"* ]] || fail "the password was printed: $out"

# No URL at all: a clear message, bad-input exit code.
set +e
out=$(env -u GALFRIDAY_DATABASE_URL "$bin" db status --config env.yaml 2>&1)
rc=$?
set -e
[[ $rc -eq 2 && $out == *"GALFRIDAY_DATABASE_URL"* ]] || fail "missing URL: exit $rc: $out"

# A schema newer than the binary is refused.
psql "$GALFRIDAY_TEST_POSTGRES_URL" -qc "INSERT INTO cli.schema_version VALUES (999, '999_future', 'x', 0, 'x')"
set +e
out=$("$bin" db migrate --config pg.yaml 2>&1)
rc=$?
set -e
[[ $rc -eq 1 && $out == *"newer than this binary"* ]] || fail "newer schema: exit $rc: $out"
echo "db_cli_postgres_test: OK"
