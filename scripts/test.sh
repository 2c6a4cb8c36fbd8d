#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test, then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test under them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# Build time (two full builds on a 2-core CI machine): at -O2, -g1 keeps function names and
# line tables (stack traces with file:line) but not the variable locations, which cost about a
# quarter of the compile time (at -O0, in the ASan build, full -g costs nothing measurable);
# the tests share one precompiled GoogleTest/GoogleMock header (GF_PCH).
ci_flags=(-DGF_PCH=ON)
echo "== build (RelWithDebInfo, warnings as errors)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  "${ci_flags[@]}"
echo "== tests"
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DGF_SANITIZE=ON -DGF_BUILD_BENCH=OFF \
  "${ci_flags[@]}"
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
