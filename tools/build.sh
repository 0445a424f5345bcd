#!/usr/bin/env bash
# Configures and builds one variant of dpopfleet with CMake and Ninja.
#   tools/build.sh [release|boringssl|asan]   (default: release)
# Build folders: build/ (release), build-boringssl/, build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."

variant=${1:-release}
jobs=${DPOPFLEET_JOBS:-$(nproc)}
case "$variant" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  boringssl) dir=build-boringssl; flags=(-DCMAKE_BUILD_TYPE=Release -DDPOPFLEET_CRYPTO=boringssl) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DDPOPFLEET_SANITIZE=ON -DDPOPFLEET_BUILD_BENCH=OFF) ;;
  *) echo "build.sh: unknown variant '$variant'; use release, boringssl or asan" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
