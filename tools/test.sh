#!/usr/bin/env bash
# Builds and runs every test: the release build (unit, end-to-end, interop and benchmark
# smoke tests), the BoringSSL build of the crypto core, JOSE and signing with their tests and
# benchmark smoke runs, and an ASan+UBSan build of the unit tests. Servers the tests need
# are started and stopped by the tests or by CTest fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
jobs=${DPOPFLEET_JOBS:-$(nproc)}
status=0

run_variant() {
  local variant=$1 dir=$2
  shift 2
  echo "=== $variant: build"
  tools/build.sh "$variant"
  echo "=== $variant: test"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900 "$@") || status=1
}

run_variant release build
run_variant boringssl build-boringssl
ASAN_OPTIONS=detect_leaks=1 run_variant asan build-asan -L unit

if ((status != 0)); then
  echo "test.sh: some tests failed (see above)" >&2
fi
exit "$status"
