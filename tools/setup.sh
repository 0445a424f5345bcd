#!/usr/bin/env bash
# Installs everything dpopfleet needs on Debian 12: the build toolchain and libraries from
# Debian's packages, and the npm packages of the interop peer. Safe to run again: it only
# calls apt-get when a package is missing, and npm only when the lockfile changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev android-libboringssl-dev libcurl4-openssl-dev libsimdjson-dev libtbb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libspdlog-dev libmicrohttpd-dev
  libgnutls28-dev
  openssl curl ca-certificates
  nghttp2-proxy nghttp2-client wrk
  python3 python3-jwt python3-cryptography time
  nodejs npm
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

# Node.js may come from elsewhere than Debian's packages; a working node and npm will do.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for package in "${missing[@]}"; do
    [[ "$package" == nodejs || "$package" == npm ]] || filtered+=("$package")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages: the interop peer (node-oidc-provider) and the Node.js proof builders the
# benchmarks compare with, each pinned by its committed package-lock.json.
for folder in tests/interop bench/compare; do
  [[ -f "$folder/package-lock.json" ]] || continue
  stamp=$folder/node_modules/.dpopfleet-lock-sha256
  want=$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: installing npm packages in $folder with npm ci"
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
done
echo "setup: all dependencies are installed"
