#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds once with AddressSanitizer +
# UndefinedBehaviorSanitizer (warnings as errors, benchmarks compiled too) and runs every test
# under them.
# Usage: scripts/test.sh [--release]
#   --release  first build the optimised tree (`build`, RelWithDebInfo, the one the main job
#              uses) and run every test there as well.
#
# Why one build by default: a cold build of the tree takes about 15 minutes on CI's 2 cores, and
# every test already runs under the sanitizers, which find more than an optimised run does
# (use-after-free, leaks, undefined behaviour). Two full builds put CI over 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

release=false
for arg in "$@"; do
  case $arg in
    --release) release=true ;;
    *) echo "scripts/test.sh: unknown argument '$arg' (expected --release)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

if $release; then
  echo "== build (RelWithDebInfo, warnings as errors)"
  scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGF_PCH=ON
  echo "== tests"
  ctest --test-dir build --output-on-failure -j "$jobs"
fi

# The tests share one precompiled GoogleTest/GoogleMock header (GF_PCH).
echo "== build (ASan + UBSan, warnings as errors)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DGF_SANITIZE=ON -DGF_BUILD_BENCH=ON \
  -DGF_PCH=ON
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
