#!/usr/bin/env bash
# The main job: installs what is missing, builds, generates deterministic sample data for the
# pairs in the config, runs a backtest through the full pipeline and writes the report.
# Usage: scripts/run-backtest.sh [CONFIG] [REPORT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-config/config.example.yaml}
report_dir=${2:-reports/latest}

scripts/setup.sh
# The same build tree and type as scripts/test.sh, so switching between them rebuilds nothing.
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

./build/galfriday data generate --config "$config" --out-dir data/sample --days 30
data_args=()
for file in data/sample/*_1.csv; do data_args+=(--data "$file"); done
./build/galfriday backtest --config "$config" "${data_args[@]}" --report-dir "$report_dir"
