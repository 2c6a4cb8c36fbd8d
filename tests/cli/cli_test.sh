#!/usr/bin/env bash
# End-to-end checks of the galfriday command line: exit codes and messages for good and bad
# input, and a deterministic backtest. Usage: cli_test.sh PATH_TO_GALFRIDAY SOURCE_DIR
set -u
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0

# expect NAME EXPECTED_EXIT PATTERN -- command...
expect() {
  local name=$1 expected=$2 pattern=$3
  shift 4
  local output status
  output=$("$@" 2>&1)
  status=$?
  if [[ $status -ne $expected ]]; then
    echo "FAIL $name: exit $status, expected $expected"; echo "$output" | head -20; failures=$((failures + 1)); return
  fi
  if [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$output"; then
    echo "FAIL $name: output lacks /$pattern/"; echo "$output" | head -20; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

expect config-check-ok 0 'OK$' -- "$bin" config check "$src/config/config.example.yaml"
printf 'risk:\n  max_totl_drawdown_pct: 10\n  risk_per_trade_pct: lots\n' > bad.yaml
expect config-check-errors 2 "line 3: risk.risk_per_trade_pct: expected" -- "$bin" config check bad.yaml
expect config-check-suggests 2 "did you mean 'max_total_drawdown_pct'" -- "$bin" config check bad.yaml
printf 'risk: [unclosed\n' > broken.yaml
expect config-check-malformed 2 "line [0-9]+: broken.yaml: invalid YAML" -- "$bin" config check broken.yaml
expect config-check-missing 2 "no-such.yaml" -- "$bin" config check no-such.yaml
expect unknown-subcommand 2 "" -- "$bin" frobnicate
expect missing-required-option 2 "--config" -- "$bin" backtest --data x.csv

printf 'data_dir: %s/state\n' "$work" > cfg.yaml
expect generate 0 "wrote .*XBTUSD_1.csv" -- "$bin" data generate --config cfg.yaml --out-dir data --days 3
expect backtest-missing-data 2 "does not exist" -- "$bin" backtest --config cfg.yaml --data data/XBTUSD_5.csv --report-dir r
expect backtest-unknown-pair 2 "no configured pair has altname DOGEUSD" -- \
  "$bin" backtest --config cfg.yaml --data DOGEUSD_1.csv --report-dir r
expect backtest-bad-config 2 "error:" -- "$bin" backtest --config bad.yaml --data data/XBTUSD_1.csv
mkdir -p bad && head -2 data/XBTUSD_1.csv > bad/XBTUSD_1.csv && echo "1704067320,42000.0,abc,1,1,1,1" >> bad/XBTUSD_1.csv
expect backtest-malformed-row 2 "XBTUSD_1.csv:3: high" -- "$bin" backtest --config cfg.yaml --data bad/XBTUSD_1.csv --report-dir r

expect backtest-runs 0 "final equity" -- \
  "$bin" backtest --config cfg.yaml --data data/XBTUSD_1.csv --data data/ETHUSD_1.csv --report-dir run1
expect backtest-again 0 "final equity" -- \
  "$bin" backtest --config cfg.yaml --data data/XBTUSD_1.csv --data data/ETHUSD_1.csv --report-dir run2
for file in summary.txt summary.json trades.csv equity.csv; do
  if cmp -s "run1/$file" "run2/$file"; then echo "ok   deterministic-$file"; else echo "FAIL deterministic-$file"; failures=$((failures + 1)); fi
done
if ls state/logs/galfriday.log >/dev/null 2>&1; then echo "ok   log-file-written"; else echo "FAIL log-file-written"; failures=$((failures + 1)); fi

expect db-status-fresh 0 "schema version 0 of [0-9]+" -- "$bin" db status --config cfg.yaml
expect db-migrate 0 "schema version ([0-9]+) of \1" -- "$bin" db migrate --config cfg.yaml
expect db-migrate-again 0 "schema version ([0-9]+) of \1" -- "$bin" db migrate --config cfg.yaml
echo "not a database" > state/galfriday.db.bad && printf 'data_dir: %s/state-bad\n' "$work" > badb.yaml && mkdir -p state-bad && cp state/galfriday.db.bad state-bad/galfriday.db
expect db-corrupt 1 "galfriday.db" -- "$bin" db status --config badb.yaml

echo "cli: $failures failure(s)"
exit $((failures > 0))
