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

# sweeps and walk-forward (docs/backtesting.md)
expect sweep-runs 0 "sweep: 2 run\(s\) ranked by total_return.*2 combination\(s\) skipped" -- \
  "$bin" sweep --config cfg.yaml --data data/XBTUSD_1.csv --data data/ETHUSD_1.csv \
  --param strategy.buy_threshold=0.3,0.6 --param strategy.sl_pct=1,2 --rank-by total_return --threads 2 --out sweep1
expect sweep-one-thread 0 "results written to sweep2" -- \
  "$bin" sweep --config cfg.yaml --data data/XBTUSD_1.csv --data data/ETHUSD_1.csv \
  --param strategy.buy_threshold=0.3,0.6 --param strategy.sl_pct=1,2 --rank-by total_return --threads 1 --out sweep2
if cmp -s sweep1/sweep.json sweep2/sweep.json && cmp -s sweep1/sweep.csv sweep2/sweep.csv; then echo "ok   sweep-deterministic"; else echo "FAIL sweep-deterministic"; failures=$((failures + 1)); fi
expect sweep-bad-key 2 "strategy.colour cannot be swept" -- \
  "$bin" sweep --config cfg.yaml --data data/XBTUSD_1.csv --param strategy.colour=1
expect sweep-bad-value 2 "'x' is not a number" -- \
  "$bin" sweep --config cfg.yaml --data data/XBTUSD_1.csv --param strategy.sl_pct=1,x
expect sweep-bad-rank 2 "--rank-by luck" -- \
  "$bin" sweep --config cfg.yaml --data data/XBTUSD_1.csv --param strategy.sl_pct=1 --rank-by luck
expect walk-forward-runs 0 "walk-forward: 2 window\(s\)" -- \
  "$bin" walk-forward --config cfg.yaml --data data/XBTUSD_1.csv --train-days 1 --test-days 1 --out wf
if [[ -s wf/walk_forward.json && -s wf/walk_forward.csv ]]; then echo "ok   walk-forward-files"; else echo "FAIL walk-forward-files"; failures=$((failures + 1)); fi
expect walk-forward-too-short 2 "less than one train \+ test window" -- \
  "$bin" walk-forward --config cfg.yaml --data data/XBTUSD_1.csv --train-days 3 --test-days 1 --out wf2

expect db-status-fresh 0 "schema version 0 of [0-9]+" -- "$bin" db status --config cfg.yaml
expect db-migrate 0 "schema version ([0-9]+) of \1" -- "$bin" db migrate --config cfg.yaml
expect db-migrate-again 0 "schema version ([0-9]+) of \1" -- "$bin" db migrate --config cfg.yaml
echo "not a database" > state/galfriday.db.bad && printf 'data_dir: %s/state-bad\n' "$work" > badb.yaml && mkdir -p state-bad && cp state/galfriday.db.bad state-bad/galfriday.db
expect db-corrupt 1 "galfriday.db" -- "$bin" db status --config badb.yaml

# --- model registry, retraining and experiments (docs/models.md) ---
printf 'data_dir: %s/state-unmigrated\n' "$work" > unmigrated.yaml
expect model-needs-migration 1 "run .galfriday db migrate" -- "$bin" model list --config unmigrated.yaml
expect model-list-empty 0 "no models registered" -- "$bin" model list --config cfg.yaml
expect model-train 0 "model prob_price_up_j1_.*holdout AUC.*holdout backtest.*promoted" -- \
  "$bin" model train --config cfg.yaml --data data/XBTUSD_1.csv
first=$("$bin" model list --config cfg.yaml | awk '/production/ {print $1}')
expect model-list 0 "$first +production +prob_price_up" -- "$bin" model list --config cfg.yaml
expect model-show 0 "integrity  ok" -- "$bin" model show --config cfg.yaml "$first"
expect model-show-unknown 2 "model 'nope' is not registered" -- "$bin" model show --config cfg.yaml nope
# The same trees under another id: copy the artifact and rename the model in its sidecar.
cp "state/models/$first/$first.json" other.json
sed "s/\"$first\"/\"other\"/" "state/models/$first/$first.meta.json" > other.meta.json
expect model-register 0 "registered other in staging" -- \
  "$bin" model register --config cfg.yaml --file other.json --stage staging
expect model-register-again 1 "already registered" -- \
  "$bin" model register --config cfg.yaml --file other.json --stage staging
expect model-register-production 2 "promote it afterwards" -- \
  "$bin" model register --config cfg.yaml --file other.json --stage production
expect model-register-missing 2 "no-such.json" -- \
  "$bin" model register --config cfg.yaml --file no-such.json
expect model-promote 0 "archived the previous production model $first" -- \
  "$bin" model promote --config cfg.yaml other --to production
expect model-promote-archived 1 "cannot move from archived to production" -- \
  "$bin" model promote --config cfg.yaml "$first" --to production
expect model-promote-bad-stage 2 "unknown model stage 'live'" -- \
  "$bin" model promote --config cfg.yaml "$first" --to live
expect experiment-archived-arm 1 "is archived" -- \
  "$bin" experiment start --config cfg.yaml --name ab --a other --b "$first"
expect model-restage 0 "is now in staging" -- "$bin" model promote --config cfg.yaml "$first" --to staging
expect experiment-start 0 "started experiment ab: a other, b $first, 30.0 % of keys to b" -- \
  "$bin" experiment start --config cfg.yaml --name ab --a other --b "$first" --split 0.3
expect experiment-start-again 1 "already exists" -- \
  "$bin" experiment start --config cfg.yaml --name ab --a other --b "$first"
expect experiment-status 0 "waiting for 200 outcomes per arm" -- \
  "$bin" experiment status --config cfg.yaml --name ab
expect experiment-status-unknown 2 "no experiment named 'zz'" -- \
  "$bin" experiment status --config cfg.yaml --name zz
expect experiment-stop 0 "decision: stop without a winner" -- \
  "$bin" experiment stop --config cfg.yaml --name ab --promote
expect experiment-stop-again 1 "already stopped" -- "$bin" experiment stop --config cfg.yaml --name ab
expect model-archive 0 "is now in archived" -- "$bin" model archive --config cfg.yaml other
echo "tampered" >> "state/models/$first/$first.json"
expect model-sha-mismatch 1 "but the registry recorded .* refusing to load it" -- \
  "$bin" model show --config cfg.yaml "$first"

# history (offline paths): import Kraken CSV files, list with gaps, bad input, unreachable Kraken.
mkdir -p hist
printf 'data_dir: %s/hist\nkraken:\n  rest_url: http://127.0.0.1:1\nhistory:\n  max_attempts: 1\n' "$work" > hist.yaml
printf '1700000040,37000.0,37010.5,36990.0,37005.0,1.5,3\n1700000100,37005.0,37005.0,37000.0,37000.0,0.25,1\n1700000280,37000.0,37020.0,37000.0,37020.0,3,7\n' > hist/XBTUSD_1.csv
expect history-import 0 "3 bar\\(s\\) of BTC/USD 1m stored" -- "$bin" history import --config hist.yaml hist/XBTUSD_1.csv
expect history-list 0 "BTC/USD 1m: 3 bar\\(s\\) 2023-11-14T22:14:00Z \\.\\. 2023-11-14T22:18:00Z, 1 gap" -- \
  "$bin" history list --config hist.yaml
expect history-list-gap 0 "gap 2023-11-14T22:16:00Z \\.\\. 2023-11-14T22:18:00Z \\(2 bar" -- \
  "$bin" history list --config hist.yaml
expect history-import-unknown-pair 2 "pair 'FOOBAR' is not configured" -- \
  "$bin" history import --config hist.yaml FOOBAR_1.csv
printf '1700000040,1.0,1.0,1.0,1.0,1,1\n1700000100,1.0,x,1.0,1.0,1,1\n' > hist/XBTUSD_5.csv
expect history-import-malformed 2 "XBTUSD_5.csv:2: high: .x. is not a decimal.*1 bar\\(s\\) before it were stored" -- \
  "$bin" history import --config hist.yaml hist/XBTUSD_5.csv
expect history-import-missing-file 2 "XBTUSD_60.csv" -- \
  "$bin" history import --config hist.yaml hist/XBTUSD_60.csv
expect history-fetch-bad-interval 2 "--interval 7" -- \
  "$bin" history fetch --config hist.yaml --pair BTC/USD --interval 7
expect history-fetch-bad-since 2 "--since 'soon'" -- \
  "$bin" history fetch --config hist.yaml --pair BTC/USD --since soon
expect history-fetch-unreachable 1 "Kraken OHLC: connecting to 127.0.0.1:1" -- \
  "$bin" history fetch --config hist.yaml --pair XBTUSD
expect history-no-subcommand 2 "" -- "$bin" history

# kraken-sim on an OS-chosen loopback port, recorded over a real WebSocket by `galfriday record`,
# then replayed by the simulator from that recording.
"$bin" kraken-sim --config cfg.yaml --port 0 --tick-ms 20 --duration 20 > sim.out 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q "kraken-sim websocket" sim.out && break; sleep 0.1; done
sim_ws=$(sed -n 's/^kraken-sim websocket //p' sim.out)
if [[ -z $sim_ws ]]; then
  echo "FAIL kraken-sim-start: no URL printed"; cat sim.out; failures=$((failures + 1))
else
  echo "ok   kraken-sim-start"
  expect record-from-sim 0 "recorded [1-9][0-9]* frames .* over 1 connection" -- \
    "$bin" record --config cfg.yaml --ws-url "$sim_ws" --out rec.jsonl --duration 2
  expect record-has-book 0 '"type":"frame".*book.*checksum' -- grep -m1 'checksum' rec.jsonl
  expect kraken-sim-replay 0 "kraken-sim stopped: .* 0 drops" -- \
    "$bin" kraken-sim --config cfg.yaml --recording rec.jsonl --duration 1
fi
kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null
expect record-unreachable 1 "never connected to ws://127.0.0.1:1" -- \
  "$bin" record --config cfg.yaml --ws-url ws://127.0.0.1:1/v2 --out unreach.jsonl --duration 1
expect record-bad-url 2 "" -- "$bin" record --config cfg.yaml --ws-url nonsense --out x.jsonl --duration 1
expect kraken-sim-missing-recording 2 "" -- "$bin" kraken-sim --config cfg.yaml --recording nope.jsonl

echo "cli: $failures failure(s)"
exit $((failures > 0))
