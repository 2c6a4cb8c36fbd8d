#!/usr/bin/env bash
# Builds in Release and runs the benchmarks; prints the figures (they never pass or fail).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DGF_BUILD_BENCH=ON
for bench in build-release/bench/*_bench; do
  echo "== $bench"
  if [[ $bench == */persistence_bench ]]; then
    # The PostgreSQL cases need a server: a throwaway local cluster, always stopped.
    scripts/with-test-server.sh postgres -- "$bench" --benchmark_min_time=0.5
  else
    "$bench" --benchmark_min_time=0.5
  fi
done
